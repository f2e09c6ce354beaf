/*
 * The live engine: the producer's connection: encoding publishes, flushing
 * them in one send(), confirms, returns, losses.
 */
#include "engine/live_int.h"

static size_t lv_encode_publish(uint8_t *buf, size_t len, amqp_channel_t ch,
    amqp_bytes_t exchange, amqp_bytes_t key, int mandatory,
    const amqp_basic_properties_t *props, amqp_bytes_t body);

/* ---- producer ------------------------------------------------------------ */

static void
lv_sent_push(struct lv_producer *p, const struct lv_sent *s)
{
	if (p->sent_len == p->sent_cap) {
		size_t ncap = p->sent_cap ? p->sent_cap * 2 : 64;
		struct lv_sent *nb = xmalloc(ncap * sizeof *nb);
		for (size_t i = 0; i < p->sent_len; i++)
			nb[i] = p->sent[(p->sent_head + i) % p->sent_cap];
		free(p->sent);
		p->sent = nb;
		p->sent_cap = ncap;
		p->sent_head = 0;
	}
	p->sent[(p->sent_head + p->sent_len++) % p->sent_cap] = *s;
}

/* The producer's connection is gone. */
void
lv_producer_lost(struct engine *e, int code, enum loss_reason why,
    const char *detail)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	if (!cp->connected && !cp->connecting)
		return;
	if (cp->connected)
		lv_emit(e, EV_CONN_LOST, ACTOR_PRODUCER, 0, code, 0, NULL,
		    detail);
	p->loss = why;
	cp->connected = cp->connecting = 0;
	p->unsynced = p->syncing = 0;
	cp->chan_open = cp->chan_dead = cp->confirm_mode = 0;
	p->blocked = 0;
	cp->gen++;
	cp->step_armed = 0;
	p->wlen = 0; /* never written: their publishes die below */
	lv_client_drop(&p->cl, 0);
	/* Whatever the relay still holds never reaches the broker. */
	live_relay_drop(p->cl.relay);
	while (p->sent_len) {
		struct lv_sent s = lv_sent_pop(p);
		broker_drop(&e->base.b, s.id, why, s.seq ? NOTICE_ERROR : NOTICE_SILENT,
		    NULL);
	}
	client_pending_fail_all(&e->base.app);
	p->bchan = p->bdead = 0;
	client_producer_unblock(&e->base.app);
	lv_producer_pump(e);
}

static int lv_producer_open_channel(struct engine *e);

/* A connection attempt for the head publish failed. */
void
lv_producer_connect_failed(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	char why[200];

	live_conn_explain(&p->cl.conn, why, sizeof why);
	cp->connecting = 0;
	live_relay_drop(p->cl.relay);
	if (!cp->took_head) {
		/* The early connect at declare: the next publish retries. */
		lv_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, 0,
		    p->cl.conn.status ? p->cl.conn.status : -9, 0, NULL, why);
		lv_producer_pump(e);
		return;
	}
	lv_emit(e, EV_CONNECT_FAIL, ACTOR_PRODUCER, cp->head_id,
	    p->cl.conn.status ? p->cl.conn.status : -9, 0, NULL,
	    e->base.b.up ? why : "broker down");
	client_producer_connect_failed(&e->base.app);
}

void
lv_producer_connected(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	cp->connecting = 0;
	cp->connected = 1;
	p->room = 0;
	p->bchan = p->bdead = 0;
	cp->chan_open = cp->chan_dead = cp->confirm_mode = 0;
	p->loss = LOSS_NETWORK;
	lv_emit(e, EV_CONNECT, ACTOR_PRODUCER, 0, 0, 0, NULL, NULL);
	p->next_chan = 1;
	/*
	 * The topology is declared on the channel the producer publishes on:
	 * a channel's frames are acted on in order, two channels' are not
	 * (a publish could overtake a queue.bind on another channel). It is
	 * declared now, as Spring's RabbitAdmin does when a connection is
	 * made (and as the simulator does), not at the first publish: an
	 * exchange deleted in between stays deleted.
	 */
	p->redeclare = 1;
	if (lv_producer_open_channel(e) != 0) {
		lv_producer_lost(e, p->cl.conn.status, LOSS_NETWORK, NULL);
		return;
	}
	lv_producer_pump(e);
}

