/* SPDX-License-Identifier: MIT */
/*
 * The time-stamp counter (photon/clock.h): reads in order, calibration,
 * conversion to nanoseconds and its edge cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
