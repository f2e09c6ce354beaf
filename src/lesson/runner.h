/*
 * The lesson runner: plays a script against an engine without a screen and
 * writes a transcript (events, narration, questions with their answers,
 * expectations and the ledger), as text or as JSON lines.
 */
#ifndef RL_RUNNER_H
#define RL_RUNNER_H

#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "lesson/script.h"

struct runner_opts {
	const char *lang;               /* "en" or "zh" */
	int json;                       /* JSON lines instead of text */
	int has_seed;                   /* seed overrides the script's */
	uint64_t seed;
	const struct engine_ops *ops;   /* the engine to run on */
	FILE *out;                      /* transcript */
	int events;                     /* print every event (else summary) */
	int challenge;                  /* also prove the challenge */
	const char *url;                /* live engine: broker URL, or NULL */
};

/* Exit statuses, as the command line returns them. */
enum { RUNNER_OK = 0, RUNNER_FAILED = 1, RUNNER_ERROR = 2 };

/*
 * Plays `s`. Returns RUNNER_OK when every expectation held (and, if asked,
 * the challenge is reached with its solution and not without it);
 * RUNNER_FAILED with *why naming the first one that did not ("FILE:LINE:
 * ..."); RUNNER_ERROR with *why when the engine refused a request. With
 * RUNNER_OK, *why may hold a notice: the script's story is bound to its
 * seed (seed_bound) and another was given, so the steps' expectations were
 * shown, not judged (the challenge's goal with the solution still is). The
 * caller frees *why.
 */
int runner_replay(const struct script *s, const struct runner_opts *o,
    char **why);

#endif
