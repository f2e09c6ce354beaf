/*
 * Topology values: names of exchange types, deep copies and freeing. The
 * script loader builds topologies; engines copy the one they are given.
 */
#include "model/topology.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

static const char *const topology_xtype_names[XTYPE_COUNT] = {
	"direct", "fanout", "topic", "headers", "x-delayed-message",
};

const char *
topology_exchange_type_name(enum exchange_type type)
{
	return (unsigned)type < XTYPE_COUNT ? topology_xtype_names[type] : "?";
}

int
topology_exchange_type_find(const char *name)
{
	for (int i = 0; i < XTYPE_COUNT; i++)
		if (strcmp(name, topology_xtype_names[i]) == 0)
			return i;
	return -1;
}

void
topology_queue_init(struct topo_queue *q)
{
	memset(q, 0, sizeof *q);
	q->type = -1;
	q->durable = -1;
	q->ttl_ms = -1;
	q->max_length = -1;
	q->delivery_limit = -1;
}

static char *
topology_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct topo_kv *
topology_kv_copy(const struct topo_kv *kv, size_t n)
{
	struct topo_kv *out;

	if (n == 0)
		return NULL;
	out = xcalloc(n, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		out[i].key = xstrdup(kv[i].key);
		out[i].value = xstrdup(kv[i].value);
	}
	return out;
}

struct topology *
topology_copy(const struct topology *src)
{
	struct topology *t = xcalloc(1, sizeof *t);
	size_t i;

	t->nexchanges = src->nexchanges;
	t->exchanges = xcalloc(src->nexchanges, sizeof *t->exchanges);
	for (i = 0; i < src->nexchanges; i++) {
		t->exchanges[i] = src->exchanges[i];
		t->exchanges[i].name = xstrdup(src->exchanges[i].name);
	}
	t->nqueues = src->nqueues;
	t->queues = xcalloc(src->nqueues, sizeof *t->queues);
	for (i = 0; i < src->nqueues; i++) {
		t->queues[i] = src->queues[i];
		t->queues[i].name = xstrdup(src->queues[i].name);
		t->queues[i].dlx = topology_dup(src->queues[i].dlx);
		t->queues[i].dlrk = topology_dup(src->queues[i].dlrk);
	}
	t->nbindings = src->nbindings;
	t->bindings = xcalloc(src->nbindings, sizeof *t->bindings);
	for (i = 0; i < src->nbindings; i++) {
		const struct topo_binding *b = &src->bindings[i];
		t->bindings[i] = *b;
		t->bindings[i].exchange = xstrdup(b->exchange);
		t->bindings[i].queue = xstrdup(b->queue);
		t->bindings[i].key = xstrdup(b->key ? b->key : "");
		t->bindings[i].args = topology_kv_copy(b->args, b->nargs);
	}
	t->nconsumers = src->nconsumers;
	t->consumers = xcalloc(src->nconsumers, sizeof *t->consumers);
	for (i = 0; i < src->nconsumers; i++) {
		t->consumers[i] = src->consumers[i];
		t->consumers[i].name = xstrdup(src->consumers[i].name);
		t->consumers[i].queue = xstrdup(src->consumers[i].queue);
		t->consumers[i].effect_en = src->consumers[i].effect_en ?
		    xstrdup(src->consumers[i].effect_en) : NULL;
		t->consumers[i].effect_zh = src->consumers[i].effect_zh ?
		    xstrdup(src->consumers[i].effect_zh) : NULL;
	}
	t->publish_exchange = xstrdup(src->publish_exchange ?
	    src->publish_exchange : "");
	t->publish_key = xstrdup(src->publish_key ? src->publish_key : "");
	t->error_exchange = topology_dup(src->error_exchange);
	t->error_key = topology_dup(src->error_key);
	return t;
}

/* Frees what `t` owns but not `t` itself (scripts embed their topology). */
void
topology_clear(struct topology *t)
{
	size_t i, j;

	for (i = 0; i < t->nexchanges; i++)
		free(t->exchanges[i].name);
	free(t->exchanges);
	for (i = 0; i < t->nqueues; i++) {
		free(t->queues[i].name);
		free(t->queues[i].dlx);
		free(t->queues[i].dlrk);
	}
	free(t->queues);
	for (i = 0; i < t->nbindings; i++) {
		free(t->bindings[i].exchange);
		free(t->bindings[i].queue);
		free(t->bindings[i].key);
		for (j = 0; j < t->bindings[i].nargs; j++) {
			free(t->bindings[i].args[j].key);
			free(t->bindings[i].args[j].value);
		}
		free(t->bindings[i].args);
	}
	free(t->bindings);
	for (i = 0; i < t->nconsumers; i++) {
		topology_consumer_clear(&t->consumers[i]);
	}
	free(t->consumers);
	free(t->publish_exchange);
	free(t->publish_key);
	free(t->error_exchange);
	free(t->error_key);
	memset(t, 0, sizeof *t);
}

