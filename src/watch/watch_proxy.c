/*
 * The watch proxy (see watch_proxy.h). A pair is one client socket and
 * one broker socket, with a buffer and a frame splitter per direction.
 * Bytes are parsed as they are read and written out as the other socket
 * takes them; a direction whose source reached end of file is shut down
 * towards its destination once its buffer is empty (a half-close passes
 * through), and the pair ends when both directions have.
 *
 * Nothing blocks: sockets are non-blocking, reads stop when a buffer is
 * full, and poll() decides when to go on. While a client waits for the
 * confirm of what it just sent and the broker last answered that
 * connection within WP_QUICK_S, poll() is asked without sleeping until the
 * answer comes or WP_SPIN_S is up (wp_spin): a confirm's round trip is
 * then not lengthened by the watch's own fall asleep and wake.
 */
/* POLLRDHUP: a black-holed pair still learns that a peer hung up. */
#define _GNU_SOURCE
#include "watch/watch_proxy.h"

#include <assert.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/live_frame.h"
#include "util/mono.h"
#include "util/sock.h"
#include "util/xmalloc.h"
#include "watch/watch_decode.h"

#define WP_BUF (128 * 1024)
#define WP_ERR 320
/* The longest a client's confirm is awaited awake. A transient publish's
 * confirm from a local node takes 60-100 us (make bench); awake for 100
 * us, the watch added a median 15-23 us to it, where asleep it added
 * about 50; awake for 200 or 400 us its p99 grew to 250-600 us: on two
 * cores the spinning watch takes a core the broker wanted. A persistent
 * publish, written to disk first, is awaited asleep. */
#define WP_SPIN_S 100e-6
/* A broker that last answered within this (asleep, a wake included) is
 * quick enough for its confirms to be awaited awake. */
#define WP_QUICK_S 200e-6

struct wp_dir {
	uint8_t *buf;
	size_t start, end;     /* unsent bytes are buf[start, end) */
	size_t fresh;          /* buf[fresh, end) is not parsed yet */
	uint64_t in;           /* stream offset of buf[end] */
	int eof;               /* its source is done */
	int shut;              /* its destination got SHUT_WR */
	struct live_frame fr;
};

struct wp_pair {
	int cfd, bfd;
	int connecting;        /* bfd's connect() is in progress */
	struct wp_dir up, down;
	uint8_t hdr[8];        /* the client's first octets */
	size_t hdr_have;
	struct watch_decode *conn;
	unsigned id;
	char peer[64];
	char err[WP_ERR];      /* why it must end now, or "" */
	int sock_err;          /* ... because a socket failed */
	int hole;              /* black-holed: nothing moves either way */
	double hole_until;     /* mono seconds it heals; 0: never */
	int gone_c, gone_b;    /* while black-holed, that peer hung up */
	double sent_at;        /* mono seconds bytes last went to the broker,
	                          0 once the broker sent something after */
	double answer;         /* seconds the broker then took; -1: unknown,
	                          or a wait awake ran out (wp_spin) */
};

struct watch_proxy {
	int lfd, port;
	struct sockaddr_storage broker;
	socklen_t broker_len;
	struct watch_track *t;
	struct wp_pair **pairs;
	size_t npairs, pairs_cap;
	unsigned next_id;
	struct pollfd *fds;
	size_t fds_cap;
	int accept_warned;
	int quiet;        /* nothing to stderr: a screen owns the terminal */
};

/* Resolves host:port into sa/len; on failure sets *cause. */
static int
wp_resolve(const char *host, int port, int passive,
    struct sockaddr_storage *sa, socklen_t *len, char **cause)
{
	int rc = sock_resolve(host, port, passive, sa, len);

	if (rc != 0)
		*cause = xasprintf("cannot resolve %s: %s", host,
		    gai_strerror(rc));
	return rc != 0 ? -1 : 0;
}

