/*
 * Header and footer bars. The footer is generated from the key table
 * (ui/keys.h): the failures on its first line, the commands marked for the
 * footer on the second, in table order. It shows the keys the lesson and
 * its current step need first (a learner step's key, H and S in a
 * challenge, Z where the lesson stops consumers, B while the broker is
 * down), each with its label; what does not fit gives way; watching an
 * application, only the keys that act on it. Each item is a click area
 * that stands for its key.
 */
#include "ui/bar.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "class/class_report.h"

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "ui/watchview.h"

/* The longest "following NAME" in the header. */
#define CLASS_LEAD_SHOWN 96

static void
header_draw(struct pane *p, struct lab *lab)
{
	char right[160], clock[48], lead[CLASS_LEAD_SHOWN];
	const char *title;
	const char *mode, *leader = class_report_leader();
	int rw, x;
	int64_t now = session_now(lab->ss);

	draw_blank(p->y, p->x, p->w, DRAW_TITLE);
	if (session_watched(lab->ss))
		mode = _("watching");
	else if (lab->mode == SESSION_SANDBOX)
		mode = _("sandbox");
	else if (lab->o.autoplay)
		mode = _("autoplay");
	else
		mode = _("lesson");
	/* A class's lab says whom it follows, or that it leads. */
	if (class_report_teaching())
		mode = _("leading the class");
	else if (leader && class_report_following()) {
		snprintf(lead, sizeof lead, _("following %s"), *leader ? leader :
		    _("the teacher"));
		mode = lead;
	}
	/* Whole milliseconds, as the event log and the timelines count
	 * (their titles say "ms"): one unit wherever a learner reads a
	 * time on the screen. */
	snprintf(clock, sizeof clock, "t=%" PRId64 "ms", now / 1000);
	if (session_live(lab->ss))
		/* Real time has no speed and no pause. */
		snprintf(right, sizeof right, " %s %s %s ", mode, clock,
		    _("live RabbitMQ"));
	else if (lab->paused)
		snprintf(right, sizeof right, " %s %s [%s] ", mode, clock,
		    _("paused"));
	else if (lab_animating(lab))
		/* An instant with events is held for the eye to follow, so
		 * the clock then runs far slower than the speed's label:
		 * say so, not only "1x". */
		snprintf(right, sizeof right, " %s %s %s %s ", mode, clock,
		    lab_speed_label(lab), lab->jump_us >= 1000000 ?
		    _("(skipping)") : lab->quiet_us == 0 ? _("(slow motion)") :
		    _("(running)"));
	else
		snprintf(right, sizeof right, " %s %s %s ", mode, clock,
		    lab_speed_label(lab));
	rw = text_width(right);
	/* The brand gives way to a title that would not fit beside it. */
	title = script_text_get(&lab->script->title, lab->o.lang);
	x = p->x + draw_text(p->y, p->x, p->w - rw, lab->status[0] ||
	    text_width(" rabbitlab | ") + text_width(title) < p->w - rw ?
	    " rabbitlab | " : " ", DRAW_TITLE);
	/* A message takes the place of the right-hand part and, as far as
	 * it needs, of the title (up to the brand) rather than losing its
	 * end; the title keeps what is left, cut after a whole word. */
	if (lab->status[0]) {
		rw = text_width(lab->status) + 2;
		if (rw > p->w - (x - p->x))
			rw = p->w - (x - p->x);
	}
	if (!lab->status[0] || p->w - rw - (x - p->x) - 1 >= 8)
		draw_words(p->y, x, p->w - rw - (x - p->x) - 1, title,
		    DRAW_TITLE);
	if (lab->status[0]) {
		int sw = rw, sx;
		sx = p->x + p->w - sw;
		draw_blank(p->y, sx, sw, lab->status_bad ? DRAW_STATUS_BAD :
		    DRAW_STATUS);
		draw_text(p->y, sx + 1, sw - 2, lab->status,
		    lab->status_bad ? DRAW_STATUS_BAD : DRAW_STATUS);
	} else
		draw_text(p->y, p->x + p->w - rw, rw, right, DRAW_TITLE);
}

struct bar_item {
	const struct keys_def *k;
	char name[16];          /* the key as shown */
	const char *label;
	const char *tiny;
	int need;               /* BAR_* below: which items give way first */
};

