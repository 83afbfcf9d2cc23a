/* SPDX-License-Identifier: MIT */
/*
 * photon-stat: what the shared channels of this machine are doing, as
 * aeron-stat shows an Aeron media driver's counters.
 *
 * It lists the segments in the shared-memory directory (/dev/shm, or
 * $PHOTON_SHM_DIR) and the hugetlbfs mount ($PHOTON_HUGETLBFS), or the
 * names given, and for each prints the header, the publishers, the
 * published count and every tracked consumer with its lag.
 *
 * Read-only by construction: every segment is mapped PROT_READ
 * (photon__shm_open_mode(..., 0)), which validates the header before
 * anything else is read, and no lock is taken. So it can run beside a live
 * channel, as another user with read permission, and never disturbs one;
 * the price is that a report is not a snapshot. Each word is read once, on
 * its own: a consumer may move between the load of the cursor and of its
 * position, so a lag that would come out negative is shown as 0.
 *
 * A file is stat()ed before it is opened, and only regular files are
 * opened: open(2) of a FIFO someone left in /dev/shm would block forever.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "src/shm.h"

/* Exit codes. */
enum { EXIT_OPEN_FAILED = 1, EXIT_USAGE = 2 };

struct settings {
	int all;	 /* -a: also files that are not valid segments */
	int watch;	 /* --watch: refresh until interrupted */
	double interval; /* seconds between refreshes */
};

static volatile sig_atomic_t interrupted;
/* Entries printed by this report: a blank line goes between two. */
static unsigned entries;

static void begin_entry(void)
{
	if (entries++)
		putchar('\n');
}

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: photon-stat [-a] [--watch[=SECONDS]] [NAME...]\n"
		"\n"
		"Shows the shared channels (libphotonring segments): header, "
		"publishers,\n"
		"published count and every consumer's position and lag.\n"
		"Without NAME, every segment in the shared-memory directory "
		"($PHOTON_SHM_DIR,\n"
		"default /dev/shm) and in $PHOTON_HUGETLBFS. Segments are "
		"mapped read-only.\n"
		"\n"
		"  -a, --all              also list files that are not valid "
		"segments, with why\n"
		"  -w, --watch[=SECONDS]  refresh every SECONDS (default 1) "
		"until interrupted\n"
		"  -h, --help             show this help\n"
		"  -V, --version          show the library version\n"
		"\n"
		"Exit status: 0, 1 when a NAME could not be opened, 2 on bad "
		"usage.\n");
}

/* A name from a directory may hold anything, terminal escapes included:
 * bytes outside printable ASCII are shown as \xNN. */
static void put_escaped(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			putchar(*p);
		else
			printf("\\x%02x", *p);
	}
}

static void flags_text(unsigned flags, char *buf, size_t n)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ PHOTON_MPMC, "mpmc" },
		{ PHOTON_HUGEPAGES, "hugepages" },
		{ PHOTON_THP, "thp" },
		{ PHOTON_MLOCK, "mlock" },
		{ PHOTON_PREFAULT, "prefault" },
		{ PHOTON_NUMA, "numa" },
	};
	size_t i, len;

	len = (size_t)snprintf(buf, n, "%s",
			       (flags & PHOTON_BOUNDED) ? "bounded" : "lossy");
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && len < n; i++)
		if (flags & names[i].bit)
			len += (size_t)snprintf(buf + len, n - len, ",%s",
						names[i].name);
}

