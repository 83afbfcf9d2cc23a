/* SPDX-License-Identifier: MIT */
/*
 * Observability (SPEC 3): the TSC helpers, the log-linear histogram against
 * exact percentiles of known distributions, and the exporters: the
 * Prometheus text is parsed back and checked against the format's rules,
 * the StatsD lines are received on a loopback socket and parsed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

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

static double rel_diff(double a, double b)
{
	double d = a > b ? a - b : b - a;
	double m = a > b ? a : b;

	return m > 0 ? d / m : d;
}

/* ---- TSC ---- */

static void test_tsc(void **state)
{
	double tpn = 0;
	uint64_t a, b, c, d;
	const char *src = photon_tsc_source();

	(void)state;
	assert_true(strcmp(src, "rdtsc") == 0 ||
		    strcmp(src, "cntvct_el0") == 0 ||
		    strcmp(src, "clock_gettime") == 0);
	a = photon_tsc_now_ordered();
	b = photon_tsc_now_ordered();
	c = photon_tsc_read_ordered();
	d = photon_tsc_read();
	assert_true(b >= a && c >= b && d >= c);
	assert_true(photon_tsc_now() >= a);

	assert_rc(photon_tsc_calibrate(&tpn, 1000000), PHOTON_OK);
	/* A counter between 100 kHz and 1 THz: a sanity range, not a time. */
	assert_true(tpn > 1e-4 && tpn < 1e3);

	assert_rc(photon_tsc_calibrate(NULL, 0), PHOTON_EINVAL);
	assert_rc(photon_tsc_calibrate(&tpn, 10000000001ull), PHOTON_EINVAL);

	assert_int_equal(photon_tsc_to_ns(1000, 2.0), 500);
	assert_int_equal(photon_tsc_to_ns(3, 2.0), 2); /* 1.5 rounds up */
	assert_int_equal(photon_tsc_to_ns(0, 3.0), 0);
	assert_int_equal(photon_tsc_to_ns(UINT64_MAX, 1e-6), UINT64_MAX);
	assert_int_equal(photon_tsc_to_ns(5, 0.0), 0);
	assert_int_equal(photon_tsc_to_ns(5, -1.0), 0);
	assert_int_equal(photon_tsc_to_ns(5, strtod("nan", NULL)), 0);
	assert_int_equal(photon_tsc_to_ns(5, strtod("inf", NULL)), 0);
}

/* ---- histogram ---- */

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

/* ---- a Prometheus text format 0.0.4 parser, strict ---- */

#define MAX_SAMPLES  512
#define MAX_FAMILIES 64
#define MAX_LABELS   (PHOTON_METRICS_MAX_LABELS + 1)

struct sample {
	char name[128];
	char family[128];
	size_t nlabels;
	char lname[MAX_LABELS][64];
	char lvalue[MAX_LABELS][256];
	double value;
};

struct family {
	char name[128];
	char type[16];
	char help[256];
	int has_samples;
	int closed; /* another family's samples followed */
};

struct expo {
	struct sample s[MAX_SAMPLES];
	size_t n;
	struct family f[MAX_FAMILIES];
	size_t nf;
};

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* Reads a metric name at *p into out; fails on an empty one. */
static void parse_name(const char **p, char *out, size_t cap)
{
	size_t n = 0;

	while (name_char(**p, n == 0)) {
		assert_true(n + 1 < cap);
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	if (n == 0)
		fail_msg("expected a name at \"%.20s\"", *p);
}

/* Unescapes until the end of line (HELP: \\ and \n) or the closing quote
 * (label value: also \"). */
static void parse_escaped(const char **p, char *out, size_t cap, int quoted)
{
	size_t n = 0;

	while (**p && **p != '\n' && !(quoted && **p == '"')) {
		char c = *(*p)++;

		if (c == '\\') {
			c = *(*p)++;
			if (c == 'n')
				c = '\n';
			else if (c != '\\' && !(quoted && c == '"'))
				fail_msg("bad escape \\%c", c);
		}
		assert_true(n + 1 < cap);
		out[n++] = c;
	}
	out[n] = '\0';
	if (quoted) {
		assert_int_equal(**p, '"');
		(*p)++;
	}
}

static struct family *find_family(struct expo *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nf; i++)
		if (strcmp(x->f[i].name, name) == 0)
			return &x->f[i];
	return NULL;
}

/* The family a sample belongs to: a histogram's _bucket/_sum/_count, or
 * the sample's own name. */
static struct family *family_of(struct expo *x, const char *name)
{
	static const char *suffix[] = { "_bucket", "_sum", "_count" };
	size_t i, n = strlen(name);

	for (i = 0; i < ARRAY_SIZE(suffix); i++) {
		size_t k = strlen(suffix[i]);
		char base[128];
		struct family *f;

		if (n <= k || strcmp(name + n - k, suffix[i]) != 0)
			continue;
		memcpy(base, name, n - k);
		base[n - k] = '\0';
		f = find_family(x, base);
		if (f && strcmp(f->type, "histogram") == 0)
			return f;
	}
	return find_family(x, name);
}

static double parse_value(const char **p)
{
	char *end;
	double v;

	if (strncmp(*p, "+Inf", 4) == 0) {
		*p += 4;
		return 1.0 / 0.0;
	}
	v = strtod(*p, &end);
	if (end == *p)
		fail_msg("bad value at \"%.20s\"", *p);
	*p = end;
	return v;
}

