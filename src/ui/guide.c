/*
 * The lesson pane. It shows, as blocks of wrapped text: the narration of
 * the step at hand (the latest step that says something), the question to
 * predict before the step plays, the verdict and its explanation as soon
 * as the learner answers (the step then plays under them; space reads on:
 * predict, then observe, then read why), how the step's expectations
 * fared, and what space will do next, or, on a learner step, which key
 * the learner must press (named from the key table). After the last step it turns into the challenge: goal, live check
 * of each goal counter, hints and the solution on request. In the sandbox
 * it is a short guide to the keys.
 *
 * When the pane is short, blocks of lower priority give way first, so at
 * 80x24 a question and its choices always fit.
 */
#include "ui/guide.h"

#include <curses.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/goal.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/words.h"
#include "ui/lab.h"
#include "ui/text.h"

#define GUIDE_MAX_BLOCKS 24

/* What guide_choose could fit, from best to worst. */
enum { GUIDE_FIT, GUIDE_TRIMMED, GUIDE_SCROLL };
#define GUIDE_TEXT 1024

/* A choice's "1) ": its bytes, and the columns its wrapped lines hang
 * under (a question has at most 6 choices: script_question). */
#define GUIDE_HANG 3

struct guide_block {
	char text[GUIDE_TEXT];
	enum draw_role role;
	int prio;       /* 1 first to go .. 5 never dropped */
	int indent;     /* GUIDE_HANG for a choice, else 0 */
	int pin;        /* a key prompt: always shown, at the pane's foot */
	/* A shorter text that may stand in for the block when the whole
	 * does not fit (a question's stem as its last sentence), or "". */
	char brief[GUIDE_TEXT / 4];
};

struct guide {
	struct guide_block b[GUIDE_MAX_BLOCKS];
	int n;
};

static struct guide_block *
guide_add(struct guide *g, int prio, enum draw_role role, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static struct guide_block *
guide_add(struct guide *g, int prio, enum draw_role role, const char *fmt,
    ...)
{
	struct guide_block *b;
	va_list ap;

	if (g->n == GUIDE_MAX_BLOCKS)
		return NULL;
	b = &g->b[g->n++];
	va_start(ap, fmt);
	vsnprintf(b->text, sizeof b->text, fmt, ap);
	va_end(ap);
	b->role = role;
	b->prio = prio;
	b->indent = 0;
	b->pin = role == DRAW_KEY;
	b->brief[0] = '\0';
	return b;
}

/*
 * Sets b's brief to the last sentence of `text` under `fmt` ("Predict: %s")
 * after an ellipsis, when `text` has more than one sentence.
 */
static void
guide_brief(struct guide_block *b, const char *fmt, const char *text)
{
	static const char *const ends[] = { ". ", "? ", "! ", ": ",
	    "\xe3\x80\x82", "\xef\xbc\x9f", "\xef\xbc\x81", "\xef\xbc\x9a" };
	const char *last = NULL;
	char tail[GUIDE_TEXT / 4];

	if (b == NULL)
		return;
	/* The start of the last sentence: after the last end of one that
	 * is not the text's own end. */
	for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++) {
		size_t el = strlen(ends[k]);
		for (const char *p = strstr(text, ends[k]); p != NULL;
		    p = strstr(p + el, ends[k]))
			if (p[el] != '\0' && (last == NULL || p + el > last))
				last = p + el;
	}
	if (last == NULL)
		return;
	while (*last == ' ')
		last++;
	snprintf(tail, sizeof tail, "%s %s", draw_ascii() ? "..." :
	    "\xe2\x80\xa6", last);
	snprintf(b->brief, sizeof b->brief, fmt, tail);
}

/* Pins block b (NULL: nothing): a prompt stays at the pane's foot. */
static void
guide_pin(struct guide_block *b)
{
	if (b)
		b->pin = 1;
}

static const char *
guide_text(const struct lab *lab, const struct script_text *t)
{
	return script_text_get(t, lab->o.lang);
}

/*
 * What space does at step `at`, in a few words: its action, and for a publish
 * the messages of the publishes chained to it as well (space plays them
 * together: script_step_chained).
 */
static void
guide_action(const struct script *s, size_t at, char *buf, size_t len)
{
	const struct script_action *a = &s->steps[at].action;
	char v[48];
	unsigned n;

	switch (a->kind) {
	case ACT_NONE:
		snprintf(buf, len, "%s", _("continue"));
		break;
	case ACT_PUBLISH:
		n = (unsigned)a->publish.count;
		for (size_t k = at + 1; script_step_chained(s, k); k++)
			if (s->steps[k].action.kind == ACT_PUBLISH)
				n += (unsigned)s->steps[k].action.publish.count;
		snprintf(buf, len, _("publish %u"), n);
		break;
	case ACT_TOGGLE: {
		size_t o = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < a->ntoggles && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o,
			    i ? _(", %s=%s") : _("set %s=%s"),
			    words_toggle(a->toggles[i].id),
			    keys_value(a->toggles[i].id,
				a->toggles[i].value, v, sizeof v));
		break;
	}
	case ACT_FAIL:
		snprintf(buf, len, _("failure: %s"),
		    keys_display(KEYS_FAILURE, (int)a->fail.kind));
		break;
	case ACT_RESTART:
		snprintf(buf, len, "%s", _("start the broker again"));
		break;
	case ACT_WAIT:
		/* A wait that ends once its state holds may end early. */
		if (a->until_met)
			snprintf(buf, len, _("let up to %lld ms pass"),
			    (long long)a->ms);
		else
			snprintf(buf, len, _("let %lld ms pass"),
			    (long long)a->ms);
		break;
	case ACT_SETTLE:
		snprintf(buf, len, "%s", _("run until things settle"));
		break;
	case ACT_CONSUME:
		snprintf(buf, len, "%s", _("start the consumer"));
		break;
	case ACT_STOP:
		snprintf(buf, len, "%s", _("stop the consumer"));
		break;
	}
}

