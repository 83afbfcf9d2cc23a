/* SPDX-License-Identifier: MIT */
/*
 * The cross-thread harness shared by bench_oneway, bench_pingpong and
 * bench_throughput: the TSC, the transports (libphotonring, the physical
 * floor and the peers), and the driver that pins two threads, runs every
 * transport interleaved and prints medians of several runs; and the
 * driver's helpers (calibration, statistics, the core-to-core probe) that
 * bench_shm uses too.
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
extern const struct xt_transport xt_photon, xt_photon_abi, xt_photon_poll,
    xt_floor, xt_seqlock, xt_seqlock16, xt_seqlock_pf1, xt_seqlock_pf2,
    xt_seqlock_pf4, xt_seqlock_pf8, xt_ck_spsc, xt_ck_spmc, xt_rte_ring,
    xt_boost_spsc, xt_rwqueue, xt_cqueue;

/* Which program the driver runs. */
enum xt_mode { XT_MODE_ONEWAY, XT_MODE_PINGPONG, XT_MODE_THROUGHPUT };

/* Parses the options, runs the benchmark, prints the tables. Exit status. */
int xt_main(int argc, char **argv, enum xt_mode mode);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t xt_clock_ns(void);

/*
 * ---- helpers of the driver, shared with bench_shm (xt_common.c) ----
 *
 * None of them is on a measured path; each may be called from any thread.
 */

/*
 * A run in which a measuring thread spent more than this share of its time
 * preempted (another process, not the transport) is redone: the idle
 * machine's own housekeeping costs about 0.3%.
 */
#define XT_MAX_RUNQ 0.01

/* qsort comparators, ascending. */
int xt_cmp_u64(const void *a, const void *b);
int xt_cmp_double(const void *a, const void *b);

/* xt_tsc ticks per second; *spread_ppm: how far the windows disagreed.
 * Takes 250 ms (it sleeps). */
double xt_calibrate(double *spread_ppm);

/* Nanoseconds the calling thread has spent runnable but not running
 * (preempted), from /proc/thread-self/schedstat; -1 without it. */
int64_t xt_run_delay_ns(void);

/* The share of a span of the calling thread's time spent preempted:
 * xt_span_start, then xt_span_runq on the same thread; -1 when the kernel
 * does not say. */
struct xt_span {
	int64_t d0;
	uint64_t t0;
};
void xt_span_start(struct xt_span *s);
double xt_span_runq(const struct xt_span *s);

/* Nearest rank: the smallest of the n sorted samples s with at least a
 * share p of them at or below it. */
uint64_t xt_rank(const uint64_t *s, uint64_t n, double p);

/* The median of v[0..n-1], n > 0; sorts v. */
double xt_median(double *v, int n);

/* A decimal uint64_t, the whole string, no sign: 0, or -1 with *out
 * untouched. */
int xt_parse_u64(const char *s, uint64_t *out);

/* The first two CPUs this thread may run on, into cpu[]: how many there
 * were (0 to 2), -1 when the affinity cannot be read. */
int xt_first_cpus(int cpu[2]);

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
void xt_cpu_model(char *buf, size_t len);

/*
 * The core-to-core probe, run by both sides just before each measurement:
 * role 0 stores into *ping and waits for the echo in *pong, role 1 echoes,
 * each on its own CPU. Returns the median half round trip in ticks
 * (role 0), 0 for the echoing side. The flags start at 0.
 */
uint64_t xt_probe(struct xt_flag *ping, struct xt_flag *pong, int role);

/*
 * bench_shm's iceoryx peer (iceoryx.c, built when the C binding is found):
 * one publisher or one subscriber per process, shm.c forks a child for
 * each. Here so that the caller and the definitions see one declaration.
 */
int shm_iox_pub_setup(const char *event, char *err, size_t n);
int shm_iox_sub_setup(const char *event, char *err, size_t n);
uint64_t shm_iox_pub_run(uint64_t total, uint64_t interval, int preloan,
			 uint64_t *done);
uint64_t shm_iox_sub_run(uint64_t total, uint64_t warmup, uint64_t count,
			 uint64_t *samples, const uint64_t *done);
void shm_iox_teardown(void);
const char *shm_iox_socket(void);

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
