/*
 * The fault relay between one lab client and the broker.
 *
 * Each direction has a buffer and a frame parser. The parser only reads
 * frame headers (type, size) and the first bytes of a payload (method ids,
 * a content header's body size); it records, per direction, where the last
 * complete frame ended, and upstream, where each client command ended. A
 * command is reported to the engine when the byte that ends it has been
 * written to the broker's socket: from then on the broker will act on it,
 * whatever happens to the client.
 *
 * The frames themselves are cut by the shared splitter (live_frame.h),
 * which also guards the relay against a peer that does not speak AMQP
 * 0-9-1 frames: a frame of an unknown type, one over frame_max, or one
 * that does not end in 0xCE ends the pair at once (both sockets reset, so
 * nothing of it is forwarded) with RELAY_END_MALFORMED and a sentence for
 * live_relay_error.
 *
 * Nothing here blocks: sockets are non-blocking, reads stop when a buffer is
 * full, and poll() decides when to go on.
 */
#include "engine/live_relay.h"

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/live_frame.h"
#include "util/mono.h"
#include "util/sock.h"
#include "util/xmalloc.h"

#define RL_BUF (256 * 1024)
#define RL_LINGER_S 2.0
#define RL_CAPTURE 8192        /* a content header we read whole */

/*
 * Frame size limits (live_frame.h): until connection.tune-ok has gone by
 * upstream, 128 KiB both ways, RabbitMQ's default frame_max and what every
 * lab client asks for (the handshake's own frames are a few hundred bytes);
 * from tune-ok on, the frame-max it carries holds both ways.
 */

/* What the relay follows of one direction, over the shared splitter. */
struct rl_parse {
	struct live_frame fr;  /* the frames; downstream it captures method
				  and header frames up to RL_CAPTURE (a
				  basic.deliver and its content header) */
	int upstream;          /* 1: client to broker */
	int content;           /* 1: publish wants its header, 2: body */
	uint64_t body_left;
	int tuned;             /* downstream: connection.tune went by */
	int deliver;           /* 1: a deliver's header frame comes next */
	char ctag[256];
	uint64_t dtag;
	int redelivered;
};

struct rl_cmd {
	uint64_t end;          /* stream offset just after its last byte */
	uint16_t cls, meth;
};

struct rl_buf {
	uint8_t *data;
	size_t start, end;     /* unsent bytes are data[start, end) */
	uint64_t in, out;      /* stream offsets read and written */
};

struct live_relay {
	const struct live_relay_ops *ops;
	void *ctx;
	struct sockaddr_storage broker;
	socklen_t broker_len;
	int lfd, port;
	enum live_relay_mode mode;
	int cfd, bfd;          /* client and broker sockets, -1 none */
	int connecting;        /* bfd's connect() is in progress */
	int client_eof;        /* client is gone: flush upstream, then close */
	int broker_eof;        /* broker is gone: flush downstream, then close */
	struct rl_buf up, down;
	struct rl_parse pup, pdown;
	struct rl_cmd *cmds;   /* upstream commands not yet written out */
	size_t ncmds, cmd_cap, cmd_head;
	uint64_t hole_limit;   /* HOLE: downstream goes out up to here */
	int hb_left;           /* bytes of the injected heartbeat to write */
	int linger;            /* a closing broker socket, read until EOF */
	double linger_until;
	int fast;              /* confirms of this read may be offered */
	int fast_taken;        /* one was: read_done is owed */
	int bad;               /* a malformed frame was read: end the pair */
	char err[160];         /* why the relay ended the last pair, or "" */
};

static const uint8_t rl_heartbeat[8] = { 8, 0, 0, 0, 0, 0, 0, 0xce };


/* ---- parsing --------------------------------------------------------- */

