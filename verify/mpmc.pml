/*
 * Model (d): lossy MPMC publishing (src/channel.c): claim with a fetch-add
 * of `next`, wait_previous_lap, W1..W4, advance_cursor (M1, M2). NP
 * producers claim NSEQ sequences in all on a ring of CAP slots. See
 * verify/README.md.
 *
 * Weak memory, view-based, several writers. Every stamp store is appended
 * to its slot's history (the modification order) with a message view: a
 * vector with, per slot, the index of the newest store of that slot the
 * writer's view held when it released (W4, release), or all zeros for W1
 * (relaxed; W2 and the payload are not modelled, which only weakens what
 * a reader of W1 learns). Each producer has a view (per slot, the oldest
 * store it may read: coherence and synchronisation). A stamp load may read
 * any store from its view on; an acquire load joins the store's message
 * view into the producer's view.
 *
 * The cursor is only ever accessed by RMWs (M1 fetch_add 0, M2 CAS), which
 * read its latest value; its message view is that of the release sequence:
 * an acq_rel RMW joins it into the producer's view and stores the joined
 * view; a relaxed RMW (mutant) neither joins nor adds, and the sequence
 * carries the previous view on. A failed CAS is an acquire load of the
 * latest value (what the hardware does; C11 would let it read older).
 * `next` is a relaxed RMW counter; it orders nothing.
 *
 * Assertions: stamps of a slot only grow; no two producers write one slot
 * at once; when every producer is done the cursor is at the last sequence
 * (it never strands a committed sequence).
 *
 * Switches (mutants; each must give a counterexample):
 *   MUTANT_EQ     advance_cursor tests stamp == 2n+2, not >= (the upstream
 *                 bug: a slot already reused by the next lap stops it)
 *   MUTANT_LAP    no wait_previous_lap
 *   MUTANT_M1     M1 is a relaxed RMW instead of acq_rel
 */

#ifndef CAP
#define CAP 2
#endif
#ifndef NP
#define NP 2
#endif
#ifndef NSEQ
#define NSEQ 4
#endif
#define NONE 255
#define HMAX (1 + 2 * ((NSEQ + CAP - 1) / CAP))	/* stores per slot, max */

byte next;			/* next sequence to claim */
byte hval[CAP * HMAX];		/* value of store k of slot i: [i*HMAX+k] */
byte hmv[CAP * HMAX * CAP];	/* its message view: [(i*HMAX+k)*CAP+j] */
byte hlen[CAP];			/* stores in slot i's history, initial incl. */
byte cval = NONE;		/* cursor */
byte cmv[CAP];			/* message view of the cursor's release seq. */
byte vw[NP * CAP];		/* producer p's view of slot j: [p*CAP+j] */
byte writing[CAP];		/* ghost: producers between W1 and W4 */
byte done;			/* producers finished */
byte k, j;			/* scratch, always reset */

/* vw[p] |= the view vector at hmv[base..] (a stamp store's message view),
 * or at cmv (the cursor's) with JOIN_CMV. */
#define JOIN(arr, base) \
	j = 0; \
	do \
	:: j < CAP -> \
		if \
		:: arr[(base) + j] > vw[p * CAP + j] -> \
			vw[p * CAP + j] = arr[(base) + j] \
		:: else -> skip \
		fi; \
		j++ \
	:: else -> break \
	od; \
	j = 0

/* Acquire load of slot i's stamp by producer p into val. */
inline load_stamp(p, i, val)
{
	atomic {
		k = vw[p * CAP + i];
		do
		:: k < hlen[i] - 1 -> k++
		:: true -> break
		od;
		vw[p * CAP + i] = k;
		val = hval[i * HMAX + k];
		JOIN(hmv, (i * HMAX + k) * CAP);
		k = 0
	}
}

/* Store of v into slot i's stamp by producer p; rel: release. */
inline store_stamp(p, i, v, rel)
{
	d_step {
		/* stamps only grow */
		assert(v > hval[i * HMAX + hlen[i] - 1]);
		assert(hlen[i] < HMAX);
		k = hlen[i];
		hlen[i]++;
		hval[i * HMAX + k] = v;
		vw[p * CAP + i] = k;
		j = 0;
		do
		:: j < CAP ->
			hmv[(i * HMAX + k) * CAP + j] = (rel -> vw[p * CAP + j] : 0);
			j++
		:: else -> break
		od;
		j = 0; k = 0
	}
}

/* The cursor RMW stores carry the producer's (joined) view. */
inline release_cursor(p)
{
	j = 0;
	do
	:: j < CAP -> cmv[j] = vw[p * CAP + j]; j++
	:: else -> break
	od;
	j = 0
}

proctype Producer(byte p)
{
	byte seq, c, n, v;

	do
	:: atomic { /* claim: fetch_add(next, 1), relaxed */
		next < NSEQ -> seq = next; next++;
		printf("MSC: %d claims %d\n", p, seq)
	   }
#ifndef MUTANT_LAP
		if /* wait_previous_lap */
		:: seq >= CAP ->
			do
			:: load_stamp(p, seq % CAP, v);
				if
				:: v >= 2 * (seq - CAP) + 2 -> break
				:: else -> skip
				fi
			od
		:: else -> skip
		fi;
#endif
		atomic {
			writing[seq % CAP]++;
			assert(writing[seq % CAP] == 1); /* one writer per slot */
			store_stamp(p, seq % CAP, 2 * seq + 1, 0) /* W1 */
		}
		atomic {
			store_stamp(p, seq % CAP, 2 * seq + 2, 1); /* W4 */
			writing[seq % CAP]--;
			printf("MSC: %d commits %d\n", p, seq)
		}
		/* advance_cursor */
		atomic { /* M1: c = fetch_add(cursor, 0) */
			c = cval;
#ifndef MUTANT_M1
			JOIN(cmv, 0);
			release_cursor(p)
#endif
		}
		do
		:: n = (c == NONE -> 0 : c + 1);
			load_stamp(p, n % CAP, v);
#ifdef MUTANT_EQ
			if
			:: v != 2 * n + 2 -> break
#else
			if
			:: v < 2 * n + 2 -> break
#endif
			:: else ->
				atomic { /* M2: CAS cursor c -> n, acq_rel */
					JOIN(cmv, 0);
					if
					:: cval == c -> cval = n; c = n;
						release_cursor(p);
						printf("MSC: %d moves cursor to %d\n", p, n)
					:: else -> c = cval
					fi
				}
			fi
		od;
		seq = 0; c = 0; n = 0; v = 0
	:: atomic { next >= NSEQ -> done++; break }
	od
}

init {
	atomic {
		k = 0;
		do
		:: k < CAP -> hlen[k] = 1; k++
		:: else -> break
		od;
		k = 0;
		do
		:: k < NP -> run Producer(k); k++
		:: else -> break
		od;
		k = 0
	}
	/* every producer done: the cursor passed every committed sequence */
	done == NP;
	assert(cval == NSEQ - 1)
}
