/*
 * The challenge's goal as a target beside the ledger, and the solution
 * played on screen. During a challenge the goal pane takes the event log's
 * place: each goal counter, the value it must reach, where the ledger
 * stands now, met or not. "Show solution" plans one beat per solution
 * toggle, each with the keys that set it (ui/keys.h keys_reach), and the
 * lab plays the beats one by one before running the challenge.
 */
#ifndef RL_GOAL_H
#define RL_GOAL_H

#include <stddef.h>
#include <stdint.h>

#include "lesson/script.h"
#include "model/toggle.h"
#include "ui/pane.h"

#define GOAL_MAX_BEATS 16 /* solution toggles a plan can hold */
#define GOAL_BEAT_MS 900  /* real time each beat stays on screen */

struct goal_player {
	size_t n;       /* beats planned */
	size_t at;      /* beats played */
	int64_t due_ms; /* monotonic ms of the next beat or of the run; -1:
			   not playing */
	char text[GOAL_MAX_BEATS][160];     /* the keys, as a learner reads
					       them */
	int64_t v[GOAL_MAX_BEATS][TOGGLE_COUNT]; /* all toggles after it */
};

/*
 * Plans the beats that bring the toggles from `now` to the solution of
 * `c`, in the solution's order. Returns 0; or -1 when a solution toggle is
 * out of the keys' reach or there are more than GOAL_MAX_BEATS, with
 * *bad the toggle that fails (-1: too many). gp->due_ms is left -1.
 */
int goal_plan(struct goal_player *gp, const struct script_challenge *c,
    const int64_t now[TOGGLE_COUNT], int *bad);

/*
 * The goal on one line at (y, x), w columns: each counter as target/now,
 * marked met or not. For when the lesson text needs the pane's room.
 */
struct lab;
void goal_line(struct lab *lab, int y, int x, int w);
/*
 * When challenge c's run is a fixed span of virtual time (its last step a
 * wait, and no settle, restart or paced publish, whose length depends on
 * the toggles), the milliseconds into the run at which its goal is judged;
 * else -1.
 */
int64_t goal_checked_at_ms(const struct script_challenge *c);
/* A goal counter's target as the screen writes it: "3", or "2-5"; in buf. */
const char *goal_target(const struct script_expect *x, char *buf, size_t len);

/*
 * S: a fresh challenge, then the solution's toggles one beat at a time
 * (goal_play_beat, called from the lab's pacing, plays them), then the
 * run. Both return PANE_* flags; goal_play_beat does nothing until
 * lab->player.due_ms (monotonic ms) comes.
 */
int goal_play_start(struct lab *lab);
/*
 * The challenge opened: its toggles are remembered. Before its first run,
 * a space on them unchanged only says so (goal_run_unchanged returns 1);
 * the next space runs it as it is.
 */
void goal_opened(struct lab *lab);
int goal_run_unchanged(struct lab *lab);
int goal_play_beat(struct lab *lab, int64_t now_ms);

/* The goal pane (draws from the lab's ledger summary). */
extern const struct pane_ops goal_ops;

#endif
