/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Observability, the photonring-metrics companion library: link
 * PhotonRing::metrics (CMake) or photon-ring-metrics (pkg-config) beside
 * the ring. One header per part, all included here:
 *
 * @code{.unparsed}
 *   photon/clock.h      the time-stamp counter: read, calibrate, convert
 *   photon/histogram.h  the log-linear latency histogram
 *   photon/export.h     the registry, Prometheus text and StatsD over UDP
 * @endcode
 *
 * The companion uses only the ring's public API; the ring's own library
 * carries none of it (no socket code).
 */
#ifndef PHOTON_METRICS_H
#define PHOTON_METRICS_H

#include <photon/clock.h>
#include <photon/histogram.h>
#include <photon/export.h>

#endif /* PHOTON_METRICS_H */