/* Parses the whole text, checking the format rules as it goes. */
static void parse_expo(struct expo *x, const char *text)
{
	const char *p = text;
	struct family *current = NULL;

	memset(x, 0, sizeof(*x));
	assert_true(*text == '\0' || text[strlen(text) - 1] == '\n');
	while (*p) {
		if (*p == '#') {
			char name[128], kind[8];
			struct family *f;
			int is_help;

			assert_true(strncmp(p, "# HELP ", 7) == 0 ||
				    strncmp(p, "# TYPE ", 7) == 0);
			memcpy(kind, p + 2, 4);
			kind[4] = '\0';
			is_help = strcmp(kind, "HELP") == 0;
			p += 7;
			parse_name(&p, name, sizeof(name));
			assert_int_equal(*p++, ' ');
			f = find_family(x, name);
			if (!f) {
				assert_true(x->nf < MAX_FAMILIES);
				f = &x->f[x->nf++];
				strcpy(f->name, name);
			}
			/* Metadata only before the family's samples. */
			assert_false(f->has_samples);
			if (is_help) {
				assert_true(f->help[0] == '\0');
				parse_escaped(&p, f->help, sizeof(f->help), 0);
			} else {
				size_t n = strcspn(p, "\n");

				assert_true(f->type[0] == '\0'); /* once */
				assert_true(n < sizeof(f->type));
				memcpy(f->type, p, n);
				f->type[n] = '\0';
				p += n;
				assert_true(strcmp(f->type, "counter") == 0 ||
					    strcmp(f->type, "gauge") == 0 ||
					    strcmp(f->type, "histogram") == 0);
			}
			assert_int_equal(*p++, '\n');
			continue;
		}
		{
			struct sample *s;
			struct family *f;

			assert_true(x->n < MAX_SAMPLES);
			s = &x->s[x->n++];
			parse_name(&p, s->name, sizeof(s->name));
			if (*p == '{') {
				p++;
				while (*p != '}') {
					size_t i = s->nlabels++;

					assert_true(i < MAX_LABELS);
					parse_name(&p, s->lname[i],
						   sizeof(s->lname[i]));
					assert_int_equal(*p++, '=');
					assert_int_equal(*p++, '"');
					parse_escaped(&p, s->lvalue[i],
						      sizeof(s->lvalue[i]), 1);
					if (*p == ',')
						p++;
				}
				p++;
			}
			assert_int_equal(*p++, ' ');
			s->value = parse_value(&p);
			assert_int_equal(*p++, '\n');

			/* TYPE first; a family's samples together. */
			f = family_of(x, s->name);
			if (!f || f->type[0] == '\0')
				fail_msg("sample %s before its TYPE", s->name);
			strcpy(s->family, f->name);
			if (f != current) {
				assert_false(f->closed);
				if (current)
					current->closed = 1;
				current = f;
			}
			f->has_samples = 1;
		}
	}
}

/* "k=v,k=v" of a sample's labels, le left out. */
static void label_key(const struct sample *s, char *out, size_t cap)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < s->nlabels; i++) {
		if (strcmp(s->lname[i], "le") == 0)
			continue;
		if (out[0])
			strncat(out, ",", cap - strlen(out) - 1);
		strncat(out, s->lname[i], cap - strlen(out) - 1);
		strncat(out, "=", cap - strlen(out) - 1);
		strncat(out, s->lvalue[i], cap - strlen(out) - 1);
	}
}

static const char *le_of(const struct sample *s)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (strcmp(s->lname[i], "le") == 0)
			return s->lvalue[i];
	return NULL;
}

/* The value of the sample name{labels} (le: NULL or the bucket's bound). */
static double sample_value(const struct expo *x, const char *name,
			   const char *labels, const char *le)
{
	char key[1024];
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct sample *s = &x->s[i];
		const char *sle = le_of(s);

		if (strcmp(s->name, name) != 0)
			continue;
		label_key(s, key, sizeof(key));
		if (strcmp(key, labels) != 0)
			continue;
		if ((le == NULL) != (sle == NULL) ||
		    (le && strcmp(le, sle) != 0))
			continue;
		return s->value;
	}
	fail_msg("no sample %s{%s%s%s}", name, labels, le ? " le=" : "",
		 le ? le : "");
	return 0;
}

/* Same name and labels but le. */
static int same_series(const struct sample *a, const struct sample *b)
{
	char ka[1024], kb[1024];

	label_key(a, ka, sizeof(ka));
	label_key(b, kb, sizeof(kb));
	return strcmp(a->name, b->name) == 0 && strcmp(ka, kb) == 0;
}

/*
 * Every histogram series: le bounds increasing and ending with +Inf,
 * cumulative counts non-decreasing, +Inf equal to _count, _sum present.
 * Returns the number of series checked.
 */
static size_t check_histograms(const struct expo *x)
{
	size_t i, j, series = 0;

	for (i = 0; i < x->n; i++) {
		const struct sample *s = &x->s[i];
		char key[1024], name[160];
		double last_le = -1.0 / 0.0, last_count = 0;
		int histogram = 0, seen_inf = 0;

		for (j = 0; j < x->nf; j++)
			if (strcmp(x->f[j].name, s->family) == 0)
				histogram = !strcmp(x->f[j].type, "histogram");
		if (!histogram) {
			assert_null(le_of(s));
			continue;
		}
		snprintf(name, sizeof(name), "%s_bucket", s->family);
		if (strcmp(s->name, name) != 0) {
			assert_null(le_of(s));
			continue;
		}
		if (i && same_series(s, &x->s[i - 1]))
			continue; /* not the first bucket of its series */
		series++;
		label_key(s, key, sizeof(key));
		for (j = i; j < x->n && same_series(&x->s[j], s); j++) {
			const char *le = le_of(&x->s[j]);
			double b;

			assert_non_null(le);
			assert_false(seen_inf);
			b = strcmp(le, "+Inf") == 0 ? 1.0 / 0.0
						    : strtod(le, NULL);
			seen_inf = b == 1.0 / 0.0;
			assert_true(b > last_le);
			assert_true(x->s[j].value >= last_count);
			last_le = b;
			last_count = x->s[j].value;
		}
		assert_true(seen_inf);
		snprintf(name, sizeof(name), "%s_count", s->family);
		assert_true(sample_value(x, name, key, NULL) == last_count);
		snprintf(name, sizeof(name), "%s_sum", s->family);
		(void)sample_value(x, name, key, NULL);
	}
	return series;
}

