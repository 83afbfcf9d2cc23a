/* SPDX-License-Identifier: MIT */
/*
 * The feed parser and session of the ingress examples (examples/feed),
 * without DPDK: the generator's frames, clean, bad and fuzzed, each in a
 * heap buffer of exactly its length (so that ASan sees any read past it),
 * and hand-made frames for every refusal and edge of the format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"
#include "gen.h"
#include "pcap.h"

struct frames {
	uint8_t **buf;
	size_t *len;
	size_t n;
	size_t cap;
};

static int collect(void *ctx, const uint8_t *frame, size_t len,
		   uint64_t ts_usec)
{
	struct frames *fr = ctx;

	(void)ts_usec;
	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? 2 * fr->cap : 1024;
		fr->buf = realloc(fr->buf, fr->cap * sizeof(*fr->buf));
		fr->len = realloc(fr->len, fr->cap * sizeof(*fr->len));
		assert_non_null(fr->buf);
		assert_non_null(fr->len);
	}
	/* Exactly len bytes (at least 1 for malloc): ASan bounds them. */
	fr->buf[fr->n] = malloc(len ? len : 1);
	assert_non_null(fr->buf[fr->n]);
	memcpy(fr->buf[fr->n], frame, len);
	fr->len[fr->n++] = len;
	return 0;
}

static void frames_free(struct frames *fr)
{
	size_t i;

	for (i = 0; i < fr->n; i++)
		free(fr->buf[i]);
	free(fr->buf);
	free(fr->len);
	memset(fr, 0, sizeof(*fr));
}

static void generate(enum feed_gen_mode mode, unsigned packets, uint64_t seed,
		     struct frames *fr, struct feed_expect *exp)
{
	struct feed_gen_opts o = { .mode = mode,
				   .seed = seed,
				   .packets = packets,
				   .port = FEED_PORT_DEFAULT,
				   .bad_each = 2 };

	memset(fr, 0, sizeof(*fr));
	assert_int_equal(feed_generate(&o, collect, fr, exp), 0);
	assert_int_equal(fr->n, exp->v[FEED_K_PACKETS]);
}

/* What the delivery callback checks: feed order, and the counts. */
struct order_check {
	uint64_t last_seq;
	uint64_t delivered;
	uint64_t gaps;
	uint64_t missing;
	uint64_t volume;
	uint64_t violations;
};

static void on_event(void *ctx, const struct feed_event *ev)
{
	struct order_check *c = ctx;

	if (ev->missing) {
		c->gaps++;
		c->missing += ev->missing;
	}
	if (ev->seq != c->last_seq + 1 + ev->missing)
		c->violations++;
	c->last_seq = ev->seq;
	c->delivered++;
	if (ev->msg->type == FEED_TRADE)
		c->volume += ev->msg->qty;
}

static void run_session(const struct frames *fr, struct feed_session *s,
			struct order_check *c)
{
	size_t i;

	feed_session_init(s, FEED_PORT_DEFAULT);
	memset(c, 0, sizeof(*c));
	for (i = 0; i < fr->n; i++)
		feed_ingest(s, fr->buf[i], fr->len[i], on_event, c);
	assert_int_equal(c->violations, 0);
	assert_int_equal(c->delivered, s->stats.messages);
	assert_int_equal(c->gaps, s->stats.gaps);
	assert_int_equal(c->missing, s->stats.missing);
	assert_int_equal(s->stats.packets,
			 s->stats.delivered + s->stats.dups + s->stats.bad);
}

static void check_exact(const struct feed_session *s,
			const struct order_check *c,
			const struct feed_expect *e)
{
	const struct feed_stats *st = &s->stats;
	unsigned r;

	assert_int_equal(st->packets, e->v[FEED_K_PACKETS]);
	assert_int_equal(st->messages, e->v[FEED_K_MESSAGES]);
	assert_int_equal(st->adds, e->v[FEED_K_ADDS]);
	assert_int_equal(st->trades, e->v[FEED_K_TRADES]);
	assert_int_equal(st->cancels, e->v[FEED_K_CANCELS]);
	assert_int_equal(st->gaps, e->v[FEED_K_GAPS]);
	assert_int_equal(st->missing, e->v[FEED_K_MISSING]);
	assert_int_equal(st->dups, e->v[FEED_K_DUPS]);
	assert_int_equal(st->dup_messages, e->v[FEED_K_DUP_MESSAGES]);
	assert_int_equal(st->bad, e->v[FEED_K_BAD]);
	for (r = 1; r < FEED_BAD_COUNT; r++)
		assert_int_equal(st->bad_by[r], e->v[FEED_K_BAD_REASON + r]);
	assert_int_equal(c->volume, e->v[FEED_K_TRADE_VOLUME]);
}

