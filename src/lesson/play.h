/*
 * The script player: plays a script's runs against an engine, and judges
 * expectations. It is the one place that knows how a run starts (which
 * toggles, in which order, then the topology and every consumer), what each
 * action does to the engine, how a wait or a settle spends time, and how an
 * expectation reads the ledger and the queues. The lesson runner (replay),
 * the screen's sessions and the conformance check (compare) all play
 * scripts through it; they differ only in what they print, record or
 * compare around each step.
 *
 * Call order:
 *   play_init -> play_start(run) -> steps: play_walk (all at once), or
 *   play_begin + play_clamp/play_time_up + play_end (over time, as the
 *   screen does), or play_begin + play_run_out -> play_stop -> play_start
 *   again for another run ... -> play_done.
 *
 * The player owns its engine and its ledger. Every event of the engine
 * reaches the ledger first, then the caller's sink. Errors are returned as
 * -1 with *cause set to a message the caller frees. No curses, no output.
 */
#ifndef RL_PLAY_H
#define RL_PLAY_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "lesson/script.h"
#include "model/ledger.h"

/* Which run of a script: what a fresh engine starts from, which steps. */
enum play_run {
	PLAY_LESSON,    /* the script's toggles; the lesson's steps */
	PLAY_CHALLENGE, /* then the challenge's setup; the challenge's steps */
	PLAY_SOLVED,    /* then its solution too; the challenge's steps */
};

struct play_opts {
	const struct engine_ops *ops; /* NULL: the simulated engine */
	const char *url;              /* live engine: engine_opts.url */
	int has_seed;                 /* seed overrides the script's */
	uint64_t seed;
	/* Called with every event after the ledger has it; may be NULL. */
	void (*sink)(void *ctx, const struct event *ev);
	void *sink_ctx;
};

struct play {
	const struct script *s;       /* borrowed: outlives the player */
	const struct engine_ops *ops; /* the engine every run uses */
	struct engine *e;             /* the current run's; NULL between */
	struct ledger *ledger;        /* the current run's fates (owned) */
	uint64_t seed;                /* the seed runs start from */
	enum play_run run;            /* the current or last run */
	const char *url;
	void (*sink)(void *ctx, const struct event *ev);
	void *sink_ctx;
	/* A step begun by play_begin whose wait or settle is not over. */
	const struct script_step *pending;
	int64_t wait_until;           /* a wait ends here; -1: none */
	int settling;                 /* a settle is running ... */
	int64_t settle_until;         /* ... until here, or until quiet */
};

/*
 * Whether the steps' expectations are judged: always, unless the script's
 * story is bound to its seed (seed_bound) and the runs use another one;
 * then they are shown, not judged. A challenge's goal is always judged.
 */
int play_judged(const struct play *p);

/* Sets up a player for script `s` (borrowed). Starts nothing. */
void play_init(struct play *p, const struct script *s,
    const struct play_opts *o);
/* Stops the run, if any, and frees what the player owns. */
void play_done(struct play *p);

/*
 * Starts `run` on a fresh engine and an empty ledger (stopping the current
 * run first): the script's toggles, then for a challenge run its setup and
 * for PLAY_SOLVED its solution, then the topology, then every consumer.
 * Returns 0, or -1 with *cause (the engine's reason, as is); the run may
 * then be half built (p->e NULL if the engine could not be created).
 */
int play_start(struct play *p, enum play_run run, char **cause);
/* Destroys the run's engine and empties the ledger. */
void play_stop(struct play *p);
/* The steps of `run` (n of them); none when the script has no challenge. */
const struct script_step *play_steps(const struct play *p, enum play_run run,
    size_t *n);

/*
 * Performs step `st`'s action now. A wait or a settle only marks its end:
 * the step is then pending until play_run_out spends the time at once or
 * play_time_up says ticks have (other actions leave nothing pending).
 * Returns 0, or -1 with *cause (the engine's reason, as is).
 */
int play_begin(struct play *p, const struct script_step *st, char **cause);
/* Whether the pending step spends time: a wait or a settle. */
int play_timed(const struct play *p);
/*
 * Spends the pending step's wait or settle at once (its time is then up);
 * 0 or -1 with *cause.
 */
int play_run_out(struct play *p, char **cause);
/*
 * Whether the pending step's time is over now (a wait reached its end; a
 * settle reached its end or the scenario went quiet); 1 with nothing
 * pending.
 */
int play_time_up(struct play *p);
/* The most time (us) a tick may move so as not to overshoot a pending end. */
int64_t play_clamp(const struct play *p, int64_t us);
/* Forgets the pending step (its time is over, or the run is dropped). */
void play_end(struct play *p);

/* What play_walk tells its caller around each step; either may be NULL. */
struct play_hooks {
	/* Before step i's action. */
	void (*before)(void *ctx, size_t i, const struct script_step *st);
	/* After it, time spent; nonzero stops the walk. */
	int (*after)(void *ctx, size_t i, const struct script_step *st);
};

/*
 * Plays the current run's steps in order, each one's time spent at once.
 * Returns 0; 1 when `after` stopped the walk; -1 with *cause as
 * "FILE:LINE: reason" when the engine refused a step.
 */
int play_walk(struct play *p, const struct play_hooks *h, void *ctx,
    char **cause);

/* ---- expectations ----------------------------------------------------- */

/*
 * The script's compare rule for `counter` at step `step` (1-based; 0: the
 * run as a whole: fates and reply codes) of run `run`, or NULL: the two
 * engines must agree exactly. The one reading of the rules, for compare
 * and for expectations on a real broker.
 */
const struct script_tolerance *play_rule(const struct script *s,
    enum play_run run, size_t step, const char *counter);

/*
 * On a real broker, the reason a missed expectation on `counter` at step
 * `st` of the running run (NULL: at its end, the challenge's goal) is
 * shown rather than judged: the compare rule for it there says a real
 * broker differs (a race, a rate). NULL on the simulated engine, where
 * every expectation is judged, and where no rule names the counter.
 */
const char *play_excuse(const struct play *p, const struct script_step *st,
    const char *counter);

enum play_verdict {
	PLAY_HELD,    /* the value lies in [min, max] */
	PLAY_MISSED,  /* it does not */
	PLAY_UNKNOWN, /* no such counter, queue or queue field */
};

/* One expectation judged. */
struct play_check {
	enum play_verdict verdict;
	uint64_t got;   /* the value read; 0 when unknown */
	char what[160]; /* the expectation: "lost == 1", "lost in [0, 2]" */
	char text[320]; /* for a person: "lost == 1, but it is 0" */
};

/*
 * Judges expectation `x` against ledger counters `sum` and queue depths
 * `queues` (n of them; a queue that does not exist counts as empty).
 * "queue.NAME.ready" and "queue.NAME.unacked" read queue NAME (the name
 * may hold dots: the field follows the last one); every other name is a
 * ledger counter. Fills *out and returns its verdict. An unknown counter,
 * queue or field is PLAY_UNKNOWN with a message saying which.
 */
enum play_verdict play_eval(const struct ledger_summary *sum,
    const struct engine_queue_view *queues, size_t n,
    const struct script_expect *x, struct play_check *out);
/* The same against the current run now (the engine's view if needed). */
enum play_verdict play_expect(struct play *p, const struct script_expect *x,
    struct play_check *out);
/*
 * Checks the challenge's goal against the current run. Returns -1 when
 * every part of it holds; else the index of the first part that does not,
 * with its check in *miss (may be NULL).
 */
long play_goal_miss(struct play *p, struct play_check *miss);

#endif
