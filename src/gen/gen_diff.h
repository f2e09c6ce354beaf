/*
 * `rabbitlab diff`: generated scenarios on the simulated and the live
 * engine until they agree (or, with sim_only, on the simulated engine
 * alone: each loads, runs and runs the same twice).
 */
#ifndef RL_GEN_DIFF_H
#define RL_GEN_DIFF_H

#include <stdint.h>
#include <stdio.h>

struct gen_diff_opts {
	uint64_t seed;          /* the first scenario's seed */
	unsigned count;         /* scenarios seed .. seed + count - 1 */
	int sim_only;           /* no live engine: valid and deterministic */
	const char *out_dir;    /* minimal scripts go here; NULL: no shrink */
	const char *url;        /* live broker; NULL: the usual order */
	unsigned load_factor;   /* as compare's */
	FILE *log;              /* each difference, and the summary line */
};

struct gen_diff_tally {
	unsigned scenarios, agreeing, differing, errors, written;
};

/*
 * Runs the campaign, printing each difference and a last line "scenarios
 * N, agreeing A, differing D, errors E, minimal scripts written M".
 * Returns 0 when every scenario agreed (or checked out), else 1.
 */
int gen_diff_run(const struct gen_diff_opts *o, struct gen_diff_tally *t);

#endif
