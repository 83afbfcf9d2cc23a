// SPDX-License-Identifier: MIT
//
// photon/photon.hpp: a C++17 face of libphotonring, header-only over the C
// API of <photon/photon.h>.
//
//   auto [rc, ch] = photon::channel<Quote>::create(1024);  // lossy
//   auto [prc, pub] = ch.open_publisher();
//   auto [src, sub] = ch.subscribe();
//   pub.publish(Quote{...});                 // inlined, no call
//   if (auto r = sub.try_recv())             // recv_result<Quote>
//           use(*r.value);
//   else if (r.code == photon::status::lagged)
//           lost(r.skipped);
//
// - photon::channel<T> owns one channel reference (copy = another
//   reference, move = hand over); T must be trivially copyable and is
//   copied as plain bytes, so any bit pattern a torn read could produce
//   must be a valid T (no pointers or enums the reader trusts, as in C).
// - publisher<T>, subscriber<T> and group<T> are move-only RAII handles:
//   the destructor closes them (a publisher's close closes the channel for
//   good, as photon_publisher_close does).
// - Nothing here throws, and nothing allocates beyond what the C calls do.
//   Factories return photon::result<H> { status code; H value; }, usable
//   with structured bindings; value is an empty handle unless code is ok.
//   Receives return a status, or a recv_result<T> carrying the value, the
//   status and the lag.
// - publish/try_publish/try_recv call the header's inline hot paths with
//   sizeof(T) a constant, as PHOTON_DEFINE_TYPED does: the copy unrolls and
//   nothing is called on the fast path.
// - A channel<T> only ever holds a channel whose msg_size is sizeof(T)
//   (wrap() and shm_open() check the channel they are given), so the
//   handles it makes need no check on the hot path. Calls on an empty
//   (default-constructed or moved-from) handle return status::einval.
// - Shared channels (shm_create/shm_open, photon::shm_unlink): the inline
//   try_recv never looks for a dead publisher process; recv does, so a
//   reader that polls with try_recv falls back to recv when it is empty to
//   see closed (and abandoned()) after the publisher's process died.
//
// Thread contract: as in C. A channel<T> object may be used from several
// threads (its calls are the thread-safe channel-level ones); each
// publisher, subscriber or group is used by one thread at a time, and may
// be moved to another thread across a synchronising hand-over.
/// @file
/// The C++17 face of libphotonring: photon::channel and its handles, the
/// bus, statuses and results.
#ifndef PHOTON_PHOTON_HPP
#define PHOTON_PHOTON_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "photon/photon.hpp needs C++17; C code includes photon/photon.h"
#endif

#include <photon/photon.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

