/* SPDX-License-Identifier: MIT */
/*
 * MPMC channels (SPEC 4): several producer threads, each with its own
 * publisher handle. Every payload names its producer and that producer's
 * sequence, plus a check word, so a reader can verify per-producer order,
 * exact delivery, and that no payload mixes two writes.
 *
 * Links the object library: the stalled-producer and latest tests hold a
 * claimed sequence through the internal two-step publish, and some tests
 * publish through it to know each message's sequence.
 */
#include <sched.h>
#include <string.h>

#include "internal.h"
#include "testing.h"
#include "util.h"

#define PRODUCERS 4

struct msg {
	uint64_t producer;
	uint64_t seq;
	uint64_t check;
};

static void make(struct msg *m, uint64_t producer, uint64_t seq)
{
	m->producer = producer;
	m->seq = seq;
	m->check = (producer * 0x9E3779B97F4A7C15ull) ^ ~seq;
}

static int valid(const struct msg *m)
{
	struct msg want;

	if (m->producer >= PRODUCERS)
		return 0;
	make(&want, m->producer, m->seq);
	return memcmp(m, &want, sizeof(want)) == 0;
}

struct producer {
	struct photon_channel *ch;
	uint64_t id, count;
	int *go;
	int rc;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	struct photon_publisher *pub;
	struct msg m;
	uint64_t i;

	p->rc = photon_publisher_open(p->ch, &pub);
	if (p->rc != PHOTON_OK)
		return NULL;
	while (!__atomic_load_n(p->go, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < p->count && p->rc == PHOTON_OK; i++) {
		make(&m, p->id, i);
		p->rc = photon_publish(pub, &m);
	}
	if (p->rc == PHOTON_OK && photon_publisher_sequence(pub) != p->count)
		p->rc = PHOTON_EINVAL;
	photon_publisher_close(pub);
	return NULL;
}

struct reader {
	struct photon_subscriber *sub;
	uint64_t next[PRODUCERS]; /* next expected seq per producer */
	uint64_t delivered, skipped, torn, disorder;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	unsigned empties = 0;
	struct msg m;

	for (;;) {
		int rc = photon_try_recv(r->sub, &m);

		if (rc == PHOTON_OK) {
			if (!valid(&m)) {
				r->torn++;
				continue;
			}
			/* Lossless: exactly the next; lossy: never older. */
			r->disorder += m.seq < r->next[m.producer];
			r->next[m.producer] = m.seq + 1;
			r->delivered++;
		} else if (rc == PHOTON_LAGGED) {
			r->skipped += photon_subscriber_last_skipped(r->sub);
		} else if (rc == PHOTON_EMPTY) {
			if (++empties % 64 == 0)
				sched_yield();
		} else {
			break; /* CLOSED: the last producer closed */
		}
	}
	return NULL;
}

/* N producers, 2 readers; returns the readers' results. */
static void run(struct photon_channel *ch, uint64_t per_producer,
		struct reader *r)
{
	struct producer p[PRODUCERS];
	pthread_t tp[PRODUCERS], tr[2];
	int go = 0, k;

