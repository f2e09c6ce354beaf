/*
 * The lesson-script loader: turns a libconfig file into a struct script,
 * checking every key against the format documented in lessons/FORMAT.md.
 *
 * Loading runs in three passes. A small scanner first reads the raw text
 * the way libconfig's lexer does, to deal with what libconfig 1.5 gets wrong
 * or explains badly: it rejects oversized, non-UTF-8 and NUL-bearing text,
 * reports a byte-order mark, expands @include itself (so included files get
 * the same checks and count towards the same size limit), appends 'L' to
 * every integer literal (libconfig 1.5 silently keeps only 32 bits of a
 * plain literal), and notes trailing commas, unquoted words and unclosed
 * strings so a syntax error can say what is probably wrong. libconfig then
 * parses the result. Last, the validator walks the settings, reports every
 * problem as "FILE:LINE: message" (up to SCRIPT_MAX_DIAGS of them) and fills
 * the script as it goes; a script with any problem is freed, never returned.
 */
#include "lesson/script.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/ledger.h"
#include "util/xmalloc.h"

#define SCRIPT_MAX_BYTES (1024 * 1024) /* a script with all its includes */
#define SCRIPT_MAX_DIAGS 30            /* then one "too many" line */
#define SCRIPT_MAX_DEPTH 10            /* @include nesting, as libconfig */
#define SCRIPT_MAX_DECLS 1000          /* per topology list: keeps it fast */
#define SCRIPT_MAX_MEMBERS 256         /* per group: libconfig is quadratic */
#define SCRIPT_NAME_MAX 255            /* an AMQP short string */
#define SCRIPT_ID_MAX 64
#define SCRIPT_WORD_MAX 64             /* longest word we suggest for */
#define SCRIPT_MS_MAX 86400000         /* one day */
#define SCRIPT_U32_MAX 4294967295LL

/* Flags for script_str_of. */
#define SCRIPT_STR_NONEMPTY 1 /* not empty or blank */
#define SCRIPT_STR_SHORT 2    /* at most SCRIPT_NAME_MAX bytes */
#define SCRIPT_STR_TEXT 4     /* may hold line breaks and tabs */

/* What a setting should have been, for "must be X, not Y" messages. */
static const char script_want_int[] = "an integer";
static const char script_want_bool[] = "true or false";
static const char script_want_string[] = "a string";
static const char script_want_group[] = "a group { ... }";
static const char script_want_list[] = "a list ( ... )";
static const char script_want_text[] =
    "a text { en = \"...\"; zh = \"...\"; }";
static const char script_want_range[] = "a count or a range [min, max]";

static const char *const script_top_keys[] = { "id", "title", "summary",
	"seed", "sim_only", "topology", "toggles", "steps", "challenge", NULL };
static const char *const script_topo_keys[] = { "exchanges", "queues",
	"bindings", "consumers", "publish", "error", NULL };
static const char *const script_exchange_keys[] = { "name", "type",
	"durable", "delayed_type", NULL };
static const char *const script_queue_keys[] = { "name", "type", "durable",
	"ttl_ms", "dead_letter_exchange", "dead_letter_routing_key",
	"max_length", "overflow", "delivery_limit", "role", NULL };
static const char *const script_binding_keys[] = { "exchange", "queue",
	"key", "match", "args", NULL };
static const char *const script_consumer_keys[] = { "name", "queue", NULL };
static const char *const script_target_keys[] = { "exchange", "key", NULL };
static const char *const script_text_keys[] = { "en", "zh", NULL };
static const char *const script_challenge_keys[] = { "goal", "setup",
	"steps", "expect", "hints", "solution", NULL };
static const char *const script_equeue_keys[] = { "queue", "ready",
	"unacked", NULL };

/* Every key a step may hold: its own, then every action's parameters. */
static const char *const script_step_keys[] = { "say", "do", "ask",
	"choices", "answer", "explain", "expect", "expect_queue", "count",
	"exchange", "key", "persistent", "expiration_ms", "delay_ms",
	"every_ms", "headers", "set", "failure", "target", "ms", "times",
	"unreadable", "consumer", "us", NULL };
/* Where the action parameters start in script_step_keys. */
#define SCRIPT_FIRST_PARAM 8

static const char *const script_publish_params[] = { "count", "exchange",
	"key", "persistent", "expiration_ms", "delay_ms", "every_ms", "headers",
	NULL };
static const char *const script_toggle_params[] = { "set", NULL };
static const char *const script_fail_params[] = { "failure", "target", "ms",
	"times", "unreadable", NULL };
static const char *const script_ms_params[] = { "ms", NULL };
static const char *const script_wait_params[] = { "ms", "us", NULL };
static const char *const script_consumer_params[] = { "consumer", NULL };
static const char *const script_no_params[] = { NULL };

/* The actions, in the order of enum script_action_kind after ACT_NONE. */
static const char *const script_action_names[] = { "publish", "toggle",
	"fail", "restart", "wait", "settle", "consume", "stop", NULL };
static const char *const *const script_action_params[] = {
	script_publish_params, script_toggle_params, script_fail_params,
	script_no_params, script_wait_params, script_ms_params,
	script_consumer_params, script_consumer_params,
};

static const char *const script_failure_names[] = {
#define SCRIPT_FAILURE_NAME(id, name, help) name,
	FAILURES(SCRIPT_FAILURE_NAME)
#undef SCRIPT_FAILURE_NAME
	NULL
};

/* In the order of enum exchange_type, x-delayed-message last. */
static const char *const script_xtype_names[] = { "direct", "fanout",
	"topic", "headers", "x-delayed-message", NULL };
static const char *const script_routing_names[] = { "direct", "fanout",
	"topic", "headers", NULL };
/* In the order of QTYPE_*, OVERFLOW_*, QROLE_*. */
static const char *const script_qtype_names[] = { "classic", "lazy",
	"quorum", NULL };
static const char *const script_overflow_names[] = { "drop-head",
	"reject-publish", NULL };
static const char *const script_role_names[] = { "work", "dead", "error",
	"delay", NULL };
static const char *const script_match_names[] = { "any", "all", NULL };

/* A run of lines of the expanded text that came from one file. */
struct script_seg {
	int at;           /* its first line in the expanded text */
	const char *file; /* the file, as messages name it */
	int line;         /* that first line's number in the file */
};

/* A ',' right before ')' or ']': libconfig 1.5 rejects it. */
struct script_comma {
	int comma;   /* expanded line of the comma */
	int close;   /* expanded line of the bracket */
	char bracket;
};

/* A bare word where a value goes: probably a string without quotes. */
struct script_bare {
	int line;
	char word[32];
};

struct script_loader {
	const char *name;          /* the script as messages name it */
	struct script_diag *diag;
	size_t added;              /* lines this load added to diag */
	int full;                  /* hit SCRIPT_MAX_DIAGS: drop the rest */

	/* Scanner output: the text libconfig parses, and notes on it. */
	char *text;
	size_t len, cap;
	int lines;                 /* current line of `text`, from 1 */
	struct script_seg *segs;
	size_t nsegs, capsegs;
	char **files;              /* names of included files (owned) */
	size_t nfiles, capfiles;
	int *bigs;                 /* lines with a literal beyond 64 bits */
	size_t nbigs, capbigs;
	struct script_comma *commas;
	size_t ncommas, capcommas;
	struct script_bare *bares;
	size_t nbares, capbares;
	int open_line;             /* line of an unclosed string, or 0 */
	int *members;              /* per open bracket: settings so far in a
				      group, -1 in a list or array; [0] is
				      the root group */
	size_t depth, capdepth;
	const char *include_dir;   /* files: the script's directory or NULL */
	int allow_include;

	/* Validator state. */
	struct script *s;
	const char **xnames;       /* declared exchanges, NULL-terminated */
	const char **qnames;       /* declared queues */
	const char **cnames;       /* declared consumers */
	const char *tnames[TOGGLE_COUNT + 1];
	char **counters;           /* ledger counter names, on first use */
	size_t ncounters, capcounters;
};

/* ---------------------------------------------------------------------- */
/* Diagnostics                                                              */

void
script_diag_add(struct script_diag *d, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int len;

	if (d == NULL)
		return;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	line = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(line, (size_t)len + 1, fmt, ap);
	va_end(ap);
	d->lines = xgrow(d->lines, &d->cap, d->count + 1, sizeof *d->lines);
	d->lines[d->count++] = line;
}

void
script_diag_free(struct script_diag *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->count; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof *d);
}

/*
 * Copies `s` into buf, cut at a character boundary with "..." if it does
 * not fit, so one silly value cannot flood a message.
 */
static const char *
script_clip(const char *s, char *buf, size_t size)
{
	size_t len = strlen(s), n;

	if (len < size) {
		memcpy(buf, s, len + 1);
		return buf;
	}
	n = size - 4;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(buf, s, n);
	memcpy(buf + n, "...", 4);
	return buf;
}
#define SCRIPT_CLIP(s) script_clip((s), (char[72]){ 0 }, 72)

static void
script_vreport(struct script_loader *ld, const char *file, int line,
    const char *fmt, va_list ap)
{
	char msg[2048];

	if (ld->full)
		return;
	if (ld->added >= SCRIPT_MAX_DIAGS) {
		script_diag_add(ld->diag, "%s:%d: too many problems; stopping "
		    "after the first %d", file, line, SCRIPT_MAX_DIAGS);
		ld->added++;
		ld->full = 1;
		return;
	}
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* One problem, one line: values may hold line breaks. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	script_diag_add(ld->diag, "%s:%d: %s", file, line, msg);
	ld->added++;
}

