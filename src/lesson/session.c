/*
 * Sessions: the state behind the screen.
 *
 * A session plays its script through the script player (lesson/play.c),
 * which owns the engine and the ledger. Every event reaches the ledger
 * first, then session_sink, which appends to the event log (a ring for the
 * screen) and to the full history (for message timelines), and moves the
 * message's token. Actions are recorded with the virtual time they were
 * taken; undo and reset rebuild the engine and replay them, which the
 * deterministic simulated engine turns back into the same state.
 *
 * Lesson steps are played as replay plays them, by the same player: a
 * step's action is performed at once, and its expectations are judged by
 * the player's evaluator when its time is over, which for "wait" and
 * "settle" is when ticks have moved virtual time to the end of the wait or
 * the scenario has gone quiet, so the screen can animate the time between.
 */
#include "lesson/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class/class_report.h"
#include "lesson/play.h"
#include "lesson/script_write.h"
#include "util/file.h"
#include "util/xmalloc.h"

#define SESSION_HISTORY_MAX 200000 /* events kept for timelines */
#define SESSION_SETTLE_US (60 * INT64_C(1000000))

enum session_act {
	SA_TOGGLE,
	SA_PUBLISH,
	SA_FAIL,
	SA_RESTART,
	SA_CONSUME,
	SA_STEP,      /* a lesson step's action */
	SA_CHALLENGE, /* the challenge started: a fresh scenario */
};

struct session_rec {
	int64_t t;
	enum session_act kind;
	enum toggle_id toggle;
	int64_t value;       /* toggle value, count, failure, on, step index */
	int joined;          /* taken back together with the record before */
};

/* One event kept whole for timelines; strings are owned. */
struct session_hist {
	struct event ev;
	char *where;
	char *detail;
};

struct session {
	const struct script *s;
	enum session_mode mode;
	struct session_opts o;
	struct play play;             /* the engine, the ledger, the step */

	struct session_rec *recs;
	size_t nrecs, recs_cap;
	int replaying;
	size_t unreset_n;             /* actions the last reset dropped; 0:
					 nothing to take back */
	int64_t unreset_t;            /* virtual time when it was reset */

	struct session_logline *log;  /* ring */
	size_t log_cap, log_head, log_len;
	struct session_hist *hist;
	size_t nhist, hist_cap;

	struct session_token *tokens; /* by message id */
	size_t tokens_cap;
	uint32_t max_msg;
	struct session_token *visible;
	size_t nvisible, visible_cap;
	char last_route[48];
	size_t events_seen;

	struct session_lesson lesson;
	int chal_playing;             /* the challenge's steps are playing */
	size_t chal_next;             /* its next step to start */
};

/* ---- events ------------------------------------------------------------ */

static int
session_queue_index(const struct session *ss, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < ss->s->topo.nqueues; i++)
		if (strcmp(ss->s->topo.queues[i].name, name) == 0)
			return (int)i;
	return -1;
}

static struct session_token *
session_token(struct session *ss, uint32_t id)
{
	ss->tokens = xgrow_zero(ss->tokens, &ss->tokens_cap, (size_t)id + 1,
	    sizeof *ss->tokens);
	if (id > ss->max_msg) {
		/* A fresh run numbers its messages from 1 again: nothing
		 * of an earlier run's token (its marks) may stay. */
		for (uint32_t i = ss->max_msg + 1; i <= id; i++) {
			memset(&ss->tokens[i], 0, sizeof ss->tokens[i]);
			ss->tokens[i].msg = i;
			ss->tokens[i].place = PLACE_PRODUCER;
			ss->tokens[i].queue = -1;
		}
		ss->max_msg = id;
	}
	return &ss->tokens[id];
}

/* Moves message ev->msg's token to where this event puts it. */
static void
session_move(struct session *ss, const struct event *ev)
{
	struct session_token *tk;
	const struct ledger_entry *le;

	if (ev->msg == 0)
		return;
	tk = session_token(ss, ev->msg);
	switch (ev->kind) {
	case EV_PAID:
		tk->place = PLACE_PRODUCER;
		/* Made with the producer's setting of the moment: lost
		 * before it was ever sent, it keeps that mark. */
		if (session_get_toggle(ss, TOGGLE_PERSISTENT))
			tk->flags |= TOKEN_PERSISTENT;
		else
			tk->flags &= ~(unsigned)TOKEN_PERSISTENT;
		break;
	case EV_PUBLISH:
		tk->place = PLACE_TO_EXCHANGE;
		if (ev->flag & EVENT_PUB_PERSISTENT)
			tk->flags |= TOKEN_PERSISTENT;
		else
			tk->flags &= ~(unsigned)TOKEN_PERSISTENT;
		break;
	case EV_ROUTED:
		tk->place = PLACE_EXCHANGE;
		break;
	case EV_ENQUEUE:
	case EV_REQUEUE:
		tk->place = PLACE_QUEUE;
		tk->queue = session_queue_index(ss, ev->where);
		if (ev->kind == EV_REQUEUE)
			tk->flags |= TOKEN_REDELIVERED;
		break;
	case EV_DEAD_LETTER:
	case EV_REPUBLISH:
		/* Marked only when parked for a person to look at: a dead
		 * letter that feeds a working queue (a delay, a retry) is on
		 * its way, not dead-lettered as the ledger counts it. */
		if (ev->flag)
			tk->flags |= TOKEN_DEAD_LETTERED;
		tk->queue = session_queue_index(ss, ev->where);
		if (tk->queue >= 0)
			tk->place = ev->flag ? PLACE_DEAD : PLACE_QUEUE;
		break;
	case EV_DELIVER:
		tk->place = PLACE_TO_CONSUMER;
		if (ev->flag)
			tk->flags |= TOKEN_REDELIVERED;
		break;
	case EV_WORK_START:
		tk->place = PLACE_CONSUMER;
		break;
	case EV_WORK_DONE:
	case EV_DUP_SKIP:
	case EV_RECONCILE:
		tk->place = PLACE_DONE;
		/* '=' is the ledger's duplicate: the same service applied
		 * it twice (two services of a fanout each once are not). */
		le = ledger_entry(ss->play.ledger, ev->msg);
		if (le && le->dup)
			tk->flags |= TOKEN_DUPLICATE;
		break;
	case EV_LOST:
		tk->place = PLACE_LOST;
		break;
	default:
		return;
	}
	tk->since = ev->t;
}

