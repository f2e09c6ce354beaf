/*
 * Unit tests of the ledger, fed hand-built event sequences with no engine:
 * the fate each story ends in (processed, duplicated, lost, dead-lettered, in
 * flight) and its precedence, the summary counters and their lookup by name,
 * resends, reconciliation, ids arriving out of order or large, reset, and the
 * text and JSON summaries; the copies of a message (a fanout, dead-lettering
 * and republishing into several queues, requeues, resends), each copy's
 * fate told apart by a story, and the invariant that no message is called
 * lost while a copy of it is live. Whole runs: test_ledger_runs.c.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/ledger.h"

/* Feeds one event of `kind` about message `msg`. */
static void
feed(struct ledger *l, int64_t t, enum event_kind kind, uint32_t msg,
    int flag)
{
	struct event ev = { 0 };

	ev.t = t;
	ev.kind = kind;
	ev.actor = ACTOR_LAB;
	ev.msg = msg;
	ev.flag = flag;
	ledger_apply(l, &ev);
}

/* Feeds the loss of message `msg`. */
static void
feed_lost(struct ledger *l, int64_t t, uint32_t msg, enum loss_reason reason,
    enum loss_notice notice)
{
	struct event ev = { 0 };

	ev.t = t;
	ev.kind = EV_LOST;
	ev.actor = ACTOR_BROKER;
	ev.msg = msg;
	ev.reason = reason;
	ev.notice = notice;
	ledger_apply(l, &ev);
}

/* The summary counter `name`; fails the test if there is none. */
static uint64_t
counter(const struct ledger *l, const char *name)
{
	struct ledger_summary s;
	uint64_t v = UINT64_MAX;

	ledger_summarize(l, &s);
	if (ledger_counter(&s, name, &v) != 0)
		fail_msg("no counter '%s'", name);
	return v;
}

/* The fate of message `msg`, which the ledger must know. */
static enum ledger_fate
fate(const struct ledger *l, uint32_t msg)
{
	const struct ledger_entry *e = ledger_entry(l, msg);

	assert_non_null(e);
	return ledger_fate(e);
}

/* Counter names collected from ledger_counter_names. */
struct names {
	char *name[128];
	size_t n;
};

static void
names_add(void *ctx, const char *name)
{
	struct names *ns = ctx;

	assert_true(ns->n < sizeof ns->name / sizeof ns->name[0]);
	ns->name[ns->n] = strdup(name);
	assert_non_null(ns->name[ns->n]);
	ns->n++;
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->name[i]);
}

/* What `print` writes for `s`; the caller frees it. */
static char *
capture(void (*print)(FILE *, const struct ledger_summary *),
    const struct ledger_summary *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f, s);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
check_contains(const char *s, const char *want)
{
	if (strstr(s, want) == NULL)
		fail_msg("'%s' not found in:\n%s", want, s);
}

static void
test_publish_then_work_done_is_processed(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	feed(l, 10, EV_PUBLISH, 1, EVENT_PUB_PERSISTENT);
	assert_int_equal(fate(l, 1), FATE_IN_FLIGHT);
	assert_int_equal(counter(l, "in_flight"), 1);
	feed(l, 20, EV_ROUTED, 1, 1);
	feed(l, 30, EV_DELIVER, 1, 0);
	feed(l, 50, EV_WORK_DONE, 1, 0);
	feed(l, 60, EV_ACK, 1, 0);
	e = ledger_entry(l, 1);
	assert_non_null(e);
	assert_int_equal(e->published_at, 10);
	assert_int_equal(e->settled_at, 50);
	assert_int_equal(e->effects, 1);
	assert_int_equal(e->deliveries, 1);
	assert_int_equal(e->order_paid, 1);
	assert_int_equal(e->lost, 0);
	assert_int_equal(ledger_fate(e), FATE_PROCESSED);
	assert_int_equal(counter(l, "messages"), 1);
	assert_int_equal(counter(l, "published"), 1);
	assert_int_equal(counter(l, "delivered"), 1);
	assert_int_equal(counter(l, "processed"), 1);
	assert_int_equal(counter(l, "effects"), 1);
	assert_int_equal(counter(l, "in_flight"), 0);
	assert_int_equal(counter(l, "duplicated"), 0);
	assert_int_equal(counter(l, "lost"), 0);
	assert_int_equal(ledger_max_id(l), 1);
	ledger_free(l);
}

static void
test_two_work_done_is_duplicated(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_DELIVER, 1, 0);
	feed(l, 3, EV_WORK_DONE, 1, 0);
	feed(l, 4, EV_DELIVER, 1, 1);
	feed(l, 5, EV_WORK_DONE, 1, 1); /* again, by the same consumer */
	assert_int_equal(ledger_entry(l, 1)->effects, 2);
	assert_int_equal(fate(l, 1), FATE_DUPLICATED);
	assert_int_equal(counter(l, "duplicated"), 1);
	assert_int_equal(counter(l, "processed"), 0);
	assert_int_equal(counter(l, "effects"), 2);
	assert_int_equal(counter(l, "redelivered"), 1);
	ledger_free(l);
}

