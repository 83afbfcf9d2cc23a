/* SPDX-License-Identifier: MIT */
/*
 * Ring memory: mapping (base pages, hugetlb, transparent huge pages), NUMA
 * binding, locking and prefaulting, and the NUMA helpers.
 *
 * Anonymous mmap gives page-aligned, zeroed memory (every stamp starts at 0,
 * "never written") whose pages are only faulted in when first touched. That
 * is why the NUMA policy is set right after mmap: the node of a page is
 * chosen when it is first faulted in, so binding later would not move what
 * prefault or mlock already placed.
 *
 * A base-page or THP ring sits between two PROT_NONE guard pages. They stop
 * a stray write past the ring, and they keep the kernel from merging the
 * ring's mapping with a neighbour, so the ring's own line in
 * /proc/self/smaps says how it is backed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#if PHOTON_HAVE_NUMA
#include <numa.h>
#include <numaif.h>
#endif

#include "internal.h"

#define HUGE_2M ((size_t)2 << 20)

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif
/* Linux 5.14; older kernels say EINVAL and the pages are touched instead. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t base_page_size(void)
{
	long v = sysconf(_SC_PAGESIZE);

	return v > 0 ? (size_t)v : 4096;
}

/* Rounds n up to a multiple of the power of two a; 0 on overflow. */
static size_t round_up(size_t n, size_t a)
{
	if (n > SIZE_MAX - (a - 1))
		return 0;
	return (n + a - 1) & ~(a - 1);
}

/* A "Name: value" number of a /proc file; -1 when absent. */
static long proc_value(const char *file, const char *name)
{
	FILE *f = fopen(file, "re");
	char line[256];
	size_t len = strlen(name);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * Why an mmap or mprotect said ENOMEM when memory was not the reason: the
 * process is at vm.max_map_count, the kernel's limit on its mappings. A
 * sentence for the detail, or "".
 */
const char *photon__map_count_hint(void)
{
	static _Thread_local char hint[160];
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	long max = -1, maps = 0;
	int c;

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	f = fopen("/proc/self/maps", "re");
	if (!f || max <= 0) {
		if (f)
			fclose(f);
		return "";
	}
	while ((c = getc(f)) != EOF)
		maps += c == '\n';
	fclose(f);
	if (maps + 16 < max)
		return "";
	snprintf(hint, sizeof(hint),
		 "; the process has %ld memory maps and vm.max_map_count is "
		 "%ld: raise it (sysctl -w vm.max_map_count=N)",
		 maps, max);
	return hint;
}

/*
 * 1 when /proc/self/smaps shows the whole mapping that holds addr backed by
 * transparent huge pages (AnonHugePages covers its Size).
 */
static int smaps_all_huge(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	uintptr_t a = (uintptr_t)addr;
	unsigned long long size = 0, huge = 0;
	int in = 0, seen_size = 0, seen_huge = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, kb;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = a >= lo && a < hi;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Size: %llu kB", &kb) == 1) {
			size = kb;
			seen_size = 1;
		} else if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) {
			huge = kb;
			seen_huge = 1;
		}
	}
	fclose(f);
	return seen_size && seen_huge && size > 0 && huge >= size;
}

/* THP size of this kernel (the PMD size), 2 MiB when it does not say. */
static size_t thp_page_size(void)
{
	FILE *f =
	    fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
	unsigned long long v = 0;

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v && (v & (v - 1)) == 0 ? (size_t)v : HUGE_2M;
}

/* ---- NUMA ---- */

#if PHOTON_HAVE_NUMA
/*
 * Node masks for the policy system calls: fixed size, more nodes than any
 * kernel supports today. The calls take the number of bits plus one.
 */
#define NODE_BITS 4096
#define LONG_BITS (8 * sizeof(unsigned long))
struct nodemask {
	unsigned long bits[NODE_BITS / LONG_BITS];
};

static int numa_ok(void)
{
	return numa_available() >= 0;
}

static int no_numa(void)
{
	return photon__fail(PHOTON_ENOTSUP, "this kernel has no NUMA support "
					    "(get_mempolicy failed)");
}

/* PHOTON_OK when node exists and this process may allocate on it. */
static int check_node(int node)
{
	int max;

	if (!numa_ok())
		return no_numa();
	max = numa_max_node();
	if (node < 0 || node > max || node >= NODE_BITS ||
	    !numa_all_nodes_ptr ||
	    !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node))
		return photon__fail(PHOTON_EINVAL,
				    "NUMA node %d does not exist or this "
				    "process may not allocate on it (nodes "
				    "0..%d; see /sys/devices/system/node and "
				    "the cpuset's mems)",
				    node, max);
	return PHOTON_OK;
}

