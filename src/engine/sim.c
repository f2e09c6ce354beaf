/*
 * The simulated engine: RabbitMQ 3.10, a payment-service producer and
 * trade-service consumers on a virtual clock.
 *
 * Everything runs from one timer heap (model/sched.c); nothing sleeps, so a
 * scenario of minutes runs in microseconds and the same script and seed give
 * the same events in the same order. The behaviour follows the measured
 * facts in shared/rabbitmq-facts.md; where a mechanism had to be chosen, it
 * is named here:
 *
 * - Links. Each client has an up wire (client to broker) and a down wire,
 *   FIFOs of frames that arrive SIM_NET_US later. A cut link kills the
 *   connection at once; a black-holed link holds frames until it heals or
 *   until missed heartbeats (2 x heartbeat) tear the connection down.
 * - Disk. A persistent message in a durable classic or lazy queue is on disk
 *   SIM_FSYNC_US after enqueue when its publisher awaits a confirm, and only
 *   after SIM_WRITE_BEHIND_US otherwise: a crash right after an unconfirmed
 *   burst loses it. Quorum queues write every message, transient ones too,
 *   in SIM_QUORUM_US. Transient messages never survive a classic queue.
 *   A confirm leaves when every target queue has the message safe.
 * - Copies. A message may exist as several copies (fanout, redelivery); the
 *   engine counts live copies per message and reports LOST only when the
 *   last one goes without the business effect ever applied.
 * - Spring defaults. Clients redeclare the topology whenever they connect
 *   (as RabbitAdmin does); the consumer container reconnects every
 *   recovery_ms; in auto mode an unreadable message is rejected, never
 *   requeued.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "engine/engine.h"
#include "model/rng.h"
#include "model/sched.h"
#include "model/service.h"
#include "util/xmalloc.h"

#define SIM_NET_US 50            /* one-way loopback latency */
#define SIM_CONNECT_US 3000      /* TCP + AMQP handshake */
#define SIM_PUB_TRANSIENT_US 15  /* client cost per publish: ~66k msg/s */
#define SIM_PUB_PERSISTENT_US 42 /* broker-bound persistent: ~24k msg/s */
#define SIM_CONFIRM_TRANSIENT_US 15  /* extra per publish in confirm mode */
#define SIM_CONFIRM_PERSISTENT_US 22 /* (batches of 100: 32k and 13.5k/s) */
#define SIM_FSYNC_US 900         /* fsync before a persistent confirm */
#define SIM_QUORUM_US 1000       /* raft log write, every message */
#define SIM_WRITE_BEHIND_US 200000 /* unconfirmed persistent write-behind */

/* A frame on a wire. */
enum sim_frame {
	FR_PUBLISH,       /* m; aux: exchange index or -1 missing; flags */
	FR_CHANNEL_OPEN,
	FR_CLOSE_OK,
	FR_CONFIRM,       /* m.tag = seq; aux: 1 ack, 0 nack */
	FR_RETURN,        /* m */
	FR_CHANNEL_CLOSE, /* aux: code */
	FR_DELIVER,       /* m; m.tag = delivery tag */
	FR_ACK,           /* aux: tag */
	FR_NACK,          /* aux: tag; flags: requeue */
	FR_REJECT,        /* aux: tag; flags: requeue */
};

struct sim_item {
	int64_t at;
	enum sim_frame kind;
	int32_t aux;
	int flags;
	struct broker_msg m;
};

struct sim_wire {
	struct sim_item *buf;
	size_t cap, head, len;
	int armed;        /* a timer is set for the head */
};

enum sim_link { LINK_OK, LINK_CUT, LINK_BLACKHOLE };

struct sim_consumer {
	const struct topo_consumer *spec;
	int queue;
	int wanted;          /* the script started it */
	int connected;
	int connecting;
	uint32_t gen;        /* bumped on every disconnect */
	struct broker_ring buf;     /* client side: delivered, not finished */
	int busy;            /* buf head is being worked on */
	uint64_t job;        /* numbers each piece of work, for its timers */
	int exc_times;       /* armed exception: attempts to fail, -1 always */
	int exc_unreadable;
	int exc_armed;
	int attempt;         /* local attempts on the head */
	int crash_before, crash_after;
	enum sim_link link;
	uint32_t link_gen;
	struct sim_wire down, up;
	int recovery_armed;
};

/* A run of publishes from one request. */
struct sim_batch {
	uint32_t left;
	int32_t exchange;    /* -1: missing exchange, -2: default */
	char *xname;         /* exchange name as asked */
	uint32_t key;
	int persistent;      /* -1 toggle */
	int64_t expiration, delay;
	uint32_t headers;
	int64_t every_us;
	int64_t not_before;
	uint32_t resend_id;  /* a single resend of this message, else 0 */
};

struct sim_pending {
	uint32_t seq;
	uint32_t id;
	int resolved;
	int persistent;
};

struct sim_producer {
	int connected, connecting;
	uint32_t gen;
	int chan_open;       /* client view of its channel */
	int chan_dead;       /* the broker closed it */
	int confirm_mode;    /* confirm.select sent on this channel */
	uint32_t next_seq;
	struct sim_pending *pend; /* outstanding confirms, in seq order */
	size_t pend_cap, pend_head, pend_len;
	uint64_t outstanding;
	uint32_t in_batch;
	struct sim_batch *out; /* outbox */
	size_t out_cap, out_head, out_len;
	int step_armed;
	int attempt;         /* connection attempts for the head publish */
	int64_t retry_wait;
	int64_t retry_due;   /* when the pending reconnect try runs */
	int took_head;       /* PAID emitted for the head message */
	uint32_t head_id;
	int64_t blocked_us;
	int64_t wait_since;  /* waiting for confirms since, -1 not */
	int unroutable_left;
	enum sim_link link;
	uint32_t link_gen;
	struct sim_wire up, down;
	int bchan;           /* broker view: 0 open, 1 closing, 2 closed */
};

struct sim_delayed {
	struct broker_msg m;
	int exchange;
	int live;
};

enum sim_timer {
	T_WIRE,        /* a: wire number */
	T_PRODUCER,    /* producer step */
	T_CONNECTED,   /* producer handshake done */
	T_CONFIRM,     /* a: seq; b: id<<1 | ack */
	T_WORK,        /* a: consumer */
	T_RETRY,       /* a: consumer */
	T_RECOVER,     /* a: consumer */
	T_CONSUMER_UP, /* a: consumer handshake done */
	T_EXPIRY,      /* a: queue */
	T_LINK_HEAL,   /* a: 0 producer, 1+i consumer i */
	T_HEARTBEAT,   /* a: as LINK_HEAL */
	T_RESTART,
	T_RECONCILE,
	T_DELAYED,     /* a: delayed slot */
	T_CHAOS,       /* one random failure */
};

struct engine {
	struct sched sched;
	struct rng rng;
	int64_t now;
	int64_t toggles[TOGGLE_COUNT];
	void (*sink)(void *, const struct event *);
	void *sink_ctx;
	struct topology *topo;
	int declared;
	struct broker b;      /* the broker: exchanges, queues, copies */
	struct sim_consumer *consumers; /* one per b.subs */
	size_t nconsumers;

	struct sim_delayed *delayed;
	size_t ndelayed, delayed_cap;

	uint32_t next_id;
	uint32_t next_msgid;
	struct service_memory seen; /* the consumers' processed-id stores */
	int64_t *paid_at;        /* payment time by id, for reconciliation */
	size_t paid_cap;

	struct sim_producer prod;
	int reconcile_armed;
	uint32_t reconcile_gen;  /* a new period drops the pending tick */

	struct engine_queue_view *qviews;
	char errbuf[160];
};

/* ---- small containers ------------------------------------------------ */

static struct sim_item *
sim_wire_head(struct sim_wire *w)
{
	return &w->buf[w->head];
}

static void
sim_wire_free(struct sim_wire *w)
{
	free(w->buf);
	memset(w, 0, sizeof *w);
}

/* ---- events ---------------------------------------------------------- */

static void
sim_emit(struct engine *e, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail)
{
	broker_emit(&e->b, kind, actor, msg, code, flag, where, detail);
}

/* ---- wires ----------------------------------------------------------- */

enum { WIRE_PROD_UP, WIRE_PROD_DOWN, WIRE_CONSUMERS };

static struct sim_wire *
sim_wire(struct engine *e, uint32_t n)
{
	if (n == WIRE_PROD_UP)
		return &e->prod.up;
	if (n == WIRE_PROD_DOWN)
		return &e->prod.down;
	n -= WIRE_CONSUMERS;
	return n % 2 ? &e->consumers[n / 2].up : &e->consumers[n / 2].down;
}

/* The link a wire runs over. */
static enum sim_link
sim_wire_link(struct engine *e, uint32_t n)
{
	if (n < WIRE_CONSUMERS)
		return e->prod.link;
	return e->consumers[(n - WIRE_CONSUMERS) / 2].link;
}

