/* SPDX-License-Identifier: MIT */
/*
 * Observability: TSC calibration, the log-linear histogram, and the
 * Prometheus and StatsD exporters. See include/photon/metrics.h for the
 * bucket layout and the thread contract.
 */
#include <errno.h>
#include <math.h> /* isfinite, isnan, isinf: macros, no libm */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---- time-stamp counter ---- */

#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
#define PHOTON__TSC_HW 1
#else
#define PHOTON__TSC_HW 0
#endif

/* PHOTON_ESYS with the detail "what: reason", errno as the call left it. */
static int fail_sys(const char *what)
{
	int e = errno;

	photon__fail(PHOTON_ESYS, "%s: %s", what, strerror(e));
	errno = e;
	return PHOTON_ESYS;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

PHOTON_API uint64_t photon_tsc_read(void)
{
#if PHOTON__TSC_HW
	return photon_tsc_now();
#else
	return monotonic_ns();
#endif
}

PHOTON_API uint64_t photon_tsc_read_ordered(void)
{
#if PHOTON__TSC_HW
	return photon_tsc_now_ordered();
#else
	/* clock_gettime orders itself (the vDSO fences its counter read). */
	return monotonic_ns();
#endif
}

PHOTON_API const char *photon_tsc_source(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return "rdtsc";
#elif defined(__aarch64__)
	return "cntvct_el0";
#else
	return "clock_gettime";
#endif
}

/*
 * One (counter, clock) pair: the clock read bracketed by two ordered counter
 * reads, the tightest bracket of a few tries, its middle taken as the
 * counter's value at the clock read. An interrupt inflates one bracket, not
 * the best of 16.
 */
static void tsc_clock_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	int i;

	*tsc = *ns = 0; /* for the compiler: the first try always wins */
	for (i = 0; i < 16; i++) {
		uint64_t t0 = photon_tsc_now_ordered();
		uint64_t c = monotonic_ns();
		uint64_t t1 = photon_tsc_now_ordered();

		if (t1 - t0 < best) {
			best = t1 - t0;
			*tsc = t0 + (t1 - t0) / 2;
			*ns = c;
		}
	}
}

#define TSC_WINDOW_DEFAULT_NS 10000000ull    /* 10 ms */
#define TSC_WINDOW_MAX_NS     10000000000ull /* 10 s */

PHOTON_API int photon_tsc_calibrate(double *ticks_per_ns, uint64_t window_ns)
{
	uint64_t t0, t1, n0, n1;
	struct timespec left;

	if (!ticks_per_ns)
		return photon__fail(PHOTON_EINVAL,
				    "photon_tsc_calibrate: NULL argument");
	if (window_ns > TSC_WINDOW_MAX_NS)
		return photon__fail(PHOTON_EINVAL,
				    "photon_tsc_calibrate: window %llu ns is "
				    "longer than 10 s",
				    (unsigned long long)window_ns);
	if (!PHOTON__TSC_HW) {
		*ticks_per_ns = 1.0; /* the counter is the clock */
		return PHOTON_OK;
	}
	if (window_ns == 0)
		window_ns = TSC_WINDOW_DEFAULT_NS;
	tsc_clock_pair(&t0, &n0);
	left.tv_sec = (time_t)(window_ns / 1000000000u);
	left.tv_nsec = (long)(window_ns % 1000000000u);
	while (nanosleep(&left, &left) != 0)
		if (errno != EINTR)
			return fail_sys("photon_tsc_calibrate: nanosleep");
	tsc_clock_pair(&t1, &n1);
	if (n1 <= n0 || t1 <= t0)
		return photon__fail(PHOTON_ENOTSUP,
				    "photon_tsc_calibrate: the counter (%s) "
				    "did not advance",
				    photon_tsc_source());
	*ticks_per_ns = (double)(t1 - t0) / (double)(n1 - n0);
	return PHOTON_OK;
}

PHOTON_API uint64_t photon_tsc_to_ns(uint64_t ticks, double ticks_per_ns)
{
	double ns;

	if (!(ticks_per_ns > 0) || !isfinite(ticks_per_ns))
		return 0;
	ns = (double)ticks / ticks_per_ns + 0.5;
	/* 2^64 as a double: anything at or above it saturates. */
	return ns >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)ns;
}

