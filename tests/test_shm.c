/* SPDX-License-Identifier: MIT */
/*
 * Shared channels across processes: fork (and, for one consumer, exec), the
 * crash semantics (a publisher killed with SIGKILL, killed in the middle of
 * a write, a bounded consumer killed), permissions, names, version
 * mismatch and a fuzz of the segment header. Processes synchronise through
 * pipes, never through sleeps; a killed process is left unreaped (a zombie)
 * while the survivors must see it dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "mem_util.h"

#include "shm.h"
#include "testing.h"

static char self_exe[4096];

static void name_of(char *buf, size_t n, const char *tag)
{
	snprintf(buf, n, "photon-test-%ld-%s", (long)getpid(), tag);
	photon_shm_unlink(buf); /* left over by a crashed run */
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", photon__shm_dir(0), name);
}

static void put(int fd, char c)
{
	assert_int_equal(write(fd, &c, 1), 1);
}

static char get(int fd)
{
	char c = 0;

	assert_int_equal(read(fd, &c, 1), 1);
	return c;
}

/* The child's exit status; 0 means it checked everything it was asked. */
static int reap(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static struct photon_channel *create(const char *name, size_t cap,
				     unsigned flags)
{
	struct photon_channel *ch = NULL;
	struct photon_opts o = { .capacity = cap,
				 .msg_size = 8,
				 .flags = flags };

	assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_OK);
	assert_non_null(ch);
	return ch;
}

/* ---- children: return their exit status ---- */

/* Opens name, subscribes (a group of 2 when group), says ready on `ready`,
 * then reads n messages 0..n-1 in order and expects CLOSED. */
static int consume(const char *name, uint64_t n, int ready, int group)
{
	struct photon_channel *ch;
	struct photon_subscriber *s = NULL;
	struct photon_group *g = NULL;
	uint64_t i, v;
	int rc;
	char c = 'r';

	if (photon_shm_open(&ch, name) != PHOTON_OK)
		return 10;
	rc = group ? photon_group_subscribe(ch, 2, &g)
		   : photon_subscribe(ch, &s);
	if (rc != PHOTON_OK)
		return 11;
	if (write(ready, &c, 1) != 1)
		return 12;
	for (i = 0; i < n; i++) {
		rc = group ? photon_group_recv(g, &v) : photon_recv(s, &v);
		if (rc != PHOTON_OK || v != i)
			return 13;
	}
	rc = group ? photon_group_recv(g, &v) : photon_recv(s, &v);
	if (rc != PHOTON_CLOSED || photon_channel_abandoned(ch))
		return 14;
	if ((group ? photon_group_lagged(g) : photon_subscriber_lagged(s)))
		return 15;
	photon_subscriber_close(s);
	photon_group_close(g);
	photon_channel_release(ch);
	return 0;
}

/* ---- names, modes, create/open/unlink ---- */

static void test_create_open_unlink(void **state)
{
	char name[128], path[4200];
	struct photon_channel *a, *b = (void *)1, *c;
	struct photon_opts o = { .capacity = 16,
				 .msg_size = 24,
				 .watermark = 2,
				 .flags = PHOTON_BOUNDED };
	struct stat st;
	mode_t old;

	(void)state;
	name_of(name, sizeof(name), "basic");
	path_of(path, sizeof(path), name);
	old = umask(077);
	assert_rc(photon_shm_create(&a, name, &o, 0640), PHOTON_OK);
	umask(old);
	/* The mode asked for, whatever the umask. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_rc(photon_shm_create(&b, name, &o, 0), PHOTON_EEXIST);
	assert_null(b);
	assert_rc(photon_shm_open(&c, name), PHOTON_OK);
	assert_int_equal(photon_channel_capacity(c), 16);
	assert_int_equal(photon_channel_msg_size(c), 24);
	assert_int_equal(photon_channel_watermark(c), 2);
	assert_int_equal(photon_channel_flags(c), PHOTON_BOUNDED);
	assert_int_equal(photon_channel_abandoned(c), 0);
	/* Release unmaps; the name stays. */
	photon_channel_release(a);
	photon_channel_release(c);
	assert_rc(photon_shm_open(&c, name), PHOTON_OK);
	photon_channel_release(c);
	assert_rc(photon_shm_unlink(name), PHOTON_OK);
	assert_rc(photon_shm_unlink(name), PHOTON_ENOENT);
	c = (void *)1;
	assert_rc(photon_shm_open(&c, name), PHOTON_ENOENT);
	assert_null(c);

	/* Mode 0 means owner only. */
	a = create(name, 8, 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	photon_channel_release(a);
	assert_rc(photon_shm_unlink(name), PHOTON_OK);
}

static void test_bad_input(void **state)
{
	char big[256], path[4200], name[128];
	struct photon_channel *ch = (void *)1;
	struct photon_opts o = { .capacity = 8, .msg_size = 8 };

	(void)state;
	memset(big, 'a', sizeof(big));
	big[201] = '\0';
	assert_rc(photon_shm_create(&ch, NULL, &o, 0), PHOTON_EINVAL);
	assert_null(ch);
	assert_rc(photon_shm_create(NULL, "x", &o, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, "x", NULL, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, "", &o, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, "a/b", &o, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, "..", &o, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, big, &o, 0), PHOTON_EINVAL);
	assert_rc(photon_shm_open(&ch, big), PHOTON_EINVAL);
	assert_rc(photon_shm_open(NULL, "x"), PHOTON_EINVAL);
	assert_rc(photon_shm_unlink("a/b"), PHOTON_EINVAL);
	assert_rc(photon_shm_create(&ch, "x", &o, 010000), PHOTON_EINVAL);
	o.capacity = 1;
	assert_rc(photon_shm_create(&ch, "x", &o, 0), PHOTON_EINVAL);
	o.capacity = 8;
	o.max_consumers = 5000;
	assert_rc(photon_shm_create(&ch, "x", &o, 0), PHOTON_EINVAL);
	o.max_consumers = 4;
	/* In-process channels track any number. */
	assert_rc(photon_channel_create_opts(&ch, &o), PHOTON_EINVAL);
	assert_null(ch);

	/* A name's control bytes are escaped in the detail (no forged log
	 * line). */
	assert_rc(photon_shm_open(&ch, "no\nsuch\x1b"), PHOTON_ENOENT);
	assert_null(strchr(photon_last_error_message(), '\n'));
	assert_null(strchr(photon_last_error_message(), '\x1b'));
	assert_non_null(
	    strstr(photon_last_error_message(), "no\\x0asuch\\x1b"));

	/* 200 bytes is the longest name. */
	big[200] = '\0';
	assert_rc(photon_shm_create(&ch, big, &o, 0), PHOTON_OK);
	photon_channel_release(ch);
	assert_rc(photon_shm_unlink(big), PHOTON_OK);

	/* A symbolic link in place of a segment is refused (O_NOFOLLOW). */
	name_of(name, sizeof(name), "link");
	path_of(path, sizeof(path), name);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_rc(photon_shm_open(&ch, name), PHOTON_EPERM);
	assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_EEXIST);
	assert_int_equal(unlink(path), 0);
}

