/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Bridges: a channel carried to other machines over an existing transport
 * (the photonring-bridge companion: link PhotonRing::bridge, or pkg-config
 * photon-ring-bridge; built when libzmq is found). libphotonring does not
 * have its own network protocol: a bridge puts each message of a channel
 * onto ZeroMQ (docs/bridge-engines.md says why this engine) and takes it
 * off again on the far side into a local channel, so that a subscriber
 * there reads with the normal API and sees the same sequence numbers, the
 * same losses and the same close as one on the sending machine.
 *
 *     sending machine                      receiving machine
 *     photon_bridge_out(&b, ch,            photon_bridge_in(&b,
 *         "tcp://10.0.0.1:5555", NULL);        "tcp://10.0.0.1:5555",
 *                                              local, NULL);
 *
 * Every frame carries the channel's identity and the message's sequence
 * number; the receiving side publishes a message under the same sequence
 * (the local channel's publisher follows the remote one), and a sequence
 * it never received, lost on the way or by the sender's own reader
 * lagging, becomes a gap (photon_publish_gap): local readers get
 * PHOTON_LAGGED with the exact count. Nothing is reordered or duplicated:
 * a frame behind the expected sequence is dropped and counted. An idle
 * sender sends heartbeats carrying its next sequence, so a loss at the end
 * of a burst is a gap too, and a silent one is dead: the local channel
 * closes (readers drain it, then see PHOTON_CLOSED), as it does when the
 * sender's channel closes.
 *
 * The transport: ZeroMQ PUB on the sending side (binds the URL it is
 * given, and nothing else), SUB on the receiving side (connects). URLs are
 * ZeroMQ endpoints: tcp://HOST:PORT (port * for any free one: see
 * photon_bridge_endpoint), ipc://PATH, and pgm:// or epgm:// for reliable
 * multicast where libzmq has it (experimental: measured, it lost the
 * stream under loss and after a receiver stall; docs/bridge-engines.md). PUB
 * never waits for a slow receiver (it drops at its queue limit), so a stalled
 * receiver cannot stall the sending channel: it sees a gap. Encryption and
 * authentication are ZeroMQ's CURVE, through the key fields of struct
 * photon_bridge_opts.
 *
 * A receiving bridge publishes into a lossy single-publisher channel it is
 * given (photon_publish_gap needs one); the channel's message size must be
 * the sender's. Joining a running stream, the local channel's sequence
 * starts where the stream is: readers subscribed before the first frame
 * see the sequences before it as lost, once (subscribe after
 * photon_bridge_ready() to start clean).
 *
 * Thread contract: each bridge runs one thread of its own; the calls here
 * may be made from any thread, photon_bridge_close from one.
 */
#ifndef PHOTON_BRIDGE_H
#define PHOTON_BRIDGE_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_channel;
struct photon_bridge;

/**
 * Options of a bridge. Zero-initialise; the struct only grows at the end,
 * into `reserved`, which must be zero.
 */
struct photon_bridge_opts {
	/** Identity of the channel on the wire: every frame carries it and a
	 * receiving bridge drops frames of another one. 0: 1. */
	uint64_t channel_id;
	/** Sending: an idle sender's heartbeat period. Receiving: the silence
	 * after which the sender is dead is 5 periods. 0: 100 ms. */
	uint64_t heartbeat_ns;
	/** Receiving: how long to wait for the first frame before giving up
	 * (photon_bridge_wait then returns PHOTON_ESYS); 0: for ever. */
	uint64_t connect_timeout_ns;
	/** The transport's queue, in messages (ZMQ_SNDHWM, ZMQ_RCVHWM); 0:
	 * 100000. */
	uint32_t queue;
	/** Sending: nonzero, the bridge's reader spins (PHOTON_WAIT_BUSY_SPIN:
	 * the lowest latency, for a bridge with a core of its own); 0, it
	 * parks (PHOTON_WAIT_PARK: the publisher wakes it). */
	uint32_t spin;
	const char *curve_secret; /**< CURVE: this side's secret key (Z85) */
	const char *curve_public; /**< CURVE, receiving: its public key */
	/** CURVE, receiving: the sender's public key. A sender with
	 * curve_secret accepts only CURVE clients. */
	const char *curve_server;
	uint64_t reserved[4]; /**< zero */
};

