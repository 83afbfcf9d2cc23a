/* SPDX-License-Identifier: MIT */
/*
 * Core NATS (nats.c 3.4.1 against nats-server 2.9.10, started by run.sh):
 * one subject, publisher and receivers are clients of the broker at
 * cfg->addr:cfg->port. Every message crosses two TCP hops.
 *
 * Paced runs set SendAsap, so a publish goes to the socket at once rather
 * than through the library's flusher thread; unpaced runs keep the
 * default batching. A receiver's client library reads its socket in its
 * own thread into a pending queue (65536 messages or 64 MiB by default);
 * past that it drops, and the next natsSubscription_NextMsg returns
 * NATS_SLOW_CONSUMER; natsSubscription_GetDropped counts them. The broker
 * itself drops a client that does not read its socket for the write
 * deadline.
 */
#define _GNU_SOURCE
#include "bb.h"

#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBJECT "photon.bridge"

struct nh {
	natsConnection *nc;
	natsSubscription *sub;
	uint64_t slow, async_err, disconnects;
};

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err,
		     void *closure)
{
	struct nh *n = closure;

	(void)nc;
	(void)sub;
	(void)err;
	__atomic_fetch_add(&n->async_err, 1, __ATOMIC_RELAXED);
}

static void on_disconnect(natsConnection *nc, void *closure)
{
	struct nh *n = closure;

	(void)nc;
	__atomic_fetch_add(&n->disconnects, 1, __ATOMIC_RELAXED);
}

static void *nopen(const struct bb_cfg *c, int pub)
{
	struct nh *n = calloc(1, sizeof(*n));
	natsOptions *opts = NULL;
	natsStatus s;
	char url[256];

	if (!n)
		return NULL;
	snprintf(url, sizeof(url), "nats://%s:%d", c->addr, c->port);
	s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, url);
	if (s == NATS_OK && pub && c->paced)
		s = natsOptions_SetSendAsap(opts, true);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(opts, on_error, n);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(opts, on_disconnect, n);
	if (s == NATS_OK)
		s = natsConnection_Connect(&n->nc, opts);
	if (s == NATS_OK && !pub)
		s = natsConnection_SubscribeSync(&n->sub, n->nc, SUBJECT);
	/* The broker has the subscription once it answers the flush: only
	 * then does the receiver say it is ready. */
	if (s == NATS_OK && !pub)
		s = natsConnection_FlushTimeout(n->nc, 5000);
	natsOptions_Destroy(opts);
	if (s != NATS_OK) {
		fprintf(stderr, "nats %s: %s\n", url, natsStatus_GetText(s));
		natsSubscription_Destroy(n->sub);
		natsConnection_Destroy(n->nc);
		free(n);
		return NULL;
	}
	return n;
}

static void *npub_open(const struct bb_cfg *c)
{
	return nopen(c, 1);
}

static void *nsub_open(const struct bb_cfg *c)
{
	return nopen(c, 0);
}

static int npub_wait(void *h, int nrx, int timeout_ms)
{
	(void)h;
	(void)nrx;
	(void)timeout_ms;
	/* Core NATS does not tell a publisher who listens; the receivers'
	 * flushed subscriptions are at the broker before run.sh starts us. */
	return 0;
}

static int npub_send(void *h, const void *msg, size_t len)
{
	struct nh *n = h;

	return natsConnection_Publish(n->nc, SUBJECT, msg, (int)len) == NATS_OK
		   ? 0
		   : -1;
}

static void npub_close(void *h, struct bb_note *note)
{
	struct nh *n = h;
	natsStatus s = natsConnection_FlushTimeout(n->nc, 5000);

	snprintf(note->text, sizeof(note->text),
		 "flushed=%s async_errors=%llu disconnects=%llu",
		 s == NATS_OK ? "yes" : natsStatus_GetText(s),
		 (unsigned long long)n->async_err,
		 (unsigned long long)n->disconnects);
	natsConnection_Destroy(n->nc);
	free(n);
}

static int nsub_recv(void *h, void *buf, size_t cap)
{
	struct nh *n = h;
	natsMsg *m = NULL;
	natsStatus s;
	int len;

	/* Slow consumer comes back from every call while messages are being
	 * dropped; the drops are done, and what is queued is still there to
	 * read, so ask again. */
	while ((s = natsSubscription_NextMsg(&m, n->sub, BB_POLL_MS)) ==
	       NATS_SLOW_CONSUMER)
		n->slow++;
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK)
		return __atomic_load_n(&n->disconnects, __ATOMIC_RELAXED) ? 0
									  : -1;
	len = natsMsg_GetDataLength(m);
	if ((size_t)len > cap)
		len = (int)cap;
	memcpy(buf, natsMsg_GetData(m), (size_t)len);
	natsMsg_Destroy(m);
	return len;
}

static void nsub_close(void *h, struct bb_note *note)
{
	struct nh *n = h;
	int64_t dropped = 0;

	natsSubscription_GetDropped(n->sub, &dropped);
	snprintf(note->text, sizeof(note->text),
		 "api_lost=%lld slow_consumer=%llu async_errors=%llu "
		 "disconnects=%llu",
		 (long long)dropped, (unsigned long long)n->slow,
		 (unsigned long long)n->async_err,
		 (unsigned long long)n->disconnects);
	natsSubscription_Destroy(n->sub);
	natsConnection_Destroy(n->nc);
	free(n);
}

const struct bb_engine bb_nats = {
	.name = "nats",
	.pub_open = npub_open,
	.pub_wait = npub_wait,
	.pub_send = npub_send,
	.pub_close = npub_close,
	.sub_open = nsub_open,
	.sub_recv = nsub_recv,
	.sub_close = nsub_close,
};
