/*
 * The node behind the live engine: target resolution and the private node.
 *
 * Resolution reads at most one URL (argument, environment or config file)
 * and keeps its password in struct live_target only. A private node is a
 * plain rabbitmq-server started as this user with every RABBITMQ_* path in
 * one directory, as shared/rabbitmq-facts.md describes; its own epmd runs on
 * a private loopback port (ERL_EPMD_PORT, ERL_EPMD_ADDRESS). The environment
 * of the node is written to node.env in its directory, the same file
 * tests/live/run.sh writes for a node it shares across a test run, so the
 * lab can restart either kind after a crash.
 *
 * Children (rabbitmq-server, rabbitmqctl) are forked and exec'd directly
 * with an explicit environment, which holds HOME=<the node's directory>.
 * A crash or a clean stop signals only the beam pid this module learnt. No
 * shell runs anywhere: the node's directory is removed in process
 * (live_broker_rmtree). A node this process made is guarded (live_guard.h):
 * when it is stopped for good, at exit by this process or, should the lab
 * end any other way (a signal, kill -9, a crash), by the guardian forked
 * before the node started, every process holding that HOME gets SIGKILL
 * (the beam, epmd and the rest) and the directory is removed; nodes left
 * by earlier labs whose guardian died too are swept before a new one is
 * made.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* nftw */
#endif
#include "engine/live_broker.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <ftw.h>
#include <libconfig.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <assert.h>
#include <sys/socket.h>

#include "engine/live_guard.h"
#include "engine/live_url.h"
#include "util/file.h"
#include "util/mono.h"
#include "util/xmalloc.h"

#define LB_SERVER "/usr/lib/rabbitmq/bin/rabbitmq-server"
#define LB_CTL "/usr/lib/rabbitmq/bin/rabbitmqctl"
#define LB_BOOT_SECONDS 180 /* a loaded 2-core machine can take a while */
#define LB_MAX_ENV 24

extern char **environ;

/* The node the lab owns, if any: one per process. */
static struct {
	int resolved;            /* resolution ran and succeeded */
	int force_private;       /* --spawn-broker: skip URL, env and config */
	struct live_target target;
	int owned;               /* a private node: crash, stop, start allowed */
	int made_here;           /* this process created it: stop it at exit */
	char dir[PATH_MAX];
	char node[128];
	char *env[LB_MAX_ENV];   /* KEY=VALUE for the node and its CLI */
	size_t nenv;
	pid_t shell;             /* the rabbitmq-server script we forked */
	pid_t beam;              /* the beam.smp pid, 0 unknown */
	int epmd_port;
	int at_exit;             /* lb_at_exit is registered */
	char listen_host[64];    /* a private node's AMQP address; "": loopback */
	int listen_port;         /* and port; 0: a free one */
} lb;

static void (*lb_progress_fn)(void *, const char *);
static void *lb_progress_ctx;
static int lb_progress_set;

/* ---- progress -------------------------------------------------------- */

static void
lb_progress_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "rabbitlab: %s\n", line);
}

void
live_broker_set_progress(void (*fn)(void *ctx, const char *line), void *ctx)
{
	lb_progress_fn = fn;
	lb_progress_ctx = ctx;
	lb_progress_set = 1;
}

void
live_broker_progress(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!lb_progress_set) {
		lb_progress_fn = lb_progress_stderr;
		lb_progress_set = 1;
	}
	if (lb_progress_fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	lb_progress_fn(lb_progress_ctx, line);
}

/* ---- targets --------------------------------------------------------- */

/*
 * amqp://user@host:port for the default vhost "/" (a trailing "/" would
 * name the empty vhost), amqp://user@host:port/VHOST otherwise, with "/"
 * in the name written %2f. Never the password.
 */
static void
lb_display(struct live_target *t)
{
	char vh[800];
	size_t n = 0;

	for (const char *s = t->vhost; *s && n + 4 < sizeof vh; s++) {
		if (*s == '/') {
			memcpy(vh + n, "%2f", 3);
			n += 3;
		} else
			vh[n++] = *s;
	}
	vh[n] = '\0';
	if (strcmp(t->vhost, "/") == 0)
		snprintf(t->display, sizeof t->display, "amqp://%s@%s:%d",
		    t->user, t->host, t->port);
	else
		snprintf(t->display, sizeof t->display, "amqp://%s@%s:%d/%s",
		    t->user, t->host, t->port, vh);
}

/* Copies with truncation check; returns 0 or -1. */
static int
lb_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

