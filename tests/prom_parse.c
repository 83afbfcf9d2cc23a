/* SPDX-License-Identifier: MIT */
/* The Prometheus text format 0.0.4 parser of the export tests. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "prom_parse.h"

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

struct prom_family *prom_find_family(struct prom_expo *x, const char *name)
{
	size_t i;

	for (i = 0; i < x->nf; i++)
		if (strcmp(x->f[i].name, name) == 0)
			return &x->f[i];
	return NULL;
}

/* The family a sample belongs to: a histogram's _bucket/_sum/_count, or
 * the sample's own name. */
static struct prom_family *family_of(struct prom_expo *x, const char *name)
{
	static const char *suffix[] = { "_bucket", "_sum", "_count" };
	size_t i, n = strlen(name);

	for (i = 0; i < ARRAY_SIZE(suffix); i++) {
		size_t k = strlen(suffix[i]);
		char base[128];
		struct prom_family *f;

		if (n <= k || strcmp(name + n - k, suffix[i]) != 0)
			continue;
		memcpy(base, name, n - k);
		base[n - k] = '\0';
		f = prom_find_family(x, base);
		if (f && strcmp(f->type, "histogram") == 0)
			return f;
	}
	return prom_find_family(x, name);
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
void prom_parse(struct prom_expo *x, const char *text)
{
	const char *p = text;
	struct prom_family *current = NULL;

	memset(x, 0, sizeof(*x));
	assert_true(*text == '\0' || text[strlen(text) - 1] == '\n');
	while (*p) {
		if (*p == '#') {
			char name[128], kind[8];
			struct prom_family *f;
			int is_help;

			assert_true(strncmp(p, "# HELP ", 7) == 0 ||
				    strncmp(p, "# TYPE ", 7) == 0);
			memcpy(kind, p + 2, 4);
			kind[4] = '\0';
			is_help = strcmp(kind, "HELP") == 0;
			p += 7;
			parse_name(&p, name, sizeof(name));
			assert_int_equal(*p++, ' ');
			f = prom_find_family(x, name);
			if (!f) {
				assert_true(x->nf < PROM_MAX_FAMILIES);
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
			struct prom_sample *s;
			struct prom_family *f;

			assert_true(x->n < PROM_MAX_SAMPLES);
			s = &x->s[x->n++];
			parse_name(&p, s->name, sizeof(s->name));
			if (*p == '{') {
				p++;
				while (*p != '}') {
					size_t i = s->nlabels++;

					assert_true(i < PROM_MAX_LABELS);
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
static void label_key(const struct prom_sample *s, char *out, size_t cap)
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

static const char *le_of(const struct prom_sample *s)
{
	size_t i;

	for (i = 0; i < s->nlabels; i++)
		if (strcmp(s->lname[i], "le") == 0)
			return s->lvalue[i];
	return NULL;
}

/* The value of the sample name{labels} (le: NULL or the bucket's bound). */
double prom_sample_value(const struct prom_expo *x, const char *name,
			 const char *labels, const char *le)
{
	char key[1024];
	size_t i;

	for (i = 0; i < x->n; i++) {
		const struct prom_sample *s = &x->s[i];
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
static int same_series(const struct prom_sample *a, const struct prom_sample *b)
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
size_t prom_check_histograms(const struct prom_expo *x)
{
	size_t i, j, series = 0;

	for (i = 0; i < x->n; i++) {
		const struct prom_sample *s = &x->s[i];
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
		assert_true(prom_sample_value(x, name, key, NULL) ==
			    last_count);
		snprintf(name, sizeof(name), "%s_sum", s->family);
		(void)prom_sample_value(x, name, key, NULL);
	}
	return series;
}
