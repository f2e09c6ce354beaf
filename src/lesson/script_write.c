/*
 * The script writer (script_write.h): text the loader reads back as the
 * same topology and toggles.
 */
#include "lesson/script_write.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

void
script_write_init(struct script_write_buf *b)
{
	b->cap = 4096;
	b->s = xmalloc(b->cap);
	b->s[0] = '\0';
	b->len = 0;
}

void
script_write_put(struct script_write_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 64;
		b->s = xrealloc(b->s, b->cap);
	}
	b->len += (size_t)n;
}

void
script_write_str(struct script_write_buf *b, const char *s)
{
	script_write_put(b, "\"");
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			script_write_put(b, "\\%c", *s);
		else if (*s == '\n')
			script_write_put(b, "\\n");
		else if (*s == '\t')
			script_write_put(b, "\\t");
		else
			script_write_put(b, "%c", *s);
	}
	script_write_put(b, "\"");
}

void
script_write_toggle(struct script_write_buf *b, enum toggle_id id,
    int64_t value)
{
	const struct toggle_info *ti = toggle_info(id);
	char val[64];

	toggle_format(id, value, val, sizeof val);
	script_write_put(b, ti->type == TOGGLE_ENUM ? " %s = \"%s\";" :
	    " %s = %s;", ti->name, val);
}

/* " key = "value";" */
static void
script_write_kv(struct script_write_buf *b, const char *key, const char *v)
{
	script_write_put(b, " %s = ", key);
	script_write_str(b, v);
	script_write_put(b, ";");
}

static void
script_write_exchanges(struct script_write_buf *b, const struct topology *t)
{
	for (size_t i = 0; i < t->nexchanges; i++) {
		const struct topo_exchange *x = &t->exchanges[i];

		script_write_put(b, "%s\n    {", i ? "," : "");
		script_write_kv(b, "name", x->name);
		script_write_kv(b, "type", topology_exchange_type_name(x->type));
		if (x->type == XTYPE_DELAYED)
			script_write_kv(b, "delayed_type",
			    topology_exchange_type_name(x->delayed_type));
		if (x->durable >= 0)
			script_write_put(b, " durable = %s;",
			    x->durable ? "true" : "false");
		script_write_put(b, " }");
	}
}

static void
script_write_queue(struct script_write_buf *b, const struct topo_queue *q)
{
	static const char *const roles[] = { "work", "dead", "error", "delay" };
	static const char *const types[] = { "classic", "lazy", "quorum" };

	script_write_put(b, "\n    {");
	script_write_kv(b, "name", q->name);
	if (q->type >= 0 && q->type <= QTYPE_QUORUM)
		script_write_kv(b, "type", types[q->type]);
	if (q->durable >= 0)
		script_write_put(b, " durable = %s;", q->durable ? "true" : "false");
	if (q->ttl_ms >= 0)
		script_write_put(b, " ttl_ms = %" PRId64 ";", q->ttl_ms);
	if (q->max_length >= 0)
		script_write_put(b, " max_length = %" PRId64 ";", q->max_length);
	/* Beside a max length, what a full queue does is always spelled out. */
	if (q->max_length >= 0 || q->overflow == OVERFLOW_REJECT_PUBLISH)
		script_write_kv(b, "overflow",
		    q->overflow == OVERFLOW_REJECT_PUBLISH ? "reject-publish" :
		    "drop-head");
	if (q->dlx)
		script_write_kv(b, "dead_letter_exchange", q->dlx);
	if (q->dlrk)
		script_write_kv(b, "dead_letter_routing_key", q->dlrk);
	if (q->delivery_limit >= 0)
		script_write_put(b, " delivery_limit = %" PRId64 ";",
		    q->delivery_limit);
	if (q->role != QROLE_WORK)
		script_write_kv(b, "role", roles[q->role]);
	script_write_put(b, " }");
}

/* Whether exchange `name` of `t` routes on headers. */
static int
script_write_headers(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->nexchanges; i++) {
		const struct topo_exchange *x = &t->exchanges[i];

		if (strcmp(x->name, name) == 0)
			return x->type == XTYPE_HEADERS ||
			    (x->type == XTYPE_DELAYED &&
			     x->delayed_type == XTYPE_HEADERS);
	}
	return 0;
}

