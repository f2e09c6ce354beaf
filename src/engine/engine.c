/*
 * The engine registry and the failure table shared by both engines.
 */
#include "engine/engine.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rng.h"
#include "util/xmalloc.h"

static const struct {
	const char *name, *help;
} engine_failures[FAIL_COUNT] = {
#define FAILURE_ROW(id, name, help) [FAIL_##id] = { name, help },
	FAILURES(FAILURE_ROW)
#undef FAILURE_ROW
};

const char *
engine_failure_name(enum failure_kind kind)
{
	return (unsigned)kind < FAIL_COUNT ? engine_failures[kind].name : "?";
}

const char *
engine_failure_help(enum failure_kind kind)
{
	return (unsigned)kind < FAIL_COUNT ? engine_failures[kind].help : "?";
}

int
engine_failure_find(const char *name)
{
	for (int i = 0; i < FAIL_COUNT; i++)
		if (strcmp(engine_failures[i].name, name) == 0)
			return i;
	return -1;
}

const struct engine_ops *
engine_find(const char *name)
{
	if (strcmp(name, engine_sim_ops.name) == 0)
		return &engine_sim_ops;
	if (strcmp(name, engine_live_ops.name) == 0)
		return &engine_live_ops;
	return NULL;
}

struct engine_queue_view *
engine_queue_views(struct engine_queue_view *views, const struct broker *b,
    int64_t now)
{
	free(views);
	views = xcalloc(b->nqueues ? b->nqueues : 1, sizeof *views);
	for (size_t i = 0; i < b->nqueues; i++) {
		struct broker_queue *q = &b->queues[i];
		struct engine_queue_view *qv = &views[i];
		int64_t due = broker_head_due(q);

		qv->name = q->spec->name;
		qv->type = q->type;
		qv->durable = q->durable;
		qv->exists = q->exists && b->up;
		qv->ready = q->ready.len;
		qv->unacked = q->unacked;
		qv->max_length = broker_max_length(q);
		qv->ttl_ms = broker_ttl(q);
		qv->role = q->spec->role;
		qv->head_expires_in_us = due == BROKER_NEVER ? -1 :
		    due > now ? due - now : 0;
	}
	return views;
}

void
engine_chaos_draw(struct rng *rng, const char *consumer,
    struct failure_req *r)
{
	static const enum failure_kind kinds[] = {
		FAIL_CONNECTION_LOST, FAIL_CONNECTION_LOST, FAIL_BLACKHOLE,
		FAIL_BROKER_CRASH, FAIL_CONSUMER_CRASH_BEFORE,
		FAIL_CONSUMER_CRASH_AFTER, FAIL_CONSUMER_EXCEPTION,
	};
	const char *target;

	memset(r, 0, sizeof *r);
	r->kind = kinds[rng_below(rng, sizeof kinds / sizeof kinds[0])];
	target = rng_below(rng, 2) || consumer == NULL ? "producer" : consumer;
	switch (r->kind) {
	case FAIL_CONNECTION_LOST:
	case FAIL_BLACKHOLE:
		r->target = target;
		r->ms = 500 + (int64_t)rng_below(rng, 2500);
		break;
	case FAIL_CONSUMER_EXCEPTION:
		r->times = 1 + (int)rng_below(rng, 2);
		break;
	default:
		break;
	}
}

/* ---- requests, the same on both engines ------------------------------- */

int
engine_target_queue(const struct client *app, const char *target)
{
	if (target) {
		int q = broker_queue_find(app->b, target);
		if (q >= 0)
			return q;
		q = broker_sub_find(app->b, target);
		return q >= 0 ? app->cons[q].queue : -1;
	}
	if (app->ncons)
		return app->cons[0].queue;
	return app->b->nqueues ? 0 : -1;
}

int
engine_target_consumer(const struct client *app, const char *target)
{
	if (target && strcmp(target, "consumer") != 0)
		return broker_sub_find(app->b, target);
	return app->ncons ? 0 : -1;
}

int
engine_toggle(int64_t *toggles, struct broker *b, int declared,
    enum toggle_id id, int64_t value, char **cause)
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
	if (toggles[id] == value)
		return 0;
	toggles[id] = value;
	snprintf(detail, sizeof detail, "%s=%s", ti->name,
	    toggle_format(id, value, buf, sizeof buf));
	if (declared)
		broker_emit(b, EV_TOGGLE, ACTOR_LAB, 0, 0, 0, NULL, detail);
	return 1;
}

