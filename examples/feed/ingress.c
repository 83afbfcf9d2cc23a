/* SPDX-License-Identifier: MIT */
/*
 * The feed handler behind the receive loops (ingress.h): session, publisher,
 * the three consumers, the report. Uses only the public API
 * (<photon/photon.h>, linked against PhotonRing::photonring and
 * PhotonRing::metrics for the histograms).
 */
#include "ingress.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <photon/photon.h>

#include "feed.h"

/*
 * What travels through the ring: plain data, 56 bytes, so that with the
 * slot's 8-byte stamp a message is one cache line.
 */
struct feed_msg {
	uint64_t pub_seq;  /* 0, 1, 2 ... in publish order */
	uint64_t feed_seq; /* the message's feed sequence number */
	uint64_t rx_tsc;   /* when its frame was received */
	uint64_t id;	   /* order id or trade id */
	char symbol[8];
	uint32_t price; /* 1/10000 */
	uint32_t qty;
	uint32_t missing; /* > 0: first message after a gap of that many */
	uint8_t type;
	uint8_t side;
	uint8_t pad[2];
};

_Static_assert(sizeof(struct feed_msg) == 56, "a slot is one cache line");
_Static_assert(FEED_MAX_JUMP <= UINT32_MAX, "a gap fits feed_msg.missing");

PHOTON_DEFINE_TYPED(feedmsg, struct feed_msg);

#define NSYMS  64  /* symbols each consumer tracks; more are counted */
#define LEVELS 128 /* price levels per side of a book */

struct symtab {
	char sym[NSYMS][8];
	unsigned n;
};

/* The index of sym, added if new; -1 when the table is full. */
static int symtab_find(struct symtab *t, const char *sym)
{
	unsigned i;

	for (i = 0; i < t->n; i++)
		if (!memcmp(t->sym[i], sym, 8))
			return (int)i;
	if (t->n == NSYMS)
		return -1;
	memcpy(t->sym[t->n], sym, 8);
	return (int)t->n++;
}

struct level {
	uint32_t price;
	uint64_t qty;
};

struct side {
	struct level lv[LEVELS];
	unsigned n;
};

/* Per-symbol books by price level, from adds and cancels (trades here are
 * prints: they do not take liquidity from the book). */
struct book {
	struct symtab syms;
	struct side bid[NSYMS];
	struct side ask[NSYMS];
	uint64_t bid_qty; /* resting, over every book */
	uint64_t ask_qty;
	uint64_t rejects; /* cancels of what does not rest, full tables */
};

struct trades {
	struct symtab syms;
	uint64_t count[NSYMS];
	uint64_t volume[NSYMS];
	uint32_t last[NSYMS];
	double notional[NSYMS];
	uint64_t total;
	uint64_t total_volume;
	uint64_t untracked; /* symbols past the table */
	int print;
};

struct checker {
	uint64_t next_pub;  /* channel sequence expected next */
	uint64_t last_feed; /* feed sequence of the last message */
	uint64_t messages;
	uint64_t adds, trades, cancels;
	uint64_t gaps, missing;
	uint64_t pub_errors; /* channel sequence out of order */
	uint64_t seq_errors; /* feed sequence not last + 1 + missing */
};

struct consumer {
	const char *name;
	pthread_t thread;
	int started;
	int failed; /* a receive returned neither OK nor CLOSED */
	struct feed_ingress *fi;
	struct photon_subscriber *sub;
	struct photon_histogram *lat; /* ticks, rx -> delivery */
	uint64_t received;
	uint64_t lagged; /* the library's count, taken at the end */
	void (*on)(struct feed_ingress *fi, const struct feed_msg *m);
};

enum { C_BOOK, C_TRADES, C_CHECKER, NCONS };

