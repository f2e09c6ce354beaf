/*
 * Lesson progress on disk. The file is small and rewritten whole: write a
 * temporary file beside it, flush it to disk, rename it over the old one,
 * so a crash leaves either the old or the new file, never half of one.
 * Reading is strict: anything unexpected makes the whole file "damaged",
 * and a damaged file is moved aside rather than overwritten, so a learner
 * (or a teacher) can still look at it.
 */
#include "ui/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/file.h"
#include "util/xmalloc.h"

#define PROGRESS_HEADER "# rabbitlab progress 1"
#define PROGRESS_FILE "progress"

char *
progress_default_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (xdg && xdg[0] == '/')
		return xasprintf("%s/rabbitlab", xdg);
	if (home && home[0] == '/')
		return xasprintf("%s/.local/state/rabbitlab", home);
	return NULL;
}

int
progress_mkdirs(const char *dir)
{
	char *tmp = xstrdup(dir);
	struct stat st;

	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
				free(tmp);
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(tmp);
	if (stat(dir, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* Parses one "lesson ..." line into *e. Returns 0, or -1 if malformed. */
static int
progress_parse_line(const char *line, struct progress_entry *e)
{
	int end = -1;

	memset(e, 0, sizeof *e);
	if (sscanf(line, "lesson %95s steps=%u/%u right=%u asked=%u "
	    "challenge=%d%n", e->id, &e->steps_done, &e->nsteps, &e->right,
	    &e->asked, &e->challenge_met, &end) != 6 || end < 0)
		return -1;
	if (line[end] != '\0' && line[end] != '\n')
		return -1;
	if (e->challenge_met < 0 || e->challenge_met > PROGRESS_MET_SHOWN)
		return -1;
	if (e->steps_done > e->nsteps || e->right > e->asked)
		return -1;
	return 0;
}

/* Reads the open file into *p. Returns 0, or -1 if it is damaged. */
static int
progress_read(struct progress *p, FILE *f)
{
	char line[512];
	int first = 1;

	while (fgets(line, sizeof line, f)) {
		struct progress_entry e;
		size_t len = strlen(line);

		if (len == sizeof line - 1 && line[len - 1] != '\n')
			return -1;
		if (first) {
			first = 0;
			if (strncmp(line, PROGRESS_HEADER,
			    strlen(PROGRESS_HEADER)) != 0)
				return -1;
			continue;
		}
		if (line[0] == '\n')
			continue;
		if (progress_parse_line(line, &e) != 0)
			return -1;
		*progress_get(p, e.id) = e;
	}
	if (ferror(f))
		return -1;
	return first ? -1 : 0; /* an empty file is damaged too */
}

int
progress_set_aside(const char *path, char **notice)
{
	long long now = (long long)time(NULL);
	char *aside = xasprintf("%s.bad-%lld", path, now);

	/* Never overwrite an earlier damaged file. */
	for (int n = 1; access(aside, F_OK) == 0 && n < 1000; n++) {
		free(aside);
		aside = xasprintf("%s.bad-%lld-%d", path, now, n);
	}
	if (rename(path, aside) == 0) {
		*notice = aside;
		return 0;
	}
	*notice = xasprintf("%s (could not move it aside: %s)", path,
	    strerror(errno));
	free(aside);
	return -1;
}

int
progress_load(struct progress *p, const char *dir, char **notice)
{
	FILE *f;
	int rc;

	memset(p, 0, sizeof *p);
	*notice = NULL;
	p->dir = dir ? xstrdup(dir) : progress_default_dir();
	if (p->dir == NULL) {
		*notice = xstrdup("neither XDG_STATE_HOME nor HOME is set: "
		    "progress will not be kept");
		return -1;
	}
	p->path = xasprintf("%s/%s", p->dir, PROGRESS_FILE);
	f = fopen(p->path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		*notice = xasprintf("%s: %s", p->path, strerror(errno));
		return -1;
	}
	rc = progress_read(p, f);
	fclose(f);
	if (rc == 0)
		return 0;
	/* Damaged: keep what the learner had, aside, and start afresh. */
	for (size_t i = 0; i < p->n; i++)
		memset(&p->v[i], 0, sizeof p->v[i]);
	p->n = 0;
	if (progress_set_aside(p->path, notice) != 0)
		return -1;
	return 1;
}

/* The progress file's text, for file_replace. */
static void
progress_write_entries(FILE *f, void *ctx)
{
	const struct progress *p = ctx;

	fprintf(f, "%s\n", PROGRESS_HEADER);
	for (size_t i = 0; i < p->n; i++) {
		const struct progress_entry *e = &p->v[i];
		fprintf(f, "lesson %s steps=%u/%u right=%u asked=%u "
		    "challenge=%d\n", e->id, e->steps_done, e->nsteps,
		    e->right, e->asked, e->challenge_met);
	}
}

int
progress_save(const struct progress *p, char **cause)
{
	*cause = NULL;
	if (p->path == NULL) {
		*cause = xstrdup("no place to keep progress (set HOME or "
		    "XDG_STATE_HOME)");
		return -1;
	}
	if (progress_mkdirs(p->dir) != 0) {
		*cause = xasprintf("%s: %s", p->dir, strerror(errno));
		return -1;
	}
	return file_replace(p->path, progress_write_entries,
	    (void *)(uintptr_t)p,
	    cause);
}

/* The id as stored: cut to the field, one word (the file splits on spaces). */
static void
progress_key(const char *id, char key[96])
{
	snprintf(key, 96, "%s", id);
	for (char *c = key; *c; c++)
		if (*c == ' ' || *c == '\t' || *c == '\n' || *c == '\r')
			*c = '_';
}

/* Index of lesson `id` in p->v, or p->n when it has no entry. */
static size_t
progress_index(const struct progress *p, const char *id)
{
	char key[96];
	size_t i;

	progress_key(id, key);
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].id, key) == 0)
			break;
	return i;
}

const struct progress_entry *
progress_find(const struct progress *p, const char *id)
{
	size_t i = progress_index(p, id);

	return i < p->n ? &p->v[i] : NULL;
}

struct progress_entry *
progress_get(struct progress *p, const char *id)
{
	size_t i = progress_index(p, id);
	struct progress_entry *e;

	if (i < p->n)
		return &p->v[i];
	p->v = xgrow(p->v, &p->cap, p->n + 1, sizeof *p->v);
	e = &p->v[p->n++];
	memset(e, 0, sizeof *e);
	progress_key(id, e->id);
	return e;
}

void
progress_free(struct progress *p)
{
	free(p->v);
	free(p->dir);
	free(p->path);
	memset(p, 0, sizeof *p);
}
