/* SPDX-License-Identifier: MIT */
/* The message types and accessors of the compile-time topic tests
 * (tests/topics.cmake): declared in C and C++ units, a static library, a
 * shared library and a library loaded with dlopen. */
#ifndef TOPICS_TEST_H
#define TOPICS_TEST_H

#include <stdint.h>

#include <photon/photon.h>

struct quote {
	uint64_t id;
	double bid, ask;
};

struct trade {
	uint64_t id;
	double price;
	uint32_t qty;
	uint32_t side;
	char venue[16];
};

struct order {
	uint64_t id;
	uint8_t side;
};

PHOTON_TOPIC_EXTERN(quotes, struct quote);
PHOTON_TOPIC_EXTERN(trades, struct trade);
PHOTON_TOPIC_EXTERN(quotes_cxx, struct quote);
PHOTON_TOPIC_EXTERN(orders, struct order);
PHOTON_TOPIC_EXTERN(in_static, struct quote);
PHOTON_TOPIC_EXTERN(in_shared, struct trade);
PHOTON_TOPIC_EXTERN(in_shared2, uint64_t);

#endif
