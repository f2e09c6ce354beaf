/*
 * The ledger: follows every message to its fate by reading the event stream.
 *
 * It knows nothing of engines: feed it every event (ledger_apply) and it keeps,
 * per message, what happened and what it came to, plus summary counters.
 * Either engine's events give the same ledger for the same story.
 *
 * A message may exist as several copies (a fanout, several bindings,
 * dead-lettering or republishing into several queues, a resend). The ledger
 * counts, per message, how many copies stand at each place (struct
 * ledger_entry's `copies`), and never calls a message lost while it counts a
 * copy in a queue or in a consumer's hands (ledger_check). The copies of one
 * message can also be told apart, each with its queue and consumer, from
 * that message's events alone (struct ledger_story, for timelines).
 */
#ifndef RL_LEDGER_H
#define RL_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/event.h"
#include "model/topology.h"

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

/*
 * Where one copy of a message stands: identifier, name, the copy fate it
 * counts as in the summary. The places before LEDGER_COUNTED are counted per
 * message; a lost copy is the entry's `lost` bit; a consumed one is not kept.
 */
#define LEDGER_PLACES(_)                                                       \
	_(TRANSIT, "on its way", IN_FLIGHT)  /* published, routed, expired,    \
						nacked: not yet in a queue */  \
	_(QUEUED, "queued", IN_FLIGHT)       /* waiting in a queue */          \
	_(PARKED, "parked", DEAD)            /* in a dead or error queue */    \
	_(HANDS, "with a consumer", IN_FLIGHT) /* delivered, not settled */    \
	_(WORKED, "worked", PROCESSED)       /* its consumer applied the     \
						effect (or skipped a          \
						duplicate); ack pending, or   \
						auto-acked */                 \
	_(PROCESSED, "processed", PROCESSED) /* ... and acked */               \
	_(DISCARDED, "discarded", DISCARDED) /* dropped, others remained */    \
	_(LOST, "lost", LOST)                /* the last copy, dropped */      \
	_(GONE, "consumed", NONE)            /* acked without its effect: the \
						copies it was republished as  \
						carry on */

enum ledger_place {
#define LEDGER_PLACE_ENUM(id, name, fate) LEDGER_AT_##id,
	LEDGER_PLACES(LEDGER_PLACE_ENUM)
#undef LEDGER_PLACE_ENUM
	LEDGER_PLACE_COUNT
};

/* Places counted per message (struct ledger_entry's `copies`). */
#define LEDGER_COUNTED LEDGER_AT_LOST

/*
 * What became of the copies, as the summary counts them: identifier, JSON
 * name (after "copies_"), text.
 */
#define LEDGER_COPY_FATES(_)                                                   \
	_(PROCESSED, "processed", "processed")                                 \
	_(DEAD, "dead_lettered", "dead-lettered")                              \
	_(DISCARDED, "discarded", "discarded")                                 \
	_(LOST, "lost", "lost")                                                \
	_(IN_FLIGHT, "in_flight", "in flight")

enum ledger_copy_fate {
#define LEDGER_COPY_FATE_ENUM(id, name, text) COPY_##id,
	LEDGER_COPY_FATES(LEDGER_COPY_FATE_ENUM)
#undef LEDGER_COPY_FATE_ENUM
	COPY_FATE_COUNT,
	COPY_NONE = COPY_FATE_COUNT /* a consumed copy: no fate of its own */
};

/*
 * One message: kept small, there may be millions (32 bytes; the copy
 * counters fill what was padding).
 */
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
	uint8_t park : 1;         /* the next copy to enter a queue is parked
				     (the last dead-letter/republish said so) */
	uint8_t dying : 1;        /* a copy left its queue or consumer to be
				     dead-lettered: the next dead-letter
				     carries it rather than a new copy */
	uint8_t fresh : 1;        /* a republish announced a new copy */
	uint8_t unsure : 1;       /* an event found no copy where one had to
				     be, or a count saturated: the counts
				     below are the ledger's best guess */
	uint8_t copies[LEDGER_COUNTED]; /* copies per enum ledger_place,
					   sticking at 255 */
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
	uint64_t copies;          /* copies of every message (a lost one
				     included, a consumed one not) */
	uint64_t multi_copy;      /* messages that had more than one copy */
	uint64_t copy[COPY_FATE_COUNT]; /* copies by what became of them */
	uint64_t discarded_by[LOSS_COUNT]; /* discarded copies by reason */
};

