/*
 * The script player and the expectation evaluator (see play.h).
 *
 * A run is one engine from creation to destruction. play_start builds it in
 * the one order every caller relies on: toggles (the script's, then the
 * challenge's setup, then its solution), the topology, every consumer.
 * A step's action is performed at once; a wait or a settle only marks its
 * end, so the screen can let ticks spend the time while replay and compare
 * spend it at once (play_run_out). Both reach the same engine calls for the
 * same virtual times, which is what keeps a replayed transcript and a
 * session on the simulated engine telling the same story.
 */
#include "lesson/play.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static void
play_sink(void *ctx, const struct event *ev)
{
	struct play *p = ctx;

	ledger_apply(p->ledger, ev);
	if (p->sink)
		p->sink(p->sink_ctx, ev);
}

void
play_init(struct play *p, const struct script *s, const struct play_opts *o)
{
	memset(p, 0, sizeof *p);
	p->s = s;
	p->ops = o->ops ? o->ops : &engine_sim_ops;
	p->url = o->url;
	p->seed = o->has_seed ? o->seed : s->seed;
	p->sink = o->sink;
	p->sink_ctx = o->sink_ctx;
	p->ledger = ledger_create();
	p->wait_until = -1;
}

int
play_judged(const struct play *p)
{
	return !p->s->seed_bound || p->seed == p->s->seed;
}

void
play_done(struct play *p)
{
	play_stop(p);
	ledger_free(p->ledger);
	p->ledger = NULL;
}

void
play_stop(struct play *p)
{
	if (p->e)
		p->ops->destroy(p->e);
	p->e = NULL;
	play_end(p);
	ledger_reset(p->ledger);
}

const struct script_step *
play_steps(const struct play *p, enum play_run run, size_t *n)
{
	if (run == PLAY_LESSON) {
		*n = p->s->nsteps;
		return p->s->steps;
	}
	if (p->s->challenge == NULL) {
		*n = 0;
		return NULL;
	}
	*n = p->s->challenge->nsteps;
	return p->s->challenge->steps;
}

const struct script_tolerance *
play_rule(const struct script *s, enum play_run run, size_t step,
    const char *counter)
{
	const struct script_challenge *ch = s->challenge;
	int which = run == PLAY_LESSON ? SCRIPT_RUNS_BOTH :
	    run == PLAY_CHALLENGE ? SCRIPT_RUN_WITHOUT : SCRIPT_RUN_WITH;
	const struct script_tolerance *wide;
	size_t nwide, n;
	const struct script_step *steps;

	if (run != PLAY_LESSON && ch == NULL)
		return NULL;
	steps = run == PLAY_LESSON ? s->steps : ch->steps;
	n = run == PLAY_LESSON ? s->nsteps : ch->nsteps;
	wide = run == PLAY_LESSON ? s->tolerances : ch->tolerances;
	nwide = run == PLAY_LESSON ? s->ntolerances : ch->ntolerances;
	if (step == 0 || step > n)
		return script_tolerance_find(NULL, 0, 0, wide, nwide, which,
		    counter);
	return script_tolerance_find(steps, n, step - 1, wide, nwide, which,
	    counter);
}

const char *
play_excuse(const struct play *p, const struct script_step *st,
    const char *counter)
{
	const struct script_tolerance *r;
	const struct script_step *steps;
	size_t n;

	if (!(p->ops->caps & ENGINE_CAP_REAL_BROKER))
		return NULL;
	steps = play_steps(p, p->run, &n);
	if (st && (steps == NULL || st < steps || st >= steps + n))
		return NULL;
	r = play_rule(p->s, p->run, st ? (size_t)(st - steps) + 1 : 0,
	    counter);
	return r ? r->why : NULL;
}

static int
play_toggles(struct play *p, const struct script_toggle *t, size_t n,
    char **cause)
{
	for (size_t i = 0; i < n; i++)
		if (engine_set_toggle(p->e, t[i].id, t[i].value, cause) != 0)
			return -1;
	return 0;
}

int
play_start(struct play *p, enum play_run run, char **cause)
{
	const struct script_challenge *c = p->s->challenge;
	struct engine_opts eo;
	int rc;

	play_stop(p);
	p->run = run;
	memset(&eo, 0, sizeof eo);
	eo.seed = p->seed;
	eo.sink = play_sink;
	eo.sink_ctx = p;
	eo.url = p->url;
	p->e = p->ops->create(&eo, cause);
	if (p->e == NULL)
		return -1;
	if (p->ops->caps & ENGINE_CAP_WIRE_READ)
		ledger_strict(p->ledger, 0);
	rc = play_toggles(p, p->s->toggles, p->s->ntoggles, cause);
	if (rc == 0 && run != PLAY_LESSON && c)
		rc = play_toggles(p, c->setup, c->nsetup, cause);
	if (rc == 0 && run == PLAY_SOLVED && c)
		rc = play_toggles(p, c->solution, c->nsolution, cause);
	if (rc == 0)
		rc = p->ops->declare(p->e, &p->s->topo, cause);
	if (rc == 0)
		rc = engine_consume(p->e, NULL, 1, cause);
	return rc;
}

