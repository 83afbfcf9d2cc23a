// SPDX-License-Identifier: MIT
//
// Single-thread costs of the C API, driven from C++ (SPEC 7): publish with
// one idle subscriber, publish then try_recv on the same thread, an empty
// poll, latest, fan-out to 1/2/5/10 independent subscribers against a group
// of 1/2/5/10, publish_batch of 64 then a drain, a 24-byte struct, payload
// sizes 8 B .. 4 KiB, and MPMC against SPMC when the build has MPMC.
//
// Each operation is measured twice: through the exported functions (the
// stable ABI: one call, payload size read from the handle) and through the
// typed inline wrappers of PHOTON_DEFINE_TYPED (payload size a constant,
// inlined into the loop). The difference is what a user pays for ABI
// stability.
//
// The peers (BM_peer_*) run the same single-thread round trip and empty
// poll through the adapters of the cross-thread programs (xt_*.c), each
// loop compiled with the queue's operations inlined, 1000 operations per
// call: ck_ring, rte_ring, boost, moodycamel, and libphotonring's typed
// wrappers in the same form, plus the bare seqlock protocol and a plain
// store/load as baselines.
//
// Everything stays on one thread and in cache: these are the floors of the
// hot paths, not cross-core latencies (bench_oneway and friends measure
// those).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <photon/photon.h>

#include "xt.h"

namespace
{

PHOTON_DEFINE_TYPED(u64, uint64_t);

struct tick {
	uint64_t seq;
	double price;
	uint32_t qty;
	uint32_t instrument;
};
static_assert(sizeof(tick) == 24, "the 24-byte payload");

PHOTON_DEFINE_TYPED(tick, tick);

constexpr size_t capacity = 4096;

// A lossy channel with its publisher and `nsubs` subscribers (or one group
// of `group` members); subscribers stay idle unless the benchmark reads.
struct ring {
	photon_channel *ch = nullptr;
	photon_publisher *pub = nullptr;
	std::vector<photon_subscriber *> subs;
	photon_group *group = nullptr;
	photon_subscriber *sub = nullptr; // subs[0]
	bool good = false;

