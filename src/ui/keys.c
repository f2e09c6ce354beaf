/*
 * The key table and what follows from it: names of keys, the value a toggle
 * steps to, and how a toggle's value is written in a pane. One rule holds
 * for every key (keys.h, keys_obeys_rule): lower-case letters are toggles, capitals are
 * failures or a few named commands, and nothing else is a toggle or a
 * failure. Letters follow a mnemonic where one exists (c confirms, m
 * mandatory, a ack mode, K kill -9, U unroutable, V vocabulary, J Java).
 */
#include "ui/keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/i18n.h"
#include "ui/words.h"

#define T(key, id, label, where, presets)                                      \
	{ key, KEYS_TOGGLE, TOGGLE_##id, label, NULL, WHERE_##where, 0,       \
	  presets, -1, 0 }
/* A toggle with a shorter label for a crowded pane (often the Chinese
 * label is the one that needs it). */
#define TT(key, id, label, tiny, where, presets)                               \
	{ key, KEYS_TOGGLE, TOGGLE_##id, label, tiny, WHERE_##where, 0,       \
	  presets, -1, 0 }
/* A family: a switch and its number on one key ("off|2|3|5|10"), then the
 * number's own row, which shows the same key beside the number's line. */
#define TP(key, id, pair, label, where, presets, plabel)                       \
	{ key, KEYS_TOGGLE, TOGGLE_##id, label, NULL, WHERE_##where, 0,       \
	  presets, TOGGLE_##pair, 0 },                                         \
	{ key, KEYS_TOGGLE, TOGGLE_##pair, plabel, NULL, WHERE_##where, 0,    \
	  NULL, -1, 1 }
#define F(key, id, label, tiny, foot)                                          \
	{ key, KEYS_FAILURE, FAIL_##id, label, tiny, WHERE_FOOTER, foot, NULL, \
	  -1, 0 }
#define C(key, id, label, foot)                                                \
	{ key, KEYS_COMMAND, CMD_##id, label, NULL,                            \
	  foot ? WHERE_FOOTER : WHERE_HELP, foot, NULL, -1, 0 }

/*
 * The rule every row obeys (tests/unit/test_keys.c checks it): a toggle
 * is a lower-case letter; a failure is a capital letter; a command is never
 * a lower-case letter (q, quit, is the one exception) and, when it is a
 * capital, it is one of KEYS_CAPITAL_COMMANDS.
 */
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
	C('H', HINT, N_("hint"), 3),
	C('S', SOLUTION, N_("solution"), 4),
	C('+', PUBLISH, N_("publish"), 9),
	C('*', BURST, N_("x10"), 10),
	C('=', SET, N_("type a number"), 0),
	C('P', PAUSE, N_("pause"), 11),
	C('.', STEP, N_("step"), 0),
	C('<', SLOWER, N_("slower"), 12),
	C(',', SLOWER, N_("slower"), 0),
	C('>', FASTER, N_("faster"), 0),
	C('G', FINISH, N_("finish"), 0),
	C(KEY_BACKSPACE, UNDO, N_("undo"), 14),
	C(127, UNDO, N_("undo"), 0),
	C(8, UNDO, N_("undo"), 0),
	C('-', UNDO, N_("undo"), 0),
	C('R', RESET, N_("reset"), 16),
	C('B', BROKER, N_("start broker"), 6),
	C('Z', CONSUMERS, N_("consumers"), 5),
	C('\t', SEL_NEXT, N_("select"), 17),
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
	C('J', CODE, N_("code"), 13),
	C('V', GLOSSARY, N_("glossary"), 18),
	C(12, REDRAW, N_("redraw"), 0),
	C('D', BUILD, N_("build"), 7),
	C('W', WRITE, N_("write"), 8),
	C('@', FOLLOW, N_("follow"), 19),
	C('q', QUIT, N_("quit"), 15),

	/* Producer toggles. */
	TT('c', CONFIRMS, N_("confirms"), N_("confirm"), PRODUCER, NULL),
	T('b', BATCH, N_("batch"), PRODUCER, "1|10|100|1000"),
	T('m', MANDATORY, N_("mandatory"), PRODUCER, NULL),
	TT('d', PERSISTENT, N_("persistent"), N_("persist"), PRODUCER, NULL),
	TP('y', PRODUCER_RETRY, PRODUCER_ATTEMPTS, N_("retry"), PRODUCER,
	  "off|2|3|5|10", N_("attempts")),
	TT('n', PRODUCER_INITIAL_MS, N_("1st wait"), N_("wait"), PRODUCER,
	  "0|100|500|1000|2000|5000"),
	T('p', PRODUCER_MULTIPLIER, N_("backoff"), PRODUCER, "1|1.5|2|3"),
	T('s', RESEND, N_("resend"), PRODUCER, NULL),
	T('l', REOPEN_CHANNEL, N_("reopen"), PRODUCER, NULL),
	T('h', HEARTBEAT, N_("heartbeat"), PRODUCER, "0|5|10|30|60"),
	/* Exchange (and broker) toggles. */
	TT('x', DURABLE_EXCHANGE, N_("durable"), N_("dur."), EXCHANGE, NULL),
	TT('e', RESTART_MS, N_("restart"), N_("boot"), EXCHANGE,
	  "0|1000|2000|5000|10000"),
	/* Queue toggles. */
	T('t', QUEUE_TYPE, N_("type"), QUEUE, NULL),
	TT('u', DURABLE_QUEUE, N_("durable"), N_("dur."), QUEUE, NULL),
	/* Consumer toggles. */
	TT('a', ACK_MODE, N_("ack"), N_("acks"), CONSUMER, NULL),
	T('f', PREFETCH, N_("prefetch"), CONSUMER, "0|1|10|50|250"),
	T('w', WORK_MS, N_("work"), CONSUMER, "0|10|50|100|500|1000|5000"),
	TP('r', RETRY, RETRY_ATTEMPTS, N_("retry"), CONSUMER, "off|2|3|5|10",
	  N_("attempts")),
	TT('g', RETRY_INITIAL_MS, N_("1st wait"), N_("wait"), CONSUMER,
	  "0|100|500|1000|2000|5000"),
	T('k', RETRY_MULTIPLIER, N_("backoff"), CONSUMER, "1|1.5|2|3"),
	T('z', RETRY_MAX_MS, N_("max wait"), CONSUMER,
	  "1000|5000|10000|30000|60000"),
	TT('o', ON_FAILURE, N_("on failure"), N_("fail"), CONSUMER, NULL),
	TT('i', IDEMPOTENCY, N_("idempotent"), N_("idem"), CONSUMER, NULL),
	T('v', RECOVERY_MS, N_("recovery"), CONSUMER,
	  "0|500|1000|2000|5000|10000"),
	TP('j', RECONCILE, RECONCILE_MS, N_("reconcile"), CONSUMER,
	  "off|1000|2000|5000|10000|30000|60000", N_("every")),

	/* Failures, in the footer in this order. */
	F('N', CONNECTION_LOST, N_("cut link"), N_("net"), 1),
	F('L', BLACKHOLE, N_("blackhole"), N_("hole"), 2),
	F('X', MISSING_EXCHANGE, N_("no exchange"), N_("exch"), 3),
	F('U', UNROUTABLE, N_("unroutable"), N_("route"), 4),
	F('F', QUEUE_FULL, N_("queue full"), N_("full"), 5),
	F('K', BROKER_CRASH, N_("kill -9"), N_("kill"), 6),
	F('O', BROKER_STOP, N_("stop"), N_("stop"), 7),
	F('C', CONSUMER_CRASH_BEFORE, N_("crash before work"), N_("crash"), 8),
	F('A', CONSUMER_CRASH_AFTER, N_("crash after work"), N_("crash+"), 9),
	F('E', CONSUMER_EXCEPTION, N_("exception"), N_("throw"), 10),
	F('T', MESSAGE_EXPIRY, N_("expiry"), N_("TTL"), 11),
	F('M', CHAOS, N_("chaos"), N_("chaos"), 12),
};

