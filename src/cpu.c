/* SPDX-License-Identifier: MIT */
/*
 * Run-time CPU detection and the hardware monitor waits. Each instruction
 * set is compiled only for the function that uses it (target attributes), so
 * the library runs on any CPU of its architecture and picks the wait once.
 */
#include <pthread.h>

#include "arch.h"
#include "testing.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

static enum photon__monitor monitor_kind;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned a, b, c, d;

	/* Intel WAITPKG: CPUID.(EAX=7,ECX=0):ECX[5]. */
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 5)))
		monitor_kind = PHOTON__MONITOR_UMWAIT;
	/* AMD MONITORX: CPUID.80000001H:ECX[29]. */
	else if (__get_cpuid(0x80000001u, &a, &b, &c, &d) && (c & (1u << 29)))
		monitor_kind = PHOTON__MONITOR_MWAITX;
#elif defined(__aarch64__)
	/* WFE is always available at EL0 on Linux (not trapped). */
	monitor_kind = PHOTON__MONITOR_WFE;
#endif
}

enum photon__monitor photon__monitor_kind(void)
{
	pthread_once(&detect_once, detect);
	return monitor_kind;
}

static void pause_burst(void)
{
	int i;

	for (i = 0; i < 64; i++)
		photon__cpu_relax();
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("mwaitx"))) static void
wait_mwaitx(const uint64_t *addr, uint64_t want, uint32_t cycles)
{
	_mm_monitorx((void *)addr, 0, 0);
	/* Re-check after arming: a store that landed before the arm would
	 * otherwise be slept through until the timeout. */
	if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) >= want)
		return;
	PHOTON__TEST_POINT(PHOTON__TP_MONITOR_SLEEP, addr);
	_mm_mwaitx(2 /* timer enable */, 0, cycles);
}

__attribute__((target("waitpkg"))) static void
wait_umwait(const uint64_t *addr, uint64_t want, uint32_t cycles)
{
	_umonitor((void *)addr);
	if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) >= want)
		return;
	PHOTON__TEST_POINT(PHOTON__TP_MONITOR_SLEEP, addr);
	/* Control 0: the C0.2 state (deeper, still microsecond exit). */
	_umwait(0, __rdtsc() + cycles);
}
#endif

void photon__monitor_wait(const uint64_t *addr, uint64_t want, uint32_t cycles)
{
	switch (photon__monitor_kind()) {
#if defined(__x86_64__) || defined(__i386__)
	case PHOTON__MONITOR_MWAITX:
		wait_mwaitx(addr, want, cycles);
		return;
	case PHOTON__MONITOR_UMWAIT:
		wait_umwait(addr, want, cycles);
		return;
#endif
#if defined(__aarch64__)
	case PHOTON__MONITOR_WFE: {
		uint64_t v;

		/* The exclusive load arms the monitor; a store to the line
		 * by another core clears it and sends the event that ends
		 * WFE. No SEVL first: that pair returns at once. The kernel's
		 * event stream bounds the wait (about 100 us). */
		__asm__ __volatile__("ldaxr %0, [%1]"
				     : "=&r"(v)
				     : "r"(addr)
				     : "memory");
		if (v < want) {
			PHOTON__TEST_POINT(PHOTON__TP_MONITOR_SLEEP, addr);
			__asm__ __volatile__("wfe" ::: "memory");
		}
		(void)cycles;
		return;
	}
#endif
	default:
		(void)cycles;
		/* No monitor: the same re-check, then PAUSEs (the test build
		 * observes the decision here on any CPU). */
		if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) >= want)
			return;
		PHOTON__TEST_POINT(PHOTON__TP_MONITOR_SLEEP, addr);
		pause_burst();
		return;
	}
}
