/*
 * Unit tests of the key rule and of reaching values by keys (ui/keys.h,
 * ui/goal.h): every row of the key table obeys the key rule; a family key
 * steps off, on, its presets, off; a typed number is range-checked; and
 * every lesson's challenge solution is reachable by keys from the
 * challenge's starting toggles, ending exactly at the solution.
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
#include "ui/goal.h"
#include "ui/keys.h"

static void
test_rule_holds_for_every_key(void **state)
{
	size_t n;
	const struct keys_def *t = keys_table(&n);
	int caps_cmds = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *why;
		char name[16];
		if (!keys_obeys_rule(&t[i], &why))
			fail_msg("key %s breaks the rule: %s",
			    keys_name(t[i].key, name, sizeof name), why);
		if (t[i].kind == KEYS_COMMAND && t[i].key >= 'A' &&
		    t[i].key <= 'Z')
			caps_cmds++;
	}
	/* Every named capital command is really in the table. */
	assert_int_equal(caps_cmds, (int)strlen(KEYS_CAPITAL_COMMANDS));
	/* The rule's own check refuses what it must. */
	{
		const struct keys_def bad_toggle = { 'D', KEYS_TOGGLE,
			TOGGLE_DURABLE_QUEUE, "x", NULL, WHERE_QUEUE, 0,
			NULL, -1, 0 };
		const struct keys_def bad_fail = { '!', KEYS_FAILURE,
			FAIL_CHAOS, "x", NULL, WHERE_FOOTER, 0, NULL, -1, 0 };
		const struct keys_def bad_cmd = { 'Q', KEYS_COMMAND, CMD_QUIT,
			"x", NULL, WHERE_HELP, 0, NULL, -1, 0 };
		const char *why;
		assert_false(keys_obeys_rule(&bad_toggle, &why));
		assert_false(keys_obeys_rule(&bad_fail, &why));
		assert_false(keys_obeys_rule(&bad_cmd, &why));
	}
}

static void
test_family_steps(void **state)
{
	int64_t v[TOGGLE_COUNT];
	const struct keys_def *y = keys_find('y');

	(void)state;
	toggle_defaults(v);
	assert_non_null(y);
	assert_int_equal(y->id, TOGGLE_PRODUCER_RETRY);
	/* The attempts row shows the same key and presses the family. */
	assert_int_equal(keys_of(KEYS_TOGGLE, TOGGLE_PRODUCER_ATTEMPTS)->key,
	    'y');
	assert_ptr_equal(keys_head(keys_of(KEYS_TOGGLE,
	    TOGGLE_PRODUCER_ATTEMPTS)), y);
	assert_int_equal(v[TOGGLE_PRODUCER_RETRY], 0);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 3);
	keys_press(y, v); /* on, the attempts kept */
	assert_int_equal(v[TOGGLE_PRODUCER_RETRY], 1);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 3);
	keys_press(y, v);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 5);
	keys_press(y, v);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 10);
	keys_press(y, v); /* past the last: off, back to the first */
	assert_int_equal(v[TOGGLE_PRODUCER_RETRY], 0);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 2);
}

static void
test_typed_number(void **state)
{
	int64_t v[TOGGLE_COUNT], before[TOGGLE_COUNT];
	const char *expected = NULL;

	(void)state;
	toggle_defaults(v);
	memcpy(before, v, sizeof v);
	assert_true(keys_typeable(keys_find('y')));
	assert_true(keys_typeable(keys_find('p')));
	assert_false(keys_typeable(keys_find('c')));
	assert_false(keys_typeable(keys_find('N')));
	/* 30 attempts: no preset has it, typing does, and turns retry on. */
	assert_int_equal(keys_type(keys_find('y'), "30", v, &expected), 0);
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 30);
	assert_int_equal(v[TOGGLE_PRODUCER_RETRY], 1);
	/* Out of range: refused with the range, nothing changed. */
	memcpy(v, before, sizeof v);
	assert_int_equal(keys_type(keys_find('y'), "5000", v, &expected), -1);
	assert_non_null(expected);
	assert_memory_equal(v, before, sizeof v);
	assert_int_equal(keys_type(keys_find('y'), "", v, &expected), -1);
	assert_int_equal(keys_type(keys_find('c'), "3", v, &expected), -1);
	/* A ratio takes decimals. */
	assert_int_equal(keys_type(keys_find('p'), "2.5", v, &expected), 0);
	assert_int_equal(v[TOGGLE_PRODUCER_MULTIPLIER], 2500);
}

