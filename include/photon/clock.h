/* SPDX-License-Identifier: MIT */
/**
 * @file
 * A portable time-stamp counter (photonring-metrics: link
 * PhotonRing::metrics, or pkg-config photon-ring-metrics).
 *
 * photon_tsc_now() reads the CPU's cycle counter (x86 RDTSC, AArch64
 * CNTVCT_EL0) or, elsewhere, CLOCK_MONOTONIC in nanoseconds. Its rate is
 * measured, never assumed: photon_tsc_calibrate() times it against
 * CLOCK_MONOTONIC, and photon_tsc_to_ns() converts a tick count.
 */
#ifndef PHOTON_CLOCK_H
#define PHOTON_CLOCK_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

/** @{ */
/**
 * The instruction ladder of the inline TSC reads. Library code keeps its
 * architecture-specific instructions in src/arch.h; these two are here
 * because they must inline into the caller's code.
 *
 * @code{.unparsed}
 *   x86 / x86-64  RDTSC; ordered: RDTSCP (waits until every earlier
 *                 instruction has executed) then LFENCE (no later one
 *                 starts before the read). Invariant TSC: one rate on every
 *                 core ("constant_tsc nonstop_tsc" in /proc/cpuinfo).
 *   AArch64       MRS CNTVCT_EL0, the virtual counter (often 24 MHz to
 *                 1 GHz); ordered: between two ISBs.
 *   elsewhere     photon_tsc_read(): CLOCK_MONOTONIC in nanoseconds.
 * @endcode
 */
PHOTON_API uint64_t photon_tsc_read(void);
PHOTON_API uint64_t photon_tsc_read_ordered(void);
/** @} */

/**
 * Current counter value; the read may move among the surrounding
 * instructions (cheapest). Exported twin: photon_tsc_read(). Any thread.
 */
PHOTON__INLINE uint64_t photon_tsc_now(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return photon_tsc_read();
#endif
}

/**
 * Current counter value, read after every earlier instruction completed and
 * before any later one starts: for the end of a timed region, or a stamp
 * that must not be taken early. Exported twin: photon_tsc_read_ordered().
 */
PHOTON__INLINE uint64_t photon_tsc_now_ordered(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned aux;
	uint64_t v = __builtin_ia32_rdtscp(&aux);
	__asm__ __volatile__("lfence" ::: "memory");
	return v;
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0\n\tisb"
			     : "=r"(v)
			     :
			     : "memory");
	return v;
#else
	return photon_tsc_read_ordered();
#endif
}

/** What photon_tsc_now() reads: "rdtsc", "cntvct_el0" or "clock_gettime". */
PHOTON_API const char *photon_tsc_source(void);

/**
 * Measures the counter's rate against CLOCK_MONOTONIC over window_ns (0: 10
 * ms; at most 10 s) and stores ticks per nanosecond in *ticks_per_ns (about
 * the TSC frequency in GHz; 1.0 for the clock_gettime source). The calling
 * thread sleeps for the window. PHOTON_OK, PHOTON_EINVAL (NULL, window too
 * long), PHOTON_ENOTSUP (the counter did not advance) or PHOTON_ESYS. Any
 * thread; pin it, or call it on a machine with an invariant TSC.
 */
PHOTON_API int photon_tsc_calibrate(double *ticks_per_ns, uint64_t window_ns);

/**
 * ticks / ticks_per_ns, rounded to the nearest nanosecond and saturated at
 * UINT64_MAX; 0 when ticks_per_ns is not a positive finite number.
 */
PHOTON_API uint64_t photon_tsc_to_ns(uint64_t ticks, double ticks_per_ns);

PHOTON__EXTERN_C_END

#endif /* PHOTON_CLOCK_H */
