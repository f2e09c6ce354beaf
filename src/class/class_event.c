/*
 * The progress event's JSON, both ways. The encoder writes only the
 * fields of the event's kind; the decoder is a small strict reader of one
 * flat JSON object (strings, integers, true and false; nothing nested),
 * written for bytes from the network: every length is checked before it
 * is used, and the first thing that is not the expected shape ends the
 * read with a sentence saying what was expected (tests/fuzz/fuzz_class.c).
 */
#include "class/class_event.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

static const char *const class_kind_names[] = {
#define CLASS_KIND_NAME(k, s) s,
	CLASS_KINDS(CLASS_KIND_NAME)
#undef CLASS_KIND_NAME
};

const char *
class_kind_name(enum class_kind k)
{
	return (unsigned)k < CLASS_KIND_COUNT ? class_kind_names[k] : "?";
}

static void
class_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

int
class_name_ok(const char *s, char *why, size_t why_len)
{
	size_t n = strlen(s);

	if (n == 0 || n >= CLASS_NAME_MAX) {
		class_why(why, why_len, "a name of 1 to %d bytes",
		    CLASS_NAME_MAX - 1);
		return 0;
	}
	for (size_t i = 0; i < n;) {
		size_t k = utf8_len((const unsigned char *)s + i, n - i);
		if (k == 0 || (unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			class_why(why, why_len, "a name in UTF-8 without "
			    "control characters");
			return 0;
		}
		i += k;
	}
	return 1;
}

/* ---- encoding -------------------------------------------------------- */

struct class_out {
	char *p;
	size_t len, n;
	int bad;
};

static void
class_put(struct class_out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->bad)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->p + o->n, o->len - o->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->len - o->n)
		o->bad = 1;
	else
		o->n += (size_t)k;
}

