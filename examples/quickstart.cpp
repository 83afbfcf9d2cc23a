// The README's C++ tour: a typed channel, a reader thread, batch receive
// with sequence numbers, a timed wait. Builds warning-free with g++ and
// clang++ (tests/strict.cmake).
#include <photon/photon.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <thread>

struct Quote {
	std::uint64_t id;
	double bid, ask;
};

int main()
{
	using namespace std::chrono_literals;
	auto [rc, ch] = photon::channel<Quote>::create(1024); // lossy
	if (rc != photon::status::ok) {
		std::fprintf(stderr, "create: %s: %s\n", photon::to_string(rc),
			     photon::last_error_message());
		return 1;
	}
	auto pub = ch.open_publisher().value; // RAII, move-only
	auto sub = ch.subscribe().value;
	auto grp = ch.subscribe_group(4).value; // 4 consumers, 1 cursor

	// A handle moves to the thread that uses it. A structured binding
	// (ch) cannot be captured in C++17 (clang refuses, g++ accepts):
	// capture it through an initialiser.
	std::thread reader([&ch = ch, grp = std::move(grp)]() mutable {
		Quote q{};
		while (grp.recv_for(q, 1s) == photon::status::ok)
			std::printf("group of %zu got #%llu (of %zu slots)\n",
				    grp.size(),
				    static_cast<unsigned long long>(q.id),
				    ch.capacity());
	});

	for (std::uint64_t i = 0; i < 3; i++)
		if (pub.publish(Quote{ i, 99.5, 100.5 }) != photon::status::ok)
			return 1;

	// Everything waiting, each message with its sequence number.
	long n = sub.poll(
	    [](const Quote &q, std::uint64_t seq) {
		    std::printf("seq %llu: #%llu %.2f/%.2f\n",
				static_cast<unsigned long long>(seq),
				static_cast<unsigned long long>(q.id), q.bid,
				q.ask);
	    },
	    64);
	if (auto r = sub.try_recv(); r.code == photon::status::lagged)
		std::printf("lost %llu\n",
			    static_cast<unsigned long long>(r.skipped));

	pub.close(); // readers drain, then see closed
	reader.join();
	std::printf("polled %ld, position %llu\n", n,
		    static_cast<unsigned long long>(sub.position()));
	return 0;
}
