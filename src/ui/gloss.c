/*
 * The glossary overlay. Each term shows its English and Chinese names, the
 * lesson that first puts it to work, and a one-line explanation in the
 * session's language; '/' searches all four (type Chinese or English).
 *
 * Why the glossary is read at run time from lessons/GLOSSARY.md rather
 * than compiled in: that file is the one bilingual glossary the lesson
 * writers keep, next to the lessons whose wording it fixes. Reading it
 * means the screen can never disagree with it, and a term added there
 * shows up without touching C; an embedded copy of a hundred rows would
 * drift. The file is installed with the lessons (make install copies
 * their Markdown files too), so it is looked for where the lessons are:
 * the lessons directory first, then the directory of the open script. If
 * neither has it, the overlay says so in one line and the rest of the lab
 * is unaffected.
 *
 * The format read is the file's own: "## English / 中文" section titles and
 * table rows "| English | 中文 | Explanation [lesson] | 说明 |". The header
 * and rule rows of each table are skipped.
 */
#include "ui/gloss.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "util/xmalloc.h"

#define GLOSS_FILE "GLOSSARY.md"
#define GLOSS_INDENT 4 /* the explanation hangs under its term */

/* ---- reading the file --------------------------------------------------- */

/* A copy of the `len` bytes at `s` without surrounding blanks and
 * Markdown code marks. */
static char *
gloss_cell(const char *s, size_t len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '`')
			out[o++] = s[i];
	out[o] = '\0';
	return out;
}

/* Takes a closing "[12]" off `s` and returns 12; 0 when there is none. */
static int
gloss_lesson(char *s)
{
	size_t n = strlen(s), open;
	int v = 0;

	if (n < 3 || s[n - 1] != ']')
		return 0;
	open = n - 1;
	while (open > 0 && s[open - 1] >= '0' && s[open - 1] <= '9')
		open--;
	if (open == 0 || open == n - 1 || s[open - 1] != '[')
		return 0;
	for (size_t i = open; i < n - 1; i++)
		v = v * 10 + (s[i] - '0');
	open--;
	while (open > 0 && s[open - 1] == ' ')
		open--;
	s[open] = '\0';
	return v;
}

static struct gloss_item *
gloss_add(struct gloss *g)
{
	struct gloss_item *it;

	g->v = xgrow(g->v, &g->cap, g->n + 1, sizeof *g->v);
	it = &g->v[g->n++];
	memset(it, 0, sizeof *it);
	return it;
}

/* "## English / 中文": a section title. */
static void
gloss_title(struct gloss *g, const char *s)
{
	const char *sep = strstr(s, " / ");
	struct gloss_item *it = gloss_add(g);

	it->heading = 1;
	if (sep) {
		it->en = gloss_cell(s, (size_t)(sep - s));
		it->zh = gloss_cell(sep + 3, strlen(sep + 3));
	} else {
		it->en = gloss_cell(s, strlen(s));
		it->zh = xstrdup(it->en);
	}
}

/* "| a | b | c | d |": a term, unless it is a header or a rule. */
static void
gloss_row(struct gloss *g, const char *s)
{
	const char *cell[5];
	size_t len[5];
	int n = 0, lesson;
	struct gloss_item *it;

	s++; /* the leading '|' */
	while (n < 5 && *s) {
		const char *bar = strchr(s, '|');
		if (bar == NULL)
			break;
		cell[n] = s;
		len[n++] = (size_t)(bar - s);
		s = bar + 1;
	}
	if (n != 4)
		return;
	while (len[0] > 0 && *cell[0] == ' ') {
		cell[0]++;
		len[0]--;
	}
	if (len[0] == 0 || *cell[0] == '-' ||
	    (len[0] >= 7 && strncmp(cell[0], "English", 7) == 0))
		return;
	it = gloss_add(g);
	it->en = gloss_cell(cell[0], len[0]);
	it->zh = gloss_cell(cell[1], len[1]);
	it->say_en = gloss_cell(cell[2], len[2]);
	it->say_zh = gloss_cell(cell[3], len[3]);
	it->lesson = gloss_lesson(it->say_en);
	lesson = gloss_lesson(it->say_zh);
	if (it->lesson == 0)
		it->lesson = lesson;
	g->terms++;
}

