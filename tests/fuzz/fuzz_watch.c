/*
 * libFuzzer target for the watch proxy's decoding path (watch_proxy_scan): any
 * bytes, from either side, in any split, go through the protocol header
 * check, the frame splitter, rabbitmq-c's method and property decoders and
 * the tracker with its ledger, and must be followed or refused with a
 * sentence, without a crash, a hang or a leak.
 *
 * The input is a conversation in the form of convo.h.
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

#include "convo.h"

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

static int
fz_feed(void *ctx, int upstream, const uint8_t *d, size_t n)
{
	int rc = watch_proxy_scan_feed(ctx, upstream, d, n);

	/* What the proxy asks between reads (its wait awake). */
	(void)watch_proxy_scan_awaiting(ctx);
	return rc;
}

static const char *
fz_error(void *ctx)
{
	return watch_proxy_scan_error(ctx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch_track *t = watch_track_new(fz_emit, NULL);
	struct watch_proxy_scan *s = watch_proxy_scan_new(t);

	convo_play(data, size, fz_feed, fz_error, s);
	watch_proxy_scan_free(s);
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
