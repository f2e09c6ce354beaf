/*
 * The watch proxy: an AMQP 0-9-1 proxy between the applications the lab
 * watches and a real broker, run from one poll() loop with no threads.
 *
 * Each client that connects to the listener gets its own connection to
 * the broker; the bytes pass both ways unchanged (heartbeats,
 * connection.blocked, and the frame_max and channel_max the two ends
 * negotiate included), while each direction is cut into frames by the
 * shared splitter (engine/live_frame.h) and each frame handed to the
 * connection's decoder (watch_decode.h) for observation.
 *
 * Bad input ends that connection pair, never the lab: a client that does
 * not open with the AMQP protocol header, a frame the splitter refuses, a
 * method or content header that does not decode. Both sockets are reset,
 * nothing of the offending frame is forwarded, and a sentence naming the
 * connection and the fault goes to stderr and into the event stream
 * (EV_CONN_LOST).
 */
#ifndef RL_WATCH_PROXY_H
#define RL_WATCH_PROXY_H

#include <stdint.h>

#include "watch/watch_track.h"

struct watch_proxy;

/*
 * Listens on listen_host:listen_port (port 0: any free one) and will
 * connect each client to broker_host:broker_port. `t` is borrowed for the
 * proxy's life. Returns NULL with *cause (caller frees) when an address
 * does not resolve or the port cannot be bound.
 */
struct watch_proxy *watch_proxy_new(const char *listen_host, int listen_port,
    const char *broker_host, int broker_port, struct watch_track *t,
    char **cause);
/* Ends every connection (reported as ended by the lab) and frees all. */
void watch_proxy_free(struct watch_proxy *p);
/*
 * Says nothing on stderr from now on (a screen owns the terminal): what
 * ends a connection still reaches the tracker's events.
 */
void watch_proxy_quiet(struct watch_proxy *p);
/* The port it listens on. */
int watch_proxy_port(const struct watch_proxy *p);
/* Connections open now. */
size_t watch_proxy_count(const struct watch_proxy *p);
/*
 * Waits up to timeout_ms for something to do, then accepts, forwards and
 * decodes whatever is ready. Returns 0, or -1 when poll() failed for
 * another reason than a signal.
 */
int watch_proxy_step(struct watch_proxy *p, int timeout_ms);

/*
 * Failures on connection c<id>: watch_proxy_cut resets both of its
 * sockets (the client reads a connection reset, the broker a lost
 * client); watch_proxy_hole stops (on 1) or resumes (on 0) every byte
 * both ways, the data waiting in the buffers, healing by itself after
 * `ms` (<= 0: only when told). Each returns 0, or -1 with *cause (caller
 * frees) when no such connection is open.
 */
int watch_proxy_cut(struct watch_proxy *p, unsigned id, char **cause);
int watch_proxy_hole(struct watch_proxy *p, unsigned id, int on, int64_t ms,
    char **cause);
/* Deliveries from `queue` held unsettled on every open connection. */
size_t watch_proxy_unacked(const struct watch_proxy *p, const char *queue);
/* Whether c<id> is black-holed now. */
int watch_proxy_holed(const struct watch_proxy *p, unsigned id);

/*
 * The parsing of one connection pair alone, without sockets, for the
 * fuzzer: the same header check, splitters and decoder as a proxied pair.
 * watch_proxy_scan_feed gives `n` bytes to one direction (`upstream` 1:
 * from the client) as if just read; each direction continues its stream.
 * Returns 0, or -1 once the pair would have been closed: then
 * watch_proxy_scan_error says why (never "") and every later call returns
 * -1. watch_proxy_scan_awaiting says whether the client waits for a
 * confirm, which decides a proxied pair's wait awake (watch_proxy.c).
 * watch_proxy_scan_free ends the connection (reporting it) and frees all.
 */
struct watch_proxy_scan;
struct watch_proxy_scan *watch_proxy_scan_new(struct watch_track *t);
int watch_proxy_scan_feed(struct watch_proxy_scan *s, int upstream,
    const void *d, size_t n);
const char *watch_proxy_scan_error(const struct watch_proxy_scan *s);
int watch_proxy_scan_awaiting(const struct watch_proxy_scan *s);
void watch_proxy_scan_free(struct watch_proxy_scan *s);

#endif
