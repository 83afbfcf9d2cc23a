/* SPDX-License-Identifier: MIT */
/* The classic pcap format by hand (pcap.h). */
#include "pcap.h"

#include <errno.h>

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p, int swapped)
{
	if (swapped)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[1] << 8 | p[0];
}

int feed_pcap_write_header(FILE *f)
{
	uint8_t h[24] = { 0 };

	le32(h, 0xa1b2c3d4u);
	h[4] = 2; /* version 2.4, little-endian u16s */
	h[6] = 4;
	le32(h + 16, FEED_PCAP_SNAPLEN);
	le32(h + 20, 1); /* LINKTYPE_ETHERNET */
	return fwrite(h, sizeof(h), 1, f) == 1 ? 0 : -1;
}

int feed_pcap_write_frame(FILE *f, uint64_t ts_usec, const uint8_t *frame,
			  size_t len)
{
	uint8_t h[16];

	if (len > FEED_PCAP_SNAPLEN) {
		errno = EINVAL;
		return -1;
	}
	le32(h, (uint32_t)(ts_usec / 1000000u));
	le32(h + 4, (uint32_t)(ts_usec % 1000000u));
	le32(h + 8, (uint32_t)len);
	le32(h + 12, (uint32_t)len);
	if (fwrite(h, sizeof(h), 1, f) != 1)
		return -1;
	if (len && fwrite(frame, len, 1, f) != 1)
		return -1;
	return 0;
}

int feed_pcap_open(struct feed_pcap_reader *r, FILE *f)
{
	uint8_t h[24];
	uint32_t magic;

	r->f = f;
	r->swapped = 0;
	if (fread(h, sizeof(h), 1, f) != 1)
		return -1;
	magic = get32(h, 0);
	if (magic == 0xd4c3b2a1u)
		r->swapped = 1;
	else if (magic != 0xa1b2c3d4u)
		return -1; /* nanosecond or pcapng files are not read here */
	return get32(h + 20, r->swapped) == 1 ? 0 : -1;
}

int feed_pcap_next(struct feed_pcap_reader *r, uint8_t *buf, size_t cap,
		   size_t *len)
{
	uint8_t h[16];
	uint32_t incl;
	size_t n = fread(h, 1, sizeof(h), r->f);

	if (n == 0)
		return 0;
	if (n != sizeof(h))
		return -1;
	incl = get32(h + 8, r->swapped);
	if (incl > cap || incl > FEED_PCAP_SNAPLEN)
		return -1;
	if (incl && fread(buf, incl, 1, r->f) != 1)
		return -1;
	*len = incl;
	return 1;
}
