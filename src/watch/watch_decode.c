/*
 * The watch decoder (see watch_decode.h). Each connection keeps its
 * channels in a small array; each channel what the message reliability
 * story needs: the publishes waiting for a confirm (or, without confirms,
 * the last few, to tell which one a channel.close 404 was about), the
 * deliveries waiting for an ack, the consumers, and one message being
 * assembled per direction (a publish upstream; a deliver, get-ok or return
 * downstream).
 */
#include "watch/watch_decode.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

#define WD_STR 256             /* names kept per field, cut to fit */
#define WD_RECENT 256          /* publishes kept without confirms */
#define WD_DETAIL 640
#define WD_MAX_CHANS 2047      /* open channels followed per connection */

/* What a message being assembled came with. */
enum wd_kind { WD_NONE, WD_PUBLISH, WD_DELIVER, WD_GET, WD_RETURN };

struct wd_content {
	enum wd_kind kind;
	int have_header;
	uint64_t body_left;
	uint64_t digest;
	char message_id[WD_STR];
	char correlation_id[WD_STR];
	int persistent;
	char exchange[WD_STR], routing_key[WD_STR];
	int mandatory;
	char ctag[WD_STR];     /* deliver: consumer tag */
	uint64_t dtag;
	int redelivered;
	int code;              /* return */
	char text[WD_STR];
};

struct wd_pub {
	uint64_t seq;          /* publish sequence number; 0 without confirms */
	uint32_t msg;
	char *exchange;
};

struct wd_dlv {
	uint64_t tag;
	uint32_t msg;
	char *queue;
};

struct wd_consumer {
	char *tag, *queue;
	int no_ack;
};

struct wd_pend {
	char queue[WD_STR];
	int no_ack;
};

struct wd_chan {
	uint16_t id;
	int confirm;           /* confirm.select went by */
	uint64_t next_seq;
	int closing;           /* the broker closed it: it drops what comes */
	struct wd_pub *pubs;   /* in publish order */
	size_t npubs, pubs_cap;
	struct wd_dlv *dlvs;   /* unsettled, in delivery order */
	size_t ndlvs, dlvs_cap;
	struct wd_consumer *cons;
	size_t ncons, cons_cap;
	struct wd_pend *pend;  /* basic.consume awaiting consume-ok, in order */
	size_t npend, pend_cap;
	char get_queue[WD_STR]; /* basic.get awaiting its answer */
	int get_no_ack;
	int pend_declare;      /* a queue.declare awaits its declare-ok */
	char pend_dlx[WD_STR];
	int pend_dlx_set;      /* ... and said whether it had a DLX */
	struct wd_content up, down;
};

struct watch_decode {
	struct watch_track *t;
	unsigned id;
	char peer[64];
	char name[WD_STR];     /* connection_name, or "" */
	uint32_t frame_max;
	int tuned;
	int ended;
	int closed;            /* connection.close-ok went by */
	uint64_t autoacked;    /* deliveries to auto-ack consumers */
	struct wd_chan *chans;
	size_t nchans, chans_cap;
	amqp_pool_t pool;
};

/* ---- small helpers --------------------------------------------------- */

/* Copies AMQP bytes as text: cut to fit, control bytes and invalid UTF-8
 * shown as '?'. */
