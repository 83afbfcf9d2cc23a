/* SPDX-License-Identifier: MIT */
/*
 * The measured loops, instantiated once per transport (C or C++). Before
 * including this file, define XT_P to the transport's prefix and two inline
 * functions:
 *
 *   int XT_P_try_send(void *lane, uint64_t v);   1: sent, 0: full
 *   int XT_P_try_recv(void *lane, uint64_t *v);  1: got one, 0: empty
 *
 * This file defines the loops of struct xt_transport as static functions
 * XT_P_oneway_tx ... XT_P_st_empty (XT_LOOPS(XT_P) lists them in the order
 * of the struct) and undefines XT_P, so it can be included again.
 *
 * Every wait (an empty poll, a full queue) is the same for every transport:
 * a bare re-poll, or one PAUSE then the re-poll (run->pause). The loops are
 * instantiated for both, so the choice costs no branch per poll.
 */
#include "xt.h"

#ifndef XT_P
#error "define XT_P before including xt_loops.h"
#endif

#ifndef XT__CAT
#define XT__CAT2(a, b) a##b
#define XT__CAT(a, b)  XT__CAT2(a, b)
#define XT__ALWAYS     static inline __attribute__((always_inline))
#define XT_LOOPS(p)                                                        \
	XT__CAT(p, _oneway_tx), XT__CAT(p, _oneway_rx), XT__CAT(p, _ping), \
	    XT__CAT(p, _pong), XT__CAT(p, _tput_tx), XT__CAT(p, _tput_rx), \
	    XT__CAT(p, _st_roundtrip), XT__CAT(p, _st_empty),              \
	    XT__CAT(p, _st_publish)
#define XT__RELAX(pause)            \
	do {                        \
		if (pause)          \
			xt_pause(); \
	} while (0)
/* The receiver checks for a finished sender once per this many polls. */
#define XT__DONE_CHECK 1023u
#endif

#define XT__F(name) XT__CAT(XT_P, name)

XT__ALWAYS void XT__F(_send)(void *lane, uint64_t v, const int pause)
{
	while (!XT__F(_try_send)(lane, v))
		XT__RELAX(pause);
}

/*
 * Paced sender: one message per interval, the TSC read that ends the wait
 * is the payload. A sender that fell behind (preempted) restarts the
 * schedule instead of bursting to catch up: bursts would measure queueing,
 * not the transport (see the coordinated-omission note in README.md).
 */
XT__ALWAYS void XT__F(_oneway_tx_loop)(void *lane, struct xt_run *run,
				       const int pause)
{
	uint64_t next = xt_tsc() + run->interval, i, now;

	for (i = 0; i < run->total; i++) {
		while ((now = xt_tsc()) < next)
			;
		XT__F(_send)(lane, now, pause);
		if (now - next > run->interval)
			next = now;
		next += run->interval;
	}
	__atomic_store_n(&run->done.v, 1, __ATOMIC_RELEASE);
}

static void XT__F(_oneway_tx)(void *lane, struct xt_run *run)
{
	if (run->pause)
		XT__F(_oneway_tx_loop)(lane, run, 1);
	else
		XT__F(_oneway_tx_loop)(lane, run, 0);
}

XT__ALWAYS void XT__F(_oneway_rx_loop)(void *lane, struct xt_run *run,
				       const int pause)
{
	uint64_t i = 0, v, t;
	unsigned polls = 0;

	while (i < run->total) {
		if (!XT__F(_try_recv)(lane, &v)) {
			if ((++polls & XT__DONE_CHECK) != 0 ||
			    !__atomic_load_n(&run->done.v, __ATOMIC_ACQUIRE)) {
				XT__RELAX(pause);
				continue;
			}
			/*
			 * The sender is done (its stores are visible after
			 * the acquire): one last look, then stop - a lossy
			 * transport may have dropped the last messages.
			 */
			if (!XT__F(_try_recv)(lane, &v))
				break;
		}
		t = xt_tscp();
		if (i >= run->warmup)
			run->samples[i - run->warmup] = t - v;
		i++;
	}
	run->received = i;
}

static void XT__F(_oneway_rx)(void *lane, struct xt_run *run)
{
	if (run->pause)
		XT__F(_oneway_rx_loop)(lane, run, 1);
	else
		XT__F(_oneway_rx_loop)(lane, run, 0);
}

