/* SPDX-License-Identifier: MIT */
/*
 * Topologies (photon/topology.h): a million messages through a pipeline and
 * a diamond with every result checked, user-fed sources, filters, failing
 * stages, lossy links with exact lag and join accounting, pinning, stop and
 * destroy in every state, bad input. Cross-thread steps synchronise on data
 * (condition variables, the stages' counters), never on sleeps.
 */
#include <sched.h>
#include <string.h>

#include "util.h"

#define MILLION 1000000u

/*
 * Messages of the big runs: 1M (about 0.5 s here, 1 s under ASan); a
 * quarter under ThreadSanitizer, which makes them about 12 s on 2 CPUs.
 */
#if defined(__SANITIZE_THREAD__)
#define BIG_RUN (MILLION / 4)
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BIG_RUN (MILLION / 4)
#endif
#endif
#ifndef BIG_RUN
#define BIG_RUN MILLION
#endif

/* The value transforms, exact in 64-bit arithmetic. */
static uint64_t f_a(uint64_t seq)
{
	return seq * 7 + 3;
}

static uint64_t f_b(uint64_t x, uint64_t seq)
{
	return x * 2654435761u + seq;
}

struct pair {
	uint64_t x; /* f_a(seq) ^ K */
	uint64_t y; /* ~seq */
};

#define K 0x5555aaaa5555aaaaull

/* A source that produces f_a(seq) for seq < limit, then ENDs. */
struct source_ctx {
	uint64_t limit; /* UINT64_MAX: forever */
};

static int source_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct source_ctx *c = ctx;
	uint64_t v = f_a(seq);

	assert_null(in);
	if (seq >= c->limit)
		return PHOTON_STAGE_END;
	memcpy(out, &v, sizeof(v));
	return PHOTON_OK;
}

/* B: f_b of its input; fails with fail_code at fail_at; skips odd seqs if
 * asked. */
struct b_ctx {
	uint64_t fail_at; /* UINT64_MAX: never */
	int fail_code;
	int skip_odd;
	uint64_t errors;
};

static int b_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct b_ctx *c = ctx;
	uint64_t x;

	if (seq == c->fail_at)
		return c->fail_code;
	if (c->skip_odd && (seq & 1))
		return PHOTON_STAGE_SKIP;
	memcpy(&x, in[0], sizeof(x));
	if (x != f_a(seq))
		c->errors++;
	x = f_b(x, seq);
	memcpy(out, &x, sizeof(x));
	return PHOTON_OK;
}

/* C of the diamond: a 16-byte output of another shape. */
static int c_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct pair p;
	uint64_t x;

	(void)ctx;
	memcpy(&x, in[0], sizeof(x));
	p.x = x ^ K;
	p.y = ~seq;
	memcpy(out, &p, sizeof(p));
	return PHOTON_OK;
}

/* Sinks: check every value and the order; count. */
struct sink_ctx {
	uint64_t count;
	uint64_t next; /* the sequence expected next */
	uint64_t step; /* 1, or 2 behind a filter of odd sequences */
	uint64_t errors;
	int user_fed; /* the values come straight from the user: f_a(seq) */
};

static int pipe_sink_fn(void *ctx, uint64_t seq, const void *const *in,
			void *out)
{
	struct sink_ctx *c = ctx;
	uint64_t x;

	assert_null(out);
	memcpy(&x, in[0], sizeof(x));
	if (seq != c->next || x != f_b(f_a(seq), seq))
		c->errors++;
	c->next = seq + c->step;
	c->count++;
	return PHOTON_OK;
}

static int join_sink_fn(void *ctx, uint64_t seq, const void *const *in,
			void *out)
{
	struct sink_ctx *c = ctx;
	uint64_t b;
	struct pair p;

	(void)out;
	memcpy(&b, in[0], sizeof(b));
	memcpy(&p, in[1], sizeof(p));
	if (seq != c->next || b != f_b(f_a(seq), seq) ||
	    p.x != (f_a(seq) ^ K) || p.y != ~seq)
		c->errors++;
	c->next = seq + c->step;
	c->count++;
	return PHOTON_OK;
}

static unsigned add(struct photon_topology *t, const char *name,
		    photon_stage_fn fn, void *ctx, size_t out_size)
{
	struct photon_stage_opts o = {
		.name = name, .fn = fn, .ctx = ctx, .out_size = out_size
	};
	unsigned id = ~0u;

	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_OK);
	return id;
}