static void
sim_wire_arm(struct engine *e, uint32_t n)
{
	struct sim_wire *w = sim_wire(e, n);

	if (w->armed || w->len == 0 || sim_wire_link(e, n) == LINK_BLACKHOLE)
		return;
	w->armed = 1;
	sched_add(&e->sched, sim_wire_head(w)->at, T_WIRE, 0, n, 0);
}

static void
sim_wire_send(struct engine *e, uint32_t n, enum sim_frame kind, int32_t aux,
    int flags, const struct broker_msg *m)
{
	struct sim_wire *w = sim_wire(e, n);
	struct sim_item *it;

	if (w->len == w->cap)
		w->buf = xring_grow(w->buf, &w->cap, &w->head, w->len,
		    sizeof *w->buf);
	it = &w->buf[(w->head + w->len) % w->cap];
	memset(it, 0, sizeof *it);
	it->at = e->now + SIM_NET_US;
	/* Frames on one wire never overtake each other. */
	if (w->len && w->buf[(w->head + w->len - 1) % w->cap].at > it->at)
		it->at = w->buf[(w->head + w->len - 1) % w->cap].at;
	it->kind = kind;
	it->aux = aux;
	it->flags = flags;
	if (m)
		it->m = *m;
	w->len++;
	sim_wire_arm(e, n);
}

static struct sim_item
sim_wire_pop(struct sim_wire *w)
{
	struct sim_item it = w->buf[w->head];
	w->head = (w->head + 1) % w->cap;
	w->len--;
	return it;
}

/* ---- the broker's environment: clock, timers, disk, links ------------- */

static int64_t
sim_env_now(void *ctx)
{
	return ((struct engine *)ctx)->now;
}

static void
sim_env_emit(void *ctx, const struct event *ev)
{
	struct engine *e = ctx;

	if (e->sink)
		e->sink(e->sink_ctx, ev);
}

static void
sim_env_arm_expiry(void *ctx, int64_t at, uint32_t gen, int queue)
{
	struct engine *e = ctx;

	sched_add(&e->sched, at, T_EXPIRY, gen, (uint32_t)queue, 0);
}

/*
 * The simulated disk: when a copy entering `q` now is safe. Quorum queues
 * write every message; a durable classic queue writes persistent ones,
 * at once (an fsync) for a publisher awaiting a confirm, else behind.
 */
static int64_t
sim_env_write_time(void *ctx, const struct broker_queue *q, int persistent,
    int confirming)
{
	struct engine *e = ctx;

	if (q->type == QTYPE_QUORUM)
		return e->now + SIM_QUORUM_US;
	if (!q->durable || !persistent)
		return BROKER_NEVER;
	return e->now + (confirming ? SIM_FSYNC_US : SIM_WRITE_BEHIND_US);
}

static int
sim_env_can_take(void *ctx, int ci)
{
	struct engine *e = ctx;
	const struct sim_consumer *c = &e->consumers[ci];

	return c->connected && c->link != LINK_CUT;
}

static void
sim_env_deliver(void *ctx, int ci, int queue, const struct broker_msg *m)
{
	sim_wire_send(ctx, (uint32_t)(WIRE_CONSUMERS + 2 * ci), FR_DELIVER,
	    queue, 0, m);
}

/*
 * Whether a copy in queue `q` survives the broker going down now.
 * Measured on 3.10.8: kill -9 keeps only what was already written (a
 * quorum queue writes every message, a classic queue only persistent ones);
 * a clean stop flushes what the queue holds first, so it keeps every
 * persistent message of a durable queue (and everything in a quorum queue),
 * written or not. A quorum queue that comes back leaderless keeps nothing.
 */
static enum broker_fate
sim_fate(void *ctx, const struct broker_queue *q, const struct broker_msg *m)
{
	struct engine *e = ctx;

	if (!q->durable || q->leaderless)
		return BROKER_DIES;
	if (q->type != QTYPE_QUORUM && !m->persistent)
		return BROKER_DIES;
	return e->b.down_clean || m->written_at <= e->now ? BROKER_KEEP :
	    BROKER_DIES;
}

static const struct broker_env sim_env_ops = {
	.now = sim_env_now,
	.emit = sim_env_emit,
	.arm_expiry = sim_env_arm_expiry,
	.write_time = sim_env_write_time,
	.can_take = sim_env_can_take,
	.deliver = sim_env_deliver,
};

/* ---- forward declarations of the actors ------------------------------ */

static void sim_producer_pump(struct engine *e);
static void sim_consumer_pump(struct engine *e, int c);
static void sim_consumer_lost(struct engine *e, int c, int code, int crash);
static void sim_producer_lost(struct engine *e, int code, enum loss_reason why);

/* ---- broker: publishes ----------------------------------------------- */

static void
sim_confirm_later(struct engine *e, int64_t at, uint32_t seq, uint32_t id,
    int ack)
{
	if (at <= e->now) {
		struct broker_msg m;
		memset(&m, 0, sizeof m);
		m.id = id;
		m.tag = seq;
		sim_wire_send(e, WIRE_PROD_DOWN, FR_CONFIRM, ack, 0, &m);
	} else
		sched_add(&e->sched, at, T_CONFIRM, e->prod.gen, seq,
		    (uint64_t)id << 1 | (uint64_t)ack);
}

/* Routes `m` through exchange `x` (-1 default) as a publish. */
static void
sim_broker_route(struct engine *e, int32_t x, struct broker_msg *m, int flags,
    int confirming)
{
	const int *targets;
	size_t n = broker_route(&e->b, x, m, &targets);
	int rejected = 0;
	int64_t confirm_at;

	if (n == 0) {
		int mandatory = flags & EVENT_PUB_MANDATORY;
		if (mandatory) {
			sim_emit(e, EV_RETURN, ACTOR_EXCHANGE, m->id, 312, 0,
			    broker_xname(&e->b, x), NULL);
			sim_wire_send(e, WIRE_PROD_DOWN, FR_RETURN, 0, 0, m);
		}
		broker_drop(&e->b, m->id, LOSS_UNROUTABLE,
		    mandatory ? NOTICE_RETURN : NOTICE_SILENT,
		    broker_xname(&e->b, x));
		if (confirming)
			sim_confirm_later(e, e->now, m->tag, m->id, 1);
		return;
	}
	confirm_at = broker_publish(&e->b, x, m, targets, n, confirming,
	    &rejected);
	if (confirming)
		sim_confirm_later(e, confirm_at, m->tag, m->id, !rejected);
}

