/* SPDX-License-Identifier: MIT */
/*
 * Soak (issue 9, section 6): long runs that end with exact accounting.
 * Not a ctest test (minutes at the default count); scripts/soak.sh builds a
 * Release tree and runs it.
 *
 *   bounded: one publisher (blocking publish_batch of 32, every eighth a
 *            single publish), three consumers that keep leaving and
 *            re-joining (subscribe or subscribe_from_oldest at random,
 *            sessions of up to 4M messages, a quarter of them after a pause
 *            of up to 2 ms while they gate nothing). A session starts
 *            where the subscription allows, and from its first message on
 *            sees consecutive sequences with valid payloads and no LAGGED:
 *            losses must be 0.
 *   lossy:   the same with a publisher that never waits. Every LAGGED's
 *            count must be exactly the jump to the next message, the
 *            subscriber's counters must match what the reads saw, and
 *            received + lagged == the span each session covered; the last
 *            session ends at the publisher's final sequence (CLOSED after
 *            draining).
 *
 * Usage: soak [--messages N] [--mode bounded|lossy|both]
 *             [--capacity C] [--wait poll|park|adaptive|yield]
 * N defaults to $PHOTON_SOAK_MESSAGES or 10^9 (1e9 notation is accepted).
 * poll (the default) is try_recv with sched_yield after 16 empty polls; the
 * others are photon_recv_with and that wait kind (lag hidden, accounted by
 * the counter). Prints messages, losses, lagged, duration and rate; exits
 * 1 on any violation, 2 on bad arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <photon/photon.h>

#define CONSUMERS     3
#define BATCH	      32
#define MAX_SESSION   (1u << 22) /* messages per session, at most */
#define PROGRESS_MASK ((1u << 24) - 1)

struct msg {
	uint64_t seq;
	uint64_t check; /* a function of seq: a torn or stale copy fails */
};

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static void make(struct msg *m, uint64_t seq)
{
	m->seq = seq;
	m->check = mix(seq ^ 0x50A4C0DEull);
}

static int valid(const struct msg *m)
{
	return m->check == mix(m->seq ^ 0x50A4C0DEull);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	int bounded;
	uint64_t messages;
	size_t capacity, watermark;
	struct photon_wait wait;
	int own_wait; /* try_recv + sched_yield instead of wait */
	struct photon_channel *ch;
	struct photon_publisher *pub;
};

struct consumer {
	const struct run *run;
	unsigned id;
	uint64_t rng;
	/* results */
	uint64_t sessions, received, lagged, spans, losses;
	uint64_t end; /* where the last session ended */
	uint64_t violations;
	char first[256];
};

static void violation(struct consumer *c, const char *fmt, ...)
{
	va_list ap;

	if (c->violations++ == 0) {
		va_start(ap, fmt);
		vsnprintf(c->first, sizeof(c->first), fmt, ap);
		va_end(ap);
	}
}

static uint64_t rnd(struct consumer *c)
{
	c->rng += 0x9E3779B97F4A7C15ull;
	return mix(c->rng);
}

/*
 * The next event for the session: the soak's own wait (try_recv, then
 * sched_yield after a few empty polls: on a machine with fewer cores than
 * threads, spinning readers starve the publisher) reports every LAGGED with
 * its count; a library wait (photon_recv_with) hides them.
 */
static int next_event(const struct run *r, struct photon_subscriber *s,
		      struct msg *m, uint64_t *skipped)
{
	unsigned empty = 0;
	int rc;

	if (!r->own_wait)
		return photon_recv_with(s, m, &r->wait);
	for (;;) {
		rc = photon_try_recv(s, m);
		if (rc == PHOTON_LAGGED)
			*skipped = photon_subscriber_last_skipped(s);
		if (rc != PHOTON_EMPTY)
			return rc;
		if (++empty > 16)
			sched_yield();
	}
}

/*
 * One session: subscribe, read up to `len` messages (or to CLOSED), verify,
 * close. Returns 1 once the channel is closed and drained.
 */
