/*
 * Unit tests for the lesson-script loader (src/lesson/script.c): every value
 * a good script sets lands where the runner reads it, and every class of bad
 * input is refused with the exact "FILE:LINE: message" a teacher would see.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lesson/script.h"
#include "model/toggle.h"
#include "unit/unit.h"

/* A script using every key; the comments give the line numbers. */
static const char full_script[] =
    "# every key\n"                                                     /* 1 */
    "id = \"99-sample\";\n"                                             /* 2 */
    "title = { en = \"Sample\"; zh = \"示例\"; };\n"                    /* 3 */
    "summary = { en = \"All keys.\"; zh = \"所有键。\"; };\n"           /* 4 */
    "seed = 3000000000;\n"                                              /* 5 */
    "sim_only = true;\n"                                                /* 6 */
    "topology = {\n"                                                    /* 7 */
    "  exchanges = (\n"                                                 /* 8 */
    "    { name = \"pay.direct\"; type = \"direct\"; durable = true; },\n" /* 9 */
    "    { name = \"dlx\"; type = \"fanout\"; },\n"                     /* 10 */
    "    { name = \"hdr\"; type = \"headers\"; durable = false; },\n"   /* 11 */
    "    { name = \"later\"; type = \"x-delayed-message\"; delayed_type = \"topic\"; },\n" /* 12 */
    "    { name = \"error.direct\"; type = \"direct\"; }\n"             /* 13 */
    "  );\n"                                                            /* 14 */
    "  queues = (\n"                                                    /* 15 */
    "    { name = \"trade.pay\"; type = \"quorum\"; ttl_ms = 4294967295;\n" /* 16 */
    "      dead_letter_exchange = \"dlx\"; dead_letter_routing_key = \"dead\";\n" /* 17 */
    "      max_length = 2147483647; overflow = \"reject-publish\"; delivery_limit = 3; },\n" /* 18 */
    "    { name = \"dlq\"; role = \"dead\"; durable = false; type = \"lazy\"; },\n" /* 19 */
    "    { name = \"errq\"; role = \"error\"; dead_letter_exchange = \"\"; },\n" /* 20 */
    "    { name = \"wait.5s\"; role = \"delay\"; ttl_ms = 0; max_length = 0; }\n" /* 21 */
    "  );\n"                                                            /* 22 */
    "  bindings = (\n"                                                  /* 23 */
    "    { exchange = \"pay.direct\"; queue = \"trade.pay\"; key = \"pay.success\"; },\n" /* 24 */
    "    { exchange = \"dlx\"; queue = \"dlq\"; },\n"                   /* 25 */
    "    { exchange = \"hdr\"; queue = \"dlq\"; match = \"any\"; args = { type = \"pay\"; x-kind = \"a\"; }; },\n" /* 26 */
    "    { exchange = \"error.direct\"; queue = \"errq\"; key = \"error\"; }\n" /* 27 */
    "  );\n"                                                            /* 28 */
    "  consumers = ( { name = \"trade\"; queue = \"trade.pay\"; },\n"   /* 29 */
    "                { name = \"audit\"; queue = \"dlq\"; } );\n"       /* 30 */
    "  publish = { exchange = \"pay.direct\"; key = \"pay.success\"; };\n" /* 31 */
    "  error = { exchange = \"error.direct\"; key = \"error\"; };\n"    /* 32 */
    "};\n"                                                              /* 33 */
    "toggles = { confirms = \"each\"; mandatory = true; prefetch = 1;\n" /* 34 */
    "            retry_multiplier = 2.5; producer_multiplier = 3; };\n" /* 35 */
    "steps = (\n"                                                       /* 36 */
    "  { say = { en = \"Hello\\nthere\"; zh = \"你好\"; }; },\n"        /* 37 */
    "  { do = \"publish\"; count = 3; key = \"k\"; persistent = false; expiration_ms = 1000;\n" /* 38 */
    "    every_ms = 10; headers = { a = \"b\"; }; },\n"                 /* 39 */
    "  { do = \"publish\"; exchange = \"later\"; delay_ms = 5000; },\n" /* 40 */
    "  { do = \"toggle\"; set = { ack_mode = \"manual\"; durable_queue = false; }; },\n" /* 41 */
    "  { do = \"fail\"; failure = \"consumer_exception\"; target = \"trade\"; ms = 3000;\n" /* 42 */
    "    times = 2; unreadable = true; },\n"                            /* 43 */
    "  { do = \"restart\"; },\n"                                        /* 44 */
    "  { do = \"wait\"; ms = 1000; },\n"                                /* 45 */
    "  { do = \"settle\"; },\n"                                         /* 46 */
    "  { do = \"consume\"; consumer = \"trade\"; },\n"                  /* 47 */
    "  { do = \"stop\"; },\n"                                           /* 48 */
    "  { ask = { en = \"Q?\"; zh = \"问？\"; };\n"                      /* 49 */
    "    choices = ( { en = \"a\"; zh = \"甲\"; }, { en = \"b\"; zh = \"乙\"; },\n" /* 50 */
    "                { en = \"c\"; zh = \"丙\"; } );\n"                 /* 51 */
    "    answer = 2; explain = { en = \"Because.\"; zh = \"因为。\"; }; },\n" /* 52 */
    "  { expect = { lost = 3; duplicated = 0; in_flight = [0, 2]; lost_broker_crash = 3; };\n" /* 53 */
    "    expect_queue = ( { queue = \"trade.pay\"; ready = 2; unacked = [0, 1]; } ); }\n" /* 54 */
    ");\n"                                                              /* 55 */
    "challenge = {\n"                                                   /* 56 */
    "  goal = { en = \"Lose nothing.\"; zh = \"不丢消息。\"; };\n"      /* 57 */
    "  setup = { ack_mode = \"none\"; };\n"                             /* 58 */
    "  steps = ( { do = \"publish\"; count = 100; }, { do = \"fail\"; failure = \"broker_crash\"; },\n" /* 59 */
    "            { do = \"settle\"; ms = 1000; } );\n"                  /* 60 */
    "  expect = { lost = 0; processed = [100, 100]; };\n"               /* 61 */
    "  hints = ( { en = \"Confirms.\"; zh = \"确认。\"; }, { en = \"Acks.\"; zh = \"应答。\"; } );\n" /* 62 */
    "  solution = { confirms = \"each\"; ack_mode = \"manual\"; };\n"   /* 63 */
    "};\n";                                                             /* 64 */

/* The smallest valid script, with its topology on lines 3 to 8. */
#define HEAD                                                               \
	"id = \"t\";\n"                                                    \
	"title = { en = \"T\"; zh = \"题\"; };\n"
#define TOPO                                                               \
	"topology = {\n"                                                   \
	"  exchanges = ( { name = \"pay.direct\"; type = \"direct\"; } );\n" \
	"  queues = ( { name = \"trade.pay\"; } );\n"                      \
	"  bindings = ( { exchange = \"pay.direct\"; queue = \"trade.pay\"; key = \"k\"; } );\n" \
	"  consumers = ( { name = \"trade\"; queue = \"trade.pay\"; } );\n" \
	"};\n"
/* A script whose only step (line 10) is `step`. */
#define WITH_STEP(step) HEAD TOPO "steps = (\n" step "\n);\n"
#define SAY "{ say = { en = \"a\"; zh = \"甲\"; }; }"

static struct script *
load(const char *text, struct script_diag *d)
{
	return script_load_string(text, "t.cfg", d);
}

