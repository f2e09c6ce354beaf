/*
 * The key table and what follows from it: names of keys, the value a toggle
 * steps to, and how a toggle's value is written in a pane. Letters follow a
 * mnemonic where one exists (c confirms, m mandatory, a ack mode, K kill -9,
 * U unroutable, e export as code, V vocabulary); failures are capitals,
 * like the harm they do.
 */
#include "ui/keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/i18n.h"
#include "ui/words.h"

#define T(key, id, label, where, presets)                                      \
	{ key, KEYS_TOGGLE, TOGGLE_##id, label, NULL, WHERE_##where, 0, presets }
/* A toggle with a shorter label for a crowded pane (often the Chinese
 * label is the one that needs it). */
#define TT(key, id, label, tiny, where, presets)                               \
	{ key, KEYS_TOGGLE, TOGGLE_##id, label, tiny, WHERE_##where, 0,       \
	  presets }
#define F(key, id, label, tiny, foot)                                          \
	{ key, KEYS_FAILURE, FAIL_##id, label, tiny, WHERE_FOOTER, foot, NULL }
#define C(key, id, label, foot)                                                \
	{ key, KEYS_COMMAND, CMD_##id, label, NULL,                            \
	  foot ? WHERE_FOOTER : WHERE_HELP, foot, NULL }

static const struct keys_def keys_rows[] = {
	/* Commands. */
	C('?', HELP, N_("help"), 1),
	C(' ', NEXT, N_("next"), 2),
	C(KEY_NPAGE, NEXT, N_("next"), 0),
	C('1', ANSWER, N_("answer"), 0),
	C('2', ANSWER, N_("answer"), 0),
	C('3', ANSWER, N_("answer"), 0),
	C('4', ANSWER, N_("answer"), 0),
	C('5', ANSWER, N_("answer"), 0),
	C('6', ANSWER, N_("answer"), 0),
	C('h', HINT, N_("hint"), 0),
	C('S', SOLUTION, N_("solution"), 0),
	C('+', PUBLISH, N_("publish"), 3),
	C('=', PUBLISH, N_("publish"), 0),
	C('*', BURST, N_("x10"), 4),
	C('p', PAUSE, N_("pause"), 5),
	C('.', STEP, N_("step"), 0),
	C('<', SLOWER, N_("slower"), 6),
	C(',', SLOWER, N_("slower"), 0),
	C('>', FASTER, N_("faster"), 0),
	C('G', FINISH, N_("finish"), 0),
	C('u', UNDO, N_("undo"), 8),
	C('R', RESET, N_("reset"), 10),
	C('B', BROKER, N_("start broker"), 0),
	C('Z', CONSUMERS, N_("consumers"), 0),
	C('\t', SEL_NEXT, N_("select"), 11),
	C(KEY_RIGHT, SEL_NEXT, N_("select"), 0),
	C(KEY_BTAB, SEL_PREV, N_("select"), 0),
	C(KEY_LEFT, SEL_PREV, N_("select"), 0),
	C('#', TYPE_ID, N_("message #"), 0),
	C('\n', OPEN, N_("open"), 0),
	C(KEY_ENTER, OPEN, N_("open"), 0),
	C(27, CLOSE, N_("close"), 0),
	C(KEY_UP, LOG_UP, N_("log"), 0),
	C(KEY_PPAGE, LOG_UP, N_("log"), 0),
	C(KEY_DOWN, LOG_DOWN, N_("log"), 0),
	C('e', CODE, N_("code"), 7),
	C('V', GLOSSARY, N_("glossary"), 12),
	C(12, REDRAW, N_("redraw"), 0),
	C('q', QUIT, N_("quit"), 9),

	/* Producer toggles. */
	TT('c', CONFIRMS, N_("confirms"), N_("confirm"), PRODUCER, NULL),
	T('b', BATCH, N_("batch"), PRODUCER, "1|10|100|1000"),
	T('m', MANDATORY, N_("mandatory"), PRODUCER, NULL),
	TT('d', PERSISTENT, N_("persistent"), N_("persist"), PRODUCER, NULL),
	T('y', PRODUCER_RETRY, N_("retry"), PRODUCER, NULL),
	T('Y', PRODUCER_ATTEMPTS, N_("attempts"), PRODUCER, "1|2|3|5|10"),
	TT('I', PRODUCER_INITIAL_MS, N_("1st wait"), N_("wait"), PRODUCER,
	  "0|100|500|1000|2000|5000"),
	T('P', PRODUCER_MULTIPLIER, N_("backoff"), PRODUCER, "1|1.5|2|3"),
	T('s', RESEND, N_("resend"), PRODUCER, NULL),
	T('l', REOPEN_CHANNEL, N_("reopen"), PRODUCER, NULL),
	T('H', HEARTBEAT, N_("heartbeat"), PRODUCER, "0|5|10|30|60"),
	/* Exchange (and broker) toggles. */
	TT('x', DURABLE_EXCHANGE, N_("durable"), N_("dur."), EXCHANGE, NULL),
	TT('J', RESTART_MS, N_("restart"), N_("boot"), EXCHANGE,
	  "0|1000|2000|5000|10000"),
	/* Queue toggles. */
	T('t', QUEUE_TYPE, N_("type"), QUEUE, NULL),
	TT('D', DURABLE_QUEUE, N_("durable"), N_("dur."), QUEUE, NULL),
	/* Consumer toggles. */
	TT('a', ACK_MODE, N_("ack"), N_("acks"), CONSUMER, NULL),
	T('f', PREFETCH, N_("prefetch"), CONSUMER, "0|1|10|50|250"),
	T('w', WORK_MS, N_("work"), CONSUMER, "0|10|50|100|500|1000|5000"),
	T('r', RETRY, N_("retry"), CONSUMER, NULL),
	T('n', RETRY_ATTEMPTS, N_("attempts"), CONSUMER, "1|2|3|5|10"),
	TT('g', RETRY_INITIAL_MS, N_("1st wait"), N_("wait"), CONSUMER,
	  "0|100|500|1000|2000|5000"),
	T('M', RETRY_MULTIPLIER, N_("backoff"), CONSUMER, "1|1.5|2|3"),
	T('W', RETRY_MAX_MS, N_("max wait"), CONSUMER,
	  "1000|5000|10000|30000|60000"),
	TT('o', ON_FAILURE, N_("on failure"), N_("fail"), CONSUMER, NULL),
	TT('i', IDEMPOTENCY, N_("idempotent"), N_("idem"), CONSUMER, NULL),
	T('v', RECOVERY_MS, N_("recovery"), CONSUMER,
	  "0|500|1000|2000|5000|10000"),
	T('j', RECONCILE, N_("reconcile"), CONSUMER, NULL),
	T('k', RECONCILE_MS, N_("every"), CONSUMER,
	  "1000|2000|5000|10000|30000|60000"),

	/* Failures, in the footer in this order. */
	F('N', CONNECTION_LOST, N_("cut link"), N_("net"), 1),
	F('L', BLACKHOLE, N_("blackhole"), N_("hole"), 2),
	F('X', MISSING_EXCHANGE, N_("no exchange"), N_("exch"), 3),
	F('U', UNROUTABLE, N_("unroutable"), N_("route"), 4),
	F('F', QUEUE_FULL, N_("queue full"), N_("full"), 5),
	F('K', BROKER_CRASH, N_("kill -9"), N_("kill"), 6),
	F('O', BROKER_STOP, N_("stop"), N_("stop"), 7),
	F('C', CONSUMER_CRASH_BEFORE, N_("crash<work"), N_("crash"), 8),
	F('A', CONSUMER_CRASH_AFTER, N_("crash>work"), N_("crash+"), 9),
	F('E', CONSUMER_EXCEPTION, N_("exception"), N_("throw"), 10),
	F('T', MESSAGE_EXPIRY, N_("TTL"), N_("TTL"), 11),
	F('!', CHAOS, N_("chaos"), N_("chaos"), 12),
};

#undef T
#undef TT
#undef F
#undef C

static const char *keys_cmd_help[CMD_COUNT] = {
#define KEYS_CMD_HELP(id, help) [CMD_##id] = help,
	KEYS_COMMANDS(KEYS_CMD_HELP)
#undef KEYS_CMD_HELP
};

const struct keys_def *
keys_table(size_t *n)
{
	*n = sizeof keys_rows / sizeof keys_rows[0];
	return keys_rows;
}

const struct keys_def *
keys_find(int key)
{
	for (size_t i = 0; i < sizeof keys_rows / sizeof keys_rows[0]; i++)
		if (keys_rows[i].key == key)
			return &keys_rows[i];
	return NULL;
}

const struct keys_def *
keys_of(enum keys_kind kind, int id)
{
	for (size_t i = 0; i < sizeof keys_rows / sizeof keys_rows[0]; i++)
		if (keys_rows[i].kind == kind && keys_rows[i].id == id)
			return &keys_rows[i];
	return NULL;
}

const char *
keys_label(const struct keys_def *k)
{
	return _(k->label);
}

const char *
keys_tiny(const struct keys_def *k)
{
	return _(k->tiny ? k->tiny : k->label);
}

const char *
keys_help(const struct keys_def *k)
{
	switch (k->kind) {
	case KEYS_TOGGLE:
		return _(toggle_info((enum toggle_id)k->id)->desc);
	case KEYS_FAILURE:
		return _(engine_failure_help((enum failure_kind)k->id));
	case KEYS_COMMAND:
		return _(keys_cmd_help[k->id]);
	}
	return "";
}

const char *
keys_name(int key, char *buf, size_t len)
{
	static const struct {
		int key;
		const char *name;
	} names[] = {
		{ ' ', "space" }, { '\t', "Tab" }, { '\n', "Enter" },
		{ 27, "Esc" }, { KEY_NPAGE, "PgDn" }, { KEY_PPAGE, "PgUp" },
		{ KEY_BTAB, "S-Tab" }, { KEY_LEFT, "Left" },
		{ KEY_RIGHT, "Right" }, { KEY_UP, "Up" }, { KEY_DOWN, "Down" },
		{ KEY_ENTER, "Enter" }, { 12, "^L" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].key == key) {
			snprintf(buf, len, "%s", names[i].name);
			return buf;
		}
	if (key > 0 && key < 32)
		snprintf(buf, len, "^%c", key + '@');
	else if (key > 32 && key < 127)
		snprintf(buf, len, "%c", key);
	else
		snprintf(buf, len, "#%d", key);
	return buf;
}

int64_t
keys_next_value(enum toggle_id id, int64_t value)
{
	const struct toggle_info *t = toggle_info(id);
	const struct keys_def *k = keys_of(KEYS_TOGGLE, id);
	int64_t first = t->min, best = INT64_MAX;
	int have_first = 0;
	const char *p;

	switch (t->type) {
	case TOGGLE_BOOL:
		return !value;
	case TOGGLE_ENUM:
		return value >= t->max ? t->min : value + 1;
	default:
		break;
	}
	if (k == NULL || k->presets == NULL)
		return value >= t->max ? t->min : value + 1;
	/* The smallest preset above the value; past the last, the first. */
	for (p = k->presets; p && *p;) {
		char word[32];
		size_t n = strcspn(p, "|");
		const char *expected;
		int64_t v;

		snprintf(word, sizeof word, "%.*s", (int)n, p);
		if (toggle_parse(id, word, &v, &expected) == 0) {
			if (!have_first) {
				first = v;
				have_first = 1;
			}
			if (v > value && v < best)
				best = v;
		}
		p = p[n] ? p + n + 1 : NULL;
	}
	return best != INT64_MAX ? best : first;
}

/* Milliseconds as 0, 250ms, 5s, 1.5s, 2min. */
static void
keys_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000 || ms % 100 != 0)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms >= 60000 && ms % 60000 == 0)
		snprintf(buf, len, "%lldmin", (long long)(ms / 60000));
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lld.%llds", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 100));
}

