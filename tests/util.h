/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the test programs (cmocka is included first). */
#ifndef PHOTON_TEST_UTIL_H
#define PHOTON_TEST_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include <photon/photon.h>

/* Asserts a photon status code and names both codes when it differs. */
#define assert_rc(expr, want)                                              \
	do {                                                               \
		int rc_ = (expr);                                          \
		if (rc_ != (want))                                         \
			fail_msg("%s = %d (%s), want %s (%s)", #expr, rc_, \
				 photon_strerror(rc_), #want,              \
				 photon_strerror(want));                   \
	} while (0)

static inline void spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	assert_int_equal(pthread_create(t, NULL, fn, arg), 0);
}

static inline void join(pthread_t t)
{
	assert_int_equal(pthread_join(t, NULL), 0);
}

/*
 * 1 under an emulator: a cross build runs every test through qemu-user and
 * sets PHOTON_TEST_EMULATED=1 (tests/CMakeLists.txt). qemu-user answers
 * madvise with 0 and does nothing, refuses MAP_HUGETLB and lacks
 * get_mempolicy and move_pages, so what those tests read from the kernel
 * would be qemu's gaps, not the library's behaviour.
 */
static inline int emulated(void)
{
	const char *e = getenv("PHOTON_TEST_EMULATED");

	return e && *e && *e != '0';
}

/* Reports the running case skipped under an emulator, saying why. */
#define skip_if_emulated(why)                                               \
	do {                                                                \
		if (emulated()) {                                           \
			printf("skipped under emulation (qemu-user): %s\n", \
			       why);                                        \
			skip();                                             \
		}                                                           \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* |a - b| relative to the larger of the two (absolute when both are 0). */
static inline double rel_diff(double a, double b)
{
	double d = a > b ? a - b : b - a;
	double m = a > b ? a : b;

	return m > 0 ? d / m : d;
}

#endif /* PHOTON_TEST_UTIL_H */
