/* SPDX-License-Identifier: MIT */
/*
 * Property-based tests (issue 9, section 3): seeded random sequences of
 * operations on tiny channels, each step checked against a reference model
 * written here from SPEC 1, 2 and the comments of src/backpressure.c (no
 * library code is reused).
 *
 * Each sequence draws a channel (lossy, bounded with a watermark, MPMC or
 * bounded MPMC; capacity 2..9, powers of two and not; msg_size 1..40 so
 * that partial words are copied; a third of the bounded ones with a stall
 * timeout driven by a fake clock) and up to 60 operations: publish,
 * try_publish, publish_batch, try_recv, blocking recv, latest, subscribe,
 * subscribe_from_oldest, group_subscribe, closing consumers, opening and
 * closing publisher handles, and advancing the clock. After every operation
 * the counters, pending, the publishers' sequences and the closed flag are
 * compared with the model; at the end every handle closes and every
 * consumer drains to PHOTON_CLOSED.
 *
 * The model is exact: it keeps the publisher's cached limit and rescans
 * when the library does, so it predicts FULL, where a bounded
 * subscribe_from_oldest starts (max(oldest held, gate_min)), and, with a
 * stall timeout, when the gate drops a consumer and where that consumer
 * rejoins (its LAGGED moves it to max(oldest held, gate_min) and the gate
 * counts it again). On top of the exact comparison, two properties of
 * bounded channels are asserted on the model's own behaviour: a consumer
 * is LAGGED only after the stall rule dropped it, and after that LAGGED it
 * loses nothing more until it is dropped again.
 *
 * Notes:
 *   - Blocking publish and publish_batch are only called when the model
 *     says the first gate check lets them through (in one thread a full
 *     bounded ring would block forever); otherwise the op is a try_publish
 *     (a batch is cut to what fits). Stall configurations only use
 *     try_publish. A watchdog turns a hang into a failure anyway.
 *
 * Sequence i uses seed base + i. Environment:
 *   PHOTON_PROPERTY_SEQUENCES  how many (default below)
 *   PHOTON_PROPERTY_SEED       base seed; set alone it replays one sequence
 * Defaults (PHOTON_PROPERTY_DEFAULT_SEQUENCES, set by tests/CMakeLists.txt):
 * 100000 sequences in a plain build (about 3 s on 2 vCPUs, RelWithDebInfo);
 * 20000 in sanitizer builds (about 2 s with ASan+UBSan, 6 s with TSan) and
 * in cross builds, which run under qemu.
 *
 * On a failure: the seed, the channel, the first mismatch, then the
 * sequence shrunk by greedy delta debugging (drop chunks and single ops,
 * rerun from scratch on a fresh channel, keep what still fails), replayed
 * with every library result printed.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"
#include "testing.h"
#include "util.h"

#ifndef PHOTON_PROPERTY_DEFAULT_SEQUENCES
#define PHOTON_PROPERTY_DEFAULT_SEQUENCES 100000
#endif

/*
 * The publisher's cached minimum never moves down (issue 9: gate_min =
 * max(old, new) at each rescan). 0 models the older rule (gate_min = the
 * rescan's minimum), which only changes where a bounded
 * subscribe_from_oldest starts.
 */
#ifndef PROP_GATE_MIN_MONOTONIC
#define PROP_GATE_MIN_MONOTONIC 1
#endif

#define MAX_OPS	    60
#define MAX_CONS    4
#define MAX_PUBS    3
#define MAX_MSG	    40
#define MAX_BATCH   6
#define CANARY	    16
#define STALL_NS    1000
#define CLOCK_START 1000000000ull
#define WATCHDOG_S  2

enum kind { K_LOSSY, K_BOUNDED, K_MPMC, K_BOUNDED_MPMC };

struct config {
	unsigned kind;
	size_t cap, msg_size, wm;
	uint64_t stall_ns; /* bounded only; 0: no stall timeout */
	uint64_t salt;	   /* mixed into every payload */
};

enum op_code {
	OP_PUBLISH,	/* a: handle */
	OP_TRY_PUBLISH, /* a: handle */
	OP_BATCH,	/* a: handle, b: count */
	OP_RECV,	/* a: consumer */
	OP_RECV_WAIT,	/* a: consumer, b: which blocking call */
	OP_LATEST,	/* a: consumer */
	OP_SUB,		/* a: consumer slot */
	OP_SUB_OLDEST,	/* a: consumer slot */
	OP_GROUP,	/* a: consumer slot, b: members (0: EINVAL) */
	OP_CLOSE_CONS,	/* a: consumer */
	OP_CLOSE_PUB,	/* a: handle */
	OP_OPEN_PUB,	/* a: handle */
	OP_CLOCK,	/* b: which step */
	OP_NCODES
};

struct op {
	uint8_t code, a, b;
};

static const uint64_t clock_steps[] = { STALL_NS / 4, STALL_NS / 2,
					STALL_NS - 1, STALL_NS,
					STALL_NS + 1, 3 * STALL_NS };
#define NCLOCK_STEPS (sizeof(clock_steps) / sizeof(clock_steps[0]))

/* ---- the reference model ---- */

struct mcons {
	int live, group;
	uint64_t members;
	uint64_t pos, start, received, lagged, jumped, last_skipped, stalls;
	/* The publisher's tracker of this consumer (bounded, exact mode). */
	uint64_t seen_pos, blocking_since;
	int stalled;
	/* Bounded: the stall counter at its last LAGGED (see the top). */
	uint64_t stalls_at_lag;
};

struct model {
	struct config cfg;
	uint64_t published; /* next sequence */
	int closed;
	int pub_open[MAX_PUBS];
	uint64_t pub_seq[MAX_PUBS];
	uint64_t limit, gate_min; /* the publisher's cached gate */
	uint64_t now;		  /* the fake clock */
	uint64_t chan_stalls;
	struct mcons c[MAX_CONS];
};

