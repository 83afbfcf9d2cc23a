/* SPDX-License-Identifier: MIT */
/**
 * @file
 * An HDR-style latency histogram (photonring-metrics: link
 * PhotonRing::metrics, or pkg-config photon-ring-metrics).
 *
 * Log-linear buckets over any uint64 value (TSC ticks, nanoseconds, sizes):
 * values below 2^(b+1) get one bucket each; above, each power of two
 * [2^e, 2^(e+1)) is split into 2^b equal buckets, where b is the number of
 * significant bits (PHOTON_HISTOGRAM_SIG_BITS_MIN..MAX, default
 * PHOTON_HISTOGRAM_SIG_BITS_DEFAULT). A percentile is reported as the middle
 * of its bucket, clamped to the exact min and max, so it is within
 * 2^-(b+1) of the sample at that rank, relative (0.39 % for b = 7), over the
 * whole uint64 range. Memory is fixed at creation ((65 - b) * 2^b counters);
 * recording is a few instructions, with no allocation, lock or atomic.
 *
 * Thread contract. A histogram belongs to its recording thread: records,
 * reset, merge into it, and every read (percentile, export) must not run
 * concurrently with a record into it. To read one while the recorder runs,
 * have the recording thread photon_histogram_copy() it into a snapshot
 * (handed over under a lock) and read or register the snapshot.
 */
#ifndef PHOTON_HISTOGRAM_H
#define PHOTON_HISTOGRAM_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

#define PHOTON_HISTOGRAM_SIG_BITS_MIN	  1  /**< fewest significant bits */
#define PHOTON_HISTOGRAM_SIG_BITS_MAX	  10 /**< most significant bits */
#define PHOTON_HISTOGRAM_SIG_BITS_DEFAULT 7  /**< default: 0.39 %, 58 KiB */

/**
 * Private: the fields the inline photon_histogram_record() touches, all on
 * one cache line, followed in the same memory by the bucket counters. Do not
 * copy the struct (counts points into its own memory): use
 * photon_histogram_copy().
 */
struct photon_histogram {
	/** @privatesection */
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

/** Bytes photon_histogram_init() needs for sig_bits b in range (a constant
 * expression, for static buffers). */
#define PHOTON_HISTOGRAM_BYTES(b)          \
	(sizeof(struct photon_histogram) + \
	 (PHOTON__CAST(size_t, 65 - (b)) << (b)) * 8)

/** The same as a function: 0 means the default; 0 when out of range. */
PHOTON_API size_t photon_histogram_size(unsigned sig_bits);

/**
 * Allocates a histogram with sig_bits significant bits (0: the default).
 * PHOTON_OK, PHOTON_EINVAL (NULL out, sig_bits out of range) or
 * PHOTON_ENOMEM. The one allocation of its life; free with
 * photon_histogram_destroy().
 */
PHOTON_API int photon_histogram_create(struct photon_histogram **out,
				       unsigned sig_bits);

/**
 * Builds an empty histogram in the caller's memory: size bytes at mem,
 * 8-byte aligned, at least photon_histogram_size(sig_bits). PHOTON_OK or
 * PHOTON_EINVAL. The caller owns mem; photon_histogram_destroy() on such a
 * histogram does nothing.
 */
PHOTON_API int photon_histogram_init(struct photon_histogram **out, void *mem,
				     size_t size, unsigned sig_bits);

/** Frees a histogram from photon_histogram_create(). NULL is a no-op. */
PHOTON_API void photon_histogram_destroy(struct photon_histogram *h);

/* Index of the bucket holding v: (shift << b) + (v >> shift), where shift
 * is 0 below 2^(b+1) and the bit length of v minus b - 1 above. */
PHOTON__INLINE size_t photon__histogram_index(uint64_t v, unsigned b)
{
	unsigned shift =
	    PHOTON__CAST(unsigned, 63 - __builtin_clzll(v | (1ull << b))) - b;

	return (PHOTON__CAST(size_t, shift) << b) +
	       PHOTON__CAST(size_t, v >> shift);
}

/**
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

/**
 * Records n copies of v (n == 0 is a no-op). PHOTON_OK, or PHOTON_EINVAL
 * for NULL or when the total count would pass UINT64_MAX (nothing recorded).
 */
PHOTON_API int photon_histogram_record_n(struct photon_histogram *h, uint64_t v,
					 uint64_t n);

/**
 * The value at percentile p (0 <= p <= 100) by nearest rank: the sample of
 * rank ceil(p / 100 * count) (at least 1) in sorted order, within 2^-(b+1)
 * relative; p = 0 gives the exact min, p = 100 the exact max. PHOTON_OK,
 * PHOTON_EMPTY (nothing recorded; *out = 0) or PHOTON_EINVAL (NULL, p out of
 * range or NaN).
 */
PHOTON_API int photon_histogram_percentile(const struct photon_histogram *h,
					   double p, uint64_t *out);

/** Values recorded. 0 for NULL, as for every getter. */
PHOTON_API uint64_t photon_histogram_count(const struct photon_histogram *h);
/** Smallest value recorded; 0 while empty. */
PHOTON_API uint64_t photon_histogram_min(const struct photon_histogram *h);
/** Largest value recorded; 0 while empty. */
PHOTON_API uint64_t photon_histogram_max(const struct photon_histogram *h);
/** Sum of the values, saturating at UINT64_MAX; 0 while empty. */
PHOTON_API uint64_t photon_histogram_sum(const struct photon_histogram *h);
/** Mean of the values, from the exact 128-bit sum; 0 while empty. */
PHOTON_API double photon_histogram_mean(const struct photon_histogram *h);
/** b, the significant bits. */
PHOTON_API unsigned photon_histogram_sig_bits(const struct photon_histogram *h);
/** Buckets: (65 - b) << b. */
PHOTON_API size_t
photon_histogram_bucket_count(const struct photon_histogram *h);

/**
 * Bucket i (0 <= i < bucket_count): its value range [*lo, *hi] and count.
 * The ranges are contiguous and cover 0 .. UINT64_MAX. PHOTON_OK or
 * PHOTON_EINVAL (NULL, i out of range).
 */
PHOTON_API int photon_histogram_bucket(const struct photon_histogram *h,
				       size_t i, uint64_t *lo, uint64_t *hi,
				       uint64_t *count);

/**
 * Adds every value of src to dst, as if recorded into dst. PHOTON_OK, or
 * PHOTON_EINVAL (NULL, different sig_bits, total count past UINT64_MAX;
 * dst unchanged). dst's recorder must be quiescent, or the caller is it.
 */
PHOTON_API int photon_histogram_merge(struct photon_histogram *dst,
				      const struct photon_histogram *src);

/**
 * Makes dst an exact copy of src (a snapshot). PHOTON_OK, or PHOTON_EINVAL
 * (NULL, different sig_bits). Called by src's recording thread, or while it
 * is quiescent.
 */
PHOTON_API int photon_histogram_copy(struct photon_histogram *dst,
				     const struct photon_histogram *src);

/** Empties the histogram (the recording thread). NULL is a no-op. */
PHOTON_API void photon_histogram_reset(struct photon_histogram *h);

PHOTON__EXTERN_C_END

#endif /* PHOTON_HISTOGRAM_H */
