/* SPDX-License-Identifier: MIT */
/* Numbers as both export formats want them, whatever the locale. */
#include <stdio.h>
#include <stdlib.h>

#include "private.h"

size_t photon__format_double(char *out, double v)
{
	char tmp[40];
	size_t i, n = 0;
	int radix = 0;

	snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (strtod(tmp, NULL) != v)
		snprintf(tmp, sizeof(tmp), "%.17g", v);
	for (i = 0; tmp[i]; i++) {
		char c = tmp[i];

		if (is_digit(c) || c == 'e' || c == 'E' || c == '+' ||
		    c == '-') {
			out[n++] = c;
			radix = 0;
		} else if (!radix) {
			out[n++] = '.';
			radix = 1;
		}
	}
	out[n] = '\0';
	return n;
}

size_t photon__format_u64(char *out, uint64_t v)
{
	return (size_t)snprintf(out, 24, "%llu", (unsigned long long)v);
}
