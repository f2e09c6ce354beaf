/*
 * Unit tests of the event module: the name tables (kinds, actors, loss
 * reasons, notices) and their lookups, the AMQP reply texts, and the ways an
 * event is written out. Transcript lines are checked for their parts and for
 * carrying no padding at the end, event_format also for cutting to short
 * buffers; JSON lines are checked byte for byte and, for every kind, against
 * a small strict JSON validator kept in this file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/event.h"

/* Calls `print` on `ev` and returns what it wrote; the caller frees it. */
static char *
capture(void (*print)(FILE *, const struct event *), const struct event *ev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f, ev);
	assert_int_equal(fclose(f), 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* What event_json_string writes for `s`; the caller frees it. */
static char *
capture_json_string(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	event_json_string(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Fails the test unless `line` holds exactly one line, with no padding. */
static void
check_one_line(const char *line)
{
	size_t len = strlen(line);

	assert_true(len >= 2);
	assert_int_equal(line[len - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + len - 1);
	assert_true(line[len - 2] != ' ');
	assert_true(line[len - 2] != '\t');
}

/* Fails the test unless `a` occurs in `s`; returns where. */
static const char *
check_contains(const char *s, const char *a)
{
	const char *p = strstr(s, a);

	if (p == NULL)
		print_error("'%s' not found in '%s'\n", a, s);
	assert_non_null(p);
	return p;
}

/* Fails the test unless `a` and, after it, `b` occur in `s`. */
static void
check_order(const char *s, const char *a, const char *b)
{
	const char *pa = check_contains(s, a);
	const char *pb = check_contains(pa + strlen(a), b);

	assert_true(pb > pa);
}

/*
 * A strict JSON validator, enough for one event line: each json_* returns the
 * position after the value it read, or NULL if the text is not JSON.
 */
static const char *json_value(const char *p, int depth);

static const char *
json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int
json_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static const char *
json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL; /* raw control characters, or the end */
		if (c != '\\') {
			p++;
			continue;
		}
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!json_hex(p[i]))
					return NULL;
			p += 5;
		} else if (*p != '\0' && strchr("\"\\/bfnrt", *p)) {
			p++;
		} else {
			return NULL;
		}
	}
}

static const char *
json_number(const char *p)
{
	const char *start;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		start = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		start = p;
		while (*p >= '0' && *p <= '9')
			p++;
		if (p == start)
			return NULL;
	}
	return p;
}

static const char *
json_members(const char *p, int depth, char close, int keyed)
{
	p = json_ws(p);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			p = json_string(json_ws(p));
			if (p == NULL)
				return NULL;
			p = json_ws(p);
			if (*p++ != ':')
				return NULL;
		}
		p = json_value(p, depth + 1);
		if (p == NULL)
			return NULL;
		p = json_ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *
json_value(const char *p, int depth)
{
	if (depth > 32)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{': return json_members(p + 1, depth, '}', 1);
	case '[': return json_members(p + 1, depth, ']', 0);
	case '"': return json_string(p);
	case 't': return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f': return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n': return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default: return json_number(p);
	}
}

/* Fails the test unless `line` is one JSON object and a newline. */
static void
check_json_line(const char *line)
{
	const char *end;

	assert_int_equal(line[0], '{');
	end = json_value(line, 0);
	if (end == NULL)
		print_error("not JSON: %s", line);
	assert_non_null(end);
	assert_string_equal(end, "\n");
}

static void
test_validator_rejects_bad_json(void **state)
{
	(void)state;
	/* The validator must say no, or the JSON tests prove nothing. */
	assert_null(json_value("{\"a\":\"x\ny\"}", 0));
	assert_null(json_value("{\"a\":\"x\\qy\"}", 0));
	assert_null(json_value("{\"a\":\"x\\u12g4\"}", 0));
	assert_null(json_value("{\"a\":\"x}", 0));
	assert_null(json_value("{\"a\" 1}", 0));
	assert_null(json_value("{\"a\":1,}", 0));
	assert_null(json_value("{\"a\":01}", 0));
	assert_non_null(json_value("{\"a\":[1,-2.5e3,\"\\u00e9\",true,null]}",
	    0));
}

