/* SPDX-License-Identifier: MIT */
/*
 * Bridges over ZeroMQ on loopback (photon/bridge.h): ring -> transport ->
 * ring with exact delivery and the same sequence numbers; loss injected
 * between the two sides (a proxy that drops and repeats frames) giving
 * exact LAGGED counts; the sender's close and the sender's death (SIGKILL)
 * giving CLOSED after the drain; a stalled receiver that does not stall
 * the sending channel; a hostile peer's malformed and random frames
 * counted and dropped; bad input. The conditions waited for (a bridge
 * ready, a subscription arrived) are polled, never slept through.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "util.h"

#include <photon/bridge.h>

struct msg {
	uint64_t seq; /* what the sender published it as */
	uint64_t val;
};

static const struct photon_bridge_opts fast = { .heartbeat_ns = 5000000 };

static void pause_ms(int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Waits (at most 20 s) until the bridge heard its stream. */
static void until_ready(struct photon_bridge *b)
{
	for (int i = 0; i < 20000 && !photon_bridge_ready(b); i++)
		pause_ms(1);
	assert_true(photon_bridge_ready(b));
}

static struct photon_channel *lossy(size_t cap)
{
	struct photon_channel *ch;

	assert_rc(photon_channel_create(&ch, cap, sizeof(struct msg)),
		  PHOTON_OK);
	return ch;
}

static struct photon_channel *bounded(size_t cap)
{
	struct photon_channel *ch;

	assert_rc(
	    photon_channel_create_bounded(&ch, cap, sizeof(struct msg), 0),
	    PHOTON_OK);
	return ch;
}

static void publish_n(struct photon_publisher *p, uint64_t from, uint64_t n)
{
	for (uint64_t i = from; i < from + n; i++) {
		struct msg m = { i, i * 7 };
		assert_rc(photon_publish(p, &m), PHOTON_OK);
	}
}

/* Reads one result from s, waiting. */
static int next(struct photon_subscriber *s, struct msg *m)
{
	int rc;

	while ((rc = photon_try_recv(s, m)) == PHOTON_EMPTY)
		pause_ms(0);
	return rc;
}

static void expect_msg(struct photon_subscriber *s, uint64_t seq)
{
	struct msg m;

	assert_rc(next(s, &m), PHOTON_OK);
	assert_int_equal(m.seq, seq);
	assert_int_equal(m.val, seq * 7);
	assert_int_equal(photon_subscriber_position(s), seq + 1);
}

static void expect_lag(struct photon_subscriber *s, uint64_t n)
{
	struct msg m;

	assert_rc(next(s, &m), PHOTON_LAGGED);
	assert_int_equal(photon_subscriber_last_skipped(s), n);
}

static void test_end_to_end(void **state)
{
	struct photon_channel *a = bounded(256), *b = lossy(16384);
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_bridge *out, *in;
	struct photon_bridge_stats st;
	struct msg m;

	(void)state;
	assert_rc(photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &fast),
		  PHOTON_OK);
	assert_non_null(strstr(photon_bridge_endpoint(out), "127.0.0.1:"));
	assert_rc(photon_bridge_in(&in, photon_bridge_endpoint(out), b, &fast),
		  PHOTON_OK);
	until_ready(in);
	assert_rc(photon_subscribe(b, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(a, &p), PHOTON_OK);
	publish_n(p, 0, 10000);
	photon_publisher_close(p); /* the close crosses too */
	for (uint64_t i = 0; i < 10000; i++)
		expect_msg(s, i);
	assert_rc(next(s, &m), PHOTON_CLOSED);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_rc(photon_bridge_wait(in), PHOTON_OK);
	assert_rc(photon_bridge_wait(out), PHOTON_OK);
	assert_rc(photon_bridge_stats(in, &st), PHOTON_OK);
	assert_int_equal(st.messages, 10000);
	assert_int_equal(st.gaps + st.lost + st.dropped + st.bad, 0);
	assert_int_equal(st.next, 10000);
	photon_bridge_close(in);
	photon_bridge_close(out);
	photon_subscriber_close(s);
	photon_channel_release(a);
	photon_channel_release(b);
}

/* ---- a proxy between the two sides: the network that loses ---- */

struct proxy {
	void *ctx, *sub, *pub;
	char endpoint[128];
	pthread_t t;
	int forwarded;
};

static uint64_t frame_seq(const unsigned char *f)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | f[16 + i];
	return v;
}

