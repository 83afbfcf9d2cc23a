/* SPDX-License-Identifier: MIT */
/*
 * The checks of the two consumers (main.c, companions.c): a failed check
 * is reported with its line and counted in `failures`, and the program goes
 * on, so one run lists every failure.
 */
#ifndef PHOTON_CONSUMER_H
#define PHOTON_CONSUMER_H

#include <stdio.h>

#include <photon/photon.h>

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

#define CHECK_RC(call, want)                                              \
	do {                                                              \
		int rc_ = (call);                                         \
		if (rc_ != (want)) {                                      \
			fprintf(stderr, "%s:%d: %s = %d (%s), want %s\n", \
				__FILE__, __LINE__, #call, rc_,           \
				photon_strerror(rc_), #want);             \
			failures++;                                       \
		}                                                         \
	} while (0)

#endif /* PHOTON_CONSUMER_H */
