/* SPDX-License-Identifier: MIT */
/*
 * iceoryx (Debian's 2.0.3, C binding) as bench_shm's peer: the same paced
 * one-way latency as the libphotonring modes of shm.c, publisher and
 * subscriber in two processes, each with its own runtime registered at a
 * running RouDi (bench/shm.sh starts one).
 *
 * Like for like with a lossy libphotonring channel: 8-byte payloads,
 * zero-copy (the publisher loans a chunk, writes the stamp in place and
 * publishes it; the subscriber takes the chunk, reads the stamp and
 * releases it), no history, the subscriber's queue at its maximum and
 * discarding the oldest, the publisher never waiting for it; the
 * subscriber busy-polls take with nothing between two polls.
 *
 * The send time is read before the loan (loan, write and publish are the
 * send, as slot address, write and cursor store are libphotonring's);
 * preloan loans the chunk before the wait, which leaves only the write and
 * the publish on the clock (bench_shm's iceoryx-loan mode).
 *
 * One publisher or one subscriber per process (iceoryx allows one runtime
 * per process, and a process that initialised one must not fork); shm.c
 * forks a fresh child for each and calls these in it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/log.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>

#include "xt.h"

#define SERVICE	 "photon-bench"
#define INSTANCE "shm"
/* RouDi's discovery runs every 100 ms: a connection takes a few of them. */
#define CONNECT_TIMEOUT_NS 10000000000ull

static iox_pub_storage_t pub_storage;
static iox_sub_storage_t sub_storage;
static iox_pub_t pub;
static iox_sub_t sub;

/* RouDi's unix socket (IPC_CHANNEL_ROUDI_NAME under /tmp in 2.0). */
const char *shm_iox_socket(void)
{
	return "/tmp/roudi";
}

static void runtime(const char *role)
{
	char name[96];

	snprintf(name, sizeof(name), "photon-bench-%s-%ld", role,
		 (long)getpid());
	iox_set_loglevel(Iceoryx_LogLevel_Warn);
	iox_runtime_init(name);
}

/* Polls `connected` until it holds; set-up only, never measured. */
static int await(int (*connected)(void))
{
	uint64_t end = xt_clock_ns() + CONNECT_TIMEOUT_NS;

	while (!connected()) {
		struct timespec ts = { 0, 200 * 1000 };

		if (xt_clock_ns() > end)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int pub_connected(void)
{
	return iox_pub_has_subscribers(pub);
}

static int sub_connected(void)
{
	return iox_sub_get_subscription_state(sub) == SubscribeState_SUBSCRIBED;
}

int shm_iox_pub_setup(const char *event, char *err, size_t n)
{
	iox_pub_options_t o;

	runtime("pub");
	iox_pub_options_init(&o);
	o.historyCapacity = 0;
	o.offerOnCreate = true;
	o.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_DISCARD_OLDEST_DATA;
	pub = iox_pub_init(&pub_storage, SERVICE, INSTANCE, event, &o);
	if (!pub) {
		snprintf(err, n, "iox_pub_init failed");
		return -1;
	}
	if (await(pub_connected) != 0) {
		snprintf(err, n, "no subscriber within %llu s",
			 CONNECT_TIMEOUT_NS / 1000000000ull);
		return -1;
	}
	return 0;
}

int shm_iox_sub_setup(const char *event, char *err, size_t n)
{
	iox_sub_options_t o;

	runtime("sub");
	iox_sub_options_init(&o); /* queue: the maximum, 256 in 2.0 */
	o.historyRequest = 0;
	o.queueFullPolicy = QueueFullPolicy_DISCARD_OLDEST_DATA;
	o.subscribeOnCreate = true;
	sub = iox_sub_init(&sub_storage, SERVICE, INSTANCE, event, &o);
	if (!sub) {
		snprintf(err, n, "iox_sub_init failed");
		return -1;
	}
	if (await(sub_connected) != 0) {
		snprintf(err, n, "not subscribed within %llu s",
			 CONNECT_TIMEOUT_NS / 1000000000ull);
		return -1;
	}
	return 0;
}

static void *loan(void)
{
	void *chunk;

	if (iox_pub_loan_chunk(pub, &chunk, sizeof(uint64_t)) !=
	    AllocationResult_SUCCESS)
		return NULL;
	return chunk;
}

/*
 * Paced as xt_loops.h and shm.c. Sets *done after the last publish (the
 * subscriber stops on it). Returns the loans refused (messages not sent).
 */
uint64_t shm_iox_pub_run(uint64_t total, uint64_t interval, int preloan,
			 uint64_t *done)
{
	uint64_t next = xt_tsc() + interval, i, now, refused = 0;
	void *chunk = NULL;

	for (i = 0; i < total; i++) {
		if (preloan)
			chunk = loan();
		while ((now = xt_tsc()) < next)
			;
		if (!preloan)
			chunk = loan();
		if (chunk) {
			memcpy(chunk, &now, sizeof(now));
			iox_pub_publish_chunk(pub, chunk);
		} else {
			refused++;
		}
		if (now - next > interval)
			next = now;
		next += interval;
	}
	__atomic_store_n(done, 1, __ATOMIC_RELEASE);
	return refused;
}

/* As xt_loops.h's receiver: stops at `total`, or when the publisher is
 * done and one last look finds nothing. Returns the messages received. */
uint64_t shm_iox_sub_run(uint64_t total, uint64_t warmup, uint64_t count,
			 uint64_t *samples, const uint64_t *done)
{
	uint64_t i = 0, v, t;
	unsigned polls = 0;
	const void *chunk;

	while (i < total) {
		if (iox_sub_take_chunk(sub, &chunk) !=
		    ChunkReceiveResult_SUCCESS) {
			if ((++polls & 1023u) != 0 ||
			    !__atomic_load_n(done, __ATOMIC_ACQUIRE))
				continue;
			if (iox_sub_take_chunk(sub, &chunk) !=
			    ChunkReceiveResult_SUCCESS)
				break;
		}
		memcpy(&v, chunk, sizeof(v));
		t = xt_tscp();
		iox_sub_release_chunk(sub, chunk);
		if (i >= warmup && i - warmup < count)
			samples[i - warmup] = t - v;
		i++;
	}
	return i;
}

void shm_iox_teardown(void)
{
	if (pub)
		iox_pub_deinit(pub);
	if (sub)
		iox_sub_deinit(sub);
	pub = NULL;
	sub = NULL;
	/* The runtime deregisters in its destructor, at exit(); calling
	 * iox_runtime_shutdown first made that destructor's request get a
	 * wrong answer from RouDi 2.0.3 and wait for ever. */
}
