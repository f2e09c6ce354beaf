/*
 * Unit tests of the class module with no broker: the progress event's
 * JSON both ways and what the decoder refuses, the outbox file (owed,
 * sent, reopened after a crash, damaged), the URL's host list, and the
 * dashboard's counting (each id once, per choice, solve rate, median).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "class/class_dash.h"
#include "class/class_event.h"
#include "class/class_link.h"
#include "class/class_outbox.h"
#include "engine/live_broker.h"

static struct class_event
test_event(enum class_kind kind, const char *id)
{
	struct class_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	snprintf(ev.id, sizeof ev.id, "%s", id);
	snprintf(ev.student, sizeof ev.student, "Li \"Wei\" \xe6\x9d\x8e");
	snprintf(ev.klass, sizeof ev.klass, "net101");
	snprintf(ev.lesson, sizeof ev.lesson, "01-first-message");
	ev.ts_ms = 1765000000123;
	ev.spent_ms = 41250;
	return ev;
}

static void
test_round_trip(void **state)
{
	char json[CLASS_EVENT_JSON_MAX], why[200];
	struct class_event back;

	(void)state;
	for (int k = 0; k < CLASS_KIND_COUNT; k++) {
		struct class_event ev = test_event((enum class_kind)k, "ab-7");
		ev.question = 3, ev.choice = 2, ev.right = 1, ev.number = 2;
		ev.step = 4, ev.attempt = 2, ev.met = 1, ev.after_solution = 1;
		ev.hint = 1, ev.released = 1;
		int n = class_event_encode(&ev, json, sizeof json);
		assert_true(n > 0);
		assert_int_equal(class_event_decode(json, (size_t)n, &back, why,
		    sizeof why), 0);
		assert_int_equal(back.kind, k);
		assert_string_equal(back.student, ev.student);
		assert_int_equal(back.ts_ms, ev.ts_ms);
		assert_int_equal(back.spent_ms, ev.spent_ms);
		if (k == CLASS_ANSWER) {
			assert_int_equal(back.choice, 2);
			assert_int_equal(back.right, 1);
			assert_int_equal(back.number, 2);
		}
		if (k == CLASS_CHALLENGE)
			assert_int_equal(back.after_solution, 1);
		/* Only the fields of its kind travel. */
		assert_int_equal(back.step, k == CLASS_ACTION ||
		    k == CLASS_LEAD ? 4 : 0);
		assert_int_equal(back.released, k == CLASS_LEAD);
	}
	/* Too small a buffer is refused, not cut. */
	struct class_event ev = test_event(CLASS_HINT, "ab-1");
	assert_int_equal(class_event_encode(&ev, json, 20), -1);
}

static void
test_decode_refuses(void **state)
{
	static const struct {
		const char *json;
		const char *why; /* a word the reason must hold */
	} bad[] = {
		{ "", "JSON object" },
		{ "[1]", "JSON object" },
		{ "{\"id\":\"a-1\"", "','" },
		{ "{\"id\":\"a-1\",\"student\":\"s\",\"class\":\"c\","
		  "\"kind\":\"answer\",\"lesson\":\"l\",\"ts\":1,"
		  "\"spent_ms\":1}", "question" },
		{ "{\"id\":\"a-1\",\"student\":\"s\",\"class\":\"c\","
		  "\"kind\":\"dance\",\"lesson\":\"l\",\"ts\":1,"
		  "\"spent_ms\":1}", "kind" },
		{ "{\"id\":\"a-1\",\"id\":\"a-2\"}", "once" },
		{ "{\"id\":\"a\\u0000\"}", "U+0000" },
		{ "{\"id\":\"\xff\"}", "UTF-8" },
		{ "{\"ts\":99999999999999999999999}", "smaller" },
		{ "{\"hint\":-1}", "range" },
		{ "{\"id\":\"a-1\",\"student\":\"\",\"class\":\"c\","
		  "\"kind\":\"hint\",\"lesson\":\"l\",\"ts\":1,"
		  "\"spent_ms\":1,\"hint\":1}", "name" },
		{ "{\"id\":\"a-1\",\"student\":\"s\",\"class\":\"c\","
		  "\"kind\":\"hint\",\"lesson\":\"l\",\"ts\":1,"
		  "\"spent_ms\":1,\"hint\":1} x", "nothing after" },
	};
	struct class_event ev;
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why[0] = '\0';
		assert_int_equal(class_event_decode(bad[i].json,
		    strlen(bad[i].json), &ev, why, sizeof why), -1);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i].json, why,
			    bad[i].why);
	}
	/* A key it does not know is skipped (a newer lab). */
	const char *ok = "{\"id\":\"a-1\",\"student\":\"s\",\"class\":\"c\","
	    "\"kind\":\"solution_viewed\",\"new\":{},\"lesson\":\"l\","
	    "\"ts\":1,\"spent_ms\":1}";
	assert_int_equal(class_event_decode(ok, strlen(ok), &ev, why,
	    sizeof why), -1); /* nested values are not events */
	ok = "{\"id\":\"a-1\",\"student\":\"s\",\"class\":\"c\","
	    "\"kind\":\"solution_viewed\",\"new\":\"x\",\"lesson\":\"l\","
	    "\"ts\":1,\"spent_ms\":1}";
	assert_int_equal(class_event_decode(ok, strlen(ok), &ev, why,
	    sizeof why), 0);
	assert_int_equal(ev.kind, CLASS_SOLUTION);
}

