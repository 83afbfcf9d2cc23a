/* SPDX-License-Identifier: MIT */
/*
 * libphotonring as a transport: one channel, its publisher and one
 * subscriber. Lossy for the latency runs (the usual way to use it),
 * bounded with watermark 0 for the lossless throughput runs. Measured
 * through the typed inline wrappers, through the exported functions, and
 * (throughput only) through the typed batch receive, xt_u64_poll.
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

/*
 * photon-poll: the typed batch receive (photon_poll's inline form) on the
 * receiving side, up to XT_POLL_BATCH messages a call, the reader's
 * position published once per batch; the same checks as the other
 * receivers. The sender and the latency loops are the typed ones.
 */
#define XT_POLL_BATCH 64

struct poll_rx {
	uint64_t expect, errors, n;
};

static int poll_check(void *ctx, const uint64_t *v, uint64_t seq)
{
	struct poll_rx *r = ctx;

	(void)seq;
	if (*v != r->expect) {
		r->errors++;
		if (*v > r->expect)
			r->expect = *v;
	}
	r->expect++;
	r->n++;
	return 0;
}

static inline void poll_tput_rx_loop(void *lane, struct xt_run *run,
				     const int pause)
{
	struct photon_subscriber *sub = ((struct lane *)lane)->sub;
	struct poll_rx r = { 1, 0, 0 };
	uint64_t empty = 0;

	while (r.expect <= run->total) {
		if (xt_u64_poll(sub, poll_check, &r, XT_POLL_BATCH) > 0)
			continue;
		empty++;
		if (pause)
			xt_pause();
	}
	run->t_end = xt_tscp();
	run->empty = empty;
	run->received = r.n;
	run->errors = r.errors;
}

static void poll_tput_rx(void *lane, struct xt_run *run)
{
	if (run->pause)
		poll_tput_rx_loop(lane, run, 1);
	else
		poll_tput_rx_loop(lane, run, 0);
}

const struct xt_transport xt_photon_poll = {
	"photon-poll",
	"libphotonring, typed batch receive (photon_poll, 64 a call)",
	XT_THROUGHPUT,
	lane_create,
	lane_destroy,
	typed_oneway_tx,
	typed_oneway_rx,
	typed_ping,
	typed_pong,
	typed_tput_tx,
	poll_tput_rx,
	typed_st_roundtrip,
	typed_st_empty,
	typed_st_publish
};
