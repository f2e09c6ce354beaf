/*
 * Unit tests of the private node's housekeeping (engine/live_broker.h) that
 * need no broker: live_broker_rmtree removes a tree whose names a shell
 * would have to quote (a single quote, spaces, a `$(...)`) without
 * following its symbolic links out of it, and a bare link as a link.
 *
 * The regression: the node's directory used to be removed by
 * `/bin/sh -c "rm -rf -- '<dir>'"` with the path pasted in unescaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "unit/unit.h"

/* The scratch directory (unit.h) holds the tree and what lies outside it. */

static void
make_file(struct unit_scratch *s, const char *rel)
{
	int fd = open(unit_at(s, rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);
}

static void
make_dir(struct unit_scratch *s, const char *rel)
{
	assert_int_equal(mkdir(unit_at(s, rel), 0700), 0);
}

static void
make_link(struct unit_scratch *s, const char *target, const char *rel)
{
	assert_int_equal(symlink(target, unit_at(s, rel)), 0);
}

static int
exists(struct unit_scratch *s, const char *rel)
{
	return unit_exists(unit_at(s, rel));
}

static void
test_rmtree_quotes_spaces_links(void **state)
{
	struct unit_scratch *s = *state;
	char out_dir[600], out_file[600];
	char *cause = NULL;

	/* Outside the tree: what its links point at. */
	make_dir(s, "outside");
	make_file(s, "outside/precious");
	make_file(s, "outside file");
	snprintf(out_dir, sizeof out_dir, "%s/outside", s->base);
	snprintf(out_file, sizeof out_file, "%s/outside file", s->base);
	/* The tree, named as no shell command line may paste it. */
	make_dir(s, "it's a node");
	make_file(s, "it's a node/a file");
	make_dir(s, "it's a node/sub dir");
	make_file(s, "it's a node/sub dir/'; touch pwned; '");
	make_dir(s, "it's a node/sub dir/$(touch pwned)");
	make_file(s, "it's a node/sub dir/$(touch pwned)/x");
	make_link(s, out_dir, "it's a node/link to outside");
	make_link(s, "../../outside", "it's a node/sub dir/relative link");
	make_link(s, out_file, "it's a node/file link");
	make_link(s, "/nonexistent/rabbitlab", "it's a node/dangling");

	assert_int_equal(live_broker_rmtree(unit_at(s, "it's a node"), &cause), 0);
	assert_null(cause);
	assert_false(exists(s, "it's a node"));
	/* The links went, not what they point at; no shell ran. */
	assert_true(exists(s, "outside"));
	assert_true(exists(s, "outside/precious"));
	assert_true(exists(s, "outside file"));
	assert_false(exists(s, "pwned"));
	assert_false(exists(s, "it's a node/sub dir/pwned"));
}

static void
test_rmtree_link_and_missing(void **state)
{
	struct unit_scratch *s = *state;

	make_dir(s, "target");
	make_file(s, "target/f");
	make_link(s, "target", "the link");
	/* A path that is itself a link: the link goes, the tree stays. */
	assert_int_equal(live_broker_rmtree(unit_at(s, "the link"), NULL), 0);
	assert_false(exists(s, "the link"));
	assert_true(exists(s, "target/f"));
	/* Nothing there: nothing to do. */
	assert_int_equal(live_broker_rmtree(unit_at(s, "no such dir"), NULL), 0);
	/* A plain file. */
	assert_int_equal(live_broker_rmtree(unit_at(s, "target/f"), NULL), 0);
	assert_false(exists(s, "target/f"));
	assert_true(exists(s, "target"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rmtree_quotes_spaces_links,
		    unit_scratch_setup, unit_scratch_teardown),
		cmocka_unit_test_setup_teardown(test_rmtree_link_and_missing,
		    unit_scratch_setup, unit_scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
