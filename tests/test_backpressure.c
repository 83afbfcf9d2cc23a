/* SPDX-License-Identifier: MIT */
/* Bounded (lossless) channels: SPEC 2.2 and the bounded list of SPEC 6. */
#include <sched.h>

#include "util.h"

struct bounded {
	struct photon_channel *ch;
	struct photon_publisher *pub;
};

static void open_bounded(struct bounded *b, size_t cap, size_t watermark)
{
	assert_rc(photon_channel_create_bounded(&b->ch, cap, sizeof(uint64_t),
						watermark),
		  PHOTON_OK);
	assert_rc(photon_publisher_open(b->ch, &b->pub), PHOTON_OK);
}

static void close_bounded(struct bounded *b)
{
	photon_publisher_close(b->pub);
	photon_channel_release(b->ch);
}

static int try_pub(struct bounded *b, uint64_t v)
{
	return photon_try_publish(b->pub, &v);
}

static void expect_u64(struct photon_subscriber *s, uint64_t want)
{
	uint64_t v = ~want;

	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, want);
}

/* Publishes 0, 1, ... until FULL; returns how many fitted. */
static uint64_t fill(struct bounded *b, uint64_t first)
{
	uint64_t n = 0;

	while (try_pub(b, first + n) == PHOTON_OK)
		n++;
	return n;
}

/* SPEC 6: capacity 8, watermark 2 -> 6 accepted, then FULL. */
static void test_full_at_watermark(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_bounded(&b, 8, 2);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(try_pub(&b, i), PHOTON_OK);
	assert_rc(try_pub(&b, 6), PHOTON_FULL);
	assert_rc(try_pub(&b, 6), PHOTON_FULL);
	/* FULL wrote nothing. */
	assert_int_equal(photon_publisher_sequence(b.pub), 6);
	assert_int_equal(photon_pending(s), 6);
	for (i = 0; i < 6; i++)
		expect_u64(s, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	photon_subscriber_close(s);
	close_bounded(&b);
}

static void test_watermark_zero_uses_whole_ring(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	assert_int_equal(fill(&b, 0), 8);
	photon_subscriber_close(s);
	close_bounded(&b);
}

static void test_release_on_drain(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;

	(void)state;
	open_bounded(&b, 8, 2);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	assert_int_equal(fill(&b, 0), 6);
	expect_u64(s, 0);
	assert_rc(try_pub(&b, 6), PHOTON_OK);
	assert_rc(try_pub(&b, 7), PHOTON_FULL);
	expect_u64(s, 1);
	expect_u64(s, 2);
	assert_int_equal(fill(&b, 7), 2);
	photon_subscriber_close(s);
	close_bounded(&b);
}

static void test_slowest_consumer_rules(void **state)
{
	struct bounded b;
	struct photon_subscriber *fast, *slow;
	uint64_t i;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &fast), PHOTON_OK);
	assert_rc(photon_subscribe(b.ch, &slow), PHOTON_OK);
	assert_int_equal(fill(&b, 0), 8);
	for (i = 0; i < 8; i++)
		expect_u64(fast, i);
	/* The fast one is done; the slow one still holds the ring. */
	assert_rc(try_pub(&b, 8), PHOTON_FULL);
	expect_u64(slow, 0);
	expect_u64(slow, 1);
	assert_int_equal(fill(&b, 8), 2);
	for (i = 2; i < 10; i++)
		expect_u64(slow, i);
	assert_int_equal(photon_subscriber_lagged(slow), 0);
	photon_subscriber_close(fast);
	photon_subscriber_close(slow);
	close_bounded(&b);
}

static void test_no_consumers_unlimited(void **state)
{
	struct bounded b;
	uint64_t i;

	(void)state;
	open_bounded(&b, 8, 2);
	for (i = 0; i < 1000; i++)
		assert_rc(try_pub(&b, i), PHOTON_OK);
	for (i = 1000; i < 2000; i++)
		assert_rc(photon_publish(b.pub, &i), PHOTON_OK);
	close_bounded(&b);
}

