/* SPDX-License-Identifier: MIT */
/* Expected counts by name (expect.h). */
#include "expect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const key_names[FEED_K_BAD_REASON] = {
	[FEED_K_PACKETS] = "packets",
	[FEED_K_MESSAGES] = "messages",
	[FEED_K_ADDS] = "adds",
	[FEED_K_TRADES] = "trades",
	[FEED_K_CANCELS] = "cancels",
	[FEED_K_GAPS] = "gaps",
	[FEED_K_MISSING] = "missing",
	[FEED_K_DUPS] = "dups",
	[FEED_K_DUP_MESSAGES] = "dup-messages",
	[FEED_K_BAD] = "bad",
	[FEED_K_BAD_MIN] = "bad-min",
	[FEED_K_TRADE_VOLUME] = "trade-volume",
	[FEED_K_BID_QTY] = "bid-qty",
	[FEED_K_ASK_QTY] = "ask-qty",
	[FEED_K_BOOK_REJECTS] = "book-rejects",
};

const char *feed_key_name(unsigned key, char *buf, size_t len)
{
	if (key < FEED_K_BAD_REASON)
		snprintf(buf, len, "%s", key_names[key]);
	else if (key > FEED_K_BAD_REASON && key < FEED_K_COUNT)
		snprintf(
		    buf, len, "bad-%s",
		    feed_bad_name((enum feed_bad)(key - FEED_K_BAD_REASON)));
	else
		snprintf(buf, len, "?");
	return buf;
}

int feed_key_find(const char *name)
{
	char buf[64];
	unsigned k;

	for (k = 0; k < FEED_K_COUNT; k++)
		if (k != FEED_K_BAD_REASON &&
		    !strcmp(name, feed_key_name(k, buf, sizeof(buf))))
			return (int)k;
	return -1;
}

void feed_expect_set(struct feed_expect *e, unsigned key, uint64_t v)
{
	if (key >= FEED_K_COUNT)
		return;
	e->v[key] = v;
	e->set[key] = 1;
}

int feed_expect_write(FILE *f, const struct feed_expect *e)
{
	char buf[64];
	unsigned k;

	for (k = 0; k < FEED_K_COUNT; k++)
		if (e->set[k] &&
		    fprintf(f, "%s %" PRIu64 "\n",
			    feed_key_name(k, buf, sizeof(buf)), e->v[k]) < 0)
			return -1;
	return 0;
}

int feed_expect_read(FILE *f, struct feed_expect *e, char *err, size_t len)
{
	char line[256], name[64];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long long v;
		size_t n;
		int key;

		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		p += strspn(p, " \t");
		if (!*p)
			continue;
		n = strcspn(p, " \t");
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		key = feed_key_find(name);
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
		v = strtoull(p, &end, 10);
		end += strspn(end, " \t");
		if (key < 0 || end == p || *p == '-' || *end) {
			snprintf(err, len,
				 "line %u: expected \"NAME COUNT\" "
				 "with a known NAME",
				 lineno);
			return -1;
		}
		feed_expect_set(e, (unsigned)key, v);
	}
	if (ferror(f)) {
		snprintf(err, len, "read error");
		return -1;
	}
	return 0;
}
