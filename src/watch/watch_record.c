/*
 * The watched session as a lesson script (see watch_record.h).
 */
#include "watch/watch_record.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_write.h"
#include "util/file.h"
#include "util/xmalloc.h"

#define WR_MAX_STEPS 2000      /* publish steps written at the most */
#define WR_MAX_WAIT_MS INT64_C(86400000) /* the longest wait a script takes */

/* Whether `x` is an exchange the script declares ("" the default). */
static int
wr_exchange_known(const struct topology *t, const char *x)
{
	if (x == NULL || x[0] == '\0')
		return x != NULL;
	for (size_t i = 0; i < t->nexchanges; i++)
		if (strcmp(t->exchanges[i].name, x) == 0)
			return 1;
	return 0;
}

static int
wr_queue_known(const struct topology *t, const char *q)
{
	for (size_t i = 0; i < t->nqueues; i++)
		if (strcmp(t->queues[i].name, q) == 0)
			return 1;
	return 0;
}

/* A consumer name a script takes: letters, digits, . _ - kept. */
static void
wr_name(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			*s = '-';
}

/* The seen topology, cut to what a script can declare by itself. */
static struct topology *
wr_topology(struct watch_ctl *w)
{
	struct topology *t = topology_copy(&watch_track_seen(w->t)->topo);
	size_t k = 0;

	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i].dlx && t->queues[i].dlx[0] &&
		    !wr_exchange_known(t, t->queues[i].dlx)) {
			free(t->queues[i].dlx);
			free(t->queues[i].dlrk);
			t->queues[i].dlx = t->queues[i].dlrk = NULL;
		}
	for (size_t i = 0; i < t->nconsumers; i++) {
		struct topo_consumer c = t->consumers[i];
		if (!wr_queue_known(t, c.queue)) {
			topology_consumer_clear(&c);
			continue;
		}
		wr_name(c.name);
		t->consumers[k++] = c;
	}
	t->nconsumers = k;
	if (!wr_exchange_known(t, t->publish_exchange)) {
		free(t->publish_exchange);
		t->publish_exchange = xstrdup("");
	}
	return t;
}

/* The script target standing for connection `name`'s failure. */
static const char *
wr_link_target(struct watch_ctl *w, const struct topology *t,
    const char *name, char *buf, size_t len)
{
	struct watch_seen *s = watch_track_seen(w->t);

	for (size_t i = 0; i < s->nconns; i++) {
		const struct watch_seen_conn *c = &s->conns[i];
		char num[16];
		snprintf(num, sizeof num, "%u", c->id);
		if (name && strcmp(name, c->label) != 0 &&
		    strcmp(name, num) != 0 && !(name[0] == 'c' &&
		    strcmp(name + 1, num) == 0))
			continue;
		if (c->published || !c->consumes)
			return "producer";
		snprintf(buf, len, "%s ", c->label);
		wr_name(buf);
		for (size_t k = 0; k < t->nconsumers; k++)
			if (strncmp(t->consumers[k].name, buf,
			    strlen(buf)) == 0) {
				snprintf(buf, len, "%s", t->consumers[k].name);
				return buf;
			}
		return "consumer";
	}
	return "producer";
}

/* One failure asked for, as a step (none for a black hole's end). */
static void
wr_fail(struct script_write_buf *b, struct watch_ctl *w,
    const struct topology *t, const struct watch_fail_req *r)
{
	char buf[160];
	const char *tg = r->target;
	struct script_action a;

	memset(&a, 0, sizeof a);
	a.kind = ACT_FAIL;
	switch (r->kind) {
	case WATCH_FAIL_KILL:
		a.fail.kind = FAIL_BROKER_CRASH;
		break;
	case WATCH_FAIL_STOP:
		a.fail.kind = FAIL_BROKER_STOP;
		break;
	case WATCH_FAIL_RESTART:
		a.kind = ACT_RESTART;
		break;
	case WATCH_FAIL_HEAL:
		return; /* a black hole's ms ends it in a script */
	case WATCH_FAIL_DELETE_EXCHANGE:
		a.fail.kind = FAIL_MISSING_EXCHANGE;
		if (tg && wr_exchange_known(t, tg) && tg[0])
			a.fail.target = tg;
		break;
	case WATCH_FAIL_FULL:
	case WATCH_FAIL_TTL:
		a.fail.kind = r->kind == WATCH_FAIL_FULL ? FAIL_QUEUE_FULL :
		    FAIL_MESSAGE_EXPIRY;
		if (tg && wr_queue_known(t, tg))
			a.fail.target = tg;
		if (r->kind == WATCH_FAIL_TTL)
			a.fail.ms = r->n;
		break;
	case WATCH_FAIL_CUT_CONSUMER:
		a.fail.kind = FAIL_CONSUMER_CRASH_BEFORE;
		tg = wr_link_target(w, t, tg, buf, sizeof buf);
		if (strcmp(tg, "producer") != 0 && strcmp(tg, "consumer") != 0)
			a.fail.target = tg;
		break;
	default:
		a.fail.kind = r->kind == WATCH_FAIL_CUT ? FAIL_CONNECTION_LOST :
		    FAIL_BLACKHOLE;
		a.fail.target = wr_link_target(w, t, tg, buf, sizeof buf);
		a.fail.ms = r->kind == WATCH_FAIL_BLACKHOLE && r->n > 0 ? r->n :
		    INT64_C(1000);
		break;
	}
	script_write_put(b, "  ");
	script_write_action(b, &a);
	script_write_put(b, ",\n");
}

