/* SPDX-License-Identifier: MIT */
/*
 * feed: a small ITCH-like market-data wire format, its parser and the
 * per-session gap/duplicate detector shared by the ingress examples
 * (dpdk_ingress, efvi_ingress). Nothing here depends on libphotonring, DPDK
 * or ef_vi: the receive loops hand whole Ethernet frames to feed_ingest().
 *
 * Wire format (all integers big-endian, as on the wire of ITCH/MoldUDP64).
 * One UDP datagram (IPv4, no fragments, no VLAN tag) to the feed's port
 * carries one packet:
 *
 *   packet header, 16 bytes
 *     0  u8   version     FEED_VERSION (1)
 *     1  u8   flags       reserved, ignored
 *     2  u16  count       messages that follow, 1 .. FEED_MAX_MSGS
 *     4  u32  channel     sender's channel id (informational)
 *     8  u64  seq         feed sequence number of the first message (>= 1);
 *                         message i of the packet is seq + i
 *   then `count` messages back to back, filling the datagram exactly:
 *     0  u16  length      bytes after this field: the type byte and body;
 *                         must be the type's size below
 *     2  u8   type        'A' add order, 'T' trade, 'X' cancel
 *     3  u8   side        'B' buy or 'S' sell (a trade: the aggressor)
 *     4  u64  id          order id (add, cancel) or trade id (trade)
 *    12  char symbol[8]   ASCII, right-padded with spaces
 *    20  u32  price       in units of 1/10000
 *    24  u32  qty         shares (cancel: the quantity removed), > 0
 *    28  u64  maker       trade only: the resting order's id
 *   length: add 26, cancel 26, trade 34.
 *
 * The feed starts at sequence 1. A packet whose first sequence is past the
 * next expected one is a gap (the messages in between are missing: this
 * format has no retransmission); one whose messages were all seen is a
 * duplicate; a partial overlap delivers only the new messages. A packet is
 * delivered whole or not at all: any malformed part makes it bad (counted by
 * reason, skipped) and its sequence numbers stay unused.
 */
#ifndef FEED_FEED_H
#define FEED_FEED_H

#include <stddef.h>
#include <stdint.h>

#define FEED_VERSION	  1
#define FEED_PORT_DEFAULT 31337
#define FEED_HDR_LEN	  16
#define FEED_MAX_MSGS	  512 /* a 9000-byte jumbo holds at most 344 */
/* A sequence this far past the expected one is corruption, not loss. */
#define FEED_MAX_JUMP 1000000u

#define FEED_ADD	'A'
#define FEED_TRADE	'T'
#define FEED_CANCEL	'X'
#define FEED_ADD_LEN	26
#define FEED_CANCEL_LEN 26
#define FEED_TRADE_LEN	34

/* Header sizes of the frames the parser accepts. */
#define FEED_ETH_LEN 14
#define FEED_IP_LEN  20 /* without options */
#define FEED_UDP_LEN 8

/* Why a frame was not delivered. feed_bad_name() gives the short names used
 * in reports and expectation files ("truncated", ...). */
enum feed_bad {
	FEED_BAD_NONE = 0,
	FEED_BAD_TRUNCATED,    /* frame shorter than its headers say */
	FEED_BAD_NOT_IPV4,     /* EtherType not IPv4 */
	FEED_BAD_IP_HEADER,    /* version, IHL, checksum, a fragment */
	FEED_BAD_NOT_UDP,      /* IP protocol not UDP */
	FEED_BAD_WRONG_PORT,   /* UDP to another port */
	FEED_BAD_UDP_LENGTH,   /* UDP length below 8 or past the IP payload */
	FEED_BAD_HEADER,       /* feed header: short, version, count, seq 0 */
	FEED_BAD_MSG_LENGTH,   /* a length field wrong for its type, past
				  the end, or bytes left after `count` */
	FEED_BAD_UNKNOWN_TYPE, /* a message type byte not A, T or X */
	FEED_BAD_VALUE,	       /* side not B/S, qty 0, symbol not printable */
	FEED_BAD_SEQ_JUMP,     /* seq more than FEED_MAX_JUMP ahead */
	FEED_BAD_COUNT
};

