/* SPDX-License-Identifier: MIT */
/*
 * market_data: one publisher of quotes fanned out to independent subscribers
 * and to one subscriber group, on a lossy channel.
 *
 * Every consumer checks that each delivered quote carries the sequence it
 * expected; a LAGGED read moves the expectation on by the number of messages
 * skipped, which are counted as lagged and never as delivered. Latency is
 * one-way: the publisher stamps each quote with the TSC (calibrated against
 * CLOCK_MONOTONIC) just before publishing, the consumer reads the TSC right
 * after the read returns. The publisher is paced (--gap-ns) so the numbers
 * measure the ring and the wake-up, not a queue building up; throughput is
 * taken from a consumer's first to its last message, after every thread has
 * started and said it is ready.
 *
 *   market_data [--messages N] [--subscribers K] [--group N] [--gap-ns G]
 *               [--capacity C] [--pin] [--wait auto|spin|sleep]
 *               [--sleep-ns S] [--oversubscribe]
 *
 * By default the layout fits the machine (see main); the options choose
 * it by hand, and --oversubscribe runs every consumer whatever the CPUs.
 *
 * Exit status: 0 when every consumer saw its messages in order and the
 * counts add up, 1 when not, 2 on bad arguments or a failed setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET, sched_getaffinity */
#endif
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

#include <photon/photon.h>

/* Plain data only: a torn read is never delivered, but keep it harmless. */
struct quote {
	uint64_t seq;	/* publisher's sequence = the channel's sequence */
	uint64_t stamp; /* clock ticks just before publish */
	double bid;
	double ask;
	uint32_t instrument;
	uint32_t bid_size;
	uint32_t ask_size;
	uint32_t flags;
};

PHOTON_DEFINE_TYPED(quote, struct quote);

enum wait_mode { WAIT_AUTO, WAIT_SPIN, WAIT_SLEEP };

struct config {
	uint64_t messages;
	unsigned subscribers;
	unsigned group; /* members of the group; 0: no group */
	uint64_t gap_ns;
	uint64_t capacity;
	uint64_t sleep_ns;
	int pin;
	enum wait_mode wait;
	int chosen;	   /* the layout came from the command line */
	int oversubscribe; /* --oversubscribe: every consumer a thread */
};

/* What one consumer thread owns; written by it, read by main after join. */
struct consumer {
	pthread_t thread;
	unsigned index;
	int is_group;
	int cpu;    /* -1: not pinned */
	int sleepy; /* sleeps when idle (no CPU of its own) */
	uint64_t sleep_ns;
	int failed;
	struct photon_subscriber *sub;
	struct photon_group *grp;
	uint64_t *lat; /* ticks, one per delivered message */
	uint64_t delivered;
	uint64_t lagged; /* messages skipped */
	uint64_t lag_events;
	uint64_t violations;
	uint64_t first_tick;
	uint64_t last_tick;
};

static struct config cfg = {
	.messages = 2000000,
	.subscribers = 3,
	.group = 4,
	.gap_ns = 1000,
	.capacity = 65536,
	.sleep_ns = 20000,
	.pin = 0,
	.wait = WAIT_AUTO,
};

static int sleep_chosen; /* --sleep-ns given */
static struct photon_channel *channel;
static struct photon_publisher *publisher;
static atomic_uint ready; /* consumers subscribed and waiting */
static unsigned nconsumers;
static double ns_per_tick = 1.0;
static unsigned cpus[CPU_SETSIZE];
static unsigned ncpus;
static int publisher_cpu = -1;
static uint64_t pub_ticks; /* first to last publish */
static uint64_t published;

/* The library's TSC read (RDTSC, CNTVCT_EL0, or the monotonic clock). */
static inline uint64_t now_ticks(void)
{
	return photon_tsc_now();
}

static inline void cpu_relax(void)
{
#if HAVE_TSC
	_mm_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

/* Ticks per nanosecond over 100 ms, measured by the library. */
static void calibrate(void)
{
	double ticks_per_ns;

	if (photon_tsc_calibrate(&ticks_per_ns, 100000000) == PHOTON_OK)
		ns_per_tick = 1.0 / ticks_per_ns;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (!colon || (strncmp(line, "model name", 10) != 0 &&
			       strncmp(line, "Model", 5) != 0))
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

#if HAVE_TSC
/* 1 when /proc/cpuinfo says the TSC ticks at one rate in every state. */
static int tsc_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int ok = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		ok = strstr(line, " constant_tsc") &&
		     strstr(line, " nonstop_tsc");
		break;
	}
	fclose(f);
	return ok;
}
#endif