static void
test_names_not_empty(void **state)
{
	(void)state;
	for (int k = 0; k < EV_COUNT; k++) {
		assert_non_null(event_kind_text(k));
		assert_true(strlen(event_kind_text(k)) > 0);
		assert_string_not_equal(event_kind_text(k), "?");
	}
	for (int a = 0; a < ACTOR_COUNT; a++) {
		assert_non_null(event_actor_name(a));
		assert_true(strlen(event_actor_name(a)) > 0);
		assert_string_not_equal(event_actor_name(a), "?");
	}
	for (int r = 0; r < LOSS_COUNT; r++) {
		assert_true(strlen(event_reason_name(r)) > 0);
		assert_true(strlen(event_reason_hop(r)) > 0);
		/* Every real reason has a sentence for the transcript. */
		if (r != LOSS_NONE)
			assert_true(strlen(event_reason_text(r)) > 0);
	}
	for (int n = 0; n < NOTICE_COUNT; n++) {
		assert_true(strlen(event_notice_name(n)) > 0);
		assert_string_not_equal(event_notice_name(n), "?");
	}
	assert_string_equal(event_kind_text(EV_DELIVER), "basic.deliver");
	assert_string_equal(event_actor_name(ACTOR_CONSUMER), "consumer");
	assert_string_equal(event_reason_name(LOSS_BROKER_CRASH),
	    "broker_crash");
	assert_string_equal(event_notice_name(NOTICE_RETURN), "return");
}

static void
test_names_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(event_kind_text(EV_COUNT), "?");
	assert_string_equal(event_kind_text((enum event_kind)-1), "?");
	assert_string_equal(event_actor_name(ACTOR_COUNT), "?");
	assert_string_equal(event_reason_name(LOSS_COUNT), "?");
	assert_string_equal(event_reason_hop(LOSS_COUNT), "?");
	assert_string_equal(event_reason_text(LOSS_COUNT), "?");
	assert_string_equal(event_notice_name(NOTICE_COUNT), "?");
}

static void
test_names_unique(void **state)
{
	(void)state;
	for (int a = 0; a < ACTOR_COUNT; a++)
		for (int b = a + 1; b < ACTOR_COUNT; b++)
			assert_string_not_equal(event_actor_name(a),
			    event_actor_name(b));
	for (int a = 0; a < NOTICE_COUNT; a++)
		for (int b = a + 1; b < NOTICE_COUNT; b++)
			assert_string_not_equal(event_notice_name(a),
			    event_notice_name(b));
}

static void
test_reason_find(void **state)
{
	(void)state;
	for (int r = 0; r < LOSS_COUNT; r++)
		assert_int_equal(event_reason_find(event_reason_name(r)), r);
	assert_int_equal(event_reason_find("queue_full"), LOSS_QUEUE_FULL);
	assert_int_equal(event_reason_find("nope"), -1);
	assert_int_equal(event_reason_find(""), -1);
	assert_int_equal(event_reason_find("Network"), -1);
	assert_int_equal(event_reason_find("network "), -1);
	assert_int_equal(event_reason_find("queue"), -1);
	assert_int_equal(event_reason_find("?"), -1);
}

static void
test_code_text(void **state)
{
	(void)state;
	assert_string_equal(event_code_text(312), "NO_ROUTE");
	assert_string_equal(event_code_text(404), "NOT_FOUND");
	assert_string_equal(event_code_text(406), "PRECONDITION_FAILED");
	assert_string_equal(event_code_text(999), "");
	assert_string_equal(event_code_text(0), "");
	assert_string_equal(event_code_text(-1), "");
}

static void
test_text_deliver(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.t = 1234567;
	ev.kind = EV_DELIVER;
	ev.actor = ACTOR_CONSUMER;
	ev.msg = 7;
	ev.flag = 1;
	ev.where = "orders";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	/* Time in milliseconds with three decimals, then who, what, which. */
	check_order(line, "1234.567", "consumer");
	check_order(line, "consumer", "basic.deliver redelivered=1");
	check_order(line, "basic.deliver redelivered=1", " m7 ");
	check_order(line, " m7 ", "orders\n");
	assert_null(strstr(line, "m70"));
	assert_null(strstr(line, "["));
	free(line);

	/* Any non-zero flag is a redelivery, printed as 1. */
	ev.flag = 2;
	line = capture(event_print_text, &ev);
	check_contains(line, "basic.deliver redelivered=1 ");
	free(line);

	ev.flag = 0;
	ev.where = NULL;
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_contains(line, "basic.deliver redelivered=0");
	/* With nothing after the message id, the line ends on it. */
	check_contains(line, " m7\n");
	free(line);
}

