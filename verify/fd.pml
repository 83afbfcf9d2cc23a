/*
 * Model (e): a reader's descriptor (src/fd.c, photon_subscriber_fd) on top
 * of the park handshake. One publisher publishes N messages; one reader
 * receives until EMPTY, then waits for its eventfd (epoll), and so on. See
 * verify/README.md.
 *
 * Weak memory as in park.pml: the reader may read a stamp stale until its
 * view covers it (rseen); the publisher's P2 is a relaxed load of
 * `parked` with nothing ordering it after W4, so it may read an older
 * value (pd: how far behind); K0 is a seq_cst RMW; K3 (membarrier) makes
 * the reader's view cover every stamp and the publisher's view cover K0.
 * The arm word's CAS and the eventfd are atomic (RMW, kernel). The
 * publisher's write may come any time after its CAS (pending: preempted in
 * between). Flush makes every store visible eventually (weak fairness).
 *
 * Claims:
 *  - liveness (LTL): the reader never waits for ever while a message is
 *    available:  [] <> (c == published)
 *  - no storm (assertion): wake-ups that find nothing are at most one per
 *    disarm, so fewer than N + 2 in all.
 *
 * Switches (mutants; each must give a counterexample):
 *   MUTANT_RECHECK  no re-check of the stamp after arming
 *   MUTANT_READBACK the reader does not read back the writes it is owed
 *   MUTANT_FD_K3    no barrier after K0
 *   MUTANT_ORDER    the arm word looked at before the read-back (the
 *                   first version of fd.c: a lost wake-up)
 */

#ifndef N
#define N 2
#endif

byte published;	/* W4s done */
bool parked = 1;	/* the armed reader counts here; armed at creation */
byte pd;	/* publisher's staleness on parked: 0, 1, 2+ */
bool armed = 1;	/* the arm word is odd */
byte efd;	/* eventfd counter */
bool pending;	/* a disarm's write not yet made */
byte owed;	/* writes the reader's observed disarms promise */
byte got;	/* writes read back */
byte rseen;	/* stamps s < rseen read fresh */
byte c;		/* reader's position */
byte empty_wakes;

ltl live { [] <> (c == published) }

inline load_stamp(f)
{
	if
	:: atomic { c < published -> f = 1 }
	:: atomic { c >= rseen -> f = 0 }
	fi
}

/* The disarm half (CAS odd -> even, parked -= 1); the write follows. */
inline disarm(won)
{
	d_step {
		if
		:: armed -> armed = 0; parked = 0;
			if :: pd < 2 -> pd++ :: else -> skip fi;
			pending = 1; won = 1
		:: else -> won = 0
		fi
	}
}

active proctype Publisher()
{
	bool pv, won;

	do
	:: published < N ->
		d_step { published++; printf("MSC: W4 %d\n", published - 1) }
		if
		:: d_step { pv = parked; pd = 0 }
		:: d_step { pd == 1 -> pv = !parked }
		:: d_step { pd == 2 -> pv = !parked; pd = 1 }
		:: d_step { pd == 2 -> pv = parked }
		fi;
		if
		:: pv -> disarm(won);
			if
			:: won -> d_step { efd++; pending = 0;
					printf("MSC: publisher writes efd\n") }
			:: else -> skip
			fi
		:: else -> skip
		fi;
		pv = 0; won = 0
	:: else -> break
	od
}

active proctype Reader()
{
	bool f, disarmed, won;

	do
	:: load_stamp(f);
		if
		:: f -> c++; printf("MSC: reader gets %d\n", c - 1)
		:: else ->
			/* EMPTY: photon__fd_empty. Read back the writes owed,
			 * then look at the arm word (the other order lets the
			 * read swallow the write of a disarm not yet seen:
			 * MUTANT_ORDER). */
#ifdef MUTANT_ORDER
			disarmed = !armed;
			if
			:: disarmed -> owed++
			:: else -> skip
			fi;
#endif
#ifndef MUTANT_READBACK
			d_step {
				if
				:: got < owed && efd > 0 -> got = got + efd; efd = 0
				:: else -> skip
				fi
			}
#endif
#ifndef MUTANT_ORDER
			disarmed = !armed;
			if
			:: disarmed -> owed++;
#ifndef MUTANT_READBACK
				d_step { /* its write, if it has landed */
					got = got + efd; efd = 0
				}
#endif
			:: else -> skip
			fi;
#endif
			if
			:: disarmed ->
				d_step { armed = 1; parked = 1;
					if :: pd < 2 -> pd++ :: else -> skip fi;
					printf("MSC: arm, K0\n") }
#ifndef MUTANT_FD_K3
				d_step { rseen = published; pd = 0;
					printf("MSC: K3\n") }
#endif
#ifndef MUTANT_RECHECK
				load_stamp(f);
				if
				:: f -> disarm(won);
					if
					:: won -> d_step { efd++; pending = 0 }
					:: else -> skip
					fi
				:: else -> skip
				fi;
#endif
				skip
			:: else -> skip
			fi;
			/* epoll_wait: until the descriptor is readable */
end_wait:
			efd > 0;
			d_step {
				if
				:: c == published -> empty_wakes++
				:: else -> skip
				fi
			}
			assert(empty_wakes < N + 2);
			printf("MSC: woken\n")
		fi;
		f = 0; disarmed = 0; won = 0
	od
}

active proctype Flush()
{
end_flush:
	do
	:: d_step { rseen = published; pd = 0 }
	od
}
