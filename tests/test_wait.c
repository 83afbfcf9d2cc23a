/* SPDX-License-Identifier: MIT */
/* Blocking receives and the spin wait strategies (SPEC 2.5). */
#include <sched.h>
#include <string.h>

#include "util.h"

#include "testing.h"

static const struct photon_wait strategies[] = {
	{ .kind = PHOTON_WAIT_ADAPTIVE },
	{ .kind = PHOTON_WAIT_ADAPTIVE, .spin_iters = 3, .yield_iters = 2 },
	{ .kind = PHOTON_WAIT_BUSY_SPIN },
	{ .kind = PHOTON_WAIT_YIELD_SPIN },
	{ .kind = PHOTON_WAIT_BACKOFF_SPIN },
	{ .kind = PHOTON_WAIT_MONITOR },
	{ .kind = PHOTON_WAIT_PARK },
	{ .kind = PHOTON_WAIT_PARK, .spin_iters = 1, .yield_iters = 1 },
};
#define NSTRATEGIES (sizeof(strategies) / sizeof(strategies[0]))

struct job {
	struct photon_publisher *pub;
	uint64_t count;
	volatile int *ready; /* the reader is about to wait */
	int rc;
};

static void *publish_after_ready(void *arg)
{
	struct job *j = arg;
	uint64_t i;

	while (!__atomic_load_n(j->ready, __ATOMIC_ACQUIRE))
		;
	j->rc = PHOTON_OK;
	for (i = 0; i < j->count && j->rc == PHOTON_OK; i++)
		j->rc = photon_publish(j->pub, &i);
	photon_publisher_close(j->pub);
	return NULL;
}

/*
 * The wait points of a blocking receive (PHOTON_TESTING): READER_PAUSE when
 * it polled EMPTY and takes a wait step, PARK_SLEEP right before the futex
 * wait (`timed`: with a timeout, i.e. the park fallback without membarrier).
 */
static unsigned seen_pauses, seen_sleeps, seen_timed;

static void count_waits(enum photon__test_point point, void *arg)
{
	if (point == PHOTON__TP_READER_PAUSE) {
		__atomic_fetch_add(&seen_pauses, 1, __ATOMIC_RELEASE);
	} else if (point == PHOTON__TP_PARK_SLEEP) {
		if (arg)
			__atomic_fetch_add(&seen_timed, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&seen_sleeps, 1, __ATOMIC_RELEASE);
	}
}

static void install_wait_counter(void)
{
	__atomic_store_n(&seen_pauses, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seen_sleeps, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&seen_timed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&photon__test_hook, count_waits, __ATOMIC_RELEASE);
}

static int teardown_hook(void **state)
{
	(void)state;
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	return 0;
}

struct closer {
	struct photon_publisher *pub;
	const unsigned *waits; /* closes once this counter is non-zero */
};

/* Closes the channel only once the reader is inside its wait. */
static void *close_once_waiting(void *arg)
{
	struct closer *c = arg;

	while (!__atomic_load_n(c->waits, __ATOMIC_ACQUIRE))
		sched_yield();
	photon_publisher_close(c->pub);
	return NULL;
}

/*
 * Each strategy receives every message of a bounded channel in order from
 * another thread, then CLOSED when the publisher closes.
 */
static void test_each_strategy_cross_thread(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < NSTRATEGIES + 1; k++) {
		const struct photon_wait *w =
		    k < NSTRATEGIES ? &strategies[k] : NULL;
		struct photon_channel *ch;
		struct photon_subscriber *s;
		struct job job;
		volatile int ready = 0;
		pthread_t t;
		uint64_t i, v;

		assert_rc(photon_channel_create_bounded(&ch, 64, 8, 0),
			  PHOTON_OK);
		assert_rc(photon_publisher_open(ch, &job.pub), PHOTON_OK);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		job.count = 20000;
		job.ready = &ready;
		spawn(&t, publish_after_ready, &job);
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
		for (i = 0; i < job.count; i++) {
			assert_rc(photon_recv_with(s, &v, w), PHOTON_OK);
			assert_int_equal(v, i);
		}
		assert_rc(photon_recv_with(s, &v, w), PHOTON_CLOSED);
		join(t);
		assert_rc(job.rc, PHOTON_OK);
		assert_int_equal(photon_subscriber_received(s), job.count);
		photon_subscriber_close(s);
		photon_channel_release(ch);
	}
}

