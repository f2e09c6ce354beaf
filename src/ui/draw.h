/*
 * Drawing helpers over curses: the colour table, text clipped to columns,
 * boxes and lines that fall back to ASCII, and the click map that turns a
 * mouse click back into the key of whatever was drawn there.
 */
#ifndef RL_DRAW_H
#define RL_DRAW_H

#include <curses.h>
#include <stdint.h>

/*
 * Colour roles: id, 8-colour foreground and background, extra attribute
 * with colours, 256-colour foreground, attribute without colour. -1 is the
 * terminal's default colour.
 */
#define DRAW_ROLES(X)                                                          \
	X(NORMAL, -1, -1, 0, -1, 0)                                            \
	X(DIM, -1, -1, A_DIM, 245, A_DIM)                                      \
	X(TITLE, COLOR_BLACK, COLOR_CYAN, 0, -1, A_REVERSE)                    \
	X(BORDER, COLOR_BLUE, -1, 0, 67, 0)                                    \
	X(HEAD, COLOR_CYAN, -1, A_BOLD, 81, A_BOLD)                            \
	X(KEY, COLOR_YELLOW, -1, A_BOLD, 220, A_BOLD | A_UNDERLINE)            \
	X(VALUE, -1, -1, A_BOLD, -1, A_BOLD)                                   \
	X(ON, COLOR_GREEN, -1, A_BOLD, 114, A_BOLD)                            \
	X(OFF, -1, -1, A_DIM, 245, 0)                                          \
	X(GOOD, COLOR_GREEN, -1, A_BOLD, 114, A_BOLD)                          \
	X(WARN, COLOR_YELLOW, -1, A_BOLD, 214, A_BOLD)                         \
	X(BAD, COLOR_RED, -1, A_BOLD, 203, A_BOLD | A_REVERSE)                 \
	X(ARROW, COLOR_CYAN, -1, 0, 75, 0)                                     \
	X(TK_PERSISTENT, COLOR_GREEN, -1, A_BOLD, 114, A_BOLD)                 \
	X(TK_TRANSIENT, COLOR_YELLOW, -1, 0, 222, 0)                           \
	X(TK_REDELIVERED, COLOR_MAGENTA, -1, A_BOLD, 177, A_UNDERLINE)         \
	X(TK_DEAD, COLOR_CYAN, -1, A_BOLD, 51, A_BOLD | A_UNDERLINE)           \
	X(TK_DUPLICATE, COLOR_MAGENTA, -1, A_BOLD | A_REVERSE, 201, A_REVERSE) \
	X(TK_LOST, COLOR_RED, -1, A_BOLD, 196, A_BOLD | A_REVERSE)             \
	X(SELECTED, COLOR_BLACK, COLOR_YELLOW, A_BOLD, -1, A_REVERSE | A_BOLD) \
	X(FOOTER, -1, -1, 0, -1, 0)                                            \
	X(OVERLAY, -1, -1, 0, -1, 0)                                           \
	X(SAY, -1, -1, 0, -1, 0)                                               \
	X(ASK, COLOR_YELLOW, -1, A_BOLD, 222, A_BOLD)                          \
	X(STATUS, COLOR_BLACK, COLOR_YELLOW, 0, -1, A_REVERSE)                 \
	X(STATUS_BAD, COLOR_WHITE, COLOR_RED, A_BOLD, -1, A_REVERSE | A_BOLD)

enum draw_role {
#define DRAW_ROLE_ENUM(id, fg, bg, attr, fg256, mono) DRAW_##id,
	DRAW_ROLES(DRAW_ROLE_ENUM)
#undef DRAW_ROLE_ENUM
	DRAW_ROLE_COUNT
};

/* How the terminal shows colour. */
enum draw_depth {
	DRAW_MONO,   /* no colour: NO_COLOR, or a monochrome terminal */
	DRAW_8,      /* the 8 ANSI colours */
	DRAW_256,    /* 256 colours */
};

/*
 * Sets up colours after curses started: none when `no_color` (NO_COLOR is
 * set) or the terminal has none; `ascii` draws lines with + - | instead of
 * the line-drawing set (non-UTF-8 locales). Returns the depth chosen.
 */
