/*
 * The AMQP 0-9-1 frame splitter (see live_frame.h): a state machine over
 * one direction of a stream that passes the protocol header, reads each
 * frame header, checks it before trusting its size, streams the payload to
 * the caller and checks the end octet.
 */
#include "engine/live_frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

uint16_t
live_frame_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
live_frame_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
live_frame_be64(const uint8_t *p)
{
	return (uint64_t)live_frame_be32(p) << 32 | live_frame_be32(p + 4);
}

void
live_frame_init(struct live_frame *f, int client)
{
	memset(f, 0, sizeof *f);
	f->client = client;
	live_frame_reset(f);
}

void
live_frame_reset(struct live_frame *f)
{
	f->type = 0;
	f->channel = 0;
	f->size = 0;
	f->peek_len = 0;
	f->cap_len = 0;
	f->boundary = 0;
	f->frame_max = LIVE_FRAME_MAX_DEFAULT;
	f->tuned = 0;
	f->err[0] = '\0';
	f->skip = f->client ? 8 : 0; /* "AMQP" 0 0 9 1 */
	f->fh_have = 0;
	f->left = 0;
	f->bad = 0;
}

void
live_frame_free(struct live_frame *f)
{
	free(f->cap);
	f->cap = NULL;
	f->cap_alloc = 0;
}

void
live_frame_set_max(struct live_frame *f, uint32_t frame_max)
{
	if (frame_max == 0)
		frame_max = LIVE_FRAME_MAX_NOLIMIT;
	else if (frame_max < LIVE_FRAME_MIN)
		frame_max = LIVE_FRAME_MIN;
	f->frame_max = frame_max;
	f->tuned = 1;
}

static void lf_refuse(struct live_frame *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
lf_refuse(struct live_frame *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->err, sizeof f->err, fmt, ap);
	va_end(ap);
	f->bad = 1;
}

/* The header is complete: checks it and starts the payload. 0, or -1. */
static int
lf_head(struct live_frame *f)
{
	uint64_t whole = (uint64_t)live_frame_be32(f->fh + 3) + 8;
	uint8_t t = f->fh[0];

	if (t != LIVE_FRAME_METHOD && t != LIVE_FRAME_HEADER &&
	    t != LIVE_FRAME_BODY && t != LIVE_FRAME_HEARTBEAT) {
		lf_refuse(f, "sent a frame of unknown type %u", t);
		return -1;
	}
	if (whole > f->frame_max) {
		lf_refuse(f, "sent a frame of %llu bytes, over frame_max %lu%s",
		    (unsigned long long)whole, (unsigned long)f->frame_max,
		    f->tuned ? "" : " (the default before tune-ok)");
		return -1;
	}
	f->type = t;
	f->channel = live_frame_be16(f->fh + 1);
	/* At most frame_max - 8: no wrap. */
	f->size = live_frame_be32(f->fh + 3);
	f->left = f->size + 1;
	f->peek_len = 0;
	f->cap_len = 0;
	if ((f->cap_types >> t & 1) && f->cap_max) {
		size_t want = f->size < f->cap_max ? f->size : f->cap_max;
		if (want > f->cap_alloc) {
			f->cap = xrealloc(f->cap, want);
			f->cap_alloc = want;
		}
	}
	return 0;
}

/* Payload octets d[0, n) of the current frame (no end octet among them). */
static void
lf_payload(struct live_frame *f, const uint8_t *d, size_t n,
    const struct live_frame_ops *ops, void *ctx)
{
	size_t k;

	for (k = 0; k < n && f->peek_len < LIVE_FRAME_PEEK; k++)
		f->peek[f->peek_len++] = d[k];
	if ((f->cap_types >> f->type & 1) && f->cap_len < f->cap_max) {
		size_t room = f->cap_max - f->cap_len;
		k = n < room ? n : room;
		memcpy(f->cap + f->cap_len, d, k);
		f->cap_len += k;
	}
	if (ops && ops->payload)
		ops->payload(ctx, f, d, n);
}

int
live_frame_feed(struct live_frame *f, const uint8_t *d, size_t n,
    uint64_t base, const struct live_frame_ops *ops, void *ctx)
{
	size_t i = 0;

	if (f->bad)
		return -1;
	/* A broker that refuses the protocol header answers with its own
	 * (then closes): it passes like the client's own. */
	if (!f->client && base == 0 && n > 0 && d[0] == 'A')
		f->skip = 8;
	while (i < n) {
		if (f->skip) {
			size_t take = n - i < (size_t)f->skip ? n - i :
			    (size_t)f->skip;
			f->skip -= (int)take;
			i += take;
			if (f->skip == 0)
				f->boundary = base + i;
			continue;
		}
		if (f->fh_have < 7) {
			f->fh[f->fh_have++] = d[i++];
			if (f->fh_have == 7 && lf_head(f) != 0)
				return -1;
			continue;
		}
		{
			size_t take = n - i < f->left ? n - i : f->left;
			size_t body = take == f->left ? take - 1 : take;
			if (body)
				lf_payload(f, d + i, body, ops, ctx);
			if (take == f->left && d[i + take - 1] != LIVE_FRAME_END) {
				lf_refuse(f, "sent a frame that ends in 0x%02X, "
				    "not 0xCE", d[i + take - 1]);
				return -1;
			}
			f->left -= (uint32_t)take;
			i += take;
			if (f->left == 0) {
				f->fh_have = 0;
				f->boundary = base + i;
				if (ops && ops->frame)
					ops->frame(ctx, f, base + i);
			}
		}
	}
	return 0;
}
