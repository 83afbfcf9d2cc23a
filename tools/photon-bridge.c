/* SPDX-License-Identifier: MIT */
/*
 * photon-bridge: a shared channel of this machine carried to others over
 * ZeroMQ (photon/bridge.h), one direction per process.
 *
 *   photon-bridge out NAME URL [options]
 *       Bridges the shared channel NAME (photon_shm_open; with --create,
 *       made here first) out through URL, bound here, e.g.
 *       tcp://10.0.0.1:5555. Ends when the channel closes.
 *   photon-bridge in URL NAME --msg-size N [options]
 *       Creates the shared channel NAME (lossy, --capacity slots of N-byte
 *       messages) and publishes what arrives from URL into it under the
 *       sender's sequence numbers; local processes subscribe to NAME with
 *       photon_shm_open. Ends when the sender closes or goes silent; the
 *       channel then closes (its readers drain it first).
 *
 * Options:
 *   --create CAP          out: make NAME (bounded, CAP slots, --msg-size)
 *   --msg-size N          bytes per message (in; out with --create)
 *   --capacity C          in: slots of the local channel (65536)
 *   --channel-id ID       the stream's identity on the wire (1)
 *   --heartbeat-ms M      heartbeat period; silence of 5 is death (100)
 *   --connect-timeout-ms M  in: give up without a first frame (never)
 *   --spin                out: the reader spins instead of parking
 *   --curve-secret K, --curve-public K, --curve-server K  CURVE keys (Z85)
 *   --unlink              remove NAME at the end
 *   --ready               print "ready" (and the endpoint) once the bridge
 *                         runs (in: once the stream was heard)
 *
 * SIGINT and SIGTERM stop the bridge (out sends its close frame). While it
 * runs, its state and counters are kept in .photon-bridge.NAME beside the
 * segment (in $PHOTON_SHM_DIR or /dev/shm; a dot file, which photon-stat
 * shows under the channel and does not take for a segment), rewritten
 * every 250 ms and removed at the end. The counters are printed at the
 * end. Exit status: 0 the stream closed, 3 the
 * sender went silent (in), 1 an error, 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <photon/bridge.h>
#include <photon/photon.h>

static struct photon_bridge *running;
static int ended; /* atomic: photon_bridge_wait returned */
static int result;