static void
session_route_note(struct session *ss, const struct event *ev)
{
	switch (ev->kind) {
	case EV_ROUTED:
		snprintf(ss->last_route, sizeof ss->last_route, "routed m%" PRIu32,
		    ev->msg);
		break;
	case EV_RETURN:
		snprintf(ss->last_route, sizeof ss->last_route,
		    "returned 312 m%" PRIu32, ev->msg);
		break;
	case EV_CHANNEL_CLOSE:
		if (ev->code == 404)
			snprintf(ss->last_route, sizeof ss->last_route,
			    "404 m%" PRIu32, ev->msg);
		break;
	case EV_LOST:
		/* A returned message's loss follows its basic.return: the
		 * exchange handed it back, it did not drop it silently. */
		if (ev->reason == LOSS_UNROUTABLE && ev->notice != NOTICE_RETURN)
			snprintf(ss->last_route, sizeof ss->last_route,
			    "unroutable m%" PRIu32, ev->msg);
		break;
	default:
		break;
	}
}

/*
 * Formats `ev` as a transcript line into buf, except that a consumer's
 * work done reads as that consumer's own effect, in the session's language
 * (lesson 02's refund consumer records a refund, it marks no order paid).
 */
static void
session_format(const struct session *ss, char *buf, size_t len,
    const struct event *ev, int with_time)
{
	const char *kt = event_kind_text(EV_WORK_DONE), *effect = NULL;
	char *at, *rest;

	event_format(buf, len, ev, with_time);
	if (ev->kind != EV_WORK_DONE || ev->where == NULL)
		return;
	/* A watched application's work is named by its queue (the wire
	 * shows the queue an ack settles, not which consumer). */
	for (size_t i = 0; i < ss->s->topo.nconsumers; i++) {
		const struct topo_consumer *c = &ss->s->topo.consumers[i];
		if ((strcmp(c->name, ev->where) == 0 || (session_watched(ss) &&
		    strcmp(c->queue, ev->where) == 0)) && c->effect_en)
			effect = strcmp(session_lang(ss), "zh") == 0 ?
			    c->effect_zh : c->effect_en;
	}
	if (effect == NULL || (at = strstr(buf, kt)) == NULL)
		return;
	rest = xstrdup(at + strlen(kt));
	snprintf(at, len - (size_t)(at - buf), "%s%s", effect, rest);
	free(rest);
}

static void
session_sink(void *ctx, const struct event *ev)
{
	struct session *ss = ctx;
	struct session_logline *ln;

	session_move(ss, ev);
	session_route_note(ss, ev);
	ss->events_seen++;

	if (ss->log_len == ss->log_cap) {
		ss->log_head = (ss->log_head + 1) % ss->log_cap;
		ss->log_len--;
	}
	ln = &ss->log[(ss->log_head + ss->log_len++) % ss->log_cap];
	ln->t = ev->t;
	ln->kind = ev->kind;
	ln->actor = ev->actor;
	ln->msg = ev->msg;
	session_format(ss, ln->text, sizeof ln->text, ev, 0);

	if (ss->nhist < SESSION_HISTORY_MAX) {
		struct session_hist *h;
		ss->hist = xgrow(ss->hist, &ss->hist_cap, ss->nhist + 1,
		    sizeof *ss->hist);
		h = &ss->hist[ss->nhist++];
		h->ev = *ev;
		h->where = ev->where ? xstrdup(ev->where) : NULL;
		h->detail = ev->detail ? xstrdup(ev->detail) : NULL;
		h->ev.where = h->where;
		h->ev.detail = h->detail;
	}
}

/* Processed tokens that stay in sight however old: the latest few. */
#define SESSION_DONE_KEPT 3

/* ---- engine lifetime --------------------------------------------------- */

static void
session_clear_state(struct session *ss)
{
	for (size_t i = 0; i < ss->nhist; i++) {
		free(ss->hist[i].where);
		free(ss->hist[i].detail);
	}
	ss->nhist = 0;
	ss->log_head = ss->log_len = 0;
	ss->max_msg = 0;
	ss->last_route[0] = '\0';
	ss->events_seen = 0;
	ledger_reset(ss->play.ledger);
}

/* Starts `run` afresh: a new engine, an empty ledger and event log. */
static int
session_build(struct session *ss, enum play_run run, char **cause)
{
	play_stop(&ss->play);
	session_clear_state(ss);
	return play_start(&ss->play, run, cause);
}