/* Drops data frames 10..14, 30 and 99 (the last: only the close says it
 * is missing), sends 50 twice. */
static void *proxy_main(void *arg)
{
	struct proxy *x = arg;
	unsigned char f[256];

	for (;;) {
		int n = zmq_recv(x->sub, f, sizeof(f), 0);
		uint64_t seq;

		if (n < 32)
			continue;
		seq = frame_seq(f);
		if (f[5] == 1 &&
		    ((seq >= 10 && seq <= 14) || seq == 30 || seq == 99))
			continue;
		zmq_send(x->pub, f, (size_t)n, 0);
		if (f[5] == 1 && seq == 50)
			zmq_send(x->pub, f, (size_t)n, 0);
		if (f[5] == 3)
			return NULL;
	}
}

/* An XPUB bound on loopback: its first receive is the subscription. */
static void *xpub(void *ctx, char *endpoint, size_t len)
{
	void *s = zmq_socket(ctx, ZMQ_XPUB);
	int unlimited = 0;

	assert_non_null(s);
	/* The test's bursts must not be dropped on this side. */
	assert_int_equal(
	    zmq_setsockopt(s, ZMQ_SNDHWM, &unlimited, sizeof(unlimited)), 0);
	assert_int_equal(zmq_bind(s, "tcp://127.0.0.1:*"), 0);
	assert_int_equal(zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, endpoint, &len),
			 0);
	return s;
}

static void await_subscriber(void *xp)
{
	char sub[8];

	assert_true(zmq_recv(xp, sub, sizeof(sub), 0) >= 1);
	assert_int_equal(sub[0], 1);
}

static void test_injected_loss(void **state)
{
	struct photon_channel *a = bounded(256), *b = lossy(4096);
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_bridge *out, *in;
	struct photon_bridge_stats st;
	struct proxy x = { 0 };
	struct msg m;

	(void)state;
	assert_rc(photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &fast),
		  PHOTON_OK);
	x.ctx = zmq_ctx_new();
	x.sub = zmq_socket(x.ctx, ZMQ_SUB);
	assert_int_equal(zmq_setsockopt(x.sub, ZMQ_SUBSCRIBE, "", 0), 0);
	assert_int_equal(zmq_connect(x.sub, photon_bridge_endpoint(out)), 0);
	x.pub = xpub(x.ctx, x.endpoint, sizeof(x.endpoint));
	assert_rc(photon_bridge_in(&in, x.endpoint, b, &fast), PHOTON_OK);
	await_subscriber(x.pub);
	spawn(&x.t, proxy_main, &x);
	until_ready(in); /* a heartbeat made it through the proxy */
	assert_rc(photon_subscribe(b, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(a, &p), PHOTON_OK);
	publish_n(p, 0, 100);
	photon_publisher_close(p);
	for (uint64_t i = 0; i < 99; i++) {
		if (i == 10) {
			expect_lag(s, 5);
			i = 14;
			continue;
		}
		if (i == 30) {
			expect_lag(s, 1);
			continue;
		}
		expect_msg(s, i);
	}
	expect_lag(s, 1); /* 99: the close frame said 100 */
	assert_rc(next(s, &m), PHOTON_CLOSED);
	assert_int_equal(photon_subscriber_lagged(s), 7);
	assert_int_equal(photon_subscriber_received(s), 93);
	join(x.t);
	assert_rc(photon_bridge_wait(in), PHOTON_OK);
	assert_rc(photon_bridge_stats(in, &st), PHOTON_OK);
	assert_int_equal(st.gaps, 3);
	assert_int_equal(st.lost, 7);
	assert_int_equal(st.dropped, 1); /* 50 twice: once delivered */
	assert_int_equal(st.messages, 93);
	photon_bridge_close(in);
	photon_bridge_close(out);
	zmq_close(x.sub);
	zmq_close(x.pub);
	zmq_ctx_term(x.ctx);
	photon_subscriber_close(s);
	photon_channel_release(a);
	photon_channel_release(b);
}

