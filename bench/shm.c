/* SPDX-License-Identifier: MIT */
/*
 * bench_shm (issue 12): a shared channel across two processes against the
 * same run inside one process, and against iceoryx, as ratios.
 *
 * Modes, every one on the same two pinned CPUs (publisher on A, subscriber
 * on B), 8-byte messages, the same loops:
 *
 *   thread        publisher and subscriber are threads of this process, on
 *                 an in-process channel (photon_channel_create_opts)
 *   process       this process creates a shared channel (photon_shm_create,
 *                 a unique name, unlinked after the run) and publishes; the
 *                 subscriber is a forked child that photon_shm_open's it
 *   shm-thread    the shared channel of `process`, its subscriber a thread
 *                 that photon_shm_open's it: what the segment costs without
 *                 the process boundary (tells the two apart)
 *   iceoryx       iceoryx 2.0.3's C binding, publisher and subscriber in two
 *                 forked processes (iceoryx.c; built when found, run when
 *                 RouDi is up)
 *   iceoryx-loan  the same, the chunk loaned before the send time
 *
 * One-way latency: the publisher sends one message every -i ns, the TSC
 * read that ends its wait as the payload (for iceoryx: read before the
 * loan, as the photon stamp is read before the slot is written); the
 * subscriber spins on photon_try_recv (typed inline, or the exported call
 * with -a abi) and subtracts the stamp from its RDTSCP. Lossy channel, -s
 * slots. The run ends when the publisher closes the channel and the
 * subscriber has drained it (PHOTON_CLOSED).
 *
 * Throughput: 1, 2, 3 ... -N messages through a bounded channel (watermark
 * 0), as fast as try_publish takes them; the subscriber checks each is the
 * next. Rate: messages / (subscriber's TSC after the last - publisher's
 * before the first).
 *
 * Rounds: every mode once per round, the order rotated each round; a run
 * in which a measuring thread spent more than 1% of it preempted is redone
 * (up to -R times). The table gives the median over the rounds and the
 * range of the round values; a ratio is given twice: median over rounds of
 * the per-round ratio (both runs made in the same machine state) and the
 * ratio of the two medians.
 *
 * Start-up is never timed: a subscriber (thread or child) subscribes, pins
 * itself, touches its sample pages and writes one byte into a pipe; the
 * publisher blocks in read() on it, then raises `go`; both run the
 * core-to-core probe of xt_common.c and then the measured loop. Nothing
 * sleeps on the measured path or in the handshake (iceoryx's set-up polls
 * RouDi's discovery, which is outside the measurement).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <photon/photon.h>

#include "xt.h"

PHOTON_DEFINE_TYPED(shm_u64, uint64_t);

#define ALWAYS	   static inline __attribute__((always_inline))
#define MAX_ROUNDS 101
/* Start-up longer than this (a child stuck before its first byte) fails
 * the run; iceoryx's discovery takes a few hundred ms. */
#define SETUP_TIMEOUT_MS 30000

enum mode { M_THREAD, M_PROCESS, M_SHMTHREAD, M_IOX, M_IOX_LOAN, NMODES };
enum kind { K_LAT, K_TPUT };

static const char *const mode_name[NMODES] = { "thread", "process",
					       "shm-thread", "iceoryx",
					       "iceoryx-loan" };

static int is_iox(enum mode m)
{
	return m == M_IOX || m == M_IOX_LOAN;
}

struct cfg {
	int cpu[2];
	unsigned modes; /* 1 << enum mode */
	int lat, tput;
	uint64_t count, warmup, interval_ns, tput_count;
	size_t capacity;
	int rounds, tput_rounds, retries;
	int abi;
	uint64_t interval; /* ticks */
	double hz;
};

/*
 * Shared by the two sides of a run: threads of this process, or this
 * process and its forked children (MAP_SHARED | MAP_ANONYMOUS).
 */
struct ctl {
	struct xt_flag go;
	struct xt_flag ping, pong; /* the core-to-core probe */
	struct xt_flag done;	   /* iceoryx: the publisher has sent all */
	struct side {
		double runq;  /* share of the loop spent preempted, or -1 */
		uint64_t c2c; /* the probe's half round trip (role 0) */
		int wrong_cpu;
		int finished; /* iceoryx: results written, tearing down */
		char err[256];
	} side[2];
	uint64_t received, lost, errors, t_start, t_end;
};

/* One side of a run. Role 0 publishes on cpu[0], role 1 receives on cpu[1]. */
struct worker {
	const struct cfg *c;
	enum mode mode;
	enum kind kind;
	int role;
	struct ctl *ctl;
	uint64_t *samples;
	int ready_fd;		   /* write end of the handshake pipe */
	struct photon_channel *ch; /* thread mode: the in-process channel */
	const char *name;	   /* shared modes: the segment */
	const char *event;	   /* iceoryx: the service's event name */
};

struct result {
	double pct[5]; /* p50 p90 p99 p99.9 max, ns */
	double rate;   /* throughput, messages/s */
	double c2c;    /* ns */
	double runq;
	uint64_t lost, errors;
	int redone, failed;
	int preempted; /* still preempted > XT_MAX_RUNQ after the redos */
};

/* Runs that count: not failed, not preempted (measured the scheduler). */
static int kept(const struct result *r)
{
	return !r->failed && !r->preempted;
}

static const char *prog = "bench_shm";

/* ---- pinning ---- */

/* Pins the calling thread (a thread, or a process's only thread). */
static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* ---- the handshake ---- */