static void bytes_text(uint64_t b, char *buf, size_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	int u = -1;

	while (v >= 1024.0 && u < 3) {
		v /= 1024.0;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%llu B", (unsigned long long)b);
	else
		snprintf(buf, n, "%.1f %s", v, unit[u]);
}

static const char *liveness(uint64_t pid, uint64_t start)
{
	return photon__proc_alive(pid, start) ? "alive" : "dead";
}

/* The channel's state line: closed, abandoned, or what keeps it open. */
static void print_state(const struct photon__shared *sh, int dead_publisher)
{
	int closed = PHOTON__LOAD(&sh->closed, PHOTON__ACQUIRE) != 0;
	int abandoned = PHOTON__LOAD(&sh->abandoned, PHOTON__ACQUIRE) != 0;
	int taken = PHOTON__LOAD(&sh->publisher_taken, PHOTON__RELAXED) != 0;

	printf("  state      ");
	if (abandoned)
		printf("closed, abandoned (a publisher died without "
		       "closing)");
	else if (closed)
		printf("closed");
	else if (dead_publisher)
		/* Only a reader of the channel marks it abandoned; this tool
		 * never writes. */
		printf("open, publisher dead (its readers will mark the "
		       "channel abandoned)");
	else if (!taken)
		printf("open, no publisher yet");
	else
		printf("open");
	if (PHOTON__LOAD(&sh->park_unsafe, PHOTON__RELAXED))
		printf("; parked readers sleep in slices (no membarrier)");
	putchar('\n');
}

/* The publisher processes; returns 1 if one of them is dead. */
static int print_publishers(const struct photon__shared *sh)
{
	int shown = 0, dead = 0;
	size_t i;

	for (i = 0; i < PHOTON__MAX_PUBLISHER_PROCS; i++) {
		/* Acquire: pairs with the release that fills the entry
		 * (start first, pid last). */
		uint64_t pid = PHOTON__LOAD(&sh->pubs[i].pid, PHOTON__ACQUIRE);
		uint64_t start =
		    PHOTON__LOAD(&sh->pubs[i].start, PHOTON__RELAXED);
		int alive;

		if (!pid)
			continue;
		alive = photon__proc_alive(pid, start);
		dead |= !alive;
		printf("  publisher  %llu %s\n", (unsigned long long)pid,
		       alive ? "alive" : "dead");
		shown++;
	}
	if (!shown)
		printf("  publisher  none\n");
	return dead;
}

static void print_consumers(const struct photon_channel *ch, uint64_t published)
{
	uint64_t n = photon__tracker_count(ch), i, used_count = 0;

	for (i = 0; i < n; i++)
		if (PHOTON__LOAD(&photon__tracker_at(ch, i)->used,
				 PHOTON__RELAXED) != PHOTON__TRACK_FREE)
			used_count++;
	printf("  consumers  %llu (table of %llu)\n",
	       (unsigned long long)used_count,
	       (unsigned long long)photon__shm_header_of(ch)->trackers_cap);
	if (!used_count)
		return;
	printf("    %-6s %-10s %-6s %-7s %-8s %-12s %-12s %s\n", "entry", "pid",
	       "alive", "kind", "members", "position", "lag", "stalls");
	for (i = 0; i < n; i++) {
		const struct photon__tracker *t = photon__tracker_at(ch, i);
		/* Acquire: pairs with the release that marks an entry used
		 * after filling it (gate_register). */
		uint64_t used = PHOTON__LOAD(&t->used, PHOTON__ACQUIRE);
		uint64_t pid = PHOTON__LOAD(&t->pid, PHOTON__RELAXED);
		uint64_t start = PHOTON__LOAD(&t->start, PHOTON__RELAXED);
		uint64_t pos = PHOTON__LOAD(&t->pos, PHOTON__ACQUIRE);
		const char *kind;

		if (used == PHOTON__TRACK_FREE)
			continue;
		kind = used == PHOTON__TRACK_GATES    ? "gates"
		       : used == PHOTON__TRACK_LISTED ? "listed"
						      : "unknown";
		printf(
		    "    %-6llu %-10llu %-6s %-7s %-8llu %-12llu %-12llu "
		    "%llu\n",
		    (unsigned long long)i, (unsigned long long)pid,
		    photon__proc_alive(pid, start) ? "yes" : "no", kind,
		    (unsigned long long)PHOTON__LOAD(&t->members,
						     PHOTON__RELAXED),
		    (unsigned long long)pos,
		    (unsigned long long)(published > pos ? published - pos : 0),
		    (unsigned long long)PHOTON__LOAD(&t->stalls,
						     PHOTON__RELAXED));
	}
}

/*
 * A photon-bridge process working on this channel keeps its state in the
 * dot file .photon-bridge.NAME of the shared-memory directory: shown as it
 * is, escaped, at most 1 KiB. Only a regular file is opened.
 */
static void print_bridge(const char *name)
{
	char path[4096], line[1024];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.photon-bridge.%s", photon__shm_dir(0),
		 name);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		printf("  bridge     ");
		put_escaped(line);
		putchar('\n');
	}
	fclose(f);
}

