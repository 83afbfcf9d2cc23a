/* SPDX-License-Identifier: MIT */
/*
 * bridgebench: one program, three engines (ZeroMQ, Cyclone DDS, NATS) and
 * bare UDP multicast as the floor, the publisher and receiver roles of a
 * channel bridge, and the statistics.
 *
 *   bridgebench pub -e ENGINE [engine options] [-s SIZE] [-w WARMUP]
 *                   [-n COUNT | -T SECONDS] [-r RATE]
 *   bridgebench sub -e ENGINE [engine options] [-i ID] [-o LATFILE]
 *                   [--stall-at MS --stall-ms MS] [--ready FILE]
 *   bridgebench stats LATFILE...
 *
 * The publisher sends WARMUP messages paced at RATE (so every receiver has
 * joined), then COUNT paced messages, or, with -T, as many as it can for
 * SECONDS; then the close, repeated. The receiver ignores the warm-up,
 * keeps a bitmap of the sequences it saw (loss, duplicates and reordering
 * by the ring's own numbers, whatever the engine says) and the one-way
 * latency of each message, and prints one line of key=value results.
 * docs/bridge-engines.md has the method; bench/bridge/run.sh the runs.
 */
#define _GNU_SOURCE
#include "bb.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The sender's timeline: messages sent per window, to show a block. */
#define WINDOW_NS   250000000ll
#define MAX_WINDOWS 256

struct opts {
	const struct bb_engine *eng;
	const char *ename;
	struct bb_cfg cfg;
	size_t size;
	uint64_t warmup, count;
	double seconds, rate;
	int id, close_copies;
	long stall_at_ms, stall_ms;
	const char *latfile, *ready;
	int idle_ms;
};

int64_t bb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / 1000000000ll,
			       .tv_nsec = t % 1000000000ll };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR) {
	}
}

static void sleep_ms(long ms)
{
	sleep_until(bb_now_ns() + ms * 1000000ll);
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static long max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static int64_t pct(const int64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(p / 100.0 * (double)n);
	return v[i < n ? i : n - 1];
}

static void print_pcts(int64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	printf(" n=%zu p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f", n,
	       (double)pct(v, n, 50) / 1e3, (double)pct(v, n, 99) / 1e3,
	       (double)pct(v, n, 99.9) / 1e3,
	       n ? (double)v[n - 1] / 1e3 : -1.0);
}

struct vec {
	int64_t *v;
	size_t n, cap;
};

static void vec_push(struct vec *a, int64_t x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1 << 16;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v) {
			perror("realloc");
			exit(1);
		}
	}
	a->v[a->n++] = x;
}

