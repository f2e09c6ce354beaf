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
#include "client/client.h"
#include "model/event.h"
#include "model/rng.h"
#include "model/sched.h"
#include "model/toggle.h"
#include "model/topology.h"

/* Failures a learner can trigger: id, script name, help text. */
#define FAILURES(_)                                                            \
	_(CONNECTION_LOST, "connection_lost",                                  \
	  "cut a connection (producer or consumer) for a while")               \
	_(BLACKHOLE, "blackhole",                                              \
	  "silently drop a connection's traffic for a while")                  \
	_(MISSING_EXCHANGE, "missing_exchange",                                \
	  "delete the exchange the producer publishes to")                     \
	_(UNROUTABLE, "unroutable",                                            \
	  "publish with a routing key nothing is bound to")                    \
	_(QUEUE_FULL, "queue_full",                                            \
	  "cap a queue at its current length (policy max-length)")             \
	_(BROKER_CRASH, "broker_crash", "kill -9 the broker")                  \
	_(BROKER_STOP, "broker_stop", "stop the broker cleanly")               \
	_(CONSUMER_CRASH_BEFORE, "consumer_crash_before",                      \
	  "the consumer dies on its next message, before the work")            \
	_(CONSUMER_CRASH_AFTER, "consumer_crash_after",                        \
	  "the consumer dies on its next message, after the work, before "     \
	  "the ack")                                                           \
	_(CONSUMER_EXCEPTION, "consumer_exception",                            \
	  "the next message throws in the listener (a set number of "          \
	  "times, 0 = always)")                                                \
	_(MESSAGE_EXPIRY, "message_expiry",                                    \
	  "give a queue a message TTL (policy message-ttl)")                   \
	_(CHAOS, "chaos",                                                      \
	  "random failures over a while: cut links, black holes, "             \
	  "broker crashes (restarted 2 s later), consumer crashes, "           \
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

/* An exchange as the broker has it now. */
struct engine_exchange_view {
	const char *name;
	int exists;        /* 0 after it was deleted or lost */
	size_t bindings;   /* bindings from it that exist now */
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
	const struct engine_exchange_view *exchanges; /* borrowed, as queues */
	size_t nexchanges;
	uint64_t consumer_in_progress; /* being worked on */
	uint64_t consumer_buffered;    /* delivered, waiting behind them */
	int consumers_connected;
};

struct engine_opts {
	uint64_t seed;
	void (*sink)(void *ctx, const struct event *ev); /* may be NULL */
	void *sink_ctx;
	const char *url; /* live engine only; NULL otherwise */
};

struct engine;

/* What an engine can do (engine_ops.caps): ask, do not compare names. */
#define ENGINE_CAP_VIRTUAL_TIME 0x1 /* time is its own: instant, paused */
#define ENGINE_CAP_UNDO 0x2         /* a replay from the start gives the
				       same story (deterministic) */
#define ENGINE_CAP_REAL_BROKER 0x4  /* drives a real broker (engine_opts.url)
				       whose crashes are real */
#define ENGINE_CAP_WIRE_READ 0x8    /* its events are read off the wire of
				       applications it does not run, so the
				       ledger counts them without asserting
				       (ledger_strict off) */

struct engine_ops {
	const char *name;
	unsigned caps;             /* ENGINE_CAP_* */
	/* Returns a new engine, or NULL with *cause set. */
	struct engine *(*create)(const struct engine_opts *opts, char **cause);
	void (*destroy)(struct engine *e);
	/* Declares the whole topology (copied). Once, before the rest. */
	int (*declare)(struct engine *e, const struct topology *topo,
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

/*
 * What both engines hold, as the first member of each one's struct engine:
 * shared code in engine.c reaches it from a struct engine pointer.
 */
struct engine_base {
	struct sched sched;        /* every timer: the engine's, the model's
				      (expiry) and the applications' */
	int64_t toggles[TOGGLE_COUNT];
	void (*sink)(void *, const struct event *); /* may be NULL */
	void *sink_ctx;
	struct topology *topo;     /* owned copy, from declare */
	int declared;
	struct broker b;           /* the broker model */
	struct client app;         /* the applications */
	struct rng rng;            /* chaos draws */
	const struct engine_hooks *hooks;
	int timer_base;            /* the shared timers' first kind */
	struct engine_queue_view *qviews; /* the last view's queues */
	struct engine_exchange_view *xviews; /* and exchanges */
};

/*
 * What an engine does itself when the shared request handling below needs
 * its broker or its connections. Optional hooks may be NULL: then the
 * broker model alone is the broker.
 */
struct engine_hooks {
	/* Whether the engine may cause `req`: 0, or -1 with *cause. */
	int (*allowed)(struct engine *e, const struct failure_req *req, char **cause);
	/* Cuts (or black-holes) link `who` (0 producer, 1 + i consumer i),
	 * healing it after ms (<= 0: never). */
	int (*link)(struct engine *e, int who, int blackhole, int64_t ms,
	    char **cause);
	/* exchange.delete of exchange x on the broker. */
	int (*delete_exchange)(struct engine *e, int x, char **cause);
	/* The depth queue_full caps queue qi at (NULL: the model's). */
	int (*depth)(struct engine *e, int qi, uint64_t *depth, char **cause);
	/* Puts queue qi's lab policy (its policy_* fields) on the broker. */
	int (*policy)(struct engine *e, int qi, char **cause);
	/* Stops (clean) or kills the broker, which is up. */
	int (*down)(struct engine *e, int clean, char **cause);
	/* Queue qi / exchange x was declared again with new arguments. */
	int (*queue_redeclared)(struct engine *e, int qi, char **cause);
	int (*exchange_redeclared)(struct engine *e, int x, char **cause);
	/*
	 * Before a failure is armed on consumer ci (it acts on the next
	 * message the consumer starts): the consumer has taken in what was
	 * already delivered to it, as a simulated one has at once.
	 */
	void (*catch_up)(struct engine *e, int ci);
	/* Consumer ci was started / stopped by the script. */
	void (*start)(struct engine *e, int ci);
	void (*stop)(struct engine *e, int ci);
	/* The producer may act now (its pump). */
	void (*pump)(struct engine *e);
	/*
	 * Toggle id changed to value (validated, stored, announced, and the
	 * shared effects applied): the engine's own effects. 0 or -1.
	 */
	int (*toggled)(struct engine *e, enum toggle_id id, int64_t value,
	    char **cause);
	/* Starts the broker, which is down (the engine's restart op). */
	int (*restart)(struct engine *e, char **cause);
};

/*
 * The shared timers, in each engine's timer queue from the engine's
 * `timer_base` kind up: a chaos failure, the broker's restart (gen: the
 * broker's generation it is for), the model's expiries, and from
 * ENGINE_T_CLIENT up the applications'.
 */
enum engine_timer {
	ENGINE_T_CHAOS,
	ENGINE_T_RESTART,
	ENGINE_T_EXPIRY,
	ENGINE_T_CLIENT,
};

/*
 * Sets up the shared part of a new engine `eb` (the first member of the
 * engine, which is also the context of every callback): timers, toggles'
 * defaults, the sink, the broker model's environment from `env` (its ctx,
 * sink, sched and timer kind are filled in here) and the applications over
 * `ops`; the shared timers' kinds start at `timer_base`.
 */
void engine_base_init(struct engine_base *eb, const struct engine_opts *opts,
    const struct broker_env *env, const struct client_ops *ops,
    int timer_base, const struct engine_hooks *hooks);
/*
 * Runs a fired timer if it is one of the shared ones (returns 1), else
 * returns 0: the engine's own.
 */
int engine_timer(struct engine *e, const struct sched_timer *t);
/* The broker went down: it starts again after restart_ms, if set. */
void engine_restart_later(struct engine *e);
/*
 * The shared part of declare: the topology copied and modelled, the
 * applications made. 0, or -1 with *cause.
 */
int engine_base_declare(struct engine_base *eb, const struct topology *topo,
    char **cause);
/* Frees what engine_base_init and engine_base_declare made. */
void engine_base_free(struct engine_base *eb);

/*
 * The view shared by both engines: broker, producer, consumers, and the
 * model's queues (borrowed until the next call).
 */
void engine_view_fill(struct engine *e, struct engine_view *v);

/*
 * What callers ask of either engine the same way, so not in engine_ops:
 * a toggle's value; setting one (0, or -1 with *cause); queueing `count`
 * publishes for the producer (they go out over time).
 */
int64_t engine_get_toggle(struct engine *e, enum toggle_id id);
int engine_set_toggle(struct engine *e, enum toggle_id id, int64_t value,
    char **cause);
int engine_publish(struct engine *e, const struct publish_req *req,
    char **cause);


/*
 * The failure `req`, the same on both engines: the target resolved, the
 * model and the applications changed, the engine's own part through its
 * hooks. Returns 0, or -1 with *cause (the scenario unchanged).
 */
int engine_inject(struct engine *e, const struct failure_req *req,
    char **cause);
/* The queue a failure acts on: the named queue or consumer's, else the
 * first consumer's (or the first queue); -1 none. */
int engine_target_queue(const struct client *app, const char *target);
/* The consumer a failure acts on: the named one, else the first; -1. */
int engine_target_consumer(const struct client *app, const char *target);
/*
 * Validates and stores toggle id = value, announcing it (EV_TOGGLE) once
 * the topology is declared. Returns 1 when it changed, 0 when it had that
 * value, -1 with *cause when the toggle or value is bad.
 */
int engine_toggle(int64_t *toggles, struct broker *b, int declared,
    enum toggle_id id, int64_t value, char **cause);
/*
 * A durability or queue type toggle changed: what exists with other
 * arguments is deleted and declared again, empty (a declared object
 * cannot change them: 406), through the hooks on the broker.
 */
int engine_durability(struct engine *e, char **cause);
/*
 * Starts (on) or stops consumer `name` (NULL: all) through the hooks: the
 * consume operation of both engines.
 */
int engine_consume(struct engine *e, const char *name, int on,
    char **cause);

/*
 * One random failure of the capstone's chaos, drawn from `rng` the same way
 * on both engines: only failures the right toggles can survive. `consumer`
 * names the consumer a link failure may hit (NULL: none); the failure's
 * target is borrowed from it or a literal.
 */
void engine_chaos_draw(struct rng *rng, const char *consumer,
    struct failure_req *r);

/* The engine called `name` ("sim" or "live"), or NULL. */
const struct engine_ops *engine_find(const char *name);

extern const struct engine_ops engine_sim_ops;
/* The live engine (engine/live.c): a real RabbitMQ through rabbitmq-c. */
extern const struct engine_ops engine_live_ops;

#endif
