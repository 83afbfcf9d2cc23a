// SPDX-License-Identifier: MIT
// photon/photon.hpp: factories and statuses, RAII (no leaks under ASan),
// move semantics, lag reporting, typed size checks, bounded FULL, groups,
// blocking receives across threads, a topology driven from C++, and a
// shared channel opened twice; groups' receives, the bus with typed topics,
// and the owners of metrics.hpp and topology.hpp.
#include <photon/metrics.hpp>
#include <photon/photon.hpp>
#include <photon/topology.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <thread>
#include <type_traits>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace
{

struct Quote {
	double bid;
	double ask;
	std::uint64_t id;
};

// Trivially copyable but not default-constructible: the T& receives work.
struct Tick {
	explicit Tick(std::uint64_t v) : v(v)
	{
	}
	std::uint64_t v;
};

int failures;

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
				     __FILE__, __LINE__, #cond);          \
			failures++;                                       \
		}                                                         \
	} while (0)

using photon::status;

static_assert(!std::is_copy_constructible_v<photon::publisher<Quote>>);
static_assert(!std::is_copy_constructible_v<photon::subscriber<Quote>>);
static_assert(!std::is_copy_constructible_v<photon::group<Quote>>);
static_assert(std::is_nothrow_move_constructible_v<photon::publisher<Quote>>);
static_assert(std::is_nothrow_move_assignable_v<photon::subscriber<Quote>>);
static_assert(std::is_copy_constructible_v<photon::channel<Quote>>);

Quote quote(std::uint64_t i)
{
	return Quote{ 100.0 + double(i), 100.5 + double(i), i };
}

void test_roundtrip()
{
	auto [rc, ch] = photon::channel<Quote>::create(16);
	CHECK(rc == status::ok && ch);
	CHECK(ch.capacity() == 16);
	CHECK(photon_channel_msg_size(ch.get()) == sizeof(Quote));
	auto [prc, pub] = ch.open_publisher();
	auto [src, sub] = ch.subscribe();
	CHECK(prc == status::ok && pub);
	CHECK(src == status::ok && sub);

	for (std::uint64_t i = 0; i < 40; i++) {
		CHECK(pub.publish(quote(i)) == status::ok);
		auto r = sub.try_recv();
		CHECK(r && r.code == status::ok && r.skipped == 0);
		CHECK(r.value && r.value->id == i && r.value->bid == 100.0 + i);
	}
	CHECK(pub.sequence() == 40);
	auto e = sub.try_recv();
	CHECK(!e && e.code == status::empty && !e.value);
	Quote untouched{ 1.0, 2.0, 3 };
	CHECK(sub.try_recv(untouched) == status::empty && untouched.id == 3);
	CHECK(sub.received() == 40 && sub.lagged() == 0);
	CHECK(sub.receive_ratio() == 1.0);

	// latest: the newest, skipping older ones (not lag).
	for (std::uint64_t i = 40; i < 45; i++)
		CHECK(pub.try_publish(quote(i)) == status::ok);
	CHECK(sub.pending() == 5);
	auto l = sub.latest();
	CHECK(l && l.value->id == 44);
	CHECK(sub.latest().code == status::empty);
	CHECK(sub.lagged() == 0);

	// Batch.
	Quote batch[3] = { quote(45), quote(46), quote(47) };
	CHECK(pub.publish_batch(batch, 3) == status::ok);
	Quote q{};
	for (std::uint64_t i = 45; i < 48; i++)
		CHECK(sub.try_recv(q) == status::ok && q.id == i);

	// Second publisher on an SPMC channel.
	auto [brc, second] = ch.open_publisher();
	CHECK(brc == status::ebusy && !second);
	CHECK(std::strcmp(photon::to_string(brc),
			  photon_strerror(PHOTON_EBUSY)) == 0);

	// The publisher's destructor (here: close) closes the channel.
	pub.close();
	CHECK(!pub);
	CHECK(ch.is_closed());
	CHECK(sub.try_recv().code == status::closed);
	CHECK(sub.recv().code == status::closed);
	CHECK(ch.open_publisher().code == status::closed);
}

