/*
 * Unit tests of the timer heap of the simulated clock: timers come out by due
 * time and, at the same due time, in the order they were added; peek and pop
 * agree; an empty heap says so; sched_clear empties it; and each timer's
 * payload (kind, gen, a, b) comes out as it went in. Random orders come from
 * a small generator kept here, so these tests do not lean on the rng module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/sched.h"

/* xorshift64: a fixed, reproducible stream for shuffling due times. */
static uint64_t
test_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* The payload a test gives timer number `i`, so it can be checked later. */
static int
payload_kind(uint32_t i)
{
	return (int)(i % 7) - 3;
}

static uint32_t
payload_gen(uint32_t i)
{
	return i * 2654435761u;
}

static uint64_t
payload_b(uint32_t i)
{
	return ((uint64_t)i << 32) ^ 0xdeadbeefcafef00dULL;
}

/* Adds timer number `i` due at `due`, with its payload. */
static void
add_numbered(struct sched *s, int64_t due, uint32_t i)
{
	sched_add(s, due, payload_kind(i), payload_gen(i), i, payload_b(i));
}

/* Fails the test unless `t` carries the payload of timer number t->a. */
static void
check_payload(const struct sched_timer *t)
{
	assert_int_equal(t->kind, payload_kind(t->a));
	assert_int_equal(t->gen, payload_gen(t->a));
	assert_int_equal(t->b, payload_b(t->a));
}

static void
test_empty(void **state)
{
	struct sched s;
	struct sched_timer t;
	(void)state;

	sched_init(&s);
	assert_null(sched_peek(&s));
	assert_int_equal(sched_pop(&s, &t), -1);
	sched_clear(&s);
	assert_null(sched_peek(&s));
	assert_int_equal(sched_pop(&s, &t), -1);

	/* Emptied by popping: empty again, and still usable. */
	sched_add(&s, 5, 1, 2, 3, 4);
	assert_non_null(sched_peek(&s));
	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.due, 5);
	assert_null(sched_peek(&s));
	assert_int_equal(sched_pop(&s, &t), -1);
	sched_free(&s);

	/* Freed: back to the initial state, and usable again. */
	assert_null(s.heap);
	assert_int_equal(s.len, 0);
	assert_null(sched_peek(&s));
	sched_add(&s, 1, 0, 0, 0, 0);
	assert_int_equal(sched_pop(&s, &t), 0);
	sched_free(&s);
}

static void
test_order_by_due(void **state)
{
	static const int64_t dues[] = { 30, 10, 20, -5, 1000000000000, 0, 15 };
	static const int64_t sorted[] = { -5, 0, 10, 15, 20, 30,
		1000000000000 };
	struct sched s;
	struct sched_timer t;
	(void)state;

	sched_init(&s);
	for (uint32_t i = 0; i < 7; i++)
		add_numbered(&s, dues[i], i);
	for (int i = 0; i < 7; i++) {
		assert_int_equal(sched_pop(&s, &t), 0);
		assert_int_equal(t.due, sorted[i]);
		assert_int_equal(t.due, dues[t.a]);
		check_payload(&t);
	}
	assert_int_equal(sched_pop(&s, &t), -1);
	sched_free(&s);
}

static void
test_ties_in_insertion_order(void **state)
{
	struct sched s;
	struct sched_timer t;
	uint64_t last_seq = 0;
	(void)state;

	sched_init(&s);
	/* Interleave two due times so the heap has to reorder. */
	for (uint32_t i = 0; i < 20; i++)
		add_numbered(&s, i % 2 ? 100 : 50, i);
	for (uint32_t i = 0; i < 20; i++) {
		uint32_t want = i < 10 ? 2 * i : 2 * (i - 10) + 1;
		assert_int_equal(sched_pop(&s, &t), 0);
		assert_int_equal(t.a, want);
		assert_int_equal(t.due, i < 10 ? 50 : 100);
		if (i != 0 && i != 10)
			assert_true(t.seq > last_seq);
		last_seq = t.seq;
		check_payload(&t);
	}
	sched_free(&s);
}

static void
test_random_thousand_sorted(void **state)
{
	enum { N = 1000 };
	struct sched s;
	struct sched_timer t, prev = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ULL, seq_of[N];
	int64_t due_of[N];
	int seen[N] = { 0 };
	(void)state;

	sched_init(&s);
	for (uint32_t i = 0; i < N; i++) {
		/* A narrow range, so many timers share a due time. */
		due_of[i] = (int64_t)(test_random(&x) % 100) - 20;
		add_numbered(&s, due_of[i], i);
	}
	assert_int_equal(s.len, N);
	for (int k = 0; k < N; k++) {
		const struct sched_timer *top = sched_peek(&s);
		struct sched_timer peeked;

		assert_non_null(top);
		/* Copied before popping: peek is borrowed until the change. */
		peeked = *top;
		assert_int_equal(sched_pop(&s, &t), 0);
		assert_int_equal(t.seq, peeked.seq);
		assert_int_equal(t.a, peeked.a);
		assert_true(t.a < N);
		assert_int_equal(seen[t.a], 0);
		seen[t.a] = 1;
		seq_of[t.a] = t.seq;
		assert_int_equal(t.due, due_of[t.a]);
		check_payload(&t);
		if (k > 0) {
			assert_true(t.due > prev.due ||
			    (t.due == prev.due && t.seq > prev.seq));
			/* Same due time: the one added first comes first. */
			if (t.due == prev.due)
				assert_true(t.a > prev.a);
		}
		prev = t;
	}
	assert_null(sched_peek(&s));
	/* seq follows the order of sched_add. */
	for (uint32_t i = 1; i < N; i++)
		assert_true(seq_of[i] > seq_of[i - 1]);
	sched_free(&s);
}