/* Back to the lesson's start. The hints already read stay read: a take-back
 * or a reset replays the learner's actions, not what they have seen (the
 * sixth review saw "(1 left)", then "(2 left)" after a run). */
static void
session_lesson_reset(struct session *ss)
{
	size_t hints = ss->lesson.hints_shown;

	memset(&ss->lesson, 0, sizeof ss->lesson);
	ss->lesson.hints_shown = hints;
	ss->lesson.nsteps = ss->mode == SESSION_LESSON ? ss->s->nsteps : 0;
	play_end(&ss->play);
}

struct session *
session_create(const struct script *s, enum session_mode mode,
    const struct session_opts *o, char **cause)
{
	struct session *ss = xcalloc(1, sizeof *ss);
	struct play_opts po;

	ss->s = s;
	ss->mode = mode;
	ss->o = *o;
	if (ss->o.lang == NULL)
		ss->o.lang = "en";
	memset(&po, 0, sizeof po);
	po.ops = o->ops;
	po.url = o->url;
	po.has_seed = o->has_seed;
	po.seed = o->seed;
	po.sink = session_sink;
	po.sink_ctx = ss;
	play_init(&ss->play, s, &po);
	ss->log_cap = o->log_lines ? o->log_lines : 500;
	ss->log = xcalloc(ss->log_cap, sizeof *ss->log);
	session_lesson_reset(ss);
	if (session_build(ss, PLAY_LESSON, cause) != 0) {
		session_free(ss);
		return NULL;
	}
	return ss;
}

void
session_free(struct session *ss)
{
	if (ss == NULL)
		return;
	play_stop(&ss->play);
	session_clear_state(ss);
	free(ss->hist);
	free(ss->log);
	free(ss->tokens);
	free(ss->visible);
	free(ss->recs);
	play_done(&ss->play);
	free(ss);
}

/* ---- actions ------------------------------------------------------------ */

static void
session_remember(struct session *ss, enum session_act kind,
    enum toggle_id toggle, int64_t value)
{
	struct session_rec *r;

	if (ss->replaying)
		return;
	ss->recs = xgrow(ss->recs, &ss->recs_cap, ss->nrecs + 1,
	    sizeof *ss->recs);
	r = &ss->recs[ss->nrecs++];
	r->t = ss->play.ops->now(ss->play.e);
	r->kind = kind;
	r->toggle = toggle;
	r->value = value;
	r->joined = 0;
}

int
session_toggle(struct session *ss, enum toggle_id id, int64_t value,
    char **cause)
{
	if (session_fixed(ss, id) && !ss->replaying &&
	    session_get_toggle(ss, id) != value) {
		*cause = xstrdup("this challenge keeps that toggle as it is; "
		    "its goal says why");
		return -1;
	}
	if (engine_set_toggle(ss->play.e, id, value, cause) != 0)
		return -1;
	session_remember(ss, SA_TOGGLE, id, value);
	return 0;
}

int
session_fixed(const struct session *ss, enum toggle_id id)
{
	return ss->mode == SESSION_LESSON && ss->lesson.challenge_on &&
	    ss->s->challenge && ss->s->challenge->fixed[id];
}

int
session_toggles(struct session *ss, const int64_t v[TOGGLE_COUNT],
    char **cause)
{
	size_t first = ss->nrecs;

	/* Numbers first, so that a switch turned on starts with its value. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < TOGGLE_COUNT; i++) {
			enum toggle_id id = (enum toggle_id)i;
			int sw = toggle_info(id)->type == TOGGLE_BOOL;
			if (sw != pass || session_get_toggle(ss, id) == v[i])
				continue;
			if (session_toggle(ss, id, v[i], cause) != 0)
				return -1;
			if (ss->nrecs > first + 1)
				ss->recs[ss->nrecs - 1].joined = 1;
		}
	return 0;
}

int
session_publish(struct session *ss, uint32_t count, char **cause)
{
	struct publish_req r;

	memset(&r, 0, sizeof r);
	r.count = count;
	r.expiration_ms = -1;
	r.delay_ms = -1;
	r.persistent = -1;
	if (engine_publish(ss->play.e, &r, cause) != 0)
		return -1;
	session_remember(ss, SA_PUBLISH, 0, count);
	return 0;
}

int
session_fail(struct session *ss, enum failure_kind kind, char **cause)
{
	struct failure_req r;

	memset(&r, 0, sizeof r);
	r.kind = kind;
	/* Link failures heal by themselves after a few seconds on screen. */
	if (kind == FAIL_CONNECTION_LOST || kind == FAIL_BLACKHOLE)
		r.ms = 5000;
	if (kind == FAIL_MESSAGE_EXPIRY)
		r.ms = 2000;
	if (ss->play.ops->inject(ss->play.e, &r, cause) != 0)
		return -1;
	session_remember(ss, SA_FAIL, 0, kind);
	return 0;
}

int
session_restart(struct session *ss, char **cause)
{
	if (ss->play.ops->restart(ss->play.e, cause) != 0)
		return -1;
	session_remember(ss, SA_RESTART, 0, 0);
	return 0;
}

int
session_consume(struct session *ss, int on, char **cause)
{
	if (engine_consume(ss->play.e, NULL, on, cause) != 0)
		return -1;
	session_remember(ss, SA_CONSUME, 0, on);
	return 0;
}

