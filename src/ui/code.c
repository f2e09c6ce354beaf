/*
 * The code overlay: from the lab back to real code. It shows what
 * codegen_write (lesson/codegen.h) makes of the session's toggles now and
 * the script's topology: the Spring Boot application.yml, the Java pieces
 * and the rabbitmq-c calls, with comments in the session's language.
 *
 * The text is generated afresh at every draw, into a memory stream, so it
 * is never stale: the overlay passes the toggle keys through to the lab,
 * and a learner who presses c under it sees publisher-confirm-type change
 * at once. The lines that the last change brought are highlighted and
 * scrolled into view. Long lines are cut at the box, never wrapped (code
 * must keep its shape); Left and Right scroll sideways, and a '<' or '>'
 * in the margin says there is more that way.
 */
#include "ui/code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/codegen.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "util/xmalloc.h"

#define CODE_HSTEP 8 /* columns one Left or Right moves */

/* One line of the text: where it starts and how long it is. */
struct code_line {
	const char *s;
	size_t len;
};

void
code_view_reset(struct code_view *cv)
{
	free(cv->now);
	free(cv->before);
	memset(cv, 0, sizeof *cv);
}

/* The code for the session now; a new string (caller frees), or NULL. */
static char *
code_generate(struct lab *lab)
{
	int64_t tg[TOGGLE_COUNT];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	for (int i = 0; i < TOGGLE_COUNT; i++)
		tg[i] = session_get_toggle(lab->ss, (enum toggle_id)i);
	codegen_write(f, tg, &session_script(lab->ss)->topo, lab->o.lang);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Splits `s` into lines; returns how many (the array is caller's). */
static size_t
code_split(const char *s, struct code_line **lines, size_t *cap)
{
	size_t n = 0;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		*lines = xgrow(*lines, cap, n + 1, sizeof **lines);
		(*lines)[n].s = s;
		(*lines)[n++].len = len;
		s += len + (nl != NULL);
	}
	return n;
}

/* Whether `text` holds a line equal to the `len` bytes at `line`. */
static int
code_has_line(const char *text, const char *line, size_t len)
{
	while (text && *text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);
		if (n == len && memcmp(text, line, len) == 0)
			return 1;
		text = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Whether the line changed with the last toggle: it is new. */
static int
code_changed(const struct code_view *cv, const struct code_line *l)
{
	return cv->before && l->len > 0 && !code_has_line(cv->before, l->s,
	    l->len);
}

/* Where a comment starts in the line (#, // or slash-star), or len. */
static size_t
code_comment_at(const char *s, size_t len)
{
	size_t i = 0;
	char quote = 0;

	for (; i < len; i++) {
		if (quote) {
			if (s[i] == quote)
				quote = 0;
			continue;
		}
		if (s[i] == '"' || s[i] == '\'') {
			quote = s[i];
			continue;
		}
		if (s[i] == '#' && (i == 0 || s[i - 1] == ' '))
			return i;
		if (s[i] == '/' && i + 1 < len &&
		    (s[i + 1] == '/' || s[i + 1] == '*') &&
		    (i == 0 || s[i - 1] == ' '))
			return i;
	}
	return len;
}

/*
 * Draws the `len` bytes at `s`, which start at column `at` of a line shown
 * from column `col` on, into the w columns at (y, x). A wide character cut
 * by the left edge leaves a blank. Returns the line column after the span.
 */
static int
code_span(int y, int x, int w, int col, int at, const char *s, size_t len,
    enum draw_role role)
{
	int end = at + text_width_n(s, len), skip = 0, sx;
	size_t off = 0;

	if (end <= col || at >= col + w)
		return end;
	if (at < col) {
		off = text_fit(s, len, col - at, &skip);
		while (at + skip < col && off < len) {
			uint32_t cp;
			off += text_decode(s + off, len - off, &cp);
			skip += text_cp_width(cp);
		}
	}
	sx = at + skip - col;
	draw_text_n(y, x + sx, w - sx, s + off, len - off, role);
	return end;
}

/* Draws one line of code: comments dim, YAML values bold. */
static void
code_draw_line(int y, int x, int w, int col, const struct code_line *l,
    int heading, int changed)
{
	const char *s = l->s, *p;
	size_t len = l->len, pos = 0;
	int at = 0;

	if (changed) {
		/* The mark starts where the text does, not at the indent. */
		while (pos < len && s[pos] == ' ')
			pos++;
		code_span(y, x, w, col, (int)pos, s + pos, len - pos,
		    DRAW_SELECTED);
		return;
	}
	if (heading) {
		code_span(y, x, w, col, 0, s, len, DRAW_HEAD);
		return;
	}
	while (pos < len) {
		size_t c = pos + code_comment_at(s + pos, len - pos), end = len;
		/* A YAML "key: value": the value is what a toggle decides. */
		p = pos == 0 ? memchr(s, ':', c) : NULL;
		if (p && (size_t)(p - s) + 2 < c && p[1] == ' ' &&
		    memchr(s, '(', c) == NULL && memchr(s, '"', c) == NULL) {
			size_t k = (size_t)(p - s) + 1;
			at = code_span(y, x, w, col, at, s, k, DRAW_NORMAL);
			at = code_span(y, x, w, col, at, s + k, c - k,
			    DRAW_VALUE);
		} else
			at = code_span(y, x, w, col, at, s + pos, c - pos,
			    DRAW_NORMAL);
		if (c == len)
			break;
		if (c + 1 < len && s[c] == '/' && s[c + 1] == '*') {
			/* A comment inside the line ends at its star-slash. */
			for (size_t i = c + 2; i + 1 < len; i++)
				if (s[i] == '*' && s[i + 1] == '/') {
					end = i + 2;
					break;
				}
		}
		at = code_span(y, x, w, col, at, s + c, end - c, DRAW_DIM);
		pos = end;
	}
}

/* Keeps the new text; notes a change and what came before it. */
static void
code_update(struct code_view *cv, char *text)
{
	if (cv->now == NULL) {
		cv->now = text;
		return;
	}
	if (strcmp(cv->now, text) == 0) {
		free(text);
		return;
	}
	free(cv->before);
	cv->before = cv->now;
	cv->now = text;
	cv->follow = 1;
}

static void
code_draw(struct pane *p, struct lab *lab)
{
	static struct code_line *lines;
	static size_t cap;
	struct code_view *cv = &lab->code;
	int x = p->x + 2, w = p->w - 4, y0 = p->y + 1, rows = p->h - 3;
	int widest = 0, first_change = -1, n;
	char *text = code_generate(lab), title[160];

	for (int r = p->y; r < p->y + p->h; r++)
		draw_blank(r, p->x, p->w, DRAW_OVERLAY);
	snprintf(title, sizeof title, " %s ",
	    _("Code for the toggles now (Esc closes)"));
	draw_box(p->y, p->x, p->h, p->w, title, DRAW_BORDER);
	if (text == NULL && cv->now == NULL) {
		draw_text(y0, x, w, _("The code could not be generated."),
		    DRAW_WARN);
		return;
	}
	if (text)
		code_update(cv, text);
	n = (int)code_split(cv->now, &lines, &cap);
	for (int i = 0; i < n; i++) {
		int lw = text_width_n(lines[i].s, lines[i].len);
		if (lw > widest)
			widest = lw;
		if (first_change < 0 && code_changed(cv, &lines[i]))
			first_change = i;
	}
	if (cv->follow && first_change >= 0 && (first_change < p->scroll ||
	    first_change >= p->scroll + rows))
		p->scroll = first_change - rows / 3;
	cv->follow = 0;
	if (p->scroll > n - rows)
		p->scroll = n - rows;
	if (p->scroll < 0)
		p->scroll = 0;
	if (cv->col > widest - w)
		cv->col = widest - w;
	if (cv->col < 0)
		cv->col = 0;
	for (int i = p->scroll, y = y0; i < n && y < y0 + rows; i++, y++) {
		const struct code_line *l = &lines[i];
		int heading = l->len > 0 &&
		    code_comment_at(l->s, l->len) == 0 &&
		    (i == 0 || lines[i - 1].len == 0);
		code_draw_line(y, x, w, cv->col, l, heading,
		    code_changed(cv, l));
		if (cv->col > 0 && l->len > 0)
			draw_text(y, x - 1, 1, "<", DRAW_DIM);
		if (text_width_n(l->s, l->len) > cv->col + w)
			draw_text(y, x + w, 1, ">", DRAW_DIM);
	}
	draw_printf(p->y + p->h - 2, x, w, DRAW_DIM,
	    _("lines %d-%d of %d; Left/Right scroll sideways; toggle keys "
	    "work here"), n ? p->scroll + 1 : 0,
	    p->scroll + rows < n ? p->scroll + rows : n, n);
}

static int
code_key(struct pane *p, struct lab *lab, int key)
{
	int page = p->h > 6 ? p->h - 5 : 1;

	switch (key) {
	case KEY_UP:
		if (p->scroll > 0)
			p->scroll--;
		break;
	case KEY_DOWN:
		p->scroll++;
		break;
	case KEY_PPAGE:
		p->scroll = p->scroll > page ? p->scroll - page : 0;
		break;
	case KEY_NPAGE:
	case ' ':
		p->scroll += page;
		break;
	case KEY_HOME:
		p->scroll = 0;
		lab->code.col = 0;
		break;
	case KEY_END:
		p->scroll = 1 << 20;
		break;
	case KEY_LEFT:
		lab->code.col = lab->code.col > CODE_HSTEP ?
		    lab->code.col - CODE_HSTEP : 0;
		break;
	case KEY_RIGHT:
		lab->code.col += CODE_HSTEP;
		break;
	case 'e':
	case 27:
	case 'q':
		lab->overlay = LAB_OV_NONE;
		code_view_reset(&lab->code);
		break;
	default:
		/* Toggle keys and the rest work under the overlay. */
		return 0;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_ops code_ops = { "code", code_draw, code_key };