static void test_fill_drain_cycles(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;
	uint64_t next = 0, want = 0, cycle, n, v;

	(void)state;
	open_bounded(&b, 16, 3);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	for (cycle = 0; cycle < 200; cycle++) {
		n = fill(&b, next);
		assert_int_equal(n, cycle == 0 ? 13 : 13 - (next - want));
		next += n;
		/* Drain a varying amount, sometimes all of it. */
		for (uint64_t k = 0; k < 1 + cycle % 13 && want < next; k++)
			expect_u64(s, want++);
	}
	while (want < next)
		expect_u64(s, want++);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_int_equal(photon_subscriber_received(s), next);
	photon_subscriber_close(s);
	close_bounded(&b);
}

static void test_closing_subscriber_releases_publisher(void **state)
{
	struct bounded b;
	struct photon_subscriber *s, *other;
	struct photon_group *g;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	assert_int_equal(fill(&b, 0), 8);
	photon_subscriber_close(s);
	assert_rc(try_pub(&b, 8), PHOTON_OK);

	/* A group gates too, and closing it releases the publisher. */
	assert_rc(photon_group_subscribe(b.ch, 3, &g), PHOTON_OK);
	assert_int_equal(fill(&b, 9), 8);
	assert_rc(photon_subscribe(b.ch, &other), PHOTON_OK);
	photon_group_close(g);
	/* The new subscriber starts after everything published: room for a
	 * whole ring again. */
	assert_int_equal(fill(&b, 17), 8);
	photon_subscriber_close(other);
	close_bounded(&b);
}

