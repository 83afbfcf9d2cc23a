/* SPDX-License-Identifier: MIT */
/*
 * Backpressure of bounded channels.
 *
 * Each consumer (subscriber or group) of a bounded channel is a tracker: its
 * own position word, written by it after every read (R5) and read here by the
 * publisher (G1). The publisher keeps a cached limit, gate_min + capacity -
 * watermark, and only comes here when its next sequence reaches it.
 *
 * Invariant: gate_min <= the position of every registered tracker that
 * gates, and gate_min >= L - capacity for every limit L ever granted (the
 * SPMC publisher's cached limit, the shared MPMC mp_limit). Any sequence
 * below a granted limit may be written without another look at the gate
 * (MPMC claims made under a higher limit can still be in flight), and such
 * a write overwrites at most sequence L - 1 - capacity: so a consumer at or
 * above gate_min is never lapped. It holds because everything that changes
 * the registry or gate_min runs under gate_lock:
 *   - the rescan raises gate_min to the minimum tracker position, or, with
 *     no tracker, to the oldest sequence still held after the next publish
 *     (= the new limit - capacity); gate_min and mp_limit never move down,
 *     since a lower value would not cover claims made under the higher one;
 *   - a new consumer starts at max(its natural start, gate_min), computed
 *     while registering, so it is never below the publisher's cached view
 *     and never lapped between choosing its start and being seen;
 *   - a consumer the stall rule dropped rejoins the same way: its LAGGED
 *     takes the lock and moves it to max(oldest held, gate_min);
 *   - closing a consumer removes it at once; the cached limit is then only
 *     conservative until the next rescan.
 * With no consumer the limit is the next sequence + 1: every publish takes
 * the lock, which is what makes a subscribe that races the publisher safe.
 */
#include <stdlib.h>

#include "arch.h"
#include "internal.h"
#include "testing.h"

/* How often a waiter for a shared channel's gate lock checks its owner. */
#define LOCK_PROBE_NS 10000000u

void photon__gate_lock(struct photon_channel *ch)
{
	struct photon__atomic64 *l = &ch->sh->gate_lock;
	uint64_t me = photon__proc_token(), cur = 0, probe_at = 0;
	struct photon__waiter wt;

	if (PHOTON__CAS(l, &cur, me, PHOTON__ACQUIRE, PHOTON__RELAXED))
		return;
	photon__waiter_init(&wt, NULL);
	for (;;) {
		if (cur == 0) {
			if (PHOTON__CAS(l, &cur, me, PHOTON__ACQUIRE,
					PHOTON__RELAXED))
				return;
			continue;
		}
		photon__waiter_pause(&wt);
		/* A holder in another process may have died in the lock:
		 * taken over, like a robust mutex's EOWNERDEAD. What it
		 * protects is written in an order that leaves every step
		 * usable (an entry is filled before it is marked used). */
		if (ch->shm && cur != me) {
			uint64_t now = photon__now_ns();

			if (!probe_at) {
				probe_at = now + LOCK_PROBE_NS;
			} else if (now >= probe_at) {
				probe_at = now + LOCK_PROBE_NS;
				if (!photon__token_alive(cur) &&
				    PHOTON__CAS(l, &cur, me, PHOTON__ACQUIRE,
						PHOTON__RELAXED))
					return;
			}
		}
		cur = PHOTON__LOAD(l, PHOTON__RELAXED);
	}
}

void photon__gate_unlock(struct photon_channel *ch)
{
	PHOTON__STORE(&ch->sh->gate_lock, 0, PHOTON__RELEASE);
}

void photon__gate_destroy(struct photon_channel *ch)
{
	size_t k;

	for (k = 0; k < PHOTON__TRACKER_BLOCKS; k++) {
		free(ch->blocks[k]);
		ch->blocks[k] = NULL;
	}
	ch->tracker_cap = 0;
}

struct photon__tracker *photon__tracker_at(const struct photon_channel *ch,
					   uint64_t i)
{
	uint64_t n = PHOTON__TRACKER_BLOCK;
	size_t k = 0;

	if (ch->shm)
		return &ch->blocks[0][i];
	while (i >= n) {
		i -= n;
		n *= 2;
		k++;
	}
	return &ch->blocks[k][i];
}

