/*
 * What several unit tests share: a small lesson's opening (one direct
 * exchange "x" to queue "q" with key "k", one consumer "c", work_ms 5,
 * seed 3) and a loader that fails the test, printing the loader's
 * messages, when a script does not load. Include after <cmocka.h>.
 */
#ifndef RL_TEST_UNIT_H
#define RL_TEST_UNIT_H

#include <stdio.h>

#include "lesson/script.h"

#define UNIT_SCRIPT_HEAD \
    "id = \"t\";\n" \
    "title = { en = \"T\"; zh = \"T\"; };\n" \
    "seed = 3;\n" \
    "topology = {\n" \
    "  exchanges = ( { name = \"x\"; type = \"direct\"; } );\n" \
    "  queues = ( { name = \"q\"; } );\n" \
    "  bindings = ( { exchange = \"x\"; queue = \"q\"; key = \"k\"; } );\n" \
    "  consumers = ( { name = \"c\"; queue = \"q\"; } );\n" \
    "  publish = { exchange = \"x\"; key = \"k\"; };\n" \
    "};\n" \
    "toggles = { work_ms = 5; };\n"

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

#endif