static void nodemask_one(struct nodemask *m, int node)
{
	memset(m, 0, sizeof(*m));
	m->bits[(unsigned)node / LONG_BITS] |= 1ul
					       << ((unsigned)node % LONG_BITS);
}

/* The single node of a mask, -1 when it holds none or several. */
static int nodemask_single(const struct nodemask *m)
{
	int node = -1;
	unsigned i;

	for (i = 0; i < NODE_BITS; i++)
		if (m->bits[i / LONG_BITS] & (1ul << (i % LONG_BITS))) {
			if (node >= 0)
				return -1;
			node = (int)i;
		}
	return node;
}

static int bind_ring(void *addr, size_t len, int node)
{
	struct nodemask m;

	nodemask_one(&m, node);
	if (mbind(addr, len, MPOL_BIND, m.bits, NODE_BITS + 1, 0) != 0)
		return photon__fail_errno(
		    PHOTON_ESYS, errno,
		    "mbind of the ring to NUMA node %d failed: "
		    "%s",
		    node, strerror(errno));
	return PHOTON_OK;
}
#endif

PHOTON_API int photon_numa_node_count(void)
{
#if PHOTON_HAVE_NUMA
	int n;

	if (!numa_ok())
		return no_numa();
	n = numa_num_configured_nodes();
	return n > 0 ? n : 1;
#else
	return photon__fail(PHOTON_ENOTSUP,
			    "libphotonring was built without libnuma");
#endif
}

PHOTON_API int photon_numa_node_of_cpu(unsigned cpu)
{
#if PHOTON_HAVE_NUMA
	int node;

	if (!numa_ok())
		return no_numa();
	if (cpu >= (unsigned)numa_num_possible_cpus())
		node = -1;
	else
		node = numa_node_of_cpu((int)cpu);
	if (node < 0)
		return photon__fail(PHOTON_EINVAL,
				    "CPU %u does not exist (or is in no NUMA "
				    "node)",
				    cpu);
	return node;
#else
	(void)cpu;
	return photon__fail(PHOTON_ENOTSUP,
			    "libphotonring was built without libnuma");
#endif
}

PHOTON_API int photon_numa_set_preferred(int node)
{
#if PHOTON_HAVE_NUMA
	struct nodemask m;
	int rc = check_node(node);

	if (rc != PHOTON_OK)
		return rc;
	nodemask_one(&m, node);
	if (set_mempolicy(MPOL_PREFERRED, m.bits, NODE_BITS + 1) != 0)
		return photon__fail_errno(
		    PHOTON_ESYS, errno,
		    "set_mempolicy(MPOL_PREFERRED, node %d) "
		    "failed: %s",
		    node, strerror(errno));
	return PHOTON_OK;
#else
	(void)node;
	return photon__fail(PHOTON_ENOTSUP,
			    "libphotonring was built without libnuma");
#endif
}

PHOTON_API int photon_numa_reset_policy(void)
{
#if PHOTON_HAVE_NUMA
	if (!numa_ok())
		return no_numa();
	if (set_mempolicy(MPOL_DEFAULT, NULL, 0) != 0)
		return photon__fail_errno(
		    PHOTON_ESYS, errno,
		    "set_mempolicy(MPOL_DEFAULT) failed: %s", strerror(errno));
	return PHOTON_OK;
#else
	return photon__fail(PHOTON_ENOTSUP,
			    "libphotonring was built without libnuma");
#endif
}

#if PHOTON_HAVE_NUMA
/* Pages sampled by photon_channel_numa_node: first, last, evenly between. */
#define NODE_SAMPLES 256

