/*
 * The broker model (see broker.h): RabbitMQ's rules for exchanges, queues
 * and the copies in them, shared by the simulated engine and the live
 * engine's shadow. Nothing here reads a clock, sleeps or touches a socket;
 * time, timers, disk and links come from the engine through broker_env.
 */
#include "broker/broker.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static const char *const broker_death_names[] = { "rejected", "expired",
	"maxlen", "delivery_limit" };

/* ---- events and copies ------------------------------------------------ */

/* Counts an event and hands it to the sink. */
static void
broker_post(struct broker *b, const struct event *ev)
{
	b->events++;
	if (b->env.sink)
		b->env.sink(b->env.sink_ctx, ev);
}

void
broker_emit(struct broker *b, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail)
{
	/* Built in place: every send of an event passes here. */
	const struct event ev = { .t = b->env.now(b->env.ctx), .kind = kind,
		.actor = actor, .msg = msg, .code = code, .flag = flag,
		.where = where, .detail = detail };

	broker_post(b, &ev);
}

struct broker_tally *
broker_tally(struct broker *b, uint32_t id)
{
	b->tally = xgrow_zero(b->tally, &b->tally_cap, (size_t)id + 1,
	    sizeof *b->tally);
	return &b->tally[id];
}

void
broker_copy_add(struct broker *b, uint32_t id)
{
	struct broker_tally *t = broker_tally(b, id);

	if (t->copies < UINT16_MAX)
		t->copies++;
}

void
broker_copy_done(struct broker *b, uint32_t id)
{
	struct broker_tally *t = broker_tally(b, id);

	if (t->copies)
		t->copies--;
}

void
broker_drop(struct broker *b, uint32_t id, enum loss_reason reason,
    enum loss_notice notice, const char *where)
{
	struct broker_tally *t = broker_tally(b, id);
	struct event ev;

	if (t->copies)
		t->copies--;
	ev = (struct event){ .t = b->env.now(b->env.ctx), .kind = t->copies == 0 &&
		t->effects == 0 ? EV_LOST : EV_DISCARD, .actor = ACTOR_LAB,
		.msg = id, .reason = reason, .notice = notice, .where = where };
	broker_post(b, &ev);
}

/* ---- rings --------------------------------------------------------------- */

void
broker_ring_push(struct broker_ring *r, const struct broker_msg *m,
    int at_head)
{
	if (r->len == r->cap)
		r->buf = xring_grow(r->buf, &r->cap, &r->head, r->len,
		    sizeof *r->buf);
	if (at_head) {
		r->head = (r->head + r->cap - 1) % r->cap;
		r->buf[r->head] = *m;
	} else
		r->buf[(r->head + r->len) % r->cap] = *m;
	r->len++;
}

struct broker_msg *
broker_ring_at(struct broker_ring *r, size_t i)
{
	return &r->buf[(r->head + i) % r->cap];
}

struct broker_msg
broker_ring_pop(struct broker_ring *r)
{
	struct broker_msg m = r->buf[r->head];

	xring_shift(&r->head, &r->len, r->cap);
	return m;
}

struct broker_msg
broker_ring_take(struct broker_ring *r, size_t i)
{
	struct broker_msg m = *broker_ring_at(r, i);

	if (i == 0)
		return broker_ring_pop(r);
	for (size_t k = i; k + 1 < r->len; k++)
		*broker_ring_at(r, k) = *broker_ring_at(r, k + 1);
	r->len--;
	return m;
}

void
broker_ring_free(struct broker_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof *r);
}

/* ---- names --------------------------------------------------------------- */

uint32_t
broker_intern(struct broker *b, const char *s)
{
	if (b->nkeys && strcmp(b->keys[b->last_key], s) == 0)
		return b->last_key;
	for (size_t i = 0; i < b->nkeys; i++)
		if (strcmp(b->keys[i], s) == 0)
			return b->last_key = (uint32_t)i;
	b->keys = xgrow(b->keys, &b->keys_cap, b->nkeys + 1, sizeof *b->keys);
	b->keys[b->nkeys] = xstrdup(s);
	return b->last_key = (uint32_t)b->nkeys++;
}

uint32_t
broker_headers(struct broker *b, const struct topo_kv *kv, size_t n)
{
	struct topo_kv *set;

	if (n == 0)
		return 0;
	b->hsets = xgrow(b->hsets, &b->hsets_cap, b->nhsets + 1,
	    sizeof *b->hsets);
	b->hset_len = xgrow(b->hset_len, &b->hset_len_cap, b->nhsets + 1,
	    sizeof *b->hset_len);
	set = xcalloc(n, sizeof *set);
	for (size_t i = 0; i < n; i++) {
		set[i].key = xstrdup(kv[i].key);
		set[i].value = xstrdup(kv[i].value);
	}
	b->hsets[b->nhsets] = set;
	b->hset_len[b->nhsets] = n;
	return (uint32_t)b->nhsets++;
}

int
broker_exchange_find(const struct broker *b, const char *name)
{
	for (size_t i = 0; i < b->nexchanges; i++)
		if (strcmp(b->exchanges[i].name, name) == 0)
			return (int)i;
	return -1;
}

int
broker_queue_find(const struct broker *b, const char *name)
{
	for (size_t i = 0; i < b->nqueues; i++)
		if (strcmp(b->queues[i].spec->name, name) == 0)
			return (int)i;
	return -1;
}

