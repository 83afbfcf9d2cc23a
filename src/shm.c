/* SPDX-License-Identifier: MIT */
/*
 * Shared channels: a channel in a named segment (POSIX shared memory, or a
 * hugetlbfs file), and the liveness of the processes that use it.
 *
 * The segment holds only what every process shares (shm.h gives the
 * layout); handles and the channel's description stay in each process's
 * own memory. A reader copies the header, validates the copy against the
 * size of the file and against the layout recomputed from its parameters,
 * and only then maps the rest; afterwards it never reads the header again,
 * and bounds every index it reads from the segment (photon__tracker_count,
 * the claim counter in subscriber.c).
 *
 * Liveness is a process's pid and start time (/proc/PID/stat, field 22),
 * checked on slow paths only: every PROBE_NS at most, by an idle reader (to
 * find a dead publisher) and by a publisher waiting for room (to reclaim a
 * dead consumer's tracker). A zombie is dead. Rejected: a robust pthread
 * mutex held for life belongs to a thread, not a process, and keeps its
 * list links in the segment, where a hostile writer could aim glibc's list
 * walk; flock and OFD locks are inherited by forked children, which then
 * keep a dead parent alive. Processes in another PID namespace are out of
 * scope: their pids mean nothing here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shm.h"
#include "testing.h"

/* Longest a dead publisher or consumer goes unnoticed by a process that
 * is waiting on it. */
#define PROBE_NS 20000000u
/* Empty exported receives between two looks at the clock. */
#define IDLE_POLLS	 16u
#define HUGETLBFS_MAGIC_ 0x958458f6u

#define KNOWN_FLAGS                                                     \
	(PHOTON_BOUNDED | PHOTON_MPMC | PHOTON_HUGEPAGES | PHOTON_THP | \
	 PHOTON_MLOCK | PHOTON_PREFAULT | PHOTON_NUMA)

