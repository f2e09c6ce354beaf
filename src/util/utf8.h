/*
 * UTF-8 decoding's one rule, shared by the script loader and the class
 * events: which byte sequences are valid (no overlong forms, no
 * surrogates, nothing past U+10FFFF).
 */
#ifndef RL_UTF8_H
#define RL_UTF8_H

#include <stddef.h>

/*
 * Length (1 to 4) of the valid UTF-8 sequence at p, which has n > 0 bytes
 * left; 0 if the bytes there are not valid UTF-8.
 */
size_t utf8_len(const unsigned char *p, size_t n);

/*
 * How many of the first n bytes of s to keep so that no character is cut
 * in two: n, or less when s[n] continues a character (s has more than n
 * bytes, or its terminator at s[n]).
 */
size_t utf8_cut(const char *s, size_t n);

#endif