static struct script *
load_full(void)
{
	struct script_diag d = { 0 };
	struct script *s = load(full_script, &d);

	for (size_t i = 0; i < d.count; i++)
		print_message("unexpected: %s\n", d.lines[i]);
	assert_non_null(s);
	assert_int_equal(d.count, 0);
	script_diag_free(&d);
	return s;
}

/* Loads `text`, which must fail with a problem starting `prefix` and
 * holding `words`. */
static void
expect_has(const char *text, const char *prefix, const char *words)
{
	struct script_diag d = { 0 };
	struct script *s = load(text, &d);
	int found = 0;

	for (size_t i = 0; i < d.count; i++) {
		print_message("got: %s\n", d.lines[i]);
		if (strncmp(d.lines[i], prefix, strlen(prefix)) == 0 &&
		    strstr(d.lines[i], words) != NULL)
			found = 1;
	}
	assert_null(s);
	assert_true(found);
	script_diag_free(&d);
}

static const struct script_toggle *
find_toggle(const struct script_toggle *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(toggle_info(t[i].id)->name, name) == 0)
			return &t[i];
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* Good scripts                                                            */

static void
test_good_header(void **state)
{
	struct script *s = load_full();

	(void)state;
	assert_string_equal(s->path, "t.cfg");
	assert_string_equal(s->id, "99-sample");
	assert_string_equal(s->title.en, "Sample");
	assert_string_equal(s->title.zh, "示例");
	assert_string_equal(s->summary.zh, "所有键。");
	/* Past 32 bits: libconfig 1.5 alone would have read -1294967296. */
	assert_true(s->seed == 3000000000ULL);
	assert_int_equal(s->sim_only, 1);
	script_free(s);
}

static void
test_good_exchanges(void **state)
{
	struct script *s = load_full();
	const struct topology *t = &s->topo;

	(void)state;
	assert_int_equal(t->nexchanges, 5);
	assert_string_equal(t->exchanges[0].name, "pay.direct");
	assert_int_equal(t->exchanges[0].type, XTYPE_DIRECT);
	assert_int_equal(t->exchanges[0].durable, 1);
	assert_int_equal(t->exchanges[0].line, 9);
	assert_int_equal(t->exchanges[1].type, XTYPE_FANOUT);
	assert_int_equal(t->exchanges[1].durable, -1);
	assert_int_equal(t->exchanges[2].type, XTYPE_HEADERS);
	assert_int_equal(t->exchanges[2].durable, 0);
	assert_int_equal(t->exchanges[3].type, XTYPE_DELAYED);
	assert_int_equal(t->exchanges[3].delayed_type, XTYPE_TOPIC);
	assert_int_equal(t->exchanges[3].line, 12);
	script_free(s);
}

static void
test_good_queues(void **state)
{
	struct script *s = load_full();
	const struct topo_queue *q = s->topo.queues;

	(void)state;
	assert_int_equal(s->topo.nqueues, 4);
	assert_string_equal(q[0].name, "trade.pay");
	assert_int_equal(q[0].type, QTYPE_QUORUM);
	assert_int_equal(q[0].durable, -1);
	assert_true(q[0].ttl_ms == 4294967295LL);
	assert_string_equal(q[0].dlx, "dlx");
	assert_string_equal(q[0].dlrk, "dead");
	assert_true(q[0].max_length == 2147483647LL);
	assert_int_equal(q[0].overflow, OVERFLOW_REJECT_PUBLISH);
	assert_int_equal(q[0].delivery_limit, 3);
	assert_int_equal(q[0].role, QROLE_WORK);
	assert_int_equal(q[0].line, 16);
	assert_int_equal(q[1].type, QTYPE_LAZY);
	assert_int_equal(q[1].durable, 0);
	assert_int_equal(q[1].role, QROLE_DEAD);
	assert_int_equal(q[1].ttl_ms, -1);
	assert_null(q[1].dlx);
	assert_null(q[1].dlrk);
	assert_int_equal(q[1].max_length, -1);
	assert_int_equal(q[1].overflow, OVERFLOW_DROP_HEAD);
	assert_int_equal(q[1].delivery_limit, -1);
	/* "" is the default exchange, not "none". */
	assert_non_null(q[2].dlx);
	assert_string_equal(q[2].dlx, "");
	assert_int_equal(q[2].role, QROLE_ERROR);
	assert_int_equal(q[3].role, QROLE_DELAY);
	assert_int_equal(q[3].ttl_ms, 0);
	assert_int_equal(q[3].max_length, 0);
	script_free(s);
}

static void
test_good_bindings_consumers(void **state)
{
	struct script *s = load_full();
	const struct topology *t = &s->topo;

	(void)state;
	assert_int_equal(t->nbindings, 4);
	assert_string_equal(t->bindings[0].exchange, "pay.direct");
	assert_string_equal(t->bindings[0].queue, "trade.pay");
	assert_string_equal(t->bindings[0].key, "pay.success");
	assert_string_equal(t->bindings[1].key, "");
	assert_int_equal(t->bindings[1].nargs, 0);
	assert_int_equal(t->bindings[2].match_all, 0);
	assert_int_equal(t->bindings[2].nargs, 2);
	assert_string_equal(t->bindings[2].args[0].key, "type");
	assert_string_equal(t->bindings[2].args[0].value, "pay");
	assert_string_equal(t->bindings[2].args[1].key, "x-kind");
	assert_int_equal(t->bindings[2].line, 26);
	assert_int_equal(t->nconsumers, 2);
	assert_string_equal(t->consumers[1].name, "audit");
	assert_string_equal(t->consumers[1].queue, "dlq");
	assert_int_equal(t->consumers[1].line, 30);
	assert_string_equal(t->publish_exchange, "pay.direct");
	assert_string_equal(t->publish_key, "pay.success");
	assert_string_equal(t->error_exchange, "error.direct");
	assert_string_equal(t->error_key, "error");
	script_free(s);
}

static void
test_good_toggles(void **state)
{
	struct script *s = load_full();
	const struct script_toggle *t;

	(void)state;
	assert_int_equal(s->ntoggles, 5);
	t = find_toggle(s->toggles, s->ntoggles, "confirms");
	assert_non_null(t);
	assert_int_equal(t->value, CONFIRMS_EACH);
	assert_int_equal(t->line, 34);
	t = find_toggle(s->toggles, s->ntoggles, "mandatory");
	assert_int_equal(t->value, 1);
	t = find_toggle(s->toggles, s->ntoggles, "prefetch");
	assert_int_equal(t->value, 1);
	/* Ratios are stored in thousandths, from a decimal or an integer. */
	t = find_toggle(s->toggles, s->ntoggles, "retry_multiplier");
	assert_int_equal(t->value, 2500);
	t = find_toggle(s->toggles, s->ntoggles, "producer_multiplier");
	assert_int_equal(t->value, 3000);
	script_free(s);
}

static void
test_good_publish_steps(void **state)
{
	struct script *s = load_full();
	const struct publish_req *p;

	(void)state;
	assert_int_equal(s->nsteps, 12);
	assert_int_equal(s->steps[0].line, 37);
	assert_int_equal(s->steps[0].action.kind, ACT_NONE);
	assert_string_equal(s->steps[0].say.en, "Hello\nthere");
	p = &s->steps[1].action.publish;
	assert_int_equal(s->steps[1].action.kind, ACT_PUBLISH);
	assert_int_equal(p->count, 3);
	assert_null(p->exchange);
	assert_string_equal(p->key, "k");
	assert_int_equal(p->persistent, 0);
	assert_int_equal(p->expiration_ms, 1000);
	assert_int_equal(p->delay_ms, -1);
	assert_int_equal(p->every_us, 10000);
	assert_int_equal(p->nheaders, 1);
	assert_string_equal(p->headers[0].key, "a");
	assert_string_equal(p->headers[0].value, "b");
	p = &s->steps[2].action.publish;
	assert_int_equal(p->count, 1);
	assert_string_equal(p->exchange, "later");
	assert_null(p->key);
	assert_int_equal(p->persistent, -1);
	assert_int_equal(p->expiration_ms, -1);
	assert_int_equal(p->delay_ms, 5000);
	assert_int_equal(p->every_us, 0);
	assert_null(p->headers);
	script_free(s);
}

