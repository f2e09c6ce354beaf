/*
 * The lab's pane layout (layout.c).
 */
#ifndef RL_LAYOUT_H
#define RL_LAYOUT_H

struct lab;

/* Lays the lab's panes out for the current terminal size (COLS, LINES);
 * too small a terminal sets lab->too_small and places nothing. */
void layout_lab(struct lab *lab);

#endif
