/* SPDX-License-Identifier: MIT */
/* Two topics declared in a C unit of the executable. */
#include "topics.h"

PHOTON_TOPIC(quotes, "md.quotes", struct quote);
PHOTON_TOPIC(trades, "md.trades", struct trade);