static void
test_effects_saturate(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	/* Far more than a uint16_t holds: the count sticks, never wraps. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	for (int i = 0; i < 70000; i++) {
		feed(l, 2 + i, EV_DELIVER, 1, 1);
		feed(l, 2 + i, EV_WORK_DONE, 1, i > 0);
	}
	assert_int_equal(ledger_entry(l, 1)->effects, UINT16_MAX);
	assert_int_equal(ledger_entry(l, 1)->deliveries, UINT16_MAX);
	assert_int_equal(fate(l, 1), FATE_DUPLICATED);
	assert_int_equal(counter(l, "delivered"), 70000);
	ledger_free(l);
}

static void
test_lost_counts_reason_and_notice(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	for (uint32_t m = 1; m <= 4; m++)
		feed(l, m, EV_PUBLISH, m, 0);
	feed_lost(l, 10, 1, LOSS_BROKER_CRASH, NOTICE_SILENT);
	feed_lost(l, 11, 2, LOSS_QUEUE_FULL, NOTICE_NACK);
	feed_lost(l, 12, 3, LOSS_UNROUTABLE, NOTICE_RETURN);
	e = ledger_entry(l, 2);
	assert_int_equal(e->lost, 1);
	assert_int_equal(e->reason, LOSS_QUEUE_FULL);
	assert_int_equal(e->notice, NOTICE_NACK);
	assert_int_equal(e->settled_at, 11);
	assert_int_equal(fate(l, 1), FATE_LOST);
	assert_int_equal(fate(l, 3), FATE_LOST);
	assert_int_equal(fate(l, 4), FATE_IN_FLIGHT);
	assert_int_equal(counter(l, "lost"), 3);
	assert_int_equal(counter(l, "in_flight"), 1);
	assert_int_equal(counter(l, "lost_broker_crash"), 1);
	assert_int_equal(counter(l, "lost_queue_full"), 1);
	assert_int_equal(counter(l, "lost_unroutable"), 1);
	assert_int_equal(counter(l, "lost_network"), 0);
	assert_int_equal(counter(l, "lost_silent"), 1);
	assert_int_equal(counter(l, "lost_notified"), 2);
	ledger_free(l);
}

static void
test_lost_every_reason(void **state)
{
	char name[64];
	(void)state;

	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++) {
		struct ledger *l = ledger_create();

		feed(l, 1, EV_PUBLISH, 1, 0);
		feed(l, 1, EV_PUBLISH, 2, 0);
		feed_lost(l, 2, 1, r, NOTICE_ERROR);
		feed_lost(l, 3, 2, r, NOTICE_SILENT);
		for (int q = LOSS_NONE + 1; q < LOSS_COUNT; q++) {
			snprintf(name, sizeof name, "lost_%s",
			    event_reason_name(q));
			assert_int_equal(counter(l, name), q == r ? 2 : 0);
		}
		assert_int_equal(counter(l, "lost_silent"), 1);
		assert_int_equal(counter(l, "lost_notified"), 1);
		ledger_free(l);
	}
}

static void
test_resend_clears_lost(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	feed(l, 100, EV_PUBLISH, 1, 0);
	feed_lost(l, 200, 1, LOSS_NETWORK, NOTICE_ERROR);
	assert_int_equal(fate(l, 1), FATE_LOST);
	assert_int_equal(counter(l, "lost_network"), 1);
	feed(l, 300, EV_PUBLISH, 1, EVENT_PUB_RESEND);
	e = ledger_entry(l, 1);
	assert_int_equal(e->lost, 0);
	/* The first send is remembered, not the resend. */
	assert_int_equal(e->published_at, 100);
	assert_int_equal(fate(l, 1), FATE_IN_FLIGHT);
	assert_int_equal(counter(l, "lost"), 0);
	assert_int_equal(counter(l, "lost_network"), 0);
	assert_int_equal(counter(l, "lost_notified"), 0);
	assert_int_equal(counter(l, "published"), 2);
	assert_int_equal(counter(l, "messages"), 1);
	feed(l, 400, EV_DELIVER, 1, 0);
	feed(l, 500, EV_WORK_DONE, 1, 0);
	assert_int_equal(fate(l, 1), FATE_PROCESSED);
	ledger_free(l);
}

static void
test_dead_letter_then_deliver(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_DELIVER, 1, 0);
	feed(l, 3, EV_REJECT, 1, 0);
	feed(l, 4, EV_DEAD_LETTER, 1, 1);
	assert_int_equal(ledger_entry(l, 1)->dead, 1);
	assert_int_equal(ledger_entry(l, 1)->settled_at, 4);
	assert_int_equal(fate(l, 1), FATE_DEAD);
	assert_int_equal(counter(l, "dead_lettered"), 1);
	assert_int_equal(counter(l, "in_flight"), 0);
	/* A consumer on the dead-letter queue takes it: in flight again. */
	feed(l, 5, EV_DELIVER, 1, 0);
	assert_int_equal(fate(l, 1), FATE_IN_FLIGHT);
	assert_int_equal(counter(l, "dead_lettered"), 0);
	assert_int_equal(counter(l, "in_flight"), 1);
	ledger_free(l);
}

static void
test_dead_letter_unparked_and_republish(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	/* Dead-lettered into a delay queue (flag 0): still in flight. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_DEAD_LETTER, 1, 0);
	assert_int_equal(fate(l, 1), FATE_IN_FLIGHT);
	/* Republished into the error queue: parked. */
	feed(l, 1, EV_PUBLISH, 2, 0);
	feed(l, 3, EV_REPUBLISH, 2, 1);
	assert_int_equal(fate(l, 2), FATE_DEAD);
	/* Parked, then lost with its queue: lost wins over dead. */
	feed(l, 1, EV_PUBLISH, 3, 0);
	feed(l, 4, EV_DEAD_LETTER, 3, 1);
	feed_lost(l, 5, 3, LOSS_QUEUE_DELETED, NOTICE_SILENT);
	assert_int_equal(ledger_entry(l, 3)->dead, 0);
	assert_int_equal(fate(l, 3), FATE_LOST);
	assert_int_equal(counter(l, "dead_lettered"), 1);
	assert_int_equal(counter(l, "in_flight"), 1);
	assert_int_equal(counter(l, "lost_queue_deleted"), 1);
	ledger_free(l);
}

static void
test_fate_precedence(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	/* Processed, then a stray copy lost: the effect happened once. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_WORK_DONE, 1, 0);
	feed_lost(l, 3, 1, LOSS_EXPIRED, NOTICE_SILENT);
	assert_int_equal(fate(l, 1), FATE_PROCESSED);
	/* Processed, and a copy parked: still processed. */
	feed(l, 1, EV_PUBLISH, 2, 0);
	feed(l, 2, EV_WORK_DONE, 2, 0);
	feed(l, 3, EV_DEAD_LETTER, 2, 1);
	assert_int_equal(fate(l, 2), FATE_PROCESSED);
	/* Twice by the same consumer (flag 1: again), then lost. */
	feed(l, 1, EV_PUBLISH, 3, 0);
	feed(l, 2, EV_WORK_DONE, 3, 0);
	feed(l, 3, EV_WORK_DONE, 3, 1);
	feed_lost(l, 4, 3, LOSS_BROKER_CRASH, NOTICE_SILENT);
	assert_int_equal(fate(l, 3), FATE_DUPLICATED);
	assert_int_equal(counter(l, "processed"), 2);
	assert_int_equal(counter(l, "duplicated"), 1);
	assert_int_equal(counter(l, "lost"), 0);
	/* A loss only counts when it is the fate. */
	assert_int_equal(counter(l, "lost_expired"), 0);
	assert_int_equal(counter(l, "lost_silent"), 0);
	ledger_free(l);
}

static void
test_paid_lost_inconsistent_then_reconciled(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_PAID, 1, 0);
	feed_lost(l, 3, 1, LOSS_AUTOACK_CRASH, NOTICE_SILENT);
	assert_int_equal(ledger_entry(l, 1)->paid, 1);
	assert_int_equal(ledger_entry(l, 1)->order_paid, 0);
	assert_int_equal(counter(l, "inconsistent"), 1);
	assert_int_equal(counter(l, "repaired"), 0);
	assert_int_equal(counter(l, "lost"), 1);
	assert_int_equal(counter(l, "effects"), 0);
	feed(l, 4, EV_RECONCILE, 1, 0);
	e = ledger_entry(l, 1);
	assert_int_equal(e->repaired, 1);
	assert_int_equal(e->order_paid, 1);
	assert_int_equal(e->effects, 1);
	assert_int_equal(counter(l, "inconsistent"), 0);
	assert_int_equal(counter(l, "repaired"), 1);
	assert_int_equal(counter(l, "effects"), 1);
	assert_int_equal(counter(l, "processed"), 1);
	assert_int_equal(counter(l, "lost"), 0);
	ledger_free(l);
}

