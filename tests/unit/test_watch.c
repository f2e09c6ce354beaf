/*
 * Unit tests of the watch's decoding path without sockets (watch_proxy_scan):
 * conversations built frame by frame go through the header check, the
 * splitter, rabbitmq-c's decoders and the tracker, and the ledger must
 * tell the same story. Checked: confirms (multiple) and a return (lost,
 * unroutable, told by a return); a delivery matched by message-id, and by
 * routing key and body in publish order; a resend with the same
 * message-id acked twice is a duplicate; nack with requeue puts it back
 * and the redelivery is the same message; a reject from a queue declared
 * with a dead-letter exchange is dead-lettered, from one without it lost;
 * a channel.close 404 loses the publish that caused it and the ones after
 * it; a broker nack loses it; a connection that ends puts its unacked
 * deliveries back and loses its confirms; bad input (no protocol header,
 * an unknown frame type, a method that does not decode) is refused with a
 * sentence; what the application showed of itself (topology, settings),
 * a crash's losses by the declared topology, and the --record script.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/ledger.h"
#include "lesson/script.h"
#include "util/xmalloc.h"
#include "watch/watch_proxy.h"
#include "watch/watch_record.h"
#include "watch/watch_spring.h"
#include "watch/watch_track.h"

/* ---- building frames ------------------------------------------------- */

struct buf {
	uint8_t d[8192];
	size_t n;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof b->d);
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void
put8(struct buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	put(b, &c, 1);
}

