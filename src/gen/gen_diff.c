/*
 * The differential campaign: generated scenarios played on the simulated
 * and the live engine (`rabbitlab diff`), each difference shrunk to a
 * minimal script and saved; or, on the simulated engine alone, each
 * scenario checked valid, runnable and deterministic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "gen/gen_diff.h"
#include "lesson/compare.h"
#include "lesson/runner.h"
#include "lesson/script.h"
#include "util/mono.h"
#include "util/xmalloc.h"

/* What the shrinker's test needs: the campaign's options, and the names
   of what differed first ("|queue.q.a.ready|fates|"). */
struct gen_hunt {
	const struct gen_diff_opts *o;
	char *sig;
};

static struct script *
gen_load(const struct gen_scn *g, char **why)
{
	struct script_diag d = { 0 };
	char *text = gen_write(g, NULL);
	char name[64];
	struct script *s;

	snprintf(name, sizeof name, "gen-%" PRIu64 ".cfg", g->seed);
	s = script_load_string(text, name, &d);
	free(text);
	if (s == NULL)
		*why = xasprintf("generated script does not load: %s",
		    d.count ? d.lines[0] : "?");
	script_diag_free(&d);
	return s;
}

/*
 * The names of what compare's report says differs: "NAME" of each
 * "WHERE: NAME: sim X, live Y" line, "fates" for a message's fate, "codes"
 * for a reply code. Returns a malloc'd "|a|b|" string.
 */
static char *
gen_signature(const char *report)
{
	size_t cap = strlen(report) + 2, len = 1;
	char *sig = xmalloc(cap);
	const char *line = report;

	sig[0] = '|';
	sig[1] = '\0';
	for (; *line; line += strcspn(line, "\n"), line += *line == '\n') {
		const char *name = NULL, *end;
		size_t n;

		if (strncmp(line, "   end: ", 8) == 0)
			name = line + 8;
		else if (strncmp(line, "   step ", 8) == 0 &&
		    (name = strstr(line, "): ")) != NULL)
			name += 3;
		else if (strncmp(line, "   m", 4) == 0)
			name = "fates|";
		else if (strncmp(line, "   channel.close ", 17) == 0 ||
		    strncmp(line, "   basic.", 9) == 0)
			name = "codes|";
		if (name == NULL)
			continue;
		end = strpbrk(name, ":|\n");
		n = end ? (size_t)(end - name) : strlen(name);
		if (n == 0 || len + n + 2 > cap)
			continue;
		memcpy(sig + len, name, n);
		len += n;
		sig[len++] = '|';
		sig[len] = '\0';
	}
	return sig;
}

/* Whether two signatures name something in common. */
static int
gen_sig_overlap(const char *a, const char *b)
{
	for (const char *p = a + 1; *p; p += strcspn(p, "|") + 1) {
		char name[320];
		size_t n = strcspn(p, "|");

		if (n == 0 || n + 3 > sizeof name)
			continue;
		snprintf(name, sizeof name, "|%.*s|", (int)n, p);
		if (strstr(b, name))
			return 1;
	}
	return 0;
}

/*
 * Compares scenario `g` on both engines. Returns COMPARE_* and, unless
 * NULL, the report in *report (caller frees).
 */
static int
gen_compare(const struct gen_scn *g, const struct gen_diff_opts *o,
    char **report, char **why)
{
	struct compare_opts co;
	struct script *s = gen_load(g, why);
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (s == NULL)
		return COMPARE_ERROR;
	memset(&co, 0, sizeof co);
	co.out = open_memstream(&buf, &len);
	if (co.out == NULL) {
		script_free(s);
		*why = xasprintf("open_memstream: %s", strerror(errno));
		return COMPARE_ERROR;
	}
	co.url = o->url;
	co.load_factor = o->load_factor;
	rc = compare_script(s, &co, why);
	fclose(co.out);
	script_free(s);
	if (report)
		*report = buf;
	else
		free(buf);
	return rc;
}

static int
gen_hunt_test(const struct gen_scn *g, void *arg)
{
	struct gen_hunt *h = arg;
	char *report = NULL, *why = NULL, *sig;
	int rc = gen_compare(g, h->o, &report, &why), same;

	free(why);
	if (rc != COMPARE_DIFFERENT) {
		free(report);
		return rc == COMPARE_EQUAL ? 0 : -1;
	}
	sig = gen_signature(report);
	same = gen_sig_overlap(h->sig, sig) || strcmp(h->sig, "|") == 0;
	free(sig);
	free(report);
	return same;
}