static void test_clean(void **state)
{
	struct feed_session *s = malloc(sizeof(*s));
	struct order_check c;
	struct feed_expect e;
	struct frames fr;

	(void)state;
	assert_non_null(s);
	generate(FEED_GEN_CLEAN, 1000, 1, &fr, &e);
	run_session(&fr, s, &c);
	check_exact(s, &c, &e);
	/* One gap, one duplicate, nothing bad: what the mode promises. */
	assert_int_equal(s->stats.gaps, 1);
	assert_true(s->stats.missing >= 1);
	assert_int_equal(s->stats.dups, 1);
	assert_int_equal(s->stats.bad, 0);
	assert_int_equal(s->stats.packets, 1000);
	frames_free(&fr);
	free(s);
}

static void test_bad(void **state)
{
	struct feed_session *s = malloc(sizeof(*s));
	struct order_check c;
	struct feed_expect e;
	struct frames fr;
	unsigned r;

	(void)state;
	assert_non_null(s);
	generate(FEED_GEN_BAD, 1000, 7, &fr, &e);
	run_session(&fr, s, &c);
	check_exact(s, &c, &e);
	for (r = 1; r < FEED_BAD_COUNT; r++)
		assert_int_equal(s->stats.bad_by[r], 2);
	/* The bad copies used no sequence numbers: still one gap. */
	assert_int_equal(s->stats.gaps, 1);
	frames_free(&fr);
	free(s);
}

/* Same seed, same frames; another seed, others. */
static void test_deterministic(void **state)
{
	struct feed_expect e1, e2, e3;
	struct frames a, b, d;
	size_t i, same = 0;

	(void)state;
	generate(FEED_GEN_FUZZ, 500, 42, &a, &e1);
	generate(FEED_GEN_FUZZ, 500, 42, &b, &e2);
	generate(FEED_GEN_FUZZ, 500, 43, &d, &e3);
	assert_int_equal(a.n, b.n);
	for (i = 0; i < a.n; i++) {
		assert_int_equal(a.len[i], b.len[i]);
		assert_memory_equal(a.buf[i], b.buf[i], a.len[i]);
	}
	for (i = 0; i < a.n && i < d.n; i++)
		same += a.len[i] == d.len[i] &&
			!memcmp(a.buf[i], d.buf[i], a.len[i]);
	assert_true(same < a.n);
	frames_free(&a);
	frames_free(&b);
	frames_free(&d);
}

static void test_fuzz(void **state)
{
	struct feed_session *s = malloc(sizeof(*s));
	uint64_t seed, messages = 0;

	(void)state;
	assert_non_null(s);
	for (seed = 1; seed <= 8; seed++) {
		struct order_check c;
		struct feed_expect e;
		struct frames fr;

		generate(FEED_GEN_FUZZ, 4000, seed, &fr, &e);
		run_session(&fr, s, &c);
		assert_int_equal(s->stats.packets, e.v[FEED_K_PACKETS]);
		assert_true(s->stats.bad >= e.v[FEED_K_BAD_MIN]);
		assert_true(e.v[FEED_K_BAD_MIN] > 400);
		messages += s->stats.messages;
		frames_free(&fr);
	}
	/*
	 * Corruption does not stop the feed, though a corrupted sequence
	 * number that still parses moves the session ahead and makes what
	 * follows duplicates (this format has no checksum of its own): some
	 * seeds deliver a tenth of the messages, others two thirds.
	 */
	assert_true(messages > 8 * 4000);
	free(s);
}

/* One valid frame from the generator, to corrupt by hand. */
static size_t valid_frame(uint8_t *out, size_t cap, unsigned *count)
{
	struct feed_expect e;
	struct frames fr;
	size_t len;

	generate(FEED_GEN_CLEAN, 1, 3, &fr, &e);
	assert_int_equal(fr.n, 1);
	len = fr.len[0];
	assert_true(len <= cap);
	memcpy(out, fr.buf[0], len);
	*count = (unsigned)e.v[FEED_K_MESSAGES];
	frames_free(&fr);
	return len;
}

static void fix_csum(uint8_t *f)
{
	feed_put16(f + 24, 0);
	feed_put16(f + 24, feed_ip_checksum(f + 14, 20));
}

/* Parses a heap copy of exactly len bytes of f. */
static enum feed_bad parse(const uint8_t *f, size_t len)
{
	static struct feed_packet pkt;
	uint8_t *copy = malloc(len ? len : 1);
	enum feed_bad rc;

	assert_non_null(copy);
	memcpy(copy, f, len);
	rc = feed_parse(copy, len, FEED_PORT_DEFAULT, &pkt);
	free(copy);
	return rc;
}

#define PAY 42 /* Ethernet + IPv4 + UDP */