	for (k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		assert_rc(photon_subscribe(ch, &r[k].sub), PHOTON_OK);
	}
	/* Open one handle up front so the channel cannot close before the
	 * producers have all opened theirs. */
	struct photon_publisher *hold;
	assert_rc(photon_publisher_open(ch, &hold), PHOTON_OK);
	for (k = 0; k < PRODUCERS; k++) {
		p[k] = (struct producer){ .ch = ch,
					  .id = (uint64_t)k,
					  .count = per_producer,
					  .go = &go };
		spawn(&tp[k], producer_main, &p[k]);
	}
	for (k = 0; k < 2; k++)
		spawn(&tr[k], reader_main, &r[k]);
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (k = 0; k < PRODUCERS; k++) {
		join(tp[k]);
		assert_rc(p[k].rc, PHOTON_OK);
	}
	photon_publisher_close(hold);
	for (k = 0; k < 2; k++) {
		join(tr[k]);
		assert_int_equal(r[k].torn, 0);
		assert_int_equal(r[k].disorder, 0);
		assert_int_equal(photon_subscriber_received(r[k].sub),
				 r[k].delivered);
		assert_int_equal(photon_subscriber_lagged(r[k].sub),
				 r[k].skipped);
		/* Every position delivered or skipped, exactly once. */
		assert_int_equal(r[k].delivered + r[k].skipped,
				 PRODUCERS * per_producer);
		photon_subscriber_close(r[k].sub);
	}
	photon_channel_release(ch);
}

/* Bounded MPMC: every message to every reader exactly once, in order. */
static void test_mpmc_bounded_exactly_once(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct reader r[2];
	int k, i;

	(void)state;
	o.capacity = 1024;
	o.msg_size = sizeof(struct msg);
	o.flags = PHOTON_MPMC | PHOTON_BOUNDED;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	run(ch, 100000, r);
	for (k = 0; k < 2; k++) {
		assert_int_equal(r[k].skipped, 0);
		for (i = 0; i < PRODUCERS; i++)
			assert_int_equal(r[k].next[i], 100000);
	}
}

/*
 * Lossy MPMC with a ring larger than everything published (4 x 10000 <
 * 65536): no slot is ever reused, so nothing can be lapped. Every reader
 * gets every message of every producer, none skipped.
 */
static void test_mpmc_lossy_large_ring(void **state)
{
	struct photon_channel *ch;
	struct reader r[2];
	int k, i;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 1 << 16, sizeof(struct msg)),
		  PHOTON_OK);
	run(ch, 10000, r);
	for (k = 0; k < 2; k++) {
		assert_int_equal(r[k].skipped, 0);
		assert_int_equal(r[k].delivered, PRODUCERS * 10000);
		for (i = 0; i < PRODUCERS; i++)
			assert_int_equal(r[k].next[i], 10000);
	}
}

/* Tiny rings under heavy contention: laps everywhere, accounting exact. */
static void test_mpmc_small_rings(void **state)
{
	static const size_t caps[] = { 4, 5, 8 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct photon_channel *ch;
		struct reader r[2];

		assert_rc(photon_channel_create_mpmc(&ch, caps[k],
						     sizeof(struct msg)),
			  PHOTON_OK);
		run(ch, 20000, r);
		print_message("capacity %zu: reader 0 got %llu, lost %llu\n",
			      caps[k], (unsigned long long)r[0].delivered,
			      (unsigned long long)r[0].skipped);
	}
}

/* Bounded MPMC with tiny rings: contention on the gate, still lossless. */
static void test_mpmc_bounded_small_ring(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct reader r[2];

	(void)state;
	o.capacity = 4;
	o.msg_size = sizeof(struct msg);
	o.watermark = 1;
	o.flags = PHOTON_MPMC | PHOTON_BOUNDED;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	run(ch, 10000, r);
	assert_int_equal(r[0].skipped + r[1].skipped, 0);
}

struct lapper {
	struct photon_channel *ch;
	uint64_t id, count;
	int rc;
};

static void *lapper_main(void *arg)
{
	struct lapper *l = arg;
	struct photon_publisher *pub;
	struct msg m;
	uint64_t i;

	l->rc = photon_publisher_open(l->ch, &pub);
	for (i = 0; i < l->count && l->rc == PHOTON_OK; i++) {
		make(&m, l->id, i);
		l->rc = photon_publish(pub, &m);
	}
	photon_publisher_close(pub);
	return NULL;
}

/*
 * A producer stalls between claiming a sequence and committing it while
 * others publish a whole lap and more. Nobody may write its slot before it
 * commits (stamps never move backwards, no mixed payload), the cursor may
 * not pass it, and once it commits everything flows again.
 */