int
live_broker_parse_url(const char *url, const char *what, struct live_target *t,
    char **cause)
{
	struct amqp_connection_info ci;
	char *buf;
	size_t n;
	int rc;

	if (strchr(url, '?')) {
		*cause = xasprintf("%s: query strings (?heartbeat=...) are not "
		    "accepted; heartbeat is a lab toggle", what);
		return -1;
	}
	buf = xstrdup(url);
	amqp_default_connection_info(&ci);
	rc = amqp_parse_url(buf, &ci);
	if (rc != AMQP_STATUS_OK) {
		free(buf);
		*cause = xasprintf("%s: not an amqp://user:password@host:port/"
		    "vhost URL (%s)", what, amqp_error_string2(rc));
		return -1;
	}
	if (ci.ssl) {
		free(buf);
		*cause = xasprintf("%s: amqps:// is not supported by the lab",
		    what);
		return -1;
	}
	memset(t, 0, sizeof *t);
	if (lb_copy(t->host, sizeof t->host, ci.host) ||
	    lb_copy(t->user, sizeof t->user, ci.user) ||
	    lb_copy(t->password, sizeof t->password, ci.password) ||
	    lb_copy(t->vhost, sizeof t->vhost, ci.vhost)) {
		memset(buf, 0, strlen(url));
		free(buf);
		*cause = xasprintf("%s: a part of the URL is too long", what);
		return -1;
	}
	t->port = ci.port;
	/* amqp_parse_url reads "amqp://h/" as vhost "", "amqp://h" as "/". */
	n = strlen(url);
	t->vhost_slash = t->vhost[0] == '\0' && n > 0 && url[n - 1] == '/';
	memset(buf, 0, strlen(url));
	free(buf);
	lb_display(t);
	return 0;
}

/* $XDG_CONFIG_HOME/rabbitlab/config, or ~/.config/rabbitlab/config. */
static char *
lb_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		return xasprintf("%s/rabbitlab/config", xdg);
	if (home && *home)
		return xasprintf("%s/.config/rabbitlab/config", home);
	return NULL;
}

/*
 * A password in a file others may read is no secret: says so once per
 * process (a lab run resolves its broker once per engine it makes).
 */
static void
lb_config_mode_warn(const char *path, const struct stat *st, const char *url)
{
	static int warned;

	if (warned || (st->st_mode & 077) == 0 ||
	    !live_url_password(url, NULL, NULL))
		return;
	warned = 1;
	live_broker_progress("warning: %s holds a broker password and others "
	    "may read it (mode %04o): chmod 600 %s", path,
	    (unsigned)(st->st_mode & 07777), path);
}

int
live_broker_config_url(const char *key, char **url, char **path_out,
    char **cause)
{
	char *path = lb_config_path();
	config_t cf;
	const char *v = NULL;
	struct stat st;

	*url = NULL;
	*path_out = path;
	if (path == NULL || stat(path, &st) != 0)
		return 0;
	config_init(&cf);
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		*cause = xasprintf("%s:%d: %s", path, config_error_line(&cf),
		    config_error_text(&cf) ? config_error_text(&cf) :
		    "cannot read the file");
		config_destroy(&cf);
		return -1;
	}
	if (config_lookup_string(&cf, key, &v) == CONFIG_TRUE) {
		*url = xstrdup(v);
		lb_config_mode_warn(path, &st, v);
	} else if (config_lookup(&cf, key) != NULL) {
		*cause = xasprintf("%s: %s must be a string "
		    "(%s = \"amqp://...\";)", path, key, key);
		config_destroy(&cf);
		return -1;
	}
	config_destroy(&cf);
	return 0;
}

/* ---- the private node: environment ----------------------------------- */

static const char *
lb_env_get(const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < lb.nenv; i++)
		if (strncmp(lb.env[i], key, kl) == 0 && lb.env[i][kl] == '=')
			return lb.env[i] + kl + 1;
	return NULL;
}

static void
lb_env_set(const char *key, const char *value)
{
	size_t kl = strlen(key);

	for (size_t i = 0; i < lb.nenv; i++)
		if (strncmp(lb.env[i], key, kl) == 0 && lb.env[i][kl] == '=') {
			free(lb.env[i]);
			lb.env[i] = xasprintf("%s=%s", key, value);
			return;
		}
	if (lb.nenv < LB_MAX_ENV)
		lb.env[lb.nenv++] = xasprintf("%s=%s", key, value);
}

