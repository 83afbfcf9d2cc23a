/* SPDX-License-Identifier: MIT */
/*
 * The photon-stat test: puts shared channels in known states and checks
 * what photon-stat (argv[1]) reports about them.
 *
 *   1. bounded, capacity 8: two subscribers, 5 published, 2 read by one:
 *      published 5, consumers at 2 (lag 3) and 0 (lag 5), publisher alive;
 *      then closed once the publisher closes.
 *   2. lossy, its publisher a child that exits without closing: the
 *      publisher dead, the consumer listed; abandoned once a reader probes.
 *   3. a temporary PHOTON_SHM_DIR holding a segment, garbage, a dot file, a
 *      FIFO, a symbolic link and an unreadable file: what is listed with
 *      and without -a, and that the FIFO does not hang photon-stat.
 *   4. usage errors, --help, a missing name, --watch ended by SIGINT.
 *
 * No step waits on time: photon-stat runs to its end while the channel
 * stays as set up, and --watch is interrupted once its first report is
 * read. Every file made is removed on exit, on a failed check and on a
 * fatal signal; a watchdog alarm ends a hung run the same way.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/shm.h"

#define WATCHDOG_S 60

static const char *stat_path;

/* What to remove on the way out: paths precomputed, so the signal handler
 * needs only unlink and rmdir. */
enum { MAX_FILES = 12 };
static char files[MAX_FILES][4096];
static int nfiles;
static char tmpdir[1024];

static void cleanup(void)
{
	int i;

	for (i = 0; i < nfiles; i++)
		unlink(files[i]);
	if (tmpdir[0])
		rmdir(tmpdir);
}

static void on_fatal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void remember(const char *dir, const char *name)
{
	if (nfiles < MAX_FILES)
		snprintf(files[nfiles++], sizeof(files[0]), "%s/%s", dir, name);
}

/* The last photon-stat run: exit status and output. */
static struct {
	int status;
	size_t len;
	char out[1 << 16];
} last;

static void fail(int line, const char *what)
{
	fprintf(stderr, "stat_driver.c:%d: check failed: %s\n", line, what);
	fprintf(stderr, "last photon-stat run (exit %d):\n%s\n", last.status,
		last.out);
	exit(1); /* atexit: cleanup() */
}

#define CHECK(cond)                            \
	do {                                   \
		if (!(cond))                   \
			fail(__LINE__, #cond); \
	} while (0)

/* Starts photon-stat with args (NULL-terminated), stdout and stderr into
 * the returned pipe. */
static pid_t spawn(const char *const *args, int *fd)
{
	char *argv[32], wbuf[512], *tok, *save = NULL;
	const char *w = getenv("PHOTON_EXEC_WRAPPER");
	int p[2], i, k = 0;
	pid_t pid;

	/* Cross builds: through the emulator (tests/CMakeLists.txt). */
	if (w && strlen(w) < sizeof(wbuf)) {
		strcpy(wbuf, w);
		for (tok = strtok_r(wbuf, " ", &save); tok && k < 14;
		     tok = strtok_r(NULL, " ", &save))
			argv[k++] = tok;
	}
	argv[k++] = (char *)stat_path;
	for (i = 0; args[i] && i < 14; i++)
		argv[k++] = (char *)args[i];
	argv[k] = NULL;
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* Reads fd into last.out until EOF, or until `until` appears. */
static void collect(int fd, const char *until)
{
	ssize_t n;

	while (last.len < sizeof(last.out) - 1) {
		n = read(fd, last.out + last.len,
			 sizeof(last.out) - 1 - last.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		last.len += (size_t)n;
		last.out[last.len] = '\0';
		if (until && strstr(last.out, until))
			return;
	}
}

static int reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		CHECK(errno == EINTR);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs photon-stat with the arguments given (up to 8); its exit status. */
static int run(const char *a0, ...)
{
	const char *args[9];
	va_list ap;
	int fd, n = 0;
	pid_t pid;

	va_start(ap, a0);
	for (args[n] = a0; args[n] && n < 8;)
		args[++n] = va_arg(ap, const char *);
	va_end(ap);
	args[n] = NULL;
	last.len = 0;
	last.out[0] = '\0';
	pid = spawn(args, &fd);
	collect(fd, NULL);
	close(fd);
	last.status = reap(pid);
	return last.status;
}

/* The rest of the report line that starts with "  key", or NULL. */
static const char *field(const char *key)
{
	const char *p = last.out;
	size_t n = strlen(key);

	for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, "  ", 2) && !strncmp(p + 2, key, n) &&
		    p[2 + n] == ' ')
			return p + 2 + n + strspn(p + 2 + n, " ");
	return NULL;
}

static int field_has(const char *key, const char *part)
{
	const char *v = field(key), *at, *end;

	if (!v)
		return 0;
	at = strstr(v, part);
	end = strchr(v, '\n');
	return at && (!end || at < end);
}

static int field_is(const char *key, const char *value)
{
	const char *v = field(key);

	return v && !strncmp(v, value, strlen(value)) &&
	       (v[strlen(value)] == '\n' || v[strlen(value)] == '\0');
}

struct row {
	unsigned long long entry, pid, members, pos, lag, stalls;
	char alive[8], kind[8];
};

/* The consumer whose position is pos, from the last report; 0 if none. */
static int consumer_at(unsigned long long pos, struct row *r)
{
	const char *p = last.out;

	for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (sscanf(p, "    %llu %llu %7s %7s %llu %llu %llu %llu",
			   &r->entry, &r->pid, r->alive, r->kind, &r->members,
			   &r->pos, &r->lag, &r->stalls) == 8 &&
		    r->pos == pos)
			return 1;
	return 0;
}

/* A report line that begins with s. */
static int has_line(const char *s)
{
	const char *p = last.out;

	for (; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, s, strlen(s)))
			return 1;
	return 0;
}

