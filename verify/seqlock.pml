/*
 * Model (a): the seqlock write and read of one lossy SPMC channel, with
 * lapping, lag accounting and close. See verify/README.md for the mapping
 * to the C (photon__slot_write, photon__publish_at, photon__try_recv_n,
 * photon__subscriber_miss, drop_publisher_role) and what is left out.
 *
 * Weak memory, view-based (release/acquire/relaxed as in C11):
 *
 * The publisher is the only writer of every location here, so it runs in
 * program order and its state is one number, wpc: the steps done so far.
 * Step numbers name the stores (sequence s, 0-based):
 *
 *     W1 stamp = 2s+1   5s+1      (W2 release fence right after it)
 *     W3 word 0 = s     5s+2
 *     W3 word 1 = s     5s+3
 *     W4 stamp = 2s+2   5s+4
 *     W5 cursor = s     5s+5
 *     C1 closed = 1     5N+1
 *
 * Step 0 is the initial value of every location. Each store carries a
 * message view: the last step a reader that synchronises with it is
 * guaranteed to see. A release store carries its own step; a relaxed store
 * carries the step of the last release fence before it in program order
 * (W2 of its own or the previous sequence), or 0 if there is none.
 *
 * The reader has a view V (a step: it must see every store up to V), a
 * coherence floor per location (the store it read last: it can never read
 * an older one) and `pend`, the join of the message views of the relaxed
 * loads it did, which an acquire fence adds to V. A load may return any
 * store at or above max(coherence floor, the newest store <= V) that the
 * publisher has already executed; an acquire load adds the store's message
 * view to V. Removing a fence in the model is removing it in the C: the
 * mutants below do exactly that.
 *
 * Switches (mutants; each must give a counterexample):
 *   MUTANT_W2  no release fence between W1 and W3
 *   MUTANT_R3  no acquire fence between R2 and R4
 *   MUTANT_C2  the miss path loads `closed` relaxed, not acquire
 *
 * HOLE: sequence 1 is a gap of one (photon_publish_gap): the same W1..W5,
 * its words hold the gap's end (2) and its complete stamp carries the hole
 * bit (here 64; bit 63 in the C). The reader that meets it must skip to the
 * end counted as lagged, having read the end under R3/R4 like a payload;
 * every other stamp comparison ignores the bit (docs/PROTOCOL.md 12).
 *   MUTANT_HOLE_R4  (with HOLE) the end is taken without the R3 fence and
 *                   the R4 re-check
 */

#ifndef CAP
#define CAP 2
#endif
#ifndef N
#define N 4
#endif
#define NONE 255		/* the cursor before the first publish */
#define HBIT 64			/* the hole bit of a stamp */
#ifdef HOLE
#define ISHOLE(s) ((s) == 1)
#else
#define ISHOLE(s) 0
#endif
#define TOTAL (5 * N + 1)	/* publisher steps, close included */

/* location kinds */
#define L_STAMP 0
#define L_W0 1
#define L_W1 2
#define L_CUR 3
#define L_CLOSED 4

/* coherence floor index of (kind, slot) */
#define IDX(L, i) ((L) < L_CUR -> (L) * CAP + (i) : 3 * CAP + (L) - L_CUR)
/* sequences ever written into slot i */
#define LAPS(i) (N > (i) -> (N - 1 - (i)) / CAP + 1 : 0)
/* stores to (kind, slot) after the initial one */
#define NST(L, i) ((L) == L_STAMP -> 2 * LAPS(i) : \
		   ((L) == L_CUR -> N : ((L) == L_CLOSED -> 1 : LAPS(i))))
/* sequence written by store k >= 1 */
#define SEQ(L, i, k) ((L) == L_STAMP -> (i) + CAP * (((k) - 1) / 2) : \
		      ((L) == L_CUR -> (k) - 1 : (i) + CAP * ((k) - 1)))
/* publisher step of store k (0: the initial value) */
#define STEP(L, i, k) ((k) == 0 -> 0 : \
	((L) == L_STAMP -> 5 * SEQ(L, i, k) + ((k) % 2 == 1 -> 1 : 4) : \
	((L) == L_W0 -> 5 * SEQ(L, i, k) + 2 : \
	((L) == L_W1 -> 5 * SEQ(L, i, k) + 3 : \
	((L) == L_CUR -> 5 * SEQ(L, i, k) + 5 : TOTAL)))))
/* value of store k */
#define VAL(L, i, k) ((L) == L_STAMP -> \
	((k) == 0 -> 0 : 2 * SEQ(L, i, k) + ((k) % 2 == 1 -> 1 : \
		2 + (ISHOLE(SEQ(L, i, k)) -> HBIT : 0))) : \
	((L) == L_CLOSED -> (k) : ((k) == 0 -> NONE : SEQ(L, i, k) + \
		((L) != L_CUR && ISHOLE(SEQ(L, i, k)) -> 1 : 0))))

/* last release fence (W2) at or before the step of W1 of sequence s */
#ifdef MUTANT_W2
#define FENCE(s) 0
#else
#define FENCE(s) (5 * (s) + 1)
#endif
/* message view of store k */
#define MV(L, i, k) ((k) == 0 -> 0 : \
	((L) == L_STAMP -> ((k) % 2 == 1 -> \
		(SEQ(L, i, k) >= 1 -> FENCE(SEQ(L, i, k) - 1) : 0) : \
		STEP(L, i, k)) : \
	((L) == L_W0 || (L) == L_W1 -> FENCE(SEQ(L, i, k)) : \
	STEP(L, i, k))))

