/*
 * The broker model: what RabbitMQ 3.10 does with a message once it has it,
 * with no I/O and no clock of its own.
 *
 * One model serves both engines. The simulated engine runs it as its
 * broker; the live engine runs it as its shadow of the real node, fed the
 * commands the relays saw reach the broker and corrected by what the node
 * reports (deliveries, returns, depths read back after a restart).
 *
 * Here live: exchanges, queues and bindings as declared from a topology;
 * routing for every exchange type; queues with max-length and both overflow
 * modes, message and queue TTL (expiry fixed when a message enters a queue,
 * checked at the head only, as classic and quorum queues do), requeue, the
 * quorum delivery limit, dead-lettering with x-death; policies; deliveries
 * to subscriptions with prefetch and round robin; what a crash or a clean
 * stop keeps; and the count of live copies of each message, from which a
 * lost message is told apart from a discarded copy.
 *
 * The model is driven through `struct broker_env`: the engine's clock, its
 * timers, its event sink, and (for the simulator) its disk and its
 * consumers' links. Every event goes to env.emit synchronously; the event
 * and its strings are borrowed for the call. Indices of exchanges, queues,
 * bindings and subscriptions are those of the topology given to
 * broker_init, which must outlive the broker.
 */
#ifndef RL_BROKER_H
#define RL_BROKER_H

#include <stddef.h>
#include <stdint.h>

#include "model/event.h"
#include "model/sched.h"
#include "model/toggle.h"
#include "model/topology.h"

#define BROKER_NEVER INT64_MAX
/* How long a quorum queue's "reject publishes" takes to reach the publishing
   channel (a message between two Erlang processes on one node; well under
   the 30 ms the generated scenarios leave between publishes). */
#define BROKER_QQ_STATUS_US 1000

/*
 * The detail of the EV_FAILURE (actor broker) emitted when a quorum queue
 * comes back from kill -9 without its Raft member: declared too shortly
 * before the crash, it has lost its messages and is declared again, empty.
 */
#define BROKER_QQ_LEADERLESS                                                   \
	"quorum queue back without its Raft member (declared under 1 s "    \
	"before the crash): messages gone, declared again"

/*
 * x-death: a copy counts its deaths per (queue, reason), as the broker's
 * header does. Only a queue with a dead-letter exchange adds one, so the
 * pairs a topology allows are known at broker_init, which numbers them
 * (at most BROKER_MAX_DEATHS: a topology allowing more is refused with the
 * limit named) and each copy keeps one count per pair. A count stops at
 * BROKER_DEATH_COUNT_MAX; the event's detail then says "255+".
 */
#define BROKER_MAX_DEATHS 8
#define BROKER_DEATH_COUNT_MAX 255

enum broker_death_reason {
	BROKER_DIED_REJECTED,
	BROKER_DIED_EXPIRED,
	BROKER_DIED_MAXLEN,
	BROKER_DIED_DELIVERY_LIMIT,
};

/* One copy of a message: in a queue, unacked, on a wire or in a consumer. */
struct broker_msg {
	uint32_t id;         /* ledger id: the payment it reports */
	uint32_t msgid;      /* AMQP message-id; a resend gets a new one */
	uint32_t key;        /* interned routing key */
	uint32_t headers;    /* header set, 0 none */
	uint32_t seq;        /* order of entry into any queue */
	uint32_t tag;        /* delivery tag, or publish sequence number */
	int16_t exchange;    /* exchange it was last published to, -1 default
				(broker_init refuses more than INT16_MAX) */
	uint16_t deliveries;
	uint8_t persistent;
	uint8_t redelivered;
	uint8_t noack;       /* delivered to a no-ack consumer: already acked */
	uint8_t clean;       /* x-death pair slots whose last death is newer
				than any rejection: bit s set when slot s died
				last for a reason other than rejected and no
				rejection came since (dead-letter cycles) */
	int64_t expiration;  /* per-message TTL in ms, -1 none */
	int64_t due;         /* when it expires in its current queue (fixed
				when it entered), BROKER_NEVER never */
	int64_t written_at;  /* when it is safe on disk, BROKER_NEVER never */
	uint8_t deaths[BROKER_MAX_DEATHS]; /* x-death count per pair slot */
};

/* A FIFO of copies that can also push at the head (requeue). */
struct broker_ring {
	struct broker_msg *buf;
	size_t cap, head, len;
};

