/*
 * Model (c): the park/wake handshake of PHOTON_WAIT_PARK (src/wait.c,
 * park; photon__publish_at P1/P2; photon__wake K1; photon_publisher_close).
 * One publisher publishes N messages and then closes the channel or not;
 * one reader polls and parks. See verify/README.md.
 *
 * Weak memory, view-based. The locations and who may read stale values:
 *  - stamps: the reader reads slot c fresh (2c+2) if it is published and
 *    may still read the old value (0) unless its view covers it: rseen is
 *    the number of stamps its view covers (W4 is the only store, there is
 *    no lapping here: capacity >= N).
 *  - wake: stores 0..wk; store j carries the message view of K1 (release):
 *    the stamps and closed as they were then. The reader may load any store
 *    from rwk (its coherence floor) on; K2 is an acquire load.
 *  - closed: the reader may read 0 after C1 until its view covers C1 (rcl).
 *    C1 is a release store after every W4.
 *  - parked: written only by the reader (0, 1, 0, 1, ...). The publisher's
 *    P2 is a relaxed load with nothing ordering it after W4, so it may read
 *    an older value: pd is how far behind the latest store its view is
 *    (0, 1, or 2 for "2 or more"; the values alternate).
 *  - K0 is a seq_cst RMW and parked -= 1 a relaxed RMW: RMWs read the
 *    latest value.
 * K3 (membarrier) is a full barrier on the publisher's CPU at that moment:
 * the reader's view then covers everything the publisher stored, and the
 * publisher's view covers K0 (pd = 0). The futex calls act on the latest
 * value of the wake word, under the kernel's lock.
 *
 * Loads may return stale values for as long as the views allow, so an
 * infinite run could read stale values for ever, which C11 does not allow
 * (stores become visible in finite time). The Flush process makes every
 * store visible; under weak fairness it runs infinitely often.
 *
 * Claim (LTL, weak fairness): the reader never waits for ever while a
 * message is available or the channel is closed and it has not seen it:
 *     [] <> (c == published && (!closed || gotclosed))
 *
 * Switches (mutants; each must give a counterexample):
 *   MUTANT_K3      no membarrier: the reader's K0 and its stamp re-check
 *                  are not ordered against the publisher's W4 and P2
 *   MUTANT_BUG5    a failed membarrier is ignored: the reader sleeps with
 *                  no timeout (bug 5)
 *   MUTANT_FUTEX   futex_wait sleeps without checking the word against the
 *                  value read at K2
 *   MUTANT_CLOSE   closing does not wake parked readers
 *
 * -DSHM: a shared channel, publisher and reader in two processes. K3 is
 * then MEMBARRIER_CMD_GLOBAL_EXPEDITED, a barrier only on the CPUs of
 * processes registered for it. The publisher's process registers when it
 * opens its publisher (or fails to, and says so in park_unsafe); then it
 * reads `parked` with a seq_cst RMW and wakes a reader found there. A
 * reader whose K3 came before the registration reached nobody, but its K0
 * (an RMW of the same word) then comes first, so the publisher's RMW sees
 * it and wakes it; a later K3 reaches the registered process. A K0 that
 * comes after reads from that RMW and sees the registration and
 * park_unsafe. A reader that sees park_unsafe sleeps in slices.
 *   MUTANT_JOIN    no RMW of `parked` after registering
 *   MUTANT_UNSAFE  the reader ignores park_unsafe
 */

#ifndef N
#define N 2
#endif

byte published;		/* W4s done: stamp[s] == 2s+2 for s < published */
bool closed;		/* C1 done */
byte wk;		/* wake word: K1s done */
byte wmv[N + 3];	/* message view of wake store j: published */
bool wmvc[N + 3];	/* ... and closed */
bool parked;		/* latest value (one reader: 0 or 1) */
byte pd;		/* publisher's staleness on `parked`: 0, 1, 2+ */
bool asleep;		/* the reader is in futex_wait */
bool registered;	/* SHM: the publisher's process is registered */
bool unsafe;		/* SHM: its registration failed (park_unsafe) */

/* reader's view */
byte rseen;		/* stamps s < rseen read fresh */
byte rwk;		/* oldest wake store it may read */
bool rcl;		/* it must read closed == 1 */

/* reader state (global for the claim) */
byte c;			/* position */
bool gotclosed;		/* returned CLOSED */

#define VIEW_ALL() rseen = published; rwk = wk; rcl = closed

ltl live { [] <> (c == published && (!closed || gotclosed)) }

/* Stamp load of slot c, acquire: f = 1 if it sees the message. */
inline load_stamp(f)
{
	if
	:: atomic { c < published -> f = 1 } /* W4 (release) -> R1 */
	:: atomic { c >= rseen -> f = 0 }   /* an older value */
	fi
}

/* Load of closed; with acquire, its view covers all stamps (C1 comes
 * after the last W4). */
inline load_closed(v, acq)
{
	if
	:: atomic { closed -> v = 1; rcl = 1;
			if :: acq -> rseen = published :: else -> skip fi }
	:: atomic { !rcl -> v = 0 }
	fi
}

