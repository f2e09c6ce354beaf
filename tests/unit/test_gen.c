/*
 * Unit tests of the scenario generator and the shrinker: the same seed
 * writes the same script and other seeds others; 500 seeds all load
 * (rabbitlab check accepts them) and together use every exchange type,
 * queue type, failure and action; a unit switched off takes what depends
 * on it along and the script still loads; the shrinker, hunting a
 * property of the text, ends 1-minimal (no single unit left can go) with
 * the property kept, and lowers publish counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/gen.h"
#include "lesson/script.h"
#include "unit.h"

static void
test_same_seed_same_script(void **state)
{
	struct gen_scn a, b;
	char *ta, *tb, *tc;

	(void)state;
	gen_scenario(42, &a);
	gen_scenario(42, &b);
	ta = gen_write(&a, NULL);
	tb = gen_write(&b, NULL);
	assert_string_equal(ta, tb);
	gen_scenario(43, &b);
	tc = gen_write(&b, NULL);
	assert_string_not_equal(ta, tc);
	free(ta);
	free(tb);
	free(tc);
}

/* Every seed loads; across them the grammar's whole range shows up. */
static void
test_seeds_load_and_cover(void **state)
{
	static const char *const must[] = {
		"type = \"direct\"", "type = \"fanout\"", "type = \"topic\"",
		"type = \"headers\"", "type = \"classic\"", "type = \"lazy\"",
		"type = \"quorum\"", "ttl_ms =", "overflow = \"reject-publish\"",
		"overflow = \"drop-head\"", "dead_letter_routing_key",
		"delivery_limit", "match = \"any\"", "match = \"all\"",
		"key = \"#\"", "key = \"pay.*\"", "\"connection_lost\"",
		"\"blackhole\"", "\"missing_exchange\"", "\"unroutable\"",
		"\"queue_full\"", "\"consumer_crash_before\"",
		"\"consumer_crash_after\"", "\"consumer_exception\"",
		"\"message_expiry\"", "\"broker_crash\"", "\"broker_stop\"",
		"do = \"restart\"", "do = \"consume\"", "do = \"stop\"",
		"do = \"toggle\"", "expiration_ms", "every_ms", "headers = {",
		"unreadable = true", "confirms = \"async\"",
		"retry_multiplier = 2.0",
	};
	int seen[sizeof must / sizeof must[0]] = { 0 };

	(void)state;
	for (uint64_t seed = 1; seed <= 500; seed++) {
		struct gen_scn g;
		char *text, name[32];
		struct script *s;

		gen_scenario(seed, &g);
		assert_in_range(g.nstep, 5, GEN_MAX_STEP);
		text = gen_write(&g, "a note\nof two lines");
		snprintf(name, sizeof name, "gen-%" PRIu64 ".cfg", seed);
		s = unit_script(text, name);
		for (size_t i = 0; i < sizeof must / sizeof must[0]; i++)
			seen[i] |= strstr(text, must[i]) != NULL;
		script_free(s);
		free(text);
	}
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
		if (!seen[i])
			print_message("never generated: %s\n", must[i]);
		assert_true(seen[i]);
	}
}

/* A queue switched off takes its bindings, consumers and targets along. */
static void
test_unit_off_drops_dependents(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 100; seed++) {
		struct gen_scn g;
		char *text;
		struct script *s;

		gen_scenario(seed, &g);
		g.q[0].on = 0;
		g.ex[0].on = 0;
		text = gen_write(&g, NULL);
		/* (the names may stay as routing keys, which is no reference) */
		assert_null(strstr(text, "name = \"q.a\""));
		assert_null(strstr(text, "queue = \"q.a\""));
		assert_null(strstr(text, "target = \"q.a\""));
		assert_null(strstr(text, "name = \"ex.a\""));
		assert_null(strstr(text, "exchange = \"ex.a\""));
		assert_null(strstr(text, "target = \"ex.a\""));
		s = unit_script(text, "off.cfg");
		script_free(s);
		free(text);
	}
}

/* The property hunted: a message_expiry failure on a queue with a TTL. */
static int
hunted(const struct gen_scn *g, void *arg)
{
	char *text = gen_write(g, NULL);
	int yes = strstr(text, "\"message_expiry\"") != NULL &&
	    strstr(text, "ttl_ms =") != NULL;

	++*(int *)arg;
	free(text);
	return yes;
}

static void
test_shrink_is_minimal(void **state)
{
	int found = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= 400 && found < 3; seed++) {
		struct gen_scn g;
		int calls = 0, tests;

		gen_scenario(seed, &g);
		if (hunted(&g, &calls) != 1)
			continue;
		found++;
		calls = 0;
		tests = gen_shrink(&g, hunted, &calls);
		assert_int_equal(tests, calls);
		assert_int_equal(hunted(&g, &calls), 1);
		/* The failure step and its queue, and the queue with a TTL
		   if that is another. */
		assert_in_range(gen_units_on(&g), 2, 3);
		for (size_t i = 0; i < gen_units(&g); i++) {
			int *on = gen_unit(&g, i);

			if (!*on)
				continue;
			*on = 0;
			assert_int_equal(hunted(&g, &calls), 0);
			*on = 1;
		}
	}
	assert_int_equal(found, 3);
}

/* The property: a publish of at least 2 messages. */
static int
many(const struct gen_scn *g, void *arg)
{
	(void)arg;
	for (int i = 0; i < g->nstep; i++)
		if (g->step[i].on && g->step[i].kind == GEN_PUBLISH &&
		    g->step[i].count >= 2)
			return 1;
	return 0;
}

static void
test_shrink_lowers_counts(void **state)
{
	struct gen_scn g;
	uint64_t seed = 1;

	(void)state;
	do
		gen_scenario(seed++, &g);
	while (!many(&g, NULL) && seed < 1000);
	gen_shrink(&g, many, NULL);
	for (int i = 0; i < g.nstep; i++)
		if (g.step[i].on)
			assert_int_equal(g.step[i].count, 2);
	assert_int_equal(gen_units_on(&g), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_script),
		cmocka_unit_test(test_seeds_load_and_cover),
		cmocka_unit_test(test_unit_off_drops_dependents),
		cmocka_unit_test(test_shrink_is_minimal),
		cmocka_unit_test(test_shrink_lowers_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