static void
test_inconsistent_needs_paid_and_settled(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	/* Paid and parked: inconsistent too. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_PAID, 1, 0);
	feed(l, 3, EV_DEAD_LETTER, 1, 1);
	/* Paid but still in flight: it may yet arrive. */
	feed(l, 1, EV_PUBLISH, 2, 0);
	feed(l, 2, EV_PAID, 2, 0);
	/* Paid and processed: consistent. */
	feed(l, 1, EV_PUBLISH, 3, 0);
	feed(l, 2, EV_PAID, 3, 0);
	feed(l, 3, EV_WORK_DONE, 3, 0);
	/* Lost but never paid: nothing to repair. */
	feed(l, 1, EV_PUBLISH, 4, 0);
	feed_lost(l, 2, 4, LOSS_NETWORK, NOTICE_ERROR);
	/* Paid without ever being published, then lost: still counted. */
	feed(l, 2, EV_PAID, 5, 0);
	feed_lost(l, 3, 5, LOSS_NETWORK, NOTICE_ERROR);
	assert_int_equal(counter(l, "inconsistent"), 2);
	assert_int_equal(counter(l, "messages"), 5);
	ledger_free(l);
}

static void
test_confirm_counters(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	for (uint32_t m = 1; m <= 4; m++)
		feed(l, 1, EV_PUBLISH, m, 0);
	feed(l, 2, EV_CONFIRM_ACK, 1, 0);
	feed(l, 2, EV_CONFIRM_ACK, 2, 0);
	feed(l, 2, EV_CONFIRM_ACK, 3, 0);
	feed(l, 3, EV_CONFIRM_NACK, 4, 0);
	feed(l, 3, EV_CONFIRM_NACK, 4, 0);
	feed(l, 4, EV_RETURN, 3, 0);
	/* Consumer acks are not confirms. */
	feed(l, 5, EV_ACK, 1, 0);
	assert_int_equal(counter(l, "confirmed"), 3);
	assert_int_equal(counter(l, "nacked"), 2);
	assert_int_equal(counter(l, "returned"), 1);
	e = ledger_entry(l, 3);
	assert_int_equal(e->confirmed, 1);
	assert_int_equal(e->returned, 1);
	assert_int_equal(e->nacked, 0);
	e = ledger_entry(l, 4);
	assert_int_equal(e->nacked, 1);
	assert_int_equal(e->confirmed, 0);
	assert_int_equal(ledger_entry(l, 1)->returned, 0);
	/* None of them is a fate. */
	assert_int_equal(counter(l, "in_flight"), 4);
	ledger_free(l);
}

static void
test_redelivered(void **state)
{
	struct ledger *l = ledger_create();
	(void)state;

	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 1, EV_PUBLISH, 2, 0);
	feed(l, 2, EV_DELIVER, 1, 0);
	feed(l, 3, EV_DELIVER, 1, 1);
	feed(l, 4, EV_DELIVER, 1, 1);
	feed(l, 5, EV_DELIVER, 2, 0);
	assert_int_equal(counter(l, "delivered"), 4);
	assert_int_equal(counter(l, "redelivered"), 2);
	assert_int_equal(ledger_entry(l, 1)->deliveries, 3);
	assert_int_equal(ledger_entry(l, 2)->deliveries, 1);
	ledger_free(l);
}

static void
test_ids_out_of_order(void **state)
{
	struct ledger *l = ledger_create();
	const struct ledger_entry *e;
	(void)state;

	feed(l, 10, EV_PUBLISH, 5, 0);
	feed(l, 20, EV_PUBLISH, 2, 0);
	feed(l, 30, EV_WORK_DONE, 2, 0);
	assert_int_equal(ledger_max_id(l), 5);
	e = ledger_entry(l, 5);
	assert_non_null(e);
	assert_int_equal(e->published_at, 10);
	assert_int_equal(ledger_fate(e), FATE_IN_FLIGHT);
	e = ledger_entry(l, 2);
	assert_non_null(e);
	assert_int_equal(e->published_at, 20);
	assert_int_equal(ledger_fate(e), FATE_PROCESSED);
	/* Ids in between were never sent and are not messages. */
	for (uint32_t m = 1; m <= 4; m++) {
		if (m == 2)
			continue;
		e = ledger_entry(l, m);
		if (e != NULL) {
			assert_int_equal(e->published_at, -1);
			assert_int_equal(e->effects, 0);
			assert_int_equal(e->deliveries, 0);
		}
	}
	assert_null(ledger_entry(l, 0));
	assert_null(ledger_entry(l, 6));
	assert_int_equal(counter(l, "messages"), 2);
	assert_int_equal(counter(l, "processed"), 1);
	assert_int_equal(counter(l, "in_flight"), 1);
	ledger_free(l);
}

static void
test_large_ids(void **state)
{
	struct ledger *l = ledger_create();
	const uint32_t big = 1000003;
	(void)state;

	feed(l, 1, EV_PUBLISH, 7, 0);
	feed(l, 2, EV_PUBLISH, big, 0);
	feed(l, 3, EV_PUBLISH, big - 1, 0);
	feed(l, 4, EV_WORK_DONE, big, 0);
	feed_lost(l, 5, big - 1, LOSS_DROP_HEAD, NOTICE_SILENT);
	assert_int_equal(ledger_max_id(l), big);
	assert_int_equal(ledger_entry(l, big)->published_at, 2);
	assert_int_equal(fate(l, big), FATE_PROCESSED);
	assert_int_equal(fate(l, big - 1), FATE_LOST);
	assert_int_equal(fate(l, 7), FATE_IN_FLIGHT);
	/* Growing the table kept the earlier entry. */
	assert_int_equal(ledger_entry(l, 7)->published_at, 1);
	assert_null(ledger_entry(l, big + 1));
	assert_int_equal(counter(l, "messages"), 3);
	assert_int_equal(counter(l, "lost_drop_head"), 1);
	ledger_free(l);
}

static void
test_events_without_message_ignored(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_summary s, zero;
	(void)state;

	feed(l, 1, EV_CRASH, 0, 0);
	feed(l, 2, EV_PUBLISH, 0, 0);
	feed(l, 3, EV_DELIVER, 0, 1);
	feed_lost(l, 4, 0, LOSS_NETWORK, NOTICE_SILENT);
	assert_int_equal(ledger_max_id(l), 0);
	assert_null(ledger_entry(l, 1));
	ledger_summarize(l, &s);
	memset(&zero, 0, sizeof zero);
	assert_memory_equal(&s, &zero, sizeof s);
	ledger_free(l);
}