static void
test_text_no_trailing_space(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	/* No message, no queue: every padded column is empty at the end. */
	ev.t = 5;
	ev.kind = EV_CRASH;
	ev.actor = ACTOR_BROKER;
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "0.005", "broker");
	check_contains(line, "kill -9\n");
	free(line);

	ev.kind = EV_NACK;
	ev.actor = ACTOR_CONSUMER;
	ev.flag = 1;
	ev.msg = 12;
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "basic.nack requeue=1", "m12\n");
	free(line);

	ev.kind = EV_RETURN;
	ev.actor = ACTOR_BROKER;
	ev.code = 312;
	ev.flag = 0;
	ev.where = "x";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "basic.return 312 NO_ROUTE", "m12");
	check_contains(line, " x\n");
	free(line);

	ev.kind = EV_RETRY;
	ev.code = 0;
	ev.flag = 3;
	ev.where = NULL;
	ev.detail = "why";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "local retry #3", "m12 (why)\n");
	free(line);
}

static void
test_text_lost_silent(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.t = 2000;
	ev.kind = EV_LOST;
	ev.actor = ACTOR_BROKER;
	ev.msg = 3;
	ev.reason = LOSS_BROKER_CRASH;
	ev.notice = NOTICE_SILENT;
	ev.where = "q";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "LOST", "m3");
	check_contains(line, " q [broker_crash at queue: the broker went down "
	    "while the message was only in memory; producer told: nothing]\n");
	free(line);
}

static void
test_text_lost_notices(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.kind = EV_LOST;
	ev.actor = ACTOR_QUEUE;
	ev.msg = 9;
	ev.reason = LOSS_QUEUE_FULL;
	ev.notice = NOTICE_NACK;
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_contains(line, "[queue_full at queue: rejected by a full queue; "
	    "producer told: nack]\n");
	assert_null(strstr(line, "nothing"));
	free(line);

	ev.notice = NOTICE_RETURN;
	ev.reason = LOSS_UNROUTABLE;
	ev.detail = "key k";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_contains(line, "[unroutable at exchange: ");
	check_contains(line, "; producer told: return] (key k)\n");
	free(line);

	/* Every reason and notice: the bracket names both. */
	ev.detail = NULL;
	for (int r = 0; r < LOSS_COUNT; r++)
		for (int n = 0; n < NOTICE_COUNT; n++) {
			char want[256];
			ev.reason = r;
			ev.notice = n;
			snprintf(want, sizeof want, "[%s at %s: %s; producer "
			    "told: %s]\n", event_reason_name(r),
			    event_reason_hop(r), event_reason_text(r),
			    n == NOTICE_SILENT ? "nothing" :
			    event_notice_name(n));
			line = capture(event_print_text, &ev);
			check_one_line(line);
			check_contains(line, want);
			free(line);
		}
}

static void
test_text_discard(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.kind = EV_DISCARD;
	ev.actor = ACTOR_QUEUE;
	ev.msg = 4;
	ev.reason = LOSS_EXPIRED;
	ev.notice = NOTICE_NACK;
	ev.where = "delay";
	line = capture(event_print_text, &ev);
	check_one_line(line);
	check_order(line, "copy discarded", "m4");
	check_contains(line, " delay [expired at queue: expired with no "
	    "dead-letter exchange]\n");
	/* Other copies remain: the producer's notice is not part of it. */
	assert_null(strstr(line, "producer told"));
	free(line);
}

/* A LOST event with every part filled, for the event_format tests. */
static void
lost_event(struct event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->t = 61500;
	ev->kind = EV_LOST;
	ev->actor = ACTOR_BROKER;
	ev->msg = 3;
	ev->reason = LOSS_BROKER_CRASH;
	ev->notice = NOTICE_SILENT;
	ev->where = "q";
	ev->detail = "d";
}

static void
test_format_matches_print_text(void **state)
{
	struct event ev;
	char buf[640], *line;
	size_t n;
	(void)state;

	lost_event(&ev);
	line = capture(event_print_text, &ev);
	n = event_format(buf, sizeof buf, &ev, 1);
	assert_int_equal(n, strlen(buf));
	assert_int_equal(n + 1, strlen(line));
	assert_memory_equal(buf, line, n);
	free(line);

	/* Without the time column the line starts at the actor. */
	n = event_format(buf, sizeof buf, &ev, 0);
	assert_int_equal(n, strlen(buf));
	assert_memory_equal(buf, "broker ", 7);
	assert_null(strstr(buf, "61.500"));
	check_contains(buf, "producer told: nothing] (d)");
	assert_int_equal(buf[n - 1], ')');
}

