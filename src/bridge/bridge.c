/* SPDX-License-Identifier: MIT */
/*
 * Bridges (photon/bridge.h): a channel onto ZeroMQ and off it again. Uses
 * only the ring's public API.
 *
 * The frame, little-endian, a 32-byte header and the payload:
 *
 *    0  u32  magic "PHB1" (0x31424850)
 *    4  u8   version 1
 *    5  u8   type: 1 data, 2 heartbeat, 3 close
 *    6  u16  0
 *    8  u64  channel id
 *   16  u64  data: the message's sequence; heartbeat, close: the next one
 *   24  u32  data: the payload's size (the channel's msg_size); else 0
 *   28  u32  0
 *   32       payload (data only)
 *
 * A frame is taken only whole and exact: its length, magic, version,
 * type, zero fields, channel id and payload size all as above, else it is
 * counted as bad and dropped (a hostile or confused peer cannot make the
 * receiver publish anything but a well-formed message of the right size,
 * nor jump its sequence past 2^62).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zmq.h>

#include <photon/bridge.h>
#include <photon/photon.h>

#define MAGIC	   0x31424850u
#define VERSION	   1
#define HEADER	   32
#define T_DATA	   1
#define T_HEART	   2
#define T_CLOSE	   3
#define SEQ_LIMIT  (UINT64_C(1) << 62)
#define DEAD_BEATS 5

struct photon_bridge {
	int sending;
	struct photon_bridge_opts o;
	void *zctx, *sock;
	struct photon_channel *ch;
	struct photon_subscriber *sub; /* sending */
	struct photon_publisher *pub;  /* receiving */
	size_t msg_size;
	unsigned char *buf; /* one frame, and a byte to see an oversize one */
	char url[256];
	char endpoint[256];
	pthread_t thread;
	int started;
	int stop;  /* atomic: asked to stop */
	int ready; /* atomic: receiving, a frame was heard */
	int rc;	   /* the thread's result, read after join */
	char why[512];
	struct photon_bridge_stats st; /* atomic words */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void bump(uint64_t *w, uint64_t n)
{
	__atomic_fetch_add(w, n, __ATOMIC_RELAXED);
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void header(unsigned char *f, int type, uint64_t id, uint64_t seq,
		   uint32_t size)
{
	memset(f, 0, HEADER);
	put_le(f, MAGIC, 4);
	f[4] = VERSION;
	f[5] = (unsigned char)type;
	put_le(f + 8, id, 8);
	put_le(f + 16, seq, 8);
	put_le(f + 24, size, 4);
}

/* A frame's type and sequence, or 0 when it is not a well-formed frame of
 * this stream (len bytes at f, for messages of msg_size bytes). */
static int decode(const unsigned char *f, size_t len, uint64_t id,
		  size_t msg_size, uint64_t *seq)
{
	int type;

	if (len < HEADER || get_le(f, 4) != MAGIC || f[4] != VERSION ||
	    get_le(f + 6, 2) != 0 || get_le(f + 28, 4) != 0 ||
	    get_le(f + 8, 8) != id)
		return 0;
	type = f[5];
	*seq = get_le(f + 16, 8);
	if (*seq > SEQ_LIMIT)
		return 0;
	if (type == T_DATA)
		return get_le(f + 24, 4) == msg_size && len == HEADER + msg_size
			   ? type
			   : 0;
	if (type == T_HEART || type == T_CLOSE)
		return get_le(f + 24, 4) == 0 && len == HEADER ? type : 0;
	return 0;
}

static int url_ok(const char *url)
{
	static const char *const schemes[] = { "tcp://", "ipc://", "pgm://",
					       "epgm://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			return url[strlen(schemes[i])] != '\0';
	return 0;
}

static int fail(struct photon_bridge *b, int rc, const char *what)
{
	int e = zmq_errno();

	snprintf(b->why, sizeof(b->why), "bridge %.200s: %s: %s", b->url, what,
		 zmq_strerror(e));
	return rc;
}

/* ---- sending ---- */

static void send_frame(struct photon_bridge *b, int type, uint64_t seq,
		       size_t n)
{
	header(b->buf, type, b->o.channel_id, seq, (uint32_t)n);
	/* PUB never waits: at its queue limit it drops, and the receiver
	 * sees the gap. */
	(void)zmq_send(b->sock, b->buf, HEADER + n, ZMQ_DONTWAIT);
}

static void *out_main(void *arg)
{
	struct photon_bridge *b = arg;
	struct photon_wait w = { .kind = b->o.spin ? PHOTON_WAIT_BUSY_SPIN
						   : PHOTON_WAIT_PARK };
	uint64_t lagged = 0;

	for (;;) {
		int rc;
		uint64_t pos, l;

		if (__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
			pos = photon_subscriber_position(b->sub);
			send_frame(b, T_CLOSE, pos, 0);
			break;
		}
		rc = photon_recv_timeout(b->sub, b->buf + HEADER, &w,
					 b->o.heartbeat_ns);
		pos = photon_subscriber_position(b->sub);
		l = photon_subscriber_lagged(b->sub);
		if (l != lagged) { /* our own lag: the receiver sees a gap */
			bump(&b->st.lost, l - lagged);
			lagged = l;
		}
		__atomic_store_n(&b->st.next, pos, __ATOMIC_RELAXED);
		if (rc == PHOTON_OK) {
			send_frame(b, T_DATA, pos - 1, b->msg_size);
			bump(&b->st.messages, 1);
		} else if (rc == PHOTON_EMPTY) {
			send_frame(b, T_HEART, pos, 0);
			bump(&b->st.heartbeats, 1);
		} else {
			send_frame(b, T_CLOSE, pos, 0);
			break;
		}
	}
	b->rc = PHOTON_OK;
	return NULL;
}

/* ---- receiving ---- */

/* The local sequence catches up with the stream's: a gap to `to`. */
static void catch_up(struct photon_bridge *b, uint64_t to, int counted)
{
	uint64_t at = photon_publisher_sequence(b->pub);

	if (to <= at)
		return;
	(void)photon_publish_gap(b->pub, to - at);
	if (counted) {
		bump(&b->st.gaps, 1);
		bump(&b->st.lost, to - at);
	}
}

static void *in_main(void *arg)
{
	struct photon_bridge *b = arg;
	uint64_t start = now_ns(), last = start;
	uint64_t dead = DEAD_BEATS * b->o.heartbeat_ns;
	int heard = 0;

	b->rc = PHOTON_OK;
	for (;;) {
		uint64_t seq, t;
		int n, type;

		if (__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE))
			break;
		n = zmq_recv(b->sock, b->buf, HEADER + b->msg_size + 1, 0);
		t = now_ns();
		if (n < 0) {
			if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
				b->rc = fail(b, PHOTON_ESYS, "receive");
				break;
			}
			if (heard && t - last > dead) {
				snprintf(
				    b->why, sizeof(b->why),
				    "bridge %.200s: the sender went silent "
				    "(nothing for %" PRIu64 " ms)",
				    b->url, (t - last) / 1000000u);
				b->rc = PHOTON_CLOSED;
				break;
			}
			if (!heard && b->o.connect_timeout_ns &&
			    t - start > b->o.connect_timeout_ns) {
				snprintf(
				    b->why, sizeof(b->why),
				    "bridge %.200s: no frame within %" PRIu64
				    " ms (is the sender there?)",
				    b->url, b->o.connect_timeout_ns / 1000000u);
				b->rc = PHOTON_ESYS;
				break;
			}
			continue;
		}
		type = decode(b->buf, (size_t)n, b->o.channel_id, b->msg_size,
			      &seq);
		if (!type) {
			bump(&b->st.bad, 1);
			continue;
		}
		last = t;
		if (!heard) { /* joining: the local sequence starts here */
			catch_up(b, seq, 0);
			heard = 1;
			__atomic_store_n(&b->ready, 1, __ATOMIC_RELEASE);
		}
		if (type == T_DATA) {
			if (seq < photon_publisher_sequence(b->pub)) {
				bump(&b->st.dropped, 1); /* late or twice */
				continue;
			}
			catch_up(b, seq, 1);
			(void)photon_publish(b->pub, b->buf + HEADER);
			bump(&b->st.messages, 1);
		} else {
			catch_up(b, seq, 1);
			if (type == T_HEART)
				bump(&b->st.heartbeats, 1);
		}
		__atomic_store_n(&b->st.next, photon_publisher_sequence(b->pub),
				 __ATOMIC_RELAXED);
		if (type == T_CLOSE)
			break;
	}
	/* Whatever ended it, local readers drain and then see CLOSED. */
	photon_publisher_close(b->pub);
	b->pub = NULL;
	return NULL;
}

