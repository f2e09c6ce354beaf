/*
 * A session: one learner's run of a lesson or of the sandbox, as the screen
 * sees it. It owns the engine and the ledger, performs actions, paces time,
 * keeps the event log and where each message's token stands, steps through
 * the lesson, and can undo, reset and record. Nothing here draws: the screen
 * reads a session and calls its actions, and tests do the same without a
 * terminal.
 *
 * Undo and reset rebuild the engine and replay the recorded actions at the
 * virtual times they were taken; the simulated engine is deterministic, so
 * the result is the same state minus the undone action.
 */
#ifndef RL_SESSION_H
#define RL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "lesson/script.h"
#include "model/ledger.h"

enum session_mode {
	SESSION_LESSON,  /* guided: steps, questions, challenge */
	SESSION_SANDBOX, /* free play on the script's topology */
};

/* Where a message's token is drawn. */
enum session_place {
	PLACE_PRODUCER,    /* payment marked done, not yet sent */
	PLACE_TO_EXCHANGE, /* basic.publish on the wire */
	PLACE_EXCHANGE,    /* held by the exchange (delayed) or just routed */
	PLACE_QUEUE,       /* ready in queue `queue` */
	PLACE_TO_CONSUMER, /* basic.deliver on the wire / in the buffer */
	PLACE_CONSUMER,    /* being worked on */
	PLACE_DONE,        /* processed: acked */
	PLACE_DEAD,        /* parked in a dead-letter or error queue */
	PLACE_LOST,
};

/* Token flags. */
#define TOKEN_PERSISTENT 1
#define TOKEN_REDELIVERED 2
#define TOKEN_DEAD_LETTERED 4
#define TOKEN_DUPLICATE 8

struct session_token {
	uint32_t msg;
	enum session_place place;
	int queue;          /* index into the topology's queues, or -1 */
	unsigned flags;
	int64_t since;      /* virtual time it got there */
};

/* One line of the event log. */
struct session_logline {
	int64_t t;
	enum event_kind kind;
	enum event_actor actor;
	uint32_t msg;
	char text[320];     /* the transcript line without the time column */
};

/* The lesson's state for the current step. */
struct session_lesson {
	size_t step;        /* index of the next step to play; nsteps = done */
	size_t nsteps;
	int asking;         /* the current step's question awaits an answer */
	int answered;       /* index answered + 1, 0 if not */
	int answer_right;
	size_t expects_ok;  /* expectations checked so far that held */
	size_t expects_failed;
	size_t failed_at;   /* step index + 1 of the last failed one, 0 */
	size_t expects_unjudged; /* shown, not judged: the story is bound to
				    the script's seed and another was given */
	char failed[320];   /* the last failed expectation, "" if none */
	/* The same for the screen to word: the expectation (the script's)
	 * and the value found; NULL when none failed. */
	const struct script_expect *failed_x;
	uint64_t failed_got;
	char retry[320];    /* the learner's action missed its step's
			       expectation (this one) and was taken back;
			       "" if not */
	const struct script_expect *retry_x; /* as failed_x, for retry */
	uint64_t retry_got;
	int challenge_on;   /* the learner is working on the challenge */
	int challenge_met;  /* its goal holds now */
	size_t hints_shown;
};

struct session_opts {
	const struct engine_ops *ops; /* NULL: the simulated engine */
	const char *url;              /* live engine: engine_opts.url */
	const char *lang;             /* "en" or "zh" */
	int has_seed;
	uint64_t seed;
	size_t log_lines;             /* event log capacity; 0: 500 */
	/*
	 * Pace steps as the screen does: a step that neither says, asks nor
	 * waits for the learner (script_step_chained) starts by itself as
	 * soon as the one before it ends.
	 */
	int chain;
};

struct session;

/*
 * Starts a session on script `s` (borrowed: it must outlive the session).
 * Returns NULL with *cause (caller frees) if the engine refused it.
 */
struct session *session_create(const struct script *s, enum session_mode mode,
    const struct session_opts *o, char **cause);
void session_free(struct session *ss);

/*
 * Actions. Each returns 0, or -1 with *cause set (caller frees); each is
 * recorded for undo and for session_record.
 */
int session_toggle(struct session *ss, enum toggle_id id, int64_t value,
    char **cause);
/* Whether the challenge under way keeps toggle `id` as it is (its
 * `fixed`): session_toggle refuses to change it then. */
int session_fixed(const struct session *ss, enum toggle_id id);
/*
 * Sets every toggle to v[] as one action (numbers before switches): undo
 * takes it back whole. On a refusal the toggles set so far stay set.
 */
int session_toggles(struct session *ss, const int64_t v[TOGGLE_COUNT],
    char **cause);
int session_publish(struct session *ss, uint32_t count, char **cause);
int session_fail(struct session *ss, enum failure_kind kind, char **cause);
int session_restart(struct session *ss, char **cause);
/* Starts (on=1) or stops every consumer. */
int session_consume(struct session *ss, int on, char **cause);
/*
 * Takes back the last action; -1 with *cause if there is none, or on the
 * live engine (a real broker cannot take anything back).
 */
int session_undo(struct session *ss, char **cause);
/*
 * Whether the session runs on a real broker: time is the wall clock, so
 * session_tick() must be called every few tens of milliseconds with a small
 * budget, and nothing can be held back for the eye.
 */
int session_live(const struct session *ss);
/*
 * Whether the session watches someone else's application (rabbitlab
 * watch): its toggles are what the wire shows, and only those mean
 * anything.
 */
int session_watched(const struct session *ss);
/* Back to the start of the scenario (and of the lesson). */
int session_reset(struct session *ss, char **cause);
/*
 * Takes back the last session_reset, as long as nothing was recorded since:
 * replays the actions it dropped and moves time on to where it was. Returns
 * 0, or -1 with *cause (caller frees): nothing to take back, or a live
 * engine.
 */