static void
put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put32(struct buf *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void
shortstr(struct buf *b, const char *s)
{
	put8(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

/* One frame of `type` on `ch` whose payload is p. */
static void
frame(struct buf *b, unsigned type, unsigned ch, const struct buf *p)
{
	put8(b, type);
	put16(b, ch);
	put32(b, (uint32_t)p->n);
	put(b, p->d, p->n);
	put8(b, 0xce);
}

/* A method frame; `args` may be NULL. */
static void
method(struct buf *b, unsigned ch, unsigned cls, unsigned meth,
    const struct buf *args)
{
	struct buf p = { .n = 0 };

	put16(&p, cls);
	put16(&p, meth);
	if (args)
		put(&p, args->d, args->n);
	frame(b, 1, ch, &p);
}

/* A content header (basic) with an optional message-id, and one body. */
static void
content(struct buf *b, unsigned ch, const char *mid, const char *body)
{
	struct buf p = { .n = 0 }, q = { .n = 0 };

	put16(&p, 60);
	put16(&p, 0);
	put64(&p, strlen(body));
	put16(&p, mid ? 0x0080 : 0);
	if (mid)
		shortstr(&p, mid);
	frame(b, 2, ch, &p);
	put(&q, body, strlen(body));
	frame(b, 3, ch, &q);
}

static void
publish(struct buf *b, unsigned ch, const char *x, const char *key,
    int mandatory, const char *mid, const char *body)
{
	struct buf a = { .n = 0 };

	put16(&a, 0);
	shortstr(&a, x);
	shortstr(&a, key);
	put8(&a, (unsigned)mandatory);
	method(b, ch, 60, 40, &a);
	content(b, ch, mid, body);
}

static void
deliver(struct buf *b, unsigned ch, const char *tag, uint64_t dtag,
    int redelivered, const char *key, const char *mid, const char *body)
{
	struct buf a = { .n = 0 };

	shortstr(&a, tag);
	put64(&a, dtag);
	put8(&a, (unsigned)redelivered);
	shortstr(&a, "x");
	shortstr(&a, key);
	method(b, ch, 60, 60, &a);
	content(b, ch, mid, body);
}

/* basic.ack (60.80), basic.nack (60.120: bits multiple, requeue) or
 * basic.reject (60.90: bit requeue). */
static void
settle(struct buf *b, unsigned ch, unsigned meth, uint64_t tag, unsigned bits)
{
	struct buf a = { .n = 0 };

	put64(&a, tag);
	put8(&a, bits);
	method(b, ch, 60, meth, &a);
}

/* queue.declare with `bits` (2: durable) and an optional DLX argument. */
static void
declare_with(struct buf *b, unsigned ch, const char *queue, const char *dlx,
    unsigned bits)
{
	struct buf a = { .n = 0 }, t = { .n = 0 };

	put16(&a, 0);
	shortstr(&a, queue);
	put8(&a, bits);
	if (dlx) {
		shortstr(&t, "x-dead-letter-exchange");
		put8(&t, 'S');
		put32(&t, (uint32_t)strlen(dlx));
		put(&t, dlx, strlen(dlx));
	}
	put32(&a, (uint32_t)t.n);
	put(&a, t.d, t.n);
	method(b, ch, 50, 10, &a);
}

static void
declare(struct buf *b, unsigned ch, const char *queue, const char *dlx)
{
	declare_with(b, ch, queue, dlx, 0);
}

/* exchange.declare (40.10) of a durable exchange of type `type`, and
 * queue.bind (50.20) of `queue` to it with `key`. */
static void
exchange_bound(struct buf *b, unsigned ch, const char *x, const char *type,
    const char *queue, const char *key)
{
	struct buf a = { .n = 0 };

	put16(&a, 0);
	shortstr(&a, x);
	shortstr(&a, type);
	put8(&a, 0x02);
	put32(&a, 0);
	method(b, ch, 40, 10, &a);
	a.n = 0;
	put16(&a, 0);
	shortstr(&a, queue);
	shortstr(&a, x);
	shortstr(&a, key);
	put8(&a, 0);
	put32(&a, 0);
	method(b, ch, 50, 20, &a);
}

static void
consume(struct buf *c, struct buf *br, unsigned ch, const char *queue,
    const char *tag)
{
	struct buf a = { .n = 0 }, ok = { .n = 0 };

	put16(&a, 0);
	shortstr(&a, queue);
	shortstr(&a, tag);
	put8(&a, 0);
	put32(&a, 0);
	method(c, ch, 60, 20, &a);
	shortstr(&ok, tag);
	method(br, ch, 60, 21, &ok);
}

/* ---- running a conversation ------------------------------------------ */

struct run {
	struct watch_track *t;
	struct watch_proxy_scan *s;
	uint32_t delivered[16];   /* message of each basic.deliver */
	size_t ndelivered;
	int requeues, confirm_lost;
};

static void
seen(void *ctx, const struct event *ev)
{
	struct run *r = ctx;

	if (ev->kind == EV_DELIVER && r->ndelivered < 16)
		r->delivered[r->ndelivered++] = ev->msg;
	if (ev->kind == EV_REQUEUE)
		r->requeues++;
	if (ev->kind == EV_CONFIRM_LOST)
		r->confirm_lost++;
}

/* A connection after its protocol header and a channel 1 (with confirms
 * when `confirm`). */
static void
begin(struct run *r, int confirm)
{
	struct buf c = { .n = 0 };

	memset(r, 0, sizeof *r);
	r->t = watch_track_new(seen, r);
	r->s = watch_proxy_scan_new(r->t);
	put(&c, "AMQP\0\0\x09\x01", 8);
	method(&c, 1, 20, 10, &(struct buf){ .d = { 0 }, .n = 1 });
	if (confirm)
		method(&c, 1, 85, 10, &(struct buf){ .d = { 0 }, .n = 1 });
	assert_int_equal(watch_proxy_scan_feed(r->s, 1, c.d, c.n), 0);
}

static void
client(struct run *r, const struct buf *b)
{
	assert_int_equal(watch_proxy_scan_feed(r->s, 1, b->d, b->n), 0);
}

static void
broker(struct run *r, const struct buf *b)
{
	assert_int_equal(watch_proxy_scan_feed(r->s, 0, b->d, b->n), 0);
}

static struct ledger_summary
finish(struct run *r)
{
	struct ledger_summary s;

	watch_proxy_scan_free(r->s);
	ledger_summarize(watch_track_ledger(r->t), &s);
	watch_track_free(r->t);
	return s;
}

/* ---- tests ----------------------------------------------------------- */

static void
test_confirms_and_return(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, ret = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 1);
	publish(&c, 1, "x", "k", 1, "id-1", "one");
	publish(&c, 1, "x", "nowhere", 1, NULL, "two");
	client(&r, &c);
	put16(&ret, 312);
	shortstr(&ret, "NO_ROUTE");
	shortstr(&ret, "x");
	shortstr(&ret, "nowhere");
	method(&b, 1, 60, 50, &ret);
	content(&b, 1, NULL, "two");
	settle(&b, 1, 80, 2, 1); /* both, multiple */
	broker(&r, &b);
	s = finish(&r);
	assert_int_equal(s.published, 2);
	assert_int_equal(s.confirmed, 2);
	assert_int_equal(s.returned, 1);
	assert_int_equal(s.lost_by[LOSS_UNROUTABLE], 1);
	assert_int_equal(s.lost_notified, 1);
	assert_int_equal(s.fate[FATE_IN_FLIGHT], 1);
}

static void
test_match_by_id_and_digest(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, c2 = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 0);
	declare(&c, 1, "q", NULL);
	consume(&c, &b, 1, "q", "ct");
	publish(&c, 1, "x", "k", 0, "id-a", "same");
	publish(&c, 1, "x", "k", 0, NULL, "same");
	publish(&c, 1, "x", "k", 0, NULL, "same");
	client(&r, &c);
	/* Delivered in another order than published: the id decides for
	 * the first, publish order for the two alike. */
	deliver(&b, 1, "ct", 1, 0, "k", NULL, "same");
	deliver(&b, 1, "ct", 2, 0, "k", "id-a", "same");
	deliver(&b, 1, "ct", 3, 0, "k", NULL, "same");
	broker(&r, &b);
	settle(&c2, 1, 80, 3, 1);
	client(&r, &c2);
	assert_int_equal(r.ndelivered, 3);
	assert_int_equal(r.delivered[0], 2);
	assert_int_equal(r.delivered[1], 1);
	assert_int_equal(r.delivered[2], 3);
	s = finish(&r);
	assert_int_equal(s.fate[FATE_PROCESSED], 3);
	assert_int_equal(s.delivered, 3);
}

static void
test_resend_acked_twice_is_duplicate(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, c2 = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 0);
	consume(&c, &b, 1, "q", "ct");
	publish(&c, 1, "x", "k", 0, "id-9", "pay");
	publish(&c, 1, "x", "k", 0, "id-9", "pay");
	client(&r, &c);
	deliver(&b, 1, "ct", 1, 0, "k", "id-9", "pay");
	deliver(&b, 1, "ct", 2, 0, "k", "id-9", "pay");
	broker(&r, &b);
	settle(&c2, 1, 80, 1, 0);
	settle(&c2, 1, 80, 2, 0);
	client(&r, &c2);
	s = finish(&r);
	assert_int_equal(s.messages, 1);
	assert_int_equal(s.published, 2);
	assert_int_equal(s.fate[FATE_DUPLICATED], 1);
}

