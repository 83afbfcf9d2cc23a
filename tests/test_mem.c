/* SPDX-License-Identifier: MIT */
/*
 * Ring memory (SPEC 2.8): page sizes, the strict huge page flag and its THP
 * fallback, mlock and prefault. Every check reads what the kernel says
 * (/proc/self/smaps, /proc/self/status, mincore), not just the return code.
 * Reserved huge pages themselves are tested by test_hugepages, NUMA
 * placement by test_numa.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "mem_util.h"

static size_t base_page;

static int setup(void **state)
{
	(void)state;
	base_page = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

/*
 * A plain ring: base pages, its own mapping (the guard pages keep it from
 * merging with a neighbour), nothing resident until used, all zero.
 */
static void test_default_mapping(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch = make(1024, 56, 0, &pub);
	struct smaps_entry e;
	size_t bytes;

	(void)state;
	assert_int_equal(photon_channel_page_size(ch), base_page);
	bytes = ring_bytes(ch);
	assert_int_equal(bytes, 1024 * 64);
	e = smaps_of(pub->slots);
	assert_true(e.found);
	assert_int_equal(e.start, (uintptr_t)pub->slots);
	assert_int_equal(e.end - e.start, bytes);
	assert_int_equal(e.kernel_page_kb, (long)(base_page / 1024));
	assert_int_equal(resident_pages(pub->slots, bytes), 0);
	round_trip(ch, pub, 3000);
	destroy(ch, pub);
}

/* The ring size is rounded up to whole pages. */
static void test_rounded_to_pages(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch = make(2, 8, 0, &pub); /* 128 bytes */

	(void)state;
	assert_int_equal(ring_bytes(ch), base_page);
	assert_int_equal(smaps_of(pub->slots).size_kb,
			 (long)(base_page / 1024));
	destroy(ch, pub);
}

/*
 * A ring larger than the free huge page pool: strict PHOTON_HUGEPAGES fails
 * with ENOMEM and says how to reserve pages; with PHOTON_THP it falls back.
 * Returns the capacity of such a ring of 56-byte messages, 0 when the pool
 * is too large (or can grow on demand) to exceed cheaply.
 */
static size_t capacity_beyond_pool(void)
{
	long free_pages = hugepages_free();
	long overcommit = file_number("/proc/sys/vm/nr_overcommit_hugepages");
	size_t want, cap = 2;

	if (free_pages < 0 || overcommit > 0 || free_pages > 255)
		return 0;
	want = ((size_t)free_pages + 1) * 2 * MIB;
	while (cap * 64 < want)
		cap *= 2;
	return cap;
}

static void test_hugepages_strict_enomem(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;

	(void)state;
	skip_if_emulated("MAP_HUGETLB is refused, not ENOMEM");
	o.capacity = capacity_beyond_pool();
	if (!o.capacity) {
		printf("huge page pool too large or overcommitted: cannot "
		       "exceed it cheaply\n");
		skip();
	}
	o.msg_size = 56;
	o.flags = PHOTON_HUGEPAGES;
	ch = (void *)&o;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_ENOMEM);
	assert_null(ch);
	assert_non_null(
	    strstr(photon_last_error_message(), "/proc/sys/vm/nr_hugepages"));
	printf("strict: %s\n", photon_last_error_message());
}

/*
 * THP: the reported page size is 2 MiB exactly when smaps shows the whole
 * ring backed by huge pages; the ring is 2 MiB aligned and sized.
 */
static void check_thp(struct photon_channel *ch, struct photon_publisher *pub)
{
	struct smaps_entry e = smaps_of(pub->slots);
	size_t page = photon_channel_page_size(ch);

	assert_true(e.found);
	assert_int_equal((uintptr_t)pub->slots % (2 * MIB), 0);
	assert_int_equal(e.start, (uintptr_t)pub->slots);
	assert_int_equal(e.size_kb * 1024 % (2 * MIB), 0);
	printf("THP ring of %ld kB: AnonHugePages %ld kB, page size %zu\n",
	       e.size_kb, e.anon_huge_kb, page);
	if (e.anon_huge_kb >= e.size_kb)
		assert_int_equal(page, 2 * MIB);
	else
		assert_int_equal(page, base_page);
	/* Populated at creation, so the kernel's choice is known. */
	assert_int_equal(e.rss_kb, e.size_kb);
}

static void test_hugepages_thp_fallback(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch;
	size_t cap = capacity_beyond_pool();

	(void)state;
	skip_if_emulated("madvise is a no-op: no THP, no populate");
	if (!cap) {
		printf("huge page pool too large or overcommitted\n");
		skip();
	}
	ch = make(cap, 56, PHOTON_HUGEPAGES | PHOTON_THP, &pub);
	check_thp(ch, pub);
	round_trip(ch, pub, 1000);
	destroy(ch, pub);
}

