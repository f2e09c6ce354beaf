/*
 * A student reporting to a class: the lesson being played, the events it
 * makes, its outbox and its link to the class's broker. The lab's screen
 * reaches one through class_report.h; `rabbitlab class simulate` runs many
 * side by side in one loop. Both take this same path: an event is written
 * to the outbox, published when the link is up, and marked sent when its
 * confirm arrives; a nack, a return (no queue: declared again) or a lost
 * connection leaves it owed, to be published again.
 *
 * Never blocks: class_student_tick does what can be done now and returns.
 * One thread.
 */
#ifndef RL_CLASS_STUDENT_H
#define RL_CLASS_STUDENT_H

#include <stdint.h>
#include <stdio.h>

#include "class/class_event.h"
#include "class/class_link.h"
#include "class/class_outbox.h"

struct class_flying {
	uint64_t tag;        /* the publish's delivery tag */
	uint64_t seq;        /* the event's sequence number */
	int returned;        /* came back unroutable: not sent after all */
};

struct class_student {
	struct class_outbox ob;
	struct class_link link;
	char name[CLASS_NAME_MAX];
	char klass[CLASS_NAME_MAX];
	char lesson[CLASS_LESSON_MAX]; /* the lesson open now, "" none */
	int64_t lesson_t0;             /* wall ms it was opened */
	int attempts;                  /* challenge runs in this lesson */
	int solution_seen;             /* solution viewed in this lesson */
	struct class_flying *fly;      /* published, confirm awaited */
	size_t nfly, fly_cap;
	unsigned max_flying;           /* publishes awaiting confirms */
	uint64_t made, confirmed;      /* events made, confirms counted */
	FILE *sent_log;                /* each event's JSON as made, or NULL */
	void (*news)(void *ctx, const char *line); /* NULL: silent */
	void *news_ctx;
	char last_news[256];           /* the latest news line */
};

/*
 * Opens student `name` of class `klass` at `url` (several hosts allowed;
 * `what` names its source in messages), its outbox under `state_dir`
 * (NULL: the default state directory). Connects at the first tick.
 * Returns 0, or -1 with *cause (caller frees): a bad URL, a bad name, no
 * outbox. A damaged outbox set aside is not an error: *cause then holds
 * the notice and 0 is returned (caller frees it too).
 */
int class_student_open(struct class_student *cs, const char *url,
    const char *what, const char *klass, const char *name,
    const char *state_dir, char **cause);

/*
 * A lesson (its script id) was opened: the lesson_opened event, and the
 * clock of time spent starts again. 0, or -1 with *cause (caller frees)
 * when the outbox could not take it.
 */
int class_student_lesson(struct class_student *cs, const char *lesson,
    char **cause);

/*
 * Any other moment: ev holds its kind and that kind's own fields
 * (question, choice, right; step; met; hint). The rest is filled here:
 * names, lesson, times, and for a challenge its attempt number and
 * whether the solution was viewed in this lesson before it. The event is
 * written to the outbox and sent when it can be. 0, or -1 with *cause
 * (no lesson open, or the outbox could not take it).
 */
int class_student_report(struct class_student *cs, struct class_event *ev,
    char **cause);

/* Moves the link on and publishes what is owed; never waits. */
void class_student_tick(struct class_student *cs);

/* Events still owed (not confirmed). */
size_t class_student_owed(const struct class_student *cs);

/* Closes the link and the outbox (what is owed stays in the file). */
void class_student_close(struct class_student *cs);

/* Wall-clock milliseconds since the epoch. */
int64_t class_wall_ms(void);

#endif
