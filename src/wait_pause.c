/* SPDX-License-Identifier: MIT */
/*
 * The spin phase of the wait strategies (wait.c) as a public call, for the
 * layers built on the public API: photonring-topology's stage threads poll
 * several inputs and pause between polls with it.
 */
#include "internal.h"

PHOTON_API void photon_wait_pause(const struct photon_wait *w, uint32_t step)
{
	photon__spin_pause(w, step);
}
