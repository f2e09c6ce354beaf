/*
 * The live engine's internals, shared by its files (live.c, live_loop.c,
 * live_shadow.c, live_client.c, live_producer.c, live_admin.c,
 * live_bench.c) and by nothing else: the engine's struct, its clients and
 * the functions one file calls in another. See live.c for how it works.
 */
#ifndef RL_LIVE_INT_H
#define RL_LIVE_INT_H

#include "engine/live.h"

#include "broker/broker.h"
#include "client/client.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "engine/live_conn.h"
#include "engine/live_relay.h"
#include "engine/live_session.h"
#include "model/ledger.h"
#include "model/rng.h"
#include "model/sched.h"
#include "model/service.h"
#include "util/xmalloc.h"

#define LV_HANDSHAKE_S 5.0       /* a client handshake must end by then */
#define LV_GRACE_US 25000        /* settle: this long with no traffic */
#define LV_BUDGET 64             /* publishes per loop turn */
#define LV_PUBLISH_MAX 8192      /* room lv_encode_publish is given */
#define LV_POLL_MAX_MS 20        /* longest single poll() */
#define LV_SPIN_US 200           /* longest wait for a confirm, awake */
#define LV_BOOT_US 180000000LL   /* a restart may take this long */
#define LV_ID_HEADER "x-rabbitlab-id"
#define LV_RELAY_FDS 8           /* room for one relay's descriptors */
#define LV_QUEUE_ARGS 10         /* room for lv_queue_args (it uses 8) */
/*
 * x-expires of every queue the lab declares on a broker it did not start,
 * so the broker deletes what a lab that died (kill -9, a crash, a lost
 * machine) left there and no later start swept. RabbitMQ counts a queue
 * unused while it has no consumer and sees no basic.get and no declare;
 * the lab's depth reads are passive declares, which renew it, but the
 * screen reads nothing while it waits for a key. 24 h: a lab left open at
 * a question over a night keeps its queues, and a broker restart or a long
 * outage only restarts the count; a dead lab's queues, messages included,
 * go within a day even if its user never starts the lab again.
 */
#define LV_QUEUE_EXPIRES_MS 86400000LL
#define LV_PREFIX_DRAWS 8        /* prefixes tried before giving up */

/* ---- data ------------------------------------------------------------ */

/* What the lab knows of a real exchange beyond the model: its name. */
struct lv_exchange {
	char *rname;             /* rabbitlab.<session>.<name> */
};

/* What the lab knows of a real queue beyond the model. */
struct lv_queue {
	char *rname;             /* rabbitlab.<session>.<name> */
	int64_t real_ready;      /* last depth read from the broker, -1 none */
	int real_exists;
};

/* A command a client wrote, waiting for the relay to hand it over. */
enum lv_cmd_kind {
	CMD_OTHER, CMD_DECLARE_X, CMD_DECLARE_Q, CMD_BIND, CMD_CHANNEL_OPEN,
	CMD_CHANNEL_CLOSE, CMD_CLOSE_OK, CMD_PUBLISH, CMD_ACK, CMD_NACK,
	CMD_REJECT, CMD_CONSUME, CMD_CANCEL, CMD_CONN_CLOSE,
};

struct lv_cmd {
	uint8_t kind;
	uint8_t flags;           /* ack: requeue bits */
	uint32_t method;         /* AMQP method number, to check the relay */
	uint32_t a;              /* object index or delivery tag */
};

/* What is being read after a content-bearing method. */
enum { CONTENT_NONE, CONTENT_DELIVER, CONTENT_RETURN };

/* One AMQP client connection through its relay. */
struct lv_client {
	struct engine *e;
	int who;                 /* 0 producer, 1 + i consumer i */
	struct live_conn conn;
	struct live_relay *relay;
	struct lv_cmd *cmds;     /* written, not yet at the broker */
	size_t ncmds, cmd_cap, cmd_head;
	int content;
	int have_header;
	uint64_t body_left;
	uint64_t tag;
	int redelivered;
	int reply_code;
	amqp_channel_t chan;     /* the channel in use */
	uint32_t pair_gen;       /* bumped when a relay pair ends */
	int readable;            /* poll() saw its socket readable */
	int64_t read_at;         /* when its frames were last read */
};

/* A publish written by the producer, until the broker has it. */
struct lv_sent {
	uint32_t id, msgid, seq;
	int32_t exchange;        /* -1 missing, -2 default */
	uint32_t key;            /* as sent (unroutable keys included) */
	uint32_t headers;
	int64_t expiration;
	uint8_t persistent, mandatory;
};

