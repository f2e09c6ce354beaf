/*
 * The watch tracker (see watch_track.h): events and the ledger for an
 * application the lab watches, and the index that matches deliveries to
 * publishes.
 *
 * The index is one open-addressing hash table of candidate lists: a
 * message-id's list holds the one message published with it, a digest's
 * list every message published with that routing key and body, in publish
 * order. Lists are never pruned: a message may be delivered again (a
 * requeue, a second queue of a fanout) long after its first delivery.
 */
#include "watch/watch_track.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/mono.h"
#include "util/xmalloc.h"

#define WT_FNV_OFFSET 0xcbf29ce484222325ULL
#define WT_FNV_PRIME 0x100000001b3ULL
#define WT_ACKED_QUEUES 4      /* queues remembered per message */

struct wt_msg {
	char *exchange;        /* as published; owned */
	char *routing_key;     /* owned */
	char *message_id;      /* owned; "" if none */
	uint32_t acked_q[WT_ACKED_QUEUES]; /* hashes of queues it was acked
					      from (0: free slot) */
	uint16_t publishes;    /* basic.publish frames (resends) */
	uint16_t acks;         /* consumer acks, auto-acks included */
	uint8_t autoack;       /* delivered to an auto-ack consumer */
	uint8_t stranger;      /* delivered, never seen published */
	uint8_t mandatory;
	uint8_t persistent;    /* its last publish had delivery mode 2 */
};

struct wt_slot {
	uint64_t key;          /* 0: free */
	char *str;             /* message-id slots: the id; NULL: a digest */
	uint32_t *msgs;
	size_t n, cap;
};

struct wt_queue {
	char *name, *dlx;
};

struct watch_track {
	struct ledger *ledger;
	watch_track_emit_fn emit;
	void *ctx;
	double t0;
	struct wt_msg *msgs;   /* by ledger id; [0] unused */
	size_t nmsgs, msgs_cap;
	struct wt_slot *slots;
	size_t nslots, used;   /* nslots a power of two */
	struct wt_queue *queues;
	size_t nqueues, queues_cap;
	struct watch_seen seen;
};

static uint64_t
wt_fnv(uint64_t h, const void *d, size_t n)
{
	const uint8_t *p = d;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= WT_FNV_PRIME;
	}
	return h;
}

uint64_t
watch_track_digest_start(const char *routing_key)
{
	/* The terminating NUL separates the key from the body. */
	return wt_fnv(WT_FNV_OFFSET, routing_key, strlen(routing_key) + 1);
}

uint64_t
watch_track_digest_add(uint64_t h, const void *d, size_t n)
{
	return wt_fnv(h, d, n);
}

struct watch_track *
watch_track_new(watch_track_emit_fn emit, void *ctx)
{
	struct watch_track *t = xcalloc(1, sizeof *t);

	t->ledger = ledger_create();
	ledger_strict(t->ledger, 0);
	t->emit = emit;
	t->ctx = ctx;
	t->t0 = mono_seconds();
	t->nmsgs = 1;
	t->msgs = xgrow_zero(NULL, &t->msgs_cap, 64, sizeof *t->msgs);
	t->nslots = 1024;
	t->slots = xcalloc(t->nslots, sizeof *t->slots);
	watch_seen_init(&t->seen);
	return t;
}

void
watch_track_free(struct watch_track *t)
{
	if (t == NULL)
		return;
	for (size_t i = 1; i < t->nmsgs; i++) {
		free(t->msgs[i].exchange);
		free(t->msgs[i].routing_key);
		free(t->msgs[i].message_id);
	}
	for (size_t i = 0; i < t->nslots; i++) {
		free(t->slots[i].str);
		free(t->slots[i].msgs);
	}
	for (size_t i = 0; i < t->nqueues; i++) {
		free(t->queues[i].name);
		free(t->queues[i].dlx);
	}
	free(t->queues);
	free(t->slots);
	free(t->msgs);
	ledger_free(t->ledger);
	watch_seen_free(&t->seen);
	free(t);
}

const struct ledger *
watch_track_ledger(const struct watch_track *t)
{
	return t->ledger;
}

void
watch_track_set_emit(struct watch_track *t, watch_track_emit_fn emit,
    void *ctx)
{
	t->emit = emit;
	t->ctx = ctx;
}