/* Big-endian writers for lv_encode_publish. */
static uint8_t *
lv_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
lv_put32(uint8_t *p, uint32_t v)
{
	p = lv_put16(p, (uint16_t)(v >> 16));
	return lv_put16(p, (uint16_t)v);
}

static uint8_t *
lv_putstr(uint8_t *p, amqp_bytes_t s)
{
	*p++ = (uint8_t)s.len;
	memcpy(p, s.bytes, s.len);
	return p + s.len;
}

/*
 * Encodes one basic.publish with its content header and body, as the
 * three frames rabbitmq-c's amqp_basic_publish would send, into buf (at
 * least 2048 + names + headers bytes). Returns the length, or 0 if it
 * does not fit. One send() then carries the whole publish instead of
 * three: on loopback, and in a VM, the system call is the cost.
 */
static size_t
lv_encode_publish(uint8_t *buf, size_t len, amqp_channel_t ch,
    amqp_bytes_t exchange, amqp_bytes_t key, int mandatory,
    const amqp_basic_properties_t *props, amqp_bytes_t body)
{
	uint8_t *p = buf, *size_at, *start;
	uint16_t flags = 0;

	if (exchange.len > 255 || key.len > 255 || len < 2048 + body.len)
		return 0;
	/* method frame */
	*p++ = AMQP_FRAME_METHOD;
	p = lv_put16(p, ch);
	size_at = p;
	p += 4;
	start = p;
	p = lv_put32(p, AMQP_BASIC_PUBLISH_METHOD);
	p = lv_put16(p, 0);
	p = lv_putstr(p, exchange);
	p = lv_putstr(p, key);
	*p++ = (uint8_t)(mandatory ? 1 : 0);
	lv_put32(size_at, (uint32_t)(p - start));
	*p++ = AMQP_FRAME_END;
	/* content header frame */
	*p++ = AMQP_FRAME_HEADER;
	p = lv_put16(p, ch);
	size_at = p;
	p += 4;
	start = p;
	p = lv_put16(p, 60);
	p = lv_put16(p, 0);
	p = lv_put32(p, 0);
	p = lv_put32(p, (uint32_t)body.len);
	if (props->_flags & AMQP_BASIC_HEADERS_FLAG)
		flags |= 1u << 13;
	if (props->_flags & AMQP_BASIC_DELIVERY_MODE_FLAG)
		flags |= 1u << 12;
	if (props->_flags & AMQP_BASIC_EXPIRATION_FLAG)
		flags |= 1u << 8;
	if (props->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		flags |= 1u << 7;
	p = lv_put16(p, flags);
	if (flags & (1u << 13)) {
		/* amqp_encode_table writes the table's length itself. */
		amqp_bytes_t out;
		size_t off = 0;
		out.bytes = p;
		out.len = len - (size_t)(p - buf) - 1024;
		if (amqp_encode_table(out, (amqp_table_t *)&props->headers,
		    &off) != AMQP_STATUS_OK)
			return 0;
		p += off;
	}
	if (flags & (1u << 12))
		*p++ = props->delivery_mode;
	if (flags & (1u << 8)) {
		if (props->expiration.len > 255)
			return 0;
		p = lv_putstr(p, props->expiration);
	}
	if (flags & (1u << 7)) {
		if (props->message_id.len > 255)
			return 0;
		p = lv_putstr(p, props->message_id);
	}
	lv_put32(size_at, (uint32_t)(p - start));
	*p++ = AMQP_FRAME_END;
	/* body frame */
	if (body.len) {
		*p++ = AMQP_FRAME_BODY;
		p = lv_put16(p, ch);
		p = lv_put32(p, (uint32_t)body.len);
		memcpy(p, body.bytes, body.len);
		p += body.len;
		*p++ = AMQP_FRAME_END;
	}
	return (size_t)(p - buf);
}

void
lv_props_id(char *buf, size_t len, uint32_t id, uint32_t msgid)
{
	snprintf(buf, len, "m%" PRIu32 ".%" PRIu32, id, msgid);
}

/*
 * Writes the publishes encoded this turn with one send(): the buffer is
 * empty afterwards either way. Returns AMQP_STATUS_OK, or
 * AMQP_STATUS_SOCKET_ERROR if the socket did not take them whole (the
 * caller then fails the connection).
 */
static int
lv_producer_flush(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	size_t n = p->wlen;

	if (n == 0)
		return AMQP_STATUS_OK;
	p->wlen = 0;
	p->flushed_at = lv_now(e);
	/*
	 * In process when whatever went through the socket before has
	 * arrived (loopback delivery is not always done when send()
	 * returns): the relay reads it first, and order is kept.
	 */
	if (live_conn_delivered(&p->cl.conn) &&
	    live_relay_inject(p->cl.relay, p->wbuf, n) == 0) {
		p->injected = 1;
		return AMQP_STATUS_OK;
	}
	p->wrote = 1;
	return send(p->cl.conn.fd, p->wbuf, n, MSG_NOSIGNAL) == (ssize_t)n ?
	    AMQP_STATUS_OK : AMQP_STATUS_SOCKET_ERROR;
}

/* Flushes; on failure the producer's connection is lost. 0 or -1. */
static int
lv_producer_flush_or_lose(struct engine *e)
{
	int rc = lv_producer_flush(e);

	if (rc == AMQP_STATUS_OK)
		return 0;
	live_conn_fail(&e->prod.cl.conn, rc);
	lv_producer_lost(e, rc, LOSS_NETWORK, NULL);
	return -1;
}

/*
 * Encodes the head message of the outbox into the turn's write buffer
 * (lv_producer_flush sends it). Returns 0, or -1 when the connection
 * failed.
 */
static int
lv_producer_send(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_batch *b = client_outbox_head(&e->base.app);
	struct lv_sent s;
	struct broker_msg m;
	amqp_basic_properties_t props;
	amqp_table_entry_t *hdr;
	char mid[48], exp[32], *rx;
	const char *rkey;
	size_t nh = 0, nset = b->headers ? e->base.b.hset_len[b->headers] : 0;
	int rc;

	client_producer_publish(&e->base.app, &m);
	memset(&s, 0, sizeof s);
	s.id = m.id;
	s.msgid = m.msgid;
	s.seq = e->base.app.prod.confirm_mode ? m.tag : 0;
	s.key = m.key;
	s.exchange = b->exchange;
	s.persistent = m.persistent;
	s.expiration = m.expiration;
	s.headers = m.headers;
	s.mandatory = (uint8_t)e->base.toggles[TOGGLE_MANDATORY];
	/* The frame: every header the script gave, the lab's id first. */
	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
	    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
	props.delivery_mode = m.persistent ? 2 : 1;
	lv_props_id(mid, sizeof mid, s.id, s.msgid);
	props.message_id = amqp_cstring_bytes(mid);
	hdr = xmalloc((nset + 2) * sizeof *hdr);
	hdr[nh++] = lv_entry_int(LV_ID_HEADER, s.id);
	if (b->delay >= 0)
		hdr[nh++] = lv_entry_int("x-delay", b->delay);
	for (size_t i = 0; i < nset; i++)
		hdr[nh++] = lv_entry_str(e->base.b.hsets[b->headers][i].key,
		    e->base.b.hsets[b->headers][i].value);
	props.headers.entries = hdr;
	props.headers.num_entries = (int)nh;
	if (b->expiration >= 0) {
		snprintf(exp, sizeof exp, "%" PRId64, b->expiration);
		props._flags |= AMQP_BASIC_EXPIRATION_FLAG;
		props.expiration = amqp_cstring_bytes(exp);
	}
	rkey = lv_rkey(e, m.key);
	rx = b->exchange == -2 ? NULL : b->exchange >= 0 ?
	    NULL : lv_real(e, b->xname);
	lv_cmd_push(&p->cl, CMD_PUBLISH, AMQP_BASIC_PUBLISH_METHOD, 0, 0);
	lv_sent_push(p, &s);
	/*
	 * mandatory is always set on the wire: see the file comment. The
	 * frames are rabbitmq-c's, appended to the turn's write buffer, which
	 * lv_producer_flush writes with one send() (the room check before
	 * each publish guarantees the socket takes it whole). What does not
	 * encode here goes through rabbitmq-c, after the buffer.
	 */
	{
		amqp_bytes_t xb = amqp_cstring_bytes(rx ? rx : b->exchange >= 0 ?
		    e->xr[b->exchange].rname : "");
		size_t n;
		if (p->wcap - p->wlen < LV_PUBLISH_MAX)
			p->wbuf = xgrow(p->wbuf, &p->wcap,
			    p->wlen + LV_PUBLISH_MAX, 1);
		n = lv_encode_publish(p->wbuf + p->wlen, LV_PUBLISH_MAX,
		    p->cl.chan, xb, amqp_cstring_bytes(rkey), 1, &props,
		    amqp_cstring_bytes("payment"));
		p->wlen += n;
		rc = AMQP_STATUS_OK;
		if (n == 0)
			rc = lv_producer_flush(e);
		if (n == 0 && rc == AMQP_STATUS_OK) {
			p->wrote = 1;
			rc = amqp_basic_publish(p->cl.conn.st, p->cl.chan, xb,
			    amqp_cstring_bytes(rkey), 1, 0, &props,
			    amqp_cstring_bytes("payment"));
		}
	}
	free(rx);
	free(hdr);
	p->unsynced = 1;
	/* What this publish took of the send buffer, twice over. */
	p->room -= p->room > 1024 + strlen(e->base.b.keys[m.key]) ?
	    1024 + strlen(e->base.b.keys[m.key]) : p->room;
	client_outbox_advance(&e->base.app);
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(&p->cl.conn, rc);
		lv_producer_lost(e, rc, LOSS_NETWORK, NULL);
		return -1;
	}
	return 0;
}

