/*
 * The ledger scoreboard: what became of every message so far, in counters.
 */
#ifndef RL_BOARD_H
#define RL_BOARD_H

#include "ui/pane.h"

extern const struct pane_ops board_ops;

/* Rows the scoreboard needs at width w (with a title line if `titled`). */
int board_rows(int w, int titled);

#endif
