/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Topologies: pipelines (A -> B -> C), diamonds (A -> {B, C} -> D) and any
 * other small acyclic graph of stages, each stage a thread that the topology
 * owns, each link a channel. The companion library photonring-topology:
 * link PhotonRing::topology, or pkg-config photon-ring-topology.
 *
 * A stage is a function plus a context pointer. The topology runs the loop
 * around it: read one message from every input, call the function, publish
 * what it wrote. Every message on a link carries the sequence its source
 * gave it (0, 1, 2 ...), and a stage with several inputs joins them on that
 * sequence: it calls its function only with one message of the same
 * sequence from each input, and drops (counts as unmatched) a message whose
 * partner was lost on a lossy link or filtered out upstream.
 *
 * Fan-out costs nothing extra: a stage has one output channel, and every
 * stage linked from it subscribes to that channel (a broadcast ring: all of
 * them see every message).
 *
 * @code
 *   struct photon_topology *t;
 *   unsigned a, b, c;
 *   photon_topology_create(&t);
 *   photon_topology_add_stage(t, &(struct photon_stage_opts){
 *       .name = "parse", .fn = parse, .out_size = sizeof(struct tick) }, &a);
 *   ... b, c ...
 *   photon_topology_link(t, a, b);
 *   photon_topology_link(t, b, c);
 *   photon_topology_start(t);
 *   rc = photon_topology_wait(t);   ends when the source returns END
 *   photon_topology_destroy(t);
 * @endcode
 *
 * End of stream flows downstream in order: a source ends (its function
 * returns PHOTON_STAGE_END, or photon_topology_close_source for a source
 * the user feeds), its output channel closes, each stage drains its inputs,
 * sees PHOTON_CLOSED, closes its own output and exits.
 *
 * A stage fails by returning any value other than PHOTON_OK,
 * PHOTON_STAGE_SKIP or PHOTON_STAGE_END. The topology records the first
 * failure (stage and value), the failed stage closes its channels, and the
 * whole topology stops as photon_topology_stop() does; photon_topology_wait
 * returns the value.
 *
 * Idle policy (no input yet, or a lossless output full): a stage polls
 * spin_polls times, pausing between polls as its struct photon_wait says,
 * then sleeps (nanosleep), 1 us doubling up to sleep_ns, until there is
 * work again. The sleep is what lets more stage threads than cores make
 * progress: a spin or sched_yield loop would take the core from the thread
 * it waits for (a spin budget of 512 polls instead of 128 made a diamond on
 * 2 CPUs 20x slower). With wait.kind PHOTON_WAIT_PARK, a stage waiting
 * for input parks instead (photon_recv_timeout: the publisher wakes it; it
 * wakes every millisecond to check for stop). spin_polls UINT32_MAX never
 * sleeps: for stages with a core each.
 *
 * Thread contract: create, add_stage, link, start, wait and destroy are
 * called by one controlling thread (not concurrently with each other).
 * photon_topology_stop, the stats and failure getters may be called from any
 * thread at any time, stage functions included. A source the user feeds
 * (publish, try_publish, close_source) is used by one thread at a time.
 */
#ifndef PHOTON_TOPOLOGY_H
#define PHOTON_TOPOLOGY_H

#include <photon/common.h>
#include <photon/wait.h>

PHOTON__EXTERN_C_BEGIN

struct photon_topology;

/** Most inputs one stage may join. */
#define PHOTON_TOPOLOGY_MAX_INPUTS 8

/** A stage function's results besides PHOTON_OK (publish what it wrote). */
enum photon_stage_result {
	/**
	 * Publish nothing for this call. A source is called again with the
	 * same sequence after one idle step (a source that polls something
	 * returns it when nothing arrived); a transform drops the message.
	 */
	PHOTON_STAGE_SKIP = 1,
	/** Publish nothing and end this stage's stream: its output closes. */
	PHOTON_STAGE_END = 2
};

