/* SPDX-License-Identifier: MIT */
/*
 * The ring core: channel lifetime and the publisher side (SPMC and MPMC),
 * with the exported twins of the inline publish paths. The reader side is
 * in subscriber.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"
#include "testing.h"

#define PHOTON__KNOWN_FLAGS                                             \
	(PHOTON_BOUNDED | PHOTON_MPMC | PHOTON_HUGEPAGES | PHOTON_THP | \
	 PHOTON_MLOCK | PHOTON_PREFAULT | PHOTON_NUMA)

/* Slot layout (docs/PROTOCOL.md, 1): stamp, then payload, whole lines. */
struct photon__slot_header {
	uint64_t stamp;
	unsigned char payload[PHOTON_CACHE_LINE - 8];
} PHOTON__ALIGNED(PHOTON_CACHE_LINE);
PHOTON__STATIC_ASSERT(sizeof(struct photon__slot_header) == PHOTON_CACHE_LINE,
		      "a slot header is one cache line");
PHOTON__STATIC_ASSERT(offsetof(struct photon__slot_header, payload) ==
			  PHOTON_SLOT_PAYLOAD_OFFSET,
		      "the payload follows the 8-byte stamp");
PHOTON__STATIC_ASSERT(PHOTON_MSG_SIZE_MAX % 8 == 0,
		      "the largest payload is whole words");

int photon__check_opts(const struct photon_opts *o)
{
	size_t i;

	if (o->capacity < 2)
		return photon__fail(PHOTON_EINVAL,
				    "capacity %zu: must be at least 2",
				    o->capacity);
	if (o->msg_size == 0 || o->msg_size > PHOTON_MSG_SIZE_MAX)
		return photon__fail(PHOTON_EINVAL,
				    "msg_size %zu: must be 1 .. %zu bytes",
				    o->msg_size, (size_t)PHOTON_MSG_SIZE_MAX);
	if (o->capacity > SIZE_MAX / PHOTON_SLOT_STRIDE(o->msg_size))
		return photon__fail(PHOTON_EINVAL,
				    "capacity %zu x msg_size %zu overflows the "
				    "ring size",
				    o->capacity, o->msg_size);
	if (o->flags & ~(unsigned)PHOTON__KNOWN_FLAGS)
		return photon__fail(PHOTON_EINVAL, "unknown flags 0x%x",
				    o->flags & ~(unsigned)PHOTON__KNOWN_FLAGS);
	if (o->watermark >= o->capacity)
		return photon__fail(PHOTON_EINVAL,
				    "watermark %zu: must be below the capacity "
				    "%zu",
				    o->watermark, o->capacity);
	if (o->watermark && !(o->flags & PHOTON_BOUNDED))
		return photon__fail(PHOTON_EINVAL,
				    "watermark %zu given for a lossy channel "
				    "(set PHOTON_BOUNDED)",
				    o->watermark);
	for (i = 0; i < sizeof(o->reserved) / sizeof(o->reserved[0]); i++)
		if (o->reserved[i])
			return photon__fail(
			    PHOTON_EINVAL, "photon_opts.reserved must be zero");
	if (o->max_consumers > 4096)
		return photon__fail(PHOTON_EINVAL,
				    "max_consumers %llu: at most 4096",
				    (unsigned long long)o->max_consumers);
	if (o->stall_timeout_ns && !(o->flags & PHOTON_BOUNDED))
		return photon__fail(PHOTON_EINVAL,
				    "stall_timeout_ns given for a lossy "
				    "channel (set PHOTON_BOUNDED)");
	return PHOTON_OK;
}

void photon__channel_describe(struct photon_channel *ch, uint64_t capacity,
			      uint64_t msg_size, uint64_t watermark,
			      unsigned flags, uint64_t stall_timeout_ns)
{
	ch->index.capacity = capacity;
	if ((capacity & (capacity - 1)) == 0)
		ch->index.mask = capacity - 1;
	else
		ch->index.magic = ~(photon__u128)0 / capacity + 1;
	ch->stall_timeout_ns = stall_timeout_ns;
	ch->msg_size = msg_size;
	ch->stride = PHOTON_SLOT_STRIDE(msg_size);
	ch->watermark = watermark;
	ch->flags = flags;
}