static void
test_requeue_then_redelivery(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, c2 = { .n = 0 };
	struct buf b2 = { .n = 0 }, c3 = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 0);
	consume(&c, &b, 1, "q", "ct");
	publish(&c, 1, "x", "k", 0, NULL, "first");
	publish(&c, 1, "x", "k", 0, NULL, "first");
	client(&r, &c);
	deliver(&b, 1, "ct", 1, 0, "k", NULL, "first");
	broker(&r, &b);
	settle(&c2, 1, 120, 1, 2); /* nack, requeue */
	client(&r, &c2);
	/* The redelivery is the message put back, not the other alike. */
	deliver(&b2, 1, "ct", 2, 1, "k", NULL, "first");
	broker(&r, &b2);
	settle(&c3, 1, 80, 2, 0);
	client(&r, &c3);
	assert_int_equal(r.delivered[0], 1);
	assert_int_equal(r.delivered[1], 1);
	assert_int_equal(r.requeues, 1);
	s = finish(&r);
	assert_int_equal(s.redelivered, 1);
	assert_int_equal(s.fate[FATE_PROCESSED], 1);
	assert_int_equal(s.fate[FATE_IN_FLIGHT], 1);
}

static void
test_reject_dead_letter_or_lost(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, c2 = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 0);
	declare(&c, 1, "withdlx", "dlx");
	declare(&c, 1, "plain", NULL);
	consume(&c, &b, 1, "withdlx", "a");
	consume(&c, &b, 1, "plain", "b");
	publish(&c, 1, "x", "k1", 0, NULL, "one");
	publish(&c, 1, "x", "k2", 0, NULL, "two");
	client(&r, &c);
	deliver(&b, 1, "a", 1, 0, "k1", NULL, "one");
	deliver(&b, 1, "b", 2, 0, "k2", NULL, "two");
	broker(&r, &b);
	settle(&c2, 1, 90, 1, 0);
	settle(&c2, 1, 90, 2, 0);
	client(&r, &c2);
	s = finish(&r);
	assert_int_equal(s.fate[FATE_DEAD], 1);
	assert_int_equal(s.lost_by[LOSS_REJECTED], 1);
	assert_int_equal(s.lost_silent, 1);
}