static int bounded(const struct config *c)
{
	return c->kind == K_BOUNDED || c->kind == K_BOUNDED_MPMC;
}

static int mpmc(const struct config *c)
{
	return c->kind == K_MPMC || c->kind == K_BOUNDED_MPMC;
}

static uint64_t room(const struct model *m)
{
	return m->cfg.cap - m->cfg.wm;
}

/* Oldest sequence the ring still holds. */
static uint64_t oldest(const struct model *m)
{
	return m->published >= m->cfg.cap ? m->published - m->cfg.cap : 0;
}

/* The stall rule for one tracker at a rescan; 1: it does not gate. */
static int model_stalled(struct model *m, struct mcons *c, uint64_t next)
{
	if (!m->cfg.stall_ns)
		return 0;
	if (c->pos != c->seen_pos) {
		c->seen_pos = c->pos;
		c->blocking_since = 0;
		c->stalled = 0;
	}
	if (c->stalled)
		return 1;
	if (c->pos + room(m) > next) {
		c->blocking_since = 0;
		return 0;
	}
	if (!c->blocking_since) {
		c->blocking_since = m->now;
		return 0;
	}
	if (m->now - c->blocking_since < m->cfg.stall_ns)
		return 0;
	c->stalled = 1;
	c->stalls++;
	m->chan_stalls++;
	return 1;
}

/* The publisher's rescan before publishing `next`: the new limit. */
static uint64_t model_rescan(struct model *m, uint64_t next)
{
	uint64_t lo = UINT64_MAX, gm, limit;
	int k;

	for (k = 0; k < MAX_CONS; k++) {
		struct mcons *c = &m->c[k];

		if (!c->live || model_stalled(m, c, next))
			continue;
		if (c->pos < lo)
			lo = c->pos;
	}
	if (lo == UINT64_MAX) {
		gm = next + 1 >= m->cfg.cap ? next + 1 - m->cfg.cap : 0;
		limit = next + 1;
	} else {
		gm = lo;
		limit = lo + room(m);
	}
	if (!PROP_GATE_MIN_MONOTONIC || gm > m->gate_min)
		m->gate_min = gm;
	return limit;
}

/* try_publish through handle h: PHOTON_OK or PHOTON_FULL. */
static int model_publish(struct model *m, unsigned h)
{
	if (bounded(&m->cfg) && m->published >= m->limit) {
		m->limit = model_rescan(m, m->published);
		if (m->published >= m->limit)
			return PHOTON_FULL;
	}
	m->published++;
	m->pub_seq[h]++;
	return PHOTON_OK;
}

/* try_recv: OK (*seq delivered), EMPTY, LAGGED or CLOSED. */
static int model_recv(struct model *m, struct mcons *c, uint64_t *seq)
{
	uint64_t old = oldest(m);

	if (c->pos >= m->published)
		return m->closed ? PHOTON_CLOSED : PHOTON_EMPTY;
	if (c->pos >= old) {
		*seq = c->pos++;
		c->received++;
		return PHOTON_OK;
	}
	/* Bounded: only a dropped consumer is lapped; it rejoins the gate
	 * where a new from-oldest subscriber would start. */
	if (bounded(&m->cfg)) {
		if (old < m->gate_min)
			old = m->gate_min;
		c->seen_pos = old;
		c->blocking_since = 0;
		c->stalled = 0;
	}
	c->last_skipped = old - c->pos;
	c->lagged += c->last_skipped;
	c->pos = old;
	return PHOTON_LAGGED;
}

/* latest: OK (*seq = the newest), EMPTY or CLOSED. */
static int model_latest(struct model *m, struct mcons *c, uint64_t *seq)
{
	if (m->published == 0 || m->published <= c->pos)
		return m->closed ? PHOTON_CLOSED : PHOTON_EMPTY;
	*seq = m->published - 1;
	c->jumped += *seq - c->pos;
	c->pos = m->published;
	c->received++;
	return PHOTON_OK;
}

static uint64_t model_pending(const struct model *m, const struct mcons *c)
{
	uint64_t n;

	if (m->published <= c->pos)
		return 0;
	n = m->published - c->pos;
	return n < m->cfg.cap ? n : m->cfg.cap;
}

/* ---- payloads: a function of the sequence, every byte ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static void payload(const struct config *cfg, uint64_t seq, unsigned char *out)
{
	size_t i;
	uint64_t w = 0;

	for (i = 0; i < cfg->msg_size; i++) {
		if (i % 8 == 0)
			w = mix(cfg->salt ^ (seq * 64 + i / 8));
		out[i] = (unsigned char)(w >> (8 * (i % 8)));
	}
}

/* ---- the runner: one sequence on a fresh channel ---- */

struct stats {
	uint64_t sequences, ops, ok_reads, lagged, full, stalls, closed_reads;
	uint64_t from_oldest_above_oldest;
};

struct runner {
	struct model m;
	struct photon_channel *ch;
	struct photon_publisher *pub[MAX_PUBS];
	struct photon_subscriber *sub[MAX_CONS]; /* NULL for a group */
	struct photon_group *grp[MAX_CONS];
	size_t at, n; /* the op being run, of n; at == n: the final drain */
	int failed, verbose;
	char msg[1024];
	struct stats *st;
};

static uint64_t fake_now = CLOCK_START;

static uint64_t fake_clock(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_RELAXED);
}

static int mismatch(struct runner *r, const char *fmt, ...)
    PHOTON__PRINTF(2, 3);