void photon__shared_init(struct photon__shared *sh)
{
	PHOTON__STORE(&sh->line.cursor, PHOTON__NONE, PHOTON__RELAXED);
}

/*
 * fork(): the child gets a copy of every in-process channel as it was,
 * with the state of threads it does not have: a gate lock held by one of
 * them would never be released, and readers parked in them would keep
 * every publish on the wake path. The child handler clears both in each
 * live in-process channel (the list is locked across the fork, so it is
 * whole). Shared channels are the same memory on both sides of a fork
 * and are left alone.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct photon_channel *live_head;
static pthread_once_t live_once = PTHREAD_ONCE_INIT;

static void live_prepare(void)
{
	pthread_mutex_lock(&live_lock);
}

static void live_parent(void)
{
	pthread_mutex_unlock(&live_lock);
}

static void live_child(void)
{
	struct photon_channel *ch;

	for (ch = live_head; ch; ch = ch->live_next) {
		PHOTON__STORE(&ch->sh->gate_lock, 0, PHOTON__RELEASE);
		PHOTON__STORE(&ch->sh->line.parked, 0, PHOTON__RELAXED);
	}
	pthread_mutex_unlock(&live_lock);
}

static void live_init(void)
{
	pthread_atfork(live_prepare, live_parent, live_child);
}

static void live_add(struct photon_channel *ch)
{
	pthread_once(&live_once, live_init);
	pthread_mutex_lock(&live_lock);
	ch->live_next = live_head;
	if (live_head)
		live_head->live_prev = ch;
	live_head = ch;
	pthread_mutex_unlock(&live_lock);
}

static void live_remove(struct photon_channel *ch)
{
	pthread_mutex_lock(&live_lock);
	if (ch->live_prev)
		ch->live_prev->live_next = ch->live_next;
	else
		live_head = ch->live_next;
	if (ch->live_next)
		ch->live_next->live_prev = ch->live_prev;
	pthread_mutex_unlock(&live_lock);
}

PHOTON_API int photon_channel_create_opts(struct photon_channel **out,
					  const struct photon_opts *opts)
{
	struct photon_channel *ch;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !opts)
		return photon__fail(PHOTON_EINVAL,
				    "photon_channel_create: NULL argument");
	rc = photon__check_opts(opts);
	if (rc != PHOTON_OK)
		return rc;
	if (opts->max_consumers)
		return photon__fail(PHOTON_EINVAL,
				    "max_consumers is for shared channels "
				    "(photon_shm_create); in-process "
				    "channels track any number");

	ch = photon__zalloc(PHOTON__FALSE_SHARING_RANGE, sizeof(*ch));
	if (ch)
		ch->sh = photon__zalloc(PHOTON__FALSE_SHARING_RANGE,
					sizeof(*ch->sh));
	if (!ch || !ch->sh) {
		free(ch);
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a channel");
	}
	photon__channel_describe(ch, opts->capacity, opts->msg_size,
				 opts->watermark, opts->flags,
				 opts->stall_timeout_ns);
	rc = photon__ring_map(ch, (size_t)(ch->index.capacity * ch->stride),
			      opts);
	if (rc != PHOTON_OK) {
		free(ch->sh);
		free(ch);
		return rc;
	}
	photon__shared_init(ch->sh);
	pthread_mutex_init(&ch->fd_lock, NULL);
	PHOTON__STORE(&ch->refs, 1, PHOTON__RELAXED);
	live_add(ch);
	*out = ch;
	return PHOTON_OK;
}

PHOTON_API int photon_channel_create(struct photon_channel **out,
				     size_t capacity, size_t msg_size)
{
	struct photon_opts o = { .capacity = capacity, .msg_size = msg_size };

	return photon_channel_create_opts(out, &o);
}

PHOTON_API int photon_channel_create_bounded(struct photon_channel **out,
					     size_t capacity, size_t msg_size,
					     size_t watermark)
{
	struct photon_opts o = { .capacity = capacity,
				 .msg_size = msg_size,
				 .watermark = watermark,
				 .flags = PHOTON_BOUNDED };

	return photon_channel_create_opts(out, &o);
}

PHOTON_API int photon_channel_create_mpmc(struct photon_channel **out,
					  size_t capacity, size_t msg_size)
{
	struct photon_opts o = { .capacity = capacity,
				 .msg_size = msg_size,
				 .flags = PHOTON_MPMC };

	return photon_channel_create_opts(out, &o);
}

struct photon_channel *photon__channel_ref(struct photon_channel *ch)
{
	PHOTON__FETCH_ADD(&ch->refs, 1, PHOTON__RELAXED);
	return ch;
}

PHOTON_API struct photon_channel *
photon_channel_retain(struct photon_channel *ch)
{
	return ch ? photon__channel_ref(ch) : NULL;
}

PHOTON_API void photon_channel_release(struct photon_channel *ch)
{
	if (!ch)
		return;
	/*
	 * The last release frees. acq_rel: every handle's use of the channel
	 * happens before the free (the usual reference-count pairing).
	 */
	if (PHOTON__FETCH_SUB(&ch->refs, 1, PHOTON__ACQ_REL) != 1)
		return;
	if (ch->shm) { /* unmaps; the name stays (photon_shm_unlink) */
		photon__shm_unmap(ch);
	} else {
		live_remove(ch);
		pthread_mutex_destroy(&ch->fd_lock);
		photon__gate_destroy(ch);
		photon__ring_unmap(ch);
		free(ch->sh);
	}
	free(ch);
}