static void
rl_cmd_push(struct live_relay *r, uint64_t end, uint16_t cls, uint16_t meth)
{
	if (r->ncmds == r->cmd_cap) {
		size_t ncap = r->cmd_cap ? r->cmd_cap * 2 : 64;
		struct rl_cmd *nb = xmalloc(ncap * sizeof *nb);
		for (size_t i = 0; i < r->ncmds; i++)
			nb[i] = r->cmds[(r->cmd_head + i) % r->cmd_cap];
		free(r->cmds);
		r->cmds = nb;
		r->cmd_cap = ncap;
		r->cmd_head = 0;
	}
	r->cmds[(r->cmd_head + r->ncmds++) % r->cmd_cap] =
	    (struct rl_cmd){ end, cls, meth };
}

/* Cursor over captured bytes; every read is bounds-checked. */
struct rl_cur {
	const uint8_t *p;
	size_t n, at;
	int bad;
};

static uint64_t
rl_cur_int(struct rl_cur *c, size_t width)
{
	uint64_t v = 0;

	if (c->at + width > c->n) {
		c->bad = 1;
		return 0;
	}
	for (size_t i = 0; i < width; i++)
		v = v << 8 | c->p[c->at + i];
	c->at += width;
	return v;
}

/* A short string into buf (cut to fit), or skipped when buf is NULL. */
static void
rl_cur_short(struct rl_cur *c, char *buf, size_t len)
{
	size_t n = (size_t)rl_cur_int(c, 1);

	if (c->bad || c->at + n > c->n) {
		c->bad = 1;
		return;
	}
	if (buf && len) {
		size_t k = n < len - 1 ? n : len - 1;
		memcpy(buf, c->p + c->at, k);
		buf[k] = '\0';
	}
	c->at += n;
}

/* Skips one field value of type `t`; its integer value, or -1. */
static int64_t
rl_cur_value(struct rl_cur *c, uint8_t t)
{
	switch (t) {
	case 't': case 'b': case 'B':
		return (int64_t)rl_cur_int(c, 1);
	case 's': case 'u':
		return (int64_t)rl_cur_int(c, 2);
	case 'I': case 'i':
		return (int64_t)rl_cur_int(c, 4);
	case 'l': case 'L': case 'T':
		return (int64_t)rl_cur_int(c, 8);
	case 'f':
		rl_cur_int(c, 4);
		return -1;
	case 'd':
		rl_cur_int(c, 8);
		return -1;
	case 'D':
		rl_cur_int(c, 5);
		return -1;
	case 'V':
		return -1;
	case 'S': case 'A': case 'F': case 'x': {
		size_t n = (size_t)rl_cur_int(c, 4);
		if (c->at + n > c->n)
			c->bad = 1;
		else
			c->at += n;
		return -1;
	}
	default:
		c->bad = 1;
		return -1;
	}
}

/*
 * A basic.deliver's content header is complete: reads the message-id and
 * x-delivery-count out of its properties and reports the delivery.
 */
static void
rl_delivery(struct live_relay *r, struct rl_parse *p)
{
	struct rl_cur c = { p->fr.cap, p->fr.cap_len, 0, 0 };
	char mid[256] = "";
	int64_t count = -1;
	unsigned flags;

	rl_cur_int(&c, 12); /* class, weight, body size */
	flags = (unsigned)rl_cur_int(&c, 2);
	if (flags & 0x8000)
		rl_cur_short(&c, NULL, 0);
	if (flags & 0x4000)
		rl_cur_short(&c, NULL, 0);
	if (flags & 0x2000) {
		size_t end = (size_t)rl_cur_int(&c, 4);
		end += c.at;
		while (!c.bad && c.at < end) {
			char key[256];
			uint8_t t;
			int64_t v;
			rl_cur_short(&c, key, sizeof key);
			t = (uint8_t)rl_cur_int(&c, 1);
			v = rl_cur_value(&c, t);
			if (strcmp(key, "x-delivery-count") == 0)
				count = v;
		}
	}
	if (flags & 0x1000)
		rl_cur_int(&c, 1);
	if (flags & 0x0800)
		rl_cur_int(&c, 1);
	if (flags & 0x0400)
		rl_cur_short(&c, NULL, 0);
	if (flags & 0x0200)
		rl_cur_short(&c, NULL, 0);
	if (flags & 0x0100)
		rl_cur_short(&c, NULL, 0);
	if (flags & 0x0080)
		rl_cur_short(&c, mid, sizeof mid);
	if (c.bad)
		mid[0] = '\0';
	if (r->ops && r->ops->delivered)
		r->ops->delivered(r->ctx, p->ctag, p->dtag, p->redelivered, mid,
		    count);
}