/** What a bridge did. Exact once photon_bridge_wait returned. */
struct photon_bridge_stats {
	uint64_t messages;    /**< messages sent, or received and published */
	uint64_t heartbeats;  /**< heartbeats sent or received */
	uint64_t gaps;	      /**< gaps published (receiving) */
	uint64_t lost;	      /**< messages in them (sending: own lag) */
	uint64_t dropped;     /**< receiving: duplicate or late frames */
	uint64_t bad;	      /**< receiving: malformed or foreign frames */
	uint64_t next;	      /**< the next sequence expected or sent */
	uint64_t reserved[3]; /**< zero */
};

/**
 * Starts a sending bridge: a thread that subscribes to ch (from its next
 * message) and sends every message to the transport bound at url, with
 * heartbeats while idle and a close frame when ch closes. PHOTON_OK,
 * PHOTON_EINVAL (NULL, a URL that is not tcp://, ipc://, pgm:// or
 * epgm://, bad options), PHOTON_ENOTSUP (built without the transport),
 * PHOTON_ESYS (the transport refused: address in use, a CURVE key that is
 * not Z85; the detail says which), PHOTON_ENOMEM.
 */
PHOTON_API int photon_bridge_out(struct photon_bridge **out,
				 struct photon_channel *ch, const char *url,
				 const struct photon_bridge_opts *opts);

/**
 * Starts a receiving bridge: a thread that connects to url and publishes
 * what arrives into ch, which must be a lossy single-publisher channel
 * whose publisher is free (the bridge opens it). Codes as
 * photon_bridge_out, and PHOTON_EBUSY (ch has a publisher already).
 */
PHOTON_API int photon_bridge_in(struct photon_bridge **out, const char *url,
				struct photon_channel *ch,
				const struct photon_bridge_opts *opts);

/**
 * The endpoint a sending bridge bound, e.g. "tcp://127.0.0.1:41327" for
 * "tcp://127.0.0.1:*"; the URL itself for a receiving one. NULL for NULL.
 */
PHOTON_API const char *photon_bridge_endpoint(const struct photon_bridge *b);

/** Receiving: 1 once a frame of the stream was heard (the local sequence
 * follows the sender's from then on), else 0. Sending: 1. */
PHOTON_API int photon_bridge_ready(const struct photon_bridge *b);

/**
 * Waits for the bridge's thread to end: sending, once its channel closed
 * (the close frame sent) or photon_bridge_stop; receiving, once the
 * sender closed or went silent (the local channel is then closed) or
 * photon_bridge_stop. PHOTON_OK (closed), PHOTON_CLOSED (the sender went
 * silent: dead), PHOTON_ESYS (a transport error, or no first frame within
 * connect_timeout_ns; the detail says which), PHOTON_EINVAL.
 */
PHOTON_API int photon_bridge_wait(struct photon_bridge *b);

/** Asks the bridge to stop (a sending bridge sends its close frame first).
 * Does not wait. Thread-safe; NULL is a no-op. */
PHOTON_API void photon_bridge_stop(struct photon_bridge *b);

/** Copies the counters (any thread). PHOTON_OK or PHOTON_EINVAL. */
PHOTON_API int photon_bridge_stats(const struct photon_bridge *b,
				   struct photon_bridge_stats *out);

/** Stops the bridge, waits for its thread, closes what it opened and
 * frees it. NULL is a no-op. */
PHOTON_API void photon_bridge_close(struct photon_bridge *b);

PHOTON__EXTERN_C_END

#endif /* PHOTON_BRIDGE_H */