/* From oldest in a bounded channel: the held messages, never a lap. */
static void test_from_oldest_bounded(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_bounded(&b, 8, 2);
	for (i = 0; i < 20; i++)
		assert_rc(try_pub(&b, i), PHOTON_OK);
	assert_rc(photon_subscribe_from_oldest(b.ch, &s), PHOTON_OK);
	/* 12..19 are held and protected; the ring is full for the gate. */
	assert_rc(try_pub(&b, 20), PHOTON_FULL);
	for (i = 12; i < 20; i++)
		expect_u64(s, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_int_equal(fill(&b, 20), 6);
	photon_subscriber_close(s);
	close_bounded(&b);
}

/* latest() moves the consumer's tracker forward and frees the ring. */
static void test_latest_releases_gate(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;
	uint64_t v;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	assert_int_equal(fill(&b, 0), 8);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	assert_int_equal(v, 7);
	assert_int_equal(fill(&b, 8), 8);
	photon_subscriber_close(s);
	close_bounded(&b);
}

/* Threads other than the test's own record failures for it to assert. */
struct pub_job {
	struct photon_publisher *pub;
	uint64_t count;
	int batch;
	int rc;
};

static void *publisher_thread(void *arg)
{
	struct pub_job *j = arg;
	uint64_t i, chunk[16];

	j->rc = PHOTON_OK;
	for (i = 0; i < j->count && j->rc == PHOTON_OK; i += 16) {
		for (uint64_t k = 0; k < 16; k++)
			chunk[k] = i + k;
		if (j->batch) {
			j->rc = photon_publish_batch(j->pub, chunk, 16);
			continue;
		}
		for (uint64_t k = 0; k < 16 && j->rc == PHOTON_OK; k++)
			j->rc = photon_publish(j->pub, &chunk[k]);
	}
	return NULL;
}

/* publish and publish_batch wait for room instead of overwriting. */
static void blocking_publish_case(int batch)
{
	struct bounded b;
	struct photon_subscriber *s;
	struct pub_job job;
	pthread_t t;
	uint64_t i, v;

	open_bounded(&b, 8, 1);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	job.pub = b.pub;
	job.count = 4096;
	job.batch = batch;
	spawn(&t, publisher_thread, &job);
	for (i = 0; i < job.count; i++) {
		int rc;

		while ((rc = photon_try_recv(s, &v)) == PHOTON_EMPTY)
			sched_yield();
		assert_rc(rc, PHOTON_OK);
		assert_int_equal(v, i);
	}
	join(t);
	assert_rc(job.rc, PHOTON_OK);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	photon_subscriber_close(s);
	close_bounded(&b);
}

static void test_publish_waits(void **state)
{
	(void)state;
	blocking_publish_case(0);
}

static void test_publish_batch_waits(void **state)
{
	(void)state;
	blocking_publish_case(1);
}

/* A publisher blocked on a full ring returns once the consumer closes. */
static void test_close_unblocks_waiting_publisher(void **state)
{
	struct bounded b;
	struct photon_subscriber *s;
	struct pub_job job;
	pthread_t t;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
	job.pub = b.pub;
	job.count = 112;
	job.batch = 0;
	spawn(&t, publisher_thread, &job);
	/* Wait until the ring is full, i.e. the publisher must be waiting. */
	while (photon_pending(s) < 8)
		sched_yield();
	photon_subscriber_close(s);
	join(t);
	assert_rc(job.rc, PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(b.pub), 112);
	close_bounded(&b);
}

struct batch_job {
	struct photon_publisher *pub;
	int rc;
};

static void *batch20(void *arg)
{
	struct batch_job *j = arg;
	uint64_t msgs[20], i;

	for (i = 0; i < 20; i++)
		msgs[i] = i;
	j->rc = photon_publish_batch(j->pub, msgs, 20);
	return NULL;
}

/*
 * publish_batch moves the cursor after every message: a subscriber made
 * while a batch is blocked half-way starts after what the batch already
 * published, never before it.
 */
static void test_batch_cursor_per_message(void **state)
{
	struct bounded b;
	struct photon_subscriber *a, *late;
	struct batch_job job;
	pthread_t t;
	uint64_t i;

	(void)state;
	open_bounded(&b, 8, 0);
	assert_rc(photon_subscribe(b.ch, &a), PHOTON_OK);
	job.pub = b.pub;
	spawn(&t, batch20, &job);
	while (photon_pending(a) < 8) /* 0..7 out, the batch is blocked */
		sched_yield();
	assert_rc(photon_subscribe(b.ch, &late), PHOTON_OK);
	for (i = 0; i < 20; i++) {
		uint64_t v;
		int rc;

		while ((rc = photon_try_recv(a, &v)) == PHOTON_EMPTY)
			sched_yield();
		assert_rc(rc, PHOTON_OK);
		assert_int_equal(v, i);
		/* Keep the late one from gating the batch. */
		while (photon_try_recv(late, &v) == PHOTON_OK)
			assert_true(v >= 8);
	}
	join(t);
	assert_rc(job.rc, PHOTON_OK);
	photon_subscriber_close(late);
	photon_subscriber_close(a);
	close_bounded(&b);
}

/*
 * The stall timeout: a consumer that stops reading holds the publisher back
 * only for the timeout; meanwhile another consumer reads every message.
 * When the stalled one returns it sees LAGGED with the exact count, then
 * gates the publisher again.
 */
struct stall_job {
	struct photon_publisher *pub;
	uint64_t count;
	uint64_t live_read; /* messages the live consumer has read */
	int rc;
};

/*
 * Publishes message i only once the live consumer has read i - 8: it never
 * falls the 14 messages behind that would make it hold the publisher back,
 * so only the stuck consumer can ever be the one the timeout drops.
 */
static void *stall_publisher(void *arg)
{
	struct stall_job *j = arg;
	uint64_t i;

	j->rc = PHOTON_OK;
	for (i = 0; i < j->count && j->rc == PHOTON_OK; i++) {
		while (i >= 8 &&
		       __atomic_load_n(&j->live_read, __ATOMIC_ACQUIRE) < i - 8)
			sched_yield();
		j->rc = photon_publish(j->pub, &i);
	}
	return NULL;
}

static void test_stall_timeout(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_subscriber *stuck, *live;
	struct stall_job job;
	pthread_t t;
	uint64_t i, v, back;
	int rc;

	(void)state;
	o.capacity = 16;
	o.msg_size = sizeof(uint64_t);
	o.watermark = 2;
	o.flags = PHOTON_BOUNDED;
	o.stall_timeout_ns = 20000000; /* 20 ms */
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &job.pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &stuck), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &live), PHOTON_OK);
	job.count = 1000;
	job.live_read = 0;
	spawn(&t, stall_publisher, &job);
	/* `stuck` reads nothing until the publisher is done. */
	for (i = 0; i < job.count; i++) {
		while ((rc = photon_try_recv(live, &v)) == PHOTON_EMPTY)
			sched_yield();
		assert_rc(rc, PHOTON_OK);
		assert_int_equal(v, i);
		__atomic_store_n(&job.live_read, i + 1, __ATOMIC_RELEASE);
	}
	join(t);
	assert_rc(job.rc, PHOTON_OK);
	assert_int_equal(photon_subscriber_lagged(live), 0);
	assert_int_equal(photon_subscriber_stalls(stuck), 1);
	assert_int_equal(photon_subscriber_stalls(live), 0);
	assert_int_equal(photon_channel_stalls(ch), 1);
	/*
	 * Back: the ring holds the last 16 (984..999), so it lost at least
	 * 0..983. It rejoins the gate where the publisher's cached limit
	 * cannot lap it (max(oldest held, gate_min): gate_min is where `live`
	 * was at the last rescan), and the count is exact: the jump.
	 */
	assert_rc(photon_try_recv(stuck, &v), PHOTON_LAGGED);
	back = photon_subscriber_last_skipped(stuck);
	assert_true(back >= 984 && back <= 1000);
	assert_int_equal(photon_subscriber_lagged(stuck), back);
	for (i = back; i < 1000; i++)
		expect_u64(stuck, i);
	/* It gates again: 14 fit (16 - watermark 2), then FULL. */
	for (i = 1000; i < 1014; i++)
		assert_rc(photon_try_publish(job.pub, &i), PHOTON_OK);
	assert_rc(photon_try_publish(job.pub, &i), PHOTON_FULL);
	for (i = 1000; i < 1014; i++)
		expect_u64(stuck, i);
	/* Nothing more was lost after the return. */
	assert_int_equal(photon_subscriber_lagged(stuck), back);
	assert_int_equal(photon_subscriber_received(stuck), 1014 - back);
	photon_subscriber_close(stuck);
	photon_subscriber_close(live);
	photon_publisher_close(job.pub);
	photon_channel_release(ch);
}

