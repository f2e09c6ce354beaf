/*
 * `rabbitlab watch` (see watch.h): where the broker is, the listener, the
 * signals, and the loop around the proxy; what the lab prints.
 */
#include "watch/watch.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live_broker.h"
#include "util/mono.h"
#include "util/xmalloc.h"
#include "watch/watch_proxy.h"
#include "watch/watch_track.h"

#define WATCH_BAD_INPUT 2
#define WATCH_FLUSH_MS 10
#define WATCH_OUT_BUF (64 * 1024)

static volatile sig_atomic_t watch_stop;

static void
watch_on_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* Splits "HOST:PORT" or "[HOST]:PORT" into host (caller frees) and port. */
static int
watch_parse_listen(const char *s, char **host, int *port)
{
	const char *colon = strrchr(s, ':');
	const char *h = s;
	size_t hl;
	char *end;
	long v;

	if (colon == NULL || colon == s)
		return -1;
	hl = (size_t)(colon - s);
	if (s[0] == '[') {
		if (hl < 3 || s[hl - 1] != ']')
			return -1;
		h = s + 1;
		hl -= 2;
	}
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || v < 0 || v > 65535)
		return -1;
	*host = xasprintf("%.*s", (int)hl, h);
	*port = (int)v;
	return 0;
}

struct watch_out {
	FILE *out;
	int json;
	int pending;           /* lines written since the last flush */
};

static void
watch_emit(void *ctx, const struct event *ev)
{
	struct watch_out *w = ctx;

	/* The ledger reads a consumer's ack as the application's effect
	 * (EV_WORK_DONE); that is the ledger's input, not a frame. */
	if (ev->kind == EV_WORK_DONE)
		return;
	if (w->json)
		event_print_json(w->out, ev);
	else
		event_print_text(w->out, ev);
	w->pending = 1;
}

int
watch_run(const struct watch_opts *o)
{
	struct watch_out w = { o->out, o->json, 0 };
	double flushed = 0;
	struct live_target target;
	struct watch_track *t;
	struct watch_proxy *p;
	struct sigaction sa;
	char *host = NULL, *cause = NULL;
	int port;

	if (watch_parse_listen(o->listen ? o->listen : WATCH_LISTEN_DEFAULT,
	    &host, &port) != 0) {
		fprintf(stderr, "rabbitlab watch: --listen: '%s' is not "
		    "HOST:PORT\n", o->listen);
		return WATCH_BAD_INPUT;
	}
	if (o->url == NULL)
		live_broker_force_private();
	if (live_broker_resolve(o->url, &target, &cause) != 0) {
		fprintf(stderr, "rabbitlab watch: %s\n", cause);
		free(cause);
		free(host);
		return 1;
	}
	/* Fully buffered, a terminal too: the loop below flushes. */
	setvbuf(o->out, NULL, _IOFBF, WATCH_OUT_BUF);
	t = watch_track_new(watch_emit, &w);
	p = watch_proxy_new(host, port, target.host, target.port, t, &cause);
	if (p == NULL) {
		fprintf(stderr, "rabbitlab watch: %s\n", cause);
		free(cause);
		free(host);
		watch_track_free(t);
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watch_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* target.display holds no password. An IPv6 address is written in
	 * brackets, as URLs and --listen write it. */
	{
		int v6 = strchr(host, ':') != NULL;
		fprintf(stderr, "rabbitlab watch: listening on %s%s%s:%d for "
		    "%s; point your application at amqp://%s%s%s:%d (its own "
		    "user and password go through to the broker); ^C to "
		    "stop\n", v6 ? "[" : "", host, v6 ? "]" : "",
		    watch_proxy_port(p), target.display, v6 ? "[" : "", host,
		    v6 ? "]" : "", watch_proxy_port(p));
	}
	/* Lines go out at most WATCH_FLUSH_MS after they were written, in
	 * one write: a write per event, or per step of a busy proxy, cost
	 * more than the proxying itself (make bench). */
	while (!watch_stop) {
		double now = mono_seconds();
		if (w.pending && now - flushed >= WATCH_FLUSH_MS / 1e3) {
			fflush(o->out);
			w.pending = 0;
			flushed = now;
		}
		if (watch_proxy_step(p, w.pending ? WATCH_FLUSH_MS : 250) != 0) {
			fprintf(stderr, "rabbitlab watch: poll: %s\n",
			    strerror(errno));
			break;
		}
	}
	watch_proxy_free(p);
	watch_track_print_fates(t, o->out, o->json);
	fflush(o->out);
	watch_track_free(t);
	free(host);
	return 0;
}
