/*
 * The message flow: producer, exchange, queues and consumer panes left to
 * right, and the wires between them where messages travel as tokens.
 */
#ifndef RL_FLOW_H
#define RL_FLOW_H

#include "lesson/session.h"
#include "ui/draw.h"
#include "ui/pane.h"

extern const struct pane_ops flow_producer_ops;
extern const struct pane_ops flow_exchange_ops;
extern const struct pane_ops flow_queues_ops;
extern const struct pane_ops flow_consumer_ops;
/* The arrows and travelling tokens between the four, and below them the
 * lost messages and the legend of marks. */
extern const struct pane_ops flow_wires_ops;

/*
 * A token's look: its mark ('#' persistent, '~' transient, '@' redelivered,
 * 'x' dead-lettered, '=' processed twice) and colour role.
 */
char flow_token_mark(const struct session_token *tk);
enum draw_role flow_token_role(const struct session_token *tk);

#endif
