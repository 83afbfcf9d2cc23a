/* SPDX-License-Identifier: MIT */
/*
 * The driver of the cross-thread programs: options, machine description,
 * TSC calibration, two pinned threads per run, statistics and tables. The
 * helpers bench_shm shares with it are declared in xt.h.
 *
 * Method: every selected transport runs once per round, in an order rotated
 * each round, so that slow drifts of a shared machine spread over all of
 * them; each row is the median over the rounds of each statistic, with the
 * range of the p50 (or of the rate) over the rounds beside it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <photon/photon.h>

#include "xt.h"

const struct xt_transport *const xt_transports[] = {
	&xt_photon,
	&xt_photon_abi,
	&xt_photon_poll,
	&xt_floor,
	&xt_seqlock,
	&xt_seqlock16,
	&xt_seqlock_pf1,
	&xt_seqlock_pf2,
	&xt_seqlock_pf4,
	&xt_seqlock_pf8,
#ifdef XT_HAVE_CK
	&xt_ck_spsc,
	&xt_ck_spmc,
#endif
#ifdef XT_HAVE_DPDK
	&xt_rte_ring,
#endif
#ifdef XT_HAVE_BOOST
	&xt_boost_spsc,
#endif
#ifdef XT_HAVE_RWQUEUE
	&xt_rwqueue,
#endif
#ifdef XT_HAVE_CQUEUE
	&xt_cqueue,
#endif
	NULL,
};

/* Peers the build looked for and did not find (named in the header). */
static const char *const missing_peers =
#ifndef XT_HAVE_CK
    " ck_ring (libck-dev)"
#endif
#ifndef XT_HAVE_DPDK
    " rte_ring (libdpdk-dev)"
#endif
#ifndef XT_HAVE_BOOST
    " boost-spsc (libboost-dev)"
#endif
#ifndef XT_HAVE_RWQUEUE
    " rwqueue (libreaderwriterqueue-dev)"
#endif
#ifndef XT_HAVE_CQUEUE
    " cqueue (libconcurrentqueue-dev)"
#endif
    "";

uint64_t xt_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- options ---- */

#define MAX_T 16
/* A round whose c2c probe is under this (ns) ran in the fast state. */
#define XT_FAST_C2C 100
#define MAX_RUNS    101

enum poll_sel { POLL_SPIN = 1, POLL_PAUSE = 2, POLL_BOTH = 3 };

struct opts {
	enum xt_mode mode;
	const char *prog;
	int cpu[2];
	uint64_t count, warmup, interval_ns;
	size_t capacity;
	int runs;
	int retries;
	unsigned poll;
	const char *only;
	const char *dump;
};

static void usage(const struct opts *o, FILE *f)
{
	fprintf(
	    f,
	    "usage: %s [options]\n"
	    "  -c, --cpus A,B        pin the two threads (default: the first "
	    "two allowed CPUs)\n"
	    "  -n, --count N         messages measured per run (default "
	    "%llu)\n"
	    "  -w, --warmup N        messages sent first and discarded "
	    "(default %llu)\n"
	    "  -i, --interval NS     one-way: one message every NS ns "
	    "(default %llu)\n"
	    "  -s, --capacity N      ring capacity, a power of two (default "
	    "%zu)\n"
	    "  -r, --runs R          rounds over all transports (default "
	    "%d)\n"
	    "  -R, --retries N       redo a run in which a measuring thread "
	    "was preempted\n"
	    "                        for more than 1%% of it, up to N times "
	    "(default %d)\n"
	    "  -p, --poll MODE       spin | pause | both: what a waiting "
	    "thread does\n"
	    "                        between polls (default %s)\n"
	    "  -t, --transports LIST comma-separated names (default: all; "
	    "-l lists)\n"
	    "  -d, --dump DIR        write each distribution as "
	    "DIR/<prog>-<poll>-<name>.dat\n"
	    "  -l, --list            list the transports built in\n",
	    o->prog, (unsigned long long)o->count,
	    (unsigned long long)o->warmup, (unsigned long long)o->interval_ns,
	    o->capacity, o->runs, o->retries,
	    o->poll == POLL_BOTH ? "both" : "spin");
}

int xt_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return -1;
	*out = v;
	return 0;
}

int xt_first_cpus(int cpu[2])
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	return n;
}