struct feed_ingress {
	struct feed_ingress_opts o;
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_wait wait;
	double ticks_per_ns;
	uint64_t rx_tsc; /* of the frame being published */
	uint64_t published;
	uint64_t stalls;     /* messages that found the ring full */
	uint64_t full_polls; /* try_publish calls that returned FULL */
	uint64_t publish_errors;
	struct consumer cons[NCONS];
	/* Each written by its consumer's thread only, read after join. */
	struct book book;
	struct trades trades;
	struct checker checker;
	/* The receive thread's. */
	struct feed_session session;
};

/* ---- the consumers ---- */

static struct level *level_find(struct side *s, uint32_t price)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->lv[i].price == price)
			return &s->lv[i];
	return NULL;
}

static void book_on(struct feed_ingress *fi, const struct feed_msg *m)
{
	struct book *b = &fi->book;
	struct side *s;
	struct level *l;
	uint64_t *total;
	int k;

	if (m->type == FEED_TRADE)
		return;
	k = symtab_find(&b->syms, m->symbol);
	if (k < 0) {
		b->rejects++;
		return;
	}
	s = m->side == 'B' ? &b->bid[k] : &b->ask[k];
	total = m->side == 'B' ? &b->bid_qty : &b->ask_qty;
	l = level_find(s, m->price);
	if (m->type == FEED_ADD) {
		if (!l) {
			if (s->n == LEVELS) {
				b->rejects++;
				return;
			}
			l = &s->lv[s->n++];
			l->price = m->price;
			l->qty = 0;
		}
		l->qty += m->qty;
		*total += m->qty;
		return;
	}
	if (!l || l->qty < m->qty) { /* a cancel of what is not there */
		b->rejects++;
		return;
	}
	l->qty -= m->qty;
	*total -= m->qty;
	if (l->qty == 0)
		*l = s->lv[--s->n];
}

static void trades_on(struct feed_ingress *fi, const struct feed_msg *m)
{
	struct trades *t = &fi->trades;
	int k;

	if (m->type != FEED_TRADE)
		return;
	t->total++;
	t->total_volume += m->qty;
	if (t->print)
		printf("trade %" PRIu64 " %.8s %c %" PRIu32 " @ %" PRIu32
		       ".%04" PRIu32 "\n",
		       m->id, m->symbol, m->side, m->qty, m->price / 10000,
		       m->price % 10000);
	k = symtab_find(&t->syms, m->symbol);
	if (k < 0) {
		t->untracked++;
		return;
	}
	t->count[k]++;
	t->volume[k] += m->qty;
	t->notional[k] += (double)m->price * (double)m->qty;
	t->last[k] = m->price;
}

static void checker_on(struct feed_ingress *fi, const struct feed_msg *m)
{
	struct checker *c = &fi->checker;

	if (m->pub_seq != c->next_pub)
		c->pub_errors++;
	c->next_pub = m->pub_seq + 1;
	/* The feed starts at 1; a gap is flagged on the message after it. */
	if (m->feed_seq != c->last_feed + 1 + m->missing)
		c->seq_errors++;
	if (m->missing) {
		c->gaps++;
		c->missing += m->missing;
	}
	c->last_feed = m->feed_seq;
	c->messages++;
	switch (m->type) {
	case FEED_ADD:
		c->adds++;
		break;
	case FEED_TRADE:
		c->trades++;
		break;
	default:
		c->cancels++;
		break;
	}
}

static void *consumer_main(void *arg)
{
	struct consumer *c = arg;
	struct feed_msg m;

	for (;;) {
		int rc = feedmsg_recv_with(c->sub, &m, &c->fi->wait);
		uint64_t t;

		if (rc == PHOTON_CLOSED)
			break;
		if (rc != PHOTON_OK) {
			c->failed = rc;
			break;
		}
		t = photon_tsc_now();
		photon_histogram_record(c->lat,
					t > m.rx_tsc ? t - m.rx_tsc : 0);
		c->received++;
		c->on(c->fi, &m);
	}
	c->lagged = photon_subscriber_lagged(c->sub);
	/* A consumer that gave up must not hold the publisher back. */
	if (c->failed) {
		photon_subscriber_close(c->sub);
		c->sub = NULL;
	}
	return NULL;
}

