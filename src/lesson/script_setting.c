/*
 * The script loader's reports and typed settings: every problem becomes one
 * "FILE:LINE: message" line (at most SCRIPT_MAX_DIAGS of them), located in
 * the file it came from even through @include; unknown words get a "did you
 * mean" from a small edit distance; and each reader checks a setting's type
 * and range before the validator uses it, reporting what was expected.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_loader.h"
#include "util/xmalloc.h"

/* What a setting should have been, for "must be X, not Y" messages. */
const char script_want_int[] = "an integer";
const char script_want_bool[] = "true or false";
const char script_want_string[] = "a string";
const char script_want_group[] = "a group { ... }";
const char script_want_list[] = "a list ( ... )";
const char script_want_text[] =
    "a text { en = \"...\"; zh = \"...\"; }";
const char script_want_range[] = "a count or a range [min, max]";

static const char *const script_text_keys[] = { "en", "zh", NULL };

/* ---------------------------------------------------------------------- */
/* Problems                                                                 */

/*
 * Copies `s` into buf, cut at a character boundary with "..." if it does
 * not fit, so one silly value cannot flood a message.
 */
const char *
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
void
script_report_file(struct script_loader *ld, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	script_vreport(ld, file, line, fmt, ap);
	va_end(ap);
}

/* The file and line a line of the expanded text came from. */
void
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
void
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
int
script_line(const config_setting_t *s)
{
	int line = s ? (int)config_setting_source_line(s) : 0;

	return line > 0 ? line : 1;
}

/* Reports against the line of setting `s`. */
void
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
int
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
const char *
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
const char *
script_mean(const char *word, const char *const *names, char *buf,
    size_t size)
{
	const char *s = script_suggest(word, names);

	if (s == NULL)
		return "";
	snprintf(buf, size, " (did you mean '%s'?)", s);
	return buf;
}

/* The names as "a, b, c", cut with "..." when too long for buf. */
const char *
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

int
script_has(const char *const *names, const char *name)
{
	for (; *names; names++)
		if (strcmp(*names, name) == 0)
			return 1;
	return 0;
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
const char *
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

void
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
config_setting_t *
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
void
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
int
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
int
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
int
script_int(struct script_loader *ld, const config_setting_t *g,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	return s ? script_int_of(ld, s, NULL, min, max, out) : 0;
}

/* Boolean member `key` of `g` into *out: 1, 0 if absent, -1 if wrong. */
int
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
int
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
int
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
int
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

int
script_choice(struct script_loader *ld, const config_setting_t *g,
    const char *key, const char *const *names, const char *noun, int *out)
{
	const config_setting_t *s = config_setting_get_member(g, key);

	return s ? script_choice_of(ld, s, NULL, names, noun, out) : 0;
}

/* Is `s` a group? Reports it otherwise. */
int
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
int
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
int
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

int
script_text(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where,
    struct script_text *out)
{
	const config_setting_t *s = script_get(ld, g, key, required, where);

	return s ? script_text_of(ld, s, NULL, out) : 0;
}
