/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Channels, publishers, subscribers and subscriber groups.
 *
 * A channel is a ring of `capacity` slots. Each slot is 64-byte aligned and
 * holds an 8-byte stamp followed by the payload; the stamp says which
 * sequence the slot holds and whether its write is complete:
 *
 * @code{.unparsed}
 *   0        never written
 *   2s + 1   write of sequence s in progress
 *   2s + 2   write of sequence s complete
 * @endcode
 *
 * Stamps only grow within a slot. The publisher also stores the sequence of
 * the last published message into a shared cursor on a cache line of its
 * own; readers touch it only on slow paths (lag, latest, pending).
 *
 * The protocol, its memory-order labels (W1..W5, R1..R6, G1, C1, C2, P1,
 * P2, K0..K3, M1, M2) and the bounded gate's invariants are stated in
 * docs/PROTOCOL.md; the labels mark each access in photon/detail/channel.h
 * and src/.
 *
 * Sequences are 64-bit and never wrap in practice (584 years at 1 ns per
 * message); stamp arithmetic (2s + 2) relies on s < 2^63.
 *
 * Thread contract: channel-level calls (create, release, subscribe,
 * publisher_open, getters on the channel) are thread-safe. A publisher,
 * subscriber or group handle is used by one thread at a time; different
 * handles may be used concurrently from different threads. Handles keep the
 * channel alive: its memory is freed when the last of the channel reference,
 * the publisher and the subscribers is released, in any order.
 *
 * The structs the inline hot paths touch are visible (photon/detail/) so
 * the compiler can inline publish and try_recv; their fields are private
 * and may change between releases (the SONAME changes with them).
 */
#ifndef PHOTON_CHANNEL_H
#define PHOTON_CHANNEL_H

#include <string.h>

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_channel;
struct photon_publisher;
struct photon_subscriber;
struct photon_group;
struct photon_wait;

/** Flags of struct photon_opts. */
enum photon_flags {
	/** Lossless: at most capacity - watermark messages outstanding. */
	PHOTON_BOUNDED = 1u << 0,
	/**
	 * Several publisher handles, each used by its own thread: a sequence
	 * is claimed with one atomic fetch-add (bounded: a compare-and-swap
	 * below the gate), and the channel closes with its last handle.
	 */
	PHOTON_MPMC = 1u << 1,
	/** Ring on 2 MiB hugetlb pages; alone, strict (PHOTON_ENOMEM when
	 * none are free). */
	PHOTON_HUGEPAGES = 1u << 2,
	/** Transparent huge pages; with PHOTON_HUGEPAGES, its fallback. */
	PHOTON_THP = 1u << 3,
	/** Lock the ring in RAM at creation. */
	PHOTON_MLOCK = 1u << 4,
	/** Touch every page of the ring at creation. */
	PHOTON_PREFAULT = 1u << 5,
	/** Place the ring on opts.numa_node (needs libnuma). */
	PHOTON_NUMA = 1u << 6
};

/**
 * Channel options. A zeroed struct with capacity and msg_size set is a valid
 * lossy channel. The struct only grows at the end, into `reserved`, which
 * must be zero.
 */
struct photon_opts {
	size_t capacity;  /**< slots, >= 2 (powers of two index fastest) */
	size_t msg_size;  /**< bytes per message, 1 to PHOTON_MSG_SIZE_MAX */
	size_t watermark; /**< bounded only: headroom kept free, < capacity */
	unsigned flags;	  /**< enum photon_flags */
	int numa_node;	  /**< with PHOTON_NUMA */
	/**
	 * Bounded only: a consumer that holds the publisher back without
	 * reading for this long stops gating it (counted; it sees LAGGED when
	 * it returns and gates again from there). 0: never (the default).
	 */
	uint64_t stall_timeout_ns;
	/**
	 * Shared channels (photon_shm_create): consumers the segment can
	 * track at once, 1 to 4096; 0 means 64. In-process channels: must
	 * be 0 (they track any number).
	 */
	uint64_t max_consumers;
	uint64_t reserved[4]; /**< zero: room to grow */
};

/** Offset of the payload in a slot: right after the 8-byte stamp. */
#define PHOTON_SLOT_PAYLOAD_OFFSET 8