/*
 * The invariant, over a whole run: no EV_LOST came while the ledger counted
 * another copy of that message in a queue, in a consumer's hands or on its
 * way there (an engine bug; the test build asserts it at once, unless the
 * ledger had to guess that message's copies). `unsure` counts messages
 * whose copy counts are a guess (see ledger_entry's `unsure`).
 */
struct ledger_check {
	uint64_t lost_with_copies; /* EV_LOST while another copy was live */
	uint64_t unsure;           /* messages whose counts are a guess */
};

struct ledger;

/*
 * A new, empty ledger; never NULL (out of memory is fatal). It is strict
 * when built without NDEBUG (see ledger_strict).
 */
struct ledger *ledger_create(void);
/*
 * Strict (on): an EV_LOST while the ledger is sure it counts a live copy of
 * the message fails an assertion. Off: it is only counted (ledger_check),
 * for tests that check the counting.
 */
void ledger_strict(struct ledger *l, int on);
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

/* Copies of the message in all: a lost one counted, a consumed one not. */
unsigned ledger_copies(const struct ledger_entry *e);
/* Its copies on their way to a queue, in one, or in a consumer's hands. */
unsigned ledger_copies_live(const struct ledger_entry *e);
/* What a copy at place `p` counts as; COPY_NONE for a consumed copy. */
enum ledger_copy_fate ledger_place_fate(enum ledger_place p);
const char *ledger_place_name(enum ledger_place p);
const char *ledger_copy_fate_name(enum ledger_copy_fate f);
const char *ledger_copy_fate_text(enum ledger_copy_fate f);
/* Fills *c with the invariant's counters since the ledger was made or reset. */
void ledger_check(const struct ledger *l, struct ledger_check *c);

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

/* One copy of a message, as that message's events tell it. */
struct ledger_copy {
	enum ledger_place at;     /* where it stands */
	enum loss_reason reason;  /* LEDGER_AT_DISCARDED, _LOST: why */
	const char *queue;        /* the queue it is in or was last in; NULL
				     none yet (borrowed from an event) */
	const char *consumer;     /* the consumer that has or had it, or NULL */
};

/*
 * The copies of one message told apart, for its timeline: feed it that
 * message's events in order. It follows the same rules as the ledger's
 * counters, and also where each copy is; a delivery is matched to the copy
 * in the queue its consumer reads (from the topology), otherwise to the
 * oldest copy that could be taken. Names are borrowed from the events and
 * the topology, which must outlive the story.
 */
struct ledger_story {
	const struct topology *topo; /* borrowed; may be NULL */
	struct ledger_copy *copy;    /* in order of appearance */
	size_t ncopies, cap;
	struct ledger_entry e;       /* the message's counters and bits */
};

/* Starts an empty story; `topo` may be NULL. */
void ledger_story_init(struct ledger_story *st, const struct topology *topo);
/* Applies one event of the story's message (feed no other's). */
void ledger_story_apply(struct ledger_story *st, const struct event *ev);
/* Frees what the story holds; it may be initialised again. */
void ledger_story_free(struct ledger_story *st);
/* Copies of the story that count (a consumed one does not). */
size_t ledger_story_count(const struct ledger_story *st);
/*
 * Describes copy c: returns an English printf format with at most one %s,
 * to be given *arg (a queue or consumer name, borrowed); *why is the text
 * of the loss reason of a discarded or lost copy (event_reason_text), to be
 * written after ": ", or NULL. Translate both before showing them.
 */
const char *ledger_copy_describe(const struct ledger_copy *c,
    const char **arg, const char **why);
/*
 * Writes "copies: N" and one line per copy that counts ("  copy 2: parked
 * in pay.dead"), in English, when the message had more than one copy;
 * nothing otherwise.
 */
void ledger_story_print(FILE *out, const struct ledger_story *st);

#endif
