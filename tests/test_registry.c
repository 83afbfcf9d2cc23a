/* SPDX-License-Identifier: MIT */
/*
 * The export registry (photon/export.h): bad creations, registrations and
 * removals each get their code and a detail message; a full registry
 * refuses more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