/* The producer's connection: its client, relay, buffers, the broker's view. */
struct lv_producer {
	struct lv_client cl;
	int blocked;             /* connection.blocked from the broker */
	int want_write;          /* waits for room in its socket */
	int redeclare;           /* the next channel declares the topology */
	size_t room;             /* send buffer bytes known to be free */
	int unsynced;            /* published since the last channel sync */
	int syncing;             /* a basic.qos sent as a sync, no -ok yet */
	enum live_relay_mode link;
	uint32_t link_gen;
	enum loss_reason loss;   /* why publishes in flight die with the link */
	uint8_t *wbuf;           /* publishes encoded this pump turn, unsent */
	size_t wlen, wcap;
	int wrote;               /* bytes went to the socket since lv_step
				    last looked (it pokes the relay) */
	int injected;            /* publishes went to the relay in process
				    (live_relay_inject): lv_step settles it */
	uint32_t fast_skip;      /* confirms taken from the relay that the
				    client has yet to read (and skip) */
	int fast_new;            /* one was taken in this relay run */
	int64_t flushed_at;      /* when publishes last went out */
	int64_t confirm_rtt;     /* from then to the confirm that followed;
				    -1: a spin ran out (lv_spin) */
	struct lv_sent *sent;    /* written, not yet at the broker */
	size_t sent_cap, sent_head, sent_len;
	/* the broker's view of the channel */
	int bchan;               /* 0 open, 1 closing (404), 2 closed */
	int bdead;               /* the broker closed the connection (504) */
	uint32_t doomed;         /* the publish that closed the channel */
	amqp_channel_t next_chan;
};

/* A consumer's connection: its client, relay, subscription. */
struct lv_consumer {
	struct lv_client cl;
	struct broker_ring transit;  /* sent by the broker, not read by the client */
	enum live_relay_mode link;
	uint32_t link_gen;
	int requeued;            /* this connection's unacked went back */
	int cancel_ok;           /* basic.cancel-ok came for the last cancel */
	int consume_ok;          /* basic.consume-ok came for the last consume */
	char ctag[256];
	char prev_ctag[256];     /* the subscription before a re-consume */
	int prev_ack_mode;
};

enum lv_timer {
	T_LINK_HEAL,             /* a: 0 producer, 1 + i consumer i */
	T_SHARED,                /* and up: engine_timer's */
};

struct engine {
	struct engine_base base; /* first: the shadow, the applications */
	int64_t t0_ns;           /* monotonic clock at creation */
	struct live_target target;
	char prefix[64];         /* rabbitlab.<8 random hex>. (live_session.h) */
	struct live_session *record; /* the names declared, on a broker the
				    lab did not start; NULL none */
	int64_t activity_at;     /* last time a frame or byte moved */
	int settling;            /* in lv_settle: the producer syncs in the
				    turn its outbox drains (lv_step) */

	struct lv_exchange *xr;  /* real names, as b.exchanges */
	struct lv_queue *qr;     /* real names and depths, as b.queues */
	struct lv_consumer *consumers; /* as b.subs */
	size_t nconsumers;
	char **rkeys;            /* b.keys with the session prefix */
	size_t nrkeys, rkeys_cap;

	uint32_t crash_seq;      /* copies up to here went through a crash */
	struct lv_producer prod;

	/* admin connection, straight to the broker */
	amqp_connection_state_t admin;
	int admin_chan_open;
	amqp_channel_t admin_chan;
	int64_t real_at;         /* when depths were last read */
	uint64_t real_dirty;     /* events then */
	uint64_t real_ops;       /* engine calls then */
	uint64_t ops;            /* engine calls that may change depths */
	int64_t spin_us;         /* lv_spin's limit (LV_SPIN_US; 0: never) */
	struct pollfd *pfds;     /* lv_step's poll set, for poll_clients */
	size_t *relay_at;        /* per client: where its relay's fds start,
				    how many, where its own socket is */
	size_t poll_clients;
	int catch_up;            /* the consumer lv_hook_catch_up waits for */

	char *policy_set;        /* queues with a policy: 1 per queue */
};


/* live.c */
struct engine *lv_create(const struct engine_opts *opts, char **cause);
int lv_declare(struct engine *e, const struct topology *topo, char **cause);
void lv_destroy(struct engine *e);
char *lv_real(struct engine *e, const char *name);
int lv_redeclare_queue(struct engine *e, size_t qi, char **cause);
const char *lv_rkey(struct engine *e, uint32_t key);
int lv_settle(struct engine *e, int64_t max_us, char **cause);
void lv_unprefix(struct engine *e, const char *text, char *buf, size_t len);

/* live_admin.c */
int lv_admin_bind(struct engine *e, size_t i, char **cause);
int lv_admin_check(struct engine *e, const char *what, int *code,
    char **cause);
/*
 * Draws e->prefix again until none of the names topology t declares exists
 * on the broker (passive declares: 404 is free). 0, or -1 with *cause when
 * the broker could not be asked or LV_PREFIX_DRAWS prefixes were taken.
 */
int lv_admin_claim_prefix(struct engine *e, const struct topology *t,
    char **cause);
/* Deletes everything this engine declared; 0 if all of it went, else -1
 * (best effort: it goes on past a failure where it can). */