static int mismatch(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->failed) {
		int n =
		    r->at < r->n
			? snprintf(r->msg, sizeof(r->msg), "op %zu: ", r->at)
			: snprintf(r->msg, sizeof(r->msg), "final drain: ");

		va_start(ap, fmt);
		vsnprintf(r->msg + n, sizeof(r->msg) - (size_t)n, fmt, ap);
		va_end(ap);
		r->failed = 1;
	}
	return -1;
}

#define CHECK(r, cond, ...)                                \
	do {                                               \
		if (!(cond))                               \
			return mismatch((r), __VA_ARGS__); \
	} while (0)

#define ULL(x) ((unsigned long long)(x))

static const char *rc_name(int rc)
{
	switch (rc) {
	case PHOTON_OK:
		return "OK";
	case PHOTON_EMPTY:
		return "EMPTY";
	case PHOTON_LAGGED:
		return "LAGGED";
	case PHOTON_FULL:
		return "FULL";
	case PHOTON_CLOSED:
		return "CLOSED";
	case PHOTON_EINVAL:
		return "EINVAL";
	case PHOTON_EBUSY:
		return "EBUSY";
	default:
		return photon_strerror(rc);
	}
}

static struct photon_subscriber *cons(struct runner *r, unsigned k)
{
	return r->grp[k] ? &r->grp[k]->sub : r->sub[k];
}

/* Library stall counter of consumer k, through the public getters. */
static uint64_t lib_stalls(struct runner *r, unsigned k)
{
	return r->grp[k] ? photon_group_stalls(r->grp[k])
			 : photon_subscriber_stalls(r->sub[k]);
}

/* Checks a read's result: rc, the payload of seq, and the canary. */
static int check_read(struct runner *r, const char *what, unsigned k, int rc,
		      int want, uint64_t seq, const unsigned char *buf)
{
	unsigned char exp[MAX_MSG];
	size_t i, n = r->m.cfg.msg_size;

	CHECK(r, rc == want, "%s(c%u) returned %s, model %s", what, k,
	      rc_name(rc), rc_name(want));
	for (i = n; i < n + CANARY; i++)
		CHECK(r, buf[i] == 0xA5,
		      "%s(c%u) wrote byte %zu past msg_size %zu", what, k, i,
		      n);
	if (rc != PHOTON_OK)
		return 0;
	payload(&r->m.cfg, seq, exp);
	CHECK(r, memcmp(buf, exp, n) == 0,
	      "%s(c%u) delivered a payload that is not sequence %llu's", what,
	      k, ULL(seq));
	r->st->ok_reads++;
	return 0;
}

/*
 * A LAGGED in a bounded channel: only for a consumer the stall rule dropped,
 * and only once per drop (after it, the consumer gates again).
 */
static int check_lag_allowed(struct runner *r, unsigned k)
{
	struct mcons *c = &r->m.c[k];

	if (!bounded(&r->m.cfg))
		return 0;
	CHECK(r, c->stalls > c->stalls_at_lag,
	      "bounded consumer c%u lost messages (LAGGED by %llu) %s", k,
	      ULL(c->last_skipped),
	      c->stalls ? "again after its return, without being dropped again"
			: "although it was never dropped");
	c->stalls_at_lag = c->stalls;
	return 0;
}

/* The stall counters after a publish. */
static int check_stalls(struct runner *r)
{
	struct model *m = &r->m;
	unsigned k;

	for (k = 0; k < MAX_CONS; k++) {
		struct mcons *c = &m->c[k];
		uint64_t got;

		if (!c->live)
			continue;
		got = lib_stalls(r, k);
		CHECK(r, got == c->stalls,
		      "c%u stalls = %llu, model %llu (pos %llu, published "
		      "%llu, clock +%llu ns)",
		      k, ULL(got), ULL(c->stalls), ULL(c->pos),
		      ULL(m->published), ULL(m->now - CLOCK_START));
	}
	return 0;
}

/*
 * publish / try_publish of one message. `blocking` is honoured only when the
 * model says the first gate check passes (never in stall configurations).
 */
static int do_publish(struct runner *r, unsigned h, int blocking, int *out)
{
	struct model *m = &r->m;
	unsigned char msg[MAX_MSG];
	int rc, want;

	*out = PHOTON_OK;
	if (!r->pub[h])
		return 1; /* no-op */
	payload(&m->cfg, m->published, msg);
	if (m->cfg.stall_ns) {
		blocking = 0;
	} else if (blocking && bounded(&m->cfg)) {
		struct model probe = *m;

		blocking = model_publish(&probe, h) == PHOTON_OK;
	}
	want = model_publish(m, h);
	rc = blocking ? photon_publish(r->pub[h], msg)
		      : photon_try_publish(r->pub[h], msg);
	*out = rc;
	CHECK(r, rc == want, "%s(h%u) of %llu returned %s, model %s",
	      blocking ? "publish" : "try_publish", h,
	      ULL(m->published - (want == PHOTON_OK)), rc_name(rc),
	      rc_name(want));
	r->st->full += rc == PHOTON_FULL;
	return m->cfg.stall_ns ? check_stalls(r) : 0;
}

static int do_batch(struct runner *r, unsigned h, unsigned count, int *out)
{
	struct model *m = &r->m;
	unsigned char msgs[MAX_BATCH * MAX_MSG];
	struct model probe;
	unsigned n, i;
	int rc;

	*out = PHOTON_OK;
	if (!r->pub[h])
		return 1;
	if (m->cfg.stall_ns) {
		/* Blocking could wait for the clock: try_publish each. */
		for (i = 0; i < count && *out == PHOTON_OK; i++)
			if (do_publish(r, h, 0, out))
				return -1;
		return 0;
	}
	/* Only what fits: the probe's FULL rescan must not be applied, the
	 * library never makes it. */
	probe = *m;
	for (n = 0; n < count && model_publish(&probe, h) == PHOTON_OK; n++)
		payload(&m->cfg, m->published + n, msgs + n * m->cfg.msg_size);
	for (i = 0; i < n; i++)
		model_publish(m, h);
	rc = photon_publish_batch(r->pub[h], msgs, n);
	*out = rc;
	CHECK(r, rc == PHOTON_OK, "publish_batch(h%u, %u) returned %s", h, n,
	      rc_name(rc));
	return 0;
}