/* Reports against a line of one source file, before the text is joined. */
static void script_report_file(struct script_loader *, const char *, int,
    const char *, ...) __attribute__((format(printf, 4, 5)));
static void
script_report_file(struct script_loader *ld, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	script_vreport(ld, file, line, fmt, ap);
	va_end(ap);
}

/* The file and line a line of the expanded text came from. */
static void
script_locate(const struct script_loader *ld, int at, const char **file,
    int *line)
{
	*file = ld->name;
	*line = at > 0 ? at : 1;
	for (size_t i = ld->nsegs; i-- > 0;)
		if (ld->segs[i].at <= at) {
			*file = ld->segs[i].file;
			*line = ld->segs[i].line + (at - ld->segs[i].at);
			return;
		}
}

/* Reports against a line of the expanded text. */
static void script_report_line(struct script_loader *, int, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static void
script_report_line(struct script_loader *ld, int at, const char *fmt, ...)
{
	const char *file;
	int line;
	va_list ap;

	script_locate(ld, at, &file, &line);
	va_start(ap, fmt);
	script_vreport(ld, file, line, fmt, ap);
	va_end(ap);
}

/* The expanded-text line of a setting; the root group counts as line 1. */
static int
script_line(const config_setting_t *s)
{
	int line = s ? (int)config_setting_source_line(s) : 0;

	return line > 0 ? line : 1;
}

/* Reports against the line of setting `s`. */
static void script_report(struct script_loader *, const config_setting_t *,
    const char *, ...) __attribute__((format(printf, 3, 4)));
static void
script_report(struct script_loader *ld, const config_setting_t *s,
    const char *fmt, ...)
{
	const char *file;
	int line;
	va_list ap;

	script_locate(ld, script_line(s), &file, &line);
	va_start(ap, fmt);
	script_vreport(ld, file, line, fmt, ap);
	va_end(ap);
}

/* The line of setting `s` in its own file, for the script's line fields. */
static int
script_src_line(const struct script_loader *ld, const config_setting_t *s)
{
	const char *file;
	int line;

	script_locate(ld, script_line(s), &file, &line);
	return line;
}

/* ---------------------------------------------------------------------- */
/* Suggestions                                                              */

/*
 * Edit distance between two words, ignoring case, where swapping two
 * neighbouring letters counts as one edit ("confrims" is 1 from
 * "confirms"). Words longer than SCRIPT_WORD_MAX are never close.
 */
static size_t
script_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t prev2[SCRIPT_WORD_MAX + 1], prev[SCRIPT_WORD_MAX + 1];
	size_t cur[SCRIPT_WORD_MAX + 1];

	if (la > SCRIPT_WORD_MAX || lb > SCRIPT_WORD_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		int ai = tolower((unsigned char)a[i - 1]);
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			int bj = tolower((unsigned char)b[j - 1]);
			size_t v = prev[j - 1] + (ai != bj);
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ai == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == bj &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		memcpy(prev2, prev, (lb + 1) * sizeof *prev);
		memcpy(prev, cur, (lb + 1) * sizeof *prev);
	}
	return prev[lb];
}

/*
 * The name in `names` (NULL-terminated) closest to `word`, if it is at
 * most two edits away and the edits do not make up half of it; else NULL.
 * On a tie, a name with the same first letter wins: typos seldom start
 * a word.
 */
static const char *
script_suggest(const char *word, const char *const *names)
{
	const char *best = NULL;
	size_t bestd = 3;

	for (; *names; names++) {
		size_t d = script_distance(word, *names);
		if (d > 2 || d * 2 > strlen(*names) + 1)
			continue;
		if (d < bestd || (d == bestd && best && best[0] != word[0] &&
		    (*names)[0] == word[0])) {
			best = *names;
			bestd = d;
		}
	}
	return best;
}

/* " (did you mean 'x'?)" for the closest name, or "". */
static const char *
script_mean(const char *word, const char *const *names, char *buf,
    size_t size)
{
	const char *s = script_suggest(word, names);

	if (s == NULL)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", s);
	return buf;
}
#define SCRIPT_MEAN(w, names) script_mean((w), (names), (char[96]){ 0 }, 96)

/* The names as "a, b, c", cut with "..." when too long for buf. */
static const char *
script_join(const char *const *names, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++) {
		size_t len = strlen(names[i]);
		if (n + len + 2 + 4 >= size) {
			snprintf(buf + n, size - n, "%s...", i ? ", " : "");
			break;
		}
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
		    names[i]);
	}
	return buf;
}
#define SCRIPT_JOIN(names) script_join((names), (char[768]){ 0 }, 768)

