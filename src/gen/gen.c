/*
 * The scenario generator: a grammar over the lesson script format, drawn
 * from a seeded random source, and the writer that renders a scenario as
 * script text.
 *
 * What keeps a generated outcome from measuring this machine's speed:
 * - every step is followed by a short pause (90 to 430 ms), and a failure
 *   is preceded by a quiet time (700 ms) in which the lab finishes what
 *   the steps before started: a publish step sends at most 5 messages, a
 *   consumer spends at most 40 ms on one, so what a failure catches in
 *   flight is not a matter of speed;
 * - durations are drawn from sets of "odd" values (730, 1170, 2390 ms ...)
 *   so that two timers started at step boundaries rarely end within a few
 *   milliseconds of each other, where the live engine's jitter would
 *   decide their order; each place a TTL can come from has its own set;
 * - a scenario with a broker crash or stop has no TTL of any kind: a real
 *   restart takes 4 to 15 s, the simulated one none, so what expires
 *   around it would be a race (see tests/facts/f12-crash-nondurable.cfg);
 * - no message fails forever: a consumer exception fails a bounded number
 *   of attempts (with requeue, how often a poison message is redelivered
 *   in a window is the machine's speed); an unreadable message only where
 *   one consumer can meet it;
 * - no burst: a publish of several messages spaces them 30 or 70 ms apart
 *   (how many back-to-back publishes reach a deleted exchange before its
 *   channel.close comes back is the round trip's), and one consumer a
 *   queue (competing consumers share by the broker's round robin);
 * - toggles that only change time scales the suite cannot match are left
 *   out: restart_ms (the real node takes its own time to start) and
 *   chaos (it strikes at random instants among messages in flight).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "lesson/script_write.h"
#include "model/topology.h"
#include "model/rng.h"
#include "model/toggle.h"
#include "util/xmalloc.h"

/* gen_ex_type counts as exchange_type. */
_Static_assert((int)GEN_HEADERS == (int)XTYPE_HEADERS &&
    (int)GEN_TOPIC == (int)XTYPE_TOPIC, "gen_ex_type follows exchange_type");

/* Keys a message is published with: business keys, then the queue names
   (which route through the default exchange). */
static const char *const gen_msg_keys[] = { "pay.ok", "pay.fail",
	"order.new", "audit", "q.a", "q.b", "q.c", "q.d" };
#define GEN_NKEYS 8
/* Binding keys of direct and topic exchanges. */
static const char *const gen_direct_keys[] = { "pay.ok", "pay.fail",
	"order.new", "audit" };
static const char *const gen_topic_keys[] = { "pay.*", "#", "*.new",
	"pay.ok", "order.#" };
/* Header sets, for headers bindings and for messages. */
struct gen_hdr_set {
	int n;
	const char *key[2], *value[2];
};
static const struct gen_hdr_set gen_hdrs[] = {
	{ 1, { "type" }, { "pay" } },
	{ 2, { "type", "region" }, { "pay", "eu" } },
	{ 1, { "region" }, { "us" } },
};
#define GEN_NHDRS 3

enum gen_target { GT_NONE, GT_LINK, GT_EXCHANGE, GT_QUEUE, GT_CONSUMER };

struct gen_failure {
	const char *name;
	int target;        /* enum gen_target */
	int needs_consumer;
	int ttl;           /* sets a TTL: not in crash scenarios */
};

static const struct gen_failure gen_failures[] = {
	{ "connection_lost", GT_LINK, 0, 0 },
	{ "blackhole", GT_LINK, 0, 0 },
	{ "missing_exchange", GT_EXCHANGE, 0, 0 },
	{ "unroutable", GT_NONE, 0, 0 },
	{ "queue_full", GT_QUEUE, 0, 0 },
	{ "consumer_crash_before", GT_CONSUMER, 1, 0 },
	{ "consumer_crash_after", GT_CONSUMER, 1, 0 },
	{ "consumer_exception", GT_CONSUMER, 1, 0 },
	{ "message_expiry", GT_QUEUE, 0, 1 },
};
#define GEN_NFAILURES (sizeof gen_failures / sizeof gen_failures[0])