static void stats(struct photon_topology *t, unsigned id,
		  struct photon_stage_stats *s)
{
	assert_rc(photon_topology_stage_stats(t, id, s), PHOTON_OK);
}

/* Waits (yielding) until a stage has processed at least n messages. */
static void wait_processed(struct photon_topology *t, unsigned id, uint64_t n)
{
	struct photon_stage_stats s;

	for (;;) {
		stats(t, id, &s);
		if (s.processed >= n)
			return;
		sched_yield();
	}
}

static void test_pipeline_million(void **state)
{
	struct photon_topology *t;
	struct source_ctx a = { .limit = BIG_RUN };
	struct b_ctx b = { .fail_at = UINT64_MAX };
	struct sink_ctx c = { .step = 1 };
	struct photon_stage_stats s;
	unsigned ia, ib, ic;

	(void)state;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	ia = add(t, "A", source_fn, &a, sizeof(uint64_t));
	ib = add(t, "B", b_fn, &b, sizeof(uint64_t));
	ic = add(t, "C", pipe_sink_fn, &c, 0);
	assert_int_equal(ia, 0);
	assert_int_equal(ic, 2);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ib, ic), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(photon_topology_failed_stage(t, NULL), -1);

	assert_int_equal(c.count, BIG_RUN);
	assert_int_equal(c.errors, 0);
	assert_int_equal(b.errors, 0);
	stats(t, ia, &s);
	assert_int_equal(s.processed, BIG_RUN);
	assert_int_equal(s.published, BIG_RUN);
	stats(t, ib, &s);
	assert_int_equal(s.processed, BIG_RUN);
	assert_int_equal(s.published, BIG_RUN);
	assert_int_equal(s.lagged, 0);
	stats(t, ic, &s);
	assert_int_equal(s.processed, BIG_RUN);
	assert_int_equal(s.published, 0);
	assert_int_equal(s.lagged, 0);
	assert_int_equal(s.unmatched, 0);
	photon_topology_destroy(t);
}

/* A -> {B, C} -> D, D joins B's and C's results per sequence. */
struct diamond {
	struct photon_topology *t;
	unsigned a, b, c, d;
};

static void build_diamond(struct diamond *dm, photon_stage_fn a_fn, void *a_ctx,
			  struct b_ctx *b, struct sink_ctx *d)
{
	struct photon_stage_opts src = { .name = "A",
					 .fn = a_fn,
					 .ctx = a_ctx,
					 .out_size = sizeof(uint64_t),
					 .capacity = 256 };

	assert_rc(photon_topology_create(&dm->t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(dm->t, &src, &dm->a), PHOTON_OK);
	dm->b = add(dm->t, "B", b_fn, b, sizeof(uint64_t));
	dm->c = add(dm->t, "C", c_fn, NULL, sizeof(struct pair));
	dm->d = add(dm->t, "D", join_sink_fn, d, 0);
	assert_rc(photon_topology_link(dm->t, dm->a, dm->b), PHOTON_OK);
	assert_rc(photon_topology_link(dm->t, dm->a, dm->c), PHOTON_OK);
	assert_rc(photon_topology_link(dm->t, dm->b, dm->d), PHOTON_OK);
	assert_rc(photon_topology_link(dm->t, dm->c, dm->d), PHOTON_OK);
}

static void test_diamond_million(void **state)
{
	struct diamond dm;
	struct source_ctx a = { .limit = BIG_RUN };
	struct b_ctx b = { .fail_at = UINT64_MAX };
	struct sink_ctx d = { .step = 1 };
	struct photon_stage_stats s;

	(void)state;
	build_diamond(&dm, source_fn, &a, &b, &d);
	assert_int_equal(photon_topology_stage_count(dm.t), 4);
	assert_string_equal(photon_topology_stage_name(dm.t, dm.d), "D");
	assert_rc(photon_topology_start(dm.t), PHOTON_OK);
	assert_rc(photon_topology_wait(dm.t), PHOTON_OK);

	assert_int_equal(d.count, BIG_RUN);
	assert_int_equal(d.errors, 0);
	assert_int_equal(b.errors, 0);
	stats(dm.t, dm.d, &s);
	assert_int_equal(s.processed, BIG_RUN);
	assert_int_equal(s.unmatched, 0);
	assert_int_equal(s.lagged, 0);
	stats(dm.t, dm.c, &s);
	assert_int_equal(s.published, BIG_RUN);
	photon_topology_destroy(dm.t);
}

/* The user drives the source; wait() closes it. */
static void test_user_fed_pipeline(void **state)
{
	struct photon_topology *t;
	struct photon_stage_opts src = { .name = "feed",
					 .out_size = sizeof(uint64_t),
					 .capacity = 64 };
	struct b_ctx b = { .fail_at = UINT64_MAX };
	struct sink_ctx c = { .step = 1 };
	struct photon_stage_stats s;
	unsigned ia, ib, ic;
	uint64_t i, v, full = 0;

	(void)state;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &src, &ia), PHOTON_OK);
	ib = add(t, "B", b_fn, &b, sizeof(uint64_t));
	ic = add(t, "C", pipe_sink_fn, &c, 0);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ib, ic), PHOTON_OK);
	v = 0;
	assert_rc(photon_topology_publish(t, ia, &v), PHOTON_EINVAL);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	for (i = 0; i < 100000; i++) {
		v = f_a(i);
		if (i % 2) {
			assert_rc(photon_topology_publish(t, ia, &v),
				  PHOTON_OK);
			continue;
		}
		for (;;) { /* try_publish: FULL, nothing written */
			int rc = photon_topology_try_publish(t, ia, &v);
			if (rc == PHOTON_OK)
				break;
			assert_rc(rc, PHOTON_FULL);
			full++;
			sched_yield();
		}
	}
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(c.count, 100000);
	assert_int_equal(c.errors, 0);
	stats(t, ia, &s);
	assert_int_equal(s.published, 100000);
	assert_true(s.full >= full);
	/* Closed by wait(): publishing is over. */
	assert_rc(photon_topology_publish(t, ia, &v), PHOTON_CLOSED);
	assert_rc(photon_topology_close_source(t, ia), PHOTON_OK);
	assert_rc(photon_topology_close_source(t, ib), PHOTON_EINVAL);
	photon_topology_destroy(t);
}