static void test_mpmc_stalled_producer(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *slow;
	struct photon_subscriber *s;
	struct lapper l[2];
	pthread_t t[2];
	struct msg m;
	uint64_t claimed, delivered = 0, skipped = 0;
	int k, rc;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 4, sizeof(struct msg)),
		  PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &slow), PHOTON_OK);
	assert_rc(photon__mpmc_claim(slow, 1, &claimed), PHOTON_OK);
	assert_int_equal(claimed, 0);
	for (k = 0; k < 2; k++) {
		l[k] = (struct lapper){ .ch = ch,
					.id = (uint64_t)k + 1,
					.count = 20 };
		spawn(&t[k], lapper_main, &l[k]);
	}
	/* Wait until the others have claimed a whole lap past the stalled
	 * sequence: some of them now wait for its slot. */
	while (PHOTON__LOAD(&ch->sh->line.next, PHOTON__ACQUIRE) < 6)
		sched_yield();
	/* The cursor cannot pass an uncommitted sequence. */
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE),
			 UINT64_MAX);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);
	assert_int_equal(photon_pending(s), 0);
	/* Nobody wrote the stalled slot: its stamp is still "never". */
	assert_int_equal(
	    PHOTON__LOAD((struct photon__atomic64 *)ch->slots, PHOTON__ACQUIRE),
	    0);
	make(&m, 0, 0);
	photon__mpmc_commit(slow, &m, claimed);
	for (k = 0; k < 2; k++) {
		join(t[k]);
		assert_rc(l[k].rc, PHOTON_OK);
	}
	photon_publisher_close(slow);
	while ((rc = photon_try_recv(s, &m)) != PHOTON_CLOSED) {
		if (rc == PHOTON_OK) {
			assert_true(valid(&m));
			delivered++;
		} else if (rc == PHOTON_LAGGED) {
			skipped += photon_subscriber_last_skipped(s);
		}
	}
	assert_int_equal(delivered + skipped, 41);
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE),
			 40);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* The channel closes with its last publisher handle, not its first. */
