/*
 * libFuzzer target for the lesson-script loader: any bytes must load or be
 * refused with diagnostics, without a crash, a hang or a leak.
 *
 *   make fuzz
 *   ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
 *       ./build/fuzz_script -max_total_time=60 tests/fuzz/corpus
 *
 * or `make fuzz-long` (tests/fuzz/long.sh), which also fails if libFuzzer
 * stops checking for leaks on the way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script_diag diag = { 0 };
	struct script *s;
	char *text;

	/* The loader takes a C string: bytes after a NUL are never seen. */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	s = script_load_string(text, "fuzz.cfg", &diag);
	/* The contract: a script, or at least one diagnostic, never both. */
	if ((s == NULL) == (diag.count == 0))
		abort();
	script_free(s);
	script_diag_free(&diag);
	free(text);
	return 0;
}
