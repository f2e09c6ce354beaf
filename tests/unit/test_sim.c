/*
 * Unit tests of the simulated engine through the engine interface, with
 * topologies built in code: the core paths of publish, route, deliver and
 * ack, and the invariants the ledger relies on (determinism, copy counting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "model/ledger.h"
#include "util/xmalloc.h"

struct fixture {
	struct engine *e;
	struct ledger *l;
	struct topology topo;
	struct topo_exchange x;
	struct topo_queue q;
	struct topo_binding b;
	struct topo_consumer c;
	FILE *log;        /* transcript, for determinism checks */
};

static const struct engine_ops *ops = &engine_sim_ops;

static void
sink(void *ctx, const struct event *ev)
{
	struct fixture *f = ctx;
	ledger_apply(f->l, ev);
	if (f->log)
		event_print_text(f->log, ev);
}

/* One direct exchange, one queue bound with "k", one consumer. */
static void
fixture_init(struct fixture *f, uint64_t seed)
{
	struct engine_opts o = { seed, sink, f, NULL };
	char *cause = NULL;

	memset(f, 0, sizeof *f);
	f->l = ledger_create();
	f->x = (struct topo_exchange){ (char *)"x", XTYPE_DIRECT, XTYPE_DIRECT,
		-1, 0 };
	topology_queue_init(&f->q);
	f->q.name = (char *)"q";
	f->b = (struct topo_binding){ (char *)"x", (char *)"q", (char *)"k",
		NULL, 0, 1, 0 };
	f->c = (struct topo_consumer){ (char *)"c", (char *)"q", NULL, NULL,
		0 };
	f->topo.exchanges = &f->x;
	f->topo.nexchanges = 1;
	f->topo.queues = &f->q;
	f->topo.nqueues = 1;
	f->topo.bindings = &f->b;
	f->topo.nbindings = 1;
	f->topo.consumers = &f->c;
	f->topo.nconsumers = 1;
	f->topo.publish_exchange = (char *)"x";
	f->topo.publish_key = (char *)"k";
	f->e = ops->create(&o, &cause);
	assert_non_null(f->e);
}

static void
fixture_declare(struct fixture *f, int consume)
{
	char *cause = NULL;
	assert_int_equal(ops->declare(f->e, &f->topo, &cause), 0);
	if (consume)
		assert_int_equal(engine_consume(f->e, NULL, 1, &cause), 0);
}

static void
fixture_done(struct fixture *f)
{
	ops->destroy(f->e);
	ledger_free(f->l);
}

static void
set(struct fixture *f, enum toggle_id id, int64_t v)
{
	char *cause = NULL;
	assert_int_equal(engine_set_toggle(f->e, id, v, &cause), 0);
}

static void
publish(struct fixture *f, uint32_t n, const char *key)
{
	struct publish_req r = { NULL, key, n, 0, -1, -1, -1, NULL, 0 };
	char *cause = NULL;
	assert_int_equal(engine_publish(f->e, &r, &cause), 0);
}

static void
inject(struct fixture *f, enum failure_kind k)
{
	struct failure_req r = { k, NULL, 0, 0, 0 };
	char *cause = NULL;
	assert_int_equal(ops->inject(f->e, &r, &cause), 0);
}

static void
run(struct fixture *f, int64_t ms)
{
	char *cause = NULL;
	assert_int_equal(ops->advance(f->e, ms * 1000, &cause), 0);
}

static uint64_t
counter(struct fixture *f, const char *name)
{
	struct ledger_summary s;
	uint64_t v = UINT64_MAX;
	ledger_summarize(f->l, &s);
	assert_int_equal(ledger_counter(&s, name, &v), 0);
	return v;
}

static void
test_happy_path(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	fixture_declare(&f, 1);
	publish(&f, 10, NULL);
	run(&f, 1000);
	assert_int_equal(counter(&f, "published"), 10);
	assert_int_equal(counter(&f, "processed"), 10);
	assert_int_equal(counter(&f, "lost"), 0);
	assert_int_equal(counter(&f, "in_flight"), 0);
	fixture_done(&f);
}

