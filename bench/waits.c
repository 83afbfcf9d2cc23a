/* SPDX-License-Identifier: MIT */
/*
 * What each wait strategy costs: CPU burnt by an idle waiting consumer,
 * wake-up latency from publish to return, and throughput when consumers
 * outnumber cores. Prints tables; never fails on a number.
 *
 *   waits [--idle-ms N] [--wakeups N] [--oversub-s N] [--consumers N]
 *
 * Idle CPU: a consumer waits on an empty channel for --idle-ms; its CPU
 * time comes from getrusage(RUSAGE_THREAD) around the wait.
 * Wake-up: the publisher sleeps a random 50..550 us (so the consumer is
 * deep in its wait: parked, monitoring, or backing off), then publishes its
 * CLOCK_MONOTONIC time; the consumer's latency is its clock at return minus
 * that stamp. Percentiles over --wakeups samples (first 10% discarded).
 * Oversubscribed: --consumers readers and one publisher (paced, ~1 message
 * per 2 us) on whatever CPUs the process has; every second each consumer's
 * count is sampled, and the table shows its worst second.
 */
#define _GNU_SOURCE
#include <photon/photon.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const struct photon_wait kinds[] = {
	{ .kind = PHOTON_WAIT_BUSY_SPIN },
	{ .kind = PHOTON_WAIT_YIELD_SPIN },
	{ .kind = PHOTON_WAIT_BACKOFF_SPIN },
	{ .kind = PHOTON_WAIT_ADAPTIVE },
	{ .kind = PHOTON_WAIT_MONITOR },
	{ .kind = PHOTON_WAIT_PARK },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static uint64_t now_ns(void)
{
	return photon_monotonic_ns();
}

static double thread_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
		   1e6;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u),
			       (long)(ns % 1000000000u) };

	nanosleep(&ts, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- idle CPU ---- */

struct idle {
	struct photon_subscriber *sub;
	const struct photon_wait *w;
	double cpu, wall;
};

static void *idle_consumer(void *arg)
{
	struct idle *id = arg;
	uint64_t v, t0 = now_ns();
	double c0 = thread_cpu_s();

	photon_recv_with(id->sub, &v, id->w); /* returns CLOSED at the end */
	id->cpu = thread_cpu_s() - c0;
	id->wall = (double)(now_ns() - t0) / 1e9;
	return NULL;
}

static double idle_cpu(const struct photon_wait *w, unsigned idle_ms)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct idle id = { .w = w };
	pthread_t t;

	if (photon_channel_create(&ch, 64, 8) != PHOTON_OK ||
	    photon_publisher_open(ch, &p) != PHOTON_OK ||
	    photon_subscribe(ch, &id.sub) != PHOTON_OK)
		exit(2);
	pthread_create(&t, NULL, idle_consumer, &id);
	sleep_ns((uint64_t)idle_ms * 1000000u);
	photon_publisher_close(p);
	pthread_join(t, NULL);
	photon_subscriber_close(id.sub);
	photon_channel_release(ch);
	return id.wall > 0 ? 100.0 * id.cpu / id.wall : 0.0;
}

/* ---- wake-up latency ---- */

struct wake {
	struct photon_subscriber *sub;
	const struct photon_wait *w;
	uint64_t *lat;
	size_t n;
};

static void *wake_consumer(void *arg)
{
	struct wake *wk = arg;
	uint64_t stamp;
	size_t i;

	for (i = 0; i < wk->n; i++) {
		if (photon_recv_with(wk->sub, &stamp, wk->w) != PHOTON_OK)
			break;
		wk->lat[i] = now_ns() - stamp;
	}
	return NULL;
}

static void wake_latency(const struct photon_wait *w, size_t n, double *p50,
			 double *p99)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct wake wk = { .w = w, .n = n };
	uint64_t seed = 0x9E3779B97F4A7C15ull;
	size_t i, skip = n / 10;
	pthread_t t;

	wk.lat = calloc(n, sizeof(*wk.lat));
	if (!wk.lat || photon_channel_create(&ch, 64, 8) != PHOTON_OK ||
	    photon_publisher_open(ch, &p) != PHOTON_OK ||
	    photon_subscribe(ch, &wk.sub) != PHOTON_OK)
		exit(2);
	pthread_create(&t, NULL, wake_consumer, &wk);
	for (i = 0; i < n; i++) {
		uint64_t stamp;

		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		sleep_ns(50000 + seed % 500000);
		stamp = now_ns();
		photon_publish(p, &stamp);
	}
	pthread_join(t, NULL);
	qsort(wk.lat + skip, n - skip, sizeof(uint64_t), cmp_u64);
	*p50 = (double)wk.lat[skip + (n - skip) / 2] / 1000.0;
	*p99 = (double)wk.lat[skip + (n - skip) * 99 / 100] / 1000.0;
	photon_publisher_close(p);
	photon_subscriber_close(wk.sub);
	photon_channel_release(ch);
	free(wk.lat);
}

