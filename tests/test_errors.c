/* SPDX-License-Identifier: MIT */
/*
 * Bad input (SPEC 5): every row gets its code, never a crash, and the
 * detail message says what went wrong. Also photon_strerror and the NULL
 * behaviour of getters and void calls.
 */
#include <errno.h>
#include <string.h>

#include "util.h"

/* A creation failure sets *out to NULL and leaves a detail message. */
#define assert_create_fails(call, out, want)                          \
	do {                                                          \
		out = (void *)&out; /* anything but NULL */           \
		assert_rc(call, want);                                \
		assert_null(out);                                     \
		assert_true(strlen(photon_last_error_message()) > 0); \
	} while (0)

static void test_bad_capacity(void **state)
{
	struct photon_channel *ch;
	static const size_t bad[] = { 0, 1 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_create_fails(photon_channel_create(&ch, bad[i], 8), ch,
				    PHOTON_EINVAL);
		assert_create_fails(
		    photon_channel_create_bounded(&ch, bad[i], 8, 0), ch,
		    PHOTON_EINVAL);
	}
	assert_non_null(strstr(photon_last_error_message(), "capacity"));
	/* Any capacity of at least 2 is fine; powers of two are fastest. */
	assert_rc(photon_channel_create(&ch, 3, 8), PHOTON_OK);
	photon_channel_release(ch);
}

static void test_ring_size_overflow(void **state)
{
	struct photon_channel *ch;

	(void)state;
	/* 2^62 slots of 64 bytes overflow size_t. */
	assert_create_fails(photon_channel_create(&ch, (size_t)1 << 62, 8), ch,
			    PHOTON_EINVAL);
	assert_create_fails(
	    photon_channel_create(&ch, (size_t)1 << 60, PHOTON_MSG_SIZE_MAX),
	    ch, PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "overflow"));
}

static void test_too_large_for_memory(void **state)
{
	struct photon_channel *ch;

	(void)state;
	/* Fits size_t but not any address space: ENOMEM, not a crash. */
	assert_create_fails(photon_channel_create(&ch, (size_t)1 << 56, 8), ch,
			    PHOTON_ENOMEM);
}

static void test_bad_msg_size(void **state)
{
	struct photon_channel *ch;

	(void)state;
	assert_create_fails(photon_channel_create(&ch, 8, 0), ch,
			    PHOTON_EINVAL);
	assert_create_fails(
	    photon_channel_create(&ch, 8, PHOTON_MSG_SIZE_MAX + 1), ch,
	    PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "msg_size"));
	assert_rc(photon_channel_create(&ch, 2, PHOTON_MSG_SIZE_MAX),
		  PHOTON_OK);
	photon_channel_release(ch);
}

static void test_bad_watermark(void **state)
{
	struct photon_channel *ch;
	struct photon_opts o = { 0 };

	(void)state;
	assert_create_fails(photon_channel_create_bounded(&ch, 8, 8, 8), ch,
			    PHOTON_EINVAL);
	assert_create_fails(photon_channel_create_bounded(&ch, 8, 8, 100), ch,
			    PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "watermark"));
	/* A watermark only means something for a bounded channel. */
	o.capacity = 8;
	o.msg_size = 8;
	o.watermark = 2;
	assert_create_fails(photon_channel_create_opts(&ch, &o), ch,
			    PHOTON_EINVAL);
	assert_rc(photon_channel_create_bounded(&ch, 8, 8, 7), PHOTON_OK);
	photon_channel_release(ch);
}

static void test_bad_opts(void **state)
{
	struct photon_channel *ch;
	struct photon_opts o = { 0 };

	(void)state;
	o.capacity = 8;
	o.msg_size = 8;
	o.flags = 1u << 30;
	assert_create_fails(photon_channel_create_opts(&ch, &o), ch,
			    PHOTON_EINVAL);
	o.flags = 0;
	o.reserved[2] = 1;
	assert_create_fails(photon_channel_create_opts(&ch, &o), ch,
			    PHOTON_EINVAL);
	assert_rc(photon_channel_create_opts(NULL, &o), PHOTON_EINVAL);
	assert_create_fails(photon_channel_create_opts(&ch, NULL), ch,
			    PHOTON_EINVAL);
}

