/*
 * The ledger: per-message fates derived from the event stream alone.
 *
 * Engines report what happened (a publish, a return, a delivery, the business
 * effect, a copy dropped, the last copy lost); the ledger turns that into one
 * small record per message and the counters a lesson checks. Fates follow a
 * fixed precedence: an effect applied twice by one consumer is a duplicate,
 * otherwise any effect is processed; otherwise a message whose last copy was
 * lost is lost, one parked in a dead-letter or error queue is dead-lettered,
 * and the rest is in flight. A duplicate is one consumer applying the effect
 * twice; two services fed by a fanout each applying theirs is not.
 *
 * Copies. One rule (ledger_rule) says how each event moves a copy of its
 * message from place to place (enum ledger_place): a publish makes one on
 * its way, a route to n queues makes n-1 more, an enqueue puts one in a
 * queue (or parks it, when the dead-letter or republish before it went to a
 * dead or error queue), a delivery hands one to a consumer, the effect and
 * the ack process it, a drop discards it. The counters apply the rule to
 * counts per message; a story (struct ledger_story) applies it to copies
 * told apart by queue and consumer. Where the stream does not say which copy
 * moved, the rule lists the places in the order to look.
 */
#include "model/ledger.h"

#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

struct ledger {
	struct ledger_entry *entries; /* index = message id; 0 unused */
	size_t cap;
	uint32_t max_id;
	uint64_t published, confirmed, nacked, returned;
	uint64_t delivered, redelivered;
	uint64_t discarded_by[LOSS_COUNT]; /* copies discarded, by reason */
	uint64_t lost_with_copies; /* EV_LOST while a copy was live */
	uint64_t unsure;           /* entries whose `unsure` bit is set */
	int strict;                /* an EV_LOST while a copy is live aborts */
};

/* The copy counters took what was padding: keep it that way. */
_Static_assert(sizeof(struct ledger_entry) <= 32,
    "a ledger entry must stay within 32 bytes: there may be millions");

static const struct {
	const char *name, *text;
} ledger_fates[FATE_COUNT] = {
#define LEDGER_FATE_ROW(id, name, text) [FATE_##id] = { name, text },
	LEDGER_FATES(LEDGER_FATE_ROW)
#undef LEDGER_FATE_ROW
};

