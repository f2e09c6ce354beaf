/*
 * The script loader's topology: exchanges, queues, bindings, consumers and
 * the publish and error targets, each checked against RabbitMQ's rules
 * (reserved names, quorum queues, headers arguments, the delayed-message
 * exchange) and against what the script declares, so every name a step
 * uses later can be looked up among the declared ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_loader.h"
#include "util/xmalloc.h"

static const char *const script_topo_keys[] = { "exchanges", "queues",
	"bindings", "consumers", "publish", "error", NULL };
static const char *const script_exchange_keys[] = { "name", "type",
	"durable", "delayed_type", NULL };
static const char *const script_queue_keys[] = { "name", "type", "durable",
	"ttl_ms", "dead_letter_exchange", "dead_letter_routing_key",
	"max_length", "overflow", "delivery_limit", "role", NULL };
static const char *const script_binding_keys[] = { "exchange", "queue",
	"key", "match", "args", NULL };
static const char *const script_consumer_keys[] = { "name", "queue",
	"effect", NULL };
static const char *const script_target_keys[] = { "exchange", "key", NULL };

/* In the order of enum exchange_type, x-delayed-message last. */
static const char *const script_xtype_names[] = { "direct", "fanout",
	"topic", "headers", "x-delayed-message", NULL };
static const char *const script_routing_names[] = { "direct", "fanout",
	"topic", "headers", NULL };
/* In the order of QTYPE_*, OVERFLOW_*, QROLE_*. */
static const char *const script_qtype_names[] = { "classic", "lazy",
	"quorum", NULL };
static const char *const script_overflow_names[] = { "drop-head",
	"reject-publish", NULL };
static const char *const script_role_names[] = { "work", "dead", "error",
	"delay", NULL };
static const char *const script_match_names[] = { "any", "all", NULL };

/* ---------------------------------------------------------------------- */
/* Names the script declares                                               */

/*
 * Does `name` name a declared `kind` (exchange, queue, consumer), one of
 * `names`? Reports it otherwise, against setting `s`.
 */
static int
script_declared(struct script_loader *ld, const config_setting_t *s,
    const char *kind, const char *name, const char *const *names)
{
	static const char *const none[] = { NULL };

	if (names == NULL)
		names = none;
	if (script_has(names, name))
		return 1;
	if (ld->full)
		return 0;
	if (script_suggest(name, names))
		script_report(ld, s, "undeclared %s '%s'%s", kind,
		    SCRIPT_CLIP(name), SCRIPT_MEAN(name, names));
	else if (names[0] == NULL)
		script_report(ld, s, "undeclared %s '%s'; the topology "
		    "declares no %ss", kind, SCRIPT_CLIP(name), kind);
	else
		script_report(ld, s, "undeclared %s '%s'; declared %ss: %s",
		    kind, SCRIPT_CLIP(name), kind, SCRIPT_JOIN(names));
	return 0;
}

const struct topo_exchange *
script_exchange(const struct script_loader *ld, const char *name)
{
	const struct topology *t = &ld->s->topo;

	for (size_t i = 0; i < t->nexchanges; i++)
		if (strcmp(t->exchanges[i].name, name) == 0)
			return &t->exchanges[i];
	return NULL;
}

/* The type an exchange routes by: a delayed one routes as delayed_type. */
static enum exchange_type
script_routing(const struct topo_exchange *x)
{
	return x->type == XTYPE_DELAYED ? x->delayed_type : x->type;
}

/* A string naming "" or a declared exchange; reported otherwise. */
int
script_exchange_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int allow_default, const char **out)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	const char *v;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_SHORT, &v) < 0)
		return -1;
	if (*v == '\0') {
		if (allow_default) {
			*out = v;
			return 1;
		}
		script_report(ld, s, "'%s' cannot be \"\" (the default "
		    "exchange) here; name a declared exchange", key);
		return -1;
	}
	if (!script_declared(ld, s, "exchange", v, ld->xnames))
		return -1;
	*out = v;
	return 1;
}

/* A string naming a declared queue or consumer; reported otherwise. */
int
script_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where, const char *kind,
    const char *const *names, const char **out)
{
	const config_setting_t *s = script_get(ld, g, key, required, where);
	const char *v;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_SHORT, &v) < 0)
		return -1;
	if (!script_declared(ld, s, kind, v, names))
		return -1;
	*out = v;
	return 1;
}