/*
 * The environment of a child: ours without any RABBITMQ_*, ERL_EPMD_* or
 * HOME (which would point the node elsewhere), plus the node's. The array
 * and its strings are freed with lb_envp_free.
 */
static char **
lb_envp(void)
{
	size_t n = 0, k = 0;
	char **envp;

	for (char **e = environ; *e; e++)
		n++;
	envp = xcalloc(n + lb.nenv + 1, sizeof *envp);
	for (char **e = environ; *e; e++) {
		if (strncmp(*e, "RABBITMQ_", 9) == 0 ||
		    strncmp(*e, "ERL_EPMD_", 9) == 0 ||
		    strncmp(*e, "HOME=", 5) == 0 ||
		    strncmp(*e, "LAB_", 4) == 0)
			continue;
		envp[k++] = xstrdup(*e);
	}
	for (size_t i = 0; i < lb.nenv; i++)
		envp[k++] = xstrdup(lb.env[i]);
	envp[k] = NULL;
	return envp;
}

static void
lb_envp_free(char **envp)
{
	for (char **e = envp; *e; e++)
		free(*e);
	free(envp);
}

static void
lb_put_env(FILE *f, void *ctx)
{
	(void)ctx;
	fputs("# The private RabbitMQ node of rabbitlab: KEY=VALUE lines.\n", f);
	for (size_t i = 0; i < lb.nenv; i++)
		fprintf(f, "%s\n", lb.env[i]);
}

static int
lb_write_env(char **cause)
{
	char *path = xasprintf("%s/node.env", lb.dir);
	int rc = file_replace(path, lb_put_env, NULL, cause);

	free(path);
	return rc;
}

/* Reads DIR/node.env. Returns 0, or -1 with *cause. */
static int
lb_read_env(const char *dir, char **cause)
{
	char *path = xasprintf("%s/node.env", dir), line[PATH_MAX + 256];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		*cause = xasprintf("RABBITLAB_NODE: %s: %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *eq;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		lb_env_set(line, eq + 1);
	}
	fclose(f);
	free(path);
	if (lb_env_get("RABBITMQ_NODENAME") == NULL ||
	    lb_env_get("RABBITMQ_NODE_PORT") == NULL) {
		*cause = xasprintf("RABBITLAB_NODE: %s/node.env names no "
		    "RABBITMQ_NODENAME and RABBITMQ_NODE_PORT", dir);
		return -1;
	}
	return 0;
}