static void test_refusals(void **state)
{
	uint8_t f[600], g[600];
	unsigned count;
	size_t len = valid_frame(f, sizeof(f), &count), n;

	(void)state;
	assert_int_equal(parse(f, len), FEED_BAD_NONE);
	/* Every cut is truncated, down to nothing. */
	for (n = 0; n < len; n++)
		assert_int_equal(parse(f, n), FEED_BAD_TRUNCATED);

	/* Ethernet padding after the IP datagram is allowed. */
	memcpy(g, f, len);
	memset(g + len, 0, 20);
	assert_int_equal(parse(g, len + 20), FEED_BAD_NONE);

	memcpy(g, f, len); /* an ARP frame */
	feed_put16(g + 12, 0x0806);
	assert_int_equal(parse(g, len), FEED_BAD_NOT_IPV4);

	memcpy(g, f, len); /* IHL 4 */
	g[14] = 0x44;
	fix_csum(g);
	assert_int_equal(parse(g, len), FEED_BAD_IP_HEADER);

	memcpy(g, f, len); /* version 6 in an IPv4 EtherType */
	g[14] = 0x65;
	assert_int_equal(parse(g, len), FEED_BAD_IP_HEADER);

	memcpy(g, f, len); /* IHL 15: 60 header bytes in a 34-byte frame */
	g[14] = 0x4f;
	assert_int_equal(parse(g, 34), FEED_BAD_TRUNCATED);

	memcpy(g, f, len); /* a first fragment (MF) */
	feed_put16(g + 20, 0x2000);
	fix_csum(g);
	assert_int_equal(parse(g, len), FEED_BAD_IP_HEADER);

	memcpy(g, f, len); /* IP total length below its header */
	feed_put16(g + 16, 19);
	fix_csum(g);
	assert_int_equal(parse(g, len), FEED_BAD_IP_HEADER);

	memcpy(g, f, len); /* no room for a UDP header */
	feed_put16(g + 16, 24);
	fix_csum(g);
	assert_int_equal(parse(g, len), FEED_BAD_UDP_LENGTH);

	memcpy(g, f, len);
	g[23] = 6; /* TCP */
	fix_csum(g);
	assert_int_equal(parse(g, len), FEED_BAD_NOT_UDP);

	memcpy(g, f, len);
	feed_put16(g + 36, FEED_PORT_DEFAULT + 1);
	assert_int_equal(parse(g, len), FEED_BAD_WRONG_PORT);

	memcpy(g, f, len);
	feed_put16(g + 38, 7);
	assert_int_equal(parse(g, len), FEED_BAD_UDP_LENGTH);

	/* Feed header: short, version, count 0 and too many, seq 0, and a
	 * seq whose last message would pass UINT64_MAX. */
	memcpy(g, f, len);
	feed_put16(g + 38, 8 + 15);
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);
	memcpy(g, f, len);
	g[PAY] = 0;
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);
	memcpy(g, f, len);
	feed_put16(g + PAY + 2, 0);
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);
	memcpy(g, f, len);
	feed_put16(g + PAY + 2, FEED_MAX_MSGS + 1);
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);
	memcpy(g, f, len);
	feed_put64(g + PAY + 8, 0);
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);
	memcpy(g, f, len);
	feed_put64(g + PAY + 8, UINT64_MAX - 1);
	assert_int_equal(parse(g, len), FEED_BAD_HEADER);

	/* Messages: one more than there are, one fewer (bytes left over),
	 * a length of 0, a length past the end, a wrong type, bad values. */
	memcpy(g, f, len);
	feed_put16(g + PAY + 2, (uint16_t)(count + 1));
	assert_int_equal(parse(g, len), FEED_BAD_MSG_LENGTH);
	if (count > 1) {
		memcpy(g, f, len);
		feed_put16(g + PAY + 2, (uint16_t)(count - 1));
		assert_int_equal(parse(g, len), FEED_BAD_MSG_LENGTH);
	}
	memcpy(g, f, len);
	feed_put16(g + PAY + 16, 0);
	assert_int_equal(parse(g, len), FEED_BAD_MSG_LENGTH);
	memcpy(g, f, len);
	feed_put16(g + PAY + 16, 0xffff);
	assert_int_equal(parse(g, len), FEED_BAD_MSG_LENGTH);
	memcpy(g, f, len);
	g[PAY + 18] = 'Q';
	assert_int_equal(parse(g, len), FEED_BAD_UNKNOWN_TYPE);
	memcpy(g, f, len); /* a trade's length on an add, or the reverse */
	feed_put16(g + PAY + 16,
		   g[PAY + 18] == FEED_TRADE ? FEED_ADD_LEN : FEED_TRADE_LEN);
	assert_int_equal(parse(g, len), FEED_BAD_MSG_LENGTH);
	memcpy(g, f, len);
	g[PAY + 19] = 'b';
	assert_int_equal(parse(g, len), FEED_BAD_VALUE);
	memcpy(g, f, len);
	feed_put32(g + PAY + 16 + 24, 0); /* qty */
	assert_int_equal(parse(g, len), FEED_BAD_VALUE);
	memcpy(g, f, len);
	g[PAY + 16 + 14] = '\n'; /* in the symbol */
	assert_int_equal(parse(g, len), FEED_BAD_VALUE);
}

