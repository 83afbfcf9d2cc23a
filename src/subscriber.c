/* SPDX-License-Identifier: MIT */
/*
 * The reader side of the ring core: subscribers and groups, the exported
 * twin of try_recv, the readers' slow paths (lag, close, latest, pending)
 * and the counters derived from the cursor.
 */
#include <stdlib.h>

#include "internal.h"
#include "testing.h"

uint64_t photon__oldest_held(uint64_t head, uint64_t capacity)
{
	if (head == PHOTON__NONE)
		return 0;
	return head + 1 >= capacity ? head + 1 - capacity : 0;
}

int photon__subscribe_at(struct photon_channel *ch, int from_oldest,
			 uint64_t members, struct photon_subscriber **out)
{
	struct photon_subscriber *s;
	int rc;

	if (ch->readonly)
		return photon__fail(PHOTON_EPERM, "the segment is mapped "
						  "read-only");
	s = photon__zalloc(PHOTON__FALSE_SHARING_RANGE, sizeof(*s));
	if (!s)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a subscriber");
	s->slots = ch->slots;
	s->index = ch->index;
	s->stride = ch->stride;
	s->msg_size = ch->msg_size;
	s->closed = &ch->sh->closed;
	s->line = &ch->sh->line;
	s->members = members;
	s->shm = ch->shm;
	s->channel = photon__channel_ref(ch);
	PHOTON__STORE(&ch->sh->subscribed, 1, PHOTON__RELAXED);
	rc = photon__gate_register(ch, s, from_oldest);
	if (rc != PHOTON_OK) {
		photon_channel_release(ch);
		free(s);
		return rc;
	}
	s->start = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);
	*out = s;
	return PHOTON_OK;
}

static int subscribe(struct photon_channel *ch, int from_oldest,
		     struct photon_subscriber **out)
{
	if (!ch || !out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_subscribe: NULL argument");
	*out = NULL;
	return photon__subscribe_at(ch, from_oldest, 1, out);
}

PHOTON_API int photon_subscribe(struct photon_channel *ch,
				struct photon_subscriber **out)
{
	return subscribe(ch, 0, out);
}

PHOTON_API int photon_subscribe_from_oldest(struct photon_channel *ch,
					    struct photon_subscriber **out)
{
	return subscribe(ch, 1, out);
}

PHOTON_API void photon_subscriber_close(struct photon_subscriber *s)
{
	struct photon_channel *ch;

	if (!s)
		return;
	ch = s->channel;
	photon__fd_close(s);
	photon__gate_unregister(ch, s);
	free(s->poll_buf);
	free(s);
	photon_channel_release(ch);
}

/* The exported receive for sizes PHOTON__BY_SIZE does not unroll. */
static __attribute__((noinline)) int try_recv_any(struct photon_subscriber *s,
						  void *out)
{
	return photon__try_recv_n(s, out, s->msg_size);
}

PHOTON__INLINE int try_recv_sized(struct photon_subscriber *s, void *out){
#define TRY_RECV(n) photon__try_recv_n(s, out, n)
	PHOTON__BY_SIZE(s->msg_size, TRY_RECV, try_recv_any(s, out))
#undef TRY_RECV
}

PHOTON_API int photon_try_recv(struct photon_subscriber *s, void *out)
{
	int rc;

	if (PHOTON__UNLIKELY(!s || !out))
		return PHOTON_EINVAL;
	rc = try_recv_sized(s, out);
	/* A shared channel's publisher may have died: the exported receive
	 * looks every so often (photon__shm_idle); inline pollers do not. */
	if (PHOTON__UNLIKELY(rc == PHOTON_EMPTY && s->shm))
		photon__shm_idle(s);
	return rc;
}

/*
 * After a crash (closed, abandoned, every stamp final), whether sequence c,
 * whose slot's stamp s1 is not 2c + 2, was lost to the dead publisher, so
 * that skipping it reaches what comes after (or the close) instead of
 * waiting forever. Lost: the slot is odd (a write cut short, of c or of a
 * later lap) or already holds a later lap; MPMC also any sequence below the
 * claim counter (claimed, never written), which is read from the segment
 * and so believed only within a ring of the cursor.
 */
static int lost_to_crash(const struct photon_subscriber *s, uint64_t c,
			 uint64_t s1)
{
	const struct photon__shared *sh = s->channel->sh;
	uint64_t head, claimed;

	if (!PHOTON__LOAD(&sh->abandoned, PHOTON__ACQUIRE))
		return 0;
	/* An odd stamp of an older lap says nothing about c. */
	if ((s1 & 1) ? s1 >= 2 * c + 1 : s1 > 2 * c + 2)
		return 1;
	if (!(s->channel->flags & PHOTON_MPMC))
		return 0;
	head = PHOTON__LOAD(&sh->line.cursor, PHOTON__ACQUIRE);
	claimed = PHOTON__LOAD(&sh->line.next, PHOTON__RELAXED);
	if (claimed > head + 1 + s->index.capacity) /* NONE + 1 == 0 */
		claimed = head + 1 + s->index.capacity;
	return c < claimed;
}

/* LAGGED after skipping to `to`. */
static int lagged(struct photon_subscriber *s, uint64_t c, uint64_t to)
{
	PHOTON__STORE(&s->last_skipped, to - c, PHOTON__RELAXED);
	PHOTON__BUMP(&s->lagged, to - c);
	return PHOTON_LAGGED;
}

/*
 * The reader met a hole (photon_publish_gap) at c: its payload says where
 * the gap ends, read as a message is (R2..R4), and the reader skips to
 * there, the messages counted as lost. A hole being rewritten is EMPTY:
 * the next call sees what replaced it.
 */
static int hole(struct photon_subscriber *s, uint64_t c, uint64_t raw)
{
	const unsigned char *slot =
	    photon__slot_at(s->slots, &s->index, s->stride, c);
	uint64_t end;

	if (!photon__slot_read_stable(slot, &end, sizeof(end), raw) ||
	    end <= c) {
		if (s->fd)
			photon__fd_empty(s);
		return PHOTON_EMPTY;
	}
	photon__set_pos(s, end);
	return lagged(s, c, end);
}

/*
 * The reader's miss path: the slot did not hold the expected complete
 * stamp, or the channel may be closed. Returns EMPTY, LAGGED or CLOSED.
 */
PHOTON_API PHOTON__COLD int photon__subscriber_miss(struct photon_subscriber *s)
{
	uint64_t c = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);
	const struct photon__atomic64 *stamp = photon__slot_stamp(
	    photon__slot_at(s->slots, &s->index, s->stride, c));
	uint64_t want = 2 * c + 2;
	/* C2, pairs with C1: once closed is seen, every stamp is final. The
	 * channel's own flag: an fd reader's `closed` always reads 1. */
	uint64_t closed =
	    PHOTON__LOAD(&s->channel->sh->closed, PHOTON__ACQUIRE);
	uint64_t raw = PHOTON__LOAD(stamp, PHOTON__ACQUIRE);
	uint64_t s1 =
	    raw & ~PHOTON__HOLE; /* a hole's stamp orders as its seq */
	int lost;