static void test_tracker_table(void **state)
{
	char name[128];
	struct photon_channel *ch = NULL;
	struct photon_subscriber *s[3];
	struct photon_opts o = { .capacity = 8,
				 .msg_size = 8,
				 .flags = PHOTON_BOUNDED,
				 .max_consumers = 2 };

	(void)state;
	name_of(name, sizeof(name), "table");
	assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s[0]), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s[1]), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s[2]), PHOTON_EBUSY);
	/* A closed consumer's entry is free again. */
	photon_subscriber_close(s[0]);
	assert_rc(photon_subscribe(ch, &s[2]), PHOTON_OK);
	photon_subscriber_close(s[1]);
	photon_subscriber_close(s[2]);
	photon_channel_release(ch);
	photon_shm_unlink(name);

	/* Lossy shared channels track every consumer too (photon-stat, a
	 * dead consumer's park count). */
	o.flags = 0;
	o.max_consumers = 1;
	assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s[0]), PHOTON_OK);
	assert_rc(photon_subscribe(ch, &s[1]), PHOTON_EBUSY);
	photon_subscriber_close(s[0]);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* mlock, prefault and NUMA apply to a segment's ring as in-process. */
static void test_placement(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_opts o = { .capacity = 4096,
				 .msg_size = 56,
				 .flags = PHOTON_MLOCK | PHOTON_PREFAULT };
	long before = vm_locked_kb();
	int rc;

	(void)state;
	name_of(name, sizeof(name), "placed");
	rc = photon_shm_create(&ch, name, &o, 0);
	if (rc == PHOTON_ENOMEM && before >= 0) {
		printf("skipped: RLIMIT_MEMLOCK too low: %s\n",
		       photon_last_error_message());
		skip();
	}
	assert_rc(rc, PHOTON_OK);
	/* The ring (4096 x 64 bytes) is locked in this process. */
	assert_true(vm_locked_kb() - before >= 4096 * 64 / 1024);
	photon_channel_release(ch);
	photon_shm_unlink(name);
	if (photon_numa_node_count() > 0 && !emulated()) {
		o.flags = PHOTON_NUMA | PHOTON_PREFAULT;
		o.numa_node = 0;
		assert_rc(photon_shm_create(&ch, name, &o, 0), PHOTON_OK);
		assert_int_equal(photon_channel_numa_node(ch), 0);
		photon_channel_release(ch);
		photon_shm_unlink(name);
	}
}

/* ---- delivery across processes ---- */

#define BOUNDED_N 200000u

/* Lossless, bounded, one publisher to three processes: a subscriber, a
 * group, and a subscriber in a program started with exec. */
static void test_bounded_three_processes(void **state)
{
	char name[128], n_arg[32], fd_arg[16];
	struct photon_channel *ch;
	struct photon_publisher *p;
	pid_t pid[3];
	int ready[2], i;
	uint64_t v;

	(void)state;
	name_of(name, sizeof(name), "bounded");
	ch = create(name, 64, PHOTON_BOUNDED);
	assert_int_equal(pipe(ready), 0);
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			close(ready[0]);
			if (i == 2) {
				char *args[24], wbuf[512];
				const char *w = getenv("PHOTON_EXEC_WRAPPER");
				size_t k = 0;
				char *tok, *save = NULL;

				snprintf(n_arg, sizeof(n_arg), "%u", BOUNDED_N);
				snprintf(fd_arg, sizeof(fd_arg), "%d",
					 ready[1]);
				/* Cross builds: through the emulator. */
				if (w && strlen(w) < sizeof(wbuf)) {
					strcpy(wbuf, w);
					for (tok = strtok_r(wbuf, " ", &save);
					     tok && k < 16;
					     tok = strtok_r(NULL, " ", &save))
						args[k++] = tok;
				}
				args[k++] = self_exe;
				args[k++] = "consume";
				args[k++] = name;
				args[k++] = n_arg;
				args[k++] = fd_arg;
				args[k] = NULL;
				execvp(args[0], args);
				_exit(99);
			}
			_exit(consume(name, BOUNDED_N, ready[1], i == 1));
		}
	}
	close(ready[1]);
	for (i = 0; i < 3; i++)
		assert_int_equal(get(ready[0]), 'r');
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < BOUNDED_N; v++)
		assert_rc(photon_publish(p, &v), PHOTON_OK);
	photon_publisher_close(p);
	for (i = 0; i < 3; i++)
		assert_int_equal(reap(pid[i]), 0);
	assert_int_equal(photon_channel_abandoned(ch), 0);
	assert_int_equal(photon_channel_reclaimed(ch), 0);
	close(ready[0]);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* Lossy: a reader overrun across processes accounts for every message. */
