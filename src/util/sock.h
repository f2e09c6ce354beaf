/*
 * Small TCP socket helpers shared by the live engine's fault relay
 * (src/engine/live_relay.c) and the watch proxy (src/watch/watch_proxy.c):
 * both sit between an application and the broker on non-blocking sockets,
 * and end a pair abruptly with a reset.
 */
#ifndef RL_SOCK_H
#define RL_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Makes `fd` non-blocking and close-on-exec, and turns off Nagle's
 * algorithm (TCP_NODELAY) so relayed frames leave at once. Failures are
 * ignored: a socket that refuses is still usable. */
void sock_nonblock(int fd);

/* Closes `fd` with an RST instead of a FIN (SO_LINGER with a zero
 * timeout), so the peer sees the connection fail. Does nothing for a
 * negative `fd`. */
void sock_reset(int fd);

/* Resolves `host` and `port` for a TCP stream (any address family) into
 * `sa` and `len`, taking the first address; `passive` asks for a listening
 * address (a NULL host then means every interface). Returns 0, or a
 * getaddrinfo error code for gai_strerror (EAI_NONAME if nothing came
 * back); on error `sa` and `len` are unchanged. */
int sock_resolve(const char *host, int port, int passive,
    struct sockaddr_storage *sa, socklen_t *len);

/* Opens a listening TCP socket on `sa` (SO_REUSEADDR, `backlog` pending
 * connections), non-blocking and close-on-exec. Stores the port it got
 * (the one asked for, or the kernel's choice for port 0) in `*port`.
 * Returns the socket, or -1 with errno set and nothing left open. */
int sock_listen(const struct sockaddr *sa, socklen_t len, int backlog,
    int *port);

/* Opens a non-blocking TCP socket (as sock_nonblock) and starts connecting
 * it to `sa`. Returns the socket with `*connecting` 1 while the connection
 * is in progress (poll for POLLOUT, then read SO_ERROR) or 0 if it is
 * already made; or -1 with errno set and nothing left open. */
int sock_connect(const struct sockaddr *sa, socklen_t len, int *connecting);

/* Reads what fits from `fd` into the buffer `buf` of `cap` bytes whose
 * unsent bytes are buf[*start, *end): first moves them to the front when
 * the buffer is full at its end (or empties it when nothing is unsent).
 * The bytes read land at buf[*end]; the caller advances *end. Returns the
 * number read, 0 at end of file, -1 on a socket error (errno says which),
 * or -2 when nothing can be read now (the buffer is full, or the read
 * would block). */
ssize_t sock_fill(int fd, uint8_t *buf, size_t cap, size_t *start,
    size_t *end);

/* Sends up to `len` bytes of `d` on `fd` without SIGPIPE. Returns the
 * number sent (0 when the socket takes nothing now), or -1 on a socket
 * error (errno says which). */
ssize_t sock_send(int fd, const uint8_t *d, size_t len);

struct pollfd;

/*
 * Polls `fds` without sleeping until one is ready or the monotonic clock
 * (mono_seconds) reaches `until`: what poll() returned (revents set), 0 if
 * the time ran out with nothing ready, -1 on an error. For a wait known to
 * be short: falling asleep and being woken costs tens of microseconds on a
 * busy or virtual machine, more than the wait itself.
 */
int sock_poll_awake(struct pollfd *fds, size_t nfds, double until);

#endif
