/*
 * The goal pane, the solution's plan and its player. The pane reads only
 * the lab (the script's challenge, the ledger summary, the player); the
 * plan is pure arithmetic over toggle values, so tests can prove every
 * lesson's solution is reachable by keys without a terminal; the player
 * sets one beat's toggles at a time through the lab (lab_toggles_set) and
 * hands the run to lab_next.
 */
#include "ui/goal.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "class/class_report.h"
#include "ui/board.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/pane.h"
#include "ui/text.h"
#include "ui/words.h"

int
goal_plan(struct goal_player *gp, const struct script_challenge *c,
    const int64_t now[TOGGLE_COUNT], int *bad)
{
	int64_t v[TOGGLE_COUNT];

	memset(gp, 0, sizeof *gp);
	gp->due_ms = -1;
	*bad = -1;
	if (c->nsolution > GOAL_MAX_BEATS)
		return -1;
	memcpy(v, now, sizeof v);
	for (size_t i = 0; i < c->nsolution; i++) {
		int presses;
		enum toggle_id id = c->solution[i].id;

		if (keys_reach(id, c->solution[i].value, v, gp->text[i],
		    sizeof gp->text[i], &presses) != 0) {
			*bad = (int)id;
			return -1;
		}
		memcpy(gp->v[i], v, sizeof v);
		gp->n++;
	}
	return 0;
}

const char *
goal_target(const struct script_expect *x, char *buf, size_t len)
{
	if (x->min == x->max)
		snprintf(buf, len, "%" PRIu64, x->min);
	else
		snprintf(buf, len, "%" PRIu64 "-%" PRIu64, x->min, x->max);
	return buf;
}

/* One goal row: counter (cw columns), target, now, met or not; before
 * the run (pending) only the target: the lesson's counts are no "now". */
static void
goal_row(struct pane *p, int y, const struct script_expect *x, uint64_t v,
    int cw, int pending)
{
	int ok = v >= x->min && v <= x->max;
	char want[48];

	goal_target(x, want, sizeof want);
	draw_name(y, p->x + 1, cw, board_counter_label(x->counter, cw - 1),
	    DRAW_NORMAL);
	draw_printf(y, p->x + 1 + cw, 6, DRAW_VALUE, "%6s", want);
	if (pending) {
		draw_printf(y, p->x + 7 + cw, 7, DRAW_DIM, "%7s", "-");
		return;
	}
	draw_printf(y, p->x + 7 + cw, 7, ok ? DRAW_GOOD : DRAW_BAD,
	    "%7" PRIu64, v);
	draw_text(y, p->x + 15 + cw, p->w - 15 - cw,
	    ok ? _("met") : _("not met"), ok ? DRAW_GOOD : DRAW_BAD);
}

int64_t
goal_checked_at_ms(const struct script_challenge *c)
{
	int64_t us = 0;

	if (c->nsteps == 0 || c->steps[c->nsteps - 1].action.kind != ACT_WAIT)
		return -1;
	for (size_t i = 0; i < c->nsteps; i++) {
		const struct script_action *a = &c->steps[i].action;
		if (a->kind == ACT_SETTLE || a->kind == ACT_RESTART ||
		    (a->kind == ACT_PUBLISH && a->publish.every_us > 0) ||
		    (a->kind == ACT_WAIT && a->until_met))
			return -1;
		if (a->kind == ACT_WAIT)
			us += a->us > 0 ? a->us : a->ms * 1000;
	}
	return us / 1000;
}

