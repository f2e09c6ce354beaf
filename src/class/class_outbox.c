/*
 * The student's outbox file (format in class_outbox.h): read when opened,
 * appended to as events are made and confirmed, rewritten with only what
 * is owed. The atomic rewrite and the setting aside of a damaged file are
 * the progress file's (ui/progress.h, which has no curses).
 */
#include "class/class_outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui/progress.h"
#include "util/file.h"
#include "util/xmalloc.h"

#define CLASS_OUTBOX_HEADER "# rabbitlab class outbox 1"
/* Rewrite the file once this many records pile up and nothing is owed. */
#define CLASS_OUTBOX_COMPACT 512

/* s with every byte but [A-Za-z0-9_-] written %XX; caller frees. */
static char *
class_file_part(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(3 * n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-')
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}

void
class_outbox_new_id(char id[17])
{
	unsigned char b[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;

	if (fd >= 0)
		close(fd);
	if (got != (ssize_t)sizeof b) {
		/* No /dev/urandom (a chroot): the clock and pid mixed. */
		uint64_t x = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^
		    (uint64_t)getpid() * 0xbf58476d1ce4e5b9ull;
		for (int i = 0; i < 8; i++)
			b[i] = (unsigned char)(x >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		sprintf(id + 2 * i, "%02x", b[i]);
}

static void
class_owed_add(struct class_outbox *ob, uint64_t seq, const char *json)
{
	ob->v = xgrow(ob->v, &ob->cap, ob->n + 1, sizeof *ob->v);
	ob->v[ob->n].seq = seq;
	ob->v[ob->n].json = xstrdup(json);
	ob->v[ob->n++].flying = 0;
}

/* Forgets owed event seq; 1 if it was owed. */
static int
class_owed_drop(struct class_outbox *ob, uint64_t seq)
{
	for (size_t i = 0; i < ob->n; i++)
		if (ob->v[i].seq == seq) {
			free(ob->v[i].json);
			memmove(ob->v + i, ob->v + i + 1,
			    (ob->n - i - 1) * sizeof *ob->v);
			ob->n--;
			return 1;
		}
	return 0;
}

/* Reads the file's records; 0, or -1 if it is damaged. */
static int
class_outbox_read(struct class_outbox *ob, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int n = 0, rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		uint64_t seq;
		int used = 0;
		if (len == 0 || line[len - 1] != '\n') {
			/* A record cut by a crash mid-write (the last line,
			 * then): it was never sent, so it is not owed. */
			if (n < 2)
				rc = -1;
			break;
		}
		line[--len] = '\0';
		n++;
		if (n == 1)
			rc = strcmp(line, CLASS_OUTBOX_HEADER) ? -1 : 0;
		else if (n == 2)
			rc = sscanf(line, "student %16[0-9a-f]%n", ob->student_id,
			    &used) == 1 && used == 24 && len == 24 ? 0 : -1;
		else if (sscanf(line, "E %" SCNu64 " %n", &seq, &used) == 1 &&
		    used > 2 && line[used] == '{') {
			class_owed_add(ob, seq, line + used);
			if (seq >= ob->next_seq)
				ob->next_seq = seq + 1;
		} else if (sscanf(line, "S %" SCNu64 "%n", &seq, &used) == 1 &&
		    used == len)
			class_owed_drop(ob, seq);
		else
			rc = -1;
	}
	free(line);
	if (ferror(f) || n < 2)
		rc = -1;
	return rc;
}

static void
class_outbox_text(FILE *f, void *ctx)
{
	const struct class_outbox *ob = ctx;

	fprintf(f, "%s\nstudent %s\n", CLASS_OUTBOX_HEADER, ob->student_id);
	for (size_t i = 0; i < ob->n; i++)
		fprintf(f, "E %" PRIu64 " %s\n", ob->v[i].seq, ob->v[i].json);
}

/* Rewrites the file with what is owed and reopens it for appending. */
static int
class_outbox_rewrite(struct class_outbox *ob, char **cause)
{
	if (ob->f) {
		fclose(ob->f);
		ob->f = NULL;
	}
	if (file_replace(ob->path, class_outbox_text, ob, cause) != 0)
		return -1;
	ob->f = fopen(ob->path, "a");
	if (ob->f == NULL) {
		*cause = xasprintf("%s: %s", ob->path, strerror(errno));
		return -1;
	}
	ob->lines = 2 + ob->n;
	return 0;
}

int
class_outbox_open(struct class_outbox *ob, const char *dir,
    const char *klass, const char *student, char **notice)
{
	char *d = dir ? xstrdup(dir) : progress_default_dir();
	char *pk, *ps, *aside = NULL;
	FILE *f;
	int rc = 0;

	memset(ob, 0, sizeof *ob);
	ob->next_seq = 1;
	*notice = NULL;
	if (d == NULL) {
		*notice = xstrdup("neither XDG_STATE_HOME nor HOME is set: no "
		    "place for the class outbox");
		return -1;
	}
	if (progress_mkdirs(d) != 0) {
		*notice = xasprintf("%s: %s", d, strerror(errno));
		free(d);
		return -1;
	}
	pk = class_file_part(klass);
	ps = class_file_part(student);
	ob->path = xasprintf("%s/class-%s-%s.outbox", d, pk, ps);
	free(d);
	free(pk);
	free(ps);
	f = fopen(ob->path, "r");
	if (f) {
		int bad = class_outbox_read(ob, f);
		fclose(f);
		if (bad) {
			while (ob->n)
				class_owed_drop(ob, ob->v[0].seq);
			ob->student_id[0] = '\0';
			ob->next_seq = 1;
			if (progress_set_aside(ob->path, &aside) != 0) {
				*notice = aside;
				return -1;
			}
			*notice = xasprintf("the class outbox was damaged; kept "
			    "as %s", aside);
			free(aside);
			rc = 1;
		}
	} else if (errno != ENOENT) {
		*notice = xasprintf("%s: %s", ob->path, strerror(errno));
		return -1;
	}
	if (ob->student_id[0] == '\0')
		class_outbox_new_id(ob->student_id);
	if (class_outbox_rewrite(ob, &aside) != 0) {
		free(*notice);
		*notice = aside;
		return -1;
	}
	return rc;
}

int
class_outbox_add(struct class_outbox *ob, struct class_event *ev,
    char **cause)
{
	char json[CLASS_EVENT_JSON_MAX];
	uint64_t seq = ob->next_seq;

	snprintf(ev->id, sizeof ev->id, "%s-%" PRIu64, ob->student_id, seq);
	if (class_event_encode(ev, json, sizeof json) < 0) {
		*cause = xstrdup("a progress event did not encode (a name that "
		    "is not UTF-8?)");
		return -1;
	}
	if (ob->f == NULL || fprintf(ob->f, "E %" PRIu64 " %s\n", seq,
	    json) < 0 || fflush(ob->f) != 0) {
		*cause = xasprintf("%s: %s", ob->path, strerror(errno));
		return -1;
	}
	ob->next_seq++;
	ob->lines++;
	class_owed_add(ob, seq, json);
	return 0;
}

int
class_outbox_sent(struct class_outbox *ob, uint64_t seq, char **cause)
{
	if (!class_owed_drop(ob, seq))
		return 0;
	if (ob->f == NULL || fprintf(ob->f, "S %" PRIu64 "\n", seq) < 0 ||
	    fflush(ob->f) != 0) {
		*cause = xasprintf("%s: %s", ob->path, strerror(errno));
		return -1;
	}
	if (++ob->lines >= CLASS_OUTBOX_COMPACT && ob->n == 0)
		return class_outbox_rewrite(ob, cause);
	return 0;
}

void
class_outbox_unfly(struct class_outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++)
		ob->v[i].flying = 0;
}

void
class_outbox_close(struct class_outbox *ob)
{
	if (ob->f)
		fclose(ob->f);
	for (size_t i = 0; i < ob->n; i++)
		free(ob->v[i].json);
	free(ob->v);
	free(ob->path);
	memset(ob, 0, sizeof *ob);
}