static void test_mpmc_close_with_last_handle(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *a, *b, *c;
	struct photon_subscriber *s;
	uint64_t v = 1;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &a), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &b), PHOTON_OK);
	assert_rc(photon_publish(a, &v), PHOTON_OK);
	photon_publisher_close(a);
	assert_false(photon_channel_is_closed(ch));
	v = 2;
	assert_rc(photon_publish(b, &v), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(b), 1);
	photon_publisher_close(b);
	assert_true(photon_channel_is_closed(ch));
	assert_rc(photon_publisher_open(ch, &c), PHOTON_CLOSED);
	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 1);
	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 2);
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* Bounded MPMC: FULL at the watermark, room after a read. */
static void test_mpmc_bounded_full(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_publisher *a, *b;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	o.capacity = 8;
	o.msg_size = 8;
	o.watermark = 2;
	o.flags = PHOTON_MPMC | PHOTON_BOUNDED;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &a), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &b), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(photon_try_publish(i % 2 ? a : b, &i), PHOTON_OK);
	assert_rc(photon_try_publish(a, &i), PHOTON_FULL);
	assert_rc(photon_try_publish(b, &i), PHOTON_FULL);
	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 0);
	assert_rc(photon_try_publish(a, &i), PHOTON_OK);
	assert_rc(photon_try_publish(b, &i), PHOTON_FULL);
	photon_publisher_close(a);
	photon_publisher_close(b);
	for (i = 1; i < 7; i++) {
		assert_rc(photon_try_recv(s, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* ---- photon_latest on MPMC channels ---- */

static unsigned latest_retries;

/* latest() never blocks: a test fails here rather than spin for ever. */
static void count_latest_retries(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point == PHOTON__TP_LATEST_RETRY && ++latest_retries > 1000)
		fail_msg("photon_latest retried %u times without returning",
			 latest_retries);
}

static int teardown_hook(void **state)
{
	(void)state;
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	return 0;
}

/* Single thread: sequences are claimed in call order, so `seq` is known. */
static void publish_seq(struct photon_publisher *p, uint64_t id, uint64_t seq)
{
	struct msg m;

	make(&m, id, seq);
	assert_rc(photon_publish(p, &m), PHOTON_OK);
}

static void expect_msg(int rc, const struct msg *m, uint64_t id, uint64_t seq)
{
	assert_rc(rc, PHOTON_OK);
	assert_true(valid(m));
	assert_int_equal(m->producer, id);
	assert_int_equal(m->seq, seq);
}

/*
 * latest() on an MPMC channel: the newest committed message from whichever
 * producer, never counted as received for what it jumps over; EMPTY when
 * nothing is new, also while a claim held uncommitted keeps later commits
 * behind the cursor; the newest committed message also when a commit past
 * such a claim has reused the slot of the cursor's unread message; CLOSED
 * once the last producer has closed and nothing new is left.
 */
static void test_mpmc_latest(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p[3];
	struct photon_subscriber *s;
	struct msg m;
	uint64_t seq, held;
	int k;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 8, sizeof(struct msg)),
		  PHOTON_OK);
	for (k = 0; k < 3; k++)
		assert_rc(photon_publisher_open(ch, &p[k]), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	latest_retries = 0;
	__atomic_store_n(&photon__test_hook, count_latest_retries,
			 __ATOMIC_RELEASE);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);

	/* Three producers take turns: 0..4. The newest is 4, producer 1's;
	 * 0..3 are passed over, neither received nor lagged. */
	for (seq = 0; seq < 5; seq++)
		publish_seq(p[seq % 3], seq % 3, seq);
	expect_msg(photon_latest(s, &m), &m, 1, 4);
	assert_int_equal(photon_subscriber_received(s), 1);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_int_equal(photon_pending(s), 0);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);

	/* Reads go on right after it; latest passes over 6. */
	for (; seq < 8; seq++)
		publish_seq(p[seq % 3], seq % 3, seq);
	expect_msg(photon_try_recv(s, &m), &m, 2, 5);
	expect_msg(photon_latest(s, &m), &m, 1, 7);
	assert_int_equal(photon_subscriber_received(s), 3);

	/* Producer 2 holds 8 claimed; 9 and 10 commit behind it. The cursor
	 * stays at 7: nothing new for either read... */
	assert_rc(photon__mpmc_claim(p[2], 0, &held), PHOTON_OK);
	assert_int_equal(held, 8);
	for (seq = 9; seq < 11; seq++)
		publish_seq(p[seq % 2], seq % 2, seq);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);
	assert_int_equal(photon_pending(s), 0);
	/* ...until it commits: the cursor moves to 10, the newest. */
	make(&m, 2, held);
	photon__mpmc_commit(p[2], &m, held);
	expect_msg(photon_latest(s, &m), &m, 0, 10);
	assert_int_equal(photon_subscriber_received(s), 4);

	/* 11 is published and not read. Producer 2 holds 12; 13..19 commit
	 * behind it, and 19 reuses 11's slot, the cursor's. 19 is the newest
	 * committed message: latest delivers it, past the claim. */
	publish_seq(p[0], 0, 11);
	assert_rc(photon__mpmc_claim(p[2], 0, &held), PHOTON_OK);
	assert_int_equal(held, 12);
	for (seq = 13; seq < 20; seq++)
		publish_seq(p[seq % 2], seq % 2, seq);
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE),
			 11);
	expect_msg(photon_latest(s, &m), &m, 1, 19);
	assert_int_equal(photon_subscriber_received(s), 5);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);

	/* The claim commits: the cursor catches up to 19, nothing is new. */
	make(&m, 2, held);
	photon__mpmc_commit(p[2], &m, held);
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE),
			 19);
	assert_int_equal(photon_pending(s), 0);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);

	/* Two producers close: not closed yet. The last one publishes 16
	 * and closes: 16 is still delivered, then CLOSED. */
	photon_publisher_close(p[0]);
	photon_publisher_close(p[1]);
	assert_rc(photon_latest(s, &m), PHOTON_EMPTY);
	publish_seq(p[2], 2, 20);
	photon_publisher_close(p[2]);
	expect_msg(photon_latest(s, &m), &m, 2, 20);
	assert_rc(photon_latest(s, &m), PHOTON_CLOSED);
	assert_rc(photon_try_recv(s, &m), PHOTON_CLOSED);
	/* Delivered: 4, 5, 7, 10, 19, 20; the other 15 were jumped over. */
	assert_int_equal(photon_subscriber_received(s), 6);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	/* Single-threaded, no slot is ever mid-write: no retry either. */
	assert_int_equal(latest_retries, 0);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/*
 * A producer thread publishing through claim and commit, so each payload
 * carries its global sequence. The handle is opened by the test before the
 * thread starts (the channel cannot close early) and closed by the thread.
 */
struct committer {
	struct photon_publisher *pub;
	uint64_t id, count;
	const int *go, *stop; /* stop: NULL, or ends the run once set */
	int rc;
};

