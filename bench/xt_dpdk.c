/* SPDX-License-Identifier: MIT */
/*
 * DPDK rte_ring as a transport, single producer / single consumer, without
 * the EAL: rte_ring_create() needs EAL memzones, but rte_ring_init() on our
 * own cache-aligned memory of rte_ring_get_memsize() bytes does not. A work
 * queue; the 8-byte message travels as the ring's void * object.
 */
#include <rte_config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ring.h>

#include "xt.h"

static void lane_destroy(void *p)
{
	free(p);
}

/* The ring holds capacity - 1 objects; capacity is a power of two. */
static void *lane_create(size_t capacity, int lossless)
{
	ssize_t size = rte_ring_get_memsize((unsigned)capacity);
	struct rte_ring *r;

	(void)lossless; /* always lossless */
	if (size < 0)
		return NULL;
	size = (size + XT_LINE - 1) / XT_LINE * XT_LINE;
	r = aligned_alloc(XT_LINE, (size_t)size);
	if (!r)
		return NULL;
	memset(r, 0, (size_t)size);
	if (rte_ring_init(r, "xt", (unsigned)capacity,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static inline int sp_try_send(void *p, uint64_t v)
{
	return rte_ring_sp_enqueue((struct rte_ring *)p,
				   (void *)(uintptr_t)v) == 0;
}

static inline int sp_try_recv(void *p, uint64_t *v)
{
	void *e;

	if (rte_ring_sc_dequeue((struct rte_ring *)p, &e) != 0)
		return 0;
	*v = (uintptr_t)e;
	return 1;
}

#define XT_P sp
#include "xt_loops.h"

const struct xt_transport xt_rte_ring = {
	"rte_ring",
	"DPDK rte_ring SP/SC, no EAL (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	lane_create,
	lane_destroy,
	XT_LOOPS(sp)
};
