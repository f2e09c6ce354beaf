#include "model/service.h"

#include <stdlib.h>
#include <string.h>

#include "model/toggle.h"
#include "util/xmalloc.h"

uint8_t
service_slot(int ci)
{
	return (uint8_t)(1u << (ci % 8));
}

enum service_outcome
service_work(struct service_memory *mem, int idempotency, int ci,
    uint32_t msgid, uint8_t *done_mask, uint8_t *effects)
{
	uint8_t slot = service_slot(ci);
	int again;
	size_t old;

	if (idempotency == IDEM_MESSAGE_ID && msgid < mem->cap &&
	    (mem->seen[msgid] & slot))
		return SERVICE_SKIP_MSGID;
	if (idempotency == IDEM_BUSINESS && (*done_mask & slot))
		return SERVICE_SKIP_BUSINESS;
	again = (*done_mask & slot) != 0;
	if (*effects < UINT8_MAX)
		++*effects;
	*done_mask |= slot;
	old = mem->cap;
	mem->seen = xgrow(mem->seen, &mem->cap, (size_t)msgid + 1, 1);
	memset(mem->seen + old, 0, mem->cap - old);
	mem->seen[msgid] |= slot;
	return again ? SERVICE_DONE_AGAIN : SERVICE_DONE;
}

void
service_memory_free(struct service_memory *mem)
{
	free(mem->seen);
	mem->seen = NULL;
	mem->cap = 0;
}

int64_t
service_retry_wait(const int64_t *toggles, int attempt)
{
	int64_t wait;

	if (!toggles[TOGGLE_RETRY] || attempt >= toggles[TOGGLE_RETRY_ATTEMPTS])
		return -1;
	wait = toggles[TOGGLE_RETRY_INITIAL_MS] * 1000;
	for (int i = 1; i < attempt; i++)
		wait = wait * toggles[TOGGLE_RETRY_MULTIPLIER] / 1000;
	if (wait > toggles[TOGGLE_RETRY_MAX_MS] * 1000)
		wait = toggles[TOGGLE_RETRY_MAX_MS] * 1000;
	return wait;
}