/* The CPUs this process may run on, in order. */
static void available_cpus(void)
{
	cpu_set_t set;
	unsigned i;

	ncpus = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		cpus[ncpus++] = 0;
		return;
	}
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[ncpus++] = i;
}

static int pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((unsigned)cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * What a consumer does on an empty poll. Spinning (one PAUSE per poll) has
 * the lowest wake-up latency but only works with a core per thread: with
 * more threads than cores a spinning consumer holds its core for a whole
 * time slice while the thread it waits for cannot run. Sleeping gives the
 * core back after a short spin. (A sched_yield loop is worse than either:
 * the spinners yield to each other, not to the publisher.)
 */
struct backoff {
	unsigned polls;
};

#define SPIN_POLLS 256

static inline void backoff_wait(struct backoff *b, int sleepy, uint64_t ns)
{
	if (!sleepy || b->polls < SPIN_POLLS) {
		b->polls++;
		cpu_relax();
		return;
	}
	sleep_ns(ns);
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	struct backoff bo = { 0 };
	struct quote q;
	uint64_t expect = 0, n = 0, lagged = 0, events = 0, bad = 0;
	uint64_t first = 0, last = 0;
	int rc;

	if (pin_self(c->cpu) != 0)
		fprintf(stderr, "consumer %u: cannot pin to CPU %d\n", c->index,
			c->cpu);
	/* Touch the latency array now, not in the receive loop. */
	memset(c->lat, 0, cfg.messages * sizeof(*c->lat));
	if (c->is_group)
		rc = photon_group_subscribe(channel, cfg.group, &c->grp);
	else
		rc = photon_subscribe(channel, &c->sub);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "consumer %u: subscribe: %s (%s)\n", c->index,
			photon_strerror(rc), photon_last_error_message());
		c->failed = 1;
	}
	atomic_fetch_add_explicit(&ready, 1, memory_order_release);
	if (c->failed)
		return NULL;

	for (;;) {
		if (c->is_group)
			rc = photon_group_try_recv(c->grp, &q);
		else
			rc = quote_try_recv(c->sub, &q);
		if (rc == PHOTON_OK) {
			uint64_t t = now_ticks();

			if (q.seq != expect)
				bad++;
			expect = q.seq + 1;
			if (n == 0)
				first = t;
			last = t;
			if (n < cfg.messages)
				c->lat[n] = t > q.stamp ? t - q.stamp : 0;
			else
				bad++; /* more delivered than published */
			n++;
			bo.polls = 0;
		} else if (rc == PHOTON_LAGGED) {
			uint64_t k =
			    c->is_group
				? photon_group_last_skipped(c->grp)
				: photon_subscriber_last_skipped(c->sub);

			/* Skipped, not delivered: next comes expect + k. */
			lagged += k;
			expect += k;
			events++;
		} else if (rc == PHOTON_EMPTY) {
			backoff_wait(&bo, c->sleepy, c->sleep_ns);
		} else if (rc == PHOTON_CLOSED) {
			break;
		} else {
			fprintf(stderr, "consumer %u: try_recv: %s\n", c->index,
				photon_strerror(rc));
			bad++;
			break;
		}
	}
	c->delivered = n;
	c->lagged = lagged;
	c->lag_events = events;
	c->violations = bad;
	c->first_tick = first;
	c->last_tick = last;
	return NULL;
}

