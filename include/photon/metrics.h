/* SPDX-License-Identifier: MIT */
/*
 * Observability: a portable time-stamp counter, an HDR-style latency
 * histogram, and exporters of counters and histograms as Prometheus text
 * and StatsD lines.
 *
 * TSC. photon_tsc_now() reads the CPU's cycle counter (x86 RDTSC, AArch64
 * CNTVCT_EL0) or, elsewhere, CLOCK_MONOTONIC in nanoseconds. Its rate is
 * measured, never assumed: photon_tsc_calibrate() times it against
 * CLOCK_MONOTONIC, and photon_tsc_to_ns() converts a tick count.
 *
 * Histogram. Log-linear buckets over any uint64 value (TSC ticks,
 * nanoseconds, sizes): values below 2^(b+1) get one bucket each; above, each
 * power of two [2^e, 2^(e+1)) is split into 2^b equal buckets, where b is the
 * number of significant bits (PHOTON_HISTOGRAM_SIG_BITS_MIN..MAX, default
 * PHOTON_HISTOGRAM_SIG_BITS_DEFAULT). A percentile is reported as the middle
 * of its bucket, clamped to the exact min and max, so it is within
 * 2^-(b+1) of the sample at that rank, relative (0.39 % for b = 7), over the
 * whole uint64 range. Memory is fixed at creation ((65 - b) * 2^b counters);
 * recording is a few instructions, with no allocation, lock or atomic.
 *
 * Export. A struct photon_metrics registry lists the objects to export
 * (subscribers, groups, publishers, histograms), each with its labels; it
 * renders them as one Prometheus text exposition (format 0.0.4) into a
 * caller's buffer or a FILE *, or sends them as StatsD lines over UDP.
 * Neither allocates on the render path.
 *
 * Thread contract. A histogram belongs to its recording thread: records,
 * reset, merge into it, and every read (percentile, export) must not run
 * concurrently with a record into it. To read one while the recorder runs,
 * have the recording thread photon_histogram_copy() it into a snapshot
 * (handed over under a lock) and read or register the snapshot. Subscriber
 * and group counters and a publisher's sequence are read with atomic loads,
 * so a monitoring thread may render or send them while those handles are in
 * use (but not close them meanwhile). A registry or StatsD handle is used by
 * one thread at a time.
 */
#ifndef PHOTON_METRICS_H
#define PHOTON_METRICS_H

#include <stdio.h>

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_subscriber;
struct photon_group;
struct photon_publisher;

/* ---- time-stamp counter ---- */

/*
 * The instruction ladder of the inline TSC reads. Library code keeps its
 * architecture-specific instructions in src/arch.h; these two are here
 * because they must inline into the caller's code.
 *
 *   x86 / x86-64  RDTSC; ordered: RDTSCP (waits until every earlier
 *                 instruction has executed) then LFENCE (no later one
 *                 starts before the read). Invariant TSC: one rate on every
 *                 core ("constant_tsc nonstop_tsc" in /proc/cpuinfo).
 *   AArch64       MRS CNTVCT_EL0, the virtual counter (often 24 MHz to
 *                 1 GHz); ordered: between two ISBs.
 *   elsewhere     photon_tsc_read(): CLOCK_MONOTONIC in nanoseconds.
 */
PHOTON_API uint64_t photon_tsc_read(void);
PHOTON_API uint64_t photon_tsc_read_ordered(void);

/*
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

/*
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

/* What photon_tsc_now() reads: "rdtsc", "cntvct_el0" or "clock_gettime". */
PHOTON_API const char *photon_tsc_source(void);

/*
 * Measures the counter's rate against CLOCK_MONOTONIC over window_ns (0: 10
 * ms; at most 10 s) and stores ticks per nanosecond in *ticks_per_ns (about
 * the TSC frequency in GHz; 1.0 for the clock_gettime source). The calling
 * thread sleeps for the window. PHOTON_OK, PHOTON_EINVAL (NULL, window too
 * long), PHOTON_ENOTSUP (the counter did not advance) or PHOTON_ESYS. Any
 * thread; pin it, or call it on a machine with an invariant TSC.
 */
