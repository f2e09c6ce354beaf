/*
 * The class's connection (see class_link.h): the host list, reconnection
 * with a growing pause, the setup as a list of (method, reply) steps played
 * one reply at a time, and the frames after it: confirms, returns and
 * deliveries with their content. Login and the handshake are live_conn's,
 * URL parsing live_broker's; this module adds only what a class needs.
 */
#include "class/class_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live_broker.h"
#include "util/mono.h"
#include "util/xmalloc.h"

#define CLASS_BACKOFF_MIN 0.25
#define CLASS_BACKOFF_MAX 8.0
#define CLASS_HEARTBEAT 5        /* s: a dead broker is seen within ~10 s */
#define CLASS_HANDSHAKE_S 10.0
/* Channel, topology and consume: a broker that keeps the connection alive
 * (heartbeats) but leaves a declare unanswered, as one still recovering a
 * quorum queue after kill -9 may, must not hold the link for good. */
#define CLASS_SETUP_S 20.0
#define CLASS_FRAMES_PER_STEP 256 /* bounds one step's work */
#define CLASS_ROOM_NEEDED (CLASS_EVENT_JSON_MAX + 512)

int
class_klass_ok(const char *klass, char *why, size_t why_len)
{
	size_t n = strlen(klass);

	for (size_t i = 0; i < n; i++) {
		char c = klass[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			n = 0;
	}
	if (n == 0 || n >= CLASS_NAME_MAX) {
		snprintf(why, why_len, "a class name of 1 to %d letters, digits, "
		    "'_' or '-'", CLASS_NAME_MAX - 1);
		return 0;
	}
	return 1;
}

int
class_link_targets(const char *url, const char *what,
    struct live_target **t, size_t *n, char **cause)
{
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	const char *end = auth + strcspn(auth, "/?#");
	const char *at = NULL, *hosts;
	size_t cap = 0;

	*t = NULL;
	*n = 0;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	hosts = at ? at + 1 : auth;
	if (scheme == NULL || hosts == end) {
		*cause = xasprintf("%s: not an amqp://user:password@host:port/"
		    "vhost URL (hosts may be listed h1:port,h2:port)", what);
		return -1;
	}
	for (const char *h = hosts; h <= end;) {
		size_t hl = strcspn(h, ",/?#");
		char *one;
		int rc;
		if (h + hl > end)
			hl = (size_t)(end - h);
		if (hl == 0) {
			*cause = xasprintf("%s: an empty host in the list "
			    "(expected h1:port,h2:port)", what);
			free(*t);
			*t = NULL;
			*n = 0;
			return -1;
		}
		one = xasprintf("%.*s%.*s%s", (int)(hosts - url), url, (int)hl,
		    h, end);
		*t = xgrow(*t, &cap, *n + 1, sizeof **t);
		rc = live_broker_parse_url(one, what, &(*t)[*n], cause);
		memset(one, 0, strlen(one));
		free(one);
		if (rc != 0) {
			memset(*t, 0, *n * sizeof **t);
			free(*t);
			*t = NULL;
			*n = 0;
			return -1;
		}
		(*n)++;
		h += hl + 1;
		if (h > end || h[-1] != ',')
			break;
	}
	return 0;
}

void
class_link_init(struct class_link *l, struct live_target *hosts,
    size_t nhosts, const char *klass, enum class_link_role role,
    const struct class_link_ops *ops, void *ctx)
{
	int lead = role == CLASS_LINK_LEADER || role == CLASS_LINK_FOLLOWER;

	memset(l, 0, sizeof *l);
	l->hosts = hosts;
	l->nhosts = nhosts;
	snprintf(l->exchange, sizeof l->exchange, "%s%s%s", CLASS_PREFIX, klass,
	    lead ? CLASS_LEAD_SUFFIX : "");
	/* A follower's queue is named by the broker (queue.declare-ok). */
	snprintf(l->queue, sizeof l->queue, "%s%s%s", lead ? "" :
	    CLASS_PREFIX, lead ? "" : klass, lead ? "" : CLASS_QUEUE_SUFFIX);
	l->role = role;
	l->consume = role == CLASS_LINK_DASHBOARD || role == CLASS_LINK_FOLLOWER;
	l->prefetch = 512;
	l->ops = ops;
	l->ctx = ctx;
	l->phase = CLASS_LINK_WAIT;
	l->backoff = CLASS_BACKOFF_MIN;
	snprintf(l->label, sizeof l->label, "rabbitlab class %s",
	    role == CLASS_LINK_DASHBOARD ? "dashboard" : role ==
	    CLASS_LINK_LEADER ? "teacher" : "student");
	live_conn_init(&l->conn, &hosts[0], l->label);
}

static void
class_news(struct class_link *l, const char *fmt, const char *arg)
{
	char line[2200];

	if (l->ops->news == NULL)
		return;
	snprintf(line, sizeof line, fmt, arg);
	l->ops->news(l->ctx, line);
}

/* The connection is gone (why in the sentence): wait, then the next host. */
static void
class_link_down(struct class_link *l, const char *why)
{
	char line[1800];

	snprintf(line, sizeof line, "%s: %s", l->hosts[l->at].display, why);
	class_news(l, "class broker lost: %s", line);
	live_conn_abort(&l->conn);
	l->conn.state = LC_DOWN;
	l->phase = CLASS_LINK_WAIT;
	l->content = 0;
	l->retry_at = mono_seconds() + l->backoff;
	l->backoff = l->backoff * 2 > CLASS_BACKOFF_MAX ? CLASS_BACKOFF_MAX :
	    l->backoff * 2;
	l->at = (l->at + 1) % l->nhosts;
	if (l->ops->lost)
		l->ops->lost(l->ctx);
}

static void
class_link_failed(struct class_link *l)
{
	char why[400];

	live_conn_explain(&l->conn, why, sizeof why);
	class_link_down(l, why);
}

/* ---- setup ----------------------------------------------------------- */

enum class_setup {
	CS_OPEN, CS_CONFIRM, CS_EXCHANGE, CS_QUEUE, CS_BIND, CS_QOS,
	CS_CONSUME, CS_DONE
};

/* Whether setup step s applies to this side. */
static int
class_setup_wanted(const struct class_link *l, int s)
{
	if (s == CS_CONFIRM)
		return l->role == CLASS_LINK_STUDENT;
	if (s == CS_QUEUE || s == CS_BIND)
		return l->role != CLASS_LINK_LEADER;
	if (s == CS_QOS)
		return l->role == CLASS_LINK_DASHBOARD;
	if (s == CS_CONSUME)
		return l->consume;
	return 1;
}

/* Sends setup step s; 0 or -1. */
static int
class_setup_send(struct class_link *l, int s)
{
	amqp_table_entry_t qarg;
	amqp_method_number_t id;
	void *m;
	amqp_channel_open_t co = { amqp_empty_bytes };
	amqp_confirm_select_t cs = { 0 };
	amqp_exchange_declare_t xd;
	amqp_queue_declare_t qd;
	amqp_queue_bind_t qb;
	amqp_basic_qos_t qos;
	amqp_basic_consume_t bc;

	switch (s) {
	case CS_OPEN:
		id = AMQP_CHANNEL_OPEN_METHOD, m = &co;
		break;
	case CS_CONFIRM:
		id = AMQP_CONFIRM_SELECT_METHOD, m = &cs;
		break;
	case CS_EXCHANGE:
		memset(&xd, 0, sizeof xd);
		xd.exchange = amqp_cstring_bytes(l->exchange);
		xd.type = amqp_cstring_bytes(l->role == CLASS_LINK_LEADER ||
		    l->role == CLASS_LINK_FOLLOWER ? "fanout" : "direct");
		xd.durable = 1;
		id = AMQP_EXCHANGE_DECLARE_METHOD, m = &xd;
		break;
	case CS_QUEUE:
		memset(&qd, 0, sizeof qd);
		qd.queue = amqp_cstring_bytes(l->queue);
		if (l->role == CLASS_LINK_FOLLOWER) {
			qd.exclusive = qd.auto_delete = 1;
			id = AMQP_QUEUE_DECLARE_METHOD, m = &qd;
			break;
		}
		qd.durable = 1;
		qarg.key = amqp_cstring_bytes("x-queue-type");
		qarg.value.kind = AMQP_FIELD_KIND_UTF8;
		qarg.value.value.bytes = amqp_cstring_bytes("quorum");
		qd.arguments.num_entries = 1;
		qd.arguments.entries = &qarg;
		id = AMQP_QUEUE_DECLARE_METHOD, m = &qd;
		break;
	case CS_BIND:
		memset(&qb, 0, sizeof qb);
		qb.queue = amqp_cstring_bytes(l->queue);
		qb.exchange = amqp_cstring_bytes(l->exchange);
		qb.routing_key = amqp_cstring_bytes(l->role ==
		    CLASS_LINK_FOLLOWER ? "" : CLASS_ROUTING_KEY);
		id = AMQP_QUEUE_BIND_METHOD, m = &qb;
		break;
	case CS_QOS:
		memset(&qos, 0, sizeof qos);
		qos.prefetch_count = (uint16_t)l->prefetch;
		id = AMQP_BASIC_QOS_METHOD, m = &qos;
		break;
	default:
		memset(&bc, 0, sizeof bc);
		bc.queue = amqp_cstring_bytes(l->queue);
		bc.no_ack = l->role == CLASS_LINK_FOLLOWER;
		id = AMQP_BASIC_CONSUME_METHOD, m = &bc;
		break;
	}
	return live_conn_send(&l->conn, 1, id, m);
}

/* The reply each setup step waits for. */
static const amqp_method_number_t class_setup_reply[] = {
	[CS_OPEN] = AMQP_CHANNEL_OPEN_OK_METHOD,
	[CS_CONFIRM] = AMQP_CONFIRM_SELECT_OK_METHOD,
	[CS_EXCHANGE] = AMQP_EXCHANGE_DECLARE_OK_METHOD,
	[CS_QUEUE] = AMQP_QUEUE_DECLARE_OK_METHOD,
	[CS_BIND] = AMQP_QUEUE_BIND_OK_METHOD,
	[CS_QOS] = AMQP_BASIC_QOS_OK_METHOD,
	[CS_CONSUME] = AMQP_BASIC_CONSUME_OK_METHOD,
};

/* The method each setup step sends, as a broker's log names it. */
static const char *const class_setup_name[] = {
	[CS_OPEN] = "channel.open", [CS_CONFIRM] = "confirm.select",
	[CS_EXCHANGE] = "exchange.declare", [CS_QUEUE] = "queue.declare",
	[CS_BIND] = "queue.bind", [CS_QOS] = "basic.qos",
	[CS_CONSUME] = "basic.consume",
};

/* Sends the next wanted setup step after s, or becomes ready. */
static void
class_setup_next(struct class_link *l, int s)
{
	while (s < CS_DONE && !class_setup_wanted(l, s))
		s++;
	l->setup = s;
	if (s == CS_DONE) {
		l->phase = CLASS_LINK_READY;
		l->backoff = CLASS_BACKOFF_MIN;
		class_news(l, "class broker up: %s", l->hosts[l->at].display);
		return;
	}
	if (class_setup_send(l, s) != 0)
		class_link_failed(l);
}

/* ---- frames ---------------------------------------------------------- */

/* The end of a delivery's or a return's content. */
static void
class_content_done(struct class_link *l)
{
	if (l->content == 1 && l->ops->deliver)
		l->ops->deliver(l->ctx, l->dtag, l->body, l->body_n,
		    l->body_over);
	else if (l->content == 2 && l->ops->returned)
		l->ops->returned(l->ctx, l->ret_id);
	l->content = 0;
}

static void
class_frame_header(struct class_link *l, const amqp_frame_t *f)
{
	const amqp_basic_properties_t *p = f->payload.properties.decoded;

	l->body_left = f->payload.properties.body_size;
	l->body_n = 0;
	l->body_over = 0;
	l->ret_id[0] = '\0';
	if (l->content == 2 && p && (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) &&
	    p->message_id.len < sizeof l->ret_id) {
		memcpy(l->ret_id, p->message_id.bytes, p->message_id.len);
		l->ret_id[p->message_id.len] = '\0';
	}
	if (l->body_left == 0)
		class_content_done(l);
}

static void
class_frame_body(struct class_link *l, const amqp_frame_t *f)
{
	size_t n = f->payload.body_fragment.len;
	size_t room = sizeof l->body - l->body_n;

	if (n > room)
		l->body_over = 1;
	memcpy(l->body + l->body_n, f->payload.body_fragment.bytes,
	    n < room ? n : room);
	l->body_n += n < room ? n : room;
	l->body_left = l->body_left > n ? l->body_left - n : 0;
	if (l->body_left == 0)
		class_content_done(l);
}

/* The queue the broker named for a follower; -1 (link down) if it does
 * not fit. Other roles name their queue themselves. */
static int
class_queue_named(struct class_link *l, const amqp_queue_declare_ok_t *ok)
{
	if (l->role != CLASS_LINK_FOLLOWER)
		return 0;
	if (ok->queue.len == 0 || ok->queue.len >= sizeof l->queue) {
		class_link_down(l, "the broker named the lead queue oddly");
		return -1;
	}
	memcpy(l->queue, ok->queue.bytes, ok->queue.len);
	l->queue[ok->queue.len] = '\0';
	return 0;
}

/* A method frame; returns -1 when the connection went down. */
static int
class_frame_method(struct class_link *l, const amqp_frame_t *f)
{
	const amqp_method_t *m = &f->payload.method;
	char text[300], why[400];
	int code = 0;

	switch (m->id) {
	case AMQP_BASIC_ACK_METHOD: {
		const amqp_basic_ack_t *a = m->decoded;
		if (l->ops->confirm)
			l->ops->confirm(l->ctx, a->delivery_tag, a->multiple, 1);
		return 0;
	}
	case AMQP_BASIC_NACK_METHOD: {
		const amqp_basic_nack_t *a = m->decoded;
		if (l->ops->confirm)
			l->ops->confirm(l->ctx, a->delivery_tag, a->multiple, 0);
		return 0;
	}
	case AMQP_BASIC_DELIVER_METHOD:
		l->content = 1;
		l->dtag = ((const amqp_basic_deliver_t *)m->decoded)->delivery_tag;
		return 0;
	case AMQP_BASIC_RETURN_METHOD:
		l->content = 2;
		return 0;
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		live_conn_reply(m, &code, text, sizeof text);
		live_conn_explain_status(0, code, text, NULL, why, sizeof why);
		if (code == 403 && m->id == AMQP_CHANNEL_CLOSE_METHOD)
			snprintf(l->refused, sizeof l->refused, "%s", why);
		class_link_down(l, why);
		return -1;
	default:
		if (l->phase == CLASS_LINK_SETUP && l->setup == CS_QUEUE &&
		    m->id == AMQP_QUEUE_DECLARE_OK_METHOD &&
		    class_queue_named(l, m->decoded) != 0)
			return -1;
		if (l->phase == CLASS_LINK_SETUP &&
		    m->id == class_setup_reply[l->setup])
			class_setup_next(l, l->setup + 1);
		return l->phase == CLASS_LINK_WAIT ? -1 : 0;
	}
}

/* Reads what arrived; returns when nothing more is there. */
static void
class_link_read(struct class_link *l)
{
	for (int i = 0; i < CLASS_FRAMES_PER_STEP; i++) {
		amqp_frame_t f;
		int rc = live_conn_next_frame(&l->conn, &f);
		if (rc < 0) {
			class_link_failed(l);
			return;
		}
		if (rc == 0)
			break;
		if (f.frame_type == AMQP_FRAME_METHOD) {
			if (class_frame_method(l, &f) < 0)
				return;
		} else if (f.frame_type == AMQP_FRAME_HEADER && l->content)
			class_frame_header(l, &f);
		else if (f.frame_type == AMQP_FRAME_BODY && l->content)
			class_frame_body(l, &f);
	}
	live_conn_release(&l->conn);
}

void
class_link_step(struct class_link *l)
{
	const struct live_target *t;

	switch (l->phase) {
	case CLASS_LINK_WAIT:
		if (mono_seconds() < l->retry_at)
			return;
		t = &l->hosts[l->at];
		if (l->role == CLASS_LINK_FOLLOWER)
			l->queue[0] = '\0'; /* the last one went with its link */
		live_conn_init(&l->conn, t, l->label);
		l->tag = 0;
		if (live_conn_open(&l->conn, t->host, t->port, CLASS_HEARTBEAT,
		    CLASS_HANDSHAKE_S) != 0) {
			class_link_failed(l);
			return;
		}
		l->phase = CLASS_LINK_CONNECT;
		/* fall through */
	case CLASS_LINK_CONNECT: {
		int rc = live_conn_step(&l->conn);
		if (rc < 0) {
			class_link_failed(l);
			return;
		}
		if (rc == 0)
			return;
		l->phase = CLASS_LINK_SETUP;
		l->setup_by = mono_seconds() + CLASS_SETUP_S;
		class_setup_next(l, CS_OPEN);
		if (l->phase == CLASS_LINK_WAIT)
			return;
		break;
	}
	case CLASS_LINK_SETUP:
		if (mono_seconds() > l->setup_by) {
			char why[360];
			/* Only a queue's leader answers basic.consume. */
			snprintf(why, sizeof why, "the broker left %s "
			    "unanswered: set-up not done in %.0f s%s",
			    class_setup_name[l->setup], CLASS_SETUP_S,
			    l->setup == CS_CONSUME && l->role ==
			    CLASS_LINK_DASHBOARD ? " (the class queue has no "
			    "leader: a quorum queue declared moments before a "
			    "crash can come back without its member, and the "
			    "node logs \"leader not known\"; deleting the "
			    "queue mends it)" : "");
			class_link_down(l, why);
			return;
		}
		break;
	default:
		break;
	}
	class_link_read(l);
}

int
class_link_ready(const struct class_link *l)
{
	return l->phase == CLASS_LINK_READY;
}

int
class_link_fd(const struct class_link *l)
{
	return l->phase == CLASS_LINK_WAIT ? -1 : l->conn.fd;
}

int
class_link_publish(struct class_link *l, const char *id, const char *json,
    size_t len, uint64_t *tag)
{
	amqp_basic_properties_t props;
	amqp_bytes_t body = { len, (void *)(uintptr_t)json };
	int rc;

	if (l->phase != CLASS_LINK_READY ||
	    live_conn_room(&l->conn) < CLASS_ROOM_NEEDED)
		return -1;
	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
	    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_CONTENT_TYPE_FLAG;
	props.delivery_mode = l->role == CLASS_LINK_LEADER ? 1 : 2;
	props.message_id = amqp_cstring_bytes(id);
	props.content_type = amqp_cstring_bytes("application/json");
	rc = amqp_basic_publish(l->conn.st, 1, amqp_cstring_bytes(l->exchange),
	    amqp_cstring_bytes(l->role == CLASS_LINK_LEADER ? "" :
	    CLASS_ROUTING_KEY), l->role != CLASS_LINK_LEADER, 0, &props, body);
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(&l->conn, rc);
		class_link_failed(l);
		return -1;
	}
	*tag = ++l->tag;
	return 0;
}

int
class_link_settle(struct class_link *l, uint64_t tag, int ok)
{
	amqp_basic_ack_t a = { tag, 0 };
	amqp_basic_reject_t r = { tag, 0 };

	if (l->phase != CLASS_LINK_READY)
		return -1;
	if (live_conn_send(&l->conn, 1, ok ? AMQP_BASIC_ACK_METHOD :
	    AMQP_BASIC_REJECT_METHOD, ok ? (void *)&a : (void *)&r) != 0) {
		class_link_failed(l);
		return -1;
	}
	return 0;
}

void
class_link_restart(struct class_link *l, const char *why)
{
	if (l->phase != CLASS_LINK_WAIT)
		class_link_down(l, why);
}

void
class_link_close(struct class_link *l)
{
	if (l->phase != CLASS_LINK_WAIT)
		live_conn_close(&l->conn);
	if (l->hosts) {
		memset(l->hosts, 0, l->nhosts * sizeof *l->hosts);
		free(l->hosts);
	}
	memset(l, 0, sizeof *l);
}
