/*
 * libFuzzer target for the watch proxy's decoding path (watch_scan): any
 * bytes, from either side, in any split, go through the protocol header
 * check, the frame splitter, rabbitmq-c's method and property decoders and
 * the tracker with its ledger, and must be followed or refused with a
 * sentence, without a crash, a hang or a leak.
 *
 * The input is a conversation in the record form of fuzz_relay.c: a
 * control byte (bit 7: 1 the broker sends, 0 the client; bits 0-6: the
 * length 1-127, or 0 for "everything that is left") and that many bytes.
 * tests/fuzz/corpus_watch.py writes the seed corpus; the relay's seeds are
 * in the same form.
 *
 *   make fuzz
 *   ASAN_OPTIONS=detect_leaks=1 ./build/fuzz_watch -max_total_time=60 \
 *       tests/fuzz/corpus_watch tests/fuzz/corpus_relay
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ledger.h"
#include "watch/watch_proxy.h"
#include "watch/watch_track.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every event must print, as text and as JSON, and keep to its tables. */
static void
fz_emit(void *ctx, const struct event *ev)
{
	static FILE *sink;

	(void)ctx;
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();
	if ((unsigned)ev->kind >= EV_COUNT || (unsigned)ev->actor >=
	    ACTOR_COUNT || (unsigned)ev->reason >= LOSS_COUNT)
		abort();
	event_print_text(sink, ev);
	event_print_json(sink, ev);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_track *t = watch_track_new(fz_emit, NULL);
	struct watch_scan *s = watch_scan_new(t);
	size_t at = 0;
	int bad = 0;

	while (at < size) {
		uint8_t ctl = data[at++];
		size_t len = ctl & 0x7f;
		int rc;

		if (len == 0 || len > size - at)
			len = size - at;
		rc = watch_scan_feed(s, !(ctl & 0x80), data + at, len);
		at += len;
		/* -1 always comes with a sentence, 0 never does, and once
		 * refused the pair stays refused. */
		if ((rc != 0) != (watch_scan_error(s)[0] != '\0'))
			abort();
		if (bad && rc == 0)
			abort();
		bad = rc != 0;
	}
	watch_scan_free(s);
	{
		/* The fates of whatever the stream made. */
		FILE *sink = fopen("/dev/null", "w");
		if (sink == NULL)
			abort();
		watch_track_print_fates(t, sink, size & 1);
		fclose(sink);
	}
	watch_track_free(t);
	return 0;
}