static void
test_good_other_actions(void **state)
{
	struct script *s = load_full();
	const struct script_action *a;
	const struct script_toggle *t;

	(void)state;
	a = &s->steps[3].action;
	assert_int_equal(a->kind, ACT_TOGGLE);
	assert_int_equal(a->ntoggles, 2);
	t = find_toggle(a->toggles, a->ntoggles, "ack_mode");
	assert_int_equal(t->value, ACK_MANUAL);
	t = find_toggle(a->toggles, a->ntoggles, "durable_queue");
	assert_int_equal(t->value, 0);
	a = &s->steps[4].action;
	assert_int_equal(a->kind, ACT_FAIL);
	assert_int_equal(a->fail.kind, FAIL_CONSUMER_EXCEPTION);
	assert_string_equal(a->fail.target, "trade");
	assert_int_equal(a->fail.ms, 3000);
	assert_int_equal(a->fail.times, 2);
	assert_int_equal(a->fail.unreadable, 1);
	assert_int_equal(s->steps[5].action.kind, ACT_RESTART);
	assert_int_equal(s->steps[6].action.kind, ACT_WAIT);
	assert_int_equal(s->steps[6].action.ms, 1000);
	assert_int_equal(s->steps[7].action.kind, ACT_SETTLE);
	assert_int_equal(s->steps[7].action.ms, 60000);
	assert_int_equal(s->steps[8].action.kind, ACT_CONSUME);
	assert_string_equal(s->steps[8].action.consumer, "trade");
	assert_int_equal(s->steps[9].action.kind, ACT_STOP);
	assert_null(s->steps[9].action.consumer);
	script_free(s);
}

static void
test_good_question(void **state)
{
	struct script *s = load_full();
	const struct script_question *q = s->steps[10].ask;

	(void)state;
	assert_non_null(q);
	assert_null(s->steps[0].ask);
	assert_string_equal(q->prompt.zh, "问？");
	assert_int_equal(q->nchoices, 3);
	assert_string_equal(q->choices[2].en, "c");
	assert_string_equal(q->choices[1].zh, "乙");
	/* 1-based in the file, 0-based in memory. */
	assert_int_equal(q->answer, 1);
	assert_string_equal(q->explain.en, "Because.");
	script_free(s);
}

static void
test_good_expects(void **state)
{
	struct script *s = load_full();
	const struct script_step *st = &s->steps[11];

	(void)state;
	assert_int_equal(st->nexpects, 6);
	assert_string_equal(st->expects[0].counter, "lost");
	assert_int_equal(st->expects[0].min, 3);
	assert_int_equal(st->expects[0].max, 3);
	assert_int_equal(st->expects[0].line, 53);
	assert_string_equal(st->expects[2].counter, "in_flight");
	assert_int_equal(st->expects[2].min, 0);
	assert_int_equal(st->expects[2].max, 2);
	assert_string_equal(st->expects[3].counter, "lost_broker_crash");
	assert_string_equal(st->expects[4].counter, "queue.trade.pay.ready");
	assert_int_equal(st->expects[4].min, 2);
	assert_int_equal(st->expects[4].max, 2);
	assert_int_equal(st->expects[4].line, 54);
	assert_string_equal(st->expects[5].counter, "queue.trade.pay.unacked");
	assert_int_equal(st->expects[5].min, 0);
	assert_int_equal(st->expects[5].max, 1);
	script_free(s);
}

static void
test_good_challenge(void **state)
{
	struct script *s = load_full();
	const struct script_challenge *c = s->challenge;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->line, 56);
	assert_string_equal(c->goal.zh, "不丢消息。");
	assert_int_equal(c->nsetup, 1);
	assert_int_equal(c->setup[0].id, TOGGLE_ACK_MODE);
	assert_int_equal(c->setup[0].value, ACK_NONE);
	assert_int_equal(c->nsteps, 3);
	assert_int_equal(c->steps[0].action.publish.count, 100);
	assert_int_equal(c->steps[1].action.fail.kind, FAIL_BROKER_CRASH);
	assert_null(c->steps[1].action.fail.target);
	assert_int_equal(c->steps[1].action.fail.ms, 0);
	assert_int_equal(c->steps[1].action.fail.times, 0);
	assert_int_equal(c->steps[2].action.ms, 1000);
	assert_int_equal(c->nexpects, 2);
	assert_string_equal(c->expects[1].counter, "processed");
	assert_int_equal(c->expects[1].min, 100);
	assert_int_equal(c->nhints, 2);
	assert_string_equal(c->hints[1].zh, "应答。");
	assert_int_equal(c->nsolution, 2);
	assert_int_equal(c->solution[0].id, TOGGLE_CONFIRMS);
	assert_int_equal(c->solution[0].value, CONFIRMS_EACH);
	script_free(s);
}

static void
test_defaults(void **state)
{
	struct script_diag d = { 0 };
	struct script *s = load(HEAD "topology = { };\nsteps = ( " SAY " );\n",
	    &d);

	(void)state;
	assert_non_null(s);
	assert_int_equal(d.count, 0);
	assert_int_equal(s->seed, 1);
	assert_int_equal(s->sim_only, 0);
	assert_null(s->summary.en);
	assert_int_equal(s->topo.nexchanges, 0);
	assert_string_equal(s->topo.publish_exchange, "");
	assert_string_equal(s->topo.publish_key, "");
	assert_null(s->topo.error_exchange);
	assert_int_equal(s->ntoggles, 0);
	assert_int_equal(s->nsteps, 1);
	assert_null(s->challenge);
	script_free(s);
	script_diag_free(&d);
}

static void
test_text_get(void **state)
{
	char hi[] = "hi", nihao[] = "你好";
	struct script_text both = { hi, nihao };
	struct script_text en = { hi, NULL };
	struct script_text zh = { NULL, nihao };
	struct script_text none = { NULL, NULL };

	(void)state;
	assert_string_equal(script_text_get(&both, "zh"), "你好");
	assert_string_equal(script_text_get(&both, "en"), "hi");
	assert_string_equal(script_text_get(&en, "zh"), "hi");
	assert_string_equal(script_text_get(&zh, "zh"), "你好");
	assert_string_equal(script_text_get(&none, "zh"), "");
	assert_string_equal(script_text_get(NULL, "en"), "");
}

static void
test_diag_add_and_reuse(void **state)
{
	struct script_diag d = { 0 };
	struct script *s;

	(void)state;
	script_diag_add(&d, "%s:%d: %s", "x.cfg", 3, "made up");
	assert_int_equal(d.count, 1);
	assert_string_equal(d.lines[0], "x.cfg:3: made up");
	/* Lines already there are not this load's problems. */
	s = load(WITH_STEP(SAY), &d);
	assert_non_null(s);
	assert_int_equal(d.count, 1);
	script_free(s);
	script_diag_free(&d);
	assert_int_equal(d.count, 0);
	assert_null(d.lines);
	script_free(NULL);
	script_diag_free(NULL);
}

/* ---------------------------------------------------------------------- */
/* Bad scripts: syntax and encoding                                        */

