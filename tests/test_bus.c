/* SPDX-License-Identifier: MIT */
/* The named-topic bus (SPEC 2.6): topics, isolation, typing, lifetimes. */
#include <stdio.h>
#include <string.h>

#include "util.h"

#define CAP 8
#define MSG 16

struct msg {
	uint64_t seq;
	uint64_t tag;
};

static struct photon_bus *bus_new(void)
{
	struct photon_bus *b = NULL;

	assert_rc(photon_bus_create(&b, CAP, MSG), PHOTON_OK);
	assert_non_null(b);
	assert_int_equal(photon_bus_topic_count(b), 0);
	return b;
}

static void put(struct photon_publisher *p, uint64_t seq, uint64_t tag)
{
	struct msg m = { .seq = seq, .tag = tag };

	assert_rc(photon_publish(p, &m), PHOTON_OK);
}

static void get(struct photon_subscriber *s, uint64_t seq, uint64_t tag)
{
	struct msg m = { 0 };

	assert_rc(photon_try_recv(s, &m), PHOTON_OK);
	assert_int_equal(m.seq, seq);
	assert_int_equal(m.tag, tag);
}

static void expect_error_message(void)
{
	const char *msg = photon_last_error_message();

	assert_non_null(msg);
	assert_true(msg[0] != '\0');
}

static void test_create_bad_input(void **state)
{
	struct photon_bus *b = (struct photon_bus *)&b;
	static const size_t bad_caps[] = { 0, 1, (size_t)1 << 62 };
	size_t i;

	(void)state;
	assert_rc(photon_bus_create(NULL, CAP, MSG), PHOTON_EINVAL);
	expect_error_message();
	for (i = 0; i < sizeof(bad_caps) / sizeof(bad_caps[0]); i++) {
		b = (struct photon_bus *)&b;
		assert_rc(photon_bus_create(&b, bad_caps[i], MSG),
			  PHOTON_EINVAL);
		assert_null(b);
		expect_error_message();
	}
	b = (struct photon_bus *)&b;
	assert_rc(photon_bus_create(&b, CAP, 0), PHOTON_EINVAL);
	assert_null(b);
	assert_rc(photon_bus_create(&b, CAP, PHOTON_MSG_SIZE_MAX + 1),
		  PHOTON_EINVAL);
	assert_null(b);
	expect_error_message();
	assert_rc(photon_bus_create(&b, (size_t)1 << 62, PHOTON_MSG_SIZE_MAX),
		  PHOTON_EINVAL);
	assert_null(b);

	/* The limits themselves are fine. */
	assert_rc(photon_bus_create(&b, 2, 1), PHOTON_OK);
	photon_bus_destroy(b);
	assert_rc(photon_bus_create(&b, 2, PHOTON_MSG_SIZE_MAX), PHOTON_OK);
	photon_bus_destroy(b);

	photon_bus_destroy(NULL); /* no-op */
}

