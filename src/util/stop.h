/*
 * How a headless command learns it should end: SIGINT (^C) and SIGTERM
 * call the caller's handler (which sets a flag its loop reads), and
 * SIGPIPE is ignored so a peer that went away is an error return, not a
 * death. Used by `rabbitlab watch` and `rabbitlab class`.
 */
#ifndef RL_STOP_H
#define RL_STOP_H

/* Installs `handler` for SIGINT and SIGTERM and ignores SIGPIPE. */
void stop_on_signals(void (*handler)(int));

#endif
