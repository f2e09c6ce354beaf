/*
 * The trade service behind the consumers: what it remembers and how it
 * reacts, the same on both engines. Each consumer is its own instance of
 * the service, with its own processed-id store (message-ids it handled)
 * and its own business state (orders it marked paid), kept apart for any
 * number of consumers.
 */
#ifndef RL_SERVICE_H
#define RL_SERVICE_H

#include <stddef.h>
#include <stdint.h>

/* One instance's memory: a bit per message-id seen, a bit per order paid. */
struct service_store {
	uint8_t *seen;          /* by AMQP message-id */
	size_t seen_cap;        /* bytes */
	uint8_t *paid;          /* by ledger id (the order) */
	size_t paid_cap;        /* bytes */
};

/* The stores of every consumer. */
struct service_memory {
	struct service_store *stores;
	size_t nstores;
};

enum service_outcome {
	SERVICE_DONE,          /* the work was done (the first time) */
	SERVICE_DONE_AGAIN,    /* done again: this consumer had done it before */
	SERVICE_SKIP_MSGID,    /* skipped: its message-id was seen before */
	SERVICE_SKIP_BUSINESS, /* skipped: the order is already paid */
};

/* Memory for `n` consumers (at least one), all empty. */
void service_memory_init(struct service_memory *mem, size_t n);
void service_memory_free(struct service_memory *mem);

/*
 * Consumer `ci` finished its work on order `id` carried by message-id
 * `msgid`; `effects` (how many times the order's effect was applied in
 * all) belongs to the message and is updated here, as is consumer ci's
 * memory. `idempotency` is the toggle (IDEM_*).
 */
enum service_outcome service_work(struct service_memory *mem,
    int idempotency, int ci, uint32_t msgid, uint32_t id, uint8_t *effects);

/* Whether consumer ci's business state shows order `id` paid. */
int service_paid(const struct service_memory *mem, int ci, uint32_t id);
/* Marks order `id` paid in consumer ci's business state (reconciliation). */
void service_mark_paid(struct service_memory *mem, int ci, uint32_t id);

/*
 * The wait before local retry number `attempt` + 1 (attempt counts the
 * tries so far, 1 after the first failure), in microseconds, from the
 * toggles (an array indexed by toggle id); -1 when retries are off or used
 * up. The wait grows by the multiplier up to retry_max_ms and stays there,
 * however many attempts are allowed.
 */
int64_t service_retry_wait(const int64_t *toggles, int attempt);

#endif
