/* SPDX-License-Identifier: MIT */
/*
 * Concurrency Kit ck_ring as a transport, in its SPSC and its SPMC flavour
 * (the multi-consumer dequeue is a compare-and-swap on the consumer head,
 * here with one consumer). A work queue: each message goes to one consumer.
 * The 8-byte message travels as the ring's void * entry, as ck users do.
 */
#include <stdlib.h>
#include <string.h>

#include <ck_ring.h>

#include "xt.h"

struct lane {
	struct ck_ring ring; /* producer and consumer fields on own lines */
	struct ck_ring_buffer *buf;
};

static void lane_destroy(void *p)
{
	struct lane *l = p;

	if (l)
		free(l->buf);
	free(l);
}

/* ck_ring holds capacity - 1 entries; capacity is a power of two. */
static void *lane_create(size_t capacity, int lossless)
{
	struct lane *l = aligned_alloc(XT_LINE, sizeof(*l));

	(void)lossless; /* always lossless */
	if (!l)
		return NULL;
	memset(l, 0, sizeof(*l));
	l->buf = aligned_alloc(XT_LINE, capacity * sizeof(*l->buf));
	if (!l->buf) {
		free(l);
		return NULL;
	}
	memset(l->buf, 0, capacity * sizeof(*l->buf));
	ck_ring_init(&l->ring, (unsigned)capacity);
	return l;
}

static inline int spsc_try_send(void *p, uint64_t v)
{
	struct lane *l = p;

	return ck_ring_enqueue_spsc(&l->ring, l->buf, (void *)(uintptr_t)v);
}

static inline int spsc_try_recv(void *p, uint64_t *v)
{
	struct lane *l = p;
	void *e;

	if (!ck_ring_dequeue_spsc(&l->ring, l->buf, &e))
		return 0;
	*v = (uintptr_t)e;
	return 1;
}

#define XT_P spsc
#include "xt_loops.h"

static inline int spmc_try_send(void *p, uint64_t v)
{
	struct lane *l = p;

	return ck_ring_enqueue_spmc(&l->ring, l->buf, (void *)(uintptr_t)v);
}

static inline int spmc_try_recv(void *p, uint64_t *v)
{
	struct lane *l = p;
	void *e;

	if (!ck_ring_dequeue_spmc(&l->ring, l->buf, &e))
		return 0;
	*v = (uintptr_t)e;
	return 1;
}

#define XT_P spmc
#include "xt_loops.h"

const struct xt_transport xt_ck_spsc = {
	"ck-spsc",
	"Concurrency Kit ck_ring SPSC (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	lane_create,
	lane_destroy,
	XT_LOOPS(spsc)
};

const struct xt_transport xt_ck_spmc = {
	"ck-spmc",
	"Concurrency Kit ck_ring SPMC, one consumer (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	lane_create,
	lane_destroy,
	XT_LOOPS(spmc)
};
