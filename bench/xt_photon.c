/* SPDX-License-Identifier: MIT */
/*
 * libphotonring as a transport: one channel, its publisher and one
 * subscriber. Lossy for the latency runs (the usual way to use it),
 * bounded with watermark 0 for the lossless throughput runs. Measured twice:
 * through the typed inline wrappers and through the exported functions.
 */
#include <stdlib.h>

#include <photon/photon.h>

#include "xt.h"

PHOTON_DEFINE_TYPED(xt_u64, uint64_t);

struct lane {
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *sub;
};

static void lane_destroy(void *p)
{
	struct lane *l = p;

	if (!l)
		return;
	photon_subscriber_close(l->sub);
	photon_publisher_close(l->pub);
	photon_channel_release(l->ch);
	free(l);
}

/* Subscribes before the first publish, so the reader sees every message. */
static void *lane_create(size_t capacity, int lossless)
{
	struct lane *l = calloc(1, sizeof(*l));
	int rc;

	if (!l)
		return NULL;
	rc = lossless ? xt_u64_channel_create_bounded(&l->ch, capacity, 0)
		      : xt_u64_channel_create(&l->ch, capacity);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(l->ch, &l->pub);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(l->ch, &l->sub);
	if (rc != PHOTON_OK) {
		lane_destroy(l);
		return NULL;
	}
	return l;
}

/* A lossy channel never says FULL; a bounded one does at the gate. */
static inline int typed_try_send(void *p, uint64_t v)
{
	return xt_u64_try_publish(((struct lane *)p)->pub, &v) == PHOTON_OK;
}

static inline int typed_try_recv(void *p, uint64_t *v)
{
	return xt_u64_try_recv(((struct lane *)p)->sub, v) == PHOTON_OK;
}

#define XT_P typed
#include "xt_loops.h"

static inline int abi_try_send(void *p, uint64_t v)
{
	return photon_try_publish(((struct lane *)p)->pub, &v) == PHOTON_OK;
}

static inline int abi_try_recv(void *p, uint64_t *v)
{
	return photon_try_recv(((struct lane *)p)->sub, v) == PHOTON_OK;
}

#define XT_P abi
#include "xt_loops.h"

const struct xt_transport xt_photon = {
	"photon",
	"libphotonring, typed inline wrappers (broadcast)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT | XT_LOSSY,
	lane_create,
	lane_destroy,
	XT_LOOPS(typed)
};

const struct xt_transport xt_photon_abi = {
	"photon-abi",
	"libphotonring, exported functions (broadcast)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT | XT_LOSSY,
	lane_create,
	lane_destroy,
	XT_LOOPS(abi)
};
