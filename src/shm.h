/* SPDX-License-Identifier: MIT */
/*
 * The layout of a shared channel's segment (docs/PROTOCOL.md, 7): private to
 * the library, its tests and photon-stat.
 *
 *   0                 header (struct photon__shm_header), checksummed
 *   shared_offset     struct photon__shared: cursor line, closed, liveness,
 *                     gate (PHOTON__SHM_HEADER_BYTES)
 *   trackers_offset   trackers_cap x struct photon__tracker
 *   slots_offset      the ring, page aligned (the segment's page)
 *   total_bytes
 *
 * Every offset and size is a function of (capacity, msg_size, trackers_cap,
 * page_size); a reader recomputes them and refuses a header that disagrees.
 */
#ifndef PHOTON_SHM_H
#define PHOTON_SHM_H

#include "internal.h"

#define PHOTON__SHM_MAGIC "PHOTONR\x01"
/* Bumped on every change of this header, of struct photon__shared or of
 * struct photon__tracker: builds of other layouts refuse each other. */
#ifndef PHOTON__SHM_LAYOUT
#define PHOTON__SHM_LAYOUT 1
#endif
/* The header's share of the segment: one base page. */
#define PHOTON__SHM_HEADER_BYTES 4096u
/* Consumers a segment can track (photon_opts.max_consumers). */
#define PHOTON__SHM_CONSUMERS_DEFAULT 64u
#define PHOTON__SHM_CONSUMERS_MAX     4096u
/* Longest name (bytes, without the terminating NUL). */
#define PHOTON__SHM_NAME_MAX 200u

struct photon__shm_header {
	unsigned char magic[8];
	uint32_t layout;	/* PHOTON__SHM_LAYOUT */
	uint32_t header_bytes;	/* sizeof(struct photon__shm_header) */
	uint32_t lib_version;	/* photon_version() of the creator */
	uint32_t shared_bytes;	/* sizeof(struct photon__shared) */
	uint32_t tracker_bytes; /* sizeof(struct photon__tracker) */
	uint32_t flags;		/* enum photon_flags */
	uint64_t page_size;	/* the segment's page: base or huge */
	uint64_t capacity;
	uint64_t msg_size;
	uint64_t stride;
	uint64_t watermark;
	uint64_t stall_timeout_ns;
	uint64_t trackers_cap;
	uint64_t shared_offset;
	uint64_t trackers_offset;
	uint64_t slots_offset;
	uint64_t slots_bytes;
	uint64_t total_bytes;
	uint64_t creator_pid;
	uint64_t creator_start; /* /proc/PID/stat field 22, clock ticks */
	uint64_t checksum;	/* FNV-1a 64 of every byte before it */
};

/* FNV-1a, 64 bits: detects damage (it is no defence against forgery). */
uint64_t photon__fnv1a(const void *p, size_t n);

/* The layout for the header's parameters; 0 when they do not fit. */
int photon__shm_layout(struct photon__shm_header *h);

/*
 * Why h (read from a file of file_bytes) is not a valid header, or NULL.
 * Checks every field against the layout recomputed from its parameters.
 */
const char *photon__shm_invalid(const struct photon__shm_header *h,
				uint64_t file_bytes);

/*
 * photon_shm_open with a choice: writable 0 maps the segment read-only
 * (photon-stat), for getters and inspection only: no handle may be opened.
 */
int photon__shm_open_mode(struct photon_channel **out, const char *name,
			  int writable);

/* The segment's header as validated at open (shm.c keeps a copy). */
const struct photon__shm_header *
photon__shm_header_of(const struct photon_channel *ch);

/* The directory holding segment `name` as photon_shm_open finds it. */
const char *photon__shm_dir(int hugetlb);

#endif /* PHOTON_SHM_H */
