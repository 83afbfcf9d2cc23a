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
 * A consumer's entry in the tracker table: its position as the gate reads
 * it, and the gate's view of it. Plain words only, never a pointer, since
 * the table of a shared channel is in the segment, where other processes
 * (and a hostile one) can write it. Two line pairs: the first is written
 * by the consumer (`pos` on every receive, its second R5; `parked` around
 * a park), the second under gate_lock by registration and the gate.
 */
struct photon__tracker {
	struct photon__atomic64 pos; /* next sequence to read (R5 -> G1) */
	/* Shared channels: 1 while this consumer counts in line.parked, so
	 * that reclaiming a consumer that died asleep takes it back out. */
	struct photon__atomic64 parked;
	struct photon__atomic64
	    used PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE); /* TRACK_* */
	struct photon__atomic64 pid;	 /* owning process, and its start */
	struct photon__atomic64 start;	 /* time (liveness: shm.c) */
	struct photon__atomic64 stalls;	 /* times the gate stopped waiting */
	struct photon__atomic64 members; /* 1, or n for a group (stat) */
	uint64_t seen_pos;	 /* position when it started holding the gate */
	uint64_t blocking_since; /* ns; 0: not holding the publisher back */
	uint64_t stalled;	 /* excluded from the gate until it moves */
} PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

enum {
	PHOTON__TRACK_FREE = 0,
	PHOTON__TRACK_GATES = 1,  /* a consumer of a bounded channel */
	PHOTON__TRACK_LISTED = 2, /* a lossy consumer of a shared channel */
};

/* A process that holds publisher handles of a shared channel. */
struct photon__proc {
	struct photon__atomic64 pid; /* 0: free */
	struct photon__atomic64 start;
	uint64_t handles; /* under gate_lock */
	uint64_t pad;
};

/* MPMC: processes that may publish to one shared channel at once. */
#define PHOTON__MAX_PUBLISHER_PROCS 8

/*
 * The state of a channel that every user of it shares: an in-process
 * channel keeps it in private memory, a shared channel in its segment (after
 * the header, followed by the tracker table). Offsets and plain words only.
 * Three regions, each on its own pair of cache lines: the cursor line
 * (written by the publisher on every publish), the closed flag with the
 * liveness words (read by subscribers on their miss path), and the control
 * plane.
 */
struct photon__shared {
	struct photon__cursor_line
	    line PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

	struct photon__atomic64
	    closed PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	/* Shared channels: the publisher died without closing. */
	struct photon__atomic64 abandoned;
	/* Shared channels: a publisher's process could not register for the
	 * global expedited membarrier, so parked readers sleep in slices. */
	struct photon__atomic64 park_unsafe;
	struct photon__proc pubs[PHOTON__MAX_PUBLISHER_PROCS];

	/*
	 * Bounded channels: the gate. Registration, deregistration, the
	 * publisher's rescan and the start position of a bounded subscriber
	 * all happen under gate_lock, so a consumer is never lapped between
	 * choosing its start and being seen by the publisher. The lock word
	 * holds its owner's process token (photon__proc_token), so a lock held
	 * by a process that died is taken over (backpressure.c); no pointer,
	 * unlike a robust pthread mutex, whose list links live in the mutex.
	 */
	struct photon__atomic64
	    gate_lock PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	uint64_t gate_min; /* <= every gating tracker's position */
	/* Entries ever used: the scan's bound. Written under gate_lock,
	 * read without it by photon-stat. */
	struct photon__atomic64 ntrackers;
	uint64_t publishers; /* MPMC: open publisher handles */
	struct photon__atomic64 publisher_taken;
	/* Set once the first subscriber or group exists (prefault refuses). */
	struct photon__atomic64 subscribed;
	struct photon__atomic64 stalls;	  /* consumers that stopped gating */
	struct photon__atomic64 reclaims; /* trackers of dead processes freed */
	/* MPMC: the shared claim limit. */
	struct photon__atomic64 mp_limit;
};

PHOTON__STATIC_ASSERT(offsetof(struct photon__shared, line) == 0,
		      "the cursor line opens the shared state");
