/* SPDX-License-Identifier: MIT */
/*
 * Private: the structs the inline hot paths touch, and those hot paths
 * (publish, try_publish, try_recv and the typed wrappers are built on
 * them). Included at the end of photon/channel.h; never include it
 * directly. Fields and functions here may change between releases (the
 * SONAME changes with them). docs/PROTOCOL.md explains the protocol.
 *
 * Memory-order labels (each release/acquire edge and the two seqlock fences):
 *
 *   W1  publisher: stamp = 2s+1, relaxed
 *   W2  publisher: release fence; orders W1 before the payload stores W3, so
 *       a reader whose payload loads saw any new word also sees the odd (or a
 *       later) stamp at R4. Pairs with R3.
 *   W3  publisher: payload stores, relaxed 8-byte atomics
 *   W4  publisher: stamp = 2s+2, release; publishes W3. Pairs with R1.
 *   W5  publisher: cursor = s, release; publishes the slot to slow-path
 *       readers of the cursor. Pairs with R6 (lag, latest, pending,
 *       subscribe).
 *   R1  reader: stamp load, acquire; pairs with W4.
 *   R2  reader: payload loads, relaxed 8-byte atomics
 *   R3  reader: acquire fence; keeps R2 before R4. Pairs with W2.
 *   R4  reader: stamp re-load, relaxed; equal to R1 means R2 saw one
 *       complete write (Boehm, "Can seqlocks get along with programming
 *       language memory models?", 2012).
 *   R5  reader: own position = c + 1, relaxed, then the same value to its
 *       tracker word (*track), release; in a bounded channel this tells
 *       the publisher the slot's reads are done. Pairs with G1. Without a
 *       tracker, track points at pos: the same word twice.
 *   R6  reader slow paths: cursor load, acquire; pairs with W5.
 *   G1  publisher gate scan (bounded): tracker loads, acquire, under the
 *       registration lock; pairs with R5. Only after G1 may a slot be reused.
 *   C1  publisher close: closed = 1, release, after its last W5. Pairs with
 *       C2.
 *   C2  reader miss path: closed load, acquire; after it the stamps are
 *       final, so a slot still below the expected stamp is CLOSED.
 *   P1  publisher: compiler barrier after W5; P2: load of `parked`
 *       (relaxed). With the parking reader's K0 (announce) and K3
 *       (membarrier) they form an asymmetric Dekker pair: see src/wait.c.
 *   K1  publisher wake: wake word += 1, release; pairs with K2 (reader's
 *       acquire load of the word before it sleeps).
 *   M1  MPMC producer: reads the cursor with an acq_rel RMW after its W4;
 *   M2  moves it with an acq_rel CAS. Both are RMWs of one location, so one
 *       producer's W4 is visible to the other's next stamp load: the cursor
 *       passes every committed sequence (src/channel.c, advance_cursor).
 *
 * Under ThreadSanitizer, which does not model fences, W3 stores are release
 * and R2 loads are acquire instead of W2 and R3 (at least as strong).
 */
#ifndef PHOTON_DETAIL_CHANNEL_H
#define PHOTON_DETAIL_CHANNEL_H

#include <assert.h>
#include <string.h>

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

__extension__ typedef unsigned __int128 photon__u128;

/*
 * Private: slot index = sequence mod capacity. A power of two uses the mask;
 * any other capacity a multiply-shift reduction (Lemire, "Faster remainder by
 * direct computation", 2019) with a 128-bit magic, exact for every 64-bit
 * sequence because 128 >= 64 + log2(capacity).
 */
struct photon__ring_index {
	uint64_t mask;	    /* capacity - 1 for a power of two, else 0 */
	uint64_t capacity;  /* slots */
	photon__u128 magic; /* floor((2^128 - 1) / capacity) + 1, else 0 */
};

/*
 * Private: the cache line the publisher writes on every publish, away from
 * the slots and from everything consumers write.
 */
