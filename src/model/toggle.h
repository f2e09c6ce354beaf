/*
 * Toggles: every switch a learner can flip, as one table. The simulated and
 * the live engine read the same values; scripts, the screen and the command
 * line name them by the script name below.
 */
#ifndef RL_TOGGLE_H
#define RL_TOGGLE_H

#include <stddef.h>
#include <stdint.h>

enum toggle_type {
	TOGGLE_BOOL,  /* false/true */
	TOGGLE_ENUM,  /* one of the '|' separated choices, stored as its index */
	TOGGLE_INT,   /* an integer in [min, max] */
	TOGGLE_RATIO, /* a decimal in [min, max] thousandths, stored x1000 */
};

/*
 * id, script name, type, min, max, default, choices (enums), description.
 * Defaults follow Spring AMQP's where it has one, so the lab starts where a
 * learner's application starts.
 */
#define TOGGLES(_)                                                             \
	_(CONFIRMS, "confirms", TOGGLE_ENUM, 0, 3, 0, "off|each|batch|async",  \
	  "publisher confirms: off, wait for each, wait per batch, async")    \
	_(BATCH, "batch", TOGGLE_INT, 1, 1000000, 100, NULL,                   \
	  "messages per confirm batch")                                        \
	_(MANDATORY, "mandatory", TOGGLE_BOOL, 0, 1, 0, NULL,                  \
	  "mandatory flag: unroutable messages come back as basic.return")    \
	_(DURABLE_EXCHANGE, "durable_exchange", TOGGLE_BOOL, 0, 1, 1, NULL,    \
	  "exchanges survive a broker restart")                                \
	_(DURABLE_QUEUE, "durable_queue", TOGGLE_BOOL, 0, 1, 1, NULL,          \
	  "queues survive a broker restart")                                   \
	_(PERSISTENT, "persistent", TOGGLE_BOOL, 0, 1, 1, NULL,                \
	  "delivery mode 2: messages are written to disk")                     \
	_(QUEUE_TYPE, "queue_type", TOGGLE_ENUM, 0, 2, 0,                      \
	  "classic|lazy|quorum", "queue type")                                 \
	_(ACK_MODE, "ack_mode", TOGGLE_ENUM, 0, 2, 1, "none|auto|manual",      \
	  "consumer acknowledgement mode")                                     \
	_(PREFETCH, "prefetch", TOGGLE_INT, 0, 65535, 250, NULL,               \
	  "basic.qos: unacked messages per consumer (0 = unlimited)")         \
	_(WORK_MS, "work_ms", TOGGLE_INT, 0, 3600000, 10, NULL,                \
	  "time the consumer spends on each message")                          \
	_(RETRY, "retry", TOGGLE_BOOL, 0, 1, 0, NULL,                          \
	  "consumer retries a failing message locally")                        \
	_(RETRY_ATTEMPTS, "retry_attempts", TOGGLE_INT, 1, 1000, 3, NULL,      \
	  "local attempts in all, the first included")                         \
	_(RETRY_INITIAL_MS, "retry_initial_ms", TOGGLE_INT, 0, 3600000, 1000,  \
	  NULL, "wait before the first local retry")                           \
	_(RETRY_MULTIPLIER, "retry_multiplier", TOGGLE_RATIO, 1000, 100000,    \
	  1000, NULL, "each local wait is the last one times this")           \
	_(RETRY_MAX_MS, "retry_max_ms", TOGGLE_INT, 0, 3600000, 10000, NULL,   \
	  "longest local wait")                                                \
	_(ON_FAILURE, "on_failure", TOGGLE_ENUM, 0, 2, 0,                      \
	  "requeue|reject|republish",                                          \
	  "after the last failure: nack and requeue, reject, or republish "    \
	  "to the error exchange")                                             \
	_(IDEMPOTENCY, "idempotency", TOGGLE_ENUM, 0, 2, 0,                    \
	  "off|message_id|business",                                           \
	  "skip duplicates by message id or by checking the order state")     \
	_(PRODUCER_RETRY, "producer_retry", TOGGLE_BOOL, 0, 1, 0, NULL,        \
	  "producer retries a failed connection before giving up")            \
	_(PRODUCER_ATTEMPTS, "producer_attempts", TOGGLE_INT, 1, 1000, 3, NULL, \
	  "connection attempts per publish, the first included")              \
	_(PRODUCER_INITIAL_MS, "producer_initial_ms", TOGGLE_INT, 0, 3600000,  \
	  1000, NULL, "wait before the first reconnect")                       \
	_(PRODUCER_MULTIPLIER, "producer_multiplier", TOGGLE_RATIO, 1000,      \
	  100000, 1000, NULL, "each reconnect wait is the last one times this") \
	_(RESEND, "resend", TOGGLE_BOOL, 0, 1, 0, NULL,                        \
	  "producer sends again what was nacked, returned or never confirmed") \
	_(REOPEN_CHANNEL, "reopen_channel", TOGGLE_BOOL, 0, 1, 1, NULL,        \
	  "producer opens a fresh channel after a channel.close")              \
	_(HEARTBEAT, "heartbeat", TOGGLE_INT, 0, 600, 60, NULL,                \
	  "heartbeat seconds (0 = off: a dead link is never noticed)")        \
	_(RECOVERY_MS, "recovery_ms", TOGGLE_INT, 0, 3600000, 5000, NULL,      \
	  "consumer waits this long before reconnecting")                      \
	_(RESTART_MS, "restart_ms", TOGGLE_INT, 0, 3600000, 0, NULL,           \
	  "broker restarts itself this long after going down (0 = manual)")    \
	_(RECONCILE, "reconcile", TOGGLE_BOOL, 0, 1, 0, NULL,                  \
	  "a periodic job asks the payment service and repairs orders")        \
	_(RECONCILE_MS, "reconcile_ms", TOGGLE_INT, 1, 86400000, 10000, NULL,  \
	  "reconciliation period")

