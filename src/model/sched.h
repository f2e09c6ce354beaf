/*
 * The timer queue of the simulated clock: a binary min-heap of timers ordered
 * by due time, ties broken by insertion order, so a run is deterministic.
 */
#ifndef RL_SCHED_H
#define RL_SCHED_H

#include <stddef.h>
#include <stdint.h>

struct sched_timer {
	int64_t due;   /* virtual microseconds */
	uint64_t seq;  /* insertion order, breaks ties */
	int kind;      /* what to do; meaning belongs to the caller */
	uint32_t gen;  /* generation of the actor, to drop stale timers */
	uint32_t a;    /* caller's arguments */
	uint64_t b;
};

struct sched {
	struct sched_timer *heap;
	size_t len, cap;
	uint64_t next_seq;
};

void sched_init(struct sched *s);
void sched_free(struct sched *s);
void sched_clear(struct sched *s);
/* Adds a timer; `t->seq` is assigned here. */
void sched_add(struct sched *s, int64_t due, int kind, uint32_t gen,
    uint32_t a, uint64_t b);
/* The earliest timer, or NULL when empty; borrowed until the next change. */
const struct sched_timer *sched_peek(const struct sched *s);
/* Removes the earliest timer into *out; returns 0, or -1 when empty. */
int sched_pop(struct sched *s, struct sched_timer *out);

#endif
