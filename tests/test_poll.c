/* SPDX-License-Identifier: MIT */
/*
 * Sequence numbers (photon_subscriber_position) and batch receive
 * (photon_poll, photon_group_poll, the typed prefix_poll): order, the
 * sequence handed with each message, stopping, lag as a jump in seq, the
 * close, the position published once per batch, large messages, and a
 * cross-thread run whose accounting must come out exact.
 */
#include <string.h>

#include "util.h"

struct quote {
	uint64_t seq;
	double px;
	uint32_t qty;
};
PHOTON_DEFINE_TYPED(quote, struct quote);

/* What a handler saw. */
struct seen {
	uint64_t n;
	uint64_t seq[256];
	uint64_t val[256];
	uint64_t stop_after; /* 0: never stop */
};

static int record(void *ctx, const void *msg, uint64_t seq)
{
	struct seen *s = ctx;
	uint64_t v;

	memcpy(&v, msg, sizeof(v));
	if (s->n < 256) {
		s->seq[s->n] = seq;
		s->val[s->n] = v;
	}
	s->n++;
	return s->stop_after && s->n == s->stop_after;
}

static void publish_range(struct photon_publisher *p, uint64_t from,
			  uint64_t to)
{
	for (; from < to; from++)
		assert_rc(photon_publish(p, &from), PHOTON_OK);
}

static void test_position(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t v;

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	publish_range(p, 0, 3);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_int_equal(photon_subscriber_position(s), 3); /* future only */
	publish_range(p, 3, 5);
	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	/* The message received was position - 1. */
	assert_int_equal(photon_subscriber_position(s) - 1, v);
	publish_range(p, 5, 12);
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	assert_int_equal(photon_subscriber_position(s), 8); /* oldest held */
	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 8);
	assert_int_equal(photon_subscriber_position(s), 9);
	assert_int_equal(photon_subscriber_position(NULL), 0);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* In order, with each message's sequence; limit, stop, 0 when empty. */
static void test_poll_order_limit_stop(void **state)
{
	static const size_t caps[] = { 16, 12 }; /* mask and multiply-shift */
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		struct photon_channel *ch;
		struct photon_publisher *p;
		struct photon_subscriber *s;
		struct seen seen = { 0 };
		uint64_t i;

		assert_rc(photon_channel_create(&ch, caps[k], 8), PHOTON_OK);
		assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		assert_int_equal(photon_poll(s, record, &seen, 8), 0);
		publish_range(p, 0, 10);
		assert_int_equal(photon_poll(s, record, &seen, 0), 0);
		assert_int_equal(photon_poll(s, record, &seen, 4), 4);
		assert_int_equal(photon_subscriber_position(s), 4);
		seen.stop_after = 6; /* the second of the next batch */
		assert_int_equal(photon_poll(s, record, &seen, 100), 2);
		assert_int_equal(photon_subscriber_position(s), 6);
		seen.stop_after = 0;
		assert_int_equal(photon_poll(s, record, &seen, 100), 4);
		assert_int_equal(photon_poll(s, record, &seen, 100), 0);
		assert_int_equal(seen.n, 10);
		for (i = 0; i < 10; i++) {
			assert_int_equal(seen.seq[i], i);
			assert_int_equal(seen.val[i], i);
		}
		assert_int_equal(photon_subscriber_received(s), 10);
		photon_subscriber_close(s);
		photon_publisher_close(p);
		photon_channel_release(ch);
	}
}

/* Lag is skipped, counted, and shows as a jump in seq; the close comes
 * after the last message (the count first, CLOSED on the next call). */