static void *waiter(void *arg)
{
	(void)arg;
	result = photon_bridge_wait(running);
	__atomic_store_n(&ended, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The state file photon-stat shows: written whole under a temporary
 * name, then renamed over the last one. */
static void write_state(const char *path, const char *dir, const char *what,
			const char *url, const char *state)
{
	struct photon_bridge_stats st;
	char tmp[4096];
	FILE *f;

	photon_bridge_stats(running, &st);
	snprintf(tmp, sizeof(tmp), "%s/.photon-bridge.%ld.tmp", dir,
		 (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f,
		"%s %s  pid %ld  %s  messages %" PRIu64 "  heartbeats %" PRIu64
		"  gaps %" PRIu64 " (%" PRIu64 " lost)  dropped %" PRIu64
		"  bad %" PRIu64 "  next %" PRIu64 "\n",
		what, url, (long)getpid(), state, st.messages, st.heartbeats,
		st.gaps, st.lost, st.dropped, st.bad, st.next);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		remove(tmp);
}

static void on_signal(int sig)
{
	(void)sig;
	photon_bridge_stop(running); /* an atomic store */
}

static int usage(void)
{
	fprintf(stderr,
		"usage: photon-bridge out NAME URL [--create CAP --msg-size N] "
		"[options]\n"
		"       photon-bridge in URL NAME --msg-size N [--capacity C] "
		"[options]\n"
		"options: --channel-id ID --heartbeat-ms M "
		"--connect-timeout-ms M --spin\n"
		"         --curve-secret K --curve-public K --curve-server K "
		"--unlink --ready\n");
	return 2;
}

static int number(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	*out = strtoull(s, &end, 10);
	return *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct photon_bridge_opts o = { 0 };
	struct photon_opts co = { 0 };
	struct photon_channel *ch = NULL;
	struct photon_bridge_stats st;
	uint64_t create = 0, msg_size = 0, capacity = 65536, v;
	const char *name, *url, *dir;
	char state[4096];
	pthread_t wt;
	int out, rc, unlink_at_end = 0, ready = 0;

	if (argc < 4 || (strcmp(argv[1], "out") && strcmp(argv[1], "in")))
		return usage();
	out = !strcmp(argv[1], "out");
	name = out ? argv[2] : argv[3];
	url = out ? argv[3] : argv[2];
	for (int i = 4; i < argc; i++) {
		const char *a = argv[i], *n = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--spin")) {
			o.spin = 1;
		} else if (!strcmp(a, "--unlink")) {
			unlink_at_end = 1;
		} else if (!strcmp(a, "--ready")) {
			ready = 1;
		} else if (!strcmp(a, "--curve-secret") && n) {
			o.curve_secret = n, i++;
		} else if (!strcmp(a, "--curve-public") && n) {
			o.curve_public = n, i++;
		} else if (!strcmp(a, "--curve-server") && n) {
			o.curve_server = n, i++;
		} else if (number(n, &v) != 0) {
			return usage();
		} else if (!strcmp(a, "--create")) {
			create = v, i++;
		} else if (!strcmp(a, "--msg-size")) {
			msg_size = v, i++;
		} else if (!strcmp(a, "--capacity")) {
			capacity = v, i++;
		} else if (!strcmp(a, "--channel-id")) {
			o.channel_id = v, i++;
		} else if (!strcmp(a, "--heartbeat-ms")) {
			o.heartbeat_ns = v * 1000000u, i++;
		} else if (!strcmp(a, "--connect-timeout-ms")) {
			o.connect_timeout_ns = v * 1000000u, i++;
		} else {
			return usage();
		}
	}

	co.msg_size = msg_size;
	if (out && create) {
		co.capacity = create;
		co.flags = PHOTON_BOUNDED;
		co.max_consumers = 16;
		rc = photon_shm_create(&ch, name, &co, 0);
	} else if (out) {
		rc = photon_shm_open(&ch, name);
	} else {
		co.capacity = capacity;
		rc = msg_size ? photon_shm_create(&ch, name, &co, 0)
			      : photon_set_error(PHOTON_EINVAL,
						 "in: --msg-size is needed");
	}
	if (rc != PHOTON_OK) {
		fprintf(stderr, "photon-bridge: %s: %s (%s)\n", name,
			photon_strerror(rc), photon_last_error_message());
		return 1;
	}
	rc = out ? photon_bridge_out(&running, ch, url, &o)
		 : photon_bridge_in(&running, url, ch, &o);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "photon-bridge: %s: %s (%s)\n", url,
			photon_strerror(rc), photon_last_error_message());
		photon_channel_release(ch);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	dir = getenv("PHOTON_SHM_DIR");
	if (!dir || !*dir)
		dir = "/dev/shm";
	snprintf(state, sizeof(state), "%s/.photon-bridge.%s", dir, name);
	write_state(state, dir, argv[1], url, "running");
	if (ready) {
		struct timespec ms = { 0, 1000000 };

		while (!photon_bridge_ready(running) &&
		       !photon_channel_is_closed(ch))
			nanosleep(&ms, NULL);
		printf("ready %s\n", photon_bridge_endpoint(running));
		fflush(stdout);
	}
	if (pthread_create(&wt, NULL, waiter, NULL) != 0) {
		waiter(NULL); /* no state updates, then */
	} else {
		while (!__atomic_load_n(&ended, __ATOMIC_ACQUIRE)) {
			struct timespec quarter = { 0, 250000000 };

			nanosleep(&quarter, NULL);
			write_state(state, dir, argv[1], url,
				    photon_bridge_ready(running) ? "running"
								 : "waiting");
		}
		pthread_join(wt, NULL);
	}
	rc = result;
	remove(state);
	photon_bridge_stats(running, &st);
	fprintf(stderr,
		"photon-bridge %s %s: %s; messages %" PRIu64
		", heartbeats %" PRIu64 ", gaps %" PRIu64 " (%" PRIu64
		" lost), dropped %" PRIu64 ", bad %" PRIu64 ", next %" PRIu64
		"%s%s\n",
		argv[1], url,
		rc == PHOTON_OK	      ? "closed"
		: rc == PHOTON_CLOSED ? "the sender went silent"
				      : photon_strerror(rc),
		st.messages, st.heartbeats, st.gaps, st.lost, st.dropped,
		st.bad, st.next, rc == PHOTON_OK ? "" : ": ",
		rc == PHOTON_OK ? "" : photon_last_error_message());
	photon_bridge_close(running);
	photon_channel_release(ch);
	if (unlink_at_end)
		photon_shm_unlink(name);
	return rc == PHOTON_OK ? 0 : rc == PHOTON_CLOSED ? 3 : 1;
}