/* try_recv, or a blocking receive (b picks which) that cannot block. */
static int do_recv(struct runner *r, unsigned k, int wait, unsigned b, int *out)
{
	struct model *m = &r->m;
	struct mcons *c = &m->c[k];
	struct photon_subscriber *s = cons(r, k);
	unsigned char buf[MAX_MSG + CANARY];
	uint64_t seq = 0, lag0 = c->lagged;
	int want, rc;
	const char *what = "try_recv";

	*out = PHOTON_OK;
	if (!c->live)
		return 1;
	memset(buf, 0xA5, sizeof(buf));
	want = model_recv(m, c, &seq);
	if (wait && want == PHOTON_LAGGED) /* hidden, counted */
		want = model_recv(m, c, &seq);
	if (!wait) {
		rc = r->grp[k] ? photon_group_try_recv(r->grp[k], buf)
			       : photon_try_recv(s, buf);
	} else if (want == PHOTON_EMPTY) {
		what = "recv_timeout(0)";
		rc = r->grp[k]
			 ? photon_group_recv_timeout(r->grp[k], buf, NULL, 0)
			 : photon_recv_timeout(s, buf, NULL, 0);
	} else if (b % 3 == 0) {
		what = "recv";
		rc = r->grp[k] ? photon_group_recv(r->grp[k], buf)
			       : photon_recv(s, buf);
	} else if (b % 3 == 1) {
		struct photon_wait w = { .kind = PHOTON_WAIT_BACKOFF_SPIN };

		what = "recv_with";
		rc = r->grp[k] ? photon_group_recv_with(r->grp[k], buf, &w)
			       : photon_recv_with(s, buf, &w);
	} else {
		what = "recv_timeout";
		rc = r->grp[k] ? photon_group_recv_timeout(r->grp[k], buf, NULL,
							   1000000000)
			       : photon_recv_timeout(s, buf, NULL, 1000000000);
	}
	*out = rc;
	if (check_read(r, what, k, rc, want, seq, buf))
		return -1;
	if (c->lagged != lag0) {
		r->st->lagged++;
		return check_lag_allowed(r, k);
	}
	if (rc == PHOTON_CLOSED)
		r->st->closed_reads++;
	return 0;
}

static int do_latest(struct runner *r, unsigned k, int *out)
{
	struct model *m = &r->m;
	unsigned char buf[MAX_MSG + CANARY];
	uint64_t seq = 0;
	int want, rc;

	*out = PHOTON_OK;
	if (!m->c[k].live || r->grp[k])
		return 1; /* groups have no latest() */
	memset(buf, 0xA5, sizeof(buf));
	want = model_latest(m, &m->c[k], &seq);
	rc = photon_latest(r->sub[k], buf);
	*out = rc;
	return check_read(r, "latest", k, rc, want, seq, buf);
}

static int do_subscribe(struct runner *r, unsigned k, int from_oldest,
			uint64_t members, int *out)
{
	struct model *m = &r->m;
	struct mcons *c = &m->c[k];
	uint64_t start, pending;
	int rc;

	*out = PHOTON_OK;
	if (c->live)
		return 1;
	if (members == 0) {
		struct photon_group *g = (struct photon_group *)1;

		rc = photon_group_subscribe(r->ch, 0, &g);
		*out = rc;
		CHECK(r, rc == PHOTON_EINVAL && !g,
		      "group_subscribe(n = 0) returned %s", rc_name(rc));
		return 0;
	}
	if (members > 1 || from_oldest < 0) {
		rc = photon_group_subscribe(r->ch, members, &r->grp[k]);
		r->sub[k] = NULL;
	} else if (from_oldest) {
		rc = photon_subscribe_from_oldest(r->ch, &r->sub[k]);
	} else {
		rc = photon_subscribe(r->ch, &r->sub[k]);
	}
	*out = rc;
	CHECK(r, rc == PHOTON_OK, "subscribe returned %s", rc_name(rc));
	start = from_oldest > 0 ? oldest(m) : m->published;
	if (bounded(&m->cfg) && start < m->gate_min)
		start = m->gate_min;
	/* pending says where it starts when that is above the oldest held;
	 * at the oldest held, the reads confirm it. */
	pending = photon_pending(cons(r, k));
	{
		uint64_t want = m->published - start;

		want = want < m->cfg.cap ? want : m->cfg.cap;
		CHECK(r, pending == want,
		      "c%u starts at %llu (pending %llu), model %llu (oldest "
		      "held %llu, gate_min %llu, published %llu)",
		      k,
		      ULL(pending < m->cfg.cap ? m->published - pending
					       : oldest(m)),
		      ULL(pending), ULL(start), ULL(oldest(m)),
		      ULL(m->gate_min), ULL(m->published));
	}
	r->st->from_oldest_above_oldest += from_oldest > 0 && start > oldest(m);
	memset(c, 0, sizeof(*c));
	c->live = 1;
	c->group = r->grp[k] != NULL;
	c->members = members;
	c->pos = c->start = c->seen_pos = start;
	return 0;
}

static void close_consumer(struct runner *r, unsigned k)
{
	if (r->grp[k])
		photon_group_close(r->grp[k]);
	else
		photon_subscriber_close(r->sub[k]);
	r->grp[k] = NULL;
	r->sub[k] = NULL;
	r->m.c[k].live = 0;
}