static int session(struct consumer *c)
{
	const struct run *r = c->run;
	struct photon_subscriber *s;
	int from_oldest = (int)(rnd(c) & 1), closed = 0, started = 0, rc;
	uint64_t len = 1 + rnd(c) % MAX_SESSION, n = 0, skipped = 0;
	uint64_t p0, p1, start = 0, expected = 0, lost = 0, lib;
	struct msg m;

	p0 = photon_publisher_sequence(r->pub);
	rc = from_oldest ? photon_subscribe_from_oldest(r->ch, &s)
			 : photon_subscribe(r->ch, &s);
	if (rc != PHOTON_OK) {
		violation(c, "subscribe: %s", photon_strerror(rc));
		return 1;
	}
	/* The publisher stores its sequence just after the cursor: p1 may
	 * be one behind the cursor + 1 that the subscription saw. */
	p1 = photon_publisher_sequence(r->pub) + 1;
	c->sessions++;
	while (n < len) {
		rc = next_event(r, s, &m, &skipped);
		if (rc == PHOTON_CLOSED) {
			closed = 1;
			break;
		}
		if (rc == PHOTON_LAGGED) {
			if (!skipped)
				violation(c, "LAGGED by 0");
			lost += skipped;
			if (started)
				expected += skipped;
			continue;
		}
		if (rc != PHOTON_OK) {
			violation(c, "receive: %s", photon_strerror(rc));
			break;
		}
		if (!valid(&m)) {
			violation(c, "corrupt payload (seq %" PRIu64 ")",
				  m.seq);
			break;
		}
		if (!started) {
			/* What it skipped before its first message. */
			uint64_t lag0 = photon_subscriber_lagged(s);

			start = m.seq - lag0;
			if (start > p1 ||
			    start + (from_oldest ? r->capacity : 0) < p0)
				violation(
				    c,
				    "%s started at %" PRIu64
				    ", publisher was at %" PRIu64 "..%" PRIu64,
				    from_oldest ? "from_oldest" : "subscribe",
				    start, p0, p1);
			if (!r->own_wait)
				lost = lag0;
			expected = m.seq;
			started = 1;
		}
		if (m.seq != expected) {
			/* try_recv announces every lap with its exact count;
			 * behind photon_recv only the counter accounts. */
			if (m.seq < expected || r->own_wait) {
				violation(c,
					  "got %" PRIu64 ", expected %" PRIu64,
					  m.seq, expected);
				break;
			}
			lost += m.seq - expected;
		}
		expected = m.seq + 1;
		n++;
	}
	lib = photon_subscriber_lagged(s);
	if (lib != lost)
		violation(c,
			  "skipped %" PRIu64
			  " by the reads, lagged counter %" PRIu64,
			  lost, lib);
	if (photon_subscriber_received(s) != n)
		violation(c, "received counter %" PRIu64 ", read %" PRIu64,
			  photon_subscriber_received(s), n);
	if (started && n + lost != expected - start)
		violation(c,
			  "read %" PRIu64 " + skipped %" PRIu64
			  " != span %" PRIu64 "..%" PRIu64,
			  n, lost, start, expected);
	if (r->bounded && lost)
		violation(c, "bounded session lost %" PRIu64 " messages", lost);
	if (started) {
		c->spans += expected - start;
		c->end = expected;
	}
	c->received += n;
	c->lagged += lib;
	c->losses += r->bounded ? lost : 0;
	photon_subscriber_close(s);
	if (closed && started && expected != r->messages)
		violation(
		    c, "drained to %" PRIu64 " at CLOSED, published %" PRIu64,
		    expected, r->messages);
	if (closed && !started)
		c->end = r->messages; /* joined after the last message */
	return closed;
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;

	while (!session(c) && c->violations < 100) {
		uint64_t x = rnd(c);

		if (x % 4 == 0) { /* away for a while: not gating */
			struct timespec ts = { 0, (long)((x >> 8) % 2000000) };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void publish_all(struct run *r)
{
	struct msg batch[BATCH];
	uint64_t seq = 0, k, last_seq = 0;
	double t0 = now_s(), last = t0;
	int rc;

	while (seq < r->messages) {
		/* Mostly batches, some single publishes. */
		uint64_t n =
		    r->messages - seq < BATCH ? r->messages - seq : BATCH;

		if ((seq / BATCH) % 8 == 7)
			n = 1;
		for (k = 0; k < n; k++)
			make(&batch[k], seq + k);
		rc = n == 1 ? photon_publish(r->pub, batch)
			    : photon_publish_batch(r->pub, batch, n);
		if (rc != PHOTON_OK) {
			fprintf(stderr, "soak: publish: %s\n",
				photon_strerror(rc));
			exit(1);
		}
		if (((seq + n) & ~(uint64_t)PROGRESS_MASK) !=
		    (seq & ~(uint64_t)PROGRESS_MASK)) {
			double t = now_s();

			if (t - last >= 10.0) {
				printf("  ... %" PRIu64 " messages, %.1f M/s\n",
				       seq + n,
				       (double)(seq + n - last_seq) /
					   (t - last) / 1e6);
				fflush(stdout);
				last = t;
				last_seq = seq + n;
			}
		}
		seq += n;
	}
}

/* Returns the number of violations. */
static uint64_t run_one(struct run *r)
{
	struct consumer c[CONSUMERS];
	pthread_t t[CONSUMERS];
	uint64_t bad = 0, losses = 0, lagged = 0;
	double t0, secs;
	unsigned i;
	int rc;

	if (r->bounded)
		rc = photon_channel_create_bounded(
		    &r->ch, r->capacity, sizeof(struct msg), r->watermark);
	else
		rc = photon_channel_create(&r->ch, r->capacity,
					   sizeof(struct msg));
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(r->ch, &r->pub);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "soak: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		return 1;
	}
	printf("soak %s: %" PRIu64 " messages, 1 -> %d consumers joining "
	       "and leaving, capacity %zu, watermark %zu, wait %s\n",
	       r->bounded ? "bounded" : "lossy", r->messages, CONSUMERS,
	       r->capacity, r->bounded ? r->watermark : 0,
	       r->own_wait ? "poll (try_recv, sched_yield)"
			   : photon_wait_name(r->wait.kind));
	fflush(stdout);
	t0 = now_s();
	for (i = 0; i < CONSUMERS; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].run = r;
		c[i].id = i;
		c[i].rng = mix(0xC0FFEEull + i + (r->bounded ? 100 : 0));
		if (pthread_create(&t[i], NULL, consumer_main, &c[i]) != 0) {
			fprintf(stderr, "soak: pthread_create failed\n");
			exit(1);
		}
	}
	publish_all(r);
	photon_publisher_close(r->pub);
	for (i = 0; i < CONSUMERS; i++)
		pthread_join(t[i], NULL);
	secs = now_s() - t0;
	printf("  duration %.1f s, %.2f M msg/s\n", secs,
	       (double)r->messages / secs / 1e6);
	for (i = 0; i < CONSUMERS; i++) {
		printf("  consumer %u: %" PRIu64 " sessions, %" PRIu64
		       " received, %" PRIu64 " lagged, received + lagged = "
		       "%" PRIu64 " = sessions' spans %" PRIu64
		       ", last ended at %" PRIu64 "\n",
		       i, c[i].sessions, c[i].received, c[i].lagged,
		       c[i].received + c[i].lagged, c[i].spans, c[i].end);
		if (c[i].received + c[i].lagged != c[i].spans)
			violation(&c[i], "received + lagged != spans");
		if (c[i].end != r->messages)
			violation(&c[i], "last session ended at %" PRIu64,
				  c[i].end);
		if (c[i].violations)
			printf("  consumer %u: %" PRIu64
			       " VIOLATIONS, first: %s\n",
			       i, c[i].violations, c[i].first);
		bad += c[i].violations;
		losses += c[i].losses;
		lagged += c[i].lagged;
	}
	if (r->bounded)
		printf("  messages %" PRIu64 ", losses %" PRIu64
		       " (must be 0), violations %" PRIu64 "\n",
		       r->messages, losses, bad);
	else
		printf("  messages %" PRIu64 ", lagged %" PRIu64
		       " (accounted exactly), violations %" PRIu64 "\n",
		       r->messages, lagged, bad);
	fflush(stdout);
	photon_channel_release(r->ch);
	return bad + (r->bounded ? losses : 0);
}

static int parse_count(const char *s, uint64_t *out)
{
	char *end;
	double d;

	errno = 0;
	*out = strtoull(s, &end, 10);
	if (!errno && !*end && *s)
		return 0;
	d = strtod(s, &end); /* 1e9 */
	if (*end || d < 0 || d > 1.8e19)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: soak [--messages N] [--mode "
			"bounded|lossy|both] [--capacity C] "
			"[--wait poll|park|adaptive|yield]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct run r = { 0 };
	const char *mode = "both", *env = getenv("PHOTON_SOAK_MESSAGES");
	uint64_t messages = 1000000000ull, capacity = 4096, bad = 0;
	enum photon_wait_kind wait = PHOTON_WAIT_ADAPTIVE;
	int own_wait = 1;
	double t0 = now_s();
	int i;

	if (env && *env && parse_count(env, &messages))
		usage();
	for (i = 1; i < argc; i += 2) { /* --option value */
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(a, "--messages")) {
			if (parse_count(v, &messages))
				usage();
		} else if (!strcmp(a, "--capacity")) {
			if (parse_count(v, &capacity) || capacity < 2)
				usage();
		} else if (!strcmp(a, "--mode")) {
			mode = v;
		} else if (!strcmp(a, "--wait")) {
			own_wait = !strcmp(v, "poll");
			if (own_wait)
				wait = PHOTON_WAIT_ADAPTIVE;
			else if (!strcmp(v, "park"))
				wait = PHOTON_WAIT_PARK;
			else if (!strcmp(v, "adaptive"))
				wait = PHOTON_WAIT_ADAPTIVE;
			else if (!strcmp(v, "yield"))
				wait = PHOTON_WAIT_YIELD_SPIN;
			else
				usage();
		} else {
			usage();
		}
	}
	if (strcmp(mode, "bounded") && strcmp(mode, "lossy") &&
	    strcmp(mode, "both"))
		usage();
	r.messages = messages;
	r.capacity = (size_t)capacity;
	r.watermark = (size_t)(capacity / 64);
	r.wait.kind = wait;
	r.own_wait = own_wait;
	if (strcmp(mode, "lossy")) {
		r.bounded = 1;
		bad += run_one(&r);
	}
	if (strcmp(mode, "bounded")) {
		r.bounded = 0;
		bad += run_one(&r);
	}
	printf("soak: %s (%.1f s)\n", bad ? "FAILED" : "OK", now_s() - t0);
	return bad ? 1 : 0;
}
