/*
 * The ledger: follows every message to its fate by reading the event stream.
 *
 * It knows nothing of engines: feed it every event (ledger_apply) and it keeps,
 * per message, what happened and what it came to, plus summary counters.
 * Either engine's events give the same ledger for the same story.
 */
#ifndef RL_LEDGER_H
#define RL_LEDGER_H

#include <stdint.h>
#include <stdio.h>

#include "model/event.h"

#define LEDGER_FATES(_)                                                        \
	_(IN_FLIGHT, "in_flight", "still in flight")                           \
	_(PROCESSED, "processed", "processed once")                            \
	_(DUPLICATED, "duplicated", "processed more than once")                \
	_(DEAD, "dead_lettered", "dead-lettered or parked")                    \
	_(LOST, "lost", "lost")

enum ledger_fate {
#define LEDGER_FATE_ENUM(id, name, text) FATE_##id,
	LEDGER_FATES(LEDGER_FATE_ENUM)
#undef LEDGER_FATE_ENUM
	FATE_COUNT
};

/* One message: kept small, there may be millions. */
struct ledger_entry {
	int64_t published_at;     /* first basic.publish, -1 never sent */
	int64_t settled_at;       /* time of the event that set the fate */
	uint16_t effects;         /* business effects applied (order paid) */
	uint16_t deliveries;      /* basic.deliver count */
	uint8_t reason;           /* enum loss_reason of the last loss */
	uint8_t notice;           /* enum loss_notice of the last loss */
	uint8_t lost : 1;         /* no copy left, not processed */
	uint8_t dead : 1;         /* a copy sits in a dead-letter/error queue */
	uint8_t paid : 1;         /* the payment side marked it done */
	uint8_t order_paid : 1;   /* the trade side shows the order paid */
	uint8_t repaired : 1;     /* reconciliation fixed the order */
	uint8_t confirmed : 1;
	uint8_t nacked : 1;
	uint8_t returned : 1;
	uint8_t dup : 1;          /* one consumer applied the effect twice */
};

struct ledger_summary {
	uint64_t messages;        /* ledger entries */
	uint64_t published;       /* basic.publish frames, resends included */
	uint64_t confirmed;       /* basic.ack to the producer */
	uint64_t nacked;
	uint64_t returned;
	uint64_t delivered;       /* basic.deliver frames */
	uint64_t redelivered;     /* of which redelivered=1 */
	uint64_t effects;         /* business effects in all */
	uint64_t fate[FATE_COUNT];
	uint64_t lost_silent;
	uint64_t lost_notified;
	uint64_t lost_by[LOSS_COUNT];
	uint64_t inconsistent;    /* paid, order unpaid, nothing in flight */
	uint64_t repaired;        /* orders fixed by reconciliation */
};

struct ledger;

struct ledger *ledger_create(void);
void ledger_free(struct ledger *l);
/* Forgets everything, keeping the memory. */
void ledger_reset(struct ledger *l);
/* Updates the ledger from one event. Events must come in time order. */
void ledger_apply(struct ledger *l, const struct event *ev);
/*
 * The entry of message `msg`, or NULL if `msg` is 0 or above the highest id
 * seen; an id below it that never appeared has published_at == -1.
 */
const struct ledger_entry *ledger_entry(const struct ledger *l, uint32_t msg);
enum ledger_fate ledger_fate(const struct ledger_entry *e);
const char *ledger_fate_name(enum ledger_fate fate);
const char *ledger_fate_text(enum ledger_fate fate);
/* Highest message id seen (entries are 1..that). */
uint32_t ledger_max_id(const struct ledger *l);
void ledger_summarize(const struct ledger *l, struct ledger_summary *s);

/*
 * Looks up a summary counter by the name scripts use: "lost", "processed",
 * "duplicated", "dead_lettered", "in_flight", "published", "confirmed",
 * "nacked", "returned", "delivered", "redelivered", "effects",
 * "lost_silent", "lost_notified", "inconsistent", "repaired" and
 * "lost_<reason>" for each loss reason. Returns 0, or -1 if no such name.
 */
int ledger_counter(const struct ledger_summary *s, const char *name,
    uint64_t *value);
/* Calls fn for every counter name, for validators and help text. */
void ledger_counter_names(void (*fn)(void *ctx, const char *name), void *ctx);

/* Prints the summary as aligned text, or as one JSON object line. */
void ledger_print_summary(FILE *out, const struct ledger_summary *s);
void ledger_print_summary_json(FILE *out, const struct ledger_summary *s);

#endif