namespace photon
{

/// The C status codes, scoped. [[nodiscard]]: a result dropped on the floor
// warns. (clang-format 14 misreads the attribute and packs the list.)
// clang-format off
enum class [[nodiscard]] status : int {
	ok = PHOTON_OK, ///< success
	empty = PHOTON_EMPTY, ///< nothing new to read yet
	lagged = PHOTON_LAGGED, ///< the reader was overrun; messages were skipped
	full = PHOTON_FULL, ///< bounded: no room (try_publish)
	closed = PHOTON_CLOSED, ///< the channel is closed (and drained)
	einval = PHOTON_EINVAL, ///< invalid argument, or an empty handle
	enomem = PHOTON_ENOMEM, ///< out of memory
	ebusy = PHOTON_EBUSY, ///< resource busy (a second SPMC publisher)
	enotsup = PHOTON_ENOTSUP, ///< not supported on this build or machine
	etype = PHOTON_ETYPE, ///< a topic or channel of another message type or size
	esys = PHOTON_ESYS, ///< an operating-system call failed (see errno)
	eexist = PHOTON_EEXIST, ///< a shared channel of that name exists
	enoent = PHOTON_ENOENT, ///< no shared channel of that name
	eperm = PHOTON_EPERM, ///< permission denied on the shared channel (see errno)
	eproto = PHOTON_EPROTO, ///< not a valid shared channel: its header fails validation
};
// clang-format on

// A code added to the C table fails here until status names it.
#define PHOTON__HPP_COUNT(name, value, text) +1
static_assert(0 PHOTON_STATUS_TABLE(PHOTON__HPP_COUNT) == 15,
	      "photon::status lacks a code of PHOTON_STATUS_TABLE");
#undef PHOTON__HPP_COUNT

/// Name of a status ("nothing new to read yet"); never null.
inline const char *to_string(status s) noexcept
{
	return photon_strerror(static_cast<int>(s));
}

/// Detail of the calling thread's last failed factory call.
inline const char *last_error_message() noexcept
{
	return photon_last_error_message();
}

/// Removes a shared channel's name (photon_shm_unlink); processes that
/// mapped it keep their mapping. ok, enoent (no such name), einval (not a
/// valid name), eperm or esys.
inline status shm_unlink(const char *name) noexcept
{
	return static_cast<status>(photon_shm_unlink(name));
}

/// What a factory made: code, and the handle (empty unless code is ok).
template <class H> struct [[nodiscard]] result {
	status code; ///< ok, or why nothing was made
	H value;     ///< the handle; empty unless code is ok

	/// True when code is ok.
	explicit operator bool() const noexcept
	{
		return code == status::ok;
	}
};

/// What a receive got. value is engaged exactly when code is ok; skipped is
/// the number of messages lost when code is lagged (the next receive returns
/// the oldest message still held), else 0.
template <class T> struct [[nodiscard]] recv_result {
	status code;		///< ok, empty, lagged, closed or einval
	std::optional<T> value; ///< the message, exactly when code is ok
	std::uint64_t skipped;	///< messages lost when code is lagged, else 0

	/// True when a message was received.
	explicit operator bool() const noexcept
	{
		return value.has_value();
	}
};

template <class T> class channel;
template <class T> class publisher;
template <class T> class subscriber;
template <class T> class group;

namespace detail
{

inline status st(int rc) noexcept
{
	return static_cast<status>(rc);
}

/// Copies through a local buffer so *out is untouched unless ok, as the C
/// typed wrappers do; the compiler folds the copy away.
template <class T>
inline status try_recv_into(photon_subscriber *s, T &out) noexcept
{
	unsigned char tmp[sizeof(T)];
	int rc;

	if (!s)
		return status::einval;
	rc = photon__try_recv_n(s, tmp, sizeof(T));
	if (rc == PHOTON_OK)
		std::memcpy(static_cast<void *>(&out), tmp, sizeof(T));
	return st(rc);
}

template <class T, class F>
inline recv_result<T> receive(photon_subscriber *s, F &&op) noexcept
{
	static_assert(std::is_default_constructible_v<T>,
		      "the optional-returning receives need a default-"
		      "constructible T; use the T& overloads");
	recv_result<T> r{ status::einval, std::nullopt, 0 };
	T v{};

	if (!s)
		return r;
	r.code = op(v);
	if (r.code == status::ok)
		r.value = v;
	else if (r.code == status::lagged)
		r.skipped = photon_subscriber_last_skipped(s);
	return r;
}

/// photon_poll's handler for a callable f(const T &, std::uint64_t seq)
/// returning void (go on) or something that converts to bool (true: stop).
/// It runs inside the library's C code: it must not throw.
template <class T, class F>
int poll_call(void *ctx, const void *msg, std::uint64_t seq) noexcept
{
	alignas(T) unsigned char buf[sizeof(T)];
	std::memcpy(buf, msg, sizeof(T));
	const T &v = *std::launder(reinterpret_cast<const T *>(buf));
	F &f = *static_cast<F *>(ctx);

	if constexpr (std::is_void_v<std::invoke_result_t<F &, const T &,
							  std::uint64_t>>) {
		f(v, seq);
		return 0;
	} else {
		return static_cast<bool>(f(v, seq)) ? 1 : 0;
	}
}

/// A receive with a deadline of CLOCK_MONOTONIC ns (steady_clock's epoch on
/// Linux; other clocks are converted through their distance from now).
template <class T>
status recv_deadline(photon_subscriber *s, T &out, std::uint64_t deadline_ns,
		     const photon_wait *w) noexcept
{
	unsigned char tmp[sizeof(T)];
	int rc;

	if (!s)
		return status::einval;
	rc = photon_recv_deadline(s, tmp, w, deadline_ns);
	if (rc == PHOTON_OK)
		std::memcpy(static_cast<void *>(&out), tmp, sizeof(T));
	return st(rc);
}

template <class Rep, class Period>
std::uint64_t deadline_in(std::chrono::duration<Rep, Period> d) noexcept
{
	const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d);
	const std::uint64_t now = photon_monotonic_ns();