// The lag arithmetic of SPEC 6 through recv_result.
void test_lag()
{
	auto [rc, ch] = photon::channel<std::uint64_t>::create(4);
	auto pub = ch.open_publisher().value;
	auto sub = ch.subscribe().value;
	CHECK(rc == status::ok && pub && sub);

	for (std::uint64_t i = 0; i < 6; i++)
		CHECK(pub.publish(i) == status::ok);
	auto r = sub.try_recv();
	CHECK(r.code == status::lagged && r.skipped == 2 && !r.value);
	CHECK(sub.last_skipped() == 2);
	for (std::uint64_t i = 2; i < 6; i++) {
		auto v = sub.try_recv();
		CHECK(v && *v.value == i);
	}
	for (std::uint64_t i = 6; i < 106; i++)
		CHECK(pub.publish(i) == status::ok);
	r = sub.try_recv();
	CHECK(r.code == status::lagged && r.skipped == 96);
	for (std::uint64_t i = 102; i < 106; i++) {
		std::uint64_t v = 0;
		CHECK(sub.try_recv(v) == status::ok && v == i);
	}
	CHECK(sub.lagged() == 98 && sub.received() == 8);

	// recv hides the lag but counts it.
	for (std::uint64_t i = 106; i < 116; i++)
		CHECK(pub.publish(i) == status::ok);
	auto b = sub.recv();
	CHECK(b && *b.value == 112 && b.skipped == 0);
	CHECK(sub.lagged() == 104);
}

// Moves hand the handle over; the source is empty and refuses calls; a move
// assignment closes the handle it replaces; copies of a channel are
// references.
void test_moves()
{
	photon::channel<std::uint64_t> ch;
	CHECK(!ch && ch.capacity() == 0);
	CHECK(ch.subscribe().code == status::einval);
	{
		auto made = photon::channel<std::uint64_t>::create_bounded(8);
		CHECK(made);
		ch = std::move(made.value);
		CHECK(!made.value);
	}
	photon::channel<std::uint64_t> copy = ch;
	CHECK(copy.get() == ch.get());
	ch.reset();
	CHECK(!ch && copy);

	auto pub = copy.open_publisher().value;
	photon::publisher<std::uint64_t> pub2(std::move(pub));
	CHECK(!pub && pub2);
	CHECK(pub.publish(1) == status::einval);
	CHECK(pub.try_publish(1) == status::einval);
	CHECK(pub.sequence() == 0);

	auto a = copy.subscribe().value;
	auto b = copy.subscribe().value;
	std::uint64_t v = 0;
	// Two trackers: the bounded channel is full after 8.
	for (std::uint64_t i = 0; i < 8; i++)
		CHECK(pub2.try_publish(i) == status::ok);
	CHECK(pub2.try_publish(8) == status::full);
	for (std::uint64_t i = 0; i < 8; i++)
		CHECK(a.try_recv(v) == status::ok && v == i);
	CHECK(pub2.try_publish(8) == status::full); // b still gates
	// Assigning a over b closes b's subscription: it stops gating.
	b = std::move(a);
	CHECK(!a && b);
	CHECK(a.try_recv(v) == status::einval);
	CHECK(a.try_recv().code == status::einval);
	CHECK(a.received() == 0);
	CHECK(pub2.try_publish(8) == status::ok);
	CHECK(b.try_recv(v) == status::ok && v == 8);
	b = photon::subscriber<std::uint64_t>();
	CHECK(!b);
	// Self-move leaves the handle alone.
	auto &self = pub2;
	pub2 = std::move(self);
	CHECK(pub2);

	// Moving a publisher keeps the channel open until the last holder.
	photon::publisher<std::uint64_t> pub3;
	pub3 = std::move(pub2);
	CHECK(!copy.is_closed());
	{
		auto gone = std::move(pub3);
		(void)gone;
	}
	CHECK(copy.is_closed());
}

// Handles outlive the channel reference; everything is freed (ASan).
void test_raii()
{
	photon::subscriber<Quote> sub;
	photon::publisher<Quote> pub;
	photon::group<Quote> grp;
	{
		auto ch = photon::channel<Quote>::create(8).value;
		pub = ch.open_publisher().value;
		sub = ch.subscribe().value;
		grp = ch.subscribe_group(3).value;
		CHECK(ch.subscribe_group(0).code == status::einval);
	}
	CHECK(pub && sub && grp);
	CHECK(grp.size() == 3);
	CHECK(pub.publish(quote(7)) == status::ok);
	auto r = grp.try_recv();
	CHECK(r && r.value->id == 7);
	CHECK(grp.received() == 1 && grp.lagged() == 0 && grp.pending() == 0);
	Quote q{};
	CHECK(sub.try_recv(q) == status::ok && q.id == 7);
	// The raw handles are still usable from C.
	CHECK(photon_try_recv(sub.get(), &q) == PHOTON_EMPTY);
	auto *raw = sub.release();
	CHECK(!sub);
	photon_subscriber_close(raw);
	// Destructors close the rest.
}

