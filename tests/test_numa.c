/* SPDX-License-Identifier: MIT */
/*
 * NUMA placement (SPEC 2.8): PHOTON_NUMA binds the ring to a node before
 * its first touch, checked page by page with the kernel's own answers
 * (get_mempolicy(MPOL_F_NODE | MPOL_F_ADDR), move_pages), and the thread
 * policy helpers. Built without libnuma, every NUMA call must say
 * PHOTON_ENOTSUP. Placement on a second node needs a machine with two; on
 * one node that test is reported skipped.
 */
#include <linux/mempolicy.h>
#include <sched.h>
#include <sys/syscall.h>

#include "util.h"
#include "mem_util.h"

/* The system calls directly: the test does not link libnuma. */
#define NODE_BITS 1024
#define LONG_BITS (8 * sizeof(unsigned long))

static long sys_get_mempolicy(int *mode, unsigned long *mask, const void *addr,
			      unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, mask ? NODE_BITS + 1 : 0,
		       addr, flags);
}

/* Node of each resident page (move_pages query); -ENOENT when absent. */
static void page_nodes(const unsigned char *addr, size_t len, size_t page,
		       int *status)
{
	size_t n = len / page, i;
	void **pages = calloc(n, sizeof(*pages));

	assert_non_null(pages);
	for (i = 0; i < n; i++)
		pages[i] = (void *)(uintptr_t)(addr + i * page);
	assert_int_equal(syscall(SYS_move_pages, 0, (unsigned long)n, pages,
				 NULL, status, 0),
			 0);
	free(pages);
}

static int numa_built;

static int setup(void **state)
{
	(void)state;
	numa_built = photon_numa_node_count() != PHOTON_ENOTSUP;
	printf("libnuma: %s\n",
	       numa_built ? "built in" : "not built in (PHOTON_ENOTSUP)");
	return 0;
}

static struct photon_channel *make_on(int node, unsigned flags, size_t capacity,
				      int *rc)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch = (void *)&o;

	o.capacity = capacity;
	o.msg_size = 56;
	o.flags = PHOTON_NUMA | flags;
	o.numa_node = node;
	*rc = photon_channel_create_opts(&ch, &o);
	if (*rc != PHOTON_OK)
		assert_null(ch);
	return ch;
}

/* Without libnuma: PHOTON_ENOTSUP everywhere, never a link error. */
static void test_not_built(void **state)
{
	int rc;

	(void)state;
	if (numa_built) {
		printf("libnuma is built in\n");
		skip();
	}
	assert_null(make_on(0, 0, 64, &rc));
	assert_rc(rc, PHOTON_ENOTSUP);
	assert_non_null(strstr(photon_last_error_message(), "libnuma"));
	assert_rc(photon_numa_node_count(), PHOTON_ENOTSUP);
	assert_rc(photon_numa_node_of_cpu(0), PHOTON_ENOTSUP);
	assert_rc(photon_numa_set_preferred(0), PHOTON_ENOTSUP);
	assert_rc(photon_numa_reset_policy(), PHOTON_ENOTSUP);
}

/* Every page of the ring on `node`, by both kernel interfaces. */
static void check_placed(struct photon_channel *ch, int node)
{
	struct photon_publisher *pub;
	size_t page = photon_channel_page_size(ch), bytes, i, n;
	unsigned long mask[NODE_BITS / LONG_BITS];
	int mode = -1, *status;

	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	bytes = ring_bytes(ch);
	n = bytes / page;
	/* The policy on the mapping: bound to exactly that node. */
	memset(mask, 0, sizeof(mask));
	assert_int_equal(
	    sys_get_mempolicy(&mode, mask, pub->slots, MPOL_F_ADDR), 0);
	assert_int_equal(mode & 0xff, MPOL_BIND);
	for (i = 0; i < NODE_BITS; i++)
		assert_int_equal((mask[i / LONG_BITS] >> (i % LONG_BITS)) & 1,
				 i == (size_t)node);
	/* Prefaulted: each page resident, on that node. */
	status = calloc(n, sizeof(*status));
	assert_non_null(status);
	page_nodes(pub->slots, bytes, page, status);
	for (i = 0; i < n; i++) {
		int where = -1;

		assert_int_equal(status[i], node);
		assert_int_equal(sys_get_mempolicy(&where, NULL,
						   pub->slots + i * page,
						   MPOL_F_NODE | MPOL_F_ADDR),
				 0);
		assert_int_equal(where, node);
	}
	free(status);
	assert_int_equal(photon_channel_numa_node(ch), node);
	round_trip(ch, pub, 1000);
	assert_int_equal(photon_channel_numa_node(ch), node);
	photon_publisher_close(pub);
	printf("%zu pages of %zu bytes on node %d\n", n, page, node);
}