static void print_channel(const char *name, const char *path,
			  const struct stat *st,
			  const struct photon_channel *ch)
{
	const struct photon__shm_header *h = photon__shm_header_of(ch);
	const struct photon__shared *sh = ch->sh;
	struct passwd *pw = getpwuid(st->st_uid);
	char flags[96], size[32];
	uint64_t cursor;
	int dead;

	flags_text(h->flags, flags, sizeof(flags));
	bytes_text(h->total_bytes, size, sizeof(size));
	begin_entry();
	put_escaped(name);
	printf("  ");
	put_escaped(path);
	printf("\n  file       mode %04o  uid %lu",
	       (unsigned)st->st_mode & 07777, (unsigned long)st->st_uid);
	if (pw) {
		printf(" (");
		put_escaped(pw->pw_name);
		putchar(')');
	}
	printf("  size %llu (%s)  page %llu\n",
	       (unsigned long long)h->total_bytes, size,
	       (unsigned long long)h->page_size);
	printf("  layout     %u  library %u.%u.%u  creator %llu %s\n",
	       h->layout, h->lib_version / 10000, h->lib_version / 100 % 100,
	       h->lib_version % 100, (unsigned long long)h->creator_pid,
	       liveness(h->creator_pid, h->creator_start));
	printf("  ring       capacity %llu  msg_size %llu  stride %llu  "
	       "watermark %llu  flags %s\n",
	       (unsigned long long)h->capacity, (unsigned long long)h->msg_size,
	       (unsigned long long)h->stride, (unsigned long long)h->watermark,
	       flags);
	if (h->stall_timeout_ns)
		printf("  stall      after %llu ns\n",
		       (unsigned long long)h->stall_timeout_ns);
	dead = print_publishers(sh);
	print_state(sh, dead);
	/* The cursor is the last published sequence, all-ones before the
	 * first: + 1 is the count either way. */
	cursor = PHOTON__LOAD(&sh->line.cursor, PHOTON__ACQUIRE);
	printf("  published  %llu\n", (unsigned long long)(cursor + 1));
	printf(
	    "  totals     stalls %llu  reclaims %llu\n",
	    (unsigned long long)PHOTON__LOAD(&sh->stalls, PHOTON__RELAXED),
	    (unsigned long long)PHOTON__LOAD(&sh->reclaims, PHOTON__RELAXED));
	print_consumers(ch, cursor + 1);
	print_bridge(name);
}

static void print_problem(const char *name, const char *what)
{
	begin_entry();
	put_escaped(name);
	printf("  ");
	put_escaped(what);
	putchar('\n');
}

/*
 * Shows segment `name`, found at path (st: its lstat). named: given on the
 * command line, so every failure is shown. Returns 0, or 1 when it could
 * not be opened.
 */
static int inspect(const char *name, const char *path, const struct stat *st,
		   const struct settings *set, int named)
{
	struct photon_channel *ch;
	int rc;

	if (!S_ISREG(st->st_mode)) {
		if (named || set->all)
			print_problem(
			    name, S_ISLNK(st->st_mode)
				      ? "not a segment: a symbolic link "
					"(never followed)"
				      : "not a segment: not a regular file");
		return 1;
	}
	rc = photon__shm_open_mode(&ch, name, 0);
	if (rc == PHOTON_OK) {
		print_channel(name, path, st, ch);
		photon_channel_release(ch);
		return 0;
	}
	if (rc == PHOTON_EPERM)
		print_problem(name, "permission denied");
	else if (rc == PHOTON_ENOENT && !named)
		; /* removed since the directory was read */
	else if (named || set->all ||
		 (rc != PHOTON_EPROTO && rc != PHOTON_EINVAL &&
		  rc != PHOTON_ENOENT))
		print_problem(name, photon_last_error_message());
	return 1;
}

/* Where photon_shm_open looks for `name`: the first directory that has it. */
static int locate(const char *name, char *path, size_t n, struct stat *st)
{
	int i, err = ENOENT;

	for (i = 0; i < 2; i++) {
		const char *dir = photon__shm_dir(i);

		if (!dir || !*dir)
			continue;
		snprintf(path, n, "%s/%s", dir, name);
		if (lstat(path, st) == 0)
			return 0;
		err = errno;
		if (err != ENOENT)
			break;
	}
	errno = err;
	return -1;
}