/* A stage that fails: reported with its code, everything shuts down, the
 * stage after it still got every message the failed stage published. */
static void test_failing_stage(void **state)
{
	struct photon_topology *t;
	struct source_ctx a = { .limit = UINT64_MAX };
	struct b_ctx b = { .fail_at = 1000, .fail_code = -42 };
	struct sink_ctx c = { .step = 1 };
	struct photon_stage_stats s;
	unsigned ia, ib, ic;
	int code = 0;

	(void)state;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	ia = add(t, "source", source_fn, &a, sizeof(uint64_t));
	ib = add(t, "transform", b_fn, &b, sizeof(uint64_t));
	ic = add(t, "sink", pipe_sink_fn, &c, 0);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ib, ic), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_int_equal(photon_topology_wait(t), -42);
	assert_non_null(strstr(photon_last_error_message(), "transform"));
	assert_int_equal(photon_topology_failed_stage(t, &code), (int)ib);
	assert_int_equal(code, -42);
	/* Again: the same answer. */
	assert_int_equal(photon_topology_wait(t), -42);

	assert_int_equal(c.count, 1000);
	assert_int_equal(c.errors, 0);
	stats(t, ib, &s);
	assert_int_equal(s.published, 1000);
	photon_topology_destroy(t);
}

/* A failing join partner in a diamond, and a user-fed source that learns
 * about the failure from publish. */
