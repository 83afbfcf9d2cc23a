/* SPDX-License-Identifier: MIT */
/*
 * backpressure: a lossless order-fill pipeline on two bounded channels.
 *
 *   gateway --orders--> matcher --fills--> reporter
 *
 * The gateway publishes orders with try_publish and, on PHOTON_FULL, waits
 * and tries again (FULL counts the refusals, stalls the messages that met at
 * least one); the matcher turns every order into one fill, published
 * the same way into the second channel; the reporter checks that fill k
 * belongs to order k. Bounded channels never overwrite a slot a registered
 * consumer still needs, so no read may ever return PHOTON_LAGGED: one is a
 * failure, as is a missing, duplicated or reordered fill.
 *
 * The consumers subscribe before the first publish: a bounded channel with
 * no consumer registered does not hold the publisher back.
 *
 *   backpressure [--orders N] [--capacity C] [--watermark W]
 *                [--wait auto|spin|sleep]
 *
 * Exit status: 0 when every order produced exactly one fill, in order, with
 * no lag; 1 when not; 2 on bad arguments or a failed setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#endif
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <photon/photon.h>

struct order {
	uint64_t id; /* 0, 1, 2 ...: the gateway's sequence */
	uint64_t client;
	double price;
	uint32_t qty;
	uint32_t instrument;
	uint32_t side; /* 0 buy, 1 sell */
	uint32_t pad;
};

struct fill {
	uint64_t order_id;
	uint64_t fill_id;
	double price;
	uint32_t qty;
	uint32_t instrument;
};

PHOTON_DEFINE_TYPED(order, struct order);
PHOTON_DEFINE_TYPED(fill, struct fill);

enum wait_mode { WAIT_AUTO, WAIT_SPIN, WAIT_SLEEP };

static uint64_t n_orders = 10000000;
static uint64_t capacity = 4096;
static uint64_t watermark = 64;
static enum wait_mode wait_mode = WAIT_AUTO;
static int sleepy;

/* Each stage's own results; written by its thread, read after join. */
struct stage {
	const char *name;
	uint64_t in;	     /* messages read */
	uint64_t out;	     /* messages published */
	uint64_t full;	     /* try_publish returned PHOTON_FULL */
	uint64_t stalls;     /* messages that met PHOTON_FULL at least once */
	uint64_t lagged;     /* messages skipped: must stay 0 */
	uint64_t violations; /* wrong id, lag, unexpected status */
	uint64_t first_ns;   /* first message handled */
	uint64_t last_ns;    /* last message handled */
};

static struct photon_publisher *order_pub, *fill_pub;
static struct photon_subscriber *order_sub, *fill_sub;
static struct stage gateway = { .name = "gateway" };
static struct stage matcher = { .name = "matcher" };
static struct stage reporter = { .name = "reporter" };

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/*
 * Waiting for room (FULL) or for data (EMPTY). With a core per thread a
 * short spin is all it takes. With more threads than cores the thread being
 * waited for may not be running at all, so after the spin give the core
 * back with a short sleep (a sched_yield loop would mostly yield to the
 * other waiter).
 */
struct backoff {
	unsigned polls;
};

#define SPIN_POLLS 256

static inline void backoff_wait(struct backoff *b)
{
	struct timespec ts = { 0, 10000 };

	if (!sleepy || b->polls < SPIN_POLLS) {
		b->polls++;
		cpu_relax();
		return;
	}
	nanosleep(&ts, NULL);
}

static void *gateway_main(void *arg)
{
	struct stage *st = arg;
	struct backoff bo = { 0 };
	uint64_t i;

	st->first_ns = mono_ns();
	for (i = 0; i < n_orders; i++) {
		struct order o = { .id = i,
				   .client = i % 97,
				   .price = 100.0 + (double)(i % 500) * 0.05,
				   .qty = 1 + (uint32_t)(i % 10) * 100,
				   .instrument = (uint32_t)(i % 32),
				   .side = (uint32_t)(i & 1) };
		int rc;

		bo.polls = 0;
		rc = order_try_publish(order_pub, &o);
		if (rc == PHOTON_FULL)
			st->stalls++;
		while (rc == PHOTON_FULL) {
			st->full++;
			backoff_wait(&bo);
			rc = order_try_publish(order_pub, &o);
		}
		if (rc != PHOTON_OK) {
			fprintf(stderr, "gateway: %s\n", photon_strerror(rc));
			st->violations++;
			break;
		}
		st->out++;
	}
	st->last_ns = mono_ns();
	photon_publisher_close(order_pub); /* the matcher drains, then CLOSED */
	order_pub = NULL;
	return NULL;
}

