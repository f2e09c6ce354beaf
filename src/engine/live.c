/*
 * The live engine: a real RabbitMQ, the same story as the simulated engine.
 *
 * Actors. The producer (payment service) and each consumer (trade service)
 * hold one AMQP connection, each through its own fault relay; a separate
 * admin connection, straight to the broker, declares and deletes the
 * topology and reads queue depths. All of them are served by one poll()
 * loop (lv_step); the client side of the producer and consumers follows the
 * simulated engine's rules (Spring defaults, confirm modes, retries,
 * recovery) so both engines tell the same story from the same script.
 *
 * The shadow. Clients see confirms, returns, deliveries and closes; they do
 * not see a message enter a queue, expire, be dead-lettered, pushed out of
 * a full queue or lost in a crash. The engine keeps a shadow of the broker
 * (exchanges, bindings, the ordered copies in each queue) and feeds it the
 * commands each relay reports as written to the broker, in that order,
 * which is the order the broker acts on them. Real frames correct it: a
 * delivery takes its copy out of the queue, a basic.return makes a publish
 * unroutable. The producer always sets mandatory on the wire so that every
 * unroutable publish comes back and is counted from a real frame; when the
 * mandatory toggle is off the return is treated as unseen (no RETURN event,
 * the loss is silent), which is what a producer without mandatory learns.
 *
 * Deliveries count when the broker sends them (the relay reads the
 * basic.deliver and its content header on the way), as in the simulator: a
 * consumer that dies with deliveries still in its socket was delivered
 * them, and with no-ack they are lost.
 *
 * Crashes. kill -9 loses for certain what a broker never writes (transient
 * messages in classic queues, non-durable queues and exchanges); those are
 * reported at once. Whether an unconfirmed persistent message had reached
 * the disk is only known after the restart: before any client reconnects,
 * the engine reads each queue's depth back and keeps that many of the
 * possible survivors, oldest first; the others are LOST(broker_crash).
 * Messages whose TTL ran out while the node was down are expired as the
 * broker expired them when it came back.
 *
 * Order across connections. Frames on different connections reach the
 * broker in no fixed order, and the simulator acts at once, so requests
 * that change what the broker does wait for its answer before returning:
 * a consumer's re-consume waits for consume-ok, a stop for cancel-ok, a
 * heartbeat change reconnects the producer at once, and a settle sends a
 * basic.qos on the producer's channel and waits for its -ok, which comes
 * after every earlier publish on that channel was routed.
 *
 * Publishing. A publish is rabbitmq-c's three frames encoded here and
 * written with one send() (after checking the socket has room): the lab's
 * throughput should not lose to the relay's extra hop.
 *
 * Time is the wall clock: advance(us) polls for that long, settle runs until
 * nothing is due and no frame has moved for LV_GRACE_US.
 */
#include "engine/live.h"

#include "broker/broker.h"
#include "client/client.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "engine/live_conn.h"
#include "engine/live_relay.h"
#include "model/ledger.h"
#include "model/rng.h"
#include "model/sched.h"
#include "model/service.h"
#include "util/xmalloc.h"

#define LV_HANDSHAKE_S 5.0       /* a client handshake must end by then */
#define LV_GRACE_US 25000        /* settle: this long with no traffic */
#define LV_BUDGET 64             /* publishes per loop turn */
#define LV_PUBLISH_MAX 8192      /* room lv_encode_publish is given */
#define LV_POLL_MAX_MS 20        /* longest single poll() */
#define LV_SPIN_US 200           /* longest wait for a confirm, awake */
#define LV_BOOT_US 180000000LL   /* a restart may take this long */
#define BROKER_NEVER INT64_MAX
#define LV_ID_HEADER "x-rabbitlab-id"

/* ---- data ------------------------------------------------------------ */

/* What the lab knows of a real exchange beyond the model: its name. */
struct lv_exchange {
	char *rname;             /* rabbitlab.<session>.<name> */
};

/* What the lab knows of a real queue beyond the model. */
struct lv_queue {
	char *rname;             /* rabbitlab.<session>.<name> */
	int64_t real_ready;      /* last depth read from the broker, -1 none */
	int real_exists;
};

/* A command a client wrote, waiting for the relay to hand it over. */
enum lv_cmd_kind {
	CMD_OTHER, CMD_DECLARE_X, CMD_DECLARE_Q, CMD_BIND, CMD_CHANNEL_OPEN,
	CMD_CHANNEL_CLOSE, CMD_CLOSE_OK, CMD_PUBLISH, CMD_ACK, CMD_NACK,
	CMD_REJECT, CMD_CONSUME, CMD_CANCEL, CMD_CONN_CLOSE,
};

struct lv_cmd {
	uint8_t kind;
	uint8_t flags;           /* ack: requeue bits */
	uint32_t method;         /* AMQP method number, to check the relay */
	uint32_t a;              /* object index or delivery tag */
};

/* What is being read after a content-bearing method. */
enum { CONTENT_NONE, CONTENT_DELIVER, CONTENT_RETURN };

/* One AMQP client connection through its relay. */
struct lv_client {
	struct engine *e;
	int who;                 /* 0 producer, 1 + i consumer i */
	struct live_conn conn;
	struct live_relay *relay;
	struct lv_cmd *cmds;     /* written, not yet at the broker */
	size_t ncmds, cmd_cap, cmd_head;
	int content;
	int have_header;
	uint64_t body_left;
	uint64_t tag;
	int redelivered;
	int reply_code;
	amqp_channel_t chan;     /* the channel in use */
	uint32_t pair_gen;       /* bumped when a relay pair ends */
	int readable;            /* poll() saw its socket readable */
	int64_t read_at;         /* when its frames were last read */
};

/* A publish written by the producer, until the broker has it. */
struct lv_sent {
	uint32_t id, msgid, seq;
	int32_t exchange;        /* -1 missing, -2 default */
	uint32_t key;            /* as sent (unroutable keys included) */
	uint32_t headers;
	int64_t expiration;
	uint8_t persistent, mandatory;
};

/* The producer's connection: its client, relay, buffers, the broker's view. */
struct lv_producer {
	struct lv_client cl;
	int blocked;             /* connection.blocked from the broker */
	int want_write;          /* waits for room in its socket */
	int redeclare;           /* the next channel declares the topology */
	size_t room;             /* send buffer bytes known to be free */
	int unsynced;            /* published since the last channel sync */
	int reconnect;           /* a connect-time toggle changed */
	int syncing;             /* a basic.qos sent as a sync, no -ok yet */
	enum live_relay_mode link;
	uint32_t link_gen;
	enum loss_reason loss;   /* why publishes in flight die with the link */
	uint8_t *wbuf;           /* publishes encoded this pump turn, unsent */
	size_t wlen, wcap;
	int wrote;               /* bytes went to the socket since lv_step
				    last looked (it pokes the relay) */
	int injected;            /* publishes went to the relay in process
				    (live_relay_inject): lv_step settles it */
	uint32_t fast_skip;      /* confirms taken from the relay that the
				    client has yet to read (and skip) */
	int fast_new;            /* one was taken in this relay run */
	int64_t flushed_at;      /* when publishes last went out */
	int64_t confirm_rtt;     /* from then to the confirm that followed;
				    -1: a spin ran out (lv_spin) */
	struct lv_sent *sent;    /* written, not yet at the broker */
	size_t sent_cap, sent_head, sent_len;
	/* the broker's view of the channel */
	int bchan;               /* 0 open, 1 closing (404), 2 closed */
	int bdead;               /* the broker closed the connection (504) */
	uint32_t doomed;         /* the publish that closed the channel */
	amqp_channel_t next_chan;
};

/* A consumer's connection: its client, relay, subscription. */
struct lv_consumer {
	struct lv_client cl;
	struct broker_ring transit;  /* sent by the broker, not read by the client */
	enum live_relay_mode link;
	uint32_t link_gen;
	int requeued;            /* this connection's unacked went back */
	int cancel_ok;           /* basic.cancel-ok came for the last cancel */
	int consume_ok;          /* basic.consume-ok came for the last consume */
	char ctag[256];
	char prev_ctag[256];     /* the subscription before a re-consume */
	int prev_ack_mode;
};

enum lv_timer {
	T_LINK_HEAL,             /* a: 0 producer, 1 + i consumer i */
	T_SHARED,                /* and up: engine_timer's */
};

struct engine {
	struct engine_base base; /* first: the shadow, the applications */
	int64_t t0_ns;           /* monotonic clock at creation */
	struct live_target target;
	char prefix[64];         /* rabbitlab.<session>. */
	int64_t activity_at;     /* last time a frame or byte moved */
	int settling;            /* in lv_settle: the producer syncs in the
				    turn its outbox drains (lv_step) */

	struct lv_exchange *xr;  /* real names, as b.exchanges */
	struct lv_queue *qr;     /* real names and depths, as b.queues */
	struct lv_consumer *consumers; /* as b.subs */
	size_t nconsumers;
	char **rkeys;            /* b.keys with the session prefix */
	size_t nrkeys, rkeys_cap;

	uint32_t crash_seq;      /* copies up to here went through a crash */
	struct lv_producer prod;

	/* admin connection, straight to the broker */
	amqp_connection_state_t admin;
	int admin_chan_open;
	amqp_channel_t admin_chan;
	int64_t real_at;         /* when depths were last read */
	uint64_t real_dirty;     /* events then */
	uint64_t real_ops;       /* engine calls then */
	uint64_t ops;            /* engine calls that may change depths */
	int64_t spin_us;         /* lv_spin's limit (LV_SPIN_US; 0: never) */

	char *policy_set;        /* queues with a policy: 1 per queue */
};

/* ---- clock and events ------------------------------------------------ */

static int64_t
lv_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t
lv_now(struct engine *e)
{
	return (lv_mono_ns() - e->t0_ns) / 1000;
}

static void
lv_emit(struct engine *e, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail)
{
	broker_emit(&e->base.b, kind, actor, msg, code, flag, where, detail);
}

/* ---- the shadow's environment ------------------------------------------ */

static int64_t
lv_env_now(void *ctx)
{
	return lv_now(ctx);
}

/*
 * The shadow neither writes to disk nor delivers: the real node does both,
 * and what survives a crash is read back from it (lv_broker_recovered).
 */
static const struct broker_env lv_env_ops = {
	.now = lv_env_now,
};

/* ---- names ----------------------------------------------------------- */

/* The real spelling of a script name or key: the session prefix added. */
static char *
lv_real(struct engine *e, const char *name)
{
	return xasprintf("%s%s", e->prefix, name);
}

/* The real spelling of interned key `key`: the session prefix added. */
static const char *
lv_rkey(struct engine *e, uint32_t key)
{
	while (e->nrkeys < e->base.b.nkeys) {
		e->rkeys = xgrow(e->rkeys, &e->rkeys_cap, e->nrkeys + 1,
		    sizeof *e->rkeys);
		e->rkeys[e->nrkeys] = lv_real(e, e->base.b.keys[e->nrkeys]);
		e->nrkeys++;
	}
	return e->rkeys[key];
}

/* Replaces every real name in `text` by its script name, into buf. */
static void
lv_unprefix(struct engine *e, const char *text, char *buf, size_t len)
{
	size_t pl = strlen(e->prefix), n = 0;

	while (*text && n + 1 < len) {
		if (strncmp(text, e->prefix, pl) == 0) {
			text += pl;
			continue;
		}
		buf[n++] = *text++;
	}
	buf[n] = '\0';
}

/* ---- forward declarations -------------------------------------------- */

static void lv_producer_pump(struct engine *e);
static int lv_producer_frame(struct engine *e, amqp_frame_t *f);
static void lv_consumer_lost(struct engine *e, int ci, int code, int crash,
    const char *why);
static void lv_producer_lost(struct engine *e, int code,
    enum loss_reason why, const char *detail);
static void lv_consumer_connect(struct engine *e, int ci);
static void lv_requeue_unacked(struct engine *e, int ci);
static int lv_admin_ok(struct engine *e, char **cause);

/* ---- the shadow broker: commands as they reach it --------------------- */

/* A consumer's ack, nack or reject for `tag` reached the broker. */
static void
lv_broker_settle(struct engine *e, int ci, enum lv_cmd_kind kind,
    uint32_t tag, int requeue)
{
	broker_settle(&e->base.b, ci, kind == CMD_ACK ? EV_ACK : kind == CMD_NACK ?
	    EV_NACK : EV_REJECT, tag, requeue);
}