// A channel made in C: wrap checks msg_size.
void test_wrap()
{
	photon_channel *raw = nullptr;
	CHECK(photon_channel_create(&raw, 8, 8) == PHOTON_OK);
	auto bad = photon::channel<Quote>::wrap(raw);
	CHECK(bad.code == status::einval && !bad.value);
	CHECK(photon::channel<Quote>::wrap(nullptr).code == status::einval);
	auto good = photon::channel<std::uint64_t>::wrap(raw);
	CHECK(good.code == status::ok && good.value.get() == raw);
	photon_channel_release(raw); // good holds its own reference
	auto pub = good.value.open_publisher().value;
	auto sub = good.value.subscribe().value;
	CHECK(pub.publish(42) == status::ok);
	std::uint64_t v = 0;
	CHECK(sub.try_recv(v) == status::ok && v == 42);

	// Bus topics: the size is sizeof(T), the type name given.
	photon_bus *bus = nullptr;
	CHECK(photon_bus_create(&bus, 16, 8) == PHOTON_OK);
	auto t1 = photon::channel<Quote>::topic(bus, "q", "Quote");
	CHECK(t1.code == status::ok);
	auto t2 = photon::channel<Quote>::topic(bus, "q", "Other");
	CHECK(t2.code == status::etype && !t2.value);
	auto t3 = photon::channel<std::uint64_t>::topic(bus, "q", "Quote");
	CHECK(t3.code == status::etype);
	photon_bus_destroy(bus);

	// Factories report the C status and detail.
	auto bad_cap = photon::channel<Quote>::create(1);
	CHECK(bad_cap.code == status::einval && !bad_cap.value);
	CHECK(std::strlen(photon::last_error_message()) > 0);
	auto bad_wm = photon::channel<Quote>::create_bounded(8, 8);
	CHECK(bad_wm.code == status::einval);
	photon_opts o{};
	o.capacity = 32;
	o.msg_size = 1; // replaced by sizeof(Quote)
	o.flags = PHOTON_BOUNDED;
	auto from_opts = photon::channel<Quote>::create(o);
	CHECK(from_opts && from_opts.value.flags() == PHOTON_BOUNDED);
	CHECK(photon_channel_msg_size(from_opts.value.get()) == sizeof(Quote));
}

// Bounded FULL, then room after a read.
void test_bounded_full()
{
	auto ch = photon::channel<Quote>::create_bounded(8, 2).value;
	CHECK(ch.watermark() == 2);
	auto pub = ch.open_publisher().value;
	auto sub = ch.subscribe().value;
	for (std::uint64_t i = 0; i < 6; i++)
		CHECK(pub.try_publish(quote(i)) == status::ok);
	CHECK(pub.try_publish(quote(6)) == status::full);
	CHECK(pub.sequence() == 6);
	CHECK(sub.try_recv().value->id == 0);
	CHECK(pub.try_publish(quote(6)) == status::ok);
	CHECK(pub.try_publish(quote(7)) == status::full);
}

// Not default-constructible: the T& forms.
void test_tick()
{
	auto ch = photon::channel<Tick>::create(4).value;
	auto pub = ch.open_publisher().value;
	auto sub = ch.subscribe().value;
	CHECK(pub.publish(Tick(5)) == status::ok);
	Tick t(0);
	CHECK(sub.try_recv(t) == status::ok && t.v == 5);
	CHECK(pub.publish(Tick(6)) == status::ok);
	CHECK(sub.latest(t) == status::ok && t.v == 6);
	CHECK(pub.publish(Tick(7)) == status::ok);
	CHECK(sub.recv(t) == status::ok && t.v == 7);
}

// Lossless across threads: a producer thread, a blocking reader.
void test_threads()
{
	constexpr std::uint64_t n = 200000;
	auto ch = photon::channel<Quote>::create_bounded(256).value;
	auto sub = ch.subscribe().value;
	auto grp = ch.subscribe_group(2).value;
	auto pub = ch.open_publisher().value;
	std::thread producer([p = std::move(pub)]() mutable {
		for (std::uint64_t i = 0; i < n; i++)
			if (p.publish(quote(i)) != status::ok)
				return;
		// p's destructor closes the channel.
	});
	std::uint64_t bad = 0, got = 0, ggot = 0;
	photon_wait w{};
	w.kind = PHOTON_WAIT_BACKOFF_SPIN;
	for (;;) {
		bool progress = false;
		Quote q{};
		auto s = sub.try_recv(q);
		if (s == status::ok) {
			bad += q.id != got;
			got++;
			progress = true;
		}
		auto r = grp.try_recv();
		if (r) {
			bad += r.value->id != ggot;
			ggot++;
			progress = true;
		}
		if (!progress && s == status::closed &&
		    r.code == status::closed)
			break;
		if (!progress)
			std::this_thread::yield();
	}
	producer.join();
	CHECK(bad == 0);
	CHECK(got == n && ggot == n);
	CHECK(sub.lagged() == 0);
	Quote q{};
	CHECK(grp.recv(q, &w) == status::closed);
	CHECK(sub.recv(q, &w) == status::closed);
}

