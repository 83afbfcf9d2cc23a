/* SPDX-License-Identifier: MIT */
/**
 * @file
 * PHOTON_DEFINE_TYPED(prefix, T): typed wrappers whose payload size is the
 * compile-time constant sizeof(T), so the word copy of publish and try_recv
 * unrolls and inlines into the caller. T must be plain data: any bit pattern
 * a torn read can produce must be a valid T (no pointers or enums the reader
 * trusts before the stamp check).
 *
 * Generated (all static inline, marked unused so a file may use only some;
 * publish, try_publish, try_recv and group_try_recv always inlined, so the
 * hot path's cost does not hang on the compiler's inlining budget for the
 * caller):
 *
 * @code
 *   int prefix_channel_create(struct photon_channel **out, size_t capacity);
 *   int prefix_channel_create_bounded(struct photon_channel **out,
 *                                     size_t capacity, size_t watermark);
 *   int prefix_shm_create(struct photon_channel **out, const char *name,
 *                         const struct photon_opts *opts, unsigned mode);
 *       opts->msg_size is replaced by sizeof(T)
 *   int prefix_shm_open(struct photon_channel **out, const char *name);
 *       PHOTON_EINVAL (nothing left open) when the segment's messages are
 *       not sizeof(T) bytes
 *   int prefix_bus_topic(struct photon_bus *bus, const char *topic,
 *                        struct photon_channel **out);   type name "T"
 *   int prefix_publish(struct photon_publisher *p, const T *msg);
 *   int prefix_try_publish(struct photon_publisher *p, const T *msg);
 *   int prefix_try_recv(struct photon_subscriber *s, T *out);
 *   int prefix_group_try_recv(struct photon_group *g, T *out);
 *   int prefix_recv(struct photon_subscriber *s, T *out);
 *   int prefix_recv_with(struct photon_subscriber *s, T *out,
 *                        const struct photon_wait *w);
 *   int prefix_recv_timeout(struct photon_subscriber *s, T *out,
 *                           const struct photon_wait *w, uint64_t ns);
 *   int prefix_latest(struct photon_subscriber *s, T *out);
 *   typedef int (*prefix_handler_fn)(void *ctx, const T *msg, uint64_t seq);
 *   long prefix_poll(struct photon_subscriber *s, prefix_handler_fn fn,
 *                    void *ctx, size_t limit);       as photon_poll
 *   long prefix_group_poll(struct photon_group *g, prefix_handler_fn fn,
 *                          void *ctx, size_t limit);
 * @endcode
 *
 * Every call on a handle whose channel's msg_size is not sizeof(T) returns
 * PHOTON_EINVAL. The receives copy through a local T and leave *out
 * untouched unless they return PHOTON_OK. Thread contract as for the untyped
 * calls.
 */
#ifndef PHOTON_TYPED_H
#define PHOTON_TYPED_H

#include <photon/channel.h>
#include <photon/bus.h>
#include <photon/error.h>

#define PHOTON__TYPED_OK(h, x, T) \
	PHOTON__LIKELY((h) != NULL && (x) != NULL && (h)->msg_size == sizeof(T))