/* The sender's process is killed: the receiving side closes its channel
 * once the heartbeats stop, and readers drain it first. */
static void test_sender_killed(void **state)
{
	struct photon_channel *b = lossy(1024);
	struct photon_subscriber *s;
	struct photon_bridge *in;
	struct msg m;
	char endpoint[128] = { 0 };
	int up[2], down[2]; /* child -> parent, parent -> child */
	pid_t child;

	(void)state;
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) { /* the sender: 10 messages, then alive but idle */
		struct photon_channel *a;
		struct photon_publisher *p;
		struct photon_bridge *out;
		char go;

		if (photon_channel_create(&a, 64, sizeof(struct msg)) ||
		    photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &fast) ||
		    photon_publisher_open(a, &p))
			_exit(1);
		if (write(up[1], photon_bridge_endpoint(out), 127) != 127 ||
		    read(down[0], &go, 1) != 1)
			_exit(1);
		publish_n(p, 0, 10);
		for (;;)
			pause();
	}
	assert_int_equal(read(up[0], endpoint, 127), 127);
	assert_rc(photon_bridge_in(&in, endpoint, b, &fast), PHOTON_OK);
	until_ready(in);
	assert_rc(photon_subscribe(b, &s), PHOTON_OK);
	assert_int_equal(write(down[1], "g", 1), 1);
	for (uint64_t i = 0; i < 10; i++)
		expect_msg(s, i);
	assert_int_equal(kill(child, SIGKILL), 0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_rc(next(s, &m), PHOTON_CLOSED);
	assert_rc(photon_bridge_wait(in), PHOTON_CLOSED);
	assert_non_null(strstr(photon_last_error_message(), "silent"));
	photon_bridge_close(in);
	photon_subscriber_close(s);
	photon_channel_release(b);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
}

/* A receiver that stops reading does not stall the sending channel, even
 * a bounded one whose publisher waits for the bridge's reader. */
static void test_stalled_receiver(void **state)
{
	struct photon_channel *a = bounded(64);
	struct photon_publisher *p;
	struct photon_bridge *out;
	struct photon_bridge_stats st;
	struct photon_bridge_opts o = fast;
	void *ctx = zmq_ctx_new(), *sub = zmq_socket(ctx, ZMQ_SUB);
	int hwm = 10;
	unsigned char f[256];

	(void)state;
	o.queue = 100;
	assert_rc(photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &o),
		  PHOTON_OK);
	assert_int_equal(zmq_setsockopt(sub, ZMQ_RCVHWM, &hwm, sizeof(hwm)), 0);
	assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0), 0);
	assert_int_equal(zmq_connect(sub, photon_bridge_endpoint(out)), 0);
	assert_true(zmq_recv(sub, f, sizeof(f), 0) >= 32); /* a heartbeat */
	assert_rc(photon_publisher_open(a, &p), PHOTON_OK);
	publish_n(p, 0, 100000); /* the receiver reads nothing more */
	photon_publisher_close(p);
	assert_rc(photon_bridge_wait(out), PHOTON_OK);
	assert_rc(photon_bridge_stats(out, &st), PHOTON_OK);
	assert_int_equal(st.messages, 100000);
	assert_int_equal(st.lost, 0);
	photon_bridge_close(out);
	zmq_close(sub);
	zmq_ctx_term(ctx);
	photon_channel_release(a);
}

/* ---- a hostile peer ---- */

static void frame(unsigned char *f, int type, uint64_t id, uint64_t seq,
		  uint32_t size)
{
	memset(f, 0, 32);
	f[0] = 'P', f[1] = 'H', f[2] = 'B', f[3] = '1';
	f[4] = 1;
	f[5] = (unsigned char)type;
	for (int i = 0; i < 8; i++) {
		f[8 + i] = (unsigned char)(id >> (8 * i));
		f[16 + i] = (unsigned char)(seq >> (8 * i));
	}
	for (int i = 0; i < 4; i++)
		f[24 + i] = (unsigned char)(size >> (8 * i));
}