/* ---- histogram ---- */

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
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_init: NULL argument");
	if (!sig_bits_ok(&sig_bits))
		return photon__fail(PHOTON_EINVAL,
				    "histogram sig_bits %u: must be %d .. %d",
				    sig_bits, PHOTON_HISTOGRAM_SIG_BITS_MIN,
				    PHOTON_HISTOGRAM_SIG_BITS_MAX);
	if ((uintptr_t)mem % sizeof(uint64_t))
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_init: memory must be "
				    "8-byte aligned");
	if (size < photon_histogram_size(sig_bits))
		return photon__fail(PHOTON_EINVAL,
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
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_create: NULL argument");
	bytes = photon_histogram_size(sig_bits);
	if (bytes == 0)
		return photon__fail(PHOTON_EINVAL,
				    "histogram sig_bits %u: must be %d .. %d",
				    sig_bits, PHOTON_HISTOGRAM_SIG_BITS_MIN,
				    PHOTON_HISTOGRAM_SIG_BITS_MAX);
	/* Cache-line aligned, so the recording fields are one line. */
	bytes =
	    (bytes + PHOTON_CACHE_LINE - 1) & ~(size_t)(PHOTON_CACHE_LINE - 1);
	mem = aligned_alloc(PHOTON_CACHE_LINE, bytes);
	if (!mem)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a histogram (%zu bytes)",
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
static void bucket_range(unsigned b, size_t i, uint64_t *lo, uint64_t *hi)
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
static uint64_t hist_value_at(const struct photon_histogram *h, double p)
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
	bucket_range(h->sig_bits, i, &lo, &hi);
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
	*out = hist_value_at(h, p);
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

static double sum_double(const struct photon_histogram *h)
{
	return (double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo;
}

PHOTON_API double photon_histogram_mean(const struct photon_histogram *h)
{
	return h && h->count ? sum_double(h) / (double)h->count : 0.0;
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
	bucket_range(h->sig_bits, i, lo, hi);
	*count = h->counts[i];
	return PHOTON_OK;
}

PHOTON_API int photon_histogram_merge(struct photon_histogram *dst,
				      const struct photon_histogram *src)
{
	uint64_t count, sum_lo, sum_hi;
	size_t i;

	if (!dst || !src)
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_merge: NULL argument");
	if (dst->sig_bits != src->sig_bits)
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_merge: sig_bits %u and "
				    "%u differ",
				    dst->sig_bits, src->sig_bits);
	if (src->count > UINT64_MAX - dst->count)
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_merge: the count would "
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
		return photon__fail(PHOTON_EINVAL,
				    "photon_histogram_copy: NULL argument");
	if (dst->sig_bits != src->sig_bits)
		return photon__fail(PHOTON_EINVAL,
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

/* ---- export registry ---- */

enum entry_kind { K_PUBLISHER, K_SUBSCRIBER, K_GROUP, K_HISTOGRAM };

struct entry {
	enum entry_kind kind;
	const void *obj;
	struct photon_label labels[PHOTON_METRICS_MAX_LABELS];
	size_t nlabels;
	struct photon_metric_histogram desc; /* K_HISTOGRAM */
	uint64_t sent[2]; /* StatsD: the counters at the last send */
};

struct photon_metrics {
	struct entry *entries;
	size_t count;
	size_t capacity;
	char *prefix; /* "" or "name_" */
};

/* 1, 2.5, 5 x 10^k seconds, 10 ns .. 10 s. */
static const double default_bounds[] = { 1e-8, 2.5e-8, 5e-8, 1e-7, 2.5e-7, 5e-7,
					 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
					 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
					 1e-2, 2.5e-2, 5e-2, 1e-1, 2.5e-1, 5e-1,
					 1,    2.5,    5,    10 };

static int is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (colon: metric names only) */
static int valid_name(const char *s, int colon)
{
	if (!s || !*s || !(is_alpha_(*s) || (colon && *s == ':')))
		return 0;
	for (s++; *s; s++)
		if (!is_alpha_(*s) && !is_digit(*s) && !(colon && *s == ':'))
			return 0;
	return 1;
}

PHOTON_API int photon_metrics_create(struct photon_metrics **out,
				     const char *prefix, size_t capacity)
{
	struct photon_metrics *m;
	size_t n;

	if (out)
		*out = NULL;
	if (!out || capacity == 0)
		return photon__fail(PHOTON_EINVAL,
				    "photon_metrics_create: NULL out or "
				    "capacity 0");
	if (!prefix)
		prefix = "photon";
	if (*prefix && !valid_name(prefix, 1))
		return photon__fail(PHOTON_EINVAL,
				    "metrics prefix \"%s\": must match "
				    "[a-zA-Z_:][a-zA-Z0-9_:]*",
				    prefix);
	if (capacity > SIZE_MAX / sizeof(struct entry))
		return photon__fail(PHOTON_EINVAL,
				    "metrics capacity %zu is too large",
				    capacity);
	n = strlen(prefix);
	m = calloc(1, sizeof(*m) + n + 2);
	if (!m)
		return photon__fail(PHOTON_ENOMEM, "out of memory for metrics");
	m->entries = calloc(capacity, sizeof(struct entry));
	if (!m->entries) {
		free(m);
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for %zu metrics entries",
				    capacity);
	}
	m->capacity = capacity;
	m->prefix = (char *)(m + 1);
	if (n) {
		memcpy(m->prefix, prefix, n);
		m->prefix[n] = '_';
	}
	*out = m;
	return PHOTON_OK;
}

PHOTON_API void photon_metrics_destroy(struct photon_metrics *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m);
}

static int check_labels(const struct photon_label *labels, size_t nlabels,
			int histogram)
{
	size_t i, j;

	if (nlabels > PHOTON_METRICS_MAX_LABELS)
		return photon__fail(PHOTON_EINVAL, "%zu labels: at most %d",
				    nlabels, PHOTON_METRICS_MAX_LABELS);
	if (nlabels && !labels)
		return photon__fail(PHOTON_EINVAL, "labels: NULL array");
	for (i = 0; i < nlabels; i++) {
		const char *n = labels[i].name;

		if (!valid_name(n, 0) || (n[0] == '_' && n[1] == '_'))
			return photon__fail(PHOTON_EINVAL,
					    "label name \"%s\": must match "
					    "[a-zA-Z_][a-zA-Z0-9_]* and not "
					    "start with __",
					    n ? n : "(null)");
		if (!labels[i].value)
			return photon__fail(PHOTON_EINVAL,
					    "label %s: NULL value", n);
		if (histogram && strcmp(n, "le") == 0)
			return photon__fail(PHOTON_EINVAL,
					    "label \"le\" is reserved for "
					    "histogram buckets");
		for (j = 0; j < i; j++)
			if (strcmp(n, labels[j].name) == 0)
				return photon__fail(PHOTON_EINVAL,
						    "label %s given twice", n);
	}
	return PHOTON_OK;
}

static int add_entry(struct photon_metrics *m, enum entry_kind kind,
		     const void *obj, const struct photon_label *labels,
		     size_t nlabels, const struct photon_metric_histogram *desc)
{
	struct entry *e;
	size_t i;
	int rc;

	if (!m || !obj)
		return photon__fail(PHOTON_EINVAL,
				    "photon_metrics_add: NULL argument");
	rc = check_labels(labels, nlabels, kind == K_HISTOGRAM);
	if (rc != PHOTON_OK)
		return rc;
	for (i = 0; i < m->count; i++)
		if (m->entries[i].obj == obj)
			return photon__fail(PHOTON_EINVAL,
					    "photon_metrics_add: object "
					    "already registered");
	if (m->count == m->capacity)
		return photon__fail(PHOTON_ENOMEM,
				    "metrics registry full (%zu entries)",
				    m->capacity);
	e = &m->entries[m->count];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->obj = obj;
	for (i = 0; i < nlabels; i++)
		e->labels[i] = labels[i];
	e->nlabels = nlabels;
	if (desc)
		e->desc = *desc;
	m->count++;
	return PHOTON_OK;
}

PHOTON_API int photon_metrics_add_subscriber(struct photon_metrics *m,
					     const struct photon_subscriber *s,
					     const struct photon_label *labels,
					     size_t nlabels)
{
	return add_entry(m, K_SUBSCRIBER, s, labels, nlabels, NULL);
}

PHOTON_API int photon_metrics_add_group(struct photon_metrics *m,
					const struct photon_group *g,
					const struct photon_label *labels,
					size_t nlabels)
{
	return add_entry(m, K_GROUP, g, labels, nlabels, NULL);
}

PHOTON_API int photon_metrics_add_publisher(struct photon_metrics *m,
					    const struct photon_publisher *p,
					    const struct photon_label *labels,
					    size_t nlabels)
{
	return add_entry(m, K_PUBLISHER, p, labels, nlabels, NULL);
}

static int check_histogram_desc(const struct photon_metric_histogram *d)
{
	size_t i;

	if (!d)
		return photon__fail(PHOTON_EINVAL,
				    "photon_metrics_add_histogram: NULL "
				    "description");
	if (!valid_name(d->name, 1))
		return photon__fail(PHOTON_EINVAL,
				    "histogram name \"%s\": must match "
				    "[a-zA-Z_:][a-zA-Z0-9_:]*",
				    d->name ? d->name : "(null)");
	if (d->scale != 0 && !(d->scale > 0 && isfinite(d->scale)))
		return photon__fail(PHOTON_EINVAL,
				    "histogram %s: scale must be positive "
				    "and finite (or 0)",
				    d->name);
	if (!d->bounds != !d->nbounds)
		return photon__fail(PHOTON_EINVAL,
				    "histogram %s: bounds and nbounds must be "
				    "given together",
				    d->name);
	for (i = 0; i < d->nbounds; i++)
		if (!isfinite(d->bounds[i]) ||
		    (i && !(d->bounds[i] > d->bounds[i - 1])))
			return photon__fail(PHOTON_EINVAL,
					    "histogram %s: bounds must be "
					    "finite and strictly increasing",
					    d->name);
	for (i = 0; i < sizeof(d->reserved) / sizeof(d->reserved[0]); i++)
		if (d->reserved[i])
			return photon__fail(PHOTON_EINVAL,
					    "photon_metric_histogram.reserved "
					    "must be zero");
	return PHOTON_OK;
}

static int histogram_clash(const struct photon_metrics *m, const char *name,
			   const struct photon_label *labels, size_t nlabels);

PHOTON_API int
photon_metrics_add_histogram(struct photon_metrics *m,
			     const struct photon_histogram *h,
			     const struct photon_metric_histogram *desc,
			     const struct photon_label *labels, size_t nlabels)
{
	struct photon_metric_histogram d;
	int rc;

	if (!m)
		return photon__fail(PHOTON_EINVAL,
				    "photon_metrics_add: NULL argument");
	rc = check_histogram_desc(desc);
	if (rc == PHOTON_OK)
		rc = check_labels(labels, nlabels, 1);
	if (rc == PHOTON_OK)
		rc = histogram_clash(m, desc->name, labels, nlabels);
	if (rc != PHOTON_OK)
		return rc;
	d = *desc;
	if (d.scale == 0)
		d.scale = 1;
	if (!d.bounds) {
		d.bounds = default_bounds;
		d.nbounds = sizeof(default_bounds) / sizeof(default_bounds[0]);
	}
	return add_entry(m, K_HISTOGRAM, h, labels, nlabels, &d);
}

PHOTON_API int photon_metrics_remove(struct photon_metrics *m,
				     const void *object)
{
	size_t i;

	if (!m || !object)
		return photon__fail(PHOTON_EINVAL,
				    "photon_metrics_remove: NULL argument");
	for (i = 0; i < m->count; i++)
		if (m->entries[i].obj == object) {
			/* Keep the registration order: it is the output's. */
			memmove(&m->entries[i], &m->entries[i + 1],
				(m->count - i - 1) * sizeof(struct entry));
			m->count--;
			return PHOTON_OK;
		}
	return photon__fail(PHOTON_EINVAL,
			    "photon_metrics_remove: object not registered");
}

PHOTON_API size_t photon_metrics_count(const struct photon_metrics *m)
{
	return m ? m->count : 0;
}

/* ---- values of the registered objects ---- */

enum metric_id {
	M_PUBLISHED,
	M_RECEIVED,
	M_LAGGED,
	M_RATIO,
	M_PENDING,
	M_MEMBERS
};

/* An exported number: an exact integer or a double. */
struct num {
	int is_int;
	uint64_t u;
	double d;
};

static struct num value_of(const struct entry *e, enum metric_id id)
{
	const struct photon_subscriber *s = e->obj;
	const struct photon_group *g = e->obj;
	struct num v = { 1, 0, 0 };

	switch (id) {
	case M_PUBLISHED:
		v.u = photon_publisher_sequence(e->obj);
		break;
	case M_RECEIVED:
		v.u = e->kind == K_GROUP ? photon_group_received(g)
					 : photon_subscriber_received(s);
		break;
	case M_LAGGED:
		v.u = e->kind == K_GROUP ? photon_group_lagged(g)
					 : photon_subscriber_lagged(s);
		break;
	case M_RATIO:
		v.is_int = 0;
		v.d = e->kind == K_GROUP ? photon_group_receive_ratio(g)
					 : photon_subscriber_receive_ratio(s);
		break;
	case M_PENDING:
		v.u = e->kind == K_GROUP ? photon_group_pending(g)
					 : photon_pending(s);
		break;
	case M_MEMBERS:
		v.u = photon_group_size(g);
		break;
	}
	return v;
}

/* The counter and gauge families, in output order. */
static const struct family {
	enum entry_kind kind;
	enum metric_id id;
	const char *name;   /* Prometheus, after the prefix */
	const char *statsd; /* StatsD, after the kind */
	const char *type;
	const char *help;
} families[] = {
	{ K_PUBLISHER, M_PUBLISHED, "publisher_published_total", "published",
	  "counter", "Messages published (the publisher sequence)." },
	{ K_SUBSCRIBER, M_RECEIVED, "subscriber_received_total", "received",
	  "counter", "Messages delivered to the subscriber." },
	{ K_SUBSCRIBER, M_LAGGED, "subscriber_lagged_total", "lagged",
	  "counter", "Messages the subscriber lost because it was overrun." },
	{ K_SUBSCRIBER, M_RATIO, "subscriber_receive_ratio", "receive_ratio",
	  "gauge", "received / (received + lagged); 0 before any message." },
	{ K_SUBSCRIBER, M_PENDING, "subscriber_pending", "pending", "gauge",
	  "Messages published and not yet read, capped at the capacity." },
	{ K_GROUP, M_RECEIVED, "group_received_total", "received", "counter",
	  "Messages delivered to the group (each counted once)." },
	{ K_GROUP, M_LAGGED, "group_lagged_total", "lagged", "counter",
	  "Messages the group lost because it was overrun." },
	{ K_GROUP, M_RATIO, "group_receive_ratio", "receive_ratio", "gauge",
	  "received / (received + lagged); 0 before any message." },
	{ K_GROUP, M_PENDING, "group_pending", "pending", "gauge",
	  "Messages published and not yet read, capped at the capacity." },
	{ K_GROUP, M_MEMBERS, "group_members", "members", "gauge",
	  "Logical consumers in the group." },
};

#define NFAMILIES (sizeof(families) / sizeof(families[0]))

static int same_labels(const struct entry *e, const struct photon_label *l,
		       size_t n)
{
	size_t i, j;

	if (e->nlabels != n)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(e->labels[j].name, l[i].name) == 0 &&
			    strcmp(e->labels[j].value, l[i].value) == 0)
				break;
		if (j == n)
			return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * A histogram name must not make the text ambiguous: not a built-in
 * family, no sample-name suffix, and one series per label set.
 */
static int histogram_clash(const struct photon_metrics *m, const char *name,
			   const struct photon_label *labels, size_t nlabels)
{
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		if (strcmp(name, families[i].name) == 0)
			return photon__fail(PHOTON_EINVAL,
					    "histogram name %s is a built-in "
					    "family",
					    name);
	if (ends_with(name, "_bucket") || ends_with(name, "_sum") ||
	    ends_with(name, "_count") || ends_with(name, "_total"))
		return photon__fail(PHOTON_EINVAL,
				    "histogram name %s: no _bucket, _sum, "
				    "_count or _total suffix",
				    name);
	for (i = 0; i < m->count; i++) {
		const struct entry *e = &m->entries[i];

		if (e->kind == K_HISTOGRAM && strcmp(e->desc.name, name) == 0 &&
		    same_labels(e, labels, nlabels))
			return photon__fail(PHOTON_EINVAL,
					    "histogram %s: a series with these "
					    "labels is registered",
					    name);
	}
	return PHOTON_OK;
}

static const char *kind_name(enum entry_kind k)
{
	switch (k) {
	case K_PUBLISHER:
		return "publisher";
	case K_SUBSCRIBER:
		return "subscriber";
	case K_GROUP:
		return "group";
	case K_HISTOGRAM:
		break;
	}
	return "histogram";
}

/* ---- number formatting, independent of the locale ---- */

/*
 * Shortest of %.15g and %.17g that reads back as v, with the locale's
 * decimal separator (whatever bytes it is) replaced by '.', as both formats
 * require. NaN and infinities are the caller's business. out: >= 32 bytes.
 */
static size_t fmt_double(char *out, double v)
{
	char tmp[40];
	size_t i, n = 0;
	int radix = 0;

	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	for (i = 0; tmp[i]; i++) {
		char c = tmp[i];

		if (is_digit(c) || c == 'e' || c == 'E' || c == '+' ||
		    c == '-') {
			out[n++] = c;
			radix = 0;
		} else if (!radix) {
			out[n++] = '.';
			radix = 1;
		}
	}
	out[n] = '\0';
	return n;
}

static size_t fmt_u64(char *out, uint64_t v)
{
	return (size_t)snprintf(out, 24, "%llu", (unsigned long long)v);
}

/* ---- Prometheus text exposition format 0.0.4 ---- */

/* Where rendered text goes: a buffer (snprintf-style) or a FILE. */
struct sink {
	char *buf;
	size_t len;
	size_t total; /* bytes of the whole text so far */
	FILE *f;
	int err; /* errno of the first failed write */
};

static void put(struct sink *k, const char *s, size_t n)
{
	if (k->f) {
		if (!k->err && n && fwrite(s, 1, n, k->f) != n)
			k->err = errno ? errno : EIO;
	} else if (k->total + 1 < k->len) {
		size_t room = k->len - 1 - k->total;

		memcpy(k->buf + k->total, s, n < room ? n : room);
	}
	k->total += n;
}

static void puts_(struct sink *k, const char *s)
{
	put(k, s, strlen(s));
}

/*
 * Label values escape \, " and newline; HELP text escapes \ and newline
 * (the format's two escaping rules).
 */
static void put_escaped(struct sink *k, const char *s, int quote)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = NULL;

		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '\n')
			esc = "\\n";
		else if (*s == '"' && quote)
			esc = "\\\"";
		if (esc) {
			put(k, run, (size_t)(s - run));
			put(k, esc, 2);
			run = s + 1;
		}
	}
	put(k, run, (size_t)(s - run));
}