static int selected(const struct opts *o, const char *name)
{
	const char *p = o->only;
	size_t len = strlen(name);

	if (!p)
		return 1;
	while (*p) {
		const char *q = strchr(p, ',');
		size_t l = q ? (size_t)(q - p) : strlen(p);

		if (l == len && strncmp(p, name, l) == 0)
			return 1;
		if (!q)
			break;
		p = q + 1;
	}
	return 0;
}

static unsigned mode_cap(enum xt_mode m)
{
	return m == XT_MODE_ONEWAY     ? XT_ONEWAY
	       : m == XT_MODE_PINGPONG ? XT_PINGPONG
				       : XT_THROUGHPUT;
}

/* 0: run; 1: exit 0 (help, list); -1: exit 2 (bad usage). */
static int parse(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "capacity", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "retries", required_argument, NULL, 'R' },
		{ "poll", required_argument, NULL, 'p' },
		{ "transports", required_argument, NULL, 't' },
		{ "dump", required_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, i;
	uint64_t v;

	o->cpu[0] = o->cpu[1] = -1;
	while ((c = getopt_long(argc, argv, "c:n:w:i:s:r:R:p:t:d:lh", lo,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			if (sscanf(optarg, "%d,%d", &o->cpu[0], &o->cpu[1]) !=
				2 ||
			    o->cpu[0] < 0 || o->cpu[1] < 0 ||
			    o->cpu[0] == o->cpu[1]) {
				fprintf(stderr,
					"%s: --cpus wants two "
					"different CPUs, e.g. 0,1\n",
					o->prog);
				return -1;
			}
			break;
		case 'n':
		case 'w':
		case 'i':
		case 's':
		case 'r':
		case 'R':
			if (xt_parse_u64(optarg, &v) != 0) {
				fprintf(stderr, "%s: -%c wants a number\n",
					o->prog, c);
				return -1;
			}
			if (c == 'n')
				o->count = v;
			else if (c == 'w')
				o->warmup = v;
			else if (c == 'i')
				o->interval_ns = v;
			else if (c == 's')
				o->capacity = (size_t)v;
			else if (c == 'R')
				o->retries = (int)(v > 100 ? 100 : v);
			else
				o->runs = (int)(v > MAX_RUNS ? MAX_RUNS : v);
			break;
		case 'p':
			if (!strcmp(optarg, "spin"))
				o->poll = POLL_SPIN;
			else if (!strcmp(optarg, "pause"))
				o->poll = POLL_PAUSE;
			else if (!strcmp(optarg, "both"))
				o->poll = POLL_BOTH;
			else {
				fprintf(stderr, "%s: --poll spin|pause|both\n",
					o->prog);
				return -1;
			}
			break;
		case 't':
			o->only = optarg;
			break;
		case 'd':
			o->dump = optarg;
			break;
		case 'l':
			for (i = 0; xt_transports[i]; i++)
				if (xt_transports[i]->caps & mode_cap(o->mode))
					printf("%-12s %s\n",
					       xt_transports[i]->name,
					       xt_transports[i]->desc);
			if (*missing_peers)
				printf("not built (package missing "
				       "at build time):%s\n",
				       missing_peers);
			return 1;
		case 'h':
			usage(o, stdout);
			return 1;
		default:
			usage(o, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		usage(o, stderr);
		return -1;
	}
	if (o->count == 0 || o->runs == 0 || o->capacity < 2 ||
	    (o->capacity & (o->capacity - 1)) || o->capacity > (1u << 30)) {
		fprintf(stderr,
			"%s: count and runs > 0; capacity a power of "
			"two, 2 .. 2^30\n",
			o->prog);
		return -1;
	}
	return 0;
}

/* ---- the machine ---- */

void xt_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) != 0 || !colon)
			continue;
		colon++;
		while (isspace((unsigned char)*colon))
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static int cpuinfo_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (p = strtok(line, " \t\n"); p; p = strtok(NULL, " \t\n"))
			if (!strcmp(p, flag))
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

static int topo(int cpu, const char *what)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, what);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static const char *invariant_tsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	if (__get_cpuid(0x80000007, &a, &b, &c, &d))
		return (d & (1u << 8)) ? "invariant"
				       : "NOT invariant: results suspect";
	return "invariance unknown";
#elif defined(__aarch64__)
	return "generic timer";
#else
	return "clock_gettime fallback";
#endif
}

int xt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int xt_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Ticks per second, measured against CLOCK_MONOTONIC: five windows of 50 ms,
 * each end bracketed by two TSC reads; the median window, and the spread of
 * the five in parts per million.
 */
