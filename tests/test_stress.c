/* SPDX-License-Identifier: MIT */
/*
 * Cross-thread stress: one publisher, readers on other threads, a million
 * messages per mode. Every delivered payload is checked word by word (a torn
 * read would mix two messages), every position is accounted for exactly
 * (delivered + skipped == published), and bounded mode never skips.
 *
 * Threads synchronise on the data only. On an oversubscribed machine the
 * loops yield the CPU while they have nothing to do, so the test finishes
 * in seconds whatever the core count; that changes timing, not assertions.
 */
#include <sched.h>
#include <string.h>

#include "util.h"

#define MESSAGES 1000000u

struct payload {
	uint64_t seq;
	uint64_t a, b, c;
};

static void make(struct payload *p, uint64_t seq)
{
	p->seq = seq;
	p->a = seq * 0x9E3779B97F4A7C15ull;
	p->b = ~seq;
	p->c = seq ^ 0xA5A5A5A55A5A5A5Aull;
}

static int consistent(const struct payload *p)
{
	struct payload want;

	make(&want, p->seq);
	return memcmp(p, &want, sizeof(want)) == 0;
}

/* Backs off to the scheduler only after a run of empty polls. */
static void idle(unsigned *empties)
{
	if (++*empties % 64 == 0)
		sched_yield();
}

struct reader {
	struct photon_subscriber *sub; /* or the group's */
	struct photon_group *group;
	int *ready;
	/* results, checked by the test thread */
	uint64_t delivered, skipped, next;
	uint64_t bad_payload, bad_order, lag_events;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct payload m;
	unsigned empties = 0;

	__atomic_fetch_add(r->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		int rc = r->group ? photon_group_try_recv(r->group, &m)
				  : photon_try_recv(r->sub, &m);

		if (rc == PHOTON_OK) {
			r->bad_payload += !consistent(&m);
			r->bad_order += m.seq != r->next;
			r->next = m.seq + 1;
			r->delivered++;
		} else if (rc == PHOTON_LAGGED) {
			uint64_t k =
			    r->group ? photon_group_last_skipped(r->group)
				     : photon_subscriber_last_skipped(r->sub);
			r->lag_events++;
			r->skipped += k;
			r->next += k;
		} else if (rc == PHOTON_EMPTY) {
			idle(&empties);
		} else {
			break; /* CLOSED */
		}
	}
	return NULL;
}

struct publisher {
	struct photon_publisher *pub;
	int *ready;
	int readers;
	uint64_t count;
	const int *stop;    /* non-NULL: also stops once *stop is set */
	uint64_t published; /* progress, for other threads to watch */
	int rc;
};

static void *publisher_main(void *arg)
{
	struct publisher *p = arg;
	struct payload m;
	unsigned fulls = 0;
	uint64_t i;

	/* The readers are already polling when publishing starts. */
	while (__atomic_load_n(p->ready, __ATOMIC_ACQUIRE) < p->readers)
		sched_yield();
	p->rc = PHOTON_OK;
	for (i = 0; i < p->count;) {
		int rc;

		if (p->stop && __atomic_load_n(p->stop, __ATOMIC_ACQUIRE))
			break;
		make(&m, i);
		rc = photon_try_publish(p->pub, &m);
		if (rc == PHOTON_OK) {
			i++;
			__atomic_store_n(&p->published, i, __ATOMIC_RELEASE);
		} else if (rc == PHOTON_FULL) {
			idle(&fulls);
		} else {
			p->rc = rc;
			break;
		}
	}
	photon_publisher_close(p->pub);
	return NULL;
}

static void check_reader(const struct reader *r, const char *who, int bounded)
{
	if (r->bad_payload || r->bad_order)
		fail_msg("%s: %llu torn payloads, %llu out of order", who,
			 (unsigned long long)r->bad_payload,
			 (unsigned long long)r->bad_order);
	/* Exact accounting: every position delivered or skipped. */
	assert_int_equal(r->delivered + r->skipped, MESSAGES);
	assert_int_equal(r->next, MESSAGES);
	if (bounded) {
		assert_int_equal(r->skipped, 0);
		assert_int_equal(r->lag_events, 0);
	}
	if (r->group) {
		assert_int_equal(photon_group_received(r->group), r->delivered);
		assert_int_equal(photon_group_lagged(r->group), r->skipped);
	} else {
		assert_int_equal(photon_subscriber_received(r->sub),
				 r->delivered);
		assert_int_equal(photon_subscriber_lagged(r->sub), r->skipped);
	}
}

