/* SPDX-License-Identifier: MIT */
/*
 * Core affinity and topology: pinning, the available CPUs, the CPUs of a
 * NUMA node, and which CPUs share a cache.
 *
 * The available CPUs are captured once, by a constructor, from the affinity
 * of the thread that loads the library (the main thread, for a program
 * linked with it): the process's cpuset or what `taskset` gave it. Reading
 * the calling thread's mask on each call would shrink the list as soon as
 * that thread is pinned, and /proc/self/status describes the main thread,
 * which may be pinned too.
 *
 * With hwloc the topology is loaded on first use and kept for the life of
 * the process (it is read-only after loading, so concurrent queries are
 * safe). Without hwloc, or when hwloc cannot load it, sysfs answers the same
 * questions.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if PHOTON_HAVE_HWLOC
#include <hwloc.h>
#endif

#include "internal.h"

#define LONG_BITS (8 * sizeof(unsigned long))
#define SYS_CPU	  "/sys/devices/system/cpu"
#define SYS_NODE  "/sys/devices/system/node"

/* The available CPUs: ascending list and bitmap; written once. */
static struct {
	unsigned *list;
	size_t n;
	unsigned long *bits;
	size_t nbits; /* largest available CPU + 1 */
} avail;

static pthread_once_t avail_once = PTHREAD_ONCE_INIT;

static int bit_isset(const unsigned long *bits, size_t nbits, unsigned i)
{
	return i < nbits && (bits[i / LONG_BITS] >> (i % LONG_BITS)) & 1;
}

static void bit_set(unsigned long *bits, size_t nbits, unsigned i)
{
	if (i < nbits)
		bits[i / LONG_BITS] |= 1ul << (i % LONG_BITS);
}

static size_t bit_words(size_t nbits)
{
	return (nbits + LONG_BITS - 1) / LONG_BITS;
}

static void capture_available(void)
{
	cpu_set_t *set = NULL;
	size_t nbits, size = 0, i, n = 0;
	long online;

	/* The kernel refuses a mask smaller than its own CPU count. */
	for (nbits = 1024; nbits <= ((size_t)1 << 20); nbits *= 2) {
		set = CPU_ALLOC(nbits);
		if (!set)
			break;
		size = CPU_ALLOC_SIZE(nbits);
		if (sched_getaffinity(0, size, set) == 0)
			break;
		CPU_FREE(set);
		set = NULL;
		if (errno != EINVAL)
			break;
	}
	if (set) {
		avail.list = malloc((size_t)CPU_COUNT_S(size, set) *
				    sizeof(*avail.list));
		for (i = 0; avail.list && i < nbits; i++)
			if (CPU_ISSET_S(i, size, set))
				avail.list[n++] = (unsigned)i;
		CPU_FREE(set);
	} else {
		/* No affinity call: every online CPU, as sysconf counts them.
		 */
		online = sysconf(_SC_NPROCESSORS_ONLN);
		if (online < 1)
			online = 1;
		avail.list = malloc((size_t)online * sizeof(*avail.list));
		for (i = 0; avail.list && i < (size_t)online; i++)
			avail.list[n++] = (unsigned)i;
	}
	if (!avail.list || n == 0)
		return;
	avail.nbits = (size_t)avail.list[n - 1] + 1;
	avail.bits = calloc(bit_words(avail.nbits), sizeof(unsigned long));
	if (!avail.bits) {
		free(avail.list);
		avail.list = NULL;
		return;
	}
	for (i = 0; i < n; i++)
		bit_set(avail.bits, avail.nbits, avail.list[i]);
	avail.n = n;
}

/* Before main (or at dlopen): before any thread of the program is pinned. */
__attribute__((constructor)) static void capture_at_load(void)
{
	pthread_once(&avail_once, capture_available);
}

static void need_available(void)
{
	pthread_once(&avail_once, capture_available);
}

static int is_available(unsigned cpu)
{
	return bit_isset(avail.bits, avail.nbits, cpu);
}

static int not_available(unsigned cpu)
{
	if (avail.n == 0)
		return photon__fail(PHOTON_ENOMEM,
				    "the available CPUs could not be read "
				    "(out of memory at load)");
	return photon__fail(PHOTON_EINVAL,
			    "CPU %u is not one of the %zu CPUs this process "
			    "may use (CPUs %u..%u; see "
			    "photon_available_cores)",
			    cpu, avail.n, avail.list[0],
			    avail.list[avail.n - 1]);
}

/* ---- hwloc ---- */