/* ---- Prometheus export ---- */

/* The whole text, rendered twice: a size query, then into a fit buffer. */
static char *render_text(const struct photon_metrics *m)
{
	ptrdiff_t n = photon_metrics_prometheus(m, NULL, 0);
	char *buf;

	assert_true(n >= 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(photon_metrics_prometheus(m, buf, (size_t)n + 1), n);
	assert_int_equal(strlen(buf), (size_t)n);
	return buf;
}

static struct expo *render_parse(const struct photon_metrics *m)
{
	struct expo *x = malloc(sizeof(*x));
	char *text = render_text(m);

	assert_non_null(x);
	parse_expo(x, text);
	check_histograms(x);
	free(text);
	return x;
}

static void expect_type(struct expo *x, const char *name, const char *type)
{
	struct family *f = find_family(x, name);

	if (!f)
		fail_msg("no family %s", name);
	assert_string_equal(f->type, type);
	assert_true(strlen(f->help) > 0);
	assert_true(f->has_samples);
}

static const char tricky[] = "q\"uo\\te\nnl";

static void test_prom_handles(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *a, *b;
	struct photon_group *g;
	struct photon_metrics *m;
	struct expo *x;
	char *text;
	uint64_t i, v;
	const struct photon_label la[] = { { "channel", "md" },
					   { "sub", "a" } };
	const struct photon_label lb[] = { { "channel", "md" },
					   { "sub", tricky } };
	const struct photon_label lg[] = { { "channel", "md" },
					   { "group", "g1" } };
	const struct photon_label lp[] = { { "channel", "md" } };

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, sizeof(uint64_t)), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &a), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &b), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
	assert_rc(photon_try_recv(a, &v), PHOTON_LAGGED);
	for (i = 2; i < 6; i++) {
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}

	assert_rc(photon_metrics_create(&m, NULL, 8), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, a, la, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, lg, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, b, lb, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_publisher(m, pub, lp, 1), PHOTON_OK);
	assert_int_equal(photon_metrics_count(m), 4);

	x = render_parse(m);
	expect_type(x, "photon_publisher_published_total", "counter");
	expect_type(x, "photon_subscriber_received_total", "counter");
	expect_type(x, "photon_subscriber_lagged_total", "counter");
	expect_type(x, "photon_subscriber_receive_ratio", "gauge");
	expect_type(x, "photon_subscriber_pending", "gauge");
	expect_type(x, "photon_group_received_total", "counter");
	expect_type(x, "photon_group_lagged_total", "counter");
	expect_type(x, "photon_group_receive_ratio", "gauge");
	expect_type(x, "photon_group_pending", "gauge");
	expect_type(x, "photon_group_members", "gauge");
	assert_int_equal(x->nf, 10);

	assert_true(sample_value(x, "photon_publisher_published_total",
				 "channel=md", NULL) == 6);
	assert_true(sample_value(x, "photon_subscriber_received_total",
				 "channel=md,sub=a", NULL) == 4);
	assert_true(sample_value(x, "photon_subscriber_lagged_total",
				 "channel=md,sub=a", NULL) == 2);
	assert_true(rel_diff(sample_value(x, "photon_subscriber_receive_ratio",
					  "channel=md,sub=a", NULL),
			     4.0 / 6.0) < 1e-15);
	assert_true(sample_value(x, "photon_subscriber_pending",
				 "channel=md,sub=a", NULL) == 0);
	/* The label with a quote, a backslash and a newline round-trips. */
	assert_true(sample_value(x, "photon_subscriber_received_total",
				 "channel=md,sub=q\"uo\\te\nnl", NULL) == 0);
	assert_true(sample_value(x, "photon_subscriber_pending",
				 "channel=md,sub=q\"uo\\te\nnl", NULL) == 4);
	assert_true(sample_value(x, "photon_subscriber_receive_ratio",
				 "channel=md,sub=q\"uo\\te\nnl", NULL) == 0);
	assert_true(sample_value(x, "photon_group_received_total",
				 "channel=md,group=g1", NULL) == 0);
	assert_true(sample_value(x, "photon_group_pending",
				 "channel=md,group=g1", NULL) == 4);
	assert_true(sample_value(x, "photon_group_members",
				 "channel=md,group=g1", NULL) == 3);
	free(x);
	text = render_text(m);
	assert_non_null(strstr(text, "sub=\"q\\\"uo\\\\te\\nnl\""));
	free(text);

	/* The group reads: counted once, not three times. */
	assert_rc(photon_group_try_recv(g, &v), PHOTON_LAGGED);
	for (i = 2; i < 6; i++)
		assert_rc(photon_group_try_recv(g, &v), PHOTON_OK);
	/* A closed handle is removed first; its series disappear. */
	assert_rc(photon_metrics_remove(m, b), PHOTON_OK);
	photon_subscriber_close(b);
	assert_rc(photon_metrics_remove(m, b), PHOTON_EINVAL);
	x = render_parse(m);
	assert_true(sample_value(x, "photon_group_received_total",
				 "channel=md,group=g1", NULL) == 4);
	assert_true(sample_value(x, "photon_group_lagged_total",
				 "channel=md,group=g1", NULL) == 2);
	assert_true(rel_diff(sample_value(x, "photon_group_receive_ratio",
					  "channel=md,group=g1", NULL),
			     4.0 / 6.0) < 1e-15);
	for (i = 0; i < x->n; i++)
		for (v = 0; v < x->s[i].nlabels; v++)
			assert_string_not_equal(x->s[i].lvalue[v], tricky);
	free(x);

	photon_metrics_destroy(m);
	photon_group_close(g);
	photon_subscriber_close(a);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

