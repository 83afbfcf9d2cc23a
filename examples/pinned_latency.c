/* SPDX-License-Identifier: MIT */
/*
 * pinned_latency: one-way latency between a publisher and a subscriber
 * pinned on two cores that share a cache, with the ring on huge pages (or
 * transparent huge pages), locked in RAM and prefaulted. Each knob can be
 * turned off to see what it buys.
 *
 * The publisher stamps each message with the TSC (calibrated against
 * CLOCK_MONOTONIC) just before publishing, paced by --gap-ns; the subscriber
 * busy-polls and reads the TSC as soon as a message arrives. Latencies are
 * reported for the first lap of the ring (where a ring that was not
 * prefaulted takes its page faults) and for the rest (steady state).
 *
 *   pinned_latency [--messages N] [--gap-ns G] [--capacity C]
 *                  [--no-hugepages] [--no-mlock] [--no-prefault] [--no-pin]
 *
 * Exit status: 0 when every message arrived in order, 1 when not, 2 on bad
 * arguments or a failed setup.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#endif
#include <inttypes.h>
#include <pthread.h>
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

struct sample {
	uint64_t seq;
	uint64_t stamp; /* clock ticks just before publish */
};

PHOTON_DEFINE_TYPED(sample, struct sample);

static struct {
	uint64_t messages;
	uint64_t gap_ns;
	uint64_t capacity;
	int hugepages, mlock, prefault, pin;
} cfg = { 200000, 1000, 65536, 1, 1, 1, 1 };

static struct photon_publisher *publisher;
static struct photon_subscriber *subscriber;
static uint64_t *lat; /* ticks, indexed by sequence; UINT64_MAX: lost */
static atomic_int ready;
static int pub_cpu = -1, sub_cpu = -1;
static double ns_per_tick = 1.0;
static uint64_t received, lagged, disorder;

/* The library's TSC read (RDTSC, CNTVCT_EL0, or the monotonic clock). */
static inline uint64_t now_ticks(void)
{
	return photon_tsc_now();
}

static inline void cpu_relax(void)
{
#if HAVE_TSC
	_mm_pause();
#endif
}

/* Ticks per nanosecond over 100 ms, measured by the library. */
static void calibrate(void)
{
	double ticks_per_ns;

	if (photon_tsc_calibrate(&ticks_per_ns, 100000000) == PHOTON_OK)
		ns_per_tick = 1.0 / ticks_per_ns;
}

static void pin_or_warn(int cpu, const char *who)
{
	int rc;

	if (cpu < 0)
		return;
	rc = photon_pin_to_core((unsigned)cpu);
	if (rc != PHOTON_OK)
		fprintf(stderr, "%s: pin to CPU %d: %s\n", who, cpu,
			photon_last_error_message());
}

static void *subscriber_main(void *arg)
{
	struct sample m;
	uint64_t expect = 0;

	(void)arg;
	pin_or_warn(sub_cpu, "subscriber");
	atomic_store_explicit(&ready, 1, memory_order_release);
	for (;;) {
		int rc = sample_try_recv(subscriber, &m);

		if (rc == PHOTON_OK) {
			uint64_t t = now_ticks();

			if (m.seq != expect || m.seq >= cfg.messages) {
				disorder++;
				break;
			}
			lat[m.seq] = t - m.stamp;
			expect = m.seq + 1;
			received++;
		} else if (rc == PHOTON_LAGGED) {
			uint64_t k = photon_subscriber_last_skipped(subscriber);

			lagged += k;
			expect += k;
		} else if (rc == PHOTON_CLOSED) {
			break;
		}
	}
	return NULL;
}

