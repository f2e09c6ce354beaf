/*
 * `rabbitlab watch --record FILE`: the watched session written as a
 * lesson script through the shared script writer (lesson/script_write.h):
 * the topology the application declared, the settings its frames showed
 * as toggles, then its publishes and the failures asked for, in order and
 * with the waits between them, so that `rabbitlab check` accepts it and
 * `rabbitlab replay` plays it: a teacher turns what a student's
 * application did into a lesson. The lab's own producer and consumers
 * stand in for the application's, so the consumers are one per queue the
 * application read, and a failure on one of its connections becomes the
 * same failure on the producer (a connection that published) or on that
 * consumer.
 */
#ifndef RL_WATCH_RECORD_H
#define RL_WATCH_RECORD_H

#include "watch/watch_ctl.h"

/* Writes the script to `path`. Returns 0, or -1 with *cause (caller frees). */
int watch_record(struct watch_ctl *w, const char *path, char **cause);
/* The script as a new string (caller frees). */
char *watch_record_text(struct watch_ctl *w);

#endif