/* A TCP socket bound to 127.0.0.1:port (0: the kernel's choice), or -1. */
static int
lb_bind_loopback(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* n (at most 8) distinct free loopback ports, as port 0 picks them. */
static int
lb_free_ports_any(int *ports, int n)
{
	int fds[8];
	int rc = 0;

	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;

		fds[i] = lb_bind_loopback(0);
		if (fds[i] < 0 || getsockname(fds[i], (struct sockaddr *)&sa,
		    &sl) != 0) {
			rc = -1;
			ports[i] = 0;
		} else
			ports[i] = ntohs(sa.sin_port);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

/*
 * The lowest port the kernel hands out by itself (connect() and bind() to
 * port 0 take theirs from ip_local_port_range); 32768 if unknown.
 */
static int
lb_ephemeral_low(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int lo = 32768;

	if (f != NULL) {
		if (fscanf(f, "%d", &lo) != 1)
			lo = 32768;
		fclose(f);
	}
	return lo;
}

/*
 * n (at most 8) distinct free loopback ports, below the ephemeral range: a
 * node's port must still be free when the node comes back after kill -9,
 * and any connection made meanwhile (a client retrying to this very port
 * included) may be given a free ephemeral port. Taken from a window of up
 * to 16384 ports under the range, starting at a point of this pid's; port
 * 0's choice when the window is too small.
 */
static int
lb_free_ports(int *ports, int n)
{
	int fds[8], lo = lb_ephemeral_low(), got = 0;
	int base = lo - 16384 < 10000 ? 10000 : lo - 16384;
	int span = lo - base;

	assert(n <= 8);
	for (int k = 0; k < span && got < n; k++) {
		int port = base + (int)(((unsigned)getpid() * 7919u +
		    (unsigned)k) % (unsigned)span);

		if ((fds[got] = lb_bind_loopback(port)) >= 0)
			ports[got++] = port;
	}
	for (int i = 0; i < got; i++)
		close(fds[i]);
	return got == n ? 0 : lb_free_ports_any(ports, n);
}

/*
 * Whether port is free on IPv4 address host (a dotted quad): 0, or -1 with
 * *cause saying why a node could not listen there.
 */
static int
lb_port_free(const char *host, int port, char **cause)
{
	struct sockaddr_in sa;
	int fd, rc;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		*cause = xasprintf("'%s' is not an IPv4 address", host);
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	rc = fd >= 0 ? bind(fd, (struct sockaddr *)&sa, sizeof sa) : -1;
	if (rc != 0)
		*cause = xasprintf("a node cannot listen on %s:%d: %s", host,
		    port, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc == 0 ? 0 : -1;
}

/* ---- children -------------------------------------------------------- */

/*
 * Runs rabbitmqctl with `args` against the node; its output (stdout and
 * stderr) goes into out (at most len - 1 bytes, terminated). Gives up and
 * kills it after `timeout_s`. Returns its exit status, or -1.
 */
static int
lb_ctl(const char *const *args, char *out, size_t len, double timeout_s)
{
	int pfd[2], status = -1;
	const char *argv[16];
	size_t n = 0, got = 0;
	char **envp;
	pid_t pid;
	double end = mono_seconds() + timeout_s;

	argv[n++] = LB_CTL;
	argv[n++] = "-n";
	argv[n++] = lb.node;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(pfd) != 0)
		return -1;
	envp = lb_envp();
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		execve(LB_CTL, (char *const *)argv, envp);
		_exit(127);
	}
	lb_envp_free(envp);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p = { pfd[0], POLLIN, 0 };
		double left = end - mono_seconds();
		ssize_t r;
		char sink[256];

		if (left <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		if (got + 1 < len)
			r = read(pfd[0], out + got, len - 1 - got);
		else
			r = read(pfd[0], sink, sizeof sink);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		if (got + 1 < len)
			got += (size_t)r;
	}
	close(pfd[0]);
	if (len)
		out[got < len ? got : len - 1] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reaps the server script if it exited. */
static void
lb_reap(void)
{
	if (lb.shell > 0 && waitpid(lb.shell, NULL, WNOHANG) == lb.shell)
		lb.shell = 0;
}

static int
lb_pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The first failure of the removal under way: nftw passes no context. */
static char *lb_rm_cause;

static int
lb_rm_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	int rc;

	(void)st;
	(void)ftw;
	/* FTW_DEPTH: a directory comes after its entries (FTW_DP), or
	 * unread (FTW_DNR: rmdir then fails unless it is empty). FTW_PHYS:
	 * a link is FTW_SL or FTW_SLN, removed as itself. */
	if (type == FTW_DP || type == FTW_DNR)
		rc = rmdir(path);
	else
		rc = unlink(path);
	if (rc != 0 && errno != ENOENT && lb_rm_cause == NULL)
		lb_rm_cause = xasprintf("cannot remove %s: %s", path,
		    strerror(errno));
	return 0; /* go on: remove all that can be */
}

int
live_broker_rmtree(const char *path, char **cause)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		lb_rm_cause = xasprintf("%s: %s", path, strerror(errno));
	} else if (nftw(path, lb_rm_entry, 16,
	    FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 && lb_rm_cause == NULL)
		lb_rm_cause = xasprintf("%s: %s", path, strerror(errno));
	if (lb_rm_cause == NULL)
		return 0;
	if (cause)
		*cause = lb_rm_cause;
	else
		free(lb_rm_cause);
	lb_rm_cause = NULL;
	return -1;
}

/* Waits for `pid` to exit, for at most `seconds`; returns 1 if it did. */
static int
lb_wait_gone(pid_t pid, double seconds)
{
	double end = mono_seconds() + seconds;

	while (lb_pid_alive(pid)) {
		lb_reap();
		if (mono_seconds() > end)
			return 0;
		mono_sleep_ms(50);
	}
	lb_reap();
	return 1;
}

/*
 * atexit: a node this process made goes with it. The node's directory is
 * thrown away, so nothing is gained by a clean stop: its processes get
 * SIGKILL (live_guard_finish), the fastest way out.
 */
static void
lb_at_exit(void)
{
	char *cause = NULL;

	if (!lb.made_here)
		return;
	if (live_broker_running())
		live_broker_progress("stopping the private RabbitMQ node %s",
		    lb.node);
	if (live_guard_finish(&cause) != 0) {
		live_broker_progress("%s", cause);
		free(cause);
	}
	lb_reap();
	lb.shell = 0;
	lb.beam = 0;
	lb.made_here = 0;
}