static void worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	char b = 'E';

	va_start(ap, fmt);
	vsnprintf(w->ctl->side[w->role].err, sizeof(w->ctl->side[0].err), fmt,
		  ap);
	va_end(ap);
	if (write(w->ready_fd, &b, 1) != 1)
		perror("handshake pipe");
}

/* Pinned, subscribed, pages touched: tell the publisher, wait for go. */
static void worker_ready(struct worker *w)
{
	char b = 'R';

	if (sched_getcpu() != w->c->cpu[w->role])
		w->ctl->side[w->role].wrong_cpu = 1;
	if (write(w->ready_fd, &b, 1) != 1)
		perror("handshake pipe");
	while (!__atomic_load_n(&w->ctl->go.v, __ATOMIC_ACQUIRE))
		xt_pause();
	w->ctl->side[w->role].c2c =
	    xt_probe(&w->ctl->ping, &w->ctl->pong, w->role);
}

/* Reads one handshake byte per expected side. 0, or -1 (failed). */
static int await_ready(int fd, int n, struct ctl *ctl)
{
	int got = 0;

	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		char b;
		int r = poll(&p, 1, SETUP_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
				 "no handshake within %d s",
				 SETUP_TIMEOUT_MS / 1000);
			return -1;
		}
		if (read(fd, &b, 1) != 1 || b != 'R')
			return -1; /* the side wrote its reason in ctl */
		got++;
	}
	return 0;
}

/* ---- the photon loops (typed inline, or the exported calls) ---- */

ALWAYS int do_recv(struct photon_subscriber *s, uint64_t *v, const int abi)
{
	return abi ? photon_try_recv(s, v) : shm_u64_try_recv(s, v);
}

ALWAYS int do_publish(struct photon_publisher *p, const uint64_t *v,
		      const int abi)
{
	return abi ? photon_publish(p, v) : shm_u64_publish(p, v);
}

ALWAYS int do_try_publish(struct photon_publisher *p, const uint64_t *v,
			  const int abi)
{
	return abi ? photon_try_publish(p, v) : shm_u64_try_publish(p, v);
}

/*
 * Paced as xt_loops.h: one message per interval, the TSC read that ends
 * the wait is the payload; a sender that fell behind restarts the schedule
 * instead of bursting (bursts would measure queueing).
 */
ALWAYS void lat_tx_loop(struct photon_publisher *p, const struct cfg *c,
			const int abi)
{
	uint64_t total = c->warmup + c->count, interval = c->interval;
	uint64_t next = xt_tsc() + interval, i, now;

	for (i = 0; i < total; i++) {
		while ((now = xt_tsc()) < next)
			;
		do_publish(p, &now, abi); /* lossy: never waits */
		if (now - next > interval)
			next = now;
		next += interval;
	}
}

static __attribute__((noinline)) void lat_tx(struct photon_publisher *p,
					     const struct cfg *c)
{
	if (c->abi)
		lat_tx_loop(p, c, 1);
	else
		lat_tx_loop(p, c, 0);
}

/* Until the channel is closed and drained. */
ALWAYS void lat_rx_loop(struct photon_subscriber *s, struct worker *w,
			const int abi)
{
	uint64_t i = 0, v, t, lost = 0;
	uint64_t warmup = w->c->warmup, count = w->c->count;
	uint64_t *samples = w->samples;

	for (;;) {
		int rc = do_recv(s, &v, abi);

		if (rc == PHOTON_OK) {
			t = xt_tscp();
			if (i >= warmup && i - warmup < count)
				samples[i - warmup] = t - v;
			i++;
			continue;
		}
		if (rc == PHOTON_EMPTY)
			continue;
		if (rc == PHOTON_LAGGED) {
			lost += photon_subscriber_last_skipped(s);
			continue;
		}
		break; /* PHOTON_CLOSED: the publisher is done */
	}
	w->ctl->received = i;
	w->ctl->lost = lost;
}

static __attribute__((noinline)) void lat_rx(struct photon_subscriber *s,
					     struct worker *w)
{
	if (w->c->abi)
		lat_rx_loop(s, w, 1);
	else
		lat_rx_loop(s, w, 0);
}

/* 1 .. N, spinning while full; 0 or -1 (the subscriber is gone). */
ALWAYS int tput_tx_loop(struct photon_publisher *p, struct ctl *ctl,
			const struct cfg *c, pid_t peer, const int abi)
{
	uint64_t i, n = c->tput_count, full = 0;
	int rc;

	ctl->t_start = xt_tsc();
	for (i = 1; i <= n; i++) {
		while ((rc = do_try_publish(p, &i, abi)) != PHOTON_OK) {
			if (rc != PHOTON_FULL)
				return -1;
			/* A dead child would hold the gate for ever. */
			if ((++full & 0xffffff) == 0 && peer > 0 &&
			    waitpid(peer, NULL, WNOHANG) != 0)
				return -1;
		}
	}
	return 0;
}

static __attribute__((noinline)) int tput_tx(struct photon_publisher *p,
					     struct ctl *ctl,
					     const struct cfg *c, pid_t peer)
{
	return c->abi ? tput_tx_loop(p, ctl, c, peer, 1)
		      : tput_tx_loop(p, ctl, c, peer, 0);
}