static int do_close_pub(struct runner *r, unsigned h)
{
	struct model *m = &r->m;
	unsigned i;
	int any = 0;

	if (!r->pub[h])
		return 1;
	photon_publisher_close(r->pub[h]);
	r->pub[h] = NULL;
	m->pub_open[h] = 0;
	for (i = 0; i < MAX_PUBS; i++)
		any |= m->pub_open[i];
	if (!mpmc(&m->cfg) || !any)
		m->closed = 1;
	return 0;
}

static int do_open_pub(struct runner *r, unsigned h, int *out)
{
	struct model *m = &r->m;
	struct photon_publisher *p = (struct photon_publisher *)1;
	int rc, want;

	if (mpmc(&m->cfg)) {
		if (r->pub[h])
			return 1;
		want = m->closed ? PHOTON_CLOSED : PHOTON_OK;
	} else {
		want = m->closed ? PHOTON_CLOSED : PHOTON_EBUSY;
	}
	rc = photon_publisher_open(r->ch, &p);
	*out = rc;
	CHECK(r, rc == want, "publisher_open returned %s, model %s",
	      rc_name(rc), rc_name(want));
	if (rc != PHOTON_OK) {
		CHECK(r, p == NULL, "publisher_open failed but set *out");
		return 0;
	}
	r->pub[h] = p;
	m->pub_open[h] = 1;
	m->pub_seq[h] = 0;
	return 0;
}

/* After every op: counters, pending, sequences, closed, stalls. */
static int check_state(struct runner *r)
{
	struct model *m = &r->m;
	unsigned k;

	for (k = 0; k < MAX_CONS; k++) {
		const struct mcons *c = &m->c[k];
		struct photon_subscriber *s = cons(r, k);
		struct photon_group *g = r->grp[k];
		uint64_t got, lost = c->lagged;
		double ratio, want_ratio;

		if (!c->live)
			continue;
		got = g ? photon_group_lagged(g) : photon_subscriber_lagged(s);
		CHECK(r, got == c->lagged, "c%u lagged = %llu, model %llu", k,
		      ULL(got), ULL(c->lagged));
		got = g ? photon_group_last_skipped(g)
			: photon_subscriber_last_skipped(s);
		CHECK(r, got == c->last_skipped,
		      "c%u last_skipped = %llu, model %llu", k, ULL(got),
		      ULL(c->last_skipped));
		got = g ? photon_group_received(g)
			: photon_subscriber_received(s);
		CHECK(r, got == c->received, "c%u received = %llu, model %llu",
		      k, ULL(got), ULL(c->received));
		got = g ? photon_group_pending(g) : photon_pending(s);
		CHECK(r, got == model_pending(m, c),
		      "c%u pending = %llu, model %llu (pos %llu, published "
		      "%llu)",
		      k, ULL(got), ULL(model_pending(m, c)), ULL(c->pos),
		      ULL(m->published));
		ratio = g ? photon_group_receive_ratio(g)
			  : photon_subscriber_receive_ratio(s);
		want_ratio =
		    c->received + lost
			? (double)c->received / (double)(c->received + lost)
			: 0.0;
		CHECK(r, ratio == want_ratio,
		      "c%u receive_ratio = %g, model %g", k, ratio, want_ratio);
		got = lib_stalls(r, k);
		CHECK(r, got == c->stalls, "c%u stalls = %llu, model %llu", k,
		      ULL(got), ULL(c->stalls));
		if (g)
			CHECK(r, photon_group_size(g) == c->members,
			      "c%u group_size = %zu, model %llu", k,
			      photon_group_size(g), ULL(c->members));
	}
	for (k = 0; k < MAX_PUBS; k++) {
		uint64_t got;

		if (!r->pub[k])
			continue;
		got = photon_publisher_sequence(r->pub[k]);
		CHECK(r, got == m->pub_seq[k],
		      "h%u publisher_sequence = %llu, model %llu", k, ULL(got),
		      ULL(m->pub_seq[k]));
	}
	CHECK(r, photon_channel_is_closed(r->ch) == m->closed,
	      "channel_is_closed = %d, model %d",
	      photon_channel_is_closed(r->ch), m->closed);
	CHECK(r, photon_channel_stalls(r->ch) == m->chan_stalls,
	      "channel_stalls = %llu, model %llu",
	      ULL(photon_channel_stalls(r->ch)), ULL(m->chan_stalls));
	return 0;
}

static void op_text(const struct config *cfg, const struct op *op, char *buf,
		    size_t len)
{
	switch (op->code) {
	case OP_PUBLISH:
		snprintf(buf, len, "publish(h%u)%s", op->a,
			 !bounded(cfg)	 ? ""
			 : cfg->stall_ns ? " [try_publish]"
					 : " [try_publish if FULL]");
		break;
	case OP_TRY_PUBLISH:
		snprintf(buf, len, "try_publish(h%u)", op->a);
		break;
	case OP_BATCH:
		snprintf(buf, len, "publish_batch(h%u, %u)%s", op->a, op->b,
			 !bounded(cfg)	 ? ""
			 : cfg->stall_ns ? " [try_publish each]"
					 : " [cut to what fits]");
		break;
	case OP_RECV:
		snprintf(buf, len, "try_recv(c%u)", op->a);
		break;
	case OP_RECV_WAIT:
		snprintf(buf, len, "%s(c%u) [recv_timeout(0) if EMPTY]",
			 op->b % 3 == 0	  ? "recv"
			 : op->b % 3 == 1 ? "recv_with(backoff)"
					  : "recv_timeout(1 s)",
			 op->a);
		break;
	case OP_LATEST:
		snprintf(buf, len, "latest(c%u)", op->a);
		break;
	case OP_SUB:
		snprintf(buf, len, "c%u = subscribe()", op->a);
		break;
	case OP_SUB_OLDEST:
		snprintf(buf, len, "c%u = subscribe_from_oldest()", op->a);
		break;
	case OP_GROUP:
		snprintf(buf, len, "c%u = group_subscribe(%u)", op->a, op->b);
		break;
	case OP_CLOSE_CONS:
		snprintf(buf, len, "close(c%u)", op->a);
		break;
	case OP_CLOSE_PUB:
		snprintf(buf, len, "publisher_close(h%u)", op->a);
		break;
	case OP_OPEN_PUB:
		snprintf(buf, len, "h%u = publisher_open()", op->a);
		break;
	case OP_CLOCK:
		snprintf(buf, len, "clock += %llu ns",
			 ULL(clock_steps[op->b % NCLOCK_STEPS]));
		break;
	default:
		snprintf(buf, len, "?");
	}
}

