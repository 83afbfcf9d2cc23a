// SPDX-License-Identifier: MIT
// LMAX Disruptor 3.4 (Debian libdisruptor-java) in the loops of
// bench_oneway, bench_pingpong and bench_throughput (bench/xt_loops.h), so
// that bench/report.sh can run both in the same round:
//
//   java -cp disruptor.jar:DIR Harness MODE [key=value ...]
//
//   oneway      a paced producer stamps System.nanoTime() into the event
//               (the read that ends its wait), the consumer subtracts it
//               from its own nanoTime() on arrival; a producer that fell
//               behind restarts its schedule instead of bursting
//   pingpong    LMAX's PingPongSequencedLatencyTest shape: the pinger (a
//               handler on the pong ring) records the round trip and sends
//               the next ping, the ponger (a handler on the ping ring)
//               echoes the stamp; half the round trip is reported
//   clock       the cost of System.nanoTime(): median and p99 of the
//               difference of two consecutive reads, ns
//   throughput  events 1, 2, 3 ... through a ring as fast as it takes them;
//               each of k consumers (handleEventsWith: every consumer sees
//               every event, as every libphotonring subscriber does) checks
//               that each event is the next; rate from the producer's first
//               claim to the last consumer's last event
//
// Keys (defaults in brackets): n messages measured [100000; throughput
// 20000000], w warm-up messages discarded at the start of each run [10000;
// throughput 0], i pacing ns [1000], s ring size [4096], k consumers [1],
// wait busy|yield [busy]: BusySpinWaitStrategy (one Thread.onSpinWait, a
// PAUSE, per empty poll) or YieldingWaitStrategy (100 polls, then
// Thread.yield), claim try|next [try]: tryNext() retried with the same wait
// as the consumers (the C loop: try_send, PAUSE or yield, again), or next()
// (the Disruptor's own: parkNanos(1) while full), jit warm-up runs [5]
// (whole runs of the same loop in this JVM, not reported), runs measured
// [1], cpus A,B: pin the producer (pinger) to A and the consumer (ponger)
// to B with sched_setaffinity through taskset -p on the thread's own tid
// (no JNI); empty: leave the threads to the scheduler (the fan-out runs,
// which have more threads than CPUs). dump FILE: the distribution of the
// last run as "percentile 1/(1-p) ns" lines, bench_oneway --dump's format.
//
// One line per measured run:
//   oneway|pingpong disruptor p50 p90 p99 p99.9 p99.99 max jit=MS gc=N c2c=NS
//       runq=% redo=N
//   throughput disruptor Mmsg/s errors jit=MS gc=N c2c=NS runq=% redo=N
// jit: milliseconds the JIT compiled during the measured run (0 when the
// warm-up did its job), gc: collections during it, c2c: the median half
// round trip of a volatile store exchange between the two pinned threads
// just before the run (the machine state, as bench_oneway's probe; it
// includes one nanoTime per round trip), or -1 unpinned. runq: the larger
// share of the run one measuring thread spent preempted (runnable, not
// running: /proc/thread-self/schedstat); a pinned run above 1% is redone,
// up to `retries` [3] times (redo), as bench_oneway does.
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

public final class Harness {
	static final class Event {
		long value;
	}

	// ---- options ----

	static Map<String, String> opt = new HashMap<>();

	static long num(String k, long dflt) {
		String v = opt.get(k);
		return v == null ? dflt : Long.parseLong(v);
	}

	static String str(String k, String dflt) {
		String v = opt.get(k);
		return v == null ? dflt : v;
	}

	// ---- pinning: the calling thread's tid, then taskset -p ----

	static int[] cpus;

