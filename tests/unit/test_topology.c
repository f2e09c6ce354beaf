/*
 * Unit tests of topology values: exchange type names both ways, the "none"
 * defaults of a fresh queue spec, topology_copy as a deep copy (every string
 * and array its own, surviving changes to the source, NULL keys and default
 * names filled in as documented, header arguments included), and
 * topology_clear / topology_free leaving nothing behind. Run under ASan or
 * valgrind, the frees here are checked too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/toggle.h"
#include "model/topology.h"

/*
 * A source topology whose strings live in writable arrays, so a test can
 * change them after copying.
 */
struct source {
	struct topology topo;
	struct topo_exchange x[2];
	struct topo_queue q[2];
	struct topo_binding b[3];
	struct topo_kv kv[2];
	struct topo_consumer c[2];
	char x0[16], x1[16], q0[16], q1[16], dlx[16], dlrk[16];
	char b0key[16], k0[16], v0[16], k1[16], v1[16];
	char c0[16], c1[16], pubx[16], pubk[16], errx[16], errk[16];
};

static void
source_init(struct source *s)
{
	memset(s, 0, sizeof *s);
	strcpy(s->x0, "orders");
	strcpy(s->x1, "later");
	strcpy(s->q0, "work");
	strcpy(s->q1, "dead");
	strcpy(s->dlx, "dlx");
	strcpy(s->dlrk, "dead.key");
	strcpy(s->b0key, "order.paid");
	strcpy(s->k0, "region");
	strcpy(s->v0, "eu");
	strcpy(s->k1, "tier");
	strcpy(s->v1, "gold");
	strcpy(s->c0, "billing");
	strcpy(s->c1, "auditor");
	strcpy(s->pubx, "orders");
	strcpy(s->pubk, "order.paid");
	strcpy(s->errx, "errors");
	strcpy(s->errk, "error.key");

	s->x[0] = (struct topo_exchange){ s->x0, XTYPE_HEADERS, XTYPE_DIRECT,
		1, 3 };
	s->x[1] = (struct topo_exchange){ s->x1, XTYPE_DELAYED, XTYPE_TOPIC,
		-1, 4 };

	topology_queue_init(&s->q[0]);
	s->q[0].name = s->q0;
	s->q[0].type = QTYPE_QUORUM;
	s->q[0].durable = 0;
	s->q[0].ttl_ms = 60000;
	s->q[0].dlx = s->dlx;
	s->q[0].dlrk = s->dlrk;
	s->q[0].max_length = 10;
	s->q[0].overflow = OVERFLOW_REJECT_PUBLISH;
	s->q[0].delivery_limit = 5;
	s->q[0].role = QROLE_WORK;
	s->q[0].line = 7;
	topology_queue_init(&s->q[1]);
	s->q[1].name = s->q1;
	s->q[1].role = QROLE_DEAD;
	s->q[1].line = 8;

	s->kv[0] = (struct topo_kv){ s->k0, s->v0 };
	s->kv[1] = (struct topo_kv){ s->k1, s->v1 };
	s->b[0] = (struct topo_binding){ s->x0, s->q0, s->b0key, s->kv, 2, 0,
		10 };
	/* No key: the copy spells it "". */
	s->b[1] = (struct topo_binding){ s->x1, s->q1, NULL, NULL, 0, 1, 11 };
	s->b[2] = (struct topo_binding){ s->x1, s->q0, s->b0key, NULL, 0, 1,
		12 };

	s->c[0] = (struct topo_consumer){ .name = s->c0, .queue = s->q0,
	    .line = 20 };
	s->c[1] = (struct topo_consumer){ .name = s->c1, .queue = s->q1,
	    .line = 21 };

	s->topo.exchanges = s->x;
	s->topo.nexchanges = 2;
	s->topo.queues = s->q;
	s->topo.nqueues = 2;
	s->topo.bindings = s->b;
	s->topo.nbindings = 3;
	s->topo.consumers = s->c;
	s->topo.nconsumers = 2;
	s->topo.publish_exchange = s->pubx;
	s->topo.publish_key = s->pubk;
	s->topo.error_exchange = s->errx;
	s->topo.error_key = s->errk;
}

/* Equal strings in separate memory, or both NULL. */
static void
check_own_string(const char *copy, const char *orig)
{
	if (orig == NULL) {
		assert_null(copy);
		return;
	}
	assert_non_null(copy);
	assert_string_equal(copy, orig);
	assert_ptr_not_equal(copy, orig);
}