static void
test_counter_names(void **state)
{
	struct ledger_summary s;
	uint64_t *field = (uint64_t *)&s, v, seen[128];
	size_t nfields = sizeof s / sizeof(uint64_t);
	struct names ns = { { NULL }, 0 };
	char name[64];
	(void)state;

	/* Every field a different value, to see which one a name reads. */
	for (size_t i = 0; i < nfields; i++)
		field[i] = 1000 + i;
	ledger_counter_names(names_add, &ns);
	assert_true(ns.n >= 17 + LOSS_COUNT - 1);
	for (size_t i = 0; i < ns.n; i++) {
		v = 0;
		if (ledger_counter(&s, ns.name[i], &v) != 0)
			fail_msg("'%s' listed but not found", ns.name[i]);
		assert_true(v >= 1000 && v < 1000 + nfields);
		seen[i] = v;
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(ns.name[i], ns.name[j]);
			assert_true(seen[i] != seen[j]);
		}
	}
	/* Every reason has its counter, and "none" has none. */
	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++) {
		int found = 0;
		snprintf(name, sizeof name, "lost_%s", event_reason_name(r));
		for (size_t i = 0; i < ns.n; i++)
			found += strcmp(ns.name[i], name) == 0;
		assert_int_equal(found, 1);
		assert_int_equal(ledger_counter(&s, name, &v), 0);
		assert_int_equal(v, s.lost_by[r]);
	}
	/* Each fate's name is the name of its counter. */
	for (int f = 0; f < FATE_COUNT; f++) {
		assert_int_equal(
		    ledger_counter(&s, ledger_fate_name(f), &v), 0);
		assert_int_equal(v, s.fate[f]);
	}
	assert_int_equal(ledger_counter(&s, "published", &v), 0);
	assert_int_equal(v, s.published);
	assert_int_equal(ledger_counter(&s, "lost_silent", &v), 0);
	assert_int_equal(v, s.lost_silent);
	assert_int_equal(ledger_counter(&s, "inconsistent", &v), 0);
	assert_int_equal(v, s.inconsistent);

	v = 77;
	assert_int_equal(ledger_counter(&s, "nope", &v), -1);
	assert_int_equal(ledger_counter(&s, "", &v), -1);
	assert_int_equal(ledger_counter(&s, "lost_", &v), -1);
	assert_int_equal(ledger_counter(&s, "lost_none", &v), -1);
	assert_int_equal(ledger_counter(&s, "lost_nope", &v), -1);
	assert_int_equal(ledger_counter(&s, "Lost", &v), -1);
	assert_int_equal(ledger_counter(&s, "processed ", &v), -1);
	assert_int_equal(v, 77);
	names_free(&ns);
}

static void
test_counter_names_on_empty_ledger(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_summary s;
	struct names ns = { { NULL }, 0 };
	uint64_t v;
	(void)state;

	ledger_summarize(l, &s);
	ledger_counter_names(names_add, &ns);
	for (size_t i = 0; i < ns.n; i++) {
		v = 99;
		assert_int_equal(ledger_counter(&s, ns.name[i], &v), 0);
		assert_int_equal(v, 0);
	}
	names_free(&ns);
	ledger_free(l);
}

static void
test_reset(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_summary s, zero;
	(void)state;

	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_CONFIRM_ACK, 1, 0);
	feed(l, 3, EV_DELIVER, 1, 1);
	feed(l, 4, EV_WORK_DONE, 1, 0);
	feed(l, 1, EV_PUBLISH, 3, 0);
	feed(l, 2, EV_PAID, 3, 0);
	feed_lost(l, 5, 3, LOSS_EXPIRED, NOTICE_NACK);
	feed(l, 6, EV_CONFIRM_NACK, 3, 0);
	feed(l, 6, EV_RETURN, 3, 0);
	ledger_reset(l);
	assert_int_equal(ledger_max_id(l), 0);
	assert_null(ledger_entry(l, 1));
	ledger_summarize(l, &s);
	memset(&zero, 0, sizeof zero);
	assert_memory_equal(&s, &zero, sizeof s);

	/* Used again: nothing of the old messages shows through. */
	feed(l, 10, EV_PUBLISH, 3, 0);
	assert_int_equal(ledger_max_id(l), 3);
	assert_int_equal(ledger_entry(l, 3)->published_at, 10);
	assert_int_equal(ledger_entry(l, 3)->paid, 0);
	assert_int_equal(ledger_entry(l, 3)->lost, 0);
	assert_int_equal(fate(l, 3), FATE_IN_FLIGHT);
	assert_int_equal(counter(l, "messages"), 1);
	assert_int_equal(counter(l, "processed"), 0);
	assert_int_equal(counter(l, "inconsistent"), 0);
	assert_int_equal(counter(l, "published"), 1);
	assert_int_equal(counter(l, "confirmed"), 0);
	ledger_free(l);
}

static void
test_fate_names(void **state)
{
	(void)state;
	assert_string_equal(ledger_fate_name(FATE_IN_FLIGHT), "in_flight");
	assert_string_equal(ledger_fate_name(FATE_PROCESSED), "processed");
	assert_string_equal(ledger_fate_name(FATE_DUPLICATED), "duplicated");
	assert_string_equal(ledger_fate_name(FATE_DEAD), "dead_lettered");
	assert_string_equal(ledger_fate_name(FATE_LOST), "lost");
	for (int f = 0; f < FATE_COUNT; f++)
		assert_true(strlen(ledger_fate_text(f)) > 0);
	assert_string_equal(ledger_fate_name(FATE_COUNT), "?");
	assert_string_equal(ledger_fate_text(FATE_COUNT), "?");
}

/* Two broker-crash losses, one nacked queue_full, one processed, one parked. */
static struct ledger *
story(void)
{
	struct ledger *l = ledger_create();

	for (uint32_t m = 1; m <= 6; m++)
		feed(l, m, EV_PUBLISH, m, 0);
	feed(l, 10, EV_CONFIRM_ACK, 1, 0);
	feed(l, 10, EV_CONFIRM_NACK, 3, 0);
	feed_lost(l, 11, 2, LOSS_BROKER_CRASH, NOTICE_SILENT);
	feed_lost(l, 11, 4, LOSS_BROKER_CRASH, NOTICE_SILENT);
	feed_lost(l, 11, 3, LOSS_QUEUE_FULL, NOTICE_NACK);
	feed(l, 12, EV_PAID, 4, 0);
	feed(l, 13, EV_DELIVER, 1, 0);
	feed(l, 14, EV_WORK_DONE, 1, 0);
	feed(l, 15, EV_DEAD_LETTER, 5, 1);
	return l;
}