	static void pin(int which) {
		if (cpus == null)
			return;
		try {
			String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
			String tid = link.substring(link.lastIndexOf('/') + 1);
			Process p = new ProcessBuilder("taskset", "-pc",
			    Integer.toString(cpus[which]), tid)
			    .redirectErrorStream(true).start();
			p.getInputStream().readAllBytes();
			if (p.waitFor() != 0)
				throw new IllegalStateException("taskset failed");
			// /proc/thread-self/stat field 39: the CPU it last ran on.
			String st = Files.readString(Path.of("/proc/thread-self/stat"));
			String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
			int on = Integer.parseInt(f[36]);
			if (on != cpus[which])
				System.err.printf("Harness: thread on CPU %d, not %d%n", on, cpus[which]);
		} catch (Exception e) {
			throw new RuntimeException("pinning to CPU " + cpus[which], e);
		}
	}

	// Threads for the Disruptor's processors: the first one made is pinned
	// to CPU `first` (0: A, 1: B), the next to the other one; first < 0:
	// not pinned. Each counts `ready` down once it runs where it should, so
	// that nothing is sent before the consumers are in place (thread
	// start-up and the taskset call are never timed).
	static ThreadFactory threads(int first, CountDownLatch ready) {
		AtomicLong made = new AtomicLong();
		return r -> {
			long k = made.getAndIncrement();
			Thread t = new Thread(() -> {
				if (first >= 0)
					pin((int)((first + k) % 2));
				ready.countDown();
				r.run();
			});
			t.setDaemon(true);
			return t;
		};
	}

	// ---- preemption: /proc/thread-self/schedstat, as bench/xt_common.c ----

	// Nanoseconds the calling thread has waited on a run queue.
	static long runDelay() {
		try {
			String s = Files.readString(Path.of("/proc/thread-self/schedstat"));
			return Long.parseLong(s.trim().split(" ")[1]);
		} catch (Exception e) {
			return -1;
		}
	}

	// A span of one thread's time: the share of it spent preempted.
	static final class Span {
		long d0, t0;
		double runq = -1;

		void start() {
			d0 = runDelay();
			t0 = System.nanoTime();
		}

		void stop() {
			long d1 = runDelay(), t1 = System.nanoTime();
			runq = d0 < 0 || d1 < 0 || t1 <= t0 ? -1 : (double)(d1 - d0) / (t1 - t0);
		}
	}

	// The worse of two spans; -1 if either is unknown.
	static double worst(Span a, Span b) {
		return a.runq < 0 || b.runq < 0 ? -1 : Math.max(a.runq, b.runq);
	}

	static double runq;

	// ---- the machine state: a volatile exchange between A and B ----

	static final class Flag {
		long p0, p1, p2, p3, p4, p5, p6;
		volatile long v;
		long q0, q1, q2, q3, q4, q5, q6;
	}

	static double probe() throws Exception {
		if (cpus == null)
			return -1;
		final int n = 2001;
		Flag ping = new Flag(), pong = new Flag();
		long[] rtt = new long[n];
		Thread echo = new Thread(() -> {
			pin(1);
			for (long k = 1; k <= n; k++) {
				while (ping.v != k)
					Thread.onSpinWait();
				pong.v = k;
			}
		});
		echo.start();
		Thread me = new Thread(() -> {
			pin(0);
			for (int k = 1; k <= n; k++) {
				long t0 = System.nanoTime();
				ping.v = k;
				while (pong.v != k)
					Thread.onSpinWait();
				rtt[k - 1] = System.nanoTime() - t0;
			}
		});
		me.start();
		me.join();
		echo.join();
		Arrays.sort(rtt);
		return rtt[n / 2] / 2.0;
	}

	// ---- waits, shared by the producer's retry and nothing else ----

	static boolean yieldWait;

	// One empty poll or refused claim: spins counts down from 100 per
	// episode (YieldingWaitStrategy's SPIN_TRIES), then yields each time.
	static int relax(int spins) {
		if (!yieldWait) {
			Thread.onSpinWait();
			return spins;
		}
		if (spins > 0)
			return spins - 1;
		Thread.yield();
		return 0;
	}

	static WaitStrategy strategy() {
		return yieldWait ? new YieldingWaitStrategy() : new BusySpinWaitStrategy();
	}

