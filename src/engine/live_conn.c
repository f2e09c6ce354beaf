/*
 * A non-blocking AMQP 0-9-1 client connection over rabbitmq-c 0.11.
 *
 * The TCP connect is our own (non-blocking); the socket is then handed to
 * rabbitmq-c with amqp_tcp_socket_set_sockfd, and the handshake is played
 * with amqp_send_header, amqp_send_method, amqp_tune_connection and
 * amqp_simple_wait_frame_noblock with a zero timeout, one step per call.
 * Every wait for the broker is therefore a return to the caller's poll()
 * loop, with a deadline so that a peer that never speaks AMQP is noticed.
 */
#include "engine/live_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <linux/tcp.h>         /* struct tcp_info with tcpi_bytes_received */
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/mono.h"
#include "util/xmalloc.h"

void
live_conn_init(struct live_conn *c, const struct live_target *t,
    const char *name)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->state = LC_DOWN;
	c->target = t;
	snprintf(c->name, sizeof c->name, "%s", name);
}

static void
lc_drop(struct live_conn *c)
{
	if (c->st) {
		amqp_destroy_connection(c->st); /* closes the socket too */
		c->st = NULL;
	} else if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

void
live_conn_fail(struct live_conn *c, int status)
{
	if (c->status == 0)
		c->status = status;
	c->state = LC_FAILED;
	lc_drop(c);
}

int
live_conn_open(struct live_conn *c, const char *host, int port,
    int heartbeat, double timeout_s)
{
	struct addrinfo hints, *res = NULL;
	char sport[16];
	int fd, one = 1;

	lc_drop(c);
	c->status = c->reply_code = 0;
	c->reply_text[0] = '\0';
	c->heartbeat = heartbeat;
	c->deadline = mono_seconds() + timeout_s;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(sport, sizeof sport, "%d", port);
	if (getaddrinfo(host, sport, &hints, &res) != 0 || res == NULL) {
		c->state = LC_FAILED;
		c->status = AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED;
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0) {
		freeaddrinfo(res);
		c->state = LC_FAILED;
		c->status = AMQP_STATUS_SOCKET_ERROR;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	if (connect(fd, res->ai_addr, res->ai_addrlen) != 0 &&
	    errno != EINPROGRESS) {
		freeaddrinfo(res);
		live_conn_fail(c, AMQP_STATUS_SOCKET_ERROR);
		return -1;
	}
	freeaddrinfo(res);
	c->state = LC_TCP;
	return 0;
}

/* Sends connection.start-ok with our properties and PLAIN credentials. */
static int
lc_start_ok(struct live_conn *c)
{
	amqp_table_entry_t caps[6], props[4];
	amqp_connection_start_ok_t s;
	const char *caps_names[] = { "authentication_failure_close",
		"connection.blocked", "publisher_confirms", "basic.nack",
		"consumer_cancel_notify", "exchange_exchange_bindings" };
	char resp[300];
	size_t ul = strlen(c->target->user), pl = strlen(c->target->password);
	int rc;

	for (int i = 0; i < 6; i++) {
		caps[i].key = amqp_cstring_bytes(caps_names[i]);
		caps[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
		caps[i].value.value.boolean = 1;
	}
	props[0].key = amqp_cstring_bytes("product");
	props[0].value.kind = AMQP_FIELD_KIND_UTF8;
	props[0].value.value.bytes = amqp_cstring_bytes("rabbitlab");
	props[1].key = amqp_cstring_bytes("platform");
	props[1].value.kind = AMQP_FIELD_KIND_UTF8;
	props[1].value.value.bytes = amqp_cstring_bytes("rabbitmq-c 0.11");
	props[2].key = amqp_cstring_bytes("connection_name");
	props[2].value.kind = AMQP_FIELD_KIND_UTF8;
	props[2].value.value.bytes = amqp_cstring_bytes(c->name);
	props[3].key = amqp_cstring_bytes("capabilities");
	props[3].value.kind = AMQP_FIELD_KIND_TABLE;
	props[3].value.value.table.num_entries = 6;
	props[3].value.value.table.entries = caps;
	s.client_properties.num_entries = 4;
	s.client_properties.entries = props;
	s.mechanism = amqp_cstring_bytes("PLAIN");
	/* PLAIN: NUL user NUL password; wiped after sending. */
	if (ul + pl + 2 > sizeof resp)
		return AMQP_STATUS_INVALID_PARAMETER;
	resp[0] = '\0';
	memcpy(resp + 1, c->target->user, ul);
	resp[1 + ul] = '\0';
	memcpy(resp + 2 + ul, c->target->password, pl);
	s.response.bytes = resp;
	s.response.len = ul + pl + 2;
	s.locale = amqp_cstring_bytes("en_US");
	rc = amqp_send_method(c->st, 0, AMQP_CONNECTION_START_OK_METHOD, &s);
	memset(resp, 0, sizeof resp);
	return rc;
}

/* A connection.close from the server during or after the handshake. */
static void
lc_server_closed(struct live_conn *c, const amqp_method_t *m)
{
	amqp_connection_close_ok_t ok;

	live_conn_reply(m, &c->reply_code, c->reply_text,
	    sizeof c->reply_text);
	memset(&ok, 0, sizeof ok);
	amqp_send_method(c->st, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
	live_conn_fail(c, AMQP_STATUS_CONNECTION_CLOSED);
}

/* The TCP connect finished: the protocol header goes out. 0, 1 wait, -1. */
static int
lc_step_tcp(struct live_conn *c)
{
	struct pollfd p = { c->fd, POLLOUT, 0 };
	int err = 0, rc;
	socklen_t el = sizeof err;
	amqp_socket_t *s;

	if (poll(&p, 1, 0) <= 0)
		return 1;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		live_conn_fail(c, AMQP_STATUS_SOCKET_ERROR);
		return -1;
	}
	c->st = amqp_new_connection();
	s = amqp_tcp_socket_new(c->st);
	if (s == NULL) {
		live_conn_fail(c, AMQP_STATUS_NO_MEMORY);
		return -1;
	}
	amqp_tcp_socket_set_sockfd(s, c->fd);
	rc = amqp_send_header(c->st);
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(c, rc);
		return -1;
	}
	c->state = LC_START;
	return 0;
}

/* connection.start came: start-ok goes back. AMQP status. */
static int
lc_step_start(struct live_conn *c, const amqp_method_t *m)
{
	const amqp_connection_start_t *s = m->decoded;

	if (m->id != AMQP_CONNECTION_START_METHOD)
		return AMQP_STATUS_UNEXPECTED_STATE;
	if (s->version_major != 0 || s->version_minor != 9)
		return AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION;
	return lc_start_ok(c);
}

/*
 * connection.tune came: the smaller of each limit (frame_max at most
 * 128 KiB, 64 channels, the heartbeat asked for), tune-ok and open go
 * back. AMQP status.
 */
static int
lc_step_tune(struct live_conn *c, const amqp_method_t *m)
{
	const amqp_connection_tune_t *t = m->decoded;
	amqp_connection_tune_ok_t ok;
	amqp_connection_open_t op;
	int hb = c->heartbeat, rc;
	uint32_t fmax = 131072;
	uint16_t cmax = 64;

	if (m->id != AMQP_CONNECTION_TUNE_METHOD)
		return AMQP_STATUS_UNEXPECTED_STATE;
	if (t->frame_max && t->frame_max < fmax)
		fmax = t->frame_max;
	if (t->channel_max && t->channel_max < cmax)
		cmax = t->channel_max;
	if (t->heartbeat && hb && t->heartbeat < hb)
		hb = t->heartbeat;
	rc = amqp_tune_connection(c->st, cmax, (int)fmax, hb);
	ok.channel_max = cmax;
	ok.frame_max = fmax;
	ok.heartbeat = (uint16_t)hb;
	if (rc == AMQP_STATUS_OK)
		rc = amqp_send_method(c->st, 0, AMQP_CONNECTION_TUNE_OK_METHOD,
		    &ok);
	op.virtual_host = amqp_cstring_bytes(c->target->vhost);
	op.capabilities = amqp_empty_bytes;
	op.insist = 1;
	if (rc == AMQP_STATUS_OK)
		rc = amqp_send_method(c->st, 0, AMQP_CONNECTION_OPEN_METHOD,
		    &op);
	return rc;
}

/* One handshake frame: the next state, or -1 (the connection failed). */
static int
lc_step_frame(struct live_conn *c, const amqp_frame_t *f)
{
	const amqp_method_t *m = &f->payload.method;
	int rc;

	if (f->frame_type != AMQP_FRAME_METHOD || f->channel != 0) {
		/* A protocol header back means another version. */
		live_conn_fail(c, AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION);
		return -1;
	}
	if (m->id == AMQP_CONNECTION_CLOSE_METHOD) {
		lc_server_closed(c, m);
		return -1;
	}
	if (c->state == LC_START)
		rc = lc_step_start(c, m);
	else if (c->state == LC_TUNE)
		rc = lc_step_tune(c, m);
	else
		rc = m->id == AMQP_CONNECTION_OPEN_OK_METHOD ? AMQP_STATUS_OK :
		    AMQP_STATUS_UNEXPECTED_STATE;
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(c, rc);
		return -1;
	}
	amqp_maybe_release_buffers(c->st);
	return c->state == LC_START ? LC_TUNE : c->state == LC_TUNE ?
	    LC_OPENING : LC_UP;
}

int
live_conn_step(struct live_conn *c)
{
	struct timeval zero = { 0, 0 };
	amqp_frame_t f;
	int rc;

	for (;;) {
		if (c->state == LC_UP)
			return 1;
		if (c->state == LC_DOWN || c->state == LC_FAILED)
			return -1;
		if (c->state == LC_TCP) {
			rc = lc_step_tcp(c);
			if (rc < 0)
				return -1;
			if (rc > 0)
				break;
			continue;
		}
		rc = amqp_simple_wait_frame_noblock(c->st, &f, &zero);
		if (rc == AMQP_STATUS_TIMEOUT)
			break;
		if (rc != AMQP_STATUS_OK) {
			live_conn_fail(c, rc);
			return -1;
		}
		rc = lc_step_frame(c, &f);
		if (rc < 0)
			return -1;
		c->state = rc;
		if (rc == LC_UP)
			return 1;
	}
	if (mono_seconds() > c->deadline) {
		live_conn_fail(c, AMQP_STATUS_TIMEOUT);
		return -1;
	}
	return 0;
}

int
live_conn_next_frame(struct live_conn *c, amqp_frame_t *f)
{
	struct timeval zero = { 0, 0 };
	int rc;

	if (c->state != LC_UP)
		return c->state == LC_FAILED ? -1 : 0;
	rc = amqp_simple_wait_frame_noblock(c->st, f, &zero);
	if (rc == AMQP_STATUS_OK)
		return 1;
	if (rc == AMQP_STATUS_TIMEOUT)
		return 0;
	live_conn_fail(c, rc);
	return -1;
}

void
live_conn_release(struct live_conn *c)
{
	if (c->st)
		amqp_maybe_release_buffers(c->st);
}

int
live_conn_send(struct live_conn *c, amqp_channel_t ch,
    amqp_method_number_t id, void *decoded)
{
	int rc;

	if (c->state != LC_UP)
		return -1;
	rc = amqp_send_method(c->st, ch, id, decoded);
	if (rc != AMQP_STATUS_OK) {
		live_conn_fail(c, rc);
		return -1;
	}
	return 0;
}

int
live_conn_writable(const struct live_conn *c)
{
	struct pollfd p = { c->fd, POLLOUT, 0 };

	return c->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

size_t
live_conn_room(const struct live_conn *c)
{
	int sndbuf = 0, queued = 0;
	socklen_t sl = sizeof sndbuf;

	if (c->fd < 0 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) != 0 ||
	    ioctl(c->fd, TIOCOUTQ, &queued) != 0 || queued >= sndbuf)
		return 0;
	return (size_t)(sndbuf - queued);
}

int
live_conn_pending(const struct live_conn *c)
{
	return c->st && (amqp_frames_enqueued(c->st) ||
	    amqp_data_in_buffer(c->st));
}

int
live_conn_read_all(const struct live_conn *c, uint64_t sent)
{
	struct tcp_info ti;
	socklen_t tl = sizeof ti;
	int n = 0;

	if (c->state != LC_UP || live_conn_pending(c) ||
	    ioctl(c->fd, FIONREAD, &n) != 0 || n > 0)
		return 0;
	memset(&ti, 0, sizeof ti);
	return getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tl) == 0 &&
	    tl >= offsetof(struct tcp_info, tcpi_bytes_received) +
	    sizeof ti.tcpi_bytes_received && ti.tcpi_bytes_received == sent;
}