/* A downstream basic.deliver method is complete: its arguments. */
static void
rl_deliver_method(struct rl_parse *p)
{
	struct rl_cur c = { p->fr.cap, p->fr.cap_len, 4, 0 };

	rl_cur_short(&c, p->ctag, sizeof p->ctag);
	p->dtag = rl_cur_int(&c, 8);
	p->redelivered = (int)(rl_cur_int(&c, 1) & 1);
	p->deliver = !c.bad;
}

/*
 * A downstream frame is complete while confirms may be offered: offers it
 * if it is one; anything else but a heartbeat ends the offers of this read.
 */
static void
rl_offer_confirm(struct live_relay *r, struct rl_parse *p)
{
	uint16_t meth;

	const uint8_t *cap = p->fr.cap;

	if (p->fr.type == LIVE_FRAME_HEARTBEAT)
		return;
	r->fast = 0;
	if (p->fr.type != LIVE_FRAME_METHOD || p->fr.cap_len < 13 ||
	    live_frame_be16(cap) != 60)
		return;
	meth = live_frame_be16(cap + 2);
	if (meth != 80 && meth != 120)
		return;
	if (r->ops->confirm(r->ctx, p->fr.channel, meth == 80,
	    live_frame_be64(cap + 4), cap[12] & 1, r->down.out)) {
		r->fast = 1;
		r->fast_taken = 1;
	}
}

/* connection.tune-ok went by with `frame_max`: it holds from now on. */
static void
rl_tune_ok(struct live_relay *r, uint32_t frame_max)
{
	live_frame_set_max(&r->pup.fr, frame_max);
	live_frame_set_max(&r->pdown.fr, frame_max);
}

/* Marks the pair malformed: the splitter's sentence, with its subject. */
static void
rl_malformed(struct live_relay *r, const struct rl_parse *p)
{
	snprintf(r->err, sizeof r->err, "%s %s",
	    p->upstream ? "client" : "broker", p->fr.err);
	r->bad = 1;
}

/* A frame ended at stream offset `at`. */
static void
rl_frame_end(void *ctx, struct live_frame *f, uint64_t at)
{
	struct live_relay *r = ctx;
	struct rl_parse *p = f == &r->pup.fr ? &r->pup : &r->pdown;
	int upstream = p->upstream;
	uint8_t type = f->type;
	const uint8_t *pl = f->peek;

	if (!upstream && r->fast)
		rl_offer_confirm(r, p);
	if (!upstream) {
		if (type == 1 && f->cap_len >= 4 && live_frame_be16(f->cap) == 60 &&
		    live_frame_be16(f->cap + 2) == 60)
			rl_deliver_method(p);
		else if (type == 2 && p->deliver) {
			p->deliver = 0;
			rl_delivery(r, p);
		} else if (type == 1)
			p->deliver = 0;
	}
	if (type == 1 && f->peek_len >= 4) {
		uint16_t cls = live_frame_be16(pl), meth = live_frame_be16(pl + 2);
		if (!upstream) {
			if (cls == 10 && meth == 30)
				p->tuned = 1;
			return;
		}
		if (cls == 10 && meth == 31 && f->peek_len >= 10)
			rl_tune_ok(r, live_frame_be32(pl + 6));
		if (cls == 60 && meth == 40)
			p->content = 1;
		else
			rl_cmd_push(r, at, cls, meth);
	} else if (type == 2 && upstream && p->content == 1) {
		p->body_left = f->peek_len >= 12 ? live_frame_be64(pl + 4) : 0;
		if (p->body_left == 0) {
			p->content = 0;
			rl_cmd_push(r, at, 60, 40);
		} else
			p->content = 2;
	} else if (type == 3 && upstream && p->content == 2) {
		p->body_left = p->body_left > f->size ?
		    p->body_left - f->size : 0;
		if (p->body_left == 0) {
			p->content = 0;
			rl_cmd_push(r, at, 60, 40);
		}
	}
}