static void
test_format_short_buffers(void **state)
{
	struct event ev;
	char buf[64];
	(void)state;

	lost_event(&ev);
	/* No room at all: nothing written. */
	memset(buf, 'X', sizeof buf);
	assert_int_equal(event_format(buf, 0, &ev, 1), 0);
	assert_int_equal(buf[0], 'X');
	/* Room for the terminator only. */
	assert_int_equal(event_format(buf, 1, &ev, 1), 0);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'X');
	/* Every length: terminated inside the buffer, length returned. */
	for (size_t len = 1; len < sizeof buf; len++) {
		size_t n;
		memset(buf, 'X', sizeof buf);
		n = event_format(buf, len, &ev, len % 2);
		assert_true(n < len);
		assert_int_equal(strlen(buf), n);
		for (size_t i = len; i < sizeof buf; i++)
			assert_int_equal(buf[i], 'X');
	}
}

static void
test_format_cut_is_prefix(void **state)
{
	struct event ev;
	char full[640], buf[640];
	size_t total;
	(void)state;

	/* Cut to fit: a shorter buffer holds the start of the same line. */
	lost_event(&ev);
	total = event_format(full, sizeof full, &ev, 0);
	for (size_t len = 1; len <= total + 1; len++) {
		size_t n = event_format(buf, len, &ev, 0);
		if (strncmp(buf, full, n) != 0)
			fail_msg("cut to %zu bytes: '%s' does not start '%s'",
			    len, buf, full);
	}
}

static void
test_json_lost_exact(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.t = 42;
	ev.kind = EV_LOST;
	ev.actor = ACTOR_BROKER;
	ev.msg = 3;
	ev.reason = LOSS_QUEUE_FULL;
	ev.notice = NOTICE_NACK;
	ev.where = "q\"1\\x";
	ev.detail = "a\nb\tc\001d\re\037f";
	line = capture(event_print_json, &ev);
	assert_string_equal(line,
	    "{\"t_us\":42,\"kind\":\"LOST\",\"frame\":\"LOST\","
	    "\"actor\":\"broker\",\"msg\":3,\"flag\":0,"
	    "\"where\":\"q\\\"1\\\\x\","
	    "\"reason\":\"queue_full\",\"hop\":\"queue\",\"notice\":\"nack\","
	    "\"detail\":\"a\\nb\\tc\\u0001d\\re\\u001ff\"}\n");
	check_json_line(line);
	free(line);

	ev.kind = EV_DISCARD;
	ev.notice = NOTICE_SILENT;
	ev.reason = LOSS_DROP_HEAD;
	ev.where = NULL;
	ev.detail = NULL;
	ev.t = 9000000000000;
	line = capture(event_print_json, &ev);
	assert_string_equal(line,
	    "{\"t_us\":9000000000000,\"kind\":\"DISCARD\","
	    "\"frame\":\"copy discarded\",\"actor\":\"broker\",\"msg\":3,"
	    "\"flag\":0,\"reason\":\"drop_head\",\"hop\":\"queue\","
	    "\"notice\":\"silent\"}\n");
	check_json_line(line);
	free(line);
}

static void
test_json_deliver_exact(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.t = 1500;
	ev.kind = EV_DELIVER;
	ev.actor = ACTOR_CONSUMER;
	ev.msg = 7;
	ev.flag = 1;
	ev.where = "orders";
	/* Set but meaningless for a delivery: must not be written. */
	ev.reason = LOSS_NETWORK;
	ev.notice = NOTICE_ERROR;
	line = capture(event_print_json, &ev);
	assert_string_equal(line,
	    "{\"t_us\":1500,\"kind\":\"DELIVER\","
	    "\"frame\":\"basic.deliver redelivered=1\",\"actor\":\"consumer\","
	    "\"msg\":7,\"flag\":1,\"where\":\"orders\"}\n");
	check_json_line(line);
	free(line);

	ev.kind = EV_RETURN;
	ev.actor = ACTOR_BROKER;
	ev.code = 312;
	ev.flag = 0;
	ev.msg = 0;
	ev.where = NULL;
	line = capture(event_print_json, &ev);
	assert_string_equal(line,
	    "{\"t_us\":1500,\"kind\":\"RETURN\","
	    "\"frame\":\"basic.return 312 NO_ROUTE\",\"actor\":\"broker\","
	    "\"code\":312,\"flag\":0}\n");
	check_json_line(line);
	free(line);
}