int
guide_verdict_open(const struct lab *lab)
{
	const struct script *s = lab->script;
	size_t step;

	if (!lab->qa_open || lab->qa_step < 0 || lab->mode != SESSION_LESSON)
		return 0;
	step = session_lesson(lab->ss)->step;
	/* The answered step itself while it plays: its verdict shows at
	 * once, not when a long step (a 20 s outage) has played out. */
	if (session_lesson(lab->ss)->challenge_on ||
	    (size_t)lab->qa_step > step || s->steps[lab->qa_step].ask == NULL ||
	    ((size_t)lab->qa_step == step && !session_step_running(lab->ss)))
		return 0;
	/* Open until a step that talks has been played since. */
	for (size_t k = (size_t)lab->qa_step + 1; k < step; k++)
		if (!script_step_chained(s, k))
			return 0;
	return 1;
}

/* The key that does toggle or failure `id`, named: "c". */
static const char *
guide_key_name(enum keys_kind kind, int id, char *buf, size_t len)
{
	const struct keys_def *k = keys_of(kind, id);

	return k ? keys_name(k->key, buf, len) : "?";
}

/* How many presses of toggle id's key take it from the toggles at now[]
   to `to`, as free play presses it (1 if its key never gets there: the
   checker refuses such a learner step). */
static int
guide_presses(enum toggle_id id, const int64_t now[TOGGLE_COUNT], int64_t to)
{
	const struct keys_def *k = keys_of(KEYS_TOGGLE, (int)id);
	int64_t v[TOGGLE_COUNT];

	if (k == NULL)
		return 1;
	memcpy(v, now, sizeof v);
	for (int n = 1; n <= 16; n++) {
		keys_press(keys_head(k), v);
		if (v[id] == to)
			return n;
	}
	return 1;
}

/*
 * What learner step st asks for, as one sentence naming the key (from the
 * key table, never from the lesson's text).
 */
static void
guide_want_text(const struct lab *lab, const struct script_step *st,
    char *buf, size_t len)
{
	const struct script_action *a = &st->action;
	char key[16], v[48];

	buf[0] = '\0';
	switch (a->kind) {
	case ACT_TOGGLE:
		for (size_t i = 0; i < a->ntoggles; i++) {
			enum toggle_id id = a->toggles[i].id;
			if (session_get_toggle(lab->ss, id) == a->toggles[i].value)
				continue;
			int64_t now[TOGGLE_COUNT];
			lab_toggles_get(lab, now);
			int n = guide_presses(id, now, a->toggles[i].value);
			guide_key_name(KEYS_TOGGLE, (int)id, key, sizeof key);
			keys_value(id, a->toggles[i].value, v, sizeof v);
			if (n == 2)
				snprintf(buf, len, _("Press %s twice to set %s "
				    "to %s."), key,
				    keys_display(KEYS_TOGGLE, (int)id), v);
			else if (n > 2)
				snprintf(buf, len, _("Press %s %d times to set "
				    "%s to %s."), key, n,
				    keys_display(KEYS_TOGGLE, (int)id), v);
			else
				snprintf(buf, len, _("Press %s to set %s to %s."),
				    key, keys_display(KEYS_TOGGLE, (int)id), v);
			return;
		}
		break;
	case ACT_FAIL:
		snprintf(buf, len, _("Press %s to cause the failure: %s."),
		    guide_key_name(KEYS_FAILURE, (int)a->fail.kind, key,
		    sizeof key), keys_display(KEYS_FAILURE,
		    (int)a->fail.kind));
		break;
	case ACT_RESTART:
		snprintf(buf, len, _("Press %s to start the broker again."),
		    guide_key_name(KEYS_COMMAND, CMD_BROKER, key, sizeof key));
		break;
	case ACT_PUBLISH:
		if (a->publish.count == SCRIPT_KEY_BURST)
			snprintf(buf, len, _("Press %s to publish ten."),
			    guide_key_name(KEYS_COMMAND, CMD_BURST, key,
			    sizeof key));
		else
			snprintf(buf, len, _("Press %s to publish one."),
			    guide_key_name(KEYS_COMMAND, CMD_PUBLISH, key,
			    sizeof key));
		break;
	case ACT_CONSUME:
	case ACT_STOP:
		snprintf(buf, len, a->kind == ACT_CONSUME ?
		    _("Press %s to start the consumers.") :
		    _("Press %s to stop the consumers."),
		    guide_key_name(KEYS_COMMAND, CMD_CONSUMERS, key,
		    sizeof key));
		break;
	default:
		break;
	}
}

