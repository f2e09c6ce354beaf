/*
 * Unit tests of the sandbox builder's model side (ui/build.h) and of the
 * script writer (lesson/script_write.h): every lesson's topology written
 * as a sandbox script loads back as the same topology; edits (each
 * exchange type, queue arguments, topic and headers bindings, consumers,
 * removal with what hangs on it) pass the checker and round-trip; the
 * checker's own rules refuse a duplicate name, an undeclared dead-letter
 * exchange and a non-durable quorum queue; a message published through
 * what was built reaches its consumer.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lesson/script.h"
#include "lesson/script_write.h"
#include "lesson/session.h"
#include "ui/build.h"
#include "unit/unit.h"

static const char base_script[] =
    UNIT_SCRIPT_HEAD
    "steps = ( { do = \"settle\"; } );\n";

static struct script *
load_text(const char *text)
{
	struct script_diag d = { NULL, 0, 0 };
	struct script *s = script_load_string(text, "t.cfg", &d);

	for (size_t i = 0; i < d.count; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	script_diag_free(&d);
	assert_non_null(s);
	return s;
}

static int
str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two topologies declare the same things (script lines aside). */
static void
assert_topo_equal(const struct topology *a, const struct topology *b)
{
	assert_int_equal(a->nexchanges, b->nexchanges);
	for (size_t i = 0; i < a->nexchanges; i++) {
		assert_string_equal(a->exchanges[i].name, b->exchanges[i].name);
		assert_int_equal(a->exchanges[i].type, b->exchanges[i].type);
		assert_int_equal(a->exchanges[i].durable,
		    b->exchanges[i].durable);
		if (a->exchanges[i].type == XTYPE_DELAYED)
			assert_int_equal(a->exchanges[i].delayed_type,
			    b->exchanges[i].delayed_type);
	}
	assert_int_equal(a->nqueues, b->nqueues);
	for (size_t i = 0; i < a->nqueues; i++) {
		const struct topo_queue *p = &a->queues[i], *q = &b->queues[i];
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->type, q->type);
		assert_int_equal(p->durable, q->durable);
		assert_int_equal(p->ttl_ms, q->ttl_ms);
		assert_int_equal(p->max_length, q->max_length);
		assert_int_equal(p->overflow, q->overflow);
		assert_int_equal(p->delivery_limit, q->delivery_limit);
		assert_int_equal(p->role, q->role);
		assert_true(str_eq(p->dlx, q->dlx));
		assert_true(str_eq(p->dlrk, q->dlrk));
	}
	assert_int_equal(a->nbindings, b->nbindings);
	for (size_t i = 0; i < a->nbindings; i++) {
		const struct topo_binding *p = &a->bindings[i];
		const struct topo_binding *q = &b->bindings[i];
		assert_string_equal(p->exchange, q->exchange);
		assert_string_equal(p->queue, q->queue);
		assert_string_equal(p->key ? p->key : "", q->key ? q->key : "");
		assert_int_equal(p->nargs, q->nargs);
		if (p->nargs)
			assert_int_equal(p->match_all, q->match_all);
		for (size_t j = 0; j < p->nargs; j++) {
			assert_string_equal(p->args[j].key, q->args[j].key);
			assert_string_equal(p->args[j].value, q->args[j].value);
		}
	}
	assert_int_equal(a->nconsumers, b->nconsumers);
	for (size_t i = 0; i < a->nconsumers; i++) {
		assert_string_equal(a->consumers[i].name, b->consumers[i].name);
		assert_string_equal(a->consumers[i].queue, b->consumers[i].queue);
	}
	assert_true(str_eq(a->publish_exchange, b->publish_exchange) ||
	    (str_eq(a->publish_exchange, NULL) &&
	     str_eq(b->publish_exchange, "")));
	assert_string_equal(a->publish_key ? a->publish_key : "",
	    b->publish_key ? b->publish_key : "");
	assert_true(str_eq(a->error_exchange, b->error_exchange));
}

/* The script's own starting toggles. */
static void
script_toggles(const struct script *s, int64_t v[TOGGLE_COUNT])
{
	toggle_defaults(v);
	for (size_t i = 0; i < s->ntoggles; i++)
		v[s->toggles[i].id] = s->toggles[i].value;
}

