/*
 * One AMQP client connection of the live engine, driven from its poll()
 * loop: nothing here waits for the network.
 *
 * rabbitmq-c 0.11's amqp_login and RPC helpers block until the reply comes.
 * The lab's clients talk through the in-process relay, which only moves
 * bytes while the loop runs, so a blocking login would wait for itself.
 * live_conn therefore connects without blocking and plays the connection
 * handshake (start/start-ok, tune/tune-ok, open/open-ok) as a state machine
 * over rabbitmq-c's frame calls, advertising the connection.blocked and
 * authentication_failure_close capabilities. After that, methods are sent
 * with live_conn_send and every incoming frame is read with
 * live_conn_next_frame; replies are matched by the caller.
 *
 * Client status codes (negative, AMQP_STATUS_*) and server replies (403,
 * 530, 320, ...) are turned into one sentence by live_conn_explain: the one
 * place an error becomes text. No text ever includes a password.
 */
#ifndef RL_LIVE_CONN_H
#define RL_LIVE_CONN_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <stddef.h>
#include <stdint.h>

#include "engine/live_broker.h"

enum live_conn_state {
	LC_DOWN,     /* no connection */
	LC_TCP,      /* connect() in progress */
	LC_START,    /* protocol header sent, waiting for connection.start */
	LC_TUNE,     /* start-ok sent, waiting for connection.tune */
	LC_OPENING,  /* connection.open sent, waiting for open-ok */
	LC_UP,       /* open: methods may be sent */
	LC_FAILED,   /* gone; see status, reply_code, reply_text */
};

struct live_conn {
	amqp_connection_state_t st;
	int fd;
	enum live_conn_state state;
	double deadline;         /* monotonic seconds: handshake must end */
	int heartbeat;           /* seconds asked for; 0 off */
	int status;              /* AMQP_STATUS_* of the failure, 0 none */
	int reply_code;          /* server's connection.close code, 0 none */
	char reply_text[256];    /* its text */
	const struct live_target *target; /* credentials, borrowed */
	char name[64];           /* connection_name client property */
};

/* Readies an unconnected connection. */
void live_conn_init(struct live_conn *c, const struct live_target *t,
    const char *name);
/*
 * Starts connecting to host:port (a relay port or the broker), to log in as
 * c->target with `heartbeat` seconds; the handshake must end within
 * `timeout_s`. Returns 0 (in progress: call live_conn_step), or -1 (failed
 * at once: state LC_FAILED).
 */
int live_conn_open(struct live_conn *c, const char *host, int port,
    int heartbeat, double timeout_s);
/*
 * Moves the handshake on without waiting. Returns 1 when the connection is
 * up, 0 while in progress, -1 when it failed (LC_FAILED).
 */
int live_conn_step(struct live_conn *c);
/*
 * The next frame that arrived, without waiting (also sends heartbeats and
 * notices a missed one). Returns 1 with *f (valid until the next call or
 * live_conn_release), 0 if none is complete, -1 when the connection died
 * (LC_FAILED; a connection.close from the server is a frame, not an error).
 */
int live_conn_next_frame(struct live_conn *c, amqp_frame_t *f);
/* Frees decoded frames once the caller is done with them. */
void live_conn_release(struct live_conn *c);
/* Sends one method; 0, or -1 (LC_FAILED). Call only when writable. */
int live_conn_send(struct live_conn *c, amqp_channel_t ch,
    amqp_method_number_t id, void *decoded);
/* Whether a send would not block now (the socket has room). */
int live_conn_writable(const struct live_conn *c);
/* Bytes the socket's send buffer can take now without blocking; 0 if
 * unknown or full. Cheaper than asking before every frame. */
size_t live_conn_room(const struct live_conn *c);
/* Whether bytes or frames wait inside rabbitmq-c (poll() would not see). */
int live_conn_pending(const struct live_conn *c);
/*
 * Whether the application has read every byte of the `sent` its peer has
 * written on this connection in all: none is in flight (loopback delivery
 * is not always done when send() returns), in the socket or in rabbitmq-c.
 * Two system calls. 0 as well when not up or unknown.
 */
int live_conn_read_all(const struct live_conn *c, uint64_t sent);
/*
 * Whether every byte written to the socket has reached the peer (TCP
 * acknowledged it: on loopback, it sits in the peer's receive queue). 0 as
 * well when not up or unknown.
 */
int live_conn_delivered(const struct live_conn *c);
/* Closes the socket at once (a crash: no connection.close). */
void live_conn_abort(struct live_conn *c);
/* Sends connection.close (best effort), then closes the socket. */
void live_conn_close(struct live_conn *c);
/* Marks the connection failed with a client status (e.g. the lab's own
 * heartbeat check) and closes the socket. */
void live_conn_fail(struct live_conn *c, int status);

/*
 * One sentence for why the connection failed or closed, e.g. "login refused
 * (403 ACCESS_REFUSED): check the user name and password". A server reply
 * is one that ended the handshake (a 530 there refused c->target's vhost,
 * which the sentence names). Never a password; at most `len` - 1 chars.
 */
void live_conn_explain(const struct live_conn *c, char *buf, size_t len);
/*
 * The same for a status and optional server reply `code` and `text` (the
 * admin connection). `t` (may be NULL) is the target the handshake was
 * for: pass it only when the reply ended a handshake, so that a 530 names
 * its vhost.
 */
void live_conn_explain_status(int status, int code, const char *text,
    const struct live_target *t, char *buf, size_t len);
/* The text of a connection.close or channel.close method, into buf. */
void live_conn_reply(const amqp_method_t *m, int *code, char *buf,
    size_t len);

#define LIVE_CONN_RPC_S 10 /* an administrative RPC's bound, in seconds */

/*
 * A blocking connection to t (handshake bounded at 3 s, each RPC at
 * LIVE_CONN_RPC_S)
 * logged in as t's user, for administrative calls (declare, delete,
 * depth) where waiting is fine. Returns it (the caller closes and
 * destroys it), or NULL with *cause (caller frees; cause may be NULL)
 * naming the broker by t->display and saying why.
 */
amqp_connection_state_t live_conn_login(const struct live_target *t,
    char **cause);

#endif
