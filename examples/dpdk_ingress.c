/* SPDX-License-Identifier: MIT */
/*
 * dpdk_ingress: a market-data feed handler on DPDK. One EAL port is polled
 * in bursts (rte_eth_rx_burst); every frame is parsed as the feed format of
 * examples/feed/feed.h, each new message is published into a bounded
 * libphotonring channel, and three consumer threads take them: a book
 * builder, a trade printer and a checker (examples/feed/ingress.h). This
 * file is only the receive loop; the rest is shared with efvi_ingress.
 *
 *   dpdk_ingress --pcap FILE [options]      replay a pcap (net_pcap PMD)
 *   dpdk_ingress --iface IF [options]       a Linux interface, e.g. one end
 *                                           of a veth pair (net_af_packet)
 *   dpdk_ingress EAL-ARGS -- [options]      EAL arguments of your own (a
 *                                           NIC with -a, a --vdev ...)
 *
 * Without "--" the EAL runs without hugepages, PCI, shared config or
 * telemetry, on the first CPU of the process's affinity: what a CI
 * container allows. The EAL pins this thread to its lcore's CPU; the
 * consumers run on the other CPUs of the affinity the process had before
 * rte_eal_init (on all of them if there is no other).
 *
 * Receive time: rte_rdtsc() when the burst returns, the counter
 * photon_tsc_now() reads on x86-64 and AArch64 (elsewhere photon_tsc_now()
 * itself is used). The pcap PMD's mbuf timestamps are the capture times in
 * the file, not when the frame arrived, so they are not used.
 *
 * The end: with --expect-packets N (or an --expect-file giving `packets`)
 * the loop stops after N frames; otherwise after --idle-ms without a frame
 * (100 ms for a pcap: the PMD returns nothing once the file is read;
 * never for an interface) or at SIGINT/SIGTERM. Then the publisher closes,
 * the consumers drain and read PHOTON_CLOSED, and the report is printed.
 *
 * Exit status: 0 when every check and expectation held, 1 when not, 2 on
 * bad arguments or a failed setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_pause.h>
#include <rte_version.h>

#include <photon/photon.h>

#include "feed/ingress.h"

/*
 * Under AddressSanitizer each frame is copied into a heap block of exactly
 * its length before it is parsed: mbuf memory is not tracked by ASan, a
 * heap block is, so a parser read past the frame is caught (the fuzz test).
 */
#if defined(__SANITIZE_ADDRESS__)
#define EXACT_COPY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXACT_COPY 1
#endif
#endif
#ifndef EXACT_COPY
#define EXACT_COPY 0
#endif

#define MAX_BURST 64
#define NB_MBUFS  8191
#define RX_DESC	  1024
#define TX_DESC	  512

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static inline uint64_t rx_clock(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return rte_rdtsc();
#else
	return photon_tsc_now();
#endif
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dpdk_ingress --pcap FILE | --iface IF [options]\n"
		"       dpdk_ingress EAL-ARGS -- [--pcap FILE | --iface IF] "
		"[options]\n"
		"  --pcap FILE       replay FILE with the net_pcap PMD\n"
		"  --iface IF        receive on IF with the net_af_packet "
		"PMD (root)\n"
		"  --burst N         rte_eth_rx_burst size, 1..64 (32)\n"
		"  --pace-us N       at most one burst every N us: a pcap "
		"replayed at\n"
		"                    file speed queues up in the ring, and "
		"the latency\n"
		"                    is the queue's (0: no pacing)\n"
		"  --ready-file F    write \"ready\" to F (a file or a FIFO) "
		"once the port\n"
		"                    is started, for scripts that then "
		"send\n");
	feed_ingress_usage(f);
}

/* The first CPU of the affinity mask: the EAL's one lcore. */
static int first_cpu(const cpu_set_t *set)
{
	int i;

	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, set))
			return i;
	return 0;
}

static int port_setup(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int rc, socket = rte_eth_dev_socket_id(port);

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc == 0)
		rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, (unsigned)socket,
					    NULL, pool);
	/* One TX queue: some PMDs want one; nothing is sent. */
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, nb_txd, (unsigned)socket,
					    NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0) {
		fprintf(stderr, "dpdk_ingress: port %u: %s\n", port,
			rte_strerror(-rc));
		return -1;
	}
	/* Multicast to a group nobody joined: take every frame. */
	rte_eth_promiscuous_enable(port);
	return 0;
}