ALWAYS void tput_rx_loop(struct photon_subscriber *s, struct worker *w,
			 const int abi)
{
	uint64_t expect = 1, v, errors = 0, n = 0, total = w->c->tput_count;

	while (n < total) {
		int rc = do_recv(s, &v, abi);

		if (rc == PHOTON_OK) {
			if (v != expect)
				errors++;
			expect = v + 1;
			n++;
			continue;
		}
		if (rc == PHOTON_EMPTY)
			continue;
		errors++; /* LAGGED cannot happen bounded; CLOSED early */
		if (rc != PHOTON_LAGGED)
			break;
	}
	w->ctl->t_end = xt_tscp();
	w->ctl->received = n;
	w->ctl->errors = errors;
}

static __attribute__((noinline)) void tput_rx(struct photon_subscriber *s,
					      struct worker *w)
{
	if (w->c->abi)
		tput_rx_loop(s, w, 1);
	else
		tput_rx_loop(s, w, 0);
}

/* ---- the subscriber side: a thread or a forked child ---- */

static void photon_subscriber_side(struct worker *w)
{
	struct photon_channel *ch = NULL;
	struct photon_subscriber *s = NULL;
	struct xt_span sp;
	int rc;

	if (pin(w->c->cpu[1]) != 0) {
		worker_fail(w, "cannot pin to CPU %d: %s", w->c->cpu[1],
			    strerror(errno));
		return;
	}
	if (w->mode == M_THREAD) {
		ch = photon_channel_retain(w->ch);
		rc = ch ? PHOTON_OK : PHOTON_EINVAL;
	} else {
		rc = photon_shm_open(&ch, w->name);
	}
	if (rc == PHOTON_OK)
		rc = photon_subscribe(ch, &s);
	if (rc != PHOTON_OK) {
		worker_fail(w, "subscribe: %s: %s", photon_strerror(rc),
			    photon_last_error_message());
		photon_channel_release(ch);
		return;
	}
	if (w->kind == K_LAT) /* fault the pages in before the run */
		memset(w->samples, 0, w->c->count * sizeof(*w->samples));
	worker_ready(w);
	xt_span_start(&sp);
	if (w->kind == K_LAT)
		lat_rx(s, w);
	else
		tput_rx(s, w);
	w->ctl->side[1].runq = xt_span_runq(&sp);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void *subscriber_thread(void *arg)
{
	photon_subscriber_side(arg);
	return NULL;
}

/* In a forked child: die with the parent rather than spin for ever. */
static void child_start(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

/* ---- one run ---- */

static void ctl_reset(struct ctl *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	ctl->side[0].runq = ctl->side[1].runq = -1;
}

static cpu_set_t home; /* the driver's own CPUs, between runs */

/*
 * The photon modes: this thread publishes (pinned to cpu[0]); the
 * subscriber is a thread or a forked child. 0 or -1.
 */
static int run_photon(const struct cfg *c, enum mode m, enum kind k,
		      struct ctl *ctl, uint64_t *samples)
{
	static unsigned serial;
	struct photon_opts o;
	struct photon_channel *ch = NULL;
	struct photon_publisher *p = NULL;
	struct worker w;
	struct xt_span sp;
	char name[64];
	pthread_t th;
	pid_t child = -1, parent = getpid();
	int fds[2] = { -1, -1 }, rc, ret = -1, started = 0, shared;

	shared = m != M_THREAD;
	memset(&o, 0, sizeof(o));
	o.capacity = c->capacity;
	o.msg_size = sizeof(uint64_t);
	if (k == K_TPUT)
		o.flags = PHOTON_BOUNDED; /* watermark 0 */
	snprintf(name, sizeof(name), "photon-bench-shm-%ld-%u", (long)getpid(),
		 serial++);
	rc = shared ? photon_shm_create(&ch, name, &o, 0600)
		    : photon_channel_create_opts(&ch, &o);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(ch, &p);
	if (rc != PHOTON_OK) {
		snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
			 "channel: %s: %s", photon_strerror(rc),
			 photon_last_error_message());
		goto out;
	}
	if (pin(c->cpu[0]) != 0 || pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
			 "pin or pipe: %s", strerror(errno));
		goto out;
	}
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.mode = m;
	w.kind = k;
	w.role = 1;
	w.ctl = ctl;
	w.samples = samples;
	w.ready_fd = fds[1];
	w.ch = ch;
	w.name = name;
	if (m == M_PROCESS) {
		fflush(stdout);
		child = fork();
		if (child == 0) {
			child_start(parent);
			close(fds[0]);
			photon_subscriber_side(&w);
			_exit(0);
		}
		if (child < 0) {
			snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
				 "fork: %s", strerror(errno));
			goto out;
		}
		close(fds[1]); /* EOF when the child dies */
		fds[1] = -1;
	} else {
		errno = pthread_create(&th, NULL, subscriber_thread, &w);
		if (errno) {
			snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
				 "pthread_create: %s", strerror(errno));
			goto out;
		}
	}
	started = 1;
	if (await_ready(fds[0], 1, ctl) != 0)
		goto out;
	if (sched_getcpu() != c->cpu[0])
		ctl->side[0].wrong_cpu = 1;
	__atomic_store_n(&ctl->go.v, 1, __ATOMIC_RELEASE);
	ctl->side[0].c2c = xt_probe(&ctl->ping, &ctl->pong, 0);
	xt_span_start(&sp);
	if (k == K_LAT) {
		lat_tx(p, c);
	} else if (tput_tx(p, ctl, c, child) != 0) {
		snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
			 "publisher: the subscriber is gone");
		goto out;
	}
	ctl->side[0].runq = xt_span_runq(&sp);
	ret = 0;
