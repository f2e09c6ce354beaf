/*
 * The class dashboard's state, with no I/O but writing it out: every event
 * counted once (by its id), per student where they are and what they
 * solved, per question how many chose each answer, per lesson the solve
 * rate and median solve time. `rabbitlab class --json` prints it; a screen
 * draws from the same fields (read-only between class_dash_add calls).
 */
#ifndef RL_CLASS_DASH_H
#define RL_CLASS_DASH_H

#include <stdint.h>
#include <stdio.h>

#include "class/class_event.h"

/* One student in one lesson. */
struct class_dash_mark {
	size_t lesson;         /* index into class_dash.lessons */
	unsigned events, answers, right, actions, hints, attempts;
	int solved;            /* 0, 1 met, 2 met only after the solution */
	int64_t solve_ms;      /* time in the lesson at the first met run */
	int solution_viewed;
};

struct class_dash_student {
	char id[CLASS_ID_MAX];       /* the random student id (hex) */
	char name[CLASS_NAME_MAX];   /* the latest name it sent */
	size_t lesson;               /* index of its latest lesson */
	int64_t last_ms;             /* its latest event's time */
	unsigned events;
	struct class_dash_mark *marks; /* one per lesson it played */
	size_t nmarks, marks_cap;
};

struct class_dash_question {
	size_t lesson;               /* index into lessons */
	int question;                /* step index */
	int number;                  /* its number on screen; 0 unknown */
	unsigned *choices;           /* count per choice */
	size_t nchoices;
	unsigned right;              /* answers that were right */
};

struct class_dash {
	char klass[CLASS_NAME_MAX];
	char (*lessons)[CLASS_LESSON_MAX]; /* in order of first sight */
	size_t nlessons, lessons_cap;
	struct class_dash_student *students; /* in order of first sight */
	size_t nstudents, students_cap;
	struct class_dash_question *questions;
	size_t nquestions, questions_cap;
	long current;                /* the question answered last (index
					into questions), -1 before any */
	uint64_t events;             /* counted (each id once) */
	uint64_t duplicates;         /* ids seen again */
	uint64_t refused;            /* not events, or another class's */
	uint64_t kinds[CLASS_KIND_COUNT];
	char **ids;                  /* hash set of counted ids */
	size_t ids_cap, nids;
	int64_t *lat_ms;             /* publish-to-count delay per event */
	size_t nlat, lat_cap;
};

void class_dash_init(struct class_dash *d, const char *klass);
void class_dash_free(struct class_dash *d);

/*
 * Counts event ev, seen at wall time now_ms. Returns 1 if counted, 0 if its
 * id was counted before (a redelivery or a resend), -1 if it belongs to
 * another class or is a teacher's lead message, not progress (refused).
 */
int class_dash_add(struct class_dash *d, const struct class_event *ev,
    int64_t now_ms);

/* A delivery that was not an event: counted as refused. */
void class_dash_refuse(struct class_dash *d);

/*
 * Whether student s made no progress for stuck_ms by now_ms (stuck_ms 0:
 * never stuck).
 */
int class_dash_stuck(const struct class_dash_student *s, int64_t now_ms,
    int64_t stuck_ms);

/*
 * Lesson l's figures: students who played it (*opened), those who solved
 * its challenge (*solved) and their median solve time in ms (*median, -1
 * when none solved).
 */
void class_dash_lesson_stats(const struct class_dash *d, size_t l,
    unsigned *opened, unsigned *solved, int64_t *median);

/* The p-th percentile (0-100) of the publish-to-count delays; -1 if none. */
int64_t class_dash_latency(const struct class_dash *d, int p);

/* The whole state as one JSON object and a newline. */
void class_dash_json(const struct class_dash *d, FILE *f, int64_t now_ms,
    int64_t stuck_ms);

/* One CSV row per student and lesson, with a header row. */
void class_dash_csv(const struct class_dash *d, FILE *f, int64_t now_ms,
    int64_t stuck_ms);

#endif
