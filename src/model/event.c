/*
 * Names of event kinds, actors and loss reasons, and the two ways an event is
 * written out: a transcript line for people, a JSON object for programs.
 */
#include "model/event.h"

#include <inttypes.h>
#include <string.h>

static const char *const event_kind_texts[EV_COUNT] = {
#define EVENT_KIND_ROW(id, text) [EV_##id] = text,
	EVENT_KINDS(EVENT_KIND_ROW)
#undef EVENT_KIND_ROW
};

static const char *const event_kind_ids[EV_COUNT] = {
#define EVENT_KIND_ID(id, text) [EV_##id] = #id,
	EVENT_KINDS(EVENT_KIND_ID)
#undef EVENT_KIND_ID
};

static const char *const event_actor_names[ACTOR_COUNT] = {
#define EVENT_ACTOR_ROW(id, name) [ACTOR_##id] = name,
	EVENT_ACTORS(EVENT_ACTOR_ROW)
#undef EVENT_ACTOR_ROW
};

static const struct {
	const char *name, *hop, *text;
} event_reasons[LOSS_COUNT] = {
#define LOSS_REASON_ROW(id, name, hop, text) [LOSS_##id] = { name, hop, text },
	LOSS_REASONS(LOSS_REASON_ROW)
#undef LOSS_REASON_ROW
};

static const char *const event_notice_names[NOTICE_COUNT] = {
#define LOSS_NOTICE_ROW(id, name) [NOTICE_##id] = name,
	LOSS_NOTICES(LOSS_NOTICE_ROW)
#undef LOSS_NOTICE_ROW
};

const char *
event_kind_text(enum event_kind kind)
{
	return (unsigned)kind < EV_COUNT ? event_kind_texts[kind] : "?";
}

const char *
event_actor_name(enum event_actor actor)
{
	return (unsigned)actor < ACTOR_COUNT ? event_actor_names[actor] : "?";
}

const char *
event_reason_name(enum loss_reason r)
{
	return (unsigned)r < LOSS_COUNT ? event_reasons[r].name : "?";
}

const char *
event_reason_hop(enum loss_reason r)
{
	return (unsigned)r < LOSS_COUNT ? event_reasons[r].hop : "?";
}

const char *
event_reason_text(enum loss_reason r)
{
	return (unsigned)r < LOSS_COUNT ? event_reasons[r].text : "?";
}

const char *
event_notice_name(enum loss_notice n)
{
	return (unsigned)n < NOTICE_COUNT ? event_notice_names[n] : "?";
}

int
event_reason_find(const char *name)
{
	for (int i = 0; i < LOSS_COUNT; i++)
		if (strcmp(event_reasons[i].name, name) == 0)
			return i;
	return -1;
}

const char *
event_code_text(int code)
{
	switch (code) {
	case 200: return "OK";
	case 312: return "NO_ROUTE";
	case 320: return "CONNECTION_FORCED";
	case 403: return "ACCESS_REFUSED";
	case 404: return "NOT_FOUND";
	case 405: return "RESOURCE_LOCKED";
	case 406: return "PRECONDITION_FAILED";
	case 504: return "CHANNEL_ERROR";
	case 530: return "NOT_ALLOWED";
	case -7: return "CONNECTION_CLOSED";
	case -9: return "SOCKET_ERROR";
	case -15: return "HEARTBEAT_TIMEOUT";
	default: return "";
	}
}

/* The frame text with its flags, as "basic.deliver redelivered=1". */
static void
event_frame(char *buf, size_t len, const struct event *ev)
{
	const char *text = event_kind_text(ev->kind);
	int n;

	if (ev->code)
		n = snprintf(buf, len, "%s %d %s", text, ev->code,
		    event_code_text(ev->code));
	else
		n = snprintf(buf, len, "%s", text);
	if (n < 0 || (size_t)n >= len)
		return;
	switch (ev->kind) {
	case EV_DELIVER:
		snprintf(buf + n, len - n, " redelivered=%d", ev->flag ? 1 : 0);
		break;
	case EV_NACK:
	case EV_REJECT:
		snprintf(buf + n, len - n, " requeue=%d", ev->flag ? 1 : 0);
		break;
	case EV_RETRY:
	case EV_RETRY_WAIT:
		snprintf(buf + n, len - n, " #%d", ev->flag);
		break;
	default:
		break;
	}
}