PHOTON_API int photon_tsc_calibrate(double *ticks_per_ns, uint64_t window_ns);

/*
 * ticks / ticks_per_ns, rounded to the nearest nanosecond and saturated at
 * UINT64_MAX; 0 when ticks_per_ns is not a positive finite number.
 */
PHOTON_API uint64_t photon_tsc_to_ns(uint64_t ticks, double ticks_per_ns);

/* ---- histogram ---- */

#define PHOTON_HISTOGRAM_SIG_BITS_MIN	  1
#define PHOTON_HISTOGRAM_SIG_BITS_MAX	  10
#define PHOTON_HISTOGRAM_SIG_BITS_DEFAULT 7 /* 0.39 %, 58 KiB */

/*
 * Private: the fields the inline photon_histogram_record() touches, all on
 * one cache line, followed in the same memory by the bucket counters. Do not
 * copy the struct (counts points into its own memory): use
 * photon_histogram_copy().
 */
struct photon_histogram {
	union {
		uint64_t *counts; /* bucket counters, right after this struct */
		uint64_t counts_word_; /* 8 bytes on 32-bit targets too */
	};
	uint64_t count;	       /* values recorded */
	uint64_t min;	       /* UINT64_MAX while empty */
	uint64_t max;	       /* 0 while empty */
	uint64_t sum_lo;       /* 128-bit sum of the values, low word */
	uint64_t sum_hi;       /* and high word */
	uint32_t sig_bits;     /* b */
	uint32_t flags;	       /* private */
	uint64_t bucket_count; /* (65 - b) << b */
};

PHOTON__STATIC_ASSERT(sizeof(struct photon_histogram) == 64,
		      "the recording fields fill one cache line");

/* Bytes photon_histogram_init() needs for sig_bits b in range (a constant
 * expression, for static buffers). */
#define PHOTON_HISTOGRAM_BYTES(b) \
	(sizeof(struct photon_histogram) + ((size_t)(65 - (b)) << (b)) * 8)

/* The same as a function: 0 means the default; 0 when out of range. */
PHOTON_API size_t photon_histogram_size(unsigned sig_bits);

/*
 * Allocates a histogram with sig_bits significant bits (0: the default).
 * PHOTON_OK, PHOTON_EINVAL (NULL out, sig_bits out of range) or
 * PHOTON_ENOMEM. The one allocation of its life; free with
 * photon_histogram_destroy().
 */
PHOTON_API int photon_histogram_create(struct photon_histogram **out,
				       unsigned sig_bits);

/*
 * Builds an empty histogram in the caller's memory: size bytes at mem,
 * 8-byte aligned, at least photon_histogram_size(sig_bits). PHOTON_OK or
 * PHOTON_EINVAL. The caller owns mem; photon_histogram_destroy() on such a
 * histogram does nothing.
 */
PHOTON_API int photon_histogram_init(struct photon_histogram **out, void *mem,
				     size_t size, unsigned sig_bits);

/* Frees a histogram from photon_histogram_create(). NULL is a no-op. */
PHOTON_API void photon_histogram_destroy(struct photon_histogram *h);

/* Index of the bucket holding v: (shift << b) + (v >> shift), where shift
 * is 0 below 2^(b+1) and the bit length of v minus b - 1 above. */
PHOTON__INLINE size_t photon__histogram_index(uint64_t v, unsigned b)
{
	unsigned shift = (unsigned)(63 - __builtin_clzll(v | (1ull << b))) - b;

	return ((size_t)shift << b) + (size_t)(v >> shift);
}

/*
 * Records one value: O(1), no allocation, no atomics. PHOTON_OK, or
 * PHOTON_EINVAL for NULL. Only the histogram's recording thread (see the
 * thread contract above). Exported twin: photon_histogram_record_n(h, v, 1).
 */
