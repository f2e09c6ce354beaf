/*
 * Unit tests of the growing allocators: xgrow keeps what was there and
 * reaches the asked size; xgrow_zero also hands out zero bytes for every
 * item it adds, however many times it grows, and leaves a big enough array
 * alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/xmalloc.h"

struct item {
	uint64_t a;
	uint32_t b;
};

static void
test_xgrow_keeps_items(void **state)
{
	size_t cap = 0;
	int *v = NULL;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		v = xgrow(v, &cap, (size_t)i + 1, sizeof *v);
		assert_true(cap >= (size_t)i + 1);
		v[i] = i * 7;
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], i * 7);
	free(v);
}

static void
test_xgrow_zero_zeroes_what_it_adds(void **state)
{
	size_t cap = 0, need;
	struct item *v = NULL, *before;

	(void)state;
	/* Grow by index, as the ledger does, writing garbage after each use. */
	for (need = 1; need <= 5000; need = need * 3 + 1) {
		size_t old = cap;

		v = xgrow_zero(v, &cap, need, sizeof *v);
		assert_true(cap >= need);
		for (size_t i = old; i < cap; i++) {
			assert_true(v[i].a == 0);
			assert_int_equal(v[i].b, 0);
		}
		for (size_t i = 0; i < cap; i++) {
			v[i].a = UINT64_MAX;
			v[i].b = (uint32_t)i;
		}
	}
	/* Enough room already: nothing moves and nothing is zeroed. */
	before = v;
	v = xgrow_zero(v, &cap, cap, sizeof *v);
	assert_ptr_equal(v, before);
	assert_true(v[0].a == UINT64_MAX);
	assert_int_equal(v[cap - 1].b, (uint32_t)(cap - 1));
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xgrow_keeps_items),
		cmocka_unit_test(test_xgrow_zero_zeroes_what_it_adds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
