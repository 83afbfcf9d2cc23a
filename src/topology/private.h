/* SPDX-License-Identifier: MIT */
/*
 * What the two files of photonring-topology share: stage.c runs the stage
 * threads, topology.c builds, starts and ends them (photon/topology.h).
 *
 * Built on the public API only, as a companion library. Each stage owns one
 * output channel (bounded or lossy) and one subscriber per input link; every
 * message on a link is an 8-byte sequence followed by the payload, so a stage
 * with several inputs can join them on the sequence whatever was lost or
 * filtered on the way.
 *
 * Handles: add_stage opens the stage's publisher and link subscribes its
 * consumers, all before any thread runs, so a lossless link already gates
 * its producer when the first message is published (a bounded channel with
 * no consumer registered would not). From start to join, the handles belong
 * to the stage thread, which closes them when it ends: closing its
 * subscribers releases a lossless producer upstream, closing its publisher
 * ends the stream downstream. pthread_create and pthread_join order the
 * hand-overs.
 *
 * Memory-order labels:
 *   S1  photon_topology_stop / a failing stage: stop = 1, release, after
 *       everything that thread published.
 *   S2  stage loop: stop load, acquire; pairs with S1. A stage that saw
 *       stop and then found its inputs empty has read everything published
 *       before S1, so a failing stage's last messages still reach the
 *       stages downstream of it.
 *   F1  failing stage: code stored, then failed = index + 1 by CAS,
 *       release (the first failure wins).
 *   F2  photon_topology_failed_stage / wait: failed load, acquire; pairs
 *       with F1, so the code read after it is the stage's.
 * The counters are single-writer words (the stage's thread, or the thread
 * feeding a user-fed source) stored relaxed and read relaxed by the getters.
 */
#ifndef PHOTON_TOPOLOGY_PRIVATE_H
#define PHOTON_TOPOLOGY_PRIVATE_H

#include <pthread.h>
#include <string.h>

#include <photon/photon.h>

#define SEQ_BYTES  8
#define NAME_BYTES 32

struct stage {
	/* Set by the controlling thread before start; read-only after. */
	char name[NAME_BYTES];
	photon_stage_fn fn;
	void *ctx;
	size_t out_size;
	struct photon_wait wait;
	uint32_t spin_polls;
	uint32_t sleep_ns;
	unsigned flags;
	unsigned cpu;
	unsigned index;
	struct photon_topology *topo;
	struct photon_channel *ch; /* output channel, NULL for a sink */
	unsigned n_in;
	const void *in_payload[PHOTON_TOPOLOGY_MAX_INPUTS];

	/* Owned by the stage's thread (or the feeding thread) while running. */
	struct photon_publisher *pub;
	struct photon_subscriber *in[PHOTON_TOPOLOGY_MAX_INPUTS];
	unsigned char *inbuf[PHOTON_TOPOLOGY_MAX_INPUTS]; /* seq + payload */
	unsigned char *outbuf;				  /* seq + payload */
	uint64_t next_seq; /* sources: the sequence to produce next */
	int code;	   /* the failure value, before F1 */
	pthread_t thread;
	int running; /* a thread was started (joined by wait) */

	/* Single-writer counters, away from the read-mostly lines above. */
	struct photon__atomic64
	    processed PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	struct photon__atomic64 published;
	struct photon__atomic64 lagged;
	struct photon__atomic64 unmatched;
	struct photon__atomic64 full;
	struct photon__atomic64 sleeps;
} PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

struct photon_topology {
	struct photon__atomic64
	    stop PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	struct photon__atomic64 failed; /* index + 1 of the first failure */
	struct stage **stages PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	unsigned n;
	unsigned cap;
	int started;
	int joined;
};

static inline void bump(struct photon__atomic64 *c, uint64_t n)
{
	PHOTON__STORE(c, PHOTON__LOAD(c, PHOTON__RELAXED) + n, PHOTON__RELAXED);
}

static inline int stopping(const struct photon_topology *t)
{
	return PHOTON__LOAD(&t->stop, PHOTON__ACQUIRE) != 0; /* S2 */
}

static inline void set_seq(unsigned char *buf, uint64_t seq)
{
	memcpy(buf, &seq, SEQ_BYTES);
}

/* ---- stage.c ---- */

/* A stage thread's body: its loop, then its handles closed. */
void *photon__stage_main(void *arg);
/*
 * Publishes outbuf (sequence already in place). Lossless: waits for room
 * with the idle policy, and gives up when the topology stops.
 * Returns PHOTON_OK, PHOTON_FULL (wait == 0) or PHOTON_CLOSED (stopping).
 */
int photon__stage_emit(struct stage *st, int wait);
/* Closes a stage's handles: upstream is released, downstream sees CLOSED. */
void photon__stage_close_handles(struct stage *st);

#endif /* PHOTON_TOPOLOGY_PRIVATE_H */