uint64_t photon__tracker_count(const struct photon_channel *ch)
{
	uint64_t n = PHOTON__LOAD(&ch->sh->ntrackers, PHOTON__ACQUIRE);

	/* The segment may say anything: never past the table. */
	return n < ch->tracker_cap ? n : ch->tracker_cap;
}

static int bounded(const struct photon_channel *ch)
{
	return (ch->flags & PHOTON_BOUNDED) != 0;
}

/* In-process tables grow by one block; shared ones have their size. */
static int grow(struct photon_channel *ch)
{
	size_t k = 0;
	uint64_t n = PHOTON__TRACKER_BLOCK;

	if (ch->shm)
		return 0;
	while (k < PHOTON__TRACKER_BLOCKS && ch->blocks[k]) {
		k++;
		n *= 2;
	}
	if (k == PHOTON__TRACKER_BLOCKS)
		return 0;
	ch->blocks[k] = photon__zalloc(PHOTON__FALSE_SHARING_RANGE,
				       n * sizeof(struct photon__tracker));
	if (!ch->blocks[k])
		return 0;
	ch->tracker_cap += n;
	return 1;
}

/* A free entry, under gate_lock; NULL when the table is full. */
static struct photon__tracker *free_entry(struct photon_channel *ch)
{
	uint64_t n = photon__tracker_count(ch), i;

	for (i = 0; i < n; i++) {
		struct photon__tracker *t = photon__tracker_at(ch, i);

		if (PHOTON__LOAD(&t->used, PHOTON__RELAXED) ==
		    PHOTON__TRACK_FREE)
			return t;
	}
	if (n == ch->tracker_cap && !grow(ch))
		return NULL;
	PHOTON__STORE(&ch->sh->ntrackers, n + 1, PHOTON__RELEASE);
	return photon__tracker_at(ch, n);
}

int photon__gate_register(struct photon_channel *ch,
			  struct photon_subscriber *s, int from_oldest)
{
	struct photon__shared *sh = ch->sh;
	struct photon__tracker *t;
	uint64_t head, start, pid, pstart;

	s->track = &s->pos;
	if (!bounded(ch) && !ch->shm) {
		head = PHOTON__LOAD(&sh->line.cursor, PHOTON__ACQUIRE); /* R6 */
		start = from_oldest
			    ? photon__oldest_held(head, ch->index.capacity)
			    : head + 1;
		PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
		return PHOTON_OK;
	}
	photon__gate_lock(ch);
	t = free_entry(ch);
	if (!t && ch->shm && photon__shm_reclaim(ch))
		t = free_entry(ch);
	if (!t) {
		photon__gate_unlock(ch);
		if (ch->shm)
			return photon__fail(
			    PHOTON_EBUSY,
			    "the segment's tracker table is full (%llu "
			    "consumers); create it with a larger "
			    "photon_opts.max_consumers",
			    (unsigned long long)ch->tracker_cap);
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a tracker");
	}
	head = PHOTON__LOAD(&sh->line.cursor, PHOTON__ACQUIRE); /* R6 */
	start = from_oldest ? photon__oldest_held(head, ch->index.capacity)
			    : head + 1;
	if (bounded(ch) && start < sh->gate_min)
		start = sh->gate_min;
	PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
	/* Filled first, marked used last. */
	photon__proc_self(&pid, &pstart);
	PHOTON__STORE(&t->pos, start, PHOTON__RELAXED);
	PHOTON__STORE(&t->pid, pid, PHOTON__RELAXED);
	PHOTON__STORE(&t->start, pstart, PHOTON__RELAXED);
	PHOTON__STORE(&t->stalls, 0, PHOTON__RELAXED);
	PHOTON__STORE(&t->parked, 0, PHOTON__RELAXED);
	PHOTON__STORE(&t->members, s->members, PHOTON__RELAXED);
	t->seen_pos = start;
	t->blocking_since = 0;
	t->stalled = 0;
	PHOTON__STORE(&t->used,
		      bounded(ch) ? PHOTON__TRACK_GATES : PHOTON__TRACK_LISTED,
		      PHOTON__RELEASE);
	s->tracker = t;
	s->track = &t->pos;
	photon__gate_unlock(ch);
	return PHOTON_OK;
}

