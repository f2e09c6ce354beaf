/*
 * The class's connection to its broker, for a student's lab (publisher)
 * and the teacher's dashboard (consumer), driven from the caller's loop:
 * nothing here waits for the network (live_conn plays the handshake
 * without blocking).
 *
 * Both sides declare the same durable topology, so either may come first:
 * a durable direct exchange rabbitlab.class.<class> and a durable quorum
 * queue rabbitlab.class.<class>.dashboard bound to it with the routing key
 * "progress". A publisher's channel is in confirm mode and publishes
 * persistent, mandatory messages whose message-id is the event's id; a
 * consumer takes deliveries with manual acks and a prefetch.
 *
 * The URL may list several hosts of a cluster, amqp://u:p@h1:5672,h2/vh;
 * each (re)connection tries the next one, after a pause that doubles from
 * 0.25 s to 8 s while connections fail and is reset by a good one. Every
 * failure and recovery is told through ops->news as one sentence that
 * never holds a password.
 *
 * Call order: class_link_init, then class_link_step from the loop every
 * few tens of ms (or when class_link_fd is readable), class_link_publish
 * and class_link_ack while class_link_ready, class_link_close at the end.
 * One thread; callbacks run inside class_link_step.
 */
#ifndef RL_CLASS_LINK_H
#define RL_CLASS_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "class/class_event.h"
#include "engine/live_conn.h"

/* The class's names on the broker: prefix, class name, suffix. */
#define CLASS_PREFIX "rabbitlab.class."
#define CLASS_QUEUE_SUFFIX ".dashboard"
#define CLASS_ROUTING_KEY "progress"
#define CLASS_LEAD_SUFFIX ".lead"

/*
 * What a link does. A student publishes progress and the dashboard
 * consumes it (above). A teacher leading the class publishes transient
 * lead messages to the durable fanout exchange rabbitlab.class.<class>.lead
 * (no confirms: the lead is sent again every few seconds); a follower
 * reads them from a server-named, exclusive, auto-delete queue bound to
 * it, without acks, so a follower that goes leaves nothing behind.
 */
enum class_link_role {
	CLASS_LINK_STUDENT,
	CLASS_LINK_DASHBOARD,
	CLASS_LINK_LEADER,
	CLASS_LINK_FOLLOWER,
};

struct class_link_ops {
	/* Publisher confirm(s) up to `tag` (all <= tag if multiple);
	 * ack 0 is a basic.nack. */
	void (*confirm)(void *ctx, uint64_t tag, int multiple, int ack);
	/* A delivery (consumer): body of len bytes, borrowed for the call;
	 * over 1 if it was larger than an event may be (body cut). */
	void (*deliver)(void *ctx, uint64_t tag, const char *body, size_t len,
	    int over);
	/* A mandatory publish came back unroutable; its message-id. */
	void (*returned)(void *ctx, const char *message_id);
	/* The connection was lost: every unconfirmed publish is unknown. */
	void (*lost)(void *ctx);
	/* One sentence about the connection (up, lost and why). */
	void (*news)(void *ctx, const char *line);
};

enum class_link_phase {
	CLASS_LINK_WAIT,     /* down; the next try at retry_at */
	CLASS_LINK_CONNECT,  /* TCP and AMQP handshake */
	CLASS_LINK_SETUP,    /* channel, confirms, topology, consume */
	CLASS_LINK_READY,
};

struct class_link {
	struct live_target *hosts;    /* one per host of the URL; owned */
	size_t nhosts, at;            /* count; the one in use or next */
	char exchange[CLASS_NAME_MAX + 32];
	char queue[CLASS_NAME_MAX + 48];
	enum class_link_role role;
	int consume;                  /* dashboard or follower: reads */
	unsigned prefetch;            /* consumer: basic.qos */
	struct live_conn conn;
	enum class_link_phase phase;
	int setup;                    /* the setup step awaiting its reply */
	double setup_by;              /* monotonic s: setup must end by then */
	double retry_at, backoff;     /* monotonic s; pause before next try */
	uint64_t tag;                 /* delivery tag of the last publish */
	/* Content being read after basic.deliver (1) or basic.return (2). */
	int content;
	uint64_t dtag;
	uint64_t body_left;
	size_t body_n;
	int body_over;
	char body[CLASS_EVENT_JSON_MAX];
	char ret_id[CLASS_ID_MAX];
	const struct class_link_ops *ops;
	void *ctx;
	char label[32];               /* connection_name: "rabbitlab class" */
	/* A channel closed with 403: the user may not do what this link
	 * needs, and trying again will not change that. Why, or "". */
	char refused[400];
};

/*
 * Whether `klass` can name a class: 1 to 63 of [A-Za-z0-9_-]. When not,
 * *why says what was expected.
 */
int class_klass_ok(const char *klass, char *why, size_t why_len);

/*
 * Splits amqp://user:pass@h1:port1,h2:port2/vhost into one target per host
 * (each parsed by live_broker_parse_url). `what` names the URL's source
 * for messages. Returns 0 with *t (caller frees; wipe first: passwords)
 * and *n, or -1 with *cause (caller frees), never quoting a password.
 */
int class_link_targets(const char *url, const char *what,
    struct live_target **t, size_t *n, char **cause);

/*
 * Readies a link to class `klass` over `hosts` (taken over: freed by
 * class_link_close) for `role`. Connects at the first class_link_step.
 */
void class_link_init(struct class_link *l, struct live_target *hosts,
    size_t nhosts, const char *klass, enum class_link_role role,
    const struct class_link_ops *ops, void *ctx);

/* Moves the connection on without waiting; runs the callbacks. */
void class_link_step(struct class_link *l);

/* Whether publishes and acks can go now. */
int class_link_ready(const struct class_link *l);

/* The socket to poll for input, or -1 while there is none. */
int class_link_fd(const struct class_link *l);

/*
 * Publishes one event (persistent, mandatory, message-id `id`; a leader's:
 * transient, not mandatory, no confirm to wait for). Returns 0
 * with *tag its delivery tag, or -1 when it cannot go now (not ready, or
 * the socket has no room: try again later; a failure is told by news).
 */
int class_link_publish(struct class_link *l, const char *id,
    const char *json, size_t len, uint64_t *tag);

/* Acks (ok 1) or rejects without requeue (ok 0) delivery `tag`; 0 or -1. */
int class_link_settle(struct class_link *l, uint64_t tag, int ok);

/*
 * Drops the connection as lost (why: a sentence for news) and reconnects
 * after the usual pause, declaring the topology again.
 */
void class_link_restart(struct class_link *l, const char *why);

/* Closes the connection (connection.close) and frees what l owns. */
void class_link_close(struct class_link *l);

#endif
