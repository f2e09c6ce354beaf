/*
 * TCP socket helpers (see sock.h): the few steps the fault relay and the
 * watch proxy both take with their sockets, written once.
 */
#include "util/sock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/mono.h"

/* Non-blocking and close-on-exec, without touching Nagle. */
static void
sock_flags(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

void
sock_nonblock(int fd)
{
	int one = 1;

	sock_flags(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void
sock_reset(int fd)
{
	struct linger lg = { 1, 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

int
sock_resolve(const char *host, int port, int passive,
    struct sockaddr_storage *sa, socklen_t *len)
{
	struct addrinfo hints, *res = NULL;
	char sport[16];
	int rc;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (passive)
		hints.ai_flags = AI_PASSIVE;
	snprintf(sport, sizeof sport, "%d", port);
	rc = getaddrinfo(host, sport, &hints, &res);
	if (rc != 0 || res == NULL) {
		if (res != NULL)
			freeaddrinfo(res);
		return rc != 0 ? rc : EAI_NONAME;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
sock_listen(const struct sockaddr *sa, socklen_t len, int backlog,
    int *port)
{
	struct sockaddr_storage got;
	socklen_t gl = sizeof got;
	int one = 1, err, fd = socket(sa->sa_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, sa, len) != 0 || listen(fd, backlog) != 0 ||
	    getsockname(fd, (struct sockaddr *)&got, &gl) != 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	sock_flags(fd);
	*port = ntohs(got.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&got)->sin6_port :
	    ((struct sockaddr_in *)&got)->sin_port);
	return fd;
}

int
sock_connect(const struct sockaddr *sa, socklen_t len, int *connecting)
{
	int err, fd = socket(sa->sa_family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	sock_nonblock(fd);
	if (connect(fd, sa, len) == 0) {
		*connecting = 0;
		return fd;
	}
	if (errno == EINPROGRESS) {
		*connecting = 1;
		return fd;
	}
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* A failed call that only means "not now". */
static int
sock_later(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

ssize_t
sock_fill(int fd, uint8_t *buf, size_t cap, size_t *start, size_t *end)
{
	ssize_t n;

	if (*start == *end)
		*start = *end = 0;
	else if (*end == cap && *start > 0) {
		memmove(buf, buf + *start, *end - *start);
		*end -= *start;
		*start = 0;
	}
	if (*end == cap)
		return -2;
	n = recv(fd, buf + *end, cap - *end, 0);
	if (n < 0)
		return sock_later() ? -2 : -1;
	return n;
}

ssize_t
sock_send(int fd, const uint8_t *d, size_t len)
{
	ssize_t n;

	if (len == 0)
		return 0;
	n = send(fd, d, len, MSG_NOSIGNAL);
	if (n < 0)
		return sock_later() ? 0 : -1;
	return n;
}

int
sock_poll_awake(struct pollfd *fds, size_t nfds, double until)
{
	int n;

	while ((n = poll(fds, nfds, 0)) == 0 && mono_seconds() < until)
		;
	return n;
}
