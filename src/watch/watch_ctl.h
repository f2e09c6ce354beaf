/*
 * The watch's control: the proxy, the tracker and the broker behind them,
 * and the failures a learner causes on the application's real traffic.
 * Both the screen's failure keys (ui/watchview.c, through the watch
 * engine) and the headless commands of `rabbitlab watch --json` (one per
 * line on stdin) act through watch_ctl_fail, so each failure is written
 * once.
 *
 * Failures on connections act in the proxy (watch_proxy.h); a crash, a
 * stop and a restart act on the private node the lab started
 * (engine/live_broker.h), and are refused with the reason on a broker the
 * lab did not start; exchange.delete and the queue depth go through an
 * admin connection (live_conn_login); full and TTL are policies on the
 * owned node (live_broker_queue_policy).
 *
 * Not thread-safe: the watch runs in one thread.
 */
#ifndef RL_WATCH_CTL_H
#define RL_WATCH_CTL_H

#include <stdint.h>
#include <stdio.h>

#include "engine/live_broker.h"
#include "watch/watch_proxy.h"
#include "watch/watch_track.h"

/* The failures: id, command word, what it does (for refusals and help). */
#define WATCH_FAILS(X)                                                         \
	X(CUT, "cut", "cut a connection (reset both ways)")                    \
	X(BLACKHOLE, "blackhole", "black-hole a connection")                   \
	X(HEAL, "heal", "end a black hole")                                    \
	X(KILL, "kill", "kill -9 the broker")                                  \
	X(STOP, "stop", "stop the broker cleanly")                             \
	X(RESTART, "restart", "start the broker again")                        \
	X(DELETE_EXCHANGE, "delete-exchange", "delete an exchange")            \
	X(FULL, "full", "cap a queue's length (policy max-length)")            \
	X(TTL, "ttl", "give a queue a message TTL (policy message-ttl)")      \
	X(CUT_CONSUMER, "cut-consumer",                                        \
	  "cut the connection of a consumer holding unacked messages")

enum watch_fail_kind {
#define WATCH_FAIL_ENUM(id, word, help) WATCH_FAIL_##id,
	WATCH_FAILS(WATCH_FAIL_ENUM)
#undef WATCH_FAIL_ENUM
	WATCH_FAIL_COUNT
};

struct watch_fail_req {
	enum watch_fail_kind kind;
	const char *target;  /* connection ("c3", "3" or its label), exchange
				or queue; NULL: the natural default (the
				first open connection, the first declared
				exchange or queue) */
	int64_t n;           /* FULL: the cap (-1: the depth now); TTL: ms;
				BLACKHOLE: ms until it heals (<= 0 never) */
};

/* One failure asked for, kept for --record. */
struct watch_ctl_asked {
	double t;                       /* tracker seconds */
	struct watch_fail_req req;      /* target owned (or NULL) */
};

struct watch_ctl {
	struct live_target target;      /* where the broker is */
	struct watch_track *t;          /* owned */
	struct watch_proxy *p;          /* owned */
	int down;                       /* the lab took the node down */
	void *admin;                    /* amqp_connection_state_t kept for
					   depths, or NULL */
	struct watch_ctl_asked *asked;  /* failures done, in order */
	size_t nasked, asked_cap;
};

/*
 * Resolves the broker (url NULL: a private node the lab starts), listens
 * on host:port and makes the tracker (emit may be NULL). Returns 0, or -1
 * with *cause (caller frees): the broker cannot be had or the port not
 * bound.
 */
int watch_ctl_open(struct watch_ctl *w, const char *url, const char *host,
    int port, watch_track_emit_fn emit, void *ctx, char **cause);
/* Ends every connection and frees all (the node is stopped at exit). */
void watch_ctl_close(struct watch_ctl *w);

/* The failure word `word` ("kill", "cut", ...), or -1. */
int watch_ctl_fail_find(const char *word);
const char *watch_ctl_fail_word(enum watch_fail_kind kind);

/*
 * Causes failure `r` now. Returns 0 with *done (caller frees) saying what
 * was done, or -1 with *cause (caller frees) saying why it was refused
 * (no such connection, a crash on a broker the lab did not start, the
 * broker already down, ...). A kill or stop waits (serving the proxy)
 * until the node is gone; a restart until it answers AMQP again.
 */
int watch_ctl_fail(struct watch_ctl *w, const struct watch_fail_req *r,
    char **done, char **cause);

/*
 * The ready messages in `queue` as the broker counts them (a passive
 * queue.declare on a kept admin connection): 0 with *ready and *exists
 * (0: no such queue), or -1 when the broker cannot be asked now.
 */
int watch_ctl_depth(struct watch_ctl *w, const char *queue, uint64_t *ready,
    int *exists);

/*
 * One headless command line (a failure word and its arguments, or
 * "conns", "ledger", "spring"), answered with one JSON object on `out`:
 * {"command":...,"done":...} or {"command":...,"refused":"why"}. An empty
 * line is ignored.
 */
void watch_ctl_command(struct watch_ctl *w, const char *line, FILE *out);

#endif
