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
#if defined(__riscv) && __riscv_xlen == 64
#include <sys/syscall.h>
#include <unistd.h>

/*
 * riscv_hwprobe (Linux 6.4) and its Zawrs bit (6.11), defined here when the
 * kernel headers are older (Debian 12's are 6.1). A kernel without either
 * answers ENOSYS or leaves the bit clear: no monitor wait.
 */
#ifndef __NR_riscv_hwprobe
#define __NR_riscv_hwprobe 258
#endif
#define RISCV_HWPROBE_KEY_IMA_EXT_0_ 4
#define RISCV_HWPROBE_EXT_ZAWRS_     (1ull << 48)

struct hwprobe_pair {
	int64_t key;
	uint64_t value;
};
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
#elif defined(__riscv) && __riscv_xlen == 64
	/* Zawrs only when the kernel says so: WRS is an illegal instruction
	 * elsewhere (qemu 7.2 among them). A key the kernel does not know
	 * comes back as -1. */
	struct hwprobe_pair p = { RISCV_HWPROBE_KEY_IMA_EXT_0_, 0 };

	if (syscall(__NR_riscv_hwprobe, &p, 1, 0, NULL, 0) == 0 &&
	    p.key == RISCV_HWPROBE_KEY_IMA_EXT_0_ &&
	    (p.value & RISCV_HWPROBE_EXT_ZAWRS_))
		monitor_kind = PHOTON__MONITOR_WRS;
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
#if defined(__riscv) && __riscv_xlen == 64
	case PHOTON__MONITOR_WRS: {
		uint64_t v;

		/* The load-reserved arms the reservation set; a store to it
		 * by another hart ends WRS. WRS.STO, not WRS.NTO: it ends by
		 * itself after a short, implementation-defined time (the
		 * bound WFE gets from the event stream), and it is not the
		 * variant that mstatus.TW may turn into a trap. Encoded with
		 * .insn: Debian 12's assembler does not know Zawrs. */
		__asm__ __volatile__("lr.d.aq %0, (%1)"
				     : "=&r"(v)
				     : "r"(addr)
				     : "memory");
		if (v < want) {
			PHOTON__TEST_POINT(PHOTON__TP_MONITOR_SLEEP, addr);
			/* wrs.sto */
			__asm__ __volatile__(".insn i 0x73, 0, x0, x0, 0x01d" ::
						 : "memory");
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
