/* SPDX-License-Identifier: MIT */
/*
 * PHOTON_HUGEPAGES with reserved 2 MiB pages: the ring's mapping in
 * /proc/self/smaps has KernelPageSize 2048 kB, the page size reported is
 * 2 MiB, and the huge page pool pays for it. Needs free huge pages:
 * scripts/test.sh reserves some when it runs as root
 * (/proc/sys/vm/nr_hugepages); without any the program exits 77 (skipped)
 * and says why.
 */
#include "util.h"
#include "mem_util.h"

static void check_hugetlb(struct photon_channel *ch,
			  struct photon_publisher *pub, size_t bytes)
{
	struct smaps_entry e = smaps_of(pub->slots);

	assert_int_equal(photon_channel_page_size(ch), 2 * MIB);
	assert_true(e.found);
	assert_int_equal(e.kernel_page_kb, 2048);
	assert_int_equal(e.start, (uintptr_t)pub->slots);
	assert_int_equal((size_t)e.size_kb * 1024, bytes);
	printf("ring at %p: KernelPageSize %ld kB, Size %ld kB\n",
	       (void *)pub->slots, e.kernel_page_kb, e.size_kb);
}

/* A 64 KiB ring on one huge page; the pool shrinks when it is touched. */
static void test_hugetlb_ring(void **state)
{
	struct photon_publisher *pub;
	long free_before = hugepages_free();
	struct photon_channel *ch = make(1024, 56, PHOTON_HUGEPAGES, &pub);

	(void)state;
	check_hugetlb(ch, pub, 2 * MIB);
	round_trip(ch, pub, 5000);
	assert_int_equal(hugepages_free(), free_before - 1);
	destroy(ch, pub);
	assert_int_equal(hugepages_free(), free_before);
}

/* The strict flag wins over the fallback when pages are free. */
static void test_hugetlb_preferred_over_thp(void **state)
{
	struct photon_publisher *pub;
	struct photon_channel *ch =
	    make(1024, 56, PHOTON_HUGEPAGES | PHOTON_THP, &pub);

	(void)state;
	check_hugetlb(ch, pub, 2 * MIB);
	destroy(ch, pub);
}

/* Prefault and mlock fault every huge page in before the first publish. */
static void test_hugetlb_prefault_mlock(void **state)
{
	struct photon_publisher *pub;
	long free_before = hugepages_free();
	struct photon_channel *ch;
	size_t cap = free_before >= 2 ? 65536 : 1024; /* 4 MiB or 64 KiB */
	size_t bytes = cap * 64 < 2 * MIB ? 2 * MIB : cap * 64;
	long pages = (long)(bytes / (2 * MIB));

	(void)state;
	ch = make(cap, 56, PHOTON_HUGEPAGES, &pub);
	check_hugetlb(ch, pub, bytes);
	assert_int_equal(smaps_of(pub->slots).hugetlb_kb, 0);
	assert_rc(photon_publisher_prefault(pub), PHOTON_OK);
	assert_int_equal(hugepages_free(), free_before - pages);
	assert_int_equal(smaps_of(pub->slots).hugetlb_kb, (long)(bytes / 1024));
	assert_int_equal(resident_pages(pub->slots, bytes),
			 bytes / (size_t)sysconf(_SC_PAGESIZE));
	assert_true(all_zero(pub->slots, bytes));
	assert_rc(photon_publisher_mlock(pub), PHOTON_OK);
	round_trip(ch, pub, cap + 10);
	destroy(ch, pub);

	ch = make(cap, 56, PHOTON_HUGEPAGES | PHOTON_PREFAULT | PHOTON_MLOCK,
		  &pub);
	check_hugetlb(ch, pub, bytes);
	assert_int_equal(hugepages_free(), free_before - pages);
	assert_true(all_zero(pub->slots, bytes));
	destroy(ch, pub);
}

/*
 * Huge pages on a NUMA node: populated at creation, so that a node without
 * free huge pages fails the create instead of a later publish (SIGBUS).
 */
static void test_hugetlb_numa(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_publisher *pub;
	struct photon_channel *ch;
	long free_before = hugepages_free();

	(void)state;
	if (photon_numa_node_count() == PHOTON_ENOTSUP) {
		printf("built without libnuma\n");
		skip();
	}
	o.capacity = 1024;
	o.msg_size = 56;
	o.flags = PHOTON_HUGEPAGES | PHOTON_NUMA;
	o.numa_node = 0;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	check_hugetlb(ch, pub, 2 * MIB);
	assert_int_equal(smaps_of(pub->slots).hugetlb_kb, 2048);
	assert_int_equal(hugepages_free(), free_before - 1);
	assert_int_equal(photon_channel_numa_node(ch), 0);
	destroy(ch, pub);
}

/* The pool is finite: one ring more than it holds fails cleanly. */
static void test_pool_exhausted(void **state)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	long free_pages = hugepages_free();
	long overcommit = file_number("/proc/sys/vm/nr_overcommit_hugepages");
	size_t cap = 2;

	(void)state;
	if (overcommit > 0 || free_pages > 255) {
		printf("pool can grow on demand or is large: not exhausted\n");
		skip();
	}
	while (cap * 64 <= (size_t)free_pages * 2 * MIB)
		cap *= 2;
	o.capacity = cap;
	o.msg_size = 56;
	o.flags = PHOTON_HUGEPAGES;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_ENOMEM);
	assert_non_null(
	    strstr(photon_last_error_message(), "/proc/sys/vm/nr_hugepages"));
	assert_int_equal(hugepages_free(), free_pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugetlb_ring),
		cmocka_unit_test(test_hugetlb_preferred_over_thp),
		cmocka_unit_test(test_hugetlb_prefault_mlock),
		cmocka_unit_test(test_hugetlb_numa),
		cmocka_unit_test(test_pool_exhausted),
	};
	long free_pages = hugepages_free();

	if (emulated()) {
		printf("SKIP: emulated: qemu-user refuses MAP_HUGETLB\n");
		return 77;
	}
	if (free_pages < 1) {
		printf("SKIP: no free 2 MiB huge pages (HugePages_Free %ld); "
		       "reserve some as root: echo 16 > "
		       "/proc/sys/vm/nr_hugepages\n",
		       free_pages);
		return 77;
	}
	printf("%ld free 2 MiB huge pages\n", free_pages);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
