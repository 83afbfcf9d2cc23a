/* SPDX-License-Identifier: MIT */
/*
 * Topologies: stage threads joined by channels (see photon/topology.h).
 *
 * Built on the public channel API only. Each stage owns one output channel
 * (bounded or lossy) and one subscriber per input link; every message on a
 * link is an 8-byte sequence followed by the payload, so a stage with
 * several inputs can join them on the sequence whatever was lost or
 * filtered on the way.
 *
 * Handles: add_stage opens the stage's publisher and link subscribes its
 * consumers, all before any thread runs, so a lossless link already gates
 * its producer when the first message is published (a bounded channel with
 * no consumer registered would not). From start to join, the handles belong
 * to the stage thread, which closes them when it ends: closing its
 * subscribers releases a lossless producer upstream, closing its publisher
 * ends the stream downstream. pthread_create and pthread_join order the
 * hand-overs.
 *
 * Memory-order labels:
 *   S1  photon_topology_stop / a failing stage: stop = 1, release, after
 *       everything that thread published.
 *   S2  stage loop: stop load, acquire; pairs with S1. A stage that saw
 *       stop and then found its inputs empty has read everything published
 *       before S1, so a failing stage's last messages still reach the
 *       stages downstream of it.
 *   F1  failing stage: code stored, then failed = index + 1 by CAS,
 *       release (the first failure wins).
 *   F2  photon_topology_failed_stage / wait: failed load, acquire; pairs
 *       with F1, so the code read after it is the stage's.
 * The counters are single-writer words (the stage's thread, or the thread
 * feeding a user-fed source) stored relaxed and read relaxed by the getters.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define DEFAULT_CAPACITY   1024
#define DEFAULT_SPIN_POLLS 128
#define DEFAULT_SLEEP_NS   50000
#define FIRST_SLEEP_NS	   1000
/* A parked stage wakes this often to check for stop (1 ms). */
#define PARK_SLICE_NS 1000000u
#define SEQ_BYTES     8
#define NAME_BYTES    32

struct stage {
	/* Set by the controlling thread before start; read-only after. */
	char name[NAME_BYTES];
	photon_stage_fn fn;
	void *ctx;
	size_t out_size;
	struct photon_wait wait;
	uint32_t spin_polls;
	uint32_t sleep_ns;
	unsigned flags;
	unsigned cpu;
	unsigned index;
	struct photon_topology *topo;
	struct photon_channel *ch; /* output channel, NULL for a sink */
	unsigned n_in;
	const void *in_payload[PHOTON_TOPOLOGY_MAX_INPUTS];

	/* Owned by the stage's thread (or the feeding thread) while running. */
	struct photon_publisher *pub;
	struct photon_subscriber *in[PHOTON_TOPOLOGY_MAX_INPUTS];
	unsigned char *inbuf[PHOTON_TOPOLOGY_MAX_INPUTS]; /* seq + payload */
	unsigned char *outbuf;				  /* seq + payload */
	uint64_t next_seq; /* sources: the sequence to produce next */
	int code;	   /* the failure value, before F1 */
	pthread_t thread;
	int running; /* a thread was started (joined by wait) */

	/* Single-writer counters, away from the read-mostly lines above. */
	struct photon__atomic64
	    processed PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	struct photon__atomic64 published;
	struct photon__atomic64 lagged;
	struct photon__atomic64 unmatched;
	struct photon__atomic64 full;
	struct photon__atomic64 sleeps;
} PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);

struct photon_topology {
	struct photon__atomic64
	    stop PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	struct photon__atomic64 failed; /* index + 1 of the first failure */
	struct stage **stages PHOTON__ALIGNED(PHOTON__FALSE_SHARING_RANGE);
	unsigned n;
	unsigned cap;
	int started;
	int joined;
};

