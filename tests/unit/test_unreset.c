/*
 * Unit tests of taking a reset back (lesson/session.h session_unreset) and
 * of remembering a goal met with the solution shown (ui/progress.h,
 * challenge=2): the lab's R asks first and its undo relies on both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/unit.h"

#include "lesson/session.h"
#include "ui/progress.h"

static const char *const unreset_script_text =
    UNIT_SCRIPT_HEAD
    "steps = (\n"
    "  { say = { en = \"a\"; zh = \"a\"; }; do = \"publish\"; count = 2; },\n"
    "  { do = \"settle\"; }\n"
    ");\n";

static void
settle(struct session *ss)
{
	char *cause = NULL;
	int n = 0;

	while (session_busy(ss) && n++ < 100000)
		assert_true(session_tick(ss, 1000000, &cause) >= 0);
}

static void
test_unreset_restores_the_place(void **state)
{
	struct script *s = unit_script(unreset_script_text, "t.cfg");
	struct session_opts o;
	struct session *ss;
	char *cause = NULL;
	int64_t t_before;

	(void)state;
	memset(&o, 0, sizeof o);
	o.lang = "en";
	ss = session_create(s, SESSION_LESSON, &o, &cause);
	assert_non_null(ss);
	/* Nothing to take back before any reset. */
	assert_int_equal(session_unreset(ss, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(session_next_step(ss, &cause), 0);
	settle(ss);
	assert_int_equal(session_toggle(ss, TOGGLE_CONFIRMS, CONFIRMS_EACH,
	    &cause), 0);
	assert_int_equal(session_publish(ss, 1, &cause), 0);
	settle(ss);
	assert_int_equal(unit_count(ss, "published"), 3);
	t_before = session_now(ss);
	assert_int_equal(session_lesson(ss)->step, 1);

	assert_int_equal(session_reset(ss, &cause), 0);
	assert_int_equal(unit_count(ss, "published"), 0);
	assert_int_equal(session_lesson(ss)->step, 0);
	assert_int_equal(session_get_toggle(ss, TOGGLE_CONFIRMS),
	    CONFIRMS_OFF);

	assert_int_equal(session_unreset(ss, &cause), 0);
	assert_int_equal(unit_count(ss, "published"), 3);
	assert_int_equal(session_lesson(ss)->step, 1);
	assert_int_equal(session_get_toggle(ss, TOGGLE_CONFIRMS),
	    CONFIRMS_EACH);
	assert_true(session_now(ss) >= t_before);
	/* Only once, and only right after. */
	assert_int_equal(session_unreset(ss, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(session_reset(ss, &cause), 0);
	assert_int_equal(session_publish(ss, 1, &cause), 0);
	assert_int_equal(session_unreset(ss, &cause), -1);
	assert_non_null(cause);
	free(cause);
	session_free(ss);
	script_free(s);
}

static void
test_progress_met_with_solution_shown(void **state)
{
	char dir[] = "/tmp/rabbitlab-unreset-XXXXXX";
	struct progress p, q;
	char *notice = NULL, *cause = NULL, path[512];
	FILE *f;
	char line[256];
	int found = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(progress_load(&p, dir, &notice), 0);
	progress_get(&p, "01-first")->challenge_met = PROGRESS_MET_SHOWN;
	assert_int_equal(progress_save(&p, &cause), 0);
	snprintf(path, sizeof path, "%s/progress", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "lesson 01-first ") &&
		    strstr(line, "challenge=2"))
			found = 1;
	fclose(f);
	assert_true(found);
	assert_int_equal(progress_load(&q, dir, &notice), 0);
	assert_int_equal(progress_find(&q, "01-first")->challenge_met,
	    PROGRESS_MET_SHOWN);
	progress_free(&p);
	progress_free(&q);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreset_restores_the_place),
		cmocka_unit_test(test_progress_met_with_solution_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
