/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Compile-time topic registration: a bus topic declared once, at file
 * scope, in any translation unit of the program or of its libraries, and
 * created with every other declared topic by photon_bus_create_registered.
 *
 *     PHOTON_TOPIC(quotes, "md.quotes", struct quote);    (one .c file)
 *     PHOTON_TOPIC_EXTERN(quotes, struct quote);          (a header)
 *
 *     struct photon_bus *bus;
 *     photon_bus_create_registered(&bus, 4096);   every declared topic
 *     struct photon_channel *ch = quotes_topic(bus);  a new reference
 *
 * A declaration records the topic's name, its message size (sizeof(T)) and
 * its type name, spelled as the macro argument is written (`#T`, as
 * PHOTON_DEFINE_TYPED names it): a C declaration of `struct quote` and a
 * C++ one of `quote` are different types to the bus, so C and C++ code
 * sharing a topic spell the type the same. Declarations of one name with
 * the same size and type name are one topic; with another size or type
 * name, photon_bus_create_registered fails with PHOTON_ETYPE and a detail
 * naming both declarations' files and lines.
 *
 * How it is collected. Each declaration puts a pointer to its record into
 * the section photon_topics of its module (the executable or a shared
 * library; entries are pointer-sized, so the compiler cannot pad the
 * array, and marked used and retain, so neither the compiler nor a
 * linker's --gc-sections drops them). A constructor in the declaring
 * translation unit hands the library its module's own section bounds
 * (__start_photon_topics and __stop_photon_topics, hidden, so they name
 * that module's section), once per module however many units declare; a
 * destructor takes them back when the module is unloaded.
 *
 * What is included: declarations in the executable, in shared libraries it
 * loads at start-up, and in static libraries whose declaring objects are
 * linked (a static library's object that nothing references is left out
 * by the linker: link such a library whole, -Wl,--whole-archive). A shared
 * library that holds only declarations is dropped by `--as-needed`
 * (Debian's gcc passes it) unless the program calls one of its accessors
 * (`var_topic`) or links it with -Wl,--no-as-needed. A library loaded with
 * dlopen() registers its topics when it is loaded: a bus created before
 * that does not have them (its accessors still make them on first use).
 * Needs a GNU-compatible toolchain (GNU ld, gold or lld; gcc or clang).
 */
#ifndef PHOTON_TOPIC_H
#define PHOTON_TOPIC_H

#include <stddef.h>

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

struct photon_bus;
struct photon_channel;

/** Layout version of struct photon_topic_decl. */
#define PHOTON_TOPIC_ABI 1u

/** What PHOTON_TOPIC records for one declaration. */
struct photon_topic_decl {
	unsigned abi;	       /**< PHOTON_TOPIC_ABI when it was compiled */
	unsigned line;	       /**< line of the declaration */
	const char *name;      /**< the topic's name */
	const char *type_name; /**< the type as written (`#T`) */
	size_t msg_size;       /**< sizeof(T) */
	const char *file;      /**< file of the declaration */
};

/**
 * Creates a bus (photon_bus_create) with every topic declared by
 * PHOTON_TOPIC in the modules loaded so far, each a lossy channel of
 * capacity slots of its own message size. Such a bus has no untyped
 * topics: photon_bus_publisher, photon_bus_subscribe and photon_bus_channel
 * return PHOTON_EINVAL on it; open a topic with its accessor or
 * photon_bus_topic. Returns PHOTON_OK; PHOTON_ETYPE when two declarations
 * of one name differ in size or type name (the detail names both files and
 * lines; *out is NULL); PHOTON_EINVAL (NULL out, a bad capacity, a
 * declaration with an empty name or a size out of range, named with its
 * file and line); PHOTON_ENOMEM.
 */
PHOTON_API int photon_bus_create_registered(struct photon_bus **out,
					    size_t capacity);

/* What the declarations' constructors and destructors call: a module's
 * section, registered once however many of its units declare. */
PHOTON_API void
photon__topics_register(const struct photon_topic_decl *const *begin,
			const struct photon_topic_decl *const *end);
PHOTON_API void
photon__topics_unregister(const struct photon_topic_decl *const *begin);

/** The start of this module's photon_topics section (made by the linker,
 * hidden: each module sees its own). */
extern const struct photon_topic_decl *const __start_photon_topics[]
    __attribute__((visibility("hidden")));
/** The end of this module's photon_topics section. */
extern const struct photon_topic_decl *const __stop_photon_topics[]
    __attribute__((visibility("hidden")));

PHOTON__EXTERN_C_END

#if defined(__has_attribute)
#if __has_attribute(retain)
#define PHOTON__RETAIN retain,
#endif
#endif
#ifndef PHOTON__RETAIN
#define PHOTON__RETAIN
#endif

#ifdef __cplusplus
#define PHOTON__EXTERN_C extern "C"
#else
#define PHOTON__EXTERN_C
#endif

/**
 * Declares the bus topic named `topic` (a string) of messages of type T, at
 * file scope, and defines `struct photon_channel *var_topic(struct photon_bus
 * *bus)`: the topic's channel on bus as a new reference (photon_bus_topic with
 * sizeof(T) and `#T`), or NULL on failure (photon_last_error_message says
 * why). var_topic has C linkage, so C and C++ units can share it.
 */
#define PHOTON_TOPIC(var, topic, T)                                            \
	static const struct photon_topic_decl photon__topic_##var = {          \
		PHOTON_TOPIC_ABI, __LINE__, topic, #T, sizeof(T), __FILE__     \
	};                                                                     \
	static const struct photon_topic_decl *photon__topic_entry_##var       \
	    __attribute__((used, PHOTON__RETAIN section("photon_topics"),      \
			   aligned(sizeof(void *)))) = &photon__topic_##var;   \
	__attribute__((constructor)) static void photon__topic_on_##var(void)  \
	{                                                                      \
		photon__topics_register(__start_photon_topics,                 \
					__stop_photon_topics);                 \
	}                                                                      \
	__attribute__((destructor)) static void photon__topic_off_##var(void)  \
	{                                                                      \
		photon__topics_unregister(__start_photon_topics);              \
	}                                                                      \
	PHOTON__EXTERN_C struct photon_channel *var##_topic(                   \
	    struct photon_bus *bus);                                           \
	PHOTON__EXTERN_C struct photon_channel *var##_topic(                   \
	    struct photon_bus *bus)                                            \
	{                                                                      \
		struct photon_channel *ch_ = NULL;                             \
		if (photon_bus_topic(bus, photon__topic_##var.name, sizeof(T), \
				     #T, &ch_) != PHOTON_OK)                   \
			return NULL;                                           \
		return ch_;                                                    \
	}                                                                      \
	PHOTON__STATIC_ASSERT(sizeof(T) <= PHOTON_MSG_SIZE_MAX,                \
			      #T " is larger than PHOTON_MSG_SIZE_MAX")

/**
 * Declares `var_topic` (defined by a PHOTON_TOPIC in another unit), e.g. in
 * a header every user of the topic includes. T documents the message type.
 */
#define PHOTON_TOPIC_EXTERN(var, T)                          \
	PHOTON__EXTERN_C struct photon_channel *var##_topic( \
	    struct photon_bus *bus)

#endif /* PHOTON_TOPIC_H */