/* guide_want_text, a Latin word set apart from the Chinese round it. */
static void
guide_want(const struct lab *lab, const struct script_step *st, char *buf,
    size_t len)
{
	char raw[256];

	guide_want_text(lab, st, raw, sizeof raw);
	text_space_mixed(raw, buf, len);
}

/*
 * A failed expectation x (value got) in the screen's words: "duplicated is
 * 9, expected 5", "trade.pay.success ready is 2, expected 0 to 1".
 */
static const char *
guide_missed(const struct script_expect *x, uint64_t got, char *buf,
    size_t len)
{
	char what[200];
	const char *dot;
	unsigned long long g = got, lo = x->min, hi = x->max;

	dot = strrchr(x->counter, '.');
	if (strncmp(x->counter, "queue.", 6) == 0 && dot &&
	    dot > x->counter + 6)
		snprintf(what, sizeof what, "%.*s %s",
		    (int)(dot - x->counter - 6), x->counter + 6,
		    strcmp(dot + 1, "ready") == 0 ? _("ready") : _("unacked"));
	else
		snprintf(what, sizeof what, "%s", words_counter(x->counter));
	if (lo == hi)
		snprintf(buf, len, _("%s is %llu, expected %llu"), what, g, lo);
	else
		snprintf(buf, len, _("%s is %llu, expected %llu to %llu"),
		    what, g, lo, hi);
	return buf;
}

/* A learner step waits: which key, and what the last try did. */
static void
guide_yours(struct guide *g, struct lab *lab, const struct script_step *st,
    const struct session_lesson *ls)
{
	char want[256], key[16], missed[320];

	guide_want(lab, st, want, sizeof want);
	if (lab->act_note_step == (long)ls->step && lab->act_note[0])
		guide_add(g, 4, DRAW_WARN, "%s", lab->act_note);
	if (ls->retry[0])
		guide_add(g, 4, DRAW_BAD, _("That did not turn out as the "
		    "lesson expects (%s), so it was taken back. Try again."),
		    ls->retry_x ? guide_missed(ls->retry_x, ls->retry_got,
		    missed, sizeof missed) : ls->retry);
	/* One prompt line: "S does it" after the key it stands in for. */
	guide_add(g, 5, DRAW_KEY, _("Your turn. %s (%s does it for you)"),
	    want, guide_key_name(KEYS_COMMAND, CMD_SOLUTION, key, sizeof key));
}

/* The status after a key that is not the waiting step's. */
static void
guide_wrong(struct lab *lab, const struct script_step *st,
    const struct keys_def *k)
{
	char want[256], key[16];

	guide_want(lab, st, want, sizeof want);
	keys_name(k->key, key, sizeof key);
	lab->act_note_step = (long)session_lesson(lab->ss)->step;
	if (k->kind == KEYS_COMMAND) {
		snprintf(lab->act_note, sizeof lab->act_note, "%s",
		    _("This step waits for you to act."));
		lab_status(lab, 0, "%s", want);
	} else {
		snprintf(lab->act_note, sizeof lab->act_note,
		    _("%s (%s) is not what this step is about, so nothing "
		    "changed."), key, keys_label(k));
		lab_status(lab, 1, "%s", want);
	}
}

/* Plays the waiting learner step as the script has it (S: do it for me). */
static enum guide_keyed
guide_do_it(struct lab *lab)
{
	char *cause = NULL;

	if (session_next_step(lab->ss, &cause) != 0) {
		lab_status(lab, 1, "%s", cause ? cause :
		    _("the step did not start"));
		free(cause);
		return GUIDE_SHOWN;
	}
	lab_status(lab, 0, "%s", _("Done for you, as the lesson has it."));
	return GUIDE_PLAYED;
}

