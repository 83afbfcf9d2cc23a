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

void photon__gate_init(struct photon_channel *ch)
{
	pthread_mutex_init(&ch->gate_lock, NULL);
}

void photon__gate_destroy(struct photon_channel *ch)
{
	pthread_mutex_destroy(&ch->gate_lock);
	free(ch->trackers);
	ch->trackers = NULL;
}

static int bounded(const struct photon_channel *ch)
{
	return (ch->flags & PHOTON_BOUNDED) != 0;
}

int photon__gate_register(struct photon_channel *ch,
			  struct photon_subscriber *s, int from_oldest)
{
	uint64_t head, start;

	if (!bounded(ch)) {
		head = PHOTON__LOAD(&ch->line.cursor, PHOTON__ACQUIRE); /* R6 */
		start = from_oldest
			    ? photon__oldest_held(head, ch->index.capacity)
			    : head + 1;
		PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
		return PHOTON_OK;
	}
	pthread_mutex_lock(&ch->gate_lock);
	if (ch->ntrackers == ch->trackers_cap) {
		size_t cap = ch->trackers_cap ? 2 * ch->trackers_cap : 8;
		struct photon__tracker *t =
		    realloc(ch->trackers, cap * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&ch->gate_lock);
			return photon__fail(PHOTON_ENOMEM,
					    "out of memory for a tracker");
		}
		ch->trackers = t;
		ch->trackers_cap = cap;
	}
	head = PHOTON__LOAD(&ch->line.cursor, PHOTON__ACQUIRE); /* R6 */
	start = from_oldest ? photon__oldest_held(head, ch->index.capacity)
			    : head + 1;
	if (start < ch->gate_min)
		start = ch->gate_min;
	PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
	ch->trackers[ch->ntrackers++] =
	    (struct photon__tracker){ .sub = s, .seen_pos = start };
	s->registered = 1;
	pthread_mutex_unlock(&ch->gate_lock);
	return PHOTON_OK;
}

uint64_t photon__gate_rejoin(struct photon_channel *ch,
			     struct photon_subscriber *s, uint64_t oldest)
{
	uint64_t pos = oldest;
	size_t i;

	pthread_mutex_lock(&ch->gate_lock);
	if (pos < ch->gate_min)
		pos = ch->gate_min;
	for (i = 0; i < ch->ntrackers; i++) {
		struct photon__tracker *t = &ch->trackers[i];

		if (t->sub == s) { /* counted again from the next rescan */
			t->seen_pos = pos;
			t->blocking_since = 0;
			t->stalled = 0;
			break;
		}
	}
	/* R5 for the new position; the rescan reads it under the lock. */
	PHOTON__STORE(&s->pos, pos, PHOTON__RELEASE);
	pthread_mutex_unlock(&ch->gate_lock);
	return pos;
}

void photon__gate_unregister(struct photon_channel *ch,
			     struct photon_subscriber *s)
{
	size_t i;

	if (!s->registered)
		return;
	pthread_mutex_lock(&ch->gate_lock);
	for (i = 0; i < ch->ntrackers; i++) {
		if (ch->trackers[i].sub == s) {
			ch->trackers[i] = ch->trackers[--ch->ntrackers];
			break;
		}
	}
	s->registered = 0;
	pthread_mutex_unlock(&ch->gate_lock);
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
	PHOTON__FETCH_ADD(&t->sub->stalls, 1, PHOTON__RELAXED);
	PHOTON__FETCH_ADD(&ch->stalls, 1, PHOTON__RELAXED);
	return 1;
}

/* gate_min only moves up: see the invariant at the top. Under gate_lock. */
static void raise_floor(struct photon_channel *ch, uint64_t floor)
{
	if (floor > ch->gate_min)
		ch->gate_min = floor;
}

/*
 * The rescan: the limit below which sequences may be published, given that
 * `next` is the next one to publish. Under gate_lock; sets gate_min.
 */
static uint64_t rescan(struct photon_channel *ch, uint64_t next)
{
	uint64_t room = ch->index.capacity - ch->watermark;
	uint64_t m = UINT64_MAX, now = 0;
	size_t i;

	for (i = 0; i < ch->ntrackers; i++) {
		struct photon__tracker *t = &ch->trackers[i];
		/* G1, pairs with R5: the reads of a slot below this position
		 * are done, so it may be reused. */
		uint64_t pos = PHOTON__LOAD(&t->sub->pos, PHOTON__ACQUIRE);

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
		pthread_mutex_lock(&ch->gate_lock);
		p->gate = rescan(ch, s);
		pthread_mutex_unlock(&ch->gate_lock);
		photon__publisher_limit(p);
		if (s < p->gate)
			return PHOTON_OK;
		if (!wait)
			return PHOTON_FULL;
		if (!waiting) { /* the spin ladder only once it is needed */
			photon__waiter_init(&wt, NULL);
			waiting = 1;
		}
		photon__waiter_pause(&wt);
	}
}

/*
 * Bounded MPMC: a claim is a compare-and-swap of the shared counter below
 * the shared limit, so no producer ever holds a sequence the gate did not
 * allow (a fetch-add could not be taken back when the ring is full).
 */
int photon__gate_claim(struct photon_channel *ch, uint64_t *seq, int wait)
{
	struct photon__atomic64 *next = &ch->line.next;
	uint64_t s = PHOTON__LOAD(next, PHOTON__RELAXED);
	struct photon__waiter wt;

	photon__waiter_init(&wt, NULL);
	for (;;) {
		uint64_t limit = PHOTON__LOAD(&ch->mp_limit, PHOTON__ACQUIRE);

		if (s < limit) {
			if (PHOTON__CAS(next, &s, s + 1, PHOTON__RELAXED,
					PHOTON__RELAXED)) {
				*seq = s;
				return PHOTON_OK;
			}
			continue; /* s was reloaded */
		}
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_FULL, ch);
		pthread_mutex_lock(&ch->gate_lock);
		s = PHOTON__LOAD(next, PHOTON__RELAXED);
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_LOCKED, ch);
		limit = rescan(ch, s);
		/* Never lower: other producers may hold claims made under
		 * the current limit, and gate_min covers that one. */
		if (limit > PHOTON__LOAD(&ch->mp_limit, PHOTON__RELAXED))
			PHOTON__STORE(&ch->mp_limit, limit, PHOTON__RELEASE);
		else
			limit = PHOTON__LOAD(&ch->mp_limit, PHOTON__RELAXED);
		pthread_mutex_unlock(&ch->gate_lock);
		PHOTON__TEST_POINT(PHOTON__TP_CLAIM_RESCANNED, ch);
		if (s < limit)
			continue;
		if (!wait)
			return PHOTON_FULL;
		photon__waiter_pause(&wt);
		s = PHOTON__LOAD(next, PHOTON__RELAXED);
	}
}