/* ---- the private node: lifecycle ------------------------------------- */

int
live_broker_spawn(char **cause)
{
	char **envp;
	char *log;
	pid_t pid;
	const char *argv[] = { LB_SERVER, NULL };

	if (!lb.owned) {
		*cause = xstrdup("the lab does not own this broker");
		return -1;
	}
	lb_reap();
	if (lb.beam > 0 && lb_pid_alive(lb.beam)) {
		*cause = xasprintf("the node %s is still running", lb.node);
		return -1;
	}
	log = xasprintf("%s/out.log", lb.dir);
	envp = lb_envp();
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		setsid();
		dup2(devnull, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (chdir(lb.dir) != 0)
			_exit(126);
		execve(LB_SERVER, (char *const *)argv, envp);
		_exit(127);
	}
	lb_envp_free(envp);
	free(log);
	if (pid < 0) {
		*cause = xasprintf("cannot start %s: %s", LB_SERVER,
		    strerror(errno));
		return -1;
	}
	lb.shell = pid;
	lb.beam = 0;
	return 0;
}

/* Whether `pid`'s environment names our node (the name is not on argv). */
static int
lb_pid_is_node(pid_t pid)
{
	char want[160];

	snprintf(want, sizeof want, "RABBITMQ_NODENAME=%s", lb.node);
	return live_guard_environ_has(pid, want);
}

int
live_broker_started(char **cause)
{
	const char *args[] = { "eval", "os:getpid().", NULL };
	char out[256], *p;
	long pid;
	int rc;

	if (!lb.owned)
		return 0;
	rc = lb_ctl(args, out, sizeof out, 60);
	p = strchr(out, '"');
	pid = p ? strtol(p + 1, NULL, 10) : 0;
	if (rc != 0 || pid <= 1 || !lb_pid_is_node((pid_t)pid)) {
		*cause = xasprintf("rabbitmqctl -n %s eval 'os:getpid().' did "
		    "not name the node's process (exit %d)", lb.node, rc);
		return -1;
	}
	lb.beam = (pid_t)pid;
	{
		char buf[32];
		snprintf(buf, sizeof buf, "%ld", pid);
		lb_env_set("LAB_PID", buf);
	}
	lb_write_env(cause);
	if (lb.made_here)
		live_guard_note(lb.beam, live_guard_find(lb.dir, "epmd"));
	return 0;
}

/*
 * Blocks until the node answers an AMQP login (guest on loopback) or
 * `seconds` pass; prints progress every few seconds. Returns 0 or -1.
 */
static int
lb_wait_amqp(double seconds)
{
	double t0 = mono_seconds(), next = t0 + 3;

	for (;;) {
		amqp_connection_state_t c = amqp_new_connection();
		amqp_socket_t *s = amqp_tcp_socket_new(c);
		struct timeval tv = { 1, 0 };
		int ok = 0;

		if (s && amqp_socket_open_noblock(s, lb.target.host,
		    lb.target.port, &tv) == AMQP_STATUS_OK) {
			amqp_rpc_reply_t r;
			amqp_set_handshake_timeout(c, &tv);
			r = amqp_login(c, lb.target.vhost, 0, 131072, 0,
			    AMQP_SASL_METHOD_PLAIN, lb.target.user,
			    lb.target.password);
			ok = r.reply_type == AMQP_RESPONSE_NORMAL;
			if (ok)
				amqp_connection_close(c, AMQP_REPLY_SUCCESS);
			/* guest refused off loopback: the node is up. */
			ok = ok || (lb.listen_host[0] &&
			    r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION);
		}
		amqp_destroy_connection(c);
		if (ok)
			return 0;
		lb_reap();
		if (lb.shell == 0 && lb.made_here) {
			live_broker_progress("the RabbitMQ node %s exited while "
			    "starting; see %s/out.log", lb.node, lb.dir);
			return -1;
		}
		if (mono_seconds() - t0 > seconds)
			return -1;
		if (mono_seconds() > next) {
			live_broker_progress("  still starting (%.0f s)",
			    mono_seconds() - t0);
			next += 3;
		}
		mono_sleep_ms(150);
	}
}

static void
lb_swept(void *ctx, const char *dir, long lab)
{
	(void)ctx;
	live_broker_progress("removed the private RabbitMQ node in %s, left "
	    "running by lab %ld", dir, lab);
}