/* Off by default, and only for bounded channels. */
static void test_stall_timeout_options(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;

	(void)state;
	o.capacity = 8;
	o.msg_size = 8;
	o.stall_timeout_ns = 1000;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_EINVAL);
	assert_null(ch);
	assert_rc(photon_channel_create_bounded(&ch, 8, 8, 0), PHOTON_OK);
	assert_int_equal(photon_channel_stalls(ch), 0);
	photon_channel_release(ch);
	assert_int_equal(photon_channel_stalls(NULL), 0);
	assert_int_equal(photon_subscriber_stalls(NULL), 0);
	assert_int_equal(photon_group_stalls(NULL), 0);
}

/* Non-power-of-two capacities gate exactly like the others. */
static void test_bounded_any_capacity(void **state)
{
	static const size_t caps[] = { 3, 5, 6, 7, 12, 100 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct bounded b;
		struct photon_subscriber *s;
		uint64_t i, next = 0, want = 0;

		open_bounded(&b, caps[k], 1);
		assert_rc(photon_subscribe(b.ch, &s), PHOTON_OK);
		for (i = 0; i < 50; i++) {
			uint64_t n = fill(&b, next);
			assert_int_equal(n, caps[k] - 1 - (next - want));
			next += n;
			while (want < next - (i % 2))
				expect_u64(s, want++);
		}
		photon_subscriber_close(s);
		close_bounded(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_at_watermark),
		cmocka_unit_test(test_watermark_zero_uses_whole_ring),
		cmocka_unit_test(test_release_on_drain),
		cmocka_unit_test(test_slowest_consumer_rules),
		cmocka_unit_test(test_no_consumers_unlimited),
		cmocka_unit_test(test_fill_drain_cycles),
		cmocka_unit_test(test_closing_subscriber_releases_publisher),
		cmocka_unit_test(test_from_oldest_bounded),
		cmocka_unit_test(test_latest_releases_gate),
		cmocka_unit_test(test_publish_waits),
		cmocka_unit_test(test_publish_batch_waits),
		cmocka_unit_test(test_close_unblocks_waiting_publisher),
		cmocka_unit_test(test_batch_cursor_per_message),
		cmocka_unit_test(test_stall_timeout),
		cmocka_unit_test(test_stall_timeout_options),
		cmocka_unit_test(test_bounded_any_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