/* A publish reached the broker: route it as the broker does. */
static void
lv_broker_publish(struct engine *e, const struct lv_sent *s)
{
	struct lv_producer *p = &e->prod;
	int confirming = s->seq != 0, rejected = 0;
	const int *targets;
	struct broker_msg m;
	size_t n;

	if (p->bdead || p->bchan == 1) {
		/* Behind a channel.close or connection.close: discarded. */
		broker_drop(&e->base.b, s->id, LOSS_CHANNEL_CLOSED,
		    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
		return;
	}
	if (p->bchan == 2) {
		/* The closed channel used again: 504 kills the connection. */
		p->bdead = 1;
		p->doomed = s->id;
		p->loss = LOSS_CHANNEL_CLOSED;
		broker_drop(&e->base.b, s->id, LOSS_CHANNEL_CLOSED, NOTICE_ERROR, NULL);
		return;
	}
	if (s->exchange == -1 || (s->exchange >= 0 &&
	    !e->base.b.exchanges[s->exchange].exists)) {
		p->bchan = 1;
		p->doomed = s->id;
		broker_drop(&e->base.b, s->id, LOSS_MISSING_EXCHANGE,
		    confirming ? NOTICE_ERROR : NOTICE_SILENT, NULL);
		return;
	}
	memset(&m, 0, sizeof m);
	m.id = s->id;
	m.msgid = s->msgid;
	m.key = s->key;
	m.exchange = s->exchange < 0 ? -1 : s->exchange;
	m.headers = s->headers;
	m.expiration = s->expiration;
	m.persistent = s->persistent;
	n = broker_route(&e->base.b, m.exchange, &m, &targets);
	if (n == 0) {
		/* The basic.return (always asked for) settles it. */
		struct broker_tally *t = broker_tally(&e->base.b, s->id);
		t->returns_due++;
		t->mandatory = s->mandatory;
		return;
	}
	broker_publish(&e->base.b, m.exchange, &m, targets, n, confirming,
	    &rejected);
}

/* Everything the client redeclares on connect exists again. */
static void
lv_broker_declared(struct engine *e, enum lv_cmd_kind kind, uint32_t i)
{
	if (kind == CMD_DECLARE_X)
		broker_declared(&e->base.b, BROKER_EXCHANGE, i);
	else if (kind == CMD_DECLARE_Q)
		broker_declared(&e->base.b, BROKER_QUEUE, i);
	else if (kind == CMD_BIND)
		broker_declared(&e->base.b, BROKER_BINDING, i);
}

static struct lv_sent
lv_sent_pop(struct lv_producer *p)
{
	struct lv_sent s = p->sent[p->sent_head];

	p->sent_head = (p->sent_head + 1) % p->sent_cap;
	p->sent_len--;
	return s;
}

/* The relay wrote command cls.meth of client `cl` to the broker. */
static void
lv_relay_command(void *ctx, uint16_t cls, uint16_t meth)
{
	struct lv_client *cl = ctx;
	struct engine *e = cl->e;
	uint32_t method = (uint32_t)cls << 16 | meth;
	struct lv_cmd c;

	e->activity_at = lv_now(e);
	if (cl->ncmds == 0 || cl->cmds[cl->cmd_head].method != method) {
		/* Handshake and close frames live_conn sent itself. */
		if (cls == 10 && cl->who > 0 && meth == 50 &&
		    !e->consumers[cl->who - 1].requeued)
			lv_requeue_unacked(e, cl->who - 1);
		return;
	}
	c = cl->cmds[cl->cmd_head];
	cl->cmd_head = (cl->cmd_head + 1) % cl->cmd_cap;
	cl->ncmds--;
	switch (c.kind) {
	case CMD_DECLARE_X:
	case CMD_DECLARE_Q:
	case CMD_BIND:
		lv_broker_declared(e, (enum lv_cmd_kind)c.kind, c.a);
		break;
	case CMD_CHANNEL_OPEN:
		if (cl->who == 0)
			e->prod.bchan = 0;
		break;
	case CMD_CLOSE_OK:
		if (cl->who == 0 && e->prod.bchan == 1)
			e->prod.bchan = 2;
		break;
	case CMD_PUBLISH:
		if (e->prod.sent_len) {
			struct lv_sent s = lv_sent_pop(&e->prod);
			if (e->base.b.up)
				lv_broker_publish(e, &s);
		}
		break;
	case CMD_ACK:
	case CMD_NACK:
	case CMD_REJECT:
		if (cl->who > 0 && e->base.b.up)
			lv_broker_settle(e, cl->who - 1,
			    (enum lv_cmd_kind)c.kind, c.a, c.flags);
		break;
	case CMD_CONN_CLOSE:
		if (cl->who > 0 && !e->consumers[cl->who - 1].requeued)
			lv_requeue_unacked(e, cl->who - 1);
		break;
	default:
		break;
	}
}

/* A relay pair ended: what the client wrote and the broker never got. */
static void
lv_relay_closed(void *ctx, enum live_relay_end why)
{
	struct lv_client *cl = ctx;
	struct engine *e = cl->e;
	struct lv_producer *p = &e->prod;

	(void)why;
	e->activity_at = lv_now(e);
	cl->pair_gen++;
	if (cl->who == 0) {
		while (p->sent_len) {
			struct lv_sent s = lv_sent_pop(p);
			broker_drop(&e->base.b, s.id, p->loss, s.seq ? NOTICE_ERROR :
			    NOTICE_SILENT, NULL);
		}
	} else if (!e->consumers[cl->who - 1].requeued)
		lv_requeue_unacked(e, cl->who - 1);
	cl->ncmds = cl->cmd_head = 0;
}

static uint32_t lv_parse_mid(amqp_bytes_t b, uint32_t *msgid);

/*
 * The broker sent a delivery to a consumer (the relay read it): that is
 * when it counts as delivered, as in the simulator, whether or not the
 * client lives to read it. The copy leaves the queue; with an ack mode it
 * is unacked until settled, with no-ack it is the consumer's alone.
 */
static void
lv_relay_delivered(void *ctx, const char *ctag, uint64_t tag, int redelivered,
    const char *message_id, int64_t delivery_count)
{
	struct lv_client *cl = ctx;
	struct engine *e = cl->e;
	struct lv_consumer *c;
	struct broker_msg m;
	amqp_bytes_t mb = amqp_cstring_bytes(message_id);
	uint32_t msgid, id = lv_parse_mid(mb, &msgid);
	char detail[48];
	const char *dp = NULL;
	int noack;

	e->activity_at = lv_now(e);
	if (cl->who == 0 || id == 0)
		return;
	c = &e->consumers[cl->who - 1];
	noack = strcmp(ctag, c->prev_ctag) == 0 && strcmp(ctag, c->ctag) != 0 ?
	    c->prev_ack_mode == ACK_NONE :
	    e->base.b.subs[cl->who - 1].ack_mode == ACK_NONE;
	m = broker_take(&e->base.b, cl->who - 1, id, msgid, (uint32_t)tag, noack,
	    redelivered);
	if (delivery_count > 0) {
		snprintf(detail, sizeof detail, "x-delivery-count=%" PRId64,
		    delivery_count);
		dp = detail;
	}
	lv_emit(e, EV_DELIVER, ACTOR_QUEUE, id, 0, redelivered,
	    e->base.app.cons[cl->who - 1].spec->name, dp);
	broker_ring_push(&c->transit, &m, 0);
}

/*
 * The relay is about to hand the producer's client a confirm, and the
 * client has read everything before it: the producer acts on it now, as it
 * would on reading it next, and skips the frame when it does read it. This
 * takes the client's socket off the path of "publish, wait, publish".
 */
static int
lv_relay_confirm(void *ctx, uint16_t channel, int ack, uint64_t tag,
    int multiple, uint64_t written)
{
	struct lv_client *cl = ctx;
	struct engine *e = cl->e;
	amqp_frame_t f;
	amqp_basic_ack_t a;
	amqp_basic_nack_t n;

	if (cl->who != 0 || cl->content != CONTENT_NONE ||
	    !live_conn_read_all(&cl->conn, written))
		return 0;
	memset(&f, 0, sizeof f);
	f.frame_type = AMQP_FRAME_METHOD;
	f.channel = channel;
	if (ack) {
		memset(&a, 0, sizeof a);
		a.delivery_tag = tag;
		a.multiple = (amqp_boolean_t)multiple;
		f.payload.method.id = AMQP_BASIC_ACK_METHOD;
		f.payload.method.decoded = &a;
	} else {
		memset(&n, 0, sizeof n);
		n.delivery_tag = tag;
		n.multiple = (amqp_boolean_t)multiple;
		f.payload.method.id = AMQP_BASIC_NACK_METHOD;
		f.payload.method.decoded = &n;
	}
	e->activity_at = lv_now(e);
	e->prod.fast_skip++;
	e->prod.fast_new = 1;
	lv_producer_frame(e, &f);
	return 1;
}

/* After confirms were taken: the next publish goes out before the relay
 * writes the confirms to the client. */
static void
lv_relay_read_done(void *ctx)
{
	struct lv_client *cl = ctx;
	struct lv_producer *p = &cl->e->prod;
	struct client_producer *cp = &cl->e->base.app.prod;

	if (cl->who != 0 || !p->fast_new)
		return;
	p->fast_new = 0;
	/* A reconnect would flush the relay from inside its own run. */
	if (cp->connected && !p->reconnect)
		lv_producer_pump(cl->e);
}

static const struct live_relay_ops lv_relay_ops = {
	.command = lv_relay_command,
	.closed = lv_relay_closed,
	.delivered = lv_relay_delivered,
	.confirm = lv_relay_confirm,
	.read_done = lv_relay_read_done,
};

/* ---- clients: sending ------------------------------------------------- */

static void
lv_cmd_push(struct lv_client *cl, enum lv_cmd_kind kind, uint32_t method,
    uint32_t a, int flags)
{
	if (cl->ncmds == cl->cmd_cap) {
		size_t ncap = cl->cmd_cap ? cl->cmd_cap * 2 : 64;
		struct lv_cmd *nb = xmalloc(ncap * sizeof *nb);
		for (size_t i = 0; i < cl->ncmds; i++)
			nb[i] = cl->cmds[(cl->cmd_head + i) % cl->cmd_cap];
		free(cl->cmds);
		cl->cmds = nb;
		cl->cmd_cap = ncap;
		cl->cmd_head = 0;
	}
	cl->cmds[(cl->cmd_head + cl->ncmds++) % cl->cmd_cap] =
	    (struct lv_cmd){ (uint8_t)kind, (uint8_t)flags, method, a };
}

/* Sends a method and remembers it for the relay; 0 or -1. */
static int
lv_send(struct lv_client *cl, enum lv_cmd_kind kind, uint32_t a, int flags,
    amqp_method_number_t id, void *decoded)
{
	lv_cmd_push(cl, kind, id, a, flags);
	if (live_conn_send(&cl->conn, cl->chan, id, decoded) != 0) {
		cl->ncmds--;
		return -1;
	}
	return 0;
}

static amqp_table_entry_t
lv_entry_str(const char *k, const char *v)
{
	amqp_table_entry_t en;

	en.key = amqp_cstring_bytes(k);
	en.value.kind = AMQP_FIELD_KIND_UTF8;
	en.value.value.bytes = amqp_cstring_bytes(v);
	return en;
}

static amqp_table_entry_t
lv_entry_int(const char *k, int64_t v)
{
	amqp_table_entry_t en;

	en.key = amqp_cstring_bytes(k);
	en.value.kind = AMQP_FIELD_KIND_I64;
	en.value.value.i64 = v;
	return en;
}

/*
 * Fills `args` (room for 8) with a queue's arguments; strings go to the
 * caller's `keep` (freed after sending). Returns how many.
 */
static int
lv_queue_args(struct engine *e, const struct broker_queue *q,
    amqp_table_entry_t *args, char **keep)
{
	const struct topo_queue *s = q->spec;
	int n = 0;

	keep[0] = keep[1] = NULL;
	if (q->type == QTYPE_QUORUM)
		args[n++] = lv_entry_str("x-queue-type", "quorum");
	else if (q->type == QTYPE_LAZY)
		args[n++] = lv_entry_str("x-queue-mode", "lazy");
	if (s->ttl_ms >= 0)
		args[n++] = lv_entry_int("x-message-ttl", s->ttl_ms);
	if (s->dlx) {
		keep[0] = s->dlx[0] ? lv_real(e, s->dlx) : xstrdup("");
		args[n++] = lv_entry_str("x-dead-letter-exchange", keep[0]);
	}
	if (s->dlrk) {
		keep[1] = lv_real(e, s->dlrk);
		args[n++] = lv_entry_str("x-dead-letter-routing-key", keep[1]);
	}
	if (s->max_length >= 0)
		args[n++] = lv_entry_int("x-max-length", s->max_length);
	if (s->overflow == OVERFLOW_REJECT_PUBLISH)
		args[n++] = lv_entry_str("x-overflow", "reject-publish");
	if (s->delivery_limit >= 0)
		args[n++] = lv_entry_int("x-delivery-limit", s->delivery_limit);
	return n;
}

static const char *
lv_xtype(enum exchange_type t)
{
	switch (t) {
	case XTYPE_FANOUT:
		return "fanout";
	case XTYPE_TOPIC:
		return "topic";
	case XTYPE_HEADERS:
		return "headers";
	default:
		return "direct";
	}
}

/* Binding arguments of a headers binding into args (room for 17). */
static int
lv_bind_args(const struct topo_binding *b, amqp_table_entry_t *args)
{
	int n = 0;

	if (b->nargs == 0)
		return 0;
	args[n++] = lv_entry_str("x-match", b->match_all ? "all" : "any");
	for (size_t i = 0; i < b->nargs && n < 17; i++)
		args[n++] = lv_entry_str(b->args[i].key, b->args[i].value);
	return n;
}

/*
 * Redeclares the whole topology on a client's channel, as Spring's
 * RabbitAdmin does on every connect; replies are not waited for.
 */

static int
lv_redeclare(struct engine *e, struct lv_client *cl)
{
	/* What is gone is declared as the toggles say now. */
	broker_resolve(&e->base.b);
	for (size_t i = 0; i < e->base.b.nexchanges; i++) {
		struct broker_exchange *x = &e->base.b.exchanges[i];
		amqp_exchange_declare_t d;
		memset(&d, 0, sizeof d);
		d.exchange = amqp_cstring_bytes(e->xr[i].rname);
		d.type = amqp_cstring_bytes(lv_xtype(x->type));
		d.durable = x->durable;
		d.arguments = amqp_empty_table;
		if (lv_send(cl, CMD_DECLARE_X, (uint32_t)i, 0,
		    AMQP_EXCHANGE_DECLARE_METHOD, &d) != 0)
			return -1;
	}
	for (size_t i = 0; i < e->base.b.nqueues; i++) {
		struct broker_queue *q = &e->base.b.queues[i];
		amqp_queue_declare_t d;
		amqp_table_entry_t args[8];
		char *keep[2];
		int rc;

		memset(&d, 0, sizeof d);
		d.queue = amqp_cstring_bytes(e->qr[i].rname);
		d.durable = q->durable;
		d.arguments.entries = args;
		d.arguments.num_entries = lv_queue_args(e, q, args, keep);
		rc = lv_send(cl, CMD_DECLARE_Q, (uint32_t)i, 0,
		    AMQP_QUEUE_DECLARE_METHOD, &d);
		free(keep[0]);
		free(keep[1]);
		if (rc != 0)
			return -1;
	}
	for (size_t i = 0; i < e->base.b.nbindings; i++) {
		struct broker_binding *b = &e->base.b.bindings[i];
		amqp_queue_bind_t d;
		amqp_table_entry_t args[17];
		char *key = lv_real(e, e->base.b.keys[b->key]);
		int rc;

		memset(&d, 0, sizeof d);
		d.queue = amqp_cstring_bytes(e->qr[b->queue].rname);
		d.exchange = amqp_cstring_bytes(e->xr[b->exchange].rname);
		d.routing_key = amqp_cstring_bytes(key);
		d.arguments.entries = args;
		d.arguments.num_entries = lv_bind_args(b->spec, args);
		rc = lv_send(cl, CMD_BIND, (uint32_t)i, 0,
		    AMQP_QUEUE_BIND_METHOD, &d);
		free(key);
		if (rc != 0)
			return -1;
	}
	return 0;
}

static int
lv_channel_open(struct lv_client *cl, amqp_channel_t ch)
{
	amqp_channel_open_t o;

	memset(&o, 0, sizeof o);
	cl->chan = ch;
	return lv_send(cl, CMD_CHANNEL_OPEN, 0, 0, AMQP_CHANNEL_OPEN_METHOD, &o);
}

/* Starts a client connection through its relay. */
static int
lv_client_open(struct engine *e, struct lv_client *cl)
{
	cl->ncmds = cl->cmd_head = 0;
	cl->content = CONTENT_NONE;
	if (cl->who == 0)
		e->prod.fast_skip = 0;
	return live_conn_open(&cl->conn, "127.0.0.1",
	    live_relay_port(cl->relay), (int)e->base.toggles[TOGGLE_HEARTBEAT],
	    LV_HANDSHAKE_S);
}

/* Ends a client connection from the client side. */
static void
lv_client_drop(struct lv_client *cl, int graceful)
{
	if (graceful)
		live_conn_close(&cl->conn);
	else
		live_conn_abort(&cl->conn);
	cl->content = CONTENT_NONE;
}

/* ---- producer ------------------------------------------------------------ */

static void
lv_sent_push(struct lv_producer *p, const struct lv_sent *s)
{
	if (p->sent_len == p->sent_cap) {
		size_t ncap = p->sent_cap ? p->sent_cap * 2 : 64;
		struct lv_sent *nb = xmalloc(ncap * sizeof *nb);
		for (size_t i = 0; i < p->sent_len; i++)
			nb[i] = p->sent[(p->sent_head + i) % p->sent_cap];
		free(p->sent);
		p->sent = nb;
		p->sent_cap = ncap;
		p->sent_head = 0;
	}
	p->sent[(p->sent_head + p->sent_len++) % p->sent_cap] = *s;
}

/* The producer's connection is gone. */
static void
lv_producer_lost(struct engine *e, int code, enum loss_reason why,
    const char *detail)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	if (!cp->connected && !cp->connecting)
		return;
	if (cp->connected)
		lv_emit(e, EV_CONN_LOST, ACTOR_PRODUCER, 0, code, 0, NULL,
		    detail);
	p->loss = why;
	cp->connected = cp->connecting = 0;
	p->unsynced = p->syncing = 0;
	cp->chan_open = cp->chan_dead = cp->confirm_mode = 0;
	p->blocked = 0;
	cp->gen++;
	cp->step_armed = 0;
	p->wlen = 0; /* never written: their publishes die below */
	lv_client_drop(&p->cl, 0);
	/* Whatever the relay still holds never reaches the broker. */
	live_relay_drop(p->cl.relay);
	while (p->sent_len) {
		struct lv_sent s = lv_sent_pop(p);
		broker_drop(&e->base.b, s.id, why, s.seq ? NOTICE_ERROR : NOTICE_SILENT,
		    NULL);
	}
	client_pending_fail_all(&e->base.app);
	p->bchan = p->bdead = 0;
	client_producer_unblock(&e->base.app);
	lv_producer_pump(e);
}

/* A connection attempt for the head publish failed. */
static void
lv_producer_connect_failed(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	char why[200];

	live_conn_explain(&p->cl.conn, why, sizeof why);
	cp->connecting = 0;
	live_relay_drop(p->cl.relay);
	if (!cp->took_head) {
		/* The early connect at declare: the next publish retries. */
		lv_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, 0,
		    p->cl.conn.status ? p->cl.conn.status : -9, 0, NULL, why);
		lv_producer_pump(e);
		return;
	}
	lv_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, cp->head_id,
	    p->cl.conn.status ? p->cl.conn.status : -9, 0, NULL,
	    e->base.b.up ? why : "broker down");
	client_producer_connect_failed(&e->base.app);
}

static void
lv_producer_connected(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	cp->connecting = 0;
	cp->connected = 1;
	p->room = 0;
	p->bchan = p->bdead = 0;
	cp->chan_open = cp->chan_dead = cp->confirm_mode = 0;
	p->loss = LOSS_NETWORK;
	lv_emit(e, EV_CONNECT, ACTOR_PRODUCER, 0, 0, 0, NULL, NULL);
	p->next_chan = 1;
	/*
	 * The topology is declared on the channel the producer publishes on:
	 * a channel's frames are acted on in order, two channels' are not
	 * (a publish could overtake a queue.bind on another channel).
	 */
	p->redeclare = 1;
	lv_producer_pump(e);
}