/* Reads `dir`/GLOSSARY.md; 0, or -1 with errno set. */
static int
gloss_read(struct gloss *g, const char *dir)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	free(g->path);
	g->path = xasprintf("%s/%s", dir, GLOSS_FILE);
	f = fopen(g->path, "r");
	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) >= 0) {
		if (strncmp(line, "## ", 3) == 0)
			gloss_title(g, line + 3);
		else if (line[0] == '|')
			gloss_row(g, line);
	}
	free(line);
	fclose(f);
	return 0;
}

/* Drops titles that have no term under them. */
static void
gloss_prune(struct gloss *g)
{
	size_t o = 0;

	for (size_t i = 0; i < g->n; i++) {
		if (g->v[i].heading && (i + 1 == g->n || g->v[i + 1].heading)) {
			free(g->v[i].en);
			free(g->v[i].zh);
			continue;
		}
		g->v[o++] = g->v[i];
	}
	g->n = o;
}

int
gloss_load(struct gloss *g, const char *dir, const char *other)
{
	const char *dirs[2] = { dir, other };
	char *first = NULL;
	int err = ENOENT;

	g->loaded = 1;
	free(g->error);
	g->error = NULL;
	for (int i = 0; i < 2; i++) {
		if (dirs[i] == NULL || (i == 1 && dir &&
		    strcmp(dirs[0], dirs[1]) == 0))
			continue;
		if (gloss_read(g, dirs[i]) == 0) {
			free(first);
			gloss_prune(g);
			if (g->terms > 0)
				return 0;
			g->error = xasprintf(_("%s holds no glossary table."),
			    g->path);
			return -1;
		}
		if (first == NULL) {
			/* The lessons directory is the place to fix. */
			err = errno;
			first = xstrdup(g->path);
		}
	}
	g->error = xasprintf(_("No glossary: %s could not be read (%s). It "
	    "comes with the lessons; RABBITLAB_LESSONS names their "
	    "directory."), first ? first : GLOSS_FILE, strerror(err));
	free(first);
	return -1;
}

void
gloss_free(struct gloss *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].en);
		free(g->v[i].zh);
		free(g->v[i].say_en);
		free(g->v[i].say_zh);
	}
	free(g->v);
	free(g->path);
	free(g->error);
	memset(g, 0, sizeof *g);
}

/* ---- searching ---------------------------------------------------------- */

static int
gloss_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether `hay` holds `needle`, ignoring the case of ASCII letters. */
static int
gloss_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (hay == NULL)
		return 0;
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && gloss_lower((unsigned char)hay[i]) ==
		    gloss_lower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

static int
gloss_match(const struct gloss *g, const struct gloss_item *it)
{
	const char *f = g->filter;

	return *f == '\0' || gloss_contains(it->en, f) ||
	    gloss_contains(it->zh, f) || gloss_contains(it->say_en, f) ||
	    gloss_contains(it->say_zh, f);
}

