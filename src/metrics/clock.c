/* SPDX-License-Identifier: MIT */
/* The time-stamp counter: reads, source, calibration (photon/clock.h). */
#include <errno.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <time.h>

#include "private.h"

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
#define PHOTON__TSC_HW 1
#else
#define PHOTON__TSC_HW 0
#endif

PHOTON_API uint64_t photon_tsc_read(void)
{
#if PHOTON__TSC_HW
	return photon_tsc_now();
#else
	return photon_monotonic_ns();
#endif
}

PHOTON_API uint64_t photon_tsc_read_ordered(void)
{
#if PHOTON__TSC_HW
	return photon_tsc_now_ordered();
#else
	/* clock_gettime orders itself (the vDSO fences its counter read). */
	return photon_monotonic_ns();
#endif
}

PHOTON_API const char *photon_tsc_source(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return "rdtsc";
#elif defined(__aarch64__)
	return "cntvct_el0";
#else
	return "clock_gettime";
#endif
}

/*
 * One (counter, clock) pair: the clock read bracketed by two ordered counter
 * reads, the tightest bracket of a few tries, its middle taken as the
 * counter's value at the clock read. An interrupt inflates one bracket, not
 * the best of 16.
 */
static void tsc_clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	int i;

	*tsc = *ns = 0; /* for the compiler: the first try always wins */
	for (i = 0; i < 16; i++) {
		uint64_t t0 = photon_tsc_now_ordered();
		uint64_t c = photon_monotonic_ns();
		uint64_t t1 = photon_tsc_now_ordered();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = c;
		}
	}
}

#define TSC_WINDOW_DEFAULT_NS 10000000ull    /* 10 ms */
#define TSC_WINDOW_MAX_NS     10000000000ull /* 10 s */

PHOTON_API int photon_tsc_calibrate(double *ticks_per_ns, uint64_t window_ns)
{
	uint64_t t0, t1, n0, n1;
	struct timespec left;

	if (!ticks_per_ns)
		return photon_set_error(PHOTON_EINVAL,
					"photon_tsc_calibrate: NULL argument");
	if (window_ns > TSC_WINDOW_MAX_NS)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "photon_tsc_calibrate: window %llu ns is "
		    "longer than 10 s",
		    (unsigned long long)window_ns);
	if (!PHOTON__TSC_HW) {
		*ticks_per_ns = 1.0; /* the counter is the clock */
		return PHOTON_OK;
	}
	if (window_ns == 0)
		window_ns = TSC_WINDOW_DEFAULT_NS;
	tsc_clock_pair(&t0, &n0);
	left.tv_sec = (time_t)(window_ns / 1000000000u);
	left.tv_nsec = (long)(window_ns % 1000000000u);
	while (nanosleep(&left, &left) != 0)
		if (errno != EINTR)
			return fail_sys("photon_tsc_calibrate: nanosleep");
	tsc_clock_pair(&t1, &n1);
	if (n1 <= n0 || t1 <= t0)
		return photon_set_error(
		    PHOTON_ENOTSUP,
		    "photon_tsc_calibrate: the counter (%s) "
		    "did not advance",
		    photon_tsc_source());
	*ticks_per_ns = (double)(t1 - t0) / (double)(n1 - n0);
	return PHOTON_OK;
}

PHOTON_API uint64_t photon_tsc_to_ns(uint64_t ticks, double ticks_per_ns)
{
	double ns;

	if (!(ticks_per_ns > 0) || !isfinite(ticks_per_ns))
		return 0;
	ns = (double)ticks / ticks_per_ns + 0.5;
	/* 2^64 as a double: anything at or above it saturates. */
	return ns >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)ns;
}