struct photon__cursor_line {
	struct photon__atomic64 cursor; /* last published; all-ones: none */
	struct photon__atomic64
	    parked;		      /* consumers asleep (PHOTON_WAIT_PARK) */
	struct photon__atomic64 next; /* MPMC: next sequence to claim */
	struct photon__atomic32 wake; /* futex word, bumped to wake them */
	uint32_t pad;
};

/*
 * Private: the publishing thread's state; see the top comment. The first
 * line is ABI: programs built against an earlier 0.x inline code that reads
 * slots, line, seq, limit, msg_size and index at these offsets. Add fields
 * after it (the second line is read only by the library).
 */
struct photon_publisher {
	/* First line: everything publish touches. */
	unsigned char *slots;
	struct photon__cursor_line *line;
	/* Next sequence = messages published (MPMC: by this handle). Written
	 * only by the publishing thread; atomic so a metrics thread may read
	 * it (photon_publisher_sequence). */
	struct photon__atomic64 seq;
	/* Inline publish only while seq < limit: `gate` on a power-of-two
	 * ring, 0 (always out of line) for MPMC handles and other
	 * capacities, so the inline path indexes with the mask alone. */
	uint64_t limit;
	uint64_t msg_size; /* bytes copied per message (typed check) */
	struct photon__ring_index index; /* the magic spills to line 2 */
	/* Second line: slow paths. */
	uint64_t gate;	 /* SPMC: publish while seq < gate (the cached
			    limit of a bounded channel; lossy: all-ones) */
	uint64_t stride; /* bytes per slot, a multiple of 64 */
	struct photon_channel *channel;
	int mpmc;
	int shm; /* the channel is in a named segment (futex flags) */
} PHOTON__ALIGNED(PHOTON_CACHE_LINE);

struct photon__tracker; /* src/internal.h */
struct photon__fd;	/* src/fd.c */

/*
 * Private: a reader's state. The first line is written only by the reading
 * thread. In a bounded channel the publisher reads the reader's position
 * from its tracker entry, which `track` points at: every read stores the
 * new position to `pos` and then to `*track` (R5). Where nothing tracks the
 * reader, `track` points at `pos` itself. As for the publisher, the first
 * line is ABI (the inline try_recv of programs built against an earlier
 * release with this SONAME reads it).
 */
struct photon_subscriber {
	/* First line: everything try_recv touches. */
	struct photon__atomic64 pos; /* next sequence to read */
	unsigned char *slots;
	struct photon__cursor_line *line; /* PARK writes `parked` */
	const struct photon__atomic64 *closed;
	uint64_t msg_size; /* bytes copied per message (typed check) */
	struct photon__atomic64 *track;	 /* where the gate reads pos */
	struct photon__ring_index index; /* the magic spills to line 2 */
	/* Slow-path state, written only by the reading thread. */
	uint64_t stride;
	struct photon_channel *channel;
	uint64_t start;			      /* pos when subscribed */
	uint64_t members;		      /* 1, or n for a group */
	struct photon__atomic64 lagged;	      /* messages skipped */
	struct photon__atomic64 jumped;	      /* passed over by latest() */
	struct photon__atomic64 last_skipped; /* of the last LAGGED */
	struct photon__tracker *tracker;      /* its entry, or NULL */
	/* Shared channels: empty polls since the last look at the clock,
	 * when that was (ns) and the position then (src/shm.c). */
	uint32_t idle;
	int shm; /* the channel is in a named segment */
	uint64_t idle_ns;
	uint64_t idle_pos;
	void *poll_buf;	       /* photon_poll's copy of a message above 1 KiB */
	struct photon__fd *fd; /* photon_subscriber_fd's state (src/fd.c) */
} PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

/* Private: a group is one cursor for n logical consumers. */
struct photon_group {
	struct photon_subscriber sub;
};

PHOTON__STATIC_ASSERT(offsetof(struct photon_subscriber, pos) == 0,
		      "the tracker word opens the subscriber");