int
engine_durability(struct engine *e, char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	struct broker *b = &eb->b;
	const struct engine_hooks *h = eb->hooks;

	for (size_t i = 0; b->up && i < b->nqueues; i++) {
		struct broker_queue *q = &b->queues[i];
		int type = q->spec->type >= 0 ? q->spec->type :
		    (int)b->toggles[TOGGLE_QUEUE_TYPE];
		int durable = type == QTYPE_QUORUM ? 1 :
		    q->spec->durable >= 0 ? q->spec->durable :
		    (int)b->toggles[TOGGLE_DURABLE_QUEUE];
		if (!q->exists || (type == q->type && durable == q->durable))
			continue;
		broker_redeclare_queue(b, (int)i, type, durable);
		if (h->queue_redeclared &&
		    h->queue_redeclared(e, (int)i, cause) != 0)
			return -1;
	}
	for (size_t i = 0; i < b->nexchanges; i++) {
		struct broker_exchange *x = &b->exchanges[i];
		int durable = x->pinned_durable >= 0 ? x->pinned_durable :
		    (int)b->toggles[TOGGLE_DURABLE_EXCHANGE];
		int changed = b->up && x->exists && durable != x->durable;
		x->durable = durable;
		if (changed)
			broker_emit(b, EV_EXCHANGE_REDECLARED, ACTOR_BROKER, 0,
			    0, 0, x->name, durable ? "durable" : "transient");
		if (changed && h->exchange_redeclared &&
		    h->exchange_redeclared(e, (int)i, cause) != 0)
			return -1;
	}
	return 0;
}

/* Queues a publish request on the producer's outbox. 0, or -1 *cause. */
static int
engine_outbox_publish(struct client *app, int declared,
    const struct publish_req *req, char **cause)
{
	struct client_batch bt;
	const char *xn;

	if (!declared) {
		*cause = xstrdup("declare the topology first");
		return -1;
	}
	if (req->count == 0) {
		*cause = xstrdup("publish needs a count of at least 1");
		return -1;
	}
	xn = req->exchange ? req->exchange : app->topo->publish_exchange;
	memset(&bt, 0, sizeof bt);
	bt.left = req->count;
	bt.exchange = xn[0] == '\0' ? -2 : broker_exchange_find(app->b, xn);
	if (xn[0] && bt.exchange < 0)
		bt.exchange = -1;
	bt.xname = xstrdup(xn);
	bt.key = broker_intern(app->b, req->key ? req->key :
	    app->topo->publish_key);
	bt.persistent = req->persistent;
	bt.expiration = req->expiration_ms;
	bt.delay = req->delay_ms;
	bt.every_us = req->every_us;
	bt.headers = broker_headers(app->b, req->headers, req->nheaders);
	client_outbox_push(app, &bt, 0);
	return 0;
}

int
engine_consume(struct engine *e, const char *name, int on, char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	struct client *app = &eb->app;
	int only = -1;

	if (name) {
		only = broker_sub_find(app->b, name);
		if (only < 0) {
			*cause = xasprintf("no consumer called '%s'", name);
			return -1;
		}
	}
	for (size_t i = 0; i < app->ncons; i++) {
		struct client_consumer *a = &app->cons[i];
		if (only >= 0 && (int)i != only)
			continue;
		if (on && !a->wanted) {
			a->wanted = 1;
			eb->hooks->start(e, (int)i);
		} else if (!on && a->wanted) {
			a->wanted = 0;
			eb->hooks->stop(e, (int)i);
		}
	}
	return 0;
}

/* A queue policy failure: the lab's policy on queue qi, on the broker. */
static int
engine_policy(struct engine *e, int qi, const char *detail, char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	struct broker *b = &eb->b;

	if (eb->hooks->policy && eb->hooks->policy(e, qi, cause) != 0)
		return -1;
	broker_emit(b, EV_POLICY, ACTOR_BROKER, 0, 0, 0, broker_qname(b, qi),
	    detail);
	return 0;
}