static int
script_has(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Reading and scanning the raw text                                       */

/* Length of the UTF-8 sequence at p (n bytes left), or 0 if invalid. */
static size_t
script_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xC2)
		return 0; /* a stray continuation byte or an overlong pair */
	if (p[0] < 0xE0) {
		len = 2;
		cp = p[0] & 0x1F;
	} else if (p[0] < 0xF0) {
		len = 3;
		cp = p[0] & 0x0F;
	} else if (p[0] < 0xF5) {
		len = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int
script_utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t len = script_utf8_len(p + i, n - i);
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
static char *
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

static void
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

/* Checks a file's bytes before anything reads them as a script. */
static int
script_check_bytes(struct script_loader *ld, const char *file, const char *s,
    size_t n)
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
		len = script_utf8_len(p + i, n - i);
		if (len == 0) {
			script_report_file(ld, file, line, "the text is not "
			    "valid UTF-8 (byte 0x%02X at column %zu); save the "
			    "file as UTF-8", p[i], i - bol + 1);
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
 * and reports literals that do not fit in 64 bits. Returns the bytes
 * consumed, 0 if no number starts at p.
 */
static size_t
script_scan_number(struct script_loader *ld, const char *file, int line,
    const char *p, const char *end)
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
	if (over) {
		script_report_file(ld, file, line, "the number %.*s%s does not "
		    "fit in 64 bits", (int)(q - p > 40 ? 40 : q - p), p,
		    q - p > 40 ? "..." : "");
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

static int script_scan(struct script_loader *, const char *, const char *,
    size_t, int);

/*
 * An @include directive whose file name starts at `name` and ends at
 * `close` (the closing quote): loads and scans the file in its place.
 */
static int
script_include(struct script_loader *ld, const char *file, int line,
    const char *name, const char *close, int depth)
{
	char *path, *buf, *why = NULL;
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
	/* libconfig puts its include directory before every name. */
	if (ld->include_dir)
		path = xasprintf("%s/%.*s", ld->include_dir,
		    (int)(close - name), name);
	else
		path = xasprintf("%.*s", (int)(close - name), name);
	ld->files = xgrow(ld->files, &ld->capfiles, ld->nfiles + 1,
	    sizeof *ld->files);
	ld->files[ld->nfiles++] = path;
	buf = script_read_file(path, &len, &why);
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
 * Scans one file's text into the expanded text, following libconfig's
 * lexer: strings, comments, @include lines, names and numbers. Returns 0,
 * or -1 when the problem found makes parsing pointless (reported).
 */
static int
script_scan(struct script_loader *ld, const char *file, const char *p,
    size_t n, int depth)
{
	const char *end = p + n;
	int line = 1, bol = 1, rc;
	char last = 0;     /* last significant character */
	int last_line = 0; /* and its expanded line */

	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		script_report_file(ld, file, 1, "syntax error: the file starts "
		    "with a byte-order mark, which libconfig cannot read; "
		    "remove the UTF-8 byte-order mark");
		p += 3;
	}
	if (script_check_bytes(ld, file, p, (size_t)(end - p)) < 0)
		return -1;
	script_segment(ld, file, 1);
	while (p < end) {
		const char *q;
		char c = *p;
		size_t used;

		if (c == '\n') {
			script_emit(ld, p++, 1);
			line++;
			bol = 1;
			continue;
		}
		if (c == ' ' || c == '\t') {
			script_emit(ld, p++, 1);
			continue;
		}
		if (c == '\r' || c == '\f' || c == '\v') {
			script_emit(ld, p++, 1);
			bol = 0;
			continue;
		}
		if (c == '@') {
			/* libconfig: ^[ \t]*@include[ \t]+" */
			q = NULL;
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
			p = ++q;
			while (q < end && *q != '"' && *q != '\n')
				q++;
			if (q == end || *q != '"') {
				script_report_file(ld, file, line, "syntax error: "
				    "the @include file name has no closing '\"'");
				return -1;
			}
			rc = script_include(ld, file, line, p, q, depth);
			if (rc < 0)
				return -1;
			p = q + 1;
			bol = 0;
			continue;
		}
		bol = 0;
		if (c == '#' || (c == '/' && p + 1 < end && p[1] == '/')) {
			for (q = p; q < end && *q != '\n'; q++)
				;
			script_emit(ld, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (c == '/' && p + 1 < end && p[1] == '*') {
			for (q = p + 2; q < end; q++) {
				if (*q == '\n')
					line++;
				if (*q == '*' && q + 1 < end && q[1] == '/') {
					q += 2;
					break;
				}
			}
			script_emit(ld, p, (size_t)(q - p));
			p = q;
			continue;
		}
		if (c == '"') {
			int start = ld->lines;
			for (q = p + 1; q < end && *q != '"'; q++) {
				if (*q == '\\' && q + 1 < end)
					q++;
				if (*q == '\n')
					line++;
			}
			if (q == end)
				ld->open_line = start;
			else
				q++;
			script_emit(ld, p, (size_t)(q - p));
			p = q;
			last = '"';
			last_line = ld->lines;
			continue;
		}
		if (script_name_start((unsigned char)c)) {
			for (q = p; q < end && script_name_char((unsigned char)*q);
			    q++)
				;
			if ((last == '=' || last == ':') && q - p < 32 &&
			    !((q - p == 4 && strncasecmp(p, "true", 4) == 0) ||
			    (q - p == 5 && strncasecmp(p, "false", 5) == 0))) {
				struct script_bare *b;
				ld->bares = xgrow(ld->bares, &ld->capbares,
				    ld->nbares + 1, sizeof *ld->bares);
				b = &ld->bares[ld->nbares++];
				b->line = ld->lines;
				memcpy(b->word, p, (size_t)(q - p));
				b->word[q - p] = '\0';
			}
			script_emit(ld, p, (size_t)(q - p));
			p = q;
			last = 'a';
			last_line = ld->lines;
			continue;
		}
		if (isdigit((unsigned char)c) || c == '-' || c == '+' ||
		    c == '.') {
			used = script_scan_number(ld, file, line, p, end);
			if (used > 0) {
				p += used;
				last = '0';
				last_line = ld->lines;
				continue;
			}
		}
		if (c == '{' || c == '(' || c == '[') {
			ld->members = xgrow(ld->members, &ld->capdepth,
			    ld->depth + 2, sizeof *ld->members);
			ld->members[++ld->depth] = c == '{' ? 0 : -1;
		} else if ((c == '}' || c == ')' || c == ']') && ld->depth > 0)
			ld->depth--;
		else if ((c == '=' || c == ':') && ld->members[ld->depth] >= 0 &&
		    ++ld->members[ld->depth] > SCRIPT_MAX_MEMBERS) {
			/* libconfig takes quadratic time over a group. */
			script_report_file(ld, file, line, "a group holds more "
			    "than %d settings; no script needs that many",
			    SCRIPT_MAX_MEMBERS);
			return -1;
		}
		if ((c == ')' || c == ']') && last == ',') {
			struct script_comma *k;
			ld->commas = xgrow(ld->commas, &ld->capcommas,
			    ld->ncommas + 1, sizeof *ld->commas);
			k = &ld->commas[ld->ncommas++];
			k->comma = last_line;
			k->close = ld->lines;
			k->bracket = c;
		}
		script_emit(ld, p++, 1);
		last = c;
		last_line = ld->lines;
	}
	return 0;
}

/* A hint for libconfig's syntax error at expanded line `at`, or "". */
static const char *
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
	for (size_t i = 0; i < ld->nbares; i++)
		if (ld->bares[i].line == at) {
			snprintf(buf, size, "; text values need double quotes: "
			    "write \"%s\"", ld->bares[i].word);
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

/* ---------------------------------------------------------------------- */
/* Typed access to settings                                                */

static const char *
script_type_name(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a decimal number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	default:
		return "nothing";
	}
}

/*
 * How messages name setting `s`: the caller's label for list elements,
 * else its key in quotes.
 */
static const char *
script_label(const config_setting_t *s, const char *label, char *buf,
    size_t size)
{
	const char *name;

	if (label != NULL)
		return label;
	name = config_setting_name(s);
	snprintf(buf, size, "'%s'", name ? SCRIPT_CLIP(name) : "?");
	return buf;
}
#define SCRIPT_LABEL(s, l) script_label((s), (l), (char[80]){ 0 }, 80)

static void
script_wrong_type(struct script_loader *ld, const config_setting_t *s,
    const char *label, const char *want)
{
	char hint[96] = "";
	int type = config_setting_type(s);

	if (want == script_want_int && type == CONFIG_TYPE_FLOAT) {
		double d = config_setting_get_float(s);
		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			snprintf(hint, sizeof hint, " (write %lld, without a "
			    "decimal point)", (long long)d);
	} else if (type == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);
		char *end;
		if (v == NULL)
			v = "";
		errno = 0;
		if (want == script_want_bool && (strcmp(v, "true") == 0 ||
		    strcmp(v, "false") == 0))
			snprintf(hint, sizeof hint, " (write %s without quotes)",
			    v);
		else if (want == script_want_int && *v != '\0' &&
		    (strtoll(v, &end, 10), errno == 0 && *end == '\0'))
			snprintf(hint, sizeof hint, " (write %s without quotes)",
			    SCRIPT_CLIP(v));
	}
	script_report(ld, s, "%s must be %s, not %s%s", SCRIPT_LABEL(s, label),
	    want, script_type_name(s), hint);
}

/* The member `key` of group `g`, or NULL; reports it when `required`. */
static config_setting_t *
script_get(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where)
{
	config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL && required)
		script_report(ld, g, "missing required key '%s' in %s", key,
		    where);
	return s;
}

/* Reports every member of group `g` that is not in `keys`. */
static void
script_keys(struct script_loader *ld, const config_setting_t *g,
    const char *const *keys, const char *where)
{
	int n = config_setting_length(g);

	for (int i = 0; i < n && !ld->full; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m);
		const char *unused[32], *sug;
		size_t k = 0;

		if (name == NULL || script_has(keys, name))
			continue;
		/*
		 * A key already there is less likely what the teacher meant
		 * ("zn" beside "en" is "zh"), but may be a duplicate typo.
		 */
		for (size_t j = 0; keys[j] && k < 31; j++)
			if (config_setting_get_member(g, keys[j]) == NULL)
				unused[k++] = keys[j];
		unused[k] = NULL;
		sug = script_suggest(name, unused);
		if (sug == NULL)
			sug = script_suggest(name, keys);
		if (sug)
			script_report(ld, m, "unknown key '%s' in %s (did you "
			    "mean '%s'?)", SCRIPT_CLIP(name), where, sug);
		else
			script_report(ld, m, "unknown key '%s' in %s; valid keys "
			    "are %s", SCRIPT_CLIP(name), where,
			    SCRIPT_JOIN(keys));
	}
}

/* Was an integer on this line too large to read? (Reported already.) */
static int
script_big(const struct script_loader *ld, const config_setting_t *s)
{
	int line = script_line(s);

	for (size_t i = 0; i < ld->nbigs; i++)
		if (ld->bigs[i] == line)
			return 1;
	return 0;
}

/*
 * Integer setting `s` within [min, max] into *out. Returns 1, or -1 if it
 * is not an integer or out of range (reported).
 */
static int
script_int_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, int64_t min, int64_t max, int64_t *out)
{
	int type = config_setting_type(s);
	int64_t v;

	if (script_big(ld, s))
		return -1;
	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64) {
		script_wrong_type(ld, s, label, script_want_int);
		return -1;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		if (max == INT64_MAX)
			script_report(ld, s, "%s is %lld, expected %lld or more",
			    SCRIPT_LABEL(s, label), (long long)v,
			    (long long)min);
		else
			script_report(ld, s, "%s is %lld, expected %lld to %lld",
			    SCRIPT_LABEL(s, label), (long long)v,
			    (long long)min, (long long)max);
		return -1;
	}
	*out = v;
	return 1;
}

/* Member `key` of `g` as above; 0 if absent (*out untouched). */
static int
script_int(struct script_loader *ld, const config_setting_t *g,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	return s ? script_int_of(ld, s, NULL, min, max, out) : 0;
}

/* Boolean member `key` of `g` into *out: 1, 0 if absent, -1 if wrong. */
static int
script_bool(struct script_loader *ld, const config_setting_t *g,
    const char *key, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		script_wrong_type(ld, s, NULL, script_want_bool);
		return -1;
	}
	*out = config_setting_get_bool(s) ? 1 : 0;
	return 1;
}

static int
script_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

/*
 * String setting `s` into *out (borrowed from the configuration): valid
 * UTF-8, no control characters (SCRIPT_STR_TEXT allows line breaks and
 * tabs), and per `flags` not blank or not too long. Returns 1 or -1.
 */
static int
script_str_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, int flags, const char **out)
{
	const char *v;
	size_t len;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		script_wrong_type(ld, s, label, script_want_string);
		return -1;
	}
	v = config_setting_get_string(s);
	if (v == NULL)
		v = "";
	len = strlen(v);
	if (!script_utf8_ok(v, len)) {
		script_report(ld, s, "%s is not valid UTF-8 (check its \\x "
		    "escapes)", SCRIPT_LABEL(s, label));
		return -1;
	}
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 || c == 0x7F) && !((flags & SCRIPT_STR_TEXT) &&
		    (c == '\n' || c == '\t'))) {
			script_report(ld, s, "%s holds a control character "
			    "(0x%02X)%s", SCRIPT_LABEL(s, label), c,
			    c == '\n' ? "; a name or key is one line" : "");
			return -1;
		}
	}
	if ((flags & SCRIPT_STR_NONEMPTY) && script_blank(v)) {
		script_report(ld, s, "%s is empty", SCRIPT_LABEL(s, label));
		return -1;
	}
	if ((flags & SCRIPT_STR_SHORT) && len > SCRIPT_NAME_MAX) {
		script_report(ld, s, "%s is %zu bytes long, expected at most "
		    "%d (an AMQP short string)", SCRIPT_LABEL(s, label), len,
		    SCRIPT_NAME_MAX);
		return -1;
	}
	*out = v;
	return 1;
}

