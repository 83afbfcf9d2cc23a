/* SPDX-License-Identifier: MIT */
/*
 * The named-topic bus: a list of topics, each owning one reference to its
 * channel, behind one mutex. Topic lookups are control-plane work (done once
 * per handle), so a list is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct topic {
	struct topic *next;
	struct photon_channel *ch;
	char *type_name; /* "" for topics made by the untyped calls */
	char name[];
};

struct photon_bus {
	pthread_mutex_t lock;
	size_t capacity;
	size_t msg_size;
	size_t count;
	struct topic *topics;
};

PHOTON_API int photon_bus_create(struct photon_bus **out, size_t capacity,
				 size_t msg_size)
{
	struct photon_opts o = { .capacity = capacity, .msg_size = msg_size };
	struct photon_bus *b;
	int rc;

	if (!out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_bus_create: NULL argument");
	*out = NULL;
	/* Validate the topic shape once, with the channel's own checks. */
	rc = photon__check_opts(&o);
	if (rc != PHOTON_OK)
		return rc;
	b = calloc(1, sizeof(*b));
	if (!b)
		return photon__fail(PHOTON_ENOMEM, "out of memory for a bus");
	pthread_mutex_init(&b->lock, NULL);
	b->capacity = capacity;
	b->msg_size = msg_size;
	*out = b;
	return PHOTON_OK;
}

PHOTON_API void photon_bus_destroy(struct photon_bus *b)
{
	struct topic *t, *next;

	if (!b)
		return;
	for (t = b->topics; t; t = next) {
		next = t->next;
		photon_channel_release(t->ch);
		free(t->type_name);
		free(t);
	}
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static int check_name(const struct photon_bus *b, const char *name)
{
	if (!b || !name)
		return photon__fail(PHOTON_EINVAL, "bus: NULL argument");
	if (!*name)
		return photon__fail(PHOTON_EINVAL,
				    "bus: a topic name cannot be empty");
	return PHOTON_OK;
}

/*
 * A topic whose publisher closed its channel gets a fresh channel of the
 * same shape the next time it is opened, so that a restarted producer can
 * publish under the same name: the old channel's subscribers drain it and
 * see CLOSED, handles opened from now on use the new one. Under the bus
 * lock.
 */
static int restart_if_closed(struct photon_bus *b, struct topic *t)
{
	struct photon_channel *fresh;
	int rc;

	if (!photon_channel_is_closed(t->ch))
		return PHOTON_OK;
	rc = photon_channel_create(&fresh, b->capacity,
				   photon_channel_msg_size(t->ch));
	if (rc != PHOTON_OK)
		return rc;
	photon_channel_release(t->ch);
	t->ch = fresh;
	return PHOTON_OK;
}

/*
 * Finds or creates a topic under the bus lock and returns its channel as a
 * new reference. type_name NULL: an untyped call, which accepts any topic
 * of the bus's message size.
 */
static int topic_get(struct photon_bus *b, const char *name, size_t msg_size,
		     const char *type_name, struct photon_channel **out)
{
	struct topic *t;
	size_t len;
	int rc = PHOTON_OK;

	pthread_mutex_lock(&b->lock);
	for (t = b->topics; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			break;
	if (t) {
		if (photon_channel_msg_size(t->ch) != msg_size ||
		    (type_name && strcmp(t->type_name, type_name) != 0)) {
			/* The facts first; the names escaped and cut. */
			char a[300], c[300], n[300];

			rc = photon__fail(
			    PHOTON_ETYPE,
			    "topic holds %zu-byte '%s' messages, not "
			    "%zu-byte '%s' (topic '%s')",
			    photon_channel_msg_size(t->ch),
			    photon__shown(a, sizeof(a), t->type_name, 64),
			    msg_size,
			    photon__shown(c, sizeof(c),
					  type_name ? type_name : "", 64),
			    photon__shown(n, sizeof(n), name, 64));
		} else {
			rc = restart_if_closed(b, t);
			if (rc == PHOTON_OK)
				*out = photon__channel_ref(t->ch);
		}
		pthread_mutex_unlock(&b->lock);
		return rc;
	}
	len = strlen(name);
	t = calloc(1, sizeof(*t) + len + 1);
	if (t)
		t->type_name = strdup(type_name ? type_name : "");
	if (!t || !t->type_name) {
		rc = photon__fail(PHOTON_ENOMEM, "out of memory for a topic");
		goto fail;
	}
	memcpy(t->name, name, len + 1);
	rc = photon_channel_create(&t->ch, b->capacity, msg_size);
	if (rc != PHOTON_OK)
		goto fail;
	t->next = b->topics;
	b->topics = t;
	b->count++;
	*out = photon__channel_ref(t->ch);
	pthread_mutex_unlock(&b->lock);
	return PHOTON_OK;
fail:
	pthread_mutex_unlock(&b->lock);
	if (t)
		free(t->type_name);
	free(t);
	return rc;
}

PHOTON_API int photon_bus_channel(struct photon_bus *b, const char *topic,
				  struct photon_channel **out)
{
	int rc;

	if (out)
		*out = NULL;
	rc = check_name(b, topic);
	if (rc == PHOTON_OK && !out)
		rc = photon__fail(PHOTON_EINVAL, "bus: NULL out pointer");
	if (rc != PHOTON_OK)
		return rc;
	return topic_get(b, topic, b->msg_size, NULL, out);
}

PHOTON_API int photon_bus_topic(struct photon_bus *b, const char *topic,
				size_t msg_size, const char *type_name,
				struct photon_channel **out)
{
	int rc;

	if (out)
		*out = NULL;
	rc = check_name(b, topic);
	if (rc == PHOTON_OK && (!out || !type_name))
		rc = photon__fail(PHOTON_EINVAL, "bus: NULL argument");
	if (rc != PHOTON_OK)
		return rc;
	if (msg_size == 0 || msg_size > PHOTON_MSG_SIZE_MAX)
		return photon__fail(PHOTON_EINVAL,
				    "msg_size %zu: must be 1 .. %zu bytes",
				    msg_size, (size_t)PHOTON_MSG_SIZE_MAX);
	return topic_get(b, topic, msg_size, type_name, out);
}

/* Opens the topic's publisher (pub) or a subscriber (sub): one is NULL. */
static int topic_handle(struct photon_bus *b, const char *topic,
			struct photon_publisher **pub,
			struct photon_subscriber **sub)
{
	struct photon_channel *ch;
	int rc = photon_bus_channel(b, topic, &ch);

	if (rc != PHOTON_OK)
		return rc;
	rc = pub ? photon_publisher_open(ch, pub) : photon_subscribe(ch, sub);
	photon_channel_release(ch);
	return rc;
}

PHOTON_API int photon_bus_publisher(struct photon_bus *b, const char *topic,
				    struct photon_publisher **out)
{
	if (!out)
		return photon__fail(PHOTON_EINVAL, "bus: NULL out pointer");
	*out = NULL;
	return topic_handle(b, topic, out, NULL);
}

PHOTON_API int photon_bus_subscribe(struct photon_bus *b, const char *topic,
				    struct photon_subscriber **out)
{
	if (!out)
		return photon__fail(PHOTON_EINVAL, "bus: NULL out pointer");
	*out = NULL;
	return topic_handle(b, topic, NULL, out);
}

PHOTON_API size_t photon_bus_topic_count(struct photon_bus *b)
{
	size_t n;

	if (!b)
		return 0;
	pthread_mutex_lock(&b->lock);
	n = b->count;
	pthread_mutex_unlock(&b->lock);
	return n;
}