static void
test_syntax_error(void **state)
{
	(void)state;
	unit_fails_with(HEAD TOPO "steps = (\n" SAY "\n" SAY "\n);\n",
	    "t.cfg:11: syntax error");
}

static void
test_trailing_comma(void **state)
{
	(void)state;
	unit_fails_with(HEAD TOPO "steps = (\n" SAY ",\n);\n",
	    "t.cfg:11: syntax error; libconfig does not allow a trailing "
	    "comma: remove the ',' at the end of line 10");
	unit_fails_with(HEAD TOPO "steps = ( " SAY ", );\n",
	    "t.cfg:9: syntax error; libconfig does not allow a trailing "
	    "comma: remove the ',' before ')'");
}

static void
test_bom(void **state)
{
	(void)state;
	/* Reported on line 1, and the rest is still checked. */
	unit_fails_with("\xEF\xBB\xBF" WITH_STEP(SAY),
	    "t.cfg:1: syntax error: the file starts with a byte-order mark, "
	    "which libconfig cannot read; remove the UTF-8 byte-order mark");
}

static void
test_unquoted_and_unclosed(void **state)
{
	(void)state;
	unit_fails_with(HEAD "toggles = { confirms = each; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: syntax error; text values need double quotes: write "
	    "\"each\"");
	expect_has(HEAD TOPO "steps = ( { say = { en = \"a; zh = \"b\"; }; } );\n"
	    "x = 1;\n", "t.cfg:", "the string opened on line 9 is never "
	    "closed");
}

static void
test_not_utf8(void **state)
{
	(void)state;
	unit_fails_with(HEAD TOPO "steps = ( { say = { en = \"Caf\xE9\"; zh = "
	    "\"b\"; }; } );\n", "t.cfg:9: the text is not valid UTF-8 (byte "
	    "0xE9 at column 30); save the file as UTF-8");
	/* Escapes can make bad UTF-8 too; so can a lone surrogate. */
	unit_fails_with(WITH_STEP("{ say = { en = \"\\xC3\"; zh = \"b\"; }; }"),
	    "t.cfg:10: the English text (en) of 'say' is not valid UTF-8 "
	    "(check its \\x escapes)");
	expect_has(HEAD TOPO "steps = ( { say = { en = \"\xED\xA0\x80\"; "
	    "zh = \"b\"; }; } );\n", "t.cfg:9:", "not valid UTF-8");
}

static void
test_too_large(void **state)
{
	struct script_diag d = { 0 };
	size_t n = 1024 * 1024 + 1;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	big[n] = '\0';
	assert_null(load(big, &d));
	assert_int_equal(d.count, 1);
	assert_string_equal(d.lines[0], "t.cfg:1: the script is 1048577 "
	    "bytes; a script may be at most 1 MiB (1048576 bytes)");
	script_diag_free(&d);
	free(big);
}

static void
test_include_refused_in_text(void **state)
{
	(void)state;
	expect_has(HEAD "@include \"/etc/passwd\"\n" TOPO "steps = ( " SAY
	    " );\n", "t.cfg:3: ", "@include is not allowed in a script given "
	    "as text");
	/* An '@' anywhere else is a syntax error, never an include. */
	expect_has(HEAD "x = 1; @include \"a\"\n", "t.cfg:3: ",
	    "syntax error: '@' may only start an @include \"FILE\" line");
}

/* ---------------------------------------------------------------------- */
/* Bad scripts: keys, types and ranges                                     */

static void
test_unknown_key(void **state)
{
	(void)state;
	unit_fails_with(HEAD "toggles = { confrims = \"each\"; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: unknown key 'confrims' in toggles (did you mean "
	    "'confirms'?)");
	/* A key already present is still suggested for a duplicate typo. */
	unit_fails_with(HEAD "titel = { en = \"T\"; zh = \"题\"; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: unknown key 'titel' in the script (did you mean "
	    "'title'?)");
	/* Too far from any key for a guess: the valid keys are listed. */
	unit_fails_with(WITH_STEP("{ do = \"wait\"; ms = 1; frobnicate = 2; }"),
	    "t.cfg:10: unknown key 'frobnicate' in step 1; valid keys are "
	    "say, do, ask, choices, answer, explain, expect, expect_queue, "
	    "compare, learner, count, exchange, key, persistent, expiration_ms, delay_ms, "
	    "every_ms, headers, set, failure, target, ms, times, unreadable, "
	    "consumer, us, until_met");
}

static void
test_wrong_type(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP("{ do = \"publish\"; count = \"3\"; }"),
	    "t.cfg:10: 'count' must be an integer, not a string (write 3 "
	    "without quotes)");
	unit_fails_with(WITH_STEP("{ do = \"publish\"; count = 3.0; }"),
	    "t.cfg:10: 'count' must be an integer, not a decimal number "
	    "(write 3, without a decimal point)");
	unit_fails_with(WITH_STEP("{ do = \"publish\"; persistent = \"true\"; }"),
	    "t.cfg:10: 'persistent' must be true or false, not a string "
	    "(write true without quotes)");
	unit_fails_with(HEAD TOPO "steps = { };\n",
	    "t.cfg:9: 'steps' must be a list ( ... ), not a group { ... }");
	unit_fails_with(WITH_STEP("{ say = \"hello\"; }"),
	    "t.cfg:10: 'say' must be a text { en = \"...\"; zh = \"...\"; }, "
	    "not a string");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP("{ do = \"publish\"; count = 0; }"),
	    "t.cfg:10: 'count' is 0, expected 1 to 10000000");
	unit_fails_with(WITH_STEP("{ do = \"wait\"; ms = -5; }"),
	    "t.cfg:10: 'ms' is -5, expected 0 to 86400000");
	unit_fails_with(WITH_STEP("{ expect = { lost = -1; }; }"),
	    "t.cfg:10: 'lost' is -1, expected 0 or more");
}

static void
test_integers_not_truncated(void **state)
{
	(void)state;
	/* 2^32 would read as 0 (valid!) if libconfig kept 32 bits. */
	unit_fails_with(WITH_STEP("{ do = \"publish\"; expiration_ms = "
	    "4294967296; }"),
	    "t.cfg:10: 'expiration_ms' is 4294967296, expected 0 to "
	    "4294967295");
	unit_fails_with(WITH_STEP("{ do = \"publish\"; count = 0x100000001; }"),
	    "t.cfg:10: 'count' is 4294967297, expected 1 to 10000000");
	/* Beyond 64 bits: one message, not a second about the value. */
	unit_fails_with(HEAD "seed = 123456789012345678901234567890;\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: the number 123456789012345678901234567890 does not fit "
	    "in 64 bits");
	/* Mixed widths in one array are fine once all are 64-bit. */
	{
		struct script_diag d = { 0 };
		struct script *s = load(WITH_STEP("{ expect = { published = "
		    "[1, 5000000000]; }; }"), &d);
		assert_non_null(s);
		assert_true(s->steps[0].expects[0].max == 5000000000ULL);
		script_free(s);
		script_diag_free(&d);
	}
}

