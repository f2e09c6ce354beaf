/*
 * The teacher leads: a teacher's lab (`--teach`) says where it is, the
 * lesson, the step and whether the challenge is open, and the labs that
 * follow it (`--follow`, `class simulate --follow`) hear it. A lead
 * message is a class_event of kind "lead" (class_event.h), sent on a
 * CLASS_LINK_LEADER link to the class's fanout exchange whenever it
 * changes and again every CLASS_LEAD_REPEAT_MS, so a lab that joins late
 * or reconnects learns where the class is within that time; nothing is
 * stored for a follower that is away. What a follower hears is decoded as
 * bad input: anything that is not a lead of this class is dropped, and
 * counted.
 *
 * Never blocks; one thread; call class_lead_tick from the loop.
 */
#ifndef RL_CLASS_LEAD_H
#define RL_CLASS_LEAD_H

#include <stdint.h>

#include "class/class_event.h"
#include "class/class_link.h"

#define CLASS_LEAD_REPEAT_MS 2000

struct class_lead {
	struct class_link link;
	int teach;                     /* 1 teacher, 0 follower */
	char id[17];                   /* teacher: its random id */
	uint64_t seq;                  /* teacher: lead messages made */
	struct class_event said;       /* teacher: the latest position */
	int has_said;
	int64_t sent_ms;               /* teacher: wall ms of the last send,
					  -1: owed now */
	struct class_event heard;      /* follower: the latest lead heard */
	uint64_t nheard;               /* follower: leads heard */
	uint64_t dropped;              /* follower: messages refused */
	char news[256];                /* the latest sentence about the link
					  or a dropped message, "" none */
};

/*
 * Opens a teacher's (teach 1, named `name`) or a follower's link to class
 * `klass` at `url` (`what` names the URL's source). Returns 0, or -1 with
 * *cause (caller frees): a bad URL or name.
 */
int class_lead_open(struct class_lead *l, const char *url, const char *what,
    const char *klass, const char *name, int teach, char **cause);

/*
 * Teacher: the class is now at `lesson` (a script id), step index `step`,
 * challenge released or not. Sent at once when it changed, else with the
 * next repeat.
 */
void class_lead_say(struct class_lead *l, const char *lesson, int step,
    int released);

/* Moves the link on, sends what the teacher owes, reads what came. */
void class_lead_tick(struct class_lead *l);

/* Follower: the latest lead heard, or NULL before any (borrowed). */
const struct class_event *class_lead_heard(const struct class_lead *l);

/* The socket to poll, or -1. */
int class_lead_fd(const struct class_lead *l);

void class_lead_close(struct class_lead *l);

#endif