/* ---- the publisher (the receive thread) ---- */

/*
 * The bounded channel refuses a message while the slowest consumer is a
 * ring behind: wait for room. With a core per thread a short spin is
 * enough; with fewer cores the consumer being waited for may not be
 * running at all, so after the spin give the core back.
 */
static void publish(struct feed_ingress *fi, const struct feed_msg *m)
{
	uint32_t step = 0;
	int rc = feedmsg_try_publish(fi->pub, m);

	if (rc == PHOTON_FULL)
		fi->stalls++;
	while (rc == PHOTON_FULL) {
		fi->full_polls++;
		if (step < 512) {
			photon_wait_pause(NULL, step++);
		} else {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
		}
		rc = feedmsg_try_publish(fi->pub, m);
	}
	if (rc == PHOTON_OK)
		fi->published++;
	else
		fi->publish_errors++;
}

static void deliver(void *ctx, const struct feed_event *ev)
{
	struct feed_ingress *fi = ctx;
	const struct feed_wire_msg *w = ev->msg;
	struct feed_msg m;

	memset(&m, 0, sizeof(m));
	m.pub_seq = fi->published;
	m.feed_seq = ev->seq;
	m.rx_tsc = fi->rx_tsc;
	m.id = w->id;
	memcpy(m.symbol, w->symbol, sizeof(m.symbol));
	m.price = w->price;
	m.qty = w->qty;
	m.missing = (uint32_t)ev->missing; /* <= FEED_MAX_JUMP */
	m.type = w->type;
	m.side = w->side;
	publish(fi, &m);
}

void feed_ingress_frame(struct feed_ingress *fi, const uint8_t *frame,
			size_t len, uint64_t rx_tsc)
{
	fi->rx_tsc = rx_tsc;
	feed_ingest(&fi->session, frame, len, deliver, fi);
}

int feed_ingress_complete(const struct feed_ingress *fi)
{
	return fi->o.expect.set[FEED_K_PACKETS] &&
	       fi->session.stats.packets >= fi->o.expect.v[FEED_K_PACKETS];
}

uint64_t feed_ingress_packets(const struct feed_ingress *fi)
{
	return fi->session.stats.packets;
}

/* ---- options ---- */

void feed_ingress_defaults(struct feed_ingress_opts *o, uint64_t idle_ms)
{
	memset(o, 0, sizeof(*o));
	o->port = FEED_PORT_DEFAULT;
	o->capacity = 4096;
	o->wait = FEED_WAIT_AUTO;
	o->idle_ms = idle_ms;
}

void feed_ingress_usage(FILE *f)
{
	fprintf(f,
		"feed options:\n"
		"  --port P          UDP destination port of the feed (%d)\n"
		"  --capacity C      slots of the bounded ring (4096)\n"
		"  --wait MODE       idle consumers: spin, park (sleep on a "
		"futex), or\n"
		"                    auto (spin when every thread has a CPU)\n"
		"  --idle-ms MS      stop after MS ms without a frame\n"
		"  --print-trades    print every trade\n"
		"  --quiet           no per-symbol tables\n"
		"  --expect-file F   expected counts, one \"NAME N\" a line "
		"(gen_pcap writes it)\n"
		"  --expect-NAME N   an expected count: packets messages adds "
		"trades cancels\n"
		"                    gaps missing dups dup-messages bad "
		"bad-REASON bad-min\n"
		"                    trade-volume bid-qty ask-qty book-rejects "
		"(the run stops\n"
		"                    once `packets` frames arrived; exit 1 "
		"on any mismatch)\n",
		FEED_PORT_DEFAULT);
}

static int bad_value(const char *opt, const char *v)
{
	fprintf(stderr, "%s: bad value \"%s\"\n", opt, v ? v : "");
	return -1;
}