static const struct {
	const char *name;
	enum ledger_copy_fate fate;
} ledger_places[LEDGER_PLACE_COUNT] = {
#define LEDGER_PLACE_ROW(id, name, fate)                                       \
	[LEDGER_AT_##id] = { name, COPY_##fate },
	LEDGER_PLACES(LEDGER_PLACE_ROW)
#undef LEDGER_PLACE_ROW
};

static const struct {
	const char *name, *text;
} ledger_copy_fates[COPY_FATE_COUNT] = {
#define LEDGER_COPY_FATE_ROW(id, name, text) [COPY_##id] = { name, text },
	LEDGER_COPY_FATES(LEDGER_COPY_FATE_ROW)
#undef LEDGER_COPY_FATE_ROW
};

struct ledger *
ledger_create(void)
{
	struct ledger *l = xcalloc(1, sizeof(struct ledger));

#ifndef NDEBUG
	l->strict = 1;
#endif
	return l;
}

void
ledger_strict(struct ledger *l, int on)
{
	l->strict = on != 0;
}

void
ledger_free(struct ledger *l)
{
	if (l == NULL)
		return;
	free(l->entries);
	free(l);
}

void
ledger_reset(struct ledger *l)
{
	if (l->entries)
		memset(l->entries, 0, l->cap * sizeof *l->entries);
	l->max_id = 0;
	l->published = l->confirmed = l->nacked = l->returned = 0;
	l->delivered = l->redelivered = 0;
	memset(l->discarded_by, 0, sizeof l->discarded_by);
	l->lost_with_copies = l->unsure = 0;
}

/* The entry for `id`, created (zeroed, never published) if new. */
static struct ledger_entry *
ledger_get(struct ledger *l, uint32_t id)
{
	l->entries = xgrow_zero(l->entries, &l->cap, (size_t)id + 1,
	    sizeof *l->entries);
	if (id > l->max_id) {
		for (uint32_t i = l->max_id + 1; i <= id; i++)
			l->entries[i].published_at = -1;
		l->max_id = id;
	}
	return &l->entries[id];
}

static uint16_t
ledger_inc16(uint16_t v)
{
	return v == UINT16_MAX ? v : (uint16_t)(v + 1);
}

/* ---- copies ------------------------------------------------------------ */

#define LEDGER_NOWHERE LEDGER_PLACE_COUNT
#define LEDGER_MAX_STEPS 5

/* How a move's event names the copy it means, for a story. */
enum ledger_hint {
	HINT_NONE,
	HINT_QUEUE,    /* `where` is the copy's queue */
	HINT_CONSUMER, /* `where` is the consumer that has it */
	HINT_READS,    /* `where` is a consumer: the copy is in its queue */
	HINT_ANY,      /* `where` is its queue or its consumer */
};

/*
 * What an event does to one copy of its message. The first step whose
 * `from` place holds a copy moves it to `to`; when none does, a new copy
 * appears at `make` (LEDGER_NOWHERE: none), and if a step should have
 * applied (`expect`), or a copy in hands may have been the one meant
 * (`held`), the counts are a guess from then on.
 */
struct ledger_move {
	struct {
		uint8_t from, to;     /* enum ledger_place */
	} step[LEDGER_MAX_STEPS];     /* in the order to look */
	uint8_t nsteps;
	uint8_t make;
	uint8_t expect;
	uint8_t held;
	uint8_t hint;                 /* enum ledger_hint */
	uint8_t set_queue;            /* the copy is now in queue `where` */
	uint8_t set_consumer;         /* the copy is now with consumer `where` */
};

#define LS(a, b) { LEDGER_AT_##a, LEDGER_AT_##b }

/* A publish: a copy on its way to the exchange. */
static const struct ledger_move ledger_mv_publish = {
	.make = LEDGER_AT_TRANSIT,
};

/*
 * Into a queue, [fresh][park]: the copy was on its way, unless a republish
 * announced a new one; parked when the dead-letter or republish before it
 * went to a dead or error queue.
 */
static const struct ledger_move ledger_mv_enqueue[2][2] = {
	{ { .step = { LS(TRANSIT, QUEUED) }, .nsteps = 1, .expect = 1,
	      .make = LEDGER_AT_QUEUED, .set_queue = 1 },
	    { .step = { LS(TRANSIT, PARKED) }, .nsteps = 1, .expect = 1,
		.make = LEDGER_AT_PARKED, .set_queue = 1 } },
	{ { .make = LEDGER_AT_QUEUED, .set_queue = 1 },
	    { .make = LEDGER_AT_PARKED, .set_queue = 1 } },
};

/* Refused by a full queue, [fresh]: it will be dropped. */
static const struct ledger_move ledger_mv_reject_publish[2] = {
	{ .step = { LS(TRANSIT, TRANSIT) }, .nsteps = 1, .expect = 1,
	    .make = LEDGER_AT_TRANSIT, .set_queue = 1 },
	{ .make = LEDGER_AT_TRANSIT, .set_queue = 1 },
};

/*
 * Dropped from the head, [fresh]: the oldest copy in the queue, or (with
 * x-max-length=0) the one arriving; it goes on to be dead-lettered or
 * dropped.
 */
static const struct ledger_move ledger_mv_drop_head[2] = {
	{ .step = { LS(QUEUED, TRANSIT), LS(PARKED, TRANSIT),
	      LS(TRANSIT, TRANSIT) }, .nsteps = 3, .expect = 1,
	    .make = LEDGER_AT_TRANSIT, .hint = HINT_QUEUE },
	{ .make = LEDGER_AT_TRANSIT, .hint = HINT_QUEUE },
};

/* Expired; in hands: put back without an event by a broker going down. */
static const struct ledger_move ledger_mv_expire = {
	.step = { LS(QUEUED, TRANSIT), LS(PARKED, TRANSIT),
	    LS(HANDS, TRANSIT), LS(WORKED, TRANSIT) }, .nsteps = 4,
	.expect = 1, .make = LEDGER_NOWHERE, .hint = HINT_QUEUE,
};

/*
 * A dead-letter to a further target of a fan-out: a new copy. Where the
 * stream did not say a copy was dying, one already on its way is taken
 * rather than a new one made. A quorum queue that reaches its delivery
 * limit as a consumer goes away dead-letters a copy straight from hands,
 * without an event to say so: with a copy in hands, the counts are a
 * guess.
 */
static const struct ledger_move ledger_mv_dead_letter = {
	.step = { LS(TRANSIT, TRANSIT) }, .nsteps = 1,
	.make = LEDGER_AT_TRANSIT, .held = 1,
};

/*
 * A delivery. In hands already: put back without an event (a broker going
 * down), or its ack never reached the broker.
 */
static const struct ledger_move ledger_mv_deliver = {
	.step = { LS(QUEUED, HANDS), LS(PARKED, HANDS), LS(TRANSIT, HANDS),
	    LS(HANDS, HANDS), LS(WORKED, HANDS) }, .nsteps = 5,
	.expect = 1, .make = LEDGER_AT_HANDS, .hint = HINT_READS,
	.set_consumer = 1,
};

/* The effect applied or a duplicate skipped; none in hand: its consumer
 * lost it before finishing. */
static const struct ledger_move ledger_mv_work = {
	.step = { LS(HANDS, WORKED) }, .nsteps = 1,
	.make = LEDGER_NOWHERE, .hint = HINT_CONSUMER,
};

/* Acked without the effect: it was republished, or already dropped. */
static const struct ledger_move ledger_mv_ack = {
	.step = { LS(WORKED, PROCESSED), LS(HANDS, GONE) }, .nsteps = 2,
	.make = LEDGER_NOWHERE, .hint = HINT_CONSUMER,
};

/* Nacked or rejected: requeued, dead-lettered or dropped next. */
static const struct ledger_move ledger_mv_nack = {
	.step = { LS(HANDS, TRANSIT), LS(WORKED, TRANSIT) }, .nsteps = 2,
	.expect = 1, .make = LEDGER_NOWHERE, .hint = HINT_CONSUMER,
};

/* Nacked back, or taken back from a consumer that went away (with its
 * ack, if it had sent one). */
static const struct ledger_move ledger_mv_requeue = {
	.step = { LS(TRANSIT, QUEUED), LS(HANDS, QUEUED), LS(WORKED, QUEUED),
	    LS(PROCESSED, QUEUED) }, .nsteps = 4,
	.expect = 1, .make = LEDGER_NOWHERE, .hint = HINT_QUEUE, .set_queue = 1,
};

/*
 * Dropped, [where to look][discarded, lost]: a copy the ledger never saw (a
 * publish that never left) is dropped too, so nothing is expected.
 */
#define LEDGER_DROP(a, b, c, d, e)                                             \
	{ { .step = { LS(a, DISCARDED), LS(b, DISCARDED), LS(c, DISCARDED),    \
	      LS(d, DISCARDED), LS(e, DISCARDED) }, .nsteps = 5,              \
	    .make = LEDGER_AT_DISCARDED, .hint = HINT_ANY },                   \
	    { .step = { LS(a, LOST), LS(b, LOST), LS(c, LOST), LS(d, LOST),    \
		  LS(e, LOST) }, .nsteps = 5,                                  \
		.make = LEDGER_AT_LOST, .hint = HINT_ANY } }
enum { DROP_AUTOACK, DROP_REJECTED, DROP_OTHER };
static const struct ledger_move ledger_mv_drop[3][2] = {
	[DROP_AUTOACK] = LEDGER_DROP(HANDS, TRANSIT, QUEUED, PARKED, WORKED),
	[DROP_REJECTED] = LEDGER_DROP(TRANSIT, HANDS, QUEUED, PARKED, WORKED),
	[DROP_OTHER] = LEDGER_DROP(TRANSIT, QUEUED, PARKED, HANDS, WORKED),
};
#undef LEDGER_DROP
#undef LS

/*
 * The rule: the move event `ev` makes (NULL: none) and the copies it adds
 * on their way (*extra: a route to several queues); updates the pending
 * bits of `e` (park, dying, fresh). Both the counters and the story apply
 * it.
 */
static const struct ledger_move *
ledger_rule(struct ledger_entry *e, const struct event *ev, unsigned *extra)
{
	const struct ledger_move *mv;

	*extra = 0;
	switch (ev->kind) {
	case EV_PUBLISH:
		e->park = e->dying = e->fresh = 0;
		return &ledger_mv_publish;
	case EV_ROUTED:
		if (ev->flag > 1)
			*extra = (unsigned)ev->flag - 1;
		return NULL;
	case EV_ENQUEUE:
		mv = &ledger_mv_enqueue[e->fresh][e->park];
		e->park = e->fresh = 0;
		return mv;
	case EV_REJECT_PUBLISH:
		mv = &ledger_mv_reject_publish[e->fresh];
		e->park = e->fresh = 0;
		return mv;
	case EV_DROP_HEAD:
		mv = &ledger_mv_drop_head[e->fresh];
		e->dying = 1;
		e->fresh = 0;
		return mv;
	case EV_EXPIRE:
		e->dying = 1;
		return &ledger_mv_expire;
	case EV_DEAD_LETTER:
		/* The dying copy goes to the first target; a further target
		   gets a new one (several copies can die at one instant). */
		e->park = (ev->flag & 1) != 0;
		if (ev->flag & EVENT_DL_NEW_COPY) {
			*extra = 1;
			return NULL;
		}
		if (!e->dying)
			return &ledger_mv_dead_letter;
		e->dying = 0;
		return NULL;
	case EV_REPUBLISH:
		/* The copy in hand stays there until its ack; each queue the
		 * error exchange routes to gets a new one. */
		e->park = ev->flag != 0;
		e->fresh = 1;
		return NULL;
	case EV_DELIVER:
		return &ledger_mv_deliver;
	case EV_WORK_DONE:
	case EV_DUP_SKIP:
		return &ledger_mv_work;
	case EV_ACK:
		/* With a detail the frame was never sent: the broker put the
		 * copy back. */
		return ev->detail ? NULL : &ledger_mv_ack;
	case EV_NACK:
	case EV_REJECT:
		if (ev->detail)
			return NULL;
		e->dying = 1;
		return &ledger_mv_nack;
	case EV_REQUEUE:
		e->dying = 0;
		return &ledger_mv_requeue;
	case EV_DISCARD:
	case EV_LOST:
		e->park = e->dying = e->fresh = 0;
		return &ledger_mv_drop[ev->reason == LOSS_AUTOACK_CRASH ||
		    ev->reason == LOSS_AUTOACK_EXCEPTION ? DROP_AUTOACK :
		    ev->reason == LOSS_REJECTED ? DROP_REJECTED : DROP_OTHER]
		    [ev->kind == EV_LOST];
	default:
		return NULL;
	}
}

static void
ledger_set_unsure(struct ledger *l, struct ledger_entry *e)
{
	if (!e->unsure && l)
		l->unsure++;
	e->unsure = 1;
}

/* Adds n copies at place p (counted places only), sticking at 255. */
static void
ledger_count_add(struct ledger *l, struct ledger_entry *e,
    enum ledger_place p, unsigned n)
{
	if (p >= LEDGER_COUNTED || n == 0)
		return;
	if (e->copies[p] + n > UINT8_MAX) {
		e->copies[p] = UINT8_MAX;
		ledger_set_unsure(l, e);
	} else
		e->copies[p] = (uint8_t)(e->copies[p] + n);
}

/*
 * Applies move *mv (NULL: none) and `extra` new copies on their way to the
 * counts of `e`. Returns where the copy went (LEDGER_NOWHERE: nowhere).
 */
static enum ledger_place
ledger_count_move(struct ledger *l, struct ledger_entry *e,
    const struct ledger_move *mv, unsigned extra)
{
	enum ledger_place to = LEDGER_NOWHERE;

	ledger_count_add(l, e, LEDGER_AT_TRANSIT, extra);
	if (mv == NULL)
		return to;
	for (uint8_t i = 0; i < mv->nsteps; i++) {
		uint8_t from = mv->step[i].from;

		if (e->copies[from] == 0)
			continue;
		/* A count stuck at 255 stays there: it is a guess already. */
		if (e->copies[from] != UINT8_MAX)
			e->copies[from]--;
		to = mv->step[i].to;
		ledger_count_add(l, e, to, 1);
		return to;
	}
	if (mv->expect || (mv->held && e->copies[LEDGER_AT_HANDS]))
		ledger_set_unsure(l, e);
	to = mv->make;
	ledger_count_add(l, e, to, 1);
	return to;
}

unsigned
ledger_copies_live(const struct ledger_entry *e)
{
	return (unsigned)e->copies[LEDGER_AT_TRANSIT] +
	    e->copies[LEDGER_AT_QUEUED] + e->copies[LEDGER_AT_PARKED] +
	    e->copies[LEDGER_AT_HANDS];
}

unsigned
ledger_copies(const struct ledger_entry *e)
{
	unsigned n = e->lost;

	for (int p = 0; p < LEDGER_COUNTED; p++)
		n += e->copies[p];
	return n;
}

/* A copy discarded for `why`, in the ledger's totals. */
static void
ledger_count_discard(struct ledger *l, enum loss_reason why)
{
	if ((unsigned)why < LOSS_COUNT)
		l->discarded_by[why]++;
}

/*
 * EV_LOST: the engine says the last copy is gone. If the ledger still
 * counts a live one and its counts are sure, that is the engine's bug:
 * counted, and fatal when the ledger is strict (the test build); the
 * message is then not called lost, the copy is counted discarded. Counts
 * that are a guess yield to the engine.
 */
static void
ledger_lost(struct ledger *l, struct ledger_entry *e, const struct event *ev)
{
	const struct ledger_move *mv;
	unsigned extra, live;

	mv = ledger_rule(e, ev, &extra);
	ledger_count_move(l, e, mv, extra);
	live = ledger_copies_live(e);
	if (live && !e->unsure) {
		l->lost_with_copies++;
		if (l->strict)
			fprintf(stderr, "ledger: m%" PRIu32 " reported lost "
			    "while %u copies of it are live\n", ev->msg, live);
		assert(!l->strict && "EV_LOST while a copy is live");
		ledger_count_add(l, e, LEDGER_AT_DISCARDED, 1);
		ledger_count_discard(l, ev->reason);
		return;
	}
	for (int p = 0; p < LEDGER_COUNTED; p++)
		if (ledger_places[p].fate == COPY_IN_FLIGHT ||
		    ledger_places[p].fate == COPY_DEAD)
			e->copies[p] = 0;
	e->lost = 1;
	e->dead = 0;
	e->reason = (uint8_t)ev->reason;
	e->notice = (uint8_t)ev->notice;
	e->settled_at = ev->t;
}

/* Moves the copies of `e` for any event but EV_LOST. */
static void
ledger_copies_apply(struct ledger *l, struct ledger_entry *e,
    const struct event *ev)
{
	unsigned extra;
	const struct ledger_move *mv = ledger_rule(e, ev, &extra);

	if (ledger_count_move(l, e, mv, extra) == LEDGER_AT_DISCARDED)
		ledger_count_discard(l, ev->reason);
}

void
ledger_apply(struct ledger *l, const struct event *ev)
{
	struct ledger_entry *e;

	if (ev->msg == 0)
		return;
	e = ledger_get(l, ev->msg);
	switch (ev->kind) {
	case EV_PAID:
		e->paid = 1;
		break;
	case EV_PUBLISH:
		l->published++;
		if (e->published_at < 0)
			e->published_at = ev->t;
		/* A resend gives the message a new live copy. */
		e->lost = 0;
		break;
	case EV_CONFIRM_ACK:
		l->confirmed++;
		e->confirmed = 1;
		break;
	case EV_CONFIRM_NACK:
		l->nacked++;
		e->nacked = 1;
		break;
	case EV_RETURN:
		l->returned++;
		e->returned = 1;
		break;
	case EV_DELIVER:
		l->delivered++;
		if (ev->flag)
			l->redelivered++;
		e->deliveries = ledger_inc16(e->deliveries);
		/* Taken out of a dead-letter queue by a consumer. */
		e->dead = 0;
		break;
	case EV_WORK_DONE:
	case EV_RECONCILE: {
		/*
		 * Each consumer (a fanout may feed several services) applies
		 * its own effect; the same one applying it again is the
		 * duplicate, which the service itself reports (flag 1).
		 */
		if (ev->kind == EV_WORK_DONE && (ev->flag & 1))
			e->dup = 1;
		e->effects = ledger_inc16(e->effects);
		e->order_paid = 1;
		e->settled_at = ev->t;
		if (ev->kind == EV_RECONCILE)
			e->repaired = 1;
		break;
	}
	case EV_DEAD_LETTER:
	case EV_REPUBLISH:
		/* detail "parked": it landed in a dead or error queue. */
		if (ev->flag)
			e->dead = 1;
		e->settled_at = ev->t;
		break;
	case EV_LOST:
		ledger_lost(l, e, ev);
		return;
	default:
		break;
	}
	ledger_copies_apply(l, e, ev);
}

const struct ledger_entry *
ledger_entry(const struct ledger *l, uint32_t msg)
{
	if (msg == 0 || msg > l->max_id)
		return NULL;
	return &l->entries[msg];
}

enum ledger_fate
ledger_fate(const struct ledger_entry *e)
{
	if (e->dup)
		return FATE_DUPLICATED;
	if (e->effects >= 1)
		return FATE_PROCESSED;
	if (e->lost)
		return FATE_LOST;
	if (e->dead)
		return FATE_DEAD;
	return FATE_IN_FLIGHT;
}

const char *
ledger_fate_name(enum ledger_fate f)
{
	return (unsigned)f < FATE_COUNT ? ledger_fates[f].name : "?";
}

const char *
ledger_fate_text(enum ledger_fate f)
{
	return (unsigned)f < FATE_COUNT ? ledger_fates[f].text : "?";
}

enum ledger_copy_fate
ledger_place_fate(enum ledger_place p)
{
	return (unsigned)p < LEDGER_PLACE_COUNT ? ledger_places[p].fate :
	    COPY_NONE;
}

const char *
ledger_place_name(enum ledger_place p)
{
	return (unsigned)p < LEDGER_PLACE_COUNT ? ledger_places[p].name : "?";
}

const char *
ledger_copy_fate_name(enum ledger_copy_fate f)
{
	return (unsigned)f < COPY_FATE_COUNT ? ledger_copy_fates[f].name : "?";
}

const char *
ledger_copy_fate_text(enum ledger_copy_fate f)
{
	return (unsigned)f < COPY_FATE_COUNT ? ledger_copy_fates[f].text : "?";
}

void
ledger_check(const struct ledger *l, struct ledger_check *c)
{
	c->lost_with_copies = l->lost_with_copies;
	c->unsure = l->unsure;
}

uint32_t
ledger_max_id(const struct ledger *l)
{
	return l->max_id;
}

/* Adds the copies of `e` to the summary. */
static void
ledger_summarize_copies(const struct ledger_entry *e, struct ledger_summary *s)
{
	unsigned n = ledger_copies(e);

	for (int p = 0; p < LEDGER_COUNTED; p++)
		s->copy[ledger_places[p].fate] += e->copies[p];
	s->copy[COPY_LOST] += e->lost;
	s->copies += n;
	if (n > 1)
		s->multi_copy++;
}

void
ledger_summarize(const struct ledger *l, struct ledger_summary *s)
{
	memset(s, 0, sizeof *s);
	s->published = l->published;
	s->confirmed = l->confirmed;
	s->nacked = l->nacked;
	s->returned = l->returned;
	s->delivered = l->delivered;
	s->redelivered = l->redelivered;
	memcpy(s->discarded_by, l->discarded_by, sizeof s->discarded_by);
	for (uint32_t id = 1; id <= l->max_id; id++) {
		const struct ledger_entry *e = &l->entries[id];
		enum ledger_fate f;

		if (e->published_at < 0 && !e->paid)
			continue;
		s->messages++;
		f = ledger_fate(e);
		s->fate[f]++;
		s->effects += e->effects;
		if (f == FATE_LOST) {
			s->lost_by[e->reason]++;
			if (e->notice == NOTICE_SILENT)
				s->lost_silent++;
			else
				s->lost_notified++;
		}
		ledger_summarize_copies(e, s);
		if (e->repaired)
			s->repaired++;
		if (e->paid && !e->order_paid &&
		    (f == FATE_LOST || f == FATE_DEAD))
			s->inconsistent++;
	}
}

/* Counters by name: name and offset into struct ledger_summary. */
static const struct {
	const char *name;
	size_t offset;
} ledger_counters[] = {
	{ "messages", offsetof(struct ledger_summary, messages) },
	{ "published", offsetof(struct ledger_summary, published) },
	{ "confirmed", offsetof(struct ledger_summary, confirmed) },
	{ "nacked", offsetof(struct ledger_summary, nacked) },
	{ "returned", offsetof(struct ledger_summary, returned) },
	{ "delivered", offsetof(struct ledger_summary, delivered) },
	{ "redelivered", offsetof(struct ledger_summary, redelivered) },
	{ "effects", offsetof(struct ledger_summary, effects) },
	{ "in_flight", offsetof(struct ledger_summary, fate[FATE_IN_FLIGHT]) },
	{ "processed", offsetof(struct ledger_summary, fate[FATE_PROCESSED]) },
	{ "duplicated", offsetof(struct ledger_summary, fate[FATE_DUPLICATED]) },
	{ "dead_lettered", offsetof(struct ledger_summary, fate[FATE_DEAD]) },
	{ "lost", offsetof(struct ledger_summary, fate[FATE_LOST]) },
	{ "lost_silent", offsetof(struct ledger_summary, lost_silent) },
	{ "lost_notified", offsetof(struct ledger_summary, lost_notified) },
	{ "inconsistent", offsetof(struct ledger_summary, inconsistent) },
	{ "repaired", offsetof(struct ledger_summary, repaired) },
};

#define LEDGER_NCOUNTERS (sizeof ledger_counters / sizeof ledger_counters[0])

int
ledger_counter(const struct ledger_summary *s, const char *name,
    uint64_t *value)
{
	for (size_t i = 0; i < LEDGER_NCOUNTERS; i++)
		if (strcmp(ledger_counters[i].name, name) == 0) {
			*value = *(const uint64_t *)((const char *)s +
			    ledger_counters[i].offset);
			return 0;
		}
	if (strncmp(name, "lost_", 5) == 0) {
		int r = event_reason_find(name + 5);
		if (r > LOSS_NONE) {
			*value = s->lost_by[r];
			return 0;
		}
	}
	return -1;
}

void
ledger_counter_names(void (*fn)(void *ctx, const char *name), void *ctx)
{
	char buf[64];

	for (size_t i = 0; i < LEDGER_NCOUNTERS; i++)
		fn(ctx, ledger_counters[i].name);
	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++) {
		snprintf(buf, sizeof buf, "lost_%s", event_reason_name(r));
		fn(ctx, buf);
	}
}