/* The values a toggle is drawn from; toggles not listed are never set. */
struct gen_toggle_values {
	int id;
	int n;
	int64_t v[5];
};

static const struct gen_toggle_values gen_toggle_sets[] = {
	{ TOGGLE_CONFIRMS, 4, { 0, 1, 2, 3 } },
	{ TOGGLE_BATCH, 3, { 1, 3, 100 } },
	{ TOGGLE_MANDATORY, 2, { 0, 1 } },
	{ TOGGLE_DURABLE_EXCHANGE, 2, { 0, 1 } },
	{ TOGGLE_DURABLE_QUEUE, 2, { 0, 1 } },
	{ TOGGLE_PERSISTENT, 2, { 0, 1 } },
	{ TOGGLE_QUEUE_TYPE, 3, { 0, 1, 2 } },
	{ TOGGLE_ACK_MODE, 3, { 0, 1, 2 } },
	{ TOGGLE_PREFETCH, 4, { 0, 1, 3, 250 } },
	{ TOGGLE_WORK_MS, 3, { 0, 10, 40 } },
	{ TOGGLE_RETRY, 2, { 0, 1 } },
	{ TOGGLE_RETRY_ATTEMPTS, 3, { 1, 2, 4 } },
	{ TOGGLE_RETRY_INITIAL_MS, 2, { 270, 640 } },
	{ TOGGLE_RETRY_MULTIPLIER, 2, { 1000, 2000 } },
	{ TOGGLE_RETRY_MAX_MS, 2, { 900, 10000 } },
	{ TOGGLE_ON_FAILURE, 3, { 0, 1, 2 } },
	{ TOGGLE_IDEMPOTENCY, 3, { 0, 1, 2 } },
	{ TOGGLE_PRODUCER_RETRY, 2, { 0, 1 } },
	{ TOGGLE_PRODUCER_ATTEMPTS, 3, { 1, 3, 5 } },
	{ TOGGLE_PRODUCER_INITIAL_MS, 2, { 330, 1000 } },
	{ TOGGLE_PRODUCER_MULTIPLIER, 2, { 1000, 2000 } },
	{ TOGGLE_RESEND, 2, { 0, 1 } },
	{ TOGGLE_REOPEN_CHANNEL, 2, { 0, 1 } },
	{ TOGGLE_HEARTBEAT, 2, { 0, 60 } },
	{ TOGGLE_RECOVERY_MS, 3, { 520, 2130, 5000 } },
	{ TOGGLE_RECONCILE, 2, { 0, 1 } },
	{ TOGGLE_RECONCILE_MS, 2, { 1990, 10000 } },
};
#define GEN_NTOGGLES (sizeof gen_toggle_sets / sizeof gen_toggle_sets[0])

static const int gen_pauses[] = { 90, 210, 430 };
/*
 * TTLs: one set for queue arguments (shifted 120 ms per queue), one for
 * the message_expiry policy, one for per-message expiration, so that two
 * copies of a message never expire at the same instant in two places
 * (which copy went last would decide its loss reason).
 */
static const int64_t gen_ttls[] = { 1170, 2390 };
static const int64_t gen_policy_ttls[] = { 1650, 2870 };
static const int64_t gen_msg_ttls[] = { 1770, 3230 };
static const int64_t gen_cuts[] = { 730, 1810 };
/* The quiet time before a failure: the lab is idle by then. */
#define GEN_QUIET_MS 700
static const int gen_waits[] = { 1090, 2390 };

#define GEN_PICK(r, arr) ((arr)[rng_below((r), sizeof(arr) / sizeof((arr)[0]))])

static int
gen_chance(struct rng *r, int percent)
{
	return (int)rng_below(r, 100) < percent;
}