uint64_t photon__gate_rejoin(struct photon_channel *ch,
			     struct photon_subscriber *s, uint64_t oldest)
{
	struct photon__tracker *t = s->tracker;
	uint64_t pos = oldest;

	photon__gate_lock(ch);
	if (pos < ch->sh->gate_min)
		pos = ch->sh->gate_min;
	/* Counted again from the next rescan. */
	t->seen_pos = pos;
	t->blocking_since = 0;
	t->stalled = 0;
	/* R5 for the new position; the rescan reads it under the lock. */
	photon__set_pos(s, pos);
	photon__gate_unlock(ch);
	return pos;
}

void photon__gate_unregister(struct photon_channel *ch,
			     struct photon_subscriber *s)
{
	uint64_t pid, start;

	if (!s->tracker)
		return;
	photon__proc_self(&pid, &start);
	photon__gate_lock(ch);
	/* Freed only if still ours: a segment written by someone else may
	 * have handed the entry on. */
	if (PHOTON__LOAD(&s->tracker->pid, PHOTON__RELAXED) == pid)
		PHOTON__STORE(&s->tracker->used, PHOTON__TRACK_FREE,
			      PHOTON__RELEASE);
	s->tracker = NULL;
	s->track = &s->pos;
	photon__gate_unlock(ch);
}

/*
 * The stall rule (opts.stall_timeout_ns): a tracker that holds the
 * publisher back (its position + room <= next) without moving for longer
 * than the timeout stops counting. It counts again as soon as it moves (its
 * LAGGED or its next read); until it has caught up with what the ring still
 * holds, it then holds the publisher back again. The clock starts when it
 * first holds the publisher back, so an idle consumer of an idle channel is
 * never stalled by a burst. Returns 1 when t is excluded. Under gate_lock.
 */
static int stalled(struct photon_channel *ch, struct photon__tracker *t,
		   uint64_t pos, uint64_t next, uint64_t room, uint64_t *now)
{
	if (!ch->stall_timeout_ns)
		return 0;
	if (pos != t->seen_pos) { /* it moved: it gates again from here */
		t->seen_pos = pos;
		t->blocking_since = 0;
		t->stalled = 0;
	}
	if (t->stalled)
		return 1;
	if (pos + room > next) {
		t->blocking_since = 0;
		return 0;
	}
	if (!*now)
		*now = photon__now_ns();
	if (!t->blocking_since) {
		t->blocking_since = *now;
		return 0;
	}
	if (*now - t->blocking_since < ch->stall_timeout_ns)
		return 0;
	t->stalled = 1;
	PHOTON__FETCH_ADD(&t->stalls, 1, PHOTON__RELAXED);
	PHOTON__FETCH_ADD(&ch->sh->stalls, 1, PHOTON__RELAXED);
	return 1;
}

/* gate_min only moves up: see the invariant at the top. Under gate_lock. */
static void raise_floor(struct photon_channel *ch, uint64_t floor)
{
	if (floor > ch->sh->gate_min)
		ch->sh->gate_min = floor;
}

/*
 * The rescan: the limit below which sequences may be published, given that
 * `next` is the next one to publish. Under gate_lock; sets gate_min.
 */
static uint64_t rescan(struct photon_channel *ch, uint64_t next)
{
	uint64_t room = ch->index.capacity - ch->watermark;
	uint64_t m = UINT64_MAX, now = 0;
	uint64_t i;

	uint64_t n = photon__tracker_count(ch);

	for (i = 0; i < n; i++) {
		struct photon__tracker *t = photon__tracker_at(ch, i);
		uint64_t pos;

		if (PHOTON__LOAD(&t->used, PHOTON__RELAXED) !=
		    PHOTON__TRACK_GATES)
			continue;
		/* G1, pairs with R5: the reads of a slot below this position
		 * are done, so it may be reused. */
		pos = PHOTON__LOAD(&t->pos, PHOTON__ACQUIRE);

		if (stalled(ch, t, pos, next, room, &now))
			continue;
		if (pos < m)
			m = pos;
	}
	if (m == UINT64_MAX) {
		/* No consumer gates: allow exactly the next publish, and
		 * protect what it leaves behind from new subscribers. */
		raise_floor(ch, photon__oldest_held(next, ch->index.capacity));
		return next + 1;
	}
	raise_floor(ch, m);
	return m + room;
}