/*
 * The node's directory and name, guarded before any process of the node
 * exists: from here on the node goes with this process, at exit
 * (lb_at_exit) or by its guardian. Sweeps what earlier labs left in the
 * same parent first. Returns 0, or -1 with *cause.
 */
static int
lb_make_dir(char **cause)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	const char *parent = rt && *rt && access(rt, W_OK) == 0 ? rt : "/tmp";

	(void)live_guard_sweep(parent, lb_swept, NULL);
	snprintf(lb.dir, sizeof lb.dir, "%s/rabbitlab-node-XXXXXX", parent);
	if (mkdtemp(lb.dir) == NULL) {
		*cause = xasprintf("%s: %s", lb.dir, strerror(errno));
		return -1;
	}
	snprintf(lb.node, sizeof lb.node, "lab%ld@localhost", (long)getpid());
	if (live_guard_start(lb.dir, lb.node, cause) != 0) {
		(void)live_broker_rmtree(lb.dir, NULL);
		return -1;
	}
	lb.made_here = 1;
	if (!lb.at_exit) {
		lb.at_exit = 1;
		atexit(lb_at_exit);
	}
	return 0;
}

/* Creates a private node in a fresh directory and starts it. */
static int
lb_create_node(char **cause)
{
	int ports[3];
	char buf[64], *path;
	const char *host = lb.listen_host[0] ? lb.listen_host : "127.0.0.1";
	FILE *f;
	double t0;

	if (access(LB_SERVER, X_OK) != 0) {
		*cause = xasprintf("no broker: no URL was given (engine option, "
		    "RABBITLAB_URL or the config file) and %s is not "
		    "installed (make deps installs rabbitmq-server)", LB_SERVER);
		return -1;
	}
	if (lb_free_ports(ports, 3) != 0) {
		*cause = xstrdup("no free loopback ports for a private node");
		return -1;
	}
	if (lb.listen_port)
		ports[0] = lb.listen_port;
	if (lb_port_free(host, ports[0], cause) != 0 || lb_make_dir(cause) != 0)
		return -1;
	lb.owned = 1;
	/* The guard knows the node's processes by this HOME. */
	lb_env_set("HOME", lb.dir);
	lb_env_set("RABBITMQ_NODENAME", lb.node);
	snprintf(buf, sizeof buf, "%d", ports[0]);
	lb_env_set("RABBITMQ_NODE_PORT", buf);
	lb_env_set("RABBITMQ_NODE_IP_ADDRESS", host);
	snprintf(buf, sizeof buf, "%d", ports[1]);
	lb_env_set("RABBITMQ_DIST_PORT", buf);
	snprintf(buf, sizeof buf, "%d", ports[2]);
	lb_env_set("ERL_EPMD_PORT", buf);
	lb_env_set("ERL_EPMD_ADDRESS", "127.0.0.1");
	lb.epmd_port = ports[2];
	path = xasprintf("%s/mnesia", lb.dir);
	lb_env_set("RABBITMQ_MNESIA_BASE", path);
	free(path);
	path = xasprintf("%s/log", lb.dir);
	lb_env_set("RABBITMQ_LOG_BASE", path);
	free(path);
	path = xasprintf("%s/plugins", lb.dir);
	lb_env_set("RABBITMQ_ENABLED_PLUGINS_FILE", path);
	f = fopen(path, "w");
	if (f) {
		fputs("[].\n", f);
		fclose(f);
	}
	free(path);
	path = xasprintf("%s/rabbitmq", lb.dir);
	lb_env_set("RABBITMQ_CONFIG_FILE", path);
	free(path);
	lb_env_set("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
	    "-kernel inet_dist_use_interface {127,0,0,1}");
	if (lb_write_env(cause) != 0)
		return -1;
	/* Listening on every address, it is reached on loopback. */
	snprintf(lb.target.host, sizeof lb.target.host, "%s",
	    strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host);
	lb.target.port = ports[0];
	snprintf(lb.target.user, sizeof lb.target.user, "guest");
	snprintf(lb.target.password, sizeof lb.target.password, "guest");
	snprintf(lb.target.vhost, sizeof lb.target.vhost, "/");
	lb.target.owned = 1;
	lb_display(&lb.target);
	live_broker_progress("starting a private RabbitMQ node %s on "
	    "%s:%d (data in %s; this takes a few seconds)", lb.node, host,
	    ports[0], lb.dir);
	t0 = mono_seconds();
	if (live_broker_spawn(cause) != 0)
		return -1;
	if (lb_wait_amqp(LB_BOOT_SECONDS) != 0) {
		*cause = xasprintf("the private RabbitMQ node %s did not come "
		    "up; see %s/out.log", lb.node, lb.dir);
		return -1;
	}
	if (live_broker_started(cause) != 0)
		return -1;
	live_broker_progress("node %s up after %.1f s (pid %ld)", lb.node,
	    mono_seconds() - t0, (long)lb.beam);
	return 0;
}