static void
test_unroutable_is_acked_not_nacked(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	fixture_declare(&f, 1);
	set(&f, TOGGLE_CONFIRMS, CONFIRMS_EACH);
	publish(&f, 3, "nobody");
	run(&f, 100);
	assert_int_equal(counter(&f, "confirmed"), 3);
	assert_int_equal(counter(&f, "nacked"), 0);
	assert_int_equal(counter(&f, "returned"), 0);
	assert_int_equal(counter(&f, "lost_unroutable"), 3);
	assert_int_equal(counter(&f, "lost_silent"), 3);
	fixture_done(&f);
}

static void
test_mandatory_returns_then_acks(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	fixture_declare(&f, 1);
	set(&f, TOGGLE_CONFIRMS, CONFIRMS_EACH);
	set(&f, TOGGLE_MANDATORY, 1);
	publish(&f, 2, "nobody");
	run(&f, 100);
	assert_int_equal(counter(&f, "returned"), 2);
	assert_int_equal(counter(&f, "confirmed"), 2);
	assert_int_equal(counter(&f, "lost_notified"), 2);
	fixture_done(&f);
}

static void
test_crash_keeps_only_written_persistent(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	fixture_declare(&f, 0);
	/* No confirms: the write-behind has not happened yet. */
	publish(&f, 5, NULL);
	run(&f, 10);
	inject(&f, FAIL_BROKER_CRASH);
	assert_int_equal(counter(&f, "lost_broker_crash"), 5);
	fixture_done(&f);

	fixture_init(&f, 1);
	fixture_declare(&f, 0);
	set(&f, TOGGLE_CONFIRMS, CONFIRMS_EACH);
	publish(&f, 5, NULL);
	run(&f, 100);
	assert_int_equal(counter(&f, "confirmed"), 5);
	inject(&f, FAIL_BROKER_CRASH);
	assert_int_equal(counter(&f, "lost"), 0);
	assert_int_equal(counter(&f, "in_flight"), 5);
	fixture_done(&f);
}

static void
test_autoack_crash_loses_buffer(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	set(&f, TOGGLE_ACK_MODE, ACK_NONE);
	set(&f, TOGGLE_WORK_MS, 100);
	fixture_declare(&f, 1);
	publish(&f, 4, NULL);
	run(&f, 50);
	inject(&f, FAIL_CONSUMER_CRASH_AFTER);
	run(&f, 100);
	/* The first finished its work; the other three died with it. */
	assert_int_equal(counter(&f, "processed"), 1);
	assert_int_equal(counter(&f, "lost_autoack_crash"), 3);
	fixture_done(&f);
}

static void
test_manual_crash_after_work_duplicates(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f, 1);
	set(&f, TOGGLE_ACK_MODE, ACK_MANUAL);
	set(&f, TOGGLE_RECOVERY_MS, 100);
	fixture_declare(&f, 1);
	inject(&f, FAIL_CONSUMER_CRASH_AFTER);
	publish(&f, 1, NULL);
	run(&f, 1000);
	assert_int_equal(counter(&f, "duplicated"), 1);
	assert_int_equal(counter(&f, "redelivered"), 1);
	fixture_done(&f);

	fixture_init(&f, 1);
	set(&f, TOGGLE_ACK_MODE, ACK_MANUAL);
	set(&f, TOGGLE_RECOVERY_MS, 100);
	set(&f, TOGGLE_IDEMPOTENCY, IDEM_BUSINESS);
	fixture_declare(&f, 1);
	inject(&f, FAIL_CONSUMER_CRASH_AFTER);
	publish(&f, 1, NULL);
	run(&f, 1000);
	assert_int_equal(counter(&f, "duplicated"), 0);
	assert_int_equal(counter(&f, "processed"), 1);
	fixture_done(&f);
}