enum guide_keyed
guide_key(struct lab *lab, const struct keys_def *k)
{
	const struct script_step *st;
	enum session_try r;
	struct engine_view v;
	char *cause = NULL, buf[48];

	if (lab->mode != SESSION_LESSON)
		return GUIDE_PASS;
	/* Space closes a verdict once its step, and the silent steps chained
	 * to it, have played; before that it plays them out (cmd_next), the
	 * verdict still showing. */
	if (k->kind == KEYS_COMMAND && k->id == CMD_NEXT &&
	    guide_verdict_open(lab) && !session_step_running(lab->ss)) {
		lab->qa_open = 0;
		return GUIDE_SHOWN;
	}
	/* A prediction is about things as they stand: what would change
	 * them waits for the answer. */
	st = session_current_step(lab->ss);
	if (st && st->ask && !session_lesson(lab->ss)->answered &&
	    (k->kind == KEYS_TOGGLE || k->kind == KEYS_FAILURE ||
	    (k->kind == KEYS_COMMAND && (k->id == CMD_PUBLISH ||
	    k->id == CMD_BURST || k->id == CMD_SET || k->id == CMD_BROKER ||
	    k->id == CMD_CONSUMERS)))) {
		lab_status(lab, 1, _("Answer first (1-%zu): the question is "
		    "about things as they stand."), st->ask->nchoices);
		return GUIDE_SHOWN;
	}
	if ((st = session_learner_step(lab->ss)) == NULL)
		return GUIDE_PASS;
	switch (k->kind) {
	case KEYS_TOGGLE: {
		/* The press does what it does in free play (keys_press). */
		enum toggle_id id = (enum toggle_id)keys_head(k)->id;
		int64_t tv[TOGGLE_COUNT];
		lab_toggles_get(lab, tv);
		keys_press(keys_head(k), tv);
		r = session_learner_press(lab->ss, tv, &cause);
		if (r == SESSION_TRY_MORE || r == SESSION_TRY_DONE)
			lab_status(lab, 0, "%s = %s",
			    keys_display(KEYS_TOGGLE, (int)id),
			    keys_value(id, tv[id], buf, sizeof buf));
		break;
	}
	case KEYS_FAILURE:
		r = session_learner_try(lab->ss, ACT_FAIL, k->id, 0, &cause);
		if (r == SESSION_TRY_DONE)
			lab_status(lab, 1, _("Failure: %s"),
			    keys_display(KEYS_FAILURE, k->id));
		break;
	case KEYS_COMMAND:
		if (k->id == CMD_SOLUTION)
			return guide_do_it(lab);
		if (k->id == CMD_NEXT) {
			guide_wrong(lab, st, k);
			return GUIDE_SHOWN;
		}
		if (k->id == CMD_BROKER)
			r = session_learner_try(lab->ss, ACT_RESTART, 0, 0,
			    &cause);
		else if ((k->id == CMD_PUBLISH || k->id == CMD_BURST) &&
		    st->action.kind == ACT_PUBLISH)
			/* Elsewhere + and * publish as in free play. */
			r = session_learner_try(lab->ss, ACT_PUBLISH,
			    k->id == CMD_BURST ? SCRIPT_KEY_BURST :
			    SCRIPT_KEY_PUBLISH, 0, &cause);
		else if (k->id == CMD_CONSUMERS) {
			/* Z does what the step waits for: the consumers may
			   still be connecting when it asks to stop them. */
			enum script_action_kind want = st->action.kind;
			if (want != ACT_CONSUME && want != ACT_STOP) {
				session_view(lab->ss, &v);
				want = v.consumers_connected == 0 ?
				    ACT_CONSUME : ACT_STOP;
			}
			r = session_learner_try(lab->ss, want, 0, 0, &cause);
		} else
			return GUIDE_PASS;
		if (r == SESSION_TRY_DONE)
			lab->status[0] = '\0';
		break;
	default:
		return GUIDE_PASS;
	}
	if (r != SESSION_TRY_WRONG)
		lab->act_note[0] = '\0';
	switch (r) {
	case SESSION_TRY_NONE:
		return GUIDE_PASS;
	case SESSION_TRY_WRONG:
		guide_wrong(lab, st, k);
		return GUIDE_SHOWN;
	case SESSION_TRY_MORE:
		return GUIDE_APPLIED;
	case SESSION_TRY_DONE:
		return GUIDE_PLAYED;
	case SESSION_TRY_AGAIN:
		lab_status(lab, 1, "%s", _("Not as the lesson expects: taken "
		    "back, try again."));
		return GUIDE_SHOWN;
	case SESSION_TRY_ERROR:
		break;
	}
	lab_status(lab, 1, "%s", cause ? cause : _("the engine refused"));
	free(cause);
	return GUIDE_SHOWN;
}

static void
guide_question(struct guide *g, struct lab *lab, const struct script_step *st,
    const struct session_lesson *ls)
{
	const struct script_question *q = st->ask;
	struct guide_block *b;

	/* Under a verdict only the learner's choice and the right one stay:
	 * the choices nobody picked would show or not by how long the
	 * language's text is, so one language's answer screen would list
	 * options the other's does not. */
	int open = guide_verdict_open(lab);

	b = guide_add(g, open ? 3 : 5, DRAW_ASK, _("Predict: %s"),
	    guide_text(lab, &q->prompt));
	/* Beside a verdict at 80x24 the stem may shrink to its question. */
	if (open)
		guide_brief(b, _("Predict: %s"), guide_text(lab, &q->prompt));
	for (size_t i = 0; i < q->nchoices; i++) {
		int mine = open ? lab->qa_choice == (int)i :
		    ls->answered == (int)i + 1;
		const char *mark = "";
		if (open && !mine && i != q->answer)
			continue;
		/* The verdict on the choices themselves, so that at 80x24 the
		 * verdict line gives way before the question does. */
		if (open)
			mark = mine && i == q->answer ?
			    _(" <- right") : mine ?
			    _(" <- your pick") : _(" <- the answer");
		/* A wrong pick gives way before the question does: the
		 * answer's line and the explanation say what matters. */
		b = guide_add(g, !open ? 5 : mine && i != q->answer ? 2 : 4,
		    mine ? DRAW_SELECTED : DRAW_NORMAL, "%zu) %s%s", i + 1,
		    guide_text(lab, &q->choices[i]), mark);
		if (b)
			b->indent = GUIDE_HANG;
	}
	if (open)
		return;
	if (ls->answered) { /* the step before was still playing */
		b = guide_add(g, 4, DRAW_DIM, "%s",
		    _("Locked in. Press space and watch what happens."));
		if (b)
			b->pin = 1;
	}
	else
		guide_add(g, 4, DRAW_KEY, _("Press 1-%zu to answer."),
		    q->nchoices);
}

