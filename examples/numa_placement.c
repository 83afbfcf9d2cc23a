/* SPDX-License-Identifier: MIT */
/*
 * numa_placement: puts a ring on the NUMA node of its subscriber.
 *
 * The subscriber polls the ring's slots all the time; the publisher writes
 * each slot once per lap. With the ring on the subscriber's node the polling
 * reads stay local, and only the publisher's writes cross the interconnect.
 * The example picks a subscriber CPU (the last available one, or
 * --sub-cpu), creates the ring bound to that CPU's node (PHOTON_NUMA, before
 * any page is touched) and prefaulted, pins the subscriber next to the
 * ring's memory, puts the publisher on another node when there is one, and
 * checks where the kernel put the pages.
 *
 *   numa_placement [--messages N] [--sub-cpu C]
 *
 * Built without libnuma it says so and runs with the ring wherever the
 * first touch puts it. Exit status: 0 when the ring is where it was asked
 * and every message arrived in order, 1 when not, 2 on a failed setup.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <photon/photon.h>

struct order {
	uint64_t seq;
	uint64_t price;
	uint32_t qty;
	uint32_t side;
};

PHOTON_DEFINE_TYPED(order, struct order);

static uint64_t messages = 1000000;
static struct photon_publisher *publisher;
static struct photon_subscriber *subscriber;
static struct photon_channel *channel;
static int pub_cpu = -1, sub_node = -1;
static unsigned sub_cpu;
static uint64_t received, violations;

static void *subscriber_main(void *arg)
{
	struct order o;
	uint64_t expect = 0;
	int rc;

	(void)arg;
	/* Next to the ring's memory: the CPUs of its node. */
	if (sub_node >= 0)
		rc = photon_pin_near_channel(channel);
	else
		rc = photon_pin_to_core(sub_cpu);
	if (rc < 0)
		fprintf(stderr, "subscriber: pin: %s\n",
			photon_last_error_message());
	/* Blocking receive: PHOTON_OK until the publisher closes. */
	while (photon_recv(subscriber, &o) == PHOTON_OK) {
		if (o.seq != expect || o.price != 10000 + o.seq % 100)
			violations++;
		expect = o.seq + 1;
		received++;
	}
	return NULL;
}

static void *publisher_main(void *arg)
{
	struct order o = { 0 };
	uint64_t i;

	(void)arg;
	if (pub_cpu >= 0 && photon_pin_to_core((unsigned)pub_cpu) != PHOTON_OK)
		fprintf(stderr, "publisher: %s\n", photon_last_error_message());
	for (i = 0; i < messages; i++) {
		o.seq = i;
		o.price = 10000 + i % 100;
		o.qty = (uint32_t)(1 + i % 10);
		o.side = (uint32_t)(i & 1);
		order_publish(publisher, &o); /* bounded: waits for room */
	}
	photon_publisher_close(publisher);
	return NULL;
}

static void print_nodes(void)
{
	unsigned *cpus = malloc(photon_core_count() * sizeof(*cpus));
	int node, n, i, shown = 0;

	if (!cpus)
		return;
	for (node = 0; node < 1024 && shown < 64; node++) {
		n = photon_numa_node_cores(node, cpus, photon_core_count());
		if (n < 0)
			continue;
		printf("node %d:   %d available CPU%s:", node, n,
		       n == 1 ? "" : "s");
		for (i = 0; i < n && i < 16; i++)
			printf(" %u", cpus[i]);
		printf("%s\n", n > 16 ? " ..." : "");
		shown++;
	}
	free(cpus);
}

