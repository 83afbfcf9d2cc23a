/* SPDX-License-Identifier: MIT */
/* The public headers compile as strict C11 and the typed wrappers expand
 * (only some used) with -Wall -Wextra -Wpedantic -Werror. */
#include <photon/photon.h>

#include <stdio.h>

struct tick {
	uint64_t seq;
	double px;
};

PHOTON_DEFINE_TYPED(tick, struct tick);
struct wide {
	unsigned char bytes[100];
};

PHOTON_DEFINE_TYPED(wide, struct wide);
PHOTON_DEFINE_TYPED(word, uint64_t);

int main(void)
{
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *s;
	struct tick t = { 1, 2.5 }, r = { 0, 0 };
	int ok;

	if (tick_channel_create(&ch, 8) != PHOTON_OK)
		return 1;
	if (photon_publisher_open(ch, &p) != PHOTON_OK ||
	    photon_subscribe(ch, &s) != PHOTON_OK)
		return 1;
	ok = tick_publish(p, &t) == PHOTON_OK &&
	     tick_try_recv(s, &r) == PHOTON_OK && r.seq == 1 && r.px == 2.5;
	photon_subscriber_close(s);
	photon_publisher_close(p);
	photon_channel_release(ch);
	printf("test_header_c11: %s\n", ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}