static void
script_write_bindings(struct script_write_buf *b, const struct topology *t)
{
	for (size_t i = 0; i < t->nbindings; i++) {
		const struct topo_binding *bd = &t->bindings[i];

		script_write_put(b, "%s\n    {", i ? "," : "");
		script_write_kv(b, "exchange", bd->exchange);
		script_write_kv(b, "queue", bd->queue);
		if (bd->key && *bd->key)
			script_write_kv(b, "key", bd->key);
		if (script_write_headers(t, bd->exchange)) {
			script_write_kv(b, "match", bd->match_all ? "all" : "any");
			if (bd->nargs) {
				script_write_put(b, " args = {");
				for (size_t j = 0; j < bd->nargs; j++)
					script_write_kv(b, bd->args[j].key,
					    bd->args[j].value);
				script_write_put(b, " };");
			}
		}
		script_write_put(b, " }");
	}
}

void
script_write_topology(struct script_write_buf *b, const struct topology *t)
{
	script_write_put(b, "topology = {\n  exchanges = (");
	script_write_exchanges(b, t);
	script_write_put(b, " );\n  queues = (");
	for (size_t i = 0; i < t->nqueues; i++) {
		script_write_put(b, "%s", i ? "," : "");
		script_write_queue(b, &t->queues[i]);
	}
	script_write_put(b, " );\n  bindings = (");
	script_write_bindings(b, t);
	script_write_put(b, " );\n  consumers = (");
	for (size_t i = 0; i < t->nconsumers; i++) {
		script_write_put(b, "%s\n    {", i ? "," : "");
		script_write_kv(b, "name", t->consumers[i].name);
		script_write_kv(b, "queue", t->consumers[i].queue);
		if (t->consumers[i].effect_en) {
			script_write_put(b, " effect = { en = ");
			script_write_str(b, t->consumers[i].effect_en);
			script_write_put(b, "; zh = ");
			script_write_str(b, t->consumers[i].effect_zh);
			script_write_put(b, "; };");
		}
		script_write_put(b, " }");
	}
	script_write_put(b, " );\n  publish = {");
	script_write_kv(b, "exchange",
	    t->publish_exchange ? t->publish_exchange : "");
	script_write_kv(b, "key", t->publish_key ? t->publish_key : "");
	script_write_put(b, " };\n");
	if (t->error_exchange) {
		script_write_put(b, "  error = {");
		script_write_kv(b, "exchange", t->error_exchange);
		script_write_kv(b, "key", t->error_key ? t->error_key : "");
		script_write_put(b, " };\n");
	}
	script_write_put(b, "};\n");
}

void
script_write_text(struct script_write_buf *b, const char *key,
    const char *en, const char *zh)
{
	script_write_put(b, "%s = { en = ", key);
	script_write_str(b, en);
	script_write_put(b, "; zh = ");
	script_write_str(b, zh);
	script_write_put(b, "; };\n");
}

static void
script_write_publish(struct script_write_buf *b, const struct publish_req *p)
{
	script_write_put(b, "{ do = \"publish\"; count = %" PRIu32 ";",
	    p->count);
	if (p->exchange)
		script_write_kv(b, "exchange", p->exchange);
	if (p->key)
		script_write_kv(b, "key", p->key);
	if (p->persistent >= 0)
		script_write_put(b, " persistent = %s;",
		    p->persistent ? "true" : "false");
	if (p->expiration_ms >= 0)
		script_write_put(b, " expiration_ms = %" PRId64 ";",
		    p->expiration_ms);
	if (p->delay_ms >= 0)
		script_write_put(b, " delay_ms = %" PRId64 ";", p->delay_ms);
	if (p->every_us > 0)
		script_write_put(b, " every_ms = %" PRId64 ";",
		    p->every_us / 1000);
	if (p->nheaders) {
		script_write_put(b, " headers = {");
		for (size_t k = 0; k < p->nheaders; k++)
			script_write_kv(b, p->headers[k].key,
			    p->headers[k].value);
		script_write_put(b, " };");
	}
	script_write_put(b, " }");
}

