/*
 * The sandbox builder: D opens a form overlay over the lab in which the
 * learner adds or removes exchanges, queues, bindings and consumers and
 * chooses where + publishes; W writes the sandbox as a lesson script.
 *
 * An edit is checked by the script checker itself: the edited topology is
 * written as script text (lesson/script_write.h) and loaded back; the
 * checker's first complaint is shown in the form, which stays open. An
 * edit it accepts becomes the lab's script, and the session starts again
 * on it with the toggles as they were (lab_rebuild): what was in flight
 * is gone, as after a reset.
 */
#ifndef RL_BUILD_H
#define RL_BUILD_H

#include "lesson/script.h"
#include "model/topology.h"

struct lab;
struct build;

/* Key commands (the key table's D and W); PANE_* flags. */
int build_cmd_open(struct lab *lab, int key);
int build_cmd_write(struct lab *lab, int key);
/* While lab->build is open, every key goes here; PANE_* flags. */
int build_key(struct lab *lab, int key);
/* Draws the open form over the lower part of the screen. */
void build_draw(struct lab *lab);
/* Frees the form (NULL is fine). */
void build_free(struct build *b);

/*
 * The edits, for the form and for tests. Each changes `t` in place:
 * build_add_* append (strings copied; exchanges and consumers come from
 * topology_add_exchange and topology_add_consumer), build_remove drops the
 * object of `kind` ('x' exchange, 'q' queue, 'c' consumer, 'b' the bindings from
 * exchange `name` to queue `queue`) with what hangs on it (a queue's
 * bindings and consumers, an exchange's bindings). Returns 0, or -1 when
 * nothing by that name exists.
 */
void build_add_queue(struct topology *t, const struct topo_queue *q);
void build_add_binding(struct topology *t, const char *exchange,
    const char *queue, const char *key, int match_all, const char *args);
int build_remove(struct topology *t, int kind, const char *name,
    const char *queue);

/*
 * Checks topology `t` the way `rabbitlab check` does, as the sandbox of
 * script `s` with toggles `v`: returns the loaded script (caller frees),
 * or NULL with the checker's first complaint (without its file and line)
 * in why.
 */
struct script *build_check(const struct script *s, const struct topology *t,
    const int64_t v[TOGGLE_COUNT], char *why, size_t len);

#endif