static void
goal_draw(struct pane *p, struct lab *lab)
{
	const struct script_challenge *c = lab->script->challenge;
	const struct session_lesson *ls = session_lesson(lab->ss);
	int y = p->y + 1, end = p->y + p->h, cw = 10;
	size_t met = 0;

	if (p->h <= 1 || c == NULL)
		return;
	draw_hline(p->y, p->x, p->w, DRAW_BORDER);
	draw_printf(p->y, p->x + 2, p->w - 4, DRAW_HEAD, " %s ",
	    _("Goal: target and now"));
	for (size_t i = 0; i < c->nexpects; i++) {
		int w = text_width(words_counter(c->expects[i].counter));
		if (w + 1 > cw)
			cw = w + 1;
	}
	if (cw > p->w - 22)
		cw = p->w - 22;
	/* The column heads go first when the rows need the room. */
	if ((int)c->nexpects + 2 < p->h) {
		/* Right-aligned by display width: the Chinese heads are
		 * wider in bytes than in columns. */
		const char *g = _("goal"), *n = _("now");
		draw_text(y, p->x + 7 + cw - text_width(g), text_width(g), g,
		    DRAW_DIM);
		draw_text(y, p->x + 14 + cw - text_width(n), text_width(n), n,
		    DRAW_DIM);
		y++;
	}
	for (size_t i = 0; i < c->nexpects; i++) {
		uint64_t v = 0;
		const struct script_expect *x = &c->expects[i];
		(void)ledger_counter(&lab->sum, x->counter, &v);
		if (v >= x->min && v <= x->max)
			met++;
		if (y < end)
			goal_row(p, y++, x, v, cw, !lab->challenge_tried &&
			    !lab->step_running);
	}
	if (y >= end)
		return;
	if (lab->challenge_tried && !lab->step_running && ls->challenge_met)
		y += draw_wrap(y, p->x + 1, p->w - 1, end - y, 0,
		    lab->last_lesson ? _("Met! That was the last lesson.") :
		    _("Met! space: next lesson."), DRAW_GOOD);
	else if (!lab->challenge_tried && !lab->step_running)
		/* Before the run, a counter at 0 would read as met. */
		draw_printf(y++, p->x + 1, p->w - 1, DRAW_DIM, "%s",
		    _("Not run yet: space runs it."));
	else
		draw_printf(y++, p->x + 1, p->w - 1, DRAW_DIM,
		    _("%zu of %zu met now"), met, c->nexpects);
	/* The solution's beats, the one playing marked. */
	for (size_t i = 0; i < lab->player.n && lab->solution_shown &&
	    y < end; i++) {
		int done = i < lab->player.at;
		draw_printf(y++, p->x + 1, p->w - 1,
		    done ? DRAW_GOOD : DRAW_DIM, "%s %s",
		    done ? "+" : " ", lab->player.text[i]);
	}
}

/*
 * Counter i of the challenge's goal as "name target/now" and a mark, into
 * buf; returns whether it is met now.
 */
static int
goal_item(struct lab *lab, size_t i, char *buf, size_t len)
{
	const struct script_expect *e = &lab->script->challenge->expects[i];
	uint64_t v = 0;
	char want[48];
	int ok;

	(void)ledger_counter(&lab->sum, e->counter, &v);
	ok = v >= e->min && v <= e->max;
	if (!lab->challenge_tried && !lab->step_running) {
		/* Before the run, as the pane: the target, no "now". */
		snprintf(buf, len, " %s %s/-", words_counter(e->counter),
		    goal_target(e, want, sizeof want));
		return 0;
	}
	snprintf(buf, len, " %s %s/%" PRIu64 "%s", words_counter(e->counter),
	    goal_target(e, want, sizeof want), v, ok ? (draw_ascii() ? "+" :
	    "\u2713") : (draw_ascii() ? "x" : "\u2717"));
	return ok;
}

