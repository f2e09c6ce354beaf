/*
 * The watch on screen: `rabbitlab watch` on a terminal shows the lab's own
 * screen (ui/ui.h, the same panes, ledger, event log and message
 * timeline) over the watch engine (watch/watch_engine.h), with the
 * watch's keys on top: the failure keys act on the application's real
 * traffic through watch_ctl_fail (choosing a connection, exchange or
 * queue when there are several), the toggles and the lab's own producer
 * and consumer keys are refused with the reason, and `e` shows what the
 * lab saw as Spring Boot properties and what would have saved the lost
 * messages (watch/watch_spring.h).
 */
#ifndef RL_WATCHVIEW_H
#define RL_WATCHVIEW_H

#include "watch/watch_ctl.h"

struct watchview_opts {
	const char *lang;       /* "en" or "zh"; NULL: from the locale */
	const char *locale_dir; /* as ui_opts.locale_dir */
};

/*
 * Runs the screen on watch `w` until the learner quits (q) or a signal
 * ends it; `ctx` is a struct watchview_opts. Returns the exit status: 0,
 * or 2 when there is no usable terminal. Fits struct watch_opts.screen.
 */
int watchview_run(struct watch_ctl *w, void *ctx);

struct keys_def;

/* Whether key k does something while watching (the footer shows only
 * those); the others are refused with the reason. */
int watchview_key_acts(const struct keys_def *k);
/* What key k does while watching (translated): a failure acts on the
 * application's own connections and queues. */
const char *watchview_key_help(const struct keys_def *k);

#endif
