/* SPDX-License-Identifier: MIT */
/*
 * Event-loop integration (photon_subscriber_fd): readable when a message or
 * the close waits after an EMPTY; re-armed by EMPTY; at most one stale
 * readiness; readable for good after CLOSED. The races (a publisher between
 * its disarm and its write; a publish while the reader arms) are forced at
 * the named points of src/testing.h. One thread serves three channels and
 * a timer through epoll.
 */
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util.h"

#include "internal.h"
#include "testing.h"

/* 1 when fd is readable right now. */
static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	assert_true(poll(&p, 1, 0) >= 0);
	return (p.revents & POLLIN) != 0;
}

static void make(struct photon_channel **ch, struct photon_publisher **p,
		 struct photon_subscriber **s, int *fd)
{
	assert_rc(photon_channel_create(ch, 16, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(*ch, p), PHOTON_OK);
	assert_rc(photon_subscribe(*ch, s), PHOTON_OK);
	*fd = photon_subscriber_fd(*s);
	assert_true(*fd >= 0);
}

static void test_lifecycle(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s, *plain;
	uint64_t v = 1, x;
	int fd;

	(void)state;
	make(&ch, &p, &s, &fd);
	assert_int_equal(photon_subscriber_fd(s), fd); /* the same one */
	assert_rc(photon_subscribe(ch, &plain), PHOTON_OK);
	assert_false(readable(fd)); /* armed from creation */
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.parked, PHOTON__ACQUIRE),
			 1);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_true(readable(fd));
	/* A reader without a descriptor is not affected. */
	assert_rc(photon_try_recv(plain, &x), PHOTON_OK);
	assert_rc(photon_try_recv(plain, &x), PHOTON_EMPTY);
	assert_rc(photon_try_recv(s, &x), PHOTON_OK);
	assert_true(readable(fd)); /* until the EMPTY */
	assert_rc(photon_try_recv(s, &x), PHOTON_EMPTY);
	assert_false(readable(fd));
	/* Armed again: the next message signals. */
	v = 2;
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_true(readable(fd));
	assert_rc(photon_try_recv(s, &x), PHOTON_OK);
	assert_int_equal(x, 2);
	assert_rc(photon_try_recv(s, &x), PHOTON_EMPTY);
	assert_false(readable(fd));
	/* Nobody armed: the publisher has no reader to wake. */
	photon_subscriber_close(plain);
	/* Close: readable, and it stays so, like EOF. */
	photon_publisher_close(p);
	assert_true(readable(fd));
	assert_rc(photon_try_recv(s, &x), PHOTON_CLOSED);
	assert_true(readable(fd));
	assert_rc(photon_try_recv(s, &x), PHOTON_CLOSED);
	assert_true(readable(fd));
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* Messages already waiting when the descriptor is made: readable at once.
 * The typed inline receive and photon_poll re-arm too. */
PHOTON_DEFINE_TYPED(u64, uint64_t);

static int count_one(void *ctx, const void *msg, uint64_t seq)
{
	(void)msg;
	(void)seq;
	++*(int *)ctx;
	return 0;
}

