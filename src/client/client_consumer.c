/*
 * The trade service's consumers (see client.h): Spring's listener
 * container around a listener that takes work_ms per message, with the
 * acknowledge mode, local retries (RetryTemplate), the recoverer that runs
 * when retries are used up (reject, requeue, or republish to an error
 * exchange), idempotency, and the crashes and exceptions a learner causes.
 */
#include "client/client.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void client_consumer_work_done(struct client *cl, int ci);
void client_consumer_retry(struct client *cl, int ci);

static void
client_cemit(struct client *cl, int ci, enum event_kind kind, uint32_t msg,
    int code, int flag, const char *detail)
{
	broker_emit(cl->b, kind, ACTOR_CONSUMER, msg, code, flag,
	    cl->cons[ci].spec->name, detail);
}

void
client_consumer_arm_recovery(struct client *cl, int ci)
{
	struct client_consumer *c = &cl->cons[ci];

	if (!c->wanted || c->recovery_armed)
		return;
	c->recovery_armed = 1;
	client_arm(cl, client_now(cl) +
	    cl->toggles[TOGGLE_RECOVERY_MS] * 1000, CLIENT_T_RECOVER, c->gen,
	    (uint32_t)ci, 0);
}

void
client_consumer_subscribe(struct client *cl, int ci)
{
	struct broker_sub *sub = &cl->b->subs[ci];
	char detail[64];

	sub->ack_mode = (int)cl->toggles[TOGGLE_ACK_MODE];
	snprintf(detail, sizeof detail, "no-ack=%d prefetch=%" PRId64,
	    sub->ack_mode == ACK_NONE, cl->toggles[TOGGLE_PREFETCH]);
	broker_emit(cl->b, EV_CONSUME, ACTOR_CONSUMER, 0, 0, 0,
	    broker_qname(cl->b, cl->cons[ci].queue), detail);
}

void
client_consumer_pump(struct client *cl, int ci)
{
	struct client_consumer *c = &cl->cons[ci];
	struct broker_msg *m;

	/* Left over from a lost connection: dropped by the client. */
	if (c->busy || c->buf.len == 0 || !c->connected)
		return;
	m = broker_ring_at(&c->buf, 0);
	c->busy = 1;
	c->busy_gen = c->gen;
	c->attempt = 1;
	client_cemit(cl, ci, EV_WORK_START, m->id, 0, 0, NULL);
	if (c->crash_before) {
		c->crash_before = 0;
		cl->ops->crash(cl->ctx, ci);
		return;
	}
	if (c->exc_armed) {
		struct broker_tally *t = broker_tally(cl->b, m->id);
		c->exc_armed = 0;
		t->poison = (int16_t)c->exc_times;
		t->unreadable = (uint8_t)c->exc_unreadable;
	}
	client_arm(cl, client_now(cl) +
	    cl->toggles[TOGGLE_WORK_MS] * 1000, CLIENT_T_WORK, c->gen,
	    (uint32_t)ci, ++c->job);
}

/* Finishes the head message: sends the ack, nack or reject (or nothing). */
static void
client_consumer_finish(struct client *cl, int ci, enum event_kind kind,
    int requeue)
{
	struct client_consumer *c = &cl->cons[ci];
	struct broker_msg m = broker_ring_pop(&c->buf);

	c->busy = 0;
	c->attempt = 0;
	/*
	 * A delivery tag belongs to the channel it came on: after a reconnect
	 * the old channel object is closed (Spring's basicAck on it throws),
	 * and the frame never reaches the new one.
	 */
	if (m.noack)
		broker_copy_done(cl->b, m.id);
	else if (c->connected && c->busy_gen == c->gen) {
		client_cemit(cl, ci, kind, m.id, 0, requeue & 1, NULL);
		if (cl->ops->settle(cl->ctx, ci, kind, m.tag, requeue) != 0)
			return;
	} else
		client_cemit(cl, ci, kind == EV_ACK ? EV_ACK : EV_NACK, m.id, 0,
		    requeue, "channel already closed: the frame is not sent");
	client_consumer_pump(cl, ci);
}

