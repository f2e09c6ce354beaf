/*
 * The lesson-script loader: turns a libconfig file into a struct script,
 * checking every key against the format documented in lessons/FORMAT.md.
 *
 * Loading runs in three passes over one struct script_loader (see
 * lesson/script_loader.h). A small scanner first reads the raw text
 * (script_scan.c); libconfig then parses the result; last, the validator
 * walks the settings (script_setting.c, script_topo.c, script_steps.c,
 * script_tolerance.c), reports every problem as "FILE:LINE: message" (up
 * to SCRIPT_MAX_DIAGS of them) and fills the script as it goes; a script
 * with any problem is freed, never returned. This file holds the entry
 * points, the list of problems, freeing, and the lookups on a loaded
 * script that the runner, the screen and compare share (checkpoints and
 * comparison rules).
 */
#include "lesson/script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_loader.h"
#include "util/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                              */

void
script_diag_add(struct script_diag *d, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int len;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	line = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	d->lines = xgrow(d->lines, &d->cap, d->count + 1, sizeof *d->lines);
	d->lines[d->count++] = line;
}

void
script_diag_free(struct script_diag *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */

static void
script_loader_free(struct script_loader *ld)
{
	free(ld->text);
	free(ld->segs);
	for (size_t i = 0; i < ld->nfiles; i++)
		free(ld->files[i]);
	free(ld->files);
	free(ld->bigs);
	free(ld->commas);
	free(ld->bares);
	free(ld->members);
	free(ld->xnames);
	free(ld->qnames);
	free(ld->cnames);
	for (size_t i = 0; i < ld->ncounters; i++)
		free(ld->counters[i]);
	free(ld->counters);
	free(ld->rules);
}

/*
 * Scans, parses and validates text `buf` (n bytes) on behalf of file or
 * name `ld->name`. Frees nothing of the caller's.
 */
static struct script *
script_load_text(struct script_loader *ld, const char *buf, size_t n)
{
	struct script *s = NULL;
	config_t cfg;

	for (int i = 0; i < TOGGLE_COUNT; i++)
		ld->tnames[i] = toggle_info((enum toggle_id)i)->name;
	ld->tnames[TOGGLE_COUNT] = NULL;
	ld->lines = 1;
	ld->members = xgrow(NULL, &ld->capdepth, 16, sizeof *ld->members);
	ld->members[0] = 0;
	if (script_scan(ld, ld->name, buf, n, 0) < 0)
		return NULL;
	if (ld->text == NULL)
		script_emit(ld, "", 0);
	config_init(&cfg);
	/*
	 * The scanner has expanded every @include already; this only keeps
	 * libconfig from reading against the working directory if one ever
	 * got through.
	 */
	if (ld->include_dir)
		config_set_include_dir(&cfg, ld->include_dir);
	if (config_read_string(&cfg, ld->text) != CONFIG_TRUE) {
		const char *error = config_error_text(&cfg);
		int at = config_error_line(&cfg);
		char hint[160];

		if (error == NULL)
			error = "syntax error";
		script_report_line(ld, at, "syntax error%s%s%s",
		    strcmp(error, "syntax error") == 0 ? "" : ": ",
		    strcmp(error, "syntax error") == 0 ? "" : error,
		    script_syntax_hint(ld, error, at, hint, sizeof hint));
		config_destroy(&cfg);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(ld->name);
	s->seed = 1;
	ld->s = s;
	script_root(ld, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (ld->added > 0) {
		script_free(s);
		return NULL;
	}
	return s;
}

struct script *
script_load(const char *path, struct script_diag *diag)
{
	struct script_loader ld = { 0 };
	struct script_diag local = { 0 };
	struct script *s = NULL;
	const char *slash;
	char *buf, *why = NULL, *dir = NULL, *root;
	size_t len = 0;

	ld.name = path;
	ld.diag = diag ? diag : &local;
	ld.allow_include = 1;
	buf = script_read_file(path, &len, &why);
	if (buf == NULL) {
		/* No line to point at: line 0 says "the file itself". */
		script_diag_add(ld.diag, "%s:0: cannot read the script: %s",
		    path, why);
		free(why);
		script_diag_free(&local);
		return NULL;
	}
	/* Includes are relative to the script, as a teacher expects. */
	slash = strrchr(path, '/');
	if (slash)
		dir = slash == path ? xstrdup("/") :
		    xasprintf("%.*s", (int)(slash - path), path);
	ld.include_dir = dir;
	root = script_include_root(dir);
	ld.include_root = root;
	s = script_load_text(&ld, buf, len);
	script_loader_free(&ld);
	free(root);
	free(dir);
	free(buf);
	script_diag_free(&local);
	return s;
}

struct script *
script_load_string(const char *text, const char *name,
    struct script_diag *diag)
{
	struct script_loader ld = { 0 };
	struct script_diag local = { 0 };
	struct script *s = NULL;
	size_t len = text ? strlen(text) : 0;

	ld.name = name ? name : "(script)";
	ld.diag = diag ? diag : &local;
	if (len > SCRIPT_MAX_BYTES)
		script_report_file(&ld, ld.name, 1, "the script is %zu bytes; "
		    "a script may be at most 1 MiB (%d bytes)", len,
		    SCRIPT_MAX_BYTES);
	else
		s = script_load_text(&ld, text ? text : "", len);
	script_loader_free(&ld);
	script_diag_free(&local);
	return s;
}


/* ---------------------------------------------------------------------- */
/* Freeing and access                                                       */

static void
script_text_clear(struct script_text *t)
{
	free(t->en);
	free(t->zh);
	t->en = t->zh = NULL;
}

static void
script_tolerances_free(struct script_tolerance *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < t[i].ncounters; k++)
			free(t[i].counters[k]);
		free(t[i].counters);
		free(t[i].why);
	}
	free(t);
}

static void
script_steps_free(struct script_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct script_step *st = &steps[i];
		struct script_action *a = &st->action;

		script_text_clear(&st->say);
		if (st->ask) {
			script_text_clear(&st->ask->prompt);
			for (size_t k = 0; k < st->ask->nchoices; k++)
				script_text_clear(&st->ask->choices[k]);
			free(st->ask->choices);
			script_text_clear(&st->ask->explain);
			free(st->ask);
		}
		free((char *)a->publish.exchange);
		free((char *)a->publish.key);
		script_free_pairs((struct topo_kv *)a->publish.headers,
		    a->publish.nheaders);
		free(a->toggles);
		free((char *)a->fail.target);
		free(a->consumer);
		for (size_t k = 0; k < st->nexpects; k++)
			free(st->expects[k].counter);
		free(st->expects);
		script_tolerances_free(st->tolerances, st->ntolerances);
	}
	free(steps);
}

