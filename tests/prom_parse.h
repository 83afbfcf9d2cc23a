/* SPDX-License-Identifier: MIT */
/*
 * A strict parser of the Prometheus text exposition format 0.0.4, for the
 * tests of the Prometheus exporter. It checks the format's rules with
 * cmocka assertions as it goes (metadata before samples, TYPE once and
 * first, a family's samples together, escapes, histogram series), so a
 * test that parses the exporter's text has checked its form too.
 */
#ifndef PHOTON_TEST_PROM_PARSE_H
#define PHOTON_TEST_PROM_PARSE_H

#include <stddef.h>

#include <photon/export.h>

#define PROM_MAX_SAMPLES  512
#define PROM_MAX_FAMILIES 64
#define PROM_MAX_LABELS	  (PHOTON_METRICS_MAX_LABELS + 1)

struct prom_sample {
	char name[128];
	char family[128];
	size_t nlabels;
	char lname[PROM_MAX_LABELS][64];
	char lvalue[PROM_MAX_LABELS][256];
	double value;
};

struct prom_family {
	char name[128];
	char type[16];
	char help[256];
	int has_samples;
	int closed; /* another family's samples followed */
};

struct prom_expo {
	struct prom_sample s[PROM_MAX_SAMPLES];
	size_t n;
	struct prom_family f[PROM_MAX_FAMILIES];
	size_t nf;
};

/* Parses the whole text into x, failing the test on any format error. */
void prom_parse(struct prom_expo *x, const char *text);

/* The family of that name, or NULL. */
struct prom_family *prom_find_family(struct prom_expo *x, const char *name);

/*
 * The value of the sample name{labels}: labels as "k=v,k=v" in the text's
 * order, le left out; le is NULL or the bucket's bound. Fails the test when
 * there is no such sample.
 */
double prom_sample_value(const struct prom_expo *x, const char *name,
			 const char *labels, const char *le);

/*
 * Checks every histogram series: le bounds increasing and ending with
 * +Inf, cumulative counts non-decreasing, +Inf equal to _count, _sum
 * present. Returns the number of series checked.
 */
size_t prom_check_histograms(const struct prom_expo *x);

#endif /* PHOTON_TEST_PROM_PARSE_H */