static void
test_missing_required(void **state)
{
	struct script_diag d = { 0 };

	(void)state;
	/* Missing top-level keys point at line 1; all four are reported. */
	assert_null(load("# nothing\n", &d));
	assert_int_equal(d.count, 4);
	assert_string_equal(d.lines[0],
	    "t.cfg:1: missing required key 'id' in the script");
	assert_string_equal(d.lines[1],
	    "t.cfg:1: missing required key 'title' in the script");
	assert_string_equal(d.lines[2],
	    "t.cfg:1: missing required key 'topology' in the script");
	assert_string_equal(d.lines[3],
	    "t.cfg:1: missing required key 'steps' in the script");
	script_diag_free(&d);
	/* Nested ones point at their group. */
	unit_fails_with(WITH_STEP("{ do = \"wait\"; }"),
	    "t.cfg:10: missing required key 'ms' in step 1");
	unit_fails_with(HEAD TOPO "steps = ();\n",
	    "t.cfg:9: 'steps' is empty; it needs at least 1 entry");
	unit_fails_with(WITH_STEP("{ }"), "t.cfg:10: step 1 does nothing: give "
	    "it at least one of say, do, ask, expect, expect_queue");
}

static void
test_missing_translation(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP("{ say = { en = \"only English\"; }; }"),
	    "t.cfg:10: 'say' has no Chinese text (zh)");
	unit_fails_with(WITH_STEP("{ say = { zh = \"只有中文\"; }; }"),
	    "t.cfg:10: 'say' has no English text (en)");
	unit_fails_with(WITH_STEP("{ say = { en = \"\"; zh = \"中\"; }; }"),
	    "t.cfg:10: 'say' has an empty English text (en)");
	expect_has(WITH_STEP("{ say = { en = \"a\"; zn = \"中\"; }; }"),
	    "t.cfg:10: ", "unknown key 'zn' in 'say' (did you mean 'zh'?)");
}

static void
test_bad_id(void **state)
{
	(void)state;
	unit_fails_with("id = \"Lesson_1\";\ntitle = { en = \"T\"; zh = \"题\"; };\n"
	    TOPO "steps = ( " SAY " );\n",
	    "t.cfg:1: 'id' is 'Lesson_1'; expected 1 to 64 lowercase letters, "
	    "digits and '-', like \"01-first-message\"");
}

/* ---------------------------------------------------------------------- */
/* Bad scripts: actions, toggles, expectations, questions                  */

static void
test_unknown_action(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP("{ do = \"pubish\"; }"),
	    "t.cfg:10: unknown action 'pubish' (did you mean 'publish'?); "
	    "expected one of publish, toggle, fail, restart, wait, settle, "
	    "consume, stop");
	unit_fails_with(WITH_STEP("{ do = \"wait\"; ms = 10; count = 2; }"),
	    "t.cfg:10: 'count' does not apply to do = \"wait\"; wait takes ms, us, until_met");
	unit_fails_with(WITH_STEP("{ count = 2; " "say = { en = \"a\"; zh = \"b\"; "
	    "}; }"), "t.cfg:10: 'count' is a parameter of an action, but step "
	    "1 has no 'do'");
}

static void
test_unknown_failure_and_target(void **state)
{
	(void)state;
	/* Every failure in the engine's table is listed, in its order. */
	expect_has(WITH_STEP("{ do = \"fail\"; failure = \"broker_crsh\"; }"),
	    "t.cfg:10: unknown failure 'broker_crsh' (did you mean "
	    "'broker_crash'?); expected one of connection_lost, blackhole, "
	    "missing_exchange, unroutable, queue_full, broker_crash, "
	    "broker_stop, consumer_crash_before, consumer_crash_after, "
	    "consumer_exception, message_expiry", "");
	unit_fails_with(WITH_STEP("{ do = \"fail\"; failure = \"queue_full\"; "
	    "target = \"trade.pya\"; }"),
	    "t.cfg:10: unknown target 'trade.pya' (did you mean "
	    "'trade.pay'?); expected producer, consumer, or a declared "
	    "queue, exchange or consumer");
	unit_fails_with(WITH_STEP("{ do = \"consume\"; consumer = \"tarde\"; }"),
	    "t.cfg:10: undeclared consumer 'tarde' (did you mean 'trade'?)");
}

static void
test_bad_toggles(void **state)
{
	(void)state;
	unit_fails_with(HEAD "toggles = { confirms = \"always\"; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: 'confirms' cannot be 'always'; expected one of off, "
	    "each, batch, async");
	unit_fails_with(HEAD "toggles = { ack_mode = \"manul\"; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: 'ack_mode' cannot be 'manul' (did you mean 'manual'?); "
	    "expected one of none, auto, manual");
	unit_fails_with(HEAD "toggles = { prefetch = 70000; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: 'prefetch' is 70000, expected 0 to 65535");
	unit_fails_with(HEAD "toggles = { retry_multiplier = 0.5; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: 'retry_multiplier' is 0.5, expected 1 to 100");
	unit_fails_with(HEAD "toggles = { mandatory = 1; };\n" TOPO
	    "steps = ( " SAY " );\n",
	    "t.cfg:3: 'mandatory' must be true or false, not an integer");
	expect_has(WITH_STEP("{ do = \"toggle\"; set = { ack = \"manual\"; }; }"),
	    "t.cfg:10: unknown key 'ack' in 'set'; toggles are confirms, ",
	    "reconcile_ms");
	unit_fails_with(WITH_STEP("{ do = \"toggle\"; set = { }; }"),
	    "t.cfg:10: 'set' is empty; name at least one toggle");
}

static void
test_bad_expect(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP("{ expect = { lsot = 0; }; }"),
	    "t.cfg:10: unknown counter 'lsot' in expect (did you mean "
	    "'lost'?)");
	unit_fails_with(WITH_STEP("{ expect = { in_flight = [3, 1]; }; }"),
	    "t.cfg:10: 'in_flight' is [3, 1]: min is above max");
	unit_fails_with(WITH_STEP("{ expect = { in_flight = [1, 2, 3]; }; }"),
	    "t.cfg:10: 'in_flight' must be a range [min, max] of two counts, "
	    "not 3 values");
	unit_fails_with(WITH_STEP("{ expect = { lost = \"none\"; }; }"),
	    "t.cfg:10: 'lost' must be a count or a range [min, max], not a "
	    "string");
	unit_fails_with(WITH_STEP("{ expect_queue = ( { queue = \"trade.pya\"; "
	    "ready = 1; } ); }"),
	    "t.cfg:10: undeclared queue 'trade.pya' (did you mean "
	    "'trade.pay'?)");
	unit_fails_with(WITH_STEP("{ expect_queue = ( { queue = \"trade.pay\"; } ); }"),
	    "t.cfg:10: expect_queue entry 1 expects nothing: give it ready, "
	    "unacked or both");
}

#define ASK_START "{ ask = { en = \"Q\"; zh = \"问\"; };\n"
#define TWO_CHOICES                                                        \
	"choices = ( { en = \"a\"; zh = \"甲\"; }, { en = \"b\"; zh = \"乙\"; } );\n"
#define EXPLAIN "explain = { en = \"E\"; zh = \"解\"; }; }"

static void
test_bad_question(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP(ASK_START TWO_CHOICES "answer = 3;\n" EXPLAIN),
	    "t.cfg:12: 'answer' is 3, expected 1 to 2");
	unit_fails_with(WITH_STEP(ASK_START TWO_CHOICES "answer = 0;\n" EXPLAIN),
	    "t.cfg:12: 'answer' is 0, expected 1 to 2");
	unit_fails_with(WITH_STEP(ASK_START "choices = ( { en = \"a\"; zh = "
	    "\"甲\"; } );\nanswer = 1;\n" EXPLAIN),
	    "t.cfg:11: 'choices' has 1 entry, expected 2 to 6");
	unit_fails_with(WITH_STEP(ASK_START TWO_CHOICES "answer = 1; }"),
	    "t.cfg:10: missing required key 'explain' in step 1");
	unit_fails_with(WITH_STEP("{ say = { en = \"a\"; zh = \"b\"; }; answer = "
	    "1; }"), "t.cfg:10: 'answer' belongs to a question, but step 1 "
	    "has no 'ask'");
}

