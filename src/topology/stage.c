/* SPDX-License-Identifier: MIT */
/*
 * The stage threads: the idle policy, the join of several inputs on the
 * sequence, and a failure's hand-over to the control plane (topology.c).
 * Memory-order labels as in private.h.
 */
#include <time.h>

#include "private.h"

#define FIRST_SLEEP_NS 1000
/* A parked stage wakes this often to check for stop (1 ms). */
#define PARK_SLICE_NS 1000000u

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
		photon_wait_pause(&st->wait, n);
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

int photon__stage_emit(struct stage *st, int wait)
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
		return photon__stage_emit(st, 1) == PHOTON_OK;
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
	PHOTON__CAS(&t->failed, &none, st->index + 1, PHOTON__RELEASE,
		    PHOTON__RELAXED);
	photon_topology_stop(t);
}

void photon__stage_close_handles(struct stage *st)
{
	unsigned i;

	for (i = 0; i < st->n_in; i++) {
		photon_subscriber_close(st->in[i]);
		st->in[i] = NULL;
	}
	photon_publisher_close(st->pub);
	st->pub = NULL;
}

void *photon__stage_main(void *arg)
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
	photon__stage_close_handles(st);
	return NULL;
}
