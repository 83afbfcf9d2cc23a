/* SPDX-License-Identifier: MIT */
/*
 * A consumer of the installed companion libraries, built by
 * tests/package/check.sh beside main.c (which links the ring alone):
 * through PhotonRing::metrics and PhotonRing::topology, and through
 * pkg-config photon-ring-metrics photon-ring-topology, shared and static.
 * It includes only the public header and exits 0 when every step worked.
 */
#include <stdio.h>
#include <string.h>

#include <photon/photon.h>

#include "consumer.h"

/*
 * photonring-metrics: a histogram of TSC deltas and a subscriber exported
 * as Prometheus text; a StatsD sink (UDP to the discard port, which nobody
 * needs to read) so that the socket code is linked and runs.
 */
static void metrics(void)
{
	struct photon_channel *ch = NULL;
	struct photon_publisher *pub = NULL;
	struct photon_subscriber *sub = NULL;
	struct photon_histogram *h = NULL;
	struct photon_metrics *m = NULL;
	struct photon_statsd *sd = NULL;
	struct photon_metric_histogram desc = { .name = "loop_ticks" };
	struct photon_label label = { "stream", "package" };
	uint64_t p50 = 0, i;
	char text[8192], got[8];
	ptrdiff_t n;

	CHECK_RC(photon_channel_create(&ch, 16, 8), PHOTON_OK);
	if (!ch)
		return;
	CHECK_RC(photon_publisher_open(ch, &pub), PHOTON_OK);
	CHECK_RC(photon_subscribe(ch, &sub), PHOTON_OK);
	CHECK_RC(photon_histogram_create(&h, 0), PHOTON_OK);
	CHECK_RC(photon_metrics_create(&m, NULL, 4), PHOTON_OK);
	if (!pub || !sub || !h || !m)
		goto out;
	for (i = 0; i < 10; i++) {
		uint64_t t0 = photon_tsc_read_ordered();

		CHECK_RC(photon_publish(pub, &i), PHOTON_OK);
		CHECK_RC(photon_try_recv(sub, got), PHOTON_OK);
		CHECK_RC(photon_histogram_record(h, photon_tsc_read() - t0),
			 PHOTON_OK);
	}
	CHECK(photon_histogram_count(h) == 10);
	CHECK_RC(photon_histogram_percentile(h, 50, &p50), PHOTON_OK);
	CHECK_RC(photon_metrics_add_subscriber(m, sub, &label, 1), PHOTON_OK);
	CHECK_RC(photon_metrics_add_histogram(m, h, &desc, &label, 1),
		 PHOTON_OK);
	n = photon_metrics_prometheus(m, text, sizeof(text));
	CHECK(n > 0 && (size_t)n < sizeof(text));
	CHECK(strstr(text, "photon_subscriber_received_total{stream=\"package"
			   "\"} 10\n") != NULL);
	CHECK(
	    strstr(text, "photon_loop_ticks_count{stream=\"package\"} 10\n") !=
	    NULL);
	CHECK_RC(photon_statsd_open(&sd, "127.0.0.1", 9, "pkg"), PHOTON_OK);
	CHECK_RC(photon_statsd_send_metrics(sd, m), PHOTON_OK);
	photon_statsd_close(sd);
	printf("metrics: %zu bytes of Prometheus text, p50 %llu ticks (%s), "
	       "StatsD sent\n",
	       (size_t)n, (unsigned long long)p50, photon_tsc_source());
out:
	photon_metrics_destroy(m);
	photon_histogram_destroy(h);
	photon_subscriber_close(sub);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

struct sum {
	uint64_t total;
};

static int produce(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	(void)ctx;
	(void)in;
	if (seq == 1000)
		return PHOTON_STAGE_END;
	memcpy(out, &seq, sizeof(seq));
	return PHOTON_OK;
}

static int add(void *ctx, uint64_t seq, const void *const *in, void *out)
{
	struct sum *s = ctx;
	uint64_t v;

	(void)seq;
	(void)out;
	memcpy(&v, in[0], sizeof(v));
	s->total += v;
	return PHOTON_OK;
}

/* photonring-topology: a source thread feeding a sink thread. */
static void topology(void)
{
	struct photon_topology *t = NULL;
	struct photon_stage_opts src = { .name = "produce",
					 .fn = produce,
					 .out_size = sizeof(uint64_t) };
	struct sum sum = { 0 };
	struct photon_stage_opts snk = { .name = "add",
					 .fn = add,
					 .ctx = &sum };
	struct photon_stage_stats st;
	unsigned a, b;

	CHECK_RC(photon_topology_create(&t), PHOTON_OK);
	if (!t)
		return;
	CHECK_RC(photon_topology_add_stage(t, &src, &a), PHOTON_OK);
	CHECK_RC(photon_topology_add_stage(t, &snk, &b), PHOTON_OK);
	CHECK_RC(photon_topology_link(t, a, b), PHOTON_OK);
	CHECK_RC(photon_topology_start(t), PHOTON_OK);
	CHECK_RC(photon_topology_wait(t), PHOTON_OK);
	CHECK_RC(photon_topology_stage_stats(t, b, &st), PHOTON_OK);
	CHECK(st.processed == 1000);
	CHECK(sum.total == 999 * 1000 / 2);
	printf("topology: %s -> %s, %llu messages, sum %llu\n",
	       photon_topology_stage_name(t, a),
	       photon_topology_stage_name(t, b),
	       (unsigned long long)st.processed, (unsigned long long)sum.total);
	photon_topology_destroy(t);
}

int main(void)
{
	metrics();
	topology();
	if (failures) {
		fprintf(stderr,
			"photon_consumer_companions: %d check(s) failed\n",
			failures);
		return 1;
	}
	printf("photon_consumer_companions: all checks passed\n");
	return 0;
}
