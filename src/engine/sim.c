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
#include "client/client.h"
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

/* A consumer's connection: its link and wires. */
/*
 * A connection begun while its link is down, cut or black hole, is refused
 * at once (the relay stops listening; seed 260). One begun before a black
 * hole opened gets no answer: the handshake is held and completes once the
 * link heals, as through the live engine's relay (seed 10). `held` marks
 * such a connect.
 */
struct sim_consumer {
	enum sim_link link;
	uint32_t link_gen;
	struct sim_wire down, up;
	int held;
};

/* The producer's connection: its link and wires, the broker's view. */
struct sim_producer {
	enum sim_link link;
	uint32_t link_gen;
	struct sim_wire up, down;
	int bchan;           /* broker view: 0 open, 1 closing, 2 closed */
	int held;            /* connect held by a black hole (sim_consumer) */
};

struct sim_delayed {
	struct broker_msg m;
	int exchange;
	int live;
};

enum sim_timer {
	T_WIRE,        /* a: wire number */
	T_CONNECTED,   /* producer handshake done */
	T_CONFIRM,     /* a: seq; b: id<<1 | ack */
	T_CONSUMER_UP, /* a: consumer handshake done */
	T_LINK_HEAL,   /* a: 0 producer, 1+i consumer i */
	T_HEARTBEAT,   /* a: as LINK_HEAL */
	T_DELAYED,     /* a: delayed slot */
	T_SHARED,      /* and up: engine_timer's (enum engine_timer) */
};

struct engine {
	struct engine_base base; /* first: the broker, the applications */
	int64_t now;             /* the virtual clock */
	struct sim_producer prod;
	struct sim_consumer *consumers; /* one per base.b.subs */
	size_t nconsumers;
	struct sim_delayed *delayed;
	size_t ndelayed, delayed_cap;
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
	broker_emit(&e->base.b, kind, actor, msg, code, flag, where, detail);
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
	sched_add(&e->base.sched, sim_wire_head(w)->at, T_WIRE, 0, n, 0);
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

	xring_shift(&w->head, &w->len, w->cap);
	return it;
}

/* ---- the broker's environment: clock, timers, disk, links ------------- */

static int64_t
sim_env_now(void *ctx)
{
	return ((struct engine *)ctx)->now;
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
	return e->base.app.cons[ci].connected && e->consumers[ci].link != LINK_CUT;
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
	return e->base.b.down_clean || m->written_at <= e->now ? BROKER_KEEP :
	    BROKER_DIES;
}

static const struct broker_env sim_env_ops = {
	.now = sim_env_now,
	.write_time = sim_env_write_time,
	.can_take = sim_env_can_take,
	.deliver = sim_env_deliver,
};

/* ---- forward declarations of the actors ------------------------------ */

static void sim_producer_pump(struct engine *e);
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
		sched_add(&e->base.sched, at, T_CONFIRM, e->base.app.prod.gen, seq,
		    (uint64_t)id << 1 | (uint64_t)ack);
}

