/*
 * The watch's control (see watch_ctl.h): opening the proxy in front of
 * the broker, the failures, and the headless command lines.
 */
#include "watch/watch_ctl.h"

#include <amqp.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live_conn.h"
#include "util/mono.h"
#include "util/xmalloc.h"
#include "watch/watch_spring.h"

#define WC_KILL_WAIT 5.0       /* s: a killed node's sockets close */
#define WC_STOP_WAIT 30.0      /* s: a clean stop */
#define WC_BOOT_WAIT 90.0      /* s: a restart answers AMQP */

static const struct {
	const char *word, *help;
} wc_fails[] = {
#define WATCH_FAIL_ROW(id, word, help) { word, help },
	WATCH_FAILS(WATCH_FAIL_ROW)
#undef WATCH_FAIL_ROW
};

int
watch_ctl_fail_find(const char *word)
{
	for (int i = 0; i < WATCH_FAIL_COUNT; i++)
		if (strcmp(wc_fails[i].word, word) == 0)
			return i;
	return -1;
}

const char *
watch_ctl_fail_word(enum watch_fail_kind kind)
{
	return (unsigned)kind < WATCH_FAIL_COUNT ? wc_fails[kind].word : "?";
}

int
watch_ctl_open(struct watch_ctl *w, const char *url, const char *host,
    int port, watch_track_emit_fn emit, void *ctx, char **cause)
{
	memset(w, 0, sizeof *w);
	if (url == NULL)
		live_broker_force_private();
	if (live_broker_resolve(url, &w->target, cause) != 0)
		return -1;
	w->t = watch_track_new(emit, ctx);
	w->p = watch_proxy_new(host, port, w->target.host, w->target.port,
	    w->t, cause);
	if (w->p == NULL) {
		watch_track_free(w->t);
		w->t = NULL;
		return -1;
	}
	return 0;
}

