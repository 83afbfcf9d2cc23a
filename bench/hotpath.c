/* SPDX-License-Identifier: MIT */
/*
 * The hot paths in a plain loop, for callgrind's exact instruction counts
 * (bench/callgrind.sh):
 *
 *   hotpath MODE N
 *
 *   typed     typed 8-byte publish + try_recv (the round trip)
 *   publish   typed 8-byte publish alone, one idle subscriber
 *   recv      typed publish + the blocking typed recv (a message waiting)
 *   exported  the round trip through photon_publish / photon_try_recv
 *   typed24   typed 24-byte round trip
 *   full      bounded and kept full: every publish rescans the gate
 *   empty     typed try_recv of an empty channel
 *   rt:NAME   the round trip loop of transport NAME (bench_core's
 *             BM_peer_roundtrip; photon, seqlock, ck-spsc ...: -l lists)
 *   pub:NAME  its publish-alone loop, lossy transports only
 *             (BM_peer_publish)
 *
 * Each mode is its own function with its own locals, as a user's loop
 * would be: a counter whose address went to an exported call elsewhere in
 * the program would sit in memory and be counted against the library.
 * callgrind.sh runs each mode at two counts and divides the difference of
 * the totals by the difference of the counts, so set-up costs cancel out.
 * Every message read is checked; a mismatch exits non-zero.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <photon/photon.h>

#include "xt.h"

struct tick24 {
	uint64_t seq, bid, ask;
};

PHOTON_DEFINE_TYPED(u64, uint64_t);
PHOTON_DEFINE_TYPED(t24, struct tick24);

struct ring {
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
};

#define MODE __attribute__((noinline)) static uint64_t

/*
 * A round trip: publish message i, receive it, check it. One function per
 * pair of calls, so that each is inlined into a loop of its own.
 */
#define ROUND_TRIP(name, publish_call, receive_call)                       \
	MODE name(struct photon_publisher *p, struct photon_subscriber *s, \
		  uint64_t n)                                              \
	{                                                                  \
		uint64_t bad = 0, i;                                       \
		for (i = 0; i < n; i++) {                                  \
			uint64_t v = 0;                                    \
			publish_call(p, &i);                               \
			bad += receive_call(s, &v) != PHOTON_OK || v != i; \
		}                                                          \
		return bad;                                                \
	}

ROUND_TRIP(typed, u64_publish, u64_try_recv)
ROUND_TRIP(recv, u64_publish, u64_recv)
ROUND_TRIP(exported, photon_publish, photon_try_recv)

MODE publish(struct photon_publisher *p, struct photon_subscriber *s,
	     uint64_t n)
{
	uint64_t i, v;

	/* Lossy: the idle subscriber costs the publisher nothing. */
	for (i = 0; i < n; i++)
		u64_publish(p, &i);
	return n > 4096 && u64_try_recv(s, &v) != PHOTON_LAGGED;
}

MODE typed24(struct photon_publisher *p, struct photon_subscriber *s,
	     uint64_t n)
{
	uint64_t bad = 0, i;

	for (i = 0; i < n; i++) {
		struct tick24 m = { i, 2 * i, 3 * i }, v = { 0, 0, 0 };

		t24_publish(p, &m);
		bad += t24_try_recv(s, &v) != PHOTON_OK || v.seq != i ||
		       v.ask != 3 * i;
	}
	return bad;
}

/* Bounded and kept full: every publish finds the cached limit spent and
 * rescans the gate, as a publisher faster than its consumer does. */
MODE full(struct photon_publisher *p, struct photon_subscriber *s, uint64_t n)
{
	uint64_t bad = 0, i, v = 0;

	for (i = 0; i < 4096; i++)
		bad += u64_try_publish(p, &i) != PHOTON_OK;
	bad += u64_try_publish(p, &i) != PHOTON_FULL;
	for (i = 0; i < n; i++) {
		uint64_t m = i + 4096;

		bad += u64_try_recv(s, &v) != PHOTON_OK || v != i;
		bad += u64_try_publish(p, &m) != PHOTON_OK;
	}
	return bad;
}

MODE empty(struct photon_publisher *p, struct photon_subscriber *s, uint64_t n)
{
	uint64_t hits = 0, i;

	(void)p;
	for (i = 0; i < n; i++) {
		uint64_t v;

		hits += u64_try_recv(s, &v) == PHOTON_EMPTY;
	}
	return hits != n;
}

/* Batches of 64: published, then received one by one (batch) or by one
 * typed poll (poll); the reader's position reaches its tracker once per
 * message or once per batch. */
