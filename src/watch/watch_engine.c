/*
 * The watch as an engine (see watch_engine.h): a thin shell over the
 * watch, with the shared engine base only for the toggles the screen
 * reads (engine_get_toggle).
 */
#include "watch/watch_engine.h"

#include <stdlib.h>
#include <string.h>

#include "util/mono.h"
#include "util/xmalloc.h"
#include "watch/watch_decode.h"

#define WE_DEPTH_EVERY 1.0 /* s between asking the broker for depths */
#define WE_STEP_MS 20      /* the longest a proxy step waits */

struct engine {
	struct engine_base base;       /* first: the toggles live here */
	struct watch_ctl *w;           /* borrowed */
	double t0;                     /* mono seconds at creation */
	double depth_at;               /* when depths were last asked */
	struct engine_queue_view *qv;  /* the last view's queues */
	uint64_t *ready;               /* per seen queue, last asked */
	int *exists;
	size_t nq;                     /* entries in ready and exists */
};

static struct watch_ctl *we_armed;

void
watch_engine_arm(struct watch_ctl *w)
{
	we_armed = w;
}

/* The watch's events go to the screen's session, all but heartbeats:
 * a connection's heartbeats, both ways, would soon fill the event log
 * (--json still has them; a missed one shows as the connection lost). */
static void
we_emit(void *ctx, const struct event *ev)
{
	struct engine *e = ctx;
	size_t n = ev->detail ? strlen(ev->detail) : 0,
	    hl = strlen(WATCH_DECODE_HEARTBEAT);

	if (ev->kind == EV_FRAME && n >= hl &&
	    strcmp(ev->detail + n - hl, WATCH_DECODE_HEARTBEAT) == 0)
		return;
	if (e->base.sink)
		e->base.sink(e->base.sink_ctx, ev);
}

static void
we_pump(struct engine *e)
{
	(void)e;
}

static int
we_toggled(struct engine *e, enum toggle_id id, int64_t value, char **cause)
{
	(void)e;
	(void)value;
	*cause = xasprintf("%s: the application sets this itself; the lab "
	    "shows what its frames say", toggle_info(id)->name);
	return -1;
}

static const struct engine_hooks we_hooks = {
	.pump = we_pump,
	.toggled = we_toggled,
};

static struct engine *
we_create(const struct engine_opts *opts, char **cause)
{
	struct engine *e;

	if (we_armed == NULL) {
		*cause = xstrdup("the watch engine runs only under rabbitlab "
		    "watch");
		return NULL;
	}
	e = xcalloc(1, sizeof *e);
	e->w = we_armed;
	e->t0 = mono_seconds();
	e->depth_at = -WE_DEPTH_EVERY;
	toggle_defaults(e->base.toggles);
	e->base.sink = opts->sink;
	e->base.sink_ctx = opts->sink_ctx;
	e->base.hooks = &we_hooks;
	watch_track_set_emit(e->w->t, we_emit, e);
	return e;
}

static void
we_destroy(struct engine *e)
{
	watch_track_set_emit(e->w->t, NULL, NULL);
	free(e->qv);
	free(e->ready);
	free(e->exists);
	free(e);
}

static int
we_declare(struct engine *e, const struct topology *topo, char **cause)
{
	(void)e;
	(void)topo;
	(void)cause;
	return 0; /* the application declares its own */
}

static int
we_inject(struct engine *e, const struct failure_req *req, char **cause)
{
	(void)e;
	*cause = xasprintf("%s: while watching, failures go through the "
	    "watch's own keys", engine_failure_name(req->kind));
	return -1;
}

static int
we_restart(struct engine *e, char **cause)
{
	struct watch_fail_req r = { WATCH_FAIL_RESTART, NULL, -1 };
	char *done = NULL;
	int rc = watch_ctl_fail(e->w, &r, &done, cause);

	free(done);
	return rc;
}