static void test_lossy_exact_accounting(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_publisher *p;
	int ready[2], go[2];
	pid_t pid;
	uint64_t v;

	(void)state;
	name_of(name, sizeof(name), "lossy");
	ch = create(name, 16, 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_subscriber *s;
		uint64_t got = 0, x;
		int rc;
		char k = 'r';

		if (photon_shm_open(&c, name) || photon_subscribe(c, &s) ||
		    write(ready[1], &k, 1) != 1 || read(go[0], &k, 1) != 1)
			_exit(10);
		while ((rc = photon_try_recv(s, &x)) != PHOTON_CLOSED) {
			if (rc == PHOTON_OK && x != 984 + got++)
				_exit(11);
			if (rc == PHOTON_LAGGED &&
			    photon_subscriber_last_skipped(s) != 984)
				_exit(12);
			if (rc == PHOTON_EMPTY)
				_exit(13); /* all was published before go */
		}
		_exit(got == 16 && photon_subscriber_lagged(s) == 984 &&
			      photon_subscriber_received(s) == 16
			  ? 0
			  : 14);
	}
	assert_int_equal(get(ready[0]), 'r');
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < 1000; v++)
		assert_rc(photon_publish(p, &v), PHOTON_OK);
	photon_publisher_close(p);
	put(go[1], 'g');
	assert_int_equal(reap(pid), 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* Two producer processes on an MPMC channel; each message exactly once. */
static void test_mpmc_two_processes(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_subscriber *s;
	uint64_t seen[2] = { 0, 0 }, v;
	pid_t pid[2];
	int i, go[2], ready[2];

	(void)state;
	name_of(name, sizeof(name), "mpmc");
	ch = create(name, 32, PHOTON_MPMC | PHOTON_BOUNDED);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct photon_channel *c;
			struct photon_publisher *p;
			uint64_t x;
			char k;

			k = 'r';
			/* Both handles open before either publishes: the
			 * channel closes with its last handle. */
			if (photon_shm_open(&c, name) ||
			    photon_publisher_open(c, &p) ||
			    write(ready[1], &k, 1) != 1 ||
			    read(go[0], &k, 1) != 1)
				_exit(10);
			for (x = 0; x < 50000; x++) {
				uint64_t m = (uint64_t)i << 32 | x;
				if (photon_publish(p, &m) != PHOTON_OK)
					_exit(11);
			}
			photon_publisher_close(p);
			_exit(0);
		}
	}
	assert_int_equal(get(ready[0]), 'r');
	assert_int_equal(get(ready[0]), 'r');
	put(go[1], 'g');
	put(go[1], 'g');
	while (photon_recv(s, &v) == PHOTON_OK) {
		unsigned who = (unsigned)(v >> 32);

		assert_true(who < 2);
		/* Each producer's messages in its order, none twice. */
		assert_int_equal(v & 0xffffffffu, seen[who]);
		seen[who]++;
	}
	assert_int_equal(seen[0], 50000);
	assert_int_equal(seen[1], 50000);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	assert_int_equal(photon_channel_abandoned(ch), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(reap(pid[i]), 0);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	photon_subscriber_close(s);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* ---- crashes ---- */

/* The publisher child: opens, publishes 0..k-1, then waits for a byte on
 * `kill_fd`; with `odd`, leaves sequence k half written first. Then dies
 * with SIGKILL, never closing. */
static pid_t doomed_publisher(const char *name, uint64_t k, int odd,
			      int done_fd, int kill_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_publisher *p;
		uint64_t x;
		char b = 'p';

		if (photon_shm_open(&c, name) || photon_publisher_open(c, &p))
			_exit(10);
		for (x = 0; x < k; x++)
			if (photon_publish(p, &x) != PHOTON_OK)
				_exit(11);
		if (odd) /* W1 of sequence k, and nothing after it */
			PHOTON__STORE(photon__slot_stamp(photon__slot_at(
					  p->slots, &p->index, p->stride, k)),
				      2 * k + 1, PHOTON__RELEASE);
		if (write(done_fd, &b, 1) != 1 || read(kill_fd, &b, 1) != 1)
			_exit(12);
		raise(SIGKILL);
		_exit(13);
	}
	return pid;
}

struct kill_on_wait {
	int kill_fd;
	int done;
};
static struct kill_on_wait kow;

/* Kills the publisher once the reader is waiting (its first wait step). */
static void kill_when_waiting(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point == PHOTON__TP_READER_PAUSE && !kow.done) {
		char b = 'k';

		kow.done = 1;
		assert_int_equal(write(kow.kill_fd, &b, 1), 1);
	}
}

/*
 * A publisher killed while the reader waits, for every wait kind, the
 * timed receive and the exported try_recv: the reader drains, then gets
 * CLOSED, and the channel says abandoned. The dead child stays unreaped
 * (a zombie) until then.
 */
