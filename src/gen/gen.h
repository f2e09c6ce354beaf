/*
 * Generated scenarios: random, valid lesson scripts for differential
 * testing of the simulated engine against a real broker, and the shrinker
 * that cuts a scenario on which the two differ down to a minimal one.
 *
 * A scenario is kept as a structure of *units* (an exchange, a queue, a
 * binding, a consumer, a toggle, a step) that can each be switched off;
 * gen_write renders the units that are on as script text, dropping what
 * depends on a unit that is off (the bindings of a queue that is gone, a
 * failure aimed at it). The same seed always gives the same scenario.
 *
 * The grammar keeps away from outcomes that only measure this machine's
 * speed (see gen.c): every action is followed by a pause long enough for
 * the lab to be quiet again, time-based settings (TTLs, link cuts, retry
 * waits) are far from each other and from those pauses, and a scenario
 * with a broker crash has no TTL (a real restart takes 4 to 15 s, so what
 * expires during it is a race).
 */
#ifndef RL_GEN_H
#define RL_GEN_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_EX 3
#define GEN_MAX_Q 4
#define GEN_MAX_BIND 8
#define GEN_MAX_CONS 3
#define GEN_MAX_TOG 8
#define GEN_MAX_STEP 30

enum gen_ex_type { GEN_DIRECT, GEN_FANOUT, GEN_TOPIC, GEN_HEADERS };

struct gen_ex {
	int on;
	int type;          /* enum gen_ex_type */
	int durable;       /* -1: follow the toggle */
};

struct gen_q {
	int on;
	int type;          /* -1: follow the toggle; else QTYPE_* */
	int durable;       /* -1: follow the toggle */
	int64_t ttl_ms;    /* 0: none */
	int64_t max_length; /* -1: none */
	int reject;        /* overflow reject-publish (else drop-head) */
	int dlx;           /* -1: none; else an exchange index */
	int dl_key;        /* -1: keep the message's key; else a key index */
	int64_t limit;     /* delivery limit, 0: none (quorum only) */
	int dead;          /* role "dead" */
};

struct gen_bind {
	int on;
	int ex, q;
	int key;           /* a binding key index (the pattern set by type) */
	int any;           /* headers: x-match any */
	int hdr;           /* headers: a header set index */
};

struct gen_cons {
	int on;
	int q;
};

struct gen_tog {
	int on;
	int id;            /* enum toggle_id */
	int64_t value;
};

enum gen_step_kind {
	GEN_PUBLISH, GEN_TOGGLE, GEN_FAIL, GEN_CRASH, GEN_CONSUME, GEN_STOP,
	GEN_WAIT,
};

struct gen_step {
	int on;
	int kind;          /* enum gen_step_kind */
	/* GEN_PUBLISH */
	int count;
	int ex;            /* -1: the topology's publish target */
	int key;           /* routing key index */
	int persistent;    /* -1: follow the toggle */
	int64_t expiration_ms; /* 0: none */
	int every_ms;
	int hdr;           /* -1: no headers */
	/* GEN_TOGGLE */
	struct gen_tog tog;
	/* GEN_FAIL (the failure's index in gen.c's table) and GEN_CRASH
	   (0: broker_crash, 1: broker_stop; a restart follows) */
	int failure;
	int target;        /* a queue, exchange or consumer index; -1: none;
			      for link cuts -1 is the producer */
	int64_t ms;
	int times;
	int unreadable;
	/* GEN_CONSUME, GEN_STOP: a consumer index */
	int cons;
	/* every step: the pause after it */
	int pause_ms;
};

struct gen_scn {
	uint64_t seed;
	struct gen_ex ex[GEN_MAX_EX];
	int nex;
	struct gen_q q[GEN_MAX_Q];
	int nq;
	struct gen_bind bind[GEN_MAX_BIND];
	int nbind;
	struct gen_cons cons[GEN_MAX_CONS];
	int ncons;
	struct gen_tog tog[GEN_MAX_TOG];
	int ntog;
	struct gen_step step[GEN_MAX_STEP];
	int nstep;
	int pub_ex;        /* the publish target's exchange, -1: default */
	int pub_key;
};

/* Draws scenario `seed`. Deterministic: the same seed, the same scenario. */
void gen_scenario(uint64_t seed, struct gen_scn *g);

/*
 * Renders the units that are on as a lesson script (id "gen-SEED"),
 * preceded by the comment lines in `note` (NULL: none), each line of it
 * written after "# ". Returns a malloc'd NUL-terminated string.
 */
char *gen_write(const struct gen_scn *g, const char *note);

/*
 * Writes gen_write(g, note) to DIR/gen-SEED.cfg. Returns the path (caller
 * frees), or NULL with *cause ("PATH: reason", caller frees).
 */
char *gen_save_file(const struct gen_scn *g, const char *note,
    const char *dir, char **cause);

/* How many units a scenario has (on or off), how many are on, and each
   one's on/off switch. */
size_t gen_units(const struct gen_scn *g);
size_t gen_units_on(struct gen_scn *g);
int *gen_unit(struct gen_scn *g, size_t i);

/*
 * Whether a scenario shows the difference being hunted: 1 yes, 0 no, -1
 * an error that is not the difference (the script would not run).
 */
typedef int (*gen_test_fn)(const struct gen_scn *g, void *arg);

/*
 * Delta debugging: switches off as many units as it can (first in chunks,
 * then one by one, until no single unit can go) and lowers publish counts,
 * keeping only changes under which `test` still says 1. `g` must test 1 on
 * entry. Returns the number of tests run.
 */
int gen_shrink(struct gen_scn *g, gen_test_fn test, void *arg);

#endif
