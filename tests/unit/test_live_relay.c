/*
 * Unit tests of the live engine's fault relay, without a broker: the test
 * plays both ends. A listening socket stands in for the broker; a plain TCP
 * client stands in for the lab's client. Checked: bytes cross both ways;
 * a command is reported once its last byte reached the "broker" (a
 * basic.publish only after its body); a basic.deliver from the "broker" is
 * reported with its tags and its message-id and x-delivery-count read from
 * the content header; a hole stops both directions and hands the client one
 * heartbeat frame; a cut resets both ends and refuses new connections until
 * the link is healed; the end of a pair is reported with its cause; bytes
 * injected in process go out after what the client's socket held, and are
 * reported only when settled; publisher confirms are offered to the client
 * ahead of the write, in order, only while nothing else comes first; a
 * malformed frame from either side (a size over frame_max, 0xFFFFFFFF
 * included, a missing 0xCE end octet, an unknown type) ends the pair with
 * RELAY_END_MALFORMED and a sentence naming the side, and nothing of it is
 * forwarded; frame_max follows connection.tune-ok.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/live_relay.h"

struct seen {
	int commands;
	uint16_t cls[64], meth[64];
	int closed;
	enum live_relay_end why;
	int deliveries;
	char ctag[64], mid[64];
	uint64_t tag;
	int redelivered;
	int64_t count;
	int take;              /* what seen_confirm answers */
	int offers, taken, read_done;
	uint64_t written;      /* as the last offer said */
	uint64_t offer_tag[8];
	int offer_ack[8], offer_multiple[8];
};

static void
seen_command(void *ctx, uint16_t cls, uint16_t meth)
{
	struct seen *s = ctx;

	if (s->commands < 64) {
		s->cls[s->commands] = cls;
		s->meth[s->commands] = meth;
	}
	s->commands++;
}

static void
seen_closed(void *ctx, enum live_relay_end why)
{
	struct seen *s = ctx;

	s->closed++;
	s->why = why;
}

static void
seen_delivered(void *ctx, const char *ctag, uint64_t tag, int redelivered,
    const char *mid, int64_t count)
{
	struct seen *s = ctx;

	s->deliveries++;
	snprintf(s->ctag, sizeof s->ctag, "%s", ctag);
	snprintf(s->mid, sizeof s->mid, "%s", mid);
	s->tag = tag;
	s->redelivered = redelivered;
	s->count = count;
}

static int
seen_confirm(void *ctx, uint16_t channel, int ack, uint64_t tag,
    int multiple, uint64_t written)
{
	struct seen *s = ctx;

	s->written = written;
	assert_int_equal(channel, 1);
	if (s->offers < 8) {
		s->offer_tag[s->offers] = tag;
		s->offer_ack[s->offers] = ack;
		s->offer_multiple[s->offers] = multiple;
	}
	s->offers++;
	s->taken += s->take;
	return s->take;
}

static void
seen_read_done(void *ctx)
{
	struct seen *s = ctx;

	s->read_done++;
}

static const struct live_relay_ops ops = {
	seen_command, seen_closed, seen_delivered, seen_confirm,
	seen_read_done,
};