/* Fails unless `c` holds the same values as `o`, in memory of its own. */
static void
check_deep_equal(const struct topology *c, const struct topology *o)
{
	size_t i, j;

	assert_int_equal(c->nexchanges, o->nexchanges);
	if (o->nexchanges)
		assert_ptr_not_equal(c->exchanges, o->exchanges);
	for (i = 0; i < o->nexchanges; i++) {
		check_own_string(c->exchanges[i].name, o->exchanges[i].name);
		assert_int_equal(c->exchanges[i].type, o->exchanges[i].type);
		assert_int_equal(c->exchanges[i].delayed_type,
		    o->exchanges[i].delayed_type);
		assert_int_equal(c->exchanges[i].durable,
		    o->exchanges[i].durable);
		assert_int_equal(c->exchanges[i].line, o->exchanges[i].line);
	}
	assert_int_equal(c->nqueues, o->nqueues);
	if (o->nqueues)
		assert_ptr_not_equal(c->queues, o->queues);
	for (i = 0; i < o->nqueues; i++) {
		const struct topo_queue *cq = &c->queues[i];
		const struct topo_queue *oq = &o->queues[i];
		check_own_string(cq->name, oq->name);
		check_own_string(cq->dlx, oq->dlx);
		check_own_string(cq->dlrk, oq->dlrk);
		assert_int_equal(cq->type, oq->type);
		assert_int_equal(cq->durable, oq->durable);
		assert_int_equal(cq->ttl_ms, oq->ttl_ms);
		assert_int_equal(cq->max_length, oq->max_length);
		assert_int_equal(cq->overflow, oq->overflow);
		assert_int_equal(cq->delivery_limit, oq->delivery_limit);
		assert_int_equal(cq->role, oq->role);
		assert_int_equal(cq->line, oq->line);
	}
	assert_int_equal(c->nbindings, o->nbindings);
	if (o->nbindings)
		assert_ptr_not_equal(c->bindings, o->bindings);
	for (i = 0; i < o->nbindings; i++) {
		const struct topo_binding *cb = &c->bindings[i];
		const struct topo_binding *ob = &o->bindings[i];
		check_own_string(cb->exchange, ob->exchange);
		check_own_string(cb->queue, ob->queue);
		check_own_string(cb->key, ob->key ? ob->key : "");
		assert_int_equal(cb->nargs, ob->nargs);
		assert_int_equal(cb->match_all, ob->match_all);
		assert_int_equal(cb->line, ob->line);
		if (ob->nargs)
			assert_ptr_not_equal(cb->args, ob->args);
		for (j = 0; j < ob->nargs; j++) {
			check_own_string(cb->args[j].key, ob->args[j].key);
			check_own_string(cb->args[j].value, ob->args[j].value);
		}
	}
	assert_int_equal(c->nconsumers, o->nconsumers);
	if (o->nconsumers)
		assert_ptr_not_equal(c->consumers, o->consumers);
	for (i = 0; i < o->nconsumers; i++) {
		check_own_string(c->consumers[i].name, o->consumers[i].name);
		check_own_string(c->consumers[i].queue, o->consumers[i].queue);
		assert_int_equal(c->consumers[i].line, o->consumers[i].line);
	}
	check_own_string(c->publish_exchange,
	    o->publish_exchange ? o->publish_exchange : "");
	check_own_string(c->publish_key, o->publish_key ? o->publish_key : "");
	check_own_string(c->error_exchange, o->error_exchange);
	check_own_string(c->error_key, o->error_key);
}

/* Overwrites every string of the source, as a caller freeing it would. */
static void
source_scribble(struct source *s)
{
	char *strings[] = { s->x0, s->x1, s->q0, s->q1, s->dlx, s->dlrk,
		s->b0key, s->k0, s->v0, s->k1, s->v1, s->c0, s->c1, s->pubx,
		s->pubk, s->errx, s->errk };

	for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
		memset(strings[i], 'Z', 15);
	s->x[0].type = XTYPE_FANOUT;
	s->q[0].ttl_ms = 1;
	s->kv[0].value = s->k1;
	s->b[0].nargs = 1;
	s->topo.nqueues = 1;
}