/* Overlaps, duplicates, gaps and jumps through the session. */
static void test_session(void **state)
{
	struct feed_session *s = malloc(sizeof(*s));
	struct order_check c = { 0 };
	uint8_t f[600], g[600];
	unsigned count;
	size_t len = valid_frame(f, sizeof(f), &count);
	enum feed_bad rc;

	(void)state;
	assert_non_null(s);
	feed_session_init(s, FEED_PORT_DEFAULT);
	/* The feed starts at 1; the frame carries 1 .. count. */
	rc = feed_ingest(s, f, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_NONE);
	assert_int_equal(c.delivered, count);
	/* Sent again: a duplicate, nothing delivered. */
	rc = feed_ingest(s, f, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_NONE);
	assert_int_equal(s->stats.dups, 1);
	assert_int_equal(s->stats.dup_messages, count);
	assert_int_equal(c.delivered, count);
	/* Starting one before the next: all but the first is new. */
	memcpy(g, f, len);
	feed_put64(g + PAY + 8, count);
	rc = feed_ingest(s, g, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_NONE);
	assert_int_equal(s->stats.dup_messages, count + 1);
	assert_int_equal(c.delivered, 2 * count - 1);
	assert_int_equal(s->stats.gaps, 0);
	/* 10 ahead: a gap of 10. */
	feed_put64(g + PAY + 8, s->next_seq + 10);
	rc = feed_ingest(s, g, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_NONE);
	assert_int_equal(s->stats.gaps, 1);
	assert_int_equal(s->stats.missing, 10);
	/* Too far ahead: corruption, not loss; the session stays put. */
	feed_put64(g + PAY + 8, s->next_seq + FEED_MAX_JUMP + 1);
	rc = feed_ingest(s, g, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_SEQ_JUMP);
	feed_put64(g + PAY + 8, s->next_seq + FEED_MAX_JUMP);
	rc = feed_ingest(s, g, len, on_event, &c);
	assert_int_equal(rc, FEED_BAD_NONE);
	assert_int_equal(s->stats.missing, 10 + FEED_MAX_JUMP);
	assert_int_equal(c.violations, 0);
	assert_int_equal(s->stats.bad_by[FEED_BAD_SEQ_JUMP], 1);
	free(s);
}

/* The pcap writer and reader agree, byte for byte. */
static void test_pcap(void **state)
{
	struct feed_pcap_reader r;
	struct feed_expect e;
	struct frames fr;
	uint8_t buf[FEED_PCAP_SNAPLEN];
	FILE *f = tmpfile();
	size_t i, len;

	(void)state;
	assert_non_null(f);
	generate(FEED_GEN_BAD, 300, 5, &fr, &e);
	assert_int_equal(feed_pcap_write_header(f), 0);
	for (i = 0; i < fr.n; i++)
		assert_int_equal(
		    feed_pcap_write_frame(f, 1000000 + i, fr.buf[i], fr.len[i]),
		    0);
	rewind(f);
	assert_int_equal(feed_pcap_open(&r, f), 0);
	for (i = 0; i < fr.n; i++) {
		assert_int_equal(feed_pcap_next(&r, buf, sizeof(buf), &len), 1);
		assert_int_equal(len, fr.len[i]);
		assert_memory_equal(buf, fr.buf[i], len);
	}
	assert_int_equal(feed_pcap_next(&r, buf, sizeof(buf), &len), 0);
	fclose(f);
	frames_free(&fr);
}

/* The programs' numbers: all of it a number, in range, or refused. */
static void test_parse_u64(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(feed_parse_u64("64", 64, &v), 0);
	assert_int_equal(v, 64);
	assert_int_equal(feed_parse_u64("0x10", 64, &v), 0);
	assert_int_equal(v, 16);
	v = 7;
	assert_int_equal(feed_parse_u64("65", 64, &v), -1);
	assert_int_equal(feed_parse_u64("abc", 64, &v), -1);
	assert_int_equal(feed_parse_u64("12x", 64, &v), -1);
	assert_int_equal(feed_parse_u64("-1", UINT64_MAX, &v), -1);
	assert_int_equal(feed_parse_u64("", 64, &v), -1);
	assert_int_equal(feed_parse_u64(NULL, 64, &v), -1);
	assert_int_equal(feed_parse_u64("99999999999999999999", UINT64_MAX, &v),
			 -1);
	assert_int_equal(v, 7); /* untouched when refused */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_pcap),
		cmocka_unit_test(test_parse_u64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
