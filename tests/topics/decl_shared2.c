/* SPDX-License-Identifier: MIT */
#include "topics.h"

PHOTON_TOPIC(in_shared2, "lib.shared2", uint64_t);
