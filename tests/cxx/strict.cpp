// SPDX-License-Identifier: MIT
// Built by tests/strict.cmake with g++ and clang++, -O0 and -O2, through a
// plain -I and -Werror with -Wall -Wextra -Wpedantic -Wold-style-cast
// -Wcast-align -Wconversion -Wshadow: every public header, every member of
// the handle templates (explicit instantiation for the members, a call for
// each member template) and the typed C macros and PHOTON_TOPIC expanded
// in C++. Compiled,
// not run: what it checks is the compilers' silence.
#include <photon/metrics.hpp>
#include <photon/photon.h>
#include <photon/photon.hpp>
#include <photon/topology.hpp>

#include <chrono>
#include <cstdint>

struct Quote {
	double bid;
	double ask;
	std::uint64_t id;
};

// Odd size and alignment 1: the tail-word paths of the copies.
struct Odd {
	char c[13];
};

// Larger than the typed poll's stack buffer.
struct Big {
	std::uint64_t w[200];
};

#define PHOTON_STRICT_INSTANTIATE(T)                             \
	template class photon::channel<T>;                       \
	template class photon::publisher<T>;                     \
	template class photon::subscriber<T>;                    \
	template class photon::group<T>;                         \
	template class photon::reader<T, photon::subscriber<T>>; \
	template class photon::reader<T, photon::group<T>>;      \
	template struct photon::recv_result<T>;                  \
	template struct photon::result<photon::channel<T>>;      \
	template struct photon::topic<T>

PHOTON_STRICT_INSTANTIATE(Quote);
PHOTON_STRICT_INSTANTIATE(Odd);
PHOTON_STRICT_INSTANTIATE(Big);

PHOTON_DEFINE_TYPED(quote, Quote);
PHOTON_DEFINE_TYPED(odd, Odd);
PHOTON_DEFINE_TYPED(big, Big);
PHOTON_TOPIC(strict_quotes, "md.quotes", Quote);
PHOTON_TOPIC_EXTERN(strict_quotes, Quote);

namespace
{

// The member templates of a reader, with the kinds of argument users pass.
template <class T, class R> long readers(R &r)
{
	using namespace std::chrono_literals;
	T v{};
	long n = 0;
	photon_wait w{};

	n += static_cast<long>(r.recv_for(v, 1ms));
	n += static_cast<long>(r.recv_for(v, 0.5s, &w));
	n += static_cast<long>(r.recv_for(v, std::chrono::microseconds(3)));
	n += static_cast<long>(
	    r.recv_until(v, std::chrono::steady_clock::now() + 1ms));
	n += static_cast<long>(
	    r.recv_until(v, std::chrono::system_clock::now(), &w));
	n += r.poll([](const T &, std::uint64_t) {}, 8);
	n += r.poll([](const T &, std::uint64_t seq) { return seq > 3; }, 8);
	const auto stop = [](const T &, std::uint64_t) { return 1; };
	n += r.poll(stop, 1);
	return n;
}

constexpr photon::topic<Quote> quotes{ "md.quotes", "Quote" };

} // namespace

int strict_main();
int strict_main()
{
	auto ch = photon::channel<Quote>::create(64).value;
	auto sub = ch.subscribe().value;
	auto grp = ch.subscribe_group(2).value;
	long n = readers<Quote>(sub) + readers<Quote>(grp);
	auto odd = photon::channel<Odd>::create(8).value.subscribe().value;
	n += readers<Odd>(odd);
	auto big =
	    photon::channel<Big>::create(8).value.subscribe_group(1).value;
	n += readers<Big>(big);

	auto bus = photon::bus::create(64, 8).value;
	auto bch = bus.open(quotes).value;
	auto bpub = bus.open_publisher(quotes).value;
	auto bsub = bus.subscribe(quotes).value;

	auto hist = photon::histogram::create().value;
	auto reg = photon::metrics::create(nullptr, 4).value;
	photon_metric_histogram desc{};
	desc.name = "lat";
	n += static_cast<long>(reg.add(bsub, { { "a", "b" } }));
	n += static_cast<long>(reg.add(grp));
	n += static_cast<long>(reg.add(bpub));
	n += static_cast<long>(reg.add(hist, desc));
	n += static_cast<long>(reg.remove(bsub));
	n += static_cast<long>(reg.remove(hist));

	auto topo = photon::topology::create().value;
	photon_stage_opts o{};
	unsigned id = 0;
	auto stage = [](std::uint64_t, const void *const *, void *) {
		return 0;
	};
	n += static_cast<long>(topo.add_stage(o, stage, &id));
	const auto cstage = stage;
	n += static_cast<long>(topo.add_stage(o, cstage, &id));
	n += static_cast<long>(topo.publish(id, Quote{}));
	n += static_cast<long>(topo.try_publish(id, std::uint64_t{ 1 }));
	return static_cast<int>(n);
}