int
live_conn_delivered(const struct live_conn *c)
{
	int queued = 0;

	if (c->state != LC_UP)
		return 0;
	return ioctl(c->fd, TIOCOUTQ, &queued) == 0 && queued == 0;
}

void
live_conn_abort(struct live_conn *c)
{
	lc_drop(c);
	c->state = LC_DOWN;
}

void
live_conn_close(struct live_conn *c)
{
	if (c->state == LC_UP) {
		amqp_connection_close_t cc;
		memset(&cc, 0, sizeof cc);
		cc.reply_code = AMQP_REPLY_SUCCESS;
		cc.reply_text = amqp_cstring_bytes("rabbitlab: done");
		if (live_conn_writable(c))
			amqp_send_method(c->st, 0, AMQP_CONNECTION_CLOSE_METHOD,
			    &cc);
	}
	lc_drop(c);
	c->state = LC_DOWN;
}

void
live_conn_reply(const amqp_method_t *m, int *code, char *buf, size_t len)
{
	amqp_bytes_t text = amqp_empty_bytes;

	*code = 0;
	if (m->id == AMQP_CONNECTION_CLOSE_METHOD) {
		amqp_connection_close_t *cc = m->decoded;
		*code = cc->reply_code;
		text = cc->reply_text;
	} else if (m->id == AMQP_CHANNEL_CLOSE_METHOD) {
		amqp_channel_close_t *cc = m->decoded;
		*code = cc->reply_code;
		text = cc->reply_text;
	}
	snprintf(buf, len, "%.*s", (int)text.len,
	    text.bytes ? (const char *)text.bytes : "");
}

