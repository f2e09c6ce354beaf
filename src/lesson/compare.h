/*
 * Conformance: one script on the simulated and on the live engine, and where
 * their ledgers differ.
 *
 * Both runs play the script as the lesson runner does (toggles, topology,
 * consumers, steps; the challenge too if asked). The right (live) run goes
 * first; where the right one spent time waiting on its broker (before a
 * consumer's cancel or consume took effect, after a policy was worked out
 * for rabbitmqctl), the left one lets the same time pass, so that timers
 * and steps keep their order on both. A checkpoint is taken after
 * every step that has expectations and after the last step: every ledger
 * counter and every queue's ready and unacked count. At the end come each
 * message's fate (with its loss reason and what the producer was told) and
 * the AMQP reply codes seen (channel.close 404, basic.return 312, ...).
 * Everything must be equal, except what the script's own `compare` rules
 * forgive, each next to the step it concerns and with its reason: rates,
 * latencies, races the real broker decides (lessons/FORMAT.md). No curses;
 * output goes to the FILE given.
 */
#ifndef RL_COMPARE_H
#define RL_COMPARE_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "lesson/script.h"

struct compare_opts {
	FILE *out;                      /* differences and a summary line */
	const char *url;                /* live broker; NULL: the usual order */
	int challenge;                  /* also compare both challenge runs */
	int events;                     /* print both event streams */
	const struct engine_ops *left;  /* NULL: the simulated engine */
	const struct engine_ops *right; /* NULL: the live engine */
	int has_seed;                   /* seed overrides the script's */
	uint64_t seed;
	/*
	 * 0 or 1: none. N > 1: the machine is loaded (the suite's run beside a
	 * CPU hog); a counter that measures speed (under a rule with `within`,
	 * or a stream counter at a mid-stream checkpoint) may also be N times
	 * smaller than its tolerance allows. Outcomes are compared as always.
	 */
	unsigned load_factor;
};

/* Exit statuses, as the command line returns them. */
enum { COMPARE_EQUAL = 0, COMPARE_DIFFERENT = 1, COMPARE_ERROR = 2 };

/*
 * Runs `s` on both engines and compares. Returns COMPARE_EQUAL,
 * COMPARE_DIFFERENT (every difference printed), or COMPARE_ERROR with *why
 * (an engine refused a step or could not start; the caller frees *why).
 */
int compare_script(const struct script *s, const struct compare_opts *o,
    char **why);

/*
 * Wall-clock seconds the script's steps take on each engine (challenge not
 * included), for `make bench`. Returns 0, or -1 with *why.
 */
int compare_wall_time(const struct script *s, const char *url,
    double *sim_s, double *live_s, char **why);

#endif
