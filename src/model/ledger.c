/*
 * The ledger: per-message fates derived from the event stream alone.
 *
 * Engines report what happened (a publish, a return, a delivery, the business
 * effect, a copy dropped, the last copy lost); the ledger turns that into one
 * small record per message and the counters a lesson checks. Fates follow a
 * fixed precedence: an effect applied twice by one consumer is a duplicate,
 * otherwise any effect is processed; otherwise a message whose last copy was lost is lost, one parked
 * in a dead-letter or error queue is dead-lettered, and the rest is in flight.
 * A duplicate is one consumer applying the effect twice; two services fed by
 * a fanout each applying theirs is not.
 */
#include "model/ledger.h"

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
};

static const struct {
	const char *name, *text;
} ledger_fates[FATE_COUNT] = {
#define LEDGER_FATE_ROW(id, name, text) [FATE_##id] = { name, text },
	LEDGER_FATES(LEDGER_FATE_ROW)
#undef LEDGER_FATE_ROW
};

struct ledger *
ledger_create(void)
{
	return xcalloc(1, sizeof(struct ledger));
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
}

/* The entry for `id`, created (zeroed, never published) if new. */
static struct ledger_entry *
ledger_get(struct ledger *l, uint32_t id)
{
	if (id >= l->cap) {
		size_t old = l->cap;
		l->entries = xgrow(l->entries, &l->cap, (size_t)id + 1,
		    sizeof *l->entries);
		memset(l->entries + old, 0,
		    (l->cap - old) * sizeof *l->entries);
	}
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
		e->lost = 1;
		e->dead = 0;
		e->reason = (uint8_t)ev->reason;
		e->notice = (uint8_t)ev->notice;
		e->settled_at = ev->t;
		break;
	default:
		break;
	}
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

uint32_t
ledger_max_id(const struct ledger *l)
{
	return l->max_id;
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
	fputs("}}\n", out);
}
