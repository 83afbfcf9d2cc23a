/* SPDX-License-Identifier: MIT */
/*
 * Eclipse Cyclone DDS (0.10.2): one keyless topic of bb::Msg (bbmsg.idl),
 * reliable or best effort, keep-last history of cfg->depth on both the
 * writer and the reader, volatile durability; or (dds-relall) reliable
 * keep-all with at most cfg->depth samples, DDS's lossless setting. The network
 * configuration (interface, multicast) comes from CYCLONEDDS_URI, set by
 * run.sh.
 *
 * A reliable writer keeps unacknowledged samples and throttles when a
 * reader does not acknowledge them: dds_write then blocks for up to the
 * reliability's max_blocking_time (left at its 100 ms default) and returns
 * DDS_RETCODE_TIMEOUT, which is counted as refused. What the API says
 * about loss is read at the end from the reader's SAMPLE_LOST and
 * SAMPLE_REJECTED statuses.
 */
#define _GNU_SOURCE
#include "bb.h"
#include "bbmsg.h"

#include <dds/dds.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dh {
	dds_entity_t pp, tp, ep, ws, rc;
	uint64_t invalid;
};

static dds_entity_t open_common(struct dh *d, const struct bb_cfg *c,
				dds_qos_t **qos)
{
	d->pp = dds_create_participant(DDS_DOMAIN_DEFAULT, NULL, NULL);
	if (d->pp < 0) {
		fprintf(stderr, "dds_create_participant: %s\n",
			dds_strretcode(d->pp));
		return d->pp;
	}
	*qos = dds_create_qos();
	dds_qset_reliability(*qos,
			     c->reliable ? DDS_RELIABILITY_RELIABLE
					 : DDS_RELIABILITY_BEST_EFFORT,
			     DDS_MSECS(100));
	if (c->reliable == 2) {
		/* Lossless: a reader that does not take holds back its
		 * acknowledgements once it has depth samples, and the writer
		 * waits for it. */
		dds_qset_history(*qos, DDS_HISTORY_KEEP_ALL, 0);
		dds_qset_resource_limits(*qos, c->depth, DDS_LENGTH_UNLIMITED,
					 DDS_LENGTH_UNLIMITED);
	} else {
		dds_qset_history(*qos, DDS_HISTORY_KEEP_LAST, c->depth);
	}
	dds_qset_durability(*qos, DDS_DURABILITY_VOLATILE);
	d->tp =
	    dds_create_topic(d->pp, &bb_Msg_desc, "photon_bridge", *qos, NULL);
	if (d->tp < 0)
		fprintf(stderr, "dds_create_topic: %s\n",
			dds_strretcode(d->tp));
	return d->tp;
}

static void *dpub_open(const struct bb_cfg *c)
{
	struct dh *d = calloc(1, sizeof(*d));
	dds_qos_t *qos = NULL;

	if (!d || open_common(d, c, &qos) < 0)
		goto fail;
	d->ep = dds_create_writer(d->pp, d->tp, qos, NULL);
	dds_delete_qos(qos);
	if (d->ep < 0) {
		fprintf(stderr, "dds_create_writer: %s\n",
			dds_strretcode(d->ep));
		goto fail;
	}
	return d;
fail:
	if (d && d->pp > 0)
		dds_delete(d->pp);
	free(d);
	return NULL;
}

static int dpub_wait(void *h, int nrx, int timeout_ms)
{
	struct dh *d = h;
	int64_t end = bb_now_ns() + (int64_t)timeout_ms * 1000000;
	dds_publication_matched_status_t st;

	while (bb_now_ns() < end) {
		if (dds_get_publication_matched_status(d->ep, &st) == 0 &&
		    st.current_count >= (uint32_t)nrx)
			return 0;
		dds_sleepfor(DDS_MSECS(10));
	}
	return -1;
}