uint64_t photon__fnv1a(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- liveness ---- */

/*
 * /proc/PID/stat: the state letter and the start time. 0, or -1 when there
 * is no such process (or it cannot be read).
 */
/*
 * Opens /proc/PID/<what>, relative to a descriptor of /proc and never by
 * the path "/proc/PID": qemu-user answers a process's reads of its own
 * /proc/PID/stat with a start time of its making, which other processes
 * do not see. -1 when it cannot.
 */
static int proc_open(uint64_t pid, const char *what, int flags)
{
	char path[64];
	int procfd, fd;

	snprintf(path, sizeof(path), "%llu/%s", (unsigned long long)pid, what);
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -1;
	fd = openat(procfd, path, flags | O_RDONLY | O_CLOEXEC);
	close(procfd);
	return fd;
}

static int read_stat(uint64_t pid, char *state, uint64_t *start)
{
	char buf[1024], *p, *end;
	ssize_t n;
	int fd = proc_open(pid, "stat", 0), field;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name is in parentheses and may hold anything. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	p += 2;
	*state = *p;
	/* Field 3 is the state; the start time is field 22. */
	for (field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	*start = strtoull(p, &end, 10);
	return end == p ? -1 : 0;
}

/* Threads of process pid that /proc lists (its leader included). */
static int thread_count(uint64_t pid)
{
	int fd = proc_open(pid, "task", O_DIRECTORY), n = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* start_mask: which bits of the start time to compare. */
static int alive(uint64_t pid, uint64_t start, uint64_t start_mask)
{
	char state;
	uint64_t st;

	if (pid == 0 || pid > INT32_MAX)
		return 0;
	if (read_stat(pid, &state, &st) != 0)
		/* /proc may hide other users' processes (hidepid): then
		 * only a pid that does not exist at all is dead. */
		return !(kill((pid_t)pid, 0) != 0 && errno == ESRCH);
	/* A zombie is dead: it only waits to be reaped. Unless only its
	 * main thread is (pthread_exit in main): the others still run. */
	if ((state == 'Z' || state == 'X') && thread_count(pid) <= 1)
		return 0;
	/* Start 0: the process could not read its own (no /proc): the
	 * pid alone decides. */
	return (start & start_mask) == 0 ||
	       (st & start_mask) == (start & start_mask);
}

int photon__proc_alive(uint64_t pid, uint64_t start)
{
	return alive(pid, start, UINT64_MAX);
}

int photon__token_alive(uint64_t token)
{
	return alive(token & 0xffffffffu, token >> 32, 0xffffffffu);
}

/* This process; recomputed in a forked child (the pid changed). */
static struct photon__atomic64 self_pid, self_start;
static pthread_once_t self_once = PTHREAD_ONCE_INIT;

static void self_forget(void)
{
	PHOTON__STORE(&self_pid, 0, PHOTON__RELAXED);
}

static void self_init(void)
{
	pthread_atfork(NULL, NULL, self_forget);
}

void photon__proc_self(uint64_t *pid, uint64_t *start)
{
	uint64_t p;

	pthread_once(&self_once, self_init);
	p = PHOTON__LOAD(&self_pid, PHOTON__ACQUIRE);
	if (!p) {
		char state;
		uint64_t st = 0;

		p = (uint64_t)getpid();
		if (read_stat(p, &state, &st) != 0)
			st = 0;
		PHOTON__STORE(&self_start, st, PHOTON__RELAXED);
		PHOTON__STORE(&self_pid, p, PHOTON__RELEASE);
	}
	*pid = p;
	*start = PHOTON__LOAD(&self_start, PHOTON__RELAXED);
}

uint64_t photon__proc_token(void)
{
	uint64_t pid, start;

	photon__proc_self(&pid, &start);
	return pid | (start & 0xffffffffu) << 32;
}

/* ---- the probes ---- */

int photon__shm_due(struct photon_channel *ch, int what)
{
	struct photon__atomic64 *last = &ch->probed_ns[what];
	uint64_t now, then;

	if (!ch->shm)
		return 0;
	now = photon__now_ns();
	then = PHOTON__LOAD(last, PHOTON__RELAXED);
	if (then && now - then < PROBE_NS)
		return 0;
	/* One prober per interval in this process. */
	return PHOTON__CAS(last, &then, now, PHOTON__RELAXED, PHOTON__RELAXED);
}

int photon__shm_probe_publishers(struct photon_channel *ch)
{
	struct photon__shared *sh = ch->sh;
	size_t i;

	if (PHOTON__LOAD(&sh->closed, PHOTON__ACQUIRE))
		return 1;
	for (i = 0; i < PHOTON__MAX_PUBLISHER_PROCS; i++) {
		uint64_t pid = PHOTON__LOAD(&sh->pubs[i].pid, PHOTON__ACQUIRE);
		uint64_t start =
		    PHOTON__LOAD(&sh->pubs[i].start, PHOTON__RELAXED);

		if (!pid)
			continue;
		PHOTON__TEST_POINT(PHOTON__TP_PROBE_PUBLISHER, ch);
		if (photon__proc_alive(pid, start))
			continue;
		/* A clean close leaves the table before the process exits:
		 * an entry that still names the dead process is a crash (a
		 * pid and start read apart, or of a process that left, no
		 * longer match). An SPMC close also sets closed first. */
		if (PHOTON__LOAD(&sh->pubs[i].start, PHOTON__ACQUIRE) !=
			start ||
		    PHOTON__LOAD(&sh->pubs[i].pid, PHOTON__ACQUIRE) != pid)
			continue;
		if (PHOTON__LOAD(&sh->closed, PHOTON__ACQUIRE))
			return 1;
		PHOTON__STORE(&sh->abandoned, 1, PHOTON__RELEASE);
		/* C1 on the dead publisher's behalf: its stamps are final. */
		PHOTON__STORE(&sh->closed, 1, PHOTON__RELEASE);
		photon__wake_channel(ch);
		return 1;
	}
	return 0;
}

uint64_t photon__shm_reclaim(struct photon_channel *ch)
{
	uint64_t n = photon__tracker_count(ch), i, freed = 0, pid, start;

	photon__proc_self(&pid, &start);
	for (i = 0; i < n; i++) {
		struct photon__tracker *t = photon__tracker_at(ch, i);
		uint64_t tpid = PHOTON__LOAD(&t->pid, PHOTON__RELAXED);

		if (PHOTON__LOAD(&t->used, PHOTON__RELAXED) ==
			PHOTON__TRACK_FREE ||
		    tpid == pid ||
		    photon__proc_alive(
			tpid, PHOTON__LOAD(&t->start, PHOTON__RELAXED)))
			continue;
		/* It died asleep: its count of parked readers goes, or
		 * every publish would call futex_wake for nobody. */
		if (PHOTON__LOAD(&t->parked, PHOTON__RELAXED)) {
			PHOTON__STORE(&t->parked, 0, PHOTON__RELAXED);
			PHOTON__FETCH_SUB(&ch->sh->line.parked, 1,
					  PHOTON__RELAXED);
		}
		PHOTON__STORE(&t->used, PHOTON__TRACK_FREE, PHOTON__RELEASE);
		PHOTON__FETCH_ADD(&ch->sh->reclaims, 1, PHOTON__RELAXED);
		freed++;
	}
	return freed;
}

/*
 * A reader of a shared channel found nothing: every IDLE_POLLS empty polls
 * it looks at the clock, and when PROBE_NS have passed without a message
 * since its last look, at the publishers. A reader that receives now and
 * then never pays the /proc read (microseconds) in its polling loop.
 */
void photon__shm_idle_check(struct photon_subscriber *s)
{
	uint64_t now = photon__now_ns();
	uint64_t pos = PHOTON__LOAD(&s->pos, PHOTON__RELAXED);

	if (now - s->idle_ns < PROBE_NS)
		return;
	if (pos == s->idle_pos)
		photon__shm_probe_publishers(s->channel);
	s->idle_ns = now;
	s->idle_pos = pos;
}

void photon__shm_idle(struct photon_subscriber *s)
{
	if ((++s->idle % IDLE_POLLS) == 0)
		photon__shm_idle_check(s);
}

/* ---- names and files ---- */

/* A segment's name as error details show it (escaped, cut: util.h). */
static const char *shown(const char *name)
{
	static _Thread_local char buf[4 * PHOTON__SHM_NAME_MAX + 8];

	return photon__shown(buf, sizeof(buf), name, PHOTON__SHM_NAME_MAX);
}

static int check_name(const char *name)
{
	size_t n;

	if (!name)
		return photon__fail(PHOTON_EINVAL, "shared channel: NULL name");
	n = strlen(name);
	if (n == 0 || n > PHOTON__SHM_NAME_MAX)
		return photon__fail(PHOTON_EINVAL,
				    "shared channel name of %zu bytes: must "
				    "be 1 .. %u",
				    n, PHOTON__SHM_NAME_MAX);
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return photon__fail(PHOTON_EINVAL,
				    "shared channel name \"%s\": no '/' "
				    "(the name is a file in /dev/shm), not "
				    "\".\" or \"..\"",
				    shown(name));
	return PHOTON_OK;
}

const char *photon__shm_dir(int hugetlb)
{
	const char *d;

	if (hugetlb) {
		d = getenv("PHOTON_HUGETLBFS");
		return d && *d ? d : NULL;
	}
	d = getenv("PHOTON_SHM_DIR");
	return d && *d ? d : "/dev/shm";
}

/* A failed call on segment `name`: its code, errno kept. */
static int fail_file(int err, const char *what, const char *name)
{
	int code;

	switch (err) {
	case ENOENT:
		code = PHOTON_ENOENT;
		break;
	case EEXIST:
		code = PHOTON_EEXIST;
		break;
	case EACCES:
	case EPERM:
	case ELOOP: /* O_NOFOLLOW met a symbolic link */
		code = PHOTON_EPERM;
		break;
	case ENOMEM:
	case ENOSPC:
		code = PHOTON_ENOMEM;
		break;
	default:
		code = PHOTON_ESYS;
	}
	return photon__fail_errno(code, err, "shared channel \"%s\": %s: %s",
				  shown(name), what, strerror(err));
}

static uint64_t round_up64(uint64_t n, uint64_t a, int *overflow)
{
	if (n > UINT64_MAX - (a - 1))
		*overflow = 1;
	return (n + a - 1) & ~(a - 1);
}

int photon__shm_layout(struct photon__shm_header *h)
{
	uint64_t ring, end;
	int over = 0;

	if (h->page_size < 4096 || (h->page_size & (h->page_size - 1)) ||
	    h->page_size > ((uint64_t)1 << 30) || h->stride == 0 ||
	    h->trackers_cap > PHOTON__SHM_CONSUMERS_MAX)
		return 0;
	if (__builtin_mul_overflow(h->capacity, h->stride, &ring))
		return 0;
	h->shared_offset = PHOTON__SHM_HEADER_BYTES;
	h->trackers_offset =
	    round_up64(h->shared_offset + sizeof(struct photon__shared),
		       PHOTON__FALSE_SHARING_RANGE, &over);
	end = h->trackers_offset +
	      h->trackers_cap * sizeof(struct photon__tracker);
	h->slots_offset = round_up64(end, h->page_size, &over);
	h->slots_bytes = round_up64(ring, h->page_size, &over);
	if (over || h->slots_bytes > ((uint64_t)1 << 46))
		return 0;
	h->total_bytes = h->slots_offset + h->slots_bytes;
	return 1;
}

const char *photon__shm_invalid(const struct photon__shm_header *h,
				uint64_t file_bytes)
{
	struct photon__shm_header l = *h;
	int bounded = (h->flags & PHOTON_BOUNDED) != 0;

	if (memcmp(h->magic, PHOTON__SHM_MAGIC, sizeof(h->magic)))
		return "no photon-ring magic: not a shared channel";
	if (h->layout != PHOTON__SHM_LAYOUT)
		return "layout version differs from this build's";
	if (h->header_bytes != sizeof(*h))
		return "header size differs from this build's";
	if (h->checksum !=
	    photon__fnv1a(h, offsetof(struct photon__shm_header, checksum)))
		return "header checksum mismatch: the header is damaged";
	if (h->shared_bytes != sizeof(struct photon__shared) ||
	    h->tracker_bytes != sizeof(struct photon__tracker))
		return "state sizes differ from this build's";
	if (h->flags & ~(uint32_t)KNOWN_FLAGS)
		return "unknown flags";
	if (h->capacity < 2)
		return "capacity below 2";
	if (h->msg_size == 0 || h->msg_size > PHOTON_MSG_SIZE_MAX)
		return "message size out of range";
	if (h->stride != PHOTON_SLOT_STRIDE(h->msg_size))
		return "slot stride does not match the message size";
	if (h->watermark >= h->capacity || (h->watermark && !bounded))
		return "watermark inconsistent with the capacity or flags";
	if (h->stall_timeout_ns && !bounded)
		return "stall timeout on a lossy channel";
	if (h->trackers_cap == 0 || h->trackers_cap > PHOTON__SHM_CONSUMERS_MAX)
		return "tracker table size out of range";
	if (!photon__shm_layout(&l))
		return "sizes overflow or the page size is invalid";
	if (l.shared_offset != h->shared_offset ||
	    l.trackers_offset != h->trackers_offset ||
	    l.slots_offset != h->slots_offset ||
	    l.slots_bytes != h->slots_bytes || l.total_bytes != h->total_bytes)
		return "offsets and sizes disagree with capacity and stride";
	if (h->total_bytes > file_bytes)
		return "segment is shorter than its header says (truncated)";
	return NULL;
}

/* The private channel over a mapped, validated segment. */
static struct photon_channel *channel_over(unsigned char *base,
					   const struct photon__shm_header *h)
{
	struct photon_channel *ch =
	    photon__zalloc(PHOTON__FALSE_SHARING_RANGE, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->header = malloc(sizeof(*h));
	if (!ch->header) {
		free(ch);
		return NULL;
	}
	*ch->header = *h;
	photon__channel_describe(ch, h->capacity, h->msg_size, h->watermark,
				 h->flags, h->stall_timeout_ns);
	ch->shm = 1;
	ch->sh = (struct photon__shared *)(void *)(base + h->shared_offset);
	ch->blocks[0] =
	    (struct photon__tracker *)(void *)(base + h->trackers_offset);
	ch->tracker_cap = h->trackers_cap;
	ch->slots = base + h->slots_offset;
	ch->ring_bytes = h->slots_bytes;
	ch->page_size = h->page_size;
	ch->map_base = base;
	ch->map_bytes = h->total_bytes;
	pthread_mutex_init(&ch->fd_lock, NULL); /* unused: no descriptors */
	PHOTON__STORE(&ch->refs, 1, PHOTON__RELAXED);
	return ch;
}

void photon__shm_unmap(struct photon_channel *ch)
{
	pthread_mutex_destroy(&ch->fd_lock);
	munmap(ch->map_base, ch->map_bytes);
	free(ch->header);
}

const struct photon__shm_header *
photon__shm_header_of(const struct photon_channel *ch)
{
	return ch ? ch->header : NULL;
}

/* The directory's page: a hugetlbfs mount's huge page, else the base. */
static int dir_page(int dfd, int hugetlb, uint64_t *page)
{
	struct statfs f;
	long base = sysconf(_SC_PAGESIZE);

	if (fstatfs(dfd, &f) != 0)
		return -1;
	if ((uint32_t)f.f_type == HUGETLBFS_MAGIC_) {
		*page = (uint64_t)f.f_bsize;
		return 1;
	}
	*page = base > 0 ? (uint64_t)base : 4096;
	return hugetlb ? 0 : 1;
}

/*
 * The path of segment `name`: the first of the segment directories
 * (photon__shm_dir(0), then (1)) that holds it. 0, or -1 with errno.
 */
static int find_segment(const char *name, char *path, size_t n)
{
	struct stat st;
	int i, err = ENOENT;

	for (i = 0; i < 2; i++) {
		const char *dir = photon__shm_dir(i);

		if (!dir)
			continue;
		snprintf(path, n, "%s/%s", dir, name);
		if (lstat(path, &st) == 0)
			return 0;
		if (errno != ENOENT) {
			err = errno;
			break;
		}
	}
	errno = err;
	return -1;
}

/* Opens segment `name`; fd or -1 (errno). */
static int open_segment(const char *name, int writable)
{
	char path[4096];

	if (find_segment(name, path, sizeof(path)) != 0)
		return -1;
	/* O_NONBLOCK: a FIFO planted under the name must not block the
	 * open (it is then refused as not a file). */
	return open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW |
			      O_NONBLOCK | O_CLOEXEC);
}

static struct photon__atomic64 tmp_counter;

/* Creation proper: in dfd, file `name`, the header h already laid out. */
static int create_in(struct photon_channel **out, int dfd, const char *name,
		     struct photon__shm_header *h,
		     const struct photon_opts *opts, unsigned mode, int hugetlb)
{
	char tmp[PHOTON__SHM_NAME_MAX + 48];
	struct photon_channel *ch = NULL;
	unsigned char *base;
	int fd, rc, err;

	/* Built under a temporary name and linked into place complete: no
	 * process ever opens a half-made segment, and link() never replaces
	 * an existing name. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%llu.tmp", name, (long)getpid(),
		 (unsigned long long)PHOTON__FETCH_ADD(&tmp_counter, 1,
						       PHOTON__RELAXED));
	fd = openat(dfd, tmp,
		    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_file(errno, "create", name);
	/* The mode asked for, whatever the umask. */
	if (fchmod(fd, mode) != 0 ||
	    ftruncate(fd, (off_t)h->total_bytes) != 0) {
		rc = fail_file(errno, "size or mode", name);
		goto fail;
	}
	base = mmap(NULL, h->total_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (base == MAP_FAILED) {
		err = errno;
		rc = photon__fail_errno(
		    PHOTON_ENOMEM, err,
		    "shared channel \"%s\": mmap of %llu bytes failed: %s%s%s",
		    shown(name), (unsigned long long)h->total_bytes,
		    strerror(err),
		    hugetlb ? " (are enough huge pages reserved? "
			      "/proc/sys/vm/nr_hugepages)"
			    : "",
		    photon__map_count_hint());
		goto fail;
	}
	ch = channel_over(base, h);
	if (!ch) {
		munmap(base, h->total_bytes);
		rc = photon__fail(PHOTON_ENOMEM, "out of memory for a channel");
		goto fail;
	}
	rc = photon__ring_place(ch, opts, hugetlb);
	if (rc != PHOTON_OK)
		goto fail;
	photon__shared_init(ch->sh);
	memcpy(base, h, sizeof(*h)); /* the header last */
	if (linkat(dfd, tmp, dfd, name, 0) != 0) {
		rc = fail_file(errno, "link into place", name);
		goto fail;
	}
	unlinkat(dfd, tmp, 0);
	close(fd);
	*out = ch;
	return PHOTON_OK;
fail:
	if (ch)
		photon__shm_unmap(ch);
	free(ch);
	unlinkat(dfd, tmp, 0);
	close(fd);
	return rc;
}

PHOTON_API int photon_shm_create(struct photon_channel **out, const char *name,
				 const struct photon_opts *opts, unsigned mode)
{
	struct photon__shm_header h;
	int hugetlb, dfd, rc;
	uint64_t pid, start;
	const char *dir;

	if (out)
		*out = NULL;
	if (!out || !opts)
		return photon__fail(PHOTON_EINVAL,
				    "photon_shm_create: NULL argument");
	rc = check_name(name);
	if (rc == PHOTON_OK)
		rc = photon__check_opts(opts);
	if (rc == PHOTON_OK)
		rc = photon__ring_check(opts);
	if (rc != PHOTON_OK)
		return rc;
	if (mode & ~07777u)
		return photon__fail(PHOTON_EINVAL,
				    "mode 0%o: permission bits only", mode);
	if (!mode)
		mode = 0600;
	hugetlb = (opts->flags & PHOTON_HUGEPAGES) != 0;
	dir = photon__shm_dir(hugetlb);
	if (hugetlb && !dir) {
		if (!(opts->flags & PHOTON_THP))
			return photon__fail(
			    PHOTON_EINVAL,
			    "PHOTON_HUGEPAGES on a shared channel: set "
			    "PHOTON_HUGETLBFS to a hugetlbfs mount (or add "
			    "PHOTON_THP to fall back to /dev/shm)");
		hugetlb = 0;
		dir = photon__shm_dir(0);
	}
	/* open and unlink look in both directories: a name is one segment
	 * in either (link() below refuses one in this directory for good). */
	{
		char path[4096];

		if (find_segment(name, path, sizeof(path)) == 0)
			return fail_file(EEXIST, "create", name);
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail_file(errno, dir, name);

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, PHOTON__SHM_MAGIC, sizeof(h.magic));
	h.layout = PHOTON__SHM_LAYOUT;
	h.header_bytes = sizeof(h);
	h.lib_version = photon_version();
	h.shared_bytes = sizeof(struct photon__shared);
	h.tracker_bytes = sizeof(struct photon__tracker);
	h.flags = opts->flags;
	h.capacity = opts->capacity;
	h.msg_size = opts->msg_size;
	h.stride = PHOTON_SLOT_STRIDE(opts->msg_size);
	h.watermark = opts->watermark;
	h.stall_timeout_ns = opts->stall_timeout_ns;
	h.trackers_cap = opts->max_consumers ? opts->max_consumers
					     : PHOTON__SHM_CONSUMERS_DEFAULT;
	photon__proc_self(&pid, &start);
	h.creator_pid = pid;
	h.creator_start = start;
	rc = dir_page(dfd, hugetlb, &h.page_size);
	if (rc <= 0) {
		close(dfd);
		return rc < 0 ? fail_file(errno, dir, name)
			      : photon__fail(PHOTON_EINVAL,
					     "PHOTON_HUGETLBFS=%s is not a "
					     "hugetlbfs mount",
					     dir);
	}
	if (!photon__shm_layout(&h)) {
		close(dfd);
		return photon__fail(PHOTON_EINVAL,
				    "shared channel \"%s\": a %zu x %zu "
				    "ring does not fit a segment",
				    shown(name), opts->capacity,
				    opts->msg_size);
	}
	h.checksum =
	    photon__fnv1a(&h, offsetof(struct photon__shm_header, checksum));
	rc = create_in(out, dfd, name, &h, opts, mode, hugetlb);
	close(dfd);
	return rc;
}

int photon__shm_open_mode(struct photon_channel **out, const char *name,
			  int writable)
{
	struct photon__shm_header h;
	struct photon_channel *ch;
	struct stat st;
	unsigned char *base;
	const char *why;
	uint64_t page = 0;
	ssize_t n;
	int fd, rc;

	if (out)
		*out = NULL;
	if (!out)
		return photon__fail(PHOTON_EINVAL,
				    "photon_shm_open: NULL argument");
	rc = check_name(name);
	if (rc != PHOTON_OK)
		return rc;
	fd = open_segment(name, writable);
	if (fd < 0)
		return fail_file(errno, "open", name);
	if (fstat(fd, &st) != 0) {
		rc = fail_file(errno, "fstat", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = photon__fail(PHOTON_EPROTO,
				  "shared channel \"%s\": not a regular file",
				  shown(name));
		goto out;
	}
	/* A copy of the header: the segment may change under a reader, the
	 * copy does not. */
	n = pread(fd, &h, sizeof(h), 0);
	if (n != (ssize_t)sizeof(h)) {
		rc = photon__fail(PHOTON_EPROTO,
				  "shared channel \"%s\": %lld bytes, too "
				  "short for a header",
				  shown(name), (long long)st.st_size);
		goto out;
	}
	why = photon__shm_invalid(&h, (uint64_t)st.st_size);
	if (why) {
		rc = photon__fail(PHOTON_EPROTO,
				  "shared channel \"%s\": %s (segment layout "
				  "%u, this build reads layout %u)",
				  shown(name), why, h.layout,
				  PHOTON__SHM_LAYOUT);
		goto out;
	}
	/* The page the layout was made for must be the file system's:
	 * a hugetlbfs mapping of another length would not unmap. */
	if (dir_page(fd, 0, &page) < 0 || page != h.page_size) {
		rc = photon__fail(PHOTON_EPROTO,
				  "shared channel \"%s\": laid out for "
				  "%llu-byte pages, its file system has "
				  "%llu-byte pages",
				  shown(name), (unsigned long long)h.page_size,
				  (unsigned long long)page);
		goto out;
	}
	base = mmap(NULL, h.total_bytes,
		    PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		rc = fail_file(errno, "mmap", name);
		goto out;
	}
	ch = channel_over(base, &h);
	if (!ch) {
		munmap(base, h.total_bytes);
		rc = photon__fail(PHOTON_ENOMEM, "out of memory for a channel");
		goto out;
	}
	ch->readonly = !writable;
	/* Page tables and locks are per process: an opener of a segment
	 * made with PHOTON_PREFAULT or PHOTON_MLOCK faults in and locks its
	 * own mapping of the ring too. */
	if (writable && (h.flags & (PHOTON_PREFAULT | PHOTON_MLOCK))) {
		struct photon_opts o = { .flags = h.flags & (PHOTON_PREFAULT |
							     PHOTON_MLOCK) };

		rc = photon__ring_place(ch, &o, h.page_size > 4096);
		if (rc != PHOTON_OK) {
			photon__shm_unmap(ch);
			free(ch);
			goto out;
		}
	}
	*out = ch;
	rc = PHOTON_OK;
out:
	close(fd);
	return rc;
}

PHOTON_API int photon_shm_open(struct photon_channel **out, const char *name)
{
	return photon__shm_open_mode(out, name, 1);
}

PHOTON_API int photon_shm_unlink(const char *name)
{
	char path[4096];
	int rc = check_name(name);

	if (rc != PHOTON_OK)
		return rc;
	if (find_segment(name, path, sizeof(path)) != 0 || unlink(path) != 0)
		return fail_file(errno, "unlink", name);
	return PHOTON_OK;
}
