/*
 * Panes: small objects, each a rectangle of the lab with its own draw and
 * key handlers (as htop's panels and tig's views). The lab (ui/lab.h) owns
 * the panes, lays them out and offers them keys; a key handler answers
 * with PANE_* flags.
 */
#ifndef RL_PANE_H
#define RL_PANE_H

#define PANE_HANDLED 1 /* the key was used; offer it to no one else */
#define PANE_REDRAW 2  /* the screen must be drawn again */
#define PANE_QUIT 4    /* leave the lab */

struct lab;
struct pane;

struct pane_ops {
	const char *name;
	/* Draws the pane inside its rectangle. Must not change the session. */
	void (*draw)(struct pane *p, struct lab *lab);
	/*
	 * Offers the pane a key (a curses key code or a character); returns
	 * PANE_* flags, 0 when the pane has no use for it. NULL: no keys.
	 */
	int (*key)(struct pane *p, struct lab *lab, int key);
};

struct pane {
	const struct pane_ops *ops;
	int y, x;   /* top left corner */
	int h, w;   /* size; h == 0 hides the pane */
	int scroll; /* lines scrolled, for panes that scroll */
	int more;   /* lines past the pane's foot that scroll can reach */
	unsigned sig; /* what `scroll` belongs to: a change scrolls to the top */
};

#endif
