/*
 * Allocation wrappers: the one place that decides what happens when memory
 * runs out (abort with a message), so the rest of the code stays simple.
 */
#include "util/xmalloc.h"

#include <assert.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * GCC 12 with -fsanitize=undefined wrongly warns that fmt may be a null
 * format string in the sizing call below.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

static void
xmalloc_fail(void)
{
	fputs("rabbitlab: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		xmalloc_fail();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		xmalloc_fail();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (q == NULL)
		xmalloc_fail();
	return q;
}

void *
xgrow_slow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;

	while (n < need)
		n *= 2;
	*cap = n;
	return xrealloc(p, n * size);
}

void *
xgrow_zero_slow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t old = *cap;
	char *q = xgrow_slow(p, cap, need, size);

	if (*cap > old)
		memset(q + old * size, 0, (*cap - old) * size);
	return q;
}

void *
xring_grow(void *buf, size_t *cap, size_t *head, size_t len, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 16;
	char *nb = xmalloc(ncap * size);
	size_t first = *cap - *head < len ? *cap - *head : len;

	if (len) {
		memcpy(nb, (char *)buf + *head * size, first * size);
		memcpy(nb + first * size, buf, (len - first) * size);
	}
	free(buf);
	*cap = ncap;
	*head = 0;
	return nb;
}

void
xring_shift(size_t *head, size_t *len, size_t cap)
{
	assert(*len > 0);
	*head = (*head + 1) % cap;
	--*len;
}

char *
xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;
	return memcpy(xmalloc(len), s, len);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	int len;
	char *s;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		xmalloc_fail();
	s = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return s;
}
