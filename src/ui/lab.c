/*
 * The lab screen: owns the session and the panes, lays them out for the
 * terminal size, turns keys into session actions through the key table
 * (ui/keys.h) and one handler per command, and paces virtual time.
 *
 * Pacing. The simulation would run a whole scenario in microseconds; a
 * learner needs to see each step. session_tick() stops just after the first
 * instant at which something happened, so the lab ticks, draws, and then
 * holds that picture for a while (400 ms at 1x) before the next tick. When
 * nothing happens, virtual time still flows, in frames of 50 ms that move
 * the clock ever faster the longer the quiet lasts, so a five second
 * reconnect wait takes about a second and a minute-long settle a few. When
 * the session has nothing in flight (session_busy() is false), or is paused,
 * the lab asks for no timeout at all and the loop sleeps until a key.
 */
#include "ui/lab.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "class/class_event.h"
#include "class/class_report.h"
#include "ui/bar.h"
#include "ui/board.h"
#include "ui/build.h"
#include "ui/code.h"
#include "ui/draw.h"
#include "ui/entry.h"
#include "ui/evlog.h"
#include "ui/flow.h"
#include "ui/gloss.h"
#include "ui/guide.h"
#include "ui/help.h"
#include "ui/i18n.h"
#include "ui/words.h"
#include "ui/keys.h"
#include "ui/layout.h"
#include "ui/text.h"
#include "ui/trace.h"
#include "util/xmalloc.h"

/* Speeds: label, how long each instant with events stays on screen, and
 * the virtual time one quiet frame moves at first. */
static const struct {
	const char *label;
	int hold_ms;
	int64_t quiet_us;
} lab_speeds[] = {
	{ "1/4x", 1600, 25000 },
	{ "1/2x", 800, 50000 },
	{ "1x", 400, 100000 },
	{ "2x", 200, 200000 },
	{ "4x", 100, 400000 },
	{ "8x", 50, 800000 },
	{ "max", 0, 0 },
};

#define LAB_NSPEEDS (int)(sizeof lab_speeds / sizeof lab_speeds[0])
#define LAB_SPEED_1X 2
#define LAB_SPEED_MAX (LAB_NSPEEDS - 1)
#define LAB_FRAME_MS 50
/*
 * On the live engine time is the wall clock and the connections (and the
 * fault relay, which runs in this thread) must be serviced all the time:
 * the loop barely waits for keys (LAB_LIVE_MS) and lets the engine wait on
 * its sockets for up to LAB_LIVE_TICK_US per pass instead, so a key waits
 * at most that long. It redraws at least every LAB_LIVE_REDRAW_MS so
 * broker depths stay current.
 */
#define LAB_LIVE_MS 1
#define LAB_LIVE_TICK_US 15000
#define LAB_LIVE_REDRAW_MS 250
#define LAB_STALL_US (INT64_C(120) * 1000000) /* quiet this long: stop */
#define LAB_RUSH_MS 30                     /* max speed: ms per frame */
/* How far behind its speed's clock (1x: the wall clock) an animation may
 * fall while it holds each instant for the eye (a step of twenty held
 * instants takes 8 s); past that it catches up, so 1x never spends
 * minutes on a one-second burst of a thousand messages. */
#define LAB_LAG_MS 8000
/* Held instants of a burst (each within 1 ms of the last) after which the
 * eye has seen its pattern: from there the burst plays at its speed's
 * clock, not 7-30 virtual ms a second until LAB_LAG_MS (the seventh
 * review, lessons 05, 06 and 08). */
#define LAB_BURST_SEEN 15

static const struct pane_ops *const lab_pane_ops[LAB_NPANES] = {
	[LAB_HEADER] = &bar_header_ops,
	[LAB_PRODUCER] = &flow_producer_ops,
	[LAB_EXCHANGE] = &flow_exchange_ops,
	[LAB_QUEUES] = &flow_queues_ops,
	[LAB_CONSUMER] = &flow_consumer_ops,
	[LAB_WIRES] = &flow_wires_ops,
	[LAB_LEDGER] = &board_ops,
	[LAB_GUIDE] = &guide_ops,
	[LAB_LOG] = &evlog_ops,
	[LAB_FOOTER] = &bar_footer_ops,
	[LAB_HELP] = &help_ops,
	[LAB_TRACE] = &trace_ops,
	[LAB_CODE] = &code_ops,
	[LAB_GLOSS] = &gloss_ops,
	[LAB_GOAL] = &goal_ops,
};

/* The pane of each overlay. */
static const enum lab_pane lab_overlay_panes[] = {
	[LAB_OV_HELP] = LAB_HELP,
	[LAB_OV_TRACE] = LAB_TRACE,
	[LAB_OV_CODE] = LAB_CODE,
	[LAB_OV_GLOSS] = LAB_GLOSS,
};

/* The pane of the overlay that is open, or NULL. */
static struct pane *
lab_overlay_pane(struct lab *lab)
{
	if (lab->overlay == LAB_OV_NONE)
		return NULL;
	return &lab->panes[lab_overlay_panes[lab->overlay]];
}

/* A clock that replaces the monotonic one (lab_clock_use), or NULL. */
static const int64_t *lab_virtual_ms;

void
lab_clock_use(const int64_t *virtual_ms)
{
	lab_virtual_ms = virtual_ms;
}

int64_t
lab_clock_ms(void)
{
	struct timespec ts;

	if (lab_virtual_ms)
		return *lab_virtual_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
lab_status(struct lab *lab, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lab->status, sizeof lab->status, fmt, ap);
	va_end(ap);
	lab->status_bad = bad;
}

/* Shows *cause as an error (in the screen's language when the catalogue
 * has it: the session's fixed reasons) and frees it. */
void
lab_cause(struct lab *lab, char *cause, const char *fallback)
{
	lab_status(lab, 1, "%s", cause ? _(cause) : fallback);
	free(cause);
}

/* Moves the session's time on; an engine that cannot says why on screen. */
static long
lab_tick(struct lab *lab, int64_t budget_us)
{
	char *cause = NULL;
	long events = session_tick(lab->ss, budget_us, &cause);

	if (events < 0) {
		lab_cause(lab, cause, _("time did not move on"));
		return 0;
	}
	return events;
}

const char *
lab_speed_label(const struct lab *lab)
{
	return lab_speeds[lab->speed].label;
}