static char *
test_dir(void)
{
	char tmpl[] = "/tmp/rabbitlab-class-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void
test_outbox(void **state)
{
	struct class_outbox ob;
	struct class_event ev;
	char *dir = test_dir(), *notice = NULL, id[17], cmd[300];

	(void)state;
	assert_int_equal(class_outbox_open(&ob, dir, "c1", "Ana Li", &notice),
	    0);
	assert_int_equal(strlen(ob.student_id), 16);
	memcpy(id, ob.student_id, sizeof id);
	for (int i = 0; i < 3; i++) {
		ev = test_event(CLASS_HINT, "");
		assert_int_equal(class_outbox_add(&ob, &ev, &notice), 0);
	}
	assert_int_equal(ob.n, 3);
	assert_true(strncmp(ev.id, id, 16) == 0 && strcmp(ev.id + 16, "-3") ==
	    0);
	assert_int_equal(class_outbox_sent(&ob, 2, &notice), 0);
	assert_int_equal(class_outbox_sent(&ob, 2, &notice), 0); /* again */
	class_outbox_close(&ob);
	/* Reopened (as after a crash): 1 and 3 still owed, same student. */
	assert_int_equal(class_outbox_open(&ob, dir, "c1", "Ana Li", &notice),
	    0);
	assert_string_equal(ob.student_id, id);
	assert_int_equal(ob.n, 2);
	assert_int_equal(ob.v[0].seq, 1);
	assert_int_equal(ob.v[1].seq, 3);
	assert_int_equal(ob.next_seq, 4);
	assert_non_null(strstr(ob.v[1].json, "\"id\":\""));
	class_outbox_close(&ob);
	/* Damaged: set aside, a fresh outbox with a new id. */
	snprintf(cmd, sizeof cmd, "printf 'junk\\n' >> %s/class-c1-Ana%%20Li"
	    ".outbox", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(class_outbox_open(&ob, dir, "c1", "Ana Li", &notice),
	    1);
	assert_non_null(strstr(notice, ".bad-"));
	free(notice);
	assert_int_equal(ob.n, 0);
	assert_string_not_equal(ob.student_id, id);
	class_outbox_close(&ob);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

static void
test_hosts(void **state)
{
	struct live_target *t;
	size_t n;
	char *cause = NULL;

	(void)state;
	assert_int_equal(class_link_targets("amqp://u:pw@h1:5672,h2:5673,"
	    "h3/net101", "URL", &t, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(t[0].host, "h1");
	assert_int_equal(t[1].port, 5673);
	assert_string_equal(t[2].host, "h3");
	assert_int_equal(t[2].port, 5672);
	assert_string_equal(t[2].vhost, "net101");
	assert_string_equal(t[1].password, "pw");
	assert_null(strstr(t[1].display, "pw"));
	free(t);
	assert_int_equal(class_link_targets("amqp://u:secretpw@h1,,h2/v",
	    "URL", &t, &n, &cause), -1);
	assert_null(strstr(cause, "secretpw"));
	assert_non_null(strstr(cause, "empty host"));
	free(cause);
	assert_int_equal(class_link_targets("h1", "URL", &t, &n, &cause), -1);
	free(cause);
}

static void
test_dash(void **state)
{
	struct class_dash d;
	struct class_event ev;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	class_dash_init(&d, "net101");
	ev = test_event(CLASS_OPENED, "aa-1");
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms + 10), 1);
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms + 20), 0);
	ev = test_event(CLASS_ANSWER, "aa-2");
	ev.question = 3, ev.choice = 1;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	ev = test_event(CLASS_ANSWER, "bb-1");
	ev.question = 3, ev.choice = 2, ev.right = 1;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	ev = test_event(CLASS_CHALLENGE, "aa-3");
	ev.met = 1, ev.attempt = 1, ev.spent_ms = 9000;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	ev = test_event(CLASS_CHALLENGE, "aa-3");
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 0);
	snprintf(ev.klass, sizeof ev.klass, "other");
	snprintf(ev.id, sizeof ev.id, "cc-1");
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), -1);
	assert_int_equal(d.events, 4);
	assert_int_equal(d.duplicates, 2);
	assert_int_equal(d.refused, 1);
	assert_int_equal(d.nstudents, 2);
	assert_int_equal(d.nquestions, 1);
	assert_int_equal(d.questions[0].choices[1], 1);
	assert_int_equal(d.questions[0].choices[2], 1);
	assert_int_equal(d.questions[0].right, 1);
	assert_int_equal(class_dash_latency(&d, 100), 10);
	assert_true(class_dash_stuck(&d.students[1], ev.ts_ms + 60000, 60000));
	assert_false(class_dash_stuck(&d.students[1], ev.ts_ms + 59999,
	    60000));
	f = open_memstream(&buf, &len);
	class_dash_json(&d, f, ev.ts_ms, 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"students\":2,\"solved\":1,"
	    "\"solve_rate\":0.500,\"median_solve_ms\":9000"));
	assert_non_null(strstr(buf, "\"choices\":[0,1,1]"));
	assert_non_null(strstr(buf, "\"student\":\"Li \\\"Wei\\\" "));
	free(buf);
	f = open_memstream(&buf, &len);
	class_dash_csv(&d, f, ev.ts_ms, 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"Li \"\"Wei\"\" "));
	assert_non_null(strstr(buf, ",1,0,9.0,"));
	free(buf);
	class_dash_free(&d);
}