static void
sim_broker_publish(struct engine *e, struct sim_item *it)
{
	struct sim_producer *p = &e->prod;
	int confirming = it->flags & 8;

	if (p->bchan == 1) {
		/* Frames behind a channel.close are discarded. */
		broker_drop(&e->b, it->m.id, LOSS_CHANNEL_CLOSED,
		    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
		return;
	}
	if (p->bchan == 2) {
		/* Publishing on a channel that was never reopened. */
		sim_emit(e, EV_CONN_CLOSE, ACTOR_BROKER, it->m.id, 504, 0, NULL,
		    "expected 'channel.open'");
		broker_drop(&e->b, it->m.id, LOSS_CHANNEL_CLOSED, NOTICE_ERROR, NULL);
		sim_producer_lost(e, 504, LOSS_CHANNEL_CLOSED);
		return;
	}
	if (it->aux == -1 || (it->aux >= 0 && !e->b.exchanges[it->aux].exists)) {
		char detail[128];
		snprintf(detail, sizeof detail, "no exchange '%s' in vhost '/'",
		    it->aux >= 0 ? e->b.exchanges[it->aux].name : "?");
		sim_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, it->m.id, 404, 0,
		    NULL, detail);
		broker_drop(&e->b, it->m.id, LOSS_MISSING_EXCHANGE,
		    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
		p->bchan = 1;
		sim_wire_send(e, WIRE_PROD_DOWN, FR_CHANNEL_CLOSE, 404, 0, NULL);
		return;
	}
	sim_broker_route(e, it->aux == -2 ? -1 : it->aux, &it->m, it->flags,
	    confirming);
}

/* ---- producer -------------------------------------------------------- */

static int
sim_producer_reachable(struct engine *e)
{
	return e->b.up && e->prod.link == LINK_OK;
}

static struct sim_pending *
sim_pending_at(struct sim_producer *p, size_t i)
{
	return &p->pend[(p->pend_head + i) % p->pend_cap];
}

static void
sim_pending_add(struct sim_producer *p, uint32_t seq, uint32_t id,
    int persistent)
{
	if (p->pend_len == p->pend_cap)
		p->pend = xring_grow(p->pend, &p->pend_cap, &p->pend_head,
		    p->pend_len, sizeof *p->pend);
	*sim_pending_at(p, p->pend_len++) =
	    (struct sim_pending){ seq, id, 0, persistent };
	p->outstanding++;
}

static void
sim_outbox_push(struct sim_producer *p, const struct sim_batch *b, int front)
{
	if (p->out_len == p->out_cap)
		p->out = xring_grow(p->out, &p->out_cap, &p->out_head,
		    p->out_len, sizeof *p->out);
	if (front) {
		p->out_head = (p->out_head + p->out_cap - 1) % p->out_cap;
		p->out[p->out_head] = *b;
	} else
		p->out[(p->out_head + p->out_len) % p->out_cap] = *b;
	p->out_len++;
}

static struct sim_batch *
sim_outbox_head(struct sim_producer *p)
{
	return p->out_len ? &p->out[p->out_head] : NULL;
}

/*
 * The head message is done with (sent or failed): the next one of its batch
 * waits the batch's gap, counted from now, as a sending loop would.
 */
static void
sim_outbox_advance(struct engine *e)
{
	struct sim_producer *p = &e->prod;
	struct sim_batch *b = &p->out[p->out_head];

	if (b->every_us && b->left > 1)
		b->not_before = e->now + b->every_us;

	p->took_head = 0;
	p->attempt = 0;
	p->retry_wait = 0;
	if (--b->left == 0) {
		free(b->xname);
		p->out_head = (p->out_head + 1) % p->out_cap;
		p->out_len--;
	}
}

/* Sends message `id` again later (resend toggle). */
static void
sim_resend(struct engine *e, uint32_t id, const struct sim_batch *like)
{
	struct sim_batch b;

	memset(&b, 0, sizeof b);
	if (like)
		b = *like;
	else {
		b.exchange = -2;
		b.persistent = -1;
		b.expiration = b.delay = -1;
		if (e->topo->publish_exchange[0]) {
			b.exchange = broker_exchange_find(&e->b,
			    e->topo->publish_exchange);
			if (b.exchange < 0)
				b.exchange = -1;
		}
		b.key = broker_intern(&e->b, e->topo->publish_key);
	}
	b.xname = like && like->xname ? xstrdup(like->xname) : NULL;
	b.left = 1;
	b.every_us = 0;
	b.not_before = 0;
	b.resend_id = id;
	sim_outbox_push(&e->prod, &b, 1);
}

/* A confirm that will never come: the channel or connection died. */
static void
sim_pending_fail_all(struct engine *e)
{
	struct sim_producer *p = &e->prod;

	for (size_t i = 0; i < p->pend_len; i++) {
		struct sim_pending *pd = sim_pending_at(p, i);
		if (!pd->resolved)
			sim_emit(e, EV_CONFIRM_LOST, ACTOR_PRODUCER, pd->id, 0,
			    0, NULL, NULL);
	}
	/* Resends go to the front of the outbox: push the last first. */
	for (size_t i = p->pend_len; i-- > 0;) {
		struct sim_pending *pd = sim_pending_at(p, i);
		if (!pd->resolved && e->toggles[TOGGLE_RESEND])
			sim_resend(e, pd->id, NULL);
	}
	p->pend_head = 0;
	p->pend_len = 0;
	p->outstanding = 0;
	p->in_batch = 0;
}

static void
sim_producer_arm(struct engine *e, int64_t at)
{
	struct sim_producer *p = &e->prod;

	if (p->step_armed)
		return;
	p->step_armed = 1;
	sched_add(&e->sched, at < e->now ? e->now : at, T_PRODUCER, p->gen, 0,
	    0);
}

/* The connection is gone: everything in flight on it is settled. */
static void
sim_producer_lost(struct engine *e, int code, enum loss_reason why)
{
	struct sim_producer *p = &e->prod;
	int confirming = p->confirm_mode;

	if (!p->connected && !p->connecting)
		return;
	sim_emit(e, EV_CONN_LOST, ACTOR_PRODUCER, 0, code, 0, NULL, NULL);
	p->connected = p->connecting = 0;
	p->chan_open = 0;
	p->chan_dead = 0;
	p->confirm_mode = 0;
	p->gen++;
	p->step_armed = 0;
	while (p->up.len) {
		struct sim_item it = sim_wire_pop(&p->up);
		if (it.kind == FR_PUBLISH)
			broker_drop(&e->b, it.m.id, why,
			    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
	}
	/* Confirms, returns and closes on their way die with it. */
	p->down.head = p->down.len = 0;
	p->up.armed = p->down.armed = 0;
	sim_pending_fail_all(e);
	p->bchan = 0;
	if (p->wait_since >= 0) {
		p->blocked_us += e->now - p->wait_since;
		p->wait_since = -1;
	}
	sim_producer_pump(e);
}

static void
sim_producer_connected(struct engine *e)
{
	struct sim_producer *p = &e->prod;

	p->connecting = 0;
	if (!sim_producer_reachable(e)) {
		sim_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, 0, -9, 0, NULL,
		    NULL);
		sim_producer_pump(e);
		return;
	}
	p->connected = 1;
	p->bchan = 0;
	sim_emit(e, EV_CONNECT, ACTOR_PRODUCER, 0, 0, 0, NULL, NULL);
	broker_redeclare(&e->b);
	sim_producer_pump(e);
}

static int
sim_exchange_resolve(struct engine *e, const char *name)
{
	int x;

	if (name[0] == '\0')
		return -2;
	x = broker_exchange_find(&e->b, name);
	return x < 0 ? -1 : x;
}

/* Sends the head message of the outbox. */
static void
sim_producer_send(struct engine *e)
{
	struct sim_producer *p = &e->prod;
	struct sim_batch *b = sim_outbox_head(p);
	struct broker_msg m;
	int flags = 0, persistent;
	int32_t x = b->exchange;
	uint32_t key = b->key;
	char detail[96];
	const char *dp = NULL;
	int64_t cost;

	memset(&m, 0, sizeof m);
	m.id = p->head_id;
	m.msgid = ++e->next_msgid;
	persistent = b->persistent >= 0 ? b->persistent :
	    (int)e->toggles[TOGGLE_PERSISTENT];
	if (p->unroutable_left > 0 && !b->resend_id) {
		char *k = xasprintf("%s.nobody", e->b.keys[key]);
		key = broker_intern(&e->b, k);
		free(k);
		p->unroutable_left--;
		dp = "routing key nothing is bound to";
	}
	m.key = key;
	m.exchange = x < 0 ? -1 : x;
	m.persistent = (uint8_t)persistent;
	m.expiration = b->expiration;
	m.headers = b->headers;
	m.written_at = BROKER_NEVER;
	if (persistent)
		flags |= EVENT_PUB_PERSISTENT;
	if (e->toggles[TOGGLE_MANDATORY])
		flags |= EVENT_PUB_MANDATORY;
	if (b->resend_id)
		flags |= EVENT_PUB_RESEND;
	if (dp == NULL) {
		snprintf(detail, sizeof detail, "key=%s%s", e->b.keys[key],
		    b->delay >= 0 ? " x-delay" : "");
		dp = detail;
	}
	sim_emit(e, EV_PUBLISH, ACTOR_PRODUCER, m.id, 0, flags,
	    x == -1 ? b->xname : broker_xname(&e->b, x), dp);
	broker_copy_add(&e->b, m.id);
	if (p->confirm_mode) {
		m.tag = ++p->next_seq;
		sim_pending_add(p, m.tag, m.id, persistent);
		p->in_batch++;
		flags |= 8;
	}
	if (x >= 0 && e->b.exchanges[x].type == XTYPE_DELAYED && b->delay >= 0 &&
	    e->b.exchanges[x].exists && p->bchan == 0 && e->prod.link == LINK_OK) {
		/* The plugin holds the message in the exchange. */
		struct sim_delayed *d;
		e->delayed = xgrow(e->delayed, &e->delayed_cap,
		    e->ndelayed + 1, sizeof *e->delayed);
		d = &e->delayed[e->ndelayed];
		d->m = m;
		d->exchange = x;
		d->live = 1;
		sched_add(&e->sched, e->now + SIM_NET_US + b->delay * 1000,
		    T_DELAYED, 0, (uint32_t)e->ndelayed++, 0);
		if (p->confirm_mode)
			sim_confirm_later(e, e->now + SIM_NET_US, m.tag, m.id, 1);
	} else
		sim_wire_send(e, WIRE_PROD_UP, FR_PUBLISH, x, flags, &m);
	sim_outbox_advance(e);
	cost = persistent ? SIM_PUB_PERSISTENT_US : SIM_PUB_TRANSIENT_US;
	if (p->confirm_mode)
		cost += persistent ? SIM_CONFIRM_PERSISTENT_US :
		    SIM_CONFIRM_TRANSIENT_US;
	sim_producer_arm(e, e->now + cost);
}

/* The publish at the head failed for good: the caller gets an exception. */
static void
sim_producer_give_up(struct engine *e)
{
	struct sim_producer *p = &e->prod;
	uint32_t id = p->head_id;

	sim_emit(e, EV_PUBLISH_FAILED, ACTOR_PRODUCER, id, -9, 0, NULL,
	    "AmqpConnectException");
	/* The message never left: it had no copy anywhere. */
	broker_copy_add(&e->b, id);
	broker_drop(&e->b, id, LOSS_NETWORK, NOTICE_ERROR, NULL);
	sim_outbox_advance(e);
}

/*
 * Decides the producer's next move: connect, retry, wait for confirms or
 * send. Called whenever anything the producer depends on changed.
 */
static void
sim_producer_pump(struct engine *e)
{
	struct sim_producer *p = &e->prod;
	struct sim_batch *b;
	int mode = (int)e->toggles[TOGGLE_CONFIRMS];

	if (p->step_armed || p->connecting)
		return;
	b = sim_outbox_head(p);
	if (b == NULL)
		return;
	if (p->connected && p->confirm_mode && p->outstanding &&
	    (mode == CONFIRMS_EACH ||
		(mode == CONFIRMS_BATCH &&
		    p->in_batch >= (uint32_t)e->toggles[TOGGLE_BATCH]))) {
		if (p->wait_since < 0)
			p->wait_since = e->now;
		return;
	}
	if (p->wait_since >= 0) {
		p->blocked_us += e->now - p->wait_since;
		p->wait_since = -1;
	}
	if (p->outstanding == 0)
		p->in_batch = 0;
	if (b->not_before > e->now) {
		sim_producer_arm(e, b->not_before);
		return;
	}
	if (!p->took_head) {
		p->took_head = 1;
		if (b->resend_id)
			p->head_id = b->resend_id;
		else {
			p->head_id = ++e->next_id;
			broker_tally(&e->b, p->head_id);
			e->paid_at = xgrow(e->paid_at, &e->paid_cap,
			    (size_t)p->head_id + 1, sizeof *e->paid_at);
			e->paid_at[p->head_id] = e->now;
			sim_emit(e, EV_PAID, ACTOR_PRODUCER, p->head_id, 0, 0,
			    NULL, NULL);
		}
	}
	if (!p->connected) {
		if (!sim_producer_reachable(e)) {
			sim_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, p->head_id,
			    -9, 0, NULL, e->b.up ? "link down" :
			    "broker down");
			p->attempt++;
			if (e->toggles[TOGGLE_PRODUCER_RETRY] &&
			    p->attempt < e->toggles[TOGGLE_PRODUCER_ATTEMPTS]) {
				int64_t wait = p->retry_wait ? p->retry_wait *
				    e->toggles[TOGGLE_PRODUCER_MULTIPLIER] / 1000 :
				    e->toggles[TOGGLE_PRODUCER_INITIAL_MS] * 1000;
				p->retry_wait = wait;
				p->blocked_us += wait;
				sim_emit(e, EV_RETRY_WAIT, ACTOR_PRODUCER,
				    p->head_id, 0, p->attempt + 1, NULL, NULL);
				p->retry_due = e->now + wait;
				sim_producer_arm(e, e->now + wait);
				return;
			}
			sim_producer_give_up(e);
			sim_producer_arm(e, e->now);
			return;
		}
		p->connecting = 1;
		sched_add(&e->sched, e->now + SIM_CONNECT_US, T_CONNECTED,
		    p->gen, 0, 0);
		return;
	}
	if (!p->chan_open) {
		if (p->chan_dead && !e->toggles[TOGGLE_REOPEN_CHANNEL]) {
			/*
			 * rabbitmq-c style: the closed channel number is used
			 * again without channel.open.
			 */
		} else {
			sim_emit(e, EV_CHANNEL_OPEN, ACTOR_PRODUCER, 0, 0, 0,
			    NULL, NULL);
			sim_wire_send(e, WIRE_PROD_UP, FR_CHANNEL_OPEN, 0, 0,
			    NULL);
			p->chan_open = 1;
			p->chan_dead = 0;
			p->next_seq = 0;
			p->confirm_mode = 0;
		}
	}
	if (p->chan_open && mode != CONFIRMS_OFF && !p->confirm_mode) {
		sim_emit(e, EV_CONFIRM_SELECT, ACTOR_PRODUCER, 0, 0, 0, NULL,
		    NULL);
		p->confirm_mode = 1;
		p->next_seq = 0;
	}
	if (p->chan_open && mode == CONFIRMS_OFF)
		p->confirm_mode = 0;
	sim_producer_send(e);
}

