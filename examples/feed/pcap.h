/* SPDX-License-Identifier: MIT */
/*
 * The classic libpcap file format, written and read by hand so that the
 * generator and the tests need no libpcap:
 *
 *   global header, 24 bytes: magic 0xa1b2c3d4 (microsecond timestamps),
 *     version 2.4, thiszone 0, sigfigs 0, snaplen, linktype 1 (Ethernet)
 *   per packet, 16 bytes: ts_sec, ts_usec, incl_len, orig_len; then
 *     incl_len bytes of the frame
 *
 * Written little-endian (magic d4 c3 b2 a1); the reader takes either byte
 * order. Frames are written whole (incl_len == orig_len): a "truncated"
 * frame of the generator is a short frame, as a receiver would see it.
 */
#ifndef FEED_PCAP_H
#define FEED_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FEED_PCAP_SNAPLEN 65535u

/* Writes the global header. 0, or -1 with errno set. */
int feed_pcap_write_header(FILE *f);
/* Writes one frame stamped ts_usec (microseconds since the epoch). */
int feed_pcap_write_frame(FILE *f, uint64_t ts_usec, const uint8_t *frame,
			  size_t len);

struct feed_pcap_reader {
	FILE *f;
	int swapped; /* the file is big-endian */
};

/* Reads and checks the global header. 0, or -1 (not a classic Ethernet
 * pcap, or a read error). */
int feed_pcap_open(struct feed_pcap_reader *r, FILE *f);
/* Reads the next frame into buf (cap bytes) and its length into *len.
 * Returns 1, 0 at the end of the file, or -1 on a malformed record or one
 * larger than cap. */
int feed_pcap_next(struct feed_pcap_reader *r, uint8_t *buf, size_t cap,
		   size_t *len);

#endif /* FEED_PCAP_H */