static void test_publisher_killed(void **state)
{
	static const int kinds[] = {
		PHOTON_WAIT_ADAPTIVE,	PHOTON_WAIT_BUSY_SPIN,
		PHOTON_WAIT_YIELD_SPIN, PHOTON_WAIT_BACKOFF_SPIN,
		PHOTON_WAIT_MONITOR,	PHOTON_WAIT_PARK,
		-1 /* timed */,		-2 /* try_recv */
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char name[128];
		struct photon_channel *ch, *again = NULL;
		struct photon_subscriber *s;
		struct photon_publisher *p2;
		struct photon_wait w = { .kind = kinds[k] < 0 ? 0 : kinds[k] };
		int done[2], killp[2], rc;
		uint64_t v, i;
		pid_t pid;

		name_of(name, sizeof(name), "killed");
		ch = create(name, 64, 0);
		assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
		assert_int_equal(pipe(done), 0);
		assert_int_equal(pipe(killp), 0);
		pid = doomed_publisher(name, 10, 0, done[1], killp[0]);
		assert_int_equal(get(done[0]), 'p');
		for (i = 0; i < 10; i++) {
			assert_rc(photon_try_recv(s, &v), PHOTON_OK);
			assert_int_equal(v, i);
		}
		kow.kill_fd = killp[1];
		kow.done = 0;
		__atomic_store_n(&photon__test_hook, kill_when_waiting,
				 __ATOMIC_RELEASE);
		/* The spin kinds have no wait step to hook: the publisher
		 * dies before they start. */
		if (kinds[k] == PHOTON_WAIT_BUSY_SPIN ||
		    kinds[k] == PHOTON_WAIT_YIELD_SPIN ||
		    kinds[k] == PHOTON_WAIT_BACKOFF_SPIN)
			kill_when_waiting(PHOTON__TP_READER_PAUSE, NULL);
		if (kinds[k] == -1) {
			rc = photon_recv_timeout(s, &v, NULL,
						 3600ull * 1000000000u);
		} else if (kinds[k] == -2) {
			kill_when_waiting(PHOTON__TP_READER_PAUSE, NULL);
			while ((rc = photon_try_recv(s, &v)) == PHOTON_EMPTY)
				;
		} else {
			rc = photon_recv_with(s, &v, &w);
		}
		__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
		assert_rc(rc, PHOTON_CLOSED);
		assert_int_equal(photon_channel_abandoned(ch), 1);
		assert_int_equal(photon_channel_is_closed(ch), 1);
		assert_int_equal(photon_subscriber_received(s), 10);
		/* No silent takeover: the name's publisher is gone for
		 * good, until the creator unlinks and creates again. */
		assert_rc(photon_publisher_open(ch, &p2), PHOTON_CLOSED);
		assert_int_equal(reap(pid), 128 + SIGKILL);
		photon_subscriber_close(s);
		photon_channel_release(ch);
		assert_rc(photon_shm_unlink(name), PHOTON_OK);
		assert_rc(photon_shm_create(&again, name,
					    &(struct photon_opts){
						.capacity = 8, .msg_size = 8 },
					    0),
			  PHOTON_OK);
		assert_int_equal(photon_channel_abandoned(again), 0);
		photon_channel_release(again);
		photon_shm_unlink(name);
		close(done[0]);
		close(done[1]);
		close(killp[0]);
		close(killp[1]);
	}
}

/* Killed between W1 and W4: the odd slot is skipped as lagged, never
 * waited on; then CLOSED. */
static void test_publisher_killed_mid_write(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_subscriber *s;
	struct photon_publisher *p2 = NULL;
	int done[2], killp[2];
	uint64_t v, i;
	pid_t pid;

	(void)state;
	name_of(name, sizeof(name), "midwrite");
	ch = create(name, 16, 0);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	assert_int_equal(pipe(done), 0);
	assert_int_equal(pipe(killp), 0);
	pid = doomed_publisher(name, 5, 1, done[1], killp[0]);
	assert_int_equal(get(done[0]), 'p');
	put(killp[1], 'k');
	assert_int_equal(reap(pid), 128 + SIGKILL);
	/* Nobody has noticed yet; opening a publisher does, and refuses. */
	assert_int_equal(photon_channel_abandoned(ch), 0);
	assert_rc(photon_publisher_open(ch, &p2), PHOTON_CLOSED);
	assert_int_equal(photon_channel_abandoned(ch), 1);
	for (i = 0; i < 5; i++) {
		assert_rc(photon_try_recv(s, &v), PHOTON_OK);
		assert_int_equal(v, i);
	}
	/* The blocking receive finds the publisher dead, skips its half
	 * written slot (counted) and ends. */
	assert_rc(photon_recv(s, &v), PHOTON_CLOSED);
	assert_int_equal(photon_channel_abandoned(ch), 1);
	assert_int_equal(photon_subscriber_received(s), 5);
	assert_int_equal(photon_subscriber_lagged(s), 1);
	assert_int_equal(photon_subscriber_last_skipped(s), 1);
	photon_subscriber_close(s);
	photon_channel_release(ch);
	photon_shm_unlink(name);
	close(done[0]);
	close(done[1]);
	close(killp[0]);
	close(killp[1]);
}

/* A bounded consumer killed (and not reaped): its tracker is reclaimed and
 * the publisher goes on; this process's own consumer is never reclaimed. */
