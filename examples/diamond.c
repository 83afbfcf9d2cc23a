/* SPDX-License-Identifier: MIT */
/*
 * diamond: fan-out then fan-in, A -> {B, C} -> D.
 *
 *   quotes (A, source)  makes quote k: bid and ask in cents, from k alone
 *   mid    (B)          2 x the mid price (bid + ask), exact in integers
 *   spread (C)          ask - bid, and the quote's size imbalance
 *   book   (D, join)    gets B's and C's results for the same quote
 *                       joined on its sequence, rebuilds bid and ask from
 *                       them ((mid2 - spread) / 2, (mid2 + spread) / 2)
 *                       and checks them against quote k
 *
 * A's output is one broadcast channel that B and C both read; D subscribes
 * to B's and C's channels and the topology pairs their messages by
 * sequence. Links are lossless unless --lossy: then B's and C's outputs may
 * overrun D, which pairs what survives, and the topology counts what was
 * lost (lagged) and what lost its partner (unmatched).
 *
 *   diamond [--messages N] [--capacity C] [--lossy] [--pin] [--park]
 *
 * Idle stages spin briefly, then sleep (the topology's default idle
 * policy); --park makes them park on a futex the publisher wakes instead.
 *
 * Exit status: 0 when every joined pair rebuilt its quote exactly (and,
 * lossless, every quote was joined, in order), 1 when not, 2 on bad
 * arguments or setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#endif
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <photon/photon.h>

struct quote {
	int64_t bid; /* cents */
	int64_t ask;
	uint32_t bid_size;
	uint32_t ask_size;
};

struct mid {
	int64_t mid2; /* bid + ask: twice the mid, no rounding */
};

struct spread {
	int64_t spread;	   /* ask - bid */
	int64_t imbalance; /* bid_size - ask_size */
};

static struct {
	uint64_t messages;
	uint64_t capacity;
	int lossy;
	int pin;
	int park;
} cfg = { .messages = 5000000, .capacity = 1024 };

static struct quote make_quote(uint64_t k)
{
	uint64_t h = (k + 1) * 0xd6e8feb86659fd93ull;

	h ^= h >> 32;
	return (struct quote){ .bid = 10000 + (int64_t)(h % 5000),
			       .ask = 10000 + (int64_t)(h % 5000) + 1 +
				      (int64_t)((h >> 16) % 20),
			       .bid_size = (uint32_t)(h >> 40) % 500,
			       .ask_size = (uint32_t)(h >> 48) % 500 };
}

static int quotes(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct quote q;

	(void)ctx;
	(void)in;
	if (seq == cfg.messages)
		return PHOTON_STAGE_END;
	q = make_quote(seq);
	memcpy(out, &q, sizeof(q));
	return PHOTON_OK;
}

static int mid(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct quote q;
	struct mid m;

	(void)ctx;
	(void)seq;
	memcpy(&q, in[0], sizeof(q));
	m.mid2 = q.bid + q.ask;
	memcpy(out, &m, sizeof(m));
	return PHOTON_OK;
}

static int spread(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct quote q;
	struct spread s;

	(void)ctx;
	(void)seq;
	memcpy(&q, in[0], sizeof(q));
	s.spread = q.ask - q.bid;
	s.imbalance = (int64_t)q.bid_size - (int64_t)q.ask_size;
	memcpy(out, &s, sizeof(s));
	return PHOTON_OK;
}

/* Written by the book thread, read after photon_topology_wait. */
struct book {
	uint64_t joined;
	uint64_t next;
	uint64_t errors;
	int64_t last_bid, last_ask;
};