/* Member `key` of `g` as above; 0 if absent. */
static int
script_str(struct script_loader *ld, const config_setting_t *g,
    const char *key, int flags, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	return s ? script_str_of(ld, s, NULL, flags, out) : 0;
}

/*
 * String setting `s` naming one of `names`: its index into *out, 1. Else
 * -1, reported as "unknown NOUN 'x'" (or "LABEL cannot be 'x'" when noun is
 * NULL) with a suggestion and every choice.
 */
static int
script_choice_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, const char *const *names, const char *noun, int *out)
{
	const char *v;

	if (script_str_of(ld, s, label, 0, &v) < 0)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], v) == 0) {
			*out = i;
			return 1;
		}
	if (noun)
		script_report(ld, s, "unknown %s '%s'%s; expected one of %s",
		    noun, SCRIPT_CLIP(v), SCRIPT_MEAN(v, names),
		    SCRIPT_JOIN(names));
	else
		script_report(ld, s, "%s cannot be '%s'%s; expected one of %s",
		    SCRIPT_LABEL(s, label), SCRIPT_CLIP(v),
		    SCRIPT_MEAN(v, names), SCRIPT_JOIN(names));
	return -1;
}

static int
script_choice(struct script_loader *ld, const config_setting_t *g,
    const char *key, const char *const *names, const char *noun, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	return s ? script_choice_of(ld, s, NULL, names, noun, out) : 0;
}

/* Is `s` a group? Reports it otherwise. */
static int
script_is_group(struct script_loader *ld, const config_setting_t *s,
    const char *label)
{
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		return 1;
	script_wrong_type(ld, s, label, script_want_group);
	return 0;
}

/*
 * Is `s` a list with `min` to `max` elements? An empty array [] counts as
 * an empty list. Reports it otherwise.
 */
static int
script_is_list(struct script_loader *ld, const config_setting_t *s,
    int min, int max)
{
	int type = config_setting_type(s), n = config_setting_length(s);

	if (type != CONFIG_TYPE_LIST && !(type == CONFIG_TYPE_ARRAY &&
	    n == 0)) {
		script_wrong_type(ld, s, NULL, script_want_list);
		return 0;
	}
	if (n < min || n > max) {
		if (n == 0)
			script_report(ld, s, "%s is empty; it needs at least "
			    "%d %s", SCRIPT_LABEL(s, NULL), min,
			    min == 1 ? "entry" : "entries");
		else if (max == INT32_MAX)
			script_report(ld, s, "%s has %d %s, expected at least "
			    "%d", SCRIPT_LABEL(s, NULL), n, n == 1 ? "entry" :
			    "entries", min);
		else
			script_report(ld, s, "%s has %d %s, expected %d to %d",
			    SCRIPT_LABEL(s, NULL), n, n == 1 ? "entry" :
			    "entries", min, max);
		return 0;
	}
	return 1;
}

/*
 * Text setting `s` ({ en = "..."; zh = "..."; }) into *out: both languages,
 * each a non-blank string. Returns 1, or -1 (reported; *out untouched).
 */
static int
script_text_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, struct script_text *out)
{
	static const char *const langs[] = { "English", "Chinese" };
	const char *v[2] = { NULL, NULL };
	const char *shown = SCRIPT_LABEL(s, label);
	int ok = 1;

	if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
		script_wrong_type(ld, s, label, script_want_text);
		return -1;
	}
	script_keys(ld, s, script_text_keys, shown);
	for (int i = 0; i < 2; i++) {
		const char *key = script_text_keys[i];
		const config_setting_t *m = config_setting_get_member(s, key);
		char inner[100];

		if (m == NULL) {
			script_report(ld, s, "%s has no %s text (%s)", shown,
			    langs[i], key);
			ok = 0;
			continue;
		}
		snprintf(inner, sizeof inner, "the %s text (%s) of %s",
		    langs[i], key, shown);
		if (script_str_of(ld, m, inner, SCRIPT_STR_TEXT, &v[i]) < 0) {
			ok = 0;
			continue;
		}
		if (script_blank(v[i])) {
			script_report(ld, m, "%s has an empty %s text (%s)",
			    shown, langs[i], key);
			ok = 0;
		}
	}
	if (!ok)
		return -1;
	out->en = xstrdup(v[0]);
	out->zh = xstrdup(v[1]);
	return 1;
}

static int
script_text(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where,
    struct script_text *out)
{
	const config_setting_t *s = script_get(ld, g, key, required, where);

	return s ? script_text_of(ld, s, NULL, out) : 0;
}

/* ---------------------------------------------------------------------- */
/* Names the script declares                                               */

/*
 * Does `name` name a declared `kind` (exchange, queue, consumer), one of
 * `names`? Reports it otherwise, against setting `s`.
 */
static int
script_declared(struct script_loader *ld, const config_setting_t *s,
    const char *kind, const char *name, const char *const *names)
{
	static const char *const none[] = { NULL };

	if (names == NULL)
		names = none;
	if (script_has(names, name))
		return 1;
	if (ld->full)
		return 0;
	if (script_suggest(name, names))
		script_report(ld, s, "undeclared %s '%s'%s", kind,
		    SCRIPT_CLIP(name), SCRIPT_MEAN(name, names));
	else if (names[0] == NULL)
		script_report(ld, s, "undeclared %s '%s'; the topology "
		    "declares no %ss", kind, SCRIPT_CLIP(name), kind);
	else
		script_report(ld, s, "undeclared %s '%s'; declared %ss: %s",
		    kind, SCRIPT_CLIP(name), kind, SCRIPT_JOIN(names));
	return 0;
}

static const struct topo_exchange *
script_exchange(const struct script_loader *ld, const char *name)
{
	const struct topology *t = &ld->s->topo;

	for (size_t i = 0; i < t->nexchanges; i++)
		if (strcmp(t->exchanges[i].name, name) == 0)
			return &t->exchanges[i];
	return NULL;
}

/* The type an exchange routes by: a delayed one routes as delayed_type. */
static enum exchange_type
script_routing(const struct topo_exchange *x)
{
	return x->type == XTYPE_DELAYED ? x->delayed_type : x->type;
}

/* A string naming "" or a declared exchange; reported otherwise. */
static int
script_exchange_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int allow_default, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *v;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_SHORT, &v) < 0)
		return -1;
	if (*v == '\0') {
		if (allow_default) {
			*out = v;
			return 1;
		}
		script_report(ld, s, "'%s' cannot be \"\" (the default "
		    "exchange) here; name a declared exchange", key);
		return -1;
	}
	if (!script_declared(ld, s, "exchange", v, ld->xnames))
		return -1;
	*out = v;
	return 1;
}

/* A string naming a declared queue or consumer; reported otherwise. */
static int
script_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where, const char *kind,
    const char *const *names, const char **out)
{
	const config_setting_t *s = script_get(ld, g, key, required, where);
	const char *v;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_SHORT, &v) < 0)
		return -1;
	if (!script_declared(ld, s, kind, v, names))
		return -1;
	*out = v;
	return 1;
}

/*
 * A name for a new exchange, queue or consumer: required, one line, at
 * most 255 bytes, not reserved by RabbitMQ, not declared before among
 * `prev` (n of them, with their lines). Returns the name or NULL.
 */
static const char *
script_new_name(struct script_loader *ld, const config_setting_t *g,
    const char *kind, const char *where, const char *const *prev,
    const int *lines, size_t n)
{
	const config_setting_t *s = script_get(ld, g, "name", 1, where);
	const char *v;

	if (s == NULL || script_str_of(ld, s, NULL,
	    SCRIPT_STR_NONEMPTY | SCRIPT_STR_SHORT, &v) < 0)
		return NULL;
	if (strcmp(kind, "consumer") != 0 && strncmp(v, "amq.", 4) == 0) {
		script_report(ld, s, "%s name '%s' starts with 'amq.', which "
		    "RabbitMQ reserves for itself", kind, SCRIPT_CLIP(v));
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(prev[i], v) == 0) {
			script_report(ld, s, "duplicate %s name '%s' (first "
			    "declared on line %d)", kind, SCRIPT_CLIP(v),
			    lines[i]);
			return NULL;
		}
	return v;
}

/* ---------------------------------------------------------------------- */
/* Topology                                                                 */