static int ring_node(const struct photon_channel *ch)
{
	void *pages[NODE_SAMPLES];
	int status[NODE_SAMPLES], counts_small[64], *counts = counts_small;
	size_t npages = ch->ring_bytes / ch->page_size, n, i;
	int max = numa_max_node(), best = -1, mode = 0, node;
	struct nodemask m;

	n = npages < NODE_SAMPLES ? npages : NODE_SAMPLES;
	for (i = 0; i < n; i++) {
		size_t page = n > 1 ? i * (npages - 1) / (n - 1) : 0;

		pages[i] = ch->slots + page * ch->page_size;
	}
	/* Query only (nodes == NULL): nothing moves, nothing is touched. */
	if (move_pages(0, (unsigned long)n, pages, NULL, status, 0) != 0)
		return photon__fail_errno(
		    PHOTON_ESYS, errno,
		    "move_pages (query) on the ring failed: %s",
		    strerror(errno));
	if (max >= 64) {
		counts = calloc((size_t)max + 1, sizeof(*counts));
		if (!counts)
			return photon__fail(PHOTON_ENOMEM, "out of memory");
	} else {
		memset(counts_small, 0, sizeof(counts_small));
	}
	for (i = 0; i < n; i++)
		if (status[i] >= 0 && status[i] <= max &&
		    ++counts[status[i]] > (best < 0 ? 0 : counts[best]))
			best = status[i];
	if (counts != counts_small)
		free(counts);
	if (best >= 0)
		return best;

	/* Nothing resident: where the policy will put the first touch. */
	memset(&m, 0, sizeof(m));
	if (get_mempolicy(&mode, m.bits, NODE_BITS + 1, ch->slots,
			  MPOL_F_ADDR) != 0)
		return photon__fail_errno(
		    PHOTON_ESYS, errno, "get_mempolicy of the ring failed: %s",
		    strerror(errno));
	mode &= 0xff; /* drop MPOL_F_STATIC_NODES and friends */
	node = nodemask_single(&m);
	if ((mode == MPOL_BIND || mode == MPOL_PREFERRED) && node >= 0)
		return node;
	return photon__fail(PHOTON_EMPTY,
			    "no page of the ring is resident yet and no "
			    "policy places it: the first touch decides "
			    "(publish, prefault, or create with PHOTON_NUMA)");
}
#endif

PHOTON_API int photon_channel_numa_node(const struct photon_channel *ch)
{
	if (!ch)
		return photon__fail(PHOTON_EINVAL,
				    "photon_channel_numa_node: NULL channel");
#if PHOTON_HAVE_NUMA
	if (!numa_ok())
		return no_numa();
	return ring_node(ch);
#else
	return photon__fail(PHOTON_ENOTSUP,
			    "libphotonring was built without libnuma");
#endif
}

/* ---- mapping ---- */

/*
 * Faults in every page of [addr, addr + len) for writing without changing a
 * byte: MADV_POPULATE_WRITE, or on older kernels an atomic OR of zero into
 * one word per page (a write access that leaves the value as it was, even
 * if another thread writes the same word). Only the first reports a page it
 * cannot get as an error; a touch takes SIGBUS instead (hugetlb on a node
 * without free huge pages, before Linux 5.14).
 */
static int populate(unsigned char *addr, size_t len, size_t page)
{
	size_t off;
	int err;

	if (madvise(addr, len, MADV_POPULATE_WRITE) == 0)
		return PHOTON_OK;
	err = errno;
	if (err != EINVAL)
		return photon__fail_errno(
		    PHOTON_ENOMEM, err,
		    "could not fault in the %zu-byte ring "
		    "(%s): out of memory%s",
		    len, strerror(err),
		    page > base_page_size() ? " or huge pages on its NUMA node"
					    : "");
	for (off = 0; off < len; off += page)
		__atomic_fetch_or((uint64_t *)(void *)(addr + off), 0,
				  __ATOMIC_RELAXED);
	return PHOTON_OK;
}

static int lock_ring(unsigned char *addr, size_t len)
{
	struct rlimit rl;
	unsigned long long locked;
	long locked_kb;
	int err;

	/*
	 * The system call itself: sanitizer runtimes replace mlock() with a
	 * no-op, and the tests check that the pages really are locked.
	 */
	if (syscall(SYS_mlock, addr, len) == 0)
		return PHOTON_OK;
	err = errno;
	/* The limit counts what the process already locks (VmLck). */
	locked_kb = proc_value("/proc/self/status", "VmLck");
	locked = locked_kb > 0 ? (unsigned long long)locked_kb * 1024 : 0;
	if ((err == ENOMEM || err == EPERM) &&
	    getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (err == EPERM || locked + len > (unsigned long long)rl.rlim_cur))
		return photon__fail_errno(
		    PHOTON_ENOMEM, err,
		    "mlock of the %zu-byte ring failed (%s): "
		    "RLIMIT_MEMLOCK (ulimit -l) allows %llu "
		    "bytes locked per process and %llu are; "
		    "raise it (memlock in "
		    "/etc/security/limits.conf, LimitMEMLOCK= "
		    "for a systemd service, ulimit -l) or grant "
		    "CAP_IPC_LOCK",
		    len, strerror(err), (unsigned long long)rl.rlim_cur,
		    locked);
	if (err == ENOMEM)
		return photon__fail_errno(
		    PHOTON_ENOMEM, err, "mlock of the %zu-byte ring failed: %s",
		    len, strerror(err));
	return photon__fail_errno(PHOTON_ESYS, err,
				  "mlock of the %zu-byte ring failed: %s", len,
				  strerror(err));
}