/* ---- set-up ---- */

static int set_int(struct photon_bridge *b, int opt, int v)
{
	return zmq_setsockopt(b->sock, opt, &v, sizeof(v)) == 0
		   ? PHOTON_OK
		   : fail(b, PHOTON_ESYS, "socket option");
}

static int set_key(struct photon_bridge *b, int opt, const char *key)
{
	if (!key)
		return PHOTON_OK;
	if (strlen(key) != 40 ||
	    zmq_setsockopt(b->sock, opt, key, strlen(key)) != 0)
		return fail(b, PHOTON_ESYS, "CURVE key (40 Z85 characters)");
	return PHOTON_OK;
}

static int setup(struct photon_bridge *b)
{
	int rc, hwm = (int)b->o.queue;
	/* The receive wakes this often to look at the clock: liveness and
	 * stop are this precise. */
	int ms = b->o.heartbeat_ns / 1000000u < 1 ? 1
		 : b->o.heartbeat_ns / 1000000u > 50
		     ? 50
		     : (int)(b->o.heartbeat_ns / 1000000u);
	size_t len = sizeof(b->endpoint);

	b->zctx = zmq_ctx_new();
	if (!b->zctx)
		return fail(b, PHOTON_ESYS, "context");
	b->sock = zmq_socket(b->zctx, b->sending ? ZMQ_PUB : ZMQ_SUB);
	if (!b->sock)
		return fail(b, PHOTON_ESYS, "socket");
	rc = set_int(b, b->sending ? ZMQ_SNDHWM : ZMQ_RCVHWM, hwm);
	if (rc == PHOTON_OK)
		rc = set_int(b, ZMQ_LINGER, 1000); /* the close frame */
	if (rc != PHOTON_OK)
		return rc;
	if (b->sending) {
		if (b->o.curve_secret) {
			rc = set_int(b, ZMQ_CURVE_SERVER, 1);
			if (rc == PHOTON_OK)
				rc = set_key(b, ZMQ_CURVE_SECRETKEY,
					     b->o.curve_secret);
			if (rc != PHOTON_OK)
				return rc;
		}
		if (zmq_bind(b->sock, b->url) != 0)
			return fail(b,
				    zmq_errno() == EINVAL ? PHOTON_EINVAL
							  : PHOTON_ESYS,
				    "bind");
		if (zmq_getsockopt(b->sock, ZMQ_LAST_ENDPOINT, b->endpoint,
				   &len) != 0)
			snprintf(b->endpoint, sizeof(b->endpoint), "%s",
				 b->url);
		return PHOTON_OK;
	}
	if (b->o.curve_server) {
		rc = set_key(b, ZMQ_CURVE_SERVERKEY, b->o.curve_server);
		if (rc == PHOTON_OK)
			rc = set_key(b, ZMQ_CURVE_PUBLICKEY, b->o.curve_public);
		if (rc == PHOTON_OK)
			rc = set_key(b, ZMQ_CURVE_SECRETKEY, b->o.curve_secret);
		if (rc != PHOTON_OK)
			return rc;
	}
	rc = set_int(b, ZMQ_RCVTIMEO, ms);
	if (rc != PHOTON_OK)
		return rc;
	if (zmq_setsockopt(b->sock, ZMQ_SUBSCRIBE, "", 0) != 0)
		return fail(b, PHOTON_ESYS, "subscribe");
	if (zmq_connect(b->sock, b->url) != 0)
		return fail(b,
			    zmq_errno() == EINVAL ? PHOTON_EINVAL : PHOTON_ESYS,
			    "connect");
	snprintf(b->endpoint, sizeof(b->endpoint), "%s", b->url);
	return PHOTON_OK;
}