int
lab_speed_index(const char *label)
{
	if (label == NULL)
		return LAB_SPEED_1X;
	for (int i = 0; i < LAB_NSPEEDS; i++)
		if (strcmp(lab_speeds[i].label, label) == 0)
			return i;
	return -1;
}

/* Pacing keys on the live engine: real time cannot be held or hurried. */
static int
lab_live_pacing(struct lab *lab)
{
	if (!session_live(lab->ss))
		return 0;
	lab_status(lab, 0, "%s", _("A real broker runs in real time: it "
	    "cannot be paused, stepped or sped up."));
	return 1;
}

static void lab_progress(struct lab *lab, int answered, int right);

/* Notices that the running step or challenge run finished. */
static void
lab_step_check(struct lab *lab)
{
	if (lab->step_running && !session_step_running(lab->ss)) {
		lab->step_running = 0;
		if (lab->challenge_tried) {
			if (session_lesson(lab->ss)->challenge_met)
				lab_status(lab, 0, "%s", _("Goal met!"));
			else
				lab_status(lab, 1, "%s",
				    _("Goal not met yet."));
		}
		lab_progress(lab, 0, 0);
	}
}

/*
 * Whether time should move, pause aside (see lab.h), as the pacing state
 * stands: a pure reading, for queries.
 */
static int
lab_flowing(const struct lab *lab)
{
	if (!session_busy(lab->ss))
		return 0;
	if (lab->mode == SESSION_SANDBOX)
		return 1;
	return lab->step_running || lab->free_run;
}

/*
 * Brings the pacing state up to date with the session, then says whether
 * time should move, pause aside: a run that finished is noticed (which
 * shows its verdict and saves progress), and G's rush ends once nothing
 * moves. The loop's own entry points (lab_timeout, lab_run) call this first,
 * so what the panes draw in between (lab_animating) is already settled.
 */
static int
lab_moving(struct lab *lab)
{
	lab_step_check(lab);
	if (!lab_flowing(lab)) {
		lab->finishing = 0;
		return 0;
	}
	return 1;
}

int
lab_animating(const struct lab *lab)
{
	return lab_flowing(lab) &&
	    (lab->finishing || (!lab->paused && !lab->stalled));
}

/* Something was done: let time move again at once. */
void
lab_kick(struct lab *lab)
{
	lab->due_ms = lab_clock_ms();
	lab->pace_ms = lab->due_ms;
	lab->pace_us = session_now(lab->ss);
	lab->quiet_us = 0;
	lab->burst_run = 0;
	lab->stalled = 0;
	lab->autoplay_due = -1;
}

/* The learner acted outside the lesson's steps: let it play out. */
void
lab_act(struct lab *lab)
{
	lab->free_run = 1;
	lab_kick(lab);
}

/* Toggles the lesson talks about come first when a pane is short. */
static void
lab_rank_toggles(struct lab *lab)
{
	static const enum toggle_id core[] = {
		TOGGLE_CONFIRMS, TOGGLE_MANDATORY, TOGGLE_PERSISTENT,
		TOGGLE_ACK_MODE, TOGGLE_PREFETCH, TOGGLE_DURABLE_QUEUE,
		TOGGLE_QUEUE_TYPE,
	};
	const struct script *s = lab->script;

	for (int i = 0; i < TOGGLE_COUNT; i++)
		lab->toggle_prio[i] = 1;
	for (size_t i = 0; i < sizeof core / sizeof core[0]; i++)
		lab->toggle_prio[core[i]] = 2;
	for (size_t i = 0; i < s->ntoggles; i++)
		lab->toggle_prio[s->toggles[i].id] = 2;
	/* 3: a toggle the steps or the challenge use must stay in sight
	 * (flow.c puts it before every other line of its pane). */
	for (size_t i = 0; i < s->nsteps; i++)
		for (size_t k = 0; k < s->steps[i].action.ntoggles; k++)
			lab->toggle_prio[s->steps[i].action.toggles[k].id] = 3;
	if (s->challenge) {
		for (size_t i = 0; i < s->challenge->nsetup; i++)
			lab->toggle_prio[s->challenge->setup[i].id] = 3;
		for (size_t i = 0; i < s->challenge->nsolution; i++)
			lab->toggle_prio[s->challenge->solution[i].id] = 3;
	}
}

/* The session options the lab's options give. */
static void
lab_session_opts(const struct lab *lab, struct session_opts *so)
{
	memset(so, 0, sizeof *so);
	so->lang = lab->o.lang;
	so->has_seed = lab->o.has_seed;
	so->seed = lab->o.seed;
	so->ops = lab->o.ops;
	so->url = lab->o.url;
	so->chain = 1;
}

int
lab_open(struct lab *lab, struct script *s, enum session_mode mode,
    const struct lab_opts *o, char **cause)
{
	struct session_opts so;

	memset(lab, 0, sizeof *lab);
	lab->script = s;
	lab->mode = mode;
	lab->o = *o;
	lab->speed = lab_speed_index(o->speed);
	if (lab->speed < 0)
		lab->speed = LAB_SPEED_1X;
	lab->autoplay_due = -1;
	lab->player.due_ms = -1;
	lab->qa_step = -1;
	lab_session_opts(lab, &so);
	lab->ss = session_create(s, mode, &so, cause);
	if (lab->ss == NULL) {
		script_free(s);
		lab->script = NULL;
		return -1;
	}
	for (int i = 0; i < LAB_NPANES; i++)
		lab->panes[i].ops = lab_pane_ops[i];
	lab_rank_toggles(lab);
	layout_lab(lab);
	lab_kick(lab);
	if (mode == SESSION_LESSON)
		class_report_lesson(s->id);
	return 0;
}

int
lab_rebuild(struct lab *lab, struct script *s, char **cause)
{
	struct session_opts so;
	struct session *ss;

	lab_session_opts(lab, &so);
	ss = session_create(s, lab->mode, &so, cause);
	if (ss == NULL) {
		script_free(s);
		return -1;
	}
	session_free(lab->ss);
	script_free(lab->script);
	lab->ss = ss;
	lab->script = s;
	lab->ntokens = 0;
	lab->selected = 0;
	lab->overlay = LAB_OV_NONE;
	code_view_reset(&lab->code);
	lab_rank_toggles(lab);
	layout_lab(lab);
	lab_kick(lab);
	/* A new session: what the top bar said of the old one is stale. */
	lab_status(lab, 0, "%s", _("Rebuilt: the ledger starts from zero."));
	return 0;
}