PHOTON__STATIC_ASSERT(sizeof(struct photon_subscriber) %
			      PHOTON__FALSE_SHARING_RANGE ==
			  0,
		      "subscribers do not share a line pair");
PHOTON__STATIC_ASSERT(sizeof(struct photon__atomic64) == 8,
		      "an atomic word is 8 bytes");
/* With a power-of-two capacity, publish and try_recv (typed checks included)
 * touch only the first line of their handle; the magic is for the others. */
PHOTON__STATIC_ASSERT(offsetof(struct photon_publisher, index.magic) ==
			  PHOTON_CACHE_LINE,
		      "publish touches only the publisher's first line");
PHOTON__STATIC_ASSERT(offsetof(struct photon_subscriber, index.magic) ==
			  PHOTON_CACHE_LINE,
		      "try_recv touches only the subscriber's first line");
PHOTON__STATIC_ASSERT(offsetof(struct photon_subscriber, track) == 40,
		      "the tracker pointer fills the first line's hole");

/*
 * Private: the stamp bit of a hole, a sequence published as lost
 * (photon_publish_gap): its complete stamp is (2s + 2) | PHOTON__HOLE and
 * its first payload word the sequence after the gap. The inline receive
 * compares the whole stamp, so a hole always takes the miss path.
 */
#define PHOTON__HOLE (PHOTON__CAST(uint64_t, 1) << 63)

/* ---- slow paths of the inline code: internal, not for direct use ---- */

/*
 * Room for one message, out of line: the slot to write sequence `seq` into
 * (a bounded channel past its gate, an MPMC claim, a ring of any capacity),
 * or slot NULL and seq the status (PHOTON_FULL, PHOTON_CLOSED...). The
 * message itself never leaves the inline code, so the caller's payload may
 * stay in registers. An MPMC handle then commits with
 * photon__publish_commit, any other handle publishes inline.
 */
struct photon__room {
	unsigned char *slot;
	uint64_t seq;
};
PHOTON_API struct photon__room photon__publish_room(struct photon_publisher *p,
						    int wait);
PHOTON_API void photon__publish_commit(struct photon_publisher *p);
PHOTON_API void photon__wake(struct photon_publisher *p);
PHOTON_API int photon__subscriber_miss(struct photon_subscriber *s);

/* ---- inline hot paths (used by the typed wrappers and the exports) ---- */

#if PHOTON__TSAN
#define PHOTON__PAYLOAD_STORE __ATOMIC_RELEASE
#define PHOTON__PAYLOAD_LOAD  __ATOMIC_ACQUIRE
#else
#define PHOTON__PAYLOAD_STORE __ATOMIC_RELAXED
#define PHOTON__PAYLOAD_LOAD  __ATOMIC_RELAXED
#endif

/*
 * Writes sequence s into a slot: W1..W4. n is a compile-time constant in the
 * typed wrappers, so the word loop unrolls. Never reads past n bytes of msg;
 * the last partial word is zero-filled.
 */
PHOTON__INLINE void photon__slot_write(unsigned char *slot, const void *msg,
				       size_t n, uint64_t s)
{
	struct photon__atomic64 *stamp =
	    PHOTON__PUN(struct photon__atomic64 *, slot);
	uint64_t *w =
	    PHOTON__PUN(uint64_t *, slot + PHOTON_SLOT_PAYLOAD_OFFSET);
	const unsigned char *src = PHOTON__CAST(const unsigned char *, msg);
	size_t i, words = n / 8, tail = n % 8;

	PHOTON__STORE(stamp, 2 * s + 1, PHOTON__RELAXED); /* W1 */
#if !PHOTON__TSAN
	__atomic_thread_fence(__ATOMIC_RELEASE); /* W2, pairs with R3 */
#endif
	/* Unrolled: gcc otherwise keeps a loop from 3 words up (24 bytes
	 * took 94 instructions per round trip instead of 60). */
#pragma GCC unroll 16
	for (i = 0; i < words; i++) { /* W3 */
		uint64_t x;
		memcpy(&x, src + 8 * i, 8);
		__atomic_store_n(&w[i], x, PHOTON__PAYLOAD_STORE);
	}
	if (tail) {
		uint64_t x = 0;
		memcpy(&x, src + 8 * words, tail);
		__atomic_store_n(&w[words], x, PHOTON__PAYLOAD_STORE);
	}
	PHOTON__STORE(stamp, 2 * s + 2,
		      PHOTON__RELEASE); /* W4, pairs with R1 */
}