/*
 * Replaces an idle producer connection with a new one at once, as an
 * application restarted with a new connection setting (heartbeat) would.
 */
void
lv_producer_recycle(struct engine *e)
{
	struct lv_producer *p = &e->prod;

	client_producer_recycle(&e->base.app);
	lv_client_drop(&p->cl, 1);
	live_relay_flush(p->cl.relay, 200);
	p->unsynced = p->syncing = 0;
	if (lv_client_open(e, &p->cl) != 0)
		lv_producer_connect_failed(e);
}

int
lv_producer_settled(struct engine *e)
{
	return !e->base.app.prod.connecting;
}

/*
 * One turn of lv_producer_pump. Publishes collect in the write buffer;
 * it is flushed before anything else is written on the connection, and
 * before the socket's room is read again, so the stream keeps its order.
 */
static void
lv_producer_pump_turn(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int mode = (int)e->base.toggles[TOGGLE_CONFIRMS];

	p->want_write = 0;
	for (int budget = LV_BUDGET; budget > 0; budget--) {
		if (!client_producer_ready(&e->base.app))
			return;
		if (!cp->connected) {
			cp->connecting = 1;
			if (lv_client_open(e, &p->cl) != 0)
				lv_producer_connect_failed(e);
			return;
		}
		if (p->room < 4096) {
			if (lv_producer_flush_or_lose(e) != 0)
				return;
			p->room = live_conn_room(&p->cl.conn);
		}
		if (p->blocked || p->room < 4096) {
			p->want_write = !p->blocked;
			return;
		}
		/* Channel open, close or confirm.select ahead: flush first. */
		if ((!cp->chan_open || (mode == CONFIRMS_OFF && cp->confirm_mode) ||
		    (mode != CONFIRMS_OFF && !cp->confirm_mode)) &&
		    lv_producer_flush_or_lose(e) != 0)
			return;
		if (!cp->chan_open) {
			if (cp->chan_dead && !e->base.toggles[TOGGLE_REOPEN_CHANNEL]) {
				/*
				 * rabbitmq-c style: the closed channel number
				 * is used again without channel.open.
				 */
			} else if (lv_producer_open_channel(e) != 0)
				goto dead;
		}
		if (cp->chan_open && mode == CONFIRMS_OFF && cp->confirm_mode) {
			/* confirm.select cannot be undone: a fresh channel. */
			amqp_channel_close_t cc;
			memset(&cc, 0, sizeof cc);
			cc.reply_code = AMQP_REPLY_SUCCESS;
			if (lv_send(&p->cl, CMD_CHANNEL_CLOSE, 0, 0,
			    AMQP_CHANNEL_CLOSE_METHOD, &cc) != 0)
				goto dead;
			cp->chan_open = 0;
			cp->confirm_mode = 0;
			continue;
		}
		if (cp->chan_open && mode != CONFIRMS_OFF && !cp->confirm_mode) {
			amqp_confirm_select_t cs;
			memset(&cs, 0, sizeof cs);
			lv_emit(e, EV_CONFIRM_SELECT, ACTOR_PRODUCER, 0, 0, 0,
			    NULL, NULL);
			if (lv_send(&p->cl, CMD_OTHER, 0, 0,
			    AMQP_CONFIRM_SELECT_METHOD, &cs) != 0)
				goto dead;
			cp->confirm_mode = 1;
			cp->next_seq = 0;
		}
		if (lv_producer_send(e) != 0)
			return;
		continue;
dead:
		lv_producer_lost(e, p->cl.conn.status, LOSS_NETWORK, NULL);
		return;
	}
}