static void
script_exchanges(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->exchanges = xcalloc((size_t)n, sizeof *t->exchanges);
	ld->xnames = xcalloc((size_t)n + 1, sizeof *ld->xnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ts, *ds;
		struct topo_exchange x = { .durable = -1 };
		int lines[SCRIPT_MAX_DECLS], type = -1, dtype = XTYPE_DIRECT;
		char where[48];
		const char *name;
		int ok = 1;

		snprintf(where, sizeof where, "exchange %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		for (size_t k = 0; k < t->nexchanges; k++)
			lines[k] = t->exchanges[k].line;
		name = script_new_name(ld, g, "exchange", where, ld->xnames,
		    lines, t->nexchanges);
		if (name)
			snprintf(where, sizeof where, "exchange '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_exchange_keys, where);
		ts = script_get(ld, g, "type", 1, where);
		if (ts && script_choice_of(ld, ts, NULL, script_xtype_names,
		    "exchange type", &type) < 0)
			ok = 0;
		if (script_bool(ld, g, "durable", &x.durable) < 0)
			ok = 0;
		ds = config_setting_get_member(g, "delayed_type");
		if (ds && type >= 0 && type != XTYPE_DELAYED) {
			script_report(ld, ds, "'delayed_type' applies only to "
			    "exchanges of type x-delayed-message");
			ok = 0;
		} else if (ds && script_choice_of(ld, ds, NULL,
		    script_routing_names, NULL, &dtype) < 0)
			ok = 0;
		if (type == XTYPE_DELAYED && !ld->s->sim_only) {
			script_report(ld, ts, "exchange type x-delayed-message "
			    "needs sim_only = true: the delayed-message plugin "
			    "does not ship with Debian's RabbitMQ");
			ok = 0;
		}
		if (!ok || name == NULL || type < 0)
			continue;
		x.name = xstrdup(name);
		x.type = (enum exchange_type)type;
		x.delayed_type = (enum exchange_type)dtype;
		x.line = script_src_line(ld, g);
		ld->xnames[t->nexchanges] = x.name;
		t->exchanges[t->nexchanges++] = x;
	}
}

static void
script_queues(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->queues = xcalloc((size_t)n, sizeof *t->queues);
	ld->qnames = xcalloc((size_t)n + 1, sizeof *ld->qnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ls;
		struct topo_queue q;
		int lines[SCRIPT_MAX_DECLS], v, ok = 1;
		const char *name, *dlx = NULL, *dlrk = NULL;
		char where[48];

		snprintf(where, sizeof where, "queue %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		topology_queue_init(&q);
		for (size_t k = 0; k < t->nqueues; k++)
			lines[k] = t->queues[k].line;
		name = script_new_name(ld, g, "queue", where, ld->qnames, lines,
		    t->nqueues);
		if (name)
			snprintf(where, sizeof where, "queue '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_queue_keys, where);
		if (script_choice(ld, g, "type", script_qtype_names,
		    "queue type", &q.type) < 0)
			ok = 0;
		if (script_bool(ld, g, "durable", &q.durable) < 0)
			ok = 0;
		if (script_int(ld, g, "ttl_ms", 0, SCRIPT_U32_MAX, &q.ttl_ms) < 0)
			ok = 0;
		if (script_exchange_ref(ld, g, "dead_letter_exchange", 1,
		    &dlx) < 0)
			ok = 0;
		if (script_str(ld, g, "dead_letter_routing_key",
		    SCRIPT_STR_SHORT, &dlrk) < 0)
			ok = 0;
		if (script_int(ld, g, "max_length", 0, INT32_MAX,
		    &q.max_length) < 0)
			ok = 0;
		v = OVERFLOW_DROP_HEAD;
		if (script_choice(ld, g, "overflow", script_overflow_names,
		    NULL, &v) < 0)
			ok = 0;
		q.overflow = (enum queue_overflow)v;
		ls = config_setting_get_member(g, "delivery_limit");
		if (ls && script_int_of(ld, ls, NULL, 1, INT32_MAX,
		    &q.delivery_limit) < 0)
			ok = 0;
		if (ls && q.type != QTYPE_QUORUM) {
			script_report(ld, ls, "'delivery_limit' needs type = "
			    "\"quorum\": only quorum queues count deliveries");
			ok = 0;
		}
		if (q.type == QTYPE_QUORUM && q.durable == 0) {
			script_report(ld, config_setting_get_member(g,
			    "durable"), "a quorum queue is always durable; "
			    "remove durable = false");
			ok = 0;
		}
		v = QROLE_WORK;
		if (script_choice(ld, g, "role", script_role_names, NULL,
		    &v) < 0)
			ok = 0;
		q.role = (enum queue_role)v;
		if (!ok || name == NULL)
			continue;
		q.name = xstrdup(name);
		q.dlx = dlx ? xstrdup(dlx) : NULL;
		q.dlrk = dlrk ? xstrdup(dlrk) : NULL;
		q.line = script_src_line(ld, g);
		ld->qnames[t->nqueues] = q.name;
		t->queues[t->nqueues++] = q;
	}
}

/*
 * Group `s` of string values (binding args, publish headers) into a new
 * array of pairs. Returns the count; *out is NULL when it is 0.
 */
static size_t
script_pairs(struct script_loader *ld, const config_setting_t *s,
    struct topo_kv **out)
{
	int n = config_setting_length(s);
	size_t count = 0;

	*out = NULL;
	if (!script_is_group(ld, s, NULL) || n == 0)
		return 0;
	*out = xcalloc((size_t)n, sizeof **out);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s,
		    (unsigned)i);
		const char *v;

		if (script_str_of(ld, m, NULL, 0, &v) < 0)
			continue;
		(*out)[count].key = xstrdup(config_setting_name(m));
		(*out)[count].value = xstrdup(v);
		count++;
	}
	return count;
}

static void
script_free_pairs(struct topo_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
script_bindings(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->bindings = xcalloc((size_t)n, sizeof *t->bindings);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ms, *as;
		const struct topo_exchange *x = NULL;
		const char *xname = NULL, *qname = NULL, *key = "";
		struct topo_binding b = { .match_all = 1 };
		int ok = 1, match = 1, headers;
		char where[48];

		snprintf(where, sizeof where, "binding %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		script_keys(ld, g, script_binding_keys, where);
		if (script_get(ld, g, "exchange", 1, where) == NULL ||
		    script_exchange_ref(ld, g, "exchange", 0, &xname) < 0)
			ok = 0;
		else
			x = script_exchange(ld, xname);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &qname) <= 0)
			ok = 0;
		if (script_str(ld, g, "key", SCRIPT_STR_SHORT, &key) < 0)
			ok = 0;
		headers = x && script_routing(x) == XTYPE_HEADERS;
		ms = config_setting_get_member(g, "match");
		as = config_setting_get_member(g, "args");
		if (x && !headers && (ms || as)) {
			script_report(ld, ms ? ms : as, "'%s' applies only to "
			    "headers exchanges; '%s' is %s", ms ? "match" :
			    "args", SCRIPT_CLIP(x->name),
			    topology_exchange_type_name(script_routing(x)));
			ok = 0;
		}
		if (ms && script_choice_of(ld, ms, NULL, script_match_names,
		    NULL, &match) < 0)
			ok = 0;
		if (as)
			b.nargs = script_pairs(ld, as, &b.args);
		if (!ok) {
			script_free_pairs(b.args, b.nargs);
			continue;
		}
		b.exchange = xstrdup(xname);
		b.queue = xstrdup(qname);
		b.key = xstrdup(key);
		b.match_all = match;
		b.line = script_src_line(ld, g);
		t->bindings[t->nbindings++] = b;
	}
}

static void
script_consumers(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->consumers = xcalloc((size_t)n, sizeof *t->consumers);
	ld->cnames = xcalloc((size_t)n + 1, sizeof *ld->cnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		struct topo_consumer c;
		int lines[SCRIPT_MAX_DECLS];
		const char *name, *queue = NULL;
		char where[48];

		snprintf(where, sizeof where, "consumer %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		for (size_t k = 0; k < t->nconsumers; k++)
			lines[k] = t->consumers[k].line;
		name = script_new_name(ld, g, "consumer", where, ld->cnames,
		    lines, t->nconsumers);
		if (name)
			snprintf(where, sizeof where, "consumer '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_consumer_keys, where);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &queue) <= 0 || name == NULL)
			continue;
		c.name = xstrdup(name);
		c.queue = xstrdup(queue);
		c.line = script_src_line(ld, g);
		ld->cnames[t->nconsumers] = c.name;
		t->consumers[t->nconsumers++] = c;
	}
}

/* publish = { exchange; key; } and error = { exchange; key; }. */
static void
script_target(struct script_loader *ld, const config_setting_t *g,
    const char *what, char **exchange, char **key)
{
	const char *x = "", *k = "";
	int isdefault = strcmp(what, "publish") == 0;

	if (!script_is_group(ld, g, NULL))
		return;
	script_keys(ld, g, script_target_keys, what);
	if (!isdefault && script_get(ld, g, "exchange", 1, what) == NULL)
		return;
	if (script_exchange_ref(ld, g, "exchange", isdefault, &x) < 0 ||
	    script_str(ld, g, "key", SCRIPT_STR_SHORT, &k) < 0)
		return;
	free(*exchange);
	free(*key);
	*exchange = xstrdup(x);
	*key = xstrdup(k);
}

static void
script_topology(struct script_loader *ld, const config_setting_t *root)
{
	struct topology *t = &ld->s->topo;
	const config_setting_t *g, *s;

	t->publish_exchange = xstrdup("");
	t->publish_key = xstrdup("");
	g = script_get(ld, root, "topology", 1, "the script");
	if (g == NULL || !script_is_group(ld, g, NULL))
		return;
	script_keys(ld, g, script_topo_keys, "topology");
	/* In dependency order, whatever the order in the file. */
	if ((s = config_setting_get_member(g, "exchanges")) != NULL)
		script_exchanges(ld, s);
	if ((s = config_setting_get_member(g, "queues")) != NULL)
		script_queues(ld, s);
	if ((s = config_setting_get_member(g, "bindings")) != NULL)
		script_bindings(ld, s);
	if ((s = config_setting_get_member(g, "consumers")) != NULL)
		script_consumers(ld, s);
	if ((s = config_setting_get_member(g, "publish")) != NULL)
		script_target(ld, s, "publish", &t->publish_exchange,
		    &t->publish_key);
	if ((s = config_setting_get_member(g, "error")) != NULL)
		script_target(ld, s, "error", &t->error_exchange,
		    &t->error_key);
}

/* ---------------------------------------------------------------------- */
/* Toggles                                                                  */

/*
 * Group `g` of toggle settings into a new array *out (n of them): each key
 * a toggle name, each value of the toggle's type and within its range.
 */
static void
script_toggles(struct script_loader *ld, const config_setting_t *g,
    const char *where, int nonempty, struct script_toggle **out, size_t *nout)
{
	int n;

	*out = NULL;
	*nout = 0;
	if (!script_is_group(ld, g, NULL))
		return;
	n = config_setting_length(g);
	if (n == 0 && nonempty) {
		script_report(ld, g, "%s is empty; name at least one toggle",
		    where);
		return;
	}
	if (n == 0)
		return;
	*out = xcalloc((size_t)n, sizeof **out);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m);
		const struct toggle_info *info;
		int id = toggle_find(name), type = config_setting_type(m);
		int64_t v = 0;

		if (id < 0 && ld->full)
			continue;
		if (id < 0) {
			const char *sug = script_suggest(name, ld->tnames);
			if (sug)
				script_report(ld, m, "unknown key '%s' in %s "
				    "(did you mean '%s'?)", SCRIPT_CLIP(name),
				    where, sug);
			else
				script_report(ld, m, "unknown key '%s' in %s; "
				    "toggles are %s", SCRIPT_CLIP(name), where,
				    SCRIPT_JOIN(ld->tnames));
			continue;
		}
		info = toggle_info((enum toggle_id)id);
		switch (info->type) {
		case TOGGLE_BOOL:
			if (type != CONFIG_TYPE_BOOL) {
				script_wrong_type(ld, m, NULL, script_want_bool);
				continue;
			}
			v = config_setting_get_bool(m) ? 1 : 0;
			break;
		case TOGGLE_ENUM: {
			const char *choices[9];
			char buf[128];
			size_t k = 0;
			int c;
			snprintf(buf, sizeof buf, "%s", info->choices);
			for (char *p = buf; p && k < 8; k++) {
				choices[k] = p;
				p = strchr(p, '|');
				if (p)
					*p++ = '\0';
			}
			choices[k] = NULL;
			if (script_choice_of(ld, m, NULL, choices, NULL, &c) < 0)
				continue;
			v = c;
			break;
		}
		case TOGGLE_INT:
			if (script_int_of(ld, m, NULL, info->min, info->max,
			    &v) < 0)
				continue;
			break;
		case TOGGLE_RATIO: {
			double d, x;
			if (type == CONFIG_TYPE_FLOAT)
				d = config_setting_get_float(m);
			else if ((type == CONFIG_TYPE_INT ||
			    type == CONFIG_TYPE_INT64) && !script_big(ld, m))
				d = (double)config_setting_get_int64(m);
			else {
				if (!script_big(ld, m))
					script_wrong_type(ld, m, NULL,
					    "a number");
				continue;
			}
			x = d * 1000;
			if (!isfinite(x) || x < (double)info->min - 0.5 ||
			    x > (double)info->max + 0.5) {
				script_report(ld, m, "'%s' is %g, expected %g to "
				    "%g", name, d, (double)info->min / 1000,
				    (double)info->max / 1000);
				continue;
			}
			v = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
			if (v < info->min)
				v = info->min;
			if (v > info->max)
				v = info->max;
			break;
		}
		}
		(*out)[*nout].id = (enum toggle_id)id;
		(*out)[*nout].value = v;
		(*out)[*nout].line = script_src_line(ld, m);
		(*nout)++;
	}
}

/* ---------------------------------------------------------------------- */
/* Expectations                                                             */

static void
script_counter_add(void *ctx, const char *name)
{
	struct script_loader *ld = ctx;

	ld->counters = xgrow(ld->counters, &ld->capcounters,
	    ld->ncounters + 2, sizeof *ld->counters);
	ld->counters[ld->ncounters++] = xstrdup(name);
	ld->counters[ld->ncounters] = NULL;
}

/* A count (min = max) or a range [min, max] of counts. Returns 1 or -1. */
static int
script_range_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, uint64_t *min, uint64_t *max)
{
	int type = config_setting_type(s);
	int64_t a, b;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		if (script_int_of(ld, s, label, 0, INT64_MAX, &a) < 0)
			return -1;
		*min = *max = (uint64_t)a;
		return 1;
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		script_wrong_type(ld, s, label, script_want_range);
		return -1;
	}
	if (config_setting_length(s) != 2) {
		script_report(ld, s, "%s must be a range [min, max] of two "
		    "counts, not %d values", SCRIPT_LABEL(s, label),
		    config_setting_length(s));
		return -1;
	}
	label = SCRIPT_LABEL(s, label);
	if (script_int_of(ld, config_setting_get_elem(s, 0), label, 0,
	    INT64_MAX, &a) < 0 || script_int_of(ld,
	    config_setting_get_elem(s, 1), label, 0, INT64_MAX, &b) < 0)
		return -1;
	if (a > b) {
		script_report(ld, s, "%s is [%lld, %lld]: min is above max",
		    label, (long long)a, (long long)b);
		return -1;
	}
	*min = (uint64_t)a;
	*max = (uint64_t)b;
	return 1;
}

