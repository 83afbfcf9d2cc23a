/* SPDX-License-Identifier: MIT */
/*
 * The feed generator (gen.h). The content comes from a model of the
 * resting orders, so that every cancel names an order that rests in the
 * book of a receiver that saw every packet before it: the books stay
 * consistent and the expected resting quantities are exact. A dropped
 * packet's adds never enter the model and its cancels are undone.
 */
#include "gen.h"

#include <stdlib.h>
#include <string.h>

#define NSYMS	    8
#define MAX_PER_PKT 8
#define FRAME_MAX   2048
#define HDRS	    (FEED_ETH_LEN + FEED_IP_LEN + FEED_UDP_LEN)
#define TICK	    100 /* 0.01 in price units of 1/10000 */

static const char symbols[NSYMS][9] = { "AAPL    ", "MSFT    ", "GOOG    ",
					"AMZN    ", "NVDA    ", "META    ",
					"TSLA    ", "INTC    " };

struct order {
	uint64_t id;
	uint32_t price;
	uint32_t qty;
	uint8_t sym;
	uint8_t side;
};

/* One sequenced packet as built, and what it adds to the expectations. */
struct packet {
	uint8_t frame[FRAME_MAX];
	size_t len;
	size_t msg_off[MAX_PER_PKT]; /* offsets of the length fields */
	unsigned count;
	struct order adds[MAX_PER_PKT];
	unsigned nadds;
	struct order cancels[MAX_PER_PKT];
	unsigned ncancels;
	unsigned trades;
	uint64_t volume;
};

struct gen {
	const struct feed_gen_opts *o;
	feed_emit_fn emit;
	void *ctx;
	struct feed_expect *exp;
	uint64_t rng;
	uint64_t frames;
	uint64_t next_seq;
	uint64_t next_order;
	uint64_t next_trade;
	uint16_t ip_id;
	struct order *live;
	size_t nlive;
	size_t cap;
	uint64_t bid_qty;
	uint64_t ask_qty;
	struct packet pkt;
	uint8_t copy[FRAME_MAX];
};

/* xorshift64*: small, fast, and the same everywhere. */
static uint64_t rnd(struct gen *g)
{
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * 0x2545f4914f6cdd1dull;
}

static uint32_t below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static void fix_ip_checksum(uint8_t *frame)
{
	uint8_t *ip = frame + FEED_ETH_LEN;

	feed_put16(ip + 10, 0);
	feed_put16(ip + 10, feed_ip_checksum(ip, FEED_IP_LEN));
}

/* Ethernet (to the multicast MAC of 239.1.2.3), IPv4, UDP around a payload
 * of plen bytes already at frame + HDRS. */
static void put_headers(struct gen *g, uint8_t *f, size_t plen)
{
	static const uint8_t macs[12] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03,
					  0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	uint8_t *ip = f + FEED_ETH_LEN, *udp = ip + FEED_IP_LEN;

	memcpy(f, macs, sizeof(macs));
	feed_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	feed_put16(ip + 2, (uint16_t)(FEED_IP_LEN + FEED_UDP_LEN + plen));
	feed_put16(ip + 4, g->ip_id++);
	feed_put16(ip + 6, 0x4000); /* DF, no fragment */
	ip[8] = 64;
	ip[9] = 17;
	feed_put32(ip + 12, 0x0a000001u); /* 10.0.0.1 */
	feed_put32(ip + 16, 0xef010203u); /* 239.1.2.3 */
	fix_ip_checksum(f);
	feed_put16(udp, 40000);
	feed_put16(udp + 2, g->o->port);
	feed_put16(udp + 4, (uint16_t)(FEED_UDP_LEN + plen));
	feed_put16(udp + 6, 0); /* no checksum */
}

static size_t put_msg(uint8_t *p, uint8_t type, const struct order *o,
		      uint64_t maker)
{
	size_t len = feed_msg_len(type);

	feed_put16(p, (uint16_t)len);
	p[2] = type;
	p[3] = o->side;
	feed_put64(p + 4, o->id);
	memcpy(p + 12, symbols[o->sym], 8);
	feed_put32(p + 20, o->price);
	feed_put32(p + 24, o->qty);
	if (type == FEED_TRADE)
		feed_put64(p + 28, maker);
	return 2 + len;
}