/* Asks the broker how many messages each declared queue holds. */
static void
we_depths(struct engine *e)
{
	const struct topology *t = &watch_track_seen(e->w->t)->topo;

	if (mono_seconds() - e->depth_at < WE_DEPTH_EVERY)
		return;
	e->depth_at = mono_seconds();
	if (e->nq < t->nqueues) {
		e->ready = xrealloc(e->ready, t->nqueues * sizeof *e->ready);
		e->exists = xrealloc(e->exists, t->nqueues * sizeof *e->exists);
		for (size_t i = e->nq; i < t->nqueues; i++) {
			e->ready[i] = 0;
			e->exists[i] = 1;
		}
		e->nq = t->nqueues;
	}
	for (size_t i = 0; i < t->nqueues; i++)
		if (watch_ctl_depth(e->w, t->queues[i].name, &e->ready[i],
		    &e->exists[i]) != 0)
			break;
}

static int
we_advance(struct engine *e, int64_t us, char **cause)
{
	double end = mono_seconds() + (double)us / 1e6;

	(void)cause;
	do {
		double left = end - mono_seconds();
		int ms = left > 0 ? (int)(left * 1000) : 0;
		(void)watch_proxy_step(e->w->p, ms < WE_STEP_MS ? ms :
		    WE_STEP_MS);
	} while (mono_seconds() < end);
	watch_seen_toggles(watch_track_seen(e->w->t), e->base.toggles);
	we_depths(e);
	return 0;
}

static int
we_settle(struct engine *e, int64_t max_us, char **cause)
{
	(void)max_us;
	return we_advance(e, 0, cause);
}

static int64_t
we_now(struct engine *e)
{
	return (int64_t)((mono_seconds() - e->t0) * 1e6);
}

static int64_t
we_next_due(struct engine *e)
{
	(void)e;
	return INT64_MAX;
}

static int
we_quiet(struct engine *e)
{
	(void)e;
	return 1;
}

static void
we_view(struct engine *e, struct engine_view *v)
{
	struct watch_seen *s = watch_track_seen(e->w->t);
	const struct topology *t = &s->topo;

	memset(v, 0, sizeof *v);
	v->broker_up = !e->w->down;
	v->producer_retry_in_us = -1;
	for (size_t i = 0; i < s->nconns; i++) {
		if (!s->conns[i].open)
			continue;
		v->producer_connected |= s->conns[i].published > 0;
		v->consumers_connected += s->conns[i].consumes;
	}
	e->qv = xrealloc(e->qv, (t->nqueues + 1) * sizeof *e->qv);
	for (size_t i = 0; i < t->nqueues; i++) {
		struct engine_queue_view *q = &e->qv[i];
		const struct topo_queue *tq = &t->queues[i];
		memset(q, 0, sizeof *q);
		q->name = tq->name;
		q->type = tq->type < 0 ? QTYPE_CLASSIC : tq->type;
		q->durable = tq->durable == 1;
		/* A node that is down holds no queue: the screen says a
		 * durable one waits for it ("broker down") and a transient
		 * one is gone, where the last count asked would stay. */
		q->exists = !e->w->down && (i < e->nq ? e->exists[i] : 1);
		q->ready = i < e->nq ? e->ready[i] : 0;
		q->unacked = watch_proxy_unacked(e->w->p, tq->name);
		v->consumer_in_progress += q->unacked;
		q->max_length = tq->max_length;
		q->ttl_ms = tq->ttl_ms;
		q->head_expires_in_us = -1;
		q->role = (int)tq->role;
	}
	v->queues = e->qv;
	v->nqueues = t->nqueues;
}

const struct engine_ops engine_watch_ops = {
	.name = "watch",
	.caps = ENGINE_CAP_REAL_BROKER | ENGINE_CAP_WIRE_READ,
	.create = we_create,
	.destroy = we_destroy,
	.declare = we_declare,
	.inject = we_inject,
	.restart = we_restart,
	.advance = we_advance,
	.settle = we_settle,
	.now = we_now,
	.next_due = we_next_due,
	.quiet = we_quiet,
	.view = we_view,
};
