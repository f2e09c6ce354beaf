/*
 * The watch decoder: follows one proxied AMQP 0-9-1 connection, both
 * directions, frame by frame, for observation only (it never changes a
 * byte), and tells the tracker (watch_track.h) what each frame means for
 * the messages.
 *
 * Method and content-header frames are decoded by rabbitmq-c
 * (amqp_decode_method, amqp_decode_properties); body frames are only
 * hashed. Per channel it follows confirm.select and the publish sequence
 * numbers, the broker's confirms (multiple included), basic.return,
 * consumers (tag to queue, from basic.consume and consume-ok), deliveries
 * (basic.deliver, basic.get-ok) and their settlement by the consumer
 * (ack, nack, reject; multiple, requeue), and channel.close and
 * connection.close with their codes; per connection the client's
 * connection_name; and the topology the application declares (exchanges,
 * queues and bindings with their arguments; a queue's
 * x-dead-letter-exchange goes to the tracker).
 *
 * Every method frame becomes one event (a frame with no kind of its own
 * becomes EV_FRAME, its name and arguments in the detail), as does every
 * heartbeat; a message's content header and body frames are folded into
 * its method's event.
 *
 * Not followed: transactions (tx.select: publishes then count when read,
 * not when committed), and what the broker decides inside (routing,
 * expiry, dead-lettering by policy, length limits), which is not on the
 * wire.
 */
#ifndef RL_WATCH_DECODE_H
#define RL_WATCH_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/live_frame.h"
#include "watch/watch_track.h"

struct watch_decode;

/*
 * A new connection numbered `id`, from `peer` (text, copied), reporting to
 * `t` (borrowed for the connection's life). Never NULL.
 */
struct watch_decode *watch_decode_new(struct watch_track *t, unsigned id,
    const char *peer);
/* Frees it; reports nothing (call watch_decode_end first). */
void watch_decode_free(struct watch_decode *c);

/*
 * One complete frame from the client (`upstream` 1) or the broker (0), as
 * the splitter leaves it: its payload must have been captured whole
 * (method and header frames; cap_max at least the frame limit). Returns
 * 0, or -1 with a sentence in err (e.g. "client sent basic.publish whose
 * arguments do not decode: ...") when the frame is not valid AMQP 0-9-1:
 * the caller then ends the connection.
 */
int watch_decode_frame(struct watch_decode *c, int upstream,
    const struct live_frame *f, char *err, size_t errlen);
/* Payload octets of a body frame on `channel`, as they arrive. */
void watch_decode_body(struct watch_decode *c, int upstream, uint16_t channel,
    const uint8_t *d, size_t n);
/* Deliveries from `queue` its consumers hold unsettled now. */
size_t watch_decode_unacked(const struct watch_decode *c, const char *queue);
/* How a heartbeat's EV_FRAME detail ends ("c3: heartbeat"). */
#define WATCH_DECODE_HEARTBEAT ": heartbeat"

/* Whether a publish on a confirm channel still waits for its confirm. */
int watch_decode_awaiting(const struct watch_decode *c);
/*
 * The frame-max that connection.tune-ok carried, once it went by (then
 * *tuned is 1; before, 0 and the return is 0).
 */
uint32_t watch_decode_frame_max(const struct watch_decode *c, int *tuned);
/* Whether connection.close-ok went by (either way): the AMQP connection
 * is over, and a socket reset after it is no fault. */
int watch_decode_closed(const struct watch_decode *c);
/*
 * The connection ended (`why`: "" for a clean close, or a sentence): its
 * unacked deliveries go back to their queues, its unconfirmed publishes
 * lose their confirms, and an event says how it ended.
 */
void watch_decode_end(struct watch_decode *c, const char *why);

#endif