/*
 * A toggle and its value. In a scenario with a crash, not reconciliation:
 * the real restart's 4 to 15 s (none on the simulator) would give its
 * periodic job more rounds on one side.
 */
static void
gen_draw_toggle(struct rng *r, struct gen_tog *t, int crash)
{
	const struct gen_toggle_values *tv;

	do
		tv = &gen_toggle_sets[rng_below(r, GEN_NTOGGLES)];
	while (crash && tv->id == TOGGLE_RECONCILE);

	t->on = 1;
	t->id = tv->id;
	t->value = tv->v[rng_below(r, (uint64_t)tv->n)];
}

static void
gen_draw_queue(struct rng *r, struct gen_scn *g, struct gen_q *q, int crash)
{
	q->on = 1;
	q->type = gen_chance(r, 25) ? -1 : (int)rng_below(r, 3);
	q->durable = q->type == QTYPE_QUORUM ? -1
	    : gen_chance(r, 40) ? -1 : (int)rng_below(r, 2);
	q->ttl_ms = !crash && gen_chance(r, 25)
	    ? GEN_PICK(r, gen_ttls) + 120 * (q - g->q) : 0;
	q->max_length = gen_chance(r, 25) ? (int64_t)rng_below(r, 4) : -1;
	q->reject = gen_chance(r, 50);
	q->dlx = gen_chance(r, 35) ? (int)rng_below(r, (uint64_t)g->nex) : -1;
	q->dl_key = q->dlx >= 0 && gen_chance(r, 40)
	    ? (int)rng_below(r, GEN_NKEYS) : -1;
	q->limit = q->type == QTYPE_QUORUM && gen_chance(r, 40)
	    ? 1 + (int64_t)rng_below(r, 3) : 0;
	q->dead = gen_chance(r, 20);
}

/*
 * x-death pairs the broker model numbers for a queue with a dead-letter
 * exchange (broker.c: three reasons, four for a quorum queue; a queue
 * that follows the toggle may become one). The model keeps at most 8.
 */
static int
gen_death_pairs(const struct gen_q *q)
{
	return q->type == QTYPE_CLASSIC || q->type == QTYPE_LAZY ? 3 : 4;
}

static void
gen_draw_topology(struct rng *r, struct gen_scn *g, int crash)
{
	int pairs = 0;

	g->nex = 1 + (int)rng_below(r, GEN_MAX_EX);
	for (int i = 0; i < g->nex; i++) {
		g->ex[i].on = 1;
		g->ex[i].type = (int)rng_below(r, 4);
		g->ex[i].durable = gen_chance(r, 50) ? -1 : (int)rng_below(r, 2);
	}
	g->nq = 1 + (int)rng_below(r, GEN_MAX_Q);
	for (int i = 0; i < g->nq; i++) {
		gen_draw_queue(r, g, &g->q[i], crash);
		if (g->q[i].dlx >= 0 && pairs + gen_death_pairs(&g->q[i]) > 8)
			g->q[i].dlx = -1;
		if (g->q[i].dlx >= 0)
			pairs += gen_death_pairs(&g->q[i]);
	}
	g->nbind = (int)rng_below(r, GEN_MAX_BIND + 1);
	for (int i = 0; i < g->nbind; i++) {
		struct gen_bind *b = &g->bind[i];

		b->on = 1;
		b->ex = (int)rng_below(r, (uint64_t)g->nex);
		b->q = (int)rng_below(r, (uint64_t)g->nq);
		b->key = (int)rng_below(r, 5);
		b->any = gen_chance(r, 50);
		b->hdr = (int)rng_below(r, GEN_NHDRS);
	}
	/* One consumer a queue: which of two competing consumers gets the
	   next message is the broker's round robin, not a fate to compare. */
	g->ncons = (int)rng_below(r, (uint64_t)(g->nq < GEN_MAX_CONS ? g->nq
	    : GEN_MAX_CONS) + 1);
	for (int i = 0; i < g->ncons; i++) {
		g->cons[i].on = 1;
		g->cons[i].q = i;
	}
	g->pub_ex = gen_chance(r, 15) ? -1 : (int)rng_below(r, (uint64_t)g->nex);
	g->pub_key = (int)rng_below(r, GEN_NKEYS);
}

