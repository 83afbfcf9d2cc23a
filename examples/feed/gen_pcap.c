/* SPDX-License-Identifier: MIT */
/*
 * gen_pcap: writes a pcap of feed packets with known content (gen.h) and,
 * beside it, the counts a correct receiver must report (expect.h), for
 * dpdk_ingress --expect-file.
 *
 *   gen_pcap [--mode clean|bad|fuzz] [--packets N] [--seed S] [--port P]
 *            [--bad-each K] [--expect FILE] OUT.pcap
 *
 * The expectations go to OUT.pcap.expect unless --expect names a file.
 * Exit status: 0, 1 when a file cannot be written, 2 on bad arguments.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "pcap.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gen_pcap [--mode clean|bad|fuzz] [--packets N] "
		"[--seed S] [--port P]\n"
		"                [--bad-each K] [--expect FILE] OUT.pcap\n"
		"  --mode M      clean: a gap and a duplicate; bad: also K bad "
		"frames per\n"
		"                reason; fuzz: random corruptions (clean)\n"
		"  --packets N   sequenced packets (1000)\n"
		"  --seed S      random seed (1)\n"
		"  --port P      UDP destination port (%d)\n"
		"  --bad-each K  bad mode: frames per reason (2)\n"
		"  --expect F    where the expected counts go "
		"(OUT.pcap.expect)\n",
		FEED_PORT_DEFAULT);
}

static int write_frame(void *ctx, const uint8_t *frame, size_t len,
		       uint64_t ts_usec)
{
	return feed_pcap_write_frame(ctx, ts_usec, frame, len) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct feed_gen_opts o = { .mode = FEED_GEN_CLEAN,
				   .seed = 1,
				   .packets = 1000,
				   .port = FEED_PORT_DEFAULT,
				   .bad_each = 2 };
	struct feed_expect exp;
	const char *out = NULL, *expect_path = NULL;
	char path[4096];
	FILE *f;
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;
		int m;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (a[0] != '-' && !out) {
			out = a;
			continue;
		} else if (!v) {
			usage(stderr);
			return 2;
		}
		i++;
		if (!strcmp(a, "--mode") && (m = feed_gen_mode_find(v)) >= 0)
			o.mode = (enum feed_gen_mode)m;
		else if (!strcmp(a, "--expect"))
			expect_path = v;
		else if (!strcmp(a, "--packets") &&
			 !feed_parse_u64(v, 10000000, &x) && x > 0)
			o.packets = (unsigned)x;
		else if (!strcmp(a, "--seed") &&
			 !feed_parse_u64(v, UINT64_MAX, &x))
			o.seed = x;
		else if (!strcmp(a, "--port") && !feed_parse_u64(v, 65535, &x))
			o.port = (uint16_t)x;
		else if (!strcmp(a, "--bad-each") &&
			 !feed_parse_u64(v, 1000, &x) && x > 0)
			o.bad_each = (unsigned)x;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (!out) {
		usage(stderr);
		return 2;
	}
	if (!expect_path) {
		snprintf(path, sizeof(path), "%s.expect", out);
		expect_path = path;
	}

	f = fopen(out, "wb");
	if (!f || feed_pcap_write_header(f) != 0) {
		fprintf(stderr, "gen_pcap: %s: %s\n", out, strerror(errno));
		return 1;
	}
	rc = feed_generate(&o, write_frame, f, &exp);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "gen_pcap: %s: %s\n", out,
			rc < 0 ? "out of memory" : strerror(errno));
		return 1;
	}
	f = fopen(expect_path, "w");
	if (!f ||
	    fprintf(f,
		    "# gen_pcap --mode %s --packets %u --seed %" PRIu64
		    " --port %u%s\n",
		    o.mode == FEED_GEN_CLEAN ? "clean"
		    : o.mode == FEED_GEN_BAD ? "bad"
					     : "fuzz",
		    o.packets, o.seed, o.port,
		    o.mode == FEED_GEN_FUZZ ? " (fuzz: only the frame "
					      "count is exact)"
					    : "") < 0 ||
	    feed_expect_write(f, &exp) != 0 || fclose(f) != 0) {
		fprintf(stderr, "gen_pcap: %s: %s\n", expect_path,
			strerror(errno));
		return 1;
	}
	printf("gen_pcap: %s: %" PRIu64 " frames, %" PRIu64 " messages, "
	       "%" PRIu64 " gaps, %" PRIu64 " duplicates, %" PRIu64
	       " bad%s; expectations in %s\n",
	       out, exp.v[FEED_K_PACKETS], exp.v[FEED_K_MESSAGES],
	       exp.v[FEED_K_GAPS], exp.v[FEED_K_DUPS],
	       o.mode == FEED_GEN_FUZZ ? exp.v[FEED_K_BAD_MIN]
				       : exp.v[FEED_K_BAD],
	       o.mode == FEED_GEN_FUZZ ? " at least" : "", expect_path);
	return 0;
}
