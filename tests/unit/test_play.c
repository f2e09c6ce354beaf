/*
 * Unit tests of the script player (lesson/play.c): the one evaluator of
 * expectations (counters, ranges, queue depths by dotted names, and what it
 * says about names it does not know), and runs played from a script: the
 * order a run is built in, steps over time against steps at once, and a
 * wait that ends when its expectations hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/unit.h"

#include "lesson/play.h"

static const char *const play_script_text =
    "id = \"p\";\n"
    "title = { en = \"P\"; zh = \"P\"; };\n"
    "seed = 5;\n"
    "topology = {\n"
    "  exchanges = ( { name = \"x\"; type = \"direct\"; } );\n"
    "  queues = ( { name = \"trade.pay\"; } );\n"
    "  bindings = ( { exchange = \"x\"; queue = \"trade.pay\"; key = \"k\"; } );\n"
    "  consumers = ( { name = \"c\"; queue = \"trade.pay\"; } );\n"
    "  publish = { exchange = \"x\"; key = \"k\"; };\n"
    "};\n"
    "toggles = { work_ms = 5; };\n"
    "steps = (\n"
    "  { do = \"stop\"; },\n"
    "  { do = \"publish\"; count = 3; },\n"
    "  { do = \"wait\"; ms = 50;\n"
    "    expect_queue = ( { queue = \"trade.pay\"; ready = 3; } ); },\n"
    "  { do = \"consume\"; },\n"
    "  { do = \"settle\"; expect = { processed = 3; lost = 0; }; }\n"
    ");\n"
    "challenge = {\n"
    "  goal = { en = \"g\"; zh = \"g\"; };\n"
    "  setup = { ack_mode = \"none\"; };\n"
    "  steps = ( { do = \"publish\"; count = 2; },\n"
    "    { do = \"fail\"; failure = \"consumer_crash_before\"; },\n"
    "    { do = \"settle\"; } );\n"
    "  expect = { lost = 0; processed = 2; };\n"
    "  hints = ( { en = \"h\"; zh = \"h\"; } );\n"
    "  solution = { ack_mode = \"manual\"; };\n"
    "};\n";

static struct script *
load(void)
{
	return unit_script(play_script_text, "p.cfg");
}

/* A queue view with two queues, one of them lost, one name with dots. */
static const struct engine_queue_view play_queues[] = {
	{ .name = "trade.pay.success", .exists = 1, .ready = 4, .unacked = 2 },
	{ .name = "gone", .exists = 0, .ready = 9, .unacked = 9 },
};

static enum play_verdict
eval(const char *counter, uint64_t min, uint64_t max, struct play_check *ck)
{
	struct ledger_summary sum;
	struct script_expect x;

	memset(&sum, 0, sizeof sum);
	sum.published = 7;
	x.counter = (char *)counter;
	x.min = min;
	x.max = max;
	x.line = 3;
	return play_eval(&sum, play_queues, 2, &x, ck);
}

static void
test_eval_counters_and_ranges(void **state)
{
	struct play_check ck;
	(void)state;

	assert_int_equal(eval("published", 7, 7, &ck), PLAY_HELD);
	assert_int_equal(ck.got, 7);
	assert_string_equal(ck.what, "published == 7");
	assert_int_equal(eval("published", 1, 6, &ck), PLAY_MISSED);
	assert_string_equal(ck.what, "published in [1, 6]");
	assert_string_equal(ck.text, "published in [1, 6], but it is 7");
	assert_int_equal(eval("lost", 0, 0, &ck), PLAY_HELD);
}

static void
test_eval_queue_depths(void **state)
{
	struct play_check ck;
	(void)state;

	/* The field follows the last dot; the name may hold dots. */
	assert_int_equal(eval("queue.trade.pay.success.ready", 4, 4, &ck),
	    PLAY_HELD);
	assert_int_equal(eval("queue.trade.pay.success.unacked", 2, 2, &ck),
	    PLAY_HELD);
	/* A queue the broker lost counts as empty. */
	assert_int_equal(eval("queue.gone.ready", 0, 0, &ck), PLAY_HELD);
	assert_int_equal(ck.got, 0);
}

/*
 * An unknown queue field (or queue, or counter) cannot come from a script
 * that `rabbitlab check` accepts; at run time it is a failed expectation
 * that says what is unknown, never a value read from somewhere else (the
 * screen used to read such a field as the unacked count, replay as 0).
 */