/* The screen's figures: the current question is the one answered last,
 * a lesson's solve rate and median come from one place, and a teacher's
 * lead message is never counted as progress. */
static void
test_dash_current_and_lead(void **state)
{
	struct class_dash d;
	struct class_event ev;
	unsigned opened, solved;
	int64_t median;
	char json[CLASS_EVENT_JSON_MAX], why[200];
	int n;

	(void)state;
	class_dash_init(&d, "net101");
	assert_int_equal(d.current, -1);
	ev = test_event(CLASS_ANSWER, "aa-1");
	ev.question = 3, ev.choice = 1;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	ev = test_event(CLASS_ANSWER, "aa-2");
	ev.question = 5, ev.choice = 0;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	assert_int_equal(d.questions[d.current].question, 5);
	ev = test_event(CLASS_ANSWER, "bb-1");
	ev.question = 3, ev.choice = 2;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	assert_int_equal(d.questions[d.current].question, 3);
	assert_int_equal(d.questions[d.current].choices[2], 1);
	ev = test_event(CLASS_CHALLENGE, "bb-2");
	ev.met = 1, ev.attempt = 1, ev.spent_ms = 4000;
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), 1);
	class_dash_lesson_stats(&d, 0, &opened, &solved, &median);
	assert_int_equal(opened, 2);
	assert_int_equal(solved, 1);
	assert_int_equal(median, 4000);
	/* A lead decodes, and the dashboard refuses it. */
	ev = test_event(CLASS_LEAD, "cc-1");
	ev.step = 7, ev.released = 1;
	n = class_event_encode(&ev, json, sizeof json);
	assert_true(n > 0);
	assert_int_equal(class_event_decode(json, (size_t)n, &ev, why,
	    sizeof why), 0);
	assert_int_equal(ev.step, 7);
	assert_int_equal(ev.released, 1);
	assert_int_equal(class_dash_add(&d, &ev, ev.ts_ms), -1);
	assert_int_equal(d.refused, 1);
	assert_int_equal(d.events, 4);
	/* A lead without "released" is not one. */
	assert_int_equal(class_event_decode("{\"id\":\"a-1\",\"student\":\"T\","
	    "\"class\":\"c\",\"kind\":\"lead\",\"lesson\":\"l\",\"step\":1,"
	    "\"spent_ms\":0,\"ts\":1}", 94, &ev, why, sizeof why), -1);
	assert_non_null(strstr(why, "released"));
	class_dash_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_decode_refuses),
		cmocka_unit_test(test_outbox),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_dash),
		cmocka_unit_test(test_dash_current_and_lead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
