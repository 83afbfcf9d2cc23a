/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the memory tests: what the kernel says about a mapping
 * (/proc/self/smaps, mincore), the process (/proc/self/status) and the huge
 * page pool (/proc/meminfo). Included after util.h.
 */
#ifndef PHOTON_TEST_MEM_UTIL_H
#define PHOTON_TEST_MEM_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

/* The smaps lines of the mapping that holds an address, in kB. */
struct smaps_entry {
	uintptr_t start, end;
	long size_kb, rss_kb, kernel_page_kb, anon_huge_kb, locked_kb;
	long hugetlb_kb; /* Private_Hugetlb: hugetlb pages are not in Rss */
	int found;
};

static inline struct smaps_entry smaps_of(const void *addr)
{
	struct smaps_entry e;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	uintptr_t a = (uintptr_t)addr;
	int in = 0;

	memset(&e, 0, sizeof(e));
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		long kb;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				break;
			in = a >= lo && a < hi;
			if (in) {
				e.found = 1;
				e.start = (uintptr_t)lo;
				e.end = (uintptr_t)hi;
			}
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Size: %ld kB", &kb) == 1)
			e.size_kb = kb;
		else if (sscanf(line, "Rss: %ld kB", &kb) == 1)
			e.rss_kb = kb;
		else if (sscanf(line, "KernelPageSize: %ld kB", &kb) == 1)
			e.kernel_page_kb = kb;
		else if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			e.anon_huge_kb = kb;
		else if (sscanf(line, "Locked: %ld kB", &kb) == 1)
			e.locked_kb = kb;
		else if (sscanf(line, "Private_Hugetlb: %ld kB", &kb) == 1)
			e.hugetlb_kb = kb;
	}
	fclose(f);
	return e;
}

/* A "Name:  value" line of a /proc file; -1 when absent. */
static inline long proc_value(const char *file, const char *name)
{
	FILE *f = fopen(file, "r");
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

static inline long vm_locked_kb(void)
{
	return proc_value("/proc/self/status", "VmLck");
}

static inline long hugepages_free(void)
{
	return proc_value("/proc/meminfo", "HugePages_Free");
}

/* A number in a one-line file (sysfs, procfs); -1 when unreadable. */
static inline long file_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Bytes of the ring: capacity slots rounded up to the reported page size. */
static inline size_t ring_bytes(const struct photon_channel *ch)
{
	size_t page = photon_channel_page_size(ch);
	size_t b = photon_channel_capacity(ch) *
		   (size_t)PHOTON_SLOT_STRIDE(photon_channel_msg_size(ch));

	return (b + page - 1) / page * page;
}

/* Pages of [addr, addr + len) resident in RAM, by mincore (base pages). */
static inline size_t resident_pages(const void *addr, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, i, r = 0;
	unsigned char *vec = malloc(n);

	assert_non_null(vec);
	assert_int_equal(mincore((void *)(uintptr_t)addr, len, vec), 0);
	for (i = 0; i < n; i++)
		r += vec[i] & 1;
	free(vec);
	return r;
}

/* 1 when every byte of [p, p + n) is zero. */
static inline int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Publishes n messages and reads them back: the ring works end to end. */
static inline void round_trip(struct photon_channel *ch,
			      struct photon_publisher *pub, uint64_t n)
{
	struct photon_subscriber *sub;
	size_t size = photon_channel_msg_size(ch);
	unsigned char *msg = calloc(1, size), *got = calloc(1, size);
	uint64_t i;

	assert_non_null(msg);
	assert_non_null(got);
	assert_rc(photon_subscribe(ch, &sub), PHOTON_OK);
	for (i = 0; i < n; i++) {
		memcpy(msg, &i, size < sizeof(i) ? size : sizeof(i));
		assert_rc(photon_publish(pub, msg), PHOTON_OK);
		assert_rc(photon_try_recv(sub, got), PHOTON_OK);
		assert_memory_equal(got, msg, size);
	}
	photon_subscriber_close(sub);
	free(msg);
	free(got);
}

/* Creates a channel from flags and opens its publisher. */
static inline struct photon_channel *make(size_t capacity, size_t msg_size,
					  unsigned flags,
					  struct photon_publisher **pub)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch = NULL;

	o.capacity = capacity;
	o.msg_size = msg_size;
	o.flags = flags;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, pub), PHOTON_OK);
	return ch;
}

static inline void destroy(struct photon_channel *ch,
			   struct photon_publisher *pub)
{
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

#endif /* PHOTON_TEST_MEM_UTIL_H */
