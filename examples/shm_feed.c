/* SPDX-License-Identifier: MIT */
/*
 * shm_feed: a market-data feed between processes, over a shared channel.
 *
 *   feed --quotes--> strategy 0 (per-symbol mid prices)
 *                `-> strategy 1 (crossed-book count)
 *
 * The feed creates a bounded (lossless) channel in a named segment,
 * photon-shm-feed-<pid>, and starts the two strategies by fork + exec of
 * this program (/proc/self/exe strategy NAME ID QUOTES WAIT). Each opens the
 * segment by name, subscribes, and writes one byte into a pipe: the feed
 * publishes its first quote only once both are subscribed, since a bounded
 * channel does not hold its publisher back for a consumer that has not
 * registered yet. The feed then publishes QUOTES quotes, closes the
 * publisher (the strategies drain what is left, then read PHOTON_CLOSED),
 * waits for both and removes the name.
 *
 * Every strategy checks that each sequence number arrives exactly once and
 * in order, and that each quote's symbol is the one its sequence implies.
 * Latency is one-way, in nanoseconds of CLOCK_MONOTONIC (one clock for
 * every process on the machine): the feed stamps a quote just before
 * publishing it, the strategy reads the clock right after the receive. The
 * feed is not paced unless --gap-ns says so: at full speed the ring fills
 * and the latency includes the time a quote waits in it. The percentiles
 * come from photonring-metrics' histogram (fixed memory, within 0.4 %).
 * Idle strategies spin (--wait spin) when every process has a CPU of its
 * own, else park on a futex after a short spin (--wait park).
 *
 * If the feed dies without closing the channel (kill -9), the strategies
 * drain what it published, read PHOTON_CLOSED, find the channel abandoned,
 * report it, remove the name the feed left behind and exit 1. A strategy
 * that dies is noticed by the feed's publisher, which frees its place
 * within a few tens of milliseconds and goes on; the feed then exits 1.
 *
 *   shm_feed [--quotes N] [--gap-ns G] [--wait auto|spin|park]
 *
 * Exit status: 0 when both strategies saw every quote once and in order;
 * 1 when not, or when a strategy failed or the feed died; 2 on bad
 * arguments or a failed setup.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, sched_getaffinity, CPU_COUNT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <photon/photon.h>

/* 40 bytes: with the stamp, one 64-byte slot. Plain data only. */
struct quote {
	uint64_t seq;	  /* 0, 1, 2 ...: the feed's sequence */
	uint64_t sent_ns; /* CLOCK_MONOTONIC just before publish */
	double bid;
	double ask;
	uint32_t symbol;
	uint16_t bid_size;
	uint16_t ask_size;
};

_Static_assert(sizeof(struct quote) == 40, "one 64-byte slot per quote");

PHOTON_DEFINE_TYPED(quote, struct quote);

#define STRATEGIES 2
#define SYMBOLS	   16
/* Every CROSS_EVERY-th quote is crossed (bid above ask): a strategy knows
 * how many to expect, which checks the payloads as well as the order. */
#define CROSS_EVERY 1000
/* The strategies' end of the ready pipe, set up between fork and exec. */
#define READY_FD 3

enum wait_mode { WAIT_AUTO, WAIT_SPIN, WAIT_PARK };

static const char *const wait_names[] = { "auto", "spin", "park" };