static const struct live_frame_ops rl_frame_ops = {
	.frame = rl_frame_end,
};

/*
 * Feeds bytes that start at stream offset `base`. Returns 0, or -1 when a
 * frame is malformed (rl_malformed has said why): the bytes after its
 * header are not read, and the pair must end.
 */
static int
rl_parse_feed(struct live_relay *r, struct rl_parse *p, const uint8_t *d,
    size_t n, uint64_t base)
{
	if (r->bad)
		return -1;
	if (live_frame_feed(&p->fr, d, n, base, &rl_frame_ops, r) != 0) {
		rl_malformed(r, p);
		return -1;
	}
	return 0;
}

/* ---- sockets --------------------------------------------------------- */

static int
rl_listen(struct live_relay *r, int port)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	fd = sock_listen((struct sockaddr *)&sa, sizeof sa, 8, &r->port);
	if (fd < 0)
		return -1;
	r->lfd = fd;
	return 0;
}

static void
rl_buf_reset(struct rl_buf *b)
{
	b->start = b->end = 0;
	b->in = b->out = 0;
}

static size_t
rl_buf_len(const struct rl_buf *b)
{
	return b->end - b->start;
}

/* A direction starts afresh; the splitter keeps its capture buffer. */
static void
rl_parse_clear(struct rl_parse *p)
{
	p->content = 0;
	p->body_left = 0;
	p->tuned = 0;
	p->deliver = 0;
	p->ctag[0] = '\0';
	p->dtag = 0;
	p->redelivered = 0;
	live_frame_reset(&p->fr);
}

static void
rl_pair_clear(struct live_relay *r)
{
	r->cfd = r->bfd = -1;
	r->connecting = r->client_eof = r->broker_eof = 0;
	rl_buf_reset(&r->up);
	rl_buf_reset(&r->down);
	rl_parse_clear(&r->pup);
	rl_parse_clear(&r->pdown);
	r->ncmds = r->cmd_head = 0;
	r->hole_limit = 0;
	r->hb_left = 0;
	r->bad = 0;
}

static void
rl_end(struct live_relay *r, enum live_relay_end why)
{
	if (why != RELAY_END_MALFORMED)
		r->err[0] = '\0';
	rl_pair_clear(r);
	if (r->ops && r->ops->closed)
		r->ops->closed(r->ctx, why);
}

/* Both sides reset at once: nothing more is delivered either way. */
static void
rl_kill_pair(struct live_relay *r, enum live_relay_end why)
{
	if (r->cfd < 0 && r->bfd < 0)
		return;
	sock_reset(r->cfd);
	sock_reset(r->bfd);
	rl_end(r, why);
}

/* Reports the commands whose last byte has now reached the broker. */
static void
rl_report(struct live_relay *r)
{
	while (r->ncmds) {
		struct rl_cmd c = r->cmds[r->cmd_head];
		if (c.end > r->up.out)
			break;
		r->cmd_head = (r->cmd_head + 1) % r->cmd_cap;
		r->ncmds--;
		if (r->ops && r->ops->command)
			r->ops->command(r->ctx, c.cls, c.meth);
	}
}

/* Reads what fits from fd into b; returns bytes read, 0 EOF, -1 error,
 * -2 would block. */
