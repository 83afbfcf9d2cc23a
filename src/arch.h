/* SPDX-License-Identifier: MIT */
/*
 * The one place for architecture-specific instructions, each with a portable
 * fallback, and the run-time CPU detection they depend on (cpu.c).
 */
#ifndef PHOTON_ARCH_H
#define PHOTON_ARCH_H

#include <stdint.h>

/* Tells the core we are spinning: frees pipeline resources for the sibling
 * hyperthread and avoids the memory-order machine clear on loop exit. */
static inline void photon__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#elif defined(__riscv)
	__asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Hardware waits on a memory location, as detected at run time. */
enum photon__monitor {
	PHOTON__MONITOR_NONE = 0, /* fall back to PAUSE bursts */
	PHOTON__MONITOR_MWAITX,	  /* AMD MONITORX/MWAITX, user mode */
	PHOTON__MONITOR_UMWAIT,	  /* Intel WAITPKG UMONITOR/UMWAIT */
	PHOTON__MONITOR_WFE,	  /* AArch64 exclusive load + WFE */
	PHOTON__MONITOR_WRS	  /* RISC-V Zawrs: LR.D + WRS.STO */
};

/* Which hardware wait this CPU offers (detected once, thread-safe). */
enum photon__monitor photon__monitor_kind(void);

/*
 * Waits while *addr < want (a stamp below the one the reader needs), for at
 * most about `cycles` TSC cycles (or the event-stream period on AArch64, the
 * implementation's short timeout of WRS.STO on RISC-V).
 * Arms the monitor, then re-checks *addr against `want` before waiting, so a
 * store that reached `want` at any time before the arming is never slept
 * through. May return early (interrupts, other writes to the line). With
 * PHOTON__MONITOR_NONE it is a burst of PAUSEs.
 */
void photon__monitor_wait(const uint64_t *addr, uint64_t want, uint32_t cycles);

#endif /* PHOTON_ARCH_H */