static void test_calls_bad_input(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_publisher *p = (struct photon_publisher *)&p;
	struct photon_subscriber *s = (struct photon_subscriber *)&s;
	struct photon_channel *ch = (struct photon_channel *)&ch;

	(void)state;
	/* NULL bus. */
	assert_rc(photon_bus_publisher(NULL, "t", &p), PHOTON_EINVAL);
	assert_null(p);
	expect_error_message();
	assert_rc(photon_bus_subscribe(NULL, "t", &s), PHOTON_EINVAL);
	assert_null(s);
	assert_rc(photon_bus_channel(NULL, "t", &ch), PHOTON_EINVAL);
	assert_rc(photon_bus_topic(NULL, "t", MSG, "x", &ch), PHOTON_EINVAL);

	/* NULL topic. */
	p = (struct photon_publisher *)&p;
	s = (struct photon_subscriber *)&s;
	ch = (struct photon_channel *)&ch;
	assert_rc(photon_bus_publisher(b, NULL, &p), PHOTON_EINVAL);
	assert_null(p);
	expect_error_message();
	assert_rc(photon_bus_subscribe(b, NULL, &s), PHOTON_EINVAL);
	assert_null(s);
	assert_rc(photon_bus_channel(b, NULL, &ch), PHOTON_EINVAL);
	assert_rc(photon_bus_topic(b, NULL, MSG, "x", &ch), PHOTON_EINVAL);

	/* Empty topic name. */
	p = (struct photon_publisher *)&p;
	s = (struct photon_subscriber *)&s;
	ch = (struct photon_channel *)&ch;
	assert_rc(photon_bus_publisher(b, "", &p), PHOTON_EINVAL);
	assert_null(p);
	expect_error_message();
	assert_rc(photon_bus_subscribe(b, "", &s), PHOTON_EINVAL);
	assert_null(s);
	assert_rc(photon_bus_channel(b, "", &ch), PHOTON_EINVAL);
	assert_rc(photon_bus_topic(b, "", MSG, "x", &ch), PHOTON_EINVAL);

	/* NULL out pointer. */
	assert_rc(photon_bus_channel(b, "t", NULL), PHOTON_EINVAL);
	expect_error_message();
	assert_rc(photon_bus_topic(b, "t", MSG, "x", NULL), PHOTON_EINVAL);

	/* Typed topic: NULL type name, size 0 or above the maximum. */
	assert_rc(photon_bus_topic(b, "t", MSG, NULL, &ch), PHOTON_EINVAL);
	ch = (struct photon_channel *)&ch;
	assert_rc(photon_bus_topic(b, "t", 0, "x", &ch), PHOTON_EINVAL);
	assert_null(ch);
	expect_error_message();
	ch = (struct photon_channel *)&ch;
	assert_rc(photon_bus_topic(b, "t", PHOTON_MSG_SIZE_MAX + 1, "x", &ch),
		  PHOTON_EINVAL);
	assert_null(ch);

	/* A call that failed made no topic. */
	assert_int_equal(photon_bus_topic_count(b), 0);
	assert_int_equal(photon_bus_topic_count(NULL), 0);
	photon_bus_destroy(b);
}

/*
 * A call rejected as bad input has no side effect: it creates no topic,
 * which would otherwise fix that name's size and type for later calls.
 */
static void test_bad_call_makes_no_topic(void **state)
{
	struct photon_bus *b = bus_new();
	size_t after_publisher, after_subscribe;

	(void)state;
	assert_rc(photon_bus_publisher(b, "t", NULL), PHOTON_EINVAL);
	after_publisher = photon_bus_topic_count(b);
	assert_rc(photon_bus_subscribe(b, "u", NULL), PHOTON_EINVAL);
	after_subscribe = photon_bus_topic_count(b);
	/* Destroy first, so a failure below leaks nothing. */
	photon_bus_destroy(b);
	assert_int_equal(after_publisher, 0);
	assert_int_equal(after_subscribe, 0);
}

static void test_topic_created_by_first_call(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_subscriber *s1, *s2;
	struct photon_publisher *p;
	struct photon_channel *ch, *ch2;

	(void)state;
	/* Each kind of call creates the topic it names first. */
	assert_rc(photon_bus_subscribe(b, "by-subscribe", &s1), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 1);
	assert_rc(photon_bus_publisher(b, "by-publisher", &p), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 2);
	assert_rc(photon_bus_channel(b, "by-channel", &ch), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 3);
	assert_rc(photon_bus_topic(b, "by-topic", 40, "t40", &ch2), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 4);

	/* The bus's shape for untyped topics, the given one for typed. */
	assert_int_equal(photon_channel_capacity(ch), CAP);
	assert_int_equal(photon_channel_msg_size(ch), MSG);
	assert_int_equal(photon_channel_capacity(ch2), CAP);
	assert_int_equal(photon_channel_msg_size(ch2), 40);
	photon_channel_release(ch2);
	photon_channel_release(ch);

	/* Naming an existing topic again makes nothing new. */
	assert_rc(photon_bus_subscribe(b, "by-publisher", &s2), PHOTON_OK);
	assert_rc(photon_bus_channel(b, "by-subscribe", &ch), PHOTON_OK);
	assert_rc(photon_bus_topic(b, "by-topic", 40, "t40", &ch2), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 4);

	/* Names are compared whole: a prefix is another topic. */
	photon_channel_release(ch);
	assert_rc(photon_bus_channel(b, "by-", &ch), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 5);
	photon_channel_release(ch);
	assert_rc(photon_bus_channel(b, "by-channel-2", &ch), PHOTON_OK);
	photon_channel_release(ch);
	assert_int_equal(photon_bus_topic_count(b), 6);

	put(p, 1, 2);
	get(s2, 1, 2);
	assert_rc(photon_try_recv(s1, &(struct msg){ 0 }), PHOTON_EMPTY);

	photon_channel_release(ch2);
	photon_subscriber_close(s2);
	photon_subscriber_close(s1);
	photon_publisher_close(p);
	photon_bus_destroy(b);
}