/* Writes the minimal scenario, with what each engine did, under out_dir. */
static int
gen_save(const struct gen_scn *g, const struct gen_diff_opts *o,
    const char *report, int tests)
{
	char *note = xasprintf(
	    "Found by `rabbitlab diff --seed %" PRIu64 " --count 1` and shrunk "
	    "in %d comparisons.\nWhat the simulated and the live engine did "
	    "(the real node is right):\n%s", g->seed, tests, report);
	char *cause = NULL, *path = gen_save_file(g, note, o->out_dir, &cause);

	if (path)
		fprintf(o->log, "   minimal script: %s\n", path);
	else
		fprintf(o->log, "rabbitlab: %s\n", cause);
	free(cause);
	free(path);
	free(note);
	return path ? 0 : -1;
}

/* Shrinks a differing scenario and saves it; whether it was saved. */
static int
gen_hunt(struct gen_scn *g, const struct gen_diff_opts *o, const char *report)
{
	struct gen_hunt h = { o, gen_signature(report) };
	char *last = NULL, *why = NULL;
	int tests = gen_shrink(g, gen_hunt_test, &h), saved = 0;

	/* The minimal script must show it once more, or it was a flake. */
	if (gen_compare(g, o, &last, &why) == COMPARE_DIFFERENT) {
		fprintf(o->log, "   shrunk to %zu of %zu units in %d "
		    "comparisons:\n%s", gen_units_on(g), gen_units(g), tests,
		    last);
		saved = gen_save(g, o, last, tests) == 0;
	} else {
		fprintf(o->log, "   the difference did not come back once "
		    "shrunk (%d comparisons): a race, not saved\n", tests);
	}
	free(why);
	free(last);
	free(h.sig);
	return saved;
}

/* Plays a script on the simulated engine into a string (JSON events). */
static int
gen_sim_run(const struct script *s, char **out, char **why)
{
	struct runner_opts ro;
	size_t len = 0;
	int rc;

	memset(&ro, 0, sizeof ro);
	ro.lang = "en";
	ro.json = 1;
	ro.events = 1;
	ro.ops = engine_find("sim");
	ro.out = open_memstream(out, &len);
	if (ro.out == NULL) {
		*why = xasprintf("open_memstream: %s", strerror(errno));
		return RUNNER_ERROR;
	}
	rc = runner_replay(s, &ro, why);
	fclose(ro.out);
	return rc;
}

/* Simulated engine only: loads, runs cleanly, and twice the same. */
static int
gen_sim_check(const struct gen_scn *g, const struct gen_diff_opts *o)
{
	char *why = NULL, *a = NULL, *b = NULL;
	struct script *s = gen_load(g, &why);
	int ok = 0;

	if (s && gen_sim_run(s, &a, &why) == RUNNER_OK &&
	    gen_sim_run(s, &b, &why) == RUNNER_OK) {
		ok = strcmp(a, b) == 0;
		if (!ok)
			why = xstrdup("two runs of the same seed differ");
	}
	if (!ok)
		fprintf(o->log, "FAIL gen-%" PRIu64 ": %s\n", g->seed,
		    why ? why : "the run failed");
	free(why);
	free(a);
	free(b);
	script_free(s);
	return ok;
}

int
gen_diff_run(const struct gen_diff_opts *o, struct gen_diff_tally *t)
{
	memset(t, 0, sizeof *t);
	for (uint64_t i = 0; i < o->count; i++) {
		struct gen_scn g;
		char *report = NULL, *why = NULL;
		double t0;
		int rc;

		gen_scenario(o->seed + i, &g);
		t->scenarios++;
		if (o->sim_only) {
			if (gen_sim_check(&g, o))
				t->agreeing++;
			else
				t->errors++;
			continue;
		}
		t0 = mono_seconds();
		rc = gen_compare(&g, o, &report, &why);
		if (rc == COMPARE_EQUAL) {
			t->agreeing++;
			fprintf(o->log, "same gen-%" PRIu64 " (%.0f s)\n", g.seed,
			    mono_seconds() - t0);
		} else if (rc == COMPARE_DIFFERENT) {
			t->differing++;
			fprintf(o->log, "DIFF gen-%" PRIu64 "\n%s", g.seed, report);
			if (o->out_dir && gen_hunt(&g, o, report))
				t->written++;
		} else {
			t->errors++;
			fprintf(o->log, "ERROR gen-%" PRIu64 ": %s\n", g.seed,
			    why ? why : "?");
		}
		fflush(o->log);
		free(report);
		free(why);
	}
	fprintf(o->log, "scenarios %u, agreeing %u, differing %u, errors %u, "
	    "minimal scripts written %u\n", t->scenarios, t->agreeing,
	    t->differing, t->errors, t->written);
	return t->differing || t->errors ? 1 : 0;
}