static int session_play_step(struct session *ss, size_t i, char **cause);

/* Replays records [0, n) on a fresh engine. */
static int
session_replay(struct session *ss, size_t n, char **cause)
{
	const struct script_challenge *c = ss->s->challenge;
	size_t start = 0;
	int rc = 0;

	/* Replays begin at the last challenge start, if any. */
	for (size_t i = 0; i < n; i++)
		if (ss->recs[i].kind == SA_CHALLENGE)
			start = i;
	session_lesson_reset(ss);
	if (start < n && ss->recs[start].kind == SA_CHALLENGE && c) {
		rc = session_build(ss, PLAY_CHALLENGE, cause);
		ss->lesson.challenge_on = 1;
		ss->lesson.step = ss->lesson.nsteps;
		start++;
	} else
		rc = session_build(ss, PLAY_LESSON, cause);
	ss->replaying = 1;
	for (size_t i = start; i < n && rc == 0; i++) {
		const struct session_rec *r = &ss->recs[i];
		int64_t now = ss->play.ops->now(ss->play.e);

		if (r->t > now)
			rc = ss->play.ops->advance(ss->play.e, r->t - now,
			    cause);
		if (rc != 0)
			break;
		switch (r->kind) {
		case SA_TOGGLE:
			rc = session_toggle(ss, r->toggle, r->value, cause);
			break;
		case SA_PUBLISH:
			rc = session_publish(ss, (uint32_t)r->value, cause);
			break;
		case SA_FAIL:
			rc = session_fail(ss, (enum failure_kind)r->value, cause);
			break;
		case SA_RESTART:
			rc = session_restart(ss, cause);
			break;
		case SA_CONSUME:
			rc = session_consume(ss, (int)r->value, cause);
			break;
		case SA_STEP:
			rc = session_play_step(ss, (size_t)r->value, cause);
			break;
		case SA_CHALLENGE:
			break;
		}
	}
	ss->replaying = 0;
	ss->nrecs = n;
	return rc;
}

int
session_live(const struct session *ss)
{
	return !(ss->play.ops->caps & ENGINE_CAP_VIRTUAL_TIME);
}

int
session_watched(const struct session *ss)
{
	return (ss->play.ops->caps & ENGINE_CAP_WIRE_READ) != 0;
}

/*
 * Keeps the first n records only, and lets time go on to where it was:
 * what they did is taken back, not the time that passed.
 */
static int
session_take_back(struct session *ss, size_t n, char **cause)
{
	int64_t now = ss->play.ops->now(ss->play.e), back;

	if (session_replay(ss, n, cause) != 0)
		return -1;
	back = ss->play.ops->now(ss->play.e);
	if (now > back)
		return ss->play.ops->advance(ss->play.e, now - back, cause);
	return 0;
}

int
session_undo(struct session *ss, char **cause)
{
	size_t n = ss->nrecs;

	/* A lesson step or the challenge start is a milestone, not undone. */
	if (ss->chal_playing) {
		*cause = xstrdup("wait for the challenge run to end");
		return -1;
	}
	if (!(ss->play.ops->caps & ENGINE_CAP_UNDO)) {
		*cause = xstrdup("undo needs the simulated engine: a real "
		    "broker cannot take back what happened");
		return -1;
	}
	if (n == 0 || ss->recs[n - 1].kind == SA_STEP ||
	    ss->recs[n - 1].kind == SA_CHALLENGE) {
		*cause = xstrdup("nothing to undo");
		return -1;
	}
	/* One press that set several toggles is taken back whole. */
	while (n > 1 && ss->recs[n - 1].joined)
		n--;
	return session_take_back(ss, n - 1, cause);
}

int
session_reset(struct session *ss, char **cause)
{
	ss->unreset_n = ss->chal_playing ? 0 : ss->nrecs;
	ss->unreset_t = ss->play.ops->now(ss->play.e);
	ss->nrecs = 0;
	return session_replay(ss, 0, cause);
}

int
session_unreset(struct session *ss, char **cause)
{
	int64_t back;
	size_t n = ss->unreset_n;

	if (n == 0 || ss->nrecs != 0) {
		*cause = xstrdup("the reset can only be taken back right after "
		    "it");
		return -1;
	}
	if (!(ss->play.ops->caps & ENGINE_CAP_UNDO)) {
		*cause = xstrdup("undo needs the simulated engine: a real "
		    "broker cannot take back what happened");
		return -1;
	}
	/* The dropped records are still in the array: nothing was recorded
	 * over them (nrecs is 0). */
	ss->unreset_n = 0;
	if (session_replay(ss, n, cause) != 0)
		return -1;
	back = ss->play.ops->now(ss->play.e);
	if (ss->unreset_t > back)
		return ss->play.ops->advance(ss->play.e, ss->unreset_t - back,
		    cause);
	return 0;
}

/* ---- time --------------------------------------------------------------- */

static void session_step_finish(struct session *ss);

long
session_tick(struct session *ss, int64_t budget_us, char **cause)
{
	int64_t now = ss->play.ops->now(ss->play.e), due, step;
	size_t before = ss->events_seen;
	int rc;

	if (budget_us < 0)
		budget_us = 0;
	due = ss->play.ops->next_due(ss->play.e);
	step = budget_us;
	if (due != INT64_MAX && due - now <= budget_us)
		step = due > now ? due - now : 0;
	step = play_clamp(&ss->play, step);
	rc = ss->play.ops->advance(ss->play.e, step, cause);
	if (ss->play.pending)
		session_step_finish(ss);
	if (rc != 0) {
		if (*cause == NULL)
			*cause = xstrdup("the engine could not move time on");
		return -1;
	}
	return (long)(ss->events_seen - before);
}