/* queue_full and message_expiry on queue qi. */
static int
engine_inject_policy(struct engine *e, int qi, const struct failure_req *req,
    char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	const struct engine_hooks *h = eb->hooks;
	struct broker_queue *q = &eb->b.queues[qi];
	char detail[128];
	uint64_t depth = q->ready.len;

	if (req->kind == FAIL_QUEUE_FULL) {
		if (h->depth && h->depth(e, qi, &depth, cause) != 0)
			return -1;
		q->policy_max_length = (int64_t)depth;
		snprintf(detail, sizeof detail, "max-length=%" PRIu64, depth);
		return engine_policy(e, qi, detail, cause);
	}
	q->policy_ttl_ms = req->ms > 0 ? req->ms : 0;
	snprintf(detail, sizeof detail, "message-ttl=%" PRId64,
	    q->policy_ttl_ms);
	if (engine_policy(e, qi, detail, cause) != 0)
		return -1;
	q->expiry_due = BROKER_NEVER;
	if (eb->b.up)
		broker_expire(&eb->b, qi);
	return 0;
}

/* Arms consumer c for a crash or an exception on its next message. */
static void
engine_arm_consumer(struct client_consumer *c, const struct failure_req *req)
{
	if (req->kind == FAIL_CONSUMER_CRASH_BEFORE)
		c->crash_before = 1;
	else if (req->kind == FAIL_CONSUMER_CRASH_AFTER)
		c->crash_after = 1;
	else {
		c->exc_armed = 1;
		c->exc_times = req->times > 0 ?
		    (req->times > 32767 ? 32767 : req->times) : -1;
		c->exc_unreadable = req->unreadable ? 1 : 0;
	}
}

int
engine_inject(struct engine *e, const struct failure_req *req, char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	struct client *app = &eb->app;
	const struct engine_hooks *h = eb->hooks;
	struct broker *b = &eb->b;
	int q, c, x, who;

	if (app->topo == NULL) {
		*cause = xstrdup("declare the topology first");
		return -1;
	}
	if (h->allowed && h->allowed(e, req, cause) != 0)
		return -1;
	broker_emit(b, EV_FAILURE, ACTOR_LAB, 0, 0, 0, req->target,
	    engine_failure_name(req->kind));
	switch (req->kind) {
	case FAIL_CONNECTION_LOST:
	case FAIL_BLACKHOLE:
		who = 0;
		if (req->target && strcmp(req->target, "producer") != 0) {
			if ((c = engine_target_consumer(app, req->target)) < 0)
				goto bad_target;
			who = c + 1;
		}
		return h->link(e, who, req->kind == FAIL_BLACKHOLE, req->ms,
		    cause);
	case FAIL_MISSING_EXCHANGE:
		x = broker_exchange_find(b, req->target ? req->target :
		    app->topo->publish_exchange);
		if (x < 0) {
			*cause = xstrdup("missing_exchange: the producer "
			    "publishes to the default exchange, which cannot be "
			    "deleted");
			return -1;
		}
		if (h->delete_exchange && h->delete_exchange(e, x, cause))
			return -1;
		broker_delete_exchange(b, x, "exchange.delete");
		return 0;
	case FAIL_UNROUTABLE:
		app->prod.unroutable_left = req->times > 0 ? req->times : 1;
		return 0;
	case FAIL_QUEUE_FULL:
	case FAIL_MESSAGE_EXPIRY:
		if ((q = engine_target_queue(app, req->target)) < 0)
			goto bad_target;
		return engine_inject_policy(e, q, req, cause);
	case FAIL_BROKER_CRASH:
	case FAIL_BROKER_STOP:
		return b->up ? h->down(e, req->kind == FAIL_BROKER_STOP,
		    cause) : 0;
	case FAIL_CONSUMER_CRASH_BEFORE:
	case FAIL_CONSUMER_CRASH_AFTER:
	case FAIL_CONSUMER_EXCEPTION:
		/* The next message the consumer starts on is the one. */
		if ((c = engine_target_consumer(app, req->target)) < 0)
			goto bad_target;
		if (h->catch_up)
			h->catch_up(e, c);
		engine_arm_consumer(&app->cons[c], req);
		return 0;
	case FAIL_CHAOS: {
		int64_t span = (req->ms > 0 ? req->ms : 10000) * 1000;
		int n = req->times > 0 ? req->times : 5;
		for (int i = 0; i < n; i++)
			sched_add(&eb->sched, client_now(app) +
			    (int64_t)rng_below(&eb->rng, (uint64_t)span),
			    eb->timer_base + ENGINE_T_CHAOS, 0, 0, 0);
		return 0;
	}
	default:
		*cause = xstrdup("unknown failure");
		return -1;
	}
bad_target:
	*cause = xasprintf("%s: no such target '%s'",
	    engine_failure_name(req->kind), req->target ? req->target : "");
	return -1;
}

