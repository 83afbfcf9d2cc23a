/* SPDX-License-Identifier: MIT */
/*
 * PHOTON_WAIT_PARK under stress: two threads play ping-pong through two
 * channels with a one-poll spin budget, so nearly every receive parks on the
 * futex and is woken by the other thread's publish. Random busy pauses move
 * the publish into every window of the handshake (before, during and after
 * the reader's announce / membarrier / re-check).
 *
 * A lost wake-up would hang a receive. Each receive has a generous timeout
 * as a watchdog: PHOTON_EMPTY means a message that was published was never
 * delivered in that time, and the test fails instead of hanging.
 */
#include "util.h"

#define ROUNDS	    200000u
#define WATCHDOG_NS 10000000000ull /* 10 s for one message */

static const struct photon_wait park = { .kind = PHOTON_WAIT_PARK,
					 .spin_iters = 1,
					 .yield_iters = 1 };

struct side {
	struct photon_publisher *out;
	struct photon_subscriber *in;
	uint64_t seed;
	uint64_t rounds;
	int serve; /* 1: receive first, then reply */
	int rc;
	uint64_t bad;
};

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void random_pause(uint64_t *seed)
{
	uint64_t n = next_rand(seed) % 512;

	/* Mostly none, sometimes a few hundred iterations. */
	if (n < 256)
		return;
	for (volatile uint64_t i = 0; i < n; i++)
		;
}

static void *side_main(void *arg)
{
	struct side *sd = arg;
	uint64_t i, v;

	sd->rc = PHOTON_OK;
	for (i = 0; i < sd->rounds && sd->rc == PHOTON_OK; i++) {
		if (!sd->serve) {
			random_pause(&sd->seed);
			sd->rc = photon_publish(sd->out, &i);
			if (sd->rc != PHOTON_OK)
				break;
		}
		sd->rc = photon_recv_timeout(sd->in, &v, &park, WATCHDOG_NS);
		if (sd->rc != PHOTON_OK)
			break;
		sd->bad += v != i;
		if (sd->serve) {
			random_pause(&sd->seed);
			sd->rc = photon_publish(sd->out, &v);
		}
	}
	return NULL;
}

static void test_park_ping_pong(void **state)
{
	struct photon_channel *ab, *ba;
	struct side a = { .seed = 88172645463325252ull, .rounds = ROUNDS };
	struct side b = { .seed = 0x2545F4914F6CDD1Dull,
			  .rounds = ROUNDS,
			  .serve = 1 };
	pthread_t ta, tb;

	(void)state;
	assert_rc(photon_channel_create(&ab, 64, 8), PHOTON_OK);
	assert_rc(photon_channel_create(&ba, 64, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ab, &a.out), PHOTON_OK);
	assert_rc(photon_subscribe(ab, &b.in), PHOTON_OK);
	assert_rc(photon_publisher_open(ba, &b.out), PHOTON_OK);
	assert_rc(photon_subscribe(ba, &a.in), PHOTON_OK);
	spawn(&tb, side_main, &b);
	spawn(&ta, side_main, &a);
	join(ta);
	join(tb);
	assert_rc(a.rc, PHOTON_OK);
	assert_rc(b.rc, PHOTON_OK);
	assert_int_equal(a.bad + b.bad, 0);
	assert_int_equal(photon_subscriber_received(a.in), ROUNDS);
	assert_int_equal(photon_subscriber_received(b.in), ROUNDS);
	photon_publisher_close(a.out);
	photon_publisher_close(b.out);
	photon_subscriber_close(a.in);
	photon_subscriber_close(b.in);
	photon_channel_release(ab);
	photon_channel_release(ba);
}

/*
 * Fan-out: three parked readers (one a group) woken by one publisher that
 * publishes in random bursts; every reader gets every message, in order.
 */
struct reader {
	struct photon_subscriber *sub;
	uint64_t got, bad;
	int rc;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t v;

	for (;;) {
		r->rc = photon_recv_timeout(r->sub, &v, &park, WATCHDOG_NS);
		if (r->rc != PHOTON_OK)
			break;
		r->bad += v != r->got;
		r->got++;
	}
	if (r->rc == PHOTON_CLOSED)
		r->rc = PHOTON_OK;
	return NULL;
}

static void test_park_fan_out(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct reader r[3] = { { 0 } };
	struct photon_group *g;
	pthread_t t[3];
	uint64_t i, seed = 0x9E3779B97F4A7C15ull;
	int k;

	(void)state;
	/* Bounded, so a slow reader is waited for rather than lapped. */
	assert_rc(photon_channel_create_bounded(&ch, 16, 8, 0), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &r[0].sub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &r[1].sub), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 4, &g), PHOTON_OK);
	r[2].sub = &g->sub; /* a group reads like its one cursor */
	for (k = 0; k < 3; k++)
		spawn(&t[k], reader_main, &r[k]);
	for (i = 0; i < ROUNDS; i++) {
		if (next_rand(&seed) % 8 == 0)
			random_pause(&seed);
		assert_rc(photon_publish(p, &i), PHOTON_OK);
	}
	photon_publisher_close(p);
	for (k = 0; k < 3; k++) {
		join(t[k]);
		assert_rc(r[k].rc, PHOTON_OK);
		assert_int_equal(r[k].got, ROUNDS);
		assert_int_equal(r[k].bad, 0);
	}
	photon_subscriber_close(r[0].sub);
	photon_subscriber_close(r[1].sub);
	photon_group_close(g);
	photon_channel_release(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_park_ping_pong),
		cmocka_unit_test(test_park_fan_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