PHOTON__INLINE int photon_histogram_record(struct photon_histogram *h,
					   uint64_t v)
{
	if (PHOTON__UNLIKELY(!h))
		return PHOTON_EINVAL;
	h->counts[photon__histogram_index(v, h->sig_bits)]++;
	h->count++;
	h->sum_lo += v;
	h->sum_hi += h->sum_lo < v; /* carry */
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	return PHOTON_OK;
}

/*
 * Records n copies of v (n == 0 is a no-op). PHOTON_OK, or PHOTON_EINVAL
 * for NULL or when the total count would pass UINT64_MAX (nothing recorded).
 */
PHOTON_API int photon_histogram_record_n(struct photon_histogram *h, uint64_t v,
					 uint64_t n);

/*
 * The value at percentile p (0 <= p <= 100) by nearest rank: the sample of
 * rank ceil(p / 100 * count) (at least 1) in sorted order, within 2^-(b+1)
 * relative; p = 0 gives the exact min, p = 100 the exact max. PHOTON_OK,
 * PHOTON_EMPTY (nothing recorded; *out = 0) or PHOTON_EINVAL (NULL, p out of
 * range or NaN).
 */
PHOTON_API int photon_histogram_percentile(const struct photon_histogram *h,
					   double p, uint64_t *out);

/* Getters, 0 for NULL and while empty. sum saturates at UINT64_MAX; mean
 * uses the exact 128-bit sum. */
PHOTON_API uint64_t photon_histogram_count(const struct photon_histogram *h);
PHOTON_API uint64_t photon_histogram_min(const struct photon_histogram *h);
PHOTON_API uint64_t photon_histogram_max(const struct photon_histogram *h);
PHOTON_API uint64_t photon_histogram_sum(const struct photon_histogram *h);
PHOTON_API double photon_histogram_mean(const struct photon_histogram *h);
PHOTON_API unsigned photon_histogram_sig_bits(const struct photon_histogram *h);
PHOTON_API size_t
photon_histogram_bucket_count(const struct photon_histogram *h);

/*
 * Bucket i (0 <= i < bucket_count): its value range [*lo, *hi] and count.
 * The ranges are contiguous and cover 0 .. UINT64_MAX. PHOTON_OK or
 * PHOTON_EINVAL (NULL, i out of range).
 */
PHOTON_API int photon_histogram_bucket(const struct photon_histogram *h,
				       size_t i, uint64_t *lo, uint64_t *hi,
				       uint64_t *count);

/*
 * Adds every value of src to dst, as if recorded into dst. PHOTON_OK, or
 * PHOTON_EINVAL (NULL, different sig_bits, total count past UINT64_MAX;
 * dst unchanged). dst's recorder must be quiescent, or the caller is it.
 */
PHOTON_API int photon_histogram_merge(struct photon_histogram *dst,
				      const struct photon_histogram *src);

/*
 * Makes dst an exact copy of src (a snapshot). PHOTON_OK, or PHOTON_EINVAL
 * (NULL, different sig_bits). Called by src's recording thread, or while it
 * is quiescent.
 */
PHOTON_API int photon_histogram_copy(struct photon_histogram *dst,
				     const struct photon_histogram *src);

/* Empties the histogram (the recording thread). NULL is a no-op. */
PHOTON_API void photon_histogram_reset(struct photon_histogram *h);

/* ---- export registry ---- */

/*
 * A Prometheus label. Names match [a-zA-Z_][a-zA-Z0-9_]* and do not start
 * with "__"; values are any string (escaped on output). The registry copies
 * the pairs but borrows the strings: they must outlive the registration.
 */
struct photon_label {
	const char *name;
	const char *value;
};

#define PHOTON_METRICS_MAX_LABELS 8

/*
 * How a histogram is exported. Zero-initialise, set name; the struct only
 * grows at the end, into `reserved`, which must be zero.
 */