int64_t
session_now(const struct session *ss)
{
	return ss->play.ops->now(ss->play.e);
}

int
session_busy(const struct session *ss)
{
	return !ss->play.ops->quiet(ss->play.e) || ss->play.pending != NULL ||
	    ss->chal_playing;
}

/* ---- lesson --------------------------------------------------------------- */

/*
 * Judges step st's expectations; the screen shows the last that did not
 * hold. Not judged: counts of a story bound to another seed, and what a
 * real broker differs on by the step's compare rule (play_excuse).
 */
static void
session_check(struct session *ss, const struct script_step *st)
{
	const struct script_expect *xs = st->expects;
	int judged = play_judged(&ss->play);

	for (size_t i = 0; i < st->nexpects; i++) {
		struct play_check ck;
		enum play_verdict v = play_expect(&ss->play, &xs[i], &ck);

		if (v == PLAY_HELD)
			ss->lesson.expects_ok++;
		else if (v == PLAY_MISSED && (!judged ||
		    play_excuse(&ss->play, st, xs[i].counter)))
			ss->lesson.expects_unjudged++;
		else {
			ss->lesson.expects_failed++;
			ss->lesson.failed_at = (size_t)(st - ss->s->steps) + 1;
			snprintf(ss->lesson.failed, sizeof ss->lesson.failed,
			    "%s", ck.text);
			ss->lesson.failed_x = &xs[i];
			ss->lesson.failed_got = ck.got;
		}
	}
}

static void session_chal_advance(struct session *ss);
static int session_play_step(struct session *ss, size_t i, char **cause);

/*
 * With the chain option, starts the step after `done` when it is chained
 * (script_step_chained): not while replaying (the records hold it), not
 * after a learner step whose expectation missed (it is taken back). An
 * engine refusal stops the chain; the learner's next press reports it.
 */
static void
session_chain(struct session *ss, const struct script_step *done)
{
	char *cause = NULL;

	if (!ss->o.chain || ss->replaying || ss->play.pending ||
	    (done->learner && ss->lesson.expects_failed &&
	    ss->lesson.failed_at == (size_t)(done - ss->s->steps) + 1) ||
	    !script_step_chained(ss->s, ss->lesson.step))
		return;
	if (session_play_step(ss, ss->lesson.step, &cause) != 0)
		free(cause);
}

/* Ends the running step once its wait or settle is over. */
static void
session_step_finish(struct session *ss)
{
	const struct script_step *st = ss->play.pending;

	if (st == NULL || !play_time_up(&ss->play))
		return;
	play_end(&ss->play);
	if (ss->chal_playing) {
		session_chal_advance(ss);
		return;
	}
	session_check(ss, st);
	/* The answer belongs to the step until it has played out. */
	ss->lesson.step++;
	ss->lesson.answered = 0;
	session_chain(ss, st);
}

/* Whether the challenge goal holds on the current ledger. */
static int
session_goal_met(struct session *ss)
{
	return play_goal_miss(&ss->play, NULL) < 0;
}

/*
 * Starts the challenge's next steps until one takes time; when none is
 * left, judges the goal.
 */
static void
session_chal_advance(struct session *ss)
{
	const struct script_challenge *c = ss->s->challenge;

	while (ss->play.pending == NULL && ss->chal_next < c->nsteps) {
		const struct script_step *st = &c->steps[ss->chal_next++];
		char *cause = NULL;

		if (play_begin(&ss->play, st, &cause) != 0) {
			/* The scenario goes on; the goal will say how it went. */
			free(cause);
			continue;
		}
		if (!play_timed(&ss->play))
			play_end(&ss->play);
	}
	if (ss->play.pending == NULL) {
		ss->chal_playing = 0;
		ss->lesson.challenge_met = session_goal_met(ss);
		if (!ss->replaying)
			class_report_challenge(ss->lesson.challenge_met);
	}
}

/*
 * Starts step i's action; instant actions finish at once, and so does a
 * step's time while replaying.
 */
static int
session_play_step(struct session *ss, size_t i, char **cause)
{
	const struct script_step *st = &ss->s->steps[i];

	if (play_begin(&ss->play, st, cause) != 0)
		return -1;
	session_remember(ss, SA_STEP, 0, (int64_t)i);
	ss->lesson.asking = 0;
	if (ss->replaying && play_run_out(&ss->play, cause) != 0)
		return -1;
	session_step_finish(ss);
	return 0;
}

const struct script_step *
session_current_step(const struct session *ss)
{
	if (ss->mode != SESSION_LESSON || ss->lesson.challenge_on ||
	    ss->lesson.step >= ss->lesson.nsteps)
		return NULL;
	return &ss->s->steps[ss->lesson.step];
}

int
session_next_step(struct session *ss, char **cause)
{
	const struct script_step *st = session_current_step(ss);

	if (st == NULL) {
		*cause = xstrdup("no step left");
		return -1;
	}
	if (ss->play.pending) {
		*cause = xstrdup("the current step is still running");
		return -1;
	}
	if (st->ask && !ss->lesson.answered) {
		ss->lesson.asking = 1;
		*cause = xstrdup("answer the question first");
		return -1;
	}
	ss->lesson.retry[0] = '\0';
	return session_play_step(ss, ss->lesson.step, cause);
}

