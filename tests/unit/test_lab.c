/*
 * Unit tests of the lab screen's pacing state (ui/lab.h) with no terminal:
 * the lab is opened on the simulated engine and driven through lab_key and
 * lab_run, never drawn.
 *
 * The regression: lab_animating, a const query that the header and the
 * lesson pane call while drawing, cast const away and noticed a finished
 * step run itself: it cleared step_running and G's rush and wrote the
 * progress file. Now it only reads, and lab_run (the loop's tick) settles
 * the state.
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

#include <sys/stat.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "lesson/script.h"
#include "ui/lab.h"

static const char *const lab_script_text =
    UNIT_SCRIPT_HEAD
    "steps = (\n"
    "  { say = { en = \"a\"; zh = \"a\"; }; do = \"publish\"; count = 2; },\n"
    "  { say = { en = \"b\"; zh = \"b\"; }; do = \"settle\"; }\n"
    ");\n";

/* What the progress file holds, "" if there is none. */
static void
read_progress(const struct progress *p, char *buf, size_t len)
{
	FILE *f = fopen(p->path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs the lab's tick until the step run it started is over. */
static void
run_step(struct lab *lab)
{
	int64_t now = lab_clock_ms();

	for (int i = 0; i < 100000 && lab->step_running; i++) {
		now += 2000;
		lab_run(lab, now);
	}
	assert_false(lab->step_running);
}

static void
test_animating_is_a_pure_query(void **state)
{
	char dir[] = "/tmp/rabbitlab-lab-XXXXXX", text[512];
	struct progress prog;
	struct lab_opts o;
	struct lab lab;
	const struct lab *view = &lab;
	char *cause = NULL, *notice = NULL;
	struct script *s;
	(void)state;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(progress_load(&prog, dir, &notice), 0);
	free(notice);
	s = unit_script(lab_script_text, "t.cfg");
	memset(&o, 0, sizeof o);
	o.lang = "en";
	o.progress = &prog;
	assert_int_equal(lab_open(&lab, s, SESSION_LESSON, &o, &cause), 0);
	/* No terminal: COLS and LINES are 0. Pacing needs none. */
	lab.too_small = 0;

	lab_key(&lab, ' ');
	run_step(&lab);
	lab_key(&lab, ' '); /* the settle: it runs over virtual time */
	assert_true(lab.step_running);
	assert_int_equal(unlink(prog.path), 0);

	/* The run ends in the session; the lab has not looked yet. */
	while (session_step_running(lab.ss)) {
		char *why = NULL;
		assert_true(session_tick(lab.ss, INT64_C(1000000), &why) >= 0);
		free(why);
	}
	lab.finishing = 1;
	(void)lab_animating(view);
	(void)lab_animating(view);
	assert_true(lab.step_running);
	assert_int_equal(lab.finishing, 1);
	read_progress(&prog, text, sizeof text);
	assert_string_equal(text, "");

	/* The loop's tick owns the change: verdict, rush over, progress. */
	lab_run(&lab, lab_clock_ms());
	assert_false(lab.step_running);
	assert_int_equal(lab.finishing, 0);
	assert_false(lab_animating(view));
	read_progress(&prog, text, sizeof text);
	assert_non_null(strstr(text, "lesson t steps=2/2"));

	lab_close(&lab);
	progress_free(&prog);
	assert_int_equal(live_broker_rmtree(dir, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_animating_is_a_pure_query),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