/* Adopts the node tests/live/run.sh described in RABBITLAB_NODE. */
static int
lb_adopt_node(const char *dir, char **cause)
{
	const char *v;
	char *end;
	long pid;

	if (lb_copy(lb.dir, sizeof lb.dir, dir) != 0) {
		*cause = xstrdup("RABBITLAB_NODE: the path is too long");
		return -1;
	}
	if (lb_read_env(dir, cause) != 0)
		return -1;
	if (lb_copy(lb.node, sizeof lb.node, lb_env_get("RABBITMQ_NODENAME"))) {
		*cause = xstrdup("RABBITLAB_NODE: the node name is too long");
		return -1;
	}
	lb.owned = 1;
	snprintf(lb.target.host, sizeof lb.target.host, "127.0.0.1");
	lb.target.port = (int)strtol(lb_env_get("RABBITMQ_NODE_PORT"), &end,
	    10);
	snprintf(lb.target.user, sizeof lb.target.user, "guest");
	snprintf(lb.target.password, sizeof lb.target.password, "guest");
	snprintf(lb.target.vhost, sizeof lb.target.vhost, "/");
	lb.target.owned = 1;
	lb_display(&lb.target);
	v = lb_env_get("LAB_PID");
	pid = v ? strtol(v, NULL, 10) : 0;
	if (pid > 1 && lb_pid_alive((pid_t)pid) && lb_pid_is_node((pid_t)pid))
		lb.beam = (pid_t)pid;
	if (lb.beam == 0) {
		/* Down after a crash in an earlier run, or pid unknown. */
		if (lb_wait_amqp(0.5) != 0) {
			double t0 = mono_seconds();
			live_broker_progress("starting the shared RabbitMQ node "
			    "%s again", lb.node);
			if (live_broker_spawn(cause) != 0)
				return -1;
			if (lb_wait_amqp(LB_BOOT_SECONDS) != 0) {
				*cause = xasprintf("the RabbitMQ node %s did not "
				    "come up; see %s/out.log", lb.node, dir);
				return -1;
			}
			live_broker_progress("node %s up after %.1f s", lb.node,
			    mono_seconds() - t0);
		}
		if (live_broker_started(cause) != 0)
			return -1;
	}
	return 0;
}

int
live_broker_resolve(const char *url, struct live_target *t, char **cause)
{
	const char *env = getenv("RABBITLAB_URL"), *node = getenv(
	    "RABBITLAB_NODE");
	char *curl = NULL, *cpath = NULL;
	int rc;

	if (lb.force_private && !lb.resolved) {
		if (lb_create_node(cause) != 0)
			return -1;
		lb.resolved = 1;
	}
	if (lb.force_private) {
		*t = lb.target;
		return 0;
	}
	if (url && *url)
		return live_broker_parse_url(url, "the broker URL", t, cause);
	if (env && *env)
		return live_broker_parse_url(env, "RABBITLAB_URL", t, cause);
	if (lb.resolved) {
		*t = lb.target;
		return 0;
	}
	if (node && *node) {
		if (lb_adopt_node(node, cause) != 0)
			return -1;
		lb.resolved = 1;
		*t = lb.target;
		return 0;
	}
	if (live_broker_config_url("broker", &curl, &cpath, cause) != 0) {
		free(cpath);
		return -1;
	}
	if (curl) {
		char *what = xasprintf("%s: broker", cpath);
		rc = live_broker_parse_url(curl, what, t, cause);
		memset(curl, 0, strlen(curl));
		free(curl);
		free(what);
		free(cpath);
		return rc;
	}
	free(cpath);
	if (lb_create_node(cause) != 0)
		return -1;
	lb.resolved = 1;
	*t = lb.target;
	return 0;
}

void
live_broker_force_private(void)
{
	lb.force_private = 1;
}