static void
test_bad_challenge(void **state)
{
	(void)state;
	unit_fails_with(WITH_STEP(SAY) "challenge = {\n"
	    "  goal = { en = \"G\"; zh = \"目标\"; };\n"
	    "  steps = ( " ASK_START TWO_CHOICES "answer = 1; " EXPLAIN " );\n"
	    "  expect = { lost = 0; };\n"
	    "  hints = ( { en = \"h\"; zh = \"提示\"; } );\n"
	    "  solution = { confirms = \"each\"; };\n"
	    "};\n", "t.cfg:14: a challenge step cannot ask a question");
	expect_has(WITH_STEP(SAY) "challenge = {\n"
	    "  goal = { en = \"G\"; zh = \"目标\"; };\n"
	    "  steps = ( { do = \"settle\"; } );\n"
	    "  hints = ();\n"
	    "  solution = { };\n"
	    "};\n", "t.cfg:12: ", "missing required key 'expect' in the "
	    "challenge");
}

#define FIXED_CHAL(fixed)                                                  \
	WITH_STEP(SAY) "challenge = {\n"                                    \
	"  goal = { en = \"G\"; zh = \"目标\"; };\n"                          \
	"  steps = ( { do = \"settle\"; } );\n"                              \
	"  expect = { lost = 0; };\n"                                       \
	"  hints = ( { en = \"h\"; zh = \"提示\"; } );\n"                     \
	"  solution = { confirms = \"each\"; };\n"                          \
	"  fixed = " fixed ";\n"                                             \
	"};\n"

/* A challenge's `fixed` names known toggles the solution leaves alone. */
static void
test_challenge_fixed(void **state)
{
	struct script_diag d = { 0 };
	struct script *s = load(FIXED_CHAL("[ \"persistent\", \"mandatory\" ]"),
	    &d);

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->challenge->fixed[TOGGLE_PERSISTENT], 1);
	assert_int_equal(s->challenge->fixed[TOGGLE_MANDATORY], 1);
	assert_int_equal(s->challenge->fixed[TOGGLE_CONFIRMS], 0);
	script_free(s);
	script_diag_free(&d);
	unit_fails_with(FIXED_CHAL("[ \"confirms\" ]"), "t.cfg:18: 'fixed' "
	    "keeps confirms as it is, yet the solution changes it");
	expect_has(FIXED_CHAL("[ \"persistant\" ]"), "t.cfg:18: unknown "
	    "toggle 'persistant' (did you mean 'persistent'?); expected one of "
	    "confirms, ", "reconcile_ms");
	unit_fails_with(FIXED_CHAL("[ ]"), "t.cfg:18: 'fixed' must name "
	    "toggles, as [ \"persistent\" ]");
}

/* ---------------------------------------------------------------------- */
/* Bad scripts: topology                                                   */

static void
test_undeclared_names(void **state)
{
	(void)state;
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"trade.pay\"; } );\n"
	    "  bindings = ( { exchange = \"pay.direct\"; queue = \"trade.pay\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:5: undeclared exchange 'pay.direct'; the topology declares "
	    "no exchanges");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"pay.direct\"; type = \"direct\"; } );\n"
	    "  queues = ( { name = \"trade.pay\"; } );\n"
	    "  bindings = ( { exchange = \"pay.direct\"; queue = \"trade.pya\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:6: undeclared queue 'trade.pya' (did you mean "
	    "'trade.pay'?)");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"pay.direct\"; type = \"direct\"; } );\n"
	    "  queues = ( { name = \"q\"; dead_letter_exchange = \"nowhere\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:5: undeclared exchange 'nowhere'; declared exchanges: "
	    "pay.direct");
	unit_fails_with(HEAD "topology = {\n"
	    "  error = { key = \"e\"; };\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: missing required key 'exchange' in error");
}

static void
test_duplicates_and_reserved(void **state)
{
	(void)state;
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"trade.pay\"; },\n"
	    "             { name = \"trade.pay\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:5: duplicate queue name 'trade.pay' (first declared on "
	    "line 4)");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"amq.direct\"; type = \"direct\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: exchange name 'amq.direct' starts with 'amq.', which "
	    "RabbitMQ reserves for itself");
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"two\\nlines\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: 'name' holds a control character (0x0A); a name or key "
	    "is one line");
}

static void
test_exchange_rules(void **state)
{
	(void)state;
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"later\"; type = \"x-delayed-message\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: exchange type x-delayed-message needs sim_only = true: "
	    "the delayed-message plugin does not ship with Debian's RabbitMQ");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"x\"; type = \"drect\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: unknown exchange type 'drect' (did you mean 'direct'?); "
	    "expected one of direct, fanout, topic, headers, "
	    "x-delayed-message");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"x\"; type = \"topic\"; delayed_type = \"direct\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: 'delayed_type' applies only to exchanges of type "
	    "x-delayed-message");
	unit_fails_with(HEAD TOPO "steps = ( { do = \"publish\"; delay_ms = 10; } );\n",
	    "t.cfg:9: 'delay_ms' needs an x-delayed-message exchange, but this "
	    "publish goes to the default exchange");
}

static void
test_queue_rules(void **state)
{
	(void)state;
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"q\"; type = \"classic\"; delivery_limit = 3; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: 'delivery_limit' needs type = \"quorum\": only quorum "
	    "queues count deliveries");
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"q\"; type = \"quorum\"; durable = false; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: a quorum queue is always durable; remove durable = "
	    "false");
	unit_fails_with(HEAD "topology = {\n"
	    "  queues = ( { name = \"q\"; overflow = \"drop\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:4: 'overflow' cannot be 'drop'; expected one of drop-head, "
	    "reject-publish");
}

static void
test_headers_only(void **state)
{
	(void)state;
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"d\"; type = \"direct\"; } );\n"
	    "  queues = ( { name = \"q\"; } );\n"
	    "  bindings = ( { exchange = \"d\"; queue = \"q\"; match = \"all\"; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:6: 'match' applies only to headers exchanges; 'd' is "
	    "direct");
	unit_fails_with(HEAD "topology = {\n"
	    "  exchanges = ( { name = \"h\"; type = \"headers\"; } );\n"
	    "  queues = ( { name = \"q\"; } );\n"
	    "  bindings = ( { exchange = \"h\"; queue = \"q\"; args = { a = 1; }; } );\n"
	    "};\nsteps = ( " SAY " );\n",
	    "t.cfg:6: 'a' must be a string, not an integer");
}

/* ---------------------------------------------------------------------- */
/* Reporting                                                               */

static void
test_every_problem_reported(void **state)
{
	struct script_diag d = { 0 };

	(void)state;
	assert_null(load(HEAD TOPO "steps = (\n"
	    "  { do = \"pubish\"; },\n"
	    "  { do = \"wait\"; ms = 1.5; },\n"
	    "  { say = { en = \"x\"; }; }\n"
	    ");\n", &d));
	assert_int_equal(d.count, 3);
	assert_string_equal(d.lines[0], "t.cfg:10: unknown action 'pubish' "
	    "(did you mean 'publish'?); expected one of publish, toggle, fail, "
	    "restart, wait, settle, consume, stop");
	assert_string_equal(d.lines[1], "t.cfg:11: 'ms' must be an integer, "
	    "not a decimal number");
	assert_string_equal(d.lines[2],
	    "t.cfg:12: 'say' has no Chinese text (zh)");
	script_diag_free(&d);
}