int feed_ingress_option(struct feed_ingress_opts *o, int argc, char **argv,
			int *i)
{
	const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	uint64_t x = 0;
	int key;

	if (!strcmp(a, "--print-trades")) {
		o->print_trades = 1;
		return 1;
	}
	if (!strcmp(a, "--quiet")) {
		o->quiet = 1;
		return 1;
	}
	if (strcmp(a, "--port") && strcmp(a, "--capacity") &&
	    strcmp(a, "--wait") && strcmp(a, "--idle-ms") &&
	    strcmp(a, "--expect-file") && strncmp(a, "--expect-", 9))
		return 0;
	++*i;
	if (!strcmp(a, "--wait")) {
		if (v && !strcmp(v, "auto"))
			o->wait = FEED_WAIT_AUTO;
		else if (v && !strcmp(v, "spin"))
			o->wait = FEED_WAIT_SPIN;
		else if (v && !strcmp(v, "park"))
			o->wait = FEED_WAIT_PARK;
		else
			return bad_value(a, v);
		return 1;
	}
	if (!strcmp(a, "--expect-file")) {
		char err[128];
		FILE *f = v ? fopen(v, "r") : NULL;
		int rc;

		if (!f) {
			fprintf(stderr, "--expect-file %s: %s\n", v ? v : "",
				strerror(errno));
			return -1;
		}
		rc = feed_expect_read(f, &o->expect, err, sizeof(err));
		fclose(f);
		if (rc != 0) {
			fprintf(stderr, "--expect-file %s: %s\n", v, err);
			return -1;
		}
		return 1;
	}
	if (feed_parse_u64(v, UINT64_MAX, &x) != 0)
		return bad_value(a, v);
	if (!strcmp(a, "--port") && x <= 65535) {
		o->port = (uint16_t)x;
	} else if (!strcmp(a, "--capacity") && x >= 2) {
		o->capacity = (size_t)x;
	} else if (!strcmp(a, "--idle-ms")) {
		o->idle_ms = x;
	} else if ((key = feed_key_find(a + 9)) >= 0) {
		feed_expect_set(&o->expect, (unsigned)key, x);
	} else {
		fprintf(stderr, "%s: unknown option\n", a);
		return -1;
	}
	return 1;
}

/* ---- start and finish ---- */

static unsigned count_cpus(const cpu_set_t *cpus)
{
	cpu_set_t set;

	if (cpus)
		return (unsigned)CPU_COUNT(cpus);
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "feed: %s: %s (%s)\n", what, photon_strerror(rc),
		photon_last_error_message());
	return -1;
}