static void
test_eval_unknown_queue_field(void **state)
{
	struct play_check ck;
	(void)state;

	assert_int_equal(eval("queue.trade.pay.success.bogus", 0, 100, &ck),
	    PLAY_UNKNOWN);
	assert_int_equal(ck.got, 0);
	assert_string_equal(ck.what, "queue.trade.pay.success.bogus in [0, 100]");
	assert_string_equal(ck.text, "queue.trade.pay.success.bogus: 'bogus' "
	    "is not a queue depth; expected ready or unacked");
	assert_int_equal(eval("queue.nope.ready", 0, 100, &ck), PLAY_UNKNOWN);
	assert_string_equal(ck.text, "queue.nope.ready: the scenario has no "
	    "queue 'nope'");
	assert_int_equal(eval("queue.ready", 0, 100, &ck), PLAY_UNKNOWN);
	assert_non_null(strstr(ck.text, "expected queue.NAME.ready"));
	assert_int_equal(eval("lsot", 0, 100, &ck), PLAY_UNKNOWN);
	assert_string_equal(ck.text, "lsot: the ledger has no counter 'lsot'");
}

/* Every step's expectations, played at once, hold. */
static int
after_all_hold(void *ctx, size_t i, const struct script_step *st)
{
	struct play *p = ctx;
	struct play_check ck;

	(void)i;
	for (size_t k = 0; k < st->nexpects; k++) {
		assert_int_equal(play_expect(p, &st->expects[k], &ck),
		    PLAY_HELD);
	}
	return 0;
}

static void
test_walk_and_runs(void **state)
{
	static const struct play_hooks hooks = { NULL, after_all_hold };
	struct script *s = load();
	struct play_opts o;
	struct play p;
	char *cause = NULL;
	size_t n;
	(void)state;

	memset(&o, 0, sizeof o);
	play_init(&p, s, &o);
	assert_int_equal(p.seed, 5);
	assert_int_equal(play_start(&p, PLAY_LESSON, &cause), 0);
	assert_int_equal(play_walk(&p, &hooks, &p, &cause), 0);
	/* The challenge's setup alone misses the goal; the solution meets it. */
	assert_int_equal(play_start(&p, PLAY_CHALLENGE, &cause), 0);
	assert_int_equal(engine_get_toggle(p.e, TOGGLE_ACK_MODE), ACK_NONE);
	assert_int_equal(play_walk(&p, NULL, NULL, &cause), 0);
	assert_true(play_goal_miss(&p, NULL) >= 0);
	assert_int_equal(play_start(&p, PLAY_SOLVED, &cause), 0);
	assert_int_equal(engine_get_toggle(p.e, TOGGLE_ACK_MODE), ACK_MANUAL);
	assert_int_equal(play_walk(&p, NULL, NULL, &cause), 0);
	assert_int_equal(play_goal_miss(&p, NULL), -1);
	assert_non_null(play_steps(&p, PLAY_SOLVED, &n));
	assert_int_equal(n, 3);
	play_done(&p);
	script_free(s);
}

/* A wait spent by small ticks ends where a wait spent at once ends. */
static void
test_paced_wait_matches_run_out(void **state)
{
	struct script *s = load();
	struct play_opts o;
	struct play a, b;
	struct ledger_summary sa, sb;
	char *cause = NULL;
	(void)state;

	memset(&o, 0, sizeof o);
	play_init(&a, s, &o);
	play_init(&b, s, &o);
	assert_int_equal(play_start(&a, PLAY_LESSON, &cause), 0);
	assert_int_equal(play_start(&b, PLAY_LESSON, &cause), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(play_begin(&a, &s->steps[i], &cause), 0);
		assert_int_equal(play_run_out(&a, &cause), 0);
		play_end(&a);
		assert_int_equal(play_begin(&b, &s->steps[i], &cause), 0);
		while (!play_time_up(&b))
			assert_int_equal(b.ops->advance(b.e, play_clamp(&b,
			    7000), &cause), 0);
		play_end(&b);
	}
	assert_int_equal(a.ops->now(a.e), b.ops->now(b.e));
	ledger_summarize(a.ledger, &sa);
	ledger_summarize(b.ledger, &sb);
	assert_memory_equal(&sa, &sb, sizeof sa);
	play_done(&a);
	play_done(&b);
	script_free(s);
}

/*
 * until_met: the wait ends at the first millisecond its expectations hold
 * (three messages of 5 ms work each: long before its 500 ms), and one whose
 * expectations never hold lasts its whole ms.
 */