/* 2 MiB hugetlb pages; errno (ENOMEM: none free) and -1 on failure. */
static int map_hugetlb(struct photon_channel *ch, size_t bytes)
{
	size_t len = round_up(bytes, HUGE_2M);
	void *p;

	if (!len) {
		errno = ENOMEM;
		return -1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1,
		 0);
	if (p == MAP_FAILED)
		return -1;
	ch->map_base = p;
	ch->map_bytes = len;
	ch->slots = p;
	ch->ring_bytes = len;
	ch->page_size = HUGE_2M;
	return 0;
}

/*
 * Base pages, the ring aligned to `align` (the THP size, so that huge pages
 * can back all of it), between two guard pages: a PROT_NONE reservation of
 * the whole span, the ring made writable in it, the slack given back.
 */
static int map_anon(struct photon_channel *ch, size_t bytes, size_t align)
{
	size_t guard = base_page_size(), len, slack, total;
	unsigned char *r, *ring, *end;

	if (align < guard)
		align = guard;
	len = round_up(bytes, align);
	slack = align - guard; /* to find an aligned start in the span */
	if (!len || len > SIZE_MAX - slack - 2 * guard)
		return photon__fail(PHOTON_ENOMEM,
				    "a %zu-byte ring does not fit the address "
				    "space",
				    bytes);
	total = len + slack + 2 * guard;
	r = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		int err = errno;

		return photon__fail_errno(
		    PHOTON_ENOMEM, err, "mmap of a %zu-byte ring failed: %s%s",
		    len, strerror(err), photon__map_count_hint());
	}
	ring = (unsigned char *)round_up((uintptr_t)(r + guard), align);
	end = ring + len + guard;
	if (ring - guard > r)
		munmap(r, (size_t)(ring - guard - r));
	if (end < r + total)
		munmap(end, (size_t)(r + total - end));
	ch->map_base = ring - guard;
	ch->map_bytes = len + 2 * guard;
	if (mprotect(ring, len, PROT_READ | PROT_WRITE) != 0) {
		int err = errno;

		munmap(ch->map_base, ch->map_bytes);
		ch->map_base = NULL;
		return photon__fail_errno(
		    PHOTON_ENOMEM, err,
		    "out of memory for a %zu-byte ring: %s%s", len,
		    strerror(err), photon__map_count_hint());
	}
	ch->slots = ring;
	ch->ring_bytes = len;
	ch->page_size = guard;
	return PHOTON_OK;
}

static int hugetlb_failed(size_t bytes, int err)
{
	/* Free includes pages reserved by mappings not yet faulted in. */
	long rsvd = proc_value("/proc/meminfo", "HugePages_Rsvd");
	long free_pages = proc_value("/proc/meminfo", "HugePages_Free") -
			  (rsvd > 0 ? rsvd : 0);
	size_t need = round_up(bytes, HUGE_2M) / HUGE_2M;

	if (err == ENOMEM)
		return photon__fail_errno(
		    PHOTON_ENOMEM, err,
		    "PHOTON_HUGEPAGES: the ring needs %zu free 2 MiB huge "
		    "page(s), %ld are free and not reserved; reserve them as "
		    "root with "
		    "`echo N > /proc/sys/vm/nr_hugepages` (vm.nr_hugepages in "
		    "/etc/sysctl.conf to keep it), or add PHOTON_THP to fall "
		    "back to transparent huge pages",
		    need, free_pages < 0 ? 0 : free_pages);
	return photon__fail_errno(
	    PHOTON_ESYS, err,
	    "PHOTON_HUGEPAGES: mmap(MAP_HUGETLB) of %zu bytes "
	    "failed: %s; add PHOTON_THP to fall back to "
	    "transparent huge pages",
	    round_up(bytes, HUGE_2M), strerror(err));
}

