// SPDX-License-Identifier: MIT
//
// Single-thread costs of the C API, driven from C++: publish, publish then
// try_recv on the same thread, an empty poll, and a 24-byte struct. Each
// operation is measured twice: through the exported functions (the stable
// ABI: one call, payload size read from the handle) and through the typed
// inline wrappers of PHOTON_DEFINE_TYPED (payload size a constant, the copy
// unrolled into the loop).
//
// Everything stays on one thread and in cache: these are the floors of the
// hot paths, not cross-core latencies (see the pinned programs for those).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <photon/photon.h>

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

// A lossy channel with its publisher and one subscriber; the subscriber
// stays idle unless the benchmark reads with it.
struct ring {
	photon_channel *ch = nullptr;
	photon_publisher *pub = nullptr;
	photon_subscriber *sub = nullptr;

	ring(benchmark::State &state, size_t msg_size)
	{
		int rc = photon_channel_create(&ch, capacity, msg_size);

		if (rc == PHOTON_OK)
			rc = photon_publisher_open(ch, &pub);
		if (rc == PHOTON_OK)
			rc = photon_subscribe(ch, &sub);
		if (rc != PHOTON_OK)
			state.SkipWithError(photon_strerror(rc));
	}
	~ring()
	{
		photon_subscriber_close(sub);
		photon_publisher_close(pub);
		photon_channel_release(ch);
	}
	ring(const ring &) = delete;
	ring &operator=(const ring &) = delete;
	bool ok() const
	{
		return sub != nullptr;
	}
};

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
		if (photon_try_recv(r.sub, &out) != PHOTON_OK) {
			state.SkipWithError("try_recv did not return OK");
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
		if (u64_try_recv(r.sub, &out) != PHOTON_OK) {
			state.SkipWithError("try_recv did not return OK");
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

// The 24-byte struct of upstream's benchmark table: three payload words.
void BM_publish_try_recv_24B(benchmark::State &state)
{
	ring r(state, sizeof(tick));
	tick t = { 0, 101.25, 100, 7 }, out = {};

	if (!r.ok())
		return;
	for (auto _ : state) {
		photon_publish(r.pub, &t);
		if (photon_try_recv(r.sub, &out) != PHOTON_OK) {
			state.SkipWithError("try_recv did not return OK");
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
		if (tick_try_recv(r.sub, &out) != PHOTON_OK) {
			state.SkipWithError("try_recv did not return OK");
			break;
		}
		benchmark::DoNotOptimize(out);
		t.seq++;
	}
	state.SetItemsProcessed(state.iterations());
	state.SetBytesProcessed(state.iterations() * (int64_t)sizeof(tick));
}
BENCHMARK(BM_publish_try_recv_24B_typed);

} // namespace

BENCHMARK_MAIN();
