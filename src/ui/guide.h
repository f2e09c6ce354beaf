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

#endif
