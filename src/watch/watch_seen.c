/*
 * What the watched application showed of itself (see watch_seen.h): its
 * declarations folded into a struct topology, its connections, and the
 * settings its frames reveal. A name declared again replaces the earlier
 * declaration's arguments in place.
 */
#include "watch/watch_seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#define WS_ARG 128

void
watch_seen_init(struct watch_seen *s)
{
	memset(s, 0, sizeof *s);
	s->topo.publish_exchange = xstrdup("");
	s->topo.publish_key = xstrdup("");
}

void
watch_seen_free(struct watch_seen *s)
{
	topology_clear(&s->topo);
	free(s->conns);
	memset(s, 0, sizeof *s);
}

struct watch_seen_conn *
watch_seen_conn(struct watch_seen *s, unsigned id)
{
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i].id == id)
			return &s->conns[i];
	return NULL;
}

void
watch_seen_conn_open(struct watch_seen *s, unsigned id)
{
	struct watch_seen_conn *c;

	s->conns = xgrow(s->conns, &s->conns_cap, s->nconns + 1,
	    sizeof *s->conns);
	c = &s->conns[s->nconns++];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->open = 1;
	snprintf(c->label, sizeof c->label, "c%u", id);
}

void
watch_seen_conn_named(struct watch_seen *s, unsigned id, const char *name,
    const char *product)
{
	struct watch_seen_conn *c = watch_seen_conn(s, id);

	if (c == NULL)
		return;
	if (name[0])
		snprintf(c->label, sizeof c->label, "%s", name);
	else if (product[0])
		snprintf(c->label, sizeof c->label, "%s #%u", product, id);
}

void
watch_seen_conn_end(struct watch_seen *s, unsigned id)
{
	struct watch_seen_conn *c = watch_seen_conn(s, id);

	if (c)
		c->open = 0;
}

/* ---- topology -------------------------------------------------------- */

static struct topo_exchange *
ws_exchange(struct watch_seen *s, const char *name)
{
	struct topology *t = &s->topo;

	for (size_t i = 0; i < t->nexchanges; i++)
		if (strcmp(t->exchanges[i].name, name) == 0)
			return &t->exchanges[i];
	return NULL;
}

static struct topo_queue *
ws_queue(struct watch_seen *s, const char *name)
{
	struct topology *t = &s->topo;

	for (size_t i = 0; i < t->nqueues; i++)
		if (strcmp(t->queues[i].name, name) == 0)
			return &t->queues[i];
	return NULL;
}

void
watch_seen_exchange(struct watch_seen *s, const char *name, const char *type,
    int durable)
{
	struct topology *t = &s->topo;
	struct topo_exchange *x = ws_exchange(s, name);
	int ty = topology_exchange_type_find(type);

	if (name[0] == '\0' || strncmp(name, "amq.", 4) == 0)
		return; /* predeclared: not the application's */
	if (x == NULL) {
		t->exchanges = xrealloc(t->exchanges,
		    (t->nexchanges + 1) * sizeof *t->exchanges);
		x = &t->exchanges[t->nexchanges++];
		memset(x, 0, sizeof *x);
		x->name = xstrdup(name);
	}
	x->type = ty >= 0 && ty != XTYPE_DELAYED ? (enum exchange_type)ty :
	    XTYPE_DIRECT;
	x->durable = durable;
	s->version++;
}

/* The value of `key` in `args`: an integer (1, *iv) or a string (2, into
 * sv), 0 when absent or of another kind. */