/**
 * Bytes per slot for an n-byte payload: stamp + payload rounded up to whole
 * cache lines. The hot paths derive it from n rather than loading it, so for
 * the typed wrappers it is a constant and the slot index a shift.
 */
#define PHOTON_SLOT_STRIDE(n)                                        \
	((PHOTON__CAST(uint64_t, PHOTON_SLOT_PAYLOAD_OFFSET) + (n) + \
	  PHOTON_CACHE_LINE - 1) &                                   \
	 ~PHOTON__CAST(uint64_t, PHOTON_CACHE_LINE - 1))

/* ---- channels ---- */

/**
 * Creates a lossy channel: publish never blocks and overwrites the oldest
 * slot; a reader that falls a whole ring behind gets PHOTON_LAGGED.
 * capacity: any value >= 2 (powers of two index fastest); msg_size: 1 ..
 * PHOTON_MSG_SIZE_MAX.
 * Returns PHOTON_OK, PHOTON_EINVAL or PHOTON_ENOMEM.
 */
PHOTON_API int photon_channel_create(struct photon_channel **out,
				     size_t capacity, size_t msg_size);

/**
 * Creates a bounded (lossless) channel: at most capacity - watermark
 * messages may be outstanding (published and not yet read by the slowest
 * subscriber). 0 <= watermark < capacity.
 */
PHOTON_API int photon_channel_create_bounded(struct photon_channel **out,
					     size_t capacity, size_t msg_size,
					     size_t watermark);

/** Creates a channel from options; unknown flag bits are PHOTON_EINVAL. */
PHOTON_API int photon_channel_create_opts(struct photon_channel **out,
					  const struct photon_opts *opts);

/** Short form of a lossy PHOTON_MPMC channel. */
PHOTON_API int photon_channel_create_mpmc(struct photon_channel **out,
					  size_t capacity, size_t msg_size);

/**
 * Drops the creator's reference. The memory lives on while a publisher or a
 * subscriber of the channel is open. NULL is a no-op. Like every close
 * below, it ends the handle: a second call or any use after it is undefined
 * (it cannot be detected).
 */
PHOTON_API void photon_channel_release(struct photon_channel *ch);

/** Takes one more reference, released with photon_channel_release(). */
PHOTON_API struct photon_channel *
photon_channel_retain(struct photon_channel *ch);

/** Slots in the ring. 0 for NULL. */
PHOTON_API size_t photon_channel_capacity(const struct photon_channel *ch);
/** Bytes per message. 0 for NULL. */
PHOTON_API size_t photon_channel_msg_size(const struct photon_channel *ch);
/** Headroom a bounded channel keeps free. 0 for NULL. */
PHOTON_API size_t photon_channel_watermark(const struct photon_channel *ch);
/** The enum photon_flags it was created with. 0 for NULL. */
PHOTON_API unsigned photon_channel_flags(const struct photon_channel *ch);
/** Page size the ring really got (photon/mem.h). 0 for NULL. */
PHOTON_API size_t photon_channel_page_size(const struct photon_channel *ch);
/** 1 once the publisher closed the channel. */
PHOTON_API int photon_channel_is_closed(const struct photon_channel *ch);
/** Consumers the stall timeout stopped waiting for, in total. */
PHOTON_API uint64_t photon_channel_stalls(const struct photon_channel *ch);

/* ---- shared channels (named shared memory) ---- */

/**
 * Creates the segment `name` and a channel in it that other processes open
 * with photon_shm_open. name: the POSIX shared-memory name without its '/'
 * (the file /dev/shm/NAME on Linux), 1 to 200 bytes, no '/'. opts as for
 * photon_channel_create_opts, and opts->max_consumers. mode: permission
 * bits of the segment, 0 meaning 0600 (owner only); the umask does not
 * apply. PHOTON_HUGEPAGES puts the segment in the hugetlbfs mount named by
 * the environment variable PHOTON_HUGETLBFS; PHOTON_SHM_DIR replaces
 * /dev/shm for the others. Returns PHOTON_OK, PHOTON_EINVAL,
 * PHOTON_EEXIST (the name exists: nothing is replaced), PHOTON_EPERM,
 * PHOTON_ENOMEM or PHOTON_ESYS; *out is NULL unless PHOTON_OK.
 * photon_channel_release unmaps the segment; only photon_shm_unlink
 * removes the name. The README's "Shared channels" section gives the crash
 * semantics and the threat model.
 */