/* Routes `m` through exchange `x` (-1 default) as a publish. */
static void
sim_broker_route(struct engine *e, int32_t x, struct broker_msg *m, int flags,
    int confirming)
{
	const int *targets;
	size_t n = broker_route(&e->base.b, x, m, &targets);
	int rejected = 0;
	int64_t confirm_at;

	if (n == 0) {
		int mandatory = flags & EVENT_PUB_MANDATORY;
		if (mandatory) {
			sim_emit(e, EV_RETURN, ACTOR_EXCHANGE, m->id, 312, 0,
			    broker_xname(&e->base.b, x), NULL);
			sim_wire_send(e, WIRE_PROD_DOWN, FR_RETURN, 0, 0, m);
		}
		broker_drop(&e->base.b, m->id, LOSS_UNROUTABLE,
		    mandatory ? NOTICE_RETURN : NOTICE_SILENT,
		    broker_xname(&e->base.b, x));
		if (confirming)
			sim_confirm_later(e, e->now, m->tag, m->id, 1);
		return;
	}
	confirm_at = broker_publish(&e->base.b, x, m, targets, n, confirming,
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
		broker_drop(&e->base.b, it->m.id, LOSS_CHANNEL_CLOSED,
		    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
		return;
	}
	if (p->bchan == 2) {
		/* Publishing on a channel that was never reopened. */
		sim_emit(e, EV_CONN_CLOSE, ACTOR_BROKER, it->m.id, 504, 0, NULL,
		    "expected 'channel.open'");
		broker_drop(&e->base.b, it->m.id, LOSS_CHANNEL_CLOSED, NOTICE_ERROR, NULL);
		sim_producer_lost(e, 504, LOSS_CHANNEL_CLOSED);
		return;
	}
	if (it->aux == -1 || (it->aux >= 0 && !e->base.b.exchanges[it->aux].exists)) {
		char detail[128];
		snprintf(detail, sizeof detail, "no exchange '%s' in vhost '/'",
		    it->aux >= 0 ? e->base.b.exchanges[it->aux].name : "?");
		sim_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, it->m.id, 404, 0,
		    NULL, detail);
		broker_drop(&e->base.b, it->m.id, LOSS_MISSING_EXCHANGE,
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
	return e->base.b.up && e->prod.link == LINK_OK;
}

/* The connection is gone: everything in flight on it is settled. */
static void
sim_producer_lost(struct engine *e, int code, enum loss_reason why)
{
	struct sim_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int confirming = cp->confirm_mode;

	if (!cp->connected && !cp->connecting)
		return;
	/* A handshake cut short is no lost connection: the next attempt
	   says what it finds (as client_consumer_lost does). */
	if (cp->connected)
		sim_emit(e, EV_CONN_LOST, ACTOR_PRODUCER, 0, code, 0, NULL,
		    NULL);
	cp->connected = cp->connecting = 0;
	cp->chan_open = 0;
	cp->chan_dead = 0;
	cp->confirm_mode = 0;
	cp->gen++;
	cp->step_armed = 0;
	while (p->up.len) {
		struct sim_item it = sim_wire_pop(&p->up);
		if (it.kind == FR_PUBLISH)
			broker_drop(&e->base.b, it.m.id, why,
			    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
	}
	/* Confirms, returns and closes on their way die with it. */
	p->down.head = p->down.len = 0;
	p->up.armed = p->down.armed = 0;
	client_pending_fail_all(&e->base.app);
	p->bchan = 0;
	client_producer_unblock(&e->base.app);
	sim_producer_pump(e);
}

static void
sim_producer_connected(struct engine *e)
{
	struct client_producer *cp = &e->base.app.prod;

	if (e->base.b.up && e->prod.link == LINK_BLACKHOLE) {
		e->prod.held = 1;
		return;
	}
	cp->connecting = 0;
	if (!sim_producer_reachable(e)) {
		sim_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, 0, -9, 0, NULL,
		    NULL);
		sim_producer_pump(e);
		return;
	}
	cp->connected = 1;
	e->prod.bchan = 0;
	sim_emit(e, EV_CONNECT, ACTOR_PRODUCER, 0, 0, 0, NULL, NULL);
	broker_redeclare(&e->base.b);
	sim_producer_pump(e);
}

/*
 * Sends the head message of the outbox: over the up wire, or into the
 * delayed-message plugin's hold. The next one may go after this one's cost
 * in client time (SIM_PUB_*).
 */
static void
sim_producer_send(struct engine *e)
{
	struct client_producer *cp = &e->base.app.prod;
	struct client_batch *b = client_outbox_head(&e->base.app);
	struct broker_msg m;
	int32_t x = b->exchange;
	int flags = 0;
	int64_t cost;

	client_producer_publish(&e->base.app, &m);
	if (m.persistent)
		flags |= EVENT_PUB_PERSISTENT;
	if (e->base.toggles[TOGGLE_MANDATORY])
		flags |= EVENT_PUB_MANDATORY;
	if (cp->confirm_mode)
		flags |= 8;
	if (x >= 0 && e->base.b.exchanges[x].type == XTYPE_DELAYED &&
	    b->delay >= 0 && e->base.b.exchanges[x].exists && e->prod.bchan == 0 &&
	    e->prod.link == LINK_OK) {
		/* The plugin holds the message in the exchange. */
		struct sim_delayed *d;
		e->delayed = xgrow(e->delayed, &e->delayed_cap,
		    e->ndelayed + 1, sizeof *e->delayed);
		d = &e->delayed[e->ndelayed];
		d->m = m;
		d->exchange = x;
		d->live = 1;
		sched_add(&e->base.sched, e->now + SIM_NET_US + b->delay * 1000,
		    T_DELAYED, 0, (uint32_t)e->ndelayed++, 0);
		if (cp->confirm_mode)
			sim_confirm_later(e, e->now + SIM_NET_US, m.tag, m.id,
			    1);
	} else
		sim_wire_send(e, WIRE_PROD_UP, FR_PUBLISH, x, flags, &m);
	client_outbox_advance(&e->base.app);
	cost = m.persistent ? SIM_PUB_PERSISTENT_US : SIM_PUB_TRANSIENT_US;
	if (cp->confirm_mode)
		cost += m.persistent ? SIM_CONFIRM_PERSISTENT_US :
		    SIM_CONFIRM_TRANSIENT_US;
	client_producer_arm(&e->base.app, e->now + cost);
}

static void sim_producer_connected(struct engine *e);

/*
 * A new heartbeat is negotiated at connect: once nothing is on its way,
 * the producer's connection is replaced (as the live engine does), and
 * the new one declares the topology again. From the toggle itself, `now`:
 * the new connection is there before the next step (the live engine waits
 * for it), else after the usual handshake.
 */
static int
sim_producer_recycle(struct engine *e, int now)
{
	struct client_producer *cp = &e->base.app.prod;

	if (!client_producer_recycle_due(&e->base.app) || e->prod.up.len ||
	    e->prod.down.len || cp->out_len)
		return 0;
	client_producer_recycle(&e->base.app);
	e->prod.bchan = 0;
	if (now)
		sim_producer_connected(e);
	else
		sched_add(&e->base.sched, e->now + SIM_CONNECT_US,
		    T_CONNECTED, cp->gen, 0, 0);
	return 1;
}

/*
 * Decides the producer's next move: connect, retry, wait for confirms or
 * send. Called whenever anything the producer depends on changed.
 */
static void
sim_producer_pump(struct engine *e)
{
	struct client_producer *cp = &e->base.app.prod;
	int mode = (int)e->base.toggles[TOGGLE_CONFIRMS];

	if (!client_producer_ready(&e->base.app) || sim_producer_recycle(e, 0))
		return;
	if (!cp->connected) {
		if (!sim_producer_reachable(e)) {
			sim_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, cp->head_id,
			    -9, 0, NULL, e->base.b.up ? "link down" :
			    "broker down");
			client_producer_connect_failed(&e->base.app);
			return;
		}
		cp->connecting = 1;
		sched_add(&e->base.sched, e->now + SIM_CONNECT_US, T_CONNECTED,
		    cp->gen, 0, 0);
		return;
	}
	if (!cp->chan_open) {
		if (cp->chan_dead && !e->base.toggles[TOGGLE_REOPEN_CHANNEL]) {
			/*
			 * rabbitmq-c style: the closed channel number is used
			 * again without channel.open.
			 */
		} else {
			sim_emit(e, EV_CHANNEL_OPEN, ACTOR_PRODUCER, 0, 0, 0,
			    NULL, NULL);
			sim_wire_send(e, WIRE_PROD_UP, FR_CHANNEL_OPEN, 0, 0,
			    NULL);
			cp->chan_open = 1;
			cp->chan_dead = 0;
			cp->next_seq = 0;
			cp->confirm_mode = 0;
		}
	}
	if (cp->chan_open && mode != CONFIRMS_OFF && !cp->confirm_mode) {
		sim_emit(e, EV_CONFIRM_SELECT, ACTOR_PRODUCER, 0, 0, 0, NULL,
		    NULL);
		cp->confirm_mode = 1;
		cp->next_seq = 0;
	}
	if (cp->chan_open && mode == CONFIRMS_OFF)
		cp->confirm_mode = 0;
	sim_producer_send(e);
}

static void
sim_producer_frame(struct engine *e, struct sim_item *it)
{
	struct client_producer *cp = &e->base.app.prod;

	switch (it->kind) {
	case FR_CONFIRM:
		client_producer_confirm(&e->base.app, it->m.tag, 0, it->aux);
		break;
	case FR_RETURN:
		/* The return callback logs it; resending would loop. */
		break;
	case FR_CHANNEL_CLOSE:
		cp->chan_open = 0;
		cp->chan_dead = 1;
		cp->confirm_mode = 0;
		client_pending_fail_all(&e->base.app);
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
	struct client_consumer *a = &e->base.app.cons[ci];

	if (a->connected || a->connecting || !a->wanted)
		return;
	if (!e->base.b.up || c->link != LINK_OK) {
		sim_emit(e, EV_CONNECT_FAIL, ACTOR_CONSUMER, 0, -9, 1,
		    a->spec->name, e->base.b.up ? "link down" : "broker down");
		client_consumer_arm_recovery(&e->base.app, ci);
		return;
	}
	a->connecting = 1;
	sched_add(&e->base.sched, e->now + SIM_CONNECT_US, T_CONSUMER_UP, a->gen,
	    (uint32_t)ci, 0);
}

static void
sim_consumer_up(struct engine *e, int ci)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];

	if (e->base.b.up && c->link == LINK_BLACKHOLE && a->wanted) {
		c->held = 1;
		return;
	}
	a->connecting = 0;
	if (!e->base.b.up || c->link != LINK_OK || !a->wanted) {
		sim_consumer_connect(e, ci);
		return;
	}
	a->connected = 1;
	e->base.b.subs[ci].next_tag = 0;
	sim_emit(e, EV_CONNECT, ACTOR_CONSUMER, 0, 0, 1, a->spec->name, NULL);
	broker_redeclare(&e->base.b);
	if (!e->base.b.queues[a->queue].exists) {
		sim_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, 0, 404, 0,
		    a->spec->name, "no queue to consume from");
		return;
	}
	client_consumer_subscribe(&e->base.app, ci);
	broker_dispatch(&e->base.b, a->queue);
}