/* Runs one op; 1: it was a no-op here, -1: failed. */
static int do_op(struct runner *r, const struct op *op, int *rc)
{
	unsigned a = op->a;

	*rc = PHOTON_OK;
	switch (op->code) {
	case OP_PUBLISH:
		return do_publish(r, a % MAX_PUBS, 1, rc);
	case OP_TRY_PUBLISH:
		return do_publish(r, a % MAX_PUBS, 0, rc);
	case OP_BATCH:
		return do_batch(r, a % MAX_PUBS, op->b % (MAX_BATCH + 1), rc);
	case OP_RECV:
		return do_recv(r, a % MAX_CONS, 0, 0, rc);
	case OP_RECV_WAIT:
		return do_recv(r, a % MAX_CONS, 1, op->b, rc);
	case OP_LATEST:
		return do_latest(r, a % MAX_CONS, rc);
	case OP_SUB:
		return do_subscribe(r, a % MAX_CONS, 0, 1, rc);
	case OP_SUB_OLDEST:
		return do_subscribe(r, a % MAX_CONS, 1, 1, rc);
	case OP_GROUP:
		return do_subscribe(r, a % MAX_CONS, -1, op->b, rc);
	case OP_CLOSE_CONS:
		if (!r->m.c[a % MAX_CONS].live)
			return 1;
		close_consumer(r, a % MAX_CONS);
		return 0;
	case OP_CLOSE_PUB:
		return do_close_pub(r, a % MAX_PUBS);
	case OP_OPEN_PUB:
		return do_open_pub(r, a % MAX_PUBS, rc);
	case OP_CLOCK:
		if (!r->m.cfg.stall_ns)
			return 1;
		r->m.now += clock_steps[op->b % NCLOCK_STEPS];
		__atomic_store_n(&fake_now, r->m.now, __ATOMIC_RELAXED);
		return 0;
	}
	return 1;
}

/* The end of every sequence: close the publishers, drain to CLOSED. */
static int finish(struct runner *r)
{
	struct model *m = &r->m;
	unsigned h, k, i;
	int rc;

	for (h = 0; h < MAX_PUBS; h++)
		if (r->pub[h])
			do_close_pub(r, h);
	if (check_state(r))
		return -1;
	for (k = 0; k < MAX_CONS; k++) {
		if (!m->c[k].live)
			continue;
		for (i = 0; i < m->cfg.cap + 2; i++) {
			if (do_recv(r, k, 0, 0, &rc) || check_state(r))
				return -1;
			if (rc == PHOTON_CLOSED)
				break;
		}
		CHECK(r, rc == PHOTON_CLOSED, "c%u did not drain to CLOSED", k);
		if (!r->grp[k] && do_latest(r, k, &rc))
			return -1;
	}
	if (check_state(r))
		return -1;
	if (do_open_pub(r, 0, &rc)) /* closed for good */
		return -1;
	return 0;
}

static sigjmp_buf watchdog_jmp;
static volatile sig_atomic_t watchdog_armed;

static void on_alarm(int sig)
{
	(void)sig;
	if (watchdog_armed)
		siglongjmp(watchdog_jmp, 1);
}

