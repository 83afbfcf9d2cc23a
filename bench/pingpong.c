/* SPDX-License-Identifier: MIT */
/*
 * Round trip: ping sends its TSC, pong echoes it back on a second queue,
 * ping records the round trip; half of it is reported. Closed loop: a stall
 * shows as one long sample (see the coordinated-omission note in
 * bench/README.md). Run with -h for the options.
 */
#include "xt.h"

int main(int argc, char **argv)
{
	return xt_main(argc, argv, XT_MODE_PINGPONG);
}
