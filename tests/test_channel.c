/* SPDX-License-Identifier: MIT */
/* The lossy SPMC channel, single-threaded: SPEC 1 and 2.1-2.3. */
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct fixture {
	struct photon_channel *ch;
	struct photon_publisher *pub;
};

static void open_channel(struct fixture *f, size_t capacity, size_t msg_size)
{
	assert_rc(photon_channel_create(&f->ch, capacity, msg_size), PHOTON_OK);
	assert_rc(photon_publisher_open(f->ch, &f->pub), PHOTON_OK);
}

static void close_channel(struct fixture *f)
{
	photon_publisher_close(f->pub);
	photon_channel_release(f->ch);
}

static void pub_u64(struct photon_publisher *p, uint64_t v)
{
	assert_rc(photon_publish(p, &v), PHOTON_OK);
}

static void expect_u64(struct photon_subscriber *s, uint64_t want)
{
	uint64_t v = ~want;

	assert_rc(photon_try_recv(s, &v), PHOTON_OK);
	assert_int_equal(v, want);
}

static void test_single_message(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;

	(void)state;
	open_channel(&f, 8, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	pub_u64(f.pub, 42);
	expect_u64(s, 42);
	assert_int_equal(photon_publisher_sequence(f.pub), 1);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_empty(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t v = 7;

	(void)state;
	open_channel(&f, 8, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	pub_u64(f.pub, 1);
	expect_u64(s, 1);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_ordering(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i;

	(void)state;
	open_channel(&f, 128, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 100; i++)
		pub_u64(f.pub, i * 3);
	for (i = 0; i < 100; i++)
		expect_u64(s, i * 3);
	photon_subscriber_close(s);
	close_channel(&f);
}

/* Reading as fast as publishing never lags, however many laps. */
static void test_interleaving(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 1000; i++) {
		pub_u64(f.pub, i);
		if (i % 3 == 2) {
			expect_u64(s, i - 2);
			expect_u64(s, i - 1);
			expect_u64(s, i);
		}
	}
	expect_u64(s, 999);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_int_equal(photon_subscriber_received(s), 1000);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_fanout_independent_cursors(void **state)
{
	struct fixture f;
	struct photon_subscriber *s[3];
	uint64_t i;
	int k;

	(void)state;
	open_channel(&f, 64, sizeof(uint64_t));
	for (k = 0; k < 3; k++)
		assert_rc(photon_subscribe(f.ch, &s[k]), PHOTON_OK);
	for (i = 0; i < 10; i++)
		pub_u64(f.pub, i);
	/* One reads everything, one half, one nothing: each keeps its own
	 * place. */
	for (i = 0; i < 10; i++)
		expect_u64(s[0], i);
	for (i = 0; i < 5; i++)
		expect_u64(s[1], i);
	assert_int_equal(photon_pending(s[0]), 0);
	assert_int_equal(photon_pending(s[1]), 5);
	assert_int_equal(photon_pending(s[2]), 10);
	for (i = 5; i < 10; i++)
		expect_u64(s[1], i);
	for (i = 0; i < 10; i++)
		expect_u64(s[2], i);
	for (k = 0; k < 3; k++) {
		assert_int_equal(photon_subscriber_received(s[k]), 10);
		photon_subscriber_close(s[k]);
	}
	close_channel(&f);
}

static void lag_case(uint64_t published, uint64_t skipped)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v;

	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < published; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	assert_int_equal(photon_subscriber_last_skipped(s), skipped);
	for (i = skipped; i < published; i++)
		expect_u64(s, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_received(s), published - skipped);
	assert_int_equal(photon_subscriber_lagged(s), skipped);
	photon_subscriber_close(s);
	close_channel(&f);
}

/* SPEC 6: cap 4, 6 published -> LAGGED 2, then 2..5. */
static void test_lag_6_of_4(void **state)
{
	(void)state;
	lag_case(6, 2);
}

/* SPEC 6: cap 4, 100 published -> LAGGED 96, then 96..99. */
static void test_lag_100_of_4(void **state)
{
	(void)state;
	lag_case(100, 96);
}

/* Lag counts messages, not events: two laps add up. */
static void test_lag_counts_messages(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 10; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	assert_int_equal(photon_subscriber_last_skipped(s), 6);
	expect_u64(s, 6);
	for (i = 10; i < 20; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	/* Held: 16..19; next wanted 7. */
	assert_int_equal(photon_subscriber_last_skipped(s), 9);
	assert_int_equal(photon_subscriber_lagged(s), 15);
	for (i = 16; i < 20; i++)
		expect_u64(s, i);
	assert_int_equal(photon_subscriber_received(s), 5);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_latest(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v = 0;

	(void)state;
	open_channel(&f, 8, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_rc(photon_latest(s, &v), PHOTON_EMPTY);
	for (i = 1; i <= 5; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	assert_int_equal(v, 5);
	/* Nothing newer: the cursor never moves back to 1..4. */
	assert_rc(photon_latest(s, &v), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	/* Far beyond the capacity: still the newest, not a lag. */
	for (i = 6; i <= 40; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	assert_int_equal(v, 40);
	pub_u64(f.pub, 41);
	expect_u64(s, 41);
	assert_int_equal(photon_subscriber_received(s), 3);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_pending(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i;

	(void)state;
	open_channel(&f, 8, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_int_equal(photon_pending(s), 0);
	for (i = 0; i < 3; i++)
		pub_u64(f.pub, i);
	assert_int_equal(photon_pending(s), 3);
	expect_u64(s, 0);
	assert_int_equal(photon_pending(s), 2);
	for (i = 3; i < 30; i++)
		pub_u64(f.pub, i);
	/* 29 unread, capped at the capacity. */
	assert_int_equal(photon_pending(s), 8);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_batch(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t msgs[10], i, v;

	(void)state;
	open_channel(&f, 16, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 10; i++)
		msgs[i] = 100 + i;
	/* An empty batch is a no-op, even with a NULL array. */
	assert_rc(photon_publish_batch(f.pub, NULL, 0), PHOTON_OK);
	assert_rc(photon_publish_batch(f.pub, msgs, 0), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(f.pub), 0);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_rc(photon_publish_batch(f.pub, msgs, 10), PHOTON_OK);
	assert_int_equal(photon_publisher_sequence(f.pub), 10);
	assert_int_equal(photon_pending(s), 10);
	for (i = 0; i < 10; i++)
		expect_u64(s, 100 + i);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_subscribe_future_only(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t v;

	(void)state;
	open_channel(&f, 8, sizeof(uint64_t));
	pub_u64(f.pub, 0);
	pub_u64(f.pub, 1);
	pub_u64(f.pub, 2);
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	pub_u64(f.pub, 3);
	pub_u64(f.pub, 4);
	expect_u64(s, 3);
	expect_u64(s, 4);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_subscribe_from_oldest(void **state)
{
	struct fixture f;
	struct photon_subscriber *s, *early;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	/* Before anything wraps: from the very first message. */
	assert_rc(photon_subscribe_from_oldest(f.ch, &early), PHOTON_OK);
	pub_u64(f.pub, 0);
	pub_u64(f.pub, 1);
	expect_u64(early, 0);
	photon_subscriber_close(early);
	assert_rc(photon_subscribe_from_oldest(f.ch, &early), PHOTON_OK);
	expect_u64(early, 0);
	expect_u64(early, 1);
	photon_subscriber_close(early);
	/* SPEC 6: cap 4, 10 published -> 6..9. */
	for (i = 2; i < 10; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_subscribe_from_oldest(f.ch, &s), PHOTON_OK);
	for (i = 6; i < 10; i++)
		expect_u64(s, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_EMPTY);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void fill_pattern(unsigned char *b, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

/*
 * Payloads of every awkward size round-trip exactly, and a read never
 * writes past msg_size bytes of the destination. The exported calls unroll
 * 8, 16 ... 56 bytes each on its own path (PHOTON__BY_SIZE): all are here,
 * through publish and try_publish.
 */
static void test_payload_sizes(void **state)
{
	static const size_t sizes[] = { 1,   7,	  8,   9,    16,   23,	 24, 32,
					40,  48,  55,  56,   57,   63,	 64, 65,
					100, 120, 121, 4096, 4097, 65536 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		unsigned char *in = malloc(n), *out = malloc(n + 16);
		struct fixture f;
		struct photon_subscriber *s;
		unsigned r;

		assert_non_null(in);
		assert_non_null(out);
		open_channel(&f, 4, n);
		assert_int_equal(photon_channel_msg_size(f.ch), n);
		/* Slots are whole lines: stamp + payload rounded up. */
		assert_int_equal(f.pub->stride % 64, 0);
		assert_true(f.pub->stride >= n + 8);
		assert_true(f.pub->stride < n + 8 + 64);
		assert_int_equal((uintptr_t)f.pub->slots % 64, 0);
		assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
		for (r = 0; r < 6; r++) { /* more than a lap */
			fill_pattern(in, n, r + (unsigned)k);
			memset(out, 0xEE, n + 16);
			assert_rc(r % 2 ? photon_try_publish(f.pub, in)
					: photon_publish(f.pub, in),
				  PHOTON_OK);
			assert_rc(photon_try_recv(s, out), PHOTON_OK);
			assert_memory_equal(in, out, n);
			for (size_t g = n; g < n + 16; g++)
				assert_int_equal(out[g], 0xEE);
		}
		photon_subscriber_close(s);
		close_channel(&f);
		free(in);
		free(out);
	}
}

struct quote {
	double bid;
	double ask;
	uint64_t id;
};

static void test_struct_payload(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	struct quote q = { 101.25, 101.5, 77 }, r;

	(void)state;
	open_channel(&f, 8, sizeof(struct quote));
	/* 24 bytes share the stamp's cache line. */
	assert_int_equal(f.pub->stride, 64);
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_rc(photon_publish(f.pub, &q), PHOTON_OK);
	memset(&r, 0, sizeof(r));
	assert_rc(photon_try_recv(s, &r), PHOTON_OK);
	assert_true(r.bid == 101.25 && r.ask == 101.5 && r.id == 77);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_counters_and_ratio(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_true(photon_subscriber_receive_ratio(s) == 0.0);
	assert_int_equal(photon_subscriber_received(s), 0);
	for (i = 0; i < 4; i++)
		pub_u64(f.pub, i);
	for (i = 0; i < 4; i++)
		expect_u64(s, i);
	assert_true(photon_subscriber_receive_ratio(s) == 1.0);
	for (i = 4; i < 16; i++)
		pub_u64(f.pub, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	for (i = 12; i < 16; i++)
		expect_u64(s, i);
	/* 8 received, 8 skipped. */
	assert_int_equal(photon_subscriber_received(s), 8);
	assert_int_equal(photon_subscriber_lagged(s), 8);
	assert_true(photon_subscriber_receive_ratio(s) == 0.5);
	photon_subscriber_close(s);
	close_channel(&f);
}

static void test_closed_drains_then_closed(void **state)
{
	struct fixture f;
	struct photon_subscriber *s, *lapped, *late;
	struct photon_publisher *p2;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	assert_rc(photon_subscribe(f.ch, &lapped), PHOTON_OK);
	for (i = 0; i < 3; i++)
		pub_u64(f.pub, i);
	expect_u64(s, 0);
	assert_false(photon_channel_is_closed(f.ch));
	photon_publisher_close(f.pub);
	assert_true(photon_channel_is_closed(f.ch));
	/* What was published is still delivered, then CLOSED for good. */
	expect_u64(s, 1);
	expect_u64(s, 2);
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	assert_rc(photon_recv(s, &v), PHOTON_CLOSED);
	assert_rc(photon_latest(s, &v), PHOTON_CLOSED);
	/* Closing is final. */
	assert_rc(photon_publisher_open(f.ch, &p2), PHOTON_CLOSED);
	assert_null(p2);
	/* A subscriber made after the close sees CLOSED. */
	assert_rc(photon_subscribe(f.ch, &late), PHOTON_OK);
	assert_rc(photon_try_recv(late, &v), PHOTON_CLOSED);
	photon_subscriber_close(late);
	photon_subscriber_close(s);
	photon_subscriber_close(lapped);
	photon_channel_release(f.ch);
}

static void test_closed_after_lap(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 10; i++)
		pub_u64(f.pub, i);
	photon_publisher_close(f.pub);
	/* A lapped reader gets LAGGED first, then what is held. */
	assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
	assert_int_equal(photon_subscriber_last_skipped(s), 6);
	for (i = 6; i < 10; i++)
		expect_u64(s, i);
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	photon_subscriber_close(s);
	photon_channel_release(f.ch);
}

static void test_latest_after_close(void **state)
{
	struct fixture f;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	open_channel(&f, 4, sizeof(uint64_t));
	assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
	for (i = 0; i < 3; i++)
		pub_u64(f.pub, i);
	photon_publisher_close(f.pub);
	assert_rc(photon_latest(s, &v), PHOTON_OK);
	assert_int_equal(v, 2);
	assert_rc(photon_latest(s, &v), PHOTON_CLOSED);
	assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
	photon_subscriber_close(s);
	photon_channel_release(f.ch);
}

static void test_second_publisher_busy(void **state)
{
	struct fixture f;
	struct photon_publisher *p2 = (struct photon_publisher *)&f;

	(void)state;
	open_channel(&f, 4, 8);
	assert_rc(photon_publisher_open(f.ch, &p2), PHOTON_EBUSY);
	assert_null(p2);
	assert_true(strlen(photon_last_error_message()) > 0);
	close_channel(&f);
}

/* Handles keep the channel alive; any release order is safe (ASan). */
static void test_release_orders(void **state)
{
	int order;

	(void)state;
	for (order = 0; order < 6; order++) {
		struct fixture f;
		struct photon_subscriber *s;
		uint64_t v;

		open_channel(&f, 4, sizeof(uint64_t));
		assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
		pub_u64(f.pub, 5);
		switch (order) {
		case 0:
			photon_channel_release(f.ch);
			photon_publisher_close(f.pub);
			expect_u64(s, 5);
			assert_rc(photon_try_recv(s, &v), PHOTON_CLOSED);
			photon_subscriber_close(s);
			break;
		case 1:
			photon_channel_release(f.ch);
			photon_subscriber_close(s);
			pub_u64(f.pub, 6);
			photon_publisher_close(f.pub);
			break;
		case 2:
			photon_subscriber_close(s);
			photon_channel_release(f.ch);
			photon_publisher_close(f.pub);
			break;
		case 3:
			photon_subscriber_close(s);
			photon_publisher_close(f.pub);
			photon_channel_release(f.ch);
			break;
		case 4:
			photon_publisher_close(f.pub);
			photon_subscriber_close(s);
			photon_channel_release(f.ch);
			break;
		default:
			photon_publisher_close(f.pub);
			photon_channel_release(f.ch);
			expect_u64(s, 5);
			photon_subscriber_close(s);
			break;
		}
	}
}

static void test_retain(void **state)
{
	struct photon_channel *ch, *again;

	(void)state;
	assert_rc(photon_channel_create(&ch, 4, 8), PHOTON_OK);
	again = photon_channel_retain(ch);
	assert_ptr_equal(again, ch);
	photon_channel_release(ch);
	assert_int_equal(photon_channel_capacity(again), 4);
	photon_channel_release(again);
	assert_null(photon_channel_retain(NULL));
}

static void test_getters(void **state)
{
	struct photon_channel *ch;
	struct photon_opts o = { 0 };

	(void)state;
	o.capacity = 16;
	o.msg_size = 24;
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	assert_int_equal(photon_channel_capacity(ch), 16);
	assert_int_equal(photon_channel_msg_size(ch), 24);
	assert_int_equal(photon_channel_watermark(ch), 0);
	assert_int_equal(photon_channel_flags(ch), 0);
	assert_true(photon_channel_page_size(ch) >= 4096);
	photon_channel_release(ch);
	assert_rc(photon_channel_create_bounded(&ch, 16, 24, 3), PHOTON_OK);
	assert_int_equal(photon_channel_watermark(ch), 3);
	assert_int_equal(photon_channel_flags(ch), PHOTON_BOUNDED);
	photon_channel_release(ch);
}

/* The reduction of any capacity is exact over the whole 64-bit range. */
static void test_slot_index_exact(void **state)
{
	static const uint64_t caps[] = { 2,
					 3,
					 5,
					 6,
					 7,
					 12,
					 100,
					 1000,
					 65537,
					 1u << 20,
					 1000003,
					 (1ull << 40) + 7,
					 UINT64_MAX / 3 };
	uint64_t x = 0x9E3779B97F4A7C15ull;
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct photon__ring_index r = { 0 };
		uint64_t c = caps[k];
		uint64_t edge[] = { 0,
				    1,
				    c - 1,
				    c,
				    c + 1,
				    2 * c - 1,
				    UINT64_MAX,
				    UINT64_MAX - 1,
				    UINT64_MAX - c,
				    UINT64_MAX / c * c,
				    UINT64_MAX / c * c - 1 };

		r.capacity = c;
		if ((c & (c - 1)) == 0)
			r.mask = c - 1;
		else
			r.magic = ~(photon__u128)0 / c + 1;
		for (i = 0; i < (int)(sizeof(edge) / sizeof(edge[0])); i++)
			assert_int_equal(photon__slot_index(&r, edge[i]),
					 edge[i] % c);
		for (i = 0; i < 100000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			assert_int_equal(photon__slot_index(&r, x), x % c);
			assert_int_equal(photon__slot_index(&r, x >> 20),
					 (x >> 20) % c);
		}
	}
}

/* Lag arithmetic, oldest-start and laps with capacities of any size. */
static void test_any_capacity(void **state)
{
	static const size_t caps[] = { 3, 5, 6, 7, 12, 100 };
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(caps) / sizeof(caps[0]); k++) {
		struct fixture f;
		struct photon_subscriber *s, *o;
		uint64_t c = caps[k], i, v;

		open_channel(&f, c, sizeof(uint64_t));
		assert_int_equal(photon_channel_capacity(f.ch), c);
		assert_rc(photon_subscribe(f.ch, &s), PHOTON_OK);
		for (i = 0; i < 10 * c + 3; i++)
			pub_u64(f.pub, i);
		assert_rc(photon_try_recv(s, &v), PHOTON_LAGGED);
		assert_int_equal(photon_subscriber_last_skipped(s), 9 * c + 3);
		assert_rc(photon_subscribe_from_oldest(f.ch, &o), PHOTON_OK);
		for (i = 9 * c + 3; i < 10 * c + 3; i++) {
			expect_u64(s, i);
			expect_u64(o, i);
		}
		assert_int_equal(photon_pending(s), 0);
		/* Interleaved over many laps: never a lag. */
		for (i = 10 * c + 3; i < 50 * c; i++) {
			pub_u64(f.pub, i);
			expect_u64(s, i);
		}
		assert_int_equal(photon_subscriber_lagged(s), 9 * c + 3);
		photon_subscriber_close(s);
		photon_subscriber_close(o);
		close_channel(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_message),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_interleaving),
		cmocka_unit_test(test_fanout_independent_cursors),
		cmocka_unit_test(test_lag_6_of_4),
		cmocka_unit_test(test_lag_100_of_4),
		cmocka_unit_test(test_lag_counts_messages),
		cmocka_unit_test(test_latest),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_subscribe_future_only),
		cmocka_unit_test(test_subscribe_from_oldest),
		cmocka_unit_test(test_payload_sizes),
		cmocka_unit_test(test_struct_payload),
		cmocka_unit_test(test_counters_and_ratio),
		cmocka_unit_test(test_closed_drains_then_closed),
		cmocka_unit_test(test_closed_after_lap),
		cmocka_unit_test(test_latest_after_close),
		cmocka_unit_test(test_second_publisher_busy),
		cmocka_unit_test(test_release_orders),
		cmocka_unit_test(test_retain),
		cmocka_unit_test(test_getters),
		cmocka_unit_test(test_slot_index_exact),
		cmocka_unit_test(test_any_capacity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