/* ---- steps ------------------------------------------------------------ */

int
play_begin(struct play *p, const struct script_step *st, char **cause)
{
	const struct script_action *a = &st->action;
	int64_t now = p->ops->now(p->e);
	int rc = 0;

	play_end(p);
	switch (a->kind) {
	case ACT_NONE:
		break;
	case ACT_PUBLISH:
		rc = engine_publish(p->e, &a->publish, cause);
		break;
	case ACT_TOGGLE:
		rc = play_toggles(p, a->toggles, a->ntoggles, cause);
		break;
	case ACT_FAIL:
		rc = p->ops->inject(p->e, &a->fail, cause);
		break;
	case ACT_RESTART:
		rc = p->ops->restart(p->e, cause);
		break;
	case ACT_WAIT:
		p->wait_until = now + a->ms * 1000 + a->us;
		break;
	case ACT_SETTLE:
		p->settling = 1;
		p->settle_until = now + a->ms * 1000;
		break;
	case ACT_CONSUME:
	case ACT_STOP:
		rc = engine_consume(p->e, a->consumer, a->kind == ACT_CONSUME,
		    cause);
		break;
	}
	if (rc != 0)
		return -1;
	p->pending = st;
	return 0;
}

int
play_timed(const struct play *p)
{
	return p->pending && (p->wait_until >= 0 || p->settling);
}

/*
 * An until_met wait looks at the step's expectations this often: on the
 * simulated engine every millisecond of virtual time, on a live one of
 * real time.
 */
#define PLAY_UNTIL_SLICE_US 1000

/* Whether the pending step is an until_met wait whose expectations hold. */
static int
play_wait_met(struct play *p)
{
	const struct script_step *st = p->pending;
	struct play_check out;

	if (st == NULL || st->action.kind != ACT_WAIT ||
	    !st->action.until_met)
		return 0;
	for (size_t i = 0; i < st->nexpects; i++)
		if (play_expect(p, &st->expects[i], &out) != PLAY_HELD)
			return 0;
	return 1;
}

int
play_run_out(struct play *p, char **cause)
{
	int64_t now = p->ops->now(p->e);
	int rc = 0;

	if (p->wait_until >= 0 && p->pending->action.until_met) {
		while (rc == 0 && now < p->wait_until && !play_wait_met(p)) {
			int64_t us = p->wait_until - now;
			rc = p->ops->advance(p->e, us < PLAY_UNTIL_SLICE_US ?
			    us : PLAY_UNTIL_SLICE_US, cause);
			now = p->ops->now(p->e);
		}
		p->wait_until = now;
	} else if (p->wait_until >= 0)
		rc = p->ops->advance(p->e, p->wait_until - now, cause);
	else if (p->settling) {
		rc = p->ops->settle(p->e, p->settle_until - now, cause);
		/* A settle that went quiet early is over where it stopped. */
		if (p->ops->now(p->e) < p->settle_until)
			p->settle_until = p->ops->now(p->e);
	}
	return rc;
}

int
play_time_up(struct play *p)
{
	int64_t now;

	if (p->pending == NULL)
		return 1;
	now = p->ops->now(p->e);
	if (p->wait_until >= 0 && now < p->wait_until && !play_wait_met(p))
		return 0;
	if (p->settling && now < p->settle_until && !p->ops->quiet(p->e))
		return 0;
	return 1;
}

int64_t
play_clamp(const struct play *p, int64_t us)
{
	int64_t now;

	if (p->pending == NULL)
		return us < 0 ? 0 : us;
	now = p->ops->now(p->e);
	if (p->wait_until >= 0 && now + us > p->wait_until)
		us = p->wait_until - now;
	/* An until_met wait is looked at in the slices play_run_out uses. */
	if (p->wait_until >= 0 && p->pending->action.until_met &&
	    us > PLAY_UNTIL_SLICE_US)
		us = PLAY_UNTIL_SLICE_US;
	if (p->settling && now + us > p->settle_until)
		us = p->settle_until - now;
	return us < 0 ? 0 : us;
}

void
play_end(struct play *p)
{
	p->pending = NULL;
	p->wait_until = -1;
	p->settling = 0;
	p->settle_until = 0;
}