int feed_ingress_start(struct feed_ingress **out,
		       const struct feed_ingress_opts *o, const cpu_set_t *cpus)
{
	static const char *const names[NCONS] = { "book", "trades", "checker" };
	void (*const on[NCONS])(struct feed_ingress *,
				const struct feed_msg *) = { book_on, trades_on,
							     checker_on };
	struct feed_ingress *fi = calloc(1, sizeof(*fi));
	pthread_attr_t attr;
	unsigned i, ncpus = count_cpus(cpus);
	int rc, park;

	*out = NULL;
	if (!fi) {
		fprintf(stderr, "feed: out of memory\n");
		return -1;
	}
	fi->o = *o;
	feed_session_init(&fi->session, o->port);
	fi->trades.print = o->print_trades;
	/* The receive thread and three consumers: spin only with a CPU each. */
	park = o->wait == FEED_WAIT_PARK ||
	       (o->wait == FEED_WAIT_AUTO && ncpus < NCONS + 1);
	fi->wait.kind = park ? PHOTON_WAIT_PARK : PHOTON_WAIT_ADAPTIVE;
	fi->ticks_per_ns = 1.0;
	if (photon_tsc_calibrate(&fi->ticks_per_ns, 50000000) != PHOTON_OK)
		fi->ticks_per_ns = 1.0;

	rc = feedmsg_channel_create_bounded(&fi->ch, o->capacity, 0);
	if (rc != PHOTON_OK) {
		free(fi);
		return fail("bounded channel", rc);
	}
	/* Consumers first: a bounded channel gates only those registered. */
	for (i = 0; i < NCONS; i++) {
		struct consumer *c = &fi->cons[i];

		c->name = names[i];
		c->fi = fi;
		c->on = on[i];
		rc = photon_subscribe(fi->ch, &c->sub);
		if (rc == PHOTON_OK)
			rc = photon_histogram_create(&c->lat, 0);
		if (rc != PHOTON_OK) {
			fail("subscriber", rc);
			goto undo;
		}
	}
	rc = photon_publisher_open(fi->ch, &fi->pub);
	if (rc != PHOTON_OK) {
		fail("publisher", rc);
		goto undo;
	}
	pthread_attr_init(&attr);
	if (cpus)
		pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	for (i = 0; i < NCONS; i++) {
		rc = pthread_create(&fi->cons[i].thread, &attr, consumer_main,
				    &fi->cons[i]);
		if (rc != 0) {
			fprintf(stderr, "feed: pthread_create: %s\n",
				strerror(rc));
			pthread_attr_destroy(&attr);
			goto undo;
		}
		fi->cons[i].started = 1;
	}
	pthread_attr_destroy(&attr);
	printf("feed:      UDP port %u; bounded ring of %zu slots, %zu-byte "
	       "messages; 3 consumers on %u CPU%s (%s)\n",
	       o->port, o->capacity, sizeof(struct feed_msg), ncpus,
	       ncpus == 1 ? "" : "s", park ? "park when idle" : "spin");
	*out = fi;
	return 0;

undo:
	/* Threads start once the publisher is open: closing it ends them. */
	photon_publisher_close(fi->pub);
	for (i = 0; i < NCONS; i++) {
		if (fi->cons[i].started)
			pthread_join(fi->cons[i].thread, NULL);
		photon_subscriber_close(fi->cons[i].sub);
		photon_histogram_destroy(fi->cons[i].lat);
	}
	photon_channel_release(fi->ch);
	free(fi);
	return -1;
}

static double ns(const struct feed_ingress *fi, uint64_t ticks)
{
	return (double)ticks / fi->ticks_per_ns;
}

static void print_price(uint32_t p)
{
	printf("%6" PRIu32 ".%04" PRIu32, p / 10000, p % 10000);
}

/* Best level of a side: the highest bid or the lowest ask. */
static const struct level *best(const struct side *s, int bid)
{
	const struct level *b = NULL;
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (!b || (bid ? s->lv[i].price > b->price
			       : s->lv[i].price < b->price))
			b = &s->lv[i];
	return b;
}

static void report_book(const struct feed_ingress *fi)
{
	const struct book *b = &fi->book;
	unsigned k;

	printf("book:      %u symbols, resting bid qty %" PRIu64
	       ", ask qty %" PRIu64 ", %" PRIu64 " rejected\n",
	       b->syms.n, b->bid_qty, b->ask_qty, b->rejects);
	if (fi->o.quiet)
		return;
	for (k = 0; k < b->syms.n; k++) {
		const struct level *bid = best(&b->bid[k], 1);
		const struct level *ask = best(&b->ask[k], 0);

		printf("  %.8s  ", b->syms.sym[k]);
		if (bid) {
			printf("%6" PRIu64 " x ", bid->qty);
			print_price(bid->price);
		} else {
			printf("%6s   %11s", "", "-");
		}
		printf("  |  ");
		if (ask) {
			print_price(ask->price);
			printf(" x %-6" PRIu64, ask->qty);
		} else {
			printf("%11s", "-");
		}
		printf("  (%u/%u levels)\n", b->bid[k].n, b->ask[k].n);
	}
}