out:
	/* Closing ends the subscriber's loop (PHOTON_CLOSED once drained). */
	photon_publisher_close(p);
	if (started && m == M_PROCESS) {
		int st;

		if (ret != 0)
			kill(child, SIGKILL);
		if (waitpid(child, &st, 0) == child &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
			ret = -1;
	} else if (started) {
		pthread_join(th, NULL);
	}
	if (ctl->side[1].err[0])
		ret = -1;
	photon_channel_release(ch);
	if (shared && ch)
		photon_shm_unlink(name);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	sched_setaffinity(0, sizeof(home), &home);
	return ret;
}

#ifdef SHM_HAVE_ICEORYX
/* An iceoryx side in a forked child: set up, handshake, run, exit. */
static void iox_side(struct worker *w)
{
	struct xt_span sp;
	struct ctl *ctl = w->ctl;
	char err[200] = "";
	int rc;

	if (pin(w->c->cpu[w->role]) != 0) {
		worker_fail(w, "cannot pin to CPU %d: %s", w->c->cpu[w->role],
			    strerror(errno));
		_exit(1);
	}
	rc = w->role == 0 ? shm_iox_pub_setup(w->event, err, sizeof(err))
			  : shm_iox_sub_setup(w->event, err, sizeof(err));
	if (rc != 0) {
		worker_fail(w, "iceoryx: %s", err);
		shm_iox_teardown();
		_exit(1);
	}
	if (w->role == 1)
		memset(w->samples, 0, w->c->count * sizeof(*w->samples));
	worker_ready(w);
	xt_span_start(&sp);
	if (w->role == 0) {
		ctl->lost =
		    shm_iox_pub_run(w->c->warmup + w->c->count, w->c->interval,
				    w->mode == M_IOX_LOAN, &ctl->done.v);
	} else {
		ctl->received =
		    shm_iox_sub_run(w->c->warmup + w->c->count, w->c->warmup,
				    w->c->count, w->samples, &ctl->done.v);
	}
	ctl->side[w->role].runq = xt_span_runq(&sp);
	__atomic_store_n(&ctl->side[w->role].finished, 1, __ATOMIC_RELEASE);
	shm_iox_teardown();
	/*
	 * exit, not _exit: the runtime deregisters from RouDi in its
	 * destructor (otherwise RouDi drops the process only after 1.5 s
	 * without keep-alive). That destructor waits for RouDi's answer
	 * without a timeout: the alarm ends a child that RouDi has already
	 * dropped (the results are in ctl by now).
	 */
	alarm(5);
	exit(0);
}

/* iceoryx: both sides are forked children (a runtime per process). */
static int run_iox(const struct cfg *c, enum mode m, struct ctl *ctl,
		   uint64_t *samples)
{
	static unsigned serial;
	struct worker w[2];
	char event[64];
	pid_t child[2] = { -1, -1 }, parent = getpid();
	int fds[2], i, ret = 0;

	snprintf(event, sizeof(event), "run%ld_%u", (long)getpid(), serial++);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(ctl->side[0].err, sizeof(ctl->side[0].err), "pipe: %s",
			 strerror(errno));
		return -1;
	}
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].c = c;
		w[i].mode = m;
		w[i].kind = K_LAT;
		w[i].role = i;
		w[i].ctl = ctl;
		w[i].samples = samples;
		w[i].ready_fd = fds[1];
		w[i].event = event;
		child[i] = fork();
		if (child[i] == 0) {
			child_start(parent);
			close(fds[0]);
			iox_side(&w[i]);
		}
		if (child[i] < 0) {
			snprintf(ctl->side[0].err, sizeof(ctl->side[0].err),
				 "fork: %s", strerror(errno));
			ret = -1;
			break;
		}
	}
	close(fds[1]);
	if (ret == 0 && await_ready(fds[0], 2, ctl) != 0)
		ret = -1;
	if (ret == 0)
		__atomic_store_n(&ctl->go.v, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		int st;

		if (child[i] <= 0)
			continue;
		if (ret != 0)
			kill(child[i], SIGKILL);
		if (waitpid(child[i], &st, 0) == child[i] &&
		    !(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
		    !__atomic_load_n(&ctl->side[i].finished, __ATOMIC_ACQUIRE))
			ret = -1;
	}
	close(fds[0]);
	if (ctl->side[0].err[0] || ctl->side[1].err[0])
		ret = -1;
	return ret;
}
#endif

static int measure(const struct cfg *c, enum mode m, enum kind k,
		   struct ctl *ctl, uint64_t *samples, struct result *out)
{
	static const double pcts[5] = { 0.50, 0.90, 0.99, 0.999, 1.0 };
	double ns = 1e9 / c->hz;
	int rc, redone = out->redone, j;

