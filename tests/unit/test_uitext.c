/*
 * Unit tests of the screen's curses-free helpers: display width and word
 * wrapping of English and Chinese (ui/text.h), lesson progress on disk
 * (ui/progress.h: round trip, atomic rewrite, damaged files moved aside),
 * and the key table (ui/keys.h: every toggle and every failure has a key,
 * no key is bound twice).
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
#include <locale.h>

#include "ui/keys.h"
#include "ui/progress.h"
#include "ui/text.h"

static void
test_width(void **state)
{
	(void)state;
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("生产者"), 6);
	assert_int_equal(text_width("ack 确认"), 8);
	assert_int_equal(text_width("\xff" "a"), 2); /* malformed byte: 1 */
}

static void
test_fit_never_splits(void **state)
{
	int used;
	const char *s = "ab生产者";

	(void)state;
	/* 5 columns hold "ab" and one wide character, not half of two. */
	assert_int_equal(text_fit(s, strlen(s), 5, &used), 5);
	assert_int_equal(used, 4);
	assert_int_equal(text_fit(s, strlen(s), 3, &used), 2);
}

static void
test_wrap_english(void **state)
{
	size_t next, n;
	const char *s = "the quick brown fox";

	(void)state;
	n = text_wrap(s, 10, &next);
	assert_int_equal(n, 9);             /* "the quick" */
	assert_string_equal(s + next, "brown fox");
	assert_int_equal(text_wrap_lines(s, 10), 2);
	assert_int_equal(text_wrap_lines("", 10), 0);
}

/* zh01's verdict broke right after "（": an opening bracket never ends a
 * line, a closing one never starts one. */
static void
test_wrap_brackets(void **state)
{
	size_t next, n;
	/* Three wide characters, then "（" at columns 7-8 of an 8-wide line. */
	const char *s = "交换机（只负责路由）。";

	(void)state;
	n = text_wrap(s, 8, &next);
	assert_int_equal(n, strlen("交换机"));
	assert_memory_equal(s + next, "（", strlen("（"));
	/* "）" never starts a line: the break before it moves back. */
	n = text_wrap(s, 18, &next);
	assert_int_equal(text_width_n(s, n), 16);
}

/* The fifth review: "on its first run, 10" / "s after"; a line began
 * with the comma after "retry.enabled=true". */
static void
test_wrap_units_and_comma(void **state)
{
	size_t next, n;
	const char *s = "runs first at 10 s after";
	const char *z = "abcdefgh，再配上";

	(void)state;
	/* 16 columns end at "10": the number goes along with its unit. */
	n = text_wrap(s, 16, &next);
	assert_int_equal(n, strlen("runs first at"));
	assert_string_equal(s + next, "10 s after");
	/* "5 秒" stays together too. */
	n = text_wrap("等待 5 秒", 7, &next);
	assert_int_equal(n, strlen("等待"));
	/* A word that fills the line, then "，": its last letter goes
	 * along, so the comma does not start the next line. */
	n = text_wrap(z, 8, &next);
	assert_int_equal(n, strlen("abcdefg"));
	assert_string_equal(z + next, "h，再配上");
	/* The sixth review: "retry.enabled=tru" / "e，": a property name
	 * longer than the line parts after its last '=' or '.'. */
	z = "spring.rabbitmq.retry.enabled=true，再配上";
	n = text_wrap(z, 32, &next);
	assert_int_equal(n, strlen("spring.rabbitmq.retry.enabled="));
	assert_string_equal(z + next, "true，再配上");
	n = text_wrap(z, 24, &next);
	assert_int_equal(n, strlen("spring.rabbitmq.retry."));
	/* Never inside a number: "(producer_multiplier=2." / "0)". */
	z = "(producer_multiplier=2.0)";
	n = text_wrap(z, 24, &next);
	assert_int_equal(n, strlen("(producer_multiplier="));
}

/* zh05: "按 m，把mandatory设为开" ran a Latin word into the Chinese. */
static void
test_space_mixed(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(text_space_mixed("按 m，把mandatory设为开。", out,
	    sizeof out), "按 m，把 mandatory 设为开。");
	assert_string_equal(text_space_mixed("Press m to set it.", out,
	    sizeof out), "Press m to set it.");
	assert_string_equal(text_space_mixed("按 3 次", out, sizeof out),
	    "按 3 次");
	/* Cut short on a whole character, still terminated. */
	assert_string_equal(text_space_mixed("把mandatory", out, 6), "把 m");
}