static void
wd_str(char *dst, size_t len, amqp_bytes_t b)
{
	const uint8_t *p = b.bytes;
	size_t i = 0, o = 0;

	while (i < b.len && o + 5 < len) {
		uint8_t c = p[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		size_t k;
		if (n == 0 || i + n > b.len || (n == 1 && c < 0x20)) {
			dst[o++] = '?';
			i++;
			continue;
		}
		for (k = 1; k < n && (p[i + k] & 0xc0) == 0x80; k++)
			;
		if (k < n) {
			dst[o++] = '?';
			i++;
			continue;
		}
		memcpy(dst + o, p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

static void wd_cat(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends to buf (always terminated, cut to fit). */
static void
wd_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	va_list ap;

	if (at + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

/* One field value as text (nested tables and arrays abridged). */
static void
wd_value(char *buf, size_t len, const amqp_field_value_t *v)
{
	char s[WD_STR];

	switch (v->kind) {
	case AMQP_FIELD_KIND_UTF8:
	case AMQP_FIELD_KIND_BYTES:
		wd_str(s, sizeof s, v->value.bytes);
		wd_cat(buf, len, "%s", s);
		break;
	case AMQP_FIELD_KIND_BOOLEAN:
		wd_cat(buf, len, "%s", v->value.boolean ? "true" : "false");
		break;
	case AMQP_FIELD_KIND_I8: wd_cat(buf, len, "%d", v->value.i8); break;
	case AMQP_FIELD_KIND_U8: wd_cat(buf, len, "%u", v->value.u8); break;
	case AMQP_FIELD_KIND_I16: wd_cat(buf, len, "%d", v->value.i16); break;
	case AMQP_FIELD_KIND_U16: wd_cat(buf, len, "%u", v->value.u16); break;
	case AMQP_FIELD_KIND_I32: wd_cat(buf, len, "%ld", (long)v->value.i32); break;
	case AMQP_FIELD_KIND_U32:
		wd_cat(buf, len, "%lu", (unsigned long)v->value.u32);
		break;
	case AMQP_FIELD_KIND_I64:
		wd_cat(buf, len, "%lld", (long long)v->value.i64);
		break;
	case AMQP_FIELD_KIND_U64:
	case AMQP_FIELD_KIND_TIMESTAMP:
		wd_cat(buf, len, "%llu", (unsigned long long)v->value.u64);
		break;
	case AMQP_FIELD_KIND_F32: wd_cat(buf, len, "%g", v->value.f32); break;
	case AMQP_FIELD_KIND_F64: wd_cat(buf, len, "%g", v->value.f64); break;
	case AMQP_FIELD_KIND_TABLE: wd_cat(buf, len, "{...}"); break;
	case AMQP_FIELD_KIND_ARRAY: wd_cat(buf, len, "[...]"); break;
	default: wd_cat(buf, len, "?"); break;
	}
}

/* " args{k=v, ...}" for a non-empty table. */
static void
wd_table(char *buf, size_t len, const amqp_table_t *tb)
{
	char k[WD_STR];

	if (tb->num_entries <= 0)
		return;
	wd_cat(buf, len, " args{");
	for (int i = 0; i < tb->num_entries; i++) {
		wd_str(k, sizeof k, tb->entries[i].key);
		wd_cat(buf, len, "%s%s=", i ? ", " : "", k);
		wd_value(buf, len, &tb->entries[i].value);
	}
	wd_cat(buf, len, "}");
}

/* The string value of `key` in the table, into dst; 1 if there is one. */
static int
wd_table_str(const amqp_table_t *tb, const char *key, char *dst, size_t len)
{
	size_t kl = strlen(key);

	for (int i = 0; i < tb->num_entries; i++) {
		const amqp_table_entry_t *e = &tb->entries[i];
		if (e->key.len != kl || memcmp(e->key.bytes, key, kl) != 0)
			continue;
		if (e->value.kind != AMQP_FIELD_KIND_UTF8 &&
		    e->value.kind != AMQP_FIELD_KIND_BYTES)
			return 0;
		wd_str(dst, len, e->value.value.bytes);
		return 1;
	}
	return 0;
}

static void wd_head(const struct watch_decode *c, uint16_t ch, char *buf,
    size_t len, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Writes an event's detail into buf: "c3 ch1" (or "c3" for channel 0),
 * then `fmt` and its arguments (always terminated, cut to fit). */
static void
wd_head(const struct watch_decode *c, uint16_t ch, char *buf, size_t len,
    const char *fmt, ...)
{
	size_t at;
	va_list ap;

	if (ch)
		snprintf(buf, len, "c%u ch%u", c->id, ch);
	else
		snprintf(buf, len, "c%u", c->id);
	at = strlen(buf);
	if (at + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

/* ---- channels -------------------------------------------------------- */

/* Channel `id` as channel.open made it, or NULL (never opened). */
static struct wd_chan *
wd_chan(struct watch_decode *c, uint16_t id)
{
	for (size_t i = 0; i < c->nchans; i++)
		if (c->chans[i].id == id)
			return &c->chans[i];
	return NULL;
}

static void wd_chan_drop(struct watch_decode *c, uint16_t id);

/*
 * A channel.open from the client: a fresh record for `id`, or NULL past
 * WD_MAX_CHANS open channels (RabbitMQ's own channel_max is 2047; a peer
 * cannot make the watch keep more).
 */
static struct wd_chan *
wd_chan_open(struct watch_decode *c, uint16_t id)
{
	wd_chan_drop(c, id);
	if (c->nchans >= WD_MAX_CHANS)
		return NULL;
	c->chans = xgrow(c->chans, &c->chans_cap, c->nchans + 1,
	    sizeof *c->chans);
	memset(&c->chans[c->nchans], 0, sizeof c->chans[0]);
	c->chans[c->nchans].id = id;
	return &c->chans[c->nchans++];
}

static void
wd_chan_clear(struct wd_chan *ch)
{
	for (size_t i = 0; i < ch->npubs; i++)
		free(ch->pubs[i].exchange);
	for (size_t i = 0; i < ch->ndlvs; i++)
		free(ch->dlvs[i].queue);
	for (size_t i = 0; i < ch->ncons; i++) {
		free(ch->cons[i].tag);
		free(ch->cons[i].queue);
	}
	free(ch->pubs);
	free(ch->dlvs);
	free(ch->cons);
	free(ch->pend);
}

/* Forgets channel `id` (closed both ways). */
static void
wd_chan_drop(struct watch_decode *c, uint16_t id)
{
	for (size_t i = 0; i < c->nchans; i++)
		if (c->chans[i].id == id) {
			wd_chan_clear(&c->chans[i]);
			c->chans[i] = c->chans[--c->nchans];
			return;
		}
}

/* Removes element i of the `*n` elements of `size` bytes at `base`,
 * keeping the order of the rest. */
static void
wd_cut(void *base, size_t *n, size_t i, size_t size)
{
	char *b = base;

	memmove(b + i * size, b + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

static void
wd_pub_remove(struct wd_chan *ch, size_t i)
{
	free(ch->pubs[i].exchange);
	wd_cut(ch->pubs, &ch->npubs, i, sizeof ch->pubs[0]);
}

static void
wd_dlv_remove(struct wd_chan *ch, size_t i)
{
	free(ch->dlvs[i].queue);
	wd_cut(ch->dlvs, &ch->ndlvs, i, sizeof ch->dlvs[0]);
}

static const struct wd_consumer *
wd_consumer(const struct wd_chan *ch, const char *tag)
{
	for (size_t i = 0; i < ch->ncons; i++)
		if (strcmp(ch->cons[i].tag, tag) == 0)
			return &ch->cons[i];
	return NULL;
}

static void
wd_consumer_add(struct wd_chan *ch, const char *tag, const char *queue,
    int no_ack)
{
	ch->cons = xgrow(ch->cons, &ch->cons_cap, ch->ncons + 1,
	    sizeof *ch->cons);
	ch->cons[ch->ncons].tag = xstrdup(tag);
	ch->cons[ch->ncons].queue = xstrdup(queue);
	ch->cons[ch->ncons].no_ack = no_ack;
	ch->ncons++;
}

/*
 * The channel ends (closed, or its connection gone): its unacked
 * deliveries go back to their queues (the broker does that), and its
 * publishes still waiting for a confirm will never get one.
 */
static void
wd_chan_settle(struct watch_decode *c, struct wd_chan *ch, const char *why)
{
	char d[WD_DETAIL];

	for (size_t i = 0; i < ch->ndlvs; i++) {
		wd_head(c, ch->id, d, sizeof d, ": %s before its ack; the "
		    "broker puts it back", why);
		watch_track_emit(c->t, EV_REQUEUE, ACTOR_QUEUE,
		    ch->dlvs[i].msg, 0, 0, ch->dlvs[i].queue, d);
		free(ch->dlvs[i].queue);
	}
	ch->ndlvs = 0;
	for (size_t i = 0; i < ch->npubs; i++) {
		if (ch->confirm) {
			wd_head(c, ch->id, d, sizeof d, ": %s before its "
			    "confirm; whether the broker took it is not on "
			    "the wire", why);
			watch_track_emit(c->t, EV_CONFIRM_LOST, ACTOR_NETWORK,
			    ch->pubs[i].msg, 0, 0, ch->pubs[i].exchange, d);
		}
		free(ch->pubs[i].exchange);
	}
	ch->npubs = 0;
}

/* ---- the life of a connection ---------------------------------------- */

struct watch_decode *
watch_decode_new(struct watch_track *t, unsigned id, const char *peer)
{
	struct watch_decode *c = xcalloc(1, sizeof *c);

	c->t = t;
	c->id = id;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	init_amqp_pool(&c->pool, 4096);
	watch_seen_conn_open(watch_track_seen(t), id);
	return c;
}

void
watch_decode_free(struct watch_decode *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nchans; i++)
		wd_chan_clear(&c->chans[i]);
	free(c->chans);
	empty_amqp_pool(&c->pool);
	free(c);
}

size_t
watch_decode_unacked(const struct watch_decode *c, const char *queue)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nchans; i++)
		for (size_t k = 0; k < c->chans[i].ndlvs; k++)
			n += c->chans[i].dlvs[k].queue &&
			    strcmp(c->chans[i].dlvs[k].queue, queue) == 0;
	return n;
}

int
watch_decode_awaiting(const struct watch_decode *c)
{
	for (size_t i = 0; i < c->nchans; i++)
		if (c->chans[i].confirm && c->chans[i].npubs > 0 &&
		    c->chans[i].pubs[c->chans[i].npubs - 1].seq != 0)
			return 1;
	return 0;
}

uint32_t
watch_decode_frame_max(const struct watch_decode *c, int *tuned)
{
	*tuned = c->tuned;
	return c->frame_max;
}

int
watch_decode_closed(const struct watch_decode *c)
{
	return c->closed;
}

void
watch_decode_end(struct watch_decode *c, const char *why)
{
	char d[WD_DETAIL];

	if (c->ended)
		return;
	c->ended = 1;
	watch_seen_conn_end(watch_track_seen(c->t), c->id);
	for (size_t i = 0; i < c->nchans; i++)
		wd_chan_settle(c, &c->chans[i], "the connection ended");
	wd_head(c, 0, d, sizeof d, " %s: %s", c->name[0] ? c->name : c->peer,
	    why && why[0] ? why : "closed");
	watch_track_emit(c->t, why && why[0] ? EV_CONN_LOST : EV_FRAME,
	    ACTOR_NETWORK, 0, 0, 0, NULL, d);
	/* Auto-acked deliveries the application had not finished died
	 * with it: say so, as the wire cannot say which. */
	if (why && why[0] && c->autoacked) {
		watch_track_seen(c->t)->autoack_broken += c->autoacked;
		wd_head(c, 0, d, sizeof d, ": %llu delivered with auto-ack "
		    "on it; any still in the application's buffer are lost, "
		    "and the wire does not show which",
		    (unsigned long long)c->autoacked);
		watch_track_emit(c->t, EV_FRAME, ACTOR_NETWORK, 0, 0, 0, NULL,
		    d);
	}
}

/* ---- messages -------------------------------------------------------- */

static void
wd_published(struct watch_decode *c, struct wd_chan *ch,
    struct wd_content *ct)
{
	struct watch_track_key k = { ct->message_id, ct->digest };
	int flags = (ct->persistent ? EVENT_PUB_PERSISTENT : 0) |
	    (ct->mandatory ? EVENT_PUB_MANDATORY : 0);
	char d[WD_DETAIL];
	uint32_t msg;

	wd_head(c, ch->id, d, sizeof d, ": routing key %s",
	    ct->routing_key);
	if (ch->confirm)
		wd_cat(d, sizeof d, ", seq %llu",
		    (unsigned long long)ch->next_seq);
	if (ct->message_id[0])
		wd_cat(d, sizeof d, ", message-id %s", ct->message_id);
	if (ct->correlation_id[0])
		wd_cat(d, sizeof d, ", correlation-id %s", ct->correlation_id);
	watch_seen_publish(watch_track_seen(c->t), c->id, ct->exchange,
	    ct->routing_key, ct->mandatory, ct->persistent, ch->confirm);
	msg = watch_track_publish(c->t, &k, ct->exchange, ct->routing_key,
	    flags, d);
	if (ch->closing) {
		wd_head(c, ch->id, d, sizeof d, ": published after the "
		    "broker closed the channel, which drops it");
		watch_track_drop(c->t, msg, LOSS_CHANNEL_CLOSED, NOTICE_ERROR,
		    ct->exchange, d);
		return;
	}
	if (!ch->confirm && ch->npubs == WD_RECENT)
		wd_pub_remove(ch, 0);
	ch->pubs = xgrow(ch->pubs, &ch->pubs_cap, ch->npubs + 1,
	    sizeof *ch->pubs);
	ch->pubs[ch->npubs].seq = ch->confirm ? ch->next_seq++ : 0;
	ch->pubs[ch->npubs].msg = msg;
	ch->pubs[ch->npubs].exchange = xstrdup(ct->exchange);
	ch->npubs++;
}

static void
wd_delivered(struct watch_decode *c, struct wd_chan *ch,
    struct wd_content *ct)
{
	struct watch_track_key k = { ct->message_id, ct->digest };
	const struct wd_consumer *con = NULL;
	const char *queue = ch->get_queue;
	int no_ack = ch->get_no_ack;
	char d[WD_DETAIL];
	uint32_t msg;

	if (ct->kind == WD_DELIVER) {
		con = wd_consumer(ch, ct->ctag);
		queue = con ? con->queue : "";
		no_ack = con ? con->no_ack : 0;
	}
	msg = watch_track_match(c->t, &k, ct->redelivered);
	if (msg == 0)
		msg = watch_track_stranger(c->t);
	wd_head(c, ch->id, d, sizeof d,
	    ": %s%s delivery tag %llu, routing key %s",
	    ct->kind == WD_GET ? "basic.get-ok" : "consumer ",
	    ct->kind == WD_GET ? "," : ct->ctag,
	    (unsigned long long)ct->dtag, ct->routing_key);
	if (!queue[0])
		wd_cat(d, sizeof d, " (its queue was not seen)");
	watch_track_emit(c->t, EV_DELIVER, ACTOR_QUEUE, msg, 0,
	    ct->redelivered, queue[0] ? queue : NULL, d);
	if (no_ack) {
		c->autoacked++;
		watch_track_acked(c->t, msg, queue, 1, d);
		return;
	}
	ch->dlvs = xgrow(ch->dlvs, &ch->dlvs_cap, ch->ndlvs + 1,
	    sizeof *ch->dlvs);
	ch->dlvs[ch->ndlvs].tag = ct->dtag;
	ch->dlvs[ch->ndlvs].msg = msg;
	ch->dlvs[ch->ndlvs].queue = xstrdup(queue);
	ch->ndlvs++;
}

static void
wd_returned(struct watch_decode *c, struct wd_chan *ch, struct wd_content *ct)
{
	struct watch_track_key k = { ct->message_id, ct->digest };
	uint32_t msg = watch_track_match(c->t, &k, 0);
	char d[WD_DETAIL];

	if (msg == 0)
		msg = watch_track_stranger(c->t);
	wd_head(c, ch->id, d, sizeof d, ": routing key %s: %s",
	    ct->routing_key, ct->text);
	watch_track_emit(c->t, EV_RETURN, ACTOR_EXCHANGE, msg, ct->code, 0,
	    ct->exchange[0] ? ct->exchange : "(default exchange)", d);
	watch_track_drop(c->t, msg, LOSS_UNROUTABLE, NOTICE_RETURN,
	    ct->exchange, d);
}

/* The message being assembled in one direction is complete. */
static void
wd_content_done(struct watch_decode *c, struct wd_chan *ch,
    struct wd_content *ct)
{
	switch (ct->kind) {
	case WD_PUBLISH: wd_published(c, ch, ct); break;
	case WD_DELIVER:
	case WD_GET: wd_delivered(c, ch, ct); break;
	case WD_RETURN: wd_returned(c, ch, ct); break;
	default: break;
	}
	ct->kind = WD_NONE;
	ct->have_header = 0;
}

/* The methods that carry content, and where each keeps its exchange and
 * routing key (every one of them has both). */
#define WD_CARRIER(id, kind, type) \
	{ id, kind, offsetof(type, exchange), offsetof(type, routing_key) }
static const struct wd_carrier {
	amqp_method_number_t id;
	enum wd_kind kind;
	size_t exchange, routing_key;  /* offsets of amqp_bytes_t fields */
} wd_carriers[] = {
	WD_CARRIER(AMQP_BASIC_PUBLISH_METHOD, WD_PUBLISH, amqp_basic_publish_t),
	WD_CARRIER(AMQP_BASIC_DELIVER_METHOD, WD_DELIVER, amqp_basic_deliver_t),
	WD_CARRIER(AMQP_BASIC_GET_OK_METHOD, WD_GET, amqp_basic_get_ok_t),
	WD_CARRIER(AMQP_BASIC_RETURN_METHOD, WD_RETURN, amqp_basic_return_t),
};
#undef WD_CARRIER

/*
 * A content-bearing method `m` (basic.publish from the client; basic.deliver,
 * basic.get-ok or basic.return from the broker) on channel `ch`: its
 * content starts, with what the method says of it. Other ids do nothing.
 */
static void
wd_content_start(struct wd_chan *ch, amqp_method_number_t id, void *m)
{
	const struct wd_carrier *w = NULL;
	struct wd_content *ct;

	for (size_t i = 0; i < sizeof wd_carriers / sizeof wd_carriers[0]; i++)
		if (wd_carriers[i].id == id)
			w = &wd_carriers[i];
	if (w == NULL)
		return;
	ct = w->kind == WD_PUBLISH ? &ch->up : &ch->down;
	memset(ct, 0, sizeof *ct);
	ct->kind = w->kind;
	wd_str(ct->exchange, sizeof ct->exchange,
	    *(const amqp_bytes_t *)((const char *)m + w->exchange));
	wd_str(ct->routing_key, sizeof ct->routing_key,
	    *(const amqp_bytes_t *)((const char *)m + w->routing_key));
	ct->digest = watch_track_digest_start(ct->routing_key);
	if (id == AMQP_BASIC_PUBLISH_METHOD)
		ct->mandatory = ((amqp_basic_publish_t *)m)->mandatory;
	else if (id == AMQP_BASIC_DELIVER_METHOD) {
		amqp_basic_deliver_t *x = m;
		wd_str(ct->ctag, sizeof ct->ctag, x->consumer_tag);
		ct->dtag = x->delivery_tag;
		ct->redelivered = x->redelivered;
	} else if (id == AMQP_BASIC_GET_OK_METHOD) {
		ct->dtag = ((amqp_basic_get_ok_t *)m)->delivery_tag;
		ct->redelivered = ((amqp_basic_get_ok_t *)m)->redelivered;
	} else {
		amqp_basic_return_t *x = m;
		ct->code = x->reply_code;
		wd_str(ct->text, sizeof ct->text, x->reply_text);
	}
}

void
watch_decode_body(struct watch_decode *c, int upstream, uint16_t channel,
    const uint8_t *d, size_t n)
{
	struct wd_chan *ch = wd_chan(c, channel);
	struct wd_content *ct;

	if (ch == NULL)
		return; /* not an open channel: the broker will say so */
	ct = upstream ? &ch->up : &ch->down;
	if (ct->kind != WD_NONE && ct->have_header)
		ct->digest = watch_track_digest_add(ct->digest, d, n);
}

/* ---- settling -------------------------------------------------------- */

/* The consumer settled one delivery with `kind` (EV_ACK, EV_NACK,
 * EV_REJECT). */
static void
wd_settle_one(struct watch_decode *c, struct wd_chan *ch, struct wd_dlv *dv,
    enum event_kind kind, int requeue)
{
	char d[WD_DETAIL];
	const char *dlx;

	wd_head(c, ch->id, d, sizeof d, ": delivery tag %llu",
	    (unsigned long long)dv->tag);
	if (kind == EV_ACK) {
		watch_track_acked(c->t, dv->msg, dv->queue, 0, d);
		return;
	}
	watch_track_emit(c->t, kind, ACTOR_CONSUMER, dv->msg, 0, requeue,
	    dv->queue, d);
	if (requeue) {
		watch_track_emit(c->t, EV_REQUEUE, ACTOR_QUEUE, dv->msg, 0, 0,
		    dv->queue, d);
		return;
	}
	dlx = watch_track_dlx(c->t, dv->queue);
	if (dlx && dlx[0]) {
		wd_cat(d, sizeof d, "; queue %s was declared with "
		    "x-dead-letter-exchange %s", dv->queue, dlx);
		watch_track_emit(c->t, EV_DEAD_LETTER, ACTOR_QUEUE, dv->msg, 0,
		    1, dlx, d);
		return;
	}
	wd_cat(d, sizeof d, dlx ? "; queue %s was declared without "
	    "x-dead-letter-exchange (a policy could still dead-letter it: "
	    "policies are not on the wire)" : "; queue %s was not declared "
	    "on a watched connection: whether it dead-letters (argument or "
	    "policy) is not on the wire", dv->queue);
	watch_track_drop(c->t, dv->msg, LOSS_REJECTED, NOTICE_SILENT,
	    dv->queue, d);
}

/* A consumer's ack, nack or reject of `tag` (with `multiple`: every
 * delivery up to it; tag 0: all). */
static void
wd_settle(struct watch_decode *c, struct wd_chan *ch, uint64_t tag,
    int multiple, enum event_kind kind, int requeue)
{
	size_t i = 0;

	if (kind != EV_ACK) {
		struct watch_seen *sn = watch_track_seen(c->t);
		if (requeue)
			sn->app.requeue_seen = 1;
		else
			sn->app.reject_seen = 1;
	}
	while (i < ch->ndlvs) {
		struct wd_dlv *dv = &ch->dlvs[i];
		if (multiple ? tag == 0 || dv->tag <= tag : dv->tag == tag) {
			wd_settle_one(c, ch, dv, kind, requeue);
			wd_dlv_remove(ch, i);
			if (!multiple)
				return;
			continue;
		}
		i++;
	}
}

/* The broker's confirm (ack or nack) of sequence number `tag`. */
static void
wd_confirm(struct watch_decode *c, struct wd_chan *ch, uint64_t tag,
    int multiple, int ack)
{
	char d[WD_DETAIL];
	size_t i = 0;

	while (i < ch->npubs) {
		struct wd_pub *p = &ch->pubs[i];
		if (p->seq == 0 || !(multiple ? tag == 0 || p->seq <= tag :
		    p->seq == tag)) {
			i++;
			continue;
		}
		wd_head(c, ch->id, d, sizeof d, ": seq %llu%s",
		    (unsigned long long)p->seq, multiple ? " (multiple)" : "");
		watch_track_emit(c->t, ack ? EV_CONFIRM_ACK : EV_CONFIRM_NACK,
		    ACTOR_BROKER, p->msg, 0, 0, p->exchange, d);
		if (!ack)
			watch_track_drop(c->t, p->msg, LOSS_NACKED, NOTICE_NACK,
			    p->exchange, d);
		wd_pub_remove(ch, i);
		if (!multiple)
			return;
	}
}

/*
 * The broker closed the channel. A 404 "no exchange 'X'" was caused by
 * the first publish to X still waiting there (without confirms, among the
 * last WD_RECENT: wrong if X existed for an earlier one and was deleted
 * since); the broker dropped the publishes that followed it.
 */
static void
wd_broker_close(struct watch_decode *c, struct wd_chan *ch, int code,
    const char *text)
{
	const char *x = strstr(text, "no exchange '");
	char name[WD_STR], d[WD_DETAIL];
	int found = 0;
	size_t i = 0;

	if (code == 404 && x) {
		size_t n;
		x += strlen("no exchange '");
		n = strcspn(x, "'");
		snprintf(name, sizeof name, "%.*s", (int)n, x);
		while (i < ch->npubs) {
			struct wd_pub *p = &ch->pubs[i];
			if (!found && strcmp(p->exchange, name) != 0) {
				i++;
				continue;
			}
			wd_head(c, ch->id, d, sizeof d, ": %s", found ?
			    "published after the one that closed the channel" :
			    text);
			watch_track_drop(c->t, p->msg, found ?
			    LOSS_CHANNEL_CLOSED : LOSS_MISSING_EXCHANGE,
			    NOTICE_ERROR, p->exchange, d);
			found = 1;
			wd_pub_remove(ch, i);
		}
	}
	wd_chan_settle(c, ch, "the broker closed the channel");
	ch->closing = 1;
}

/* ---- methods --------------------------------------------------------- */

/* Who sent a client frame: the consumer for the consuming methods. */
static enum event_actor
wd_up_actor(amqp_method_number_t id)
{
	switch (id) {
	case AMQP_BASIC_QOS_METHOD:
	case AMQP_BASIC_CONSUME_METHOD:
	case AMQP_BASIC_CANCEL_METHOD:
	case AMQP_BASIC_GET_METHOD:
	case AMQP_BASIC_ACK_METHOD:
	case AMQP_BASIC_REJECT_METHOD:
	case AMQP_BASIC_NACK_METHOD:
	case AMQP_BASIC_RECOVER_METHOD:
	case AMQP_BASIC_RECOVER_ASYNC_METHOD:
		return ACTOR_CONSUMER;
	default:
		return ACTOR_PRODUCER;
	}
}

/* Appends a binding, " DEST to SOURCE key KEY" and its arguments, to `d`. */
static void
wd_bind(char *d, size_t len, amqp_bytes_t dest, amqp_bytes_t source,
    amqp_bytes_t key, const amqp_table_t *args)
{
	char a[WD_STR], b[WD_STR], k[WD_STR];

	wd_str(a, sizeof a, dest);
	wd_str(b, sizeof b, source);
	wd_str(k, sizeof k, key);
	wd_cat(d, len, " %s to %s key %s", a, b, k);
	wd_table(d, len, args);
}

/* A connection.close or channel.close `m` (the two share a layout): puts
 * its reply text in `a` and appends it to `d`, sets `*code` to its reply
 * code and returns the event kind it makes. */
static enum event_kind
wd_close(amqp_method_number_t id, const void *m, char *a, size_t alen,
    char *d, size_t len, int *code)
{
	const amqp_channel_close_t *x = m;

	wd_str(a, alen, x->reply_text);
	wd_cat(d, len, " %s", a);
	*code = x->reply_code;
	return id == AMQP_CHANNEL_CLOSE_METHOD ? EV_CHANNEL_CLOSE :
	    EV_CONN_CLOSE;
}

/* The topology a client declares, as EV_FRAME details. */
static void
wd_topology(struct watch_decode *c, uint16_t chid, amqp_method_number_t id,
    void *m, char *d, size_t len)
{
	char a[WD_STR], b[WD_STR];

	switch (id) {
	case AMQP_EXCHANGE_DECLARE_METHOD: {
		amqp_exchange_declare_t *x = m;
		wd_str(a, sizeof a, x->exchange);
		wd_str(b, sizeof b, x->type);
		wd_cat(d, len, " %s type=%s%s%s%s%s", a, b,
		    x->passive ? " passive" : "", x->durable ? " durable" : "",
		    x->auto_delete ? " auto_delete" : "",
		    x->internal ? " internal" : "");
		wd_table(d, len, &x->arguments);
		if (!x->passive)
			watch_seen_exchange(watch_track_seen(c->t), a, b,
			    x->durable);
		break;
	}
	case AMQP_QUEUE_DECLARE_METHOD: {
		amqp_queue_declare_t *q = m;
		struct wd_chan *ch = wd_chan(c, chid);
		char dlx[WD_STR] = "";
		wd_str(a, sizeof a, q->queue);
		wd_cat(d, len, " %s%s%s%s%s", a[0] ? a : "(server-named)",
		    q->passive ? " passive" : "", q->durable ? " durable" : "",
		    q->exclusive ? " exclusive" : "",
		    q->auto_delete ? " auto_delete" : "");
		wd_table(d, len, &q->arguments);
		wd_table_str(&q->arguments, "x-dead-letter-exchange", dlx,
		    sizeof dlx);
		/* A passive declare says nothing of the queue's arguments. */
		if (q->passive)
			break;
		watch_seen_queue(watch_track_seen(c->t), a, q->durable,
		    &q->arguments);
		if (a[0])
			watch_track_queue_dlx(c->t, a, dlx);
		else if (ch) {
			ch->pend_declare = 1;
			snprintf(ch->pend_dlx, sizeof ch->pend_dlx, "%s", dlx);
		}
		break;
	}
	case AMQP_QUEUE_BIND_METHOD: {
		amqp_queue_bind_t *q = m;
		wd_bind(d, len, q->queue, q->exchange, q->routing_key,
		    &q->arguments);
		wd_str(a, sizeof a, q->queue);
		wd_str(b, sizeof b, q->exchange);
		{
			char key[WD_STR];
			wd_str(key, sizeof key, q->routing_key);
			watch_seen_bind(watch_track_seen(c->t), a, b, key);
		}
		break;
	}
	case AMQP_EXCHANGE_BIND_METHOD: {
		amqp_exchange_bind_t *x = m;
		wd_bind(d, len, x->destination, x->source, x->routing_key,
		    &x->arguments);
		break;
	}
	default:
		break;
	}
}

/*
 * A basic-class method from the client on channel `ch`: a consume, a get,
 * a publish (its event comes with its content), or a consumer settling
 * deliveries (one event per message settled). Emits what it makes.
 */
static void
wd_up_basic(struct watch_decode *c, struct wd_chan *ch,
    amqp_method_number_t id, void *m, char *d, size_t len)
{
	const char *where = NULL;
	char a[WD_STR];

	switch (id) {
	case AMQP_BASIC_CONSUME_METHOD: {
		amqp_basic_consume_t *x = m;
		char tag[WD_STR];
		wd_str(a, sizeof a, x->queue);
		wd_str(tag, sizeof tag, x->consumer_tag);
		wd_cat(d, len, " tag %s%s", tag[0] ? tag : "(from the broker)",
		    x->no_ack ? " auto-ack" : " manual ack");
		if (ch && x->nowait && tag[0])
			wd_consumer_add(ch, tag, a, x->no_ack);
		else if (ch) {
			ch->pend = xgrow(ch->pend, &ch->pend_cap, ch->npend + 1,
			    sizeof *ch->pend);
			snprintf(ch->pend[ch->npend].queue, WD_STR, "%s", a);
			ch->pend[ch->npend++].no_ack = x->no_ack;
		}
		watch_seen_consume(watch_track_seen(c->t), c->id, a, x->no_ack);
		watch_track_emit(c->t, EV_CONSUME, ACTOR_CONSUMER, 0, 0,
		    x->no_ack, a, d);
		return;
	}
	case AMQP_BASIC_QOS_METHOD: {
		struct watch_seen *sn = watch_track_seen(c->t);
		sn->app.prefetch = ((amqp_basic_qos_t *)m)->prefetch_count;
		sn->app.prefetch_seen = 1;
		break;
	}
	case AMQP_BASIC_GET_METHOD:
		if (ch) {
			amqp_basic_get_t *x = m;
			wd_str(ch->get_queue, sizeof ch->get_queue, x->queue);
			ch->get_no_ack = x->no_ack;
			where = ch->get_queue;
		}
		break;
	case AMQP_BASIC_PUBLISH_METHOD:
		if (ch)
			wd_content_start(ch, id, m);
		return; /* its event comes with its content */
	case AMQP_BASIC_ACK_METHOD:
		if (ch)
			wd_settle(c, ch, ((amqp_basic_ack_t *)m)->delivery_tag,
			    ((amqp_basic_ack_t *)m)->multiple, EV_ACK, 0);
		return; /* one event per message settled */
	case AMQP_BASIC_NACK_METHOD:
		if (ch) {
			amqp_basic_nack_t *x = m;
			wd_settle(c, ch, x->delivery_tag, x->multiple, EV_NACK,
			    x->requeue);
		}
		return;
	case AMQP_BASIC_REJECT_METHOD:
		if (ch) {
			amqp_basic_reject_t *x = m;
			wd_settle(c, ch, x->delivery_tag, 0, EV_REJECT,
			    x->requeue);
		}
		return;
	case AMQP_BASIC_RECOVER_METHOD:
	case AMQP_BASIC_RECOVER_ASYNC_METHOD:
		if (ch)
			wd_chan_settle(c, ch, "basic.recover came");
		break;
	default:
		break;
	}
	watch_track_emit(c->t, EV_FRAME, wd_up_actor(id), 0, 0, 0, where, d);
}

/* A method from the client; the event it makes. */
static void
wd_up(struct watch_decode *c, uint16_t chid, amqp_method_number_t id,
    void *m, char *d, size_t len)
{
	struct wd_chan *ch = chid ? wd_chan(c, chid) : NULL;
	enum event_actor who = wd_up_actor(id);
	enum event_kind kind = EV_FRAME;
	const char *where = NULL;
	char a[WD_STR];
	int code = 0;

	switch (id) {
	case AMQP_CONNECTION_START_OK_METHOD: {
		amqp_connection_start_ok_t *s = m;
		char product[WD_STR] = "";
		wd_table_str(&s->client_properties, "connection_name", c->name,
		    sizeof c->name);
		wd_table_str(&s->client_properties, "product", product,
		    sizeof product);
		watch_seen_conn_named(watch_track_seen(c->t), c->id, c->name,
		    product);
		wd_cat(d, len, " from %s%s%s", c->peer, product[0] ?
		    ", client " : "", product);
		kind = EV_CONNECT;
		where = c->name[0] ? c->name : c->peer;
		break;
	}
	case AMQP_CONNECTION_TUNE_OK_METHOD: {
		amqp_connection_tune_ok_t *tk = m;
		c->frame_max = tk->frame_max;
		c->tuned = 1;
		wd_cat(d, len, " channel_max=%u frame_max=%lu heartbeat=%u",
		    tk->channel_max, (unsigned long)tk->frame_max,
		    tk->heartbeat);
		break;
	}
	case AMQP_CONNECTION_OPEN_METHOD:
		wd_str(a, sizeof a, ((amqp_connection_open_t *)m)->virtual_host);
		wd_cat(d, len, " vhost %s", a);
		break;
	case AMQP_CONNECTION_CLOSE_METHOD:
	case AMQP_CHANNEL_CLOSE_METHOD:
		kind = wd_close(id, m, a, sizeof a, d, len, &code);
		if (ch)
			wd_chan_settle(c, ch, "the client closed the channel");
		break;
	case AMQP_CHANNEL_OPEN_METHOD:
		(void)wd_chan_open(c, chid);
		kind = EV_CHANNEL_OPEN;
		break;
	case AMQP_CONFIRM_SELECT_METHOD:
		if (ch && !ch->confirm) {
			ch->confirm = 1;
			ch->next_seq = 1;
			while (ch->npubs)
				wd_pub_remove(ch, ch->npubs - 1);
		}
		kind = EV_CONFIRM_SELECT;
		break;
	case AMQP_TX_SELECT_METHOD:
		wd_cat(d, len, " (transactions are not followed: a publish "
		    "counts when read, not when committed)");
		break;
	default:
		if (id >> 16 == 60 && ch) {
			wd_up_basic(c, ch, id, m, d, len);
			return;
		}
		wd_topology(c, chid, id, m, d, len);
		break;
	}
	watch_track_emit(c->t, kind, who, 0, code, 0, where, d);
}

/* A method from the broker; the event it makes. */
static void
wd_down(struct watch_decode *c, uint16_t chid, amqp_method_number_t id,
    void *m, char *d, size_t len)
{
	struct wd_chan *ch = chid ? wd_chan(c, chid) : NULL;
	enum event_kind kind = EV_FRAME;
	const char *where = NULL;
	char a[WD_STR];
	int code = 0;

	switch (id) {
	case AMQP_CONNECTION_CLOSE_METHOD:
	case AMQP_CHANNEL_CLOSE_METHOD:
		kind = wd_close(id, m, a, sizeof a, d, len, &code);
		if (ch) {
			/* The close first, then what it did to messages. */
			watch_track_emit(c->t, kind, ACTOR_BROKER, 0, code, 0,
			    NULL, d);
			wd_broker_close(c, ch, code, a);
			return;
		}
		break;
	case AMQP_CONNECTION_BLOCKED_METHOD:
		wd_str(a, sizeof a, ((amqp_connection_blocked_t *)m)->reason);
		wd_cat(d, len, " %s", a);
		kind = EV_BLOCKED;
		break;
	case AMQP_CONNECTION_UNBLOCKED_METHOD:
		kind = EV_UNBLOCKED;
		break;
	case AMQP_QUEUE_DECLARE_OK_METHOD: {
		amqp_queue_declare_ok_t *x = m;
		wd_str(a, sizeof a, x->queue);
		wd_cat(d, len, " %s messages=%lu consumers=%lu", a,
		    (unsigned long)x->message_count,
		    (unsigned long)x->consumer_count);
		if (ch && ch->pend_declare) {
			watch_track_queue_dlx(c->t, a, ch->pend_dlx);
			ch->pend_declare = 0;
		}
		break;
	}
	case AMQP_BASIC_CONSUME_OK_METHOD:
		wd_str(a, sizeof a, ((amqp_basic_consume_ok_t *)m)->consumer_tag);
		wd_cat(d, len, " tag %s", a);
		if (ch && ch->npend) {
			/* consume-oks come in the order of the consumes. */
			struct wd_pend first = ch->pend[0];
			memmove(ch->pend, ch->pend + 1,
			    --ch->npend * sizeof *ch->pend);
			wd_consumer_add(ch, a, first.queue, first.no_ack);
			snprintf(d + strlen(d), len - strlen(d), " on %s",
			    first.queue);
		} else if (ch)
			wd_consumer_add(ch, a, "", 0);
		break;
	case AMQP_BASIC_DELIVER_METHOD:
	case AMQP_BASIC_GET_OK_METHOD:
	case AMQP_BASIC_RETURN_METHOD:
		if (ch)
			wd_content_start(ch, id, m);
		return; /* their events come with their content */
	case AMQP_BASIC_ACK_METHOD:
	case AMQP_BASIC_NACK_METHOD:
		if (ch) {
			/* A nack starts with an ack's fields. */
			amqp_basic_ack_t *x = m;
			wd_confirm(c, ch, x->delivery_tag, x->multiple,
			    id == AMQP_BASIC_ACK_METHOD);
		}
		return;
	default:
		break;
	}
	watch_track_emit(c->t, kind, ACTOR_BROKER, 0, code, 0, where, d);
}

/* ---- frames ---------------------------------------------------------- */

static int wd_fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
wd_fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Appends a method's name as the spec writes it: rabbitmq-c's
 * "AMQP_BASIC_CONSUME_OK_METHOD" is "basic.consume-ok".
 */
static void
wd_method_name(char *d, size_t len, const char *name)
{
	size_t n = strlen(name);
	int dots = 0;

	if (strncmp(name, "AMQP_", 5) == 0) {
		name += 5;
		n -= 5;
	}
	if (n > 7 && strcmp(name + n - 7, "_METHOD") == 0)
		n -= 7;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		if (ch == '_')
			ch = dots++ ? '-' : '.';
		else if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		wd_cat(d, len, "%c", ch);
	}
}

static int
wd_method(struct watch_decode *c, int upstream, const struct live_frame *f,
    char *err, size_t errlen)
{
	const char *side = upstream ? "client" : "broker";
	amqp_method_number_t id;
	amqp_bytes_t args;
	const char *name;
	char d[WD_DETAIL];
	void *m = NULL;
	int rc;

	if (f->cap_len < f->size || f->size < 4)
		return wd_fail(err, errlen, "%s sent a method frame of %lu "
		    "bytes, too short for a method", side,
		    (unsigned long)f->size);
	id = live_frame_be32(f->cap);
	name = amqp_method_name(id);
	if (name == NULL)
		return wd_fail(err, errlen, "%s sent method %u.%u, which AMQP "
		    "0-9-1 does not define", side, (unsigned)(id >> 16),
		    (unsigned)(id & 0xffff));
	args.bytes = f->cap + 4;
	args.len = f->size - 4;
	rc = amqp_decode_method(id, &c->pool, args, &m);
	if (rc < 0) {
		char spec[64] = "";
		wd_method_name(spec, sizeof spec, name);
		return wd_fail(err, errlen, "%s sent %s (%u.%u) whose "
		    "arguments do not decode: %s", side, spec,
		    (unsigned)(id >> 16), (unsigned)(id & 0xffff),
		    amqp_error_string2(rc));
	}
	wd_head(c, f->channel, d, sizeof d, ": ");
	wd_method_name(d, sizeof d, name);
	if (upstream)
		wd_up(c, f->channel, id, m, d, sizeof d);
	else
		wd_down(c, f->channel, id, m, d, sizeof d);
	/* A close-ok ends the same whichever side sends it. */
	if (id == AMQP_CHANNEL_CLOSE_OK_METHOD)
		wd_chan_drop(c, f->channel);
	else if (id == AMQP_CONNECTION_CLOSE_OK_METHOD)
		c->closed = 1;
	return 0;
}

static int
wd_header(struct watch_decode *c, int upstream, const struct live_frame *f,
    char *err, size_t errlen)
{
	struct wd_chan *ch = wd_chan(c, f->channel);
	struct wd_content *ct = ch ? (upstream ? &ch->up : &ch->down) : NULL;
	const char *side = upstream ? "client" : "broker";
	amqp_basic_properties_t *p = NULL;
	amqp_bytes_t enc;
	uint16_t cls;
	int rc;

	if (f->cap_len < f->size || f->size < 14)
		return wd_fail(err, errlen, "%s sent a content header of %lu "
		    "bytes, too short", side, (unsigned long)f->size);
	cls = live_frame_be16(f->cap);
	enc.bytes = f->cap + 12;
	enc.len = f->size - 12;
	rc = amqp_decode_properties(cls, &c->pool, enc, (void **)&p);
	if (rc < 0)
		return wd_fail(err, errlen, "%s sent a content header whose "
		    "properties do not decode: %s", side,
		    amqp_error_string2(rc));
	if (ct == NULL || ct->kind == WD_NONE || ct->have_header || cls != 60)
		return 0; /* not ours to police: the peer will */
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		wd_str(ct->message_id, sizeof ct->message_id, p->message_id);
	if (p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG)
		wd_str(ct->correlation_id, sizeof ct->correlation_id,
		    p->correlation_id);
	ct->persistent = (p->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG) &&
	    p->delivery_mode == 2;
	ct->have_header = 1;
	ct->body_left = live_frame_be64(f->cap + 4);
	if (ct->body_left == 0)
		wd_content_done(c, ch, ct);
	return 0;
}

int
watch_decode_frame(struct watch_decode *c, int upstream,
    const struct live_frame *f, char *err, size_t errlen)
{
	struct wd_chan *ch;
	struct wd_content *ct;
	char d[WD_DETAIL];
	int rc = 0;

	err[0] = '\0';
	recycle_amqp_pool(&c->pool);
	switch (f->type) {
	case LIVE_FRAME_METHOD:
		rc = wd_method(c, upstream, f, err, errlen);
		break;
	case LIVE_FRAME_HEADER:
		rc = wd_header(c, upstream, f, err, errlen);
		break;
	case LIVE_FRAME_BODY:
		ch = wd_chan(c, f->channel);
		if (ch == NULL)
			break; /* not an open channel: the broker will say so */
		ct = upstream ? &ch->up : &ch->down;
		if (ct->kind == WD_NONE || !ct->have_header)
			break;
		ct->body_left -= ct->body_left < f->size ? ct->body_left :
		    f->size;
		if (ct->body_left == 0)
			wd_content_done(c, ch, ct);
		break;
	case LIVE_FRAME_HEARTBEAT:
		wd_head(c, 0, d, sizeof d, WATCH_DECODE_HEARTBEAT);
		watch_track_emit(c->t, EV_FRAME, upstream ? ACTOR_PRODUCER :
		    ACTOR_BROKER, 0, 0, 0, NULL, d);
		break;
	default:
		break;
	}
	return rc;
}
