/*
 * Unit tests of the asciicast writer (ui/castfile.h): the header line,
 * events that keep whole UTF-8 characters when a character is split
 * between two writes, stray bytes written as U+FFFD, times that never go
 * back, control characters escaped, and a file that cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ui/castfile.h"

static char castfile_path[64];

static int
setup_path(void **state)
{
	int fd;

	(void)state;
	strcpy(castfile_path, "/tmp/test_castfile.XXXXXX");
	fd = mkstemp(castfile_path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown_path(void **state)
{
	(void)state;
	unlink(castfile_path);
	return 0;
}

/* The file's lines, NUL-separated in one buffer; *n lines. */
static char *
read_lines(size_t *n)
{
	FILE *f = fopen(castfile_path, "r");
	char *buf = calloc(1, 4096);
	size_t len;

	assert_non_null(f);
	len = fread(buf, 1, 4095, f);
	fclose(f);
	*n = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n') {
			buf[i] = '\0';
			(*n)++;
		}
	return buf;
}

/* Line i (0-based) of what read_lines returned. */
static const char *
line_at(const char *buf, size_t i)
{
	while (i--)
		buf += strlen(buf) + 1;
	return buf;
}

static void
test_header(void **state)
{
	struct castfile *cf;
	char *cause = NULL, *buf;
	size_t n;

	(void)state;
	cf = castfile_open(castfile_path, 100, 30, "lesson \"1\"",
	    "xterm-256color", 1700000000, &cause);
	assert_non_null(cf);
	assert_int_equal(castfile_close(cf, &cause), 0);
	buf = read_lines(&n);
	assert_int_equal(n, 1);
	assert_string_equal(line_at(buf, 0), "{\"version\": 2, \"width\": 100, "
	    "\"height\": 30, \"timestamp\": 1700000000, \"title\": "
	    "\"lesson \\\"1\\\"\", \"env\": {\"TERM\": \"xterm-256color\"}}");
	free(buf);
}

static void
test_split_character_waits(void **state)
{
	struct castfile *cf;
	char *cause = NULL, *buf;
	size_t n;

	(void)state;
	cf = castfile_open(castfile_path, 80, 24, NULL, "xterm-256color", 0,
	    &cause);
	assert_non_null(cf);
	castfile_output(cf, 10, "\x1b[Ha", 4);
	castfile_output(cf, 20, "\xe4\xb8", 2);   /* the start of 中 */
	castfile_output(cf, 30, "\xad" "b", 2);   /* its end, then b */
	castfile_output(cf, 25, "\xff" "c", 2);   /* not UTF-8, and earlier */
	castfile_output(cf, 40, "\xe6", 1);       /* never finished */
	assert_int_equal(castfile_close(cf, &cause), 0);
	buf = read_lines(&n);
	assert_int_equal(n, 5);
	assert_string_equal(line_at(buf, 0), "{\"version\": 2, \"width\": 80, "
	    "\"height\": 24, \"env\": {\"TERM\": \"xterm-256color\"}}");
	assert_string_equal(line_at(buf, 1), "[0.010, \"o\", \"\\u001b[Ha\"]");
	assert_string_equal(line_at(buf, 2), "[0.030, \"o\", \"中b\"]");
	assert_string_equal(line_at(buf, 3), "[0.030, \"o\", \"\xef\xbf\xbd"
	    "c\"]");
	assert_string_equal(line_at(buf, 4), "[0.030, \"o\", \"\xef\xbf\xbd\"]");
	free(buf);
}

static void
test_unwritable(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_null(castfile_open("/nonexistent-dir/x.cast", 80, 24, NULL,
	    "xterm-256color", 0, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "/nonexistent-dir/x.cast"));
	assert_non_null(strstr(cause, "must be writable"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header, setup_path,
		    teardown_path),
		cmocka_unit_test_setup_teardown(test_split_character_waits,
		    setup_path, teardown_path),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
