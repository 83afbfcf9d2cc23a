/* SPDX-License-Identifier: MIT */
/*
 * The log-linear histogram (photon/histogram.h) against exact percentiles
 * of known distributions, its bucket layout, merge, copy and edge cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- deterministic random numbers ---- */

static uint64_t rng_next(uint64_t *state) /* splitmix64 */
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double rng_unit(uint64_t *state)
{
	return (double)((rng_next(state) >> 11) + 1) *
	       (1.0 / 9007199254740992.0);
}

/* Natural logarithm of x in (0, 1], without libm: range reduction to
 * [0.5, 1), then the atanh series (error far below what the test needs). */
static double ln_unit(double x)
{
	double y, y2, term, sum = 0;
	int k = 0, n;

	while (x < 0.5) {
		x *= 2;
		k++;
	}
	y = (x - 1) / (x + 1);
	y2 = y * y;
	term = y;
	for (n = 0; n < 40; n++) {
		sum += term / (2 * n + 1);
		term *= y2;
	}
	return 2 * sum - k * 0.69314718055994530942;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static const unsigned test_bits[] = { 1, 3, 5, 7, 10 };

#define NSAMPLES 100000

/*
 * Every percentile from 0 to 100 in steps of 0.1 against the exact
 * nearest-rank value of the sorted samples: within 2^-(b+1), relative; the
 * ends exact.
 */
static void check_percentiles(const struct photon_histogram *h,
			      const uint64_t *sorted, size_t n)
{
	double rel = 1.0 / (double)(2ull << photon_histogram_sig_bits(h));
	uint64_t got = 1;
	unsigned q;

	for (q = 0; q <= 1000; q++) {
		uint64_t rank = ((uint64_t)q * n + 999) / 1000, want;
		double err;

		if (rank < 1)
			rank = 1;
		want = sorted[rank - 1];
		assert_rc(photon_histogram_percentile(h, q / 10.0, &got),
			  PHOTON_OK);
		err = got > want ? (double)(got - want) : (double)(want - got);
		if (err > (double)want * rel)
			fail_msg("b=%u p=%.1f: got %llu, exact %llu",
				 photon_histogram_sig_bits(h), q / 10.0,
				 (unsigned long long)got,
				 (unsigned long long)want);
	}
	assert_rc(photon_histogram_percentile(h, 0, &got), PHOTON_OK);
	assert_int_equal(got, sorted[0]);
	assert_rc(photon_histogram_percentile(h, 100, &got), PHOTON_OK);
	assert_int_equal(got, sorted[n - 1]);
	assert_int_equal(photon_histogram_min(h), sorted[0]);
	assert_int_equal(photon_histogram_max(h), sorted[n - 1]);
	assert_int_equal(photon_histogram_count(h), n);
}

enum dist { UNIFORM, EXPONENTIAL, LOG_UNIFORM };

static void fill(uint64_t *v, size_t n, enum dist d, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (d) {
		case UNIFORM: /* [0, 1e9): nanoseconds up to a second */
			v[i] = rng_next(&seed) % 1000000000u;
			break;
		case EXPONENTIAL: /* mean 50 us, in ns: a latency tail */
			v[i] = (uint64_t)(-50000.0 * ln_unit(rng_unit(&seed)));
			break;
		case LOG_UNIFORM: /* every octave of the uint64 range */
			v[i] = rng_next(&seed) >> (rng_next(&seed) % 64);
			break;
		}
	}
}

static void check_distribution(enum dist d)
{
	uint64_t *v = malloc(NSAMPLES * sizeof(*v));
	size_t i, j;

	assert_non_null(v);
	fill(v, NSAMPLES, d, 42 + d);
	for (j = 0; j < ARRAY_SIZE(test_bits); j++) {
		struct photon_histogram *h;
		uint64_t sum = 0;
		int exact_sum = d != LOG_UNIFORM;

		assert_rc(photon_histogram_create(&h, test_bits[j]), PHOTON_OK);
		for (i = 0; i < NSAMPLES; i++) {
			assert_rc(photon_histogram_record(h, v[i]), PHOTON_OK);
			sum += v[i];
		}
		if (exact_sum) { /* below 2^64: exact */
			assert_int_equal(photon_histogram_sum(h), sum);
			assert_true(rel_diff(photon_histogram_mean(h),
					     (double)sum / NSAMPLES) < 1e-12);
		}
		if (j == 0)
			qsort(v, NSAMPLES, sizeof(*v), cmp_u64);
		check_percentiles(h, v, NSAMPLES);
		photon_histogram_destroy(h);
	}
	free(v);
}

