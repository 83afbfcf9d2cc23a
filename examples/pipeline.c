/* SPDX-License-Identifier: MIT */
/*
 * pipeline: a three-stage topology, feed -> price -> risk, each stage a
 * thread the topology owns.
 *
 *   feed   (source)  makes trade k: instrument, price in ticks, quantity,
 *                    all derived from k, and ends after --messages trades
 *   price  (stage)   turns a trade into its notional in cents
 *   risk   (sink)    checks each notional against one computed from the
 *                    sequence, checks the order, and sums per instrument
 *
 * Links are lossless (bounded) unless --lossy: then a slow stage loses the
 * oldest messages, the topology counts them, and risk checks only the
 * messages it got. --fail-at K makes price fail at trade K: the topology
 * reports the stage and its code, and risk must have seen exactly K trades.
 *
 *   pipeline [--messages N] [--capacity C] [--lossy] [--pin] [--park]
 *            [--fail-at K]
 *
 * Idle stages spin briefly, then sleep (the topology's default idle
 * policy); --park makes them park on a futex the publisher wakes instead.
 *
 * Exit status: 0 when every check passed (with --fail-at: when the failure
 * was reported as expected), 1 when not, 2 on bad arguments or setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_ISSET */
#endif
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <photon/photon.h>

#define INSTRUMENTS 16
#define TICK_CENTS  5 /* one price tick is 5 cents */
#define FAIL_CODE   (-77)

struct trade {
	uint32_t instrument;
	uint32_t qty;
	uint64_t price_ticks;
};

struct priced {
	uint32_t instrument;
	uint32_t pad;
	int64_t notional_cents;
};

static struct {
	uint64_t messages;
	uint64_t capacity;
	uint64_t fail_at;
	int lossy;
	int pin;
	int park;
} cfg = { .messages = 5000000, .capacity = 1024, .fail_at = UINT64_MAX };

/* Trade k, from k alone, so any stage can recompute it. */
static struct trade make_trade(uint64_t k)
{
	uint64_t h = k * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	return (struct trade){ .instrument = (uint32_t)(h % INSTRUMENTS),
			       .qty = (uint32_t)(1 + (h >> 8) % 1000),
			       .price_ticks = 2000 + (h >> 20) % 8000 };
}

static int64_t notional(const struct trade *t)
{
	return (int64_t)(t->price_ticks * TICK_CENTS * t->qty);
}

static int feed(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct trade t;

	(void)ctx;
	(void)in;
	if (seq == cfg.messages)
		return PHOTON_STAGE_END;
	t = make_trade(seq);
	memcpy(out, &t, sizeof(t));
	return PHOTON_OK;
}

static int price(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct trade t;
	struct priced p = { 0 };

	(void)ctx;
	if (seq == cfg.fail_at)
		return FAIL_CODE;
	memcpy(&t, in[0], sizeof(t));
	p.instrument = t.instrument;
	p.notional_cents = notional(&t);
	memcpy(out, &p, sizeof(p));
	return PHOTON_OK;
}

/* Written by the risk thread, read after photon_topology_wait. */
struct risk {
	uint64_t seen;
	uint64_t next; /* lowest sequence still expected */
	uint64_t errors;
	int64_t exposure[INSTRUMENTS];
};