static void
wc_admin_drop(struct watch_ctl *w)
{
	amqp_connection_state_t c = w->admin;

	if (c) {
		amqp_connection_close(c, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(c);
	}
	w->admin = NULL;
}

void
watch_ctl_close(struct watch_ctl *w)
{
	wc_admin_drop(w);
	watch_proxy_free(w->p);
	watch_track_free(w->t);
	for (size_t i = 0; i < w->nasked; i++)
		free((char *)w->asked[i].req.target);
	free(w->asked);
	memset(w, 0, sizeof *w);
}

/* ---- targets ----------------------------------------------------------- */

/* The open connection `name` names ("c3", "3" or its label), or with name
 * NULL the first open one that `consumers` (1) consumes or (0) any. */
static struct watch_seen_conn *
wc_conn(struct watch_ctl *w, const char *name, int consumers, char **cause)
{
	struct watch_seen *s = watch_track_seen(w->t);

	for (size_t i = 0; i < s->nconns; i++) {
		struct watch_seen_conn *c = &s->conns[i];
		char num[16];
		if (!c->open || (consumers && !c->consumes))
			continue;
		snprintf(num, sizeof num, "%u", c->id);
		if (name == NULL || strcmp(name, c->label) == 0 ||
		    strcmp(name, num) == 0 ||
		    (name[0] == 'c' && strcmp(name + 1, num) == 0))
			return c;
	}
	if (name)
		*cause = xasprintf("no open connection is called '%s' (give "
		    "its number, as c3, or its name)", name);
	else
		*cause = xstrdup(consumers ? "no open connection consumes" :
		    "no connection is open");
	return NULL;
}

/* The consumer's connection: by connection, or by the queue it reads. */
static struct watch_seen_conn *
wc_consumer_conn(struct watch_ctl *w, const char *name, char **cause)
{
	struct watch_seen *s = watch_track_seen(w->t);
	char *ignored = NULL;
	struct watch_seen_conn *c = wc_conn(w, name, 1, &ignored);

	free(ignored);
	if (c || name == NULL)
		return c ? c : wc_conn(w, NULL, 1, cause);
	for (size_t i = 0; i < s->topo.nconsumers; i++) {
		const struct topo_consumer *k = &s->topo.consumers[i];
		if (strcmp(k->queue, name) != 0)
			continue;
		for (size_t j = 0; j < s->nconns; j++) {
			size_t n = strlen(s->conns[j].label);
			if (s->conns[j].open && s->conns[j].consumes &&
			    strncmp(k->name, s->conns[j].label, n) == 0 &&
			    k->name[n] == ' ')
				return &s->conns[j];
		}
	}
	*cause = xasprintf("no open connection consumes from '%s'", name);
	return NULL;
}

/* The declared exchange or queue `name`, or the first; NULL with *cause. */
static const char *
wc_declared(struct watch_ctl *w, const char *name, int queue, char **cause)
{
	const struct topology *t = &watch_track_seen(w->t)->topo;
	size_t n = queue ? t->nqueues : t->nexchanges;

	if (name)
		return name; /* the broker says if it does not exist */
	if (n == 0) {
		*cause = xasprintf("the application has declared no %s yet: "
		    "name one", queue ? "queue" : "exchange");
		return NULL;
	}
	return queue ? t->queues[0].name : t->exchanges[0].name;
}

/* ---- the broker ---------------------------------------------------------- */

static int
wc_refuse_node(const struct watch_ctl *w, const char *verb, char **cause)
{
	*cause = xasprintf("the lab did not start the broker at %s, so it "
	    "cannot %s it; run rabbitlab watch without --broker to let the "
	    "lab start a private node", w->target.display, verb);
	return -1;
}

/* Serves the proxy until done(w) or `secs` passed; returns done(w). */
static int
wc_serve_until(struct watch_ctl *w, int (*done)(struct watch_ctl *),
    double secs)
{
	double end = mono_seconds() + secs;

	while (!done(w) && mono_seconds() < end)
		(void)watch_proxy_step(w->p, 50);
	return done(w);
}

static int
wc_node_gone(struct watch_ctl *w)
{
	return !live_broker_running() && watch_proxy_count(w->p) == 0;
}

static int
wc_node_answers(struct watch_ctl *w)
{
	amqp_connection_state_t c = live_conn_login(&w->target, NULL);

	(void)w;
	if (c == NULL)
		return 0;
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return 1;
}

static int
wc_down(struct watch_ctl *w, int clean, char **done, char **cause)
{
	if (!live_broker_owned())
		return wc_refuse_node(w, clean ? "stop" : "kill", cause);
	if (w->down || !live_broker_running()) {
		*cause = xstrdup("the broker is already down (restart starts "
		    "it)");
		return -1;
	}
	wc_admin_drop(w);
	if ((clean ? live_broker_term(cause) : live_broker_kill(cause)) != 0)
		return -1;
	w->down = 1;
	(void)wc_serve_until(w, wc_node_gone, clean ? WC_STOP_WAIT :
	    WC_KILL_WAIT);
	watch_track_broker_down(w->t, clean);
	*done = xasprintf(clean ? "stopped the node %s; the application's "
	    "connections are gone" : "killed the node %s with kill -9; the "
	    "application's connections are gone", live_broker_node());
	return 0;
}

static int
wc_restart(struct watch_ctl *w, char **done, char **cause)
{
	double t0 = mono_seconds();

	if (!live_broker_owned())
		return wc_refuse_node(w, "restart", cause);
	if (live_broker_running()) {
		*cause = xstrdup("the broker is up: kill or stop it first");
		return -1;
	}
	if (live_broker_spawn(cause) != 0)
		return -1;
	if (!wc_serve_until(w, wc_node_answers, WC_BOOT_WAIT)) {
		*cause = xasprintf("the node %s did not come back within %.0f "
		    "s", live_broker_node(), WC_BOOT_WAIT);
		return -1;
	}
	if (live_broker_started(cause) != 0)
		return -1;
	w->down = 0;
	*done = xasprintf("the node %s is back after %.1f s",
	    live_broker_node(), mono_seconds() - t0);
	return 0;
}

/* Runs `what` on an admin connection's channel 1: 0, or -1 with *cause. */
static int
wc_admin(struct watch_ctl *w, const char *name, int queue, uint64_t *depth,
    char **cause)
{
	amqp_connection_state_t c;
	amqp_rpc_reply_t r;
	int code = 0;
	char text[200] = "";

	if (w->down) {
		*cause = xstrdup("the broker is down (restart starts it)");
		return -1;
	}
	c = live_conn_login(&w->target, cause);
	if (c == NULL)
		return -1;
	amqp_channel_open(c, 1);
	r = amqp_get_rpc_reply(c);
	if (r.reply_type == AMQP_RESPONSE_NORMAL) {
		if (queue) {
			amqp_queue_declare_ok_t *ok = amqp_queue_declare(c, 1,
			    amqp_cstring_bytes(name), 1, 0, 0, 0,
			    amqp_empty_table);
			if (ok)
				*depth = ok->message_count;
		} else
			amqp_exchange_delete(c, 1, amqp_cstring_bytes(name), 0);
		r = amqp_get_rpc_reply(c);
	}
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
		live_conn_reply(&r.reply, &code, text, sizeof text);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	*cause = code ? xasprintf("the broker answered %d %s", code, text) :
	    xstrdup("the broker did not answer");
	return -1;
}

static int
wc_policy(struct watch_ctl *w, const char *queue, int64_t cap, int64_t ttl,
    char **cause)
{
	char *name;
	int rc;

	if (!live_broker_owned())
		return wc_refuse_node(w, "set a policy on", cause);
	name = xasprintf("rabbitlab-watch-%s-%s", cap >= 0 ? "full" : "ttl",
	    queue);
	rc = live_broker_queue_policy(w->target.vhost, name, queue, cap, 1,
	    ttl, cause);
	free(name);
	return rc;
}

/* ---- failures ------------------------------------------------------------ */

static int
wc_link(struct watch_ctl *w, const struct watch_fail_req *r, char **done,
    char **cause)
{
	struct watch_seen_conn *c = r->kind == WATCH_FAIL_CUT_CONSUMER ?
	    wc_consumer_conn(w, r->target, cause) :
	    wc_conn(w, r->target, 0, cause);
	unsigned id;
	char label[sizeof c->label];

	if (c == NULL)
		return -1;
	id = c->id;
	snprintf(label, sizeof label, "%s", c->label);
	switch (r->kind) {
	case WATCH_FAIL_BLACKHOLE:
		if (watch_proxy_hole(w->p, id, 1, r->n, cause) != 0)
			return -1;
		*done = r->n > 0 ? xasprintf("c%u %s: black-holed for %"
		    PRId64 " ms", id, label, r->n) : xasprintf("c%u %s: "
		    "black-holed until healed", id, label);
		return 0;
	case WATCH_FAIL_HEAL:
		if (watch_proxy_hole(w->p, id, 0, 0, cause) != 0)
			return -1;
		*done = xasprintf("c%u %s: passes bytes again", id, label);
		return 0;
	default:
		if (watch_proxy_cut(w->p, id, cause) != 0)
			return -1;
		*done = xasprintf("c%u %s: cut, reset both ways", id, label);
		return 0;
	}
}

static int
wc_queue_fail(struct watch_ctl *w, const struct watch_fail_req *r,
    char **done, char **cause)
{
	const char *q = wc_declared(w, r->target, 1, cause);
	uint64_t depth = 0;
	int64_t cap = r->n;

	if (q == NULL)
		return -1;
	if (r->kind == WATCH_FAIL_TTL) {
		if (r->n < 0) {
			*cause = xstrdup("ttl needs a time in ms");
			return -1;
		}
		if (wc_policy(w, q, -1, r->n, cause) != 0)
			return -1;
		*done = xasprintf("queue %s: message-ttl %" PRId64 " ms, by a "
		    "policy", q, r->n);
		return 0;
	}
	if (cap < 0) {
		if (wc_admin(w, q, 1, &depth, cause) != 0)
			return -1;
		cap = (int64_t)depth;
	}
	if (wc_policy(w, q, cap, -1, cause) != 0)
		return -1;
	*done = xasprintf("queue %s: max-length %" PRId64 ", reject-publish, "
	    "by a policy", q, cap);
	return 0;
}

static void
wc_remember(struct watch_ctl *w, const struct watch_fail_req *r)
{
	struct watch_ctl_asked *a;

	w->asked = xgrow(w->asked, &w->asked_cap, w->nasked + 1,
	    sizeof *w->asked);
	a = &w->asked[w->nasked++];
	a->t = watch_track_now(w->t);
	a->req = *r;
	a->req.target = r->target ? xstrdup(r->target) : NULL;
}

int
watch_ctl_fail(struct watch_ctl *w, const struct watch_fail_req *r,
    char **done, char **cause)
{
	const char *x;
	int rc;

	*done = NULL;
	switch (r->kind) {
	case WATCH_FAIL_KILL:
	case WATCH_FAIL_STOP:
		rc = wc_down(w, r->kind == WATCH_FAIL_STOP, done, cause);
		break;
	case WATCH_FAIL_RESTART:
		rc = wc_restart(w, done, cause);
		break;
	case WATCH_FAIL_DELETE_EXCHANGE:
		x = wc_declared(w, r->target, 0, cause);
		rc = x ? wc_admin(w, x, 0, NULL, cause) : -1;
		if (rc == 0)
			*done = xasprintf("exchange %s deleted", x);
		break;
	case WATCH_FAIL_FULL:
	case WATCH_FAIL_TTL:
		rc = wc_queue_fail(w, r, done, cause);
		break;
	default:
		rc = wc_link(w, r, done, cause);
		break;
	}
	if (rc == 0) {
		wc_remember(w, r);
		watch_track_emit(w->t, EV_FAILURE, ACTOR_LAB, 0, 0, 0,
		    r->target, *done);
	}
	return rc;
}

int
watch_ctl_depth(struct watch_ctl *w, const char *queue, uint64_t *ready,
    int *exists)
{
	amqp_connection_state_t c;
	amqp_queue_declare_ok_t *ok;
	amqp_rpc_reply_t r;

	*ready = 0;
	*exists = 0;
	if (w->down)
		return -1;
	if (w->admin == NULL) {
		w->admin = live_conn_login(&w->target, NULL);
		if (w->admin == NULL)
			return -1;
		amqp_channel_open(w->admin, 1);
		if (amqp_get_rpc_reply(w->admin).reply_type !=
		    AMQP_RESPONSE_NORMAL) {
			wc_admin_drop(w);
			return -1;
		}
	}
	c = w->admin;
	ok = amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0,
	    amqp_empty_table);
	if (ok) {
		*ready = ok->message_count;
		*exists = 1;
		return 0;
	}
	r = amqp_get_rpc_reply(c);
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
	    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
		/* 404: no such queue; the channel is closed: open another. */
		amqp_channel_close_ok_t cok;
		amqp_send_method(c, 1, AMQP_CHANNEL_CLOSE_OK_METHOD, &cok);
		amqp_channel_open(c, 1);
		if (amqp_get_rpc_reply(c).reply_type == AMQP_RESPONSE_NORMAL)
			return 0;
	}
	wc_admin_drop(w);
	return -1;
}

