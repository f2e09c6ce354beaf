/*
 * Unit tests of the screen's words (ui/words.h): in English every event
 * line the log shows is exactly the transcript's (the rewriting adds no
 * words of its own), and in Chinese the conditions, losses, counters,
 * toggles and values come out in the catalogue's words while AMQP frames
 * and script names stay as they are.
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
#include "ui/i18n.h"
#include "ui/words.h"
#include "util/utf8.h"

static char words_localedir[4096];

/* The transcript line of `ev` as the log pane holds it: no time, no actor,
 * runs of spaces squeezed. */
static void
squeezed(const struct event *ev, char *out, size_t len)
{
	char line[640];
	const char *s = line, *actor = event_actor_name(ev->actor);
	size_t o = 0;

	event_format(line, sizeof line, ev, 0);
	s += strlen(actor);
	while (*s == ' ')
		s++;
	for (; *s && o + 1 < len; s++) {
		if (*s == ' ' && o > 0 && out[o - 1] == ' ')
			continue;
		out[o++] = *s;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static const struct event words_events[] = {
	{ 1000, EV_PUBLISH, ACTOR_PRODUCER, 1, 0, 1, LOSS_NONE, NOTICE_SILENT,
	  "x", "key=k" },
	{ 1000, EV_ROUTED, ACTOR_EXCHANGE, 1, 0, 1, LOSS_NONE, NOTICE_SILENT,
	  "x", NULL },
	{ 1000, EV_DELIVER, ACTOR_QUEUE, 1, 0, 1, LOSS_NONE, NOTICE_SILENT,
	  "q", NULL },
	{ 1000, EV_WORK_DONE, ACTOR_CONSUMER, 1, 0, 1, LOSS_NONE,
	  NOTICE_SILENT, "c", "again!" },
	{ 1000, EV_CHANNEL_CLOSE, ACTOR_BROKER, 2, 404, 0, LOSS_NONE,
	  NOTICE_SILENT, NULL, "no exchange 'x' in vhost '/'" },
	{ 1000, EV_DEAD_LETTER, ACTOR_QUEUE, 3, 0, 0, LOSS_NONE, NOTICE_SILENT,
	  "(default)", "expired; x-death count=1 from q" },
	{ 1000, EV_LOST, ACTOR_LAB, 4, 0, 0, LOSS_NETWORK, NOTICE_SILENT, NULL,
	  NULL },
	{ 1000, EV_LOST, ACTOR_LAB, 5, 0, 0, LOSS_UNROUTABLE, NOTICE_RETURN,
	  "x", NULL },
	{ 1000, EV_DISCARD, ACTOR_LAB, 6, 0, 0, LOSS_EXPIRED, NOTICE_SILENT,
	  "q", NULL },
	{ 1000, EV_TOGGLE, ACTOR_LAB, 0, 0, 0, LOSS_NONE, NOTICE_SILENT, NULL,
	  "durable_queue=false" },
	{ 1000, EV_FAILURE, ACTOR_LAB, 0, 0, 0, LOSS_NONE, NOTICE_SILENT,
	  "producer", "connection_lost" },
	{ 1000, EV_CONN_LOST, ACTOR_PRODUCER, 0, -9, 0, LOSS_NONE,
	  NOTICE_SILENT, NULL, NULL },
};

#define NEVENTS (sizeof words_events / sizeof words_events[0])

static void
test_english_is_the_transcript(void **state)
{
	char in[640], out[1280];

	(void)state;
	i18n_setup("en", words_localedir);
	for (size_t i = 0; i < NEVENTS; i++) {
		squeezed(&words_events[i], in, sizeof in);
		words_event_text(words_events[i].kind, in, out, sizeof out);
		assert_string_equal(out, in);
	}
	for (int k = 0; k < EV_COUNT; k++) {
		struct event ev = { 0 };
		ev.kind = (enum event_kind)k;
		squeezed(&ev, in, sizeof in);
		words_event_text(ev.kind, in, out, sizeof out);
		assert_string_equal(out, in);
	}
}

/* Whether `hay` holds `needle`; prints both when not. */
static int
holds(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		return 1;
	fprintf(stderr, "\"%s\" lacks \"%s\"\n", hay, needle);
	return 0;
}

static void
test_chinese(void **state)
{
	char in[640], out[1280];

	(void)state;
	if (strcmp(i18n_setup("zh", words_localedir), "zh") != 0 ||
	    !i18n_catalogue_ok())
		fail_msg("no zh catalogue in %s", words_localedir);
	squeezed(&words_events[3], in, sizeof in);
	words_event_text(EV_WORK_DONE, in, out, sizeof out);
	assert_true(holds(out, "订单改为已支付 m1 c"));
	squeezed(&words_events[2], in, sizeof in);
	words_event_text(EV_DELIVER, in, out, sizeof out);
	assert_string_equal(out, in); /* a frame stays as on the wire */
	squeezed(&words_events[6], in, sizeof in);
	words_event_text(EV_LOST, in, out, sizeof out);
	assert_true(holds(out, "丢失 m4"));
	assert_true(holds(out, "网络不通"));
	assert_true(holds(out, "生产者毫不知情"));
	squeezed(&words_events[9], in, sizeof in);
	words_event_text(EV_TOGGLE, in, out, sizeof out);
	assert_true(holds(out, "持久化队列=关"));
	squeezed(&words_events[5], in, sizeof in);
	words_event_text(EV_DEAD_LETTER, in, out, sizeof out);
	assert_true(holds(out, "进了死信 m3"));
	assert_true(holds(out, "来自 q"));
	assert_string_equal(words_counter("lost_silent"), "静默丢失");
	assert_string_equal(words_counter("lost_notified"), "丢失有通知");
	assert_true(holds(words_counter("lost_network"), "网络不通"));
	assert_string_equal(words_choice(TOGGLE_ACK_MODE, ACK_MANUAL), "手动确认");
	assert_string_equal(words_failure(FAIL_CONSUMER_EXCEPTION),
	    "消费者抛异常");
	words_transcript("3.000 producer basic.publish m1 x", out,
	    sizeof out);
	assert_string_equal(out, "3.000 生产者 basic.publish m1 x");
	/* A line cut short ends on a whole character (丢失 is 6 bytes). */
	squeezed(&words_events[6], in, sizeof in);
	for (size_t len = 2; len <= 40; len++) {
		size_t n, at = 0;
		words_event_text(EV_LOST, in, out, len);
		n = strlen(out);
		assert_true(n < len);
		while (at < n) {
			size_t k = utf8_len((const unsigned char *)out + at,
			    n - at);
			assert_true(k > 0);
			at += k;
		}
	}
	/* The watch's failures: each sentence whole, its names and
	 * numbers kept; one it does not know stays as it is. */
	assert_string_equal(words_detail(EV_FAILURE, "c3 java-watch-crash: "
	    "cut, reset both ways", out, sizeof out),
	    "c3 java-watch-crash：被切断，两端都被重置");
	assert_string_equal(words_detail(EV_FAILURE, "the node lab1@localhost "
	    "is back after 5.5 s", out, sizeof out),
	    "节点 lab1@localhost 在 5.5 秒后恢复");
	assert_string_equal(words_detail(EV_FAILURE, "c12 Pika Python Client "
	    "Library #12: black-holed for 2000 ms", out, sizeof out),
	    "c12 Pika Python Client Library #12：变成黑洞 2000 毫秒");
	assert_string_equal(words_detail(EV_FAILURE, "the node x is back",
	    out, sizeof out), "the node x is back");
	assert_string_equal(words_detail(EV_FRAME, "c3: 2 delivered with "
	    "auto-ack on it; any still in the application's buffer are lost, "
	    "and the wire does not show which", out, sizeof out),
	    "c3：这条连接上有 2 条消息是自动确认投递的；还在应用缓冲里的都丢了，"
	    "线上看不出是哪些");
	i18n_setup("en", words_localedir);
	assert_string_equal(words_detail(EV_FAILURE, "exchange pay deleted",
	    out, sizeof out), "exchange pay deleted");
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english_is_the_transcript),
		cmocka_unit_test(test_chinese),
	};
	const char *slash = strrchr(argv[0], '/');

	(void)argc;
	/* BUILD/tests/test_words: the catalogue is in BUILD/locale. */
	snprintf(words_localedir, sizeof words_localedir, "%.*s/../locale",
	    slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