static uint32_t base_price(unsigned sym)
{
	return (50 + 25 * sym) * 10000u;
}

/* Builds the next sequenced packet into g->pkt, taking its cancels out of
 * the model (commit() or uncommit() settles them). */
static void build(struct gen *g)
{
	struct packet *pk = &g->pkt;
	uint8_t *pay = pk->frame + HDRS;
	size_t off = FEED_HDR_LEN;
	unsigned i;

	pk->count = 1 + below(g, MAX_PER_PKT);
	pk->nadds = pk->ncancels = pk->trades = 0;
	pk->volume = 0;
	pay[0] = FEED_VERSION;
	pay[1] = 0;
	feed_put16(pay + 2, (uint16_t)pk->count);
	feed_put32(pay + 4, 7);
	feed_put64(pay + 8, g->next_seq);
	g->next_seq += pk->count;

	for (i = 0; i < pk->count; i++) {
		unsigned r = below(g, 100);
		struct order o;

		pk->msg_off[i] = HDRS + off;
		if (r >= 75 && g->nlive > 0) { /* cancel a resting order */
			size_t k = below(g, (uint32_t)g->nlive);

			o = g->live[k];
			g->live[k] = g->live[--g->nlive];
			pk->cancels[pk->ncancels++] = o;
			off += put_msg(pay + off, FEED_CANCEL, &o, 0);
		} else if (r >= 45 && r < 75) { /* a trade print */
			o.sym = (uint8_t)below(g, NSYMS);
			o.side = below(g, 2) ? 'B' : 'S';
			o.id = ++g->next_trade;
			o.price =
			    base_price(o.sym) - 2 * TICK + below(g, 5) * TICK;
			o.qty = 100 * (1 + below(g, 5));
			off += put_msg(pay + off, FEED_TRADE, &o,
				       g->nlive ? g->live[0].id : 0);
			pk->trades++;
			pk->volume += o.qty;
		} else { /* an add: bids below the base, asks above */
			uint32_t ticks = (1 + below(g, 20)) * TICK;

			o.sym = (uint8_t)below(g, NSYMS);
			o.side = below(g, 2) ? 'B' : 'S';
			o.id = ++g->next_order;
			o.price = o.side == 'B' ? base_price(o.sym) - ticks
						: base_price(o.sym) + ticks;
			o.qty = 100 * (1 + below(g, 10));
			pk->adds[pk->nadds++] = o;
			off += put_msg(pay + off, FEED_ADD, &o, 0);
		}
	}
	put_headers(g, pk->frame, off);
	pk->len = HDRS + off;
}

static int grow(struct gen *g, size_t n)
{
	struct order *p;
	size_t cap = g->cap ? g->cap : 1024;

	if (g->nlive + n <= g->cap)
		return 0;
	while (cap < g->nlive + n)
		cap *= 2;
	p = realloc(g->live, cap * sizeof(*p));
	if (!p)
		return -1;
	g->live = p;
	g->cap = cap;
	return 0;
}

/* The packet reached the receiver: its adds rest, its counts count. */
static int commit(struct gen *g)
{
	struct packet *pk = &g->pkt;
	struct feed_expect *e = g->exp;
	unsigned i;

	if (grow(g, pk->nadds) != 0)
		return -1;
	for (i = 0; i < pk->nadds; i++) {
		g->live[g->nlive++] = pk->adds[i];
		*(pk->adds[i].side == 'B' ? &g->bid_qty : &g->ask_qty) +=
		    pk->adds[i].qty;
	}
	for (i = 0; i < pk->ncancels; i++)
		*(pk->cancels[i].side == 'B' ? &g->bid_qty : &g->ask_qty) -=
		    pk->cancels[i].qty;
	e->v[FEED_K_MESSAGES] += pk->count;
	e->v[FEED_K_ADDS] += pk->nadds;
	e->v[FEED_K_CANCELS] += pk->ncancels;
	e->v[FEED_K_TRADES] += pk->trades;
	e->v[FEED_K_TRADE_VOLUME] += pk->volume;
	return 0;
}