/* " (expired 100, queue_full 2)": discarded copies by reason, if any. */
static void
ledger_print_discards(FILE *out, const struct ledger_summary *s)
{
	const char *sep = " (";

	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++)
		if (s->discarded_by[r]) {
			fprintf(out, "%s%s %" PRIu64, sep, event_reason_name(r),
			    s->discarded_by[r]);
			sep = ", ";
		}
	if (sep[0] == ',')
		fputc(')', out);
}

/*
 * "  copies 300: processed 100, dead-lettered 100, discarded 100 (expired
 * 100)": what became of the copies, the fates that happened only.
 */
static void
ledger_print_copies(FILE *out, const struct ledger_summary *s)
{
	const char *sep = ": ";

	fprintf(out, "  copies %" PRIu64, s->copies);
	for (int f = 0; f < COPY_FATE_COUNT; f++) {
		if (s->copy[f] == 0)
			continue;
		fprintf(out, "%s%s %" PRIu64, sep, ledger_copy_fates[f].text,
		    s->copy[f]);
		sep = ", ";
		if (f == COPY_DISCARDED)
			ledger_print_discards(out, s);
	}
	fputc('\n', out);
}

void
ledger_print_summary(FILE *out, const struct ledger_summary *s)
{
	fprintf(out, "ledger: %" PRIu64 " messages\n", s->messages);
	fprintf(out, "  published %" PRIu64 "  confirmed %" PRIu64
	    "  nacked %" PRIu64 "  returned %" PRIu64 "\n",
	    s->published, s->confirmed, s->nacked, s->returned);
	fprintf(out, "  delivered %" PRIu64 "  redelivered %" PRIu64
	    "  effects %" PRIu64 "\n", s->delivered, s->redelivered,
	    s->effects);
	fprintf(out, "  processed once %" PRIu64 "  duplicated %" PRIu64
	    "  dead-lettered %" PRIu64 "  in flight %" PRIu64 "\n",
	    s->fate[FATE_PROCESSED], s->fate[FATE_DUPLICATED],
	    s->fate[FATE_DEAD], s->fate[FATE_IN_FLIGHT]);
	if (s->multi_copy)
		ledger_print_copies(out, s);
	fprintf(out, "  lost %" PRIu64 " (silently %" PRIu64
	    ", producer told %" PRIu64 ")\n", s->fate[FATE_LOST],
	    s->lost_silent, s->lost_notified);
	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++)
		if (s->lost_by[r])
			fprintf(out, "    %-18s %" PRIu64 "  at %s: %s\n",
			    event_reason_name(r), s->lost_by[r],
			    event_reason_hop(r), event_reason_text(r));
	fprintf(out, "  orders paid but shown unpaid %" PRIu64
	    "  repaired by reconciliation %" PRIu64 "\n",
	    s->inconsistent, s->repaired);
}

