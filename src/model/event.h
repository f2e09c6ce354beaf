/*
 * Events: the typed stream every engine emits and everything else reads.
 *
 * Each event is one AMQP 0-9-1 frame seen on the wire (basic.publish,
 * basic.return 312, channel.close 404, ...) or one condition the lab can see
 * (a message enqueued, expired, lost). The tables below are the only place a
 * kind, an actor, a loss reason or a fate is named; adding one is one line.
 */
#ifndef RL_EVENT_H
#define RL_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Who did it. */
#define EVENT_ACTORS(_)                                                        \
	_(LAB, "lab")                                                          \
	_(PRODUCER, "producer")                                                \
	_(EXCHANGE, "exchange")                                                \
	_(QUEUE, "queue")                                                      \
	_(CONSUMER, "consumer")                                                \
	_(BROKER, "broker")                                                    \
	_(NETWORK, "network")                                                  \
	_(RECONCILER, "reconciler")

enum event_actor {
#define EVENT_ACTOR_ENUM(id, name) ACTOR_##id,
	EVENT_ACTORS(EVENT_ACTOR_ENUM)
#undef EVENT_ACTOR_ENUM
	ACTOR_COUNT
};

/*
 * Event kinds: identifier, the frame or condition as printed. `flag` and
 * `code` in struct event carry the kind's detail (see the comment per kind).
 */
#define EVENT_KINDS(_)                                                         \
	_(CONNECT, "connection.open")          /* flag: 1 = consumer side */   \
	_(CONNECT_FAIL, "connection refused")  /* code: client status */       \
	_(CONN_LOST, "connection lost")        /* code: client status */       \
	_(CONN_CLOSE, "connection.close")      /* code: 504, 320, ... */       \
	_(CHANNEL_OPEN, "channel.open")                                        \
	_(CHANNEL_CLOSE, "channel.close")      /* code: 404, 406 */            \
	_(CONFIRM_SELECT, "confirm.select")                                    \
	_(PUBLISH, "basic.publish")            /* flag: bit0 persistent,       \
						  bit1 mandatory, bit2 resend */ \
	_(RETRY_WAIT, "publish retry")         /* flag: attempt number */      \
	_(PUBLISH_FAILED, "publish failed")    /* the caller got an exception */ \
	_(ROUTED, "routed")                    /* where: exchange; flag: queues */ \
	_(RETURN, "basic.return")              /* code: 312 */                 \
	_(ENQUEUE, "enqueued")                 /* where: queue */              \
	_(REJECT_PUBLISH, "queue full")        /* where: queue */              \
	_(DROP_HEAD, "drop-head")              /* where: queue */              \
	_(CONFIRM_ACK, "basic.ack")            /* broker -> producer */        \
	_(CONFIRM_NACK, "basic.nack")          /* broker -> producer */        \
	_(CONFIRM_LOST, "confirm never came")  /* channel or link died */      \
	_(CONSUME, "basic.consume")                                            \
	_(DELIVER, "basic.deliver")            /* flag: redelivered */         \
	_(WORK_START, "work started")                                          \
	_(WORK_DONE, "order marked paid")      /* effect; flag: 1 again by \
						  the same consumer */ \
	_(DUP_SKIP, "duplicate skipped")       /* flag: 1 id, 2 business */    \
	_(EXCEPTION, "listener exception")     /* flag: 1 unreadable */        \
	_(RETRY, "local retry")                /* flag: attempt about to run */ \
	_(ACK, "basic.ack")                    /* consumer -> broker */        \
	_(NACK, "basic.nack")                  /* flag: requeue */             \
	_(REJECT, "basic.reject")              /* flag: requeue */             \
	_(REQUEUE, "requeued")                 /* where: queue */              \
	_(EXPIRE, "expired")                   /* where: queue */              \
	_(DEAD_LETTER, "dead-lettered")        /* where: target queue; detail:  \
						  reason; flag: 1 parked, \
						  2 a new copy */ \
	_(REPUBLISH, "republished")            /* where: error queue; flag: 1 parked */     \
	_(CONSUMER_CRASH, "consumer crashed")                                  \
	_(CRASH, "kill -9")                                                    \
	_(STOP, "clean stop")                                                  \
	_(START, "broker started")                                             \
	_(QUEUE_DELETED, "queue gone")         /* where: queue */              \
	_(EXCHANGE_DELETED, "exchange gone")   /* where: exchange */           \
	_(EXCHANGE_REDECLARED, "exchange declared again") /* where: exchange; \
						  after a delete or a loss */ \
	_(POLICY, "policy set")                /* where: queue; detail */      \
	_(PAID, "payment marked done")                                         \
	_(RECONCILE, "order repaired")                                         \
	_(TOGGLE, "toggle")                    /* detail: name=value */        \
	_(FAILURE, "failure")                  /* detail: which */             \
	_(BLOCKED, "connection.blocked")       /* detail: the broker's reason */ \
	_(UNBLOCKED, "connection.unblocked")                                   \
	_(DISCARD, "copy discarded")           /* reason: why; others remain */ \
	_(LOST, "LOST")                        /* reason, notice */        \
	_(FRAME, "frame")                      /* watch: a frame with no kind \
						  of its own; detail: it */

enum event_kind {
#define EVENT_KIND_ENUM(id, text) EV_##id,
	EVENT_KINDS(EVENT_KIND_ENUM)
#undef EVENT_KIND_ENUM
	EV_COUNT
};