/* The packet was lost: its cancelled orders rest again. */
static int uncommit(struct gen *g)
{
	struct packet *pk = &g->pkt;
	unsigned i;

	if (grow(g, pk->ncancels) != 0)
		return -1;
	for (i = 0; i < pk->ncancels; i++)
		g->live[g->nlive++] = pk->cancels[i];
	g->exp->v[FEED_K_GAPS]++;
	g->exp->v[FEED_K_MISSING] += pk->count;
	return 0;
}

static int emit(struct gen *g, const uint8_t *frame, size_t len)
{
	uint64_t ts = 1700000000000000ull + g->frames * 10;

	g->frames++;
	return g->emit(g->ctx, frame, len, ts);
}

/* A copy of the current packet made bad for `reason`, in g->copy. */
static size_t corrupt(struct gen *g, enum feed_bad reason)
{
	uint8_t *f = g->copy, *ip = f + FEED_ETH_LEN, *udp = ip + FEED_IP_LEN;
	uint8_t *pay = udp + FEED_UDP_LEN, *msg = f + g->pkt.msg_off[0];
	size_t len = g->pkt.len;

	memcpy(f, g->pkt.frame, len);
	switch (reason) {
	case FEED_BAD_TRUNCATED: /* cut inside the feed payload */
		return HDRS + below(g, (uint32_t)(len - HDRS));
	case FEED_BAD_NOT_IPV4:
		feed_put16(f + 12, 0x86dd);
		break;
	case FEED_BAD_IP_HEADER: /* TTL changed, checksum left as it was */
		ip[8]++;
		break;
	case FEED_BAD_NOT_UDP:
		ip[9] = 6;
		fix_ip_checksum(f);
		break;
	case FEED_BAD_WRONG_PORT:
		feed_put16(udp + 2, (uint16_t)(g->o->port + 1));
		break;
	case FEED_BAD_UDP_LENGTH:
		feed_put16(udp + 4,
			   (uint16_t)(len - FEED_ETH_LEN - FEED_IP_LEN + 1));
		break;
	case FEED_BAD_HEADER:
		pay[0] = FEED_VERSION + 1;
		break;
	case FEED_BAD_MSG_LENGTH:
		feed_put16(msg, (uint16_t)(feed_get16(msg) + 1));
		break;
	case FEED_BAD_UNKNOWN_TYPE:
		msg[2] = 'Z';
		break;
	case FEED_BAD_VALUE:
		msg[3] = 'Q';
		break;
	case FEED_BAD_SEQ_JUMP:
		feed_put64(pay + 8, feed_get64(pay + 8) + FEED_MAX_JUMP + 1000);
		break;
	default:
		break;
	}
	return len;
}

/* A random corruption of the current packet in g->copy; *sure is set when
 * the frame is bad whatever the rest of it holds. */
static size_t mutate(struct gen *g, int *sure)
{
	uint8_t *f = g->copy;
	size_t len = g->pkt.len, off;
	unsigned i, n;
	uint16_t v;

	memcpy(f, g->pkt.frame, len);
	*sure = 0;
	switch (below(g, 6)) {
	case 0: /* byte flips anywhere */
		for (i = 0, n = 1 + below(g, 4); i < n; i++)
			f[below(g, (uint32_t)len)] ^=
			    (uint8_t)(1 + below(g, 255));
		break;
	case 1: /* a cut: the IP length then claims more than is there */
		*sure = 1;
		return 1 + below(g, (uint32_t)(len - 1));
	case 2: /* a message length field changed */
		off = g->pkt.msg_off[below(g, g->pkt.count)];
		do
			v = (uint16_t)rnd(g);
		while (v == feed_get16(f + off));
		feed_put16(f + off, v);
		*sure = 1;
		break;
	case 3: /* a message type byte that is no type */
		off = g->pkt.msg_off[below(g, g->pkt.count)] + 2;
		do
			f[off] = (uint8_t)rnd(g);
		while (feed_msg_len(f[off]) != 0);
		*sure = 1;
		break;
	case 4: /* a random 16- or 64-bit value in the payload */
		if (below(g, 2)) {
			off = HDRS + below(g, (uint32_t)(len - HDRS - 1));
			feed_put16(f + off, (uint16_t)rnd(g));
		} else {
			off = HDRS + below(g, (uint32_t)(len - HDRS - 7));
			feed_put64(f + off, rnd(g));
		}
		break;
	default: /* header flips that the IP checksum does not catch */
		for (i = 0, n = 1 + below(g, 2); i < n; i++)
			f[FEED_ETH_LEN + below(g, HDRS - FEED_ETH_LEN)] ^=
			    (uint8_t)(1 + below(g, 255));
		fix_ip_checksum(f);
		break;
	}
	return len;
}