static void bounded_channel(const char *name)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_publisher *p;
	struct photon_subscriber *a, *b;
	char expect[64], title[80];
	uint64_t i, v;
	struct row r;

	o.capacity = 8;
	o.msg_size = 8;
	o.flags = PHOTON_BOUNDED;
	CHECK(photon_shm_create(&ch, name, &o, 0600) == PHOTON_OK);
	remember(photon__shm_dir(0), name);
	CHECK(photon_publisher_open(ch, &p) == PHOTON_OK);
	CHECK(photon_subscribe(ch, &a) == PHOTON_OK);
	CHECK(photon_subscribe(ch, &b) == PHOTON_OK);
	for (i = 0; i < 5; i++)
		CHECK(photon_try_publish(p, &i) == PHOTON_OK);
	CHECK(photon_try_recv(a, &v) == PHOTON_OK && v == 0);
	CHECK(photon_try_recv(a, &v) == PHOTON_OK && v == 1);

	snprintf(title, sizeof(title), "%s  ", name);
	CHECK(run(name, NULL) == 0);
	CHECK(has_line(title));
	CHECK(field_is("published", "5"));
	CHECK(field_is("state", "open"));
	snprintf(expect, sizeof(expect), "%ld alive", (long)getpid());
	CHECK(field_is("publisher", expect));
	CHECK(field_has("ring", "capacity 8  msg_size 8"));
	CHECK(field_has("ring", "flags bounded"));
	CHECK(field_has("file", "mode 0600"));
	CHECK(field_has("layout", "creator"));
	CHECK(field_is("consumers", "2 (table of 64)"));
	CHECK(consumer_at(2, &r));
	CHECK(r.lag == 3 && r.pid == (unsigned long long)getpid());
	CHECK(!strcmp(r.alive, "yes") && !strcmp(r.kind, "gates"));
	CHECK(r.members == 1 && r.stalls == 0);
	CHECK(consumer_at(0, &r));
	CHECK(r.lag == 5 && !strcmp(r.alive, "yes"));

	/* Listed among the others when no name is given. */
	CHECK(run(NULL) == 0);
	CHECK(has_line(title));

	photon_publisher_close(p);
	CHECK(run(name, NULL) == 0);
	CHECK(field_is("state", "closed"));
	CHECK(field_is("publisher", "none"));
	CHECK(field_is("published", "5"));

	photon_subscriber_close(a);
	CHECK(run(name, NULL) == 0);
	CHECK(field_is("consumers", "1 (table of 64)"));
	photon_subscriber_close(b);
	photon_channel_release(ch);
	CHECK(photon_shm_unlink(name) == PHOTON_OK);
	CHECK(run(name, NULL) == 1);
	CHECK(strstr(last.out, "no such shared channel"));
}

static void crashed_publisher(const char *name)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	struct photon_subscriber *s;
	char expect[64];
	struct row r;
	pid_t pid;

	o.capacity = 8;
	o.msg_size = 8;
	CHECK(photon_shm_create(&ch, name, &o, 0640) == PHOTON_OK);
	remember(photon__shm_dir(0), name);
	CHECK(photon_subscribe(ch, &s) == PHOTON_OK);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct photon_channel *c;
		struct photon_publisher *p;
		uint64_t i;

		if (photon_shm_open(&c, name) != PHOTON_OK ||
		    photon_publisher_open(c, &p) != PHOTON_OK)
			_exit(1);
		for (i = 0; i < 3; i++)
			photon_publish(p, &i);
		_exit(0); /* without closing: a crash as readers see it */
	}
	CHECK(reap(pid) == 0);

	CHECK(run(name, NULL) == 0);
	snprintf(expect, sizeof(expect), "%ld dead", (long)pid);
	CHECK(field_is("publisher", expect));
	CHECK(field_has("state", "open, publisher dead"));
	CHECK(field_has("ring", "flags lossy"));
	CHECK(field_has("file", "mode 0640"));
	CHECK(field_is("published", "3"));
	CHECK(consumer_at(0, &r));
	CHECK(r.lag == 3 && !strcmp(r.kind, "listed"));

	/* What a reader's idle probe does: the channel is then abandoned. */
	CHECK(photon__shm_probe_publishers(ch) == 1);
	CHECK(run(name, NULL) == 0);
	CHECK(field_has("state", "closed, abandoned"));

	photon_subscriber_close(s);
	photon_channel_release(ch);
	CHECK(photon_shm_unlink(name) == PHOTON_OK);
}