/* Ping: send the TSC, wait for the echo; the sample is the round trip. */
XT__ALWAYS void XT__F(_ping_loop)(void *out, void *in, struct xt_run *run,
				  const int pause)
{
	uint64_t i, v, t;

	for (i = 0; i < run->total; i++) {
		XT__F(_send)(out, xt_tsc(), pause);
		while (!XT__F(_try_recv)(in, &v))
			XT__RELAX(pause);
		t = xt_tscp();
		if (i >= run->warmup)
			run->samples[i - run->warmup] = t - v;
	}
	run->received = i;
}

static void XT__F(_ping)(void *out, void *in, struct xt_run *run)
{
	if (run->pause)
		XT__F(_ping_loop)(out, in, run, 1);
	else
		XT__F(_ping_loop)(out, in, run, 0);
}

XT__ALWAYS void XT__F(_pong_loop)(void *in, void *out, struct xt_run *run,
				  const int pause)
{
	uint64_t i, v;

	for (i = 0; i < run->total; i++) {
		while (!XT__F(_try_recv)(in, &v))
			XT__RELAX(pause);
		XT__F(_send)(out, v, pause);
	}
}

static void XT__F(_pong)(void *in, void *out, struct xt_run *run)
{
	if (run->pause)
		XT__F(_pong_loop)(in, out, run, 1);
	else
		XT__F(_pong_loop)(in, out, run, 0);
}

/* Throughput: 1..total as fast as the queue takes them. */
XT__ALWAYS void XT__F(_tput_tx_loop)(void *lane, struct xt_run *run,
				     const int pause)
{
	uint64_t i, full = 0;

	run->t_start = xt_tsc();
	for (i = 1; i <= run->total; i++) {
		while (!XT__F(_try_send)(lane, i)) {
			full++;
			XT__RELAX(pause);
		}
	}
	run->full = full;
}

static void XT__F(_tput_tx)(void *lane, struct xt_run *run)
{
	if (run->pause)
		XT__F(_tput_tx_loop)(lane, run, 1);
	else
		XT__F(_tput_tx_loop)(lane, run, 0);
}

/*
 * The receiver checks every message: 1, 2, 3 ... in order, none missing;
 * it also counts its empty polls.
 */
XT__ALWAYS void XT__F(_tput_rx_loop)(void *lane, struct xt_run *run,
				     const int pause)
{
	uint64_t expect = 1, v, errors = 0, n = 0, empty = 0;

	while (expect <= run->total) {
		if (XT__F(_try_recv)(lane, &v)) {
			if (v != expect) {
				errors++;
				if (v > expect)
					expect = v;
			}
			expect++;
			n++;
			continue;
		}
		empty++;
		XT__RELAX(pause);
	}
	run->t_end = xt_tscp();
	run->empty = empty;
	run->received = n;
	run->errors = errors;
}

static void XT__F(_tput_rx)(void *lane, struct xt_run *run)
{
	if (run->pause)
		XT__F(_tput_rx_loop)(lane, run, 1);
	else
		XT__F(_tput_rx_loop)(lane, run, 0);
}

/*
 * Single thread (bench_core): n times one send then one receive of it, the
 * queue in L1 - the cost of the two operations themselves. Returns the sum
 * of what was received; *fails counts sends or receives that failed.
 */
static uint64_t XT__F(_st_roundtrip)(void *lane, uint64_t n, uint64_t *fails)
{
	uint64_t i, v = 0, sum = 0, bad = 0;

	for (i = 0; i < n; i++) {
		if (!XT__F(_try_send)(lane, i + 1) ||
		    !XT__F(_try_recv)(lane, &v))
			bad++;
		sum += v;
	}
	*fails += bad;
	return sum;
}

/* Single thread: n polls of an empty queue. Returns how many found one. */
static uint64_t XT__F(_st_empty)(void *lane, uint64_t n)
{
	uint64_t i, v, got = 0;

	for (i = 0; i < n; i++)
		got += (uint64_t)XT__F(_try_recv)(lane, &v);
	return got;
}

/* Single thread: n sends, nobody reading (lossy lanes). Returns how many
 * were taken. */
static uint64_t XT__F(_st_publish)(void *lane, uint64_t n)
{
	uint64_t i, sent = 0;

	for (i = 0; i < n; i++)
		sent += (uint64_t)XT__F(_try_send)(lane, i + 1);
	return sent;
}

#undef XT__F
#undef XT_P