/*
 * 530 NOT_ALLOWED in answer to connection.open: the broker refused the
 * vhost. Named when the target is known; a vhost "" that came from a URL
 * ending in '/' gets the two ways to write the default vhost "/". The
 * broker's text ("NOT_ALLOWED - vhost x not found", "... access to vhost
 * 'x' refused for user 'u'") names no password and is kept.
 */
static void
lc_explain_vhost(const struct live_target *t, const char *text, char *buf,
    size_t len)
{
	const char *ob = "", *cb = "";

	if (t == NULL) {
		snprintf(buf, len, "the virtual host does not exist or this "
		    "user may not use it (530 %s)", text && *text ? text :
		    "NOT_ALLOWED");
		return;
	}
	if (t->vhost_slash) {
		if (strchr(t->host, ':')) {
			ob = "[";
			cb = "]";
		}
		snprintf(buf, len, "vhost '' (the URL ends with '/'): write "
		    "amqp://%s:PASSWORD@%s%s%s:%d (no slash) or "
		    "amqp://%s:PASSWORD@%s%s%s:%d/%%2F for the default vhost "
		    "'/' (530 NOT_ALLOWED)", t->user, ob, t->host, cb, t->port,
		    t->user, ob, t->host, cb, t->port);
		return;
	}
	if (text && *text)
		snprintf(buf, len, "vhost '%s' refused (530 %s)", t->vhost,
		    text);
	else
		snprintf(buf, len, "vhost '%s' refused: it does not exist or "
		    "user '%s' may not use it (530 NOT_ALLOWED)", t->vhost,
		    t->user);
}