static void test_hostile_peer(void **state)
{
	struct photon_channel *b = lossy(64);
	struct photon_subscriber *s;
	struct photon_bridge *in;
	struct photon_bridge_stats st;
	void *ctx = zmq_ctx_new(), *pub;
	char endpoint[128];
	unsigned char f[512];
	uint64_t bad = 0, rnd = 0x9e3779b97f4a7c15u;
	struct msg m;

	(void)state;
	pub = xpub(ctx, endpoint, sizeof(endpoint));
	assert_rc(photon_bridge_in(&in, endpoint, b, &fast), PHOTON_OK);
	assert_rc(photon_subscribe(b, &s), PHOTON_OK);
	await_subscriber(pub);
	/* Well-formed but wrong, each once. */
	frame(f, 1, 1, 0, 16);
	zmq_send(pub, f, 20, 0), bad++; /* short of its payload */
	zmq_send(pub, f, 49, 0), bad++; /* one byte long */
	zmq_send(pub, f, 31, 0), bad++; /* no header */
	frame(f, 1, 2, 0, 16);
	zmq_send(pub, f, 48, 0), bad++; /* another channel */
	frame(f, 1, 1, 0, 8);
	zmq_send(pub, f, 40, 0), bad++; /* another message size */
	frame(f, 9, 1, 0, 0);
	zmq_send(pub, f, 32, 0), bad++; /* no such type */
	frame(f, 2, 1, UINT64_C(1) << 63, 0);
	zmq_send(pub, f, 32, 0), bad++; /* a sequence past 2^62 */
	frame(f, 2, 1, 5, 0);
	f[4] = 2;
	zmq_send(pub, f, 32, 0), bad++; /* another version */
	frame(f, 2, 1, 5, 0);
	f[30] = 1;
	zmq_send(pub, f, 32, 0), bad++; /* a reserved byte set */
	frame(f, 3, 1, 5, 16);
	zmq_send(pub, f, 48, 0), bad++; /* a close with a payload */
	/* Random frames, some starting like ours. */
	for (int i = 0; i < 5000; i++) {
		size_t len;

		for (size_t j = 0; j < sizeof(f); j += 8) {
			rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
			memcpy(f + j, &rnd, 8);
		}
		if (i % 2)
			frame(f, 1 + (int)(rnd % 3), 1, rnd >> 1, 16);
		len = (size_t)(rnd % 100);
		if (i % 2 && len == 48)
			len = 47;
		if (i % 2 && len == 32)
			len = 33;
		zmq_send(pub, f, len, 0), bad++;
	}
	/* Then the real stream. */
	for (uint64_t i = 0; i < 10; i++) {
		struct msg v = { i, i * 7 };

		frame(f, 1, 1, i, 16);
		memcpy(f + 32, &v, 16);
		zmq_send(pub, f, 48, 0);
	}
	frame(f, 3, 1, 10, 0);
	zmq_send(pub, f, 32, 0);
	assert_rc(photon_bridge_wait(in), PHOTON_OK);
	assert_rc(photon_bridge_stats(in, &st), PHOTON_OK);
	assert_int_equal(st.bad, bad);
	assert_int_equal(st.messages, 10);
	for (uint64_t i = 0; i < 10; i++)
		expect_msg(s, i);
	assert_rc(next(s, &m), PHOTON_CLOSED);
	photon_subscriber_close(s);
	photon_bridge_close(in);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	photon_channel_release(b);
}