/*
 * A name for a new exchange, queue or consumer: required, one line, at
 * most 255 bytes, not reserved by RabbitMQ, not declared before among
 * `prev` (n of them, with their lines). Returns the name or NULL.
 */
static const char *
script_new_name(struct script_loader *ld, const config_setting_t *g,
    const char *kind, const char *where, const char *const *prev,
    const int *lines, size_t n)
{
	const config_setting_t *s = script_get(ld, g, "name", 1, where);
	const char *v;

	if (s == NULL || script_str_of(ld, s, NULL,
	    SCRIPT_STR_NONEMPTY | SCRIPT_STR_SHORT, &v) < 0)
		return NULL;
	if (strcmp(kind, "consumer") != 0 && strncmp(v, "amq.", 4) == 0) {
		script_report(ld, s, "%s name '%s' starts with 'amq.', which "
		    "RabbitMQ reserves for itself", kind, SCRIPT_CLIP(v));
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(prev[i], v) == 0) {
			script_report(ld, s, "duplicate %s name '%s' (first "
			    "declared on line %d)", kind, SCRIPT_CLIP(v),
			    lines[i]);
			return NULL;
		}
	return v;
}


/* ---------------------------------------------------------------------- */
/* Topology                                                                 */

static void
script_exchanges(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->exchanges = xcalloc((size_t)n, sizeof *t->exchanges);
	ld->xnames = xcalloc((size_t)n + 1, sizeof *ld->xnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ts, *ds;
		struct topo_exchange x = { .durable = -1 };
		int lines[SCRIPT_MAX_DECLS], type = -1, dtype = XTYPE_DIRECT;
		char where[48];
		const char *name;
		int ok = 1;

		snprintf(where, sizeof where, "exchange %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		for (size_t k = 0; k < t->nexchanges; k++)
			lines[k] = t->exchanges[k].line;
		name = script_new_name(ld, g, "exchange", where, ld->xnames,
		    lines, t->nexchanges);
		if (name)
			snprintf(where, sizeof where, "exchange '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_exchange_keys, where);
		ts = script_get(ld, g, "type", 1, where);
		if (ts && script_choice_of(ld, ts, NULL, script_xtype_names,
		    "exchange type", &type) < 0)
			ok = 0;
		if (script_bool(ld, g, "durable", &x.durable) < 0)
			ok = 0;
		ds = config_setting_get_member(g, "delayed_type");
		if (ds && type >= 0 && type != XTYPE_DELAYED) {
			script_report(ld, ds, "'delayed_type' applies only to "
			    "exchanges of type x-delayed-message");
			ok = 0;
		} else if (ds && script_choice_of(ld, ds, NULL,
		    script_routing_names, NULL, &dtype) < 0)
			ok = 0;
		if (type == XTYPE_DELAYED && !ld->s->sim_only) {
			script_report(ld, ts, "exchange type x-delayed-message "
			    "needs sim_only = true: the delayed-message plugin "
			    "does not ship with Debian's RabbitMQ");
			ok = 0;
		}
		if (!ok || name == NULL || type < 0)
			continue;
		x.name = xstrdup(name);
		x.type = (enum exchange_type)type;
		x.delayed_type = (enum exchange_type)dtype;
		x.line = script_src_line(ld, g);
		ld->xnames[t->nexchanges] = x.name;
		t->exchanges[t->nexchanges++] = x;
	}
}

static void
script_queues(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->queues = xcalloc((size_t)n, sizeof *t->queues);
	ld->qnames = xcalloc((size_t)n + 1, sizeof *ld->qnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ls;
		struct topo_queue q;
		int lines[SCRIPT_MAX_DECLS], v, ok = 1;
		const char *name, *dlx = NULL, *dlrk = NULL;
		char where[48];

		snprintf(where, sizeof where, "queue %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		topology_queue_init(&q);
		for (size_t k = 0; k < t->nqueues; k++)
			lines[k] = t->queues[k].line;
		name = script_new_name(ld, g, "queue", where, ld->qnames, lines,
		    t->nqueues);
		if (name)
			snprintf(where, sizeof where, "queue '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_queue_keys, where);
		if (script_choice(ld, g, "type", script_qtype_names,
		    "queue type", &q.type) < 0)
			ok = 0;
		if (script_bool(ld, g, "durable", &q.durable) < 0)
			ok = 0;
		if (script_int(ld, g, "ttl_ms", 0, SCRIPT_U32_MAX, &q.ttl_ms) < 0)
			ok = 0;
		if (script_exchange_ref(ld, g, "dead_letter_exchange", 1,
		    &dlx) < 0)
			ok = 0;
		if (script_str(ld, g, "dead_letter_routing_key",
		    SCRIPT_STR_SHORT, &dlrk) < 0)
			ok = 0;
		if (script_int(ld, g, "max_length", 0, INT32_MAX,
		    &q.max_length) < 0)
			ok = 0;
		v = OVERFLOW_DROP_HEAD;
		if (script_choice(ld, g, "overflow", script_overflow_names,
		    NULL, &v) < 0)
			ok = 0;
		q.overflow = (enum queue_overflow)v;
		ls = config_setting_get_member(g, "delivery_limit");
		if (ls && script_int_of(ld, ls, NULL, 1, INT32_MAX,
		    &q.delivery_limit) < 0)
			ok = 0;
		if (ls && q.type != QTYPE_QUORUM) {
			script_report(ld, ls, "'delivery_limit' needs type = "
			    "\"quorum\": only quorum queues count deliveries");
			ok = 0;
		}
		if (q.type == QTYPE_QUORUM && q.durable == 0) {
			script_report(ld, config_setting_get_member(g,
			    "durable"), "a quorum queue is always durable; "
			    "remove durable = false");
			ok = 0;
		}
		v = QROLE_WORK;
		if (script_choice(ld, g, "role", script_role_names, NULL,
		    &v) < 0)
			ok = 0;
		q.role = (enum queue_role)v;
		if (!ok || name == NULL)
			continue;
		q.name = xstrdup(name);
		q.dlx = dlx ? xstrdup(dlx) : NULL;
		q.dlrk = dlrk ? xstrdup(dlrk) : NULL;
		q.line = script_src_line(ld, g);
		ld->qnames[t->nqueues] = q.name;
		t->queues[t->nqueues++] = q;
	}
}

/*
 * Group `s` of string values (binding args, publish headers) into a new
 * array of pairs. Returns the count; *out is NULL when it is 0.
 */
size_t
script_pairs(struct script_loader *ld, const config_setting_t *s,
    struct topo_kv **out)
{
	int n = config_setting_length(s);
	size_t count = 0;

	*out = NULL;
	if (!script_is_group(ld, s, NULL) || n == 0)
		return 0;
	*out = xcalloc((size_t)n, sizeof **out);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(s,
		    (unsigned)i);
		const char *v;

		if (script_str_of(ld, m, NULL, 0, &v) < 0)
			continue;
		(*out)[count].key = xstrdup(config_setting_name(m));
		(*out)[count].value = xstrdup(v);
		count++;
	}
	return count;
}

void
script_free_pairs(struct topo_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
script_bindings(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->bindings = xcalloc((size_t)n, sizeof *t->bindings);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const config_setting_t *ms, *as;
		const struct topo_exchange *x = NULL;
		const char *xname = NULL, *qname = NULL, *key = "";
		struct topo_binding b = { .match_all = 1 };
		int ok = 1, match = 1, headers;
		char where[48];

		snprintf(where, sizeof where, "binding %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		script_keys(ld, g, script_binding_keys, where);
		if (script_get(ld, g, "exchange", 1, where) == NULL ||
		    script_exchange_ref(ld, g, "exchange", 0, &xname) < 0)
			ok = 0;
		else
			x = script_exchange(ld, xname);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &qname) <= 0)
			ok = 0;
		if (script_str(ld, g, "key", SCRIPT_STR_SHORT, &key) < 0)
			ok = 0;
		headers = x && script_routing(x) == XTYPE_HEADERS;
		ms = config_setting_get_member(g, "match");
		as = config_setting_get_member(g, "args");
		if (x && !headers && (ms || as)) {
			script_report(ld, ms ? ms : as, "'%s' applies only to "
			    "headers exchanges; '%s' is %s", ms ? "match" :
			    "args", SCRIPT_CLIP(x->name),
			    topology_exchange_type_name(script_routing(x)));
			ok = 0;
		}
		if (ms && script_choice_of(ld, ms, NULL, script_match_names,
		    NULL, &match) < 0)
			ok = 0;
		if (as)
			b.nargs = script_pairs(ld, as, &b.args);
		if (!ok) {
			script_free_pairs(b.args, b.nargs);
			continue;
		}
		b.exchange = xstrdup(xname);
		b.queue = xstrdup(qname);
		b.key = xstrdup(key);
		b.match_all = match;
		b.line = script_src_line(ld, g);
		t->bindings[t->nbindings++] = b;
	}
}

static void
script_consumers(struct script_loader *ld, const config_setting_t *list)
{
	struct topology *t = &ld->s->topo;
	int n;

	if (!script_is_list(ld, list, 0, SCRIPT_MAX_DECLS))
		return;
	n = config_setting_length(list);
	t->consumers = xcalloc((size_t)n, sizeof *t->consumers);
	ld->cnames = xcalloc((size_t)n + 1, sizeof *ld->cnames);
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		struct topo_consumer c;
		struct script_text effect = { NULL, NULL };
		int lines[SCRIPT_MAX_DECLS];
		const char *name, *queue = NULL;
		char where[48];

		snprintf(where, sizeof where, "consumer %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		for (size_t k = 0; k < t->nconsumers; k++)
			lines[k] = t->consumers[k].line;
		name = script_new_name(ld, g, "consumer", where, ld->cnames,
		    lines, t->nconsumers);
		if (name)
			snprintf(where, sizeof where, "consumer '%s'",
			    SCRIPT_CLIP(name));
		script_keys(ld, g, script_consumer_keys, where);
		script_text(ld, g, "effect", 0, where, &effect);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &queue) <= 0 || name == NULL) {
			free(effect.en);
			free(effect.zh);
			continue;
		}
		c.name = xstrdup(name);
		c.queue = xstrdup(queue);
		c.effect_en = effect.en;
		c.effect_zh = effect.zh;
		c.line = script_src_line(ld, g);
		ld->cnames[t->nconsumers] = c.name;
		t->consumers[t->nconsumers++] = c;
	}
}