	ring(benchmark::State &state, size_t msg_size, size_t nsubs = 1,
	     size_t group_n = 0, bool mpmc = false, size_t cap = capacity)
	{
		int rc = mpmc ? photon_channel_create_mpmc(&ch, cap, msg_size)
			      : photon_channel_create(&ch, cap, msg_size);

		if (rc == PHOTON_OK)
			rc = photon_publisher_open(ch, &pub);
		for (size_t i = 0; rc == PHOTON_OK && i < nsubs; i++) {
			photon_subscriber *s = nullptr;
			rc = photon_subscribe(ch, &s);
			if (rc == PHOTON_OK)
				subs.push_back(s);
		}
		if (rc == PHOTON_OK && group_n)
			rc = photon_group_subscribe(ch, group_n, &group);
		if (rc != PHOTON_OK) {
			state.SkipWithError(photon_strerror(rc));
			return;
		}
		sub = subs.empty() ? nullptr : subs[0];
		good = true;
	}
	~ring()
	{
		photon_group_close(group);
		for (photon_subscriber *s : subs)
			photon_subscriber_close(s);
		photon_publisher_close(pub);
		photon_channel_release(ch);
	}
	ring(const ring &) = delete;
	ring &operator=(const ring &) = delete;
	bool ok() const
	{
		return good;
	}
};

void fail(benchmark::State &state, const char *what, int rc)
{
	std::string msg = std::string(what) + ": " + photon_strerror(rc);
	state.SkipWithError(msg.c_str());
}

// ---- publish, round trip, empty poll ----

// Publish with one idle subscriber attached: the lossy publisher never
// looks at its readers, so this is the cost of a slot write.
void BM_publish(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish);

void BM_publish_typed(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish_typed);

// Publish then read it back on the same thread: the round trip through
// one slot with the line already in L1.
void BM_publish_try_recv(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		int rc = photon_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish_try_recv);

void BM_publish_try_recv_typed(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		int rc = u64_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish_try_recv_typed);

// A poll that finds nothing: what an idle consumer pays per spin.
void BM_empty_poll(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		int rc = photon_try_recv(r.sub, &out);
		benchmark::DoNotOptimize(rc);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_empty_poll);

void BM_empty_poll_typed(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		int rc = u64_try_recv(r.sub, &out);
		benchmark::DoNotOptimize(rc);
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_empty_poll_typed);

// latest() after one publish: the cursor load, the slot read and the jump
// bookkeeping (out of line in both forms; the typed one adds the size
// check and the copy through a local).
void BM_publish_latest(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		int rc = photon_latest(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "latest", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish_latest);

void BM_publish_latest_typed(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		int rc = u64_latest(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "latest", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_publish_latest_typed);

// ---- fan-out: n independent subscribers against a group of n ----

// One publish, then every one of n subscribers reads it: the time is per
// published message, so the slope in n is the cost of one more reader.
void BM_fanout_subs(benchmark::State &state)
{
	size_t n = (size_t)state.range(0);
	ring r(state, sizeof(uint64_t), n);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		for (photon_subscriber *s : r.subs) {
			int rc = photon_try_recv(s, &out);
			if (PHOTON__UNLIKELY(rc != PHOTON_OK)) {
				fail(state, "try_recv", rc);
				return;
			}
			benchmark::DoNotOptimize(out);
		}
		v++;
	}
	state.SetItemsProcessed(state.iterations() * (int64_t)n);
}
BENCHMARK(BM_fanout_subs)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

void BM_fanout_subs_typed(benchmark::State &state)
{
	size_t n = (size_t)state.range(0);
	ring r(state, sizeof(uint64_t), n);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		for (photon_subscriber *s : r.subs) {
			int rc = u64_try_recv(s, &out);
			if (PHOTON__UNLIKELY(rc != PHOTON_OK)) {
				fail(state, "try_recv", rc);
				return;
			}
			benchmark::DoNotOptimize(out);
		}
		v++;
	}
	state.SetItemsProcessed(state.iterations() * (int64_t)n);
}
BENCHMARK(BM_fanout_subs_typed)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

// A group of n: one read delivers to all n logical consumers, so the cost
// per message must not depend on n. Through the exported read, and the
// typed inline one (prefix_group_try_recv).
void BM_fanout_group(benchmark::State &state)
{
	size_t n = (size_t)state.range(0);
	ring r(state, sizeof(uint64_t), 0, n);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		int rc = photon_group_try_recv(r.group, &out);
		if (rc != PHOTON_OK) {
			fail(state, "group_try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations() * (int64_t)n);
}
BENCHMARK(BM_fanout_group)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

void BM_fanout_group_typed(benchmark::State &state)
{
	size_t n = (size_t)state.range(0);
	ring r(state, sizeof(uint64_t), 0, n);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		int rc = u64_group_try_recv(r.group, &out);
		if (rc != PHOTON_OK) {
			fail(state, "group_try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations() * (int64_t)n);
}
BENCHMARK(BM_fanout_group_typed)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

// ---- batches ----

// publish_batch of 64 (exported, one call) then 64 reads; per message.
void BM_batch64(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t msgs[64], out = 0, v = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		for (int i = 0; i < 64; i++)
			msgs[i] = v++;
		photon_publish_batch(r.pub, msgs, 64);
		for (int i = 0; i < 64; i++) {
			int rc = u64_try_recv(r.sub, &out);
			if (PHOTON__UNLIKELY(rc != PHOTON_OK)) {
				fail(state, "try_recv", rc);
				return;
			}
			benchmark::DoNotOptimize(out);
		}
	}
	state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_batch64);

// The same 64 messages through 64 typed publishes: what the batch call
// saves or costs against the inline path.
void BM_batch64_typed_loop(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t));
	uint64_t msgs[64], out = 0, v = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		for (int i = 0; i < 64; i++)
			msgs[i] = v++;
		for (int i = 0; i < 64; i++)
			u64_publish(r.pub, &msgs[i]);
		for (int i = 0; i < 64; i++) {
			int rc = u64_try_recv(r.sub, &out);
			if (PHOTON__UNLIKELY(rc != PHOTON_OK)) {
				fail(state, "try_recv", rc);
				return;
			}
			benchmark::DoNotOptimize(out);
		}
	}
	state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_batch64_typed_loop);

// ---- payloads ----

// The 24-byte struct of upstream's benchmark table: three payload words.
void BM_publish_try_recv_24B(benchmark::State &state)
{
	ring r(state, sizeof(tick));
	tick t = { 0, 101.25, 100, 7 }, out = {};

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &t);
		int rc = photon_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		t.seq++;
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * (int64_t)sizeof(tick));
}
BENCHMARK(BM_publish_try_recv_24B);

