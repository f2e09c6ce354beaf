/*
 * Lesson scripts: loading and validating the libconfig files under lessons/.
 *
 * A script is a scenario (topology, toggles, seed), a list of steps
 * (narration, actions, expectations on the ledger, predict-then-observe
 * questions) and an optional challenge. The format is documented for
 * teachers in lessons/FORMAT.md. Loading checks everything it can without
 * running: every problem is reported as "FILE:LINE: what was expected", and
 * a script that loads is safe to run.
 */
#ifndef RL_SCRIPT_H
#define RL_SCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "model/toggle.h"
#include "model/topology.h"

/* A text in both languages; both are required wherever a text is. */
struct script_text {
	char *en;
	char *zh;
};

struct script_toggle {
	enum toggle_id id;
	int64_t value;
	int line;
};

/* An expectation: summary counter `counter` must lie in [min, max]. */
struct script_expect {
	char *counter; /* a ledger_counter name, or "queue.NAME.ready"/".unacked" */
	uint64_t min;
	uint64_t max;
	int line;
};

enum script_action_kind {
	ACT_NONE,     /* narration or question only */
	ACT_PUBLISH,  /* publish: count, exchange, key, ... */
	ACT_TOGGLE,   /* set: { name = value; ... } */
	ACT_FAIL,     /* failure: name, target, ms, times, unreadable */
	ACT_RESTART,  /* start the broker again */
	ACT_WAIT,     /* ms */
	ACT_SETTLE,   /* run until quiet, at most ms (default 60000) */
	ACT_CONSUME,  /* start a consumer (consumer = NAME, default all) */
	ACT_STOP,     /* stop a consumer */
};

/* What the screen's publish keys send (+ one, * a burst): a learner step
 * that publishes must publish one of these, with the topology's
 * defaults. */
#define SCRIPT_KEY_PUBLISH 1
#define SCRIPT_KEY_BURST 10

struct script_action {
	enum script_action_kind kind;
	/* ACT_PUBLISH; the strings are owned by the script. */
	struct publish_req publish;
	/* ACT_TOGGLE */
	struct script_toggle *toggles;
	size_t ntoggles;
	/* ACT_FAIL; fail.target is owned by the script. */
	struct failure_req fail;
	/* ACT_WAIT, ACT_SETTLE: milliseconds; a wait may instead give `us` */
	int64_t ms;
	int64_t us;
	/*
	 * ACT_WAIT: the wait ends as soon as the step's expectations all hold
	 * (ms is then the most it lasts): a state to reach, not a window to
	 * time, so a slow machine only takes longer to get there.
	 */
	int until_met;
	/* ACT_CONSUME, ACT_STOP: NULL for every consumer */
	char *consumer;
};

/* Which run of a challenge a comparison rule is for. */
enum script_cmp_run {
	SCRIPT_RUNS_BOTH,     /* every run the rule's place has */
	SCRIPT_RUN_WITHOUT,   /* the challenge without its solution */
	SCRIPT_RUN_WITH,      /* the challenge with its solution */
};

/*
 * A difference `rabbitlab compare` forgives between the simulated and the
 * live engine, with its reason. It sits next to what it excuses: on a step
 * (that step's checkpoint; with `onward`, every later one of the run too),
 * at the top level (every checkpoint of the lesson's run, and its fates and
 * reply codes) or in the challenge (both challenge runs, or one). See
 * lessons/FORMAT.md, "Comparing with a real broker".
 */
struct script_tolerance {
	char **counters;  /* names; "x*" matches every counter starting "x";
			     at run level also "fates", "reasons", "repeats",
			     "codes" */
	size_t ncounters;
	double within;    /* > 0: may differ by this fraction of the larger
			     value; 0: not compared at all */
	int onward;       /* a step's rule: later checkpoints too */
	int run;          /* enum script_cmp_run */
	char *why;        /* why the difference is the machine's */
	int line;
};

struct script_question {
	struct script_text prompt;
	struct script_text *choices;
	size_t nchoices;       /* 2 to 6 */
	size_t answer;         /* index into choices */
	struct script_text explain;
};

struct script_step {
	int line;
	struct script_text say;          /* en NULL if none */
	struct script_question *ask;     /* NULL if none */
	struct script_action action;
	struct script_expect *expects;
	size_t nexpects;
	struct script_tolerance *tolerances; /* compare rules, this step */
	size_t ntolerances;
	/*
	 * learner = true: on screen the lesson waits for the learner to do
	 * the action by its key (a toggle, failure, restart, consume, stop);
	 * replay, autoplay and compare perform it as scripted.
	 */
	int learner;
};