/* ---- headless commands --------------------------------------------------- */

static void
wc_answer(FILE *out, const char *cmd, const char *done, const char *refused)
{
	fputs("{\"command\":", out);
	event_json_string(out, cmd);
	fputs(refused ? ",\"refused\":" : ",\"done\":", out);
	event_json_string(out, refused ? refused : done);
	fputs("}\n", out);
	fflush(out);
}

static void
wc_conns_json(struct watch_ctl *w, FILE *out)
{
	struct watch_seen *s = watch_track_seen(w->t);

	fputs("{\"command\":\"conns\",\"conns\":[", out);
	for (size_t i = 0; i < s->nconns; i++) {
		const struct watch_seen_conn *c = &s->conns[i];
		fprintf(out, "%s{\"id\":%u,\"label\":", i ? "," : "", c->id);
		event_json_string(out, c->label);
		fprintf(out, ",\"open\":%s,\"published\":%" PRIu64
		    ",\"consumes\":%s,\"blackholed\":%s}", c->open ? "true" :
		    "false", c->published, c->consumes ? "true" : "false",
		    watch_proxy_holed(w->p, c->id) ? "true" : "false");
	}
	fputs("]}\n", out);
	fflush(out);
}

/* Splits `line` into at most 3 words (in buf); returns how many. */
static int
wc_words(const char *line, char *buf, size_t len, char *word[3])
{
	int n = 0;
	char *p;

	snprintf(buf, len, "%s", line);
	p = buf;
	while (n < 3) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		word[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	while (isspace((unsigned char)*p))
		p++;
	return *p ? -1 : n;
}

/* A number argument: 0 with *v, or -1 when `s` is not one. */
static int
wc_number(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end || x < 0)
		return -1;
	*v = x;
	return 0;
}