/* A loopback listener on a free port, standing in for the broker. */
static int
broker_listen(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 4), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
client_connect(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Runs the relay for about `ms` milliseconds. */
static void
pump(struct live_relay *r, int ms)
{
	for (int i = 0; i < ms; i++) {
		struct pollfd fds[8];
		size_t n = live_relay_fds(r, fds, 8);
		poll(fds, n, 1);
		live_relay_run(r, fds, n);
	}
}

/* Reads what is there (non-blocking); returns the count. */
static ssize_t
drain(int fd, uint8_t *buf, size_t len)
{
	ssize_t got = 0, n;

	while ((size_t)got < len &&
	    (n = recv(fd, buf + got, len - (size_t)got, 0)) > 0)
		got += n;
	return got;
}

/* A frame: type, channel 1, payload, end octet. */
static size_t
frame(uint8_t *out, uint8_t type, const uint8_t *payload, uint32_t len)
{
	out[0] = type;
	out[1] = 0;
	out[2] = 1;
	out[3] = (uint8_t)(len >> 24);
	out[4] = (uint8_t)(len >> 16);
	out[5] = (uint8_t)(len >> 8);
	out[6] = (uint8_t)len;
	memcpy(out + 7, payload, len);
	out[7 + len] = 0xce;
	return 8 + len;
}

/* The protocol header, then channel.open on channel 1. */
static size_t
hello_open(uint8_t *out)
{
	static const uint8_t open[4] = { 0, 20, 0, 10 }; /* channel.open */

	memcpy(out, "AMQP\0\0\x09\x01", 8);
	return 8 + frame(out + 8, 1, open, sizeof open);
}

struct pair {
	struct seen seen;
	struct live_relay *r;
	int lfd, bfd, cfd;
};

static void
pair_open(struct pair *p)
{
	char *cause = NULL;
	int port;

	memset(p, 0, sizeof *p);
	p->lfd = broker_listen(&port);
	p->r = live_relay_new("127.0.0.1", port, &ops, &p->seen, &cause);
	assert_non_null(p->r);
	p->cfd = client_connect(live_relay_port(p->r));
	assert_true(p->cfd >= 0);
	pump(p->r, 20);
	p->bfd = accept(p->lfd, NULL, NULL);
	assert_true(p->bfd >= 0);
	fcntl(p->bfd, F_SETFL, fcntl(p->bfd, F_GETFL) | O_NONBLOCK);
	assert_true(live_relay_connected(p->r));
}

static void
pair_close(struct pair *p)
{
	live_relay_free(p->r);
	if (p->cfd >= 0)
		close(p->cfd);
	if (p->bfd >= 0)
		close(p->bfd);
	close(p->lfd);
}

static void
test_commands_after_body(void **state)
{
	struct pair p;
	uint8_t buf[512], got[512];
	uint8_t pub[8] = { 0, 60, 0, 40, 0, 0, 0, 0 }; /* basic.publish */
	uint8_t hdr[14] = { 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0 };
	size_t n, body;
	(void)state;

	pair_open(&p);
	n = hello_open(buf);
	n += frame(buf + n, 1, pub, sizeof pub);
	n += frame(buf + n, 2, hdr, sizeof hdr);
	body = n;
	n += frame(buf + n, 3, (const uint8_t *)"hello", 5);
	/* All but the body: channel.open is reported, the publish is not. */
	assert_int_equal(send(p.cfd, buf, body, 0), (ssize_t)body);
	pump(p.r, 20);
	assert_int_equal(drain(p.bfd, got, sizeof got), (ssize_t)body);
	assert_int_equal(p.seen.commands, 1);
	assert_int_equal(p.seen.cls[0], 20);
	assert_int_equal(p.seen.meth[0], 10);
	assert_int_equal(send(p.cfd, buf + body, n - body, 0),
	    (ssize_t)(n - body));
	pump(p.r, 20);
	assert_int_equal(drain(p.bfd, got, sizeof got), (ssize_t)(n - body));
	assert_int_equal(p.seen.commands, 2);
	assert_int_equal(p.seen.cls[1], 60);
	assert_int_equal(p.seen.meth[1], 40);
	pair_close(&p);
}

static void
test_delivery_reported(void **state)
{
	struct pair p;
	uint8_t buf[512], got[512], hdr[128];
	uint8_t del[64];
	size_t n = 0, d = 0, h = 0;
	const char *ctag = "ct", *mid = "m7.9";
	(void)state;

	pair_open(&p);
	/* basic.deliver: ctag, delivery tag 5, redelivered, exchange, key */
	del[d++] = 0; del[d++] = 60; del[d++] = 0; del[d++] = 60;
	del[d++] = (uint8_t)strlen(ctag);
	memcpy(del + d, ctag, strlen(ctag));
	d += strlen(ctag);
	memset(del + d, 0, 8);
	del[d + 7] = 5;
	d += 8;
	del[d++] = 1;
	del[d++] = 0;
	del[d++] = 0;
	/* header: class, weight, size 0, flags headers|message-id */
	memset(hdr, 0, 12);
	hdr[1] = 60;
	h = 12;
	hdr[h++] = 0x20;
	hdr[h++] = 0x80;
	/* headers table: x-delivery-count l 3 */
	{
		const char *k = "x-delivery-count";
		uint32_t tl = 1 + (uint32_t)strlen(k) + 1 + 8;
		hdr[h++] = 0; hdr[h++] = 0; hdr[h++] = 0; hdr[h++] = (uint8_t)tl;
		hdr[h++] = (uint8_t)strlen(k);
		memcpy(hdr + h, k, strlen(k));
		h += strlen(k);
		hdr[h++] = 'l';
		memset(hdr + h, 0, 8);
		hdr[h + 7] = 3;
		h += 8;
	}
	hdr[h++] = (uint8_t)strlen(mid);
	memcpy(hdr + h, mid, strlen(mid));
	h += strlen(mid);
	n += frame(buf + n, 1, del, (uint32_t)d);
	n += frame(buf + n, 2, hdr, (uint32_t)h);
	assert_int_equal(send(p.bfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.deliveries, 1);
	assert_string_equal(p.seen.ctag, "ct");
	assert_int_equal(p.seen.tag, 5);
	assert_int_equal(p.seen.redelivered, 1);
	assert_string_equal(p.seen.mid, "m7.9");
	assert_int_equal(p.seen.count, 3);
	pair_close(&p);
}

static void
test_hole_holds_and_heartbeat(void **state)
{
	struct pair p;
	uint8_t buf[64], got[64];
	uint8_t tune[10] = { 0, 10, 0, 30, 0, 0, 0, 0, 0, 2 };
	size_t n;
	(void)state;

	pair_open(&p);
	/* connection.tune down: the stream is past the handshake. */
	n = frame(buf, 1, tune, sizeof tune);
	send(p.bfd, buf, n, 0);
	pump(p.r, 10);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	live_relay_set_mode(p.r, RELAY_HOLE);
	pump(p.r, 10);
	/* One heartbeat frame, then silence both ways. */
	assert_int_equal(drain(p.cfd, got, sizeof got), 8);
	assert_int_equal(got[0], 8);
	assert_int_equal(got[7], 0xce);
	send(p.bfd, buf, n, 0);
	send(p.cfd, "AMQP\0\0\x09\x01", 8, 0);
	pump(p.r, 20);
	assert_int_equal(drain(p.cfd, got, sizeof got), 0);
	assert_int_equal(drain(p.bfd, got, sizeof got), 0);
	/* New connections are refused while the hole lasts. */
	assert_int_equal(client_connect(live_relay_port(p.r)), -1);
	/* Healed: what waited goes through. */
	live_relay_set_mode(p.r, RELAY_OK);
	pump(p.r, 20);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(drain(p.bfd, got, sizeof got), 8);
	pair_close(&p);
}

static void
test_cut_resets_and_refuses(void **state)
{
	struct pair p;
	uint8_t got[16];
	int fd;
	(void)state;

	pair_open(&p);
	live_relay_set_mode(p.r, RELAY_CUT);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_CUT);
	assert_false(live_relay_connected(p.r));
	pump(p.r, 5);
	errno = 0;
	assert_true(recv(p.cfd, got, sizeof got, 0) <= 0);
	assert_int_equal(client_connect(live_relay_port(p.r)), -1);
	live_relay_set_mode(p.r, RELAY_OK);
	fd = client_connect(live_relay_port(p.r));
	assert_true(fd >= 0);
	close(fd);
	pair_close(&p);
}

static void
test_client_close_reported(void **state)
{
	struct pair p;
	uint8_t buf[64], got[64];
	size_t n;
	(void)state;

	pair_open(&p);
	n = hello_open(buf);
	send(p.cfd, buf, n, 0);
	close(p.cfd);
	p.cfd = -1;
	live_relay_flush(p.r, 200);
	/* What the client wrote before it went reached the broker. */
	assert_int_equal(drain(p.bfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.commands, 1);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_CLIENT);
	pair_close(&p);
}

static void
test_inject_after_socket(void **state)
{
	struct pair p;
	uint8_t buf[512], pubs[512], got[512];
	uint8_t pub[8] = { 0, 60, 0, 40, 0, 0, 0, 0 };
	uint8_t hdr[14] = { 0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	size_t n, k = 0;
	(void)state;

	pair_open(&p);
	/* channel.open through the socket, not yet read by the relay. */
	n = hello_open(buf);
	assert_int_equal(send(p.cfd, buf, n, 0), (ssize_t)n);
	/* Then a publish with an empty body, handed over in process. */
	k += frame(pubs + k, 1, pub, sizeof pub);
	k += frame(pubs + k, 2, hdr, sizeof hdr);
	assert_int_equal(live_relay_inject(p.r, pubs, k), 0);
	/* The broker has both, the socket's bytes first; nothing reported. */
	usleep(10000);
	assert_int_equal(drain(p.bfd, got, sizeof got), (ssize_t)(n + k));
	assert_memory_equal(got, buf, n);
	assert_memory_equal(got + n, pubs, k);
	assert_int_equal(p.seen.commands, 0);
	live_relay_settle(p.r);
	assert_int_equal(p.seen.commands, 2);
	assert_int_equal(p.seen.cls[0], 20);
	assert_int_equal(p.seen.cls[1], 60);
	assert_int_equal(p.seen.meth[1], 40);
	/* A link that is not OK takes nothing in process. */
	live_relay_set_mode(p.r, RELAY_HOLE);
	assert_int_equal(live_relay_inject(p.r, pubs, k), -1);
	pair_close(&p);
}

/* basic.ack (meth 80) or basic.nack (120) for `tag`. */
static size_t
confirm_frame(uint8_t *out, int meth, uint64_t tag, int multiple)
{
	uint8_t m[13] = { 0, 60, 0, (uint8_t)meth };

	for (int i = 0; i < 8; i++)
		m[4 + i] = (uint8_t)(tag >> (56 - 8 * i));
	m[12] = (uint8_t)multiple;
	return frame(out, 1, m, sizeof m);
}

static void
test_confirms_offered(void **state)
{
	struct pair p;
	uint8_t buf[512], got[512];
	uint8_t hb[1] = { 0 }, ret[4] = { 0, 60, 0, 50 };
	size_t n = 0, first;
	(void)state;

	pair_open(&p);
	p.seen.take = 1;
	/* ack 3 multiple, a heartbeat, nack 4: all three reach the client,
	 * both confirms are offered first, in order. */
	n += confirm_frame(buf + n, 80, 3, 1);
	n += frame(buf + n, 8, hb, 0);
	n += confirm_frame(buf + n, 120, 4, 0);
	assert_int_equal(send(p.bfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 10);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.offers, 2);
	assert_int_equal(p.seen.offer_tag[0], 3);
	assert_int_equal(p.seen.offer_ack[0], 1);
	assert_int_equal(p.seen.offer_multiple[0], 1);
	assert_int_equal(p.seen.offer_tag[1], 4);
	assert_int_equal(p.seen.offer_ack[1], 0);
	assert_int_equal(p.seen.read_done, 1);
	assert_int_equal(p.seen.written, 0);
	/* A basic.return comes first: the ack behind it is not offered. */
	first = n;
	n = frame(buf, 1, ret, sizeof ret);
	n += confirm_frame(buf + n, 80, 5, 0);
	send(p.bfd, buf, n, 0);
	pump(p.r, 10);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.offers, 2);
	/* Declined: nothing more of that read is offered, no read_done. */
	p.seen.take = 0;
	n = confirm_frame(buf, 80, 6, 0);
	n += confirm_frame(buf + n, 80, 7, 0);
	send(p.bfd, buf, n, 0);
	pump(p.r, 10);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.offers, 3);
	assert_int_equal(p.seen.offer_tag[2], 6);
	/* What the client was written before: the first two reads. */
	assert_int_equal(p.seen.written, first + 21 + 12);
	assert_int_equal(p.seen.read_done, 1);
	/* In a hole nothing is offered (nothing reaches the client). */
	p.seen.take = 1;
	live_relay_set_mode(p.r, RELAY_HOLE);
	n = confirm_frame(buf, 80, 8, 0);
	send(p.bfd, buf, n, 0);
	pump(p.r, 10);
	assert_int_equal(p.seen.offers, 3);
	pair_close(&p);
}