/* Big-endian writers for lv_encode_publish. */
static uint8_t *
lv_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
lv_put32(uint8_t *p, uint32_t v)
{
	p = lv_put16(p, (uint16_t)(v >> 16));
	return lv_put16(p, (uint16_t)v);
}

static uint8_t *
lv_putstr(uint8_t *p, amqp_bytes_t s)
{
	*p++ = (uint8_t)s.len;
	memcpy(p, s.bytes, s.len);
	return p + s.len;
}

/*
 * Encodes one basic.publish with its content header and body, as the
 * three frames rabbitmq-c's amqp_basic_publish would send, into buf (at
 * least 2048 + names + headers bytes). Returns the length, or 0 if it
 * does not fit. One send() then carries the whole publish instead of
 * three: on loopback, and in a VM, the system call is the cost.
 */
static size_t
lv_encode_publish(uint8_t *buf, size_t len, amqp_channel_t ch,
    amqp_bytes_t exchange, amqp_bytes_t key, int mandatory,
    const amqp_basic_properties_t *props, amqp_bytes_t body)
{
	uint8_t *p = buf, *size_at, *start;
	uint16_t flags = 0;

	if (exchange.len > 255 || key.len > 255 || len < 2048 + body.len)
		return 0;
	/* method frame */
	*p++ = AMQP_FRAME_METHOD;
	p = lv_put16(p, ch);
	size_at = p;
	p += 4;
	start = p;
	p = lv_put32(p, AMQP_BASIC_PUBLISH_METHOD);
	p = lv_put16(p, 0);
	p = lv_putstr(p, exchange);
	p = lv_putstr(p, key);
	*p++ = (uint8_t)(mandatory ? 1 : 0);
	lv_put32(size_at, (uint32_t)(p - start));
	*p++ = AMQP_FRAME_END;
	/* content header frame */
	*p++ = AMQP_FRAME_HEADER;
	p = lv_put16(p, ch);
	size_at = p;
	p += 4;
	start = p;
	p = lv_put16(p, 60);
	p = lv_put16(p, 0);
	p = lv_put32(p, 0);
	p = lv_put32(p, (uint32_t)body.len);
	if (props->_flags & AMQP_BASIC_HEADERS_FLAG)
		flags |= 1u << 13;
	if (props->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
		flags |= 1u << 12;
	if (props->_flags & AMQP_BASIC_EXPIRATION_FLAG)
		flags |= 1u << 8;
	if (props->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		flags |= 1u << 7;
	p = lv_put16(p, flags);
	if (flags & (1u << 13)) {
		/* amqp_encode_table writes the table's length itself. */
		amqp_bytes_t out;
		size_t off = 0;
		out.bytes = p;
		out.len = len - (size_t)(p - buf) - 1024;
		if (amqp_encode_table(out, (amqp_table_t *)&props->headers,
		    &off) != AMQP_STATUS_OK)
			return 0;
		p += off;
	}
	if (flags & (1u << 12))
		*p++ = props->delivery_mode;
	if (flags & (1u << 8)) {
		if (props->expiration.len > 255)
			return 0;
		p = lv_putstr(p, props->expiration);
	}
	if (flags & (1u << 7)) {
		if (props->message_id.len > 255)
			return 0;
		p = lv_putstr(p, props->message_id);
	}
	lv_put32(size_at, (uint32_t)(p - start));
	*p++ = AMQP_FRAME_END;
	/* body frame */
	if (body.len) {
		*p++ = AMQP_FRAME_BODY;
		p = lv_put16(p, ch);
		p = lv_put32(p, (uint32_t)body.len);
		memcpy(p, body.bytes, body.len);
		p += body.len;
		*p++ = AMQP_FRAME_END;
	}
	return (size_t)(p - buf);
}

static void
lv_props_id(char *buf, size_t len, uint32_t id, uint32_t msgid)
{
	snprintf(buf, len, "m%" PRIu32 ".%" PRIu32, id, msgid);
}

/*
 * Writes the publishes encoded this turn with one send(): the buffer is
 * empty afterwards either way. Returns AMQP_STATUS_OK, or
 * AMQP_STATUS_SOCKET_ERROR if the socket did not take them whole (the
 * caller then fails the connection).
 */
static int
lv_producer_flush(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	size_t n = p->wlen;

	if (n == 0)
		return AMQP_STATUS_OK;
	p->wlen = 0;
	p->flushed_at = lv_now(e);
	/*
	 * In process when whatever went through the socket before has
	 * arrived (loopback delivery is not always done when send()
	 * returns): the relay reads it first, and order is kept.
	 */
	if (live_conn_delivered(&p->cl.conn) &&
	    live_relay_inject(p->cl.relay, p->wbuf, n) == 0) {
		p->injected = 1;
		return AMQP_STATUS_OK;
	}
	p->wrote = 1;
	return send(p->cl.conn.fd, p->wbuf, n, MSG_NOSIGNAL) == (ssize_t)n ?
	    AMQP_STATUS_OK : AMQP_STATUS_SOCKET_ERROR;
}

/* Flushes; on failure the producer's connection is lost. 0 or -1. */
static int
lv_producer_flush_or_lose(struct engine *e)
{
	int rc = lv_producer_flush(e);

	if (rc == AMQP_STATUS_OK)
		return 0;
	live_conn_fail(&e->prod.cl.conn, rc);
	lv_producer_lost(e, rc, LOSS_NETWORK, NULL);
	return -1;
}

/*
 * Encodes the head message of the outbox into the turn's write buffer
 * (lv_producer_flush sends it). Returns 0, or -1 when the connection
 * failed.
 */
static int
lv_producer_send(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_batch *b = client_outbox_head(&e->base.app);
	struct lv_sent s;
	struct broker_msg m;
	amqp_basic_properties_t props;
	amqp_table_entry_t *hdr;
	char mid[48], exp[32], *rx;
	const char *rkey;
	size_t nh = 0, nset = b->headers ? e->base.b.hset_len[b->headers] : 0;
	int rc;

	client_producer_publish(&e->base.app, &m);
	memset(&s, 0, sizeof s);
	s.id = m.id;
	s.msgid = m.msgid;
	s.seq = e->base.app.prod.confirm_mode ? m.tag : 0;
	s.key = m.key;
	s.exchange = b->exchange;
	s.persistent = m.persistent;
	s.expiration = m.expiration;
	s.headers = m.headers;
	s.mandatory = (uint8_t)e->base.toggles[TOGGLE_MANDATORY];
	/* The frame: every header the script gave, the lab's id first. */
	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
	    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
	props.delivery_mode = m.persistent ? 2 : 1;
	lv_props_id(mid, sizeof mid, s.id, s.msgid);
	props.message_id = amqp_cstring_bytes(mid);
	hdr = xmalloc((nset + 2) * sizeof *hdr);
	hdr[nh++] = lv_entry_int(LV_ID_HEADER, s.id);
	if (b->delay >= 0)
		hdr[nh++] = lv_entry_int("x-delay", b->delay);
	for (size_t i = 0; i < nset; i++)
		hdr[nh++] = lv_entry_str(e->base.b.hsets[b->headers][i].key,
		    e->base.b.hsets[b->headers][i].value);
	props.headers.entries = hdr;
	props.headers.num_entries = (int)nh;
	if (b->expiration >= 0) {
		snprintf(exp, sizeof exp, "%" PRId64, b->expiration);
		props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		props.expiration = amqp_cstring_bytes(exp);
	}
	rkey = lv_rkey(e, m.key);
	rx = b->exchange == -2 ? NULL : b->exchange >= 0 ?
	    NULL : lv_real(e, b->xname);
	lv_cmd_push(&p->cl, CMD_PUBLISH, AMQP_BASIC_PUBLISH_METHOD, 0, 0);
	lv_sent_push(p, &s);
	/*
	 * mandatory is always set on the wire: see the file comment. The
	 * frames are rabbitmq-c's, appended to the turn's write buffer, which
	 * lv_producer_flush writes with one send() (the room check before
	 * each publish guarantees the socket takes it whole). What does not
	 * encode here goes through rabbitmq-c, after the buffer.
	 */
	{
		amqp_bytes_t xb = amqp_cstring_bytes(rx ? rx : b->exchange >= 0 ?
		    e->xr[b->exchange].rname : "");
		size_t n;
		if (p->wcap - p->wlen < LV_PUBLISH_MAX)
			p->wbuf = xgrow(p->wbuf, &p->wcap,
			    p->wlen + LV_PUBLISH_MAX, 1);
		n = lv_encode_publish(p->wbuf + p->wlen, LV_PUBLISH_MAX,
		    p->cl.chan, xb, amqp_cstring_bytes(rkey), 1, &props,
		    amqp_cstring_bytes("payment"));
		p->wlen += n;
		rc = AMQP_STATUS_OK;
		if (n == 0)
			rc = lv_producer_flush(e);
		if (n == 0 && rc == AMQP_STATUS_OK) {
			p->wrote = 1;
			rc = amqp_basic_publish(p->cl.conn.st, p->cl.chan, xb,
			    amqp_cstring_bytes(rkey), 1, 0, &props,
			    amqp_cstring_bytes("payment"));
		}
	}
	free(rx);
	free(hdr);
	p->unsynced = 1;
	/* What this publish took of the send buffer, twice over. */
	p->room -= p->room > 1024 + strlen(e->base.b.keys[m.key]) ?
	    1024 + strlen(e->base.b.keys[m.key]) : p->room;
	client_outbox_advance(&e->base.app);
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(&p->cl.conn, rc);
		lv_producer_lost(e, rc, LOSS_NETWORK, NULL);
		return -1;
	}
	return 0;
}

/*
 * Replaces an idle producer connection with a new one at once, as an
 * application restarted with a new connection setting (heartbeat) would.
 */
static void
lv_producer_recycle(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	p->reconnect = 0;
	lv_emit(e, EV_CONN_CLOSE, ACTOR_PRODUCER, 0, 0, 0, NULL,
	    "reconnecting with the new heartbeat");
	lv_client_drop(&p->cl, 1);
	live_relay_flush(p->cl.relay, 200);
	cp->connected = 0;
	cp->chan_open = cp->chan_dead = cp->confirm_mode = 0;
	p->unsynced = p->syncing = 0;
	cp->gen++;
	cp->step_armed = 0;
	cp->connecting = 1;
	if (lv_client_open(e, &p->cl) != 0)
		lv_producer_connect_failed(e);
}

static int lv_run_until(struct engine *e, int (*done)(struct engine *),
    int64_t max_us);

static int
lv_producer_settled(struct engine *e)
{
	return !e->base.app.prod.connecting;
}

/*
 * One turn of lv_producer_pump. Publishes collect in the write buffer;
 * it is flushed before anything else is written on the connection, and
 * before the socket's room is read again, so the stream keeps its order.
 */
static void
lv_producer_pump_turn(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int mode = (int)e->base.toggles[TOGGLE_CONFIRMS];

	p->want_write = 0;
	for (int budget = LV_BUDGET; budget > 0; budget--) {
		if (!client_producer_ready(&e->base.app))
			return;
		if (!cp->connected) {
			cp->connecting = 1;
			if (lv_client_open(e, &p->cl) != 0)
				lv_producer_connect_failed(e);
			return;
		}
		if (p->room < 4096) {
			if (lv_producer_flush_or_lose(e) != 0)
				return;
			p->room = live_conn_room(&p->cl.conn);
		}
		if (p->blocked || p->room < 4096) {
			p->want_write = !p->blocked;
			return;
		}
		/* Channel open, close or confirm.select ahead: flush first. */
		if ((!cp->chan_open || (mode == CONFIRMS_OFF && cp->confirm_mode) ||
		    (mode != CONFIRMS_OFF && !cp->confirm_mode)) &&
		    lv_producer_flush_or_lose(e) != 0)
			return;
		if (!cp->chan_open) {
			if (cp->chan_dead && !e->base.toggles[TOGGLE_REOPEN_CHANNEL]) {
				/*
				 * rabbitmq-c style: the closed channel number
				 * is used again without channel.open.
				 */
			} else {
				lv_emit(e, EV_CHANNEL_OPEN, ACTOR_PRODUCER, 0, 0,
				    0, NULL, NULL);
				if (lv_channel_open(&p->cl, p->next_chan++) != 0)
					goto dead;
				if (p->redeclare && lv_redeclare(e, &p->cl) != 0)
					goto dead;
				p->redeclare = 0;
				if (p->next_chan > 60)
					p->next_chan = 2;
				cp->chan_open = 1;
				cp->chan_dead = 0;
				cp->next_seq = 0;
				cp->confirm_mode = 0;
			}
		}
		if (cp->chan_open && mode == CONFIRMS_OFF && cp->confirm_mode) {
			/* confirm.select cannot be undone: a fresh channel. */
			amqp_channel_close_t cc;
			memset(&cc, 0, sizeof cc);
			cc.reply_code = AMQP_REPLY_SUCCESS;
			if (lv_send(&p->cl, CMD_CHANNEL_CLOSE, 0, 0,
			    AMQP_CHANNEL_CLOSE_METHOD, &cc) != 0)
				goto dead;
			cp->chan_open = 0;
			cp->confirm_mode = 0;
			continue;
		}
		if (cp->chan_open && mode != CONFIRMS_OFF && !cp->confirm_mode) {
			amqp_confirm_select_t cs;
			memset(&cs, 0, sizeof cs);
			lv_emit(e, EV_CONFIRM_SELECT, ACTOR_PRODUCER, 0, 0, 0,
			    NULL, NULL);
			if (lv_send(&p->cl, CMD_OTHER, 0, 0,
			    AMQP_CONFIRM_SELECT_METHOD, &cs) != 0)
				goto dead;
			cp->confirm_mode = 1;
			cp->next_seq = 0;
		}
		if (lv_producer_send(e) != 0)
			return;
		continue;
dead:
		lv_producer_lost(e, p->cl.conn.status, LOSS_NETWORK, NULL);
		return;
	}
}

/*
 * Holds the producer back: after confirms are turned off, the old
 * channel's confirms come first; a connection setting changed (heartbeat)
 * replaces an idle connection first.
 */
static int
lv_producer_hold(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	if (cp->connected && cp->confirm_mode && cp->outstanding &&
	    e->base.toggles[TOGGLE_CONFIRMS] == CONFIRMS_OFF)
		return 1;
	if (p->reconnect && cp->connected && cp->outstanding == 0 &&
	    p->sent_len == 0) {
		if (lv_producer_flush_or_lose(e) == 0)
			lv_producer_recycle(e);
		return 1;
	}
	return 0;
}

/*
 * Decides the producer's next moves: connect, retry, wait for confirms or
 * send, up to LV_BUDGET publishes per call, written with one send().
 */
static void
lv_producer_pump(struct engine *e)
{
	lv_producer_pump_turn(e);
	lv_producer_flush_or_lose(e);
}

/* A confirm for `tag` (or all up to it) arrived. */
static void
lv_producer_confirm(struct engine *e, uint64_t tag, int multiple, int ack)
{
	struct lv_producer *p = &e->prod;

	p->confirm_rtt = lv_now(e) - p->flushed_at;
	client_producer_confirm(&e->base.app, tag, multiple, ack);
}

/* A basic.return for message `id` arrived (header read). */
static void
lv_producer_return(struct engine *e, uint32_t id, int code)
{
	struct broker_tally *t = broker_tally(&e->base.b, id);
	int mandatory = t->mandatory;

	if (t->returns_due)
		t->returns_due--;
	if (mandatory)
		lv_emit(e, EV_RETURN, ACTOR_EXCHANGE, id, code, 0, NULL, NULL);
	broker_drop(&e->base.b, id, LOSS_UNROUTABLE, mandatory ? NOTICE_RETURN :
	    NOTICE_SILENT, NULL);
}

/* Parses "m<id>.<msgid>"; returns the ledger id or 0. */
static uint32_t
lv_parse_mid(amqp_bytes_t b, uint32_t *msgid)
{
	char buf[48];
	char *end;
	unsigned long id, mid = 0;

	if (b.len == 0 || b.len >= sizeof buf)
		return 0;
	memcpy(buf, b.bytes, b.len);
	buf[b.len] = '\0';
	if (buf[0] != 'm')
		return 0;
	id = strtoul(buf + 1, &end, 10);
	if (*end == '.')
		mid = strtoul(end + 1, NULL, 10);
	if (msgid)
		*msgid = (uint32_t)mid;
	return (uint32_t)id;
}

static const amqp_field_value_t *
lv_header(const amqp_basic_properties_t *p, const char *key)
{
	size_t kl = strlen(key);

	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return NULL;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *en = &p->headers.entries[i];
		if (en->key.len == kl && memcmp(en->key.bytes, key, kl) == 0)
			return &en->value;
	}
	return NULL;
}