static void
test_print_summary(void **state)
{
	struct ledger *l = story();
	struct ledger_summary s;
	char *text;
	(void)state;

	ledger_summarize(l, &s);
	text = capture(ledger_print_summary, &s);
	check_contains(text, "ledger: 6 messages\n");
	check_contains(text, "published 6  confirmed 1  nacked 1  returned 0");
	check_contains(text, "delivered 1  redelivered 0  effects 1");
	check_contains(text, "processed once 1  duplicated 0  dead-lettered 1"
	    "  in flight 1");
	check_contains(text, "lost 3 (silently 2, producer told 1)");
	check_contains(text, "broker_crash");
	check_contains(text, "queue_full");
	check_contains(text, "the broker went down while the message was "
	    "only in memory");
	/* Only reasons that happened get a line. */
	assert_null(strstr(text, "unroutable"));
	assert_null(strstr(text, "network"));
	check_contains(text, "orders paid but shown unpaid 1");
	check_contains(text, "repaired by reconciliation 0");
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
	ledger_free(l);
}

/* The summary's copy figure JSON key `key` names; -1 if none. */
static int
copy_key(const struct ledger_summary *s, const char *key, uint64_t *v)
{
	char name[64];

	if (strcmp(key, "copies") == 0) {
		*v = s->copies;
		return 0;
	}
	if (strcmp(key, "multi_copy") == 0) {
		*v = s->multi_copy;
		return 0;
	}
	for (int f = 0; f < COPY_FATE_COUNT; f++) {
		snprintf(name, sizeof name, "copies_%s",
		    ledger_copy_fate_name(f));
		if (strcmp(key, name) == 0) {
			*v = s->copy[f];
			return 0;
		}
	}
	return -1;
}

static void
test_print_summary_json(void **state)
{
	struct ledger *l = story();
	struct ledger_summary s;
	struct names ns = { { NULL }, 0 };
	char *json, *p, key[64];
	size_t nkeys = 0, ncopykeys = 0;
	(void)state;

	ledger_summarize(l, &s);
	json = capture(ledger_print_summary_json, &s);
	check_contains(json, "\"lost_broker_crash\":2");
	check_contains(json, "\"lost_queue_full\":1");
	check_contains(json, "\"lost\":3");
	check_contains(json, "\"inconsistent\":1");

	/* {"summary":{"name":N,...}} and a newline: every counter, once. */
	ledger_counter_names(names_add, &ns);
	assert_memory_equal(json, "{\"summary\":{", 12);
	p = json + 12;
	for (;;) {
		char *end;
		size_t n;
		unsigned long long v;
		uint64_t want;

		assert_int_equal(*p, '"');
		n = strcspn(p + 1, "\"");
		assert_true(n > 0 && n < sizeof key);
		memcpy(key, p + 1, n);
		key[n] = '\0';
		p += n + 2;
		assert_int_equal(*p, ':');
		p++;
		assert_true(*p >= '0' && *p <= '9');
		v = strtoull(p, &end, 10);
		p = end;
		if (ledger_counter(&s, key, &want) == 0)
			nkeys++;
		else if (copy_key(&s, key, &want) == 0)
			ncopykeys++;
		else
			fail_msg("JSON key '%s' is no counter", key);
		assert_int_equal(v, want);
		if (*p == '}')
			break;
		assert_int_equal(*p, ',');
		p++;
	}
	assert_string_equal(p, "}}\n");
	assert_int_equal(nkeys, ns.n);
	assert_int_equal(ncopykeys, 2 + COPY_FATE_COUNT);
	for (size_t i = 0; i < ns.n; i++) {
		snprintf(key, sizeof key, "\"%s\":", ns.name[i]);
		check_contains(json, key);
	}
	names_free(&ns);
	free(json);
	ledger_free(l);
}

/* ---- copies ------------------------------------------------------------- */

/* One event of a hand-built stream about message 1. */
#define EVW(t_, kind_, flag_, where_)                                          \
	{ .t = (t_), .kind = (kind_), .actor = ACTOR_LAB, .msg = 1,            \
		.flag = (flag_), .where = (where_) }
/* The drop of a copy of message 1 (EV_DISCARD or EV_LOST). */
#define EVD(t_, kind_, reason_, where_)                                        \
	{ .t = (t_), .kind = (kind_), .actor = ACTOR_LAB, .msg = 1,            \
		.reason = (reason_), .where = (where_) }

/* Feeds n events to the ledger and, if st is not NULL, to the story. */
static void
feed_all(struct ledger *l, struct ledger_story *st, const struct event *ev,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ledger_apply(l, &ev[i]);
		if (st)
			ledger_story_apply(st, &ev[i]);
	}
}

/* Copies of message 1 at place p. */
static unsigned
at(const struct ledger *l, enum ledger_place p)
{
	return ledger_entry(l, 1)->copies[p];
}