	if (raw == (want | PHOTON__HOLE))
		return hole(s, c, raw);
	lost = closed && s1 != want && lost_to_crash(s, c, s1);

	if (s1 > want && (!(s1 & 1) || lost)) {
		/*
		 * The slot was reused: a later lap completed there. Only the
		 * cursor says how far behind we are (docs/PROTOCOL.md, 4).
		 */
		uint64_t head =
		    PHOTON__LOAD(&s->line->cursor, PHOTON__ACQUIRE); /* R6 */
		uint64_t oldest = photon__oldest_held(head, s->index.capacity);

		if (c < oldest) {
			/* Bounded: only a consumer the stall rule dropped
			 * is lapped; it rejoins the gate where it cannot be
			 * lapped again (backpressure.c). */
			if (s->tracker && (s->channel->flags & PHOTON_BOUNDED))
				oldest =
				    photon__gate_rejoin(s->channel, s, oldest);
			else
				photon__set_pos(s, oldest);
			return lagged(s, c, oldest);
		}
		/* The stamp ran ahead of the cursor: the next call resolves,
		 * unless a crash means it never will. */
		if (!lost) {
			if (s->fd)
				photon__fd_empty(s);
			return PHOTON_EMPTY;
		}
	}
	if (lost) {
		photon__set_pos(s, c + 1);
		return lagged(s, c, c + 1);
	}
	if (s1 < want && closed) {
		if (s->fd)
			photon__fd_closed(s);
		return PHOTON_CLOSED;
	}
	if (s->fd)
		photon__fd_empty(s);
	return PHOTON_EMPTY;
}

/* Attempts of photon_latest before it gives up with EMPTY. */
#define LATEST_TRIES 8

/* photon_latest found nothing: EMPTY or CLOSED, with what any receive does
 * then (a descriptor re-armed or left readable, a shared channel's idle
 * check). */
static int latest_none(struct photon_subscriber *s, uint64_t closed)
{
	if (closed) {
		if (s->fd)
			photon__fd_closed(s);
		return PHOTON_CLOSED;
	}
	if (s->shm)
		photon__shm_idle(s);
	if (s->fd)
		photon__fd_empty(s);
	return PHOTON_EMPTY;
}