/* Writes `t` as the sandbox of `s`, loads it back: the same topology and
 * toggles. Returns the loaded script. */
static struct script *
round_trip(const struct script *s, const struct topology *t,
    const int64_t v[TOGGLE_COUNT])
{
	char why[200] = "";
	struct script *back = build_check(s, t, v, why, sizeof why);
	int64_t w[TOGGLE_COUNT];

	if (back == NULL)
		fail_msg("the written script does not load: %s", why);
	assert_topo_equal(t, &back->topo);
	script_toggles(back, w);
	for (int i = 0; i < TOGGLE_COUNT; i++)
		assert_int_equal(v[i], w[i]);
	return back;
}

static int
is_cfg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && strcmp(d->d_name + n - 4, ".cfg") == 0;
}

static void
test_every_lesson_round_trips(void **state)
{
	struct dirent **names;
	int n = scandir("lessons", &names, is_cfg, alphasort);

	(void)state;
	assert_true(n >= 12);
	for (int i = 0; i < n; i++) {
		char path[512];
		struct script_diag d = { NULL, 0, 0 };
		struct script *s, *back;
		int64_t v[TOGGLE_COUNT];

		snprintf(path, sizeof path, "lessons/%s", names[i]->d_name);
		s = script_load(path, &d);
		script_diag_free(&d);
		assert_non_null(s);
		script_toggles(s, v);
		back = round_trip(s, &s->topo, v);
		/* Written again, the sandbox's script keeps its id and title. */
		assert_non_null(strstr(back->id, "-sandbox"));
		assert_null(strstr(back->id, "-sandbox-sandbox"));
		script_free(round_trip(back, &back->topo, v));
		script_free(back);
		script_free(s);
		free(names[i]);
	}
	free(names);
}

static void
test_edits_round_trip(void **state)
{
	struct script *s = load_text(base_script), *back;
	struct topology *t = topology_copy(&s->topo);
	struct topo_queue q;
	int64_t v[TOGGLE_COUNT];

	(void)state;
	script_toggles(s, v);
	topology_add_exchange(t, "fan", XTYPE_FANOUT, 0);
	topology_add_exchange(t, "top", XTYPE_TOPIC, 1);
	topology_add_exchange(t, "hdr", XTYPE_HEADERS, -1);
	topology_add_exchange(t, "dlx", XTYPE_DIRECT, -1);
	topology_queue_init(&q);
	q.name = (char *)"work";
	q.type = QTYPE_QUORUM;
	q.ttl_ms = 5000;
	q.max_length = 3;
	q.overflow = OVERFLOW_REJECT_PUBLISH;
	q.dlx = (char *)"dlx";
	q.dlrk = (char *)"dead";
	build_add_queue(t, &q);
	topology_queue_init(&q);
	q.name = (char *)"lazy \"one\"";
	q.type = QTYPE_LAZY;
	q.durable = 0;
	build_add_queue(t, &q);
	build_add_binding(t, "fan", "q", "", 1, NULL);
	build_add_binding(t, "top", "work", "pay.*.eu", 1, NULL);
	build_add_binding(t, "top", "work", "#", 1, NULL);
	build_add_binding(t, "hdr", "lazy \"one\"", "", 0,
	    "type=refund region=eu");
	build_add_binding(t, "hdr", "q", "", 1, "type=pay");
	topology_add_consumer(t, "c2", "work");
	back = round_trip(s, t, v);
	assert_int_equal(back->topo.bindings[4].nargs, 2);
	assert_int_equal(back->topo.bindings[4].match_all, 0);

	/* Removing a queue takes its bindings and consumers with it. */
	assert_int_equal(build_remove(t, 'q', "work", NULL), 0);
	assert_int_equal(t->nqueues, 2);
	assert_int_equal(t->nbindings, 4);
	assert_int_equal(t->nconsumers, 1);
	/* An exchange, its bindings; a binding alone; a consumer. */
	assert_int_equal(build_remove(t, 'x', "fan", NULL), 0);
	assert_int_equal(t->nexchanges, 4);
	assert_int_equal(t->nbindings, 3);
	assert_int_equal(build_remove(t, 'b', "hdr", "q"), 0);
	assert_int_equal(t->nbindings, 2);
	assert_int_equal(build_remove(t, 'c', "c", NULL), 0);
	assert_int_equal(t->nconsumers, 0);
	assert_int_equal(build_remove(t, 'q', "nope", NULL), -1);
	assert_int_equal(build_remove(t, 'b', "x", "nope"), -1);
	script_free(round_trip(s, t, v));
	script_free(back);
	topology_free(t);
	script_free(s);
}

