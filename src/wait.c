/* SPDX-License-Identifier: MIT */
/*
 * Wait strategies and the blocking receives built on them. A strategy is a
 * small state machine stepped once per empty poll; none of them makes a
 * system call, so they behave the same with or without an OS scheduler
 * nearby (and burn the core they run on: see the README's table).
 */
#include "arch.h"
#include "internal.h"

#define DEFAULT_SPIN  64
#define DEFAULT_YIELD 64
#define MAX_BURST     64

PHOTON_API const char *photon_wait_name(enum photon_wait_kind kind)
{
	switch (kind) {
	case PHOTON_WAIT_ADAPTIVE:
		return "adaptive";
	case PHOTON_WAIT_BUSY_SPIN:
		return "busy-spin";
	case PHOTON_WAIT_YIELD_SPIN:
		return "yield-spin";
	case PHOTON_WAIT_BACKOFF_SPIN:
		return "backoff-spin";
	}
	return "unknown";
}

int photon__waiter_init(struct photon__waiter *wt, const struct photon_wait *w)
{
	wt->kind = w ? (unsigned)w->kind : PHOTON_WAIT_ADAPTIVE;
	wt->spin = w && w->spin_iters ? w->spin_iters : DEFAULT_SPIN;
	wt->yield = w && w->yield_iters ? w->yield_iters : DEFAULT_YIELD;
	wt->step = 0;
	if (wt->kind > PHOTON_WAIT_BACKOFF_SPIN)
		return PHOTON_EINVAL;
	return PHOTON_OK;
}

static void pause_n(uint32_t n)
{
	while (n--)
		photon__cpu_relax();
}

void photon__waiter_pause(struct photon__waiter *wt)
{
	uint32_t step = wt->step;

	if (step < UINT32_MAX)
		wt->step = step + 1;
	switch (wt->kind) {
	case PHOTON_WAIT_BUSY_SPIN:
		/* Nothing: the next poll follows at once. */
		break;
	case PHOTON_WAIT_YIELD_SPIN:
		photon__cpu_relax();
		break;
	case PHOTON_WAIT_BACKOFF_SPIN:
		pause_n(step < 6 ? 1u << step : MAX_BURST);
		break;
	default: /* adaptive */
		if (step < wt->spin)
			break;
		if (step - wt->spin < wt->yield)
			photon__cpu_relax();
		else
			pause_n(MAX_BURST);
		break;
	}
}

PHOTON_API int photon_recv_with(struct photon_subscriber *s, void *out,
				const struct photon_wait *w)
{
	struct photon__waiter wt;

	if (!s || !out || photon__waiter_init(&wt, w) != PHOTON_OK)
		return PHOTON_EINVAL;
	for (;;) {
		int rc = photon__try_recv_n(s, out, s->msg_size);

		if (rc == PHOTON_OK || rc == PHOTON_CLOSED)
			return rc;
		/* LAGGED: counted in the subscriber; read on from the oldest.
		 */
		if (rc == PHOTON_EMPTY)
			photon__waiter_pause(&wt);
	}
}

PHOTON_API int photon_recv(struct photon_subscriber *s, void *out)
{
	return photon_recv_with(s, out, NULL);
}