#define BATCH 64

/* Publishes i .. i + k - 1, k = BATCH or what is left; returns k. */
static inline uint64_t publish_batch(struct photon_publisher *p, uint64_t i,
				     uint64_t n)
{
	uint64_t k = n - i < BATCH ? n - i : BATCH, j;

	for (j = 0; j < k; j++) {
		uint64_t m = i + j;

		u64_publish(p, &m);
	}
	return k;
}

MODE batch(struct photon_publisher *p, struct photon_subscriber *s, uint64_t n)
{
	uint64_t bad = 0, i, j, k;

	for (i = 0; i < n; i += k) {
		k = publish_batch(p, i, n);
		for (j = 0; j < k; j++) {
			uint64_t v = 0;

			bad += u64_try_recv(s, &v) != PHOTON_OK || v != i + j;
		}
	}
	return bad;
}

static int check_seq(void *ctx, const uint64_t *v, uint64_t seq)
{
	uint64_t *bad = ctx;

	*bad += *v != seq;
	return 0;
}

MODE poll(struct photon_publisher *p, struct photon_subscriber *s, uint64_t n)
{
	uint64_t bad = 0, i, k;

	for (i = 0; i < n; i += k) {
		k = publish_batch(p, i, n);
		bad += u64_poll(s, check_seq, &bad, BATCH) != (long)k;
	}
	return bad;
}

static const struct {
	const char *name;
	uint64_t (*run)(struct photon_publisher *, struct photon_subscriber *,
			uint64_t);
	size_t msg_size;
	int bounded;
} modes[] = {
	{ "typed", typed, sizeof(uint64_t), 0 },
	{ "publish", publish, sizeof(uint64_t), 0 },
	{ "recv", recv, sizeof(uint64_t), 0 },
	{ "exported", exported, sizeof(uint64_t), 0 },
	{ "typed24", typed24, sizeof(struct tick24), 0 },
	{ "full", full, sizeof(uint64_t), 1 },
	{ "empty", empty, sizeof(uint64_t), 0 },
	{ "batch", batch, sizeof(uint64_t), 1 },
	{ "poll", poll, sizeof(uint64_t), 1 },
};

/* rt:NAME and pub:NAME: the loops every transport shares (xt_loops.h). */
static int peer(int rt, const char *name, uint64_t n)
{
	const struct xt_transport *t = NULL;
	uint64_t fails = 0, got;
	void *lane;
	int i;

	for (i = 0; xt_transports[i]; i++)
		if (strcmp(xt_transports[i]->name, name) == 0)
			t = xt_transports[i];
	if (!t || (!rt && !(t->caps & XT_LOSSY))) {
		fprintf(stderr, "hotpath: no %stransport '%s' in this build\n",
			rt ? "" : "lossy ", name);
		return 2;
	}
	lane = t->create(4096, 0);
	if (!lane) {
		fprintf(stderr, "hotpath: %s: could not create\n", t->name);
		return 1;
	}
	got = rt ? (t->st_roundtrip(lane, n, &fails), n - fails)
		 : t->st_publish(lane, n);
	t->destroy(lane);
	if (got != n) {
		fprintf(stderr, "hotpath %s: %llu failed\n", name,
			(unsigned long long)(n - got));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "typed";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000, bad;
	struct ring r;
	size_t k;
	int rc;

	if (strncmp(mode, "rt:", 3) == 0)
		return peer(1, mode + 3, n);
	if (strncmp(mode, "pub:", 4) == 0)
		return peer(0, mode + 4, n);

	for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++)
		if (strcmp(mode, modes[k].name) == 0)
			break;
	if (k == sizeof(modes) / sizeof(modes[0])) {
		fprintf(stderr, "usage: hotpath typed|publish|exported|typed24|"
				"full|empty|recv|rt:NAME|pub:NAME N\n");
		return 2;
	}
	rc = modes[k].bounded
		 ? photon_channel_create_bounded(&r.ch, 4096, modes[k].msg_size,
						 0)
		 : photon_channel_create(&r.ch, 4096, modes[k].msg_size);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(r.ch, &r.p);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(r.ch, &r.s);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "hotpath: setup: %s\n", photon_strerror(rc));
		return 1;
	}
	bad = modes[k].run(r.p, r.s, n);
	photon_subscriber_close(r.s);
	photon_publisher_close(r.p);
	photon_channel_release(r.ch);
	if (bad) {
		fprintf(stderr, "hotpath %s: %llu bad reads\n", mode,
			(unsigned long long)bad);
		return 1;
	}
	return 0;
}
