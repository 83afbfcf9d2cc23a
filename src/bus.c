/* SPDX-License-Identifier: MIT */
/*
 * The named-topic bus: a list of topics, each owning one reference to its
 * channel, behind one mutex. Topic lookups are control-plane work (done once
 * per handle), so a list is enough.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <photon/topic.h>

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
	if (b->msg_size == 0)
		return photon__fail(
		    PHOTON_EINVAL, "bus: made by photon_bus_create_registered, "
				   "it has typed topics only: open a topic "
				   "with its accessor or photon_bus_topic");
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

/* ---- compile-time topics (photon/topic.h) ---- */

/* The modules' sections, each registered once: every declaring unit's
 * constructor registers its module's bounds, counted here. */
struct topic_range {
	const struct photon_topic_decl *const *begin, *const *end;
	size_t refs;
};

static pthread_mutex_t ranges_lock = PTHREAD_MUTEX_INITIALIZER;
static struct topic_range *ranges;
static size_t nranges, ranges_cap;

PHOTON_API void
photon__topics_register(const struct photon_topic_decl *const *begin,
			const struct photon_topic_decl *const *end)
{
	size_t i;

	if (!begin || end <= begin)
		return;
	pthread_mutex_lock(&ranges_lock);
	for (i = 0; i < nranges; i++)
		if (ranges[i].begin == begin)
			break;
	if (i < nranges) {
		ranges[i].refs++;
		goto out;
	}
	if (nranges == ranges_cap) {
		size_t cap = ranges_cap ? 2 * ranges_cap : 8;
		struct topic_range *grown =
		    realloc(ranges, cap * sizeof(*grown));

		/* Out of memory at load time: the module's topics are missing
		 * from registered buses (their accessors still work). */
		if (!grown)
			goto out;
		ranges = grown;
		ranges_cap = cap;
	}
	ranges[nranges++] =
	    (struct topic_range){ .begin = begin, .end = end, .refs = 1 };
out:
	pthread_mutex_unlock(&ranges_lock);
}

PHOTON_API void
photon__topics_unregister(const struct photon_topic_decl *const *begin)
{
	size_t i;

	pthread_mutex_lock(&ranges_lock);
	for (i = 0; i < nranges; i++)
		if (ranges[i].begin == begin && --ranges[i].refs == 0) {
			ranges[i] = ranges[--nranges];
			break;
		}
	pthread_mutex_unlock(&ranges_lock);
}

/* A declaration's defects, with its place; PHOTON_OK when sound. */
static int check_decl(const struct photon_topic_decl *d)
{
	char f[300], n[300];
	const char *file =
	    photon__shown(f, sizeof(f), d->file ? d->file : "?", 128);

	if (d->abi != PHOTON_TOPIC_ABI)
		return photon__fail(PHOTON_EINVAL,
				    "topic declaration at %s:%u: layout %u, "
				    "this library reads %u (rebuild it)",
				    file, d->line, d->abi, PHOTON_TOPIC_ABI);
	if (!d->name || !*d->name || !d->type_name)
		return photon__fail(PHOTON_EINVAL,
				    "topic declaration at %s:%u: empty name",
				    file, d->line);
	if (d->msg_size == 0 || d->msg_size > PHOTON_MSG_SIZE_MAX)
		return photon__fail(PHOTON_EINVAL,
				    "topic '%s' at %s:%u: %zu-byte messages "
				    "(1 to %zu)",
				    photon__shown(n, sizeof(n), d->name, 64),
				    file, d->line, d->msg_size,
				    (size_t)PHOTON_MSG_SIZE_MAX);
	return PHOTON_OK;
}

/* Two declarations of one name: the same topic, or ETYPE naming both. */
static int check_pair(const struct photon_topic_decl *a,
		      const struct photon_topic_decl *b)
{
	char n[300], ta[300], tb[300], fa[300], fb[300];

	if (strcmp(a->name, b->name) != 0 ||
	    (a->msg_size == b->msg_size &&
	     strcmp(a->type_name, b->type_name) == 0))
		return PHOTON_OK;
	return photon__fail(
	    PHOTON_ETYPE,
	    "topic declared twice with different types: %zu-byte '%s' at "
	    "%s:%u and %zu-byte '%s' at %s:%u (topic '%s')",
	    a->msg_size, photon__shown(ta, sizeof(ta), a->type_name, 64),
	    photon__shown(fa, sizeof(fa), a->file ? a->file : "?", 128),
	    a->line, b->msg_size,
	    photon__shown(tb, sizeof(tb), b->type_name, 64),
	    photon__shown(fb, sizeof(fb), b->file ? b->file : "?", 128),
	    b->line, photon__shown(n, sizeof(n), a->name, 64));
}

/*
 * Every declaration of every registered module, checked (each against the
 * ones before it, so a conflict names both), then made. Under ranges_lock,
 * so no module unloads meanwhile.
 */
static int create_declared(struct photon_bus *b)
{
	size_t r, q;
	int rc = PHOTON_OK;

	for (r = 0; r < nranges && rc == PHOTON_OK; r++) {
		const struct photon_topic_decl *const *e;

		for (e = ranges[r].begin; e < ranges[r].end && rc == PHOTON_OK;
		     e++) {
			const struct photon_topic_decl *const *p;

			if (!*e)
				continue; /* a linker's padding, if any */
			rc = check_decl(*e);
			for (q = 0; q <= r && rc == PHOTON_OK; q++)
				for (p = ranges[q].begin;
				     p < (q == r ? e : ranges[q].end) &&
				     rc == PHOTON_OK;
				     p++)
					if (*p)
						rc = check_pair(*p, *e);
		}
	}
	for (r = 0; r < nranges && rc == PHOTON_OK; r++) {
		const struct photon_topic_decl *const *e;

		for (e = ranges[r].begin; e < ranges[r].end && rc == PHOTON_OK;
		     e++) {
			struct photon_channel *ch;

			if (!*e)
				continue;
			rc = topic_get(b, (*e)->name, (*e)->msg_size,
				       (*e)->type_name, &ch);
			if (rc == PHOTON_OK)
				photon_channel_release(ch);
		}
	}
	return rc;
}

PHOTON_API int photon_bus_create_registered(struct photon_bus **out,
					    size_t capacity)
{
	struct photon_bus *b;
	int rc;

	if (!out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_bus_create_registered: NULL out");
	*out = NULL;
	/* The topics' shape, checked once with a stand-in message size. */
	rc = photon_bus_create(&b, capacity, 8);
	if (rc != PHOTON_OK)
		return rc;
	b->msg_size = 0; /* typed topics only */
	pthread_mutex_lock(&ranges_lock);
	rc = create_declared(b);
	pthread_mutex_unlock(&ranges_lock);
	if (rc != PHOTON_OK) {
		photon_bus_destroy(b);
		b = NULL;
	}
	*out = b;
	return rc;
}