double xt_calibrate(double *spread_ppm)
{
	double hz[5];
	int k;

	for (k = 0; k < 5; k++) {
		uint64_t a0 = xt_tsc(), m0 = xt_clock_ns(), b0 = xt_tsc();
		uint64_t a1, m1, b1;
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		a1 = xt_tsc();
		m1 = xt_clock_ns();
		b1 = xt_tsc();
		hz[k] = ((double)(a1 + b1) / 2 - (double)(a0 + b0) / 2) /
			(double)(m1 - m0) * 1e9;
	}
	qsort(hz, 5, sizeof(hz[0]), xt_cmp_double);
	*spread_ppm = (hz[4] - hz[0]) / hz[2] * 1e6;
	return hz[2];
}

/* ---- one run: two pinned threads ---- */

struct sync {
	struct xt_flag ready;
	struct xt_flag go;
	struct xt_flag ping, pong; /* the core-to-core probe */
};

#define PROBE_N 2001

/*
 * PROBE_N round trips of one release store into a line the other side
 * polls. On a virtual machine the hypervisor moves vCPUs between physical
 * cores, and this latency changes by several times within an hour; each
 * row shows the median probe of its runs, so that ratios are compared
 * between runs made under the same conditions.
 */
uint64_t xt_probe(struct xt_flag *ping, struct xt_flag *pong, int role)
{
	uint64_t rtt[PROBE_N], k, t0;

	for (k = 1; k <= PROBE_N; k++) {
		if (role == 0) {
			t0 = xt_tsc();
			__atomic_store_n(&ping->v, k, __ATOMIC_RELEASE);
			while (__atomic_load_n(&pong->v, __ATOMIC_ACQUIRE) != k)
				;
			rtt[k - 1] = xt_tscp() - t0;
		} else {
			while (__atomic_load_n(&ping->v, __ATOMIC_ACQUIRE) != k)
				;
			__atomic_store_n(&pong->v, k, __ATOMIC_RELEASE);
		}
	}
	if (role != 0)
		return 0;
	qsort(rtt, PROBE_N, sizeof(rtt[0]), xt_cmp_u64);
	return rtt[PROBE_N / 2] / 2;
}

struct worker {
	const struct xt_transport *t;
	int role; /* 0: sender / ping; 1: receiver / pong */
	int cpu;
	void *a, *b;
	struct xt_run *run;
	struct sync *sync;
	int wrong_cpu;
	double runq;  /* share of the measured time spent preempted, or -1 */
	uint64_t c2c; /* the probe's median half round trip, ticks */
};

/*
 * Nanoseconds this thread has spent runnable but not running (waiting on a
 * run queue: preempted), from /proc/thread-self/schedstat; -1 without it.
 */
int64_t xt_run_delay_ns(void)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long run, wait;
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%llu %llu", &run, &wait);
	fclose(f);
	return n == 2 ? (int64_t)wait : -1;
}

void xt_span_start(struct xt_span *s)
{
	s->d0 = xt_run_delay_ns();
	s->t0 = xt_clock_ns();
}

double xt_span_runq(const struct xt_span *s)
{
	uint64_t t1 = xt_clock_ns();
	int64_t d1 = xt_run_delay_ns();

	return s->d0 < 0 || d1 < 0 || t1 <= s->t0
		   ? -1
		   : (double)(d1 - s->d0) / (double)(t1 - s->t0);
}

static void worker_wait(struct worker *w)
{
	if (sched_getcpu() != w->cpu)
		w->wrong_cpu = 1;
	__atomic_fetch_add(&w->sync->ready.v, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&w->sync->go.v, __ATOMIC_ACQUIRE))
		xt_pause();
}

struct job {
	struct worker w;
	enum xt_mode mode;
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct worker *w = &j->w;
	struct xt_span sp;

	worker_wait(w);
	w->c2c = xt_probe(&w->sync->ping, &w->sync->pong, w->role);
	xt_span_start(&sp);
	switch (j->mode) {
	case XT_MODE_ONEWAY:
		if (w->role == 0)
			w->t->oneway_tx(w->a, w->run);
		else
			w->t->oneway_rx(w->a, w->run);
		break;
	case XT_MODE_PINGPONG:
		if (w->role == 0)
			w->t->ping(w->a, w->b, w->run);
		else
			w->t->pong(w->a, w->b, w->run);
		break;
	case XT_MODE_THROUGHPUT:
		if (w->role == 0)
			w->t->tput_tx(w->a, w->run);
		else
			w->t->tput_rx(w->a, w->run);
		break;
	}
	w->runq = xt_span_runq(&sp);
	return NULL;
}

