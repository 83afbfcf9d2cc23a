/* SPDX-License-Identifier: MIT */
/* Subscriber groups (SPEC 2.4): n logical consumers behind one cursor. */
#include <string.h>

#include "util.h"

#include "testing.h"

static void publish_range(struct photon_publisher *p, uint64_t from,
			  uint64_t to)
{
	uint64_t v;

	for (v = from; v < to; v++)
		assert_rc(photon_publish(p, &v), PHOTON_OK);
}

static void expect_range(struct photon_group *g, uint64_t from, uint64_t to)
{
	uint64_t v, got;

	for (v = from; v < to; v++) {
		got = UINT64_MAX;
		assert_rc(photon_group_try_recv(g, &got), PHOTON_OK);
		assert_int_equal(got, v);
	}
}

/* A lossy uint64_t channel with its publisher open. */
static void open_lossy(size_t capacity, struct photon_channel **ch,
		       struct photon_publisher **p)
{
	assert_rc(photon_channel_create(ch, capacity, sizeof(uint64_t)),
		  PHOTON_OK);
	assert_rc(photon_publisher_open(*ch, p), PHOTON_OK);
}

static void test_bad_input(void **state)
{
	struct photon_channel *ch;
	struct photon_group *g = (struct photon_group *)&g;
	uint64_t v = 0;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, sizeof(uint64_t)), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 0, &g), PHOTON_EINVAL);
	assert_null(g);
	assert_non_null(photon_last_error_message());
	assert_true(photon_last_error_message()[0] != '\0');
	assert_rc(photon_group_subscribe(NULL, 2, &g), PHOTON_EINVAL);
	assert_rc(photon_group_subscribe(ch, 2, NULL), PHOTON_EINVAL);

	/* NULL group: EINVAL from the reads, 0 from the getters. */
	assert_rc(photon_group_try_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_group_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_group_recv_with(NULL, &v, NULL), PHOTON_EINVAL);
	assert_int_equal(photon_group_size(NULL), 0);
	assert_int_equal(photon_group_received(NULL), 0);
	assert_int_equal(photon_group_lagged(NULL), 0);
	assert_int_equal(photon_group_last_skipped(NULL), 0);
	assert_int_equal(photon_group_pending(NULL), 0);
	assert_true(photon_group_receive_ratio(NULL) == 0.0);
	photon_group_close(NULL); /* no-op */

	/* NULL out pointer; a bad wait strategy. */
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);
	assert_rc(photon_group_try_recv(g, NULL), PHOTON_EINVAL);
	assert_rc(photon_group_recv(g, NULL), PHOTON_EINVAL);
	assert_rc(
	    photon_group_recv_with(
		g, &v,
		&(struct photon_wait){ .kind = (enum photon_wait_kind)42 }),
	    PHOTON_EINVAL);
	photon_group_close(g);
	photon_channel_release(ch);
}

static void test_size(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 10, 1000, 1u << 20 };
	struct photon_channel *ch;
	struct photon_group *g;
	size_t i;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, sizeof(uint64_t)), PHOTON_OK);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		assert_rc(photon_group_subscribe(ch, sizes[i], &g), PHOTON_OK);
		assert_non_null(g);
		assert_int_equal(photon_group_size(g), sizes[i]);
		photon_group_close(g);
	}
	photon_channel_release(ch);
}

static void test_every_message_once_in_order(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v;

	(void)state;
	open_lossy(16, &ch, &p);
	/* Future only: what came before the group is not seen. */
	publish_range(p, 100, 105);
	assert_rc(photon_group_subscribe(ch, 4, &g), PHOTON_OK);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_EMPTY);

	publish_range(p, 0, 10);
	expect_range(g, 0, 10);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_EMPTY);
	/* Interleaved, over several laps of the ring. */
	for (v = 10; v < 100; v++) {
		uint64_t got = UINT64_MAX;

		assert_rc(photon_publish(p, &v), PHOTON_OK);
		assert_rc(photon_group_try_recv(g, &got), PHOTON_OK);
		assert_int_equal(got, v);
		assert_rc(photon_group_try_recv(g, &got), PHOTON_EMPTY);
	}

	/* After the close: drain, then CLOSED from every read. */
	publish_range(p, 100, 103);
	photon_publisher_close(p);
	expect_range(g, 100, 103);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_CLOSED);
	assert_rc(photon_group_recv(g, &v), PHOTON_CLOSED);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_CLOSED);

	photon_group_close(g);
	photon_channel_release(ch);
}