/* What ledger_story_print writes; the caller frees it. */
static char *
story_text(const struct ledger_story *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ledger_story_print(f, st);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* The consumer "trade" reads trade.pay. */
static struct topology *
topo_trade(void)
{
	static struct topo_consumer c = { (char *)"trade", (char *)"trade.pay",
		NULL, NULL, 0 };
	static struct topology t;

	t.consumers = &c;
	t.nconsumers = 1;
	return &t;
}

/*
 * A fanout to three queues, as the engine tells it: trade.pay's copy is
 * processed, audit.pay's expires into its dead-letter queue, notify.pay's
 * expires with no dead-letter exchange and is discarded.
 */
static const struct event fanout_story[] = {
	EVW(1, EV_PUBLISH, 0, "pay.fanout"),
	EVW(2, EV_ROUTED, 3, "pay.fanout"),
	EVW(2, EV_ENQUEUE, 0, "trade.pay"),
	EVW(2, EV_DELIVER, 0, "trade"),
	EVW(2, EV_ENQUEUE, 0, "audit.pay"),
	EVW(2, EV_ENQUEUE, 0, "notify.pay"),
	EVW(3, EV_WORK_START, 0, "trade"),
	EVW(4, EV_WORK_DONE, 0, "trade"),
	EVW(4, EV_ACK, 0, "trade"),
	EVW(10, EV_EXPIRE, 0, "audit.pay"),
	EVW(10, EV_DEAD_LETTER, 1, "dead.audit"),
	EVW(10, EV_ENQUEUE, 0, "dead.audit"),
	EVW(11, EV_EXPIRE, 0, "notify.pay"),
	EVD(11, EV_DISCARD, LOSS_EXPIRED, "notify.pay"),
};

static void
test_fanout_copies(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_story st;
	struct ledger_summary s;
	struct ledger_check c;
	const struct ledger_entry *e;
	char *text;
	(void)state;

	ledger_story_init(&st, topo_trade());
	feed_all(l, &st, fanout_story, 6);
	/* Routed: one with the consumer, two waiting. */
	assert_int_equal(at(l, LEDGER_AT_HANDS), 1);
	assert_int_equal(at(l, LEDGER_AT_QUEUED), 2);
	assert_int_equal(at(l, LEDGER_AT_TRANSIT), 0);
	feed_all(l, &st, fanout_story + 6,
	    sizeof fanout_story / sizeof fanout_story[0] - 6);
	e = ledger_entry(l, 1);
	assert_int_equal(at(l, LEDGER_AT_PROCESSED), 1);
	assert_int_equal(at(l, LEDGER_AT_PARKED), 1);
	assert_int_equal(at(l, LEDGER_AT_DISCARDED), 1);
	assert_int_equal(at(l, LEDGER_AT_QUEUED) + at(l, LEDGER_AT_HANDS) +
	    at(l, LEDGER_AT_TRANSIT) + at(l, LEDGER_AT_WORKED), 0);
	assert_int_equal(ledger_copies(e), 3);
	/* The parked copy still sits in a queue. */
	assert_int_equal(ledger_copies_live(e), 1);
	assert_int_equal(e->lost, 0);
	assert_int_equal(e->unsure, 0);
	assert_int_equal(ledger_fate(e), FATE_PROCESSED);

	ledger_summarize(l, &s);
	assert_int_equal(s.copies, 3);
	assert_int_equal(s.multi_copy, 1);
	assert_int_equal(s.copy[COPY_PROCESSED], 1);
	assert_int_equal(s.copy[COPY_DEAD], 1);
	assert_int_equal(s.copy[COPY_DISCARDED], 1);
	assert_int_equal(s.copy[COPY_LOST], 0);
	assert_int_equal(s.copy[COPY_IN_FLIGHT], 0);
	assert_int_equal(s.discarded_by[LOSS_EXPIRED], 1);
	assert_int_equal(s.fate[FATE_PROCESSED], 1);
	assert_int_equal(s.fate[FATE_LOST], 0);
	text = capture(ledger_print_summary, &s);
	check_contains(text, "  copies 3: processed 1, dead-lettered 1, "
	    "discarded 1 (expired 1)\n");
	free(text);
	text = capture(ledger_print_summary_json, &s);
	check_contains(text, "\"copies\":3,\"multi_copy\":1,"
	    "\"copies_processed\":1,\"copies_dead_lettered\":1,"
	    "\"copies_discarded\":1,\"copies_lost\":0,\"copies_in_flight\":0}");
	free(text);

	/* Each copy told apart: its queue, its consumer, its fate. */
	assert_int_equal(ledger_story_count(&st), 3);
	assert_int_equal(st.copy[0].at, LEDGER_AT_PROCESSED);
	assert_string_equal(st.copy[0].queue, "trade.pay");
	assert_string_equal(st.copy[0].consumer, "trade");
	assert_int_equal(st.copy[1].at, LEDGER_AT_PARKED);
	assert_string_equal(st.copy[1].queue, "dead.audit");
	assert_null(st.copy[1].consumer);
	assert_int_equal(st.copy[2].at, LEDGER_AT_DISCARDED);
	assert_string_equal(st.copy[2].queue, "notify.pay");
	assert_int_equal(st.copy[2].reason, LOSS_EXPIRED);
	text = story_text(&st);
	assert_string_equal(text, "copies: 3\n"
	    "  copy 1: processed by trade\n"
	    "  copy 2: parked in dead.audit\n"
	    "  copy 3: discarded from notify.pay: expired with no "
	    "dead-letter exchange\n");
	free(text);
	ledger_story_free(&st);

	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 0);
	assert_int_equal(c.unsure, 0);
	ledger_free(l);
}

static void
test_one_copy_prints_no_copies(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_story st;
	struct ledger_summary s;
	char *text;
	static const struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 1, "x"),
		EVW(2, EV_ENQUEUE, 0, "trade.pay"),
		EVW(3, EV_DELIVER, 0, "trade"),
		EVW(4, EV_WORK_DONE, 0, "trade"),
		EVW(4, EV_ACK, 0, "trade"),
	};
	(void)state;

	ledger_story_init(&st, NULL);
	feed_all(l, &st, ev, sizeof ev / sizeof ev[0]);
	assert_int_equal(at(l, LEDGER_AT_PROCESSED), 1);
	assert_int_equal(ledger_copies(ledger_entry(l, 1)), 1);
	ledger_summarize(l, &s);
	assert_int_equal(s.copies, 1);
	assert_int_equal(s.multi_copy, 0);
	text = capture(ledger_print_summary, &s);
	assert_null(strstr(text, "copies"));
	free(text);
	text = story_text(&st);
	assert_string_equal(text, "");
	free(text);
	assert_int_equal(ledger_story_count(&st), 1);
	ledger_story_free(&st);
	ledger_free(l);
}

static void
test_dead_letter_to_two_queues(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_story st;
	static const struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 1, "x"),
		EVW(2, EV_ENQUEUE, 0, "work"),
		EVW(3, EV_DELIVER, 0, "c"),
		/* Rejected; the dead-letter exchange fans out to two. */
		EVW(4, EV_REJECT, 0, "c"),
		EVW(5, EV_DEAD_LETTER, 1, "dead.a"),
		EVW(5, EV_ENQUEUE, 0, "dead.a"),
		EVW(5, EV_DEAD_LETTER, 0, "retry.b"),
		EVW(5, EV_ENQUEUE, 0, "retry.b"),
	};
	(void)state;

	ledger_story_init(&st, NULL);
	feed_all(l, &st, ev, sizeof ev / sizeof ev[0]);
	assert_int_equal(at(l, LEDGER_AT_PARKED), 1);
	assert_int_equal(at(l, LEDGER_AT_QUEUED), 1);
	assert_int_equal(at(l, LEDGER_AT_HANDS), 0);
	assert_int_equal(at(l, LEDGER_AT_TRANSIT), 0);
	assert_int_equal(ledger_copies(ledger_entry(l, 1)), 2);
	assert_int_equal(fate(l, 1), FATE_DEAD);
	assert_int_equal(ledger_story_count(&st), 2);
	assert_string_equal(st.copy[0].queue, "dead.a");
	assert_int_equal(st.copy[0].at, LEDGER_AT_PARKED);
	assert_string_equal(st.copy[1].queue, "retry.b");
	assert_int_equal(st.copy[1].at, LEDGER_AT_QUEUED);
	ledger_story_free(&st);
	assert_int_equal(ledger_entry(l, 1)->unsure, 0);
	ledger_free(l);
}