static void
script_expect_add(struct script_expect **v, size_t *n, size_t *cap,
    char *counter, uint64_t min, uint64_t max, int line)
{
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	(*v)[*n].counter = counter;
	(*v)[*n].min = min;
	(*v)[*n].max = max;
	(*v)[*n].line = line;
	(*n)++;
}

/* expect = { counter = N or [min, max]; ... }, appended to *v. */
static void
script_expect(struct script_loader *ld, const config_setting_t *g,
    struct script_expect **v, size_t *n, size_t *cap)
{
	int count;

	if (!script_is_group(ld, g, NULL))
		return;
	count = config_setting_length(g);
	if (count == 0) {
		script_report(ld, g, "'expect' is empty; name at least one "
		    "counter");
		return;
	}
	if (ld->counters == NULL)
		ledger_counter_names(script_counter_add, ld);
	for (int i = 0; i < count; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m);
		uint64_t min, max;

		if (ld->counters == NULL ||
		    !script_has((const char *const *)ld->counters, name)) {
			const char *const *all = (const char *const *)
			    ld->counters;
			static const char *const none[] = { NULL };
			if (ld->full)
				continue;
			if (all == NULL)
				all = none;
			if (script_suggest(name, all))
				script_report(ld, m, "unknown counter '%s' in "
				    "expect%s", SCRIPT_CLIP(name),
				    SCRIPT_MEAN(name, all));
			else
				script_report(ld, m, "unknown counter '%s' in "
				    "expect; counters are %s",
				    SCRIPT_CLIP(name), SCRIPT_JOIN(all));
			continue;
		}
		if (script_range_of(ld, m, NULL, &min, &max) < 0)
			continue;
		script_expect_add(v, n, cap, xstrdup(name), min, max,
		    script_src_line(ld, m));
	}
}

/* expect_queue = ( { queue; ready; unacked; }, ... ), appended to *v. */
static void
script_expect_queue(struct script_loader *ld, const config_setting_t *list,
    struct script_expect **v, size_t *n, size_t *cap)
{
	static const char *const fields[] = { "ready", "unacked" };
	int count;

	if (!script_is_list(ld, list, 1, INT32_MAX))
		return;
	count = config_setting_length(list);
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const char *queue = NULL;
		char where[48];
		int any = 0;

		snprintf(where, sizeof where, "expect_queue entry %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		script_keys(ld, g, script_equeue_keys, where);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &queue) <= 0)
			queue = NULL;
		for (int f = 0; f < 2; f++) {
			const config_setting_t *m = config_setting_get_member(g,
			    fields[f]);
			uint64_t min, max;

			if (m == NULL)
				continue;
			any = 1;
			if (script_range_of(ld, m, NULL, &min, &max) < 0 ||
			    queue == NULL)
				continue;
			script_expect_add(v, n, cap, xasprintf("queue.%s.%s",
			    queue, fields[f]), min, max, script_src_line(ld, m));
		}
		if (!any)
			script_report(ld, g, "%s expects nothing: give it "
			    "ready, unacked or both", where);
	}
}

/* ---------------------------------------------------------------------- */
/* Steps                                                                    */

/* The failure target: producer, consumer, or a declared name. */
static int
script_fail_target(struct script_loader *ld, const config_setting_t *g,
    const char **out)
{
	static const char *const none[] = { NULL };
	const config_setting_t *s = config_setting_get_member(g, "target");
	const char *const *lists[3];
	const char **all;
	const char *v;
	size_t n = 2, k = 0;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_NONEMPTY | SCRIPT_STR_SHORT,
	    &v) < 0)
		return -1;
	lists[0] = ld->qnames ? ld->qnames : none;
	lists[1] = ld->xnames ? ld->xnames : none;
	lists[2] = ld->cnames ? ld->cnames : none;
	if (strcmp(v, "producer") == 0 || strcmp(v, "consumer") == 0 ||
	    script_has(lists[0], v) || script_has(lists[1], v) ||
	    script_has(lists[2], v)) {
		*out = v;
		return 1;
	}
	if (ld->full)
		return -1;
	/* Only now is the list of every candidate worth building. */
	n += ld->s->topo.nqueues + ld->s->topo.nexchanges +
	    ld->s->topo.nconsumers;
	all = xcalloc(n + 1, sizeof *all);
	all[k++] = "producer";
	all[k++] = "consumer";
	for (int i = 0; i < 3; i++)
		for (const char *const *p = lists[i]; *p && k < n; p++)
			all[k++] = *p;
	script_report(ld, s, "unknown target '%s'%s; expected producer, "
	    "consumer, or a declared queue, exchange or consumer",
	    SCRIPT_CLIP(v), SCRIPT_MEAN(v, all));
	free(all);
	return -1;
}