static int run_pub(const struct opts *o)
{
	unsigned char msg[BB_MAX_MSG];
	size_t len = BB_HDR + o->size;
	struct vec sendlat = { 0 };
	uint64_t win[MAX_WINDOWS] = { 0 };
	uint64_t seq = 0, refused = 0, errors = 0, slow = 0;
	int64_t period, t0, tm = 0, tend = 0, slow_ns = 0, tlast;
	struct bb_note note = { "" };
	void *h;
	int w;

	h = o->eng->pub_open(&o->cfg);
	if (!h)
		return 1;
	w = o->eng->pub_wait(h, o->cfg.nrx, 10000);
	if (w < 0) {
		fprintf(stderr, "pub: receivers did not join\n");
		return 1;
	}
	memset(msg, 0, sizeof(msg));
	put64(msg + 8, BB_CHANNEL);
	period = (int64_t)(1e9 / o->rate);
	t0 = bb_now_ns();
	for (;;) {
		int64_t now = bb_now_ns(), ta, tb;
		int r;

		if (seq == o->warmup) {
			tm = now;
			tend = tm + (int64_t)(o->seconds * 1e9);
		}
		if (seq >= o->warmup) {
			if (o->count ? seq >= o->warmup + o->count
				     : now >= tend)
				break;
		}
		if (seq < o->warmup || o->count) {
			int64_t next = t0 + (int64_t)seq * period;

			if (now < next)
				sleep_until(next);
		}
		put64(msg, seq);
		ta = bb_now_ns();
		put64(msg + BB_HDR, (uint64_t)ta);
		r = o->eng->pub_send(h, msg, len);
		tb = bb_now_ns();
		if (r == 1)
			refused++;
		else if (r < 0)
			errors++;
		if (seq >= o->warmup) {
			int64_t k = (tb - tm) / WINDOW_NS;

			vec_push(&sendlat, tb - ta);
			if (tb - ta > 1000000) {
				slow++;
				slow_ns += tb - ta;
			}
			if (k < MAX_WINDOWS)
				win[k]++;
		}
		seq++;
	}
	tlast = bb_now_ns();
	/* The close: the number of data messages, sent a few times apart so
	 * that a lossy engine still delivers one. */
	sleep_ms(200);
	put64(msg, seq);
	put64(msg + 8, BB_CHAN_CLOSE);
	for (int i = 0; i < o->close_copies; i++) {
		o->eng->pub_send(h, msg, len);
		sleep_ms(50);
	}
	o->eng->pub_close(h, &note);
	printf("role=pub engine=%s size=%zu sent=%" PRIu64
	       " rate=%.0f refused=%" PRIu64 " errors=%" PRIu64
	       " slow_sends=%" PRIu64 " slow_ms=%.1f rss_kib=%ld",
	       o->ename, o->size, seq - o->warmup,
	       (double)(seq - o->warmup) * 1e9 / (double)(tlast - tm), refused,
	       errors, slow, (double)slow_ns / 1e6, max_rss_kib());
	printf(" send");
	print_pcts(sendlat.v, sendlat.n);
	{
		int64_t nw = (tlast - tm + WINDOW_NS - 1) / WINDOW_NS;

		printf(" per250ms=");
		for (int64_t k = 0; k < nw && k < MAX_WINDOWS; k++)
			printf("%s%" PRIu64, k ? "," : "", win[k]);
	}
	printf(" %s\n", note.text);
	fflush(stdout);
	free(sendlat.v);
	return 0;
}

struct seen {
	uint64_t *bits;
	uint64_t nbits;
};

/* Marks seq (relative to the warm-up) and says whether it was seen. */
static int seen_set(struct seen *s, uint64_t i)
{
	uint64_t m;
	int was;

	if (i >= s->nbits) {
		uint64_t n = s->nbits ? s->nbits : 1 << 20;

		while (n <= i)
			n *= 2;
		s->bits = realloc(s->bits, n / 8);
		if (!s->bits) {
			perror("realloc");
			exit(1);
		}
		memset((char *)s->bits + s->nbits / 8, 0, (n - s->nbits) / 8);
		s->nbits = n;
	}
	m = 1ull << (i % 64);
	was = !!(s->bits[i / 64] & m);
	s->bits[i / 64] |= m;
	return was;
}