#undef T
#undef TT
#undef TP
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
		if (keys_rows[i].key == key && !keys_rows[i].shared)
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

/* Whether another pane has a toggle row labelled as k is ("durable"). */
static int
keys_label_shared(const struct keys_def *k)
{
	for (size_t i = 0; i < sizeof keys_rows / sizeof keys_rows[0]; i++)
		if (keys_rows[i].kind == KEYS_TOGGLE &&
		    keys_rows[i].where != k->where &&
		    strcmp(keys_rows[i].label, k->label) == 0)
			return 1;
	return 0;
}

const char *
keys_display(enum keys_kind kind, int id)
{
	static const char *panes[] = {
		[WHERE_PRODUCER] = N_("producer"),
		[WHERE_EXCHANGE] = N_("exchange"),
		[WHERE_QUEUE] = N_("queue"),
		[WHERE_CONSUMER] = N_("consumer"),
	};
	static char bufs[2][96];
	static int next;
	const struct keys_def *k = keys_of(kind, id), *h;
	char name[64];
	char *b;

	if (k == NULL)
		return kind == KEYS_TOGGLE ? words_toggle((enum toggle_id)id) :
		    words_failure((enum failure_kind)id);
	h = keys_head(k);
	if (kind != KEYS_TOGGLE || (k == h && (k->where < WHERE_PRODUCER ||
	    k->where > WHERE_CONSUMER || !keys_label_shared(k))))
		return keys_label(k);
	/* A family's number with its switch: "retry attempts". */
	if (k != h)
		snprintf(name, sizeof name, _("%s %s"), keys_label(h),
		    keys_label(k));
	else
		snprintf(name, sizeof name, "%s", keys_label(k));
	/* Two calls may share one message: two buffers in turn. */
	b = bufs[next];
	next = !next;
	if (h->where >= WHERE_PRODUCER && h->where <= WHERE_CONSUMER &&
	    keys_label_shared(h))
		/* TRANSLATORS: a toggle named by its pane, then its label:
		   "queue durable". */
		snprintf(b, sizeof bufs[0], _("%s %s"), _(panes[h->where]),
		    name);
	else
		snprintf(b, sizeof bufs[0], "%s", name);
	return b;
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
		{ KEY_BACKSPACE, "BkSp" }, { 127, "BkSp" }, { 8, "BkSp" },
	};

	/* Names printed on the keys (Tab, PgDn, Esc) stay; the space bar,
	 * Enter, Backspace and the arrows have the screen language's words. */
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].key == key) {
			snprintf(buf, len, "%s", words_in("key", names[i].name));
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

static int64_t keys_presets_walk(const struct keys_def *k, enum toggle_id id,
    int64_t above, int off, int64_t *first);

int64_t
keys_next_value(enum toggle_id id, int64_t value)
{
	const struct toggle_info *t = toggle_info(id);
	const struct keys_def *k = keys_of(KEYS_TOGGLE, id);
	int64_t first, best;

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
	best = keys_presets_walk(k, id, value, 1, &first);
	if (best != INT64_MAX)
		return best;
	return first != INT64_MIN ? first : t->min;
}

/* Milliseconds as 0, 250ms, 5s, 1.5s, 2min. */
static void
keys_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 1000 || ms % 100 != 0)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (ms >= 60000 && ms % 60000 == 0)
		/* TRANSLATORS: whole minutes in a toggle's value. */
		snprintf(buf, len, _("%lldmin"), (long long)(ms / 60000));
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

