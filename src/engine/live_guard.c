/*
 * The guard of the lab's private node (see live_guard.h): the record in
 * the node's directory, the guardian process, the search for the node's
 * processes by their environment, and the sweep of nodes left behind.
 *
 * live_broker.c calls in here when it makes a node (live_guard_start),
 * once the node's pids are known (live_guard_note) and at exit
 * (live_guard_finish); before making a node it sweeps the parent
 * directory (live_guard_sweep). The guardian is forked in the ordinary
 * flow, never from a signal handler, and leaves with _exit, so the atexit
 * handlers it inherited from the lab never run in it.
 */
#include "engine/live_guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "util/file.h"
#include "util/mono.h"
#include "util/xmalloc.h"

#define LG_KILL_SECONDS 10.0   /* a SIGKILLed beam is gone well before */
#define LG_POLL_MS 50          /* between scans while something is killed */
#define LG_SETTLE_MS 300       /* the second look, for a fork not yet exec'd */
#define LG_FINISH_SECONDS 15.0 /* the lab waits this long for its guardian */
#define LG_PREFIX "rabbitlab-node-"

/* The node this process guards: one at most. */
static struct {
	char dir[PATH_MAX];             /* its directory; "" when none */
	char node[128];                 /* its node name, for the record */
	pid_t lab;                      /* the process that guards it */
	pid_t guard;                    /* the guardian, our child; 0 none */
	int fd;                         /* our write end of its pipe, or -1 */
	unsigned long long lab_start;   /* our start time (/proc stat) */
	unsigned long long guard_start; /* the guardian's */
	pid_t beam;                     /* noted for the record only */
	pid_t epmd;                     /* noted for the record only */
} lg = { .fd = -1 };

/* What a record says about the lab and guardian of a node. */
struct lg_record {
	long lab;                       /* pid, 0 when absent */
	unsigned long long lab_start;   /* its start time, 0 when absent */
	long guard;
	unsigned long long guard_start;
};

/* ---- /proc ------------------------------------------------------------ */

/*
 * Reads /proc/PID/`file` into `buf` (`size` bytes, at most size - 1 read)
 * and ends it with '\0'. Returns how many bytes it read, or 0 when the
 * file cannot be opened or read or is empty.
 */
static size_t
lg_proc_read(long pid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%ld/%s", pid, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/*
 * The start time of `pid` (field 22 of /proc/PID/stat, in clock ticks
 * since boot), which tells a process from a later one given the same pid;
 * 0 when it cannot be read or the process has ended (a zombie).
 */
static unsigned long long
lg_start_time(pid_t pid)
{
	char buf[1024], *p;

	if (lg_proc_read(pid, "stat", buf, sizeof buf) == 0)
		return 0;
	/* The name, field 2, may hold spaces and parentheses: skip past the
	 * last ')'. Field 3 is the state. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	for (int field = 3;; field++) {
		while (*++p == ' ')
			;
		if (*p == '\0')
			return 0;
		if (field == 3 && (*p == 'Z' || *p == 'X'))
			return 0;
		if (field == 22)
			return strtoull(p, NULL, 10);
		while (p[1] != ' ' && p[1] != '\0')
			p++;
	}
}

/* Whether `pid` is the process that started at `start` and still runs. */
static int
lg_alive(long pid, unsigned long long start)
{
	return pid > 0 && start > 0 && lg_start_time((pid_t)pid) == start;
}

int
live_guard_environ_has(pid_t pid, const char *entry)
{
	char path[64], buf[4096];
	size_t len = strlen(entry), at = 0;
	int same = 1, found = 0, fd;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	/* Entries end with '\0' and may straddle two reads: `at` bytes of
	 * the entry under way match `entry` while `same` holds. */
	while (!found) {
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && !found; i++) {
			if (buf[i] == '\0') {
				found = same && at == len;
				same = 1;
				at = 0;
			} else if (same && at < len && buf[i] == entry[at])
				at++;
			else
				same = 0;
		}
	}
	close(fd);
	return found;
}

/* Whether /proc/PID/comm is `comm`. */
static int
lg_comm_is(long pid, const char *comm)
{
	char buf[64];

	if (lg_proc_read(pid, "comm", buf, sizeof buf) == 0)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	return strcmp(buf, comm) == 0;
}

/*
 * Walks /proc for this user's processes, this one excepted, whose
 * environment holds `home` and, when `comm` is not NULL, whose name is
 * `comm`. Sends each `sig` (0: none); with `first`, stops at the first
 * and stores its pid there. Returns how many it found, or -1 when /proc
 * cannot be read.
 */
static int
lg_scan(const char *home, const char *comm, int sig, pid_t *first)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uid_t me = geteuid();
	pid_t self = getpid();
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char path[64], *end;
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;

		if (*end != '\0' || pid <= 0 || pid == (long)self)
			continue;
		snprintf(path, sizeof path, "/proc/%ld", pid);
		if (stat(path, &st) != 0 || st.st_uid != me)
			continue;
		if ((comm && !lg_comm_is(pid, comm)) ||
		    !live_guard_environ_has((pid_t)pid, home))
			continue;
		n++;
		if (sig)
			kill((pid_t)pid, sig);
		if (first) {
			*first = (pid_t)pid;
			break;
		}
	}
	closedir(d);
	return n;
}

