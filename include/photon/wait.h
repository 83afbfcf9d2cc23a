/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Wait strategies for the blocking receives (photon_recv_with,
 * photon_group_recv_with). A strategy only decides what a reader does
 * between two empty polls; it never changes what is delivered.
 */
#ifndef PHOTON_WAIT_H
#define PHOTON_WAIT_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

/** What a reader does between two empty polls. */
enum photon_wait_kind {
	/**
	 * Spin, then one PAUSE per poll, then bursts of PAUSEs: the default.
	 * spin_iters bare polls (default 64), then yield_iters polls with one
	 * PAUSE each (default 64), then 64 PAUSEs between polls.
	 */
	PHOTON_WAIT_ADAPTIVE = 0,
	/**
	 * Bare spin: lowest wake-up latency, burns the core and its sibling.
	 */
	PHOTON_WAIT_BUSY_SPIN = 1,
	/** One PAUSE (x86) / YIELD (AArch64) per poll. */
	PHOTON_WAIT_YIELD_SPIN = 2,
	/** 1, 2, 4 ... 64 PAUSEs between polls, doubling while empty. */
	PHOTON_WAIT_BACKOFF_SPIN = 3,
	/**
	 * Spin and PAUSE like ADAPTIVE, then wait in hardware for a store to
	 * the next slot's stamp: MONITORX/MWAITX (AMD), UMONITOR/UMWAIT
	 * (Intel WAITPKG), an exclusive load + WFE (AArch64) or LR.D +
	 * WRS.STO (RISC-V Zawrs, when the kernel reports it), each bounded
	 * (~100k cycles) and re-checking the stamp after arming. Where the
	 * CPU has none (photon_wait_monitor_name() says "none") it behaves as
	 * ADAPTIVE. Saves power and the sibling hyperthread, not the core.
	 */
	PHOTON_WAIT_MONITOR = 4,
	/**
	 * Spin and PAUSE like ADAPTIVE, then sleep on a futex until the
	 * publisher makes a message visible or closes the channel. Frees the
	 * core; wake-up costs a few microseconds. The publisher pays one load
	 * of a flag on a line it owns unless a reader is parked.
	 */
	PHOTON_WAIT_PARK = 5
};

/**
 * A wait strategy. A zeroed struct, a NULL pointer and zero iteration counts
 * all mean the default (adaptive, 64 + 64). Another kind is PHOTON_EINVAL.
 * Grows only at the end, into `reserved`, which must be zero.
 */
struct photon_wait {
	enum photon_wait_kind kind; /**< the strategy */
	uint32_t spin_iters;	    /**< bare polls first; 0: 64 */
	uint32_t yield_iters;	    /**< then polls with a PAUSE each; 0: 64 */
	uint32_t reserved[5];	    /**< zero: room to grow */
};

/** Name of a strategy ("adaptive", ...); never NULL. */
PHOTON_API const char *photon_wait_name(enum photon_wait_kind kind);

/** The hardware wait PHOTON_WAIT_MONITOR uses on this CPU: "mwaitx",
 * "umwait", "wfe", "wrs" (RISC-V Zawrs) or "none". Never NULL. Thread-safe. */
PHOTON_API const char *photon_wait_monitor_name(void);

/**
 * One pause of strategy w (NULL: the default) at empty poll `step` (0, 1,
 * 2, ... since the last message): what photon_recv_with does between two
 * polls while it spins, for pollers with their own idle policy (one that
 * watches several subscribers, or sleeps on its own terms). It never
 * sleeps, parks or waits in hardware: past their spin budget ADAPTIVE,
 * MONITOR and PARK pause in bursts instead. An unknown kind pauses as
 * ADAPTIVE. Any thread.
 */
PHOTON_API void photon_wait_pause(const struct photon_wait *w, uint32_t step);

/** CLOCK_MONOTONIC in nanoseconds, the clock of the *_deadline receives. */
PHOTON_API uint64_t photon_monotonic_ns(void);

PHOTON__EXTERN_C_END

#endif /* PHOTON_WAIT_H */