static void
sim_producer_frame(struct engine *e, struct sim_item *it)
{
	struct sim_producer *p = &e->prod;

	switch (it->kind) {
	case FR_CONFIRM:
		for (size_t i = 0; i < p->pend_len; i++) {
			struct sim_pending *pd = sim_pending_at(p, i);
			if (pd->seq != it->m.tag || pd->resolved)
				continue;
			pd->resolved = 1;
			p->outstanding--;
			sim_emit(e, it->aux ? EV_CONFIRM_ACK : EV_CONFIRM_NACK,
			    ACTOR_PRODUCER, pd->id, 0, 0, NULL, NULL);
			if (!it->aux && e->toggles[TOGGLE_RESEND])
				sim_resend(e, pd->id, NULL);
			break;
		}
		while (p->pend_len && sim_pending_at(p, 0)->resolved) {
			p->pend_head = (p->pend_head + 1) % p->pend_cap;
			p->pend_len--;
		}
		break;
	case FR_RETURN:
		/* The return callback logs it; resending would loop. */
		break;
	case FR_CHANNEL_CLOSE:
		p->chan_open = 0;
		p->chan_dead = 1;
		p->confirm_mode = 0;
		sim_pending_fail_all(e);
		sim_wire_send(e, WIRE_PROD_UP, FR_CLOSE_OK, 0, 0, NULL);
		break;
	default:
		break;
	}
	sim_producer_pump(e);
}

/* ---- consumers ------------------------------------------------------- */

static uint32_t
sim_cwire(struct engine *e, struct sim_consumer *c, int up)
{
	return (uint32_t)(WIRE_CONSUMERS + 2 * (c - e->consumers) + up);
}

static void
sim_consumer_connect(struct engine *e, int ci)
{
	struct sim_consumer *c = &e->consumers[ci];

	if (c->connected || c->connecting || !c->wanted)
		return;
	if (!e->b.up || c->link != LINK_OK) {
		sim_emit(e, EV_CONNECT_FAIL, ACTOR_CONSUMER, 0, -9, 1,
		    c->spec->name, e->b.up ? "link down" : "broker down");
		if (!c->recovery_armed) {
			c->recovery_armed = 1;
			sched_add(&e->sched,
			    e->now + e->toggles[TOGGLE_RECOVERY_MS] * 1000,
			    T_RECOVER, c->gen, (uint32_t)ci, 0);
		}
		return;
	}
	c->connecting = 1;
	sched_add(&e->sched, e->now + SIM_CONNECT_US, T_CONSUMER_UP, c->gen,
	    (uint32_t)ci, 0);
}

static void
sim_consumer_up(struct engine *e, int ci)
{
	struct sim_consumer *c = &e->consumers[ci];
	char detail[64];

	c->connecting = 0;
	if (!e->b.up || c->link != LINK_OK || !c->wanted) {
		sim_consumer_connect(e, ci);
		return;
	}
	c->connected = 1;
	e->b.subs[ci].next_tag = 0;
	e->b.subs[ci].ack_mode = (int)e->toggles[TOGGLE_ACK_MODE];
	sim_emit(e, EV_CONNECT, ACTOR_CONSUMER, 0, 0, 1, c->spec->name, NULL);
	broker_redeclare(&e->b);
	if (!e->b.queues[c->queue].exists) {
		sim_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, 0, 404, 0,
		    c->spec->name, "no queue to consume from");
		return;
	}
	snprintf(detail, sizeof detail, "no-ack=%d prefetch=%" PRId64,
	    e->b.subs[ci].ack_mode == ACK_NONE, e->toggles[TOGGLE_PREFETCH]);
	sim_emit(e, EV_CONSUME, ACTOR_CONSUMER, 0, 0, 0,
	    broker_qname(&e->b, c->queue), detail);
	broker_dispatch(&e->b, c->queue);
}

/* Finishes the head message: sends the ack/nack/reject (or nothing). */
static void
sim_consumer_finish(struct engine *e, int ci, enum sim_frame kind,
    int requeue)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct broker_msg m = broker_ring_pop(&c->buf);

	c->busy = 0;
	c->attempt = 0;
	if (m.noack) {
		broker_copy_done(&e->b, m.id);
	} else if (c->connected) {
		enum event_kind ek = kind == FR_ACK ? EV_ACK :
		    kind == FR_NACK ? EV_NACK : EV_REJECT;
		sim_emit(e, ek, ACTOR_CONSUMER, m.id, 0, requeue & 1,
		    c->spec->name, NULL);
		sim_wire_send(e, sim_cwire(e, c, 1), kind, (int32_t)m.tag,
		    requeue, NULL);
	} else {
		sim_emit(e, kind == FR_ACK ? EV_ACK : EV_NACK, ACTOR_CONSUMER,
		    m.id, 0, requeue, c->spec->name,
		    "channel already closed: the frame is not sent");
	}
	sim_consumer_pump(e, ci);
}

/* The broker gets consumer ci's ack, nack or reject frame for `tag`. */
static void
sim_settle_frame(struct engine *e, int ci, enum sim_frame kind, uint32_t tag,
    int requeue)
{
	broker_settle(&e->b, ci, kind == FR_ACK ? EV_ACK : kind == FR_NACK ?
	    EV_NACK : EV_REJECT, tag, requeue);
}

