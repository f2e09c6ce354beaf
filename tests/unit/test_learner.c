/*
 * Unit tests for learner steps (script_step.learner) and the screen's
 * pacing of a lesson: what the loader accepts, how a session plays a step
 * that waits for the learner's key, and the shipped lessons' budget (at
 * most 20 presses of space to the challenge, at least 3 learner steps
 * before it, the first within the first few steps of lesson 01).
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
#include "lesson/session.h"
#include "model/toggle.h"
#include "unit/unit.h"

/* Most presses of space from a lesson's start to its challenge. */
#define PACE_MAX_PRESSES 20
/* Fewest learner steps before the challenge. */
#define PACE_MIN_LEARNER 3

static const char learner_script[] =
    UNIT_SCRIPT_HEAD
    "steps = (\n"
    "  { say = { en = \"Go.\"; zh = \"开始。\"; }; do = \"publish\"; count = 2; },\n"
    "  { do = \"settle\"; expect = { processed = 2; }; },\n"
    "  { say = { en = \"Yours.\"; zh = \"你来。\"; }; learner = true;\n"
    "    do = \"toggle\"; set = { confirms = \"each\"; }; },\n"
    "  { do = \"publish\"; count = 1; },\n"
    "  { say = { en = \"Crash it.\"; zh = \"让它崩溃。\"; }; learner = true;\n"
    "    do = \"fail\"; failure = \"broker_crash\"; },\n"
    "  { say = { en = \"Start it.\"; zh = \"启动它。\"; }; learner = true;\n"
    "    do = \"restart\"; }\n"
    ");\n";

static void
test_learner_loads_and_counts(void **state)
{
	struct script *s = unit_script(learner_script, "t.cfg");

	(void)state;
	assert_int_equal(s->nsteps, 6);
	assert_false(s->steps[0].learner);
	assert_true(s->steps[2].learner);
	assert_true(s->steps[4].learner);
	/* Step 2 and step 4 (0-based 1, 3) follow by themselves. */
	assert_false(script_step_chained(s, 0));
	assert_true(script_step_chained(s, 1));
	assert_false(script_step_chained(s, 2));
	assert_true(script_step_chained(s, 3));
	/* One press for step 1; no challenge to start. */
	assert_int_equal(script_presses(s), 1);
	assert_int_equal(script_learner_steps(s), 3);
	script_free(s);
}

static void
test_learner_refused_where_no_key_does_it(void **state)
{
	(void)state;
	unit_fails_with(UNIT_SCRIPT_HEAD
	    "steps = ( { learner = true; do = \"wait\"; ms = 5; } );\n",
	    "t.cfg:12: 'learner' needs an action a key can do; step 1 has "
	    "do = \"wait\"; expected do = \"toggle\", \"fail\", "
	    "\"restart\", \"consume\", \"stop\" or \"publish\"");
	unit_fails_with(UNIT_SCRIPT_HEAD
	    "steps = ( { learner = true; do = \"publish\"; count = 3; } );\n",
	    "t.cfg:12: 'learner' needs an action a key can do, but the keys "
	    "publish 1 or 10 with the topology's defaults and step 1 sets "
	    "more; expected count = 1 or 10 and nothing else");
	unit_fails_with(UNIT_SCRIPT_HEAD
	    "steps = ( { learner = true; do = \"toggle\"; "
	    "set = { prefetch = 3; }; } );\n",
	    "t.cfg:12: 'learner' needs an action a key can do, but step 1 "
	    "sets prefetch, a number a key only steps through presets of; "
	    "expected on/off or choice toggles");
	unit_fails_with(UNIT_SCRIPT_HEAD
	    "steps = ( { learner = true; do = \"stop\"; consumer = \"c\"; } );\n",
	    "t.cfg:12: 'learner' needs an action a key can do, but step 1 "
	    "names consumer 'c' and the key starts or stops every consumer; "
	    "expected no 'consumer'");
}

/* Plays steps with space (session_next_step) until a learner step waits. */
static void
learner_space_to_learner(struct session *ss)
{
	char *cause = NULL;

	while (session_learner_step(ss) == NULL) {
		assert_int_equal(session_next_step(ss, &cause), 0);
		while (session_step_running(ss))
			assert_true(session_tick(ss, 1000000, &cause) >= 0);
	}
}

/* A script of one step, `step` (a libconfig group and its newline). */
#define LEARNER_ONE_STEP(step) \
    UNIT_SCRIPT_HEAD "steps = (\n" step ");\n"