size_t
event_format(char *buf, size_t len, const struct event *ev, int with_time)
{
	char frame[96], msg[16] = "";
	size_t n = 0;
	int w;

	if (len == 0)
		return 0;
	event_frame(frame, sizeof frame, ev);
	if (ev->msg)
		snprintf(msg, sizeof msg, "m%" PRIu32, ev->msg);
	if (with_time)
		w = snprintf(buf, len, "%6" PRId64 ".%03" PRId64 "  ",
		    ev->t / 1000, ev->t % 1000);
	else
		w = 0;
	n = w < 0 ? 0 : (size_t)w;
	if (n < len) {
		w = snprintf(buf + n, len - n, "%-10s %-30s %-6s %s",
		    event_actor_name(ev->actor), frame, msg,
		    ev->where ? ev->where : "");
		n += w < 0 ? 0 : (size_t)w;
	}
	if (n >= len - 1) {
		/* Cut: what fitted is a prefix of the whole line. */
		buf[len - 1] = '\0';
		return len - 1;
	}
	/* No padding at the end of a line. */
	while (n && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
	if (ev->kind == EV_LOST || ev->kind == EV_DISCARD) {
		w = snprintf(buf + n, len - n, " [%s at %s: %s%s%s]",
		    event_reason_name(ev->reason), event_reason_hop(ev->reason),
		    event_reason_text(ev->reason),
		    ev->kind == EV_LOST ? "; producer told: " : "",
		    ev->kind != EV_LOST ? "" : ev->notice == NOTICE_SILENT ?
		    "nothing" : event_notice_name(ev->notice));
		n += w < 0 ? 0 : (size_t)w;
		if (n >= len)
			n = len - 1;
	}
	if (ev->detail && n + 1 < len) {
		w = snprintf(buf + n, len - n, " (%s)", ev->detail);
		n += w < 0 ? 0 : (size_t)w;
		if (n >= len)
			n = len - 1;
	}
	return n;
}

void
event_print_text(FILE *out, const struct event *ev)
{
	char line[640];

	event_format(line, sizeof line, ev, 1);
	fputs(line, out);
	fputc('\n', out);
}

/*
 * A JSON line is built in a buffer and written with one fwrite: a watched
 * application's frames are printed one per line at tens of thousands a
 * second, and stdio's per-character calls were a fifth of its CPU.
 */
struct event_jbuf {
	FILE *out;
	size_t n;
	char b[1024];
};

static void
event_jput(struct event_jbuf *j, const char *s, size_t len)
{
	if (j->n + len > sizeof j->b) {
		fwrite(j->b, 1, j->n, j->out);
		j->n = 0;
	}
	if (len > sizeof j->b) {
		fwrite(s, 1, len, j->out);
		return;
	}
	memcpy(j->b + j->n, s, len);
	j->n += len;
}

/* Appends `s` as a JSON string literal: runs of plain bytes at once. */
static void
event_jstr(struct event_jbuf *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char esc[8];

	event_jput(j, "\"", 1);
	for (;; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		event_jput(j, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		switch (*p) {
		case '"': event_jput(j, "\\\"", 2); break;
		case '\\': event_jput(j, "\\\\", 2); break;
		case '\n': event_jput(j, "\\n", 2); break;
		case '\t': event_jput(j, "\\t", 2); break;
		case '\r': event_jput(j, "\\r", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", *p);
			event_jput(j, esc, 6);
		}
		run = p + 1;
	}
	event_jput(j, "\"", 1);
}

/* Appends `key` (a literal with its punctuation) and a decimal value. */
static void
event_jint(struct event_jbuf *j, const char *key, int64_t v)
{
	char d[24];
	size_t i = sizeof d;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	event_jput(j, key, strlen(key));
	do
		d[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		d[--i] = '-';
	event_jput(j, d + i, sizeof d - i);
}

static void
event_jkey_str(struct event_jbuf *j, const char *key, const char *v)
{
	event_jput(j, key, strlen(key));
	event_jstr(j, v);
}

void
event_json_string(FILE *out, const char *s)
{
	struct event_jbuf j;

	j.out = out;
	j.n = 0;
	event_jstr(&j, s);
	fwrite(j.b, 1, j.n, out);
}

void
event_print_json(FILE *out, const struct event *ev)
{
	char frame[96];
	struct event_jbuf j;

	j.out = out;
	j.n = 0;
	event_frame(frame, sizeof frame, ev);
	event_jint(&j, "{\"t_us\":", ev->t);
	event_jkey_str(&j, ",\"kind\":", event_kind_ids[ev->kind]);
	event_jkey_str(&j, ",\"frame\":", frame);
	event_jkey_str(&j, ",\"actor\":", event_actor_name(ev->actor));
	if (ev->msg)
		event_jint(&j, ",\"msg\":", ev->msg);
	if (ev->code)
		event_jint(&j, ",\"code\":", ev->code);
	event_jint(&j, ",\"flag\":", ev->flag);
	if (ev->where)
		event_jkey_str(&j, ",\"where\":", ev->where);
	if (ev->kind == EV_LOST || ev->kind == EV_DISCARD) {
		event_jkey_str(&j, ",\"reason\":",
		    event_reason_name(ev->reason));
		event_jkey_str(&j, ",\"hop\":", event_reason_hop(ev->reason));
		event_jkey_str(&j, ",\"notice\":",
		    event_notice_name(ev->notice));
	}
	if (ev->detail)
		event_jkey_str(&j, ",\"detail\":", ev->detail);
	event_jput(&j, "}\n", 2);
	fwrite(j.b, 1, j.n, out);
}