static void die(const char *who, int rc)
{
	fprintf(stderr, "%s: %s (%s)\n", who, photon_strerror(rc),
		photon_last_error_message());
	exit(2);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

static int parse_wait(const char *s, enum wait_mode *out)
{
	unsigned i;

	for (i = 0; i < sizeof(wait_names) / sizeof(wait_names[0]); i++)
		if (s && !strcmp(s, wait_names[i])) {
			*out = (enum wait_mode)i;
			return 0;
		}
	return -1;
}

/* The quote the feed publishes as sequence seq; strategies check it. */
static void make_quote(struct quote *q, uint64_t seq)
{
	q->seq = seq;
	q->symbol = (uint32_t)(seq % SYMBOLS);
	q->bid = 100.0 + 10.0 * q->symbol + (double)(seq % 200) * 0.01;
	q->ask = q->bid + 0.02;
	if (seq % CROSS_EVERY == CROSS_EVERY - 1)
		q->ask = q->bid - 0.01;
	q->bid_size = (uint16_t)(100 * (1 + seq % 5));
	q->ask_size = (uint16_t)(100 * (1 + seq % 3));
}

/* ---- strategy ---- */

static uint64_t percentile(const struct photon_histogram *h, double p)
{
	uint64_t v = 0;

	photon_histogram_percentile(h, p, &v);
	return v;
}

/* Appends to the report, which goes out in one write (no interleaving). */
static void say(char *buf, size_t len, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void say(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len;
}

static int strategy_main(const char *name, unsigned id, uint64_t quotes,
			 enum wait_mode mode)
{
	struct photon_channel *ch = NULL;
	struct photon_subscriber *sub = NULL;
	struct photon_wait w = { 0 };
	double mid_sum[SYMBOLS] = { 0 }, last_mid[SYMBOLS] = { 0 };
	uint64_t crossed[SYMBOLS] = { 0 }, nsym[SYMBOLS] = { 0 };
	uint64_t expect = 0, n = 0, gaps = 0, reorders = 0, bad = 0;
	uint64_t first_ns = 0, last_ns = 0, total_crossed = 0;
	struct photon_histogram *lat = NULL;
	const char *role = id == 0 ? "mid" : "crossed";
	char out[2048];
	size_t at = 0;
	int rc, abandoned, ok;
	struct quote q;
	unsigned i;

	/* A feed that died before reading our byte must not kill us too. */
	signal(SIGPIPE, SIG_IGN);
	/* Fixed memory whatever the count, values within 0.4 %. */
	rc = photon_histogram_create(&lat, 0);
	if (rc == PHOTON_OK)
		rc = photon_shm_open(&ch, name);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(ch, &sub);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "strategy %u: %s: %s (%s)\n", id, name,
			photon_strerror(rc), photon_last_error_message());
		return 2;
	}
	/* Subscribed: from here on the channel holds every quote for us. */
	if (write(READY_FD, &(char){ (char)('0' + id) }, 1) != 1)
		fprintf(stderr, "strategy %u: ready pipe: %s\n", id,
			strerror(errno));
	close(READY_FD);

	/*
	 * Spin when every process has a CPU, else park: a spinning reader
	 * would take the CPU the feed needs to publish what it waits for.
	 */
	w.kind = mode == WAIT_SPIN ? PHOTON_WAIT_ADAPTIVE : PHOTON_WAIT_PARK;
	for (;;) {
		uint64_t now;

		/* The inline receive first; when it is empty, the exported
		 * wait, which also looks for a dead feed every few ms (the
		 * inline one never does). */
		rc = quote_try_recv(sub, &q);
		if (rc == PHOTON_EMPTY)
			rc = quote_recv_with(sub, &q, &w);
		if (rc == PHOTON_CLOSED)
			break;
		if (rc != PHOTON_OK) { /* LAGGED cannot happen: bounded */
			bad++;
			continue;
		}
		now = photon_monotonic_ns();
		if (q.seq > expect)
			gaps += q.seq - expect;
		else if (q.seq < expect)
			reorders++;
		expect = q.seq + 1;
		if (q.symbol != q.seq % SYMBOLS) { /* also bounds q.symbol */
			bad++;
			continue;
		}
		photon_histogram_record(lat,
					now > q.sent_ns ? now - q.sent_ns : 0);
		if (n == 0)
			first_ns = now;
		last_ns = now;
		n++;
		if (id == 0) {
			double mid = 0.5 * (q.bid + q.ask);

			mid_sum[q.symbol] += mid;
			last_mid[q.symbol] = mid;
			nsym[q.symbol]++;
		} else if (q.bid > q.ask) {
			crossed[q.symbol]++;
		}
	}
	abandoned = photon_channel_abandoned(ch);
	/* After a clean close, whatever did not come is missing too. */
	if (!abandoned && expect < quotes)
		gaps += quotes - expect;

	say(out, sizeof(out), &at,
	    "strategy %u (%s, pid %ld): %" PRIu64 " quotes, %" PRIu64
	    " missing, %" PRIu64 " out of order, %" PRIu64 " bad, %" PRIu64
	    " lagged\n",
	    id, role, (long)getpid(), n, gaps, reorders, bad,
	    photon_subscriber_lagged(sub));
	if (n > 1 && last_ns > first_ns)
		say(out, sizeof(out), &at,
		    "  throughput  %.0f quotes/s (first to last receive)\n",
		    (double)(n - 1) * 1e9 / (double)(last_ns - first_ns));
	if (n)
		say(out, sizeof(out), &at,
		    "  latency ns  p50 %" PRIu64 "  p99 %" PRIu64
		    "  p99.9 %" PRIu64 "  max %" PRIu64
		    "  (CLOCK_MONOTONIC, feed's stamp to after receive)\n",
		    percentile(lat, 50.0), percentile(lat, 99.0),
		    percentile(lat, 99.9), photon_histogram_max(lat));
	if (id == 0) {
		say(out, sizeof(out), &at, "  mean mid  ");
		for (i = 0; i < SYMBOLS; i += SYMBOLS / 4)
			say(out, sizeof(out), &at, " sym%-2u %.3f", i,
			    nsym[i] ? mid_sum[i] / (double)nsym[i] : 0.0);
		say(out, sizeof(out), &at, "\n  last mid  ");
		for (i = 0; i < SYMBOLS; i += SYMBOLS / 4)
			say(out, sizeof(out), &at, " sym%-2u %.3f", i,
			    last_mid[i]);
		say(out, sizeof(out), &at, "\n");
	} else {
		for (i = 0; i < SYMBOLS; i++)
			total_crossed += crossed[i];
		say(out, sizeof(out), &at,
		    "  crossed books %" PRIu64 " (expected %" PRIu64 "):",
		    total_crossed, n / CROSS_EVERY);
		for (i = 0; i < SYMBOLS; i++)
			if (crossed[i])
				say(out, sizeof(out), &at, " sym%u %" PRIu64, i,
				    crossed[i]);
		say(out, sizeof(out), &at, "\n");
		if (total_crossed != n / CROSS_EVERY)
			bad++;
	}

	ok = !abandoned && gaps == 0 && reorders == 0 && bad == 0 &&
	     n == quotes && photon_subscriber_lagged(sub) == 0;
	if (abandoned) {
		/* The feed is gone and will not remove the name: we do (the
		 * other strategy may have been first). */
		rc = photon_shm_unlink(name);
		say(out, sizeof(out), &at,
		    "  FAILED: the feed died without closing the channel "
		    "(abandoned) after %" PRIu64 " quotes; %s %s\n",
		    n, name, rc == PHOTON_OK ? "removed" : "already removed");
	} else if (!ok) {
		say(out, sizeof(out), &at, "  FAILED\n");
	}
	if (write(STDOUT_FILENO, out, at) < 0)
		return 2;

	photon_subscriber_close(sub);
	photon_channel_release(ch);
	photon_histogram_destroy(lat);
	return ok ? 0 : 1;
}