void
lab_close(struct lab *lab)
{
	build_free(lab->build);
	session_free(lab->ss);
	script_free(lab->script);
	free(lab->tokens);
	code_view_reset(&lab->code);
	gloss_free(&lab->gloss);
	memset(lab, 0, sizeof *lab);
}

/* ---- layout and drawing ------------------------------------------------ */

/* Copies what this frame shows out of the session. */
static void
lab_snapshot(struct lab *lab)
{
	const struct session_token *tk;
	const struct topology *t = &lab->script->topo;
	size_t n;

	session_view(lab->ss, &lab->view);
	lab->nqueues = 0;
	for (size_t i = 0; i < lab->view.nqueues && i < LAB_MAX_QUEUES; i++) {
		struct lab_queue *q = &lab->queues[lab->nqueues++];
		q->v = lab->view.queues[i];
		snprintf(q->name, sizeof q->name, "%s",
		    q->v.name ? q->v.name : "?");
		q->v.name = q->name;
		q->role = QROLE_WORK;
		for (size_t k = 0; k < t->nqueues; k++)
			if (strcmp(t->queues[k].name, q->name) == 0)
				q->role = (int)t->queues[k].role;
	}
	lab->view.queues = NULL;
	session_summary(lab->ss, &lab->sum);
	n = session_tokens(lab->ss, &tk);
	lab->tokens = xgrow(lab->tokens, &lab->tokens_cap, n + 1,
	    sizeof *lab->tokens);
	if (n > 0)
		memcpy(lab->tokens, tk, n * sizeof *tk);
	lab->ntokens = n;
}

static void
lab_draw_small(void)
{
	char msg[512];
	int w = COLS > 4 ? COLS - 4 : COLS, lines, y;

	snprintf(msg, sizeof msg, _("rabbitlab needs a terminal of at least "
	    "%dx%d; this one is %dx%d. Please enlarge the window, or press q "
	    "to quit."), LAB_MIN_COLS, LAB_MIN_LINES, COLS, LINES);
	lines = text_wrap_lines(msg, w);
	y = (LINES - lines) / 2;
	draw_wrap(y < 0 ? 0 : y, (COLS - w) / 2, w, LINES, 0, msg, DRAW_WARN);
}

void
lab_draw(struct lab *lab)
{
	int goal_row_y = -1;

	erase();
	draw_click_clear();
	if (lab->too_small) {
		lab_draw_small();
		return;
	}
	lab_snapshot(lab);
	layout_lab(lab);
	{
		/* A lesson text that does not fit beside the log takes its
		 * room: the full width always holds at least as much, and what
		 * must be read (a question and its choices) matters more than
		 * the log. */
		struct pane *g = &lab->panes[LAB_GUIDE];
		if (!guide_fits(lab, g->w, g->h)) {
			/* A goal pane gives way too: the goal then sits on
			 * one line above the ledger. */
			g->w = COLS;
			lab->panes[LAB_LOG].h = 0;
			lab->panes[LAB_GOAL].h = 0;
			goal_row_y = lab->panes[LAB_LEDGER].y - 1;
		}
	}
	for (int i = 0; i <= LAB_FOOTER; i++)
		if (lab->panes[i].h > 0 && lab->panes[i].ops->draw)
			lab->panes[i].ops->draw(&lab->panes[i], lab);
	if (lab->panes[LAB_GOAL].h > 0)
		goal_ops.draw(&lab->panes[LAB_GOAL], lab);
	else if (goal_row_y > 0 && session_lesson(lab->ss)->challenge_on)
		goal_line(lab, goal_row_y, 0, COLS);
	if (lab->panes[LAB_LOG].h > 0 || lab->panes[LAB_GOAL].h > 0)
		draw_vline(lab->panes[LAB_GUIDE].y + 1,
		    lab->panes[LAB_GUIDE].x + lab->panes[LAB_GUIDE].w,
		    lab->panes[LAB_GUIDE].h - 1, DRAW_BORDER);
	if (lab->overlay != LAB_OV_NONE) {
		struct pane *p = lab_overlay_pane(lab);
		draw_click_clear();
		p->ops->draw(p, lab);
	}
	if (lab->build)
		build_draw(lab);
}

/* ---- progress ------------------------------------------------------------ */

static void
lab_progress(struct lab *lab, int answered, int right)
{
	const struct session_lesson *ls = session_lesson(lab->ss);
	struct progress_entry *e;
	char *cause = NULL;
	unsigned done;

	if (lab->o.progress == NULL || lab->mode != SESSION_LESSON)
		return;
	e = progress_get(lab->o.progress, lab->script->id);
	/* Counted as the header numbers steps (script_step_number); a file
	 * written when every step counted is brought down to that. */
	e->nsteps = (unsigned)script_step_number(lab->script, SIZE_MAX);
	done = ls->challenge_on ? e->nsteps : ls->step == 0 ? 0 :
	    (unsigned)script_step_number(lab->script, ls->step - 1);
	if (e->steps_done > e->nsteps)
		e->steps_done = e->nsteps;
	if (done > e->steps_done)
		e->steps_done = done > e->nsteps ? e->nsteps : done;
	/* Met alone beats met after looking at the solution. */
	if (ls->challenge_met && (e->challenge_met == 0 ||
	    (e->challenge_met == PROGRESS_MET_SHOWN && !lab->solution_shown)))
		e->challenge_met = lab->solution_shown ? PROGRESS_MET_SHOWN :
		    PROGRESS_MET;
	e->asked += (unsigned)answered;
	e->right += (unsigned)right;
	if (progress_save(lab->o.progress, &cause) != 0) {
		lab_status(lab, 1, _("Progress not saved: %s"), cause);
		free(cause);
	}
}

/* ---- commands ------------------------------------------------------------ */

typedef int (*lab_cmd_fn)(struct lab *lab, int key);

static int
cmd_quit(struct lab *lab, int key)
{
	(void)lab;
	(void)key;
	return PANE_QUIT;
}

static int
cmd_help(struct lab *lab, int key)
{
	(void)key;
	lab->overlay = lab->overlay == LAB_OV_HELP ? LAB_OV_NONE : LAB_OV_HELP;
	lab->panes[LAB_HELP].scroll = 0;
	return PANE_REDRAW;
}

