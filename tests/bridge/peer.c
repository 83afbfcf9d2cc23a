/* SPDX-License-Identifier: MIT */
/*
 * The two ends of tests/bridge/netns.sh, on shared channels:
 *
 *   peer feed NAME N [--gap-us G] [--sleep] [--no-close]
 *       publishes N messages { seq, seq * 7, CLOCK_MONOTONIC ns } into the
 *       shared channel NAME, G us apart, then closes it (unless
 *       --no-close: then it waits to be killed). --sleep: sleeps between
 *       messages instead of spinning (a benchmark on few CPUs).
 *   peer check NAME N [--park]
 *       subscribes to NAME, prints "subscribed", reads until CLOSED and
 *       checks that it got exactly messages 0 .. N-1, each under its own
 *       sequence and intact, with nothing lagged; prints the one-way
 *       latency (publish to read, through both bridges) p50/p99 in us.
 *       Prints "all" when the N-th message arrived. --park: waits parked
 *       (PHOTON_WAIT_PARK) instead of spinning.
 *
 *   peer make NAME N      makes NAME: lossy, N slots (bench/bridge_oneway.sh)
 *   peer unlink NAME 1    removes NAME
 *
 * Exit status 0 when all is as said, 1 when not, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <photon/photon.h>

struct msg {
	uint64_t seq, val, stamp;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int feed(struct photon_channel *ch, uint64_t n, uint64_t gap_ns,
		int close_it, int sleepy)
{
	struct photon_publisher *p;
	uint64_t next = now_ns();

	if (photon_publisher_open(ch, &p) != PHOTON_OK)
		return 1;
	for (uint64_t i = 0; i < n; i++) {
		struct msg m = { i, i * 7, 0 };

		if (sleepy && gap_ns) {
			struct timespec ts = { 0, (long)gap_ns };

			nanosleep(&ts, NULL);
		}
		while (gap_ns && now_ns() < next)
			;
		m.stamp = now_ns();
		next = m.stamp + gap_ns;
		if (photon_publish(p, &m) != PHOTON_OK)
			return 1;
	}
	if (!close_it)
		for (;;)
			pause();
	photon_publisher_close(p);
	return 0;
}

static int check(struct photon_channel *ch, uint64_t n, int park)
{
	struct photon_wait w = { .kind = park ? PHOTON_WAIT_PARK
					      : PHOTON_WAIT_ADAPTIVE };
	struct photon_subscriber *s;
	uint64_t got = 0, bad = 0, *lat = calloc(n ? n : 1, sizeof(*lat));
	struct msg m;
	int rc;

	if (!lat || photon_subscribe(ch, &s) != PHOTON_OK)
		return 1;
	printf("subscribed\n");
	fflush(stdout);
	while ((rc = photon_recv_with(s, &m, &w)) == PHOTON_OK) {
		uint64_t t = now_ns();

		if (m.seq != photon_subscriber_position(s) - 1 ||
		    m.val != m.seq * 7 || got >= n)
			bad++;
		else
			lat[got] = t - m.stamp;
		if (++got == n) { /* all here: the script may act on it */
			printf("all\n");
			fflush(stdout);
		}
	}
	qsort(lat, got < n ? got : n, sizeof(*lat), cmp);
	printf("check: %" PRIu64 " of %" PRIu64 " messages, %" PRIu64
	       " lagged, %" PRIu64 " wrong; one-way p50 %.1f us, p99 %.1f "
	       "us\n",
	       got, n, photon_subscriber_lagged(s), bad,
	       got ? (double)lat[got / 2] / 1e3 : 0.0,
	       got ? (double)lat[got * 99 / 100] / 1e3 : 0.0);
	rc = rc == PHOTON_CLOSED && got == n && !bad &&
		     photon_subscriber_lagged(s) == 0
		 ? 0
		 : 1;
	photon_subscriber_close(s);
	free(lat);
	return rc;
}

int main(int argc, char **argv)
{
	struct photon_channel *ch;
	uint64_t n, gap_us = 0;
	int close_it = 1, sleepy = 0, park = 0, rc;

	if (argc < 4 || (n = strtoull(argv[3], NULL, 10)) == 0)
		return 2;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--gap-us") && i + 1 < argc)
			gap_us = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--no-close"))
			close_it = 0;
		else if (!strcmp(argv[i], "--sleep"))
			sleepy = 1;
		else if (!strcmp(argv[i], "--park"))
			park = 1;
		else
			return 2;
	}
	if (!strcmp(argv[1], "make")) {
		struct photon_opts o = { .capacity = n,
					 .msg_size = sizeof(struct msg) };

		rc = photon_shm_create(&ch, argv[2], &o, 0);
		photon_channel_release(ch);
		return rc == PHOTON_OK ? 0 : 1;
	}
	if (!strcmp(argv[1], "unlink"))
		return photon_shm_unlink(argv[2]) == PHOTON_OK ? 0 : 1;
	if ((rc = photon_shm_open(&ch, argv[2])) != PHOTON_OK) {
		fprintf(stderr, "peer: %s: %s (%s)\n", argv[2],
			photon_strerror(rc), photon_last_error_message());
		return 1;
	}
	if (!strcmp(argv[1], "feed"))
		rc = feed(ch, n, gap_us * 1000, close_it, sleepy);
	else if (!strcmp(argv[1], "check"))
		rc = check(ch, n, park);
	else
		rc = 2;
	photon_channel_release(ch);
	return rc;
}