/* The consumer dies now (crash=1) or loses its connection (crash=0). */
static void
sim_consumer_lost(struct engine *e, int ci, int code, int crash)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct broker_queue *q = &e->b.queues[c->queue];
	size_t keep = 0;

	if (crash)
		sim_emit(e, EV_CONSUMER_CRASH, ACTOR_CONSUMER,
		    c->buf.len ? broker_ring_at(&c->buf, 0)->id : 0, 0, 0,
		    c->spec->name, NULL);
	else if (code == 200)
		sim_emit(e, EV_CONN_CLOSE, ACTOR_CONSUMER, 0, 200, 1,
		    c->spec->name, "consumer stopped");
	else if (c->connected)
		sim_emit(e, EV_CONN_LOST, ACTOR_CONSUMER, 0, code, 1,
		    c->spec->name, NULL);
	c->connected = c->connecting = 0;
	c->gen++;
	/*
	 * A crashed process's socket still delivers what it had written
	 * (the kernel sends it before the FIN); a cut link does not.
	 */
	while (crash && c->up.len && c->link == LINK_OK) {
		struct sim_item it = sim_wire_pop(&c->up);
		sim_settle_frame(e, ci, it.kind, (uint32_t)it.aux, it.flags);
	}
	/* Broker side: unacked copies go back, oldest first, redelivered. */
	broker_requeue_unacked(&e->b, ci);
	/* Deliveries still on the wire, and unsent acks, are gone. */
	while (c->down.len) {
		struct sim_item it = sim_wire_pop(&c->down);
		if (it.m.noack)
			broker_drop(&e->b, it.m.id, LOSS_AUTOACK_CRASH, NOTICE_SILENT,
			    c->spec->name);
	}
	while (c->up.len)
		sim_wire_pop(&c->up);
	c->down.armed = c->up.armed = 0;
	/*
	 * Client side: a crashed process loses its buffer. A live process
	 * finishes the message in hand (its ack will fail) and drops the rest.
	 */
	if (!crash && c->busy)
		keep = 1;
	while (c->buf.len > keep) {
		struct broker_msg m = c->buf.buf[(c->buf.head + c->buf.len - 1) %
		    c->buf.cap];
		c->buf.len--;
		if (m.noack)
			broker_drop(&e->b, m.id, LOSS_AUTOACK_CRASH, NOTICE_SILENT,
			    c->spec->name);
	}
	if (keep == 0) {
		c->busy = 0;
		c->attempt = 0;
	}
	if (e->b.up && q->exists)
		broker_dispatch(&e->b, c->queue);
	if (c->wanted && !c->recovery_armed) {
		c->recovery_armed = 1;
		sched_add(&e->sched,
		    e->now + e->toggles[TOGGLE_RECOVERY_MS] * 1000, T_RECOVER,
		    c->gen, (uint32_t)ci, 0);
	}
}

static void
sim_consumer_pump(struct engine *e, int ci)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct broker_msg *m;
	int64_t work;

	if (c->busy || c->buf.len == 0)
		return;
	if (!c->connected) {
		/* Left over from a lost connection: dropped by the client. */
		return;
	}
	m = broker_ring_at(&c->buf, 0);
	c->busy = 1;
	c->attempt = 1;
	sim_emit(e, EV_WORK_START, ACTOR_CONSUMER, m->id, 0, 0, c->spec->name,
	    NULL);
	if (c->crash_before) {
		c->crash_before = 0;
		sim_consumer_lost(e, ci, 0, 1);
		return;
	}
	if (c->exc_armed) {
		struct broker_tally *t = broker_tally(&e->b, m->id);
		c->exc_armed = 0;
		t->poison = (int16_t)c->exc_times;
		t->unreadable = (uint8_t)c->exc_unreadable;
	}
	work = e->toggles[TOGGLE_WORK_MS] * 1000;
	sched_add(&e->sched, e->now + work, T_WORK, c->gen, (uint32_t)ci,
	    ++c->job);
}

/*
 * Republishes `m` to the error exchange with the exception in its headers;
 * returns whether any queue took it.
 */
static int
sim_consumer_republish(struct engine *e, struct broker_msg *m)
{
	const char *xn = e->topo->error_exchange;
	const int *routed;
	size_t n = 0;
	int32_t x;

	if (xn == NULL) {
		sim_emit(e, EV_REPUBLISH, ACTOR_CONSUMER, m->id, 0, 0, NULL,
		    "no error exchange configured");
		return 0;
	}
	x = sim_exchange_resolve(e, xn);
	if (x == -2)
		x = -1;
	else if (x < 0 || !e->b.exchanges[x].exists)
		x = -3;
	if (x != -3) {
		struct broker_msg copy = *m;
		copy.key = broker_intern(&e->b, e->topo->error_key ?
		    e->topo->error_key : "");
		copy.exchange = x;
		copy.redelivered = 0;
		copy.deliveries = 0;
		n = broker_route(&e->b, x, &copy, &routed);
		broker_fan_out(&e->b, &copy, routed, n, EV_REPUBLISH,
		    ACTOR_CONSUMER, "x-exception-message set", 0);
	}
	if (n == 0)
		sim_emit(e, EV_REPUBLISH, ACTOR_CONSUMER, m->id, 0, 0, xn,
		    "error exchange had no route");
	return n > 0;
}

/* The listener failed on the head message: retry, or apply on_failure. */
static void
sim_consumer_failed(struct engine *e, int ci, struct broker_msg *m)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct broker_tally *t = broker_tally(&e->b, m->id);
	int64_t wait;
	int policy = (int)e->toggles[TOGGLE_ON_FAILURE];

	if (m->noack) {
		struct broker_msg gone = broker_ring_pop(&c->buf);
		c->busy = 0;
		broker_drop(&e->b, gone.id, LOSS_AUTOACK_EXCEPTION, NOTICE_SILENT,
		    c->spec->name);
		sim_consumer_pump(e, ci);
		return;
	}
	if (t->unreadable) {
		/* Spring: a conversion failure is fatal, never requeued. */
		sim_consumer_finish(e, ci, FR_REJECT, 0);
		return;
	}
	if ((wait = service_retry_wait(e->toggles, c->attempt)) >= 0) {
		sim_emit(e, EV_RETRY, ACTOR_CONSUMER, m->id, 0, c->attempt + 1,
		    c->spec->name, NULL);
		sched_add(&e->sched, e->now + wait, T_RETRY, c->gen,
		    (uint32_t)ci, c->job);
		return;
	}
	switch (policy) {
	case ONFAIL_REJECT:
		sim_consumer_finish(e, ci, FR_REJECT, 0);
		break;
	case ONFAIL_REPUBLISH:
		if (sim_consumer_republish(e, m))
			sim_consumer_finish(e, ci, FR_ACK, 0);
		else {
			/* The ack below ends the last copy: it is lost. */
			broker_drop(&e->b, m->id, LOSS_REJECTED, NOTICE_SILENT,
			    c->spec->name);
			sim_consumer_finish(e, ci, FR_ACK, 2);
		}
		break;
	default:
		sim_consumer_finish(e, ci, FR_NACK, 1);
		break;
	}
}

/* The work on the head message is over (or a retry is due). */
static void
sim_consumer_work_done(struct engine *e, int ci)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct broker_msg *m;
	struct broker_tally *t;
	enum service_outcome outcome;

	if (!c->busy || c->buf.len == 0)
		return;
	m = broker_ring_at(&c->buf, 0);
	t = broker_tally(&e->b, m->id);
	if (t->poison != 0) {
		if (t->poison > 0)
			t->poison--;
		sim_emit(e, EV_EXCEPTION, ACTOR_CONSUMER, m->id, 0,
		    t->unreadable, c->spec->name, t->unreadable ?
		    "MessageConversionException" : "business exception");
		sim_consumer_failed(e, ci, m);
		return;
	}
	/* Each consumer is its own instance of the service (model/service.h). */
	outcome = service_work(&e->seen, (int)e->toggles[TOGGLE_IDEMPOTENCY],
	    ci, m->msgid, &t->done_mask, &t->effects);
	switch (outcome) {
	case SERVICE_SKIP_MSGID:
		sim_emit(e, EV_DUP_SKIP, ACTOR_CONSUMER, m->id, 0, 1,
		    c->spec->name, "message-id seen before");
		break;
	case SERVICE_SKIP_BUSINESS:
		sim_emit(e, EV_DUP_SKIP, ACTOR_CONSUMER, m->id, 0, 2,
		    c->spec->name, "order already paid");
		break;
	case SERVICE_DONE:
	case SERVICE_DONE_AGAIN:
		sim_emit(e, EV_WORK_DONE, ACTOR_CONSUMER, m->id, 0, ci % 8,
		    c->spec->name,
		    outcome == SERVICE_DONE_AGAIN ? "again!" : NULL);
		break;
	}
	if (c->crash_after) {
		c->crash_after = 0;
		if (m->noack) {
			/* Acked on delivery: the finished one is safe. */
			struct broker_msg done = broker_ring_pop(&c->buf);
			broker_copy_done(&e->b, done.id);
		}
		c->busy = 0;
		sim_consumer_lost(e, ci, 0, 1);
		return;
	}
	sim_consumer_finish(e, ci, FR_ACK, 0);
}