static int run_sub(const struct opts *o)
{
	unsigned char buf[BB_MAX_MSG];
	struct seen seen = { 0 };
	struct vec lat = { 0 };
	uint64_t expect = 0, unique = 0, dup = 0, reorder = 0, gaps = 0;
	uint64_t gapmsgs = 0, total = 0, maxseq = 0, warm = 0, other = 0;
	int64_t first = 0, last = 0, idle = 0, stall_t = 0;
	int closed = 0, stalled = 0, any = 0;
	struct bb_note note = { "" };
	void *h;

	h = o->eng->sub_open(&o->cfg);
	if (!h)
		return 1;
	if (o->ready) {
		FILE *f = fopen(o->ready, "w");

		if (f)
			fclose(f);
	}
	for (;;) {
		int n = o->eng->sub_recv(h, buf, sizeof(buf));
		int64_t now = bb_now_ns();
		uint64_t seq, chan, i;

		if (n < 0) {
			fprintf(stderr, "sub %d: receive error\n", o->id);
			break;
		}
		if (n == 0) {
			idle += BB_POLL_MS;
			if (idle >= (any ? o->idle_ms : 15000))
				break;
			continue;
		}
		idle = 0;
		if ((size_t)n < BB_HDR + 8) {
			other++;
			continue;
		}
		seq = get64(buf);
		chan = get64(buf + 8);
		if (chan == BB_CHAN_CLOSE) {
			total = seq;
			closed = 1;
			break;
		}
		if (chan != BB_CHANNEL) {
			other++;
			continue;
		}
		any = 1;
		if (seq < o->warmup) {
			warm++;
			continue;
		}
		i = seq - o->warmup;
		if (seen_set(&seen, i)) {
			dup++;
			continue;
		}
		if (!unique)
			first = now;
		last = now;
		unique++;
		if (i > expect) {
			gaps++;
			gapmsgs += i - expect;
		} else if (i < expect) {
			reorder++;
		}
		if (i + 1 > expect)
			expect = i + 1;
		if (i > maxseq)
			maxseq = i;
		vec_push(&lat, now - (int64_t)get64(buf + BB_HDR));
		if (o->stall_ms && !stalled &&
		    now - first >= o->stall_at_ms * 1000000ll) {
			stalled = 1;
			stall_t = now;
			sleep_ms(o->stall_ms);
		}
	}
	o->eng->sub_close(h, &note);
	if (!closed)
		total = unique ? o->warmup + maxseq + 1 : o->warmup;
	printf("role=sub engine=%s id=%d recv=%" PRIu64 " lost=%" PRIu64
	       " gaps=%" PRIu64 " gap_msgs=%" PRIu64 " reorder=%" PRIu64
	       " dup=%" PRIu64 " close=%d expected=%" PRIu64 " warm=%" PRIu64
	       " other=%" PRIu64 " rx_rate=%.0f rss_kib=%ld",
	       o->ename, o->id, unique, total - o->warmup - unique, gaps,
	       gapmsgs, reorder, dup, closed, total - o->warmup, warm, other,
	       last > first ? (double)unique * 1e9 / (double)(last - first)
			    : 0.0,
	       max_rss_kib());
	if (stalled) {
		/* What arrived after the stall, in order of sequence, shows
		 * whether the engine buffered, dropped or blocked. */
		printf(" stalled_at_ms=%.0f", (double)(stall_t - first) / 1e6);
	}
	if (o->latfile && lat.n) {
		FILE *f = fopen(o->latfile, "wb");

		if (f) {
			fwrite(lat.v, sizeof(*lat.v), lat.n, f);
			fclose(f);
		}
	}
	print_pcts(lat.v, lat.n);
	printf(" %s\n", note.text);
	fflush(stdout);
	free(lat.v);
	free(seen.bits);
	return 0;
}

/* Pooled percentiles of the latency files of one run's receivers. */
static int run_stats(int argc, char **argv)
{
	struct vec all = { 0 };

	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		int64_t x;

		if (!f) {
			perror(argv[i]);
			continue;
		}
		while (fread(&x, sizeof(x), 1, f) == 1)
			vec_push(&all, x);
		fclose(f);
	}
	printf("pooled");
	print_pcts(all.v, all.n);
	printf("\n");
	free(all.v);
	return 0;
}

static const struct bb_engine *find_engine(const char *name, struct bb_cfg *cfg)
{
	if (!strcmp(name, "zmq-tcp"))
		return &bb_zmq_tcp;
	if (!strcmp(name, "zmq-epgm"))
		return &bb_zmq_epgm;
	if (!strcmp(name, "zmq-norm"))
		return &bb_zmq_norm;
	if (!strcmp(name, "dds-rel")) {
		cfg->reliable = 1;
		return &bb_dds;
	}
	if (!strcmp(name, "dds-relall")) {
		cfg->reliable = 2;
		return &bb_dds;
	}
	if (!strcmp(name, "dds-be")) {
		cfg->reliable = 0;
		return &bb_dds;
	}
	if (!strcmp(name, "nats"))
		return &bb_nats;
	if (!strcmp(name, "udp"))
		return &bb_udp;
	return NULL;
}

