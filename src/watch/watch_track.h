/*
 * The watch tracker: what the wire says about messages, turned into the
 * lab's events (model/event.h) and fed to the ledger (model/ledger.h), so
 * that an application the lab did not write gets the same fates as a
 * lesson: processed once, duplicated, dead-lettered, lost and why.
 *
 * The decoder (watch_decode.h) calls it with what each frame means; the
 * tracker owns the ledger, the index that matches a delivery to a publish,
 * what it learnt of the queues (their declared arguments), and the clock.
 *
 * Matching a delivered (or returned) message to the published one: by its
 * message-id property when the publisher set one, else by a digest of its
 * routing key and body, the oldest candidate first (FIFO among equal
 * digests). Where this can be wrong: two publishes with the same routing
 * key and body are told apart only by order, and a consumer that reads
 * several queues may take them in another order; a dead-letter routing key
 * (x-dead-letter-routing-key) changes the routing key and so the digest,
 * and such a delivery is not matched; a message published before the lab
 * started, or by a client that does not go through it, is not matched
 * either (it gets a ledger entry of its own, marked so); a fanout to
 * several queues delivers one publish several times, each matched to it.
 *
 * Not thread-safe; the watch runs in one thread.
 */
#ifndef RL_WATCH_TRACK_H
#define RL_WATCH_TRACK_H

#include <stdint.h>
#include <stdio.h>

#include "model/event.h"
#include "model/ledger.h"
#include "watch/watch_seen.h"

struct watch_track;

/* Called with every event, after the ledger has taken it. The strings in
 * it are borrowed for the call. */
typedef void (*watch_track_emit_fn)(void *ctx, const struct event *ev);

/* A tracker with an empty ledger (not strict: the wire is read, not
 * known); never NULL. `emit` may be NULL. */
struct watch_track *watch_track_new(watch_track_emit_fn emit, void *ctx);
void watch_track_free(struct watch_track *t);
const struct ledger *watch_track_ledger(const struct watch_track *t);
/* Sends every later event to `emit` (may be NULL) instead. */
void watch_track_set_emit(struct watch_track *t, watch_track_emit_fn emit,
    void *ctx);
/* What the application showed of itself (the decoder fills it). Owned by
 * the tracker. */
struct watch_seen *watch_track_seen(struct watch_track *t);
/* What the tracker keeps of message `id` (1 to watch_track_last). */
struct watch_track_msg {
	const char *exchange, *routing_key; /* as first published; borrowed */
	int persistent;                     /* its last publish's mode */
	int published;                      /* 0: delivered, never published
					       through the lab */
	int64_t published_at;               /* us on the events' clock, -1 */
};
uint32_t watch_track_last(const struct watch_track *t);
/* Fills *out; 0, or -1 for an id the tracker never gave. */
int watch_track_message(const struct watch_track *t, uint32_t id,
    struct watch_track_msg *out);
/* Seconds since the tracker was made: the events' clock. */
double watch_track_now(const struct watch_track *t);

/* What identifies a message's content: its message-id ("" if none) and
 * the digest of routing key and body (watch_track_digest_*). */
struct watch_track_key {
	const char *message_id;
	uint64_t digest;
};

/* The digest: start, add bytes (the routing key, then the body), done. */
uint64_t watch_track_digest_start(const char *routing_key);
uint64_t watch_track_digest_add(uint64_t h, const void *d, size_t n);

/*
 * Emits one event (ledger first, then `emit`), stamped with the time since
 * the tracker was made. `detail` and `where` may be NULL.
 */
void watch_track_emit(struct watch_track *t, enum event_kind kind,
    enum event_actor actor, uint32_t msg, int code, int flag,
    const char *where, const char *detail);
/* A loss or a discard of message `msg`: EV_LOST when the ledger counts
 * no other live copy of it, EV_DISCARD otherwise. */
void watch_track_drop(struct watch_track *t, uint32_t msg,
    enum loss_reason why, enum loss_notice notice, const char *where,
    const char *detail);

/*
 * A basic.publish went by with its content: the message's ledger id, a
 * new one, or, when its message-id was published before, that message's
 * (a resend). Emits EV_PUBLISH (flags EVENT_PUB_*; RESEND is added for a
 * resend). `exchange` and `routing_key` are copied.
 */
uint32_t watch_track_publish(struct watch_track *t,
    const struct watch_track_key *k, const char *exchange,
    const char *routing_key, int flags, const char *detail);

/*
 * The published message a delivery carries: `redelivered` prefers one
 * that was put back in a queue, otherwise one never delivered yet; 0 if
 * none matches (the caller then uses watch_track_stranger).
 */
uint32_t watch_track_match(struct watch_track *t,
    const struct watch_track_key *k, int redelivered);
/* A new ledger id for a message the lab never saw published. */
uint32_t watch_track_stranger(struct watch_track *t);

/*
 * A consumer acked `msg` from `queue`: emits the effect the ledger counts
 * (EV_WORK_DONE, flagged a duplicate when the same queue's consumers had
 * acked it before) and, unless `autoack`, the EV_ACK frame.
 */
void watch_track_acked(struct watch_track *t, uint32_t msg,
    const char *queue, int autoack, const char *detail);

/* Queue `queue` was declared with x-dead-letter-exchange `dlx` ("" none):
 * remembered for the rejects from it. Copies both. */
void watch_track_queue_dlx(struct watch_track *t, const char *queue,
    const char *dlx);
/* The dead-letter exchange declared for `queue`: "" declared without one,
 * NULL never seen declared. Borrowed. */
const char *watch_track_dlx(const struct watch_track *t, const char *queue);

/*
 * The fate of every message, one line each (text) or one JSON object
 * each, then the ledger's summary; a fate the wire cannot settle says
 * what the broker may have done that the lab cannot see.
 */
void watch_track_print_fates(struct watch_track *t, FILE *out, int json);

/*
 * The broker went down (clean: a stop, else a kill -9): every message
 * still in flight that a queue it was routed to (by the declared
 * topology) does not keep over a restart is lost (LOSS_BROKER_CRASH,
 * the producer not told; the detail says whether it was a stop). A queue keeps a message
 * when it is durable and the message persistent, or it is a quorum
 * queue. A message whose route the lab does not know stays in flight.
 * Call it after the connections' ends were reported (their unacked
 * deliveries are back in their queues then).
 */
void watch_track_broker_down(struct watch_track *t, int clean);

#endif