void
ledger_print_summary_json(FILE *out, const struct ledger_summary *s)
{
	fputs("{\"summary\":{", out);
	for (size_t i = 0; i < LEDGER_NCOUNTERS; i++)
		fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "",
		    ledger_counters[i].name,
		    *(const uint64_t *)((const char *)s +
			ledger_counters[i].offset));
	for (int r = LOSS_NONE + 1; r < LOSS_COUNT; r++)
		fprintf(out, ",\"lost_%s\":%" PRIu64, event_reason_name(r),
		    s->lost_by[r]);
	fprintf(out, ",\"copies\":%" PRIu64 ",\"multi_copy\":%" PRIu64,
	    s->copies, s->multi_copy);
	for (int f = 0; f < COPY_FATE_COUNT; f++)
		fprintf(out, ",\"copies_%s\":%" PRIu64,
		    ledger_copy_fates[f].name, s->copy[f]);
	fputs("}}\n", out);
}

/* ---- stories: the copies of one message told apart ---------------------- */

void
ledger_story_init(struct ledger_story *st, const struct topology *topo)
{
	memset(st, 0, sizeof *st);
	st->topo = topo;
}

void
ledger_story_free(struct ledger_story *st)
{
	free(st->copy);
	st->copy = NULL;
	st->ncopies = st->cap = 0;
}