static void
gen_draw_publish(struct rng *r, const struct gen_scn *g, struct gen_step *s,
    int crash)
{
	s->count = 1 + (int)rng_below(r, 5);
	s->ex = gen_chance(r, 60) ? -1 : gen_chance(r, 15) ? GEN_MAX_EX
	    : (int)rng_below(r, (uint64_t)g->nex);
	s->key = gen_chance(r, 50) ? -1 : (int)rng_below(r, GEN_NKEYS);
	s->persistent = gen_chance(r, 60) ? -1 : (int)rng_below(r, 2);
	s->expiration_ms = !crash && gen_chance(r, 15)
	    ? GEN_PICK(r, gen_msg_ttls) : 0;
	s->every_ms = s->count > 1 ? (gen_chance(r, 50) ? 30 : 70) : 0;
	s->hdr = gen_chance(r, 40) ? (int)rng_below(r, GEN_NHDRS) : -1;
}

static void
gen_draw_failure(struct rng *r, const struct gen_scn *g, struct gen_step *s,
    int crash)
{
	const struct gen_failure *f;

	do {
		s->failure = (int)rng_below(r, GEN_NFAILURES);
		f = &gen_failures[s->failure];
	} while ((f->needs_consumer && g->ncons == 0) || (f->ttl && crash));
	s->target = -1;
	switch (f->target) {
	case GT_LINK:
		s->target = g->ncons > 0 && gen_chance(r, 40)
		    ? (int)rng_below(r, (uint64_t)g->ncons) : -1;
		s->ms = GEN_PICK(r, gen_cuts);
		break;
	case GT_EXCHANGE:
		s->target = (int)rng_below(r, (uint64_t)g->nex);
		break;
	case GT_QUEUE:
		s->target = (int)rng_below(r, (uint64_t)g->nq);
		if (f->ttl)
			s->ms = GEN_PICK(r, gen_policy_ttls);
		break;
	case GT_CONSUMER:
		s->target = (int)rng_below(r, (uint64_t)g->ncons);
		break;
	default:
		break;
	}
	if (strcmp(f->name, "unroutable") == 0)
		s->times = 1 + (int)rng_below(r, 2);
	if (strcmp(f->name, "consumer_exception") == 0) {
		/* Never "always" (0): with requeue, a message that always
		   throws is redelivered as fast as this machine goes (seed
		   297 saw 1110 deliveries on one side, 902 on the other). */
		s->times = 1 + (int)rng_below(r, 4);
		/* A message nobody can read fails on every consumer, so with
		   several consumers, which copies use up its failing
		   attempts is the order they get there in (seed 266). */
		s->unreadable = gen_chance(r, 20) && g->ncons == 1;
	}
}

static void
gen_draw_step(struct rng *r, const struct gen_scn *g, struct gen_step *s,
    int crash, int *crashes)
{
	uint64_t roll = rng_below(r, 100);

	memset(s, 0, sizeof *s);
	s->on = 1;
	s->pause_ms = GEN_PICK(r, gen_pauses);
	if (roll < 40) {
		s->kind = GEN_PUBLISH;
		gen_draw_publish(r, g, s, crash);
	} else if (roll < 52) {
		s->kind = GEN_TOGGLE;
		gen_draw_toggle(r, &s->tog, crash);
	} else if (roll < 74) {
		s->kind = GEN_FAIL;
		gen_draw_failure(r, g, s, crash);
	} else if (roll < 80 && crash && *crashes == 0) {
		s->kind = GEN_CRASH;
		s->failure = (int)rng_below(r, 2);
		(*crashes)++;
	} else if (roll < 88 && g->ncons > 0) {
		s->kind = gen_chance(r, 50) ? GEN_STOP : GEN_CONSUME;
		s->cons = (int)rng_below(r, (uint64_t)g->ncons);
	} else {
		s->kind = GEN_WAIT;
		s->pause_ms = GEN_PICK(r, gen_waits);
	}
}

