/*
 * The lab screen: one session (a guided lesson or the sandbox) shown as
 * panes, driven by keys, mouse and a paced clock. ui.c owns the terminal
 * and the poll() loop and calls in here; the pane modules (flow, board,
 * evlog, guide, bar, help, trace, code, gloss) read the struct below.
 */
#ifndef RL_LAB_H
#define RL_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "lesson/session.h"
#include "ui/code.h"
#include "ui/gloss.h"
#include "ui/goal.h"
#include "ui/pane.h"
#include "ui/progress.h"

/* The lab's panes, in drawing order (overlays last). */
enum lab_pane {
	LAB_HEADER,
	LAB_PRODUCER,
	LAB_EXCHANGE,
	LAB_QUEUES,
	LAB_CONSUMER,
	LAB_WIRES,   /* arrows and tokens between the four, the legend line */
	LAB_LEDGER,
	LAB_GUIDE,   /* the lesson */
	LAB_LOG,
	LAB_FOOTER,
	LAB_HELP,    /* overlay */
	LAB_TRACE,   /* overlay: one message's timeline */
	LAB_CODE,    /* overlay: the toggles as code */
	LAB_GLOSS,   /* overlay: the glossary */
	LAB_GOAL,    /* a challenge's goal, in the log's place */
	LAB_NPANES
};

enum lab_overlay {
	LAB_OV_NONE,
	LAB_OV_HELP,
	LAB_OV_TRACE,
	LAB_OV_CODE,
	LAB_OV_GLOSS,
};

#define LAB_MIN_COLS 80
#define LAB_MIN_LINES 24
#define LAB_MAX_QUEUES 8
/* Exchanges whose rows the wires follow; more are drawn, unfollowed. */
#define LAB_MAX_EXCHANGES 16

struct lab_opts {
	const char *lang;       /* "en" or "zh" */
	int autoplay;           /* classroom: steps advance by themselves */
	int autoplay_ms;        /* 0: only on the presenter key */
	int has_seed;
	uint64_t seed;
	struct progress *progress; /* borrowed; NULL keeps none */
	const char *lessons_dir; /* where GLOSSARY.md is looked for first;
				    borrowed, may be NULL */
	const struct engine_ops *ops; /* NULL: the simulated engine */
	const char *url;        /* live engine: the broker URL, or NULL */
	const char *speed;      /* the starting speed's label, NULL: 1x */
};

/* One queue as drawn this frame (a copy: engine views are borrowed). */
struct lab_queue {
	char name[64];
	struct engine_queue_view v; /* v.name points at `name` */
	int role;                   /* enum queue_role */
};

struct lab {
	struct script *script;      /* owned */
	struct session *ss;         /* owned */
	enum session_mode mode;
	struct lab_opts o;

	/* Pacing (lab.c). */
	int paused;
	int speed;                  /* index into the speed table */
	int finishing;              /* G: run to quiet without holding */
	int64_t due_ms;             /* monotonic ms when time moves next */
	int64_t quiet_us;           /* virtual time since the last event */
	int64_t jump_us;            /* virtual time the last move skipped */
	int64_t pace_ms, pace_us;   /* wall ms and virtual time at the last
				       lab_kick: how far behind its speed
				       the animation has fallen */
	int burst_run;              /* held instants in a row that came
				       within a millisecond of each other */
	int64_t autoplay_due;       /* monotonic ms, -1: none */
	int stalled;                /* quiet too long: time stopped */
	/*
	 * In a lesson, time moves only while a step's wait or settle runs
	 * (so the step's expectations see what the script meant) or after
	 * the learner's own action; in the sandbox, whenever anything is
	 * going on.
	 */
	int step_running;           /* a step or challenge run is playing */
	int free_run;               /* the learner acted: let it play out */
	int live_chain;             /* live engine: run steps back to back
				       up to the next question */

	/* This frame's snapshot, taken before drawing. */
	struct engine_view view;
	struct lab_queue queues[LAB_MAX_QUEUES];
	size_t nqueues;
	/* The screen row of exchange i's name in its pane, -1 if not shown:
	 * written by the exchange pane, read by the wires drawn after it. */
	int ex_row[LAB_MAX_EXCHANGES];
	struct ledger_summary sum;
	struct session_token *tokens; /* owned copy */
	size_t ntokens, tokens_cap;

	/* Selection, overlays, typed id. */
	uint32_t selected;          /* message id, 0: none */
	enum lab_overlay overlay;
	struct code_view code;      /* the code overlay's state */
	struct gloss gloss;         /* the glossary, loaded on first open */
	int typing;                 /* reading a message id */
	char idbuf[12];

