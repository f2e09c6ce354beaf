/*
 * The ledger over whole runs of every shipped lesson and fact, where the
 * events come from the simulated engine rather than from hand-built
 * stories: the copies the ledger counts must agree with what the engine
 * shows and says. Two checks:
 *
 * - Sessions: each script played step by step, then its challenge without
 *   and with the solution, on its own seed and three others; at every
 *   instant the copies the ledger counts in queues equal the messages the
 *   engine's queues hold (and once all is quiet none is on its way), no
 *   EV_LOST came while a copy was live, and no count is a guess.
 * - Transcripts: every tests/golden/json/NAME.jsonl (or the directory in
 *   $RABBITLAB_LEDGER_RUNS, to try other seeds) fed to a fresh ledger: no
 *   EV_LOST while a copy was live, and no EV_DISCARD ("others remain") of a
 *   message with no effect after which the ledger counted no other copy.
 *
 * And the fanout story of the ledger's unit tests (one copy processed, one
 * dead-lettered, one discarded by its TTL) played by the engine, 100 times.
 *
 * Run from the source tree (the scripts and transcripts are read from it).
 */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit/unit.h"

#include "lesson/session.h"
#include "model/ledger.h"

/* Calls fn(path) for every file in `dir` ending in `ext`; returns the count. */
static int
each_file(const char *dir, const char *ext, int (*fn)(const char *path))
{
	size_t elen = strlen(ext);
	struct dirent *d;
	DIR *dp = opendir(dir);
	int files = 0, bad = 0;

	if (dp == NULL) {
		print_message("no %s here: run from the source tree\n", dir);
		skip();
	}
	while ((d = readdir(dp)) != NULL) {
		char path[1024];
		size_t len = strlen(d->d_name);

		if (len < elen || strcmp(d->d_name + len - elen, ext) != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		bad += fn(path);
		files++;
	}
	closedir(dp);
	assert_true(files > 0);
	return bad;
}

/* Problems with the invariant and the guesses so far; printed. */
static int
check(const char *path, const struct ledger *l)
{
	struct ledger_check c;

	ledger_check(l, &c);
	if (c.lost_with_copies == 0 && c.unsure == 0)
		return 0;
	print_message("%s: %" PRIu64 " lost with live copies, %" PRIu64
	    " messages with unsure counts\n", path, c.lost_with_copies,
	    c.unsure);
	return (int)(c.lost_with_copies + c.unsure);
}

/* ---- sessions ---------------------------------------------------------- */

/*
 * Whether message `id` was last seen being published: a copy a black hole
 * holds on the producer's wire, which the engine's view does not show.
 */
static int
on_the_wire(const struct session *ss, uint32_t id)
{
	char *tl = session_timeline(ss, id), *last = NULL;
	int yes;

	for (char *s = tl; s && *s && strncmp(s, "fate:", 5) != 0;) {
		char *nl = strchr(s, '\n');
		last = s;
		if (nl == NULL)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	yes = last && strstr(last, "basic.publish") != NULL;
	free(tl);
	return yes;
}

/*
 * Copies in queues: the ledger's count and the engine's; and, once nothing
 * is going on, none on its way but those a black hole holds.
 */
static int
queued_agree(const char *path, size_t step, struct session *ss)
{
	const struct ledger *l = session_ledger(ss);
	struct engine_view v;
	uint64_t ledger = 0, engine = 0, transit = 0;
	int quiet = !session_busy(ss);

	for (uint32_t id = 1; id <= ledger_max_id(l); id++) {
		const struct ledger_entry *e = ledger_entry(l, id);
		ledger += e->copies[LEDGER_AT_QUEUED] +
		    e->copies[LEDGER_AT_PARKED];
		if (quiet && e->copies[LEDGER_AT_TRANSIT] &&
		    !on_the_wire(ss, id))
			transit += e->copies[LEDGER_AT_TRANSIT];
	}
	session_view(ss, &v);
	for (size_t q = 0; q < v.nqueues; q++)
		engine += v.queues[q].ready;
	if (transit) {
		print_message("%s: step %zu, t=%" PRId64 " us: all quiet, the "
		    "ledger counts %" PRIu64 " copies on their way\n", path,
		    step, session_now(ss), transit);
		return 1;
	}
	if (ledger == engine)
		return 0;
	print_message("%s: step %zu, t=%" PRId64 " us: the ledger counts %"
	    PRIu64 " copies in queues, the queues hold %" PRIu64 "\n", path,
	    step, session_now(ss), ledger, engine);
	return 1;
}

/* Ticks until the step or challenge run ends, comparing at each instant. */
static int
play(const char *path, size_t step, struct session *ss)
{
	int bad = 0;

	/* Each tick stops after an instant at which something happened:
	 * every instant is compared. */
	for (int n = 0; session_step_running(ss) && bad < 5; n++) {
		assert_true(n < 1000000);
		char *cause = NULL;
		assert_true(session_tick(ss, 1000000, &cause) >= 0);
		free(cause);
		bad += queued_agree(path, step, ss);
	}
	return bad;
}

/* The challenge, without (with = 0) and with its solution. */
static int
challenge(const char *path, const struct script *s, struct session *ss,
    int with)
{
	char *cause = NULL;
	int bad;

	assert_int_equal(session_challenge_start(ss, &cause), 0);
	for (size_t i = 0; with && i < s->challenge->nsolution; i++) {
		const struct script_toggle *t = &s->challenge->solution[i];
		assert_int_equal(session_toggle(ss, t->id, t->value, &cause),
		    0);
	}
	assert_int_equal(session_challenge_play(ss, &cause), 0);
	bad = play(path, 1000 + (size_t)with, ss);
	return bad + check(path, session_ledger(ss));
}

/* Plays script s (seed 0: its own) through its steps and challenge. */
static int
session_run_seed(const char *path, const struct script *s, uint64_t seed)
{
	struct session_opts o;
	struct session *ss;
	char *cause = NULL;
	size_t step = 0;
	int bad = 0;

	memset(&o, 0, sizeof o);
	o.lang = "en";
	o.has_seed = seed != 0;
	o.seed = seed;
	ss = session_create(s, SESSION_LESSON, &o, &cause);
	assert_non_null(ss);
	for (const struct script_step *st; (st = session_current_step(ss));) {
		if (st->ask)
			session_answer(ss, st->ask->answer);
		if (session_next_step(ss, &cause) != 0) {
			print_message("%s: step %zu: %s\n", path, step,
			    cause ? cause : "?");
			free(cause);
			cause = NULL;
			bad++;
			break;
		}
		bad += play(path, ++step, ss);
	}
	bad += check(path, session_ledger(ss));
	if (s->challenge && bad == 0)
		bad += challenge(path, s, ss, 0) + challenge(path, s, ss, 1);
	session_free(ss);
	return bad;
}

/* Its own seed and three others. */
static int
session_run(const char *path)
{
	static const uint64_t seeds[] = { 0, 1, 2, 99 };
	struct script_diag d = { 0 };
	struct script *s = script_load(path, &d);
	int bad = 0;

	script_diag_free(&d);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
		bad += session_run_seed(path, s, seeds[i]);
	script_free(s);
	return bad;
}

static void
test_sessions(void **state)
{
	(void)state;
	assert_int_equal(each_file("lessons", ".cfg", session_run) +
	    each_file("tests/facts", ".cfg", session_run), 0);
}

/* ---- transcripts -------------------------------------------------------- */

static const char *const kind_ids[EV_COUNT] = {
#define KIND_ID(id, text) #id,
	EVENT_KINDS(KIND_ID)
#undef KIND_ID
};

/*
 * Reads one JSON string at *p (after its opening quote) into out, undoing
 * event_json_string's escapes; leaves *p after the closing quote.
 */
static void
json_string(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t o = 0;

	while (*s && *s != '"') {
		char c = *s++;

		if (c == '\\') {
			c = *s++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'r')
				c = '\r';
			else if (c == 'u') {
				c = (char)strtol((char[]){ s[0], s[1], s[2],
				    s[3], 0 }, NULL, 16);
				s += 4;
			}
		}
		if (o + 1 < len)
			out[o++] = c;
	}
	out[o] = '\0';
	*p = *s ? s + 1 : s;
}

/* An event line of a transcript. */
struct json_event {
	struct event ev;
	char where[256], detail[256];
};

/* Parses one transcript line; 0 if it is an event, -1 otherwise. */
static int
json_event(const char *line, struct json_event *je)
{
	const char *p = line;
	char key[32], sval[256];

	memset(je, 0, sizeof *je);
	if (strncmp(line, "{\"t_us\":", 8) != 0)
		return -1;
	p++;
	while (*p == '"') {
		long long num = 0;
		int is_str;

		p++;
		json_string(&p, key, sizeof key);
		assert_int_equal(*p, ':');
		p++;
		is_str = *p == '"';
		if (is_str) {
			p++;
			json_string(&p, sval, sizeof sval);
		} else {
			char *end;
			num = strtoll(p, &end, 10);
			p = end;
		}
		if (strcmp(key, "t_us") == 0)
			je->ev.t = num;
		else if (strcmp(key, "msg") == 0)
			je->ev.msg = (uint32_t)num;
		else if (strcmp(key, "code") == 0)
			je->ev.code = (int)num;
		else if (strcmp(key, "flag") == 0)
			je->ev.flag = (int)num;
		else if (strcmp(key, "kind") == 0) {
			int k = 0;
			while (k < EV_COUNT && strcmp(kind_ids[k], sval) != 0)
				k++;
			if (k == EV_COUNT)
				fail_msg("unknown kind '%s'", sval);
			je->ev.kind = (enum event_kind)k;
		} else if (strcmp(key, "reason") == 0) {
			int r = event_reason_find(sval);
			assert_true(r >= 0);
			je->ev.reason = (enum loss_reason)r;
		} else if (strcmp(key, "notice") == 0) {
			for (int n = 0; n < NOTICE_COUNT; n++)
				if (strcmp(event_notice_name(n), sval) == 0)
					je->ev.notice = (enum loss_notice)n;
		} else if (strcmp(key, "where") == 0) {
			snprintf(je->where, sizeof je->where, "%s", sval);
			je->ev.where = je->where;
		} else if (strcmp(key, "detail") == 0) {
			snprintf(je->detail, sizeof je->detail, "%s", sval);
			je->ev.detail = je->detail;
		}
		if (*p == ',')
			p++;
	}
	assert_int_equal(*p, '}');
	return 0;
}

/*
 * Feeds one transcript to a fresh ledger and checks the copies against what
 * the engine said: no EV_LOST while the ledger counted a live copy, and no
 * EV_DISCARD of a message with no effect ("others remain") after which the
 * ledger counted none. Returns the number of problems, printed.
 */
static int
whole_run(const char *path)
{
	struct ledger *l = ledger_create();
	struct json_event je;
	char line[4096];
	FILE *f = fopen(path, "r");
	int bad = 0, n = 0;

	assert_non_null(f);
	ledger_strict(l, 0);
	while (fgets(line, sizeof line, f)) {
		const struct ledger_entry *e;

		n++;
		if (json_event(line, &je) != 0)
			continue;
		e = ledger_entry(l, je.ev.msg);
		if (je.ev.kind == EV_DISCARD &&
		    (e == NULL || e->effects == 0)) {
			ledger_apply(l, &je.ev);
			e = ledger_entry(l, je.ev.msg);
			if (ledger_copies_live(e) == 0 && !e->unsure) {
				print_message("%s:%d: m%u discarded, the "
				    "ledger counts no other copy\n", path, n,
				    (unsigned)je.ev.msg);
				bad++;
			}
			continue;
		}
		ledger_apply(l, &je.ev);
	}
	fclose(f);
	bad += check(path, l);
	ledger_free(l);
	return bad;
}

static void
test_transcripts(void **state)
{
	const char *dir = getenv("RABBITLAB_LEDGER_RUNS");

	(void)state;
	assert_int_equal(each_file(dir ? dir : "tests/golden/json", ".jsonl",
	    whole_run), 0);
}

/* ---- the fanout story on the engine ------------------------------------- */

/*
 * 100 payments to a fanout bound to three queues: trade.pay has a consumer;
 * audit.pay expires its copies into a dead-letter queue; notify.pay expires
 * them with no dead-letter exchange.
 */
static const char *const fanout_script =
    "id = \"fanout-copies\";\n"
    "title = { en = \"F\"; zh = \"F\"; };\n"
    "topology = {\n"
    "  exchanges = ( { name = \"pay.fanout\"; type = \"fanout\"; },\n"
    "                { name = \"dlx\"; type = \"fanout\"; } );\n"
    "  queues = ( { name = \"trade.pay\"; },\n"
    "             { name = \"audit.pay\"; ttl_ms = 1000;\n"
    "               dead_letter_exchange = \"dlx\"; },\n"
    "             { name = \"notify.pay\"; ttl_ms = 1000; },\n"
    "             { name = \"dead.audit\"; role = \"dead\"; } );\n"
    "  bindings = ( { exchange = \"pay.fanout\"; queue = \"trade.pay\"; },\n"
    "               { exchange = \"pay.fanout\"; queue = \"audit.pay\"; },\n"
    "               { exchange = \"pay.fanout\"; queue = \"notify.pay\"; },\n"
    "               { exchange = \"dlx\"; queue = \"dead.audit\"; } );\n"
    "  consumers = ( { name = \"trade\"; queue = \"trade.pay\"; } );\n"
    "  publish = { exchange = \"pay.fanout\"; key = \"pay\"; };\n"
    "};\n"
    "toggles = { work_ms = 1; };\n"
    "steps = (\n"
    "  { do = \"publish\"; count = 100; },\n"
    "  { do = \"settle\"; expect = { processed = 100; lost = 0; }; }\n"
    ");\n";

static void
test_fanout_story(void **state)
{
	struct script *s = unit_script(fanout_script, "fanout.cfg");
	struct session_opts o;
	struct ledger_summary sum;
	struct ledger_story st;
	struct session *ss;
	char *cause = NULL, *tl;
	(void)state;

	memset(&o, 0, sizeof o);
	o.lang = "en";
	ss = session_create(s, SESSION_LESSON, &o, &cause);
	assert_non_null(ss);
	for (size_t step = 1; session_current_step(ss); step++) {
		assert_int_equal(session_next_step(ss, &cause), 0);
		assert_int_equal(play("fanout", step, ss), 0);
	}
	assert_int_equal(session_lesson(ss)->expects_failed, 0);
	assert_int_equal(check("fanout", session_ledger(ss)), 0);

	session_summary(ss, &sum);
	assert_int_equal(sum.messages, 100);
	assert_int_equal(sum.copies, 300);
	assert_int_equal(sum.multi_copy, 100);
	assert_int_equal(sum.copy[COPY_PROCESSED], 100);
	assert_int_equal(sum.copy[COPY_DEAD], 100);
	assert_int_equal(sum.copy[COPY_DISCARDED], 100);
	assert_int_equal(sum.copy[COPY_LOST], 0);
	assert_int_equal(sum.copy[COPY_IN_FLIGHT], 0);
	assert_int_equal(sum.discarded_by[LOSS_EXPIRED], 100);
	assert_int_equal(sum.fate[FATE_PROCESSED], 100);

	/* Message 7 told copy by copy, in the order the exchange routed. */
	session_story(ss, 7, &st);
	assert_int_equal(ledger_story_count(&st), 3);
	assert_int_equal(st.copy[0].at, LEDGER_AT_PROCESSED);
	assert_string_equal(st.copy[0].consumer, "trade");
	assert_int_equal(st.copy[1].at, LEDGER_AT_PARKED);
	assert_string_equal(st.copy[1].queue, "dead.audit");
	assert_int_equal(st.copy[2].at, LEDGER_AT_DISCARDED);
	assert_string_equal(st.copy[2].queue, "notify.pay");
	ledger_story_free(&st);
	tl = session_timeline(ss, 7);
	if (strstr(tl, "copies: 3\n  copy 1: processed by trade\n"
	    "  copy 2: parked in dead.audit\n  copy 3: discarded from "
	    "notify.pay: expired with no dead-letter exchange\n") == NULL)
		fail_msg("timeline:\n%s", tl);
	free(tl);
	session_free(ss);
	script_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_fanout_story),
		cmocka_unit_test(test_transcripts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