static void
test_json_escapes_every_control(void **state)
{
	char raw[64], want[256], *got, *w = want;
	size_t n = 0;
	(void)state;

	for (int c = 1; c < 0x20; c++)
		raw[n++] = (char)c;
	raw[n++] = '"';
	raw[n++] = '\\';
	raw[n++] = '/';
	raw[n++] = 0x7f;
	raw[n] = '\0';

	*w++ = '"';
	for (int c = 1; c < 0x20; c++) {
		if (c == '\n')
			w += sprintf(w, "\\n");
		else if (c == '\t')
			w += sprintf(w, "\\t");
		else if (c == '\r')
			w += sprintf(w, "\\r");
		else
			w += sprintf(w, "\\u%04x", c);
	}
	strcpy(w, "\\\"\\\\/\x7f\"");

	got = capture_json_string(raw);
	assert_string_equal(got, want);
	assert_non_null(json_string(got));
	assert_string_equal(json_string(got), "");
	free(got);

	got = capture_json_string("");
	assert_string_equal(got, "\"\"");
	free(got);

	/* UTF-8 passes through untouched. */
	got = capture_json_string("caf\xc3\xa9 \xe2\x86\x92");
	assert_string_equal(got, "\"caf\xc3\xa9 \xe2\x86\x92\"");
	free(got);
}

static void
test_json_every_kind(void **state)
{
	struct event ev = { 0 };
	const char *prefix = "{\"t_us\":77,\"kind\":\"";
	char *line;
	(void)state;

	ev.t = 77;
	ev.actor = ACTOR_NETWORK;
	ev.msg = 1;
	ev.code = 404;
	ev.flag = 2;
	ev.reason = LOSS_REJECTED;
	ev.notice = NOTICE_ERROR;
	ev.where = "we\"ird\\\n\x01";
	ev.detail = "}{\",\"x\":1";
	for (int k = 0; k < EV_COUNT; k++) {
		int lossy = k == EV_LOST || k == EV_DISCARD;
		ev.kind = k;
		line = capture(event_print_json, &ev);
		check_json_line(line);
		assert_memory_equal(line, prefix, strlen(prefix));
		check_contains(line, ",\"code\":404,\"flag\":2,");
		check_contains(line, ",\"where\":\"we\\\"ird\\\\\\n\\u0001\"");
		check_contains(line, ",\"detail\":\"}{\\\",\\\"x\\\":1\"}\n");
		assert_int_equal(
		    strstr(line, "\"reason\":\"rejected\"") != NULL, lossy);
		assert_int_equal(strstr(line, "\"hop\":\"consumer\"") != NULL,
		    lossy);
		assert_int_equal(strstr(line, "\"notice\":\"error\"") != NULL,
		    lossy);
		free(line);
	}
}

static void
test_json_omits_absent_fields(void **state)
{
	struct event ev = { 0 };
	char *line;
	(void)state;

	ev.kind = EV_START;
	ev.actor = ACTOR_BROKER;
	line = capture(event_print_json, &ev);
	assert_string_equal(line, "{\"t_us\":0,\"kind\":\"START\","
	    "\"frame\":\"broker started\",\"actor\":\"broker\",\"flag\":0}\n");
	check_json_line(line);
	free(line);
}

/* A string longer than the line buffer comes out whole and in order. */
static void
test_json_long_string(void **state)
{
	char in[3001], want[3 * 1000 + 1000 * 2 + 3], *got;
	size_t o = 0;
	(void)state;

	want[o++] = '"';
	for (int i = 0; i < 1000; i++) {
		memcpy(in + 3 * i, i % 2 ? "a\"b" : "c\\d", 3);
		memcpy(want + o, i % 2 ? "a\\\"b" : "c\\\\d", 4);
		o += 4;
	}
	in[3000] = '\0';
	want[o++] = '"';
	want[o] = '\0';
	got = capture_json_string(in);
	assert_string_equal(got, want);
	free(got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_rejects_bad_json),
		cmocka_unit_test(test_names_not_empty),
		cmocka_unit_test(test_names_out_of_range),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_reason_find),
		cmocka_unit_test(test_code_text),
		cmocka_unit_test(test_text_deliver),
		cmocka_unit_test(test_text_no_trailing_space),
		cmocka_unit_test(test_text_lost_silent),
		cmocka_unit_test(test_text_lost_notices),
		cmocka_unit_test(test_text_discard),
		cmocka_unit_test(test_format_matches_print_text),
		cmocka_unit_test(test_format_short_buffers),
		cmocka_unit_test(test_format_cut_is_prefix),
		cmocka_unit_test(test_json_lost_exact),
		cmocka_unit_test(test_json_deliver_exact),
		cmocka_unit_test(test_json_escapes_every_control),
		cmocka_unit_test(test_json_every_kind),
		cmocka_unit_test(test_json_omits_absent_fields),
		cmocka_unit_test(test_json_long_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
