/*
 * The live engine: the clients' connections: commands sent and remembered
 * for the relay, the topology declared as RabbitAdmin does, frames read,
 * the consumers, and the transport the client layer uses.
 */
#include "engine/live_int.h"

#include <assert.h>

static int lv_subscribe(struct engine *e, int ci);

/*
 * A body frame of the content being read (a return's or a delivery's):
 * counted off; returns 1 if f was one.
 */
static int
lv_content_body(struct lv_client *cl, const amqp_frame_t *f)
{
	size_t n;

	if (f->frame_type != AMQP_FRAME_BODY || !cl->content)
		return 0;
	n = f->payload.body_fragment.len;
	cl->body_left = cl->body_left > n ? cl->body_left - n : 0;
	if (cl->body_left == 0)
		cl->content = CONTENT_NONE;
	return 1;
}

/*
 * The content header of the `kind` of content being read: notes its body
 * size (the content ends here if the body is empty) and returns its
 * properties. NULL for any other frame.
 */
static const amqp_basic_properties_t *
lv_content_header(struct lv_client *cl, const amqp_frame_t *f, int kind)
{
	if (f->frame_type != AMQP_FRAME_HEADER || cl->content != kind)
		return NULL;
	cl->body_left = f->payload.properties.body_size;
	if (cl->body_left == 0)
		cl->content = CONTENT_NONE;
	return f->payload.properties.decoded;
}

static void lv_consumer_delivered(struct engine *e, int ci,
    const amqp_basic_properties_t *props);

/* ---- clients: sending ------------------------------------------------- */

void
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
int
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

amqp_table_entry_t
lv_entry_str(const char *k, const char *v)
{
	amqp_table_entry_t en;

	en.key = amqp_cstring_bytes(k);
	en.value.kind = AMQP_FIELD_KIND_UTF8;
	en.value.value.bytes = amqp_cstring_bytes(v);
	return en;
}

amqp_table_entry_t
lv_entry_int(const char *k, int64_t v)
{
	amqp_table_entry_t en;

	en.key = amqp_cstring_bytes(k);
	en.value.kind = AMQP_FIELD_KIND_I64;
	en.value.value.i64 = v;
	return en;
}

/*
 * Fills `args` (room for LV_QUEUE_ARGS) with a queue's arguments; strings go
 * to the caller's `keep` (freed after sending). Returns how many. On a
 * broker the lab did not start, x-expires is one of them (LV_QUEUE_EXPIRES_MS).
 */
int
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
	/* Not on the lab's own node: lessons there keep durable queues
	 * through crashes and stops, and compare with the simulator. */
	if (!live_broker_owned())
		args[n++] = lv_entry_int("x-expires", LV_QUEUE_EXPIRES_MS);
	assert(n <= LV_QUEUE_ARGS);
	return n;
}

const char *
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
amqp_table_t
lv_bind_args(const struct topo_binding *b)
{
	amqp_table_t t = { 0, NULL };

	if (b->nargs == 0)
		return t;
	t.entries = xmalloc((b->nargs + 1) * sizeof *t.entries);
	t.entries[t.num_entries++] = lv_entry_str("x-match", b->match_all ?
	    "all" : "any");
	for (size_t i = 0; i < b->nargs; i++)
		t.entries[t.num_entries++] = lv_entry_str(b->args[i].key,
		    b->args[i].value);
	return t;
}

/*
 * Redeclares the whole topology on a client's channel, as Spring's
 * RabbitAdmin does on every connect; replies are not waited for.
 */

int
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
		amqp_table_entry_t args[LV_QUEUE_ARGS];
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
		char *key = lv_real(e, e->base.b.keys[b->key]);
		int rc;

		memset(&d, 0, sizeof d);
		d.queue = amqp_cstring_bytes(e->qr[b->queue].rname);
		d.exchange = amqp_cstring_bytes(e->xr[b->exchange].rname);
		d.routing_key = amqp_cstring_bytes(key);
		d.arguments = lv_bind_args(b->spec);
		rc = lv_send(cl, CMD_BIND, (uint32_t)i, 0,
		    AMQP_QUEUE_BIND_METHOD, &d);
		free(d.arguments.entries);
		free(key);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
lv_channel_open(struct lv_client *cl, amqp_channel_t ch)
{
	amqp_channel_open_t o;

	memset(&o, 0, sizeof o);
	cl->chan = ch;
	return lv_send(cl, CMD_CHANNEL_OPEN, 0, 0, AMQP_CHANNEL_OPEN_METHOD, &o);
}

/* Starts a client connection through its relay. */
int
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
void
lv_client_drop(struct lv_client *cl, int graceful)
{
	if (graceful)
		live_conn_close(&cl->conn);
	else
		live_conn_abort(&cl->conn);
	cl->content = CONTENT_NONE;
}

/* ---- reading frames (producer and consumers) --------------------------- */

