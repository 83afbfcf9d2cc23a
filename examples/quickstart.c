/* The README's API tour: a typed lossy channel, one publisher, one
 * subscriber and a group, every call checked. */
#include <photon/photon.h>

#include <stdio.h>

struct quote {
	uint64_t seq;
	double bid, ask;
};

/* quote_publish, quote_try_recv, ...: sizeof(struct quote) is a constant,
 * so the copy is unrolled and the hot path inlined. */
PHOTON_DEFINE_TYPED(quote, struct quote);

int main(void)
{
	struct photon_channel *ch;
	struct photon_publisher *pub;
	struct photon_subscriber *sub;
	struct photon_group *group;
	struct quote q;
	int rc;

	rc = quote_channel_create(&ch, 1024); /* >= 2; powers of two fastest */
	if (rc != PHOTON_OK) {
		fprintf(stderr, "create: %s: %s\n", photon_strerror(rc),
			photon_last_error_message());
		return 1;
	}
	if (photon_publisher_open(ch, &pub) != PHOTON_OK ||
	    photon_subscribe(ch, &sub) != PHOTON_OK ||
	    photon_group_subscribe(ch, 4, &group) != PHOTON_OK)
		return 1;
	photon_channel_release(ch); /* the handles keep it alive */

	for (uint64_t i = 0; i < 3; i++) {
		q = (struct quote){ .seq = i, .bid = 99.5, .ask = 100.5 };
		quote_publish(pub, &q); /* lossy: never blocks */
	}
	photon_publisher_close(pub); /* readers drain, then see CLOSED */

	while ((rc = quote_try_recv(sub, &q)) != PHOTON_CLOSED) {
		if (rc == PHOTON_OK)
			printf("subscriber got #%llu %.2f/%.2f\n",
			       (unsigned long long)q.seq, q.bid, q.ask);
		else if (rc == PHOTON_LAGGED) /* overrun: count the loss */
			printf("lost %llu\n",
			       (unsigned long long)
				   photon_subscriber_last_skipped(sub));
	}
	while (photon_group_recv(group, &q) == PHOTON_OK) /* blocking */
		printf("group of %zu got #%llu\n", photon_group_size(group),
		       (unsigned long long)q.seq);

	printf("received %llu, lagged %llu\n",
	       (unsigned long long)photon_subscriber_received(sub),
	       (unsigned long long)photon_subscriber_lagged(sub));
	photon_group_close(group);
	photon_subscriber_close(sub);
	return 0;
}
