/* SPDX-License-Identifier: MIT */
/* The test build's hook and clock (src/testing.h); only in PHOTON_TESTING. */
#include "testing.h"

photon__test_hook_fn photon__test_hook;
photon__test_clock_fn photon__test_clock;