const char *
keys_value(enum toggle_id id, int64_t value, char *buf, size_t len)
{
	const struct toggle_info *t = toggle_info(id);
	const char *name = t->name;
	size_t nl = strlen(name);

	switch (t->type) {
	case TOGGLE_BOOL:
		snprintf(buf, len, "%s", value ? _("on") : _("off"));
		return buf;
	case TOGGLE_RATIO:
		snprintf(buf, len, "x%lld.%lld", (long long)(value / 1000),
		    (long long)(value % 1000 / 100));
		return buf;
	case TOGGLE_ENUM:
		snprintf(buf, len, "%s", words_choice(id, value));
		return buf;
	case TOGGLE_INT:
		break;
	}
	if (nl > 3 && strcmp(name + nl - 3, "_ms") == 0) {
		if (value == 0 && id == TOGGLE_RESTART_MS)
			snprintf(buf, len, "%s", _("off"));
		else
			keys_ms(value, buf, len);
	} else if (id == TOGGLE_HEARTBEAT && value == 0)
		snprintf(buf, len, "%s", _("off"));
	else if (id == TOGGLE_HEARTBEAT)
		snprintf(buf, len, "%llds", (long long)value);
	else if (id == TOGGLE_PREFETCH && value == 0)
		snprintf(buf, len, "%s", _("unlimited"));
	else
		snprintf(buf, len, "%lld", (long long)value);
	return buf;
}