/* The broker gets consumer ci's ack, nack or reject frame for `tag`. */
static void
sim_settle_frame(struct engine *e, int ci, enum sim_frame kind, uint32_t tag,
    int requeue)
{
	broker_settle(&e->base.b, ci, kind == FR_ACK ? EV_ACK : kind == FR_NACK ?
	    EV_NACK : EV_REJECT, tag, requeue);
}

/* The consumer dies now (crash=1) or loses its connection (crash=0). */
static void
sim_consumer_lost(struct engine *e, int ci, int code, int crash)
{
	struct sim_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct broker_queue *q = &e->base.b.queues[a->queue];

	client_consumer_lost(&e->base.app, ci, code, crash, NULL);
	/*
	 * A crashed process's socket still delivers what it had written
	 * (the kernel sends it before the FIN); a cut link does not.
	 */
	while (crash && c->up.len && c->link == LINK_OK) {
		struct sim_item it = sim_wire_pop(&c->up);
		sim_settle_frame(e, ci, it.kind, (uint32_t)it.aux, it.flags);
	}
	/* Broker side: unacked copies go back, oldest first, redelivered. */
	broker_requeue_unacked(&e->base.b, ci);
	/* Deliveries still on the wire, and unsent acks, are gone. */
	while (c->down.len) {
		struct sim_item it = sim_wire_pop(&c->down);
		client_consumer_undelivered(&e->base.app, ci, &it.m);
	}
	while (c->up.len)
		sim_wire_pop(&c->up);
	c->down.armed = c->up.armed = 0;
	client_consumer_dropped(&e->base.app, ci, crash);
	if (e->base.b.up && q->exists)
		broker_dispatch(&e->base.b, a->queue);
	client_consumer_arm_recovery(&e->base.app, ci);
}

