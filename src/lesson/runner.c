/*
 * The lesson runner: `rabbitlab replay`. The script player (lesson/play.c)
 * plays the lesson's steps at once; around each step the runner writes the
 * transcript (narration, the question with its answer, each expectation as
 * the player judged it) and stops at the first expectation that does not
 * hold. Events reach the transcript through the player's sink, after the
 * ledger. A challenge is proved on two fresh runs: it must be reached with
 * the solution's toggles and must not be reached without them.
 */
#include "lesson/runner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/play.h"
#include "model/ledger.h"
#include "util/xmalloc.h"

struct runner {
	const struct script *s;
	const struct runner_opts *o;
	struct play play;
	int print;            /* events go to the transcript */
};

static void
runner_sink(void *ctx, const struct event *ev)
{
	struct runner *r = ctx;

	if (!r->print)
		return;
	if (r->o->json)
		event_print_json(r->o->out, ev);
	else
		event_print_text(r->o->out, ev);
}

static const char *
runner_text(const struct runner *r, const struct script_text *t)
{
	return script_text_get(t, r->o->lang);
}

/* Prints narration, indented, one paragraph per line of the source. */
static void
runner_say(struct runner *r, const char *prefix, const char *text)
{
	FILE *out = r->o->out;

	if (r->o->json) {
		fputs("{\"say\":", out);
		event_json_string(out, text);
		fputs("}\n", out);
		return;
	}
	fprintf(out, "%s", prefix);
	for (const char *p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n' && p[1])
			fputs("      ", out);
	}
	fputc('\n', out);
}

/*
 * Checks step st's expectations. Returns the index of the first that does
 * not hold, with its check in *miss, or -1. Prints each when `verbose`.
 * When the story is bound to another seed (play_judged), a count that
 * differs is shown, not judged; so is one a real broker differs on by the
 * step's compare rule (play_excuse, whose reason is printed); an unknown
 * counter still fails.
 */
static long
runner_check(struct runner *r, const struct script_step *st, int verbose,
    struct play_check *miss)
{
	const struct script_expect *xs = st->expects;
	int judged = play_judged(&r->play);

	for (size_t i = 0; i < st->nexpects; i++) {
		struct play_check ck;
		int ok = play_expect(&r->play, &xs[i], &ck) == PLAY_HELD;
		const char *excuse = ok ? NULL :
		    play_excuse(&r->play, st, xs[i].counter);
		int fails = !ok && ((judged && excuse == NULL) ||
		    ck.verdict == PLAY_UNKNOWN);

		if (verbose && r->o->json) {
			fputs("{\"expect\":", r->o->out);
			event_json_string(r->o->out, ck.what);
			if (ck.verdict == PLAY_UNKNOWN)
				fputs(",\"got\":null", r->o->out);
			else
				fprintf(r->o->out, ",\"got\":%" PRIu64, ck.got);
			fprintf(r->o->out, ",\"ok\":%s%s}\n", ok ? "true" :
			    "false", judged && excuse == NULL ? "" :
			    ",\"judged\":false");
		} else if (verbose && ck.verdict == PLAY_UNKNOWN)
			fprintf(r->o->out, "   expect %s: FAILED (%s)\n", ck.what,
			    ck.text);
		else if (verbose && !fails && excuse)
			fprintf(r->o->out, "   expect %s: not judged on a real "
			    "broker (got %" PRIu64 "): %s\n", ck.what, ck.got,
			    excuse);
		else if (verbose)
			fprintf(r->o->out, "   expect %s: %s (got %" PRIu64 ")\n",
			    ck.what, ok ? "ok" : fails ? "FAILED" : "not judged",
			    ck.got);
		if (fails) {
			*miss = ck;
			return (long)i;
		}
	}
	return -1;
}

/* What a run on another seed than its story's says, or NULL. */
static char *
runner_notice(const struct runner *r)
{
	if (play_judged(&r->play))
		return NULL;
	return xasprintf("%s: the steps' expectations tell the story of seed "
	    "%" PRIu64 " (seed_bound): with seed %" PRIu64 " they are shown, "
	    "not judged (the challenge's solution still is)", r->s->path,
	    r->s->seed, r->play.seed);
}

static char *
runner_fail_msg(const struct runner *r, const struct script_expect *x,
    const struct play_check *ck, const char *where)
{
	return xasprintf("%s:%d: expectation failed%s: %s", r->s->path,
	    x->line, where, ck->text);
}

