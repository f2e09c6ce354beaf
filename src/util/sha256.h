/*
 * SHA-256 (FIPS 180-4), one buffer at a time: enough for the salted
 * password hashes RabbitMQ's definitions take (class setup), and kept here
 * rather than linking a crypto library for one function.
 */
#ifndef RL_SHA256_H
#define RL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* The digest of the len bytes at data, into out. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);

/*
 * Standard base64 (RFC 4648, with '=' padding) of the n bytes at in, into
 * out, NUL-terminated. out must hold 4 * ((n + 2) / 3) + 1 bytes. Returns
 * the length written, without the NUL.
 */
size_t sha256_base64(const uint8_t *in, size_t n, char *out);

#endif
