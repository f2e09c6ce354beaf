/*
 * The glossary overlay: every term the lessons use, in English and in
 * Chinese, with a one-line explanation in the session's language, read
 * from the lessons' GLOSSARY.md and searchable.
 */
#ifndef RL_GLOSS_H
#define RL_GLOSS_H

#include <stddef.h>

#include "ui/pane.h"

/* One row of the glossary's tables, or a section title. */
struct gloss_item {
	int heading;   /* a section title: only en and zh are set */
	char *en;      /* the term (or title) in English; owned */
	char *zh;      /* in Chinese; owned */
	char *say_en;  /* the explanation in English; owned, NULL for titles */
	char *say_zh;  /* in Chinese; owned, NULL for titles */
	int lesson;    /* the lesson that first shows it at work; 0 unknown */
};

struct gloss {
	struct gloss_item *v; /* titles and terms in file order; owned */
	size_t n, cap;
	size_t terms;         /* how many of v are terms */
	int loaded;           /* a load was tried (it is tried once) */
	char *path;           /* the file read, or the last one tried; owned */
	char *error;          /* why nothing was read; owned, NULL: none */
	char filter[96];      /* the learner's search, UTF-8; "" none */
	int typing;           /* keys go to the search */
};

extern const struct pane_ops gloss_ops;

/*
 * Reads GLOSSARY.md from `dir`, or when that fails from `other` (either may
 * be NULL). Returns 0, or -1 with g->error saying what was tried and why it
 * failed; g->loaded is set either way. Lines that are not a title or a
 * four-column table row are skipped.
 */
int gloss_load(struct gloss *g, const char *dir, const char *other);

/* Frees what *g owns and zeroes it. */
void gloss_free(struct gloss *g);

#endif