/* The queue consumer `name` reads, or NULL if the topology does not say. */
static const char *
ledger_story_reads(const struct ledger_story *st, const char *name)
{
	if (st->topo == NULL)
		return NULL;
	for (size_t i = 0; i < st->topo->nconsumers; i++)
		if (strcmp(st->topo->consumers[i].name, name) == 0)
			return st->topo->consumers[i].queue;
	return NULL;
}

static int
ledger_same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Whether copy c is the one an event naming `where` means. */
static int
ledger_story_means(const struct ledger_story *st, const struct ledger_copy *c,
    enum ledger_hint hint, const char *where)
{
	if (where == NULL)
		return 0;
	switch (hint) {
	case HINT_QUEUE:
		return ledger_same(c->queue, where);
	case HINT_CONSUMER:
		return ledger_same(c->consumer, where);
	case HINT_READS:
		return ledger_same(c->queue, ledger_story_reads(st, where));
	case HINT_ANY:
		return ledger_same(c->queue, where) ||
		    ledger_same(c->consumer, where);
	default:
		return 0;
	}
}

/*
 * The copy move *mv takes, and where it goes (*to), or NULL. A copy the
 * event names wins over one at an earlier step; otherwise the steps' order
 * decides, as for the counters, and the oldest copy at that place.
 */