static int
ws_arg(const amqp_table_t *args, const char *key, int64_t *iv, char *sv,
    size_t len)
{
	size_t kl = strlen(key);

	for (int i = 0; args && i < args->num_entries; i++) {
		const amqp_table_entry_t *e = &args->entries[i];
		const amqp_field_value_t *v = &e->value;
		if (e->key.len != kl || memcmp(e->key.bytes, key, kl) != 0)
			continue;
		switch (v->kind) {
		case AMQP_FIELD_KIND_I8: *iv = v->value.i8; return 1;
		case AMQP_FIELD_KIND_U8: *iv = v->value.u8; return 1;
		case AMQP_FIELD_KIND_I16: *iv = v->value.i16; return 1;
		case AMQP_FIELD_KIND_U16: *iv = v->value.u16; return 1;
		case AMQP_FIELD_KIND_I32: *iv = v->value.i32; return 1;
		case AMQP_FIELD_KIND_U32: *iv = v->value.u32; return 1;
		case AMQP_FIELD_KIND_I64: *iv = v->value.i64; return 1;
		case AMQP_FIELD_KIND_U64:
			*iv = v->value.u64 > INT64_MAX ? INT64_MAX :
			    (int64_t)v->value.u64;
			return 1;
		case AMQP_FIELD_KIND_UTF8:
		case AMQP_FIELD_KIND_BYTES: {
			size_t n = v->value.bytes.len < len - 1 ?
			    v->value.bytes.len : len - 1;
			memcpy(sv, v->value.bytes.bytes, n);
			sv[n] = '\0';
			/* Only printable names go on: they reach scripts. */
			for (size_t k = 0; k < n; k++)
				if ((unsigned char)sv[k] < 0x20 || sv[k] == 0x7f)
					sv[k] = '?';
			return 2;
		}
		default:
			return 0;
		}
	}
	return 0;
}

static void ws_roles(struct watch_seen *s);

static void
ws_set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

void
watch_seen_queue(struct watch_seen *s, const char *name, int durable,
    const amqp_table_t *args)
{
	struct topology *t = &s->topo;
	struct topo_queue *q = ws_queue(s, name);
	char sv[WS_ARG];
	int64_t iv;

	if (name[0] == '\0')
		return; /* server-named: its name comes later; not followed */
	if (q == NULL) {
		t->queues = xrealloc(t->queues,
		    (t->nqueues + 1) * sizeof *t->queues);
		q = &t->queues[t->nqueues++];
		topology_queue_init(q);
		q->name = xstrdup(name);
	}
	q->durable = durable;
	q->type = QTYPE_CLASSIC;
	if (ws_arg(args, "x-queue-type", &iv, sv, sizeof sv) == 2 &&
	    strcmp(sv, "quorum") == 0)
		q->type = QTYPE_QUORUM;
	q->ttl_ms = ws_arg(args, "x-message-ttl", &iv, sv, sizeof sv) == 1 &&
	    iv >= 0 ? iv : -1;
	q->max_length = ws_arg(args, "x-max-length", &iv, sv, sizeof sv) ==
	    1 && iv >= 0 ? iv : -1;
	q->overflow = ws_arg(args, "x-overflow", &iv, sv, sizeof sv) == 2 &&
	    strcmp(sv, "reject-publish") == 0 ? OVERFLOW_REJECT_PUBLISH :
	    OVERFLOW_DROP_HEAD;
	q->delivery_limit = q->type == QTYPE_QUORUM && ws_arg(args,
	    "x-delivery-limit", &iv, sv, sizeof sv) == 1 && iv >= 0 ? iv : -1;
	ws_set_str(&q->dlx, ws_arg(args, "x-dead-letter-exchange", &iv, sv,
	    sizeof sv) == 2 ? sv : NULL);
	ws_set_str(&q->dlrk, q->dlx && ws_arg(args,
	    "x-dead-letter-routing-key", &iv, sv, sizeof sv) == 2 ? sv : NULL);
	ws_roles(s);
	s->version++;
}

/* A queue bound to an exchange some queue dead-letters to is a
 * dead-letter queue: what reaches it was dead-lettered. */
static void
ws_roles(struct watch_seen *s)
{
	struct topology *t = &s->topo;

	for (size_t i = 0; i < t->nqueues; i++) {
		t->queues[i].role = QROLE_WORK;
		for (size_t b = 0; b < t->nbindings; b++) {
			if (strcmp(t->bindings[b].queue, t->queues[i].name))
				continue;
			for (size_t k = 0; k < t->nqueues; k++)
				if (t->queues[k].dlx && strcmp(t->queues[k].dlx,
				    t->bindings[b].exchange) == 0)
					t->queues[i].role = QROLE_DEAD;
		}
	}
}

