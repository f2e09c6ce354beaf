/*
 * A student's outbox: every progress event is written here before it is
 * sent, and marked sent only when the broker's publisher confirm for it
 * arrives. A lab that loses the broker, or is itself killed, sends what it
 * still owes on its next connection; an event sent twice that way is
 * counted once by the dashboard (its id).
 *
 * One file per class and student name under the state directory
 * ($XDG_STATE_HOME/rabbitlab/, by default ~/.local/state/rabbitlab/),
 * class-<class>-<student>.outbox with other bytes than [A-Za-z0-9_-]
 * written %XX. Text, one record a line:
 *   # rabbitlab class outbox 1
 *   student 5f0c2a9e81b3d407      the student's random id, made once
 *   E 12 {"v":1,"id":"5f0c2a9e81b3d407-12",...}    an event, seq 12
 *   S 12                          event 12 was confirmed
 * Lines are appended and flushed to the kernel (they survive the lab's
 * crash, not the machine's); the file is rewritten with only what is
 * owed when it is opened and when everything owed was sent. A damaged
 * file is renamed aside (.bad-<unix time>) and reported, never used.
 * No password or anything about the machine is written.
 */
#ifndef RL_CLASS_OUTBOX_H
#define RL_CLASS_OUTBOX_H

#include <stdint.h>
#include <stdio.h>

#include "class/class_event.h"

struct class_owed {
	uint64_t seq;        /* the event's sequence number */
	char *json;          /* its encoded form; owned */
	int flying;          /* published, its confirm not in yet */
};

struct class_outbox {
	char *path;          /* the file; owned */
	FILE *f;             /* open for appending */
	char student_id[17]; /* 16 hex digits */
	uint64_t next_seq;   /* the next event's sequence number */
	struct class_owed *v;/* events not yet confirmed, oldest first */
	size_t n, cap;
	size_t lines;        /* records in the file since it was rewritten */
};

/*
 * Opens (creating it and `dir`, mode 0700) the outbox of student `student`
 * in class `klass` under `dir` (NULL: the default state directory).
 * Returns 0; 1 when a damaged file was renamed aside (*notice says where,
 * caller frees) and a fresh one started; -1 with *notice (caller frees)
 * when no outbox could be made. ob must then still be passed to
 * class_outbox_close.
 */
int class_outbox_open(struct class_outbox *ob, const char *dir,
    const char *klass, const char *student, char **notice);

/*
 * Gives `ev` its id (the student's id and the next sequence number),
 * encodes it and appends it; it is owed from now on. Returns 0, or -1
 * with *cause (caller frees): a write error or an event that does not
 * encode (names not UTF-8).
 */
int class_outbox_add(struct class_outbox *ob, struct class_event *ev,
    char **cause);

/*
 * The event `seq` was confirmed: appends its S record and forgets it.
 * Unknown seqs are ignored (a confirm for an event sent twice). Returns 0,
 * or -1 with *cause on a write error.
 */
int class_outbox_sent(struct class_outbox *ob, uint64_t seq, char **cause);

/* Marks every owed event not flying (a connection was lost). */
void class_outbox_unfly(struct class_outbox *ob);

/* Closes the file and frees what ob owns. */
void class_outbox_close(struct class_outbox *ob);

/*
 * A new random id into id: 16 hex digits and a NUL, from the kernel's
 * generator (or, without one, the clock and the pid mixed).
 */
void class_outbox_new_id(char id[17]);

#endif