/*
 * The newest message is normally in the cursor's slot. When a later lap has
 * already completed there, that later message is newer still and is
 * delivered instead: in an MPMC channel the cursor can sit behind a claim
 * that is not committed yet while later laps commit, so waiting for the
 * cursor's own message to come back would spin without bound. A slot that is
 * being rewritten, or a read torn by a writer, is retried a few times, then
 * the call gives up with EMPTY: it never blocks.
 */
PHOTON_API int photon_latest(struct photon_subscriber *s, void *out)
{
	int tries;

	if (!s || !out)
		return PHOTON_EINVAL;
	for (tries = 0; tries < LATEST_TRIES; tries++) {
		uint64_t closed =
		    PHOTON__LOAD(&s->channel->sh->closed, PHOTON__ACQUIRE);
		uint64_t head =
		    PHOTON__LOAD(&s->line->cursor, PHOTON__ACQUIRE); /* R6 */
		uint64_t c = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);
		const unsigned char *slot;
		uint64_t s1, seq;

		if (head == PHOTON__NONE || head < c)
			return latest_none(s, closed);
		slot = photon__slot_at(s->slots, &s->index, s->stride, head);
		/* R1: >= 2 * head + 2, since W4 comes before W5 (R6). */
		s1 = PHOTON__LOAD(photon__slot_stamp(slot), PHOTON__ACQUIRE);
		/* The newest is lost (photon_publish_gap): nothing newer to
		 * deliver; the reader keeps its place, and a receive there
		 * reports the loss. */
		if (s1 & PHOTON__HOLE)
			return latest_none(s, closed);
		/* Odd: a later lap is being written there. */
		if ((s1 & 1) ||
		    !photon__slot_read_stable(slot, out, s->msg_size, s1)) {
			PHOTON__TEST_POINT(PHOTON__TP_LATEST_RETRY, s);
			continue;
		}
		seq = s1 / 2 - 1; /* head, or a later lap of its slot */
		PHOTON__BUMP(&s->jumped, seq - c);
		photon__set_pos(s, seq + 1); /* R5 */
		return PHOTON_OK;
	}
	return latest_none(s, 0);
}

PHOTON_API uint64_t photon_pending(const struct photon_subscriber *s)
{
	uint64_t head, c;

	if (!s)
		return 0;
	head = PHOTON__LOAD(&s->line->cursor, PHOTON__ACQUIRE);
	c = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);
	if (head == PHOTON__NONE || head + 1 <= c)
		return 0;
	return head + 1 - c < s->index.capacity ? head + 1 - c
						: s->index.capacity;
}

PHOTON_API uint64_t
photon_subscriber_position(const struct photon_subscriber *s)
{
	return s ? PHOTON__LOAD(&s->pos, PHOTON__RELAXED) : 0;
}

/* ---- batch receive ---- */

/* The poll for one of the sizes PHOTON__BY_SIZE unrolls: the copy is into
 * a buffer on the stack, its size a constant. */
#define DEFINE_POLL(n)                                                      \
	static long poll_##n(struct photon_subscriber *s,                   \
			     photon_handler_fn fn, void *ctx, size_t limit) \
	{                                                                   \
		uint64_t buf[n / 8];                                        \
		long r;                                                     \
		PHOTON__POLL_LOOP(s, buf, n, limit, r, PHOTON__POLL_CALL);  \
		return r;                                                   \
	}
DEFINE_POLL(8)
DEFINE_POLL(16)
DEFINE_POLL(24)
DEFINE_POLL(32)
DEFINE_POLL(40)
DEFINE_POLL(48)
DEFINE_POLL(56)
#undef DEFINE_POLL

PHOTON_API void *photon__poll_buffer(struct photon_subscriber *s)
{
	if (!s->poll_buf)
		s->poll_buf = malloc(s->msg_size);
	if (!s->poll_buf)
		photon__fail(PHOTON_ENOMEM,
			     "photon_poll: out of memory for a %llu-byte "
			     "message",
			     (unsigned long long)s->msg_size);
	return s->poll_buf;
}

/* Any other size: up to 1 KiB on the stack, above it the handle's own
 * buffer (a thread's stack may be small; messages go up to 1 MiB). */
#define POLL_STACK_MAX 1024

static __attribute__((noinline)) long poll_any(struct photon_subscriber *s,
					       photon_handler_fn fn, void *ctx,
					       size_t limit)
{
	uint64_t small[POLL_STACK_MAX / 8];
	void *buf = small;
	size_t n = s->msg_size;
	long r;

	if (n > POLL_STACK_MAX) {
		buf = photon__poll_buffer(s);
		if (!buf)
			return PHOTON_ENOMEM;
	}
	PHOTON__POLL_LOOP(s, buf, n, limit, r, PHOTON__POLL_CALL);
	return r;
}