static void *publisher_main(void *arg)
{
	uint64_t gap = (uint64_t)((double)cfg.gap_ns / ns_per_tick);
	uint64_t i, next, t0 = 0, t = 0;
	struct quote q = { 0 };

	(void)arg;
	if (pin_self(publisher_cpu) != 0)
		fprintf(stderr, "publisher: cannot pin to CPU %d\n",
			publisher_cpu);
	/* Start-up is not measured: wait until every consumer is in. */
	while (atomic_load_explicit(&ready, memory_order_acquire) < nconsumers)
		sleep_ns(100000);

	next = now_ticks();
	for (i = 0; i < cfg.messages; i++) {
		/*
		 * Pace from the previous publish, not from a fixed schedule:
		 * after a preemption the publisher goes on at its rate instead
		 * of bursting to catch up, which would measure queueing.
		 */
		if (gap)
			while (now_ticks() < next)
				cpu_relax();
		q.seq = i;
		q.instrument = (uint32_t)(i % 64);
		q.bid = 100.0 + (double)(i % 1000) * 0.01;
		q.ask = q.bid + 0.02;
		q.bid_size = 100 + (uint32_t)(i % 7) * 100;
		q.ask_size = 100 + (uint32_t)(i % 5) * 100;
		t = now_ticks();
		q.stamp = t;
		if (quote_publish(publisher, &q) != PHOTON_OK)
			break;
		if (i == 0)
			t0 = t;
		next = t + gap;
	}
	published = i;
	pub_ticks = t - t0;
	/* Consumers drain what is left, then read PHOTON_CLOSED. */
	photon_publisher_close(publisher);
	publisher = NULL;
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least per_100k of n at or below. */
static double percentile_ns(const uint64_t *sorted, uint64_t n,
			    uint64_t per_100k)
{
	uint64_t rank = (n * per_100k + 99999) / 100000;

	if (n == 0)
		return 0.0;
	if (rank == 0)
		rank = 1;
	return (double)sorted[rank - 1] * ns_per_tick;
}

static int report(struct consumer *c)
{
	uint64_t n = c->delivered < cfg.messages ? c->delivered : cfg.messages;
	uint64_t lib_recv, lib_lag;
	double secs, rate = 0.0, ratio;
	char name[32], cpu[16];
	int ok = 1;

	if (c->is_group) {
		snprintf(name, sizeof(name), "group x%u", cfg.group);
		lib_recv = photon_group_received(c->grp);
		lib_lag = photon_group_lagged(c->grp);
		ratio = photon_group_receive_ratio(c->grp);
	} else {
		snprintf(name, sizeof(name), "subscriber %u", c->index);
		lib_recv = photon_subscriber_received(c->sub);
		lib_lag = photon_subscriber_lagged(c->sub);
		ratio = photon_subscriber_receive_ratio(c->sub);
	}
	secs = (double)(c->last_tick - c->first_tick) * ns_per_tick * 1e-9;
	if (c->delivered > 1 && secs > 0)
		rate = (double)(c->delivered - 1) / secs;
	if (c->cpu < 0)
		snprintf(cpu, sizeof(cpu), "-");
	else
		snprintf(cpu, sizeof(cpu), "%d", c->cpu);
	qsort(c->lat, n, sizeof(*c->lat), cmp_u64);
	printf("%-14s %3s %10" PRIu64 " %8" PRIu64 " %7.4f %9.0f"
	       " %7.0f %7.0f %7.0f %8.0f %9.0f\n",
	       name, cpu, c->delivered, c->lagged, ratio, rate,
	       percentile_ns(c->lat, n, 50000), percentile_ns(c->lat, n, 90000),
	       percentile_ns(c->lat, n, 99000), percentile_ns(c->lat, n, 99900),
	       n ? (double)c->lat[n - 1] * ns_per_tick : 0.0);

	if (c->lag_events)
		printf("  %s: %" PRIu64 " skipped in %" PRIu64
		       " LAGGED reads\n",
		       name, c->lagged, c->lag_events);
	if (c->violations) {
		printf("  %s: %" PRIu64 " ordering violations\n", name,
		       c->violations);
		ok = 0;
	}
	if (c->delivered + c->lagged != published) {
		printf("  %s: delivered %" PRIu64 " + lagged %" PRIu64
		       " != published %" PRIu64 "\n",
		       name, c->delivered, c->lagged, published);
		ok = 0;
	}
	if (lib_recv != c->delivered || lib_lag != c->lagged) {
		printf("  %s: library counters say received %" PRIu64
		       ", lagged %" PRIu64 "\n",
		       name, lib_recv, lib_lag);
		ok = 0;
	}
	return ok;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: market_data [--messages N] [--subscribers K] "
	    "[--group N] [--gap-ns G]\n"
	    "                   [--capacity C] [--pin] "
	    "[--wait auto|spin|sleep] [--sleep-ns S]\n"
	    "                   [--oversubscribe]\n"
	    "  By default the layout fits the machine: the publisher and "
	    "one spinning\n"
	    "  subscriber per CPU left (up to 3), pinned; the group of 4 "
	    "spins on a CPU\n"
	    "  of its own if one is left, else it sleeps when idle. "
	    "--subscribers,\n"
	    "  --group, --pin and --wait choose the layout by hand.\n"
	    "  --oversubscribe  3 subscribers and a group of 4 whatever the "
	    "CPUs: with\n"
	    "                   fewer CPUs than threads they sleep when idle "
	    "and their\n"
	    "                   latency is OS wake-ups (microseconds), not the "
	    "ring\n"
	    "  --messages N     quotes to publish (2000000)\n"
	    "  --subscribers K  independent subscriber threads (3)\n"
	    "  --group N        members of the subscriber group, 0 for "
	    "none (4)\n"
	    "  --gap-ns G       pause between publishes, 0 for none "
	    "(1000)\n"
	    "  --capacity C     ring slots, a power of two (65536)\n"
	    "  --pin            pin the publisher to the first available "
	    "CPU and\n"
	    "                   the consumers round-robin to the others\n"
	    "  --wait MODE      idle consumers: spin, sleep, or auto "
	    "(spin when\n"
	    "                   every thread has a CPU of its own)\n"
	    "  --sleep-ns S     sleep of an idle consumer in sleep mode "
	    "(20000)\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	int i, step;

	/* Every option takes a value, except --pin and --help. */
	for (i = 1; i < argc; i += step) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		step = 2;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--pin")) {
			cfg.pin = 1;
			cfg.chosen = 1;
			step = 1;
		} else if (!strcmp(a, "--oversubscribe")) {
			cfg.oversubscribe = 1;
			step = 1;
		} else if (!strcmp(a, "--wait") && v) {
			cfg.chosen = 1;
			if (!strcmp(v, "auto"))
				cfg.wait = WAIT_AUTO;
			else if (!strcmp(v, "spin"))
				cfg.wait = WAIT_SPIN;
			else if (!strcmp(v, "sleep"))
				cfg.wait = WAIT_SLEEP;
			else
				return -1;
		} else if (parse_u64(v, &x) != 0) {
			return -1;
		} else if (!strcmp(a, "--messages") && x > 0) {
			cfg.messages = x;
		} else if (!strcmp(a, "--subscribers") && x <= 64) {
			cfg.subscribers = (unsigned)x;
			cfg.chosen = 1;
		} else if (!strcmp(a, "--group") && x <= 1024) {
			cfg.group = (unsigned)x;
			cfg.chosen = 1;
		} else if (!strcmp(a, "--gap-ns") && x <= 1000000000u) {
			cfg.gap_ns = x;
		} else if (!strcmp(a, "--capacity")) {
			cfg.capacity = x;
		} else if (!strcmp(a, "--sleep-ns") && x <= 1000000000u) {
			cfg.sleep_ns = x;
			sleep_chosen = 1;
		} else {
			return -1;
		}
	}
	if (cfg.subscribers == 0 && cfg.group == 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct consumer *cons;
	pthread_t pub_thread;
	char model[256];
	unsigned i;
	int rc, ok = 1, fit, group_cpu = 0, sleepy;

	if (parse_args(argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	available_cpus();
	/*
	 * The layout. By default it fits the machine: the publisher and one
	 * spinning subscriber per CPU left (up to 3), pinned, so the numbers
	 * are the ring's; the group spins on a CPU of its own if one is
	 * left, else it sleeps when idle. Options choose it by hand, and
	 * --oversubscribe keeps every consumer whatever the CPUs.
	 */
	fit = !cfg.chosen && !cfg.oversubscribe && ncpus >= 2;
	if (fit) {
		cfg.pin = 1;
		cfg.subscribers = ncpus - 1 < 3 ? ncpus - 1 : 3;
		group_cpu = ncpus - 1 > cfg.subscribers;
	}
	nconsumers = cfg.subscribers + (cfg.group ? 1 : 0);
	if (fit)
		sleepy = cfg.group && !group_cpu; /* the group only */
	else if (cfg.wait == WAIT_AUTO)
		sleepy = nconsumers + 1 > ncpus;
	else
		sleepy = cfg.wait == WAIT_SLEEP;
	cpu_model(model, sizeof(model));
	calibrate();

	printf("market_data: libphotonring %s\n", photon_version_string());
	printf("cpu:       %s, %u CPUs available\n", model, ncpus);
#if HAVE_TSC
	printf("clock:     TSC %.3f MHz (%s), calibrated against "
	       "CLOCK_MONOTONIC over 100 ms\n",
	       1e3 / ns_per_tick,
	       tsc_invariant() ? "invariant"
			       : "NOT invariant: latencies "
				 "are suspect");
#else
	printf("clock:     %s, %.3f MHz, calibrated against CLOCK_MONOTONIC "
	       "over 100 ms\n",
	       photon_tsc_source(), 1e3 / ns_per_tick);
#endif
	printf("settings:  %" PRIu64 " quotes of %zu bytes, lossy ring of "
	       "%" PRIu64 " slots, gap %" PRIu64 " ns\n",
	       cfg.messages, sizeof(struct quote), cfg.capacity, cfg.gap_ns);
	printf("consumers: %u subscriber%s + ", cfg.subscribers,
	       cfg.subscribers == 1 ? "" : "s");
	if (cfg.group)
		printf("a group of %u", cfg.group);
	else
		printf("no group");
	if (fit) {
		printf(", fitted to %u CPUs (--oversubscribe: every "
		       "consumer a thread)\n",
		       ncpus);
		printf("layout:    publisher on CPU %u; subscriber%s spinning, "
		       "one per CPU left, pinned",
		       cpus[0], cfg.subscribers == 1 ? "" : "s");
		if (cfg.group)
			printf(group_cpu
				   ? "; the group spinning on CPU %u\n"
				   : "; the group sleeps when idle (no "
				     "CPU left for it),\n           1 ms at "
				     "a time: its latency is that sleep, the "
				     "subscribers' the ring's\n",
			       cpus[1 + cfg.subscribers]);
		else
			printf("\n");
	} else {
		printf(", idle wait %s%s, %s\n", sleepy ? "sleep" : "spin",
		       cfg.wait == WAIT_AUTO ? " (auto)" : "",
		       cfg.pin ? "pinned" : "unpinned");
	}
	if (!fit && sleepy)
		printf("note:      %u threads on %u CPUs: idle consumers "
		       "sleep after a short spin,\n           so latency is "
		       "OS wake-ups (microseconds), not the ring; the\n"
		       "           default layout (no --oversubscribe) gives "
		       "each spinning reader a CPU\n",
		       nconsumers + 1, ncpus);

	rc = quote_channel_create(&channel, cfg.capacity);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(channel, &publisher);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "market_data: %s (%s)\n", photon_strerror(rc),
			photon_last_error_message());
		return 2;
	}

	cons = calloc(nconsumers, sizeof(*cons));
	if (!cons) {
		fprintf(stderr, "market_data: out of memory\n");
		return 2;
	}
	if (cfg.pin)
		publisher_cpu = (int)cpus[0];
	for (i = 0; i < nconsumers; i++) {
		struct consumer *c = &cons[i];

		c->index = i;
		c->is_group = i == cfg.subscribers;
		c->cpu = -1;
		c->sleepy = sleepy;
		c->sleep_ns = cfg.sleep_ns;
		if (fit) { /* a CPU each; the group one only if left */
			c->sleepy = c->is_group && !group_cpu;
			if (!c->sleepy)
				c->cpu = (int)cpus[1 + i];
			else if (!sleep_chosen) /* wake seldom: the pinned */
				c->sleep_ns =
				    1000000; /* threads keep their CPUs */
		} else if (cfg.pin) {
			c->cpu = (int)(ncpus > 1 ? cpus[1 + i % (ncpus - 1)]
						 : cpus[0]);
		}
		c->lat = malloc(cfg.messages * sizeof(*c->lat));
		if (!c->lat) {
			fprintf(stderr, "market_data: out of memory\n");
			return 2;
		}
	}
	for (i = 0; i < nconsumers; i++)
		if (pthread_create(&cons[i].thread, NULL, consumer_main,
				   &cons[i]) != 0) {
			fprintf(stderr, "market_data: pthread_create failed\n");
			return 2;
		}
	if (pthread_create(&pub_thread, NULL, publisher_main, NULL) != 0) {
		fprintf(stderr, "market_data: pthread_create failed\n");
		return 2;
	}
	pthread_join(pub_thread, NULL);
	for (i = 0; i < nconsumers; i++)
		pthread_join(cons[i].thread, NULL);

	printf("publisher: %" PRIu64 " quotes in %.3f s (%.0f msg/s)%s\n\n",
	       published, (double)pub_ticks * ns_per_tick * 1e-9,
	       pub_ticks ? (double)(published - 1) /
			       ((double)pub_ticks * ns_per_tick * 1e-9)
			 : 0.0,
	       publisher_cpu >= 0 ? ", pinned" : "");
	printf("%-14s %3s %10s %8s %7s %9s %7s %7s %7s %8s %9s\n", "consumer",
	       "cpu", "delivered", "lagged", "ratio", "msg/s", "p50", "p90",
	       "p99", "p99.9", "max (ns)");
	for (i = 0; i < nconsumers; i++) {
		if (cons[i].failed) {
			ok = 0;
			continue;
		}
		ok &= report(&cons[i]);
	}
	printf("\n%s\n", ok ? "ok: every consumer saw its quotes in order; "
			      "delivered + lagged = published"
			    : "FAILED");

	for (i = 0; i < nconsumers; i++) {
		photon_subscriber_close(cons[i].sub);
		photon_group_close(cons[i].grp);
		free(cons[i].lat);
	}
	free(cons);
	photon_channel_release(channel);
	return ok ? 0 : 1;
}