static void test_poll_lag_and_close(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct seen seen = { 0 };
	uint64_t i;

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	publish_range(p, 0, 10); /* 0..5 are lost for a reader at 0 */
	photon_publisher_close(p);
	assert_int_equal(photon_poll(s, record, &seen, 100), 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(seen.seq[i], 6 + i);
		assert_int_equal(seen.val[i], 6 + i);
	}
	assert_int_equal(photon_subscriber_lagged(s), 6);
	assert_int_equal(photon_subscriber_last_skipped(s), 6);
	assert_int_equal(photon_poll(s, record, &seen, 100), PHOTON_CLOSED);
	assert_int_equal(photon_poll(s, record, &seen, 100), PHOTON_CLOSED);
	assert_int_equal(photon_poll(NULL, record, &seen, 1), PHOTON_EINVAL);
	assert_int_equal(photon_poll(s, NULL, &seen, 1), PHOTON_EINVAL);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static int try_publish_inside(void *ctx, const void *msg, uint64_t seq)
{
	struct photon_publisher *p = ctx;
	uint64_t v = 100 + seq;

	(void)msg;
	/* The batch's position is not published yet: still full. */
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	return 0;
}

/* Bounded: the reader's position reaches the gate once, at the end of the
 * batch (what makes a batch cheaper than the same receives one by one). */
static void test_poll_position_once_per_batch(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t v = 0;

	(void)state;
	assert_rc(photon_channel_create_bounded(&ch, 8, 8, 0), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	publish_range(p, 0, 8);
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	assert_int_equal(photon_poll(s, try_publish_inside, p, 8), 8);
	v = 8;
	assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

struct big_seen {
	uint64_t n, bad;
};

static int check_big(void *ctx, const void *msg, uint64_t seq)
{
	struct big_seen *b = ctx;
	const unsigned char *m = msg;
	size_t i;

	for (i = 0; i < 4096; i++)
		if (m[i] != (unsigned char)(seq + i))
			b->bad++;
	b->n++;
	return 0;
}

/* A 4 KiB message is copied into the handle's buffer, whole. */
static void test_poll_large(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct big_seen b = { 0, 0 };
	unsigned char msg[4096];
	uint64_t k;
	size_t i;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, sizeof(msg)), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (k = 0; k < 5; k++) {
		for (i = 0; i < sizeof(msg); i++)
			msg[i] = (unsigned char)(k + i);
		assert_rc(photon_publish(p, msg), PHOTON_OK);
	}
	assert_int_equal(photon_poll(s, check_big, &b, 10), 5);
	assert_int_equal(b.n, 5);
	assert_int_equal(b.bad, 0);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static int quote_handler(void *ctx, const struct quote *q, uint64_t seq)
{
	uint64_t *n = ctx;

	assert_int_equal(q->seq, seq);
	assert_true(q->px == (double)seq / 2);
	(*n)++;
	return 0;
}

/* The typed form: a const struct quote * handler; groups too. */
static void test_typed_and_group_poll(void **state)
{
	struct photon_channel *ch, *other;
	struct photon_publisher *p;
	struct photon_subscriber *s, *wrong;
	struct photon_group *g;
	uint64_t n = 0, i;

	(void)state;
	assert_rc(quote_channel_create(&ch, 16), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	for (i = 0; i < 6; i++) {
		struct quote q = { i, (double)i / 2, 100 };

		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_int_equal(quote_poll(s, quote_handler, &n, 10), 6);
	assert_int_equal(n, 6);
	assert_int_equal(quote_group_poll(g, quote_handler, &n, 4), 4);
	assert_int_equal(photon_group_position(g), 4);
	assert_int_equal(quote_group_poll(g, quote_handler, &n, 4), 2);
	assert_int_equal(n, 12);
	/* Another size: EINVAL, as every typed call. */
	assert_rc(photon_channel_create(&other, 8, 8), PHOTON_OK);
	assert_rc(photon_subscribe(other, &wrong), PHOTON_OK);
	assert_int_equal(quote_poll(wrong, quote_handler, &n, 1),
			 PHOTON_EINVAL);
	photon_subscriber_close(wrong);
	photon_channel_release(other);
	photon_group_close(g);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

#define XT_N 2000000u

struct xt {
	struct photon_channel *ch;
	uint64_t last, got, errors;
};

static int xt_check(void *ctx, const void *msg, uint64_t seq)
{
	struct xt *x = ctx;
	uint64_t v;

	memcpy(&v, msg, sizeof(v));
	/* Never torn, never out of order, the payload is its sequence. */
	if (v != seq || (x->got && seq <= x->last))
		x->errors++;
	x->last = seq;
	x->got++;
	return 0;
}

static void *xt_publisher(void *arg)
{
	struct xt *x = arg;
	struct photon_publisher *p;
	uint64_t i;

	assert_rc(photon_publisher_open(x->ch, &p), PHOTON_OK);
	for (i = 0; i < XT_N; i++)
		photon_publish(p, &i);
	photon_publisher_close(p);
	return NULL;
}

/* Lossy, across threads, a small ring: every message is delivered in
 * order or counted as lagged, exactly. */
static void test_poll_cross_thread(void **state)
{
	struct xt x = { 0 };
	struct photon_subscriber *s;
	pthread_t t;
	long r;

	(void)state;
	assert_rc(photon_channel_create(&x.ch, 64, 8), PHOTON_OK);
	assert_rc(photon_subscribe(x.ch, &s), PHOTON_OK);
	spawn(&t, xt_publisher, &x);
	while ((r = photon_poll(s, xt_check, &x, 32)) != PHOTON_CLOSED)
		assert_true(r >= 0 && r <= 32);
	join(t);
	assert_int_equal(x.errors, 0);
	assert_int_equal(x.got, photon_subscriber_received(s));
	assert_int_equal(x.got + photon_subscriber_lagged(s), XT_N);
	assert_int_equal(photon_subscriber_position(s), XT_N);
	photon_subscriber_close(s);
	photon_channel_release(x.ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_position),
		cmocka_unit_test(test_poll_order_limit_stop),
		cmocka_unit_test(test_poll_lag_and_close),
		cmocka_unit_test(test_poll_position_once_per_batch),
		cmocka_unit_test(test_poll_large),
		cmocka_unit_test(test_typed_and_group_poll),
		cmocka_unit_test(test_poll_cross_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