enum draw_depth draw_init(int no_color, int ascii);
enum draw_depth draw_depth(void);
int draw_ascii(void);
/*
 * Makes `d` the depth drawing uses and returns the one it replaces: for
 * switching between two curses screens that draw_init set up each (the
 * terminal and a cast, ui/cast.h), whose colour pairs are per screen.
 */
enum draw_depth draw_use_depth(enum draw_depth d);

/* The attributes for a role. */
attr_t draw_attr(enum draw_role role);

/*
 * Writes `s` at (y, x) in at most `w` columns with role `role`, never
 * splitting a character; a character that would straddle the edge is left
 * out. Returns the columns written. Nothing is written when w <= 0.
 */
int draw_text(int y, int x, int w, const char *s, enum draw_role role);
/* The same for the first `len` bytes of `s`. */
int draw_text_n(int y, int x, int w, const char *s, size_t len,
    enum draw_role role);
/*
 * Writes `s` (a title) in at most w columns: when it is wider, it is cut
 * after a whole word (or a whole Chinese character) and ends in "...",
 * never in the middle of a word. Returns the columns written.
 */
int draw_words(int y, int x, int w, const char *s, enum draw_role role);
/* printf into the screen, clipped like draw_text. */
int draw_printf(int y, int x, int w, enum draw_role role, const char *fmt,
    ...) __attribute__((format(printf, 5, 6)));
/*
 * Writes the name `s` (a queue, an exchange) in at most w columns: when it
 * is wider, its middle gives way to DRAW_ELIDE (ui/text.h text_elide) rather
 * than its end, so names that differ only at the end stay apart. Returns
 * the columns written.
 */
int draw_name(int y, int x, int w, const char *s, enum draw_role role);
/*
 * The mark of a name shortened in its middle. Two dots: '~' is the
 * legend's "transient", and U+2026 is two columns wide in terminals that
 * draw ambiguous characters wide, as many set up for Chinese do.
 */
#define DRAW_ELIDE ".."
/* Fills w columns with spaces in role `role`. */
void draw_blank(int y, int x, int w, enum draw_role role);

/*
 * Draws `s` word-wrapped at `w` columns (ui/text.h rules), skipping its
 * first `skip` lines and drawing at most `rows`. Returns the lines drawn.
 */
int draw_wrap(int y, int x, int w, int rows, int skip, const char *s,
    enum draw_role role);

/* Lines and boxes; ASCII when draw_ascii(). */
void draw_hline(int y, int x, int w, enum draw_role role);
void draw_vline(int y, int x, int h, enum draw_role role);
/* The corner where a line turns, named by where it comes from and goes. */
enum draw_turn {
	DRAW_TURN_DOWN_FROM_LEFT,   /* ┐ */
	DRAW_TURN_UP_FROM_LEFT,     /* ┘ */
	DRAW_TURN_RIGHT_FROM_ABOVE, /* └ */
	DRAW_TURN_RIGHT_FROM_BELOW, /* ┌ */
	DRAW_TURN_DOWN_BRANCH,      /* ┬: a line goes on right, one turns down */
	DRAW_TURN_UP_BRANCH,        /* ┴: a line goes on right, one turns up */
};
/* Draws that corner at (y, x); off screen, nothing. */
void draw_turn(int y, int x, enum draw_turn turn, enum draw_role role);
/* A box h rows by w columns; `title` (may be NULL) sits on the top edge. */
void draw_box(int y, int x, int h, int w, const char *title,
    enum draw_role role);
/* A right-pointing arrow w columns long ("--->"). */
void draw_arrow(int y, int x, int w, enum draw_role role);

/*
 * The click map. Drawing code registers each clickable area with the key a
 * click stands for, or with a message id (msg > 0) for tokens; the map is
 * cleared before each full redraw.
 */
void draw_click_clear(void);
void draw_click_add(int y, int x, int w, int key, uint32_t msg);
/* The area under (y, x): returns 1 and fills *key and *msg, or 0. */
int draw_click_find(int y, int x, int *key, uint32_t *msg);

#endif
