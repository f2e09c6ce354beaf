/*
 * Display width and wrapping of UTF-8 text. The decoder is our own so that
 * malformed input never stalls a loop; widths come from wcwidth() when the
 * locale knows the character and from the East Asian wide ranges otherwise,
 * so a Chinese lesson lays out the same under C.UTF-8 and zh_CN.UTF-8.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "ui/text.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

size_t
text_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	uint32_t c;

	if (len == 0) {
		*cp = 0;
		return 0;
	}
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		n = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		n = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	if (n > len) {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (u[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff))
	    || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c;
	return n;
}

/* East Asian Wide and Fullwidth ranges that lessons use, for locales whose
 * wcwidth() does not know them. */
static int
text_is_wide(uint32_t c)
{
	static const uint32_t ranges[][2] = {
		{ 0x1100, 0x115f },   /* Hangul Jamo */
		{ 0x2e80, 0x303e },   /* CJK radicals, punctuation */
		{ 0x3041, 0x33ff },   /* kana, CJK symbols */
		{ 0x3400, 0x4dbf },   /* CJK extension A */
		{ 0x4e00, 0x9fff },   /* CJK unified ideographs */
		{ 0xa000, 0xa4cf },   /* Yi */
		{ 0xac00, 0xd7a3 },   /* Hangul syllables */
		{ 0xf900, 0xfaff },   /* CJK compatibility */
		{ 0xfe30, 0xfe4f },   /* CJK compatibility forms */
		{ 0xff00, 0xff60 },   /* fullwidth forms */
		{ 0xffe0, 0xffe6 },
		{ 0x20000, 0x3fffd },
	};

	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return 1;
	return 0;
}

int
text_cp_width(uint32_t cp)
{
	int w;

	if (cp < 0x20 || cp == 0x7f)
		return 0;
	if (cp < 0x7f)
		return 1;
	w = wcwidth((wchar_t)cp);
	if (w >= 0)
		return w > 2 ? 2 : w;
	return text_is_wide(cp) ? 2 : 1;
}

int
text_width_n(const char *s, size_t len)
{
	int w = 0;
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		i += text_decode(s + i, len - i, &cp);
		w += text_cp_width(cp);
	}
	return w;
}

int
text_width(const char *s)
{
	return text_width_n(s, strlen(s));
}

