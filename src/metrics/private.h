/* SPDX-License-Identifier: MIT */
/*
 * What the files of photonring-metrics share: the registry's layout, the
 * values of the registered objects, and small helpers. Hidden: the library
 * is built with -fvisibility=hidden and exports only photon/metrics.h.
 * Like every companion, it reaches the ring through its public API only.
 */
#ifndef PHOTON_METRICS_PRIVATE_H
#define PHOTON_METRICS_PRIVATE_H

#include <errno.h>
#include <string.h>

#include <photon/photon.h>

/* PHOTON_ESYS with the detail "what: reason", errno as the call left it. */
static inline int fail_sys(const char *what)
{
	int e = errno;

	photon_set_error(PHOTON_ESYS, "%s: %s", what, strerror(e));
	errno = e;
	return PHOTON_ESYS;
}

static inline int is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- the registry ---- */

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

static inline struct num int_num(uint64_t u)
{
	struct num v = { 1, u, 0 };
	return v;
}

static inline struct num double_num(double d)
{
	struct num v = { 0, 0, d };
	return v;
}

/* The counter and gauge families, in output order (registry.c). */
struct family {
	enum entry_kind kind;
	enum metric_id id;
	const char *name;   /* Prometheus, after the prefix */
	const char *statsd; /* StatsD, after the kind */
	const char *type;
	const char *help;
};

extern const struct family photon__metrics_families[];
extern const size_t photon__metrics_nfamilies;

/* The current value of family `id` of a registered handle. */
struct num photon__metrics_value(const struct entry *e, enum metric_id id);
/* "publisher", "subscriber", "group" or "histogram". */
const char *photon__metrics_kind_name(enum entry_kind k);

/* ---- histogram.c ---- */

/* Value range of bucket i: the inverse of photon__histogram_index(). */
void photon__histogram_range(unsigned b, size_t i, uint64_t *lo, uint64_t *hi);
/* The value reported for percentile p of a non-empty histogram. */
uint64_t photon__histogram_value_at(const struct photon_histogram *h, double p);
/* The exact 128-bit sum as a double. */
double photon__histogram_sum(const struct photon_histogram *h);

/* ---- format.c: numbers independent of the locale ---- */

/*
 * Shortest of %.15g and %.17g that reads back as v, with the locale's
 * decimal separator (whatever bytes it is) replaced by '.', as both formats
 * require. NaN and infinities are the caller's business. out: >= 32 bytes.
 */
size_t photon__format_double(char *out, double v);
/* v in decimal; out: >= 24 bytes. */
size_t photon__format_u64(char *out, uint64_t v);

#endif /* PHOTON_METRICS_PRIVATE_H */