/* The broker's channel.close 404 on channel 1 for a publish to "gone". */
static void
close_404(struct buf *b)
{
	struct buf a = { .n = 0 };

	put16(&a, 404);
	shortstr(&a, "NOT_FOUND - no exchange 'gone' in vhost '/'");
	put16(&a, 60);
	put16(&a, 40);
	method(b, 1, 20, 40, &a);
}

static void
test_channel_close_404(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 1);
	publish(&c, 1, "gone", "k", 0, NULL, "a");
	publish(&c, 1, "gone", "k", 0, NULL, "b");
	client(&r, &c);
	close_404(&b);
	broker(&r, &b);
	s = finish(&r);
	assert_int_equal(s.lost_by[LOSS_MISSING_EXCHANGE], 1);
	assert_int_equal(s.lost_by[LOSS_CHANNEL_CLOSED], 1);
	assert_int_equal(s.lost_notified, 2);
}

/* What would have saved messages lost to a 404: confirms without them;
 * with them on already, the application's handling of what it was told. */
static void
test_spring_fix_404(void **state)
{
	for (int confirm = 0; confirm < 2; confirm++) {
		struct run r;
		struct buf c = { .n = 0 }, b = { .n = 0 };
		struct watch_spring sp;
		const char *want = confirm ? "RabbitTemplate.setConfirmCallback" :
		    "spring.rabbitmq.publisher-confirm-type=correlated";
		int found = 0;

		(void)state;
		begin(&r, confirm);
		publish(&c, 1, "gone", "k", 0, NULL, "a");
		client(&r, &c);
		close_404(&b);
		broker(&r, &b);
		watch_spring_read(r.t, &sp);
		for (size_t i = 0; i < sp.nfixes; i++)
			if (sp.fixes[i].why == LOSS_MISSING_EXCHANGE) {
				found = 1;
				assert_int_equal(strncmp(sp.fixes[i].setting,
				    want, strlen(want)), 0);
			}
		assert_true(found);
		(void)finish(&r);
	}
}

/* Deliveries to an auto-ack consumer on a connection that breaks: the
 * wire cannot say which the application had finished, so the watch says
 * how many were at risk, and the ledger still counts them processed. */
static void
test_autoack_broken(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 }, a = { .n = 0 }, ok = { .n = 0 };
	static const uint8_t junk[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };

	(void)state;
	begin(&r, 0);
	put16(&a, 0);
	shortstr(&a, "q");
	shortstr(&a, "ct");
	put8(&a, 2); /* no-ack */
	put32(&a, 0);
	method(&c, 1, 60, 20, &a);
	publish(&c, 1, "", "q", 0, "m-1", "one");
	publish(&c, 1, "", "q", 0, "m-2", "two");
	client(&r, &c);
	shortstr(&ok, "ct");
	method(&b, 1, 60, 21, &ok);
	deliver(&b, 1, "ct", 1, 0, "q", "m-1", "one");
	deliver(&b, 1, "ct", 2, 0, "q", "m-2", "two");
	broker(&r, &b);
	assert_int_equal(watch_track_seen(r.t)->autoack_broken, 0);
	/* Bytes that are no frame: the connection breaks. */
	assert_int_equal(watch_proxy_scan_feed(r.s, 0, junk, sizeof junk), -1);
	watch_proxy_scan_free(r.s);
	assert_int_equal(watch_track_seen(r.t)->autoack_broken, 2);
	{
		struct ledger_summary s;
		ledger_summarize(watch_track_ledger(r.t), &s);
		assert_int_equal(s.fate[FATE_PROCESSED], 2);
	}
	watch_track_free(r.t);
}

