/* SPDX-License-Identifier: MIT */
/*
 * Test-only interleaving points. The library shipped to users is built
 * without PHOTON_TESTING, and every PHOTON__TEST_POINT compiles to nothing.
 * The test build (the photonring_testing object library) calls the hook a
 * test installs at each named point, so a test can run another thread's steps
 * at exactly that point (or from its own thread, synchronously) and force an
 * interleaving that a stress test would reach once in a million runs. Tests
 * never synchronise on sleeps.
 */
#ifndef PHOTON_TESTING_H
#define PHOTON_TESTING_H

#include <stdint.h>

enum photon__test_point {
	/* backpressure.c, photon__gate_claim (bounded MPMC). arg: channel.
	 * FULL: a producer saw next >= mp_limit and heads for the lock.
	 * LOCKED: under gate_lock, next re-read, before the rescan.
	 * RESCANNED: the rescan stored mp_limit; gate_lock released. */
	PHOTON__TP_CLAIM_FULL,
	PHOTON__TP_CLAIM_LOCKED,
	PHOTON__TP_CLAIM_RESCANNED,
	/* subscriber.c, photon_latest: the slot of the cursor did not hold the
	 * cursor's message; about to try again. arg: subscriber. */
	PHOTON__TP_LATEST_RETRY,
	/* wait.c: a blocking receive polled EMPTY and is about to take one
	 * wait step (spin, monitor, park). arg: subscriber. */
	PHOTON__TP_READER_PAUSE,
	/* cpu.c: the monitor is armed, the re-check found the stamp below
	 * what the reader wants, the hardware wait comes next. arg: the
	 * stamp address. */
	PHOTON__TP_MONITOR_SLEEP,
	/* wait.c, park: the futex wait comes next. arg: the timeout
	 * (const struct timespec *), NULL when it sleeps without one. */
	PHOTON__TP_PARK_SLEEP,
	/* wait.c, park: the futex wait returned. arg: int *, 0 when it was
	 * woken or the word had changed (EAGAIN), else its errno
	 * (ETIMEDOUT: the slice ran out; EINTR). */
	PHOTON__TP_PARK_WOKE,
	/* shm.c, photon__shm_probe_publishers: an entry of the publisher
	 * table was read (pid and start), its liveness is checked next.
	 * arg: channel. */
	PHOTON__TP_PROBE_PUBLISHER,
	/* fd.c: a reader with a descriptor found EMPTY and was disarmed; it
	 * arms next (K0, barrier, re-check). arg: subscriber. */
	PHOTON__TP_FD_ARMING,
	/* fd.c: a reader was disarmed (by the publisher, or by itself); the
	 * write to its descriptor comes next. arg: its private state. */
	PHOTON__TP_FD_DISARMED,
	/* channel.c, photon_publish_gap: a hole's odd stamp and its payload
	 * are written, its complete stamp (W4) comes next. arg: the slot. */
	PHOTON__TP_HOLE_WRITING
};

typedef void (*photon__test_hook_fn)(enum photon__test_point point, void *arg);
typedef uint64_t (*photon__test_clock_fn)(void);

#ifdef PHOTON_TESTING
/* Installed by a test before the threads it drives start; NULL: no hook. */
extern photon__test_hook_fn photon__test_hook;
/* Replaces CLOCK_MONOTONIC for the library's clock (stall timeouts,
 * receive deadlines); NULL: the real clock. */
extern photon__test_clock_fn photon__test_clock;

#define PHOTON__TEST_POINT(point, arg)                                     \
	do {                                                               \
		photon__test_hook_fn h_ =                                  \
		    __atomic_load_n(&photon__test_hook, __ATOMIC_ACQUIRE); \
		if (h_)                                                    \
			h_((point), (void *)(arg));                        \
	} while (0)
#else
#define PHOTON__TEST_POINT(point, arg) ((void)0)
#endif

#endif /* PHOTON_TESTING_H */