static void test_failing_diamond_user_fed(void **state)
{
	struct diamond dm;
	struct b_ctx b = { .fail_at = 500, .fail_code = 7 };
	struct sink_ctx d = { .step = 1 };
	struct photon_stage_opts src = { .name = "A",
					 .out_size = sizeof(uint64_t) };
	uint64_t i = 0, v;
	int code;

	(void)state;
	assert_rc(photon_topology_create(&dm.t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(dm.t, &src, &dm.a), PHOTON_OK);
	dm.b = add(dm.t, "B", b_fn, &b, sizeof(uint64_t));
	dm.c = add(dm.t, "C", c_fn, NULL, sizeof(struct pair));
	dm.d = add(dm.t, "D", join_sink_fn, &d, 0);
	assert_rc(photon_topology_link(dm.t, dm.a, dm.b), PHOTON_OK);
	assert_rc(photon_topology_link(dm.t, dm.a, dm.c), PHOTON_OK);
	assert_rc(photon_topology_link(dm.t, dm.b, dm.d), PHOTON_OK);
	assert_rc(photon_topology_link(dm.t, dm.c, dm.d), PHOTON_OK);
	assert_rc(photon_topology_start(dm.t), PHOTON_OK);
	for (;;) {
		int rc;

		v = f_a(i);
		rc = photon_topology_publish(dm.t, dm.a, &v);
		if (rc != PHOTON_OK) {
			assert_rc(rc, PHOTON_CLOSED);
			break;
		}
		i++;
	}
	assert_true(i > 500);
	assert_int_equal(photon_topology_wait(dm.t), 7);
	assert_int_equal(photon_topology_failed_stage(dm.t, &code), (int)dm.b);
	assert_int_equal(code, 7);
	assert_true(d.count <= 500);
	assert_int_equal(d.errors, 0);
	photon_topology_destroy(dm.t);
}

/* A filter: B drops odd sequences, the sink sees the even ones; in the
 * diamond, D drops C's odd ones as unmatched. */
static void test_filter(void **state)
{
	struct diamond dm;
	struct source_ctx a = { .limit = 10000 };
	struct b_ctx b = { .fail_at = UINT64_MAX, .skip_odd = 1 };
	struct sink_ctx d = { .step = 2 };
	struct photon_stage_stats s;

	(void)state;
	build_diamond(&dm, source_fn, &a, &b, &d);
	assert_rc(photon_topology_start(dm.t), PHOTON_OK);
	assert_rc(photon_topology_wait(dm.t), PHOTON_OK);
	assert_int_equal(d.count, 5000);
	assert_int_equal(d.errors, 0);
	stats(dm.t, dm.b, &s);
	assert_int_equal(s.processed, 10000);
	assert_int_equal(s.published, 5000);
	stats(dm.t, dm.d, &s);
	assert_int_equal(s.processed, 5000);
	/* C's 1, 3 ... 9997 met B's next even sequence; 9999 was left held
	 * when B's stream ended. */
	assert_int_equal(s.unmatched, 4999);
	photon_topology_destroy(dm.t);
}

/* A stage function that parks on its first message until released. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int entered;
	int released;
	uint64_t seqs[64];
	uint64_t n;
	uint64_t errors;
};

static void gate_init(struct gate *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
}

static void gate_destroy(struct gate *g)
{
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
}

static void gate_hold(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->entered = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->released)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	while (!g->entered)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_release(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->released = 1;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void gate_record(struct gate *g, uint64_t seq)
{
	if (g->n < 64)
		g->seqs[g->n] = seq;
	g->n++;
	if (g->n == 1)
		gate_hold(g);
}

static int gated_sink_fn(void *ctx, uint64_t seq, const void *const *in,
			 void *out)
{
	struct gate *g = ctx;
	uint64_t x;

	(void)out;
	memcpy(&x, in[0], sizeof(x));
	if (x != f_a(seq))
		g->errors++;
	gate_record(g, seq);
	return PHOTON_OK;
}

/* Lossy link, capacity 16: the sink holds message 0 while 999 more are
 * published, then gets LAGGED (skipped 983) and the 16 newest. */
static void test_lossy_lag(void **state)
{
	struct photon_topology *t;
	struct photon_stage_opts src = { .name = "feed",
					 .out_size = sizeof(uint64_t),
					 .capacity = 16,
					 .link = PHOTON_LINK_LOSSY };
	struct photon_stage_stats s;
	struct gate g;
	unsigned is, ik;
	uint64_t i, v;

	(void)state;
	gate_init(&g);
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &src, &is), PHOTON_OK);
	ik = add(t, "slow", gated_sink_fn, &g, 0);
	assert_rc(photon_topology_link(t, is, ik), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	v = f_a(0);
	assert_rc(photon_topology_publish(t, is, &v), PHOTON_OK);
	gate_wait_entered(&g);
	for (i = 1; i < 1000; i++) {
		v = f_a(i);
		assert_rc(photon_topology_try_publish(t, is, &v), PHOTON_OK);
	}
	gate_release(&g);
	assert_rc(photon_topology_wait(t), PHOTON_OK);

	stats(t, ik, &s);
	assert_int_equal(s.processed, 17);
	assert_int_equal(s.lagged, 1000 - 17);
	assert_int_equal(g.n, 17);
	assert_int_equal(g.errors, 0);
	assert_int_equal(g.seqs[0], 0);
	for (i = 1; i < 17; i++)
		assert_int_equal(g.seqs[i], 1000 - 16 + (i - 1));
	stats(t, is, &s);
	assert_int_equal(s.published, 1000);
	assert_int_equal(s.full, 0);
	photon_topology_destroy(t);
	gate_destroy(&g);
}

static int pass_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	(void)ctx;
	(void)seq;
	memcpy(out, in[0], sizeof(uint64_t));
	return PHOTON_OK;
}