static void
guide_verdict(struct guide *g, struct lab *lab)
{
	const struct script_question *q = lab->script->steps[lab->qa_step].ask;

	if (q == NULL)
		return;
	/* Priority 2: the choices carry the verdict when rows are short. */
	if (lab->qa_right)
		guide_add(g, 2, DRAW_GOOD, _("You predicted %d: right."),
		    lab->qa_choice + 1);
	else
		guide_add(g, 2, DRAW_BAD,
		    _("You predicted %d; the answer was %zu."),
		    lab->qa_choice + 1, q->answer + 1);
	guide_add(g, 5, DRAW_SAY, "%s", guide_text(lab, &q->explain));
}

static void
guide_checks(struct guide *g, const struct session_lesson *ls,
    const struct script *s)
{
	char missed[320];

	if (ls->expects_unjudged && !ls->expects_failed)
		guide_add(g, 1, DRAW_DIM, _("Checks: not judged; this story is "
		    "written for seed %llu."), (unsigned long long)s->seed);
	else if (ls->expects_failed)
		guide_add(g, 3, DRAW_BAD, _("Checks: %zu held, %zu failed (%s)"),
		    ls->expects_ok, ls->expects_failed, ls->failed_x ?
		    guide_missed(ls->failed_x, ls->failed_got, missed,
		    sizeof missed) : ls->failed);
	else if (ls->expects_ok && getenv("RABBITLAB_CHECKS"))
		/* A tester's line (the live tests wait for it): learners
		 * only hear about checks when one fails. */
		guide_add(g, 1, DRAW_GOOD, _("Checks: all %zu held."),
		    ls->expects_ok);
}

/* The toggles the challenge keeps as they are, with their values. */
static void
guide_fixed(struct guide *g, struct lab *lab)
{
	char line[GUIDE_TEXT], v[48], key[16];
	size_t o = 0;

	for (int i = 0; i < TOGGLE_COUNT && o < sizeof line; i++) {
		enum toggle_id id = (enum toggle_id)i;
		if (!session_fixed(lab->ss, id))
			continue;
		o += (size_t)snprintf(line + o, sizeof line - o, "%s%s %s = %s",
		    o ? _("; ") : "", guide_key_name(KEYS_TOGGLE, i, key,
			sizeof key), keys_display(KEYS_TOGGLE, i),
		    keys_value(id, session_get_toggle(lab->ss, id), v,
			sizeof v));
	}
	if (o > 0)
		guide_add(g, 4, DRAW_WARN, _("Fixed: %s"), line);
}

static void
guide_challenge(struct guide *g, struct lab *lab,
    const struct session_lesson *ls)
{
	const struct script_challenge *c = lab->script->challenge;

	if (c == NULL) {
		guide_add(g, 5, DRAW_GOOD, "%s",
		    _("Lesson complete. q goes back to the lesson list."));
		return;
	}
	if (!ls->challenge_on) {
		/* The pane's title says so too: first to go when short. */
		guide_add(g, 2, DRAW_GOOD, "%s", _("All steps done."));
		guide_add(g, 5, DRAW_ASK, _("Challenge: %s"),
		    guide_text(lab, &c->goal));
		guide_add(g, 5, DRAW_KEY, "%s",
		    _("Press space to start the challenge."));
		return;
	}
	/* The title says "Challenge", and the goal pane (or the goal line
	 * above the ledger) shows the counters: the statement alone. */
	guide_add(g, 5, DRAW_ASK, "%s", guide_text(lab, &c->goal));
	guide_fixed(g, lab);
	if (lab->challenge_tried && lab->step_running &&
	    goal_checked_at_ms(c) >= 0)
		guide_add(g, 5, DRAW_KEY, _("The scenario is running; the "
		    "goal is judged %.3g s into it."),
		    goal_checked_at_ms(c) / 1000.0);
	else if (lab->challenge_tried && lab->step_running)
		guide_add(g, 5, DRAW_KEY, "%s",
		    _("The scenario is running; the goal is judged at its end."));
	else if (lab->challenge_tried) {
		if (ls->challenge_met) {
			guide_add(g, 5, DRAW_GOOD, "%s",
			    _("Goal met! The lesson is complete."));
			/* The moment to take the answer back to real code. */
			guide_add(g, 1, DRAW_DIM, "%s", _("J shows these "
			    "toggles as Spring and rabbitmq-c code."));
		}
		else
			guide_pin(guide_add(g, 5, DRAW_BAD, "%s",
			    _("Not yet: change toggles, then press space.")));
	} else
		guide_add(g, 4, DRAW_KEY, "%s",
		    _("Set toggles, then press space to run it."));
	for (size_t i = 0; i < ls->hints_shown && i < c->nhints; i++)
		guide_add(g, 4, DRAW_WARN, _("Hint: %s"),
		    guide_text(lab, &c->hints[i]));
	if (lab->solution_shown && c->nsolution) {
		char line[GUIDE_TEXT], v[48];
		size_t o = (size_t)snprintf(line, sizeof line, "%s",
		    _("Solution:"));
		/* As keys when S planned them (lab.c), else as names. */
		for (size_t i = 0; i < lab->player.n && o < sizeof line; i++)
			o += (size_t)snprintf(line + o, sizeof line - o,
			    "%s%s", i ? _("; ") : text_after_label(_("Solution:")),
			    lab->player.text[i]);
		for (size_t i = 0; lab->player.n == 0 &&
		    i < c->nsolution && o < sizeof line; i++)
			o += (size_t)snprintf(line + o, sizeof line - o,
			    "%s%s=%s", i ? " " : text_after_label(_("Solution:")),
			    words_toggle(c->solution[i].id),
			    keys_value(c->solution[i].id,
				c->solution[i].value, v, sizeof v));
		guide_add(g, 4, DRAW_GOOD, "%s", line);
	} else if (!(lab->challenge_tried && !lab->step_running &&
	    ls->challenge_met)) {
		/* The keys to more help stay in sight, until the goal is met. */
		if (ls->hints_shown < c->nhints)
			guide_pin(guide_add(g, 1, DRAW_DIM,
			    _("H: hint (%zu left), S: solution"),
			    c->nhints - ls->hints_shown));
		else
			guide_pin(guide_add(g, 1, DRAW_DIM, "%s",
			    _("S: show the solution")));
	}
}

