/*
 * The script loader's first pass: reading files and scanning their raw text
 * the way libconfig's lexer does, to deal with what libconfig 1.5 gets wrong
 * or explains badly. It rejects oversized, non-UTF-8 and NUL-bearing text,
 * reports a byte-order mark, expands @include itself (so included files get
 * the same checks and count towards the same size limit), appends 'L' to
 * every integer literal (libconfig 1.5 silently keeps only 32 bits of a
 * plain literal), refuses a block comment that is never closed (libconfig
 * 1.5 accepts it and drops the rest of the text), and notes trailing
 * commas, unquoted words and unclosed strings so a syntax error can say
 * what is probably wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/script_loader.h"
#include "util/utf8.h"
#include "util/xmalloc.h"

/* ---------------------------------------------------------------------- */
/* Reading and scanning the raw text                                       */

int
script_utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(p + i, n - i);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

/*
 * Reads a whole regular file of at most SCRIPT_MAX_BYTES. Returns the text,
 * NUL-terminated, with its length in *len; or NULL with *why set to a
 * message the caller frees. Never blocks on a FIFO or device.
 */
char *
script_read_file(const char *path, size_t *len, char **why)
{
	struct stat st;
	size_t n = 0, cap;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*why = xstrdup(strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*why = xstrdup(strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = xstrdup(S_ISDIR(st.st_mode) ? "it is a directory" :
		    "it is not a regular file");
		close(fd);
		return NULL;
	}
	if (st.st_size > SCRIPT_MAX_BYTES) {
		*why = xasprintf("it is %lld bytes; a script may be at most "
		    "1 MiB (%d bytes)", (long long)st.st_size,
		    SCRIPT_MAX_BYTES);
		close(fd);
		return NULL;
	}
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r;
		if (n == cap) {
			if (cap > SCRIPT_MAX_BYTES)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*why = xstrdup(strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > SCRIPT_MAX_BYTES) {
		/* It grew while we read it. */
		*why = xasprintf("it is over 1 MiB; a script may be at most "
		    "%d bytes", SCRIPT_MAX_BYTES);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

void
script_emit(struct script_loader *ld, const char *p, size_t n)
{
	ld->text = xgrow(ld->text, &ld->cap, ld->len + n + 1, 1);
	memcpy(ld->text + ld->len, p, n);
	ld->len += n;
	ld->text[ld->len] = '\0';
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n')
			ld->lines++;
}

/* From the current line of the expanded text on, lines come from `file`. */
static void
script_segment(struct script_loader *ld, const char *file, int line)
{
	struct script_seg *g;

	if (ld->nsegs > 0 && ld->segs[ld->nsegs - 1].at == ld->lines)
		g = &ld->segs[ld->nsegs - 1];
	else {
		ld->segs = xgrow(ld->segs, &ld->capsegs, ld->nsegs + 1,
		    sizeof *ld->segs);
		g = &ld->segs[ld->nsegs++];
	}
	g->at = ld->lines;
	g->file = file;
	g->line = line;
}

/*
 * Checks a file's bytes before anything reads them as a script. Only for
 * the script the caller named (`quote`) does a message show the bad byte.
 */
static int
script_check_bytes(struct script_loader *ld, const char *file, int quote,
    const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t bol = 0;
	int line = 1;

	for (size_t i = 0; i < n;) {
		size_t len;
		if (p[i] == '\n') {
			line++;
			bol = ++i;
			continue;
		}
		if (p[i] == '\0') {
			script_report_file(ld, file, line, "the file holds a NUL "
			    "byte (column %zu); a script is plain UTF-8 text",
			    i - bol + 1);
			return -1;
		}
		len = utf8_len(p + i, n - i);
		if (len == 0 && quote) {
			script_report_file(ld, file, line, "the text is not "
			    "valid UTF-8 (byte 0x%02X at column %zu); save the "
			    "file as UTF-8", p[i], i - bol + 1);
			return -1;
		}
		if (len == 0) {
			script_report_file(ld, file, line, "the text is not "
			    "valid UTF-8 (column %zu); save the file as UTF-8",
			    i - bol + 1);
			return -1;
		}
		i += len;
	}
	return 0;
}

static int
script_name_start(int c)
{
	return isalpha(c) || c == '*';
}

static int
script_name_char(int c)
{
	return isalnum(c) || c == '*' || c == '-' || c == '_';
}

/*
 * A number literal at p, if one starts there: copies it to the expanded
 * text with an 'L' suffix, so libconfig keeps all 64 bits of an integer,
 * and reports literals that do not fit in 64 bits (quoting them only from
 * the script the caller named, `quote`). Returns the bytes consumed, 0 if
 * no number starts at p.
 */
static size_t
script_scan_number(struct script_loader *ld, const char *file, int quote,
    int line, const char *p, const char *end)
{
	const char *q = p, *digits;
	int hex = 0, neg = 0, over = 0, suffix = 0;
	uint64_t v = 0, limit;

	if (*q == '-' || *q == '+') {
		neg = *q == '-';
		q++;
	}
	if (q == p && end - q >= 3 && q[0] == '0' &&
	    (q[1] == 'x' || q[1] == 'X') && isxdigit((unsigned char)q[2])) {
		hex = 1;
		q += 2;
	}
	digits = q;
	while (q < end && (hex ? isxdigit((unsigned char)*q) :
	    isdigit((unsigned char)*q)))
		q++;
	if (!hex && q < end && (*q == '.' || *q == 'e' || *q == 'E')) {
		/* A decimal number: libconfig reads it as a double. */
		if (q == digits && !(*q == '.' && q + 1 < end &&
		    isdigit((unsigned char)q[1])))
			return 0;
		while (q < end && (isdigit((unsigned char)*q) || *q == '.' ||
		    *q == 'e' || *q == 'E' || ((*q == '-' || *q == '+') &&
		    (q[-1] == 'e' || q[-1] == 'E'))))
			q++;
		script_emit(ld, p, (size_t)(q - p));
		return (size_t)(q - p);
	}
	if (q == digits)
		return 0;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (const char *d = digits; d < q; d++) {
		unsigned dv = isdigit((unsigned char)*d) ? (unsigned)(*d - '0') :
		    (unsigned)(tolower((unsigned char)*d) - 'a' + 10);
		unsigned base = hex ? 16 : 10;
		if (v > (limit - dv) / base) {
			over = 1;
			break;
		}
		v = v * base + dv;
	}
	if (q < end && *q == 'L') {
		suffix = 1;
		q++;
		if (q < end && *q == 'L')
			q++;
	}
	if (over && quote)
		script_report_file(ld, file, line, "the number %.*s%s does not "
		    "fit in 64 bits", (int)(q - p > 40 ? 40 : q - p), p,
		    q - p > 40 ? "..." : "");
	else if (over)
		script_report_file(ld, file, line, "a number on this line does "
		    "not fit in 64 bits");
	if (over) {
		ld->bigs = xgrow(ld->bigs, &ld->capbigs, ld->nbigs + 1,
		    sizeof *ld->bigs);
		ld->bigs[ld->nbigs++] = ld->lines;
		/* Any integer will do: values on this line are not read. */
		script_emit(ld, "0L", 2);
		return (size_t)(q - p);
	}
	script_emit(ld, p, (size_t)(q - p));
	if (!suffix)
		script_emit(ld, "L", 1);
	return (size_t)(q - p);
}


/*
 * An @include directive whose file name starts at `name` and ends at
 * `close` (the closing quote): loads and scans the file in its place, if
 * it lies where includes may come from (script_include.c).
 */
static int
script_include(struct script_loader *ld, const char *file, int line,
    const char *name, const char *close, int depth)
{
	char *path, *real, *buf, *why = NULL;
	size_t len = 0;
	int rc;

	if (!ld->allow_include) {
		script_report_file(ld, file, line, "@include is not allowed "
		    "in a script given as text; put everything in one script");
		return 0;
	}
	if (depth >= SCRIPT_MAX_DEPTH) {
		script_report_file(ld, file, line, "@include nested more than "
		    "%d deep (does a file include itself?)", SCRIPT_MAX_DEPTH);
		return -1;
	}
	real = script_include_path(ld, name, (size_t)(close - name), &path,
	    &why);
	ld->files = xgrow(ld->files, &ld->capfiles, ld->nfiles + 1,
	    sizeof *ld->files);
	ld->files[ld->nfiles++] = path;
	if (real == NULL) {
		script_report_file(ld, file, line, "cannot include '%s': %s",
		    SCRIPT_CLIP(path), why);
		free(why);
		return -1;
	}
	buf = script_read_file(real, &len, &why);
	free(real);
	if (buf == NULL) {
		script_report_file(ld, file, line, "cannot include '%s': %s",
		    SCRIPT_CLIP(path), why);
		free(why);
		return -1;
	}
	if (ld->len + len > SCRIPT_MAX_BYTES) {
		script_report_file(ld, file, line, "with '%s' included the "
		    "script is over 1 MiB (%d bytes)", SCRIPT_CLIP(path),
		    SCRIPT_MAX_BYTES);
		free(buf);
		return -1;
	}
	rc = script_scan(ld, path, buf, len, depth + 1);
	free(buf);
	/* Whatever follows the directive stays on the includer's line. */
	script_emit(ld, "\n", 1);
	script_segment(ld, file, line);
	return rc;
}

/*
 * An "@include" line at p (bol: at the start of a line, blanks aside):
 * scans the named file in its place. Returns the bytes consumed, or -1
 * (reported).
 */
static long
script_scan_include(struct script_loader *ld, const char *file, int line,
    const char *p, const char *end, int bol, int depth)
{
	const char *q = NULL, *name;

	/* libconfig: ^[ \t]*@include[ \t]+" */
	if (bol && end - p > 8 && memcmp(p, "@include", 8) == 0 &&
	    (p[8] == ' ' || p[8] == '\t'))
		q = p + 8;
	while (q && q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q == NULL || q == end || *q != '"') {
		script_report_file(ld, file, line, "syntax error: "
		    "'@' may only start an @include \"FILE\" line");
		return -1;
	}
	name = ++q;
	while (q < end && *q != '"' && *q != '\n')
		q++;
	if (q == end || *q != '"') {
		script_report_file(ld, file, line, "syntax error: "
		    "the @include file name has no closing '\"'");
		return -1;
	}
	if (script_include(ld, file, line, name, q, depth) < 0)
		return -1;
	return q + 1 - p;
}

/*
 * A comment at p, if one starts there: copies it and counts its line
 * breaks into *line. Returns the bytes consumed, 0 if none starts at p, or
 * -1 for a block comment that is never closed (reported against the line
 * it opens on: libconfig 1.5 would silently drop the rest of the text).
 * The caller has consumed strings whole, so a "/" "*" inside one never
 * reaches here; a line comment runs to the end of its line whatever it
 * holds, as in libconfig's lexer.
 */
static long
script_scan_comment(struct script_loader *ld, const char *file,
    const char *p, const char *end, int *line)
{
	const char *q;
	int open = *line;

	if (*p == '#' || (*p == '/' && p + 1 < end && p[1] == '/')) {
		for (q = p; q < end && *q != '\n'; q++)
			;
	} else if (*p == '/' && p + 1 < end && p[1] == '*') {
		for (q = p + 2;; q++) {
			if (q + 1 >= end) {
				script_report_file(ld, file, open, "the comment "
				    "opened with /* here is never closed; end it "
				    "with */ (libconfig would ignore the rest of "
				    "the file)");
				return -1;
			}
			if (*q == '\n')
				(*line)++;
			if (q[0] == '*' && q[1] == '/') {
				q += 2;
				break;
			}
		}
	} else
		return 0;
	script_emit(ld, p, (size_t)(q - p));
	return q - p;
}

/*
 * Whether libconfig's grammar can take a string token here: as a value
 * (after '=' or ':'), as an element (after '(' or '[', or after ',' in a
 * list or array), or joined to the string before it. Exact as long as the
 * text so far parses; where it does not, libconfig stops before here.
 */
static int
script_string_fits(const struct script_loader *ld)
{
	switch (ld->last) {
	case '=':
	case ':':
	case '(':
	case '[':
	case '"':
		return 1;
	case ',':
		return ld->members[ld->depth] < 0;
	default:
		return 0;
	}
}

/*
 * The string starting at p (a '"'); notes it if it is never closed.
 *
 * A closed string where libconfig's grammar cannot take one goes into the
 * expanded text as a single '!' after its line breaks instead: libconfig
 * 1.5 then stops with the same "syntax error" on the same line, but never
 * holds a string token when it does. (It does not free the string token
 * it was looking at when a syntax error stops it: a leak per bad script,
 * and enough of them make libFuzzer give up checking for leaks at all.)
 */
static size_t
script_scan_string(struct script_loader *ld, const char *p, const char *end,
    int *line)
{
	const char *q;
	int start = ld->lines, breaks = 0;

	for (q = p + 1; q < end && *q != '"'; q++) {
		if (*q == '\\' && q + 1 < end)
			q++;
		if (*q == '\n')
			breaks++;
	}
	*line += breaks;
	if (q == end) {
		ld->open_line = start;
		script_emit(ld, p, (size_t)(q - p));
		return (size_t)(q - p);
	}
	q++;
	if (script_string_fits(ld))
		script_emit(ld, p, (size_t)(q - p));
	else {
		while (breaks-- > 0)
			script_emit(ld, "\n", 1);
		script_emit(ld, "!", 1);
	}
	return (size_t)(q - p);
}

/*
 * The name starting at p; right after '=' or ':' it is a bare word where a
 * value goes, probably a string without quotes: noted for the syntax error
 * libconfig will report. The word itself is kept only when it comes from
 * the script the caller named (`quote`): an included file is not known to
 * be a lesson until it parses, so no message repeats its text.
 */
static size_t
script_scan_name(struct script_loader *ld, const char *p, const char *end,
    int quote)
{
	const char *q;

	for (q = p; q < end && script_name_char((unsigned char)*q); q++)
		;
	if ((ld->last == '=' || ld->last == ':') && q - p < 32 &&
	    !((q - p == 4 && strncasecmp(p, "true", 4) == 0) ||
	    (q - p == 5 && strncasecmp(p, "false", 5) == 0))) {
		struct script_bare *b;
		ld->bares = xgrow(ld->bares, &ld->capbares, ld->nbares + 1,
		    sizeof *ld->bares);
		b = &ld->bares[ld->nbares++];
		b->line = ld->lines;
		b->word[0] = '\0';
		if (quote) {
			memcpy(b->word, p, (size_t)(q - p));
			b->word[q - p] = '\0';
		}
	}
	script_emit(ld, p, (size_t)(q - p));
	return (size_t)(q - p);
}

/*
 * Punctuation c: keeps the bracket depth and each group's count of
 * settings, and notes a ',' (ld->last, on expanded line ld->last_line)
 * right before a closing bracket. Returns 0, or -1 when a group grows too
 * big (reported).
 */
static int
script_scan_punct(struct script_loader *ld, const char *file, int line,
    char c)
{
	if (c == '{' || c == '(' || c == '[') {
		ld->members = xgrow(ld->members, &ld->capdepth, ld->depth + 2,
		    sizeof *ld->members);
		ld->members[++ld->depth] = c == '{' ? 0 : -1;
	} else if ((c == '}' || c == ')' || c == ']') && ld->depth > 0)
		ld->depth--;
	else if ((c == '=' || c == ':') && ld->members[ld->depth] >= 0 &&
	    ++ld->members[ld->depth] > SCRIPT_MAX_MEMBERS) {
		/* libconfig takes quadratic time over a group. */
		script_report_file(ld, file, line, "a group holds more than %d "
		    "settings; no script needs that many", SCRIPT_MAX_MEMBERS);
		return -1;
	}
	if ((c == ')' || c == ']') && ld->last == ',') {
		struct script_comma *k;
		ld->commas = xgrow(ld->commas, &ld->capcommas, ld->ncommas + 1,
		    sizeof *ld->commas);
		k = &ld->commas[ld->ncommas++];
		k->comma = ld->last_line;
		k->close = ld->lines;
		k->bracket = c;
	}
	return 0;
}

/*
 * Scans one file's text into the expanded text, following libconfig's
 * lexer: strings, comments, @include lines, names and numbers. Returns 0,
 * or -1 when the problem found makes parsing pointless (reported).
 */
int
script_scan(struct script_loader *ld, const char *file, const char *p,
    size_t n, int depth)
{
	const char *end = p + n;
	int line = 1, bol = 1, quote = file == ld->name;

	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		script_report_file(ld, file, 1, "syntax error: the file starts "
		    "with a byte-order mark, which libconfig cannot read; "
		    "remove the UTF-8 byte-order mark");
		p += 3;
	}
	if (script_check_bytes(ld, file, quote, p, (size_t)(end - p)) < 0)
		return -1;
	script_segment(ld, file, 1);
	while (p < end) {
		char c = *p;
		size_t used;
		long took;

		if (c == '\n' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\f' || c == '\v') {
			script_emit(ld, p++, 1);
			line += c == '\n';
			bol = c == '\n' || (bol && (c == ' ' || c == '\t'));
			continue;
		}
		if (c == '@') {
			took = script_scan_include(ld, file, line, p, end, bol,
			    depth);
			if (took < 0)
				return -1;
			p += took;
			bol = 0;
			continue;
		}
		bol = 0;
		if ((took = script_scan_comment(ld, file, p, end, &line)) != 0) {
			if (took < 0)
				return -1;
			p += took;
			continue;
		}
		if (c == '"')
			used = script_scan_string(ld, p, end, &line);
		else if (script_name_start((unsigned char)c))
			used = script_scan_name(ld, p, end, quote);
		else if (isdigit((unsigned char)c) || c == '-' || c == '+' ||
		    c == '.')
			used = script_scan_number(ld, file, quote, line, p,
			    end);
		else
			used = 0;
		if (used > 0) {
			ld->last = c == '"' ? '"' : script_name_start(
			    (unsigned char)c) ? 'a' : '0';
			ld->last_line = ld->lines;
			p += used;
			continue;
		}
		if (script_scan_punct(ld, file, line, c) < 0)
			return -1;
		script_emit(ld, p++, 1);
		ld->last = c;
		ld->last_line = ld->lines;
	}
	return 0;
}

/* A hint for libconfig's syntax error at expanded line `at`, or "". */
const char *
script_syntax_hint(const struct script_loader *ld, const char *error, int at,
    char *buf, size_t size)
{
	const char *file;
	int line;

	for (size_t i = 0; i < ld->ncommas; i++) {
		const struct script_comma *k = &ld->commas[i];
		if (k->close != at)
			continue;
		script_locate(ld, k->comma, &file, &line);
		if (k->comma == at)
			snprintf(buf, size, "; libconfig does not allow a "
			    "trailing comma: remove the ',' before '%c'",
			    k->bracket);
		else
			snprintf(buf, size, "; libconfig does not allow a "
			    "trailing comma: remove the ',' at the end of line "
			    "%d", line);
		return buf;
	}
	for (size_t i = 0; i < ld->nbares; i++) {
		if (ld->bares[i].line != at)
			continue;
		if (ld->bares[i].word[0] == '\0')
			return "; text values need double quotes";
		snprintf(buf, size, "; text values need double quotes: write "
		    "\"%s\"", ld->bares[i].word);
		return buf;
	}
	if (ld->open_line > 0 && ld->open_line <= at) {
		script_locate(ld, ld->open_line, &file, &line);
		snprintf(buf, size, "; the string opened on line %d is never "
		    "closed", line);
		return buf;
	}
	if (strstr(error, "array") != NULL)
		return "; every element of an array [ ] must have the same "
		    "type, and groups or lists go in a list ( )";
	if (strstr(error, "duplicate") != NULL)
		return "; a key may appear only once in a group";
	return "";
}
