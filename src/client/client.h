/*
 * The client applications, written once for both engines: the payment
 * service's producer (confirm modes, mandatory, connection retries with
 * backoff, resend of what was never confirmed, the outbox of publishes),
 * the trade service's consumers (ack modes, the listener's work, local
 * retries, the recoverers on failure, idempotency, crashes before and
 * after the work), the reconciliation job, and the draw of chaos failures.
 *
 * The client layer owns what the applications know and decide. It talks
 * to the broker through the engine's transport (struct client_ops): the
 * simulator's transport is its wires in virtual time, the live engine's is
 * rabbitmq-c through the fault relays. It reads the broker model (struct
 * broker) only for what the lab itself knows of every message (the copy
 * tally) and names; it never changes a queue.
 *
 * Timers: the layer asks the engine for them through ops->arm and is given
 * them back through client_fire. Events go out through broker_emit, so
 * they carry the engine's clock. All indices of consumers are those of the
 * topology's consumers.
 */
#ifndef RL_CLIENT_H
#define RL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "model/service.h"

/*
 * The longest wait between two connection attempts of the producer: the
 * longest initial wait a toggle can ask for (1 h). Backoff stops growing
 * there instead of overflowing.
 */
#define CLIENT_BACKOFF_MAX_US (3600LL * 1000000)

/* Timers of the client layer (client_ops.arm, client_fire). */
enum client_timer {
	CLIENT_T_PRODUCER,   /* the producer's next step */
	CLIENT_T_WORK,       /* a: consumer; b: job: the listener returns */
	CLIENT_T_RETRY,      /* a: consumer; b: job: a local retry starts */
	CLIENT_T_RECOVER,    /* a: consumer: the container reconnects */
	CLIENT_T_RECONCILE,  /* the reconciliation job's period */
};

/* A run of publishes from one request. */
struct client_batch {
	uint32_t left;
	int32_t exchange;    /* -1: missing exchange, -2: default */
	char *xname;         /* exchange name as asked (owned) */
	uint32_t key;
	int persistent;      /* -1: follow the toggle */
	int64_t expiration;  /* ms, -1 none */
	int64_t delay;       /* x-delay ms, -1 none */
	uint32_t headers;
	int64_t every_us;
	int64_t not_before;
	uint32_t resend_id;  /* a single resend of this message, else 0 */
};

/* A publish awaiting its confirm. */
struct client_pending {
	uint32_t seq;
	uint32_t id;
	int resolved;
};

/* The producer as the application sees itself. */
struct client_producer {
	int connected, connecting;
	uint32_t gen;        /* bumped on every lost connection */
	int chan_open;       /* its channel, as it believes */
	int chan_dead;       /* the broker closed it */
	int confirm_mode;    /* confirm.select sent on this channel */
	uint32_t next_seq;
	struct client_pending *pend; /* outstanding confirms, in seq order */
	size_t pend_cap, pend_head, pend_len;
	uint64_t outstanding;
	uint32_t in_batch;
	struct client_batch *out;    /* outbox */
	size_t out_cap, out_head, out_len;
	int step_armed;
	int attempt;         /* connection attempts for the head publish */
	int64_t retry_wait;
	int64_t retry_due;   /* when the pending reconnect try runs */
	int took_head;       /* PAID emitted for the head message */
	uint32_t head_id;
	int64_t blocked_us;  /* time the caller spent blocked */
	int64_t wait_since;  /* waiting for confirms since, -1 not */
	int unroutable_left;
	int reconnect;       /* a connect-time toggle changed: reconnect idle */
};

/* One consumer (trade service instance) as the application sees itself. */
struct client_consumer {
	const struct topo_consumer *spec;
	int queue;
	int wanted;          /* the script started it */
	int connected, connecting;
	uint32_t gen;        /* bumped on every disconnect */
	struct broker_ring buf; /* delivered to it, not finished */
	int busy;            /* buf's head is being worked on */
	uint32_t busy_gen;   /* gen when it was delivered: its channel */
	uint64_t job;        /* numbers each piece of work, for its timers */
	int exc_times;       /* armed exception: attempts to fail, -1 always */
	int exc_unreadable;
	int exc_armed;
	int attempt;         /* local attempts on the head */
	int crash_before, crash_after;
	int recovery_armed;
};

