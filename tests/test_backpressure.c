/* SPDX-License-Identifier: MIT */
/* Bounded (lossless) channels: SPEC 2.2 and the bounded list of SPEC 6. */
#include <sched.h>
#include <string.h>

#include "util.h"

#include "testing.h"

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
 * When the stalled one returns it sees one LAGGED with the exact count,
 * then gates the publisher again: while the publisher and the other
 * consumer go on from other threads, it loses nothing more.
 *
 * The library clock is the test's (PHOTON_TESTING): frozen unless the test
 * moves it, so the timeout expires exactly when the test says. The
 * publisher reads it only in its gate rescan, and only for a consumer that
 * holds it back; a read is therefore the sign that `stuck` is the one
 * holding the publisher back right now.
 */
#define STALL_CAP     16
#define STALL_ROOM    14 /* capacity 16 - watermark 2 */
#define STALL_TIMEOUT 1000000u
#define STALL_PAUSE   100u /* not a multiple of STALL_ROOM: see below */
#define STALL_COUNT   3000u

static uint64_t stall_now;   /* the test clock, ns */
static uint64_t stall_reads; /* times the library read it */

static uint64_t stall_clock(void)
{
	__atomic_fetch_add(&stall_reads, 1, __ATOMIC_ACQ_REL);
	return __atomic_load_n(&stall_now, __ATOMIC_ACQUIRE);
}

static uint64_t clock_reads(void)
{
	return __atomic_load_n(&stall_reads, __ATOMIC_ACQUIRE);
}

static int teardown_clock(void **state)
{
	(void)state;
	__atomic_store_n(&photon__test_clock, NULL, __ATOMIC_RELEASE);
	return 0;
}

/* Threads other than the test's record what they saw; the test asserts. */
struct stall_job {
	struct photon_publisher *pub;
	struct photon_subscriber *live;
	uint64_t allowed;   /* publish only below this (test sets it) */
	uint64_t published; /* messages published */
	uint64_t live_read; /* messages the live consumer has read */
	uint64_t live_bad;  /* out of order, or lagged */
	int done;	    /* the publisher has closed */
	int rc;
};

/*
 * Publishes message i once the live consumer has read everything before
 * it (lockstep), and once the test allows it. `live` is then never behind
 * by more than one, far from holding the publisher back, so only `stuck`
 * can ever be the one the timeout drops; and every rescan finds `live`
 * exactly at the publisher's sequence, so the cached limits are 14, 28,
 * 42, ... whatever the scheduling.
 */
