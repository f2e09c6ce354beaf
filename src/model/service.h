/*
 * The trade service behind the consumers: what it remembers and how it
 * reacts, the same on both engines. Each consumer is its own instance of
 * the service, with its own processed-id store and its own business state,
 * told apart by a slot (consumer index % 8, one bit of a mask).
 */
#ifndef RL_SERVICE_H
#define RL_SERVICE_H

#include <stddef.h>
#include <stdint.h>

/* The processed-id stores of every consumer: one slot mask per message-id. */
struct service_memory {
	uint8_t *seen;  /* by message-id; grows on demand */
	size_t cap;
};

enum service_outcome {
	SERVICE_DONE,          /* the work was done (the first time) */
	SERVICE_DONE_AGAIN,    /* done again: this consumer had done it before */
	SERVICE_SKIP_MSGID,    /* skipped: its message-id was seen before */
	SERVICE_SKIP_BUSINESS, /* skipped: the order is already paid */
};

/* The slot bit of consumer `ci`. */
uint8_t service_slot(int ci);

/*
 * Consumer `ci` finished its work on the message with `msgid`; `done_mask`
 * (the slots that applied the message's effect) and `effects` (how many
 * times it was applied) belong to the message and are updated here, as is
 * the memory. `idempotency` is the toggle (IDEM_*).
 */
enum service_outcome service_work(struct service_memory *mem,
    int idempotency, int ci, uint32_t msgid, uint8_t *done_mask,
    uint8_t *effects);

void service_memory_free(struct service_memory *mem);

/*
 * The wait before local retry number `attempt` + 1 (attempt counts the
 * tries so far, 1 after the first failure), in microseconds, from the
 * toggles (an array indexed by toggle id); -1 when retries are off or used
 * up.
 */
int64_t service_retry_wait(const int64_t *toggles, int attempt);

#endif