static void
sim_consumer_frame(struct engine *e, int ci, int up, struct sim_item *it)
{
	struct sim_consumer *c = &e->consumers[ci];

	if (up) {
		sim_settle_frame(e, ci, it->kind, (uint32_t)it->aux, it->flags);
		return;
	}
	if (it->kind != FR_DELIVER)
		return;
	broker_ring_push(&c->buf, &it->m, 0);
	sim_consumer_pump(e, ci);
}

static void
sim_broker_down(struct engine *e, int clean)
{
	struct sim_producer *p = &e->prod;

	if (!e->b.up)
		return;
	sim_emit(e, clean ? EV_STOP : EV_CRASH, ACTOR_BROKER, 0, 0, 0, NULL,
	    NULL);
	broker_down(&e->b, clean);
	/* Clients first: their connections die with the broker. */
	if (clean && p->connected)
		sim_emit(e, EV_CONN_CLOSE, ACTOR_BROKER, 0, 320, 0, NULL,
		    "broker shutdown");
	sim_producer_lost(e, clean ? 320 : -9, LOSS_BROKER_CRASH);
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->consumers[i].connected || e->consumers[i].connecting)
			sim_consumer_lost(e, (int)i, clean ? 320 : -9, 0);
	for (size_t qi = 0; qi < e->b.nqueues; qi++) {
		struct broker_queue *q = &e->b.queues[qi];
		q->leaderless = !clean && q->exists &&
		    broker_young_quorum(&e->b, q);
	}
	broker_survive(&e->b, sim_fate);
	for (size_t i = 0; i < e->ndelayed; i++) {
		struct sim_delayed *d = &e->delayed[i];
		if (d->live && !e->b.exchanges[d->exchange].exists) {
			d->live = 0;
			broker_drop(&e->b, d->m.id, LOSS_BROKER_CRASH,
			    NOTICE_SILENT, e->b.exchanges[d->exchange].name);
		}
	}
	if (e->toggles[TOGGLE_RESTART_MS])
		sched_add(&e->sched, e->now + e->toggles[TOGGLE_RESTART_MS] *
		    1000, T_RESTART, e->b.gen, 0, 0);
}

static void
sim_broker_start(struct engine *e)
{
	if (e->b.up)
		return;
	broker_up(&e->b);
	for (size_t ci = 0; ci < e->nconsumers; ci++)
		if (e->consumers[ci].wanted && !e->consumers[ci].recovery_armed)
			sim_consumer_connect(e, (int)ci);
	sim_producer_pump(e);
}

/* ---- failures on links ----------------------------------------------- */

static void
sim_link_set(struct engine *e, int who, enum sim_link mode, int64_t ms)
{
	enum sim_link *link = who == 0 ? &e->prod.link :
	    &e->consumers[who - 1].link;
	uint32_t *lgen = who == 0 ? &e->prod.link_gen :
	    &e->consumers[who - 1].link_gen;

	*link = mode;
	++*lgen;
	if (mode == LINK_CUT) {
		if (who == 0)
			sim_producer_lost(e, -9, LOSS_NETWORK);
		else
			sim_consumer_lost(e, who - 1, -9, 0);
	} else if (mode == LINK_BLACKHOLE) {
		int64_t hb = e->toggles[TOGGLE_HEARTBEAT];
		if (hb > 0)
			sched_add(&e->sched, e->now + 2 * hb * 1000000,
			    T_HEARTBEAT, *lgen, (uint32_t)who, 0);
	}
	if (ms > 0)
		sched_add(&e->sched, e->now + ms * 1000, T_LINK_HEAL, *lgen,
		    (uint32_t)who, 0);
}

static void
sim_link_heal(struct engine *e, int who)
{
	if (who == 0) {
		e->prod.link = LINK_OK;
		sim_wire_arm(e, WIRE_PROD_UP);
		sim_wire_arm(e, WIRE_PROD_DOWN);
		sim_producer_pump(e);
	} else {
		struct sim_consumer *c = &e->consumers[who - 1];
		c->link = LINK_OK;
		sim_wire_arm(e, sim_cwire(e, c, 0));
		sim_wire_arm(e, sim_cwire(e, c, 1));
	}
}

static void
sim_heartbeat_timeout(struct engine *e, int who)
{
	if (who == 0) {
		if (e->prod.link != LINK_BLACKHOLE)
			return;
		sim_producer_lost(e, -15, LOSS_BLACKHOLE);
	} else {
		if (e->consumers[who - 1].link != LINK_BLACKHOLE)
			return;
		sim_consumer_lost(e, who - 1, -15, 0);
	}
}

/* ---- timers ---------------------------------------------------------- */

static void
sim_wire_fire(struct engine *e, uint32_t n)
{
	struct sim_wire *w = sim_wire(e, n);

	w->armed = 0;
	while (w->len && sim_wire_head(w)->at <= e->now &&
	    sim_wire_link(e, n) != LINK_BLACKHOLE) {
		struct sim_item it = sim_wire_pop(w);
		if (n == WIRE_PROD_UP) {
			if (!e->b.up)
				continue;
			if (it.kind == FR_PUBLISH)
				sim_broker_publish(e, &it);
			else if (it.kind == FR_CLOSE_OK)
				e->prod.bchan = 2;
			else if (it.kind == FR_CHANNEL_OPEN)
				e->prod.bchan = 0;
		} else if (n == WIRE_PROD_DOWN)
			sim_producer_frame(e, &it);
		else {
			uint32_t k = n - WIRE_CONSUMERS;
			sim_consumer_frame(e, (int)(k / 2), (int)(k % 2), &it);
		}
	}
	sim_wire_arm(e, n);
}

static void
sim_reconcile(struct engine *e)
{
	int64_t period = e->toggles[TOGGLE_RECONCILE_MS] * 1000;

	e->reconcile_armed = 0;
	if (!e->toggles[TOGGLE_RECONCILE])
		return;
	for (uint32_t id = 1; id <= e->next_id; id++) {
		struct broker_tally *t = broker_tally(&e->b, id);
		/* The order is the first consumer's business state. */
		if (!(t->done_mask & 1) && e->paid_at[id] + period <= e->now) {
			t->done_mask |= 1;
			if (t->effects < UINT8_MAX)
				t->effects++;
			sim_emit(e, EV_RECONCILE, ACTOR_RECONCILER, id, 0, 0,
			    NULL, "payment service says paid");
		}
	}
	e->reconcile_armed = 1;
	sched_add(&e->sched, e->now + period, T_RECONCILE, e->reconcile_gen, 0,
	    0);
}

static int sim_fail(struct engine *e, const struct failure_req *req,
    char **cause);

/*
 * One random failure for the capstone, drawn from the seeded source: only
 * failures that the right toggles can survive (no typos in names).
 */
static void
sim_chaos(struct engine *e)
{
	static const enum failure_kind kinds[] = {
		FAIL_CONNECTION_LOST, FAIL_CONNECTION_LOST, FAIL_BLACKHOLE,
		FAIL_BROKER_CRASH, FAIL_CONSUMER_CRASH_BEFORE,
		FAIL_CONSUMER_CRASH_AFTER, FAIL_CONSUMER_EXCEPTION,
	};
	struct failure_req r;
	char *cause = NULL;
	const char *target;

	memset(&r, 0, sizeof r);
	r.kind = kinds[rng_below(&e->rng, sizeof kinds / sizeof kinds[0])];
	target = rng_below(&e->rng, 2) || e->nconsumers == 0 ? "producer" :
	    e->consumers[0].spec->name;
	switch (r.kind) {
	case FAIL_CONNECTION_LOST:
	case FAIL_BLACKHOLE:
		r.target = target;
		r.ms = 500 + (int64_t)rng_below(&e->rng, 2500);
		break;
	case FAIL_CONSUMER_EXCEPTION:
		r.times = 1 + (int)rng_below(&e->rng, 2);
		break;
	default:
		break;
	}
	if (r.kind == FAIL_BROKER_CRASH && !e->b.up)
		return;
	sim_fail(e, &r, &cause);
	free(cause);
	if (r.kind == FAIL_BROKER_CRASH && e->toggles[TOGGLE_RESTART_MS] == 0)
		sched_add(&e->sched, e->now + 2000000, T_RESTART, e->b.gen,
		    0, 0);
}