/* `edit` applied to the base topology must be refused with `want`. */
static void
assert_refused(void (*edit)(struct topology *), const char *want)
{
	struct script *s = load_text(base_script);
	struct topology *t = topology_copy(&s->topo);
	int64_t v[TOGGLE_COUNT];
	char why[200] = "";

	script_toggles(s, v);
	edit(t);
	assert_null(build_check(s, t, v, why, sizeof why));
	if (strstr(why, want) == NULL)
		fail_msg("refused with '%s', expected '%s'", why, want);
	/* The checker's message, without the file and line. */
	assert_null(strstr(why, "sandbox:"));
	topology_free(t);
	script_free(s);
}

static void
dup_queue(struct topology *t)
{
	struct topo_queue q;
	topology_queue_init(&q);
	q.name = (char *)"q";
	build_add_queue(t, &q);
}

static void
missing_dlx(struct topology *t)
{
	struct topo_queue q;
	topology_queue_init(&q);
	q.name = (char *)"q2";
	q.dlx = (char *)"nowhere";
	build_add_queue(t, &q);
}

static void
quorum_transient(struct topology *t)
{
	struct topo_queue q;
	topology_queue_init(&q);
	q.name = (char *)"q2";
	q.type = QTYPE_QUORUM;
	q.durable = 0;
	build_add_queue(t, &q);
}

static void
dup_exchange(struct topology *t)
{
	topology_add_exchange(t, "x", XTYPE_TOPIC, -1);
}

static void
binding_to_nothing(struct topology *t)
{
	build_add_binding(t, "x", "nope", "k", 1, NULL);
}

static void
publish_removed(struct topology *t)
{
	build_remove(t, 'x', "x", NULL);
}

static void
test_checker_refuses(void **state)
{
	(void)state;
	assert_refused(dup_queue, "duplicate queue name 'q'");
	assert_refused(dup_exchange, "duplicate exchange name 'x'");
	assert_refused(missing_dlx, "nowhere");
	assert_refused(quorum_transient, "quorum");
	assert_refused(binding_to_nothing, "nope");
	assert_refused(publish_removed, "'x'");
}

/* What was built carries a message: topic exchange, queue, consumer. */
static void
test_message_flows_through_what_was_built(void **state)
{
	struct script *s = load_text(base_script), *built;
	struct topology *t = topology_copy(&s->topo);
	struct session_opts o;
	struct session *ss;
	struct ledger_summary sum;
	char *cause = NULL, why[200];
	int64_t v[TOGGLE_COUNT];

	(void)state;
	script_toggles(s, v);
	topology_add_exchange(t, "top", XTYPE_TOPIC, -1);
	{
		struct topo_queue q;
		topology_queue_init(&q);
		q.name = (char *)"orders";
		build_add_queue(t, &q);
	}
	build_add_binding(t, "top", "orders", "pay.#", 1, NULL);
	topology_add_consumer(t, "shop", "orders");
	free(t->publish_exchange);
	free(t->publish_key);
	t->publish_exchange = strdup("top");
	t->publish_key = strdup("pay.ok.eu");
	built = build_check(s, t, v, why, sizeof why);
	assert_non_null(built);
	memset(&o, 0, sizeof o);
	o.lang = "en";
	ss = session_create(built, SESSION_SANDBOX, &o, &cause);
	assert_non_null(ss);
	assert_int_equal(session_publish(ss, 1, &cause), 0);
	for (int i = 0; i < 200 && session_busy(ss); i++)
		assert_true(session_tick(ss, 100000, &cause) >= 0);
	session_summary(ss, &sum);
	assert_int_equal(sum.published, 1);
	assert_int_equal(sum.fate[FATE_PROCESSED], 1);
	assert_int_equal(sum.delivered, 1);
	session_free(ss);
	script_free(built);
	topology_free(t);
	script_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_lesson_round_trips),
		cmocka_unit_test(test_edits_round_trip),
		cmocka_unit_test(test_checker_refuses),
		cmocka_unit_test(test_message_flows_through_what_was_built),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