static void *matcher_main(void *arg)
{
	struct stage *st = arg;
	struct backoff bo = { 0 };
	struct order o;
	uint64_t expect = 0;

	for (;;) {
		int rc = order_try_recv(order_sub, &o);

		if (rc == PHOTON_OK) {
			struct fill f = { .order_id = o.id,
					  .fill_id = st->out,
					  .price = o.price,
					  .qty = o.qty,
					  .instrument = o.instrument };

			if (st->in == 0)
				st->first_ns = mono_ns();
			if (o.id != expect)
				st->violations++;
			expect = o.id + 1;
			st->in++;
			bo.polls = 0;
			rc = fill_try_publish(fill_pub, &f);
			if (rc == PHOTON_FULL)
				st->stalls++;
			while (rc == PHOTON_FULL) {
				st->full++;
				backoff_wait(&bo);
				rc = fill_try_publish(fill_pub, &f);
			}
			if (rc != PHOTON_OK) {
				st->violations++;
				break;
			}
			st->out++;
			bo.polls = 0;
		} else if (rc == PHOTON_EMPTY) {
			backoff_wait(&bo);
		} else if (rc == PHOTON_CLOSED) {
			break;
		} else {
			/* LAGGED: a bounded channel lost an order. */
			if (rc == PHOTON_LAGGED)
				st->lagged +=
				    photon_subscriber_last_skipped(order_sub);
			else
				fprintf(stderr, "matcher: %s\n",
					photon_strerror(rc));
			st->violations++;
			if (rc != PHOTON_LAGGED)
				break;
		}
	}
	st->last_ns = mono_ns();
	photon_publisher_close(fill_pub);
	fill_pub = NULL;
	return NULL;
}

static void *reporter_main(void *arg)
{
	struct stage *st = arg;
	struct backoff bo = { 0 };
	struct fill f;

	for (;;) {
		int rc = fill_try_recv(fill_sub, &f);

		if (rc == PHOTON_OK) {
			if (st->in == 0)
				st->first_ns = mono_ns();
			/* Fill k is the one fill of order k. */
			if (f.order_id != st->in || f.fill_id != st->in ||
			    f.qty != 1 + (uint32_t)(st->in % 10) * 100)
				st->violations++;
			st->in++;
			bo.polls = 0;
		} else if (rc == PHOTON_EMPTY) {
			backoff_wait(&bo);
		} else if (rc == PHOTON_CLOSED) {
			break;
		} else {
			if (rc == PHOTON_LAGGED)
				st->lagged +=
				    photon_subscriber_last_skipped(fill_sub);
			else
				fprintf(stderr, "reporter: %s\n",
					photon_strerror(rc));
			st->violations++;
			if (rc != PHOTON_LAGGED)
				break;
		}
	}
	st->last_ns = mono_ns();
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: backpressure [--orders N] [--capacity C] "
		   "[--watermark W] [--wait auto|spin|sleep]\n"
		   "  --orders N     orders to send (10000000)\n"
		   "  --capacity C   slots of each bounded ring, a power of "
		   "two (4096)\n"
		   "  --watermark W  headroom kept free, < C (64)\n"
		   "  --wait MODE    on FULL or EMPTY: spin, sleep, or auto "
		   "(spin when\n"
		   "                 every thread has a CPU of its own)\n");
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

