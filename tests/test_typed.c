/* SPDX-License-Identifier: MIT */
/* PHOTON_DEFINE_TYPED (SPEC 2.7): typed wrappers over the channel API. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct quote {
	double price;
	double qty;
	uint64_t id;
};

/* Same size as struct quote, another type: another bus type name. */
struct trade {
	uint64_t id;
	double price;
	double qty;
};

/* Not a multiple of 8: the last word of the copy is partial. */
struct odd13 {
	unsigned char b[13];
};

/* The largest payload that shares the stamp's cache line, and one more. */
struct fit56 {
	uint64_t w[7];
};

struct over57 {
	unsigned char b[57];
};

/* Two cache lines with a partial last word, and two lines of words. */
struct wide71 {
	unsigned char b[71];
};

struct wide96 {
	uint64_t w[12];
};

/*
 * Expanded and never used: with every generated function marked unused this
 * file still builds under -Wall -Wextra -Werror (gcc and clang).
 */
struct never_used {
	uint32_t a;
	uint16_t b;
};

PHOTON_DEFINE_TYPED(quote, struct quote);
PHOTON_DEFINE_TYPED(trade, struct trade);
PHOTON_DEFINE_TYPED(odd13, struct odd13);
PHOTON_DEFINE_TYPED(fit56, struct fit56);
PHOTON_DEFINE_TYPED(over57, struct over57);
PHOTON_DEFINE_TYPED(wide71, struct wide71);
PHOTON_DEFINE_TYPED(wide96, struct wide96);
PHOTON_DEFINE_TYPED(u64, uint64_t);
PHOTON_DEFINE_TYPED(never_used, struct never_used);

_Static_assert(sizeof(struct quote) == 24, "quote is 24 bytes");
_Static_assert(sizeof(struct trade) == 24, "trade is 24 bytes");
_Static_assert(sizeof(struct odd13) == 13, "odd13 is 13 bytes");
_Static_assert(sizeof(struct over57) == 57, "over57 is 57 bytes");
_Static_assert(sizeof(struct wide71) == 71, "wide71 is 71 bytes");
_Static_assert(sizeof(struct wide96) == 96, "wide96 is 96 bytes");

/* A byte pattern that differs per message and per byte, never all zero. */
static void fill(void *p, size_t n, uint64_t seq)
{
	unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(seq * 131 + i * 7 + 1);
}

static struct quote make_quote(uint64_t i)
{
	struct quote q = { .price = 100.25 + (double)i * 0.5,
			   .qty = (double)i * 3.0 - 7.125,
			   .id = 0xdead000000000000ull | i };

	return q;
}

static void assert_quote_eq(const struct quote *a, const struct quote *b)
{
	assert_memory_equal(a, b, sizeof(*a));
	assert_true(a->price == b->price);
	assert_true(a->qty == b->qty);
	assert_int_equal(a->id, b->id);
}

static void test_create(void **state)
{
	struct photon_channel *ch = NULL;

	(void)state;
	assert_rc(quote_channel_create(&ch, 16), PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(ch), sizeof(struct quote));
	assert_int_equal(photon_channel_capacity(ch), 16);
	photon_channel_release(ch);

	assert_rc(wide71_channel_create_bounded(&ch, 8, 2), PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(ch), 71);
	assert_int_equal(photon_channel_watermark(ch), 2);
	assert_true(photon_channel_flags(ch) & PHOTON_BOUNDED);
	photon_channel_release(ch);

	/* The constructors check their arguments like the untyped ones. */
	assert_rc(quote_channel_create(&ch, 0), PHOTON_EINVAL);
	assert_rc(quote_channel_create(&ch, 1), PHOTON_EINVAL);
	assert_rc(quote_channel_create(NULL, 8), PHOTON_EINVAL);
	assert_rc(quote_channel_create_bounded(&ch, 8, 8), PHOTON_EINVAL);
	assert_rc(quote_channel_create_bounded(&ch, 1, 0), PHOTON_EINVAL);
}