/*
 * Holds the producer back: after confirms are turned off, the old
 * channel's confirms come first; a connection setting changed (heartbeat)
 * replaces an idle connection first.
 */
int
lv_producer_hold(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	if (cp->connected && cp->confirm_mode && cp->outstanding &&
	    e->base.toggles[TOGGLE_CONFIRMS] == CONFIRMS_OFF)
		return 1;
	if (client_producer_recycle_due(&e->base.app) && p->sent_len == 0) {
		if (lv_producer_flush_or_lose(e) == 0)
			lv_producer_recycle(e);
		return 1;
	}
	return 0;
}

/*
 * Opens the producer's next channel, declaring the topology on it first
 * when the connection is new. Returns 0, or -1 when the connection failed.
 */
static int
lv_producer_open_channel(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	lv_emit(e, EV_CHANNEL_OPEN, ACTOR_PRODUCER, 0, 0, 0, NULL, NULL);
	if (lv_channel_open(&p->cl, p->next_chan++) != 0)
		return -1;
	if (p->redeclare && lv_redeclare(e, &p->cl) != 0)
		return -1;
	p->redeclare = 0;
	if (p->next_chan > 60)
		p->next_chan = 2;
	cp->chan_open = 1;
	cp->chan_dead = 0;
	cp->next_seq = 0;
	cp->confirm_mode = 0;
	return 0;
}

