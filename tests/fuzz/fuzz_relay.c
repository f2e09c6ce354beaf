/*
 * libFuzzer target for the fault relay's frame parser (live_relay_scan):
 * any bytes, from either side, in any split, must be parsed or refused as
 * malformed with a sentence, without a crash, a hang or a leak.
 *
 * The input is a conversation: records of one control byte and the bytes
 * it announces. Bit 7 of the control byte says who sends (0 the client,
 * 1 the broker); bits 0-6 are the length (1-127), or 0 for "everything
 * that is left". A record cut short by the end of the input is fed as it
 * is. tests/fuzz/corpus_relay.py writes the seed corpus in this form.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct live_relay *r;
	size_t at = 0;
	int bad = 0;

	if (r == NULL) {
		char *cause = NULL;
		/* Never connected to: the scan needs no broker. */
		r = live_relay_new("127.0.0.1", 1, &fz_ops, NULL, &cause);
		if (r == NULL)
			abort();
	}
	live_relay_scan_reset(r);
	while (at < size) {
		uint8_t ctl = data[at++];
		size_t len = ctl & 0x7f;
		int rc;

		if (len == 0 || len > size - at)
			len = size - at;
		rc = live_relay_scan(r, !(ctl & 0x80), data + at, len);
		at += len;
		/* -1 always comes with a sentence, 0 never does, and once
		 * malformed the stream stays refused. */
		if ((rc != 0) != (live_relay_error(r)[0] != '\0'))
			abort();
		if (bad && rc == 0)
			abort();
		bad = rc != 0;
	}
	return 0;
}