/* One frame for the producer. Returns -1 if the connection ended. */
int
lv_producer_frame(struct engine *e, amqp_frame_t *f)
{
	struct lv_producer *p = &e->prod;
	struct lv_client *cl = &p->cl;
	const amqp_basic_properties_t *props;

	if ((props = lv_content_header(cl, f, CONTENT_RETURN)) != NULL) {
		uint32_t msgid, id = lv_message_id(props, &msgid);

		if (id)
			lv_producer_return(e, id, cl->reply_code);
		return 0;
	}
	if (lv_content_body(cl, f) || f->frame_type != AMQP_FRAME_METHOD)
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
int
lv_consumer_frame(struct engine *e, int ci, amqp_frame_t *f)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct lv_client *cl = &c->cl;
	const amqp_basic_properties_t *props;

	if ((props = lv_content_header(cl, f, CONTENT_DELIVER)) != NULL) {
		lv_consumer_delivered(e, ci, props);
		return 0;
	}
	if (lv_content_body(cl, f) || f->frame_type != AMQP_FRAME_METHOD)
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
void
lv_requeue_unacked(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];

	c->requeued = 1;
	broker_requeue_unacked(&e->base.b, ci);
}

void
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
void
lv_consumer_up(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];
	struct lv_client *cl = &c->cl;

	a->connecting = 0;
	if (!a->wanted) {
		lv_client_drop(cl, 1);
		return;
	}
	a->connected = 1;
	lv_emit(e, EV_CONNECT, ACTOR_CONSUMER, 0, 0, 1, a->spec->name, NULL);
	if (lv_channel_open(cl, 1) != 0 || lv_redeclare(e, cl) != 0) {
		lv_consumer_lost(e, ci, cl->conn.status, 0, NULL);
		return;
	}
	snprintf(c->ctag, sizeof c->ctag, "%s%s.%" PRIu32, e->prefix,
	    a->spec->name, a->gen);
	lv_subscribe(e, ci);
}

/*
 * basic.qos (with an ack mode) and basic.consume with consumer tag ctag in
 * the ack mode the toggle says now; returns 0, or -1 when the connection
 * died on it (then lost).
 */
static int
lv_subscribe(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct lv_client *cl = &c->cl;
	int mode = (int)e->base.toggles[TOGGLE_ACK_MODE];
	amqp_basic_consume_t bc;

	if (mode != ACK_NONE) {
		amqp_basic_qos_t qos;
		memset(&qos, 0, sizeof qos);
		qos.prefetch_count =
		    (uint16_t)e->base.toggles[TOGGLE_PREFETCH];
		if (lv_send(cl, CMD_OTHER, 0, 0, AMQP_BASIC_QOS_METHOD, &qos))
			goto dead;
	}
	memset(&bc, 0, sizeof bc);
	bc.queue = amqp_cstring_bytes(e->qr[e->base.app.cons[ci].queue].rname);
	bc.consumer_tag = amqp_cstring_bytes(c->ctag);
	bc.no_ack = mode == ACK_NONE;
	bc.arguments = amqp_empty_table;
	c->consume_ok = 0;
	if (lv_send(cl, CMD_CONSUME, 0, 0, AMQP_BASIC_CONSUME_METHOD, &bc))
		goto dead;
	client_consumer_subscribe(&e->base.app, ci);
	return 0;
dead:
	lv_consumer_lost(e, ci, cl->conn.status, 0, NULL);
	return -1;
}

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
int
lv_cancel(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	amqp_basic_cancel_t bx;

	memset(&bx, 0, sizeof bx);
	bx.consumer_tag = amqp_cstring_bytes(c->ctag);
	return lv_send(&c->cl, CMD_CANCEL, 0, 0, AMQP_BASIC_CANCEL_METHOD, &bx);
}

void
lv_consumer_reconsume(struct engine *e, int ci)
{
	struct lv_consumer *c = &e->consumers[ci];
	struct client_consumer *a = &e->base.app.cons[ci];

	if (lv_cancel(e, ci) != 0) {
		lv_consumer_lost(e, ci, c->cl.conn.status, 0, NULL);
		return;
	}
	/* Deliveries in flight to the old subscription keep its mode. */
	memcpy(c->prev_ctag, c->ctag, sizeof c->prev_ctag);
	c->prev_ack_mode = e->base.b.subs[ci].ack_mode;
	snprintf(c->ctag, sizeof c->ctag, "%s%s.%" PRIu32 ".%" PRIu64,
	    e->prefix, a->spec->name, a->gen, (uint64_t)e->base.b.events);
	if (lv_subscribe(e, ci) == 0)
		lv_run_until(e, lv_consumed, 2000000);
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
void
lv_consumer_lost(struct engine *e, int ci, int code, int crash,
    const char *why)
{
	struct lv_consumer *c = &e->consumers[ci];

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
		client_consumer_undelivered(&e->base.app, ci, &m);
	}
	client_consumer_dropped(&e->base.app, ci, crash);
	client_consumer_arm_recovery(&e->base.app, ci);
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

const struct client_ops lv_client_ops = {
	.settle = lv_cl_settle,
	.crash = lv_cl_crash,
	.connect = lv_cl_connect,
	.republish = lv_cl_republish,
	.pump = lv_cl_pump,
	.hold = lv_cl_hold,
};