void
watch_seen_bind(struct watch_seen *s, const char *queue, const char *exchange,
    const char *key)
{
	struct topology *t = &s->topo;

	if (ws_exchange(s, exchange) == NULL || ws_queue(s, queue) == NULL)
		return; /* the default or a predeclared exchange, or a queue
			   the lab did not see declared */
	for (size_t i = 0; i < t->nbindings; i++)
		if (strcmp(t->bindings[i].queue, queue) == 0 &&
		    strcmp(t->bindings[i].exchange, exchange) == 0 &&
		    strcmp(t->bindings[i].key, key) == 0)
			return;
	(void)topology_add_binding(t, exchange, queue, key);
	ws_roles(s);
	s->version++;
}

void
watch_seen_consume(struct watch_seen *s, unsigned id, const char *queue,
    int no_ack)
{
	struct topology *t = &s->topo;
	struct watch_seen_conn *c = watch_seen_conn(s, id);
	struct topo_consumer *k;
	char *name;

	s->app.no_ack = no_ack;
	s->app.ack_seen = 1;
	if (c == NULL || queue[0] == '\0')
		return;
	c->consumes = 1;
	name = xasprintf("%s %s", c->label, queue);
	for (size_t i = 0; i < t->nconsumers; i++)
		if (strcmp(t->consumers[i].name, name) == 0) {
			free(name);
			return;
		}
	t->consumers = xrealloc(t->consumers,
	    (t->nconsumers + 1) * sizeof *t->consumers);
	k = &t->consumers[t->nconsumers++];
	memset(k, 0, sizeof *k);
	k->name = name;
	k->queue = xstrdup(queue);
	/* The event log names its work as the wire shows it, not as the
	 * lessons' payment story. */
	k->effect_en = xstrdup(no_ack ? "handed to the application" :
	    "acked by the application");
	k->effect_zh = xstrdup(no_ack ? "已交给应用" : "应用已确认");
	s->version++;
}

void
watch_seen_publish(struct watch_seen *s, unsigned id, const char *exchange,
    const char *key, int mandatory, int persistent, int confirm)
{
	struct watch_seen_conn *c = watch_seen_conn(s, id);

	if (c)
		c->published++;
	s->app.mandatory = mandatory;
	s->app.mandatory_seen = 1;
	s->app.persistent = persistent;
	s->app.persistent_seen = 1;
	s->app.confirms = confirm;
	s->app.confirms_seen = 1;
	if (strcmp(s->topo.publish_exchange, exchange) != 0 ||
	    strcmp(s->topo.publish_key, key) != 0) {
		ws_set_str(&s->topo.publish_exchange, exchange);
		ws_set_str(&s->topo.publish_key, key);
		s->version++;
	}
}

void
watch_seen_toggles(const struct watch_seen *s, int64_t v[TOGGLE_COUNT])
{
	const struct watch_seen_app *a = &s->app;

	if (a->confirms_seen)
		v[TOGGLE_CONFIRMS] = a->confirms ? 3 : 0;
	if (a->mandatory_seen)
		v[TOGGLE_MANDATORY] = a->mandatory;
	if (a->persistent_seen)
		v[TOGGLE_PERSISTENT] = a->persistent;
	if (a->ack_seen)
		v[TOGGLE_ACK_MODE] = a->no_ack ? 0 : 1;
	if (a->prefetch_seen)
		v[TOGGLE_PREFETCH] = a->prefetch;
	if (s->topo.nqueues && s->topo.queues[0].durable >= 0)
		v[TOGGLE_DURABLE_QUEUE] = s->topo.queues[0].durable;
	if (s->topo.nqueues && s->topo.queues[0].type >= 0)
		v[TOGGLE_QUEUE_TYPE] = s->topo.queues[0].type;
	if (s->topo.nexchanges && s->topo.exchanges[0].durable >= 0)
		v[TOGGLE_DURABLE_EXCHANGE] = s->topo.exchanges[0].durable;
}
