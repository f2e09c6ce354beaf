/*
 * An asciicast v2 file (the format asciinema's player reads): a header
 * line, a JSON object with the terminal's size, then one JSON array per
 * line, [seconds, "o", text], for each piece of terminal output. This
 * module knows nothing about curses: it takes bytes and times.
 */
#ifndef RL_CASTFILE_H
#define RL_CASTFILE_H

#include <stddef.h>
#include <stdint.h>

struct castfile;

/*
 * Creates (or truncates) `path` and writes the header: version 2, `cols`
 * and `rows`, the title when not NULL, "env" with TERM=`term`, and the
 * Unix time `timestamp` when it is not 0 (a cast made at its own pace
 * leaves it out, so the same lesson gives the same file). Returns NULL
 * with *cause (caller frees) naming the file when it cannot be written.
 */
struct castfile *castfile_open(const char *path, int cols, int rows,
    const char *title, const char *term, int64_t timestamp, char **cause);

/*
 * Adds `len` bytes of terminal output at `ms` milliseconds since the cast
 * began. Times never go back in the file: an earlier `ms` is written as
 * the latest time so far. Each event holds whole UTF-8 characters: an
 * incomplete one at the end of `buf` waits for the next call, and a byte
 * that is not UTF-8 (or a NUL) is written as U+FFFD. Nothing is written
 * for output that is all held back.
 */
void castfile_output(struct castfile *cf, int64_t ms, const char *buf,
    size_t len);

/*
 * Writes what is still held (as U+FFFD), closes the file and frees `cf`
 * (NULL is ignored). Returns 0, or -1 with *cause (caller frees; none
 * when `cause` is NULL) when any write failed.
 */
int castfile_close(struct castfile *cf, char **cause);

#endif
