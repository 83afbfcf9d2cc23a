/* SPDX-License-Identifier: MIT */
/* Two units of one shared library: its section is registered once. */
#include "topics.h"

PHOTON_TOPIC(in_shared, "lib.shared", struct trade);
