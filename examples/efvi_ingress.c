/* SPDX-License-Identifier: MIT */
/*
 * efvi_ingress: the feed handler of dpdk_ingress on OpenOnload's ef_vi, for
 * AMD Solarflare NICs (X2, and X3 when the headers have efct_vi.h). Frames
 * come from a virtual interface's event queue (ef_eventq_poll) instead of
 * rte_eth_rx_burst; everything after that (parser, gap and duplicate
 * detection, the bounded ring, book builder, trade printer, checker, the
 * report) is examples/feed, shared with dpdk_ingress.
 *
 *   efvi_ingress --iface IF [--group A.B.C.D] [--rx-cpu N] [feed options]
 *
 * The VI gets one filter: UDP to --group (a multicast group, joined on a
 * kernel socket too so that the switch forwards it; or a local unicast
 * address) and --port. X2 (ef10/ef100): 2 KiB packet buffers registered
 * with ef_memreg_alloc and posted with ef_vi_receive_init/push, returned
 * to the ring as their RX events are handled. X3 (efct): the NIC fills
 * its own buffers and each EF_EVENT_TYPE_RX_REF is read with
 * efct_vi_rxpkt_get and released. Discards (bad CRC or checksum, ...) are
 * counted by reason and not parsed.
 *
 * Receive time: photon_tsc_now() when ef_eventq_poll returns events (the
 * NIC's own timestamps need EF_VI_RX_TIMESTAMPS and a synchronised clock,
 * and measure another thing: wire to host).
 *
 * Built only with -DPHOTON_WITH_EFVI=ON where the OpenOnload headers and
 * libciul are found; needs the onload/sfc drivers and such a NIC to run
 * (this project's CI has neither, so it neither builds nor runs it here).
 *
 * Exit status: 0 when every check and expectation held, 1 when not, 2 on
 * bad arguments or a failed setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pthread_setaffinity_np, MAP_HUGETLB */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <etherfabric/ef_vi.h>
#include <etherfabric/memreg.h>
#include <etherfabric/pd.h>
#include <etherfabric/vi.h>
#if FEED_EFVI_EFCT
#include <etherfabric/efct_vi.h>
#endif

#include <photon/photon.h>

#include "feed/ingress.h"

#define PKT_BUF_SIZE 2048 /* one RX DMA never crosses a 4 KiB boundary */
#define EV_BATCH     32
#define REFILL_BATCH 16

struct rx {
	ef_driver_handle dh;
	struct ef_pd pd;
	ef_vi vi;
	struct ef_memreg mr;
	int have_dh, have_pd, have_vi, have_mr;
	uint8_t *mem;
	size_t mem_len;
	int huge;      /* mem is a MAP_HUGETLB mapping */
	ef_addr *addr; /* DMA address of each buffer */
	int *free_ids; /* buffers not on the RX ring (LIFO: warm first) */
	int nbufs, nfree;
	int prefix;  /* bytes the NIC writes before the frame */
	int posting; /* 0 once receive_init refuses (efct posts nothing) */
	uint64_t discards[EF_EVENT_RX_DISCARD_MAX + 1];
	uint64_t scattered; /* frames over one buffer: not handled here */
	uint64_t no_desc;   /* truncated for want of a posted buffer */
	uint64_t other;	    /* events of other types */
	int reset;	    /* EF_EVENT_TYPE_RESET: the VI is gone */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: efvi_ingress --iface IF [--group A.B.C.D] "
		   "[--rx-cpu N] [options]\n"
		   "  --iface IF        the Solarflare/AMD interface\n"
		   "  --group A.B.C.D   multicast group (joined) or local "
		   "address the feed is\n"
		   "                    sent to (239.1.2.3, as gen_pcap "
		   "writes)\n"
		   "  --rx-cpu N        pin the receive thread to CPU N (the "
		   "consumers take\n"
		   "                    the process's other CPUs)\n");
	feed_ingress_usage(f);
}

static int check(int rc, const char *what)
{
	if (rc < 0)
		fprintf(stderr, "efvi_ingress: %s: %s\n", what, strerror(-rc));
	return rc;
}