static void put_num(struct sink *k, struct num v)
{
	char tmp[40];

	if (v.is_int)
		put(k, tmp, fmt_u64(tmp, v.u));
	else if (isnan(v.d))
		puts_(k, "NaN");
	else if (isinf(v.d))
		puts_(k, v.d > 0 ? "+Inf" : "-Inf");
	else
		put(k, tmp, fmt_double(tmp, v.d));
}

static void put_header(struct sink *k, const struct photon_metrics *m,
		       const char *name, const char *type, const char *help)
{
	puts_(k, "# HELP ");
	puts_(k, m->prefix);
	puts_(k, name);
	puts_(k, " ");
	put_escaped(k, help, 0);
	puts_(k, "\n# TYPE ");
	puts_(k, m->prefix);
	puts_(k, name);
	puts_(k, " ");
	puts_(k, type);
	puts_(k, "\n");
}

/* name{labels[,le="..."]} value\n; suffix may be "" */
static void put_sample(struct sink *k, const struct photon_metrics *m,
		       const char *name, const char *suffix,
		       const struct entry *e, const char *le, struct num v)
{
	size_t i;

	puts_(k, m->prefix);
	puts_(k, name);
	puts_(k, suffix);
	if (e->nlabels || le) {
		puts_(k, "{");
		for (i = 0; i < e->nlabels; i++) {
			if (i)
				puts_(k, ",");
			puts_(k, e->labels[i].name);
			puts_(k, "=\"");
			put_escaped(k, e->labels[i].value, 1);
			puts_(k, "\"");
		}
		if (le) {
			puts_(k, e->nlabels ? ",le=\"" : "le=\"");
			puts_(k, le);
			puts_(k, "\"");
		}
		puts_(k, "}");
	}
	puts_(k, " ");
	put_num(k, v);
	puts_(k, "\n");
}

