/* SPDX-License-Identifier: MIT */
/*
 * PHOTON_HUGEPAGES with reserved 2 MiB pages: the ring's mapping in
 * /proc/self/smaps has KernelPageSize 2048 kB, the page size reported is
 * 2 MiB, and the huge page pool pays for it. Needs free huge pages:
 * scripts/test.sh reserves some when it runs as root
 * (/proc/sys/vm/nr_hugepages); without any the program exits 77 (skipped)
 * and says why.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

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
	char want[64];
	void *reserved;

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
	/* One page reserved by a mapping never touched: still in
	 * HugePages_Free, not available; the detail must not count it. */
	reserved = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	assert_true(reserved != MAP_FAILED);
	assert_int_equal(hugepages_free(), free_pages);
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_ENOMEM);
	assert_non_null(
	    strstr(photon_last_error_message(), "/proc/sys/vm/nr_hugepages"));
	snprintf(want, sizeof(want), "%ld are free and not reserved",
		 free_pages - 1);
	if (!strstr(photon_last_error_message(), want))
		fail_msg("detail \"%s\" does not say \"%s\"",
			 photon_last_error_message(), want);
	munmap(reserved, 2 * MIB);
	assert_int_equal(hugepages_free(), free_pages);
}

/* A hugetlbfs mount: one listed in /proc/mounts, or (as root) a new one
 * in a temporary directory (*mounted then says so). NULL: none. */
static const char *hugetlbfs_dir(int *mounted)
{
	static char dir[256];
	char line[512], fs[64];
	FILE *f = fopen("/proc/mounts", "r");

	*mounted = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %63s", dir, fs) == 2 &&
		    !strcmp(fs, "hugetlbfs")) {
			fclose(f);
			return dir;
		}
	if (f)
		fclose(f);
	strcpy(dir, "/tmp/photon-hugetlbfs.XXXXXX");
	if (geteuid() != 0 || !mkdtemp(dir))
		return NULL;
	if (mount("none", dir, "hugetlbfs", 0, NULL) != 0) {
		rmdir(dir);
		return NULL;
	}
	*mounted = 1;
	return dir;
}

/*
 * A shared channel on huge pages: the segment in a hugetlbfs mount
 * ($PHOTON_HUGETLBFS), its ring on 2 MiB pages, prefaulted and locked,
 * opened a second time by name and used across the two mappings.
 */
static void test_shm_hugetlbfs(void **state)
{
	struct photon_opts o = { .capacity = 1024,
				 .msg_size = 56,
				 .flags = PHOTON_HUGEPAGES | PHOTON_PREFAULT |
					  PHOTON_MLOCK };
	struct photon_channel *a, *b;
	struct photon_publisher *pub;
	struct photon_subscriber *sub;
	char name[64], msg[56] = "huge", out[56];
	long free_before = hugepages_free();
	int mounted;
	const char *dir = hugetlbfs_dir(&mounted);

	(void)state;
	if (!dir || free_before < 2) {
		printf("skipped: needs a hugetlbfs mount (or root to make "
		       "one) and 2 free huge pages\n");
		skip();
	}
	setenv("PHOTON_HUGETLBFS", dir, 1);
	snprintf(name, sizeof(name), "photon-test-%ld-huge", (long)getpid());
	photon_shm_unlink(name);
	assert_rc(photon_shm_create(&a, name, &o, 0), PHOTON_OK);
	assert_int_equal(photon_channel_page_size(a), 2 * MIB);
	/* One huge page for the header and state, one for the ring. */
	assert_int_equal(hugepages_free(), free_before - 2);
	assert_rc(photon_shm_open(&b, name), PHOTON_OK);
	assert_int_equal(photon_channel_page_size(b), 2 * MIB);
	assert_rc(photon_publisher_open(a, &pub), PHOTON_OK);
	/* (hugetlb pages are never swapped: smaps counts none as Locked) */
	assert_int_equal(smaps_of(pub->slots).kernel_page_kb, 2048);
	assert_rc(photon_subscribe(b, &sub), PHOTON_OK);
	assert_rc(photon_publish(pub, msg), PHOTON_OK);
	assert_rc(photon_try_recv(sub, out), PHOTON_OK);
	assert_memory_equal(out, msg, sizeof(msg));
	photon_subscriber_close(sub);
	photon_publisher_close(pub);
	photon_channel_release(a);
	photon_channel_release(b);
	assert_rc(photon_shm_unlink(name), PHOTON_OK);
	assert_int_equal(hugepages_free(), free_before);
	/* Without the mount named, the flag alone is refused. */
	unsetenv("PHOTON_HUGETLBFS");
	assert_rc(photon_shm_create(&a, name, &o, 0), PHOTON_EINVAL);
	if (mounted) {
		umount(dir);
		rmdir(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hugetlb_ring),
		cmocka_unit_test(test_hugetlb_preferred_over_thp),
		cmocka_unit_test(test_hugetlb_prefault_mlock),
		cmocka_unit_test(test_hugetlb_numa),
		cmocka_unit_test(test_pool_exhausted),
		cmocka_unit_test(test_shm_hugetlbfs),
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