struct script_challenge {
	int line;
	struct script_text goal;
	struct script_toggle *setup;     /* toggles the challenge starts from */
	size_t nsetup;
	struct script_step *steps;       /* the run to judge, from a fresh start */
	size_t nsteps;
	struct script_expect *expects;   /* the goal on fates */
	size_t nexpects;
	struct script_text *hints;
	size_t nhints;
	struct script_toggle *solution;  /* toggles that reach the goal */
	size_t nsolution;
	/* Toggles the learner may not change in the challenge (1 each): the
	 * goal says why; the solution names none of them. */
	unsigned char fixed[TOGGLE_COUNT];
	struct script_tolerance *tolerances; /* compare rules, its runs */
	size_t ntolerances;
};

struct script {
	char *path;
	char *id;
	struct script_text title;
	struct script_text summary;
	uint64_t seed;
	int seed_bound;                  /* the steps' expectations tell the
					    story of `seed` only */
	int sim_only;                    /* uses what a real broker lacks */
	struct topology topo;
	struct script_toggle *toggles;   /* set before the first step */
	size_t ntoggles;
	struct script_step *steps;
	size_t nsteps;
	struct script_challenge *challenge; /* NULL if none */
	struct script_tolerance *tolerances; /* compare rules, lesson's run */
	size_t ntolerances;
};

/* Problems found while loading: each line is "FILE:LINE: message". */
struct script_diag {
	char **lines;
	size_t count;
	size_t cap;
};

/*
 * Loads and validates the script at `path`. Returns the script (free with
 * script_free), or NULL with at least one line added to *diag. Never exits,
 * never prints.
 */
struct script *script_load(const char *path, struct script_diag *diag);
/*
 * The same from memory; `name` stands for the file name in messages. Such
 * a script may not use @include.
 */
struct script *script_load_string(const char *text, const char *name,
    struct script_diag *diag);
void script_free(struct script *s);

/*
 * Where @include may read from. By default a script may include only files
 * in its own directory tree (its directory and below, compared as real
 * paths, so ".." and symbolic links cannot lead out). Each call adds the
 * tree at `dir` for every later script_load in this process, and a
 * relative include name missing beside the script is looked for there.
 * Returns 0, or -1 with *cause set (caller frees) when `dir` does not
 * resolve or is not a directory. Not thread-safe: call before loading.
 */
int script_include_dir_add(const char *dir, char **cause);
/* Forgets every tree script_include_dir_add added. */
void script_include_dirs_clear(void);

/*
 * Whether `rabbitlab compare` takes a checkpoint after step i of a run of
 * n steps: after every step with expectations, and after the last.
 */
int script_checkpoint(const struct script_step *steps, size_t n, size_t i);
/*
 * Step i of the lesson (not the challenge) as the screen paces it:
 * whether it runs by itself right after step i - 1 ends (it neither says,
 * asks nor waits for the learner, and is not the first), and how many
 * presses of space the lesson takes from its start to its challenge: one
 * per step that is neither chained, nor the learner's, nor a question
 * (answering plays it; the space that follows only reads on), plus one
 * for each question (to read on after its verdict) and one to start the
 * challenge.
 */
int script_step_chained(const struct script *s, size_t i);
size_t script_presses(const struct script *s);
/*
 * Step i's number as the learner sees it, from 1: chained steps are part
 * of the step they follow, so they share its number. An i past the last
 * step gives the number of the last, which is how many steps are shown.
 */
size_t script_step_number(const struct script *s, size_t i);
/* Steps of the lesson that wait for the learner's key. */
size_t script_learner_steps(const struct script *s);

/* Whether rule `t` names `counter` (exactly, or by a prefix "x*"). */
int script_tolerance_matches(const struct script_tolerance *t,
    const char *counter);
/*
 * The comparison rule that applies to `counter` at the checkpoint after
 * step `at` of a run (steps[0..n)): the step's own rules first, then the
 * onward rules of earlier steps (the nearest first), then the run's `wide`
 * rules; rules for the other challenge run than `run` (enum
 * script_cmp_run) are passed over. With steps NULL only `wide` is read
 * (fates and reply codes). Returns the first that names the counter, or
 * NULL: compared exactly.
 */
const struct script_tolerance *script_tolerance_find(
    const struct script_step *steps, size_t n, size_t at,
    const struct script_tolerance *wide, size_t nwide, int run,
    const char *counter);

/* The text in `lang` ("en" or "zh"); falls back to English; never NULL. */
const char *script_text_get(const struct script_text *t, const char *lang);

void script_diag_add(struct script_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void script_diag_free(struct script_diag *d);

#endif