/* Features whose units are not in this build: ENOTSUP, not a link error. */
static void test_not_supported(void **state)
{
	struct photon_channel *ch;
	struct photon_opts o = { 0 };

	(void)state;
	/* PHOTON_NUMA needs libnuma at build time (test_numa has the rest). */
	if (photon_numa_node_count() != PHOTON_ENOTSUP)
		skip();
	o.capacity = 8;
	o.msg_size = 8;
	o.flags = PHOTON_NUMA;
	assert_create_fails(photon_channel_create_opts(&ch, &o), ch,
			    PHOTON_ENOTSUP);
}

static void test_null_handles(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_group *g;
	uint64_t v = 0;

	(void)state;
	assert_rc(photon_channel_create(NULL, 8, 8), PHOTON_EINVAL);
	assert_rc(photon_channel_create_bounded(NULL, 8, 8, 0), PHOTON_EINVAL);
	assert_rc(photon_publisher_open(NULL, &p), PHOTON_EINVAL);
	assert_rc(photon_subscribe(NULL, &s), PHOTON_EINVAL);
	assert_rc(photon_subscribe_from_oldest(NULL, &s), PHOTON_EINVAL);
	assert_rc(photon_group_subscribe(NULL, 2, &g), PHOTON_EINVAL);

	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, NULL), PHOTON_EINVAL);
	assert_rc(photon_subscribe(ch, NULL), PHOTON_EINVAL);
	assert_rc(photon_subscribe_from_oldest(ch, NULL), PHOTON_EINVAL);
	assert_rc(photon_group_subscribe(ch, 2, NULL), PHOTON_EINVAL);
	assert_create_fails(photon_group_subscribe(ch, 0, &g), g,
			    PHOTON_EINVAL);

	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publish(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_publish(p, NULL), PHOTON_EINVAL);
	assert_rc(photon_try_publish(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_try_publish(p, NULL), PHOTON_EINVAL);
	assert_rc(photon_publish_batch(NULL, &v, 1), PHOTON_EINVAL);
	assert_rc(photon_publish_batch(p, NULL, 1), PHOTON_EINVAL);
	assert_rc(photon_try_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_try_recv(s, NULL), PHOTON_EINVAL);
	assert_rc(photon_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_recv(s, NULL), PHOTON_EINVAL);
	assert_rc(photon_recv_with(s, NULL, NULL), PHOTON_EINVAL);
	assert_rc(photon_latest(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_latest(s, NULL), PHOTON_EINVAL);
	assert_rc(photon_group_try_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_group_recv(NULL, &v), PHOTON_EINVAL);
	assert_rc(photon_group_recv_with(NULL, &v, NULL), PHOTON_EINVAL);
	/* Nothing was published by the failed calls. */
	assert_int_equal(photon_publisher_sequence(p), 0);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

static void test_bad_wait_kind(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_wait w = { 0 };
	uint64_t v = 1;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	w.kind = (enum photon_wait_kind)99;
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_EINVAL);
	/* reserved must be zero, as the header says. */
	w.kind = PHOTON_WAIT_BUSY_SPIN;
	w.reserved[4] = 1;
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_EINVAL);
	assert_rc(photon_recv_timeout(s, &v, &w, 0), PHOTON_EINVAL);
	w.reserved[4] = 0;
	/* The message is still there for a valid call. */
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_OK);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* Getters return 0 for NULL; void calls do nothing with NULL. */
static void test_null_getters_and_void_calls(void **state)
{
	(void)state;
	assert_int_equal(photon_channel_capacity(NULL), 0);
	assert_int_equal(photon_channel_msg_size(NULL), 0);
	assert_int_equal(photon_channel_watermark(NULL), 0);
	assert_int_equal(photon_channel_flags(NULL), 0);
	assert_int_equal(photon_channel_page_size(NULL), 0);
	assert_int_equal(photon_channel_is_closed(NULL), 0);
	assert_int_equal(photon_publisher_sequence(NULL), 0);
	assert_null(photon_publisher_channel(NULL));
	assert_int_equal(photon_pending(NULL), 0);
	assert_int_equal(photon_subscriber_last_skipped(NULL), 0);
	assert_int_equal(photon_subscriber_received(NULL), 0);
	assert_int_equal(photon_subscriber_lagged(NULL), 0);
	assert_true(photon_subscriber_receive_ratio(NULL) == 0.0);
	assert_int_equal(photon_group_size(NULL), 0);
	assert_int_equal(photon_group_received(NULL), 0);
	assert_int_equal(photon_group_lagged(NULL), 0);
	assert_int_equal(photon_group_last_skipped(NULL), 0);
	assert_int_equal(photon_group_pending(NULL), 0);
	assert_true(photon_group_receive_ratio(NULL) == 0.0);
	photon_channel_release(NULL);
	photon_publisher_close(NULL);
	photon_subscriber_close(NULL);
	photon_group_close(NULL);
	photon_bus_destroy(NULL);
}

