/* SPDX-License-Identifier: MIT */
/*
 * The export registry: what is registered, with which labels, and the
 * values of the registered objects, read through the ring's public getters.
 * The exporters render it (export_prometheus.c, export_statsd.c).
 */
#include <math.h> /* isfinite: a macro, no libm */
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* 1, 2.5, 5 x 10^k seconds, 10 ns .. 10 s. */
static const double default_bounds[] = { 1e-8, 2.5e-8, 5e-8, 1e-7, 2.5e-7, 5e-7,
					 1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5,
					 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3,
					 1e-2, 2.5e-2, 5e-2, 1e-1, 2.5e-1, 5e-1,
					 1,    2.5,    5,    10 };

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
		return photon_set_error(PHOTON_EINVAL,
					"photon_metrics_create: NULL out or "
					"capacity 0");
	if (!prefix)
		prefix = "photon";
	if (*prefix && !valid_name(prefix, 1))
		return photon_set_error(PHOTON_EINVAL,
					"metrics prefix \"%s\": must match "
					"[a-zA-Z_:][a-zA-Z0-9_:]*",
					prefix);
	if (capacity > SIZE_MAX / sizeof(struct entry))
		return photon_set_error(PHOTON_EINVAL,
					"metrics capacity %zu is too large",
					capacity);
	n = strlen(prefix);
	m = calloc(1, sizeof(*m) + n + 2);
	if (!m)
		return photon_set_error(PHOTON_ENOMEM,
					"out of memory for metrics");
	m->entries = calloc(capacity, sizeof(struct entry));
	if (!m->entries) {
		free(m);
		return photon_set_error(PHOTON_ENOMEM,
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
		return photon_set_error(PHOTON_EINVAL, "%zu labels: at most %d",
					nlabels, PHOTON_METRICS_MAX_LABELS);
	if (nlabels && !labels)
		return photon_set_error(PHOTON_EINVAL, "labels: NULL array");
	for (i = 0; i < nlabels; i++) {
		const char *n = labels[i].name;

		if (!valid_name(n, 0) || (n[0] == '_' && n[1] == '_'))
			return photon_set_error(
			    PHOTON_EINVAL,
			    "label name \"%s\": must match "
			    "[a-zA-Z_][a-zA-Z0-9_]* and not "
			    "start with __",
			    n ? n : "(null)");
		if (!labels[i].value)
			return photon_set_error(PHOTON_EINVAL,
						"label %s: NULL value", n);
		if (histogram && strcmp(n, "le") == 0)
			return photon_set_error(PHOTON_EINVAL,
						"label \"le\" is reserved for "
						"histogram buckets");
		for (j = 0; j < i; j++)
			if (strcmp(n, labels[j].name) == 0)
				return photon_set_error(
				    PHOTON_EINVAL, "label %s given twice", n);
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
		return photon_set_error(PHOTON_EINVAL,
					"photon_metrics_add: NULL argument");
	rc = check_labels(labels, nlabels, kind == K_HISTOGRAM);
	if (rc != PHOTON_OK)
		return rc;
	for (i = 0; i < m->count; i++)
		if (m->entries[i].obj == obj)
			return photon_set_error(PHOTON_EINVAL,
						"photon_metrics_add: object "
						"already registered");
	if (m->count == m->capacity)
		return photon_set_error(PHOTON_ENOMEM,
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
		return photon_set_error(PHOTON_EINVAL,
					"photon_metrics_add_histogram: NULL "
					"description");
	if (!valid_name(d->name, 1))
		return photon_set_error(PHOTON_EINVAL,
					"histogram name \"%s\": must match "
					"[a-zA-Z_:][a-zA-Z0-9_:]*",
					d->name ? d->name : "(null)");
	if (d->scale != 0 && !(d->scale > 0 && isfinite(d->scale)))
		return photon_set_error(PHOTON_EINVAL,
					"histogram %s: scale must be positive "
					"and finite (or 0)",
					d->name);
	if (!d->bounds != !d->nbounds)
		return photon_set_error(
		    PHOTON_EINVAL,
		    "histogram %s: bounds and nbounds must be "
		    "given together",
		    d->name);
	for (i = 0; i < d->nbounds; i++)
		if (!isfinite(d->bounds[i]) ||
		    (i && !(d->bounds[i] > d->bounds[i - 1])))
			return photon_set_error(
			    PHOTON_EINVAL,
			    "histogram %s: bounds must be "
			    "finite and strictly increasing",
			    d->name);
	for (i = 0; i < sizeof(d->reserved) / sizeof(d->reserved[0]); i++)
		if (d->reserved[i])
			return photon_set_error(
			    PHOTON_EINVAL, "photon_metric_histogram.reserved "
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
		return photon_set_error(PHOTON_EINVAL,
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
		return photon_set_error(PHOTON_EINVAL,
					"photon_metrics_remove: NULL argument");
	for (i = 0; i < m->count; i++)
		if (m->entries[i].obj == object) {
			/* Keep the registration order: it is the output's. */
			memmove(&m->entries[i], &m->entries[i + 1],
				(m->count - i - 1) * sizeof(struct entry));
			m->count--;
			return PHOTON_OK;
		}
	return photon_set_error(PHOTON_EINVAL,
				"photon_metrics_remove: object not registered");
}

PHOTON_API size_t photon_metrics_count(const struct photon_metrics *m)
{
	return m ? m->count : 0;
}

/* ---- values of the registered objects ---- */

struct num photon__metrics_value(const struct entry *e, enum metric_id id)
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

const struct family photon__metrics_families[] = {
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

const size_t photon__metrics_nfamilies =
    sizeof(photon__metrics_families) / sizeof(photon__metrics_families[0]);

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

	for (i = 0; i < photon__metrics_nfamilies; i++)
		if (strcmp(name, photon__metrics_families[i].name) == 0)
			return photon_set_error(
			    PHOTON_EINVAL,
			    "histogram name %s is a built-in "
			    "family",
			    name);
	if (ends_with(name, "_bucket") || ends_with(name, "_sum") ||
	    ends_with(name, "_count") || ends_with(name, "_total"))
		return photon_set_error(PHOTON_EINVAL,
					"histogram name %s: no _bucket, _sum, "
					"_count or _total suffix",
					name);
	for (i = 0; i < m->count; i++) {
		const struct entry *e = &m->entries[i];

		if (e->kind == K_HISTOGRAM && strcmp(e->desc.name, name) == 0 &&
		    same_labels(e, labels, nlabels))
			return photon_set_error(
			    PHOTON_EINVAL,
			    "histogram %s: a series with these "
			    "labels is registered",
			    name);
	}
	return PHOTON_OK;
}

const char *photon__metrics_kind_name(enum entry_kind k)
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
