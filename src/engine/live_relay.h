/*
 * The fault relay: a loopback TCP listener between one lab client (the
 * producer, or one consumer) and the broker, run from the live engine's
 * poll() loop, with no threads.
 *
 * The client connects to 127.0.0.1:live_relay_port(); the relay connects to
 * the broker and copies bytes both ways. It reads the AMQP frame structure
 * of both streams (never the contents), which gives it two things the lab
 * needs: it can tell the engine the moment each client command (a method
 * frame, with its header and body frames for basic.publish) has been written
 * to the broker, and it can stop a stream at a frame boundary.
 *
 * Faults: CUT resets both TCP connections (RST) and refuses new ones until
 * the mode is OK again; HOLE stops forwarding in both directions (the data
 * waits in the buffers, as it would in a network that drops packets) and
 * refuses new connections. When a hole opens, the relay hands the client
 * one heartbeat frame at the last frame boundary, so the client's
 * 2 x heartbeat deadline starts with the hole.
 *
 * One relay serves one client connection at a time; a reconnecting client
 * gets a fresh pair.
 */
#ifndef RL_LIVE_RELAY_H
#define RL_LIVE_RELAY_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

enum live_relay_mode { RELAY_OK, RELAY_CUT, RELAY_HOLE };

/* Why a pair ended, as live_relay_ops.closed reports it. */
enum live_relay_end {
	RELAY_END_CLIENT,       /* the client closed; its data reached the broker */
	RELAY_END_BROKER,       /* the broker closed or reset its side */
	RELAY_END_CUT,          /* the lab cut the link (RST both ways) */
	RELAY_END_DROPPED,      /* live_relay_drop: the client gave up */
	RELAY_END_UNREACHABLE,  /* the broker refused the relay's connection */
};

struct live_relay_ops {
	/*
	 * A client command reached the broker: method `cls`.`meth`; for
	 * basic.publish, once its last body frame is written. Called from
	 * live_relay_run, in stream order.
	 */
	void (*command)(void *ctx, uint16_t cls, uint16_t meth);
	/* The current pair ended; commands not yet reported never arrived. */
	void (*closed)(void *ctx, enum live_relay_end why);
	/*
	 * The broker sent a basic.deliver (its content header read): the
	 * consumer tag, delivery tag and redelivered flag of the method, and
	 * from the properties the message-id ("" if none) and the
	 * x-delivery-count header (-1 if none). Strings are borrowed.
	 */
	void (*delivered)(void *ctx, const char *ctag, uint64_t tag,
	    int redelivered, const char *message_id, int64_t delivery_count);
	/*
	 * Optional. The broker sent a publisher confirm (basic.ack when `ack`,
	 * else basic.nack) that the relay is about to write to the client.
	 * Offered only while the link is OK, for the confirms that lead one
	 * small read from the broker (heartbeats aside) when everything read
	 * before it has been written to the client: `written` bytes in all
	 * since the pair began. In stream order. Returns 1 if the client took
	 * it now (it must then skip the frame when it reads it), 0 to let it
	 * go the usual way; after a 0 nothing more of that read is offered.
	 */
	int (*confirm)(void *ctx, uint16_t channel, int ack, uint64_t tag,
	    int multiple, uint64_t written);
	/*
	 * Optional. Called from live_relay_run after a confirm was taken, before
	 * the relay writes what it read to the client: the client may write
	 * (live_relay_inject) but must not call live_relay_run or
	 * live_relay_flush.
	 */
	void (*read_done)(void *ctx);
};

struct live_relay;

/*
 * A relay to the broker at host:port (resolved now). Returns NULL with
 * *cause (caller frees) if the name does not resolve or no loopback port is
 * free. `ops` and `ctx` are borrowed for the relay's life.
 */
struct live_relay *live_relay_new(const char *host, int port,
    const struct live_relay_ops *ops, void *ctx, char **cause);
/* Closes everything; reports nothing. */
void live_relay_free(struct live_relay *r);
/* The loopback port clients connect to; it may change after a fault. */
int live_relay_port(const struct live_relay *r);
void live_relay_set_mode(struct live_relay *r, enum live_relay_mode mode);
enum live_relay_mode live_relay_mode(const struct live_relay *r);
/*
 * Forwards what the current pair holds and waits, at most `max_ms`, for it
 * to end (after its client closed): the broker then has every byte the
 * client wrote before it went.
 */
void live_relay_flush(struct live_relay *r, int max_ms);
/* Resets the current pair, if any (the client abandoned its connection). */
void live_relay_drop(struct live_relay *r);
/* Whether a pair is up (a client connected through it). */
int live_relay_connected(const struct live_relay *r);
/* Whether bytes wait in its buffers to be forwarded (held ones excluded). */
int live_relay_busy(const struct live_relay *r);

/*
 * Adds the relay's descriptors to fds (at most `max`) and returns how many;
 * pass the same entries to live_relay_run after poll().
 */
size_t live_relay_fds(struct live_relay *r, struct pollfd *fds, size_t max);
/*
 * The client has just written: reads what its socket holds and forwards
 * it, without waiting for poll() to report it (on loopback the bytes are
 * there when send() returns; if not, poll() finds them later). Nothing
 * happens while the link is not OK, as in live_relay_run.
 */
void live_relay_poke(struct live_relay *r);
/*
 * Bytes written to the client since its pair began: when it grows, the
 * client has something to read without asking poll().
 */
uint64_t live_relay_to_client(const struct live_relay *r);
/* Accepts, connects and forwards whatever poll() reported ready. */
void live_relay_run(struct live_relay *r, const struct pollfd *fds,
    size_t n);

/*
 * The client's bytes `d`, handed over in process instead of through its
 * socket (the socket's unread bytes go first): parsed and written to the
 * broker at once. Reports nothing; live_relay_settle does, later, outside
 * the caller's own code. Returns 0, or -1 when the relay cannot take them
 * now (link not OK, pair ending, buffer full): the client then writes them
 * to its socket, and the relay treats them as it always does.
 */
int live_relay_inject(struct live_relay *r, const void *d, size_t n);
/* Moves what waits and reports what reached the broker (after inject). */
void live_relay_settle(struct live_relay *r);
#endif