static void release(struct photon_bridge *b)
{
	if (b->sock)
		zmq_close(b->sock);
	if (b->zctx)
		zmq_ctx_term(b->zctx);
	photon_subscriber_close(b->sub);
	photon_publisher_close(b->pub);
	photon_channel_release(b->ch);
	free(b->buf);
	free(b);
}

static int start(struct photon_bridge **out, int sending, const char *url,
		 struct photon_channel *ch,
		 const struct photon_bridge_opts *opts)
{
	struct photon_bridge *b;
	int rc;

	if (!out)
		return photon_set_error(PHOTON_EINVAL, "bridge: NULL out");
	*out = NULL;
	if (!url || !ch)
		return photon_set_error(PHOTON_EINVAL, "bridge: NULL argument");
	if (strlen(url) >= sizeof(b->url) || !url_ok(url))
		return photon_set_error(PHOTON_EINVAL,
					"bridge: '%.64s' is not a tcp://, "
					"ipc://, pgm:// or epgm:// endpoint",
					url);
	if (opts && (opts->reserved[0] || opts->reserved[1] ||
		     opts->reserved[2] || opts->reserved[3]))
		return photon_set_error(PHOTON_EINVAL,
					"bridge: reserved options must be 0");
	if (!sending &&
	    (photon_channel_flags(ch) & (PHOTON_BOUNDED | PHOTON_MPMC)))
		return photon_set_error(PHOTON_EINVAL,
					"bridge: a receiving bridge publishes "
					"into a lossy single-publisher channel "
					"(gaps become LAGGED there)");
	b = calloc(1, sizeof(*b));
	if (!b)
		return photon_set_error(PHOTON_ENOMEM, "bridge: out of memory");
	b->sending = sending;
	if (opts)
		b->o = *opts;
	if (!b->o.channel_id)
		b->o.channel_id = 1;
	if (!b->o.heartbeat_ns)
		b->o.heartbeat_ns = 100000000u;
	if (!b->o.queue)
		b->o.queue = 100000;
	if (b->o.queue > INT32_MAX)
		b->o.queue = INT32_MAX;
	snprintf(b->url, sizeof(b->url), "%s", url);
	b->ch = photon_channel_retain(ch);
	b->msg_size = photon_channel_msg_size(ch);
	b->buf = malloc(HEADER + b->msg_size + 1);
	if (!b->buf) {
		release(b);
		return photon_set_error(PHOTON_ENOMEM, "bridge: out of memory");
	}
	/* The reader or publisher first: a sending bridge carries every
	 * message published after this call returns. */
	rc = sending ? photon_subscribe(ch, &b->sub)
		     : photon_publisher_open(ch, &b->pub);
	if (rc == PHOTON_OK) {
		rc = setup(b);
		if (rc != PHOTON_OK)
			photon_set_error(rc, "%s", b->why);
	}
	if (rc == PHOTON_OK &&
	    pthread_create(&b->thread, NULL, sending ? out_main : in_main, b) !=
		0)
		rc = photon_set_error(PHOTON_ESYS, "bridge: no thread");
	if (rc != PHOTON_OK) {
		release(b);
		return rc;
	}
	b->started = 1;
	*out = b;
	return PHOTON_OK;
}

