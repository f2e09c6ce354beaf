/*
 * The headless player behind `replay --cast`. It opens the lab on the
 * lesson as the screen does with --autoplay, points the lab's clock at a
 * virtual one (lab_clock_use) and runs the screen's loop without poll():
 * instead of sleeping for the timeout the lab asks for, it moves the
 * virtual clock on by it. Where the screen would wait for a person, at a
 * question, the player thinks for step_ms and gives the right answer;
 * where the screen would stop a long quiet stretch, it lets time go on.
 * Each redraw becomes a frame of the cast at the virtual time.
 */
#include "ui/castplay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script.h"
#include "lesson/session.h"
#include "ui/cast.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/layout.h"
#include "util/xmalloc.h"

#define CASTPLAY_EXIT_BAD 2
/* A lesson still moving after this long, or this many turns of the loop,
 * is stuck, not slow. */
#define CASTPLAY_MAX_MS (INT64_C(6) * 3600 * 1000)
#define CASTPLAY_MAX_TURNS 20000000L

/* The language, in a UTF-8 locale whatever the caller's: casts are UTF-8. */
static const char *
castplay_locale(const char *lang)
{
	const char *l = i18n_setup(lang, NULL);

	if (!i18n_utf8()) {
		unsetenv("LC_ALL");
		setenv("LC_CTYPE", "C.UTF-8", 1);
		l = i18n_setup(lang, NULL);
	}
	return l;
}

static void
castplay_draw(void *ctx)
{
	struct lab *lab = ctx;

	layout_lab(lab);
	lab_draw(lab);
}

/*
 * What the player does when the lab asks for no timeout: answers the
 * waiting question (after step_ms of thought), or says the lesson is over
 * (1). PANE_* flags in *flags; -1 when nothing
 * can move the lesson on.
 */
static int
castplay_idle(struct lab *lab, int64_t *now, int step_ms, int *flags)
{
	const struct script_step *cur = session_current_step(lab->ss);

	*flags = 0;
	if (cur == NULL)
		return 1;
	if (cur->ask && !session_lesson(lab->ss)->answered) {
		*now += step_ms;
		*flags = lab_key(lab, '1' + (int)cur->ask->answer);
		return 0;
	}
	return -1;
}

/* The lab's loop on the virtual clock; 0, or 2 with a message. */
static int
castplay_loop(struct lab *lab, struct cast *c, int64_t *now,
    const struct castplay_opts *o)
{
	cast_frame(c, *now, castplay_draw, lab);
	for (long turn = 0; turn < CASTPLAY_MAX_TURNS && *now < CASTPLAY_MAX_MS;
	    turn++) {
		int t = lab_timeout(lab, *now), flags = 0, end = 0;

		if (t >= 0) {
			*now += t;
			flags = lab_run(lab, *now);
			if (lab->stalled) {
				/* The screen stops a long quiet stretch for
				 * the learner to press '.' (and says so); a
				 * cast goes on at the same pace. */
				lab_kick(lab);
				lab->status[0] = '\0';
			}
		} else
			end = castplay_idle(lab, now, o->step_ms, &flags);
		if (end < 0)
			break;
		if (flags & PANE_REDRAW)
			cast_frame(c, *now, castplay_draw, lab);
		if (end > 0)
			return 0;
	}
	fprintf(stderr, "rabbitlab: %s: the lesson stopped moving at step "
	    "%zu of %zu before its end (the cast ends there)\n", o->script,
	    session_lesson(lab->ss)->step, session_lesson(lab->ss)->nsteps);
	return CASTPLAY_EXIT_BAD;
}

int
castplay_run(const struct castplay_opts *o)
{
	struct script_diag diag = { 0 };
	struct script *s = script_load(o->script, &diag);
	struct lab_opts lo;
	struct lab lab;
	struct cast *c;
	char *cause = NULL, *title;
	const char *no_color = getenv("NO_COLOR");
	int64_t now = 0;
	int rc;

	script_diag_free(&diag);
	if (s == NULL) {
		fprintf(stderr, "rabbitlab: %s: the script does not load "
		    "(rabbitlab check says why)\n", o->script);
		return CASTPLAY_EXIT_BAD;
	}
	memset(&lo, 0, sizeof lo);
	lo.lang = castplay_locale(o->lang);
	lo.autoplay = 1;
	lo.autoplay_ms = o->step_ms;
	lo.speed = o->speed;
	lo.has_seed = o->has_seed;
	lo.seed = o->seed;
	lo.lessons_dir = o->lessons_dir;
	title = xasprintf("rabbitlab: %s", script_text_get(&s->title,
	    lo.lang));
	c = cast_open(o->cast, o->cols, o->rows, title, 0,
	    no_color && *no_color, i18n_ascii(), &cause);
	free(title);
	if (c == NULL) {
		fprintf(stderr, "rabbitlab: --cast: %s\n", cause);
		free(cause);
		script_free(s);
		return CASTPLAY_EXIT_BAD;
	}
	lab_clock_use(&now);
	if (lab_open(&lab, s, SESSION_LESSON, &lo, &cause) != 0) {
		fprintf(stderr, "rabbitlab: %s: the lesson did not start: %s\n",
		    o->script, cause ? cause : "?");
		free(cause);
		lab_clock_use(NULL);
		cast_close(c, NULL);
		return CASTPLAY_EXIT_BAD;
	}
	rc = castplay_loop(&lab, c, &now, o);
	lab_close(&lab);
	lab_clock_use(NULL);
	if (cast_close(c, &cause) != 0) {
		fprintf(stderr, "rabbitlab: --cast: %s\n", cause);
		free(cause);
		rc = CASTPLAY_EXIT_BAD;
	}
	return rc;
}
