/* SPDX-License-Identifier: MIT */
/*
 * Event-loop integration: a reader's file descriptor (an eventfd) that is
 * readable whenever a message or the close waits for it after its last
 * receive said EMPTY. The user's loop is epoll_wait, then try_recv until
 * EMPTY, then epoll_wait again.
 *
 * It reuses the park handshake (wait.c, docs/PROTOCOL.md 8): an armed
 * reader counts in `parked`, so the publisher's P2 sees it and calls
 * photon__wake, which disarms it and writes its eventfd.
 *
 *   reader, on EMPTY (miss path)          publisher (photon__wake)
 *   writes owed > writes read? read(efd)  for each armed reader, under fd_lock:
 *   arm word even (disarmed)?               CAS arm odd -> even
 *     note one write owed; arm := odd         parked -= 1
 *     K0 parked += 1 (seq_cst)                write(efd, 1)
 *     K3 membarrier
 *     re-check the stamp: ready? disarm
 *       itself and write (as above)
 *
 * Every disarm (by the publisher or the reader itself) is followed by
 * exactly one write, and the reader re-arms only after it saw the disarm,
 * so it knows how many writes it is owed and reads them back on its next
 * EMPTY. A write that lands after the re-arm (a publisher preempted
 * between its CAS and its write) leaves one stale readiness, which the
 * next EMPTY clears: never a storm of empty wake-ups. After CLOSED the
 * descriptor is left readable, like an end of file.
 *
 * A reader that never asked for a descriptor pays nothing: the inline
 * receive's EMPTY branch reaches the miss path only for readers whose
 * `closed` pointer points at a word that reads 1, which is what asking for
 * a descriptor does (the miss path reads the channel's real flag).
 * In-process channels only: the publisher of a shared channel may be in
 * another process, where this process's eventfd does not exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"
#include "testing.h"

/* What an fd reader's `closed` points at: every EMPTY takes the miss path. */
const struct photon__atomic64 photon__always_one = { 1 };

struct photon__fd {
	int efd;
	int eof;		     /* left readable for good (CLOSED) */
	struct photon__atomic64 arm; /* odd: armed, counted in parked */
	uint64_t owed;		     /* writes the disarms promised */
	uint64_t read;		     /* writes read back */
	struct photon__fd *next;     /* the channel's list, under fd_lock */
	struct photon__fd *prev;
};

/* The disarm half, by whoever wins the CAS: one write follows. */
static int disarm(struct photon_channel *ch, struct photon__fd *f)
{
	uint64_t v = PHOTON__LOAD(&f->arm, PHOTON__ACQUIRE);
	uint64_t one = 1;

	if (!(v & 1) ||
	    !PHOTON__CAS(&f->arm, &v, v + 1, PHOTON__ACQ_REL, PHOTON__ACQUIRE))
		return 0;
	PHOTON__FETCH_SUB(&ch->sh->line.parked, 1, PHOTON__RELAXED);
	PHOTON__TEST_POINT(PHOTON__TP_FD_DISARMED, f);
	(void)!write(f->efd, &one, sizeof(one));
	return 1;
}

/* Arms a disarmed reader: K0, K3, then the re-check. */
static void arm(struct photon_subscriber *s, struct photon__fd *f)
{
	struct photon_channel *ch = s->channel;
	uint64_t v = PHOTON__LOAD(&f->arm, PHOTON__RELAXED);

	PHOTON__TEST_POINT(PHOTON__TP_FD_ARMING, s);
	/* Odd: armed; then K0. */
	PHOTON__STORE(&f->arm, v + 1, PHOTON__RELEASE);
	PHOTON__FETCH_ADD(&ch->sh->line.parked, 1, PHOTON__SEQ_CST);
	/* K3. Without it the publisher's P2 may miss K0: then this reader
	 * cannot rely on being woken, so it makes itself readable (the loop
	 * turns into polling, never into a lost message). */
	if (photon__park_barrier(s) != 0 || photon__reader_ready(s)) {
		/* Readable now; the next EMPTY sees the disarm and reads
		 * the write back. */
		pthread_mutex_lock(&ch->fd_lock);
		disarm(ch, f);
		pthread_mutex_unlock(&ch->fd_lock);
	}
}

