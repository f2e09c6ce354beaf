/*
 * The script loader's comparison rules: the `compare` settings that tell
 * `rabbitlab compare` which differences between the simulated and the live
 * engine to forgive, and why. They sit on a step, at the top level or in
 * the challenge, next to what they excuse (lessons/FORMAT.md, "Comparing
 * with a real broker").
 *
 * Each rule is checked like everything else (keys, types, names), and then
 * against what it could match: a rule that matches nothing is an error (a
 * step's rule on a step compare takes no checkpoint after; a rule whose
 * every name has a rule above it in the same place), and so is a set of
 * rules that leaves nothing to compare at the end of a run: no rule may
 * switch a script's comparison off wholesale.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_loader.h"
#include "util/xmalloc.h"

static const char *const script_tolerance_keys[] = { "counter", "within",
	"skip", "why", "onward", "run", NULL };
/* In the order of enum script_cmp_run after SCRIPT_RUNS_BOTH. */
static const char *const script_run_names[] = { "without_solution",
	"with_solution", NULL };
/* What is compared once per run rather than at each checkpoint. */
static const char *const script_run_wide_names[] = { "fates", "reasons",
	"repeats", "codes", NULL };

/* Whether rules in `place` belong to a run rather than to one step. */
static int
script_place_wide(enum script_cmp_place place)
{
	return place == SCRIPT_CMP_LESSON || place == SCRIPT_CMP_CHALLENGE;
}

/* Whether `prefix` (n bytes) starts any counter a checkpoint compares. */
static int
script_prefix_known(struct script_loader *ld, const char *prefix, size_t n)
{
	const char *const *counters = script_counter_names(ld);
	char name[SCRIPT_NAME_MAX + 32];

	for (size_t i = 0; counters[i]; i++)
		if (strncmp(counters[i], prefix, n) == 0)
			return 1;
	for (size_t i = 0; ld->qnames && ld->qnames[i]; i++) {
		snprintf(name, sizeof name, "queue.%s.ready", ld->qnames[i]);
		if (strncmp(name, prefix, n) == 0)
			return 1;
		snprintf(name, sizeof name, "queue.%s.unacked", ld->qnames[i]);
		if (strncmp(name, prefix, n) == 0)
			return 1;
	}
	return 0;
}

/* queue.NAME.FIELD: a declared queue and a depth; reported otherwise. */
static int
script_queue_counter(struct script_loader *ld, const config_setting_t *s,
    const char *v)
{
	static const char *const none[] = { NULL };
	const char *const *queues = ld->qnames ? ld->qnames : none;
	const char *dot = strrchr(v, '.');
	char *queue;
	int ok;

	if (dot < v + 6 || (strcmp(dot, ".ready") != 0 &&
	    strcmp(dot, ".unacked") != 0)) {
		script_report(ld, s, "'%s' in compare is not a queue depth; "
		    "write queue.NAME.ready or queue.NAME.unacked",
		    SCRIPT_CLIP(v));
		return 0;
	}
	queue = xasprintf("%.*s", (int)(dot - v - 6), v + 6);
	ok = script_has(queues, queue);
	if (!ok)
		script_report(ld, s, "undeclared queue '%s' in compare%s",
		    SCRIPT_CLIP(queue), SCRIPT_MEAN(queue, queues));
	free(queue);
	return ok;
}

/* One name a rule gives: known, and allowed in `place`. */
static int
script_tolerance_name(struct script_loader *ld, const config_setting_t *s,
    const char *v, enum script_cmp_place place)
{
	const char *const *counters = script_counter_names(ld);
	size_t len = strlen(v);

	if (script_has(script_run_wide_names, v)) {
		if (script_place_wide(place))
			return 1;
		script_report(ld, s, "'%s' are compared once, at the end of a "
		    "run: put this rule in the top-level compare (or the "
		    "challenge's)", v);
		return 0;
	}
	if (len > 0 && v[len - 1] == '*') {
		if (script_prefix_known(ld, v, len - 1))
			return 1;
		script_report(ld, s, "'%s' in compare matches no counter",
		    SCRIPT_CLIP(v));
		return 0;
	}
	if (strncmp(v, "queue.", 6) == 0)
		return script_queue_counter(ld, s, v);
	if (script_has(counters, v))
		return 1;
	if (script_suggest(v, counters))
		script_report(ld, s, "unknown counter '%s' in compare%s",
		    SCRIPT_CLIP(v), SCRIPT_MEAN(v, counters));
	else
		script_report(ld, s, "unknown counter '%s' in compare; counters "
		    "are %s, queue.NAME.ready, queue.NAME.unacked%s",
		    SCRIPT_CLIP(v), SCRIPT_JOIN(counters),
		    script_place_wide(place) ? ", fates, reasons, repeats, "
		    "codes" : "");
	return 0;
}

