/* SPDX-License-Identifier: MIT */
/*
 * The cross-thread harness shared by bench_oneway, bench_pingpong and
 * bench_throughput: the TSC, the transports (libphotonring, the physical
 * floor and the peers), and the driver that pins two threads, runs every
 * transport interleaved and prints medians of several runs.
 *
 * A transport is one direction of a queue ("lane") plus the measured loops,
 * compiled in the transport's own file by including xt_loops.h after its
 * inline try_send/try_recv, so every loop runs with the queue operations
 * inlined: no call per message, whichever library it is.
 *
 * Compiles as C11 and C++17: the C++ peers (boost, moodycamel) include it.
 */
#ifndef PHOTON_BENCH_XT_H
#define PHOTON_BENCH_XT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XT_LINE 128 /* two cache lines: the adjacent-line prefetcher */

/* What a transport can be measured on. */
enum xt_caps {
	XT_ONEWAY = 1u << 0,
	XT_PINGPONG = 1u << 1,
	XT_THROUGHPUT = 1u << 2, /* lossless: a full queue holds the sender */
	XT_LOSSY = 1u << 3,	 /* a lossy lane takes every send, unread */
	XT_EXPERIMENT = 1u << 4	 /* run only when named (-t) */
};

/* A flag on a line of its own, written by one thread, polled by another. */
struct xt_flag {
	uint64_t v;
	char pad[XT_LINE - sizeof(uint64_t)];
} __attribute__((aligned(XT_LINE)));

/*
 * One measured run, shared by its two threads. The driver fills the first
 * part; the loops write the results.
 */
struct xt_run {
	uint64_t total;	   /* messages sent, warm-up included */
	uint64_t warmup;   /* first messages not recorded */
	uint64_t interval; /* one-way pacing in TSC ticks */
	int pause;	   /* one PAUSE per empty poll or full retry */
	uint64_t *samples; /* total - warmup latencies in TSC ticks */
	/* Results. */
	uint64_t received; /* messages the receiver got */
	uint64_t t_start;  /* throughput: TSC before the first send */
	uint64_t t_end;	   /* throughput: TSC after the last receive */
	uint64_t errors;   /* throughput: messages out of order */
	uint64_t full;	   /* throughput: sends refused (queue full) */
	uint64_t empty;	   /* throughput: polls that found nothing */
	/* The sender is done (lossy transports may drop the last ones). */
	struct xt_flag done;
};

struct xt_transport {
	const char *name; /* short, for tables and file names */
	const char *desc; /* one line: library, mode, what it is */
	unsigned caps;	  /* enum xt_caps */
	/* One direction of the queue; lossless for the throughput runs. */
	void *(*create)(size_t capacity, int lossless);
	void (*destroy)(void *lane);
	void (*oneway_tx)(void *lane, struct xt_run *run);
	void (*oneway_rx)(void *lane, struct xt_run *run);
	void (*ping)(void *out, void *in, struct xt_run *run);
	void (*pong)(void *in, void *out, struct xt_run *run);
	void (*tput_tx)(void *lane, struct xt_run *run);
	void (*tput_rx)(void *lane, struct xt_run *run);
	/* Single thread, for bench_core: see xt_loops.h. */
	uint64_t (*st_roundtrip)(void *lane, uint64_t n, uint64_t *fails);
	uint64_t (*st_empty)(void *lane, uint64_t n);
	/* n sends into a lossy lane nobody reads (XT_LOSSY only). */
	uint64_t (*st_publish)(void *lane, uint64_t n);
};

/* The transports built into this binary, NULL-terminated. */
extern const struct xt_transport *const xt_transports[];

/* Transports of each file; absent when the peer was not found. */
extern const struct xt_transport xt_photon, xt_photon_abi, xt_floor, xt_seqlock,
    xt_seqlock16, xt_seqlock_pf1, xt_seqlock_pf2, xt_seqlock_pf4,
    xt_seqlock_pf8, xt_ck_spsc, xt_ck_spmc, xt_rte_ring, xt_boost_spsc,
    xt_rwqueue, xt_cqueue;

/* Which program the driver runs. */
enum xt_mode { XT_MODE_ONEWAY, XT_MODE_PINGPONG, XT_MODE_THROUGHPUT };

/* Parses the options, runs the benchmark, prints the tables. Exit status. */
int xt_main(int argc, char **argv, enum xt_mode mode);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t xt_clock_ns(void);

/* ---- time and spinning, inline for the loops ---- */

#if defined(__x86_64__) || defined(__i386__)
/*
 * The sender stamps with RDTSC: the stamp is the data of the store that
 * publishes it, so the store cannot happen before the read. The receiver
 * reads with RDTSCP, which waits until every earlier instruction (the load
 * that saw the message) has executed.
 */
static inline uint64_t xt_tsc(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t xt_tscp(void)
{
	uint32_t lo, hi, aux;
	__asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return ((uint64_t)hi << 32) | lo;
}

static inline void xt_pause(void)
{
	__builtin_ia32_pause();
}
#elif defined(__aarch64__)
/* The virtual counter: constant rate, calibrated like the TSC. */
static inline uint64_t xt_tsc(void)
{
	uint64_t v;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static inline uint64_t xt_tscp(void)
{
	uint64_t v;
	__asm__ __volatile__("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

static inline void xt_pause(void)
{
	__asm__ __volatile__("yield" ::: "memory");
}
#else
static inline uint64_t xt_tsc(void)
{
	return xt_clock_ns();
}

static inline uint64_t xt_tscp(void)
{
	return xt_clock_ns();
}

static inline void xt_pause(void)
{
	__asm__ __volatile__("" ::: "memory");
}
#endif

#ifdef __cplusplus
}
#endif

#endif /* PHOTON_BENCH_XT_H */
