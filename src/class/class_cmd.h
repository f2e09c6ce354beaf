/*
 * The headless class commands: `rabbitlab class URL` (the dashboard's
 * consumer, printing the class's state), `rabbitlab class simulate`
 * (headless students for tests and scale); `rabbitlab class setup` is
 * class_setup.h. Each runs its own poll loop
 * until its end (a duration, SIGINT or SIGTERM) and returns an exit
 * status: 0, 1 (simulate: events still owed at the end), 2 bad input.
 */
#ifndef RL_CLASS_CMD_H
#define RL_CLASS_CMD_H

#include <stdint.h>
#include <stdio.h>

struct script;
struct class_dash;

/*
 * A screen over the dashboard (ui/classview.h): the loop polls fd beside
 * the class's socket, calls frame after each turn (the state is read-only
 * there) and ends when frame returns nonzero; news and dropped messages go
 * to news instead of stderr. Nothing is printed at the end but --csv.
 */
struct class_cmd_view {
	void *ctx;
	int fd;                    /* the keyboard; -1: none */
	int (*frame)(void *ctx, const struct class_dash *d, int64_t now_ms);
	void (*news)(void *ctx, const char *line);
};

struct class_cmd_opts {
	const char *url;           /* the class broker's URL (hosts list) */
	const char *what;          /* where the URL came from, for messages */
	const char *klass;         /* the class name */
	int json;                  /* dashboard: print the state as JSON */
	const char *csv;           /* dashboard: CSV export at the end */
	double for_s;              /* run this long; 0: until a signal */
	int64_t stuck_ms;          /* dashboard: no progress this long */
	unsigned students;         /* simulate: how many */
	unsigned events;           /* simulate: events per student */
	unsigned pace_ms;          /* simulate: mean pause between events */
	const char *sent;          /* simulate: each event's JSON, a line */
	const char *prefix;        /* simulate: students are PREFIX-001... */
	const char *state_dir;     /* simulate: outboxes; NULL default */
	uint64_t seed;             /* simulate: the students' choices */
	int follow;                /* simulate: follow the class's teacher
				      (answer its question, open its
				      lesson) instead of playing alone */
	struct script **lessons;   /* simulate: the lessons played */
	size_t nlessons;
	FILE *out;                 /* standard output */
	const struct class_cmd_view *view; /* dashboard: a screen, or NULL */
};

int class_cmd_dashboard(const struct class_cmd_opts *o);
int class_cmd_simulate(const struct class_cmd_opts *o);

#endif