int
live_broker_listen_on(const char *host, int port, char **cause)
{
	struct in_addr a;

	if (strlen(host) >= sizeof lb.listen_host ||
	    inet_pton(AF_INET, host, &a) != 1) {
		*cause = xasprintf("'%s' is not an IPv4 address (such as "
		    "127.0.0.1, or 0.0.0.0 for every address)", host);
		return -1;
	}
	snprintf(lb.listen_host, sizeof lb.listen_host, "%s", host);
	lb.listen_port = port;
	return 0;
}

const char *
live_broker_dir(void)
{
	return lb.owned && lb.resolved ? lb.dir : NULL;
}

int
live_broker_import(const char *path, char **cause)
{
	const char *args[] = { "import_definitions", path, NULL };
	char out[1024];
	int rc;

	if (!live_broker_owned()) {
		*cause = xstrdup("definitions are imported through rabbitmqctl, "
		    "which only reaches a node the lab started");
		return -1;
	}
	rc = lb_ctl(args, out, sizeof out, 120);
	if (rc != 0) {
		out[strcspn(out, "\n")] = '\0';
		*cause = xasprintf("rabbitmqctl import_definitions failed (exit "
		    "%d): %s", rc, out);
		return -1;
	}
	return 0;
}

int
live_broker_owned(void)
{
	return lb.owned && lb.resolved;
}

int
live_broker_running(void)
{
	lb_reap();
	return lb.beam > 0 ? lb_pid_alive(lb.beam) : lb.shell > 0;
}

const char *
live_broker_node(void)
{
	return lb.owned ? lb.node : "";
}

int
live_broker_kill(char **cause)
{
	if (!live_broker_owned()) {
		*cause = xstrdup("the lab did not start this broker");
		return -1;
	}
	if (lb.beam <= 0 || !lb_pid_alive(lb.beam)) {
		*cause = xasprintf("the node %s is not running", lb.node);
		return -1;
	}
	kill(lb.beam, SIGKILL);
	lb_wait_gone(lb.beam, 10);
	lb.beam = 0;
	return 0;
}

int
live_broker_term(char **cause)
{
	if (!live_broker_owned()) {
		*cause = xstrdup("the lab did not start this broker");
		return -1;
	}
	if (lb.beam <= 0 || !lb_pid_alive(lb.beam)) {
		*cause = xasprintf("the node %s is not running", lb.node);
		return -1;
	}
	kill(lb.beam, SIGTERM);
	return 0;
}

int
live_broker_policy(const char *vhost, const char *name, const char *pattern,
    const char *definition, char **cause)
{
	char out[1024];
	int rc;

	if (!live_broker_owned()) {
		*cause = xstrdup("policies are set through rabbitmqctl, which "
		    "only reaches a node the lab started");
		return -1;
	}
	if (definition) {
		const char *args[] = { "set_policy", "-p", vhost, "--apply-to",
			"queues", "--priority", "100", name, pattern,
			definition, NULL };
		rc = lb_ctl(args, out, sizeof out, 60);
	} else {
		const char *args[] = { "clear_policy", "-p", vhost, name, NULL };
		rc = lb_ctl(args, out, sizeof out, 60);
	}
	if (rc != 0) {
		out[strcspn(out, "\n")] = '\0';
		*cause = xasprintf("rabbitmqctl %s_policy failed (exit %d): %s",
		    definition ? "set" : "clear", rc, out);
		return -1;
	}
	return 0;
}

int
live_broker_queue_policy(const char *vhost, const char *name,
    const char *queue, int64_t max_length, int reject_publish,
    int64_t ttl_ms, char **cause)
{
	char pattern[512], def[256];
	size_t n = 0;

	/* ^ + the queue's name with regex characters escaped + $ */
	pattern[n++] = '^';
	for (const char *s = queue; *s && n + 3 < sizeof pattern; s++) {
		if (strchr(".^$*+?()[]{}|\\", *s))
			pattern[n++] = '\\';
		pattern[n++] = *s;
	}
	pattern[n++] = '$';
	pattern[n] = '\0';
	snprintf(def, sizeof def, "{");
	if (max_length >= 0)
		snprintf(def + strlen(def), sizeof def - strlen(def),
		    "\"max-length\":%" PRId64 ",\"overflow\":\"%s\"",
		    max_length, reject_publish ? "reject-publish" : "drop-head");
	if (ttl_ms >= 0)
		snprintf(def + strlen(def), sizeof def - strlen(def),
		    "%s\"message-ttl\":%" PRId64, max_length >= 0 ? "," : "",
		    ttl_ms);
	snprintf(def + strlen(def), sizeof def - strlen(def), "}");
	return live_broker_policy(vhost, name, pattern, def, cause);
}