	if (ns.count() <= 0)
		return now;
	return static_cast<std::uint64_t>(ns.count()) > UINT64_MAX - now
		   ? UINT64_MAX
		   : now + static_cast<std::uint64_t>(ns.count());
}

template <class Clock, class Duration>
std::uint64_t deadline_at(std::chrono::time_point<Clock, Duration> t) noexcept
{
	return deadline_in(t - Clock::now());
}
} // namespace detail

/// The owner of one C object, which Free releases: move-only, empty after a
/// move or release(), freed by the destructor or reset(). The base of every
/// handle class here (publisher, subscriber, group, bus, and the owners of
/// photon/metrics.hpp and photon/topology.hpp).
template <class C, void (*Free)(C *)> class owner
{
      public:
	owner() noexcept = default;
	/// Owns c (may be null).
	explicit owner(C *c) noexcept : c_(c)
	{
	}
	owner(const owner &) = delete;
	owner &operator=(const owner &) = delete;
	/// Takes o's object; o is left empty.
	owner(owner &&o) noexcept : c_(std::exchange(o.c_, nullptr))
	{
	}
	/// Frees this object, then takes o's.
	owner &operator=(owner &&o) noexcept
	{
		if (this != &o) {
			reset();
			c_ = std::exchange(o.c_, nullptr);
		}
		return *this;
	}
	~owner()
	{
		reset();
	}

	/// Frees the object now; empty after.
	void reset() noexcept
	{
		Free(std::exchange(c_, nullptr));
	}
	/// True unless empty.
	explicit operator bool() const noexcept
	{
		return c_ != nullptr;
	}
	/// The C object, still owned by this one.
	C *get() const noexcept
	{
		return c_;
	}
	/// Gives up ownership: the caller frees the returned object.
	C *release() noexcept
	{
		return std::exchange(c_, nullptr);
	}

      private:
	C *c_ = nullptr;
};

/// The publishing end. Move-only; the destructor closes the channel.
template <class T>
class publisher : public owner<photon_publisher, photon_publisher_close>
{
      public:
	publisher() noexcept = default;

	/// Lossy: never waits. Bounded: waits for room. ok or einval (empty).
	status publish(const T &msg) noexcept
	{
		if (!this->get())
			return status::einval;
		return detail::st(
		    photon__publish_n(this->get(), &msg, sizeof(T), 1));
	}

	/// As publish, but status::full (nothing written) instead of waiting.
	status try_publish(const T &msg) noexcept
	{
		if (!this->get())
			return status::einval;
		return detail::st(
		    photon__publish_n(this->get(), &msg, sizeof(T), 0));
	}

	/// count messages back to back; cursor and backpressure per message.
	status publish_batch(const T *msgs, std::size_t count) noexcept
	{
		return detail::st(
		    photon_publish_batch(this->get(), msgs, count));
	}

	/// Publishes count lost messages (photon_publish_gap): readers that
	/// reach them get lagged with the count. ok, einval, or enotsup for
	/// bounded and MPMC channels.
	status publish_gap(std::uint64_t count) noexcept
	{
		return detail::st(photon_publish_gap(this->get(), count));
	}

	/// Messages published so far.
	std::uint64_t sequence() const noexcept
	{
		return photon_publisher_sequence(this->get());
	}

	/// Closes the channel for good (readers drain, then see closed).
	void close() noexcept
	{
		this->reset();
	}

      private:
	friend class channel<T>;
	using owner_type = owner<photon_publisher, photon_publisher_close>;
	explicit publisher(photon_publisher *p) noexcept : owner_type(p)
	{
	}
};

