// SPDX-License-Identifier: MIT
//
// shm_feed.cpp: examples/shm_feed.c in C++17 with <photon/photon.hpp>. A feed
// process creates a bounded shared channel, starts two strategy processes by
// fork + exec of itself (/proc/self/exe strategy NAME ID QUOTES), waits until
// both have subscribed (one byte each through a pipe), publishes its quotes
// and closes the channel. Each strategy checks the sequence, keeps the last
// mid price of every symbol and counts crossed books, and reports one-way
// latency in nanoseconds of std::chrono::steady_clock (CLOCK_MONOTONIC on
// Linux: one clock for every process). A strategy whose feed died without
// closing the channel reads closed, sees abandoned() and exits 1.
//
//   shm_feed_cpp [--quotes N]
//
// Exit status: 0 when both strategies saw every quote once and in order, 1
// when not, 2 on bad arguments or a failed setup.
#include <photon/photon.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace
{

// 40 bytes: with the stamp, one 64-byte slot. Plain data only.
struct Quote {
	std::uint64_t seq;     // 0, 1, 2 ...: the feed's sequence
	std::uint64_t sent_ns; // steady_clock just before publish
	double bid;
	double ask;
	std::uint32_t symbol;
	std::uint16_t bid_size;
	std::uint16_t ask_size;
};
static_assert(sizeof(Quote) == 40);

constexpr int strategies = 2;
constexpr std::uint32_t symbols = 16;
constexpr std::uint64_t cross_every = 1000; // every 1000th quote is crossed
constexpr int ready_fd = 3; // the strategy's end of the ready pipe

using photon::status;

std::uint64_t now_ns()
{
	using namespace std::chrono;
	return static_cast<std::uint64_t>(
	    duration_cast<nanoseconds>(steady_clock::now().time_since_epoch())
		.count());
}

Quote make_quote(std::uint64_t seq)
{
	Quote q{};
	q.seq = seq;
	q.symbol = static_cast<std::uint32_t>(seq % symbols);
	q.bid = 100.0 + 10.0 * q.symbol + double(seq % 200) * 0.01;
	q.ask =
	    seq % cross_every == cross_every - 1 ? q.bid - 0.01 : q.bid + 0.02;
	q.bid_size = static_cast<std::uint16_t>(100 * (1 + seq % 5));
	q.ask_size = static_cast<std::uint16_t>(100 * (1 + seq % 3));
	return q;
}

bool parse_u64(const char *s, std::uint64_t &out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end;
	errno = 0;
	out = std::strtoull(s, &end, 10);
	return !*end && !errno;
}

int strategy(const char *name, int id, std::uint64_t quotes)
{
	auto [orc, ch] = photon::channel<Quote>::shm_open(name);
	auto [src, sub] = ch.subscribe();
	if (!sub) {
		std::fprintf(stderr, "strategy %d: %s: %s (%s)\n", id, name,
			     photon::to_string(orc != status::ok ? orc : src),
			     photon::last_error_message());
		return 2;
	}
	// Subscribed: the channel now holds every quote for us.
	signal(SIGPIPE, SIG_IGN);
	const char ready = static_cast<char>('0' + id);
	if (write(ready_fd, &ready, 1) != 1)
		std::perror("strategy: ready pipe");
	close(ready_fd);

	// Fixed memory whatever the count; values within 0.4 %.
	photon_histogram *h = nullptr;
	if (photon_histogram_create(&h, 0) != PHOTON_OK)
		return 2;
	std::unique_ptr<photon_histogram, void (*)(photon_histogram *)> lat(
	    h, photon_histogram_destroy);
	std::uint64_t received = 0;
	std::array<double, symbols> last_mid{};
	std::uint64_t expect = 0, errors = 0, crossed = 0;
	photon_wait park{};
	park.kind = PHOTON_WAIT_PARK; // spins first, then sleeps
	for (;;) {
		Quote q;
		// The inline receive, then the exported wait, which also
		// notices a dead feed (the inline one never looks).
		auto st = sub.try_recv(q);
		if (st == status::empty)
			st = sub.recv(q, &park);
		if (st == status::closed)
			break;
		if (st != status::ok) {
			errors++;
			continue;
		}
		const std::uint64_t t = now_ns();
		errors += q.seq != expect || q.symbol != q.seq % symbols;
		expect = q.seq + 1;
		photon_histogram_record(lat.get(),
					t > q.sent_ns ? t - q.sent_ns : 0);
		received++;
		last_mid[q.symbol % symbols] = 0.5 * (q.bid + q.ask);
		crossed += q.bid > q.ask;
	}

	const bool abandoned = ch.abandoned();
	const bool ok = !abandoned && errors == 0 && received == quotes &&
			crossed == quotes / cross_every && sub.lagged() == 0;
	auto pct = [&lat](double p) {
		std::uint64_t v = 0;
		photon_histogram_percentile(lat.get(), p, &v);
		return v;
	};
	char out[512];
	int n = std::snprintf(
	    out, sizeof(out),
	    "strategy %d: %" PRIu64 " quotes, %" PRIu64 " errors, %" PRIu64
	    " crossed, sym0 mid %.3f; latency ns (steady_clock) p50 %" PRIu64
	    " p99 %" PRIu64 " max %" PRIu64 "%s\n",
	    id, received, errors, crossed, last_mid[0], pct(50.0), pct(99.0),
	    pct(100.0),
	    abandoned ? "; FAILED: the feed died (channel abandoned)"
	    : ok      ? ""
		      : "; FAILED");
	// One write, so the two strategies' lines never interleave.
	if (n < 0 || write(STDOUT_FILENO, out,
			   std::min(std::size_t(n), sizeof(out) - 1)) < 0)
		return 2;
	if (abandoned) // the feed will not remove the name
		(void)photon::shm_unlink(name);
	return ok ? 0 : 1;
}

// Removes the segment's name when the feed leaves, however it leaves.
struct unlink_guard {
	std::string name;
	~unlink_guard()
	{
		if (photon::shm_unlink(name.c_str()) != status::ok)
			std::fprintf(stderr, "shm_feed_cpp: unlink %s: %s\n",
				     name.c_str(),
				     photon::last_error_message());
	}
};

// The command that starts this program again: /proc/self/exe, after the
// words of $PHOTON_EXEC_WRAPPER when set (say "taskset -c 1", or qemu-user
// in a cross build, where the kernel cannot run the binary itself).
std::vector<std::string> self_command()
{
	std::vector<std::string> words;
	if (const char *w = std::getenv("PHOTON_EXEC_WRAPPER")) {
		std::istringstream in(w);
		for (std::string word; in >> word;)
			words.push_back(word);
	}
	char self[4096];
	const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	words.emplace_back(self, n > 0 ? static_cast<std::size_t>(n) : 0);
	return words;
}

int feed(const char *argv0, std::uint64_t quotes)
{
	(void)argv0;
	const std::string name =
	    "photon-shm-feed-cpp-" + std::to_string(getpid());
	photon_opts opts{};
	opts.capacity = 4096;
	opts.watermark = 64;
	opts.flags = PHOTON_BOUNDED;
	opts.max_consumers = 4;
	auto [rc, ch] = photon::channel<Quote>::shm_create(name.c_str(), opts);
	if (!ch) {
		std::fprintf(stderr, "shm_feed_cpp: %s: %s (%s)\n",
			     name.c_str(), photon::to_string(rc),
			     photon::last_error_message());
		return 2;
	}
	unlink_guard guard{ name };
	// The publisher before the strategies start: a feed that dies from
	// here on leaves an abandoned channel, not a silent one.
	auto [prc, pub] = ch.open_publisher();
	if (!pub) {
		std::fprintf(stderr, "shm_feed_cpp: open_publisher: %s\n",
			     photon::to_string(prc));
		return 2;
	}
	std::printf("shm_feed_cpp: %s, %" PRIu64 " quotes, %zu-slot bounded "
		    "ring\n",
		    name.c_str(), quotes, ch.capacity());
	std::fflush(stdout); // before fork: nothing buffered twice

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		std::perror("shm_feed_cpp: pipe2");
		return 2;
	}
	std::vector<pid_t> pids;
	const std::string count = std::to_string(quotes);
	for (int id = 0; id < strategies; id++) {
		// Built before fork: the child only dup2s and execs.
		const std::string ids = std::to_string(id);
		std::vector<std::string> words = self_command();
		for (const char *a :
		     { "strategy", name.c_str(), ids.c_str(), count.c_str() })
			words.emplace_back(a);
		std::vector<char *> args;
		for (std::string &w : words)
			args.push_back(w.data());
		args.push_back(nullptr);
		const pid_t pid = fork();
		if (pid == 0) {
			// dup2 onto itself would keep O_CLOEXEC.
			if (fds[1] == ready_fd
				? fcntl(ready_fd, F_SETFD, 0) == 0
				: dup2(fds[1], ready_fd) == ready_fd)
				execvp(args[0], args.data());
			_exit(127);
		}
		if (pid < 0) {
			std::perror("shm_feed_cpp: fork");
			break;
		}
		pids.push_back(pid);
	}
	close(fds[1]);
	// One byte per subscribed strategy; end of file first: one died.
	std::size_t ready = 0;
	char buf[strategies];
	while (ready < pids.size()) {
		const ssize_t n = read(fds[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		ready += std::size_t(n);
	}
	close(fds[0]);

	bool ok = ready == strategies;
	std::uint64_t t0 = now_ns(), published = 0;
	for (; ok && published < quotes; published++) {
		Quote q = make_quote(published);
		q.sent_ns = now_ns();
		if (pub.publish(q) != status::ok) {
			ok = false;
			break;
		}
	}
	const std::uint64_t t1 = now_ns();
	pub.close(); // the strategies drain, then read closed

	for (const pid_t pid : pids) {
		int st = 0;
		pid_t r;
		while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {
		}
		ok = ok && r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	if (published && t1 > t0)
		std::printf("feed: %" PRIu64
			    " quotes in %.3f s, %.0f quotes/s\n",
			    published, double(t1 - t0) * 1e-9,
			    double(published) * 1e9 / double(t1 - t0));
	std::printf("%s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
	std::uint64_t quotes = 1000000, id = 0;
	if (argc == 5 && !std::strcmp(argv[1], "strategy")) {
		if (!parse_u64(argv[3], id) || id >= strategies ||
		    !parse_u64(argv[4], quotes))
			return 2;
		return strategy(argv[2], int(id), quotes);
	}
	if (argc == 3 && !std::strcmp(argv[1], "--quotes") &&
	    parse_u64(argv[2], quotes) && quotes > 0)
		return feed(argv[0], quotes);
	if (argc == 1)
		return feed(argv[0], quotes);
	std::fprintf(stderr, "usage: shm_feed_cpp [--quotes N]\n");
	return 2;
}