void
topology_free(struct topology *t)
{
	if (t == NULL)
		return;
	topology_clear(t);
	free(t);
}

int
topology_topic_match(const char *pat, const char *key)
{
	const char *pe, *ke;
	size_t pl, kl;

	if (*pat == '\0')
		return *key == '\0';
	pe = strchr(pat, '.');
	pl = pe ? (size_t)(pe - pat) : strlen(pat);
	if (pl == 1 && pat[0] == '#') {
		const char *rest = pe ? pe + 1 : "";
		if (*rest == '\0')
			return 1;
		for (const char *k = key;;) {
			if (topology_topic_match(rest, k))
				return 1;
			ke = strchr(k, '.');
			if (ke == NULL)
				return 0;
			k = ke + 1;
		}
	}
	if (*key == '\0')
		return 0;
	ke = strchr(key, '.');
	kl = ke ? (size_t)(ke - key) : strlen(key);
	if (!(pl == 1 && pat[0] == '*') && (pl != kl || strncmp(pat, key, pl)))
		return 0;
	if (pe == NULL && ke == NULL)
		return 1;
	if (pe == NULL)
		return 0;
	if (ke == NULL) /* the key ended: only a trailing '#' is left to match */
		return strcmp(pe + 1, "#") == 0;
	return topology_topic_match(pe + 1, ke + 1);
}

int
topology_headers_match(const struct topo_binding *b, const struct topo_kv *h,
    size_t n)
{
	size_t hits = 0;

	for (size_t i = 0; i < b->nargs; i++) {
		int hit = 0;
		for (size_t j = 0; j < n && !hit; j++)
			hit = strcmp(h[j].key, b->args[i].key) == 0 &&
			    strcmp(h[j].value, b->args[i].value) == 0;
		hits += (size_t)hit;
	}
	return b->match_all ? hits == b->nargs : hits > 0;
}

/*
 * Grows array `arr` of `n` elements by one zeroed element and yields it
 * (the array may move). `arr` and `n` are evaluated more than once.
 */
#define TOPO_PUSH(arr, n) ((arr) = xrealloc((arr), ((n) + 1) * \
	sizeof *(arr)), memset(&(arr)[(n)], 0, sizeof *(arr)), &(arr)[(n)++])

struct topo_binding *
topology_add_binding(struct topology *t, const char *exchange,
    const char *queue, const char *key)
{
	struct topo_binding *b = TOPO_PUSH(t->bindings,
	    t->nbindings);

	b->exchange = xstrdup(exchange);
	b->queue = xstrdup(queue);
	b->key = xstrdup(key ? key : "");
	return b;
}

struct topo_exchange *
topology_add_exchange(struct topology *t, const char *name,
    enum exchange_type type, int durable)
{
	struct topo_exchange *x = TOPO_PUSH(t->exchanges,
	    t->nexchanges);

	x->name = xstrdup(name);
	x->type = type;
	x->delayed_type = XTYPE_DIRECT;
	x->durable = durable;
	return x;
}

void
topology_binding_arg(struct topo_binding *b, const char *key,
    const char *value)
{
	b->args = xrealloc(b->args, (b->nargs + 1) * sizeof *b->args);
	b->args[b->nargs].key = xstrdup(key);
	b->args[b->nargs].value = xstrdup(value);
	b->nargs++;
}

void
topology_consumer_clear(struct topo_consumer *c)
{
	free(c->name);
	free(c->queue);
	free(c->effect_en);
	free(c->effect_zh);
	c->name = c->queue = c->effect_en = c->effect_zh = NULL;
}

struct topo_consumer *
topology_add_consumer(struct topology *t, const char *name,
    const char *queue)
{
	struct topo_consumer *c = TOPO_PUSH(t->consumers,
	    t->nconsumers);

	c->name = xstrdup(name);
	c->queue = xstrdup(queue);
	return c;
}