	// ---- statistics: nearest rank, as bench/xt_common.c ----

	static long rank(long[] s, int n, double p) {
		double r = Math.ceil(p * n);
		int i = r < 1 ? 0 : (int)r - 1;
		return s[i < n ? i : n - 1];
	}

	static final double[] PCTS = { 0.50, 0.90, 0.99, 0.999, 0.9999, 1.0 };

	static String summary(long[] s, int n, double scale, String dump) throws Exception {
		Arrays.sort(s, 0, n);
		StringBuilder b = new StringBuilder();
		for (double p : PCTS)
			b.append(String.format(" %.1f", rank(s, n, p) * scale));
		if (dump != null) {
			StringBuilder d = new StringBuilder(String.format(
			    "# Harness %s disruptor: percentile, 1/(1-p), ns%n", opt.get("mode")));
			for (int k = 0; k < 61; k++) {
				double x = Math.pow(10, k / 10.0);
				if (x > n)
					break;
				d.append(String.format("%.6f %.4g %.2f%n", 100 * (1 - 1 / x), x,
				    rank(s, n, 1 - 1 / x) * scale));
			}
			Files.writeString(Path.of(dump), d.toString());
		}
		return b.toString();
	}

	// What happened in the JVM during a measured run.
	static long jit0, gc0;

	static void jvmMark() {
		jit0 = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
		gc0 = gcCount();
	}

	static String jvmSince() {
		long jit = ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jit0;
		return String.format(" jit=%d gc=%d", jit, gcCount() - gc0);
	}