static struct ledger_copy *
ledger_story_pick(struct ledger_story *st, const struct ledger_move *mv,
    const char *where, uint8_t *to)
{
	for (int named = 1; named >= 0; named--)
		for (uint8_t i = 0; i < mv->nsteps; i++)
			for (size_t k = 0; k < st->ncopies; k++) {
				struct ledger_copy *c = &st->copy[k];

				if (c->at != mv->step[i].from)
					continue;
				if (named && !ledger_story_means(st, c,
				    mv->hint, where))
					continue;
				*to = mv->step[i].to;
				return c;
			}
	return NULL;
}

static struct ledger_copy *
ledger_story_add(struct ledger_story *st, enum ledger_place at)
{
	struct ledger_copy *c;

	st->copy = xgrow(st->copy, &st->cap, st->ncopies + 1, sizeof *st->copy);
	c = &st->copy[st->ncopies++];
	memset(c, 0, sizeof *c);
	c->at = at;
	return c;
}

void
ledger_story_apply(struct ledger_story *st, const struct event *ev)
{
	const struct ledger_move *mv;
	struct ledger_copy *c = NULL;
	uint8_t to = LEDGER_NOWHERE;
	unsigned extra;

	mv = ledger_rule(&st->e, ev, &extra);
	if (mv)
		c = ledger_story_pick(st, mv, ev->where, &to);
	if (c == NULL && mv && mv->make != LEDGER_NOWHERE) {
		to = mv->make;
		c = ledger_story_add(st, (enum ledger_place)to);
	}
	if (c != NULL) {
		c->at = (enum ledger_place)to;
		if (mv->set_queue)
			c->queue = ev->where;
		if (mv->set_consumer)
			c->consumer = ev->where;
		if (to == LEDGER_AT_DISCARDED || to == LEDGER_AT_LOST)
			c->reason = ev->reason;
	}
	for (unsigned i = 0; i < extra; i++)
		ledger_story_add(st, LEDGER_AT_TRANSIT);
}