static int64_t
lv_field_int(const amqp_field_value_t *v)
{
	switch (v->kind) {
	case AMQP_FIELD_KIND_I8: return v->value.i8;
	case AMQP_FIELD_KIND_U8: return v->value.u8;
	case AMQP_FIELD_KIND_I16: return v->value.i16;
	case AMQP_FIELD_KIND_U16: return v->value.u16;
	case AMQP_FIELD_KIND_I32: return v->value.i32;
	case AMQP_FIELD_KIND_U32: return v->value.u32;
	case AMQP_FIELD_KIND_I64: return v->value.i64;
	case AMQP_FIELD_KIND_U64: return (int64_t)v->value.u64;
	default: return -1;
	}
}

/* The ledger id and message-id number of a message. */
static uint32_t
lv_message_id(const amqp_basic_properties_t *p, uint32_t *msgid)
{
	const amqp_field_value_t *v = lv_header(p, LV_ID_HEADER);
	uint32_t id = 0;

	*msgid = 0;
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		id = lv_parse_mid(p->message_id, msgid);
	if (v && lv_field_int(v) > 0)
		id = (uint32_t)lv_field_int(v);
	return id;
}

/* The producer's channel was closed by the broker. */
static void
lv_producer_channel_closed(struct engine *e, const amqp_method_t *m)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	amqp_channel_close_ok_t ok;
	char text[256], clean[256];
	int code;

	live_conn_reply(m, &code, text, sizeof text);
	lv_unprefix(e, text, clean, sizeof clean);
	lv_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, p->doomed, code, 0, NULL,
	    clean);
	p->doomed = 0;
	cp->chan_open = 0;
	cp->chan_dead = 1;
	cp->confirm_mode = 0;
	p->unsynced = p->syncing = 0;
	client_pending_fail_all(&e->base.app);
	memset(&ok, 0, sizeof ok);
	if (lv_send(&p->cl, CMD_CLOSE_OK, 0, 0, AMQP_CHANNEL_CLOSE_OK_METHOD,
	    &ok) != 0)
		lv_producer_lost(e, p->cl.conn.status, LOSS_NETWORK, NULL);
}

/* ---- reading frames (producer and consumers) --------------------------- */

static void lv_consumer_delivered(struct engine *e, int ci,
    const amqp_basic_properties_t *props);

/* One frame for the producer. Returns -1 if the connection ended. */
static int
lv_producer_frame(struct engine *e, amqp_frame_t *f)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	struct lv_client *cl = &p->cl;

	(void)cp;
	if (f->frame_type == AMQP_FRAME_HEADER && cl->content == CONTENT_RETURN) {
		amqp_basic_properties_t *props = f->payload.properties.decoded;
		uint32_t msgid, id = lv_message_id(props, &msgid);
		cl->body_left = f->payload.properties.body_size;
		if (id)
			lv_producer_return(e, id, cl->reply_code);
		if (cl->body_left == 0)
			cl->content = CONTENT_NONE;
		return 0;
	}
	if (f->frame_type == AMQP_FRAME_BODY && cl->content) {
		size_t n = f->payload.body_fragment.len;
		cl->body_left = cl->body_left > n ? cl->body_left - n : 0;
		if (cl->body_left == 0)
			cl->content = CONTENT_NONE;
		return 0;
	}
	if (f->frame_type != AMQP_FRAME_METHOD)
		return 0;
	switch (f->payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = f->payload.method.decoded;
		if (f->channel == cl->chan)
			lv_producer_confirm(e, a->delivery_tag, a->multiple, 1);
		break;
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *a = f->payload.method.decoded;
		if (f->channel == cl->chan)
			lv_producer_confirm(e, a->delivery_tag, a->multiple, 0);
		break;
	}
	case AMQP_BASIC_RETURN_METHOD: {
		amqp_basic_return_t *r = f->payload.method.decoded;
		cl->content = CONTENT_RETURN;
		cl->reply_code = r->reply_code;
		break;
	}
	case AMQP_CHANNEL_CLOSE_METHOD:
		if (f->channel == cl->chan)
			lv_producer_channel_closed(e, &f->payload.method);
		else {
			amqp_channel_close_ok_t ok;
			memset(&ok, 0, sizeof ok);
			live_conn_send(&cl->conn, f->channel,
			    AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
		}
		break;
	case AMQP_CONNECTION_CLOSE_METHOD: {
		char text[256], clean[256];
		int code;
		live_conn_reply(&f->payload.method, &code, text, sizeof text);
		lv_unprefix(e, text, clean, sizeof clean);
		lv_emit(e, EV_CONN_CLOSE, ACTOR_BROKER, p->doomed, code, 0,
		    NULL, clean);
		p->doomed = 0;
		lv_producer_lost(e, code, code == 504 ? LOSS_CHANNEL_CLOSED :
		    code == 320 ? LOSS_BROKER_CRASH : LOSS_NETWORK, NULL);
		return -1;
	}
	case AMQP_BASIC_QOS_OK_METHOD:
		if (f->channel == cl->chan)
			p->syncing = 0;
		break;
	case AMQP_CONNECTION_BLOCKED_METHOD: {
		/* A resource alarm (memory, disk): publishes wait unread. */
		amqp_connection_blocked_t *b = f->payload.method.decoded;
		char why[128];
		snprintf(why, sizeof why, "%.*s: the broker stopped reading "
		    "publishes", b ? (int)b->reason.len : 0,
		    b ? (const char *)b->reason.bytes : "");
		p->blocked = 1;
		lv_emit(e, EV_BLOCKED, ACTOR_BROKER, 0, 0, 0, NULL, why);
		break;
	}
	case AMQP_CONNECTION_UNBLOCKED_METHOD:
		p->blocked = 0;
		lv_emit(e, EV_UNBLOCKED, ACTOR_BROKER, 0, 0, 0, NULL,
		    "publishing resumes");
		break;
	default:
		break;
	}
	return 0;
}

/* One frame for consumer ci. Returns -1 if the connection ended. */
static int
lv_consumer_frame(struct engine *e, int ci, amqp_frame_t *f)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct lv_client *cl = &c->cl;

	if (f->frame_type == AMQP_FRAME_HEADER &&
	    cl->content == CONTENT_DELIVER) {
		cl->body_left = f->payload.properties.body_size;
		lv_consumer_delivered(e, ci, f->payload.properties.decoded);
		if (cl->body_left == 0)
			cl->content = CONTENT_NONE;
		return 0;
	}
	if (f->frame_type == AMQP_FRAME_BODY && cl->content) {
		size_t n = f->payload.body_fragment.len;
		cl->body_left = cl->body_left > n ? cl->body_left - n : 0;
		if (cl->body_left == 0)
			cl->content = CONTENT_NONE;
		return 0;
	}
	if (f->frame_type != AMQP_FRAME_METHOD)
		return 0;
	switch (f->payload.method.id) {
	case AMQP_BASIC_CANCEL_OK_METHOD:
		c->cancel_ok = 1;
		break;
	case AMQP_BASIC_CONSUME_OK_METHOD:
		c->consume_ok = 1;
		break;
	case AMQP_BASIC_DELIVER_METHOD: {
		amqp_basic_deliver_t *d = f->payload.method.decoded;
		cl->content = CONTENT_DELIVER;
		cl->tag = d->delivery_tag;
		cl->redelivered = d->redelivered;
		break;
	}
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD: {
		char text[256], clean[256];
		int code;
		live_conn_reply(&f->payload.method, &code, text, sizeof text);
		lv_unprefix(e, text, clean, sizeof clean);
		if (f->payload.method.id == AMQP_CHANNEL_CLOSE_METHOD)
			lv_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, 0, code, 0,
			    a->spec->name, clean);
		lv_consumer_lost(e, ci, code, 0, clean);
		return -1;
	}
	default:
		break;
	}
	return 0;
}

/* ---- consumers ------------------------------------------------------------ */

/* The broker puts the connection's unacked copies back (oldest first). */
static void
lv_requeue_unacked(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];

	c->requeued = 1;
	broker_requeue_unacked(&e->base.b, ci);
}

static void
lv_consumer_connect(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];

	if (a->connected || a->connecting || !a->wanted)
		return;
	a->connecting = 1;
	c->requeued = 0;
	if (lv_client_open(e, &c->cl) != 0) {
		char why[200];
		live_conn_explain(&c->cl.conn, why, sizeof why);
		a->connecting = 0;
		lv_emit(e, EV_CONNECT_FAIL, ACTOR_CONSUMER, 0, -9, 1,
		    a->spec->name, e->base.b.up ? why : "broker down");
		client_consumer_arm_recovery(&e->base.app, ci);
	}
}

/* The consumer's connection is up: channel, topology, qos, consume. */
static void
lv_consumer_up(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct lv_client *cl = &c->cl;
	amqp_basic_consume_t bc;
	char detail[64];
	int64_t prefetch = e->base.toggles[TOGGLE_PREFETCH];

	a->connecting = 0;
	if (!a->wanted) {
		lv_client_drop(cl, 1);
		return;
	}
	a->connected = 1;
	e->base.b.subs[ci].ack_mode = (int)e->base.toggles[TOGGLE_ACK_MODE];
	lv_emit(e, EV_CONNECT, ACTOR_CONSUMER, 0, 0, 1, a->spec->name, NULL);
	if (lv_channel_open(cl, 1) != 0 || lv_redeclare(e, cl) != 0)
		goto dead;
	if (e->base.b.subs[ci].ack_mode != ACK_NONE) {
		amqp_basic_qos_t qos;
		memset(&qos, 0, sizeof qos);
		qos.prefetch_count = (uint16_t)prefetch;
		if (lv_send(cl, CMD_OTHER, 0, 0, AMQP_BASIC_QOS_METHOD, &qos))
			goto dead;
	}
	snprintf(c->ctag, sizeof c->ctag, "%s%s.%" PRIu32, e->prefix,
	    a->spec->name, a->gen);
	memset(&bc, 0, sizeof bc);
	bc.queue = amqp_cstring_bytes(e->qr[a->queue].rname);
	bc.consumer_tag = amqp_cstring_bytes(c->ctag);
	bc.no_ack = e->base.b.subs[ci].ack_mode == ACK_NONE;
	bc.arguments = amqp_empty_table;
	c->consume_ok = 0;
	if (lv_send(cl, CMD_CONSUME, 0, 0, AMQP_BASIC_CONSUME_METHOD, &bc))
		goto dead;
	snprintf(detail, sizeof detail, "no-ack=%d prefetch=%" PRId64,
	    e->base.b.subs[ci].ack_mode == ACK_NONE, prefetch);
	lv_emit(e, EV_CONSUME, ACTOR_CONSUMER, 0, 0, 0, broker_qname(&e->base.b, a->queue),
	    detail);
	return;
dead:
	lv_consumer_lost(e, ci, cl->conn.status, 0, NULL);
}

static int lv_run_until(struct engine *e, int (*done)(struct engine *),
    int64_t max_us);

static int
lv_consumed(struct engine *e)
{
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->base.app.cons[i].connected && !e->consumers[i].consume_ok)
			return 0;
	return 1;
}

/*
 * Re-consumes in a new ack mode (the container cancels and consumes), and
 * waits for the broker to confirm: a publish on the producer's connection
 * must not reach the queue while the old subscription still takes it.
 */
static void
lv_consumer_reconsume(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct lv_client *cl = &c->cl;
	amqp_basic_cancel_t bx;
	amqp_basic_consume_t bc;
	char detail[64];

	memset(&bx, 0, sizeof bx);
	bx.consumer_tag = amqp_cstring_bytes(c->ctag);
	if (lv_send(cl, CMD_CANCEL, 0, 0, AMQP_BASIC_CANCEL_METHOD, &bx))
		goto dead;
	/* Deliveries in flight to the old subscription keep its mode. */
	memcpy(c->prev_ctag, c->ctag, sizeof c->prev_ctag);
	c->prev_ack_mode = e->base.b.subs[ci].ack_mode;
	e->base.b.subs[ci].ack_mode = (int)e->base.toggles[TOGGLE_ACK_MODE];
	if (e->base.b.subs[ci].ack_mode != ACK_NONE) {
		amqp_basic_qos_t qos;
		memset(&qos, 0, sizeof qos);
		qos.prefetch_count = (uint16_t)e->base.toggles[TOGGLE_PREFETCH];
		if (lv_send(cl, CMD_OTHER, 0, 0, AMQP_BASIC_QOS_METHOD, &qos))
			goto dead;
	}
	snprintf(c->ctag, sizeof c->ctag, "%s%s.%" PRIu32 ".%" PRIu64,
	    e->prefix, a->spec->name, a->gen, (uint64_t)e->base.b.events);
	memset(&bc, 0, sizeof bc);
	bc.queue = amqp_cstring_bytes(e->qr[a->queue].rname);
	bc.consumer_tag = amqp_cstring_bytes(c->ctag);
	bc.no_ack = e->base.b.subs[ci].ack_mode == ACK_NONE;
	bc.arguments = amqp_empty_table;
	c->consume_ok = 0;
	if (lv_send(cl, CMD_CONSUME, 0, 0, AMQP_BASIC_CONSUME_METHOD, &bc))
		goto dead;
	snprintf(detail, sizeof detail, "no-ack=%d prefetch=%" PRId64,
	    e->base.b.subs[ci].ack_mode == ACK_NONE, e->base.toggles[TOGGLE_PREFETCH]);
	lv_emit(e, EV_CONSUME, ACTOR_CONSUMER, 0, 0, 0, broker_qname(&e->base.b, a->queue),
	    detail);
	lv_run_until(e, lv_consumed, 2000000);
	return;
dead:
	lv_consumer_lost(e, ci, cl->conn.status, 0, NULL);
}

/*
 * A delivery's header reached the client: the message is in its hands now.
 * The relay reported it already (lv_relay_delivered); it waits in transit.
 */
static void
lv_consumer_delivered(struct engine *e, int ci,
    const amqp_basic_properties_t *props)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct broker_msg m;
	uint32_t msgid, id = lv_message_id(props, &msgid);
	const amqp_field_value_t *dc = lv_header(props, "x-delivery-count");
	char detail[48];
	const char *dp = NULL;
	size_t i;

	if (id == 0)
		return; /* not one of ours */
	for (i = 0; i < c->transit.len; i++)
		if (broker_ring_at(&c->transit, i)->tag == (uint32_t)c->cl.tag)
			break;
	if (i < c->transit.len) {
		m = broker_ring_take(&c->transit, i);
		broker_ring_push(&a->buf, &m, 0);
		client_consumer_pump(&e->base.app, ci);
		return;
	}
	m = broker_take(&e->base.b, ci, id, msgid, (uint32_t)c->cl.tag,
	    e->base.b.subs[ci].ack_mode == ACK_NONE, c->cl.redelivered);
	if (dc && lv_field_int(dc) > 0) {
		snprintf(detail, sizeof detail, "x-delivery-count=%" PRId64,
		    lv_field_int(dc));
		dp = detail;
	}
	lv_emit(e, EV_DELIVER, ACTOR_QUEUE, id, 0, c->cl.redelivered,
	    a->spec->name, dp);
	broker_ring_push(&a->buf, &m, 0);
	client_consumer_pump(&e->base.app, ci);
}

/*
 * The consumer dies (crash=1) or loses its connection (crash=0; code 200:
 * stopped by the lab). Client side at once; the broker side (unacked copies
 * back to the queue) when the broker learns of it, through the relay.
 */
