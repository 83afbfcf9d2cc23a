/* SPDX-License-Identifier: MIT */
/*
 * Compile-time topics across modules (built by tests/topics.cmake with GNU
 * ld, gold and lld, at -O0 and with LTO, -O3 and --gc-sections):
 * declarations in this executable's C and C++ units, a static library
 * linked whole and a shared library of two units are all on a registered
 * bus; the C and C++ declarations of md.quotes are one topic; a library
 * loaded with dlopen() joins buses made after it loaded and leaves with
 * dlclose(). argv[1]: that library.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "topics.h"

static int failures;

#define CHECK(c)                                                          \
	do {                                                              \
		if (!(c)) {                                               \
			fprintf(stderr, "%s:%d: CHECK(%s) failed (%s)\n", \
				__FILE__, __LINE__, #c,                   \
				photon_last_error_message());             \
			failures++;                                       \
		}                                                         \
	} while (0)

/* The topic exists on bus with this size and type name. */
static void has(struct photon_bus *bus, const char *name, size_t size,
		const char *type)
{
	struct photon_channel *ch = NULL;

	CHECK(photon_bus_topic(bus, name, size, type, &ch) == PHOTON_OK);
	CHECK(ch && photon_channel_msg_size(ch) == size);
	photon_channel_release(ch);
}

int main(int argc, char **argv)
{
	struct photon_bus *bus = NULL, *later = NULL, *after = NULL;
	struct photon_channel *a, *b, *x = NULL;
	struct photon_publisher *p = NULL;
	struct photon_subscriber *s = NULL;
	struct quote q = { 7, 99.5, 100.5 }, r = { 0, 0, 0 };
	void *plugin;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
		return 2;
	}
	CHECK(photon_bus_create_registered(&bus, 64) == PHOTON_OK);
	if (!bus)
		return 1;
	/* md.quotes (C and C++), md.trades, ex.orders, lib.static,
	 * lib.shared, lib.shared2. */
	CHECK(photon_bus_topic_count(bus) == 6);
	has(bus, "md.quotes", sizeof(struct quote), "struct quote");
	has(bus, "md.trades", sizeof(struct trade), "struct trade");
	has(bus, "ex.orders", sizeof(struct order), "struct order");
	has(bus, "lib.static", sizeof(struct quote), "struct quote");
	has(bus, "lib.shared", sizeof(struct trade), "struct trade");
	has(bus, "lib.shared2", sizeof(uint64_t), "uint64_t");
	CHECK(photon_bus_topic_count(bus) == 6);

	/* The accessors: one channel for the C and the C++ declaration. */
	a = quotes_topic(bus);
	b = quotes_cxx_topic(bus);
	CHECK(a && a == b);
	x = in_shared_topic(bus);
	CHECK(x && photon_channel_msg_size(x) == sizeof(struct trade));
	photon_channel_release(x);
	x = in_static_topic(bus);
	CHECK(x && photon_channel_msg_size(x) == sizeof(struct quote));
	photon_channel_release(x);
	x = in_shared2_topic(bus);
	CHECK(x != NULL);
	photon_channel_release(x);
	CHECK(orders_topic(bus) != NULL); /* a reference, released below */
	photon_channel_release(orders_topic(bus));
	photon_channel_release(orders_topic(bus));
	CHECK(trades_topic(NULL) == NULL);

	/* Refused: another type, and untyped calls on a registered bus. */
	x = NULL;
	CHECK(photon_bus_topic(bus, "md.quotes", sizeof(struct trade),
			       "struct trade", &x) == PHOTON_ETYPE);
	CHECK(photon_bus_topic(bus, "md.quotes", sizeof(struct quote), "quote",
			       &x) == PHOTON_ETYPE);
	CHECK(photon_bus_publisher(bus, "md.quotes", &p) == PHOTON_EINVAL);
	CHECK(photon_bus_subscribe(bus, "new.topic", &s) == PHOTON_EINVAL);
	CHECK(photon_bus_channel(bus, "md.quotes", &x) == PHOTON_EINVAL);

	/* Messages flow through what the two accessors gave. */
	CHECK(photon_publisher_open(a, &p) == PHOTON_OK);
	CHECK(photon_subscribe(b, &s) == PHOTON_OK);
	CHECK(photon_publish(p, &q) == PHOTON_OK);
	CHECK(photon_try_recv(s, &r) == PHOTON_OK && r.id == 7);
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(a);
	photon_channel_release(b);

	/* dlopen: not on the bus made before, on one made after; gone with
	 * dlclose. */
	plugin = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	CHECK(plugin != NULL);
	if (!plugin)
		fprintf(stderr, "dlopen: %s\n", dlerror());
	CHECK(photon_bus_topic_count(bus) == 6);
	CHECK(photon_bus_create_registered(&later, 64) == PHOTON_OK);
	CHECK(photon_bus_topic_count(later) == 7);
	if (later)
		has(later, "plugin.ticks", sizeof(uint64_t), "uint64_t");
	if (plugin)
		CHECK(dlclose(plugin) == 0);
	CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) == NULL); /* unloaded */
	CHECK(photon_bus_create_registered(&after, 64) == PHOTON_OK);
	CHECK(photon_bus_topic_count(after) == 6);

	photon_bus_destroy(after);
	photon_bus_destroy(later);
	photon_bus_destroy(bus);
	printf("topics: %s (%d failures)\n", failures ? "FAIL" : "ok",
	       failures);
	return failures ? 1 : 0;
}