/* What the engine's transport does for the applications. */
struct client_ops {
	/*
	 * Consumer ci sends an ack (EV_ACK), nack or reject for `tag`
	 * (requeue as in broker_settle). Returns 0, or -1 when the
	 * connection died on it (the engine has then handled the loss).
	 */
	int (*settle)(void *ctx, int ci, enum event_kind kind, uint32_t tag,
	    int requeue);
	/* Consumer ci's process dies now (crash) with what it holds. */
	void (*crash)(void *ctx, int ci);
	/* Consumer ci's container tries to connect (recovery). */
	void (*connect)(void *ctx, int ci);
	/*
	 * The republish recoverer's publish of m to exchange x (-1 default)
	 * with routing key `key` goes out on consumer ci's channel; NULL when
	 * the model's routing (done by the layer) is all there is to it.
	 */
	void (*republish)(void *ctx, int ci, const struct broker_msg *m,
	    int32_t x, uint32_t key);
	/* The producer may act: the engine runs its pump. */
	void (*pump)(void *ctx);
	/*
	 * Whether the transport holds the producer back before its next
	 * publish (it may act on it, e.g. reconnect); NULL: never.
	 */
	int (*hold)(void *ctx);
};

struct client {
	struct broker *b;          /* the model: names, tally, events */
	const int64_t *toggles;
	const struct topology *topo;
	const struct client_ops *ops;
	void *ctx;
	struct sched *sched;       /* the engine's timers */
	int timer_base;            /* the layer's kinds start there */
	struct client_producer prod;
	struct client_consumer *cons; /* one per topology consumer */
	size_t ncons;
	struct service_memory seen; /* the consumers' stores and orders */
	int64_t *paid_at;          /* payment time by id, for reconciliation */
	size_t paid_cap;
	uint32_t next_id;          /* last ledger id handed out */
	uint32_t next_msgid;       /* last AMQP message-id handed out */
	int reconcile_armed;
	uint32_t reconcile_gen;    /* a new period drops the pending tick */
};

/* ---- set-up ------------------------------------------------------------ */

/*
 * The applications, before any topology: toggles may be set and the
 * reconciliation job armed. `b`, `toggles`, `ops` and `ctx` are borrowed
 * for the client's life.
 */
void client_init(struct client *cl, struct broker *b, const int64_t *toggles,
    const struct client_ops *ops, void *ctx);
/*
 * The layer's timers go into the engine's `sched` with kinds from `base`
 * up (base + enum client_timer); the engine hands each fired timer to
 * client_timer first.
 */
void client_timers(struct client *cl, struct sched *sched, int base);
/* The consumers of the broker model's topology (b->topo), none started. */
void client_declare(struct client *cl);
void client_free(struct client *cl);
/*
 * Runs a fired timer if it is the layer's (returns 1; stale ones, by gen
 * or job, do nothing), else returns 0.
 */
int client_timer(struct client *cl, const struct sched_timer *t);
/* Asks for a timer of the layer. */
void client_arm(struct client *cl, int64_t at, enum client_timer kind,
    uint32_t gen, uint32_t a, uint64_t b);
/*
 * Whether the engine's timers hold nothing but periodic jobs, which run
 * for ever by design: the reconciliation tick, and consumers retrying a
 * broker that is down; and, if `moot` is given, timers it says have
 * nothing left to do (an engine's own check of a state gone by).
 */
int client_sched_idle(const struct client *cl,
    int (*moot)(const struct sched_timer *t, void *ctx), void *ctx);
int64_t client_now(const struct client *cl);

/* ---- producer ------------------------------------------------------------- */

/*
 * A toggle negotiated at connect (the heartbeat) changed: the application
 * replaces its producer connection as soon as nothing is in flight on it.
 * client_producer_renegotiate marks a connected producer for that;
 * client_producer_recycle_due says whether that time has come (the engine
 * adds what only it sees, such as bytes not yet on the wire);
 * client_producer_recycle says so in the event stream and forgets the old
 * connection, leaving the producer connecting: the engine closes its own
 * connection and opens the new one.
 */