const char *feed_bad_name(enum feed_bad reason);

/* One decoded message. */
struct feed_wire_msg {
	uint64_t id;
	uint64_t maker; /* trades only, else 0 */
	char symbol[8]; /* as on the wire, space padded, no NUL */
	uint32_t price;
	uint32_t qty;
	uint8_t type;
	uint8_t side;
};

/* A parsed packet: header fields and its messages, in order. */
struct feed_packet {
	uint64_t seq;
	uint32_t channel;
	uint16_t count;
	uint16_t src_port;
	struct feed_wire_msg msgs[FEED_MAX_MSGS];
};

/*
 * Parses one Ethernet frame of len bytes. Reads nothing outside
 * [frame, frame + len). Returns FEED_BAD_NONE with *out filled, or the
 * first problem found (then *out is partly written). port: the UDP
 * destination port of the feed (host order).
 */
enum feed_bad feed_parse(const uint8_t *frame, size_t len, uint16_t port,
			 struct feed_packet *out);

/* Counters of one session; every field only grows. */
struct feed_stats {
	uint64_t packets;   /* frames seen */
	uint64_t bytes;	    /* their lengths */
	uint64_t delivered; /* packets with at least one new message */
	uint64_t messages;  /* messages delivered */
	uint64_t adds, trades, cancels;
	uint64_t gaps;	       /* jumps forward in the sequence */
	uint64_t missing;      /* messages those jumps skipped */
	uint64_t dups;	       /* packets with no new message */
	uint64_t dup_messages; /* old messages skipped, in any packet */
	uint64_t bad;	       /* frames not delivered for a reason below */
	uint64_t bad_by[FEED_BAD_COUNT];
};

/* A delivered message: its decoded fields and its place in the feed. */
struct feed_event {
	const struct feed_wire_msg *msg;
	uint64_t seq;	  /* feed sequence number */
	uint64_t missing; /* > 0 on the first message after a gap */
};

typedef void (*feed_deliver_fn)(void *ctx, const struct feed_event *ev);

/* One feed session: the next expected sequence and the counters. */
struct feed_session {
	uint16_t port;
	uint64_t next_seq;
	struct feed_stats stats;
	struct feed_packet pkt; /* scratch: too big for a thread's stack */
};

void feed_session_init(struct feed_session *s, uint16_t port);

/*
 * Takes one received frame: parses it, drops bad packets and old messages,
 * counts gaps, and calls fn for every new message in sequence order.
 * Returns the reason a frame was bad, or FEED_BAD_NONE (delivered or
 * duplicate). One thread per session.
 */
enum feed_bad feed_ingest(struct feed_session *s, const uint8_t *frame,
			  size_t len, feed_deliver_fn fn, void *ctx);

/* Writers of the wire format, for the generator and the tests. */
void feed_put16(uint8_t *p, uint16_t v);
void feed_put32(uint8_t *p, uint32_t v);
void feed_put64(uint8_t *p, uint64_t v);
uint16_t feed_get16(const uint8_t *p);
uint32_t feed_get32(const uint8_t *p);
uint64_t feed_get64(const uint8_t *p);
/* The IPv4 header checksum of hdr_len bytes (the field itself included as
 * it stands: 0 when computing, the sent value when checking). */
uint16_t feed_ip_checksum(const uint8_t *hdr, size_t hdr_len);
/* The size of a message of `type` after its length field, 0 if unknown. */
size_t feed_msg_len(uint8_t type);
/* A command-line number (decimal, or 0x hex) of at most max into *out:
 * 0, or -1 for anything else (empty, negative, trailing text, too big). */
int feed_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif /* FEED_FEED_H */