static ssize_t
rl_read(int fd, struct rl_buf *b)
{
	return sock_fill(fd, b->data, RL_BUF, &b->start, &b->end);
}

/* Writes at most `max` bytes of b to fd; returns 0, or -1 on error. */
static int
rl_write(int fd, struct rl_buf *b, size_t max)
{
	size_t len = rl_buf_len(b);
	ssize_t n;

	n = sock_send(fd, b->data + b->start, len > max ? max : len);
	if (n < 0)
		return -1;
	b->start += (size_t)n;
	b->out += (uint64_t)n;
	return 0;
}

/* How much of the downstream buffer may go to the client now. */
static size_t
rl_down_allowed(const struct live_relay *r)
{
	if (r->mode != RELAY_HOLE)
		return rl_buf_len(&r->down);
	if (r->down.out >= r->hole_limit)
		return 0;
	return (size_t)(r->hole_limit - r->down.out);
}

static void rl_flush(struct live_relay *r);

/* The client side is gone; send what it wrote, then close the broker side
 * behind it with a FIN so the broker reads every byte first. */
static void
rl_client_gone(struct live_relay *r)
{
	r->client_eof = 1;
	if (r->cfd >= 0) {
		close(r->cfd);
		r->cfd = -1;
	}
	rl_flush(r);
}

static void
rl_broker_gone(struct live_relay *r)
{
	r->broker_eof = 1;
	if (r->bfd >= 0) {
		close(r->bfd);
		r->bfd = -1;
	}
	r->connecting = 0;
	r->ncmds = 0;
	rl_flush(r);
}

/* Moves data both ways as far as the sockets take it, and closes a pair
 * whose both ends are done. */
static void
rl_flush(struct live_relay *r)
{
	if (r->bad) {
		/* Left by live_relay_inject, which may not report. */
		rl_kill_pair(r, RELAY_END_MALFORMED);
		return;
	}
	if (r->bfd >= 0 && !r->connecting && r->mode != RELAY_HOLE) {
		if (rl_write(r->bfd, &r->up, rl_buf_len(&r->up)) != 0) {
			rl_broker_gone(r);
			return;
		}
		rl_report(r);
	}
	if (r->cfd >= 0) {
		if (r->hb_left && r->down.out == r->hole_limit &&
		    r->mode == RELAY_HOLE) {
			ssize_t n = send(r->cfd, rl_heartbeat + 8 - r->hb_left,
			    (size_t)r->hb_left, MSG_NOSIGNAL);
			if (n > 0)
				r->hb_left -= (int)n;
		} else if (rl_write(r->cfd, &r->down, rl_down_allowed(r)) != 0) {
			rl_client_gone(r);
			return;
		}
	}
	if (r->client_eof && r->bfd >= 0 && !r->connecting &&
	    rl_buf_len(&r->up) == 0) {
		/* Everything the client wrote is out: FIN, then drain. */
		shutdown(r->bfd, SHUT_WR);
		if (r->linger >= 0)
			close(r->linger);
		r->linger = r->bfd;
		r->linger_until = mono_seconds() + RL_LINGER_S;
		r->bfd = -1;
		rl_end(r, RELAY_END_CLIENT);
		return;
	}
	if (r->client_eof && (r->bfd < 0 || r->connecting)) {
		sock_reset(r->bfd);
		r->bfd = -1;
		rl_end(r, r->broker_eof ? RELAY_END_BROKER : RELAY_END_CLIENT);
		return;
	}
	if (r->broker_eof && (r->cfd < 0 || rl_buf_len(&r->down) == 0)) {
		if (r->cfd >= 0)
			close(r->cfd);
		r->cfd = -1;
		rl_end(r, RELAY_END_BROKER);
	}
}

/* ---- the interface --------------------------------------------------- */

