/* SPDX-License-Identifier: MIT */
/*
 * ingress: everything of a feed handler but the receive loop. The loop of
 * dpdk_ingress or efvi_ingress hands each received frame and its receive
 * time to feed_ingress_frame(); this unit parses it (feed.h), publishes
 * every new message into a libphotonring channel, and runs the consumers:
 *
 *   book     per-symbol books from the adds and cancels: best bid and ask
 *   trades   trade prints: count, volume and VWAP per symbol
 *   checker  the channel's sequence (every message once, in order) and the
 *            feed's (gaps flagged where the session saw them), and counts
 *            matching the session's
 *
 * each a thread of its own, each timing rx -> delivery into a
 * photon_histogram. At the end it reports and checks the counts against
 * the expectations (expect.h).
 *
 * The channel is bounded (lossless): the receive loop waits when the
 * slowest consumer is a ring behind, so every consumer sees every message
 * and the counts are exact. A lossy channel would never hold the NIC back
 * (a feed handler that must not drop packets on the floor would pick it,
 * and give each consumer a recovery path for LAGGED); here the NIC's own
 * queue absorbs the waits, and a replayed pcap cannot overrun.
 */
#ifndef FEED_INGRESS_H
#define FEED_INGRESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* cpu_set_t */
#endif
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "expect.h"

enum feed_wait { FEED_WAIT_AUTO, FEED_WAIT_SPIN, FEED_WAIT_PARK };

struct feed_ingress_opts {
	uint16_t port;	 /* UDP destination port of the feed */
	size_t capacity; /* ring slots */
	enum feed_wait wait;
	uint64_t idle_ms; /* the receive loop's end: this long with nothing */
	int print_trades; /* the trade printer prints every trade */
	int quiet;	  /* no per-symbol tables */
	struct feed_expect expect;
};

/* Defaults; idle_ms is the receive loop's (it knows its source). */
void feed_ingress_defaults(struct feed_ingress_opts *o, uint64_t idle_ms);

/*
 * The options every ingress example takes (feed_ingress_usage lists them).
 * Looks at argv[*i]: returns 1 when it was one (and *i moved past its
 * value), 0 when it is not, -1 when its value is bad (a message printed).
 */
int feed_ingress_option(struct feed_ingress_opts *o, int argc, char **argv,
			int *i);
void feed_ingress_usage(FILE *f);

struct feed_ingress;

/*
 * Creates the channel, subscribes the consumers and starts their threads
 * on `cpus` (NULL: the caller's affinity; a DPDK main lcore is pinned to
 * one CPU, so pass the process's affinity from before rte_eal_init), and
 * opens the publisher. Prints the reason and returns -1 on failure.
 */
int feed_ingress_start(struct feed_ingress **out,
		       const struct feed_ingress_opts *o,
		       const cpu_set_t *cpus);

/*
 * One received frame of len bytes, received at rx_tsc (the TSC that
 * photon_tsc_now() reads). Publishes its new messages, waiting while the
 * ring is full. The receive thread only.
 */
void feed_ingress_frame(struct feed_ingress *fi, const uint8_t *frame,
			size_t len, uint64_t rx_tsc);

/* 1 once --expect-packets frames were seen: the loop may stop. */
int feed_ingress_complete(const struct feed_ingress *fi);
/* Frames seen so far. */
uint64_t feed_ingress_packets(const struct feed_ingress *fi);

/*
 * Closes the publisher, lets the consumers drain and join, prints the
 * report under `title` and checks it. Frees everything. Returns 0 when
 * every check and expectation held, 1 when not.
 */
int feed_ingress_finish(struct feed_ingress *fi, const char *title);

#endif /* FEED_INGRESS_H */
