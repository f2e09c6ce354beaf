/*
 * The class dashboard on a terminal (classview.h). It owns no counting:
 * class_cmd_dashboard runs its loop and calls classview_frame after each
 * turn with the class_dash it keeps; this module reads that state and
 * draws it. The screen, top to bottom: a title bar, a table with a row
 * per student and a column per lesson (scrolled by the arrow keys), the
 * lessons' solve rate and median solve time under their columns, the
 * current question's answers as bars, and a footer with the keys.
 */
#include "ui/classview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "class/class_cmd.h"
#include "class/class_dash.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/text.h"
#include "ui/ui.h"
#include "util/mono.h"

#define CV_REDRAW_MS 500   /* the ages shown move on this often */
#define CV_NEWS_MAX 300
#define CV_NAME_MIN 10
#define CV_NAME_MAX 28
#define CV_AGE_W 5
#define CV_CELL_MIN 4
#define CV_CELL_MAX 18
#define CV_CHOICE_ROWS 4   /* bars kept room for, at least */
#define CV_LESSONS_SHOWN 64 /* lesson columns at most */

/* A cell's words (at most 4 columns: the narrowest cell) and the legend
 * under the table that explains them. */
#define CV_SOLVED N_("done")
#define CV_WITH_SOLUTION N_("sol")
#define CV_HERE N_("here")
#define CV_LEFT N_("left")

struct classview {
	int64_t stuck_ms;          /* --stuck */
	int top;                   /* first student row shown */
	int rows;                  /* student rows that fit, at the last draw */
	int dirty;                 /* a key or a resize asks for a redraw */
	uint64_t drawn_events;     /* events at the last draw */
	double drawn_at;           /* monotonic s of the last draw */
	char news[CV_NEWS_MAX];    /* the link's latest sentence */
};

/* A time as the table shows it: 45s, 12m, 3h. */
static void
cv_span(int64_t ms, char *out, size_t n)
{
	int64_t s = ms < 0 ? 0 : ms / 1000;

	if (s < 100)
		snprintf(out, n, "%llds", (long long)s);
	else if (s < 100 * 60)
		snprintf(out, n, "%lldm", (long long)(s / 60));
	else
		snprintf(out, n, "%lldh", (long long)(s / 3600));
}

/* A lesson's column heading: the whole id when it fits, else its number
 * (the part before the first '-'), else the id elided. */
static void
cv_lesson_label(const char *id, int w, char *out, size_t n)
{
	size_t num = strcspn(id, "-");

	if (text_width(id) <= w)
		snprintf(out, n, "%s", id);
	else if (num > 0 && (int)num <= w)
		snprintf(out, n, "%.*s", (int)num, id);
	else
		text_elide(id, w, DRAW_ELIDE, out, n);
}

/* Student s's mark in lesson l, or NULL if it never opened it. */
static const struct class_dash_mark *
cv_mark(const struct class_dash_student *s, size_t l)
{
	for (size_t k = 0; k < s->nmarks; k++)
		if (s->marks[k].lesson == l)
			return &s->marks[k];
	return NULL;
}

/* The table's geometry for a width. */
struct cv_cols {
	int name_w, cell_w, first_cell; /* columns */
	size_t lessons;                 /* lesson columns that fit */
	size_t order[CV_LESSONS_SHOWN]; /* their class_dash indexes, by id */
};

static const struct class_dash *cv_sorting; /* for cv_by_id alone */

static int
cv_by_id(const void *a, const void *b)
{
	return strcmp(cv_sorting->lessons[*(const size_t *)a],
	    cv_sorting->lessons[*(const size_t *)b]);
}

