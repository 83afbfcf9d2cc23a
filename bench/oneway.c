/* SPDX-License-Identifier: MIT */
/*
 * One-way latency: a paced sender stamps its TSC into each message, the
 * receiver subtracts it from its own TSC on arrival. Run with -h for the
 * options; bench/README.md explains the method.
 */
#include "xt.h"

int main(int argc, char **argv)
{
	return xt_main(argc, argv, XT_MODE_ONEWAY);
}