	memset(out, 0, sizeof(*out));
	out->redone = redone;
	ctl_reset(ctl);
#ifdef SHM_HAVE_ICEORYX
	if (is_iox(m))
		rc = run_iox(c, m, ctl, samples);
	else
#endif
		rc = run_photon(c, m, k, ctl, samples);
	if (rc != 0 || ctl->side[0].wrong_cpu || ctl->side[1].wrong_cpu) {
		fprintf(
		    stderr, "\n%s: %s run failed: %s%s%s\n", prog, mode_name[m],
		    ctl->side[0].err[0]	  ? ctl->side[0].err
		    : ctl->side[1].err[0] ? ctl->side[1].err
					  : "a side exited badly",
		    ctl->side[0].wrong_cpu ? " (publisher not on its CPU)" : "",
		    ctl->side[1].wrong_cpu ? " (subscriber not on its CPU)"
					   : "");
		out->failed = 1;
		return -1;
	}
	out->c2c = (double)ctl->side[0].c2c * ns;
	out->runq = ctl->side[0].runq > ctl->side[1].runq ? ctl->side[0].runq
							  : ctl->side[1].runq;
	if (k == K_TPUT) {
		out->errors = ctl->errors + (c->tput_count - ctl->received);
		out->rate = (double)ctl->received /
			    ((double)(ctl->t_end - ctl->t_start) * ns / 1e9);
		return 0;
	}
	/* iceoryx: the subscriber counts what arrived, the publisher the
	 * loans refused; photon: LAGGED skips. */
	out->lost = c->warmup + c->count - ctl->received;
	if (ctl->received <= c->warmup) {
		/* A subscriber kept off its CPU loses a lossy run: redone
		 * like any preempted run. Otherwise something is broken. */
		for (j = 0; j < 5; j++)
			out->pct[j] = NAN;
		if (out->runq > XT_MAX_RUNQ)
			return 0;
		fprintf(
		    stderr,
		    "\n%s: %s: only %llu of %llu messages arrived (%llu not "
		    "sent)\n",
		    prog, mode_name[m], (unsigned long long)ctl->received,
		    (unsigned long long)(c->warmup + c->count),
		    (unsigned long long)ctl->lost);
		out->failed = 1;
		return -1;
	}
	{
		uint64_t n = ctl->received - c->warmup;

		if (n > c->count)
			n = c->count;
		qsort(samples, n, sizeof(*samples), xt_cmp_u64);
		for (j = 0; j < 5; j++)
			out->pct[j] = (double)xt_rank(samples, n, pcts[j]) * ns;
	}
	return 0;
}

/* ---- statistics over the rounds ---- */

/* Median of a double field over the rounds, with its range. */
static double stat(const struct result *r, int n, size_t off, double *lo,
		   double *hi)
{
	double v[MAX_ROUNDS];
	int i, m = 0;

	for (i = 0; i < n; i++)
		if (kept(&r[i]))
			v[m++] = *(const double *)((const char *)&r[i] + off);
	if (lo)
		*lo = NAN;
	if (hi)
		*hi = NAN;
	if (!m)
		return NAN;
	qsort(v, (size_t)m, sizeof(*v), xt_cmp_double);
	if (lo)
		*lo = v[0];
	if (hi)
		*hi = v[m - 1];
	return xt_median(v, m);
}

/* The per-round ratio a/b of a field: median and range. */
static double paired(const struct result *a, const struct result *b, int n,
		     size_t off, double *lo, double *hi)
{
	double v[MAX_ROUNDS];
	int i, m = 0;

	for (i = 0; i < n; i++) {
		double x = *(const double *)((const char *)&a[i] + off);
		double y = *(const double *)((const char *)&b[i] + off);

		if (kept(&a[i]) && kept(&b[i]) && y > 0)
			v[m++] = x / y;
	}
	*lo = *hi = NAN;
	if (!m)
		return NAN;
	qsort(v, (size_t)m, sizeof(*v), xt_cmp_double);
	*lo = v[0];
	*hi = v[m - 1];
	return xt_median(v, m);
}

#define PCT(k) (offsetof(struct result, pct) + (k) * sizeof(double))