static void
test_same_seed_same_transcript(void **state)
{
	char *out[2];
	size_t len[2];
	(void)state;
	for (int i = 0; i < 2; i++) {
		struct fixture f;
		fixture_init(&f, 42);
		f.log = open_memstream(&out[i], &len[i]);
		assert_non_null(f.log);
		fixture_declare(&f, 1);
		set(&f, TOGGLE_CONFIRMS, CONFIRMS_ASYNC);
		publish(&f, 50, NULL);
		run(&f, 5);
		inject(&f, FAIL_BROKER_CRASH);
		run(&f, 10);
		fclose(f.log);
		f.log = NULL;
		fixture_done(&f);
	}
	assert_true(len[0] > 1000);
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(out[0], out[1], len[0]);
	free(out[0]);
	free(out[1]);
}

/* Events seen per consumer name, for fairness and fanout checks. */
static int done_by[2];

static void
count_sink(void *ctx, const struct event *ev)
{
	sink(ctx, ev);
	if (ev->kind == EV_WORK_DONE && ev->where)
		done_by[ev->where[1] == '2']++;
}

static void
test_round_robin_and_fanout_services(void **state)
{
	struct fixture f;
	struct topo_queue qs[2];
	struct topo_binding bs[2];
	struct topo_consumer cs[2];
	struct engine_opts o = { 1, count_sink, &f, NULL };
	char *cause = NULL;
	(void)state;

	/* Two consumers on one queue take turns. */
	fixture_init(&f, 1);
	ops->destroy(f.e);
	f.e = ops->create(&o, &cause);
	cs[0] = (struct topo_consumer){ (char *)"c1", (char *)"q", NULL, NULL,
		0 };
	cs[1] = (struct topo_consumer){ (char *)"c2", (char *)"q", NULL, NULL,
		0 };
	f.topo.consumers = cs;
	f.topo.nconsumers = 2;
	set(&f, TOGGLE_PREFETCH, 1);
	fixture_declare(&f, 1);
	done_by[0] = done_by[1] = 0;
	publish(&f, 6, NULL);
	run(&f, 1000);
	assert_int_equal(done_by[0], 3);
	assert_int_equal(done_by[1], 3);
	assert_int_equal(counter(&f, "processed"), 6);
	fixture_done(&f);

	/* A fanout feeds two services: each applies its effect once. */
	fixture_init(&f, 1);
	ops->destroy(f.e);
	f.e = ops->create(&o, &cause);
	f.x.type = XTYPE_FANOUT;
	topology_queue_init(&qs[0]);
	topology_queue_init(&qs[1]);
	qs[0].name = (char *)"q1";
	qs[1].name = (char *)"q2";
	bs[0] = (struct topo_binding){ (char *)"x", (char *)"q1", (char *)"",
		NULL, 0, 1, 0 };
	bs[1] = (struct topo_binding){ (char *)"x", (char *)"q2", (char *)"",
		NULL, 0, 1, 0 };
	cs[0] = (struct topo_consumer){ .name = (char *)"c1", .queue = (char *)"q1" };
	cs[1] = (struct topo_consumer){ .name = (char *)"c2", .queue = (char *)"q2" };
	f.topo.queues = qs;
	f.topo.nqueues = 2;
	f.topo.bindings = bs;
	f.topo.nbindings = 2;
	f.topo.consumers = cs;
	f.topo.nconsumers = 2;
	fixture_declare(&f, 1);
	done_by[0] = done_by[1] = 0;
	publish(&f, 2, NULL);
	run(&f, 1000);
	assert_int_equal(done_by[0], 2);
	assert_int_equal(done_by[1], 2);
	assert_int_equal(counter(&f, "effects"), 4);
	assert_int_equal(counter(&f, "processed"), 2);
	assert_int_equal(counter(&f, "duplicated"), 0);
	fixture_done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_happy_path),
		cmocka_unit_test(test_unroutable_is_acked_not_nacked),
		cmocka_unit_test(test_mandatory_returns_then_acks),
		cmocka_unit_test(test_crash_keeps_only_written_persistent),
		cmocka_unit_test(test_autoack_crash_loses_buffer),
		cmocka_unit_test(test_manual_crash_after_work_duplicates),
		cmocka_unit_test(test_same_seed_same_transcript),
		cmocka_unit_test(test_round_robin_and_fanout_services),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
