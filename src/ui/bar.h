/*
 * The header bar (lesson, mode, virtual clock, speed, status message) and
 * the footer bar (failure keys, then the main commands), both clickable.
 */
#ifndef RL_BAR_H
#define RL_BAR_H

#include "ui/pane.h"

extern const struct pane_ops bar_header_ops;
extern const struct pane_ops bar_footer_ops;

#endif