/* Waits from *at_us to to_us, in steps a script takes (a day at most). */
static void
wr_wait(struct script_write_buf *b, int64_t *at_us, int64_t to_us)
{
	int64_t ms = to_us / 1000 - *at_us / 1000;

	while (ms > 0) {
		int64_t step = ms < WR_MAX_WAIT_MS ? ms : WR_MAX_WAIT_MS;
		script_write_put(b, "  { do = \"wait\"; ms = %" PRId64 "; },\n",
		    step);
		ms -= step;
	}
	if (to_us > *at_us)
		*at_us = to_us;
}

/* Writes publishes run by run (the same exchange, key and mode, each
 * within a millisecond of the last) and the failures between them. */
static void
wr_steps(struct script_write_buf *b, struct watch_ctl *w,
    const struct topology *t)
{
	uint32_t last = watch_track_last(w->t), id = 1;
	size_t fi = 0, steps = 0;
	int64_t at = 0;
	struct script_action pub;

	script_write_put(b, "steps = (\n");
	while (id <= last || fi < w->nasked) {
		struct watch_track_msg m;
		int64_t ft = fi < w->nasked ?
		    (int64_t)(w->asked[fi].t * 1e6) : INT64_MAX;
		uint32_t count = 1;
		if (id > last || watch_track_message(w->t, id, &m) != 0 ||
		    (m.published_at >= 0 ? m.published_at : 0) > ft) {
			if (fi >= w->nasked)
				break;
			wr_wait(b, &at, ft);
			wr_fail(b, w, t, &w->asked[fi++].req);
			continue;
		}
		id++;
		if (!m.published || !wr_exchange_known(t, m.exchange) ||
		    steps >= WR_MAX_STEPS)
			continue;
		wr_wait(b, &at, m.published_at);
		for (struct watch_track_msg n; id <= last &&
		    watch_track_message(w->t, id, &n) == 0 && n.published &&
		    n.published_at - at < 1000 && n.published_at <= ft &&
		    n.persistent == m.persistent &&
		    strcmp(n.exchange, m.exchange) == 0 &&
		    strcmp(n.routing_key, m.routing_key) == 0; id++)
			count++;
		memset(&pub, 0, sizeof pub);
		pub.kind = ACT_PUBLISH;
		pub.publish.count = count;
		pub.publish.exchange = m.exchange;
		pub.publish.key = m.routing_key;
		pub.publish.persistent = m.persistent != 0;
		pub.publish.expiration_ms = -1;
		pub.publish.delay_ms = -1;
		script_write_put(b, "  ");
		script_write_action(b, &pub);
		script_write_put(b, ",\n");
		steps++;
	}
	script_write_put(b, "  { do = \"settle\"; }\n);\n");
}

char *
watch_record_text(struct watch_ctl *w)
{
	struct script_write_buf b;
	struct topology *t = wr_topology(w);
	int64_t v[TOGGLE_COUNT], def[TOGGLE_COUNT];

	script_write_init(&b);
	script_write_put(&b, "# Written by rabbitlab watch --record: what an "
	    "application did through the lab.\n# Check it with `rabbitlab "
	    "check`; give it words and expectations (lessons/FORMAT.md).\n");
	script_write_put(&b, "id = \"watched\";\n");
	script_write_put(&b, "title = { en = \"An application, watched\"; "
	    "zh = \"被观察的应用\"; };\n");
	script_write_put(&b, "seed = 1;\n");
	script_write_topology(&b, t);
	toggle_defaults(def);
	toggle_defaults(v);
	watch_seen_toggles(watch_track_seen(w->t), v);
	script_write_put(&b, "toggles = {");
	for (int i = 0; i < TOGGLE_COUNT; i++)
		if (v[i] != def[i])
			script_write_toggle(&b, (enum toggle_id)i, v[i]);
	script_write_put(&b, " };\n");
	wr_steps(&b, w, t);
	topology_free(t);
	return b.s;
}

int
watch_record(struct watch_ctl *w, const char *path, char **cause)
{
	char *text = watch_record_text(w);
	int rc = file_replace_text(path, text, cause);

	free(text);
	return rc;
}
