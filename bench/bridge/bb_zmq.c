/* SPDX-License-Identifier: MIT */
/*
 * ZeroMQ (libzmq 4.3.4): PUB/SUB over TCP, PGM encapsulated in UDP (epgm)
 * and NORM, the three transports Debian's libzmq5 is built with.
 *
 * Over TCP the publisher is an XPUB with XPUB_VERBOSE, which behaves as a
 * PUB for sending but also hands up every subscription, so it can wait
 * until all receivers have joined instead of losing the first messages
 * (ZeroMQ's "slow joiner"). PGM and NORM have no path back to the
 * publisher through the socket, so there the warm-up covers the join.
 *
 * A PUB never blocks and never says it dropped: a subscriber whose queue
 * is at the high-water mark (cfg->depth messages, ZMQ_SNDHWM/ZMQ_RCVHWM)
 * just misses messages. Only the ring's own sequence numbers show it.
 */
#define _GNU_SOURCE
#include "bb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

enum kind { TCP, EPGM, NORM };

struct zh {
	void *ctx, *s;
	enum kind kind;
};

static void endpoint(char *ep, size_t n, enum kind k, const struct bb_cfg *c,
		     int bind)
{
	if (k == TCP)
		snprintf(ep, n, "tcp://%s:%d", bind ? "0.0.0.0" : c->addr,
			 c->port);
	else if (k == EPGM)
		snprintf(ep, n, "epgm://%s;%s:%d", c->iface, c->group, c->port);
	/* NORM derives a node id from the host's address unless given one,
	 * and the receivers here share a host. */
	else
		snprintf(ep, n, "norm://%d,%s;%s:%d", c->node, c->iface,
			 c->group, c->port);
}

static int setint(void *s, int opt, int v, const char *name)
{
	if (zmq_setsockopt(s, opt, &v, sizeof(v)) == 0)
		return 0;
	fprintf(stderr, "zmq_setsockopt(%s): %s\n", name,
		zmq_strerror(zmq_errno()));
	return -1;
}

static void *zopen(const struct bb_cfg *c, enum kind k, int pub)
{
	struct zh *z = calloc(1, sizeof(*z));
	char ep[256];
	int rc;

	if (!z)
		return NULL;
	z->kind = k;
	z->ctx = zmq_ctx_new();
	z->s = zmq_socket(z->ctx, !pub	     ? ZMQ_SUB
				  : k == TCP ? ZMQ_XPUB
					     : ZMQ_PUB);
	if (!z->s)
		goto fail;
	if (setint(z->s, pub ? ZMQ_SNDHWM : ZMQ_RCVHWM, c->depth, "HWM") ||
	    setint(z->s, ZMQ_LINGER, 2000, "LINGER"))
		goto fail;
	if (k != TCP) {
		/* The multicast rate limit is 100 kbit/s unless raised:
		 * 1 Gbit/s, so that the engine, not the limit, is measured.
		 * Recovery window 2 s: what a receiver may repair. */
		if (setint(z->s, ZMQ_RATE, 1000000, "RATE") ||
		    setint(z->s, ZMQ_RECOVERY_IVL, 2000, "RECOVERY_IVL") ||
		    setint(z->s, ZMQ_MULTICAST_HOPS, 1, "MULTICAST_HOPS"))
			goto fail;
	}
	if (pub && k == TCP && setint(z->s, ZMQ_XPUB_VERBOSE, 1, "VERBOSE"))
		goto fail;
	if (!pub) {
		if (zmq_setsockopt(z->s, ZMQ_SUBSCRIBE, "", 0) ||
		    setint(z->s, ZMQ_RCVTIMEO, BB_POLL_MS, "RCVTIMEO"))
			goto fail;
	}
	endpoint(ep, sizeof(ep), k, c, pub);
	rc = pub && k == TCP ? zmq_bind(z->s, ep) : zmq_connect(z->s, ep);
	if (rc) {
		fprintf(stderr, "zmq %s %s: %s\n",
			pub && k == TCP ? "bind" : "connect", ep,
			zmq_strerror(zmq_errno()));
		goto fail;
	}
	return z;
fail:
	if (z->s)
		zmq_close(z->s);
	zmq_ctx_term(z->ctx);
	free(z);
	return NULL;
}

static void *tcp_pub_open(const struct bb_cfg *c)
{
	return zopen(c, TCP, 1);
}

static void *epgm_pub_open(const struct bb_cfg *c)
{
	return zopen(c, EPGM, 1);
}

static void *norm_pub_open(const struct bb_cfg *c)
{
	return zopen(c, NORM, 1);
}

static void *tcp_sub_open(const struct bb_cfg *c)
{
	return zopen(c, TCP, 0);
}

static void *epgm_sub_open(const struct bb_cfg *c)
{
	return zopen(c, EPGM, 0);
}

static void *norm_sub_open(const struct bb_cfg *c)
{
	return zopen(c, NORM, 0);
}

static int zpub_wait(void *h, int nrx, int timeout_ms)
{
	struct zh *z = h;
	int64_t end = bb_now_ns() + (int64_t)timeout_ms * 1000000;
	int n = 0;

	if (z->kind != TCP)
		return 1;
	/* XPUB_VERBOSE: one subscription message per receiver. */
	while (n < nrx && bb_now_ns() < end) {
		zmq_pollitem_t it = { .socket = z->s, .events = ZMQ_POLLIN };
		unsigned char b[64];

		if (zmq_poll(&it, 1, 100) > 0 &&
		    zmq_recv(z->s, b, sizeof(b), 0) > 0 && b[0] == 1)
			n++;
	}
	return n >= nrx ? 0 : -1;
}

static int zpub_send(void *h, const void *msg, size_t len)
{
	struct zh *z = h;

	if (zmq_send(z->s, msg, len, ZMQ_DONTWAIT) >= 0)
		return 0;
	return zmq_errno() == EAGAIN ? 1 : -1;
}

static void zclose(void *h, struct bb_note *note)
{
	struct zh *z = h;

	snprintf(note->text, sizeof(note->text), "api_loss=none");
	zmq_close(z->s);
	zmq_ctx_term(z->ctx);
	free(z);
}

static int zsub_recv(void *h, void *buf, size_t cap)
{
	struct zh *z = h;
	int n = zmq_recv(z->s, buf, cap, 0);

	if (n >= 0)
		return n > (int)cap ? (int)cap : n;
	return zmq_errno() == EAGAIN ? 0 : -1;
}

const struct bb_engine bb_zmq_tcp = {
	.name = "zmq-tcp",
	.pub_open = tcp_pub_open,
	.pub_wait = zpub_wait,
	.pub_send = zpub_send,
	.pub_close = zclose,
	.sub_open = tcp_sub_open,
	.sub_recv = zsub_recv,
	.sub_close = zclose,
};
const struct bb_engine bb_zmq_epgm = {
	.name = "zmq-epgm",
	.pub_open = epgm_pub_open,
	.pub_wait = zpub_wait,
	.pub_send = zpub_send,
	.pub_close = zclose,
	.sub_open = epgm_sub_open,
	.sub_recv = zsub_recv,
	.sub_close = zclose,
};
const struct bb_engine bb_zmq_norm = {
	.name = "zmq-norm",
	.pub_open = norm_pub_open,
	.pub_wait = zpub_wait,
	.pub_send = zpub_send,
	.pub_close = zclose,
	.sub_open = norm_sub_open,
	.sub_recv = zsub_recv,
	.sub_close = zclose,
};