PHOTON_API int photon_shm_create(struct photon_channel **out, const char *name,
				 const struct photon_opts *opts, unsigned mode);

/**
 * Maps the existing segment `name`, validating its header before anything
 * else is read: PHOTON_ENOENT, PHOTON_EPERM (errno kept) or PHOTON_EPROTO
 * (not a segment of this layout: magic, layout version, sizes, capacity and
 * stride, checksum; or truncated), with the reason in
 * photon_last_error_message().
 */
PHOTON_API int photon_shm_open(struct photon_channel **out, const char *name);

/** Removes the name; processes that mapped it keep their mapping.
 * PHOTON_ENOENT when there is none, PHOTON_EINVAL for a bad name,
 * PHOTON_EPERM or PHOTON_ESYS (errno kept). */
PHOTON_API int photon_shm_unlink(const char *name);

/**
 * 1 when the channel's publisher died without closing it (a crash): its
 * subscribers drain what was published and then get PHOTON_CLOSED. 0 for
 * in-process channels. The death is noticed by blocking and timed receives
 * while they wait and by the exported photon_try_recv every few empty
 * polls; the inline typed try_recv never checks (call an exported or
 * blocking receive when idle).
 */
PHOTON_API int photon_channel_abandoned(const struct photon_channel *ch);

/** Shared channels: tracker entries of consumers whose process died,
 * freed so that a bounded channel's publisher went on. */
PHOTON_API uint64_t photon_channel_reclaimed(const struct photon_channel *ch);

/* ---- publisher ---- */

/**
 * Opens the channel's single publisher. PHOTON_EBUSY if one is already open,
 * PHOTON_CLOSED if the channel was closed. The handle is used by one thread
 * at a time and runs concurrently with any number of subscribers. On a
 * PHOTON_MPMC channel every call opens one more handle (one per producing
 * thread) and there is no PHOTON_EBUSY.
 */
PHOTON_API int photon_publisher_open(struct photon_channel *ch,
				     struct photon_publisher **out);

/**
 * Closes the channel for good: subscribers drain what was published, then
 * every read returns PHOTON_CLOSED. Frees the handle. NULL is a no-op.
 */
PHOTON_API void photon_publisher_close(struct photon_publisher *p);

/**
 * Publishes one message of msg_size bytes read from msg. Lossy: never
 * blocks. Bounded: waits for room (spinning, then pausing).
 * Returns PHOTON_OK or PHOTON_EINVAL.
 */
PHOTON_API int photon_publish(struct photon_publisher *p, const void *msg);

/** As photon_publish, but PHOTON_FULL (nothing written) instead of waiting. */
PHOTON_API int photon_try_publish(struct photon_publisher *p, const void *msg);

/**
 * Publishes count messages stored back to back at msgs (count * msg_size
 * bytes). The cursor advances after every message, and backpressure applies
 * per message. count == 0 is a no-op.
 */
PHOTON_API int photon_publish_batch(struct photon_publisher *p,
				    const void *msgs, size_t count);

/** Messages published so far through this handle (SPMC: the next
 * sequence). 0 for NULL. Another thread may read it while the handle is in
 * use (for lag monitoring); it must not close the handle meanwhile. */
PHOTON_API uint64_t photon_publisher_sequence(const struct photon_publisher *p);

/**
 * Publishes count lost messages: the sequence moves on by count with no
 * payload, and a reader that reaches the gap gets PHOTON_LAGGED with the
 * number lost (photon_subscriber_last_skipped), as if a faster publisher
 * had lapped it, then the message after the gap. A reader lapped across
 * the gap as well may see the count in two LAGGED results; their sum is
 * exact. For a relay that republishes another sequence (a bridge, a feed
 * handler that saw a gap upstream), so that local readers see the same
 * sequence numbers and the loss where it happened. Lossy single-publisher
 * channels only (PHOTON_ENOTSUP for bounded and MPMC channels, whose
 * readers are promised every message). PHOTON_OK (count 0: nothing),
 * PHOTON_EINVAL (NULL, or a count that would pass 2^62 messages) or
 * PHOTON_ENOTSUP. Never waits. Thread contract: the publisher's.
 */
PHOTON_API int photon_publish_gap(struct photon_publisher *p, uint64_t count);