static int parse_args(int argc, char **argv)
{
	int i, step;

	/* Every option takes a value, except --help. */
	for (i = 1; i < argc; i += step) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		step = 2;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--wait") && v) {
			if (!strcmp(v, "auto"))
				wait_mode = WAIT_AUTO;
			else if (!strcmp(v, "spin"))
				wait_mode = WAIT_SPIN;
			else if (!strcmp(v, "sleep"))
				wait_mode = WAIT_SLEEP;
			else
				return -1;
		} else if (!strcmp(a, "--orders")) {
			if (parse_u64(v, &n_orders) != 0 || n_orders == 0)
				return -1;
		} else if (!strcmp(a, "--capacity")) {
			if (parse_u64(v, &capacity) != 0)
				return -1;
		} else if (!strcmp(a, "--watermark")) {
			if (parse_u64(v, &watermark) != 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

static int setup(void)
{
	struct photon_channel *orders = NULL, *fills = NULL;
	int rc;

	rc = order_channel_create_bounded(&orders, capacity, watermark);
	if (rc == PHOTON_OK)
		rc = fill_channel_create_bounded(&fills, capacity, watermark);
	/* Consumers first: they must gate the very first publish. */
	if (rc == PHOTON_OK)
		rc = photon_subscribe(orders, &order_sub);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(fills, &fill_sub);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(orders, &order_pub);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(fills, &fill_pub);
	if (rc != PHOTON_OK)
		fprintf(stderr, "backpressure: %s (%s)\n", photon_strerror(rc),
			photon_last_error_message());
	/* The handles keep the channels alive. */
	photon_channel_release(orders);
	photon_channel_release(fills);
	return rc;
}

static double rate(uint64_t n, uint64_t first_ns, uint64_t last_ns)
{
	return last_ns > first_ns
		   ? (double)n * 1e9 / (double)(last_ns - first_ns)
		   : 0.0;
}

int main(int argc, char **argv)
{
	pthread_t t[3];
	cpu_set_t set;
	int ncpus = 1, ok = 1;
	uint64_t wall;

	if (parse_args(argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpus = CPU_COUNT(&set);
	if (wait_mode == WAIT_AUTO)
		sleepy = 3 > ncpus;
	else
		sleepy = wait_mode == WAIT_SLEEP;
	printf("backpressure: libphotonring %s, %d CPUs available\n",
	       photon_version_string(), ncpus);
	printf("settings:     %" PRIu64 " orders; two bounded rings of "
	       "%" PRIu64 " slots, watermark %" PRIu64 " (at most %" PRIu64
	       " outstanding); wait %s\n",
	       n_orders, capacity, watermark,
	       capacity > watermark ? capacity - watermark : 0,
	       sleepy ? "sleep" : "spin");
	if (setup() != PHOTON_OK)
		return 2;

	wall = mono_ns();
	if (pthread_create(&t[2], NULL, reporter_main, &reporter) != 0 ||
	    pthread_create(&t[1], NULL, matcher_main, &matcher) != 0 ||
	    pthread_create(&t[0], NULL, gateway_main, &gateway) != 0) {
		fprintf(stderr, "backpressure: pthread_create failed\n");
		return 2;
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	pthread_join(t[2], NULL);
	wall = mono_ns() - wall;

	printf("\n%-9s %10s %10s %10s %9s %7s %10s %12s\n", "stage", "read",
	       "published", "FULL", "stalls", "lagged", "violations", "msg/s");
	printf("%-9s %10s %10" PRIu64 " %10" PRIu64 " %9" PRIu64
	       " %7s %10" PRIu64 " %12.0f\n",
	       gateway.name, "-", gateway.out, gateway.full, gateway.stalls,
	       "-", gateway.violations,
	       rate(gateway.out, gateway.first_ns, gateway.last_ns));
	printf("%-9s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %9" PRIu64
	       " %7" PRIu64 " %10" PRIu64 " %12.0f\n",
	       matcher.name, matcher.in, matcher.out, matcher.full,
	       matcher.stalls, matcher.lagged, matcher.violations,
	       rate(matcher.in, matcher.first_ns, matcher.last_ns));
	printf("%-9s %10" PRIu64 " %10s %10s %9s %7" PRIu64 " %10" PRIu64
	       " %12.0f\n",
	       reporter.name, reporter.in, "-", "-", "-", reporter.lagged,
	       reporter.violations,
	       rate(reporter.in, reporter.first_ns, reporter.last_ns));
	printf("\nend to end: %" PRIu64 " orders -> %" PRIu64 " fills in "
	       "%.3f s (%.0f orders/s)\n",
	       gateway.out, reporter.in, (double)wall * 1e-9,
	       rate(reporter.in, 0, wall));

	if (gateway.out != n_orders || matcher.in != n_orders ||
	    matcher.out != n_orders || reporter.in != n_orders) {
		printf("FAILED: every stage must handle all %" PRIu64
		       " orders\n",
		       n_orders);
		ok = 0;
	}
	if (matcher.lagged || reporter.lagged ||
	    photon_subscriber_lagged(order_sub) ||
	    photon_subscriber_lagged(fill_sub)) {
		printf("FAILED: a bounded channel lagged\n");
		ok = 0;
	}
	if (gateway.violations || matcher.violations || reporter.violations) {
		printf("FAILED: fills missing, duplicated or out of order\n");
		ok = 0;
	}
	if (photon_subscriber_received(order_sub) != matcher.in ||
	    photon_subscriber_received(fill_sub) != reporter.in) {
		printf("FAILED: library counters disagree with the stages\n");
		ok = 0;
	}
	if (ok)
		printf("ok: every order produced exactly one fill, in order, "
		       "with zero LAGGED\n");
	photon_subscriber_close(order_sub);
	photon_subscriber_close(fill_sub);
	return ok ? 0 : 1;
}
