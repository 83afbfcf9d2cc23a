/*
 * Model (b): bounded (lossless) channels: the publisher's rescan under
 * gate_lock against consumers that register, read, close, stall and rejoin;
 * SPMC (photon__gate_wait) and MPMC (photon__gate_claim). See
 * verify/README.md for the mapping to src/backpressure.c and what is left
 * out.
 *
 * The first step of init picks SPMC (one publisher) or MPMC (two
 * producers), so one run covers both. Consumers: T is registered at 0
 * before anything is published; it reads, may close at any time and may be
 * stalled once by the stall timeout (an abstract clock: "the timeout has
 * elapsed since T started holding the publisher back" is one
 * nondeterministic event). S subscribes at any time, from the oldest
 * message held or from now on, and reads.
 *
 * Memory model: what gate_min, the registry and the stall state hold is
 * sequentially consistent, since it only changes under gate_lock. The
 * lock-free loads that feed it may return older stores, within the window
 * C11 allows: G1 (any position from the one the last rescan read up to the
 * latest: R5 is lock-free), R6 in a registration or a LAGGED (any cursor
 * value stored so far: nothing orders it after a given W5), and the relaxed
 * re-read of `next` under the lock (any value from the producer's last read
 * on). mp_limit and the claim CAS read the latest value (mp_limit never
 * goes down in the fixed code, so an older value is only more cautious).
 * The seqlock and cursor fences are the business of models (a) and (d).
 *
 * Assertions:
 *  - no publish overwrites a slot a registered consumer still needs, unless
 *    the stall rule dropped that consumer and it has not rejoined yet
 *    ("never LAGGED in bounded mode");
 *  - a consumer sees LAGGED only after the stall rule dropped it;
 *  - a consumer that rejoined (its LAGGED) is never dropped again (the
 *    model's clock stops once it is back) and is never lapped again.
 *
 * Switches (mutants; each must give a counterexample):
 *   MUTANT_BUG1   the rescan stores gate_min and mp_limit unconditionally
 *                 (they could move down: bug 1, "the bug-1 floor")
 *   MUTANT_BUG2   the LAGGED path does not rejoin the gate under the lock:
 *                 it moves to the oldest held per the cursor (bug 2)
 *   MUTANT_CLAMP  registration does not clamp the start to gate_min
 *   MUTANT_REJOIN_CLOCK  the rejoin resets seen_pos and stalled but not
 *                 blocking_since: the next rescan drops the consumer again
 */

#ifndef CAP
#define CAP 2
#endif
#ifndef WM
#define WM 0
#endif
#define ROOM (CAP - WM)
#ifndef NMSG
#define NMSG 4
#endif
#define NONE 255
#define T 0
#define S 1
#define NT 2

#define OLDEST(h) ((h) == NONE -> 0 : ((h) + 1 >= CAP -> (h) + 1 - CAP : 0))

byte stamp[CAP];	/* 0, or 2s+2: W1..W4 are one step here */
byte cursor = NONE;	/* W5 / advance_cursor */
byte next;		/* MPMC: next sequence to claim */
byte mp_limit;		/* MPMC: claims below it need no lock */
byte gate_min;
bool lock;		/* gate_lock */
bool mpmc;

/* trackers */
byte pos[NT];		/* the consumer's position word (R5 / G1) */
bool reg[NT];		/* registered */
byte seen[NT];		/* seen_pos */
byte blocking[NT];	/* blocking_since: 0 none, 1 started, 2 timed out */
bool stalled[NT];
/* ghosts */
bool dropped[NT];	/* excluded by the stall rule, not yet rejoined */
bool back[NT];		/* rejoined after a drop */

/* scratch of the atomic blocks, always reset to 0 */
byte i, m, p, gm, lim;

/* A cursor load (R6): any value stored so far. The cursor takes every
 * value from NONE on, one at a time. */
#define LOAD_CURSOR(h) \
	if \
	:: h = NONE \
	:: cursor != NONE -> \
		h = 0; \
		do \
		:: h < cursor -> h++ \
		:: true -> break \
		od \
	fi

/* A publish of sequence s overwrites sequence s - CAP. */
inline check_overwrite(s)
{
	i = 0;
	do
	:: i < NT ->
		assert(!reg[i] || dropped[i] || s < pos[i] + CAP);
		i++
	:: else -> break
	od;
	i = 0
}