static void watchdog(int seconds)
{
	struct itimerval it = { { 0, 0 }, { seconds, 0 } };

	watchdog_armed = seconds != 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int create_channel(struct runner *r)
{
	const struct config *cfg = &r->m.cfg;
	struct photon_opts o = { 0 };

	o.capacity = cfg->cap;
	o.msg_size = cfg->msg_size;
	o.watermark = cfg->wm;
	o.stall_timeout_ns = cfg->stall_ns;
	o.flags = (bounded(cfg) ? PHOTON_BOUNDED : 0u) |
		  (mpmc(cfg) ? PHOTON_MPMC : 0u);
	if (cfg->kind == K_LOSSY && (cfg->salt & 1))
		return photon_channel_create(&r->ch, cfg->cap, cfg->msg_size);
	if (cfg->kind == K_MPMC && (cfg->salt & 1))
		return photon_channel_create_mpmc(&r->ch, cfg->cap,
						  cfg->msg_size);
	if (cfg->kind == K_BOUNDED && !cfg->stall_ns && (cfg->salt & 1))
		return photon_channel_create_bounded(&r->ch, cfg->cap,
						     cfg->msg_size, cfg->wm);
	return photon_channel_create_opts(&r->ch, &o);
}

/* The ops, then the drain; under the watchdog. */
static int run_ops(struct runner *r, const struct op *ops, size_t n)
{
	char text[96];
	int rc, noop;

	for (r->at = 0; r->at < n; r->at++) {
		noop = do_op(r, &ops[r->at], &rc);
		if (r->verbose) {
			op_text(&r->m.cfg, &ops[r->at], text, sizeof(text));
			printf("    [%2zu] %-44s %s\n", r->at, text,
			       noop > 0 ? "(no-op)" : rc_name(rc));
		}
		if (noop < 0)
			return -1;
		r->st->ops += noop == 0;
		if (check_state(r))
			return -1;
	}
	r->at = n;
	return finish(r);
}

/*
 * Runs ops[0..n) on a fresh channel. 0: every check passed; -1: r->msg says
 * what differed first and r->at where. verbose prints each op's result.
 */
static int run_sequence(struct runner *r, const struct config *cfg,
			const struct op *ops, size_t n)
{
	unsigned k;
	int rc;

	memset(&r->m, 0, sizeof(r->m));
	r->m.cfg = *cfg;
	r->m.now = CLOCK_START;
	r->m.pub_open[0] = 1;
	r->ch = NULL;
	memset(r->pub, 0, sizeof(r->pub));
	memset(r->sub, 0, sizeof(r->sub));
	memset(r->grp, 0, sizeof(r->grp));
	r->failed = 0;
	r->at = 0;
	r->n = n;
	r->msg[0] = 0;
	__atomic_store_n(&fake_now, CLOCK_START, __ATOMIC_RELAXED);
	rc = create_channel(r);
	if (rc != PHOTON_OK)
		return mismatch(r, "channel create returned %s", rc_name(rc));
	rc = photon_publisher_open(r->ch, &r->pub[0]);
	if (rc != PHOTON_OK) {
		photon_channel_release(r->ch);
		return mismatch(r, "publisher_open returned %s", rc_name(rc));
	}
	if (sigsetjmp(watchdog_jmp, 1)) {
		/* The handles may hold the gate lock: leak them. */
		return mismatch(r, "did not return within %d s (hang)",
				WATCHDOG_S);
	}
	watchdog(WATCHDOG_S);
	rc = run_ops(r, ops, n);
	watchdog(0);
	r->st->stalls += r->m.chan_stalls;
	for (k = 0; k < MAX_CONS; k++)
		if (r->sub[k] || r->grp[k])
			close_consumer(r, k);
	for (k = 0; k < MAX_PUBS; k++)
		photon_publisher_close(r->pub[k]);
	photon_channel_release(r->ch);
	return rc;
}

/* ---- the generator ---- */

static uint64_t rnd(uint64_t *s)
{
	*s += 0x9E3779B97F4A7C15ull;
	return mix(*s);
}

static unsigned pick(uint64_t *s, unsigned n)
{
	return (unsigned)(rnd(s) % n);
}

/* A slot whose bit in `live` equals `want`, most of the time. */
static unsigned pick_slot(uint64_t *s, unsigned live, unsigned n, int want)
{
	unsigned k, start = pick(s, n);

	if (pick(s, 10) == 0)
		return start;
	for (k = 0; k < n; k++) {
		unsigned i = (start + k) % n;

		if (!!(live & (1u << i)) == want)
			return i;
	}
	return start;
}

static size_t generate(uint64_t seed, struct config *cfg, struct op *ops)
{
	uint64_t s = seed;
	unsigned cons_live = 0, pubs_live = 1, closed = 0;
	size_t n, i;

	cfg->kind = pick(&s, 4);
	cfg->cap = 2 + pick(&s, 8);
	cfg->msg_size = 1 + pick(&s, MAX_MSG);
	cfg->wm = bounded(cfg) ? pick(&s, (unsigned)cfg->cap) : 0;
	cfg->stall_ns = bounded(cfg) && pick(&s, 3) == 0 ? STALL_NS : 0;
	cfg->salt = rnd(&s);
	n = 1 + pick(&s, MAX_OPS);
	for (i = 0; i < n; i++) {
		struct op *op = &ops[i];
		unsigned w = pick(&s, 100);

		op->a = 0;
		op->b = (uint8_t)pick(&s, 256);
		if (w < 14) {
			op->code = OP_PUBLISH;
		} else if (w < 26) {
			op->code = OP_TRY_PUBLISH;
		} else if (w < 32) {
			op->code = OP_BATCH;
			op->b %= MAX_BATCH + 1;
		} else if (w < 52) {
			op->code = OP_RECV;
		} else if (w < 57) {
			op->code = OP_RECV_WAIT;
			op->b %= 3;
		} else if (w < 61) {
			op->code = OP_LATEST;
		} else if (w < 67) {
			op->code = OP_SUB;
		} else if (w < 73) {
			op->code = OP_SUB_OLDEST;
		} else if (w < 77) {
			op->code = OP_GROUP;
			op->b %= 5;
		} else if (w < 82) {
			op->code = OP_CLOSE_CONS;
		} else if (w < 84) {
			op->code = OP_CLOSE_PUB;
		} else if (w < 88) {
			op->code = OP_OPEN_PUB;
		} else if (cfg->stall_ns) {
			op->code = OP_CLOCK;
			op->b %= NCLOCK_STEPS;
		} else {
			op->code = w & 1 ? OP_RECV : OP_TRY_PUBLISH;
		}
		switch (op->code) {
		case OP_PUBLISH:
		case OP_TRY_PUBLISH:
		case OP_BATCH:
		case OP_CLOSE_PUB:
			op->a = mpmc(cfg) ? (uint8_t)pick_slot(&s, pubs_live,
							       MAX_PUBS, 1)
					  : 0;
			if (op->code == OP_CLOSE_PUB) {
				if (pick(&s, 2)) { /* rarer still */
					op->code = OP_RECV;
					op->a = (uint8_t)pick_slot(
					    &s, cons_live, MAX_CONS, 1);
					break;
				}
				pubs_live &= ~(1u << op->a);
				closed |= !mpmc(cfg) || !pubs_live;
			}
			break;
		case OP_OPEN_PUB:
			op->a = mpmc(cfg) ? (uint8_t)pick_slot(&s, pubs_live,
							       MAX_PUBS, 0)
					  : 0;
			if (mpmc(cfg) && !closed)
				pubs_live |= 1u << op->a;
			break;
		case OP_SUB:
		case OP_SUB_OLDEST:
		case OP_GROUP:
			op->a = (uint8_t)pick_slot(&s, cons_live, MAX_CONS, 0);
			if (op->code != OP_GROUP || op->b)
				cons_live |= 1u << op->a;
			break;
		case OP_CLOSE_CONS:
			op->a = (uint8_t)pick_slot(&s, cons_live, MAX_CONS, 1);
			cons_live &= ~(1u << op->a);
			break;
		case OP_RECV:
		case OP_RECV_WAIT:
		case OP_LATEST:
			op->a = (uint8_t)pick_slot(&s, cons_live, MAX_CONS, 1);
			break;
		default:
			break;
		}
	}
	return n;
}

/* ---- shrinking and reporting ---- */

static void config_text(const struct config *cfg, char *buf, size_t len)
{
	static const char *const kinds[] = { "lossy", "bounded", "MPMC",
					     "bounded MPMC" };

	snprintf(buf, len,
		 "%s, capacity %zu, msg_size %zu, watermark %zu, "
		 "stall_timeout %llu ns",
		 kinds[cfg->kind], cfg->cap, cfg->msg_size, cfg->wm,
		 ULL(cfg->stall_ns));
}

/* Greedy delta debugging: drop chunks, halving, down to single ops. */
static size_t shrink(struct runner *r, const struct config *cfg, struct op *ops,
		     size_t n)
{
	struct op trial[MAX_OPS];
	size_t chunk, i, runs = 0;
	time_t t0 = time(NULL);
	int progress = 1;

	if (r->at < n) /* ops after the failing one do not matter */
		n = r->at + 1;
	while (progress && runs < 20000 && time(NULL) - t0 < 60) {
		progress = 0;
		for (chunk = n / 2 ? n / 2 : 1; chunk >= 1; chunk /= 2) {
			for (i = 0; i + chunk <= n;) {
				size_t m = n - chunk;

				memcpy(trial, ops, i * sizeof(*ops));
				memcpy(trial + i, ops + i + chunk,
				       (n - i - chunk) * sizeof(*ops));
				runs++;
				if (run_sequence(r, cfg, trial, m) != 0) {
					memcpy(ops, trial, m * sizeof(*ops));
					n = r->at < m ? r->at + 1 : m;
					progress = 1;
				} else {
					i++;
				}
			}
		}
	}
	return n;
}

static void report(struct runner *r, uint64_t seed, const struct config *cfg,
		   struct op *ops, size_t n)
{
	char text[160];
	size_t i, m;

	config_text(cfg, text, sizeof(text));
	printf("test_property: FAILED seed %llu (replay: "
	       "PHOTON_PROPERTY_SEED=%llu)\n  channel: %s\n  %zu ops; first "
	       "failure: %s\n",
	       ULL(seed), ULL(seed), text, n, r->msg);
	m = shrink(r, cfg, ops, n);
	run_sequence(r, cfg, ops, m);
	printf("  shrunk to %zu ops; failure: %s\n", m, r->msg);
	for (i = 0; i < m; i++) {
		op_text(cfg, &ops[i], text, sizeof(text));
		printf("    %s\n", text);
	}
	printf("  replay of the shrunk sequence (library results):\n");
	r->verbose = 1;
	run_sequence(r, cfg, ops, m);
	r->verbose = 0;
	printf("  -> %s\n", r->failed ? r->msg : "passed?");
	fflush(stdout);
}

static uint64_t env_u64(const char *name, uint64_t dflt, int *set)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (set)
		*set = 0;
	if (!v || !*v)
		return dflt;
	x = strtoull(v, &end, 0);
	if (*end) {
		printf("test_property: ignoring %s=%s\n", name, v);
		return dflt;
	}
	if (set)
		*set = 1;
	return x;
}