static void
test_wrap_chinese(void **state)
{
	size_t next, n;
	/* Ten wide characters then a full stop: 22 columns. */
	const char *s = "交换机只负责路由不存储。";

	(void)state;
	n = text_wrap(s, 8, &next);
	assert_int_equal(text_width_n(s, n), 8);
	/* The full stop never starts a line: the last line keeps a
	 * character before it. */
	assert_int_equal(text_wrap_lines(s, 20), 2);
	{
		size_t off = 0, len = strlen(s);
		while (off < len) {
			text_wrap(s + off, 20, &next);
			off += next;
			if (off < len)
				assert_memory_not_equal(s + off, "。", 3);
		}
	}
}

static char tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/rl-progress-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_progress_round_trip(void **state)
{
	struct progress p, q;
	char *notice = NULL, *cause = NULL;
	struct progress_entry *e;
	const struct progress_entry *f;

	(void)state;
	assert_int_equal(progress_load(&p, tmpdir, &notice), 0);
	assert_null(notice);
	e = progress_get(&p, "01-first message");
	e->steps_done = 3;
	e->nsteps = 13;
	e->asked = 1;
	e->right = 1;
	assert_int_equal(progress_save(&p, &cause), 0);
	assert_int_equal(progress_load(&q, tmpdir, &notice), 0);
	f = progress_find(&q, "01-first message");
	assert_non_null(f);
	assert_int_equal(f->steps_done, 3);
	assert_int_equal(f->nsteps, 13);
	assert_int_equal(f->challenge_met, 0);
	progress_free(&p);
	progress_free(&q);
}

static void
test_progress_damaged(void **state)
{
	struct progress p;
	char *notice = NULL, path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/progress", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# rabbitlab progress 1\nlesson x steps=9/3 right=0 asked=0 "
	    "challenge=0\n", f);
	fclose(f);
	assert_int_equal(progress_load(&p, tmpdir, &notice), 1);
	assert_non_null(notice);
	assert_non_null(strstr(notice, "progress.bad-"));
	assert_int_equal(access(notice, F_OK), 0); /* kept, not lost */
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(p.n, 0);
	free(notice);
	progress_free(&p);
}

static void
test_keys_cover_tables(void **state)
{
	size_t n;
	const struct keys_def *t = keys_table(&n);

	(void)state;
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (keys_of(KEYS_TOGGLE, i) == NULL)
			fail_msg("toggle %s has no key", toggle_info(i)->name);
	for (int i = 0; i < FAIL_COUNT; i++)
		if (keys_of(KEYS_FAILURE, i) == NULL)
			fail_msg("failure %s has no key",
			    engine_failure_name(i));
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++)
			if (t[i].key == t[k].key && !t[k].shared)
				fail_msg("key %d bound twice", t[i].key);
}

static void
test_keys_cycle(void **state)
{
	(void)state;
	assert_int_equal(keys_next_value(TOGGLE_MANDATORY, 0), 1);
	assert_int_equal(keys_next_value(TOGGLE_MANDATORY, 1), 0);
	assert_int_equal(keys_next_value(TOGGLE_CONFIRMS, CONFIRMS_ASYNC),
	    CONFIRMS_OFF);
	/* Presets: past the last value the first comes back. */
	assert_int_equal(keys_next_value(TOGGLE_PREFETCH, 250), 0);
	assert_int_equal(keys_next_value(TOGGLE_PREFETCH, 0), 1);
	assert_int_equal(keys_next_value(TOGGLE_PREFETCH, 7), 10);
}

/* An actor is left out only where the text names it as a whole word. */
static void
test_actor_said_once(void **state)
{
	char a[] = "3.0 consumer consumer crashed m9";
	char b[] = "3.0 consumer consumers m9";
	char c[] = "3.0 producer basic.publish m1 m1";

	(void)state;
	assert_true(text_names_actor("consumer crashed", "consumer"));
	assert_false(text_names_actor("consumers", "consumer"));
	assert_false(text_names_actor("x", ""));
	text_undouble(a);
	assert_string_equal(a, "3.0 consumer crashed m9");
	text_undouble(b);
	assert_string_equal(b, "3.0 consumer consumers m9");
	text_undouble(c); /* only the actor, never the words after it */
	assert_string_equal(c, "3.0 producer basic.publish m1 m1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_actor_said_once),
		cmocka_unit_test(test_fit_never_splits),
		cmocka_unit_test(test_wrap_english),
		cmocka_unit_test(test_wrap_chinese),
		cmocka_unit_test(test_wrap_brackets),
		cmocka_unit_test(test_wrap_units_and_comma),
		cmocka_unit_test(test_space_mixed),
		cmocka_unit_test_setup_teardown(test_progress_round_trip,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_progress_damaged,
		    setup_dir, teardown_dir),
		cmocka_unit_test(test_keys_cover_tables),
		cmocka_unit_test(test_keys_cycle),
	};

	setlocale(LC_ALL, "C.UTF-8");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