static struct cv_cols
cv_cols(const struct class_dash *d, int w)
{
	struct cv_cols c;
	size_t n = d->nlessons ? d->nlessons : 1;
	int room;

	/* A fifth of the width for the names, less when the lessons need
	 * it, never under CV_NAME_MIN. */
	c.name_w = w / 5 > CV_NAME_MAX ? CV_NAME_MAX : w / 5;
	if (c.name_w > w - 3 - CV_AGE_W - (int)n * (CV_CELL_MIN + 1))
		c.name_w = w - 3 - CV_AGE_W - (int)n * (CV_CELL_MIN + 1);
	if (c.name_w < CV_NAME_MIN)
		c.name_w = CV_NAME_MIN;
	c.first_cell = 1 + c.name_w + 1 + CV_AGE_W + 1;
	room = w - c.first_cell;
	c.cell_w = room / (int)n - 1;
	if (c.cell_w < CV_CELL_MIN)
		c.cell_w = CV_CELL_MIN;
	if (c.cell_w > CV_CELL_MAX)
		c.cell_w = CV_CELL_MAX;
	c.lessons = room > 0 ? (size_t)(room / (c.cell_w + 1)) : 0;
	if (c.lessons > d->nlessons)
		c.lessons = d->nlessons;
	if (c.lessons > CV_LESSONS_SHOWN)
		c.lessons = CV_LESSONS_SHOWN;
	/* The first lessons by id (they are numbered), not by first sight. */
	{
		size_t all[CV_LESSONS_SHOWN], k = 0;
		for (size_t l = 0; l < d->nlessons && k < CV_LESSONS_SHOWN; l++)
			all[k++] = l;
		cv_sorting = d;
		qsort(all, k, sizeof *all, cv_by_id);
		memcpy(c.order, all, c.lessons * sizeof *all);
	}
	return c;
}

static void
cv_title(const struct class_dash *d, int w)
{
	char right[160];

	draw_blank(0, 0, w, DRAW_TITLE);
	draw_printf(0, 1, w - 1, DRAW_TITLE, _("rabbitlab class %s"), d->klass);
	snprintf(right, sizeof right, _("%zu students, %llu events, %llu "
	    "duplicates ignored"), d->nstudents, (unsigned long long)d->events,
	    (unsigned long long)d->duplicates);
	if (text_width(right) + 2 < w - 20)
		draw_text(0, w - 1 - text_width(right), text_width(right), right,
		    DRAW_TITLE);
}

static void
cv_header(const struct class_dash *d, const struct cv_cols *c, int y)
{
	char label[CLASS_LESSON_MAX];

	draw_text(y, 1, c->name_w, _("Student"), DRAW_HEAD);
	draw_text(y, 1 + c->name_w + 1, CV_AGE_W, _("Last"), DRAW_HEAD);
	for (size_t col = 0; col < c->lessons; col++) {
		cv_lesson_label(d->lessons[c->order[col]], c->cell_w, label,
		    sizeof label);
		draw_text(y, c->first_cell + (int)col * (c->cell_w + 1),
		    c->cell_w, label, DRAW_HEAD);
	}
}

/* One student's row: name, time since progress (or stuck), lessons. */
static void
cv_student(const struct classview *v, const struct class_dash *d,
    const struct cv_cols *c, size_t i, int y, int64_t now)
{
	const struct class_dash_student *s = &d->students[i];
	char age[16];

	draw_name(y, 1, c->name_w, s->name, DRAW_NORMAL);
	if (class_dash_stuck(s, now, v->stuck_ms))
		draw_text(y, 1 + c->name_w + 1, CV_AGE_W, _("stuck"), DRAW_BAD);
	else {
		cv_span(now - s->last_ms, age, sizeof age);
		draw_text(y, 1 + c->name_w + 1, CV_AGE_W, age, DRAW_DIM);
	}
	for (size_t col = 0; col < c->lessons; col++) {
		size_t l = c->order[col];
		const struct class_dash_mark *m = cv_mark(s, l);
		int x = c->first_cell + (int)col * (c->cell_w + 1);
		if (m == NULL)
			draw_text(y, x, c->cell_w, draw_ascii() ? "." : "·",
			    DRAW_DIM);
		else if (m->solved == 1)
			draw_text(y, x, c->cell_w, _(CV_SOLVED), DRAW_GOOD);
		else if (m->solved == 2)
			draw_text(y, x, c->cell_w, _(CV_WITH_SOLUTION), DRAW_WARN);
		else if (s->lesson == l)
			draw_text(y, x, c->cell_w, _(CV_HERE), DRAW_VALUE);
		else
			draw_text(y, x, c->cell_w, _(CV_LEFT), DRAW_NORMAL);
	}
}