static void test_same_channel_per_topic(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_channel *a1, *a2, *b1;
	struct photon_publisher *p;

	(void)state;
	assert_rc(photon_bus_channel(b, "a", &a1), PHOTON_OK);
	assert_rc(photon_bus_channel(b, "a", &a2), PHOTON_OK);
	assert_rc(photon_bus_channel(b, "b", &b1), PHOTON_OK);
	assert_ptr_equal(a1, a2);
	assert_ptr_not_equal(a1, b1);

	/* The bus publisher is the channel's own single publisher. */
	assert_rc(photon_bus_publisher(b, "a", &p), PHOTON_OK);
	assert_ptr_equal(photon_publisher_channel(p), a1);

	photon_publisher_close(p);
	photon_channel_release(b1);
	photon_channel_release(a2);
	photon_channel_release(a1);
	photon_bus_destroy(b);
}

static void test_isolation(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_publisher *pa, *pb;
	struct photon_subscriber *sa, *sb, *sa2;
	struct msg m;
	uint64_t i;

	(void)state;
	assert_rc(photon_bus_publisher(b, "alpha", &pa), PHOTON_OK);
	assert_rc(photon_bus_publisher(b, "beta", &pb), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "alpha", &sa), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "alpha", &sa2), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "beta", &sb), PHOTON_OK);

	put(pa, 0, 'a');
	assert_rc(photon_try_recv(sb, &m), PHOTON_EMPTY);
	get(sa, 0, 'a');
	get(sa2, 0, 'a');

	put(pb, 0, 'b');
	put(pb, 1, 'b');
	assert_rc(photon_try_recv(sa, &m), PHOTON_EMPTY);
	get(sb, 0, 'b');
	get(sb, 1, 'b');
	assert_rc(photon_try_recv(sb, &m), PHOTON_EMPTY);

	/* Overrunning one topic leaves the other's readers alone. */
	for (i = 0; i < 3 * CAP; i++)
		put(pa, 1 + i, 'a');
	put(pb, 2, 'b');
	get(sb, 2, 'b');
	assert_int_equal(photon_subscriber_lagged(sb), 0);
	assert_int_equal(photon_publisher_sequence(pb), 3);
	assert_int_equal(photon_publisher_sequence(pa), 1 + 3 * CAP);
	assert_rc(photon_try_recv(sa, &m), PHOTON_LAGGED);

	/* Closing one topic does not close the other. */
	photon_publisher_close(pa);
	put(pb, 3, 'b');
	get(sb, 3, 'b');
	assert_rc(photon_try_recv(sb, &m), PHOTON_EMPTY);

	photon_subscriber_close(sb);
	photon_subscriber_close(sa2);
	photon_subscriber_close(sa);
	photon_publisher_close(pb);
	photon_bus_destroy(b);
}

