/*
 * `rabbitlab replay --cast FILE`: the screen playing a lesson by itself,
 * recorded as an asciicast (ui/cast.h) with no terminal at all. The lab
 * runs as in autoplay, on a virtual clock, so the times in the file are
 * the lesson's pace, not this machine's speed.
 */
#ifndef RL_CASTPLAY_H
#define RL_CASTPLAY_H

#include <stdint.h>

#define CASTPLAY_MIN_COLS 80  /* the lab's own minimum (ui/lab.h) */
#define CASTPLAY_MIN_ROWS 24
#define CASTPLAY_MAX_COLS 400
#define CASTPLAY_MAX_ROWS 200

struct castplay_opts {
	const char *script;     /* the lesson script's path */
	const char *cast;       /* the asciicast file to write */
	const char *lang;       /* "en" or "zh" */
	int cols, rows;         /* the screen's size, within the limits above */
	int step_ms;            /* autoplay's pace: a step, or a question's
				   thinking time, every step_ms at least */
	const char *speed;      /* the lab's speed label, NULL: 1x */
	int has_seed;
	uint64_t seed;
	const char *lessons_dir; /* where the glossary is looked for; may be
				    NULL */
};

/*
 * Plays the lesson's steps on the simulated engine, answering each
 * question with its right answer after step_ms, and records every frame
 * until the last step has played out; the last frame shows the ledger
 * that `rabbitlab replay` prints for the same lesson and seed. Returns 0;
 * 2 with a message on stderr when the script does not load, the file
 * cannot be written, or the lesson stops moving before its end.
 */
int castplay_run(const struct castplay_opts *o);

#endif