PHOTON_API size_t photon_channel_capacity(const struct photon_channel *ch)
{
	return ch ? (size_t)ch->index.capacity : 0;
}

PHOTON_API size_t photon_channel_msg_size(const struct photon_channel *ch)
{
	return ch ? (size_t)ch->msg_size : 0;
}

PHOTON_API size_t photon_channel_watermark(const struct photon_channel *ch)
{
	return ch ? (size_t)ch->watermark : 0;
}

PHOTON_API unsigned photon_channel_flags(const struct photon_channel *ch)
{
	return ch ? ch->flags : 0;
}

PHOTON_API size_t photon_channel_page_size(const struct photon_channel *ch)
{
	return ch ? ch->page_size : 0;
}

PHOTON_API int photon_channel_is_closed(const struct photon_channel *ch)
{
	return ch ? PHOTON__LOAD(&ch->sh->closed, PHOTON__ACQUIRE) != 0 : 0;
}

PHOTON_API uint64_t photon_channel_stalls(const struct photon_channel *ch)
{
	return ch ? PHOTON__LOAD(&ch->sh->stalls, PHOTON__RELAXED) : 0;
}

PHOTON_API int photon_channel_abandoned(const struct photon_channel *ch)
{
	return ch ? PHOTON__LOAD(&ch->sh->abandoned, PHOTON__ACQUIRE) != 0 : 0;
}

PHOTON_API uint64_t photon_channel_reclaimed(const struct photon_channel *ch)
{
	return ch ? PHOTON__LOAD(&ch->sh->reclaims, PHOTON__RELAXED) : 0;
}

/* ---- publisher ---- */

/*
 * This process as a publisher of ch: its entry in the publisher table, so
 * readers of a shared channel can tell a crash from a close (shm.c). Under
 * gate_lock. 0 when the table (MPMC: PHOTON__MAX_PUBLISHER_PROCS processes)
 * is full.
 */
static int enter_publisher_table(struct photon_channel *ch)
{
	struct photon__shared *sh = ch->sh;
	struct photon__proc *freep = NULL;
	uint64_t pid, start;
	size_t i;

	photon__proc_self(&pid, &start);
	for (i = 0; i < PHOTON__MAX_PUBLISHER_PROCS; i++) {
		struct photon__proc *e = &sh->pubs[i];
		uint64_t epid = PHOTON__LOAD(&e->pid, PHOTON__RELAXED);

		if (epid == pid &&
		    PHOTON__LOAD(&e->start, PHOTON__RELAXED) == start) {
			e->handles++;
			return 1;
		}
		if (!epid && !freep)
			freep = e;
	}
	if (!freep)
		return 0;
	freep->handles = 1;
	PHOTON__STORE(&freep->start, start, PHOTON__RELAXED);
	PHOTON__STORE(&freep->pid, pid, PHOTON__RELEASE); /* last */
	return 1;
}