uint32_t
watch_track_last(const struct watch_track *t)
{
	return (uint32_t)(t->nmsgs - 1);
}

int
watch_track_message(const struct watch_track *t, uint32_t id,
    struct watch_track_msg *out)
{
	const struct ledger_entry *e;
	const struct wt_msg *m;

	if (id == 0 || id >= t->nmsgs)
		return -1;
	m = &t->msgs[id];
	e = ledger_entry(t->ledger, id);
	out->exchange = m->exchange ? m->exchange : "";
	out->routing_key = m->routing_key ? m->routing_key : "";
	out->persistent = m->persistent;
	out->published = m->publishes > 0 && !m->stranger;
	out->published_at = e ? e->published_at : -1;
	return 0;
}

struct watch_seen *
watch_track_seen(struct watch_track *t)
{
	return &t->seen;
}

double
watch_track_now(const struct watch_track *t)
{
	return mono_seconds() - t->t0;
}

/* ---- the index ------------------------------------------------------- */

/* The slot of (key, str), or the free slot where it would go. */
static struct wt_slot *
wt_find(struct watch_track *t, uint64_t key, const char *str)
{
	/* Keys are mixed first: digests and ids that share low bits would
	 * otherwise crowd one run of slots. */
	size_t mask = t->nslots - 1,
	    i = (size_t)((key * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;

	for (;;) {
		struct wt_slot *s = &t->slots[i];
		if (s->key == 0)
			return s;
		if (s->key == key && (str == NULL ? s->str == NULL :
		    s->str && strcmp(s->str, str) == 0))
			return s;
		i = (i + 1) & mask;
	}
}

static void
wt_grow(struct watch_track *t)
{
	struct wt_slot *old = t->slots;
	size_t n = t->nslots;

	t->nslots *= 2;
	t->slots = xcalloc(t->nslots, sizeof *t->slots);
	for (size_t i = 0; i < n; i++)
		if (old[i].key)
			*wt_find(t, old[i].key, old[i].str) = old[i];
	free(old);
}

/* The key of a message-id (kept apart from digests by its own seed). */
static uint64_t
wt_id_key(const char *id)
{
	uint64_t k = wt_fnv(WT_FNV_OFFSET ^ 0x5a5a, id, strlen(id));
	return k ? k : 1;
}

/* The candidate list for `k`: by message-id when it has one. */
static struct wt_slot *
wt_slot(struct watch_track *t, const struct watch_track_key *k, int add)
{
	int by_id = k->message_id && k->message_id[0];
	uint64_t key = by_id ? wt_id_key(k->message_id) :
	    (k->digest ? k->digest : 1);
	struct wt_slot *s = wt_find(t, key, by_id ? k->message_id : NULL);

	if (s->key || !add)
		return s->key ? s : NULL;
	if ((t->used + 1) * 2 > t->nslots) {
		wt_grow(t);
		s = wt_find(t, key, by_id ? k->message_id : NULL);
	}
	s->key = key;
	s->str = by_id ? xstrdup(k->message_id) : NULL;
	t->used++;
	return s;
}

static void
wt_slot_push(struct wt_slot *s, uint32_t msg)
{
	s->msgs = xgrow(s->msgs, &s->cap, s->n + 1, sizeof *s->msgs);
	s->msgs[s->n++] = msg;
}

/* ---- events ---------------------------------------------------------- */

/* Stamps `ev` with the time since the tracker started, applies it to the
 * ledger and hands it to the emit callback. */
static void
wt_apply(struct watch_track *t, struct event *ev)
{
	ev->t = (int64_t)((mono_seconds() - t->t0) * 1e6);
	ledger_apply(t->ledger, ev);
	if (t->emit)
		t->emit(t->ctx, ev);
}

void
watch_track_emit(struct watch_track *t, enum event_kind kind,
    enum event_actor actor, uint32_t msg, int code, int flag,
    const char *where, const char *detail)
{
	struct event ev = { .kind = kind, .actor = actor, .msg = msg,
	    .code = code, .flag = flag, .where = where, .detail = detail };

	wt_apply(t, &ev);
}

void
watch_track_drop(struct watch_track *t, uint32_t msg, enum loss_reason why,
    enum loss_notice notice, const char *where, const char *detail)
{
	const struct ledger_entry *e = ledger_entry(t->ledger, msg);
	/* The copy being dropped is one of the live ones. */
	struct event ev = {
		.kind = e && ledger_copies_live(e) > 1 ? EV_DISCARD : EV_LOST,
		.actor = ACTOR_BROKER, .msg = msg, .reason = why,
		.notice = notice, .where = where, .detail = detail };

	wt_apply(t, &ev);
}

/* A new ledger id, with an empty record. */
static uint32_t
wt_new_msg(struct watch_track *t)
{
	uint32_t id = (uint32_t)t->nmsgs;

	t->msgs = xgrow_zero(t->msgs, &t->msgs_cap, t->nmsgs + 1,
	    sizeof *t->msgs);
	t->nmsgs++;
	return id;
}

uint32_t
watch_track_publish(struct watch_track *t, const struct watch_track_key *k,
    const char *exchange, const char *routing_key, int flags,
    const char *detail)
{
	struct wt_slot *s = wt_slot(t, k, 1);
	int by_id = k->message_id && k->message_id[0];
	uint32_t id;
	struct wt_msg *m;

	if (by_id && s->n) {
		id = s->msgs[0];
		flags |= EVENT_PUB_RESEND;
	} else {
		id = wt_new_msg(t);
		wt_slot_push(s, id);
	}
	m = &t->msgs[id];
	if (m->publishes == 0) {
		m->exchange = xstrdup(exchange);
		m->routing_key = xstrdup(routing_key);
		m->message_id = xstrdup(by_id ? k->message_id : "");
	}
	if (m->publishes < UINT16_MAX)
		m->publishes++;
	if (flags & EVENT_PUB_MANDATORY)
		m->mandatory = 1;
	m->persistent = (flags & EVENT_PUB_PERSISTENT) != 0;
	watch_track_emit(t, EV_PUBLISH, ACTOR_PRODUCER, id, 0, flags,
	    exchange[0] ? exchange : "(default exchange)", detail);
	return id;
}

uint32_t
watch_track_match(struct watch_track *t, const struct watch_track_key *k,
    int redelivered)
{
	struct wt_slot *s = wt_slot(t, k, 0);
	/* Where a matching copy waits, in the order to look. */
	enum ledger_place first = redelivered ? LEDGER_AT_QUEUED :
	    LEDGER_AT_TRANSIT;
	enum ledger_place second = redelivered ? LEDGER_AT_TRANSIT :
	    LEDGER_AT_QUEUED;

	if (s == NULL || s->n == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct ledger_entry *e = ledger_entry(t->ledger,
		    s->msgs[i]);
		if (e && e->copies[first])
			return s->msgs[i];
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct ledger_entry *e = ledger_entry(t->ledger,
		    s->msgs[i]);
		if (e && (e->copies[second] || e->copies[LEDGER_AT_PARKED]))
			return s->msgs[i];
	}
	/* No copy waits: another copy of the newest (a fanout's second
	 * queue, a dead-lettered copy, or a count the ledger lost). */
	return s->msgs[s->n - 1];
}

uint32_t
watch_track_stranger(struct watch_track *t)
{
	uint32_t id = wt_new_msg(t);

	t->msgs[id].stranger = 1;
	return id;
}

static uint32_t
wt_queue_hash(const char *queue)
{
	uint64_t h = wt_fnv(WT_FNV_OFFSET, queue, strlen(queue));
	uint32_t v = (uint32_t)(h ^ h >> 32);

	return v ? v : 1;
}

void
watch_track_acked(struct watch_track *t, uint32_t msg, const char *queue,
    int autoack, const char *detail)
{
	struct wt_msg *m;
	uint32_t q = wt_queue_hash(queue ? queue : "");
	int again = 0;

	assert(msg > 0 && msg < t->nmsgs);
	m = &t->msgs[msg];
	for (int i = 0; i < WT_ACKED_QUEUES; i++) {
		if (m->acked_q[i] == q) {
			again = 1;
			break;
		}
		if (m->acked_q[i] == 0) {
			m->acked_q[i] = q;
			break;
		}
	}
	if (m->acks < UINT16_MAX)
		m->acks++;
	if (autoack)
		m->autoack = 1;
	/* The ledger's "effect" is the consumer's ack: what the broker is
	 * told the application finished. */
	watch_track_emit(t, EV_WORK_DONE, ACTOR_CONSUMER, msg, 0, again,
	    queue, autoack ? "auto-ack: settled on delivery" : detail);
	if (!autoack)
		watch_track_emit(t, EV_ACK, ACTOR_CONSUMER, msg, 0, 0, queue,
		    detail);
}

void
watch_track_queue_dlx(struct watch_track *t, const char *queue,
    const char *dlx)
{
	for (size_t i = 0; i < t->nqueues; i++)
		if (strcmp(t->queues[i].name, queue) == 0) {
			free(t->queues[i].dlx);
			t->queues[i].dlx = xstrdup(dlx);
			return;
		}
	t->queues = xgrow(t->queues, &t->queues_cap, t->nqueues + 1,
	    sizeof *t->queues);
	t->queues[t->nqueues].name = xstrdup(queue);
	t->queues[t->nqueues].dlx = xstrdup(dlx);
	t->nqueues++;
}

const char *
watch_track_dlx(const struct watch_track *t, const char *queue)
{
	for (size_t i = 0; i < t->nqueues; i++)
		if (strcmp(t->queues[i].name, queue) == 0)
			return t->queues[i].dlx;
	return NULL;
}

/* ---- fates ----------------------------------------------------------- */

/* Why a message's fate is what it is, in a sentence (static text). */
static const char *
wt_fate_why(const struct wt_msg *m, const struct ledger_entry *e)
{
	switch (ledger_fate(e)) {
	case FATE_PROCESSED:
		if (m->autoack)
			return "delivered to an auto-ack consumer: the broker "
			    "forgot it on delivery, whether the app finished "
			    "it is not on the wire";
		return e->deliveries > 1 ? "acked once, after a redelivery "
		    "(if the app did its work before the first delivery "
		    "came back, it did it twice: that is not on the wire)" :
		    "acked once by a consumer";
	case FATE_DUPLICATED:
		return m->publishes > 1 ? "acked more than once from the same "
		    "queue: the producer published it again" :
		    "acked more than once from the same queue";
	case FATE_DEAD:
		return "rejected without requeue from a queue declared with a "
		    "dead-letter exchange: dead-lettered";
	case FATE_LOST:
		return event_reason_text((enum loss_reason)e->reason);
	default:
		break;
	}
	if (e->copies[LEDGER_AT_HANDS])
		return "delivered, never acked while the lab watched";
	if (e->deliveries)
		return "delivered, then back in a queue; not delivered again "
		    "while the lab watched";
	return e->confirmed ? "confirmed by the broker, never delivered while "
	    "the lab watched: still in a queue, or expired, dead-lettered by a "
	    "policy, or dropped unroutable without mandatory, inside the "
	    "broker, which the wire does not show" :
	    "never delivered while the lab watched and not confirmed: it may "
	    "be in a queue, or expired, dead-lettered or dropped inside the "
	    "broker, which the wire does not show";
}

static void
wt_fate_json(FILE *out, uint32_t id, const struct wt_msg *m,
    const struct ledger_entry *e)
{
	enum ledger_fate f = ledger_fate(e);

	fprintf(out, "{\"fate\":");
	event_json_string(out, ledger_fate_name(f));
	fprintf(out, ",\"msg\":%" PRIu32, id);
	if (m->message_id && m->message_id[0]) {
		fputs(",\"message_id\":", out);
		event_json_string(out, m->message_id);
	}
	if (m->exchange) {
		fputs(",\"exchange\":", out);
		event_json_string(out, m->exchange);
		fputs(",\"routing_key\":", out);
		event_json_string(out, m->routing_key);
	}
	fprintf(out, ",\"published\":%u,\"confirmed\":%d,\"nacked\":%d,"
	    "\"returned\":%d,\"deliveries\":%u,\"acks\":%u",
	    m->publishes, e->confirmed, e->nacked, e->returned, e->deliveries,
	    m->acks);
	if (f == FATE_LOST) {
		fputs(",\"reason\":", out);
		event_json_string(out,
		    event_reason_name((enum loss_reason)e->reason));
		fputs(",\"notice\":", out);
		event_json_string(out,
		    event_notice_name((enum loss_notice)e->notice));
	}
	if (m->stranger)
		fputs(",\"seen_published\":false", out);
	fputs(",\"why\":", out);
	event_json_string(out, m->stranger ? "delivered, but never published "
	    "through the lab (published before it watched, or by a client "
	    "that connects to the broker directly)" : wt_fate_why(m, e));
	fputs("}\n", out);
}

void
watch_track_print_fates(struct watch_track *t, FILE *out, int json)
{
	struct ledger_summary s;

	for (uint32_t id = 1; id < t->nmsgs; id++) {
		const struct ledger_entry *e = ledger_entry(t->ledger, id);
		const struct wt_msg *m = &t->msgs[id];
		if (e == NULL)
			continue;
		if (json) {
			wt_fate_json(out, id, m, e);
			continue;
		}
		fprintf(out, "m%" PRIu32 " %s%s%s: %s\n", id,
		    ledger_fate_text(ledger_fate(e)),
		    m->message_id && m->message_id[0] ? " message-id " : "",
		    m->message_id ? m->message_id : "",
		    m->stranger ? "delivered, never published through the lab" :
		    wt_fate_why(m, e));
	}
	ledger_summarize(t->ledger, &s);
	if (json)
		ledger_print_summary_json(out, &s);
	else
		ledger_print_summary(out, &s);
}

/* ---- the broker went down --------------------------------------------- */

/*
 * Whether queue `q` would hold message m after a restart: a durable queue
 * and a persistent message (a quorum queue keeps every message).
 */
static int
wt_keeps(const struct topo_queue *q, const struct wt_msg *m)
{
	return q->type == QTYPE_QUORUM || (q->durable == 1 && m->persistent);
}

/* Whether binding b of an exchange of type `type` takes routing key rk. */
static int
wt_binds(enum exchange_type type, const struct topo_binding *b,
    const char *rk)
{
	switch (type) {
	case XTYPE_FANOUT:
	case XTYPE_HEADERS:    /* the headers are not kept: any binding */
		return 1;
	case XTYPE_TOPIC:
		return topology_topic_match(b->key, rk);
	default:
		return strcmp(b->key, rk) == 0;
	}
}

/*
 * How message m fares in a restart by the declared topology: 1 every
 * queue it was routed to keeps it, 0 one of them does not, -1 the lab
 * does not know where it went (an exchange it did not see declared).
 */
static int
wt_survives(const struct topology *t, const struct wt_msg *m)
{
	const struct topo_exchange *x = NULL;
	int routed = 0;

	if (m->exchange[0] == '\0') {
		for (size_t i = 0; i < t->nqueues; i++)
			if (strcmp(t->queues[i].name, m->routing_key) == 0)
				return wt_keeps(&t->queues[i], m);
		return -1;
	}
	for (size_t i = 0; i < t->nexchanges; i++)
		if (strcmp(t->exchanges[i].name, m->exchange) == 0)
			x = &t->exchanges[i];
	if (x == NULL)
		return -1;
	for (size_t i = 0; i < t->nbindings; i++) {
		const struct topo_binding *b = &t->bindings[i];
		if (strcmp(b->exchange, x->name) != 0 ||
		    !wt_binds(x->type, b, m->routing_key))
			continue;
		for (size_t k = 0; k < t->nqueues; k++)
			if (strcmp(t->queues[k].name, b->queue) == 0) {
				if (!wt_keeps(&t->queues[k], m))
					return 0;
				routed = 1;
			}
	}
	return routed ? 1 : -1;
}

void
watch_track_broker_down(struct watch_track *t, int clean)
{
	for (uint32_t id = 1; id < t->nmsgs; id++) {
		const struct ledger_entry *e = ledger_entry(t->ledger, id);
		const struct wt_msg *m = &t->msgs[id];
		char d[200];
		if (e == NULL || m->stranger || m->publishes == 0 ||
		    ledger_fate(e) != FATE_IN_FLIGHT)
			continue;
		if (wt_survives(&t->seen.topo, m) != 0)
			continue;
		snprintf(d, sizeof d, "%s: a %s message in a queue that does "
		    "not keep it; a durable queue keeps persistent messages "
		    "only", clean ? "the broker stopped" :
		    "the broker was killed", m->persistent ? "persistent" :
		    "transient");
		watch_track_drop(t, id, LOSS_BROKER_CRASH, NOTICE_SILENT,
		    m->routing_key, d);
	}
}