static void
test_problems_capped(void **state)
{
	struct script_diag d = { 0 };
	char *text = malloc(8192);
	size_t n;

	(void)state;
	assert_non_null(text);
	n = (size_t)snprintf(text, 8192, "%s", HEAD TOPO "steps = (\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, 8192 - n,
		    "  { do = \"wait\"; ms = -1; },\n");
	snprintf(text + n, 8192 - n, "  " SAY "\n);\n");
	assert_null(load(text, &d));
	assert_int_equal(d.count, 31);
	assert_string_equal(d.lines[0],
	    "t.cfg:10: 'ms' is -1, expected 0 to 86400000");
	assert_string_equal(d.lines[30],
	    "t.cfg:40: too many problems; stopping after the first 30");
	script_diag_free(&d);
	free(text);
}

/* ---------------------------------------------------------------------- */
/* Files                                                                   */

static void
test_load_file_with_include(void **state)
{
	char dir[] = "/tmp/test_script.XXXXXX", main_path[64], inc[64];
	char bad[64], sub[64];
	struct script_diag d = { 0 };
	struct script *s;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(main_path, sizeof main_path, "%s/main.cfg", dir);
	snprintf(inc, sizeof inc, "%s/topo.cfg", dir);
	snprintf(bad, sizeof bad, "%s/bad.cfg", dir);
	snprintf(sub, sizeof sub, "%s/sub", dir);
	/* The included file has a 33-bit literal and sits beside main.cfg. */
	unit_write_file(inc, "# shared topology\n"
	    "topology = {\n"
	    "  queues = ( { name = \"q\"; ttl_ms = 4000000000; } );\n"
	    "  consumers = ( { name = \"c\"; queue = \"q\"; } );\n"
	    "};\n");
	unit_write_file(main_path, HEAD
	    "  @include \"topo.cfg\" seed = 7;\n"
	    "steps = (\n"
	    "  { do = \"consume\"; consumer = \"c\"; }\n"
	    ");\n");
	s = script_load(main_path, &d);
	for (size_t i = 0; i < d.count; i++)
		print_message("unexpected: %s\n", d.lines[i]);
	assert_non_null(s);
	assert_string_equal(s->path, main_path);
	assert_true(s->topo.queues[0].ttl_ms == 4000000000LL);
	/* Lines are counted in the file each setting came from. */
	assert_int_equal(s->topo.queues[0].line, 3);
	assert_int_equal(s->topo.consumers[0].line, 4);
	assert_int_equal(s->seed, 7);
	assert_int_equal(s->steps[0].line, 5);
	script_free(s);

	/* A problem inside an included file names that file and line. */
	unit_write_file(inc, "topology = {\n"
	    "  consumers = ( { name = \"c\"; queue = \"nope\"; } );\n"
	    "};\n");
	assert_null(script_load(main_path, &d));
	assert_int_equal(d.count, 2);
	{
		char want[160];
		snprintf(want, sizeof want, "%s:2: undeclared queue 'nope'; "
		    "the topology declares no queues", inc);
		assert_string_equal(d.lines[0], want);
		snprintf(want, sizeof want, "%s:5: undeclared consumer 'c'; "
		    "the topology declares no consumers", main_path);
		assert_string_equal(d.lines[1], want);
	}
	script_diag_free(&d);

	/* Including itself stops at the nesting limit. */
	unit_write_file(bad, "@include \"bad.cfg\"\n");
	assert_null(script_load(bad, &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.lines[0], ":1: @include nested more than 10 "
	    "deep"));
	script_diag_free(&d);

	/* A directory, a missing file: line 0, the file itself. */
	assert_int_equal(mkdir(sub, 0700), 0);
	unit_write_file(bad, "@include \"sub\"\n");
	assert_null(script_load(bad, &d));
	assert_non_null(strstr(d.lines[0], "bad.cfg:1: cannot include '"));
	assert_non_null(strstr(d.lines[0], "/sub': it is a directory"));
	script_diag_free(&d);
	assert_null(script_load(sub, &d));
	{
		char want[160];
		snprintf(want, sizeof want, "%s:0: cannot read the script: it "
		    "is a directory", sub);
		assert_string_equal(d.lines[0], want);
	}
	script_diag_free(&d);
	assert_null(script_load("/nonexistent/x.cfg", &d));
	assert_string_equal(d.lines[0], "/nonexistent/x.cfg:0: cannot read "
	    "the script: No such file or directory");
	script_diag_free(&d);

	unlink(main_path);
	unlink(inc);
	unlink(bad);
	rmdir(sub);
	rmdir(dir);
}

static void
test_file_limits(void **state)
{
	char dir[] = "/tmp/test_script.XXXXXX", path[64];
	struct script_diag d = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/big.cfg", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1024 * 1024 + 1; i++)
		fputc('\n', f);
	fclose(f);
	assert_null(script_load(path, &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.lines[0], ":0: cannot read the script: it is "
	    "1048577 bytes; a script may be at most 1 MiB (1048576 bytes)"));
	script_diag_free(&d);
	/* A NUL byte: the text is not a script. */
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("id = \"a\";\ntitle = ", f);
	fputc('\0', f);
	fputs("x;\n", f);
	fclose(f);
	assert_null(script_load(path, &d));
	assert_int_equal(d.count, 1);
	assert_non_null(strstr(d.lines[0], "big.cfg:2: the file holds a NUL "
	    "byte (column 9)"));
	script_diag_free(&d);
	unlink(path);
	rmdir(dir);
}

/* ---------------------------------------------------------------------- */
/* Comparison rules                                                         */

/* A script with rules in every place; the comments give the line numbers. */
static const char compare_script[] =
    HEAD TOPO                                                               /* 1-8 */
    "steps = (\n"                                                          /* 9 */
    "  { do = \"publish\"; count = 5;\n"                                   /* 10 */
    "    compare = { counter = [ \"delivered\", \"lost*\" ]; skip = true; onward = true;\n" /* 11 */
    "                why = \"race\"; }; },\n"                              /* 12 */
    "  { do = \"wait\"; ms = 10; expect = { lost = 0; };\n"                /* 13 */
    "    compare = ( { counter = \"queue.trade.pay.unacked\"; skip = true; why = \"loop\"; },\n" /* 14 */
    "                { counter = \"*\"; within = 0.75; why = \"rate\"; } ); },\n" /* 15 */
    "  { do = \"settle\"; }\n"                                             /* 16 */
    ");\n"                                                                 /* 17 */
    "compare = { counter = [ \"reasons\", \"codes\" ]; skip = true; why = \"same race\"; };\n" /* 18 */
    "challenge = {\n"                                                      /* 19 */
    "  goal = { en = \"g\"; zh = \"目标\"; };\n"                            /* 20 */
    "  steps = ( { do = \"publish\"; }, { do = \"settle\"; } );\n"         /* 21 */
    "  expect = { lost = 0; };\n"                                          /* 22 */
    "  hints = ( { en = \"h\"; zh = \"提示\"; } );\n"                       /* 23 */
    "  solution = { confirms = \"each\"; };\n"                             /* 24 */
    "  compare = { counter = \"processed\"; within = 0.5; run = \"without_solution\";\n" /* 25 */
    "              why = \"storm\"; };\n"                                  /* 26 */
    "};\n";                                                                /* 27 */