/** The channel of a handle (no new reference). */
PHOTON_API struct photon_channel *
photon_publisher_channel(const struct photon_publisher *p);

/* ---- subscribers ---- */

/** Subscribes to messages published from now on. Thread-safe. */
PHOTON_API int photon_subscribe(struct photon_channel *ch,
				struct photon_subscriber **out);

/**
 * Subscribes from the oldest message still held (bounded: from the oldest
 * message the publisher may still rely on; see the README).
 */
PHOTON_API int photon_subscribe_from_oldest(struct photon_channel *ch,
					    struct photon_subscriber **out);

/** Closes the subscriber; in a bounded channel it stops gating at once. */
PHOTON_API void photon_subscriber_close(struct photon_subscriber *s);

/**
 * Reads the next message into out (msg_size bytes). PHOTON_OK, PHOTON_EMPTY
 * (nothing new), PHOTON_LAGGED (overrun: photon_subscriber_last_skipped()
 * says by how many; the next call returns the oldest message held) or
 * PHOTON_CLOSED. *out is unspecified unless PHOTON_OK. Never blocks.
 */
PHOTON_API int photon_try_recv(struct photon_subscriber *s, void *out);

/**
 * Waits for the next message with the default wait strategy (adaptive).
 * Lag is counted but not returned. PHOTON_OK or PHOTON_CLOSED.
 */
PHOTON_API int photon_recv(struct photon_subscriber *s, void *out);

/** As photon_recv with a wait strategy; NULL means the default. */
PHOTON_API int photon_recv_with(struct photon_subscriber *s, void *out,
				const struct photon_wait *w);

/** @{ */
/**
 * As photon_recv_with, but gives up after timeout_ns, or at deadline_ns of
 * CLOCK_MONOTONIC (photon_monotonic_ns()): then PHOTON_EMPTY. Lets a reader
 * thread wake to check for shutdown. A timeout of 0 polls once.
 */
PHOTON_API int photon_recv_timeout(struct photon_subscriber *s, void *out,
				   const struct photon_wait *w,
				   uint64_t timeout_ns);
PHOTON_API int photon_recv_deadline(struct photon_subscriber *s, void *out,
				    const struct photon_wait *w,
				    uint64_t deadline_ns);
/** @} */

/**
 * Delivers the newest message not yet read and moves past everything older
 * (not counted as lagged). PHOTON_OK, PHOTON_EMPTY or PHOTON_CLOSED.
 */
PHOTON_API int photon_latest(struct photon_subscriber *s, void *out);

/** Messages published and not yet read, capped at the capacity. */
PHOTON_API uint64_t photon_pending(const struct photon_subscriber *s);

/**
 * The sequence number the next receive will deliver (messages are numbered
 * from 0 in publish order). After a PHOTON_OK the message received was
 * position - 1; a LAGGED moves it past the messages lost. 0 for NULL.
 */
PHOTON_API uint64_t
photon_subscriber_position(const struct photon_subscriber *s);

/**
 * Event loops: a file descriptor (owned by the handle, closed with it) that
 * is readable (POLLIN, for poll/epoll/io_uring/libuv) whenever a message or
 * the close waits for this reader after a receive returned PHOTON_EMPTY.
 * The loop: wait for it, then receive (try_recv, poll) until PHOTON_EMPTY,
 * then wait again; no other call. Armed from this call; any receive that
 * returns EMPTY re-arms it; at most one stale readiness, cleared by the
 * next EMPTY; after PHOTON_CLOSED it stays readable, like an end of file.
 * The publisher pays nothing while no reader waits on a descriptor.
 * In-process channels only: PHOTON_ENOTSUP for a shared channel, and where
 * membarrier(PRIVATE_EXPEDITED) is unavailable. Returns the descriptor (the
 * same one on every call) or a negative code.
 */
PHOTON_API int photon_subscriber_fd(struct photon_subscriber *s);

/**
 * A handler of photon_poll: msg points at a private copy of the message
 * (msg_size bytes, never torn), valid during the call; seq is its sequence
 * number. Non-zero stops the poll after this message. It must not receive
 * on the handle being polled.
 */
typedef int (*photon_handler_fn)(void *ctx, const void *msg, uint64_t seq);

