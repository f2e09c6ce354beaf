/*
 * The help overlay: every key of the key table, grouped as commands,
 * toggles (with their values now) and failures, then the token marks. It is
 * generated from the table, so it cannot fall behind it. Rows are
 * clickable like the panes: clicking a toggle's row steps the toggle.
 */
#include "ui/help.h"

#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/words.h"
#include "ui/text.h"
#include "ui/watchview.h"

#define HELP_MAX_ROWS 400

struct help_row {
	char keys[24];        /* "space PgDn" */
	char name[48];        /* toggle or failure name, value */
	const char *desc;     /* translated, borrowed */
	size_t off, len;      /* the part of desc on this row */
	enum draw_role role;
	int key;              /* click: this key; 0 none */
	int heading;
	int named;            /* has a name column */
};

struct help_rows {
	struct help_row r[HELP_MAX_ROWS];
	int n;
};

static struct help_row *
help_row(struct help_rows *hr)
{
	struct help_row *r;

	if (hr->n == HELP_MAX_ROWS)
		return NULL;
	r = &hr->r[hr->n++];
	memset(r, 0, sizeof *r);
	return r;
}

static void
help_heading(struct help_rows *hr, const char *text)
{
	struct help_row *r;

	if (hr->n > 0 && (r = help_row(hr)) != NULL)
		r->desc = "";
	if ((r = help_row(hr)) == NULL)
		return;
	r->desc = text;
	r->len = strlen(text);
	r->heading = 1;
	r->role = DRAW_HEAD;
}

#define HELP_KEYW 11  /* the keys column of commands */
#define HELP_KEYW2 4  /* the key column of toggles and failures */
#define HELP_NAMEW 26 /* their name=value column */

/* Where the description starts in a row. */
static int
help_desc_x(int named)
{
	return named ? HELP_KEYW2 + HELP_NAMEW : HELP_KEYW;
}

/* Adds an entry, its description wrapped to what is left of `colw`. */
static void
help_entry(struct help_rows *hr, const char *keys, const char *name,
    const char *desc, int key, int colw)
{
	size_t off = 0, len = strlen(desc);
	int first = 1, named = *name != '\0';
	int dw = colw - help_desc_x(named);

	do {
		struct help_row *r = help_row(hr);
		size_t next, n = text_wrap(desc + off, dw, &next);
		if (r == NULL)
			return;
		if (first) {
			snprintf(r->keys, sizeof r->keys, "%s", keys);
			snprintf(r->name, sizeof r->name, "%s", name);
			r->key = key;
		}
		r->named = named;
		r->desc = desc;
		r->off = off;
		r->len = n;
		r->role = DRAW_NORMAL;
		first = 0;
		off += next ? next : 1;
	} while (off < len);
}

/* All the keys bound to the command of row i, joined: "space PgDn". */
static void
help_keys_of(const struct keys_def *t, size_t n, int id, char *buf,
    size_t len)
{
	size_t o = 0;
	char name[16];
	int answers = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && o < len; i++) {
		if (t[i].kind != KEYS_COMMAND || t[i].id != id)
			continue;
		if (id == CMD_ANSWER) {
			if (answers++ == 0)
				o += (size_t)snprintf(buf + o, len - o, "1-6");
			continue;
		}
		keys_name(t[i].key, name, sizeof name);
		if (o && strstr(buf, name))
			continue; /* Enter and keypad Enter */
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "",
		    name);
	}
}