struct watch_proxy *
watch_proxy_new(const char *listen_host, int listen_port,
    const char *broker_host, int broker_port, struct watch_track *t,
    char **cause)
{
	struct watch_proxy *p = xcalloc(1, sizeof *p);
	struct sockaddr_storage sa;
	socklen_t sl;

	p->lfd = -1;
	p->t = t;
	p->next_id = 1;
	if (wp_resolve(broker_host, broker_port, 0, &p->broker,
	    &p->broker_len, cause) != 0 ||
	    wp_resolve(listen_host, listen_port, 1, &sa, &sl, cause) != 0) {
		free(p);
		return NULL;
	}
	p->lfd = sock_listen((struct sockaddr *)&sa, sl, 64, &p->port);
	if (p->lfd < 0) {
		*cause = xasprintf("cannot listen on %s:%d: %s", listen_host,
		    listen_port, strerror(errno));
		free(p);
		return NULL;
	}
	return p;
}

void
watch_proxy_quiet(struct watch_proxy *p)
{
	p->quiet = 1;
}

int
watch_proxy_port(const struct watch_proxy *p)
{
	return p->port;
}

size_t
watch_proxy_count(const struct watch_proxy *p)
{
	return p->npairs;
}

/* ---- pairs ----------------------------------------------------------- */

static void
wp_dir_init(struct wp_dir *d, int client)
{
	memset(d, 0, sizeof *d);
	d->buf = xmalloc(WP_BUF);
	live_frame_init(&d->fr, client);
	/* The decoder reads method and header frames whole. */
	d->fr.cap_types = 1u << LIVE_FRAME_METHOD | 1u << LIVE_FRAME_HEADER;
	d->fr.cap_max = LIVE_FRAME_MAX_NOLIMIT;
}

static void
wp_pair_free(struct wp_pair *pr)
{
	sock_reset(pr->cfd);
	sock_reset(pr->bfd);
	free(pr->up.buf);
	free(pr->down.buf);
	live_frame_free(&pr->up.fr);
	live_frame_free(&pr->down.fr);
	watch_decode_free(pr->conn);
	free(pr);
}

/* Ends pair i: `why` "" for an orderly end, else a sentence (then both
 * sockets are reset and the sentence goes to stderr). */
static void
wp_end(struct watch_proxy *p, size_t i, const char *why)
{
	struct wp_pair *pr = p->pairs[i];

	if (why[0] && !p->quiet)
		fprintf(stderr, "rabbitlab watch: connection c%u from %s: %s; "
		    "closed it\n", pr->id, pr->peer, why);
	watch_decode_end(pr->conn, why);
	wp_pair_free(pr);
	p->pairs[i] = p->pairs[--p->npairs];
}

void
watch_proxy_free(struct watch_proxy *p)
{
	if (p == NULL)
		return;
	while (p->npairs)
		wp_end(p, p->npairs - 1, "the lab stopped");
	if (p->lfd >= 0)
		close(p->lfd);
	free(p->pairs);
	free(p->fds);
	free(p);
}

