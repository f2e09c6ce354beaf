/*
 * The code overlay: the session's toggles now, as the learner would write
 * them in a real service (lesson/codegen.h).
 */
#ifndef RL_CODE_H
#define RL_CODE_H

#include "ui/pane.h"

/* What the overlay keeps between draws; zeroed means closed. */
struct code_view {
	char *now;    /* the code at the last draw; owned, NULL: not drawn */
	char *before; /* the code before the last change; owned, NULL: none */
	int col;      /* columns scrolled to the right */
	int follow;   /* a change is new: bring its first line into view */
};

extern const struct pane_ops code_ops;

/* Forgets what the overlay kept (call when it opens or the lab closes). */
void code_view_reset(struct code_view *cv);

#endif