/**
 * A stage function, called on the stage's thread.
 * @code{.unparsed}
 *   seq  the sequence of the message (a source: the one it is to produce)
 *   in   one payload per input, in the order the links were made; NULL for
 *        a source. Valid during the call only.
 *   out  out_size bytes to fill, published when the function returns
 *        PHOTON_OK; NULL for a sink (out_size 0).
 * @endcode
 * in and out are 8-byte aligned; copy types that need more with memcpy.
 * Returns PHOTON_OK, PHOTON_STAGE_SKIP, PHOTON_STAGE_END, or anything else
 * as a failure.
 */
typedef int (*photon_stage_fn)(void *ctx, uint64_t seq, const void *const *in,
			       void *out);

/** How a stage's output link treats a slow consumer. */
enum photon_link_mode {
	/** Bounded channel: the stage waits for its slowest consumer. */
	PHOTON_LINK_LOSSLESS = 0,
	/** Lossy channel: never waits; a consumer lapped by it counts lag. */
	PHOTON_LINK_LOSSY = 1
};

/** Flags of struct photon_stage_opts. */
enum photon_stage_flags {
	/** Pin the stage's thread to OS CPU `cpu` (pthread affinity). */
	PHOTON_STAGE_PIN = 1u << 0
};

/**
 * A stage. A zeroed struct with fn (or none, for a source the user feeds)
 * and out_size is valid: lossless output of 1024 slots, adaptive spin, then
 * sleeps. Grows only at the end, into `reserved`, which must be zero.
 */
struct photon_stage_opts {
	const char *name; /**< for reports; copied (31 bytes kept) */
	/** NULL: a source fed by photon_topology_publish */
	photon_stage_fn fn;
	void *ctx;		    /**< passed to fn */
	size_t out_size;	    /**< payload bytes published; 0: a sink */
	size_t capacity;	    /**< output channel slots; 0: 1024 */
	size_t watermark;	    /**< lossless output: headroom kept free */
	enum photon_link_mode link; /**< of the output channel */
	struct photon_wait wait;    /**< pauses between polls while spinning */
	uint32_t spin_polls;	    /**< idle polls before sleeping; 0: 128 */
	uint32_t sleep_ns;	    /**< longest idle sleep; 0: 50000 (50 us) */
	unsigned flags;		    /**< enum photon_stage_flags */
	unsigned cpu;		    /**< with PHOTON_STAGE_PIN */
	uint64_t reserved[4];	    /**< zero: room to grow */
};

/**
 * What a stage did. Exact once photon_topology_wait returned; while the
 * topology runs, each field is a recent value.
 */
struct photon_stage_stats {
	uint64_t processed;   /**< calls of the stage function with a message */
	uint64_t published;   /**< messages published on its output */
	uint64_t lagged;      /**< messages its inputs lost to lossy links */
	uint64_t unmatched;   /**< join: messages dropped without a partner
				 (not those left unread when an input ends) */
	uint64_t full;	      /**< publishes that found the output full */
	uint64_t sleeps;      /**< idle sleeps */
	uint64_t reserved[2]; /**< zero: room to grow */
};

/**
 * Creates an empty topology. Returns PHOTON_OK, PHOTON_EINVAL (NULL out) or
 * PHOTON_ENOMEM. Thread contract: see the top comment.
 */
PHOTON_API int photon_topology_create(struct photon_topology **out);

/**
 * Adds a stage and creates its output channel (capacity slots of out_size +
 * 8 bytes: the sequence travels with each message). *id receives the
 * stage's index (0, 1, ... in the order added). Needs: not started.
 * Returns PHOTON_OK, PHOTON_EINVAL (bad options, unknown wait kind, started
 * already; the detail says which), PHOTON_ENOMEM, or a channel creation
 * error.
 */
PHOTON_API int photon_topology_add_stage(struct photon_topology *t,
					 const struct photon_stage_opts *opts,
					 unsigned *id);