int
play_walk(struct play *p, const struct play_hooks *h, void *ctx,
    char **cause)
{
	size_t n;
	const struct script_step *steps = play_steps(p, p->run, &n);

	for (size_t i = 0; i < n; i++) {
		const struct script_step *st = &steps[i];
		char *why = NULL;

		if (h && h->before)
			h->before(ctx, i, st);
		if (play_begin(p, st, &why) != 0 ||
		    play_run_out(p, &why) != 0) {
			*cause = xasprintf("%s:%d: %s", p->s->path, st->line,
			    why ? why : "the engine refused this step");
			free(why);
			play_end(p);
			return -1;
		}
		play_end(p);
		if (h && h->after && h->after(ctx, i, st) != 0)
			return 1;
	}
	return 0;
}

/* ---- expectations ----------------------------------------------------- */

/* Queue counter `name` ("queue.NAME.FIELD") into *v; the verdict if not. */
static enum play_verdict
play_queue_value(const struct engine_queue_view *queues, size_t n,
    const char *counter, uint64_t *v, char *why, size_t len)
{
	const char *name = counter + 6, *dot = strrchr(counter, '.');
	size_t nlen;
	int ready;

	if (dot < name) {
		snprintf(why, len, "%s: expected queue.NAME.ready or "
		    "queue.NAME.unacked", counter);
		return PLAY_UNKNOWN;
	}
	nlen = (size_t)(dot - name);
	if (strcmp(dot, ".ready") == 0)
		ready = 1;
	else if (strcmp(dot, ".unacked") == 0)
		ready = 0;
	else {
		snprintf(why, len, "%s: '%s' is not a queue depth; expected "
		    "ready or unacked", counter, dot + 1);
		return PLAY_UNKNOWN;
	}
	for (size_t i = 0; i < n; i++) {
		const struct engine_queue_view *q = &queues[i];
		if (strlen(q->name) != nlen ||
		    strncmp(q->name, name, nlen) != 0)
			continue;
		*v = !q->exists ? 0 : ready ? q->ready : q->unacked;
		return PLAY_HELD;
	}
	snprintf(why, len, "%s: the scenario has no queue '%.*s'", counter,
	    (int)nlen, name);
	return PLAY_UNKNOWN;
}

enum play_verdict
play_eval(const struct ledger_summary *sum,
    const struct engine_queue_view *queues, size_t n,
    const struct script_expect *x, struct play_check *out)
{
	uint64_t v = 0;
	enum play_verdict known = PLAY_HELD;

	memset(out, 0, sizeof *out);
	if (x->min == x->max)
		snprintf(out->what, sizeof out->what, "%s == %" PRIu64,
		    x->counter, x->min);
	else
		snprintf(out->what, sizeof out->what, "%s in [%" PRIu64 ", %"
		    PRIu64 "]", x->counter, x->min, x->max);
	if (strncmp(x->counter, "queue.", 6) == 0)
		known = play_queue_value(queues, n, x->counter, &v, out->text,
		    sizeof out->text);
	else if (ledger_counter(sum, x->counter, &v) != 0) {
		snprintf(out->text, sizeof out->text, "%s: the ledger has no "
		    "counter '%s'", x->counter, x->counter);
		known = PLAY_UNKNOWN;
	}
	if (known == PLAY_UNKNOWN) {
		out->verdict = PLAY_UNKNOWN;
		return out->verdict;
	}
	out->got = v;
	out->verdict = v >= x->min && v <= x->max ? PLAY_HELD : PLAY_MISSED;
	snprintf(out->text, sizeof out->text, "%s, %s %" PRIu64, out->what,
	    out->verdict == PLAY_HELD ? "and it is" : "but it is", v);
	return out->verdict;
}

enum play_verdict
play_expect(struct play *p, const struct script_expect *x,
    struct play_check *out)
{
	struct ledger_summary sum;
	struct engine_view view;

	memset(&view, 0, sizeof view);
	ledger_summarize(p->ledger, &sum);
	/* Only queue depths need the engine: a live one asks the broker. */
	if (strncmp(x->counter, "queue.", 6) == 0)
		p->ops->view(p->e, &view);
	return play_eval(&sum, view.queues, view.nqueues, x, out);
}

long
play_goal_miss(struct play *p, struct play_check *miss)
{
	const struct script_challenge *c = p->s->challenge;
	struct play_check local;

	for (size_t i = 0; c && i < c->nexpects; i++)
		if (play_expect(p, &c->expects[i], miss ? miss : &local) !=
		    PLAY_HELD)
			return (long)i;
	return -1;
}
