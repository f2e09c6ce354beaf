/*
 * Display width of UTF-8 text, for laying out English and Chinese alike:
 * measuring, clipping and word wrapping by terminal columns, never splitting
 * a character. No curses here, so it can be tested without a terminal.
 */
#ifndef RL_TEXT_H
#define RL_TEXT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at `s` (at most `len` bytes). Returns its length in
 * bytes (at least 1 while len > 0) and stores the code point in *cp; a
 * malformed byte decodes as itself, one byte long, code point 0xFFFD.
 */
size_t text_decode(const char *s, size_t len, uint32_t *cp);

/* Columns taken by code point `cp`: 0, 1 or 2 (unknowns count 1). */
int text_cp_width(uint32_t cp);

/* Columns taken by the first `len` bytes of `s`. */
int text_width_n(const char *s, size_t len);
/* Columns taken by `s`. */
int text_width(const char *s);

/*
 * How many bytes of `s` (at most `len`) fit in `cols` columns without
 * splitting a character; the columns they take go to *used (may be NULL).
 */
size_t text_fit(const char *s, size_t len, int cols, int *used);

/*
 * One line of a wrap of `s` at `cols` columns. Breaks after spaces in
 * Latin text and between wide (CJK) characters, keeps closing punctuation
 * (，。）… and friends) with the character before it, and breaks a word
 * longer than the line where it must. A '\n' ends a line.
 *
 * Returns the number of bytes to show for this line (trailing spaces
 * excluded) and sets *next to the offset where the next line starts;
 * *next == strlen(s) when the text is used up.
 */
size_t text_wrap(const char *s, int cols, size_t *next);

/*
 * What goes between a translated "Label:" and the first of its items: a
 * space after an ASCII colon, nothing after a full-width one (目标：).
 */
const char *text_after_label(const char *label);

/* Number of lines `s` takes when wrapped at `cols` columns (0 for ""). */
int text_wrap_lines(const char *s, int cols);

/*
 * A name (a queue, an exchange) fitted to `cols` columns for a label:
 * unchanged when it fits, else with its middle replaced by `mark` (one
 * column wide, such as "~"). Dotted names keep their first and last parts
 * whole when they can ("trade.pay.success" becomes "trade~success"), since
 * names of one lab often differ only at the end; others keep a third from
 * the head and the rest from the tail. The result, never wider than cols,
 * goes to `out` (outlen bytes); returns out.
 */
char *text_elide(const char *s, int cols, const char *mark, char *out,
    size_t outlen);

/*
 * Whether event text `s` begins by naming actor `who` as a whole word
 * ("consumer crashed m9" names "consumer"): then a pane leaves out its
 * actor column, which would say it twice.
 */
int text_names_actor(const char *s, const char *who);

/*
 * s into out (outlen bytes, always terminated, cut on a whole character),
 * with a space wherever a Han character and a Latin letter or digit meet
 * ("把mandatory设为" becomes "把 mandatory 设为"), as Chinese typesetting
 * spaces a Latin word. Returns out.
 */
char *text_space_mixed(const char *s, char *out, size_t outlen);
/*
 * The same for a timeline line "TIME ACTOR TEXT": removes ACTOR, in place,
 * when TEXT names it ("3.0 consumer consumer crashed" becomes "3.0
 * consumer crashed"). Words are split at single spaces.
 */
void text_undouble(char *s);

/*
 * Milliseconds a reader needs for `s`, counted in characters, not bytes:
 * 50 per narrow character (about 240 words a minute) and 150 per wide
 * (CJK) one (about 400 characters a minute).
 */
long text_read_ms(const char *s);

#endif