/* How much the footer needs an item: the lowest give way first when the
 * line is short, and a BAR_HIDDEN one is not shown at all. */
enum {
	BAR_HIDDEN,  /* nothing on this screen uses the key */
	BAR_SPARE,   /* always useful, rarely needed (speed, code, glossary) */
	BAR_LESSON,  /* the lesson or the sandbox uses it */
	BAR_NOW,     /* the current step or state asks for it */
};

/* Whether the steps s[0..n) use failure `kind` (kind >= 0) or action
 * `act` (kind < 0). */
static int
bar_steps_use(const struct script_step *s, size_t n, int kind,
    enum script_action_kind act)
{
	for (size_t i = 0; i < n; i++) {
		const struct script_action *a = &s[i].action;
		if (kind >= 0 ? a->kind == ACT_FAIL && (int)a->fail.kind == kind :
		    a->kind == act)
			return 1;
	}
	return 0;
}

/* Whether the lesson (its steps or its challenge) uses it, as above. */
static int
bar_lesson_uses(const struct lab *lab, int kind, enum script_action_kind act)
{
	const struct script *s = lab->script;

	return bar_steps_use(s->steps, s->nsteps, kind, act) ||
	    (s->challenge && bar_steps_use(s->challenge->steps,
	    s->challenge->nsteps, kind, act));
}

/* How much the screen now needs footer key k (BAR_*). */
static int
bar_need(const struct lab *lab, const struct keys_def *k)
{
	int sandbox = lab->mode == SESSION_SANDBOX;
	const struct session_lesson *ls = sandbox ? NULL :
	    session_lesson(lab->ss);
	const struct script_step *st = sandbox ? NULL :
	    session_learner_step(lab->ss);
	enum script_action_kind want = st ? st->action.kind : ACT_NONE;

	/* Watching an application, the keys it refuses are not offered. */
	if (session_watched(lab->ss) && !watchview_key_acts(k))
		return BAR_HIDDEN;
	if (k->kind == KEYS_FAILURE) {
		if (want == ACT_FAIL && (int)st->action.fail.kind == k->id)
			return BAR_NOW;
		return sandbox || bar_lesson_uses(lab, k->id, ACT_NONE) ?
		    BAR_LESSON : BAR_SPARE;
	}
	switch (k->id) {
	case CMD_HINT:
	case CMD_SOLUTION:
		return ls && ls->challenge_on ? BAR_NOW : BAR_HIDDEN;
	case CMD_CONSUMERS:
		if (want == ACT_STOP || want == ACT_CONSUME)
			return BAR_NOW;
		return sandbox || bar_lesson_uses(lab, -1, ACT_STOP) ||
		    bar_lesson_uses(lab, -1, ACT_CONSUME) ? BAR_LESSON :
		    BAR_HIDDEN;
	case CMD_BROKER:
		if (want == ACT_RESTART || !lab->view.broker_up)
			return BAR_NOW;
		return bar_lesson_uses(lab, -1, ACT_RESTART) ? BAR_LESSON :
		    BAR_HIDDEN;
	case CMD_BUILD:
	case CMD_WRITE:
		return sandbox ? BAR_LESSON : BAR_HIDDEN;
	case CMD_FOLLOW:
		/* Only a lab with a teacher to follow. */
		return class_report_leader() ? BAR_NOW : BAR_HIDDEN;
	case CMD_NEXT:
		/* A sandbox has no steps to go on to. */
		return sandbox ? BAR_HIDDEN : BAR_NOW;
	case CMD_HELP:
	case CMD_PUBLISH:
	case CMD_QUIT:
		return BAR_NOW;
	case CMD_UNDO:
	case CMD_RESET:
		return BAR_LESSON;
	case CMD_BURST:
		return sandbox ? BAR_LESSON : BAR_SPARE;
	case CMD_PAUSE:
	case CMD_STEP:
	case CMD_SLOWER:
	case CMD_FASTER:
		/* Real time has no speed and no pause. */
		return session_live(lab->ss) ? BAR_HIDDEN : BAR_SPARE;
	default:
		return BAR_SPARE;
	}
}

