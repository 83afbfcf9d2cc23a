/* SPDX-License-Identifier: MIT */
/*
 * Regression tests for the five races an independent review found in 0.1
 * (issue 9). Each one forces its interleaving through the named points of the
 * PHOTON_TESTING build (src/testing.h) or through the test clock, from a
 * single thread: the hook runs the other threads' steps synchronously at the
 * point where they would interleave. No sleeps, no timing: each test takes
 * the same path on every run, and each one failed on the code before its fix.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#include "internal.h"
#include "testing.h"

static uint64_t fake_now;

static uint64_t fake_clock(void)
{
	return fake_now;
}

static void set_hook(photon__test_hook_fn fn)
{
	__atomic_store_n(&photon__test_hook, fn, __ATOMIC_RELEASE);
}

static int teardown(void **state)
{
	(void)state;
	set_hook(NULL);
	__atomic_store_n(&photon__test_clock, NULL, __ATOMIC_RELEASE);
	return 0;
}

/* Reads one message and checks it is sequence `want` (payload = sequence). */
static void expect_seq(struct photon_subscriber *s, uint64_t want)
{
	uint64_t v = ~want;

	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, want);
}

/* ---- bug 1: bounded MPMC, a rescan lowered the floor and the limit ---- */

/*
 * Cap 8, watermark 0. T has read 0..7, so mp_limit is 8. Producer Z sees
 * next 8 >= 8 and heads for the lock; X gets there first, rescans to 16 and
 * claims 8; T closes; Z takes the lock and reads next 9; W claims 9 and 10
 * without the lock, under 16; Z's rescan finds no consumer. Before the fix
 * it stored gate_min 2 and mp_limit 10, a subscribe_from_oldest started at 2,
 * and W's commit of 10 into slot 2 lapped it: LAGGED on a lossless channel.
 */
struct bug1 {
	struct photon_channel *ch;
	struct photon_publisher *x, *z, *w;
	struct photon_subscriber *t, *late;
	uint64_t sx, sw[2];
	int acting; /* 1 while the hook runs other producers' steps */
};

static struct bug1 b1;

static void bug1_hook(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (b1.acting)
		return; /* X's own claim passes the same points */
	b1.acting = 1;
	switch (point) {
	case PHOTON__TP_CLAIM_FULL:
		if (b1.t) { /* Z heads for the lock: X wins it, T leaves */
			assert_rc(photon__mpmc_claim(b1.x, 0, &b1.sx),
				  PHOTON_OK);
			assert_int_equal(b1.sx, 8);
			photon_subscriber_close(b1.t);
			b1.t = NULL;
		}
		break;
	case PHOTON__TP_CLAIM_LOCKED:
		if (!b1.sw[1]) { /* Z read next = 9 under the lock */
			assert_rc(photon__mpmc_claim(b1.w, 0, &b1.sw[0]),
				  PHOTON_OK);
			assert_rc(photon__mpmc_claim(b1.w, 0, &b1.sw[1]),
				  PHOTON_OK);
			assert_int_equal(b1.sw[0], 9);
			assert_int_equal(b1.sw[1], 10);
		}
		break;
	case PHOTON__TP_CLAIM_RESCANNED:
		if (!b1.late) { /* Z's rescan is done: subscribe, commit */
			assert_rc(photon_subscribe_from_oldest(b1.ch, &b1.late),
				  PHOTON_OK);
			photon__mpmc_commit(b1.w, &b1.sw[0], b1.sw[0]);
			photon__mpmc_commit(b1.w, &b1.sw[1], b1.sw[1]);
			photon__mpmc_commit(b1.x, &b1.sx, b1.sx);
		}
		break;
	default:
		break;
	}
	b1.acting = 0;
}