static void test_double_publisher(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_publisher *p1, *p2 = (struct photon_publisher *)&p2;
	struct photon_publisher *other;
	struct photon_channel *ch;

	(void)state;
	assert_rc(photon_bus_publisher(b, "t", &p1), PHOTON_OK);
	assert_rc(photon_bus_publisher(b, "t", &p2), PHOTON_EBUSY);
	assert_null(p2);
	expect_error_message();

	/* Also through the channel the bus hands out. */
	assert_rc(photon_bus_channel(b, "t", &ch), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p2), PHOTON_EBUSY);

	/* Another topic has its own publisher. */
	assert_rc(photon_bus_publisher(b, "u", &other), PHOTON_OK);

	/* The channel it held stays closed for good. */
	photon_publisher_close(p1);
	assert_rc(photon_publisher_open(ch, &p2), PHOTON_CLOSED);
	assert_int_equal(photon_channel_is_closed(ch), 1);

	photon_publisher_close(other);
	photon_channel_release(ch);
	photon_bus_destroy(b);
}

/* A restarted producer reuses its topic's name: the old subscribers drain
 * and see CLOSED, new ones follow the new publisher. */
static void test_topic_restart(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_publisher *p1, *p2;
	struct photon_subscriber *old, *fresh;
	uint64_t v[MSG / 8] = { 1 }, x[MSG / 8] = { 0 };

	(void)state;
	assert_rc(photon_bus_publisher(b, "t", &p1), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "t", &old), PHOTON_OK);
	assert_rc(photon_publish(p1, v), PHOTON_OK);
	photon_publisher_close(p1);
	assert_rc(photon_bus_publisher(b, "t", &p2), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "t", &fresh), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 1);
	v[0] = 2;
	assert_rc(photon_publish(p2, v), PHOTON_OK);
	assert_rc(photon_try_recv(old, x), PHOTON_OK);
	assert_int_equal(x[0], 1);
	assert_rc(photon_try_recv(old, x), PHOTON_CLOSED);
	assert_rc(photon_try_recv(fresh, x), PHOTON_OK);
	assert_int_equal(x[0], 2);
	/* Open, it is not replaced: a second publisher is still EBUSY. */
	assert_rc(photon_bus_publisher(b, "t", &p1), PHOTON_EBUSY);
	photon_subscriber_close(old);
	photon_subscriber_close(fresh);
	photon_publisher_close(p2);
	photon_bus_destroy(b);
}

static void test_subscribe_before_publisher(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_subscriber *s, *late;
	struct photon_publisher *p;
	struct msg m;

	(void)state;
	assert_rc(photon_bus_subscribe(b, "early", &s), PHOTON_OK);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);
	assert_rc(photon_bus_publisher(b, "early", &p), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 1);
	put(p, 7, 70);
	put(p, 8, 80);
	get(s, 7, 70);
	get(s, 8, 80);
	assert_rc(photon_try_recv(s, &m), PHOTON_EMPTY);

	/* A later subscriber sees only what comes after it. */
	assert_rc(photon_bus_subscribe(b, "early", &late), PHOTON_OK);
	assert_rc(photon_try_recv(late, &m), PHOTON_EMPTY);
	put(p, 9, 90);
	get(late, 9, 90);
	get(s, 9, 90);

	/* The subscribers drain, then see the close. */
	photon_publisher_close(p);
	assert_rc(photon_try_recv(s, &m), PHOTON_CLOSED);
	assert_rc(photon_recv(late, &m), PHOTON_CLOSED);

	photon_subscriber_close(late);
	photon_subscriber_close(s);
	photon_bus_destroy(b);
}

static void test_channel_outlives_bus(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_channel *ch, *typed;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	unsigned char big[40] = { 0 }, got[40];

	(void)state;
	assert_rc(photon_bus_channel(b, "kept", &ch), PHOTON_OK);
	assert_rc(photon_bus_topic(b, "kept-typed", 40, "t40", &typed),
		  PHOTON_OK);
	photon_bus_destroy(b);

	/* The references still work after the bus is gone. */
	assert_int_equal(photon_channel_capacity(ch), CAP);
	assert_int_equal(photon_channel_msg_size(ch), MSG);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	put(p, 3, 33);
	get(s, 3, 33);
	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch);

	assert_int_equal(photon_channel_msg_size(typed), 40);
	assert_rc(photon_subscribe(typed, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(typed, &p), PHOTON_OK);
	memset(big, 0x5a, sizeof(big));
	assert_rc(photon_publish(p, big), PHOTON_OK);
	assert_rc(photon_try_recv(s, got), PHOTON_OK);
	assert_memory_equal(got, big, sizeof(big));
	/* Any order: the channel reference goes first this time. */
	photon_channel_release(typed);
	photon_subscriber_close(s);
	photon_publisher_close(p);
}