static void test_waiting_and_inline(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t v = 7, x;
	int fd, n = 0;

	(void)state;
	assert_rc(photon_channel_create(&ch, 16, 8), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	fd = photon_subscriber_fd(s);
	assert_true(fd >= 0);
	assert_true(readable(fd));
	assert_rc(u64_try_recv(s, &x), PHOTON_OK);
	assert_rc(u64_try_recv(s, &x), PHOTON_EMPTY);
	assert_false(readable(fd));
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_true(readable(fd));
	/* photon_poll: its batch ends at the EMPTY, which re-arms. */
	assert_int_equal(photon_poll(s, count_one, &n, 10), 1);
	assert_int_equal(n, 1);
	assert_false(readable(fd));
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_true(readable(fd));
	assert_int_equal(photon_poll(s, count_one, &n, 10), 1);
	assert_int_equal(photon_poll(s, count_one, &n, 10), 0);
	assert_false(readable(fd));
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

/* photon_latest is a receive too: its EMPTY re-arms and its CLOSED leaves
 * the descriptor readable, so a conflating reader can sit in a loop. */
static void test_latest_rearms(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	uint64_t v, x;
	int fd;

	(void)state;
	make(&ch, &p, &s, &fd);
	for (v = 1; v <= 3; v++) {
		assert_rc(photon_publish(p, &v), PHOTON_OK);
		assert_rc(photon_publish(p, &(uint64_t){ v + 100 }), PHOTON_OK);
		assert_true(readable(fd));
		assert_rc(photon_latest(s, &x), PHOTON_OK);
		assert_int_equal(x, v + 100);
		assert_rc(photon_latest(s, &x), PHOTON_EMPTY);
		assert_false(readable(fd));
	}
	photon_publisher_close(p);
	assert_true(readable(fd));
	assert_rc(photon_latest(s, &x), PHOTON_CLOSED);
	assert_true(readable(fd));
	photon_subscriber_close(s);
	photon_channel_release(ch);
}

/* ---- forced races ---- */

struct stale {
	struct photon_subscriber *s;
	int fd, done;
	uint64_t got;
};
static struct stale st;

/*
 * The publisher disarmed the reader and is "preempted" before its write:
 * meanwhile the reader receives the message, finds EMPTY and re-arms. The
 * late write then leaves one stale readiness, which the next EMPTY clears
 * (no storm of empty wake-ups).
 */
static void receive_before_write(enum photon__test_point point, void *arg)
{
	uint64_t x;

	(void)arg;
	if (point != PHOTON__TP_FD_DISARMED || st.done)
		return;
	st.done = 1;
	assert_rc(photon_try_recv(st.s, &x), PHOTON_OK);
	st.got = x;
	assert_rc(photon_try_recv(st.s, &x), PHOTON_EMPTY); /* re-arms */
	assert_false(readable(st.fd));
}

static void test_stale_readiness_cleared(void **state)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	uint64_t v = 3, x;

	(void)state;
	make(&ch, &p, &st.s, &st.fd);
	st.done = 0;
	__atomic_store_n(&photon__test_hook, receive_before_write,
			 __ATOMIC_RELEASE);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(st.done, 1);
	assert_int_equal(st.got, 3);
	assert_true(readable(st.fd)); /* the late write: one stale readiness */
	assert_rc(photon_try_recv(st.s, &x), PHOTON_EMPTY);
	assert_false(readable(st.fd)); /* cleared by that EMPTY */
	assert_rc(photon_try_recv(st.s, &x), PHOTON_EMPTY);
	assert_false(readable(st.fd));
	v = 4; /* and still armed */
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_true(readable(st.fd));
	photon_subscriber_close(st.s);
	photon_publisher_close(p);
	photon_channel_release(ch);
}

struct arm_race {
	struct photon_publisher *p;
	int go[2], done[2];
	int fired;
};
static struct arm_race ar;

static void *publish_on_signal(void *arg)
{
	uint64_t v = 9;
	char b;

	(void)arg;
	assert_int_equal(read(ar.go[0], &b, 1), 1);
	assert_rc(photon_publish(ar.p, &v), PHOTON_OK);
	assert_int_equal(write(ar.done[1], "d", 1), 1);
	return NULL;
}

/* The reader found EMPTY and is about to arm (not yet counted in parked,
 * so the publisher's P2 cannot see it): another thread publishes right
 * then. Only the re-check after arming can signal this message. */
static void publish_while_arming(enum photon__test_point point, void *arg)
{
	char b;

	(void)arg;
	if (point != PHOTON__TP_FD_ARMING || ar.fired)
		return;
	ar.fired = 1;
	assert_int_equal(write(ar.go[1], "g", 1), 1);
	assert_int_equal(read(ar.done[0], &b, 1), 1);
}

/* A publish that races the arming (the reader has just acked the previous
 * message) is never left unsignalled. */
static void test_publish_races_arming(void **state)
{
	struct photon_channel *ch;
	struct photon_subscriber *s;
	uint64_t v = 1, x;
	pthread_t t;
	int fd;

	(void)state;
	make(&ch, &ar.p, &s, &fd);
	assert_rc(photon_publish(ar.p, &v), PHOTON_OK);
	assert_rc(photon_try_recv(s, &x), PHOTON_OK);
	assert_int_equal(pipe(ar.go), 0);
	assert_int_equal(pipe(ar.done), 0);
	ar.fired = 0;
	spawn(&t, publish_on_signal, NULL);
	__atomic_store_n(&photon__test_hook, publish_while_arming,
			 __ATOMIC_RELEASE);
	assert_rc(photon_try_recv(s, &x), PHOTON_EMPTY); /* arms */
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	join(t);
	assert_int_equal(ar.fired, 1);
	assert_true(readable(fd));
	assert_rc(photon_try_recv(s, &x), PHOTON_OK);
	assert_int_equal(x, 9);
	photon_subscriber_close(s);
	photon_publisher_close(ar.p);
	photon_channel_release(ch);
	close(ar.go[0]);
	close(ar.go[1]);
	close(ar.done[0]);
	close(ar.done[1]);
}

/* ---- one thread, three channels and a timer ---- */

#define CHANNELS 3
#define BURSTS	 200

struct feed {
	struct photon_channel *ch;
	int ack[2]; /* the reader acks each burst */
	unsigned seed;
};

static void *feed_main(void *arg)
{
	struct feed *f = arg;
	struct photon_publisher *p;
	uint64_t next = 0;
	int b;

	assert_rc(photon_publisher_open(f->ch, &p), PHOTON_OK);
	for (b = 0; b < BURSTS; b++) {
		unsigned k = 1 + (unsigned)rand_r(&f->seed) % 8;
		char c;

		while (k--) {
			assert_rc(photon_publish(p, &next), PHOTON_OK);
			next++;
		}
		/* Sporadic: the next burst only once this one was read. */
		assert_int_equal(read(f->ack[0], &c, 1), 1);
	}
	photon_publisher_close(p);
	return NULL;
}

static void test_epoll_three_channels(void **state)
{
	struct feed f[CHANNELS];
	struct photon_subscriber *s[CHANNELS];
	uint64_t expect[CHANNELS] = { 0 }, wakes = 0, empty_wakes = 0;
	pthread_t t[CHANNELS];
	int ep, tfd, fds[CHANNELS], closed = 0, i, timer_fired = 0;
	struct itimerspec its = { { 0, 0 }, { 0, 50 * 1000 * 1000 } };
	struct epoll_event ev;

	(void)state;
	ep = epoll_create1(EPOLL_CLOEXEC);
	assert_true(ep >= 0);
	for (i = 0; i < CHANNELS; i++) {
		assert_rc(photon_channel_create_bounded(&f[i].ch, 64, 8, 0),
			  PHOTON_OK);
		assert_rc(photon_subscribe(f[i].ch, &s[i]), PHOTON_OK);
		fds[i] = photon_subscriber_fd(s[i]);
		assert_true(fds[i] >= 0);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev), 0);
		assert_int_equal(pipe(f[i].ack), 0);
		f[i].seed = 1234u + (unsigned)i;
		spawn(&t[i], feed_main, &f[i]);
	}
	while (closed < CHANNELS) {
		int n = epoll_wait(ep, &ev, 1, -1);
		uint64_t v;
		int rc, got = 0;

		assert_int_equal(n, 1);
		i = (int)ev.data.u32;
		wakes++;
		while ((rc = photon_try_recv(s[i], &v)) == PHOTON_OK) {
			assert_int_equal(v, expect[i]);
			expect[i]++;
			got++;
		}
		if (rc == PHOTON_CLOSED) {
			assert_int_equal(
			    epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL), 0);
			closed++;
			continue;
		}
		assert_rc(rc, PHOTON_EMPTY);
		if (!got) {
			empty_wakes++;
			continue;
		}
		/* The feed's next burst waits for this (a burst read in
		 * two wake-ups is acked twice: the spare acks only let
		 * later bursts come sooner). */
		assert_int_equal(write(f[i].ack[1], "a", 1), 1);
	}
	for (i = 0; i < CHANNELS; i++)
		join(t[i]);
	/* Idle: the channels are closed and removed; a timer is the only
	 * thing left, and the only thing that wakes the loop. */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	assert_true(tfd >= 0);
	assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
	ev.events = EPOLLIN;
	ev.data.u32 = 99;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev), 0);
	while (!timer_fired) {
		assert_int_equal(epoll_wait(ep, &ev, 1, -1), 1);
		assert_int_equal(ev.data.u32, 99);
		timer_fired = 1;
	}
	printf("epoll: %llu wake-ups, %llu without a message\n",
	       (unsigned long long)wakes, (unsigned long long)empty_wakes);
	/* Empty wake-ups come only from a late write (one per race). */
	assert_true(empty_wakes * 10 <= wakes);
	close(tfd);
	close(ep);
	for (i = 0; i < CHANNELS; i++) {
		photon_subscriber_close(s[i]);
		photon_channel_release(f[i].ch);
		close(f[i].ack[0]);
		close(f[i].ack[1]);
	}
}

static void test_not_supported(void **state)
{
	char name[64];
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_opts o = { .capacity = 8, .msg_size = 8 };

	(void)state;
	assert_int_equal(photon_subscriber_fd(NULL), PHOTON_EINVAL);
	assert_int_equal(photon_group_fd(NULL), PHOTON_EINVAL);
	snprintf(name, sizeof(name), "photon-test-%ld-fd", (long)getpid());
	photon_shm_unlink(name);
	assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_int_equal(photon_subscriber_fd(s), PHOTON_ENOTSUP);
	photon_subscriber_close(s);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_waiting_and_inline),
		cmocka_unit_test(test_latest_rearms),
		cmocka_unit_test(test_stale_readiness_cleared),
		cmocka_unit_test(test_publish_races_arming),
		cmocka_unit_test(test_epoll_three_channels),
		cmocka_unit_test(test_not_supported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
