/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Shared definitions of the public headers: the export macro, the status
 * codes, and the small atomic layer the inline hot paths use.
 *
 * The headers must compile as C11 and as C++17. C++ has no _Atomic, so every
 * atomic access in a header goes through the PHOTON__LOAD/STORE helpers below,
 * which are the GCC/Clang __atomic builtins on plain fixed-width integers and
 * name their memory order at every call site. Shared fields are wrapped in
 * struct photon__atomic64 so that a plain read or write of one does not
 * compile.
 */
#ifndef PHOTON_COMMON_H
#define PHOTON_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <photon/version.h>

#if !defined(__GNUC__) && !defined(__clang__)
#error "libphotonring needs GCC or Clang (the __atomic builtins)"
#endif

/*
 * Refuse, here and with a reason, the targets the headers cannot serve,
 * rather than with a wall of errors further down: the slot index of a
 * capacity that is not a power of two is an exact 128-bit multiply-shift
 * (channel.h), and the stamps, cursors and sequences are 64-bit words that
 * the hot path loads and stores as single lock-free atomics.
 */
#if !defined(__SIZEOF_INT128__)
#error "libphotonring needs a 64-bit target (this one has no __int128)"
#endif
#if __SIZEOF_POINTER__ != 8 || __SIZEOF_LONG_LONG__ != 8
#error "libphotonring needs a 64-bit target (8-byte pointers)"
#endif

#ifdef __cplusplus
#define PHOTON__EXTERN_C_BEGIN	      extern "C" {
#define PHOTON__EXTERN_C_END	      }
#define PHOTON__STATIC_ASSERT(c, msg) static_assert(c, msg)
#else
#define PHOTON__EXTERN_C_BEGIN
#define PHOTON__EXTERN_C_END
#define PHOTON__STATIC_ASSERT(c, msg) _Static_assert(c, msg)
#endif

/*
 * The casts of the headers' inline code and macros: C casts in C, the named
 * casts in C++, so that C++ code built with -Wold-style-cast (and clang's
 * -Wcast-align, which reinterpret_cast does not trip) stays quiet without a
 * pragma. PHOTON__CAST converts values and void pointers; PHOTON__PUN
 * reinterprets a byte pointer as a pointer to words of the slot.
 */
#ifdef __cplusplus
#define PHOTON__CAST(T, x) (static_cast<T>(x))
#define PHOTON__PUN(T, x)  (reinterpret_cast<T>(x))
#else
#define PHOTON__CAST(T, x) ((T)(x))
#define PHOTON__PUN(T, x)  ((T)(x))
#endif

/**
 * Every public symbol carries PHOTON_API; the library is built with
 * -fvisibility=hidden, so everything else stays internal. The same attribute
 * serves the static and the shared library.
 */
#define PHOTON_API __attribute__((visibility("default")))

#define PHOTON__INLINE	    static inline __attribute__((always_inline))
#define PHOTON__UNUSED	    __attribute__((unused))
#define PHOTON__LIKELY(x)   __builtin_expect(!!(x), 1)
#define PHOTON__UNLIKELY(x) __builtin_expect(!!(x), 0)
#define PHOTON__ALIGNED(n)  __attribute__((aligned(n)))

/*
 * Two cache lines: shared fields written by different threads sit this far
 * apart because the adjacent-line prefetcher pulls lines in pairs.
 */
#define PHOTON_CACHE_LINE	    64 /**< Bytes per cache line. */
#define PHOTON__FALSE_SHARING_RANGE 128

/**
 * The status codes. One table produces the constants and photon_strerror(),
 * so the two cannot drift apart.
 */
#define PHOTON_STATUS_TABLE(X)                                                \
	X(PHOTON_OK, 0, "success")                                            \
	X(PHOTON_EMPTY, -1, "nothing new to read yet")                        \
	X(PHOTON_LAGGED, -2, "the reader was overrun; messages were skipped") \
	X(PHOTON_FULL, -3,                                                    \
	  "bounded channel is full: the slowest consumer is too far behind")  \
	X(PHOTON_CLOSED, -4,                                                  \
	  "the channel is closed and every message has been read")            \
	X(PHOTON_EINVAL, -5, "invalid argument")                              \
	X(PHOTON_ENOMEM, -6, "out of memory")                                 \
	X(PHOTON_EBUSY, -7, "resource busy")                                  \
	X(PHOTON_ENOTSUP, -8, "not supported on this build or machine")       \
	X(PHOTON_ETYPE, -9, "topic exists with another message type or size") \
	X(PHOTON_ESYS, -10, "an operating-system call failed (see errno)")    \
	X(PHOTON_EEXIST, -11, "a shared channel of that name exists")         \
	X(PHOTON_ENOENT, -12, "no shared channel of that name")               \
	X(PHOTON_EPERM, -13,                                                  \
	  "permission denied on the shared channel (see errno)")              \
	X(PHOTON_EPROTO, -14,                                                 \
	  "not a valid shared channel: its header fails validation")

