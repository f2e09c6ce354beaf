/*
 * Recording the screen as an asciicast (`--cast FILE`). A cast is a curses
 * screen of its own, for TERM=xterm-256color at a size of its own, that
 * writes into a temporary file instead of a terminal; after each frame the
 * bytes curses wrote become one timed event of the cast file
 * (ui/castfile.h). It never touches the caller's terminal, and needs none.
 */
#ifndef RL_CAST_H
#define RL_CAST_H

#include <stdint.h>

struct cast;

#define CAST_TERM "xterm-256color"

/*
 * Opens the cast file `path` for a `cols` x `rows` screen (the header
 * carries `title`, may be NULL, and `timestamp`, 0 for none) and starts its
 * curses screen, colours as draw_init(no_color, ascii) sets them. The
 * screen that was current stays current, and drawing keeps its colour
 * depth. Returns NULL with *cause (caller frees) when the file cannot be
 * written or curses knows no CAST_TERM.
 */
struct cast *cast_open(const char *path, int cols, int rows,
    const char *title, int64_t timestamp, int no_color, int ascii,
    char **cause);

/*
 * One frame at `ms` milliseconds into the cast: makes the cast's screen
 * current (LINES and COLS its size), calls draw(ctx) to lay out and draw
 * everything on stdscr, refreshes, and adds what curses wrote to the file.
 * Afterwards the screen that was current is current again, with its own
 * LINES, COLS and colour depth: the caller lays its panes out for it anew.
 */
void cast_frame(struct cast *c, int64_t ms, void (*draw)(void *ctx),
    void *ctx);

/*
 * Ends the cast's curses screen (what it writes on the way out is not in
 * the cast: the last frame stays the last picture), closes the file and
 * frees `c` (NULL is ignored). Returns 0, or -1 with *cause (caller frees;
 * none when `cause` is NULL) when writing the file failed.
 */
int cast_close(struct cast *c, char **cause);

#endif
