/* SPDX-License-Identifier: MIT */
/*
 * Core affinity and topology (SPEC 2.8). After a pin, sched_getaffinity
 * holds exactly that CPU and sched_getcpu() agrees; bad CPUs are errors, not
 * crashes; pinning never shrinks the available list; the NUMA node and cache
 * answers agree with what sysfs says (the library may have used hwloc).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAX_CPUS 4096

/* The process's CPUs when main() started, before anything was pinned. */
static cpu_set_t initial;
static unsigned initial_list[MAX_CPUS];
static size_t initial_n;

static void assert_affinity_is(const unsigned *cpus, size_t n)
{
	cpu_set_t now;
	size_t i;

	assert_int_equal(sched_getaffinity(0, sizeof(now), &now), 0);
	assert_int_equal(CPU_COUNT(&now), (int)n);
	for (i = 0; i < n; i++)
		assert_true(CPU_ISSET(cpus[i], &now));
}

static void assert_available_unchanged(void)
{
	unsigned cpus[MAX_CPUS];

	assert_int_equal(photon_core_count(), initial_n);
	assert_int_equal(photon_available_cores(cpus, MAX_CPUS), initial_n);
	assert_memory_equal(cpus, initial_list, initial_n * sizeof(*cpus));
}

static void test_available_cores(void **state)
{
	unsigned cpus[MAX_CPUS];

	(void)state;
	assert_available_unchanged();
	assert_int_equal(photon_available_cores(NULL, 8), 0);
	assert_int_equal(photon_available_cores(cpus, 0), 0);
	assert_int_equal(photon_available_cores(cpus, 1), 1);
	assert_int_equal(cpus[0], initial_list[0]);
	printf("%zu CPUs available, topology from %s\n", photon_core_count(),
	       photon_affinity_backend());
	assert_true(!strcmp(photon_affinity_backend(), "hwloc") ||
		    !strcmp(photon_affinity_backend(), "sysfs"));
}

/* Each CPU in turn: exactly that CPU, and the thread runs there. */
static void test_pin_each(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < initial_n; i++) {
		unsigned cpu = initial_list[i];

		assert_rc(photon_pin_to_core(cpu), PHOTON_OK);
		assert_affinity_is(&cpu, 1);
		assert_int_equal(sched_getcpu(), (int)cpu);
		assert_available_unchanged();

		assert_rc(photon_unpin(), PHOTON_OK);
		assert_affinity_is(initial_list, initial_n);

		assert_rc(photon_pin_to_core_index(i), PHOTON_OK);
		assert_affinity_is(&cpu, 1);
		assert_int_equal(sched_getcpu(), (int)cpu);
	}
	assert_rc(photon_unpin(), PHOTON_OK);
}

static void test_out_of_range(void **state)
{
	unsigned cpu = initial_list[0];
	unsigned bad[] = { initial_list[initial_n - 1] + 1, 1u << 20,
			   CPU_SETSIZE, 0xffffffffu };
	size_t i;

	(void)state;
	assert_rc(photon_pin_to_core(cpu), PHOTON_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_rc(photon_pin_to_core(bad[i]), PHOTON_EINVAL);
		assert_non_null(
		    strstr(photon_last_error_message(), "not one of"));
		assert_rc(photon_core_sharing_cache(bad[i], 0), PHOTON_EINVAL);
		assert_rc(photon_core_sharing_no_cache(bad[i]), PHOTON_EINVAL);
	}
	assert_rc(photon_pin_to_core_index(initial_n), PHOTON_EINVAL);
	assert_rc(photon_pin_to_core_index((size_t)-1), PHOTON_EINVAL);
	/* A failed pin leaves the thread where it was. */
	assert_affinity_is(&cpu, 1);
	assert_rc(photon_unpin(), PHOTON_OK);
}

struct probe {
	unsigned cpus[MAX_CPUS];
	size_t n;
};

static void *probe_main(void *arg)
{
	struct probe *p = arg;

	p->n = photon_available_cores(p->cpus, MAX_CPUS);
	return NULL;
}

/*
 * A pinned main thread, and a thread it starts (which inherits the pin),
 * still see every available CPU.
 */