struct photon_metric_histogram {
	/* Family name after the registry prefix, [a-zA-Z_:][a-zA-Z0-9_:]*,
	 * e.g. "recv_latency_seconds". */
	const char *name;
	/* # HELP text; NULL: a generic one. Borrowed. */
	const char *help;
	/*
	 * Exported value = recorded value * scale. Prometheus convention is
	 * seconds: 1e-9 for nanoseconds, 1e-9 / ticks_per_ns for TSC ticks.
	 * 0 means 1 (export the raw values). Positive and finite otherwise.
	 */
	double scale;
	/*
	 * The le bounds in exported units, finite and strictly increasing;
	 * +Inf is added. NULL (with nbounds 0): 1, 2.5, 5 x 10^k seconds
	 * from 10 ns to 10 s (28 bounds). Borrowed.
	 */
	const double *bounds;
	size_t nbounds;
	uint64_t reserved[4];
};

struct photon_metrics;

/*
 * A registry of up to capacity objects, allocated once here. Family names
 * start with prefix and "_" (NULL: "photon"; "": no prefix). PHOTON_OK,
 * PHOTON_EINVAL (NULL out, capacity 0, a prefix that is not a metric name)
 * or PHOTON_ENOMEM.
 */
PHOTON_API int photon_metrics_create(struct photon_metrics **out,
				     const char *prefix, size_t capacity);

/* Frees the registry (not the objects). NULL is a no-op. */
PHOTON_API void photon_metrics_destroy(struct photon_metrics *m);

/*
 * Registers a subscriber, group or publisher with up to
 * PHOTON_METRICS_MAX_LABELS labels (labels may be NULL when nlabels is 0).
 * The handle must stay open until photon_metrics_remove(). PHOTON_OK,
 * PHOTON_EINVAL (NULL, bad or duplicate label name, too many labels, object
 * already registered) or PHOTON_ENOMEM (registry full).
 *
 *   subscriber: <prefix>_subscriber_received_total, _lagged_total (counters:
 *               messages delivered, messages lost to overruns),
 *               _receive_ratio, _pending (gauges)
 *   group:      <prefix>_group_* as above, plus _members (gauge)
 *   publisher:  <prefix>_publisher_published_total (counter: the sequence)
 */
PHOTON_API int photon_metrics_add_subscriber(struct photon_metrics *m,
					     const struct photon_subscriber *s,
					     const struct photon_label *labels,
					     size_t nlabels);
PHOTON_API int photon_metrics_add_group(struct photon_metrics *m,
					const struct photon_group *g,
					const struct photon_label *labels,
					size_t nlabels);
PHOTON_API int photon_metrics_add_publisher(struct photon_metrics *m,
					    const struct photon_publisher *p,
					    const struct photon_label *labels,
					    size_t nlabels);

/*
 * Registers a histogram as the family <prefix>_<desc->name> (type
 * histogram: _bucket{le=...}, _sum, _count). Histograms registered under
 * one name form one family (HELP from the first) and need distinct label
 * sets; "le" is not allowed as a label. Codes as above, and PHOTON_EINVAL
 * for a bad scale or bounds, or a name that is not a metric name, is a
 * built-in family, or ends in _bucket, _sum, _count or _total. See the
 * thread contract: register a snapshot to export from a thread that is not
 * the recorder.
 */
PHOTON_API int
photon_metrics_add_histogram(struct photon_metrics *m,
			     const struct photon_histogram *h,
			     const struct photon_metric_histogram *desc,
			     const struct photon_label *labels, size_t nlabels);

/* Unregisters object (a handle or histogram), e.g. before closing it.
 * PHOTON_OK or PHOTON_EINVAL (NULL, not registered). */
PHOTON_API int photon_metrics_remove(struct photon_metrics *m,
				     const void *object);

/* Entries registered. 0 for NULL. */
PHOTON_API size_t photon_metrics_count(const struct photon_metrics *m);