void BM_publish_try_recv_24B_typed(benchmark::State &state)
{
	ring r(state, sizeof(tick));
	tick t = { 0, 101.25, 100, 7 }, out = {};

	if (!r.ok())
		return;
	for (auto _ : state) {
		tick_publish(r.pub, &t);
		int rc = tick_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		t.seq++;
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * (int64_t)sizeof(tick));
}
BENCHMARK(BM_publish_try_recv_24B_typed);

// Payload scaling: publish + try_recv of N bytes, N = 8 .. 4096. The ring
// shrinks for large payloads so that it stays within 256 KiB (L2): the
// benchmark measures the copy, not the memory bandwidth of a 17 MB ring.
size_t l2_capacity(size_t n)
{
	size_t stride = PHOTON_SLOT_STRIDE(n), c = capacity;

	while (c > 2 && c * stride > 256 * 1024)
		c /= 2;
	return c;
}

template <size_t N> struct blob {
	uint64_t w[N / 8];
};

template <size_t N> struct typed_ops;

#define BLOB_OPS(N)                                                       \
	PHOTON_DEFINE_TYPED(b##N, blob<N>);                               \
	template <> struct typed_ops<N> {                                 \
		static int publish(photon_publisher *p, const blob<N> *m) \
		{                                                         \
			return b##N##_publish(p, m);                      \
		}                                                         \
		static int try_recv(photon_subscriber *s, blob<N> *m)     \
		{                                                         \
			return b##N##_try_recv(s, m);                     \
		}                                                         \
	}

BLOB_OPS(8);
BLOB_OPS(16);
BLOB_OPS(24);
BLOB_OPS(32);
BLOB_OPS(64);
BLOB_OPS(128);
BLOB_OPS(256);
BLOB_OPS(512);
BLOB_OPS(1024);
BLOB_OPS(2048);
BLOB_OPS(4096);

template <size_t N> void BM_payload_typed(benchmark::State &state)
{
	ring r(state, N, 1, 0, false, l2_capacity(N));
	static blob<N> in, out;

	if (!r.ok())
		return;
	for (auto _ : state) {
		typed_ops<N>::publish(r.pub, &in);
		int rc = typed_ops<N>::try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		in.w[0]++;
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * (int64_t)N);
}
BENCHMARK_TEMPLATE(BM_payload_typed, 8);
BENCHMARK_TEMPLATE(BM_payload_typed, 16);
BENCHMARK_TEMPLATE(BM_payload_typed, 24);
BENCHMARK_TEMPLATE(BM_payload_typed, 32);
BENCHMARK_TEMPLATE(BM_payload_typed, 64);
BENCHMARK_TEMPLATE(BM_payload_typed, 128);
BENCHMARK_TEMPLATE(BM_payload_typed, 256);
BENCHMARK_TEMPLATE(BM_payload_typed, 512);
BENCHMARK_TEMPLATE(BM_payload_typed, 1024);
BENCHMARK_TEMPLATE(BM_payload_typed, 2048);
BENCHMARK_TEMPLATE(BM_payload_typed, 4096);

void BM_payload_abi(benchmark::State &state)
{
	size_t n = (size_t)state.range(0);
	ring r(state, n, 1, 0, false, l2_capacity(n));
	std::vector<uint64_t> in(n / 8 + 1), out(n / 8 + 1);

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, in.data());
		int rc = photon_try_recv(r.sub, out.data());
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out.data());
		benchmark::ClobberMemory();
		in[0]++;
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * (int64_t)n);
}
BENCHMARK(BM_payload_abi)->RangeMultiplier(2)->Range(8, 4096)->Arg(24);

// ---- MPMC against SPMC (registered when the build has MPMC) ----

