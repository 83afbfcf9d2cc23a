/* SPDX-License-Identifier: MIT */
/*
 * The one place for architecture-specific instructions, each with a portable
 * fallback.
 */
#ifndef PHOTON_ARCH_H
#define PHOTON_ARCH_H

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

#endif /* PHOTON_ARCH_H */