/* counter = "name" or [ "name", ... ] into t; returns 1 or -1. */
static int
script_tolerance_counters(struct script_loader *ld, const config_setting_t *g,
    enum script_cmp_place place, struct script_tolerance *t)
{
	const config_setting_t *s = script_get(ld, g, "counter", 1,
	    "a compare rule");
	int type, n, ok = 1;

	if (s == NULL)
		return -1;
	type = config_setting_type(s);
	if (type == CONFIG_TYPE_STRING)
		n = 1;
	else if (type == CONFIG_TYPE_ARRAY || type == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else {
		script_wrong_type(ld, s, NULL, "a string or an array of "
		    "strings [ \"...\", ... ]");
		return -1;
	}
	if (n == 0) {
		script_report(ld, s, "'counter' is empty; name at least one");
		return -1;
	}
	t->counters = xcalloc((size_t)n, sizeof *t->counters);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = type == CONFIG_TYPE_STRING ? s :
		    config_setting_get_elem(s, (unsigned)i);
		const char *v;

		if (script_str_of(ld, m, "'counter'", SCRIPT_STR_NONEMPTY,
		    &v) < 0 || !script_tolerance_name(ld, m, v, place)) {
			ok = 0;
			continue;
		}
		if (strcmp(v, "*") == 0 && script_place_wide(place)) {
			script_report(ld, m, "'*' here would switch the "
			    "comparison off wholesale; name the counters that "
			    "differ");
			ok = 0;
			continue;
		}
		t->counters[t->ncounters++] = xstrdup(v);
	}
	return ok ? 1 : -1;
}

/* within = X or skip = true; returns 1 or -1. */
static int
script_tolerance_amount(struct script_loader *ld, const config_setting_t *g,
    struct script_tolerance *t)
{
	const config_setting_t *w = config_setting_get_member(g, "within");
	const config_setting_t *k = config_setting_get_member(g, "skip");
	int type, skip = 0;
	double d;

	if (w && k) {
		script_report(ld, k, "a compare rule takes 'within' or 'skip', "
		    "not both");
		return -1;
	}
	if (k) {
		if (script_bool(ld, g, "skip", &skip) < 0)
			return -1;
		if (!skip) {
			script_report(ld, k, "'skip' can only be true; leave the "
			    "rule out to compare exactly");
			return -1;
		}
		t->within = 0;
		return 1;
	}
	if (w == NULL) {
		script_report(ld, g, "a compare rule needs 'within' (a "
		    "tolerance) or 'skip = true'");
		return -1;
	}
	type = config_setting_type(w);
	if (type == CONFIG_TYPE_FLOAT)
		d = config_setting_get_float(w);
	else if ((type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) &&
	    !script_big(ld, w))
		d = (double)config_setting_get_int64(w);
	else {
		if (!script_big(ld, w))
			script_wrong_type(ld, w, NULL, "a number");
		return -1;
	}
	if (!isfinite(d) || d <= 0 || d >= 1) {
		script_report(ld, w, "'within' is %g, expected more than 0 and "
		    "less than 1: the fraction of the larger value the two may "
		    "differ by (1 would accept anything: use skip = true)", d);
		return -1;
	}
	t->within = d;
	return 1;
}

/* One rule; returns 1, or -1 (reported; *t to be freed by the caller). */
static int
script_tolerance(struct script_loader *ld, const config_setting_t *g,
    enum script_cmp_place place, struct script_tolerance *t)
{
	const config_setting_t *s;
	const char *why;
	int ok = 1, run;