static void test_bounded_mpmc_floor_never_drops(void **state)
{
	struct photon_opts o = { .capacity = 8,
				 .msg_size = sizeof(uint64_t),
				 .flags = PHOTON_BOUNDED | PHOTON_MPMC };
	uint64_t i, sz, v, next;
	int rc;

	(void)state;
	memset(&b1, 0, sizeof(b1));
	assert_rc(photon_channel_create_opts(&b1.ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(b1.ch, &b1.x), PHOTON_OK);
	assert_rc(photon_publisher_open(b1.ch, &b1.z), PHOTON_OK);
	assert_rc(photon_publisher_open(b1.ch, &b1.w), PHOTON_OK);
	assert_rc(photon_subscribe(b1.ch, &b1.t), PHOTON_OK);
	for (i = 0; i < 8; i++)
		assert_rc(photon_publish(b1.x, &i), PHOTON_OK);
	for (i = 0; i < 8; i++)
		expect_seq(b1.t, i);

	set_hook(bug1_hook);
	rc = photon__mpmc_claim(b1.z, 0, &sz);
	set_hook(NULL);
	assert_non_null(b1.late);
	if (rc == PHOTON_OK)
		photon__mpmc_commit(b1.z, &sz, sz);
	else
		assert_rc(rc, PHOTON_FULL);

	/* The late subscriber reads on without a gap, whatever it started at;
	 * 8, 9 and 10 were committed under the limit the floor protects. */
	assert_rc(photon_try_recv(b1.late, &v), PHOTON_OK);
	for (next = v + 1;; next++) {
		rc = photon_try_recv(b1.late, &v);
		if (rc == PHOTON_EMPTY)
			break;
		assert_rc(rc, PHOTON_OK);
		assert_int_equal(v, next);
	}
	assert_true(next >= 11);
	assert_int_equal(photon_subscriber_lagged(b1.late), 0);

	photon_subscriber_close(b1.late);
	photon_publisher_close(b1.x);
	photon_publisher_close(b1.z);
	photon_publisher_close(b1.w);
	photon_channel_release(b1.ch);
}

/* ---- bug 2: a consumer back from a stall timeout was lapped again ---- */

/*
 * Cap 8, watermark 0, timeout 1 ms (test clock). `stuck` never reads while
 * `live` reads everything; the gate drops `stuck` after the timeout and the
 * publisher caches a limit from `live` alone. When `stuck` returns it gets
 * its LAGGED, and from then on it gates again: before the fix the publisher
 * kept the limit it had cached (24) and overwrote 9..15 under it, and the
 * next read was LAGGED 7.
 */
static void test_stall_return_gates_again(void **state)
{
	struct photon_opts o = { .capacity = 8,
				 .msg_size = sizeof(uint64_t),
				 .flags = PHOTON_BOUNDED,
				 .stall_timeout_ns = 1000000 };
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *stuck, *live;
	uint64_t i = 0, back, v;
	int rc;

	(void)state;
	fake_now = 1000000000;
	__atomic_store_n(&photon__test_clock, fake_clock, __ATOMIC_RELEASE);
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &stuck), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &live), PHOTON_OK);
	for (; i < 8; i++)
		assert_rc(photon_try_publish(p, &i), PHOTON_OK);
	/* Full: `stuck` starts holding the publisher back. */
	assert_rc(photon_try_publish(p, &i), PHOTON_FULL);
	fake_now += 2000000;
	for (v = 0; v < 8; v++)
		expect_seq(live, v);
	/* Past the timeout: `stuck` no longer counts; 8..16 go out. */
	for (; i < 17; i++) {
		assert_rc(photon_try_publish(p, &i), PHOTON_OK);
		expect_seq(live, i);
	}
	assert_int_equal(photon_subscriber_stalls(stuck), 1);

	/* Back: lapped once, counted exactly... */
	assert_rc(photon_try_recv(stuck, &v), PHOTON_LAGGED);
	back = photon_subscriber_last_skipped(stuck);
	assert_true(back >= 9); /* 0..8 were overwritten */
	assert_int_equal(photon_subscriber_lagged(stuck), back);
	/* ...then it gates: the publisher fills the ring up to it... */
	while ((rc = photon_try_publish(p, &i)) == PHOTON_OK)
		i++;
	assert_rc(rc, PHOTON_FULL);
	assert_int_equal(i, back + 8);
	/* ...and it loses nothing more. */
	for (v = back; v < i; v++)
		expect_seq(stuck, v);
	assert_rc(photon_try_recv(stuck, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_lagged(stuck), back);
	assert_int_equal(photon_subscriber_stalls(stuck), 1);

	photon_subscriber_close(stuck);
	photon_subscriber_close(live);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* ---- bug 3: MPMC latest spun while a claim held the cursor back ---- */

/*
 * Cap 4. Producer B holds claim 1 uncommitted; A commits 0, 2, 3 and 4, and
 * 4 reuses slot 0. The cursor stays at 0 (1 is not committed) while slot 0
 * no longer holds 0: latest() retried the same head for ever. It must
 * return: here with 4, the newest committed message.
 */
static unsigned latest_retries;

static void latest_hook(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point == PHOTON__TP_LATEST_RETRY && ++latest_retries > 1000)
		fail_msg("photon_latest retried %u times without returning",
			 latest_retries);
}

static void test_mpmc_latest_returns(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *a, *b;
	struct photon_subscriber *s;
	uint64_t i, held, v = 0;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 4, sizeof(uint64_t)),
		  PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &a), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &b), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	i = 0;
	assert_rc(photon_publish(a, &i), PHOTON_OK);
	assert_rc(photon__mpmc_claim(b, 0, &held), PHOTON_OK);
	assert_int_equal(held, 1);
	for (i = 2; i <= 4; i++)
		assert_rc(photon_publish(a, &i), PHOTON_OK);

	latest_retries = 0;
	set_hook(latest_hook);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	set_hook(NULL);
	assert_int_equal(v, 4);
	/* Nothing newer: EMPTY, and once the claim commits still nothing
	 * (the cursor catches up to what latest() already passed). */
	assert_rc(photon_latest(s, &v), PHOTON_EMPTY);
	photon__mpmc_commit(b, &held, held);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_rc(photon_latest(s, &v), PHOTON_EMPTY);
	i = 5;
	assert_rc(photon_publish(a, &i), PHOTON_OK);
	expect_seq(s, 5);

	photon_subscriber_close(s);
	photon_publisher_close(a);
	photon_publisher_close(b);
	photon_channel_release(ch);
}

