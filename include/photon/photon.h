/* SPDX-License-Identifier: MIT */
/**
 * @file
 * libphotonring: one producer, many consumers, every consumer sees every
 * message, no locks. The only header a user needs.
 */
#ifndef PHOTON_PHOTON_H
#define PHOTON_PHOTON_H

#include <photon/version.h>
#include <photon/common.h>
#include <photon/error.h>
#include <photon/channel.h>
#include <photon/wait.h>
#include <photon/bus.h>
#include <photon/topic.h>
#include <photon/mem.h>
#include <photon/affinity.h>
#include <photon/typed.h>
#include <photon/metrics.h>
#include <photon/topology.h>

#endif /* PHOTON_PHOTON_H */