static void
test_good_compare_rules(void **state)
{
	struct script_diag d = { 0 };
	struct script *s = load(compare_script, &d);
	const struct script_tolerance *t;
	(void)state;

	for (size_t i = 0; i < d.count; i++)
		print_message("unexpected: %s\n", d.lines[i]);
	assert_non_null(s);
	assert_int_equal(s->steps[0].ntolerances, 1);
	t = &s->steps[0].tolerances[0];
	assert_int_equal(t->ncounters, 2);
	assert_string_equal(t->counters[1], "lost*");
	assert_true(t->within == 0);
	assert_true(t->onward);
	assert_int_equal(t->run, SCRIPT_RUNS_BOTH);
	assert_string_equal(t->why, "race");
	assert_int_equal(t->line, 11);
	assert_int_equal(s->steps[1].ntolerances, 2);
	assert_true(s->steps[1].tolerances[0].within == 0);
	assert_true(s->steps[1].tolerances[1].within == 0.75);
	assert_int_equal(s->steps[1].tolerances[1].line, 15);
	assert_int_equal(s->ntolerances, 1);
	assert_int_equal(s->tolerances[0].ncounters, 2);
	assert_int_equal(s->challenge->ntolerances, 1);
	assert_int_equal(s->challenge->tolerances[0].run, SCRIPT_RUN_WITHOUT);
	/* Compare checkpoints: the step with expectations and the last. */
	assert_false(script_checkpoint(s->steps, s->nsteps, 0));
	assert_true(script_checkpoint(s->steps, s->nsteps, 1));
	assert_true(script_checkpoint(s->steps, s->nsteps, 2));
	script_free(s);
}

/* Which rule applies where: the step's own, earlier onward ones, the run's. */
static void
test_tolerance_find(void **state)
{
	struct script *s = load(compare_script, NULL);
	const struct script_step *st;
	const struct script_tolerance *t;
	size_t n;
	(void)state;

	assert_non_null(s);
	st = s->steps;
	n = s->nsteps;
#define FIND(at, name)                                                     \
	script_tolerance_find(st, n, (at), s->tolerances, s->ntolerances,  \
	    SCRIPT_RUNS_BOTH, (name))
	/* Step 2's own "*" comes before step 1's onward rule. */
	t = FIND(1, "delivered");
	assert_non_null(t);
	assert_int_equal(t->line, 15);
	t = FIND(1, "queue.trade.pay.unacked");
	assert_non_null(t);
	assert_int_equal(t->line, 14);
	/* At step 3 step 1's onward rule still applies; patterns match. */
	t = FIND(2, "lost_network");
	assert_non_null(t);
	assert_int_equal(t->line, 11);
	assert_null(FIND(2, "published"));
	assert_null(FIND(2, "queue.trade.pay.unacked"));
	/* Whole-run names, from the run's rules only. */
	t = script_tolerance_find(NULL, 0, 0, s->tolerances, s->ntolerances,
	    SCRIPT_RUNS_BOTH, "codes");
	assert_non_null(t);
	assert_null(script_tolerance_find(NULL, 0, 0, s->tolerances,
	    s->ntolerances, SCRIPT_RUNS_BOTH, "fates"));
#undef FIND
	/* A rule for one challenge run is passed over in the other. */
	st = s->challenge->steps;
	n = s->challenge->nsteps;
	assert_non_null(script_tolerance_find(st, n, n - 1,
	    s->challenge->tolerances, s->challenge->ntolerances,
	    SCRIPT_RUN_WITHOUT, "processed"));
	assert_null(script_tolerance_find(st, n, n - 1,
	    s->challenge->tolerances, s->challenge->ntolerances,
	    SCRIPT_RUN_WITH, "processed"));
	script_free(s);
}

static void
test_bad_compare_rules(void **state)
{
	(void)state;
	/* A step rule compare takes no checkpoint after: line 10. */
	unit_fails_with(HEAD TOPO "steps = (\n"
	    "{ do = \"publish\"; compare = { counter = \"lost\"; skip = true; why = \"w\"; }; },\n"
	    "{ do = \"settle\"; }\n);\n",
	    "t.cfg:10: this compare rule matches nothing: compare takes a "
	    "checkpoint only after a step with expect or expect_queue, and "
	    "after the last step; move the rule there, or add onward = true");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"lost\"; within = 0.5; skip = true; why = \"w\"; }; }"),
	    "t.cfg:10: a compare rule takes 'within' or 'skip', not both");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"lost\"; why = \"w\"; }; }"),
	    "t.cfg:10: a compare rule needs 'within' (a tolerance) or "
	    "'skip = true'");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"lost\"; skip = false; why = \"w\"; }; }"),
	    "t.cfg:10: 'skip' can only be true; leave the rule out to compare "
	    "exactly");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"queue.trade.pay.bogus\"; skip = true; why = \"w\"; }; }"),
	    "t.cfg:10: 'queue.trade.pay.bogus' in compare is not a queue "
	    "depth; write queue.NAME.ready or queue.NAME.unacked");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"nope*\"; skip = true; why = \"w\"; }; }"),
	    "t.cfg:10: 'nope*' in compare matches no counter");
	unit_fails_with(WITH_STEP("{ do = \"settle\"; compare = { counter = "
	    "\"*\"; skip = true; onward = true; why = \"w\"; }; }"),
	    "t.cfg:10: '*' with onward = true would switch every later "
	    "checkpoint off; name the counters that differ");
	unit_fails_with(HEAD TOPO "steps = ( { do = \"settle\"; } );\n"
	    "compare = { counter = \"codes\"; within = 0.5; why = \"w\"; };\n",
	    "t.cfg:10: 'codes' cannot be compared within a tolerance, only "
	    "skipped (skip = true)");
	unit_fails_with(HEAD TOPO "steps = ( { do = \"settle\"; } );\n"
	    "compare = { counter = \"lost\"; skip = true; onward = true; "
	    "why = \"w\"; };\n",
	    "t.cfg:10: 'onward' applies only to a step's rules");
	/* Naming every counter one by one is switching it off too. */
	expect_has(HEAD TOPO "steps = ( { do = \"settle\"; } );\n"
	    "compare = { counter = [ \"l*\", \"m*\", \"p*\", \"c*\", \"n*\", "
	    "\"r*\", \"d*\", \"e*\", \"i*\", \"q*\" ]; skip = true; "
	    "why = \"w\"; };\n",
	    "t.cfg:10: ", "leave nothing to compare at the end of the lesson's "
	    "run");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_header),
		cmocka_unit_test(test_good_exchanges),
		cmocka_unit_test(test_good_queues),
		cmocka_unit_test(test_good_bindings_consumers),
		cmocka_unit_test(test_good_toggles),
		cmocka_unit_test(test_good_publish_steps),
		cmocka_unit_test(test_good_other_actions),
		cmocka_unit_test(test_good_question),
		cmocka_unit_test(test_good_expects),
		cmocka_unit_test(test_good_challenge),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_text_get),
		cmocka_unit_test(test_diag_add_and_reuse),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_trailing_comma),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_unquoted_and_unclosed),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_include_refused_in_text),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_integers_not_truncated),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_missing_translation),
		cmocka_unit_test(test_bad_id),
		cmocka_unit_test(test_unknown_action),
		cmocka_unit_test(test_unknown_failure_and_target),
		cmocka_unit_test(test_bad_toggles),
		cmocka_unit_test(test_bad_expect),
		cmocka_unit_test(test_bad_question),
		cmocka_unit_test(test_bad_challenge),
		cmocka_unit_test(test_challenge_fixed),
		cmocka_unit_test(test_undeclared_names),
		cmocka_unit_test(test_duplicates_and_reserved),
		cmocka_unit_test(test_exchange_rules),
		cmocka_unit_test(test_queue_rules),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_problems_capped),
		cmocka_unit_test(test_load_file_with_include),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_good_compare_rules),
		cmocka_unit_test(test_tolerance_find),
		cmocka_unit_test(test_bad_compare_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