struct live_relay *
live_relay_new(const char *host, int port, const struct live_relay_ops *ops,
    void *ctx, char **cause)
{
	struct live_relay *r = xcalloc(1, sizeof *r);
	int rc = sock_resolve(host, port, 0, &r->broker, &r->broker_len);

	if (rc != 0) {
		*cause = xasprintf("cannot resolve broker host %s: %s", host,
		    gai_strerror(rc));
		free(r);
		return NULL;
	}
	r->ops = ops;
	r->ctx = ctx;
	r->up.data = xmalloc(RL_BUF);
	r->down.data = xmalloc(RL_BUF);
	r->linger = -1;
	r->lfd = -1;
	live_frame_init(&r->pup.fr, 1);
	live_frame_init(&r->pdown.fr, 0);
	r->pup.upstream = 1;
	r->pdown.fr.cap_types = 1u << LIVE_FRAME_METHOD | 1u << LIVE_FRAME_HEADER;
	r->pdown.fr.cap_max = RL_CAPTURE;
	rl_pair_clear(r);
	if (rl_listen(r, 0) != 0) {
		*cause = xasprintf("cannot listen on a loopback port: %s",
		    strerror(errno));
		live_relay_free(r);
		return NULL;
	}
	return r;
}

void
live_relay_free(struct live_relay *r)
{
	if (r == NULL)
		return;
	if (r->lfd >= 0)
		close(r->lfd);
	sock_reset(r->cfd);
	sock_reset(r->bfd);
	if (r->linger >= 0)
		close(r->linger);
	free(r->up.data);
	free(r->down.data);
	free(r->cmds);
	live_frame_free(&r->pup.fr);
	live_frame_free(&r->pdown.fr);
	free(r);
}

int
live_relay_port(const struct live_relay *r)
{
	return r->port;
}

enum live_relay_mode
live_relay_mode(const struct live_relay *r)
{
	return r->mode;
}

int
live_relay_connected(const struct live_relay *r)
{
	return r->cfd >= 0 && r->bfd >= 0 && !r->connecting;
}

int
live_relay_busy(const struct live_relay *r)
{
	if (r->mode == RELAY_HOLE)
		return 0;
	return (r->bfd >= 0 && rl_buf_len(&r->up) > 0) ||
	    (r->cfd >= 0 && rl_buf_len(&r->down) > 0) || r->connecting;
}

void
live_relay_set_mode(struct live_relay *r, enum live_relay_mode mode)
{
	enum live_relay_mode old = r->mode;

	if (mode == old)
		return;
	r->mode = mode;
	if (mode != RELAY_OK && r->lfd >= 0) {
		/* New connections are refused while the link is down. */
		close(r->lfd);
		r->lfd = -1;
	}
	if (mode == RELAY_CUT)
		rl_kill_pair(r, RELAY_END_CUT);
	else if (mode == RELAY_HOLE) {
		r->hole_limit = r->pdown.fr.boundary;
		if (r->down.out > r->hole_limit)
			r->hole_limit = r->down.out; /* mid-frame: no heartbeat */
		else if (r->pdown.tuned && r->cfd >= 0)
			r->hb_left = 8;
		rl_flush(r);
	} else {
		if (r->lfd < 0 && rl_listen(r, r->port) != 0)
			rl_listen(r, 0);
		if (r->hb_left)
			r->hb_left = 0; /* an unsent heartbeat is not owed */
		rl_flush(r);
	}
}

void
live_relay_flush(struct live_relay *r, int max_ms)
{
	double end = mono_seconds() + max_ms / 1000.0;

	while ((r->cfd >= 0 || r->bfd >= 0) && mono_seconds() < end) {
		struct pollfd fds[8];
		size_t n = live_relay_fds(r, fds, 8);
		int left = (int)((end - mono_seconds()) * 1000) + 1;
		if (poll(fds, n, left < 10 ? left : 10) < 0)
			break;
		live_relay_run(r, fds, n);
	}
}

