/*
 * What the watched application showed of itself on the wire: the
 * topology it declared (exchanges, queues with their arguments, bindings,
 * and one consumer per connection and queue it consumes), its connections
 * (named from the client property connection_name, else the client's
 * product and the connection's number), and the settings its frames
 * reveal (confirm.select, mandatory, delivery mode, ack mode, prefetch).
 *
 * The decoder (watch_decode.h) feeds it through the tracker, which owns
 * it (watch_track_seen). The screen draws the topology as the lab's
 * panes, `e` turns the settings into Spring properties, and --record
 * writes the topology as a lesson's. Lists only grow, in the order first
 * seen, so an index into the topology's queues stays the same queue.
 * Not thread-safe.
 */
#ifndef RL_WATCH_SEEN_H
#define RL_WATCH_SEEN_H

#include <amqp.h>
#include <stddef.h>
#include <stdint.h>

#include "model/toggle.h"
#include "model/topology.h"

/* One connection the application opened. */
struct watch_seen_conn {
	unsigned id;           /* the proxy's connection number (c<id>) */
	char label[96];        /* connection_name, or "<product> #<id>" */
	int open;              /* not ended yet */
	uint64_t published;    /* basic.publish frames it sent */
	int consumes;          /* it sent a basic.consume or basic.get */
};

/* The settings read from the frames, each with whether it was seen. */
struct watch_seen_app {
	int confirms, confirms_seen;    /* confirm.select on a publishing
					   channel */
	int mandatory, mandatory_seen;  /* the last publish's flag */
	int persistent, persistent_seen; /* delivery mode 2 on the last one */
	int no_ack, ack_seen;           /* the last basic.consume's no-ack */
	int prefetch, prefetch_seen;    /* the last basic.qos prefetch-count */
	int requeue_seen;               /* a nack or reject with requeue */
	int reject_seen;                /* a nack or reject without requeue */
};

struct watch_seen {
	struct topology topo;           /* consumers named "<label> <queue>" */
	struct watch_seen_conn *conns;
	size_t nconns, conns_cap;
	struct watch_seen_app app;
	uint64_t autoack_broken;        /* delivered with auto-ack on
					   connections that then broke: those
					   still in the application's buffer
					   were lost, which the wire does not
					   show */
	unsigned version;               /* bumped by every change to topo */
};

void watch_seen_init(struct watch_seen *s);
void watch_seen_free(struct watch_seen *s);

/* A connection began (id, the peer's address) / said who it is
 * (connection_name and product may be ""; copied) / ended. */
void watch_seen_conn_open(struct watch_seen *s, unsigned id);
void watch_seen_conn_named(struct watch_seen *s, unsigned id,
    const char *name, const char *product);
void watch_seen_conn_end(struct watch_seen *s, unsigned id);
/* The connection numbered id, or NULL. Borrowed. */
struct watch_seen_conn *watch_seen_conn(struct watch_seen *s, unsigned id);

/* Declarations (passive ones are not declarations and are not passed). */
void watch_seen_exchange(struct watch_seen *s, const char *name,
    const char *type, int durable);
void watch_seen_queue(struct watch_seen *s, const char *name, int durable,
    const amqp_table_t *args);
void watch_seen_bind(struct watch_seen *s, const char *queue,
    const char *exchange, const char *key);
/* Connection `id` consumes from `queue` (no_ack: automatic ack). */
void watch_seen_consume(struct watch_seen *s, unsigned id, const char *queue,
    int no_ack);
/* Connection `id` published (flags as the frames had them; `confirm`:
 * on a channel in confirm mode). */
void watch_seen_publish(struct watch_seen *s, unsigned id, const char *exchange,
    const char *key, int mandatory, int persistent, int confirm);

/*
 * The lab's toggles as the application's frames set them, from the
 * defaults `v` (toggle_defaults) for what was not seen: confirms (async:
 * a confirm.select says confirms are on, not how the app waits for
 * them), mandatory, persistent, the durability of the first queue and
 * exchange declared, ack mode (none for automatic ack; auto otherwise,
 * Spring's default: the wire cannot tell auto from manual), prefetch.
 */
void watch_seen_toggles(const struct watch_seen *s, int64_t v[TOGGLE_COUNT]);

#endif