static void test_handles_outlive_bus(void **state)
{
	struct photon_bus *b;
	struct photon_publisher *p;
	struct photon_subscriber *s1, *s2;
	struct msg m;

	(void)state;
	/* Destroy the bus first, then the publisher, then the readers. */
	b = bus_new();
	assert_rc(photon_bus_subscribe(b, "t", &s1), PHOTON_OK);
	assert_rc(photon_bus_publisher(b, "t", &p), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "t", &s2), PHOTON_OK);
	photon_bus_destroy(b);
	put(p, 1, 10);
	put(p, 2, 20);
	get(s1, 1, 10);
	photon_publisher_close(p);
	get(s1, 2, 20);
	assert_rc(photon_try_recv(s1, &m), PHOTON_CLOSED);
	photon_subscriber_close(s1);
	get(s2, 1, 10);
	get(s2, 2, 20);
	assert_rc(photon_try_recv(s2, &m), PHOTON_CLOSED);
	photon_subscriber_close(s2);

	/* Readers closed before the bus, publisher last. */
	b = bus_new();
	assert_rc(photon_bus_publisher(b, "t", &p), PHOTON_OK);
	assert_rc(photon_bus_subscribe(b, "t", &s1), PHOTON_OK);
	put(p, 5, 50);
	photon_subscriber_close(s1);
	photon_bus_destroy(b);
	put(p, 6, 60);
	assert_int_equal(photon_publisher_sequence(p), 2);
	photon_publisher_close(p);

	/* A subscriber alone outlives both the bus and the closed topic. */
	b = bus_new();
	assert_rc(photon_bus_subscribe(b, "t", &s1), PHOTON_OK);
	assert_rc(photon_bus_publisher(b, "t", &p), PHOTON_OK);
	put(p, 9, 90);
	photon_publisher_close(p);
	photon_bus_destroy(b);
	get(s1, 9, 90);
	assert_rc(photon_try_recv(s1, &m), PHOTON_CLOSED);
	photon_subscriber_close(s1);
}