static void
sim_consumer_frame(struct engine *e, int ci, int up, struct sim_item *it)
{
	if (up) {
		sim_settle_frame(e, ci, it->kind, (uint32_t)it->aux, it->flags);
		return;
	}
	if (it->kind != FR_DELIVER)
		return;
	broker_ring_push(&e->base.app.cons[ci].buf, &it->m, 0);
	client_consumer_pump(&e->base.app, ci);
}

static void
sim_broker_down(struct engine *e, int clean)
{
	struct client_producer *cp = &e->base.app.prod;

	if (!e->base.b.up)
		return;
	sim_emit(e, clean ? EV_STOP : EV_CRASH, ACTOR_BROKER, 0, 0, 0, NULL,
	    NULL);
	broker_down(&e->base.b, clean);
	/* Clients first: their connections die with the broker. */
	if (clean && cp->connected)
		sim_emit(e, EV_CONN_CLOSE, ACTOR_BROKER, 0, 320, 0, NULL,
		    "broker shutdown");
	sim_producer_lost(e, clean ? 320 : -9, LOSS_BROKER_CRASH);
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->base.app.cons[i].connected || e->base.app.cons[i].connecting)
			sim_consumer_lost(e, (int)i, clean ? 320 : -9, 0);
	for (size_t qi = 0; qi < e->base.b.nqueues; qi++) {
		struct broker_queue *q = &e->base.b.queues[qi];
		q->leaderless = !clean && q->exists &&
		    broker_young_quorum(&e->base.b, q);
	}
	broker_survive(&e->base.b, sim_fate);
	for (size_t i = 0; i < e->ndelayed; i++) {
		struct sim_delayed *d = &e->delayed[i];
		if (d->live && !e->base.b.exchanges[d->exchange].exists) {
			d->live = 0;
			broker_drop(&e->base.b, d->m.id, LOSS_BROKER_CRASH,
			    NOTICE_SILENT, e->base.b.exchanges[d->exchange].name);
		}
	}
	engine_restart_later(e);
}