static void
test_republish_copies(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_check c;
	struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 1, "x"),
		EVW(2, EV_ENQUEUE, 0, "work"),
		EVW(3, EV_DELIVER, 0, "c"),
		EVW(4, EV_EXCEPTION, 0, "c"),
		/* The recoverer republishes to two error queues, then acks
		 * the copy it held: two copies, the held one consumed. */
		EVW(5, EV_REPUBLISH, 1, "errors"),
		EVW(5, EV_ENQUEUE, 0, "errors"),
		EVW(5, EV_REPUBLISH, 1, "errors.audit"),
		EVW(5, EV_ENQUEUE, 0, "errors.audit"),
		EVW(5, EV_ACK, 0, "c"),
	};
	(void)state;

	feed_all(l, NULL, ev, sizeof ev / sizeof ev[0]);
	assert_int_equal(at(l, LEDGER_AT_PARKED), 2);
	assert_int_equal(at(l, LEDGER_AT_HANDS), 0);
	assert_int_equal(ledger_copies(ledger_entry(l, 1)), 2);
	assert_int_equal(fate(l, 1), FATE_DEAD);

	/* Message 2: no route to an error queue; the drop comes before the
	 * ack of the copy held, and it is the last copy: lost. */
	for (size_t i = 0; i < 5; i++)
		ev[i].msg = 2;
	feed_all(l, NULL, ev, 5);
	{
		struct event more[] = {
			EVW(5, EV_REPUBLISH, 0, "errors.x"),
			EVD(5, EV_LOST, LOSS_REJECTED, "c"),
			EVW(5, EV_ACK, 0, "c"),
		};
		for (size_t i = 0; i < 3; i++)
			more[i].msg = 2;
		more[0].detail = "error exchange had no route";
		feed_all(l, NULL, more, 3);
	}
	assert_int_equal(fate(l, 2), FATE_LOST);
	assert_int_equal(ledger_copies_live(ledger_entry(l, 2)), 0);
	assert_int_equal(ledger_copies(ledger_entry(l, 2)), 1);
	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 0);
	assert_int_equal(c.unsure, 0);
	ledger_free(l);
}

static void
test_requeue_and_unsent_ack(void **state)
{
	struct ledger *l = ledger_create();
	static const struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 1, "x"),
		EVW(2, EV_ENQUEUE, 0, "work"),
		EVW(3, EV_DELIVER, 0, "c"),
		EVW(4, EV_NACK, 1, "c"),
		EVW(5, EV_REQUEUE, 0, "work"),
		EVW(6, EV_DELIVER, 1, "c"),
		/* The connection dies: the broker takes the copy back, the
		 * listener finishes, and its ack is never sent. */
		EVW(7, EV_REQUEUE, 0, "work"),
		EVW(8, EV_WORK_DONE, 0, "c"),
	};
	struct event unsent = EVW(8, EV_ACK, 0, "c");
	(void)state;

	feed_all(l, NULL, ev, sizeof ev / sizeof ev[0]);
	unsent.detail = "channel already closed: the frame is not sent";
	ledger_apply(l, &unsent);
	assert_int_equal(at(l, LEDGER_AT_QUEUED), 1);
	assert_int_equal(at(l, LEDGER_AT_HANDS), 0);
	assert_int_equal(at(l, LEDGER_AT_PROCESSED), 0);
	assert_int_equal(ledger_copies(ledger_entry(l, 1)), 1);
	assert_int_equal(ledger_entry(l, 1)->unsure, 0);
	/* Redelivered, skipped as a duplicate, acked: processed. */
	feed(l, 9, EV_DELIVER, 1, 1);
	feed(l, 10, EV_DUP_SKIP, 1, 1);
	feed(l, 10, EV_ACK, 1, 0);
	assert_int_equal(at(l, LEDGER_AT_PROCESSED), 1);
	assert_int_equal(ledger_copies(ledger_entry(l, 1)), 1);
	assert_int_equal(ledger_entry(l, 1)->unsure, 0);
	ledger_free(l);
}

static void
test_autoack_copy_processed_without_ack(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_summary s;
	(void)state;

	/* Auto-ack: no ack frame; the effect is the copy's end. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_ROUTED, 1, 1);
	feed(l, 2, EV_ENQUEUE, 1, 0);
	feed(l, 2, EV_DELIVER, 1, 0);
	feed(l, 3, EV_WORK_DONE, 1, 0);
	assert_int_equal(at(l, LEDGER_AT_WORKED), 1);
	assert_int_equal(ledger_copies_live(ledger_entry(l, 1)), 0);
	ledger_summarize(l, &s);
	assert_int_equal(s.copy[COPY_PROCESSED], 1);
	assert_int_equal(s.copy[COPY_IN_FLIGHT], 0);
	ledger_free(l);
}

/* A stream that says the last copy is lost while another sits queued. */
static void
lost_while_queued(struct ledger *l)
{
	static const struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 2, "x"),
		EVW(2, EV_ENQUEUE, 0, "a"),
		EVW(2, EV_ENQUEUE, 0, "b"),
		EVW(3, EV_EXPIRE, 0, "a"),
		EVD(3, EV_LOST, LOSS_EXPIRED, "a"),
	};

	feed_all(l, NULL, ev, sizeof ev / sizeof ev[0]);
}

static void
test_lost_with_a_live_copy_is_counted(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_check c;
	struct ledger_summary s;
	(void)state;

	ledger_strict(l, 0);
	lost_while_queued(l);
	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 1);
	assert_int_equal(c.unsure, 0);
	/* Not called lost: the copy in b is still there. */
	assert_int_equal(fate(l, 1), FATE_IN_FLIGHT);
	assert_int_equal(ledger_entry(l, 1)->lost, 0);
	assert_int_equal(at(l, LEDGER_AT_QUEUED), 1);
	assert_int_equal(at(l, LEDGER_AT_DISCARDED), 1);
	ledger_summarize(l, &s);
	assert_int_equal(s.fate[FATE_LOST], 0);
	assert_int_equal(s.discarded_by[LOSS_EXPIRED], 1);
	ledger_reset(l);
	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 0);
	ledger_free(l);
}

static void
test_lost_with_a_live_copy_aborts(void **state)
{
#ifdef NDEBUG
	(void)state;
	skip();
#else
	pid_t pid;
	int status;
	(void)state;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ledger *l = ledger_create();
		/* The assertion's message is expected: keep it quiet. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		lost_while_queued(l);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
#endif
}

static void
test_unsure_counts_yield_to_the_engine(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_check c;
	(void)state;

	/* Routed to two queues, one enqueue reported, two expiries: the
	 * second finds no copy in a queue, and the counts are a guess. */
	feed(l, 1, EV_PUBLISH, 1, 0);
	feed(l, 2, EV_ROUTED, 1, 2);
	feed(l, 2, EV_ENQUEUE, 1, 0);
	feed(l, 3, EV_EXPIRE, 1, 0);
	feed(l, 3, EV_EXPIRE, 1, 0);
	assert_int_equal(ledger_entry(l, 1)->unsure, 1);
	/* The engine says the last copy is gone: it knows better. */
	feed_lost(l, 4, 1, LOSS_EXPIRED, NOTICE_SILENT);
	assert_int_equal(fate(l, 1), FATE_LOST);
	assert_int_equal(ledger_copies_live(ledger_entry(l, 1)), 0);
	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 0);
	assert_int_equal(c.unsure, 1);
	ledger_free(l);
}

