/* SPDX-License-Identifier: MIT */
/* StatsD lines over UDP: single metrics and the whole registry. */
#include <math.h> /* isfinite: a macro, no libm */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private.h"

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
		return photon_set_error(
		    PHOTON_EINVAL, "photon_statsd_open: NULL or empty host, "
				   "or port 0");
	if (!prefix)
		prefix = "";
	if (*prefix && !statsd_name_ok(prefix))
		return photon_set_error(
		    PHOTON_EINVAL,
		    "statsd prefix \"%s\": no ':', '|', '@' "
		    "or newline",
		    prefix);
	n = strlen(prefix);
	if (n > PHOTON_STATSD_MTU / 2)
		return photon_set_error(
		    PHOTON_EINVAL, "statsd prefix of %zu bytes is too long", n);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%u", (unsigned)port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return photon_set_error(PHOTON_ESYS, "statsd host %s: %s", host,
					gai_strerror(rc));
	s = calloc(1, sizeof(*s) + n + 2);
	if (!s) {
		freeaddrinfo(res);
		return photon_set_error(PHOTON_ENOMEM,
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
		return photon_set_error(PHOTON_EINVAL,
					"statsd line longer than %d bytes",
					PHOTON_STATSD_MTU);
	return statsd_queue(s, l->b, l->n);
}

/* The text of a StatsD value (finite: checked by the callers). */
static const char *fmt_num(char *tmp, struct num v)
{
	if (v.is_int)
		photon__format_u64(tmp, v.u);
	else
		photon__format_double(tmp, v.d);
	return tmp;
}

static int statsd_line(struct photon_statsd *s, const char *name,
		       const char *value, const char *type)
{
	struct line l;

	if (!s || !statsd_name_ok(name) || !value)
		return photon_set_error(
		    PHOTON_EINVAL, "statsd: NULL handle, a name that is "
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
	line_segment(l, e->kind == K_HISTOGRAM
			    ? e->desc.name
			    : photon__metrics_kind_name(e->kind));
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
		return photon_set_error(PHOTON_EINVAL,
					"statsd: %s.%s is not finite",
					e->desc.name, metric);
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
		for (f = 0; f < photon__metrics_nfamilies; f++) {
			const struct family *fam = &photon__metrics_families[f];
			struct num v;
			int counter;

			if (fam->kind != e->kind)
				continue;
			v = photon__metrics_value(e, fam->id);
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
		double v = (double)photon__histogram_value_at(h, pct[i].p);

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
		return photon_set_error(PHOTON_EINVAL,
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