int
live_guard_kill_node(const char *dir, double seconds)
{
	char *home = xasprintf("HOME=%s", dir);
	double end = mono_seconds() + seconds;
	int quiet = 0, rc = -1;

	for (;;) {
		int n = lg_scan(home, NULL, SIGKILL, NULL);
		if (n < 0)
			break;
		/* Nothing found twice, LG_SETTLE_MS apart: a child the lab
		 * had forked but not yet exec'd would show by then. */
		if (n == 0 && ++quiet == 2) {
			rc = 0;
			break;
		}
		if (n > 0)
			quiet = 0;
		if (mono_seconds() > end)
			break;
		mono_sleep_ms(n > 0 ? LG_POLL_MS : LG_SETTLE_MS);
	}
	free(home);
	return rc;
}

pid_t
live_guard_find(const char *dir, const char *comm)
{
	char *home = xasprintf("HOME=%s", dir);
	pid_t pid = 0;

	(void)lg_scan(home, comm, 0, &pid);
	free(home);
	return pid;
}

/*
 * Kills the node of `dir` and then removes the directory. A process that
 * outlives its SIGKILL keeps the directory, and with it the record, for a
 * later sweep. Returns 0, or -1 with *cause (when `cause` is not NULL).
 */
static int
lg_reap(const char *dir, char **cause)
{
	if (live_guard_kill_node(dir, LG_KILL_SECONDS) != 0) {
		if (cause)
			*cause = xasprintf("a process of the node in %s is "
			    "still running; its directory is kept", dir);
		return -1;
	}
	return live_broker_rmtree(dir, cause);
}

/* ---- the record -------------------------------------------------------- */

/* Writes lg as the record of lg.dir, atomically. Returns 0 or -1. */
static void
lg_put_record(FILE *f, void *ctx)
{
	(void)ctx;
	fputs("# The lab that owns this private RabbitMQ node. Once "
	    "neither it nor\n# its guardian runs, the next lab to "
	    "start a node removes this one.\n", f);
	fprintf(f, "lab=%ld %llu\n", (long)lg.lab, lg.lab_start);
	if (lg.guard > 0)
		fprintf(f, "guard=%ld %llu\n", (long)lg.guard,
		    lg.guard_start);
	fprintf(f, "node=%s\nbeam=%ld\nepmd=%ld\n", lg.node,
	    (long)lg.beam, (long)lg.epmd);
}

static int
lg_write_record(char **cause)
{
	char *path = xasprintf("%s/%s", lg.dir, LIVE_GUARD_RECORD);
	char *why = NULL;
	int rc = file_replace(path, lg_put_record, NULL, &why);

	if (rc != 0 && cause)
		*cause = why;
	else
		free(why);
	free(path);
	return rc;
}

/* Reads the record of `dir`; -1 when there is none or it names no lab. */
static int
lg_read_record(const char *dir, struct lg_record *r)
{
	char *path = xasprintf("%s/%s", dir, LIVE_GUARD_RECORD), line[256];
	FILE *f = fopen(path, "r");

	free(path);
	memset(r, 0, sizeof *r);
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		long pid;
		unsigned long long start;
		if (sscanf(line, "lab=%ld %llu", &pid, &start) == 2) {
			r->lab = pid;
			r->lab_start = start;
		} else if (sscanf(line, "guard=%ld %llu", &pid, &start) == 2) {
			r->guard = pid;
			r->guard_start = start;
		}
	}
	fclose(f);
	return r->lab > 0 && r->lab_start > 0 ? 0 : -1;
}

