/*
 * `rabbitlab watch`: the lab in front of the learner's own application.
 *
 * The application connects to the lab's listener instead of the broker
 * and runs unchanged; the lab passes its AMQP bytes through to a real
 * broker (watch_proxy.h), reads every frame on the way (watch_decode.h)
 * and follows every message it publishes to its fate in the ledger
 * (watch_track.h). Headless: one line (or one JSON object) per frame on
 * the output, and when it stops (SIGINT, SIGTERM) one per message with its
 * fate, then the ledger's summary.
 */
#ifndef RL_WATCH_H
#define RL_WATCH_H

#include <stdio.h>

struct watch_ctl;

struct watch_opts {
	const char *listen;    /* "HOST:PORT" ("[v6]:PORT"); NULL: the default */
	const char *url;       /* an existing broker, amqp://...; NULL: a
				  private node the lab starts and stops */
	int json;              /* JSON lines instead of text */
	FILE *out;             /* where events and fates go */
	const char *record;    /* write the session as a lesson script here
				  when it ends; NULL: none */
	/*
	 * The screen, when the watch is shown on a terminal (ui/watchview.h):
	 * it runs the watch until the learner quits and returns an exit
	 * status. NULL: headless, where in --json mode each line on stdin is
	 * a command (watch_ctl_command) answered on `out`.
	 */
	int (*screen)(struct watch_ctl *w, void *ctx);
	void *screen_ctx;
};

/* The listener when none is given: loopback only. */
#define WATCH_LISTEN_DEFAULT "127.0.0.1:5673"

/*
 * Runs until SIGINT or SIGTERM. Returns the exit status: 0 after a clean
 * stop, 1 when the broker could not be reached or started or the
 * listener not opened, 2 for a bad --listen. Messages go to stderr; a
 * password never appears in them.
 */
int watch_run(const struct watch_opts *o);

#endif
