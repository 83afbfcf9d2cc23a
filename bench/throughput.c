/* SPDX-License-Identifier: MIT */
/*
 * Lossless throughput: the sender pushes 1, 2, 3 ... (100M by default)
 * through a bounded queue as fast as it takes them, waiting when it is
 * full; the receiver checks every message is the next one. Messages per
 * second from the first send to the last receive. Run with -h for the
 * options.
 */
#include "xt.h"

int main(int argc, char **argv)
{
	return xt_main(argc, argv, XT_MODE_THROUGHPUT);
}