/* A receive of an fd reader said EMPTY (the miss path). */
void photon__fd_empty(struct photon_subscriber *s)
{
	struct photon__fd *f = s->fd;
	uint64_t n;

	int disarmed;

	if (f->eof)
		return;
	/* Read back the writes owed so far, then look at the arm word: a
	 * disarm (the publisher's or our own) owes one write, and it comes
	 * before its write, so any write just read is accounted for here
	 * (looking first would let the read swallow the write of a disarm
	 * not yet seen, and the reader would wait unarmed: verify/fd.pml).
	 * Arming comes last, so a write made for this arming stays
	 * readable. */
	if (f->read < f->owed && read(f->efd, &n, sizeof(n)) == sizeof(n))
		f->read += n;
	disarmed = !(PHOTON__LOAD(&f->arm, PHOTON__ACQUIRE) & 1);
	if (disarmed) {
		f->owed++;
		/* Its write has usually landed: read it now, or it would
		 * cost one empty wake-up. */
		if (read(f->efd, &n, sizeof(n)) == sizeof(n))
			f->read += n;
		arm(s, f);
	}
}

/* A receive of an fd reader said CLOSED: readable from now on. */
void photon__fd_closed(struct photon_subscriber *s)
{
	struct photon__fd *f = s->fd;
	uint64_t one = 1;

	if (f->eof)
		return;
	f->eof = 1;
	pthread_mutex_lock(&s->channel->fd_lock);
	disarm(s->channel, f);
	pthread_mutex_unlock(&s->channel->fd_lock);
	(void)!write(f->efd, &one, sizeof(one));
}

/* The publisher woke the parked readers: now the armed fd readers. */
void photon__fd_wake(struct photon_channel *ch)
{
	struct photon__fd *f;

	pthread_mutex_lock(&ch->fd_lock);
	for (f = ch->fds; f; f = f->next)
		disarm(ch, f);
	pthread_mutex_unlock(&ch->fd_lock);
}

void photon__fd_close(struct photon_subscriber *s)
{
	struct photon_channel *ch = s->channel;
	struct photon__fd *f = s->fd;

	if (!f)
		return;
	pthread_mutex_lock(&ch->fd_lock);
	disarm(ch, f); /* out of parked, if it was counted there */
	if (f->prev)
		f->prev->next = f->next;
	else
		ch->fds = f->next;
	if (f->next)
		f->next->prev = f->prev;
	PHOTON__FETCH_SUB(&ch->nfds, 1, PHOTON__RELAXED);
	pthread_mutex_unlock(&ch->fd_lock);
	close(f->efd);
	free(f);
	s->fd = NULL;
}

PHOTON_API int photon_subscriber_fd(struct photon_subscriber *s)
{
	struct photon_channel *ch;
	struct photon__fd *f;

	if (!s)
		return photon__fail(PHOTON_EINVAL,
				    "photon_subscriber_fd: NULL subscriber");
	if (s->fd)
		return s->fd->efd;
	ch = s->channel;
	if (ch->shm)
		return photon__fail(PHOTON_ENOTSUP,
				    "a shared channel's publisher may be in "
				    "another process, which cannot write this "
				    "process's descriptor: poll with a timed "
				    "receive instead");
	if (!photon__membarrier_private_ok())
		return photon__fail(PHOTON_ENOTSUP,
				    "photon_subscriber_fd needs "
				    "membarrier(PRIVATE_EXPEDITED), which this "
				    "kernel refuses");
	f = calloc(1, sizeof(*f));
	if (!f)
		return photon__fail(PHOTON_ENOMEM,
				    "out of memory for a descriptor");
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd < 0) {
		int err = errno;

		free(f);
		return photon__fail_errno(PHOTON_ESYS, err, "eventfd: %s",
					  strerror(err));
	}
	pthread_mutex_lock(&ch->fd_lock);
	f->next = ch->fds;
	if (ch->fds)
		ch->fds->prev = f;
	ch->fds = f;
	PHOTON__FETCH_ADD(&ch->nfds, 1, PHOTON__RELAXED);
	pthread_mutex_unlock(&ch->fd_lock);
	s->fd = f;
	/* Every EMPTY now goes through the miss path (see the top). */
	s->closed = &photon__always_one;
	arm(s, f);
	return f->efd;
}

PHOTON_API int photon_group_fd(struct photon_group *g)
{
	return photon_subscriber_fd(g ? &g->sub : NULL);
}