static void
test_dead_letter_from_hands_is_a_guess(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_check c;
	static const struct event ev[] = {
		EVW(1, EV_PUBLISH, 0, "x"),
		EVW(2, EV_ROUTED, 1, "x"),
		EVW(2, EV_ENQUEUE, 0, "quorum"),
		EVW(3, EV_DELIVER, 0, "c"),
		/* The consumer went away; the quorum queue's delivery limit
		 * dead-letters the copy it held, with no event to say it
		 * left the consumer. */
		EVW(4, EV_DEAD_LETTER, 0, "retry"),
		EVW(4, EV_ENQUEUE, 0, "retry"),
		EVW(5, EV_EXPIRE, 0, "retry"),
		EVD(5, EV_LOST, LOSS_EXPIRED, "retry"),
	};
	(void)state;

	/* Strict: an assertion would fire if the guess were taken as
	 * sure. */
	feed_all(l, NULL, ev, sizeof ev / sizeof ev[0]);
	assert_int_equal(ledger_entry(l, 1)->unsure, 1);
	assert_int_equal(fate(l, 1), FATE_LOST);
	ledger_check(l, &c);
	assert_int_equal(c.lost_with_copies, 0);
	assert_int_equal(c.unsure, 1);
	ledger_free(l);
}

static void
test_copies_stick_at_255(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_story st;
	(void)state;

	ledger_story_init(&st, NULL);
	{
		const struct event ev[] = {
			EVW(1, EV_PUBLISH, 0, "x"),
			EVW(2, EV_ROUTED, 300, "x"),
		};
		feed_all(l, &st, ev, 2);
	}
	assert_int_equal(at(l, LEDGER_AT_TRANSIT), UINT8_MAX);
	assert_int_equal(ledger_entry(l, 1)->unsure, 1);
	/* The story keeps every copy. */
	assert_int_equal(ledger_story_count(&st), 300);
	ledger_story_free(&st);
	ledger_free(l);
}

static void
test_resend_is_a_second_copy(void **state)
{
	struct ledger *l = ledger_create();
	struct ledger_summary s;
	(void)state;

	/* The confirm never came; the resend is processed too. */
	for (int i = 0; i < 2; i++) {
		feed(l, 10 * i + 1, EV_PUBLISH, 1, i ? EVENT_PUB_RESEND : 0);
		feed(l, 10 * i + 2, EV_ROUTED, 1, 1);
		feed(l, 10 * i + 2, EV_ENQUEUE, 1, 0);
		feed(l, 10 * i + 3, EV_DELIVER, 1, 0);
		feed(l, 10 * i + 4, i ? EV_DUP_SKIP : EV_WORK_DONE, 1, 0);
		feed(l, 10 * i + 4, EV_ACK, 1, 0);
	}
	assert_int_equal(at(l, LEDGER_AT_PROCESSED), 2);
	ledger_summarize(l, &s);
	assert_int_equal(s.copies, 2);
	assert_int_equal(s.multi_copy, 1);
	assert_int_equal(s.fate[FATE_PROCESSED], 1);
	ledger_free(l);
}

static void
test_place_and_copy_fate_names(void **state)
{
	(void)state;
	assert_int_equal(ledger_place_fate(LEDGER_AT_QUEUED), COPY_IN_FLIGHT);
	assert_int_equal(ledger_place_fate(LEDGER_AT_HANDS), COPY_IN_FLIGHT);
	assert_int_equal(ledger_place_fate(LEDGER_AT_PARKED), COPY_DEAD);
	assert_int_equal(ledger_place_fate(LEDGER_AT_WORKED), COPY_PROCESSED);
	assert_int_equal(ledger_place_fate(LEDGER_AT_DISCARDED),
	    COPY_DISCARDED);
	assert_int_equal(ledger_place_fate(LEDGER_AT_LOST), COPY_LOST);
	assert_int_equal(ledger_place_fate(LEDGER_AT_GONE), COPY_NONE);
	assert_int_equal(ledger_place_fate(LEDGER_PLACE_COUNT), COPY_NONE);
	assert_string_equal(ledger_place_name(LEDGER_AT_PARKED), "parked");
	assert_string_equal(ledger_place_name(LEDGER_PLACE_COUNT), "?");
	assert_string_equal(ledger_copy_fate_name(COPY_DEAD), "dead_lettered");
	assert_string_equal(ledger_copy_fate_text(COPY_DEAD), "dead-lettered");
	assert_string_equal(ledger_copy_fate_text(COPY_IN_FLIGHT), "in flight");
	assert_string_equal(ledger_copy_fate_name(COPY_FATE_COUNT), "?");
	/* The copy counters fill what was padding. */
	assert_int_equal(sizeof(struct ledger_entry), 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_publish_then_work_done_is_processed),
		cmocka_unit_test(test_two_work_done_is_duplicated),
		cmocka_unit_test(test_effects_saturate),
		cmocka_unit_test(test_lost_counts_reason_and_notice),
		cmocka_unit_test(test_lost_every_reason),
		cmocka_unit_test(test_resend_clears_lost),
		cmocka_unit_test(test_dead_letter_then_deliver),
		cmocka_unit_test(test_dead_letter_unparked_and_republish),
		cmocka_unit_test(test_fate_precedence),
		cmocka_unit_test(test_paid_lost_inconsistent_then_reconciled),
		cmocka_unit_test(test_inconsistent_needs_paid_and_settled),
		cmocka_unit_test(test_confirm_counters),
		cmocka_unit_test(test_redelivered),
		cmocka_unit_test(test_ids_out_of_order),
		cmocka_unit_test(test_large_ids),
		cmocka_unit_test(test_events_without_message_ignored),
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_counter_names_on_empty_ledger),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_fate_names),
		cmocka_unit_test(test_print_summary),
		cmocka_unit_test(test_print_summary_json),
		cmocka_unit_test(test_fanout_copies),
		cmocka_unit_test(test_one_copy_prints_no_copies),
		cmocka_unit_test(test_dead_letter_to_two_queues),
		cmocka_unit_test(test_republish_copies),
		cmocka_unit_test(test_requeue_and_unsent_ack),
		cmocka_unit_test(test_autoack_copy_processed_without_ack),
		cmocka_unit_test(test_lost_with_a_live_copy_is_counted),
		cmocka_unit_test(test_lost_with_a_live_copy_aborts),
		cmocka_unit_test(test_unsure_counts_yield_to_the_engine),
		cmocka_unit_test(test_dead_letter_from_hands_is_a_guess),
		cmocka_unit_test(test_copies_stick_at_255),
		cmocka_unit_test(test_resend_is_a_second_copy),
		cmocka_unit_test(test_place_and_copy_fate_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