static int gated_join_fn(void *ctx, uint64_t seq, const void *const *in,
			 void *out)
{
	struct gate *g = ctx;
	uint64_t x, y;

	(void)out;
	memcpy(&x, in[0], sizeof(x));
	memcpy(&y, in[1], sizeof(y));
	if (x != f_a(seq) || y != f_a(seq))
		g->errors++;
	gate_record(g, seq);
	return PHOTON_OK;
}

/*
 * A diamond whose B -> D link is lossy (capacity 8) and C -> D lossless:
 * while D holds pair 0, 199 more go through. D then loses 191 of B's
 * (lagged), drops C's 1 .. 191 as unmatched and pairs the last 8.
 */
static void test_lossy_join(void **state)
{
	struct photon_topology *t;
	struct photon_stage_opts src = { .name = "A",
					 .out_size = sizeof(uint64_t),
					 .capacity = 256 };
	struct photon_stage_opts lossy = { .name = "B",
					   .fn = pass_fn,
					   .out_size = sizeof(uint64_t),
					   .capacity = 8,
					   .link = PHOTON_LINK_LOSSY };
	struct photon_stage_opts lossless = { .name = "C",
					      .fn = pass_fn,
					      .out_size = sizeof(uint64_t),
					      .capacity = 256 };
	struct photon_stage_stats s;
	struct gate g;
	unsigned a, b, c, d;
	uint64_t i, v;

	(void)state;
	gate_init(&g);
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &src, &a), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &lossy, &b), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &lossless, &c), PHOTON_OK);
	d = add(t, "D", gated_join_fn, &g, 0);
	assert_rc(photon_topology_link(t, a, b), PHOTON_OK);
	assert_rc(photon_topology_link(t, a, c), PHOTON_OK);
	assert_rc(photon_topology_link(t, b, d), PHOTON_OK);
	assert_rc(photon_topology_link(t, c, d), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	v = f_a(0);
	assert_rc(photon_topology_publish(t, a, &v), PHOTON_OK);
	gate_wait_entered(&g);
	for (i = 1; i < 200; i++) {
		v = f_a(i);
		assert_rc(photon_topology_publish(t, a, &v), PHOTON_OK);
	}
	wait_processed(t, b, 200);
	wait_processed(t, c, 200);
	gate_release(&g);
	assert_rc(photon_topology_wait(t), PHOTON_OK);

	stats(t, d, &s);
	assert_int_equal(s.processed, 9);
	assert_int_equal(s.lagged, 200 - 9);
	assert_int_equal(s.unmatched, 200 - 9);
	assert_int_equal(g.errors, 0);
	assert_int_equal(g.n, 9);
	for (i = 1; i < 9; i++)
		assert_int_equal(g.seqs[i], 200 - 8 + (i - 1));
	photon_topology_destroy(t);
	gate_destroy(&g);
}

/* Sinks that count without checking, for the stop and destroy tests. */
static int count_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct sink_ctx *c = ctx;

	(void)in;
	(void)out;
	if (seq != c->next)
		c->errors++;
	c->next = seq + 1;
	c->count++;
	return PHOTON_OK;
}

static struct photon_topology *endless(struct source_ctx *a, struct sink_ctx *c,
				       unsigned *sink)
{
	struct photon_topology *t;
	unsigned ia, ib;

	assert_rc(photon_topology_create(&t), PHOTON_OK);
	ia = add(t, "A", source_fn, a, sizeof(uint64_t));
	ib = add(t, "B", pass_fn, NULL, sizeof(uint64_t));
	*sink = add(t, "C", count_fn, c, 0);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ib, *sink), PHOTON_OK);
	return t;
}

static void test_start_stop_destroy(void **state)
{
	struct source_ctx a = { .limit = UINT64_MAX };
	struct sink_ctx c = { .step = 1 };
	struct photon_topology *t;
	unsigned sink;

	(void)state;
	/* Never started. */
	t = endless(&a, &c, &sink);
	photon_topology_destroy(t);
	photon_topology_destroy(NULL);

	/* Started, stopped from outside, waited. */
	t = endless(&a, &c, &sink);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	wait_processed(t, sink, 10000);
	photon_topology_stop(t);
	photon_topology_stop(t);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(photon_topology_failed_stage(t, NULL), -1);
	assert_true(c.count >= 10000);
	assert_int_equal(c.errors, 0);
	photon_topology_destroy(t);

	/* Started and destroyed while running. */
	memset(&c, 0, sizeof(c));
	t = endless(&a, &c, &sink);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	wait_processed(t, sink, 1000);
	photon_topology_destroy(t);
	assert_int_equal(c.errors, 0);
}

