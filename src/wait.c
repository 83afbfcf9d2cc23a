/* SPDX-License-Identifier: MIT */
/*
 * Wait strategies and the blocking receives built on them. A strategy is a
 * small state machine stepped once per empty poll. The spin strategies make
 * no system call; MONITOR uses a hardware wait on the next slot's stamp;
 * PARK sleeps on a futex and is woken by the publisher.
 *
 * The park handshake (no lost wake-up), labels as in channel.h:
 *
 *   reader                                 publisher
 *   K0  parked += 1 (seq_cst)              W4  stamp = 2s+2 (release)
 *   K3  membarrier(PRIVATE_EXPEDITED)      W5  cursor = s (release)
 *   K2  w = wake (acquire)                 P1  compiler barrier
 *       stamp >= 2c+2 or closed? return    P2  if (parked) {
 *       futex_wait(&wake, w)               K1    wake += 1 (release)
 *       parked -= 1                              futex_wake(&wake) }
 *
 * K3 is a full barrier on every CPU running a thread of the process, so it
 * stands in for the fence the publisher does not pay between W4 and P2
 * (asymmetric Dekker): either P2 sees K0 and wakes, or the reader's stamp
 * check sees W4 and does not sleep. If P2 wakes between K2 and the futex
 * call, the kernel sees wake != w and returns at once. Closing wakes too.
 * Where membarrier is unavailable, or K3 fails (ENOMEM, a seccomp filter),
 * the reader sleeps at most 100 us at a time instead, so a missed wake-up
 * costs latency, never a hang.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "internal.h"
#include "testing.h"

#define DEFAULT_SPIN  64
#define DEFAULT_YIELD 64
#define MAX_BURST     64
/* A monitor wait's bound (cycles): short enough to notice a close. */
#define MONITOR_CYCLES 100000u
/* A publisher waiting for room sleeps this long once its spin is spent. */
#define PUBLISHER_SLEEP_NS 2000
/* Sleep slice of a park without membarrier. */
#define FALLBACK_PARK_NS 100000u
/* Sleep slice of a park on a shared channel: its publisher may die, and a
 * dead one wakes nobody; between slices the reader probes it. */
#define SHM_PARK_NS 20000000u

PHOTON_API const char *photon_wait_name(enum photon_wait_kind kind)
{
	switch (kind) {
	case PHOTON_WAIT_ADAPTIVE:
		return "adaptive";
	case PHOTON_WAIT_BUSY_SPIN:
		return "busy-spin";
	case PHOTON_WAIT_YIELD_SPIN:
		return "yield-spin";
	case PHOTON_WAIT_BACKOFF_SPIN:
		return "backoff-spin";
	case PHOTON_WAIT_MONITOR:
		return "monitor";
	case PHOTON_WAIT_PARK:
		return "park";
	}
	return "unknown";
}

PHOTON_API const char *photon_wait_monitor_name(void)
{
	switch (photon__monitor_kind()) {
	case PHOTON__MONITOR_MWAITX:
		return "mwaitx";
	case PHOTON__MONITOR_UMWAIT:
		return "umwait";
	case PHOTON__MONITOR_WFE:
		return "wfe";
	case PHOTON__MONITOR_WRS:
		return "wrs";
	default:
		return "none";
	}
}

PHOTON_API uint64_t photon_monotonic_ns(void)
{
	return photon__now_ns();
}

int photon__waiter_init(struct photon__waiter *wt, const struct photon_wait *w)
{
	wt->kind = w ? (unsigned)w->kind : PHOTON_WAIT_ADAPTIVE;
	wt->spin = w && w->spin_iters ? w->spin_iters : DEFAULT_SPIN;
	wt->yield = w && w->yield_iters ? w->yield_iters : DEFAULT_YIELD;
	wt->step = 0;
	if (wt->kind > PHOTON_WAIT_PARK)
		return PHOTON_EINVAL;
	if (w) { /* the struct grows into reserved: it must be zero */
		size_t i;

		for (i = 0; i < sizeof(w->reserved) / sizeof(w->reserved[0]);
		     i++)
			if (w->reserved[i])
				return PHOTON_EINVAL;
	}
	return PHOTON_OK;
}