void
live_relay_drop(struct live_relay *r)
{
	rl_kill_pair(r, RELAY_END_DROPPED);
}

size_t
live_relay_fds(struct live_relay *r, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	if (r->linger >= 0 && n < max)
		fds[n++] = (struct pollfd){ r->linger, POLLIN, 0 };
	if (r->lfd >= 0 && n < max)
		fds[n++] = (struct pollfd){ r->lfd, POLLIN, 0 };
	if (r->cfd >= 0 && n < max) {
		short ev = 0;
		if (r->mode == RELAY_OK && !r->client_eof &&
		    r->up.end - r->up.start < RL_BUF)
			ev |= POLLIN;
		if (rl_down_allowed(r) || (r->hb_left && r->mode == RELAY_HOLE))
			ev |= POLLOUT;
		fds[n++] = (struct pollfd){ r->cfd, ev, 0 };
	}
	if (r->bfd >= 0 && n < max) {
		short ev = 0;
		if (r->connecting)
			ev |= POLLOUT;
		else if (r->mode == RELAY_OK) {
			if (!r->broker_eof && rl_buf_len(&r->down) < RL_BUF)
				ev |= POLLIN;
			if (rl_buf_len(&r->up))
				ev |= POLLOUT;
		}
		fds[n++] = (struct pollfd){ r->bfd, ev, 0 };
	}
	return n;
}

static void
rl_accept(struct live_relay *r)
{
	int fd = accept(r->lfd, NULL, NULL);

	if (fd < 0)
		return;
	if (r->mode != RELAY_OK) {
		sock_reset(fd);
		return;
	}
	if (r->cfd >= 0 || r->bfd >= 0)
		rl_kill_pair(r, RELAY_END_DROPPED);
	sock_nonblock(fd);
	r->err[0] = '\0';
	r->cfd = fd;
	r->bfd = sock_connect((struct sockaddr *)&r->broker, r->broker_len,
	    &r->connecting);
	if (r->bfd < 0)
		rl_kill_pair(r, RELAY_END_UNREACHABLE);
}

/* `n` client bytes have just been put at the end of the upstream buffer:
 * counts them in and parses them. Returns -1 if a frame was malformed (the
 * pair must end), else 0. */
static int
rl_up_took(struct live_relay *r, size_t n)
{
	uint64_t before = r->up.in;
	size_t at = r->up.end;

	r->up.end += n;
	r->up.in += (uint64_t)n;
	return rl_parse_feed(r, &r->pup, r->up.data + at, n, before);
}

static void
rl_client_in(struct live_relay *r)
{
	ssize_t n = rl_read(r->cfd, &r->up);

	if (n == 0 || n == -1) {
		rl_client_gone(r);
		return;
	}
	if (n > 0 && rl_up_took(r, (size_t)n) != 0)
		rl_kill_pair(r, RELAY_END_MALFORMED);
}

/* Reads may offer confirms up to this size: the client's socket takes it
 * whole, so a confirm taken is always written. */
#define RL_FAST_MAX 4096

static void
rl_broker_in(struct live_relay *r)
{
	uint64_t before = r->down.in;
	int clean = rl_buf_len(&r->down) == 0;
	ssize_t n = rl_read(r->bfd, &r->down);
	size_t at = r->down.end;
	int rc;

	if (n == 0 || n == -1) {
		rl_broker_gone(r);
		return;
	}
	if (n < 0)
		return;
	r->down.end += (size_t)n;
	r->down.in += (uint64_t)n;
	r->fast = clean && n <= RL_FAST_MAX && r->mode == RELAY_OK &&
	    r->cfd >= 0 && !r->client_eof && r->ops && r->ops->confirm;
	rc = rl_parse_feed(r, &r->pdown, r->down.data + at, (size_t)n,
	    before);
	r->fast = 0;
	if (rc != 0)
		rl_kill_pair(r, RELAY_END_MALFORMED);
}