/* The footer items of one kind that the screen needs, in footer order. */
static int
bar_items(const struct lab *lab, enum keys_kind kind, struct bar_item *items,
    int max)
{
	size_t n;
	const struct keys_def *t = keys_table(&n);
	int count = 0;

	for (int foot = 1; foot <= 32 && count < max; foot++)
		for (size_t i = 0; i < n; i++) {
			struct bar_item *it;
			int need;
			if (t[i].kind != kind || t[i].foot != foot)
				continue;
			if ((need = bar_need(lab, &t[i])) == BAR_HIDDEN)
				break;
			it = &items[count++];
			it->k = &t[i];
			it->need = need;
			keys_name(t[i].key, it->name, sizeof it->name);
			if (t[i].key == ' ') /* as the lesson text names it */
				snprintf(it->name, sizeof it->name, "%s",
				    _("space"));
			it->label = keys_label(&t[i]);
			it->tiny = keys_tiny(&t[i]);
			if (kind == KEYS_COMMAND && t[i].id == CMD_SLOWER) {
				snprintf(it->name, sizeof it->name, "< >");
				it->label = it->tiny = _("speed");
			}
			break;
		}
	return count;
}

static int
bar_width(const struct bar_item *items, int n, int tiny, int sep)
{
	int w = 0;

	for (int i = 0; i < n; i++)
		w += text_width(items[i].name) + 1 +
		    text_width(tiny ? items[i].tiny : items[i].label) +
		    (i ? sep : 0);
	return w;
}

/*
 * Draws one footer line: with full labels if they fit, else with the short
 * ones; when even those do not fit, the least needed items (the last of
 * them first) give way, so every key shown has its label. The help (?)
 * lists every key.
 */
static void
bar_line(int y, int x, int w, struct bar_item *items, int n)
{
	int tiny;

	while (n > 0 && bar_width(items, n, 1, 1) > w) {
		int drop = n - 1;
		for (int i = n - 1; i >= 0; i--)
			if (items[i].need < items[drop].need)
				drop = i;
		memmove(&items[drop], &items[drop + 1],
		    (size_t)(n - 1 - drop) * sizeof items[0]);
		n--;
	}
	tiny = bar_width(items, n, 0, 2) > w;
	for (int i = 0; i < n; i++) {
		const char *label = tiny ? items[i].tiny : items[i].label;
		int kw = text_width(items[i].name), lw = text_width(label);

		draw_text(y, x, kw, items[i].name, DRAW_KEY);
		draw_text(y, x + kw + 1, lw, label, DRAW_FOOTER);
		draw_click_add(y, x, kw + 1 + lw, items[i].k->key, 0);
		x += kw + 1 + lw + (tiny ? 1 : 2);
	}
}

static void
footer_draw(struct pane *p, struct lab *lab)
{
	struct bar_item items[32];
	int n;

	draw_blank(p->y, p->x, p->w, DRAW_FOOTER);
	draw_blank(p->y + 1, p->x, p->w, DRAW_FOOTER);
	n = bar_items(lab, KEYS_FAILURE, items, 32);
	{
		/* The key rule (keys.h): the capitals on this line break
		 * things; lower case letters are the toggles in the panes. */
		int rw = draw_text(p->y, p->x, p->w, _("A-Z:"), DRAW_DIM) + 1;
		bar_line(p->y, p->x + rw, p->w - rw, items, n);
	}
	if (p->h < 2)
		return;
	if (lab->typing) {
		draw_printf(p->y + 1, p->x, p->w, DRAW_KEY, "%s %s_   %s",
		    _("Message id:"), lab->idbuf,
		    _("Enter shows it, Esc cancels"));
		return;
	}
	if (lab->confirm_reset || lab->setting) {
		/* The question or the typed number, where the keys were. */
		draw_text(p->y + 1, p->x, p->w, lab->status, DRAW_KEY);
		return;
	}
	n = bar_items(lab, KEYS_COMMAND, items, 31);
	if (session_watched(lab->ss)) {
		/* e shows the application as Spring Boot properties
		 * (watchview.c); in a lesson it is a toggle's key. */
		struct bar_item *it = &items[n++];
		it->k = keys_find('e');
		it->need = BAR_NOW;
		snprintf(it->name, sizeof it->name, "e");
		it->label = _("Spring settings");
		it->tiny = "Spring";
	}
	bar_line(p->y + 1, p->x, p->w, items, n);
}

const struct pane_ops bar_header_ops = { "header", header_draw, NULL };
const struct pane_ops bar_footer_ops = { "footer", footer_draw, NULL };