/*
 * Decides the producer's next moves: connect, retry, wait for confirms or
 * send, up to LV_BUDGET publishes per call, written with one send().
 */
void
lv_producer_pump(struct engine *e)
{
	lv_producer_pump_turn(e);
	lv_producer_flush_or_lose(e);
}

/* A confirm for `tag` (or all up to it) arrived. */
void
lv_producer_confirm(struct engine *e, uint64_t tag, int multiple, int ack)
{
	struct lv_producer *p = &e->prod;

	p->confirm_rtt = lv_now(e) - p->flushed_at;
	client_producer_confirm(&e->base.app, tag, multiple, ack);
}

/* A basic.return for message `id` arrived (header read). */
void
lv_producer_return(struct engine *e, uint32_t id, int code)
{
	struct broker_tally *t = broker_tally(&e->base.b, id);
	int mandatory = t->mandatory;

	if (t->returns_due)
		t->returns_due--;
	if (mandatory)
		lv_emit(e, EV_RETURN, ACTOR_EXCHANGE, id, code, 0, NULL, NULL);
	broker_drop(&e->base.b, id, LOSS_UNROUTABLE, mandatory ? NOTICE_RETURN :
	    NOTICE_SILENT, NULL);
}

/* Parses "m<id>.<msgid>"; returns the ledger id or 0. */
uint32_t
lv_parse_mid(amqp_bytes_t b, uint32_t *msgid)
{
	char buf[48];
	char *end;
	unsigned long id, mid = 0;

	if (b.len == 0 || b.len >= sizeof buf)
		return 0;
	memcpy(buf, b.bytes, b.len);
	buf[b.len] = '\0';
	if (buf[0] != 'm')
		return 0;
	id = strtoul(buf + 1, &end, 10);
	if (*end == '.')
		mid = strtoul(end + 1, NULL, 10);
	if (msgid)
		*msgid = (uint32_t)mid;
	return (uint32_t)id;
}