/// What a subscriber and a group share: every receive and counter. A group
/// is one subscriber cursor read on behalf of n logical consumers
/// (channel.h), so both go through a cursor (D::cursor() names it), and
/// reading it keeps the hot path inline for both. Not made directly: it is
/// the base of subscriber<T> and group<T>.
template <class T, class D> class reader
{
      public:
	/// ok (out written), empty, lagged (last_skipped() says how many were
	/// lost) or closed; out is untouched unless ok. Never waits.
	status try_recv(T &out) noexcept
	{
		return detail::try_recv_into(cur(), out);
	}

	/// The same as a recv_result: value, status and the lag in one.
	recv_result<T> try_recv() noexcept
	{
		return detail::receive<T>(
		    cur(), [this](T &v) noexcept { return try_recv(v); });
	}

	/// Waits (strategy w, null: adaptive) for a message: ok or closed.
	/// Lag is counted (lagged()), not returned.
	status recv(T &out, const photon_wait *w = nullptr) noexcept
	{
		unsigned char tmp[sizeof(T)];
		int rc;

		if (!cur())
			return status::einval;
		rc = photon_recv_with(cur(), tmp, w);
		if (rc == PHOTON_OK)
			std::memcpy(static_cast<void *>(&out), tmp, sizeof(T));
		return detail::st(rc);
	}

	/// recv as a recv_result.
	recv_result<T> recv(const photon_wait *w = nullptr) noexcept
	{
		return detail::receive<T>(
		    cur(), [this, w](T &v) noexcept { return recv(v, w); });
	}

	/// Waits at most d: ok, closed, or empty when the time ran out (out
	/// untouched).
	template <class Rep, class Period>
	status recv_for(T &out, std::chrono::duration<Rep, Period> d,
			const photon_wait *w = nullptr) noexcept
	{
		return detail::recv_deadline(cur(), out, detail::deadline_in(d),
					     w);
	}

	/// Waits until t (any clock): as recv_for.
	template <class Clock, class Duration>
	status recv_until(T &out, std::chrono::time_point<Clock, Duration> t,
			  const photon_wait *w = nullptr) noexcept
	{
		return detail::recv_deadline(cur(), out, detail::deadline_at(t),
					     w);
	}

	/// The newest unread message, skipping older ones (not counted as
	/// lag): ok, empty or closed.
	status latest(T &out) noexcept
	{
		unsigned char tmp[sizeof(T)];
		int rc;

		if (!cur())
			return status::einval;
		rc = photon_latest(cur(), tmp);
		if (rc == PHOTON_OK)
			std::memcpy(static_cast<void *>(&out), tmp, sizeof(T));
		return detail::st(rc);
	}

	/// latest as a recv_result.
	recv_result<T> latest() noexcept
	{
		return detail::receive<T>(
		    cur(), [this](T &v) noexcept { return latest(v); });
	}

	/// Batch receive (photon_poll): f(const T &, std::uint64_t seq) for
	/// up to `limit` waiting messages, in order; f returns void, or true
	/// to stop. How many were handled, or a negative status (closed once
	/// drained, einval). f must not throw, nor receive on this handle.
	template <class F> long poll(F &&f, std::size_t limit) noexcept
	{
		// A closure of our own: any callable (const, a function)
		// passes through one void *.
		auto call = [&f](const T &v,
				 std::uint64_t seq) -> decltype(auto) {
			return f(v, seq);
		};
		return photon_poll(cur(), &detail::poll_call<T, decltype(call)>,
				   &call, limit);
	}

	/// The sequence the next receive delivers; after ok, the message
	/// was position() - 1.
	std::uint64_t position() const noexcept
	{
		return photon_subscriber_position(cur());
	}
	/// A descriptor for event loops (photon_subscriber_fd): >= 0, or a
	/// negative status. Owned by this handle, closed with it.
	int fd() noexcept
	{
		return photon_subscriber_fd(cur());
	}
	/// Messages published and not yet read (0 for an empty handle).
	std::uint64_t pending() const noexcept
	{
		return photon_pending(cur());
	}
	/// Messages delivered, each once (a group's too).
	std::uint64_t received() const noexcept
	{
		return photon_subscriber_received(cur());
	}
	/// Messages lost to overruns.
	std::uint64_t lagged() const noexcept
	{
		return photon_subscriber_lagged(cur());
	}
	/// Messages lost by the last lagged receive.
	std::uint64_t last_skipped() const noexcept
	{
		return photon_subscriber_last_skipped(cur());
	}
	/// received / (received + lagged); 1 before any message.
	double receive_ratio() const noexcept
	{
		return photon_subscriber_receive_ratio(cur());
	}

      protected:
	reader() noexcept = default;

      private:
	photon_subscriber *cur() const noexcept
	{
		return static_cast<const D *>(this)->cursor();
	}
};