static void
guide_lesson(struct guide *g, struct lab *lab)
{
	const struct script *s = lab->script;
	const struct session_lesson *ls = session_lesson(lab->ss);
	const struct script_step *cur = session_current_step(lab->ss);
	size_t at = ls->step < s->nsteps ? ls->step : s->nsteps;

	if (ls->challenge_on) {
		guide_challenge(g, lab, ls);
		return;
	}
	if (guide_verdict_open(lab)) {
		/* Predict, observe, read why: before the next step's text. */
		const struct script_step *q = &s->steps[lab->qa_step];
		guide_question(g, lab, q, ls);
		guide_verdict(g, lab);
		guide_checks(g, ls, s);
		/* Not pinned: the question and why come before it. */
		if (lab_animating(lab))
			guide_add(g, 1, DRAW_DIM, "%s",
			    _("Watch the panes... (G skips ahead)"));
		else
			guide_add(g, 3, DRAW_KEY, "%s", _("space: read on"));
		return;
	}
	/* The narration in force: the latest step that says something. An
	 * earlier step's stays as wanted as its own while the silent steps
	 * after it play (the learner watches them with it); a question of
	 * the step's own comes first, and an earlier step's text, read
	 * already, gives way to it unmarked; once all steps are done the
	 * challenge comes first. */
	for (size_t k = at + 1; k-- > 0;) {
		if (k < s->nsteps && s->steps[k].say.en) {
			/* (With every step done it gives way unmarked: it
			 * was read when its step played.) */
			guide_add(g, k == at || (cur && !cur->ask) ? 4 : 2,
			    DRAW_SAY, "%s",
			    guide_text(lab, &s->steps[k].say));
			break;
		}
	}
	if (cur && cur->ask)
		guide_question(g, lab, cur, ls);
	guide_checks(g, ls, s);
	if (cur == NULL) {
		guide_challenge(g, lab, ls);
		return;
	}
	if (cur->learner && !(lab->step_running || lab_animating(lab))) {
		guide_yours(g, lab, cur, ls);
		return;
	}
	if (!(cur->ask && !ls->answered)) {
		char act[256];
		guide_action(s, at, act, sizeof act);
		if (lab->step_running && session_live(lab->ss))
			guide_pin(guide_add(g, 2, DRAW_DIM, "%s",
			    _("Running on the real broker...")));
		else if (lab->step_running && lab->paused)
			guide_pin(guide_add(g, 2, DRAW_DIM, _("Paused while "
			    "playing: %s (P resumes, . moves on)"), act));
		else if (lab_animating(lab))
			guide_pin(guide_add(g, 2, DRAW_DIM, "%s",
			    _("Watch the panes... (G skips ahead)")));
		else
			guide_add(g, 3, DRAW_KEY, _("space: %s"), act);
	}
}

static void
guide_sandbox(struct guide *g, struct lab *lab)
{
	/* The lesson's summary goes first when the pane is short: the
	 * learner chose the lesson by it, and its title is in the header. */
	guide_add(g, 1, DRAW_SAY, "%s",
	    guide_text(lab, &lab->script->summary));
	guide_add(g, 4, DRAW_NORMAL, "%s",
	    _("Sandbox: free play on this lesson's setup. + publishes one "
	    "payment, * ten. Lower-case letters in the panes flip toggles; "
	    "capitals in the footer break things. BkSp undoes, R resets."));
	guide_add(g, 2, DRAW_DIM, "%s",
	    _("Tab selects a message on screen, Enter shows its timeline."));
	guide_add(g, 1, DRAW_DIM, "%s", _("J shows the toggles as code, V "
	    "opens the glossary."));
}

/* Lines block i takes at width w. */
static int
guide_lines(const struct guide_block *b, int w)
{
	/* An indented block's "1) " hangs in the indent (guide_block). */
	return text_wrap_lines(b->text + (b->indent ? GUIDE_HANG : 0),
	    w - b->indent > 4 ? w - b->indent : 4);
}

/* Builds the blocks and the pane's title for the session now. */
static void
guide_build(struct guide *g, struct lab *lab, char *title, size_t len)
{
	const struct session_lesson *ls = session_lesson(lab->ss);

	g->n = 0;
	if (lab->mode == SESSION_SANDBOX) {
		snprintf(title, len, " %s ", _("Sandbox"));
		guide_sandbox(g, lab);
		return;
	}
	if (ls->challenge_on)
		snprintf(title, len, " %s ", _("Challenge"));
	else if (ls->step >= ls->nsteps)
		snprintf(title, len, " %s ", _("Lesson: all steps done"));
	else
		/* An open verdict belongs to its question's step. */
		snprintf(title, len, _(" Lesson: step %zu of %zu "),
		    script_step_number(lab->script, guide_verdict_open(lab) ?
		    (size_t)lab->qa_step : ls->step),
		    script_step_number(lab->script, SIZE_MAX));
	guide_lesson(g, lab);
}

