/*
 * A binary min-heap of timers for the simulated clock. Ordering by (due, seq)
 * makes timers due at the same instant fire in the order they were set, which
 * is what makes a simulated run repeat byte for byte.
 */
#include "model/sched.h"

#include <stdlib.h>

#include "util/xmalloc.h"

void
sched_init(struct sched *s)
{
	s->heap = NULL;
	s->len = s->cap = 0;
	s->next_seq = 0;
}

void
sched_free(struct sched *s)
{
	free(s->heap);
	sched_init(s);
}

void
sched_clear(struct sched *s)
{
	s->len = 0;
}

static int
sched_before(const struct sched_timer *x, const struct sched_timer *y)
{
	return x->due < y->due || (x->due == y->due && x->seq < y->seq);
}

void
sched_add(struct sched *s, int64_t due, int kind, uint32_t gen, uint32_t a,
    uint64_t b)
{
	struct sched_timer t = { due, s->next_seq++, kind, gen, a, b };
	size_t i;

	s->heap = xgrow(s->heap, &s->cap, s->len + 1, sizeof *s->heap);
	i = s->len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!sched_before(&t, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = t;
}

const struct sched_timer *
sched_peek(const struct sched *s)
{
	return s->len ? &s->heap[0] : NULL;
}

int
sched_pop(struct sched *s, struct sched_timer *out)
{
	struct sched_timer last;
	size_t i = 0;

	if (s->len == 0)
		return -1;
	*out = s->heap[0];
	last = s->heap[--s->len];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= s->len)
			break;
		if (c + 1 < s->len && sched_before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!sched_before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->len)
		s->heap[i] = last;
	return 0;
}