/// One reader. Move-only; the destructor closes it (in a bounded channel
/// it stops gating the publisher at once). The receives and counters are
/// those of reader.
template <class T>
class subscriber : public reader<T, subscriber<T>>,
		   public owner<photon_subscriber, photon_subscriber_close>
{
      public:
	subscriber() noexcept = default;

	/// Closes the handle now (photon_subscriber_close); it is empty after.
	void close() noexcept
	{
		this->reset();
	}

      private:
	friend class channel<T>;
	friend class reader<T, subscriber<T>>;
	using owner_type = owner<photon_subscriber, photon_subscriber_close>;
	explicit subscriber(photon_subscriber *s) noexcept : owner_type(s)
	{
	}
	photon_subscriber *cursor() const noexcept
	{
		return this->get();
	}
};

/// n logical consumers read by one thread at the cost of one cursor.
/// Move-only; the destructor closes it. Counters count each message once.
template <class T>
class group : public reader<T, group<T>>,
	      public owner<photon_group, photon_group_close>
{
      public:
	group() noexcept = default;

	/// Logical consumers in the group.
	std::size_t size() const noexcept
	{
		return photon_group_size(this->get());
	}
	/// Closes the handle now (photon_group_close); it is empty after.
	void close() noexcept
	{
		this->reset();
	}

      private:
	friend class channel<T>;
	friend class reader<T, group<T>>;
	using owner_type = owner<photon_group, photon_group_close>;
	explicit group(photon_group *g) noexcept : owner_type(g)
	{
	}
	// A group is one subscriber cursor (channel.h); reading through it
	// keeps the group's hot path inline too.
	photon_subscriber *cursor() const noexcept
	{
		return this->get() ? &this->get()->sub : nullptr;
	}
};

/// A channel of T. Holds one reference: copies take another, the last one
/// released (with every handle closed) frees the ring.
template <class T>
class channel : public owner<photon_channel, photon_channel_release>
{
	using owner_type = owner<photon_channel, photon_channel_release>;

	static_assert(std::is_trivially_copyable_v<T>,
		      "photon::channel<T> copies T as bytes: T must be "
		      "trivially copyable");
	static_assert(sizeof(T) <= PHOTON_MSG_SIZE_MAX,
		      "T is larger than PHOTON_MSG_SIZE_MAX");

      public:
	channel() noexcept = default;
	/// Another reference to o's channel (the owner a channel derives
	/// from is move-only; a copy here is a photon_channel_retain).
	channel(const channel &o) noexcept
	    : owner_type(photon_channel_retain(o.get()))
	{
	}
	/// Drops this reference and takes another to o's channel.
	channel &operator=(const channel &o) noexcept
	{
		if (this != &o)
			owner_type::operator=(
			    owner_type(photon_channel_retain(o.get())));
		return *this;
	}
	/// Takes o's reference; o is left empty.
	channel(channel &&o) noexcept = default;
	/// Drops this reference, then takes o's.
	channel &operator=(channel &&o) noexcept = default;

	/// Lossy channel of capacity slots: publish never waits.
	static result<channel> create(std::size_t capacity) noexcept
	{
		photon_channel *c = nullptr;
		int rc = photon_channel_create(&c, capacity, sizeof(T));
		return { detail::st(rc), channel(c) };
	}