static void *committer_main(void *arg)
{
	struct committer *c = arg;
	struct msg m;
	uint64_t i, s;

	while (!__atomic_load_n(c->go, __ATOMIC_ACQUIRE))
		sched_yield();
	c->rc = PHOTON_OK;
	for (i = 0; i < c->count; i++) {
		if (c->stop && __atomic_load_n(c->stop, __ATOMIC_ACQUIRE))
			break;
		c->rc = photon__mpmc_claim(c->pub, 1, &s);
		if (c->rc != PHOTON_OK)
			break;
		make(&m, c->id, s);
		photon__mpmc_commit(c->pub, &m, s);
	}
	photon_publisher_close(c->pub);
	return NULL;
}

/* Messages committed so far, as the cursor says (none: all-ones + 1). */
static uint64_t committed(struct photon_channel *ch)
{
	return PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE) + 1;
}

/*
 * latest() and try_recv() on one subscriber while four producers lap a
 * ring of 8 from other threads: every call returns; each delivered message
 * is whole and newer than the one before; after the last producer closes
 * the newest message (the last sequence) has been delivered, then CLOSED;
 * and every sequence was delivered, lagged or jumped over, exactly once.
 * The producers run until latest() has delivered LATEST_OKS messages, so
 * that many were taken while they were publishing, whatever the scheduling.
 */
#define LATEST_OKS 500