PHOTON_API int photon_bridge_out(struct photon_bridge **out,
				 struct photon_channel *ch, const char *url,
				 const struct photon_bridge_opts *opts)
{
	return start(out, 1, url, ch, opts);
}

PHOTON_API int photon_bridge_in(struct photon_bridge **out, const char *url,
				struct photon_channel *ch,
				const struct photon_bridge_opts *opts)
{
	return start(out, 0, url, ch, opts);
}

PHOTON_API const char *photon_bridge_endpoint(const struct photon_bridge *b)
{
	return b ? b->endpoint : NULL;
}

PHOTON_API int photon_bridge_ready(const struct photon_bridge *b)
{
	if (!b)
		return 0;
	return b->sending || __atomic_load_n(&b->ready, __ATOMIC_ACQUIRE);
}

PHOTON_API int photon_bridge_wait(struct photon_bridge *b)
{
	if (!b)
		return photon_set_error(PHOTON_EINVAL, "bridge: NULL");
	if (b->started) {
		pthread_join(b->thread, NULL);
		b->started = 0;
	}
	if (b->rc != PHOTON_OK)
		photon_set_error(b->rc, "%s", b->why);
	return b->rc;
}

PHOTON_API void photon_bridge_stop(struct photon_bridge *b)
{
	if (b)
		__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
}

PHOTON_API int photon_bridge_stats(const struct photon_bridge *b,
				   struct photon_bridge_stats *out)
{
	const uint64_t *from;
	uint64_t *to;

	if (!b || !out)
		return photon_set_error(PHOTON_EINVAL, "bridge: NULL");
	from = (const uint64_t *)&b->st;
	to = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
	return PHOTON_OK;
}

PHOTON_API void photon_bridge_close(struct photon_bridge *b)
{
	if (!b)
		return;
	photon_bridge_stop(b);
	(void)photon_bridge_wait(b);
	release(b);
}
