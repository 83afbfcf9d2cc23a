/* SPDX-License-Identifier: MIT */
/*
 * PHOTON_WAIT_PARK when membarrier fails (issue 9, bug 5). The no-lost-
 * wake-up argument of the park handshake rests on K3, the reader's
 * membarrier(PRIVATE_EXPEDITED). A seccomp filter makes exactly that command
 * fail with ENOMEM (registration still succeeds, so the library believes
 * membarrier works); a parking reader must then sleep in bounded slices, so
 * a missed wake-up costs latency and never a hang. Before the fix the result
 * was ignored and the reader slept on the futex without a timeout.
 *
 * Its own program: the filter stays on the process once installed.
 */
#include "util.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"
#include "testing.h"

#if PHOTON_TEST_HAVE_SECCOMP
#include <seccomp.h>
#endif

static struct photon_publisher *pub;
static int sleeps, unbounded;
static long longest_ns;

static void park_hook(enum photon__test_point point, void *arg)
{
	const struct timespec *ts = arg;
	uint64_t seq = 0;

	if (point != PHOTON__TP_PARK_SLEEP)
		return;
	sleeps++;
	if (!ts)
		unbounded++;
	else if (ts->tv_sec * 1000000000L + ts->tv_nsec > longest_ns)
		longest_ns = ts->tv_sec * 1000000000L + ts->tv_nsec;
	/* The message the sleeper waits for; the publisher sees the reader
	 * parked and bumps the futex word, so the wait returns at once. */
	assert_rc(photon_publish(pub, &seq), PHOTON_OK);
}

static void test_park_bounded_without_membarrier(void **state)
{
	struct photon_wait w = { .kind = PHOTON_WAIT_PARK,
				 .spin_iters = 1,
				 .yield_iters = 1 };
	struct photon_channel *ch;
	struct photon_subscriber *s;
	uint64_t v = 1;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, sizeof(uint64_t)), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &pub), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, park_hook, __ATOMIC_RELEASE);
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(v, 0);
	assert_int_equal(sleeps, 1);
	assert_int_equal(unbounded, 0);
	assert_true(longest_ns > 0 && longest_ns <= 1000000);
	photon_subscriber_close(s);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_park_bounded_without_membarrier),
	};
#if PHOTON_TEST_HAVE_SECCOMP
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	/* Spelled out: SCMP_A0() leaves datum_b to the compiler, which
	 * clang's -Wmissing-field-initializers reports. */
	const struct scmp_arg_cmp private_expedited = {
		.arg = 0,
		.op = SCMP_CMP_EQ,
		.datum_a = MEMBARRIER_CMD_PRIVATE_EXPEDITED,
		.datum_b = 0,
	};

	if (!f ||
	    seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOMEM), SCMP_SYS(membarrier), 1,
			     private_expedited) ||
	    seccomp_load(f)) {
		printf("skipped: cannot install a seccomp filter here\n");
		return 77;
	}
	seccomp_release(f);
	return cmocka_run_group_tests(tests, NULL, NULL);
#else
	(void)tests;
	printf("skipped: built without libseccomp (install libseccomp-dev)\n");
	return 77;
#endif
}