static struct num int_num(uint64_t u)
{
	struct num v = { 1, u, 0 };
	return v;
}

static struct num double_num(double d)
{
	struct num v = { 0, 0, d };
	return v;
}

/*
 * One histogram's samples. A bucket of the histogram counts toward a bound
 * when its lowest value (or the exact min, if higher) times scale is at
 * most the bound: exact for values at bucket edges, otherwise off by at
 * most one bucket width (2^-b relative). The relative slack of 1e-12
 * absorbs the rounding of value * scale.
 */
static double bound_slack(double b)
{
	return b + (b < 0 ? -b : b) * 1e-12;
}

static void put_histogram(struct sink *k, const struct photon_metrics *m,
			  const struct entry *e)
{
	const struct photon_histogram *h = e->obj;
	const struct photon_metric_histogram *d = &e->desc;
	uint64_t cum = 0, lo, hi;
	size_t i, b = 0;
	char le[40];

	for (i = 0; i < h->bucket_count && b < d->nbounds; i++) {
		double v;

		if (!h->counts[i])
			continue;
		bucket_range(h->sig_bits, i, &lo, &hi);
		v = (double)(lo > h->min ? lo : h->min) * d->scale;
		while (b < d->nbounds && v > bound_slack(d->bounds[b])) {
			fmt_double(le, d->bounds[b]);
			put_sample(k, m, d->name, "_bucket", e, le,
				   int_num(cum));
			b++;
		}
		cum += h->counts[i];
	}
	for (; b < d->nbounds; b++) {
		fmt_double(le, d->bounds[b]);
		put_sample(k, m, d->name, "_bucket", e, le, int_num(h->count));
	}
	put_sample(k, m, d->name, "_bucket", e, "+Inf", int_num(h->count));
	put_sample(k, m, d->name, "_sum", e, NULL,
		   double_num(sum_double(h) * d->scale));
	put_sample(k, m, d->name, "_count", e, NULL, int_num(h->count));
}

