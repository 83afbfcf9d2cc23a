/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Export of counters and histograms (photonring-metrics: link
 * PhotonRing::metrics, or pkg-config photon-ring-metrics).
 *
 * A struct photon_metrics registry lists the objects to export
 * (subscribers, groups, publishers, histograms), each with its labels; it
 * renders them as one Prometheus text exposition (format 0.0.4) into a
 * caller's buffer or a FILE *, or sends them as StatsD lines over UDP.
 * Neither allocates on the render path.
 *
 * Thread contract. Subscriber and group counters and a publisher's sequence
 * are read with atomic loads, so a monitoring thread may render or send
 * them while those handles are in use (but not close them meanwhile). A
 * registered histogram is read as photon/histogram.h allows: register a
 * snapshot to export from a thread that is not its recorder. A registry or
 * StatsD handle is used by one thread at a time.
 */
#ifndef PHOTON_EXPORT_H
#define PHOTON_EXPORT_H

#include <stdio.h>

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_subscriber;
struct photon_group;
struct photon_publisher;
struct photon_histogram;

/**
 * A Prometheus label. Names match [a-zA-Z_][a-zA-Z0-9_]* and do not start
 * with "__"; values are any string (escaped on output). The registry copies
 * the pairs but borrows the strings: they must outlive the registration.
 */
struct photon_label {
	const char *name;  /**< Label name. */
	const char *value; /**< Label value. */
};

/** Most labels of one registered object. */
#define PHOTON_METRICS_MAX_LABELS 8

/**
 * How a histogram is exported. Zero-initialise, set name; the struct only
 * grows at the end, into `reserved`, which must be zero.
 */
struct photon_metric_histogram {
	/** Family name after the registry prefix, [a-zA-Z_:][a-zA-Z0-9_:]*,
	 * for example "recv_latency_seconds". */
	const char *name;
	/** `# HELP` text; NULL: a generic one. Borrowed. */
	const char *help;
	/**
	 * Exported value = recorded value * scale. Prometheus convention is
	 * seconds: 1e-9 for nanoseconds, 1e-9 / ticks_per_ns for TSC ticks.
	 * 0 means 1 (export the raw values). Positive and finite otherwise.
	 */
	double scale;
	/**
	 * The le bounds in exported units, finite and strictly increasing;
	 * +Inf is added. NULL (with nbounds 0): 1, 2.5, 5 x 10^k seconds
	 * from 10 ns to 10 s (28 bounds). Borrowed.
	 */
	const double *bounds;
	size_t nbounds;	      /**< Entries in bounds. */
	uint64_t reserved[4]; /**< Zero: room to grow. */
};

struct photon_metrics;

/**
 * A registry of up to capacity objects, allocated once here. Family names
 * start with prefix and "_" (NULL: "photon"; "": no prefix). PHOTON_OK,
 * PHOTON_EINVAL (NULL out, capacity 0, a prefix that is not a metric name)
 * or PHOTON_ENOMEM.
 */
PHOTON_API int photon_metrics_create(struct photon_metrics **out,
				     const char *prefix, size_t capacity);

/** Frees the registry (not the objects). NULL is a no-op. */
PHOTON_API void photon_metrics_destroy(struct photon_metrics *m);

/** @{ */
/**
 * Registers a subscriber, group or publisher with up to
 * PHOTON_METRICS_MAX_LABELS labels (labels may be NULL when nlabels is 0).
 * The handle must stay open until photon_metrics_remove(). PHOTON_OK,
 * PHOTON_EINVAL (NULL, bad or duplicate label name, too many labels, object
 * already registered) or PHOTON_ENOMEM (registry full).
 *
 * @code{.unparsed}
 *   subscriber: <prefix>_subscriber_received_total, _lagged_total (counters:
 *               messages delivered, messages lost to overruns),
 *               _receive_ratio, _pending (gauges)
 *   group:      <prefix>_group_* as above, plus _members (gauge)
 *   publisher:  <prefix>_publisher_published_total (counter: the sequence)
 * @endcode
 */
PHOTON_API int photon_metrics_add_subscriber(struct photon_metrics *m,
					     const struct photon_subscriber *s,
					     const struct photon_label *labels,
					     size_t nlabels);
PHOTON_API int photon_metrics_add_group(struct photon_metrics *m,
					const struct photon_group *g,
					const struct photon_label *labels,
					size_t nlabels);
PHOTON_API int photon_metrics_add_publisher(struct photon_metrics *m,
					    const struct photon_publisher *p,
					    const struct photon_label *labels,
					    size_t nlabels);
/** @} */

/**
 * Registers a histogram as the family `<prefix>_<desc->name>` (type
 * histogram: `_bucket{le=...}`, `_sum`, `_count`). Histograms registered under
 * one name form one family (HELP from the first) and need distinct label
 * sets; "le" is not allowed as a label. Codes as above, and PHOTON_EINVAL
 * for a bad scale or bounds, or a name that is not a metric name, is a
 * built-in family, or ends in _bucket, _sum, _count or _total. See the
 * thread contract: register a snapshot to export from a thread that is not
 * the recorder.
 */
