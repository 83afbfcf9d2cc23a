/* SPDX-License-Identifier: MIT */
/*
 * A consumer of the installed libphotonring, built by tests/package/check.sh
 * through find_package() and pkg-config, shared and static. It uses only the
 * public header, as a user would, and exits 0 when every step worked. It
 * wants the ring alone, so it links the core alone: photon/photon.h
 * declaring the companions' functions must not make it need them.
 */
#include <stdio.h>
#include <string.h>

#include <photon/photon.h>

#include "consumer.h"

/* 12 bytes, no padding: one whole word and a 4-byte tail in the slot copy. */
struct tick {
	uint32_t seq;
	uint32_t price;
	uint32_t qty;
};

PHOTON_DEFINE_TYPED(tick, struct tick);

/* Untyped calls: a 13-byte payload, so the tail path runs too. */
static void untyped_round_trip(void)
{
	struct photon_channel *ch = NULL;
	struct photon_publisher *pub = NULL;
	struct photon_subscriber *sub = NULL;
	char msg[13], got[13];
	int i;

	CHECK_RC(photon_channel_create(&ch, 16, sizeof(msg)), PHOTON_OK);
	if (!ch)
		return;
	CHECK(photon_channel_capacity(ch) == 16);
	CHECK(photon_channel_msg_size(ch) == sizeof(msg));
	CHECK_RC(photon_publisher_open(ch, &pub), PHOTON_OK);
	CHECK_RC(photon_subscribe(ch, &sub), PHOTON_OK);
	if (!pub || !sub)
		goto out;

	CHECK_RC(photon_try_recv(sub, got), PHOTON_EMPTY);
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		CHECK_RC(photon_publish(pub, msg), PHOTON_OK);
	}
	CHECK(photon_publisher_sequence(pub) == 5);
	CHECK(photon_pending(sub) == 5);
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		memset(got, 0, sizeof(got));
		CHECK_RC(photon_try_recv(sub, got), PHOTON_OK);
		CHECK(memcmp(got, msg, sizeof(msg)) == 0);
	}
	CHECK_RC(photon_try_recv(sub, got), PHOTON_EMPTY);
	CHECK(photon_subscriber_received(sub) == 5);
	CHECK(photon_subscriber_lagged(sub) == 0);

	/* After close the reader drains, then sees CLOSED. */
	CHECK_RC(photon_publish(pub, "last message"), PHOTON_OK);
	photon_publisher_close(pub);
	pub = NULL;
	CHECK_RC(photon_try_recv(sub, got), PHOTON_OK);
	CHECK(strcmp(got, "last message") == 0);
	CHECK_RC(photon_try_recv(sub, got), PHOTON_CLOSED);
	CHECK(photon_channel_is_closed(ch) == 1);
	printf("untyped: published and received 6 messages of %zu bytes, "
	       "then CLOSED\n",
	       sizeof(msg));
out:
	photon_subscriber_close(sub);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

/* Typed wrappers: the inline hot paths compiled into this program. */
static void typed_round_trip(void)
{
	struct photon_channel *ch = NULL;
	struct photon_publisher *pub = NULL;
	struct photon_subscriber *sub = NULL;
	struct tick t, got;
	uint32_t i;

	CHECK_RC(tick_channel_create(&ch, 8), PHOTON_OK);
	if (!ch)
		return;
	CHECK(photon_channel_msg_size(ch) == sizeof(struct tick));
	CHECK_RC(photon_publisher_open(ch, &pub), PHOTON_OK);
	CHECK_RC(photon_subscribe(ch, &sub), PHOTON_OK);
	if (!pub || !sub)
		goto out;

	for (i = 0; i < 4; i++) {
		memset(&t, 0, sizeof(t));
		t.seq = i;
		t.price = 10000 + 25 * i;
		t.qty = (uint32_t)(100 + i);
		CHECK_RC(tick_publish(pub, &t), PHOTON_OK);
	}
	/* Two through try_recv, one through the blocking recv... */
	for (i = 0; i < 3; i++) {
		memset(&got, 0xff, sizeof(got));
		if (i < 2)
			CHECK_RC(tick_try_recv(sub, &got), PHOTON_OK);
		else
			CHECK_RC(tick_recv(sub, &got), PHOTON_OK);
		CHECK(got.seq == i);
		CHECK(got.price == 10000 + 25 * i);
		CHECK(got.qty == 100 + i);
	}
	/* ...and the last through latest, after one more is published. */
	t.seq = 4;
	t.price = 10100;
	t.qty = 104;
	CHECK_RC(tick_try_publish(pub, &t), PHOTON_OK);
	CHECK_RC(tick_latest(sub, &got), PHOTON_OK);
	CHECK(got.seq == 4 && got.price == 10100 && got.qty == 104);
	CHECK_RC(tick_try_recv(sub, &got), PHOTON_EMPTY);
	printf("typed: published 5 struct tick (%zu bytes), received 3, "
	       "latest seq %u\n",
	       sizeof(struct tick), (unsigned)got.seq);
out:
	photon_subscriber_close(sub);
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

/*
 * Memory and affinity: a static consumer links libnuma and hwloc through
 * the package files when the library was built with them.
 */
static void placement(void)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch = NULL;
	struct photon_publisher *pub = NULL;
	int nodes = photon_numa_node_count();

	CHECK(photon_core_count() >= 1);
	CHECK(nodes >= 1 || nodes == PHOTON_ENOTSUP);
	o.capacity = 64;
	o.msg_size = 8;
	o.flags = PHOTON_THP | PHOTON_PREFAULT;
	CHECK_RC(photon_channel_create_opts(&ch, &o), PHOTON_OK);
	if (!ch)
		return;
	CHECK_RC(photon_publisher_open(ch, &pub), PHOTON_OK);
	CHECK(photon_channel_page_size(ch) >= 4096);
	printf("placement: %zu CPUs (%s), NUMA nodes %d, ring page %zu\n",
	       photon_core_count(), photon_affinity_backend(), nodes,
	       photon_channel_page_size(ch));
	photon_publisher_close(pub);
	photon_channel_release(ch);
}

int main(void)
{
	printf("headers %s (%d), library %s (%u)\n", PHOTON_VERSION_STRING,
	       PHOTON_VERSION_NUMBER, photon_version_string(),
	       photon_version());
	CHECK(photon_version() == PHOTON_VERSION_NUMBER);
	CHECK(strcmp(photon_version_string(), PHOTON_VERSION_STRING) == 0);

	untyped_round_trip();
	typed_round_trip();
	placement();

	if (failures) {
		fprintf(stderr, "photon_consumer: %d check(s) failed\n",
			failures);
		return 1;
	}
	printf("photon_consumer: all checks passed\n");
	return 0;
}