static void pause_n(uint32_t n)
{
	while (n--)
		photon__cpu_relax();
}

/* The spin part every strategy shares; returns 1 once past the budget. */
static int spin_step(struct photon__waiter *wt, uint32_t step)
{
	switch (wt->kind) {
	case PHOTON_WAIT_BUSY_SPIN:
		return 0; /* the next poll follows at once */
	case PHOTON_WAIT_YIELD_SPIN:
		photon__cpu_relax();
		return 0;
	case PHOTON_WAIT_BACKOFF_SPIN:
		pause_n(step < 6 ? 1u << step : MAX_BURST);
		return 0;
	default: /* adaptive, monitor, park: spin, then PAUSE, then ... */
		if (step < wt->spin)
			return 0;
		if (step - wt->spin < wt->yield) {
			photon__cpu_relax();
			return 0;
		}
		return 1;
	}
}

/*
 * One pause of the spin phase of strategy w at empty poll `step`: never a
 * sleep, park or monitor wait (the kinds that have one burst PAUSEs past
 * their budget instead). For pollers with their own idle policy, the
 * topology's stage threads among them (photon/wait.h).
 */
PHOTON_API void photon_wait_pause(const struct photon_wait *w, uint32_t step)
{
	struct photon__waiter wt;

	photon__waiter_init(&wt, w); /* an unknown kind spins as adaptive */
	if (spin_step(&wt, step))
		pause_n(MAX_BURST);
}

/*
 * The publisher's wait for room in a bounded channel (no reader to watch):
 * the adaptive spin, then PAUSE bursts, then short sleeps. A full ring means
 * the consumers are behind; with more threads than cores they may need this
 * very CPU to catch up, which a spinning or sched_yield-ing publisher would
 * deny them for a whole time slice.
 */
void photon__waiter_pause(struct photon__waiter *wt)
{
	uint32_t step = wt->step;

	if (step < UINT32_MAX)
		wt->step = step + 1;
	if (!spin_step(wt, step))
		return;
	if (step - wt->spin - wt->yield < MAX_BURST) {
		pause_n(MAX_BURST);
	} else {
		struct timespec ts = { 0, PUBLISHER_SLEEP_NS };
		nanosleep(&ts, NULL);
	}
}

/* ---- park ---- */

static int membarrier_ok;
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;

static void membarrier_register(void)
{
	membarrier_ok =
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
		    0, 0) == 0;
}

/*
 * Shared channels: the publisher's process registers for the global
 * expedited barrier when it opens a publisher (channel.c); a parking
 * reader in any process then issues MEMBARRIER_CMD_GLOBAL_EXPEDITED, which
 * is a full barrier on every CPU running a thread of a registered process.
 * Returns 0 when registration failed (old kernel, seccomp filter).
 */
int photon__membarrier_register_global(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
		       0, 0) == 0;
}

void photon__futex_wake(struct photon__atomic32 *word, int shared)
{
	syscall(SYS_futex, PHOTON__ADDR(word),
		shared ? FUTEX_WAKE : FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
		0);
}

/*
 * K3 for a reader of ch: 0 when the barrier ran, so the Dekker argument
 * holds and the reader may sleep until woken; otherwise it sleeps in
 * slices. A shared channel needs the global barrier, and every publisher's
 * process registered for it (they all set park_unsafe otherwise).
 */
int photon__membarrier_private_ok(void)
{
	pthread_once(&membarrier_once, membarrier_register);
	return membarrier_ok;
}

int photon__park_barrier(const struct photon_subscriber *s)
{
	if (!s->shm) {
		return photon__membarrier_private_ok()
			   ? (int)syscall(SYS_membarrier,
					  MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0,
					  0)
			   : -1;
	}
	/* After K0: sees a registration failure that came before the
	 * publisher's open-time RMW of `parked` (verify/park.pml, SHM). */
	if (PHOTON__LOAD(&s->channel->sh->park_unsafe, PHOTON__SEQ_CST))
		return -1;
	return (int)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0,
			    0);
}