/*
 * A publisher waiting for room in a shared channel: every so often the
 * consumers' liveness, so a dead consumer's entry stops gating within the
 * probe interval (shm.c).
 */
static void reclaim_if_due(struct photon_channel *ch)
{
	if (photon__shm_due(ch, 1)) {
		photon__gate_lock(ch);
		photon__shm_reclaim(ch);
		photon__gate_unlock(ch);
	}
}

int photon__gate_wait(struct photon_publisher *p, int wait)
{
	struct photon_channel *ch = p->channel;
	uint64_t s = PHOTON__LOAD(&p->seq, PHOTON__RELAXED);
	struct photon__waiter wt;
	int waiting = 0;

	if (!bounded(ch)) {
		p->gate = UINT64_MAX;
		photon__publisher_limit(p);
		return PHOTON_OK;
	}
	for (;;) {
		photon__gate_lock(ch);
		p->gate = rescan(ch, s);
		photon__gate_unlock(ch);
		photon__publisher_limit(p);
		if (s < p->gate)
			return PHOTON_OK;
		if (!wait) {
			reclaim_if_due(ch);
			return PHOTON_FULL;
		}
		if (!waiting) { /* the spin ladder only once it is needed */
			photon__waiter_init(&wt, NULL);
			waiting = 1;
		}
		photon__waiter_pause(&wt);
		reclaim_if_due(ch);
	}
}

/*
 * Bounded MPMC: a claim is a compare-and-swap of the shared counter below
 * the shared limit, so no producer ever holds a sequence the gate did not
 * allow (a fetch-add could not be taken back when the ring is full).
 */
int photon__gate_claim(struct photon_channel *ch, uint64_t *seq, int wait)
{
	struct photon__shared *sh = ch->sh;
	struct photon__atomic64 *next = &sh->line.next;
	uint64_t s = PHOTON__LOAD(next, PHOTON__RELAXED);
	struct photon__waiter wt;

	photon__waiter_init(&wt, NULL);
	for (;;) {
		uint64_t limit = PHOTON__LOAD(&sh->mp_limit, PHOTON__ACQUIRE);

		if (s < limit) {
			if (PHOTON__CAS(next, &s, s + 1, PHOTON__RELAXED,
					PHOTON__RELAXED)) {
				*seq = s;
				return PHOTON_OK;
			}
			continue; /* s was reloaded */
		}
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_FULL, ch);
		photon__gate_lock(ch);
		s = PHOTON__LOAD(next, PHOTON__RELAXED);
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_LOCKED, ch);
		limit = rescan(ch, s);
		/* Never lower: other producers may hold claims made under
		 * the current limit, and gate_min covers that one. */
		if (limit > PHOTON__LOAD(&sh->mp_limit, PHOTON__RELAXED))
			PHOTON__STORE(&sh->mp_limit, limit, PHOTON__RELEASE);
		else
			limit = PHOTON__LOAD(&sh->mp_limit, PHOTON__RELAXED);
		photon__gate_unlock(ch);
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_RESCANNED, ch);
		if (s < limit)
			continue;
		if (!wait) {
			reclaim_if_due(ch);
			return PHOTON_FULL;
		}
		/* A shared channel whose other producer died is closed:
		 * nothing will be read past its hole. */
		if (PHOTON__LOAD(&sh->closed, PHOTON__ACQUIRE) ||
		    (photon__shm_due(ch, 0) &&
		     photon__shm_probe_publishers(ch)))
			return PHOTON_CLOSED;
		photon__waiter_pause(&wt);
		reclaim_if_due(ch);
		s = PHOTON__LOAD(next, PHOTON__RELAXED);
	}
}