/* A lesson session on `s` whose steps chain, as the screen runs them; the
 * test fails if it does not start. Free it before `s`. */
static struct session *
learner_start(struct script *s)
{
	struct session_opts o = { .chain = 1 };
	char *cause = NULL;
	struct session *ss = session_create(s, SESSION_LESSON, &o, &cause);

	assert_non_null(ss);
	return ss;
}

static void
test_learner_session_waits_for_the_key(void **state)
{
	struct script *s = unit_script(learner_script, "t.cfg");
	struct session *ss = learner_start(s);
	struct ledger_summary sum;
	char *cause = NULL;

	(void)state;
	/* One press plays step 1; the settle of step 2 chains after it. */
	learner_space_to_learner(ss);
	assert_int_equal(session_lesson(ss)->step, 2);
	session_summary(ss, &sum);
	assert_int_equal(sum.effects, 2);
	/* Another toggle or a failure is not this step: nothing changes. */
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_MANDATORY,
	    1, &cause), SESSION_TRY_WRONG);
	assert_int_equal(session_get_toggle(ss, TOGGLE_MANDATORY), 0);
	assert_int_equal(session_learner_try(ss, ACT_FAIL, FAIL_BROKER_CRASH,
	    0, &cause), SESSION_TRY_WRONG);
	assert_int_equal(session_lesson(ss)->step, 2);
	/* confirms steps off -> each: the key's first press reaches it. */
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_CONFIRMS,
	    1, &cause), SESSION_TRY_DONE);
	assert_int_equal(session_get_toggle(ss, TOGGLE_CONFIRMS), 1);
	/* The silent publish chained after it; the crash step waits now. */
	assert_int_equal(session_lesson(ss)->step, 4);
	session_summary(ss, &sum);
	assert_int_equal(sum.messages, 3);
	assert_int_equal(session_learner_try(ss, ACT_RESTART, 0, 0, &cause),
	    SESSION_TRY_WRONG);
	assert_int_equal(session_learner_try(ss, ACT_FAIL, FAIL_BROKER_CRASH,
	    0, &cause), SESSION_TRY_DONE);
	assert_int_equal(session_lesson(ss)->step, 5);
	assert_int_equal(session_learner_try(ss, ACT_RESTART, 0, 0, &cause),
	    SESSION_TRY_DONE);
	assert_null(session_current_step(ss));
	assert_null(session_learner_step(ss));
	assert_int_equal(session_learner_try(ss, ACT_RESTART, 0, 0, &cause),
	    SESSION_TRY_NONE);
	session_free(ss);
	script_free(s);
}

/* A try whose expectation misses is taken back; the step waits again. */
static void
test_learner_missed_expectation_taken_back(void **state)
{
	struct script *s = unit_script(LEARNER_ONE_STEP(
	    "  { say = { en = \"Stop.\"; zh = \"停。\"; }; learner = true;\n"
	    "    do = \"stop\"; expect = { published = 0; }; }\n"), "t.cfg");
	struct session *ss = learner_start(s);
	char *cause = NULL;

	(void)state;
	/* Free play first: one publish the step's expectation forbids. */
	assert_int_equal(session_publish(ss, 1, &cause), 0);
	assert_true(session_tick(ss, 1000000, &cause) >= 0);
	assert_int_equal(session_learner_try(ss, ACT_STOP, 0, 0, &cause),
	    SESSION_TRY_AGAIN);
	assert_int_equal(session_lesson(ss)->step, 0);
	assert_non_null(session_learner_step(ss));
	assert_non_null(strstr(session_lesson(ss)->retry, "published"));
	session_free(ss);
	script_free(s);
}

/* A toggle step that misses is taken back with the learner's presses, so
   the prompt asks for them again. */
static void
test_learner_missed_toggle_takes_presses_back(void **state)
{
	struct script *s = unit_script(LEARNER_ONE_STEP(
	    "  { say = { en = \"None.\"; zh = \"无。\"; }; learner = true;\n"
	    "    do = \"toggle\"; set = { ack_mode = \"none\"; };\n"
	    "    expect = { published = 0; }; }\n"), "t.cfg");
	struct session *ss = learner_start(s);
	char *cause = NULL;

	(void)state;
	assert_int_equal(session_publish(ss, 1, &cause), 0);
	assert_true(session_tick(ss, 1000000, &cause) >= 0);
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_ACK_MODE,
	    2, &cause), SESSION_TRY_MORE);
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_ACK_MODE,
	    0, &cause), SESSION_TRY_AGAIN);
	assert_int_equal(session_get_toggle(ss, TOGGLE_ACK_MODE), 1);
	assert_int_equal(session_lesson(ss)->step, 0);
	assert_non_null(session_learner_step(ss));
	/* The free-play publish before the presses stays. */
	assert_int_equal(unit_count(ss, "published"), 1);
	session_free(ss);
	script_free(s);
}

