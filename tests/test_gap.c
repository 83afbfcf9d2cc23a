/* SPDX-License-Identifier: MIT */
/*
 * photon_publish_gap: a relay publishes lost messages so that its readers
 * see the same sequence numbers and the loss where it happened. Every way
 * of reading meets the gap as LAGGED with the exact count (try_recv, poll,
 * groups, a blocking receive), a gap wider than the ring is counted
 * exactly, a hole being written is never delivered, and an old lap's hole
 * does not make a waiting reader spin.
 */
#include <string.h>

#include "util.h"

#include "internal.h"
#include "testing.h"

static void make(struct photon_channel **ch, struct photon_publisher **p,
		 size_t cap)
{
	assert_rc(photon_channel_create(ch, cap, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(*ch, p), PHOTON_OK);
}

static void put(struct photon_publisher *p, uint64_t v)
{
	assert_rc(photon_publish(p, &v), PHOTON_OK);
}

static void get(struct photon_subscriber *s, uint64_t want)
{
	uint64_t v = ~want;

	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, want);
	assert_int_equal(photon_subscriber_position(s), want + 1);
}

static void lag(struct photon_subscriber *s, uint64_t count)
{
	uint64_t v = 77;

	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	assert_int_equal(v, 77); /* nothing delivered */
	assert_int_equal(photon_subscriber_last_skipped(s), count);
}

/* Collects what photon_poll hands over. */
struct seen {
	uint64_t seq[16], val[16];
	size_t n;
};

static int note(void *ctx, const void *msg, uint64_t seq)
{
	struct seen *w = ctx;

	memcpy(&w->val[w->n], msg, 8);
	w->seq[w->n++] = seq;
	return 0;
}

static void test_gap_read_every_way(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s, *polled;
	struct photon_group *g;
	struct seen w = { 0 };
	uint64_t v;

	(void)state;
	make(&ch, &p, 16);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &polled), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	put(p, 0);
	put(p, 1);
	assert_rc(photon_publish_gap(p, 3), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(p), 5);
	put(p, 5); /* the value is the sequence */

	get(s, 0);
	get(s, 1);
	lag(s, 3);
	assert_int_equal(photon_subscriber_position(s), 5);
	get(s, 5);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_received(s), 3);
	assert_int_equal(photon_subscriber_lagged(s), 3);

	/* poll: the lag is counted and visible as a jump in seq. */
	assert_int_equal(photon_poll(polled, note, &w, 16), 3);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.seq[0], 0);
	assert_int_equal(w.seq[1], 1);
	assert_int_equal(w.seq[2], 5);
	assert_int_equal(w.val[2], 5);
	assert_int_equal(photon_subscriber_lagged(polled), 3);

	assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	assert_int_equal(photon_group_last_skipped(g), 3);
	assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	assert_int_equal(v, 5);

	photon_group_close(g);
	photon_subscriber_close(polled);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* A gap wider than the ring: lapped to its last lap, then the holes. */
static void test_gap_wider_than_ring(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;

	(void)state;
	make(&ch, &p, 8);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	put(p, 0);
	get(s, 0);
	assert_rc(photon_publish_gap(p, 20), PHOTON_OK); /* holes 13 .. 20 */
	put(p, 21); /* over the hole of 13 */
	lag(s, 13); /* 1 .. 13: lapped, to the oldest held, 14 */
	lag(s, 7);  /* the holes 14 .. 20 */
	assert_int_equal(photon_subscriber_lagged(s), 20);
	get(s, 21);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_gap_bad_input(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_opts o = { .capacity = 8, .msg_size = 8 };

	(void)state;
	assert_rc(photon_publish_gap(NULL, 1), PHOTON_EINVAL);
	make(&ch, &p, 8);
	assert_rc(photon_publish_gap(p, 0), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(p), 0);
	assert_rc(photon_publish_gap(p, UINT64_C(1) << 62), PHOTON_OK);
	assert_rc(photon_publish_gap(p, 1), PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "2^62"));
	photon_publisher_close(p);
	photon_channel_release(ch);
	/* Bounded and MPMC readers are promised every message. */
	o.flags = PHOTON_BOUNDED;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_publish_gap(p, 1), PHOTON_ENOTSUP);
	assert_int_equal(photon_publisher_sequence(p), 0);
	photon_publisher_close(p);
	photon_channel_release(ch);
	o.flags = PHOTON_MPMC;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_publish_gap(p, 1), PHOTON_ENOTSUP);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* latest() has nothing to deliver when the newest is lost; a reader that
 * subscribes after the gap never meets it. */