static void test_typed_topics(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_channel *ch1, *ch2, *ch3 = (struct photon_channel *)&ch3;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	unsigned char buf[64];

	(void)state;
	/* One bus holds topics of different sizes and types. */
	assert_rc(photon_bus_topic(b, "prices", 24, "struct quote", &ch1),
		  PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(ch1), 24);
	assert_int_equal(photon_channel_capacity(ch1), CAP);
	assert_rc(photon_bus_topic(b, "ticks", 8, "uint64_t", &ch2), PHOTON_OK);
	assert_int_equal(photon_channel_msg_size(ch2), 8);
	photon_channel_release(ch2);

	/* Same size and type name: the same topic, a new reference. */
	assert_rc(photon_bus_topic(b, "prices", 24, "struct quote", &ch2),
		  PHOTON_OK);
	assert_ptr_equal(ch1, ch2);
	photon_channel_release(ch2);
	assert_int_equal(photon_bus_topic_count(b), 2);

	/* Another size, another type name, or both: PHOTON_ETYPE. */
	assert_rc(photon_bus_topic(b, "prices", 32, "struct quote", &ch3),
		  PHOTON_ETYPE);
	assert_null(ch3);
	expect_error_message();
	assert_rc(photon_bus_topic(b, "prices", 24, "struct trade", &ch3),
		  PHOTON_ETYPE);
	assert_null(ch3);
	expect_error_message();
	assert_rc(photon_bus_topic(b, "prices", 8, "uint64_t", &ch3),
		  PHOTON_ETYPE);
	/* Type names are compared exactly, also the empty name. */
	assert_rc(photon_bus_topic(b, "prices", 24, "struct quote ", &ch3),
		  PHOTON_ETYPE);
	assert_rc(photon_bus_topic(b, "prices", 24, "", &ch3), PHOTON_ETYPE);
	assert_int_equal(photon_bus_topic_count(b), 2);

	/* A long, hostile topic name is escaped and cut in the detail;
	 * the sizes and types come first and whole. */
	{
		const char *head = "evil\nFATAL forged\x1b[2J", *d;
		char name[600];
		struct photon_channel *t;

		memset(name, 'x', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		memcpy(name, head, strlen(head));
		assert_rc(photon_bus_topic(b, name, 24, "struct quote", &t),
			  PHOTON_OK);
		photon_channel_release(t);
		assert_rc(photon_bus_topic(b, name, 32, "struct big", &t),
			  PHOTON_ETYPE);
		d = photon_last_error_message();
		assert_non_null(strstr(d,
				       "holds 24-byte 'struct quote' "
				       "messages, not 32-byte 'struct big'"));
		assert_null(strchr(d, '\n'));
		assert_null(strchr(d, '\x1b'));
		assert_non_null(strstr(d, "evil\\x0aFATAL"));
		assert_non_null(strstr(d, "...')"));
	}

	/* Untyped calls on a typed topic of another size: PHOTON_ETYPE. */
	p = (struct photon_publisher *)&p;
	s = (struct photon_subscriber *)&s;
	assert_rc(photon_bus_publisher(b, "prices", &p), PHOTON_ETYPE);
	assert_null(p);
	expect_error_message();
	assert_rc(photon_bus_subscribe(b, "prices", &s), PHOTON_ETYPE);
	assert_null(s);
	assert_rc(photon_bus_channel(b, "prices", &ch3), PHOTON_ETYPE);
	assert_null(ch3);

	/* The typed topic still works through its channel. */
	assert_rc(photon_subscribe(ch1, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(ch1, &p), PHOTON_OK);
	memset(buf, 0x11, 24);
	assert_rc(photon_publish(p, buf), PHOTON_OK);
	memset(buf, 0, sizeof(buf));
	assert_rc(photon_try_recv(s, buf), PHOTON_OK);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(buf[23], 0x11);
	photon_publisher_close(p);
	photon_subscriber_close(s);
	photon_channel_release(ch1);
	photon_bus_destroy(b);
}

static void test_typed_on_untyped_topic(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_channel *ch, *ch2 = (struct photon_channel *)&ch2;
	struct photon_subscriber *s;
	struct photon_publisher *p;

	(void)state;
	/* Made by an untyped call: type name "", size the bus default. */
	assert_rc(photon_bus_subscribe(b, "plain", &s), PHOTON_OK);
	assert_rc(photon_bus_topic(b, "plain", MSG, "struct msg", &ch2),
		  PHOTON_ETYPE);
	assert_null(ch2);
	expect_error_message();
	assert_rc(photon_bus_topic(b, "plain", 2 * MSG, "", &ch2),
		  PHOTON_ETYPE);
	assert_rc(photon_bus_topic(b, "plain", MSG / 2, "", &ch2),
		  PHOTON_ETYPE);
	assert_rc(photon_bus_topic(b, "plain", MSG, "", &ch2), PHOTON_OK);
	assert_rc(photon_bus_channel(b, "plain", &ch), PHOTON_OK);
	assert_ptr_equal(ch, ch2);
	photon_channel_release(ch2);
	photon_channel_release(ch);

	/*
	 * A typed topic of the bus's default size is open to the untyped
	 * calls (bus.h: they accept any topic of that size).
	 */
	assert_rc(photon_bus_topic(b, "typed16", MSG, "struct msg", &ch),
		  PHOTON_OK);
	assert_rc(photon_bus_publisher(b, "typed16", &p), PHOTON_OK);
	assert_ptr_equal(photon_publisher_channel(p), ch);
	/* ... and keeps its type name for the typed calls. */
	assert_rc(photon_bus_topic(b, "typed16", MSG, "", &ch2), PHOTON_ETYPE);
	assert_rc(photon_bus_topic(b, "typed16", MSG, "struct msg", &ch2),
		  PHOTON_OK);
	photon_channel_release(ch2);
	assert_int_equal(photon_bus_topic_count(b), 2);

	photon_publisher_close(p);
	photon_channel_release(ch);
	photon_subscriber_close(s);
	photon_bus_destroy(b);
}

#define RACERS 8

struct racer {
	struct photon_bus *bus;
	struct photon_channel *ch;
	int rc;
};

static void *race_topic(void *arg)
{
	struct racer *r = arg;

	r->rc = photon_bus_channel(r->bus, "contended", &r->ch);
	return NULL;
}

static void test_concurrent_first_call(void **state)
{
	struct photon_bus *b = bus_new();
	struct racer r[RACERS];
	pthread_t t[RACERS];
	int i;

	(void)state;
	/* Many threads name a new topic at once: exactly one is created. */
	for (i = 0; i < RACERS; i++) {
		r[i].bus = b;
		r[i].ch = NULL;
		r[i].rc = -100;
		spawn(&t[i], race_topic, &r[i]);
	}
	for (i = 0; i < RACERS; i++)
		join(t[i]);
	assert_int_equal(photon_bus_topic_count(b), 1);
	for (i = 0; i < RACERS; i++) {
		assert_rc(r[i].rc, PHOTON_OK);
		assert_ptr_equal(r[i].ch, r[0].ch);
	}
	for (i = 0; i < RACERS; i++)
		photon_channel_release(r[i].ch);
	photon_bus_destroy(b);
}

static void test_many_topics(void **state)
{
	struct photon_bus *b = bus_new();
	struct photon_publisher *p[16];
	struct photon_subscriber *s[16];
	char name[32];
	size_t i;

	(void)state;
	for (i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "topic/%zu", i);
		assert_rc(photon_bus_publisher(b, name, &p[i]), PHOTON_OK);
		assert_rc(photon_bus_subscribe(b, name, &s[i]), PHOTON_OK);
		assert_int_equal(photon_bus_topic_count(b), i + 1);
	}
	for (i = 0; i < 16; i++)
		put(p[i], i, 100 + i);
	for (i = 0; i < 16; i++) {
		get(s[i], i, 100 + i);
		assert_rc(photon_try_recv(s[i], &(struct msg){ 0 }),
			  PHOTON_EMPTY);
	}
	/* Destroy the bus in the middle of the handles' lives. */
	photon_bus_destroy(b);
	for (i = 0; i < 16; i++) {
		photon_publisher_close(p[i]);
		photon_subscriber_close(s[i]);
	}
}

/* ---- compile-time topics (photon/topic.h; across modules and linkers:
 * tests/topics.cmake) ---- */

PHOTON_TOPIC(tb_msgs, "tb.msgs", struct msg);
PHOTON_TOPIC(tb_words, "tb.words", uint64_t);

static void test_registered_bus(void **state)
{
	struct photon_bus *b = (struct photon_bus *)&b;
	struct photon_channel *ch = NULL, *again = NULL;
	struct photon_publisher *p = NULL;

	(void)state;
	assert_rc(photon_bus_create_registered(NULL, CAP), PHOTON_EINVAL);
	assert_rc(photon_bus_create_registered(&b, 1), PHOTON_EINVAL);
	assert_null(b);
	assert_rc(photon_bus_create_registered(&b, CAP), PHOTON_OK);
	assert_int_equal(photon_bus_topic_count(b), 2);
	assert_rc(photon_bus_topic(b, "tb.msgs", sizeof(struct msg),
				   "struct msg", &ch),
		  PHOTON_OK);
	again = tb_msgs_topic(b);
	assert_ptr_equal(ch, again);
	photon_channel_release(again);
	photon_channel_release(ch);
	ch = tb_words_topic(b);
	assert_non_null(ch);
	assert_int_equal(photon_channel_msg_size(ch), 8);
	photon_channel_release(ch);
	/* Typed only: the untyped calls have no message size to use. */
	assert_rc(photon_bus_publisher(b, "tb.msgs", &p), PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "typed"));
	assert_null(p);
	assert_int_equal(photon_bus_topic_count(b), 2);
	photon_bus_destroy(b);
	/* An accessor works on any bus: it makes its topic there. */
	b = bus_new();
	ch = tb_words_topic(b);
	assert_non_null(ch);
	assert_int_equal(photon_bus_topic_count(b), 1);
	photon_channel_release(ch);
	assert_null(tb_words_topic(NULL));
	photon_bus_destroy(b);
}

