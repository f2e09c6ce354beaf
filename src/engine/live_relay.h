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
 *
 * Malformed frames: a frame from either side whose type AMQP 0-9-1 does not
 * define, that is larger than frame_max (the one connection.tune-ok
 * negotiated, 128 KiB before it; see live_relay.c for the edge cases), or
 * whose last octet is not 0xCE ends the pair at once: both sockets are
 * reset, nothing of that frame or after it is forwarded, and the pair ends
 * with RELAY_END_MALFORMED. live_relay_error then names the side and what
 * was wrong. A broker that answers the client's protocol header with its own
 * (it refuses the version) is not malformed: that header reaches the client.
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
	RELAY_END_MALFORMED,    /* a side sent a malformed frame: the relay
				   reset both (see live_relay_error) */
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

/*
 * Why the relay ended the last pair itself (RELAY_END_MALFORMED): one
 * sentence that names the side and the fault, e.g. "broker sent a frame of
 * 4294967303 bytes, over frame_max 131072" (sizes count the whole frame, as
 * frame_max does) or "client sent a frame that ends in 0x00, not 0xCE".
 * "" when the last pair ended for another reason, or a new one is up.
 * Borrowed until the next call into the relay.
 */
const char *live_relay_error(const struct live_relay *r);

/*
 * The frame parser alone, without sockets, for tests and the fuzzer. Feeds
 * `n` bytes to the parser of one direction (`upstream` 1: client to broker,
 * 0: broker to client) as if they had just been read from that side and
 * written to the other at once. Each direction continues the stream of the
 * earlier calls; both start as a new pair's do (the client's with its
 * protocol header). Commands and deliveries are reported through the ops
 * as on the socket path, from inside this call; no confirm is offered (no
 * client reads). Returns 0, or -1 when a frame is malformed: the bytes
 * after its header are not read, live_relay_error says why, and every later
 * call returns -1 without reading until live_relay_scan_reset. Commands
 * completed before the malformed frame are reported (they were "written").
 * Only for a relay with no pair up (a fresh one from live_relay_new, whose
 * listener nobody connects to); it never touches a socket.
 */
int live_relay_scan(struct live_relay *r, int upstream, const void *d,
    size_t n);
/* Starts both streams of live_relay_scan afresh and clears the error. */
void live_relay_scan_reset(struct live_relay *r);
#endif
