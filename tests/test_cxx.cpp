// SPDX-License-Identifier: MIT
// The public headers compile as C++17 and work from C++: the umbrella header,
// the typed wrappers expanded in C++ (only some used), the inline hot paths.
#include <photon/photon.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace
{

struct Quote {
	double bid;
	double ask;
	std::uint64_t id;
};
static_assert(std::is_trivially_copyable<Quote>::value, "plain data");

struct Unused {
	char c[13];
};

} // namespace

PHOTON_DEFINE_TYPED(quote, Quote);
PHOTON_DEFINE_TYPED(unused,
		    Unused); // expanded, never called: still -Werror clean

static int failures;

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
				     __FILE__, __LINE__, #cond);          \
			failures++;                                       \
		}                                                         \
	} while (0)

int main()
{
	photon_channel *ch = nullptr;
	photon_publisher *pub = nullptr;
	photon_subscriber *sub = nullptr;

	CHECK(quote_channel_create(&ch, 16) == PHOTON_OK);
	CHECK(photon_channel_msg_size(ch) == sizeof(Quote));
	CHECK(photon_publisher_open(ch, &pub) == PHOTON_OK);
	CHECK(photon_subscribe(ch, &sub) == PHOTON_OK);

	for (std::uint64_t i = 0; i < 40; i++) {
		Quote q{ 100.0 + double(i), 100.5 + double(i), i };
		CHECK(quote_publish(pub, &q) == PHOTON_OK);
		Quote r{};
		CHECK(quote_try_recv(sub, &r) == PHOTON_OK);
		CHECK(std::memcmp(&q, &r, sizeof(q)) == 0);
	}
	Quote untouched{ 1.0, 2.0, 3 };
	CHECK(quote_try_recv(sub, &untouched) == PHOTON_EMPTY);
	CHECK(untouched.id == 3);

	// The exported twins and the C enum constants from C++.
	Quote q{ 7.0, 8.0, 9 };
	CHECK(photon_publish(pub, &q) == PHOTON_OK);
	Quote r{};
	CHECK(photon_try_recv(sub, &r) == PHOTON_OK && r.id == 9);
	CHECK(std::strcmp(photon_strerror(PHOTON_EMPTY), "") != 0);
	CHECK(photon_version() == PHOTON_VERSION_NUMBER);

	// A typed call on a channel of another size is refused.
	photon_channel *other = nullptr;
	photon_subscriber *osub = nullptr;
	CHECK(photon_channel_create(&other, 4, 8) == PHOTON_OK);
	CHECK(photon_subscribe(other, &osub) == PHOTON_OK);
	CHECK(quote_try_recv(osub, &r) == PHOTON_EINVAL);

	photon_subscriber_close(osub);
	photon_channel_release(other);
	photon_subscriber_close(sub);
	photon_publisher_close(pub);
	photon_channel_release(ch);
	std::printf("test_cxx: %s (%d failures)\n", failures ? "FAIL" : "ok",
		    failures);
	return failures ? 1 : 0;
}