static int
cmd_code(struct lab *lab, int key)
{
	(void)key;
	code_view_reset(&lab->code);
	if (lab->overlay == LAB_OV_CODE) {
		lab->overlay = LAB_OV_NONE;
		return PANE_REDRAW;
	}
	lab->overlay = LAB_OV_CODE;
	lab->panes[LAB_CODE].scroll = 0;
	return PANE_REDRAW;
}

static int
cmd_glossary(struct lab *lab, int key)
{
	(void)key;
	if (lab->overlay == LAB_OV_GLOSS) {
		lab->overlay = LAB_OV_NONE;
		return PANE_REDRAW;
	}
	if (!lab->gloss.loaded) {
		/* Failing is shown in the overlay itself. */
		char *mine = xstrdup(lab->script->path ? lab->script->path :
		    ".");
		char *slash = strrchr(mine, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(mine, ".");
		gloss_load(&lab->gloss, lab->o.lessons_dir, mine);
		free(mine);
	}
	lab->gloss.filter[0] = '\0';
	lab->gloss.typing = 0;
	lab->overlay = LAB_OV_GLOSS;
	lab->panes[LAB_GLOSS].scroll = 0;
	return PANE_REDRAW;
}

/*
 * Whether this lab follows a teacher (class_report.h) who is in this
 * lesson and has not opened its challenge yet: the class starts it
 * together. A lab that has heard no teacher goes on by itself.
 */
static int
lab_held_by_teacher(const struct lab *lab)
{
	const struct class_event *h = class_report_lead_heard();

	return h && !h->released && strcmp(h->lesson, lab->script->id) == 0;
}

static int
cmd_next(struct lab *lab, int key)
{
	const struct session_lesson *ls = session_lesson(lab->ss);
	const struct script_step *cur = session_current_step(lab->ss);
	char *cause = NULL;

	(void)key;
	if (lab->mode == SESSION_SANDBOX) {
		lab_status(lab, 0, "%s", _("The sandbox has no steps: + "
		    "publishes, ? lists the keys."));
		return PANE_REDRAW;
	}
	if (cur) {
		if (cur->ask && !ls->answered) {
			lab_status(lab, 0, _("First predict: press 1-%zu."),
			    cur->ask->nchoices);
			return PANE_REDRAW;
		}
		if (lab_moving(lab)) {
			if (lab_live_pacing(lab))
				return PANE_REDRAW;
			/* Still playing: the presenter wants it done now. */
			lab->finishing = 1;
			lab_kick(lab);
			return PANE_REDRAW;
		}
		if (session_next_step(lab->ss, &cause) != 0) {
			lab_cause(lab, cause, _("the step did not start"));
			return PANE_REDRAW;
		}
		lab->free_run = 0;
		lab->step_running = session_step_running(lab->ss);
		/* Real time does not wait while the learner reads: the
		 * steps up to the next question run as one. */
		lab->live_chain = session_live(lab->ss);
		lab->status[0] = '\0';
		lab_kick(lab);
		lab_progress(lab, 0, 0);
		return PANE_REDRAW;
	}
	if (lab->script->challenge == NULL || (ls->challenge_on &&
	    ls->challenge_met && lab->challenge_tried && !lab->step_running &&
	    lab->player.due_ms < 0)) {
		/* Done: space goes on to the next lesson. */
		lab->next_lesson = 1;
		return PANE_QUIT;
	}
	if (!ls->challenge_on && lab_held_by_teacher(lab)) {
		lab_status(lab, 0, "%s", _("The teacher opens the challenge for "
		    "the class: wait, or press @ to go on alone."));
		return PANE_REDRAW;
	}
	if (!ls->challenge_on) {
		lab->step_running = lab->free_run = 0;
		if (session_challenge_start(lab->ss, &cause) != 0)
			lab_cause(lab, cause, _("the challenge did not start"));
		else
			lab_status(lab, 0, "%s",
			    _("Challenge: set the toggles, then space."));
		lab->challenge_tried = 0;
		lab->solution_shown = 0;
		lab->selected = 0;
		goal_opened(lab);
		lab_kick(lab);
		return PANE_REDRAW;
	}
	if (lab->challenge_tried) {
		/* Each run judges a fresh scenario with the toggles now. */
		struct lab_toggles {
			int64_t v[TOGGLE_COUNT];
		} keep;
		for (int i = 0; i < TOGGLE_COUNT; i++)
			keep.v[i] = session_get_toggle(lab->ss, (enum toggle_id)i);
		if (session_challenge_start(lab->ss, &cause) != 0) {
			lab_cause(lab, cause, _("the challenge did not start"));
			return PANE_REDRAW;
		}
		for (int i = 0; i < TOGGLE_COUNT; i++)
			if (session_get_toggle(lab->ss, (enum toggle_id)i) !=
			    keep.v[i] && session_toggle(lab->ss,
				(enum toggle_id)i, keep.v[i], &cause) != 0) {
				free(cause);
				cause = NULL;
			}
	}
	if (lab->player.due_ms >= 0) {
		lab_status(lab, 0, "%s", _("The solution is playing: watch "
		    "the toggles."));
		return PANE_REDRAW;
	}
	if (goal_run_unchanged(lab))
		return PANE_REDRAW;
	if (session_challenge_play(lab->ss, &cause) < 0) {
		lab_cause(lab, cause, _("the challenge did not run"));
		return PANE_REDRAW;
	}
	/* The run plays over time; lab_step_check reports the verdict. */
	lab->challenge_tried = 1;
	lab->free_run = 0;
	lab->step_running = 1;
	lab->status[0] = '\0';
	lab_step_check(lab);
	lab_kick(lab);
	return PANE_REDRAW;
}

static int
cmd_answer(struct lab *lab, int key)
{
	const struct session_lesson *ls = session_lesson(lab->ss);
	const struct script_step *cur = session_current_step(lab->ss);
	size_t i = (size_t)(key - '1');
	int right;

	if (cur == NULL || cur->ask == NULL || ls->answered) {
		lab_status(lab, 0, "%s", _("No question is waiting for an "
		    "answer."));
		return PANE_REDRAW;
	}
	if (i >= cur->ask->nchoices) {
		lab_status(lab, 1, _("Choose 1-%zu."), cur->ask->nchoices);
		return PANE_REDRAW;
	}
	right = session_answer(lab->ss, i);
	lab->qa_step = (long)ls->step;
	lab->qa_choice = (int)i;
	lab->qa_right = right;
	lab_progress(lab, 1, right);
	/* A "First predict" from before is answered now. */
	lab->status[0] = '\0';
	/* The verdict shows at once, and the step plays under it. */
	cmd_next(lab, ' ');
	lab->qa_open = 1;
	lab->autoplay_due = -1;
	return PANE_REDRAW;
}

static int
cmd_hint(struct lab *lab, int key)
{
	(void)key;
	if (!session_lesson(lab->ss)->challenge_on) {
		lab_status(lab, 0, "%s", _("Hints come with the challenge."));
		return PANE_REDRAW;
	}
	if (lab->script->challenge && session_lesson(lab->ss)->hints_shown >=
	    lab->script->challenge->nhints)
		lab_status(lab, 0, "%s", _("No more hints: S shows the "
		    "solution."));
	session_hint(lab->ss);
	return PANE_REDRAW;
}

void
lab_toggles_get(const struct lab *lab, int64_t v[TOGGLE_COUNT])
{
	for (int i = 0; i < TOGGLE_COUNT; i++)
		v[i] = session_get_toggle(lab->ss, (enum toggle_id)i);
}

int
lab_toggles_set(struct lab *lab, const int64_t v[TOGGLE_COUNT])
{
	char *cause = NULL;

	if (session_toggles(lab->ss, v, &cause) != 0) {
		lab_cause(lab, cause, _("toggle refused"));
		return -1;
	}
	return 0;
}

int
lab_next(struct lab *lab)
{
	return cmd_next(lab, ' ');
}

static int
cmd_solution(struct lab *lab, int key)
{
	(void)key;
	if (!session_lesson(lab->ss)->challenge_on) {
		lab_status(lab, 0, "%s", _("The solution comes with the "
		    "challenge."));
		return PANE_REDRAW;
	}
	return goal_play_start(lab);
}

static int
cmd_publish(struct lab *lab, int key)
{
	char *cause = NULL;
	uint32_t n = key == '*' ? SCRIPT_KEY_BURST : SCRIPT_KEY_PUBLISH;

	if (session_publish(lab->ss, n, &cause) != 0)
		lab_cause(lab, cause, _("publish refused"));
	else
		lab_status(lab, 0, n == SCRIPT_KEY_PUBLISH ? _("Published one payment "
		    "notice.") : _("Published a burst of ten."));
	lab_act(lab);
	return PANE_REDRAW;
}

static int
cmd_pause(struct lab *lab, int key)
{
	(void)key;
	if (lab_live_pacing(lab))
		return PANE_REDRAW;
	lab->paused = !lab->paused;
	lab->finishing = 0;
	lab_kick(lab);
	lab_status(lab, 0, "%s", lab->paused ? _("Paused: . moves to the "
	    "next moment, P resumes.") : _("Resumed."));
	return PANE_REDRAW;
}

static int
cmd_step(struct lab *lab, int key)
{
	(void)key;
	if (lab_live_pacing(lab))
		return PANE_REDRAW;
	if (!lab_moving(lab)) {
		lab_status(lab, 0, "%s", _("Nothing is going on."));
		return PANE_REDRAW;
	}
	lab->paused = 1;
	lab_tick(lab, INT64_C(60) * 1000000);
	lab_step_check(lab);
	lab->status[0] = '\0';
	return PANE_REDRAW;
}

static int
cmd_speed(struct lab *lab, int key)
{
	const struct keys_def *k = keys_find(key);

	if (lab_live_pacing(lab))
		return PANE_REDRAW;
	if (k && k->id == CMD_FASTER && lab->speed < LAB_SPEED_MAX)
		lab->speed++;
	else if (k && k->id == CMD_SLOWER && lab->speed > 0)
		lab->speed--;
	lab_status(lab, 0, _("Speed %s."), lab_speeds[lab->speed].label);
	lab_kick(lab);
	return PANE_REDRAW;
}

static int
cmd_finish(struct lab *lab, int key)
{
	(void)key;
	if (lab_live_pacing(lab))
		return PANE_REDRAW;
	if (!lab_flowing(lab)) {
		/* A key that did nothing says so. */
		lab_status(lab, 0, "%s", _("Nothing is running: space plays "
		    "the next step."));
		return PANE_REDRAW;
	}
	lab->finishing = 1;
	lab_kick(lab);
	return PANE_REDRAW;
}

static int
cmd_undo(struct lab *lab, int key)
{
	char *cause = NULL;

	(void)key;
	lab->step_running = lab->free_run = lab->finishing = 0;
	lab->player.due_ms = -1;
	if (lab->reset_undo) {
		lab->reset_undo = 0;
		if (session_unreset(lab->ss, &cause) != 0) {
			lab_cause(lab, cause, _("the reset stays"));
			return PANE_REDRAW;
		}
		lab->qa_step = lab->kept.qa_step;
		lab->qa_choice = lab->kept.qa_choice;
		lab->qa_right = lab->kept.qa_right;
		lab->solution_shown = lab->kept.solution_shown;
		lab->challenge_tried = lab->kept.challenge_tried;
		lab->step_running = session_step_running(lab->ss);
		lab_status(lab, 0, "%s", _("Reset taken back: your place is "
		    "restored."));
		lab_kick(lab);
		return PANE_REDRAW;
	}
	if (session_undo(lab->ss, &cause) != 0)
		lab_cause(lab, cause, _("nothing to undo"));
	else
		lab_status(lab, 0, "%s", _("Undone."));
	if (lab->qa_step >= 0 &&
	    (size_t)lab->qa_step >= session_lesson(lab->ss)->step &&
	    !session_lesson(lab->ss)->answered)
		lab->qa_step = -1;
	lab_kick(lab);
	return PANE_REDRAW;
}

static int
cmd_reset(struct lab *lab, int key)
{
	(void)key;
	lab->confirm_reset = 1;
	/* Short enough for the top bar at 80 columns. */
	if (lab->mode == SESSION_SANDBOX)
		lab_status(lab, 1, "%s", _("Reset the sandbox? y: yes (BkSp "
		    "undoes it), any other key: no."));
	else
		lab_status(lab, 1, "%s", _("Back to step 1? y: yes (BkSp "
		    "undoes it), any other key: no."));
	return PANE_REDRAW;
}

/* The answer to R's question. */
static int
lab_reset_answer(struct lab *lab, int key)
{
	char *cause = NULL;

	lab->confirm_reset = 0;
	if (key != 'y' && key != 'Y') {
		lab_status(lab, 0, "%s", _("Not reset: your place is kept."));
		return PANE_HANDLED | PANE_REDRAW;
	}
	lab->kept.qa_step = lab->qa_step;
	lab->kept.qa_choice = lab->qa_choice;
	lab->kept.qa_right = lab->qa_right;
	lab->kept.solution_shown = lab->solution_shown;
	lab->kept.challenge_tried = lab->challenge_tried;
	lab->player.due_ms = -1;
	lab->step_running = lab->free_run = lab->finishing = 0;
	if (session_reset(lab->ss, &cause) != 0)
		lab_cause(lab, cause, _("reset failed"));
	else {
		lab_status(lab, 0, "%s", _("Back to the start. BkSp now takes "
		    "the reset back."));
		lab->reset_undo = 1;
	}
	lab->qa_step = -1;
	lab->solution_shown = 0;
	lab->challenge_tried = 0;
	lab->selected = 0;
	lab->overlay = LAB_OV_NONE;
	lab->panes[LAB_LOG].scroll = 0;
	lab_kick(lab);
	return PANE_HANDLED | PANE_REDRAW;
}

static int
cmd_broker(struct lab *lab, int key)
{
	char *cause = NULL;

	(void)key;
	if (session_restart(lab->ss, &cause) != 0)
		lab_cause(lab, cause, _("the broker did not start"));
	else
		lab_status(lab, 0, "%s", _("Starting the broker."));
	lab_act(lab);
	return PANE_REDRAW;
}

static int
cmd_consumers(struct lab *lab, int key)
{
	struct engine_view v;
	char *cause = NULL;
	int on;

	(void)key;
	session_view(lab->ss, &v);
	on = v.consumers_connected == 0;
	if (session_consume(lab->ss, on, &cause) != 0)
		lab_cause(lab, cause, _("consumers unchanged"));
	else
		lab_status(lab, 0, "%s", on ? _("Consumers started.") :
		    _("Consumers stopped."));
	lab_act(lab);
	return PANE_REDRAW;
}

static int
cmd_select(struct lab *lab, int key)
{
	const struct keys_def *k = keys_find(key);
	int dir = k && k->id == CMD_SEL_PREV ? -1 : 1;
	size_t n = lab->ntokens, at = n;

	if (n == 0) {
		lab_status(lab, 0, "%s", _("No messages on screen: # selects "
		    "one by its id."));
		return PANE_REDRAW;
	}
	for (size_t i = 0; i < n; i++)
		if (lab->tokens[i].msg == lab->selected)
			at = i;
	if (at == n) {
		/* Nothing selected yet: start from the message a lesson most
		 * likely talks about, the latest lost one, else the newest. */
		at = n - 1;
		for (size_t i = n; i-- > 0;)
			if (lab->tokens[i].place == PLACE_LOST) {
				at = i;
				break;
			}
	} else
		at = (at + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
	lab->selected = lab->tokens[at].msg;
	lab_status(lab, 0, _("Message %u selected: Enter shows its "
	    "timeline."), (unsigned)lab->selected);
	return PANE_REDRAW;
}

static int
cmd_type_id(struct lab *lab, int key)
{
	(void)key;
	lab->typing = 1;
	lab->idbuf[0] = '\0';
	return PANE_REDRAW;
}

static int
cmd_open(struct lab *lab, int key)
{
	(void)key;
	if (lab->selected == 0) {
		lab_status(lab, 0, "%s", _("Select a message first: Tab, or # "
		    "and its id."));
		return PANE_REDRAW;
	}
	lab->overlay = LAB_OV_TRACE;
	lab->panes[LAB_TRACE].scroll = 0;
	return PANE_REDRAW;
}

static int
cmd_close(struct lab *lab, int key)
{
	(void)key;
	if (lab->overlay != LAB_OV_NONE)
		lab->overlay = LAB_OV_NONE;
	else
		lab->selected = 0;
	lab->status[0] = '\0';
	return PANE_REDRAW;
}

static int
cmd_log(struct lab *lab, int key)
{
	struct pane *p = &lab->panes[LAB_LOG], *g = &lab->panes[LAB_GUIDE];

	/* The lesson's text, when it overflows, scrolls first. */
	if (g->ops->key(g, lab, key) & PANE_HANDLED)
		return PANE_REDRAW;
	return p->ops->key(p, lab, key) | PANE_REDRAW;
}

static int
cmd_redraw(struct lab *lab, int key)
{
	(void)lab;
	(void)key;
	clearok(curscr, TRUE);
	return PANE_REDRAW;
}

/* @: a lab that follows its teacher leaves follow mode, or follows again
 * (the next lead message then moves it to the teacher's step). */
static int
cmd_follow(struct lab *lab, int key)
{
	const char *who = class_report_leader();

	(void)key;
	if (who == NULL || class_report_follow(!class_report_following()) != 0)
		lab_status(lab, 0, "%s", _("No teacher to follow: start the lab "
		    "with --class URL --follow."));
	else if (class_report_following())
		lab_status(lab, 0, _("Following %s again: @ leaves."), *who ?
		    who : _("the teacher"));
	else
		lab_status(lab, 0, _("You left follow mode; @ follows %s "
		    "again."), *who ? who : _("the teacher"));
	return PANE_REDRAW;
}

static const lab_cmd_fn lab_cmds[CMD_COUNT] = {
	[CMD_QUIT] = cmd_quit,
	[CMD_HELP] = cmd_help,
	[CMD_NEXT] = cmd_next,
	[CMD_ANSWER] = cmd_answer,
	[CMD_HINT] = cmd_hint,
	[CMD_SOLUTION] = cmd_solution,
	[CMD_PUBLISH] = cmd_publish,
	[CMD_SET] = entry_start,
	[CMD_BURST] = cmd_publish,
	[CMD_PAUSE] = cmd_pause,
	[CMD_STEP] = cmd_step,
	[CMD_SLOWER] = cmd_speed,
	[CMD_FASTER] = cmd_speed,
	[CMD_FINISH] = cmd_finish,
	[CMD_UNDO] = cmd_undo,
	[CMD_RESET] = cmd_reset,
	[CMD_BROKER] = cmd_broker,
	[CMD_CONSUMERS] = cmd_consumers,
	[CMD_SEL_NEXT] = cmd_select,
	[CMD_SEL_PREV] = cmd_select,
	[CMD_TYPE_ID] = cmd_type_id,
	[CMD_OPEN] = cmd_open,
	[CMD_CLOSE] = cmd_close,
	[CMD_LOG_UP] = cmd_log,
	[CMD_LOG_DOWN] = cmd_log,
	[CMD_CODE] = cmd_code,
	[CMD_GLOSSARY] = cmd_glossary,
	[CMD_REDRAW] = cmd_redraw,
	[CMD_BUILD] = build_cmd_open,
	[CMD_WRITE] = build_cmd_write,
	[CMD_FOLLOW] = cmd_follow,
};

static int
lab_toggle(struct lab *lab, const struct keys_def *k)
{
	int64_t v[TOGGLE_COUNT];
	char buf[48], nbuf[48];

	k = keys_head(k);
	if (session_fixed(lab->ss, (enum toggle_id)k->id)) {
		/* TRANSLATORS: a toggle's key and label, then its value. */
		lab_status(lab, 1, _("%s stays %s in this challenge: the goal "
		    "says why."), keys_display(KEYS_TOGGLE, k->id),
		    keys_value((enum toggle_id)k->id, session_get_toggle(lab->ss,
			(enum toggle_id)k->id), buf, sizeof buf));
		return PANE_REDRAW;
	}
	lab_toggles_get(lab, v);
	keys_press(k, v);
	if (lab_toggles_set(lab, v) == 0) {
		enum toggle_id id = (enum toggle_id)k->id;
		keys_value(id, v[id], buf, sizeof buf);
		if (k->pair >= 0 && v[id])
			lab_status(lab, 0, _("%s = %s, %s = %s"),
			    keys_display(KEYS_TOGGLE, (int)id), buf,
			    keys_display(KEYS_TOGGLE, k->pair),
			    keys_value((enum toggle_id)k->pair, v[k->pair],
				nbuf, sizeof nbuf));
		else
			lab_status(lab, 0, "%s = %s",
			    keys_display(KEYS_TOGGLE, (int)id), buf);
	}
	lab_act(lab);
	return PANE_REDRAW;
}

static int
lab_fail(struct lab *lab, enum failure_kind kind)
{
	char *cause = NULL;

	if (session_fail(lab->ss, kind, &cause) != 0)
		lab_cause(lab, cause, _("failure refused"));
	else
		lab_status(lab, 1, _("Failure: %s"),
		    keys_display(KEYS_FAILURE, (int)kind));
	lab_act(lab);
	return PANE_REDRAW;
}

/* Typing a message id after '#'. */
static int
lab_typing_key(struct lab *lab, int key)
{
	size_t n = strlen(lab->idbuf);

	if (key >= '0' && key <= '9' && n + 1 < sizeof lab->idbuf) {
		lab->idbuf[n] = (char)key;
		lab->idbuf[n + 1] = '\0';
	} else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n > 0)
		lab->idbuf[n - 1] = '\0';
	else if (key == '\n' || key == KEY_ENTER) {
		unsigned long id = strtoul(lab->idbuf, NULL, 10);
		lab->typing = 0;
		if (id == 0 || id > ledger_max_id(session_ledger(lab->ss)))
			lab_status(lab, 1, _("There is no message %s."),
			    lab->idbuf[0] ? lab->idbuf : "0");
		else {
			lab->selected = (uint32_t)id;
			lab->overlay = LAB_OV_TRACE;
			lab->panes[LAB_TRACE].scroll = 0;
		}
	} else if (key == 27)
		lab->typing = 0;
	return PANE_HANDLED | PANE_REDRAW;
}

int
lab_modal_key(struct lab *lab, int key)
{
	int flags;

	if (lab->typing)
		return lab_typing_key(lab, key);
	if (lab->confirm_reset)
		return lab_reset_answer(lab, key);
	if (lab->setting)
		return entry_key(lab, key);
	if (lab->build) {
		flags = build_key(lab, key);
		if (flags & PANE_HANDLED)
			return flags;
	}
	if (lab->overlay != LAB_OV_NONE) {
		struct pane *p = lab_overlay_pane(lab);
		flags = p->ops->key(p, lab, key);
		if (flags & PANE_HANDLED)
			return flags;
	}
	return -1;
}

int
lab_key(struct lab *lab, int key)
{
	const struct keys_def *k;
	int flags;

	if (lab->too_small)
		return key == 'q' ? PANE_QUIT : 0;
	if ((flags = lab_modal_key(lab, key)) >= 0)
		return flags;
	k = keys_find(key);
	if (k == NULL)
		return 0;
	/* Only the key right after a reset may take it back. */
	if (!(k->kind == KEYS_COMMAND && k->id == CMD_UNDO))
		lab->reset_undo = 0;
	switch (guide_key(lab, k)) {
	case GUIDE_PASS:
		break;
	case GUIDE_SHOWN:
	case GUIDE_APPLIED: /* time waits for the step, as the script has it */
		return PANE_REDRAW;
	case GUIDE_PLAYED:
		lab->free_run = 0;
		lab->step_running = session_step_running(lab->ss);
		lab_kick(lab);
		lab_progress(lab, 0, 0);
		return PANE_REDRAW;
	}
	switch (k->kind) {
	case KEYS_TOGGLE:
		return lab_toggle(lab, k);
	case KEYS_FAILURE:
		return lab_fail(lab, (enum failure_kind)k->id);
	case KEYS_COMMAND:
		return lab_cmds[k->id] ? lab_cmds[k->id](lab, key) : 0;
	}
	return 0;
}

int
lab_click(struct lab *lab, int y, int x)
{
	int key;
	uint32_t msg;

	if (lab->build)
		return 0; /* the builder's form takes keys only */
	if (!draw_click_find(y, x, &key, &msg)) {
		if (lab->overlay != LAB_OV_NONE) {
			lab->overlay = LAB_OV_NONE;
			return PANE_REDRAW;
		}
		return 0;
	}
	if (msg) {
		lab->selected = msg;
		lab->overlay = LAB_OV_TRACE;
		lab->panes[LAB_TRACE].scroll = 0;
		return PANE_REDRAW;
	}
	return lab_key(lab, key);
}

/* ---- pacing ---------------------------------------------------------------- */

/* Whether autoplay may take the next step by itself now. */
static int
lab_autoplay_ready(struct lab *lab)
{
	const struct script_step *cur;

	if (!lab->o.autoplay || lab->o.autoplay_ms <= 0 ||
	    lab->mode != SESSION_LESSON || lab->paused ||
	    lab_moving(lab) || lab->overlay != LAB_OV_NONE)
		return 0;
	cur = session_current_step(lab->ss);
	return cur && !(cur->ask && !session_lesson(lab->ss)->answered);
}

int
lab_timeout(struct lab *lab, int64_t now_ms)
{
	int64_t t = -1;

	if (lab->too_small)
		return -1;
	lab_moving(lab);
	if (lab->player.due_ms >= 0) {
		int64_t b = lab->player.due_ms - now_ms;
		t = b < 0 ? 0 : b;
	}
	if (lab_autoplay_ready(lab)) {
		if (lab->autoplay_due < 0) {
			/* Time to read an answer's explanation, never less
			 * than asked, nor more than ten steps of the pace the
			 * presenter chose (a 200 ms demo stays brisk). */
			long read = guide_read_ms(lab);
			if (read > 10L * lab->o.autoplay_ms)
				read = 10L * lab->o.autoplay_ms;
			lab->autoplay_due = now_ms + (read > lab->o.autoplay_ms ?
			    read : lab->o.autoplay_ms);
		}
		int64_t a = lab->autoplay_due - now_ms;
		if (t < 0 || a < t)
			t = a;
	} else
		lab->autoplay_due = -1;
	if (lab_animating(lab)) {
		int64_t a = lab->due_ms - now_ms;
		if (t < 0 || a < t)
			t = a;
	}
	if (t < 0 && (lab_animating(lab) || lab->autoplay_due >= 0))
		t = 0;
	if (session_live(lab->ss) && (t < 0 || t > LAB_LIVE_MS))
		t = LAB_LIVE_MS;
	return t > INT32_MAX ? INT32_MAX : (int)t;
}

/*
 * The virtual time the animation is behind its speed's clock by, beyond
 * LAB_LAG_MS of wall time since the last lab_kick (none once a burst has
 * been seen); <= 0 when it is not.
 * 1x moves 100 ms of virtual time per 100 ms (lab_speeds' quiet_us).
 */
static int64_t
lab_behind_us(const struct lab *lab, int64_t now_ms)
{
	int64_t wall = now_ms - lab->pace_ms -
	    (lab->burst_run > LAB_BURST_SEEN ? 0 : LAB_LAG_MS);

	if (wall <= 0)
		return 0;
	return wall * lab_speeds[lab->speed].quiet_us / 100 -
	    (session_now(lab->ss) - lab->pace_us);
}

int
lab_run(struct lab *lab, int64_t now_ms)
{
	int flags = 0;

	if (lab->too_small)
		return 0;
	lab_moving(lab);
	flags |= goal_play_beat(lab, now_ms);
	if (lab->autoplay_due >= 0 && now_ms >= lab->autoplay_due) {
		lab->autoplay_due = -1;
		if (lab_autoplay_ready(lab))
			flags |= cmd_next(lab, ' ');
	}
	if (session_live(lab->ss)) {
		/* Real time: service what is due, show it, never hold. */
		if (lab_tick(lab, LAB_LIVE_TICK_US) > 0 ||
		    now_ms >= lab->due_ms) {
			lab->due_ms = now_ms + LAB_LIVE_REDRAW_MS;
			flags |= PANE_REDRAW;
		}
		lab_step_check(lab);
		if (lab->live_chain && !lab->step_running) {
			const struct script_step *cur =
			    session_current_step(lab->ss);
			char *cause = NULL;
			if (cur == NULL || cur->ask || cur->learner) {
				lab->live_chain = 0;
			} else if (session_next_step(lab->ss, &cause) != 0) {
				lab->live_chain = 0;
				lab_cause(lab, cause, _("the step did not start"));
			} else
				lab->step_running =
				    session_step_running(lab->ss);
			flags |= PANE_REDRAW;
		}
		return flags;
	}
	if (!lab_animating(lab) || now_ms < lab->due_ms)
		return flags;
	if (lab->finishing || lab->speed == LAB_SPEED_MAX) {
		/* As fast as it goes, drawing now and then. */
		while (lab_moving(lab) &&
		    lab_clock_ms() - now_ms < LAB_RUSH_MS)
			lab_tick(lab, INT64_C(1000000));
		if (!lab_moving(lab))
			lab->finishing = 0;
		lab->jump_us = 0;
		lab->due_ms = now_ms + LAB_FRAME_MS;
		return flags | PANE_REDRAW;
	}
	if (lab_behind_us(lab, now_ms) > 0) {
		/* Too far behind: catch up, drawing each frame, the instants
		 * held no longer. */
		int64_t behind;
		while (lab_moving(lab) && lab_clock_ms() - now_ms <
		    LAB_RUSH_MS && (behind = lab_behind_us(lab, now_ms)) > 0)
			lab_tick(lab, behind);
		lab_step_check(lab);
		lab->jump_us = 0;
		lab->quiet_us = 0;
		lab->due_ms = now_ms + LAB_FRAME_MS;
		return flags | PANE_REDRAW;
	}
	{
		int64_t before = session_now(lab->ss), budget;
		int doublings = (int)(lab->quiet_us /
		    (lab_speeds[lab->speed].quiet_us * 10));
		long events;

		if (doublings > 6)
			doublings = 6;
		budget = lab_speeds[lab->speed].quiet_us << doublings;
		events = lab_tick(lab, budget);
		lab_step_check(lab);
		lab->jump_us = session_now(lab->ss) - before;
		if (events > 0) {
			/* Instants that follow each other within a
			 * millisecond (a burst) share the hold. */
			int hold = lab_speeds[lab->speed].hold_ms;
			if (lab->jump_us < 1000)
				hold /= 3, lab->burst_run++;
			else
				lab->burst_run = 0;
			lab->quiet_us = 0;
			lab->due_ms = now_ms + hold;
		} else {
			lab->quiet_us += lab->jump_us;
			lab->due_ms = now_ms + LAB_FRAME_MS;
			if (lab->quiet_us > LAB_STALL_US) {
				lab->stalled = 1;
				lab_status(lab, 0, "%s", _("All quiet: time "
				    "stopped. Press . to move it on."));
			}
		}
	}
	return flags | PANE_REDRAW;
}
