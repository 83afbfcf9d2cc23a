// SPDX-License-Identifier: MIT
// A C++ unit: md.quotes again, spelled as the C unit spells it (one topic),
// and a topic of its own.
#include "topics.h"

PHOTON_TOPIC(quotes_cxx, "md.quotes", struct quote);
PHOTON_TOPIC(orders, "ex.orders", struct order);
