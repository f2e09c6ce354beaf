/*
 * Unit tests of the broker model (src/broker) on a fake clock, with no
 * engine: x-death entries per (queue, reason) with counts that grow, expiry
 * fixed when a copy enters a queue (f34), policies that outlive a crash
 * (f35), an exchange's bindings going with it, fanout to more queues than
 * any fixed array held, the x-death limit refused at init with the limit
 * named, and the copy tally telling LOST from a discarded copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/broker.h"
#include "util/xmalloc.h"

#define NQ 100

struct fake {
	int64_t now;
	int64_t toggles[TOGGLE_COUNT];
	int events[EV_COUNT];
	struct sched sched;
	char last_detail[160];
};

static int64_t
fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static void
fake_emit(void *ctx, const struct event *ev)
{
	struct fake *f = ctx;

	f->events[ev->kind]++;
	if (ev->kind == EV_DEAD_LETTER && ev->detail)
		snprintf(f->last_detail, sizeof f->last_detail, "%s",
		    ev->detail);
}

static enum broker_fate
fake_keep_persistent(void *ctx, const struct broker_queue *q,
    const struct broker_msg *m)
{
	(void)ctx;
	return q->durable && m->persistent ? BROKER_KEEP : BROKER_DIES;
}

/*
 * A fanout "fan" to NQ queues q0..q99, a direct "work" exchange to "a" and
 * "b", which dead-letter into each other through "dl" with their own keys.
 */
struct world {
	struct topology t;
	struct topo_exchange x[3];
	struct topo_queue q[NQ + 2];
	struct topo_binding bd[NQ + 4];
	char names[NQ][16];
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	w->x[0] = (struct topo_exchange){ (char *)"fan", XTYPE_FANOUT,
		XTYPE_FANOUT, 1, 0 };
	w->x[1] = (struct topo_exchange){ (char *)"work", XTYPE_DIRECT,
		XTYPE_DIRECT, 1, 0 };
	w->x[2] = (struct topo_exchange){ (char *)"dl", XTYPE_DIRECT,
		XTYPE_DIRECT, 1, 0 };
	for (int i = 0; i < NQ + 2; i++) {
		topology_queue_init(&w->q[i]);
		w->q[i].type = QTYPE_CLASSIC;
		w->q[i].durable = 1;
	}
	for (int i = 0; i < NQ; i++) {
		snprintf(w->names[i], sizeof w->names[i], "q%d", i);
		w->q[i].name = w->names[i];
		w->bd[i] = (struct topo_binding){ (char *)"fan", w->names[i],
			(char *)"", NULL, 0, 1, 0 };
	}
	w->q[NQ].name = (char *)"a";
	w->q[NQ].dlx = (char *)"dl";
	w->q[NQ].dlrk = (char *)"to-b";
	w->q[NQ + 1].name = (char *)"b";
	w->q[NQ + 1].dlx = (char *)"dl";
	w->q[NQ + 1].dlrk = (char *)"to-a";
	w->bd[NQ] = (struct topo_binding){ (char *)"work", (char *)"a",
		(char *)"k", NULL, 0, 1, 0 };
	w->bd[NQ + 1] = (struct topo_binding){ (char *)"dl", (char *)"a",
		(char *)"to-a", NULL, 0, 1, 0 };
	w->bd[NQ + 2] = (struct topo_binding){ (char *)"dl", (char *)"b",
		(char *)"to-b", NULL, 0, 1, 0 };
	w->t.exchanges = w->x;
	w->t.nexchanges = 3;
	w->t.queues = w->q;
	w->t.nqueues = NQ + 2;
	w->t.bindings = w->bd;
	w->t.nbindings = NQ + 3;
}

/* One test's broker, its world and its fake engine (a cmocka fixture). */
struct rig {
	struct world w;
	struct fake f;
	struct broker b;
	int inited; /* broker_init was called: the broker must be freed */
};

