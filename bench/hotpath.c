/* SPDX-License-Identifier: MIT */
/*
 * The hot paths in a plain loop, for callgrind's exact instruction counts
 * (bench/callgrind.sh): a typed 8-byte publish + try_recv, the publish
 * alone (one idle subscriber), the round trip through
 * the exported functions, a typed 24-byte round trip, a bounded channel
 * kept full (each publish rescans the gate), and an empty poll.
 *
 *   hotpath MODE N     MODE: typed | publish | exported | typed24 | full |
 * empty
 *
 * callgrind.sh runs each mode at two counts and divides the difference of
 * the totals by the difference of the counts, so set-up costs cancel out.
 * It checks every message it reads and exits non-zero on a mismatch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <photon/photon.h>

struct tick24 {
	uint64_t seq, bid, ask;
};

PHOTON_DEFINE_TYPED(u64, uint64_t);
PHOTON_DEFINE_TYPED(t24, struct tick24);

int main(int argc, char **argv)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	const char *mode = argc > 1 ? argv[1] : "typed";
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000, i;
	uint64_t bad = 0, sink = 0;
	int t24 = strcmp(mode, "typed24") == 0;
	int full = strcmp(mode, "full") == 0;
	int rc;

	if (full)
		rc = u64_channel_create_bounded(&ch, 4096, 0);
	else if (t24)
		rc = t24_channel_create(&ch, 4096);
	else
		rc = u64_channel_create(&ch, 4096);
	if (rc == PHOTON_OK)
		rc = photon_publisher_open(ch, &p);
	if (rc == PHOTON_OK)
		rc = photon_subscribe(ch, &s);
	if (rc != PHOTON_OK) {
		fprintf(stderr, "hotpath: setup: %s\n", photon_strerror(rc));
		return 1;
	}
	if (strcmp(mode, "typed") == 0) {
		for (i = 0; i < n; i++) {
			uint64_t v = 0;

			u64_publish(p, &i);
			bad += u64_try_recv(s, &v) != PHOTON_OK || v != i;
		}
	} else if (strcmp(mode, "publish") == 0) {
		/* One idle subscriber: lossy, so it costs the publisher
		 * nothing. */
		for (i = 0; i < n; i++)
			u64_publish(p, &i);
		bad = u64_try_recv(s, &sink) != PHOTON_LAGGED;
	} else if (strcmp(mode, "exported") == 0) {
		for (i = 0; i < n; i++) {
			uint64_t v = 0;

			photon_publish(p, &i);
			bad += photon_try_recv(s, &v) != PHOTON_OK || v != i;
		}
	} else if (t24) {
		for (i = 0; i < n; i++) {
			struct tick24 m = { i, 2 * i, 3 * i }, v = { 0, 0, 0 };

			t24_publish(p, &m);
			bad += t24_try_recv(s, &v) != PHOTON_OK || v.seq != i ||
			       v.ask != 3 * i;
		}
	} else if (full) {
		/* Bounded and kept full: every publish finds the cached limit
		 * spent and rescans the gate, as a publisher faster than its
		 * consumer does. */
		uint64_t v = 0;

		for (i = 0; i < 4096; i++)
			bad += u64_try_publish(p, &i) != PHOTON_OK;
		bad += u64_try_publish(p, &i) != PHOTON_FULL;
		for (i = 0; i < n; i++) {
			uint64_t m = i + 4096;

			bad += u64_try_recv(s, &v) != PHOTON_OK || v != i;
			bad += u64_try_publish(p, &m) != PHOTON_OK;
		}
	} else if (strcmp(mode, "empty") == 0) {
		for (i = 0; i < n; i++) {
			uint64_t v;

			sink += u64_try_recv(s, &v) == PHOTON_EMPTY;
		}
		bad = sink != n;
	} else {
		fprintf(stderr,
			"usage: hotpath "
			"typed|publish|exported|typed24|full|empty N\n");
		return 2;
	}
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
	if (bad) {
		fprintf(stderr, "hotpath %s: %llu bad reads\n", mode,
			(unsigned long long)bad);
		return 1;
	}
	return 0;
}
