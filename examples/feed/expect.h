/* SPDX-License-Identifier: MIT */
/*
 * Expected counts of a feed run, by name. The generator writes them to a
 * file, one "name value" a line ('#' starts a comment); the ingress examples
 * take the same names as --expect-NAME N options or read the file with
 * --expect-file FILE, and fail unless every count given matches:
 *
 *   packets messages adds trades cancels gaps missing dups dup-messages bad
 *     exact counts of the session (feed.h's struct feed_stats)
 *   bad-REASON    frames refused for REASON (feed_bad_name: bad-truncated,
 *                 bad-not-ipv4, ...)
 *   bad-min       at least this many bad frames (the fuzzer's sure ones)
 *   trade-volume  shares traded, summed by the trade printer
 *   bid-qty ask-qty  resting quantity left in the book builder's books
 *   book-rejects  cancels the book could not apply
 */
#ifndef FEED_EXPECT_H
#define FEED_EXPECT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "feed.h"

enum feed_key {
	FEED_K_PACKETS,
	FEED_K_MESSAGES,
	FEED_K_ADDS,
	FEED_K_TRADES,
	FEED_K_CANCELS,
	FEED_K_GAPS,
	FEED_K_MISSING,
	FEED_K_DUPS,
	FEED_K_DUP_MESSAGES,
	FEED_K_BAD,
	FEED_K_BAD_MIN,
	FEED_K_TRADE_VOLUME,
	FEED_K_BID_QTY,
	FEED_K_ASK_QTY,
	FEED_K_BOOK_REJECTS,
	/* FEED_K_BAD_REASON + r: bad-<feed_bad_name(r)>, r >= 1 */
	FEED_K_BAD_REASON,
	FEED_K_COUNT = FEED_K_BAD_REASON + FEED_BAD_COUNT
};

struct feed_expect {
	uint64_t v[FEED_K_COUNT];
	unsigned char set[FEED_K_COUNT];
};

/* The key's name into buf ("packets", "bad-truncated"); buf returned. */
const char *feed_key_name(unsigned key, char *buf, size_t len);
/* The key of a name, or -1. */
int feed_key_find(const char *name);
void feed_expect_set(struct feed_expect *e, unsigned key, uint64_t v);
/* Writes every key set. 0, or -1 on a write error. */
int feed_expect_write(FILE *f, const struct feed_expect *e);
/* Adds the keys of a file to e. 0, or -1 with the line's problem in err. */
int feed_expect_read(FILE *f, struct feed_expect *e, char *err, size_t len);

#endif /* FEED_EXPECT_H */