static void latency_table(const struct cfg *c, struct result (*res)[MAX_ROUNDS])
{
	static const struct {
		enum mode a, b;
	} pairs[] = { { M_PROCESS, M_THREAD },	  { M_PROCESS, M_IOX },
		      { M_PROCESS, M_IOX_LOAN },  { M_SHMTHREAD, M_THREAD },
		      { M_PROCESS, M_SHMTHREAD }, { M_IOX, M_THREAD } };
	static const int shown[3] = { 0, 2, 3 }; /* p50 p99 p99.9 */
	static const char *const shown_name[3] = { "p50", "p99", "p99.9" };
	int m, j, i, n = c->rounds;
	double lo, hi;

	printf("\none-way latency, ns: median over the kept rounds [min-max "
	       "of those rounds]\n");
	printf("%-13s %22s %7s %22s %24s %8s %6s %5s %5s %4s\n", "mode", "p50",
	       "p90", "p99", "p99.9", "max", "lost", "c2c", "kept", "redo");
	for (m = 0; m < NMODES; m++) {
		uint64_t lost = 0;
		int redo = 0, nk = 0;
		char k[32];

		if (!(c->modes & (1u << m)))
			continue;
		for (i = 0; i < n; i++) {
			redo += res[m][i].redone;
			if (!kept(&res[m][i]))
				continue;
			lost += res[m][i].lost;
			nk++;
		}
		snprintf(k, sizeof(k), "%d/%d", nk, n);
		printf("%-13s", mode_name[m]);
		for (j = 0; j < 5; j++) {
			double v = stat(res[m], n, PCT(j), &lo, &hi);

			if (j == 1 || j == 4)
				printf(" %*.0f", j == 1 ? 7 : 8, v);
			else
				printf(" %7.0f [%6.0f-%-6.0f]", v, lo, hi);
		}
		printf(
		    " %6llu %5.0f %5s %4d\n", (unsigned long long)lost,
		    stat(res[m], n, offsetof(struct result, c2c), NULL, NULL),
		    k, redo);
	}
	printf("\nratios: per round, median [min-max]; (= ratio of the "
	       "medians)\n");
	printf("%-27s", "");
	for (j = 0; j < 3; j++)
		printf(" %-28s", shown_name[j]);
	printf("\n");
	for (i = 0; i < (int)(sizeof(pairs) / sizeof(pairs[0])); i++) {
		enum mode a = pairs[i].a, b = pairs[i].b;
		char label[40];

		if (!(c->modes & (1u << a)) || !(c->modes & (1u << b)))
			continue;
		snprintf(label, sizeof(label), "%s / %s", mode_name[a],
			 mode_name[b]);
		printf("%-27s", label);
		for (j = 0; j < 3; j++) {
			double r =
			    paired(res[a], res[b], n, PCT(shown[j]), &lo, &hi);
			double ma = stat(res[a], n, PCT(shown[j]), NULL, NULL);
			double mb = stat(res[b], n, PCT(shown[j]), NULL, NULL);

			printf(" %5.2f [%4.2f-%-4.2f] (=%5.2f)", r, lo, hi,
			       ma / mb);
		}
		printf("\n");
	}
	if ((c->modes & (1u << M_PROCESS)) && (c->modes & (1u << M_THREAD))) {
		double r = stat(res[M_PROCESS], n, PCT(0), NULL, NULL) /
			   stat(res[M_THREAD], n, PCT(0), NULL, NULL);

		printf("target: cross-process p50 within 1.1 x in-process "
		       "(ratio of the median p50s): %.2f x, %s\n",
		       r, r <= 1.1 ? "met" : "missed");
	}
	for (m = M_IOX; m <= M_IOX_LOAN; m++) {
		double r;

		if (!(c->modes & (1u << M_PROCESS)) || !(c->modes & (1u << m)))
			continue;
		r = stat(res[M_PROCESS], n, PCT(0), NULL, NULL) /
		    stat(res[m], n, PCT(0), NULL, NULL);
		printf("target: cross-process p50 below %s's: %.2f x, %s\n",
		       mode_name[m], r, r < 1 ? "met" : "missed");
	}
}

static int tput_table(const struct cfg *c, struct result (*res)[MAX_ROUNDS])
{
	int m, i, n = c->tput_rounds, bad = 0;
	double lo, hi;

	printf("\nthroughput, bounded, %llu messages per run: Mmsg/s, median "
	       "over the kept rounds [min-max]\n",
	       (unsigned long long)c->tput_count);
	printf("%-13s %8s %19s %8s %5s %5s %4s %s\n", "mode", "Mmsg/s", "range",
	       "ns/msg", "c2c", "kept", "redo", "order errors");
	for (m = 0; m < NMODES; m++) {
		uint64_t err = 0;
		int redo = 0, nk = 0;
		char k[32];
		double v;

		if (!(c->modes & (1u << m)) || is_iox(m))
			continue;
		for (i = 0; i < n; i++) {
			redo += res[m][i].redone;
			if (res[m][i].failed)
				continue;
			/* A preempted run still checked the order. */
			err += res[m][i].errors;
			nk += !res[m][i].preempted;
		}
		snprintf(k, sizeof(k), "%d/%d", nk, n);
		v = stat(res[m], n, offsetof(struct result, rate), &lo, &hi);
		printf(
		    "%-13s %8.2f %8.2f-%-10.2f %8.2f %5.0f %5s %4d %llu\n",
		    mode_name[m], v / 1e6, lo / 1e6, hi / 1e6, 1e9 / v,
		    stat(res[m], n, offsetof(struct result, c2c), NULL, NULL),
		    k, redo, (unsigned long long)err);
		if (err)
			bad = 1;
	}
	if ((c->modes & (1u << M_PROCESS)) && (c->modes & (1u << M_THREAD))) {
		double r = paired(res[M_PROCESS], res[M_THREAD], n,
				  offsetof(struct result, rate), &lo, &hi);

		printf("process / thread: %.2f x per round [%.2f-%.2f] "
		       "(= %.2f, ratio of the medians)\n",
		       r, lo, hi,
		       stat(res[M_PROCESS], n, offsetof(struct result, rate),
			    NULL, NULL) /
			   stat(res[M_THREAD], n, offsetof(struct result, rate),
				NULL, NULL));
	}
	return bad;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [options]\n"
		"  -c, --cpus A,B        publisher on A, subscriber on B "
		"(default: the first two allowed)\n"
		"  -m, --modes LIST      thread,process,shm-thread,iceoryx,"
		"iceoryx-loan\n"
		"                        (default: all built; iceoryx ones "
		"only when RouDi is up)\n"
		"  -k, --kind KIND       latency | throughput | both (default "
		"both)\n"
		"  -n, --count N         latency: messages measured per run "
		"(default 50000)\n"
		"  -w, --warmup N        latency: messages sent first, not "
		"measured (default 5000)\n"
		"  -i, --interval NS     latency: one message every NS ns "
		"(default 2000)\n"
		"  -r, --rounds R        latency rounds (default 21)\n"
		"  -N, --tput-count N    throughput: messages per run "
		"(default 10000000)\n"
		"  -T, --tput-rounds R   throughput rounds (default 5)\n"
		"  -s, --capacity N      slots, a power of two (default "
		"4096)\n"
		"  -a, --api API         typed (inline wrappers, default) | "
		"abi (exported calls)\n"
		"  -R, --retries N       redo a run preempted > 1%%, up to N "
		"times (default 3)\n",
		prog);
}

