/*
 * The client layer's context and the payment service's producer (see
 * client.h): its outbox, its pending confirms, connection retries with
 * backoff, resends, and the reconciliation job that repairs orders the
 * trade service never marked paid.
 */
#include "client/client.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

void
client_init(struct client *cl, struct broker *b, const int64_t *toggles,
    const struct client_ops *ops, void *ctx)
{
	memset(cl, 0, sizeof *cl);
	cl->b = b;
	cl->toggles = toggles;
	cl->ops = ops;
	cl->ctx = ctx;
	cl->prod.wait_since = -1;
	service_memory_init(&cl->seen, 0);
}

void
client_timers(struct client *cl, struct sched *sched, int base)
{
	cl->sched = sched;
	cl->timer_base = base;
}

void
client_arm(struct client *cl, int64_t at, enum client_timer kind,
    uint32_t gen, uint32_t a, uint64_t b)
{
	sched_add(cl->sched, at, cl->timer_base + (int)kind, gen, a, b);
}

int
client_sched_idle(const struct client *cl,
    int (*moot)(const struct sched_timer *t, void *ctx), void *ctx)
{
	for (size_t i = 0; i < cl->sched->len; i++) {
		int kind = cl->sched->heap[i].kind - cl->timer_base;
		if (kind == CLIENT_T_RECONCILE ||
		    (kind == CLIENT_T_RECOVER && !cl->b->up) ||
		    (moot && moot(&cl->sched->heap[i], ctx)))
			continue;
		return 0;
	}
	return 1;
}

void
client_declare(struct client *cl)
{
	const struct topology *t = cl->b->topo;

	assert(cl->cons == NULL && t != NULL);
	cl->topo = t;
	cl->cons = xcalloc(t->nconsumers + 1, sizeof *cl->cons);
	cl->ncons = t->nconsumers;
	for (size_t i = 0; i < t->nconsumers; i++) {
		cl->cons[i].spec = &t->consumers[i];
		cl->cons[i].queue = cl->b->subs[i].queue;
	}
	service_memory_free(&cl->seen);
	service_memory_init(&cl->seen, t->nconsumers);
}

void
client_free(struct client *cl)
{
	struct client_producer *p = &cl->prod;

	for (size_t i = 0; i < cl->ncons; i++)
		broker_ring_free(&cl->cons[i].buf);
	free(cl->cons);
	service_memory_free(&cl->seen);
	free(cl->paid_at);
	for (size_t i = 0; i < p->out_len; i++)
		free(p->out[(p->out_head + i) % p->out_cap].xname);
	free(p->out);
	free(p->pend);
	memset(cl, 0, sizeof *cl);
}

int64_t
client_now(const struct client *cl)
{
	return cl->b->env.now(cl->b->env.ctx);
}

static void
client_emit(struct client *cl, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail)
{
	broker_emit(cl->b, kind, actor, msg, code, flag, where, detail);
}

void
client_producer_renegotiate(struct client *cl)
{
	cl->prod.reconnect = cl->prod.connected;
}

int
client_producer_recycle_due(const struct client *cl)
{
	const struct client_producer *p = &cl->prod;

	return p->reconnect && p->connected && p->outstanding == 0;
}

void
client_producer_recycle(struct client *cl)
{
	struct client_producer *p = &cl->prod;

	client_emit(cl, EV_CONN_CLOSE, ACTOR_PRODUCER, 0, 0, 0, NULL,
	    "reconnecting with the new heartbeat");
	p->reconnect = 0;
	p->connected = 0;
	p->chan_open = p->chan_dead = p->confirm_mode = 0;
	p->gen++;
	p->step_armed = 0;
	p->connecting = 1;
}

/* ---- the outbox ---------------------------------------------------------- */