/* rescan(next): lim = new limit; raises (mutant: sets) gate_min. Under
 * gate_lock, inside an atomic block. The stall rule as in stalled(). */
inline rescan(nxt)
{
	m = NONE;
	i = 0;
	do
	:: i < NT ->
		if
		:: reg[i] ->
			/* G1, acquire, under the lock: the consumer's R5 is
			 * lock-free, so any position from the one the last
			 * rescan read (coherence) up to the latest */
			p = seen[i];
			do
			:: p < pos[i] -> p++
			:: true -> break
			od;
			if
			:: p != seen[i] ->
				seen[i] = p; blocking[i] = 0; stalled[i] = 0
			:: else -> skip
			fi;
			if
			:: stalled[i] -> skip
			:: !stalled[i] && p + ROOM > nxt ->
				blocking[i] = 0;
				if :: p < m -> m = p :: else -> skip fi
			:: !stalled[i] && p + ROOM <= nxt && blocking[i] < 2 ->
				blocking[i] = 1;
				if :: p < m -> m = p :: else -> skip fi
			:: !stalled[i] && p + ROOM <= nxt && blocking[i] == 2 ->
				assert(!back[i]); /* not dropped twice */
				stalled[i] = 1;
				dropped[i] = 1;
				printf("MSC: the rescan drops consumer %d\n", i)
			fi
		:: else -> skip
		fi;
		i++
	:: else -> break
	od;
	if
	:: m == NONE -> gm = OLDEST(nxt); lim = nxt + 1
	:: else -> gm = m; lim = m + ROOM
	fi;
#ifdef MUTANT_BUG1
	gate_min = gm;
#else
	if :: gm > gate_min -> gate_min = gm :: else -> skip fi;
#endif
	i = 0; m = 0; p = 0; gm = 0
}

/* The single publisher: photon__publish_n / photon__gate_wait. */
proctype Spmc()
{
	byte s, limit;

	do
	:: s < limit ->
		d_step { /* W1..W4 */
			check_overwrite(s);
			stamp[s % CAP] = 2 * s + 2;
			printf("MSC: P writes %d\n", s)
		}
		cursor = s; /* W5 */
		s++;
		if
		:: s == NMSG -> break
		:: else -> skip
		fi
	:: s >= limit -> /* gate_wait: lock, rescan, unlock, retry */
		atomic {
			!lock -> /* lock */
			rescan(s);
			limit = lim; lim = 0;
			printf("MSC: P rescan at %d: limit %d, gate_min %d\n",
			       s, limit, gate_min)
			/* unlock */
		}
	od
}

/* One MPMC producer: photon__gate_claim, then the commit. */
proctype Mp()
{
	byte s, l, seq;

	do
	:: s = next;
		do
		:: s >= NMSG -> goto done /* the model publishes NMSG */
		:: s < NMSG ->
			l = mp_limit;
			if
			:: s < l ->
				atomic { /* CAS next: s -> s+1 */
					if
					:: next == s -> next = s + 1; seq = s;
						printf("MSC: %d claims %d (limit read %d)\n",
						       _pid, s, l);
						s = 0; l = 0; break
					:: else -> s = next; l = 0
					fi
				}
			:: else ->
				atomic { /* lock; relaxed load of next: any value
					  * from the one it read last on */
					!lock -> lock = 1;
					do
					:: s < next -> s++
					:: true -> break
					od;
					printf("MSC: %d locks, next %d\n", _pid, s)
				}
				atomic {
					rescan(s);
#ifdef MUTANT_BUG1
					mp_limit = lim;
#else
					if
					:: lim > mp_limit -> mp_limit = lim
					:: else -> lim = mp_limit
					fi;
#endif
					l = lim; lim = 0;
					printf("MSC: %d rescan: mp_limit %d, gate_min %d\n",
					       _pid, mp_limit, gate_min);
					lock = 0
				}
				if
				:: s < l -> l = 0
				:: else -> l = 0; s = next /* pause */
				fi
			fi
		od;
		/* commit: wait_previous_lap, W1..W4, advance_cursor */
		(seq < CAP || stamp[seq % CAP] >= 2 * (seq - CAP) + 2);
		d_step {
			check_overwrite(seq);
			stamp[seq % CAP] = 2 * seq + 2;
			printf("MSC: %d writes %d\n", _pid, seq)
		}
		d_step {
			do
			:: cursor == NONE && stamp[0] >= 2 -> cursor = 0
			:: cursor != NONE && cursor + 1 < NMSG &&
			   stamp[(cursor + 1) % CAP] >= 2 * (cursor + 1) + 2 ->
				cursor++
			:: else -> break
			od;
			seq = 0
		}
	od;
done:
	skip
}