static void *stall_publisher(void *arg)
{
	struct stall_job *j = arg;
	uint64_t i;

	j->rc = PHOTON_OK;
	for (i = 0; i < STALL_COUNT && j->rc == PHOTON_OK; i++) {
		while (i >= __atomic_load_n(&j->allowed, __ATOMIC_ACQUIRE) ||
		       __atomic_load_n(&j->live_read, __ATOMIC_ACQUIRE) < i)
			sched_yield();
		j->rc = photon_publish(j->pub, &i);
		__atomic_store_n(&j->published, i + 1, __ATOMIC_RELEASE);
	}
	photon_publisher_close(j->pub);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *stall_live(void *arg)
{
	struct stall_job *j = arg;
	uint64_t v, want = 0;
	int rc;

	while ((rc = photon_try_recv(j->live, &v)) != PHOTON_CLOSED) {
		if (rc == PHOTON_EMPTY) {
			sched_yield();
			continue;
		}
		if (rc != PHOTON_OK || v != want)
			j->live_bad++;
		want = v + 1;
		__atomic_store_n(&j->live_read, want, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void wait_until(const uint64_t *word, uint64_t value)
{
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) < value)
		sched_yield();
}

static void test_stall_timeout(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_subscriber *stuck;
	struct stall_job job;
	pthread_t tp, tl;
	uint64_t v, back, reads, want, got = 0;
	int rc;

	(void)state;
	/* Under qemu-user this test hangs now and then (runs 68 and 11 of
	 * two hunts, the second on af92957, before the shared channels),
	 * its threads running: its lockstep through sched_yield and a frozen
	 * clock does not survive the emulator's scheduling. Natively it runs
	 * in CI, under TSan and ASan too; the stall rule is model-checked
	 * (bounded.pml). */
	skip_if_emulated("the lockstep hangs under qemu-user now and then");
	o.capacity = STALL_CAP;
	o.msg_size = sizeof(uint64_t);
	o.watermark = STALL_CAP - STALL_ROOM;
	o.flags = PHOTON_BOUNDED;
	o.stall_timeout_ns = STALL_TIMEOUT;
	__atomic_store_n(&stall_now, 1000000000u, __ATOMIC_RELEASE);
	__atomic_store_n(&stall_reads, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&photon__test_clock, stall_clock, __ATOMIC_RELEASE);
	memset(&job, 0, sizeof(job));
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &job.pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &stuck), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &job.live), PHOTON_OK);
	job.allowed = STALL_PAUSE;
	spawn(&tl, stall_live, &job);
	spawn(&tp, stall_publisher, &job);

	/* `stuck` reads nothing: after 14 messages it holds the publisher
	 * back and the publisher starts its clock... */
	wait_until(&stall_reads, 1);
	assert_int_equal(photon_publisher_sequence(job.pub), STALL_ROOM);
	assert_int_equal(photon_pending(stuck), STALL_ROOM);
	assert_int_equal(photon_subscriber_stalls(stuck), 0);
	/* ...which the test moves past the timeout: it stops waiting. */
	__atomic_store_n(&stall_now, 1000000000u + STALL_TIMEOUT,
			 __ATOMIC_RELEASE);
	wait_until(&job.published, STALL_PAUSE);
	wait_until(&job.live_read, STALL_PAUSE);
	assert_int_equal(photon_subscriber_stalls(stuck), 1);
	assert_int_equal(photon_subscriber_stalls(job.live), 0);
	assert_int_equal(photon_channel_stalls(ch), 1);

	/*
	 * Back: the ring holds the last 16 (84..99), so it lost at least
	 * 0..83. It rejoins the gate where the publisher's cached limit
	 * cannot lap it (max(oldest held, gate_min): gate_min is where `live`
	 * was at the last rescan), and the count is exact: the jump. The
	 * publisher is paused at 100 with a cached limit of 112 (the next
	 * multiple of 14), so a return below 98 would be lapped by the very
	 * next publish.
	 */
	reads = clock_reads();
	assert_rc(photon_try_recv(stuck, &v), PHOTON_LAGGED);
	back = photon_subscriber_last_skipped(stuck);
	assert_true(back >= STALL_PAUSE - STALL_CAP && back <= STALL_PAUSE);
	assert_int_equal(photon_subscriber_lagged(stuck), back);

	/* The publisher goes on; `stuck` reads only once it holds the
	 * publisher back again (the next clock read): 14 fit, then it waits. */
	__atomic_store_n(&job.allowed, STALL_COUNT, __ATOMIC_RELEASE);
	while (clock_reads() == reads &&
	       !__atomic_load_n(&job.done, __ATOMIC_ACQUIRE))
		sched_yield();
	assert_true(clock_reads() > reads);
	assert_int_equal(photon_publisher_sequence(job.pub), back + STALL_ROOM);
	assert_int_equal(photon_pending(stuck), STALL_ROOM);

	/* From here on `stuck`, the publisher and `live` all run at once:
	 * every later message, in order, no second LAGGED. */
	for (want = back;; want++) {
		while ((rc = photon_try_recv(stuck, &v)) == PHOTON_EMPTY)
			sched_yield();
		if (rc == PHOTON_CLOSED)
			break;
		if (rc == PHOTON_LAGGED)
			fail_msg("lapped again after its return: LAGGED %llu "
				 "at %llu",
				 (unsigned long long)
				     photon_subscriber_last_skipped(stuck),
				 (unsigned long long)want);
		assert_rc(rc, PHOTON_OK);
		assert_int_equal(v, want);
		got++;
	}
	join(tp);
	join(tl);
	assert_rc(job.rc, PHOTON_OK);
	assert_int_equal(want, STALL_COUNT);
	assert_int_equal(got, STALL_COUNT - back);
	assert_int_equal(photon_subscriber_received(stuck), STALL_COUNT - back);
	assert_int_equal(photon_subscriber_lagged(stuck), back);
	/* The frozen clock never let it stall a second time. */
	assert_int_equal(photon_subscriber_stalls(stuck), 1);
	assert_int_equal(photon_channel_stalls(ch), 1);
	assert_int_equal(job.live_bad, 0);
	assert_int_equal(job.live_read, STALL_COUNT);
	assert_int_equal(photon_subscriber_lagged(job.live), 0);
	photon_subscriber_close(stuck);
	photon_subscriber_close(job.live);
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
		cmocka_unit_test_teardown(test_stall_timeout, teardown_clock),
		cmocka_unit_test(test_stall_timeout_options),
		cmocka_unit_test(test_bounded_any_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
