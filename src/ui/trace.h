/*
 * The message overlay: one message's timeline and fate, from the session's
 * history and the ledger.
 */
#ifndef RL_TRACE_H
#define RL_TRACE_H

#include "ui/pane.h"

extern const struct pane_ops trace_ops;

#endif