static void test_strerror(void **state)
{
	static const int codes[] = {
		PHOTON_OK,	PHOTON_EMPTY,  PHOTON_LAGGED, PHOTON_FULL,
		PHOTON_CLOSED,	PHOTON_EINVAL, PHOTON_ENOMEM, PHOTON_EBUSY,
		PHOTON_ENOTSUP, PHOTON_ETYPE,  PHOTON_ESYS,   PHOTON_EEXIST,
		PHOTON_ENOENT,	PHOTON_EPERM,  PHOTON_EPROTO
	};
	size_t i, j;

	(void)state;
	/* Each code has its own name, and codes are distinct. */
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		assert_non_null(photon_strerror(codes[i]));
		assert_string_not_equal(photon_strerror(codes[i]),
					"unknown status code");
		for (j = 0; j < i; j++) {
			assert_int_not_equal(codes[i], codes[j]);
			assert_string_not_equal(photon_strerror(codes[i]),
						photon_strerror(codes[j]));
		}
	}
	assert_int_equal(PHOTON_OK, 0);
	assert_non_null(photon_strerror(12345));
	assert_non_null(photon_strerror(-12345));
}

static void test_version(void **state)
{
	(void)state;
	assert_int_equal(photon_version(), PHOTON_VERSION_NUMBER);
	assert_string_equal(photon_version_string(), PHOTON_VERSION_STRING);
}

/* The detail message is per thread. */
static void *fail_in_thread(void *arg)
{
	struct photon_channel *ch;

	(void)arg;
	photon_channel_create(&ch, 1, 8);
	return NULL;
}

static void test_error_message_per_thread(void **state)
{
	struct photon_channel *ch;
	pthread_t t;

	(void)state;
	assert_rc(photon_channel_create(&ch, 8, 0), PHOTON_EINVAL);
	spawn(&t, fail_in_thread, NULL);
	join(t);
	assert_non_null(strstr(photon_last_error_message(), "msg_size"));
}

/* The setter the layers on the public API use (photon/error.h). */
static void test_set_error(void **state)
{
	char big[600];

	(void)state;
	errno = EAGAIN;
	assert_rc(photon_set_error(PHOTON_EBUSY, "layer %s: %d", "x", 7),
		  PHOTON_EBUSY);
	assert_string_equal(photon_last_error_message(), "layer x: 7");
	assert_int_equal(errno, EAGAIN); /* kept for the ESYS paths */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_rc(photon_set_error(PHOTON_EINVAL, "%s", big), PHOTON_EINVAL);
	assert_int_equal(strlen(photon_last_error_message()), 511);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_capacity),
		cmocka_unit_test(test_ring_size_overflow),
		cmocka_unit_test(test_too_large_for_memory),
		cmocka_unit_test(test_bad_msg_size),
		cmocka_unit_test(test_bad_watermark),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_not_supported),
		cmocka_unit_test(test_null_handles),
		cmocka_unit_test(test_bad_wait_kind),
		cmocka_unit_test(test_null_getters_and_void_calls),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_error_message_per_thread),
		cmocka_unit_test(test_set_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
