/* SPDX-License-Identifier: MIT */
/*
 * Backpressure of bounded channels.
 *
 * Each consumer (subscriber or group) of a bounded channel is a tracker: its
 * own position word, written by it after every read (R5) and read here by the
 * publisher (G1). The publisher keeps a cached limit, gate_min + capacity -
 * watermark, and only comes here when its next sequence reaches it.
 *
 * Invariant: gate_min <= the position of every registered tracker, so a
 * publish below the limit never overwrites a slot a consumer still needs.
 * It holds because everything that changes the registry or gate_min runs
 * under gate_lock:
 *   - the rescan sets gate_min to the minimum tracker position, or, with no
 *     tracker, to the oldest sequence still held after the next publish;
 *   - a new consumer starts at max(its natural start, gate_min), computed
 *     while registering, so it is never below the publisher's cached view
 *     and never lapped between choosing its start and being seen;
 *   - closing a consumer removes it at once; the cached limit is then only
 *     conservative until the next rescan.
 * With no consumer the limit is the next sequence + 1: every publish takes
 * the lock, which is what makes a subscribe that races the publisher safe.
 */
#include <stdlib.h>

#include "arch.h"
#include "internal.h"

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
		head = PHOTON__LOAD(&ch->cursor, PHOTON__ACQUIRE); /* R6 */
		start = from_oldest ? photon__oldest_held(head, ch->capacity)
				    : head + 1;
		PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
		return PHOTON_OK;
	}
	pthread_mutex_lock(&ch->gate_lock);
	if (ch->ntrackers == ch->trackers_cap) {
		size_t cap = ch->trackers_cap ? 2 * ch->trackers_cap : 8;
		struct photon_subscriber **t =
		    realloc(ch->trackers, cap * sizeof(*t));
		if (!t) {
			pthread_mutex_unlock(&ch->gate_lock);
			return photon__fail(PHOTON_ENOMEM,
					    "out of memory for a tracker");
		}
		ch->trackers = t;
		ch->trackers_cap = cap;
	}
	head = PHOTON__LOAD(&ch->cursor, PHOTON__ACQUIRE); /* R6 */
	start =
	    from_oldest ? photon__oldest_held(head, ch->capacity) : head + 1;
	if (start < ch->gate_min)
		start = ch->gate_min;
	PHOTON__STORE(&s->pos, start, PHOTON__RELAXED);
	ch->trackers[ch->ntrackers++] = s;
	s->registered = 1;
	pthread_mutex_unlock(&ch->gate_lock);
	return PHOTON_OK;
}

void photon__gate_unregister(struct photon_channel *ch,
			     struct photon_subscriber *s)
{
	size_t i;

	if (!s->registered)
		return;
	pthread_mutex_lock(&ch->gate_lock);
	for (i = 0; i < ch->ntrackers; i++) {
		if (ch->trackers[i] == s) {
			ch->trackers[i] = ch->trackers[--ch->ntrackers];
			break;
		}
	}
	s->registered = 0;
	pthread_mutex_unlock(&ch->gate_lock);
}

/* Recomputes the publisher's limit from the trackers (the rescan). */
static void rescan(struct photon_publisher *p, struct photon_channel *ch)
{
	uint64_t room = ch->capacity - ch->watermark;
	size_t i;

	pthread_mutex_lock(&ch->gate_lock);
	if (ch->ntrackers == 0) {
		ch->gate_min = photon__oldest_held(p->seq, ch->capacity);
		p->limit = p->seq + 1;
	} else {
		uint64_t m = UINT64_MAX;
		for (i = 0; i < ch->ntrackers; i++) {
			/* G1, pairs with R5: the reads of a slot below this
			 * position are done, so it may be reused. */
			uint64_t pos = PHOTON__LOAD(&ch->trackers[i]->pos,
						    PHOTON__ACQUIRE);
			if (pos < m)
				m = pos;
		}
		ch->gate_min = m;
		p->limit = m + room;
	}
	pthread_mutex_unlock(&ch->gate_lock);
}

/*
 * The publisher's slow path, reached when seq >= limit. Returns PHOTON_OK
 * once seq < limit, or PHOTON_FULL when wait is 0 and there is no room.
 */
PHOTON_API int photon__publisher_gate(struct photon_publisher *p, int wait)
{
	struct photon_channel *ch = p->channel;
	struct photon__waiter wt;

	if (!bounded(ch)) {
		p->limit = UINT64_MAX;
		return PHOTON_OK;
	}
	photon__waiter_init(&wt, NULL);
	for (;;) {
		rescan(p, ch);
		if (p->seq < p->limit)
			return PHOTON_OK;
		if (!wait)
			return PHOTON_FULL;
		photon__waiter_pause(&wt);
	}
}