static void test_prom_histograms(void **state)
{
	static const uint64_t ns[] = {
		5,    10,   20,	     999,	 1000,
		1010, 2500, 1000000, 2000000000, 20000000000ull
	};
	static const double raw_bounds[] = { 10, 100, 1000 };
	static const char help[] = "One-way latency.\nback\\slash \"q\"";
	const struct photon_metric_histogram lat = {
		.name = "recv_latency_seconds", .help = help, .scale = 1e-9
	};
	const struct photon_metric_histogram batch = { .name = "batch_size",
						       .bounds = raw_bounds,
						       .nbounds = ARRAY_SIZE(
							   raw_bounds) };
	const struct photon_metric_histogram idle = { .name = "idle_seconds",
						      .scale = 1e-9 };
	const struct photon_label sa[] = { { "stage", "a" } };
	const struct photon_label sb[] = { { "stage", "b" } };
	struct photon_histogram *h1, *h2, *h3, *h4;
	struct photon_metrics *m;
	struct expo *x;
	uint64_t i, sum = 0;
	static const struct {
		const char *le;
		double count;
	} want[] = { { "1e-08", 2 }, { "2.5e-08", 3 }, { "5e-07", 3 },
		     { "1e-06", 5 }, { "2.5e-06", 7 }, { "0.0005", 7 },
		     { "0.001", 8 }, { "1", 8 },       { "2.5", 9 },
		     { "10", 9 },    { "+Inf", 10 } };

	(void)state;
	assert_rc(photon_histogram_create(&h1, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&h2, 0), PHOTON_OK);
	assert_rc(photon_histogram_create(&h3, 10), PHOTON_OK);
	assert_rc(photon_histogram_create(&h4, 0), PHOTON_OK);
	for (i = 0; i < ARRAY_SIZE(ns); i++) {
		photon_histogram_record(h1, ns[i]);
		sum += ns[i];
	}
	photon_histogram_record(h2, 300);
	for (i = 1; i <= 2000; i++)
		photon_histogram_record(h3, i);

	assert_rc(photon_metrics_create(&m, "photon", 8), PHOTON_OK);
	/* Two families interleaved in registration: grouped on output. */
	assert_rc(photon_metrics_add_histogram(m, h1, &lat, sa, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h3, &batch, NULL, 0),
		  PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h2, &lat, sb, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h4, &idle, NULL, 0),
		  PHOTON_OK);
	x = render_parse(m);
	assert_int_equal(check_histograms(x), 4);
	expect_type(x, "photon_recv_latency_seconds", "histogram");
	expect_type(x, "photon_batch_size", "histogram");
	expect_type(x, "photon_idle_seconds", "histogram");
	assert_string_equal(find_family(x, "photon_recv_latency_seconds")->help,
			    help);

	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (sample_value(x, "photon_recv_latency_seconds_bucket",
				 "stage=a", want[i].le) != want[i].count)
			fail_msg("le=%s: %g, want %g", want[i].le,
				 sample_value(x,
					      "photon_recv_latency_seconds_"
					      "bucket",
					      "stage=a", want[i].le),
				 want[i].count);
	assert_true(sample_value(x, "photon_recv_latency_seconds_count",
				 "stage=a", NULL) == 10);
	assert_true(rel_diff(sample_value(x, "photon_recv_latency_seconds_sum",
					  "stage=a", NULL),
			     (double)sum * 1e-9) < 1e-12);
	assert_true(sample_value(x, "photon_recv_latency_seconds_bucket",
				 "stage=b", "2.5e-07") == 0);
	assert_true(sample_value(x, "photon_recv_latency_seconds_bucket",
				 "stage=b", "5e-07") == 1);

	/* Raw values, custom bounds, one bucket per value: exact. */
	assert_true(sample_value(x, "photon_batch_size_bucket", "", "10") ==
		    10);
	assert_true(sample_value(x, "photon_batch_size_bucket", "", "100") ==
		    100);
	assert_true(sample_value(x, "photon_batch_size_bucket", "", "1000") ==
		    1000);
	assert_true(sample_value(x, "photon_batch_size_bucket", "", "+Inf") ==
		    2000);
	assert_true(sample_value(x, "photon_batch_size_sum", "", NULL) ==
		    2001000);

	/* Empty: every bucket 0, 29 lines. */
	assert_true(sample_value(x, "photon_idle_seconds_bucket", "", "10") ==
		    0);
	assert_true(sample_value(x, "photon_idle_seconds_count", "", NULL) ==
		    0);
	assert_true(sample_value(x, "photon_idle_seconds_sum", "", NULL) == 0);
	free(x);

	photon_metrics_destroy(m);
	photon_histogram_destroy(h1);
	photon_histogram_destroy(h2);
	photon_histogram_destroy(h3);
	photon_histogram_destroy(h4);
}

