/* SPDX-License-Identifier: MIT */
/* The registry as Prometheus text exposition format 0.0.4. */
#include <errno.h>
#include <math.h> /* isnan, isinf: macros, no libm */
#include <stdio.h>
#include <string.h>

#include "private.h"

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
		put(k, tmp, photon__format_u64(tmp, v.u));
	else if (isnan(v.d))
		puts_(k, "NaN");
	else if (isinf(v.d))
		puts_(k, v.d > 0 ? "+Inf" : "-Inf");
	else
		put(k, tmp, photon__format_double(tmp, v.d));
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
		photon__histogram_range(h->sig_bits, i, &lo, &hi);
		v = (double)(lo > h->min ? lo : h->min) * d->scale;
		while (b < d->nbounds && v > bound_slack(d->bounds[b])) {
			photon__format_double(le, d->bounds[b]);
			put_sample(k, m, d->name, "_bucket", e, le,
				   int_num(cum));
			b++;
		}
		cum += h->counts[i];
	}
	for (; b < d->nbounds; b++) {
		photon__format_double(le, d->bounds[b]);
		put_sample(k, m, d->name, "_bucket", e, le, int_num(h->count));
	}
	put_sample(k, m, d->name, "_bucket", e, "+Inf", int_num(h->count));
	put_sample(k, m, d->name, "_sum", e, NULL,
		   double_num(photon__histogram_sum(h) * d->scale));
	put_sample(k, m, d->name, "_count", e, NULL, int_num(h->count));
}

static void render(const struct photon_metrics *m, struct sink *k)
{
	size_t f, i, j;

	/* Every family once, its samples together, TYPE before them. */
	for (f = 0; f < photon__metrics_nfamilies; f++) {
		const struct family *fam = &photon__metrics_families[f];
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
				   photon__metrics_value(e, fam->id));
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
