/* SPDX-License-Identifier: MIT */
/*
 * The feed generator: Ethernet/IPv4/UDP frames of the feed format (feed.h)
 * with known content, and the counts a correct receiver must report
 * (expect.h). Deterministic for a given set of options and seed. Used by
 * gen_pcap (frames to a pcap file) and by the parser's unit test (frames
 * in memory).
 *
 * Modes:
 *   clean  `packets` sequenced packets of 1 to 8 messages (adds, trades,
 *          cancels of earlier adds) over 8 symbols; the packet at
 *          packets/3 is dropped (a gap) and the one at 2*packets/3 sent
 *          twice (a duplicate). Every count is exact.
 *   bad    clean, plus bad_each frames per reason of feed_bad, each a
 *          corrupted copy of a packet inserted before it: truncated inside
 *          the payload, an IPv6 EtherType, a wrong IP checksum, TCP, the
 *          wrong port, a UDP length past the IP payload, feed version 2,
 *          a message length off by one, message type 'Z', side 'Q', a seq
 *          jump. Every count is exact.
 *   fuzz   `packets` sequenced packets, about a third replaced by a random
 *          corruption (byte flips anywhere, a cut, a random length or type
 *          field, random 16/64-bit values in the payload, header flips with
 *          the IP checksum fixed), a few dropped or sent twice. Exact:
 *          the frame count; a lower bound: bad frames (the cuts and the
 *          length and type corruptions are bad whatever else happens).
 */
#ifndef FEED_GEN_H
#define FEED_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "expect.h"

enum feed_gen_mode { FEED_GEN_CLEAN, FEED_GEN_BAD, FEED_GEN_FUZZ };

struct feed_gen_opts {
	enum feed_gen_mode mode;
	uint64_t seed;	   /* any value; 0 is taken as 1 */
	unsigned packets;  /* sequenced packets (clean: 1000) */
	uint16_t port;	   /* UDP destination port */
	unsigned bad_each; /* bad mode: frames per reason */
};

/* Receives each frame in order; non-zero stops the generator. ts_usec is
 * the frame's time stamp (10 us apart). */
typedef int (*feed_emit_fn)(void *ctx, const uint8_t *frame, size_t len,
			    uint64_t ts_usec);

/*
 * Generates the frames of o, calling emit for each, and fills *exp with
 * what a receiver must count. Returns 0, -1 for bad options, or emit's
 * non-zero value.
 */
int feed_generate(const struct feed_gen_opts *o, feed_emit_fn emit, void *ctx,
		  struct feed_expect *exp);

/* "clean", "bad", "fuzz" -> mode; -1 if none. */
int feed_gen_mode_find(const char *name);

#endif /* FEED_GEN_H */
