/*
 * A cast's curses screen (see cast.h). ncurses writes its output with
 * write(2) on the output stream's descriptor, so the stream is a temporary
 * file: after a frame's refresh the bytes from the start of the file are
 * read back, handed to the cast file with the frame's time, and the file
 * is emptied for the next frame. ncurses does not restore LINES and COLS
 * on set_term, and the colour depth lives in draw.c, so a frame saves and
 * restores both around its drawing.
 */
#include "ui/cast.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/castfile.h"
#include "ui/draw.h"
#include "util/xmalloc.h"

struct cast {
	SCREEN *scr;
	FILE *out;               /* what curses writes to: a temporary file */
	FILE *in;                /* /dev/null: a cast reads no keys */
	int cols, rows;
	enum draw_depth depth;   /* the cast screen's colours */
	struct castfile *cf;
};

/*
 * A temporary file on a descriptor above 2: ncurses treats a descriptor 1
 * that is not a terminal as a reason to use 2, the caller's terminal.
 */
static FILE *
cast_tmpfile(void)
{
	FILE *f = tmpfile();
	int fd;

	if (f == NULL || fileno(f) > 2)
		return f;
	fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
	fclose(f);
	return fd < 0 ? NULL : fdopen(fd, "w+");
}

struct cast *
cast_open(const char *path, int cols, int rows, const char *title,
    int64_t timestamp, int no_color, int ascii, char **cause)
{
	struct cast *c = xcalloc(1, sizeof *c);
	SCREEN *prev;
	enum draw_depth depth = draw_depth();
	int lines = LINES, columns = COLS;

	c->cols = cols;
	c->rows = rows;
	c->cf = castfile_open(path, cols, rows, title, CAST_TERM, timestamp,
	    cause);
	if (c->cf == NULL) {
		free(c);
		return NULL;
	}
	c->out = cast_tmpfile();
	c->in = fopen("/dev/null", "r");
	if (c->out == NULL || c->in == NULL) {
		*cause = xasprintf("%s: no temporary file for the screen (%s)",
		    path, strerror(errno));
		goto fail;
	}
	/* Lines as Unicode box characters, not the ACS alternate set. */
	if (!ascii)
		setenv("NCURSES_NO_UTF8_ACS", "1", 0);
	prev = set_term(NULL);
	c->scr = newterm(CAST_TERM, c->out, c->in);
	if (c->scr == NULL) {
		if (prev)
			set_term(prev);
		*cause = xasprintf("%s: curses does not know the terminal %s "
		    "(the ncurses-base package has it)", path, CAST_TERM);
		goto fail;
	}
	resize_term(rows, cols);
	curs_set(0);
	c->depth = draw_init(no_color, ascii);
	draw_use_depth(depth);
	if (prev) {
		set_term(prev);
		LINES = lines;
		COLS = columns;
	}
	return c;
fail:
	if (c->out)
		fclose(c->out);
	if (c->in)
		fclose(c->in);
	castfile_close(c->cf, NULL);
	free(c);
	return NULL;
}

/* Hands what curses wrote since the last frame to the cast file. */
static void
cast_drain(struct cast *c, int64_t ms)
{
	int fd = fileno(c->out);
	char buf[16384];
	off_t at = 0;
	ssize_t n;

	fflush(c->out);
	while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
		castfile_output(c->cf, ms, buf, (size_t)n);
		at += n;
	}
	if (ftruncate(fd, 0) == 0)
		lseek(fd, 0, SEEK_SET);
}

void
cast_frame(struct cast *c, int64_t ms, void (*draw)(void *ctx), void *ctx)
{
	int lines = LINES, columns = COLS;
	SCREEN *prev = set_term(c->scr);
	enum draw_depth depth = draw_use_depth(c->depth);

	LINES = c->rows;
	COLS = c->cols;
	draw(ctx);
	refresh();
	cast_drain(c, ms);
	draw_use_depth(depth);
	if (prev && prev != c->scr) {
		set_term(prev);
		LINES = lines;
		COLS = columns;
	}
}

int
cast_close(struct cast *c, char **cause)
{
	SCREEN *prev;
	int rc;

	if (c == NULL)
		return 0;
	prev = set_term(c->scr);
	endwin();
	set_term(prev && prev != c->scr ? prev : NULL);
	delscreen(c->scr);
	fclose(c->out);
	fclose(c->in);
	rc = castfile_close(c->cf, cause);
	free(c);
	return rc;
}
