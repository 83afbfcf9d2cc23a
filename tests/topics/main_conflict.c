/* SPDX-License-Identifier: MIT */
/* md.quotes declared as struct quote (decl_a.c) and as struct trade
 * (decl_conflict.c): a registered bus is refused with ETYPE naming both
 * places. */
#include <stdio.h>
#include <string.h>

#include "topics.h"

int main(void)
{
	struct photon_bus *bus = (struct photon_bus *)&bus;
	int rc = photon_bus_create_registered(&bus, 64);
	const char *why = photon_last_error_message();
	int ok =
	    rc == PHOTON_ETYPE && bus == NULL && strstr(why, "decl_a.c:5") &&
	    strstr(why, "decl_conflict.c:5") && strstr(why, "struct quote") &&
	    strstr(why, "struct trade") && strstr(why, "md.quotes");

	printf("conflict: rc %d, \"%s\": %s\n", rc, why, ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