PHOTON_API int
photon_metrics_add_histogram(struct photon_metrics *m,
			     const struct photon_histogram *h,
			     const struct photon_metric_histogram *desc,
			     const struct photon_label *labels, size_t nlabels);

/** Unregisters object (a handle or histogram), for example before closing it.
 * PHOTON_OK or PHOTON_EINVAL (NULL, not registered). */
PHOTON_API int photon_metrics_remove(struct photon_metrics *m,
				     const void *object);

/** Entries registered. 0 for NULL. */
PHOTON_API size_t photon_metrics_count(const struct photon_metrics *m);

/**
 * Renders every registered object as Prometheus text exposition format
 * 0.0.4 into buf, snprintf-style: writes at most len bytes including the
 * terminating NUL (nothing when len is 0; buf may then be NULL) and returns
 * the length of the whole text, excluding the NUL. A result >= len means it
 * was truncated. PHOTON_EINVAL for NULL m (or NULL buf with len > 0). No
 * allocation.
 */
PHOTON_API ptrdiff_t photon_metrics_prometheus(const struct photon_metrics *m,
					       char *buf, size_t len);

/** The same text written to f. PHOTON_OK, PHOTON_EINVAL or PHOTON_ESYS
 * (a write failed; errno preserved). */
PHOTON_API int photon_metrics_prometheus_file(const struct photon_metrics *m,
					      FILE *f);

/* ---- StatsD ---- */

/** Largest datagram: fits a 1500-byte Ethernet MTU with IPv6 and UDP
 * headers. Lines are batched into datagrams of at most this size. */
#define PHOTON_STATSD_MTU 1432

struct photon_statsd;

/**
 * A StatsD sink sending UDP datagrams to host:port (a numeric address or a
 * name for getaddrinfo). Every metric name gets prefix and "." in front
 * (NULL or "": nothing). PHOTON_OK, PHOTON_EINVAL (NULL, port 0, a prefix
 * with ':', '|', '@' or a newline), PHOTON_ENOMEM or PHOTON_ESYS (resolving
 * or socket() failed; the detail message says which).
 */
PHOTON_API int photon_statsd_open(struct photon_statsd **out, const char *host,
				  uint16_t port, const char *prefix);

/** Sends what is pending, closes the socket, frees the handle. NULL: no-op. */
PHOTON_API void photon_statsd_close(struct photon_statsd *s);

/** @{ */
/**
 * Queue one line: "name:delta|c", "name:value|g", "name:ms|ms". A line that
 * does not fit the pending datagram sends it first. PHOTON_OK, PHOTON_EINVAL
 * (NULL, a name that is empty or holds ':', '|', '@' or a newline, a value
 * that is not finite, a line longer than PHOTON_STATSD_MTU) or PHOTON_ESYS
 * (sending the full datagram failed; the new line is still queued).
 */
PHOTON_API int photon_statsd_count(struct photon_statsd *s, const char *name,
				   int64_t delta);
PHOTON_API int photon_statsd_gauge(struct photon_statsd *s, const char *name,
				   double value);
PHOTON_API int photon_statsd_timing(struct photon_statsd *s, const char *name,
				    double ms);
/** @} */

/** Sends the pending datagram, if any. PHOTON_OK, PHOTON_EINVAL or
 * PHOTON_ESYS (errno preserved; the datagram is dropped). */
PHOTON_API int photon_statsd_flush(struct photon_statsd *s);

/**
 * Sends every object of the registry, then flushes. Names are
 * `[<sink prefix>.][<registry prefix>.]<kind>.<label values>.<metric>`, e.g.
 * "app.photon.subscriber.md.a.received", label values in registration
 * order with characters outside `[A-Za-z0-9_-]` replaced by '_':
 *
 * @code{.unparsed}
 *   subscriber, group: received, lagged (counters: the increase since the
 *                      last send), receive_ratio, pending (gauges);
 *                      a group also members (gauge)
 *   publisher:         published (counter, increase)
 *   histogram:         <name>.<labels>.count (counter, increase) and
 *                      p50, p90, p99, p999, max as gauges of value * scale
 *                      * 1000 (milliseconds when scale gives seconds).
 * @endcode
 *
 * Percentiles go as gauges, not as "|ms" timers, which the server would
 * aggregate again (percentiles of percentiles). The increases are kept in
 * the registry, so send one registry to one sink. PHOTON_OK, PHOTON_EINVAL
 * or PHOTON_ESYS (a datagram could not be sent; the rest are still sent).
 */
PHOTON_API int photon_statsd_send_metrics(struct photon_statsd *s,
					  struct photon_metrics *m);

PHOTON__EXTERN_C_END

#endif /* PHOTON_EXPORT_H */