static void
lv_consumer_lost(struct engine *e, int ci, int code, int crash,
    const char *why)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	size_t keep = 0;

	client_consumer_lost(&e->base.app, ci, code, crash, why);
	if (crash || code == 200) {
		/* The process (or the container) closes its socket: what it
		 * wrote still reaches the broker, then the connection ends,
		 * now, as in the simulator. */
		lv_client_drop(&c->cl, code == 200);
		live_relay_flush(c->cl.relay, 200);
	} else {
		lv_client_drop(&c->cl, 0);
		live_relay_drop(c->cl.relay);
	}
	/* Sent by the broker, never read: gone with the connection. */
	while (c->transit.len) {
		struct broker_msg m = broker_ring_pop(&c->transit);
		if (m.noack)
			broker_drop(&e->base.b, m.id, LOSS_AUTOACK_CRASH, NOTICE_SILENT,
			    a->spec->name);
	}
	if (!crash && a->busy)
		keep = 1;
	while (a->buf.len > keep) {
		struct broker_msg m = *broker_ring_at(&a->buf, a->buf.len - 1);
		a->buf.len--;
		if (m.noack)
			broker_drop(&e->base.b, m.id, LOSS_AUTOACK_CRASH, NOTICE_SILENT,
			    a->spec->name);
	}
	if (keep == 0) {
		a->busy = 0;
		a->attempt = 0;
	}
	client_consumer_arm_recovery(&e->base.app, ci);
}

/* ---- admin connection ------------------------------------------------------ */

static void
lv_admin_close(struct engine *e)
{
	if (e->admin) {
		amqp_connection_close(e->admin, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(e->admin);
	}
	e->admin = NULL;
	e->admin_chan_open = 0;
}

/* Opens the admin connection (blocking, bounded). */
static int
lv_admin_open(struct engine *e, char **cause)
{
	amqp_socket_t *s;
	struct timeval tv = { 3, 0 }, rpc = { 10, 0 };
	amqp_rpc_reply_t r;
	int rc;
	char why[256];

	lv_admin_close(e);
	e->admin = amqp_new_connection();
	s = amqp_tcp_socket_new(e->admin);
	rc = s ? amqp_socket_open_noblock(s, e->target.host, e->target.port,
	    &tv) : AMQP_STATUS_NO_MEMORY;
	if (rc != AMQP_STATUS_OK) {
		live_conn_explain_status(rc, 0, NULL, why, sizeof why);
		goto fail;
	}
	amqp_set_handshake_timeout(e->admin, &tv);
	amqp_set_rpc_timeout(e->admin, &rpc);
	r = amqp_login(e->admin, e->target.vhost, 64, 131072, 0,
	    AMQP_SASL_METHOD_PLAIN, e->target.user, e->target.password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		int code = 0;
		char text[200] = "";
		if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
			live_conn_reply(&r.reply, &code, text, sizeof text);
		live_conn_explain_status(r.reply_type ==
		    AMQP_RESPONSE_LIBRARY_EXCEPTION ? r.library_error :
		    AMQP_STATUS_CONNECTION_CLOSED, code, text, why, sizeof why);
		goto fail;
	}
	e->admin_chan = 0;
	return 0;
fail:
	amqp_destroy_connection(e->admin);
	e->admin = NULL;
	if (cause)
		*cause = xasprintf("%s: %s", e->target.display, why);
	return -1;
}

/*
 * Checks the reply of an admin RPC: 0 if normal; else -1 with *cause (if
 * cause) and *code the AMQP reply code, the channel or connection reset.
 */
static int
lv_admin_check(struct engine *e, const char *what, int *code, char **cause)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(e->admin);
	char text[256] = "", clean[256], why[300];
	int c = 0;

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION) {
		live_conn_reply(&r.reply, &c, text, sizeof text);
		if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			amqp_channel_close_ok_t ok;
			memset(&ok, 0, sizeof ok);
			amqp_send_method(e->admin, e->admin_chan,
			    AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
			e->admin_chan_open = 0;
		} else
			lv_admin_close(e);
		lv_unprefix(e, text, clean, sizeof clean);
		snprintf(why, sizeof why, "%d %s", c, clean);
	} else {
		live_conn_explain_status(r.library_error, 0, NULL, why,
		    sizeof why);
		lv_admin_close(e);
	}
	if (code)
		*code = c;
	if (cause)
		*cause = xasprintf("%s: %s", what, why);
	return -1;
}

/* A usable admin channel; 0, or -1 with *cause. */
static int
lv_admin_ok(struct engine *e, char **cause)
{
	if (e->admin == NULL && lv_admin_open(e, cause) != 0)
		return -1;
	if (!e->admin_chan_open) {
		e->admin_chan = (amqp_channel_t)(e->admin_chan % 60 + 1);
		amqp_channel_open(e->admin, e->admin_chan);
		if (lv_admin_check(e, "channel.open", NULL, cause) != 0)
			return -1;
		e->admin_chan_open = 1;
	}
	return 0;
}

/* Declares one queue with its arguments (admin). */
static int
lv_admin_declare_queue(struct engine *e, size_t i, char **cause)
{
	struct broker_queue *q = &e->base.b.queues[i];
	amqp_table_entry_t args[8];
	amqp_table_t t;
	char *keep[2];
	int rc;

	if (lv_admin_ok(e, cause) != 0)
		return -1;
	t.entries = args;
	t.num_entries = lv_queue_args(e, q, args, keep);
	amqp_queue_declare(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[i].rname), 0, q->durable, 0, 0, t);
	free(keep[0]);
	free(keep[1]);
	rc = lv_admin_check(e, q->spec->name, NULL, cause);
	return rc;
}

static int
lv_admin_declare_exchange(struct engine *e, size_t i, char **cause)
{
	struct broker_exchange *x = &e->base.b.exchanges[i];

	if (lv_admin_ok(e, cause) != 0)
		return -1;
	amqp_exchange_declare(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->xr[i].rname),
	    amqp_cstring_bytes(lv_xtype(x->type)),
	    0, x->durable, 0, 0, amqp_empty_table);
	return lv_admin_check(e, x->name, NULL, cause);
}

static int
lv_admin_bind(struct engine *e, size_t i, char **cause)
{
	struct broker_binding *b = &e->base.b.bindings[i];
	amqp_table_entry_t args[17];
	amqp_table_t t;
	char *key = lv_real(e, e->base.b.keys[b->key]);
	int rc;

	if (lv_admin_ok(e, cause) != 0) {
		free(key);
		return -1;
	}
	t.entries = args;
	t.num_entries = lv_bind_args(b->spec, args);
	amqp_queue_bind(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[b->queue].rname),
	    amqp_cstring_bytes(e->xr[b->exchange].rname),
	    amqp_cstring_bytes(key), t);
	free(key);
	rc = lv_admin_check(e, "queue.bind", NULL, cause);
	return rc;
}

/*
 * The broker's depth of queue qi: *ready, and whether it exists. Returns 0,
 * or -1 if the broker could not be asked.
 */
static int
lv_admin_depth(struct engine *e, size_t qi, uint64_t *ready, int *exists)
{
	amqp_queue_declare_ok_t *ok;
	int code = 0;

	*ready = 0;
	*exists = 0;
	if (lv_admin_ok(e, NULL) != 0)
		return -1;
	ok = amqp_queue_declare(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[qi].rname), 1, 0, 0, 0,
	    amqp_empty_table);
	if (ok) {
		*ready = ok->message_count;
		*exists = 1;
		return 0;
	}
	if (lv_admin_check(e, "queue.declare", &code, NULL) != 0 && code == 404)
		return 0;
	return -1;
}

/* Deletes everything this engine declared (best effort). */
static void
lv_admin_cleanup(struct engine *e)
{
	if (lv_admin_ok(e, NULL) != 0)
		return;
	for (size_t i = 0; i < e->base.b.nqueues; i++) {
		amqp_queue_delete(e->admin, e->admin_chan,
		    amqp_cstring_bytes(e->qr[i].rname), 0, 0);
		if (lv_admin_check(e, "queue.delete", NULL, NULL) != 0 &&
		    lv_admin_ok(e, NULL) != 0)
			return;
		if (e->policy_set && e->policy_set[i] && live_broker_owned()) {
			char *name = xasprintf("%s%s", e->prefix,
			    e->base.b.queues[i].spec->name), *cause = NULL;
			live_broker_policy(e->target.vhost, name, NULL, NULL,
			    &cause);
			free(cause);
			free(name);
		}
	}
	for (size_t i = 0; i < e->base.b.nexchanges; i++) {
		amqp_exchange_delete(e->admin, e->admin_chan,
		    amqp_cstring_bytes(e->xr[i].rname), 0);
		if (lv_admin_check(e, "exchange.delete", NULL, NULL) != 0 &&
		    lv_admin_ok(e, NULL) != 0)
			return;
	}
}

/* ---- broker lifecycle ------------------------------------------------------ */

/* Whether a copy in queue q is sure to survive, sure to die, or unknown. */
enum { SURV_DIES, SURV_KEPT, SURV_UNKNOWN };

static int
lv_survival(struct engine *e, const struct broker_queue *q,
    const struct broker_msg *m)
{
	if (!q->durable)
		return SURV_DIES;
	if (q->type != QTYPE_QUORUM && !m->persistent)
		return SURV_DIES;
	if (broker_tally(&e->base.b, m->id)->confirmed)
		return SURV_KEPT;
	return SURV_UNKNOWN;
}

/* What surely died goes now; the rest waits for the read-back. */
static enum broker_fate
lv_fate(void *ctx, const struct broker_queue *q, const struct broker_msg *m)
{
	return lv_survival(ctx, q, m) == SURV_DIES ? BROKER_DIES : BROKER_KEEP;
}

/*
 * The broker went down (crash, or clean stop, which keeps exactly what a
 * crash keeps): what surely did not survive is lost now; copies whose fate
 * is unknown wait for the restart.
 */
static void
lv_broker_down(struct engine *e)
{
	e->crash_seq = e->base.b.next_seq;
	broker_survive(&e->base.b, lv_fate);
	engine_restart_later(e);
}

static int lv_redeclare_queue(struct engine *e, size_t qi, char **cause);

/*
 * Whether quorum queue qi, which reported no messages after a restart, came
 * back without its Raft member (declared too shortly before kill -9; the
 * node then logs "leader not known"). A purge of the (empty) queue needs its
 * leader: answered, the queue is sound; no answer within 4 s, it has none.
 */
static int
lv_admin_leaderless(struct engine *e, size_t qi)
{
	struct timeval probe = { 4, 0 }, rpc = { 10, 0 };
	int gone;

	if (lv_admin_ok(e, NULL) != 0)
		return 0;
	amqp_set_rpc_timeout(e->admin, &probe);
	amqp_queue_purge(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[qi].rname));
	gone = lv_admin_check(e, "queue.purge", NULL, NULL) != 0 &&
	    e->admin == NULL;
	if (e->admin)
		amqp_set_rpc_timeout(e->admin, &rpc);
	return gone;
}

/*
 * Quorum queue qi came back without its member: what it held before the
 * crash is lost, and the queue is deleted (the broker force-deletes it after
 * its own 5 s timeout) and declared again with its bindings, empty, as the
 * simulated engine does.
 */
static void
lv_leaderless_redeclare(struct engine *e, size_t qi)
{
	struct broker_queue *q = &e->base.b.queues[qi];
	struct broker_ring keep = { 0 };
	char *cause = NULL;

	while (q->ready.len) {
		struct broker_msg m = broker_ring_pop(&q->ready);
		if (m.seq > e->crash_seq)
			broker_ring_push(&keep, &m, 0);
		else
			broker_drop(&e->base.b, m.id, LOSS_BROKER_CRASH, NOTICE_SILENT,
			    broker_qname(&e->base.b, (int)qi));
	}
	lv_emit(e, EV_FAILURE, ACTOR_BROKER, 0, 0, 0, broker_qname(&e->base.b, (int)qi),
	    BROKER_QQ_LEADERLESS);
	if (lv_redeclare_queue(e, qi, &cause) != 0) {
		lv_emit(e, EV_FAILURE, ACTOR_BROKER, 0, 0, 0,
		    broker_qname(&e->base.b, (int)qi), cause);
		free(cause);
	}
	broker_ring_free(&q->ready);
	q->ready = keep;
}

/*
 * The node is back, and no client has reconnected yet: read each queue's
 * depth and decide what survived. Copies whose TTL ran out while the node
 * was down were expired by the broker as it recovered; of the rest, the
 * sure survivors (confirmed, or a clean stop's) and as many of the unknown
 * ones as the depth allows are kept, oldest first (a queue writes in
 * arrival order); the others are LOST(broker_crash).
 */
static void
lv_broker_recovered(struct engine *e)
{
	int64_t now = lv_now(e);

	for (size_t qi = 0; qi < e->base.b.nqueues; qi++) {
		struct broker_queue *q = &e->base.b.queues[qi];
		uint64_t depth = 0, sure = 0, unknown = 0, keep_unknown,
		    keep_sure;
		size_t due = 0, n;
		int exists = 0;
		struct broker_ring keep = { 0 }, expired = { 0 };

		if (!q->exists)
			continue;
		if (q->ready.len == 0) {
			/* An empty quorum queue may have lost its member. */
			if (q->type == QTYPE_QUORUM && lv_admin_depth(e, qi,
			    &depth, &exists) == 0 && exists && depth == 0 &&
			    lv_admin_leaderless(e, qi))
				lv_leaderless_redeclare(e, qi);
			continue;
		}
		/* Head of line: the broker expires from the head while due. */
		while (due < q->ready.len &&
		    broker_ring_at(&q->ready, due)->due <= now)
			due++;
		n = q->ready.len;
		for (size_t i = due; i < n; i++) {
			const struct broker_msg *m = broker_ring_at(&q->ready, i);
			if (m->seq > e->crash_seq)
				continue;
			if (lv_survival(e, q, m) == SURV_KEPT)
				sure++;
			else
				unknown++;
		}
		if (lv_admin_depth(e, qi, &depth, &exists) != 0)
			depth = sure + unknown;
		/* A quorum queue answers 0 until its leader is elected. */
		for (int tries = 0; q->type == QTYPE_QUORUM && tries < 25 &&
		    depth < sure + unknown; tries++) {
			struct timespec ts = { 0, 200000000L };
			nanosleep(&ts, NULL);
			if (lv_admin_depth(e, qi, &depth, &exists) != 0)
				depth = sure + unknown;
		}
		if (q->type == QTYPE_QUORUM && depth == 0 &&
		    lv_admin_leaderless(e, qi)) {
			lv_leaderless_redeclare(e, qi);
			continue;
		}
		if (depth < sure)
			lv_emit(e, EV_FAILURE, ACTOR_BROKER, 0, 0, 0,
			    broker_qname(&e->base.b, (int)qi), "the queue came back without "
			    "some of its confirmed messages");
		keep_unknown = depth > sure ? depth - sure : 0;
		keep_sure = depth < sure ? depth : sure;
		for (size_t i = 0; i < n; i++) {
			struct broker_msg m = broker_ring_pop(&q->ready);
			int surv = lv_survival(e, q, &m);

			if (m.seq > e->crash_seq)
				broker_ring_push(&keep, &m, 0);
			else if (i < due && surv == SURV_KEPT)
				broker_ring_push(&expired, &m, 0);
			else if (i < due)
				broker_drop(&e->base.b, m.id, LOSS_BROKER_CRASH,
				    NOTICE_SILENT, broker_qname(&e->base.b, (int)qi));
			else if (surv == SURV_KEPT && keep_sure) {
				keep_sure--;
				broker_ring_push(&keep, &m, 0);
			} else if (surv != SURV_KEPT && keep_unknown) {
				keep_unknown--;
				broker_ring_push(&keep, &m, 0);
			} else
				broker_drop(&e->base.b, m.id, LOSS_BROKER_CRASH,
				    NOTICE_SILENT, broker_qname(&e->base.b, (int)qi));
		}
		broker_ring_free(&q->ready);
		q->ready = keep;
		/* Expired while the node was down, as the broker did. */
		while (expired.len) {
			struct broker_msg m = broker_ring_pop(&expired);
			broker_expire_copy(&e->base.b, (int)qi, &m);
		}
		broker_ring_free(&expired);
	}
}

static void
lv_broker_started(struct engine *e)
{
	broker_up(&e->base.b);
	lv_broker_recovered(e);
	for (size_t qi = 0; qi < e->base.b.nqueues; qi++) {
		e->base.b.queues[qi].expiry_due = BROKER_NEVER;
		broker_expire(&e->base.b, (int)qi);
	}
	for (size_t ci = 0; ci < e->nconsumers; ci++)
		if (e->base.app.cons[ci].wanted && !e->base.app.cons[ci].recovery_armed)
			lv_consumer_connect(e, (int)ci);
	lv_producer_pump(e);
}

