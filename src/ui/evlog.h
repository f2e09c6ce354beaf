/*
 * The event log: the AMQP frames and conditions of the session, newest at
 * the bottom, scrollable.
 */
#ifndef RL_EVLOG_H
#define RL_EVLOG_H

#include "ui/pane.h"

extern const struct pane_ops evlog_ops;

#endif