static void
runner_ask(struct runner *r, const struct script_question *q)
{
	FILE *out = r->o->out;

	if (r->o->json) {
		fputs("{\"ask\":", out);
		event_json_string(out, runner_text(r, &q->prompt));
		fputs(",\"choices\":[", out);
		for (size_t i = 0; i < q->nchoices; i++) {
			if (i)
				fputc(',', out);
			event_json_string(out, runner_text(r, &q->choices[i]));
		}
		fprintf(out, "],\"answer\":%zu,\"explain\":", q->answer + 1);
		event_json_string(out, runner_text(r, &q->explain));
		fputs("}\n", out);
		return;
	}
	runner_say(r, "   ? ", runner_text(r, &q->prompt));
	for (size_t i = 0; i < q->nchoices; i++)
		fprintf(out, "      %zu) %s\n", i + 1,
		    runner_text(r, &q->choices[i]));
	fprintf(out, "     %s %zu. ", strcmp(r->o->lang, "zh") == 0 ?
	    "答案:" : "answer:", q->answer + 1);
	runner_say(r, "", runner_text(r, &q->explain));
}

/* Starts a run on a fresh engine; *why names the script on error. */
static int
runner_start(struct runner *r, enum play_run run, char **why)
{
	char *cause = NULL;

	if (play_start(&r->play, run, &cause) == 0)
		return 0;
	*why = xasprintf("%s: %s", r->s->path, cause ? cause :
	    "the engine could not start");
	free(cause);
	return -1;
}

/* The state of one walk through a run's steps. */
struct runner_walk {
	struct runner *r;
	int narrate;                /* print narration and each check */
	long bad;                   /* index of the failed expectation */
	const struct script_step *at;
	struct play_check miss;
};

static void
runner_before(void *ctx, size_t i, const struct script_step *st)
{
	struct runner_walk *w = ctx;
	struct runner *r = w->r;

	if (!w->narrate)
		return;
	if (!r->o->json)
		fprintf(r->o->out, "-- step %zu (line %d)\n", i + 1, st->line);
	if (st->say.en)
		runner_say(r, "   ", runner_text(r, &st->say));
	if (st->ask)
		runner_ask(r, st->ask);
}

static int
runner_after(void *ctx, size_t i, const struct script_step *st)
{
	struct runner_walk *w = ctx;

	(void)i;
	w->bad = runner_check(w->r, st, w->narrate, &w->miss);
	w->at = st;
	return w->bad >= 0;
}

/*
 * Plays the current run's steps. Returns RUNNER_OK, RUNNER_FAILED (first
 * failed expectation, in *why) or RUNNER_ERROR.
 */
static int
runner_steps(struct runner *r, int narrate, char **why)
{
	static const struct play_hooks hooks = { runner_before, runner_after };
	struct runner_walk w;
	int rc;

	memset(&w, 0, sizeof w);
	w.r = r;
	w.narrate = narrate;
	rc = play_walk(&r->play, &hooks, &w, why);
	if (rc < 0)
		return RUNNER_ERROR;
	if (rc > 0) {
		*why = runner_fail_msg(r, &w.at->expects[w.bad], &w.miss, "");
		return RUNNER_FAILED;
	}
	return RUNNER_OK;
}

static void
runner_fates(struct runner *r)
{
	uint32_t max = ledger_max_id(r->play.ledger);
	FILE *out = r->o->out;

	if (r->o->json || max > 40)
		return;
	for (uint32_t id = 1; id <= max; id++) {
		const struct ledger_entry *le = ledger_entry(r->play.ledger, id);
		enum ledger_fate f = ledger_fate(le);

		if (le->published_at < 0 && !le->paid)
			continue;
		fprintf(out, "   m%-4" PRIu32 " %s", id, ledger_fate_text(f));
		if (f == FATE_LOST)
			fprintf(out, ": %s at %s, producer told: %s",
			    event_reason_text(le->reason),
			    event_reason_hop(le->reason),
			    le->notice == NOTICE_SILENT ? "nothing" :
			    event_notice_name(le->notice));
		if (le->repaired)
			fputs(" (order repaired by reconciliation)", out);
		fputc('\n', out);
	}
}

static void
runner_summary(struct runner *r)
{
	struct ledger_summary sum;

	ledger_summarize(r->play.ledger, &sum);
	if (r->o->json) {
		ledger_print_summary_json(r->o->out, &sum);
		return;
	}
	fputs("== ledger\n", r->o->out);
	runner_fates(r);
	ledger_print_summary(r->o->out, &sum);
}