static int run(struct gen *g)
{
	const struct feed_gen_opts *o = g->o;
	unsigned nbad =
	    o->mode == FEED_GEN_BAD ? o->bad_each * (FEED_BAD_COUNT - 1) : 0;
	unsigned i, k = 0;
	int rc;

	for (i = 0; i < o->packets; i++) {
		int exact = o->mode != FEED_GEN_FUZZ;
		int drop = exact && o->packets >= 3 && i == o->packets / 3;
		int dup = exact && o->packets >= 3 && i == 2 * o->packets / 3;
		int sure = 0;
		size_t len;

		build(g);
		/* Bad copies, spread evenly, each before its original. */
		while (k < nbad &&
		       (uint64_t)(k + 1) * o->packets / (nbad + 1) == i) {
			enum feed_bad r =
			    (enum feed_bad)(1 + k % (FEED_BAD_COUNT - 1));

			len = corrupt(g, r);
			g->exp->v[FEED_K_BAD]++;
			g->exp->v[FEED_K_BAD_REASON + r]++;
			if ((rc = emit(g, g->copy, len)) != 0)
				return rc;
			k++;
		}
		if (!exact) {
			unsigned r = below(g, 100);

			if (r < 2) { /* lost */
				if (commit(g) != 0)
					return -1;
				continue;
			}
			if (r < 32) {
				len = mutate(g, &sure);
				g->exp->v[FEED_K_BAD_MIN] += (uint64_t)sure;
				if ((rc = emit(g, g->copy, len)) != 0)
					return rc;
				if (commit(g) != 0)
					return -1;
				continue;
			}
			dup = r < 34;
		}
		if (drop) {
			if (uncommit(g) != 0)
				return -1;
			continue;
		}
		if (commit(g) != 0)
			return -1;
		if ((rc = emit(g, g->pkt.frame, g->pkt.len)) != 0)
			return rc;
		if (dup) {
			g->exp->v[FEED_K_DUPS]++;
			g->exp->v[FEED_K_DUP_MESSAGES] += g->pkt.count;
			if ((rc = emit(g, g->pkt.frame, g->pkt.len)) != 0)
				return rc;
		}
	}
	return 0;
}

int feed_generate(const struct feed_gen_opts *o, feed_emit_fn emit_fn,
		  void *ctx, struct feed_expect *exp)
{
	struct gen *g;
	unsigned k;
	int rc;

	if (!o || !emit_fn || !exp || o->packets == 0 ||
	    (o->mode == FEED_GEN_BAD && o->bad_each == 0) ||
	    o->mode > FEED_GEN_FUZZ)
		return -1;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -1;
	memset(exp, 0, sizeof(*exp));
	g->o = o;
	g->emit = emit_fn;
	g->ctx = ctx;
	g->exp = exp;
	g->rng = o->seed ? o->seed : 1;
	g->next_seq = 1;
	rc = run(g);
	exp->v[FEED_K_PACKETS] = g->frames;
	exp->v[FEED_K_BID_QTY] = g->bid_qty;
	exp->v[FEED_K_ASK_QTY] = g->ask_qty;
	/* Which counts are promised: all of them, or the fuzzer's two. */
	if (o->mode == FEED_GEN_FUZZ) {
		exp->set[FEED_K_PACKETS] = 1;
		exp->set[FEED_K_BAD_MIN] = 1;
	} else {
		for (k = 0; k < FEED_K_COUNT; k++)
			exp->set[k] =
			    k != FEED_K_BAD_MIN && k != FEED_K_BAD_REASON;
	}
	free(g->live);
	free(g);
	return rc;
}

int feed_gen_mode_find(const char *name)
{
	if (!strcmp(name, "clean"))
		return FEED_GEN_CLEAN;
	if (!strcmp(name, "bad"))
		return FEED_GEN_BAD;
	if (!strcmp(name, "fuzz"))
		return FEED_GEN_FUZZ;
	return -1;
}
