/*
 * The lesson picker: the lessons of a directory with the learner's
 * progress in each; Enter opens one as a guided lesson, s as a sandbox.
 */
#ifndef RL_PICKER_H
#define RL_PICKER_H

#include <stddef.h>

#include "lesson/script.h"
#include "lesson/session.h"
#include "ui/progress.h"

struct picker_item {
	char *path;              /* owned */
	struct script *script;   /* loaded for its title; NULL if it failed */
	char *error;             /* first diagnostic when it failed; owned */
};

struct picker {
	struct picker_item *items;
	size_t n, cap;
	size_t sel;              /* highlighted item */
	int top;                 /* first item shown */
	char *dir;               /* owned */
	const char *lang;
	struct progress *progress; /* borrowed; may be NULL */
	char notice[600];        /* shown until the next key; "" none */
	int notice_bad;
	int help;                /* the key list is open */
	size_t num;              /* the digit just typed, when a second
				    one can still make a lesson number */
	/* Set by picker_key when the learner opens a lesson. */
	const char *chosen;      /* path, borrowed from items */
	enum session_mode chosen_mode;
};

/*
 * Lists the *.cfg files of `dir`, sorted, loading each for its title.
 * Returns 0, or -1 with *cause (caller frees) when the directory cannot be
 * read or holds no lesson; *pk must be closed either way.
 */
int picker_open(struct picker *pk, const char *dir, const char *lang,
    struct progress *progress, char **cause);
void picker_close(struct picker *pk);

void picker_draw(struct picker *pk);
/*
 * Handles a key; returns PANE_* flags. When it returns PANE_HANDLED with
 * pk->chosen set, the caller opens that lesson and clears pk->chosen.
 */
int picker_key(struct picker *pk, int key);
int picker_click(struct picker *pk, int y, int x);

/*
 * The lesson after the one at `path` (matched by file name), or NULL when
 * it is the last or not listed. Borrowed from pk.
 */
const char *picker_next(const struct picker *pk, const char *path);
/* 1 when the lesson at `path` is listed and is the list's last, else 0. */
int picker_is_last(const struct picker *pk, const char *path);

#endif
