/* SPDX-License-Identifier: MIT */
/* A library the test loads with dlopen(), after its first bus. */
#include "topics.h"

PHOTON_TOPIC(plugin, "plugin.ticks", uint64_t);
