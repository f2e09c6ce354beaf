/*
 * Drawing helpers. All of the lab's text goes through draw_text, which
 * measures by display width (ui/text.h), replaces control characters and
 * never splits a wide character at a pane's edge, so Chinese and English
 * lay out alike. Colours come from one table of roles (draw.h) mapped to
 * 256 colours, 8 colours, or plain attributes when there is no colour.
 */
#include "ui/draw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ui/text.h"

static const struct {
	short fg, bg;
	attr_t attr;
	short fg256;
	attr_t mono;
} draw_roles[DRAW_ROLE_COUNT] = {
#define DRAW_ROLE_ROW(id, fg, bg, attr, fg256, mono)                           \
	[DRAW_##id] = { fg, bg, attr, fg256, mono },
	DRAW_ROLES(DRAW_ROLE_ROW)
#undef DRAW_ROLE_ROW
};

static enum draw_depth draw_mode = DRAW_MONO;
static int draw_plain;

struct draw_click {
	int y, x, w;
	int key;
	uint32_t msg;
};

static struct draw_click draw_clicks[512];
static size_t draw_nclicks;

enum draw_depth
draw_init(int no_color, int ascii)
{
	short deffg = -1, defbg = -1;

	draw_plain = ascii;
	draw_mode = DRAW_MONO;
	if (no_color || !has_colors() || start_color() != OK)
		return draw_mode;
	if (use_default_colors() != OK) {
		deffg = COLOR_WHITE;
		defbg = COLOR_BLACK;
	}
	draw_mode = COLORS >= 256 ? DRAW_256 : DRAW_8;
	for (int i = 1; i < DRAW_ROLE_COUNT && i < COLOR_PAIRS; i++) {
		short fg = draw_roles[i].fg, bg = draw_roles[i].bg;
		if (draw_mode == DRAW_256 && draw_roles[i].fg256 >= 0)
			fg = draw_roles[i].fg256;
		init_pair((short)i, fg < 0 ? deffg : fg, bg < 0 ? defbg : bg);
	}
	return draw_mode;
}

enum draw_depth
draw_depth(void)
{
	return draw_mode;
}

enum draw_depth
draw_use_depth(enum draw_depth d)
{
	enum draw_depth old = draw_mode;

	draw_mode = d;
	return old;
}

int
draw_ascii(void)
{
	return draw_plain;
}

attr_t
draw_attr(enum draw_role role)
{
	if (draw_mode == DRAW_MONO)
		return draw_roles[role].mono;
	if (role == DRAW_NORMAL)
		return A_NORMAL;
	return COLOR_PAIR(role) | draw_roles[role].attr;
}

int
draw_text_n(int y, int x, int w, const char *s, size_t len,
    enum draw_role role)
{
	char buf[1024];
	size_t n = 0, fit;
	int used;

	if (w <= 0 || y < 0 || x < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	for (size_t i = 0; i < len && s[i] && n < sizeof buf - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[n] = '\0';
	if (draw_plain) {
		/* No UTF-8: anything beyond ASCII shows as '?'. */
		size_t o = 0;
		for (size_t i = 0; i < n;) {
			uint32_t cp;
			size_t k = text_decode(buf + i, n - i, &cp);
			buf[o++] = cp < 0x80 ? (char)cp : '?';
			i += k;
		}
		buf[o] = '\0';
		n = o;
	}
	fit = text_fit(buf, n, w, &used);
	attrset(draw_attr(role));
	mvaddnstr(y, x, buf, (int)fit);
	attrset(A_NORMAL);
	return used;
}

int
draw_text(int y, int x, int w, const char *s, enum draw_role role)
{
	return draw_text_n(y, x, w, s, strlen(s), role);
}

int
draw_words(int y, int x, int w, const char *s, enum draw_role role)
{
	char buf[512];
	size_t n, next;

	if (text_width(s) <= w || w < 8)
		return draw_text(y, x, w, s, role);
	n = text_wrap(s, w - 3, &next);
	if (n >= sizeof buf - 4)
		n = sizeof buf - 4;
	/* A cut after "durable," or "交换机，" leaves the mark dangling. */
	while (n > 0 && strchr(" ,;:-", s[n - 1]))
		n--;
	while (n >= 3 && (memcmp(s + n - 3, "\xef\xbc\x8c", 3) == 0 ||
	    memcmp(s + n - 3, "\xef\xbc\x9a", 3) == 0 ||
	    memcmp(s + n - 3, "\xe3\x80\x81", 3) == 0))
		n -= 3; /* ，：、 */
	snprintf(buf, sizeof buf, "%.*s...", (int)n, s);
	return draw_text(y, x, w, buf, role);
}

int
draw_name(int y, int x, int w, const char *s, enum draw_role role)
{
	char buf[256];

	return draw_text(y, x, w, text_elide(s, w, DRAW_ELIDE, buf,
	    sizeof buf),
	    role);
}

int
draw_printf(int y, int x, int w, enum draw_role role, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(y, x, w, buf, role);
}

int
draw_wrap(int y, int x, int w, int rows, int skip, const char *s,
    enum draw_role role)
{
	size_t off = 0, len = strlen(s);
	int line = 0, drawn = 0;

	if (w <= 0)
		return 0;
	while (off < len && drawn < rows) {
		size_t next, n = text_wrap(s + off, w, &next);
		if (line++ >= skip)
			draw_text_n(y + drawn++, x, w, s + off, n, role);
		if (next == 0)
			next = 1;
		off += next;
	}
	return drawn;
}

void
draw_blank(int y, int x, int w, enum draw_role role)
{
	if (y < 0 || y >= LINES || x < 0 || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(draw_attr(role));
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void
draw_hline(int y, int x, int w, enum draw_role role)
{
	if (y < 0 || y >= LINES || x < 0 || w <= 0 || x >= COLS)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(draw_attr(role));
	mvhline(y, x, draw_plain ? '-' : ACS_HLINE, w);
	attrset(A_NORMAL);
}

void
draw_vline(int y, int x, int h, enum draw_role role)
{
	if (x < 0 || x >= COLS || y < 0 || h <= 0 || y >= LINES)
		return;
	if (y + h > LINES)
		h = LINES - y;
	attrset(draw_attr(role));
	mvvline(y, x, draw_plain ? '|' : ACS_VLINE, h);
	attrset(A_NORMAL);
}

static void
draw_corner(int y, int x, chtype acs, enum draw_role role)
{
	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	attrset(draw_attr(role));
	mvaddch(y, x, draw_plain ? '+' : acs);
	attrset(A_NORMAL);
}

void
draw_turn(int y, int x, enum draw_turn turn, enum draw_role role)
{
	static const chtype *const acs[] = { &ACS_URCORNER, &ACS_LRCORNER,
		&ACS_LLCORNER, &ACS_ULCORNER, &ACS_TTEE, &ACS_BTEE };

	draw_corner(y, x, *acs[turn], role);
}

void
draw_box(int y, int x, int h, int w, const char *title, enum draw_role role)
{
	if (h < 2 || w < 2)
		return;
	draw_hline(y, x + 1, w - 2, role);
	draw_hline(y + h - 1, x + 1, w - 2, role);
	draw_vline(y + 1, x, h - 2, role);
	draw_vline(y + 1, x + w - 1, h - 2, role);
	draw_corner(y, x, ACS_ULCORNER, role);
	draw_corner(y, x + w - 1, ACS_URCORNER, role);
	draw_corner(y + h - 1, x, ACS_LLCORNER, role);
	draw_corner(y + h - 1, x + w - 1, ACS_LRCORNER, role);
	/* The title after "┌─", or right after the corner when only that
	 * keeps it whole (" Exchange " in a 13-column box). */
	if (title && *title && w > 4) {
		int at = text_width(title) > w - 4 ? 1 : 2;
		draw_text(y, x + at, w - 2 - at, title, DRAW_HEAD);
	}
}

void
draw_arrow(int y, int x, int w, enum draw_role role)
{
	if (w <= 0)
		return;
	draw_hline(y, x, w - 1, role);
	draw_text(y, x + w - 1, 1, ">", role);
}

void
draw_click_clear(void)
{
	draw_nclicks = 0;
}

void
draw_click_add(int y, int x, int w, int key, uint32_t msg)
{
	if (w <= 0 || draw_nclicks == sizeof draw_clicks / sizeof draw_clicks[0])
		return;
	draw_clicks[draw_nclicks++] = (struct draw_click){ y, x, w, key, msg };
}

int
draw_click_find(int y, int x, int *key, uint32_t *msg)
{
	/* Later areas are drawn on top (overlays): search from the end. */
	for (size_t i = draw_nclicks; i-- > 0;) {
		const struct draw_click *c = &draw_clicks[i];
		if (c->y == y && x >= c->x && x < c->x + c->w) {
			*key = c->key;
			*msg = c->msg;
			return 1;
		}
	}
	return 0;
}
