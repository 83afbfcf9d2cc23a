// SPDX-License-Identifier: MIT
//
// photon/metrics.hpp: C++17 owners of the photonring-metrics objects (link
// PhotonRing::metrics, or pkg-config photon-ring-metrics): the latency
// histogram, the export registry and the StatsD sink. Header-only over
// <photon/metrics.h>; each class owns one C object, is move-only and
// frees it in its destructor. Nothing throws; factories return
// photon::result as in <photon/photon.hpp>.
//
//   auto [rc, h] = photon::histogram::create();
//   h.record(ns);                                  // inline, no call
//   auto [mrc, reg] = photon::metrics::create("app", 16);
//   reg.add(sub, { { "feed", "md" } });
//   reg.add(snapshot, { "recv_latency_seconds", nullptr, 1e-9 });
//   reg.prometheus(stdout);
//
// The thread contracts are those of the C headers: a histogram is recorded
// by one thread (read a snapshot from others: copy_from); a registry or
// StatsD sink is used by one thread at a time.
/// @file
/// The C++17 owners of the metrics companion: histogram, registry, StatsD.
#ifndef PHOTON_METRICS_HPP
#define PHOTON_METRICS_HPP

#include <photon/metrics.h>
#include <photon/photon.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <utility>

namespace photon
{

/// A log-linear latency histogram (photon/histogram.h). Move-only.
class histogram : private owner<photon_histogram, photon_histogram_destroy>
{
	using base = owner<photon_histogram, photon_histogram_destroy>;

      public:
	histogram() noexcept = default;
	/// Frees the histogram now (photon_histogram_destroy); empty after.
	/// (Not reset: photon_histogram_reset empties one, clear() here.)
	void destroy() noexcept
	{
		base::reset();
	}
	using base::get;
	using base::release;
	using base::operator bool;

	/// A histogram with sig_bits significant bits (0: the default); its
	/// one allocation. einval (sig_bits out of range) or enomem.
	static result<histogram> create(unsigned sig_bits = 0) noexcept
	{
		photon_histogram *h = nullptr;
		int rc = photon_histogram_create(&h, sig_bits);
		return { detail::st(rc), histogram(h) };
	}

	/// Records one value: O(1), inline, no allocation. ok or einval
	/// (empty).
	status record(std::uint64_t v) noexcept
	{
		return detail::st(photon_histogram_record(get(), v));
	}
	/// Records n copies of v.
	status record_n(std::uint64_t v, std::uint64_t n) noexcept
	{
		return detail::st(photon_histogram_record_n(get(), v, n));
	}
	/// The value at percentile p (0..100) by nearest rank into out: ok,
	/// empty (nothing recorded; out = 0) or einval.
	status percentile(double p, std::uint64_t &out) const noexcept
	{
		return detail::st(photon_histogram_percentile(get(), p, &out));
	}
	/// The value at percentile p, 0 when nothing was recorded.
	std::uint64_t percentile(double p) const noexcept
	{
		std::uint64_t v = 0;
		(void)photon_histogram_percentile(get(), p, &v);
		return v;
	}
	/// Values recorded.
	std::uint64_t count() const noexcept
	{
		return photon_histogram_count(get());
	}
	/// Smallest value recorded (0 while empty).
	std::uint64_t min() const noexcept
	{
		return photon_histogram_min(get());
	}
	/// Largest value recorded.
	std::uint64_t max() const noexcept
	{
		return photon_histogram_max(get());
	}
	/// Sum of the values, saturating at UINT64_MAX.
	std::uint64_t sum() const noexcept
	{
		return photon_histogram_sum(get());
	}
	/// Exact mean (0 while empty).
	double mean() const noexcept
	{
		return photon_histogram_mean(get());
	}
	/// Significant bits of the buckets.
	unsigned sig_bits() const noexcept
	{
		return photon_histogram_sig_bits(get());
	}
	/// Buckets, for bucket().
	std::size_t bucket_count() const noexcept
	{
		return photon_histogram_bucket_count(get());
	}
	/// Bucket i: its value range [lo, hi] and count. ok or einval.
	status bucket(std::size_t i, std::uint64_t &lo, std::uint64_t &hi,
		      std::uint64_t &n) const noexcept
	{
		return detail::st(
		    photon_histogram_bucket(get(), i, &lo, &hi, &n));
	}
	/// Adds every value of src (same sig_bits), as if recorded here.
	status merge(const histogram &src) noexcept
	{
		return detail::st(photon_histogram_merge(get(), src.get()));
	}
	/// Becomes an exact copy of src (a snapshot; same sig_bits), called
	/// by src's recording thread or while it is quiescent.
	status copy_from(const histogram &src) noexcept
	{
		return detail::st(photon_histogram_copy(get(), src.get()));
	}
	/// Empties the histogram (the recording thread).
	void clear() noexcept
	{
		photon_histogram_reset(get());
	}