static void test_prom_buffer_too_small(void **state)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_metrics *m;
	char *text, *buf;
	size_t n, i;
	static const size_t lens[] = { 1, 2, 10, 100 };

	(void)state;
	assert_rc(photon_metrics_create(&m, NULL, 4), PHOTON_OK);
	/* Empty registry: empty text. */
	buf = malloc(4);
	assert_non_null(buf);
	assert_int_equal(photon_metrics_prometheus(m, buf, 4), 0);
	assert_string_equal(buf, "");
	free(buf);

	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, s, NULL, 0), PHOTON_OK);
	text = render_text(m);
	n = strlen(text);
	assert_true(n > 100);
	buf = malloc(n + 64);
	assert_non_null(buf);

	for (i = 0; i < ARRAY_SIZE(lens) + 2; i++) {
		size_t len = i < ARRAY_SIZE(lens) ? lens[i] : n + i - 4;
		size_t j;

		memset(buf, 'Z', n + 64);
		/* Always the full length; a NUL-terminated prefix; nothing
		 * written past len. */
		assert_int_equal(photon_metrics_prometheus(m, buf, len),
				 (ptrdiff_t)n);
		assert_int_equal(strlen(buf), len - 1);
		assert_memory_equal(buf, text, len - 1);
		for (j = len; j < n + 64; j++)
			assert_int_equal(buf[j], 'Z');
	}
	memset(buf, 'Z', n + 64);
	assert_int_equal(photon_metrics_prometheus(m, buf, n + 1),
			 (ptrdiff_t)n);
	assert_string_equal(buf, text);
	assert_int_equal(buf[n + 1], 'Z');

	assert_int_equal(photon_metrics_prometheus(m, NULL, 5), PHOTON_EINVAL);
	assert_int_equal(photon_metrics_prometheus(NULL, buf, 5),
			 PHOTON_EINVAL);
	free(buf);
	free(text);
	photon_metrics_destroy(m);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_prom_file(void **state)
{
	struct photon_histogram *h;
	struct photon_metrics *m;
	const struct photon_metric_histogram d = { .name = "lat_seconds",
						   .scale = 1e-9 };
	char *text, *back;
	size_t n;
	FILE *f;

	(void)state;
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	photon_histogram_record(h, 1234);
	assert_rc(photon_metrics_create(&m, "app", 2), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0), PHOTON_OK);
	text = render_text(m);
	n = strlen(text);

	f = tmpfile();
	assert_non_null(f);
	assert_rc(photon_metrics_prometheus_file(m, f), PHOTON_OK);
	rewind(f);
	back = calloc(1, n + 2);
	assert_non_null(back);
	assert_int_equal(fread(back, 1, n + 1, f), n);
	assert_string_equal(back, text);
	fclose(f);

	/* A stream that cannot be written: PHOTON_ESYS. */
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	assert_rc(photon_metrics_prometheus_file(m, f), PHOTON_ESYS);
	fclose(f);
	assert_rc(photon_metrics_prometheus_file(m, NULL), PHOTON_EINVAL);
	assert_rc(photon_metrics_prometheus_file(NULL, stdout), PHOTON_EINVAL);

	free(back);
	free(text);
	photon_metrics_destroy(m);
	photon_histogram_destroy(h);
}

static void test_prom_prefix(void **state)
{
	struct photon_channel *ch;
	struct photon_group *g;
	struct photon_metrics *m;
	struct expo *x;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 2, &g), PHOTON_OK);

	assert_rc(photon_metrics_create(&m, "", 1), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, NULL, 0), PHOTON_OK);
	x = render_parse(m);
	assert_true(sample_value(x, "group_members", "", NULL) == 2);
	free(x);
	photon_metrics_destroy(m);

	assert_rc(photon_metrics_create(&m, "app:ring", 1), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, NULL, 0), PHOTON_OK);
	x = render_parse(m);
	assert_true(sample_value(x, "app:ring_group_members", "", NULL) == 2);
	free(x);
	photon_metrics_destroy(m);

	photon_group_close(g);
	photon_channel_release(ch);
}