size_t
ledger_story_count(const struct ledger_story *st)
{
	size_t n = 0;

	for (size_t k = 0; k < st->ncopies; k++)
		if (st->copy[k].at != LEDGER_AT_GONE)
			n++;
	return n;
}

const char *
ledger_copy_describe(const struct ledger_copy *c, const char **arg,
    const char **why)
{
	*arg = "";
	*why = NULL;
	switch (c->at) {
	case LEDGER_AT_TRANSIT:
		*arg = c->queue ? c->queue : "";
		return c->queue ? "on its way from %s" : "on its way";
	case LEDGER_AT_QUEUED:
		*arg = c->queue ? c->queue : "?";
		return "queued in %s";
	case LEDGER_AT_PARKED:
		*arg = c->queue ? c->queue : "?";
		return "parked in %s";
	case LEDGER_AT_HANDS:
		*arg = c->consumer ? c->consumer : "?";
		return "with consumer %s";
	case LEDGER_AT_WORKED:
	case LEDGER_AT_PROCESSED:
		*arg = c->consumer ? c->consumer : "?";
		return "processed by %s";
	case LEDGER_AT_DISCARDED:
	case LEDGER_AT_LOST:
		*why = event_reason_text(c->reason);
		*arg = c->queue ? c->queue : "";
		if (c->at == LEDGER_AT_LOST)
			return c->queue ? "lost from %s" : "lost";
		return c->queue ? "discarded from %s" : "discarded";
	default:
		return "consumed";
	}
}

void
ledger_story_print(FILE *out, const struct ledger_story *st)
{
	size_t n = ledger_story_count(st), i = 0;

	if (n < 2)
		return;
	fprintf(out, "copies: %zu\n", n);
	for (size_t k = 0; k < st->ncopies; k++) {
		const char *fmt, *arg, *why;

		if (st->copy[k].at == LEDGER_AT_GONE)
			continue;
		fmt = ledger_copy_describe(&st->copy[k], &arg, &why);
		fprintf(out, "  copy %zu: ", ++i);
		/* fmt is one of ledger_copy_describe's, with at most one %s. */
		fprintf(out, fmt, arg);
		if (why)
			fprintf(out, ": %s", why);
		fputc('\n', out);
	}
}
