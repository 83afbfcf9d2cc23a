/* SPDX-License-Identifier: MIT */
/*
 * MPMC against SPMC, and the cost of a capacity that is not a power of two.
 * Prints tables; never fails on a number.
 *
 *   mpmc [--ops N] [--messages N] [--runs N]
 *
 * Single-thread costs (ns per operation, median of --runs, interleaved):
 * publish alone and publish + try_recv, typed inline, on a lossy channel of
 * 4096 slots (mask) and of 4095 slots (multiply-shift), and an MPMC handle
 * (fetch-add claim, cursor CAS) on 4096 slots.
 * Cross-thread throughput: 1 and 2 producers into one bounded channel of
 * 4096 slots, one consumer that checks every message arrives once and in
 * per-producer order; messages per second at the consumer.
 */
#define _GNU_SOURCE
#include <photon/photon.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

PHOTON_DEFINE_TYPED(u64, uint64_t);

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum single { PUB_POW2, PUB_ANY, PUB_MPMC, RT_POW2, RT_ANY, RT_MPMC, NSINGLE };
static const char *single_name[NSINGLE] = {
	"publish, 4096 slots (mask)",
	"publish, 4095 slots (multiply-shift)",
	"publish, MPMC handle, 4096 slots",
	"publish+try_recv, 4096 slots",
	"publish+try_recv, 4095 slots",
	"publish+try_recv, MPMC, 4096 slots",
};

static volatile uint64_t sink;

static double single(enum single which, uint64_t ops)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	size_t cap = (which == PUB_ANY || which == RT_ANY) ? 4095 : 4096;
	int mpmc = which == PUB_MPMC || which == RT_MPMC;
	int rt = which >= RT_POW2;
	uint64_t i, v, sum = 0;
	double t0, t1;

	if ((mpmc ? photon_channel_create_mpmc(&ch, cap, 8)
		  : photon_channel_create(&ch, cap, 8)) != PHOTON_OK ||
	    photon_publisher_open(ch, &p) != PHOTON_OK ||
	    photon_subscribe(ch, &s) != PHOTON_OK)
		exit(2);
	t0 = now_s();
	for (i = 0; i < ops; i++) {
		u64_publish(p, &i);
		if (rt && u64_try_recv(s, &v) == PHOTON_OK)
			sum += v;
	}
	t1 = now_s();
	sink = sum;
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
	return (t1 - t0) * 1e9 / (double)ops;
}

struct producer {
	struct photon_publisher *pub; /* opened before the thread starts */
	uint64_t id, count;
	int rc;
};

static void *producer_main(void *arg)
{
	struct producer *pr = arg;
	uint64_t i, msg[2];

	pr->rc = PHOTON_OK;
	for (i = 0; i < pr->count && pr->rc == PHOTON_OK; i++) {
		msg[0] = pr->id;
		msg[1] = i;
		pr->rc = photon_publish(pr->pub, msg);
	}
	photon_publisher_close(pr->pub); /* the last one closes the channel */
	return NULL;
}

/* Messages per second at the consumer; -1 when delivery was wrong. */
static double throughput(int producers, uint64_t messages)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_opts o = { 0 };
	struct producer pr[2];
	pthread_t t[2];
	uint64_t next[2] = { 0, 0 }, got = 0, msg[2];
	double t0, t1;
	int k, rc, bad = 0;

	o.capacity = 4096;
	o.msg_size = 16;
	o.flags = PHOTON_BOUNDED | (producers > 1 ? PHOTON_MPMC : 0);
	if (photon_channel_create_opts(&ch, &o) != PHOTON_OK ||
	    photon_subscribe(ch, &s) != PHOTON_OK)
		exit(2);
	for (k = 0; k < producers; k++) {
		pr[k] = (struct producer){ .id = (uint64_t)k,
					   .count = messages / producers };
		if (photon_publisher_open(ch, &pr[k].pub) != PHOTON_OK)
			exit(2);
	}
	for (k = 0; k < producers; k++)
		pthread_create(&t[k], NULL, producer_main, &pr[k]);
	t0 = now_s();
	while ((rc = photon_recv(s, msg)) == PHOTON_OK) {
		bad |= msg[0] > 1 || msg[1] != next[msg[0] & 1];
		next[msg[0] & 1] = msg[1] + 1;
		got++;
	}
	t1 = now_s();
	for (k = 0; k < producers; k++) {
		pthread_join(t[k], NULL);
		bad |= pr[k].rc != PHOTON_OK;
	}
	bad |= got != (messages / producers) * producers;
	photon_subscriber_close(s);
	photon_channel_release(ch);
	return bad ? -1.0 : (double)got / (t1 - t0);
}

int main(int argc, char **argv)
{
	uint64_t ops = 20000000, messages = 20000000;
	int runs = 5, r, k, i;
	double ns[NSINGLE][32], tp[2][32];

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--ops"))
			ops = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--messages"))
			messages = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--runs"))
			runs = atoi(argv[i + 1]);
	}
	if (runs < 1 || runs > 32 || !ops || messages < 2) {
		fprintf(stderr, "mpmc: bad arguments\n");
		return 2;
	}
	printf("mpmc: libphotonring %s; %llu ops, %llu messages, %d runs "
	       "(median [min..max])\n\n",
	       photon_version_string(), (unsigned long long)ops,
	       (unsigned long long)messages, runs);
	for (r = 0; r < runs; r++) { /* interleaved: drift hits all alike */
		for (k = 0; k < NSINGLE; k++)
			ns[k][r] = single((enum single)k, ops);
		tp[0][r] = throughput(1, messages);
		tp[1][r] = throughput(2, messages);
	}
	printf("%-40s %8s %18s\n", "single thread", "ns/op", "spread");
	for (k = 0; k < NSINGLE; k++) {
		qsort(ns[k], (size_t)runs, sizeof(double), cmp_double);
		printf("%-40s %8.2f   [%6.2f .. %6.2f]\n", single_name[k],
		       ns[k][runs / 2], ns[k][0], ns[k][runs - 1]);
	}
	printf("\n%-40s %8s %18s\n", "cross thread, bounded 4096", "Mmsg/s",
	       "spread");
	for (k = 0; k < 2; k++) {
		qsort(tp[k], (size_t)runs, sizeof(double), cmp_double);
		if (tp[k][0] < 0) {
			printf("%s: DELIVERY ERROR\n", k ? "MPMC" : "SPMC");
			return 1;
		}
		printf("%-40s %8.2f   [%6.2f .. %6.2f]\n",
		       k ? "MPMC, 2 producers -> 1 consumer"
			 : "SPMC, 1 producer -> 1 consumer",
		       tp[k][runs / 2] / 1e6, tp[k][0] / 1e6,
		       tp[k][runs - 1] / 1e6);
	}
	return 0;
}