const struct keys_def *
keys_head(const struct keys_def *k)
{
	const struct keys_def *h;

	if (k == NULL || !k->shared)
		return k;
	h = keys_find(k->key);
	return h ? h : k;
}

/* The smallest preset of `k` above `above` as a value of toggle `id`
 * (INT64_MAX: none); *first gets the first preset (INT64_MIN: none).
 * With `off` 0, "off" is no value: a family's switch handles it. */
static int64_t
keys_presets_walk(const struct keys_def *k, enum toggle_id id, int64_t above,
    int off, int64_t *first)
{
	int64_t best = INT64_MAX;
	const char *p;

	*first = INT64_MIN;
	for (p = k->presets; p && *p;) {
		char word[32];
		size_t n = strcspn(p, "|");
		const char *expected;
		int64_t v;

		snprintf(word, sizeof word, "%.*s", (int)n, p);
		if ((off || strcmp(word, "off") != 0) &&
		    toggle_parse(id, word, &v, &expected) == 0) {
			if (*first == INT64_MIN)
				*first = v;
			if (v > above && v < best)
				best = v;
		}
		p = p[n] ? p + n + 1 : NULL;
	}
	return best;
}

void
keys_press(const struct keys_def *k, int64_t v[TOGGLE_COUNT])
{
	int64_t first, next;
	enum toggle_id num;

	k = keys_head(k);
	if (k == NULL || k->kind != KEYS_TOGGLE)
		return;
	if (k->pair < 0) {
		v[k->id] = keys_next_value((enum toggle_id)k->id, v[k->id]);
		return;
	}
	num = (enum toggle_id)k->pair;
	if (!v[k->id]) {
		v[k->id] = 1; /* on, with the number it had */
		return;
	}
	next = keys_presets_walk(k, num, v[num], 0, &first);
	if (next != INT64_MAX)
		v[num] = next;
	else {
		/* Past the last preset: off, the number back to the first so
		 * the next round can reach the small ones. */
		v[k->id] = 0;
		if (first != INT64_MIN)
			v[num] = first;
	}
}