/*
 * Renders every registered object as Prometheus text exposition format
 * 0.0.4 into buf, snprintf-style: writes at most len bytes including the
 * terminating NUL (nothing when len is 0; buf may then be NULL) and returns
 * the length of the whole text, excluding the NUL. A result >= len means it
 * was truncated. PHOTON_EINVAL for NULL m (or NULL buf with len > 0). No
 * allocation.
 */
PHOTON_API ptrdiff_t photon_metrics_prometheus(const struct photon_metrics *m,
					       char *buf, size_t len);

/* The same text written to f. PHOTON_OK, PHOTON_EINVAL or PHOTON_ESYS
 * (a write failed; errno preserved). */
PHOTON_API int photon_metrics_prometheus_file(const struct photon_metrics *m,
					      FILE *f);

/* ---- StatsD ---- */

/* Largest datagram: fits a 1500-byte Ethernet MTU with IPv6 and UDP
 * headers. Lines are batched into datagrams of at most this size. */
#define PHOTON_STATSD_MTU 1432

struct photon_statsd;

/*
 * A StatsD sink sending UDP datagrams to host:port (a numeric address or a
 * name for getaddrinfo). Every metric name gets prefix and "." in front
 * (NULL or "": nothing). PHOTON_OK, PHOTON_EINVAL (NULL, port 0, a prefix
 * with ':', '|', '@' or a newline), PHOTON_ENOMEM or PHOTON_ESYS (resolving
 * or socket() failed; the detail message says which).
 */
PHOTON_API int photon_statsd_open(struct photon_statsd **out, const char *host,
				  uint16_t port, const char *prefix);

/* Sends what is pending, closes the socket, frees the handle. NULL: no-op. */
PHOTON_API void photon_statsd_close(struct photon_statsd *s);

/*
 * Queue one line: "name:delta|c", "name:value|g", "name:ms|ms". A line that
 * does not fit the pending datagram sends it first. PHOTON_OK, PHOTON_EINVAL
 * (NULL, a name that is empty or holds ':', '|', '@' or a newline, a value
 * that is not finite, a line longer than PHOTON_STATSD_MTU) or PHOTON_ESYS
 * (sending the full datagram failed; the new line is still queued).
 */
PHOTON_API int photon_statsd_count(struct photon_statsd *s, const char *name,
				   int64_t delta);
PHOTON_API int photon_statsd_gauge(struct photon_statsd *s, const char *name,
				   double value);
PHOTON_API int photon_statsd_timing(struct photon_statsd *s, const char *name,
				    double ms);

/* Sends the pending datagram, if any. PHOTON_OK, PHOTON_EINVAL or
 * PHOTON_ESYS (errno preserved; the datagram is dropped). */
PHOTON_API int photon_statsd_flush(struct photon_statsd *s);

/*
 * Sends every object of the registry, then flushes. Names are
 * [<sink prefix>.][<registry prefix>.]<kind>.<label values>.<metric>, e.g.
 * "app.photon.subscriber.md.a.received", label values in registration
 * order with characters outside [A-Za-z0-9_-] replaced by '_':
 *
 *   subscriber, group: received, lagged (counters: the increase since the
 *                      last send), receive_ratio, pending (gauges);
 *                      a group also members (gauge)
 *   publisher:         published (counter, increase)
 *   histogram:         <name>.<labels>.count (counter, increase) and
 *                      p50, p90, p99, p999, max as gauges of value * scale
 *                      * 1000 (milliseconds when scale gives seconds).
 *
 * Percentiles go as gauges, not as "|ms" timers, which the server would
 * aggregate again (percentiles of percentiles). The increases are kept in
 * the registry, so send one registry to one sink. PHOTON_OK, PHOTON_EINVAL
 * or PHOTON_ESYS (a datagram could not be sent; the rest are still sent).
 */
PHOTON_API int photon_statsd_send_metrics(struct photon_statsd *s,
					  struct photon_metrics *m);

PHOTON__EXTERN_C_END

#endif /* PHOTON_METRICS_H */