/* Appends code point `cp` to the search, in UTF-8. */
static void
gloss_type(struct gloss *g, uint32_t cp)
{
	size_t n = strlen(g->filter);
	char u[4];
	size_t k;

	if (cp < 0x80) {
		u[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (n + k < sizeof g->filter) {
		memcpy(g->filter + n, u, k);
		g->filter[n + k] = '\0';
	}
}

/* Takes the last character off the search. */
static void
gloss_erase(struct gloss *g)
{
	size_t n = strlen(g->filter);

	while (n > 0 && ((unsigned char)g->filter[n - 1] & 0xc0) == 0x80)
		n--;
	if (n > 0)
		n--;
	g->filter[n] = '\0';
}

/* ---- drawing ------------------------------------------------------------ */

enum gloss_kind {
	GL_BLANK,  /* the empty line before a title */
	GL_TITLE,
	GL_TERM,   /* English name, Chinese name, lesson */
	GL_ZH,     /* the Chinese name on its own line, when both do not fit */
	GL_SAY,    /* a line of the explanation */
};

struct gloss_line {
	enum gloss_kind kind;
	const struct gloss_item *it;
	size_t off, len; /* GL_SAY: the part of the explanation */
};

struct gloss_lines {
	struct gloss_line *v;
	size_t n, cap;
	size_t shown;    /* terms that pass the search */
};

static void
gloss_line(struct gloss_lines *gl, enum gloss_kind kind,
    const struct gloss_item *it, size_t off, size_t len)
{
	gl->v = xgrow(gl->v, &gl->cap, gl->n + 1, sizeof *gl->v);
	gl->v[gl->n].kind = kind;
	gl->v[gl->n].it = it;
	gl->v[gl->n].off = off;
	gl->v[gl->n++].len = len;
}

static const char *
gloss_say(const struct gloss_item *it, const char *lang)
{
	return strcmp(lang, "zh") == 0 && it->say_zh && *it->say_zh ?
	    it->say_zh : it->say_en;
}

/* The lesson tag shown beside a term ("lesson 5"); "" when unknown. */
static const char *
gloss_tag(const struct gloss_item *it, char *buf, size_t len)
{
	buf[0] = '\0';
	if (it->lesson > 0)
		snprintf(buf, len, _("lesson %d"), it->lesson);
	return buf;
}

/* Whether the Chinese name is worth showing: it differs from the English. */
static int
gloss_has_zh(const struct gloss_item *it)
{
	return it->zh[0] && strcmp(it->zh, it->en) != 0;
}

/* Lays the terms that pass the search out as lines of width w. */
static void
gloss_layout(const struct gloss *g, struct gloss_lines *gl, int w,
    const char *lang)
{
	const struct gloss_item *title = NULL;
	char tag[48];

	gl->n = gl->shown = 0;
	for (size_t i = 0; i < g->n; i++) {
		const struct gloss_item *it = &g->v[i];
		const char *say;
		size_t off = 0, len, next;
		int need;

		if (it->heading) {
			title = it;
			continue;
		}
		if (!gloss_match(g, it))
			continue;
		if (title) {
			if (gl->n > 0)
				gloss_line(gl, GL_BLANK, title, 0, 0);
			gloss_line(gl, GL_TITLE, title, 0, 0);
			title = NULL;
		}
		gl->shown++;
		gloss_line(gl, GL_TERM, it, 0, 0);
		need = text_width(it->en) + 2 + text_width(it->zh) + 2 +
		    text_width(gloss_tag(it, tag, sizeof tag));
		if (gloss_has_zh(it) && need > w)
			gloss_line(gl, GL_ZH, it, 0, 0);
		say = gloss_say(it, lang);
		len = strlen(say);
		while (off < len) {
			size_t n = text_wrap(say + off, w - GLOSS_INDENT,
			    &next);
			gloss_line(gl, GL_SAY, it, off, n);
			off += next ? next : 1;
		}
	}
}

/* The number at the start of the lesson's id ("05-confirms": 5), or 0. */
static int
gloss_this_lesson(const struct lab *lab)
{
	return lab->mode == SESSION_LESSON ? atoi(lab->script->id) : 0;
}

static void
gloss_draw_line(const struct gloss_line *l, int y, int x, int w,
    const char *lang, int here)
{
	const struct gloss_item *it = l->it;
	const char *first, *other;
	char tag[48];
	int used, tw, zh = strcmp(lang, "zh") == 0;

	switch (l->kind) {
	case GL_BLANK:
		break;
	case GL_TITLE:
		/* A Chinese screen reads the Chinese half of the title only. */
		if (zh)
			draw_text(y, x, w, it->zh[0] ? it->zh : it->en,
			    DRAW_HEAD);
		else
			draw_printf(y, x, w, DRAW_HEAD, "%s / %s", it->en,
			    it->zh);
		break;
	case GL_TERM:
		/* The screen's language first; the other name is the
		 * original (zh: the English term, as in Chinese material). */
		gloss_tag(it, tag, sizeof tag);
		tw = text_width(tag);
		first = zh && gloss_has_zh(it) ? it->zh : it->en;
		other = zh ? it->en : it->zh;
		used = draw_text(y, x, w, first, zh ? DRAW_ON : DRAW_VALUE);
		if (gloss_has_zh(it) && used + 2 + text_width(other) + 2 +
		    tw <= w)
			used += 2 + draw_text(y, x + used + 2, w - used - 2,
			    other, zh ? DRAW_DIM : DRAW_ON);
		if (tw > 0 && used + 2 + tw <= w)
			draw_text(y, x + w - tw, tw, tag,
			    it->lesson == here ? DRAW_KEY : DRAW_DIM);
		break;
	case GL_ZH:
		draw_text(y, x + 2, w - 2, zh ? it->en : it->zh,
		    zh ? DRAW_DIM : DRAW_ON);
		break;
	case GL_SAY:
		draw_text_n(y, x + GLOSS_INDENT, w - GLOSS_INDENT,
		    gloss_say(it, lang) + l->off, l->len, DRAW_NORMAL);
		break;
	}
}

static void
gloss_draw(struct pane *p, struct lab *lab)
{
	static struct gloss_lines gl;
	struct gloss *g = &lab->gloss;
	const char *lang = lab->o.lang;
	int x = p->x + 2, w = p->w - 4, y0 = p->y + 1, rows = p->h - 3;
	int n, foot = p->y + p->h - 2;
	char title[160];

	for (int r = p->y; r < p->y + p->h; r++)
		draw_blank(r, p->x, p->w, DRAW_OVERLAY);
	snprintf(title, sizeof title, " %s ",
	    _("Glossary: English and Chinese (Esc closes, / searches)"));
	draw_box(p->y, p->x, p->h, p->w, title, DRAW_BORDER);
	if (g->error) {
		draw_wrap(y0, x, w, rows, 0, g->error, DRAW_WARN);
		return;
	}
	gloss_layout(g, &gl, w, lang);
	n = (int)gl.n;
	if (p->scroll > n - rows)
		p->scroll = n - rows;
	if (p->scroll < 0)
		p->scroll = 0;
	for (int i = p->scroll, y = y0; i < n && y < y0 + rows; i++, y++)
		gloss_draw_line(&gl.v[i], y, x, w, lang,
		    gloss_this_lesson(lab));
	if (n == 0)
		draw_printf(y0, x, w, DRAW_WARN, _("No term contains \"%s\"."),
		    g->filter);
	if (g->typing)
		draw_printf(foot, x, w, DRAW_KEY, _("Search: %s_  (Enter keeps "
		    "it, Esc clears it)"), g->filter);
	else if (g->filter[0])
		draw_printf(foot, x, w, DRAW_DIM, _("\"%s\": %zu of %zu terms, "
		    "lines %d-%d of %d; / searches again"), g->filter,
		    gl.shown, g->terms, n ? p->scroll + 1 : 0,
		    p->scroll + rows < n ? p->scroll + rows : n, n);
	else
		draw_printf(foot, x, w, DRAW_DIM, _("%zu terms, lines %d-%d of "
		    "%d"), g->terms, n ? p->scroll + 1 : 0,
		    p->scroll + rows < n ? p->scroll + rows : n, n);
}

/* Keys while the search is being typed: all of them go to it. */
static int
gloss_typing_key(struct pane *p, struct gloss *g, int key)
{
	if (key == '\n' || key == KEY_ENTER)
		g->typing = 0;
	else if (key == 27) {
		g->typing = 0;
		g->filter[0] = '\0';
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8)
		gloss_erase(g);
	else if ((key >= 32 && key < 127) || (key >= 0xa0 &&
	    (key < KEY_MIN || key > KEY_MAX) && key <= 0x10ffff))
		gloss_type(g, (uint32_t)key);
	else
		return PANE_HANDLED;
	p->scroll = 0;
	return PANE_HANDLED | PANE_REDRAW;
}

static int
gloss_key(struct pane *p, struct lab *lab, int key)
{
	struct gloss *g = &lab->gloss;
	int page = p->h > 6 ? p->h - 5 : 1;

	switch (key) {
	case KEY_UP:
		if (p->scroll > 0)
			p->scroll--;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_DOWN:
		p->scroll++;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_PPAGE:
		p->scroll = p->scroll > page ? p->scroll - page : 0;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_NPAGE:
		p->scroll += page;
		return PANE_HANDLED | PANE_REDRAW;
	default:
		break;
	}
	if (g->typing)
		return gloss_typing_key(p, g, key);
	switch (key) {
	case ' ':
		p->scroll += page;
		break;
	case KEY_HOME:
		p->scroll = 0;
		break;
	case KEY_END:
		p->scroll = 1 << 20;
		break;
	case '/':
		g->typing = 1;
		g->filter[0] = '\0';
		p->scroll = 0;
		break;
	case 'V':
	case 27:
	case 'q':
		lab->overlay = LAB_OV_NONE;
		break;
	default:
		/* Every other key works as usual under the overlay. */
		return 0;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_ops gloss_ops = { "glossary", gloss_draw, gloss_key };
