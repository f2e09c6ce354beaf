/*
 * A live session's random prefix and the per-user record of what sessions
 * declared on brokers the lab did not start; see live_session.h for the
 * contract. The record is a small text file, one item per line:
 *
 *     rabbitlab session record 1
 *     broker 127.0.0.1:5672//
 *     prefix rabbitlab.1f0c9e2a.
 *     pid 4242
 *     x rabbitlab.1f0c9e2a.pay.direct
 *     q rabbitlab.1f0c9e2a.trade.pay
 *
 * Whether its session lives is never read from the file (a pid means
 * nothing in another pid namespace, and pids are reused): the flock(2) the
 * session holds says it. The pid is there for a person reading the file.
 */
#include "engine/live_session.h"

#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/xmalloc.h"

#define LS_HEADER "rabbitlab session record 1"
#define LS_SUFFIX ".names"
#define LS_RECORD_MAX (1 << 20) /* a larger file is not one of ours */

struct live_session {
	int fd;                  /* the record, locked (LOCK_EX) */
	char *path;              /* its final name */
	char prefix[LIVE_SESSION_PREFIX_LEN + 1];
};

/* ---- the prefix ------------------------------------------------------- */

/* n random bytes into buf; 0, or -1 if the system has none to give. */
static int
ls_random(unsigned char *buf, size_t n)
{
	size_t got = 0;
	int fd;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno != EINTR)
			break;
	}
	if (got == n)
		return 0;
	/* A kernel before 3.17 or a seccomp filter: the device instead. */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EINTR)
			break;
	}
	close(fd);
	return got == n ? 0 : -1;
}

int
live_session_prefix(char *buf, size_t len, char **cause)
{
	unsigned char r[4];

	if (len < LIVE_SESSION_PREFIX_LEN + 1 || ls_random(r, sizeof r) != 0) {
		*cause = xasprintf("no random bytes for the session prefix "
		    "(getrandom and /dev/urandom both failed: %s)",
		    strerror(errno));
		return -1;
	}
	snprintf(buf, len, "rabbitlab.%02x%02x%02x%02x.", r[0], r[1], r[2],
	    r[3]);
	return 0;
}

int
live_session_prefix_valid(const char *prefix)
{
	if (strlen(prefix) != LIVE_SESSION_PREFIX_LEN ||
	    strncmp(prefix, "rabbitlab.", 10) != 0 ||
	    prefix[LIVE_SESSION_PREFIX_LEN - 1] != '.')
		return 0;
	for (size_t i = 10; i < LIVE_SESSION_PREFIX_LEN - 1; i++)
		if (!(prefix[i] >= '0' && prefix[i] <= '9') &&
		    !(prefix[i] >= 'a' && prefix[i] <= 'f'))
			return 0;
	return 1;
}

/* ---- the state directory ------------------------------------------------ */

/* The records' directory (caller frees), or NULL with no home to put it in. */
static char *
ls_dir(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	/* The XDG spec: a relative XDG_STATE_HOME is invalid, ignored. */
	if (state && state[0] == '/')
		return xasprintf("%s/rabbitlab/sessions", state);
	if (home && home[0] == '/')
		return xasprintf("%s/.local/state/rabbitlab/sessions", home);
	return NULL;
}

/* mkdir -p, 0700 for what it makes; 0 or -1 (errno). */
static int
ls_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; rc == 0; s++) {
		int end = *s == '\0';
		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		if (end)
			break;
		*s = '/';
	}
	free(p);
	return rc;
}

static int
ls_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* ---- a session's own record ------------------------------------------------ */

struct live_session *
live_session_open(const char *broker, const char *prefix, char **cause)
{
	char *dir = ls_dir(), *tmp = NULL, *head = NULL;
	struct live_session *s = NULL;
	int fd = -1;

	if (dir == NULL) {
		*cause = xstrdup("no HOME or XDG_STATE_HOME for the session record");
		return NULL;
	}
	if (!live_session_prefix_valid(prefix) || strchr(broker, '\n')) {
		*cause = xstrdup("the session record takes no such prefix or broker");
		goto out;
	}
	if (ls_mkdirs(dir) != 0) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	/* Locked under a name no sweep reads, then renamed: the lock goes
	 * with the file. */
	tmp = xasprintf("%s/.%.8s.%ld.tmp", dir, prefix + 10, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	head = xasprintf(LS_HEADER "\nbroker %s\nprefix %s\npid %ld\n", broker,
	    prefix, (long)getpid());
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0 ||
	    ls_write_all(fd, head, strlen(head)) != 0) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		goto out;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xasprintf("%s/%.8s" LS_SUFFIX, dir, prefix + 10);
	if (rename(tmp, s->path) != 0) {
		*cause = xasprintf("%s: %s", s->path, strerror(errno));
		free(s->path);
		free(s);
		s = NULL;
		goto out;
	}
	s->fd = fd;
	fd = -1;
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
out:
	if (fd >= 0) {
		unlink(tmp);
		close(fd);
	}
	free(head);
	free(tmp);
	free(dir);
	return s;
}

int
live_session_add(struct live_session *s, enum live_session_kind kind,
    const char *name)
{
	char *line;
	int rc;

	if (s == NULL || strchr(name, '\n') ||
	    strncmp(name, s->prefix, strlen(s->prefix)) != 0 ||
	    (kind != LIVE_SESSION_QUEUE && kind != LIVE_SESSION_EXCHANGE))
		return -1;
	line = xasprintf("%c %s\n", (char)kind, name);
	rc = ls_write_all(s->fd, line, strlen(line));
	free(line);
	return rc;
}

