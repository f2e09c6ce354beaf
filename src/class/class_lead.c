/*
 * The teacher's lead and its followers (class_lead.h) over one
 * class_link each: the teacher's in CLASS_LINK_LEADER role publishes the
 * latest position when it changes and on a timer; the follower's in
 * CLASS_LINK_FOLLOWER role keeps the latest lead message that decodes.
 */
#include "class/class_lead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "class/class_outbox.h"
#include "class/class_student.h"
#include "util/xmalloc.h"

static void
class_lead_news(void *ctx, const char *line)
{
	struct class_lead *l = ctx;

	snprintf(l->news, sizeof l->news, "%s", line);
}

/* A follower's delivery (no ack: the queue is its own, without acks). */
static void
class_lead_deliver(void *ctx, uint64_t tag, const char *body, size_t len,
    int over)
{
	struct class_lead *l = ctx;
	struct class_event ev;
	char why[200];

	(void)tag;
	if (class_event_decode_body(body, len, over, &ev, why,
	    sizeof why) == 0) {
		if (ev.kind == CLASS_LEAD && strcmp(ev.klass,
		    l->said.klass) == 0) {
			l->heard = ev;
			l->nheard++;
			return;
		}
		snprintf(why, sizeof why, "not a lead of class %s",
		    l->said.klass);
	}
	l->dropped++;
	snprintf(l->news, sizeof l->news, "class: dropped a message that is "
	    "not the teacher's lead: %.190s", why);
}

static const struct class_link_ops class_lead_ops = {
	.deliver = class_lead_deliver,
	.news = class_lead_news,
};

int
class_lead_open(struct class_lead *l, const char *url, const char *what,
    const char *klass, const char *name, int teach, char **cause)
{
	struct live_target *hosts;
	size_t nhosts;
	char why[120];

	memset(l, 0, sizeof *l);
	if (teach && !class_name_ok(name, why, sizeof why)) {
		*cause = xasprintf("the teacher's name: %s", why);
		return -1;
	}
	if (class_link_targets(url, what, &hosts, &nhosts, cause) != 0)
		return -1;
	l->teach = teach;
	l->sent_ms = -1;
	snprintf(l->said.klass, sizeof l->said.klass, "%s", klass);
	if (teach) {
		snprintf(l->said.student, sizeof l->said.student, "%s", name);
		class_outbox_new_id(l->id);
	}
	l->said.kind = CLASS_LEAD;
	class_link_init(&l->link, hosts, nhosts, klass, teach ?
	    CLASS_LINK_LEADER : CLASS_LINK_FOLLOWER, &class_lead_ops, l);
	return 0;
}

void
class_lead_say(struct class_lead *l, const char *lesson, int step,
    int released)
{
	if (!l->teach)
		return;
	if (l->has_said && strcmp(l->said.lesson, lesson) == 0 &&
	    l->said.step == step && l->said.released == (released != 0))
		return;
	snprintf(l->said.lesson, sizeof l->said.lesson, "%s", lesson);
	l->said.step = step;
	l->said.released = released != 0;
	l->has_said = 1;
	l->sent_ms = -1;
}

/* Teacher: publishes the position when owed or due again. */
static void
class_lead_send(struct class_lead *l)
{
	char json[CLASS_EVENT_JSON_MAX];
	int64_t now = class_wall_ms();
	uint64_t tag;
	int n;

	if (!l->has_said || !class_link_ready(&l->link) ||
	    (l->sent_ms >= 0 && now - l->sent_ms < CLASS_LEAD_REPEAT_MS))
		return;
	snprintf(l->said.id, sizeof l->said.id, "%s-%llu", l->id,
	    (unsigned long long)++l->seq);
	l->said.ts_ms = now;
	n = class_event_encode(&l->said, json, sizeof json);
	if (n > 0 && class_link_publish(&l->link, l->said.id, json, (size_t)n,
	    &tag) == 0)
		l->sent_ms = now;
}

void
class_lead_tick(struct class_lead *l)
{
	class_link_step(&l->link);
	if (l->teach)
		class_lead_send(l);
}

const struct class_event *
class_lead_heard(const struct class_lead *l)
{
	return l->nheard ? &l->heard : NULL;
}

int
class_lead_fd(const struct class_lead *l)
{
	return class_link_fd(&l->link);
}

void
class_lead_close(struct class_lead *l)
{
	class_link_close(&l->link);
	memset(l, 0, sizeof *l);
}
