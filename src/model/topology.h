/*
 * Topology: the exchanges, queues, bindings and consumers a scenario declares.
 * Plain data shared by the script loader and the engines, and the two
 * routing rules both engines apply to it; nothing here acts.
 */
#ifndef RL_TOPOLOGY_H
#define RL_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>

enum exchange_type {
	XTYPE_DIRECT,
	XTYPE_FANOUT,
	XTYPE_TOPIC,
	XTYPE_HEADERS,
	XTYPE_DELAYED, /* x-delayed-message: simulated only (no plugin in Debian) */
	XTYPE_COUNT
};

enum queue_overflow { OVERFLOW_DROP_HEAD, OVERFLOW_REJECT_PUBLISH };

/* What a queue is for; decides how the ledger names a message parked in it. */
enum queue_role {
	QROLE_WORK,  /* ordinary queue */
	QROLE_DEAD,  /* dead-letter queue: messages here are "dead-lettered" */
	QROLE_ERROR, /* error queue fed by a republishing recoverer */
	QROLE_DELAY, /* TTL queue of a delay pattern: messages are in flight */
};

struct topo_kv {
	char *key;
	char *value;
};

struct topo_exchange {
	char *name;
	enum exchange_type type;
	enum exchange_type delayed_type; /* XTYPE_DELAYED: how it routes */
	int durable;                     /* -1: follow the toggle */
	int line;                        /* script line, 0 if none */
};

struct topo_queue {
	char *name;
	int type;               /* QTYPE_*, or -1: follow the toggle */
	int durable;            /* -1: follow the toggle */
	int64_t ttl_ms;         /* x-message-ttl, -1 none */
	char *dlx;              /* x-dead-letter-exchange, NULL none ("" default) */
	char *dlrk;             /* x-dead-letter-routing-key, NULL keep original */
	int64_t max_length;     /* x-max-length, -1 none */
	enum queue_overflow overflow;
	int64_t delivery_limit; /* x-delivery-limit (quorum), -1 none */
	enum queue_role role;
	int line;
};

struct topo_binding {
	char *exchange;
	char *queue;
	char *key;                /* routing or binding key; "" if none */
	struct topo_kv *args;     /* headers exchange: match arguments */
	size_t nargs;
	int match_all;            /* headers: x-match all (1) or any (0) */
	int line;
};

struct topo_consumer {
	char *name;
	char *queue;
	/* What its work does to the business, as the screen's event log
	 * words it in English and Chinese; NULL: an order marked paid. */
	char *effect_en, *effect_zh;
	int line;
};

struct topology {
	struct topo_exchange *exchanges;
	size_t nexchanges;
	struct topo_queue *queues;
	size_t nqueues;
	struct topo_binding *bindings;
	size_t nbindings;
	struct topo_consumer *consumers;
	size_t nconsumers;
	char *publish_exchange;  /* where "publish" goes by default; "" default */
	char *publish_key;       /* its default routing key */
	char *error_exchange;    /* republish recoverer target, NULL none */
	char *error_key;         /* routing key for it */
};

/* Names for enum values, and back (-1 if unknown). */
const char *topology_exchange_type_name(enum exchange_type type);
int topology_exchange_type_find(const char *name);

/* Deep copy; the caller frees the copy with topology_free. */
struct topology *topology_copy(const struct topology *src);
/* Frees everything the topology owns and the topology itself; NULL is fine. */
void topology_free(struct topology *topo);
/* Frees what `topo` owns, not `topo` itself, and zeroes it. */
void topology_clear(struct topology *topo);
/* Appends a binding of `queue` to `exchange` with `key` (NULL: ""), all
 * copied, no header arguments; returns it (valid until the next append). */
struct topo_binding *topology_add_binding(struct topology *t,
    const char *exchange, const char *queue, const char *key);
/* Appends header argument key=value (both copied) to binding b. */
void topology_binding_arg(struct topo_binding *b, const char *key,
    const char *value);
/* Appends an exchange (a delayed one routes as direct) or a consumer of
 * `queue`, names copied; returns it (valid until the next append). */
struct topo_exchange *topology_add_exchange(struct topology *t,
    const char *name, enum exchange_type type, int durable);
struct topo_consumer *topology_add_consumer(struct topology *t,
    const char *name, const char *queue);
/* Frees what consumer `c` owns and sets its pointers to NULL. */
void topology_consumer_clear(struct topo_consumer *c);
/* Zeroed queue spec with every optional value "none". */
void topology_queue_init(struct topo_queue *q);

/*
 * Whether routing key `key` matches topic binding key `pat`: words are
 * separated by '.', '*' is exactly one word, '#' zero or more.
 */
int topology_topic_match(const char *pat, const char *key);

/*
 * Whether a message with headers h[0..n) matches headers binding `b`:
 * every argument (x-match all) or at least one (any), key and value equal.
 */
int topology_headers_match(const struct topo_binding *b,
    const struct topo_kv *h, size_t n);

#endif
