/*
 * The engine registry and the failure table shared by both engines.
 */
#include "engine/engine.h"

#include <string.h>

static const struct {
	const char *name, *help;
} engine_failures[FAIL_COUNT] = {
#define FAILURE_ROW(id, name, help) [FAIL_##id] = { name, help },
	FAILURES(FAILURE_ROW)
#undef FAILURE_ROW
};

const char *
engine_failure_name(enum failure_kind kind)
{
	return (unsigned)kind < FAIL_COUNT ? engine_failures[kind].name : "?";
}

const char *
engine_failure_help(enum failure_kind kind)
{
	return (unsigned)kind < FAIL_COUNT ? engine_failures[kind].help : "?";
}

int
engine_failure_find(const char *name)
{
	for (int i = 0; i < FAIL_COUNT; i++)
		if (strcmp(engine_failures[i].name, name) == 0)
			return i;
	return -1;
}

const struct engine_ops *
engine_find(const char *name)
{
	if (strcmp(name, engine_sim_ops.name) == 0)
		return &engine_sim_ops;
	if (strcmp(name, engine_live_ops.name) == 0)
		return &engine_live_ops;
	return NULL;
}
