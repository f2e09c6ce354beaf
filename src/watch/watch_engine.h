/*
 * The watch as an engine (engine/engine.h), so that the lab's screen, its
 * session and every pane show a real application's traffic unchanged:
 * the events are the tracker's (watch_track.h), read off the wire; the
 * view is what the application declared (watch_seen.h), the connections
 * it has open, and each queue's depth as the broker counts it; the
 * toggles are what its frames showed, refreshed as time moves; time is
 * the wall clock, spent serving the proxy.
 *
 * The engine does not own the watch: watch_engine_arm hands it the watch
 * the next engine_watch_ops.create takes (one watch per process); the
 * engine's declare takes no topology (the application declares its own),
 * and its inject, publish and consume refuse: the failures go through
 * watch_ctl_fail, and the application publishes and consumes by itself.
 */
#ifndef RL_WATCH_ENGINE_H
#define RL_WATCH_ENGINE_H

#include "engine/engine.h"
#include "watch/watch_ctl.h"

/* The watch the next create uses (borrowed; it must outlive the engine). */
void watch_engine_arm(struct watch_ctl *w);

extern const struct engine_ops engine_watch_ops;

#endif
