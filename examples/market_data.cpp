// SPDX-License-Identifier: MIT
//
// market_data (C++17): examples/market_data.c with photon/photon.hpp. One
// publisher of quotes fanned out to independent subscribers and to one
// subscriber group on a lossy channel; every consumer checks that each
// quote carries the sequence it expected (a lagged read moves the
// expectation on by the messages lost), and measures one-way latency from
// the publisher's TSC stamp to the read, into a photon::histogram.
//
//   market_data_cpp [--messages N] [--subscribers K] [--group N]
//                   [--gap-ns G] [--capacity C] [--oversubscribe]
//
// By default the layout fits the machine, as the C demo's does: the
// publisher and one spinning subscriber per CPU left (up to 3), pinned; the
// group spins on a CPU of its own if one is left, else it sleeps when
// idle. --oversubscribe (or --subscribers/--group) runs every consumer
// whatever the CPUs, sleeping when idle: its latency is then OS wake-ups.
//
// Exit status: 0 when every consumer saw its quotes in order and the counts
// add up, 1 when not, 2 on bad arguments or a failed setup.
#include <photon/metrics.hpp>
#include <photon/photon.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace
{

// Plain data: a torn read is never delivered, but keep it harmless.
struct Quote {
	std::uint64_t seq;   // the channel's sequence
	std::uint64_t stamp; // TSC ticks just before publish
	double bid;
	double ask;
	std::uint32_t instrument;
	std::uint32_t bid_size;
	std::uint32_t ask_size;
	std::uint32_t flags;
};

struct Config {
	std::uint64_t messages = 2000000;
	unsigned subscribers = 3;
	unsigned group = 4; // members; 0: no group
	std::uint64_t gap_ns = 1000;
	std::size_t capacity = 65536;
	bool chosen = false; // the layout came from the command line
	bool oversubscribe = false;
};

// What one consumer thread measured; written by it, read after join.
struct Result {
	std::string name;
	int cpu = -1; // -1: not pinned
	bool sleepy = false;
	photon::histogram latency; // ticks
	std::uint64_t delivered = 0, lagged = 0, bad = 0;
	std::uint64_t first = 0, last = 0;
	std::uint64_t lib_received = 0, lib_lagged = 0;
	double ratio = 0;
};

void relax() noexcept
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

// The receive loop, for a subscriber or a group alike (detail::reader).
template <class Reader>
void consume(Reader &r, Result &res, std::uint64_t messages)
{
	std::uint64_t expect = 0;
	unsigned idle = 0;
	Quote q{};

	for (;;) {
		photon::status st = r.try_recv(q);
		if (st == photon::status::ok) {
			std::uint64_t t = photon_tsc_now();
			if (q.seq != expect || res.delivered >= messages)
				res.bad++;
			expect = q.seq + 1;
			if (res.delivered++ == 0)
				res.first = t;
			res.last = t;
			(void)res.latency.record(t > q.stamp ? t - q.stamp : 0);
			idle = 0;
		} else if (st == photon::status::lagged) {
			res.lagged +=
			    r.last_skipped(); // skipped, not delivered
			expect += r.last_skipped();
		} else if (st == photon::status::empty) {
			if (res.sleepy && ++idle > 256) // no CPU of its own
				std::this_thread::sleep_for(
				    std::chrono::milliseconds(1));
			else
				relax();
		} else {
			if (st != photon::status::closed)
				res.bad++;
			break;
		}
	}
	res.lib_received = r.received();
	res.lib_lagged = r.lagged();
	res.ratio = r.receive_ratio();
}

bool parse(int argc, char **argv, Config &cfg)
{
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--oversubscribe") {
			cfg.oversubscribe = true;
			continue;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '-')
			return false;
		char *end = nullptr;
		unsigned long long v = std::strtoull(argv[++i], &end, 10);
		if (*end)
			return false;
		if (a == "--messages" && v > 0)
			cfg.messages = v;
		else if (a == "--subscribers" && v <= 64)
			cfg.subscribers = static_cast<unsigned>(v),
			cfg.chosen = true;
		else if (a == "--group" && v <= 1024)
			cfg.group = static_cast<unsigned>(v), cfg.chosen = true;
		else if (a == "--gap-ns" && v <= 1000000000u)
			cfg.gap_ns = v;
		else if (a == "--capacity")
			cfg.capacity = static_cast<std::size_t>(v);
		else
			return false;
	}
	return cfg.subscribers + cfg.group > 0;
}

} // namespace