static void test_consumer_killed(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *mine;
	int ready[2], hold[2];
	uint64_t v, got;
	pid_t pid;

	(void)state;
	name_of(name, sizeof(name), "consumer");
	ch = create(name, 8, PHOTON_BOUNDED);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_subscriber *s;
		char b = 'r';

		if (photon_shm_open(&c, name) || photon_subscribe(c, &s) ||
		    write(ready[1], &b, 1) != 1)
			_exit(10);
		(void)read(hold[0], &b, 1); /* never reads a message */
		_exit(11);
	}
	assert_int_equal(get(ready[0]), 'r');
	assert_rc(photon_subscribe(ch, &mine), PHOTON_OK);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	for (v = 0; v < 8; v++)
		assert_rc(photon_try_publish(p, &v), PHOTON_OK);
	/* Full: the child holds it back. */
	assert_rc(photon_try_publish(p, &v), PHOTON_FULL);
	assert_int_equal(kill(pid, SIGKILL), 0);
	/* Zombie now. This process's consumer reads what it can; while it
	 * has caught up, only the dead one holds the publisher back, until
	 * its entry is reclaimed (try_publish looks too, on FULL). */
	for (got = 0; v < 108;) {
		uint64_t x;

		if (photon_try_publish(p, &v) == PHOTON_OK) {
			v++;
		} else if (photon_try_recv(mine, &x) == PHOTON_OK) {
			assert_int_equal(x, got);
			got++;
		}
	}
	while (photon_try_recv(mine, &v) == PHOTON_OK)
		assert_int_equal(v, got++);
	assert_int_equal(got, 108);
	assert_int_equal(photon_channel_reclaimed(ch), 1);
	assert_int_equal(reap(pid), 128 + SIGKILL);
	photon_publisher_close(p);
	photon_subscriber_close(mine);
	photon_channel_release(ch);
	photon_shm_unlink(name);
	close(ready[0]);
	close(ready[1]);
	close(hold[0]);
	close(hold[1]);
}

/* ---- permissions, versions, hostile headers ---- */

static void test_other_uid_refused(void **state)
{
	char name[128];
	struct photon_channel *ch;
	unsigned mode;
	pid_t pid;

	(void)state;
	if (geteuid() != 0) {
		printf("skipped: needs root to act as another uid\n");
		skip();
	}
	for (mode = 0; mode <= 0666; mode += 0666) {
		name_of(name, sizeof(name), "perm");
		assert_rc(photon_shm_create(&ch, name,
					    &(struct photon_opts){
						.capacity = 8, .msg_size = 8 },
					    mode),
			  PHOTON_OK);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct photon_channel *c = NULL;
			int rc;

			if (setresgid(65534, 65534, 65534) ||
			    setresuid(65534, 65534, 65534))
				_exit(10);
			rc = photon_shm_open(&c, name);
			if (mode == 0)
				_exit(rc == PHOTON_EPERM && errno == EACCES &&
					      !c
					  ? 0
					  : 11);
			_exit(rc == PHOTON_OK ? 0 : 12);
		}
		assert_int_equal(reap(pid), 0);
		photon_channel_release(ch);
		photon_shm_unlink(name);
	}
}

/* Reads the header of segment `name`, lets `edit` change it, writes it
 * back (with its checksum recomputed when `fix`). */
static void rewrite_header(const char *name,
			   void (*edit)(struct photon__shm_header *), int fix)
{
	char path[4200];
	struct photon__shm_header h;
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	edit(&h);
	if (fix)
		h.checksum = photon__fnv1a(
		    &h, offsetof(struct photon__shm_header, checksum));
	assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
	close(fd);
}

static void next_layout(struct photon__shm_header *h)
{
	h->layout++;
}

static void prev_layout(struct photon__shm_header *h)
{
	h->layout--;
}

static void damage(struct photon__shm_header *h)
{
	h->capacity ^= 0x100; /* 8 -> 264 slots: another size */
}

static void lie(struct photon__shm_header *h)
{
	h->capacity = 264; /* a ring that needs another segment size */
}

static void bad_magic(struct photon__shm_header *h)
{
	h->magic[0] ^= 1;
}

static void expect_eproto(const char *name, const char *why)
{
	struct photon_channel *c = (void *)1;

	assert_rc(photon_shm_open(&c, name), PHOTON_EPROTO);
	assert_null(c);
	if (!strstr(photon_last_error_message(), why))
		fail_msg("detail \"%s\" does not say \"%s\"",
			 photon_last_error_message(), why);
}

static void test_version_mismatch(void **state)
{
	char name[128];
	struct photon_channel *ch;

	(void)state;
	name_of(name, sizeof(name), "version");
	ch = create(name, 8, 0);
	rewrite_header(name, next_layout, 1);
	expect_eproto(name, "layout version differs");
	rewrite_header(name, prev_layout, 1);
	rewrite_header(name, damage, 0);
	expect_eproto(name, "checksum");
	rewrite_header(name, damage, 1); /* undone: valid again */
	rewrite_header(name, lie, 1);	 /* consistent checksum, lying */
	expect_eproto(name, "disagree");
	rewrite_header(name, bad_magic, 1);
	expect_eproto(name, "magic");
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* xorshift64*: the fuzz is the same on every run. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dull;
}

#define FUZZ_RUNS 3000

/*
 * Thousands of damaged segments: random bytes, flipped bits, fields set to
 * lies with a good checksum, truncation. Each open is EPROTO, or OK for a
 * header that is consistent after all; an OK channel is then used (under
 * ASan in CI: any access outside the mapping fails the run).
 */