/* ---- the loop ------------------------------------------------------------ */

static void lv_step(struct engine *e, int64_t until_us);
static void lv_producer_sync(struct engine *e);

/* Runs the loop until `done` says so or `max_us` passed; returns 1 if done. */
static int
lv_run_until(struct engine *e, int (*done)(struct engine *), int64_t max_us)
{
	int64_t end = lv_now(e) + max_us;

	while (!done(e)) {
		int64_t now = lv_now(e);
		if (now >= end)
			return 0;
		lv_step(e, end);
	}
	return 1;
}

static int
lv_clients_down(struct engine *e)
{
	if (e->base.app.prod.connected || e->base.app.prod.connecting)
		return 0;
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->base.app.cons[i].connected || e->base.app.cons[i].connecting)
			return 0;
	return 1;
}

static int
lv_node_gone(struct engine *e)
{
	(void)e;
	return !live_broker_running();
}

static int
lv_node_ready(struct engine *e)
{
	struct timespec ts = { 0, 100000000L };

	if (lv_admin_open(e, NULL) == 0)
		return 1;
	nanosleep(&ts, NULL);
	return 0;
}

/* Starts the node again and waits (serving the loop) until it answers. */
static int
lv_broker_start(struct engine *e, char **cause)
{
	int64_t t0 = lv_now(e);

	if (live_broker_spawn(cause) != 0)
		return -1;
	live_broker_progress("restarting the RabbitMQ node %s",
	    live_broker_node());
	if (!lv_run_until(e, lv_node_ready, LV_BOOT_US)) {
		*cause = xasprintf("the RabbitMQ node %s did not come back "
		    "within %lld s", live_broker_node(),
		    (long long)(LV_BOOT_US / 1000000));
		return -1;
	}
	if (live_broker_started(cause) != 0)
		return -1;
	live_broker_progress("node %s back after %.1f s", live_broker_node(),
	    (double)(lv_now(e) - t0) / 1e6);
	lv_broker_started(e);
	return 0;
}

static void
lv_link_heal(struct engine *e, int who)
{
	if (who == 0) {
		e->prod.link = RELAY_OK;
		live_relay_set_mode(e->prod.cl.relay, RELAY_OK);
		lv_producer_pump(e);
	} else {
		e->consumers[who - 1].link = RELAY_OK;
		live_relay_set_mode(e->consumers[who - 1].cl.relay, RELAY_OK);
	}
}

static void
lv_fire(struct engine *e, const struct sched_timer *t)
{
	if (engine_timer(e, t))
		return;
	switch ((enum lv_timer)t->kind) {
	case T_SHARED:
		break; /* engine_timer's, run above */
	case T_LINK_HEAL:
		if (t->a == 0 ? t->gen == e->prod.link_gen :
		    t->gen == e->consumers[t->a - 1].link_gen)
			lv_link_heal(e, (int)t->a);
		break;
	}
}

/* Handshakes and incoming frames of one client. */
static void
lv_client_service(struct engine *e, int who)
{
	struct lv_client *cl = who == 0 ? &e->prod.cl :
	    &e->consumers[who - 1].cl;
	amqp_frame_t f;
	int rc, n = 0;

	if (cl->conn.state >= LC_TCP && cl->conn.state < LC_UP) {
		rc = live_conn_step(&cl->conn);
		if (rc < 0) {
			if (who == 0)
				lv_producer_connect_failed(e);
			else {
				struct client_consumer *a = &e->base.app.cons[who - 1];
				char why[200];
				live_conn_explain(&cl->conn, why, sizeof why);
				a->connecting = 0;
				live_relay_drop(cl->relay);
				lv_emit(e, EV_CONNECT_FAIL, ACTOR_CONSUMER, 0,
				    cl->conn.status ? cl->conn.status : -9, 1,
				    a->spec->name, e->base.b.up ? why :
				    "broker down");
				client_consumer_arm_recovery(&e->base.app, who - 1);
			}
			return;
		}
		if (rc == 0)
			return;
		e->activity_at = lv_now(e);
		if (who == 0)
			lv_producer_connected(e);
		else
			lv_consumer_up(e, who - 1);
	}
	/*
	 * Read only when poll() said so or bytes wait inside rabbitmq-c, and
	 * at least every 50 ms (rabbitmq-c sends and checks heartbeats while
	 * reading): each empty read costs two system calls.
	 */
	if (cl->conn.state == LC_UP && !cl->readable &&
	    !live_conn_pending(&cl->conn) && lv_now(e) - cl->read_at < 50000)
		return;
	cl->readable = 0;
	cl->read_at = lv_now(e);
	while (cl->conn.state == LC_UP && n++ < 4096) {
		if (n > 1 && !live_conn_pending(&cl->conn))
			break;
		rc = live_conn_next_frame(&cl->conn, &f);
		if (rc == 0)
			break;
		e->activity_at = lv_now(e);
		if (rc < 0) {
			char why[200];
			int code = cl->conn.status;
			live_conn_explain(&cl->conn, why, sizeof why);
			if (who == 0)
				lv_producer_lost(e, code,
				    code == AMQP_STATUS_HEARTBEAT_TIMEOUT &&
				    e->prod.link == RELAY_HOLE ?
				    LOSS_BLACKHOLE : !e->base.b.up ?
				    LOSS_BROKER_CRASH : LOSS_NETWORK, why);
			else
				lv_consumer_lost(e, who - 1, code, 0, why);
			return;
		}
		if (who == 0 && e->prod.fast_skip &&
		    f.frame_type == AMQP_FRAME_METHOD &&
		    (f.payload.method.id == AMQP_BASIC_ACK_METHOD ||
		    f.payload.method.id == AMQP_BASIC_NACK_METHOD)) {
			e->prod.fast_skip--; /* taken from the relay */
			rc = 0;
		} else if (who == 0)
			rc = lv_producer_frame(e, &f);
		else
			rc = lv_consumer_frame(e, who - 1, &f);
		if (rc < 0)
			return;
		if (cl->content == CONTENT_NONE)
			live_conn_release(&cl->conn);
	}
}

static int
lv_client_fd(const struct lv_client *cl)
{
	return cl->conn.state >= LC_TCP && cl->conn.state <= LC_UP ?
	    cl->conn.fd : -1;
}

/* Whether the producer has a publish it could write right now. */
static int
lv_producer_can_send(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int mode = (int)e->base.toggles[TOGGLE_CONFIRMS];

	if (!cp->connected || cp->out_len == 0 || cp->step_armed ||
	    p->want_write || p->blocked || p->link != RELAY_OK)
		return 0;
	if (cp->confirm_mode && cp->outstanding && (mode == CONFIRMS_EACH ||
	    (mode == CONFIRMS_BATCH &&
		cp->in_batch >= (uint32_t)e->base.toggles[TOGGLE_BATCH])))
		return 0;
	return client_outbox_head(&e->base.app)->not_before <= lv_now(e);
}

/*
 * Waiting for the confirm of a publish sent alone (wait for each), when the
 * last one came back within LV_SPIN_US: polls without sleeping, for up to
 * that long, and returns what poll() returned (fds' revents set), or 0 if
 * nothing came (or no spin was due): the caller then sleeps in poll().
 * On a busy or virtual machine, falling asleep and being woken adds tens
 * of microseconds to each round trip to the broker. A confirm that comes
 * later than that turns the spin off until one comes sooner.
 */
static int
lv_spin(struct engine *e, struct pollfd *fds, size_t nfds, int64_t wait_us)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int64_t end;
	int n;

	if (wait_us <= 0 || !cp->outstanding || !cp->confirm_mode ||
	    e->base.toggles[TOGGLE_CONFIRMS] != CONFIRMS_EACH ||
	    p->confirm_rtt < 0 || p->confirm_rtt >= e->spin_us ||
	    p->link != RELAY_OK)
		return 0;
	end = p->flushed_at + e->spin_us;
	if (end > lv_now(e) + wait_us)
		end = lv_now(e) + wait_us;
	while ((n = poll(fds, nfds, 0)) == 0 && lv_now(e) < end)
		;
	if (n == 0)
		p->confirm_rtt = -1;
	return n;
}

/*
 * One turn of the loop: serve the clients, fire due timers, then poll the
 * sockets until something happens, a timer is due, or `until_us`.
 */
static void
lv_step(struct engine *e, int64_t until_us)
{
	struct pollfd fds[256];
	size_t nfds = 0, relay_at[65], relay_n[65], client_at[65];
	int nrelays = 0;
	int64_t now, wait_us;
	const struct sched_timer *t;
	int busy = 0, ready;

	lv_client_service(e, 0);
	for (size_t i = 0; i < e->nconsumers; i++)
		lv_client_service(e, (int)i + 1);
	while ((t = sched_peek(&e->base.sched)) != NULL && t->due <= lv_now(e)) {
		struct sched_timer tm;
		sched_pop(&e->base.sched, &tm);
		lv_fire(e, &tm);
	}
	lv_producer_pump(e);
	/*
	 * Settling, the sync goes out in the turn the last publish did, not
	 * after a poll() that has nothing to wait for.
	 */
	if (e->settling)
		lv_producer_sync(e);
	/*
	 * What the producer just wrote is in the relay's socket already (on
	 * loopback): forward it now rather than after a poll() that would
	 * only report it.
	 */
	if (e->prod.wrote) {
		e->prod.wrote = 0;
		e->prod.injected = 0;
		live_relay_poke(e->prod.cl.relay);
	} else if (e->prod.injected) {
		e->prod.injected = 0;
		live_relay_settle(e->prod.cl.relay);
	}
	/* Descriptors: relays, then the clients' own sockets. */
	for (int who = 0; who <= (int)e->nconsumers && nfds < 200; who++) {
		struct lv_client *cl = who == 0 ? &e->prod.cl :
		    &e->consumers[who - 1].cl;
		int fd;

		relay_at[nrelays] = nfds;
		relay_n[nrelays] = live_relay_fds(cl->relay, fds + nfds, 8);
		nfds += relay_n[nrelays++];
		fd = lv_client_fd(cl);
		if (fd >= 0) {
			short ev = POLLIN;
			if (cl->conn.state == LC_TCP)
				ev = POLLOUT;
			else if (who == 0 && e->prod.want_write)
				ev |= POLLOUT;
			client_at[who] = nfds;
			fds[nfds++] = (struct pollfd){ fd, ev, 0 };
			if (live_conn_pending(&cl->conn))
				busy = 1;
		} else
			client_at[who] = SIZE_MAX;
	}
	if (lv_producer_can_send(e))
		busy = 1;
	now = lv_now(e);
	wait_us = until_us - now;
	t = sched_peek(&e->base.sched);
	if (t && t->due - now < wait_us)
		wait_us = t->due - now;
	if (wait_us > LV_POLL_MAX_MS * 1000)
		wait_us = LV_POLL_MAX_MS * 1000;
	if (wait_us < 0 || busy)
		wait_us = 0;
	ready = lv_spin(e, fds, nfds, wait_us);
	if (ready == 0)
		ready = poll(fds, nfds, (int)((wait_us + 999) / 1000));
	if (ready > 0)
		e->activity_at = lv_now(e);
	for (int who = 0; who <= (int)e->nconsumers && who < 64; who++) {
		struct lv_client *cl = who == 0 ? &e->prod.cl :
		    &e->consumers[who - 1].cl;
		if (client_at[who] != SIZE_MAX &&
		    fds[client_at[who]].revents & (POLLIN | POLLHUP | POLLERR))
			cl->readable = 1;
	}
	/*
	 * A relay that wrote to its client makes the client readable: the
	 * next turn reads it without a poll() to report it.
	 */
	for (int i = 0; i < nrelays; i++) {
		struct lv_client *cl = i == 0 ? &e->prod.cl :
		    &e->consumers[i - 1].cl;
		uint64_t down = live_relay_to_client(cl->relay);
		live_relay_run(cl->relay, fds + relay_at[i], relay_n[i]);
		if (live_relay_to_client(cl->relay) != down)
			cl->readable = 1;
	}
}

/* ---- quiet --------------------------------------------------------------- */

/* Whether a delivery to consumer c is still to come from queue q. */
static int
lv_delivery_due(struct engine *e, int ci)
{
	const struct client_consumer *a = &e->base.app.cons[ci];
	const struct broker_queue *q = &e->base.b.queues[a->queue];

	return a->connected && e->consumers[ci].link == RELAY_OK && e->base.b.up &&
	    q->ready.len && broker_sub_has_credit(&e->base.b, ci);
}

/*
 * After publishes without confirms, nothing tells the client when the
 * broker has routed them. A basic.qos on the same channel does: the broker
 * acts on a channel's frames in order, so its -ok comes after every earlier
 * publish was routed. Sent once things are otherwise quiet.
 */
static void
lv_producer_sync(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	amqp_basic_qos_t qos;

	if (!p->unsynced || p->syncing || !cp->connected || !cp->chan_open ||
	    p->link != RELAY_OK || cp->out_len || cp->outstanding ||
	    !live_conn_writable(&p->cl.conn))
		return;
	memset(&qos, 0, sizeof qos);
	if (lv_send(&p->cl, CMD_OTHER, 0, 0, AMQP_BASIC_QOS_METHOD, &qos) != 0)
		return;
	p->unsynced = 0;
	p->syncing = 1;
	p->wrote = 1;
}

static int
lv_quiet(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int64_t now = lv_now(e);

	if (!client_sched_idle(&e->base.app))
		return 0;
	if (cp->connecting || p->cl.conn.state == LC_TCP ||
	    (p->cl.conn.state > LC_TCP && p->cl.conn.state < LC_UP))
		return 0;
	if (p->link == RELAY_OK) {
		if (cp->out_len && !(p->blocked))
			return 0;
		if (cp->connected && (p->syncing || p->unsynced) &&
		    cp->chan_open)
			return 0;
		if (cp->outstanding && cp->connected)
			return 0;
		if (p->cl.ncmds && cp->connected)
			return 0;
		if (live_relay_busy(p->cl.relay))
			return 0;
	} else if (p->link == RELAY_HOLE && cp->connected &&
	    e->base.toggles[TOGGLE_HEARTBEAT] > 0)
		return 0; /* the heartbeat will notice */
	for (uint32_t id = 1; id <= e->base.app.next_id && id < e->base.b.tally_cap; id++)
		if (e->base.b.tally[id].returns_due && p->link == RELAY_OK)
			return 0;
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct lv_consumer *c = &e->consumers[i];
		struct client_consumer *a = &e->base.app.cons[i];
		if (a->connecting || a->busy || a->buf.len)
			return 0;
		if (c->link == RELAY_OK && (c->cl.ncmds ||
		    live_relay_busy(c->cl.relay)) && a->connected)
			return 0;
		if (c->link == RELAY_HOLE && a->connected &&
		    e->base.toggles[TOGGLE_HEARTBEAT] > 0)
			return 0;
		if (lv_delivery_due(e, (int)i))
			return 0;
	}
	return now - e->activity_at >= LV_GRACE_US;
}

/* ---- the applications' transport ------------------------------------------- */

/* Sends consumer ci's ack, nack or reject; a dead connection is lost. */
static int
lv_cl_settle(void *ctx, int ci, enum event_kind kind, uint32_t tag,
    int requeue)
{
	struct engine *e = ctx;
	struct lv_consumer *c = &e->consumers[ci];
	int rc;

	if (kind == EV_ACK) {
		amqp_basic_ack_t m;
		memset(&m, 0, sizeof m);
		m.delivery_tag = tag;
		rc = lv_send(&c->cl, CMD_ACK, tag, requeue,
		    AMQP_BASIC_ACK_METHOD, &m);
	} else if (kind == EV_NACK) {
		amqp_basic_nack_t m;
		memset(&m, 0, sizeof m);
		m.delivery_tag = tag;
		m.requeue = requeue & 1;
		rc = lv_send(&c->cl, CMD_NACK, tag, requeue,
		    AMQP_BASIC_NACK_METHOD, &m);
	} else {
		amqp_basic_reject_t m;
		memset(&m, 0, sizeof m);
		m.delivery_tag = tag;
		m.requeue = requeue & 1;
		rc = lv_send(&c->cl, CMD_REJECT, tag, requeue,
		    AMQP_BASIC_REJECT_METHOD, &m);
	}
	if (rc != 0) {
		lv_consumer_lost(e, ci, c->cl.conn.status, 0, NULL);
		return -1;
	}
	return 0;
}