static int risk(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct risk *r = ctx;
	struct trade t = make_trade(seq);
	struct priced p;

	(void)out;
	memcpy(&p, in[0], sizeof(p));
	/* Lossless: every sequence in order. Lossy: increasing. */
	if (seq < r->next || (!cfg.lossy && seq != r->next) ||
	    p.instrument != t.instrument || p.notional_cents != notional(&t))
		r->errors++;
	r->next = seq + 1;
	r->exposure[p.instrument % INSTRUMENTS] += p.notional_cents;
	r->seen++;
	return PHOTON_OK;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pipeline [--messages N] [--capacity C] [--lossy] "
		   "[--pin] [--park]\n"
		   "                [--fail-at K]\n"
		   "  --messages N  trades through the pipeline (5000000)\n"
		   "  --capacity C  slots per link (1024)\n"
		   "  --lossy       lossy links (default: lossless)\n"
		   "  --pin         pin the stages round-robin to the "
		   "available CPUs\n"
		   "  --park        idle stages park (PHOTON_WAIT_PARK) "
		   "instead of sleeping\n"
		   "  --fail-at K   make the price stage fail at trade K\n");
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--lossy")) {
			cfg.lossy = 1;
		} else if (!strcmp(a, "--pin")) {
			cfg.pin = 1;
		} else if (!strcmp(a, "--park")) {
			cfg.park = 1;
		} else if (parse_u64(v, &x) != 0) {
			return -1;
		} else if (!strcmp(a, "--messages") && x > 0) {
			cfg.messages = x;
			i++;
		} else if (!strcmp(a, "--capacity")) {
			cfg.capacity = x;
			i++;
		} else if (!strcmp(a, "--fail-at")) {
			cfg.fail_at = x;
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* The n-th CPU this process may run on, round-robin. */
static unsigned cpu_for(unsigned n)
{
	cpu_set_t set;
	unsigned cpus[CPU_SETSIZE], count = 0, i;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[count++] = i;
	return count ? cpus[n % count] : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	static struct risk r;
	struct photon_stage_opts opts[3] = {
		{ .name = "feed",
		  .fn = feed,
		  .out_size = sizeof(struct trade) },
		{ .name = "price",
		  .fn = price,
		  .out_size = sizeof(struct priced) },
		{ .name = "risk", .fn = risk, .ctx = &r },
	};
	struct photon_topology *t;
	unsigned id[3], i;
	double t0, secs;
	int rc, failed, code = 0, ok;
	uint64_t expect;

	if (parse_args(argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	rc = photon_topology_create(&t);
	for (i = 0; i < 3 && rc == PHOTON_OK; i++) {
		opts[i].capacity = cfg.capacity;
		opts[i].link =
		    cfg.lossy ? PHOTON_LINK_LOSSY : PHOTON_LINK_LOSSLESS;
		if (cfg.park)
			opts[i].wait.kind = PHOTON_WAIT_PARK;
		if (cfg.pin) {
			opts[i].flags = PHOTON_STAGE_PIN;
			opts[i].cpu = cpu_for(i);
		}
		rc = photon_topology_add_stage(t, &opts[i], &id[i]);
	}
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[0], id[1]);
	if (rc == PHOTON_OK)
		rc = photon_topology_link(t, id[1], id[2]);
	t0 = now_s();
	if (rc == PHOTON_OK)
		rc = photon_topology_start(t);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "setup: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		photon_topology_destroy(t);
		return 2;
	}

	rc = photon_topology_wait(t);
	secs = now_s() - t0;
	failed = photon_topology_failed_stage(t, &code);
	printf("pipeline: %" PRIu64 " trades, %s links, %.3f s, %.1f M/s\n",
	       cfg.messages, cfg.lossy ? "lossy" : "lossless", secs,
	       (double)r.seen / secs / 1e6);
	for (i = 0; i < 3; i++) {
		struct photon_stage_stats s;

		photon_topology_stage_stats(t, id[i], &s);
		printf("  %-6s processed %10" PRIu64 "  published %10" PRIu64
		       "  lagged %8" PRIu64 "  full %8" PRIu64
		       "  sleeps %8" PRIu64 "\n",
		       photon_topology_stage_name(t, id[i]), s.processed,
		       s.published, s.lagged, s.full, s.sleeps);
	}
	if (rc != PHOTON_OK)
		printf("  failure: %s\n", photon_last_error_message());
	printf("  risk saw %" PRIu64 " trades, %" PRIu64
	       " errors; exposure of instrument 0: %" PRId64 " cents\n",
	       r.seen, r.errors, r.exposure[0]);

	expect = cfg.fail_at < cfg.messages ? cfg.fail_at : cfg.messages;
	ok = r.errors == 0;
	if (cfg.fail_at < cfg.messages)
		ok = ok && rc == FAIL_CODE && failed == (int)id[1] &&
		     code == FAIL_CODE;
	else
		ok = ok && rc == PHOTON_OK && failed == -1;
	if (!cfg.lossy)
		ok = ok && r.seen == expect;
	else
		ok = ok && r.seen <= expect;
	photon_topology_destroy(t);
	printf("pipeline: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
