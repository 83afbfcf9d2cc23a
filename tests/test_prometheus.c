/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus exporter (photon/export.h): the text is parsed back by
 * prom_parse.c and checked against the format's rules and the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "prom_parse.h"

/* The whole text, rendered twice: a size query, then into a fit buffer. */
static char *render_text(const struct photon_metrics *m)
{
	ptrdiff_t n = photon_metrics_prometheus(m, NULL, 0);
	char *buf;

	assert_true(n >= 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(photon_metrics_prometheus(m, buf, (size_t)n + 1), n);
	assert_int_equal(strlen(buf), (size_t)n);
	return buf;
}

static struct prom_expo *render_parse(const struct photon_metrics *m)
{
	struct prom_expo *x = malloc(sizeof(*x));
	char *text = render_text(m);

	assert_non_null(x);
	prom_parse(x, text);
	prom_check_histograms(x);
	free(text);
	return x;
}

static void expect_type(struct prom_expo *x, const char *name, const char *type)
{
	struct prom_family *f = prom_find_family(x, name);

	if (!f)
		fail_msg("no family %s", name);
	assert_string_equal(f->type, type);
	assert_true(strlen(f->help) > 0);
	assert_true(f->has_samples);
}

static const char tricky[] = "q\"uo\\te\nnl";

static void test_prom_handles(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *a, *b;
	struct photon_group *g;
	struct photon_metrics *m;
	struct prom_expo *x;
	char *text;
	uint64_t i, v;
	const struct photon_label la[] = { { "channel", "md" },
					   { "sub", "a" } };
	const struct photon_label lb[] = { { "channel", "md" },
					   { "sub", tricky } };
	const struct photon_label lg[] = { { "channel", "md" },
					   { "group", "g1" } };
	const struct photon_label lp[] = { { "channel", "md" } };

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, sizeof(uint64_t)), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &a), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &b), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
	assert_rc(photon_try_recv(a, &v), PHOTON_LAGGED);
	for (i = 2; i < 6; i++) {
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}

	assert_rc(photon_metrics_create(&m, NULL, 8), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, a, la, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, lg, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, b, lb, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_publisher(m, pub, lp, 1), PHOTON_OK);
	assert_int_equal(photon_metrics_count(m), 4);

	x = render_parse(m);
	expect_type(x, "photon_publisher_published_total", "counter");
	expect_type(x, "photon_subscriber_received_total", "counter");
	expect_type(x, "photon_subscriber_lagged_total", "counter");
	expect_type(x, "photon_subscriber_receive_ratio", "gauge");
	expect_type(x, "photon_subscriber_pending", "gauge");
	expect_type(x, "photon_group_received_total", "counter");
	expect_type(x, "photon_group_lagged_total", "counter");
	expect_type(x, "photon_group_receive_ratio", "gauge");
	expect_type(x, "photon_group_pending", "gauge");
	expect_type(x, "photon_group_members", "gauge");
	assert_int_equal(x->nf, 10);

	assert_true(prom_sample_value(x, "photon_publisher_published_total",
				      "channel=md", NULL) == 6);
	assert_true(prom_sample_value(x, "photon_subscriber_received_total",
				      "channel=md,sub=a", NULL) == 4);
	assert_true(prom_sample_value(x, "photon_subscriber_lagged_total",
				      "channel=md,sub=a", NULL) == 2);
	assert_true(
	    rel_diff(prom_sample_value(x, "photon_subscriber_receive_ratio",
				       "channel=md,sub=a", NULL),
		     4.0 / 6.0) < 1e-15);
	assert_true(prom_sample_value(x, "photon_subscriber_pending",
				      "channel=md,sub=a", NULL) == 0);
	/* The label with a quote, a backslash and a newline round-trips. */
	assert_true(prom_sample_value(x, "photon_subscriber_received_total",
				      "channel=md,sub=q\"uo\\te\nnl",
				      NULL) == 0);
	assert_true(prom_sample_value(x, "photon_subscriber_pending",
				      "channel=md,sub=q\"uo\\te\nnl",
				      NULL) == 4);
	assert_true(prom_sample_value(x, "photon_subscriber_receive_ratio",
				      "channel=md,sub=q\"uo\\te\nnl",
				      NULL) == 0);
	assert_true(prom_sample_value(x, "photon_group_received_total",
				      "channel=md,group=g1", NULL) == 0);
	assert_true(prom_sample_value(x, "photon_group_pending",
				      "channel=md,group=g1", NULL) == 4);
	assert_true(prom_sample_value(x, "photon_group_members",
				      "channel=md,group=g1", NULL) == 3);
	free(x);
	text = render_text(m);
	assert_non_null(strstr(text, "sub=\"q\\\"uo\\\\te\\nnl\""));
	free(text);

	/* The group reads: counted once, not three times. */
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	for (i = 2; i < 6; i++)
		assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	/* A closed handle is removed first; its series disappear. */
	assert_rc(photon_metrics_remove(m, b), PHOTON_OK);
	photon_subscriber_close(b);
	assert_rc(photon_metrics_remove(m, b), PHOTON_EINVAL);
	x = render_parse(m);
	assert_true(prom_sample_value(x, "photon_group_received_total",
				      "channel=md,group=g1", NULL) == 4);
	assert_true(prom_sample_value(x, "photon_group_lagged_total",
				      "channel=md,group=g1", NULL) == 2);
	assert_true(rel_diff(prom_sample_value(x, "photon_group_receive_ratio",
					       "channel=md,group=g1", NULL),
			     4.0 / 6.0) < 1e-15);
	for (i = 0; i < x->n; i++)
		for (v = 0; v < x->s[i].nlabels; v++)
			assert_string_not_equal(x->s[i].lvalue[v], tricky);
	free(x);

	photon_metrics_destroy(m);
	photon_group_close(g);
	photon_subscriber_close(a);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