static void test_fuzz_headers(void **state)
{
	char name[128], path[4200];
	struct photon_channel *ch;
	unsigned char *good, *img;
	struct stat st;
	uint64_t x = 0x9e3779b97f4a7c15ull, ok = 0, proto = 0;
	int fd, i;

	(void)state;
	name_of(name, sizeof(name), "fuzz");
	path_of(path, sizeof(path), name);
	ch = create(name, 16, PHOTON_BOUNDED);
	photon_channel_release(ch);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	good = malloc((size_t)st.st_size);
	img = malloc((size_t)st.st_size);
	assert_non_null(good);
	assert_non_null(img);
	assert_int_equal(pread(fd, good, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	for (i = 0; i < FUZZ_RUNS; i++) {
		struct photon__shm_header *h = (void *)img;
		size_t len = (size_t)st.st_size, j;
		int rc;

		memcpy(img, good, len);
		switch (rnd(&x) % 5) {
		case 0: /* random bytes over the whole header */
			for (j = 0; j < sizeof(*h); j++)
				img[j] = (unsigned char)rnd(&x);
			break;
		case 1: /* a few flipped bits */
			for (j = rnd(&x) % 4 + 1; j > 0; j--)
				img[rnd(&x) % sizeof(*h)] ^=
				    (unsigned char)(1u << (rnd(&x) % 8));
			break;
		case 2:	  /* one 64-bit field lies, checksum fixed */
		case 3: { /* ... a small or an edge value */
			uint64_t *f = (uint64_t *)(void *)(img + 24);
			size_t nf =
			    (offsetof(struct photon__shm_header, checksum) -
			     24) /
			    8;
			static const uint64_t edge[] = {
				0,	    1,	    2,	       3,
				63,	    64,	    4095,      4096,
				1u << 20,   ~0ull,  ~0ull / 2, 1ull << 46,
				1ull << 63, 0x1000, 0x2000,    8192
			};
			f[rnd(&x) % nf] =
			    rnd(&x) % 2 ? rnd(&x) % 100000 : edge[rnd(&x) % 16];
			h->checksum = photon__fnv1a(
			    h, offsetof(struct photon__shm_header, checksum));
			break;
		}
		default: /* truncated */
			len = (size_t)(rnd(&x) % (uint64_t)st.st_size);
			break;
		}
		photon_shm_unlink(name);
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, img, len), (ssize_t)len);
		close(fd);
		ch = NULL;
		rc = photon_shm_open(&ch, name);
		if (rc == PHOTON_EPROTO) {
			assert_null(ch);
			proto++;
			continue;
		}
		assert_rc(rc, PHOTON_OK);
		ok++;
		{ /* use it: a lie that passed must still be safe */
			struct photon_subscriber *s;
			struct photon_publisher *p;
			uint64_t v = 1, o;
			char buf[PHOTON_MSG_SIZE_MAX / 1024];

			(void)buf;
			if (photon_channel_msg_size(ch) == 8 &&
			    photon_subscribe(ch, &s) == PHOTON_OK) {
				if (photon_publisher_open(ch, &p) ==
				    PHOTON_OK) {
					photon_try_publish(p, &v);
					photon_publisher_close(p);
				}
				photon_try_recv(s, &o);
				photon_subscriber_close(s);
			}
		}
		photon_channel_release(ch);
	}
	printf("fuzz: %d headers, %llu refused (EPROTO), %llu consistent\n",
	       FUZZ_RUNS, (unsigned long long)proto, (unsigned long long)ok);
	assert_true(proto > FUZZ_RUNS / 2);
	free(good);
	free(img);
	photon_shm_unlink(name);
}

/* ---- parking across processes ---- */

struct park_race {
	struct photon_channel *ch;
	int go_fd, ack_fd;
	uint32_t wake_before, wake_after;
	int done;
};
static struct park_race pr;

/*
 * At PARK_SLEEP the reader has announced itself (K0), run the global
 * barrier (K3) and found nothing: the other process publishes right now,
 * before the futex wait. Its P2 must see the announcement and bump the
 * wake word, or the reader would sleep through the message.
 */
static void publish_before_sleep(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point != PHOTON__TP_PARK_SLEEP || pr.done)
		return;
	pr.done = 1;
	pr.wake_before = PHOTON__LOAD(&pr.ch->sh->line.wake, PHOTON__ACQUIRE);
	put(pr.go_fd, 'g');
	assert_int_equal(get(pr.ack_fd), 'a');
	pr.wake_after = PHOTON__LOAD(&pr.ch->sh->line.wake, PHOTON__ACQUIRE);
}

static void test_park_across_processes(void **state)
{
	char name[128];
	struct photon_subscriber *s;
	struct photon_wait w = { .kind = PHOTON_WAIT_PARK,
				 .spin_iters = 1,
				 .yield_iters = 1 };
	int go[2], ack[2];
	uint64_t v;
	pid_t pid;

	(void)state;
	name_of(name, sizeof(name), "park");
	pr.ch = create(name, 8, 0);
	assert_rc(photon_subscribe(pr.ch, &s), PHOTON_OK);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ack), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_publisher *p;
		uint64_t x = 42;
		char b;

		if (photon_shm_open(&c, name) || photon_publisher_open(c, &p) ||
		    read(go[0], &b, 1) != 1 ||
		    photon_publish(p, &x) != PHOTON_OK)
			_exit(10);
		b = 'a';
		if (write(ack[1], &b, 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(11);
		photon_publisher_close(p);
		_exit(0);
	}
	pr.go_fd = go[1];
	pr.ack_fd = ack[0];
	pr.done = 0;
	__atomic_store_n(&photon__test_hook, publish_before_sleep,
			 __ATOMIC_RELEASE);
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_OK);
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(v, 42);
	assert_int_equal(pr.done, 1);
	if (PHOTON__LOAD(&pr.ch->sh->park_unsafe, PHOTON__ACQUIRE)) {
		printf("the publisher's process could not register for the "
		       "global membarrier: readers sleep in slices\n");
	} else {
		assert_true(pr.wake_after != pr.wake_before);
	}
	put(go[1], 'c');
	assert_int_equal(reap(pid), 0);
	assert_rc(photon_recv_with(s, &v, &w), PHOTON_CLOSED);
	assert_int_equal(photon_channel_abandoned(pr.ch), 0);
	photon_subscriber_close(s);
	photon_channel_release(pr.ch);
	photon_shm_unlink(name);
	close(go[0]);
	close(go[1]);
	close(ack[0]);
	close(ack[1]);
}