static void test_metrics_bad_input(void **state)
{
	struct photon_metrics *m = (void *)&m;
	struct photon_channel *ch;
	struct photon_subscriber *s, *extra;
	struct photon_histogram *h;
	struct photon_label l[PHOTON_METRICS_MAX_LABELS + 1];
	static const char *bad_names[] = {
		"", "1x", "__x", "a-b", "a:b", "a b"
	};
	static const double unsorted[] = { 1, 3, 2 };
	static const double with_nan_dummy[] = { 1, 2 };
	struct photon_metric_histogram d;
	size_t i;

	(void)state;
	assert_rc(photon_metrics_create(NULL, NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_metrics_create(&m, NULL, 0), PHOTON_EINVAL);
	assert_null(m);
	assert_true(strlen(photon_last_error_message()) > 0);
	assert_rc(photon_metrics_create(&m, "9lives", 1), PHOTON_EINVAL);
	assert_rc(photon_metrics_create(&m, "a-b", 1), PHOTON_EINVAL);
	assert_rc(photon_metrics_create(&m, NULL, (size_t)-1), PHOTON_EINVAL);

	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &extra), PHOTON_OK);
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	assert_rc(photon_metrics_create(&m, NULL, 2), PHOTON_OK);

	assert_rc(photon_metrics_add_subscriber(NULL, s, NULL, 0),
		  PHOTON_EINVAL);
	assert_rc(photon_metrics_add_subscriber(m, NULL, NULL, 0),
		  PHOTON_EINVAL);
	assert_rc(photon_metrics_add_publisher(m, NULL, NULL, 0),
		  PHOTON_EINVAL);
	assert_rc(photon_metrics_add_group(m, NULL, NULL, 0), PHOTON_EINVAL);
	assert_rc(photon_metrics_add_subscriber(m, s, NULL, 1), PHOTON_EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad_names); i++) {
		l[0].name = bad_names[i];
		l[0].value = "v";
		assert_rc(photon_metrics_add_subscriber(m, s, l, 1),
			  PHOTON_EINVAL);
	}
	l[0].name = NULL;
	assert_rc(photon_metrics_add_subscriber(m, s, l, 1), PHOTON_EINVAL);
	l[0].name = "ok";
	l[0].value = NULL;
	assert_rc(photon_metrics_add_subscriber(m, s, l, 1), PHOTON_EINVAL);
	l[0].value = "";
	l[1] = l[0]; /* duplicate name */
	assert_rc(photon_metrics_add_subscriber(m, s, l, 2), PHOTON_EINVAL);
	for (i = 0; i < ARRAY_SIZE(l); i++) {
		static const char names[][4] = { "l0", "l1", "l2", "l3", "l4",
						 "l5", "l6", "l7", "l8" };
		l[i].name = names[i];
		l[i].value = "x";
	}
	assert_rc(photon_metrics_add_subscriber(m, s, l, ARRAY_SIZE(l)),
		  PHOTON_EINVAL);
	assert_int_equal(photon_metrics_count(m), 0);
	assert_rc(photon_metrics_add_subscriber(m, s, l, ARRAY_SIZE(l) - 1),
		  PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, s, NULL, 0), PHOTON_EINVAL);

	/* Histogram descriptions. */
	assert_rc(photon_metrics_add_histogram(m, h, NULL, NULL, 0),
		  PHOTON_EINVAL);
	memset(&d, 0, sizeof(d));
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL); /* no name */
	d.name = "bad name";
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.name = "lat_seconds";
	d.scale = -1;
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.scale = strtod("inf", NULL);
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.scale = strtod("nan", NULL);
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.scale = 1e-9;
	d.bounds = unsorted;
	d.nbounds = ARRAY_SIZE(unsorted);
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.bounds = NULL;
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.bounds = with_nan_dummy;
	d.nbounds = 0;
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.bounds = NULL;
	d.reserved[1] = 1;
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.reserved[1] = 0;
	l[0].name = "le";
	assert_rc(photon_metrics_add_histogram(m, h, &d, l, 1), PHOTON_EINVAL);
	assert_rc(photon_metrics_add_histogram(m, NULL, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.name = "subscriber_pending"; /* a built-in family */
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.name = "lat_seconds_count"; /* a sample name of another family */
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0),
		  PHOTON_EINVAL);
	d.name = "lat_seconds";
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0), PHOTON_OK);
	assert_rc(photon_metrics_remove(m, h), PHOTON_OK);
	{
		struct photon_histogram *h2;

		/* One series per name and label set. */
		assert_rc(photon_histogram_create(&h2, 0), PHOTON_OK);
		l[0].name = "stage";
		l[1].name = "host";
		assert_rc(photon_metrics_add_histogram(m, h2, &d, l, 2),
			  PHOTON_OK);
		l[0].name = "host";
		l[1].name = "stage";
		assert_rc(photon_metrics_add_histogram(m, h, &d, l, 2),
			  PHOTON_EINVAL);
		assert_rc(photon_metrics_remove(m, h2), PHOTON_OK);
		photon_histogram_destroy(h2);
	}
	assert_rc(photon_metrics_add_histogram(m, h, &d, NULL, 0), PHOTON_OK);

	/* Full. */
	assert_rc(photon_metrics_add_subscriber(m, extra, NULL, 0),
		  PHOTON_ENOMEM);
	assert_non_null(strstr(photon_last_error_message(), "full"));
	assert_int_equal(photon_metrics_count(m), 2);
	assert_rc(photon_metrics_remove(m, NULL), PHOTON_EINVAL);
	assert_rc(photon_metrics_remove(NULL, s), PHOTON_EINVAL);
	assert_rc(photon_metrics_remove(m, extra), PHOTON_EINVAL);
	assert_rc(photon_metrics_remove(m, s), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, extra, NULL, 0), PHOTON_OK);
	assert_int_equal(photon_metrics_count(NULL), 0);

	photon_metrics_destroy(m);
	photon_metrics_destroy(NULL);
	photon_histogram_destroy(h);
	photon_subscriber_close(s);
	photon_subscriber_close(extra);
	photon_channel_release(ch);
}

/*
 * A monitoring thread's view: the main thread publishes and scrapes the
 * subscriber's counters while another thread receives (the counters are
 * atomic loads; ThreadSanitizer builds check it).
 */
struct consumer {
	struct photon_subscriber *sub;
	uint64_t got;
	int in_order;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	uint64_t v;

	c->in_order = 1;
	while (photon_recv(c->sub, &v) == PHOTON_OK) {
		if (v != c->got)
			c->in_order = 0;
		c->got++;
	}
	return NULL;
}

static void test_prom_concurrent_scrape(void **state)
{
	enum { N = 50000 };
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct consumer c = { 0 };
	struct photon_metrics *m;
	struct expo *x;
	char buf[4096];
	const struct photon_label l[] = { { "sub", "worker" } };
	pthread_t t;
	uint64_t i;

	(void)state;
	assert_rc(photon_channel_create_bounded(&ch, 64, 8, 0), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &c.sub), PHOTON_OK);
	assert_rc(photon_metrics_create(&m, NULL, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, c.sub, l, 1), PHOTON_OK);
	/* The publisher's sequence is its own field: scraped here, by the
	 * publishing thread. */
	assert_rc(photon_metrics_add_publisher(m, pub, NULL, 0), PHOTON_OK);
	spawn(&t, consume, &c);
	for (i = 0; i < N; i++) {
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
		if (i % 500 == 0) {
			ptrdiff_t n =
			    photon_metrics_prometheus(m, buf, sizeof(buf));
			assert_true(n > 0 && (size_t)n < sizeof(buf));
		}
	}
	assert_rc(photon_metrics_remove(m, pub), PHOTON_OK);
	photon_publisher_close(pub);
	join(t);
	assert_int_equal(c.got, N);
	assert_true(c.in_order);

	x = render_parse(m);
	assert_true(sample_value(x, "photon_subscriber_received_total",
				 "sub=worker", NULL) == N);
	assert_true(sample_value(x, "photon_subscriber_lagged_total",
				 "sub=worker", NULL) == 0);
	assert_true(sample_value(x, "photon_subscriber_receive_ratio",
				 "sub=worker", NULL) == 1);
	assert_true(sample_value(x, "photon_subscriber_pending", "sub=worker",
				 NULL) == 0);
	free(x);
	photon_metrics_destroy(m);
	photon_subscriber_close(c.sub);
	photon_channel_release(ch);
}