PHOTON__STATIC_ASSERT(offsetof(struct photon__shared, closed) ==
			  PHOTON__FALSE_SHARING_RANGE,
		      "closed flag is two lines away from the cursor");
PHOTON__STATIC_ASSERT(offsetof(struct photon__shared, gate_lock) %
			      PHOTON__FALSE_SHARING_RANGE ==
			  0,
		      "control plane is away from the reader lines");

/*
 * In-process tracker tables grow in blocks that never move (a subscriber
 * points at its entry): block k holds PHOTON__TRACKER_BLOCK << k entries.
 * A shared channel has one block, in its segment, of the size in its header.
 */
#define PHOTON__TRACKER_BLOCK  8
#define PHOTON__TRACKER_BLOCKS 24

/*
 * A channel as one process sees it: the pointers derived from the validated
 * description (a shared channel's header is copied here once, checked, and
 * never read again), the reference count and the mappings. Private to the
 * process; the state all users share is behind `sh`.
 */
struct photon__shm_header; /* shm.h */

struct photon_channel {
	struct photon__shared *sh;
	unsigned char *slots;
	struct photon__ring_index index; /* capacity, and how to reduce */
	uint64_t stride;
	uint64_t msg_size;
	uint64_t watermark;
	uint64_t stall_timeout_ns;
	size_t ring_bytes;
	size_t page_size;
	unsigned flags;
	int shm; /* lives in a named segment (shm.c) */

	struct photon__atomic64 refs;
	/* The tracker table: see PHOTON__TRACKER_BLOCK. */
	struct photon__tracker *blocks[PHOTON__TRACKER_BLOCKS];
	uint64_t tracker_cap; /* entries in all blocks allocated so far */
	/* Shared channels: when this process last checked the liveness of
	 * the publishers and consumers (shm.c), ns; the validated header. */
	struct photon__atomic64 probed_ns[2]; /* publishers, consumers */
	struct photon__shm_header *header;
	int readonly; /* mapped for inspection only (photon-stat) */
	/* In-process channels: readers with a descriptor (fd.c). */
	pthread_mutex_t fd_lock;
	struct photon__fd *fds;
	struct photon__atomic64 nfds;
	/* In-process channels: the list fork() walks (channel.c). */
	struct photon_channel *live_prev, *live_next;
	/* mem.c / shm.c: the mappings (munmap). In-process: the ring between
	 * guard pages; shared: the whole segment. */
	void *map_base;
	size_t map_bytes;
};
/*
 * mem.c: the ring's memory (zeroed, page aligned), placed and locked as the
 * options ask (PHOTON_HUGEPAGES, PHOTON_THP, PHOTON_MLOCK, PHOTON_PREFAULT,
 * PHOTON_NUMA); sets ch->slots, ch->ring_bytes and ch->page_size.
 */
int photon__ring_map(struct photon_channel *ch, size_t bytes,
		     const struct photon_opts *opts);
void photon__ring_unmap(struct photon_channel *ch);
/* mem.c: "; the process has N memory maps and vm.max_map_count is M..."
 * when an ENOMEM comes from that limit, else "". */
const char *photon__map_count_hint(void);
/* What the options ask of this build and machine (NUMA). */
int photon__ring_check(const struct photon_opts *opts);
/* The placement part of photon__ring_map, for memory already mapped at
 * ch->slots (a shared channel's segment): NUMA, THP, prefault, mlock. */
int photon__ring_place(struct photon_channel *ch,
		       const struct photon_opts *opts, int hugetlb);

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
/* Fills the private description of ch (index, stride, sizes, flags) from
 * validated values. */
void photon__channel_describe(struct photon_channel *ch, uint64_t capacity,
			      uint64_t msg_size, uint64_t watermark,
			      unsigned flags, uint64_t stall_timeout_ns);
/* Initialises a zeroed shared state (the cursor). */
void photon__shared_init(struct photon__shared *sh);
struct photon_channel *photon__channel_ref(struct photon_channel *ch);
/* Wakes the readers parked on ch (a close, a publisher found dead). */
void photon__wake_channel(struct photon_channel *ch);

/* subscriber.c */
int photon__subscribe_at(struct photon_channel *ch, int from_oldest,
			 uint64_t members, struct photon_subscriber **out);