/* Lines the blocks of priority >= prio and the pinned prompts take at
 * width w: what must be on screen at once. */
static int
guide_essential(const struct guide *g, int w, int prio)
{
	int total = 0;

	for (int i = 0; i < g->n; i++)
		if (g->b[i].prio >= prio || g->b[i].pin)
			total += guide_lines(&g->b[i], w);
	return total;
}

int
guide_fits(struct lab *lab, int w, int h)
{
	static struct guide g;
	char title[128];

	guide_build(&g, lab, title, sizeof title);
	/* Under a verdict the question (priority 3) is wanted beside it
	 * more than the event log is. */
	return guide_essential(&g, w - 2, guide_verdict_open(lab) ? 3 : 4) <=
	    h - 1;
}

long
guide_read_ms(struct lab *lab)
{
	static struct guide g;
	char title[128];
	long ms = 0;

	/* Narration is the presenter's to pace (--autoplay=MS); an answer's
	 * explanation is read by each learner alone. */
	if (!guide_verdict_open(lab))
		return 0;
	guide_build(&g, lab, title, sizeof title);
	/* The verdict and its explanation: the question and its choices
	 * were read before answering. */
	for (int i = 0; i < g.n; i++)
		if (!g.b[i].pin && (g.b[i].role == DRAW_SAY ||
		    g.b[i].role == DRAW_GOOD || g.b[i].role == DRAW_BAD))
			ms += text_read_ms(g.b[i].text);
	return ms;
}

/*
 * Chooses the unpinned blocks that fit in `rows` (keep[i]), dropping the
 * least wanted first. Returns GUIDE_FIT when all kept text fits and none
 * of priority 3 and up gave way, GUIDE_TRIMMED when such text gave way
 * (the pane marks its border), and GUIDE_SCROLL when text of priority 4
 * and up cannot fit: the pane then scrolls instead of losing it.
 */
static int
guide_choose(struct guide *g, int keep[], int w, int rows)
{
	int total = 0, lost = GUIDE_FIT;

	for (int i = 0; i < g->n; i++) {
		keep[i] = !g->b[i].pin;
		if (keep[i])
			total += guide_lines(&g->b[i], w);
	}
	for (int prio = 1; prio <= 4 && total > rows; prio++)
		for (int i = 0; i < g->n && total > rows; i++)
			if (keep[i] && g->b[i].prio == prio) {
				keep[i] = 0;
				total -= guide_lines(&g->b[i], w);
			}
	/* Dropping whole blocks can free more than needed: take back what
	 * fits again, the most wanted and then the latest first. */
	for (int prio = 4; prio >= 1; prio--)
		for (int i = g->n; i-- > 0;) {
			struct guide_block *b = &g->b[i];
			if (keep[i] || b->pin || b->prio != prio)
				continue;
			if (total + guide_lines(b, w) > rows && b->brief[0]) {
				/* Its brief instead, if that fits (the
				 * block is rebuilt at every draw). */
				char whole[GUIDE_TEXT];
				memcpy(whole, b->text, sizeof whole);
				/* brief is shorter than text, and NUL-ended. */
				memmove(b->text, b->brief,
				    strlen(b->brief) + 1);
				if (total + guide_lines(b, w) > rows)
					memcpy(b->text, whole, sizeof whole);
				else
					lost = GUIDE_TRIMMED;
			}
			if (total + guide_lines(b, w) <= rows) {
				keep[i] = 1;
				total += guide_lines(b, w);
			}
		}
	for (int i = 0; i < g->n; i++)
		if (!keep[i] && !g->b[i].pin && g->b[i].prio >= 3)
			lost = g->b[i].prio >= 4 ? GUIDE_SCROLL :
			    lost > GUIDE_TRIMMED ? lost : GUIDE_TRIMMED;
	return total > rows ? GUIDE_SCROLL : lost;
}

/*
 * Draws block b from row y in at most `rows` rows, leaving out its first
 * `skip` lines; returns rows used.
 */
static int
guide_block(const struct guide_block *b, int y, int x, int w, int rows,
    int skip)
{
	if (rows <= 0)
		return 0;
	if (b->indent) {
		/* "1) " hangs; the text wraps under itself. */
		if (skip == 0)
			draw_text_n(y, x, b->indent, b->text, GUIDE_HANG,
			    b->role);
		return draw_wrap(y, x + b->indent, w - b->indent, rows, skip,
		    b->text + GUIDE_HANG, b->role);
	}
	return draw_wrap(y, x, w, rows, skip, b->text, b->role);
}

/* A hash of the blocks' text: when it changes, the pane scrolls back to
 * the top. */