struct broker_exchange {
	char *name;
	enum exchange_type type;
	enum exchange_type delayed_type;
	int pinned_durable;  /* -1: follow the toggle */
	int durable;
	int exists;
	int gone;            /* deleted or lost since it was declared: the
				next declaration is logged as a redeclaration */
};

struct broker_binding {
	int exchange, queue;
	uint32_t key;
	const struct topo_binding *spec;
	int exists;
};

struct broker_queue {
	const struct topo_queue *spec;
	int type, durable, exists;
	int64_t declared_at;       /* when this incarnation was declared */
	int leaderless;            /* quorum: comes back without its member */
	int64_t policy_max_length; /* -1 none */
	int64_t policy_ttl_ms;     /* -1 none */
	struct broker_ring ready;  /* waiting for delivery, oldest first */
	uint64_t unacked;
	int64_t expiry_due;        /* armed expiry timer, BROKER_NEVER none */
	size_t rr;                 /* next subscription to try, round robin */
	/*
	 * A quorum queue with x-overflow reject-publish takes the message that
	 * puts it over its limit (so it can hold max-length + 1) and only then
	 * refuses publishes, until it is back at 80% of the limit or below
	 * (rabbit_fifo's limit and soft limit; f37). The queue tells the
	 * publishing channel so, which refuses from then on: publishes that
	 * reach the node back to back before that (a black hole's backlog
	 * let out at once) are all taken (seed 65). qq_told_at is when the
	 * channel has heard.
	 */
	int qq_refusing;
	int64_t qq_told_at;
};

/* The broker's side of a consumer: what it delivered and not yet settled. */
struct broker_sub {
	int queue;
	int ack_mode;              /* ACK_* of its current subscription */
	uint32_t next_tag;
	struct broker_ring unacked; /* by delivery tag */
};

/* What the lab knows of each message, by ledger id. */
struct broker_tally {
	uint16_t copies;           /* live copies */
	uint8_t effects;           /* times the business effect was applied */
	uint8_t confirmed;         /* its publish was acked */
	uint8_t unreadable;        /* a poison message nobody can convert */
	uint8_t mandatory;         /* the toggle when it was published */
	int16_t poison;            /* failing attempts left, -1 always */
	uint16_t returns_due;      /* routed nowhere: a basic.return will come */
};

/* What survives the broker going down, per copy (broker_down). */
enum broker_fate { BROKER_KEEP, BROKER_DIES };

struct broker_env {
	void *ctx;
	int64_t (*now)(void *ctx);
	/* Where every event goes (may be NULL), with its context. */
	void (*sink)(void *sink_ctx, const struct event *ev);
	void *sink_ctx;
	/*
	 * The engine's timers: an expiry of queue qi due at `at` is the timer
	 * (expiry_kind, gen = the broker's generation, a = qi), which the
	 * engine hands to broker_expiry_due when it fires.
	 */
	struct sched *sched;
	int expiry_kind;
	/* When a copy entering queue q now is safe on disk; NULL: never. */
	int64_t (*write_time)(void *ctx, const struct broker_queue *q,
	    int persistent, int confirming);
	/*
	 * Whether subscription `sub` can take a delivery now (its connection
	 * is up); NULL: the model never delivers (a real node does, and the
	 * engine reports each delivery with broker_take).
	 */
	int (*can_take)(void *ctx, int sub);
	/* Copy m was delivered to subscription `sub` from queue q. */
	void (*deliver)(void *ctx, int sub, int queue,
	    const struct broker_msg *m);
};

struct broker {
	struct broker_env env;
	const int64_t *toggles;    /* the engine's, by toggle id */
	const struct topology *topo;
	int up;
	int down_clean;            /* it last went down by a clean stop */
	uint32_t gen;              /* bumped when it goes down */
	uint64_t events;           /* events emitted so far */

	struct broker_exchange *exchanges;
	size_t nexchanges;
	struct broker_queue *queues;
	size_t nqueues;
	struct broker_binding *bindings;
	size_t nbindings;
	struct broker_sub *subs;   /* one per topology consumer */
	size_t nsubs;

	char **keys;               /* interned routing keys */
	size_t nkeys, keys_cap;
	uint32_t last_key;
	struct topo_kv **hsets;    /* header sets; 0 is "none" */
	size_t *hset_len;
	size_t nhsets, hsets_cap, hset_len_cap;

