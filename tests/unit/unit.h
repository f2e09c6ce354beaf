/*
 * What several unit tests share: a small lesson's opening (one direct
 * exchange "x" to queue "q" with key "k", one consumer "c", work_ms 5,
 * seed 3), a loader that fails the test, printing the loader's messages,
 * when a script does not load, and a scratch directory under /tmp with
 * the processes a test leaves in it, and a session's ledger counters.
 * Include after <cmocka.h>.
 */
#ifndef RL_TEST_UNIT_H
#define RL_TEST_UNIT_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "engine/live_broker.h"
#include "lesson/script.h"
#include "lesson/session.h"
#include "model/ledger.h"

/* The topology alone (seven lines). */
#define UNIT_SCRIPT_TOPO \
    "topology = {\n" \
    "  exchanges = ( { name = \"x\"; type = \"direct\"; } );\n" \
    "  queues = ( { name = \"q\"; } );\n" \
    "  bindings = ( { exchange = \"x\"; queue = \"q\"; key = \"k\"; } );\n" \
    "  consumers = ( { name = \"c\"; queue = \"q\"; } );\n" \
    "  publish = { exchange = \"x\"; key = \"k\"; };\n" \
    "};\n"

#define UNIT_SCRIPT_HEAD \
    "id = \"t\";\n" \
    "title = { en = \"T\"; zh = \"T\"; };\n" \
    "seed = 3;\n" \
    UNIT_SCRIPT_TOPO \
    "toggles = { work_ms = 5; };\n"

/*
 * Loads `text` as "t.cfg": it must fail with exactly `line` as its only
 * problem (every message is printed, for the failing test's log).
 */
static inline void
unit_fails_with(const char *text, const char *line)
{
	struct script_diag d = { 0 };
	struct script *s = script_load_string(text, "t.cfg", &d);

	for (size_t i = 0; i < d.count; i++)
		print_message("got: %s\n", d.lines[i]);
	assert_null(s);
	assert_int_equal(d.count, 1);
	assert_string_equal(d.lines[0], line);
	script_diag_free(&d);
}

/* The script in `text`, named `name` in messages; the test fails if not. */
static inline struct script *
unit_script(const char *text, const char *name)
{
	struct script_diag d = { 0 };
	struct script *s = script_load_string(text, name, &d);

	for (size_t i = 0; i < d.count; i++)
		fprintf(stderr, "%s\n", d.lines[i]);
	script_diag_free(&d);
	assert_non_null(s);
	return s;
}

/* The ledger counter `name` of session `ss` now; the test fails if the
 * ledger has no such counter. */
static inline uint64_t
unit_count(struct session *ss, const char *name)
{
	struct ledger_summary sum;
	uint64_t v = UINT64_MAX;

	session_summary(ss, &sum);
	assert_int_equal(ledger_counter(&sum, name, &v), 0);
	return v;
}

/*
 * A test's scratch directory: made by unit_scratch_setup and removed, with
 * everything in it, by unit_scratch_teardown (cmocka's setup and teardown
 * of a test; the state is a struct unit_scratch *).
 */
struct unit_scratch {
	char base[64];  /* the directory */
	char path[512]; /* the last unit_at */
	pid_t kids[8];  /* processes the test started: killed at teardown */
	int nkids;
};

/* `rel` inside the scratch directory; valid until the next call. */
static inline const char *
unit_at(struct unit_scratch *s, const char *rel)
{
	snprintf(s->path, sizeof s->path, "%s/%s", s->base, rel);
	return s->path;
}

/* Makes a scratch directory in *state; -1 (the test fails) if it cannot. */
static inline int
unit_scratch_setup(void **state)
{
	struct unit_scratch *s = calloc(1, sizeof *s);

	if (s == NULL)
		return -1;
	snprintf(s->base, sizeof s->base, "/tmp/rabbitlab-unit-XXXXXX");
	if (mkdtemp(s->base) == NULL) {
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

/* Kills and reaps s->kids, then removes the directory: -1 if it cannot. */
static inline int
unit_scratch_teardown(void **state)
{
	struct unit_scratch *s = *state;
	int rc;

	for (int i = 0; i < s->nkids; i++) {
		kill(s->kids[i], SIGKILL);
		waitpid(s->kids[i], NULL, 0);
	}
	rc = live_broker_rmtree(s->base, NULL);
	free(s);
	return rc;
}

/* Whether `path` exists (a link counts, whatever it points at). */
static inline int
unit_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Writes `text` to the file `path`, made or emptied; the test fails if
 * it cannot be opened. */
static inline void
unit_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#endif
