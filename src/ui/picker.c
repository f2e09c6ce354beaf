/*
 * The lesson picker, the first screen of `rabbitlab` with no command. It
 * loads every lesson once for its title and summary (a lesson that does not
 * load is listed with its first error, so a teacher sees why), and shows
 * the learner's progress from ui/progress.h beside each.
 */
#include "ui/picker.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/pane.h"
#include "ui/text.h"
#include "ui/words.h"
#include "util/xmalloc.h"

#define PICKER_TOP 3 /* first list row */

static int
picker_cmp(const void *a, const void *b)
{
	return strcmp(((const struct picker_item *)a)->path,
	    ((const struct picker_item *)b)->path);
}

int
picker_open(struct picker *pk, const char *dir, const char *lang,
    struct progress *progress, char **cause)
{
	DIR *d;
	struct dirent *de;

	memset(pk, 0, sizeof *pk);
	pk->dir = xstrdup(dir);
	pk->lang = lang;
	pk->progress = progress;
	d = opendir(dir);
	if (d == NULL) {
		*cause = xasprintf("%s: cannot read the lesson directory", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		struct picker_item *it;
		if (len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		pk->items = xgrow(pk->items, &pk->cap, pk->n + 1,
		    sizeof *pk->items);
		it = &pk->items[pk->n++];
		memset(it, 0, sizeof *it);
		it->path = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (pk->n == 0) {
		*cause = xasprintf("%s: no lessons (*.cfg) here", dir);
		return -1;
	}
	qsort(pk->items, pk->n, sizeof *pk->items, picker_cmp);
	for (size_t i = 0; i < pk->n; i++) {
		struct script_diag diag = { 0 };
		struct picker_item *it = &pk->items[i];
		it->script = script_load(it->path, &diag);
		if (it->script == NULL)
			it->error = xstrdup(diag.count ? diag.lines[0] :
			    it->path);
		script_diag_free(&diag);
	}
	/* Start on the first lesson not yet finished. */
	for (size_t i = 0; i < pk->n && progress; i++) {
		const struct progress_entry *e;
		if (pk->items[i].script == NULL)
			continue;
		e = progress_find(progress, pk->items[i].script->id);
		if (e == NULL || !e->challenge_met ||
		    e->steps_done < e->nsteps) {
			pk->sel = i;
			break;
		}
	}
	return 0;
}

void
picker_close(struct picker *pk)
{
	for (size_t i = 0; i < pk->n; i++) {
		free(pk->items[i].path);
		free(pk->items[i].error);
		script_free(pk->items[i].script);
	}
	free(pk->items);
	free(pk->dir);
	memset(pk, 0, sizeof *pk);
}

/* "new", "3/12", "12/12 + challenge" for item i; role through *role. */
static void
picker_progress(const struct picker *pk, const struct picker_item *it,
    char *buf, size_t len, enum draw_role *role)
{
	const struct progress_entry *e = pk->progress && it->script ?
	    progress_find(pk->progress, it->script->id) : NULL;

	if (it->script == NULL) {
		snprintf(buf, len, "%s", _("does not load"));
		*role = DRAW_BAD;
	} else if (e == NULL || (e->steps_done == 0 && !e->challenge_met)) {
		snprintf(buf, len, "%s", _("new"));
		*role = DRAW_DIM;
	} else if (e->challenge_met == PROGRESS_MET_SHOWN) {
		snprintf(buf, len, _("%u/%u, met with the solution shown"),
		    e->steps_done, e->nsteps);
		*role = DRAW_WARN;
	} else if (e->challenge_met) {
		snprintf(buf, len, _("%u/%u, challenge met"), e->steps_done,
		    e->nsteps);
		*role = DRAW_GOOD;
	} else if (e->steps_done >= e->nsteps && e->nsteps > 0) {
		snprintf(buf, len, _("%u/%u, challenge open"), e->steps_done,
		    e->nsteps);
		*role = DRAW_WARN;
	} else {
		snprintf(buf, len, _("%u/%u steps"), e->steps_done, e->nsteps);
		*role = DRAW_WARN;
	}
}

static void
picker_help(struct picker *pk)
{
	static const char *const lines[][2] = {
		{ N_("Up Down j k"), N_("choose a lesson") },
		{ N_("Enter space"), N_("open it as a guided lesson") },
		{ "s", N_("open it as a sandbox (free play)") },
		{ "1-9 0", N_("jump to a lesson; 1 then 2 is 12, 0 is 10") },
		{ "?", N_("show or hide these keys") },
		{ "q", N_("quit") },
	};
	int w = COLS > 70 ? 66 : COLS - 4, h = 10, y = (LINES - h) / 2,
	    x = (COLS - w) / 2;

	/* Its rows blanked whole: a wide character the box's edge would
	 * halve (未 of 未开始) leaves half of itself beside it. */
	for (int r = y; r < y + h; r++)
		draw_blank(r, 0, COLS, DRAW_OVERLAY);
	draw_box(y, x, h, w, _(" Keys "), DRAW_BORDER);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		draw_text(y + 1 + (int)i, x + 2, 12, _(lines[i][0]), DRAW_KEY);
		draw_text(y + 1 + (int)i, x + 15, w - 17, _(lines[i][1]),
		    DRAW_NORMAL);
	}
	if (pk->progress && pk->progress->path)
		draw_printf(y + h - 2, x + 2, w - 4, DRAW_DIM, _("Progress: %s"),
		    pk->progress->path);
}

void
picker_draw(struct picker *pk)
{
	int W = COLS, H = LINES, rows, y, sumy;
	const struct picker_item *cur;

	erase();
	draw_click_clear();
	if (W < 40 || H < 12) {
		draw_wrap(0, 0, W, H, 0, _("Please enlarge the window."),
		    DRAW_WARN);
		return;
	}
	draw_blank(0, 0, W, DRAW_TITLE);
	draw_text(0, 1, W - 2, _("rabbitlab: a lab for RabbitMQ message "
	    "reliability"), DRAW_TITLE);
	draw_text(2, 2, W - 4, _("Lessons"), DRAW_HEAD);
	rows = H - PICKER_TOP - 9;
	if (rows < 3)
		rows = 3;
	if ((int)pk->sel < pk->top)
		pk->top = (int)pk->sel;
	if ((int)pk->sel >= pk->top + rows)
		pk->top = (int)pk->sel - rows + 1;
	for (int r = 0; r < rows && (size_t)(pk->top + r) < pk->n; r++) {
		size_t i = (size_t)(pk->top + r);
		const struct picker_item *it = &pk->items[i];
		char prog[96], num[24];
		enum draw_role role, trole = i == pk->sel ? DRAW_SELECTED :
		    DRAW_NORMAL;
		int pw, x = 2;

		y = PICKER_TOP + r;
		picker_progress(pk, it, prog, sizeof prog, &role);
		pw = text_width(prog);
		if (i == pk->sel)
			draw_blank(y, 1, W - 2, DRAW_SELECTED);
		snprintf(num, sizeof num, "%zu", i + 1);
		draw_text(y, x, 3, num, i == pk->sel ? DRAW_SELECTED : DRAW_KEY);
		x += 4;
		draw_words(y, x, W - x - pw - 4, it->script ?
		    script_text_get(&it->script->title, pk->lang) :
		    it->path, trole);
		draw_text(y, W - pw - 2, pw, prog, i == pk->sel ?
		    DRAW_SELECTED : role);
		draw_click_add(y, 1, W - 2, '0' + (int)(i < 9 ? i + 1 : 0),
		    (uint32_t)i + 1);
	}
	sumy = PICKER_TOP + rows + 1;
	draw_hline(sumy - 1, 1, W - 2, DRAW_BORDER);
	cur = pk->n ? &pk->items[pk->sel] : NULL;
	if (cur && cur->script) {
		/* The whole summary, down to the footer's notice rows; the
		 * challenge's line gives way first. */
		const char *sum = script_text_get(&cur->script->summary,
		    pk->lang);
		int room = H - 3 - sumy;
		y = sumy + draw_wrap(sumy, 2, W - 4, room, 0, sum, DRAW_SAY);
		if (cur->script->challenge && y < H - 3)
			draw_wrap(y, 2, W - 4, H - 3 - y, 0, _("Ends with a "
			    "challenge you solve by flipping toggles."),
			    DRAW_DIM);
	} else if (cur)
		draw_wrap(sumy, 2, W - 4, 4, 0, cur->error, DRAW_BAD);
	if (pk->notice[0]) {
		int nl = text_wrap_lines(pk->notice, W - 4);
		if (nl > 4)
			nl = 4;
		draw_wrap(H - 1 - nl, 2, W - 4, nl, 0, pk->notice,
		    pk->notice_bad ? DRAW_STATUS_BAD : DRAW_STATUS);
	}
	draw_blank(H - 1, 0, W, DRAW_FOOTER);
	{
		static const struct {
			const char *key;
			int code;
			const char *label;
		} foot[] = {
			{ "Enter", '\n', N_("lesson") },
			{ "s", 's', N_("sandbox") },
			{ "?", '?', N_("keys") },
			{ "q", 'q', N_("quit") },
		};
		int x = 1;
		for (size_t i = 0; i < sizeof foot / sizeof foot[0]; i++) {
			/* Key names in the screen's words, as in help. */
			const char *key = words_in("key", foot[i].key);
			int kw = text_width(key);
			int lw = text_width(_(foot[i].label));
			draw_text(H - 1, x, kw, key, DRAW_KEY);
			draw_text(H - 1, x + kw + 1, lw, _(foot[i].label),
			    DRAW_FOOTER);
			draw_click_add(H - 1, x, kw + 1 + lw, foot[i].code, 0);
			x += kw + lw + 3;
		}
	}
	if (pk->help) {
		draw_click_clear();
		picker_help(pk);
	}
}

static int
picker_choose(struct picker *pk, enum session_mode mode)
{
	const struct picker_item *it = &pk->items[pk->sel];

	if (it->script == NULL) {
		snprintf(pk->notice, sizeof pk->notice, "%s", it->error);
		pk->notice_bad = 1;
		return PANE_REDRAW;
	}
	pk->chosen = it->path;
	pk->chosen_mode = mode;
	return PANE_HANDLED | PANE_REDRAW;
}

/*
 * A digit: with the digit before it, a two-digit lesson number if there is
 * one (1 then 2: lesson 12); alone, that lesson (0: lesson 10).
 */
static int
picker_digit(struct picker *pk, int d)
{
	size_t two = pk->num * 10 + (size_t)d, one = d ? (size_t)d : 10;

	if (pk->num > 0 && two >= 1 && two <= pk->n) {
		pk->sel = two - 1;
		pk->num = 0;
	} else if (one <= pk->n) {
		pk->sel = one - 1;
		pk->num = d && (size_t)d * 10 <= pk->n ? (size_t)d : 0;
	} else
		pk->num = 0;
	return PANE_REDRAW;
}

/* The index of the lesson at `path` (matched by file name), pk->n when
 * it is not listed. */
static size_t
picker_find(const struct picker *pk, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < pk->n; i++) {
		const char *b = strrchr(pk->items[i].path, '/');
		b = b ? b + 1 : pk->items[i].path;
		if (strcmp(b, base) == 0)
			break;
	}
	return i;
}

const char *
picker_next(const struct picker *pk, const char *path)
{
	size_t i = picker_find(pk, path);

	return i + 1 < pk->n ? pk->items[i + 1].path : NULL;
}

int
picker_is_last(const struct picker *pk, const char *path)
{
	return pk->n > 0 && picker_find(pk, path) == pk->n - 1;
}

int
picker_key(struct picker *pk, int key)
{
	if (pk->help && key != 'q') {
		pk->help = 0;
		return PANE_REDRAW;
	}
	pk->notice[0] = '\0';
	if (key < '0' || key > '9')
		pk->num = 0;
	switch (key) {
	case KEY_UP:
	case 'k':
		if (pk->sel > 0)
			pk->sel--;
		return PANE_REDRAW;
	case KEY_DOWN:
	case 'j':
		if (pk->sel + 1 < pk->n)
			pk->sel++;
		return PANE_REDRAW;
	case KEY_HOME:
		pk->sel = 0;
		return PANE_REDRAW;
	case KEY_END:
		pk->sel = pk->n ? pk->n - 1 : 0;
		return PANE_REDRAW;
	case '\n':
	case KEY_ENTER:
	case ' ':
		return picker_choose(pk, SESSION_LESSON);
	case 's':
		return picker_choose(pk, SESSION_SANDBOX);
	case '?':
		pk->help = 1;
		return PANE_REDRAW;
	case 'q':
		return PANE_QUIT;
	case 27:
		/* Esc closes things everywhere else: a second one, pressed
		 * by habit, must not end the lab. */
		snprintf(pk->notice, sizeof pk->notice, "%s",
		    _("Esc has nothing to close here; q quits."));
		pk->notice_bad = 0;
		return PANE_REDRAW;
	case 12:
		clearok(curscr, TRUE);
		return PANE_REDRAW;
	default:
		if (key >= '0' && key <= '9')
			return picker_digit(pk, key - '0');
		return 0;
	}
}

int
picker_click(struct picker *pk, int y, int x)
{
	int key;
	uint32_t msg;

	if (!draw_click_find(y, x, &key, &msg))
		return pk->help ? (pk->help = 0, PANE_REDRAW) : 0;
	if (msg) {
		/* A lesson row: the first click selects, the second opens. */
		if (pk->sel == msg - 1)
			return picker_choose(pk, SESSION_LESSON);
		pk->sel = msg - 1;
		return PANE_REDRAW;
	}
	return picker_key(pk, key);
}