/* A user-fed source left open: destroy closes it and joins. */
static void test_destroy_open_source(void **state)
{
	struct photon_topology *t;
	struct photon_stage_opts src = { .out_size = sizeof(uint64_t) };
	struct sink_ctx c = { .step = 1 };
	unsigned is, ik;
	uint64_t v = 0;

	(void)state;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &src, &is), PHOTON_OK);
	ik = add(t, "C", count_fn, &c, 0);
	assert_rc(photon_topology_link(t, is, ik), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_string_equal(photon_topology_stage_name(t, is), "");
	assert_rc(photon_topology_publish(t, is, &v), PHOTON_OK);
	photon_topology_destroy(t);
	assert_true(c.count <= 1);
}

/* A stage function that stops the topology itself. */
static int stop_at_100_fn(void *ctx, uint64_t seq, const void *const *in,
			  void *out)
{
	struct photon_topology **t = ctx;

	(void)in;
	(void)out;
	if (seq == 100)
		photon_topology_stop(*t);
	return PHOTON_OK;
}

static void test_stop_from_stage(void **state)
{
	struct photon_topology *t;
	struct source_ctx a = { .limit = UINT64_MAX };
	unsigned ia, ib;

	(void)state;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	ia = add(t, "A", source_fn, &a, sizeof(uint64_t));
	ib = add(t, "B", stop_at_100_fn, &t, 0);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	photon_topology_destroy(t);
}

/* Pinned stages run on their CPU. */
struct where {
	int cpu;
	uint64_t wrong;
};

static int where_fn(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct where *w = ctx;

	(void)in;
	if (sched_getcpu() != w->cpu)
		w->wrong++;
	if (seq == 1000)
		return PHOTON_STAGE_END;
	if (out)
		memcpy(out, &seq, sizeof(seq));
	return PHOTON_OK;
}

static void test_pinned(void **state)
{
	struct photon_topology *t;
	cpu_set_t set;
	int cpus[2], n = 0, i;
	struct where wa, wb;
	struct photon_stage_opts a = { .name = "pinned-A",
				       .fn = where_fn,
				       .ctx = &wa,
				       .out_size = sizeof(uint64_t),
				       .flags = PHOTON_STAGE_PIN };
	struct photon_stage_opts b = { .name = "pinned-B",
				       .fn = where_fn,
				       .ctx = &wb,
				       .flags = PHOTON_STAGE_PIN };
	unsigned ia, ib;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	if (n == 1)
		cpus[n++] = cpus[0];
	wa = (struct where){ .cpu = cpus[0] };
	wb = (struct where){ .cpu = cpus[1] };
	a.cpu = (unsigned)cpus[0];
	b.cpu = (unsigned)cpus[1];
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &a, &ia), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &b, &ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(wa.wrong, 0);
	assert_int_equal(wb.wrong, 0);
	photon_topology_destroy(t);

	/* A CPU outside the process's mask: start fails, nothing leaks. */
	for (i = CPU_SETSIZE - 1; i >= 0 && CPU_ISSET(i, &set); i--)
		;
	a.cpu = (unsigned)i;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &a, &ia), PHOTON_OK);
	b.flags = 0;
	assert_rc(photon_topology_add_stage(t, &b, &ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	/* B starts after A: A's failure leaves nothing running. */
	assert_rc(photon_topology_start(t), PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "pinned-A"));
	photon_topology_destroy(t);
}

static void test_wait_strategies(void **state)
{
	static const enum photon_wait_kind kinds[] = {
		PHOTON_WAIT_ADAPTIVE,	PHOTON_WAIT_BUSY_SPIN,
		PHOTON_WAIT_YIELD_SPIN, PHOTON_WAIT_BACKOFF_SPIN,
		PHOTON_WAIT_MONITOR,	PHOTON_WAIT_PARK
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct photon_topology *t;
		struct source_ctx a = { .limit = 5000 };
		struct sink_ctx c = { .step = 1 };
		struct photon_stage_opts so = { .fn = source_fn,
						.ctx = &a,
						.out_size = sizeof(uint64_t),
						.capacity = 256,
						.spin_polls = 16,
						.sleep_ns = 1000 };
		struct photon_stage_opts ko = { .fn = count_fn,
						.ctx = &c,
						.spin_polls = 16,
						.sleep_ns = 1000 };
		unsigned ia, ib;

		so.wait.kind = kinds[k];
		ko.wait.kind = kinds[k];
		assert_rc(photon_topology_create(&t), PHOTON_OK);
		assert_rc(photon_topology_add_stage(t, &so, &ia), PHOTON_OK);
		assert_rc(photon_topology_add_stage(t, &ko, &ib), PHOTON_OK);
		assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
		assert_rc(photon_topology_start(t), PHOTON_OK);
		assert_rc(photon_topology_wait(t), PHOTON_OK);
		assert_int_equal(c.count, 5000);
		assert_int_equal(c.errors, 0);
		photon_topology_destroy(t);
	}
}