void
gen_scenario(uint64_t seed, struct gen_scn *g)
{
	struct rng r;
	int crash, crashes = 0;

	memset(g, 0, sizeof *g);
	g->seed = seed;
	rng_seed(&r, seed ^ 0x67656e6572617465ULL);
	crash = gen_chance(&r, 30);
	gen_draw_topology(&r, g, crash);
	g->ntog = (int)rng_below(&r, GEN_MAX_TOG + 1);
	for (int i = 0; i < g->ntog; i++) {
		int dup;

		do {	/* a key may appear once in the toggles group */
			gen_draw_toggle(&r, &g->tog[i], crash);
			dup = 0;
			for (int k = 0; k < i; k++)
				dup |= g->tog[k].id == g->tog[i].id;
		} while (dup);
	}
	g->nstep = 5 + (int)rng_below(&r, GEN_MAX_STEP - 4);
	for (int i = 0; i < g->nstep; i++)
		gen_draw_step(&r, g, &g->step[i], crash, &crashes);
}

/* ---- units ---- */

size_t
gen_units(const struct gen_scn *g)
{
	return (size_t)(g->nex + g->nq + g->nbind + g->ncons + g->ntog +
	    g->nstep);
}

size_t
gen_units_on(struct gen_scn *g)
{
	size_t n = 0;

	for (size_t i = 0; i < gen_units(g); i++)
		n += *gen_unit(g, i) != 0;
	return n;
}

int *
gen_unit(struct gen_scn *g, size_t i)
{
	if (i < (size_t)g->nstep)
		return &g->step[i].on;
	i -= (size_t)g->nstep;
	if (i < (size_t)g->ntog)
		return &g->tog[i].on;
	i -= (size_t)g->ntog;
	if (i < (size_t)g->nbind)
		return &g->bind[i].on;
	i -= (size_t)g->nbind;
	if (i < (size_t)g->ncons)
		return &g->cons[i].on;
	i -= (size_t)g->ncons;
	if (i < (size_t)g->nq)
		return &g->q[i].on;
	i -= (size_t)g->nq;
	return &g->ex[i].on;
}

/* ---- the writer ---- */

/* Script text goes through the shared writer (lesson/script_write.h). */

static int
gen_ex_on(const struct gen_scn *g, int i)
{
	return i >= 0 && i < g->nex && g->ex[i].on;
}

static int
gen_q_on(const struct gen_scn *g, int i)
{
	return i >= 0 && i < g->nq && g->q[i].on;
}

static int
gen_cons_on(const struct gen_scn *g, int i)
{
	return i >= 0 && i < g->ncons && g->cons[i].on && gen_q_on(g, g->cons[i].q);
}

/* Adds exchange i of `g` to `t` (the gen_ex_type order is XTYPE_*'s). */
static void
gen_topo_exchange(struct topology *t, const struct gen_scn *g, int i)
{
	char name[8];

	snprintf(name, sizeof name, "ex.%c", 'a' + i);
	topology_add_exchange(t, name, (enum exchange_type)g->ex[i].type,
	    g->ex[i].durable);
}

