/* SPDX-License-Identifier: MIT */
/*
 * Small utilities every unit of the library may use: the error detail, an
 * aligned zeroing allocator and the library's one monotonic clock. The
 * ring core's shared definitions are in internal.h.
 */
#ifndef PHOTON_UTIL_H
#define PHOTON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define PHOTON__COLD	     __attribute__((cold, noinline))
#define PHOTON__PRINTF(f, a) __attribute__((format(printf, f, a)))

/* error.c: sets the calling thread's detail message; returns code. */
int photon__fail(int code, const char *fmt, ...) PHOTON__PRINTF(2, 3);
/* The same for a failed system call: returns with errno = err. */
int photon__fail_errno(int code, int err, const char *fmt, ...)
    PHOTON__PRINTF(3, 4);
void photon__clear_error(void);

/*
 * util.c: `bytes` rounded up to a multiple of `align` (a power of two),
 * aligned to it and zeroed; NULL when out of memory. Freed with free().
 */
void *photon__zalloc(size_t align, size_t bytes);

/*
 * util.c: s made fit for an error detail, into buf (n bytes): at most max
 * of its bytes, each control or non-ASCII byte as \xNN (a name from a
 * user or a file cannot forge a line of a log), "..." when cut. Returns
 * buf.
 */
const char *photon__shown(char *buf, size_t n, const char *s, size_t max);

/* util.c: nanoseconds of CLOCK_MONOTONIC (the test build may replace it). */
uint64_t photon__now_ns(void);

#endif /* PHOTON_UTIL_H */