/* A source with nothing to offer (SKIP: it polls something external) and
 * a parked sink: stop ends both. */
static int idle_source_fn(void *ctx, uint64_t seq, const void *const *in,
			  void *out)
{
	(void)ctx;
	(void)seq;
	(void)in;
	(void)out;
	return PHOTON_STAGE_SKIP;
}

static void test_stop_idle(void **state)
{
	struct photon_topology *t;
	struct sink_ctx c = { .step = 1 };
	struct photon_stage_opts so = { .fn = idle_source_fn,
					.out_size = sizeof(uint64_t) };
	struct photon_stage_opts ko = { .fn = count_fn, .ctx = &c };
	struct photon_stage_stats s;
	unsigned ia, ib;

	(void)state;
	ko.wait.kind = PHOTON_WAIT_PARK;
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &so, &ia), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &ko, &ib), PHOTON_OK);
	assert_rc(photon_topology_link(t, ia, ib), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	/* Data, not time: the source has been idle long enough to sleep. */
	for (;;) {
		stats(t, ia, &s);
		if (s.sleeps >= 3)
			break;
		sched_yield();
	}
	photon_topology_stop(t);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(c.count, 0);
	stats(t, ia, &s);
	assert_int_equal(s.processed, 0);
	assert_int_equal(s.published, 0);
	photon_topology_destroy(t);
}