int
broker_sub_find(const struct broker *b, const char *name)
{
	for (size_t i = 0; i < b->nsubs; i++)
		if (strcmp(b->topo->consumers[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *
broker_qname(const struct broker *b, int q)
{
	return b->queues[q].spec->name;
}

const char *
broker_xname(const struct broker *b, int32_t x)
{
	return x < 0 ? "(default)" : b->exchanges[x].name;
}

/* ---- set-up ---------------------------------------------------------------- */

/*
 * Numbers the x-death pairs `topo` allows: each reason a queue with a
 * dead-letter exchange can kill a copy for (rejected, expired, maxlen, and
 * delivery_limit unless the queue is classic). Returns how many there are.
 */
static size_t
broker_death_slots(struct broker *b, const struct topology *topo)
{
	size_t n = 0;

	b->death_slot = xmalloc((topo->nqueues + 1) * 4);
	memset(b->death_slot, BROKER_NO_SLOT, (topo->nqueues + 1) * 4);
	for (size_t i = 0; i < topo->nqueues; i++) {
		const struct topo_queue *q = &topo->queues[i];
		int reasons = q->type == QTYPE_CLASSIC ||
		    q->type == QTYPE_LAZY ? 3 : 4;
		if (q->dlx == NULL)
			continue;
		for (int r = 0; r < reasons; r++, n++)
			b->death_slot[i * 4 + r] = n < BROKER_MAX_DEATHS ?
			    (uint8_t)n : BROKER_NO_SLOT;
	}
	return n;
}

int
broker_init(struct broker *b, const struct topology *t,
    const int64_t *toggles, const struct broker_env *env, char **cause)
{
	size_t pairs;

	memset(b, 0, sizeof *b);
	b->env = *env;
	b->toggles = toggles;
	b->topo = t;
	b->up = 1;
	pairs = broker_death_slots(b, t);
	if (t->nexchanges > INT16_MAX) {
		*cause = xasprintf("%zu exchanges; the lab models at most %d",
		    t->nexchanges, INT16_MAX);
		return -1;
	}
	if (pairs > BROKER_MAX_DEATHS) {
		*cause = xasprintf("a message could gather %zu x-death entries "
		    "(queues with a dead-letter exchange x reasons); the lab "
		    "keeps at most %d", pairs, BROKER_MAX_DEATHS);
		return -1;
	}
	b->exchanges = xcalloc(t->nexchanges + 1, sizeof *b->exchanges);
	b->nexchanges = t->nexchanges;
	for (size_t i = 0; i < t->nexchanges; i++) {
		struct broker_exchange *x = &b->exchanges[i];
		x->name = xstrdup(t->exchanges[i].name);
		x->type = t->exchanges[i].type;
		x->delayed_type = t->exchanges[i].delayed_type;
		x->pinned_durable = t->exchanges[i].durable;
	}
	b->queues = xcalloc(t->nqueues + 1, sizeof *b->queues);
	b->nqueues = t->nqueues;
	for (size_t i = 0; i < t->nqueues; i++) {
		b->queues[i].spec = &t->queues[i];
		b->queues[i].policy_max_length = -1;
		b->queues[i].policy_ttl_ms = -1;
		b->queues[i].expiry_due = BROKER_NEVER;
	}
	b->bindings = xcalloc(t->nbindings + 1, sizeof *b->bindings);
	b->nbindings = t->nbindings;
	for (size_t i = 0; i < t->nbindings; i++) {
		struct broker_binding *bd = &b->bindings[i];
		bd->exchange = broker_exchange_find(b, t->bindings[i].exchange);
		bd->queue = broker_queue_find(b, t->bindings[i].queue);
		if (bd->exchange < 0 || bd->queue < 0) {
			*cause = xasprintf("binding %s -> %s names an "
			    "undeclared exchange or queue",
			    t->bindings[i].exchange, t->bindings[i].queue);
			return -1;
		}
		bd->key = broker_intern(b, t->bindings[i].key);
		bd->spec = &t->bindings[i];
	}
	b->subs = xcalloc(t->nconsumers + 1, sizeof *b->subs);
	b->nsubs = t->nconsumers;
	for (size_t i = 0; i < t->nconsumers; i++) {
		b->subs[i].queue = broker_queue_find(b, t->consumers[i].queue);
		if (b->subs[i].queue < 0) {
			*cause = xasprintf("consumer %s reads an undeclared "
			    "queue %s", t->consumers[i].name,
			    t->consumers[i].queue);
			return -1;
		}
	}
	/* Header set 0 means "no headers". */
	b->hsets = xgrow(b->hsets, &b->hsets_cap, 1, sizeof *b->hsets);
	b->hset_len = xgrow(b->hset_len, &b->hset_len_cap, 1,
	    sizeof *b->hset_len);
	b->hsets[0] = NULL;
	b->hset_len[0] = 0;
	b->nhsets = 1;
	return 0;
}

void
broker_free(struct broker *b)
{
	for (size_t i = 0; i < b->nexchanges; i++)
		free(b->exchanges[i].name);
	free(b->exchanges);
	for (size_t i = 0; i < b->nqueues; i++)
		broker_ring_free(&b->queues[i].ready);
	free(b->queues);
	free(b->bindings);
	for (size_t i = 0; i < b->nsubs; i++)
		broker_ring_free(&b->subs[i].unacked);
	free(b->subs);
	for (size_t i = 0; i < b->nkeys; i++)
		free(b->keys[i]);
	free(b->keys);
	for (size_t i = 1; i < b->nhsets; i++) {
		for (size_t j = 0; j < b->hset_len[i]; j++) {
			free(b->hsets[i][j].key);
			free(b->hsets[i][j].value);
		}
		free(b->hsets[i]);
	}
	free(b->hsets);
	free(b->hset_len);
	free(b->tally);
	free(b->targets);
	free(b->death_slot);
	memset(b, 0, sizeof *b);
}

/* ---- topology -------------------------------------------------------------- */

void
broker_resolve(struct broker *b)
{
	for (size_t i = 0; i < b->nexchanges; i++) {
		struct broker_exchange *x = &b->exchanges[i];
		if (!x->exists)
			x->durable = x->pinned_durable >= 0 ? x->pinned_durable :
			    (int)b->toggles[TOGGLE_DURABLE_EXCHANGE];
	}
	for (size_t i = 0; i < b->nqueues; i++) {
		struct broker_queue *q = &b->queues[i];
		if (q->exists)
			continue;
		q->type = q->spec->type >= 0 ? q->spec->type :
		    (int)b->toggles[TOGGLE_QUEUE_TYPE];
		q->durable = q->spec->durable >= 0 ? q->spec->durable :
		    (int)b->toggles[TOGGLE_DURABLE_QUEUE];
		/* Quorum queues are always durable. */
		if (q->type == QTYPE_QUORUM)
			q->durable = 1;
	}
}

void
broker_declared(struct broker *b, enum broker_object kind, size_t i)
{
	if (!b->up)
		return;
	if (kind == BROKER_EXCHANGE && i < b->nexchanges) {
		struct broker_exchange *x = &b->exchanges[i];
		/* A learner who saw it deleted must see it come back. */
		if (!x->exists && x->gone)
			broker_emit(b, EV_EXCHANGE_REDECLARED, ACTOR_BROKER, 0,
			    0, 0, x->name, NULL);
		x->exists = 1;
		x->gone = 0;
	}
	else if (kind == BROKER_QUEUE && i < b->nqueues) {
		struct broker_queue *q = &b->queues[i];
		if (!q->exists)
			q->declared_at = b->env.now(b->env.ctx);
		q->exists = 1;
	} else if (kind == BROKER_BINDING && i < b->nbindings) {
		struct broker_binding *bd = &b->bindings[i];
		if (b->exchanges[bd->exchange].exists &&
		    b->queues[bd->queue].exists)
			bd->exists = 1;
	}
}

void
broker_redeclare(struct broker *b)
{
	if (!b->up)
		return;
	broker_resolve(b);
	for (size_t i = 0; i < b->nexchanges; i++)
		broker_declared(b, BROKER_EXCHANGE, i);
	for (size_t i = 0; i < b->nqueues; i++)
		broker_declared(b, BROKER_QUEUE, i);
	for (size_t i = 0; i < b->nbindings; i++)
		broker_declared(b, BROKER_BINDING, i);
}

void
broker_redeclare_queue(struct broker *b, int qi, int type, int durable)
{
	struct broker_queue *q = &b->queues[qi];

	while (q->ready.len) {
		struct broker_msg m = broker_ring_pop(&q->ready);
		broker_drop(b, m.id, LOSS_QUEUE_DELETED, NOTICE_SILENT,
		    q->spec->name);
	}
	q->type = type;
	q->durable = durable;
	q->declared_at = b->env.now(b->env.ctx);
}

void
broker_delete_exchange(struct broker *b, int x, const char *why)
{
	if (!b->exchanges[x].exists)
		return;
	b->exchanges[x].exists = 0;
	b->exchanges[x].gone = 1;
	/* Its bindings go with it; declaring it again does not bring them
	 * back, binding again does. */
	for (size_t i = 0; i < b->nbindings; i++)
		if (b->bindings[i].exchange == x)
			b->bindings[i].exists = 0;
	broker_emit(b, EV_EXCHANGE_DELETED, ACTOR_BROKER, 0, 0, 0,
	    b->exchanges[x].name, why);
}

/*
 * The limit in force when a queue argument and a policy both may set it
 * (-1 = unset): the stricter one, as RabbitMQ applies them.
 */
static int64_t
broker_stricter(int64_t arg, int64_t policy)
{
	if (arg < 0)
		return policy;
	if (policy < 0)
		return arg;
	return arg < policy ? arg : policy;
}

int64_t
broker_max_length(const struct broker_queue *q)
{
	return broker_stricter(q->spec->max_length, q->policy_max_length);
}

int64_t
broker_ttl(const struct broker_queue *q)
{
	return broker_stricter(q->spec->ttl_ms, q->policy_ttl_ms);
}

/* ---- routing ------------------------------------------------------------------ */

static int
broker_binding_matches(const struct broker *b, const struct broker_binding *bd,
    enum exchange_type type, const struct broker_msg *m)
{
	switch (type) {
	case XTYPE_FANOUT:
		return 1;
	case XTYPE_DIRECT:
		return bd->key == m->key;
	case XTYPE_TOPIC:
		return topology_topic_match(b->keys[bd->key], b->keys[m->key]);
	case XTYPE_HEADERS:
		return topology_headers_match(bd->spec, b->hsets[m->headers],
		    m->headers ? b->hset_len[m->headers] : 0);
	default:
		return 0;
	}
}

size_t
broker_route(struct broker *b, int32_t x, const struct broker_msg *m,
    const int **out)
{
	size_t n = 0;
	enum exchange_type type;

	*out = b->targets;
	if (x < 0) {
		int q = broker_queue_find(b, b->keys[m->key]);
		if (q < 0 || !b->queues[q].exists)
			return 0;
		b->targets = xgrow(b->targets, &b->targets_cap, 1,
		    sizeof *b->targets);
		b->targets[0] = q;
		*out = b->targets;
		return 1;
	}
	type = b->exchanges[x].type;
	if (type == XTYPE_DELAYED)
		type = b->exchanges[x].delayed_type;
	for (size_t i = 0; i < b->nbindings; i++) {
		const struct broker_binding *bd = &b->bindings[i];
		int dup = 0;

		if (bd->exchange != x || !bd->exists ||
		    !b->queues[bd->queue].exists ||
		    !broker_binding_matches(b, bd, type, m))
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = b->targets[j] == bd->queue;
		if (dup)
			continue;
		b->targets = xgrow(b->targets, &b->targets_cap, n + 1,
		    sizeof *b->targets);
		b->targets[n++] = bd->queue;
	}
	*out = b->targets;
	return n;
}

/*
 * broker_route's answer copied out of the scratch buffer, which enqueueing
 * reuses: into `small` when it fits, else a new array the caller frees.
 */
static int *
broker_targets_copy(const int *t, size_t n, int *small, size_t nsmall)
{
	int *out = n <= nsmall ? small : xmalloc(n * sizeof *out);

	memcpy(out, t, n * sizeof *out);
	return out;
}

/* ---- queues ---------------------------------------------------------------------- */

/*
 * When copy m, entering q now, will expire (BROKER_NEVER never): fixed at
 * entry from the TTL in force then, as the node does (a message-ttl policy
 * set later spares what the queue already holds: f34).
 */
static int64_t
broker_due_at_entry(const struct broker_queue *q, const struct broker_msg *m,
    int64_t now)
{
	int64_t ttl = broker_ttl(q), due = BROKER_NEVER;

	if (ttl >= 0)
		due = now + ttl * 1000;
	if (m->expiration >= 0 && now + m->expiration * 1000 < due)
		due = now + m->expiration * 1000;
	return due;
}

int64_t
broker_head_due(struct broker_queue *q)
{
	return q->ready.len ? broker_ring_at(&q->ready, 0)->due : BROKER_NEVER;
}

static void
broker_arm_expiry(struct broker *b, int qi)
{
	struct broker_queue *q = &b->queues[qi];
	int64_t due;

	if (q->ready.len == 0 || !b->up)
		return;
	due = broker_ring_at(&q->ready, 0)->due;
	if (due == BROKER_NEVER || (q->expiry_due != BROKER_NEVER &&
	    q->expiry_due <= due))
		return;
	q->expiry_due = due;
	sched_add(b->env.sched, due, b->env.expiry_kind, b->gen, (uint32_t)qi,
	    0);
}

uint32_t
broker_death_count(const struct broker *b, const struct broker_msg *m, int q,
    enum broker_death_reason reason)
{
	uint8_t slot = b->death_slot[q * 4 + reason];

	return slot == BROKER_NO_SLOT ? 0 : m->deaths[slot];
}

/* Counts one more death of m in queue q for `reason`; returns the count. */
static uint32_t
broker_add_death(struct broker *b, struct broker_msg *m, int q,
    enum broker_death_reason reason)
{
	uint8_t slot = b->death_slot[q * 4 + reason];

	/* Only a queue with a dead-letter exchange comes here, and
	 * broker_init numbered all of its pairs. */
	assert(slot != BROKER_NO_SLOT);
	if (m->deaths[slot] < BROKER_DEATH_COUNT_MAX)
		m->deaths[slot]++;
	if (reason == BROKER_DIED_REJECTED)
		m->clean = 0;
	else
		m->clean |= (uint8_t)(1u << slot);
	return m->deaths[slot];
}

/*
 * Whether dead-lettering m into queue q closes a cycle, as the node decides
 * (rabbit_dead_letter's cycle check): q is in m's x-death and no death
 * since q's latest, that one included, was a rejection. A cycle only of
 * expiries, length limits and delivery limits would loop for ever, so the
 * node drops the message instead of delivering it to q.
 */
static int
broker_dl_cycle(const struct broker *b, const struct broker_msg *m, int q)
{
	for (int r = 0; r < 4; r++) {
		uint8_t slot = b->death_slot[q * 4 + r];

		if (slot != BROKER_NO_SLOT && (m->clean >> slot) & 1)
			return 1;
	}
	return 0;
}

/* Drops the targets that would close a cycle; returns how many remain. */
static size_t
broker_dl_uncycle(struct broker *b, const struct broker_msg *m, int *t,
    size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++)
		if (!broker_dl_cycle(b, m, t[i]))
			t[kept++] = t[i];
	return kept;
}

size_t
broker_fan_out(struct broker *b, const struct broker_msg *m,
    const int *routed, size_t n, enum event_kind kind,
    enum event_actor actor, const char *detail, int have)
{
	int small[16], *targets = broker_targets_copy(routed, n, small, 16);

	for (size_t i = (size_t)have; i < n; i++)	/* as broker_publish */
		broker_copy_add(b, m->id);
	for (size_t i = 0; i < n; i++) {
		struct broker_msg copy = *m;
		int role = b->queues[targets[i]].spec->role, rejected = 0;
		int flag = role == QROLE_DEAD || role == QROLE_ERROR;
		/* A dead-letter past the first target is a new copy. */
		if (kind == EV_DEAD_LETTER && i >= (size_t)have)
			flag |= EVENT_DL_NEW_COPY;
		broker_emit(b, kind, actor, m->id, 0, flag,
		    broker_qname(b, targets[i]), detail);
		broker_enqueue(b, targets[i], &copy, 0, &rejected);
	}
	if (targets != small)
		free(targets);
	return n;
}

void
broker_dead_letter(struct broker *b, int qi, struct broker_msg *m,
    enum broker_death_reason reason, enum loss_reason loss)
{
	const struct topo_queue *spec = b->queues[qi].spec;
	const int *routed;
	size_t n;
	int32_t x;
	uint32_t count;
	char detail[160];

	if (spec->dlx == NULL) {
		broker_drop(b, m->id, loss, NOTICE_SILENT, broker_qname(b, qi));
		return;
	}
	x = spec->dlx[0] ? broker_exchange_find(b, spec->dlx) : -1;
	/* Gone, or never declared by the script: nowhere to go. */
	if ((x >= 0 && !b->exchanges[x].exists) || (spec->dlx[0] && x < 0))
		x = -2;
	count = broker_add_death(b, m, qi, reason);
	if (spec->dlrk)
		m->key = broker_intern(b, spec->dlrk);
	m->expiration = -1;
	m->redelivered = 0;
	m->deliveries = 0;
	n = x == -2 ? 0 : broker_route(b, x, m, &routed);
	snprintf(detail, sizeof detail, "%s; x-death count=%" PRIu32 "%s from %s",
	    broker_death_names[reason], count,
	    count == BROKER_DEATH_COUNT_MAX ? "+" : "", broker_qname(b, qi));
	assert(n == 0 || routed == b->targets);
	if (n > 0 && reason != BROKER_DIED_REJECTED) {
		size_t kept = broker_dl_uncycle(b, m, b->targets, n);

		if (kept == 0) {
			broker_emit(b, EV_DEAD_LETTER, ACTOR_QUEUE, m->id, 0, 0,
			    spec->dlx[0] ? spec->dlx : "(default)",
			    "dead-letter cycle: dropped");
			broker_drop(b, m->id, LOSS_DEAD_LETTER_CYCLE,
			    NOTICE_SILENT, broker_qname(b, qi));
			return;
		}
		n = kept;
	}
	if (n == 0) {
		broker_emit(b, EV_DEAD_LETTER, ACTOR_QUEUE, m->id, 0, 0,
		    spec->dlx[0] ? spec->dlx : "(default)", detail);
		broker_drop(b, m->id, loss, NOTICE_SILENT, broker_qname(b, qi));
		return;
	}
	m->exchange = x;
	broker_fan_out(b, m, routed, n, EV_DEAD_LETTER, ACTOR_QUEUE, detail, 1);
}

static int broker_next_sub(struct broker *b, int qi, int take);

/*
 * Whether full queue q (limit max >= 0) refuses the next publish: a classic
 * queue with reject-publish when it holds max; a quorum one as its
 * qq_refusing says (broker.h).
 */
static int
broker_refuses(struct broker *b, struct broker_queue *q, int64_t max)
{
	if (q->spec->overflow != OVERFLOW_REJECT_PUBLISH)
		return 0;
	if (q->type != QTYPE_QUORUM)
		return (int64_t)q->ready.len >= max;
	if (q->qq_refusing && (int64_t)q->ready.len <= max * 8 / 10)
		q->qq_refusing = 0;
	return q->qq_refusing && b->env.now(b->env.ctx) >= q->qq_told_at;
}

/*
 * A drop-head queue over `keep` ready messages drops from its head (the
 * oldest, or what was just requeued there) until `keep` are left, each
 * dead-lettered as maxlen.
 */
static void
broker_trim_head(struct broker *b, int qi, int64_t keep)
{
	struct broker_queue *q = &b->queues[qi];

	if (keep < 0 || q->spec->overflow == OVERFLOW_REJECT_PUBLISH)
		return;
	while ((int64_t)q->ready.len > keep) {
		struct broker_msg old = broker_ring_pop(&q->ready);
		broker_emit(b, EV_DROP_HEAD, ACTOR_QUEUE, old.id, 0, 0,
		    broker_qname(b, qi), "oldest message dropped");
		broker_dead_letter(b, qi, &old, BROKER_DIED_MAXLEN,
		    LOSS_DROP_HEAD);
	}
}

/*
 * After requeues into queue qi its length limit applies again. A classic
 * queue drops its head before it delivers anything (f40); a quorum queue
 * (rabbit_fifo's checkout, then its limit) first hands what it can to
 * consumers with credit, and drops what is still over the limit (seed
 * 351: a message returned by a crashed consumer, nobody to take it).
 */
static void
broker_requeued(struct broker *b, int qi)
{
	if (b->queues[qi].type == QTYPE_QUORUM)
		broker_dispatch(b, qi);
	broker_trim_head(b, qi, broker_max_length(&b->queues[qi]));
}

void
broker_enqueue(struct broker *b, int qi, struct broker_msg *m, int confirming,
    int *rejected)
{
	struct broker_queue *q = &b->queues[qi];
	int64_t max = broker_max_length(q);

	m->due = broker_due_at_entry(q, m, b->env.now(b->env.ctx));
	m->written_at = b->env.write_time ? b->env.write_time(b->env.ctx, q,
	    m->persistent, confirming) : BROKER_NEVER;
	m->seq = ++b->next_seq;
	if (max >= 0 && broker_refuses(b, q, max)) {
		*rejected = 1;
		broker_emit(b, EV_REJECT_PUBLISH, ACTOR_QUEUE, m->id, 0, 0,
		    broker_qname(b, qi), "x-overflow=reject-publish");
		broker_drop(b, m->id, LOSS_QUEUE_FULL,
		    confirming ? NOTICE_NACK : NOTICE_SILENT,
		    broker_qname(b, qi));
		return;
	}
	/* A consumer waiting on an empty queue gets the message at once, and
	   it never counts toward the limit (deliver-or-enqueue). */
	if (max >= 0 && (int64_t)q->ready.len >= max &&
	    q->spec->overflow != OVERFLOW_REJECT_PUBLISH &&
	    !(q->ready.len == 0 && broker_next_sub(b, qi, 0) >= 0)) {
		if (max == 0) {
			broker_emit(b, EV_DROP_HEAD, ACTOR_QUEUE, m->id, 0, 0,
			    broker_qname(b, qi), "x-max-length=0");
			broker_dead_letter(b, qi, m, BROKER_DIED_MAXLEN,
			    LOSS_DROP_HEAD);
			return;
		}
		broker_trim_head(b, qi, max - 1);
	}
	broker_ring_push(&q->ready, m, 0);
	broker_emit(b, EV_ENQUEUE, ACTOR_QUEUE, m->id, 0, 0,
	    broker_qname(b, qi), NULL);
	broker_arm_expiry(b, qi);
	broker_dispatch(b, qi);
	if (max >= 0 && q->type == QTYPE_QUORUM &&
	    q->spec->overflow == OVERFLOW_REJECT_PUBLISH &&
	    (int64_t)q->ready.len > max && !q->qq_refusing) {
		q->qq_refusing = 1;
		q->qq_told_at = b->env.now(b->env.ctx) + BROKER_QQ_STATUS_US;
	}
}

int64_t
broker_publish(struct broker *b, int32_t x, const struct broker_msg *m,
    const int *routed, size_t n, int confirming, int *rejected)
{
	int64_t confirm_at = b->env.now(b->env.ctx);
	int small[16], *targets = broker_targets_copy(routed, n, small, 16);

	broker_emit(b, EV_ROUTED, ACTOR_EXCHANGE, m->id, 0, (int)n,
	    broker_xname(b, x), n > 1 ? "to several queues" : NULL);
	/* Every copy counts before the first is enqueued: one refused by a
	   full queue is not the message's loss while the others live. */
	for (size_t i = 1; i < n; i++)
		broker_copy_add(b, m->id);
	for (size_t i = 0; i < n; i++) {
		struct broker_queue *q = &b->queues[targets[i]];
		struct broker_msg copy = *m;
		int rej = 0;

		broker_enqueue(b, targets[i], &copy, confirming, &rej);
		*rejected |= rej;
		/*
		 * Taken at once by a no-ack consumer: confirmed without being
		 * written (classic queues).
		 */
		if (!rej && copy.written_at != BROKER_NEVER &&
		    copy.written_at > confirm_at &&
		    !(b->noack_taken == m->id && q->type != QTYPE_QUORUM))
			confirm_at = copy.written_at;
		b->noack_taken = 0;
	}
	if (targets != small)
		free(targets);
	return confirm_at;
}

void
broker_expire_copy(struct broker *b, int qi, struct broker_msg *m)
{
	broker_emit(b, EV_EXPIRE, ACTOR_QUEUE, m->id, 0, 0, broker_qname(b, qi),
	    m->expiration >= 0 ? "per-message expiration" :
	    "queue message TTL");
	broker_dead_letter(b, qi, m, BROKER_DIED_EXPIRED, LOSS_EXPIRED);
}

void
broker_expire(struct broker *b, int qi)
{
	struct broker_queue *q = &b->queues[qi];
	int64_t now = b->env.now(b->env.ctx);

	while (q->ready.len && broker_ring_at(&q->ready, 0)->due <= now) {
		struct broker_msg m = broker_ring_pop(&q->ready);
		broker_expire_copy(b, qi, &m);
	}
	broker_arm_expiry(b, qi);
}

int
broker_timer(struct broker *b, const struct sched_timer *t)
{
	int qi = (int)t->a;

	if (t->kind != b->env.expiry_kind)
		return 0;
	if (t->gen != b->gen || !b->up || (size_t)qi >= b->nqueues)
		return 1;
	if (b->queues[qi].expiry_due == t->due)
		b->queues[qi].expiry_due = BROKER_NEVER;
	broker_expire(b, qi);
	return 1;
}

void
broker_requeue(struct broker *b, int qi, struct broker_msg *m)
{
	struct broker_queue *q = &b->queues[qi];

	m->redelivered = 1;
	if (q->type == QTYPE_QUORUM && q->spec->delivery_limit >= 0 &&
	    m->deliveries > q->spec->delivery_limit) {
		broker_dead_letter(b, qi, m, BROKER_DIED_DELIVERY_LIMIT,
		    LOSS_DELIVERY_LIMIT);
		return;
	}
	broker_ring_push(&q->ready, m, 1);
	broker_emit(b, EV_REQUEUE, ACTOR_QUEUE, m->id, 0, 0,
	    broker_qname(b, qi), NULL);
	/* It may expire before what was at the head. */
	broker_arm_expiry(b, qi);
}

/* ---- deliveries ------------------------------------------------------------------ */

int
broker_sub_has_credit(const struct broker *b, int si)
{
	int64_t prefetch = b->toggles[TOGGLE_PREFETCH];
	const struct broker_sub *s = &b->subs[si];

	/* basic.qos does not limit a no-ack consumer. */
	if (s->ack_mode == ACK_NONE || prefetch == 0)
		return 1;
	return (int64_t)s->unacked.len < prefetch;
}

static int
broker_can_take(struct broker *b, int si)
{
	return b->env.can_take(b->env.ctx, si) && broker_sub_has_credit(b, si);
}

/*
 * The next subscription of queue qi that can take a copy, round robin
 * (moving the turn on past it when `take`), or -1.
 */
static int
broker_next_sub(struct broker *b, int qi, int take)
{
	struct broker_queue *q = &b->queues[qi];

	if (b->env.can_take == NULL || !b->up || !q->exists)
		return -1;
	for (size_t i = 0; i < b->nsubs; i++) {
		size_t si = (q->rr + i) % b->nsubs;
		if (b->subs[si].queue == qi && broker_can_take(b, (int)si)) {
			if (take)
				q->rr = (q->rr + i + 1) % b->nsubs;
			return (int)si;
		}
	}
	return -1;
}

void
broker_dispatch(struct broker *b, int qi)
{
	struct broker_queue *q = &b->queues[qi];

	if (b->env.can_take == NULL || !b->up || !q->exists)
		return;
	while (q->ready.len) {
		int si = broker_next_sub(b, qi, 1);
		struct broker_sub *s;
		struct broker_msg m;
		char detail[48];
		const char *dp = NULL;

		if (si < 0)
			break;
		if (broker_ring_at(&q->ready, 0)->due <= b->env.now(b->env.ctx)) {
			broker_expire(b, qi);
			continue;
		}
		s = &b->subs[si];
		m = broker_ring_pop(&q->ready);
		m.tag = ++s->next_tag;
		m.noack = s->ack_mode == ACK_NONE;
		m.deliveries++;
		if (q->type == QTYPE_QUORUM && m.deliveries > 1) {
			snprintf(detail, sizeof detail, "x-delivery-count=%u",
			    (unsigned)(m.deliveries - 1));
			dp = detail;
		}
		broker_emit(b, EV_DELIVER, ACTOR_QUEUE, m.id, 0, m.redelivered,
		    b->topo->consumers[si].name, dp);
		if (s->ack_mode != ACK_NONE) {
			broker_ring_push(&s->unacked, &m, 0);
			q->unacked++;
		} else
			b->noack_taken = m.id;
		b->env.deliver(b->env.ctx, si, qi, &m);
	}
	broker_arm_expiry(b, qi);
}

struct broker_msg
broker_take(struct broker *b, int si, uint32_t id, uint32_t msgid,
    uint32_t tag, int noack, int redelivered)
{
	struct broker_sub *s = &b->subs[si];
	struct broker_queue *q = &b->queues[s->queue];
	struct broker_msg m;
	size_t i;

	for (i = 0; i < q->ready.len; i++)
		if (broker_ring_at(&q->ready, i)->id == id)
			break;
	if (i < q->ready.len) {
		m = broker_ring_take(&q->ready, i);
		if (i == 0) {
			q->expiry_due = BROKER_NEVER;
			broker_arm_expiry(b, s->queue);
		}
	} else {
		/* The model lost track; the broker knows better. */
		memset(&m, 0, sizeof m);
		m.id = id;
		m.expiration = -1;
		m.due = BROKER_NEVER;
		m.written_at = BROKER_NEVER;
		broker_copy_add(b, id);
	}
	m.msgid = msgid;
	m.tag = tag;
	m.noack = (uint8_t)noack;
	m.redelivered = (uint8_t)redelivered;
	m.deliveries++;
	if (!noack) {
		broker_ring_push(&s->unacked, &m, 0);
		q->unacked++;
	}
	return m;
}

void
broker_settle(struct broker *b, int si, enum event_kind kind, uint32_t tag,
    int requeue)
{
	struct broker_sub *s = &b->subs[si];
	int qi = s->queue;
	struct broker_msg m;
	size_t i;

	for (i = 0; i < s->unacked.len; i++)
		if (broker_ring_at(&s->unacked, i)->tag == tag)
			break;
	if (i == s->unacked.len)
		return; /* settled by a reconnect already */
	m = broker_ring_take(&s->unacked, i);
	if (b->queues[qi].unacked)
		b->queues[qi].unacked--;
	if (kind == EV_ACK) {
		if (!(requeue & 2))
			broker_copy_done(b, m.id);
	} else if (requeue & 1) {
		broker_requeue(b, qi, &m);
		broker_requeued(b, qi);
	} else
		broker_dead_letter(b, qi, &m, BROKER_DIED_REJECTED,
		    LOSS_REJECTED);
	broker_dispatch(b, qi);
}

void
broker_requeue_unacked(struct broker *b, int si)
{
	struct broker_sub *s = &b->subs[si];
	struct broker_queue *q = &b->queues[s->queue];

	/* Newest first to the head, so the oldest ends up first. */
	while (s->unacked.len) {
		struct broker_msg m = *broker_ring_at(&s->unacked,
		    s->unacked.len - 1);
		s->unacked.len--;
		if (q->unacked)
			q->unacked--;
		if (!q->exists)
			broker_drop(b, m.id, LOSS_QUEUE_DELETED, NOTICE_SILENT,
			    broker_qname(b, s->queue));
		else if (b->up)
			broker_requeue(b, s->queue, &m);
		else {
			/* Going down: the survival rules decide. */
			m.redelivered = 1;
			broker_ring_push(&q->ready, &m, 1);
		}
	}
	if (q->exists && b->up)
		broker_requeued(b, s->queue);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

/*
 * Measured on 3.10.8: a quorum queue younger than about 0.95 s at kill -9
 * (lost at 0.92 s of age, kept from 0.97 s) comes back without its Raft
 * member ("running pre init for 0 registered servers", then "leader not
 * known"): its messages are gone and the queue must be declared again.
 */
#define BROKER_QQ_REGISTERED_US 950000

int
broker_young_quorum(const struct broker *b, const struct broker_queue *q)
{
	return q->type == QTYPE_QUORUM &&
	    b->env.now(b->env.ctx) - q->declared_at < BROKER_QQ_REGISTERED_US;
}

void
broker_down(struct broker *b, int clean)
{
	b->up = 0;
	b->down_clean = clean;
	b->gen++;
}

void
broker_survive(struct broker *b,
    enum broker_fate (*fate)(void *ctx, const struct broker_queue *q,
    const struct broker_msg *m))
{
	for (size_t qi = 0; qi < b->nqueues; qi++) {
		struct broker_queue *q = &b->queues[qi];
		struct broker_ring keep = { 0 };

		q->expiry_due = BROKER_NEVER;
		if (!q->exists)
			continue;
		while (q->ready.len) {
			struct broker_msg m = broker_ring_pop(&q->ready);
			if (fate(b->env.ctx, q, &m) == BROKER_KEEP)
				broker_ring_push(&keep, &m, 0);
			else
				broker_drop(b, m.id, LOSS_BROKER_CRASH,
				    NOTICE_SILENT, broker_qname(b, (int)qi));
		}
		broker_ring_free(&q->ready);
		q->ready = keep;
		q->unacked = 0;
		/* Policies are definitions: they outlive the node (f35). */
		if (!q->durable) {
			q->exists = 0;
			broker_emit(b, EV_QUEUE_DELETED, ACTOR_BROKER, 0, 0, 0,
			    broker_qname(b, (int)qi), "not durable");
		}
	}
	for (size_t i = 0; i < b->nexchanges; i++)
		if (b->exchanges[i].exists && !b->exchanges[i].durable) {
			b->exchanges[i].exists = 0;
			b->exchanges[i].gone = 1;
			broker_emit(b, EV_EXCHANGE_DELETED, ACTOR_BROKER, 0, 0,
			    0, b->exchanges[i].name, "not durable");
		}
	for (size_t i = 0; i < b->nbindings; i++) {
		struct broker_binding *bd = &b->bindings[i];
		if (!b->exchanges[bd->exchange].exists ||
		    !b->queues[bd->queue].exists)
			bd->exists = 0;
	}
}

void
broker_up(struct broker *b)
{
	b->up = 1;
	broker_emit(b, EV_START, ACTOR_BROKER, 0, 0, 0, NULL, NULL);
	for (size_t qi = 0; qi < b->nqueues; qi++) {
		struct broker_queue *q = &b->queues[qi];
		/*
		 * After kill -9 a classic queue cannot tell which messages it
		 * had delivered, so it flags every recovered one redelivered;
		 * after a clean stop, and in a quorum queue, the flag stays
		 * as it was (measured).
		 */
		for (size_t i = 0; !b->down_clean && q->type != QTYPE_QUORUM &&
		    i < q->ready.len; i++)
			broker_ring_at(&q->ready, i)->redelivered = 1;
		if (q->leaderless) {
			q->leaderless = 0;
			q->declared_at = b->env.now(b->env.ctx);
			broker_emit(b, EV_FAILURE, ACTOR_BROKER, 0, 0, 0,
			    broker_qname(b, (int)qi), BROKER_QQ_LEADERLESS);
		}
		broker_arm_expiry(b, (int)qi);
	}
}
