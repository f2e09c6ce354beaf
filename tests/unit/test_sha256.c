/*
 * SHA-256 against FIPS 180-4's examples and the padding's edges (55, 56
 * and 64 bytes: one block or two), and base64 against RFC 4648's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/sha256.h"

static void
hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SHA256_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
expect_digest(const char *msg, size_t len, const char *want)
{
	uint8_t d[SHA256_LEN];
	char got[2 * SHA256_LEN + 1];

	sha256(msg, len, d);
	hex(d, got);
	assert_string_equal(got, want);
}

static void
test_fips_examples(void **state)
{
	(void)state;
	expect_digest("", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	expect_digest("abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	expect_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_padding_edges(void **state)
{
	char a[65];

	(void)state;
	memset(a, 'a', sizeof a);
	/* 55 bytes: the length fits in the same block. */
	expect_digest(a, 55,
	    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	/* 64 bytes: a whole block, then one of padding. */
	expect_digest(a, 64,
	    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void
test_base64(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(sha256_base64((const uint8_t *)"", 0, out), 0);
	assert_string_equal(out, "");
	sha256_base64((const uint8_t *)"f", 1, out);
	assert_string_equal(out, "Zg==");
	sha256_base64((const uint8_t *)"fo", 2, out);
	assert_string_equal(out, "Zm8=");
	sha256_base64((const uint8_t *)"foo", 3, out);
	assert_string_equal(out, "Zm9v");
	assert_int_equal(sha256_base64((const uint8_t *)"foobar", 6, out), 8);
	assert_string_equal(out, "Zm9vYmFy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_padding_edges),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