static void
test_exchange_type_names(void **state)
{
	static const char *const names[XTYPE_COUNT] = { "direct", "fanout",
		"topic", "headers", "x-delayed-message" };
	(void)state;

	for (int i = 0; i < XTYPE_COUNT; i++) {
		assert_string_equal(topology_exchange_type_name(i), names[i]);
		assert_int_equal(topology_exchange_type_find(names[i]), i);
		assert_int_equal(topology_exchange_type_find(
		    topology_exchange_type_name(i)), i);
	}
	assert_int_equal(topology_exchange_type_find("x-delayed-message"),
	    XTYPE_DELAYED);
	assert_int_equal(topology_exchange_type_find("nope"), -1);
	assert_int_equal(topology_exchange_type_find(""), -1);
	assert_int_equal(topology_exchange_type_find("Direct"), -1);
	assert_int_equal(topology_exchange_type_find("delayed"), -1);
	assert_int_equal(topology_exchange_type_find("direct "), -1);
	assert_int_equal(topology_exchange_type_find("?"), -1);
	assert_string_equal(topology_exchange_type_name(XTYPE_COUNT), "?");
	assert_string_equal(topology_exchange_type_name((enum exchange_type)-1),
	    "?");
}

static void
test_queue_init(void **state)
{
	struct topo_queue q;
	(void)state;

	/* Whatever was there before is gone. */
	memset(&q, 0xab, sizeof q);
	topology_queue_init(&q);
	assert_null(q.name);
	assert_int_equal(q.type, -1);
	assert_int_equal(q.durable, -1);
	assert_int_equal(q.ttl_ms, -1);
	assert_null(q.dlx);
	assert_null(q.dlrk);
	assert_int_equal(q.max_length, -1);
	assert_int_equal(q.overflow, OVERFLOW_DROP_HEAD);
	assert_int_equal(q.delivery_limit, -1);
	assert_int_equal(q.role, QROLE_WORK);
	assert_int_equal(q.line, 0);
}

static void
test_copy_is_deep(void **state)
{
	struct source *src = calloc(1, sizeof *src);
	struct source *want = calloc(1, sizeof *want);
	struct topology *copy;
	(void)state;

	assert_non_null(src);
	assert_non_null(want);
	source_init(src);
	copy = topology_copy(&src->topo);
	assert_non_null(copy);
	check_deep_equal(copy, &src->topo);
	assert_int_equal(copy->bindings[0].nargs, 2);
	assert_string_equal(copy->bindings[0].args[1].key, "tier");
	assert_string_equal(copy->bindings[0].args[1].value, "gold");
	assert_string_equal(copy->bindings[1].key, "");
	assert_null(copy->bindings[1].args);
	assert_int_equal(copy->exchanges[1].delayed_type, XTYPE_TOPIC);

	/* Change the source; the copy still matches the original values. */
	source_scribble(src);
	source_init(want);
	check_deep_equal(copy, &want->topo);
	assert_string_equal(copy->exchanges[0].name, "orders");
	assert_string_equal(copy->queues[0].dlrk, "dead.key");
	assert_string_equal(copy->bindings[0].args[0].value, "eu");
	assert_string_equal(copy->consumers[1].name, "auditor");
	assert_string_equal(copy->error_key, "error.key");
	assert_int_equal(copy->nqueues, 2);

	/* A copy of the copy is as deep. */
	{
		struct topology *again = topology_copy(copy);
		check_deep_equal(again, copy);
		topology_free(again);
	}
	topology_free(copy);
	free(src);
	free(want);
}

static void
test_copy_fills_defaults(void **state)
{
	struct topology src = { 0 };
	struct topo_queue q;
	struct topo_binding b = { (char *)"x", (char *)"q", NULL, NULL, 0, 1,
		0 };
	struct topology *copy;
	(void)state;

	topology_queue_init(&q);
	q.name = (char *)"q";
	/* "" is the default exchange, distinct from no dead-lettering. */
	q.dlx = (char *)"";
	src.queues = &q;
	src.nqueues = 1;
	src.bindings = &b;
	src.nbindings = 1;
	copy = topology_copy(&src);
	assert_non_null(copy->publish_exchange);
	assert_string_equal(copy->publish_exchange, "");
	assert_non_null(copy->publish_key);
	assert_string_equal(copy->publish_key, "");
	assert_null(copy->error_exchange);
	assert_null(copy->error_key);
	assert_non_null(copy->queues[0].dlx);
	assert_string_equal(copy->queues[0].dlx, "");
	assert_null(copy->queues[0].dlrk);
	assert_int_equal(copy->queues[0].ttl_ms, -1);
	assert_int_equal(copy->queues[0].type, -1);
	assert_non_null(copy->bindings[0].key);
	assert_string_equal(copy->bindings[0].key, "");
	assert_null(copy->bindings[0].args);
	assert_int_equal(copy->nexchanges, 0);
	assert_int_equal(copy->nconsumers, 0);
	topology_free(copy);
}