static void test_mpmc_latest_cross_thread(void **state)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct committer c[PRODUCERS];
	pthread_t t[PRODUCERS];
	struct msg m;
	uint64_t n = 0, ok = 0, by_latest = 0, skipped = 0, torn = 0;
	uint64_t backwards = 0, last = 0, total;
	unsigned empties = 0;
	int go = 0, stop = 0, k, rc;

	(void)state;
	assert_rc(photon_channel_create_mpmc(&ch, 8, sizeof(struct msg)),
		  PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (k = 0; k < PRODUCERS; k++) {
		c[k] = (struct committer){ .id = (uint64_t)k,
					   .count = UINT64_MAX,
					   .go = &go,
					   .stop = &stop };
		assert_rc(photon_publisher_open(ch, &c[k].pub), PHOTON_OK);
		spawn(&t[k], committer_main, &c[k]);
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	for (;;) {
		int latest = n++ % 3 != 0;

		rc = latest ? photon_latest(s, &m) : photon_try_recv(s, &m);
		if (rc == PHOTON_OK) {
			if (!valid(&m)) {
				torn++;
				continue;
			}
			backwards += ok && m.seq <= last;
			last = m.seq;
			ok++;
			if (latest && ++by_latest == LATEST_OKS)
				__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		} else if (rc == PHOTON_LAGGED) {
			skipped += photon_subscriber_last_skipped(s);
		} else if (rc == PHOTON_EMPTY) {
			if (++empties % 64 == 0)
				sched_yield();
		} else {
			assert_rc(rc, PHOTON_CLOSED);
			break;
		}
	}
	for (k = 0; k < PRODUCERS; k++) {
		join(t[k]);
		assert_rc(c[k].rc, PHOTON_OK);
	}
	total = committed(ch);
	print_message(
	    "latest/try_recv: %llu of %llu delivered, %llu lagged, "
	    "%llu jumped over\n",
	    (unsigned long long)ok, (unsigned long long)total,
	    (unsigned long long)skipped,
	    (unsigned long long)PHOTON__LOAD(&s->jumped, PHOTON__RELAXED));
	assert_true(by_latest >= LATEST_OKS);
	assert_int_equal(torn, 0);
	assert_int_equal(backwards, 0);
	assert_int_equal(last, total - 1);
	assert_int_equal(photon_subscriber_received(s), ok);
	assert_int_equal(photon_subscriber_lagged(s), skipped);
	assert_int_equal(
	    ok + skipped + PHOTON__LOAD(&s->jumped, PHOTON__RELAXED), total);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* ---- bounded MPMC: subscribe_from_oldest mid-stream ---- */

#define OLDEST_CAP    32
#define OLDEST_ROUNDS 200

struct steady {
	struct photon_subscriber *sub;
	uint64_t next, bad;
};

/* Reads until CLOSED: every sequence from 0, in order, never lagged. */
static void *steady_main(void *arg)
{
	struct steady *r = arg;
	unsigned empties = 0;
	struct msg m;
	int rc;

	while ((rc = photon_try_recv(r->sub, &m)) != PHOTON_CLOSED) {
		if (rc == PHOTON_EMPTY) {
			if (++empties % 64 == 0)
				sched_yield();
			continue;
		}
		r->bad += rc != PHOTON_OK || !valid(&m) || m.seq != r->next;
		r->next++;
	}
	return NULL;
}

static void from_oldest_case(int steady)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct committer c[PRODUCERS];
	struct steady r = { 0 };
	pthread_t t[PRODUCERS], tr;
	uint64_t h, k, total;
	int go = 0, stop = 0, i;

	o.capacity = OLDEST_CAP;
	o.msg_size = sizeof(struct msg);
	o.flags = PHOTON_MPMC | PHOTON_BOUNDED;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	if (steady) {
		assert_rc(photon_subscribe(ch, &r.sub), PHOTON_OK);
		spawn(&tr, steady_main, &r);
	}
	for (i = 0; i < PRODUCERS; i++) {
		c[i] = (struct committer){ .id = (uint64_t)i,
					   .count = UINT64_MAX,
					   .go = &go,
					   .stop = &stop };
		assert_rc(photon_publisher_open(ch, &c[i].pub), PHOTON_OK);
		spawn(&t[i], committer_main, &c[i]);
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	/* Mid-stream: the ring has wrapped a few times. */
	while (committed(ch) < 4 * OLDEST_CAP)
		sched_yield();
	for (k = 0; k < OLDEST_ROUNDS; k++) {
		struct photon_subscriber *s;
		uint64_t want = 1 + (k * 37) % 97, j, start;

		/* Alone: no consumer since the last close; the producers
		 * overwrite a whole ring before the next one joins. */
		for (h = committed(ch);
		     !steady && committed(ch) < h + OLDEST_CAP;)
			sched_yield();
		h = committed(ch);
		assert_rc(photon_subscribe_from_oldest(ch, &s), PHOTON_OK);
		start = s->start;
		/* At or after the oldest message held when it subscribed. */
		assert_true(start + OLDEST_CAP >= h);
		for (j = 0; j < want; j++) {
			struct msg m;
			int rc;

			while ((rc = photon_try_recv(s, &m)) == PHOTON_EMPTY)
				sched_yield();
			if (rc == PHOTON_LAGGED)
				fail_msg("from-oldest subscriber %llu, started "
					 "at %llu, LAGGED %llu after %llu "
					 "messages",
					 (unsigned long long)k,
					 (unsigned long long)start,
					 (unsigned long long)
					     photon_subscriber_last_skipped(s),
					 (unsigned long long)j);
			assert_rc(rc, PHOTON_OK);
			assert_true(valid(&m));
			assert_int_equal(m.seq, start + j);
		}
		assert_int_equal(photon_subscriber_lagged(s), 0);
		photon_subscriber_close(s);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < PRODUCERS; i++) {
		join(t[i]);
		assert_rc(c[i].rc, PHOTON_OK);
	}
	total = committed(ch);
	if (steady) {
		join(tr);
		assert_int_equal(r.bad, 0);
		assert_int_equal(r.next, total);
		assert_int_equal(photon_subscriber_lagged(r.sub), 0);
		photon_subscriber_close(r.sub);
	}
	print_message("from oldest, %s: %llu messages\n",
		      steady ? "with a steady reader" : "alone",
		      (unsigned long long)total);
	photon_channel_release(ch);
}

/*
 * Bounded MPMC: subscribers from the oldest message held join while four
 * producers run, one after another. Each starts at or after the oldest
 * message held when it subscribed, reads consecutive sequences from its
 * start and is never LAGGED: with a steady reader registered throughout,
 * and alone, joining a channel with no consumer at all.
 */
static void test_mpmc_bounded_from_oldest(void **state)
{
	(void)state;
	from_oldest_case(1);
	from_oldest_case(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mpmc_bounded_exactly_once),
		cmocka_unit_test(test_mpmc_lossy_large_ring),
		cmocka_unit_test(test_mpmc_small_rings),
		cmocka_unit_test(test_mpmc_bounded_small_ring),
		cmocka_unit_test(test_mpmc_stalled_producer),
		cmocka_unit_test(test_mpmc_close_with_last_handle),
		cmocka_unit_test(test_mpmc_bounded_full),
		cmocka_unit_test_teardown(test_mpmc_latest, teardown_hook),
		cmocka_unit_test(test_mpmc_latest_cross_thread),
		cmocka_unit_test(test_mpmc_bounded_from_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
