/*
 * Unit tests for what the script loader lets a script read and what its
 * messages repeat: @include stays in the script's directory tree or a tree
 * named with script_include_dir_add (real paths: neither ".." nor a
 * symbolic link leads out), messages never repeat the text of an included
 * file that does not parse, a block comment that is never closed is an
 * error, and libconfig is never left holding a string token when a syntax
 * error stops it (it leaks that token; under ASan without suppressions
 * this binary then fails at exit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/unit.h"

#include "lesson/script.h"

/* A whole valid lesson but for its topology (UNIT_SCRIPT_TOPO). */
#define HEAD                                                               \
	"id = \"t\";\n"                                                    \
	"title = { en = \"T\"; zh = \"题\"; };\n"
#define STEPS "steps = ( { do = \"publish\"; count = 1; } );\n"

/* What a file outside the tree holds: no message may repeat it. */
#define SECRET "hunter2"

/* A fresh directory tree for one test: tree/ with tree/out/ beside it. */
struct tree {
	char top[64];    /* mkdtemp's directory */
	char lesson[96]; /* top/lesson: the scripts' tree */
	char out[96];    /* top/out: outside it */
};

static void
tree_make(struct tree *t)
{
	snprintf(t->top, sizeof t->top, "/tmp/test_script_include.XXXXXX");
	assert_non_null(mkdtemp(t->top));
	snprintf(t->lesson, sizeof t->lesson, "%s/lesson", t->top);
	snprintf(t->out, sizeof t->out, "%s/out", t->top);
	assert_int_equal(mkdir(t->lesson, 0700), 0);
	assert_int_equal(mkdir(t->out, 0700), 0);
}

static void
tree_remove(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->top);
	assert_int_equal(system(cmd), 0);
}