static void
test_interleaved_against_reference(void **state)
{
	enum { OPS = 20000, CAP = 20000 };
	struct sched s;
	struct sched_timer t;
	int64_t *ref_due = calloc(CAP, sizeof *ref_due);
	uint32_t *ref_id = calloc(CAP, sizeof *ref_id);
	size_t ref_len = 0;
	uint32_t next_id = 0;
	uint64_t x = 12345;
	(void)state;

	assert_non_null(ref_due);
	assert_non_null(ref_id);
	sched_init(&s);
	for (int op = 0; op < OPS; op++) {
		uint64_t r = test_random(&x);
		/* Three adds for two pops, so the heap grows and shrinks. */
		if (r % 5 < 3) {
			int64_t due = (int64_t)(r >> 8) % 500;
			add_numbered(&s, due, next_id);
			ref_due[ref_len] = due;
			ref_id[ref_len] = next_id;
			ref_len++;
			next_id++;
		} else {
			size_t best = 0;
			if (ref_len == 0) {
				assert_int_equal(sched_pop(&s, &t), -1);
				continue;
			}
			/* The reference: a linear scan by (due, id). */
			for (size_t i = 1; i < ref_len; i++)
				if (ref_due[i] < ref_due[best] ||
				    (ref_due[i] == ref_due[best] &&
				    ref_id[i] < ref_id[best]))
					best = i;
			assert_int_equal(sched_peek(&s)->a, ref_id[best]);
			assert_int_equal(sched_pop(&s, &t), 0);
			assert_int_equal(t.a, ref_id[best]);
			assert_int_equal(t.due, ref_due[best]);
			check_payload(&t);
			ref_len--;
			ref_due[best] = ref_due[ref_len];
			ref_id[best] = ref_id[ref_len];
		}
		assert_int_equal(s.len, ref_len);
	}
	sched_free(&s);
	free(ref_due);
	free(ref_id);
}

static void
test_clear(void **state)
{
	struct sched s;
	struct sched_timer t;
	(void)state;

	sched_init(&s);
	for (uint32_t i = 0; i < 50; i++)
		add_numbered(&s, 1000 - i, i);
	sched_clear(&s);
	assert_int_equal(s.len, 0);
	assert_null(sched_peek(&s));
	assert_int_equal(sched_pop(&s, &t), -1);

	/* New timers after the clear; none of the old ones come back. */
	add_numbered(&s, 7, 100);
	add_numbered(&s, 3, 101);
	add_numbered(&s, 7, 102);
	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.a, 101);
	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.a, 100);
	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.a, 102);
	check_payload(&t);
	assert_int_equal(sched_pop(&s, &t), -1);
	sched_free(&s);
}

static void
test_payload_extremes(void **state)
{
	struct sched s;
	struct sched_timer t;
	const struct sched_timer *top;
	(void)state;

	sched_init(&s);
	sched_add(&s, INT64_MAX, INT32_MIN, UINT32_MAX, UINT32_MAX,
	    UINT64_MAX);
	sched_add(&s, INT64_MIN, INT32_MAX, 0, 0, 0);
	sched_add(&s, 0, 42, 7, 8, 9);
	top = sched_peek(&s);
	assert_non_null(top);
	assert_int_equal(top->due, INT64_MIN);
	assert_int_equal(top->kind, INT32_MAX);

	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.due, INT64_MIN);
	assert_int_equal(t.kind, INT32_MAX);
	assert_int_equal(t.gen, 0);
	assert_int_equal(t.a, 0);
	assert_int_equal(t.b, 0);

	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.due, 0);
	assert_int_equal(t.kind, 42);
	assert_int_equal(t.gen, 7);
	assert_int_equal(t.a, 8);
	assert_int_equal(t.b, 9);

	assert_int_equal(sched_pop(&s, &t), 0);
	assert_int_equal(t.due, INT64_MAX);
	assert_int_equal(t.kind, INT32_MIN);
	assert_int_equal(t.gen, UINT32_MAX);
	assert_int_equal(t.a, UINT32_MAX);
	assert_true(t.b == UINT64_MAX);
	assert_int_equal(sched_pop(&s, &t), -1);
	sched_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_order_by_due),
		cmocka_unit_test(test_ties_in_insertion_order),
		cmocka_unit_test(test_random_thousand_sorted),
		cmocka_unit_test(test_interleaved_against_reference),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_payload_extremes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
