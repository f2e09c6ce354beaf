/*
 * The toggle table and the conversions between toggle values and text.
 */
#include "model/toggle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct toggle_info toggle_table[TOGGLE_COUNT] = {
#define TOGGLE_ROW(id, name, type, min, max, def, choices, desc)               \
	[TOGGLE_##id] = { name, type, min, max, def, choices, desc },
	TOGGLES(TOGGLE_ROW)
#undef TOGGLE_ROW
};

const struct toggle_info *
toggle_info(enum toggle_id id)
{
	return &toggle_table[id];
}

int
toggle_find(const char *name)
{
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (strcmp(toggle_table[i].name, name) == 0)
			return i;
	return -1;
}

void
toggle_defaults(int64_t values[TOGGLE_COUNT])
{
	for (int i = 0; i < TOGGLE_COUNT; i++)
		values[i] = toggle_table[i].def;
}

/* Index of `text` among the '|' separated `choices`, or -1. */
static int
toggle_choice(const char *choices, const char *text)
{
	size_t len = strlen(text);
	int i = 0;

	for (const char *p = choices;; i++) {
		const char *end = strchr(p, '|');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, text, n) == 0)
			return i;
		if (end == NULL)
			return -1;
		p = end + 1;
	}
}

int
toggle_parse(enum toggle_id id, const char *text, int64_t *out,
    const char **expected)
{
	const struct toggle_info *t = &toggle_table[id];
	char *end;
	int64_t v;

	switch (t->type) {
	case TOGGLE_BOOL:
		if (strcmp(text, "true") == 0 || strcmp(text, "on") == 0 ||
		    strcmp(text, "1") == 0)
			v = 1;
		else if (strcmp(text, "false") == 0 ||
		    strcmp(text, "off") == 0 || strcmp(text, "0") == 0)
			v = 0;
		else {
			*expected = "true or false";
			return -1;
		}
		break;
	case TOGGLE_ENUM:
		v = toggle_choice(t->choices, text);
		if (v < 0) {
			*expected = t->choices;
			return -1;
		}
		break;
	case TOGGLE_INT:
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno || end == text || *end != '\0' || v < t->min ||
		    v > t->max) {
			*expected = "a whole number within the range";
			return -1;
		}
		break;
	case TOGGLE_RATIO: {
		double d;
		errno = 0;
		d = strtod(text, &end);
		/* d != d: NaN passes every comparison below. */
		if (errno || end == text || *end != '\0' || d != d ||
		    d * 1000 < t->min || d * 1000 > t->max) {
			*expected = "a decimal number within the range";
			return -1;
		}
		v = (int64_t)(d * 1000 + 0.5);
		break;
	}
	default:
		*expected = "a value";
		return -1;
	}
	*out = v;
	return 0;
}

const char *
toggle_format(enum toggle_id id, int64_t value, char *buf, size_t len)
{
	const struct toggle_info *t = &toggle_table[id];

	switch (t->type) {
	case TOGGLE_BOOL:
		snprintf(buf, len, "%s", value ? "true" : "false");
		break;
	case TOGGLE_ENUM: {
		const char *p = t->choices;
		for (int64_t i = 0; i < value && p; i++) {
			p = strchr(p, '|');
			if (p)
				p++;
		}
		if (p == NULL)
			p = "?";
		snprintf(buf, len, "%.*s", (int)strcspn(p, "|"), p);
		break;
	}
	case TOGGLE_RATIO: {
		/* Thousandths, without trailing zeros past the first decimal. */
		int frac = (int)(value % 1000);
		if (frac % 100 == 0)
			snprintf(buf, len, "%lld.%d", (long long)(value / 1000),
			    frac / 100);
		else if (frac % 10 == 0)
			snprintf(buf, len, "%lld.%02d", (long long)(value / 1000),
			    frac / 10);
		else
			snprintf(buf, len, "%lld.%03d", (long long)(value / 1000),
			    frac);
		break;
	}
	default:
		snprintf(buf, len, "%lld", (long long)value);
		break;
	}
	return buf;
}