/* One publisher, one subscriber and one group of 3 on other threads. */
static void run_spmc(struct photon_channel *ch, int bounded)
{
	struct reader r[2];
	struct publisher p;
	pthread_t t[3];
	int ready = 0, k;

	memset(r, 0, sizeof(r));
	memset(&p, 0, sizeof(p));
	assert_rc(photon_subscribe(ch, &r[0].sub), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &r[1].group), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p.pub), PHOTON_OK);
	p.ready = &ready;
	p.readers = 2;
	p.count = MESSAGES;
	for (k = 0; k < 2; k++) {
		r[k].ready = &ready;
		spawn(&t[k], reader_main, &r[k]);
	}
	spawn(&t[2], publisher_main, &p);
	for (k = 0; k < 3; k++)
		join(t[k]);
	assert_rc(p.rc, PHOTON_OK);
	for (k = 0; k < 2; k++)
		print_message("%s: %llu delivered, %llu skipped in %llu laps\n",
			      k ? "group" : "subscriber",
			      (unsigned long long)r[k].delivered,
			      (unsigned long long)r[k].skipped,
			      (unsigned long long)r[k].lag_events);
	check_reader(&r[0], "subscriber", bounded);
	check_reader(&r[1], "group", bounded);
	photon_subscriber_close(r[0].sub);
	photon_group_close(r[1].group);
	photon_channel_release(ch);
}

/* Lossy: a small ring makes laps certain; accounting stays exact. */
static void test_lossy_spmc(void **state)
{
	struct photon_channel *ch;

	(void)state;
	assert_rc(photon_channel_create(&ch, 64, sizeof(struct payload)),
		  PHOTON_OK);
	run_spmc(ch, 0);
}

static void test_bounded_spmc_lossless(void **state)
{
	struct photon_channel *ch;

	(void)state;
	assert_rc(
	    photon_channel_create_bounded(&ch, 256, sizeof(struct payload), 8),
	    PHOTON_OK);
	run_spmc(ch, 1);
}

/*
 * Consumers come and go while a bounded publisher runs. Each of them must
 * read a gap-free run from wherever it starts, never older than its start
 * allows (future only: what comes after it subscribed; from the oldest:
 * what the ring still held), and none may ever be lapped: registration is
 * atomic with respect to the publisher's gate.
 *
 * Twice: with a steady reader that is registered throughout, and alone,
 * where between two subscriptions no consumer is registered at all and
 * the publisher, unlimited, overwrites a whole ring. The second is the
 * zero-consumer path of the gate: the publisher takes the lock for every
 * publish (limit next + 1), and a new consumer starts at max(its start,
 * gate_min), gate_min being the oldest slot the publish in flight leaves.
 */
#define CHURN_CAP	 64
#define CHURN_GAP_ROUNDS 600

struct churn {
	struct photon_channel *ch;
	const struct publisher *pub; /* its progress */
	int *ready;
	/* 0: run until CLOSED, with the steady reader. n: n subscriptions,
	 * each after a gap with no consumer at all; then set *stop. */
	unsigned gap_rounds;
	int *stop;
	uint64_t subscriptions, messages, lagged, gaps, torn, bad_start;
	uint64_t gap_joins;
	int rc;
};

static uint64_t published(const struct publisher *p)
{
	return __atomic_load_n(&p->published, __ATOMIC_ACQUIRE);
}