mtype = { STAMP, WORD0, WORD1, CURSOR, CLOSED, W1, W3_0, W3_1, W4, W5, C1 };

#define RLX 0
#define ACQ 1

byte wpc;			/* publisher steps done */
byte V;				/* reader's view */
byte pend;			/* views of its relaxed loads, for a fence */
byte coh[3 * CAP + 2];		/* reader's coherence floors */
byte lo, hi, mv;		/* scratch of rd(), always reset */

/* Load of (kind L, slot i) by the reader into v. */
inline rd(L, i, ord, v)
{
	atomic {
		hi = 0;
		do
		:: hi < NST(L, i) && STEP(L, i, hi + 1) <= wpc -> hi++
		:: else -> break
		od;
		lo = coh[IDX(L, i)];
		do
		:: lo < hi && STEP(L, i, lo + 1) <= V -> lo++
		:: else -> break
		od;
		/* any store in [lo, hi] */
		do
		:: lo < hi -> lo++
		:: true -> break
		od;
		coh[IDX(L, i)] = lo;
		v = VAL(L, i, lo);
		printf("MSC: reader loads %e of slot %d: %d\n",
		       (L == L_STAMP -> STAMP : (L == L_W0 -> WORD0 :
		       (L == L_W1 -> WORD1 : (L == L_CUR -> CURSOR : CLOSED)))),
		       i, v);
		mv = MV(L, i, lo);
		if
		:: ord == ACQ && mv > V -> V = mv
		:: ord == RLX && mv > pend -> pend = mv
		:: else -> skip
		fi;
		lo = 0; hi = 0; mv = 0
	}
}

active proctype Publisher()
{
	do
	:: wpc < TOTAL ->
		wpc++;
		printf("MSC: publisher %e of sequence %d\n",
		       (wpc == TOTAL -> C1 : (wpc % 5 == 1 -> W1 :
		       (wpc % 5 == 2 -> W3_0 : (wpc % 5 == 3 -> W3_1 :
		       (wpc % 5 == 4 -> W4 : W5))))), (wpc - 1) / 5)
	:: else -> break
	od
}

active proctype Reader()
{
	byte c;			/* position: next sequence to read */
	byte slot, s1, s2, w0, w1, cl, head, oldest;
	byte got, lagged;	/* messages delivered, skipped */

	do
	:: slot = c % CAP;
		rd(L_STAMP, slot, ACQ, s1); /* R1 */
		if
		:: s1 == 2 * c + 2 ->
			rd(L_W0, slot, RLX, w0); /* R2 */
			rd(L_W1, slot, RLX, w1);
#ifndef MUTANT_R3
			atomic { /* R3 */
				if
				:: pend > V -> V = pend
				:: else -> skip
				fi
			}
#endif
			rd(L_STAMP, slot, RLX, s2); /* R4 */
			if
			:: s2 == s1 ->
				/* never torn, never out of order */
				printf("MSC: reader delivers %d: words %d %d\n",
				       c, w0, w1);
				assert(w0 == c && w1 == c);
				d_step { c++; got++ } /* R5 */
			:: else -> skip /* torn: EMPTY */
			fi
		:: s1 == 2 * c + 2 + HBIT -> /* the reader's hole */
			rd(L_W0, slot, RLX, w0); /* R2: the gap's end */
#ifndef MUTANT_HOLE_R4
			atomic { /* R3 */
				if
				:: pend > V -> V = pend
				:: else -> skip
				fi
			}
			rd(L_STAMP, slot, RLX, s2); /* R4 */
#else
			s2 = s1;
#endif
			if
			:: s2 == s1 ->
				/* the end, never a torn or older word */
				printf("MSC: reader meets the hole at %d, to %d\n",
				       c, w0);
				assert(w0 == c + 1);
				d_step { lagged = lagged + w0 - c; c = w0 }
			:: else -> skip /* rewritten: EMPTY */
			fi
		:: s1 % HBIT < 2 * c + 2 ->
			rd(L_CLOSED, 0, RLX, cl);
			if
			:: cl -> goto miss
			:: else -> skip /* EMPTY */
			fi
		:: s1 % HBIT > 2 * c + 2 ->
miss:
#ifdef MUTANT_C2
			rd(L_CLOSED, 0, RLX, cl);
#else
			rd(L_CLOSED, 0, ACQ, cl); /* C2 */
#endif
			rd(L_STAMP, slot, ACQ, s1);
			if
			:: s1 % HBIT > 2 * c + 2 && s1 % 2 == 0 ->
				rd(L_CUR, 0, ACQ, head); /* R6 */
				oldest = (head == NONE -> 0 :
					  (head + 1 >= CAP -> head + 1 - CAP : 0));
				if
				:: c < oldest -> /* LAGGED */
					/* exact: every skipped sequence was
					 * really overwritten (W1 of its next
					 * lap is done) */
					printf("MSC: reader LAGGED at %d, skips %d\n",
					       c, oldest - c);
					assert(wpc >= 5 * (oldest - 1 + CAP) + 1);
					d_step { lagged = lagged + oldest - c; c = oldest }
				:: else -> skip /* stamp ahead of cursor: EMPTY */
				fi
			:: s1 % HBIT < 2 * c + 2 && cl ->
				/* CLOSED only after everything published
				 * was delivered or counted as lagged */
				printf("MSC: reader CLOSED at %d\n", c);
				assert(c == N && got + lagged == N);
				break
			:: else -> skip /* EMPTY */
			fi;
			head = 0; oldest = 0
		fi;
		s1 = 0; s2 = 0; w0 = 0; w1 = 0; cl = 0
	od
}
