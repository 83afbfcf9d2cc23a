/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Memory placement of a channel's ring: huge pages, locking, prefaulting and
 * NUMA nodes.
 *
 * The creation flags (struct photon_opts) choose how the ring is mapped:
 *
 * @code{.unparsed}
 *   PHOTON_HUGEPAGES  2 MiB hugetlb pages (MAP_HUGETLB), strict: with none
 *                     free the create fails with PHOTON_ENOMEM and a detail
 *                     naming /proc/sys/vm/nr_hugepages.
 *   PHOTON_THP        transparent huge pages (madvise(MADV_HUGEPAGE)), best
 *                     effort; with PHOTON_HUGEPAGES it is the fallback. The
 *                     ring is populated at creation so the kernel's choice
 *                     is known.
 *   PHOTON_MLOCK      photon_publisher_mlock() at creation.
 *   PHOTON_PREFAULT   photon_publisher_prefault() at creation.
 *   PHOTON_NUMA       the ring's pages on node opts.numa_node (bound before
 *                     the first touch); needs libnuma at build time.
 * @endcode
 *
 * With a huge page flag the ring size is rounded up to 2 MiB, otherwise to
 * the base page size. photon_channel_page_size() (channel.h) reports the page
 * size the ring really got: 2 MiB for hugetlb, 2 MiB for THP only when
 * /proc/self/smaps shows the whole ring backed by huge pages, else the base
 * page size.
 *
 * Feature availability is asked at run time: in a build without libnuma the
 * NUMA calls return PHOTON_ENOTSUP, with the same ABI.
 */
#ifndef PHOTON_MEM_H
#define PHOTON_MEM_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_channel;
struct photon_publisher;

/**
 * Locks the ring in RAM (mlock): its pages are faulted in now and never
 * swapped out. Any time, any number of times. Returns PHOTON_OK,
 * PHOTON_EINVAL (NULL), PHOTON_ENOMEM when RLIMIT_MEMLOCK (ulimit -l) is too
 * low for the ring (the detail says how to raise it), or PHOTON_ESYS with
 * errno from mlock. hugetlb pages are never swapped, so for them it only
 * faults the pages in. Called by the publisher's thread.
 */
PHOTON_API int photon_publisher_mlock(struct photon_publisher *p);

/**
 * Faults in every page of the ring for writing, so the first publishes take
 * no page fault. Never changes a byte of the ring. Only before first use:
 * PHOTON_EBUSY once anything was published or any subscriber or group was
 * created. Returns PHOTON_OK, PHOTON_EINVAL (NULL), PHOTON_EBUSY or
 * PHOTON_ENOMEM (no memory, or no huge page, to fault in). Called by the
 * publisher's thread.
 */
PHOTON_API int photon_publisher_prefault(struct photon_publisher *p);

/**
 * Number of NUMA nodes with memory (>= 1), or PHOTON_ENOTSUP without
 * libnuma or NUMA support in the kernel. Thread-safe.
 */
PHOTON_API int photon_numa_node_count(void);

/**
 * NUMA node (>= 0) of OS CPU `cpu`, PHOTON_EINVAL for a CPU that does not
 * exist, PHOTON_ENOTSUP without libnuma. Thread-safe.
 */
PHOTON_API int photon_numa_node_of_cpu(unsigned cpu);

/**
 * The calling thread's memory policy: new pages it touches come from `node`
 * while that node has free memory (MPOL_PREFERRED), elsewhere otherwise.
 * Returns PHOTON_OK, PHOTON_EINVAL (no such node, or not allowed by the
 * cpuset), PHOTON_ENOTSUP without libnuma, PHOTON_ESYS (errno).
 */
PHOTON_API int photon_numa_set_preferred(int node);

/**
 * The calling thread's memory policy back to the default (local node).
 * Returns PHOTON_OK, PHOTON_ENOTSUP without libnuma, PHOTON_ESYS (errno).
 */
PHOTON_API int photon_numa_reset_policy(void);

/**
 * NUMA node (>= 0) of the channel's ring: the node holding most of its
 * resident pages (move_pages), or, with none resident yet, the node its
 * memory policy binds it to (PHOTON_NUMA). PHOTON_EMPTY when neither is
 * known yet (nothing touched, no policy: the first touch decides),
 * PHOTON_EINVAL (NULL), PHOTON_ENOTSUP without libnuma, PHOTON_ESYS (errno).
 * Thread-safe; never touches the ring.
 */
PHOTON_API int photon_channel_numa_node(const struct photon_channel *ch);

PHOTON__EXTERN_C_END

#endif /* PHOTON_MEM_H */