/*
 * A reader blocked on an empty channel returns CLOSED when it closes: the
 * close happens only once the reader has polled EMPTY and taken a wait step
 * (READER_PAUSE), for the default receive and each strategy that has one.
 */
static void test_recv_returns_closed(void **state)
{
	static const struct photon_wait waiting[] = {
		{ .kind = PHOTON_WAIT_ADAPTIVE,
		  .spin_iters = 3,
		  .yield_iters = 2 },
		{ .kind = PHOTON_WAIT_MONITOR },
		{ .kind = PHOTON_WAIT_PARK },
	};
	size_t k;

	(void)state;
	for (k = 0; k <= sizeof(waiting) / sizeof(waiting[0]); k++) {
		const struct photon_wait *w = k ? &waiting[k - 1] : NULL;
		struct photon_channel *ch;
		struct photon_subscriber *s;
		struct closer c = { .waits = &seen_pauses };
		pthread_t t;
		uint64_t v;

		assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
		assert_rc(photon_publisher_open(ch, &c.pub), PHOTON_OK);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		install_wait_counter();
		spawn(&t, close_once_waiting, &c);
		if (w)
			assert_rc(photon_recv_with(s, &v, w), PHOTON_CLOSED);
		else
			assert_rc(photon_recv(s, &v), PHOTON_CLOSED);
		join(t);
		/* It was waiting when the channel closed. */
		assert_true(__atomic_load_n(&seen_pauses, __ATOMIC_ACQUIRE) >=
			    1);
		assert_int_equal(photon_subscriber_received(s), 0);
		photon_subscriber_close(s);
		photon_channel_release(ch);
	}
}