/* The solve rate and median solve time under each lesson's column. */
static void
cv_lesson_rows(const struct class_dash *d, const struct cv_cols *c, int y)
{
	draw_text(y, 1, c->name_w + CV_AGE_W + 1, _("Solve rate"), DRAW_HEAD);
	draw_text(y + 1, 1, c->name_w + CV_AGE_W + 1, _("Median time"),
	    DRAW_HEAD);
	for (size_t col = 0; col < c->lessons; col++) {
		unsigned opened, solved;
		int64_t median;
		char cell[16];
		int x = c->first_cell + (int)col * (c->cell_w + 1);
		class_dash_lesson_stats(d, c->order[col], &opened, &solved, &median);
		if (opened)
			draw_printf(y, x, c->cell_w, DRAW_VALUE, "%u%%",
			    solved * 100 / opened);
		if (median >= 0) {
			cv_span(median, cell, sizeof cell);
			draw_text(y + 1, x, c->cell_w, cell, DRAW_VALUE);
		}
	}
}

/* The current question's answers, a bar per choice, from row y on. */
static void
cv_question(const struct class_dash *d, int y, int w, int rows)
{
	const struct class_dash_question *q;
	unsigned total = 0, most = 0;
	int bar_w = w - 14;

	if (d->current < 0) {
		draw_text(y, 1, w - 2, _("No answers yet."), DRAW_DIM);
		return;
	}
	q = &d->questions[d->current];
	for (size_t c = 0; c < q->nchoices; c++) {
		total += q->choices[c];
		if (q->choices[c] > most)
			most = q->choices[c];
	}
	draw_printf(y, 1, w - 2, DRAW_HEAD, _("Current question: %s, step "
	    "%d: %u answers, %u right"), d->lessons[q->lesson],
	    q->number > 0 ? q->number : q->question + 1,
	    total, q->right);
	for (size_t c = 0; c < q->nchoices && (int)c < rows - 1; c++) {
		int len = most ? (int)((uint64_t)q->choices[c] * (unsigned)bar_w /
		    most) : 0;
		int yy = y + 1 + (int)c;
		draw_printf(yy, 2, 4, DRAW_KEY, "%zu", c + 1);
		draw_printf(yy, 5, 6, DRAW_VALUE, "%5u", q->choices[c]);
		for (int k = 0; k < len; k++)
			draw_text(yy, 12 + k, 1, draw_ascii() ? "#" : "█",
			    DRAW_ARROW);
	}
}

static void
cv_footer(const struct classview *v, const struct class_dash *d, int y,
    int w)
{
	int x = 1;

	draw_blank(y, 0, w, DRAW_FOOTER);
	x += draw_text(y, x, w - x, "q", DRAW_KEY);
	x += draw_text(y, x, w - x, _(" quit  "), DRAW_FOOTER);
	x += draw_text(y, x, w - x, draw_ascii() ? "Up/Down PgUp/PgDn" :
	    "↑↓ PgUp/PgDn", DRAW_KEY);
	x += draw_printf(y, x, w - x, DRAW_FOOTER, _(" students %d-%d of "
	    "%zu  "), d->nstudents ? v->top + 1 : 0, v->top + v->rows >
	    (int)d->nstudents ? (int)d->nstudents : v->top + v->rows,
	    d->nstudents);
	if (v->news[0])
		draw_text(y, x, w - x, v->news, DRAW_WARN);
}