void
live_session_close(struct live_session *s, int forget)
{
	if (s == NULL)
		return;
	/* Unlinked while still locked: a sweep that opened it meanwhile
	 * finds it unlinked once it gets the lock, and leaves it. */
	if (forget)
		unlink(s->path);
	close(s->fd);
	free(s->path);
	free(s);
}

/* ---- the sweep -------------------------------------------------------------- */

/* A dead session's record, parsed: its names point into the file's text. */
struct ls_record {
	char *text;
	const char *prefix;
	char **names;            /* each "q name" or "x name" */
	size_t nnames;
};

/* The whole file behind fd, NUL-ended (caller frees); NULL if too large. */
static char *
ls_slurp(int fd)
{
	struct stat st;
	char *text;
	size_t got = 0;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink == 0 ||
	    st.st_uid != geteuid() || st.st_size >= LS_RECORD_MAX)
		return NULL;
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	text[got] = '\0';
	return text;
}

/*
 * Splits the text into *rec if it is a record for `broker` named `file`
 * whose every name carries its prefix; 0, or -1 to leave the file alone.
 */
static int
ls_parse(char *text, const char *broker, const char *file,
    struct ls_record *rec)
{
	char *line, *save = NULL;
	size_t cap = 0, n = 0;

	memset(rec, 0, sizeof *rec);
	rec->text = text;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save), n++) {
		if (n == 0 && strcmp(line, LS_HEADER) != 0)
			return -1;
		if (n == 1 && (strncmp(line, "broker ", 7) != 0 ||
		    strcmp(line + 7, broker) != 0))
			return -1;
		if (n == 2) {
			if (strncmp(line, "prefix ", 7) != 0 ||
			    !live_session_prefix_valid(line + 7) ||
			    strncmp(file, line + 17, 8) != 0)
				return -1;
			rec->prefix = line + 7;
		}
		if (n < 4)
			continue;
		if ((line[0] != LIVE_SESSION_QUEUE &&
		    line[0] != LIVE_SESSION_EXCHANGE) || line[1] != ' ' ||
		    strncmp(line + 2, rec->prefix, LIVE_SESSION_PREFIX_LEN) != 0)
			return -1;
		rec->names = xgrow(rec->names, &cap, rec->nnames + 1,
		    sizeof *rec->names);
		rec->names[rec->nnames++] = line;
	}
	return rec->prefix ? 0 : -1;
}

/* Drops the record's queues, then its exchanges; 0 if all went. */
static int
ls_drop_all(const struct ls_record *rec, live_session_drop_fn drop, void *ctx,
    struct live_session_swept *out)
{
	static const enum live_session_kind order[] = { LIVE_SESSION_QUEUE,
		LIVE_SESSION_EXCHANGE };
	int rc = 0;

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < rec->nnames; i++) {
			const char *line = rec->names[i];
			if (line[0] != (char)order[k])
				continue;
			if (drop(ctx, order[k], line + 2) != 0) {
				out->failed++;
				rc = -1;
			} else if (order[k] == LIVE_SESSION_QUEUE)
				out->queues++;
			else
				out->exchanges++;
		}
	return rc;
}

/* One directory entry: swept if it is a gone session's record for broker. */
static void
ls_sweep_one(const char *dir, const char *file, const char *broker,
    live_session_drop_fn drop, void *ctx, struct live_session_swept *out)
{
	char *path = xasprintf("%s/%s", dir, file), *text = NULL;
	struct ls_record rec = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	/* The lock taken: its session is gone, wherever it ran. */
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0)
		goto out;
	text = ls_slurp(fd);
	if (text == NULL || ls_parse(text, broker, file, &rec) != 0)
		goto out;
	out->sessions++;
	if (ls_drop_all(&rec, drop, ctx, out) == 0)
		unlink(path);
out:
	if (fd >= 0)
		close(fd);
	free(rec.names);
	free(text);
	free(path);
}

/*
 * A record that was never born: its session died between creating it and
 * renaming it (it names nothing yet). Removed once unlocked and a minute
 * old, so that a session being born now, which locks the file just after
 * creating it, never loses it to a sweep.
 */
static void
ls_sweep_unborn(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 0 &&
	    st.st_uid == geteuid() && time(NULL) - st.st_mtime > 60)
		unlink(path);
	if (fd >= 0)
		close(fd);
	free(path);
}

int
live_session_sweep(const char *broker, live_session_drop_fn drop, void *ctx,
    struct live_session_swept *out)
{
	char *dir = ls_dir();
	DIR *d;
	struct dirent *de;
	size_t sl = strlen(LS_SUFFIX);

	memset(out, 0, sizeof *out);
	if (dir == NULL)
		return 0;
	d = opendir(dir);
	if (d == NULL) {
		int rc = errno == ENOENT ? 0 : -1;
		free(dir);
		return rc;
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		/* "<8 hex>.names"; ".<8 hex>.<pid>.tmp": one being born. */
		if (de->d_name[0] == '.' && n > 4 &&
		    strcmp(de->d_name + n - 4, ".tmp") == 0)
			ls_sweep_unborn(dir, de->d_name);
		if (n != 8 + sl || strcmp(de->d_name + 8, LS_SUFFIX) != 0)
			continue;
		ls_sweep_one(dir, de->d_name, broker, drop, ctx, out);
	}
	closedir(d);
	free(dir);
	return 0;
}