static const struct photon__atomic64 *next_stamp(struct photon_subscriber *s,
						 uint64_t *want)
{
	uint64_t c = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);

	*want = 2 * c + 2;
	return photon__slot_stamp(
	    photon__slot_at(s->slots, &s->index, s->stride, c));
}

/* Something to do: the next slot was written (or reused), or closed. */
int photon__reader_ready(struct photon_subscriber *s)
{
	uint64_t want;
	const struct photon__atomic64 *stamp = next_stamp(s, &want);

	/* A hole's stamp orders by its sequence, not by its marking bit. */
	return (PHOTON__LOAD(stamp, PHOTON__ACQUIRE) & ~PHOTON__HOLE) >= want ||
	       PHOTON__LOAD(&s->channel->sh->closed, PHOTON__ACQUIRE);
}

/* Sleeps while *word == w, at most *tsp (NULL: until woken). */
static void futex_sleep(struct photon__atomic32 *word, uint32_t w,
			const struct timespec *tsp, int shared)
{
	long r =
	    syscall(SYS_futex, PHOTON__ADDR(word),
		    shared ? FUTEX_WAIT : FUTEX_WAIT_PRIVATE, w, tsp, NULL, 0);
	int err = r == 0 || errno == EAGAIN ? 0 : errno;

	PHOTON__TEST_POINT(PHOTON__TP_PARK_WOKE, &err);
	(void)err;
}

static void park(struct photon_subscriber *s, uint64_t deadline)
{
	struct photon__cursor_line *line = s->line;
	struct timespec ts, *tsp = NULL;
	uint64_t slice = 0;
	uint32_t w;

	PHOTON__FETCH_ADD(&line->parked, 1, PHOTON__SEQ_CST); /* K0 */
	/* Shared channels: after K0, so that a reclaim of this consumer
	 * (its process killed asleep) takes back only a count it added; a
	 * kill between the two leaves one count too many: the publisher's
	 * wake-ups stay correct, only slower. */
	if (s->tracker && s->shm)
		PHOTON__STORE(&s->tracker->parked, 1, PHOTON__RELAXED);
	/* K3. If it fails (ENOMEM, a seccomp filter) the Dekker argument is
	 * void: sleep in bounded slices, as without membarrier at all. */
	if (photon__park_barrier(s) != 0)
		slice = FALLBACK_PARK_NS;
	else if (s->shm) /* the liveness probe runs between slices */
		slice = SHM_PARK_NS;
	w = PHOTON__LOAD(&line->wake, PHOTON__ACQUIRE); /* K2 */
	if (!photon__reader_ready(s)) {
		if (deadline) {
			uint64_t now = photon__now_ns();
			uint64_t left = deadline > now ? deadline - now : 1;
			if (!slice || left < slice)
				slice = left;
		}
		if (slice) {
			ts.tv_sec = (time_t)(slice / 1000000000u);
			ts.tv_nsec = (long)(slice % 1000000000u);
			tsp = &ts;
		}
		PHOTON__TEST_POINT(PHOTON__TP_PARK_SLEEP, tsp);
		futex_sleep(&line->wake, w, tsp, s->shm);
	}
	if (s->tracker && s->shm)
		PHOTON__STORE(&s->tracker->parked, 0, PHOTON__RELAXED);
	PHOTON__FETCH_SUB(&line->parked, 1, PHOTON__RELAXED);
}