	static long gcCount() {
		long c = 0;
		for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans())
			c += Math.max(0, g.getCollectionCount());
		return c;
	}

	// ---- one-way ----

	static final class Recorder implements EventHandler<Event> {
		final long[] samples;
		final long total, warmup;
		long i;
		final CountDownLatch done = new CountDownLatch(1);
		final Span span = new Span();

		Recorder(long[] samples, long total, long warmup) {
			this.samples = samples;
			this.total = total;
			this.warmup = warmup;
		}

		public void onEvent(Event e, long seq, boolean endOfBatch) {
			long t = System.nanoTime();
			if (i == 0)
				span.start();
			if (i >= warmup)
				samples[(int)(i - warmup)] = t - e.value;
			if (++i == total) {
				span.stop();
				done.countDown();
			}
		}
	}

	static String oneway(long[] samples, boolean report) throws Exception {
		long count = num("n", 100_000), warmup = num("w", 10_000);
		long interval = num("i", 1000), total = count + warmup;
		int size = (int)num("s", 4096);
		double c2c = report ? probe() : -1;
		Recorder rec = new Recorder(samples, total, warmup);
		CountDownLatch ready = new CountDownLatch(1);
		Disruptor<Event> d = new Disruptor<>(Event::new, size, threads(1, ready),
		    ProducerType.SINGLE, strategy());
		d.handleEventsWith(rec);
		RingBuffer<Event> ring = d.start();
		Span ps = new Span();
		Thread producer = new Thread(() -> {
			pin(0);
			try {
				ready.await();
			} catch (InterruptedException e) {
				return;
			}
			if (report)
				jvmMark();
			ps.start();
			long next = System.nanoTime() + interval, now;
			for (long k = 0; k < total; k++) {
				while ((now = System.nanoTime()) < next)
					;
				long seq = ring.next();
				ring.get(seq).value = now;
				ring.publish(seq);
				if (now - next > interval)
					next = now;
				next += interval;
			}
			ps.stop();
		});
		producer.start();
		producer.join();
		rec.done.await();
		String jvm = report ? jvmSince() : "";
		d.halt();
		runq = worst(ps, rec.span);
		if (!report)
			return null;
		return "oneway disruptor" + summary(samples, (int)count, 1.0, opt.get("dump"))
		    + jvm + String.format(" c2c=%.1f", c2c);
	}

	// ---- round trip ----

	static final class Ponger implements EventHandler<Event> {
		RingBuffer<Event> out;
		final Span span = new Span();
		long i, total;

		public void onEvent(Event e, long seq, boolean endOfBatch) {
			if (i == 0)
				span.start();
			if (++i == total)
				span.stop();
			long s = out.next();
			out.get(s).value = e.value;
			out.publish(s);
		}
	}

	static final class Pinger implements EventHandler<Event> {
		RingBuffer<Event> out;
		final long[] samples;
		final long total, warmup;
		long i;
		final CountDownLatch done = new CountDownLatch(1);
		final Span span = new Span();

		Pinger(long[] samples, long total, long warmup) {
			this.samples = samples;
			this.total = total;
			this.warmup = warmup;
		}

		void ping() {
			long s = out.next();
			out.get(s).value = System.nanoTime();
			out.publish(s);
		}

		public void onEvent(Event e, long seq, boolean endOfBatch) {
			long t = System.nanoTime();
			if (i == 0)
				span.start();
			if (i >= warmup)
				samples[(int)(i - warmup)] = t - e.value;
			if (++i == total) {
				span.stop();
				done.countDown();
			} else {
				ping();
			}
		}
	}

	static String pingpong(long[] samples, boolean report) throws Exception {
		long count = num("n", 100_000), warmup = num("w", 10_000);
		int size = (int)num("s", 4096);
		double c2c = report ? probe() : -1;
		Pinger pinger = new Pinger(samples, count + warmup, warmup);
		Ponger ponger = new Ponger();
		ponger.total = count + warmup;
		// The pinger's processor on CPU A, the ponger's on B.
		CountDownLatch ready = new CountDownLatch(2);
		Disruptor<Event> toPong = new Disruptor<>(Event::new, size, threads(1, ready),
		    ProducerType.SINGLE, strategy());
		Disruptor<Event> toPing = new Disruptor<>(Event::new, size, threads(0, ready),
		    ProducerType.SINGLE, strategy());
		toPong.handleEventsWith(ponger);
		toPing.handleEventsWith(pinger);
		pinger.out = toPong.start();
		ponger.out = toPing.start();
		ready.await();
		if (report)
			jvmMark();
		pinger.ping();
		pinger.done.await();
		String jvm = report ? jvmSince() : "";
		toPong.halt();
		toPing.halt();
		runq = worst(pinger.span, ponger.span);
		if (!report)
			return null;
		return "pingpong disruptor" + summary(samples, (int)count, 0.5, opt.get("dump"))
		    + jvm + String.format(" c2c=%.1f", c2c);
	}

	// ---- throughput, 1 -> k ----

	static final class Checker implements EventHandler<Event> {
		long expected = 1, errors, last, end;
		CountDownLatch done;
		final Span span = new Span();

		public void onEvent(Event e, long seq, boolean endOfBatch) {
			long v = e.value;
			if (v == 1)
				span.start();
			if (v != expected) {
				errors++;
				if (v > expected)
					expected = v;
			}
			expected++;
			if (v == last) {
				end = System.nanoTime();
				span.stop();
				done.countDown();
			}
		}
	}

	static String throughput(boolean report) throws Exception {
		long count = num("n", 20_000_000L);
		if (!report)
			count = Math.min(count, num("jitn", 5_000_000L));
		int size = (int)num("s", 4096), k = (int)num("k", 1);
		boolean tryClaim = str("claim", "try").equals("try");
		double c2c = report ? probe() : -1;
		CountDownLatch done = new CountDownLatch(k);
		Checker[] c = new Checker[k];
		for (int j = 0; j < k; j++) {
			c[j] = new Checker();
			c[j].last = count;
			c[j].done = done;
		}
		// More threads than the two CPUs: none pinned.
		boolean pinning = cpus != null && k == 1;
		CountDownLatch ready = new CountDownLatch(k);
		Disruptor<Event> d = new Disruptor<>(Event::new, size,
		    threads(pinning ? 1 : -1, ready), ProducerType.SINGLE, strategy());
		d.handleEventsWith(c);
		RingBuffer<Event> ring = d.start();
		ready.await();
		final long n = count;
		long[] t0 = new long[1];
		Span ps = new Span();
		Thread producer = new Thread(() -> {
			if (pinning)
				pin(0);
			if (report)
				jvmMark();
			ps.start();
			t0[0] = System.nanoTime();
			for (long i = 1; i <= n; i++) {
				long seq;
				if (tryClaim) {
					int spins = 100;
					for (;;) {
						try {
							seq = ring.tryNext();
							break;
						} catch (InsufficientCapacityException e) {
							spins = relax(spins);
						}
					}
				} else {
					seq = ring.next();
				}
				ring.get(seq).value = i;
				ring.publish(seq);
			}
			ps.stop();
		});
		producer.start();
		producer.join();
		done.await();
		String jvm = report ? jvmSince() : "";
		d.halt();
		long end = 0, errors = 0;
		runq = ps.runq;
		for (Checker x : c) {
			end = Math.max(end, x.end);
			errors += x.errors;
			runq = runq < 0 || x.span.runq < 0 ? -1 : Math.max(runq, x.span.runq);
		}
		if (!report)
			return null;
		return String.format("throughput disruptor %.2f %d", count * 1e3 / (end - t0[0]), errors)
		    + jvm + String.format(" c2c=%.1f", c2c);
	}

	// The cost of the clock itself: consecutive System.nanoTime() reads.
	static String clock() {
		int n = 1_000_000;
		long[] d = new long[n];
		for (int r = 0; r < 3; r++) // the first passes warm the JIT
			for (int k = 0; k < n; k++) {
				long a = System.nanoTime();
				d[k] = System.nanoTime() - a;
			}
		Arrays.sort(d);
		return String.format("clock nanotime %d %d", rank(d, n, 0.5), rank(d, n, 0.99));
	}

	public static void main(String[] args) throws Exception {
		if (args.length < 1) {
			System.err.println("usage: Harness oneway|pingpong|throughput [key=value ...]");
			System.exit(2);
		}
		opt.put("mode", args[0]);
		for (int a = 1; a < args.length; a++) {
			int eq = args[a].indexOf('=');
			if (eq <= 0) {
				System.err.println("Harness: key=value expected: " + args[a]);
				System.exit(2);
			}
			opt.put(args[a].substring(0, eq), args[a].substring(eq + 1));
		}
		String c = str("cpus", "");
		if (!c.isEmpty()) {
			String[] p = c.split(",");
			cpus = new int[] { Integer.parseInt(p[0]), Integer.parseInt(p[1]) };
		}
		yieldWait = str("wait", "busy").equals("yield");
		if (args[0].equals("clock")) {
			System.out.println(clock());
			return;
		}
		int jit = (int)num("jit", 5), runs = (int)num("runs", 1);
		int retries = (int)num("retries", 3), redo = 0;
		// Pinned runs are redone, like bench_oneway's, when a measuring
		// thread spent more than 1% of the run preempted; the oversubscribed
		// ones are preempted by design.
		boolean retry = cpus != null && num("k", 1) == 1;
		long[] samples = args[0].equals("throughput") ? null
		    : new long[(int)num("n", 100_000)];
		for (int r = -jit; r < runs; r++) {
			boolean report = r >= 0;
			String line;
			switch (args[0]) {
			case "oneway":
				line = oneway(samples, report);
				break;
			case "pingpong":
				line = pingpong(samples, report);
				break;
			case "throughput":
				line = throughput(report);
				break;
			default:
				System.err.println("Harness: unknown mode " + args[0]);
				System.exit(2);
				return;
			}
			if (line == null)
				continue;
			if (retry && runq > 0.01 && redo < retries) {
				redo++;
				r--;
				continue;
			}
			System.out.printf("%s runq=%.2f redo=%d%n", line, 100 * runq, redo);
			redo = 0;
		}
	}
}