static void
wp_accept(struct watch_proxy *p)
{
	struct sockaddr_storage sa;
	socklen_t sl = sizeof sa;
	char host[48] = "?", serv[16] = "?";
	struct wp_pair *pr;
	int fd = accept(p->lfd, (struct sockaddr *)&sa, &sl);

	if (fd < 0) {
		if ((errno == EMFILE || errno == ENFILE) && !p->accept_warned) {
			p->accept_warned = 1;
			if (!p->quiet)
				fprintf(stderr, "rabbitlab watch: cannot "
				    "accept more connections: %s\n",
				    strerror(errno));
		}
		return;
	}
	sock_nonblock(fd);
	getnameinfo((struct sockaddr *)&sa, sl, host, sizeof host, serv,
	    sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
	pr = xcalloc(1, sizeof *pr);
	pr->cfd = fd;
	pr->id = p->next_id++;
	pr->answer = -1;
	snprintf(pr->peer, sizeof pr->peer, "%s:%s", host, serv);
	wp_dir_init(&pr->up, 1);
	wp_dir_init(&pr->down, 0);
	pr->conn = watch_decode_new(p->t, pr->id, pr->peer);
	p->pairs = xgrow(p->pairs, &p->pairs_cap, p->npairs + 1,
	    sizeof *p->pairs);
	p->pairs[p->npairs++] = pr;
	pr->bfd = sock_connect((struct sockaddr *)&p->broker, p->broker_len,
	    &pr->connecting);
	if (pr->bfd < 0)
		snprintf(pr->err, sizeof pr->err, "cannot connect to the "
		    "broker: %s", strerror(errno));
}

/* ---- parsing --------------------------------------------------------- */

static void
wp_payload(void *ctx, struct live_frame *f, const uint8_t *d, size_t n)
{
	struct wp_pair *pr = ctx;

	if (f->type == LIVE_FRAME_BODY)
		watch_decode_body(pr->conn, f == &pr->up.fr, f->channel, d, n);
}

static void
wp_frame(void *ctx, struct live_frame *f, uint64_t end)
{
	struct wp_pair *pr = ctx;
	int up = f == &pr->up.fr, tuned;
	uint32_t fm;

	(void)end;
	if (pr->err[0])
		return;
	if (watch_decode_frame(pr->conn, up, f, pr->err, sizeof pr->err) != 0)
		return;
	fm = watch_decode_frame_max(pr->conn, &tuned);
	if (up && tuned && !pr->up.fr.tuned) {
		live_frame_set_max(&pr->up.fr, fm);
		live_frame_set_max(&pr->down.fr, fm);
		/* The decoder reads whole frames: capture up to the limit. */
		if (pr->up.fr.frame_max > pr->up.fr.cap_max)
			pr->up.fr.cap_max = pr->down.fr.cap_max =
			    pr->up.fr.frame_max;
	}
}

static const struct live_frame_ops wp_ops = {
	.payload = wp_payload,
	.frame = wp_frame,
};

/* The client must open with "AMQP": anything else is not AMQP at all
 * (an HTTP request, a TLS hello), said so rather than as a bad frame. */
static int
wp_check_header(struct wp_pair *pr, const uint8_t *d, size_t n)
{
	static const char want[4] = { 'A', 'M', 'Q', 'P' };

	for (size_t i = 0; i < n && pr->hdr_have < 8; i++)
		pr->hdr[pr->hdr_have++] = d[i];
	for (size_t i = 0; i < pr->hdr_have && i < 4; i++)
		if (pr->hdr[i] != (uint8_t)want[i]) {
			char shown[16];
			size_t k;
			for (k = 0; k < pr->hdr_have && k < 4; k++)
				shown[k] = pr->hdr[k] >= 0x20 &&
				    pr->hdr[k] < 0x7f ? (char)pr->hdr[k] : '.';
			shown[k] = '\0';
			snprintf(pr->err, sizeof pr->err, "client did not open "
			    "with the AMQP protocol header (it began with "
			    "\"%s\")", shown);
			return -1;
		}
	return 0;
}

/*
 * Parses what was read into d's buffer and not parsed yet, buf[fresh,
 * end). The proxy forwards first and parses after, so that decoding is
 * not on the round trip; bytes stay where they are until the next read.
 */
static int
wp_took(struct wp_pair *pr, struct wp_dir *d)
{
	const uint8_t *at = d->buf + d->fresh;
	size_t n = d->end - d->fresh;
	uint64_t base = d->in - n;
	int up = d == &pr->up;

	d->fresh = d->end;
	if (n == 0)
		return pr->err[0] ? -1 : 0;
	if (up && pr->hdr_have < 8 && wp_check_header(pr, at, n) != 0)
		return -1;
	if (live_frame_feed(&d->fr, at, n, base, &wp_ops, pr) != 0) {
		snprintf(pr->err, sizeof pr->err, "%s %s",
		    up ? "client" : "broker", d->fr.err);
		return -1;
	}
	return pr->err[0] ? -1 : 0;
}

/* ---- without sockets ------------------------------------------------- */

/* A pair with no sockets: its buffers only stage what is parsed. */
struct watch_proxy_scan {
	struct wp_pair *pr;
};

struct watch_proxy_scan *
watch_proxy_scan_new(struct watch_track *t)
{
	struct watch_proxy_scan *s = xcalloc(1, sizeof *s);
	struct wp_pair *pr = xcalloc(1, sizeof *pr);

	pr->cfd = pr->bfd = -1;
	pr->id = 1;
	snprintf(pr->peer, sizeof pr->peer, "scan");
	wp_dir_init(&pr->up, 1);
	wp_dir_init(&pr->down, 0);
	pr->conn = watch_decode_new(t, pr->id, pr->peer);
	s->pr = pr;
	return s;
}

int
watch_proxy_scan_feed(struct watch_proxy_scan *s, int upstream, const void *d,
    size_t n)
{
	struct wp_pair *pr = s->pr;
	struct wp_dir *dir = upstream ? &pr->up : &pr->down;
	const uint8_t *p = d;

	while (n > 0 && !pr->err[0]) {
		size_t k = n < WP_BUF ? n : WP_BUF;
		/* Everything staged is "written" at once. */
		dir->start = dir->fresh = 0;
		dir->end = k;
		dir->in += k;
		memcpy(dir->buf, p, k);
		(void)wp_took(pr, dir);
		p += k;
		n -= k;
	}
	return pr->err[0] ? -1 : 0;
}

const char *
watch_proxy_scan_error(const struct watch_proxy_scan *s)
{
	return s->pr->err;
}

int
watch_proxy_scan_awaiting(const struct watch_proxy_scan *s)
{
	return watch_decode_awaiting(s->pr->conn);
}

void
watch_proxy_scan_free(struct watch_proxy_scan *s)
{
	if (s == NULL)
		return;
	watch_decode_end(s->pr->conn, s->pr->err);
	wp_pair_free(s->pr);
	free(s);
}

/* ---- moving bytes ---------------------------------------------------- */

/* The `side`'s socket failed (errno says how): the pair must end.
 * Returns -1. */
static int
wp_failed(struct wp_pair *pr, const char *side)
{
	snprintf(pr->err, sizeof pr->err, "the %s's socket failed: %s", side,
	    strerror(errno));
	pr->sock_err = 1;
	return -1;
}

/* Reads from fd into d; 0, or -1 when the pair must end (pr->err says
 * why, or "" for an end of file that ... is handled by d->eof). */
static int
wp_read(struct wp_pair *pr, int fd, struct wp_dir *d, const char *side)
{
	ssize_t n;

	if (d->eof)
		return 0;
	/* Parsed to the end, so a move to the buffer's front moves no
	 * unparsed byte. */
	assert(d->fresh == d->end);
	n = sock_fill(fd, d->buf, WP_BUF, &d->start, &d->end);
	d->fresh = d->end;
	if (n == -2)
		return 0;
	if (n < 0)
		return wp_failed(pr, side);
	if (n == 0) {
		d->eof = 1;
		return 0;
	}
	d->end += (size_t)n;
	d->in += (size_t)n;
	return 0;
}

static int
wp_write(struct wp_pair *pr, int fd, struct wp_dir *d, const char *side)
{
	ssize_t n;

	n = sock_send(fd, d->buf + d->start, d->end - d->start);
	if (n < 0)
		return wp_failed(pr, side);
	d->start += (size_t)n;
	if (d->eof && d->start == d->end && !d->shut) {
		shutdown(fd, SHUT_WR);
		d->shut = 1;
	}
	return 0;
}

static size_t
wp_fds(struct watch_proxy *p)
{
	size_t n = 0;

	p->fds = xgrow(p->fds, &p->fds_cap, 1 + 2 * p->npairs,
	    sizeof *p->fds);
	p->fds[n++] = (struct pollfd){ p->lfd, POLLIN, 0 };
	for (size_t i = 0; i < p->npairs; i++) {
		struct wp_pair *pr = p->pairs[i];
		short ce = 0, be = 0;
		if (pr->hole) {
			/* The bytes wait where they are, as in a network
			 * that drops every packet; only a peer hanging up is
			 * seen, once (a socket that said so is not asked
			 * again: it would say so at every poll). */
			p->fds[n++] = (struct pollfd){ pr->gone_c ? -1 :
			    pr->cfd, POLLRDHUP, 0 };
			p->fds[n++] = (struct pollfd){ pr->gone_b ? -1 :
			    pr->bfd, POLLRDHUP, 0 };
			continue;
		}
		if (!pr->up.eof && pr->up.end - pr->up.start < WP_BUF)
			ce |= POLLIN;
		if (pr->down.end > pr->down.start)
			ce |= POLLOUT;
		if (pr->connecting)
			be = POLLOUT;
		else {
			if (!pr->down.eof &&
			    pr->down.end - pr->down.start < WP_BUF)
				be |= POLLIN;
			if (pr->up.end > pr->up.start)
				be |= POLLOUT;
		}
		p->fds[n++] = (struct pollfd){ pr->cfd, ce, 0 };
		p->fds[n++] = (struct pollfd){ pr->bfd, be, 0 };
	}
	return n;
}

/* Moves what pair pr can move after poll() said `cre` and `bre`. */
static void
wp_run_pair(struct wp_pair *pr, short cre, short bre)
{
	if (pr->connecting && bre) {
		int err = 0;
		socklen_t el = sizeof err;
		getsockopt(pr->bfd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			snprintf(pr->err, sizeof pr->err, "the broker refused "
			    "the connection: %s", strerror(err));
			return;
		}
		pr->connecting = 0;
	}
	if ((cre & (POLLIN | POLLHUP | POLLERR)) &&
	    wp_read(pr, pr->cfd, &pr->up, "client") != 0)
		return;
	if (!pr->connecting && (bre & (POLLIN | POLLHUP | POLLERR))) {
		uint64_t in = pr->down.in;
		if (wp_read(pr, pr->bfd, &pr->down, "broker") != 0)
			return;
		if (pr->down.in > in && pr->sent_at > 0) {
			pr->answer = mono_seconds() - pr->sent_at;
			pr->sent_at = 0;
		}
	}
	if (!pr->connecting) {
		size_t unsent = pr->up.end - pr->up.start;
		if (wp_write(pr, pr->bfd, &pr->up, "broker") != 0)
			return;
		if (pr->up.end - pr->up.start < unsent)
			pr->sent_at = mono_seconds();
	}
	if (wp_write(pr, pr->cfd, &pr->down, "client") != 0)
		return;
	/* What went through is parsed now, off the round trip. */
	if (wp_took(pr, &pr->up) == 0)
		(void)wp_took(pr, &pr->down);
}

/* Whether pair pr's client waits for a confirm from a broker that has
 * been quick (see the top). */
static int
wp_spin_due(const struct wp_pair *pr)
{
	return !pr->hole && !pr->err[0] && !pr->connecting &&
	    pr->sent_at > 0 && pr->answer >= 0 && pr->answer < WP_QUICK_S &&
	    pr->up.start == pr->up.end && watch_decode_awaiting(pr->conn);
}

/*
 * Polls the n fds awake while some pair's confirm is due (wp_spin_due),
 * until the latest of those is: what poll() returned, or 0 when nothing
 * was due or came; those pairs then wait asleep for their next answer,
 * which says whether the broker is quick again.
 */
static int
wp_spin(struct watch_proxy *p, size_t n)
{
	double until = 0;
	int ready;

	for (size_t i = 0; i < p->npairs; i++)
		if (wp_spin_due(p->pairs[i]) &&
		    p->pairs[i]->sent_at + WP_SPIN_S > until)
			until = p->pairs[i]->sent_at + WP_SPIN_S;
	if (until == 0 || until <= mono_seconds())
		return 0;
	ready = sock_poll_awake(p->fds, n, until);
	if (ready == 0)
		for (size_t i = 0; i < p->npairs; i++)
			if (wp_spin_due(p->pairs[i]))
				p->pairs[i]->answer = -1;
	return ready;
}

/*
 * A black-holed pair after poll() said `cre` and `bre`: a peer that hung
 * up is marked; once both have, nothing can pass any more, as when both
 * ends of a real black hole give up (the broker on a missed heartbeat),
 * and the pair ends with that said.
 */
static void
wp_hole_hangup(struct wp_pair *pr, short cre, short bre)
{
	const short hup = POLLRDHUP | POLLHUP | POLLERR;

	pr->gone_c |= (cre & hup) != 0;
	pr->gone_b |= (bre & hup) != 0;
	if (pr->gone_c && pr->gone_b)
		snprintf(pr->err, sizeof pr->err, "both ends gave up on it "
		    "while it was a black hole");
}

int
watch_proxy_step(struct watch_proxy *p, int timeout_ms)
{
	size_t n = wp_fds(p), npairs = p->npairs;
	int ready = timeout_ms > 0 ? wp_spin(p, n) : 0;

	if (ready == 0)
		ready = poll(p->fds, n, timeout_ms);
	if (ready < 0)
		return errno == EINTR ? 0 : -1;
	/* Pairs are visited from the last, so that ending one (which moves
	 * the last into its place) skips none; new ones come after. */
	for (size_t i = npairs; i-- > 0;) {
		struct wp_pair *pr = p->pairs[i];
		if (pr->hole && pr->hole_until > 0 &&
		    mono_seconds() >= pr->hole_until)
			pr->hole = 0;
		if (pr->hole)
			wp_hole_hangup(pr, p->fds[1 + 2 * i].revents,
			    p->fds[2 + 2 * i].revents);
		if (!pr->err[0] && !pr->hole)
			wp_run_pair(pr, p->fds[1 + 2 * i].revents,
			    p->fds[2 + 2 * i].revents);
		/* A peer may reset its socket once the AMQP connection is
		 * closed: that is an orderly end. */
		if (pr->err[0])
			wp_end(p, i, pr->sock_err &&
			    watch_decode_closed(pr->conn) ? "" : pr->err);
		else if (pr->up.shut && pr->down.shut)
			wp_end(p, i, "");
	}
	if (p->fds[0].revents & POLLIN)
		for (int k = 0; k < 16; k++) {
			size_t before = p->npairs;
			wp_accept(p);
			if (p->npairs == before)
				break;
		}
	return 0;
}

/* ---- failures -------------------------------------------------------- */

static long
wp_find(const struct watch_proxy *p, unsigned id, char **cause)
{
	for (size_t i = 0; i < p->npairs; i++)
		if (p->pairs[i]->id == id)
			return (long)i;
	*cause = xasprintf("no connection c%u is open", id);
	return -1;
}

int
watch_proxy_cut(struct watch_proxy *p, unsigned id, char **cause)
{
	long i = wp_find(p, id, cause);

	if (i < 0)
		return -1;
	wp_end(p, (size_t)i, "the lab cut the connection, reset both ways");
	return 0;
}

int
watch_proxy_hole(struct watch_proxy *p, unsigned id, int on, int64_t ms,
    char **cause)
{
	long i = wp_find(p, id, cause);

	if (i < 0)
		return -1;
	p->pairs[i]->hole = on;
	p->pairs[i]->hole_until = on && ms > 0 ?
	    mono_seconds() + (double)ms / 1000.0 : 0;
	return 0;
}

int
watch_proxy_holed(const struct watch_proxy *p, unsigned id)
{
	for (size_t i = 0; i < p->npairs; i++)
		if (p->pairs[i]->id == id)
			return p->pairs[i]->hole;
	return 0;
}

size_t
watch_proxy_unacked(const struct watch_proxy *p, const char *queue)
{
	size_t n = 0;

	for (size_t i = 0; i < p->npairs; i++)
		n += watch_decode_unacked(p->pairs[i]->conn, queue);
	return n;
}