#if PHOTON_HAVE_HWLOC
static hwloc_topology_t topo;
static int topo_ok;
static pthread_once_t topo_once = PTHREAD_ONCE_INIT;

static void load_topology(void)
{
	/* A libhwloc of another major version than the headers: not used. */
	if ((hwloc_get_api_version() >> 16) != (HWLOC_API_VERSION >> 16))
		return;
	if (hwloc_topology_init(&topo) != 0)
		return;
	if (hwloc_topology_load(topo) != 0) {
		hwloc_topology_destroy(topo);
		return;
	}
	topo_ok = 1;
}

static hwloc_topology_t topology(void)
{
	pthread_once(&topo_once, load_topology);
	return topo_ok ? topo : NULL;
}
#endif

/* ---- sysfs ---- */

/* Reads the first line of a sysfs file into buf; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* "0-3,8,10-11" into bits (CPUs at or above nbits are dropped). */
static void cpulist_parse(const char *s, unsigned long *bits, size_t nbits)
{
	while (*s) {
		char *end;
		unsigned long lo = strtoul(s, &end, 10), hi = lo, i;

		if (end == s)
			break;
		s = end;
		if (*s == '-') {
			hi = strtoul(s + 1, &end, 10);
			if (end == s + 1)
				break;
			s = end;
		}
		for (i = lo; i <= hi && i < nbits; i++)
			bit_set(bits, nbits, (unsigned)i);
		if (*s == ',')
			s++;
		else
			break;
	}
}

/* Reads a sysfs CPU list into a zeroed bitmap of avail.nbits; 0 or -1. */
static int read_cpulist(const char *path, unsigned long *bits)
{
	char buf[4096];

	if (read_line(path, buf, sizeof(buf)) != 0)
		return -1;
	cpulist_parse(buf, bits, avail.nbits);
	return 0;
}

/* ---- cache sharing ---- */

#define MAX_CACHES 16

/* The data and unified caches of one CPU, as their levels and CPU sets. */
struct cache_view {
	unsigned cpu;
	int ncaches;
	int level[MAX_CACHES];
	unsigned long *shared[MAX_CACHES];
	unsigned long *siblings; /* SMT siblings, the CPU included */
#if PHOTON_HAVE_HWLOC
	hwloc_obj_t pu;
#endif
};

static void view_free(struct cache_view *v)
{
	int i;

	for (i = 0; i < v->ncaches; i++)
		free(v->shared[i]);
	free(v->siblings);
}

static int view_sysfs(struct cache_view *v)
{
	size_t words = bit_words(avail.nbits);
	char path[128], buf[64];
	int i;

	v->siblings = calloc(words, sizeof(unsigned long));
	if (!v->siblings)
		return photon__fail(PHOTON_ENOMEM, "out of memory");
	snprintf(path, sizeof(path),
		 SYS_CPU "/cpu%u/topology/thread_siblings_list", v->cpu);
	if (read_cpulist(path, v->siblings) != 0)
		bit_set(v->siblings, avail.nbits, v->cpu);
	for (i = 0; v->ncaches < MAX_CACHES; i++) {
		unsigned long *set;

		snprintf(path, sizeof(path),
			 SYS_CPU "/cpu%u/cache/index%d/level", v->cpu, i);
		if (read_line(path, buf, sizeof(buf)) != 0)
			break;
		v->level[v->ncaches] = atoi(buf);
		snprintf(path, sizeof(path),
			 SYS_CPU "/cpu%u/cache/index%d/type", v->cpu, i);
		if (read_line(path, buf, sizeof(buf)) == 0 &&
		    !strcmp(buf, "Instruction"))
			continue;
		set = calloc(words, sizeof(unsigned long));
		if (!set)
			return photon__fail(PHOTON_ENOMEM, "out of memory");
		snprintf(path, sizeof(path),
			 SYS_CPU "/cpu%u/cache/index%d/shared_cpu_list", v->cpu,
			 i);
		if (read_cpulist(path, set) != 0) {
			free(set);
			continue;
		}
		v->shared[v->ncaches++] = set;
	}
	return PHOTON_OK;
}

static int view_init(struct cache_view *v, unsigned cpu)
{
	memset(v, 0, sizeof(*v));
	v->cpu = cpu;
#if PHOTON_HAVE_HWLOC
	if (topology()) {
		hwloc_obj_t o;

		v->pu = hwloc_get_pu_obj_by_os_index(topo, cpu);
		for (o = v->pu ? v->pu->parent : NULL; o; o = o->parent)
			if (hwloc_obj_type_is_dcache(o->type))
				v->ncaches++;
		if (v->pu)
			return PHOTON_OK;
	}
#endif
	return view_sysfs(v);
}