      private:
	explicit histogram(photon_histogram *h) noexcept : base(h)
	{
	}
};

/// Labels of a registration: { { "name", "value" }, ... }. The registry
/// copies the pairs and borrows the strings, which must outlive the
/// registration.
using labels = std::initializer_list<photon_label>;

/// A registry of objects to export as Prometheus text or StatsD lines
/// (photon/export.h). Move-only; the destructor frees the registry, not
/// the objects. An object must stay alive until it is removed or the
/// registry is gone.
class metrics : public owner<photon_metrics, photon_metrics_destroy>
{
      public:
	metrics() noexcept = default;

	/// A registry of up to capacity objects; family names start with
	/// prefix and "_" (nullptr: "photon"; "": none).
	static result<metrics> create(const char *prefix,
				      std::size_t capacity) noexcept
	{
		photon_metrics *m = nullptr;
		int rc = photon_metrics_create(&m, prefix, capacity);
		return { detail::st(rc), metrics(m) };
	}

	/// Registers a subscriber's counters (photon_metrics_add_subscriber).
	template <class T>
	status add(const subscriber<T> &s, labels l = {}) noexcept
	{
		return detail::st(photon_metrics_add_subscriber(
		    get(), s.get(), l.begin(), l.size()));
	}
	/// Registers a group's counters.
	template <class T> status add(const group<T> &g, labels l = {}) noexcept
	{
		return detail::st(photon_metrics_add_group(
		    get(), g.get(), l.begin(), l.size()));
	}
	/// Registers a publisher's sequence.
	template <class T>
	status add(const publisher<T> &p, labels l = {}) noexcept
	{
		return detail::st(photon_metrics_add_publisher(
		    get(), p.get(), l.begin(), l.size()));
	}
	/// Registers a histogram as the family `<prefix>_<desc.name>`; register
	/// a snapshot when another thread records into the original.
	status add(const histogram &h, const photon_metric_histogram &desc,
		   labels l = {}) noexcept
	{
		return detail::st(photon_metrics_add_histogram(
		    get(), h.get(), &desc, l.begin(), l.size()));
	}
	/// Unregisters a handle or histogram. ok or einval (not registered).
	template <class H> status remove(const H &object) noexcept
	{
		return detail::st(photon_metrics_remove(get(), object.get()));
	}
	/// Objects registered.
	std::size_t count() const noexcept
	{
		return photon_metrics_count(get());
	}
	/// Prometheus text (format 0.0.4) into buf, snprintf-style: the whole
	/// length (>= len: truncated), or a negative status. No allocation.
	std::ptrdiff_t prometheus(char *buf, std::size_t len) const noexcept
	{
		return photon_metrics_prometheus(get(), buf, len);
	}
	/// The same text written to f: ok, einval or esys.
	status prometheus(std::FILE *f) const noexcept
	{
		return detail::st(photon_metrics_prometheus_file(get(), f));
	}

      private:
	explicit metrics(photon_metrics *m) noexcept : owner(m)
	{
	}
};

/// A StatsD sink over UDP (photon/export.h). Move-only; the destructor
/// sends what is pending and closes the socket.
class statsd : public owner<photon_statsd, photon_statsd_close>
{
      public:
	statsd() noexcept = default;

	/// A sink sending to host:port, every name behind prefix and "."
	/// (nullptr or "": none). einval, enomem or esys (the detail says).
	static result<statsd> open(const char *host, std::uint16_t port,
				   const char *prefix = nullptr) noexcept
	{
		photon_statsd *s = nullptr;
		int rc = photon_statsd_open(&s, host, port, prefix);
		return { detail::st(rc), statsd(s) };
	}

	/// Queues "name:delta|c".
	status count(const char *name, std::int64_t delta) noexcept
	{
		return detail::st(photon_statsd_count(get(), name, delta));
	}
	/// Queues "name:value|g".
	status gauge(const char *name, double value) noexcept
	{
		return detail::st(photon_statsd_gauge(get(), name, value));
	}
	/// Queues "name:ms|ms".
	status timing(const char *name, double ms) noexcept
	{
		return detail::st(photon_statsd_timing(get(), name, ms));
	}
	/// Sends the pending datagram.
	status flush() noexcept
	{
		return detail::st(photon_statsd_flush(get()));
	}
	/// Sends every object of the registry, then flushes (send one
	/// registry to one sink: the counters' increases live in it).
	status send(metrics &m) noexcept
	{
		return detail::st(photon_statsd_send_metrics(get(), m.get()));
	}

	/// Sends what is pending and closes now; empty after.
	void close() noexcept
	{
		reset();
	}

      private:
	explicit statsd(photon_statsd *s) noexcept : owner(s)
	{
	}
};

} // namespace photon

#endif // PHOTON_METRICS_HPP
