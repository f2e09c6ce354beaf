/*
 * The trade service's memory and its retry schedule (see service.h).
 */
#include "model/service.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "model/toggle.h"
#include "util/xmalloc.h"

void
service_memory_init(struct service_memory *mem, size_t n)
{
	/* One at least: reconciliation repairs the first one's orders. */
	mem->stores = xcalloc(n ? n : 1, sizeof *mem->stores);
	mem->nstores = n ? n : 1;
}

void
service_memory_free(struct service_memory *mem)
{
	for (size_t i = 0; i < mem->nstores; i++) {
		free(mem->stores[i].seen);
		free(mem->stores[i].paid);
	}
	free(mem->stores);
	memset(mem, 0, sizeof *mem);
}

static int
service_bit(const uint8_t *bits, size_t cap, uint32_t i)
{
	return (size_t)i / 8 < cap && (bits[i / 8] >> (i % 8) & 1);
}

static void
service_set(uint8_t **bits, size_t *cap, uint32_t i)
{
	*bits = xgrow_zero(*bits, cap, (size_t)i / 8 + 1, 1);
	(*bits)[i / 8] |= (uint8_t)(1u << (i % 8));
}

enum service_outcome
service_work(struct service_memory *mem, int idempotency, int ci,
    uint32_t msgid, uint32_t id, uint8_t *effects)
{
	struct service_store *s;
	int again;

	assert(ci >= 0 && (size_t)ci < mem->nstores);
	s = &mem->stores[ci];
	if (idempotency == IDEM_MESSAGE_ID &&
	    service_bit(s->seen, s->seen_cap, msgid))
		return SERVICE_SKIP_MSGID;
	again = service_bit(s->paid, s->paid_cap, id);
	if (idempotency == IDEM_BUSINESS && again)
		return SERVICE_SKIP_BUSINESS;
	if (*effects < UINT8_MAX)
		++*effects;
	service_set(&s->paid, &s->paid_cap, id);
	service_set(&s->seen, &s->seen_cap, msgid);
	return again ? SERVICE_DONE_AGAIN : SERVICE_DONE;
}

int
service_paid(const struct service_memory *mem, int ci, uint32_t id)
{
	assert(ci >= 0 && (size_t)ci < mem->nstores);
	return service_bit(mem->stores[ci].paid, mem->stores[ci].paid_cap, id);
}

void
service_mark_paid(struct service_memory *mem, int ci, uint32_t id)
{
	assert(ci >= 0 && (size_t)ci < mem->nstores);
	service_set(&mem->stores[ci].paid, &mem->stores[ci].paid_cap, id);
}

int64_t
service_retry_wait(const int64_t *toggles, int attempt)
{
	int64_t wait, max = toggles[TOGGLE_RETRY_MAX_MS] * 1000;

	if (!toggles[TOGGLE_RETRY] || attempt >= toggles[TOGGLE_RETRY_ATTEMPTS])
		return -1;
	wait = toggles[TOGGLE_RETRY_INITIAL_MS] * 1000;
	/* Stop growing at the cap: past it the product would overflow. */
	for (int i = 1; i < attempt && wait < max; i++)
		wait = wait > max * 1000 / toggles[TOGGLE_RETRY_MULTIPLIER] ?
		    max : wait * toggles[TOGGLE_RETRY_MULTIPLIER] / 1000;
	return wait > max ? max : wait;
}