static void
sim_fire(struct engine *e, const struct sched_timer *t)
{
	int ci = (int)t->a;

	switch ((enum sim_timer)t->kind) {
	case T_WIRE:
		sim_wire_fire(e, t->a);
		break;
	case T_PRODUCER:
		if (t->gen != e->prod.gen)
			break;
		e->prod.step_armed = 0;
		sim_producer_pump(e);
		break;
	case T_CONNECTED:
		if (t->gen == e->prod.gen)
			sim_producer_connected(e);
		break;
	case T_CONFIRM:
		if (t->gen != e->prod.gen || !e->b.up)
			break;
		sim_confirm_later(e, e->now, t->a, (uint32_t)(t->b >> 1),
		    (int)(t->b & 1));
		break;
	case T_WORK:
		if (e->consumers[ci].busy && t->b == e->consumers[ci].job)
			sim_consumer_work_done(e, ci);
		break;
	case T_RETRY:
		if (e->consumers[ci].busy && t->b == e->consumers[ci].job) {
			e->consumers[ci].attempt++;
			sched_add(&e->sched, e->now +
			    e->toggles[TOGGLE_WORK_MS] * 1000, T_WORK,
			    e->consumers[ci].gen, (uint32_t)ci,
			    ++e->consumers[ci].job);
		}
		break;
	case T_RECOVER:
		e->consumers[ci].recovery_armed = 0;
		sim_consumer_connect(e, ci);
		break;
	case T_CONSUMER_UP:
		if (t->gen == e->consumers[ci].gen)
			sim_consumer_up(e, ci);
		break;
	case T_EXPIRY:
		if (t->gen != e->b.gen || !e->b.up)
			break;
		if (e->b.queues[t->a].expiry_due == t->due)
			e->b.queues[t->a].expiry_due = BROKER_NEVER;
		broker_expire(&e->b, (int)t->a);
		break;
	case T_LINK_HEAL:
		if (t->a == 0 ? t->gen == e->prod.link_gen :
		    t->gen == e->consumers[t->a - 1].link_gen)
			sim_link_heal(e, (int)t->a);
		break;
	case T_HEARTBEAT:
		if (t->a == 0 ? t->gen == e->prod.link_gen :
		    t->gen == e->consumers[t->a - 1].link_gen)
			sim_heartbeat_timeout(e, (int)t->a);
		break;
	case T_RESTART:
		if (t->gen == e->b.gen)
			sim_broker_start(e);
		break;
	case T_RECONCILE:
		if (t->gen == e->reconcile_gen)
			sim_reconcile(e);
		break;
	case T_CHAOS:
		sim_chaos(e);
		break;
	case T_DELAYED: {
		struct sim_delayed *d = &e->delayed[t->a];
		if (!d->live)
			break;
		if (!e->b.up) {
			/* Fires once the broker is back. */
			sched_add(&e->sched, e->now + 1000, T_DELAYED, 0, t->a,
			    0);
			break;
		}
		d->live = 0;
		sim_broker_route(e, d->exchange, &d->m, 0, 0);
		break;
	}
	}
}

/* ---- the engine interface -------------------------------------------- */

static struct engine *
sim_create(const struct engine_opts *opts, char **cause)
{
	struct engine *e = xcalloc(1, sizeof *e);

	(void)cause;
	sched_init(&e->sched);
	rng_seed(&e->rng, opts->seed);
	toggle_defaults(e->toggles);
	e->sink = opts->sink;
	e->sink_ctx = opts->sink_ctx;
	/* Events before declare (toggles) need the broker's environment. */
	e->b.env = sim_env_ops;
	e->b.env.ctx = e;
	e->b.toggles = e->toggles;
	e->b.up = 1;
	e->prod.wait_since = -1;
	return e;
}

static void
sim_destroy(struct engine *e)
{
	if (e == NULL)
		return;
	sched_free(&e->sched);
	broker_free(&e->b);
	for (size_t i = 0; i < e->nconsumers; i++) {
		broker_ring_free(&e->consumers[i].buf);
		sim_wire_free(&e->consumers[i].down);
		sim_wire_free(&e->consumers[i].up);
	}
	free(e->consumers);
	free(e->delayed);
	service_memory_free(&e->seen);
	free(e->paid_at);
	for (size_t i = 0; i < e->prod.out_len; i++)
		free(e->prod.out[(e->prod.out_head + i) % e->prod.out_cap].xname);
	free(e->prod.out);
	free(e->prod.pend);
	sim_wire_free(&e->prod.up);
	sim_wire_free(&e->prod.down);
	free(e->qviews);
	topology_free(e->topo);
	free(e);
}

static int
sim_declare(struct engine *e, const struct topology *topo, char **cause)
{
	struct topology *t;
	struct broker_env env;

	if (e->declared) {
		*cause = xstrdup("the topology is already declared");
		return -1;
	}
	t = e->topo = topology_copy(topo);
	e->declared = 1;
	env = sim_env_ops;
	env.ctx = e;
	if (broker_init(&e->b, t, e->toggles, &env, cause) != 0)
		return -1;
	e->consumers = xcalloc(t->nconsumers + 1, sizeof *e->consumers);
	e->nconsumers = t->nconsumers;
	for (size_t i = 0; i < t->nconsumers; i++) {
		e->consumers[i].spec = &t->consumers[i];
		e->consumers[i].queue = e->b.subs[i].queue;
	}
	broker_redeclare(&e->b);
	return 0;
}

static int
sim_set_toggle(struct engine *e, enum toggle_id id, int64_t value,
    char **cause)
{
	const struct toggle_info *ti;
	char buf[32], detail[96];

	if ((unsigned)id >= TOGGLE_COUNT) {
		*cause = xstrdup("no such toggle");
		return -1;
	}
	ti = toggle_info(id);
	if (value < ti->min || value > ti->max) {
		*cause = xasprintf("%s: %" PRId64 " is out of range", ti->name,
		    value);
		return -1;
	}
	if (e->toggles[id] == value)
		return 0;
	e->toggles[id] = value;
	snprintf(detail, sizeof detail, "%s=%s", ti->name,
	    toggle_format(id, value, buf, sizeof buf));
	if (e->declared)
		sim_emit(e, EV_TOGGLE, ACTOR_LAB, 0, 0, 0, NULL, detail);
	switch (id) {
	case TOGGLE_DURABLE_EXCHANGE:
	case TOGGLE_DURABLE_QUEUE:
	case TOGGLE_QUEUE_TYPE:
		/*
		 * A declared object cannot change its arguments (406); the lab
		 * deletes and redeclares it, empty.
		 */
		for (size_t i = 0; e->b.up && i < e->b.nqueues; i++) {
			struct broker_queue *q = &e->b.queues[i];
			int type = q->spec->type >= 0 ? q->spec->type :
			    (int)e->toggles[TOGGLE_QUEUE_TYPE];
			int durable = type == QTYPE_QUORUM ? 1 :
			    q->spec->durable >= 0 ? q->spec->durable :
			    (int)e->toggles[TOGGLE_DURABLE_QUEUE];
			if (!q->exists || (type == q->type &&
			    durable == q->durable))
				continue;
			while (q->ready.len) {
				struct broker_msg m = broker_ring_pop(&q->ready);
				broker_drop(&e->b, m.id, LOSS_QUEUE_DELETED,
				    NOTICE_SILENT, q->spec->name);
			}
			q->type = type;
			q->durable = durable;
			q->declared_at = e->now;
		}
		for (size_t i = 0; i < e->b.nexchanges; i++)
			if (e->b.exchanges[i].pinned_durable < 0)
				e->b.exchanges[i].durable =
				    (int)e->toggles[TOGGLE_DURABLE_EXCHANGE];
		break;
	case TOGGLE_RECONCILE:
	case TOGGLE_RECONCILE_MS:
		/* (Re)start the period from now. */
		if (e->toggles[TOGGLE_RECONCILE]) {
			e->reconcile_armed = 1;
			sched_add(&e->sched, e->now +
			    e->toggles[TOGGLE_RECONCILE_MS] * 1000,
			    T_RECONCILE, ++e->reconcile_gen, 0, 0);
		}
		break;
	case TOGGLE_ACK_MODE:
		/* The container cancels and consumes again in the new mode. */
		for (size_t i = 0; i < e->nconsumers; i++) {
			struct sim_consumer *c = &e->consumers[i];
			if (!c->connected)
				continue;
			e->b.subs[i].ack_mode = (int)value;
			snprintf(detail, sizeof detail, "no-ack=%d prefetch=%"
			    PRId64, value == ACK_NONE,
			    e->toggles[TOGGLE_PREFETCH]);
			sim_emit(e, EV_CONSUME, ACTOR_CONSUMER, 0, 0, 0,
			    broker_qname(&e->b, c->queue), detail);
		}
		break;
	case TOGGLE_PREFETCH:
		for (size_t i = 0; i < e->b.nqueues; i++)
			broker_dispatch(&e->b, (int)i);
		break;
	default:
		break;
	}
	sim_producer_pump(e);
	return 0;
}

static int64_t
sim_get_toggle(struct engine *e, enum toggle_id id)
{
	return (unsigned)id < TOGGLE_COUNT ? e->toggles[id] : 0;
}

static int
sim_publish(struct engine *e, const struct publish_req *req, char **cause)
{
	struct sim_batch b;
	const char *xn = req->exchange ? req->exchange :
	    e->topo->publish_exchange;

	if (!e->declared) {
		*cause = xstrdup("declare the topology first");
		return -1;
	}
	if (req->count == 0) {
		*cause = xstrdup("publish needs a count of at least 1");
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.left = req->count;
	b.exchange = sim_exchange_resolve(e, xn);
	b.xname = xstrdup(xn);
	b.key = broker_intern(&e->b, req->key ? req->key : e->topo->publish_key);
	b.persistent = req->persistent;
	b.expiration = req->expiration_ms;
	b.delay = req->delay_ms;
	b.every_us = req->every_us;
	b.headers = broker_headers(&e->b, req->headers, req->nheaders);
	sim_outbox_push(&e->prod, &b, 0);
	sim_producer_pump(e);
	return 0;
}

static int
sim_consume(struct engine *e, const char *name, int on, char **cause)
{
	int only = -1;

	if (name) {
		only = broker_sub_find(&e->b, name);
		if (only < 0) {
			*cause = xasprintf("no consumer called '%s'", name);
			return -1;
		}
	}
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct sim_consumer *c = &e->consumers[i];
		if (only >= 0 && (int)i != only)
			continue;
		if (on && !c->wanted) {
			c->wanted = 1;
			sim_consumer_connect(e, (int)i);
		} else if (!on && c->wanted) {
			c->wanted = 0;
			/* basic.cancel: unacked messages go back. */
			if (c->connected)
				sim_consumer_lost(e, (int)i, 200, 0);
		}
	}
	return 0;
}