/* The whole screen. */
static void
cv_draw(struct classview *v, const struct class_dash *d, int64_t now)
{
	int w = COLS, h = LINES, qrows = CV_CHOICE_ROWS, y;
	struct cv_cols c = cv_cols(d, w);

	if (d->current >= 0 && (int)d->questions[d->current].nchoices > qrows)
		qrows = (int)d->questions[d->current].nchoices;
	qrows++;
	erase();
	/* Title, heading, two lesson rows, a rule, the question, a footer. */
	v->rows = h - 1 - 1 - 2 - 1 - qrows - 1;
	if (v->rows < 1)
		v->rows = 1;
	if (v->top > (int)d->nstudents - v->rows)
		v->top = (int)d->nstudents - v->rows;
	if (v->top < 0)
		v->top = 0;
	cv_title(d, w);
	cv_header(d, &c, 1);
	for (int r = 0; r < v->rows && (size_t)(v->top + r) < d->nstudents;
	    r++)
		cv_student(v, d, &c, (size_t)(v->top + r), 2 + r, now);
	y = 2 + v->rows;
	cv_lesson_rows(d, &c, y);
	draw_hline(y + 2, 0, w, DRAW_BORDER);
	draw_printf(y + 2, 2, w - 4, DRAW_DIM, _(" %s: solved  %s: solved "
	    "after the solution  %s: current lesson  %s: not solved "),
	    _(CV_SOLVED), _(CV_WITH_SOLUTION), _(CV_HERE), _(CV_LEFT));
	cv_question(d, y + 3, w, h - 1 - (y + 3));
	cv_footer(v, d, h - 1, w);
	refresh();
}

/* Reads the keys waiting; returns 1 on q. */
static int
cv_keys(struct classview *v)
{
	wint_t ch;
	int kind;

	while ((kind = get_wch(&ch)) != ERR) {
		v->dirty = 1;
		if (kind == OK && (ch == 'q' || ch == 'Q'))
			return 1;
		if (kind != KEY_CODE_YES && ch != 'j' && ch != 'k')
			continue;
		if (ch == KEY_DOWN || ch == 'j')
			v->top++;
		else if (ch == KEY_UP || ch == 'k')
			v->top--;
		else if (ch == KEY_NPAGE)
			v->top += v->rows;
		else if (ch == KEY_PPAGE)
			v->top -= v->rows;
		else if (ch == KEY_HOME)
			v->top = 0;
		else if (ch == KEY_END)
			v->top = 1 << 30; /* clamped when drawn */
	}
	return 0;
}

static int
cv_frame(void *ctx, const struct class_dash *d, int64_t now_ms)
{
	struct classview *v = ctx;
	double t = mono_seconds();

	if (cv_keys(v))
		return 1;
	if (v->dirty || d->events != v->drawn_events ||
	    t - v->drawn_at >= CV_REDRAW_MS / 1000.0) {
		cv_draw(v, d, now_ms);
		v->dirty = 0;
		v->drawn_events = d->events;
		v->drawn_at = t;
	}
	return 0;
}

static void
cv_news(void *ctx, const char *line)
{
	struct classview *v = ctx;

	snprintf(v->news, sizeof v->news, "%s", line);
	v->dirty = 1;
}

int
classview_main(const struct class_cmd_opts *o, const char *lang,
    const char *locale_dir)
{
	struct classview v;
	struct class_cmd_view view = { &v, STDIN_FILENO, cv_frame, cv_news };
	struct class_cmd_opts co = *o;
	const char *why = NULL;
	const char *no_color = getenv("NO_COLOR");
	SCREEN *scr;
	int rc;

	memset(&v, 0, sizeof v);
	v.stuck_ms = o->stuck_ms;
	v.dirty = 1;
	i18n_setup(lang, locale_dir);
	scr = ui_curses_open(&why);
	if (scr == NULL) {
		fprintf(stderr, _("rabbitlab: the dashboard needs a terminal "
		    "(%s); --json prints the class without one.\n"), why);
		return 2;
	}
	draw_init(no_color && *no_color, i18n_ascii());
	co.view = &view;
	rc = class_cmd_dashboard(&co);
	endwin();
	delscreen(scr);
	return rc;
}