static void write_file(const char *name, const char *text, unsigned mode)
{
	FILE *f;

	remember(tmpdir, name);
	f = fopen(files[nfiles - 1], "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
	CHECK(chmod(files[nfiles - 1], mode) == 0);
}

static void odd_files(void)
{
	struct photon_opts o = { 0 };
	struct photon_channel *ch;
	const char *t = getenv("TMPDIR");
	char path[4096];
	int root = geteuid() == 0;

	snprintf(tmpdir, sizeof(tmpdir), "%s/photon-stat-test-XXXXXX",
		 t && *t ? t : "/tmp");
	CHECK(mkdtemp(tmpdir) != NULL);
	/* Only this directory from here on: no hugetlbfs listing. */
	CHECK(setenv("PHOTON_SHM_DIR", tmpdir, 1) == 0);
	CHECK(unsetenv("PHOTON_HUGETLBFS") == 0);

	o.capacity = 4;
	o.msg_size = 16;
	CHECK(photon_shm_create(&ch, "good", &o, 0) == PHOTON_OK);
	remember(tmpdir, "good");
	photon_channel_release(ch);
	write_file("garbage", "not a photon-ring segment\n", 0644);
	write_file(".good.1.0.tmp", "an in-progress temporary\n", 0600);
	write_file("locked", "", 0);
	remember(tmpdir, "fifo");
	CHECK(mkfifo(files[nfiles - 1], 0600) == 0);
	remember(tmpdir, "link");
	CHECK(symlink("good", files[nfiles - 1]) == 0);

	CHECK(run(NULL) == 0);
	CHECK(has_line("good  "));
	CHECK(field_is("published", "0"));
	CHECK(field_is("publisher", "none"));
	CHECK(field_is("state", "open, no publisher yet"));
	CHECK(!has_line("garbage"));
	CHECK(!has_line(".good"));
	CHECK(!has_line("fifo"));
	CHECK(!has_line("link"));
	CHECK(root || has_line("locked  permission denied"));

	CHECK(run("-a", NULL) == 0);
	CHECK(has_line("good  "));
	CHECK(has_line("garbage  "));
	CHECK(strstr(last.out, "too short for a header"));
	CHECK(has_line("fifo  not a segment: not a regular file"));
	CHECK(has_line("link  not a segment: a symbolic link"));
	CHECK(!has_line(".good"));

	CHECK(run("garbage", NULL) == 1);
	CHECK(strstr(last.out, "too short for a header"));
	CHECK(run("fifo", NULL) == 1);
	CHECK(run("good", "garbage", NULL) == 1);
	CHECK(has_line("good  "));
	CHECK(run("good", NULL) == 0);
	snprintf(path, sizeof(path), "good  %s/good", tmpdir);
	CHECK(has_line(path));
	if (!root) { /* root reads any file */
		CHECK(run("locked", NULL) == 1);
		CHECK(has_line("locked  permission denied"));
	}
}

static void usage_and_watch(void)
{
	const char *args[] = { "--watch=0.05", NULL };
	int fd;
	pid_t pid;

	CHECK(run("--help", NULL) == 0);
	CHECK(strstr(last.out, "usage: photon-stat"));
	CHECK(run("--bogus", NULL) == 2);
	CHECK(run("--watch=0", NULL) == 2);
	CHECK(run("--watch=soon", NULL) == 2);
	CHECK(run("no-such-segment", NULL) == 1);

	/* Interrupted once its first report is in: exits 0, and writes no
	 * terminal escape into a pipe. */
	last.len = 0;
	last.out[0] = '\0';
	pid = spawn(args, &fd);
	collect(fd, "  consumers");
	CHECK(strstr(last.out, "  consumers"));
	CHECK(kill(pid, SIGINT) == 0);
	collect(fd, NULL);
	close(fd);
	last.status = reap(pid);
	CHECK(last.status == 0);
	CHECK(!strchr(last.out, '\033'));
	CHECK(strstr(last.out, "every 0.05s"));
}

int main(int argc, char **argv)
{
	static const int fatal[] = { SIGINT, SIGTERM, SIGALRM, SIGSEGV,
				     SIGBUS, SIGABRT, SIGHUP };
	char name[64], crash[64];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: stat_driver PATH-TO-photon-stat\n");
		return 2;
	}
	stat_path = argv[1];
	atexit(cleanup);
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], on_fatal);
	alarm(WATCHDOG_S);

	snprintf(name, sizeof(name), "photon-stat-test-%ld", (long)getpid());
	snprintf(crash, sizeof(crash), "photon-stat-test-%ld-crash",
		 (long)getpid());
	if (access(photon__shm_dir(0), W_OK) != 0) {
		printf("skipped: %s is not writable here\n",
		       photon__shm_dir(0));
		return 77;
	}
	bounded_channel(name);
	crashed_publisher(crash);
	odd_files();
	usage_and_watch();
	printf("photon-stat: all checks passed\n");
	return 0;
}
