/* SPDX-License-Identifier: MIT */
/*
 * Ring memory. Anonymous mmap gives page-aligned, zeroed memory (every stamp
 * starts at 0, "never written") whose pages are only faulted in when first
 * touched.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

int photon__ring_map(struct photon_channel *ch, size_t bytes,
		     const struct photon_opts *opts)
{
	void *p;

	if (opts->flags & (PHOTON_HUGEPAGES | PHOTON_THP | PHOTON_MLOCK |
			   PHOTON_PREFAULT | PHOTON_NUMA))
		return photon__fail(PHOTON_ENOTSUP,
				    "flags 0x%x are not available in this "
				    "version of libphotonring",
				    opts->flags);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return photon__fail(PHOTON_ENOMEM,
				    "mmap of a %zu-byte ring failed: %s", bytes,
				    strerror(errno));
	ch->slots = p;
	ch->ring_bytes = bytes;
	ch->page_size = (size_t)sysconf(_SC_PAGESIZE);
	return PHOTON_OK;
}

void photon__ring_unmap(struct photon_channel *ch)
{
	if (ch->slots)
		munmap(ch->slots, ch->ring_bytes);
	ch->slots = NULL;
}
