// SPDX-License-Identifier: MIT
// LMAX Disruptor 3.4 (Debian libdisruptor-java) in bench_throughput's
// workload: one producer, one consumer, 8-byte messages 1, 2, 3 ... through
// a ring of 4096, busy-spin waits on both sides, the consumer checks that
// every message is the next. Prints one line per run:
//   disruptor <Mmsg/s> <errors>
// Usage: java -cp disruptor.jar:. Throughput [messages] [runs] [capacity]
// A first run of messages/5 warms the JIT and is not printed; a fresh JVM
// per round (bench/disruptor.sh) keeps one round's threads out of the next.
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;
import com.lmax.disruptor.util.DaemonThreadFactory;
import java.util.concurrent.CountDownLatch;

public final class Throughput {
	static final class Slot {
		long value;
	}

	static final class Checker implements EventHandler<Slot> {
		long expected = 1, errors = 0, last;
		CountDownLatch done;

		public void onEvent(Slot s, long seq, boolean endOfBatch) {
			if (s.value != expected)
				errors++;
			expected = s.value + 1;
			if (s.value == last)
				done.countDown();
		}
	}

	public static void main(String[] args) throws Exception {
		long n = args.length > 0 ? Long.parseLong(args[0]) : 100_000_000L;
		int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
		int capacity = args.length > 2 ? Integer.parseInt(args[2]) : 4096;

		for (int r = -1; r < runs; r++) {
			long count = r < 0 ? n / 5 : n;
			Disruptor<Slot> d = new Disruptor<>(Slot::new, capacity,
			    DaemonThreadFactory.INSTANCE, ProducerType.SINGLE,
			    new BusySpinWaitStrategy());
			Checker c = new Checker();
			c.last = count;
			c.done = new CountDownLatch(1);
			d.handleEventsWith(c);
			RingBuffer<Slot> ring = d.start();
			long t0 = System.nanoTime();
			for (long i = 1; i <= count; i++) {
				long seq = ring.next();
				ring.get(seq).value = i;
				ring.publish(seq);
			}
			c.done.await();
			long t1 = System.nanoTime();
			d.shutdown();
			if (r >= 0)
				System.out.printf("disruptor %.1f %d%n",
				    count * 1e3 / (t1 - t0), c.errors);
		}
	}
}