/* Writes `text` to dir/name; returns the path in buf. */
static const char *
put(const char *dir, const char *name, const char *text, char *buf,
    size_t size)
{
	FILE *f;

	assert_true(snprintf(buf, size, "%s/%s", dir, name) < (int)size);
	f = fopen(buf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return buf;
}
#define PUT(dir, name, text) put((dir), (name), (text), (char[192]){ 0 }, 192)

/* Whether a line of d starts with `prefix` and holds `words`. */
static int
has(const struct script_diag *d, const char *prefix, const char *words)
{
	for (size_t i = 0; i < d->count; i++)
		if (strncmp(d->lines[i], prefix, strlen(prefix)) == 0 &&
		    strstr(d->lines[i], words) != NULL)
			return 1;
	return 0;
}

/* Loads `path`, which must fail with a line `prefix`...`words`. */
static void
expect_fail(const char *path, const char *prefix, const char *words)
{
	struct script_diag d = { 0 };
	struct script *s = script_load(path, &d);

	for (size_t i = 0; i < d.count; i++) {
		print_message("got: %s\n", d.lines[i]);
		assert_null(strstr(d.lines[i], SECRET));
	}
	assert_null(s);
	assert_true(has(&d, prefix, words));
	script_diag_free(&d);
}

/* Loads `path`, which must load without a problem. */
static void
expect_load(const char *path)
{
	struct script_diag d = { 0 };
	struct script *s = script_load(path, &d);

	for (size_t i = 0; i < d.count; i++)
		print_message("unexpected: %s\n", d.lines[i]);
	assert_non_null(s);
	assert_int_equal(d.count, 0);
	script_free(s);
}

static void
test_include_outside_refused(void **state)
{
	struct tree t;
	char main_path[192], want[192], text[512];

	(void)state;
	tree_make(&t);
	PUT(t.out, "topo.cfg", UNIT_SCRIPT_TOPO);
	PUT(t.out, "secret.cfg", "password: " SECRET ";\n");
	snprintf(want, sizeof want, "%s/main.cfg:3: ", t.lesson);

	/* By absolute path: a lesson file, but outside the tree. */
	snprintf(text, sizeof text, HEAD "@include \"%s/topo.cfg\"\n" STEPS,
	    t.out);
	put(t.lesson, "main.cfg", text, main_path, sizeof main_path);
	expect_fail(main_path, want, "/out/topo.cfg': the path is outside "
	    "the allowed tree");
	/* Not a lesson at all: refused before it is read. */
	put(t.lesson, "main.cfg", HEAD "@include \"/etc/passwd\"\n" STEPS,
	    main_path, sizeof main_path);
	expect_fail(main_path, want, "cannot include '/etc/passwd': the path "
	    "is outside the allowed tree");
	/* By "..", even where the file is missing. */
	put(t.lesson, "main.cfg", HEAD "@include \"../out/secret.cfg\"\n"
	    STEPS, main_path, sizeof main_path);
	expect_fail(main_path, want, "the path is outside the allowed tree");
	put(t.lesson, "main.cfg", HEAD "@include \"../out/none.cfg\"\n"
	    STEPS, main_path, sizeof main_path);
	expect_fail(main_path, want, "the path is outside the allowed tree");
	/* ".." that comes back in is fine. */
	put(t.lesson, "main.cfg", HEAD "@include \"../lesson/topo.cfg\"\n"
	    STEPS, main_path, sizeof main_path);
	PUT(t.lesson, "topo.cfg", UNIT_SCRIPT_TOPO);
	expect_load(main_path);
	tree_remove(&t);
}

static void
test_include_symlinks(void **state)
{
	struct tree t;
	char main_path[192], link[192], target[192], want[192];

	(void)state;
	tree_make(&t);
	PUT(t.out, "secret.cfg", "password: " SECRET ";\n");
	PUT(t.lesson, "topo.cfg", UNIT_SCRIPT_TOPO);
	snprintf(want, sizeof want, "%s/main.cfg:3: ", t.lesson);

	/* A link inside the tree to a file outside it. */
	snprintf(link, sizeof link, "%s/shared.cfg", t.lesson);
	snprintf(target, sizeof target, "%s/secret.cfg", t.out);
	assert_int_equal(symlink(target, link), 0);
	put(t.lesson, "main.cfg", HEAD "@include \"shared.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	expect_fail(main_path, want, "shared.cfg': the path is outside the "
	    "allowed tree (a symbolic link leads to ");
	/* A linked directory leads out just the same. */
	snprintf(link, sizeof link, "%s/outdir", t.lesson);
	assert_int_equal(symlink(t.out, link), 0);
	put(t.lesson, "main.cfg", HEAD "@include \"outdir/secret.cfg\"\n"
	    STEPS, main_path, sizeof main_path);
	expect_fail(main_path, want, "the path is outside the allowed tree");
	/* A link that stays inside is fine. */
	snprintf(link, sizeof link, "%s/again.cfg", t.lesson);
	assert_int_equal(symlink("topo.cfg", link), 0);
	put(t.lesson, "main.cfg", HEAD "@include \"again.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	expect_load(main_path);
	tree_remove(&t);
}

static void
test_include_nested(void **state)
{
	struct tree t;
	char main_path[192], sub[192], want[192], text[256];

	(void)state;
	tree_make(&t);
	snprintf(sub, sizeof sub, "%s/parts", t.lesson);
	assert_int_equal(mkdir(sub, 0700), 0);
	PUT(t.out, "secret.cfg", "password: " SECRET ";\n");
	/* Names are relative to the script's directory, at every depth. */
	PUT(sub, "topo.cfg", "# the topology\n@include \"parts/topo2.cfg\"\n");
	PUT(sub, "topo2.cfg", UNIT_SCRIPT_TOPO);
	put(t.lesson, "main.cfg", HEAD "@include \"parts/topo.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	expect_load(main_path);
	/* A nested include that leads out names its own file and line. */
	snprintf(text, sizeof text, "# the topology\n@include \"%s/secret.cfg\"\n",
	    t.out);
	PUT(sub, "topo.cfg", text);
	snprintf(want, sizeof want, "%s/parts/topo.cfg:2: ", t.lesson);
	expect_fail(main_path, want, "the path is outside the allowed tree");
	tree_remove(&t);
}

static void
test_include_dir_option(void **state)
{
	struct tree t;
	char main_path[192], want[192], *cause = NULL;

	(void)state;
	tree_make(&t);
	PUT(t.out, "shared.cfg", UNIT_SCRIPT_TOPO);
	put(t.lesson, "main.cfg", HEAD "@include \"../out/shared.cfg\"\n"
	    STEPS, main_path, sizeof main_path);
	snprintf(want, sizeof want, "%s/main.cfg:3: ", t.lesson);
	expect_fail(main_path, want, "the path is outside the allowed tree");

	assert_int_equal(script_include_dir_add(t.out, &cause), 0);
	assert_null(cause);
	expect_load(main_path);
	/* A relative name missing beside the script is looked for there. */
	put(t.lesson, "main.cfg", HEAD "@include \"shared.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	expect_load(main_path);
	script_include_dirs_clear();
	expect_fail(main_path, want, "shared.cfg': No such file or directory");

	assert_int_equal(script_include_dir_add("/nonexistent/dir", &cause),
	    -1);
	assert_string_equal(cause, "'/nonexistent/dir': No such file or "
	    "directory");
	free(cause);
	assert_int_equal(script_include_dir_add(main_path, &cause), -1);
	assert_non_null(strstr(cause, "is not a directory"));
	free(cause);
	tree_remove(&t);
}

/*
 * An allowed included file that does not parse: the message gives its
 * file and line but none of its text. The script the user named still
 * gets its offending word quoted.
 */
static void
test_included_text_never_quoted(void **state)
{
	struct tree t;
	char main_path[192], want[192];

	(void)state;
	tree_make(&t);
	put(t.lesson, "main.cfg", HEAD "@include \"notes.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	snprintf(want, sizeof want, "%s/notes.cfg:2: ", t.lesson);

	PUT(t.lesson, "notes.cfg", "# not a lesson\npassword: " SECRET "\n");
	expect_fail(main_path, want, "syntax error; text values need double "
	    "quotes");
	PUT(t.lesson, "notes.cfg", "# not a lesson\npin = 99999999999999999999"
	    SECRET ";\n");
	expect_fail(main_path, want, "a number on this line does not fit in "
	    "64 bits");
	PUT(t.lesson, "notes.cfg", "# not a lesson\npin = \"\xff" SECRET "\";\n");
	expect_fail(main_path, want, "the text is not valid UTF-8 (column 8)");

	/* In the named script the word is the hint. */
	put(t.lesson, "main.cfg", HEAD "x = " SECRET ";\n",
	    main_path, sizeof main_path);
	{
		struct script_diag d = { 0 };
		assert_null(script_load(main_path, &d));
		snprintf(want, sizeof want, "%s/main.cfg:3: ", t.lesson);
		assert_true(has(&d, want, "write \"" SECRET "\""));
		script_diag_free(&d);
	}
	tree_remove(&t);
}

/* ---------------------------------------------------------------------- */
/* Comments                                                                 */

static void
expect_ok(const char *text)
{
	struct script_diag d = { 0 };
	struct script *s = script_load_string(text, "t.cfg", &d);

	for (size_t i = 0; i < d.count; i++)
		print_message("unexpected: %s\n", d.lines[i]);
	assert_non_null(s);
	script_free(s);
}

#define UNCLOSED "the comment opened with /* here is never closed; end it " \
	"with */ (libconfig would ignore the rest of the file)"

static void
test_comment_never_closed(void **state)
{
	(void)state;
	unit_fails_with(HEAD UNIT_SCRIPT_TOPO STEPS "/* the rest\nchallenge = { };\n",
	    "t.cfg:11: " UNCLOSED);
	unit_fails_with(HEAD UNIT_SCRIPT_TOPO STEPS "/*", "t.cfg:11: " UNCLOSED);
	unit_fails_with(HEAD UNIT_SCRIPT_TOPO STEPS "/*/", "t.cfg:11: " UNCLOSED);
	unit_fails_with(HEAD UNIT_SCRIPT_TOPO STEPS "/* a */ /* b *", "t.cfg:11: " UNCLOSED);
	/* Where it opens, after a closed one over several lines. */
	unit_fails_with(HEAD "/* one\ntwo */\n" UNIT_SCRIPT_TOPO STEPS "x = 1; /* three\n",
	    "t.cfg:13: " UNCLOSED);
}

static void
test_comment_lookalikes(void **state)
{
	(void)state;
	/* A comment opener in a string, or in a line comment, opens nothing. */
	expect_ok(HEAD "summary = { en = \"a /* b\"; zh = \"/*\"; };\n"
	    "# a /* in a hash comment\n"
	    "// and /* in a slash comment\n" UNIT_SCRIPT_TOPO STEPS);
	expect_ok(HEAD "summary = { en = \"a \\\" /* b\"; zh = \"c\"; }; // /*\n"
	    UNIT_SCRIPT_TOPO STEPS);
	/* Closed comments of every shape. */
	expect_ok(HEAD "/**/ /***/ /* a\n * b\n */\n" UNIT_SCRIPT_TOPO STEPS);
	/*
	 * Inside a block comment, as in libconfig's lexer, neither "//" nor
	 * a quote means anything: the first star-slash closes it.
	 */
	expect_ok(HEAD "/* open\n// */ summary = { en = \"s\"; zh = \"s\"; };\n"
	    UNIT_SCRIPT_TOPO STEPS);
	expect_ok(HEAD "/* \"*/ summary = { en = \"s\"; zh = \"s\"; };\n"
	    UNIT_SCRIPT_TOPO STEPS);
}

static void
test_comment_unclosed_in_include(void **state)
{
	struct tree t;
	char main_path[192], want[192];

	(void)state;
	tree_make(&t);
	PUT(t.lesson, "topo.cfg", UNIT_SCRIPT_TOPO "/* left open\n");
	put(t.lesson, "main.cfg", HEAD "@include \"topo.cfg\"\n" STEPS,
	    main_path, sizeof main_path);
	snprintf(want, sizeof want, "%s/topo.cfg:8: ", t.lesson);
	expect_fail(main_path, want, UNCLOSED);
	tree_remove(&t);
}

/* ---------------------------------------------------------------------- */
/* Strings where libconfig cannot take one                                  */

static void
test_misplaced_strings(void **state)
{
	(void)state;
	/* Still libconfig's own syntax error, on the same line. */
	unit_fails_with(HEAD "a = 1 \"x\";\n", "t.cfg:3: syntax error");
	unit_fails_with(HEAD "\"x\" = 1;\n", "t.cfg:3: syntax error");
	unit_fails_with(HEAD "a = ( 1 \"x\" );\n", "t.cfg:3: syntax error");
	unit_fails_with(HEAD "a = { b = 1, \"x\" };\n", "t.cfg:3: syntax error");
	unit_fails_with(HEAD "a = 1, \"x\";\n", "t.cfg:3: syntax error");
	unit_fails_with(HEAD "a = 1;\n\"x\ny\nz\";\n", "t.cfg:6: syntax error");
	unit_fails_with(HEAD "a = [ 1 ] \"\";\n", "t.cfg:3: syntax error");
	/* Where the grammar takes a string, it is kept. */
	expect_ok(HEAD "summary = { en = \"a\" \"b\"\n\"c\"; zh = \"d\"; };\n"
	    UNIT_SCRIPT_TOPO "steps = ( { say = { en = \"x\"; zh = \"y\"; }; },\n"
	    "{ do = \"publish\"; count = 1; key = \"k\"; } );\n");
}

/* A string that starts an included file follows what came before it. */
static void
test_string_across_include(void **state)
{
	struct tree t;
	char main_path[192];

	(void)state;
	tree_make(&t);
	PUT(t.lesson, "title.cfg", "\"T\";\n");
	put(t.lesson, "main.cfg", "id = \"t\";\ntitle = { en =\n"
	    "@include \"title.cfg\"\nzh = \"题\"; };\n" UNIT_SCRIPT_TOPO STEPS,
	    main_path, sizeof main_path);
	expect_load(main_path);
	tree_remove(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_include_outside_refused),
		cmocka_unit_test(test_include_symlinks),
		cmocka_unit_test(test_include_nested),
		cmocka_unit_test(test_include_dir_option),
		cmocka_unit_test(test_included_text_never_quoted),
		cmocka_unit_test(test_comment_never_closed),
		cmocka_unit_test(test_comment_lookalikes),
		cmocka_unit_test(test_comment_unclosed_in_include),
		cmocka_unit_test(test_misplaced_strings),
		cmocka_unit_test(test_string_across_include),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