static void
test_until_met_wait(void **state)
{
	static const char text[] = UNIT_SCRIPT_HEAD
	    "steps = (\n"
	    "  { do = \"publish\"; count = 3; },\n"
	    "  { do = \"wait\"; ms = 500; until_met = true;\n"
	    "    expect = { processed = 3; }; },\n"
	    "  { do = \"wait\"; ms = 30; until_met = true;\n"
	    "    expect = { processed = 4; }; }\n"
	    ");\n";
	struct script *s = unit_script(text, "u.cfg");
	struct play_opts o;
	struct play p;
	struct ledger_summary sum;
	char *cause = NULL;
	int64_t t0, t1;
	(void)state;

	memset(&o, 0, sizeof o);
	play_init(&p, s, &o);
	assert_int_equal(play_start(&p, PLAY_LESSON, &cause), 0);
	assert_int_equal(play_begin(&p, &s->steps[0], &cause), 0);
	assert_int_equal(play_run_out(&p, &cause), 0);
	play_end(&p);
	t0 = p.ops->now(p.e);
	assert_int_equal(play_begin(&p, &s->steps[1], &cause), 0);
	assert_int_equal(play_run_out(&p, &cause), 0);
	play_end(&p);
	t1 = p.ops->now(p.e);
	ledger_summarize(p.ledger, &sum);
	assert_int_equal(sum.fate[FATE_PROCESSED], 3);
	assert_true(t1 - t0 < 100000);
	/* It is looked at every millisecond: it ends on one. */
	assert_int_equal((t1 - t0) % 1000, 0);
	assert_int_equal(play_begin(&p, &s->steps[2], &cause), 0);
	assert_int_equal(play_run_out(&p, &cause), 0);
	play_end(&p);
	assert_int_equal(p.ops->now(p.e) - t1, 30000);
	/* Paced by the screen's ticks, the met wait ends at the same time. */
	play_done(&p);
	play_init(&p, s, &o);
	assert_int_equal(play_start(&p, PLAY_LESSON, &cause), 0);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(play_begin(&p, &s->steps[i], &cause), 0);
		while (!play_time_up(&p))
			assert_int_equal(p.ops->advance(p.e, play_clamp(&p,
			    7000), &cause), 0);
		play_end(&p);
	}
	assert_int_equal(p.ops->now(p.e), t1);
	play_done(&p);
	script_free(s);
}

/*
 * play_excuse: on a real broker, what a step's compare rule names is
 * excused with the rule's reason, and what the run's own rules name at its
 * end; other counters, and everything on the simulator, are judged.
 */
static void
test_excuse_on_a_real_broker(void **state)
{
	static const char text[] = UNIT_SCRIPT_HEAD
	    "compare = { counter = \"lost\"; skip = true; why = \"w2\"; };\n"
	    "steps = (\n"
	    "  { do = \"publish\"; count = 3; },\n"
	    "  { do = \"wait\"; ms = 1; expect = { delivered = 3; };\n"
	    "    compare = { counter = \"delivered\"; within = 0.5;\n"
	    "                why = \"w1\"; }; }\n"
	    ");\n";
	struct script *s = unit_script(text, "x.cfg");
	struct engine_ops real = engine_sim_ops;
	struct play_opts o;
	struct play p;
	char *cause = NULL;
	(void)state;

	real.caps |= ENGINE_CAP_REAL_BROKER;
	memset(&o, 0, sizeof o);
	for (int live = 0; live < 2; live++) {
		o.ops = live ? &real : &engine_sim_ops;
		play_init(&p, s, &o);
		assert_int_equal(play_start(&p, PLAY_LESSON, &cause), 0);
		if (live) {
			assert_string_equal(play_excuse(&p, &s->steps[1],
			    "delivered"), "w1");
			assert_string_equal(play_excuse(&p, NULL, "lost"),
			    "w2");
		} else {
			assert_null(play_excuse(&p, &s->steps[1],
			    "delivered"));
			assert_null(play_excuse(&p, NULL, "lost"));
		}
		assert_null(play_excuse(&p, &s->steps[0], "delivered"));
		assert_null(play_excuse(&p, &s->steps[1], "processed"));
		play_done(&p);
	}
	script_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_counters_and_ranges),
		cmocka_unit_test(test_eval_queue_depths),
		cmocka_unit_test(test_eval_unknown_queue_field),
		cmocka_unit_test(test_walk_and_runs),
		cmocka_unit_test(test_paced_wait_matches_run_out),
		cmocka_unit_test(test_until_met_wait),
		cmocka_unit_test(test_excuse_on_a_real_broker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
