/*
 * Unit tests of the toggle table and its text conversions: lookup by name,
 * defaults, toggle_parse for each toggle type (accepted spellings, range
 * edges, junk, overflow, and the description given back on a refusal) and
 * toggle_format, which must write what toggle_parse reads back unchanged.
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

/* The first toggle of type `type` in the table; fails if there is none. */
static enum toggle_id
first_of_type(enum toggle_type type)
{
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (toggle_info(i)->type == type)
			return i;
	fail_msg("no toggle of type %d", (int)type);
	return 0;
}

/* Parses `text` for `id`, expecting success; returns the value. */
static int64_t
parse_ok(enum toggle_id id, const char *text)
{
	int64_t v = INT64_MIN;
	const char *expected = NULL;

	if (toggle_parse(id, text, &v, &expected) != 0)
		fail_msg("%s: '%s' refused (%s)", toggle_info(id)->name, text,
		    expected ? expected : "?");
	return v;
}

/* Parses `text` for `id`, expecting a refusal; returns *expected. */
static const char *
parse_refused(enum toggle_id id, const char *text)
{
	int64_t v = INT64_MIN;
	const char *expected = NULL;

	if (toggle_parse(id, text, &v, &expected) == 0)
		fail_msg("%s: '%s' accepted as %lld", toggle_info(id)->name,
		    text, (long long)v);
	assert_non_null(expected);
	assert_true(strlen(expected) > 0);
	return expected;
}

/* Formats `value`, parses the text back and checks it is the same value. */
static void
check_round_trip(enum toggle_id id, int64_t value)
{
	char buf[64];
	const char *text = toggle_format(id, value, buf, sizeof buf);
	int64_t back = INT64_MIN;
	const char *expected = NULL;

	assert_ptr_equal(text, buf);
	if (toggle_parse(id, text, &back, &expected) != 0)
		fail_msg("%s: %lld formatted as '%s', which is refused",
		    toggle_info(id)->name, (long long)value, text);
	if (back != value)
		fail_msg("%s: %lld formatted as '%s', read back as %lld",
		    toggle_info(id)->name, (long long)value, text,
		    (long long)back);
}

/* Number of '|' separated choices in `choices`. */
static int
count_choices(const char *choices)
{
	int n = 1;

	for (const char *p = choices; *p; p++)
		if (*p == '|')
			n++;
	return n;
}

static void
test_find_every_name(void **state)
{
	(void)state;
	for (int i = 0; i < TOGGLE_COUNT; i++) {
		const struct toggle_info *t = toggle_info(i);
		assert_non_null(t->name);
		assert_true(strlen(t->name) > 0);
		assert_non_null(t->desc);
		assert_true(strlen(t->desc) > 0);
		assert_int_equal(toggle_find(t->name), i);
	}
	assert_int_equal(toggle_find("confirms"), TOGGLE_CONFIRMS);
	assert_int_equal(toggle_find("reconcile_ms"), TOGGLE_RECONCILE_MS);
	assert_int_equal(toggle_find("nope"), -1);
	assert_int_equal(toggle_find(""), -1);
	assert_int_equal(toggle_find("Confirms"), -1);
	assert_int_equal(toggle_find("confirm"), -1);
	assert_int_equal(toggle_find("confirms "), -1);
}

static void
test_table_is_consistent(void **state)
{
	(void)state;
	for (int i = 0; i < TOGGLE_COUNT; i++) {
		const struct toggle_info *t = toggle_info(i);
		assert_true(t->min <= t->def);
		assert_true(t->def <= t->max);
		if (t->type == TOGGLE_ENUM) {
			assert_non_null(t->choices);
			assert_int_equal(t->min, 0);
			assert_int_equal(count_choices(t->choices), t->max + 1);
		} else {
			assert_null(t->choices);
		}
		if (t->type == TOGGLE_BOOL) {
			assert_int_equal(t->min, 0);
			assert_int_equal(t->max, 1);
		}
	}
}

static void
test_defaults(void **state)
{
	int64_t values[TOGGLE_COUNT];
	(void)state;

	for (int i = 0; i < TOGGLE_COUNT; i++)
		values[i] = -12345;
	toggle_defaults(values);
	for (int i = 0; i < TOGGLE_COUNT; i++)
		assert_int_equal(values[i], toggle_info(i)->def);
	/* A few spelled out, so the table cannot drift unnoticed. */
	assert_int_equal(values[TOGGLE_CONFIRMS], CONFIRMS_OFF);
	assert_int_equal(values[TOGGLE_BATCH], 100);
	assert_int_equal(values[TOGGLE_MANDATORY], 0);
	assert_int_equal(values[TOGGLE_PERSISTENT], 1);
	assert_int_equal(values[TOGGLE_ACK_MODE], ACK_AUTO);
	assert_int_equal(values[TOGGLE_PREFETCH], 250);
	assert_int_equal(values[TOGGLE_RETRY_MULTIPLIER], 1000);
	assert_int_equal(values[TOGGLE_HEARTBEAT], 60);
	assert_int_equal(values[TOGGLE_RECONCILE_MS], 10000);
}

