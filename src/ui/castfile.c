/*
 * The asciicast v2 writer behind `--cast` (ui/cast.h feeds it what curses
 * wrote). JSON strings are escaped by the event module's writer, the one
 * the transcripts use; what this module adds is keeping every event valid
 * UTF-8 on its own: a character split between two writes is carried over
 * to the next event, and stray bytes become U+FFFD, so a player that
 * decodes each event by itself never sees half a Chinese character.
 */
#include "ui/castfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/event.h"
#include "ui/text.h"
#include "util/xmalloc.h"

#define CASTFILE_HOLD 4 /* the longest UTF-8 character */

struct castfile {
	FILE *f;
	char *path;                       /* for messages */
	int64_t last_ms;                  /* the latest time written */
	char hold[CASTFILE_HOLD];         /* an unfinished character */
	size_t nhold;
	char *text;                       /* this event's text, NUL-ended */
	size_t cap;
	char *run;                        /* held bytes + new output */
	size_t run_cap;
	int failed;                       /* a write failed: errno kept */
	int err;
};

struct castfile *
castfile_open(const char *path, int cols, int rows, const char *title,
    const char *term, int64_t timestamp, char **cause)
{
	struct castfile *cf;
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		*cause = xasprintf("%s: %s (the cast file must be writable)",
		    path, strerror(errno));
		return NULL;
	}
	cf = xcalloc(1, sizeof *cf);
	cf->f = f;
	cf->path = xstrdup(path);
	fprintf(f, "{\"version\": 2, \"width\": %d, \"height\": %d", cols,
	    rows);
	if (timestamp)
		fprintf(f, ", \"timestamp\": %" PRId64, timestamp);
	if (title) {
		fputs(", \"title\": ", f);
		event_json_string(f, title);
	}
	fputs(", \"env\": {\"TERM\": ", f);
	event_json_string(f, term);
	fputs("}}\n", f);
	return cf;
}

/*
 * How many bytes at the end of `buf` begin a character that the rest of
 * the output has yet to finish: a lead byte followed only by continuation
 * bytes, fewer than it announces. 0 when the end is whole (or malformed:
 * that is replaced, not held).
 */
static size_t
castfile_unfinished(const char *buf, size_t len)
{
	size_t back = 0;

	while (back < len && back < CASTFILE_HOLD - 1) {
		unsigned char c = (unsigned char)buf[len - 1 - back];
		size_t need;

		if ((c & 0xc0) == 0x80) {
			back++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 2;
		else if (c >= 0xe0 && c <= 0xef)
			need = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 4;
		else
			return 0;
		return back + 1 < need ? back + 1 : 0;
	}
	return 0;
}

/* Appends `len` bytes of `s` to this event's text, made valid UTF-8. */
static void
castfile_take(struct castfile *cf, size_t *n, const char *s, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = text_decode(s + i, len - i, &cp);
		int bad = (cp == 0xfffd && k == 1) || cp == 0;
		const char *src = bad ? replacement : s + i;
		size_t m = bad ? sizeof replacement - 1 : k;

		cf->text = xgrow(cf->text, &cf->cap, *n + m + 1, 1);
		memcpy(cf->text + *n, src, m);
		*n += m;
		i += k;
	}
	if (cf->text)
		cf->text[*n] = '\0';
}

/* Writes one "o" event with this event's text. */
static void
castfile_event(struct castfile *cf, int64_t ms)
{
	if (ms < cf->last_ms)
		ms = cf->last_ms;
	cf->last_ms = ms;
	fprintf(cf->f, "[%" PRId64 ".%03d, \"o\", ", ms / 1000,
	    (int)(ms % 1000));
	event_json_string(cf->f, cf->text);
	if (fputs("]\n", cf->f) == EOF && !cf->failed) {
		cf->failed = 1;
		cf->err = errno;
	}
}

void
castfile_output(struct castfile *cf, int64_t ms, const char *buf, size_t len)
{
	size_t all = cf->nhold + len, keep, n = 0;

	if (len == 0)
		return;
	/* The held bytes and the new ones, read as one run. */
	cf->run = xgrow(cf->run, &cf->run_cap, all, 1);
	memcpy(cf->run, cf->hold, cf->nhold);
	memcpy(cf->run + cf->nhold, buf, len);
	keep = castfile_unfinished(cf->run, all);
	castfile_take(cf, &n, cf->run, all - keep);
	memcpy(cf->hold, cf->run + all - keep, keep);
	cf->nhold = keep;
	if (n > 0)
		castfile_event(cf, ms);
}

int
castfile_close(struct castfile *cf, char **cause)
{
	int rc = 0;

	if (cf == NULL)
		return 0;
	if (cf->nhold) {
		size_t n = 0;
		castfile_take(cf, &n, cf->hold, cf->nhold);
		if (n > 0)
			castfile_event(cf, cf->last_ms);
	}
	if (fflush(cf->f) == EOF && !cf->failed) {
		cf->failed = 1;
		cf->err = errno;
	}
	if (ferror(cf->f) && !cf->failed) {
		cf->failed = 1;
		cf->err = EIO;
	}
	if (fclose(cf->f) == EOF && !cf->failed) {
		cf->failed = 1;
		cf->err = errno;
	}
	if (cf->failed) {
		if (cause)
			*cause = xasprintf("%s: %s", cf->path,
			    strerror(cf->err));
		rc = -1;
	}
	free(cf->path);
	free(cf->text);
	free(cf->run);
	free(cf);
	return rc;
}