/* ---- bug 4: MONITOR slept through a message that had arrived ---- */

/*
 * The message lands between the reader's empty poll and its monitor wait.
 * Before the fix the wait reloaded the stamp as the value to wait on, found
 * the new stamp equal to itself and slept (until the next lap's store or
 * the bound). The wait must compare with the stamp the reader wants.
 */
struct bug4 {
	struct photon_publisher *p;
	const uint64_t *stamp;
	uint64_t want;
	int published;
	int slept_ready;
};

static struct bug4 b4;

static void monitor_hook(enum photon__test_point point, void *arg)
{
	uint64_t seq = 0;

	if (point == PHOTON__TP_READER_PAUSE && !b4.published) {
		assert_rc(photon_publish(b4.p, &seq), PHOTON_OK);
		b4.published = 1;
	} else if (point == PHOTON__TP_MONITOR_SLEEP) {
		if (__atomic_load_n((const uint64_t *)arg, __ATOMIC_ACQUIRE) >=
		    b4.want)
			b4.slept_ready++;
	}
}

static void test_monitor_rechecks_want(void **state)
{
	struct photon_wait w = { .kind = PHOTON_WAIT_MONITOR,
				 .spin_iters = 1,
				 .yield_iters = 1 };
	struct photon_channel *ch;
	struct photon_subscriber *s;
	uint64_t v = 1;

	(void)state;
	memset(&b4, 0, sizeof(b4));
	assert_rc(photon_channel_create(&ch, 8, sizeof(uint64_t)), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &b4.p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	b4.want = 2; /* stamp of sequence 0, complete */
	set_hook(monitor_hook);
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_OK);
	set_hook(NULL);
	assert_int_equal(v, 0);
	assert_true(b4.published);
	assert_int_equal(b4.slept_ready, 0);
	photon_subscriber_close(s);
	photon_publisher_close(b4.p);
	photon_channel_release(ch);
}

/* ---- fork ---- */

struct holder {
	struct photon_channel *ch;
	int hold[2], held[2];
};

static void *hold_gate_lock(void *arg)
{
	struct holder *h = arg;
	char b = 'h';

	photon__gate_lock(h->ch);
	assert_int_equal(write(h->held[1], &b, 1), 1);
	assert_int_equal(read(h->hold[0], &b, 1), 1);
	photon__gate_unlock(h->ch);
	return NULL;
}

static void *park_reader(void *arg)
{
	struct photon_subscriber *s = arg;
	struct photon_wait w = { .kind = PHOTON_WAIT_PARK,
				 .spin_iters = 1,
				 .yield_iters = 1 };
	uint64_t v;

	assert_rc(photon_recv_with(s, &v, &w), PHOTON_CLOSED);
	return NULL;
}

/*
 * fork() while another thread holds a bounded channel's gate lock and a
 * third is parked on it: the child, which has neither thread, must not
 * find the lock held for ever nor a parked reader counted. It subscribes
 * (takes the lock), publishes and receives on its copy.
 */
static void test_fork_clears_threads_state(void **state)
{
	struct holder h;
	struct photon_subscriber *parked, *sub;
	struct photon_publisher *p;
	pthread_t th, tp;
	pid_t pid;
	int st;
	char b;

	(void)state;
	assert_rc(photon_channel_create_bounded(&h.ch, 8, 8, 0), PHOTON_OK);
	assert_rc(photon_subscribe(h.ch, &parked), PHOTON_OK);
	assert_rc(photon_publisher_open(h.ch, &p), PHOTON_OK);
	spawn(&tp, park_reader, parked);
	while (PHOTON__LOAD(&h.ch->sh->line.parked, PHOTON__ACQUIRE) == 0)
		; /* the reader has announced itself (K0) */
	assert_int_equal(pipe(h.hold), 0);
	assert_int_equal(pipe(h.held), 0);
	spawn(&th, hold_gate_lock, &h);
	assert_int_equal(read(h.held[0], &b, 1), 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t v = 5, x = 0;

		if (PHOTON__LOAD(&h.ch->sh->line.parked, PHOTON__ACQUIRE) != 0)
			_exit(10);
		if (photon_subscribe(h.ch, &sub) != PHOTON_OK)
			_exit(11);
		/* The parent's parked reader still gates in this copy:
		 * read as it, then the new subscriber. */
		if (photon_publish(p, &v) != PHOTON_OK ||
		    photon_try_recv(sub, &x) != PHOTON_OK || x != 5)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(write(h.hold[1], "r", 1), 1);
	join(th);
	photon_publisher_close(p);
	join(tp);
	photon_subscriber_close(parked);
	photon_channel_release(h.ch);
	close(h.hold[0]);
	close(h.hold[1]);
	close(h.held[0]);
	close(h.held[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bounded_mpmc_floor_never_drops,
					  teardown),
		cmocka_unit_test_teardown(test_stall_return_gates_again,
					  teardown),
		cmocka_unit_test_teardown(test_mpmc_latest_returns, teardown),
		cmocka_unit_test_teardown(test_monitor_rechecks_want, teardown),
		cmocka_unit_test(test_fork_clears_threads_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