/* Hands every free buffer to the RX ring, in batches. */
static void refill(struct rx *r)
{
	int pushed = 0;

	while (r->posting && r->nfree > 0 &&
	       ef_vi_receive_fill_level(&r->vi) <
		   ef_vi_receive_capacity(&r->vi)) {
		int id = r->free_ids[r->nfree - 1];

		if (ef_vi_receive_init(&r->vi, r->addr[id], id) < 0) {
			r->posting = 0; /* efct: the NIC owns its buffers */
			break;
		}
		r->nfree--;
		pushed++;
	}
	if (pushed)
		ef_vi_receive_push(&r->vi);
}

static void buf_free(struct rx *r, int id)
{
	if (id >= 0 && id < r->nbufs)
		r->free_ids[r->nfree++] = id;
}

static int rx_setup(struct rx *r, const char *iface)
{
	size_t i;
	int rc, cap;

	memset(r, 0, sizeof(*r));
	if (check(ef_driver_open(&r->dh), "ef_driver_open (is the onload "
					  "driver loaded?)") < 0)
		return -1;
	r->have_dh = 1;
	rc = ef_pd_alloc_by_name(&r->pd, r->dh, iface, EF_PD_DEFAULT);
	if (check(rc, "ef_pd_alloc_by_name") < 0)
		return -1;
	r->have_pd = 1;
	/* Default event queue and RX ring, no TX ring: nothing is sent. */
	rc = ef_vi_alloc_from_pd(&r->vi, r->dh, &r->pd, r->dh, -1, -1, 0, NULL,
				 -1, EF_VI_FLAGS_DEFAULT);
	if (check(rc, "ef_vi_alloc_from_pd") < 0)
		return -1;
	r->have_vi = 1;
	r->prefix = ef_vi_receive_prefix_len(&r->vi);
	cap = ef_vi_receive_capacity(&r->vi);
	r->nbufs = cap > 0 ? cap : 0;
	r->posting = r->nbufs > 0;
	if (!r->nbufs)
		return 0;

	/* Huge pages if there are any: fewer TLB misses, fewer NIC pages. */
	r->mem_len = ((size_t)r->nbufs * PKT_BUF_SIZE + (2u << 20) - 1) &
		     ~(size_t)((2u << 20) - 1);
	r->mem = mmap(NULL, r->mem_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (r->mem == MAP_FAILED) {
		void *p = NULL;

		if (posix_memalign(&p, 2u << 20, r->mem_len) != 0) {
			fprintf(stderr, "efvi_ingress: out of memory\n");
			r->mem = NULL;
			return -1;
		}
		r->mem = p;
	} else {
		r->huge = 1;
	}
	r->addr = calloc((size_t)r->nbufs, sizeof(*r->addr));
	r->free_ids = calloc((size_t)r->nbufs, sizeof(*r->free_ids));
	if (!r->addr || !r->free_ids) {
		fprintf(stderr, "efvi_ingress: out of memory\n");
		return -1;
	}
	rc = ef_memreg_alloc(&r->mr, r->dh, &r->pd, r->dh, r->mem, r->mem_len);
#if FEED_EFVI_EFCT
	if (rc < 0) { /* X3 fills buffers of its own: none to register */
		printf("note:      ef_memreg_alloc: %s: receiving only "
		       "through efct RX_REF events\n",
		       strerror(-rc));
		r->posting = 0;
		return 0;
	}
#endif
	if (check(rc, "ef_memreg_alloc") < 0)
		return -1;
	r->have_mr = 1;
	for (i = 0; i < (size_t)r->nbufs; i++) {
		r->addr[i] = ef_memreg_dma_addr(&r->mr, i * PKT_BUF_SIZE);
		r->free_ids[r->nfree++] = r->nbufs - 1 - (int)i;
	}
	refill(r);
	return 0;
}

/* UDP to group:port reaches this VI; a multicast group is also joined
 * on a kernel socket (returned, kept open) so that IGMP brings it here. */
static int add_filter(struct rx *r, const char *iface, struct in_addr group,
		      uint16_t port, int *sock)
{
	ef_filter_spec fs;
	int rc;

	*sock = -1;
	ef_filter_spec_init(&fs, EF_FILTER_FLAG_NONE);
	rc = ef_filter_spec_set_ip4_local(&fs, IPPROTO_UDP, group.s_addr,
					  htons(port));
	if (rc == 0)
		rc = ef_vi_filter_add(&r->vi, r->dh, &fs, NULL);
	if (check(rc, "ef_vi_filter_add") < 0)
		return -1;
	if (IN_MULTICAST(ntohl(group.s_addr))) {
		struct ip_mreqn mreq;

		memset(&mreq, 0, sizeof(mreq));
		mreq.imr_multiaddr = group;
		mreq.imr_ifindex = (int)if_nametoindex(iface);
		*sock = socket(AF_INET, SOCK_DGRAM, 0);
		if (*sock < 0 ||
		    setsockopt(*sock, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq,
			       sizeof(mreq)) != 0) {
			fprintf(stderr, "efvi_ingress: joining %s on %s: %s\n",
				inet_ntoa(group), iface, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void handle(struct rx *r, struct feed_ingress *fi, const ef_event *ev,
		   uint64_t tsc)
{
	int id;

	switch (EF_EVENT_TYPE(*ev)) {
	case EF_EVENT_TYPE_RX:
		id = (int)EF_EVENT_RX_RQ_ID(*ev);
		if (id < 0 || id >= r->nbufs)
			break;
		/* A frame in more than one buffer (a jumbo): not parsed. */
		if (!EF_EVENT_RX_SOP(*ev) || EF_EVENT_RX_CONT(*ev))
			r->scattered++;
		else if (EF_EVENT_RX_BYTES(*ev) < (unsigned)r->prefix ||
			 EF_EVENT_RX_BYTES(*ev) > PKT_BUF_SIZE)
			r->other++;
		else
			feed_ingress_frame(
			    fi, r->mem + (size_t)id * PKT_BUF_SIZE + r->prefix,
			    EF_EVENT_RX_BYTES(*ev) - (unsigned)r->prefix, tsc);
		buf_free(r, id);
		break;
	case EF_EVENT_TYPE_RX_DISCARD:
		if (EF_EVENT_RX_DISCARD_TYPE(*ev) <= EF_EVENT_RX_DISCARD_MAX)
			r->discards[EF_EVENT_RX_DISCARD_TYPE(*ev)]++;
		buf_free(r, (int)EF_EVENT_RX_DISCARD_RQ_ID(*ev));
		break;
	case EF_EVENT_TYPE_RX_NO_DESC_TRUNC:
		r->no_desc++;
		break;
#if FEED_EFVI_EFCT
	case EF_EVENT_TYPE_RX_REF:
		feed_ingress_frame(fi,
				   efct_vi_rxpkt_get(&r->vi, ev->rx_ref.pkt_id),
				   ev->rx_ref.len, tsc);
		efct_vi_rxpkt_release(&r->vi, ev->rx_ref.pkt_id);
		break;
	case EF_EVENT_TYPE_RX_REF_DISCARD:
		r->discards[EF_EVENT_RX_DISCARD_OTHER]++;
		efct_vi_rxpkt_release(&r->vi, ev->rx_ref_discard.pkt_id);
		break;
#endif
	case EF_EVENT_TYPE_RESET:
		r->reset = 1;
		break;
	default:
		r->other++;
		break;
	}
}

static void rx_loop(struct rx *r, struct feed_ingress *fi, uint64_t idle_ms)
{
	ef_event evs[EV_BATCH];
	uint64_t last_rx = photon_monotonic_ns();
	unsigned empty = 0;

	while (!stop && !r->reset) {
		int n = ef_eventq_poll(&r->vi, evs, EV_BATCH), i;
		uint64_t tsc;

		if (n <= 0) {
			if (idle_ms && ++empty % 1024 == 0 &&
			    photon_monotonic_ns() - last_rx >=
				idle_ms * 1000000u)
				break;
			continue;
		}
		tsc = photon_tsc_now();
		for (i = 0; i < n; i++)
			handle(r, fi, &evs[i], tsc);
		if (r->nfree >= REFILL_BATCH)
			refill(r);
		if (feed_ingress_complete(fi))
			break;
		empty = 0;
		last_rx = photon_monotonic_ns();
	}
}

static void rx_close(struct rx *r)
{
	if (r->have_mr)
		ef_memreg_free(&r->mr, r->dh);
	if (r->have_vi)
		ef_vi_free(&r->vi, r->dh);
	if (r->have_pd)
		ef_pd_free(&r->pd, r->dh);
	if (r->mem && r->huge)
		munmap(r->mem, r->mem_len);
	else
		free(r->mem);
	free(r->addr);
	free(r->free_ids);
	if (r->have_dh)
		ef_driver_close(r->dh);
}

int main(int argc, char **argv)
{
	static struct rx r;
	struct feed_ingress_opts opts;
	struct feed_ingress *fi;
	struct in_addr group;
	cpu_set_t sub_cpus;
	const char *iface = NULL;
	char title[256];
	long rx_cpu = -1;
	int i, rc, sock = -1;

	inet_pton(AF_INET, "239.1.2.3", &group);
	feed_ingress_defaults(&opts, 0);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int o;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--iface") && v) {
			iface = v;
			i++;
		} else if (!strcmp(a, "--group") && v &&
			   inet_pton(AF_INET, v, &group) == 1) {
			i++;
		} else if (!strcmp(a, "--rx-cpu") && v) {
			rx_cpu = strtol(v, NULL, 10);
			if (rx_cpu < 0 || rx_cpu >= CPU_SETSIZE) {
				usage(stderr);
				return 2;
			}
			i++;
		} else if ((o = feed_ingress_option(&opts, argc, argv, &i)) <=
			   0) {
			if (o == 0)
				fprintf(stderr,
					"efvi_ingress: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!iface) {
		usage(stderr);
		return 2;
	}

	printf("efvi_ingress: libphotonring %s, ef_vi %s\n",
	       photon_version_string(), ef_vi_version_str());
	if (rx_setup(&r, iface) != 0 ||
	    add_filter(&r, iface, group, opts.port, &sock) != 0) {
		rx_close(&r);
		return 2;
	}
	printf("vi:        %s, %d RX buffers, prefix %d bytes, filter udp "
	       "%s:%u\n",
	       iface, r.nbufs, r.prefix, inet_ntoa(group), opts.port);
	/*
	 * Consumers first, on the process's CPUs but the receive thread's
	 * (when another is left: sharing the busy-polling CPU, each would get
	 * it a time slice late); then pin this thread.
	 */
	if (sched_getaffinity(0, sizeof(sub_cpus), &sub_cpus) != 0)
		CPU_ZERO(&sub_cpus);
	if (rx_cpu >= 0 && CPU_COUNT(&sub_cpus) > 1)
		CPU_CLR((int)rx_cpu, &sub_cpus);
	if (feed_ingress_start(&fi, &opts,
			       CPU_COUNT(&sub_cpus) ? &sub_cpus : NULL) != 0) {
		rx_close(&r);
		return 2;
	}
	if (rx_cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)rx_cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			fprintf(stderr, "efvi_ingress: cannot pin to CPU %ld\n",
				rx_cpu);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fflush(stdout);

	rx_loop(&r, fi, opts.idle_ms);

	printf("\nvi:        discards: csum %" PRIu64 ", crc %" PRIu64
	       ", trunc %" PRIu64 ", other %" PRIu64 "; scattered %" PRIu64
	       ", no descriptor %" PRIu64 ", other events %" PRIu64 "%s\n",
	       r.discards[EF_EVENT_RX_DISCARD_CSUM_BAD],
	       r.discards[EF_EVENT_RX_DISCARD_CRC_BAD],
	       r.discards[EF_EVENT_RX_DISCARD_TRUNC],
	       r.discards[EF_EVENT_RX_DISCARD_OTHER], r.scattered, r.no_desc,
	       r.other, r.reset ? "; the VI was RESET" : "");
	snprintf(title, sizeof(title), "efvi_ingress: %s udp %s:%u", iface,
		 inet_ntoa(group), opts.port);
	rc = feed_ingress_finish(fi, title);
	if (r.reset)
		rc = 1;
	if (sock >= 0)
		close(sock);
	rx_close(&r);
	return rc;
}