const struct script_step *
session_learner_step(const struct session *ss)
{
	const struct script_step *st = session_current_step(ss);

	return st && st->learner && ss->play.pending == NULL ? st : NULL;
}

/* Whether every toggle of step st's set holds its value now. */
static int
session_toggles_reached(const struct session *ss,
    const struct script_step *st)
{
	for (size_t i = 0; i < st->action.ntoggles; i++)
		if (session_get_toggle(ss, st->action.toggles[i].id) !=
		    st->action.toggles[i].value)
			return 0;
	return 1;
}

/*
 * Where the learner's own presses for step st begin in the records: the
 * run of toggle records of its set that ends the list.
 */
static size_t
session_learner_mark(const struct session *ss, const struct script_step *st)
{
	size_t n = ss->nrecs;

	while (n > 0 && ss->recs[n - 1].kind == SA_TOGGLE) {
		int mine = 0;
		for (size_t i = 0; i < st->action.ntoggles; i++)
			mine |= st->action.toggles[i].id == ss->recs[n - 1].toggle;
		if (!mine)
			break;
		n--;
	}
	return n;
}

/*
 * Plays the current step, the learner's, and judges how it went; a miss
 * takes back the step and the presses that led to it.
 */
static enum session_try
session_learner_play(struct session *ss, char **cause)
{
	size_t at = ss->lesson.step;
	size_t nrecs = session_learner_mark(ss, session_current_step(ss));
	size_t failed = ss->lesson.expects_failed;
	char what[sizeof ss->lesson.failed];
	const struct script_expect *x;
	uint64_t got;

	if (session_play_step(ss, at, cause) != 0)
		return SESSION_TRY_ERROR;
	ss->lesson.retry[0] = '\0';
	if (ss->lesson.expects_failed == failed ||
	    !(ss->play.ops->caps & ENGINE_CAP_UNDO)) {
		class_report_action((int)at);
		return SESSION_TRY_DONE;
	}
	/* Take the step back; the learner tries again from where it was. */
	snprintf(what, sizeof what, "%s", ss->lesson.failed);
	x = ss->lesson.failed_x;
	got = ss->lesson.failed_got;
	if (session_take_back(ss, nrecs, cause) != 0)
		return SESSION_TRY_ERROR;
	snprintf(ss->lesson.retry, sizeof ss->lesson.retry, "%s", what);
	ss->lesson.retry_x = x;
	ss->lesson.retry_got = got;
	return SESSION_TRY_AGAIN;
}

enum session_try
session_learner_press(struct session *ss, const int64_t v[TOGGLE_COUNT],
    char **cause)
{
	const struct script_step *st = session_learner_step(ss);
	int mine = 0;

	if (st == NULL)
		return SESSION_TRY_NONE;
	if (st->action.kind != ACT_TOGGLE)
		return SESSION_TRY_WRONG;
	for (size_t i = 0; i < st->action.ntoggles; i++) {
		enum toggle_id id = st->action.toggles[i].id;
		mine |= v[id] != session_get_toggle(ss, id);
	}
	if (!mine)
		return SESSION_TRY_WRONG;
	if (session_toggles(ss, v, cause) != 0)
		return SESSION_TRY_ERROR;
	if (!session_toggles_reached(ss, st))
		return SESSION_TRY_MORE;
	return session_learner_play(ss, cause);
}

enum session_try
session_learner_try(struct session *ss, enum script_action_kind kind, int id,
    int64_t value, char **cause)
{
	const struct script_step *st = session_learner_step(ss);
	const struct script_action *a;

	if (st == NULL)
		return SESSION_TRY_NONE;
	a = &st->action;
	if (kind != a->kind)
		return SESSION_TRY_WRONG;
	switch (kind) {
	case ACT_TOGGLE: {
		int64_t v[TOGGLE_COUNT];
		if (id < 0 || id >= TOGGLE_COUNT)
			return SESSION_TRY_WRONG;
		for (int i = 0; i < TOGGLE_COUNT; i++)
			v[i] = session_get_toggle(ss, (enum toggle_id)i);
		v[id] = value;
		return session_learner_press(ss, v, cause);
	}
	case ACT_FAIL:
		if ((int)a->fail.kind != id)
			return SESSION_TRY_WRONG;
		break;
	case ACT_PUBLISH:
		if ((int64_t)a->publish.count != id)
			return SESSION_TRY_WRONG;
		break;
	case ACT_RESTART:
	case ACT_CONSUME:
	case ACT_STOP:
		break;
	default:
		return SESSION_TRY_WRONG;
	}
	return session_learner_play(ss, cause);
}

int
session_answer(struct session *ss, size_t i)
{
	const struct script_step *st = session_current_step(ss);

	if (st == NULL || st->ask == NULL || i >= st->ask->nchoices)
		return 0;
	ss->lesson.answered = (int)i + 1;
	ss->lesson.answer_right = i == st->ask->answer;
	ss->lesson.asking = 0;
	class_report_answer((int)ss->lesson.step,
	    (int)script_step_number(ss->s, ss->lesson.step), (int)i,
	    ss->lesson.answer_right);
	return ss->lesson.answer_right;
}