	t->line = script_src_line(ld, g);
	if (!script_is_group(ld, g, "a compare rule"))
		return -1;
	script_keys(ld, g, script_tolerance_keys, "a compare rule");
	if (script_tolerance_counters(ld, g, place, t) < 0)
		ok = 0;
	if (script_tolerance_amount(ld, g, t) < 0)
		ok = 0;
	if ((s = script_get(ld, g, "why", 1, "a compare rule")) != NULL &&
	    script_str_of(ld, s, NULL, SCRIPT_STR_NONEMPTY, &why) > 0)
		t->why = xstrdup(why);
	else
		ok = 0;
	for (size_t i = 0; t->within > 0 && i < t->ncounters; i++)
		if (script_has(script_run_wide_names, t->counters[i])) {
			script_report(ld, g, "'%s' cannot be compared within a "
			    "tolerance, only skipped (skip = true)",
			    t->counters[i]);
			ok = 0;
		}
	if ((s = config_setting_get_member(g, "onward")) != NULL) {
		if (script_place_wide(place)) {
			script_report(ld, s, "'onward' applies only to a step's "
			    "rules");
			ok = 0;
		} else if (script_bool(ld, g, "onward", &t->onward) < 0)
			ok = 0;
	}
	for (size_t i = 0; t->onward && i < t->ncounters; i++)
		if (strcmp(t->counters[i], "*") == 0) {
			script_report(ld, g, "'*' with onward = true would "
			    "switch every later checkpoint off; name the "
			    "counters that differ");
			ok = 0;
		}
	if ((s = config_setting_get_member(g, "run")) != NULL) {
		if (place != SCRIPT_CMP_CHALLENGE &&
		    place != SCRIPT_CMP_CHALLENGE_STEP) {
			script_report(ld, s, "'run' applies only to the "
			    "challenge's rules");
			ok = 0;
		} else if (script_choice_of(ld, s, NULL, script_run_names,
		    NULL, &run) > 0)
			t->run = SCRIPT_RUN_WITHOUT + run;
		else
			ok = 0;
	}
	return ok ? 1 : -1;
}

static void
script_tolerance_clear(struct script_tolerance *t)
{
	for (size_t i = 0; i < t->ncounters; i++)
		free(t->counters[i]);
	free(t->counters);
	free(t->why);
	memset(t, 0, sizeof *t);
}

/* The setting rule `t` was read from, for reports after the reading. */
static const config_setting_t *
script_tolerance_setting(const struct script_loader *ld,
    const struct script_tolerance *t)
{
	for (size_t i = 0; i < ld->nrules; i++)
		if (ld->rules[i].t == t)
			return ld->rules[i].g;
	return NULL;
}

void
script_tolerances(struct script_loader *ld, const config_setting_t *s,
    enum script_cmp_place place, struct script_tolerance **out, size_t *nout)
{
	int type = config_setting_type(s), n;

	*out = NULL;
	*nout = 0;
	if (type == CONFIG_TYPE_GROUP)
		n = 1;
	else if (type == CONFIG_TYPE_LIST ||
	    (type == CONFIG_TYPE_ARRAY && config_setting_length(s) == 0)) {
		if (!script_is_list(ld, s, 1, SCRIPT_MAX_DECLS))
			return;
		n = config_setting_length(s);
	} else {
		script_wrong_type(ld, s, NULL, "a rule { ... } or a list of "
		    "rules ( { ... }, ... )");
		return;
	}
	*out = xcalloc((size_t)n, sizeof **out);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = type == CONFIG_TYPE_GROUP ? s :
		    config_setting_get_elem(s, (unsigned)i);
		struct script_tolerance *t = &(*out)[*nout];

		if (script_tolerance(ld, g, place, t) < 0) {
			script_tolerance_clear(t);
			continue;
		}
		(*nout)++;
		ld->rules = xgrow(ld->rules, &ld->caprules, ld->nrules + 1,
		    sizeof *ld->rules);
		ld->rules[ld->nrules].t = t;
		ld->rules[ld->nrules++].g = g;
	}
}

void
script_tolerances_step(struct script_loader *ld, const config_setting_t *g,
    const struct script_step *st, int last)
{
	/* Expectations that did not load still make a checkpoint. */
	int checkpoint = last || config_setting_get_member(g, "expect") ||
	    config_setting_get_member(g, "expect_queue");

	for (size_t i = 0; !checkpoint && i < st->ntolerances; i++)
		if (!st->tolerances[i].onward)
			script_report(ld, script_tolerance_setting(ld,
			    &st->tolerances[i]), "this compare rule matches "
			    "nothing: compare takes "
			    "a checkpoint only after a step with expect or "
			    "expect_queue, and after the last step; move the "
			    "rule there, or add onward = true");
}