static void test_prom_histograms(void **state)
{
	static const uint64_t ns[] = {
		5,    10,   20,	     999,	 1000,
		1010, 2500, 1000000, 2000000000, 20000000000ull
	};
	static const double raw_bounds[] = { 10, 100, 1000 };
	static const char help[] = "One-way latency.\nback\\slash \"q\"";
	const struct photon_metric_histogram lat = {
		.name = "recv_latency_seconds", .help = help, .scale = 1e-9
	};
	const struct photon_metric_histogram batch = { .name = "batch_size",
						       .bounds = raw_bounds,
						       .nbounds = ARRAY_SIZE(
							   raw_bounds) };
	const struct photon_metric_histogram idle = { .name = "idle_seconds",
						      .scale = 1e-9 };
	const struct photon_label sa[] = { { "stage", "a" } };
	const struct photon_label sb[] = { { "stage", "b" } };
	struct photon_histogram *h1, *h2, *h3, *h4;
	struct photon_metrics *m;
	struct prom_expo *x;
	uint64_t i, sum = 0;
	static const struct {
		const char *le;
		double count;
	} want[] = { { "1e-08", 2 }, { "2.5e-08", 3 }, { "5e-07", 3 },
		     { "1e-06", 5 }, { "2.5e-06", 7 }, { "0.0005", 7 },
		     { "0.001", 8 }, { "1", 8 },       { "2.5", 9 },
		     { "10", 9 },    { "+Inf", 10 } };

	(void)state;
	assert_rc(photon_histogram_create(&h1, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&h2, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&h3, 10), PHOTON_OK);
	assert_rc(photon_histogram_create(&h4, 0), PHOTON_OK);
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		photon_histogram_record(h1, ns[i]);
		sum += ns[i];
	}
	photon_histogram_record(h2, 300);
	for (i = 1; i <= 2000; i++)
		photon_histogram_record(h3, i);

	assert_rc(photon_metrics_create(&m, "photon", 8), PHOTON_OK);
	/* Two families interleaved in registration: grouped on output. */
	assert_rc(photon_metrics_add_histogram(m, h1, &lat, sa, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h3, &batch, NULL, 0),
		  PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h2, &lat, sb, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h4, &idle, NULL, 0),
		  PHOTON_OK);
	x = render_parse(m);
	assert_int_equal(prom_check_histograms(x), 4);
	expect_type(x, "photon_recv_latency_seconds", "histogram");
	expect_type(x, "photon_batch_size", "histogram");
	expect_type(x, "photon_idle_seconds", "histogram");
	assert_string_equal(
	    prom_find_family(x, "photon_recv_latency_seconds")->help, help);

	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (prom_sample_value(x, "photon_recv_latency_seconds_bucket",
				      "stage=a", want[i].le) != want[i].count)
			fail_msg(
			    "le=%s: %g, want %g", want[i].le,
			    prom_sample_value(x,
					      "photon_recv_latency_seconds_"
					      "bucket",
					      "stage=a", want[i].le),
			    want[i].count);
	assert_true(prom_sample_value(x, "photon_recv_latency_seconds_count",
				      "stage=a", NULL) == 10);
	assert_true(
	    rel_diff(prom_sample_value(x, "photon_recv_latency_seconds_sum",
				       "stage=a", NULL),
		     (double)sum * 1e-9) < 1e-12);
	assert_true(prom_sample_value(x, "photon_recv_latency_seconds_bucket",
				      "stage=b", "2.5e-07") == 0);
	assert_true(prom_sample_value(x, "photon_recv_latency_seconds_bucket",
				      "stage=b", "5e-07") == 1);

	/* Raw values, custom bounds, one bucket per value: exact. */
	assert_true(
	    prom_sample_value(x, "photon_batch_size_bucket", "", "10") == 10);
	assert_true(
	    prom_sample_value(x, "photon_batch_size_bucket", "", "100") == 100);
	assert_true(prom_sample_value(x, "photon_batch_size_bucket", "",
				      "1000") == 1000);
	assert_true(prom_sample_value(x, "photon_batch_size_bucket", "",
				      "+Inf") == 2000);
	assert_true(prom_sample_value(x, "photon_batch_size_sum", "", NULL) ==
		    2001000);

	/* Empty: every bucket 0, 29 lines. */
	assert_true(
	    prom_sample_value(x, "photon_idle_seconds_bucket", "", "10") == 0);
	assert_true(
	    prom_sample_value(x, "photon_idle_seconds_count", "", NULL) == 0);
	assert_true(prom_sample_value(x, "photon_idle_seconds_sum", "", NULL) ==
		    0);
	free(x);

	photon_metrics_destroy(m);
	photon_histogram_destroy(h1);
	photon_histogram_destroy(h2);
	photon_histogram_destroy(h3);
	photon_histogram_destroy(h4);
}

