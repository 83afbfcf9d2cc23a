/* SPDX-License-Identifier: MIT */
/*
 * The feed's parser and session (feed.h). Every read is bounds-checked
 * against the frame's length before it happens, in the order the headers
 * nest: a frame that lies about a length is refused, never followed.
 */
#include "feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const bad_names[FEED_BAD_COUNT] = {
	[FEED_BAD_NONE] = "none",
	[FEED_BAD_TRUNCATED] = "truncated",
	[FEED_BAD_NOT_IPV4] = "not-ipv4",
	[FEED_BAD_IP_HEADER] = "ip-header",
	[FEED_BAD_NOT_UDP] = "not-udp",
	[FEED_BAD_WRONG_PORT] = "wrong-port",
	[FEED_BAD_UDP_LENGTH] = "udp-length",
	[FEED_BAD_HEADER] = "feed-header",
	[FEED_BAD_MSG_LENGTH] = "msg-length",
	[FEED_BAD_UNKNOWN_TYPE] = "unknown-type",
	[FEED_BAD_VALUE] = "field-value",
	[FEED_BAD_SEQ_JUMP] = "seq-jump",
};

const char *feed_bad_name(enum feed_bad reason)
{
	if ((unsigned)reason >= FEED_BAD_COUNT)
		return "?";
	return bad_names[reason];
}

/* Byte by byte: the fields are unaligned, and this is what UBSan accepts. */
void feed_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void feed_put32(uint8_t *p, uint32_t v)
{
	feed_put16(p, (uint16_t)(v >> 16));
	feed_put16(p + 2, (uint16_t)v);
}

void feed_put64(uint8_t *p, uint64_t v)
{
	feed_put32(p, (uint32_t)(v >> 32));
	feed_put32(p + 4, (uint32_t)v);
}

uint16_t feed_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

uint32_t feed_get32(const uint8_t *p)
{
	return (uint32_t)feed_get16(p) << 16 | feed_get16(p + 2);
}

uint64_t feed_get64(const uint8_t *p)
{
	return (uint64_t)feed_get32(p) << 32 | feed_get32(p + 4);
}