int photon__ring_check(const struct photon_opts *opts)
{
	if (!(opts->flags & PHOTON_NUMA))
		return PHOTON_OK;
#if PHOTON_HAVE_NUMA
	return check_node(opts->numa_node);
#else
	return photon__fail(PHOTON_ENOTSUP,
			    "PHOTON_NUMA: libphotonring was built "
			    "without libnuma (install libnuma-dev and "
			    "rebuild with PHOTON_WITH_NUMA=AUTO or ON)");
#endif
}

int photon__ring_map(struct photon_channel *ch, size_t bytes,
		     const struct photon_opts *opts)
{
	unsigned flags = opts->flags;
	int rc, thp, hugetlb = 0;

	ch->slots = NULL;
	ch->map_base = NULL;
	rc = photon__ring_check(opts);
	if (rc != PHOTON_OK)
		return rc;

	if (flags & PHOTON_HUGEPAGES) {
		if (map_hugetlb(ch, bytes) == 0) {
			hugetlb = 1;
		} else if (!(flags & PHOTON_THP)) {
			return hugetlb_failed(bytes, errno);
		}
	}
	if (!hugetlb) {
		thp = (flags & PHOTON_THP) != 0;
		rc = map_anon(ch, bytes, thp ? thp_page_size() : 0);
		if (rc != PHOTON_OK)
			return rc;
	}
	rc = photon__ring_place(ch, opts, hugetlb);
	if (rc != PHOTON_OK)
		photon__ring_unmap(ch);
	return rc;
}

int photon__ring_place(struct photon_channel *ch,
		       const struct photon_opts *opts, int hugetlb)
{
	unsigned flags = opts->flags;
	int rc, thp = !hugetlb && (flags & PHOTON_THP);

	/*
	 * Best effort: a kernel without THP (or shared memory without
	 * shmem_enabled) says EINVAL, and the page size below reports what
	 * the ring got either way.
	 */
	if (thp)
		(void)madvise(ch->slots, ch->ring_bytes, MADV_HUGEPAGE);
#if PHOTON_HAVE_NUMA
	if (flags & PHOTON_NUMA) {
		rc = bind_ring(ch->slots, ch->ring_bytes, opts->numa_node);
		if (rc != PHOTON_OK)
			return rc;
	}
#endif
	/*
	 * THP: populate now, so the kernel has decided and the page size can
	 * be reported. hugetlb on a NUMA node: now, so a node without free
	 * huge pages fails here rather than with SIGBUS at the first publish.
	 */
	if ((flags & PHOTON_PREFAULT) || thp ||
	    (hugetlb && (flags & PHOTON_NUMA))) {
		rc = populate(ch->slots, ch->ring_bytes, ch->page_size);
		if (rc != PHOTON_OK)
			return rc;
	}
	if (flags & PHOTON_MLOCK) {
		rc = lock_ring(ch->slots, ch->ring_bytes);
		if (rc != PHOTON_OK)
			return rc;
	}
	if (thp && smaps_all_huge(ch->slots))
		ch->page_size = thp_page_size();
	return PHOTON_OK;
}

void photon__ring_unmap(struct photon_channel *ch)
{
	if (ch->map_base)
		munmap(ch->map_base, ch->map_bytes);
	ch->map_base = NULL;
	ch->slots = NULL;
}

/* ---- publisher calls ---- */

PHOTON_API int photon_publisher_mlock(struct photon_publisher *p)
{
	struct photon_channel *ch;

	if (!p)
		return photon__fail(PHOTON_EINVAL,
				    "photon_publisher_mlock: NULL publisher");
	ch = p->channel;
	return lock_ring(ch->slots, ch->ring_bytes);
}

PHOTON_API int photon_publisher_prefault(struct photon_publisher *p)
{
	struct photon_channel *ch;

	if (!p)
		return photon__fail(
		    PHOTON_EINVAL, "photon_publisher_prefault: NULL publisher");
	ch = p->channel;
	/*
	 * Upstream's prefault wrote zeros over a live ring. This one changes
	 * no byte, but it is still refused once the ring is in use: faulting
	 * pages in then would only move page faults around under readers.
	 */
	if (PHOTON__LOAD(&ch->sh->line.cursor, PHOTON__ACQUIRE) !=
		PHOTON__NONE ||
	    PHOTON__LOAD(&ch->sh->subscribed, PHOTON__ACQUIRE))
		return photon__fail(PHOTON_EBUSY,
				    "prefault after first use: the channel "
				    "has published or has subscribers; "
				    "prefault right after photon_publisher_"
				    "open, or create with PHOTON_PREFAULT");
	return populate(ch->slots, ch->ring_bytes, ch->page_size);
}