PHOTON_API long photon_poll(struct photon_subscriber *s, photon_handler_fn fn,
			    void *ctx, size_t limit)
{
	long r;

	if (PHOTON__UNLIKELY(!s || !fn))
		return PHOTON_EINVAL;
	switch (s->msg_size) {
#define POLL_CASE(n)                             \
	case n:                                  \
		r = poll_##n(s, fn, ctx, limit); \
		break;
		POLL_CASE(8)
		POLL_CASE(16)
		POLL_CASE(24)
		POLL_CASE(32)
		POLL_CASE(40)
		POLL_CASE(48)
		POLL_CASE(56)
#undef POLL_CASE
	default:
		r = poll_any(s, fn, ctx, limit);
	}
	if (PHOTON__UNLIKELY(r == 0 && s->shm && limit))
		photon__shm_idle(s);
	return r;
}

PHOTON_API uint64_t
photon_subscriber_last_skipped(const struct photon_subscriber *s)
{
	return s ? PHOTON__LOAD(&s->last_skipped, PHOTON__RELAXED) : 0;
}

PHOTON_API uint64_t photon_subscriber_lagged(const struct photon_subscriber *s)
{
	return s ? PHOTON__LOAD(&s->lagged, PHOTON__RELAXED) : 0;
}

/*
 * Derived, so the hot path keeps no counter: every position the cursor
 * moved past was delivered, skipped by a lap, or jumped over by latest().
 */
PHOTON_API uint64_t
photon_subscriber_received(const struct photon_subscriber *s)
{
	if (!s)
		return 0;
	return PHOTON__LOAD(&s->pos, PHOTON__RELAXED) - s->start -
	       PHOTON__LOAD(&s->lagged, PHOTON__RELAXED) -
	       PHOTON__LOAD(&s->jumped, PHOTON__RELAXED);
}

PHOTON_API uint64_t photon_subscriber_stalls(const struct photon_subscriber *s)
{
	return s && s->tracker
		   ? PHOTON__LOAD(&s->tracker->stalls, PHOTON__RELAXED)
		   : 0;
}

PHOTON_API double
photon_subscriber_receive_ratio(const struct photon_subscriber *s)
{
	uint64_t got = photon_subscriber_received(s);
	uint64_t lost = photon_subscriber_lagged(s);

	return got + lost ? (double)got / (double)(got + lost) : 0.0;
}

/* ---- groups: one cursor for n logical consumers ---- */

PHOTON_API int photon_group_subscribe(struct photon_channel *ch, size_t n,
				      struct photon_group **out)
{
	struct photon_subscriber *s;
	int rc;

	if (!ch || !out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_group_subscribe: NULL argument");
	*out = NULL;
	if (n == 0)
		return photon__fail(PHOTON_EINVAL,
				    "a group needs at least one member");
	rc = photon__subscribe_at(ch, 0, n, &s);
	if (rc == PHOTON_OK)
		*out = (struct photon_group *)s;
	return rc;
}

PHOTON_API void photon_group_close(struct photon_group *g)
{
	photon_subscriber_close(g ? &g->sub : NULL);
}

PHOTON_API int photon_group_try_recv(struct photon_group *g, void *out)
{
	return photon_try_recv(g ? &g->sub : NULL, out);
}

PHOTON_API int photon_group_recv(struct photon_group *g, void *out)
{
	return photon_recv(g ? &g->sub : NULL, out);
}

PHOTON_API int photon_group_recv_with(struct photon_group *g, void *out,
				      const struct photon_wait *w)
{
	return photon_recv_with(g ? &g->sub : NULL, out, w);
}

PHOTON_API size_t photon_group_size(const struct photon_group *g)
{
	return g ? (size_t)g->sub.members : 0;
}

/* The counters of a group are those of its one cursor. */
#define GROUP_GETTER(type, name, of_subscriber)                           \
	PHOTON_API type photon_group_##name(const struct photon_group *g) \
	{                                                                 \
		return of_subscriber(g ? &g->sub : NULL);                 \
	}

GROUP_GETTER(uint64_t, last_skipped, photon_subscriber_last_skipped)
GROUP_GETTER(uint64_t, received, photon_subscriber_received)
GROUP_GETTER(uint64_t, lagged, photon_subscriber_lagged)
GROUP_GETTER(double, receive_ratio, photon_subscriber_receive_ratio)
GROUP_GETTER(uint64_t, stalls, photon_subscriber_stalls)
GROUP_GETTER(uint64_t, pending, photon_pending)
GROUP_GETTER(uint64_t, position, photon_subscriber_position)

PHOTON_API long photon_group_poll(struct photon_group *g, photon_handler_fn fn,
				  void *ctx, size_t limit)
{
	return photon_poll(g ? &g->sub : NULL, fn, ctx, limit);
}