void BM_mpmc_publish_try_recv(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t), 1, 0, true);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &v);
		int rc = photon_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}

void BM_mpmc_publish_try_recv_typed(benchmark::State &state)
{
	ring r(state, sizeof(uint64_t), 1, 0, true);
	uint64_t v = 0, out = 0;

	if (!r.ok())
		return;
	for (auto _ : state) {
		u64_publish(r.pub, &v);
		int rc = u64_try_recv(r.sub, &out);
		if (rc != PHOTON_OK) {
			fail(state, "try_recv", rc);
			break;
		}
		benchmark::DoNotOptimize(out);
		v++;
	}
	state.SetItemsProcessed(state.iterations());
}

bool mpmc_available()
{
	photon_channel *ch = nullptr;
	int rc = photon_channel_create_mpmc(&ch, capacity, sizeof(uint64_t));

	photon_channel_release(ch);
	return rc == PHOTON_OK;
}

// ---- the peers, same loops, 1000 operations per call ----

constexpr benchmark::IterationCount batch = 1000;

void BM_peer_roundtrip(benchmark::State &state, const xt_transport *t)
{
	void *lane = t->create(capacity, 0);
	uint64_t fails = 0, sum = 0;

	if (!lane) {
		state.SkipWithError("could not create the queue");
		return;
	}
	while (state.KeepRunningBatch(batch))
		sum += t->st_roundtrip(lane, (uint64_t)batch, &fails);
	benchmark::DoNotOptimize(sum);
	if (fails)
		state.SkipWithError("a send or a receive failed");
	state.SetItemsProcessed(state.iterations());
	t->destroy(lane);
}

void BM_peer_empty_poll(benchmark::State &state, const xt_transport *t)
{
	void *lane = t->create(capacity, 0);
	uint64_t got = 0;

	if (!lane) {
		state.SkipWithError("could not create the queue");
		return;
	}
	while (state.KeepRunningBatch(batch))
		got += t->st_empty(lane, (uint64_t)batch);
	if (got)
		state.SkipWithError("an empty queue delivered");
	state.SetItemsProcessed(state.iterations());
	t->destroy(lane);
}

// Publish alone into a lossy ring nobody reads: libphotonring against the
// bare seqlock ring (issue 11's publish target).
void BM_peer_publish(benchmark::State &state, const xt_transport *t)
{
	void *lane = t->create(capacity, 0);
	uint64_t sent = 0;

	if (!lane) {
		state.SkipWithError("could not create the queue");
		return;
	}
	while (state.KeepRunningBatch(batch))
		sent += t->st_publish(lane, (uint64_t)batch);
	if (sent != (uint64_t)state.iterations())
		state.SkipWithError("a lossy send failed");
	state.SetItemsProcessed(state.iterations());
	t->destroy(lane);
}

} // namespace

int main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	if (mpmc_available()) {
		benchmark::RegisterBenchmark("BM_mpmc_publish_try_recv",
					     BM_mpmc_publish_try_recv);
		benchmark::RegisterBenchmark("BM_mpmc_publish_try_recv_typed",
					     BM_mpmc_publish_try_recv_typed);
	} else {
		std::fprintf(stderr, "bench_core: MPMC channels not available "
				     "in this build: BM_mpmc_* skipped\n");
	}
	for (int i = 0; xt_transports[i]; i++) {
		const xt_transport *t = xt_transports[i];
		// The exported-function twin adds nothing to the comparison;
		// experiments run only when asked for (bench_oneway -t).
		if (std::string(t->name) == "photon-abi" ||
		    (t->caps & XT_EXPERIMENT))
			continue;
		benchmark::RegisterBenchmark(
		    ("BM_peer_roundtrip/" + std::string(t->name)).c_str(),
		    BM_peer_roundtrip, t);
		benchmark::RegisterBenchmark(
		    ("BM_peer_empty_poll/" + std::string(t->name)).c_str(),
		    BM_peer_empty_poll, t);
		if (t->caps & XT_LOSSY)
			benchmark::RegisterBenchmark(
			    ("BM_peer_publish/" + std::string(t->name)).c_str(),
			    BM_peer_publish, t);
	}
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
