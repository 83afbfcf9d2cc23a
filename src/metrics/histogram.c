/* SPDX-License-Identifier: MIT */
/*
 * The log-linear histogram (photon/histogram.h, which describes the bucket
 * layout and the thread contract).
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define HIST_OWNED 1u

static size_t bucket_count_of(unsigned b)
{
	return (size_t)(65 - b) << b;
}

static int sig_bits_ok(unsigned *b)
{
	if (*b == 0)
		*b = PHOTON_HISTOGRAM_SIG_BITS_DEFAULT;
	return *b >= PHOTON_HISTOGRAM_SIG_BITS_MIN &&
	       *b <= PHOTON_HISTOGRAM_SIG_BITS_MAX;
}

PHOTON_API size_t photon_histogram_size(unsigned sig_bits)
{
	if (!sig_bits_ok(&sig_bits))
		return 0;
	return sizeof(struct photon_histogram) +
	       bucket_count_of(sig_bits) * sizeof(uint64_t);
}

static void hist_clear(struct photon_histogram *h)
{
	memset(h->counts, 0, h->bucket_count * sizeof(uint64_t));
	h->count = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	h->sum_lo = 0;
	h->sum_hi = 0;
}

PHOTON_API int photon_histogram_init(struct photon_histogram **out, void *mem,
				     size_t size, unsigned sig_bits)
{
	struct photon_histogram *h = mem;

	if (out)
		*out = NULL;
	if (!out || !mem)
		return photon_set_error(PHOTON_EINVAL,
					"photon_histogram_init: NULL argument");
	if (!sig_bits_ok(&sig_bits))
		return photon_set_error(
		    PHOTON_EINVAL, "histogram sig_bits %u: must be %d .. %d",
		    sig_bits, PHOTON_HISTOGRAM_SIG_BITS_MIN,
		    PHOTON_HISTOGRAM_SIG_BITS_MAX);
	if ((uintptr_t)mem % sizeof(uint64_t))
		return photon_set_error(PHOTON_EINVAL,
					"photon_histogram_init: memory must be "
					"8-byte aligned");
	if (size < photon_histogram_size(sig_bits))
		return photon_set_error(
		    PHOTON_EINVAL,
		    "photon_histogram_init: %zu bytes given, "
		    "%zu needed",
		    size, photon_histogram_size(sig_bits));
	h->counts = (uint64_t *)(h + 1);
	h->sig_bits = sig_bits;
	h->flags = 0;
	h->bucket_count = bucket_count_of(sig_bits);
	hist_clear(h);
	*out = h;
	return PHOTON_OK;
}

PHOTON_API int photon_histogram_create(struct photon_histogram **out,
				       unsigned sig_bits)
{
	size_t bytes;
	void *mem;
	int rc;

	if (out)
		*out = NULL;
	if (!out)
		return photon_set_error(
		    PHOTON_EINVAL, "photon_histogram_create: NULL argument");
	bytes = photon_histogram_size(sig_bits);
	if (bytes == 0)
		return photon_set_error(
		    PHOTON_EINVAL, "histogram sig_bits %u: must be %d .. %d",
		    sig_bits, PHOTON_HISTOGRAM_SIG_BITS_MIN,
		    PHOTON_HISTOGRAM_SIG_BITS_MAX);
	/* Cache-line aligned, so the recording fields are one line. */
	bytes =
	    (bytes + PHOTON_CACHE_LINE - 1) & ~(size_t)(PHOTON_CACHE_LINE - 1);
	mem = aligned_alloc(PHOTON_CACHE_LINE, bytes);
	if (!mem)
		return photon_set_error(
		    PHOTON_ENOMEM, "out of memory for a histogram (%zu bytes)",
		    bytes);
	rc = photon_histogram_init(out, mem, bytes, sig_bits);
	if (rc != PHOTON_OK) {
		free(mem);
		return rc;
	}
	(*out)->flags |= HIST_OWNED;
	return PHOTON_OK;
}

PHOTON_API void photon_histogram_destroy(struct photon_histogram *h)
{
	if (h && (h->flags & HIST_OWNED))
		free(h);
}

/* 128-bit a += b * n, in two words (no __int128 in ISO C). */
static void add_mul_128(uint64_t *lo, uint64_t *hi, uint64_t b, uint64_t n)
{
	uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
	uint64_t n0 = n & 0xffffffffu, n1 = n >> 32;
	uint64_t p00 = b0 * n0, p01 = b0 * n1, p10 = b1 * n0, p11 = b1 * n1;
	uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
	uint64_t plo = (p00 & 0xffffffffu) | (mid << 32);
	uint64_t phi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);

	*lo += plo;
	*hi += phi + (*lo < plo);
}

PHOTON_API int photon_histogram_record_n(struct photon_histogram *h, uint64_t v,
					 uint64_t n)
{
	if (!h)
		return PHOTON_EINVAL;
	if (n > UINT64_MAX - h->count)
		return PHOTON_EINVAL;
	if (n == 0)
		return PHOTON_OK;
	h->counts[photon__histogram_index(v, h->sig_bits)] += n;
	h->count += n;
	add_mul_128(&h->sum_lo, &h->sum_hi, v, n);
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	return PHOTON_OK;
}

/* Value range of bucket i: the inverse of photon__histogram_index(). */
void photon__histogram_range(unsigned b, size_t i, uint64_t *lo, uint64_t *hi)
{
	uint64_t shift, m;

	if (i < ((size_t)2 << b)) {
		*lo = *hi = i;
		return;
	}
	shift = (i >> b) - 1;
	m = i - (shift << b);
	*lo = m << shift;
	*hi = *lo + ((((uint64_t)1) << shift) - 1);
}