static void
lv_cl_crash(void *ctx, int ci)
{
	lv_consumer_lost(ctx, ci, 0, 1, NULL);
}

static void
lv_cl_connect(void *ctx, int ci)
{
	lv_consumer_connect(ctx, ci);
}

/*
 * The republish recoverer's publish goes out on the consumer's channel;
 * the model has routed it already. Not a lab publish: the relay's report
 * of it is ignored.
 */
static void
lv_cl_republish(void *ctx, int ci, const struct broker_msg *m, int32_t x,
    uint32_t key)
{
	struct engine *e = ctx;
	struct lv_consumer *c = &e->consumers[ci];
	amqp_basic_properties_t props;
	amqp_table_entry_t hdr[2];
	char mid[48];

	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
	    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
	props.delivery_mode = m->persistent ? 2 : 1;
	lv_props_id(mid, sizeof mid, m->id, m->msgid);
	props.message_id = amqp_cstring_bytes(mid);
	hdr[0] = lv_entry_int(LV_ID_HEADER, m->id);
	hdr[1] = lv_entry_str("x-exception-message", "business exception");
	props.headers.entries = hdr;
	props.headers.num_entries = 2;
	lv_cmd_push(&c->cl, CMD_OTHER, AMQP_BASIC_PUBLISH_METHOD, 0, 0);
	amqp_basic_publish(c->cl.conn.st, c->cl.chan,
	    amqp_cstring_bytes(x < 0 ? "" : e->xr[x].rname),
	    amqp_cstring_bytes(lv_rkey(e, key)), 0, 0, &props,
	    amqp_cstring_bytes("payment"));
}

static void
lv_cl_pump(void *ctx)
{
	lv_producer_pump(ctx);
}

static int
lv_cl_hold(void *ctx)
{
	return lv_producer_hold(ctx);
}

static const struct client_ops lv_client_ops = {
	.settle = lv_cl_settle,
	.crash = lv_cl_crash,
	.connect = lv_cl_connect,
	.republish = lv_cl_republish,
	.pump = lv_cl_pump,
	.hold = lv_cl_hold,
};

static const struct engine_hooks lv_hooks;

/* ---- the engine's part of requests --------------------------------------- */

static int lv_refuse(char **cause, const struct engine *e, const char *what);
static void lv_queue_catch_up(struct engine *e, int qi);
static int lv_apply_policy(struct engine *e, int qi, char **cause);
static void lv_consumer_stop(struct engine *e, int ci);

static int
lv_hook_allowed(struct engine *e, const struct failure_req *req, char **cause)
{
	if ((req->kind == FAIL_BROKER_CRASH || req->kind == FAIL_BROKER_STOP) &&
	    !live_broker_owned())
		return lv_refuse(cause, e, engine_failure_name(req->kind));
	if ((req->kind == FAIL_QUEUE_FULL || req->kind == FAIL_MESSAGE_EXPIRY) &&
	    !live_broker_owned()) {
		*cause = xasprintf("%s: policies are set with rabbitmqctl, "
		    "which reaches only a node the lab started (not %s)",
		    engine_failure_name(req->kind), e->target.display);
		return -1;
	}
	return 0;
}

static int
lv_hook_link(struct engine *e, int who, int blackhole, int64_t ms, char **cause)
{
	enum live_relay_mode mode = blackhole ? RELAY_HOLE : RELAY_CUT;
	uint32_t *lgen;

	(void)cause;
	if (who == 0) {
		e->prod.link = mode;
		lgen = &e->prod.link_gen;
		if (mode == RELAY_CUT)
			e->prod.loss = LOSS_NETWORK;
		live_relay_set_mode(e->prod.cl.relay, mode);
		if (mode == RELAY_CUT)
			lv_producer_lost(e, -9, LOSS_NETWORK, NULL);
	} else {
		struct lv_consumer *c = &e->consumers[who - 1];
		struct client_consumer *a = &e->base.app.cons[who - 1];
		c->link = mode;
		lgen = &c->link_gen;
		live_relay_set_mode(c->cl.relay, mode);
		if (mode == RELAY_CUT && (a->connected || a->connecting)) {
			lv_consumer_lost(e, who - 1, -9, 0, NULL);
			lv_queue_catch_up(e, a->queue);
		}
	}
	++*lgen;
	if (ms > 0)
		sched_add(&e->base.sched, lv_now(e) + ms * 1000, T_LINK_HEAL, *lgen,
		    (uint32_t)who, 0);
	return 0;
}

static int
lv_hook_delete_exchange(struct engine *e, int x, char **cause)
{
	if (lv_admin_ok(e, cause) != 0)
		return -1;
	amqp_exchange_delete(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->xr[x].rname), 0);
	return lv_admin_check(e, "exchange.delete", NULL, cause);
}

static int
lv_hook_depth(struct engine *e, int qi, uint64_t *depth, char **cause)
{
	int exists = 0;

	if (lv_admin_depth(e, (size_t)qi, depth, &exists) != 0 || !exists) {
		*cause = xasprintf("queue_full: cannot read the depth of %s",
		    broker_qname(&e->base.b, qi));
		return -1;
	}
	return 0;
}

static int
lv_hook_queue_redeclared(struct engine *e, int qi, char **cause)
{
	return lv_redeclare_queue(e, (size_t)qi, cause);
}

/* Exchange x changed durability: deleted, declared again, bound again. */
static int
lv_hook_exchange_redeclared(struct engine *e, int x, char **cause)
{
	if (lv_admin_ok(e, cause) != 0)
		return -1;
	amqp_exchange_delete(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->xr[x].rname), 0);
	if (lv_admin_check(e, "exchange.delete", NULL, cause) != 0 ||
	    lv_admin_declare_exchange(e, (size_t)x, cause) != 0)
		return -1;
	for (size_t k = 0; k < e->base.b.nbindings; k++)
		if (e->base.b.bindings[k].exchange == x &&
		    lv_admin_bind(e, k, cause) != 0)
			return -1;
	return 0;
}

static void
lv_hook_start(struct engine *e, int ci)
{
	if (e->base.b.up)
		lv_consumer_connect(e, ci);
	else
		client_consumer_arm_recovery(&e->base.app, ci);
}

static void
lv_hook_stop(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];

	if (a->connected)
		lv_consumer_stop(e, ci);
	else if (a->connecting) {
		a->connecting = 0;
		a->gen++;
		lv_client_drop(&c->cl, 0);
		live_relay_drop(c->cl.relay);
	}
}

static int lv_hook_down(struct engine *e, int clean, char **cause);

/* The engine's own effects of a toggle (engine_op_set_toggle). */
static int
lv_hook_toggled(struct engine *e, enum toggle_id id, int64_t value, char **cause)
{
	(void)value;
	(void)cause;
	switch (id) {
	case TOGGLE_HEARTBEAT:
		/* Negotiated at connect: the producer reconnects when idle. */
		e->prod.reconnect = e->base.app.prod.connected;
		if (e->base.app.prod.connected && e->base.app.prod.outstanding == 0 &&
		    e->prod.sent_len == 0 && e->base.app.prod.out_len == 0) {
			/* As a toggle takes effect at once in the simulator. */
			lv_producer_recycle(e);
			lv_run_until(e, lv_producer_settled, 2000000);
		}
		break;
	case TOGGLE_ACK_MODE:
	case TOGGLE_PREFETCH:
		for (size_t i = 0; i < e->nconsumers; i++)
			if (e->base.app.cons[i].connected)
				lv_consumer_reconsume(e, (int)i);
		break;
	default:
		break;
	}
	return 0;
}

/* Stops (SIGTERM) or kills (-9) the node the lab owns, and waits. */
static int
lv_hook_down(struct engine *e, int clean, char **cause)
{
	lv_emit(e, clean ? EV_STOP : EV_CRASH, ACTOR_BROKER, 0, 0, 0,
	    NULL, NULL);
	e->prod.loss = LOSS_BROKER_CRASH;
	/* A handshake still under way just fails, as in the
	 * simulator, where such a client never was connected. */
	if (e->base.app.prod.connecting && !e->base.app.prod.connected) {
		e->base.app.prod.connecting = 0;
		lv_client_drop(&e->prod.cl, 0);
		live_relay_drop(e->prod.cl.relay);
	}
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct lv_consumer *cs = &e->consumers[i];
		struct client_consumer *a = &e->base.app.cons[i];
		if (a->connecting && !a->connected) {
			a->connecting = 0;
			a->gen++;
			lv_client_drop(&cs->cl, 0);
			live_relay_drop(cs->cl.relay);
			client_consumer_arm_recovery(&e->base.app, (int)i);
		}
	}
	lv_admin_close(e);
	if (clean) {
		/* SIGTERM: RabbitMQ closes every connection (320)
		 * while it shuts down; the clients read that below. */
		if (live_broker_term(cause) != 0)
			return -1;
	} else if (live_broker_kill(cause) != 0)
		return -1;
	broker_down(&e->base.b, clean);
	/* The clients notice through their sockets; their unacked
	 * copies go back before the survival rules apply. */
	lv_run_until(e, lv_clients_down, clean ? 30000000 : 2000000);
	if (!lv_clients_down(e)) {
		lv_producer_lost(e, -9, LOSS_BROKER_CRASH, NULL);
		for (size_t i = 0; i < e->nconsumers; i++)
			if (e->base.app.cons[i].connected ||
			    e->base.app.cons[i].connecting)
				lv_consumer_lost(e, (int)i, -9, 0, NULL);
	}
	lv_run_until(e, lv_node_gone, clean ? 30000000 : 2000000);
	if (live_broker_running() && live_broker_kill(cause) != 0)
		return -1;
	lv_broker_down(e);
	return 0;
}

/* ---- the engine interface ------------------------------------------------- */

static uint32_t lv_sessions;

static struct engine *
lv_create(const struct engine_opts *opts, char **cause)
{
	struct engine *e = xcalloc(1, sizeof *e);

	if (live_broker_resolve(opts->url, &e->target, cause) != 0) {
		free(e);
		return NULL;
	}
	e->t0_ns = lv_mono_ns();
	e->spin_us = LV_SPIN_US;
	engine_base_init(&e->base, opts, &lv_env_ops, &lv_client_ops, T_SHARED,
	    &lv_hooks);
	e->prod.loss = LOSS_NETWORK;
	snprintf(e->prefix, sizeof e->prefix, "rabbitlab.%lx%x.",
	    (unsigned long)getpid(), (unsigned)++lv_sessions);
	if (lv_admin_open(e, cause) != 0) {
		engine_base_free(&e->base);
		free(e);
		return NULL;
	}
	e->prod.cl.e = e;
	e->prod.cl.who = 0;
	live_conn_init(&e->prod.cl.conn, &e->target, "rabbitlab producer");
	e->prod.cl.relay = live_relay_new(e->target.host, e->target.port,
	    &lv_relay_ops, &e->prod.cl, cause);
	if (e->prod.cl.relay == NULL) {
		lv_admin_close(e);
		engine_base_free(&e->base);
		free(e);
		return NULL;
	}
	return e;
}

static void
lv_destroy(struct engine *e)
{
	if (e == NULL)
		return;
	lv_client_drop(&e->prod.cl, 1);
	for (size_t i = 0; i < e->nconsumers; i++)
		lv_client_drop(&e->consumers[i].cl, 1);
	if (e->base.declared) {
		if (!e->base.b.up && live_broker_owned() &&
		    !live_broker_running()) {
			char *cause = NULL;
			/* Leave the shared node as it was found: running. */
			if (lv_broker_start(e, &cause) != 0)
				free(cause);
		}
		if (e->base.b.up)
			lv_admin_cleanup(e);
	}
	lv_admin_close(e);
	live_relay_free(e->prod.cl.relay);
	free(e->prod.cl.cmds);
	for (size_t i = 0; i < e->base.b.nexchanges && e->xr; i++)
		free(e->xr[i].rname);
	free(e->xr);
	for (size_t i = 0; i < e->base.b.nqueues && e->qr; i++)
		free(e->qr[i].rname);
	free(e->qr);
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct lv_consumer *c = &e->consumers[i];
		broker_ring_free(&c->transit);
		live_relay_free(c->cl.relay);
		free(c->cl.cmds);
	}
	free(e->consumers);
	for (size_t i = 0; i < e->nrkeys; i++)
		free(e->rkeys[i]);
	free(e->rkeys);
	engine_base_free(&e->base);
	free(e->prod.sent);
	free(e->prod.wbuf);
	free(e->policy_set);
	free(e);
}

static int
lv_declare(struct engine *e, const struct topology *topo, char **cause)
{
	const struct topology *t;

	for (size_t i = 0; i < topo->nexchanges; i++)
		if (topo->exchanges[i].type == XTYPE_DELAYED) {
			*cause = xasprintf("exchange %s is x-delayed-message: "
			    "Debian's RabbitMQ 3.10.8 ships no delayed-message "
			    "plugin, so only the simulated engine can run it "
			    "(sim_only = true)", topo->exchanges[i].name);
			return -1;
		}
	if (engine_base_declare(&e->base, topo, cause) != 0)
		return -1;
	t = e->base.topo;
	e->xr = xcalloc(t->nexchanges + 1, sizeof *e->xr);
	for (size_t i = 0; i < t->nexchanges; i++)
		e->xr[i].rname = lv_real(e, t->exchanges[i].name);
	e->qr = xcalloc(t->nqueues + 1, sizeof *e->qr);
	e->policy_set = xcalloc(t->nqueues + 1, 1);
	for (size_t i = 0; i < t->nqueues; i++) {
		e->qr[i].rname = lv_real(e, t->queues[i].name);
		e->qr[i].real_ready = -1;
	}
	e->consumers = xcalloc(t->nconsumers + 1, sizeof *e->consumers);
	e->nconsumers = t->nconsumers;
	for (size_t i = 0; i < t->nconsumers; i++) {
		struct lv_consumer *c = &e->consumers[i];
		char name[96];
		c->cl.e = e;
		c->cl.who = (int)i + 1;
		snprintf(name, sizeof name, "rabbitlab consumer %s",
		    t->consumers[i].name);
		live_conn_init(&c->cl.conn, &e->target, name);
		c->cl.relay = live_relay_new(e->target.host, e->target.port,
		    &lv_relay_ops, &c->cl, cause);
		if (c->cl.relay == NULL)
			return -1;
	}
	broker_resolve(&e->base.b);
	/* The lab declares everything once, and sees the errors. */
	for (size_t i = 0; i < e->base.b.nexchanges; i++)
		if (lv_admin_declare_exchange(e, i, cause) != 0)
			return -1;
	for (size_t i = 0; i < e->base.b.nqueues; i++)
		if (lv_admin_declare_queue(e, i, cause) != 0)
			return -1;
	for (size_t i = 0; i < e->base.b.nbindings; i++)
		if (lv_admin_bind(e, i, cause) != 0)
			return -1;
	broker_redeclare(&e->base.b);
	/* The producer connects now, so the first publish is not slowed by
	 * the handshake (the simulated one costs 3 ms, a real one more). */
	e->base.app.prod.connecting = 1;
	if (lv_client_open(e, &e->prod.cl) != 0) {
		e->base.app.prod.connecting = 0;
		lv_client_drop(&e->prod.cl, 0);
	}
	return 0;
}

/* Deletes queue qi and declares it again with its new arguments. */
static int
lv_redeclare_queue(struct engine *e, size_t qi, char **cause)
{
	if (lv_admin_ok(e, cause) != 0)
		return -1;
	amqp_queue_delete(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[qi].rname), 0, 0);
	if (lv_admin_check(e, "queue.delete", NULL, cause) != 0)
		return -1;
	if (lv_admin_declare_queue(e, qi, cause) != 0)
		return -1;
	for (size_t i = 0; i < e->base.b.nbindings; i++)
		if (e->base.b.bindings[i].queue == (int)qi &&
		    e->base.b.exchanges[e->base.b.bindings[i].exchange].exists &&
		    lv_admin_bind(e, i, cause) != 0)
			return -1;
	return 0;
}

/*
 * After a consumer's connection went away on request (cut, stop), waits a
 * little for the broker to put its unacked messages back, so the next look
 * at the queue sees what the simulator shows at once. Bounded: 1 s.
 */