/*
 * Runs one measurement; 0 or -1 (could not create, pin or start).
 * *runq: the larger share of its measured time one of the two threads
 * spent preempted (runnable, not running); -1 when the kernel does not say.
 * *c2c: the core-to-core probe just before the run (ticks).
 */
static int run_once(const struct opts *o, const struct xt_transport *t,
		    struct xt_run *run, double *runq, uint64_t *c2c)
{
	static struct sync sync;
	void *lane[2] = { NULL, NULL };
	struct job jobs[2];
	pthread_t th[2];
	int i, rc = 0, started = 0;
	int lossless = o->mode == XT_MODE_THROUGHPUT;

	lane[0] = t->create(o->capacity, lossless);
	if (o->mode == XT_MODE_PINGPONG)
		lane[1] = t->create(o->capacity, lossless);
	if (!lane[0] || (o->mode == XT_MODE_PINGPONG && !lane[1])) {
		fprintf(stderr, "%s: %s: could not create the queue\n", o->prog,
			t->name);
		rc = -1;
		goto out;
	}
	memset(&sync, 0, sizeof(sync));
	for (i = 0; i < 2; i++) {
		pthread_attr_t attr;
		cpu_set_t set;

		memset(&jobs[i], 0, sizeof(jobs[i]));
		jobs[i].mode = o->mode;
		jobs[i].w.t = t;
		jobs[i].w.role = i;
		jobs[i].w.cpu = o->cpu[i];
		jobs[i].w.run = run;
		jobs[i].w.sync = &sync;
		/* Ping writes lane 0 and reads lane 1; pong the reverse. */
		jobs[i].w.a = lane[0];
		jobs[i].w.b = lane[1];
		CPU_ZERO(&set);
		CPU_SET(o->cpu[i], &set);
		pthread_attr_init(&attr);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		errno = pthread_create(&th[i], &attr, job_main, &jobs[i]);
		pthread_attr_destroy(&attr);
		if (errno) {
			perror("pthread_create (pinned)");
			rc = -1;
			break;
		}
		started++;
	}
	/* Thread start-up is not timed: both wait for `go`. */
	while (started == 2 &&
	       __atomic_load_n(&sync.ready.v, __ATOMIC_ACQUIRE) < 2) {
		struct timespec ts = { 0, 100 * 1000 };
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&sync.go.v, 1, __ATOMIC_RELEASE);
	*runq = 0;
	*c2c = 0;
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		*c2c += jobs[i].w.c2c;
		if (*runq >= 0 && jobs[i].w.runq > *runq)
			*runq = jobs[i].w.runq;
		if (jobs[i].w.runq < 0)
			*runq = -1;
	}
	for (i = 0; i < started; i++)
		if (jobs[i].w.wrong_cpu) {
			fprintf(stderr, "%s: thread not on CPU %d\n", o->prog,
				jobs[i].w.cpu);
			rc = -1;
		}
out:
	if (lane[0])
		t->destroy(lane[0]);
	if (lane[1])
		t->destroy(lane[1]);
	return rc;
}

/* ---- statistics ---- */

static const double pcts[] = { 0.50, 0.90, 0.99, 0.999, 0.9999, 1.0 };
#define NPCT   (sizeof(pcts) / sizeof(pcts[0]))
#define NCURVE 61 /* 1/(1-p) from 1 to 10^6 in tenths of a decade */

struct result {
	double pct[NPCT];     /* ns */
	double curve[NCURVE]; /* ns at p = 1 - 10^(-k/10) */
	int ncurve;
	double rate; /* throughput: messages per second */
	uint64_t received, errors;
	double runq; /* see run_once() */
	double c2c;  /* ns, see xt_probe() */
	double full,
	    empty;  /* throughput: refused sends, empty polls per message */
	int redone; /* runs discarded because a thread was preempted */
	int failed;
};

/* Nearest rank: the smallest sample with at least p of them at or below. */
uint64_t xt_rank(const uint64_t *s, uint64_t n, double p)
{
	double r = ceil(p * (double)n);
	uint64_t i = r < 1 ? 0 : (uint64_t)r - 1;

	return s[i < n ? i : n - 1];
}