static void
test_broker_nack(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 1);
	publish(&c, 1, "x", "k", 0, NULL, "full");
	client(&r, &c);
	settle(&b, 1, 120, 1, 0);
	broker(&r, &b);
	s = finish(&r);
	assert_int_equal(s.nacked, 1);
	assert_int_equal(s.lost_by[LOSS_NACKED], 1);
}

/* A client waits for a confirm from its publish on a confirm channel
 * until the broker's ack (multiple) covers it; without confirms, never. */
static void
test_awaiting_confirm(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 };

	(void)state;
	begin(&r, 1);
	assert_false(watch_proxy_scan_awaiting(r.s));
	publish(&c, 1, "x", "k", 0, NULL, "one");
	publish(&c, 1, "x", "k", 0, NULL, "two");
	client(&r, &c);
	assert_true(watch_proxy_scan_awaiting(r.s));
	settle(&b, 1, 80, 1, 0);
	broker(&r, &b);
	assert_true(watch_proxy_scan_awaiting(r.s));
	b.n = 0;
	settle(&b, 1, 80, 2, 1);
	broker(&r, &b);
	assert_false(watch_proxy_scan_awaiting(r.s));
	assert_int_equal(finish(&r).confirmed, 2);

	begin(&r, 0);
	c.n = 0;
	publish(&c, 1, "x", "k", 0, NULL, "three");
	client(&r, &c);
	assert_false(watch_proxy_scan_awaiting(r.s));
	assert_int_equal(finish(&r).published, 1);
}

static void
test_connection_end(void **state)
{
	struct run r;
	struct buf c = { .n = 0 }, b = { .n = 0 };
	struct ledger_summary s;

	(void)state;
	begin(&r, 1);
	consume(&c, &b, 1, "q", "ct");
	publish(&c, 1, "x", "k", 0, NULL, "unconfirmed");
	publish(&c, 1, "x", "k2", 0, NULL, "held");
	client(&r, &c);
	deliver(&b, 1, "ct", 1, 0, "k2", NULL, "held");
	broker(&r, &b);
	s = finish(&r);
	assert_int_equal(r.requeues, 1);
	assert_int_equal(r.confirm_lost, 2);
	assert_int_equal(s.fate[FATE_IN_FLIGHT], 2);
}

/* Feeds one client stream; the sentence it was refused with. */
static void
refused(const void *d, size_t n, const char *want)
{
	struct watch_track *t = watch_track_new(NULL, NULL);
	struct watch_proxy_scan *s = watch_proxy_scan_new(t);

	assert_int_equal(watch_proxy_scan_feed(s, 1, d, n), -1);
	if (strstr(watch_proxy_scan_error(s), want) == NULL)
		fail_msg("'%s' does not say '%s'", watch_proxy_scan_error(s), want);
	assert_int_equal(watch_proxy_scan_feed(s, 1, "x", 1), -1);
	watch_proxy_scan_free(s);
	watch_track_free(t);
}

static void
test_bad_input(void **state)
{
	struct buf b = { .n = 0 }, a = { .n = 0 };

	(void)state;
	refused("GET / HTTP/1.1\r\n", 16, "client did not open with the "
	    "AMQP protocol header (it began with \"GET \")");
	put(&b, "AMQP\0\0\x09\x01", 8);
	put(&b, "\x09\x00\x00\x00\x00\x00\x00\xce", 8);
	refused(b.d, b.n, "client sent a frame of unknown type 9");
	b.n = 8;
	put8(&a, 0); /* basic.publish cut short */
	method(&b, 1, 60, 40, &a);
	refused(b.d, b.n, "client sent basic.publish (60.40) whose "
	    "arguments do not decode");
	b.n = 8;
	a.n = 0;
	method(&b, 1, 60, 999, &a);
	refused(b.d, b.n, "client sent method 60.999, which AMQP 0-9-1 does "
	    "not define");
}