static void report_trades(const struct feed_ingress *fi)
{
	const struct trades *t = &fi->trades;
	unsigned k;

	printf("trades:    %" PRIu64 " trades, volume %" PRIu64 "%s\n",
	       t->total, t->total_volume,
	       t->untracked ? " (some symbols past the table)" : "");
	if (fi->o.quiet)
		return;
	for (k = 0; k < t->syms.n; k++) {
		printf("  %.8s  %6" PRIu64 " trades, volume %8" PRIu64
		       ", VWAP %10.4f, last ",
		       t->syms.sym[k], t->count[k], t->volume[k],
		       t->volume[k]
			   ? t->notional[k] / (double)t->volume[k] / 10000.0
			   : 0.0);
		print_price(t->last[k]);
		printf("\n");
	}
}

/* One check: prints a failure and returns 0 when a != b. */
static int same(const char *what, uint64_t a, uint64_t b)
{
	if (a == b)
		return 1;
	printf("  MISMATCH  %s: %" PRIu64 " != %" PRIu64 "\n", what, a, b);
	return 0;
}

static int check_expectations(const struct feed_ingress *fi)
{
	const struct feed_stats *st = &fi->session.stats;
	const struct feed_expect *e = &fi->o.expect;
	uint64_t actual[FEED_K_COUNT] = { 0 };
	char name[64];
	unsigned k, n = 0, bad = 0;

	actual[FEED_K_PACKETS] = st->packets;
	actual[FEED_K_MESSAGES] = st->messages;
	actual[FEED_K_ADDS] = st->adds;
	actual[FEED_K_TRADES] = st->trades;
	actual[FEED_K_CANCELS] = st->cancels;
	actual[FEED_K_GAPS] = st->gaps;
	actual[FEED_K_MISSING] = st->missing;
	actual[FEED_K_DUPS] = st->dups;
	actual[FEED_K_DUP_MESSAGES] = st->dup_messages;
	actual[FEED_K_BAD] = st->bad;
	actual[FEED_K_BAD_MIN] = st->bad;
	actual[FEED_K_TRADE_VOLUME] = fi->trades.total_volume;
	actual[FEED_K_BID_QTY] = fi->book.bid_qty;
	actual[FEED_K_ASK_QTY] = fi->book.ask_qty;
	actual[FEED_K_BOOK_REJECTS] = fi->book.rejects;
	for (k = 1; k < FEED_BAD_COUNT; k++)
		actual[FEED_K_BAD_REASON + k] = st->bad_by[k];

	for (k = 0; k < FEED_K_COUNT; k++) {
		int ok;

		if (!e->set[k])
			continue;
		n++;
		ok = k == FEED_K_BAD_MIN ? actual[k] >= e->v[k]
					 : actual[k] == e->v[k];
		if (!ok) {
			printf("  MISMATCH  expected %s %s%" PRIu64
			       ", got %" PRIu64 "\n",
			       feed_key_name(k, name, sizeof(name)),
			       k == FEED_K_BAD_MIN ? ">= " : "", e->v[k],
			       actual[k]);
			bad++;
		}
	}
	if (n)
		printf("expect:    %u of %u expected counts match\n", n - bad,
		       n);
	else
		printf("expect:    none given (--expect-NAME, "
		       "--expect-file)\n");
	return bad == 0;
}