static void
gen_topo_queue(struct topology *t, const struct gen_scn *g, int i)
{
	const struct gen_q *q = &g->q[i];
	struct topo_queue *n = &t->queues[t->nqueues++];

	topology_queue_init(n);
	n->name = xasprintf("q.%c", 'a' + i);
	n->type = q->type;
	n->durable = q->durable;
	if (q->ttl_ms > 0)
		n->ttl_ms = q->ttl_ms;
	n->max_length = q->max_length;
	if (q->max_length >= 0 && q->reject)
		n->overflow = OVERFLOW_REJECT_PUBLISH;
	if (gen_ex_on(g, q->dlx)) {
		n->dlx = xasprintf("ex.%c", 'a' + q->dlx);
		if (q->dl_key >= 0)
			n->dlrk = xstrdup(gen_msg_keys[q->dl_key]);
	}
	if (q->limit > 0 && q->type == QTYPE_QUORUM)
		n->delivery_limit = q->limit;
	if (q->dead)
		n->role = QROLE_DEAD;
}

static void
gen_topo_binding(struct topology *t, const struct gen_scn *g,
    const struct gen_bind *bd)
{
	int type = g->ex[bd->ex].type;
	const struct gen_hdr_set *h = &gen_hdrs[bd->hdr];
	char ex[8], q[8];
	struct topo_binding *n;

	snprintf(ex, sizeof ex, "ex.%c", 'a' + bd->ex);
	snprintf(q, sizeof q, "q.%c", 'a' + bd->q);
	n = topology_add_binding(t, ex, q, type == GEN_DIRECT ?
	    gen_direct_keys[bd->key % 4] : type == GEN_TOPIC ?
	    gen_topic_keys[bd->key] : "");
	n->match_all = !bd->any;
	if (type != GEN_HEADERS)
		return;
	for (int j = 0; j < h->n; j++)
		topology_binding_arg(n, h->key[j], h->value[j]);
}

/*
 * The units of `g` that are on, as a topology (written by the shared
 * script writer): what depends on a unit that is off is left out.
 */
static void
gen_topology(struct topology *t, const struct gen_scn *g)
{
	memset(t, 0, sizeof *t);
	t->queues = xcalloc(GEN_MAX_Q, sizeof *t->queues);
	for (int i = 0; i < g->nex; i++)
		if (g->ex[i].on)
			gen_topo_exchange(t, g, i);
	for (int i = 0; i < g->nq; i++)
		if (g->q[i].on)
			gen_topo_queue(t, g, i);
	for (int i = 0; i < g->nbind; i++) {
		const struct gen_bind *bd = &g->bind[i];

		if (bd->on && gen_ex_on(g, bd->ex) && gen_q_on(g, bd->q))
			gen_topo_binding(t, g, bd);
	}
	for (int i = 0; i < g->ncons; i++)
		if (gen_cons_on(g, i)) {
			char c[16], q[8];

			snprintf(c, sizeof c, "c%d", i + 1);
			snprintf(q, sizeof q, "q.%c", 'a' + g->cons[i].q);
			topology_add_consumer(t, c, q);
		}
	t->publish_exchange = gen_ex_on(g, g->pub_ex) ?
	    xasprintf("ex.%c", 'a' + g->pub_ex) : xstrdup("");
	t->publish_key = xstrdup(gen_msg_keys[g->pub_key]);
	for (int i = 0; i < g->nex; i++)
		if (g->ex[i].on) {
			t->error_exchange = xasprintf("ex.%c", 'a' + i);
			t->error_key = xstrdup("audit");
			break;
		}
}

static void
gen_write_topology(struct script_write_buf *b, const struct gen_scn *g)
{
	struct topology t;

	gen_topology(&t, g);
	script_write_topology(b, &t);
	topology_clear(&t);
}

static void
gen_write_toggle(struct script_write_buf *b, const struct gen_tog *t)
{
	script_write_toggle(b, (enum toggle_id)t->id, t->value);
}

