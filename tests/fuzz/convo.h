/*
 * The conversation form of the protocol fuzz targets' input (fuzz_relay.c,
 * fuzz_watch.c): records of one control byte and the bytes it announces.
 * Bit 7 of the control byte says who sends (0 the client, 1 the broker);
 * bits 0-6 are the length (1-127), or 0 for "everything that is left". A
 * record cut short by the end of the input is fed as it is.
 * tests/fuzz/corpus_relay.py writes seeds in this form (and holds the
 * frame helpers corpus_watch.py uses too).
 */
#ifndef FUZZ_CONVO_H
#define FUZZ_CONVO_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Feeds `n` bytes sent by the client (`upstream` 1) or the broker (0);
 * returns 0, or -1 once the stream is refused. */
typedef int (*convo_feed_fn)(void *ctx, int upstream, const uint8_t *d,
    size_t n);
/* The sentence saying why the stream was refused, or "". */
typedef const char *(*convo_error_fn)(void *ctx);

/* Plays the conversation in `data` through `feed`, record by record, and
 * aborts unless -1 always comes with a sentence, 0 never does, and once
 * refused the stream stays refused. */
static void
convo_play(const uint8_t *data, size_t size, convo_feed_fn feed,
    convo_error_fn error, void *ctx)
{
	size_t at = 0;
	int bad = 0;

	while (at < size) {
		uint8_t ctl = data[at++];
		size_t len = ctl & 0x7f;
		int rc;

		if (len == 0 || len > size - at)
			len = size - at;
		rc = feed(ctx, !(ctl & 0x80), data + at, len);
		at += len;
		if ((rc != 0) != (error(ctx)[0] != '\0'))
			abort();
		if (bad && rc == 0)
			abort();
		bad = rc != 0;
	}
}

#endif
