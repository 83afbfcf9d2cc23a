/* SPDX-License-Identifier: MIT */
/*
 * The bridge benchmark's engine interface (issue 15, docs/bridge-engines.md).
 *
 * Every engine moves the same message, the bytes a bridge would put on the
 * wire for one ring slot: an 8-byte ring sequence, an 8-byte channel id,
 * then the payload, whose first 8 bytes here are the sender's
 * CLOCK_MONOTONIC time. The engines differ only in how they carry those
 * bytes, which is what this interface hides: it is the shape the bridge's
 * own engine layer would have.
 */
#ifndef BB_H
#define BB_H

#include <stddef.h>
#include <stdint.h>

#define BB_HDR	   16u
#define BB_MAX_MSG (BB_HDR + 4096u)
#define BB_CHANNEL 0x70686f746f6e0001ull
/* A message on this channel id is the close: its sequence is the number of
 * data messages sent, so a receiver knows how many it should have seen. */
#define BB_CHAN_CLOSE UINT64_MAX
/* How long one bb_sub_recv call may block before it returns 0. */
#define BB_POLL_MS 100

struct bb_cfg {
	const char *addr;  /* TCP/broker address: bind (pub) or connect (sub) */
	const char *iface; /* multicast interface (epgm, norm, DDS) */
	const char *group; /* multicast group (epgm, norm) */
	int port;
	int depth;    /* DDS history depth, ZeroMQ high-water mark */
	int reliable; /* DDS: reliable (1) or best effort (0) */
	int paced;    /* the publisher is paced: favour latency */
	int nrx;      /* receivers the publisher waits for */
	int node;     /* this process's node id (NORM needs one per process) */
};

/* Text an engine adds to the result line: what its API said about loss. */
struct bb_note {
	char text[256];
};

struct bb_engine {
	const char *name;
	void *(*pub_open)(const struct bb_cfg *cfg);
	/* 0 once cfg->nrx receivers are known to the publisher; 1 when the
	 * engine cannot tell (the warm-up has to cover the join). */
	int (*pub_wait)(void *h, int nrx, int timeout_ms);
	/* 0 sent (or queued), 1 refused or dropped as the API reports it,
	 * negative on an error. */
	int (*pub_send)(void *h, const void *msg, size_t len);
	void (*pub_close)(void *h, struct bb_note *note);
	void *(*sub_open)(const struct bb_cfg *cfg);
	/* The message's length, 0 when nothing came within BB_POLL_MS,
	 * negative on an error. */
	int (*sub_recv)(void *h, void *buf, size_t cap);
	void (*sub_close)(void *h, struct bb_note *note);
};

extern const struct bb_engine bb_zmq_tcp, bb_zmq_epgm, bb_zmq_norm;
extern const struct bb_engine bb_dds;
extern const struct bb_engine bb_nats;
extern const struct bb_engine bb_udp;

int64_t bb_now_ns(void);

#endif