static void render(const struct photon_metrics *m, struct sink *k)
{
	size_t f, i, j;

	/* Every family once, its samples together, TYPE before them. */
	for (f = 0; f < NFAMILIES; f++) {
		const struct family *fam = &families[f];
		int started = 0;

		for (i = 0; i < m->count; i++) {
			const struct entry *e = &m->entries[i];

			if (e->kind != fam->kind)
				continue;
			if (!started)
				put_header(k, m, fam->name, fam->type,
					   fam->help);
			started = 1;
			put_sample(k, m, fam->name, "", e, NULL,
				   value_of(e, fam->id));
		}
	}
	/* Histograms: one family per name, in order of first registration. */
	for (i = 0; i < m->count; i++) {
		const struct entry *e = &m->entries[i];
		int seen = 0;

		if (e->kind != K_HISTOGRAM)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen =
			    m->entries[j].kind == K_HISTOGRAM &&
			    strcmp(m->entries[j].desc.name, e->desc.name) == 0;
		if (seen)
			continue;
		put_header(k, m, e->desc.name, "histogram",
			   e->desc.help ? e->desc.help
					: "Histogram of recorded values.");
		for (j = i; j < m->count; j++)
			if (m->entries[j].kind == K_HISTOGRAM &&
			    strcmp(m->entries[j].desc.name, e->desc.name) == 0)
				put_histogram(k, m, &m->entries[j]);
	}
}