static void test_place_node0(void **state)
{
	struct photon_channel *ch;
	int rc;

	(void)state;
	if (!numa_built)
		skip();
	ch = make_on(0, PHOTON_PREFAULT, 16384, &rc); /* 1 MiB */
	assert_rc(rc, PHOTON_OK);
	check_placed(ch, 0);
	photon_channel_release(ch);
	/* With transparent huge pages as well. */
	ch = make_on(0, PHOTON_THP | PHOTON_MLOCK, 16384, &rc);
	assert_rc(rc, PHOTON_OK);
	check_placed(ch, 0);
	photon_channel_release(ch);
}

/* Not touched yet: nothing resident, the policy says where it will go. */
static void test_bound_before_touch(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch;
	int rc, status[16];

	(void)state;
	if (!numa_built)
		skip();
	ch = make_on(0, 0, 1024, &rc); /* 64 KiB: 16 pages */
	assert_rc(rc, PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_int_equal(resident_pages(pub->slots, ring_bytes(ch)), 0);
	assert_int_equal(photon_channel_numa_node(ch), 0);
	/* ...and asking touched nothing. */
	page_nodes(pub->slots, 16 * photon_channel_page_size(ch),
		   photon_channel_page_size(ch), status);
	assert_int_equal(status[0], -ENOENT);
	assert_int_equal(resident_pages(pub->slots, ring_bytes(ch)), 0);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

/* Without PHOTON_NUMA: unknown until touched, then where it was touched. */
static void test_unbound_ring(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	int cpu_node;

	(void)state;
	if (!numa_built) {
		assert_rc(photon_channel_create(&ch, 64, 8), PHOTON_OK);
		assert_rc(photon_channel_numa_node(ch), PHOTON_ENOTSUP);
		photon_channel_release(ch);
		return;
	}
	assert_rc(photon_numa_reset_policy(), PHOTON_OK);
	assert_rc(photon_channel_create(&ch, 1024, 56), PHOTON_OK);
	assert_rc(photon_channel_numa_node(ch), PHOTON_EMPTY);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_publisher_prefault(pub), PHOTON_OK);
	cpu_node = photon_numa_node_of_cpu((unsigned)sched_getcpu());
	assert_true(cpu_node >= 0);
	if (photon_numa_node_count() == 1)
		assert_int_equal(photon_channel_numa_node(ch), cpu_node);
	else
		assert_true(photon_channel_numa_node(ch) >= 0);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

static void test_invalid_node(void **state)
{
	static const int bad[] = { -1, -100, 4096, 100000, 0x7fffffff };
	struct photon_channel *ch;
	size_t i;
	int rc;

	(void)state;
	if (!numa_built)
		skip();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ch = make_on(bad[i], 0, 64, &rc);
		assert_null(ch);
		assert_rc(rc, PHOTON_EINVAL);
		assert_non_null(
		    strstr(photon_last_error_message(), "NUMA node"));
		assert_rc(photon_numa_set_preferred(bad[i]), PHOTON_EINVAL);
	}
	/* One past the last node that exists. */
	for (i = 0; i < 4096; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/sys/devices/system/node/node%zu",
			 i);
		if (access(path, F_OK) != 0)
			break;
	}
	ch = make_on((int)i + 64, 0, 64, &rc);
	assert_null(ch);
	assert_rc(rc, PHOTON_EINVAL);
}