static void
gen_write_publish(struct script_write_buf *b, const struct gen_scn *g,
    const struct gen_step *s)
{
	script_write_put(b, "do = \"publish\"; count = %d;", s->count);
	if (s->ex == GEN_MAX_EX)
		script_write_put(b, " exchange = \"\";");
	else if (gen_ex_on(g, s->ex))
		script_write_put(b, " exchange = \"ex.%c\";", 'a' + s->ex);
	if (s->key >= 0)
		script_write_put(b, " key = \"%s\";", gen_msg_keys[s->key]);
	if (s->persistent >= 0)
		script_write_put(b, " persistent = %s;", s->persistent ? "true" : "false");
	if (s->expiration_ms > 0)
		script_write_put(b, " expiration_ms = %" PRId64 ";", s->expiration_ms);
	if (s->every_ms > 0)
		script_write_put(b, " every_ms = %d;", s->every_ms);
	if (s->hdr >= 0) {
		const struct gen_hdr_set *h = &gen_hdrs[s->hdr];

		script_write_put(b, " headers = {");
		for (int j = 0; j < h->n; j++)
			script_write_put(b, " %s = \"%s\";", h->key[j],
			    h->value[j]);
		script_write_put(b, " };");
	}
}

/* Whether what failure step `s` aims at is still there. */
static int
gen_failure_aims(const struct gen_scn *g, const struct gen_step *s)
{
	const struct gen_failure *f = &gen_failures[s->failure];

	switch (f->target) {
	case GT_LINK:
		return s->target < 0 || gen_cons_on(g, s->target);
	case GT_EXCHANGE:
		return gen_ex_on(g, s->target);
	case GT_QUEUE:
		return gen_q_on(g, s->target);
	case GT_CONSUMER:
		return gen_cons_on(g, s->target);
	default:
		return 1;
	}
}

static void
gen_write_failure(struct script_write_buf *b, const struct gen_step *s)
{
	const struct gen_failure *f = &gen_failures[s->failure];

	script_write_put(b, "do = \"fail\"; failure = \"%s\";", f->name);
	if (f->target == GT_LINK && s->target >= 0)
		script_write_put(b, " target = \"c%d\";", s->target + 1);
	else if (f->target == GT_EXCHANGE)
		script_write_put(b, " target = \"ex.%c\";", 'a' + s->target);
	else if (f->target == GT_QUEUE)
		script_write_put(b, " target = \"q.%c\";", 'a' + s->target);
	else if (f->target == GT_CONSUMER)
		script_write_put(b, " target = \"c%d\";", s->target + 1);
	if (s->ms > 0)
		script_write_put(b, " ms = %" PRId64 ";", s->ms);
	if (s->times > 0)
		script_write_put(b, " times = %d;", s->times);
	if (s->unreadable)
		script_write_put(b, " unreadable = true;");
}

/* Whether step `s` is written: on, and what it names still there. */
static int
gen_step_shown(const struct gen_scn *g, const struct gen_step *s)
{
	if (!s->on)
		return 0;
	if (s->kind == GEN_FAIL)
		return gen_failure_aims(g, s);
	if (s->kind == GEN_CONSUME || s->kind == GEN_STOP)
		return gen_cons_on(g, s->cons);
	return 1;
}

/*
 * The longest consumer recovery interval the scenario can have in force
 * (the toggle's default when nothing sets it). After a restart the lab
 * waits that long and a quiet time more, so every client has reconnected
 * before the next step: when a retry timer fires against how long the real
 * node takes to come up is a race (seed 2 stopped a consumer that had
 * reconnected on one side only).
 */
static int64_t
gen_recovery_ms(const struct gen_scn *g)
{
	int64_t most = -1;

	for (int i = 0; i < g->ntog; i++)
		if (g->tog[i].on && g->tog[i].id == TOGGLE_RECOVERY_MS &&
		    g->tog[i].value > most)
			most = g->tog[i].value;
	for (int i = 0; i < g->nstep; i++) {
		const struct gen_step *s = &g->step[i];
		if (s->kind == GEN_TOGGLE && gen_step_shown(g, s) &&
		    s->tog.id == TOGGLE_RECOVERY_MS && s->tog.value > most)
			most = s->tog.value;
	}
	return most >= 0 ? most : toggle_info(TOGGLE_RECOVERY_MS)->def;
}