static int view_is_sibling(const struct cache_view *v, unsigned other)
{
#if PHOTON_HAVE_HWLOC
	if (v->pu) {
		hwloc_obj_t core =
		    hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, v->pu);

		return core && hwloc_bitmap_isset(core->cpuset, other);
	}
#endif
	return bit_isset(v->siblings, avail.nbits, other);
}

/* Level of the smallest cache `other` shares with the CPU; 0: none. */
static int view_shared_level(const struct cache_view *v, unsigned other)
{
	int i, best = 0;

#if PHOTON_HAVE_HWLOC
	if (v->pu) {
		hwloc_obj_t o;

		/* Ancestors grow outwards: the first hit is the smallest. */
		for (o = v->pu->parent; o; o = o->parent)
			if (hwloc_obj_type_is_dcache(o->type) &&
			    hwloc_bitmap_isset(o->cpuset, other))
				return (int)o->attr->cache.depth;
		return 0;
	}
#endif
	for (i = 0; i < v->ncaches; i++)
		if (bit_isset(v->shared[i], avail.nbits, other) &&
		    (best == 0 || v->level[i] < best))
			best = v->level[i];
	return best;
}

/* want_shared: the most-sharing CPU; else the first sharing none. */
static int pick_core(unsigned cpu, unsigned flags, int want_shared)
{
	struct cache_view v;
	int rc, best = -1, best_level = 0;
	size_t i;

	need_available();
	if (!is_available(cpu))
		return not_available(cpu);
	rc = view_init(&v, cpu);
	if (rc != PHOTON_OK) {
		view_free(&v);
		return rc;
	}
	if (v.ncaches == 0) {
		view_free(&v);
		return photon__fail(PHOTON_ENOTSUP,
				    "the system reports no caches for CPU %u",
				    cpu);
	}
	for (i = 0; i < avail.n; i++) {
		unsigned other = avail.list[i];
		int level;

		if (other == cpu)
			continue;
		level = view_shared_level(&v, other);
		if (!want_shared) {
			if (level == 0) {
				best = (int)other;
				break;
			}
			continue;
		}
		if (level == 0 || ((flags & PHOTON_CORE_OTHER_PHYSICAL) &&
				   view_is_sibling(&v, other)))
			continue;
		if (best < 0 || level < best_level) {
			best = (int)other;
			best_level = level;
		}
	}
	view_free(&v);
	if (best >= 0)
		return best;
	if (want_shared)
		return photon__fail(PHOTON_ENOTSUP,
				    "no other available CPU shares a cache "
				    "with CPU %u%s",
				    cpu,
				    (flags & PHOTON_CORE_OTHER_PHYSICAL)
					? " (SMT siblings excluded)"
					: "");
	return photon__fail(PHOTON_ENOTSUP,
			    "every available CPU shares a cache with CPU %u",
			    cpu);
}

PHOTON_API int photon_core_sharing_cache(unsigned cpu, unsigned flags)
{
	if (flags & ~(unsigned)PHOTON_CORE_OTHER_PHYSICAL)
		return photon__fail(PHOTON_EINVAL,
				    "photon_core_sharing_cache: unknown flags "
				    "0x%x",
				    flags);
	return pick_core(cpu, flags, 1);
}

PHOTON_API int photon_core_sharing_no_cache(unsigned cpu)
{
	return pick_core(cpu, 0, 0);
}

/* ---- pinning ---- */

/* Lets the calling thread run on exactly these CPUs. */
static int pin_cpus(const unsigned *cpus, size_t n)
{
	cpu_set_t *set;
	size_t size, i;
	int err;

#if PHOTON_HAVE_HWLOC
	if (topology()) {
		hwloc_bitmap_t bm = hwloc_bitmap_alloc();
		int rc;

		if (!bm)
			return photon__fail(PHOTON_ENOMEM, "out of memory");
		for (i = 0; i < n; i++)
			hwloc_bitmap_set(bm, cpus[i]);
		rc = hwloc_set_cpubind(topo, bm, HWLOC_CPUBIND_THREAD);
		err = errno;
		hwloc_bitmap_free(bm);
		if (rc == 0)
			return PHOTON_OK;
		return photon__fail_errno(PHOTON_ESYS, err,
					  "hwloc_set_cpubind failed: %s",
					  strerror(err));
	}
#endif
	set = CPU_ALLOC(avail.nbits);
	if (!set)
		return photon__fail(PHOTON_ENOMEM, "out of memory");
	size = CPU_ALLOC_SIZE(avail.nbits);
	CPU_ZERO_S(size, set);
	for (i = 0; i < n; i++)
		CPU_SET_S(cpus[i], size, set);
	if (sched_setaffinity(0, size, set) == 0) {
		CPU_FREE(set);
		return PHOTON_OK;
	}
	err = errno;
	CPU_FREE(set);
	return photon__fail_errno(
	    PHOTON_ESYS, err, "sched_setaffinity failed: %s", strerror(err));
}