/* Node count and the node of each CPU agree with sysfs. */
static void test_topology(void **state)
{
	unsigned cpus[1024];
	size_t n, i;
	int count;

	(void)state;
	if (!numa_built)
		skip();
	count = photon_numa_node_count();
	assert_true(count >= 1);
	n = photon_available_cores(cpus, 1024);
	for (i = 0; i < n; i++) {
		int node = photon_numa_node_of_cpu(cpus[i]);
		char path[96];

		assert_true(node >= 0);
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%u/node%d", cpus[i], node);
		assert_int_equal(access(path, F_OK), 0);
	}
	assert_rc(photon_numa_node_of_cpu(1u << 30), PHOTON_EINVAL);
	printf("%d node(s), %zu CPUs\n", count, n);
}

/* The thread policy: preferred node, then back to the default. */
static void test_thread_policy(void **state)
{
	unsigned long mask[NODE_BITS / LONG_BITS];
	int mode = -1;

	(void)state;
	if (!numa_built)
		skip();
	assert_rc(photon_numa_set_preferred(0), PHOTON_OK);
	memset(mask, 0, sizeof(mask));
	assert_int_equal(sys_get_mempolicy(&mode, mask, NULL, 0), 0);
	assert_int_equal(mode & 0xff, MPOL_PREFERRED);
	assert_int_equal(mask[0], 1);
	assert_rc(photon_numa_reset_policy(), PHOTON_OK);
	assert_int_equal(sys_get_mempolicy(&mode, mask, NULL, 0), 0);
	assert_int_equal(mode, MPOL_DEFAULT);
}

/* Pinning next to the ring: the thread's CPUs are the node's. */
static void test_pin_near_channel(void **state)
{
	struct photon_channel *ch;
	unsigned node_cpus[1024];
	cpu_set_t set;
	int rc, n, i;

	(void)state;
	if (!numa_built) {
		assert_rc(photon_channel_create(&ch, 64, 8), PHOTON_OK);
		assert_rc(photon_pin_near_channel(ch), PHOTON_ENOTSUP);
		photon_channel_release(ch);
		return;
	}
	ch = make_on(0, PHOTON_PREFAULT, 64, &rc);
	assert_rc(rc, PHOTON_OK);
	assert_int_equal(photon_pin_near_channel(ch), 0);
	n = photon_numa_node_cores(0, node_cpus, 1024);
	assert_true(n > 0);
	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(CPU_COUNT(&set), n);
	for (i = 0; i < n; i++)
		assert_true(CPU_ISSET(node_cpus[i], &set));
	assert_rc(photon_unpin(), PHOTON_OK);
	photon_channel_release(ch);
	assert_rc(photon_pin_near_channel(NULL), PHOTON_EINVAL);
}

/* Every other node with memory, where the machine has more than one. */
static void test_place_other_nodes(void **state)
{
	int node, placed = 0, rc;

	(void)state;
	if (!numa_built || photon_numa_node_count() < 2) {
		printf("one NUMA node: placement on another node not "
		       "testable here\n");
		skip();
	}
	for (node = 1; node < 4096; node++) {
		struct photon_channel *ch =
		    make_on(node, PHOTON_PREFAULT, 16384, &rc);

		if (rc == PHOTON_EINVAL)
			continue;
		assert_rc(rc, PHOTON_OK);
		check_placed(ch, node);
		photon_channel_release(ch);
		placed++;
	}
	assert_true(placed >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_built),
		cmocka_unit_test(test_place_node0),
		cmocka_unit_test(test_bound_before_touch),
		cmocka_unit_test(test_unbound_ring),
		cmocka_unit_test(test_invalid_node),
		cmocka_unit_test(test_topology),
		cmocka_unit_test(test_thread_policy),
		cmocka_unit_test(test_pin_near_channel),
		cmocka_unit_test(test_place_other_nodes),
	};

	/* Built without libnuma, the ENOTSUP answers are testable anywhere. */
	if (emulated() && (photon_numa_node_count() != PHOTON_ENOTSUP ||
			   !strstr(photon_last_error_message(), "without"))) {
		printf("SKIP: under emulation: qemu-user lacks get_mempolicy, "
		       "which libnuma and these checks need\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, NULL);
}
