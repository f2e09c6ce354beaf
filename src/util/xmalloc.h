/*
 * Allocation wrappers. Running out of memory is fatal: each wrapper prints
 * "rabbitlab: out of memory" and aborts, so callers never check for NULL.
 */
#ifndef RL_XMALLOC_H
#define RL_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* The slow paths of xgrow and xgrow_zero: called only when need > *cap. */
void *xgrow_slow(void *p, size_t *cap, size_t need, size_t size);
void *xgrow_zero_slow(void *p, size_t *cap, size_t need, size_t size);

/*
 * Grows an array to hold at least `need` items of `size` bytes, doubling;
 * *cap is updated. Inline because hot paths (the timer queue, the ledger,
 * the broker's copy tally) call it once per event and rarely grow.
 */
static inline void *
xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	return need <= *cap ? p : xgrow_slow(p, cap, need, size);
}

/* xgrow, and the items it adds are zero bytes. */
static inline void *
xgrow_zero(void *p, size_t *cap, size_t need, size_t size)
{
	return need <= *cap ? p : xgrow_zero_slow(p, cap, need, size);
}
/*
 * Doubles a full ring buffer of `size`-byte items whose `len` items start
 * at *head, laying them out again from index 0; updates *cap and *head.
 * Returns the new buffer; the old one is freed.
 */
void *xring_grow(void *buf, size_t *cap, size_t *head, size_t len,
    size_t size);
/* Drops the head of a ring of capacity `cap` (it must not be empty). */
void xring_shift(size_t *head, size_t *len, size_t cap);
char *xstrdup(const char *s);
/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