/* A frame header alone, on channel 0, claiming `size` payload bytes. */
static size_t
frame_head(uint8_t *out, uint8_t type, uint32_t size)
{
	out[0] = type;
	out[1] = out[2] = 0;
	out[3] = (uint8_t)(size >> 24);
	out[4] = (uint8_t)(size >> 16);
	out[5] = (uint8_t)(size >> 8);
	out[6] = (uint8_t)size;
	return 7;
}

/* connection.tune-ok: channel-max 0, `frame_max`, heartbeat 0. */
static size_t
tune_ok_frame(uint8_t *out, uint32_t frame_max)
{
	uint8_t m[12] = { 0, 10, 0, 31, 0, 0, (uint8_t)(frame_max >> 24),
		(uint8_t)(frame_max >> 16), (uint8_t)(frame_max >> 8),
		(uint8_t)frame_max, 0, 0 };

	return frame(out, 1, m, sizeof m);
}

/* Whether the peer's end of the socket was reset or closed. */
static int
peer_gone(int fd)
{
	uint8_t b[64];
	ssize_t n;

	while ((n = recv(fd, b, sizeof b, 0)) > 0)
		;
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* The regression: a size of 0xFFFFFFFF wrapped `size + 1` to 0. */
static void
test_broker_huge_frame_ends_pair(void **state)
{
	struct pair p;
	uint8_t buf[64], got[64];
	size_t n;
	(void)state;

	pair_open(&p);
	n = frame_head(buf, 1, 0xffffffffu);
	memset(buf + n, 0, 16);
	n += 16;
	assert_int_equal(send(p.bfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_MALFORMED);
	assert_string_equal(live_relay_error(p.r), "broker sent a frame of "
	    "4294967303 bytes, over frame_max 131072 (the default before "
	    "tune-ok)");
	assert_false(live_relay_connected(p.r));
	/* The client got nothing of it, only the reset. */
	assert_int_equal(drain(p.cfd, got, sizeof got), 0);
	assert_true(peer_gone(p.cfd));
	assert_true(peer_gone(p.bfd));
	pair_close(&p);
}

static void
test_client_bad_end_octet_ends_pair(void **state)
{
	struct pair p;
	uint8_t buf[64], got[64];
	size_t n;
	(void)state;

	pair_open(&p);
	n = hello_open(buf);
	buf[n - 1] = 0;
	assert_int_equal(send(p.cfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_MALFORMED);
	assert_string_equal(live_relay_error(p.r),
	    "client sent a frame that ends in 0x00, not 0xCE");
	/* The command never reached the broker, nor was it reported. */
	assert_int_equal(p.seen.commands, 0);
	assert_int_equal(drain(p.bfd, got, sizeof got), 0);
	assert_true(peer_gone(p.bfd));
	assert_true(peer_gone(p.cfd));
	/* The relay takes the next client, and the sentence goes. */
	close(p.cfd);
	close(p.bfd);
	p.cfd = client_connect(live_relay_port(p.r));
	assert_true(p.cfd >= 0);
	pump(p.r, 20);
	p.bfd = accept(p.lfd, NULL, NULL);
	assert_true(p.bfd >= 0);
	assert_true(live_relay_connected(p.r));
	assert_string_equal(live_relay_error(p.r), "");
	pair_close(&p);
}

/* The broker's frames are held to what tune-ok negotiated. */
static void
test_frame_max_from_tune_ok(void **state)
{
	struct pair p;
	uint8_t buf[8192], body[8192], got[8192];
	size_t n;
	(void)state;

	pair_open(&p);
	memcpy(buf, "AMQP\0\0\x09\x01", 8);
	n = 8 + tune_ok_frame(buf + 8, 4096);
	assert_int_equal(send(p.cfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(drain(p.bfd, got, sizeof got), (ssize_t)n);
	/* A body frame of exactly 4096 bytes passes, one of 4097 does not. */
	memset(body, 'x', sizeof body);
	n = frame(buf, 3, body, 4096 - 8);
	assert_int_equal(send(p.bfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(drain(p.cfd, got, sizeof got), (ssize_t)n);
	assert_int_equal(p.seen.closed, 0);
	n = frame(buf, 3, body, 4097 - 8);
	assert_int_equal(send(p.bfd, buf, n, 0), (ssize_t)n);
	pump(p.r, 20);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_MALFORMED);
	assert_string_equal(live_relay_error(p.r),
	    "broker sent a frame of 4097 bytes, over frame_max 4096");
	assert_int_equal(drain(p.cfd, got, sizeof got), 0);
	pair_close(&p);
}

/* Bytes handed over in process are checked too; the pair ends on settle. */
static void
test_inject_malformed(void **state)
{
	struct pair p;
	uint8_t buf[64], got[64];
	size_t n;
	(void)state;

	pair_open(&p);
	assert_int_equal(send(p.cfd, "AMQP\0\0\x09\x01", 8, 0), 8);
	n = frame_head(buf, 9, 0);
	buf[n++] = 0xce;
	assert_int_equal(live_relay_inject(p.r, buf, n), -1);
	assert_int_equal(p.seen.closed, 0);
	live_relay_settle(p.r);
	assert_int_equal(p.seen.closed, 1);
	assert_int_equal(p.seen.why, RELAY_END_MALFORMED);
	assert_string_equal(live_relay_error(p.r),
	    "client sent a frame of unknown type 9");
	assert_int_equal(drain(p.bfd, got, sizeof got), 0);
	pair_close(&p);
}

/* A broker that refuses the version answers with a protocol header. */
static void
test_broker_protocol_header_passes(void **state)
{
	struct pair p;
	uint8_t got[16];
	(void)state;

	pair_open(&p);
	assert_int_equal(send(p.bfd, "AMQP\0\0\x09\x01", 8, 0), 8);
	pump(p.r, 20);
	assert_int_equal(drain(p.cfd, got, sizeof got), 8);
	assert_memory_equal(got, "AMQP\0\0\x09\x01", 8);
	assert_int_equal(p.seen.closed, 0);
	pair_close(&p);
}

/* The parser without sockets (live_relay_scan). */
static void
test_scan(void **state)
{
	struct seen seen;
	struct live_relay *r;
	char *cause = NULL;
	uint8_t buf[512];
	size_t n;
	(void)state;

	memset(&seen, 0, sizeof seen);
	r = live_relay_new("127.0.0.1", 1, &ops, &seen, &cause);
	assert_non_null(r);
	/* Byte by byte: commands are reported as their last byte goes. */
	n = hello_open(buf);
	n += tune_ok_frame(buf + n, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(live_relay_scan(r, 1, buf + i, 1), 0);
	assert_int_equal(seen.commands, 2);
	assert_int_equal(seen.cls[0], 20);
	assert_int_equal(seen.meth[1], 31);
	/* tune-ok's 0 ("no limit") is held to 1 MiB. */
	n = frame_head(buf, 3, 1024 * 1024 - 8);
	assert_int_equal(live_relay_scan(r, 0, buf, n), 0);
	live_relay_scan_reset(r);
	n = 8 + tune_ok_frame(buf + 8, 0);
	assert_int_equal(live_relay_scan(r, 1, buf, n), 0);
	n = frame_head(buf, 3, 1024 * 1024 - 7);
	assert_int_equal(live_relay_scan(r, 0, buf, n), -1);
	assert_string_equal(live_relay_error(r), "broker sent a frame of "
	    "1048577 bytes, over frame_max 1048576");
	/* Once malformed, nothing more is read until a reset. */
	assert_int_equal(live_relay_scan(r, 1, buf, 1), -1);
	live_relay_scan_reset(r);
	assert_string_equal(live_relay_error(r), "");
	/* Before tune-ok: the default; the old wrap, upstream this time. */
	memcpy(buf, "AMQP\0\0\x09\x01", 8);
	n = 8 + frame_head(buf + 8, 2, 0xffffffffu);
	assert_int_equal(live_relay_scan(r, 1, buf, n), -1);
	assert_string_equal(live_relay_error(r), "client sent a frame of "
	    "4294967303 bytes, over frame_max 131072 (the default before "
	    "tune-ok)");
	/* A tune-ok under frame-min-size counts as 4096. */
	live_relay_scan_reset(r);
	n = 8 + tune_ok_frame(buf + 8, 16);
	assert_int_equal(live_relay_scan(r, 1, buf, n), 0);
	n = frame_head(buf, 3, 4096 - 8);
	assert_int_equal(live_relay_scan(r, 0, buf, n), 0);
	live_relay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands_after_body),
		cmocka_unit_test(test_delivery_reported),
		cmocka_unit_test(test_hole_holds_and_heartbeat),
		cmocka_unit_test(test_cut_resets_and_refuses),
		cmocka_unit_test(test_client_close_reported),
		cmocka_unit_test(test_inject_after_socket),
		cmocka_unit_test(test_confirms_offered),
		cmocka_unit_test(test_broker_huge_frame_ends_pair),
		cmocka_unit_test(test_client_bad_end_octet_ends_pair),
		cmocka_unit_test(test_frame_max_from_tune_ok),
		cmocka_unit_test(test_inject_malformed),
		cmocka_unit_test(test_broker_protocol_header_passes),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