static void test_random_sequences(void **state)
{
	struct sigaction sa;
	struct stats st = { 0 };
	struct runner r = { .st = &st };
	struct config cfg;
	struct op ops[MAX_OPS];
	uint64_t count, base, i, failures = 0;
	int seed_set, count_set;
	struct timespec t0, t1;
	double secs;

	(void)state;
	base = env_u64("PHOTON_PROPERTY_SEED", 0x5EED0000, &seed_set);
	count = env_u64("PHOTON_PROPERTY_SEQUENCES",
			seed_set ? 1 : PHOTON_PROPERTY_DEFAULT_SEQUENCES,
			&count_set);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	photon__test_clock = fake_clock;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		size_t n = generate(base + i, &cfg, ops);

		st.sequences++;
		if (run_sequence(&r, &cfg, ops, n) == 0)
			continue;
		report(&r, base + i, &cfg, ops, n);
		if (++failures == 3) /* enough to go on */
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	photon__test_clock = NULL;
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("test_property: %llu sequences from seed %llu in %.1f s: %llu "
	       "ops, %llu messages read, %llu LAGGED, %llu FULL, %llu "
	       "stalls, %llu CLOSED reads, "
	       "%llu bounded from_oldest starts above the oldest held; %llu "
	       "failed\n",
	       ULL(st.sequences), ULL(base), secs, ULL(st.ops),
	       ULL(st.ok_reads), ULL(st.lagged), ULL(st.full), ULL(st.stalls),
	       ULL(st.closed_reads), ULL(st.from_oldest_above_oldest),
	       ULL(failures));
	if (failures)
		fail_msg("%llu sequence(s) failed; see the seeds above",
			 ULL(failures));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