PHOTON_API ptrdiff_t photon_metrics_prometheus(const struct photon_metrics *m,
					       char *buf, size_t len)
{
	struct sink k = { buf, len, 0, NULL, 0 };

	if (!m || (!buf && len))
		return PHOTON_EINVAL;
	render(m, &k);
	if (len)
		buf[k.total < len ? k.total : len - 1] = '\0';
	return (ptrdiff_t)k.total;
}

PHOTON_API int photon_metrics_prometheus_file(const struct photon_metrics *m,
					      FILE *f)
{
	struct sink k = { NULL, 0, 0, f, 0 };

	if (!m || !f)
		return PHOTON_EINVAL;
	errno = 0;
	render(m, &k);
	if (!k.err && fflush(f) != 0)
		k.err = errno ? errno : EIO;
	if (k.err) {
		errno = k.err;
		return PHOTON_ESYS;
	}
	return PHOTON_OK;
}

/* ---- StatsD ---- */

struct photon_statsd {
	int fd;
	socklen_t addrlen;
	struct sockaddr_storage addr;
	size_t len; /* bytes pending in buf */
	char buf[PHOTON_STATSD_MTU];
	char prefix[]; /* "" or "name." */
};

static int statsd_name_ok(const char *s)
{
	return s && *s && !strpbrk(s, ":|@\n\r");
}

