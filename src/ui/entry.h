/*
 * Typed numbers for toggles ('=', the toggle's key, digits, Enter): the
 * lab's SET command starts it, then the lab hands it every key until it is
 * done (Enter, Esc, or a key that takes no number).
 */
#ifndef RL_ENTRY_H
#define RL_ENTRY_H

struct lab;

/* The SET command: waits for a toggle's key. Returns PANE_* flags. */
int entry_start(struct lab *lab, int key);
/*
 * A key while lab->setting: the toggle's key, a digit or '.', Backspace,
 * Enter (sets it, or says the range and keeps reading), Esc. Returns
 * PANE_HANDLED | PANE_REDRAW.
 */
int entry_key(struct lab *lab, int key);

#endif