/* Shared channels: the size comes from the type; opening checks it. */
static void test_shm(void **state)
{
	struct photon_opts o = { .capacity = 8, .msg_size = 1 };
	struct photon_channel *ch, *other = (void *)1;
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "photon-test-%ld-typed", (long)getpid());
	photon_shm_unlink(name);
	assert_rc(quote_shm_create(&ch, name, &o, 0), PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(ch), sizeof(struct quote));
	photon_channel_release(ch);
	assert_rc(quote_shm_open(&ch, name), PHOTON_OK);
	photon_channel_release(ch);
	assert_rc(fit56_shm_open(&other, name), PHOTON_EINVAL);
	assert_null(other);
	assert_non_null(strstr(photon_last_error_message(), "struct fit56"));
	assert_rc(quote_shm_create(&ch, name, NULL, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_unlink(name), PHOTON_OK);
	assert_rc(quote_shm_open(&ch, name), PHOTON_ENOENT);
	assert_null(ch);
}

static void test_quote_round_trip(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q, got;
	uint64_t i, j;

	(void)state;
	assert_rc(quote_channel_create(&ch, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	/* Several laps of the ring, five messages at a time. */
	for (i = 0; i < 40; i += 5) {
		for (j = i; j < i + 5; j++) {
			q = make_quote(j);
			assert_rc(quote_publish(p, &q), PHOTON_OK);
		}
		for (j = i; j < i + 5; j++) {
			q = make_quote(j);
			memset(&got, 0, sizeof(got));
			assert_rc(quote_try_recv(s, &got), PHOTON_OK);
			assert_quote_eq(&got, &q);
		}
		assert_rc(quote_try_recv(s, &got), PHOTON_EMPTY);
	}
	/* try_publish on a lossy channel always succeeds. */
	q = make_quote(99);
	assert_rc(quote_try_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	assert_int_equal(photon_publisher_sequence(p), 41);
	assert_int_equal(photon_subscriber_received(s), 41);

	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/*
 * Round-trips messages of type T whose bytes follow fill(), and checks an
 * untyped reader never writes past the message into a larger buffer.
 * The source of each publish is a heap block of exactly sizeof(T), so an
 * over-read of the source shows under AddressSanitizer.
 */
#define ROUND_TRIP(prefix, T)                                              \
	do {                                                               \
		struct photon_channel *ch_;                                \
		struct photon_publisher *p_;                               \
		struct photon_subscriber *typed_, *raw_;                   \
		T *src_ = malloc(sizeof(T));                               \
		T want_, got_;                                             \
		unsigned char buf_[sizeof(T) + 16];                        \
		uint64_t i_;                                               \
		size_t k_;                                                 \
		assert_non_null(src_);                                     \
		assert_rc(prefix##_channel_create(&ch_, 4), PHOTON_OK);    \
		assert_rc(photon_subscribe(ch_, &typed_), PHOTON_OK);      \
		assert_rc(photon_subscribe(ch_, &raw_), PHOTON_OK);        \
		assert_rc(photon_publisher_open(ch_, &p_), PHOTON_OK);     \
		for (i_ = 0; i_ < 11; i_++) {                              \
			fill(src_, sizeof(T), i_);                         \
			memcpy(&want_, src_, sizeof(T));                   \
			if (i_ % 2)                                        \
				assert_rc(prefix##_publish(p_, src_),      \
					  PHOTON_OK);                      \
			else                                               \
				assert_rc(prefix##_try_publish(p_, src_),  \
					  PHOTON_OK);                      \
			memset(&got_, 0, sizeof(T));                       \
			assert_rc(prefix##_try_recv(typed_, &got_),        \
				  PHOTON_OK);                              \
			assert_memory_equal(&got_, &want_, sizeof(T));     \
			memset(buf_, 0xEE, sizeof(buf_));                  \
			assert_rc(photon_try_recv(raw_, buf_), PHOTON_OK); \
			assert_memory_equal(buf_, &want_, sizeof(T));      \
			for (k_ = sizeof(T); k_ < sizeof(buf_); k_++)      \
				assert_int_equal(buf_[k_], 0xEE);          \
		}                                                          \
		assert_rc(prefix##_try_recv(typed_, &got_), PHOTON_EMPTY); \
		photon_publisher_close(p_);                                \
		photon_subscriber_close(raw_);                             \
		photon_subscriber_close(typed_);                           \
		photon_channel_release(ch_);                               \
		free(src_);                                                \
	} while (0)

static void test_odd_size_round_trip(void **state)
{
	(void)state;
	ROUND_TRIP(odd13, struct odd13);
	ROUND_TRIP(u64, uint64_t);
}

static void test_cache_line_boundary_round_trip(void **state)
{
	(void)state;
	ROUND_TRIP(fit56, struct fit56);
	ROUND_TRIP(over57, struct over57);
}

static void test_two_line_round_trip(void **state)
{
	(void)state;
	ROUND_TRIP(wide71, struct wide71);
	ROUND_TRIP(wide96, struct wide96);
}

static void test_untouched_unless_ok(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote sentinel, out, q;
	struct photon_wait bad = { .kind = (enum photon_wait_kind)99 };
	uint64_t i;

	(void)state;
	memset(&sentinel, 0xA5, sizeof(sentinel));
	assert_rc(quote_channel_create(&ch, 4), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);

	/* EMPTY: nothing published yet. */
	out = sentinel;
	assert_rc(quote_try_recv(s, &out), PHOTON_EMPTY);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	assert_rc(quote_latest(s, &out), PHOTON_EMPTY);
	assert_memory_equal(&out, &sentinel, sizeof(out));

	/* EMPTY after the last message was read. */
	q = make_quote(1);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, &out), PHOTON_OK);
	assert_quote_eq(&out, &q);
	out = sentinel;
	assert_rc(quote_try_recv(s, &out), PHOTON_EMPTY);
	assert_memory_equal(&out, &sentinel, sizeof(out));

	/* LAGGED: capacity 4, six more published. */
	for (i = 2; i < 8; i++) {
		q = make_quote(i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_rc(quote_try_recv(s, &out), PHOTON_LAGGED);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	assert_int_equal(photon_subscriber_last_skipped(s), 2);
	for (i = 4; i < 8; i++) {
		q = make_quote(i);
		assert_rc(quote_try_recv(s, &out), PHOTON_OK);
		assert_quote_eq(&out, &q);
	}

	/* EINVAL: a bad wait strategy. */
	q = make_quote(8);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	out = sentinel;
	assert_rc(quote_recv_with(s, &out, &bad), PHOTON_EINVAL);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	assert_rc(quote_recv(s, &out), PHOTON_OK);
	assert_quote_eq(&out, &q);

	/* CLOSED, from every receive. */
	photon_publisher_close(p);
	out = sentinel;
	assert_rc(quote_try_recv(s, &out), PHOTON_CLOSED);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	assert_rc(quote_recv(s, &out), PHOTON_CLOSED);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	assert_rc(quote_latest(s, &out), PHOTON_CLOSED);
	assert_memory_equal(&out, &sentinel, sizeof(out));

	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_null_arguments(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q = make_quote(0);

	(void)state;
	assert_rc(quote_publish(NULL, &q), PHOTON_EINVAL);
	assert_rc(quote_try_publish(NULL, &q), PHOTON_EINVAL);
	assert_rc(quote_try_recv(NULL, &q), PHOTON_EINVAL);
	assert_rc(quote_recv(NULL, &q), PHOTON_EINVAL);
	assert_rc(quote_recv_with(NULL, &q, NULL), PHOTON_EINVAL);
	assert_rc(quote_latest(NULL, &q), PHOTON_EINVAL);
	assert_rc(quote_bus_topic(NULL, "t", &ch), PHOTON_EINVAL);

	assert_rc(quote_channel_create(&ch, 4), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(quote_publish(p, NULL), PHOTON_EINVAL);
	assert_rc(quote_try_publish(p, NULL), PHOTON_EINVAL);
	assert_int_equal(photon_publisher_sequence(p), 0);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, NULL), PHOTON_EINVAL);
	assert_rc(quote_recv(s, NULL), PHOTON_EINVAL);
	assert_rc(quote_latest(s, NULL), PHOTON_EINVAL);
	/* The message is still there for a proper call. */
	assert_rc(quote_try_recv(s, &q), PHOTON_OK);
	assert_int_equal(q.id, make_quote(0).id);

	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* Every generated call on a channel of another msg_size: PHOTON_EINVAL. */
static void wrong_size(size_t msg_size)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s, *raw;
	struct quote q = make_quote(5), out, sentinel;
	unsigned char buf[64];

	memset(&sentinel, 0x3c, sizeof(sentinel));
	assert_rc(photon_channel_create(&ch, 8, msg_size), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &raw), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);

	assert_rc(quote_publish(p, &q), PHOTON_EINVAL);
	assert_rc(quote_try_publish(p, &q), PHOTON_EINVAL);
	/* Nothing was written. */
	assert_int_equal(photon_publisher_sequence(p), 0);
	assert_rc(photon_try_recv(raw, buf), PHOTON_EMPTY);

	/* With a message waiting, the typed reads still refuse it. */
	memset(buf, 0x77, sizeof(buf));
	assert_rc(photon_publish(p, buf), PHOTON_OK);
	out = sentinel;
	assert_rc(quote_try_recv(s, &out), PHOTON_EINVAL);
	assert_rc(quote_recv(s, &out), PHOTON_EINVAL);
	assert_rc(quote_recv_with(s, &out, NULL), PHOTON_EINVAL);
	assert_rc(quote_latest(s, &out), PHOTON_EINVAL);
	assert_memory_equal(&out, &sentinel, sizeof(out));
	/* ... and consumed nothing. */
	assert_int_equal(photon_pending(s), 1);
	assert_int_equal(photon_subscriber_received(s), 0);

	/* Another type of that very size is fine. */
	if (msg_size == sizeof(uint64_t)) {
		uint64_t v = 42, got = 0;

		assert_rc(u64_publish(p, &v), PHOTON_OK);
		assert_rc(photon_try_recv(s, buf), PHOTON_OK);
		assert_rc(u64_try_recv(s, &got), PHOTON_OK);
		assert_int_equal(got, 42);
	}

	photon_publisher_close(p);
	photon_subscriber_close(raw);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_wrong_size_is_einval(void **state)
{
	(void)state;
	wrong_size(8);	/* smaller than struct quote */
	wrong_size(16); /* smaller, same number of cache lines */
	wrong_size(23); /* one byte short */
	wrong_size(25); /* one byte over */
	wrong_size(32); /* larger */
}

static void test_bounded_full(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q, got;
	uint64_t i, next = 0;

	(void)state;
	/* Capacity 8, watermark 2: six messages may be outstanding. */
	assert_rc(quote_channel_create_bounded(&ch, 8, 2), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (i = 0; i < 6; i++) {
		q = make_quote(i);
		assert_rc(quote_try_publish(p, &q), PHOTON_OK);
	}
	q = make_quote(6);
	assert_rc(quote_try_publish(p, &q), PHOTON_FULL);
	assert_rc(quote_try_publish(p, &q), PHOTON_FULL);
	assert_int_equal(photon_publisher_sequence(p), 6);

	/* One read makes room for exactly one more. */
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	assert_int_equal(got.id, make_quote(next++).id);
	assert_rc(quote_try_publish(p, &q), PHOTON_OK);
	q = make_quote(7);
	assert_rc(quote_try_publish(p, &q), PHOTON_FULL);

	/* Draining lets the blocking publish through without waiting. */
	while (quote_try_recv(s, &got) == PHOTON_OK) {
		struct quote want = make_quote(next++);

		assert_quote_eq(&got, &want);
	}
	assert_int_equal(next, 7);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	assert_int_equal(photon_subscriber_lagged(s), 0);

	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/*
 * The inline publish indexes with the mask alone: on a ring whose capacity
 * is not a power of two every typed publish goes out of line. Lossy and
 * bounded, each message lands in its own slot: the lag arithmetic of a
 * capacity-c ring, and a bounded ring that gates at exactly c - watermark.
 */
static void test_any_capacity_typed(void **state)
{
	static const size_t caps[] = { 3, 5, 6, 12, 100, 8 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		uint64_t c = caps[k], i, v;
		struct photon_channel *ch;
		struct photon_publisher *p;
		struct photon_subscriber *s;

		assert_rc(u64_channel_create(&ch, c), PHOTON_OK);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
		for (i = 0; i < 3 * c + 1; i++)
			assert_rc(u64_publish(p, &i), PHOTON_OK);
		assert_rc(u64_try_recv(s, &v), PHOTON_LAGGED);
		assert_int_equal(photon_subscriber_last_skipped(s), 2 * c + 1);
		for (i = 2 * c + 1; i < 3 * c + 1; i++) {
			assert_rc(u64_try_recv(s, &v), PHOTON_OK);
			assert_int_equal(v, i);
		}
		assert_rc(u64_try_recv(s, &v), PHOTON_EMPTY);
		photon_publisher_close(p);
		photon_subscriber_close(s);
		photon_channel_release(ch);

		assert_rc(u64_channel_create_bounded(&ch, c, 1), PHOTON_OK);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
		for (i = 0; i < 4 * c; i++) {
			uint64_t j, n = 0;

			while (u64_try_publish(p, &(uint64_t){ i + n }) ==
			       PHOTON_OK)
				n++;
			/* Every read of the previous round freed its slot. */
			assert_int_equal(n, c - 1);
			for (j = 0; j < n; j++) {
				assert_rc(u64_try_recv(s, &v), PHOTON_OK);
				assert_int_equal(v, i + j);
			}
			i += n - 1;
		}
		assert_int_equal(photon_subscriber_lagged(s), 0);
		photon_publisher_close(p);
		photon_subscriber_close(s);
		photon_channel_release(ch);
	}
}

/*
 * The typed blocking receive tries the inline receive first: a lapped
 * subscriber still gets the oldest message the ring holds, with the lag
 * counted, and a message already waiting is returned without waiting.
 */
static void test_recv_after_lag(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t i, v = 0;

	(void)state;
	assert_rc(u64_channel_create(&ch, 4), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (i = 0; i < 10; i++)
		assert_rc(u64_publish(p, &i), PHOTON_OK);
	assert_rc(u64_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, 6);
	assert_int_equal(photon_subscriber_lagged(s), 6);
	for (i = 7; i < 10; i++) {
		assert_rc(u64_recv(s, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(photon_subscriber_received(s), 4);
	photon_publisher_close(p);
	assert_rc(u64_recv(s, &v), PHOTON_CLOSED);
	assert_int_equal(v, 9);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_latest(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q, got, sentinel;
	uint64_t i;

	(void)state;
	memset(&sentinel, 0x5a, sizeof(sentinel));
	assert_rc(quote_channel_create(&ch, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (i = 0; i < 5; i++) {
		q = make_quote(i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_rc(quote_latest(s, &got), PHOTON_OK);
	q = make_quote(4);
	assert_quote_eq(&got, &q);

	/* Nothing newer: EMPTY, for latest and try_recv alike. */
	got = sentinel;
	assert_rc(quote_latest(s, &got), PHOTON_EMPTY);
	assert_rc(quote_try_recv(s, &got), PHOTON_EMPTY);
	assert_memory_equal(&got, &sentinel, sizeof(got));

	/* Reading goes on after the newest one; jumps are not lag. */
	for (i = 5; i < 7; i++) {
		q = make_quote(i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	q = make_quote(5);
	assert_quote_eq(&got, &q);
	assert_rc(quote_latest(s, &got), PHOTON_OK);
	q = make_quote(6);
	assert_quote_eq(&got, &q);
	assert_int_equal(photon_subscriber_received(s), 3);
	assert_int_equal(photon_subscriber_lagged(s), 0);

	/* Latest after the ring was lapped many times. */
	for (i = 7; i < 100; i++) {
		q = make_quote(i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_rc(quote_latest(s, &got), PHOTON_OK);
	q = make_quote(99);
	assert_quote_eq(&got, &q);

	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_recv_blocking(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q, got;
	static const enum photon_wait_kind kinds[] = {
		PHOTON_WAIT_ADAPTIVE, PHOTON_WAIT_BUSY_SPIN,
		PHOTON_WAIT_YIELD_SPIN, PHOTON_WAIT_BACKOFF_SPIN
	};
	struct photon_wait w = { 0 };
	uint64_t i;

	(void)state;
	assert_rc(quote_channel_create(&ch, 8), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);

	/* Published first, so each receive returns at once. */
	q = make_quote(0);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	memset(&got, 0, sizeof(got));
	assert_rc(quote_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	for (i = 0; i < 4; i++) {
		q = make_quote(1 + i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
		w.kind = kinds[i];
		memset(&got, 0, sizeof(got));
		assert_rc(quote_recv_with(s, &got, &w), PHOTON_OK);
		assert_quote_eq(&got, &q);
	}

	/* A blocking receive hides lag: capacity 8, ten published. */
	for (i = 10; i < 20; i++) {
		q = make_quote(i);
		assert_rc(quote_publish(p, &q), PHOTON_OK);
	}
	assert_rc(quote_recv(s, &got), PHOTON_OK);
	q = make_quote(12);
	assert_quote_eq(&got, &q);
	assert_int_equal(photon_subscriber_lagged(s), 2);

	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_typed_untyped_interop(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q = make_quote(7), got;

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, sizeof(struct quote)),
		  PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	q = make_quote(8);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	memset(&got, 0, sizeof(got));
	assert_rc(photon_try_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

static void test_bus_topic(void **state)
{
	struct photon_bus *b;
	struct photon_channel *qc, *qc2, *tc = (struct photon_channel *)&tc;
	struct photon_channel *uc;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct quote q = make_quote(3), got;

	(void)state;
	/* Default size 24, like struct quote, for the untyped calls. */
	assert_rc(photon_bus_create(&b, 8, sizeof(struct quote)), PHOTON_OK);
	assert_rc(quote_bus_topic(b, "quotes", &qc), PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(qc), sizeof(struct quote));
	assert_int_equal(photon_channel_capacity(qc), 8);

	/* The same type reopens the topic. */
	assert_rc(quote_bus_topic(b, "quotes", &qc2), PHOTON_OK);
	assert_ptr_equal(qc, qc2);
	photon_channel_release(qc2);

	/* Another type of the same size is another type: PHOTON_ETYPE. */
	assert_rc(trade_bus_topic(b, "quotes", &tc), PHOTON_ETYPE);
	assert_null(tc);
	assert_true(photon_last_error_message()[0] != '\0');
	/* And so is another size. */
	assert_rc(wide71_bus_topic(b, "quotes", &tc), PHOTON_ETYPE);

	/* The type name is #T, exactly as written in the macro call. */
	assert_rc(photon_bus_topic(b, "quotes", sizeof(struct quote),
				   "struct quote", &qc2),
		  PHOTON_OK);
	assert_ptr_equal(qc, qc2);
	photon_channel_release(qc2);
	assert_rc(
	    photon_bus_topic(b, "quotes", sizeof(struct quote), "quote", &qc2),
	    PHOTON_ETYPE);
	assert_rc(u64_bus_topic(b, "ticks", &uc), PHOTON_OK);
	photon_channel_release(uc);
	assert_rc(photon_bus_topic(b, "ticks", 8, "uint64_t", &uc), PHOTON_OK);
	photon_channel_release(uc);

	/* A topic made by an untyped call has type name "": not a quote. */
	assert_rc(photon_bus_subscribe(b, "plain", &s), PHOTON_OK);
	assert_rc(quote_bus_topic(b, "plain", &tc), PHOTON_ETYPE);
	photon_subscriber_close(s);

	/* The typed topic carries typed messages. */
	assert_rc(photon_subscribe(qc, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(qc, &p), PHOTON_OK);
	assert_rc(quote_publish(p, &q), PHOTON_OK);
	assert_rc(quote_try_recv(s, &got), PHOTON_OK);
	assert_quote_eq(&got, &q);
	assert_int_equal(photon_bus_topic_count(b), 3);

	photon_bus_destroy(b);
	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(qc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_shm),
		cmocka_unit_test(test_quote_round_trip),
		cmocka_unit_test(test_odd_size_round_trip),
		cmocka_unit_test(test_cache_line_boundary_round_trip),
		cmocka_unit_test(test_two_line_round_trip),
		cmocka_unit_test(test_untouched_unless_ok),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_any_capacity_typed),
		cmocka_unit_test(test_recv_after_lag),
		cmocka_unit_test(test_wrong_size_is_einval),
		cmocka_unit_test(test_bounded_full),
		cmocka_unit_test(test_latest),
		cmocka_unit_test(test_recv_blocking),
		cmocka_unit_test(test_typed_untyped_interop),
		cmocka_unit_test(test_bus_topic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
