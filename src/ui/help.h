/*
 * The help overlay: every key, generated from the key table.
 */
#ifndef RL_HELP_H
#define RL_HELP_H

#include "ui/pane.h"

extern const struct pane_ops help_ops;

#endif