static void
lv_queue_catch_up(struct engine *e, int qi)
{
	int64_t end = lv_now(e) + 1000000;
	uint64_t ready = 0;
	int exists = 0;

	while (e->base.b.up && lv_now(e) < end) {
		struct timespec ts = { 0, 5000000L };
		if (lv_admin_depth(e, (size_t)qi, &ready, &exists) != 0 ||
		    !exists || ready >= e->base.b.queues[qi].ready.len)
			return;
		nanosleep(&ts, NULL);
	}
}

static int
lv_cancelled(struct engine *e)
{
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct lv_consumer *c = &e->consumers[i];
		struct client_consumer *a = &e->base.app.cons[i];
		if (a->connected && !a->wanted && !c->cancel_ok)
			return 0;
	}
	return 1;
}

/*
 * Stops a consumer as Spring's container does: basic.cancel, and once the
 * queue confirms (cancel-ok: no more deliveries), the connection closes and
 * the unacked messages go back.
 */
static void
lv_consumer_stop(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	amqp_basic_cancel_t bx;

	memset(&bx, 0, sizeof bx);
	bx.consumer_tag = amqp_cstring_bytes(c->ctag);
	c->cancel_ok = 0;
	if (lv_send(&c->cl, CMD_CANCEL, 0, 0, AMQP_BASIC_CANCEL_METHOD,
	    &bx) == 0)
		lv_run_until(e, lv_cancelled, 2000000);
	if (a->connected && !a->wanted) {
		lv_consumer_lost(e, ci, 200, 0, NULL);
		lv_queue_catch_up(e, a->queue);
	}
}

/* Sets the queue's lab policy: max-length and message-ttl as they stand. */
static int
lv_apply_policy(struct engine *e, int qi, char **cause)
{
	struct broker_queue *q = &e->base.b.queues[qi];
	char *name = xasprintf("%s%s", e->prefix, q->spec->name);
	char pattern[512], def[256];
	size_t n = 0;
	int rc;

	/* ^ + the real name with regex characters escaped + $ */
	pattern[n++] = '^';
	for (const char *s = e->qr[qi].rname; *s && n + 3 < sizeof pattern;
	    s++) {
		if (strchr(".^$*+?()[]{}|\\", *s))
			pattern[n++] = '\\';
		pattern[n++] = *s;
	}
	pattern[n++] = '$';
	pattern[n] = '\0';
	snprintf(def, sizeof def, "{");
	if (q->policy_max_length >= 0)
		snprintf(def + strlen(def), sizeof def - strlen(def),
		    "\"max-length\":%" PRId64 ",\"overflow\":\"%s\"",
		    q->policy_max_length, q->spec->overflow ==
		    OVERFLOW_REJECT_PUBLISH ? "reject-publish" : "drop-head");
	if (q->policy_ttl_ms >= 0)
		snprintf(def + strlen(def), sizeof def - strlen(def),
		    "%s\"message-ttl\":%" PRId64,
		    q->policy_max_length >= 0 ? "," : "", q->policy_ttl_ms);
	snprintf(def + strlen(def), sizeof def - strlen(def), "}");
	rc = live_broker_policy(e->target.vhost, name, pattern, def, cause);
	free(name);
	if (rc == 0)
		e->policy_set[qi] = 1;
	return rc;
}

static int
lv_refuse(char **cause, const struct engine *e, const char *what)
{
	*cause = xasprintf("%s: the lab did not start the broker at %s, so it "
	    "cannot %s it; leave RABBITLAB_URL and the config file unset to "
	    "let the lab run a private node", what, e->target.display,
	    strcmp(what, "broker_crash") == 0 ? "kill" : "stop");
	return -1;
}

static int
lv_inject(struct engine *e, const struct failure_req *req, char **cause)
{
	e->ops++;
	return engine_inject(e, req, cause);
}

static int
lv_restart(struct engine *e, char **cause)
{
	e->ops++;
	if (e->base.b.up)
		return 0;
	return lv_broker_start(e, cause);
}

static int
lv_advance(struct engine *e, int64_t us, char **cause)
{
	int64_t until;

	(void)cause;
	e->ops++;
	if (us < 0)
		us = 0;
	/*
	 * At least one pass: advance(0) services the sockets and timers. The
	 * producer syncs its channel when idle, so that quiet() can turn true
	 * for a caller that polls it between advances (the screen).
	 */
	until = lv_now(e) + us;
	do {
		lv_producer_sync(e);
		lv_step(e, until);
	} while (lv_now(e) < until);
	return 0;
}

static int
lv_settle(struct engine *e, int64_t max_us, char **cause)
{
	int64_t until = lv_now(e) + max_us;

	(void)cause;
	e->ops++;
	e->settling = 1;
	while (!lv_quiet(e) && lv_now(e) < until) {
		lv_producer_sync(e);
		lv_step(e, until);
	}
	e->settling = 0;
	return 0;
}

static int64_t
lv_now_op(struct engine *e)
{
	return lv_now(e);
}

static int64_t
lv_next_due(struct engine *e)
{
	const struct sched_timer *t = sched_peek(&e->base.sched);

	if (!lv_quiet(e)) {
		int64_t soon = lv_now(e) + 1000;
		return t && t->due < soon ? t->due : soon;
	}
	return t ? t->due : INT64_MAX;
}

static int
lv_quiet_op(struct engine *e)
{
	return lv_quiet(e);
}

/* Reads every queue's depth from the broker, if anything moved. */
static void
lv_refresh_depths(struct engine *e)
{
	int64_t now = lv_now(e);

	if (!e->base.b.up) {
		for (size_t i = 0; i < e->base.b.nqueues; i++) {
			e->qr[i].real_exists = 0;
			e->qr[i].real_ready = 0;
		}
		return;
	}
	/* Asked again with nothing done in between: the last answer. */
	if (e->real_dirty == e->base.b.events && e->real_ops == e->ops &&
	    now - e->real_at < 250000 && e->real_at)
		return;
	for (size_t i = 0; i < e->base.b.nqueues; i++) {
		uint64_t ready;
		int exists;
		struct broker_queue *q = &e->base.b.queues[i];
		struct lv_queue *r = &e->qr[i];
		if (lv_admin_depth(e, i, &ready, &exists) == 0) {
			r->real_ready = (int64_t)ready;
			r->real_exists = exists;
		} else {
			/* The broker cannot be asked: show the shadow. */
			r->real_ready = (int64_t)q->ready.len;
			r->real_exists = q->exists;
		}
	}
	e->real_at = lv_now(e);
	e->real_dirty = e->base.b.events;
	e->real_ops = e->ops;
}

static void
lv_view(struct engine *e, struct engine_view *v)
{
	lv_refresh_depths(e);
	engine_view_fill(e, v);
	/* Depths and existence as read from the real node. */
	for (size_t i = 0; i < e->base.b.nqueues; i++) {
		e->base.qviews[i].exists = e->qr[i].real_exists && e->base.b.up;
		e->base.qviews[i].ready = e->qr[i].real_ready > 0 ?
		    (uint64_t)e->qr[i].real_ready : 0;
	}
}

/* What engine.c asks of this engine. */
static const struct engine_hooks lv_hooks = {
	.allowed = lv_hook_allowed,
	.link = lv_hook_link,
	.delete_exchange = lv_hook_delete_exchange,
	.depth = lv_hook_depth,
	.policy = lv_apply_policy,
	.down = lv_hook_down,
	.queue_redeclared = lv_hook_queue_redeclared,
	.exchange_redeclared = lv_hook_exchange_redeclared,
	.start = lv_hook_start,
	.stop = lv_hook_stop,
	.pump = lv_producer_pump,
	.toggled = lv_hook_toggled,
	.restart = lv_restart,
};

const struct engine_ops engine_live_ops = {
	.name = "live",
	.caps = ENGINE_CAP_REAL_BROKER,
	.create = lv_create,
	.destroy = lv_destroy,
	.declare = lv_declare,
	.set_toggle = engine_op_set_toggle,
	.get_toggle = engine_op_get_toggle,
	.publish = engine_op_publish,
	.consume = engine_consume,
	.inject = lv_inject,
	.restart = lv_restart,
	.advance = lv_advance,
	.settle = lv_settle,
	.now = lv_now_op,
	.next_due = lv_next_due,
	.quiet = lv_quiet_op,
	.view = lv_view,
};

/* ---- benchmark ---------------------------------------------------------- */

static void
lvb_sink(void *ctx, const struct event *ev)
{
	ledger_apply(ctx, ev);
}

static double
lvb_clock(void)
{
	return (double)lv_mono_ns() / 1e9;
}

/* Whether every publish went out and the broker acted on it. */
static int
lvb_done(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	return cp->connected && cp->out_len == 0 && cp->outstanding == 0 &&
	    p->sent_len == 0 && !p->unsynced && !p->syncing;
}

/* Runs the loop as lv_settle does, until lvb_done. */
static void
lvb_run(struct engine *e)
{
	e->settling = 1;
	while (!lvb_done(e)) {
		lv_producer_sync(e);
		lv_step(e, lv_now(e) + 10000);
	}
	e->settling = 0;
}

/*
 * One timed run through the live engine (relay, events, ledger); returns
 * messages per second, or -1 with *cause.
 */
static double
lvb_lab(const char *url, int mode, int persistent, uint32_t n, int spin,
    char **cause)
{
	struct engine_opts o;
	struct topology t;
	struct topo_queue q;
	struct publish_req req;
	struct ledger *l = ledger_create();
	struct engine *e;
	double t0, secs;

	memset(&o, 0, sizeof o);
	o.sink = lvb_sink;
	o.sink_ctx = l;
	o.url = url;
	e = lv_create(&o, cause);
	if (e == NULL) {
		ledger_free(l);
		return -1;
	}
	if (!spin)
		e->spin_us = 0;
	memset(&t, 0, sizeof t);
	topology_queue_init(&q);
	q.name = (char *)"bench";
	q.durable = 1;
	q.type = QTYPE_CLASSIC;
	t.queues = &q;
	t.nqueues = 1;
	t.publish_exchange = (char *)"";
	t.publish_key = (char *)"bench";
	engine_op_set_toggle(e, TOGGLE_CONFIRMS, mode, cause);
	engine_op_set_toggle(e, TOGGLE_BATCH, 100, cause);
	engine_op_set_toggle(e, TOGGLE_PERSISTENT, persistent, cause);
	if (lv_declare(e, &t, cause) != 0) {
		lv_destroy(e);
		ledger_free(l);
		return -1;
	}
	memset(&req, 0, sizeof req);
	req.count = 1;
	req.expiration_ms = req.delay_ms = -1;
	req.persistent = -1;
	/* Warm up: the connection is open before the clock starts. */
	engine_op_publish(e, &req, cause);
	lvb_run(e);
	req.count = n;
	t0 = lvb_clock();
	engine_op_publish(e, &req, cause);
	lvb_run(e);
	secs = lvb_clock() - t0;
	lv_destroy(e);
	ledger_free(l);
	return n / secs;
}

/* Reads frames until the confirm for `upto` arrived; -1 on error. */
static int
lvb_wait_acks(amqp_connection_state_t c, uint64_t upto)
{
	amqp_frame_t f;

	for (;;) {
		if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK)
			return -1;
		if (f.frame_type == AMQP_FRAME_METHOD &&
		    f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
			amqp_basic_ack_t *a = f.payload.method.decoded;
			if (a->delivery_tag >= upto)
				return 0;
		}
		amqp_maybe_release_buffers(c);
	}
}

/*
 * The same publishes with a bare rabbitmq-c loop, straight to the broker.
 * With `same`, each carries what the lab's carries on the wire (lv_producer
 * _send): delivery mode, a message-id of the same form, the id header, and
 * mandatory; the broker then has the same work per message (it decodes the
 * headers of every publish, for CC/BCC). Without, delivery mode only and
 * no mandatory: the cheapest publish, for information.
 */
static double
lvb_bare(const struct live_target *t, const char *queue, int mode,
    int persistent, uint32_t n, int same, char **cause)
{
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(c);
	amqp_basic_properties_t props;
	amqp_table_entry_t hdr;
	char mid[48];
	struct timeval tv = { 5, 0 };
	double t0, secs;
	uint64_t seq = 0;

	if (s == NULL || amqp_socket_open_noblock(s, t->host, t->port, &tv) ||
	    amqp_login(c, t->vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
		t->user, t->password).reply_type != AMQP_RESPONSE_NORMAL) {
		*cause = xasprintf("%s: the bare client could not connect",
		    t->display);
		amqp_destroy_connection(c);
		return -1;
	}
	amqp_set_rpc_timeout(c, &tv);
	amqp_channel_open(c, 1);
	amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0,
	    amqp_empty_table);
	amqp_queue_purge(c, 1, amqp_cstring_bytes(queue));
	if (mode != CONFIRMS_OFF)
		amqp_confirm_select(c, 1);
	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	props.delivery_mode = persistent ? 2 : 1;
	t0 = lvb_clock();
	for (uint32_t i = 0; i < n; i++) {
		if (same) {
			props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
			    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
			lv_props_id(mid, sizeof mid, i + 2, i + 2);
			props.message_id = amqp_cstring_bytes(mid);
			hdr = lv_entry_int(LV_ID_HEADER, i + 2);
			props.headers.entries = &hdr;
			props.headers.num_entries = 1;
		}
		amqp_basic_publish(c, 1, amqp_empty_bytes,
		    amqp_cstring_bytes(queue), same, 0, &props,
		    amqp_cstring_bytes("payment"));
		seq++;
		if ((mode == CONFIRMS_EACH || (mode == CONFIRMS_BATCH &&
		    (seq % 100 == 0 || i + 1 == n))) &&
		    lvb_wait_acks(c, seq) != 0)
			break;
	}
	/* Without confirms: a round trip on the channel ends the run. */
	amqp_basic_qos(c, 1, 0, 0, 0);
	secs = lvb_clock() - t0;
	amqp_queue_delete(c, 1, amqp_cstring_bytes(queue), 0, 0);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return n / secs;
}

#define LVB_ROUNDS 3

static int
lvb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
live_bench(const char *url, struct live_bench_row rows[LIVE_BENCH_ROWS],
    char **cause)
{
	static const struct {
		const char *name;
		int mode;
		uint32_t n[2]; /* transient, persistent */
	} modes[3] = {
		{ "no confirms", CONFIRMS_OFF, { 20000, 10000 } },
		{ "batches of 100", CONFIRMS_BATCH, { 10000, 5000 } },
		{ "each", CONFIRMS_EACH, { 2000, 500 } },
	};
	struct live_target t;
	char queue[64];

	*cause = NULL;
	if (live_broker_resolve(url, &t, cause) != 0)
		return -1;
	snprintf(queue, sizeof queue, "rabbitlab.bench.%ld", (long)getpid());
	/* Three rounds, lab and bare alternating; the median of each. */
	for (int m = 0; m < 3; m++)
		for (int pers = 0; pers < 2; pers++) {
			struct live_bench_row *r = &rows[m * 2 + pers];
			double lab[LVB_ROUNDS], bare[LVB_ROUNDS], min[LVB_ROUNDS];
			double still[LVB_ROUNDS];
			r->mode = modes[m].name;
			r->persistent = pers;
			r->messages = modes[m].n[pers];
			for (int k = 0; k < LVB_ROUNDS; k++) {
				lab[k] = lvb_lab(url, modes[m].mode, pers,
				    r->messages, 1, cause);
				if (lab[k] < 0)
					return -1;
				still[k] = lvb_lab(url, modes[m].mode, pers,
				    r->messages, 0, cause);
				if (still[k] < 0)
					return -1;
				bare[k] = lvb_bare(&t, queue, modes[m].mode,
				    pers, r->messages, 1, cause);
				if (bare[k] < 0)
					return -1;
				min[k] = lvb_bare(&t, queue, modes[m].mode,
				    pers, r->messages, 0, cause);
				if (min[k] < 0)
					return -1;
			}
			qsort(lab, LVB_ROUNDS, sizeof lab[0], lvb_cmp);
			qsort(bare, LVB_ROUNDS, sizeof bare[0], lvb_cmp);
			qsort(min, LVB_ROUNDS, sizeof min[0], lvb_cmp);
			qsort(still, LVB_ROUNDS, sizeof still[0], lvb_cmp);
			r->lab_rate = lab[LVB_ROUNDS / 2];
			r->bare_rate = bare[LVB_ROUNDS / 2];
			r->bare_min_rate = min[LVB_ROUNDS / 2];
			r->lab_still_rate = still[LVB_ROUNDS / 2];
		}
	return 0;
}