/* publish = { exchange; key; } and error = { exchange; key; }. */
static void
script_target(struct script_loader *ld, const config_setting_t *g,
    const char *what, char **exchange, char **key)
{
	const char *x = "", *k = "";
	int isdefault = strcmp(what, "publish") == 0;

	if (!script_is_group(ld, g, NULL))
		return;
	script_keys(ld, g, script_target_keys, what);
	if (!isdefault && script_get(ld, g, "exchange", 1, what) == NULL)
		return;
	if (script_exchange_ref(ld, g, "exchange", isdefault, &x) < 0 ||
	    script_str(ld, g, "key", SCRIPT_STR_SHORT, &k) < 0)
		return;
	free(*exchange);
	free(*key);
	*exchange = xstrdup(x);
	*key = xstrdup(k);
}

void
script_topology(struct script_loader *ld, const config_setting_t *root)
{
	struct topology *t = &ld->s->topo;
	const config_setting_t *g, *s;

	t->publish_exchange = xstrdup("");
	t->publish_key = xstrdup("");
	g = script_get(ld, root, "topology", 1, "the script");
	if (g == NULL || !script_is_group(ld, g, NULL))
		return;
	script_keys(ld, g, script_topo_keys, "topology");
	/* In dependency order, whatever the order in the file. */
	if ((s = config_setting_get_member(g, "exchanges")) != NULL)
		script_exchanges(ld, s);
	if ((s = config_setting_get_member(g, "queues")) != NULL)
		script_queues(ld, s);
	if ((s = config_setting_get_member(g, "bindings")) != NULL)
		script_bindings(ld, s);
	if ((s = config_setting_get_member(g, "consumers")) != NULL)
		script_consumers(ld, s);
	if ((s = config_setting_get_member(g, "publish")) != NULL)
		script_target(ld, s, "publish", &t->publish_exchange,
		    &t->publish_key);
	if ((s = config_setting_get_member(g, "error")) != NULL)
		script_target(ld, s, "error", &t->error_exchange,
		    &t->error_key);
}
