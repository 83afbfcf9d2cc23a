/* SPDX-License-Identifier: MIT */
/* The utilities of util.h that are not about errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testing.h"
#include "util.h"

void *photon__zalloc(size_t align, size_t bytes)
{
	void *p;

	if (bytes > SIZE_MAX - (align - 1))
		return NULL;
	bytes = (bytes + align - 1) & ~(align - 1);
	p = aligned_alloc(align, bytes);
	if (p)
		memset(p, 0, bytes);
	return p;
}

uint64_t photon__now_ns(void)
{
	struct timespec ts;

#ifdef PHOTON_TESTING
	photon__test_clock_fn clock =
	    __atomic_load_n(&photon__test_clock, __ATOMIC_ACQUIRE);
	if (clock)
		return clock();
#endif
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *photon__shown(char *buf, size_t n, const char *s, size_t max)
{
	size_t i, o = 0;

	for (i = 0; s[i] && o + 8 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}