static void test_latest_and_late_reader(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s, *late;
	uint64_t v = 9;

	(void)state;
	make(&ch, &p, 16);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	put(p, 0);
	assert_rc(photon_publish_gap(p, 2), PHOTON_OK);
	assert_rc(photon_latest(s, &v), PHOTON_EMPTY);
	assert_int_equal(v, 9);
	assert_int_equal(photon_subscriber_position(s), 0);
	get(s, 0);
	lag(s, 2);
	assert_rc(photon_subscribe(ch, &late), PHOTON_OK);
	assert_rc(photon_try_recv(late, &v), PHOTON_EMPTY);
	put(p, 3);
	get(late, 3);
	assert_int_equal(photon_subscriber_lagged(late), 0);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	assert_int_equal(v, 3);
	photon_subscriber_close(late);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* Forced: a reader looks at a hole between its payload and its complete
 * stamp. It must not deliver the payload (the gap's end) as a message. */
static struct {
	struct photon_subscriber *s;
	int rc, calls;
	uint64_t v;
} mid;

static void read_mid_hole(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point != PHOTON__TP_HOLE_WRITING || mid.calls++)
		return;
	mid.rc = photon_try_recv(mid.s, &mid.v);
}

static void test_hole_being_written(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;

	(void)state;
	make(&ch, &p, 8);
	assert_rc(photon_subscribe(ch, &mid.s), PHOTON_OK);
	mid.v = 42;
	__atomic_store_n(&photon__test_hook, read_mid_hole, __ATOMIC_RELEASE);
	assert_rc(photon_publish_gap(p, 2), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(mid.calls, 2);
	assert_rc(mid.rc, PHOTON_EMPTY);
	assert_int_equal(mid.v, 42);
	lag(mid.s, 2);
	photon_subscriber_close(mid.s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* A hole of an older lap under the next slot is not "something to do":
 * a waiting reader would spin on it instead of sleeping. */
static void test_old_hole_not_ready(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t v;

	(void)state;
	make(&ch, &p, 4);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publish_gap(p, 2), PHOTON_OK); /* slots 0, 1 */
	put(p, 2);
	put(p, 3);
	lag(s, 2);
	get(s, 2);
	get(s, 3);
	/* Next: sequence 4 in slot 0, which holds the hole of sequence 0. */
	assert_false(photon__reader_ready(s));
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	put(p, 4);
	assert_true(photon__reader_ready(s));
	get(s, 4);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* Across threads: a reader blocked in recv (parking) sleeps through the
 * gap and wakes for the message after it, with the gap counted. */
struct blocked {
	struct photon_subscriber *s;
	uint64_t v;
	int rc;
};

static void *recv_main(void *arg)
{
	struct blocked *b = arg;
	struct photon_wait w = { .kind = PHOTON_WAIT_PARK };

	b->rc = photon_recv_with(b->s, &b->v, &w);
	return NULL;
}

static void test_blocked_reader(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct blocked b = { 0 };
	pthread_t t;

	(void)state;
	make(&ch, &p, 16);
	assert_rc(photon_subscribe(ch, &b.s), PHOTON_OK);
	spawn(&t, recv_main, &b);
	assert_rc(photon_publish_gap(p, 5), PHOTON_OK);
	put(p, 5);
	join(t);
	assert_rc(b.rc, PHOTON_OK);
	assert_int_equal(b.v, 5);
	assert_int_equal(photon_subscriber_lagged(b.s), 5);
	assert_int_equal(photon_subscriber_position(b.s), 6);
	photon_subscriber_close(b.s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gap_read_every_way),
		cmocka_unit_test(test_gap_wider_than_ring),
		cmocka_unit_test(test_gap_bad_input),
		cmocka_unit_test(test_latest_and_late_reader),
		cmocka_unit_test(test_hole_being_written),
		cmocka_unit_test(test_old_hole_not_ready),
		cmocka_unit_test(test_blocked_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