/* R2: copies n bytes of payload, never writing past n bytes of out. */
PHOTON__INLINE void photon__slot_read(const unsigned char *slot, void *out,
				      size_t n)
{
	const uint64_t *w =
	    PHOTON__PUN(const uint64_t *, slot + PHOTON_SLOT_PAYLOAD_OFFSET);
	unsigned char *dst = PHOTON__CAST(unsigned char *, out);
	size_t i, words = n / 8, tail = n % 8;

#pragma GCC unroll 16
	for (i = 0; i < words; i++) {
		uint64_t x = __atomic_load_n(&w[i], PHOTON__PAYLOAD_LOAD);
		memcpy(dst + 8 * i, &x, 8);
	}
	if (tail) {
		uint64_t x = __atomic_load_n(&w[words], PHOTON__PAYLOAD_LOAD);
		memcpy(dst + 8 * words, &x, tail);
	}
}

/* Slot of sequence s: the mask, or the exact multiply-shift reduction. */
PHOTON__INLINE uint64_t photon__slot_index(const struct photon__ring_index *r,
					   uint64_t s)
{
	photon__u128 low, prod_lo, prod_hi;

	if (PHOTON__LIKELY(r->mask != 0))
		return s & r->mask;
	low = r->magic * s; /* mod 2^128 */
	prod_lo = PHOTON__CAST(photon__u128, PHOTON__CAST(uint64_t, low)) *
		  r->capacity;
	prod_hi =
	    PHOTON__CAST(photon__u128, PHOTON__CAST(uint64_t, low >> 64)) *
	    r->capacity;
	return PHOTON__CAST(uint64_t, (prod_hi + (prod_lo >> 64)) >> 64);
}

/* The slot of sequence s in a ring of `stride`-byte slots. */
PHOTON__INLINE unsigned char *
photon__slot_at(unsigned char *slots, const struct photon__ring_index *r,
		uint64_t stride, uint64_t s)
{
	return slots + photon__slot_index(r, s) * stride;
}

/* A slot's stamp: the first word of the slot. */
PHOTON__INLINE struct photon__atomic64 *
photon__slot_stamp(const unsigned char *slot)
{
	return PHOTON__PUN(struct photon__atomic64 *,
			   PHOTON__PUN(uintptr_t, slot));
}

/*
 * R2..R4: copies the payload of a slot whose stamp R1 read as s1, and says
 * whether the copy is one complete write (1) or was torn by a writer (0).
 * R1 is the caller's, which decides first whether s1 is worth reading.
 */
PHOTON__INLINE int photon__slot_read_stable(const unsigned char *slot,
					    void *out, size_t n, uint64_t s1)
{
	photon__slot_read(slot, out, n); /* R2 */
#if !PHOTON__TSAN
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* R3, pairs with W2 */
#endif
	return PHOTON__LOAD(photon__slot_stamp(slot), PHOTON__RELAXED) ==
	       s1; /* R4 */
}

/*
 * After W5 (SPMC) or the cursor advance (MPMC): P1, P2. A consumer about to
 * park announces it in `parked`, then runs a process-wide barrier
 * (membarrier) before it re-checks the stamp: either P2 sees the
 * announcement, or the consumer sees W4 (asymmetric Dekker). With no
 * consumer parked the publisher pays one load of a line it already owns.
 */
PHOTON__INLINE void photon__wake_parked(struct photon_publisher *p,
					struct photon__cursor_line *line)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* P1: compiler only */
	if (PHOTON__UNLIKELY(
		PHOTON__LOAD(&line->parked, PHOTON__RELAXED))) /* P2 */
		photon__wake(p);
}