void
live_relay_poke(struct live_relay *r)
{
	if (r->cfd < 0 || r->mode != RELAY_OK || r->client_eof)
		return;
	rl_client_in(r);
	rl_flush(r);
}

uint64_t
live_relay_to_client(const struct live_relay *r)
{
	return r->down.out;
}

void
live_relay_run(struct live_relay *r, const struct pollfd *fds, size_t n)
{
	int accept_ready = 0;

	for (size_t i = 0; i < n; i++) {
		const struct pollfd *p = &fds[i];
		if (p->revents == 0)
			continue;
		if (p->fd == r->linger && r->linger >= 0) {
			char sink[4096];
			ssize_t k = recv(r->linger, sink, sizeof sink, 0);
			if (k == 0 || (k < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				close(r->linger);
				r->linger = -1;
			}
		} else if (p->fd == r->lfd && r->lfd >= 0)
			accept_ready = 1;
		else if (p->fd == r->bfd && r->bfd >= 0) {
			if (r->connecting) {
				int err = 0;
				socklen_t el = sizeof err;
				getsockopt(r->bfd, SOL_SOCKET, SO_ERROR, &err,
				    &el);
				if (err) {
					rl_kill_pair(r, RELAY_END_UNREACHABLE);
					continue;
				}
				r->connecting = 0;
			}
			if (p->revents & (POLLIN | POLLHUP | POLLERR))
				rl_broker_in(r);
		} else if (p->fd == r->cfd && r->cfd >= 0) {
			if (p->revents & (POLLIN | POLLHUP | POLLERR))
				rl_client_in(r);
		}
	}
	if (r->linger >= 0 && mono_seconds() > r->linger_until) {
		close(r->linger);
		r->linger = -1;
	}
	if (r->fast_taken) {
		r->fast_taken = 0;
		if (r->ops->read_done)
			r->ops->read_done(r->ctx);
	}
	rl_flush(r);
	if (accept_ready)
		rl_accept(r);
}

int
live_relay_inject(struct live_relay *r, const void *d, size_t n)
{
	ssize_t k;

	if (r->cfd < 0 || r->mode != RELAY_OK || r->client_eof)
		return -1;
	/* What the client's socket holds was written first: it goes first. */
	do {
		k = rl_read(r->cfd, &r->up);
		if (k == 0 || k == -1)
			return -1; /* poll() reports it; the socket path ends it */
		/* A malformed frame: the pair ends when the relay next runs
		 * (this may not report). */
		if (k > 0 && rl_up_took(r, (size_t)k) != 0)
			return -1;
	} while (k > 0 && r->up.end == RL_BUF);
	if (RL_BUF - r->up.end < n)
		return -1;
	memcpy(r->up.data + r->up.end, d, n);
	if (rl_up_took(r, n) != 0)
		return -1;
	if (r->bfd >= 0 && !r->connecting)
		(void)rl_write(r->bfd, &r->up, rl_buf_len(&r->up));
	return 0;
}

void
live_relay_settle(struct live_relay *r)
{
	rl_flush(r);
}

const char *
live_relay_error(const struct live_relay *r)
{
	return r->err;
}

int
live_relay_scan(struct live_relay *r, int upstream, const void *d, size_t n)
{
	struct rl_buf *b = upstream ? &r->up : &r->down;
	uint64_t base = b->in;
	int rc;

	assert(r->cfd < 0 && r->bfd < 0);
	if (r->bad)
		return -1;
	b->in += (uint64_t)n;
	rc = rl_parse_feed(r, upstream ? &r->pup : &r->pdown, d, n,
	    base);
	/* Written at once: every command it completed has arrived. */
	b->out = b->in;
	rl_report(r);
	return rc;
}

void
live_relay_scan_reset(struct live_relay *r)
{
	assert(r->cfd < 0 && r->bfd < 0);
	rl_pair_clear(r);
	r->err[0] = '\0';
}