/*
 * What the application showed of itself: its declarations as a topology,
 * its settings as toggles; a kill -9 loses the transient message in a
 * durable queue; and the session written by --record loads as a script.
 */
static void
test_seen_crash_and_record(void **state)
{
	struct buf c = { .n = 0 }, br = { .n = 0 };
	struct script_diag diag = { 0 };
	struct watch_ctl w;
	struct watch_seen *sn;
	struct ledger_summary s;
	struct script *sc;
	int64_t v[TOGGLE_COUNT];
	struct run r;
	char *text;

	(void)state;
	begin(&r, 1);
	declare_with(&c, 1, "orders", NULL, 0x02);
	exchange_bound(&c, 1, "pay", "topic", "orders", "paid.*");
	consume(&c, &br, 1, "orders", "t1");
	publish(&c, 1, "pay", "paid.eu", 1, "m1", "one");
	client(&r, &c);
	broker(&r, &br);
	sn = watch_track_seen(r.t);
	assert_int_equal(sn->topo.nqueues, 1);
	assert_int_equal(sn->topo.queues[0].durable, 1);
	assert_int_equal(sn->topo.nexchanges, 1);
	assert_int_equal(sn->topo.exchanges[0].type, XTYPE_TOPIC);
	assert_int_equal(sn->topo.nbindings, 1);
	assert_int_equal(sn->topo.nconsumers, 1);
	assert_string_equal(sn->topo.consumers[0].name, "c1 orders");
	assert_string_equal(sn->topo.publish_exchange, "pay");
	toggle_defaults(v);
	watch_seen_toggles(sn, v);
	assert_int_equal(v[TOGGLE_CONFIRMS], 3);
	assert_int_equal(v[TOGGLE_MANDATORY], 1);
	assert_int_equal(v[TOGGLE_PERSISTENT], 0);
	assert_int_equal(v[TOGGLE_ACK_MODE], 1);

	/* Routed by the topic binding to a durable queue, but transient. */
	watch_track_broker_down(r.t, 0);
	ledger_summarize(watch_track_ledger(r.t), &s);
	assert_int_equal(s.lost_by[LOSS_BROKER_CRASH], 1);

	memset(&w, 0, sizeof w);
	w.t = r.t;
	w.asked = xcalloc(2, sizeof *w.asked);
	w.nasked = w.asked_cap = 2;
	w.asked[0].t = w.asked[1].t = 2e5; /* s: more than two days */
	w.asked[0].req.kind = WATCH_FAIL_KILL;
	w.asked[1].req.kind = WATCH_FAIL_RESTART;
	text = watch_record_text(&w);
	sc = script_load_string(text, "recorded", &diag);
	if (sc == NULL)
		fail_msg("%s\n%s", diag.count ? diag.lines[0] : "?", text);
	assert_non_null(strstr(text, "count = 1; exchange = \"pay\"; key = "
	    "\"paid.eu\"; persistent = false;"));
	assert_non_null(strstr(text, "failure = \"broker_crash\""));
	assert_non_null(strstr(text, "do = \"restart\""));
	script_free(sc);
	script_diag_free(&diag);
	free(text);
	free(w.asked);
	(void)finish(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirms_and_return),
		cmocka_unit_test(test_match_by_id_and_digest),
		cmocka_unit_test(test_resend_acked_twice_is_duplicate),
		cmocka_unit_test(test_requeue_then_redelivery),
		cmocka_unit_test(test_reject_dead_letter_or_lost),
		cmocka_unit_test(test_channel_close_404),
		cmocka_unit_test(test_broker_nack),
		cmocka_unit_test(test_awaiting_confirm),
		cmocka_unit_test(test_spring_fix_404),
		cmocka_unit_test(test_autoack_broken),
		cmocka_unit_test(test_connection_end),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_seen_crash_and_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