int lv_admin_cleanup(struct engine *e);
void lv_admin_close(struct engine *e);
int lv_admin_declare_exchange(struct engine *e, size_t i, char **cause);
int lv_admin_declare_queue(struct engine *e, size_t i, char **cause);
int lv_admin_depth(struct engine *e, size_t qi, uint64_t *ready, int *exists);
int lv_admin_ok(struct engine *e, char **cause);
int lv_admin_open(struct engine *e, char **cause);
/*
 * On a broker the lab did not start: opens e->record and records every
 * queue and exchange name before they are declared. Without a record (no
 * home, a read-only one) the session runs unrecorded: x-expires still
 * bounds what a crash leaves. Does nothing on the lab's own node.
 */
void lv_admin_record(struct engine *e);
/*
 * On a broker the lab did not start, once per process: deletes what this
 * user's earlier sessions, now gone, recorded there (live_session_sweep),
 * with a progress line saying what went. Best effort, never fails.
 */
void lv_admin_sweep(struct engine *e);

/* live_client.c */
/* A headers binding's arguments (x-match first); the caller frees
 * entries. An empty table for other bindings. */
amqp_table_t lv_bind_args(const struct topo_binding *b);
int lv_channel_open(struct lv_client *cl, amqp_channel_t ch);
void lv_client_drop(struct lv_client *cl, int graceful);
int lv_client_open(struct engine *e, struct lv_client *cl);
void lv_cmd_push(struct lv_client *cl, enum lv_cmd_kind kind, uint32_t method,
    uint32_t a, int flags);
void lv_consumer_connect(struct engine *e, int ci);
int lv_consumer_frame(struct engine *e, int ci, amqp_frame_t *f);
void lv_consumer_lost(struct engine *e, int ci, int code, int crash,
    const char *why);
/* basic.cancel of consumer ci's subscription (ctag); 0 or -1 (dead). */
int lv_cancel(struct engine *e, int ci);
void lv_consumer_reconsume(struct engine *e, int ci);
void lv_consumer_up(struct engine *e, int ci);
amqp_table_entry_t lv_entry_int(const char *k, int64_t v);
amqp_table_entry_t lv_entry_str(const char *k, const char *v);
int lv_producer_frame(struct engine *e, amqp_frame_t *f);
int lv_queue_args(struct engine *e, const struct broker_queue *q,
    amqp_table_entry_t *args, char **keep);
int lv_redeclare(struct engine *e, struct lv_client *cl);
void lv_requeue_unacked(struct engine *e, int ci);
int lv_send(struct lv_client *cl, enum lv_cmd_kind kind, uint32_t a,
    int flags, amqp_method_number_t id, void *decoded);
const char *lv_xtype(enum exchange_type t);

/* live_loop.c */
int lv_broker_start(struct engine *e, char **cause);
int lv_clients_down(struct engine *e);
void lv_emit(struct engine *e, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail);
int64_t lv_mono_ns(void);
int lv_node_gone(struct engine *e);
int64_t lv_now(struct engine *e);
void lv_producer_sync(struct engine *e);
int lv_quiet(struct engine *e);
int lv_run_until(struct engine *e, int (*done)(struct engine *),
    int64_t max_us);
void lv_step(struct engine *e, int64_t until_us);

/* live_producer.c */
int64_t lv_field_int(const amqp_field_value_t *v);
const amqp_field_value_t *lv_header(const amqp_basic_properties_t *p,
    const char *key);
uint32_t lv_message_id(const amqp_basic_properties_t *p, uint32_t *msgid);
uint32_t lv_parse_mid(amqp_bytes_t b, uint32_t *msgid);
void lv_producer_channel_closed(struct engine *e, const amqp_method_t *m);
void lv_producer_confirm(struct engine *e, uint64_t tag, int multiple,
    int ack);
void lv_producer_connect_failed(struct engine *e);
void lv_producer_connected(struct engine *e);
int lv_producer_hold(struct engine *e);
void lv_producer_lost(struct engine *e, int code, enum loss_reason why,
    const char *detail);
void lv_producer_pump(struct engine *e);
void lv_producer_recycle(struct engine *e);
void lv_producer_return(struct engine *e, uint32_t id, int code);
int lv_producer_settled(struct engine *e);
void lv_props_id(char *buf, size_t len, uint32_t id, uint32_t msgid);

/* live_shadow.c */
void lv_broker_down(struct engine *e);
void lv_broker_recovered(struct engine *e);
void lv_broker_started(struct engine *e);
void lv_relay_delivered(void *ctx, const char *ctag, uint64_t tag,
    int redelivered, const char *message_id, int64_t delivery_count);
struct lv_sent lv_sent_pop(struct lv_producer *p);

extern const struct client_ops lv_client_ops;
extern const struct engine_hooks lv_hooks;
extern const struct live_relay_ops lv_relay_ops;

#endif