/* ---- StatsD ---- */

#define MAX_LINES 400

struct lines {
	char l[MAX_LINES][256];
	size_t n;
	size_t datagrams;
};

/* A blocking loopback UDP socket on an ephemeral port. The receive timeout
 * is a watchdog against a hang, never how the test synchronises. */
static int udp_receiver(uint16_t *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Receives datagrams until `want` more lines arrived (each datagram within
 * the MTU, whole lines only). */
static void recv_lines(int fd, struct lines *ls, size_t want)
{
	char buf[PHOTON_STATSD_MTU + 64];

	want += ls->n;
	while (ls->n < want) {
		ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
		char *line, *save = NULL;

		if (r < 0)
			fail_msg("recv: no datagram (line %zu of %zu)", ls->n,
				 want);
		assert_true(r > 0 && r <= PHOTON_STATSD_MTU);
		buf[r] = '\0';
		ls->datagrams++;
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			assert_true(ls->n < MAX_LINES);
			assert_true(strlen(line) < sizeof(ls->l[0]));
			strcpy(ls->l[ls->n++], line);
		}
	}
	assert_int_equal(ls->n, want);
}

/* The value of the line "name:value|type"; fails when absent. */
static double statsd_value(const struct lines *ls, const char *name,
			   const char *type)
{
	size_t i, n = strlen(name);

	for (i = 0; i < ls->n; i++) {
		const char *l = ls->l[i], *bar;
		char *end;
		double v;

		if (strncmp(l, name, n) != 0 || l[n] != ':')
			continue;
		v = strtod(l + n + 1, &end);
		bar = end;
		assert_int_equal(*bar, '|');
		assert_string_equal(bar + 1, type);
		return v;
	}
	fail_msg("no statsd line %s", name);
	return 0;
}

static void test_statsd_metrics(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *a;
	struct photon_group *g;
	struct photon_histogram *h;
	struct photon_metrics *m;
	struct photon_statsd *sd;
	struct lines *ls = calloc(1, sizeof(*ls));
	const struct photon_label la[] = { { "channel", "md" },
					   { "sub", "a.b" } };
	const struct photon_label lg[] = { { "channel", "md" },
					   { "group", "g1" } };
	const struct photon_label lp[] = { { "channel", "md" } };
	const struct photon_metric_histogram d = { .name = "lat_seconds",
						   .scale = 1e-9 };
	static const struct {
		const char *name;
		double p;
	} pct[] = { { "p50", 50 },
		    { "p90", 90 },
		    { "p99", 99 },
		    { "p999", 99.9 },
		    { "max", 100 } };
	uint16_t port;
	uint64_t i, v;
	int fd = udp_receiver(&port);

	(void)state;
	assert_non_null(ls);
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &a), PHOTON_OK);
	assert_rc(photon_group_subscribe(ch, 3, &g), PHOTON_OK);
	for (i = 0; i < 6; i++)
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
	assert_rc(photon_try_recv(a, &v), PHOTON_LAGGED);
	for (i = 0; i < 4; i++)
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
	assert_rc(photon_histogram_create(&h, 0), PHOTON_OK);
	for (i = 1; i <= 1000; i++)
		photon_histogram_record(h, i * 1000); /* 1 us .. 1 ms */

	assert_rc(photon_metrics_create(&m, NULL, 4), PHOTON_OK);
	assert_rc(photon_metrics_add_publisher(m, pub, lp, 1), PHOTON_OK);
	assert_rc(photon_metrics_add_subscriber(m, a, la, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_group(m, g, lg, 2), PHOTON_OK);
	assert_rc(photon_metrics_add_histogram(m, h, &d, lp, 1), PHOTON_OK);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", port, "app"), PHOTON_OK);

	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK);
	recv_lines(fd, ls, 1 + 4 + 5 + 6);
	for (i = 0; i < ls->n; i++) /* name:value|c, |g or |ms */
		assert_non_null(strchr(ls->l[i], ':'));
	assert_true(
	    statsd_value(ls, "app.photon.publisher.md.published", "c") == 6);
	assert_true(statsd_value(ls, "app.photon.subscriber.md.a_b.received",
				 "c") == 4);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.lagged", "c") == 2);
	assert_true(rel_diff(statsd_value(ls,
					  "app.photon.subscriber.md.a_b."
					  "receive_ratio",
					  "g"),
			     4.0 / 6.0) < 1e-14);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.pending", "g") == 0);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.received", "c") ==
		    0);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.pending", "g") ==
		    4);
	assert_true(statsd_value(ls, "app.photon.group.md.g1.members", "g") ==
		    3);
	assert_true(statsd_value(ls, "app.photon.lat_seconds.md.count", "c") ==
		    1000);
	for (i = 0; i < ARRAY_SIZE(pct); i++) {
		char name[128];
		uint64_t p;

		snprintf(name, sizeof(name), "app.photon.lat_seconds.md.%s",
			 pct[i].name);
		assert_rc(photon_histogram_percentile(h, pct[i].p, &p),
			  PHOTON_OK);
		assert_true(rel_diff(statsd_value(ls, name, "g"),
				     (double)p * 1e-9 * 1e3) < 1e-14);
	}
	assert_true(
	    rel_diff(statsd_value(ls, "app.photon.lat_seconds.md.max", "g"),
		     1.0) < 1e-14); /* 1 ms */

	/* Counters go as increases since the last send. */
	for (i = 0; i < 3; i++) {
		assert_rc(photon_publish(pub, &i), PHOTON_OK);
		assert_rc(photon_try_recv(a, &v), PHOTON_OK);
	}
	photon_histogram_reset(h); /* an interval histogram */
	for (i = 0; i < 5; i++)
		photon_histogram_record(h, 2000);
	ls->n = 0;
	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK);
	recv_lines(fd, ls, 1 + 4 + 5 + 6);
	assert_true(
	    statsd_value(ls, "app.photon.publisher.md.published", "c") == 3);
	assert_true(statsd_value(ls, "app.photon.subscriber.md.a_b.received",
				 "c") == 3);
	assert_true(
	    statsd_value(ls, "app.photon.subscriber.md.a_b.lagged", "c") == 0);
	assert_true(statsd_value(ls, "app.photon.lat_seconds.md.count", "c") ==
		    5);
	assert_true(
	    rel_diff(statsd_value(ls, "app.photon.lat_seconds.md.p50", "g"),
		     0.002) < 1e-14);

	photon_statsd_close(sd);
	photon_metrics_destroy(m);
	photon_histogram_destroy(h);
	photon_group_close(g);
	photon_subscriber_close(a);
	photon_publisher_close(pub);
	photon_channel_release(ch);
	close(fd);
	free(ls);
}