proctype Consumer(byte id)
{
	byte c, s1, head, nw;
	bool from_oldest;

	if
	:: id == S -> /* subscribes at some point: photon__gate_register */
		if
		:: from_oldest = 1
		:: from_oldest = 0
		fi;
end_sub:
		atomic {
			!lock -> lock = 1;
			/* R6, acquire, but nothing orders it after any W5
			 * (advance_cursor): any value stored so far */
			LOAD_CURSOR(head)
		}
		d_step {
			if
			:: from_oldest -> nw = OLDEST(head)
			:: else -> nw = (head == NONE -> 0 : head + 1)
			fi;
#ifndef MUTANT_CLAMP
			if :: nw < gate_min -> nw = gate_min :: else -> skip fi;
#endif
			pos[id] = nw; seen[id] = nw; reg[id] = 1;
			printf("MSC: S subscribes (from oldest %d) at %d\n",
			       from_oldest, nw);
			head = 0; nw = 0;
			lock = 0
		}
	:: else -> skip /* T: registered by init */
	fi;
end_read:
	do
	:: d_step { /* R1..R5: an EMPTY read changes nothing: wait instead */
		pos[id] < NMSG && stamp[pos[id] % CAP] >= 2 * pos[id] + 2 ->
		c = pos[id];
		s1 = stamp[c % CAP];
		if
		:: s1 == 2 * c + 2 ->
			pos[id] = c + 1;
			printf("MSC: consumer %d reads %d\n", id, c);
			c = 0; s1 = 0
		:: else -> skip
		fi
	   }
		if
		:: s1 == 0 -> skip /* read one */
		:: s1 > 2 * c + 2 -> /* the slot was reused: lapped */
			atomic { LOAD_CURSOR(head) } /* R6 */
			if
			:: c < OLDEST(head) -> /* LAGGED */
#ifdef MUTANT_BUG2
				/* store the oldest held, outside the lock */
				d_step {
					printf("MSC: consumer %d LAGGED at %d, to %d\n",
					       id, c, OLDEST(head));
					assert(dropped[id]);
					dropped[id] = 0; back[id] = 1;
					pos[id] = OLDEST(head)
				}
#else
				d_step { /* photon__gate_rejoin */
					!lock -> /* lock */
					assert(dropped[id]);
					dropped[id] = 0; back[id] = 1;
					nw = OLDEST(head);
					if
					:: nw < gate_min -> nw = gate_min
					:: else -> skip
					fi;
					seen[id] = nw;
#ifndef MUTANT_REJOIN_CLOCK
					blocking[id] = 0;
#endif
					stalled[id] = 0;
					pos[id] = nw;
					printf("MSC: consumer %d LAGGED at %d, rejoins at %d\n",
					       id, c, nw);
					nw = 0
					/* unlock */
				}
#endif
			:: else -> skip /* stamp ahead of the cursor: EMPTY */
			fi;
			head = 0
		fi;
		c = 0; s1 = 0
	:: id == T -> /* close: photon__gate_unregister */
		d_step { !lock -> reg[id] = 0; printf("MSC: T closes\n") };
		break
	od
}

/* The stall clock: T's timeout elapses once, while it holds the
 * publisher back, and never after it is back. */
proctype Clock()
{
end_clock:
	atomic {
		reg[T] && blocking[T] == 1 && !back[T] -> blocking[T] = 2;
		printf("MSC: T's stall timeout elapses\n")
	}
}

init {
	atomic {
		reg[T] = 1; /* subscribed before the first publish */
		if
		:: mpmc = 0; run Spmc()
		:: mpmc = 1; run Mp(); run Mp()
		fi;
		run Consumer(T);
		run Consumer(S);
		run Clock()
	}
}
