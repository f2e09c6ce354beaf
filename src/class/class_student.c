/*
 * A student reporting to a class (class_student.h): events into the
 * outbox, the outbox onto the link, confirms back into the outbox.
 */
#include "class/class_student.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/xmalloc.h"

#define CLASS_MAX_FLYING 64

int64_t
class_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
class_student_news(void *ctx, const char *line)
{
	struct class_student *cs = ctx;

	snprintf(cs->last_news, sizeof cs->last_news, "%s", line);
	if (cs->news)
		cs->news(cs->news_ctx, line);
}

/* Drops flying entry i. */
static void
class_fly_drop(struct class_student *cs, size_t i)
{
	cs->fly[i] = cs->fly[--cs->nfly];
}

/* The owed event seq, or NULL. */
static struct class_owed *
class_owed_find(struct class_student *cs, uint64_t seq)
{
	for (size_t i = 0; i < cs->ob.n; i++)
		if (cs->ob.v[i].seq == seq)
			return &cs->ob.v[i];
	return NULL;
}

static void
class_student_confirm(void *ctx, uint64_t tag, int multiple, int ack)
{
	struct class_student *cs = ctx;
	int redeclare = 0;

	for (size_t i = 0; i < cs->nfly;) {
		struct class_flying f = cs->fly[i];
		char *cause = NULL;
		if (f.tag != tag && !(multiple && f.tag < tag)) {
			i++;
			continue;
		}
		class_fly_drop(cs, i);
		if (ack && !f.returned) {
			cs->confirmed++;
			if (class_outbox_sent(&cs->ob, f.seq, &cause) != 0) {
				class_student_news(cs, cause);
				free(cause);
			}
			continue;
		}
		/* Nacked or returned: still owed, published again. */
		struct class_owed *o = class_owed_find(cs, f.seq);
		if (o)
			o->flying = 0;
		redeclare |= f.returned;
	}
	if (redeclare)
		class_link_restart(&cs->link, "a progress event came back "
		    "unroutable (no class queue): declaring it again");
}

static void
class_student_returned(void *ctx, const char *message_id)
{
	struct class_student *cs = ctx;
	const char *dash = strrchr(message_id, '-');
	uint64_t seq;

	if (dash == NULL || sscanf(dash + 1, "%" SCNu64, &seq) != 1)
		return;
	for (size_t i = 0; i < cs->nfly; i++)
		if (cs->fly[i].seq == seq)
			cs->fly[i].returned = 1;
}

static void
class_student_lost(void *ctx)
{
	struct class_student *cs = ctx;

	cs->nfly = 0;
	class_outbox_unfly(&cs->ob);
}

static const struct class_link_ops class_student_ops = {
	.confirm = class_student_confirm,
	.returned = class_student_returned,
	.lost = class_student_lost,
	.news = class_student_news,
};

int
class_student_open(struct class_student *cs, const char *url,
    const char *what, const char *klass, const char *name,
    const char *state_dir, char **cause)
{
	struct live_target *hosts;
	size_t nhosts;
	char why[160];
	int rc;

	memset(cs, 0, sizeof *cs);
	*cause = NULL;
	if (!class_klass_ok(klass, why, sizeof why)) {
		*cause = xasprintf("--class-name: '%s' is not %s", klass, why);
		return -1;
	}
	if (!class_name_ok(name, why, sizeof why)) {
		*cause = xasprintf("--student: expected %s", why);
		return -1;
	}
	if (class_link_targets(url, what, &hosts, &nhosts, cause) != 0)
		return -1;
	rc = class_outbox_open(&cs->ob, state_dir, klass, name, cause);
	if (rc < 0) {
		memset(hosts, 0, nhosts * sizeof *hosts);
		free(hosts);
		class_outbox_close(&cs->ob);
		return -1;
	}
	snprintf(cs->name, sizeof cs->name, "%s", name);
	snprintf(cs->klass, sizeof cs->klass, "%s", klass);
	cs->max_flying = CLASS_MAX_FLYING;
	class_link_init(&cs->link, hosts, nhosts, klass, CLASS_LINK_STUDENT,
	    &class_student_ops, cs);
	return 0;
}

int
class_student_report(struct class_student *cs, struct class_event *ev,
    char **cause)
{
	char json[CLASS_EVENT_JSON_MAX];

	if (cs->lesson[0] == '\0') {
		*cause = xstrdup("no lesson is open");
		return -1;
	}
	if (ev->kind == CLASS_CHALLENGE) {
		ev->attempt = ++cs->attempts;
		ev->after_solution = cs->solution_seen;
	} else if (ev->kind == CLASS_SOLUTION)
		cs->solution_seen = 1;
	snprintf(ev->student, sizeof ev->student, "%s", cs->name);
	snprintf(ev->klass, sizeof ev->klass, "%s", cs->klass);
	snprintf(ev->lesson, sizeof ev->lesson, "%s", cs->lesson);
	ev->ts_ms = class_wall_ms();
	ev->spent_ms = ev->ts_ms >= cs->lesson_t0 ? ev->ts_ms - cs->lesson_t0 :
	    0;
	if (class_outbox_add(&cs->ob, ev, cause) != 0)
		return -1;
	cs->made++;
	if (cs->sent_log && class_event_encode(ev, json, sizeof json) > 0) {
		fprintf(cs->sent_log, "%s\n", json);
		fflush(cs->sent_log);
	}
	class_student_tick(cs);
	return 0;
}

int
class_student_lesson(struct class_student *cs, const char *lesson,
    char **cause)
{
	struct class_event ev = { .kind = CLASS_OPENED };

	snprintf(cs->lesson, sizeof cs->lesson, "%s", lesson);
	cs->lesson_t0 = class_wall_ms();
	cs->attempts = 0;
	cs->solution_seen = 0;
	return class_student_report(cs, &ev, cause);
}

void
class_student_tick(struct class_student *cs)
{
	class_link_step(&cs->link);
	for (size_t i = 0; i < cs->ob.n && cs->nfly < cs->max_flying &&
	    class_link_ready(&cs->link); i++) {
		struct class_owed *o = &cs->ob.v[i];
		char id[CLASS_ID_MAX];
		uint64_t tag;
		if (o->flying)
			continue;
		snprintf(id, sizeof id, "%s-%" PRIu64, cs->ob.student_id,
		    o->seq);
		if (class_link_publish(&cs->link, id, o->json, strlen(o->json),
		    &tag) != 0)
			break;
		o->flying = 1;
		cs->fly = xgrow(cs->fly, &cs->fly_cap, cs->nfly + 1,
		    sizeof *cs->fly);
		cs->fly[cs->nfly++] = (struct class_flying){ tag, o->seq, 0 };
	}
}

size_t
class_student_owed(const struct class_student *cs)
{
	return cs->ob.n;
}

void
class_student_close(struct class_student *cs)
{
	class_link_close(&cs->link);
	class_outbox_close(&cs->ob);
	free(cs->fly);
	memset(cs, 0, sizeof *cs);
}
