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
#include "engine/live_int.h"

#include <sys/resource.h>

static int lv_refuse(char **cause, const struct engine *e, const char *what);
static void lv_consumer_stop(struct engine *e, int ci);
static void lv_queue_catch_up(struct engine *e, int qi);

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
char *
lv_real(struct engine *e, const char *name)
{
	return xasprintf("%s%s", e->prefix, name);
}

/* The real spelling of interned key `key`: the session prefix added. */
const char *
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
void
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

/* ---- the engine's part of requests --------------------------------------- */

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

/*
 * Queue qi changed type or durability: deleted and declared again. The
 * broker cancels the consumers of the old queue (basic.cancel); Spring's
 * container consumes again, as the simulator's subscriptions carry on
 * (seed 317).
 */
static int
lv_hook_queue_redeclared(struct engine *e, int qi, char **cause)
{
	if (lv_redeclare_queue(e, (size_t)qi, cause) != 0)
		return -1;
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->base.app.cons[i].connected &&
		    e->base.app.cons[i].queue == qi)
			lv_consumer_reconsume(e, (int)i);
	return 0;
}

/* Exchange x changed durability: deleted, declared again, bound again to
 * the queues that exist (a queue gone in a crash is bound when declared). */
static int
lv_hook_exchange_redeclared(struct engine *e, int x, char **cause)
{
	if (lv_hook_delete_exchange(e, x, cause) != 0 ||
	    lv_admin_declare_exchange(e, (size_t)x, cause) != 0)
		return -1;
	for (size_t k = 0; k < e->base.b.nbindings; k++)
		if (e->base.b.bindings[k].exchange == x &&
		    e->base.b.queues[e->base.b.bindings[k].queue].exists &&
		    lv_admin_bind(e, k, cause) != 0)
			return -1;
	return 0;
}

static int
lv_caught_up(struct engine *e)
{
	const struct lv_consumer *c = &e->consumers[e->catch_up];

	return c->transit.len == 0 && !c->cl.readable &&
	    !live_conn_pending(&c->cl.conn);
}

/*
 * Reads what the relay already handed consumer ci (bounded: 1 s), so that
 * "its next message" means the same as on the simulator.
 */
static void
lv_hook_catch_up(struct engine *e, int ci)
{
	if (!e->base.app.cons[ci].connected)
		return;
	e->catch_up = ci;
	lv_run_until(e, lv_caught_up, 1000000);
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

/* The engine's own effects of a toggle (engine_set_toggle). */
static int
lv_hook_toggled(struct engine *e, enum toggle_id id, int64_t value, char **cause)
{
	(void)value;
	(void)cause;
	switch (id) {
	case TOGGLE_HEARTBEAT:
		/* Negotiated at connect: the producer reconnects when idle. */
		if (client_producer_recycle_due(&e->base.app) &&
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

struct engine *
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
	/* Random, not the pid: labs in other pid namespaces or on other
	 * machines share the broker (checked free in lv_declare). */
	if (live_session_prefix(e->prefix, sizeof e->prefix, cause) != 0 ||
	    lv_admin_open(e, cause) != 0) {
		engine_base_free(&e->base);
		free(e);
		return NULL;
	}
	lv_admin_sweep(e);
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

void
lv_destroy(struct engine *e)
{
	int cleaned = 0;

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
			cleaned = lv_admin_cleanup(e) == 0;
	}
	/* What could not be deleted stays recorded for the next start. */
	live_session_close(e->record, cleaned);
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
	free(e->pfds);
	free(e->relay_at);
	free(e);
}

/*
 * Each client holds its socket and its relay's three or four: raises the
 * soft limit on descriptors as far as the hard one allows for `clients`
 * clients, or says why it cannot.
 */
static int
lv_fd_room(size_t clients, char **cause)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)clients * 6 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
		return 0;
	*cause = xasprintf("%zu clients need about %llu file descriptors on "
	    "the live engine; this process may have %llu (ulimit -n)", clients,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return -1;
}

int
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
	if (lv_fd_room(topo->nconsumers + 1, cause) != 0 ||
	    engine_base_declare(&e->base, topo, cause) != 0)
		return -1;
	t = e->base.topo;
	/* Before any real name is spelt: they all carry the prefix. */
	if (lv_admin_claim_prefix(e, t, cause) != 0)
		return -1;
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
	lv_admin_record(e);
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
int
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

	c->cancel_ok = 0;
	if (lv_cancel(e, ci) == 0)
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
	int rc = live_broker_queue_policy(e->target.vhost, name,
	    e->qr[qi].rname, q->policy_max_length, q->spec->overflow ==
	    OVERFLOW_REJECT_PUBLISH, q->policy_ttl_ms, cause);

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

/*
 * Without confirms, how long the queues' depths must stay the same for a
 * settle to end. The producer's sync (basic.qos-ok) proves its channel has
 * handled every publish, but routing into a queue is the queue process's
 * own work after that: beside a CPU hog 89 of 4000 transient messages were
 * not yet in their queue when the sync came back. (With confirms, a
 * confirm already says the queue has the message; and asking a quorum
 * queue that lost its leader for its depth can take a minute.)
 */
#define LV_STEADY_US 20000

/*
 * Whether every queue's ready depth on the node is the same now and
 * LV_STEADY_US later (the loop keeps running meanwhile). 1 as well when
 * the broker is down or cannot be asked: nothing more will come in.
 */
static int
lv_depths_steady(struct engine *e, int64_t until)
{
	size_t n = e->base.b.nqueues;
	uint64_t *before = xcalloc(n + 1, sizeof *before), now_depth;
	int exists, steady = 1;
	int64_t at;

	for (size_t i = 0; steady && i < n; i++)
		if (!e->base.b.up ||
		    lv_admin_depth(e, i, &before[i], &exists) != 0)
			steady = -1;
	at = lv_now(e) + LV_STEADY_US;
	while (steady == 1 && lv_now(e) < at && lv_now(e) < until)
		lv_step(e, at < until ? at : until);
	for (size_t i = 0; steady == 1 && i < n; i++)
		if (lv_admin_depth(e, i, &now_depth, &exists) == 0 &&
		    now_depth != before[i])
			steady = 0;
	free(before);
	return steady != 0;
}

int
lv_settle(struct engine *e, int64_t max_us, char **cause)
{
	int64_t until = lv_now(e) + max_us;

	(void)cause;
	e->ops++;
	e->settling = 1;
	do {
		while (!lv_quiet(e) && lv_now(e) < until) {
			lv_producer_sync(e);
			lv_step(e, until);
		}
	} while (lv_now(e) < until &&
	    e->base.toggles[TOGGLE_CONFIRMS] == CONFIRMS_OFF &&
	    !lv_depths_steady(e, until));
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
const struct engine_hooks lv_hooks = {
	.allowed = lv_hook_allowed,
	.link = lv_hook_link,
	.delete_exchange = lv_hook_delete_exchange,
	.depth = lv_hook_depth,
	.policy = lv_apply_policy,
	.down = lv_hook_down,
	.queue_redeclared = lv_hook_queue_redeclared,
	.exchange_redeclared = lv_hook_exchange_redeclared,
	.catch_up = lv_hook_catch_up,
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
	.inject = lv_inject,
	.restart = lv_restart,
	.advance = lv_advance,
	.settle = lv_settle,
	.now = lv_now_op,
	.next_due = lv_next_due,
	.quiet = lv_quiet_op,
	.view = lv_view,
};