/* ---- feed ---- */

/* The CPUs this process may run on. */
static unsigned cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

/*
 * The command that starts this program again: /proc/self/exe, or, when
 * PHOTON_EXEC_WRAPPER is set (say "taskset -c 1", or qemu-user in a cross
 * build, where the kernel cannot run the binary itself), that command line
 * in front of it. Returns the number of words put in cmd.
 */
static size_t self_command(char **cmd, size_t n, char *buf, size_t bufn)
{
	const char *w = getenv("PHOTON_EXEC_WRAPPER");
	static char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t k = 0;
	char *tok, *save = NULL;

	self[len > 0 ? len : 0] = '\0';
	if (w && *w && strlen(w) < bufn) {
		strcpy(buf, w);
		for (tok = strtok_r(buf, " ", &save); tok && k + 1 < n;
		     tok = strtok_r(NULL, " ", &save))
			cmd[k++] = tok;
	}
	cmd[k++] = self;
	return k;
}

static pid_t start_strategy(const char *argv0, const char *name, unsigned id,
			    uint64_t quotes, enum wait_mode mode, int wfd)
{
	char ids[16], ns[32], wbuf[512];
	char *args[24];
	size_t k = self_command(args, 16, wbuf, sizeof(wbuf));
	pid_t pid;

	(void)argv0;
	snprintf(ids, sizeof(ids), "%u", id);
	snprintf(ns, sizeof(ns), "%" PRIu64, quotes);
	args[k++] = "strategy";
	args[k++] = (char *)name;
	args[k++] = ids;
	args[k++] = ns;
	args[k++] = (char *)wait_names[mode];
	args[k] = NULL;
	pid = fork();
	if (pid != 0)
		return pid;
	/* The child: only async-signal-safe calls until exec. The pipe's
	 * write end becomes READY_FD, without O_CLOEXEC; the rest of the
	 * feed's descriptors close at exec. */
	if (wfd == READY_FD ? fcntl(wfd, F_SETFD, 0) != 0
			    : dup2(wfd, READY_FD) != READY_FD)
		_exit(127);
	execvp(args[0], args);
	_exit(127);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: shm_feed [--quotes N] [--gap-ns G] "
		   "[--wait auto|spin|park]\n"
		   "  --quotes N   quotes to publish (1000000)\n"
		   "  --gap-ns G   pause between publishes, 0 for none (0)\n"
		   "  --wait MODE  idle strategies spin, or park on a futex; "
		   "auto: spin when\n"
		   "               every process has a CPU of its own\n");
}