int
live_guard_sweep(const char *parent,
    void (*report)(void *ctx, const char *dir, long lab), void *ctx)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct lg_record r;
		struct stat st;
		char *dir;

		if (strncmp(de->d_name, LG_PREFIX, strlen(LG_PREFIX)) != 0)
			continue;
		dir = xasprintf("%s/%s", parent, de->d_name);
		/* A directory of ours, not a link to one; the record is
		 * written before any process of the node starts. */
		if (lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		    st.st_uid == geteuid() && strcmp(dir, lg.dir) != 0 &&
		    lg_read_record(dir, &r) == 0 &&
		    !lg_alive(r.lab, r.lab_start) &&
		    !lg_alive(r.guard, r.guard_start) &&
		    lg_reap(dir, NULL) == 0) {
			n++;
			if (report)
				report(ctx, dir, r.lab);
		}
		free(dir);
	}
	closedir(d);
	return n;
}

/* ---- the guardian ---------------------------------------------------- */

/* Closes every descriptor above stderr but `keep`. */
static void
lg_close_all_but(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (d == NULL) {
		for (int i = 3; i < 1024; i++)
			if (i != keep)
				close(i);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);
		if (fd > 2 && fd != keep && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

/*
 * The guardian's life; it never returns. Deaf to the signals that end a
 * lab in order (^C, SIGTERM, a hang-up, `pkill rabbitlab`), since it must
 * outlive the lab, and out of the lab's session, it holds nothing of the
 * lab's but the read end `fd` and waits for its end of file.
 */
static void
lg_guard_run(int fd)
{
	static const int deaf[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
		SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };
	struct sigaction sa;
	int devnull;
	ssize_t n;
	char c;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof deaf / sizeof deaf[0]; i++)
		sigaction(deaf[i], &sa, NULL);
	setsid();
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	lg_close_all_but(fd);
	/* The lab never writes: anything read is ignored, and only the end
	 * of file (or a broken pipe) counts. */
	do
		n = read(fd, &c, 1);
	while (n > 0 || (n < 0 && errno == EINTR));
	(void)lg_reap(lg.dir, NULL);
	_exit(0);
}

int
live_guard_start(const char *dir, const char *node, char **cause)
{
	int pfd[2];
	pid_t pid;

	if (lg.dir[0] != '\0') {
		*cause = xstrdup("this lab already guards a private node");
		return -1;
	}
	if (strlen(dir) >= sizeof lg.dir || strlen(node) >= sizeof lg.node) {
		*cause = xasprintf("%s: the path or node name is too long",
		    dir);
		return -1;
	}
	lg.lab = getpid();
	lg.lab_start = lg_start_time(lg.lab);
	if (lg.lab_start == 0) {
		*cause = xstrdup("cannot read /proc/self/stat: the guard of a "
		    "private node needs /proc");
		return -1;
	}
	memcpy(lg.dir, dir, strlen(dir) + 1);
	memcpy(lg.node, node, strlen(node) + 1);
	lg.beam = lg.epmd = 0;
	/* The record first, naming the lab alone: should the lab die before
	 * its guardian runs, a sweep still finds the directory. */
	if (lg_write_record(cause) != 0) {
		lg.dir[0] = '\0';
		return -1;
	}
	if (pipe(pfd) != 0) {
		*cause = xasprintf("pipe: %s", strerror(errno));
		lg.dir[0] = '\0';
		return -1;
	}
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	if (pid == 0)
		lg_guard_run(pfd[0]);
	close(pfd[0]);
	if (pid < 0) {
		*cause = xasprintf("cannot fork the guardian of the private "
		    "node: %s", strerror(errno));
		close(pfd[1]);
		lg.dir[0] = '\0';
		return -1;
	}
	lg.guard = pid;
	lg.fd = pfd[1];
	lg.guard_start = lg_start_time(pid);
	(void)lg_write_record(NULL);
	return 0;
}

void
live_guard_note(pid_t beam, pid_t epmd)
{
	if (lg.dir[0] == '\0' || getpid() != lg.lab)
		return;
	lg.beam = beam;
	lg.epmd = epmd;
	(void)lg_write_record(NULL);
}

int
live_guard_finish(char **cause)
{
	double end = mono_seconds() + LG_FINISH_SECONDS;
	int rc;

	/* A child that inherited lg and ran exit() owns nothing. */
	if (lg.dir[0] == '\0' || getpid() != lg.lab)
		return 0;
	rc = lg_reap(lg.dir, cause);
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	/* It reads the end of file, finds nothing left and exits. */
	while (lg.guard > 0 && waitpid(lg.guard, NULL, WNOHANG) == 0 &&
	    mono_seconds() < end)
		mono_sleep_ms(20);
	lg.guard = 0;
	lg.dir[0] = '\0';
	return rc;
}