/* Proves the challenge: reached with the solution, not without. */
static int
runner_challenge(struct runner *r, char **why)
{
	const struct script_challenge *c = r->s->challenge;
	struct play_check miss;
	const char *excuse = NULL;
	long bad;
	int rc, missed;

	if (!r->o->json) {
		fprintf(r->o->out, "== challenge (line %d)\n", c->line);
		runner_say(r, "   ", runner_text(r, &c->goal));
	}
	r->print = 0;
	/* Without the solution the goal must not be met. */
	if (runner_start(r, PLAY_CHALLENGE, why) != 0)
		return RUNNER_ERROR;
	rc = runner_steps(r, 0, why);
	bad = play_goal_miss(&r->play, &miss);
	play_stop(&r->play);
	if (rc == RUNNER_ERROR)
		return rc;
	free(*why);
	*why = NULL;
	missed = bad >= 0;
	for (size_t i = 0; !missed && excuse == NULL && i < c->nexpects; i++)
		excuse = play_excuse(&r->play, NULL, c->expects[i].counter);
	if (!missed && excuse) {
		/* On a real broker how rough that run is can be a race. */
		if (!r->o->json)
			fprintf(r->o->out, "   on this real broker the goal is "
			    "met even without the solution (not judged: %s)\n",
			    excuse);
	} else if (!missed && !play_judged(&r->play)) {
		/* How rough the run without the solution is, is the story's. */
		if (!r->o->json)
			fprintf(r->o->out, "   with seed %" PRIu64 " the goal is "
			    "met even without the solution (not judged: the "
			    "story is written for seed %" PRIu64 ")\n",
			    r->play.seed, r->s->seed);
	} else if (!missed) {
		*why = xasprintf("%s:%d: the challenge goal is already met "
		    "without the solution", r->s->path, c->line);
		return RUNNER_FAILED;
	}
	if (runner_start(r, PLAY_SOLVED, why) != 0)
		return RUNNER_ERROR;
	rc = runner_steps(r, 0, why);
	if (rc == RUNNER_OK &&
	    (bad = play_goal_miss(&r->play, &miss)) >= 0) {
		*why = runner_fail_msg(r, &c->expects[bad], &miss,
		    " with the challenge solution");
		rc = RUNNER_FAILED;
	}
	if (rc == RUNNER_OK && !r->o->json) {
		char buf[32];
		fputs("   the solution (", r->o->out);
		for (size_t i = 0; i < c->nsolution; i++)
			fprintf(r->o->out, "%s%s=%s", i ? ", " : "",
			    toggle_info(c->solution[i].id)->name,
			    toggle_format(c->solution[i].id,
				c->solution[i].value, buf, sizeof buf));
		fprintf(r->o->out, ") reaches the goal%s\n", missed ?
		    "; without it the goal is missed" : "");
	}
	play_stop(&r->play);
	return rc;
}

int
runner_replay(const struct script *s, const struct runner_opts *o,
    char **why)
{
	struct play_opts po;
	struct runner r;
	char *notice;
	int rc;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.o = o;
	r.print = o->events;
	memset(&po, 0, sizeof po);
	po.ops = o->ops;
	po.url = o->url;
	po.has_seed = o->has_seed;
	po.seed = o->seed;
	po.sink = runner_sink;
	po.sink_ctx = &r;
	play_init(&r.play, s, &po);
	*why = NULL;
	notice = runner_notice(&r);
	if (!o->json)
		fprintf(o->out, "== %s: %s (seed %" PRIu64 ", engine %s)\n",
		    s->id, runner_text(&r, &s->title), r.play.seed,
		    r.play.ops->name);
	if (notice && o->json) {
		fputs("{\"note\":", o->out);
		event_json_string(o->out, notice);
		fputs("}\n", o->out);
	} else if (notice)
		fprintf(o->out, "== note: %s\n", notice);
	if (runner_start(&r, PLAY_LESSON, why) != 0) {
		play_done(&r.play);
		free(notice);
		return RUNNER_ERROR;
	}
	rc = runner_steps(&r, 1, why);
	runner_summary(&r);
	play_stop(&r.play);
	if (rc == RUNNER_OK && o->challenge && s->challenge)
		rc = runner_challenge(&r, why);
	if (!o->json)
		fprintf(o->out, "== %s\n", rc != RUNNER_OK ? "FAILED" :
		    notice ? "nothing failed; the steps' expectations were "
		    "shown, not judged" : "every expectation held");
	play_done(&r.play);
	if (rc == RUNNER_OK && notice)
		*why = notice;
	else
		free(notice);
	return rc;
}