static void test_counters_count_once(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	struct photon_subscriber *s;

	(void)state;
	open_lossy(16, &ch, &p);
	assert_rc(photon_group_subscribe(ch, 5, &g), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_int_equal(photon_group_received(g), 0);
	assert_true(photon_group_receive_ratio(g) == 0.0);

	publish_range(p, 0, 10);
	expect_range(g, 0, 10);
	/* Ten messages, five members: ten, not fifty. */
	assert_int_equal(photon_group_received(g), 10);
	assert_int_equal(photon_group_lagged(g), 0);
	assert_int_equal(photon_group_last_skipped(g), 0);
	assert_true(photon_group_receive_ratio(g) == 1.0);

	/* An independent subscriber keeps its own cursor and counters. */
	assert_int_equal(photon_subscriber_received(s), 0);
	assert_int_equal(photon_pending(s), 10);
	{
		uint64_t v;

		assert_rc(photon_try_recv(s, &v), PHOTON_OK);
		assert_int_equal(v, 0);
	}
	assert_int_equal(photon_subscriber_received(s), 1);
	assert_int_equal(photon_group_received(g), 10);

	photon_subscriber_close(s);
	photon_group_close(g);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_lag_arithmetic(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v;

	(void)state;
	/* Capacity 4, six published: LAGGED skipped 2, then 2..5. */
	open_lossy(4, &ch, &p);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	publish_range(p, 0, 6);
	assert_int_equal(photon_group_pending(g), 4);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	assert_int_equal(photon_group_last_skipped(g), 2);
	assert_int_equal(photon_group_lagged(g), 2);
	expect_range(g, 2, 6);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_EMPTY);
	assert_int_equal(photon_group_received(g), 4);
	assert_true(photon_group_receive_ratio(g) == 4.0 / 6.0);
	photon_group_close(g);
	photon_publisher_close(p);
	photon_channel_release(ch);

	/* Capacity 4, a hundred published: skipped 96, then 96..99. */
	open_lossy(4, &ch, &p);
	assert_rc(photon_group_subscribe(ch, 7, &g), PHOTON_OK);
	publish_range(p, 0, 100);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	assert_int_equal(photon_group_last_skipped(g), 96);
	assert_int_equal(photon_group_lagged(g), 96);
	expect_range(g, 96, 100);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_EMPTY);
	assert_int_equal(photon_group_received(g), 4);

	/* A second lap adds to the total; last_skipped is the last one. */
	publish_range(p, 100, 110);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	assert_int_equal(photon_group_last_skipped(g), 6);
	assert_int_equal(photon_group_lagged(g), 102);
	expect_range(g, 106, 110);
	assert_int_equal(photon_group_received(g), 8);
	assert_true(photon_group_receive_ratio(g) == 8.0 / 110.0);
	photon_group_close(g);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_pending(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v;

	(void)state;
	open_lossy(8, &ch, &p);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);
	assert_int_equal(photon_group_pending(g), 0);
	publish_range(p, 0, 3);
	assert_int_equal(photon_group_pending(g), 3);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	assert_int_equal(photon_group_pending(g), 2);
	expect_range(g, 1, 3);
	assert_int_equal(photon_group_pending(g), 0);
	/* Capped at the capacity once the group is lapped. */
	publish_range(p, 3, 50);
	assert_int_equal(photon_group_pending(g), 8);
	photon_group_close(g);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_bounded_gates_as_one(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v;

	(void)state;
	/* Capacity 8, watermark 2: six outstanding, whatever n is. */
	assert_rc(photon_channel_create_bounded(&ch, 8, sizeof(uint64_t), 2),
		  PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 5, &g), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < 6; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	assert_int_equal(photon_publisher_sequence(p), 6);

	/* One read by the group makes room for exactly one more. */
	expect_range(g, 0, 1);
	v = 6;
	assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	v = 7;
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);

	/* Draining gives the room back; nothing was lost. */
	expect_range(g, 1, 7);
	for (v = 7; v < 13; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	expect_range(g, 7, 13);
	assert_int_equal(photon_group_lagged(g), 0);
	assert_int_equal(photon_group_received(g), 13);

	photon_publisher_close(p);
	photon_group_close(g);
	photon_channel_release(ch);
}

static void test_bounded_slowest_rules(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	struct photon_subscriber *s;
	uint64_t v;

	(void)state;
	/* A group and a plain subscriber: the slower one gates. */
	assert_rc(photon_channel_create_bounded(&ch, 4, sizeof(uint64_t), 0),
		  PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < 4; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	expect_range(g, 0, 4);
	/* The subscriber has read nothing: still full. */
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	{
		uint64_t got;

		assert_rc(photon_try_recv(s, &got), PHOTON_OK);
		assert_int_equal(got, 0);
	}
	assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	v++;
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);

	photon_subscriber_close(s);
	photon_group_close(g);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_close_releases_publisher(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v;

	(void)state;
	assert_rc(photon_channel_create_bounded(&ch, 4, sizeof(uint64_t), 0),
		  PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < 4; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);

	/* The group never reads; closing it stops it gating at once. */
	photon_group_close(g);
	assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	/* No consumer left: publishing is unlimited. */
	for (v = 5; v < 20; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(p), 21);

	photon_publisher_close(p);
	photon_channel_release(ch);
}

/*
 * test_recv_blocking's wait points (PHOTON_TESTING). The armed action
 * (publish a value, or close the channel) runs synchronously from inside
 * the receiver's wait: the receive had polled EMPTY and was about to wait
 * (READER_PAUSE), or about to sleep (PARK_SLEEP), when the message came.
 * The spin strategies take no such step; for them the point is the clock
 * of a deadline that never passes, read after an empty poll and then every
 * 64 polls: the action runs at the second read.
 */
enum blk_action { BLK_NONE, BLK_PUBLISH, BLK_CLOSE };

static struct {
	struct photon_publisher *p;
	enum photon__test_point at;
	enum blk_action action;
	uint64_t value;
	unsigned points; /* times the receiver reached the point */
} blk;

static void blk_arm(enum blk_action action, uint64_t value,
		    enum photon__test_point at)
{
	blk.action = action;
	blk.value = value;
	blk.at = at;
	blk.points = 0;
}

static void blk_act(void)
{
	if (blk.action == BLK_PUBLISH) {
		assert_rc(photon_publish(blk.p, &blk.value), PHOTON_OK);
	} else if (blk.action == BLK_CLOSE) {
		photon_publisher_close(blk.p);
		blk.p = NULL;
	}
	blk.action = BLK_NONE;
}

static void blk_hook(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point != blk.at)
		return;
	blk.points++;
	if (blk.action != BLK_NONE)
		blk_act();
}

static uint64_t blk_clock(void)
{
	if (++blk.points == 2 && blk.action != BLK_NONE)
		blk_act();
	return 1;
}

/* The armed action ran, so the receive was waiting when it did. */
static void assert_blocked(void)
{
	assert_int_equal(blk.action, BLK_NONE);
	assert_true(blk.points >= 1);
}

static int teardown_hooks(void **state)
{
	(void)state;
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&photon__test_clock, NULL, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Blocking group receives wait for a message published only after they
 * found none: the default receive and each strategy, then lag is hidden
 * but counted, and a blocked receive returns CLOSED when the channel
 * closes.
 */
static void test_recv_blocking(void **state)
{
	static const struct {
		struct photon_wait w;
		enum photon__test_point at;
	} waiting[] = {
		{ { .kind = PHOTON_WAIT_ADAPTIVE }, PHOTON__TP_READER_PAUSE },
		{ { .kind = PHOTON_WAIT_ADAPTIVE,
		    .spin_iters = 3,
		    .yield_iters = 2 },
		  PHOTON__TP_READER_PAUSE },
		{ { .kind = PHOTON_WAIT_MONITOR }, PHOTON__TP_READER_PAUSE },
		{ { .kind = PHOTON_WAIT_PARK,
		    .spin_iters = 1,
		    .yield_iters = 1 },
		  PHOTON__TP_PARK_SLEEP },
	};
	static const enum photon_wait_kind spinning[] = {
		PHOTON_WAIT_BUSY_SPIN, PHOTON_WAIT_YIELD_SPIN,
		PHOTON_WAIT_BACKOFF_SPIN
	};
	struct photon_channel *ch;
	struct photon_group *g;
	struct photon_wait w = { 0 };
	uint64_t v, got, n = 0;
	size_t i;

	(void)state;
	memset(&blk, 0, sizeof(blk));
	open_lossy(8, &ch, &blk.p);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, blk_hook, __ATOMIC_RELEASE);

	blk_arm(BLK_PUBLISH, 41, PHOTON__TP_READER_PAUSE);
	got = 0;
	assert_rc(photon_group_recv(g, &got), PHOTON_OK);
	assert_blocked();
	assert_int_equal(got, 41);
	n++;
	for (i = 0; i < sizeof(waiting) / sizeof(waiting[0]); i++) {
		blk_arm(BLK_PUBLISH, 50 + i, waiting[i].at);
		got = 0;
		assert_rc(photon_group_recv_with(g, &got, &waiting[i].w),
			  PHOTON_OK);
		assert_blocked();
		assert_int_equal(got, 50 + i);
		n++;
	}
	blk_arm(BLK_PUBLISH, 60, PHOTON__TP_READER_PAUSE);
	got = 0;
	assert_rc(photon_group_recv_with(g, &got, NULL), PHOTON_OK);
	assert_blocked();
	assert_int_equal(got, 60);
	n++;

	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&photon__test_clock, blk_clock, __ATOMIC_RELEASE);
	for (i = 0; i < sizeof(spinning) / sizeof(spinning[0]); i++) {
		blk_arm(BLK_PUBLISH, 70 + i, PHOTON__TP_READER_PAUSE);
		w.kind = spinning[i];
		got = 0;
		assert_rc(photon_group_recv_deadline(g, &got, &w, UINT64_MAX),
			  PHOTON_OK);
		assert_blocked();
		assert_int_equal(blk.points, 2);
		assert_int_equal(got, 70 + i);
		n++;
	}
	__atomic_store_n(&photon__test_clock, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&photon__test_hook, blk_hook, __ATOMIC_RELEASE);
	assert_int_equal(photon_group_received(g), n);
	assert_int_equal(photon_group_lagged(g), 0);

	/* Blocking reads hide lag but count it: capacity 8, ten published. */
	publish_range(blk.p, 100, 110);
	assert_rc(photon_group_recv(g, &got), PHOTON_OK);
	assert_int_equal(got, 102);
	assert_int_equal(photon_group_lagged(g), 2);
	assert_int_equal(photon_group_received(g), n + 1);
	for (v = 103; v < 110; v++) {
		assert_rc(photon_group_recv(g, &got), PHOTON_OK);
		assert_int_equal(got, v);
	}

	/* Drained and waiting: the close ends the wait with CLOSED. */
	blk_arm(BLK_CLOSE, 0, PHOTON__TP_READER_PAUSE);
	assert_rc(photon_group_recv(g, &got), PHOTON_CLOSED);
	assert_blocked();
	assert_rc(photon_group_recv(g, &got), PHOTON_CLOSED);
	assert_int_equal(photon_group_received(g), n + 8);
	photon_group_close(g);
	photon_channel_release(ch);
}