/* ---------------------------------------------------------------------- */
/* Rules against each other                                                 */

/* Whether name or pattern `q` matches everything name or pattern `c` does. */
static int
script_covers(const char *q, const char *c)
{
	size_t lq = strlen(q), lc = strlen(c);

	if (lq > 0 && q[lq - 1] == '*')
		return strncmp(q, c, lq - 1) == 0;
	return lc > 0 && c[lc - 1] != '*' && strcmp(q, c) == 0;
}

/* Reports each rule of t[0..n) whose every name has a rule above it. */
static void
script_tolerances_dead(struct script_loader *ld,
    const struct script_tolerance *t, size_t n)
{
	for (size_t k = 1; k < n; k++) {
		int above = 0;
		for (size_t c = 0; c < t[k].ncounters; c++) {
			above = 0;
			for (size_t j = 0; j < k && !above; j++) {
				if (t[j].run != SCRIPT_RUNS_BOTH &&
				    t[j].run != t[k].run)
					continue;
				for (size_t i = 0; i < t[j].ncounters; i++)
					if (script_covers(t[j].counters[i],
					    t[k].counters[c]))
						above = t[j].line;
			}
			if (!above)
				break;
		}
		if (above)
			script_report(ld, script_tolerance_setting(ld, &t[k]),
			    "this compare rule matches nothing: what it names "
			    "has a rule above it (line %d), and the first rule "
			    "that matches applies", above);
	}
}

/*
 * Whether, at the end of a run (its last checkpoint), some counter or
 * queue depth is still compared; else reports it against the first rule
 * that skips one.
 */
static void
script_tolerances_end(struct script_loader *ld,
    const struct script_step *steps, size_t n,
    const struct script_tolerance *wide, size_t nwide, int run,
    const char *what)
{
	const char *const *counters = script_counter_names(ld);
	const struct script_tolerance *first = NULL, *t;
	char name[SCRIPT_NAME_MAX + 32];

	if (n == 0)
		return;
	for (size_t i = 0; counters[i]; i++) {
		t = script_tolerance_find(steps, n, n - 1, wide, nwide, run,
		    counters[i]);
		if (t == NULL || t->within > 0)
			return;
		if (first == NULL)
			first = t;
	}
	for (size_t q = 0; ld->qnames && ld->qnames[q]; q++)
		for (int f = 0; f < 2; f++) {
			snprintf(name, sizeof name, "queue.%s.%s",
			    ld->qnames[q], f ? "unacked" : "ready");
			t = script_tolerance_find(steps, n, n - 1, wide, nwide,
			    run, name);
			if (t == NULL || t->within > 0)
				return;
		}
	script_report(ld, first ? script_tolerance_setting(ld, first) : NULL,
	    "the compare rules leave nothing to compare at the end of %s: "
	    "every counter and queue depth is skipped; skip only what truly "
	    "depends on the machine", what);
}

void
script_tolerances_check(struct script_loader *ld)
{
	const struct script *s = ld->s;
	const struct script_challenge *c = s->challenge;

	script_tolerances_dead(ld, s->tolerances, s->ntolerances);
	for (size_t i = 0; i < s->nsteps; i++)
		script_tolerances_dead(ld, s->steps[i].tolerances,
		    s->steps[i].ntolerances);
	script_tolerances_end(ld, s->steps, s->nsteps, s->tolerances,
	    s->ntolerances, SCRIPT_RUNS_BOTH, "the lesson's run");
	if (c == NULL)
		return;
	script_tolerances_dead(ld, c->tolerances, c->ntolerances);
	for (size_t i = 0; i < c->nsteps; i++)
		script_tolerances_dead(ld, c->steps[i].tolerances,
		    c->steps[i].ntolerances);
	script_tolerances_end(ld, c->steps, c->nsteps, c->tolerances,
	    c->ntolerances, SCRIPT_RUN_WITHOUT,
	    "the challenge's run without the solution");
	script_tolerances_end(ld, c->steps, c->nsteps, c->tolerances,
	    c->ntolerances, SCRIPT_RUN_WITH,
	    "the challenge's run with the solution");
}