static void usage(void)
{
	fputs("usage: bridgebench pub|sub -e zmq-tcp|zmq-epgm|zmq-norm|"
	      "dds-rel|dds-relall|dds-be|nats|udp\n"
	      "  -a ADDR -p PORT -I IFACE -g GROUP -d DEPTH  engine options\n"
	      "  pub: -s SIZE -w WARMUP -n COUNT | -T SECONDS, -r RATE, "
	      "-R NRX\n"
	      "  sub: -s SIZE -w WARMUP -i ID -o LATFILE --ready FILE\n"
	      "       --stall-at MS --stall-ms MS --idle MS\n"
	      "       bridgebench stats LATFILE...\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "stall-at", required_argument, NULL, 1 },
		{ "stall-ms", required_argument, NULL, 2 },
		{ "ready", required_argument, NULL, 3 },
		{ "idle", required_argument, NULL, 4 },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.cfg = { .addr = "127.0.0.1",
			 .iface = "lo",
			 .group = "239.192.77.1",
			 .port = 7700,
			 .depth = 1000,
			 .nrx = 1 },
		.size = 64,
		.warmup = 20000,
		.count = 100000,
		.rate = 20000,
		.close_copies = 10,
		.idle_ms = 3000,
	};
	const char *role, *ename = "zmq-tcp";
	int c;

	if (argc < 2)
		usage();
	role = argv[1];
	if (!strcmp(role, "stats"))
		return run_stats(argc - 2, argv + 2);
	optind = 2;
	while ((c = getopt_long(argc, argv, "e:a:p:I:g:d:s:w:n:T:r:R:i:o:",
				lopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			ename = optarg;
			break;
		case 'a':
			o.cfg.addr = optarg;
			break;
		case 'p':
			o.cfg.port = atoi(optarg);
			break;
		case 'I':
			o.cfg.iface = optarg;
			break;
		case 'g':
			o.cfg.group = optarg;
			break;
		case 'd':
			o.cfg.depth = atoi(optarg);
			break;
		case 's':
			o.size = strtoul(optarg, NULL, 0);
			break;
		case 'w':
			o.warmup = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			o.count = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			o.seconds = atof(optarg);
			o.count = 0;
			break;
		case 'r':
			o.rate = atof(optarg);
			break;
		case 'R':
			o.cfg.nrx = atoi(optarg);
			break;
		case 'i':
			o.id = atoi(optarg);
			break;
		case 'o':
			o.latfile = optarg;
			break;
		case 1:
			o.stall_at_ms = atol(optarg);
			break;
		case 2:
			o.stall_ms = atol(optarg);
			break;
		case 3:
			o.ready = optarg;
			break;
		case 4:
			o.idle_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	o.eng = find_engine(ename, &o.cfg);
	o.ename = ename;
	if (!o.eng || o.size < 8 || o.size > BB_MAX_MSG - BB_HDR || o.rate <= 0)
		usage();
	o.cfg.paced = o.count != 0;
	o.cfg.node = !strcmp(role, "pub") ? 1 : 100 + o.id;
	signal(SIGPIPE, SIG_IGN);
	/* Paced sleeps of 50 us need the timer to fire when asked, not up to
	 * the default 50 us of slack later. */
	prctl(PR_SET_TIMERSLACK, 1ul, 0ul, 0ul, 0ul);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(role, "pub"))
		return run_pub(&o);
	if (!strcmp(role, "sub"))
		return run_sub(&o);
	usage();
	return 2;
}
