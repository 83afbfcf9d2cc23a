/* SPDX-License-Identifier: MIT */
/* md.quotes with another type: the conflict test's second declaration. */
#include "topics.h"

PHOTON_TOPIC(quotes_wrong, "md.quotes", struct trade);