int session_unreset(struct session *ss, char **cause);

/*
 * Moves time forward by at most `budget_us` of virtual time, stopping just
 * after the first instant at which something happened, so each change can
 * be shown. Returns the number of events that happened (0: nothing was
 * due within the budget, time still moved), or -1 with *cause set (caller
 * frees) when the engine could not move time; the session stays as it
 * was left, a running step still running.
 */
long session_tick(struct session *ss, int64_t budget_us, char **cause);
/* Virtual time now, in microseconds. */
int64_t session_now(const struct session *ss);
/* Whether anything is still going on (messages in flight, timers pending). */
int session_busy(const struct session *ss);

/* Lesson mode: the current step, NULL when every step was played. */
const struct script_step *session_current_step(const struct session *ss);
/*
 * Plays the current step's action and checks its expectations after letting
 * the scenario settle (at most 60 s of virtual time), then moves to the
 * next step. A step with a question must be answered first (-1 otherwise).
 * A learner step is played as the script has it (autoplay, "do it for
 * me"); session_learner_try is the learner's own way through it.
 */
int session_next_step(struct session *ss, char **cause);

/*
 * Learner steps (script_step.learner). The current step if it waits for
 * the learner's key and is not running, else NULL.
 */
const struct script_step *session_learner_step(const struct session *ss);

/* What session_learner_try made of a key. */
enum session_try {
	SESSION_TRY_NONE,  /* no learner step waits: act as usual */
	SESSION_TRY_WRONG, /* not what the step asks for: nothing was done */
	SESSION_TRY_MORE,  /* applied; the step wants more (a toggle not yet
			      at its value, or another of its toggles) */
	SESSION_TRY_DONE,  /* the step was played, as the script has it */
	SESSION_TRY_AGAIN, /* played, but an expectation missed: on the
			      simulated engine it was taken back with the
			      presses that led to it, and the step waits
			      again (lesson.retry says what happened) */
	SESSION_TRY_ERROR, /* the engine refused: *cause set */
};

/*
 * The learner pressed a key for `kind`: ACT_TOGGLE (toggle `id` to
 * `value`, the value its key steps to), ACT_FAIL (failure `id`),
 * ACT_RESTART, ACT_CONSUME or ACT_STOP (every consumer), ACT_PUBLISH (`id`
 * messages: SCRIPT_KEY_PUBLISH or SCRIPT_KEY_BURST). A key that
 * matches the waiting step plays the step's own action, with the script's
 * parameters (for toggles: once every toggle of its set holds its value;
 * each press before that is applied as the key's toggle). A key that does
 * not match is not applied.
 */
enum session_try session_learner_try(struct session *ss,
    enum script_action_kind kind, int id, int64_t value, char **cause);
/*
 * The same for a toggle key whose press sets the toggles to v[] (a
 * family's key may move its switch and its number at once, as in free
 * play): it is the step's when it changes a toggle of the step's set.
 */
enum session_try session_learner_press(struct session *ss,
    const int64_t v[TOGGLE_COUNT], char **cause);

/* Answers the current question with choice `i` (0-based); 1 if right. */
int session_answer(struct session *ss, size_t i);
/* Starts the challenge: a fresh scenario with the challenge's setup. */
int session_challenge_start(struct session *ss, char **cause);
/*
 * Runs the challenge's steps on the current toggles at once and judges the
 * goal: 1 met, 0 not, -1 with *cause.
 */
int session_challenge_run(struct session *ss, char **cause);
/*
 * The same, played over time: the steps run as session_tick moves time, and
 * the goal is judged when the last one ends (challenge_met then says how it
 * went; session_step_running turns 0).
 */
int session_challenge_play(struct session *ss, char **cause);
/* Whether a lesson step or a challenge run is still playing. */
int session_step_running(const struct session *ss);
/* Shows one more hint; returns the number shown. */
size_t session_hint(struct session *ss);
const struct session_lesson *session_lesson(const struct session *ss);

/* Reading the state. Pointers are borrowed until the next session call. */
const struct script *session_script(const struct session *ss);
enum session_mode session_mode(const struct session *ss);
const char *session_lang(const struct session *ss);
int64_t session_get_toggle(const struct session *ss, enum toggle_id id);
void session_view(struct session *ss, struct engine_view *v);
void session_summary(const struct session *ss, struct ledger_summary *sum);
const struct ledger *session_ledger(const struct session *ss);
/* The event log, oldest first; returns the count. */
size_t session_log(const struct session *ss,
    const struct session_logline **lines);
/* log line i (0 = oldest) */
const struct session_logline *session_log_at(const struct session *ss,
    size_t i);
/* Tokens of the messages worth drawing: all but those processed over a
 * virtual second ago, of which the latest three stay. */
size_t session_tokens(const struct session *ss,
    const struct session_token **tokens);
/* The last routing decision: "routed", "returned 312", "404", "" */
const char *session_last_route(const struct session *ss);
/* Every event that concerned message `msg`, written as transcript lines into
 * a new string (caller frees); then its fate and, if it had several copies,
 * each copy's. */
char *session_timeline(const struct session *ss, uint32_t msg);
/*
 * Fills *st (the caller frees it with ledger_story_free) with the copies of
 * message `msg` as the history tells them. Names in it are borrowed until
 * the session is reset or freed.
 */
void session_story(const struct session *ss, uint32_t msg,
    struct ledger_story *st);

/*
 * Writes the actions taken so far as a script that `rabbitlab replay` and the
 * screen can play: the same topology and toggles, then wait/action steps.
 * Returns 0, or -1 with *cause.
 */
int session_record(const struct session *ss, const char *path, char **cause);

#endif