static void handle(struct feed_ingress *fi, struct rte_mbuf *m, uint64_t tsc)
{
	static uint8_t scratch[RTE_MBUF_DEFAULT_BUF_SIZE * 8];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;

	/* A chained mbuf is copied whole into scratch; one segment is not. */
	if (len > sizeof(scratch))
		len = sizeof(scratch); /* counted as truncated by the parser */
	p = rte_pktmbuf_read(m, 0, len, scratch);
	if (!p)
		return;
	if (EXACT_COPY) {
		uint8_t *copy = malloc(len ? len : 1);

		if (copy) {
			memcpy(copy, p, len);
			feed_ingress_frame(fi, copy, len, tsc);
			free(copy);
			return;
		}
	}
	feed_ingress_frame(fi, p, len, tsc);
}

static void rx_loop(struct feed_ingress *fi, uint16_t port, uint16_t burst,
		    uint64_t idle_ms, uint64_t pace_ns)
{
	struct rte_mbuf *bufs[MAX_BURST];
	uint64_t last_rx = photon_monotonic_ns();
	unsigned empty = 0;

	while (!stop) {
		uint16_t n, i;
		uint64_t tsc;

		/* Pacing a replay: the next burst only pace_ns after one. */
		while (pace_ns && photon_monotonic_ns() - last_rx < pace_ns)
			rte_pause();
		n = rte_eth_rx_burst(port, 0, bufs, burst);

		if (n == 0) {
			/* The clock is read once per 1024 empty polls. */
			if (idle_ms && ++empty % 1024 == 0 &&
			    photon_monotonic_ns() - last_rx >=
				idle_ms * 1000000u)
				break;
			continue;
		}
		tsc = rx_clock();
		for (i = 0; i < n; i++) {
			handle(fi, bufs[i], tsc);
			rte_pktmbuf_free(bufs[i]);
		}
		if (feed_ingress_complete(fi))
			break;
		empty = 0;
		last_rx = photon_monotonic_ns();
	}
}