int client_producer_recycle_due(const struct client *cl);
void client_producer_recycle(struct client *cl);
void client_producer_renegotiate(struct client *cl);
/* Queues a run of publishes (the batch is copied; xname is taken over). */
void client_outbox_push(struct client *cl, const struct client_batch *b,
    int front);
struct client_batch *client_outbox_head(struct client *cl);
/* Publishes not yet sent. */
uint64_t client_outbox_pending(const struct client *cl);
/* Sends message `id` again, ahead of the rest (resend toggle). */
void client_resend(struct client *cl, uint32_t id);
/* Asks for the producer's next step at `at` (once until it runs). */
void client_producer_arm(struct client *cl, int64_t at);
/*
 * Decides, before the producer sends its head publish: returns 1 when it
 * may go on (the head message has its id, PAID announced), 0 when it waits
 * (for confirms, for the batch's gap: a step is armed) or has nothing to
 * send. Time blocked on confirms is counted here.
 */
int client_producer_ready(struct client *cl);
/*
 * The producer publishes its head message now: fills *m (ledger id, a new
 * message-id, key, exchange, persistence, expiration, headers; tag = the
 * publish sequence number in confirm mode), emits EV_PUBLISH, counts the
 * copy and records the pending confirm. The head batch stays (the engine
 * reads its exchange, name and delay) until client_outbox_advance.
 */
void client_producer_publish(struct client *cl, struct broker_msg *m);
/*
 * The head message is done with (sent or failed): the next one of its batch
 * waits the batch's gap, counted from now, as a sending loop would.
 */
void client_outbox_advance(struct client *cl);
/*
 * A connection attempt for the head publish failed: retry after the
 * backoff or give up (the caller gets an exception and the message is
 * LOST with notice).
 */
void client_producer_connect_failed(struct client *cl);
/* The publish at the head failed for good: the caller got an exception. */
void client_producer_give_up(struct client *cl, const char *why);
/* Confirms that will never come: the channel or connection died. */
void client_pending_fail_all(struct client *cl);
/* basic.ack / basic.nack for `seq` (or every one up to it, `multiple`). */
void client_producer_confirm(struct client *cl, uint64_t seq, int multiple,
    int ack);
/* Stops counting time blocked on confirms (the connection went). */
void client_producer_unblock(struct client *cl);

/* ---- consumers ------------------------------------------------------------ */

/*
 * Consumer ci's container subscribes (basic.consume) in the ack mode the
 * toggle says now: the subscription's mode from here; announced with the
 * prefetch.
 */
void client_consumer_subscribe(struct client *cl, int ci);
/* Starts the work on consumer ci's next message, if it is idle. */
void client_consumer_pump(struct client *cl, int ci);
/*
 * Consumer ci's connection goes (crash: its process dies; code 200: the
 * script stopped it; else the link or the broker failed, `why` if known):
 * announced, and the consumer is disconnected (its gen bumped). The engine
 * then settles the connection and calls client_consumer_dropped.
 */
void client_consumer_lost(struct client *cl, int ci, int code, int crash,
    const char *why);
/*
 * A delivery on its way to consumer ci (sent by the broker, not yet in
 * the client's hands) died with the connection: with no-ack it is lost.
 */
void client_consumer_undelivered(struct client *cl, int ci,
    const struct broker_msg *m);
/*
 * A consumer's connection is gone (crash: its process died). What the
 * client held is lost with no-ack; a live process finishes the message in
 * hand (its ack will fail); recovery is armed.
 */
void client_consumer_dropped(struct client *cl, int ci, int crash);
/* Arms the container's reconnect, once. */
void client_consumer_arm_recovery(struct client *cl, int ci);

/* ---- the reconciliation job and chaos ---------------------------------------- */

/* Starts the reconciliation period afresh from now, when it is on. */
void client_reconcile_restart(struct client *cl);

#endif