	struct broker_tally *tally;
	size_t tally_cap;
	uint32_t next_seq;
	uint32_t noack_taken;      /* last message a no-ack sub took at once */
	int *targets;              /* routing scratch */
	size_t targets_cap;
	/* x-death pair slot of queue q, reason r: death_slot[q * 4 + r],
	 * BROKER_NO_SLOT where the queue cannot dead-letter */
	uint8_t *death_slot;
};

#define BROKER_NO_SLOT 0xff

/* ---- set-up ------------------------------------------------------------ */

/*
 * Builds the model of `topo` (borrowed: it must outlive the broker), up,
 * nothing declared yet. Returns 0, or -1 with *cause (caller frees) when
 * the topology names what it does not declare or exceeds a limit.
 */
int broker_init(struct broker *b, const struct topology *topo,
    const int64_t *toggles, const struct broker_env *env, char **cause);
void broker_free(struct broker *b);

/* Interned routing key / header set ids; strings and pairs are copied. */
uint32_t broker_intern(struct broker *b, const char *key);
uint32_t broker_headers(struct broker *b, const struct topo_kv *kv, size_t n);

int broker_exchange_find(const struct broker *b, const char *name);
int broker_queue_find(const struct broker *b, const char *name);
int broker_sub_find(const struct broker *b, const char *name);
const char *broker_qname(const struct broker *b, int q);
/* An exchange's name, "(default)" for -1. */
const char *broker_xname(const struct broker *b, int32_t x);

/* ---- copies and fates ---------------------------------------------------- */

struct broker_tally *broker_tally(struct broker *b, uint32_t id);
/* A new live copy of message `id`. */
void broker_copy_add(struct broker *b, uint32_t id);
/* A copy finished normally (acked, processed). */
void broker_copy_done(struct broker *b, uint32_t id);
/*
 * A copy is gone for `reason`: EV_LOST when it was the last copy and the
 * business effect was never applied, else EV_DISCARD.
 */
void broker_drop(struct broker *b, uint32_t id, enum loss_reason reason,
    enum loss_notice notice, const char *where);
/* Emits one event at the engine's time with the common fields. */
void broker_emit(struct broker *b, enum event_kind kind,
    enum event_actor actor, uint32_t msg, int code, int flag,
    const char *where, const char *detail);

/* ---- rings -------------------------------------------------------------- */

void broker_ring_push(struct broker_ring *r, const struct broker_msg *m,
    int at_head);
struct broker_msg *broker_ring_at(struct broker_ring *r, size_t i);
struct broker_msg broker_ring_pop(struct broker_ring *r);
/* Removes item i, keeping the others in order. */
struct broker_msg broker_ring_take(struct broker_ring *r, size_t i);
void broker_ring_free(struct broker_ring *r);

/* ---- topology ------------------------------------------------------------ */

/* Fixes durability and type of what does not exist, from the toggles. */
void broker_resolve(struct broker *b);
/* Declares everything missing, as a client library does on connect. */
void broker_redeclare(struct broker *b);
enum broker_object { BROKER_EXCHANGE, BROKER_QUEUE, BROKER_BINDING };
/*
 * One declare (exchange or queue) or bind reached a running broker: the
 * object exists from now (a binding only if both its ends do). An index
 * out of range is ignored.
 */
void broker_declared(struct broker *b, enum broker_object kind, size_t i);
/*
 * Queue qi is deleted and declared again with another type or durability:
 * what it held is dropped (queue_deleted); it is a new queue from now.
 */
void broker_redeclare_queue(struct broker *b, int qi, int type, int durable);
/* exchange.delete: the exchange and every binding from it go. */
void broker_delete_exchange(struct broker *b, int x, const char *why);
/* The max-length and message-ttl in force (argument or policy, stricter). */
int64_t broker_max_length(const struct broker_queue *q);
int64_t broker_ttl(const struct broker_queue *q);

/* When the copy at the head of q expires; BROKER_NEVER never or none. */
int64_t broker_head_due(struct broker_queue *q);

/* ---- messages ------------------------------------------------------------- */

/*
 * The queues exchange `x` (-1 default) routes m to; returns how many, the
 * indices in *out (borrowed until the next call into the broker).
 */
size_t broker_route(struct broker *b, int32_t x, const struct broker_msg *m,
    const int **out);
/*
 * A publish of m routed to `n` queues (broker_route's out, which this
 * copies first): EV_ROUTED, then each copy enqueued. Returns when the
 * confirm may leave (the last write it waits for; `now` for none) and sets
 * *rejected when a reject-publish queue turned a copy away.
 */