static void test_prom_buffer_too_small(void **state)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_metrics *m;
	char *text, *buf;
	size_t n, i;
	static const size_t lens[] = { 1, 2, 10, 100 };

	(void)state;
	assert_rc(photon_metrics_create(&m, NULL, 4), PHOTON_OK);
	/* Empty registry: empty text. */
	buf = malloc(4);
	assert_non_null(buf);
	assert_int_equal(photon_metrics_prometheus(m, buf, 4), 0);
	assert_string_equal(buf, "");
	free(buf);

	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, s, NULL, 0), PHOTON_OK);
	text = render_text(m);
	n = strlen(text);
	assert_true(n > 100);
	buf = malloc(n + 64);
	assert_non_null(buf);

	for (i = 0; i < ARRAY_SIZE(lens) + 2; i++) {
		size_t len = i < ARRAY_SIZE(lens) ? lens[i] : n + i - 4;
		size_t j;

		memset(buf, 'Z', n + 64);
		/* Always the full length; a NUL-terminated prefix; nothing
		 * written past len. */
		assert_int_equal(photon_metrics_prometheus(m, buf, len),
				 (ptrdiff_t)n);
		assert_int_equal(strlen(buf), len - 1);
		assert_memory_equal(buf, text, len - 1);
		for (j = len; j < n + 64; j++)
			assert_int_equal(buf[j], 'Z');
	}
	memset(buf, 'Z', n + 64);
	assert_int_equal(photon_metrics_prometheus(m, buf, n + 1),
			 (ptrdiff_t)n);
	assert_string_equal(buf, text);
	assert_int_equal(buf[n + 1], 'Z');

	assert_int_equal(photon_metrics_prometheus(m, NULL, 5), PHOTON_EINVAL);
	assert_int_equal(photon_metrics_prometheus(NULL, buf, 5),
			 PHOTON_EINVAL);
	free(buf);
	free(text);
	photon_metrics_destroy(m);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_prom_file(void **state)
{
	struct photon_histogram *h;
	struct photon_metrics *m;
	const struct photon_metric_histogram d = { .name = "lat_seconds",
						   .scale = 1e-9 };
	char *text, *back;
	size_t n;
	FILE *f;

	(void)state;
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	photon_histogram_record(h, 1234);
	assert_rc(photon_metrics_create(&m, "app", 2), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0), PHOTON_OK);
	text = render_text(m);
	n = strlen(text);

	f = tmpfile();
	assert_non_null(f);
	assert_rc(photon_metrics_prometheus_file(m, f), PHOTON_OK);
	rewind(f);
	back = calloc(1, n + 2);
	assert_non_null(back);
	assert_int_equal(fread(back, 1, n + 1, f), n);
	assert_string_equal(back, text);
	fclose(f);

	/* A stream that cannot be written: PHOTON_ESYS. */
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_rc(photon_metrics_prometheus_file(m, f), PHOTON_ESYS);
	fclose(f);
	assert_rc(photon_metrics_prometheus_file(m, NULL), PHOTON_EINVAL);
	assert_rc(photon_metrics_prometheus_file(NULL, stdout), PHOTON_EINVAL);

	free(back);
	free(text);
	photon_metrics_destroy(m);
	photon_histogram_destroy(h);
}