static void test_hist_uniform(void **state)
{
	(void)state;
	check_distribution(UNIFORM);
}

static void test_hist_exponential(void **state)
{
	(void)state;
	check_distribution(EXPONENTIAL);
}

static void test_hist_log_uniform(void **state)
{
	(void)state;
	check_distribution(LOG_UNIFORM);
}

/*
 * The bucket layout for every supported precision: contiguous from 0 to
 * UINT64_MAX, one value per bucket below 2^(b+1), relative width at most
 * 2^-b above, and both edges of every bucket land in it.
 */
static void test_hist_buckets(void **state)
{
	unsigned b;

	(void)state;
	for (b = PHOTON_HISTOGRAM_SIG_BITS_MIN;
	     b <= PHOTON_HISTOGRAM_SIG_BITS_MAX; b++) {
		struct photon_histogram *h;
		uint64_t lo, hi, cnt, next = 0;
		size_t i, n;

		assert_rc(photon_histogram_create(&h, b), PHOTON_OK);
		n = photon_histogram_bucket_count(h);
		assert_int_equal(n, (size_t)(65 - b) << b);
		assert_int_equal(photon_histogram_size(b),
				 PHOTON_HISTOGRAM_BYTES(b));
		for (i = 0; i < n; i++) {
			assert_rc(photon_histogram_bucket(h, i, &lo, &hi, &cnt),
				  PHOTON_OK);
			assert_int_equal(lo, next);
			assert_true(hi >= lo);
			if (lo < (2ull << b))
				assert_int_equal(hi, lo);
			else
				assert_true(hi - lo + 1 <= lo >> b);
			photon_histogram_record(h, lo);
			if (hi != lo)
				photon_histogram_record(h, hi);
			next = hi + 1;
		}
		assert_int_equal(hi, UINT64_MAX);
		for (i = 0; i < n; i++) {
			assert_rc(photon_histogram_bucket(h, i, &lo, &hi, &cnt),
				  PHOTON_OK);
			assert_int_equal(cnt, lo == hi ? 1 : 2);
		}
		assert_rc(photon_histogram_bucket(h, n, &lo, &hi, &cnt),
			  PHOTON_EINVAL);
		photon_histogram_destroy(h);
	}
}

static void assert_same_histogram(const struct photon_histogram *a,
				  const struct photon_histogram *b)
{
	size_t i;

	assert_int_equal(photon_histogram_count(a), photon_histogram_count(b));
	assert_int_equal(photon_histogram_min(a), photon_histogram_min(b));
	assert_int_equal(photon_histogram_max(a), photon_histogram_max(b));
	assert_int_equal(photon_histogram_sum(a), photon_histogram_sum(b));
	assert_true(photon_histogram_mean(a) == photon_histogram_mean(b));
	assert_int_equal(photon_histogram_bucket_count(a),
			 photon_histogram_bucket_count(b));
	for (i = 0; i < photon_histogram_bucket_count(a); i++) {
		uint64_t la, ha, ca, lb, hb, cb;

		assert_rc(photon_histogram_bucket(a, i, &la, &ha, &ca),
			  PHOTON_OK);
		assert_rc(photon_histogram_bucket(b, i, &lb, &hb, &cb),
			  PHOTON_OK);
		assert_int_equal(ca, cb);
	}
}