static unsigned
guide_sig(const struct guide *g)
{
	unsigned h = 2166136261u;

	for (int i = 0; i < g->n; i++)
		for (const char *c = g->b[i].text; *c; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
	return h;
}

/*
 * Text that matters and cannot fit: the blocks of priority 3 and up from
 * line p->scroll, in rows y..end-2, and on the last row which lines show
 * and the keys that scroll (guide_key_scroll). Sets p->more to the lines
 * that can be scrolled to.
 */
static void
guide_scroll(struct pane *p, const struct guide *g, int y, int end, int w)
{
	int total = 0, avail = end - y - 1, skip;

	if (avail < 1)
		avail = 1;
	for (int i = 0; i < g->n; i++)
		if (!g->b[i].pin && g->b[i].prio >= 3)
			total += guide_lines(&g->b[i], w);
	p->more = total > avail ? total - avail : 0;
	if (p->scroll > p->more)
		p->scroll = p->more;
	skip = p->scroll;
	for (int i = 0; i < g->n && y < end - 1; i++) {
		int n;
		if (g->b[i].pin || g->b[i].prio < 3)
			continue;
		n = guide_lines(&g->b[i], w);
		if (skip >= n) {
			skip -= n;
			continue;
		}
		y += guide_block(&g->b[i], y, p->x + 1, w, end - 1 - y, skip);
		skip = 0;
	}
	if (p->more > 0)
		draw_printf(end - 1, p->x + 1, w, DRAW_WARN,
		    _("lines %d-%d of %d; Down/Up scroll"), p->scroll + 1,
		    p->scroll + avail, total);
}

/*
 * The one pinned block, when it is the only one, takes one line and fits
 * on the top border beside the title and the marker: its index, else -1.
 */
static int
guide_prompt_up(const struct guide *g, const struct pane *p,
    const char *title, int pinned)
{
	int found = -1;

	if (pinned != 1)
		return -1;
	for (int i = 0; i < g->n; i++)
		if (g->b[i].pin) {
			if (found >= 0)
				return -1;
			found = i;
		}
	if (found < 0 || text_width(title) + text_width(g->b[found].text) +
	    2 + 10 > p->w)
		return -1;
	return found;
}

/*
 * The pane: the chosen blocks, then the key prompts (pinned), which are
 * never dropped. Text that had to give way is never cut silently: the top
 * border ends in a marker, and text that matters scrolls (guide_scroll).
 */
static void
guide_draw(struct pane *p, struct lab *lab)
{
	static struct guide g;
	int keep[GUIDE_MAX_BLOCKS], rows = p->h - 1, pinned = 0, y, end, cut;
	int w = p->w - 2, prompt;
	unsigned sig;
	char title[128];

	p->more = 0;
	if (p->h <= 1)
		return;
	guide_build(&g, lab, title, sizeof title);
	sig = guide_sig(&g);
	if (sig != p->sig)
		p->scroll = 0;
	p->sig = sig;
	draw_hline(p->y, p->x, p->w, DRAW_BORDER);
	draw_text(p->y, p->x + 2, p->w - 4, title, DRAW_HEAD);

	for (int i = 0; i < g.n; i++)
		if (g.b[i].pin)
			pinned += guide_lines(&g.b[i], w);
	if (pinned > rows - 2)
		pinned = rows - 2 > 0 ? rows - 2 : 0;
	cut = guide_choose(&g, keep, w, rows - pinned);
	prompt = cut != GUIDE_FIT ? guide_prompt_up(&g, p, title, pinned) : -1;
	if (prompt >= 0) {
		/* Text gave way while a one-line prompt fits on the top
		 * border: it goes there, and gives its row to the text
		 * (blocks are rebuilt: guide_choose may have briefed one). */
		guide_build(&g, lab, title, sizeof title);
		pinned = 0;
		cut = guide_choose(&g, keep, w, rows);
		draw_printf(p->y, p->x + p->w - 5 - text_width(g.b[prompt].text)
		    - 2, text_width(g.b[prompt].text) + 2, g.b[prompt].role,
		    " %s ", g.b[prompt].text);
	}
	y = p->y + 1;
	end = p->y + p->h - pinned;
	if (cut == GUIDE_SCROLL) {
		guide_scroll(p, &g, y, end, w);
		y = end;
	} else
		for (int i = 0; i < g.n && y < end; i++)
			if (keep[i])
				y += guide_block(&g.b[i], y, p->x + 1, w,
				    end - y, 0);
	if (cut == GUIDE_TRIMMED && p->w > 8)
		/* On the top border, where it hides no text. */
		draw_text(p->y, p->x + p->w - 4, 3, draw_ascii() ? " + " :
		    " \xe2\x80\xa6 ", DRAW_WARN);
	for (int i = 0; i < g.n && y < p->y + p->h; i++)
		if (g.b[i].pin && i != prompt)
			y += guide_block(&g.b[i], y, p->x + 1, w,
			    p->y + p->h - y, 0);
}

/* Down and Up scroll text that does not fit (p->more, set by the last
 * draw); with nothing to scroll they are not the pane's. */
static int
guide_key_scroll(struct pane *p, struct lab *lab, int key)
{
	(void)lab;
	if (p->more <= 0 || (key != KEY_DOWN && key != KEY_UP))
		return 0;
	if (key == KEY_DOWN && p->scroll < p->more)
		p->scroll++;
	else if (key == KEY_UP && p->scroll > 0)
		p->scroll--;
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_ops guide_ops = { "lesson", guide_draw,
	guide_key_scroll };