int
class_json_quote(const char *s, char *out, size_t cap)
{
	struct class_out o = { out, cap, 0, 0 };
	size_t n = strlen(s);

	if (cap == 0)
		return -1;
	out[0] = '\0';
	class_put(&o, "\"");
	for (size_t i = 0; i < n && !o.bad;) {
		unsigned char c = (unsigned char)s[i];
		size_t k = utf8_len((const unsigned char *)s + i, n - i);
		if (k == 0)
			return -1;
		if (c == '"' || c == '\\')
			class_put(&o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			class_put(&o, "\\u%04x", c);
		else
			class_put(&o, "%.*s", (int)k, s + i);
		i += k;
	}
	class_put(&o, "\"");
	return o.bad ? -1 : (int)o.n;
}

/* ,"key":"value"; value must be valid UTF-8. */
static void
class_put_str(struct class_out *o, const char *key, const char *v)
{
	int k;

	class_put(o, ",\"%s\":", key);
	if (o->bad)
		return;
	k = class_json_quote(v, o->p + o->n, o->len - o->n);
	if (k < 0)
		o->bad = 1;
	else
		o->n += (size_t)k;
}

int
class_event_encode(const struct class_event *ev, char *buf, size_t len)
{
	struct class_out o = { buf, len, 0, 0 };

	if (len == 0 || (unsigned)ev->kind >= CLASS_KIND_COUNT)
		return -1;
	buf[0] = '\0';
	class_put(&o, "{\"v\":1");
	class_put_str(&o, "id", ev->id);
	class_put_str(&o, "student", ev->student);
	class_put_str(&o, "class", ev->klass);
	class_put_str(&o, "kind", class_kind_name(ev->kind));
	class_put_str(&o, "lesson", ev->lesson);
	switch (ev->kind) {
	case CLASS_ANSWER:
		class_put(&o, ",\"question\":%d,\"choice\":%d,\"right\":%s",
		    ev->question, ev->choice, ev->right ? "true" : "false");
		if (ev->number > 0)
			class_put(&o, ",\"number\":%d", ev->number);
		break;
	case CLASS_ACTION:
		class_put(&o, ",\"step\":%d", ev->step);
		break;
	case CLASS_CHALLENGE:
		class_put(&o, ",\"attempt\":%d,\"met\":%s,"
		    "\"after_solution\":%s", ev->attempt,
		    ev->met ? "true" : "false",
		    ev->after_solution ? "true" : "false");
		break;
	case CLASS_HINT:
		class_put(&o, ",\"hint\":%d", ev->hint);
		break;
	case CLASS_LEAD:
		class_put(&o, ",\"step\":%d,\"released\":%s", ev->step,
		    ev->released ? "true" : "false");
		break;
	default:
		break;
	}
	class_put(&o, ",\"spent_ms\":%" PRId64 ",\"ts\":%" PRId64 "}",
	    ev->spent_ms, ev->ts_ms);
	return o.bad ? -1 : (int)o.n;
}

/* ---- decoding -------------------------------------------------------- */

struct class_in {
	const char *p;    /* the bytes */
	size_t len, at;   /* their length, the read position */
	char *why;
	size_t why_len;
};

/* JSON value types the reader knows. */
enum class_jtype { CJ_STR, CJ_INT, CJ_BOOL };

static void
class_ws(struct class_in *in)
{
	while (in->at < in->len && (in->p[in->at] == ' ' ||
	    in->p[in->at] == '\t' || in->p[in->at] == '\n' ||
	    in->p[in->at] == '\r'))
		in->at++;
}

static int
class_fail(struct class_in *in, const char *expected)
{
	class_why(in->why, in->why_len, "byte %zu: expected %s", in->at,
	    expected);
	return -1;
}

static int
class_expect(struct class_in *in, char c, const char *what)
{
	class_ws(in);
	if (in->at >= in->len || in->p[in->at] != c)
		return class_fail(in, what);
	in->at++;
	return 0;
}

/* Four hex digits after \u into *cp. */
static int
class_hex4(struct class_in *in, uint32_t *cp)
{
	*cp = 0;
	if (in->len - in->at < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = in->p[in->at++];
		*cp <<= 4;
		if (c >= '0' && c <= '9')
			*cp |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*cp |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*cp |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* Appends code point cp as UTF-8 to out (room for `cap` bytes + NUL). */
static int
class_put_cp(char *out, size_t cap, size_t *n, uint32_t cp)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80)
		b[0] = (unsigned char)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (unsigned char)(0xc0 | cp >> 6),
		b[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
	else
		b[0] = (unsigned char)(0xe0 | cp >> 12),
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
		b[2] = (unsigned char)(0x80 | (cp & 0x3f)), k = 3;
	if (*n + k >= cap)
		return -1;
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

/* A JSON string into out (cap bytes with the NUL). */
static int
class_str(struct class_in *in, char *out, size_t cap)
{
	size_t n = 0;

	if (class_expect(in, '"', "a string") != 0)
		return -1;
	while (in->at < in->len && in->p[in->at] != '"') {
		unsigned char c = (unsigned char)in->p[in->at];
		if (c == '\\') {
			uint32_t cp;
			const char *esc = "\"\\/bfnrt", *val = "\"\\/\b\f\n\r\t";
			const char *hit;
			if (++in->at >= in->len)
				return class_fail(in, "an escape");
			hit = in->p[in->at] ? strchr(esc, in->p[in->at]) : NULL;
			if (hit) {
				cp = (unsigned char)val[hit - esc];
				in->at++;
			} else if (in->p[in->at] == 'u') {
				in->at++;
				if (class_hex4(in, &cp) != 0 || cp == 0 ||
				    (cp >= 0xd800 && cp <= 0xdfff))
					return class_fail(in, "\\u and four hex "
					    "digits of a character outside "
					    "U+D800-U+DFFF, not U+0000");
			} else
				return class_fail(in, "one of \\\" \\\\ \\/ \\b "
				    "\\f \\n \\r \\t \\u");
			if (class_put_cp(out, cap, &n, cp) != 0)
				return class_fail(in, "a shorter string");
			continue;
		}
		if (c < 0x20)
			return class_fail(in, "no raw control character in "
			    "a string");
		size_t k = utf8_len((const unsigned char *)in->p + in->at,
		    in->len - in->at);
		if (k == 0)
			return class_fail(in, "UTF-8");
		if (n + k >= cap)
			return class_fail(in, "a shorter string");
		memcpy(out + n, in->p + in->at, k);
		n += k;
		in->at += k;
	}
	if (in->at >= in->len)
		return class_fail(in, "the string's closing quote");
	in->at++;
	out[n] = '\0';
	return 0;
}

/* A JSON integer from lo to hi. */
static int
class_int(struct class_in *in, int64_t lo, int64_t hi, int64_t *v)
{
	int neg = 0, digits = 0;
	uint64_t u = 0;

	class_ws(in);
	if (in->at < in->len && in->p[in->at] == '-')
		neg = 1, in->at++;
	while (in->at < in->len && in->p[in->at] >= '0' &&
	    in->p[in->at] <= '9') {
		if (u > (UINT64_MAX - 9) / 10)
			return class_fail(in, "a smaller number");
		u = u * 10 + (uint64_t)(in->p[in->at++] - '0');
		digits++;
	}
	if (digits == 0)
		return class_fail(in, "a whole number");
	if (u > (uint64_t)INT64_MAX)
		return class_fail(in, "a smaller number");
	*v = neg ? -(int64_t)u : (int64_t)u;
	if (*v < lo || *v > hi)
		return class_fail(in, "a number in range");
	return 0;
}

static int
class_bool(struct class_in *in, int *v)
{
	class_ws(in);
	if (in->len - in->at >= 4 && memcmp(in->p + in->at, "true", 4) == 0) {
		in->at += 4;
		*v = 1;
		return 0;
	}
	if (in->len - in->at >= 5 && memcmp(in->p + in->at, "false", 5) == 0) {
		in->at += 5;
		*v = 0;
		return 0;
	}
	return class_fail(in, "true or false");
}

/* Skips a value of a key the reader does not know (no nesting). */
static int
class_skip(struct class_in *in)
{
	char scratch[CLASS_EVENT_JSON_MAX];
	int64_t i;
	int b;

	class_ws(in);
	if (in->at >= in->len)
		return class_fail(in, "a value");
	if (in->p[in->at] == '"')
		return class_str(in, scratch, sizeof scratch);
	if (in->p[in->at] == 't' || in->p[in->at] == 'f')
		return class_bool(in, &b);
	return class_int(in, INT64_MIN + 1, INT64_MAX, &i);
}

/* The fields the reader knows: key, type, where it goes, bit. */
struct class_field {
	const char *key;
	enum class_jtype type;
	size_t off;       /* offsetof in struct class_event */
	size_t cap;       /* strings: the field's size */
	int64_t lo, hi;   /* integers */
};

#define CF_STR(k, f) { k, CJ_STR, offsetof(struct class_event, f), \
	sizeof(((struct class_event *)0)->f), 0, 0 }
#define CF_INT(k, f, l, h) { k, CJ_INT, offsetof(struct class_event, f), 0, \
	l, h }
#define CF_BOOL(k, f) { k, CJ_BOOL, offsetof(struct class_event, f), 0, 0, 1 }

static const struct class_field class_fields[] = {
	CF_STR("id", id),
	CF_STR("student", student),
	CF_STR("class", klass),
	CF_STR("lesson", lesson),
	CF_INT("ts", ts_ms, 0, INT64_MAX / 2),
	CF_INT("spent_ms", spent_ms, 0, INT64_MAX / 2),
	CF_INT("question", question, 0, 1000000),
	CF_INT("choice", choice, 0, 1000),
	CF_BOOL("right", right),
	CF_INT("step", step, 0, 1000000),
	CF_INT("attempt", attempt, 1, 1000000),
	CF_BOOL("met", met),
	CF_BOOL("after_solution", after_solution),
	CF_INT("hint", hint, 0, 1000),
	CF_BOOL("released", released),
	CF_INT("number", number, 1, 1000000),  /* bit 15; optional */
};
#define CLASS_NFIELDS (sizeof class_fields / sizeof class_fields[0])

/* Which fields each kind needs, as bits of class_fields (beyond the
 * first six, which every event has). */
static uint32_t
class_kind_needs(enum class_kind k)
{
	switch (k) {
	case CLASS_ANSWER:
		return 1u << 6 | 1u << 7 | 1u << 8;
	case CLASS_ACTION:
		return 1u << 9;
	case CLASS_CHALLENGE:
		return 1u << 10 | 1u << 11 | 1u << 12;
	case CLASS_HINT:
		return 1u << 13;
	case CLASS_LEAD:
		return 1u << 9 | 1u << 14;
	default:
		return 0;
	}
}

/* One known key's value into ev; *seen gets its bit. */
static int
class_field_read(struct class_in *in, const struct class_field *f,
    struct class_event *ev)
{
	char *base = (char *)ev;
	int64_t v;

	switch (f->type) {
	case CJ_STR:
		return class_str(in, base + f->off, f->cap);
	case CJ_BOOL:
		return class_bool(in, (int *)(void *)(base + f->off));
	case CJ_INT:
		if (class_int(in, f->lo, f->hi, &v) != 0)
			return -1;
		if (f->off == offsetof(struct class_event, ts_ms) ||
		    f->off == offsetof(struct class_event, spent_ms))
			*(int64_t *)(void *)(base + f->off) = v;
		else
			*(int *)(void *)(base + f->off) = (int)v;
		return 0;
	}
	return -1;
}

/* The members of the object, up to its closing brace. */
static int
class_members(struct class_in *in, struct class_event *ev, char *kind,
    uint32_t *seen, int *has_kind)
{
	char key[32];

	class_ws(in);
	if (in->at < in->len && in->p[in->at] == '}') {
		in->at++;
		return 0;
	}
	for (;;) {
		size_t i;
		if (class_str(in, key, sizeof key) != 0 ||
		    class_expect(in, ':', "':' after a key") != 0)
			return -1;
		if (strcmp(key, "kind") == 0) {
			if (*has_kind)
				return class_fail(in, "each key once");
			*has_kind = 1;
			if (class_str(in, kind, 32) != 0)
				return -1;
		} else {
			for (i = 0; i < CLASS_NFIELDS; i++)
				if (strcmp(key, class_fields[i].key) == 0)
					break;
			if (i < CLASS_NFIELDS && (*seen >> i & 1))
				return class_fail(in, "each key once");
			if (i < CLASS_NFIELDS) {
				*seen |= 1u << i;
				if (class_field_read(in, &class_fields[i],
				    ev) != 0)
					return -1;
			} else if (class_skip(in) != 0)
				return -1;
		}
		class_ws(in);
		if (in->at < in->len && in->p[in->at] == ',') {
			in->at++;
			continue;
		}
		return class_expect(in, '}', "',' or '}'");
	}
}

int
class_event_decode(const char *buf, size_t len, struct class_event *ev,
    char *why, size_t why_len)
{
	struct class_in in = { buf, len, 0, why, why_len };
	char kind[32] = "", namewhy[96];
	uint32_t seen = 0, need;
	int has_kind = 0, k;

	memset(ev, 0, sizeof *ev);
	if (len > CLASS_EVENT_JSON_MAX) {
		class_why(why, why_len, "an event of at most %d bytes, not %zu",
		    CLASS_EVENT_JSON_MAX, len);
		return -1;
	}
	if (class_expect(&in, '{', "a JSON object") != 0 ||
	    class_members(&in, ev, kind, &seen, &has_kind) != 0)
		return -1;
	class_ws(&in);
	if (in.at != in.len)
		return class_fail(&in, "nothing after the object");
	for (k = 0; k < CLASS_KIND_COUNT; k++)
		if (strcmp(kind, class_kind_names[k]) == 0)
			break;
	if (!has_kind || k == CLASS_KIND_COUNT) {
		class_why(why, why_len, "\"kind\": one of lesson_opened, answer, "
		    "action_done, challenge, hint, solution_viewed, lead");
		return -1;
	}
	ev->kind = (enum class_kind)k;
	need = 0x3f | class_kind_needs(ev->kind);
	for (size_t i = 0; i < CLASS_NFIELDS; i++)
		if ((need >> i & 1) && !(seen >> i & 1)) {
			class_why(why, why_len, "a \"%s\" in a %s event",
			    class_fields[i].key, kind);
			return -1;
		}
	/* A field of another kind (a "met" in a hint) is ignored, as an
	 * unknown key is: the event is what its kind encodes. Beyond the
	 * first six, every field is an int. */
	if (ev->kind == CLASS_ANSWER)
		need |= 1u << 15; /* "number", optional in an answer */
	for (size_t i = 6; i < CLASS_NFIELDS; i++) {
		assert(class_fields[i].type != CJ_STR);
		if (!(need >> i & 1))
			*(int *)(void *)((char *)ev + class_fields[i].off) = 0;
	}
	if (ev->id[0] == '\0' || ev->lesson[0] == '\0') {
		class_why(why, why_len, "a non-empty \"id\" and \"lesson\"");
		return -1;
	}
	if (!class_name_ok(ev->student, namewhy, sizeof namewhy) ||
	    !class_name_ok(ev->klass, namewhy, sizeof namewhy)) {
		class_why(why, why_len, "\"student\" and \"class\": %s", namewhy);
		return -1;
	}
	return 0;
}

int
class_event_decode_body(const char *body, size_t len, int over,
    struct class_event *ev, char *why, size_t why_len)
{
	if (over) {
		memset(ev, 0, sizeof *ev);
		class_why(why, why_len, "a message over %d bytes",
		    CLASS_EVENT_JSON_MAX);
		return -1;
	}
	return class_event_decode(body, len, ev, why, why_len);
}