const amqp_field_value_t *
lv_header(const amqp_basic_properties_t *p, const char *key)
{
	size_t kl = strlen(key);

	if (!(p->_flags & AMQP_BASIC_HEADERS_FLAG))
		return NULL;
	for (int i = 0; i < p->headers.num_entries; i++) {
		const amqp_table_entry_t *en = &p->headers.entries[i];
		if (en->key.len == kl && memcmp(en->key.bytes, key, kl) == 0)
			return &en->value;
	}
	return NULL;
}

int64_t
lv_field_int(const amqp_field_value_t *v)
{
	switch (v->kind) {
	case AMQP_FIELD_KIND_I8: return v->value.i8;
	case AMQP_FIELD_KIND_U8: return v->value.u8;
	case AMQP_FIELD_KIND_I16: return v->value.i16;
	case AMQP_FIELD_KIND_U16: return v->value.u16;
	case AMQP_FIELD_KIND_I32: return v->value.i32;
	case AMQP_FIELD_KIND_U32: return v->value.u32;
	case AMQP_FIELD_KIND_I64: return v->value.i64;
	case AMQP_FIELD_KIND_U64: return (int64_t)v->value.u64;
	default: return -1;
	}
}

/* The ledger id and message-id number of a message. */
uint32_t
lv_message_id(const amqp_basic_properties_t *p, uint32_t *msgid)
{
	const amqp_field_value_t *v = lv_header(p, LV_ID_HEADER);
	uint32_t id = 0;

	*msgid = 0;
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		id = lv_parse_mid(p->message_id, msgid);
	if (v && lv_field_int(v) > 0)
		id = (uint32_t)lv_field_int(v);
	return id;
}

/* The producer's channel was closed by the broker. */
void
lv_producer_channel_closed(struct engine *e, const amqp_method_t *m)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	amqp_channel_close_ok_t ok;
	char text[256], clean[256];
	int code;

	live_conn_reply(m, &code, text, sizeof text);
	lv_unprefix(e, text, clean, sizeof clean);
	lv_emit(e, EV_CHANNEL_CLOSE, ACTOR_BROKER, p->doomed, code, 0, NULL,
	    clean);
	p->doomed = 0;
	cp->chan_open = 0;
	cp->chan_dead = 1;
	cp->confirm_mode = 0;
	p->unsynced = p->syncing = 0;
	client_pending_fail_all(&e->base.app);
	memset(&ok, 0, sizeof ok);
	if (lv_send(&p->cl, CMD_CLOSE_OK, 0, 0, AMQP_CHANNEL_CLOSE_OK_METHOD,
	    &ok) != 0)
		lv_producer_lost(e, p->cl.conn.status, LOSS_NETWORK, NULL);
}