/* Blocking receives hide lag from the caller but count it. */
static void test_recv_hides_but_counts_lag(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (i = 0; i < 10; i++)
		assert_rc(photon_publish(p, &i), PHOTON_OK);
	assert_rc(photon_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 6);
	assert_int_equal(photon_subscriber_lagged(s), 6);
	assert_int_equal(photon_subscriber_last_skipped(s), 6);
	assert_int_equal(photon_subscriber_received(s), 1);
	for (i = 7; i < 10; i++) {
		assert_rc(photon_recv(s, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(photon_subscriber_received(s), 4);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* Zeroed struct, NULL and zero counts all mean the default. */
static void test_defaults(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_wait zero;
	uint64_t i, v;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(zero.kind, PHOTON_WAIT_ADAPTIVE);
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (i = 0; i < 3; i++)
		assert_rc(photon_publish(p, &i), PHOTON_OK);
	assert_rc(photon_recv_with(s, &v, &zero), PHOTON_OK);
	assert_int_equal(v, 0);
	assert_rc(photon_recv_with(s, &v, NULL), PHOTON_OK);
	assert_int_equal(v, 1);
	assert_rc(photon_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 2);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_group_recv_with(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_group *g;
	uint64_t i, v;
	size_t k;

	(void)state;
	assert_rc(photon_channel_create(&ch, 64, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 5, &g), PHOTON_OK);
	for (i = 0; i < NSTRATEGIES; i++)
		assert_rc(photon_publish(p, &i), PHOTON_OK);
	for (k = 0; k < NSTRATEGIES; k++) {
		assert_rc(photon_group_recv_with(g, &v, &strategies[k]),
			  PHOTON_OK);
		assert_int_equal(v, k);
	}
	photon_publisher_close(p);
	assert_rc(photon_group_recv(g, &v), PHOTON_CLOSED);
	assert_int_equal(photon_group_received(g), NSTRATEGIES);
	photon_group_close(g);
	photon_channel_release(ch);
}

/*
 * photon_wait_pause: the spin phase alone, for pollers with their own idle
 * policy. It returns at every step, past the budget too (no park, no
 * hardware wait, no sleep), also for NULL and an unknown kind: 2000 steps
 * of every strategy take milliseconds, where one park would never return.
 */
static void test_wait_pause(void **state)
{
	const struct photon_wait unknown = { .kind =
						 (enum photon_wait_kind)42 };
	uint64_t t0 = photon_monotonic_ns();
	uint32_t step;
	size_t i;

	(void)state;
	for (step = 0; step < 2000; step++) {
		photon_wait_pause(NULL, step);
		photon_wait_pause(&unknown, step);
		for (i = 0; i < NSTRATEGIES; i++)
			photon_wait_pause(&strategies[i], step);
	}
	photon_wait_pause(&strategies[0], UINT32_MAX);
	assert_true(photon_monotonic_ns() - t0 < 5000000000ull);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(photon_wait_name(PHOTON_WAIT_ADAPTIVE), "adaptive");
	assert_string_equal(photon_wait_name(PHOTON_WAIT_BUSY_SPIN),
			    "busy-spin");
	assert_string_equal(photon_wait_name(PHOTON_WAIT_YIELD_SPIN),
			    "yield-spin");
	assert_string_equal(photon_wait_name(PHOTON_WAIT_BACKOFF_SPIN),
			    "backoff-spin");
	assert_string_equal(photon_wait_name(PHOTON_WAIT_MONITOR), "monitor");
	assert_string_equal(photon_wait_name(PHOTON_WAIT_PARK), "park");
	assert_non_null(photon_wait_name((enum photon_wait_kind)42));
	assert_non_null(photon_wait_monitor_name());
	print_message("hardware monitor wait: %s\n",
		      photon_wait_monitor_name());
}

/* Timeouts: EMPTY at the deadline for every strategy, OK when data is
 * there, CLOSED when closed; and the deadline form. */
static void test_timeouts(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_group *g;
	uint64_t v = 5, t0;
	size_t k;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);
	for (k = 0; k < NSTRATEGIES; k++) {
		t0 = photon_monotonic_ns();
		assert_rc(photon_recv_timeout(s, &v, &strategies[k], 2000000),
			  PHOTON_EMPTY);
		/* It did wait: the deadline is the only way out. */
		assert_true(photon_monotonic_ns() - t0 >= 2000000);
		assert_rc(
		    photon_group_recv_timeout(g, &v, &strategies[k], 1000),
		    PHOTON_EMPTY);
	}
	assert_rc(photon_recv_timeout(s, &v, NULL, 0), PHOTON_EMPTY);
	assert_rc(photon_recv_deadline(s, &v, NULL, 1), PHOTON_EMPTY);
	assert_rc(
	    photon_recv_deadline(s, &v, NULL, photon_monotonic_ns() + 1000),
	    PHOTON_EMPTY);
	assert_rc(photon_group_recv_deadline(g, &v, NULL, 1), PHOTON_EMPTY);
	v = 77;
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	v = 0;
	assert_rc(photon_recv_timeout(s, &v, NULL, 0), PHOTON_OK);
	assert_int_equal(v, 77);
	assert_rc(photon_group_recv_deadline(g, &v, NULL, 1), PHOTON_OK);
	photon_publisher_close(p);
	assert_rc(photon_recv_timeout(s, &v, NULL, 1000000000), PHOTON_CLOSED);
	assert_rc(photon_group_recv_timeout(g, &v, NULL, 1000000000),
		  PHOTON_CLOSED);
	assert_rc(photon_recv_timeout(NULL, &v, NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_recv_deadline(s, NULL, NULL, 1), PHOTON_EINVAL);
	photon_group_close(g);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/*
 * A parked reader sleeping on an empty channel wakes when it closes. The
 * close happens only once the reader is about to sleep (PARK_SLEEP): if it
 * lands before the futex call, the futex sees the bumped wake word and
 * returns at once, so either way the reader was asleep or committed to
 * sleep, and only the close's wake-up can end a sleep without a timeout.
 */
static void test_park_wakes_on_close(void **state)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_wait park = { .kind = PHOTON_WAIT_PARK,
				    .spin_iters = 1,
				    .yield_iters = 1 };
	struct closer c = { .waits = &seen_sleeps };
	pthread_t t;
	uint64_t v;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &c.pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	install_wait_counter();
	spawn(&t, close_once_waiting, &c);
	assert_rc(photon_recv_with(s, &v, &park), PHOTON_CLOSED);
	join(t);
	assert_true(__atomic_load_n(&seen_sleeps, __ATOMIC_ACQUIRE) >= 1);
	photon_subscriber_close(s);
	photon_channel_release(ch);
	if (__atomic_load_n(&seen_timed, __ATOMIC_RELAXED)) {
		/* Without membarrier the park sleeps in 100 us slices: the
		 * close was seen, but not necessarily through its wake-up. */
		print_message("park slept with a timeout (no membarrier): "
			      "the wake-up on close is not what was tested\n");
		skip();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_strategy_cross_thread),
		cmocka_unit_test_teardown(test_recv_returns_closed,
					  teardown_hook),
		cmocka_unit_test(test_recv_hides_but_counts_lag),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_group_recv_with),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_wait_pause),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test_teardown(test_park_wakes_on_close,
					  teardown_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