int feed_ingress_finish(struct feed_ingress *fi, const char *title)
{
	const struct feed_stats *st = &fi->session.stats;
	const struct checker *c = &fi->checker;
	unsigned i, k;
	int ok = 1;

	/* Consumers drain what was published, then read PHOTON_CLOSED. */
	photon_publisher_close(fi->pub);
	fi->pub = NULL;
	for (i = 0; i < NCONS; i++)
		pthread_join(fi->cons[i].thread, NULL);

	printf("\n== %s\n", title);
	printf("frames:    %" PRIu64 " (%" PRIu64 " bytes): %" PRIu64
	       " delivered, %" PRIu64 " duplicate, %" PRIu64 " bad\n",
	       st->packets, st->bytes, st->delivered, st->dups, st->bad);
	printf("messages:  %" PRIu64 " published (%" PRIu64 " adds, %" PRIu64
	       " trades, %" PRIu64 " cancels); %" PRIu64 " old ones skipped\n",
	       fi->published, st->adds, st->trades, st->cancels,
	       st->dup_messages);
	printf("gaps:      %" PRIu64 " (%" PRIu64 " messages missing)\n",
	       st->gaps, st->missing);
	if (st->bad) {
		printf("bad:      ");
		for (k = 1; k < FEED_BAD_COUNT; k++)
			if (st->bad_by[k])
				printf(" %s %" PRIu64,
				       feed_bad_name((enum feed_bad)k),
				       st->bad_by[k]);
		printf("\n");
	}
	printf("ring:      %" PRIu64 " messages found it full (%" PRIu64
	       " polls)\n",
	       fi->stalls, fi->full_polls);
	printf("latency:   receive (TSC at rx) -> delivery to the consumer, "
	       "ns\n");
	printf("  %-8s %10s %9s %9s %9s %9s\n", "consumer", "received", "p50",
	       "p99", "p99.9", "max");
	for (i = 0; i < NCONS; i++) {
		struct consumer *cn = &fi->cons[i];
		uint64_t p50 = 0, p99 = 0, p999 = 0;

		photon_histogram_percentile(cn->lat, 50.0, &p50);
		photon_histogram_percentile(cn->lat, 99.0, &p99);
		photon_histogram_percentile(cn->lat, 99.9, &p999);
		printf("  %-8s %10" PRIu64 " %9.0f %9.0f %9.0f %9.0f\n",
		       cn->name, cn->received, ns(fi, p50), ns(fi, p99),
		       ns(fi, p999), ns(fi, photon_histogram_max(cn->lat)));
	}
	report_book(fi);
	report_trades(fi);
	printf("checker:   %" PRIu64 " messages; channel sequence %s; feed "
	       "sequence %s (%" PRIu64 " gaps, %" PRIu64 " missing)\n",
	       c->messages, c->pub_errors ? "OUT OF ORDER" : "in order",
	       c->seq_errors ? "BROKEN" : "in order", c->gaps, c->missing);

	/* What must hold whatever the input. */
	for (i = 0; i < NCONS; i++) {
		struct consumer *cn = &fi->cons[i];
		char what[64];

		if (cn->failed) {
			printf("  MISMATCH  %s: receive failed: %s\n", cn->name,
			       photon_strerror(cn->failed));
			ok = 0;
		}
		snprintf(what, sizeof(what), "%s received vs published",
			 cn->name);
		ok &= same(what, cn->received, fi->published);
		snprintf(what, sizeof(what), "%s lagged (bounded: none)",
			 cn->name);
		ok &= same(what, cn->lagged, 0);
	}
	ok &= same("publish errors", fi->publish_errors, 0);
	ok &=
	    same("published vs session messages", fi->published, st->messages);
	ok &= same("frames vs delivered + duplicate + bad", st->packets,
		   st->delivered + st->dups + st->bad);
	ok &= same("checker: channel order errors", c->pub_errors, 0);
	ok &= same("checker: feed sequence errors", c->seq_errors, 0);
	ok &= same("checker vs session: messages", c->messages, st->messages);
	ok &= same("checker vs session: gaps", c->gaps, st->gaps);
	ok &= same("checker vs session: missing", c->missing, st->missing);
	ok &= same("checker vs session: adds", c->adds, st->adds);
	ok &= same("checker vs session: trades", c->trades, st->trades);
	ok &= same("checker vs session: cancels", c->cancels, st->cancels);
	ok &= same("trade printer vs session: trades", fi->trades.total,
		   st->trades);
	ok &= check_expectations(fi);
	printf("result:    %s\n", ok ? "ok" : "FAILED (see MISMATCH above)");

	for (i = 0; i < NCONS; i++) {
		photon_subscriber_close(fi->cons[i].sub);
		photon_histogram_destroy(fi->cons[i].lat);
	}
	photon_channel_release(fi->ch);
	free(fi);
	return ok ? 0 : 1;
}
