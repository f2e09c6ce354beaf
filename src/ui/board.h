/*
 * The ledger scoreboard: what became of every message so far, in counters.
 */
#ifndef RL_BOARD_H
#define RL_BOARD_H

#include "ui/pane.h"

extern const struct pane_ops board_ops;

/*
 * Rows the scoreboard needs at width w: a title line if `titled`, and, if
 * `roomy`, a line of copies when any message of lab's summary had several.
 * The pane draws the copies line first and the title only with a line left.
 */
int board_rows(const struct lab *lab, int w, int titled, int roomy);

/*
 * Ledger counter `counter`'s label ("lost_silent") in at most w columns:
 * the first of its shorter forms that fits when the full one does not
 * ("lost silently 12" in a 16-column cell, "lost quiet 1006"), never a
 * word cut in half. Borrowed (static or translated).
 */
const char *board_counter_label(const char *counter, int w);

#endif