/*
 * Writes sequence s into `slot` (its slot) and publishes it: W1..W5, then
 * the park check P2. The caller owns sequence s (the single publisher).
 */
PHOTON__INLINE void photon__publish_at(struct photon_publisher *p,
				       unsigned char *slot, const void *msg,
				       size_t n, uint64_t s)
{
	/* Loaded once: the stores below could alias p->line for the
	 * compiler, which would then reload it. */
	struct photon__cursor_line *line = p->line;

	photon__slot_write(slot, msg, n, s);
	PHOTON__STORE(&line->cursor, s, PHOTON__RELEASE); /* W5, -> R6 */
	photon__wake_parked(p, line);
	PHOTON__STORE(&p->seq, s + 1, PHOTON__RELAXED);
}

/*
 * Publishes msg (n bytes). wait != 0 waits for room in a bounded channel.
 * A lossy SPMC channel on a power-of-two ring has the limit UINT64_MAX, so
 * the one compare below is the whole cost of backpressure, MPMC and other
 * capacities for it, and the slot index is the mask alone; bounded
 * channels, MPMC handles and other capacities go out of line when the
 * compare says so.
 */
PHOTON__INLINE int photon__publish_n(struct photon_publisher *p,
				     const void *msg, size_t n, int wait)
{
	uint64_t s = PHOTON__LOAD(&p->seq, PHOTON__RELAXED); /* own field */
	/* Used only when limit > 0, a power-of-two ring (see the struct);
	 * computed before the compare so the slot's address is ready early. */
	unsigned char *slot =
	    p->slots + (s & p->index.mask) * PHOTON_SLOT_STRIDE(n);

	if (PHOTON__UNLIKELY(s >= p->limit)) {
		struct photon__room r = photon__publish_room(p, wait);

		if (!r.slot)
			return PHOTON__CAST(int, r.seq);
		if (p->mpmc) {
			photon__slot_write(r.slot, msg, n, r.seq); /* W1..W4 */
			photon__publish_commit(p);		   /* W5 */
			return PHOTON_OK;
		}
		slot = r.slot;
		s = r.seq;
	}
	photon__publish_at(p, slot, msg, n, s);
	return PHOTON_OK;
}

/*
 * Reads the next message (n bytes) into out: R1..R5. The hot path touches
 * only the slot's line and the subscriber's own line; everything else
 * (lag, closed) is in photon__subscriber_miss().
 */
PHOTON__INLINE int photon__try_recv_n(struct photon_subscriber *sub, void *out,
				      size_t n)
{
	uint64_t c = PHOTON__LOAD(&sub->pos, PHOTON__RELAXED); /* own field */
	const unsigned char *slot =
	    photon__slot_at(sub->slots, &sub->index, PHOTON_SLOT_STRIDE(n), c);
	uint64_t want = 2 * c + 2;
	uint64_t s1 = PHOTON__LOAD(photon__slot_stamp(slot),
				   PHOTON__ACQUIRE); /* R1, pairs with W4 */

	if (PHOTON__LIKELY(s1 == want)) {
		if (PHOTON__LIKELY(
			photon__slot_read_stable(slot, out, n, s1))) {
			/* R5: own position, then the tracker's copy, which
			 * pairs with G1 (the same word where none tracks). */
			PHOTON__STORE(&sub->pos, c + 1, PHOTON__RELAXED);
			PHOTON__STORE(sub->track, c + 1, PHOTON__RELEASE);
			return PHOTON_OK;
		}
		/* Torn: overwritten while copying; the next call sees the lap.
		 */
		return PHOTON_EMPTY;
	}
	if (s1 < want && !PHOTON__LOAD(sub->closed, PHOTON__RELAXED))
		return PHOTON_EMPTY;
	{
		int rc = photon__subscriber_miss(sub);
		/* Never OK. Release builds tell the compiler so (OK then means
		 * `out` was written: no maybe-uninitialized in the typed
		 * wrappers); debug builds check it. */
#ifdef NDEBUG
		if (rc == PHOTON_OK)
			__builtin_unreachable();
#else
		assert(rc != PHOTON_OK);
#endif
		return rc;
	}
}