/**
 * Batch receive: hands up to `limit` available messages, in order, to fn,
 * without waiting. Returns how many were handled (0 when none was
 * waiting), or PHOTON_CLOSED once the channel is closed and drained (a
 * poll that handles messages and then reaches the close returns the
 * count; the next one says CLOSED), or PHOTON_EINVAL. Lag is skipped and
 * counted as in photon_recv and shows as a jump in seq. The reader's
 * position is published once per batch rather than per message. limit 0
 * returns 0. Messages above 1 KiB are copied into a buffer the handle
 * allocates on first use (PHOTON_ENOMEM if it cannot), not onto the stack.
 */
PHOTON_API long photon_poll(struct photon_subscriber *s, photon_handler_fn fn,
			    void *ctx, size_t limit);

/** Counter: messages skipped by the last LAGGED. */
PHOTON_API uint64_t
photon_subscriber_last_skipped(const struct photon_subscriber *s);
/** Counter: messages delivered. */
PHOTON_API uint64_t
photon_subscriber_received(const struct photon_subscriber *s);
/** Counter: messages skipped in total. */
PHOTON_API uint64_t photon_subscriber_lagged(const struct photon_subscriber *s);
/** received / (received + lagged); 0.0 when nothing was seen. */
PHOTON_API double
photon_subscriber_receive_ratio(const struct photon_subscriber *s);
/**
 * Bounded channels with a stall timeout: how many times the publisher
 * stopped waiting for this consumer.
 */
PHOTON_API uint64_t photon_subscriber_stalls(const struct photon_subscriber *s);

/* ---- subscriber groups ---- */

/**
 * n logical consumers polled together by one thread at the cost of one:
 * they share one cursor, so a read costs the same whatever n is. The group
 * gates a bounded channel as one consumer, its counters count each message
 * once. n == 0 is PHOTON_EINVAL. Starts with messages published from now on.
 */
PHOTON_API int photon_group_subscribe(struct photon_channel *ch, size_t n,
				      struct photon_group **out);
/** As photon_subscriber_close(). */
PHOTON_API void photon_group_close(struct photon_group *g);
/** As photon_try_recv(). */
PHOTON_API int photon_group_try_recv(struct photon_group *g, void *out);
/** As photon_recv(). */
PHOTON_API int photon_group_recv(struct photon_group *g, void *out);
/** As photon_recv_with(). */
PHOTON_API int photon_group_recv_with(struct photon_group *g, void *out,
				      const struct photon_wait *w);
/** As photon_recv_timeout(). */
PHOTON_API int photon_group_recv_timeout(struct photon_group *g, void *out,
					 const struct photon_wait *w,
					 uint64_t timeout_ns);
/** As photon_recv_deadline(). */
PHOTON_API int photon_group_recv_deadline(struct photon_group *g, void *out,
					  const struct photon_wait *w,
					  uint64_t deadline_ns);
/** As photon_subscriber_stalls(). */
PHOTON_API uint64_t photon_group_stalls(const struct photon_group *g);
/** n, the number of logical consumers. 0 for NULL. */
PHOTON_API size_t photon_group_size(const struct photon_group *g);
/** As photon_subscriber_last_skipped(). */
PHOTON_API uint64_t photon_group_last_skipped(const struct photon_group *g);
/** As photon_subscriber_received(). */
PHOTON_API uint64_t photon_group_received(const struct photon_group *g);
/** As photon_subscriber_lagged(). */
PHOTON_API uint64_t photon_group_lagged(const struct photon_group *g);
/** As photon_subscriber_receive_ratio(). */
PHOTON_API double photon_group_receive_ratio(const struct photon_group *g);
/** As photon_pending(). */
PHOTON_API uint64_t photon_group_pending(const struct photon_group *g);
/** As photon_subscriber_position(). */
PHOTON_API uint64_t photon_group_position(const struct photon_group *g);
/** As photon_subscriber_fd(). */
PHOTON_API int photon_group_fd(struct photon_group *g);
/** As photon_poll(). */
PHOTON_API long photon_group_poll(struct photon_group *g, photon_handler_fn fn,
				  void *ctx, size_t limit);

PHOTON__EXTERN_C_END

/* The private structs and the inline hot paths, after the API. */
#include <photon/detail/channel.h>

#endif /* PHOTON_CHANNEL_H */