static int skip_entry(const struct dirent *d)
{
	/* Dot files: ".", "..", and the temporaries that photon_shm_create
	 * builds a segment in before linking it into place. */
	return d->d_name[0] != '.';
}

/* Lists directory `which` (0: shared memory, 1: hugetlbfs). */
static void list_dir(int which, const struct settings *set)
{
	const char *dir = photon__shm_dir(which);
	const char *first = photon__shm_dir(0);
	struct dirent **ents;
	struct stat dst, fst;
	char path[4096];
	int n, i;

	if (!dir || !*dir)
		return;
	if (which == 1 && stat(dir, &dst) == 0 && stat(first, &fst) == 0 &&
	    dst.st_dev == fst.st_dev && dst.st_ino == fst.st_ino)
		return; /* the same directory: listed already */
	n = scandir(dir, &ents, skip_entry, alphasort);
	if (n < 0) {
		if (set->all || which == 1 || errno != ENOENT)
			fprintf(stderr, "photon-stat: %s: %s\n", dir,
				strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (lstat(path, &st) != 0)
			continue; /* removed meanwhile */
		if (which == 1 && first) {
			char shadow[4096];
			struct stat sst;

			snprintf(shadow, sizeof(shadow), "%s/%s", first, name);
			if (lstat(shadow, &sst) == 0) {
				/* photon_shm_open would map that one. */
				if (set->all)
					print_problem(path,
						      "not shown: a file of "
						      "the same name in the "
						      "shared-memory directory "
						      "hides it from "
						      "photon_shm_open");
				continue;
			}
		}
		inspect(name, path, &st, set, 0);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}

/* One report: the named segments, or every one. Returns the exit status. */
static int report(char **names, int count, const struct settings *set)
{
	int i, rc = 0;

	entries = 0;
	if (!count) {
		list_dir(0, set);
		list_dir(1, set);
		return 0;
	}
	for (i = 0; i < count; i++) {
		char path[4096];
		struct stat st;

		if (locate(names[i], path, sizeof(path), &st) != 0) {
			int err = errno;

			print_problem(names[i],
				      err == ENOENT ? "no such shared channel"
				      : (err == EACCES || err == EPERM)
					  ? "permission denied"
					  : strerror(err));
			rc = EXIT_OPEN_FAILED;
			continue;
		}
		if (inspect(names[i], path, &st, set, 1))
			rc = EXIT_OPEN_FAILED;
	}
	return rc;
}

static int parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0.0) || v > 86400.0)
		return -1;
	*out = v;
	return 0;
}

/*
 * Sleeps for `seconds` or until SIGINT or SIGTERM, which are blocked
 * everywhere else: pselect unblocks them atomically with the sleep, so a
 * signal that came during a report ends the wait at once instead of being
 * lost before it.
 */
static void pause_for(double seconds, const sigset_t *waitmask)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	pselect(0, NULL, NULL, NULL, &ts, waitmask);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct settings set = { 0, 0, 1.0 };
	struct sigaction sa;
	sigset_t block, waitmask;
	int c, rc, tty;

	while ((c = getopt_long(argc, argv, "aw::hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			set.all = 1;
			break;
		case 'w':
			set.watch = 1;
			if (optarg && parse_interval(optarg, &set.interval)) {
				fprintf(stderr,
					"photon-stat: --watch=%s: seconds "
					"above 0 expected\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("photon-stat %s\n", photon_version_string());
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!set.watch)
		return report(argv + optind, argc - optind, &set);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	tty = isatty(STDOUT_FILENO);
	do {
		time_t now = time(NULL);
		char when[32];

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
			 localtime(&now));
		if (tty)
			printf("\033[H\033[2J"); /* home, clear screen */
		printf("photon-stat %s  %s  every %gs\n\n",
		       photon_version_string(), when, set.interval);
		rc = report(argv + optind, argc - optind, &set);
		if (!tty)
			putchar('\n');
		fflush(stdout);
		if (!interrupted)
			pause_for(set.interval, &waitmask);
	} while (!interrupted);
	return rc;
}