static void
script_publish(struct script_loader *ld, const config_setting_t *g,
    struct publish_req *p)
{
	const config_setting_t *ds, *hs;
	const char *x = NULL, *key = NULL;
	int64_t v;
	int xr;

	p->count = 1;
	p->expiration_ms = -1;
	p->delay_ms = -1;
	p->persistent = -1;
	if (script_int(ld, g, "count", 1, 10000000, &v) > 0)
		p->count = (uint32_t)v;
	xr = script_exchange_ref(ld, g, "exchange", 1, &x);
	if (xr > 0)
		p->exchange = xstrdup(x);
	if (script_str(ld, g, "key", SCRIPT_STR_SHORT, &key) > 0)
		p->key = xstrdup(key);
	script_bool(ld, g, "persistent", &p->persistent);
	script_int(ld, g, "expiration_ms", 0, SCRIPT_U32_MAX,
	    &p->expiration_ms);
	ds = config_setting_get_member(g, "delay_ms");
	if (ds && script_int_of(ld, ds, NULL, 0, SCRIPT_U32_MAX,
	    &p->delay_ms) > 0 && xr >= 0) {
		/* Other exchanges ignore x-delay: say so before a run. */
		const char *to = xr > 0 ? x : ld->s->topo.publish_exchange;
		const struct topo_exchange *e = *to ? script_exchange(ld, to) :
		    NULL;
		if (*to == '\0')
			script_report(ld, ds, "'delay_ms' needs an "
			    "x-delayed-message exchange, but this publish goes "
			    "to the default exchange");
		else if (e && e->type != XTYPE_DELAYED)
			script_report(ld, ds, "'delay_ms' needs an "
			    "x-delayed-message exchange, but '%s' is %s",
			    SCRIPT_CLIP(to), topology_exchange_type_name(e->type));
	}
	if (script_int(ld, g, "every_ms", 0, SCRIPT_MS_MAX, &v) > 0)
		p->every_us = v * 1000;
	if ((hs = config_setting_get_member(g, "headers")) != NULL) {
		struct topo_kv *kv;
		p->nheaders = script_pairs(ld, hs, &kv);
		p->headers = kv;
	}
}

static void
script_action(struct script_loader *ld, const config_setting_t *g,
    enum script_action_kind kind, const char *where, struct script_action *a)
{
	const config_setting_t *s;
	const char *v;
	int64_t n;
	int k;

	a->kind = kind;
	switch (kind) {
	case ACT_PUBLISH:
		script_publish(ld, g, &a->publish);
		break;
	case ACT_TOGGLE:
		s = script_get(ld, g, "set", 1, where);
		if (s)
			script_toggles(ld, s, "'set'", 1, &a->toggles,
			    &a->ntoggles);
		break;
	case ACT_FAIL:
		s = script_get(ld, g, "failure", 1, where);
		if (s && script_choice_of(ld, s, NULL, script_failure_names,
		    "failure", &k) > 0)
			a->fail.kind = (enum failure_kind)k;
		if (script_fail_target(ld, g, &v) > 0)
			a->fail.target = xstrdup(v);
		script_int(ld, g, "ms", 0, SCRIPT_MS_MAX, &a->fail.ms);
		if (script_int(ld, g, "times", 0, 1000000, &n) > 0)
			a->fail.times = (int)n;
		script_bool(ld, g, "unreadable", &a->fail.unreadable);
		break;
	case ACT_WAIT:
		/* Recordings keep microseconds: "us" instead of "ms". */
		if (config_setting_get_member(g, "us") != NULL &&
		    config_setting_get_member(g, "ms") == NULL) {
			script_int(ld, g, "us", 0, SCRIPT_MS_MAX * INT64_C(1000),
			    &a->us);
			break;
		}
		s = script_get(ld, g, "ms", 1, where);
		if (s)
			script_int_of(ld, s, NULL, 0, SCRIPT_MS_MAX, &a->ms);
		if (config_setting_get_member(g, "us") != NULL)
			script_report(ld, config_setting_get_member(g, "us"),
			    "a wait takes 'ms' or 'us', not both");
		break;
	case ACT_SETTLE:
		a->ms = 60000;
		script_int(ld, g, "ms", 0, SCRIPT_MS_MAX, &a->ms);
		break;
	case ACT_CONSUME:
	case ACT_STOP:
		if (script_ref(ld, g, "consumer", 0, where, "consumer",
		    ld->cnames, &v) > 0)
			a->consumer = xstrdup(v);
		break;
	case ACT_RESTART:
	case ACT_NONE:
		break;
	}
}

static void
script_question(struct script_loader *ld, const config_setting_t *g,
    const char *where, struct script_step *st)
{
	struct script_question *q = xcalloc(1, sizeof *q);
	const config_setting_t *cs, *as;
	int64_t answer;
	int n = 0;

	st->ask = q;
	script_text(ld, g, "ask", 1, where, &q->prompt);
	cs = script_get(ld, g, "choices", 1, where);
	if (cs && script_is_list(ld, cs, 2, 6)) {
		n = config_setting_length(cs);
		q->choices = xcalloc((size_t)n, sizeof *q->choices);
		q->nchoices = (size_t)n;
		for (int i = 0; i < n; i++) {
			char label[32];
			snprintf(label, sizeof label, "choice %d", i + 1);
			script_text_of(ld, config_setting_get_elem(cs,
			    (unsigned)i), label, &q->choices[i]);
		}
	}
	as = script_get(ld, g, "answer", 1, where);
	if (as && script_int_of(ld, as, NULL, 1, n ? n : 6, &answer) > 0)
		q->answer = (size_t)(answer - 1);
	script_text(ld, g, "explain", 1, where, &q->explain);
}

static void
script_step(struct script_loader *ld, const config_setting_t *g,
    const char *where, int in_challenge, struct script_step *st)
{
	const config_setting_t *ds, *s;
	const char *const *params = NULL;
	int kind = -1, any = 0;

	st->line = script_src_line(ld, g);
	script_keys(ld, g, script_step_keys, where);
	if (config_setting_get_member(g, "say")) {
		any = 1;
		script_text(ld, g, "say", 0, where, &st->say);
	}
	ds = config_setting_get_member(g, "do");
	if (ds) {
		any = 1;
		if (script_choice_of(ld, ds, NULL, script_action_names,
		    "action", &kind) > 0)
			params = script_action_params[kind];
	}
	/* Parameters must belong to the step's action. */
	for (int i = SCRIPT_FIRST_PARAM; script_step_keys[i]; i++) {
		const char *key = script_step_keys[i];
		if ((s = config_setting_get_member(g, key)) == NULL)
			continue;
		if (ds == NULL)
			script_report(ld, s, "'%s' is a parameter of an action, "
			    "but %s has no 'do'", key, where);
		else if (params && !script_has(params, key))
			script_report(ld, s, "'%s' does not apply to do = "
			    "\"%s\"; %s takes %s", key,
			    script_action_names[kind],
			    script_action_names[kind], params[0] ?
			    SCRIPT_JOIN(params) : "no parameters");
	}
	if (params)
		script_action(ld, g, (enum script_action_kind)(ACT_PUBLISH +
		    kind), where, &st->action);
	s = config_setting_get_member(g, "ask");
	if (s && in_challenge) {
		any = 1;
		script_report(ld, s, "a challenge step cannot ask a question");
	} else if (s) {
		any = 1;
		script_question(ld, g, where, st);
	} else {
		static const char *const qkeys[] = { "choices", "answer",
			"explain", NULL };
		for (int i = 0; qkeys[i]; i++)
			if ((s = config_setting_get_member(g, qkeys[i])))
				script_report(ld, s, "'%s' belongs to a question, "
				    "but %s has no 'ask'", qkeys[i], where);
	}
	{
		size_t cap = 0;
		if ((s = config_setting_get_member(g, "expect")) != NULL) {
			any = 1;
			script_expect(ld, s, &st->expects, &st->nexpects, &cap);
		}
		if ((s = config_setting_get_member(g, "expect_queue")) != NULL) {
			any = 1;
			script_expect_queue(ld, s, &st->expects, &st->nexpects,
			    &cap);
		}
	}
	if (!any)
		script_report(ld, g, "%s does nothing: give it at least one of "
		    "say, do, ask, expect, expect_queue", where);
}

/* steps = ( { ... }, ... ) into a new array. */
static void
script_steps(struct script_loader *ld, const config_setting_t *list,
    int in_challenge, struct script_step **out, size_t *nout)
{
	int n;

	if (!script_is_list(ld, list, 1, INT32_MAX))
		return;
	n = config_setting_length(list);
	*out = xcalloc((size_t)n, sizeof **out);
	*nout = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		char where[48];

		snprintf(where, sizeof where, "%sstep %d",
		    in_challenge ? "challenge " : "", i + 1);
		if (script_is_group(ld, g, where))
			script_step(ld, g, where, in_challenge, &(*out)[i]);
		else
			(*out)[i].line = script_src_line(ld, g);
	}
}