static void
test_reach_writes_keys(void **state)
{
	int64_t v[TOGGLE_COUNT];
	char buf[160];
	int presses = -1;

	(void)state;
	toggle_defaults(v);
	assert_int_equal(keys_reach(TOGGLE_CONFIRMS, CONFIRMS_EACH, v, buf,
	    sizeof buf, &presses), 0);
	assert_int_equal(presses, 1);
	assert_string_equal(buf, "c confirms \u2192 each");
	assert_int_equal(keys_reach(TOGGLE_PRODUCER_ATTEMPTS, 30, v, buf,
	    sizeof buf, &presses), 0);
	assert_int_equal(presses, 0);
	assert_string_equal(buf, "= y 30 Enter: producer_attempts \u2192 30");
	assert_int_equal(v[TOGGLE_PRODUCER_ATTEMPTS], 30);
	/* Reconcile every 5 s: the family steps there, turning it on. */
	assert_int_equal(keys_reach(TOGGLE_RECONCILE_MS, 5000, v, buf,
	    sizeof buf, &presses), 0);
	assert_int_equal(v[TOGGLE_RECONCILE], 1);
	assert_int_equal(v[TOGGLE_RECONCILE_MS], 5000);
}

static int
test_is_cfg(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && strcmp(d->d_name + n - 4, ".cfg") == 0;
}

/* The toggles a challenge starts from: defaults, the lesson's, its setup. */
static void
test_start(const struct script *s, int64_t v[TOGGLE_COUNT])
{
	toggle_defaults(v);
	for (size_t i = 0; i < s->ntoggles; i++)
		v[s->toggles[i].id] = s->toggles[i].value;
	for (size_t i = 0; i < s->challenge->nsetup; i++)
		v[s->challenge->setup[i].id] = s->challenge->setup[i].value;
}

static void
test_every_solution_reachable_by_keys(void **state)
{
	struct dirent **names;
	int n = scandir("lessons", &names, test_is_cfg, alphasort), checked = 0;

	(void)state;
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char path[512];
		struct script_diag d = { 0 };
		struct script *s;
		struct goal_player gp;
		int64_t start[TOGGLE_COUNT], want[TOGGLE_COUNT];
		int bad;

		snprintf(path, sizeof path, "lessons/%s", names[i]->d_name);
		s = script_load(path, &d);
		if (s == NULL)
			fail_msg("%s does not load", path);
		script_diag_free(&d);
		if (s->challenge == NULL) {
			script_free(s);
			free(names[i]);
			continue;
		}
		test_start(s, start);
		memcpy(want, start, sizeof want);
		for (size_t k = 0; k < s->challenge->nsolution; k++)
			want[s->challenge->solution[k].id] =
			    s->challenge->solution[k].value;
		if (goal_plan(&gp, s->challenge, start, &bad) != 0)
			fail_msg("%s: no keys reach the solution's %s", path,
			    bad >= 0 ? toggle_info(bad)->name : "(too many)");
		assert_int_equal(gp.n, s->challenge->nsolution);
		/* The keys end exactly at the proven solution. */
		for (int t = 0; t < TOGGLE_COUNT; t++)
			if (gp.v[gp.n - 1][t] != want[t])
				fail_msg("%s: after the keys %s is %lld, the "
				    "solution has %lld", path,
				    toggle_info(t)->name,
				    (long long)gp.v[gp.n - 1][t],
				    (long long)want[t]);
		/* The lesson writes the same keys beside its solution. */
		{
			char want_line[1024] = "# by keys: ", *text = NULL;
			size_t o = strlen(want_line);
			FILE *f = fopen(path, "r");
			long len;
			for (size_t k = 0; k < gp.n && o < sizeof want_line;
			    k++)
				o += (size_t)snprintf(want_line + o,
				    sizeof want_line - o, "%s%s", k ? "; " : "",
				    gp.text[k]);
			assert_non_null(f);
			fseek(f, 0, SEEK_END);
			len = ftell(f);
			rewind(f);
			text = calloc(1, (size_t)len + 1);
			assert_int_equal(fread(text, 1, (size_t)len, f),
			    (size_t)len);
			fclose(f);
			if (strstr(text, want_line) == NULL)
				fail_msg("%s: the solution block should say "
				    "\"%s\"", path, want_line);
			free(text);
		}
		checked++;
		script_free(s);
		free(names[i]);
	}
	free(names);
	assert_true(checked >= 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_holds_for_every_key),
		cmocka_unit_test(test_family_steps),
		cmocka_unit_test(test_typed_number),
		cmocka_unit_test(test_reach_writes_keys),
		cmocka_unit_test(test_every_solution_reachable_by_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