// photon/topology.h from C++: a two-stage pipeline fed by the caller.
int doubler(void *ctx, std::uint64_t seq, const void *const *in, void *out)
{
	auto *sum = static_cast<std::uint64_t *>(ctx);
	std::uint64_t v;
	std::memcpy(&v, in[0], sizeof(v));
	if (v != seq)
		return -1;
	*sum += 2 * v;
	(void)out;
	return PHOTON_OK;
}

void test_topology()
{
	photon_topology *t = nullptr;
	std::uint64_t sum = 0;
	unsigned src = 0, snk = 0;
	photon_stage_opts a{};
	a.name = "feed";
	a.out_size = sizeof(std::uint64_t);
	photon_stage_opts b{};
	b.name = "double";
	b.fn = doubler;
	b.ctx = &sum;
	CHECK(photon_topology_create(&t) == PHOTON_OK);
	CHECK(photon_topology_add_stage(t, &a, &src) == PHOTON_OK);
	CHECK(photon_topology_add_stage(t, &b, &snk) == PHOTON_OK);
	CHECK(photon_topology_link(t, src, snk) == PHOTON_OK);
	CHECK(photon_topology_start(t) == PHOTON_OK);
	for (std::uint64_t i = 0; i < 1000; i++)
		CHECK(photon_topology_publish(t, src, &i) == PHOTON_OK);
	CHECK(photon_topology_wait(t) == PHOTON_OK);
	CHECK(sum == 999 * 1000);
	photon_topology_destroy(t);
}

// A shared channel: made, opened again by name (as another process would),
// messages across the two mappings, then unlinked.
void test_shm()
{
	char name[64];
	std::snprintf(name, sizeof(name), "photon-test-cpp-api-%ld",
		      static_cast<long>(getpid()));
	photon_opts o{};
	o.capacity = 64;
	o.watermark = 4;
	o.flags = PHOTON_BOUNDED;
	o.max_consumers = 4;
	auto [rc, made] = photon::channel<Quote>::shm_create(name, o);
	CHECK(rc == status::ok && made);
	if (!made) {
		std::fprintf(stderr, "test_shm: %s (%s)\n",
			     photon::to_string(rc),
			     photon::last_error_message());
		return;
	}
	CHECK(photon::channel<Quote>::shm_create(name, o).code ==
	      status::eexist);
	auto [orc, opened] = photon::channel<Quote>::shm_open(name);
	CHECK(orc == status::ok && opened && opened.get() != made.get());
	CHECK(opened.capacity() == 64 && opened.watermark() == 4);
	CHECK(photon_channel_msg_size(opened.get()) == sizeof(Quote));
	// Another message type is refused, with the reason.
	auto wrong = photon::channel<std::uint64_t>::shm_open(name);
	CHECK(wrong.code == status::einval && !wrong.value);
	CHECK(std::strstr(photon::last_error_message(), name) != nullptr);

	// Publish through one mapping, read through both.
	auto sub = opened.subscribe().value;
	auto local = made.subscribe().value;
	auto pub = made.open_publisher().value;
	CHECK(sub && local && pub);
	CHECK(opened.open_publisher().code == status::ebusy);
	for (std::uint64_t i = 0; i < 200; i++) {
		CHECK(pub.publish(quote(i)) == status::ok);
		Quote q{};
		CHECK(sub.try_recv(q) == status::ok && q.id == i);
		auto r = local.try_recv();
		CHECK(r && r.value->id == i && r.value->ask == 100.5 + i);
	}
	// Bounded across the mappings: the opened side gates the publisher.
	for (std::uint64_t i = 200; i < 260; i++)
		CHECK(pub.try_publish(quote(i)) == status::ok);
	CHECK(pub.try_publish(quote(260)) == status::full);
	auto a = sub.try_recv();
	CHECK(a && a.value->id == 200);
	CHECK(pub.try_publish(quote(260)) == status::full); // local gates
	auto b = local.try_recv();
	CHECK(b && b.value->id == 200);
	CHECK(pub.try_publish(quote(260)) == status::ok);
	CHECK(!made.abandoned() && !opened.abandoned());
	CHECK(made.reclaimed() == 0 && opened.reclaimed() == 0);

	// The name goes; the mappings stay usable.
	CHECK(photon::shm_unlink(name) == status::ok);
	CHECK(photon::shm_unlink(name) == status::enoent);
	auto gone = photon::channel<Quote>::shm_open(name);
	CHECK(gone.code == status::enoent && !gone.value);
	CHECK(photon::channel<Quote>::shm_open("a/b").code == status::einval);
	pub.close();
	CHECK(opened.is_closed() && !opened.abandoned());
	Quote q{};
	for (std::uint64_t i = 201; i <= 260; i++)
		CHECK(sub.recv(q) == status::ok && q.id == i);
	CHECK(sub.recv(q) == status::closed);
	CHECK(!photon::channel<Quote>().abandoned());
	CHECK(photon::channel<Quote>().reclaimed() == 0);
}