static void test_hist_merge(void **state)
{
	struct photon_histogram *all, *part[3], *empty, *other;
	uint64_t *v = malloc(NSAMPLES * sizeof(*v)), p1, p2;
	size_t i;

	(void)state;
	assert_non_null(v);
	fill(v, NSAMPLES, EXPONENTIAL, 7);
	assert_rc(photon_histogram_create(&all, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&empty, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&other, 4), PHOTON_OK);
	for (i = 0; i < 3; i++)
		assert_rc(photon_histogram_create(&part[i], 0), PHOTON_OK);
	for (i = 0; i < NSAMPLES; i++) {
		photon_histogram_record(all, v[i]);
		/* Uneven parts, one value recorded n times at once. */
		if (i % 5 == 0)
			assert_rc(photon_histogram_record_n(part[0], v[i], 1),
				  PHOTON_OK);
		else
			photon_histogram_record(part[1 + i % 2], v[i]);
	}
	photon_histogram_record_n(all, 123456, 1000);
	photon_histogram_record_n(part[2], 123456, 1000);

	/* Merging an empty histogram changes nothing (min stays). */
	assert_rc(photon_histogram_merge(part[0], empty), PHOTON_OK);
	assert_rc(photon_histogram_merge(part[0], part[1]), PHOTON_OK);
	assert_rc(photon_histogram_merge(part[0], part[2]), PHOTON_OK);
	assert_same_histogram(part[0], all);
	for (i = 0; i <= 100; i++) {
		assert_rc(photon_histogram_percentile(part[0], (double)i, &p1),
			  PHOTON_OK);
		assert_rc(photon_histogram_percentile(all, (double)i, &p2),
			  PHOTON_OK);
		assert_int_equal(p1, p2);
	}
	/* Into an empty one: a copy. */
	assert_rc(photon_histogram_merge(empty, all), PHOTON_OK);
	assert_same_histogram(empty, all);

	/* Another precision: refused, dst unchanged. */
	assert_rc(photon_histogram_merge(other, all), PHOTON_EINVAL);
	assert_int_equal(photon_histogram_count(other), 0);
	assert_rc(photon_histogram_merge(NULL, all), PHOTON_EINVAL);
	assert_rc(photon_histogram_merge(all, NULL), PHOTON_EINVAL);

	/* Into itself: every count doubles. */
	assert_rc(photon_histogram_merge(empty, empty), PHOTON_OK);
	assert_int_equal(photon_histogram_count(empty),
			 2 * photon_histogram_count(all));
	assert_int_equal(photon_histogram_sum(empty),
			 2 * photon_histogram_sum(all));

	photon_histogram_destroy(all);
	photon_histogram_destroy(empty);
	photon_histogram_destroy(other);
	for (i = 0; i < 3; i++)
		photon_histogram_destroy(part[i]);
	free(v);
}

static void test_hist_copy_reset(void **state)
{
	struct photon_histogram *h, *snap, *other;
	uint64_t p = 7;
	size_t i;

	(void)state;
	assert_rc(photon_histogram_create(&h, 5), PHOTON_OK);
	assert_rc(photon_histogram_create(&snap, 5), PHOTON_OK);
	assert_rc(photon_histogram_create(&other, 6), PHOTON_OK);
	for (i = 1; i <= 1000; i++)
		photon_histogram_record(h, i * 10);
	assert_rc(photon_histogram_copy(snap, h), PHOTON_OK);
	assert_same_histogram(snap, h);
	assert_rc(photon_histogram_copy(other, h), PHOTON_EINVAL);
	assert_rc(photon_histogram_copy(NULL, h), PHOTON_EINVAL);
	assert_rc(photon_histogram_copy(h, h), PHOTON_OK);

	photon_histogram_reset(h);
	assert_int_equal(photon_histogram_count(h), 0);
	assert_int_equal(photon_histogram_min(h), 0);
	assert_int_equal(photon_histogram_max(h), 0);
	assert_int_equal(photon_histogram_sum(h), 0);
	assert_true(photon_histogram_mean(h) == 0.0);
	assert_rc(photon_histogram_percentile(h, 50, &p), PHOTON_EMPTY);
	assert_int_equal(p, 0);
	for (i = 0; i < photon_histogram_bucket_count(h); i++) {
		uint64_t lo, hi, c;

		photon_histogram_bucket(h, i, &lo, &hi, &c);
		assert_int_equal(c, 0);
	}
	/* The snapshot is independent of the original. */
	assert_int_equal(photon_histogram_count(snap), 1000);
	assert_int_equal(photon_histogram_max(snap), 10000);

	photon_histogram_record(h, 42);
	assert_rc(photon_histogram_percentile(h, 50, &p), PHOTON_OK);
	assert_int_equal(p, 42);
	assert_int_equal(photon_histogram_min(h), 42);
	photon_histogram_reset(NULL);

	photon_histogram_destroy(h);
	photon_histogram_destroy(snap);
	photon_histogram_destroy(other);
}