	/* What the session does not keep about questions. */
	long qa_step;               /* step index of the last answer, -1 */
	int qa_choice;              /* 0-based */
	int qa_right;
	int qa_open;                /* its verdict is on screen (guide.c) */
	char act_note[200];         /* why the last key did not do the
				       waiting learner step (guide.c) */
	long act_note_step;         /* the step it was for ("": none) */
	int solution_shown;
	int challenge_tried;
	int64_t chal_from[TOGGLE_COUNT]; /* the toggles as the challenge
					    opened (goal_run_unchanged) */
	int run_asked;              /* space once on them unchanged */
	struct goal_player player;  /* the solution playing on screen */
	int next_lesson;            /* set with PANE_QUIT: open the next
				       lesson rather than the list */
	int last_lesson;            /* no lesson follows this one (ui.c) */

	/* '=': typing a toggle's number. */
	int setting;                /* 1: waiting for the toggle's key; 2:
				       reading its digits */
	const struct keys_def *set_row; /* the toggle being set */
	char setbuf[16];

	/* R asks first and can be taken back right after. */
	int confirm_reset;          /* R pressed: y resets, other keys not */
	int reset_undo;             /* the last key reset: undo restores */
	struct lab_kept {
		long qa_step;
		int qa_choice, qa_right, solution_shown, challenge_tried;
	} kept;                     /* the lab's part of the place reset */

	/* Toggles the lesson talks about: shown first when room is short. */
	unsigned char toggle_prio[TOGGLE_COUNT];

	char status[300];           /* one line for the header, "" none */
	int status_bad;

	struct pane panes[LAB_NPANES];
	int too_small;

	struct build *build;        /* the sandbox builder's form (ui/build.h),
				       NULL when closed; takes every key */
};

/*
 * Opens a lab on script `s` (ownership passes to the lab, even on error).
 * Returns 0, or -1 with *cause (caller frees) when the session could not
 * start.
 */
int lab_open(struct lab *lab, struct script *s, enum session_mode mode,
    const struct lab_opts *o, char **cause);
/* Frees the session and the script. */
void lab_close(struct lab *lab);
/*
 * Starts the lab's session again on script `s` (ownership passes to the
 * lab, even on error), the old script and session freed on success: the
 * sandbox builder's edits; the top bar then says the ledger starts from
 * zero. Returns 0, or -1 with *cause (caller frees),
 * the lab unchanged.
 */
int lab_rebuild(struct lab *lab, struct script *s, char **cause);

/* Draws everything (erase, panes, overlays); the caller refreshes. */
void lab_draw(struct lab *lab);

/* Handles one key; returns PANE_* flags. */
int lab_key(struct lab *lab, int key);
/* Gives the key to what holds the keyboard before the lab's own keys (a
 * typed message id, the reset question, a number being set, the builder,
 * an open overlay): its PANE_* flags, or -1 when none of them took it. */
int lab_modal_key(struct lab *lab, int key);
/* Handles a click at (y, x); returns PANE_* flags. */
int lab_click(struct lab *lab, int y, int x);

/*
 * Pacing. lab_timeout says how long the loop may sleep, in ms (-1: until
 * input); lab_run moves time if it is due and returns PANE_* flags.
 * `now_ms` is the monotonic clock.
 */
int lab_timeout(struct lab *lab, int64_t now_ms);
int lab_run(struct lab *lab, int64_t now_ms);

/* Sets the status line (printf); `bad` shows it as an error. */
void lab_status(struct lab *lab, int bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The speed label ("1x", "max") and whether time is moving on its own.
 * Both only read: lab_animating reports the state as lab_timeout and
 * lab_run last settled it (a run that ended since is noticed there, not
 * here), so drawing never changes the lab nor writes the progress file.
 */
const char *lab_speed_label(const struct lab *lab);
/*
 * The index of the speed labelled `label` ("1/4x" ... "8x", "max"); NULL
 * gives 1x; -1 when no speed has that label.
 */
int lab_speed_index(const char *label);
int lab_animating(const struct lab *lab);

/*
 * For the lab's helpers (goal.c, entry.c). lab_cause shows `cause` (freed)
 * or `fallback` as an error; lab_kick restarts pacing after a change;
 * lab_act lets the learner's action play out. lab_toggles_get copies every
 * toggle's value; lab_toggles_set sets each that differs, numbers before
 * switches (a family's number is in place when its switch turns on), and
 * returns 0, or -1 after showing why one was refused. lab_next is space:
 * the next step, the challenge's run, or the next lesson; PANE_* flags.
 */
void lab_cause(struct lab *lab, char *cause, const char *fallback);
void lab_kick(struct lab *lab);
void lab_act(struct lab *lab);
void lab_toggles_get(const struct lab *lab, int64_t v[TOGGLE_COUNT]);
int lab_toggles_set(struct lab *lab, const int64_t v[TOGGLE_COUNT]);
int lab_next(struct lab *lab);

/*
 * Monotonic milliseconds, or the value at `virtual_ms` once lab_clock_use
 * gave one (a cast playing at its own pace: ui/castplay.h); NULL goes back
 * to the monotonic clock. The pointer is borrowed until then.
 */
int64_t lab_clock_ms(void);
void lab_clock_use(const int64_t *virtual_ms);

#endif
