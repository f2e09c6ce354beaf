/*
 * libFuzzer target for the fault relay's frame parser (live_relay_scan):
 * any bytes, from either side, in any split, must be parsed or refused as
 * malformed with a sentence, without a crash, a hang or a leak.
 *
 * The input is a conversation in the form of convo.h;
 * tests/fuzz/corpus_relay.py writes the seed corpus in this form.
 *
 *   make fuzz
 *   ASAN_OPTIONS=detect_leaks=1 ./build/fuzz_relay -max_total_time=60 \
 *       tests/fuzz/corpus_relay
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live_relay.h"

#include "convo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the parser reported; checked for sanity, then thrown away. */
static size_t fz_commands, fz_deliveries;

static void
fz_command(void *ctx, uint16_t cls, uint16_t meth)
{
	(void)ctx;
	(void)cls;
	(void)meth;
	fz_commands++;
}

static void
fz_closed(void *ctx, enum live_relay_end why)
{
	(void)ctx;
	(void)why;
	abort(); /* no pair, so nothing can end */
}

static void
fz_delivered(void *ctx, const char *ctag, uint64_t tag, int redelivered,
    const char *message_id, int64_t delivery_count)
{
	(void)ctx;
	(void)tag;
	(void)delivery_count;
	/* Borrowed strings must be terminated within their fields. */
	if (strlen(ctag) > 255 || strlen(message_id) > 255 ||
	    (redelivered != 0 && redelivered != 1))
		abort();
	fz_deliveries++;
}

static const struct live_relay_ops fz_ops = {
	.command = fz_command,
	.closed = fz_closed,
	.delivered = fz_delivered,
};

static int
fz_feed(void *ctx, int upstream, const uint8_t *d, size_t n)
{
	return live_relay_scan(ctx, upstream, d, n);
}

static const char *
fz_error(void *ctx)
{
	return live_relay_error(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct live_relay *r;

	if (r == NULL) {
		char *cause = NULL;
		/* Never connected to: the scan needs no broker. */
		r = live_relay_new("127.0.0.1", 1, &fz_ops, NULL, &cause);
		if (r == NULL)
			abort();
	}
	live_relay_scan_reset(r);
	convo_play(data, size, fz_feed, fz_error, r);
	return 0;
}