size_t
text_fit(const char *s, size_t len, int cols, int *used)
{
	size_t i = 0;
	int w = 0;

	while (i < len && s[i]) {
		uint32_t cp;
		size_t n = text_decode(s + i, len - i, &cp);
		int cw = text_cp_width(cp);
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	if (used)
		*used = w;
	return i;
}

/* Closing punctuation that must not begin a line. */
static int
text_no_line_start(uint32_t c)
{
	static const uint32_t marks[] = {
		0xff0c, 0x3002, 0xff1b, 0xff1a, 0xff01, 0xff1f, 0x3001,
		0xff09, 0x300d, 0x300f, 0x3011, 0x201d, 0x2019, 0x2026,
		',', '.', ';', ':', '!', '?', ')', ']', '}',
	};

	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (c == marks[i])
			return 1;
	return 0;
}

/* Opening punctuation that must not end a line. */
static int
text_no_line_end(uint32_t c)
{
	static const uint32_t marks[] = {
		0xff08, 0x300c, 0x300e, 0x3010, 0x300a, 0x3008, 0x201c,
		0x2018, '(', '[', '{',
	};

	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		if (c == marks[i])
			return 1;
	return 0;
}

/*
 * Whether the space at s[i] joins a number to its unit ("10 s", "5 ms",
 * "3 秒", "2 笔"): no line ends there, so a unit never starts a line alone.
 */
static int
text_unit_space(const char *s, size_t i, size_t len)
{
	static const char *ascii[] = { "ms", "s", "MB", "KB", "GB", "B", "%" };
	static const uint32_t han[] = { 0x79d2, 0x6beb, 0x5206, 0x6761, 0x7b14,
		0x6b21, 0x4e2a, 0x5b57 }; /* 秒 毫 分 条 笔 次 个 字 */
	uint32_t cp = 0;

	if (s[i] != ' ' || i == 0 || s[i - 1] < '0' || s[i - 1] > '9' ||
	    i + 1 >= len)
		return 0;
	for (size_t k = 0; k < sizeof ascii / sizeof ascii[0]; k++) {
		size_t n = strlen(ascii[k]);
		char after;
		if (strncmp(s + i + 1, ascii[k], n) != 0)
			continue;
		after = s[i + 1 + n];
		if (!((after >= 'a' && after <= 'z') ||
		    (after >= 'A' && after <= 'Z')))
			return 1;
	}
	text_decode(s + i + 1, len - i - 1, &cp);
	for (size_t k = 0; k < sizeof han / sizeof han[0]; k++)
		if (cp == han[k])
			return 1;
	return 0;
}

/* Whether s[i] sits between two digits ("2.0", "1-3"). */
static int
text_in_number(const char *s, size_t i, size_t len)
{
	return i > 0 && i + 1 < len && s[i - 1] >= '0' && s[i - 1] <= '9' &&
	    s[i + 1] >= '0' && s[i + 1] <= '9';
}

size_t
text_wrap(const char *s, int cols, size_t *next)
{
	size_t len = strlen(s), i = 0, brk = 0, brk_next = 0;
	int w = 0, have_brk = 0;

	if (cols < 2)
		cols = 2;
	while (i < len) {
		uint32_t cp, nextcp = 0;
		size_t n = text_decode(s + i, len - i, &cp);
		int cw = text_cp_width(cp);

		if (cp == '\n') {
			*next = i + 1;
			return i;
		}
		if (w + cw > cols) {
			size_t end;
			if (cp == ' ' && !text_unit_space(s, i, len)) {
				brk = brk_next = i;
				have_brk = 1;
			}
			if (!have_brk) {
				/* One long word: cut it after its last '.',
				 * '=', '/', '-' or '_' in the line's second
				 * half (a property name), else where it must,
				 * but not right before closing punctuation
				 * ("true，"): the word's last character goes
				 * along. */
				size_t at = i;
				for (size_t k = i; k-- > i / 2;)
					if (strchr(".=/-_", s[k]) != NULL &&
					    !text_in_number(s, k, len)) {
						at = k + 1;
						break;
					}
				if (at == i && text_no_line_start(cp) &&
				    at > 0) {
					do
						at--;
					while (at > 0 &&
					    ((unsigned char)s[at] & 0xc0) == 0x80);
				}
				if (at == 0)
					at = i;
				*next = at;
				while (*next < len && s[*next] == ' ')
					(*next)++;
				return at;
			}
			end = brk;
			while (end > 0 && s[end - 1] == ' ')
				end--;
			*next = brk_next;
			while (*next < len && s[*next] == ' ')
				(*next)++;
			return end;
		}
		w += cw;
		i += n;
		if (i < len)
			text_decode(s + i, len - i, &nextcp);
		/* A break is allowed after this character when it is a space,
		 * or when either side is wide, unless closing punctuation
		 * follows or this is opening punctuation; never after the
		 * space between a number and its unit. */
		if (!(cp == ' ' && text_unit_space(s, i - n, len)) &&
		    (cp == ' ' || ((cw == 2 || text_cp_width(nextcp) == 2) &&
		    nextcp != ' ' && !text_no_line_start(nextcp) &&
		    !text_no_line_end(cp)))) {
			brk = i;
			brk_next = i;
			have_brk = 1;
		}
	}
	*next = len;
	while (i > 0 && s[i - 1] == ' ')
		i--;
	return i;
}

const char *
text_after_label(const char *label)
{
	size_t n = strlen(label);

	/* U+FF1A FULLWIDTH COLON is EF BC 9A in UTF-8. */
	return n >= 3 && strcmp(label + n - 3, "\xef\xbc\x9a") == 0 ? "" :
	    " ";
}

int
text_wrap_lines(const char *s, int cols)
{
	size_t off = 0, len = strlen(s);
	int lines = 0;

	while (off < len) {
		size_t next;
		text_wrap(s + off, cols, &next);
		if (next == 0)
			next = 1;
		off += next;
		lines++;
	}
	return lines;
}

/* The first byte of the shortest tail of `s` that fits in `cols`. */
static size_t
text_tail(const char *s, size_t len, int cols)
{
	size_t i = 0;

	while (i < len && text_width_n(s + i, len - i) > cols) {
		uint32_t cp;
		i += text_decode(s + i, len - i, &cp);
	}
	return i;
}

char *
text_elide(const char *s, int cols, const char *mark, char *out,
    size_t outlen)
{
	size_t len = strlen(s), head, tail;
	const char *dot = strchr(s, '.');
	int avail = cols - text_width(mark);

	if (outlen == 0)
		return out;
	if (text_width(s) <= cols || avail < 2) {
		/* Fits, or no room for a mark: cut plainly. */
		head = text_fit(s, len, cols < 0 ? 0 : cols, NULL);
		snprintf(out, outlen, "%.*s", (int)head, s);
		return out;
	}
	if (dot && dot != s) {
		/* First part, mark, then as many last parts as fit. */
		head = (size_t)(dot - s);
		for (const char *d = dot; d; d = strchr(d + 1, '.')) {
			if (d[1] != '\0' && text_width_n(s, head) +
			    text_width(d + 1) <= avail) {
				snprintf(out, outlen, "%.*s%s%s", (int)head, s,
				    mark, d + 1);
				return out;
			}
		}
	}
	head = text_fit(s, len, avail / 3, NULL);
	tail = text_tail(s + head, len - head, avail - text_width_n(s, head));
	tail += head;
	/* A dot beside the mark adds nothing. */
	while (head > 1 && s[head - 1] == '.')
		head--;
	while (tail + 1 < len && s[tail] == '.')
		tail++;
	snprintf(out, outlen, "%.*s%s%s", (int)head, s, mark, s + tail);
	return out;
}

int
text_names_actor(const char *s, const char *who)
{
	size_t n = strlen(who);

	return n > 0 && strncmp(s, who, n) == 0 &&
	    (s[n] == ' ' || s[n] == '\0');
}

void
text_undouble(char *s)
{
	char *actor = strchr(s, ' '), *rest;
	char who[64];
	size_t n;

	if (actor == NULL || (rest = strchr(++actor, ' ')) == NULL)
		return;
	n = (size_t)(rest - actor);
	if (n == 0 || n >= sizeof who)
		return;
	memcpy(who, actor, n);
	who[n] = '\0';
	if (text_names_actor(rest + 1, who))
		memmove(actor, rest + 1, strlen(rest + 1) + 1);
}

long
text_read_ms(const char *s)
{
	size_t i = 0, len = strlen(s);
	long ms = 0;

	while (i < len) {
		uint32_t cp;
		i += text_decode(s + i, len - i, &cp);
		ms += text_cp_width(cp) == 2 ? 150 : 50;
	}
	return ms;
}

/* A Han character (the ideographs, not full-width punctuation). */
static int
text_is_han(uint32_t c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff);
}

static int
text_is_latin(uint32_t c)
{
	return c < 0x80 && ((c | 0x20) - 'a' < 26 || c - '0' < 10);
}

char *
text_space_mixed(const char *s, char *out, size_t outlen)
{
	size_t len = strlen(s), i = 0, o = 0;
	uint32_t prev = 0;

	if (outlen == 0)
		return out;
	while (i < len) {
		uint32_t cp;
		size_t n = text_decode(s + i, len - i, &cp);
		if (n == 0)
			break;
		if ((text_is_han(prev) && text_is_latin(cp)) ||
		    (text_is_latin(prev) && text_is_han(cp))) {
			if (o + 1 >= outlen)
				break;
			out[o++] = ' ';
		}
		if (o + n >= outlen)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
		prev = cp;
	}
	out[o] = '\0';
	return out;
}