static void *alloc_aligned(size_t size)
{
	size_t bytes = (size + PHOTON__FALSE_SHARING_RANGE - 1) &
		       ~(size_t)(PHOTON__FALSE_SHARING_RANGE - 1);
	void *p = aligned_alloc(PHOTON__FALSE_SHARING_RANGE, bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}

static void bump(struct photon__atomic64 *c, uint64_t n)
{
	PHOTON__STORE(c, PHOTON__LOAD(c, PHOTON__RELAXED) + n, PHOTON__RELAXED);
}

static int stopping(const struct photon_topology *t)
{
	return PHOTON__LOAD(&t->stop, PHOTON__ACQUIRE) != 0; /* S2 */
}

PHOTON_API void photon_topology_stop(struct photon_topology *t)
{
	if (t)
		PHOTON__STORE(&t->stop, 1, PHOTON__RELEASE); /* S1 */
}

/* ---- the idle policy ---- */

struct idle {
	uint32_t polls; /* empty polls since the last progress */
};

/*
 * One idle step: a pause while within the spin budget, then a sleep.
 * Sleeping rather than sched_yield: with more threads than cores, a yield
 * mostly hands the core to another waiter, not to the thread waited for.
 */
static void idle_step(struct stage *st, struct idle *id)
{
	uint32_t n = id->polls;
	struct timespec ts;
	uint64_t ns;

	if (n < UINT32_MAX)
		id->polls = n + 1;
	if (st->spin_polls == UINT32_MAX || n < st->spin_polls) {
		photon__spin_pause(&st->wait, n);
		return;
	}
	/*
	 * Sleeps double from FIRST_SLEEP_NS up to sleep_ns: a stage waiting
	 * for a consumer to drain a small ring is back soon, one idle for
	 * long wakes every sleep_ns. (The thread keeps the default timer
	 * slack: a 1 us slack measured 2x slower here, from more switches.)
	 */
	n -= st->spin_polls;
	ns = n < 16 ? (uint64_t)FIRST_SLEEP_NS << n : st->sleep_ns;
	if (ns > st->sleep_ns)
		ns = st->sleep_ns;
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	nanosleep(&ts, NULL);
	bump(&st->sleeps, 1);
}

/* ---- stage threads ---- */

/*
 * The idle step of a stage waiting for input. With PHOTON_WAIT_PARK, once
 * the spin budget is spent the stage blocks in photon_recv_timeout on the
 * first input that has no message (a join needs one from each anyway): the
 * publisher's wake-up ends the wait at once, and the timeout bounds how
 * long a parked stage takes to notice photon_topology_stop. Other kinds
 * take the plain idle step.
 */
static void idle_inputs(struct stage *st, struct idle *id, unsigned *have)
{
	unsigned i = 0;
	uint64_t lag0;
	int rc;

	if (st->wait.kind != PHOTON_WAIT_PARK || id->polls < st->spin_polls) {
		idle_step(st, id);
		return;
	}
	while (*have & (1u << i))
		i++;
	lag0 = photon_subscriber_lagged(st->in[i]);
	rc = photon_recv_timeout(st->in[i], st->inbuf[i], &st->wait,
				 PARK_SLICE_NS);
	/* A blocking receive skips a lap itself and only counts it. */
	bump(&st->lagged, photon_subscriber_lagged(st->in[i]) - lag0);
	if (rc == PHOTON_OK) {
		*have |= 1u << i;
		id->polls = 0;
	} else if (rc == PHOTON_EMPTY) {
		bump(&st->sleeps, 1);
	}
	/* CLOSED: the next poll of this input says so again. */
}

/*
 * Publishes outbuf (sequence already in place). Lossless: waits for room
 * with the idle policy, and gives up when the topology stops.
 * Returns PHOTON_OK, PHOTON_FULL (wait == 0) or PHOTON_CLOSED (stopping).
 */
static int emit(struct stage *st, int wait)
{
	struct idle id = { 0 };
	int counted = 0;

	for (;;) {
		int rc = photon_try_publish(st->pub, st->outbuf);

		if (rc == PHOTON_OK) {
			bump(&st->published, 1);
			return PHOTON_OK;
		}
		if (!counted) {
			bump(&st->full, 1);
			counted = 1;
		}
		if (!wait)
			return PHOTON_FULL;
		if (stopping(st->topo))
			return PHOTON_CLOSED;
		idle_step(st, &id);
	}
}

static void set_seq(unsigned char *buf, uint64_t seq)
{
	memcpy(buf, &seq, SEQ_BYTES);
}

static uint64_t get_seq(const unsigned char *buf)
{
	uint64_t seq;

	memcpy(&seq, buf, SEQ_BYTES);
	return seq;
}

/*
 * After a call of the stage function: publishes its output or ends.
 * Returns 1 to go on, 0 at the end of the stream, or stores a failure in
 * *fail and returns 0.
 */
static int handle_result(struct stage *st, int rc, uint64_t seq, int *fail)
{
	switch (rc) {
	case PHOTON_OK:
		if (!st->pub)
			return 1;
		set_seq(st->outbuf, seq);
		return emit(st, 1) == PHOTON_OK;
	case PHOTON_STAGE_SKIP:
		return 1;
	case PHOTON_STAGE_END:
		return 0;
	default:
		*fail = rc;
		return 0;
	}
}

/* A source stage: calls fn for sequence 0, 1, ... until END or stop. */
static int run_source(struct stage *st)
{
	struct idle id = { 0 };
	int fail = 0;

	while (!stopping(st->topo)) {
		uint64_t seq = st->next_seq;
		int rc = st->fn(st->ctx, seq, NULL, st->outbuf + SEQ_BYTES);

		if (rc == PHOTON_STAGE_SKIP) {
			idle_step(st, &id);
			continue;
		}
		id.polls = 0;
		if (rc == PHOTON_OK) {
			st->next_seq = seq + 1;
			bump(&st->processed, 1);
		}
		if (!handle_result(st, rc, seq, &fail))
			break;
	}
	return fail;
}

/*
 * A stage with inputs: holds at most one message per input and calls fn
 * when every input holds the same sequence. A message older than another
 * input's has lost its partner (lag on a lossy link, a filter upstream) and
 * is dropped. Sequences on one link only grow, so this never drops a
 * message that could still be paired. With one input it is a plain loop.
 */
static int run_inputs(struct stage *st)
{
	const unsigned all = (1u << st->n_in) - 1;
	struct idle id = { 0 };
	unsigned have = 0, i;
	int seen_stop = 0, fail = 0;

	for (;;) {
		int progress = 0, ended = 0;

		for (i = 0; i < st->n_in; i++) {
			int rc;

			if (have & (1u << i))
				continue;
			rc = photon_try_recv(st->in[i], st->inbuf[i]);
			if (rc == PHOTON_OK) {
				have |= 1u << i;
				progress = 1;
			} else if (rc == PHOTON_LAGGED) {
				bump(&st->lagged,
				     photon_subscriber_last_skipped(st->in[i]));
				progress = 1;
			} else if (rc == PHOTON_CLOSED) {
				ended = 1;
			}
		}
		if (have == all) {
			uint64_t max = 0, seq;

			for (i = 0; i < st->n_in; i++) {
				seq = get_seq(st->inbuf[i]);
				max = seq > max ? seq : max;
			}
			for (i = 0; i < st->n_in; i++) {
				if (get_seq(st->inbuf[i]) < max) {
					have &= ~(1u << i);
					bump(&st->unmatched, 1);
				}
			}
			if (have != all)
				continue;
			have = 0;
			id.polls = 0;
			bump(&st->processed, 1);
			if (!handle_result(st,
					   st->fn(st->ctx, max, st->in_payload,
						  st->outbuf
						      ? st->outbuf + SEQ_BYTES
						      : NULL),
					   max, &fail))
				return fail;
			continue;
		}
		/* An input without a message is closed: nothing can pair. */
		if (ended)
			return 0;
		if (progress) {
			id.polls = 0;
			continue;
		}
		/* Empty after seeing stop: everything before S1 was read. */
		if (seen_stop)
			return 0;
		if (stopping(st->topo)) {
			seen_stop = 1;
			continue;
		}
		idle_inputs(st, &id, &have);
	}
}

static void record_failure(struct stage *st, int code)
{
	struct photon_topology *t = st->topo;
	uint64_t none = 0;

	st->code = code;
	/* F1, pairs with F2: the first failure wins. */
	__atomic_compare_exchange_n(&t->failed.v, &none, st->index + 1, 0,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	photon_topology_stop(t);
}

/* Closes a stage's handles: upstream is released, downstream sees CLOSED. */
static void close_handles(struct stage *st)
{
	unsigned i;

	for (i = 0; i < st->n_in; i++) {
		photon_subscriber_close(st->in[i]);
		st->in[i] = NULL;
	}
	photon_publisher_close(st->pub);
	st->pub = NULL;
}

static void *stage_main(void *arg)
{
	struct stage *st = arg;
	char tname[16];
	int fail;

	/* Thread names show in top and gdb; at most 15 bytes. */
	memcpy(tname, st->name, sizeof(tname) - 1);
	tname[sizeof(tname) - 1] = '\0';
	if (tname[0])
		pthread_setname_np(pthread_self(), tname);

	fail = st->n_in ? run_inputs(st) : run_source(st);
	if (fail)
		record_failure(st, fail);
	close_handles(st);
	return NULL;
}

/* ---- control plane ---- */

PHOTON_API int photon_topology_create(struct photon_topology **out)
{
	struct photon_topology *t;

	if (!out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_topology_create: NULL argument");
	*out = NULL;
	t = alloc_aligned(sizeof(*t));
	if (!t)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a topology");
	*out = t;
	return PHOTON_OK;
}

static struct stage *get_stage(const struct photon_topology *t, unsigned id)
{
	return t && id < t->n ? t->stages[id] : NULL;
}

static int check_stage_opts(const struct photon_stage_opts *o)
{
	size_t i;

	for (i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return photon__fail(
			    PHOTON_EINVAL,
			    "photon_stage_opts.reserved must be zero");
	if (o->out_size > PHOTON_MSG_SIZE_MAX - SEQ_BYTES)
		return photon__fail(PHOTON_EINVAL,
				    "out_size %zu: at most %zu bytes (the "
				    "sequence takes 8 of a message)",
				    o->out_size,
				    (size_t)PHOTON_MSG_SIZE_MAX - SEQ_BYTES);
	if (!o->fn && !o->out_size)
		return photon__fail(PHOTON_EINVAL,
				    "a stage without a function is a source "
				    "the user feeds: it needs an out_size");
	if (o->link != PHOTON_LINK_LOSSLESS && o->link != PHOTON_LINK_LOSSY)
		return photon__fail(PHOTON_EINVAL, "unknown link mode %d",
				    (int)o->link);
	if (o->link == PHOTON_LINK_LOSSY && o->watermark)
		return photon__fail(PHOTON_EINVAL,
				    "watermark %zu given for a lossy link",
				    o->watermark);
	/* Asks wait.c, so kinds added there are accepted here too. */
	if (strcmp(photon_wait_name(o->wait.kind), "unknown") == 0)
		return photon__fail(PHOTON_EINVAL, "unknown wait kind %d",
				    (int)o->wait.kind);
	if (o->flags & ~(unsigned)PHOTON_STAGE_PIN)
		return photon__fail(PHOTON_EINVAL, "unknown stage flags 0x%x",
				    o->flags & ~(unsigned)PHOTON_STAGE_PIN);
	if ((o->flags & PHOTON_STAGE_PIN) && o->cpu >= CPU_SETSIZE)
		return photon__fail(PHOTON_EINVAL,
				    "cpu %u: above CPU_SETSIZE (%d)", o->cpu,
				    CPU_SETSIZE);
	return PHOTON_OK;
}

/* Opens a stage's output channel and its publisher. */
static int open_output(struct stage *st, const struct photon_stage_opts *o)
{
	size_t cap = o->capacity ? o->capacity : DEFAULT_CAPACITY;
	size_t size = SEQ_BYTES + o->out_size;
	char detail[256];
	int rc;

	if (o->link == PHOTON_LINK_LOSSY)
		rc = photon_channel_create(&st->ch, cap, size);
	else
		rc = photon_channel_create_bounded(&st->ch, cap, size,
						   o->watermark);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(st->ch, &st->pub);
	if (rc != PHOTON_OK) {
		/* Keep the channel's own detail, say which stage. */
		snprintf(detail, sizeof(detail), "%s",
			 photon_last_error_message());
		return photon__fail(rc, "stage '%s' output: %s", st->name,
				    detail);
	}
	st->outbuf = malloc(size);
	if (!st->outbuf)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for stage '%s'", st->name);
	return PHOTON_OK;
}

static void free_stage(struct stage *st)
{
	unsigned i;

	close_handles(st);
	for (i = 0; i < st->n_in; i++)
		free(st->inbuf[i]);
	free(st->outbuf);
	photon_channel_release(st->ch);
	free(st);
}

PHOTON_API int photon_topology_add_stage(struct photon_topology *t,
					 const struct photon_stage_opts *opts,
					 unsigned *id)
{
	struct stage *st;
	int rc;

	if (!t || !opts || !id)
		return photon__fail(PHOTON_EINVAL,
				    "photon_topology_add_stage: NULL argument");
	if (t->started)
		return photon__fail(PHOTON_EINVAL,
				    "the topology was started: stages are "
				    "added before photon_topology_start");
	rc = check_stage_opts(opts);
	if (rc != PHOTON_OK)
		return rc;
	if (t->n == t->cap) {
		unsigned cap = t->cap ? 2 * t->cap : 8;
		struct stage **s = realloc(t->stages, cap * sizeof(*s));

		if (!s)
			return photon__fail(PHOTON_ENOMEM,
					    "out of memory for a stage");
		t->stages = s;
		t->cap = cap;
	}
	st = alloc_aligned(sizeof(*st));
	if (!st)
		return photon__fail(PHOTON_ENOMEM, "out of memory for a stage");
	if (opts->name)
		snprintf(st->name, sizeof(st->name), "%s", opts->name);
	st->fn = opts->fn;
	st->ctx = opts->ctx;
	st->out_size = opts->out_size;
	st->wait = opts->wait;
	st->spin_polls =
	    opts->spin_polls ? opts->spin_polls : DEFAULT_SPIN_POLLS;
	st->sleep_ns = opts->sleep_ns ? opts->sleep_ns : DEFAULT_SLEEP_NS;
	st->flags = opts->flags;
	st->cpu = opts->cpu;
	st->index = t->n;
	st->topo = t;
	if (opts->out_size) {
		rc = open_output(st, opts);
		if (rc != PHOTON_OK) {
			free_stage(st);
			return rc;
		}
	}
	t->stages[t->n++] = st;
	*id = st->index;
	return PHOTON_OK;
}

PHOTON_API int photon_topology_link(struct photon_topology *t, unsigned from,
				    unsigned to)
{
	struct stage *a = get_stage(t, from), *b = get_stage(t, to);
	unsigned char *buf;
	int rc;

	if (!a || !b)
		return photon__fail(PHOTON_EINVAL,
				    "photon_topology_link: no stage %u",
				    a ? to : from);
	if (t->started)
		return photon__fail(PHOTON_EINVAL,
				    "the topology was started: links are "
				    "made before photon_topology_start");
	if (from >= to)
		return photon__fail(PHOTON_EINVAL,
				    "link %u -> %u: links go from an earlier "
				    "stage to a later one",
				    from, to);
	if (!a->ch)
		return photon__fail(PHOTON_EINVAL,
				    "stage '%s' (#%u) has no output "
				    "(out_size 0)",
				    a->name, from);
	if (!b->fn)
		return photon__fail(PHOTON_EINVAL,
				    "stage '%s' (#%u) has no function: a "
				    "user-fed source takes no input",
				    b->name, to);
	if (b->n_in == PHOTON_TOPOLOGY_MAX_INPUTS)
		return photon__fail(PHOTON_EINVAL,
				    "stage '%s' (#%u) has %d inputs already",
				    b->name, to, PHOTON_TOPOLOGY_MAX_INPUTS);
	buf = malloc(SEQ_BYTES + a->out_size);
	if (!buf)
		return photon__fail(PHOTON_ENOMEM, "out of memory for a link");
	/* Nothing is published before start: this sees the whole stream. */
	rc = photon_subscribe(a->ch, &b->in[b->n_in]);
	if (rc != PHOTON_OK) {
		free(buf);
		return rc;
	}
	b->inbuf[b->n_in] = buf;
	b->in_payload[b->n_in] = buf + SEQ_BYTES;
	b->n_in++;
	return PHOTON_OK;
}

/* Ends the user-fed sources still open (the feeding thread's job). */
static void close_sources(struct photon_topology *t)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (!t->stages[i]->fn)
			close_handles(t->stages[i]);
}

static void join_all(struct photon_topology *t)
{
	unsigned i;

	close_sources(t);
	for (i = 0; i < t->n; i++) {
		struct stage *st = t->stages[i];

		if (st->running) {
			pthread_join(st->thread, NULL);
			st->running = 0;
		}
	}
	t->joined = 1;
}

static int start_stage(struct stage *st)
{
	pthread_attr_t attr;
	int rc;

	rc = pthread_attr_init(&attr);
	if (rc == 0 && (st->flags & PHOTON_STAGE_PIN)) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(st->cpu, &set);
		rc = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (rc == 0) {
		rc = pthread_create(&st->thread, &attr, stage_main, st);
		pthread_attr_destroy(&attr);
	}
	if (rc == 0) {
		st->running = 1;
		return PHOTON_OK;
	}
	if (rc == EINVAL && (st->flags & PHOTON_STAGE_PIN))
		return photon__fail(PHOTON_EINVAL,
				    "stage '%s': cannot run on CPU %u (not "
				    "in this process's affinity mask?)",
				    st->name, st->cpu);
	errno = rc;
	if (rc == EAGAIN)
		return photon__fail(PHOTON_ESYS,
				    "stage '%s': no resources for a thread",
				    st->name);
	return photon__fail(PHOTON_ESYS, "stage '%s': pthread_create: %s",
			    st->name, strerror(rc));
}

PHOTON_API int photon_topology_start(struct photon_topology *t)
{
	unsigned i;
	int rc;

	if (!t)
		return photon__fail(PHOTON_EINVAL,
				    "photon_topology_start: NULL argument");
	if (t->started)
		return photon__fail(PHOTON_EINVAL,
				    "the topology was started already");
	if (t->n == 0)
		return photon__fail(PHOTON_EINVAL, "the topology has no stage");
	for (i = 0; i < t->n; i++) {
		struct stage *st = t->stages[i];

		if (st->fn && !st->n_in && !st->ch)
			return photon__fail(PHOTON_EINVAL,
					    "stage '%s' (#%u) has neither "
					    "inputs nor an output",
					    st->name, i);
	}
	t->started = 1;
	for (i = 0; i < t->n; i++) {
		if (!t->stages[i]->fn)
			continue;
		rc = start_stage(t->stages[i]);
		if (rc != PHOTON_OK) {
			photon_topology_stop(t);
			join_all(t);
			return rc;
		}
	}
	return PHOTON_OK;
}

static struct stage *user_source(struct photon_topology *t, unsigned id)
{
	struct stage *st = get_stage(t, id);

	return st && !st->fn && t->started ? st : NULL;
}

static int feed(struct photon_topology *t, unsigned id, const void *msg,
		int wait)
{
	struct stage *st = user_source(t, id);
	int rc;

	if (!st || !msg)
		return PHOTON_EINVAL;
	if (!st->pub || stopping(t))
		return PHOTON_CLOSED;
	set_seq(st->outbuf, st->next_seq);
	memcpy(st->outbuf + SEQ_BYTES, msg, st->out_size);
	rc = emit(st, wait);
	if (rc == PHOTON_OK)
		st->next_seq++;
	return rc;
}

PHOTON_API int photon_topology_publish(struct photon_topology *t,
				       unsigned source, const void *msg)
{
	return feed(t, source, msg, 1);
}

PHOTON_API int photon_topology_try_publish(struct photon_topology *t,
					   unsigned source, const void *msg)
{
	return feed(t, source, msg, 0);
}

PHOTON_API int photon_topology_close_source(struct photon_topology *t,
					    unsigned source)
{
	struct stage *st = user_source(t, source);

	if (!st)
		return photon__fail(PHOTON_EINVAL,
				    "stage %u is not a started user-fed source",
				    source);
	close_handles(st);
	return PHOTON_OK;
}

PHOTON_API int photon_topology_failed_stage(const struct photon_topology *t,
					    int *code)
{
	uint64_t f;

	if (!t)
		return -1;
	f = PHOTON__LOAD(&t->failed, PHOTON__ACQUIRE); /* F2, pairs with F1 */
	if (!f)
		return -1;
	if (code)
		*code = t->stages[f - 1]->code;
	return (int)(f - 1);
}

PHOTON_API int photon_topology_wait(struct photon_topology *t)
{
	int code, failed;

	if (!t || !t->started)
		return photon__fail(PHOTON_EINVAL,
				    "photon_topology_wait: not started");
	if (!t->joined)
		join_all(t);
	failed = photon_topology_failed_stage(t, &code);
	if (failed < 0)
		return PHOTON_OK;
	return photon__fail(code, "stage '%s' (#%d) failed: it returned %d",
			    t->stages[failed]->name, failed, code);
}

PHOTON_API int photon_topology_stage_stats(const struct photon_topology *t,
					   unsigned stage,
					   struct photon_stage_stats *out)
{
	const struct stage *st = get_stage(t, stage);

	if (!st || !out)
		return PHOTON_EINVAL;
	memset(out, 0, sizeof(*out));
	out->processed = PHOTON__LOAD(&st->processed, PHOTON__RELAXED);
	out->published = PHOTON__LOAD(&st->published, PHOTON__RELAXED);
	out->lagged = PHOTON__LOAD(&st->lagged, PHOTON__RELAXED);
	out->unmatched = PHOTON__LOAD(&st->unmatched, PHOTON__RELAXED);
	out->full = PHOTON__LOAD(&st->full, PHOTON__RELAXED);
	out->sleeps = PHOTON__LOAD(&st->sleeps, PHOTON__RELAXED);
	return PHOTON_OK;
}

PHOTON_API const char *
photon_topology_stage_name(const struct photon_topology *t, unsigned stage)
{
	const struct stage *st = get_stage(t, stage);

	return st ? st->name : NULL;
}

PHOTON_API size_t photon_topology_stage_count(const struct photon_topology *t)
{
	return t ? t->n : 0;
}

PHOTON_API void photon_topology_destroy(struct photon_topology *t)
{
	unsigned i;

	if (!t)
		return;
	if (t->started && !t->joined) {
		photon_topology_stop(t);
		join_all(t);
	}
	for (i = 0; i < t->n; i++)
		free_stage(t->stages[i]);
	free(t->stages);
	free(t);
}