/* Under gate_lock; after the close's C1 when this was the last handle. */
static void leave_publisher_table(struct photon_channel *ch)
{
	struct photon__shared *sh = ch->sh;
	uint64_t pid, start;
	size_t i;

	photon__proc_self(&pid, &start);
	for (i = 0; i < PHOTON__MAX_PUBLISHER_PROCS; i++) {
		struct photon__proc *e = &sh->pubs[i];

		if (PHOTON__LOAD(&e->pid, PHOTON__RELAXED) == pid &&
		    PHOTON__LOAD(&e->start, PHOTON__RELAXED) == start) {
			if (--e->handles == 0)
				PHOTON__STORE(&e->pid, 0, PHOTON__RELEASE);
			return;
		}
	}
}

/*
 * Takes the publisher role, under gate_lock: SPMC channels have one holder
 * for their whole life (closing is final, and a crashed one is not
 * replaced); MPMC channels count their open handles, so the close of the
 * last one cannot race a new open.
 */
static int take_publisher_role(struct photon_channel *ch)
{
	struct photon__shared *sh = ch->sh;
	int rc = PHOTON_OK;

	if (ch->readonly)
		return photon__fail(PHOTON_EPERM, "the segment is mapped "
						  "read-only");
	/* A shared channel whose publisher crashed is closed, whether or
	 * not a reader noticed yet. */
	if (ch->shm)
		photon__shm_probe_publishers(ch);
	photon__gate_lock(ch);
	if (PHOTON__LOAD(&sh->closed, PHOTON__ACQUIRE))
		rc = photon__fail(PHOTON_CLOSED, "the channel was closed; "
						 "open a new one");
	else if (!(ch->flags & PHOTON_MPMC) &&
		 PHOTON__LOAD(&sh->publisher_taken, PHOTON__RELAXED))
		rc = photon__fail(PHOTON_EBUSY,
				  "the channel already has its publisher "
				  "(single-producer channel; PHOTON_MPMC "
				  "allows several)");
	else if (!enter_publisher_table(ch))
		rc = photon__fail(PHOTON_EBUSY,
				  "%d processes already publish to this "
				  "channel",
				  PHOTON__MAX_PUBLISHER_PROCS);
	if (rc == PHOTON_OK) {
		PHOTON__STORE(&sh->publisher_taken, 1, PHOTON__RELAXED);
		sh->publishers++;
	}
	photon__gate_unlock(ch);
	return rc;
}

/*
 * Gives the role back; returns 1 when the channel is now closed. closed is
 * set before this process leaves the publisher table: a publisher that dies
 * between the two reads as a clean close.
 */
static int drop_publisher_role(struct photon_channel *ch)
{
	struct photon__shared *sh = ch->sh;
	int last;

	photon__gate_lock(ch);
	last = --sh->publishers == 0 || !(ch->flags & PHOTON_MPMC);
	/* C1: after every handle's last W5; pairs with C2 in
	 * photon__subscriber_miss. */
	if (last)
		PHOTON__STORE(&sh->closed, 1, PHOTON__RELEASE);
	leave_publisher_table(ch);
	photon__gate_unlock(ch);
	return last;
}

PHOTON_API int photon_publisher_open(struct photon_channel *ch,
				     struct photon_publisher **out)
{
	struct photon_publisher *p;
	int rc;

	if (out)
		*out = NULL;
	if (!ch || !out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_publisher_open: NULL argument");
	p = photon__zalloc(PHOTON__FALSE_SHARING_RANGE, sizeof(*p));
	if (!p)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a publisher");
	rc = take_publisher_role(ch);
	if (rc != PHOTON_OK) {
		free(p);
		return rc;
	}
	p->slots = ch->slots;
	p->line = &ch->sh->line;
	p->index = ch->index;
	p->stride = ch->stride;
	p->msg_size = ch->msg_size;
	p->mpmc = (ch->flags & PHOTON_MPMC) != 0;
	p->shm = ch->shm;
	/* Parked readers in other processes rely on this process being
	 * reached by their global barrier (wait.c); if it cannot be, they
	 * sleep in slices. A reader that parked before this registration
	 * reached nobody with its barrier: its K0 then comes before the RMW
	 * of `parked` below (both seq_cst RMWs of one word), which sees it
	 * and wakes it; its next barrier reaches this process. If K0 comes
	 * after, it reads from this RMW and so sees park_unsafe and the
	 * registration (verify/park.pml, SHM). */
	if (p->shm) {
		if (!photon__membarrier_register_global())
			PHOTON__STORE(&ch->sh->park_unsafe, 1, PHOTON__SEQ_CST);
		if (PHOTON__FETCH_ADD(&ch->sh->line.parked, 0, PHOTON__SEQ_CST))
			photon__wake_channel(ch);
	}
	if (p->mpmc) {
		/* Always out of line: claims come from the shared counter. */
		PHOTON__STORE(&p->seq, 0, PHOTON__RELAXED);
	} else {
		PHOTON__STORE(
		    &p->seq,
		    PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE) + 1,
		    PHOTON__RELAXED);
		/* Lossy: never gated. Bounded: the first publish rescans. */
		p->gate = (ch->flags & PHOTON_BOUNDED) ? 0 : UINT64_MAX;
	}
	photon__publisher_limit(p);
	p->channel = photon__channel_ref(ch);
	*out = p;
	return PHOTON_OK;
}