static void test_bad_input(void **state)
{
	struct photon_topology *t;
	struct photon_stage_opts o = { .fn = pass_fn,
				       .out_size = sizeof(uint64_t) };
	struct photon_stage_opts sink = { .fn = count_fn };
	struct photon_stage_opts src = { .out_size = 8 };
	struct photon_stage_stats s;
	struct sink_ctx c = { .step = 1 };
	unsigned id, ids[PHOTON_TOPOLOGY_MAX_INPUTS + 1], i, snk, fed, j;
	uint64_t v = 0;

	(void)state;
	sink.ctx = &c;
	assert_rc(photon_topology_create(NULL), PHOTON_EINVAL);
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_EINVAL); /* no stage */
	assert_rc(photon_topology_wait(t), PHOTON_EINVAL);  /* not started */
	assert_rc(photon_topology_add_stage(NULL, &o, &id), PHOTON_EINVAL);
	assert_rc(photon_topology_add_stage(t, NULL, &id), PHOTON_EINVAL);
	assert_rc(photon_topology_add_stage(t, &o, NULL), PHOTON_EINVAL);

	o.reserved[3] = 1;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.reserved[3] = 0;
	o.wait.kind = (enum photon_wait_kind)1000;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.wait.kind = PHOTON_WAIT_ADAPTIVE;
	o.link = (enum photon_link_mode)5;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.link = PHOTON_LINK_LOSSY;
	o.watermark = 2;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.link = PHOTON_LINK_LOSSLESS;
	o.capacity = 4;
	o.watermark = 4; /* >= capacity: the channel refuses it */
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "watermark"));
	o.watermark = 0;
	o.capacity = 1;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.capacity = 0;
	o.out_size = PHOTON_MSG_SIZE_MAX;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.out_size = sizeof(uint64_t);
	o.flags = 0x80;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.flags = PHOTON_STAGE_PIN;
	o.cpu = CPU_SETSIZE;
	assert_rc(photon_topology_add_stage(t, &o, &id), PHOTON_EINVAL);
	o.flags = 0;
	src.out_size = 0; /* a user-fed source with nothing to publish */
	assert_rc(photon_topology_add_stage(t, &src, &id), PHOTON_EINVAL);
	src.out_size = 8;
	assert_int_equal(photon_topology_stage_count(t), 0);

	/* Links: indices, direction, outputs, functions, input count. */
	assert_rc(photon_topology_add_stage(t, &src, &fed), PHOTON_OK);
	for (i = 0; i <= PHOTON_TOPOLOGY_MAX_INPUTS; i++)
		assert_rc(photon_topology_add_stage(t, &o, &ids[i]), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &sink, &snk), PHOTON_OK);
	assert_rc(photon_topology_link(NULL, 0, 1), PHOTON_EINVAL);
	assert_rc(photon_topology_link(t, fed, 999), PHOTON_EINVAL);
	assert_rc(photon_topology_link(t, ids[1], ids[0]), PHOTON_EINVAL);
	assert_rc(photon_topology_link(t, ids[0], ids[0]), PHOTON_EINVAL);
	assert_rc(photon_topology_link(t, snk, snk), PHOTON_EINVAL);
	assert_rc(photon_topology_add_stage(t, &src, &id), PHOTON_OK);
	assert_rc(photon_topology_link(t, snk, id), PHOTON_EINVAL); /* no out */
	assert_rc(photon_topology_link(t, fed, id), PHOTON_EINVAL); /* no fn */
	for (i = 0; i < PHOTON_TOPOLOGY_MAX_INPUTS; i++)
		assert_rc(photon_topology_link(t, ids[i], snk), PHOTON_OK);
	assert_rc(photon_topology_link(t, ids[PHOTON_TOPOLOGY_MAX_INPUTS], snk),
		  PHOTON_EINVAL);
	/* Feed every pass-through stage, so the 8-way join ends. */
	for (i = 0; i < PHOTON_TOPOLOGY_MAX_INPUTS; i++)
		assert_rc(photon_topology_link(t, fed, ids[i]), PHOTON_OK);
	assert_rc(photon_topology_link(t, fed, ids[i]), PHOTON_OK);

	/* Getters. */
	assert_rc(photon_topology_stage_stats(t, 999, &s), PHOTON_EINVAL);
	assert_rc(photon_topology_stage_stats(t, fed, NULL), PHOTON_EINVAL);
	assert_rc(photon_topology_stage_stats(NULL, 0, &s), PHOTON_EINVAL);
	assert_null(photon_topology_stage_name(t, 999));
	assert_null(photon_topology_stage_name(NULL, 0));
	assert_int_equal(photon_topology_stage_count(NULL), 0);
	assert_int_equal(photon_topology_failed_stage(NULL, NULL), -1);

	/* Publish before start, on a non-source. */
	assert_rc(photon_topology_publish(t, fed, &v), PHOTON_EINVAL);
	assert_rc(photon_topology_close_source(t, fed), PHOTON_EINVAL);
	assert_rc(photon_topology_start(t), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_EINVAL);
	assert_rc(photon_topology_add_stage(t, &o, &j), PHOTON_EINVAL);
	assert_rc(photon_topology_link(t, fed, ids[0]), PHOTON_EINVAL);
	assert_rc(photon_topology_publish(t, ids[0], &v), PHOTON_EINVAL);
	assert_rc(photon_topology_publish(t, fed, NULL), PHOTON_EINVAL);
	assert_rc(photon_topology_publish(NULL, fed, &v), PHOTON_EINVAL);
	for (v = 0; v < 100; v++)
		assert_rc(photon_topology_publish(t, fed, &v), PHOTON_OK);
	/* `id` has no consumer: publishing to nobody is fine, too. */
	assert_rc(photon_topology_close_source(t, fed), PHOTON_OK);
	assert_rc(photon_topology_close_source(t, fed), PHOTON_OK);
	assert_rc(photon_topology_close_source(t, id), PHOTON_OK);
	assert_rc(photon_topology_wait(t), PHOTON_OK);
	assert_int_equal(c.count, 100); /* 8-way join of the same stream */
	assert_int_equal(c.errors, 0);
	photon_topology_destroy(t);

	/* A function stage with neither inputs nor output. */
	assert_rc(photon_topology_create(&t), PHOTON_OK);
	assert_rc(photon_topology_add_stage(t, &sink, &id), PHOTON_OK);
	assert_rc(photon_topology_start(t), PHOTON_EINVAL);
	photon_topology_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipeline_million),
		cmocka_unit_test(test_diamond_million),
		cmocka_unit_test(test_user_fed_pipeline),
		cmocka_unit_test(test_failing_stage),
		cmocka_unit_test(test_failing_diamond_user_fed),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_lossy_lag),
		cmocka_unit_test(test_lossy_join),
		cmocka_unit_test(test_start_stop_destroy),
		cmocka_unit_test(test_destroy_open_source),
		cmocka_unit_test(test_stop_from_stage),
		cmocka_unit_test(test_pinned),
		cmocka_unit_test(test_wait_strategies),
		cmocka_unit_test(test_stop_idle),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
