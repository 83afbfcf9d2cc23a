/* SPDX-License-Identifier: MIT */
/*
 * The StatsD exporter (photon/export.h): lines received on a loopback UDP
 * socket and parsed, batching into datagrams, bad input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

#define MAX_LINES 400

struct lines {
	char l[MAX_LINES][256];
	size_t n;
	size_t datagrams;
};

/* A blocking loopback UDP socket on an ephemeral port. The receive timeout
 * is a watchdog against a hang, never how the test synchronises. */
static int udp_receiver(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Receives datagrams until `want` more lines arrived (each datagram within
 * the MTU, whole lines only). */
static void recv_lines(int fd, struct lines *ls, size_t want)
{
	char buf[PHOTON_STATSD_MTU + 64];

	want += ls->n;
	while (ls->n < want) {
		ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
		char *line, *save = NULL;

		if (r < 0)
			fail_msg("recv: no datagram (line %zu of %zu)", ls->n,
				 want);
		assert_true(r > 0 && r <= PHOTON_STATSD_MTU);
		buf[r] = '\0';
		ls->datagrams++;
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			assert_true(ls->n < MAX_LINES);
			assert_true(strlen(line) < sizeof(ls->l[0]));
			strcpy(ls->l[ls->n++], line);
		}
	}
	assert_int_equal(ls->n, want);
}

/* The value of the line "name:value|type"; fails when absent. */
static double statsd_value(const struct lines *ls, const char *name,
			   const char *type)
{
	size_t i, n = strlen(name);

	for (i = 0; i < ls->n; i++) {
		const char *l = ls->l[i], *bar;
		char *end;
		double v;

		if (strncmp(l, name, n) != 0 || l[n] != ':')
			continue;
		v = strtod(l + n + 1, &end);
		bar = end;
		assert_int_equal(*bar, '|');
		assert_string_equal(bar + 1, type);
		return v;
	}
	fail_msg("no statsd line %s", name);
	return 0;
}

static void test_statsd_metrics(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *a;
	struct photon_group *g;
	struct photon_histogram *h;
	struct photon_metrics *m;
	struct photon_statsd *sd;
	struct lines *ls = calloc(1, sizeof(*ls));
	const struct photon_label la[] = { { "channel", "md" },
					   { "sub", "a.b" } };
	const struct photon_label lg[] = { { "channel", "md" },
					   { "group", "g1" } };
	const struct photon_label lp[] = { { "channel", "md" } };
	const struct photon_metric_histogram d = { .name = "lat_seconds",
						   .scale = 1e-9 };
	static const struct {
		const char *name;
		double p;
	} pct[] = { { "p50", 50 },
		    { "p90", 90 },
		    { "p99", 99 },
		    { "p999", 99.9 },
		    { "max", 100 } };
	uint16_t port;
	uint64_t i, v;
	int fd = udp_receiver(&port);

	(void)state;
	assert_non_null(ls);
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &a), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
	assert_rc(photon_try_recv(a, &v), PHOTON_LAGGED);
	for (i = 0; i < 4; i++)
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	for (i = 1; i <= 1000; i++)
		photon_histogram_record(h, i * 1000); /* 1 us .. 1 ms */

	assert_rc(photon_metrics_create(&m, NULL, 4), PHOTON_OK);
	assert_rc(photon_metrics_add_publisher(m, pub, lp, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, a, la, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, lg, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h, &d, lp, 1), PHOTON_OK);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", port, "app"), PHOTON_OK);

	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK);
	recv_lines(fd, ls, 1 + 4 + 5 + 6);
	for (i = 0; i < ls->n; i++) /* name:value|c, |g or |ms */
		assert_non_null(strchr(ls->l[i], ':'));
	assert_true(
	    statsd_value(ls, "app.photon.publisher.md.published", "c") == 6);
	assert_true(statsd_value(ls, "app.photon.subscriber.md.a_b.received",
				 "c") == 4);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.lagged", "c") == 2);
	assert_true(rel_diff(statsd_value(ls,
					  "app.photon.subscriber.md.a_b."
					  "receive_ratio",
					  "g"),
			     4.0 / 6.0) < 1e-14);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.pending", "g") == 0);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.received", "c") ==
		    0);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.pending", "g") ==
		    4);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.members", "g") ==
		    3);
	assert_true(statsd_value(ls, "app.photon.lat_seconds.md.count", "c") ==
		    1000);
	for (i = 0; i < ARRAY_SIZE(pct); i++) {
		char name[128];
		uint64_t p;

		snprintf(name, sizeof(name), "app.photon.lat_seconds.md.%s",
			 pct[i].name);
		assert_rc(photon_histogram_percentile(h, pct[i].p, &p),
			  PHOTON_OK);
		assert_true(rel_diff(statsd_value(ls, name, "g"),
				     (double)p * 1e-9 * 1e3) < 1e-14);
	}
	assert_true(
	    rel_diff(statsd_value(ls, "app.photon.lat_seconds.md.max", "g"),
		     1.0) < 1e-14); /* 1 ms */

	/* Counters go as increases since the last send. */
	for (i = 0; i < 3; i++) {
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
	}
	photon_histogram_reset(h); /* an interval histogram */
	for (i = 0; i < 5; i++)
		photon_histogram_record(h, 2000);
	ls->n = 0;
	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK);
	recv_lines(fd, ls, 1 + 4 + 5 + 6);
	assert_true(
	    statsd_value(ls, "app.photon.publisher.md.published", "c") == 3);
	assert_true(statsd_value(ls, "app.photon.subscriber.md.a_b.received",
				 "c") == 3);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.lagged", "c") == 0);
	assert_true(statsd_value(ls, "app.photon.lat_seconds.md.count", "c") ==
		    5);
	assert_true(
	    rel_diff(statsd_value(ls, "app.photon.lat_seconds.md.p50", "g"),
		     0.002) < 1e-14);

	photon_statsd_close(sd);
	photon_metrics_destroy(m);
	photon_histogram_destroy(h);
	photon_group_close(g);
	photon_subscriber_close(a);
	photon_publisher_close(pub);
	photon_channel_release(ch);
	close(fd);
	free(ls);
}