uint16_t feed_ip_checksum(const uint8_t *hdr, size_t hdr_len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < hdr_len; i += 2)
		sum += feed_get16(hdr + i);
	if (hdr_len & 1)
		sum += (uint32_t)hdr[hdr_len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t feed_msg_len(uint8_t type)
{
	switch (type) {
	case FEED_ADD:
		return FEED_ADD_LEN;
	case FEED_CANCEL:
		return FEED_CANCEL_LEN;
	case FEED_TRADE:
		return FEED_TRADE_LEN;
	default:
		return 0;
	}
}

/* Printable ASCII: what a symbol may hold (spaces pad it). */
static int symbol_ok(const uint8_t *s)
{
	int i;

	for (i = 0; i < 8; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return s[0] != ' ';
}

/* The feed payload: header and messages, exactly len bytes. */
static enum feed_bad parse_payload(const uint8_t *p, size_t len,
				   struct feed_packet *out)
{
	size_t off = FEED_HDR_LEN;
	unsigned i;

	if (len < FEED_HDR_LEN || p[0] != FEED_VERSION)
		return FEED_BAD_HEADER;
	out->count = feed_get16(p + 2);
	out->channel = feed_get32(p + 4);
	out->seq = feed_get64(p + 8);
	/* seq + count - 1 must not wrap: sequences never do in practice. */
	if (out->count == 0 || out->count > FEED_MAX_MSGS || out->seq == 0 ||
	    out->seq > UINT64_MAX - out->count)
		return FEED_BAD_HEADER;

	for (i = 0; i < out->count; i++) {
		struct feed_wire_msg *m = &out->msgs[i];
		const uint8_t *b;
		size_t mlen, want;

		if (len - off < 2)
			return FEED_BAD_MSG_LENGTH;
		mlen = feed_get16(p + off);
		if (mlen < 1 || mlen > len - off - 2)
			return FEED_BAD_MSG_LENGTH;
		b = p + off + 2;
		want = feed_msg_len(b[0]);
		if (want == 0)
			return FEED_BAD_UNKNOWN_TYPE;
		if (mlen != want)
			return FEED_BAD_MSG_LENGTH;
		m->type = b[0];
		m->side = b[1];
		m->id = feed_get64(b + 2);
		memcpy(m->symbol, b + 10, 8);
		m->price = feed_get32(b + 18);
		m->qty = feed_get32(b + 22);
		m->maker = m->type == FEED_TRADE ? feed_get64(b + 26) : 0;
		if ((m->side != 'B' && m->side != 'S') || m->qty == 0 ||
		    !symbol_ok(b + 10))
			return FEED_BAD_VALUE;
		off += 2 + mlen;
	}
	return off == len ? FEED_BAD_NONE : FEED_BAD_MSG_LENGTH;
}

enum feed_bad feed_parse(const uint8_t *frame, size_t len, uint16_t port,
			 struct feed_packet *out)
{
	const uint8_t *ip, *udp;
	size_t ihl, ip_len, udp_len;

	if (len < FEED_ETH_LEN)
		return FEED_BAD_TRUNCATED;
	if (feed_get16(frame + 12) != 0x0800)
		return FEED_BAD_NOT_IPV4;
	ip = frame + FEED_ETH_LEN;
	len -= FEED_ETH_LEN;
	if (len < FEED_IP_LEN)
		return FEED_BAD_TRUNCATED;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || ihl < FEED_IP_LEN)
		return FEED_BAD_IP_HEADER;
	if (ihl > len)
		return FEED_BAD_TRUNCATED;
	ip_len = feed_get16(ip + 2);
	if (ip_len < ihl)
		return FEED_BAD_IP_HEADER;
	/* Bytes past ip_len are Ethernet padding; fewer is a cut frame. */
	if (ip_len > len)
		return FEED_BAD_TRUNCATED;
	if (feed_ip_checksum(ip, ihl) != 0)
		return FEED_BAD_IP_HEADER;
	/* More-fragments flag or an offset: fragments are not reassembled. */
	if (feed_get16(ip + 6) & 0x3fff)
		return FEED_BAD_IP_HEADER;
	if (ip[9] != 17)
		return FEED_BAD_NOT_UDP;
	udp = ip + ihl;
	if (ip_len - ihl < FEED_UDP_LEN)
		return FEED_BAD_UDP_LENGTH;
	if (feed_get16(udp + 2) != port)
		return FEED_BAD_WRONG_PORT;
	udp_len = feed_get16(udp + 4);
	if (udp_len < FEED_UDP_LEN || udp_len > ip_len - ihl)
		return FEED_BAD_UDP_LENGTH;
	/* The UDP checksum is left to the NIC (the generator sends 0). */
	out->src_port = feed_get16(udp);
	return parse_payload(udp + FEED_UDP_LEN, udp_len - FEED_UDP_LEN, out);
}

void feed_session_init(struct feed_session *s, uint16_t port)
{
	memset(s, 0, sizeof(*s));
	s->port = port;
	s->next_seq = 1;
}

static enum feed_bad bad(struct feed_session *s, enum feed_bad reason)
{
	s->stats.bad++;
	s->stats.bad_by[reason]++;
	return reason;
}

enum feed_bad feed_ingest(struct feed_session *s, const uint8_t *frame,
			  size_t len, feed_deliver_fn fn, void *ctx)
{
	struct feed_packet *pkt = &s->pkt;
	struct feed_stats *st = &s->stats;
	enum feed_bad rc;
	uint64_t first, end, missing = 0;
	unsigned i;

	st->packets++;
	st->bytes += len;
	rc = feed_parse(frame, len, s->port, pkt);
	if (rc != FEED_BAD_NONE)
		return bad(s, rc);
	if (pkt->seq > s->next_seq && pkt->seq - s->next_seq > FEED_MAX_JUMP)
		return bad(s, FEED_BAD_SEQ_JUMP);

	end = pkt->seq + pkt->count; /* no wrap: parse_payload checked */
	if (end <= s->next_seq) {
		st->dups++;
		st->dup_messages += pkt->count;
		return FEED_BAD_NONE;
	}
	if (pkt->seq > s->next_seq) {
		missing = pkt->seq - s->next_seq;
		st->gaps++;
		st->missing += missing;
		first = 0;
	} else {
		first = s->next_seq - pkt->seq; /* overlap: skip the old */
		st->dup_messages += first;
	}
	st->delivered++;
	for (i = (unsigned)first; i < pkt->count; i++) {
		struct feed_event ev = { .msg = &pkt->msgs[i],
					 .seq = pkt->seq + i,
					 .missing = missing };

		switch (pkt->msgs[i].type) {
		case FEED_ADD:
			st->adds++;
			break;
		case FEED_TRADE:
			st->trades++;
			break;
		default:
			st->cancels++;
			break;
		}
		st->messages++;
		missing = 0;
		if (fn)
			fn(ctx, &ev);
	}
	s->next_seq = end;
	return FEED_BAD_NONE;
}

int feed_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}