// position() and poll(): a lambda returning void, one returning bool to
// stop, a group; the sequence handed with each message.
void test_poll()
{
	auto [rc, ch] = photon::channel<Quote>::create(16);
	CHECK(rc == status::ok && ch);
	auto [prc, pub] = ch.open_publisher();
	auto [src, sub] = ch.subscribe();
	auto [grc, grp] = ch.subscribe_group(2);
	CHECK(prc == status::ok && src == status::ok && grc == status::ok);
	CHECK(sub.position() == 0 && grp.position() == 0);
	CHECK(sub.fd() >= 0 && sub.fd() == sub.fd() && grp.fd() >= 0);
	for (std::uint64_t i = 0; i < 6; i++)
		CHECK(pub.publish(quote(i)) == status::ok);

	std::uint64_t n = 0;
	bool in_order = true;
	CHECK(sub.poll(
		  [&](const Quote &q, std::uint64_t seq) {
			  in_order = in_order && q.id == seq && seq == n;
			  n++;
		  },
		  4) == 4);
	CHECK(in_order && sub.position() == 4);
	CHECK(
	    sub.poll([](const Quote &, std::uint64_t seq) { return seq == 4; },
		     10) == 1);
	CHECK(sub.position() == 5);
	std::uint64_t last = 0;
	CHECK(grp.poll([&](const Quote &q, std::uint64_t) { last = q.id; },
		       10) == 6);
	CHECK(last == 5 && grp.position() == 6);
	pub.close();
	CHECK(sub.poll([](const Quote &, std::uint64_t) {}, 10) == 1);
	CHECK(sub.poll([](const Quote &, std::uint64_t) {}, 10) ==
	      PHOTON_CLOSED);
}
// recv_for / recv_until: empty when the time runs out (out untouched),
// ok for a waiting message, closed at the end; any clock for recv_until.
void test_timed()
{
	using namespace std::chrono_literals;
	auto [rc, ch] = photon::channel<Quote>::create(16);
	CHECK(rc == status::ok && ch);
	auto [prc, pub] = ch.open_publisher();
	auto [src, sub] = ch.subscribe();
	auto [grc, grp] = ch.subscribe_group(3);
	CHECK(prc == status::ok && src == status::ok && grc == status::ok);
	Quote q{ 1.0, 2.0, 7 };
	CHECK(sub.recv_for(q, 0ms) == status::empty && q.id == 7);
	CHECK(sub.recv_for(q, 1ms) == status::empty && q.id == 7);
	CHECK(sub.recv_until(q, std::chrono::steady_clock::now() + 1ms) ==
	      status::empty);
	CHECK(sub.recv_until(q, std::chrono::system_clock::now() - 1s) ==
	      status::empty);
	CHECK(grp.recv_for(q, 1ms) == status::empty);
	CHECK(pub.publish(quote(9)) == status::ok);
	CHECK(sub.recv_for(q, 10s) == status::ok && q.id == 9);
	CHECK(grp.recv_until(q, std::chrono::steady_clock::now() + 10s) ==
		  status::ok &&
	      q.id == 9);
	pub.close();
	CHECK(sub.recv_for(q, 10s) == status::closed);
	CHECK(grp.recv_for(q, 10s) == status::closed);
}

