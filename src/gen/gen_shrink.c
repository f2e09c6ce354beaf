/*
 * Delta debugging over a scenario's units (Zeller's ddmin, simplified):
 * switch off chunks of units, halving the chunk size whenever no chunk can
 * go, down to single units; then lower each publish's count. A change is
 * kept only when the test still shows the difference.
 */
#include "gen/gen.h"

/* Switches off the units in [from, to) that are on; returns how many. */
static size_t
gen_chunk_off(struct gen_scn *g, size_t from, size_t to, int *was)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++) {
		int *on = gen_unit(g, i);

		was[i - from] = *on;
		if (*on) {
			*on = 0;
			n++;
		}
	}
	return n;
}

static void
gen_chunk_restore(struct gen_scn *g, size_t from, size_t to, const int *was)
{
	for (size_t i = from; i < to; i++)
		*gen_unit(g, i) = was[i - from];
}

/* One pass of chunks of `size`; whether any chunk could go. */
static int
gen_shrink_pass(struct gen_scn *g, size_t size, gen_test_fn test, void *arg,
    int *tests)
{
	size_t n = gen_units(g);
	int was[GEN_MAX_EX + GEN_MAX_Q + GEN_MAX_BIND + GEN_MAX_CONS +
	    GEN_MAX_TOG + GEN_MAX_STEP];
	int progress = 0;

	for (size_t from = 0; from < n; from += size) {
		size_t to = from + size < n ? from + size : n;

		if (gen_chunk_off(g, from, to, was) == 0)
			continue;
		(*tests)++;
		if (test(g, arg) == 1)
			progress = 1;
		else
			gen_chunk_restore(g, from, to, was);
	}
	return progress;
}

/* Lowers each publish's count (halved, else one less) while the
   difference stays. */
static void
gen_shrink_counts(struct gen_scn *g, gen_test_fn test, void *arg, int *tests)
{
	for (int i = 0; i < g->nstep; i++) {
		struct gen_step *s = &g->step[i];
		int lowered = 1;

		while (lowered && s->on && s->kind == GEN_PUBLISH &&
		    s->count > 1) {
			int before = s->count, tries[2] = { before / 2, before - 1 };

			lowered = 0;
			for (int k = 0; k < 2 && !lowered; k++) {
				if (k == 1 && tries[1] == tries[0])
					break;
				s->count = tries[k];
				(*tests)++;
				lowered = test(g, arg) == 1;
			}
			if (!lowered)
				s->count = before;
		}
	}
}

int
gen_shrink(struct gen_scn *g, gen_test_fn test, void *arg)
{
	size_t size = gen_units(g) / 2;
	int tests = 0;

	if (size == 0)
		size = 1;
	for (;;) {
		int progress = gen_shrink_pass(g, size, test, arg, &tests);

		if (size == 1 && !progress)
			break;
		if (!progress)
			size /= 2;
	}
	gen_shrink_counts(g, test, arg, &tests);
	return tests;
}