struct reader {
	struct photon_group *g;
	uint64_t count;
	uint64_t bad;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	uint64_t got, want = 0;

	while (photon_group_recv(r->g, &got) == PHOTON_OK) {
		if (got != want)
			r->bad++;
		want = got + 1;
		r->count++;
	}
	return NULL;
}

#define CROSS_N 100000

static void test_cross_thread_bounded(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct reader r = { 0 };
	pthread_t t;
	uint64_t v;

	(void)state;
	/* Lossless: the group sees every message in order from another
	 * thread, and the publisher is held back rather than lapping it. */
	assert_rc(photon_channel_create_bounded(&ch, 64, sizeof(uint64_t), 0),
		  PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 4, &r.g), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	spawn(&t, read_all, &r);
	for (v = 0; v < CROSS_N; v++)
		assert_rc(photon_publish(p, &v), PHOTON_OK);
	photon_publisher_close(p);
	join(t);
	assert_int_equal(r.count, CROSS_N);
	assert_int_equal(r.bad, 0);
	assert_int_equal(photon_group_received(r.g), CROSS_N);
	assert_int_equal(photon_group_lagged(r.g), 0);
	photon_group_close(r.g);
	photon_channel_release(ch);
}

static void test_handle_outlives_channel_ref(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t v = 9, got;

	(void)state;
	open_lossy(4, &ch, &p);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);
	photon_channel_release(ch);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	photon_publisher_close(p);
	assert_rc(photon_group_try_recv(g, &got), PHOTON_OK);
	assert_int_equal(got, 9);
	assert_rc(photon_group_try_recv(g, &got), PHOTON_CLOSED);
	photon_group_close(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_every_message_once_in_order),
		cmocka_unit_test(test_counters_count_once),
		cmocka_unit_test(test_lag_arithmetic),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_bounded_gates_as_one),
		cmocka_unit_test(test_bounded_slowest_rules),
		cmocka_unit_test(test_close_releases_publisher),
		cmocka_unit_test_teardown(test_recv_blocking, teardown_hooks),
		cmocka_unit_test(test_cross_thread_bounded),
		cmocka_unit_test(test_handle_outlives_channel_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