#define PHOTON__STATUS_ENUM(name, value, text) name = value,
/**
 * What the int-returning calls return: PHOTON_OK or a negative code, each
 * with its text from PHOTON_STATUS_TABLE.
 */
enum photon_status { PHOTON_STATUS_TABLE(PHOTON__STATUS_ENUM) };
#undef PHOTON__STATUS_ENUM

/** Largest payload a channel accepts (1 MiB). */
#define PHOTON_MSG_SIZE_MAX (PHOTON__CAST(size_t, 1) << 20)

PHOTON__EXTERN_C_BEGIN

/**
 * Name of a status code, such as "nothing new to read yet". Never NULL, also
 * for codes it does not know. Thread-safe.
 */
PHOTON_API const char *photon_strerror(int code);

/**
 * Detail of the calling thread's last failed control-plane call (create,
 * open, subscribe, ...): what failed and what to do. "" when there was none.
 * The hot path (publish, try_recv) never sets it. Thread-safe (per thread).
 */
PHOTON_API const char *photon_last_error_message(void);

/**
 * Run-time version, to compare with PHOTON_VERSION_* from the headers:
 * PHOTON_VERSION_NUMBER of the library's build.
 */
PHOTON_API unsigned photon_version(void);
/** PHOTON_VERSION_STRING of the library's build. */
PHOTON_API const char *photon_version_string(void);

PHOTON__EXTERN_C_END

/*
 * Words shared between threads; only the helpers below touch their `v`
 * (scripts/test.sh fails the build if any other file does). The 32-bit one
 * is the futex word the parked readers sleep on.
 */
struct photon__atomic64 {
	uint64_t v;
};
struct photon__atomic32 {
	uint32_t v;
};

#define PHOTON__RELAXED __ATOMIC_RELAXED
#define PHOTON__ACQUIRE __ATOMIC_ACQUIRE
#define PHOTON__RELEASE __ATOMIC_RELEASE
#define PHOTON__ACQ_REL __ATOMIC_ACQ_REL
#define PHOTON__SEQ_CST __ATOMIC_SEQ_CST

/* Each names its memory order; they work on either wrapped type. */
#define PHOTON__LOAD(a, order)	       __atomic_load_n(&(a)->v, order)
#define PHOTON__STORE(a, val, order)   __atomic_store_n(&(a)->v, (val), order)
#define PHOTON__FETCH_ADD(a, n, order) __atomic_fetch_add(&(a)->v, (n), order)
#define PHOTON__FETCH_SUB(a, n, order) __atomic_fetch_sub(&(a)->v, (n), order)
/* Strong compare-and-swap; on failure *expected is the current value. */
#define PHOTON__CAS(a, expected, desired, success, failure)            \
	__atomic_compare_exchange_n(&(a)->v, (expected), (desired), 0, \
				    success, failure)
/*
 * A counter with a single writer that other threads may read: a relaxed
 * load and store, no read-modify-write (no lock prefix on x86).
 */
#define PHOTON__BUMP(a, n)                                       \
	PHOTON__STORE(a, PHOTON__LOAD(a, PHOTON__RELAXED) + (n), \
		      PHOTON__RELAXED)
/* The word's address, for system calls and monitor waits (futex, MWAITX). */
#define PHOTON__ADDR(a) (&(a)->v)

/*
 * ThreadSanitizer does not model stand-alone fences. In TSan builds the two
 * seqlock fences are replaced by release payload stores and acquire payload
 * loads, which are at least as strong (docs/PROTOCOL.md, 3).
 */
#if defined(__SANITIZE_THREAD__)
#define PHOTON__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PHOTON__TSAN 1
#endif
#endif
#ifndef PHOTON__TSAN
#define PHOTON__TSAN 0
#endif

#endif /* PHOTON_COMMON_H */