static void test_pinning_keeps_list(void **state)
{
	struct probe p;
	pthread_t t;

	(void)state;
	assert_rc(photon_pin_to_core(initial_list[initial_n - 1]), PHOTON_OK);
	assert_available_unchanged();
	spawn(&t, probe_main, &p);
	join(t);
	assert_int_equal(p.n, initial_n);
	assert_memory_equal(p.cpus, initial_list, initial_n * sizeof(unsigned));
	assert_rc(photon_unpin(), PHOTON_OK);
}

/* ---- sysfs, the independent answer ---- */

static int read_cpulist(const char *path, cpu_set_t *set)
{
	FILE *f = fopen(path, "r");
	char buf[4096], *s = buf;

	CPU_ZERO(set);
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	while (*s && *s != '\n') {
		unsigned long lo = strtoul(s, &s, 10), hi = lo;

		if (*s == '-')
			hi = strtoul(s + 1, &s, 10);
		for (; lo <= hi && lo < CPU_SETSIZE; lo++)
			CPU_SET(lo, set);
		if (*s == ',')
			s++;
	}
	return 0;
}

/* Smallest data/unified cache level cpu shares with other; 0: none. */
static int sysfs_shared_level(unsigned cpu, unsigned other)
{
	int i, best = 0;

	for (i = 0; i < 16; i++) {
		char path[128], type[32] = "";
		cpu_set_t set;
		FILE *f;
		int level;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/cache/index%d/type",
			 cpu, i);
		f = fopen(path, "r");
		if (!f)
			break;
		if (!fgets(type, sizeof(type), f))
			type[0] = '\0';
		fclose(f);
		if (!strncmp(type, "Instruction", 11))
			continue;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/cache/index%d/level",
			 cpu, i);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_int_equal(fscanf(f, "%d", &level), 1);
		fclose(f);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/cache/index%d/"
			 "shared_cpu_list",
			 cpu, i);
		assert_int_equal(read_cpulist(path, &set), 0);
		if (CPU_ISSET(other, &set) && (best == 0 || level < best))
			best = level;
	}
	return best;
}

static int is_sibling(unsigned cpu, unsigned other)
{
	char path[128];
	cpu_set_t set;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%u/topology/thread_siblings_list",
		 cpu);
	if (read_cpulist(path, &set) != 0)
		return other == cpu;
	return CPU_ISSET(other, &set);
}

static void check_sharing(unsigned cpu, unsigned flags)
{
	int got = photon_core_sharing_cache(cpu, flags), best = 0;
	size_t i;

	for (i = 0; i < initial_n; i++) {
		unsigned o = initial_list[i];
		int level;

		if (o == cpu || ((flags & PHOTON_CORE_OTHER_PHYSICAL) &&
				 is_sibling(cpu, o)))
			continue;
		level = sysfs_shared_level(cpu, o);
		if (level && (best == 0 || level < best))
			best = level;
	}
	if (best == 0) {
		assert_rc(got, PHOTON_ENOTSUP);
		return;
	}
	assert_true(got >= 0);
	assert_int_not_equal(got, (int)cpu);
	assert_true(CPU_ISSET((unsigned)got, &initial));
	assert_int_equal(sysfs_shared_level(cpu, (unsigned)got), best);
	if (flags & PHOTON_CORE_OTHER_PHYSICAL)
		assert_false(is_sibling(cpu, (unsigned)got));
	printf("CPU %u: shares L%d with CPU %d%s\n", cpu, best, got,
	       flags ? " (other physical core)" : "");
}

static void test_sharing_cache(void **state)
{
	size_t i;

	(void)state;
	if (access("/sys/devices/system/cpu/cpu0/cache/index0", F_OK) != 0) {
		printf("no cache information in sysfs\n");
		skip();
	}
	for (i = 0; i < initial_n; i++) {
		check_sharing(initial_list[i], 0);
		check_sharing(initial_list[i], PHOTON_CORE_OTHER_PHYSICAL);
	}
	assert_rc(photon_core_sharing_cache(initial_list[0], 0x80),
		  PHOTON_EINVAL);
}