static void summarize(struct result *res, uint64_t *s, uint64_t n,
		      double ns_per_tick, double scale)
{
	size_t k;

	qsort(s, n, sizeof(*s), xt_cmp_u64);
	for (k = 0; k < NPCT; k++)
		res->pct[k] =
		    (double)xt_rank(s, n, pcts[k]) * ns_per_tick * scale;
	res->ncurve = 0;
	for (k = 0; k < NCURVE; k++) {
		double x = pow(10, (double)k / 10); /* 1 / (1 - p) */

		if (x > (double)n)
			break;
		res->curve[k] =
		    (double)xt_rank(s, n, 1 - 1 / x) * ns_per_tick * scale;
		res->ncurve++;
	}
}

double xt_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), xt_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Median over the runs of one statistic, and its range. */
static double stat(const struct result *r, int runs, size_t off, double *lo,
		   double *hi)
{
	double v[MAX_RUNS];
	int i, n = 0;

	if (lo)
		*lo = NAN;
	if (hi)
		*hi = NAN;
	for (i = 0; i < runs; i++)
		if (!r[i].failed)
			v[n++] = *(const double *)((const char *)&r[i] + off);
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), xt_cmp_double);
	if (lo)
		*lo = v[0];
	if (hi)
		*hi = v[n - 1];
	return xt_median(v, n);
}

/*
 * Median over the rounds of a's field divided by b's, in the same round:
 * the rounds are interleaved, so each ratio compares two runs made in the
 * same machine state, which a ratio of the two medians does not when the
 * state changed between rounds. The targets use it.
 */
static double paired_in(const struct result *a, const struct result *b,
			int runs, size_t off, int state, int *rounds);

static double paired(const struct result *a, const struct result *b, int runs,
		     size_t off)
{
	return paired_in(a, b, runs, off, -1, NULL);
}

/*
 * The same over the rounds made in one machine state only: state 0 the
 * fast one (a's c2c probe under XT_FAST_C2C ns), 1 the slow one, -1 any.
 * *rounds: how many rounds that was.
 */
static double paired_in(const struct result *a, const struct result *b,
			int runs, size_t off, int state, int *rounds)
{
	double v[MAX_RUNS];
	int i, n = 0;

	for (i = 0; i < runs; i++) {
		double x = *(const double *)((const char *)&a[i] + off);
		double y = *(const double *)((const char *)&b[i] + off);

		if (a[i].failed || b[i].failed || !(y > 0))
			continue;
		if (state >= 0 && (a[i].c2c >= XT_FAST_C2C) != state)
			continue;
		v[n++] = x / y;
	}
	if (rounds)
		*rounds = n;
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), xt_cmp_double);
	return xt_median(v, n);
}

/* ---- the program ---- */

static const char *poll_name(int pause)
{
	return pause ? "pause" : "spin";
}

static void header(const struct opts *o, double hz, double ppm)
{
	char model[256];
	struct utsname u;
	int c0 = topo(o->cpu[0], "core_id"), c1 = topo(o->cpu[1], "core_id");
	int p0 = topo(o->cpu[0], "physical_package_id");
	int p1 = topo(o->cpu[1], "physical_package_id");
	const char *rel;

	xt_cpu_model(model, sizeof(model));
	uname(&u);
	if (c0 < 0 || c1 < 0)
		rel = "topology unknown";
	else if (p0 != p1)
		rel = "different packages";
	else if (c0 == c1)
		rel = "SMT siblings of one core";
	else
		rel = "different cores";
	printf("%s: %s\n", o->prog,
	       o->mode == XT_MODE_ONEWAY ? "one-way latency, paced sender"
	       : o->mode == XT_MODE_PINGPONG
		   ? "round trip (ping-pong), half of it reported"
		   : "lossless throughput, receiver checks the order");
	printf("  cpu        %s, %ld online CPUs%s, kernel %s\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN),
	       cpuinfo_flag("hypervisor") ? ", virtual machine" : "",
	       u.release);
	printf("  tsc        %.2f MHz (%s), calibrated against "
	       "CLOCK_MONOTONIC: 5 x 50 ms, spread %.0f ppm\n",
	       hz / 1e6, invariant_tsc(), ppm);
	printf("  cores      %s on CPU %d, %s on CPU %d (%s), "
	       "pthread_setaffinity_np\n",
	       o->mode == XT_MODE_PINGPONG ? "ping" : "sender", o->cpu[0],
	       o->mode == XT_MODE_PINGPONG ? "pong" : "receiver", o->cpu[1],
	       rel);
	if (o->mode == XT_MODE_ONEWAY)
		printf("  messages   8 bytes (the sender's TSC), %llu measured "
		       "+ %llu warm-up per run, one every %llu ns\n",
		       (unsigned long long)o->count,
		       (unsigned long long)o->warmup,
		       (unsigned long long)o->interval_ns);
	else if (o->mode == XT_MODE_PINGPONG)
		printf("  messages   8 bytes, %llu round trips measured + %llu "
		       "warm-up per run, back to back\n",
		       (unsigned long long)o->count,
		       (unsigned long long)o->warmup);
	else
		printf("  messages   8 bytes (1, 2, 3 ...), %llu per run, "
		       "lossless (bounded), sender waits when full\n",
		       (unsigned long long)o->count);
	printf("  queues     capacity %zu; libphotonring %s\n", o->capacity,
	       photon_version_string());
	printf("  runs       %d rounds, transports interleaved (order "
	       "rotated each round); medians over the rounds\n"
	       "             a run in which a measuring thread spent more than "
	       "1%% "
	       "of it preempted is redone\n"
	       "             (up to %d times; runq%%: the worst kept run)\n",
	       o->runs, o->retries);
	if (*missing_peers)
		printf("  not built  %s\n", missing_peers);
	printf("  note       peers are work queues (each message to one "
	       "consumer); libphotonring broadcasts\n");
}