static void test_hist_edges(void **state)
{
	struct photon_histogram *h;
	uint64_t p;
	const double two64 = 18446744073709551616.0;

	(void)state;
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	assert_int_equal(photon_histogram_sig_bits(h),
			 PHOTON_HISTOGRAM_SIG_BITS_DEFAULT);
	photon_histogram_record(h, 0);
	photon_histogram_record(h, 1);
	photon_histogram_record(h, UINT64_MAX);
	assert_int_equal(photon_histogram_count(h), 3);
	assert_int_equal(photon_histogram_min(h), 0);
	assert_int_equal(photon_histogram_max(h), UINT64_MAX);
	assert_rc(photon_histogram_percentile(h, 0, &p), PHOTON_OK);
	assert_int_equal(p, 0);
	assert_rc(photon_histogram_percentile(h, 50, &p), PHOTON_OK);
	assert_int_equal(p, 1);
	assert_rc(photon_histogram_percentile(h, 100, &p), PHOTON_OK);
	assert_int_equal(p, UINT64_MAX);
	assert_rc(photon_histogram_percentile(h, 99.99, &p), PHOTON_OK);
	assert_int_equal(p, UINT64_MAX);
	/* The sum passed 2^64: saturated getter, exact mean. */
	assert_int_equal(photon_histogram_sum(h), UINT64_MAX);
	assert_true(rel_diff(photon_histogram_mean(h), two64 / 3) < 1e-15);

	/* n copies of the largest value: the 128-bit sum holds them. */
	photon_histogram_reset(h);
	assert_rc(photon_histogram_record_n(h, UINT64_MAX, 3), PHOTON_OK);
	assert_rc(photon_histogram_record_n(h, 5, 0), PHOTON_OK);
	assert_int_equal(photon_histogram_count(h), 3);
	assert_int_equal(photon_histogram_min(h), UINT64_MAX);
	assert_true(rel_diff(photon_histogram_mean(h), two64) < 1e-15);
	/* The count may not pass 2^64 - 1: refused, nothing recorded. */
	assert_rc(photon_histogram_record_n(h, 1, UINT64_MAX - 2),
		  PHOTON_EINVAL);
	assert_int_equal(photon_histogram_count(h), 3);
	assert_rc(photon_histogram_record_n(h, 1, UINT64_MAX - 3), PHOTON_OK);
	assert_int_equal(photon_histogram_count(h), UINT64_MAX);
	assert_rc(photon_histogram_record(h, 1), PHOTON_OK); /* wraps: doc */

	/* Merged into itself, with a carry out of the low sum word. */
	photon_histogram_reset(h);
	photon_histogram_record(h, 1ull << 63);
	assert_rc(photon_histogram_merge(h, h), PHOTON_OK);
	assert_int_equal(photon_histogram_count(h), 2);
	assert_int_equal(photon_histogram_sum(h), UINT64_MAX); /* 2^64 */
	assert_true(photon_histogram_mean(h) == two64 / 2);
	photon_histogram_destroy(h);
}

static void test_hist_caller_memory(void **state)
{
	static uint64_t mem[PHOTON_HISTOGRAM_BYTES(3) / 8];
	struct photon_histogram *h;
	uint64_t p;

	(void)state;
	assert_rc(photon_histogram_init(&h, mem, sizeof(mem), 3), PHOTON_OK);
	assert_ptr_equal(h, (void *)mem);
	photon_histogram_record(h, 1000);
	photon_histogram_record(h, 3000);
	assert_rc(photon_histogram_percentile(h, 100, &p), PHOTON_OK);
	assert_int_equal(p, 3000);
	photon_histogram_destroy(h); /* not ours to free: a no-op */
	assert_int_equal(photon_histogram_count(h), 2);

	assert_rc(photon_histogram_init(&h, mem, sizeof(mem) - 1, 3),
		  PHOTON_EINVAL);
	assert_null(h);
	assert_rc(
	    photon_histogram_init(&h, (char *)mem + 4, sizeof(mem) - 8, 1),
	    PHOTON_EINVAL);
	assert_rc(photon_histogram_init(&h, mem, sizeof(mem), 4),
		  PHOTON_EINVAL); /* needs more */
	assert_rc(photon_histogram_init(&h, NULL, sizeof(mem), 3),
		  PHOTON_EINVAL);
	assert_rc(photon_histogram_init(NULL, mem, sizeof(mem), 3),
		  PHOTON_EINVAL);
}