/* in[0] is B's output, in[1] C's: the order the links were made. */
static int book(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct book *b = ctx;
	struct quote q = make_quote(seq);
	struct mid m;
	struct spread s;
	int64_t bid, ask;

	(void)out;
	memcpy(&m, in[0], sizeof(m));
	memcpy(&s, in[1], sizeof(s));
	bid = (m.mid2 - s.spread) / 2;
	ask = (m.mid2 + s.spread) / 2;
	if (seq < b->next || (!cfg.lossy && seq != b->next) || bid != q.bid ||
	    ask != q.ask ||
	    s.imbalance != (int64_t)q.bid_size - (int64_t)q.ask_size)
		b->errors++;
	b->next = seq + 1;
	b->last_bid = bid;
	b->last_ask = ask;
	b->joined++;
	return PHOTON_OK;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: diamond [--messages N] [--capacity C] [--lossy] "
		   "[--pin] [--park]\n"
		   "  --messages N  quotes through the diamond (5000000)\n"
		   "  --capacity C  slots per link (1024)\n"
		   "  --lossy       lossy links (default: lossless)\n"
		   "  --pin         pin the stages round-robin to the "
		   "available CPUs\n"
		   "  --park        idle stages park (PHOTON_WAIT_PARK) "
		   "instead of sleeping\n");
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--lossy")) {
			cfg.lossy = 1;
		} else if (!strcmp(a, "--pin")) {
			cfg.pin = 1;
		} else if (!strcmp(a, "--park")) {
			cfg.park = 1;
		} else if (parse_u64(v, &x) != 0) {
			return -1;
		} else if (!strcmp(a, "--messages") && x > 0) {
			cfg.messages = x;
			i++;
		} else if (!strcmp(a, "--capacity")) {
			cfg.capacity = x;
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

static unsigned cpu_for(unsigned n)
{
	cpu_set_t set;
	unsigned cpus[CPU_SETSIZE], count = 0, i;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[count++] = i;
	return count ? cpus[n % count] : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static struct book b;
	struct photon_stage_opts opts[4] = {
		{ .name = "quotes",
		  .fn = quotes,
		  .out_size = sizeof(struct quote) },
		{ .name = "mid", .fn = mid, .out_size = sizeof(struct mid) },
		{ .name = "spread",
		  .fn = spread,
		  .out_size = sizeof(struct spread) },
		{ .name = "book", .fn = book, .ctx = &b },
	};
	enum { A, B, C, D };
	struct photon_topology *t;
	unsigned id[4], i;
	double t0, secs;
	int rc, ok;

	if (parse_args(argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	rc = photon_topology_create(&t);
	for (i = 0; i < 4 && rc == PHOTON_OK; i++) {
		opts[i].capacity = cfg.capacity;
		/* The source's link stays lossless: B and C see every
		 * quote, only their outputs may overrun D. */
		opts[i].link = cfg.lossy && i != A ? PHOTON_LINK_LOSSY
						   : PHOTON_LINK_LOSSLESS;
		if (cfg.park)
			opts[i].wait.kind = PHOTON_WAIT_PARK;
		if (cfg.pin) {
			opts[i].flags = PHOTON_STAGE_PIN;
			opts[i].cpu = cpu_for(i);
		}
		rc = photon_topology_add_stage(t, &opts[i], &id[i]);
	}
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[A], id[B]);
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[A], id[C]);
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[B], id[D]); /* in[0] */
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[C], id[D]); /* in[1] */
	t0 = now_s();
	if (rc == PHOTON_OK)
		rc = photon_topology_start(t);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "setup: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		photon_topology_destroy(t);
		return 2;
	}

	rc = photon_topology_wait(t);
	secs = now_s() - t0;
	printf("diamond: %" PRIu64 " quotes, %s links, %.3f s, %.1f M/s\n",
	       cfg.messages, cfg.lossy ? "lossy" : "lossless", secs,
	       (double)b.joined / secs / 1e6);
	for (i = 0; i < 4; i++) {
		struct photon_stage_stats s;

		photon_topology_stage_stats(t, id[i], &s);
		printf("  %-6s processed %10" PRIu64 "  lagged %8" PRIu64
		       "  unmatched %8" PRIu64 "  full %8" PRIu64
		       "  sleeps %8" PRIu64 "\n",
		       photon_topology_stage_name(t, id[i]), s.processed,
		       s.lagged, s.unmatched, s.full, s.sleeps);
	}
	if (rc != PHOTON_OK)
		printf("  failure: %s\n", photon_last_error_message());
	printf("  book joined %" PRIu64 " quotes, %" PRIu64
	       " errors; last %" PRId64 "/%" PRId64 "\n",
	       b.joined, b.errors, b.last_bid, b.last_ask);

	ok = rc == PHOTON_OK && b.errors == 0 &&
	     (cfg.lossy ? b.joined <= cfg.messages : b.joined == cfg.messages);
	photon_topology_destroy(t);
	printf("diamond: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