static void dump(const struct opts *o, const char *name, int pause,
		 const struct result *r, int runs)
{
	char path[4096];
	FILE *f;
	int k, i, n = NCURVE;

	for (i = 0; i < runs; i++)
		if (!r[i].failed && r[i].ncurve < n)
			n = r[i].ncurve;
	snprintf(path, sizeof(path), "%s/%s-%s-%s.dat", o->dump,
		 o->prog + (strncmp(o->prog, "bench_", 6) ? 0 : 6),
		 poll_name(pause), name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fprintf(f,
		"# %s %s poll=%s: percentile, 1/(1-p), %s ns (median of "
		"%d runs)\n",
		o->prog, name, poll_name(pause),
		o->mode == XT_MODE_PINGPONG ? "half round trip" : "latency",
		runs);
	for (k = 0; k < n; k++) {
		double v[MAX_RUNS], x = pow(10, (double)k / 10);
		int m = 0;

		for (i = 0; i < runs; i++)
			if (!r[i].failed)
				v[m++] = r[i].curve[k];
		if (m)
			fprintf(f, "%.6f %.4g %.2f\n", 100 * (1 - 1 / x), x,
				xt_median(v, m));
	}
	fclose(f);
}

static int find(const struct xt_transport **t, int nt, const char *name)
{
	int i;

	for (i = 0; i < nt; i++)
		if (!strcmp(t[i]->name, name))
			return i;
	return -1;
}

static void latency_table(const struct opts *o, const struct xt_transport **t,
			  int nt, int pause, struct result (*res)[MAX_RUNS])
{
	int ph = find(t, nt, "photon"), fl = find(t, nt, "floor");
	double base_ph = NAN, base_fl = NAN;
	int i;
	size_t k;

	if (ph >= 0)
		base_ph = stat(res[ph], o->runs, offsetof(struct result, pct),
			       NULL, NULL);
	if (fl >= 0)
		base_fl = stat(res[fl], o->runs, offsetof(struct result, pct),
			       NULL, NULL);
	printf("\npoll: %s\n", pause ? "pause (one PAUSE after each empty poll)"
				     : "spin (re-poll at once when empty)");
	printf("%-11s %7s %7s %7s %7s %7s %8s %13s %8s %8s %5s %6s %4s\n",
	       o->mode == XT_MODE_PINGPONG ? "half RTT ns" : "ns", "p50", "p90",
	       "p99", "p99.9", "p99.99", "max", "p50 range", "x photon",
	       "x floor", "c2c", "runq%", "redo");
	for (i = 0; i < nt; i++) {
		double lo, hi, p50;
		uint64_t lost = 0;
		double rq = 0;
		int r, redo = 0;

		p50 = stat(res[i], o->runs, offsetof(struct result, pct), &lo,
			   &hi);
		printf("%-11s %7.1f", t[i]->name, p50);
		for (k = 1; k < NPCT; k++)
			printf(" %7.1f", stat(res[i], o->runs,
					      offsetof(struct result, pct) +
						  k * sizeof(double),
					      NULL, NULL));
		for (r = 0; r < o->runs; r++) {
			if (res[i][r].failed)
				continue;
			lost += o->count + o->warmup - res[i][r].received;
			if (res[i][r].runq > rq)
				rq = res[i][r].runq;
			redo += res[i][r].redone;
		}
		printf(" %6.1f-%-6.1f %8.2f %8.2f %5.0f %6.2f %4d", lo, hi,
		       p50 / base_ph, p50 / base_fl,
		       stat(res[i], o->runs, offsetof(struct result, c2c), NULL,
			    NULL),
		       100 * rq, redo);
		if (lost)
			printf("  (%llu messages lost: lossy)",
			       (unsigned long long)lost);
		printf("\n");
	}
	if (ph >= 0 && fl >= 0 && o->mode == XT_MODE_ONEWAY) {
		double r = paired(res[ph], res[fl], o->runs,
				  offsetof(struct result, pct));

		printf("target: one-way photon p50 <= 1.2 x floor p50: %.2f x "
		       "(per round), %s\n",
		       r, r <= 1.2 ? "met" : "missed");
	}
}

static int throughput_table(const struct opts *o, const struct xt_transport **t,
			    int nt, int pause, struct result (*res)[MAX_RUNS])
{
	/* Issue 11: libphotonring at least the bare ring and every SPSC
	 * peer, in each machine state (the c2c column tells which). */
	static const char *const peers[] = { "seqlock", "ck-spsc", "rte_ring",
					     "boost-spsc", "rwqueue" };
	int ph = find(t, nt, "photon");
	double base = NAN;
	int i, r, bad = 0;
	size_t k;

	if (ph >= 0)
		base = stat(res[ph], o->runs, offsetof(struct result, rate),
			    NULL, NULL);
	printf("\npoll: %s\n",
	       pause ? "pause (one PAUSE after each empty poll or full queue)"
		     : "spin (re-poll at once when empty or full)");
	printf("%-11s %9s %17s %8s %8s %6s %6s %5s %6s %4s %s\n", "", "Mmsg/s",
	       "range", "ns/msg", "x photon", "full", "empty", "c2c", "runq%",
	       "redo", "order errors");
	for (i = 0; i < nt; i++) {
		double lo, hi, m;
		uint64_t err = 0;
		double rq = 0;
		int redo = 0;

		m = stat(res[i], o->runs, offsetof(struct result, rate), &lo,
			 &hi);
		for (r = 0; r < o->runs; r++) {
			if (res[i][r].failed)
				continue;
			err +=
			    res[i][r].errors + (o->count - res[i][r].received);
			if (res[i][r].runq > rq)
				rq = res[i][r].runq;
			redo += res[i][r].redone;
		}
		printf("%-11s %9.1f %8.1f-%-8.1f %8.2f %8.2f %6.2f %6.2f %5.0f "
		       "%6.2f %4d %llu\n",
		       t[i]->name, m / 1e6, lo / 1e6, hi / 1e6, 1e9 / m,
		       m / base,
		       stat(res[i], o->runs, offsetof(struct result, full),
			    NULL, NULL),
		       stat(res[i], o->runs, offsetof(struct result, empty),
			    NULL, NULL),
		       stat(res[i], o->runs, offsetof(struct result, c2c), NULL,
			    NULL),
		       100 * rq, redo, (unsigned long long)err);
		if (err)
			bad = 1;
	}
	if (ph < 0)
		return bad;
	for (k = 0; k < sizeof(peers) / sizeof(peers[0]); k++) {
		int j = find(t, nt, peers[k]), st;

		if (j < 0)
			continue;
		for (st = 0; st < 2; st++) {
			int n;
			double c =
			    paired_in(res[ph], res[j], o->runs,
				      offsetof(struct result, rate), st, &n);

			if (n == 0)
				continue;
			printf("target: throughput photon >= %s: %.2f x (per "
			       "round), %s (%s state, %d rounds)\n",
			       peers[k], c, c >= 1 ? "met" : "missed",
			       st ? "slow" : "fast", n);
		}
	}
	return bad;
}

/* One run of transport t, poll mode `pause`, into *out. 0 or -1. */
static int measure(const struct opts *o, const struct xt_transport *t,
		   int pause, struct xt_run *run, uint64_t *samples, double hz,
		   struct result *out)
{
	double ns_per_tick = 1e9 / hz;
	int redone = out->redone;
	uint64_t c2c;

	memset(run, 0, sizeof(*run));
	memset(out, 0, sizeof(*out));
	out->redone = redone;
	run->total = o->count + o->warmup;
	run->warmup = o->warmup;
	run->interval = (uint64_t)((double)o->interval_ns / 1e9 * hz);
	run->pause = pause;
	run->samples = samples;
	if (run_once(o, t, run, &out->runq, &c2c) != 0) {
		out->failed = 1;
		return -1;
	}
	out->c2c = (double)c2c * ns_per_tick;
	out->received = run->received;
	out->errors = run->errors;
	if (run->received) {
		out->full = (double)run->full / (double)run->received;
		out->empty = (double)run->empty / (double)run->received;
	}
	if (o->mode == XT_MODE_THROUGHPUT) {
		out->rate =
		    (double)run->received /
		    ((double)(run->t_end - run->t_start) * ns_per_tick / 1e9);
	} else if (run->received > o->warmup) {
		summarize(out, samples, run->received - o->warmup, ns_per_tick,
			  o->mode == XT_MODE_PINGPONG ? 0.5 : 1.0);
	} else {
		out->failed = 1;
	}
	return 0;
}

int xt_main(int argc, char **argv, enum xt_mode mode)
{
	static struct result res[2][MAX_T][MAX_RUNS];
	const struct xt_transport *t[MAX_T];
	struct opts o;
	struct xt_run *run;
	double hz, ppm;
	uint64_t *samples = NULL;
	int nt = 0, i, r, m, rc = 0, ncpu;
	const char *slash = strrchr(argv[0], '/');

	memset(&o, 0, sizeof(o));
	o.mode = mode;
	o.prog = slash ? slash + 1 : argv[0];
	o.capacity = 4096;
	if (mode == XT_MODE_THROUGHPUT) {
		o.count = 100000000;
		o.runs = 3;
		o.poll = POLL_SPIN;
	} else {
		o.count = 100000;
		o.warmup = 10000;
		o.runs = 5;
		o.interval_ns = 1000;
		o.poll = POLL_BOTH;
	}
	o.retries = 3;
	i = parse(&o, argc, argv);
	if (i)
		return i > 0 ? 0 : 2;
	if (mode == XT_MODE_THROUGHPUT)
		o.warmup = 0;
	if (o.cpu[0] < 0) {
		ncpu = xt_first_cpus(o.cpu);
		if (ncpu < 2) {
			fprintf(stderr,
				"%s: needs two CPUs, this process may "
				"use %d: skipped\n",
				o.prog, ncpu);
			return 77;
		}
	}
	for (i = 0; xt_transports[i] && nt < MAX_T; i++)
		if ((xt_transports[i]->caps & mode_cap(mode)) &&
		    selected(&o, xt_transports[i]->name) &&
		    (o.only || !(xt_transports[i]->caps & XT_EXPERIMENT)))
			t[nt++] = xt_transports[i];
	if (nt == 0) {
		fprintf(stderr, "%s: no transport selected (-l lists them)\n",
			o.prog);
		return 2;
	}

	hz = xt_calibrate(&ppm);
	header(&o, hz, ppm);
	fflush(stdout);

	run = aligned_alloc(XT_LINE,
			    (sizeof(*run) + XT_LINE - 1) / XT_LINE * XT_LINE);
	if (o.count > 0 && mode != XT_MODE_THROUGHPUT) {
		samples = malloc(o.count * sizeof(*samples));
		if (samples) /* fault the pages in before measuring */
			memset(samples, 0, o.count * sizeof(*samples));
	}
	if (!run || (mode != XT_MODE_THROUGHPUT && !samples)) {
		fprintf(stderr, "%s: out of memory\n", o.prog);
		return 1;
	}
	for (r = 0; r < o.runs; r++) {
		for (m = 0; m < 2; m++) {
			if (!(o.poll & (m ? POLL_PAUSE : POLL_SPIN)))
				continue;
			for (i = 0; i < nt; i++) {
				int k = (i + r) % nt;
				struct result *out = &res[m][k][r];

				int a;

				for (a = 0;; a++) {
					if (measure(&o, t[k], m, run, samples,
						    hz, out) != 0) {
						rc = 1;
						break;
					}
					if (out->runq <= XT_MAX_RUNQ ||
					    a >= o.retries)
						break;
					out->redone++;
				}
			}
		}
	}
	for (m = 0; m < 2; m++) {
		if (!(o.poll & (m ? POLL_PAUSE : POLL_SPIN)))
			continue;
		if (mode == XT_MODE_THROUGHPUT) {
			if (throughput_table(&o, t, nt, m, res[m]))
				rc = 1;
			continue;
		}
		latency_table(&o, t, nt, m, res[m]);
		if (o.dump)
			for (i = 0; i < nt; i++)
				dump(&o, t[i]->name, m, res[m][i], o.runs);
	}
	free(samples);
	free(run);
	return rc;
}