PHOTON_API void photon_publisher_close(struct photon_publisher *p)
{
	struct photon_channel *ch;

	if (!p)
		return;
	ch = p->channel;
	/* Parked readers must wake to see CLOSED. */
	if (drop_publisher_role(ch))
		photon__wake(p);
	free(p);
	photon_channel_release(ch);
}

/* The publisher's P2 saw a parked reader (or it closes): wake them all. */
PHOTON_API PHOTON__COLD void photon__wake(struct photon_publisher *p)
{
	photon__wake_channel(p->channel);
	/* Shared channels: a consumer killed while parked still counts in
	 * `parked`, and would bring every publish here; reclaiming it takes
	 * its count back (shm.c). */
	if (p->shm && photon__shm_due(p->channel, 1)) {
		photon__gate_lock(p->channel);
		photon__shm_reclaim(p->channel);
		photon__gate_unlock(p->channel);
	}
}

/*
 * Wakes the readers parked on ch (PHOTON_WAIT_PARK): bump the word they
 * sleep on, then wake them all; then the armed fd readers. K1: the bump is
 * a release RMW after W4/W5, so a reader that sees the new word also sees
 * the stamp; pairs with K2.
 */
void photon__wake_channel(struct photon_channel *ch)
{
	PHOTON__FETCH_ADD(&ch->sh->line.wake, 1, PHOTON__RELEASE); /* K1 */
	photon__futex_wake(&ch->sh->line.wake, ch->shm);
	if (PHOTON__LOAD(&ch->nfds, PHOTON__RELAXED))
		photon__fd_wake(ch);
}

/*
 * MPMC: wait until the slot's previous lap (sequence s - capacity) is
 * committed, so stamps never move backwards and two producers never write
 * one slot at once. The holder of that sequence may be preempted: the wait
 * is the library's one backoff ladder (spin, pause, then short sleeps, never
 * sched_yield: a yield convoy with more threads than cores measured ~4k
 * msg/s).
 */
static int wait_previous_lap(const struct photon_publisher *p,
			     const unsigned char *slot, uint64_t s)
{
	const struct photon__atomic64 *stamp = photon__slot_stamp(slot);
	struct photon_channel *ch = p->channel;
	struct photon__waiter wt;
	uint64_t prev;

	if (s < p->index.capacity)
		return PHOTON_OK;
	prev = s - p->index.capacity;
	photon__waiter_init(&wt, NULL);
	while (PHOTON__LOAD(stamp, PHOTON__ACQUIRE) < 2 * prev + 2) {
		/* Shared channels: the holder of that sequence may be a
		 * process that died; then the channel is closed for good. */
		if (photon__shm_due(ch, 0) && photon__shm_probe_publishers(ch))
			return PHOTON_CLOSED;
		photon__waiter_pause(&wt);
	}
	return PHOTON_OK;
}

/*
 * MPMC: moves the shared cursor over every committed sequence after it. A
 * sequence n is committed when its slot's stamp is >= 2n + 2 (equal, or a
 * later lap already reused the slot, which waits for n first): testing
 * equality would strand the cursor behind a reused slot.
 *
 * No committed sequence is left behind: a committer reads the cursor with
 * an RMW (M1) and moves it with a CAS (M2), so the two are ordered in the
 * cursor's modification order. If committer A's M1 comes first, B's CAS
 * reads from A's release sequence and B's next stamp load sees A's W4; if
 * B's CAS comes first, A's M1 sees B's cursor and A moves on from it
 * itself. Either way somebody moves the cursor past A's sequence.
 */