// A group reads as a subscriber does: recv_result forms, latest, lag, and
// release() hands the C handle over.
void test_group_receives()
{
	auto [rc, ch] = photon::channel<Quote>::create(4);
	auto pub = ch.open_publisher().value;
	auto grp = ch.subscribe_group(3).value;
	CHECK(rc == status::ok && pub && grp && grp.size() == 3);
	CHECK(grp.try_recv().code == status::empty);
	CHECK(grp.latest().code == status::empty);
	for (std::uint64_t i = 0; i < 6; i++)
		CHECK(pub.publish(quote(i)) == status::ok);
	auto r = grp.try_recv();
	CHECK(r.code == status::lagged && r.skipped == 2 && !r.value);
	CHECK(grp.last_skipped() == 2 && grp.lagged() == 2);
	auto a = grp.recv();
	CHECK(a && a.value->id == 2 && grp.position() == 3);
	auto l = grp.latest();
	CHECK(l && l.value->id == 5 && grp.position() == 6);
	// A gap reads as lag, with the count.
	CHECK(pub.publish_gap(2) == status::ok && pub.sequence() == 8);
	CHECK(pub.publish(quote(8)) == status::ok);
	auto gap = grp.try_recv();
	CHECK(gap.code == status::lagged && gap.skipped == 2);
	auto after = grp.try_recv();
	CHECK(after && after.value->id == 8 && grp.position() == 9);
	CHECK(grp.lagged() == 4); // latest skips, it does not lose
	Quote q{ 0, 0, 77 };
	CHECK(grp.latest(q) == status::empty && q.id == 77);
	CHECK(pub.publish(quote(6)) == status::ok);
	CHECK(grp.latest(q) == status::ok && q.id == 6);
	CHECK(grp.received() == 4);
	pub.close();
	CHECK(grp.latest().code == status::closed);
	CHECK(grp.recv().code == status::closed);
	photon_group *raw = grp.release();
	CHECK(!grp && raw);
	CHECK(grp.try_recv().code == status::einval);
	CHECK(grp.latest(q) == status::einval);
	photon_group_close(raw);
	// A moved-from subscriber reads einval everywhere.
	auto sub = ch.subscribe().value;
	auto moved = std::move(sub);
	CHECK(sub.latest().code == status::einval);
	CHECK(sub.recv(q) == status::einval && sub.position() == 0);
}

// Any callable: a function, a const function object.
void count_quote(const Quote &, std::uint64_t)
{
}
struct stop_at_two {
	bool operator()(const Quote &q, std::uint64_t) const
	{
		return q.id == 2;
	}
};

void test_poll_callables()
{
	auto [rc, ch] = photon::channel<Quote>::create(16);
	auto pub = ch.open_publisher().value;
	auto sub = ch.subscribe().value;
	CHECK(rc == status::ok && pub && sub);
	for (std::uint64_t i = 0; i < 5; i++)
		CHECK(pub.publish(quote(i)) == status::ok);
	const stop_at_two stop{};
	CHECK(sub.poll(stop, 10) == 3 && sub.position() == 3);
	CHECK(sub.poll(count_quote, 10) == 2 && sub.position() == 5);
	CHECK(sub.poll(count_quote, 10) == 0);
}

// The bus: typed topics declared once, publisher and subscribers by topic,
// a type mismatch refused, a restarted publisher, and C code opening the
// same topic with the spelling PHOTON_DEFINE_TYPED gives.
constexpr photon::topic<Quote> quotes{ "md.quotes", "Quote" };
constexpr photon::topic<std::uint64_t> quotes_as_u64{ "md.quotes",
						      "std::uint64_t" };
