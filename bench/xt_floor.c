/* SPDX-License-Identifier: MIT */
/*
 * Two baselines written here, not libraries:
 *
 * floor    the physical floor of the pattern: the sender does one release
 *          store of its TSC into a cache line the reader polls. Nothing
 *          can deliver a message from one core to another with less; the
 *          one-way target is libphotonring's p50 within 1.2x of it.
 * seqlock  the bare stamp-in-slot seqlock ring of SPEC 1 (the protocol of
 *          libphotonring without the handles: no cursor store, no checks,
 *          no closed or lag handling): what the library adds on top.
 *          Lossy in the latency runs, lossless in the throughput runs.
 *
 * The floor is lossy, so it runs in the latency programs only.
 */
#include <stdlib.h>
#include <string.h>

#include "xt.h"

struct mailbox {
	struct xt_flag word; /* the sender's one store; the reader polls it */
	uint64_t last;	     /* the reader's: the last value it took */
} __attribute__((aligned(XT_LINE)));

static void *mailbox_create(size_t capacity, int lossless)
{
	struct mailbox *m = aligned_alloc(XT_LINE, sizeof(*m));

	(void)capacity;
	if (!m || lossless) {
		free(m);
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	return m;
}

static void mailbox_destroy(void *p)
{
	free(p);
}

/* The values sent are TSC readings, never repeated, never 0. */
static inline int floor_try_send(void *p, uint64_t v)
{
	__atomic_store_n(&((struct mailbox *)p)->word.v, v, __ATOMIC_RELEASE);
	return 1;
}

static inline int floor_try_recv(void *p, uint64_t *v)
{
	struct mailbox *m = p;
	uint64_t x = __atomic_load_n(&m->word.v, __ATOMIC_ACQUIRE);

	if (x == m->last)
		return 0;
	m->last = x;
	*v = x;
	return 1;
}

#define XT_P floor
#include "xt_loops.h"

/*
 * The writer's fields, the reader's position and the read-only description
 * on lines of their own. Lossless (throughput runs): the writer reuses a
 * slot only once the reader's position says it was read, reading that
 * position only when its cached limit runs out - libphotonring's bounded
 * protocol without the registry and the lock.
 */
struct seqring {
	struct {
		uint64_t seq;	/* next sequence */
		uint64_t limit; /* may write while seq < limit */
	} w __attribute__((aligned(XT_LINE)));
	struct xt_flag pos; /* the reader's next sequence */
	unsigned char *slots __attribute__((aligned(XT_LINE)));
	uint64_t mask;
	uint64_t capacity;
};

static void seqring_destroy(void *p)
{
	struct seqring *r = p;

	if (r)
		free(r->slots);
	free(r);
}

static void *seqring_create_stride(size_t capacity, int lossless, size_t stride)
{
	struct seqring *r = aligned_alloc(XT_LINE, sizeof(*r));

	if (!r || capacity < 2 || (capacity & (capacity - 1))) {
		free(r);
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->mask = capacity - 1;
	r->capacity = capacity;
	r->w.limit = lossless ? capacity : UINT64_MAX;
	r->slots = aligned_alloc(XT_LINE, capacity * stride);
	if (!r->slots) {
		free(r);
		return NULL;
	}
	memset(r->slots, 0, capacity * stride);
	return r;
}

/* The SPEC 1 writer: stamp 2s+1, release fence, payload, stamp 2s+2. */
XT__ALWAYS int seq_send(struct seqring *r, uint64_t v, const size_t stride)
{
	uint64_t s = r->w.seq;
	uint64_t *slot = (uint64_t *)(r->slots + (s & r->mask) * stride);

	if (s >= r->w.limit) {
		r->w.limit =
		    __atomic_load_n(&r->pos.v, __ATOMIC_ACQUIRE) + r->capacity;
		if (s >= r->w.limit)
			return 0;
	}
	__atomic_store_n(&slot[0], 2 * s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&slot[1], v, __ATOMIC_RELAXED);
	__atomic_store_n(&slot[0], 2 * s + 2, __ATOMIC_RELEASE);
	r->w.seq = s + 1;
	return 1;
}

/*
 * The SPEC 1 reader: stamp, payload, acquire fence, stamp again; then the
 * position, release, for a lossless writer.
 */
XT__ALWAYS int seq_recv(struct seqring *r, uint64_t *v, const size_t stride)
{
	uint64_t c = r->pos.v, want = 2 * c + 2, x;
	uint64_t *slot = (uint64_t *)(r->slots + (c & r->mask) * stride);

	if (__atomic_load_n(&slot[0], __ATOMIC_ACQUIRE) != want)
		return 0;
	x = __atomic_load_n(&slot[1], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&slot[0], __ATOMIC_RELAXED) != want)
		return 0;
	__atomic_store_n(&r->pos.v, c + 1, __ATOMIC_RELEASE);
	*v = x;
	return 1;
}

static void *seqring_create(size_t capacity, int lossless)
{
	return seqring_create_stride(capacity, lossless, 64);
}

static inline int seqlock_try_send(void *p, uint64_t v)
{
	return seq_send(p, v, 64);
}

static inline int seqlock_try_recv(void *p, uint64_t *v)
{
	return seq_recv(p, v, 64);
}

#define XT_P seqlock
#include "xt_loops.h"

/*
 * Experiments for issue 11's one-way target: the same ring whose writer,
 * after publishing s, asks for the line of slot s + D for writing
 * (PREFETCHW on x86, a write prefetch elsewhere), so that the store of a
 * later message does not wait for the line. seqlock-pfD for D = 1, 2, 4, 8.
 */
static inline void xt_prefetch_w(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

#define XT_SEQ_PF(d)                                                  \
	static inline int seqpf##d##_try_send(void *p, uint64_t v)    \
	{                                                             \
		struct seqring *r = p;                                \
		uint64_t s = r->w.seq;                                \
		if (!seq_send(r, v, 64))                              \
			return 0;                                     \
		xt_prefetch_w(r->slots + ((s + (d)) & r->mask) * 64); \
		return 1;                                             \
	}                                                             \
	static inline int seqpf##d##_try_recv(void *p, uint64_t *v)   \
	{                                                             \
		return seq_recv(p, v, 64);                            \
	}

XT_SEQ_PF(1)
#define XT_P seqpf1
#include "xt_loops.h"
XT_SEQ_PF(2)
#define XT_P seqpf2
#include "xt_loops.h"
XT_SEQ_PF(4)
#define XT_P seqpf4
#include "xt_loops.h"
XT_SEQ_PF(8)
#define XT_P seqpf8
#include "xt_loops.h"

/*
 * An experiment, not a design: the same ring with 16-byte slots (stamp and
 * payload, four per cache line). Its throughput against seqlock's is what
 * one line per message costs.
 */
static void *seq16_create(size_t capacity, int lossless)
{
	return seqring_create_stride(capacity, lossless, 16);
}

static inline int seq16_try_send(void *p, uint64_t v)
{
	return seq_send(p, v, 16);
}

static inline int seq16_try_recv(void *p, uint64_t *v)
{
	return seq_recv(p, v, 16);
}

#define XT_P seq16
#include "xt_loops.h"

const struct xt_transport xt_floor = {
	"floor",
	"one release store of the TSC into a polled line (baseline)",
	XT_ONEWAY | XT_PINGPONG,
	mailbox_create,
	mailbox_destroy,
	XT_LOOPS(floor)
};

const struct xt_transport xt_seqlock = {
	"seqlock",
	"bare SPEC 1 seqlock ring, no handles (baseline)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT | XT_LOSSY,
	seqring_create,
	seqring_destroy,
	XT_LOOPS(seqlock)
};

const struct xt_transport xt_seqlock16 = {
	"seqlock-16",
	"bare seqlock ring, 16-byte slots (experiment)",
	XT_THROUGHPUT | XT_LOSSY,
	seq16_create,
	seqring_destroy,
	XT_LOOPS(seq16)
};

#define XT_SEQ_PF_TRANSPORT(d)                                           \
	const struct xt_transport xt_seqlock_pf##d = {                   \
		"seqlock-pf" #d,                                         \
		"bare seqlock ring, writer prefetches slot s+" #d        \
		" for writing (experiment)",                             \
		XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT | XT_EXPERIMENT, \
		seqring_create,                                          \
		seqring_destroy,                                         \
		XT_LOOPS(seqpf##d)                                       \
	};
XT_SEQ_PF_TRANSPORT(1)
XT_SEQ_PF_TRANSPORT(2)
XT_SEQ_PF_TRANSPORT(4)
XT_SEQ_PF_TRANSPORT(8)