static int parse_modes(const char *s, unsigned *out)
{
	char buf[256], *tok, *save;
	int m;

	snprintf(buf, sizeof(buf), "%s", s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (m = 0; m < NMODES; m++)
			if (!strcmp(tok, mode_name[m]))
				break;
		if (m == NMODES)
			return -1;
		*out |= 1u << m;
	}
	return *out ? 0 : -1;
}

/* 0 run, 1 exit 0, -1 exit 2. */
static int parse(struct cfg *c, int argc, char **argv, int *modes_given)
{
	static const struct option lo[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "modes", required_argument, NULL, 'm' },
		{ "kind", required_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "tput-count", required_argument, NULL, 'N' },
		{ "tput-rounds", required_argument, NULL, 'T' },
		{ "capacity", required_argument, NULL, 's' },
		{ "api", required_argument, NULL, 'a' },
		{ "retries", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t v;
	int o;

	while ((o = getopt_long(argc, argv, "c:m:k:n:w:i:r:N:T:s:a:R:h", lo,
				NULL)) != -1) {
		switch (o) {
		case 'c':
			if (sscanf(optarg, "%d,%d", &c->cpu[0], &c->cpu[1]) !=
				2 ||
			    c->cpu[0] < 0 || c->cpu[1] < 0 ||
			    c->cpu[0] == c->cpu[1]) {
				fprintf(stderr, "%s: --cpus A,B\n", prog);
				return -1;
			}
			break;
		case 'm':
			if (parse_modes(optarg, &c->modes) != 0) {
				fprintf(stderr, "%s: unknown mode in %s\n",
					prog, optarg);
				return -1;
			}
			*modes_given = 1;
			break;
		case 'k':
			c->lat = !strcmp(optarg, "latency") ||
				 !strcmp(optarg, "both");
			c->tput = !strcmp(optarg, "throughput") ||
				  !strcmp(optarg, "both");
			if (!c->lat && !c->tput) {
				fprintf(stderr,
					"%s: --kind latency|"
					"throughput|both\n",
					prog);
				return -1;
			}
			break;
		case 'a':
			if (strcmp(optarg, "typed") && strcmp(optarg, "abi")) {
				fprintf(stderr, "%s: --api typed|abi\n", prog);
				return -1;
			}
			c->abi = !strcmp(optarg, "abi");
			break;
		case 'h':
			usage(stdout);
			return 1;
		case '?':
			usage(stderr);
			return -1;
		default:
			if (xt_parse_u64(optarg, &v) != 0) {
				fprintf(stderr, "%s: -%c wants a number\n",
					prog, o);
				return -1;
			}
			if (o == 'n')
				c->count = v;
			else if (o == 'w')
				c->warmup = v;
			else if (o == 'i')
				c->interval_ns = v;
			else if (o == 'N')
				c->tput_count = v;
			else if (o == 's')
				c->capacity = (size_t)v;
			else if (o == 'R')
				c->retries = (int)(v > 100 ? 100 : v);
			else if (o == 'r')
				c->rounds =
				    (int)(v > MAX_ROUNDS ? MAX_ROUNDS : v);
			else
				c->tput_rounds =
				    (int)(v > MAX_ROUNDS ? MAX_ROUNDS : v);
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	if (!c->count || !c->tput_count || !c->rounds || !c->tput_rounds ||
	    c->capacity < 2 || (c->capacity & (c->capacity - 1))) {
		fprintf(stderr,
			"%s: counts and rounds > 0, capacity a power "
			"of two\n",
			prog);
		return -1;
	}
	return 0;
}

static void header(const struct cfg *c, double ppm, const char *skipped)
{
	char model[256];
	struct utsname u;
	int m;

	xt_cpu_model(model, sizeof(model));
	uname(&u);
	printf("%s: shared channel across processes, against in-process "
	       "and iceoryx\n",
	       prog);
	printf("  cpu        %s, %ld online CPUs, kernel %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), u.release);
	printf("  tsc        %.2f MHz, calibrated 5 x 50 ms, spread %.0f "
	       "ppm\n",
	       c->hz / 1e6, ppm);
	printf("  cores      publisher on CPU %d, subscriber on CPU %d, in "
	       "every mode\n",
	       c->cpu[0], c->cpu[1]);
	printf("  modes     ");
	for (m = 0; m < NMODES; m++)
		if (c->modes & (1u << m))
			printf(" %s", mode_name[m]);
	printf("%s%s\n", *skipped ? "; not run: " : "", skipped);
	printf("  photon     libphotonring %s, %s, capacity %zu, 8-byte "
	       "messages\n",
	       photon_version_string(),
	       c->abi ? "exported photon_publish/photon_try_recv"
		      : "typed inline wrappers (PHOTON_DEFINE_TYPED)",
	       c->capacity);
#ifdef SHM_HAVE_ICEORYX
	printf("  iceoryx    %s, C binding, loan 8 bytes + publish, busy "
	       "take; RouDi at %s\n",
	       SHM_ICEORYX_VERSION, shm_iox_socket());
#endif
	if (c->lat)
		printf("  latency    %llu measured + %llu warm-up per run, one "
		       "every %llu ns, %d rounds\n",
		       (unsigned long long)c->count,
		       (unsigned long long)c->warmup,
		       (unsigned long long)c->interval_ns, c->rounds);
	if (c->tput)
		printf("  throughput %llu per run, bounded (watermark 0), "
		       "%d rounds\n",
		       (unsigned long long)c->tput_count, c->tput_rounds);
	printf("  rounds     modes interleaved, order rotated each round; a "
	       "run preempted > 1%% is redone (up to %d times),\n"
	       "             then left out of the medians and ratios "
	       "(kept: the rounds that count)\n",
	       c->retries);
}

static int rounds(const struct cfg *c, enum kind k, struct ctl *ctl,
		  uint64_t *samples, struct result (*res)[MAX_ROUNDS])
{
	int order[NMODES], nm = 0, r, i, m, a, rc = 0;
	int n = k == K_LAT ? c->rounds : c->tput_rounds;

	for (m = 0; m < NMODES; m++)
		if ((c->modes & (1u << m)) && !(k == K_TPUT && is_iox(m)))
			order[nm++] = m;
	printf("\n%s rounds (%s):\n", k == K_LAT ? "latency" : "throughput",
	       k == K_LAT ? "p50 / p99 / p99.9 ns, c2c ns" : "Mmsg/s, c2c ns");
	for (r = 0; r < n; r++) {
		printf("  %2d", r + 1);
		for (i = 0; i < nm; i++) {
			struct result *out;

			m = order[(i + r) % nm];
			out = &res[m][r];
			out->redone = 0;
			for (a = 0;; a++) {
				if (measure(c, m, k, ctl, samples, out) != 0) {
					rc = 1;
					break;
				}
				if (out->runq <= XT_MAX_RUNQ)
					break;
				if (a >= c->retries) {
					out->preempted = 1;
					break;
				}
				out->redone++;
			}
			if (out->failed)
				printf("  %s failed", mode_name[m]);
			else if (k == K_LAT)
				printf("  %s %.0f/%.0f/%.0f c2c %.0f%s",
				       mode_name[m], out->pct[0], out->pct[2],
				       out->pct[3], out->c2c,
				       out->preempted ? " (preempted)" : "");
			else
				printf("  %s %.2f c2c %.0f%s", mode_name[m],
				       out->rate / 1e6, out->c2c,
				       out->preempted ? " (preempted)" : "");
			fflush(stdout);
		}
		printf("\n");
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct result res[2][NMODES][MAX_ROUNDS];
	struct cfg c;
	struct ctl *ctl;
	uint64_t *samples;
	char skipped[256] = "";
	int modes_given = 0, rc = 0, m;
	double ppm;
	const char *slash = strrchr(argv[0], '/');

	prog = slash ? slash + 1 : argv[0];
	memset(&c, 0, sizeof(c));
	c.cpu[0] = c.cpu[1] = -1;
	c.lat = c.tput = 1;
	c.count = 50000;
	c.warmup = 5000;
	c.interval_ns = 2000;
	c.rounds = 21;
	c.tput_count = 10000000;
	c.tput_rounds = 5;
	c.capacity = 4096;
	c.retries = 3;
	c.modes = (1u << M_THREAD) | (1u << M_PROCESS) | (1u << M_SHMTHREAD) |
		  (1u << M_IOX) | (1u << M_IOX_LOAN);
	if (sched_getaffinity(0, sizeof(home), &home) != 0) {
		perror("sched_getaffinity");
		return 1;
	}
	m = parse(&c, argc, argv, &modes_given);
	if (m)
		return m > 0 ? 0 : 2;
	if (c.cpu[0] < 0 && xt_first_cpus(c.cpu) < 2) {
		fprintf(stderr, "%s: needs two CPUs: skipped\n", prog);
		return 77;
	}
#ifdef SHM_HAVE_ICEORYX
	if ((c.modes & ((1u << M_IOX) | (1u << M_IOX_LOAN))) &&
	    access(shm_iox_socket(), F_OK) != 0) {
		if (modes_given) {
			fprintf(stderr,
				"%s: iceoryx: RouDi is not running (no %s); "
				"bench/shm.sh starts it\n",
				prog, shm_iox_socket());
			return 2;
		}
		c.modes &= ~((1u << M_IOX) | (1u << M_IOX_LOAN));
		snprintf(skipped, sizeof(skipped),
			 "iceoryx (RouDi not running: bench/shm.sh starts "
			 "it)");
	}
#else
	if (c.modes & ((1u << M_IOX) | (1u << M_IOX_LOAN))) {
		if (modes_given) {
			fprintf(stderr,
				"%s: built without iceoryx "
				"(libiceoryx-binding-c-dev)\n",
				prog);
			return 2;
		}
		c.modes &= ~((1u << M_IOX) | (1u << M_IOX_LOAN));
		snprintf(skipped, sizeof(skipped),
			 "iceoryx (not built: libiceoryx-binding-c-dev)");
	}
#endif
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	samples = mmap(NULL, c.count * sizeof(*samples), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED || samples == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	c.hz = xt_calibrate(&ppm);
	c.interval = (uint64_t)((double)c.interval_ns / 1e9 * c.hz);
	header(&c, ppm, skipped);
	fflush(stdout);
	if (c.lat && rounds(&c, K_LAT, ctl, samples, res[K_LAT]))
		rc = 1;
	if (c.tput && rounds(&c, K_TPUT, ctl, samples, res[K_TPUT]))
		rc = 1;
	if (c.lat)
		latency_table(&c, res[K_LAT]);
	if (c.tput && tput_table(&c, res[K_TPUT]))
		rc = 1;
	return rc;
}
