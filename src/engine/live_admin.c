/*
 * The live engine: the admin connection straight to the node: declares,
 * deletes, depths, cleanup; and on a broker the lab did not start, a
 * session prefix no one uses there, the record of what the session
 * declares and the sweep of what gone sessions left (live_session.h).
 */
#include "engine/live_int.h"

/* ---- admin connection ------------------------------------------------------ */

void
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
int
lv_admin_open(struct engine *e, char **cause)
{
	lv_admin_close(e);
	e->admin = live_conn_login(&e->target, cause);
	e->admin_chan = 0;
	return e->admin ? 0 : -1;
}

/*
 * Checks the reply of an admin RPC: 0 if normal; else -1 with *cause (if
 * cause) and *code the AMQP reply code, the channel or connection reset.
 */
int
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
		live_conn_explain_status(r.library_error, 0, NULL, NULL, why,
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
int
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
int
lv_admin_declare_queue(struct engine *e, size_t i, char **cause)
{
	struct broker_queue *q = &e->base.b.queues[i];
	amqp_table_entry_t args[LV_QUEUE_ARGS];
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

int
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

int
lv_admin_bind(struct engine *e, size_t i, char **cause)
{
	struct broker_binding *b = &e->base.b.bindings[i];
	amqp_table_t t;
	char *key = lv_real(e, e->base.b.keys[b->key]);
	int rc;

	if (lv_admin_ok(e, cause) != 0) {
		free(key);
		return -1;
	}
	t = lv_bind_args(b->spec);
	amqp_queue_bind(e->admin, e->admin_chan,
	    amqp_cstring_bytes(e->qr[b->queue].rname),
	    amqp_cstring_bytes(e->xr[b->exchange].rname),
	    amqp_cstring_bytes(key), t);
	free(t.entries);
	free(key);
	rc = lv_admin_check(e, "queue.bind", NULL, cause);
	return rc;
}

/*
 * The broker's depth of queue qi: *ready, and whether it exists. Returns 0,
 * or -1 if the broker could not be asked.
 */
int
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

int
lv_admin_cleanup(struct engine *e)
{
	int rc = 0;

	if (lv_admin_ok(e, NULL) != 0)
		return -1;
	for (size_t i = 0; i < e->base.b.nqueues; i++) {
		amqp_queue_delete(e->admin, e->admin_chan,
		    amqp_cstring_bytes(e->qr[i].rname), 0, 0);
		if (lv_admin_check(e, "queue.delete", NULL, NULL) != 0) {
			rc = -1;
			if (lv_admin_ok(e, NULL) != 0)
				return -1;
		}
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
		if (lv_admin_check(e, "exchange.delete", NULL, NULL) != 0) {
			rc = -1;
			if (lv_admin_ok(e, NULL) != 0)
				return -1;
		}
	}
	return rc;
}

/* ---- the session's names on a broker the lab did not start ---------------- */

/*
 * Whether queue (queue 1) or exchange `rname` exists: a passive declare.
 * 0 with *exists, or -1 with *cause when the broker could not say.
 */
static int
lv_admin_exists(struct engine *e, int queue, const char *rname, int *exists,
    char **cause)
{
	char *why = NULL;
	int code = 0;

	*exists = 0;
	if (lv_admin_ok(e, cause) != 0)
		return -1;
	if (queue)
		amqp_queue_declare(e->admin, e->admin_chan,
		    amqp_cstring_bytes(rname), 1, 0, 0, 0, amqp_empty_table);
	else
		amqp_exchange_declare(e->admin, e->admin_chan,
		    amqp_cstring_bytes(rname), amqp_cstring_bytes("direct"), 1, 0,
		    0, 0, amqp_empty_table);
	if (lv_admin_check(e, queue ? "queue.declare" : "exchange.declare",
	    &code, &why) == 0) {
		*exists = 1;
		return 0;
	}
	/* 404: free. 405: another connection's exclusive queue. */
	if (code == 404 || code == 405) {
		*exists = code == 405;
		free(why);
		return 0;
	}
	*cause = why;
	return -1;
}

int
lv_admin_claim_prefix(struct engine *e, const struct topology *t, char **cause)
{
	size_t n = t->nqueues + t->nexchanges;

	for (int draw = 0; draw < LV_PREFIX_DRAWS; draw++) {
		int taken = 0;
		if (draw > 0 &&
		    live_session_prefix(e->prefix, sizeof e->prefix, cause) != 0)
			return -1;
		for (size_t i = 0; i < n && !taken; i++) {
			int queue = i < t->nqueues;
			char *real = lv_real(e, queue ? t->queues[i].name :
			    t->exchanges[i - t->nqueues].name);
			int rc = lv_admin_exists(e, queue, real, &taken, cause);
			free(real);
			if (rc != 0)
				return -1;
		}
		if (!taken)
			return 0;
	}
	*cause = xasprintf("%s: %d random session prefixes were all in use",
	    e->target.display, LV_PREFIX_DRAWS);
	return -1;
}

/* Which broker a record is for (caller frees): no user, no password. */
static char *
lv_admin_broker_id(const struct engine *e)
{
	return xasprintf("%s:%d/%s", e->target.host, e->target.port,
	    e->target.vhost);
}

void
lv_admin_record(struct engine *e)
{
	char *broker, *cause = NULL;

	if (live_broker_owned())
		return;
	broker = lv_admin_broker_id(e);
	e->record = live_session_open(broker, e->prefix, &cause);
	free(broker);
	if (e->record == NULL) {
		live_broker_progress("no session record (%s): after a crash, "
		    "the broker deletes this session's queues a day later, "
		    "its exchanges never", cause);
		free(cause);
		return;
	}
	for (size_t i = 0; i < e->base.b.nexchanges; i++)
		live_session_add(e->record, LIVE_SESSION_EXCHANGE,
		    e->xr[i].rname);
	for (size_t i = 0; i < e->base.b.nqueues; i++)
		live_session_add(e->record, LIVE_SESSION_QUEUE, e->qr[i].rname);
}

/* live_session_drop_fn: queue.delete or exchange.delete on the admin channel. */
static int
lv_admin_drop(void *ctx, enum live_session_kind kind, const char *name)
{
	struct engine *e = ctx;

	if (lv_admin_ok(e, NULL) != 0)
		return -1;
	/* Both answer delete-ok for a name that is gone already. */
	if (kind == LIVE_SESSION_QUEUE)
		amqp_queue_delete(e->admin, e->admin_chan,
		    amqp_cstring_bytes(name), 0, 0);
	else
		amqp_exchange_delete(e->admin, e->admin_chan,
		    amqp_cstring_bytes(name), 0);
	return lv_admin_check(e, kind == LIVE_SESSION_QUEUE ? "queue.delete" :
	    "exchange.delete", NULL, NULL);
}

static int lv_admin_swept;     /* the sweep ran in this process */

void
lv_admin_sweep(struct engine *e)
{
	struct live_session_swept sw;
	char *broker;

	if (lv_admin_swept || live_broker_owned())
		return;
	lv_admin_swept = 1;
	broker = lv_admin_broker_id(e);
	live_session_sweep(broker, lv_admin_drop, e, &sw);
	free(broker);
	if (sw.queues + sw.exchanges > 0)
		live_broker_progress("removed what %zu gone lab session(s) "
		    "left on %s: %zu queue(s), %zu exchange(s)", sw.sessions,
		    e->target.display, sw.queues, sw.exchanges);
	if (sw.failed > 0)
		live_broker_progress("%zu names earlier sessions left on %s "
		    "could not be deleted; the next start tries again",
		    sw.failed, e->target.display);
}