static int
rig_new(void **state)
{
	struct rig *r = xcalloc(1, sizeof *r);

	sched_init(&r->f.sched);
	toggle_defaults(r->f.toggles);
	world_init(&r->w);
	*state = r;
	return 0;
}

static int
rig_free(void **state)
{
	struct rig *r = *state;

	if (r->inited)
		broker_free(&r->b);
	sched_free(&r->f.sched);
	free(r);
	return 0;
}

/* broker_init over the rig's world: 0, or -1 with *cause. */
static int
rig_init(struct rig *r, char **cause)
{
	struct broker_env env = { .ctx = &r->f, .now = fake_now,
		.sink = fake_emit, .sink_ctx = &r->f, .sched = &r->f.sched };

	r->inited = 1;
	return broker_init(&r->b, &r->w.t, r->f.toggles, &env, cause);
}

/* rig_new, and the broker up with its topology declared. */
static int
rig_up(void **state)
{
	struct rig *r;
	char *cause = NULL;

	rig_new(state);
	r = *state;
	assert_int_equal(rig_init(r, &cause), 0);
	broker_redeclare(&r->b);
	return 0;
}

/* A message id `id` published to exchange x with `key`. */
static struct broker_msg
msg(struct broker *b, uint32_t id, const char *key)
{
	struct broker_msg m;

	memset(&m, 0, sizeof m);
	m.id = id;
	m.key = broker_intern(b, key);
	m.expiration = -1;
	m.persistent = 1;
	broker_copy_add(b, id);
	return m;
}

/* Message `id` with `key` published to exchange x; no queue refuses it. */
static void
send(struct broker *b, int x, uint32_t id, const char *key)
{
	struct broker_msg m = msg(b, id, key);
	const int *targets;
	size_t n = broker_route(b, x, &m, &targets);
	int rejected = 0;

	broker_publish(b, x, &m, targets, n, 0, &rejected);
	assert_false(rejected);
}

static void
test_fanout_has_no_target_limit(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct fake *f = &r->f;

	send(b, 0, 1, "");
	for (int i = 0; i < NQ; i++)
		assert_int_equal(b->queues[i].ready.len, 1);
	assert_int_equal(f->events[EV_ENQUEUE], NQ);
	assert_int_equal(broker_tally(b, 1)->copies, NQ);
}

/* a rejects into b, b rejects into a: the counts per (queue, reason). */
static void
test_x_death_counts_per_queue_and_reason(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct fake *f = &r->f;
	int qa = NQ, qb = NQ + 1;

	send(b, 1, 1, "k");
	for (int round = 1; round <= 3; round++) {
		struct broker_msg c = broker_ring_pop(&b->queues[qa].ready);
		broker_dead_letter(b, qa, &c, BROKER_DIED_REJECTED,
		    LOSS_REJECTED);
		assert_int_equal(broker_death_count(b, &c, qa,
		    BROKER_DIED_REJECTED), round);
		c = broker_ring_pop(&b->queues[qb].ready);
		broker_dead_letter(b, qb, &c, BROKER_DIED_EXPIRED,
		    LOSS_EXPIRED);
		assert_int_equal(broker_death_count(b, &c, qb,
		    BROKER_DIED_EXPIRED), round);
		assert_int_equal(broker_death_count(b, &c, qa,
		    BROKER_DIED_REJECTED), round);
		assert_int_equal(broker_death_count(b, &c, qa,
		    BROKER_DIED_EXPIRED), 0);
	}
	assert_non_null(strstr(f->last_detail, "expired; x-death count=3"));
	/* Still one copy, in a: nothing was lost. */
	assert_int_equal(b->queues[qa].ready.len, 1);
	assert_int_equal(f->events[EV_LOST], 0);
}