int
session_challenge_start(struct session *ss, char **cause)
{
	const struct script_challenge *c = ss->s->challenge;

	if (c == NULL) {
		*cause = xstrdup("this lesson has no challenge");
		return -1;
	}
	session_remember(ss, SA_CHALLENGE, 0, 0);
	session_lesson_reset(ss);
	ss->chal_playing = 0;
	ss->lesson.challenge_on = 1;
	ss->lesson.step = ss->lesson.nsteps;
	return session_build(ss, PLAY_CHALLENGE, cause);
}

int
session_challenge_run(struct session *ss, char **cause)
{
	const struct script_challenge *c = ss->s->challenge;

	if (c == NULL || !ss->lesson.challenge_on) {
		*cause = xstrdup("start the challenge first");
		return -1;
	}
	ss->replaying = 1;
	for (size_t i = 0; i < c->nsteps; i++) {
		/* Waits and settles run through at once here. */
		int rc = play_begin(&ss->play, &c->steps[i], cause);
		if (rc == 0)
			rc = play_run_out(&ss->play, cause);
		play_end(&ss->play);
		if (rc != 0) {
			ss->replaying = 0;
			return -1;
		}
	}
	ss->replaying = 0;
	ss->lesson.challenge_met = session_goal_met(ss);
	class_report_challenge(ss->lesson.challenge_met);
	return ss->lesson.challenge_met;
}

int
session_challenge_play(struct session *ss, char **cause)
{
	if (ss->s->challenge == NULL || !ss->lesson.challenge_on) {
		*cause = xstrdup("start the challenge first");
		return -1;
	}
	if (ss->play.pending || ss->chal_playing) {
		*cause = xstrdup("the challenge is already playing");
		return -1;
	}
	ss->chal_playing = 1;
	ss->chal_next = 0;
	ss->lesson.challenge_met = 0;
	session_chal_advance(ss);
	return 0;
}

int
session_step_running(const struct session *ss)
{
	return ss->play.pending != NULL || ss->chal_playing;
}

size_t
session_hint(struct session *ss)
{
	const struct script_challenge *c = ss->s->challenge;

	if (c && ss->lesson.hints_shown < c->nhints) {
		ss->lesson.hints_shown++;
		class_report_hint((int)ss->lesson.hints_shown);
	}
	return ss->lesson.hints_shown;
}

const struct session_lesson *
session_lesson(const struct session *ss)
{
	return &ss->lesson;
}

/* ---- reading ------------------------------------------------------------- */

const struct script *
session_script(const struct session *ss)
{
	return ss->s;
}

enum session_mode
session_mode(const struct session *ss)
{
	return ss->mode;
}

const char *
session_lang(const struct session *ss)
{
	return ss->o.lang;
}

int64_t
session_get_toggle(const struct session *ss, enum toggle_id id)
{
	return engine_get_toggle(ss->play.e, id);
}

void
session_view(struct session *ss, struct engine_view *v)
{
	ss->play.ops->view(ss->play.e, v);
}

void
session_summary(const struct session *ss, struct ledger_summary *sum)
{
	ledger_summarize(ss->play.ledger, sum);
}

const struct ledger *
session_ledger(const struct session *ss)
{
	return ss->play.ledger;
}

size_t
session_log(const struct session *ss, const struct session_logline **lines)
{
	if (lines)
		*lines = ss->log;
	return ss->log_len;
}

const struct session_logline *
session_log_at(const struct session *ss, size_t i)
{
	if (i >= ss->log_len)
		return NULL;
	return &ss->log[(ss->log_head + i) % ss->log_cap];
}

size_t
session_tokens(const struct session *ss, const struct session_token **tokens)
{
	struct session *w = (struct session *)ss;
	int64_t now = ss->play.ops->now(ss->play.e);

	int64_t last[SESSION_DONE_KEPT];
	size_t nlast = 0;

	/* The times of the latest processed ones, newest first. */
	for (uint32_t id = 1; id <= ss->max_msg; id++) {
		int64_t t = ss->tokens[id].since;
		size_t at = nlast;
		if (ss->tokens[id].place != PLACE_DONE)
			continue;
		while (at > 0 && last[at - 1] < t)
			at--;
		if (at >= SESSION_DONE_KEPT)
			continue;
		if (nlast < SESSION_DONE_KEPT)
			nlast++;
		memmove(last + at + 1, last + at, (nlast - 1 - at) *
		    sizeof *last);
		last[at] = t;
	}
	w->nvisible = 0;
	for (uint32_t id = 1; id <= ss->max_msg; id++) {
		const struct session_token *tk = &ss->tokens[id];
		/* Processed messages stay visible for a virtual second, and
		 * the latest few until newer ones come (a consumer pane that
		 * emptied by itself read as nothing done); lost ones stay
		 * (the lab lists them, as the ledger counts them). */
		if (tk->place == PLACE_DONE && now - tk->since > 1000000 &&
		    nlast == SESSION_DONE_KEPT && tk->since < last[nlast - 1])
			continue;
		w->visible = xgrow(w->visible, &w->visible_cap,
		    w->nvisible + 1, sizeof *w->visible);
		w->visible[w->nvisible++] = *tk;
	}
	*tokens = w->visible;
	return w->nvisible;
}

const char *
session_last_route(const struct session *ss)
{
	return ss->last_route;
}