static void test_bad_input(void **state)
{
	struct photon_channel *a = lossy(64), *bd = bounded(64);
	struct photon_publisher *p;
	struct photon_bridge *out = NULL, *x = (struct photon_bridge *)&x;
	struct photon_bridge_opts o = fast;

	(void)state;
	assert_rc(photon_bridge_out(NULL, a, "tcp://127.0.0.1:*", NULL),
		  PHOTON_EINVAL);
	assert_rc(photon_bridge_out(&x, NULL, "tcp://127.0.0.1:*", NULL),
		  PHOTON_EINVAL);
	assert_null(x);
	assert_rc(photon_bridge_out(&x, a, NULL, NULL), PHOTON_EINVAL);
	assert_rc(photon_bridge_out(&x, a, "udp://127.0.0.1:1", NULL),
		  PHOTON_EINVAL);
	assert_non_null(strstr(photon_last_error_message(), "udp://"));
	assert_rc(photon_bridge_out(&x, a, "tcp://", NULL), PHOTON_EINVAL);
	assert_rc(photon_bridge_out(&x, a, "tcp://no-port", NULL),
		  PHOTON_EINVAL);
	o.reserved[2] = 1;
	assert_rc(photon_bridge_out(&x, a, "tcp://127.0.0.1:*", &o),
		  PHOTON_EINVAL);
	o = fast;
	o.curve_secret = "short";
	assert_rc(photon_bridge_out(&x, a, "tcp://127.0.0.1:*", &o),
		  PHOTON_ESYS);
	assert_non_null(strstr(photon_last_error_message(), "CURVE"));
	/* The address in use. */
	assert_rc(photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &fast),
		  PHOTON_OK);
	assert_rc(photon_bridge_out(&x, a, photon_bridge_endpoint(out), NULL),
		  PHOTON_ESYS);
	assert_null(x);
	photon_bridge_close(out);
	/* Receiving: a lossy single-publisher channel with its publisher
	 * free. */
	assert_rc(photon_bridge_in(&x, "tcp://127.0.0.1:1", bd, NULL),
		  PHOTON_EINVAL);
	assert_rc(photon_publisher_open(a, &p), PHOTON_OK);
	assert_rc(photon_bridge_in(&x, "tcp://127.0.0.1:1", a, NULL),
		  PHOTON_EBUSY);
	photon_publisher_close(p);
	photon_channel_release(a);
	/* Nobody there: an error within the connect timeout. */
	a = lossy(64);
	o = fast;
	o.connect_timeout_ns = 100000000;
	assert_rc(photon_bridge_in(&x, "tcp://127.0.0.1:1", a, &o), PHOTON_OK);
	assert_rc(photon_bridge_wait(x), PHOTON_ESYS);
	assert_non_null(strstr(photon_last_error_message(), "no frame"));
	assert_true(photon_channel_is_closed(a));
	photon_bridge_close(x);
	assert_rc(photon_bridge_wait(NULL), PHOTON_EINVAL);
	assert_null(photon_bridge_endpoint(NULL));
	assert_int_equal(photon_bridge_ready(NULL), 0);
	photon_bridge_stop(NULL);
	photon_bridge_close(NULL);
	photon_channel_release(a);
	photon_channel_release(bd);
}

/* CURVE: an encrypted, authenticated stream, where libzmq has it. */
static void test_curve(void **state)
{
	char spub[41], ssec[41], cpub[41], csec[41];
	struct photon_channel *a = bounded(64), *b = lossy(1024);
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct photon_bridge *out, *in;
	struct photon_bridge_opts so = fast, co = fast;
	struct msg m;

	(void)state;
	if (!zmq_has("curve")) {
		photon_channel_release(a);
		photon_channel_release(b);
		skip();
	}
	assert_int_equal(zmq_curve_keypair(spub, ssec), 0);
	assert_int_equal(zmq_curve_keypair(cpub, csec), 0);
	so.curve_secret = ssec;
	co.curve_server = spub;
	co.curve_public = cpub;
	co.curve_secret = csec;
	assert_rc(photon_bridge_out(&out, a, "tcp://127.0.0.1:*", &so),
		  PHOTON_OK);
	assert_rc(photon_bridge_in(&in, photon_bridge_endpoint(out), b, &co),
		  PHOTON_OK);
	until_ready(in);
	assert_rc(photon_subscribe(b, &s), PHOTON_OK);
	assert_rc(photon_publisher_open(a, &p), PHOTON_OK);
	publish_n(p, 0, 100);
	photon_publisher_close(p);
	for (uint64_t i = 0; i < 100; i++)
		expect_msg(s, i);
	assert_rc(next(s, &m), PHOTON_CLOSED);
	photon_bridge_close(in);
	photon_bridge_close(out);
	photon_subscriber_close(s);
	photon_channel_release(a);
	photon_channel_release(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_injected_loss),
		cmocka_unit_test(test_sender_killed),
		cmocka_unit_test(test_stalled_receiver),
		cmocka_unit_test(test_hostile_peer),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_curve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
