/*
 * Writing lesson scripts: the one place that renders script text. A
 * growing buffer with printf-style appends and quoted strings, a toggle's
 * setting, a whole topology (lessons/FORMAT.md section 5), and the
 * sandbox's own script (its topology, toggles and a minimal step list).
 * The generator (gen/gen.c) writes through the same buffer and toggle
 * writer. What is written here is meant to be read back by script_load:
 * a topology written and loaded again is the same topology.
 */
#ifndef RL_SCRIPT_WRITE_H
#define RL_SCRIPT_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "lesson/script.h"
#include "model/toggle.h"
#include "model/topology.h"

/* A NUL-terminated growing string; s is owned (free it). */
struct script_write_buf {
	char *s;
	size_t len, cap;
};

/* An empty buffer ("" allocated). */
void script_write_init(struct script_write_buf *b);
/* Appends printf-formatted text. */
void script_write_put(struct script_write_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends `s` as a libconfig string: double quotes, \" \\ \n \t escaped. */
void script_write_str(struct script_write_buf *b, const char *s);
/* Appends " name = value;" for toggle `id` (an enum's value quoted). */
void script_write_toggle(struct script_write_buf *b, enum toggle_id id,
    int64_t value);
/* Appends "topology = { ... };" for `t`, every list and target written. */
void script_write_topology(struct script_write_buf *b,
    const struct topology *t);

/* Appends "key = { en = ...; zh = ...; };" (NULL texts written ""). */
void script_write_text(struct script_write_buf *b, const char *key,
    const char *en, const char *zh);

/*
 * Appends action `a` as a step, "{ do = ...; }", with no indent or comma.
 * Returns 0 without writing for a kind that has no `do` of its own
 * (narration, waits, settles), 1 otherwise.
 */
int script_write_action(struct script_write_buf *b,
    const struct script_action *a);

/*
 * A whole script for the sandbox built on `s` (its id, title and seed
 * borrowed): topology `t`, the toggles `v` that differ from their
 * defaults, and three steps (say, publish one, settle). `sim_only` is set
 * when `t` has a delayed exchange. Returns a new string (caller frees).
 */
char *script_write_sandbox(const struct script *s, const struct topology *t,
    const int64_t v[TOGGLE_COUNT]);

#endif