static void *publisher_main(void *arg)
{
	uint64_t gap = (uint64_t)((double)cfg.gap_ns / ns_per_tick), next, i;
	struct sample m;

	(void)arg;
	pin_or_warn(pub_cpu, "publisher");
	while (!atomic_load_explicit(&ready, memory_order_acquire))
		cpu_relax();
	next = now_ticks() + 1000 * gap;
	for (i = 0; i < cfg.messages; i++) {
		while (now_ticks() < next)
			cpu_relax();
		m.seq = i;
		m.stamp = now_ticks();
		sample_publish(publisher, &m);
		/* Paced from this publish: after a stall, no catch-up burst. */
		next = m.stamp + gap;
	}
	photon_publisher_close(publisher);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Percentiles of lat[from, to) (received messages only), in ns. */
static void report(const char *name, uint64_t from, uint64_t to)
{
	static const uint64_t per_million[] = { 500000, 900000, 990000, 999000,
						999900 };
	uint64_t *v = malloc((to - from + 1) * sizeof(*v)), n = 0, i;
	size_t k;

	if (!v)
		return;
	for (i = from; i < to; i++)
		if (lat[i] != UINT64_MAX)
			v[n++] = lat[i];
	printf("  %-18s %8" PRIu64, name, n);
	if (n == 0) {
		printf("\n");
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	for (k = 0; k < sizeof(per_million) / sizeof(per_million[0]); k++) {
		uint64_t rank = (n * per_million[k] + 999999) / 1000000;

		printf(" %8.0f", (double)v[rank ? rank - 1 : 0] * ns_per_tick);
	}
	printf(" %9.0f\n", (double)v[n - 1] * ns_per_tick);
	free(v);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pinned_latency [--messages N] [--gap-ns G] "
		   "[--capacity C]\n"
		   "                      [--no-hugepages] [--no-mlock] "
		   "[--no-prefault] [--no-pin]\n"
		   "  --messages N    messages to time (200000)\n"
		   "  --gap-ns G      pause between publishes (1000)\n"
		   "  --capacity C    ring slots (65536: a 4 MiB ring)\n"
		   "  --no-hugepages  base pages instead of 2 MiB pages\n"
		   "  --no-mlock      do not lock the ring in RAM\n"
		   "  --no-prefault   let the first lap take the page faults\n"
		   "  --no-pin        let the scheduler place the threads\n");
}

static int parse_args(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t *num = NULL;

		if (!strcmp(a, "--no-hugepages"))
			cfg.hugepages = 0;
		else if (!strcmp(a, "--no-mlock"))
			cfg.mlock = 0;
		else if (!strcmp(a, "--no-prefault"))
			cfg.prefault = 0;
		else if (!strcmp(a, "--no-pin"))
			cfg.pin = 0;
		else if (!strcmp(a, "--messages"))
			num = &cfg.messages;
		else if (!strcmp(a, "--gap-ns"))
			num = &cfg.gap_ns;
		else if (!strcmp(a, "--capacity"))
			num = &cfg.capacity;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else
			return -1;
		if (num) {
			char *end;

			if (i + 1 >= argc || argv[i + 1][0] == '-')
				return -1;
			*num = strtoull(argv[++i], &end, 10);
			if (*end)
				return -1;
		}
	}
	return cfg.messages && cfg.gap_ns <= 1000000000u ? 0 : -1;
}

/* Publisher on the first available CPU, subscriber on its closest peer. */
static void choose_cores(const char **why)
{
	unsigned first;
	int peer;

	*why = "not pinned";
	if (!cfg.pin || photon_core_count() < 2) {
		if (cfg.pin)
			*why = "one CPU available: not pinned";
		return;
	}
	photon_available_cores(&first, 1);
	pub_cpu = (int)first;
	peer = photon_core_sharing_cache(first, PHOTON_CORE_OTHER_PHYSICAL);
	*why = "other physical core sharing a cache";
	if (peer < 0) {
		peer = photon_core_sharing_cache(first, 0);
		*why = "SMT sibling";
	}
	if (peer < 0) {
		unsigned two[2];

		photon_available_cores(two, 2);
		peer = (int)two[1];
		*why = "shares no cache: none available that does";
	}
	sub_cpu = peer;
}