PHOTON_API int photon_statsd_open(struct photon_statsd **out, const char *host,
				  uint16_t port, const char *prefix)
{
	struct addrinfo hints, *res = NULL;
	struct photon_statsd *s;
	char service[8];
	size_t n;
	int rc;

	if (out)
		*out = NULL;
	if (!out || !host || !*host || port == 0)
		return photon__fail(PHOTON_EINVAL,
				    "photon_statsd_open: NULL or empty host, "
				    "or port 0");
	if (!prefix)
		prefix = "";
	if (*prefix && !statsd_name_ok(prefix))
		return photon__fail(PHOTON_EINVAL,
				    "statsd prefix \"%s\": no ':', '|', '@' "
				    "or newline",
				    prefix);
	n = strlen(prefix);
	if (n > PHOTON_STATSD_MTU / 2)
		return photon__fail(
		    PHOTON_EINVAL, "statsd prefix of %zu bytes is too long", n);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return photon__fail(PHOTON_ESYS, "statsd host %s: %s", host,
				    gai_strerror(rc));
	s = calloc(1, sizeof(*s) + n + 2);
	if (!s) {
		freeaddrinfo(res);
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a statsd sink");
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	s->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	freeaddrinfo(res);
	if (s->fd < 0) {
		rc = fail_sys("statsd socket");
		free(s); /* keeps errno (glibc >= 2.33, POSIX.1-2024) */
		return rc;
	}
	if (n) {
		memcpy(s->prefix, prefix, n);
		s->prefix[n] = '.';
	}
	*out = s;
	return PHOTON_OK;
}

PHOTON_API int photon_statsd_flush(struct photon_statsd *s)
{
	ssize_t r;

	if (!s)
		return PHOTON_EINVAL;
	if (s->len == 0)
		return PHOTON_OK;
	/* Not connected: a closed port's ICMP error does not come back as a
	 * failure of a later send. */
	r = sendto(s->fd, s->buf, s->len, 0, (struct sockaddr *)&s->addr,
		   s->addrlen);
	s->len = 0;
	return r < 0 ? fail_sys("statsd send") : PHOTON_OK;
}

PHOTON_API void photon_statsd_close(struct photon_statsd *s)
{
	if (!s)
		return;
	photon_statsd_flush(s);
	close(s->fd);
	free(s);
}

/* Appends one complete line to the datagram, sending it first if full. */
static int statsd_queue(struct photon_statsd *s, const char *line, size_t n)
{
	int rc = PHOTON_OK;

	if (n > PHOTON_STATSD_MTU)
		return PHOTON_EINVAL;
	if (s->len && s->len + 1 + n > PHOTON_STATSD_MTU)
		rc = photon_statsd_flush(s);
	if (s->len)
		s->buf[s->len++] = '\n';
	memcpy(s->buf + s->len, line, n);
	s->len += n;
	return rc;
}

/* A line being built: the prefix, name parts, ':' value '|' type. */
struct line {
	char b[PHOTON_STATSD_MTU + 1];
	size_t n;
	int over;
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->n + n > PHOTON_STATSD_MTU) {
		l->over = 1;
		return;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

static void line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* A name segment: characters outside [A-Za-z0-9_-] become '_'. */
static void line_segment(struct line *l, const char *s)
{
	if (!*s)
		line_put(l, "_", 1);
	for (; *s; s++) {
		char c = *s;

		if (!is_alpha_(c) && !is_digit(c) && c != '-')
			c = '_';
		line_put(l, &c, 1);
	}
	line_put(l, ".", 1);
}

static int line_send(struct photon_statsd *s, struct line *l, const char *value,
		     const char *type)
{
	line_put(l, ":", 1);
	line_puts(l, value);
	line_put(l, "|", 1);
	line_puts(l, type);
	if (l->over)
		return photon__fail(PHOTON_EINVAL,
				    "statsd line longer than %d bytes",
				    PHOTON_STATSD_MTU);
	return statsd_queue(s, l->b, l->n);
}

/* The text of a StatsD value (finite: checked by the callers). */
static const char *fmt_num(char *tmp, struct num v)
{
	if (v.is_int)
		fmt_u64(tmp, v.u);
	else
		fmt_double(tmp, v.d);
	return tmp;
}

static int statsd_line(struct photon_statsd *s, const char *name,
		       const char *value, const char *type)
{
	struct line l;

	if (!s || !statsd_name_ok(name) || !value)
		return photon__fail(PHOTON_EINVAL,
				    "statsd: NULL handle, a name that is "
				    "empty or has ':', '|', '@' or a newline, "
				    "or a value that is not finite");
	l.n = 0;
	l.over = 0;
	line_puts(&l, s->prefix);
	line_puts(&l, name);
	return line_send(s, &l, value, type);
}

static const char *finite_value(char *tmp, double v)
{
	return isfinite(v) ? fmt_num(tmp, double_num(v)) : NULL;
}

PHOTON_API int photon_statsd_count(struct photon_statsd *s, const char *name,
				   int64_t delta)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%lld", (long long)delta);
	return statsd_line(s, name, tmp, "c");
}

PHOTON_API int photon_statsd_gauge(struct photon_statsd *s, const char *name,
				   double value)
{
	char tmp[40];

	return statsd_line(s, name, finite_value(tmp, value), "g");
}

PHOTON_API int photon_statsd_timing(struct photon_statsd *s, const char *name,
				    double ms)
{
	char tmp[40];

	return statsd_line(s, name, finite_value(tmp, ms), "ms");
}

/* <statsd prefix><registry prefix as a segment><kind or name>.<labels> */
static void entry_stem(struct line *l, const struct photon_statsd *s,
		       const struct photon_metrics *m, const struct entry *e)
{
	size_t i, n = strlen(m->prefix);

	l->n = 0;
	l->over = 0;
	line_puts(l, s->prefix);
	if (n) { /* "photon_" -> "photon." */
		line_put(l, m->prefix, n - 1);
		line_put(l, ".", 1);
	}
	line_segment(l, e->kind == K_HISTOGRAM ? e->desc.name
					       : kind_name(e->kind));
	for (i = 0; i < e->nlabels; i++)
		line_segment(l, e->labels[i].value);
}

static int send_one(struct photon_statsd *s, const struct photon_metrics *m,
		    const struct entry *e, const char *metric, struct num v,
		    const char *type)
{
	struct line l;
	char tmp[40];

	if (!v.is_int && !isfinite(v.d))
		return photon__fail(PHOTON_EINVAL,
				    "statsd: %s.%s is not finite", e->desc.name,
				    metric);
	entry_stem(&l, s, m, e);
	line_puts(&l, metric);
	return line_send(s, &l, fmt_num(tmp, v), type);
}

/*
 * Counter increase since the last send; remembers the new value. A value
 * below the last one means the source was reset (an interval histogram):
 * all of it is new.
 */
static struct num delta(struct entry *e, int slot, uint64_t now)
{
	struct num v =
	    int_num(now >= e->sent[slot] ? now - e->sent[slot] : now);

	e->sent[slot] = now;
	return v;
}

static int send_entry(struct photon_statsd *s, const struct photon_metrics *m,
		      struct entry *e)
{
	static const struct {
		const char *name;
		double p;
	} pct[] = { { "p50", 50 },
		    { "p90", 90 },
		    { "p99", 99 },
		    { "p999", 99.9 },
		    { "max", 100 } };
	const struct photon_histogram *h = e->obj;
	int rc = PHOTON_OK, r;
	size_t f, i;

	if (e->kind != K_HISTOGRAM) {
		for (f = 0; f < NFAMILIES; f++) {
			const struct family *fam = &families[f];
			struct num v;
			int counter;

			if (fam->kind != e->kind)
				continue;
			v = value_of(e, fam->id);
			counter = fam->type[0] == 'c';
			if (counter)
				v = delta(e, fam->id == M_LAGGED, v.u);
			r = send_one(s, m, e, fam->statsd, v,
				     counter ? "c" : "g");
			if (rc == PHOTON_OK)
				rc = r;
		}
		return rc;
	}
	rc = send_one(s, m, e, "count", delta(e, 0, h->count), "c");
	if (h->count == 0)
		return rc;
	for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		double v = (double)hist_value_at(h, pct[i].p);

		r = send_one(s, m, e, pct[i].name,
			     double_num(v * e->desc.scale * 1e3), "g");
		if (rc == PHOTON_OK)
			rc = r;
	}
	return rc;
}

PHOTON_API int photon_statsd_send_metrics(struct photon_statsd *s,
					  struct photon_metrics *m)
{
	int rc = PHOTON_OK, r;
	size_t i;

	if (!s || !m)
		return photon__fail(PHOTON_EINVAL,
				    "photon_statsd_send_metrics: NULL "
				    "argument");
	for (i = 0; i < m->count; i++) {
		r = send_entry(s, m, &m->entries[i]);
		if (rc == PHOTON_OK)
			rc = r;
	}
	r = photon_statsd_flush(s);
	return rc == PHOTON_OK ? r : rc;
}
