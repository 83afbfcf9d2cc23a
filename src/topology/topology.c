/* SPDX-License-Identifier: MIT */
/*
 * Topologies, the control plane: stages and links made before start, the
 * threads started and joined, user-fed sources, failures and statistics.
 * The stage threads themselves run in stage.c. Memory-order labels as in
 * private.h.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define DEFAULT_CAPACITY   1024
#define DEFAULT_SPIN_POLLS 128
#define DEFAULT_SLEEP_NS   50000

static void *alloc_aligned(size_t size)
{
	size_t bytes = (size + PHOTON__FALSE_SHARING_RANGE - 1) &
		       ~(size_t)(PHOTON__FALSE_SHARING_RANGE - 1);
	void *p = aligned_alloc(PHOTON__FALSE_SHARING_RANGE, bytes);

	if (p)
		memset(p, 0, bytes);
	return p;
}

PHOTON_API void photon_topology_stop(struct photon_topology *t)
{
	if (t)
		PHOTON__STORE(&t->stop, 1, PHOTON__RELEASE); /* S1 */
}

PHOTON_API int photon_topology_create(struct photon_topology **out)
{
	struct photon_topology *t;

	if (!out)
		return photon_set_error(
		    PHOTON_EINVAL, "photon_topology_create: NULL argument");
	*out = NULL;
	t = alloc_aligned(sizeof(*t));
	if (!t)
		return photon_set_error(PHOTON_ENOMEM,
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
			return photon_set_error(
			    PHOTON_EINVAL,
			    "photon_stage_opts.reserved must be zero");
	if (o->out_size > PHOTON_MSG_SIZE_MAX - SEQ_BYTES)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "out_size %zu: at most %zu bytes (the "
		    "sequence takes 8 of a message)",
		    o->out_size, (size_t)PHOTON_MSG_SIZE_MAX - SEQ_BYTES);
	if (!o->fn && !o->out_size)
		return photon_set_error(
		    PHOTON_EINVAL, "a stage without a function is a source "
				   "the user feeds: it needs an out_size");
	if (o->link != PHOTON_LINK_LOSSLESS && o->link != PHOTON_LINK_LOSSY)
		return photon_set_error(PHOTON_EINVAL, "unknown link mode %d",
					(int)o->link);
	if (o->link == PHOTON_LINK_LOSSY && o->watermark)
		return photon_set_error(PHOTON_EINVAL,
					"watermark %zu given for a lossy link",
					o->watermark);
	/* Asks wait.c, so kinds added there are accepted here too. */
	if (strcmp(photon_wait_name(o->wait.kind), "unknown") == 0)
		return photon_set_error(PHOTON_EINVAL, "unknown wait kind %d",
					(int)o->wait.kind);
	if (o->flags & ~(unsigned)PHOTON_STAGE_PIN)
		return photon_set_error(PHOTON_EINVAL,
					"unknown stage flags 0x%x",
					o->flags & ~(unsigned)PHOTON_STAGE_PIN);
	if ((o->flags & PHOTON_STAGE_PIN) && o->cpu >= CPU_SETSIZE)
		return photon_set_error(PHOTON_EINVAL,
					"cpu %u: above CPU_SETSIZE (%d)",
					o->cpu, CPU_SETSIZE);
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
		return photon_set_error(rc, "stage '%s' output: %s", st->name,
					detail);
	}
	st->outbuf = malloc(size);
	if (!st->outbuf)
		return photon_set_error(
		    PHOTON_ENOMEM, "out of memory for stage '%s'", st->name);
	return PHOTON_OK;
}

static void free_stage(struct stage *st)
{
	unsigned i;

	photon__stage_close_handles(st);
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
		return photon_set_error(
		    PHOTON_EINVAL, "photon_topology_add_stage: NULL argument");
	if (t->started)
		return photon_set_error(PHOTON_EINVAL,
					"the topology was started: stages are "
					"added before photon_topology_start");
	rc = check_stage_opts(opts);
	if (rc != PHOTON_OK)
		return rc;
	if (t->n == t->cap) {
		unsigned cap = t->cap ? 2 * t->cap : 8;
		struct stage **s = realloc(t->stages, cap * sizeof(*s));

		if (!s)
			return photon_set_error(PHOTON_ENOMEM,
						"out of memory for a stage");
		t->stages = s;
		t->cap = cap;
	}
	st = alloc_aligned(sizeof(*st));
	if (!st)
		return photon_set_error(PHOTON_ENOMEM,
					"out of memory for a stage");
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
		return photon_set_error(PHOTON_EINVAL,
					"photon_topology_link: no stage %u",
					a ? to : from);
	if (t->started)
		return photon_set_error(PHOTON_EINVAL,
					"the topology was started: links are "
					"made before photon_topology_start");
	if (from >= to)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "link %u -> %u: links go from an earlier "
		    "stage to a later one",
		    from, to);
	if (!a->ch)
		return photon_set_error(PHOTON_EINVAL,
					"stage '%s' (#%u) has no output "
					"(out_size 0)",
					a->name, from);
	if (!b->fn)
		return photon_set_error(PHOTON_EINVAL,
					"stage '%s' (#%u) has no function: a "
					"user-fed source takes no input",
					b->name, to);
	if (b->n_in == PHOTON_TOPOLOGY_MAX_INPUTS)
		return photon_set_error(
		    PHOTON_EINVAL, "stage '%s' (#%u) has %d inputs already",
		    b->name, to, PHOTON_TOPOLOGY_MAX_INPUTS);
	buf = malloc(SEQ_BYTES + a->out_size);
	if (!buf)
		return photon_set_error(PHOTON_ENOMEM,
					"out of memory for a link");
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
			photon__stage_close_handles(t->stages[i]);
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
		rc = pthread_create(&st->thread, &attr, photon__stage_main, st);
		pthread_attr_destroy(&attr);
	}
	if (rc == 0) {
		st->running = 1;
		return PHOTON_OK;
	}
	if (rc == EINVAL && (st->flags & PHOTON_STAGE_PIN))
		return photon_set_error(PHOTON_EINVAL,
					"stage '%s': cannot run on CPU %u (not "
					"in this process's affinity mask?)",
					st->name, st->cpu);
	errno = rc;
	if (rc == EAGAIN)
		return photon_set_error(PHOTON_ESYS,
					"stage '%s': no resources for a thread",
					st->name);
	return photon_set_error(PHOTON_ESYS, "stage '%s': pthread_create: %s",
				st->name, strerror(rc));
}

PHOTON_API int photon_topology_start(struct photon_topology *t)
{
	unsigned i;
	int rc;

	if (!t)
		return photon_set_error(PHOTON_EINVAL,
					"photon_topology_start: NULL argument");
	if (t->started)
		return photon_set_error(PHOTON_EINVAL,
					"the topology was started already");
	if (t->n == 0)
		return photon_set_error(PHOTON_EINVAL,
					"the topology has no stage");
	for (i = 0; i < t->n; i++) {
		struct stage *st = t->stages[i];

		if (st->fn && !st->n_in && !st->ch)
			return photon_set_error(PHOTON_EINVAL,
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
	rc = photon__stage_emit(st, wait);
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
		return photon_set_error(
		    PHOTON_EINVAL, "stage %u is not a started user-fed source",
		    source);
	photon__stage_close_handles(st);
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
		return photon_set_error(PHOTON_EINVAL,
					"photon_topology_wait: not started");
	if (!t->joined)
		join_all(t);
	failed = photon_topology_failed_stage(t, &code);
	if (failed < 0)
		return PHOTON_OK;
	return photon_set_error(code, "stage '%s' (#%d) failed: it returned %d",
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