int main(int argc, char **argv)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	pthread_t pt, st;
	const char *why, *locked = "off", *faulted = "off";
	uint64_t i, lap;
	int rc, node;

	if (parse_args(argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	lat = malloc(cfg.messages * sizeof(*lat));
	if (!lat)
		return 2;
	for (i = 0; i < cfg.messages; i++) /* touched now, not while timing */
		lat[i] = UINT64_MAX;
	calibrate();
	choose_cores(&why);

	o.capacity = cfg.capacity;
	o.msg_size = sizeof(struct sample);
	/* hugetlb pages when reserved, else transparent huge pages. */
	o.flags = cfg.hugepages ? PHOTON_HUGEPAGES | PHOTON_THP : 0;
	rc = photon_channel_create_opts(&ch, &o);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(ch, &publisher);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "setup: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		return 2;
	}
	/* Before anything is published or subscribed. */
	if (cfg.prefault) {
		rc = photon_publisher_prefault(publisher);
		faulted = rc == PHOTON_OK ? "on" : "FAILED";
		if (rc != PHOTON_OK)
			fprintf(stderr, "prefault: %s\n",
				photon_last_error_message());
	}
	if (cfg.mlock) {
		rc = photon_publisher_mlock(publisher);
		locked = rc == PHOTON_OK ? "on" : "FAILED";
		if (rc != PHOTON_OK)
			fprintf(stderr, "mlock: %s\n",
				photon_last_error_message());
	}
	if (photon_subscribe(ch, &subscriber) != PHOTON_OK)
		return 2;
	node = photon_channel_numa_node(ch);

	printf("pinned_latency: libphotonring %s, topology from %s\n",
	       photon_version_string(), photon_affinity_backend());
#if HAVE_TSC
	printf("clock:    TSC %.3f MHz, calibrated against CLOCK_MONOTONIC\n",
	       1e3 / ns_per_tick);
#else
	printf("clock:    CLOCK_MONOTONIC\n");
#endif
	printf("ring:     %" PRIu64 " slots x %u B, page size %zu KiB%s, "
	       "NUMA node ",
	       cfg.capacity,
	       (unsigned)PHOTON_SLOT_STRIDE(sizeof(struct sample)),
	       photon_channel_page_size(ch) / 1024,
	       cfg.hugepages ? " (2 MiB pages asked)" : "");
	if (node >= 0)
		printf("%d\n", node);
	else
		printf("%s\n", node == PHOTON_EMPTY ? "not placed yet"
						    : "unknown (no libnuma)");
	printf("knobs:    hugepages %s, mlock %s, prefault %s, pin %s\n",
	       cfg.hugepages ? "on" : "off", locked, faulted,
	       cfg.pin ? "on" : "off");
	if (pub_cpu >= 0)
		printf("threads:  publisher on CPU %d, subscriber on CPU %d "
		       "(%s)\n",
		       pub_cpu, sub_cpu, why);
	else
		printf("threads:  %s\n", why);

	if (pthread_create(&st, NULL, subscriber_main, NULL) != 0 ||
	    pthread_create(&pt, NULL, publisher_main, NULL) != 0)
		return 2;
	pthread_join(pt, NULL);
	pthread_join(st, NULL);

	lap = cfg.capacity < cfg.messages ? cfg.capacity : cfg.messages;
	printf("messages: %" PRIu64 " published every %" PRIu64 " ns, %" PRIu64
	       " received, %" PRIu64 " lost to lag\n",
	       cfg.messages, cfg.gap_ns, received, lagged);
	printf("one-way latency, ns   count      p50      p90      p99    "
	       "p99.9   p99.99       max\n");
	report("first lap", 0, lap);
	report("steady state", lap, cfg.messages);
	report("all", 0, cfg.messages);
	photon_subscriber_close(subscriber);
	photon_channel_release(ch);
	free(lat);
	if (disorder || received + lagged != cfg.messages) {
		printf("FAILED: %" PRIu64 " out of order\n", disorder);
		return 1;
	}
	return 0;
}
