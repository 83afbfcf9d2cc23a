/* SPDX-License-Identifier: MIT */
/**
 * @file
 * A bus of named topics, each its own channel. A topic is created by
 * whichever call names it first, and topics are isolated from each other.
 *
 * Untyped calls (photon_bus_publisher, photon_bus_subscribe,
 * photon_bus_channel) create topics of the bus's default message size with
 * an empty type name, and open any topic whose size is that default (another
 * size is PHOTON_ETYPE: it would overrun the caller's buffers). Typed topics
 * (photon_bus_topic) carry a size and a type name; reopening one with
 * another size or name is PHOTON_ETYPE.
 *
 * A topic outlives its publisher: once the publisher closes the topic's
 * channel, the next call that opens the topic (a restarted producer's
 * photon_bus_publisher, a new subscriber) gets a fresh channel under the
 * same name. Subscribers of the old one drain it and then see
 * PHOTON_CLOSED; they resubscribe to follow the new publisher.
 *
 * Thread contract: every call is thread-safe; the handles it returns follow
 * the usual one-thread-at-a-time rule. Handles and channel references keep
 * their topic's channel alive after photon_bus_destroy().
 */
#ifndef PHOTON_BUS_H
#define PHOTON_BUS_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_bus;
struct photon_channel;
struct photon_publisher;
struct photon_subscriber;

/** A bus whose topics are lossy channels of capacity x msg_size. */
PHOTON_API int photon_bus_create(struct photon_bus **out, size_t capacity,
				 size_t msg_size);

/** Drops the bus's references to its topics. NULL is a no-op. */
PHOTON_API void photon_bus_destroy(struct photon_bus *b);

/** The topic's single publisher; PHOTON_EBUSY when already taken. */
PHOTON_API int photon_bus_publisher(struct photon_bus *b, const char *topic,
				    struct photon_publisher **out);

/** A subscriber to the topic's future messages. */
PHOTON_API int photon_bus_subscribe(struct photon_bus *b, const char *topic,
				    struct photon_subscriber **out);

/** The topic's channel, as a new reference (photon_channel_release). */
PHOTON_API int photon_bus_channel(struct photon_bus *b, const char *topic,
				  struct photon_channel **out);

/**
 * Typed topic: creates it with msg_size and type_name, or opens it when both
 * match; otherwise PHOTON_ETYPE. *out is a new reference.
 */
PHOTON_API int photon_bus_topic(struct photon_bus *b, const char *topic,
				size_t msg_size, const char *type_name,
				struct photon_channel **out);

/** Number of topics. 0 for NULL. */
PHOTON_API size_t photon_bus_topic_count(struct photon_bus *b);

PHOTON__EXTERN_C_END

#endif /* PHOTON_BUS_H */
