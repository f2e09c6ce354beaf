/*
 * The AMQP 0-9-1 frame splitter: one direction of a byte stream cut into
 * frames as the bytes arrive, in any split, without copying the stream.
 *
 * It is the one frame parser of the lab: the fault relay (live_relay.c)
 * and the watch proxy (src/watch) both run one per direction. It reads a
 * frame's 7-octet header (type, channel, size), checks it, hands the
 * payload on as it comes and checks the end octet; it never decodes a
 * payload (callers do, from the bytes it captured).
 *
 * Malformed: a frame whose type AMQP 0-9-1 does not define (1 method,
 * 2 content header, 3 body, 8 heartbeat), whose whole size (header, payload
 * and end octet, as frame-max counts it) is over the limit, or whose last
 * octet is not 0xCE. live_frame_feed then returns -1 and `err` holds a
 * sentence without its subject ("sent a frame of unknown type 9"), for the
 * caller to prefix with the side; the splitter stays refused until reset.
 * Sizes are read as 32 bits and checked before any arithmetic on them.
 *
 * The limit is LIVE_FRAME_MAX_DEFAULT (128 KiB, RabbitMQ's default
 * frame_max) until the caller reports the frame-max that connection.tune-ok
 * carried (live_frame_set_max): 0, "no limit" in the spec, counts as
 * LIVE_FRAME_MAX_NOLIMIT (1 MiB), and a value under the spec's
 * frame-min-size as LIVE_FRAME_MIN, which every peer must accept anyway.
 *
 * Not thread-safe; one splitter per direction of one connection.
 */
#ifndef RL_LIVE_FRAME_H
#define RL_LIVE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define LIVE_FRAME_MIN 4096
#define LIVE_FRAME_MAX_DEFAULT (128 * 1024)
#define LIVE_FRAME_MAX_NOLIMIT (1024 * 1024)
#define LIVE_FRAME_END 0xce
#define LIVE_FRAME_PEEK 12     /* payload octets every frame keeps */

/* Frame types. */
#define LIVE_FRAME_METHOD 1
#define LIVE_FRAME_HEADER 2
#define LIVE_FRAME_BODY 3
#define LIVE_FRAME_HEARTBEAT 8

struct live_frame;

/*
 * What the splitter tells its caller, from inside live_frame_feed, in
 * stream order. Either may be NULL.
 */
struct live_frame_ops {
	/*
	 * `n` payload octets of the current frame, as they arrive (a frame's
	 * payload may come in several calls; its header is in f->type,
	 * f->channel, f->size). Not called for the end octet.
	 */
	void (*payload)(void *ctx, struct live_frame *f, const uint8_t *d,
	    size_t n);
	/*
	 * A frame is complete and well formed; it ended at stream offset
	 * `end` (the offset of the byte after its end octet). Its first
	 * payload octets are in f->peek (f->peek_len of them), and, for a
	 * type the caller asked to capture, its payload in f->cap (f->cap_len
	 * octets, cut at cap_max).
	 */
	void (*frame)(void *ctx, struct live_frame *f, uint64_t end);
};

struct live_frame {
	/* Set by the caller; kept by live_frame_reset. */
	unsigned cap_types;    /* bit t set: capture payloads of type t */
	size_t cap_max;        /* octets of a payload captured at most */
	/* Read by the caller. */
	uint8_t type;          /* the current frame's header ... */
	uint16_t channel;
	uint32_t size;         /* payload octets */
	uint8_t peek[LIVE_FRAME_PEEK];
	size_t peek_len;
	uint8_t *cap;          /* captured payload; owned (live_frame_free) */
	size_t cap_len;
	uint64_t boundary;     /* stream offset just after the last frame */
	uint32_t frame_max;    /* the whole-frame limit in force */
	int tuned;             /* frame_max came from connection.tune-ok */
	char err[128];         /* why the stream was refused, or "" */
	/* The splitter's own. */
	int client;            /* the stream opens with a protocol header */
	int skip;              /* protocol header octets still to pass */
	uint8_t fh[7];         /* frame header being read */
	int fh_have;
	uint32_t left;         /* payload octets + end octet to come */
	size_t cap_alloc;
	int bad;               /* refused: every feed returns -1 */
};

/*
 * Starts a splitter: `client` 1 for the stream a client sends (it opens
 * with the 8-octet protocol header), 0 for a broker's (which may answer
 * with its own header to refuse the version: passed over like the
 * client's). Captures nothing until the caller sets cap_types and cap_max.
 */
void live_frame_init(struct live_frame *f, int client);
/* Starts the stream afresh (offset 0), keeping cap_types, cap_max and the
 * capture buffer. */
void live_frame_reset(struct live_frame *f);
/* Frees the capture buffer; the splitter may be initialised again. */
void live_frame_free(struct live_frame *f);
/* connection.tune-ok carried `frame_max`: the limit from now on. */
void live_frame_set_max(struct live_frame *f, uint32_t frame_max);
/*
 * Feeds `n` octets that start at stream offset `base` (the caller's count
 * of the octets fed before). Returns 0, or -1 when a frame is malformed:
 * the octets after its header are not read and f->err says why; every
 * later call returns -1 until live_frame_reset.
 */
int live_frame_feed(struct live_frame *f, const uint8_t *d, size_t n,
    uint64_t base, const struct live_frame_ops *ops, void *ctx);

/* Big-endian reads for callers that decode captured bytes. */
uint16_t live_frame_be16(const uint8_t *p);
uint32_t live_frame_be32(const uint8_t *p);
uint64_t live_frame_be64(const uint8_t *p);

#endif