static void
test_expiry_fixed_at_entry(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct fake *f = &r->f;
	int qa = NQ;

	send(b, 1, 1, "k");
	/* A TTL policy after the fact spares it ... */
	b->queues[qa].policy_ttl_ms = 500;
	f->now = 10 * 1000000;
	broker_expire(b, qa);
	assert_int_equal(b->queues[qa].ready.len, 1);
	assert_int_equal(broker_head_due(&b->queues[qa]), BROKER_NEVER);
	/* ... and applies to what comes next, at the head only. */
	send(b, 1, 2, "k");
	f->now += 2 * 1000000;
	broker_expire(b, qa);
	assert_int_equal(b->queues[qa].ready.len, 2);
	assert_int_equal(f->events[EV_EXPIRE], 0);
}

static void
test_policy_outlives_crash(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct fake *f = &r->f;
	int qa = NQ;

	send(b, 1, 1, "k");
	b->queues[qa].policy_max_length = 1;
	broker_down(b, 0);
	broker_survive(b, fake_keep_persistent);
	broker_up(b);
	assert_int_equal(b->queues[qa].ready.len, 1);
	assert_int_equal(broker_max_length(&b->queues[qa]), 1);
	/* Recovered after kill -9: flagged redelivered. */
	assert_true(broker_ring_at(&b->queues[qa].ready, 0)->redelivered);
	send(b, 1, 2, "k");
	assert_int_equal(b->queues[qa].ready.len, 1);
	assert_int_equal(f->events[EV_DROP_HEAD], 1);
	/* The pushed-out copy was dead-lettered into b, not lost. */
	assert_int_equal(b->queues[NQ + 1].ready.len, 1);
}

static void
test_exchange_delete_takes_bindings(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct broker_msg m;
	const int *targets;

	broker_delete_exchange(b, 1, "exchange.delete");
	assert_false(b->exchanges[1].exists);
	assert_false(b->bindings[NQ].exists);
	assert_true(b->bindings[NQ + 1].exists);
	b->exchanges[1].exists = 1; /* declared again, not bound again */
	m = msg(b, 1, "k");
	assert_int_equal(broker_route(b, 1, &m, &targets), 0);
	broker_redeclare(b);
	assert_int_equal(broker_route(b, 1, &m, &targets), 1);
	assert_int_equal(targets[0], NQ);
}

static void
test_too_many_death_pairs_refused(void **state)
{
	struct rig *r = *state;
	char *cause = NULL;

	for (int i = 0; i < 3; i++) {
		r->w.q[i].dlx = (char *)"dl";
		r->w.q[i].type = QTYPE_QUORUM;
	}
	assert_int_equal(rig_init(r, &cause), -1);
	assert_non_null(strstr(cause, "at most 8"));
	free(cause);
}

/* The last copy gone unprocessed is LOST; an earlier one a discard. */
static void
test_drop_lost_only_with_last_copy(void **state)
{
	struct rig *r = *state;
	struct broker *b = &r->b;
	struct fake *f = &r->f;

	broker_copy_add(b, 7);
	broker_copy_add(b, 7);
	broker_drop(b, 7, LOSS_EXPIRED, NOTICE_SILENT, "q0");
	assert_int_equal(f->events[EV_DISCARD], 1);
	assert_int_equal(f->events[EV_LOST], 0);
	broker_drop(b, 7, LOSS_EXPIRED, NOTICE_SILENT, "q0");
	assert_int_equal(f->events[EV_LOST], 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fanout_has_no_target_limit,
		    rig_up, rig_free),
		cmocka_unit_test_setup_teardown(test_x_death_counts_per_queue_and_reason,
		    rig_up, rig_free),
		cmocka_unit_test_setup_teardown(test_expiry_fixed_at_entry,
		    rig_up, rig_free),
		cmocka_unit_test_setup_teardown(test_policy_outlives_crash,
		    rig_up, rig_free),
		cmocka_unit_test_setup_teardown(test_exchange_delete_takes_bindings,
		    rig_up, rig_free),
		cmocka_unit_test_setup_teardown(test_too_many_death_pairs_refused,
		    rig_new, rig_free),
		cmocka_unit_test_setup_teardown(test_drop_lost_only_with_last_copy,
		    rig_up, rig_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