/**
 * Makes stage `to` read stage `from`'s output. Links go from an earlier
 * stage to a later one (from < to), so a topology is acyclic by
 * construction. `to` joins its inputs in the order they are linked.
 * Needs: not started; `from` has an output (out_size > 0); `to` has a
 * function and fewer than PHOTON_TOPOLOGY_MAX_INPUTS inputs.
 * Returns PHOTON_OK, PHOTON_EINVAL or PHOTON_ENOMEM.
 */
PHOTON_API int photon_topology_link(struct photon_topology *t, unsigned from,
				    unsigned to);

/**
 * Starts one thread per stage that has a function, pinned where asked.
 * Returns PHOTON_OK; PHOTON_EINVAL (started already, no stage, a function
 * stage with neither inputs nor an output, or a CPU outside the process's
 * affinity mask: the detail names the stage); PHOTON_ESYS (thread
 * creation, errno set). On failure the threads already started are
 * stopped and joined; what is left is to destroy the topology.
 */
PHOTON_API int photon_topology_start(struct photon_topology *t);

/**
 * Publishes msg (the source's out_size bytes) from a source the user feeds
 * (a stage added without a function), with the next sequence. A lossless
 * output waits for room with the stage's idle policy.
 * Returns PHOTON_OK; PHOTON_CLOSED once the source was closed or the
 * topology is stopping (a stage failed, or photon_topology_stop), nothing
 * published; PHOTON_EINVAL (not a user-fed source, not started).
 * Thread contract: one thread at a time per source.
 */
PHOTON_API int photon_topology_publish(struct photon_topology *t,
				       unsigned source, const void *msg);

/** As photon_topology_publish, but PHOTON_FULL instead of waiting. */
PHOTON_API int photon_topology_try_publish(struct photon_topology *t,
					   unsigned source, const void *msg);

/**
 * Ends a user-fed source's stream: downstream stages drain it and end.
 * Returns PHOTON_OK, or PHOTON_EINVAL (not a user-fed source, not started).
 * Closing twice is a no-op. Thread contract: as photon_topology_publish.
 */
PHOTON_API int photon_topology_close_source(struct photon_topology *t,
					    unsigned source);

/**
 * Asks every stage to stop: sources stop producing (user-fed ones get
 * PHOTON_CLOSED from publish), and each stage exits once its inputs have
 * nothing more for it; messages still in flight may be dropped. Does not
 * wait: call photon_topology_wait. Thread-safe, callable from a stage
 * function; NULL is a no-op.
 */
PHOTON_API void photon_topology_stop(struct photon_topology *t);

/**
 * Waits for every stage thread to end and joins it. Closes the user-fed
 * sources still open first (so call it from the thread that feeds them, or
 * after that thread stopped). Returns PHOTON_OK when no stage failed,
 * otherwise the value the first failing stage returned, with
 * photon_last_error_message() naming the stage; PHOTON_EINVAL when not
 * started. Calling it again returns the same.
 */
PHOTON_API int photon_topology_wait(struct photon_topology *t);

/**
 * The first stage that failed: returns its index and stores the value it
 * returned in *code (when code is not NULL); -1 when none failed (or t is
 * NULL). Thread-safe.
 */
PHOTON_API int photon_topology_failed_stage(const struct photon_topology *t,
					    int *code);

/**
 * Copies a stage's counters into *out. Returns PHOTON_OK or PHOTON_EINVAL.
 * Thread-safe.
 */
PHOTON_API int photon_topology_stage_stats(const struct photon_topology *t,
					   unsigned stage,
					   struct photon_stage_stats *out);

/** A stage's name ("" when none was given); NULL for a bad index. */
PHOTON_API const char *
photon_topology_stage_name(const struct photon_topology *t, unsigned stage);

/** Number of stages; 0 for NULL. */
PHOTON_API size_t photon_topology_stage_count(const struct photon_topology *t);

/**
 * Stops the stages, joins them (as photon_topology_wait, which it implies),
 * closes every channel handle and frees the topology. NULL is a no-op.
 */
PHOTON_API void photon_topology_destroy(struct photon_topology *t);

PHOTON__EXTERN_C_END

#endif /* PHOTON_TOPOLOGY_H */