/* The reader child's futex results, checked in the child. */
static int woke_err = -1;

static void record_wake(enum photon__test_point point, void *arg)
{
	if (point == PHOTON__TP_PARK_WOKE && woke_err == -1)
		woke_err = *(int *)arg;
}

/* 1 once process pid is inside the futex system call (/proc/PID/syscall:
 * its number first); -1 when that file cannot be read. */
static int in_futex(pid_t pid)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) == SYS_futex;
}

/*
 * A child that opens `name`, subscribes and parks (PHOTON_WAIT_PARK) for
 * one message; returns once the child is asleep in the futex wait (the
 * parent watches /proc/CHILD/syscall: no sleep). The child exits 0 if the
 * message is 7 and its wait ended woken (not at the end of a slice).
 */
static pid_t parked_reader(const char *name)
{
	int ready[2], r;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_subscriber *s;
		struct photon_wait w = { .kind = PHOTON_WAIT_PARK,
					 .spin_iters = 1,
					 .yield_iters = 1 };
		uint64_t x = 0;
		char b = 'r';

		if (photon_shm_open(&c, name) || photon_subscribe(c, &s) ||
		    write(ready[1], &b, 1) != 1)
			_exit(10);
		__atomic_store_n(&photon__test_hook, record_wake,
				 __ATOMIC_RELEASE);
		if (photon_recv_with(s, &x, &w) != PHOTON_OK || x != 7)
			_exit(11);
		/* 0: woken (or the word had moved); ETIMEDOUT: slept
		 * through the wake until the slice ended. */
		_exit(woke_err == 0 ? 0 : 20 + (woke_err & 63));
	}
	assert_int_equal(get(ready[0]), 'r');
	close(ready[0]);
	close(ready[1]);
	while ((r = in_futex(pid)) == 0)
		;
	assert_true(r > 0);
	return pid;
}

/*
 * A reader in another process is asleep in the futex (the parent watches
 * /proc/CHILD/syscall, no sleep) when the message comes: the publisher's
 * wake must reach it across processes (a shared futex, not a private one),
 * so the wait ends woken, not at the end of its 20 ms slice.
 */