static int dpub_send(void *h, const void *msg, size_t len)
{
	struct dh *d = h;
	const unsigned char *p = msg;
	bb_Msg m;
	dds_return_t r;

	memcpy(&m.seq, p, 8);
	memcpy(&m.chan, p + 8, 8);
	m.payload._maximum = m.payload._length = (uint32_t)(len - BB_HDR);
	m.payload._buffer = (uint8_t *)(p + BB_HDR);
	m.payload._release = false;
	r = dds_write(d->ep, &m);
	if (r == DDS_RETCODE_OK)
		return 0;
	return r == DDS_RETCODE_TIMEOUT ? 1 : -1;
}

static void dpub_close(void *h, struct bb_note *note)
{
	struct dh *d = h;
	dds_return_t r = dds_wait_for_acks(d->ep, DDS_SECS(2));

	snprintf(note->text, sizeof(note->text), "acked=%s",
		 r == 0 ? "yes" : dds_strretcode(r));
	dds_delete(d->pp);
	free(d);
}

static void *dsub_open(const struct bb_cfg *c)
{
	struct dh *d = calloc(1, sizeof(*d));
	dds_qos_t *qos = NULL;

	if (!d || open_common(d, c, &qos) < 0)
		goto fail;
	d->ep = dds_create_reader(d->pp, d->tp, qos, NULL);
	dds_delete_qos(qos);
	if (d->ep < 0) {
		fprintf(stderr, "dds_create_reader: %s\n",
			dds_strretcode(d->ep));
		goto fail;
	}
	d->ws = dds_create_waitset(d->pp);
	d->rc = dds_create_readcondition(d->ep, DDS_ANY_STATE);
	if (d->ws < 0 || d->rc < 0 || dds_waitset_attach(d->ws, d->rc, 0))
		goto fail;
	return d;
fail:
	if (d && d->pp > 0)
		dds_delete(d->pp);
	free(d);
	return NULL;
}

static int dsub_recv(void *h, void *buf, size_t cap)
{
	struct dh *d = h;
	void *s[1] = { NULL };
	dds_sample_info_t info;
	unsigned char *p = buf;

	for (int tries = 0; tries < 2; tries++) {
		dds_return_t n = dds_take(d->ep, s, &info, 1, 1);
		size_t len;
		bb_Msg *m;

		if (n < 0)
			return -1;
		if (n == 0) {
			if (tries == 0)
				dds_waitset_wait(d->ws, NULL, 0,
						 DDS_MSECS(BB_POLL_MS));
			continue;
		}
		m = s[0];
		if (!info.valid_data) {
			/* The writer went away: DDS's own notion of close. */
			d->invalid++;
			dds_return_loan(d->ep, s, n);
			return 0;
		}
		len = BB_HDR + m->payload._length;
		if (len > cap)
			len = cap;
		memcpy(p, &m->seq, 8);
		memcpy(p + 8, &m->chan, 8);
		memcpy(p + BB_HDR, m->payload._buffer, len - BB_HDR);
		dds_return_loan(d->ep, s, n);
		return (int)len;
	}
	return 0;
}

static void dsub_close(void *h, struct bb_note *note)
{
	struct dh *d = h;
	dds_sample_lost_status_t lost = { 0 };
	dds_sample_rejected_status_t rej = { 0 };

	dds_get_sample_lost_status(d->ep, &lost);
	dds_get_sample_rejected_status(d->ep, &rej);
	snprintf(note->text, sizeof(note->text),
		 "api_lost=%u api_rejected=%u invalid=%llu", lost.total_count,
		 rej.total_count, (unsigned long long)d->invalid);
	dds_delete(d->pp);
	free(d);
}

const struct bb_engine bb_dds = {
	.name = "dds",
	.pub_open = dpub_open,
	.pub_wait = dpub_wait,
	.pub_send = dpub_send,
	.pub_close = dpub_close,
	.sub_open = dsub_open,
	.sub_recv = dsub_recv,
	.sub_close = dsub_close,
};
