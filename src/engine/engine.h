/*
 * The engine interface: one contract, two engines.
 *
 * An engine runs one scenario: a broker with its exchanges and queues, one
 * producer (the payment service) and the consumers (the trade service). The
 * simulated engine ("sim") models RabbitMQ 3.10 on a virtual clock; the live
 * engine drives a real broker through rabbitmq-c. The lesson runner, the
 * command line and the screen use only what is declared here.
 *
 * Call order:
 *   engine_create -> declare (once) -> any of set_toggle, publish, consume,
 *   fail, restart, advance, view, in any order -> engine_destroy.
 *   Toggles may be set before declare; they apply from then on.
 *
 * Events: every frame and condition is passed to the sink given at creation,
 * synchronously, from inside whichever call caused it (usually advance).
 * The event and the strings it points to are borrowed: valid only during the
 * callback. The sink must not call back into the engine.
 *
 * Time: `advance(us)` moves the engine forward by `us` microseconds: the
 * simulation runs every timer due in that span, instantly; the live engine
 * polls its sockets until that much wall time has passed. `now` is the
 * engine's clock in microseconds since creation.
 *
 * Errors: calls return 0, or -1 with *cause set to a message the caller frees
 * (the request was bad; the scenario is unchanged). Failures of the modelled
 * system (a lost connection, a 404) are never errors: they are events.
 *
 * Threading: an engine belongs to one thread; nothing here locks.
 */
#ifndef RL_ENGINE_H
#define RL_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "model/event.h"
#include "model/toggle.h"
#include "model/topology.h"

/* Failures a learner can trigger: id, script name, help text. */
#define FAILURES(_)                                                            \
	_(CONNECTION_LOST, "connection_lost",                                  \
	  "cut a connection (producer or consumer) for `ms`")                  \
	_(BLACKHOLE, "blackhole",                                              \
	  "silently drop a connection's traffic for `ms`")                     \
	_(MISSING_EXCHANGE, "missing_exchange",                                \
	  "delete the exchange the producer publishes to")                     \
	_(UNROUTABLE, "unroutable",                                            \
	  "publish with a routing key nothing is bound to")                    \
	_(QUEUE_FULL, "queue_full",                                            \
	  "cap a queue at its current length (policy max-length)")             \
	_(BROKER_CRASH, "broker_crash", "kill -9 the broker")                  \
	_(BROKER_STOP, "broker_stop", "stop the broker cleanly")               \
	_(CONSUMER_CRASH_BEFORE, "consumer_crash_before",                      \
	  "the consumer dies on its next message, before the work")           \
	_(CONSUMER_CRASH_AFTER, "consumer_crash_after",                        \
	  "the consumer dies on its next message, after the work, before "    \
	  "the ack")                                                           \
	_(CONSUMER_EXCEPTION, "consumer_exception",                            \
	  "the next message throws in the listener (`times` times, 0 = "      \
	  "always)")                                                           \
	_(MESSAGE_EXPIRY, "message_expiry",                                    \
	  "give a queue a message TTL of `ms` (policy message-ttl)")          \
	_(CHAOS, "chaos",                                                      \
	  "`times` random failures over `ms`: cut links, black holes, "       \
	  "broker crashes (restarted 2 s later), consumer crashes, "          \
	  "exceptions")

enum failure_kind {
#define FAILURE_ENUM(id, name, help) FAIL_##id,
	FAILURES(FAILURE_ENUM)
#undef FAILURE_ENUM
	FAIL_COUNT
};

const char *engine_failure_name(enum failure_kind kind);
const char *engine_failure_help(enum failure_kind kind);
/* The failure called `name`, or -1. */
int engine_failure_find(const char *name);

struct failure_req {
	enum failure_kind kind;
	const char *target; /* queue, exchange or consumer name, or "producer";
			       NULL: the natural default */
	int64_t ms;         /* duration or TTL; <= 0: the default */
	int times;          /* CONSUMER_EXCEPTION: failing attempts, 0 = always */
	int unreadable;     /* CONSUMER_EXCEPTION: not even convertible */
};