int
script_write_action(struct script_write_buf *b, const struct script_action *a)
{
	switch (a->kind) {
	case ACT_PUBLISH:
		script_write_publish(b, &a->publish);
		return 1;
	case ACT_TOGGLE:
		script_write_put(b, "{ do = \"toggle\"; set = {");
		for (size_t k = 0; k < a->ntoggles; k++)
			script_write_toggle(b, a->toggles[k].id,
			    a->toggles[k].value);
		script_write_put(b, " }; }");
		return 1;
	case ACT_FAIL:
		script_write_put(b, "{ do = \"fail\";");
		script_write_kv(b, "failure", engine_failure_name(a->fail.kind));
		if (a->fail.target)
			script_write_kv(b, "target", a->fail.target);
		if (a->fail.ms > 0)
			script_write_put(b, " ms = %" PRId64 ";", a->fail.ms);
		if (a->fail.times > 0)
			script_write_put(b, " times = %d;", a->fail.times);
		if (a->fail.unreadable)
			script_write_put(b, " unreadable = true;");
		script_write_put(b, " }");
		return 1;
	case ACT_RESTART:
		script_write_put(b, "{ do = \"restart\"; }");
		return 1;
	case ACT_CONSUME:
	case ACT_STOP:
		script_write_put(b, "{ do = \"%s\";",
		    a->kind == ACT_CONSUME ? "consume" : "stop");
		if (a->consumer)
			script_write_kv(b, "consumer", a->consumer);
		script_write_put(b, " }");
		return 1;
	default:
		return 0;
	}
}

/* The sandbox script's id: the lesson's with "-sandbox", within 64. */
static void
script_write_id(struct script_write_buf *b, const char *id)
{
	const char *tail = "-sandbox";
	size_t n = id ? strlen(id) : 0;
	size_t tn = strlen(tail);

	if (n >= tn && strcmp(id + n - tn, tail) == 0)
		n -= tn;
	if (n > 64 - tn)
		n = 64 - tn;
	script_write_put(b, "id = \"%.*s%s\";\n", (int)n, id ? id : "", tail);
}

char *
script_write_sandbox(const struct script *s, const struct topology *t,
    const int64_t v[TOGGLE_COUNT])
{
	struct script_write_buf b;
	int64_t def[TOGGLE_COUNT];
	int sim_only = 0;
	char *en, *zh;
	const char *ten, *tzh;

	script_write_init(&b);
	script_write_put(&b, "# Written by the rabbitlab sandbox: check it with"
	    " `rabbitlab check`, then give it steps (lessons/FORMAT.md).\n");
	script_write_id(&b, s->id);
	/* A sandbox's own script is titled once, not "Sandbox: Sandbox:". */
	ten = s->title.en ? s->title.en : "";
	tzh = s->title.zh ? s->title.zh : "";
	en = xasprintf("%s%s", strncmp(ten, "Sandbox: ", 9) ? "Sandbox: " :
	    "", ten);
	zh = xasprintf("%s%s", strncmp(tzh, "沙盒：", strlen("沙盒：")) ?
	    "沙盒：" : "", tzh);
	script_write_text(&b, "title", en, zh);
	free(en);
	free(zh);
	script_write_put(&b, "seed = %" PRIu64 ";\n", s->seed);
	for (size_t i = 0; i < t->nexchanges; i++)
		if (t->exchanges[i].type == XTYPE_DELAYED)
			sim_only = 1;
	if (sim_only)
		script_write_put(&b, "sim_only = true;\n");
	script_write_topology(&b, t);
	toggle_defaults(def);
	script_write_put(&b, "toggles = {");
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (v[i] != def[i])
			script_write_toggle(&b, (enum toggle_id)i, v[i]);
	script_write_put(&b, " };\n");
	script_write_put(&b, "steps = (\n"
	    "  { say = { en = \"One message through the topology built in the"
	    " sandbox.\"; zh = \"一条消息穿过在沙盒里搭建的拓扑。\"; };\n"
	    "    do = \"publish\"; count = 1; },\n"
	    "  { do = \"settle\"; }\n);\n");
	return b.s;
}