	/// Bounded (lossless): at most capacity - watermark outstanding.
	static result<channel>
	create_bounded(std::size_t capacity, std::size_t watermark = 0) noexcept
	{
		photon_channel *c = nullptr;
		int rc = photon_channel_create_bounded(&c, capacity, sizeof(T),
						       watermark);
		return { detail::st(rc), channel(c) };
	}

	/// Several publisher handles (PHOTON_MPMC), one per producing thread.
	static result<channel> create_mpmc(std::size_t capacity) noexcept
	{
		photon_channel *c = nullptr;
		int rc = photon_channel_create_mpmc(&c, capacity, sizeof(T));
		return { detail::st(rc), channel(c) };
	}

	/// From options; opts.msg_size is ignored and set to sizeof(T).
	static result<channel> create(photon_opts opts) noexcept
	{
		photon_channel *c = nullptr;
		opts.msg_size = sizeof(T);
		int rc = photon_channel_create_opts(&c, &opts);
		return { detail::st(rc), channel(c) };
	}

	/// A new reference to a channel made in C. einval when its msg_size
	/// is not sizeof(T) (or ch is null); the caller keeps its reference.
	static result<channel> wrap(photon_channel *ch) noexcept
	{
		if (!ch || photon_channel_msg_size(ch) != sizeof(T))
			return { status::einval, channel() };
		return { status::ok, channel(photon_channel_retain(ch)) };
	}

	/// A typed bus topic: made, or opened when size and type name match
	/// (else etype).
	static result<channel> topic(photon_bus *bus, const char *name,
				     const char *type_name) noexcept
	{
		photon_channel *c = nullptr;
		int rc = photon_bus_topic(bus, name, sizeof(T), type_name, &c);
		return { detail::st(rc), channel(c) };
	}

	/// Creates the shared channel `name` (photon_shm_create): a segment
	/// in /dev/shm that other processes map with shm_open.
	/// opts.msg_size is ignored and set to sizeof(T); mode 0 means 0600.
	/// eexist when the name is taken (nothing is replaced). Dropping the
	/// last reference unmaps the segment; only shm_unlink removes the name.
	static result<channel> shm_create(const char *name, photon_opts opts,
					  unsigned mode = 0) noexcept
	{
		photon_channel *c = nullptr;
		opts.msg_size = sizeof(T);
		int rc = photon_shm_create(&c, name, &opts, mode);
		return { detail::st(rc), channel(c) };
	}

	/// Maps the existing shared channel `name` (photon_shm_open): enoent,
	/// eperm or eproto (not a valid segment), with the reason in
	/// last_error_message(); einval when its messages are not sizeof(T)
	/// bytes.
	static result<channel> shm_open(const char *name) noexcept
	{
		photon_channel *c = nullptr;
		int rc = photon_shm_open(&c, name);
		if (rc == PHOTON_OK &&
		    photon_channel_msg_size(c) != sizeof(T)) {
			rc = photon_set_error(PHOTON_EINVAL,
					      "shared channel \"%s\" holds "
					      "%zu-byte messages; this "
					      "channel<T> needs %zu",
					      name, photon_channel_msg_size(c),
					      sizeof(T));
			photon_channel_release(std::exchange(c, nullptr));
		}
		return { detail::st(rc), channel(c) };
	}

	/// The publisher (SPMC: the only one, ebusy when taken; MPMC: one per
	/// producing thread); closed after the channel was closed.
	result<publisher<T>> open_publisher() const noexcept
	{
		photon_publisher *p = nullptr;
		int rc = photon_publisher_open(this->get(), &p);
		return { detail::st(rc), publisher<T>(p) };
	}

	/// A subscriber to messages published from now on.
	result<subscriber<T>> subscribe() const noexcept
	{
		photon_subscriber *s = nullptr;
		int rc = photon_subscribe(this->get(), &s);
		return { detail::st(rc), subscriber<T>(s) };
	}

	/// A subscriber from the oldest message still held.
	result<subscriber<T>> subscribe_from_oldest() const noexcept
	{
		photon_subscriber *s = nullptr;
		int rc = photon_subscribe_from_oldest(this->get(), &s);
		return { detail::st(rc), subscriber<T>(s) };
	}