static void
test_parse_bool(void **state)
{
	enum toggle_id id = TOGGLE_MANDATORY;
	(void)state;

	assert_int_equal(parse_ok(id, "true"), 1);
	assert_int_equal(parse_ok(id, "on"), 1);
	assert_int_equal(parse_ok(id, "1"), 1);
	assert_int_equal(parse_ok(id, "false"), 0);
	assert_int_equal(parse_ok(id, "off"), 0);
	assert_int_equal(parse_ok(id, "0"), 0);
	assert_string_equal(parse_refused(id, "yes"), "true or false");
	parse_refused(id, "no");
	parse_refused(id, "");
	parse_refused(id, "2");
	parse_refused(id, "TRUE");
	parse_refused(id, "true ");
	parse_refused(id, "truex");
	/* Every bool toggle reads the same spellings. */
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (toggle_info(i)->type == TOGGLE_BOOL) {
			assert_int_equal(parse_ok(i, "on"), 1);
			assert_int_equal(parse_ok(i, "false"), 0);
			parse_refused(i, "yes");
		}
}

static void
test_parse_enum(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(TOGGLE_CONFIRMS, "off"), CONFIRMS_OFF);
	assert_int_equal(parse_ok(TOGGLE_CONFIRMS, "each"), CONFIRMS_EACH);
	assert_int_equal(parse_ok(TOGGLE_CONFIRMS, "batch"), CONFIRMS_BATCH);
	assert_int_equal(parse_ok(TOGGLE_CONFIRMS, "async"), CONFIRMS_ASYNC);
	assert_int_equal(parse_ok(TOGGLE_QUEUE_TYPE, "quorum"), QTYPE_QUORUM);
	assert_int_equal(parse_ok(TOGGLE_ACK_MODE, "none"), ACK_NONE);
	assert_int_equal(parse_ok(TOGGLE_ACK_MODE, "manual"), ACK_MANUAL);
	assert_int_equal(parse_ok(TOGGLE_ON_FAILURE, "republish"),
	    ONFAIL_REPUBLISH);
	assert_int_equal(parse_ok(TOGGLE_IDEMPOTENCY, "message_id"),
	    IDEM_MESSAGE_ID);

	assert_string_equal(parse_refused(TOGGLE_CONFIRMS, "sometimes"),
	    "off|each|batch|async");
	/* Prefixes, joined choices and the separator are not choices. */
	parse_refused(TOGGLE_CONFIRMS, "");
	parse_refused(TOGGLE_CONFIRMS, "eac");
	parse_refused(TOGGLE_CONFIRMS, "eachx");
	parse_refused(TOGGLE_CONFIRMS, "off|each");
	parse_refused(TOGGLE_CONFIRMS, "|");
	parse_refused(TOGGLE_CONFIRMS, "0");
	parse_refused(TOGGLE_CONFIRMS, "OFF");

	/* Every choice of every enum, by its position. */
	for (int i = 0; i < TOGGLE_COUNT; i++) {
		const struct toggle_info *t = toggle_info(i);
		const char *p;
		int index = 0;

		if (t->type != TOGGLE_ENUM)
			continue;
		p = t->choices;
		for (;;) {
			char choice[64];
			size_t n = strcspn(p, "|");

			assert_true(n > 0 && n < sizeof choice);
			memcpy(choice, p, n);
			choice[n] = '\0';
			assert_int_equal(parse_ok(i, choice), index);
			index++;
			if (p[n] == '\0')
				break;
			p += n + 1;
		}
		assert_int_equal(index, t->max + 1);
		assert_string_equal(parse_refused(i, "no-such-choice"),
		    t->choices);
	}
}

static void
test_parse_int(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(TOGGLE_BATCH, "1"), 1);
	assert_int_equal(parse_ok(TOGGLE_BATCH, "1000000"), 1000000);
	assert_int_equal(parse_ok(TOGGLE_BATCH, "250"), 250);
	assert_string_equal(parse_refused(TOGGLE_BATCH, "0"),
	    "a whole number within the range");
	parse_refused(TOGGLE_BATCH, "1000001");
	parse_refused(TOGGLE_BATCH, "-1");
	parse_refused(TOGGLE_BATCH, "12x");
	parse_refused(TOGGLE_BATCH, "x12");
	parse_refused(TOGGLE_BATCH, "");
	parse_refused(TOGGLE_BATCH, "1.5");
	parse_refused(TOGGLE_BATCH, "99999999999999999999");
	parse_refused(TOGGLE_BATCH, "-99999999999999999999");
	parse_refused(TOGGLE_BATCH, "9223372036854775808");
	assert_int_equal(parse_ok(TOGGLE_PREFETCH, "0"), 0);
	assert_int_equal(parse_ok(TOGGLE_PREFETCH, "65535"), 65535);
	parse_refused(TOGGLE_PREFETCH, "65536");

	/* Every int toggle: both edges in, one step outside refused. */
	for (int i = 0; i < TOGGLE_COUNT; i++) {
		const struct toggle_info *t = toggle_info(i);
		char buf[32];

		if (t->type != TOGGLE_INT)
			continue;
		snprintf(buf, sizeof buf, "%lld", (long long)t->min);
		assert_int_equal(parse_ok(i, buf), t->min);
		snprintf(buf, sizeof buf, "%lld", (long long)t->max);
		assert_int_equal(parse_ok(i, buf), t->max);
		snprintf(buf, sizeof buf, "%lld", (long long)t->min - 1);
		parse_refused(i, buf);
		snprintf(buf, sizeof buf, "%lld", (long long)t->max + 1);
		parse_refused(i, buf);
		snprintf(buf, sizeof buf, "%lldx", (long long)t->max);
		parse_refused(i, buf);
	}
}

