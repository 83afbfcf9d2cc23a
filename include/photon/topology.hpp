// SPDX-License-Identifier: MIT
//
// photon/topology.hpp: a C++17 owner of a photonring-topology graph (link
// PhotonRing::topology, or pkg-config photon-ring-topology). Header-only
// over <photon/topology.h>; move-only, and the destructor stops, joins and
// frees the topology as photon_topology_destroy does. Nothing throws.
//
//   auto [rc, t] = photon::topology::create();
//   auto parse = [](std::uint64_t seq, const void *const *in, void *out) {
//           ...; return PHOTON_OK; };
//   unsigned a, b;
//   photon_stage_opts o{};
//   o.name = "parse";
//   o.out_size = sizeof(Tick);
//   t.add_stage(o, &a);                       // a source the user feeds
//   o = photon_stage_opts{};
//   t.add_stage(o, parse, &b);                // a stage running `parse`
//   t.link(a, b);
//   t.start();
//
// A stage function given as a callable is called as
// f(std::uint64_t seq, const void *const *in, void *out) and returns an int
// (PHOTON_OK, PHOTON_STAGE_SKIP, PHOTON_STAGE_END, or a failure), as the C
// photon_stage_fn does. The topology keeps a pointer to it: it must outlive
// the topology (or its wait()), and must not throw.
/// @file
/// The C++17 owner of a topology of stage threads.
#ifndef PHOTON_TOPOLOGY_HPP
#define PHOTON_TOPOLOGY_HPP

#include <photon/photon.hpp>
#include <photon/topology.h>

#include <cstddef>
#include <cstdint>
#include <utility>

namespace photon
{

/// A graph of stage threads joined by channels (photon/topology.h).
class topology : public owner<photon_topology, photon_topology_destroy>
{
      public:
	topology() noexcept = default;

	/// An empty topology.
	static result<topology> create() noexcept
	{
		photon_topology *t = nullptr;
		int rc = photon_topology_create(&t);
		return { detail::st(rc), topology(t) };
	}

	/// Adds a stage from C options (fn and ctx as given; no fn: a source
	/// the user feeds); its index goes to *id.
	status add_stage(const photon_stage_opts &o, unsigned *id) noexcept
	{
		return detail::st(photon_topology_add_stage(get(), &o, id));
	}
	/// Adds a stage running f (see the top of this header); o.fn and
	/// o.ctx are replaced. f is borrowed: it must outlive the topology.
	template <class F>
	status add_stage(photon_stage_opts o, F &f, unsigned *id) noexcept
	{
		o.fn = &call<F>;
		o.ctx = const_cast<void *>(static_cast<const void *>(&f));
		return detail::st(photon_topology_add_stage(get(), &o, id));
	}
	/// Makes stage `to` read stage `from`'s output (from < to).
	status link(unsigned from, unsigned to) noexcept
	{
		return detail::st(photon_topology_link(get(), from, to));
	}
	/// Starts one thread per stage with a function.
	status start() noexcept
	{
		return detail::st(photon_topology_start(get()));
	}
	/// Publishes msg (the source's out_size bytes) from a user-fed
	/// source, waiting for room on a lossless output.
	template <class M>
	status publish(unsigned source, const M &msg) noexcept
	{
		return detail::st(photon_topology_publish(get(), source, &msg));
	}
	/// As publish, but full instead of waiting.
	template <class M>
	status try_publish(unsigned source, const M &msg) noexcept
	{
		return detail::st(
		    photon_topology_try_publish(get(), source, &msg));
	}
	/// Ends a user-fed source's stream.
	status close_source(unsigned source) noexcept
	{
		return detail::st(photon_topology_close_source(get(), source));
	}
	/// Asks every stage to stop (does not wait). Thread-safe.
	void stop() noexcept
	{
		photon_topology_stop(get());
	}
	/// Waits for every stage and joins it: ok, or the value the first
	/// failing stage returned, as an int (a stage's own code need not be
	/// a status).
	int wait() noexcept
	{
		return photon_topology_wait(get());
	}
	/// The first stage that failed (its value into *code), or -1.
	int failed_stage(int *code = nullptr) const noexcept
	{
		return photon_topology_failed_stage(get(), code);
	}
	/// A stage's counters.
	status stage_stats(unsigned stage,
			   photon_stage_stats &out) const noexcept
	{
		return detail::st(
		    photon_topology_stage_stats(get(), stage, &out));
	}
	/// A stage's name; nullptr for a bad index.
	const char *stage_name(unsigned stage) const noexcept
	{
		return photon_topology_stage_name(get(), stage);
	}
	/// Stages added.
	std::size_t stage_count() const noexcept
	{
		return photon_topology_stage_count(get());
	}

      private:
	explicit topology(photon_topology *t) noexcept : owner(t)
	{
	}
	template <class F>
	static int call(void *ctx, std::uint64_t seq, const void *const *in,
			void *out) noexcept
	{
		return (*static_cast<F *>(ctx))(seq, in, out);
	}
};

} // namespace photon

#endif // PHOTON_TOPOLOGY_HPP