/* A toggle that needs two presses: each is applied, the second plays. */
static void
test_learner_toggle_two_presses(void **state)
{
	struct script *s = unit_script(LEARNER_ONE_STEP(
	    "  { say = { en = \"None.\"; zh = \"无。\"; }; learner = true;\n"
	    "    do = \"toggle\"; set = { ack_mode = \"none\"; }; }\n"), "t.cfg");
	struct session *ss = learner_start(s);
	char *cause = NULL;

	(void)state;
	/* auto (1) -> manual (2) -> none (0), as the a key steps. */
	assert_int_equal(session_get_toggle(ss, TOGGLE_ACK_MODE), 1);
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_ACK_MODE,
	    2, &cause), SESSION_TRY_MORE);
	assert_int_equal(session_get_toggle(ss, TOGGLE_ACK_MODE), 2);
	assert_int_equal(session_lesson(ss)->step, 0);
	assert_int_equal(session_learner_try(ss, ACT_TOGGLE, TOGGLE_ACK_MODE,
	    0, &cause), SESSION_TRY_DONE);
	assert_int_equal(session_get_toggle(ss, TOGGLE_ACK_MODE), 0);
	assert_int_equal(session_lesson(ss)->step, 1);
	session_free(ss);
	script_free(s);
}

static int
pace_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The shipped lessons keep the screen's budget. */
static void
test_lessons_pace(void **state)
{
	DIR *d = opendir("lessons");
	struct dirent *e;
	char *names[64];
	size_t n = 0, bad = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < 64) {
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".cfg") == 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof names[0], pace_cmp);
	assert_true(n >= 12);
	for (size_t i = 0; i < n; i++) {
		char path[512];
		struct script_diag dg = { 0 };
		struct script *s;
		size_t presses, learner, first = 0;

		snprintf(path, sizeof path, "lessons/%s", names[i]);
		s = script_load(path, &dg);
		script_diag_free(&dg);
		assert_non_null(s);
		presses = script_presses(s);
		learner = script_learner_steps(s);
		while (first < s->nsteps && !s->steps[first].learner)
			first++;
		print_message("%s: %zu presses of space, %zu learner steps, "
		    "the first at step %zu\n", names[i], presses, learner,
		    first + 1);
		if (presses > PACE_MAX_PRESSES || learner < PACE_MIN_LEARNER ||
		    (strncmp(names[i], "01-", 3) == 0 && first >= 4)) {
			print_message("  ^ over %d presses, under %d learner "
			    "steps, or lesson 01's first after step 4\n",
			    PACE_MAX_PRESSES, PACE_MIN_LEARNER);
			bad++;
		}
		script_free(s);
		free(names[i]);
	}
	assert_int_equal(bad, 0);
}

/* A learner publish step takes the key that publishes its count (+ one,
 * * ten); the other publish key is not what it is about. */
static void
test_learner_publish_by_its_key(void **state)
{
	struct script *s = unit_script(LEARNER_ONE_STEP(
	    "  { learner = true; do = \"publish\"; count = 10; }\n"), "t.cfg");
	struct session *ss = learner_start(s);
	char *cause = NULL;
	(void)state;

	assert_non_null(session_learner_step(ss));
	assert_int_equal(session_learner_try(ss, ACT_PUBLISH,
	    SCRIPT_KEY_PUBLISH, 0, &cause), SESSION_TRY_WRONG);
	assert_int_equal(session_learner_try(ss, ACT_PUBLISH,
	    SCRIPT_KEY_BURST, 0, &cause), SESSION_TRY_DONE);
	while (session_busy(ss))
		assert_true(session_tick(ss, 1000000, &cause) >= 0);
	assert_int_equal(unit_count(ss, "published"), 10);
	session_free(ss);
	script_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learner_loads_and_counts),
		cmocka_unit_test(test_learner_refused_where_no_key_does_it),
		cmocka_unit_test(test_learner_publish_by_its_key),
		cmocka_unit_test(test_learner_session_waits_for_the_key),
		cmocka_unit_test(test_learner_missed_expectation_taken_back),
		cmocka_unit_test(test_learner_toggle_two_presses),
		cmocka_unit_test(test_learner_missed_toggle_takes_presses_back),
		cmocka_unit_test(test_lessons_pace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
