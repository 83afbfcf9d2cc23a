// SPDX-License-Identifier: MIT
//
// The C++ peers as transports: boost::lockfree::spsc_queue, moodycamel
// ReaderWriterQueue (SPSC) and moodycamel ConcurrentQueue (MPMC, used with
// one producer token and one consumer token). All work queues: each message
// goes to one consumer. Each is sized so that it never allocates after
// creation (try_enqueue fails instead), which makes it bounded and lossless
// like the others.

#include <cstdint>
#include <new>

#include "xt.h"

#ifdef XT_HAVE_BOOST
#include <boost/lockfree/spsc_queue.hpp>
#endif
#ifdef XT_HAVE_RWQUEUE
#include <readerwriterqueue/readerwriterqueue.h>
#endif
#ifdef XT_HAVE_CQUEUE
#include <concurrentqueue/concurrentqueue.h>
#endif

namespace
{

template <typename T> void *lane_new(size_t capacity)
{
	try {
		return new T(capacity);
	} catch (...) {
		return nullptr;
	}
}

template <typename T> void lane_delete(void *p)
{
	delete static_cast<T *>(p);
}

#ifdef XT_HAVE_BOOST
// Run-time capacity: the form a user picks when the size is configured.
using boost_q = boost::lockfree::spsc_queue<uint64_t>;

void *boost_create(size_t capacity, int)
{
	return lane_new<boost_q>(capacity);
}

inline int boost_try_send(void *p, uint64_t v)
{
	return static_cast<boost_q *>(p)->push(v);
}

inline int boost_try_recv(void *p, uint64_t *v)
{
	return static_cast<boost_q *>(p)->pop(*v);
}

#define XT_P boost
#include "xt_loops.h"
#endif

#ifdef XT_HAVE_RWQUEUE
using rw_q = moodycamel::ReaderWriterQueue<uint64_t>;

void *rw_create(size_t capacity, int)
{
	return lane_new<rw_q>(capacity);
}

// try_enqueue never allocates: a full queue says no.
inline int rw_try_send(void *p, uint64_t v)
{
	return static_cast<rw_q *>(p)->try_enqueue(v);
}

inline int rw_try_recv(void *p, uint64_t *v)
{
	return static_cast<rw_q *>(p)->try_dequeue(*v);
}

#define XT_P rw
#include "xt_loops.h"
#endif

#ifdef XT_HAVE_CQUEUE
// One explicit producer with its blocks preallocated; tokens are the fast
// path of both ends.
struct cq_lane {
	moodycamel::ConcurrentQueue<uint64_t> q;
	moodycamel::ProducerToken ptok;
	moodycamel::ConsumerToken ctok;

	explicit cq_lane(size_t capacity) : q(capacity, 1, 0), ptok(q), ctok(q)
	{
	}
};

void *cq_create(size_t capacity, int)
{
	return lane_new<cq_lane>(capacity);
}

inline int cq_try_send(void *p, uint64_t v)
{
	cq_lane *l = static_cast<cq_lane *>(p);

	return l->q.try_enqueue(l->ptok, v);
}

inline int cq_try_recv(void *p, uint64_t *v)
{
	cq_lane *l = static_cast<cq_lane *>(p);

	return l->q.try_dequeue(l->ctok, *v);
}

#define XT_P cq
#include "xt_loops.h"
#endif

} // namespace

#ifdef XT_HAVE_BOOST
extern "C" const xt_transport xt_boost_spsc = {
	"boost-spsc",
	"boost::lockfree::spsc_queue (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	boost_create,
	lane_delete<boost_q>,
	XT_LOOPS(boost)
};
#endif

#ifdef XT_HAVE_RWQUEUE
extern "C" const xt_transport xt_rwqueue = {
	"rwqueue",
	"moodycamel::ReaderWriterQueue SPSC (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	rw_create,
	lane_delete<rw_q>,
	XT_LOOPS(rw)
};
#endif

#ifdef XT_HAVE_CQUEUE
extern "C" const xt_transport xt_cqueue = {
	"cqueue",
	"moodycamel::ConcurrentQueue MPMC, tokens (work queue)",
	XT_ONEWAY | XT_PINGPONG | XT_THROUGHPUT,
	cq_create,
	lane_delete<cq_lane>,
	XT_LOOPS(cq)
};
#endif