/** Defines the typed wrappers of T: the prefix_* calls listed in typed.h. */
#define PHOTON_DEFINE_TYPED(prefix, T)                                         \
	PHOTON__UNUSED static inline int prefix##_channel_create(              \
	    struct photon_channel **out, size_t capacity)                      \
	{                                                                      \
		return photon_channel_create(out, capacity, sizeof(T));        \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_channel_create_bounded(      \
	    struct photon_channel **out, size_t capacity, size_t watermark)    \
	{                                                                      \
		return photon_channel_create_bounded(out, capacity, sizeof(T), \
						     watermark);               \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_shm_create(                  \
	    struct photon_channel **out, const char *name,                     \
	    const struct photon_opts *opts, unsigned mode)                     \
	{                                                                      \
		struct photon_opts o;                                          \
                                                                               \
		if (!opts)                                                     \
			return photon_shm_create(out, name, opts, mode);       \
		o = *opts;                                                     \
		o.msg_size = sizeof(T);                                        \
		return photon_shm_create(out, name, &o, mode);                 \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_shm_open(                    \
	    struct photon_channel **out, const char *name)                     \
	{                                                                      \
		int rc = photon_shm_open(out, name);                           \
		size_t n = rc == PHOTON_OK ? photon_channel_msg_size(*out)     \
					   : sizeof(T);                        \
                                                                               \
		if (n == sizeof(T))                                            \
			return rc;                                             \
		photon_channel_release(*out);                                  \
		*out = NULL;                                                   \
		return photon_set_error(                                       \
		    PHOTON_EINVAL, "shared channel \"%s\" carries %zu-byte \
messages, not sizeof(" #T ") = %zu",                                           \
		    name, n, sizeof(T));                                       \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_bus_topic(                   \
	    struct photon_bus *bus, const char *topic,                         \
	    struct photon_channel **out)                                       \
	{                                                                      \
		return photon_bus_topic(bus, topic, sizeof(T), #T, out);       \
	}                                                                      \
	PHOTON__UNUSED PHOTON__INLINE int prefix##_publish(                    \
	    struct photon_publisher *p, const T *msg)                          \
	{                                                                      \
		if (!PHOTON__TYPED_OK(p, msg, T))                              \
			return PHOTON_EINVAL;                                  \
		return photon__publish_n(p, msg, sizeof(T), 1);                \
	}                                                                      \
	PHOTON__UNUSED PHOTON__INLINE int prefix##_try_publish(                \
	    struct photon_publisher *p, const T *msg)                          \
	{                                                                      \
		if (!PHOTON__TYPED_OK(p, msg, T))                              \
			return PHOTON_EINVAL;                                  \
		return photon__publish_n(p, msg, sizeof(T), 0);                \
	}                                                                      \
	PHOTON__UNUSED PHOTON__INLINE int prefix##_try_recv(                   \
	    struct photon_subscriber *s, T *out)                               \
	{                                                                      \
		unsigned char tmp[sizeof(T)];                                  \
		int rc;                                                        \
		if (!PHOTON__TYPED_OK(s, out, T))                              \
			return PHOTON_EINVAL;                                  \
		rc = photon__try_recv_n(s, tmp, sizeof(T));                    \
		if (rc == PHOTON_OK)                                           \
			memcpy(out, tmp, sizeof(T));                           \
		return rc;                                                     \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_recv_with(                   \
	    struct photon_subscriber *s, T *out, const struct photon_wait *w)  \
	{                                                                      \
		unsigned char tmp[sizeof(T)];                                  \
		int rc;                                                        \
		if (!PHOTON__TYPED_OK(s, out, T))                              \
			return PHOTON_EINVAL;                                  \
		rc = photon_recv_with(s, tmp, w);                              \
		if (rc == PHOTON_OK)                                           \
			memcpy(out, tmp, sizeof(T));                           \
		return rc;                                                     \
	}                                                                      \
	PHOTON__UNUSED PHOTON__INLINE int prefix##_group_try_recv(             \
	    struct photon_group *g, T *out)                                    \
	{                                                                      \
		return prefix##_try_recv(g ? &g->sub : NULL, out);             \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_recv_timeout(                \
	    struct photon_subscriber *s, T *out, const struct photon_wait *w,  \
	    uint64_t timeout_ns)                                               \
	{                                                                      \
		unsigned char tmp[sizeof(T)];                                  \
		int rc;                                                        \
		if (!PHOTON__TYPED_OK(s, out, T))                              \
			return PHOTON_EINVAL;                                  \
		rc = photon_recv_timeout(s, tmp, w, timeout_ns);               \
		if (rc == PHOTON_OK)                                           \
			memcpy(out, tmp, sizeof(T));                           \
		return rc;                                                     \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_recv(                        \
	    struct photon_subscriber *s, T *out)                               \
	{                                                                      \
		/* A message already waiting: the inline receive alone. */     \
		int rc = prefix##_try_recv(s, out);                            \
		if (rc == PHOTON_OK || rc == PHOTON_CLOSED ||                  \
		    rc == PHOTON_EINVAL)                                       \
			return rc;                                             \
		return prefix##_recv_with(s, out, NULL);                       \
	}                                                                      \
	PHOTON__UNUSED static inline int prefix##_latest(                      \
	    struct photon_subscriber *s, T *out)                               \
	{                                                                      \
		unsigned char tmp[sizeof(T)];                                  \
		int rc;                                                        \
		if (!PHOTON__TYPED_OK(s, out, T))                              \
			return PHOTON_EINVAL;                                  \
		rc = photon_latest(s, tmp);                                    \
		if (rc == PHOTON_OK)                                           \
			memcpy(out, tmp, sizeof(T));                           \
		return rc;                                                     \
	}                                                                      \
	typedef int (*prefix##_handler_fn)(void *ctx, const T *msg,            \
					   uint64_t seq);                      \
	PHOTON__UNUSED static inline long prefix##_poll(                       \
	    struct photon_subscriber *s, prefix##_handler_fn fn, void *ctx,    \
	    size_t limit)                                                      \
	{                                                                      \
		/* Up to 1 KiB on the stack, above it the handle's buffer. */  \
		unsigned char tmp_[sizeof(T) <= 1024 ? sizeof(T) : 1]          \
		    __attribute__((aligned(__alignof__(T))));                  \
		T *buf_ = PHOTON__CAST(T *, PHOTON__CAST(void *, tmp_));       \
		long r_;                                                       \
		if (!PHOTON__TYPED_OK(s, fn, T))                               \
			return PHOTON_EINVAL;                                  \
		if (sizeof(T) > 1024 &&                                        \
		    !(buf_ = PHOTON__CAST(T *, photon__poll_buffer(s))))       \
			return PHOTON_ENOMEM;                                  \
		PHOTON__POLL_LOOP(s, buf_, sizeof(T), limit, r_,               \
				  PHOTON__POLL_CALL);                          \
		return r_;                                                     \
	}                                                                      \
	PHOTON__UNUSED static inline long prefix##_group_poll(                 \
	    struct photon_group *g, prefix##_handler_fn fn, void *ctx,         \
	    size_t limit)                                                      \
	{                                                                      \
		return prefix##_poll(g ? &g->sub : NULL, fn, ctx, limit);      \
	}                                                                      \
	PHOTON__STATIC_ASSERT(sizeof(T) <= PHOTON_MSG_SIZE_MAX,                \
			      #T " is larger than PHOTON_MSG_SIZE_MAX")

#endif /* PHOTON_TYPED_H */