/* ---- oversubscribed throughput ---- */

struct over {
	struct photon_subscriber *sub;
	const struct photon_wait *w;
	uint64_t count; /* read by the sampler: relaxed atomics */
};

static void *over_consumer(void *arg)
{
	struct over *o = arg;
	uint64_t v;

	while (photon_recv_with(o->sub, &v, o->w) == PHOTON_OK)
		__atomic_store_n(&o->count, o->count + 1, __ATOMIC_RELAXED);
	return NULL;
}

struct pacer {
	struct photon_publisher *pub;
	int stop;
	uint64_t sent;
};

static void *over_publisher(void *arg)
{
	struct pacer *pc = arg;
	uint64_t next = now_ns();

	while (!__atomic_load_n(&pc->stop, __ATOMIC_ACQUIRE)) {
		while (now_ns() < next)
			;
		next += 2000;
		photon_publish(pc->pub, &pc->sent);
		pc->sent++;
	}
	return NULL;
}

static void oversubscribed(const struct photon_wait *w, unsigned consumers,
			   unsigned seconds, uint64_t *worst, uint64_t *total)
{
	struct photon_channel *ch;
	struct over *o = calloc(consumers, sizeof(*o));
	pthread_t *t = calloc(consumers, sizeof(*t)), tp;
	uint64_t *last = calloc(consumers, sizeof(*last));
	struct pacer pc = { 0 };
	unsigned s, k;

	if (!o || !t || !last || photon_channel_create(&ch, 4096, 8) ||
	    photon_publisher_open(ch, &pc.pub))
		exit(2);
	for (k = 0; k < consumers; k++) {
		o[k].w = w;
		if (photon_subscribe(ch, &o[k].sub) != PHOTON_OK)
			exit(2);
		pthread_create(&t[k], NULL, over_consumer, &o[k]);
	}
	pthread_create(&tp, NULL, over_publisher, &pc);
	*worst = UINT64_MAX;
	for (s = 0; s < seconds; s++) {
		sleep_ns(1000000000u);
		for (k = 0; k < consumers; k++) {
			uint64_t c =
			    __atomic_load_n(&o[k].count, __ATOMIC_RELAXED);
			if (c - last[k] < *worst)
				*worst = c - last[k];
			last[k] = c;
		}
	}
	__atomic_store_n(&pc.stop, 1, __ATOMIC_RELEASE);
	pthread_join(tp, NULL);
	photon_publisher_close(pc.pub);
	*total = 0;
	for (k = 0; k < consumers; k++) {
		pthread_join(t[k], NULL);
		*total += photon_subscriber_received(o[k].sub);
		photon_subscriber_close(o[k].sub);
	}
	*total /= consumers;
	photon_channel_release(ch);
	free(o);
	free(t);
	free(last);
}

int main(int argc, char **argv)
{
	unsigned idle_ms = 2000, seconds = 3, consumers = 4;
	size_t wakeups = 2000, k;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--idle-ms"))
			idle_ms = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--wakeups"))
			wakeups = (size_t)atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--oversub-s"))
			seconds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--consumers"))
			consumers = (unsigned)atoi(argv[i + 1]);
	}
	if (wakeups < 10 || !consumers) {
		fprintf(stderr, "waits: bad arguments\n");
		return 2;
	}
	printf("waits: libphotonring %s, hardware monitor: %s\n",
	       photon_version_string(), photon_wait_monitor_name());
	printf("idle %u ms; %zu wake-ups after 50..550 us of quiet; "
	       "%u consumers paced at 500k msg/s for %u s\n\n",
	       idle_ms, wakeups, consumers, seconds);
	printf("%-13s %10s %11s %11s %14s %12s\n", "strategy", "idle CPU%",
	       "wake p50us", "wake p99us", "worst 1s/cons", "msgs/cons");
	for (k = 0; k < NKINDS; k++) {
		double cpu = idle_cpu(&kinds[k], idle_ms), p50, p99;
		uint64_t worst, total;

		wake_latency(&kinds[k], wakeups, &p50, &p99);
		oversubscribed(&kinds[k], consumers, seconds, &worst, &total);
		printf("%-13s %10.1f %11.1f %11.1f %14llu %12llu\n",
		       photon_wait_name(kinds[k].kind), cpu, p50, p99,
		       (unsigned long long)worst, (unsigned long long)total);
		fflush(stdout);
	}
	return 0;
}