static void test_statsd_batching(void **state)
{
	struct photon_statsd *sd;
	struct lines *ls = calloc(1, sizeof(*ls));
	uint16_t port;
	int fd = udp_receiver(&port);
	size_t i;

	(void)state;
	assert_non_null(ls);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", port, NULL), PHOTON_OK);
	for (i = 0; i < 300; i++) {
		char name[64];

		snprintf(name, sizeof(name), "batch.gauge.number.%zu", i);
		assert_rc(photon_statsd_gauge(sd, name, (double)i), PHOTON_OK);
	}
	assert_rc(photon_statsd_flush(sd), PHOTON_OK);
	assert_rc(photon_statsd_flush(sd), PHOTON_OK); /* nothing pending */
	recv_lines(fd, ls, 300);
	/* ~30 bytes a line: several full datagrams, no line split. */
	assert_true(ls->datagrams >= 6);
	for (i = 0; i < 300; i++) {
		char want[64];

		snprintf(want, sizeof(want), "batch.gauge.number.%zu:%zu|g", i,
			 i);
		assert_string_equal(ls->l[i], want);
	}

	/* Counter, timing; close sends what is pending. */
	assert_rc(photon_statsd_count(sd, "errors", -5), PHOTON_OK);
	assert_rc(photon_statsd_timing(sd, "rtt", 1.5), PHOTON_OK);
	assert_rc(photon_statsd_gauge(sd, "tiny", 2.5e-7), PHOTON_OK);
	photon_statsd_close(sd);
	ls->n = 0;
	recv_lines(fd, ls, 3);
	assert_string_equal(ls->l[0], "errors:-5|c");
	assert_string_equal(ls->l[1], "rtt:1.5|ms");
	assert_true(statsd_value(ls, "tiny", "g") == 2.5e-7);
	close(fd);
	free(ls);
}

static void test_statsd_bad_input(void **state)
{
	struct photon_statsd *sd = (void *)&sd;
	static const char *bad[] = { "", "a:b", "a|b", "a@b", "a\nb" };
	char *longname = malloc(PHOTON_STATSD_MTU + 10);
	struct photon_metrics *m;
	size_t i;

	(void)state;
	assert_non_null(longname);
	assert_rc(photon_statsd_open(NULL, "127.0.0.1", 8125, NULL),
		  PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, NULL, 8125, NULL), PHOTON_EINVAL);
	assert_null(sd);
	assert_rc(photon_statsd_open(&sd, "", 8125, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 0, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 8125, "a:b"),
		  PHOTON_EINVAL);
	assert_true(strlen(photon_last_error_message()) > 0);

	/* Nothing listens on the port: sending still succeeds (UDP). */
	assert_rc(photon_statsd_open(&sd, "127.0.0.1", 9, NULL), PHOTON_OK);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_rc(photon_statsd_gauge(sd, bad[i], 1), PHOTON_EINVAL);
		assert_rc(photon_statsd_count(sd, bad[i], 1), PHOTON_EINVAL);
		assert_rc(photon_statsd_timing(sd, bad[i], 1), PHOTON_EINVAL);
	}
	assert_rc(photon_statsd_gauge(sd, NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_gauge(sd, "x", strtod("nan", NULL)),
		  PHOTON_EINVAL);
	assert_rc(photon_statsd_timing(sd, "x", strtod("inf", NULL)),
		  PHOTON_EINVAL);
	memset(longname, 'n', PHOTON_STATSD_MTU + 9);
	longname[PHOTON_STATSD_MTU + 9] = '\0';
	assert_rc(photon_statsd_gauge(sd, longname, 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_gauge(NULL, "x", 1), PHOTON_EINVAL);
	assert_rc(photon_statsd_flush(NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_count(sd, "ok", 1), PHOTON_OK);

	assert_rc(photon_metrics_create(&m, NULL, 1), PHOTON_OK);
	assert_rc(photon_statsd_send_metrics(NULL, m), PHOTON_EINVAL);
	assert_rc(photon_statsd_send_metrics(sd, NULL), PHOTON_EINVAL);
	assert_rc(photon_statsd_send_metrics(sd, m), PHOTON_OK); /* empty */
	photon_metrics_destroy(m);
	photon_statsd_close(sd);
	photon_statsd_close(NULL);
	free(longname);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc),
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
		cmocka_unit_test(test_prom_handles),
		cmocka_unit_test(test_prom_histograms),
		cmocka_unit_test(test_prom_buffer_too_small),
		cmocka_unit_test(test_prom_file),
		cmocka_unit_test(test_prom_prefix),
		cmocka_unit_test(test_metrics_bad_input),
		cmocka_unit_test(test_prom_concurrent_scrape),
		cmocka_unit_test(test_statsd_metrics),
		cmocka_unit_test(test_statsd_batching),
		cmocka_unit_test(test_statsd_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