/*
 * Republishes m to the error exchange with the exception in its headers,
 * as Spring's RepublishMessageRecoverer does; returns whether a queue
 * took it. The model routes it; the transport sends the real frame.
 */
static int
client_consumer_republish(struct client *cl, int ci, struct broker_msg *m)
{
	const char *xn = cl->topo->error_exchange;
	const int *targets;
	size_t n = 0;
	int32_t x;

	if (xn == NULL) {
		broker_emit(cl->b, EV_REPUBLISH, ACTOR_CONSUMER, m->id, 0, 0,
		    NULL, "no error exchange configured");
		return 0;
	}
	x = xn[0] ? broker_exchange_find(cl->b, xn) : -1;
	if (xn[0] && (x < 0 || !cl->b->exchanges[x].exists))
		x = -3;
	if (x != -3) {
		struct broker_msg copy = *m;
		copy.key = broker_intern(cl->b, cl->topo->error_key ?
		    cl->topo->error_key : "");
		copy.exchange = x;
		copy.redelivered = 0;
		copy.deliveries = 0;
		if (cl->ops->republish)
			cl->ops->republish(cl->ctx, ci, m, x, copy.key);
		n = broker_route(cl->b, x, &copy, &targets);
		broker_fan_out(cl->b, &copy, targets, n, EV_REPUBLISH,
		    ACTOR_CONSUMER, "x-exception-message set", 0);
	}
	if (n == 0)
		broker_emit(cl->b, EV_REPUBLISH, ACTOR_CONSUMER, m->id, 0, 0, xn,
		    "error exchange had no route");
	return n > 0;
}

/* The listener failed on the head message: retry, or apply on_failure. */
static void
client_consumer_failed(struct client *cl, int ci, struct broker_msg *m)
{
	struct client_consumer *c = &cl->cons[ci];
	struct broker_tally *t = broker_tally(cl->b, m->id);
	int64_t wait;

	if (m->noack) {
		struct broker_msg gone = broker_ring_pop(&c->buf);
		c->busy = 0;
		broker_drop(cl->b, gone.id, LOSS_AUTOACK_EXCEPTION,
		    NOTICE_SILENT, c->spec->name);
		client_consumer_pump(cl, ci);
		return;
	}
	if (t->unreadable) {
		/* Spring: a conversion failure is fatal, never requeued. */
		client_consumer_finish(cl, ci, EV_REJECT, 0);
		return;
	}
	if ((wait = service_retry_wait(cl->toggles, c->attempt)) >= 0) {
		client_arm(cl, client_now(cl) + wait, CLIENT_T_RETRY,
		    c->gen, (uint32_t)ci, c->job);
		return;
	}
	switch ((int)cl->toggles[TOGGLE_ON_FAILURE]) {
	case ONFAIL_REJECT:
		client_consumer_finish(cl, ci, EV_REJECT, 0);
		break;
	case ONFAIL_REPUBLISH:
		if (client_consumer_republish(cl, ci, m))
			client_consumer_finish(cl, ci, EV_ACK, 0);
		else {
			/* The ack below ends the last copy: it is lost. */
			broker_drop(cl->b, m->id, LOSS_REJECTED, NOTICE_SILENT,
			    c->spec->name);
			client_consumer_finish(cl, ci, EV_ACK, 2);
		}
		break;
	default:
		client_consumer_finish(cl, ci, EV_NACK, 1);
		break;
	}
}

/* A local retry starts: the listener runs again on the head message. */
void
client_consumer_retry(struct client *cl, int ci)
{
	struct client_consumer *c = &cl->cons[ci];

	/* Logged when the attempt starts, not when the wait began. */
	if (c->buf.len > 0)
		client_cemit(cl, ci, EV_RETRY, broker_ring_at(&c->buf, 0)->id, 0,
		    c->attempt + 1, NULL);
	c->attempt++;
	client_arm(cl, client_now(cl) +
	    cl->toggles[TOGGLE_WORK_MS] * 1000, CLIENT_T_WORK, c->gen,
	    (uint32_t)ci, ++c->job);
}