void
client_outbox_push(struct client *cl, const struct client_batch *b, int front)
{
	struct client_producer *p = &cl->prod;

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

struct client_batch *
client_outbox_head(struct client *cl)
{
	struct client_producer *p = &cl->prod;

	return p->out_len ? &p->out[p->out_head] : NULL;
}

uint64_t
client_outbox_pending(const struct client *cl)
{
	const struct client_producer *p = &cl->prod;
	uint64_t n = 0;

	for (size_t i = 0; i < p->out_len; i++)
		n += p->out[(p->out_head + i) % p->out_cap].left;
	return n;
}

void
client_outbox_advance(struct client *cl)
{
	struct client_producer *p = &cl->prod;
	struct client_batch *b = &p->out[p->out_head];

	assert(p->out_len > 0 && b->left > 0);
	if (b->every_us && b->left > 1)
		b->not_before = client_now(cl) + b->every_us;
	p->took_head = 0;
	p->attempt = 0;
	p->retry_wait = 0;
	if (--b->left == 0) {
		free(b->xname);
		p->out_head = (p->out_head + 1) % p->out_cap;
		p->out_len--;
	}
}

void
client_resend(struct client *cl, uint32_t id)
{
	struct client_batch b;

	memset(&b, 0, sizeof b);
	b.exchange = -2;
	b.persistent = -1;
	b.expiration = b.delay = -1;
	if (cl->topo->publish_exchange[0]) {
		b.exchange = broker_exchange_find(cl->b,
		    cl->topo->publish_exchange);
		if (b.exchange < 0)
			b.exchange = -1;
	}
	b.key = broker_intern(cl->b, cl->topo->publish_key);
	b.left = 1;
	b.resend_id = id;
	client_outbox_push(cl, &b, 1);
}

/* ---- confirms -------------------------------------------------------------- */

static struct client_pending *
client_pending_at(struct client_producer *p, size_t i)
{
	return &p->pend[(p->pend_head + i) % p->pend_cap];
}

static void
client_pending_add(struct client_producer *p, uint32_t seq, uint32_t id)
{
	if (p->pend_len == p->pend_cap)
		p->pend = xring_grow(p->pend, &p->pend_cap, &p->pend_head,
		    p->pend_len, sizeof *p->pend);
	*client_pending_at(p, p->pend_len++) =
	    (struct client_pending){ seq, id, 0 };
	p->outstanding++;
}

void
client_pending_fail_all(struct client *cl)
{
	struct client_producer *p = &cl->prod;

	for (size_t i = 0; i < p->pend_len; i++) {
		struct client_pending *pd = client_pending_at(p, i);
		if (!pd->resolved)
			client_emit(cl, EV_CONFIRM_LOST, ACTOR_PRODUCER, pd->id,
			    0, 0, NULL, NULL);
	}
	/* Resends go to the front of the outbox: push the last first. */
	for (size_t i = p->pend_len; i-- > 0;) {
		struct client_pending *pd = client_pending_at(p, i);
		if (!pd->resolved && cl->toggles[TOGGLE_RESEND])
			client_resend(cl, pd->id);
	}
	p->pend_head = 0;
	p->pend_len = 0;
	p->outstanding = 0;
	p->in_batch = 0;
}

void
client_producer_confirm(struct client *cl, uint64_t seq, int multiple,
    int ack)
{
	struct client_producer *p = &cl->prod;

	for (size_t i = 0; i < p->pend_len; i++) {
		struct client_pending *pd = client_pending_at(p, i);
		if (pd->resolved || pd->seq > seq ||
		    (!multiple && pd->seq != seq))
			continue;
		pd->resolved = 1;
		assert(p->outstanding > 0);
		p->outstanding--;
		if (ack)
			broker_tally(cl->b, pd->id)->confirmed = 1;
		client_emit(cl, ack ? EV_CONFIRM_ACK : EV_CONFIRM_NACK,
		    ACTOR_PRODUCER, pd->id, 0, 0, NULL, NULL);
		if (!ack && cl->toggles[TOGGLE_RESEND])
			client_resend(cl, pd->id);
		if (!multiple)
			break;
	}
	while (p->pend_len && client_pending_at(p, 0)->resolved) {
		p->pend_head = (p->pend_head + 1) % p->pend_cap;
		p->pend_len--;
	}
}

/* ---- the producer's steps ------------------------------------------------------ */

void
client_producer_arm(struct client *cl, int64_t at)
{
	struct client_producer *p = &cl->prod;
	int64_t now = client_now(cl);

	if (p->step_armed)
		return;
	p->step_armed = 1;
	client_arm(cl, at < now ? now : at, CLIENT_T_PRODUCER, p->gen,
	    0, 0);
}

void
client_producer_unblock(struct client *cl)
{
	struct client_producer *p = &cl->prod;

	if (p->wait_since >= 0) {
		p->blocked_us += client_now(cl) - p->wait_since;
		p->wait_since = -1;
	}
}

/* Announces the head message: a new payment, or the one being resent. */
static void
client_take_head(struct client *cl, const struct client_batch *b)
{
	struct client_producer *p = &cl->prod;

	if (p->took_head)
		return;
	p->took_head = 1;
	if (b->resend_id) {
		p->head_id = b->resend_id;
		return;
	}
	p->head_id = ++cl->next_id;
	broker_tally(cl->b, p->head_id);
	cl->paid_at = xgrow(cl->paid_at, &cl->paid_cap,
	    (size_t)p->head_id + 1, sizeof *cl->paid_at);
	cl->paid_at[p->head_id] = client_now(cl);
	client_emit(cl, EV_PAID, ACTOR_PRODUCER, p->head_id, 0, 0, NULL, NULL);
}

int
client_producer_ready(struct client *cl)
{
	struct client_producer *p = &cl->prod;
	int mode = (int)cl->toggles[TOGGLE_CONFIRMS];
	struct client_batch *b;
	int64_t now = client_now(cl);

	if (p->step_armed || p->connecting)
		return 0;
	b = client_outbox_head(cl);
	if (b == NULL)
		return 0;
	if (p->connected && p->confirm_mode && p->outstanding &&
	    (mode == CONFIRMS_EACH || (mode == CONFIRMS_BATCH &&
		p->in_batch >= (uint32_t)cl->toggles[TOGGLE_BATCH]))) {
		if (p->wait_since < 0)
			p->wait_since = now;
		return 0;
	}
	if (cl->ops->hold && cl->ops->hold(cl->ctx))
		return 0;
	client_producer_unblock(cl);
	if (p->outstanding == 0)
		p->in_batch = 0;
	if (b->not_before > now) {
		client_producer_arm(cl, b->not_before);
		return 0;
	}
	client_take_head(cl, b);
	return 1;
}

/*
 * Writes "key=<key>" and, for a delayed publish, " x-delay" into buf of
 * n >= 16 bytes, cutting a long key short. Every publish passes here, so
 * it copies rather than formats.
 */
static void
client_key_detail(char *buf, size_t n, const char *key, int delayed)
{
	static const char tail[] = " x-delay";
	size_t room = n - sizeof "key=" - (delayed ? sizeof tail - 1 : 0);
	size_t kl = strnlen(key, room);

	memcpy(buf, "key=", 4);
	memcpy(buf + 4, key, kl);
	if (delayed)
		memcpy(buf + 4 + kl, tail, sizeof tail - 1);
	buf[4 + kl + (delayed ? sizeof tail - 1 : 0)] = '\0';
}

void
client_producer_publish(struct client *cl, struct broker_msg *m)
{
	struct client_producer *p = &cl->prod;
	struct client_batch *b = client_outbox_head(cl);
	int flags = 0, persistent;
	uint32_t key = b->key;
	char detail[96];
	const char *dp = NULL;

	memset(m, 0, sizeof *m);
	m->id = p->head_id;
	m->msgid = ++cl->next_msgid;
	persistent = b->persistent >= 0 ? b->persistent :
	    (int)cl->toggles[TOGGLE_PERSISTENT];
	if (p->unroutable_left > 0 && !b->resend_id) {
		char *k = xasprintf("%s.nobody", cl->b->keys[key]);
		key = broker_intern(cl->b, k);
		free(k);
		p->unroutable_left--;
		dp = "routing key nothing is bound to";
	}
	m->key = key;
	m->exchange = b->exchange < 0 ? -1 : b->exchange;
	m->persistent = (uint8_t)persistent;
	m->expiration = b->expiration;
	m->headers = b->headers;
	m->due = m->written_at = BROKER_NEVER;
	if (persistent)
		flags |= EVENT_PUB_PERSISTENT;
	if (cl->toggles[TOGGLE_MANDATORY])
		flags |= EVENT_PUB_MANDATORY;
	if (b->resend_id)
		flags |= EVENT_PUB_RESEND;
	if (dp == NULL) {
		client_key_detail(detail, sizeof detail, cl->b->keys[key],
		    b->delay >= 0);
		dp = detail;
	}
	client_emit(cl, EV_PUBLISH, ACTOR_PRODUCER, m->id, 0, flags,
	    b->exchange == -1 ? b->xname : broker_xname(cl->b, m->exchange),
	    dp);
	broker_copy_add(cl->b, m->id);
	if (p->confirm_mode) {
		m->tag = ++p->next_seq;
		client_pending_add(p, m->tag, m->id);
		p->in_batch++;
	}
}

void
client_producer_give_up(struct client *cl, const char *why)
{
	uint32_t id = cl->prod.head_id;

	client_emit(cl, EV_PUBLISH_FAILED, ACTOR_PRODUCER, id, -9, 0, NULL,
	    why ? why : "AmqpConnectException");
	/* The message never left: it had no copy anywhere. */
	broker_copy_add(cl->b, id);
	broker_drop(cl->b, id, LOSS_NETWORK, NOTICE_ERROR, NULL);
	client_outbox_advance(cl);
}

/*
 * The next backoff wait: the initial wait, then the last one times the
 * multiplier, up to CLIENT_BACKOFF_MAX_US (no overflow however many
 * attempts are allowed).
 */
static int64_t
client_backoff(const struct client *cl, int64_t last)
{
	int64_t mult = cl->toggles[TOGGLE_PRODUCER_MULTIPLIER];

	if (last == 0)
		return cl->toggles[TOGGLE_PRODUCER_INITIAL_MS] * 1000;
	if (last > CLIENT_BACKOFF_MAX_US / mult * 1000)
		return CLIENT_BACKOFF_MAX_US;
	last = last * mult / 1000;
	return last > CLIENT_BACKOFF_MAX_US ? CLIENT_BACKOFF_MAX_US : last;
}

void
client_producer_connect_failed(struct client *cl)
{
	struct client_producer *p = &cl->prod;
	int64_t now = client_now(cl), wait;

	p->attempt++;
	if (cl->toggles[TOGGLE_PRODUCER_RETRY] &&
	    p->attempt < cl->toggles[TOGGLE_PRODUCER_ATTEMPTS]) {
		wait = client_backoff(cl, p->retry_wait);
		p->retry_wait = wait;
		p->blocked_us += wait;
		client_emit(cl, EV_RETRY_WAIT, ACTOR_PRODUCER, p->head_id, 0,
		    p->attempt + 1, NULL, NULL);
		p->retry_due = now + wait;
		client_producer_arm(cl, now + wait);
		return;
	}
	client_producer_give_up(cl, NULL);
	client_producer_arm(cl, now);
}

/* ---- reconciliation ----------------------------------------------------------- */

void
client_reconcile_restart(struct client *cl)
{
	if (!cl->toggles[TOGGLE_RECONCILE])
		return;
	++cl->reconcile_gen;
	cl->reconcile_armed = 1;
	client_arm(cl, client_now(cl) +
	    cl->toggles[TOGGLE_RECONCILE_MS] * 1000, CLIENT_T_RECONCILE,
	    cl->reconcile_gen, 0, 0);
}

/*
 * Every period, orders the payment service marked paid longer than a
 * period ago and the trade service's first instance still shows unpaid
 * are repaired (an effect applied by the job).
 */
static void
client_reconcile(struct client *cl)
{
	int64_t period = cl->toggles[TOGGLE_RECONCILE_MS] * 1000;
	int64_t now = client_now(cl);

	cl->reconcile_armed = 0;
	if (!cl->toggles[TOGGLE_RECONCILE])
		return;
	for (uint32_t id = 1; id <= cl->next_id; id++) {
		struct broker_tally *t = broker_tally(cl->b, id);
		if (cl->ncons == 0 || service_paid(&cl->seen, 0, id) ||
		    cl->paid_at[id] + period > now)
			continue;
		service_mark_paid(&cl->seen, 0, id);
		if (t->effects < UINT8_MAX)
			t->effects++;
		client_emit(cl, EV_RECONCILE, ACTOR_RECONCILER, id, 0, 0, NULL,
		    "payment service says paid");
	}
	cl->reconcile_armed = 1;
	client_arm(cl, now + period, CLIENT_T_RECONCILE,
	    cl->reconcile_gen, 0, 0);
}

/* ---- timers ---------------------------------------------------------------------- */

void client_consumer_work_done(struct client *cl, int ci);
void client_consumer_retry(struct client *cl, int ci);

int
client_timer(struct client *cl, const struct sched_timer *t)
{
	enum client_timer kind = (enum client_timer)(t->kind - cl->timer_base);
	uint32_t gen = t->gen, a = t->a;
	uint64_t b = t->b;
	struct client_consumer *c = a < cl->ncons ? &cl->cons[a] : NULL;

	if (t->kind < cl->timer_base)
		return 0;
	switch (kind) {
	case CLIENT_T_PRODUCER:
		if (gen != cl->prod.gen)
			break;
		cl->prod.step_armed = 0;
		cl->ops->pump(cl->ctx);
		break;
	case CLIENT_T_WORK:
		if (c && c->busy && b == c->job)
			client_consumer_work_done(cl, (int)a);
		break;
	case CLIENT_T_RETRY:
		if (c && c->busy && b == c->job)
			client_consumer_retry(cl, (int)a);
		break;
	case CLIENT_T_RECOVER:
		if (c == NULL)
			break;
		c->recovery_armed = 0;
		cl->ops->connect(cl->ctx, (int)a);
		break;
	case CLIENT_T_RECONCILE:
		if (gen == cl->reconcile_gen)
			client_reconcile(cl);
		break;
	}
	return 1;
}