PHOTON_API int photon_pin_to_core(unsigned cpu)
{
	need_available();
	if (!is_available(cpu))
		return not_available(cpu);
	return pin_cpus(&cpu, 1);
}

PHOTON_API int photon_pin_to_core_index(size_t index)
{
	need_available();
	if (index >= avail.n)
		return photon__fail(PHOTON_EINVAL,
				    "core index %zu: this process may use %zu "
				    "CPUs (indexes 0..%zu)",
				    index, avail.n, avail.n ? avail.n - 1 : 0);
	return pin_cpus(&avail.list[index], 1);
}

PHOTON_API size_t photon_core_count(void)
{
	need_available();
	return avail.n;
}

PHOTON_API size_t photon_available_cores(unsigned *cpus, size_t max)
{
	size_t n;

	need_available();
	if (!cpus)
		return 0;
	n = max < avail.n ? max : avail.n;
	if (n)
		memcpy(cpus, avail.list, n * sizeof(*cpus));
	return n;
}

PHOTON_API int photon_unpin(void)
{
	need_available();
	if (avail.n == 0)
		return not_available(0);
	return pin_cpus(avail.list, avail.n);
}

/* ---- NUMA nodes ---- */

PHOTON_API int photon_numa_node_cores(int node, unsigned *cpus, size_t max)
{
	unsigned long *bits;
	char path[96];
	size_t i, n = 0;

	need_available();
	if (node < 0)
		return photon__fail(PHOTON_EINVAL, "NUMA node %d: negative",
				    node);
#if PHOTON_HAVE_HWLOC
	if (topology()) {
		hwloc_obj_t o = NULL;

		while ((o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE,
						       o)))
			if (o->os_index == (unsigned)node)
				break;
		if (!o)
			return photon__fail(
			    PHOTON_EINVAL, "NUMA node %d does not exist", node);
		for (i = 0; i < avail.n && cpus && n < max; i++)
			if (hwloc_bitmap_isset(o->cpuset, avail.list[i]))
				cpus[n++] = avail.list[i];
		return (int)n;
	}
#endif
	bits = calloc(bit_words(avail.nbits), sizeof(unsigned long));
	if (!bits)
		return photon__fail(PHOTON_ENOMEM, "out of memory");
	snprintf(path, sizeof(path), SYS_NODE "/node%d/cpulist", node);
	if (read_cpulist(path, bits) != 0) {
		free(bits);
		/* A kernel without NUMA has no node directory: all is node 0.
		 */
		if (node != 0 || access(SYS_NODE, F_OK) == 0)
			return photon__fail(
			    PHOTON_EINVAL, "NUMA node %d does not exist", node);
		return (int)photon_available_cores(cpus, max);
	}
	for (i = 0; i < avail.n && cpus && n < max; i++)
		if (bit_isset(bits, avail.nbits, avail.list[i]))
			cpus[n++] = avail.list[i];
	free(bits);
	return (int)n;
}

PHOTON_API int photon_pin_near_channel(const struct photon_channel *ch)
{
	unsigned *cpus;
	int node, n, rc;

	node = photon_channel_numa_node(ch);
	if (node < 0)
		return node;
	need_available();
	cpus = malloc((avail.n ? avail.n : 1) * sizeof(*cpus));
	if (!cpus)
		return photon__fail(PHOTON_ENOMEM, "out of memory");
	n = photon_numa_node_cores(node, cpus, avail.n);
	if (n < 0) {
		free(cpus);
		return n;
	}
	if (n == 0) {
		free(cpus);
		return photon__fail(PHOTON_ENOTSUP,
				    "the channel's memory is on NUMA node %d, "
				    "which has no CPU this process may use",
				    node);
	}
	rc = pin_cpus(cpus, (size_t)n);
	free(cpus);
	return rc == PHOTON_OK ? node : rc;
}

PHOTON_API const char *photon_affinity_backend(void)
{
#if PHOTON_HAVE_HWLOC
	if (topology())
		return "hwloc";
#endif
	return "sysfs";
}