	/// A group of n logical consumers (n == 0: einval).
	result<group<T>> subscribe_group(std::size_t n) const noexcept
	{
		photon_group *g = nullptr;
		int rc = photon_group_subscribe(this->get(), n, &g);
		return { detail::st(rc), group<T>(g) };
	}

	/// Slots in the ring (0 for an empty channel).
	std::size_t capacity() const noexcept
	{
		return photon_channel_capacity(this->get());
	}
	/// Bounded: slots kept free (the publisher waits at capacity -
	/// watermark outstanding); 0 when lossy.
	std::size_t watermark() const noexcept
	{
		return photon_channel_watermark(this->get());
	}
	/// The creation flags (PHOTON_BOUNDED, PHOTON_MPMC, ...).
	unsigned flags() const noexcept
	{
		return photon_channel_flags(this->get());
	}
	/// The publisher closed the channel (photon_channel_is_closed).
	bool is_closed() const noexcept
	{
		return photon_channel_is_closed(this->get()) != 0;
	}
	/// Shared channels: the publisher's process died without closing the
	/// channel (its subscribers drain, then see closed). Always false for
	/// in-process channels.
	bool abandoned() const noexcept
	{
		return photon_channel_abandoned(this->get()) != 0;
	}
	/// Shared channels: tracker entries of dead consumer processes freed
	/// so that a bounded channel's publisher went on.
	std::uint64_t reclaimed() const noexcept
	{
		return photon_channel_reclaimed(this->get());
	}

      private:
	explicit channel(photon_channel *c) noexcept : owner_type(c)
	{
	}
};

/// A typed bus topic: its name and the type name every side must give,
/// declared once and shared by publishers and subscribers:
///
///     constexpr photon::topic<Quote> quotes{ "md.quotes", "Quote" };
///
/// C code opening the same topic (PHOTON_DEFINE_TYPED's prefix_bus_topic)
/// names the type as its macro argument is spelled ("struct quote"): spell
/// type_name the same.
template <class T> struct topic {
	const char *name;      ///< the topic's name on the bus
	const char *type_name; ///< checked on every open, with sizeof(T)
};

/// A bus of named topics (photon/bus.h), each its own lossy channel.
/// Move-only; the destructor destroys the bus, and handles and channels
/// taken from it keep their topics alive. Every call is thread-safe.
class bus : public owner<photon_bus, photon_bus_destroy>
{
      public:
	bus() noexcept = default;

	/// A bus whose topics have capacity slots. msg_size is the size of
	/// the untyped topics C code opens (photon_bus_publisher); typed
	/// topics carry their own.
	static result<bus> create(std::size_t capacity,
				  std::size_t msg_size) noexcept
	{
		photon_bus *b = nullptr;
		int rc = photon_bus_create(&b, capacity, msg_size);
		return { detail::st(rc), bus(b) };
	}

	/// Topic t's channel: made, or opened when it holds T under t's type
	/// name (else etype, with both types in last_error_message()). A
	/// topic whose publisher closed is made afresh (photon/bus.h).
	template <class T>
	result<channel<T>> open(const topic<T> &t) const noexcept
	{
		return channel<T>::topic(get(), t.name, t.type_name);
	}

	/// The topic's publisher; ebusy while another is open.
	template <class T>
	result<publisher<T>> open_publisher(const topic<T> &t) const noexcept
	{
		auto r = open(t);
		if (!r)
			return { r.code, publisher<T>() };
		return r.value.open_publisher();
	}

	/// A subscriber to the topic's messages from now on.
	template <class T>
	result<subscriber<T>> subscribe(const topic<T> &t) const noexcept
	{
		auto r = open(t);
		if (!r)
			return { r.code, subscriber<T>() };
		return r.value.subscribe();
	}

	/// Topics on the bus.
	std::size_t topic_count() const noexcept
	{
		return photon_bus_topic_count(get());
	}

      private:
	explicit bus(photon_bus *b) noexcept : owner(b)
	{
	}
};

} // namespace photon

#endif // PHOTON_PHOTON_HPP