static void test_park_sleeping_reader_woken(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_publisher *p;
	uint64_t v = 7;
	pid_t pid;

	(void)state;
	/* /proc/PID/syscall shows qemu's host system calls. */
	skip_if_emulated("/proc/PID/syscall names the host's calls");
	name_of(name, sizeof(name), "sleeper");
	ch = create(name, 8, 0);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	pid = parked_reader(name);
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_int_equal(reap(pid), 0);
	photon_publisher_close(p);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

/* ---- found in review: each failed before its fix ---- */

/*
 * A consumer killed while parked: its count in `parked` is taken back when
 * the publisher next wakes (a reclaim), or every publish after it would
 * call futex_wake for nobody.
 */
static void test_killed_while_parked(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_publisher *p;
	uint64_t v = 1;
	pid_t pid;

	(void)state;
	skip_if_emulated("/proc/PID/syscall names the host's calls");
	name_of(name, sizeof(name), "parkdead");
	ch = create(name, 8, 0);
	assert_rc(photon_publisher_open(ch, &p), PHOTON_OK);
	pid = parked_reader(name);
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.parked, PHOTON__ACQUIRE),
			 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(reap(pid), 128 + SIGKILL);
	/* The first publish still sees the count, wakes, and reclaims. */
	assert_rc(photon_publish(p, &v), PHOTON_OK);
	assert_int_equal(photon_channel_reclaimed(ch), 1);
	assert_int_equal(PHOTON__LOAD(&ch->sh->line.parked, PHOTON__ACQUIRE),
			 0);
	photon_publisher_close(p);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

struct close_race {
	int go_fd;
	pid_t pid;
	int done;
};
static struct close_race cr;

/* Between reading the publisher table and checking that process, it
 * closes its publisher cleanly and exits (reaped). */
static void close_during_probe(enum photon__test_point point, void *arg)
{
	(void)arg;
	if (point != PHOTON__TP_PROBE_PUBLISHER || cr.done)
		return;
	cr.done = 1;
	put(cr.go_fd, 'c');
	assert_int_equal(reap(cr.pid), 0);
}

/* MPMC: one producer process closes and exits while another stays; a
 * probe that read the first one's entry must not call it a crash. */
static void test_clean_close_during_probe(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_publisher *stays;
	int go[2], opened[2];
	pid_t pid;

	(void)state;
	name_of(name, sizeof(name), "cleanclose");
	ch = create(name, 8, PHOTON_MPMC);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(opened), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_publisher *p;
		char b;

		if (photon_shm_open(&c, name) || photon_publisher_open(c, &p))
			_exit(10);
		b = 'o';
		if (write(opened[1], &b, 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(11);
		photon_publisher_close(p);
		photon_channel_release(c);
		_exit(0);
	}
	assert_int_equal(get(opened[0]), 'o');
	/* This process's publisher opens after the child's: the probe
	 * reads the child's entry first. */
	assert_rc(photon_publisher_open(ch, &stays), PHOTON_OK);
	cr.go_fd = go[1];
	cr.pid = pid;
	cr.done = 0;
	__atomic_store_n(&photon__test_hook, close_during_probe,
			 __ATOMIC_RELEASE);
	assert_int_equal(photon__shm_probe_publishers(ch), 0);
	__atomic_store_n(&photon__test_hook, NULL, __ATOMIC_RELEASE);
	assert_int_equal(cr.done, 1);
	assert_int_equal(photon_channel_abandoned(ch), 0);
	assert_int_equal(photon_channel_is_closed(ch), 0);
	photon_publisher_close(stays);
	photon_channel_release(ch);
	photon_shm_unlink(name);
	close(go[0]);
	close(go[1]);
	close(opened[0]);
	close(opened[1]);
}

static int exit_main_fd[2];

static void *hold_publisher(void *arg)
{
	struct photon_publisher *p = arg;
	char b;

	/* Runs on after main's pthread_exit, until told to close. */
	if (read(exit_main_fd[0], &b, 1) != 1)
		_exit(12);
	photon_publisher_close(p);
	_exit(0);
}

/* 1 once /proc/PID/stat says Z (the main thread has exited). */
static int main_exited(pid_t pid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

/* A publisher whose main thread called pthread_exit while another thread
 * publishes is alive, though /proc shows its main thread as a zombie. */
static void test_main_thread_exited(void **state)
{
	char name[128];
	struct photon_channel *ch;
	pid_t pid;

	(void)state;
	name_of(name, sizeof(name), "mainexit");
	ch = create(name, 8, 0);
	assert_int_equal(pipe(exit_main_fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_publisher *p;
		pthread_t t;

		if (photon_shm_open(&c, name) || photon_publisher_open(c, &p) ||
		    pthread_create(&t, NULL, hold_publisher, p))
			_exit(10);
		pthread_exit(NULL);
	}
	while (!main_exited(pid))
		;
	assert_int_equal(photon__shm_probe_publishers(ch), 0);
	assert_int_equal(photon_channel_abandoned(ch), 0);
	put(exit_main_fd[1], 'c');
	assert_int_equal(reap(pid), 0);
	assert_int_equal(photon_channel_abandoned(ch), 0);
	assert_int_equal(photon_channel_is_closed(ch), 1);
	photon_channel_release(ch);
	photon_shm_unlink(name);
	close(exit_main_fd[0]);
	close(exit_main_fd[1]);
}

/*
 * A segment's writer marks the channel crashed and fills every slot with
 * odd stamps of later laps: each receive skips one slot as lost. A timed
 * receive still ends at its deadline. An odd stamp of an older lap is no
 * loss: it ends in CLOSED.
 */
static void test_hostile_lag_run(void **state)
{
	char name[128];
	struct photon_channel *ch;
	struct photon_subscriber *s;
	uint64_t i, v;

	(void)state;
	name_of(name, sizeof(name), "lagrun");
	ch = create(name, 8, 0);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (i = 0; i < 8; i++)
		PHOTON__STORE(
		    (struct photon__atomic64 *)(void *)(ch->slots + i * 64),
		    2 * (i + 800000000) + 1, PHOTON__RELAXED);
	PHOTON__STORE(&ch->sh->abandoned, 1, PHOTON__RELEASE);
	PHOTON__STORE(&ch->sh->closed, 1, PHOTON__RELEASE);
	assert_rc(photon_recv_timeout(s, &v, NULL, 1000000), PHOTON_EMPTY);
	assert_true(photon_subscriber_lagged(s) > 0);
	photon_subscriber_close(s);
	/* Odd stamps of the lap before the reader's (sequences 8..15; it
	 * starts at 16): nothing lost, just closed. */
	PHOTON__STORE(&ch->sh->line.cursor, 15, PHOTON__RELEASE);
	assert_rc(photon_subscribe(ch, &s), PHOTON_OK);
	for (i = 0; i < 8; i++)
		PHOTON__STORE(
		    (struct photon__atomic64 *)(void *)(ch->slots + i * 64),
		    2 * (i + 8) + 1, PHOTON__RELAXED);
	assert_rc(photon_recv_timeout(s, &v, NULL, 1000000000), PHOTON_CLOSED);
	assert_int_equal(photon_subscriber_lagged(s), 0);
	photon_subscriber_close(s);
	photon_channel_release(ch);
	photon_shm_unlink(name);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_open_unlink),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_tracker_table),
		cmocka_unit_test(test_placement),
		cmocka_unit_test(test_bounded_three_processes),
		cmocka_unit_test(test_lossy_exact_accounting),
		cmocka_unit_test(test_mpmc_two_processes),
		cmocka_unit_test(test_publisher_killed),
		cmocka_unit_test(test_publisher_killed_mid_write),
		cmocka_unit_test(test_consumer_killed),
		cmocka_unit_test(test_other_uid_refused),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_fuzz_headers),
		cmocka_unit_test(test_park_across_processes),
		cmocka_unit_test(test_park_sleeping_reader_woken),
		cmocka_unit_test(test_killed_while_parked),
		cmocka_unit_test(test_clean_close_during_probe),
		cmocka_unit_test(test_main_thread_exited),
		cmocka_unit_test(test_hostile_lag_run),
	};
	ssize_t n;

	/* The exec'd consumer of test_bounded_three_processes. */
	if (argc == 5 && !strcmp(argv[1], "consume"))
		return consume(argv[2], strtoull(argv[3], NULL, 10),
			       atoi(argv[4]), 0);
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