/* The buffer photon_poll copies messages above 1 KiB into (allocated on
 * first use; NULL when out of memory). For the typed poll. */
PHOTON_API void *photon__poll_buffer(struct photon_subscriber *s);

/* PHOTON__POLL_LOOP's CALL in photon_poll and the typed poll: the caller's
 * handler `fn` with its `ctx`. */
#define PHOTON__POLL_CALL(msg, seq) fn(ctx, (msg), (seq))

/*
 * The body of photon_poll and the typed poll: delivers up to `limit`
 * messages of n bytes, each copied into `buf` (n bytes, the caller's) and
 * handed to CALL(buf, seq), an expression that is non-zero to stop after
 * that message. The position is published (R5) once, when the batch ends or
 * before the miss path runs. Leaves in `result` the count, or
 * PHOTON_CLOSED when closed and nothing was delivered. A macro so that the
 * typed form calls its typed handler directly (no cast of a function
 * pointer) and n stays a constant there.
 */
#define PHOTON__POLL_LOOP(sub, buf, n, limit, result, CALL)                    \
	do {                                                                   \
		uint64_t c_ = PHOTON__LOAD(&(sub)->pos, PHOTON__RELAXED);      \
		uint64_t from_ = c_;                                           \
		long done_ = 0;                                                \
		int end_ = 0;                                                  \
		while (!end_ && PHOTON__CAST(size_t, done_) < (limit)) {       \
			const unsigned char *slot_ =                           \
			    photon__slot_at((sub)->slots, &(sub)->index,       \
					    PHOTON_SLOT_STRIDE(n), c_);        \
			uint64_t s1_ = PHOTON__LOAD(photon__slot_stamp(slot_), \
						    PHOTON__ACQUIRE); /* R1 */ \
			int rc_;                                               \
			if (PHOTON__LIKELY(s1_ == 2 * c_ + 2) &&               \
			    PHOTON__LIKELY(photon__slot_read_stable(           \
				slot_, (buf), (n), s1_))) {                    \
				done_++;                                       \
				c_++;                                          \
				if (CALL((buf), c_ - 1))                       \
					end_ = 1;                              \
				continue;                                      \
			}                                                      \
			if (s1_ < 2 * c_ + 2 &&                                \
			    !PHOTON__LOAD((sub)->closed, PHOTON__RELAXED))     \
				break; /* EMPTY */                             \
			/* The miss path reads the position: publish it. */    \
			if (c_ != from_) {                                     \
				PHOTON__STORE(&(sub)->pos, c_,                 \
					      PHOTON__RELAXED);                \
				PHOTON__STORE((sub)->track, c_,                \
					      PHOTON__RELEASE);                \
				from_ = c_;                                    \
			}                                                      \
			rc_ = photon__subscriber_miss(sub);                    \
			if (rc_ == PHOTON_LAGGED) { /* counted; go on */       \
				c_ = from_ = PHOTON__LOAD(&(sub)->pos,         \
							  PHOTON__RELAXED);    \
				continue;                                      \
			}                                                      \
			if (rc_ == PHOTON_CLOSED && done_ == 0)                \
				done_ = PHOTON_CLOSED;                         \
			break;                                                 \
		}                                                              \
		if (c_ != from_) { /* R5, once for the batch */                \
			PHOTON__STORE(&(sub)->pos, c_, PHOTON__RELAXED);       \
			PHOTON__STORE((sub)->track, c_, PHOTON__RELEASE);      \
		}                                                              \
		(result) = done_;                                              \
	} while (0)

PHOTON__EXTERN_C_END

#endif /* PHOTON_DETAIL_CHANNEL_H */
