/*
 * The engine registry and the failure table shared by both engines.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

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

struct engine_queue_view *
engine_queue_views(struct engine_queue_view *views, const struct broker *b,
    int64_t now)
{
	free(views);
	views = xcalloc(b->nqueues ? b->nqueues : 1, sizeof *views);
	for (size_t i = 0; i < b->nqueues; i++) {
		struct broker_queue *q = &b->queues[i];
		struct engine_queue_view *qv = &views[i];
		int64_t due = broker_head_due(q);

		qv->name = q->spec->name;
		qv->type = q->type;
		qv->durable = q->durable;
		qv->exists = q->exists && b->up;
		qv->ready = q->ready.len;
		qv->unacked = q->unacked;
		qv->max_length = broker_max_length(q);
		qv->ttl_ms = broker_ttl(q);
		qv->role = q->spec->role;
		qv->head_expires_in_us = due == BROKER_NEVER ? -1 :
		    due > now ? due - now : 0;
	}
	return views;
}