char *
session_timeline(const struct session *ss, uint32_t msg)
{
	char *buf = NULL, line[640];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const struct ledger_entry *le = ledger_entry(ss->play.ledger, msg);

	if (f == NULL)
		return xstrdup("");
	for (size_t i = 0; i < ss->nhist; i++)
		if (ss->hist[i].ev.msg == msg) {
			session_format(ss, line, sizeof line, &ss->hist[i].ev,
			    1);
			fprintf(f, "%s\n", line);
		}
	if (le) {
		enum ledger_fate fate = ledger_fate(le);
		struct ledger_story st;
		fprintf(f, "fate: %s", ledger_fate_text(fate));
		if (fate == FATE_LOST)
			fprintf(f, " (%s at %s; producer told: %s)",
			    event_reason_text(le->reason),
			    event_reason_hop(le->reason),
			    le->notice == NOTICE_SILENT ? "nothing" :
			    event_notice_name(le->notice));
		fputc('\n', f);
		session_story(ss, msg, &st);
		ledger_story_print(f, &st);
		ledger_story_free(&st);
	}
	fclose(f);
	return buf;
}

void
session_story(const struct session *ss, uint32_t msg, struct ledger_story *st)
{
	ledger_story_init(st, &ss->s->topo);
	for (size_t i = 0; i < ss->nhist; i++)
		if (ss->hist[i].ev.msg == msg)
			ledger_story_apply(st, &ss->hist[i].ev);
}

/* ---- recording ------------------------------------------------------------ */

/* Appends recorded action `r` as a step after `sep`. */
static void
session_record_rec(const struct session *ss, struct script_write_buf *b,
    const char *sep, const struct session_rec *r)
{
	struct script_action a;
	struct script_toggle tg = { r->toggle, r->value, 0 };

	memset(&a, 0, sizeof a);
	switch (r->kind) {
	case SA_TOGGLE:
		a.kind = ACT_TOGGLE;
		a.toggles = &tg;
		a.ntoggles = 1;
		break;
	case SA_PUBLISH:
		a.kind = ACT_PUBLISH;
		a.publish.count = (uint32_t)r->value;
		a.publish.persistent = -1;
		a.publish.expiration_ms = -1;
		a.publish.delay_ms = -1;
		break;
	case SA_FAIL:
		/* A failure with a length is given the one its key starts. */
		a.kind = ACT_FAIL;
		a.fail.kind = (enum failure_kind)r->value;
		a.fail.ms = r->value == FAIL_CONNECTION_LOST ||
		    r->value == FAIL_BLACKHOLE ? 5000 :
		    r->value == FAIL_MESSAGE_EXPIRY ? 2000 : 0;
		break;
	case SA_RESTART:
		a.kind = ACT_RESTART;
		break;
	case SA_CONSUME:
		a.kind = r->value ? ACT_CONSUME : ACT_STOP;
		break;
	case SA_STEP:
		a = ss->s->steps[r->value].action;
		break;
	default:
		return;
	}
	script_write_put(b, "%s  ", sep);
	/* Narration, waits and settles: their time shows in the waits. */
	if (!script_write_action(b, &a))
		script_write_put(b, "{ say = { en = \"(lesson step)\"; zh = "
		    "\"（课程步骤）\"; }; }");
}

int
session_record(const struct session *ss, const char *path, char **cause)
{
	struct script_write_buf b;
	int64_t last = 0, now = ss->play.ops->now(ss->play.e);
	size_t written = 0;
	char *en, *zh;
	int rc;

	script_write_init(&b);
	script_write_put(&b, "# Recorded by rabbitlab: every action of a "
	    "session, with the time between them.\n");
	en = xasprintf("recorded-%s", ss->s->id);
	script_write_put(&b, "id = ");
	script_write_str(&b, en);
	script_write_put(&b, ";\n");
	free(en);
	en = xasprintf("%s (recorded)", ss->s->title.en ? ss->s->title.en : "");
	zh = xasprintf("%s（录制）", ss->s->title.zh ? ss->s->title.zh : "");
	script_write_text(&b, "title", en, zh);
	free(en);
	free(zh);
	script_write_put(&b, "seed = %" PRIu64 ";\n", ss->play.seed);
	if (ss->s->sim_only)
		script_write_put(&b, "sim_only = true;\n");
	script_write_topology(&b, &ss->s->topo);
	script_write_put(&b, "toggles = {");
	for (size_t i = 0; i < ss->s->ntoggles; i++)
		script_write_toggle(&b, ss->s->toggles[i].id,
		    ss->s->toggles[i].value);
	script_write_put(&b, " };\nsteps = (\n");
	for (size_t i = 0; i < ss->nrecs; i++) {
		const struct session_rec *r = &ss->recs[i];

		if (r->kind == SA_CHALLENGE)
			continue;
		if (r->t > last) {
			script_write_put(&b, "%s  { do = \"wait\"; us = %"
			    PRId64 "; }", written++ ? ",\n" : "", r->t - last);
			last = r->t;
		}
		session_record_rec(ss, &b, written++ ? ",\n" : "", r);
	}
	if (now > last)
		script_write_put(&b, "%s  { do = \"wait\"; us = %" PRId64 "; }",
		    written++ ? ",\n" : "", now - last);
	if (written == 0)
		script_write_put(&b, "  { say = { en = \"Nothing was done.\"; "
		    "zh = \"什么也没做。\"; }; }");
	script_write_put(&b, "\n);\n");
	rc = file_replace_text(path, b.s, cause);
	free(b.s);
	return rc;
}