/* One step unit: its action, then its pause. */
static void
gen_write_step(struct script_write_buf *b, const struct gen_scn *g,
    const struct gen_step *s)
{
	switch (s->kind) {
	case GEN_PUBLISH:
		script_write_put(b, "  { ");
		gen_write_publish(b, g, s);
		script_write_put(b, " },\n");
		break;
	case GEN_TOGGLE:
		script_write_put(b, "  { do = \"toggle\"; set = {");
		gen_write_toggle(b, &s->tog);
		script_write_put(b, " }; },\n");
		break;
	case GEN_FAIL:
		script_write_put(b, "  { do = \"wait\"; ms = %d; },\n  { ", GEN_QUIET_MS);
		gen_write_failure(b, s);
		script_write_put(b, " },\n");
		break;
	case GEN_CRASH:
		script_write_put(b, "  { do = \"wait\"; ms = %d; },\n", GEN_QUIET_MS);
		script_write_put(b, "  { do = \"fail\"; failure = \"%s\"; },\n"
		    "  { do = \"wait\"; ms = 500; },\n  { do = \"restart\"; },\n"
		    "  { do = \"wait\"; ms = %" PRId64 "; },\n",
		    s->failure ? "broker_stop" : "broker_crash",
		    gen_recovery_ms(g) + GEN_QUIET_MS);
		break;
	case GEN_CONSUME:
	case GEN_STOP:
		script_write_put(b, "  { do = \"%s\"; consumer = \"c%d\"; },\n",
		    s->kind == GEN_STOP ? "stop" : "consume", s->cons + 1);
		break;
	default:
		break;
	}
	/* A publish's pause starts after its last message, so the next step
	   never lands on one of its sends. */
	script_write_put(b, "  { do = \"wait\"; ms = %d; },\n", s->pause_ms +
	    (s->kind == GEN_PUBLISH ? (s->count - 1) * s->every_ms : 0));
}

char *
gen_write(const struct gen_scn *g, const char *note)
{
	struct script_write_buf b;

	script_write_init(&b);
	while (note && *note) {
		size_t n = strcspn(note, "\n");

		script_write_put(&b, "# %.*s\n", (int)n, note);
		note += n + (note[n] == '\n');
	}
	script_write_put(&b, "id = \"gen-%" PRIu64 "\";\n", g->seed);
	script_write_put(&b, "title = { en = \"Generated scenario %" PRIu64 "\";"
	    " zh = \"生成的场景 %" PRIu64 "\"; };\n", g->seed, g->seed);
	script_write_put(&b, "seed = %" PRIu64 ";\n", g->seed % 1000000);
	gen_write_topology(&b, g);
	script_write_put(&b, "toggles = {");
	for (int i = 0; i < g->ntog; i++)
		if (g->tog[i].on)
			gen_write_toggle(&b, &g->tog[i]);
	/* Consumers subscribed and the producer connected before anything. */
	script_write_put(&b, " };\nsteps = (\n  { do = \"wait\"; ms = %d; },\n",
	    GEN_QUIET_MS);
	for (int i = 0; i < g->nstep; i++)
		if (gen_step_shown(g, &g->step[i]))
			gen_write_step(&b, g, &g->step[i]);
	script_write_put(&b, "  { do = \"settle\"; }\n);\n");
	return b.s;
}

char *
gen_save_file(const struct gen_scn *g, const char *note, const char *dir,
    char **cause)
{
	char *text = gen_write(g, note);
	char *path = xasprintf("%s/gen-%" PRIu64 ".cfg", dir, g->seed);
	FILE *f = fopen(path, "w");
	int ok = f != NULL && fputs(text, f) != EOF;

	if (f != NULL && fclose(f) != 0)
		ok = 0;
	if (!ok) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		free(path);
		path = NULL;
	}
	free(text);
	return path;
}