/* Oldest sequence still held when the last published is head. */
uint64_t photon__oldest_held(uint64_t head, uint64_t capacity);

/* backpressure.c */
/* Frees what photon_channel_create_opts allocated for the gate. */
void photon__gate_destroy(struct photon_channel *ch);
/* gate_lock; shared channels take over a lock whose holder died. */
void photon__gate_lock(struct photon_channel *ch);
void photon__gate_unlock(struct photon_channel *ch);
/* Entry i (< ch->tracker_cap) of the tracker table. */
struct photon__tracker *photon__tracker_at(const struct photon_channel *ch,
					   uint64_t i);
/* The scan's bound: sh->ntrackers, never above the table. */
uint64_t photon__tracker_count(const struct photon_channel *ch);
/*
 * Registers s and sets its start position under the gate lock: in bounded
 * channels (the entry gates) and in every shared one (the entry lists it
 * for photon-stat and lets a dead consumer be reclaimed); PHOTON_EBUSY when
 * a segment's table is full. In-process lossy channels: the start position
 * only.
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

/* A reader's new position: pos, then its tracker's copy (R5). */
static inline void photon__set_pos(struct photon_subscriber *s, uint64_t v)
{
	PHOTON__STORE(&s->pos, v, PHOTON__RELAXED);
	PHOTON__STORE(s->track, v, PHOTON__RELEASE);
}

/* shm.c: named segments. */
/* Nonzero when a liveness probe of ch is due (at most one per interval
 * per process): what 0, of the publishers; 1, of the consumers. Always 0
 * for in-process channels. */
int photon__shm_due(struct photon_channel *ch, int what);
/* Readers: marks the channel abandoned and closed if a process holding a
 * publisher died. Returns 1 when the channel is now closed. */
int photon__shm_probe_publishers(struct photon_channel *ch);
/* The gate, under gate_lock: frees the tracker entries of dead processes
 * (counted in reclaims). Returns how many. */
uint64_t photon__shm_reclaim(struct photon_channel *ch);
/* Liveness of a process: its pid and start time (/proc/PID/stat field 22;
 * a zombie is dead). */
int photon__proc_alive(uint64_t pid, uint64_t start);
/* This process: pid and start time. */
void photon__proc_self(uint64_t *pid, uint64_t *start);
/* This process as one word: pid | start time (low 32 bits) << 32. */
uint64_t photon__proc_token(void);
/* Liveness of the process a token names. */
int photon__token_alive(uint64_t token);
/* Empty exported or blocking receives of a shared channel end here: every
 * so often a probe of the publishers, once nothing has come for a while.
 * idle_check: the same without the poll count (after a sleep). */
void photon__shm_idle(struct photon_subscriber *s);
void photon__shm_idle_check(struct photon_subscriber *s);
/* Releases a shared channel's mapping (the last reference). */
void photon__shm_unmap(struct photon_channel *ch);

/* fd.c: readers with a descriptor (photon_subscriber_fd). */
/* A receive said EMPTY or CLOSED; the subscriber closes. */
void photon__fd_empty(struct photon_subscriber *s);
void photon__fd_closed(struct photon_subscriber *s);
void photon__fd_close(struct photon_subscriber *s);
/* photon__wake: disarm and signal the armed readers. */
void photon__fd_wake(struct photon_channel *ch);

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
/* Wakes every thread parked on a futex word; shared: a word in a segment
 * (no FUTEX_PRIVATE_FLAG). */
void photon__futex_wake(struct photon__atomic32 *word, int shared);
/* 1 when this process is registered for membarrier(PRIVATE_EXPEDITED). */
int photon__membarrier_private_ok(void);
/* K3 for a parking reader (or an arming fd reader): 0 when the barrier ran
 * and the Dekker argument holds; otherwise the reader must not rely on a
 * wake-up. */
int photon__park_barrier(const struct photon_subscriber *s);
/* Something for the reader: its next slot written (or reused), or closed. */
int photon__reader_ready(struct photon_subscriber *s);
/* Registers this process for MEMBARRIER_CMD_GLOBAL_EXPEDITED; 0 if not. */
int photon__membarrier_register_global(void);

#endif /* PHOTON_INTERNAL_H */
