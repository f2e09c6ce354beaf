/*
 * The screen: the only part of rabbitlab that includes curses. It reads a
 * session (lesson/session.h) and sends it actions; no broker logic lives
 * here.
 */
#ifndef RL_UI_H
#define RL_UI_H

#include <stdint.h>

struct engine_ops;
struct lab;
struct script;

/*
 * What a caller adds to the lab screen (the watch: ui/watchview.h); each
 * may be NULL. key is offered every key before the lab (PANE_* flags;
 * PANE_HANDLED keeps it from the lab); draw draws over the lab's panes
 * after they are drawn; tick runs after each pass of the loop's time
 * (PANE_* flags). All run on the lab screen only.
 */
struct ui_hooks {
	int (*key)(void *ctx, struct lab *lab, int key);
	void (*draw)(void *ctx, struct lab *lab);
	int (*tick)(void *ctx, struct lab *lab);
};

struct ui_opts {
	const char *lang;          /* "en" or "zh" */
	const char *lessons_dir;   /* where the shipped lessons are */
	const char *script;        /* open this script at once, or NULL: picker */
	int sandbox;               /* open `script` (or the first lesson) as sandbox */
	int autoplay;              /* classroom: steps advance on a timer */
	int autoplay_ms;           /* timer for autoplay; 0: presenter key only */
	const char *record;        /* write the session's actions here on exit */
	const char *cast;          /* record the screen here as an asciicast
				      (ui/cast.h), or NULL */
	int cast_cols, cast_rows;  /* the cast's size */
	const char *speed;         /* the starting speed (ui_speed_known), or
				      NULL: 1x */
	int has_seed;
	uint64_t seed;
	const struct engine_ops *ops; /* NULL: the simulated engine */
	const char *url;           /* live engine: the broker URL, or NULL */
	struct script *first;      /* a script already loaded, opened at once
				      (as the sandbox when `sandbox`);
				      ownership passes; NULL: `script` */
	const struct ui_hooks *hooks; /* NULL: none */
	void *hooks_ctx;
	const char *locale_dir;    /* where LANG/LC_MESSAGES/rabbitlab.mo are;
				      NULL: $RABBITLAB_LOCALEDIR, "locale"
				      beside the binary, then DATADIR/../locale */
};

/*
 * Runs the lab until the user quits. Returns the exit status: 0, or 2 with a
 * message on stderr when there is no usable terminal (pointing to
 * `rabbitlab replay`), the script does not load or the cast file cannot be
 * written; 1 when the recording or the cast was not written in full.
 */
int ui_main(const struct ui_opts *opts);

/*
 * Whether `label` names one of the screen's speeds ("1/4x", "1/2x", "1x",
 * "2x", "4x", "8x", "max"), as --speed takes them.
 */
int ui_speed_known(const char *label);

/*
 * Starts curses on stdin/stdout as every screen of the lab does (keypad,
 * no delay, no cursor, the mouse, Unicode lines in a UTF-8 locale), after
 * i18n_setup. Returns the screen, or NULL with *why (translated, static)
 * when TERM is unset or unknown or cannot move the cursor. The caller
 * ends it with endwin() and delscreen().
 */
struct screen *ui_curses_open(const char **why);

#endif