void
live_conn_explain_status(int status, int code, const char *text,
    const struct live_target *t, char *buf, size_t len)
{
	switch (code) {
	case 0:
		break;
	case 403:
		/* A channel's 403 says what the user may not touch; a
		 * connection's is the login. */
		if (text && *text && strstr(text, "Login") == NULL)
			snprintf(buf, len, "refused by the broker (403 %s)",
			    text);
		else
			snprintf(buf, len, "login refused (403 "
			    "ACCESS_REFUSED): check the user name and "
			    "password");
		return;
	case 530:
		lc_explain_vhost(t, text, buf, len);
		return;
	case 320:
		snprintf(buf, len, "the broker closed the connection (320 "
		    "CONNECTION_FORCED: %s)", text && *text ? text :
		    "shutdown");
		return;
	default:
		snprintf(buf, len, "the broker closed the connection (%d %s)",
		    code, text ? text : "");
		return;
	}
	switch (status) {
	case AMQP_STATUS_SOCKET_ERROR:
		snprintf(buf, len, "connection refused or reset (is RabbitMQ "
		    "running there?)");
		break;
	case AMQP_STATUS_HOSTNAME_RESOLUTION_FAILED:
		snprintf(buf, len, "the host name does not resolve");
		break;
	case AMQP_STATUS_TIMEOUT:
		snprintf(buf, len, "no AMQP handshake in time (is that port a "
		    "RabbitMQ AMQP listener?)");
		break;
	case AMQP_STATUS_HEARTBEAT_TIMEOUT:
		snprintf(buf, len, "two heartbeats missed: the link is dead");
		break;
	case AMQP_STATUS_CONNECTION_CLOSED:
		snprintf(buf, len, "the peer closed the connection");
		break;
	case AMQP_STATUS_BAD_AMQP_DATA:
	case AMQP_STATUS_INCOMPATIBLE_AMQP_VERSION:
	case AMQP_STATUS_UNEXPECTED_STATE:
		snprintf(buf, len, "the peer does not speak AMQP 0-9-1");
		break;
	default:
		snprintf(buf, len, "%s", amqp_error_string2(status));
		break;
	}
}

