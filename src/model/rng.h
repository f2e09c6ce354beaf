/*
 * A small seeded random source (xoshiro256**, seeded through splitmix64):
 * the same seed gives the same numbers on every machine.
 */
#ifndef RL_RNG_H
#define RL_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n == 0 gives 0. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
