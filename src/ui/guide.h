/*
 * The lesson pane: narration, predict-then-observe questions, expectation
 * results and the challenge; in the sandbox, a short guide.
 */
#ifndef RL_GUIDE_H
#define RL_GUIDE_H

#include "ui/pane.h"

struct lab;

extern const struct pane_ops guide_ops;

/*
 * Whether what must be seen now (a question and its choices, the
 * challenge goal) fits in a pane of w columns and h rows; the lab widens
 * the pane over the event log when it does not.
 */
int guide_fits(struct lab *lab, int w, int h);

/*
 * Milliseconds a reader needs for an answer's verdict and explanation now
 * on the lesson pane, 0 when none is open; autoplay waits this long (up to
 * ten of its own steps) before moving on.
 */
long guide_read_ms(struct lab *lab);

struct keys_def;

/* What guide_key did with a key. */
enum guide_keyed {
	GUIDE_PASS,    /* not the lesson pane's: handle it as usual */
	GUIDE_SHOWN,   /* handled; only the screen changes (a message) */
	GUIDE_APPLIED, /* a toggle was applied, the step wants more */
	GUIDE_PLAYED,  /* the waiting step was played */
};

/*
 * The lesson pane's say on key `k` before the lab acts on it: space after
 * an answer reads on past its verdict; while a learner step waits
 * (script_step.learner), its own key plays it, any other toggle or failure
 * key is explained and not applied, space says which key to press, and S
 * does the step for the learner. The status line says what happened.
 */
enum guide_keyed guide_key(struct lab *lab, const struct keys_def *k);
/* Whether the verdict of the last answer is on screen (space reads on). */
int guide_verdict_open(const struct lab *lab);

#endif
