/*
 * The lesson runner. One run creates an engine, applies the script's toggles,
 * declares its topology, starts its consumers and plays the steps in order;
 * every event goes through one sink that feeds the ledger and the
 * transcript. A challenge is proved on two fresh engines: it must be reached
 * with the solution's toggles and must not be reached without them.
 */
#include "lesson/runner.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "util/xmalloc.h"

struct runner {
	const struct script *s;
	const struct runner_opts *o;
	const struct engine_ops *ops;
	struct engine *e;
	struct ledger *ledger;
	int print;            /* events go to the transcript */
};

static void
runner_sink(void *ctx, const struct event *ev)
{
	struct runner *r = ctx;

	ledger_apply(r->ledger, ev);
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

/* The current value of an expectation's counter; -1 if unknown. */
static int
runner_value(struct runner *r, const char *counter, uint64_t *v)
{
	struct ledger_summary sum;

	if (strncmp(counter, "queue.", 6) == 0) {
		struct engine_view view;
		const char *name = counter + 6, *field = strrchr(counter, '.');
		size_t len = (size_t)(field - name);

		r->ops->view(r->e, &view);
		for (size_t i = 0; i < view.nqueues; i++) {
			const struct engine_queue_view *q = &view.queues[i];
			if (strlen(q->name) != len ||
			    strncmp(q->name, name, len) != 0)
				continue;
			if (strcmp(field, ".ready") == 0)
				*v = q->exists ? q->ready : 0;
			else if (strcmp(field, ".unacked") == 0)
				*v = q->exists ? q->unacked : 0;
			else
				return -1;
			return 0;
		}
		return -1;
	}
	ledger_summarize(r->ledger, &sum);
	return ledger_counter(&sum, counter, v);
}

static void
runner_range(char *buf, size_t len, const struct script_expect *x)
{
	if (x->min == x->max)
		snprintf(buf, len, "%s == %" PRIu64, x->counter, x->min);
	else
		snprintf(buf, len, "%s in [%" PRIu64 ", %" PRIu64 "]",
		    x->counter, x->min, x->max);
}

/*
 * Checks expectations. Returns the index of the first that fails, or -1.
 * Prints each when `verbose`.
 */
static long
runner_check(struct runner *r, const struct script_expect *xs, size_t n,
    int verbose, uint64_t *got)
{
	for (size_t i = 0; i < n; i++) {
		const struct script_expect *x = &xs[i];
		char what[160];
		uint64_t v = 0;
		int ok = runner_value(r, x->counter, &v) == 0 && v >= x->min &&
		    v <= x->max;

		runner_range(what, sizeof what, x);
		if (verbose && r->o->json) {
			fputs("{\"expect\":", r->o->out);
			event_json_string(r->o->out, what);
			fprintf(r->o->out, ",\"got\":%" PRIu64 ",\"ok\":%s}\n", v,
			    ok ? "true" : "false");
		} else if (verbose)
			fprintf(r->o->out, "   expect %s: %s (got %" PRIu64 ")\n",
			    what, ok ? "ok" : "FAILED", v);
		if (!ok) {
			*got = v;
			return (long)i;
		}
	}
	return -1;
}

static char *
runner_fail_msg(const struct runner *r, const struct script_expect *x,
    uint64_t got, const char *where)
{
	char what[160];

	runner_range(what, sizeof what, x);
	return xasprintf("%s:%d: expectation failed%s: %s, but it is %" PRIu64,
	    r->s->path, x->line, where, what, got);
}

/* Performs one action; returns 0 or -1 with *why. */
static int
runner_act(struct runner *r, const struct script_action *a, int line,
    char **why)
{
	char *cause = NULL;
	int rc = 0;

	switch (a->kind) {
	case ACT_NONE:
		return 0;
	case ACT_PUBLISH:
		rc = r->ops->publish(r->e, &a->publish, &cause);
		break;
	case ACT_TOGGLE:
		for (size_t i = 0; i < a->ntoggles && rc == 0; i++)
			rc = r->ops->set_toggle(r->e, a->toggles[i].id,
			    a->toggles[i].value, &cause);
		break;
	case ACT_FAIL:
		rc = r->ops->inject(r->e, &a->fail, &cause);
		break;
	case ACT_RESTART:
		rc = r->ops->restart(r->e, &cause);
		break;
	case ACT_WAIT:
		rc = r->ops->advance(r->e, a->ms * 1000 + a->us, &cause);
		break;
	case ACT_SETTLE:
		rc = r->ops->settle(r->e, a->ms * 1000, &cause);
		break;
	case ACT_CONSUME:
	case ACT_STOP:
		rc = r->ops->consume(r->e, a->consumer, a->kind == ACT_CONSUME,
		    &cause);
		break;
	}
	if (rc != 0) {
		*why = xasprintf("%s:%d: %s", r->s->path, line,
		    cause ? cause : "the engine refused this step");
		free(cause);
		return -1;
	}
	return 0;
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

/* Creates the engine and plays the setup; toggles on top of the script's. */
static int
runner_start(struct runner *r, const struct script_toggle *setup,
    size_t nsetup, const struct script_toggle *extra, size_t nextra,
    char **why)
{
	struct engine_opts eo;
	char *cause = NULL;
	int rc = 0;

	memset(&eo, 0, sizeof eo);
	eo.seed = r->o->has_seed ? r->o->seed : r->s->seed;
	eo.sink = runner_sink;
	eo.sink_ctx = r;
	eo.url = r->o->url;
	r->e = r->ops->create(&eo, &cause);
	if (r->e == NULL)
		goto fail;
	for (size_t i = 0; i < r->s->ntoggles && rc == 0; i++)
		rc = r->ops->set_toggle(r->e, r->s->toggles[i].id,
		    r->s->toggles[i].value, &cause);
	for (size_t i = 0; i < nsetup && rc == 0; i++)
		rc = r->ops->set_toggle(r->e, setup[i].id, setup[i].value,
		    &cause);
	for (size_t i = 0; i < nextra && rc == 0; i++)
		rc = r->ops->set_toggle(r->e, extra[i].id, extra[i].value,
		    &cause);
	if (rc == 0)
		rc = r->ops->declare(r->e, &r->s->topo, &cause);
	if (rc == 0)
		rc = r->ops->consume(r->e, NULL, 1, &cause);
	if (rc == 0)
		return 0;
fail:
	*why = xasprintf("%s: %s", r->s->path, cause ? cause :
	    "the engine could not start");
	free(cause);
	return -1;
}

static void
runner_stop(struct runner *r)
{
	if (r->e)
		r->ops->destroy(r->e);
	r->e = NULL;
	ledger_reset(r->ledger);
}

/*
 * Plays steps. Returns RUNNER_OK, RUNNER_FAILED (first failed expectation,
 * *why set unless `quiet_fail`) or RUNNER_ERROR.
 */
static int
runner_steps(struct runner *r, const struct script_step *steps, size_t n,
    int narrate, char **why)
{
	for (size_t i = 0; i < n; i++) {
		const struct script_step *st = &steps[i];
		uint64_t got;
		long bad;

		if (narrate && !r->o->json)
			fprintf(r->o->out, "-- step %zu (line %d)\n", i + 1,
			    st->line);
		if (narrate && st->say.en)
			runner_say(r, "   ", runner_text(r, &st->say));
		if (narrate && st->ask)
			runner_ask(r, st->ask);
		if (runner_act(r, &st->action, st->line, why) != 0)
			return RUNNER_ERROR;
		bad = runner_check(r, st->expects, st->nexpects, narrate, &got);
		if (bad >= 0) {
			*why = runner_fail_msg(r, &st->expects[bad], got, "");
			return RUNNER_FAILED;
		}
	}
	return RUNNER_OK;
}

static void
runner_fates(struct runner *r)
{
	uint32_t max = ledger_max_id(r->ledger);
	FILE *out = r->o->out;

	if (r->o->json || max > 40)
		return;
	for (uint32_t id = 1; id <= max; id++) {
		const struct ledger_entry *le = ledger_entry(r->ledger, id);
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

	ledger_summarize(r->ledger, &sum);
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
	uint64_t got;
	long bad;
	int rc;

	if (!r->o->json) {
		fprintf(r->o->out, "== challenge (line %d)\n", c->line);
		runner_say(r, "   ", runner_text(r, &c->goal));
	}
	r->print = 0;
	/* Without the solution the goal must not be met. */
	if (runner_start(r, c->setup, c->nsetup, NULL, 0, why) != 0)
		return RUNNER_ERROR;
	rc = runner_steps(r, c->steps, c->nsteps, 0, why);
	bad = runner_check(r, c->expects, c->nexpects, 0, &got);
	runner_stop(r);
	if (rc == RUNNER_ERROR)
		return rc;
	free(*why);
	*why = NULL;
	if (bad < 0) {
		*why = xasprintf("%s:%d: the challenge goal is already met "
		    "without the solution", r->s->path, c->line);
		return RUNNER_FAILED;
	}
	if (runner_start(r, c->setup, c->nsetup, c->solution, c->nsolution,
	    why) != 0)
		return RUNNER_ERROR;
	rc = runner_steps(r, c->steps, c->nsteps, 0, why);
	if (rc == RUNNER_OK) {
		bad = runner_check(r, c->expects, c->nexpects, 0, &got);
		if (bad >= 0) {
			*why = runner_fail_msg(r, &c->expects[bad], got,
			    " with the challenge solution");
			rc = RUNNER_FAILED;
		}
	}
	if (rc == RUNNER_OK && !r->o->json) {
		char buf[32];
		fputs("   the solution (", r->o->out);
		for (size_t i = 0; i < c->nsolution; i++)
			fprintf(r->o->out, "%s%s=%s", i ? ", " : "",
			    toggle_info(c->solution[i].id)->name,
			    toggle_format(c->solution[i].id,
				c->solution[i].value, buf, sizeof buf));
		fputs(") reaches the goal; without it the goal is missed\n",
		    r->o->out);
	}
	runner_stop(r);
	return rc;
}

int
runner_replay(const struct script *s, const struct runner_opts *o,
    char **why)
{
	struct runner r;
	int rc;

	memset(&r, 0, sizeof r);
	r.s = s;
	r.o = o;
	r.ops = o->ops;
	r.ledger = ledger_create();
	r.print = o->events;
	*why = NULL;
	if (!o->json)
		fprintf(o->out, "== %s: %s (seed %" PRIu64 ", engine %s)\n",
		    s->id, runner_text(&r, &s->title),
		    o->has_seed ? o->seed : s->seed, o->ops->name);
	if (runner_start(&r, NULL, 0, NULL, 0, why) != 0) {
		runner_stop(&r);
		ledger_free(r.ledger);
		return RUNNER_ERROR;
	}
	rc = runner_steps(&r, s->steps, s->nsteps, 1, why);
	runner_summary(&r);
	runner_stop(&r);
	if (rc == RUNNER_OK && o->challenge && s->challenge)
		rc = runner_challenge(&r, why);
	if (!o->json)
		fprintf(o->out, "== %s\n", rc == RUNNER_OK ?
		    "every expectation held" : "FAILED");
	ledger_free(r.ledger);
	return rc;
}