struct publish_req {
	const char *exchange;      /* NULL: the topology's publish exchange */
	const char *key;           /* NULL: the topology's publish key */
	uint32_t count;            /* messages, at least 1 */
	int64_t every_us;          /* gap between messages; 0 back to back */
	int64_t expiration_ms;     /* per-message TTL; -1 none */
	int64_t delay_ms;          /* x-delay header (delayed exchange); -1 none */
	int persistent;            /* 0, 1, or -1: follow the toggle */
	const struct topo_kv *headers;
	size_t nheaders;
};

/* What the screen shows of one queue. */
struct engine_queue_view {
	const char *name;
	int type;          /* QTYPE_* */
	int durable;
	int exists;        /* 0 after it was lost */
	uint64_t ready;    /* waiting for delivery */
	uint64_t unacked;  /* delivered, not yet acked */
	int64_t max_length;
	int64_t ttl_ms;
	int64_t head_expires_in_us; /* until the head message expires, -1 */
	int role;          /* QROLE_* */
};

struct engine_view {
	int broker_up;
	int producer_connected;
	uint64_t producer_outstanding; /* confirms awaited */
	uint64_t producer_pending;     /* publishes not yet sent */
	int64_t producer_blocked_us;   /* time the caller spent blocked */
	int64_t producer_retry_in_us;  /* until the next reconnect try, -1 */
	int producer_attempt;          /* connection attempts for this send */
	const struct engine_queue_view *queues; /* borrowed until the next call */
	size_t nqueues;
	uint64_t consumer_in_progress;
	uint64_t consumer_buffered;
	int consumers_connected;
};

struct engine_opts {
	uint64_t seed;
	void (*sink)(void *ctx, const struct event *ev); /* may be NULL */
	void *sink_ctx;
	const char *url; /* live engine only; NULL otherwise */
};

struct engine;

struct engine_ops {
	const char *name;
	/* Returns a new engine, or NULL with *cause set. */
	struct engine *(*create)(const struct engine_opts *opts, char **cause);
	void (*destroy)(struct engine *e);
	/* Declares the whole topology (copied). Once, before the rest. */
	int (*declare)(struct engine *e, const struct topology *topo,
	    char **cause);
	int (*set_toggle)(struct engine *e, enum toggle_id id, int64_t value,
	    char **cause);
	int64_t (*get_toggle)(struct engine *e, enum toggle_id id);
	/* Queues `count` publishes for the producer; they go out over time. */
	int (*publish)(struct engine *e, const struct publish_req *req,
	    char **cause);
	/* Starts (on=1) or stops (on=0) a consumer; NULL names every one. */
	int (*consume)(struct engine *e, const char *consumer, int on,
	    char **cause);
	int (*inject)(struct engine *e, const struct failure_req *req,
	    char **cause);
	/* Starts a broker that is down. */
	int (*restart)(struct engine *e, char **cause);
	/* Runs `us` microseconds; returns 0 or -1 with *cause. */
	int (*advance)(struct engine *e, int64_t us, char **cause);
	/* Runs until nothing is scheduled but idle timers, or `max_us` passed. */
	int (*settle)(struct engine *e, int64_t max_us, char **cause);
	int64_t (*now)(struct engine *e);
	/* When the next thing is due (INT64_MAX: nothing scheduled). */
	int64_t (*next_due)(struct engine *e);
	/* Whether nothing is left to happen but periodic jobs. */
	int (*quiet)(struct engine *e);
	/* Fills *view; its pointers are borrowed until the next engine call. */
	void (*view)(struct engine *e, struct engine_view *view);
};

/*
 * The screen's view of the queues of broker model `b` at `now`, into a new
 * array (one per queue) that replaces `views` (freed; NULL is fine). The
 * caller frees the result; names are borrowed from the topology.
 */
struct engine_queue_view *engine_queue_views(struct engine_queue_view *views,
    const struct broker *b, int64_t now);

/* The engine called `name` ("sim" or "live"), or NULL. */
const struct engine_ops *engine_find(const char *name);

extern const struct engine_ops engine_sim_ops;
/* The live engine (engine/live.c): a real RabbitMQ through rabbitmq-c. */
extern const struct engine_ops engine_live_ops;

#endif