int64_t broker_publish(struct broker *b, int32_t x, const struct broker_msg *m,
    const int *targets, size_t n, int confirming, int *rejected);
/*
 * Puts a copy into queue qi, applying max-length. Sets *rejected when
 * reject-publish turned it away (the copy is then dropped here).
 */
void broker_enqueue(struct broker *b, int qi, struct broker_msg *m,
    int confirming, int *rejected);
/*
 * Puts a copy of m into each of the n queues in `routed` (broker_route's
 * out; copied first), each announced by an event `kind` of `actor` there
 * (flag 1 when it parks there: a dead-letter or error queue) with
 * `detail`. The first `have` copies exist already; one is added for each
 * queue beyond them. Returns n.
 */
size_t broker_fan_out(struct broker *b, const struct broker_msg *m,
    const int *routed, size_t n, enum event_kind kind,
    enum event_actor actor, const char *detail, int have);
/* Dead-letters m out of queue qi, or drops it when there is no DLX. */
void broker_dead_letter(struct broker *b, int qi, struct broker_msg *m,
    enum broker_death_reason reason, enum loss_reason loss);
/* Copy m, taken out of queue qi, expired there: dead-lettered or dropped. */
void broker_expire_copy(struct broker *b, int qi, struct broker_msg *m);
/* Expires what is due at the head of queue qi (head of line only). */
void broker_expire(struct broker *b, int qi);
/*
 * Runs a fired timer if it is the model's (an expiry: returns 1; nothing
 * is done if the broker went down since it was armed), else returns 0.
 */
int broker_timer(struct broker *b, const struct sched_timer *t);
/* Puts a copy back at the head of its queue, or dead-letters it. */
void broker_requeue(struct broker *b, int qi, struct broker_msg *m);
/* How many times copy m died in queue q for `reason` (its x-death count). */
uint32_t broker_death_count(const struct broker *b, const struct broker_msg *m,
    int q, enum broker_death_reason reason);

/* ---- deliveries ------------------------------------------------------------- */

/* Whether prefetch (basic.qos) lets subscription `sub` take one more. */
int broker_sub_has_credit(const struct broker *b, int sub);
/* Delivers what queue qi holds to the subscriptions that can take it. */
void broker_dispatch(struct broker *b, int qi);
/*
 * The real node delivered message `id` (AMQP message-id `msgid`) to
 * subscription `sub` with `tag` and its redelivered flag (live): the copy
 * leaves the ready list (or is made up if the model lost track of it) and,
 * unless no-ack, waits unacked. Returns the copy as delivered.
 */
struct broker_msg broker_take(struct broker *b, int sub, uint32_t id,
    uint32_t msgid, uint32_t tag, int noack, int redelivered);
/*
 * An ack (kind EV_ACK), nack or reject for `tag` of subscription `sub`
 * reached the broker. requeue bit 1: requeue; bit 2: the copy was written
 * off already (an ack then does not count it done). A tag not unacked any
 * more (settled by a reconnect) is ignored.
 */
void broker_settle(struct broker *b, int sub, enum event_kind kind,
    uint32_t tag, int requeue);
/*
 * The subscription's connection closed: its unacked copies go back to the
 * head of the queue, oldest first and redelivered (or are dropped, the
 * queue being gone).
 */
void broker_requeue_unacked(struct broker *b, int sub);

/* ---- lifecycle ------------------------------------------------------------- */

/*
 * Whether quorum queue q, killed now, comes back without its Raft member
 * (declared under about 0.95 s before; measured on 3.10.8).
 */
int broker_young_quorum(const struct broker *b, const struct broker_queue *q);
/*
 * The broker goes down (clean stop or kill -9): nothing is delivered or
 * expires from now on, and copies that go back to a queue wait there for
 * broker_survive. The engine then drops its clients' connections.
 */
void broker_down(struct broker *b, int clean);
/*
 * What the stop or crash kept: `fate` says of each copy in a queue whether
 * it survives; the rest are dropped, unacked counts reset, non-durable
 * queues and exchanges and the bindings to them go.
 */
void broker_survive(struct broker *b,
    enum broker_fate (*fate)(void *ctx, const struct broker_queue *q,
    const struct broker_msg *m));
/*
 * The broker is up again: after kill -9 a classic queue marks every
 * recovered copy redelivered; a leaderless quorum queue is declared anew.
 */
void broker_up(struct broker *b);

#endif