enum toggle_id {
#define TOGGLE_ENUM_ID(id, name, type, min, max, def, choices, desc) TOGGLE_##id,
	TOGGLES(TOGGLE_ENUM_ID)
#undef TOGGLE_ENUM_ID
	TOGGLE_COUNT
};

/* Enum values, so code does not compare against bare numbers. */
enum { CONFIRMS_OFF, CONFIRMS_EACH, CONFIRMS_BATCH, CONFIRMS_ASYNC };
enum { QTYPE_CLASSIC, QTYPE_LAZY, QTYPE_QUORUM };
enum { ACK_NONE, ACK_AUTO, ACK_MANUAL };
enum { ONFAIL_REQUEUE, ONFAIL_REJECT, ONFAIL_REPUBLISH };
enum { IDEM_OFF, IDEM_MESSAGE_ID, IDEM_BUSINESS };

struct toggle_info {
	const char *name;    /* script name */
	enum toggle_type type;
	int64_t min, max;    /* inclusive; RATIO in thousandths */
	int64_t def;         /* default value */
	const char *choices; /* ENUM: "a|b|c"; else NULL */
	const char *desc;    /* one line of English for help text */
};

/* The table entry for `id`; `id` must be valid. */
const struct toggle_info *toggle_info(enum toggle_id id);
/* The toggle called `name`, or -1. */
int toggle_find(const char *name);
/* Fills `values` with every default. */
void toggle_defaults(int64_t values[TOGGLE_COUNT]);

/*
 * Parses a textual value ("each", "true", "3", "1.5") for toggle `id` into
 * *out. Returns 0, or -1 with *expected set to a static description of what
 * would have been accepted ("one of off|each|batch|async").
 */
int toggle_parse(enum toggle_id id, const char *text, int64_t *out,
    const char **expected);
/* Writes the value as a script would spell it into buf; returns buf. */
const char *toggle_format(enum toggle_id id, int64_t value, char *buf,
    size_t len);

#endif