void
watch_ctl_command(struct watch_ctl *w, const char *line, FILE *out)
{
	char buf[512], *word[3], *done = NULL, *cause = NULL;
	struct watch_fail_req r;
	int n = wc_words(line, buf, sizeof buf, word), k;

	if (n == 0)
		return;
	if (n < 0) {
		wc_answer(out, line, NULL, "too many words: a command is a "
		    "word and at most two arguments");
		return;
	}
	if (strcmp(word[0], "conns") == 0) {
		wc_conns_json(w, out);
		return;
	}
	if (strcmp(word[0], "spring") == 0) {
		watch_spring_json(w->t, out);
		return;
	}
	if (strcmp(word[0], "ledger") == 0) {
		struct ledger_summary s;
		ledger_summarize(watch_track_ledger(w->t), &s);
		ledger_print_summary_json(out, &s);
		fflush(out);
		return;
	}
	k = watch_ctl_fail_find(word[0]);
	if (k < 0) {
		wc_answer(out, word[0], NULL, "unknown command: expected one "
		    "of cut, blackhole, heal, kill, stop, restart, "
		    "delete-exchange, full, ttl, cut-consumer, conns, ledger, "
		    "spring");
		return;
	}
	memset(&r, 0, sizeof r);
	r.kind = (enum watch_fail_kind)k;
	r.target = n > 1 ? word[1] : NULL;
	r.n = -1;
	if (n > 2 && wc_number(word[2], &r.n) != 0) {
		wc_answer(out, word[0], NULL, "the second argument must be a "
		    "whole number (a length, or milliseconds)");
		return;
	}
	if ((k == WATCH_FAIL_KILL || k == WATCH_FAIL_STOP ||
	    k == WATCH_FAIL_RESTART) && n > 1) {
		wc_answer(out, word[0], NULL, "takes no argument");
		return;
	}
	if (watch_ctl_fail(w, &r, &done, &cause) == 0)
		wc_answer(out, word[0], done, NULL);
	else
		wc_answer(out, word[0], NULL, cause ? cause : "refused");
	free(done);
	free(cause);
}