/* ---- the shared part of an engine ---------------------------------------- */

void
engine_base_init(struct engine_base *eb, const struct engine_opts *opts,
    const struct broker_env *env, const struct client_ops *ops,
    int timer_base, const struct engine_hooks *hooks)
{
	sched_init(&eb->sched);
	rng_seed(&eb->rng, opts->seed);
	toggle_defaults(eb->toggles);
	eb->sink = opts->sink;
	eb->sink_ctx = opts->sink_ctx;
	eb->hooks = hooks;
	eb->timer_base = timer_base;
	/* Events before declare (toggles) need the model's environment. */
	eb->b.env = *env;
	eb->b.env.ctx = eb;
	eb->b.env.sink = opts->sink;
	eb->b.env.sink_ctx = opts->sink_ctx;
	eb->b.env.sched = &eb->sched;
	eb->b.env.expiry_kind = timer_base + ENGINE_T_EXPIRY;
	eb->b.toggles = eb->toggles;
	eb->b.up = 1;
	client_init(&eb->app, &eb->b, eb->toggles, ops, eb);
	client_timers(&eb->app, &eb->sched, timer_base + ENGINE_T_CLIENT);
}

int
engine_base_declare(struct engine_base *eb, const struct topology *topo,
    char **cause)
{
	struct broker_env env = eb->b.env;

	if (eb->declared) {
		*cause = xstrdup("the topology is already declared");
		return -1;
	}
	eb->topo = topology_copy(topo);
	eb->declared = 1;
	if (broker_init(&eb->b, eb->topo, eb->toggles, &env, cause) != 0)
		return -1;
	client_declare(&eb->app);
	return 0;
}

void
engine_base_free(struct engine_base *eb)
{
	free(eb->qviews);
	free(eb->xviews);
	sched_free(&eb->sched);
	client_free(&eb->app);
	broker_free(&eb->b);
	topology_free(eb->topo);
}

int64_t
engine_get_toggle(struct engine *e, enum toggle_id id)
{
	struct engine_base *eb = (struct engine_base *)e;

	return (unsigned)id < TOGGLE_COUNT ? eb->toggles[id] : 0;
}

int
engine_set_toggle(struct engine *e, enum toggle_id id, int64_t value,
    char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;
	int rc = engine_toggle(eb->toggles, &eb->b, eb->declared, id, value,
	    cause);

	if (rc <= 0)
		return rc;
	switch (id) {
	case TOGGLE_DURABLE_EXCHANGE:
	case TOGGLE_DURABLE_QUEUE:
	case TOGGLE_QUEUE_TYPE:
		if (eb->declared &&
		    engine_durability(e, cause) != 0)
			return -1;
		break;
	case TOGGLE_HEARTBEAT:
		if (eb->declared)
			client_producer_renegotiate(&eb->app);
		break;
	case TOGGLE_RECONCILE:
	case TOGGLE_RECONCILE_MS:
		/* (Re)start the period from now. */
		client_reconcile_restart(&eb->app);
		break;
	default:
		break;
	}
	if (eb->declared && eb->hooks->toggled &&
	    eb->hooks->toggled(e, id, value, cause) != 0)
		return -1;
	eb->hooks->pump(e);
	return 0;
}

int
engine_publish(struct engine *e, const struct publish_req *req,
    char **cause)
{
	struct engine_base *eb = (struct engine_base *)e;

	if (engine_outbox_publish(&eb->app, eb->declared, req, cause) != 0)
		return -1;
	eb->hooks->pump(e);
	return 0;
}


/*
 * One failure of the capstone's chaos (a timer the chaos failure set):
 * drawn, caused, and a crashed broker restarted 2 s later unless the
 * restart toggle does it.
 */