static void
sim_broker_start(struct engine *e)
{
	if (e->base.b.up)
		return;
	broker_up(&e->base.b);
	for (size_t ci = 0; ci < e->nconsumers; ci++)
		if (e->base.app.cons[ci].wanted && !e->base.app.cons[ci].recovery_armed)
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
		int64_t hb = e->base.toggles[TOGGLE_HEARTBEAT];
		if (hb > 0)
			sched_add(&e->base.sched, e->now + 2 * hb * 1000000,
			    T_HEARTBEAT, *lgen, (uint32_t)who, 0);
	}
	if (ms > 0)
		sched_add(&e->base.sched, e->now + ms * 1000, T_LINK_HEAL, *lgen,
		    (uint32_t)who, 0);
}

static void
sim_link_heal(struct engine *e, int who)
{
	if (who == 0) {
		struct client_producer *cp = &e->base.app.prod;
		e->prod.link = LINK_OK;
		if (e->prod.held && cp->connecting)
			sched_add(&e->base.sched, e->now + SIM_CONNECT_US,
			    T_CONNECTED, cp->gen, 0, 0);
		e->prod.held = 0;
		sim_wire_arm(e, WIRE_PROD_UP);
		sim_wire_arm(e, WIRE_PROD_DOWN);
		sim_producer_pump(e);
	} else {
		struct sim_consumer *c = &e->consumers[who - 1];
		struct client_consumer *a = &e->base.app.cons[who - 1];
		c->link = LINK_OK;
		if (c->held && a->connecting)
			sched_add(&e->base.sched, e->now + SIM_CONNECT_US,
			    T_CONSUMER_UP, a->gen, (uint32_t)(who - 1), 0);
		c->held = 0;
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
			if (!e->base.b.up)
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
sim_fire(struct engine *e, const struct sched_timer *t)
{
	int ci = (int)t->a;

	switch ((enum sim_timer)t->kind) {
	case T_SHARED:
		break; /* engine_timer's, run before */
	case T_WIRE:
		sim_wire_fire(e, t->a);
		break;
	case T_CONNECTED:
		if (t->gen == e->base.app.prod.gen)
			sim_producer_connected(e);
		break;
	case T_CONFIRM:
		if (t->gen != e->base.app.prod.gen || !e->base.b.up)
			break;
		sim_confirm_later(e, e->now, t->a, (uint32_t)(t->b >> 1),
		    (int)(t->b & 1));
		break;
	case T_CONSUMER_UP:
		if (t->gen == e->base.app.cons[ci].gen)
			sim_consumer_up(e, ci);
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
	case T_DELAYED: {
		struct sim_delayed *d = &e->delayed[t->a];
		if (!d->live)
			break;
		if (!e->base.b.up) {
			/* Fires once the broker is back. */
			sched_add(&e->base.sched, e->now + 1000, T_DELAYED, 0, t->a,
			    0);
			break;
		}
		d->live = 0;
		sim_broker_route(e, d->exchange, &d->m, 0, 0);
		break;
	}
	}
}

/* ---- the applications' transport ---------------------------------------- */

static int
sim_cl_settle(void *ctx, int ci, enum event_kind kind, uint32_t tag,
    int requeue)
{
	struct engine *e = ctx;

	sim_wire_send(e, sim_cwire(e, &e->consumers[ci], 1), kind == EV_ACK ?
	    FR_ACK : kind == EV_NACK ? FR_NACK : FR_REJECT, (int32_t)tag,
	    requeue, NULL);
	return 0;
}

static void
sim_cl_crash(void *ctx, int ci)
{
	sim_consumer_lost(ctx, ci, 0, 1);
}

static void
sim_cl_connect(void *ctx, int ci)
{
	sim_consumer_connect(ctx, ci);
}

static void
sim_cl_pump(void *ctx)
{
	sim_producer_pump(ctx);
}

static const struct client_ops sim_client_ops = {
	.settle = sim_cl_settle,
	.crash = sim_cl_crash,
	.connect = sim_cl_connect,
	.pump = sim_cl_pump,
};

static const struct engine_hooks sim_hooks;

/* ---- the engine's part of requests ------------------------------------ */

static int
sim_hook_link(struct engine *e, int who, int blackhole, int64_t ms,
    char **cause)
{
	(void)cause;
	sim_link_set(e, who, blackhole ? LINK_BLACKHOLE : LINK_CUT, ms);
	return 0;
}

static int
sim_hook_down(struct engine *e, int clean, char **cause)
{
	(void)cause;
	sim_broker_down(e, clean);
	return 0;
}

/* basic.cancel: unacked messages go back. */
static void
sim_hook_stop(struct engine *e, int ci)
{
	if (e->base.app.cons[ci].connected)
		sim_consumer_lost(e, ci, 200, 0);
}

/* The engine's own effects of a toggle (engine_set_toggle). */
static int
sim_hook_toggled(struct engine *e, enum toggle_id id, int64_t value,
    char **cause)
{
	(void)value;
	(void)cause;
	switch (id) {
	case TOGGLE_HEARTBEAT:
		sim_producer_recycle(e, 1);
		break;
	case TOGGLE_ACK_MODE:
		/* The container cancels and consumes again in the new mode. */
		for (size_t i = 0; i < e->nconsumers; i++)
			if (e->base.app.cons[i].connected)
				client_consumer_subscribe(&e->base.app, (int)i);
		break;
	case TOGGLE_PREFETCH:
		for (size_t i = 0; i < e->base.b.nqueues; i++)
			broker_dispatch(&e->base.b, (int)i);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the engine interface -------------------------------------------- */

static struct engine *
sim_create(const struct engine_opts *opts, char **cause)
{
	struct engine *e = xcalloc(1, sizeof *e);

	(void)cause;
	engine_base_init(&e->base, opts, &sim_env_ops, &sim_client_ops,
	    T_SHARED, &sim_hooks);
	return e;
}

static void
sim_destroy(struct engine *e)
{
	if (e == NULL)
		return;
	engine_base_free(&e->base);
	for (size_t i = 0; i < e->nconsumers; i++) {
		sim_wire_free(&e->consumers[i].down);
		sim_wire_free(&e->consumers[i].up);
	}
	free(e->consumers);
	free(e->delayed);
	sim_wire_free(&e->prod.up);
	sim_wire_free(&e->prod.down);
	free(e);
}

static int
sim_declare(struct engine *e, const struct topology *topo, char **cause)
{
	if (engine_base_declare(&e->base, topo, cause) != 0)
		return -1;
	e->nconsumers = e->base.topo->nconsumers;
	e->consumers = xcalloc(e->nconsumers + 1, sizeof *e->consumers);
	broker_redeclare(&e->base.b);
	/* The producer connects now, as the live engine's does, and as a
	 * Spring application's shared connection opens when RabbitAdmin
	 * declares at start-up; a failure before the first publish finds it
	 * connected. */
	e->base.app.prod.connecting = 1;
	sched_add(&e->base.sched, e->now + SIM_CONNECT_US, T_CONNECTED,
	    e->base.app.prod.gen, 0, 0);
	return 0;
}

static int
sim_fail(struct engine *e, const struct failure_req *req, char **cause)
{
	return engine_inject(e, req, cause);
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
/*
 * A heartbeat check for a link that is no longer a black hole: it will
 * find nothing to do, so it is no work a settle waits for (the live
 * engine's settle does not wait for it either).
 */
static int
sim_timer_moot(const struct sched_timer *t, void *ctx)
{
	struct engine *e = ctx;
	enum sim_link link;
	uint32_t gen;

	if (t->kind != T_HEARTBEAT)
		return 0;
	if (t->a == 0) {
		link = e->prod.link;
		gen = e->prod.link_gen;
	} else {
		link = e->consumers[t->a - 1].link;
		gen = e->consumers[t->a - 1].link_gen;
	}
	return t->gen != gen || link != LINK_BLACKHOLE;
}

static int
sim_quiet(struct engine *e)
{
	return client_sched_idle(&e->base.app, sim_timer_moot, e);
}

static int
sim_run_until(struct engine *e, int64_t until, int quiet_stop)
{
	struct sched_timer t;

	while (sched_peek(&e->base.sched) && sched_peek(&e->base.sched)->due <= until) {
		if (quiet_stop && sim_quiet(e))
			break;
		sched_pop(&e->base.sched, &t);
		if (t.due > e->now)
			e->now = t.due;
		if (!engine_timer(e, &t))
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
	const struct sched_timer *t = sched_peek(&e->base.sched);
	return t ? t->due : INT64_MAX;
}

static void
sim_view(struct engine *e, struct engine_view *v)
{
	engine_view_fill(e, v);
}

/* What engine.c asks of this engine. */
static const struct engine_hooks sim_hooks = {
	.link = sim_hook_link,
	.down = sim_hook_down,
	.start = sim_consumer_connect,
	.stop = sim_hook_stop,
	.pump = sim_producer_pump,
	.toggled = sim_hook_toggled,
	.restart = sim_restart,
};

const struct engine_ops engine_sim_ops = {
	.name = "sim",
	.caps = ENGINE_CAP_VIRTUAL_TIME | ENGINE_CAP_UNDO,
	.create = sim_create,
	.destroy = sim_destroy,
	.declare = sim_declare,
	.inject = sim_fail,
	.restart = sim_restart,
	.advance = sim_advance,
	.settle = sim_settle,
	.now = sim_now,
	.next_due = sim_next_due,
	.quiet = sim_quiet,
	.view = sim_view,
};