static void test_statsd_batching(void **state)
{
	struct photon_statsd *sd;
	struct lines *ls = calloc(1, sizeof(*ls));
	uint16_t port;
	int fd = udp_receiver(&port);
	size_t i;

	(void)state;
	assert_non_null(ls);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", port, NULL), PHOTON_OK);
	for (i = 0; i < 300; i++) {
		char name[64];

		snprintf(name, sizeof(name), "batch.gauge.number.%zu", i);
		assert_rc(photon_statsd_gauge(sd, name, (double)i), PHOTON_OK);
	}
	assert_rc(photon_statsd_flush(sd), PHOTON_OK);
	assert_rc(photon_statsd_flush(sd), PHOTON_OK); /* nothing pending */
	recv_lines(fd, ls, 300);
	/* ~30 bytes a line: several full datagrams, no line split. */
	assert_true(ls->datagrams >= 6);
	for (i = 0; i < 300; i++) {
		char want[64];

		snprintf(want, sizeof(want), "batch.gauge.number.%zu:%zu|g", i,
			 i);
		assert_string_equal(ls->l[i], want);
	}

	/* Counter, timing; close sends what is pending. */
	assert_rc(photon_statsd_count(sd, "errors", -5), PHOTON_OK);
	assert_rc(photon_statsd_timing(sd, "rtt", 1.5), PHOTON_OK);
	assert_rc(photon_statsd_gauge(sd, "tiny", 2.5e-7), PHOTON_OK);
	photon_statsd_close(sd);
	ls->n = 0;
	recv_lines(fd, ls, 3);
	assert_string_equal(ls->l[0], "errors:-5|c");
	assert_string_equal(ls->l[1], "rtt:1.5|ms");
	assert_true(statsd_value(ls, "tiny", "g") == 2.5e-7);
	close(fd);
	free(ls);
}

static void test_statsd_bad_input(void **state)
{
	struct photon_statsd *sd = (void *)&sd;
	static const char *bad[] = { "", "a:b", "a|b", "a@b", "a\nb" };
	char *longname = malloc(PHOTON_STATSD_MTU + 10);
	struct photon_metrics *m;
	size_t i;

	(void)state;
	assert_non_null(longname);
	assert_rc(photon_statsd_open(NULL, "127.0.0.1", 8125, NULL),
		  PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, NULL, 8125, NULL), PHOTON_EINVAL);
	assert_null(sd);
	assert_rc(photon_statsd_open(&sd, "", 8125, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 0, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 8125, "a:b"),
		  PHOTON_EINVAL);
	assert_true(strlen(photon_last_error_message()) > 0);

	/* Nothing listens on the port: sending still succeeds (UDP). */
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 9, NULL), PHOTON_OK);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_rc(photon_statsd_gauge(sd, bad[i], 1), PHOTON_EINVAL);
		assert_rc(photon_statsd_count(sd, bad[i], 1), PHOTON_EINVAL);
		assert_rc(photon_statsd_timing(sd, bad[i], 1), PHOTON_EINVAL);
	}
	assert_rc(photon_statsd_gauge(sd, NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_gauge(sd, "x", strtod("nan", NULL)),
		  PHOTON_EINVAL);
	assert_rc(photon_statsd_timing(sd, "x", strtod("inf", NULL)),
		  PHOTON_EINVAL);
	memset(longname, 'n', PHOTON_STATSD_MTU + 9);
	longname[PHOTON_STATSD_MTU + 9] = '\0';
	assert_rc(photon_statsd_gauge(sd, longname, 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_gauge(NULL, "x", 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_flush(NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_count(sd, "ok", 1), PHOTON_OK);

	assert_rc(photon_metrics_create(&m, NULL, 1), PHOTON_OK);
	assert_rc(photon_statsd_send_metrics(NULL, m), PHOTON_EINVAL);
	assert_rc(photon_statsd_send_metrics(sd, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK); /* empty */
	photon_metrics_destroy(m);
	photon_statsd_close(sd);
	photon_statsd_close(NULL);
	free(longname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statsd_metrics),
		cmocka_unit_test(test_statsd_batching),
		cmocka_unit_test(test_statsd_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