static void
engine_chaos(struct engine *e)
{
	struct engine_base *eb = (struct engine_base *)e;
	const struct engine_hooks *h = eb->hooks;
	struct failure_req r;
	char *cause = NULL;

	engine_chaos_draw(&eb->rng, eb->app.ncons ?
	    eb->app.cons[0].spec->name : NULL, &r);
	/* A crash the broker is not up for, or the lab may not cause, is
	 * no failure at all. */
	if (r.kind == FAIL_BROKER_CRASH && (!eb->b.up ||
	    (h->allowed && h->allowed(e, &r, &cause) != 0))) {
		free(cause);
		return;
	}
	if (engine_inject(e, &r, &cause) != 0) {
		broker_emit(&eb->b, EV_FAILURE, ACTOR_LAB, 0, 0, 0, NULL, cause);
		free(cause);
		return;
	}
	if (r.kind == FAIL_BROKER_CRASH && eb->toggles[TOGGLE_RESTART_MS] == 0)
		sched_add(&eb->sched, client_now(&eb->app) + 2000000,
		    eb->timer_base + ENGINE_T_RESTART, eb->b.gen, 0, 0);
}

void
engine_restart_later(struct engine *e)
{
	struct engine_base *eb = (struct engine_base *)e;

	if (eb->toggles[TOGGLE_RESTART_MS])
		sched_add(&eb->sched, client_now(&eb->app) +
		    eb->toggles[TOGGLE_RESTART_MS] * 1000,
		    eb->timer_base + ENGINE_T_RESTART, eb->b.gen, 0, 0);
}

int
engine_timer(struct engine *e, const struct sched_timer *t)
{
	struct engine_base *eb = (struct engine_base *)e;
	char *cause = NULL;

	/* Below the base: the engine's own (most of the simulator's). */
	if (t->kind < eb->timer_base)
		return 0;
	if (client_timer(&eb->app, t) || broker_timer(&eb->b, t))
		return 1;
	if (t->kind == eb->timer_base + ENGINE_T_CHAOS) {
		engine_chaos(e);
		return 1;
	}
	if (t->kind != eb->timer_base + ENGINE_T_RESTART)
		return 0;
	if (t->gen == eb->b.gen && !eb->b.up &&
	    eb->hooks->restart(e, &cause) != 0) {
		broker_emit(&eb->b, EV_FAILURE, ACTOR_LAB, 0, 0, 0, NULL, cause);
		free(cause);
	}
	return 1;
}

void
engine_view_fill(struct engine *e, struct engine_view *v)
{
	struct engine_base *eb = (struct engine_base *)e;
	const struct client_producer *p = &eb->app.prod;
	int64_t now = client_now(&eb->app);

	memset(v, 0, sizeof *v);
	v->broker_up = eb->b.up;
	v->producer_connected = p->connected;
	v->producer_outstanding = p->outstanding;
	v->producer_pending = client_outbox_pending(&eb->app);
	v->producer_blocked_us = p->blocked_us;
	v->producer_attempt = p->attempt;
	v->producer_retry_in_us = p->step_armed && p->retry_due > now ?
	    p->retry_due - now : -1;
	eb->qviews = engine_queue_views(eb->qviews, &eb->b, now);
	v->queues = eb->qviews;
	v->nqueues = eb->b.nqueues;
	eb->xviews = xrealloc(eb->xviews, (eb->b.nexchanges + 1) *
	    sizeof *eb->xviews);
	for (size_t i = 0; i < eb->b.nexchanges; i++) {
		eb->xviews[i].name = eb->b.exchanges[i].name;
		eb->xviews[i].exists = eb->b.exchanges[i].exists;
		eb->xviews[i].bindings = 0;
	}
	for (size_t i = 0; i < eb->b.nbindings; i++) {
		const struct broker_binding *bd = &eb->b.bindings[i];
		if (bd->exists && eb->b.queues[bd->queue].exists)
			eb->xviews[bd->exchange].bindings++;
	}
	v->exchanges = eb->xviews;
	v->nexchanges = eb->b.nexchanges;
	for (size_t i = 0; i < eb->app.ncons; i++) {
		const struct client_consumer *c = &eb->app.cons[i];
		/* buf holds the one being worked on too: not counted twice. */
		assert(!c->busy || c->buf.len > 0);
		v->consumer_in_progress += (uint64_t)c->busy;
		v->consumer_buffered += c->buf.len - (c->busy ? 1 : 0);
		v->consumers_connected += c->connected;
	}
}