/* The listener returns from the head message (or throws). */
void
client_consumer_work_done(struct client *cl, int ci)
{
	struct client_consumer *c = &cl->cons[ci];
	struct broker_msg *m;
	struct broker_tally *t;
	enum service_outcome outcome;

	if (!c->busy || c->buf.len == 0)
		return;
	m = broker_ring_at(&c->buf, 0);
	t = broker_tally(cl->b, m->id);
	if (t->poison != 0) {
		if (t->poison > 0)
			t->poison--;
		client_cemit(cl, ci, EV_EXCEPTION, m->id, 0, t->unreadable,
		    t->unreadable ? "MessageConversionException" :
		    "business exception");
		client_consumer_failed(cl, ci, m);
		return;
	}
	/* Each consumer is its own instance of the service (model/service.h). */
	outcome = service_work(&cl->seen,
	    (int)cl->toggles[TOGGLE_IDEMPOTENCY], ci, m->msgid, m->id,
	    &t->effects);
	switch (outcome) {
	case SERVICE_SKIP_MSGID:
		client_cemit(cl, ci, EV_DUP_SKIP, m->id, 0, 1,
		    "message-id seen before");
		break;
	case SERVICE_SKIP_BUSINESS:
		client_cemit(cl, ci, EV_DUP_SKIP, m->id, 0, 2,
		    "order already paid");
		break;
	case SERVICE_DONE:
	case SERVICE_DONE_AGAIN:
		client_cemit(cl, ci, EV_WORK_DONE, m->id, 0,
		    outcome == SERVICE_DONE_AGAIN,
		    outcome == SERVICE_DONE_AGAIN ? "again!" : NULL);
		break;
	}
	if (c->crash_after) {
		c->crash_after = 0;
		if (m->noack) {
			/* Acked on delivery: the finished one is safe. */
			struct broker_msg done = broker_ring_pop(&c->buf);
			broker_copy_done(cl->b, done.id);
		}
		c->busy = 0;
		cl->ops->crash(cl->ctx, ci);
		return;
	}
	client_consumer_finish(cl, ci, EV_ACK, 0);
}

void
client_consumer_lost(struct client *cl, int ci, int code, int crash,
    const char *why)
{
	struct client_consumer *c = &cl->cons[ci];

	if (crash)
		client_cemit(cl, ci, EV_CONSUMER_CRASH, c->buf.len ?
		    broker_ring_at(&c->buf, 0)->id : 0, 0, 0, NULL);
	else if (code == 200)
		client_cemit(cl, ci, EV_CONN_CLOSE, 0, 200, 1,
		    "consumer stopped");
	else if (c->connected)
		client_cemit(cl, ci, EV_CONN_LOST, 0, code, 1, why);
	c->connected = c->connecting = 0;
	c->gen++;
}

void
client_consumer_undelivered(struct client *cl, int ci,
    const struct broker_msg *m)
{
	if (m->noack)
		broker_drop(cl->b, m->id, LOSS_AUTOACK_CRASH, NOTICE_SILENT,
		    cl->cons[ci].spec->name);
}

void
client_consumer_dropped(struct client *cl, int ci, int crash)
{
	struct client_consumer *c = &cl->cons[ci];
	size_t keep = 0;

	/*
	 * A crashed process loses its buffer. A live process finishes the
	 * message in hand (its ack will fail) and drops the rest.
	 */
	if (!crash && c->busy)
		keep = 1;
	while (c->buf.len > keep) {
		struct broker_msg m = *broker_ring_at(&c->buf, c->buf.len - 1);
		c->buf.len--;
		client_consumer_undelivered(cl, ci, &m);
	}
	if (keep == 0) {
		c->busy = 0;
		c->attempt = 0;
	}
}