static void test_sharing_no_cache(void **state)
{
	size_t i, j;

	(void)state;
	if (access("/sys/devices/system/cpu/cpu0/cache/index0", F_OK) != 0) {
		printf("no cache information in sysfs\n");
		skip();
	}
	for (i = 0; i < initial_n; i++) {
		unsigned cpu = initial_list[i];
		int got = photon_core_sharing_no_cache(cpu), none = -1;

		for (j = 0; j < initial_n && none < 0; j++)
			if (initial_list[j] != cpu &&
			    sysfs_shared_level(cpu, initial_list[j]) == 0)
				none = (int)initial_list[j];
		if (none < 0) {
			assert_rc(got, PHOTON_ENOTSUP);
			assert_non_null(strstr(photon_last_error_message(),
					       "shares a cache"));
			continue;
		}
		assert_int_equal(got, none);
		printf("CPU %u: CPU %d shares no cache\n", cpu, got);
	}
}

/* The NUMA nodes partition the available CPUs, as sysfs says. */
static void test_node_cores(void **state)
{
	unsigned cpus[MAX_CPUS];
	cpu_set_t seen;
	int node, n, i, nodes = 0, total = 0;

	(void)state;
	CPU_ZERO(&seen);
	for (node = 0; node < 1024; node++) {
		char path[96];
		cpu_set_t sys;

		n = photon_numa_node_cores(node, cpus, MAX_CPUS);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", node);
		if (read_cpulist(path, &sys) != 0) {
			if (node == 0 &&
			    access("/sys/devices/system/node", F_OK) != 0) {
				/* No NUMA in the kernel: one node. */
				assert_int_equal(n, (int)initial_n);
				return;
			}
			assert_rc(n, PHOTON_EINVAL);
			continue;
		}
		assert_true(n >= 0);
		nodes++;
		for (i = 0; i < n; i++) {
			assert_true(CPU_ISSET(cpus[i], &sys));
			assert_true(CPU_ISSET(cpus[i], &initial));
			assert_false(CPU_ISSET(cpus[i], &seen));
			CPU_SET(cpus[i], &seen);
			if (i)
				assert_true(cpus[i] > cpus[i - 1]);
		}
		total += n;
	}
	assert_true(nodes >= 1);
	assert_int_equal(total, (int)initial_n);
	assert_rc(photon_numa_node_cores(-1, cpus, MAX_CPUS), PHOTON_EINVAL);
	assert_rc(photon_numa_node_cores(1 << 20, cpus, MAX_CPUS),
		  PHOTON_EINVAL);
	/* A short buffer gets the first ones. */
	n = photon_numa_node_cores(0, cpus, 1);
	assert_true(n == 0 || n == 1);
	assert_int_equal(photon_numa_node_cores(0, NULL, 8), 0);
	printf("%d node(s) with %d CPUs\n", nodes, total);
}

/* Pinned threads in parallel: each lands on its own CPU. */
static void *pinned_main(void *arg)
{
	unsigned cpu = *(unsigned *)arg;
	long ok =
	    photon_pin_to_core(cpu) == PHOTON_OK && sched_getcpu() == (int)cpu;

	return (void *)ok;
}

static void test_threads(void **state)
{
	pthread_t t[64];
	size_t i, n = initial_n < 64 ? initial_n : 64;

	(void)state;
	for (i = 0; i < n; i++)
		spawn(&t[i], pinned_main, &initial_list[i]);
	for (i = 0; i < n; i++) {
		void *ok;

		assert_int_equal(pthread_join(t[i], &ok), 0);
		assert_true(ok != NULL);
	}
	assert_affinity_is(initial_list, initial_n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_available_cores),
		cmocka_unit_test(test_pin_each),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_pinning_keeps_list),
		cmocka_unit_test(test_sharing_cache),
		cmocka_unit_test(test_sharing_no_cache),
		cmocka_unit_test(test_node_cores),
		cmocka_unit_test(test_threads),
	};
	unsigned i;

	if (sched_getaffinity(0, sizeof(initial), &initial) != 0)
		return 1;
	for (i = 0; i < CPU_SETSIZE && initial_n < MAX_CPUS; i++)
		if (CPU_ISSET(i, &initial))
			initial_list[initial_n++] = i;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