/* A CPU on another node than `node`, else one sharing no cache, else any. */
static int choose_publisher_cpu(unsigned sub_cpu, int node)
{
	size_t n = photon_core_count(), i;
	unsigned *cpus = malloc(n * sizeof(*cpus));
	int pick = -1;

	if (!cpus)
		return -1;
	photon_available_cores(cpus, n);
	for (i = 0; i < n && node >= 0 && pick < 0; i++)
		if (photon_numa_node_of_cpu(cpus[i]) >= 0 &&
		    photon_numa_node_of_cpu(cpus[i]) != node)
			pick = (int)cpus[i];
	if (pick < 0)
		pick = photon_core_sharing_no_cache(sub_cpu);
	for (i = 0; i < n && pick < 0; i++)
		if (cpus[i] != sub_cpu)
			pick = (int)cpus[i];
	free(cpus);
	return pick;
}

int main(int argc, char **argv)
{
	struct photon_opts o = { 0 };
	pthread_t pt, st;
	int i, rc, placed, nodes;
	size_t n = photon_core_count();
	unsigned *cpus = malloc((n ? n : 1) * sizeof(*cpus));

	if (!cpus || !n)
		return 2;
	photon_available_cores(cpus, n);
	sub_cpu = cpus[n - 1];
	free(cpus);
	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--messages"))
			messages = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--sub-cpu"))
			sub_cpu = (unsigned)strtoul(argv[i + 1], NULL, 10);
		else
			break;
	}
	if (i != argc || !messages) {
		fprintf(stderr,
			"usage: numa_placement [--messages N] [--sub-cpu C]\n");
		return 2;
	}

	nodes = photon_numa_node_count();
	printf("numa_placement: libphotonring %s, %zu CPUs, topology from "
	       "%s\n",
	       photon_version_string(), n, photon_affinity_backend());
	print_nodes();
	o.capacity = 4096;
	o.msg_size = sizeof(struct order);
	o.watermark = 0;
	o.flags = PHOTON_BOUNDED | PHOTON_PREFAULT;
	if (nodes == PHOTON_ENOTSUP) {
		printf("NUMA:     libphotonring was built without libnuma: the "
		       "first touch places the ring\n");
	} else {
		sub_node = photon_numa_node_of_cpu(sub_cpu);
		if (sub_node < 0) {
			fprintf(stderr, "CPU %u: %s\n", sub_cpu,
				photon_last_error_message());
			return 2;
		}
		o.flags |= PHOTON_NUMA;
		o.numa_node = sub_node;
		printf("NUMA:     %d node(s); subscriber CPU %u is on node %d: "
		       "the ring goes there\n",
		       nodes, sub_cpu, sub_node);
	}
	rc = photon_channel_create_opts(&channel, &o);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(channel, &publisher);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(channel, &subscriber);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "setup: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		return 2;
	}
	placed = photon_channel_numa_node(channel);
	pub_cpu = choose_publisher_cpu(sub_cpu, sub_node);
	if (placed >= 0)
		printf("ring:     %zu KiB, prefaulted, pages on node %d "
		       "(move_pages)\n",
		       (size_t)(o.capacity *
				PHOTON_SLOT_STRIDE(sizeof(struct order))) /
			   1024,
		       placed);
	printf("threads:  subscriber %s, publisher on CPU %d",
	       sub_node >= 0 ? "next to the ring" : "on the last CPU", pub_cpu);
	if (sub_node >= 0 && pub_cpu >= 0)
		printf(" (node %d)",
		       photon_numa_node_of_cpu((unsigned)pub_cpu));
	printf("\n");

	if (pthread_create(&st, NULL, subscriber_main, NULL) != 0 ||
	    pthread_create(&pt, NULL, publisher_main, NULL) != 0)
		return 2;
	pthread_join(pt, NULL);
	pthread_join(st, NULL);
	printf("messages: %" PRIu64 " published, %" PRIu64 " received in "
	       "order, %" PRIu64 " violations\n",
	       messages, received, violations);
	photon_subscriber_close(subscriber);
	photon_channel_release(channel);
	if (violations || received != messages)
		return 1;
	if (sub_node >= 0 && placed != sub_node) {
		printf("FAILED: ring on node %d, asked for %d\n", placed,
		       sub_node);
		return 1;
	}
	return 0;
}