static void
help_build(struct help_rows *hr, struct lab *lab, int colw)
{
	size_t n;
	const struct keys_def *t = keys_table(&n);
	char keys[32], name[48], v[32];
	int seen[CMD_COUNT] = { 0 };
	/* Watching an application: only the keys that act on it, and its
	 * settings are read, not toggled (watchview.h). */
	int watched = session_watched(lab->ss);
	static const char *const marks[][2] = {
		{ "#12", N_("a persistent message (delivery mode 2)") },
		{ "~12", N_("a transient message (delivery mode 1)") },
		{ "@12", N_("redelivered: it was delivered before") },
		{ "x12", N_("dead-lettered, or parked in an error queue") },
		{ "=12", N_("processed more than once (a duplicate)") },
		{ "\xe2\x80\xa6", N_("at the end of the lesson pane's "
		    "title: lines left out for want of room (a larger "
		    "window shows them)") },
		{ DRAW_ELIDE, N_("in a name, or in the event log's time "
		    "column: part of it left out for want of room") },
	};

	/* The rule first: it holds for every key below (keys.h keys_obeys_rule). */
	help_heading(hr, _("The rule"));
	if (watched)
		help_entry(hr, "a-z", "", _("your application's settings are "
		    "shown as its frames set them; the lab cannot switch them. "
		    "e shows them as Spring Boot properties, with what would "
		    "have saved each lost message"), 0, colw);
	else
		help_entry(hr, "a-z", "", _("a toggle: flips it or steps its "
		    "value (q, quit, is the one exception)"), 0, colw);
	{
		/* The commands as the rule (keys.h) has them, spaced;
		   static, as the help rows keep a pointer to their text. */
		static char line[160];
		char cmds[2 * sizeof KEYS_CAPITAL_COMMANDS];
		size_t c = 0;
		for (const char *p = KEYS_CAPITAL_COMMANDS; *p; p++) {
			cmds[c++] = *p;
			cmds[c++] = p[1] ? ' ' : '\0';
		}
		cmds[c] = '\0';
		snprintf(line, sizeof line, _("a failure, except the commands "
		    "%s"), cmds);
		help_entry(hr, "A-Z", "", watched ? _("a failure on your "
		    "application's traffic (the list below); B starts the "
		    "broker again") : line, 0, colw);
	}
	if (!watched)
		help_entry(hr, "=", "", _("types a number for a toggle that "
		    "takes one: = y 30 Enter sets producer attempts to 30"), 0,
		    colw);
	help_heading(hr, _("Commands"));
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind != KEYS_COMMAND || seen[t[i].id] ||
		    (watched && !watchview_key_acts(&t[i])))
			continue;
		seen[t[i].id] = 1;
		help_keys_of(t, n, t[i].id, keys, sizeof keys);
		help_entry(hr, keys, "", keys_help(&t[i]), t[i].key, colw);
	}
	if (!watched)
		help_heading(hr, _("Toggles (the key steps through the values; "
		    "= then the key types a number)"));
	for (size_t i = 0; i < n && !watched; i++) {
		enum toggle_id id = (enum toggle_id)t[i].id;
		if (t[i].kind != KEYS_TOGGLE)
			continue;
		keys_name(t[i].key, keys, sizeof keys);
		snprintf(name, sizeof name, "%s=%s", words_toggle(id),
		    keys_value(id, session_get_toggle(lab->ss, id), v,
			sizeof v));
		help_entry(hr, keys, name, keys_help(&t[i]), t[i].key, colw);
	}
	help_heading(hr, _("Failures"));
	for (size_t i = 0; i < n; i++) {
		if (t[i].kind != KEYS_FAILURE ||
		    (watched && !watchview_key_acts(&t[i])))
			continue;
		keys_name(t[i].key, keys, sizeof keys);
		help_entry(hr, keys,
		    words_failure((enum failure_kind)t[i].id), watched ?
		    watchview_key_help(&t[i]) : keys_help(&t[i]), t[i].key,
		    colw);
	}
	help_heading(hr, _("Message tokens"));
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		help_entry(hr, marks[i][0], "", _(marks[i][1]), 0, colw);
}

static void
help_draw_rows(const struct help_rows *hr, int from, int to, int y, int x,
    int w)
{
	for (int i = from; i < to; i++, y++) {
		const struct help_row *r = &hr->r[i];
		int dx = x + help_desc_x(r->named);

		if (r->heading) {
			draw_text(y, x, w, r->desc, DRAW_HEAD);
			continue;
		}
		draw_text(y, x, dx - x - 1, r->keys, DRAW_KEY);
		if (r->named)
			draw_text(y, x + HELP_KEYW2, HELP_NAMEW - 1, r->name,
			    DRAW_VALUE);
		draw_text_n(y, dx, w - (dx - x), r->desc + r->off, r->len,
		    r->role);
		if (r->key)
			draw_click_add(y, x, w, r->key, 0);
	}
}

static void
help_draw(struct pane *p, struct lab *lab)
{
	static struct help_rows hr;
	int inner = p->w - 4, rows = p->h - 3, two = p->w >= 150;
	int colw = two ? (inner - 2) / 2 : inner;
	char title[128];

	hr.n = 0;
	help_build(&hr, lab, colw);
	if (two && hr.n > rows * 2) {
		/* Two columns would not hold it all: one, scrolled. */
		two = 0;
		colw = inner;
		hr.n = 0;
		help_build(&hr, lab, colw);
	}
	for (int y = p->y; y < p->y + p->h; y++)
		draw_blank(y, p->x, p->w, DRAW_OVERLAY);
	snprintf(title, sizeof title, " %s ",
	    _("Help: every key (Esc or ? closes, arrows scroll)"));
	draw_box(p->y, p->x, p->h, p->w, title, DRAW_BORDER);
	if (two) {
		/* Two columns, split at a heading near the middle. */
		int split = hr.n / 2;
		while (split < hr.n && !hr.r[split].heading)
			split++;
		if (split > rows)
			split = rows;
		/* Never split an entry from the rest of its description. */
		while (split > 0 && !hr.r[split].heading &&
		    hr.r[split].keys[0] == '\0' && hr.r[split].desc[0])
			split--;
		help_draw_rows(&hr, 0, split, p->y + 1, p->x + 2, colw);
		help_draw_rows(&hr, split, hr.n < split + rows ? hr.n :
		    split + rows, p->y + 1, p->x + 4 + colw, colw);
		p->scroll = 0;
	} else {
		if (p->scroll > hr.n - rows)
			p->scroll = hr.n - rows > 0 ? hr.n - rows : 0;
		help_draw_rows(&hr, p->scroll, hr.n < p->scroll + rows ? hr.n :
		    p->scroll + rows, p->y + 1, p->x + 2, colw);
		if (hr.n > rows)
			draw_printf(p->y + p->h - 2, p->x + 2, inner, DRAW_DIM,
			    _("lines %d-%d of %d"), p->scroll + 1,
			    p->scroll + rows < hr.n ? p->scroll + rows : hr.n,
			    hr.n);
	}
}

static int
help_key(struct pane *p, struct lab *lab, int key)
{
	int page = p->h > 6 ? p->h - 5 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (p->scroll > 0)
			p->scroll--;
		break;
	case KEY_DOWN:
	case 'j':
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
		break;
	case KEY_END:
		p->scroll = 1 << 20;
		break;
	case '?':
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

const struct pane_ops help_ops = { "help", help_draw, help_key };
