/*
 * The key table: every key of the lab in one place, toggles, failures and
 * commands alike. The help overlay, the footer, the panes' key marks and
 * the mouse (a click is the key drawn under it) all read this table, so
 * adding a key is one line.
 */
#ifndef RL_KEYS_H
#define RL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "model/toggle.h"

enum keys_kind {
	KEYS_TOGGLE,  /* id: enum toggle_id; the key steps its value */
	KEYS_FAILURE, /* id: enum failure_kind */
	KEYS_COMMAND, /* id: enum keys_cmd */
};

/* Commands: id, help text (marked for translation). */
#define KEYS_COMMANDS(X)                                                       \
	X(QUIT, N_("quit (back to the lesson list)"))                          \
	X(HELP, N_("show or hide this help"))                                  \
	X(NEXT, N_("next step; at the end, start or run the challenge"))       \
	X(ANSWER, N_("answer the question with choice 1-6"))                   \
	X(HINT, N_("challenge: show one more hint"))                           \
	X(SOLUTION, N_("challenge: show the solution"))                        \
	X(PUBLISH, N_("publish one payment notice"))                           \
	X(SET, N_("then a toggle's key, a number and Enter: set that number"))  \
	X(BURST, N_("publish a burst of ten"))                                 \
	X(PAUSE, N_("pause or resume time"))                                   \
	X(STEP, N_("move time to the next moment something happens"))          \
	X(SLOWER, N_("slower"))                                                \
	X(FASTER, N_("faster"))                                                \
	X(FINISH, N_("run until things settle, without pauses"))               \
	X(UNDO, N_("undo the last action"))                                    \
	X(RESET, N_("start the scenario (and the lesson) again"))              \
	X(BROKER, N_("start the broker again after a crash or stop"))          \
	X(CONSUMERS, N_("stop or start the consumers"))                        \
	X(SEL_NEXT, N_("select the next message on screen"))                   \
	X(SEL_PREV, N_("select the previous message on screen"))               \
	X(TYPE_ID, N_("type a message id to select it"))                       \
	X(OPEN, N_("show the selected message's timeline and fate"))           \
	X(CLOSE, N_("close the overlay, clear the selection"))                 \
	X(LOG_UP, N_("scroll the event log back"))                             \
	X(LOG_DOWN, N_("scroll the event log forward"))                        \
	X(CODE, N_("show the toggles now as Spring and rabbitmq-c code"))     \
	X(GLOSSARY, N_("show the glossary of terms, English and Chinese"))     \
	X(REDRAW, N_("redraw the screen"))                                     \
	X(BUILD, N_("sandbox: add or remove exchanges, queues, bindings, "    \
	  "consumers; choose where + publishes"))                              \
	X(WRITE, N_("sandbox: write it as a lesson script in this directory")) \
	X(FOLLOW, N_("class: leave follow mode, or follow the teacher again"))

enum keys_cmd {
#define KEYS_CMD_ENUM(id, help) CMD_##id,
	KEYS_COMMANDS(KEYS_CMD_ENUM)
#undef KEYS_CMD_ENUM
	CMD_COUNT
};

/* Where a key is shown besides the help overlay. */
enum keys_where {
	WHERE_HELP,     /* only in the help overlay */
	WHERE_PRODUCER, /* a toggle line in that pane */
	WHERE_EXCHANGE,
	WHERE_QUEUE,
	WHERE_CONSUMER,
	WHERE_FOOTER,   /* the footer bar */
};

struct keys_def {
	int key;              /* ASCII, or a curses KEY_* code */
	enum keys_kind kind;
	int id;               /* toggle_id, failure_kind or keys_cmd */
	const char *label;    /* short name for panes and the footer (N_) */
	const char *tiny;     /* shorter still, for a crowded footer or pane;
				 NULL: the label */
	enum keys_where where;
	int foot;             /* footer order (0: never in the footer;
				 otherwise shown when the lesson or step
				 needs it and it fits: ui/bar.c) */
	const char *presets;  /* INT and RATIO toggles: the values the key
				 steps through, '|' separated; a family's
				 starts with "off" */
	int pair;             /* a family (a switch and its number on one
				 key): the number's toggle_id; -1 none */
	int shared;           /* 1: this row only shows its family's key
				 beside the number; keys_find skips it */
};

/*
 * The rule every key keeps, as the help and the footer state it (and
 * keys_obeys_rule checks): lower
 * case letters are toggles (q, quit, is the one exception); capitals are
 * failures, or one of these commands; nothing else is a toggle or a
 * failure.
 */
#define KEYS_CAPITAL_COMMANDS "BDGHJPRSVWZ"

/* The whole table, in display order; *n gets its length. */
const struct keys_def *keys_table(size_t *n);
/* The row bound to `key`, or NULL. */
const struct keys_def *keys_find(int key);
/* The first row of a toggle, a failure or a command, or NULL. */
const struct keys_def *keys_of(enum keys_kind kind, int id);

/* Translated short label and help text (borrowed, static). */
const char *keys_label(const struct keys_def *k);
/* What the panes and the footer call toggle or failure `id` ("ack", "no
 * exchange"), not its name in scripts (ack_mode); a toggle whose label
 * another pane also uses is named with its pane ("queue durable").
 * Borrowed: valid until the next call but one. */
const char *keys_display(enum keys_kind kind, int id);
const char *keys_tiny(const struct keys_def *k);
const char *keys_help(const struct keys_def *k);
/* The key's name as shown: "c", "space", "PgDn", "Tab", "^R"; into buf. */
const char *keys_name(int key, char *buf, size_t len);

/* The value toggle `id` takes next when its key is pressed at `value`
 * (a family's switch alone: see keys_press). */
int64_t keys_next_value(enum toggle_id id, int64_t value);

/*
 * Presses toggle row `k` with the toggles at `v` (indexed by toggle_id),
 * writing the new values into `v`. A family steps off, on (its number
 * kept), the presets above the number, off again.
 */
void keys_press(const struct keys_def *k, int64_t v[TOGGLE_COUNT]);

/* The row a press of `k` really is: a shared row's family head. */
const struct keys_def *keys_head(const struct keys_def *k);

/* Whether `=` then k's key takes a typed number (INT, RATIO, family). */
int keys_typeable(const struct keys_def *k);

/*
 * Sets the number of row `k` (its head) from typed `text` into `v`; a
 * family's switch is turned on too. Returns 0, or -1 with *expected (a
 * static English description of the range) and `v` unchanged.
 */
int keys_type(const struct keys_def *k, const char *text,
    int64_t v[TOGGLE_COUNT], const char **expected);

/*
 * How the keys bring toggle `id` to `value` from the toggles at `v`:
 * presses its key (as many times as it takes) or types the number. On
 * success `v` holds the toggles afterwards, buf the keys as a learner
 * reads them ("c confirms -> each", "c c confirms -> batch", "= y 30
 * Enter: producer_attempts -> 30": a number more than three presses away
 * is typed), *presses how often the key is pressed (0: typed), and 0 is
 * returned; -1 when no key reaches it (`v` unchanged).
 */
int keys_reach(enum toggle_id id, int64_t value, int64_t v[TOGGLE_COUNT],
    char *buf, size_t len, int *presses);

/* Whether row `k` obeys the key rule above; *why gets the broken part (static). */
int keys_obeys_rule(const struct keys_def *k, const char **why);

/*
 * A toggle's value for a pane: "on"/"off" translated, enum choices as
 * written in Spring configuration, durations as 100ms / 5s, ratios as x2.0.
 */
const char *keys_value(enum toggle_id id, int64_t value, char *buf,
    size_t len);

#endif
