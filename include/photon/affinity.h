/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Core affinity and the topology a latency-sensitive program needs: pin a
 * thread to a CPU, list the CPUs of a NUMA node, pick a CPU that shares a
 * cache with another (or one that shares none), and pin a thread next to a
 * channel's memory.
 *
 * CPUs are OS CPU numbers (logical CPUs: each hyperthread is one). The
 * *available* CPUs are those the process may use, captured once when the
 * library is loaded from the loading thread's affinity (its cpuset, or what
 * `taskset` gave it): pinning threads later never shrinks the list.
 *
 * Built with hwloc, topology and binding go through hwloc; without it (or
 * when hwloc cannot load the topology) through sched_setaffinity and sysfs.
 * Same ABI either way; photon_affinity_backend() says which is in use.
 *
 * Thread contract: every function is thread-safe; the pin functions change
 * only the calling thread's affinity.
 */
#ifndef PHOTON_AFFINITY_H
#define PHOTON_AFFINITY_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_channel;

/**
 * Pins the calling thread to OS CPU `cpu`. Returns PHOTON_OK, PHOTON_EINVAL
 * for a CPU that is not available (out of range, offline, outside the
 * cpuset), or PHOTON_ESYS (errno) when the OS refuses.
 */
PHOTON_API int photon_pin_to_core(unsigned cpu);

/**
 * Pins the calling thread to the index-th available CPU (the order of
 * photon_available_cores). PHOTON_EINVAL when index >= photon_core_count().
 */
PHOTON_API int photon_pin_to_core_index(size_t index);

/** Number of available CPUs (>= 1 on a working system). */
PHOTON_API size_t photon_core_count(void);

/**
 * Writes up to max available CPUs, ascending, to cpus; returns how many it
 * wrote (0 for NULL or max 0). photon_core_count() entries hold them all.
 */
PHOTON_API size_t photon_available_cores(unsigned *cpus, size_t max);

/**
 * Lets the calling thread run on every available CPU again (undoes a pin).
 * Returns PHOTON_OK or PHOTON_ESYS (errno).
 */
PHOTON_API int photon_unpin(void);

/**
 * Writes up to max available CPUs of NUMA node `node`, ascending; returns how
 * many it wrote (>= 0), or PHOTON_EINVAL for a node that does not exist.
 * Needs neither libnuma nor hwloc (sysfs without them).
 */
PHOTON_API int photon_numa_node_cores(int node, unsigned *cpus, size_t max);

/** Flags of photon_core_sharing_cache(). */
enum photon_core_flags {
	/** Skip SMT siblings of the CPU (hyperthreads of the same core). */
	PHOTON_CORE_OTHER_PHYSICAL = 1u << 0
};

/**
 * The available CPU, other than `cpu`, that shares the most cache with it:
 * the one sharing the lowest-level data or unified cache (an SMT sibling
 * shares L1; another core of the die usually L3), the lowest number on a tie.
 * Where a publisher and a subscriber should run to pass cache lines fastest.
 * Returns the CPU (>= 0), PHOTON_EINVAL when `cpu` is not available, or
 * PHOTON_ENOTSUP when no other available CPU shares a cache with it (or the
 * machine reports no caches).
 */
PHOTON_API int photon_core_sharing_cache(unsigned cpu, unsigned flags);

/**
 * An available CPU that shares no cache with `cpu` (another die or socket),
 * the lowest number: where a noisy thread disturbs `cpu` least. Returns the
 * CPU (>= 0), PHOTON_EINVAL when `cpu` is not available, or PHOTON_ENOTSUP
 * when every available CPU shares a cache with it (or the machine reports
 * no caches).
 */
PHOTON_API int photon_core_sharing_no_cache(unsigned cpu);

/**
 * Lets the calling thread run only on the available CPUs of the NUMA node
 * that holds the channel's ring (photon_channel_numa_node). Returns that
 * node (>= 0), PHOTON_EINVAL (NULL), PHOTON_EMPTY (the ring's node is not
 * known yet), PHOTON_ENOTSUP (no libnuma, or the node has no available
 * CPU), or PHOTON_ESYS (errno).
 */
PHOTON_API int photon_pin_near_channel(const struct photon_channel *ch);

/** "hwloc" or "sysfs": where the topology comes from. Never NULL. */
PHOTON_API const char *photon_affinity_backend(void);

PHOTON__EXTERN_C_END

#endif /* PHOTON_AFFINITY_H */