static void
test_parse_ratio(void **state)
{
	enum toggle_id id = first_of_type(TOGGLE_RATIO);
	(void)state;

	assert_int_equal(id, TOGGLE_RETRY_MULTIPLIER);
	assert_int_equal(parse_ok(id, "1.5"), 1500);
	assert_int_equal(parse_ok(id, "2"), 2000);
	assert_int_equal(parse_ok(id, "1"), 1000);
	assert_int_equal(parse_ok(id, "1.0"), 1000);
	assert_int_equal(parse_ok(id, "1.25"), 1250);
	assert_int_equal(parse_ok(id, "1.001"), 1001);
	assert_int_equal(parse_ok(id, "100"), 100000);
	assert_int_equal(parse_ok(id, "99.999"), 99999);
	assert_string_equal(parse_refused(id, "0.5"),
	    "a decimal number within the range");
	parse_refused(id, "0.999");
	parse_refused(id, "0");
	parse_refused(id, "-2");
	parse_refused(id, "100.001");
	parse_refused(id, "101");
	parse_refused(id, "1e400");
	parse_refused(id, "1.5x");
	parse_refused(id, "x");
	parse_refused(id, "");
	parse_refused(id, "inf");
	assert_int_equal(parse_ok(TOGGLE_PRODUCER_MULTIPLIER, "3.5"), 3500);
}

static void
test_parse_ratio_refuses_nan(void **state)
{
	(void)state;
	/* NaN compares false with both range ends, so it must be caught. */
	parse_refused(TOGGLE_RETRY_MULTIPLIER, "nan");
	parse_refused(TOGGLE_RETRY_MULTIPLIER, "NAN");
}

static void
test_format(void **state)
{
	char buf[64], *end;
	(void)state;

	assert_string_equal(toggle_format(TOGGLE_MANDATORY, 1, buf,
	    sizeof buf), "true");
	assert_string_equal(toggle_format(TOGGLE_MANDATORY, 0, buf,
	    sizeof buf), "false");
	assert_string_equal(toggle_format(TOGGLE_CONFIRMS, CONFIRMS_BATCH,
	    buf, sizeof buf), "batch");
	assert_string_equal(toggle_format(TOGGLE_CONFIRMS, CONFIRMS_ASYNC,
	    buf, sizeof buf), "async");
	assert_string_equal(toggle_format(TOGGLE_CONFIRMS, 4, buf,
	    sizeof buf), "?");
	assert_string_equal(toggle_format(TOGGLE_BATCH, 1000000, buf,
	    sizeof buf), "1000000");
	/* A decimal: "1.5" or "1.50" alike. */
	assert_true(strtod(toggle_format(TOGGLE_RETRY_MULTIPLIER, 1500, buf,
	    sizeof buf), &end) == 1.5);
	assert_int_equal(*end, '\0');
	assert_memory_equal(buf, "1.5", 3);
	/* A short buffer truncates but stays a terminated string. */
	assert_string_equal(toggle_format(TOGGLE_CONFIRMS, CONFIRMS_ASYNC,
	    buf, 3), "as");
}

static void
test_format_round_trip_defaults(void **state)
{
	(void)state;
	for (int i = 0; i < TOGGLE_COUNT; i++)
		check_round_trip(i, toggle_info(i)->def);
}

static void
test_format_round_trip_edges(void **state)
{
	(void)state;
	for (int i = 0; i < TOGGLE_COUNT; i++) {
		const struct toggle_info *t = toggle_info(i);
		check_round_trip(i, t->min);
		check_round_trip(i, t->max);
		if (t->max > t->min) {
			check_round_trip(i, t->min + 1);
			check_round_trip(i, t->max - 1);
		}
	}
}

static void
test_format_round_trip_ratios(void **state)
{
	static const int64_t values[] = { 1000, 1100, 1500, 2000, 1250, 1050,
		1001, 1999, 12345, 99999, 100000 };
	(void)state;

	for (int i = 0; i < TOGGLE_COUNT; i++) {
		if (toggle_info(i)->type != TOGGLE_RATIO)
			continue;
		for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
			check_round_trip(i, values[k]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_every_name),
		cmocka_unit_test(test_table_is_consistent),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_parse_enum),
		cmocka_unit_test(test_parse_int),
		cmocka_unit_test(test_parse_ratio),
		cmocka_unit_test(test_parse_ratio_refuses_nan),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_round_trip_defaults),
		cmocka_unit_test(test_format_round_trip_edges),
		cmocka_unit_test(test_format_round_trip_ratios),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