static void test_thp(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch;

	(void)state;
	skip_if_emulated("madvise is a no-op: no THP, no populate");
	ch = make(16384, 120, PHOTON_THP, &pub);
	assert_int_equal(ring_bytes(ch), 2 * MIB);
	check_thp(ch, pub);
	round_trip(ch, pub, 40000);
	destroy(ch, pub);
	/* Smaller than a huge page: rounded up to one. */
	ch = make(4, 8, PHOTON_THP, &pub);
	check_thp(ch, pub);
	assert_int_equal(smaps_of(pub->slots).size_kb, 2048);
	destroy(ch, pub);
}

/* mlock: VmLck grows by exactly the ring, and shrinks back on release. */
static void test_mlock_vmlck(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch = make(16384, 56, 0, &pub); /* 1 MiB */
	long before = vm_locked_kb(), after;

	(void)state;
	assert_true(before >= 0);
	assert_rc(photon_publisher_mlock(pub), PHOTON_OK);
	after = vm_locked_kb();
	assert_int_equal(after - before, 1024);
	assert_int_equal(resident_pages(pub->slots, MIB), MIB / base_page);
	assert_int_equal(smaps_of(pub->slots).locked_kb, 1024);
	/* Again: nothing more is locked. */
	assert_rc(photon_publisher_mlock(pub), PHOTON_OK);
	assert_int_equal(vm_locked_kb(), after);
	round_trip(ch, pub, 20000);
	destroy(ch, pub);
	assert_int_equal(vm_locked_kb(), before);
	printf("VmLck %ld -> %ld kB\n", before, after);
}

static void test_mlock_flag(void **state)
{
	struct photon_publisher *pub;
	long before = vm_locked_kb();
	struct photon_channel *ch = make(4096, 56, PHOTON_MLOCK, &pub);

	(void)state;
	assert_int_equal(vm_locked_kb() - before, 256);
	assert_int_equal(resident_pages(pub->slots, ring_bytes(ch)),
			 ring_bytes(ch) / base_page);
	destroy(ch, pub);
	assert_int_equal(vm_locked_kb(), before);
}

/* Drops CAP_IPC_LOCK from the calling thread (a no-op if it lacks it). */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/*
 * RLIMIT_MEMLOCK too low: a clear PHOTON_ENOMEM that names the limit, both
 * from photon_publisher_mlock and from PHOTON_MLOCK at creation. In a child
 * process, which lowers its own limit (and drops CAP_IPC_LOCK, which would
 * lift it).
 */
