/* SPDX-License-Identifier: MIT */
/* Definitions the ring core's units share (utilities: util.h). */
#ifndef PHOTON_INTERNAL_H
#define PHOTON_INTERNAL_H

#include <pthread.h>

#include <photon/photon.h>

#include "util.h"

/* Sequence value of the cursor before the first publish. */
#define PHOTON__NONE UINT64_MAX

/*
 * A registered consumer of a bounded channel, as the gate sees it. All but
 * `sub` belong to the gate and change only under gate_lock.
 */
struct photon__tracker {
	struct photon_subscriber *sub;
	uint64_t seen_pos;	 /* position when it started holding the gate */
	uint64_t blocking_since; /* ns; 0: not holding the publisher back */
	int stalled;		 /* excluded from the gate until it moves */
};

/*
 * The shared part of a channel. Three regions, each on its own pair of cache
 * lines: the cursor line (written by the publisher on every publish), the
 * read-mostly ring description with the closed flag (read by subscribers on
 * their miss path), and the control plane (reference count, publisher slot,
 * tracker registry).
 */
struct photon_channel {
	struct photon__cursor_line
	    line PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

	struct photon__atomic64
	    closed PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	unsigned char *slots;
	struct photon__ring_index index; /* capacity, and how to reduce */
	uint64_t stride;
	uint64_t msg_size;
	uint64_t watermark;
	size_t ring_bytes;
	size_t page_size;
	unsigned flags;

	struct photon__atomic64
	    refs PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	struct photon__atomic64 publisher_taken;
	/* Set once the first subscriber or group exists (prefault refuses). */
	struct photon__atomic64 subscribed;
	/*
	 * Bounded channels: the registry of consumer trackers and the gate's
	 * cached minimum. Registration, deregistration, the publisher's rescan
	 * and the start position of a bounded subscriber all happen under
	 * gate_lock, so a consumer is never lapped between choosing its start
	 * and being seen by the publisher.
	 */
	pthread_mutex_t gate_lock;
	struct photon__tracker *trackers;
	size_t ntrackers;
	size_t trackers_cap;
	uint64_t gate_min; /* <= every registered tracker's position */
	uint64_t stall_timeout_ns;
	struct photon__atomic64 stalls; /* consumers that stopped gating */
	/* MPMC: the shared claim limit and the open publisher handles. */
	struct photon__atomic64 mp_limit;
	size_t publishers;
	/* mem.c: the whole mapping, guard pages included (munmap). */
	void *map_base;
	size_t map_bytes;
};

PHOTON__STATIC_ASSERT(offsetof(struct photon_channel, line) == 0,
		      "the cursor line opens the channel");
PHOTON__STATIC_ASSERT(offsetof(struct photon_channel, closed) ==
			  PHOTON__FALSE_SHARING_RANGE,
		      "closed flag is two lines away from the cursor");
PHOTON__STATIC_ASSERT(offsetof(struct photon_channel, refs) ==
			  2 * PHOTON__FALSE_SHARING_RANGE,
		      "control plane is two lines away from the reader lines");

/*
 * mem.c: the ring's memory (zeroed, page aligned), placed and locked as the
 * options ask (PHOTON_HUGEPAGES, PHOTON_THP, PHOTON_MLOCK, PHOTON_PREFAULT,
 * PHOTON_NUMA); sets ch->slots, ch->ring_bytes and ch->page_size.
 */
int photon__ring_map(struct photon_channel *ch, size_t bytes,
		     const struct photon_opts *opts);
void photon__ring_unmap(struct photon_channel *ch);

/*
 * The exported publish and receive: the inline protocol with the message
 * size as a compile-time constant for the one-line sizes (8 to 56 bytes in
 * steps of 8), so their word copy unrolls as in the typed wrappers instead
 * of a loop over a run-time size; `other` handles the rest, out of line,
 * so its registers are not saved on every call.
 */
#define PHOTON__BY_SIZE(size, call, other) \
	switch (size) {                    \
	case 8:                            \
		return call(8);            \
	case 16:                           \
		return call(16);           \
	case 24:                           \
		return call(24);           \
	case 32:                           \
		return call(32);           \
	case 40:                           \
		return call(40);           \
	case 48:                           \
		return call(48);           \
	case 56:                           \
		return call(56);           \
	default:                           \
		return other;              \
	}

/* channel.c */
/*
 * MPMC publish in its two steps: claim a sequence (bounded: below the gate),
 * then write and commit it. Separate so tests can hold a claimed sequence.
 */
int photon__mpmc_claim(struct photon_publisher *p, int wait, uint64_t *seq);
void photon__mpmc_commit(struct photon_publisher *p, const void *msg,
			 uint64_t s);
/* Validates options; sets the error detail. */
int photon__check_opts(const struct photon_opts *o);
struct photon_channel *photon__channel_ref(struct photon_channel *ch);

/* subscriber.c */
int photon__subscribe_at(struct photon_channel *ch, int from_oldest,
			 uint64_t members, struct photon_subscriber **out);
/* Oldest sequence still held when the last published is head. */
uint64_t photon__oldest_held(uint64_t head, uint64_t capacity);

/* backpressure.c */
void photon__gate_init(struct photon_channel *ch);
void photon__gate_destroy(struct photon_channel *ch);
/*
 * Bounded channels: registers s and sets its start position under the gate
 * lock. Lossy channels: sets the start position only.
 */
int photon__gate_register(struct photon_channel *ch,
			  struct photon_subscriber *s, int from_oldest);
void photon__gate_unregister(struct photon_channel *ch,
			     struct photon_subscriber *s);
/*
 * A registered consumer was lapped (the stall rule had dropped it): moves it
 * to max(oldest, gate_min) under the gate lock, as a new from-oldest
 * subscriber would start, and makes the gate count it again. Returns the new
 * position, already stored.
 */
uint64_t photon__gate_rejoin(struct photon_channel *ch,
			     struct photon_subscriber *s, uint64_t oldest);
/*
 * SPMC: waits (or not) until p->seq < p->gate, and sets p->limit from it.
 * MPMC: claims the next sequence below the shared limit into *seq.
 * PHOTON_OK or PHOTON_FULL.
 */
int photon__gate_wait(struct photon_publisher *p, int wait);
int photon__gate_claim(struct photon_channel *ch, uint64_t *seq, int wait);

/* p->limit from p->gate, which the inline publish may use only on a
 * power-of-two ring and never for an MPMC handle. */
static inline void photon__publisher_limit(struct photon_publisher *p)
{
	p->limit = (!p->mpmc && p->index.mask) ? p->gate : 0;
}

/* wait.c */
struct photon__waiter {
	unsigned kind;
	uint32_t spin;
	uint32_t yield;
	uint32_t step;
};
int photon__waiter_init(struct photon__waiter *wt, const struct photon_wait *w);
/* A wait step without a reader to watch (the publisher's FULL wait). */
void photon__waiter_pause(struct photon__waiter *wt);
/* Wakes every thread parked on a futex word. */
void photon__futex_wake(struct photon__atomic32 *word);

#endif /* PHOTON_INTERNAL_H */