void
script_free(struct script *s)
{
	struct script_challenge *c;

	if (s == NULL)
		return;
	free(s->path);
	free(s->id);
	script_text_clear(&s->title);
	script_text_clear(&s->summary);
	topology_clear(&s->topo);
	free(s->toggles);
	script_steps_free(s->steps, s->nsteps);
	if ((c = s->challenge) != NULL) {
		script_text_clear(&c->goal);
		script_steps_free(c->steps, c->nsteps);
		for (size_t k = 0; k < c->nexpects; k++)
			free(c->expects[k].counter);
		free(c->expects);
		for (size_t k = 0; k < c->nhints; k++)
			script_text_clear(&c->hints[k]);
		free(c->hints);
		free(c->setup);
		free(c->solution);
		script_tolerances_free(c->tolerances, c->ntolerances);
		free(c);
	}
	script_tolerances_free(s->tolerances, s->ntolerances);
	free(s);
}

const char *
script_text_get(const struct script_text *t, const char *lang)
{
	if (t == NULL)
		return "";
	if (lang && strcmp(lang, "zh") == 0 && t->zh)
		return t->zh;
	if (t->en)
		return t->en;
	return t->zh ? t->zh : "";
}

/* ---------------------------------------------------------------------- */
/* Comparison rules                                                         */

int
script_checkpoint(const struct script_step *steps, size_t n, size_t i)
{
	return i < n && (steps[i].nexpects > 0 || i + 1 == n);
}

int
script_step_chained(const struct script *s, size_t i)
{
	const struct script_step *st;

	if (i == 0 || i >= s->nsteps)
		return 0;
	st = &s->steps[i];
	return st->say.en == NULL && st->ask == NULL && !st->learner;
}

size_t
script_presses(const struct script *s)
{
	size_t n = s->challenge ? 1 : 0;

	for (size_t i = 0; i < s->nsteps; i++)
		if (!s->steps[i].learner && !script_step_chained(s, i))
			n++;
	return n;
}

size_t
script_step_number(const struct script *s, size_t i)
{
	size_t n = 0;

	for (size_t j = 0; j < s->nsteps && j <= i; j++)
		if (!script_step_chained(s, j))
			n++;
	return n;
}

size_t
script_learner_steps(const struct script *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nsteps; i++)
		n += s->steps[i].learner ? 1 : 0;
	return n;
}

int
script_tolerance_matches(const struct script_tolerance *t,
    const char *counter)
{
	for (size_t i = 0; i < t->ncounters; i++) {
		const char *c = t->counters[i];
		size_t len = strlen(c);

		if (len > 0 && c[len - 1] == '*' ?
		    strncmp(c, counter, len - 1) == 0 : strcmp(c, counter) == 0)
			return 1;
	}
	return 0;
}

/* The first of the n rules t that names `counter` for `run`, or NULL. */
static const struct script_tolerance *
script_tolerance_in(const struct script_tolerance *t, size_t n, int run,
    int onward_only, const char *counter)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].run != SCRIPT_RUNS_BOTH && run != SCRIPT_RUNS_BOTH &&
		    t[i].run != run)
			continue;
		if (onward_only && !t[i].onward)
			continue;
		if (script_tolerance_matches(&t[i], counter))
			return &t[i];
	}
	return NULL;
}

const struct script_tolerance *
script_tolerance_find(const struct script_step *steps, size_t n, size_t at,
    const struct script_tolerance *wide, size_t nwide, int run,
    const char *counter)
{
	const struct script_tolerance *t;

	if (steps && at < n) {
		for (size_t i = at + 1; i-- > 0;) {
			t = script_tolerance_in(steps[i].tolerances,
			    steps[i].ntolerances, run, i != at, counter);
			if (t)
				return t;
		}
	}
	return script_tolerance_in(wide, nwide, run, 0, counter);
}
