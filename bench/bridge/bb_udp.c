/* SPDX-License-Identifier: MIT */
/*
 * The floor, not a candidate: bare UDP multicast, one datagram per
 * message, nothing to repair, order or report loss. It shows what the
 * machine's network stack and scheduler cost on their own, so that the
 * engines' figures can be read as what they add to it.
 *
 * cfg->iface is the interface's address (as for epgm), cfg->group:port
 * the group. Receivers bind the port with SO_REUSEADDR and join the group
 * on that interface; the sender loops its datagrams back to the host.
 */
#define _GNU_SOURCE
#include "bb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct uh {
	int fd;
	struct sockaddr_in to;
	uint64_t send_errors;
};

static void *uopen(const struct bb_cfg *c, int pub)
{
	struct uh *u = calloc(1, sizeof(*u));
	struct in_addr ifa, grp;
	int one = 1;

	if (!u)
		return NULL;
	u->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (u->fd < 0 || inet_pton(AF_INET, c->iface, &ifa) != 1 ||
	    inet_pton(AF_INET, c->group, &grp) != 1) {
		fprintf(stderr, "udp: socket or address: %s %s\n", c->iface,
			c->group);
		goto fail;
	}
	u->to.sin_family = AF_INET;
	u->to.sin_port = htons((uint16_t)c->port);
	u->to.sin_addr = grp;
	if (pub) {
		unsigned char loop = 1, ttl = 1;

		if (setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa,
			       sizeof(ifa)) ||
		    setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop,
			       sizeof(loop)) ||
		    setsockopt(u->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
			       sizeof(ttl)))
			goto fail;
	} else {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = u->to.sin_port,
					 .sin_addr.s_addr = htonl(INADDR_ANY) };
		struct ip_mreq mr = { .imr_multiaddr = grp,
				      .imr_interface = ifa };
		struct timeval tv = { .tv_usec = BB_POLL_MS * 1000 };
		int rcvbuf = 4 << 20;

		if (setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) ||
		    bind(u->fd, (struct sockaddr *)&a, sizeof(a)) ||
		    setsockopt(u->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
			       sizeof(mr)) ||
		    setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
			goto fail;
		/* As large as net.core.rmem_max lets it be. */
		setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	}
	return u;
fail:
	perror("udp");
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	return NULL;
}

static void *upub_open(const struct bb_cfg *c)
{
	return uopen(c, 1);
}

static void *usub_open(const struct bb_cfg *c)
{
	return uopen(c, 0);
}

static int upub_wait(void *h, int nrx, int timeout_ms)
{
	(void)h;
	(void)nrx;
	(void)timeout_ms;
	return 1;
}

static int upub_send(void *h, const void *msg, size_t len)
{
	struct uh *u = h;

	if (sendto(u->fd, msg, len, 0, (struct sockaddr *)&u->to,
		   sizeof(u->to)) >= 0)
		return 0;
	u->send_errors++;
	return errno == ENOBUFS || errno == EAGAIN ? 1 : -1;
}

static void uclose(void *h, struct bb_note *note)
{
	struct uh *u = h;

	snprintf(note->text, sizeof(note->text),
		 "api_loss=none send_errors=%llu",
		 (unsigned long long)u->send_errors);
	close(u->fd);
	free(u);
}

static int usub_recv(void *h, void *buf, size_t cap)
{
	struct uh *u = h;
	ssize_t n = recv(u->fd, buf, cap, 0);

	if (n >= 0)
		return (int)n;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0
									 : -1;
}

const struct bb_engine bb_udp = {
	.name = "udp",
	.pub_open = upub_open,
	.pub_wait = upub_wait,
	.pub_send = upub_send,
	.pub_close = uclose,
	.sub_open = usub_open,
	.sub_recv = usub_recv,
	.sub_close = uclose,
};