/* One wait step of a reader, after an empty poll. */
static void reader_pause(struct photon__waiter *wt, struct photon_subscriber *s,
			 uint64_t deadline)
{
	uint32_t step = wt->step;
	uint64_t want;
	const struct photon__atomic64 *stamp;

	if (step < UINT32_MAX)
		wt->step = step + 1;
	if (!spin_step(wt, step))
		return;
	PHOTON__TEST_POINT(PHOTON__TP_READER_PAUSE, s);
	switch (wt->kind) {
	case PHOTON_WAIT_PARK:
		park(s, deadline);
		/* A dead publisher wakes nobody: between slices the reader
		 * looks (photon_try_recv's count is slow at one per slice). */
		if (s->shm)
			photon__shm_idle_check(s);
		return;
	case PHOTON_WAIT_MONITOR:
		/* Waits while the stamp is below the one this reader wants,
		 * never on a reloaded value: a message that landed since the
		 * empty poll is then not slept through. */
		stamp = next_stamp(s, &want);
		photon__monitor_wait(PHOTON__ADDR(stamp), want, MONITOR_CYCLES);
		return;
	default:
		pause_n(MAX_BURST);
		return;
	}
}

/*
 * The blocking receive: PHOTON_OK, PHOTON_CLOSED, or PHOTON_EMPTY once
 * `deadline` (CLOCK_MONOTONIC ns; 0: none) has passed.
 */
static int recv_until(struct photon_subscriber *s, void *out,
		      const struct photon_wait *w, uint64_t deadline)
{
	struct photon__waiter wt;

	if (!s || !out || photon__waiter_init(&wt, w) != PHOTON_OK)
		return PHOTON_EINVAL;
	for (;;) {
		/* The exported receive: its copy is unrolled for the usual
		 * sizes, where this loop's would run over a run-time size. */
		int rc = photon_try_recv(s, out);

		if (rc == PHOTON_OK || rc == PHOTON_CLOSED)
			return rc;
		/* Counted in the subscriber. The deadline still holds: a run
		 * of LAGGED (a segment's writer can make one) ends too. */
		if (rc == PHOTON_LAGGED &&
		    (!deadline || photon__now_ns() < deadline))
			continue;
		if (rc == PHOTON_LAGGED)
			return PHOTON_EMPTY;
		/* The clock is read every 64 spins, and before every long
		 * wait (park, monitor, PAUSE burst). */
		if (deadline &&
		    ((wt.step & 63) == 0 || wt.step >= wt.spin + wt.yield) &&
		    photon__now_ns() >= deadline)
			return PHOTON_EMPTY;
		reader_pause(&wt, s, deadline);
	}
}

PHOTON_API int photon_recv_with(struct photon_subscriber *s, void *out,
				const struct photon_wait *w)
{
	return recv_until(s, out, w, 0);
}

PHOTON_API int photon_recv(struct photon_subscriber *s, void *out)
{
	/* A message already waiting costs one receive, no wait set-up. */
	int rc = photon_try_recv(s, out);

	if (rc == PHOTON_OK || rc == PHOTON_CLOSED || rc == PHOTON_EINVAL)
		return rc;
	return recv_until(s, out, NULL, 0);
}

PHOTON_API int photon_recv_deadline(struct photon_subscriber *s, void *out,
				    const struct photon_wait *w,
				    uint64_t deadline_ns)
{
	/* 0 would mean "no deadline" inside: it is long past anyway. */
	return recv_until(s, out, w, deadline_ns ? deadline_ns : 1);
}

PHOTON_API int photon_recv_timeout(struct photon_subscriber *s, void *out,
				   const struct photon_wait *w,
				   uint64_t timeout_ns)
{
	uint64_t now = photon__now_ns();
	uint64_t deadline =
	    timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;

	return recv_until(s, out, w, deadline);
}

PHOTON_API int photon_group_recv_deadline(struct photon_group *g, void *out,
					  const struct photon_wait *w,
					  uint64_t deadline_ns)
{
	return photon_recv_deadline(g ? &g->sub : NULL, out, w, deadline_ns);
}

PHOTON_API int photon_group_recv_timeout(struct photon_group *g, void *out,
					 const struct photon_wait *w,
					 uint64_t timeout_ns)
{
	return photon_recv_timeout(g ? &g->sub : NULL, out, w, timeout_ns);
}