int main(int argc, char **argv)
{
	static char vdev[4200], lcore[16];
	char *eal_argv[64];
	int eal_argc = 0, first_app = 1, i, rc, ready_done = 0;
	const char *pcap = NULL, *iface = NULL, *ready = NULL;
	struct feed_ingress_opts opts;
	struct feed_ingress *fi;
	struct rte_mempool *pool;
	struct rte_eth_stats stats;
	struct rte_eth_dev_info info;
	uint64_t burst = 32, pace_us = 0;
	cpu_set_t cpus, sub_cpus;
	uint16_t port = 0, nports;
	char title[4400];

	/* The EAL's arguments are those before "--", if there is one. */
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--"))
			break;
	if (i < argc) {
		if (i > 60) {
			fprintf(stderr, "dpdk_ingress: too many EAL args\n");
			return 2;
		}
		for (eal_argc = 0; eal_argc < i; eal_argc++)
			eal_argv[eal_argc] = argv[eal_argc];
		first_app = i + 1;
	}

	feed_ingress_defaults(&opts, 0);
	opts.idle_ms = UINT64_MAX; /* chosen by the source below */
	for (i = first_app; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int r;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--pcap") && v) {
			pcap = v;
			i++;
		} else if (!strcmp(a, "--iface") && v) {
			iface = v;
			i++;
		} else if (!strcmp(a, "--ready-file") && v) {
			ready = v;
			i++;
		} else if (!strcmp(a, "--burst") && v) {
			if (feed_parse_u64(v, MAX_BURST, &burst) != 0 ||
			    burst < 1) {
				usage(stderr);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--pace-us") && v) {
			if (feed_parse_u64(v, 1000000, &pace_us) != 0) {
				usage(stderr);
				return 2;
			}
			i++;
		} else if ((r = feed_ingress_option(&opts, argc, argv, &i)) <=
			   0) {
			if (r == 0)
				fprintf(stderr,
					"dpdk_ingress: unknown option "
					"%s\n",
					a);
			usage(stderr);
			return 2;
		}
	}
	if ((pcap && iface) || (!pcap && !iface && eal_argc == 0)) {
		usage(stderr);
		return 2;
	}
	if (opts.idle_ms == UINT64_MAX)
		opts.idle_ms = pcap ? 100 : 0;

	/* Saved before the EAL pins this thread to its lcore. */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
		CPU_ZERO(&cpus);
		CPU_SET(0, &cpus);
	}
	if (pcap)
		snprintf(vdev, sizeof(vdev), "--vdev=net_pcap0,rx_pcap=%s",
			 pcap);
	else if (iface)
		snprintf(vdev, sizeof(vdev),
			 "--vdev=net_af_packet0,iface=%s,qpairs=1,"
			 "blocksz=4096,framesz=2048,framecnt=4096",
			 iface);
	if (eal_argc == 0) {
		/*
		 * What runs in a container as root or not: no hugepages
		 * (memory from anonymous mmap, so IOVA as VA), no PCI scan,
		 * no shared config files (--in-memory conflicts with
		 * --no-huge in DPDK 22.11), no telemetry socket, one lcore.
		 */
		snprintf(lcore, sizeof(lcore), "%d", first_cpu(&cpus));
		eal_argv[eal_argc++] = argv[0];
		eal_argv[eal_argc++] = "-l";
		eal_argv[eal_argc++] = lcore;
		eal_argv[eal_argc++] = "--no-huge";
		eal_argv[eal_argc++] = "-m";
		eal_argv[eal_argc++] = "64";
		eal_argv[eal_argc++] = "--no-pci";
		eal_argv[eal_argc++] = "--no-shconf";
		eal_argv[eal_argc++] = "--no-telemetry";
		eal_argv[eal_argc++] = "--iova-mode=va";
		eal_argv[eal_argc++] = "--file-prefix=photon-feed";
		eal_argv[eal_argc++] = "--log-level=lib.*:warning";
		eal_argv[eal_argc++] = "--log-level=pmd.*:warning";
	}
	if (pcap || iface)
		eal_argv[eal_argc++] = vdev;
	eal_argv[eal_argc] = NULL;

	printf("dpdk_ingress: libphotonring %s, %s\n", photon_version_string(),
	       rte_version());
	printf("eal:      ");
	for (i = 1; i < eal_argc; i++)
		printf(" %s", eal_argv[i]);
	printf("\n");
	fflush(stdout);
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "dpdk_ingress: rte_eal_init: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	nports = rte_eth_dev_count_avail();
	if (nports == 0) {
		fprintf(stderr, "dpdk_ingress: no port: the device failed to "
				"probe (see above), or none was given\n");
		rte_eal_cleanup();
		return 2;
	}
	RTE_ETH_FOREACH_DEV(port)
	{
		break; /* the first */
	}
	if (nports > 1)
		printf("note:      %u ports, receiving on port %u only\n",
		       nports, port);
	pool = rte_pktmbuf_pool_create("feed_rx", NB_MBUFS, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_eth_dev_socket_id(port));
	if (!pool) {
		fprintf(stderr, "dpdk_ingress: mbuf pool: %s\n",
			rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 2;
	}
	if (port_setup(port, pool) != 0) {
		rte_eal_cleanup();
		return 2;
	}
	rte_eth_dev_info_get(port, &info);
	snprintf(title, sizeof(title), "dpdk_ingress: port %u (%s) %s%s", port,
		 info.driver_name ? info.driver_name : "?",
		 pcap	 ? "pcap "
		 : iface ? "interface "
			 : "",
		 pcap	 ? pcap
		 : iface ? iface
			 : "");
	printf("port:      %u, driver %s, burst %" PRIu64 ", pace %" PRIu64
	       " us, %s\n",
	       port, info.driver_name ? info.driver_name : "?", burst, pace_us,
	       opts.expect.set[FEED_K_PACKETS] ? "stops after the expected "
						 "frame count"
	       : opts.idle_ms		       ? "stops when idle"
					       : "stops at SIGINT");

	/*
	 * The consumers keep off the busy-polling lcore's CPU when another is
	 * left: sharing it, each would get the CPU a time slice (ms) late.
	 */
	sub_cpus = cpus;
	if (CPU_COUNT(&cpus) > 1 &&
	    rte_lcore_to_cpu_id((int)rte_lcore_id()) >= 0)
		CPU_CLR(rte_lcore_to_cpu_id((int)rte_lcore_id()), &sub_cpus);
	if (feed_ingress_start(&fi, &opts, &sub_cpus) != 0) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (ready) {
		FILE *f = fopen(ready, "w");

		ready_done = f && fputs("ready\n", f) >= 0;
		if (f)
			ready_done &= fclose(f) == 0;
		if (!ready_done)
			fprintf(stderr,
				"dpdk_ingress: --ready-file %s: "
				"cannot write\n",
				ready);
	}
	fflush(stdout);

	rx_loop(fi, port, (uint16_t)burst, opts.idle_ms, pace_us * 1000u);

	memset(&stats, 0, sizeof(stats));
	rte_eth_stats_get(port, &stats);
	printf("\nport:      ipackets %" PRIu64 ", imissed %" PRIu64
	       ", ierrors %" PRIu64 ", rx_nombuf %" PRIu64 "%s\n",
	       stats.ipackets, stats.imissed, stats.ierrors, stats.rx_nombuf,
	       EXACT_COPY ? "; ASan: each frame parsed from an exact-size "
			    "heap copy"
			  : "");
	rc = feed_ingress_finish(fi, title);
	if (ready && !ready_done)
		rc = 1;
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return rc;
}