static void *churn_main(void *arg)
{
	struct churn *c = arg;
	unsigned round = 0, empties = 0;
	int closed = 0;

	__atomic_fetch_add(c->ready, 1, __ATOMIC_RELEASE);
	while (!closed) {
		struct photon_subscriber *s = NULL;
		struct photon_group *g = NULL;
		unsigned want = 1 + (round * 37) % 97, got = 0;
		uint64_t prev = 0, seen, lowest;
		int rc;

		if (c->gap_rounds) {
			uint64_t mark = published(c->pub);

			if (c->gap_joins == c->gap_rounds)
				break;
			/* Nobody registered: the publisher runs free. */
			while (published(c->pub) < mark + CHURN_CAP + 1)
				idle(&empties);
		}
		/* The cursor is at least seen - 1 from here on. */
		seen = published(c->pub);
		switch (round++ % 3) {
		case 0:
			rc = photon_subscribe(c->ch, &s);
			lowest = seen;
			break;
		case 1:
			rc = photon_subscribe_from_oldest(c->ch, &s);
			lowest = seen > CHURN_CAP ? seen - CHURN_CAP : 0;
			break;
		default:
			rc = photon_group_subscribe(c->ch, 2, &g);
			lowest = seen;
			break;
		}
		if (rc != PHOTON_OK) {
			c->rc = rc;
			return NULL;
		}
		c->subscriptions++;
		while (got < want) {
			struct payload m;

			rc = g ? photon_group_try_recv(g, &m)
			       : photon_try_recv(s, &m);
			if (rc == PHOTON_OK) {
				c->torn += !consistent(&m);
				c->gaps += got && m.seq != prev + 1;
				c->bad_start += !got && m.seq < lowest;
				prev = m.seq;
				got++;
				c->messages++;
			} else if (rc == PHOTON_LAGGED) {
				c->lagged++;
			} else if (rc == PHOTON_EMPTY) {
				idle(&empties);
			} else {
				closed = 1;
				break;
			}
		}
		photon_subscriber_close(s);
		photon_group_close(g);
		if (c->gap_rounds)
			c->gap_joins++;
	}
	if (c->stop)
		__atomic_store_n(c->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void churn_case(int steady)
{
	struct photon_channel *ch;
	struct reader r;
	struct churn c;
	struct publisher p;
	pthread_t t[3];
	int ready = 0, stop = 0;

	assert_rc(photon_channel_create_bounded(&ch, CHURN_CAP,
						sizeof(struct payload), 0),
		  PHOTON_OK);
	memset(&r, 0, sizeof(r));
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	if (steady)
		assert_rc(photon_subscribe(ch, &r.sub), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p.pub), PHOTON_OK);
	r.ready = &ready;
	c.ch = ch;
	c.pub = &p;
	c.ready = &ready;
	p.ready = &ready;
	if (steady) {
		p.readers = 2;
		p.count = MESSAGES;
	} else {
		c.gap_rounds = CHURN_GAP_ROUNDS;
		c.stop = &stop;
		p.readers = 1;
		p.count = UINT64_MAX;
		p.stop = &stop;
	}
	if (steady)
		spawn(&t[0], reader_main, &r);
	spawn(&t[1], churn_main, &c);
	spawn(&t[2], publisher_main, &p);
	if (steady)
		join(t[0]);
	join(t[1]);
	join(t[2]);
	assert_rc(p.rc, PHOTON_OK);
	assert_rc(c.rc, PHOTON_OK);
	if (steady)
		check_reader(&r, "steady reader", 1);
	print_message("churn %s: %llu subscriptions read %llu messages of "
		      "%llu\n",
		      steady ? "with a steady reader" : "alone",
		      (unsigned long long)c.subscriptions,
		      (unsigned long long)c.messages,
		      (unsigned long long)p.published);
	assert_int_equal(c.lagged, 0);
	assert_int_equal(c.gaps, 0);
	assert_int_equal(c.torn, 0);
	assert_int_equal(c.bad_start, 0);
	if (!steady) {
		/* Every one of them joined a channel with no consumer while
		 * the publisher was running. */
		assert_int_equal(c.gap_joins, CHURN_GAP_ROUNDS);
		assert_int_equal(c.subscriptions, CHURN_GAP_ROUNDS);
		assert_true(p.published >= CHURN_GAP_ROUNDS * (CHURN_CAP + 1));
	}
	photon_subscriber_close(r.sub);
	photon_channel_release(ch);
}

static void test_bounded_subscribe_churn(void **state)
{
	(void)state;
	churn_case(1);
	churn_case(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossy_spmc),
		cmocka_unit_test(test_bounded_spmc_lossless),
		cmocka_unit_test(test_bounded_subscribe_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