/* Declarations the macro cannot make, registered by hand: each is refused
 * with its place, and the registry forgets a range taken back. */
static void test_bad_declarations(void **state)
{
	static const struct photon_topic_decl old = {
		PHOTON_TOPIC_ABI + 1, 11, "x.old", "int", 4, "old.c"
	};
	static const struct photon_topic_decl empty = {
		PHOTON_TOPIC_ABI, 22, "", "int", 4, "empty.c"
	};
	static const struct photon_topic_decl huge = {
		PHOTON_TOPIC_ABI,	 33,	  "x.huge", "big",
		PHOTON_MSG_SIZE_MAX + 1, "huge.c"
	};
	static const struct photon_topic_decl clash = {
		PHOTON_TOPIC_ABI, 44, "tb.words", "uint32_t", 4, "clash.c"
	};
	static const struct photon_topic_decl same = {
		PHOTON_TOPIC_ABI, 55, "tb.words", "uint64_t", 8, "same.c"
	};
	const struct photon_topic_decl *one[1];
	const struct {
		const struct photon_topic_decl *d;
		int rc;
		const char *where;
	} cases[] = {
		{ &old, PHOTON_EINVAL, "old.c:11" },
		{ &empty, PHOTON_EINVAL, "empty.c:22" },
		{ &huge, PHOTON_EINVAL, "huge.c:33" },
		{ &clash, PHOTON_ETYPE, "clash.c:44" },
		{ &same, PHOTON_OK, NULL },
	};
	struct photon_bus *b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		one[0] = cases[i].d;
		photon__topics_register(one, one + 1);
		assert_rc(photon_bus_create_registered(&b, CAP), cases[i].rc);
		if (cases[i].where)
			assert_non_null(strstr(photon_last_error_message(),
					       cases[i].where));
		if (cases[i].rc == PHOTON_ETYPE) /* names the other place */
			assert_non_null(
			    strstr(photon_last_error_message(), "test_bus.c:"));
		if (b)
			assert_int_equal(photon_bus_topic_count(b), 2);
		photon_bus_destroy(b);
		/* Registered twice, taken back twice: counted. */
		photon__topics_register(one, one + 1);
		photon__topics_unregister(one);
		photon__topics_unregister(one);
		assert_rc(photon_bus_create_registered(&b, CAP), PHOTON_OK);
		assert_int_equal(photon_bus_topic_count(b), 2);
		photon_bus_destroy(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_bad_input),
		cmocka_unit_test(test_calls_bad_input),
		cmocka_unit_test(test_bad_call_makes_no_topic),
		cmocka_unit_test(test_topic_created_by_first_call),
		cmocka_unit_test(test_same_channel_per_topic),
		cmocka_unit_test(test_isolation),
		cmocka_unit_test(test_double_publisher),
		cmocka_unit_test(test_topic_restart),
		cmocka_unit_test(test_subscribe_before_publisher),
		cmocka_unit_test(test_channel_outlives_bus),
		cmocka_unit_test(test_handles_outlive_bus),
		cmocka_unit_test(test_typed_topics),
		cmocka_unit_test(test_typed_on_untyped_topic),
		cmocka_unit_test(test_concurrent_first_call),
		cmocka_unit_test(test_many_topics),
		cmocka_unit_test(test_registered_bus),
		cmocka_unit_test(test_bad_declarations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