int main(int argc, char **argv)
{
	struct photon_opts opts = { 0 };
	struct photon_channel *ch = NULL;
	struct photon_publisher *pub = NULL;
	enum wait_mode mode = WAIT_AUTO;
	uint64_t quotes = 1000000, gap_ns = 0, i = 0, t0 = 0, t1 = 0, next;
	pid_t pids[STRATEGIES];
	unsigned ncpu = cpu_count(), started, ready = 0;
	char name[64], buf[STRATEGIES];
	int fds[2], rc, ok = 1, j;
	struct quote q = { 0 };

	if (argc == 6 && !strcmp(argv[1], "strategy")) {
		uint64_t id;

		if (parse_u64(argv[3], &id) != 0 || id >= STRATEGIES ||
		    parse_u64(argv[4], &quotes) != 0 ||
		    parse_wait(argv[5], &mode) != 0 || mode == WAIT_AUTO) {
			fprintf(stderr, "shm_feed strategy: bad arguments\n");
			return 2;
		}
		return strategy_main(argv[2], (unsigned)id, quotes, mode);
	}
	for (j = 1; j < argc; j += 2) {
		const char *a = argv[j], *v = j + 1 < argc ? argv[j + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "--wait") && parse_wait(v, &mode) == 0)
			continue;
		if (!strcmp(a, "--quotes") && parse_u64(v, &quotes) == 0 &&
		    quotes > 0)
			continue;
		if (!strcmp(a, "--gap-ns") && parse_u64(v, &gap_ns) == 0 &&
		    gap_ns <= 1000000000u)
			continue;
		usage(stderr);
		return 2;
	}
	if (mode == WAIT_AUTO)
		mode = ncpu > STRATEGIES ? WAIT_SPIN : WAIT_PARK;

	snprintf(name, sizeof(name), "photon-shm-feed-%ld", (long)getpid());
	opts.capacity = 4096;
	opts.msg_size = sizeof(struct quote);
	opts.watermark = 64;
	opts.flags = PHOTON_BOUNDED;
	opts.max_consumers = 4;
	rc = photon_shm_create(&ch, name, &opts, 0600);
	if (rc != PHOTON_OK)
		die("shm_feed: photon_shm_create", rc);
	/*
	 * The publisher before the strategies: from now on a reader can tell
	 * a feed that dies (abandoned) from one that closes.
	 */
	rc = photon_publisher_open(ch, &pub);
	if (rc != PHOTON_OK) {
		photon_shm_unlink(name);
		die("shm_feed: photon_publisher_open", rc);
	}

	printf("shm_feed: libphotonring %s, %u CPUs\n", photon_version_string(),
	       ncpu);
	printf("segment:  %s, bounded ring of %zu x %zu-byte quotes "
	       "(watermark %zu, slot %" PRIu64 " bytes)\n",
	       name, photon_channel_capacity(ch), photon_channel_msg_size(ch),
	       photon_channel_watermark(ch),
	       (uint64_t)PHOTON_SLOT_STRIDE(sizeof(struct quote)));
	printf("settings: %" PRIu64 " quotes, gap %" PRIu64
	       " ns, %d strategies waiting by %s\n",
	       quotes, gap_ns, STRATEGIES, wait_names[mode]);
	if (!gap_ns)
		printf("note:     the feed is not paced: the ring fills, and "
		       "latency includes the\n          time a quote waits "
		       "in it (--gap-ns to pace)\n");
	if (ncpu <= STRATEGIES)
		printf("note:     %u CPUs for %d processes: latency includes "
		       "OS scheduling and\n          futex wake-ups\n",
		       ncpu, STRATEGIES + 1);
	fflush(stdout); /* before fork: nothing buffered twice */

	if (pipe2(fds, O_CLOEXEC) != 0) {
		perror("shm_feed: pipe2");
		photon_shm_unlink(name);
		return 2;
	}
	for (started = 0; started < STRATEGIES; started++) {
		pids[started] = start_strategy(argv[0], name, started, quotes,
					       mode, fds[1]);
		if (pids[started] < 0) {
			perror("shm_feed: fork");
			break;
		}
	}
	close(fds[1]);
	/* One byte from each strategy once it subscribed; end of file
	 * early means one died first. */
	while (ready < started) {
		ssize_t n = read(fds[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ready += (unsigned)n;
	}
	close(fds[0]);

	if (ready == STRATEGIES) {
		next = photon_monotonic_ns();
		for (i = 0; i < quotes; i++) {
			uint64_t t;

			while (gap_ns && photon_monotonic_ns() < next)
				;
			make_quote(&q, i);
			t = photon_monotonic_ns();
			q.sent_ns = t;
			if (quote_publish(pub, &q) != PHOTON_OK) {
				ok = 0;
				break;
			}
			if (i == 0)
				t0 = t;
			next = t + gap_ns;
		}
		t1 = photon_monotonic_ns();
	} else {
		fprintf(stderr, "shm_feed: %u of %d strategies ready\n", ready,
			STRATEGIES);
		ok = 0;
	}
	/* Closed: the strategies drain what is left, then read CLOSED. */
	photon_publisher_close(pub);

	for (j = 0; j < (int)started; j++) {
		pid_t r;
		int st = 0;

		while ((r = waitpid(pids[j], &st, 0)) < 0 && errno == EINTR)
			;
		if (r == pids[j] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		ok = 0;
		if (r != pids[j])
			perror("shm_feed: waitpid");
		else if (WIFSIGNALED(st))
			printf("feed:     strategy %d killed by signal %d\n", j,
			       WTERMSIG(st));
		else
			printf("feed:     strategy %d exited with %d\n", j,
			       WEXITSTATUS(st));
	}
	if (ready == STRATEGIES && t1 > t0)
		printf("feed:     %" PRIu64 " quotes published in %.3f s, "
		       "%.0f quotes/s; %" PRIu64 " dead consumers reclaimed\n",
		       i, (double)(t1 - t0) * 1e-9,
		       (double)i * 1e9 / (double)(t1 - t0),
		       photon_channel_reclaimed(ch));
	photon_channel_release(ch);
	rc = photon_shm_unlink(name);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "shm_feed: unlink %s: %s\n", name,
			photon_strerror(rc));
		ok = 0;
	}
	printf("%s\n", ok ? "ok: both strategies saw every quote once, in "
			    "order"
			  : "FAILED");
	return ok ? 0 : 1;
}
