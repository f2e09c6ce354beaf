/*
 * libFuzzer target for the class's event decoder: any bytes a peer
 * publishes into the class's queue, or into the teacher's lead exchange
 * that followers read (a lead is an event of kind "lead"), are either one
 * event or refused with a sentence, without a crash, a hang or a leak. An
 * event that decodes must encode, and decode again to the same event; a
 * lead that decodes names a step a follower can use (not negative) and a
 * released flag that is 0 or 1.
 *
 *   make fuzz
 *   ./build/fuzz_class -max_total_time=60 tests/fuzz/corpus_class
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "class/class_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct class_event ev, again;
	char why[160], json[CLASS_EVENT_JSON_MAX];
	int n;

	why[0] = '\0';
	if (class_event_decode((const char *)data, size, &ev, why,
	    sizeof why) != 0) {
		if (why[0] == '\0')
			abort(); /* a refusal must say why */
		return 0;
	}
	if (ev.kind == CLASS_LEAD && (ev.step < 0 || (ev.released != 0 &&
	    ev.released != 1) || ev.lesson[0] == '\0'))
		abort();
	n = class_event_encode(&ev, json, sizeof json);
	if (n < 0 || class_event_decode(json, (size_t)n, &again, why,
	    sizeof why) != 0 || memcmp(&ev, &again, sizeof ev) != 0)
		abort();
	return 0;
}