void
live_conn_explain(const struct live_conn *c, char *buf, size_t len)
{
	live_conn_explain_status(c->status, c->reply_code, c->reply_text,
	    c->target, buf, len);
}

amqp_connection_state_t
live_conn_login(const struct live_target *t, char **cause)
{
	amqp_connection_state_t c;
	amqp_socket_t *s;
	struct timeval tv = { 3, 0 }, rpc = { LIVE_CONN_RPC_S, 0 };
	amqp_rpc_reply_t r;
	int rc;
	char why[512];

	c = amqp_new_connection();
	s = amqp_tcp_socket_new(c);
	rc = s ? amqp_socket_open_noblock(s, t->host, t->port,
	    &tv) : AMQP_STATUS_NO_MEMORY;
	if (rc != AMQP_STATUS_OK) {
		live_conn_explain_status(rc, 0, NULL, NULL, why, sizeof why);
		goto fail;
	}
	amqp_set_handshake_timeout(c, &tv);
	amqp_set_rpc_timeout(c, &rpc);
	r = amqp_login(c, t->vhost, 64, 131072, 0,
	    AMQP_SASL_METHOD_PLAIN, t->user, t->password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		int code = 0;
		char text[200] = "";
		if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
			live_conn_reply(&r.reply, &code, text, sizeof text);
		live_conn_explain_status(r.reply_type ==
		    AMQP_RESPONSE_LIBRARY_EXCEPTION ? r.library_error :
		    AMQP_STATUS_CONNECTION_CLOSED, code, text, t, why,
		    sizeof why);
		goto fail;
	}
	return c;
fail:
	amqp_destroy_connection(c);
	if (cause)
		*cause = xasprintf("%s: %s", t->display, why);
	return NULL;
}

