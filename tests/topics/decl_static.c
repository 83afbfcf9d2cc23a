/* SPDX-License-Identifier: MIT */
/* Linked into the test from a static library (whole). */
#include "topics.h"

PHOTON_TOPIC(in_static, "lib.static", struct quote);