static void test_prom_prefix(void **state)
{
	struct photon_channel *ch;
	struct photon_group *g;
	struct photon_metrics *m;
	struct prom_expo *x;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);

	assert_rc(photon_metrics_create(&m, "", 1), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, NULL, 0), PHOTON_OK);
	x = render_parse(m);
	assert_true(prom_sample_value(x, "group_members", "", NULL) == 2);
	free(x);
	photon_metrics_destroy(m);

	assert_rc(photon_metrics_create(&m, "app:ring", 1), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, NULL, 0), PHOTON_OK);
	x = render_parse(m);
	assert_true(prom_sample_value(x, "app:ring_group_members", "", NULL) ==
		    2);
	free(x);
	photon_metrics_destroy(m);

	photon_group_close(g);
	photon_channel_release(ch);
}

/*
 * A monitoring thread's view: the main thread publishes and scrapes the
 * subscriber's counters while another thread receives (the counters are
 * atomic loads; ThreadSanitizer builds check it).
 */
struct consumer {
	struct photon_subscriber *sub;
	uint64_t got;
	int in_order;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	uint64_t v;

	c->in_order = 1;
	while (photon_recv(c->sub, &v) == PHOTON_OK) {
		if (v != c->got)
			c->in_order = 0;
		c->got++;
	}
	return NULL;
}

static void test_prom_concurrent_scrape(void **state)
{
	enum { N = 50000 };
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct consumer c = { 0 };
	struct photon_metrics *m;
	struct prom_expo *x;
	char buf[4096];
	const struct photon_label l[] = { { "sub", "worker" } };
	pthread_t t;
	uint64_t i;

	(void)state;
	assert_rc(photon_channel_create_bounded(&ch, 64, 8, 0), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &c.sub), PHOTON_OK);
	assert_rc(photon_metrics_create(&m, NULL, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, c.sub, l, 1), PHOTON_OK);
	/* The publisher's sequence is its own field: scraped here, by the
	 * publishing thread. */
	assert_rc(photon_metrics_add_publisher(m, pub, NULL, 0), PHOTON_OK);
	spawn(&t, consume, &c);
	for (i = 0; i < N; i++) {
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
		if (i % 500 == 0) {
			ptrdiff_t n =
			    photon_metrics_prometheus(m, buf, sizeof(buf));
			assert_true(n > 0 && (size_t)n < sizeof(buf));
		}
	}
	assert_rc(photon_metrics_remove(m, pub), PHOTON_OK);
	photon_publisher_close(pub);
	join(t);
	assert_int_equal(c.got, N);
	assert_true(c.in_order);

	x = render_parse(m);
	assert_true(prom_sample_value(x, "photon_subscriber_received_total",
				      "sub=worker", NULL) == N);
	assert_true(prom_sample_value(x, "photon_subscriber_lagged_total",
				      "sub=worker", NULL) == 0);
	assert_true(prom_sample_value(x, "photon_subscriber_receive_ratio",
				      "sub=worker", NULL) == 1);
	assert_true(prom_sample_value(x, "photon_subscriber_pending",
				      "sub=worker", NULL) == 0);
	free(x);
	photon_metrics_destroy(m);
	photon_subscriber_close(c.sub);
	photon_channel_release(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_handles),
		cmocka_unit_test(test_prom_histograms),
		cmocka_unit_test(test_prom_buffer_too_small),
		cmocka_unit_test(test_prom_file),
		cmocka_unit_test(test_prom_prefix),
		cmocka_unit_test(test_prom_concurrent_scrape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