static void test_hist_bad_input(void **state)
{
	struct photon_histogram *h = (void *)&h;
	uint64_t v = 9, lo, hi, c;

	(void)state;
	assert_rc(photon_histogram_create(NULL, 0), PHOTON_EINVAL);
	assert_rc(
	    photon_histogram_create(&h, PHOTON_HISTOGRAM_SIG_BITS_MAX + 1),
	    PHOTON_EINVAL);
	assert_null(h);
	assert_true(strlen(photon_last_error_message()) > 0);
	assert_int_equal(
	    photon_histogram_size(PHOTON_HISTOGRAM_SIG_BITS_MAX + 1), 0);
	assert_int_equal(
	    photon_histogram_size(0),
	    PHOTON_HISTOGRAM_BYTES(PHOTON_HISTOGRAM_SIG_BITS_DEFAULT));

	assert_rc(photon_histogram_record(NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_histogram_record_n(NULL, 1, 1), PHOTON_EINVAL);
	assert_rc(photon_histogram_percentile(NULL, 50, &v), PHOTON_EINVAL);
	assert_int_equal(v, 0);

	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	photon_histogram_record(h, 5);
	assert_rc(photon_histogram_percentile(h, 50, NULL), PHOTON_EINVAL);
	assert_rc(photon_histogram_percentile(h, -0.1, &v), PHOTON_EINVAL);
	assert_rc(photon_histogram_percentile(h, 100.01, &v), PHOTON_EINVAL);
	assert_rc(photon_histogram_percentile(h, strtod("nan", NULL), &v),
		  PHOTON_EINVAL);
	assert_rc(photon_histogram_bucket(h, 0, NULL, &hi, &c), PHOTON_EINVAL);
	assert_rc(photon_histogram_bucket(NULL, 0, &lo, &hi, &c),
		  PHOTON_EINVAL);

	assert_int_equal(photon_histogram_count(NULL), 0);
	assert_int_equal(photon_histogram_min(NULL), 0);
	assert_int_equal(photon_histogram_max(NULL), 0);
	assert_int_equal(photon_histogram_sum(NULL), 0);
	assert_true(photon_histogram_mean(NULL) == 0.0);
	assert_int_equal(photon_histogram_sig_bits(NULL), 0);
	assert_int_equal(photon_histogram_bucket_count(NULL), 0);
	photon_histogram_destroy(NULL);
	photon_histogram_destroy(h);
}

/* A timed region recorded in TSC ticks, the way the benchmarks use it. */
static void test_hist_tsc_ticks(void **state)
{
	struct photon_histogram *h;
	uint64_t p50, p100;
	int i;

	(void)state;
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	for (i = 0; i < 1000; i++) {
		uint64_t t0 = photon_tsc_now();
		uint64_t t1 = photon_tsc_now_ordered();

		photon_histogram_record(h, t1 - t0);
	}
	assert_int_equal(photon_histogram_count(h), 1000);
	assert_rc(photon_histogram_percentile(h, 50, &p50), PHOTON_OK);
	assert_rc(photon_histogram_percentile(h, 100, &p100), PHOTON_OK);
	assert_true(p50 <= p100);
	photon_histogram_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_uniform),
		cmocka_unit_test(test_hist_exponential),
		cmocka_unit_test(test_hist_log_uniform),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_merge),
		cmocka_unit_test(test_hist_copy_reset),
		cmocka_unit_test(test_hist_edges),
		cmocka_unit_test(test_hist_caller_memory),
		cmocka_unit_test(test_hist_bad_input),
		cmocka_unit_test(test_hist_tsc_ticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