static void
script_challenge(struct script_loader *ld, const config_setting_t *g)
{
	struct script_challenge *c;
	const config_setting_t *s;
	size_t cap = 0;

	if (!script_is_group(ld, g, NULL))
		return;
	c = xcalloc(1, sizeof *c);
	ld->s->challenge = c;
	c->line = script_src_line(ld, g);
	script_keys(ld, g, script_challenge_keys, "the challenge");
	script_text(ld, g, "goal", 1, "the challenge", &c->goal);
	if ((s = config_setting_get_member(g, "setup")) != NULL)
		script_toggles(ld, s, "'setup'", 0, &c->setup, &c->nsetup);
	if ((s = script_get(ld, g, "steps", 1, "the challenge")) != NULL)
		script_steps(ld, s, 1, &c->steps, &c->nsteps);
	if ((s = script_get(ld, g, "expect", 1, "the challenge")) != NULL)
		script_expect(ld, s, &c->expects, &c->nexpects, &cap);
	if ((s = script_get(ld, g, "hints", 1, "the challenge")) != NULL &&
	    script_is_list(ld, s, 1, INT32_MAX)) {
		int n = config_setting_length(s);
		c->hints = xcalloc((size_t)n, sizeof *c->hints);
		c->nhints = (size_t)n;
		for (int i = 0; i < n; i++) {
			char label[32];
			snprintf(label, sizeof label, "hint %d", i + 1);
			script_text_of(ld, config_setting_get_elem(s,
			    (unsigned)i), label, &c->hints[i]);
		}
	}
	if ((s = script_get(ld, g, "solution", 1, "the challenge")) != NULL)
		script_toggles(ld, s, "'solution'", 1, &c->solution,
		    &c->nsolution);
}

static void
script_root(struct script_loader *ld, const config_setting_t *root)
{
	struct script *s = ld->s;
	const config_setting_t *v;
	const char *id;
	int64_t seed;

	script_keys(ld, root, script_top_keys, "the script");
	v = script_get(ld, root, "id", 1, "the script");
	if (v && script_str_of(ld, v, NULL, 0, &id) > 0) {
		size_t len = strlen(id);
		if (len == 0 || len > SCRIPT_ID_MAX ||
		    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
			script_report(ld, v, "'id' is '%s'; expected 1 to %d "
			    "lowercase letters, digits and '-', like "
			    "\"01-first-message\"", SCRIPT_CLIP(id),
			    SCRIPT_ID_MAX);
		else
			s->id = xstrdup(id);
	}
	script_text(ld, root, "title", 1, "the script", &s->title);
	script_text(ld, root, "summary", 0, "the script", &s->summary);
	if (script_int(ld, root, "seed", 0, INT64_MAX, &seed) > 0)
		s->seed = (uint64_t)seed;
	script_bool(ld, root, "sim_only", &s->sim_only);
	script_topology(ld, root);
	if ((v = config_setting_get_member(root, "toggles")) != NULL)
		script_toggles(ld, v, "toggles", 0, &s->toggles, &s->ntoggles);
	if ((v = script_get(ld, root, "steps", 1, "the script")) != NULL)
		script_steps(ld, v, 0, &s->steps, &s->nsteps);
	if ((v = config_setting_get_member(root, "challenge")) != NULL)
		script_challenge(ld, v);
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */

static void
script_loader_free(struct script_loader *ld)
{
	free(ld->text);
	free(ld->segs);
	for (size_t i = 0; i < ld->nfiles; i++)
		free(ld->files[i]);
	free(ld->files);
	free(ld->bigs);
	free(ld->commas);
	free(ld->bares);
	free(ld->members);
	free(ld->xnames);
	free(ld->qnames);
	free(ld->cnames);
	for (size_t i = 0; i < ld->ncounters; i++)
		free(ld->counters[i]);
	free(ld->counters);
}

/*
 * Scans, parses and validates text `buf` (n bytes) on behalf of file or
 * name `ld->name`. Frees nothing of the caller's.
 */
static struct script *
script_load_text(struct script_loader *ld, const char *buf, size_t n)
{
	struct script *s = NULL;
	config_t cfg;

	for (int i = 0; i < TOGGLE_COUNT; i++)
		ld->tnames[i] = toggle_info((enum toggle_id)i)->name;
	ld->tnames[TOGGLE_COUNT] = NULL;
	ld->lines = 1;
	ld->members = xgrow(NULL, &ld->capdepth, 16, sizeof *ld->members);
	ld->members[0] = 0;
	if (script_scan(ld, ld->name, buf, n, 0) < 0)
		return NULL;
	if (ld->text == NULL)
		script_emit(ld, "", 0);
	config_init(&cfg);
	/*
	 * The scanner has expanded every @include already; this only keeps
	 * libconfig from reading against the working directory if one ever
	 * got through.
	 */
	if (ld->include_dir)
		config_set_include_dir(&cfg, ld->include_dir);
	if (config_read_string(&cfg, ld->text) != CONFIG_TRUE) {
		const char *error = config_error_text(&cfg);
		int at = config_error_line(&cfg);
		char hint[160];

		if (error == NULL)
			error = "syntax error";
		script_report_line(ld, at, "syntax error%s%s%s",
		    strcmp(error, "syntax error") == 0 ? "" : ": ",
		    strcmp(error, "syntax error") == 0 ? "" : error,
		    script_syntax_hint(ld, error, at, hint, sizeof hint));
		config_destroy(&cfg);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->path = xstrdup(ld->name);
	s->seed = 1;
	ld->s = s;
	script_root(ld, config_root_setting(&cfg));
	config_destroy(&cfg);
	if (ld->added > 0) {
		script_free(s);
		return NULL;
	}
	return s;
}

struct script *
script_load(const char *path, struct script_diag *diag)
{
	struct script_loader ld = { 0 };
	struct script_diag local = { 0 };
	struct script *s = NULL;
	const char *slash;
	char *buf, *why = NULL, *dir = NULL;
	size_t len = 0;

	ld.name = path;
	ld.diag = diag ? diag : &local;
	ld.allow_include = 1;
	buf = script_read_file(path, &len, &why);
	if (buf == NULL) {
		/* No line to point at: line 0 says "the file itself". */
		script_diag_add(ld.diag, "%s:0: cannot read the script: %s",
		    path, why);
		free(why);
		script_diag_free(&local);
		return NULL;
	}
	/* Includes are relative to the script, as a teacher expects. */
	slash = strrchr(path, '/');
	if (slash)
		dir = slash == path ? xstrdup("/") :
		    xasprintf("%.*s", (int)(slash - path), path);
	ld.include_dir = dir;
	s = script_load_text(&ld, buf, len);
	script_loader_free(&ld);
	free(dir);
	free(buf);
	script_diag_free(&local);
	return s;
}

struct script *
script_load_string(const char *text, const char *name,
    struct script_diag *diag)
{
	struct script_loader ld = { 0 };
	struct script_diag local = { 0 };
	struct script *s = NULL;
	size_t len = text ? strlen(text) : 0;

	ld.name = name ? name : "(script)";
	ld.diag = diag ? diag : &local;
	if (len > SCRIPT_MAX_BYTES)
		script_report_file(&ld, ld.name, 1, "the script is %zu bytes; "
		    "a script may be at most 1 MiB (%d bytes)", len,
		    SCRIPT_MAX_BYTES);
	else
		s = script_load_text(&ld, text ? text : "", len);
	script_loader_free(&ld);
	script_diag_free(&local);
	return s;
}

/* ---------------------------------------------------------------------- */
/* Freeing and access                                                       */

static void
script_text_clear(struct script_text *t)
{
	free(t->en);
	free(t->zh);
	t->en = t->zh = NULL;
}

static void
script_steps_free(struct script_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct script_step *st = &steps[i];
		struct script_action *a = &st->action;

		script_text_clear(&st->say);
		if (st->ask) {
			script_text_clear(&st->ask->prompt);
			for (size_t k = 0; k < st->ask->nchoices; k++)
				script_text_clear(&st->ask->choices[k]);
			free(st->ask->choices);
			script_text_clear(&st->ask->explain);
			free(st->ask);
		}
		free((char *)a->publish.exchange);
		free((char *)a->publish.key);
		script_free_pairs((struct topo_kv *)a->publish.headers,
		    a->publish.nheaders);
		free(a->toggles);
		free((char *)a->fail.target);
		free(a->consumer);
		for (size_t k = 0; k < st->nexpects; k++)
			free(st->expects[k].counter);
		free(st->expects);
	}
	free(steps);
}

void
script_free(struct script *s)
{
	struct script_challenge *c;

	if (s == NULL)
		return;
	free(s->path);
	free(s->id);
	script_text_clear(&s->title);
	script_text_clear(&s->summary);
	topology_clear(&s->topo);
	free(s->toggles);
	script_steps_free(s->steps, s->nsteps);
	if ((c = s->challenge) != NULL) {
		script_text_clear(&c->goal);
		script_steps_free(c->steps, c->nsteps);
		for (size_t k = 0; k < c->nexpects; k++)
			free(c->expects[k].counter);
		free(c->expects);
		for (size_t k = 0; k < c->nhints; k++)
			script_text_clear(&c->hints[k]);
		free(c->hints);
		free(c->setup);
		free(c->solution);
		free(c);
	}
	free(s);
}

const char *
script_text_get(const struct script_text *t, const char *lang)
{
	if (t == NULL)
		return "";
	if (lang && strcmp(lang, "zh") == 0 && t->zh)
		return t->zh;
	if (t->en)
		return t->en;
	return t->zh ? t->zh : "";
}