static void advance_cursor(struct photon_publisher *p)
{
	struct photon__cursor_line *line = p->line;
	uint64_t c =
	    PHOTON__FETCH_ADD(&line->cursor, 0, PHOTON__ACQ_REL); /* M1 */

	for (;;) {
		uint64_t n = c + 1; /* all-ones + 1 == 0 */
		const struct photon__atomic64 *stamp = photon__slot_stamp(
		    photon__slot_at(p->slots, &p->index, p->stride, n));

		if (PHOTON__LOAD(stamp, PHOTON__ACQUIRE) < 2 * n + 2)
			return;
		if (PHOTON__CAS(&line->cursor, &c, n, PHOTON__ACQ_REL,
				PHOTON__ACQUIRE)) /* M2 */
			c = n;
	}
}

int photon__mpmc_claim(struct photon_publisher *p, int wait, uint64_t *seq)
{
	struct photon_channel *ch = p->channel;

	if (ch->flags & PHOTON_BOUNDED)
		return photon__gate_claim(ch, seq, wait);
	if (PHOTON__UNLIKELY(ch->shm &&
			     PHOTON__LOAD(&ch->sh->closed, PHOTON__ACQUIRE)))
		return PHOTON_CLOSED; /* a dead producer's hole: see above */
	*seq = PHOTON__FETCH_ADD(&p->line->next, 1, PHOTON__RELAXED);
	return PHOTON_OK;
}

PHOTON_API void photon__publish_commit(struct photon_publisher *p)
{
	advance_cursor(p); /* W5 (M1, M2): over every committed sequence */
	photon__wake_parked(p, p->line);
	PHOTON__BUMP(&p->seq, 1); /* messages through this handle */
}

void photon__mpmc_commit(struct photon_publisher *p, const void *msg,
			 uint64_t s)
{
	unsigned char *slot =
	    photon__slot_at(p->slots, &p->index, p->stride, s);

	if (wait_previous_lap(p, slot, s) != PHOTON_OK)
		return;
	photon__slot_write(slot, msg, p->msg_size, s); /* W1..W4 */
	photon__publish_commit(p);
}

/* publish_room's waits: the bounded gate, an MPMC claim and its lap. */
static PHOTON__COLD struct photon__room room_wait(struct photon_publisher *p,
						  int wait)
{
	struct photon__room r = { NULL, 0 };
	uint64_t s;
	int rc;

	if (p->mpmc) {
		rc = photon__mpmc_claim(p, wait, &s);
	} else {
		s = PHOTON__LOAD(&p->seq, PHOTON__RELAXED);
		rc = photon__gate_wait(p, wait);
	}
	if (rc != PHOTON_OK) {
		r.seq = (uint64_t)(int64_t)rc;
		return r;
	}
	r.slot = photon__slot_at(p->slots, &p->index, p->stride, s);
	r.seq = s;
	/* The slot's previous lap first: see above. */
	if (p->mpmc && (rc = wait_previous_lap(p, r.slot, s)) != PHOTON_OK) {
		r.slot = NULL;
		r.seq = (uint64_t)(int64_t)rc;
	}
	return r;
}

/*
 * The publisher's slow path, reached when seq >= limit: a bounded channel
 * at its cached limit, any MPMC handle, or a ring whose capacity is not a
 * power of two (every publish: that case comes first and waits for
 * nothing, so it stays short).
 */
PHOTON_API struct photon__room photon__publish_room(struct photon_publisher *p,
						    int wait)
{
	uint64_t s = PHOTON__LOAD(&p->seq, PHOTON__RELAXED);

	if (PHOTON__LIKELY(!p->mpmc && s < p->gate)) {
		struct photon__room r = {
			photon__slot_at(p->slots, &p->index, p->stride, s), s
		};
		return r;
	}
	return room_wait(p, wait);
}

/* The exported publish for sizes PHOTON__BY_SIZE does not unroll. */
static __attribute__((noinline)) int publish_any(struct photon_publisher *p,
						 const void *msg, int wait)
{
	return photon__publish_n(p, msg, p->msg_size, wait);
}