int main(int argc, char **argv)
{
	Config cfg;
	if (!parse(argc, argv, cfg)) {
		std::fprintf(stderr,
			     "usage: market_data_cpp [--messages N] "
			     "[--subscribers K] [--group N] [--gap-ns G]\n"
			     "                       [--capacity C] "
			     "[--oversubscribe]\n");
		return 2;
	}
	std::vector<unsigned> cpus(photon_core_count());
	cpus.resize(photon_available_cores(cpus.data(), cpus.size()));
	const unsigned ncpus = static_cast<unsigned>(cpus.size());
	const bool fit = !cfg.chosen && !cfg.oversubscribe && ncpus >= 2;
	bool group_cpu = false;
	if (fit) {
		cfg.subscribers = std::min(ncpus - 1, 3u);
		group_cpu = ncpus - 1 > cfg.subscribers;
	}
	const unsigned nconsumers = cfg.subscribers + (cfg.group ? 1 : 0);
	const bool crowded = nconsumers + 1 > ncpus;

	double ticks_per_ns = 1.0;
	if (photon_tsc_calibrate(&ticks_per_ns, 100000000) != PHOTON_OK)
		ticks_per_ns = 1.0;
	std::printf("market_data_cpp: libphotonring %s, %u CPUs, clock %s "
		    "%.3f MHz\n",
		    photon_version_string(), ncpus, photon_tsc_source(),
		    ticks_per_ns * 1e3);
	std::printf("settings:  %" PRIu64 " quotes of %zu bytes, lossy ring "
		    "of %zu slots, gap %" PRIu64 " ns\n",
		    cfg.messages, sizeof(Quote), cfg.capacity, cfg.gap_ns);
	std::printf("layout:    %u subscriber%s + %s, %s\n", cfg.subscribers,
		    cfg.subscribers == 1 ? "" : "s",
		    cfg.group ? "a group" : "no group",
		    fit ? (group_cpu ? "one spinning pinned reader per CPU"
				     : "spinning pinned subscribers; the "
				       "group sleeps 1 ms when idle (no CPU "
				       "left)")
			: (crowded ? "more threads than CPUs: idle readers "
				     "sleep, latency is OS wake-ups"
				   : "unpinned, spinning"));

	auto [rc, ch] = photon::channel<Quote>::create(cfg.capacity);
	if (rc != photon::status::ok) {
		std::fprintf(stderr, "market_data_cpp: %s (%s)\n",
			     photon::to_string(rc),
			     photon::last_error_message());
		return 2;
	}
	auto pub = ch.open_publisher().value;

	// Every reader subscribes here, before the first quote, then moves
	// to its thread with the handle.
	std::vector<Result> results(nconsumers);
	std::vector<std::thread> threads;
	std::atomic<unsigned> ready{ 0 };
	bool setup = true;
	for (unsigned i = 0; i < nconsumers && setup; i++) {
		Result &res = results[i];
		const bool is_group = i == cfg.subscribers;
		res.name = is_group ? "group x" + std::to_string(cfg.group)
				    : "subscriber " + std::to_string(i);
		res.sleepy = fit ? is_group && !group_cpu : crowded;
		if (fit && !res.sleepy)
			res.cpu = static_cast<int>(cpus[1 + i]);
		auto hrc = photon::histogram::create();
		res.latency = std::move(hrc.value);
		auto work = [&res, &ready, n = cfg.messages](auto reader) {
			if (res.cpu >= 0 &&
			    photon_pin_to_core(
				static_cast<unsigned>(res.cpu)) != PHOTON_OK)
				res.cpu = -1;
			ready.fetch_add(1, std::memory_order_release);
			consume(reader, res, n);
		};
		if (is_group) {
			auto g = ch.subscribe_group(cfg.group);
			if ((setup = g && res.latency))
				threads.emplace_back(work, std::move(g.value));
		} else {
			auto s = ch.subscribe();
			if ((setup = s && res.latency))
				threads.emplace_back(work, std::move(s.value));
		}
	}
	if (!setup) {
		std::fprintf(stderr, "market_data_cpp: setup: %s\n",
			     photon::last_error_message());
		pub.close();
		for (auto &th : threads)
			th.join();
		return 2;
	}

	// The publisher: this thread, pinned to the first CPU when fitted.
	if (fit)
		(void)photon_pin_to_core(cpus[0]);
	while (ready.load(std::memory_order_acquire) < nconsumers)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	const auto gap = static_cast<std::uint64_t>(
	    static_cast<double>(cfg.gap_ns) * ticks_per_ns);
	std::uint64_t t0 = 0, t = 0, next = photon_tsc_now(), published = 0;
	for (std::uint64_t i = 0; i < cfg.messages; i++) {
		while (gap && photon_tsc_now() < next)
			relax();
		Quote q{};
		q.seq = i;
		q.instrument = static_cast<std::uint32_t>(i % 64);
		q.bid = 100.0 + static_cast<double>(i % 1000) * 0.01;
		q.ask = q.bid + 0.02;
		q.bid_size = 100 + static_cast<std::uint32_t>(i % 7) * 100;
		q.ask_size = 100 + static_cast<std::uint32_t>(i % 5) * 100;
		t = q.stamp = photon_tsc_now();
		if (pub.publish(q) != photon::status::ok)
			break;
		if (i == 0)
			t0 = t;
		published++;
		next = t + gap;
	}
	pub.close(); // readers drain, then see closed
	for (auto &th : threads)
		th.join();

	const double ns_per_tick = 1.0 / ticks_per_ns;
	const double pub_s = static_cast<double>(t - t0) * ns_per_tick * 1e-9;
	std::printf("publisher: %" PRIu64 " quotes in %.3f s (%.0f msg/s)\n\n",
		    published, pub_s,
		    pub_s > 0 ? static_cast<double>(published - 1) / pub_s
			      : 0.0);
	std::printf("%-14s %3s %10s %8s %7s %9s %7s %7s %7s %8s %9s\n",
		    "consumer", "cpu", "delivered", "lagged", "ratio", "msg/s",
		    "p50", "p90", "p99", "p99.9", "max (ns)");
	bool ok = true;
	for (const Result &r : results) {
		auto ns = [&](double p) {
			return static_cast<double>(r.latency.percentile(p)) *
			       ns_per_tick;
		};
		const double secs =
		    static_cast<double>(r.last - r.first) * ns_per_tick * 1e-9;
		const double rate =
		    r.delivered > 1 && secs > 0
			? static_cast<double>(r.delivered - 1) / secs
			: 0.0;
		std::printf("%-14s %3s %10" PRIu64 " %8" PRIu64
			    " %7.4f %9.0f %7.0f %7.0f %7.0f %8.0f %9.0f\n",
			    r.name.c_str(),
			    r.cpu < 0 ? "-" : std::to_string(r.cpu).c_str(),
			    r.delivered, r.lagged, r.ratio, rate, ns(50),
			    ns(90), ns(99), ns(99.9), ns(100));
		if (r.bad || r.delivered + r.lagged != published ||
		    r.lib_received != r.delivered || r.lib_lagged != r.lagged) {
			std::printf(
			    "  %s: %" PRIu64 " out of order; delivered "
			    "%" PRIu64 " + lagged %" PRIu64
			    " vs published %" PRIu64 "; library says %" PRIu64
			    " + %" PRIu64 "\n",
			    r.name.c_str(), r.bad, r.delivered, r.lagged,
			    published, r.lib_received, r.lib_lagged);
			ok = false;
		}
	}
	std::printf("\n%s\n", ok ? "ok: every consumer saw its quotes in "
				   "order; delivered + lagged = published"
				 : "FAILED");
	return ok ? 0 : 1;
}
