/*
 * Unit tests of the seeded random source. The expected numbers come from a
 * reference xoshiro256** seeded through splitmix64, written here from the
 * published definitions (Blackman and Vigna) rather than taken from the
 * module, and itself pinned to the well-known first splitmix64 outputs for
 * state 0. Also: seeds repeat and differ, and rng_below stays in range,
 * handles 0 and 1, and is roughly uniform.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/rng.h"

/* splitmix64: advance the state by the golden gamma, then mix. */
static uint64_t
ref_splitmix64(uint64_t *state)
{
	uint64_t z;

	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
ref_rotl(uint64_t x, unsigned k)
{
	return (x << k) | (x >> (64 - k));
}

/* The four xoshiro256 words, filled from splitmix64 started at `seed`. */
struct ref_xoshiro {
	uint64_t w[4];
};

static void
ref_seed(struct ref_xoshiro *x, uint64_t seed)
{
	uint64_t sm = seed;

	for (int i = 0; i < 4; i++)
		x->w[i] = ref_splitmix64(&sm);
}

/* xoshiro256**: scramble w[1], then the linear step. */
static uint64_t
ref_next(struct ref_xoshiro *x)
{
	uint64_t result = ref_rotl(x->w[1] * 5, 7) * 9;
	uint64_t shifted = x->w[1] << 17;

	x->w[2] ^= x->w[0];
	x->w[3] ^= x->w[1];
	x->w[1] ^= x->w[2];
	x->w[0] ^= x->w[3];
	x->w[2] ^= shifted;
	x->w[3] = ref_rotl(x->w[3], 45);
	return result;
}

static void
test_reference_splitmix_known_values(void **state)
{
	uint64_t sm = 0;
	(void)state;

	/* The first outputs of splitmix64 from state 0, as published. */
	assert_true(ref_splitmix64(&sm) == 0xe220a8397b1dcdafULL);
	assert_true(ref_splitmix64(&sm) == 0x6e789e6aa1b965f4ULL);
	assert_true(ref_splitmix64(&sm) == 0x06c45d188009454fULL);
}

static void
test_seed_zero_matches_reference(void **state)
{
	struct rng r;
	struct ref_xoshiro ref;
	uint64_t first;
	(void)state;

	rng_seed(&r, 0);
	ref_seed(&ref, 0);
	/* The seeded state is splitmix64's first four outputs. */
	for (int i = 0; i < 4; i++)
		assert_true(r.s[i] == ref.w[i]);
	first = ref_next(&ref);
	assert_true(first != 0);
	assert_true(rng_next(&r) == first);
	for (int i = 0; i < 1000; i++) {
		uint64_t want = ref_next(&ref);
		uint64_t got = rng_next(&r);
		if (got != want)
			fail_msg("draw %d: got %#llx, want %#llx", i + 1,
			    (unsigned long long)got, (unsigned long long)want);
	}
}

static void
test_other_seeds_match_reference(void **state)
{
	static const uint64_t seeds[] = { 1, 42, 0xffffffffffffffffULL,
		0x8000000000000000ULL, 20240607 };
	(void)state;

	for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
		struct rng r;
		struct ref_xoshiro ref;

		rng_seed(&r, seeds[k]);
		ref_seed(&ref, seeds[k]);
		for (int i = 0; i < 100; i++)
			assert_true(rng_next(&r) == ref_next(&ref));
	}
}

static void
test_same_seed_same_sequence(void **state)
{
	struct rng a, b;
	(void)state;

	rng_seed(&a, 7);
	rng_seed(&b, 7);
	for (int i = 0; i < 10000; i++)
		assert_true(rng_next(&a) == rng_next(&b));
	/* Seeding again starts over. */
	rng_seed(&a, 7);
	rng_seed(&b, 7);
	for (int i = 0; i < 100; i++)
		assert_true(rng_below(&a, 1000) == rng_below(&b, 1000));
}

static void
test_different_seeds_differ(void **state)
{
	static const uint64_t seeds[] = { 0, 1, 2, 3, 42, 1u << 31 };
	enum { NSEEDS = sizeof seeds / sizeof seeds[0], DRAWS = 8 };
	uint64_t out[NSEEDS][DRAWS];
	(void)state;

	for (size_t k = 0; k < NSEEDS; k++) {
		struct rng r;
		rng_seed(&r, seeds[k]);
		for (int i = 0; i < DRAWS; i++)
			out[k][i] = rng_next(&r);
	}
	for (size_t a = 0; a < NSEEDS; a++)
		for (size_t b = a + 1; b < NSEEDS; b++) {
			int same = 0;
			for (int i = 0; i < DRAWS; i++)
				same += out[a][i] == out[b][i];
			assert_int_equal(same, 0);
		}
	/* Nor does one sequence repeat a value early. */
	for (int i = 0; i < DRAWS; i++)
		for (int j = i + 1; j < DRAWS; j++)
			assert_true(out[0][i] != out[0][j]);
}

static void
test_below_in_range(void **state)
{
	static const uint64_t bounds[] = { 1, 2, 3, 6, 7, 10, 1000, 1u << 31,
		(1ULL << 32) + 1, (1ULL << 63) + 1, UINT64_MAX - 1,
		UINT64_MAX };
	struct rng r;
	(void)state;

	rng_seed(&r, 99);
	for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
		for (int i = 0; i < 10000; i++) {
			uint64_t v = rng_below(&r, bounds[k]);
			if (v >= bounds[k])
				fail_msg("rng_below(%llu) gave %llu",
				    (unsigned long long)bounds[k],
				    (unsigned long long)v);
		}
	for (int i = 0; i < 1000; i++) {
		assert_true(rng_below(&r, 0) == 0);
		assert_true(rng_below(&r, 1) == 0);
	}
}

static void
test_below_uses_the_whole_range(void **state)
{
	struct rng r;
	int seen[7] = { 0 };
	uint64_t high = 0;
	(void)state;

	rng_seed(&r, 3);
	for (int i = 0; i < 1000; i++)
		seen[rng_below(&r, 7)]++;
	for (int i = 0; i < 7; i++)
		assert_true(seen[i] > 0);
	/* Large bounds reach the top half too. */
	for (int i = 0; i < 1000; i++) {
		uint64_t v = rng_below(&r, (1ULL << 63) + 1);
		if (v > high)
			high = v;
	}
	assert_true(high >= 1ULL << 62);
}

static void
test_below_roughly_uniform(void **state)
{
	struct rng r;
	uint64_t bucket[6] = { 0 };
	(void)state;

	rng_seed(&r, 0);
	for (int i = 0; i < 60000; i++)
		bucket[rng_below(&r, 6)]++;
	for (int i = 0; i < 6; i++) {
		if (bucket[i] < 9000 || bucket[i] > 11000)
			fail_msg("bucket %d holds %llu of 60000", i,
			    (unsigned long long)bucket[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_splitmix_known_values),
		cmocka_unit_test(test_seed_zero_matches_reference),
		cmocka_unit_test(test_other_seeds_match_reference),
		cmocka_unit_test(test_same_seed_same_sequence),
		cmocka_unit_test(test_different_seeds_differ),
		cmocka_unit_test(test_below_in_range),
		cmocka_unit_test(test_below_uses_the_whole_range),
		cmocka_unit_test(test_below_roughly_uniform),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
