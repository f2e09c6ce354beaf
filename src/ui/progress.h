/*
 * Lesson progress: how far a learner got in each lesson, kept between runs
 * in $XDG_STATE_HOME/rabbitlab/progress (default ~/.local/state/rabbitlab/).
 * Saved atomically (a temporary file renamed over the old one); a damaged
 * file is renamed aside as progress.bad-<unix time> and reported, never
 * silently dropped. No curses here.
 *
 * The file is text, one lesson per line:
 *   # rabbitlab progress 1
 *   lesson ID steps=DONE/TOTAL right=R asked=A challenge=0|1|2
 * challenge=2: met, but only after the solution was shown.
 */
#ifndef RL_PROGRESS_H
#define RL_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#define PROGRESS_MET 1
#define PROGRESS_MET_SHOWN 2

struct progress_entry {
	char id[96];          /* the script's id */
	unsigned steps_done;  /* furthest step reached */
	unsigned nsteps;      /* steps in the lesson when last played */
	unsigned right;       /* questions answered right */
	unsigned asked;       /* questions answered */
	int challenge_met;    /* 0, PROGRESS_MET, or PROGRESS_MET_SHOWN: met
				 only after the solution was shown */
};

struct progress {
	struct progress_entry *v;
	size_t n;
	size_t cap;
	char *dir;            /* directory holding the file; owned */
	char *path;           /* the file; owned */
};

/*
 * The state directory: $XDG_STATE_HOME/rabbitlab when that is an absolute
 * path, else $HOME/.local/state/rabbitlab. Returns a new string (caller
 * frees), or NULL when neither variable is usable.
 */
char *progress_default_dir(void);

/*
 * mkdir -p `dir`, mode 0700 for what it creates (also the class outbox's
 * directory). Returns 0, or -1 with errno (ENOTDIR: a file is in the way).
 */
int progress_mkdirs(const char *dir);

/*
 * Moves a damaged file aside to PATH.bad-<unix time> (never over an earlier
 * one). Returns 0 with *notice the new name, or -1 with *notice saying why
 * it could not; caller frees *notice either way.
 */
int progress_set_aside(const char *path, char **notice);

/*
 * Loads the progress file from `dir` (NULL: progress_default_dir()) into
 * *p, which is initialised first. A missing file is an empty progress.
 * Returns 0; or 1 when the file was damaged: it was renamed aside and
 * *notice (caller frees) says where to; or -1 when it could not be read
 * or the directory is unknown, with *notice saying why. In every case *p
 * is usable (possibly empty) and must be freed with progress_free.
 */
int progress_load(struct progress *p, const char *dir, char **notice);

/*
 * Writes *p atomically, creating the directory (mode 0700) if needed.
 * Returns 0, or -1 with *cause (caller frees); the old file is then intact.
 */
int progress_save(const struct progress *p, char **cause);

/* The entry for lesson `id`, or NULL. Borrowed until the next change. */
const struct progress_entry *progress_find(const struct progress *p,
    const char *id);

/*
 * The entry for `id`, added (zeroed) if missing; ids longer than the field
 * are cut. Borrowed until the next change.
 */
struct progress_entry *progress_get(struct progress *p, const char *id);

/* Frees what *p owns and zeroes it. */
void progress_free(struct progress *p);

#endif
