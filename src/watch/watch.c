/*
 * `rabbitlab watch` (see watch.h): where the broker is, the listener, the
 * signals, and the loop around the proxy; what the lab prints.
 */
#include "watch/watch.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mono.h"
#include "util/stop.h"
#include "util/xmalloc.h"
#include "watch/watch_ctl.h"
#include "watch/watch_record.h"

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

/* Reads what stdin has (without waiting) and runs each whole line as a
 * command; returns -1 once stdin is at its end. */
static int
watch_commands(struct watch_ctl *w, FILE *out, char *buf, size_t cap,
    size_t *have)
{
	struct pollfd pf = { STDIN_FILENO, POLLIN, 0 };
	ssize_t n;
	char *nl;

	if (poll(&pf, 1, 0) <= 0 || !(pf.revents & (POLLIN | POLLHUP)))
		return 0;
	n = read(STDIN_FILENO, buf + *have, cap - 1 - *have);
	if (n <= 0)
		return -1;
	*have += (size_t)n;
	buf[*have] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		watch_ctl_command(w, buf, out);
		*have -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *have + 1);
	}
	if (*have == cap - 1) {
		watch_ctl_command(w, "(a line longer than 1023 bytes)", out);
		*have = 0;
	}
	/* A reply is awaited: it goes out now. */
	fflush(out);
	return 0;
}

int
watch_run(const struct watch_opts *o)
{
	struct watch_out w = { o->out, o->json, 0 };
	double flushed = 0;
	struct watch_ctl ctl;
	char *host = NULL, *cause = NULL, line[1024];
	size_t have = 0;
	int port, status = 0, commands = o->json && o->screen == NULL;

	if (watch_parse_listen(o->listen ? o->listen : WATCH_LISTEN_DEFAULT,
	    &host, &port) != 0) {
		fprintf(stderr, "rabbitlab watch: --listen: '%s' is not "
		    "HOST:PORT\n", o->listen);
		return WATCH_BAD_INPUT;
	}
	/* Fully buffered, a terminal too: see the loop below. */
	if (o->screen == NULL)
		setvbuf(o->out, NULL, _IOFBF, WATCH_OUT_BUF);
	/* On the screen, the events go to its session (the watch engine
	 * takes them over); never onto the terminal. */
	if (watch_ctl_open(&ctl, o->url, host, port, o->screen ? NULL :
	    watch_emit, &w, &cause) != 0) {
		fprintf(stderr, "rabbitlab watch: %s\n", cause);
		free(cause);
		free(host);
		return 1;
	}
	if (o->screen)
		watch_proxy_quiet(ctl.p);
	stop_on_signals(watch_on_signal);
	/* target.display holds no password. An IPv6 address is written in
	 * brackets, as URLs and --listen write it. */
	if (o->screen == NULL) {
		int v6 = strchr(host, ':') != NULL;
		fprintf(stderr, "rabbitlab watch: listening on %s%s%s:%d for "
		    "%s; point your application at amqp://%s%s%s:%d (its own "
		    "user and password go through to the broker); ^C to "
		    "stop\n", v6 ? "[" : "", host, v6 ? "]" : "",
		    watch_proxy_port(ctl.p), ctl.target.display, v6 ? "[" : "",
		    host, v6 ? "]" : "", watch_proxy_port(ctl.p));
	}
	if (o->screen)
		status = o->screen(&ctl, o->screen_ctx);
	else {
		/* Fully buffered, a terminal too: the lines go out at most
		 * WATCH_FLUSH_MS after they were written, in one write (a
		 * write per event cost more than the proxying itself: make
		 * bench, strace -c), and a command's reply at once. */
		while (!watch_stop) {
			double now = mono_seconds();
			if (w.pending && now - flushed >= WATCH_FLUSH_MS / 1e3) {
				fflush(o->out);
				w.pending = 0;
				flushed = now;
			}
			if (commands && watch_commands(&ctl, o->out, line,
			    sizeof line, &have) != 0)
				commands = 0;
			if (watch_proxy_step(ctl.p, w.pending ? WATCH_FLUSH_MS :
			    commands ? 50 : 250) != 0) {
				fprintf(stderr, "rabbitlab watch: poll: %s\n",
				    strerror(errno));
				break;
			}
		}
	}
	if (o->record && watch_record(&ctl, o->record, &cause) != 0) {
		fprintf(stderr, "rabbitlab watch: --record: %s\n", cause);
		free(cause);
		status = 1;
	}
	watch_proxy_free(ctl.p);
	ctl.p = NULL;
	if (o->screen == NULL) {
		watch_track_print_fates(ctl.t, o->out, o->json);
		fflush(o->out);
	}
	watch_ctl_close(&ctl);
	free(host);
	return status;
}
