/*
 * The live engine: the shadow of the broker fed by the relays: commands as
 * they reach the node, deliveries and returns, and what a restart kept
 * (read back).
 */
#include "engine/live_int.h"

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

struct lv_sent
lv_sent_pop(struct lv_producer *p)
{
	struct lv_sent s = p->sent[p->sent_head];

	xring_shift(&p->sent_head, &p->sent_len, p->sent_cap);
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

	e->activity_at = lv_now(e);
	cl->pair_gen++;
	/* The relay cut a pair over a malformed frame: say which and why. */
	if (why == RELAY_END_MALFORMED)
		lv_emit(e, EV_FAILURE, ACTOR_LAB, 0, 0, 0, cl->who == 0 ?
		    "producer" : e->base.app.cons[cl->who - 1].spec->name,
		    live_relay_error(cl->relay));
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

/*
 * The broker sent a delivery to a consumer (the relay read it): that is
 * when it counts as delivered, as in the simulator, whether or not the
 * client lives to read it. The copy leaves the queue; with an ack mode it
 * is unacked until settled, with no-ack it is the consumer's alone.
 */
void
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
	if (cp->connected && !cp->reconnect)
		lv_producer_pump(cl->e);
}

const struct live_relay_ops lv_relay_ops = {
	.command = lv_relay_command,
	.closed = lv_relay_closed,
	.delivered = lv_relay_delivered,
	.confirm = lv_relay_confirm,
	.read_done = lv_relay_read_done,
};

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
void
lv_broker_down(struct engine *e)
{
	e->crash_seq = e->base.b.next_seq;
	broker_survive(&e->base.b, lv_fate);
	engine_restart_later(e);
}

/*
 * Whether quorum queue qi, which reported no messages after a restart, came
 * back without its Raft member (declared too shortly before kill -9; the
 * node then logs "leader not known"). A purge of the (empty) queue needs its
 * leader: answered, the queue is sound; no answer within 4 s, it has none.
 */
static int
lv_admin_leaderless(struct engine *e, size_t qi)
{
	struct timeval probe = { 4, 0 }, rpc = { LIVE_CONN_RPC_S, 0 };
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
	struct timeval slow = { 60, 0 }, rpc = { LIVE_CONN_RPC_S, 0 };
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
	/* The delete answers after the broker's own 5 s timeout; on a loaded
	 * machine (CI, an ASan build beside three nodes) it took over the
	 * usual 10 s, the declare never came, and the queue was gone. */
	if (lv_admin_ok(e, NULL) == 0)
		amqp_set_rpc_timeout(e->admin, &slow);
	if (lv_redeclare_queue(e, qi, &cause) != 0) {
		lv_emit(e, EV_FAILURE, ACTOR_BROKER, 0, 0, 0,
		    broker_qname(&e->base.b, (int)qi), cause);
		free(cause);
	}
	if (e->admin)
		amqp_set_rpc_timeout(e->admin, &rpc);
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
void
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

void
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
