/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The error detail for libraries built on libphotonring: the companions
 * (photonring-metrics, photonring-topology) or a user's own layer report a
 * failure the way the core does, so photon_last_error_message()
 * (common.h) describes their failures too. They link only the public API,
 * never the core's internals.
 */
#ifndef PHOTON_ERROR_H
#define PHOTON_ERROR_H

#include <photon/common.h>

PHOTON__EXTERN_C_BEGIN

/**
 * Sets the calling thread's detail message, printf-style (truncated to 511
 * bytes), and returns code, so that a failure is reported in one statement:
 * return photon_set_error(PHOTON_EINVAL, "capacity %zu: ...", cap).
 * Leaves errno alone. Thread-safe (per thread).
 */
PHOTON_API int photon_set_error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

PHOTON__EXTERN_C_END

#endif /* PHOTON_ERROR_H */