/* The queue a failure acts on: the named one, or the first consumed one. */
static int
sim_target_queue(struct engine *e, const char *target)
{
	if (target) {
		int q = broker_queue_find(&e->b, target);
		if (q >= 0)
			return q;
		q = broker_sub_find(&e->b, target);
		return q >= 0 ? e->consumers[q].queue : -1;
	}
	if (e->nconsumers)
		return e->consumers[0].queue;
	return e->b.nqueues ? 0 : -1;
}

static int
sim_target_consumer(struct engine *e, const char *target)
{
	if (target && strcmp(target, "consumer") != 0)
		return broker_sub_find(&e->b, target);
	return e->nconsumers ? 0 : -1;
}

static int
sim_fail(struct engine *e, const struct failure_req *req, char **cause)
{
	char detail[128];
	int q, c, x;

	if (!e->declared) {
		*cause = xstrdup("declare the topology first");
		return -1;
	}
	sim_emit(e, EV_FAILURE, ACTOR_LAB, 0, 0, 0, req->target,
	    engine_failure_name(req->kind));
	switch (req->kind) {
	case FAIL_CONNECTION_LOST:
	case FAIL_BLACKHOLE: {
		enum sim_link mode = req->kind == FAIL_BLACKHOLE ?
		    LINK_BLACKHOLE : LINK_CUT;
		if (req->target == NULL ||
		    strcmp(req->target, "producer") == 0) {
			sim_link_set(e, 0, mode, req->ms);
			break;
		}
		c = sim_target_consumer(e, req->target);
		if (c < 0)
			goto bad_target;
		sim_link_set(e, c + 1, mode, req->ms);
		break;
	}
	case FAIL_MISSING_EXCHANGE:
		x = broker_exchange_find(&e->b, req->target ? req->target :
		    e->topo->publish_exchange);
		if (x < 0) {
			*cause = xstrdup("missing_exchange: the producer "
			    "publishes to the default exchange, which cannot be "
			    "deleted");
			return -1;
		}
		broker_delete_exchange(&e->b, x, "exchange.delete");
		break;
	case FAIL_UNROUTABLE:
		e->prod.unroutable_left = req->times > 0 ? req->times : 1;
		break;
	case FAIL_QUEUE_FULL:
		q = sim_target_queue(e, req->target);
		if (q < 0)
			goto bad_target;
		e->b.queues[q].policy_max_length =
		    (int64_t)e->b.queues[q].ready.len;
		snprintf(detail, sizeof detail, "max-length=%zu",
		    e->b.queues[q].ready.len);
		sim_emit(e, EV_POLICY, ACTOR_BROKER, 0, 0, 0, broker_qname(&e->b, q),
		    detail);
		break;
	case FAIL_MESSAGE_EXPIRY:
		q = sim_target_queue(e, req->target);
		if (q < 0)
			goto bad_target;
		e->b.queues[q].policy_ttl_ms = req->ms > 0 ? req->ms : 0;
		snprintf(detail, sizeof detail, "message-ttl=%" PRId64,
		    e->b.queues[q].policy_ttl_ms);
		sim_emit(e, EV_POLICY, ACTOR_BROKER, 0, 0, 0, broker_qname(&e->b, q),
		    detail);
		e->b.queues[q].expiry_due = BROKER_NEVER;
		if (e->b.up)
			broker_expire(&e->b, q);
		break;
	case FAIL_BROKER_CRASH:
	case FAIL_BROKER_STOP:
		sim_broker_down(e, req->kind == FAIL_BROKER_STOP);
		break;
	case FAIL_CONSUMER_CRASH_BEFORE:
	case FAIL_CONSUMER_CRASH_AFTER:
		c = sim_target_consumer(e, req->target);
		if (c < 0)
			goto bad_target;
		if (req->kind == FAIL_CONSUMER_CRASH_BEFORE)
			e->consumers[c].crash_before = 1;
		else
			e->consumers[c].crash_after = 1;
		break;
	case FAIL_CONSUMER_EXCEPTION:
		/* The next message the consumer starts on is the poison. */
		c = sim_target_consumer(e, req->target);
		if (c < 0)
			goto bad_target;
		e->consumers[c].exc_armed = 1;
		e->consumers[c].exc_times = req->times > 0 ?
		    (req->times > 32767 ? 32767 : req->times) : -1;
		e->consumers[c].exc_unreadable = req->unreadable ? 1 : 0;
		break;
	case FAIL_CHAOS: {
		int64_t span = (req->ms > 0 ? req->ms : 10000) * 1000;
		int n = req->times > 0 ? req->times : 5;
		for (int i = 0; i < n; i++)
			sched_add(&e->sched, e->now +
			    (int64_t)rng_below(&e->rng, (uint64_t)span), T_CHAOS,
			    0, 0, 0);
		break;
	}
	default:
		*cause = xstrdup("unknown failure");
		return -1;
	}
	return 0;
bad_target:
	*cause = xasprintf("%s: no such target '%s'",
	    engine_failure_name(req->kind), req->target ? req->target : "");
	return -1;
}

static int
sim_restart(struct engine *e, char **cause)
{
	(void)cause;
	sim_broker_start(e);
	return 0;
}

/*
 * Quiet: nothing left but periodic jobs, which run forever by design: the
 * reconciliation tick, and consumers retrying a broker that is down.
 */
static int
sim_quiet(struct engine *e)
{
	for (size_t i = 0; i < e->sched.len; i++) {
		int kind = e->sched.heap[i].kind;
		if (kind == T_RECONCILE || (kind == T_RECOVER && !e->b.up))
			continue;
		return 0;
	}
	return 1;
}

static int
sim_run_until(struct engine *e, int64_t until, int quiet_stop)
{
	struct sched_timer t;

	while (sched_peek(&e->sched) && sched_peek(&e->sched)->due <= until) {
		if (quiet_stop && sim_quiet(e))
			break;
		sched_pop(&e->sched, &t);
		if (t.due > e->now)
			e->now = t.due;
		sim_fire(e, &t);
	}
	return 0;
}

static int
sim_advance(struct engine *e, int64_t us, char **cause)
{
	int64_t until;

	(void)cause;
	if (us < 0)
		us = 0;
	until = e->now + us;
	sim_run_until(e, until, 0);
	/* Time passes even when nothing happens. */
	e->now = until;
	return 0;
}

static int
sim_settle(struct engine *e, int64_t max_us, char **cause)
{
	int64_t until = e->now + max_us;

	(void)cause;
	sim_run_until(e, until, 1);
	return 0;
}

static int64_t
sim_now(struct engine *e)
{
	return e->now;
}

static int64_t
sim_next_due(struct engine *e)
{
	const struct sched_timer *t = sched_peek(&e->sched);
	return t ? t->due : INT64_MAX;
}

static void
sim_view(struct engine *e, struct engine_view *v)
{
	memset(v, 0, sizeof *v);
	v->broker_up = e->b.up;
	v->producer_connected = e->prod.connected;
	v->producer_outstanding = e->prod.outstanding;
	for (size_t i = 0; i < e->prod.out_len; i++)
		v->producer_pending +=
		    e->prod.out[(e->prod.out_head + i) % e->prod.out_cap].left;
	v->producer_blocked_us = e->prod.blocked_us;
	v->producer_attempt = e->prod.attempt;
	v->producer_retry_in_us = e->prod.retry_due > e->now ?
	    e->prod.retry_due - e->now : -1;
	e->qviews = engine_queue_views(e->qviews, &e->b, e->now);
	v->queues = e->qviews;
	v->nqueues = e->b.nqueues;
	for (size_t i = 0; i < e->nconsumers; i++) {
		v->consumer_in_progress += e->consumers[i].busy;
		v->consumer_buffered += e->consumers[i].buf.len;
		v->consumers_connected += e->consumers[i].connected;
	}
}

const struct engine_ops engine_sim_ops = {
	.name = "sim",
	.create = sim_create,
	.destroy = sim_destroy,
	.declare = sim_declare,
	.set_toggle = sim_set_toggle,
	.get_toggle = sim_get_toggle,
	.publish = sim_publish,
	.consume = sim_consume,
	.inject = sim_fail,
	.restart = sim_restart,
	.advance = sim_advance,
	.settle = sim_settle,
	.now = sim_now,
	.next_due = sim_next_due,
	.quiet = sim_quiet,
	.view = sim_view,
};
