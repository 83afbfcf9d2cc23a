/* SPDX-License-Identifier: MIT */
/*
 * pcap_send: sends every frame of a pcap, as it is, out of a Linux
 * interface through an AF_PACKET socket (root, or CAP_NET_RAW). With a
 * veth pair it feeds dpdk_ingress --iface on the other end
 * (tests/dpdk/veth_test.sh).
 *
 *   pcap_send [--gap-us N] IFACE FILE.pcap
 *
 * --gap-us paces the frames (0: as fast as sendto goes). Frames shorter
 * than an Ethernet header are skipped (the kernel refuses them) and
 * counted. Exit status: 0 when every other frame was sent, 1 when not, 2
 * on bad arguments.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* struct sockaddr_ll */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feed.h"
#include "pcap.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static uint8_t buf[FEED_PCAP_SNAPLEN];
	struct feed_pcap_reader r;
	struct sockaddr_ll to;
	uint64_t gap_ns = 0, sent = 0, skipped = 0, failed = 0, next;
	const char *iface, *path;
	unsigned ifindex;
	size_t len;
	FILE *f;
	int fd, rc, i = 1;

	if (argc == 5 && !strcmp(argv[1], "--gap-us")) {
		if (feed_parse_u64(argv[2], 1000000, &gap_ns) != 0) {
			fprintf(stderr, "pcap_send: --gap-us: 0 to 1000000\n");
			return 2;
		}
		gap_ns *= 1000u;
		i = 3;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: pcap_send [--gap-us N] IFACE "
				"FILE.pcap\n");
		return 2;
	}
	iface = argv[i];
	path = argv[i + 1];
	ifindex = if_nametoindex(iface);
	if (!ifindex) {
		fprintf(stderr, "pcap_send: %s: %s\n", iface, strerror(errno));
		return 2;
	}
	f = fopen(path, "rb");
	if (!f || feed_pcap_open(&r, f) != 0) {
		fprintf(stderr, "pcap_send: %s: not a readable classic pcap\n",
			path);
		return 2;
	}
	/* Protocol 0: this socket sends only, it receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "pcap_send: AF_PACKET socket: %s\n",
			strerror(errno));
		return 2;
	}
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)ifindex;
	to.sll_halen = ETH_ALEN;

	next = now_ns();
	while ((rc = feed_pcap_next(&r, buf, sizeof(buf), &len)) == 1) {
		if (len < ETH_HLEN) {
			skipped++;
			continue;
		}
		if (gap_ns) {
			while (now_ns() < next)
				;
			next += gap_ns;
		}
		memcpy(&to.sll_protocol, buf + 12, 2); /* network order */
		memcpy(to.sll_addr, buf, ETH_ALEN);
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&to,
			   sizeof(to)) == (ssize_t)len)
			sent++;
		else
			failed++;
	}
	close(fd);
	fclose(f);
	printf("pcap_send: %s -> %s: %" PRIu64 " sent, %" PRIu64
	       " too short to send, %" PRIu64 " failed%s\n",
	       path, iface, sent, skipped, failed,
	       rc < 0 ? "; malformed pcap record" : "");
	return failed || rc < 0 ? 1 : 0;
}
