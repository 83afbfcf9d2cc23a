/* SPDX-License-Identifier: MIT */
/*
 * libphotonring's side of the 1 -> k throughput comparison with the
 * Disruptor (bench/report.sh; Harness.java throughput k=K is the other
 * side): one publisher, k subscribers of one bounded channel (watermark 0),
 * each its own thread, every subscriber gets every message 1, 2, 3 ... and
 * checks that each is the next. The loops are bench_throughput's
 * (bench/xt_loops.h) with one consumer per thread:
 *
 *   fanout [-n messages] [-k consumers] [-s capacity] [-w busy|yield]
 *
 * busy: one PAUSE per empty poll or refused publish (what the Disruptor's
 * BusySpinWaitStrategy does with Thread.onSpinWait); yield: 100 bare
 * re-polls, then sched_yield() after each (YieldingWaitStrategy's 100
 * spin tries, then Thread.yield). No thread is pinned: with k >= 2 there
 * are more threads than this VM's two CPUs, and the Java side cannot pin
 * the Disruptor's threads either in that mode; confine the process with
 * taskset. Prints one line:
 *
 *   throughput photon <Mmsg/s> <order errors> runq=<%>
 *
 * Rate from the publisher's first publish to the last subscriber's last
 * message (CLOCK_MONOTONIC); runq: the largest share of its run one thread
 * spent preempted (runnable, not running), from /proc/thread-self/schedstat.
 * Built by bench/report.sh against build/bench, not by CMake.
 */
#define _GNU_SOURCE
#include <photon/photon.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

PHOTON_DEFINE_TYPED(u64, uint64_t);

#define MAX_K 16

static uint64_t count = 20000000;
static int yield_wait;
static uint64_t go; /* the start flag, written once by main */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int64_t run_delay_ns(void)
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

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* One empty poll or refused publish; *spins counts down per episode. */
static inline void relax(unsigned *spins)
{
	if (!yield_wait)
		cpu_pause();
	else if (*spins > 0)
		(*spins)--;
	else
		sched_yield();
}

struct consumer {
	struct photon_subscriber *sub;
	uint64_t errors, end;
	double runq;
	pthread_t th;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	uint64_t expect = 1, v, t0;
	int64_t d0;
	unsigned spins = 100;

	while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
		cpu_pause();
	d0 = run_delay_ns();
	t0 = now_ns();
	while (expect <= count) {
		if (u64_try_recv(c->sub, &v) == PHOTON_OK) {
			if (v != expect) {
				c->errors++;
				if (v > expect)
					expect = v;
			}
			expect++;
			spins = 100;
			continue;
		}
		relax(&spins);
	}
	c->end = now_ns();
	c->runq =
	    d0 < 0 ? -1 : (double)(run_delay_ns() - d0) / (double)(c->end - t0);
	return NULL;
}

int main(int argc, char **argv)
{
	struct consumer c[MAX_K];
	struct photon_channel *ch;
	struct photon_publisher *pub;
	size_t capacity = 4096;
	int k = 1, i, opt;
	uint64_t t0, end = 0, errors = 0, n;
	int64_t d0;
	double runq;
	unsigned spins;

	while ((opt = getopt(argc, argv, "n:k:s:w:h")) != -1) {
		switch (opt) {
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 'k':
			k = atoi(optarg);
			break;
		case 's':
			capacity = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			yield_wait = !strcmp(optarg, "yield");
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n messages] [-k consumers] "
				"[-s capacity] [-w busy|yield]\n",
				argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (k < 1 || k > MAX_K || count == 0) {
		fprintf(stderr, "%s: 1 <= k <= %d, n > 0\n", argv[0], MAX_K);
		return 2;
	}
	if (u64_channel_create_bounded(&ch, capacity, 0) != PHOTON_OK ||
	    photon_publisher_open(ch, &pub) != PHOTON_OK) {
		fprintf(stderr, "%s: %s\n", argv[0],
			photon_last_error_message());
		return 1;
	}
	memset(c, 0, sizeof(c));
	/* Every subscriber is registered before the first publish. */
	for (i = 0; i < k; i++)
		if (photon_subscribe(ch, &c[i].sub) != PHOTON_OK ||
		    pthread_create(&c[i].th, NULL, consume, &c[i]) != 0) {
			fprintf(stderr, "%s: subscriber %d failed\n", argv[0],
				i);
			return 1;
		}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	d0 = run_delay_ns();
	t0 = now_ns();
	for (n = 1; n <= count; n++) {
		spins = 100;
		while (u64_try_publish(pub, &n) != PHOTON_OK)
			relax(&spins);
	}
	runq = d0 < 0 ? -1
		      : (double)(run_delay_ns() - d0) / (double)(now_ns() - t0);
	for (i = 0; i < k; i++) {
		pthread_join(c[i].th, NULL);
		if (c[i].end > end)
			end = c[i].end;
		errors += c[i].errors;
		if (runq >= 0 && (c[i].runq < 0 || c[i].runq > runq))
			runq = c[i].runq;
		photon_subscriber_close(c[i].sub);
	}
	photon_publisher_close(pub);
	photon_channel_release(ch);
	printf("throughput photon %.2f %llu runq=%.2f\n",
	       (double)count * 1e3 / (double)(end - t0),
	       (unsigned long long)errors, 100 * runq);
	return errors ? 1 : 0;
}