void
goal_line(struct lab *lab, int y, int x, int w)
{
	const struct script_challenge *c = lab->script->challenge;
	int end = x + w, pending = !lab->challenge_tried && !lab->step_running;
	size_t shown = 0;

	if (c == NULL || w <= 0)
		return;
	draw_blank(y, x, w, DRAW_NORMAL);
	x += draw_text(y, x, end - x, _("Goal (target/now):"), DRAW_HEAD);
	/* The counters not met first; what does not fit is counted ("+2"),
	 * never silently left out. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nexpects; i++) {
			char item[96];
			int ok = goal_item(lab, i, item, sizeof item);
			int room = end - x - (shown + 1 < c->nexpects ? 4 : 0);

			if (ok != pass)
				continue;
			if (text_width(item) > room) {
				draw_printf(y, x, end - x, DRAW_DIM, " +%zu",
				    c->nexpects - shown);
				return;
			}
			x += draw_text(y, x, end - x, item, pending ?
			    DRAW_VALUE : ok ? DRAW_GOOD : DRAW_BAD);
			shown++;
		}
}

int
goal_play_start(struct lab *lab)
{
	const struct script_challenge *c = lab->script->challenge;
	const struct session_lesson *ls = session_lesson(lab->ss);
	const char *again = _("Goal met already: S again replays the "
	    "solution from the start.");
	int64_t v[TOGGLE_COUNT];
	char *cause = NULL;
	int bad;

	if (lab->player.due_ms >= 0)
		return PANE_REDRAW;
	/* A met goal is not run over by one stray key: S asks first. */
	if (ls->challenge_met && lab->challenge_tried && !lab->step_running &&
	    strcmp(lab->status, again) != 0) {
		lab_status(lab, 0, "%s", again);
		return PANE_REDRAW;
	}
	/* A run still playing gives way: the solution starts afresh. */
	lab->step_running = lab->finishing = 0;
	if (session_challenge_start(lab->ss, &cause) != 0) {
		lab_cause(lab, cause, _("the challenge did not start"));
		return PANE_REDRAW;
	}
	lab->challenge_tried = 0;
	lab->free_run = 0;
	lab->solution_shown = 1;
	class_report_solution();
	lab_toggles_get(lab, v);
	if (goal_plan(&lab->player, c, v, &bad) != 0) {
		lab_status(lab, 1, _("No keys reach the solution's %s."),
		    bad >= 0 ? words_toggle((enum toggle_id)bad) : "?");
		lab->player.due_ms = -1;
		return PANE_REDRAW;
	}
	lab->player.due_ms = lab_clock_ms() + GOAL_BEAT_MS / 2;
	lab_status(lab, 0, "%s", _("The solution, key by key:"));
	lab_kick(lab);
	return PANE_REDRAW;
}

int
goal_play_beat(struct lab *lab, int64_t now_ms)
{
	struct goal_player *gp = &lab->player;

	if (gp->due_ms < 0 || now_ms < gp->due_ms)
		return 0;
	if (gp->at < gp->n) {
		if (lab_toggles_set(lab, gp->v[gp->at]) != 0) {
			gp->due_ms = -1;
			return PANE_REDRAW;
		}
		lab_status(lab, 0, _("Solution %zu/%zu: %s"), gp->at + 1,
		    gp->n, gp->text[gp->at]);
		gp->at++;
		gp->due_ms = now_ms + GOAL_BEAT_MS;
		return PANE_REDRAW;
	}
	gp->due_ms = -1;
	return lab_next(lab);
}

const struct pane_ops goal_ops = {
	.name = "goal",
	.draw = goal_draw,
	.key = NULL,
};

void
goal_opened(struct lab *lab)
{
	lab_toggles_get(lab, lab->chal_from);
	lab->run_asked = 0;
}

int
goal_run_unchanged(struct lab *lab)
{
	int64_t now[TOGGLE_COUNT];

	if (lab->challenge_tried || lab->run_asked)
		return 0;
	lab_toggles_get(lab, now);
	if (memcmp(now, lab->chal_from, sizeof now) != 0)
		return 0;
	lab->run_asked = 1;
	lab_status(lab, 0, "%s", _("Nothing changed yet (H: a hint). Space "
	    "again runs it as it is."));
	return 1;
}