PHOTON_API int photon_publish(struct photon_publisher *p, const void *msg)
{
	if (PHOTON__UNLIKELY(!p || !msg))
		return PHOTON_EINVAL;
#define PUBLISH(n) photon__publish_n(p, msg, n, 1)
	PHOTON__BY_SIZE(p->msg_size, PUBLISH, publish_any(p, msg, 1))
#undef PUBLISH
}

PHOTON_API int photon_try_publish(struct photon_publisher *p, const void *msg)
{
	if (PHOTON__UNLIKELY(!p || !msg))
		return PHOTON_EINVAL;
#define TRY_PUBLISH(n) photon__publish_n(p, msg, n, 0)
	PHOTON__BY_SIZE(p->msg_size, TRY_PUBLISH, publish_any(p, msg, 0))
#undef TRY_PUBLISH
}

PHOTON_API int photon_publish_batch(struct photon_publisher *p,
				    const void *msgs, size_t count)
{
	const unsigned char *m = msgs;
	size_t i;

	if (!p || (!msgs && count))
		return PHOTON_EINVAL;
	/*
	 * One full publish per message: the cursor moves after each (a reader
	 * that subscribes mid-batch never sees older messages) and each one
	 * passes the gate.
	 */
	for (i = 0; i < count; i++) {
		int rc =
		    photon__publish_n(p, m + i * p->msg_size, p->msg_size, 1);
		if (rc != PHOTON_OK)
			return rc;
	}
	return PHOTON_OK;
}

/* A hole at sequence t: W1..W4 as for a message, the payload one word, the
 * sequence after the gap, and the complete stamp marked. */
static void hole_write(unsigned char *slot, uint64_t t, uint64_t end)
{
	struct photon__atomic64 *stamp = photon__slot_stamp(slot);
	uint64_t *w = (uint64_t *)(slot + PHOTON_SLOT_PAYLOAD_OFFSET);

	PHOTON__STORE(stamp, 2 * t + 1, PHOTON__RELAXED); /* W1 */
#if !PHOTON__TSAN
	__atomic_thread_fence(__ATOMIC_RELEASE); /* W2 */
#endif
	__atomic_store_n(w, end, PHOTON__PAYLOAD_STORE); /* W3 */
	PHOTON__TEST_POINT(PHOTON__TP_HOLE_WRITING, slot);
	PHOTON__STORE(stamp, (2 * t + 2) | PHOTON__HOLE,
		      PHOTON__RELEASE); /* W4 */
}

PHOTON_API int photon_publish_gap(struct photon_publisher *p, uint64_t count)
{
	uint64_t s, end, t;

	if (!p)
		return photon__fail(PHOTON_EINVAL,
				    "photon_publish_gap: NULL publisher");
	if (p->channel->flags & (PHOTON_BOUNDED | PHOTON_MPMC))
		return photon__fail(PHOTON_ENOTSUP,
				    "photon_publish_gap: a gap is for lossy "
				    "single-publisher channels (bounded and "
				    "MPMC readers are promised every message)");
	if (count == 0)
		return PHOTON_OK;
	s = PHOTON__LOAD(&p->seq, PHOTON__RELAXED);
	if (count > (UINT64_C(1) << 62) - s)
		return photon__fail(PHOTON_EINVAL,
				    "photon_publish_gap: %" PRIu64
				    " messages from sequence %" PRIu64
				    " pass 2^62",
				    count, s);
	end = s + count;
	/* Only the last lap of the gap can still be read: a reader further
	 * back is lapped (LAGGED to the oldest hole), then meets a hole. */
	for (t = count > p->index.capacity ? end - p->index.capacity : s;
	     t < end; t++)
		hole_write(photon__slot_at(p->slots, &p->index, p->stride, t),
			   t, end);
	PHOTON__STORE(&p->line->cursor, end - 1, PHOTON__RELEASE); /* W5 */
	photon__wake_parked(p, p->line);
	PHOTON__STORE(&p->seq, end, PHOTON__RELAXED);
	return PHOTON_OK;
}

PHOTON_API uint64_t photon_publisher_sequence(const struct photon_publisher *p)
{
	return p ? PHOTON__LOAD(&p->seq, PHOTON__RELAXED) : 0;
}

PHOTON_API struct photon_channel *
photon_publisher_channel(const struct photon_publisher *p)
{
	return p ? p->channel : NULL;
}