/* Bit of `flag` on EV_DEAD_LETTER: a further target of the fan-out, a new
   copy (the first target carries the copy that died). */
#define EVENT_DL_NEW_COPY 2

/* Bits of `flag` on EV_PUBLISH. */
#define EVENT_PUB_PERSISTENT 1
#define EVENT_PUB_MANDATORY 2
#define EVENT_PUB_RESEND 4

/*
 * Why a message was lost: identifier, script/JSON name, the hop where it
 * happened, and a sentence for the transcript.
 */
#define LOSS_REASONS(_)                                                        \
	_(NONE, "none", "-", "")                                               \
	_(NETWORK, "network", "producer->broker",                              \
	  "the producer could not reach the broker")                           \
	_(BLACKHOLE, "blackhole", "producer->broker",                          \
	  "sent into a connection that no longer reached the broker")          \
	_(CHANNEL_CLOSED, "channel_closed", "producer->broker",                \
	  "in flight on a channel the broker had closed")                      \
	_(MISSING_EXCHANGE, "missing_exchange", "exchange",                    \
	  "published to an exchange that does not exist")                      \
	_(UNROUTABLE, "unroutable", "exchange",                                \
	  "no queue was bound for its routing key")                            \
	_(QUEUE_FULL, "queue_full", "queue",                                   \
	  "rejected by a full queue")                                          \
	_(DROP_HEAD, "drop_head", "queue",                                     \
	  "dropped from the head of a full queue")                             \
	_(BROKER_CRASH, "broker_crash", "queue",                               \
	  "the broker went down while the message was only in memory")        \
	_(QUEUE_DELETED, "queue_deleted", "queue",                             \
	  "its queue was deleted")                                             \
	_(EXPIRED, "expired", "queue",                                         \
	  "expired with no dead-letter exchange")                              \
	_(DELIVERY_LIMIT, "delivery_limit", "queue",                           \
	  "hit the delivery limit with no dead-letter exchange")               \
	_(DEAD_LETTER_CYCLE, "dead_letter_cycle", "queue",                     \
	  "dead-lettered back into a queue it had died in: a cycle, dropped")  \
	_(AUTOACK_CRASH, "autoack_crash", "consumer",                          \
	  "acked on delivery, then the consumer died before finishing")        \
	_(AUTOACK_EXCEPTION, "autoack_exception", "consumer",                  \
	  "acked on delivery, then the listener threw")                        \
	_(REJECTED, "rejected", "consumer",                                    \
	  "rejected by the consumer and dropped (no dead-letter exchange)")    \
	_(NACKED, "nacked", "broker",                                          \
	  "the broker nacked it: not taken (the rule that refused it is not on the wire)")

enum loss_reason {
#define LOSS_REASON_ENUM(id, name, hop, text) LOSS_##id,
	LOSS_REASONS(LOSS_REASON_ENUM)
#undef LOSS_REASON_ENUM
	LOSS_COUNT
};

/* How the producer learnt of a loss, if it did. */
#define LOSS_NOTICES(_)                                                        \
	_(SILENT, "silent")                                                    \
	_(NACK, "nack")                                                        \
	_(RETURN, "return")                                                    \
	_(ERROR, "error")

enum loss_notice {
#define LOSS_NOTICE_ENUM(id, name) NOTICE_##id,
	LOSS_NOTICES(LOSS_NOTICE_ENUM)
#undef LOSS_NOTICE_ENUM
	NOTICE_COUNT
};

struct event {
	int64_t t;               /* microseconds since the engine was created */
	enum event_kind kind;    /* what happened */
	enum event_actor actor;  /* who did it */
	uint32_t msg;            /* ledger id of the message; 0 if none */
	int code;                /* AMQP reply code or client status; 0 if none */
	int flag;                /* kind-specific, see EVENT_KINDS */
	enum loss_reason reason; /* LOST, DISCARD: why */
	enum loss_notice notice; /* LOST: what the producer was told */
	const char *where;       /* exchange, queue or consumer; may be NULL */
	const char *detail;      /* extra text; may be NULL */
};

/* Names for the tables above; never NULL. */
const char *event_kind_text(enum event_kind kind);
const char *event_actor_name(enum event_actor actor);
const char *event_reason_name(enum loss_reason reason);
const char *event_reason_hop(enum loss_reason reason);
const char *event_reason_text(enum loss_reason reason);
const char *event_notice_name(enum loss_notice notice);
/* The loss reason called `name`, or -1 if there is none. */
int event_reason_find(const char *name);

/* The AMQP reply text for a code (312 "NO_ROUTE", 404 "NOT_FOUND"), or "". */
const char *event_code_text(int code);

/*
 * Formats one event as a transcript line, without a newline, into buf
 * (always terminated, cut to fit); the time column only if `with_time`.
 * Returns the length written.
 */
size_t event_format(char *buf, size_t len, const struct event *ev,
    int with_time);
/*
 * Writes one event as a transcript line (ending in a newline), or as one
 * JSON object on one line. Strings are escaped for JSON.
 */
void event_print_text(FILE *out, const struct event *ev);
void event_print_json(FILE *out, const struct event *ev);
/* Writes `s` as a JSON string literal, quotes included. */
void event_json_string(FILE *out, const char *s);

#endif