/*
 * Nearest rank of percentile p among n values: ceil(p / 100 * n), at least
 * 1. The product is rounded down by a few ulps first, so that 99.9 % of
 * 1000 is rank 999 although 99.9 is not exact in binary.
 */
static uint64_t rank_of(double p, uint64_t n)
{
	double x = p / 100.0 * (double)n;
	uint64_t r;

	x -= x * 1e-12;
	if (x >= (double)n)
		return n;
	r = (uint64_t)x; /* 0 <= x < n: in range */
	if ((double)r < x)
		r++; /* ceil, without libm */
	return r < 1 ? 1 : r;
}

/* The value reported for percentile p of a non-empty histogram. */
uint64_t photon__histogram_value_at(const struct photon_histogram *h, double p)
{
	uint64_t rank = rank_of(p, h->count), cum = 0, lo, hi, rep;
	size_t i;

	if (rank == 1)
		return h->min;
	if (rank == h->count)
		return h->max;
	for (i = 0; i < h->bucket_count; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			break;
	}
	photon__histogram_range(h->sig_bits, i, &lo, &hi);
	rep = lo + (hi - lo) / 2;
	if (rep < h->min)
		rep = h->min;
	if (rep > h->max)
		rep = h->max;
	return rep;
}

PHOTON_API int photon_histogram_percentile(const struct photon_histogram *h,
					   double p, uint64_t *out)
{
	if (out)
		*out = 0;
	if (!h || !out || !(p >= 0 && p <= 100)) /* NaN fails both */
		return PHOTON_EINVAL;
	if (h->count == 0)
		return PHOTON_EMPTY;
	*out = photon__histogram_value_at(h, p);
	return PHOTON_OK;
}

PHOTON_API uint64_t photon_histogram_count(const struct photon_histogram *h)
{
	return h ? h->count : 0;
}

PHOTON_API uint64_t photon_histogram_min(const struct photon_histogram *h)
{
	return h && h->count ? h->min : 0;
}

PHOTON_API uint64_t photon_histogram_max(const struct photon_histogram *h)
{
	return h ? h->max : 0;
}

PHOTON_API uint64_t photon_histogram_sum(const struct photon_histogram *h)
{
	if (!h)
		return 0;
	return h->sum_hi ? UINT64_MAX : h->sum_lo;
}

double photon__histogram_sum(const struct photon_histogram *h)
{
	return (double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo;
}

PHOTON_API double photon_histogram_mean(const struct photon_histogram *h)
{
	return h && h->count ? photon__histogram_sum(h) / (double)h->count
			     : 0.0;
}

PHOTON_API unsigned photon_histogram_sig_bits(const struct photon_histogram *h)
{
	return h ? h->sig_bits : 0;
}

PHOTON_API size_t
photon_histogram_bucket_count(const struct photon_histogram *h)
{
	return h ? (size_t)h->bucket_count : 0;
}

PHOTON_API int photon_histogram_bucket(const struct photon_histogram *h,
				       size_t i, uint64_t *lo, uint64_t *hi,
				       uint64_t *count)
{
	if (!h || !lo || !hi || !count || i >= h->bucket_count)
		return PHOTON_EINVAL;
	photon__histogram_range(h->sig_bits, i, lo, hi);
	*count = h->counts[i];
	return PHOTON_OK;
}

PHOTON_API int photon_histogram_merge(struct photon_histogram *dst,
				      const struct photon_histogram *src)
{
	uint64_t count, sum_lo, sum_hi;
	size_t i;

	if (!dst || !src)
		return photon_set_error(
		    PHOTON_EINVAL, "photon_histogram_merge: NULL argument");
	if (dst->sig_bits != src->sig_bits)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "photon_histogram_merge: sig_bits %u and "
		    "%u differ",
		    dst->sig_bits, src->sig_bits);
	if (src->count > UINT64_MAX - dst->count)
		return photon_set_error(
		    PHOTON_EINVAL, "photon_histogram_merge: the count would "
				   "pass 2^64");
	/* Read src first: dst may be src (a histogram merged into itself). */
	count = src->count;
	sum_lo = src->sum_lo;
	sum_hi = src->sum_hi;
	for (i = 0; i < dst->bucket_count; i++)
		dst->counts[i] += src->counts[i];
	dst->count += count;
	dst->sum_lo += sum_lo;
	dst->sum_hi += sum_hi + (dst->sum_lo < sum_lo); /* carry */
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	return PHOTON_OK;
}

PHOTON_API int photon_histogram_copy(struct photon_histogram *dst,
				     const struct photon_histogram *src)
{
	if (!dst || !src)
		return photon_set_error(PHOTON_EINVAL,
					"photon_histogram_copy: NULL argument");
	if (dst->sig_bits != src->sig_bits)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "photon_histogram_copy: sig_bits %u and %u "
		    "differ",
		    dst->sig_bits, src->sig_bits);
	if (dst == src)
		return PHOTON_OK;
	memcpy(dst->counts, src->counts, dst->bucket_count * sizeof(uint64_t));
	dst->count = src->count;
	dst->min = src->min;
	dst->max = src->max;
	dst->sum_lo = src->sum_lo;
	dst->sum_hi = src->sum_hi;
	return PHOTON_OK;
}

PHOTON_API void photon_histogram_reset(struct photon_histogram *h)
{
	if (h)
		hist_clear(h);
}