/* photon__wake: K1 then futex_wake. */
inline wake()
{
	d_step { /* K1: wake += 1, release RMW */
		wk++;
		wmv[wk] = published;
		wmvc[wk] = closed;
		printf("MSC: K1 wake = %d\n", wk)
	}
	d_step { asleep = 0; printf("MSC: futex_wake\n") } /* futex_wake */
}

active proctype Publisher()
{
	bool pv;

#ifdef SHM
	/* photon_publisher_open: register for the global barrier */
	if
	:: d_step { registered = 1; printf("MSC: registered\n") }
	:: d_step { unsafe = 1; printf("MSC: registration fails\n") }
	fi;
#ifndef MUTANT_JOIN
	/* RMW of parked (adds 0): reads the latest value, like K0 */
	d_step { pv = parked; pd = 0; printf("MSC: open sees parked = %d\n", pv) }
	if
	:: pv -> wake()
	:: else -> skip
	fi;
	pv = 0;
#endif
#endif
	do
	:: published < N ->
		d_step { published++; printf("MSC: W4 %d\n", published - 1) }
		/* P1 is a compiler barrier only; P2: relaxed load of parked */
		if
		:: d_step { pv = parked; pd = 0 }          /* the latest */
		:: d_step { pd == 1 -> pv = !parked }      /* the one before */
		:: d_step { pd == 2 -> pv = !parked; pd = 1 }
		:: d_step { pd == 2 -> pv = parked }       /* older still */
		fi;
		printf("MSC: P2 parked = %d\n", pv);
		if
		:: pv -> wake()
		:: else -> skip
		fi;
		pv = 0
	:: else -> break
	od;
	if
	:: d_step { closed = 1; printf("MSC: C1 close\n") }
#ifndef MUTANT_CLOSE
		wake()
#endif
	:: skip /* never closes */
	fi
}

active proctype Reader()
{
	bool f, v, slice;
	byte w;

end_poll:
	do
	:: /* photon__try_recv_n */
		load_stamp(f); /* R1 */
		if
		:: f -> c++; printf("MSC: reader gets %d\n", c - 1)
		:: else ->
			load_closed(v, 0);
			if
			:: v -> /* photon__subscriber_miss */
				load_closed(v, 1); /* C2 */
				load_stamp(f);
				if
				:: !f -> gotclosed = 1; printf("MSC: CLOSED\n");
					break
				:: else -> skip /* EMPTY */
				fi
			:: else -> skip /* EMPTY */
			fi;
			/* park */
			d_step { /* K0: parked += 1, seq_cst */
				parked = 1;
				if :: pd < 2 -> pd++ :: else -> skip fi;
				printf("MSC: K0 parked = 1\n")
			}
#ifdef MUTANT_K3
			slice = 0;
#elif defined(SHM)
			if
#ifndef MUTANT_UNSAFE
			:: d_step { unsafe -> slice = 1;
				printf("MSC: park_unsafe: slices\n") }
			:: d_step { !unsafe && registered -> /* K3 reaches it */
#else
			:: d_step { registered -> /* K3 reaches it */
#endif
				VIEW_ALL(); pd = 0; slice = 0;
				printf("MSC: K3 global membarrier\n") }
#ifndef MUTANT_UNSAFE
			:: d_step { !unsafe && !registered -> slice = 0;
#else
			:: d_step { !registered -> slice = 0;
#endif
				printf("MSC: K3 reaches no publisher\n") }
			:: d_step { slice = 1; printf("MSC: K3 membarrier fails\n") }
			fi;
#else
			if
			:: d_step { /* K3: membarrier */
				VIEW_ALL(); pd = 0; slice = 0;
				printf("MSC: K3 membarrier\n") }
			:: d_step { /* K3 fails: sleep in slices */
#ifdef MUTANT_BUG5
				slice = 0;
#else
				slice = 1;
#endif
				printf("MSC: K3 membarrier fails\n") }
			fi;
#endif
			atomic { /* K2: w = wake, acquire */
				w = rwk;
				do
				:: w < wk -> w++
				:: true -> break
				od;
				rwk = w;
				if :: wmv[w] > rseen -> rseen = wmv[w] :: else -> skip fi;
				if :: wmvc[w] -> rcl = 1 :: else -> skip fi
			}
			/* ready(): stamp >= want or closed */
			load_stamp(f);
			if
			:: !f -> load_closed(v, 1)
			:: else -> v = 0
			fi;
			if
			:: !f && !v ->
				d_step { /* futex_wait(&wake, w) */
#ifdef MUTANT_FUTEX
					asleep = 1;
#else
					if :: wk == w -> asleep = 1 :: else -> skip fi;
#endif
					printf("MSC: futex_wait(%d): sleeps %d\n", w, asleep)
				}
end_sleep:
				if
				:: !asleep -> skip              /* woken */
				:: slice && asleep -> asleep = 0 /* time slice over */
				fi
			:: else -> skip
			fi;
			d_step { /* parked -= 1 */
				parked = 0;
				if :: pd < 2 -> pd++ :: else -> skip fi
			}
		fi;
		f = 0; v = 0; w = 0; slice = 0
	od
}

/* Eventual visibility: every store reaches the other thread. */
active proctype Flush()
{
end_flush:
	do
	:: d_step { VIEW_ALL(); pd = 0 }
	od
}