static int mlock_limit_child(void)
{
	struct rlimit rl = { 64 * 1024, 64 * 1024 };
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_publisher *pub;
	int rc, bad = 0;

	if (drop_ipc_lock() != 0 || setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return 2;
	if (photon_channel_create(&ch, 16384, 56) != PHOTON_OK ||
	    photon_publisher_open(ch, &pub) != PHOTON_OK)
		return 3;
	errno = 0;
	rc = photon_publisher_mlock(pub);
	printf("mlock over the limit: %s: %s (errno %d)\n", photon_strerror(rc),
	       photon_last_error_message(), errno);
	bad |= rc != PHOTON_ENOMEM;
	bad |= !strstr(photon_last_error_message(), "RLIMIT_MEMLOCK");
	bad |= errno != ENOMEM && errno != EPERM;
	photon_publisher_close(pub);
	photon_channel_release(ch);

	o.capacity = 16384;
	o.msg_size = 56;
	o.flags = PHOTON_MLOCK;
	rc = photon_channel_create_opts(&ch, &o);
	bad |= rc != PHOTON_ENOMEM || ch != NULL;
	bad |= !strstr(photon_last_error_message(), "ulimit -l");
	/* A ring within the limit still locks. */
	o.capacity = 256;
	rc = photon_channel_create_opts(&ch, &o);
	bad |= rc != PHOTON_OK;
	photon_channel_release(ch);
	fflush(stdout);
	return bad ? 1 : 0;
}

static void test_mlock_rlimit(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mlock_limit_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * prefault: every page resident before the first publish, not a byte
 * changed (every stamp still 0, "never written"), and the ring works.
 */
static void test_prefault_resident(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch;
	size_t bytes;

	(void)state;
	skip_if_emulated("madvise(MADV_POPULATE_WRITE) returns 0 and "
			 "faults nothing in");
	ch = make(16384, 56, 0, &pub);
	bytes = ring_bytes(ch);
	assert_int_equal(resident_pages(pub->slots, bytes), 0);
	assert_rc(photon_publisher_prefault(pub), PHOTON_OK);
	assert_int_equal(resident_pages(pub->slots, bytes), bytes / base_page);
	assert_int_equal(smaps_of(pub->slots).rss_kb, (long)(bytes / 1024));
	assert_true(all_zero(pub->slots, bytes));
	/* Still before first use: may run again. */
	assert_rc(photon_publisher_prefault(pub), PHOTON_OK);
	round_trip(ch, pub, 20000);
	destroy(ch, pub);
}

static void test_prefault_flag(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch =
	    make(4096, 56, PHOTON_PREFAULT | PHOTON_MLOCK, &pub);
	size_t bytes = ring_bytes(ch);

	(void)state;
	assert_int_equal(resident_pages(pub->slots, bytes), bytes / base_page);
	assert_true(all_zero(pub->slots, bytes));
	round_trip(ch, pub, 5000);
	destroy(ch, pub);
}

/* After first use (a publish, a subscriber, a group) prefault is refused. */
static void test_prefault_after_use(void **state)
{
	struct photon_publisher *pub;
	struct photon_subscriber *sub;
	struct photon_group *g;
	struct photon_channel *ch;
	uint64_t v = 7;

	(void)state;
	ch = make(64, 8, 0, &pub);
	assert_rc(photon_publish(pub, &v), PHOTON_OK);
	assert_rc(photon_publisher_prefault(pub), PHOTON_EBUSY);
	assert_non_null(strstr(photon_last_error_message(), "first use"));
	destroy(ch, pub);

	ch = make(64, 8, 0, &pub);
	assert_rc(photon_subscribe(ch, &sub), PHOTON_OK);
	assert_rc(photon_publisher_prefault(pub), PHOTON_EBUSY);
	photon_subscriber_close(sub);
	/* Still refused after the subscriber left: it may have read. */
	assert_rc(photon_publisher_prefault(pub), PHOTON_EBUSY);
	destroy(ch, pub);

	ch = make(64, 8, 0, &pub);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	assert_rc(photon_publisher_prefault(pub), PHOTON_EBUSY);
	photon_group_close(g);
	destroy(ch, pub);
}

/* mlock works at any time, also on a live ring. */
static void test_mlock_after_use(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch = make(1024, 56, 0, &pub);
	struct photon_subscriber *sub;

	(void)state;
	assert_rc(photon_subscribe(ch, &sub), PHOTON_OK);
	round_trip(ch, pub, 100);
	assert_rc(photon_publisher_mlock(pub), PHOTON_OK);
	assert_int_equal(smaps_of(pub->slots).locked_kb, 64);
	photon_subscriber_close(sub);
	destroy(ch, pub);
}

static void test_null(void **state)
{
	(void)state;
	assert_rc(photon_publisher_mlock(NULL), PHOTON_EINVAL);
	assert_rc(photon_publisher_prefault(NULL), PHOTON_EINVAL);
	assert_rc(photon_channel_numa_node(NULL), PHOTON_EINVAL);
	assert_int_equal(photon_channel_page_size(NULL), 0);
}

/* Every combination of the memory flags creates a working ring. */
static void test_flag_combinations(void **state)
{
	static const unsigned bits[] = { PHOTON_THP, PHOTON_MLOCK,
					 PHOTON_PREFAULT, PHOTON_BOUNDED };
	unsigned mask;

	(void)state;
	for (mask = 0; mask < 16; mask++) {
		struct photon_publisher *pub;
		struct photon_channel *ch;
		unsigned flags = 0, i;

		for (i = 0; i < 4; i++)
			if (mask & (1u << i))
				flags |= bits[i];
		ch = make(512, 24, flags, &pub);
		round_trip(ch, pub, 1500);
		destroy(ch, pub);
	}
}

/*
 * At vm.max_map_count, mmap says ENOMEM though memory is plenty: the
 * detail names the limit. A child fills its map count with one-page
 * mappings of alternating protection (they cannot merge), then creates a
 * channel.
 */
static void test_map_count_named(void **state)
{
	pid_t pid;
	int st;

	(void)state;
	skip_if_emulated("qemu-user keeps its own map of the guest");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *ch;
		long page = sysconf(_SC_PAGESIZE), i;
		int rc;

		for (i = 0;; i++)
			if (mmap(NULL, (size_t)page,
				 i % 2 ? PROT_READ : PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1,
				 0) == MAP_FAILED)
				break;
		rc = photon_channel_create(&ch, 1024, 8);
		if (rc != PHOTON_ENOMEM)
			_exit(10);
		_exit(strstr(photon_last_error_message(), "vm.max_map_count")
			  ? 0
			  : 11);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_mapping),
		cmocka_unit_test(test_rounded_to_pages),
		cmocka_unit_test(test_hugepages_strict_enomem),
		cmocka_unit_test(test_hugepages_thp_fallback),
		cmocka_unit_test(test_thp),
		cmocka_unit_test(test_mlock_vmlck),
		cmocka_unit_test(test_mlock_flag),
		cmocka_unit_test(test_mlock_rlimit),
		cmocka_unit_test(test_prefault_resident),
		cmocka_unit_test(test_prefault_flag),
		cmocka_unit_test(test_prefault_after_use),
		cmocka_unit_test(test_mlock_after_use),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_flag_combinations),
		cmocka_unit_test(test_map_count_named),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