static void
test_copy_empty(void **state)
{
	struct topology empty = { 0 };
	struct topology *copy;
	(void)state;

	copy = topology_copy(&empty);
	assert_non_null(copy);
	assert_int_equal(copy->nexchanges, 0);
	assert_int_equal(copy->nqueues, 0);
	assert_int_equal(copy->nbindings, 0);
	assert_int_equal(copy->nconsumers, 0);
	assert_string_equal(copy->publish_exchange, "");
	topology_free(copy);
	topology_free(NULL);
}

static void
test_clear_zeroes(void **state)
{
	struct source *src = calloc(1, sizeof *src);
	struct topology *copy, zero;
	(void)state;

	assert_non_null(src);
	source_init(src);
	copy = topology_copy(&src->topo);
	topology_clear(copy);
	memset(&zero, 0, sizeof zero);
	assert_memory_equal(copy, &zero, sizeof zero);
	assert_null(copy->exchanges);
	assert_null(copy->publish_exchange);
	assert_int_equal(copy->nbindings, 0);
	/* Cleared twice: nothing left to free, nothing freed twice. */
	topology_clear(copy);
	assert_memory_equal(copy, &zero, sizeof zero);
	/* topology_clear leaves the struct itself to its owner. */
	free(copy);
	free(src);
}

/* Topic rules as RabbitMQ applies them ('*' one word, '#' zero or more). */
static void
test_topic_match(void **state)
{
	static const struct {
		const char *pat, *key;
		int match;
	} cases[] = {
		{ "pay.success", "pay.success", 1 },
		{ "pay.success", "pay.failed", 0 },
		{ "pay.*", "pay.success", 1 },
		{ "pay.*", "pay", 0 },
		{ "pay.*", "pay.success.cn", 0 },
		{ "*.success", "pay.success", 1 },
		{ "pay.#", "pay", 1 },
		{ "pay.#", "pay.success.cn", 1 },
		{ "#", "", 1 },
		{ "#", "anything.at.all", 1 },
		{ "#.cn", "pay.success.cn", 1 },
		{ "#.cn", "cn", 1 },
		{ "#.cn", "pay.cn.us", 0 },
		{ "pay.#.cn", "pay.cn", 1 },
		{ "pay.#.cn", "pay.a.b.cn", 1 },
		{ "*", "", 0 },
		{ "", "", 1 },
		{ "", "pay", 0 },
		{ "pay", "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = topology_topic_match(cases[i].pat, cases[i].key);
		if (got != cases[i].match)
			fail_msg("'%s' vs '%s': got %d, want %d", cases[i].pat,
			    cases[i].key, got, cases[i].match);
	}
}

static void
test_headers_match(void **state)
{
	struct topo_kv args[2] = { { (char *)"region", (char *)"cn" },
		{ (char *)"kind", (char *)"refund" } };
	struct topo_kv h1[1] = { { (char *)"region", (char *)"cn" } };
	struct topo_kv h2[3] = { { (char *)"kind", (char *)"refund" },
		{ (char *)"x", (char *)"y" }, { (char *)"region", (char *)"cn" } };
	struct topo_kv h3[1] = { { (char *)"region", (char *)"us" } };
	struct topo_binding b;

	(void)state;
	memset(&b, 0, sizeof b);
	b.args = args;
	b.nargs = 2;
	b.match_all = 1;
	assert_false(topology_headers_match(&b, h1, 1));
	assert_true(topology_headers_match(&b, h2, 3));
	assert_false(topology_headers_match(&b, NULL, 0));
	b.match_all = 0;
	assert_true(topology_headers_match(&b, h1, 1));
	assert_false(topology_headers_match(&b, h3, 1));
	assert_false(topology_headers_match(&b, NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_type_names),
		cmocka_unit_test(test_queue_init),
		cmocka_unit_test(test_copy_is_deep),
		cmocka_unit_test(test_copy_fills_defaults),
		cmocka_unit_test(test_copy_empty),
		cmocka_unit_test(test_clear_zeroes),
		cmocka_unit_test(test_topic_match),
		cmocka_unit_test(test_headers_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