int
keys_typeable(const struct keys_def *k)
{
	k = keys_head(k);
	if (k == NULL || k->kind != KEYS_TOGGLE)
		return 0;
	if (k->pair >= 0)
		return 1;
	return toggle_info((enum toggle_id)k->id)->type == TOGGLE_INT ||
	    toggle_info((enum toggle_id)k->id)->type == TOGGLE_RATIO;
}

int
keys_type(const struct keys_def *k, const char *text, int64_t v[TOGGLE_COUNT],
    const char **expected)
{
	enum toggle_id num;
	int64_t x;

	k = keys_head(k);
	if (!keys_typeable(k)) {
		*expected = "a toggle that takes a number";
		return -1;
	}
	num = (enum toggle_id)(k->pair >= 0 ? k->pair : k->id);
	if (text == NULL || *text == '\0' ||
	    toggle_parse(num, text, &x, expected) != 0) {
		if (text == NULL || *text == '\0')
			toggle_parse(num, "", &x, expected);
		return -1;
	}
	v[num] = x;
	if (k->pair >= 0)
		v[k->id] = 1;
	return 0;
}

#define KEYS_STEPS_MAX 3

int
keys_reach(enum toggle_id id, int64_t value, int64_t v[TOGGLE_COUNT],
    char *buf, size_t len, int *presses)
{
	const struct keys_def *row = keys_of(KEYS_TOGGLE, id);
	const struct keys_def *k = keys_head(row);
	int64_t w[TOGGLE_COUNT];
	char name[16], val[48];
	const char *expected;

	if (k == NULL)
		return -1;
	keys_name(k->key, name, sizeof name);
	keys_value(id, value, val, sizeof val);
	memcpy(w, v, sizeof w);
	/* Stepping: a cycle is short, 64 presses is past any. More than
	 * KEYS_STEPS_MAX presses of a number are better typed. */
	for (int n = 0; n <= 64; n++) {
		if (w[id] == value && (n <= KEYS_STEPS_MAX ||
		    !keys_typeable(row))) {
			/* The key as often as it is pressed: "o o". */
			char keys[64] = "";
			size_t o = 0;
			memcpy(v, w, sizeof w);
			*presses = n;
			for (int i = 0; i < (n > 1 ? n : 1) &&
			    o + strlen(name) + 2 < sizeof keys; i++)
				o += (size_t)snprintf(keys + o, sizeof keys - o,
				    "%s%s", i ? " " : "", name);
			snprintf(buf, len, "%s %s \u2192 %s", keys,
			    words_toggle(id), val);
			return 0;
		}
		if (w[id] == value)
			break;
		keys_press(k, w);
	}
	if (keys_typeable(row) && (k->pair < 0 || (int)id == k->pair)) {
		char typed[48];
		memcpy(w, v, sizeof w);
		toggle_format(id, value, typed, sizeof typed);
		if (keys_type(k, typed, w, &expected) == 0 && w[id] == value) {
			memcpy(v, w, sizeof w);
			*presses = 0;
			char enter[16];
			snprintf(buf, len, "= %s %s %s: %s \u2192 %s", name,
			    typed, keys_name('\n', enter, sizeof enter),
			    words_toggle(id), val);
			return 0;
		}
	}
	return -1;
}

int
keys_obeys_rule(const struct keys_def *k, const char **why)
{
	int lower = k->key >= 'a' && k->key <= 'z';
	int upper = k->key >= 'A' && k->key <= 'Z';

	*why = "";
	switch (k->kind) {
	case KEYS_TOGGLE:
		if (!lower)
			*why = "a toggle must be a lower-case letter";
		return lower;
	case KEYS_FAILURE:
		if (!upper)
			*why = "a failure must be a capital letter";
		return upper;
	case KEYS_COMMAND:
		if (lower && !(k->key == 'q' && k->id == CMD_QUIT)) {
			*why = "a lower-case letter is a toggle (or q)";
			return 0;
		}
		if (upper && strchr(KEYS_CAPITAL_COMMANDS, k->key) == NULL) {
			*why = "a capital command must be named in "
			    "KEYS_CAPITAL_COMMANDS";
			return 0;
		}
		return 1;
	}
	return 0;
}