constexpr photon::topic<Quote> quotes_renamed{ "md.quotes", "Quote2" };
} // namespace
PHOTON_DEFINE_TYPED(cquote, Quote);
namespace
{

void test_bus()
{
	auto [rc, bus] = photon::bus::create(64, 8);
	CHECK(rc == status::ok && bus && bus.topic_count() == 0);
	auto [prc, pub] = bus.open_publisher(quotes);
	auto [src, sub] = bus.subscribe(quotes);
	CHECK(prc == status::ok && src == status::ok && pub && sub);
	CHECK(bus.topic_count() == 1);
	CHECK(bus.open_publisher(quotes).code == status::ebusy);
	auto wrong = bus.subscribe(quotes_as_u64);
	CHECK(wrong.code == status::etype && !wrong.value);
	CHECK(std::strstr(photon::last_error_message(), "md.quotes"));
	CHECK(bus.open(quotes_renamed).code == status::etype);

	// C opens the topic C++ made: same size, same type name.
	photon_channel *cch = nullptr;
	CHECK(cquote_bus_topic(bus.get(), "md.quotes", &cch) == PHOTON_OK);
	photon_subscriber *csub = nullptr;
	CHECK(photon_subscribe(cch, &csub) == PHOTON_OK);

	CHECK(pub.publish(quote(1)) == status::ok);
	auto r = sub.try_recv();
	CHECK(r && r.value->id == 1);
	Quote cq{};
	CHECK(cquote_try_recv(csub, &cq) == PHOTON_OK && cq.id == 1);

	// A restarted producer: the old subscriber ends, a new one follows
	// the new publisher.
	pub.close();
	CHECK(sub.try_recv().code == status::closed);
	auto [p2rc, pub2] = bus.open_publisher(quotes);
	CHECK(p2rc == status::ok && pub2);
	auto sub2 = bus.subscribe(quotes).value;
	CHECK(pub2.publish(quote(2)) == status::ok);
	auto r2 = sub2.try_recv();
	CHECK(r2 && r2.value->id == 2);
	CHECK(sub.try_recv().code == status::closed);

	// Handles outlive the bus.
	bus.reset();
	CHECK(!bus && bus.open(quotes).code == status::einval);
	CHECK(pub2.publish(quote(3)) == status::ok);
	CHECK(sub2.try_recv().value->id == 3);
	photon_subscriber_close(csub);
	photon_channel_release(cch);
	auto moved = photon::bus::create(4, 8).value;
	photon::bus other(std::move(moved));
	CHECK(!moved && other && other.topic_count() == 0);
	photon_bus *raw = other.release();
	CHECK(!other && raw);
	photon_bus_destroy(raw);
}

// photon::topology with a lambda stage; the destructor stops and joins.
void test_topology_owner()
{
	auto [rc, t] = photon::topology::create();
	CHECK(rc == status::ok && t);
	std::uint64_t sum = 0, calls = 0;
	auto add = [&](std::uint64_t seq, const void *const *in, void *) {
		std::uint64_t v;
		std::memcpy(&v, in[0], sizeof(v));
		sum += v;
		calls++;
		return seq == 99 ? int(PHOTON_STAGE_END) : int(PHOTON_OK);
	};
	photon_stage_opts src{};
	src.name = "feed";
	src.out_size = sizeof(std::uint64_t);
	unsigned a = 9, b = 9;
	CHECK(t.add_stage(src, &a) == status::ok && a == 0);
	photon_stage_opts snk{};
	snk.name = "sum";
	CHECK(t.add_stage(snk, add, &b) == status::ok && b == 1);
	CHECK(t.link(a, b) == status::ok);
	CHECK(t.stage_count() == 2 && std::strcmp(t.stage_name(b), "sum") == 0);
	CHECK(t.start() == status::ok);
	for (std::uint64_t i = 0; i < 100; i++)
		CHECK(t.publish(a, i) == status::ok);
	CHECK(t.wait() == PHOTON_OK);
	CHECK(sum == 99 * 100 / 2 && calls == 100);
	photon_stage_stats st{};
	CHECK(t.stage_stats(b, st) == status::ok && st.processed == 100);
	CHECK(t.failed_stage() == -1);
	// Another, left running: the destructor stops and joins it.
	auto [rc2, t2] = photon::topology::create();
	CHECK(rc2 == status::ok);
	CHECK(t2.add_stage(src, &a) == status::ok);
	auto idle = [](std::uint64_t, const void *const *, void *) {
		return int(PHOTON_OK);
	};
	CHECK(t2.add_stage(snk, idle, &b) == status::ok);
	CHECK(t2.link(a, b) == status::ok && t2.start() == status::ok);
	CHECK(t2.try_publish(a, std::uint64_t{ 1 }) == status::ok);
	photon::topology t3(std::move(t2));
	CHECK(!t2 && t3);
}

// A loopback UDP socket for the StatsD sink; its port through *port.
int udp_socket(std::uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	sockaddr_in a{};
	socklen_t len = sizeof(a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	CHECK(bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0);
	CHECK(getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
	*port = ntohs(a.sin_port);
	return fd;
}

// The histogram, the registry and the StatsD sink as owners (no leak under
// ASan), each driving its C object.
void test_metrics_owners()
{
	auto [rc, h] = photon::histogram::create();
	CHECK(rc == status::ok && h);
	for (std::uint64_t v = 1; v <= 100; v++)
		CHECK(h.record(v) == status::ok);
	CHECK(h.record_n(1000, 2) == status::ok);
	CHECK(h.count() == 102 && h.min() == 1 && h.max() == 1000);
	CHECK(h.sum() == 5050 + 2000);
	std::uint64_t p50 = 0;
	CHECK(h.percentile(50.0, p50) == status::ok && p50 == 51);
	CHECK(h.percentile(100.0) == 1000);
	CHECK(h.percentile(101.0, p50) == status::einval);
	std::uint64_t lo = 0, hi = 0, n = 0;
	CHECK(h.bucket_count() > 0 && h.bucket(1, lo, hi, n) == status::ok &&
	      lo == 1 && n == 1);
	auto snap = photon::histogram::create().value;
	CHECK(snap.copy_from(h) == status::ok && snap.count() == 102);
	CHECK(snap.merge(h) == status::ok && snap.count() == 204);
	auto coarse = photon::histogram::create(3).value;
	CHECK(coarse.sig_bits() == 3 && coarse.merge(h) == status::einval);
	snap.clear();
	CHECK(snap.count() == 0 && snap.percentile(50.0) == 0);
	CHECK(photon::histogram::create(99).code == status::einval);

	auto ch = photon::channel<Quote>::create(16).value;
	auto pub = ch.open_publisher().value;
	auto sub = ch.subscribe().value;
	auto grp = ch.subscribe_group(2).value;
	CHECK(pub.publish(quote(1)) == status::ok);
	CHECK(sub.try_recv() && grp.try_recv());
	auto [mrc, reg] = photon::metrics::create("app", 8);
	CHECK(mrc == status::ok && reg);
	CHECK(reg.add(sub, { { "feed", "md" } }) == status::ok);
	CHECK(reg.add(grp) == status::ok && reg.add(pub) == status::ok);
	CHECK(reg.add(sub) == status::einval); // already registered
	photon_metric_histogram desc{};
	desc.name = "recv_latency_seconds";
	desc.scale = 1e-9;
	CHECK(reg.add(h, desc, { { "feed", "md" } }) == status::ok);
	CHECK(reg.count() == 4);
	char text[16384];
	std::ptrdiff_t len = reg.prometheus(text, sizeof(text));
	CHECK(len > 0 && static_cast<std::size_t>(len) < sizeof(text));
	CHECK(
	    std::strstr(text, "app_subscriber_received_total{feed=\"md\"} 1"));
	CHECK(std::strstr(text, "app_group_members 2"));
	CHECK(std::strstr(text, "app_recv_latency_seconds_count{feed=\"md\"} "
				"102"));
	CHECK(reg.remove(grp) == status::ok && reg.count() == 3);
	CHECK(reg.remove(grp) == status::einval);

	std::uint16_t port = 0;
	int fd = udp_socket(&port);
	auto [src, sd] = photon::statsd::open("127.0.0.1", port, "x");
	CHECK(src == status::ok && sd);
	CHECK(sd.count("orders", 3) == status::ok);
	CHECK(sd.gauge("depth", 2.5) == status::ok);
	CHECK(sd.timing("rtt", 1.25) == status::ok);
	CHECK(sd.count("bad:name", 1) == status::einval);
	CHECK(sd.flush() == status::ok);
	char dgram[2048];
	ssize_t got = recv(fd, dgram, sizeof(dgram) - 1, 0);
	CHECK(got > 0);
	dgram[got > 0 ? got : 0] = '\0';
	CHECK(std::strcmp(dgram,
			  "x.orders:3|c\nx.depth:2.5|g\nx.rtt:1.25|ms") == 0);
	CHECK(sd.send(reg) == status::ok);
	got = recv(fd, dgram, sizeof(dgram) - 1, 0);
	CHECK(got > 0);
	dgram[got > 0 ? got : 0] = '\0';
	CHECK(std::strstr(dgram, "x.app.publisher.published:1|c"));
	photon::statsd moved(std::move(sd));
	CHECK(!sd && moved);
	moved.close();
	CHECK(!moved && moved.flush() == status::einval);
	close(fd);
	CHECK(photon::statsd::open("127.0.0.1", 0).code == status::einval);
}
} // namespace

int main()
{
	test_roundtrip();
	test_lag();
	test_moves();
	test_raii();
	test_wrap();
	test_bounded_full();
	test_tick();
	test_threads();
	test_topology();
	test_shm();
	test_poll();
	test_timed();
	test_group_receives();
	test_poll_callables();
	test_bus();
	test_topology_owner();
	test_metrics_owners();
	std::printf("test_cpp_api: %s (%d failures)\n",
		    failures ? "FAIL" : "ok", failures);
	return failures ? 1 : 0;
}
