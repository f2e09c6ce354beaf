/*
 * The watch on screen (see watchview.h): a lab screen in sandbox mode on
 * an empty script whose topology follows what the application declares,
 * plus three hooks: keys first offered here, the Spring overlay and the
 * producers' names drawn over the lab, and the topology kept in step.
 */
#include "ui/watchview.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/layout.h"
#include "ui/text.h"
#include "ui/ui.h"
#include "ui/words.h"
#include "util/xmalloc.h"
#include "watch/watch_engine.h"
#include "watch/watch_spring.h"

#define WV_CHOICES 9
#define WV_TTL_MS 5000 /* the TTL key's message-ttl */

struct wv {
	struct watch_ctl *w;
	unsigned synced;               /* watch_seen.version shown */
	int started;                   /* the first tick said where to connect */
	int spring;                    /* the Spring overlay is open */
	int spring_top;                /* its first line shown (scrolled) */
	int choosing;                  /* a failure waits for its target */
	enum watch_fail_kind pending;
	char choice[WV_CHOICES][96];   /* the targets offered, 1 to n */
	char role[WV_CHOICES][48];     /* what each does, shown beside it */
	int nchoices;
};

static const char wv_script[] =
    "id = \"watch\";\n"
    "title = { en = \"Your application, watched\"; "
    "zh = \"观察你的应用\"; };\n"
    "seed = 1;\n"
    "topology = { exchanges = ( ); queues = ( ); bindings = ( ); "
    "consumers = ( ); publish = { exchange = \"\"; key = \"\"; }; };\n"
    "steps = ( { do = \"settle\"; } );\n";

/* ---- the topology in step with the application's --------------------- */

static int
wv_tick(void *ctx, struct lab *lab)
{
	struct wv *v = ctx;
	struct watch_seen *s = watch_track_seen(v->w->t);
	struct topology *c;

	if (!v->started) {
		v->started = 1;
		lab_status(lab, 0, _("Point your application at "
		    "amqp://127.0.0.1:%d"), watch_proxy_port(v->w->p));
	}
	if (s->version == v->synced)
		return 0;
	v->synced = s->version;
	/* Lists only grow, in order: a queue keeps its index, so the
	 * session's tokens stay where they were. */
	c = topology_copy(&s->topo);
	topology_clear(&lab->script->topo);
	lab->script->topo = *c;
	free(c);
	layout_lab(lab);
	return PANE_REDRAW;
}

/* ---- failures ----------------------------------------------------------- */

/* What the learner reads when failure `k` was done on `target`. */
static void
wv_done(struct lab *lab, enum watch_fail_kind k, const char *target)
{
	const char *t = target ? target : "";

	switch (k) {
	case WATCH_FAIL_CUT:
		lab_status(lab, 0, _("Cut %s: both sides read a reset "
		    "connection."), t);
		break;
	case WATCH_FAIL_BLACKHOLE:
		lab_status(lab, 0, _("%s is black-holed: nothing passes either "
		    "way until L is pressed again."), t);
		break;
	case WATCH_FAIL_HEAL:
		lab_status(lab, 0, _("%s passes bytes again."), t);
		break;
	case WATCH_FAIL_KILL:
		lab_status(lab, 0, _("The node was killed (kill -9): B starts "
		    "it again."));
		break;
	case WATCH_FAIL_STOP:
		lab_status(lab, 0, _("The node was stopped cleanly: B starts it "
		    "again."));
		break;
	case WATCH_FAIL_RESTART:
		lab_status(lab, 0, _("The node is back: your application may "
		    "reconnect now."));
		break;
	case WATCH_FAIL_DELETE_EXCHANGE:
		lab_status(lab, 0, _("Exchange %s was deleted."), t);
		break;
	case WATCH_FAIL_FULL:
		lab_status(lab, 0, _("Queue %s is full: a policy caps it at its "
		    "length now and refuses new messages."), t);
		break;
	case WATCH_FAIL_TTL:
		lab_status(lab, 0, _("Queue %s now has a message TTL of %d ms "
		    "(a policy)."), t, WV_TTL_MS);
		break;
	default:
		lab_status(lab, 0, _("Cut the consumer's connection %s while "
		    "it holds messages."), t);
		break;
	}
}

/* Why failure `k` was refused, in the screen's language where the lab
 * knows the case; else the watch's own sentence (cause is freed). */
static void
wv_refused(struct wv *v, struct lab *lab, enum watch_fail_kind k,
    char *cause)
{
	int node = k == WATCH_FAIL_KILL || k == WATCH_FAIL_STOP ||
	    k == WATCH_FAIL_RESTART || k == WATCH_FAIL_FULL ||
	    k == WATCH_FAIL_TTL;

	if (node && !live_broker_owned())
		lab_status(lab, 1, "%s", _("Refused: the lab did not start "
		    "this broker (--broker), so it cannot crash, stop or "
		    "restart it, nor set policies on it."));
	else if (k != WATCH_FAIL_RESTART && v->w->down)
		lab_status(lab, 1, "%s", _("Refused: the broker is down (B "
		    "starts it)."));
	else if (k == WATCH_FAIL_RESTART && !v->w->down)
		lab_status(lab, 1, "%s", _("Refused: the broker is up (K or O "
		    "takes it down first)."));
	else if (cause && (strncmp(cause, "no ", 3) == 0 ||
	    strstr(cause, "declared no ") != NULL))
		lab_status(lab, 1, "%s", _("Refused: your application has "
		    "nothing of that kind yet."));
	else if (cause && strstr(cause, "404") != NULL)
		lab_status(lab, 1, "%s", _("Refused: the broker no longer has "
		    "it (404 NOT_FOUND): your application or a failure "
		    "deleted it."));
	else
		lab_status(lab, 1, _("Refused: %s"), cause ? cause : "?");
	free(cause);
}

static void wv_draw(void *ctx, struct lab *lab);

/* Does failure k on target (NULL: the default); a kill, a stop or a
 * restart blocks, so the status says so on screen first. */
static void
wv_fail(struct wv *v, struct lab *lab, enum watch_fail_kind k,
    const char *target)
{
	struct watch_fail_req r;
	char *done = NULL, *cause = NULL;

	memset(&r, 0, sizeof r);
	r.kind = k;
	r.target = target;
	r.n = k == WATCH_FAIL_TTL ? WV_TTL_MS : -1;
	if (k == WATCH_FAIL_KILL || k == WATCH_FAIL_STOP ||
	    k == WATCH_FAIL_RESTART || k == WATCH_FAIL_FULL ||
	    k == WATCH_FAIL_TTL) {
		lab_status(lab, 0, "%s", _("Working on the broker..."));
		/* The watch's own parts too, or the lab's sandbox guide
		 * shows while the broker works (a clean stop takes long). */
		lab_draw(lab);
		wv_draw(v, lab);
		refresh();
	}
	if (watch_ctl_fail(v->w, &r, &done, &cause) == 0)
		wv_done(lab, k, target);
	else
		wv_refused(v, lab, k, cause);
	free(done);
}

/* Whether view v says the broker no longer has queue (q) or exchange
 * `name`. */
static int
wv_gone(const struct engine_view *v, int q, const char *name)
{
	size_t n = q ? v->nqueues : v->nexchanges;

	for (size_t i = 0; i < n; i++)
		if (strcmp(q ? v->queues[i].name : v->exchanges[i].name,
		    name) == 0)
			return q ? !v->queues[i].exists :
			    !v->exchanges[i].exists;
	return 0;
}

/* The targets failure k can take, into v->choice (what each does into
 * v->role); returns how many. Queues and exchanges already gone are not
 * offered. */
static int
wv_targets(struct wv *v, const struct lab *lab, enum watch_fail_kind k)
{
	struct watch_seen *s = watch_track_seen(v->w->t);
	int n = 0;

	if (k == WATCH_FAIL_DELETE_EXCHANGE || k == WATCH_FAIL_FULL ||
	    k == WATCH_FAIL_TTL) {
		int q = k != WATCH_FAIL_DELETE_EXCHANGE;
		size_t m = q ? s->topo.nqueues : s->topo.nexchanges;
		struct engine_view ev;
		/* A view of now, taken once: the one the panes drew from
		 * may be stale (the engine reallocates its lists). */
		session_view(lab->ss, &ev);
		for (size_t i = 0; i < m && n < WV_CHOICES; i++) {
			const char *name = q ? s->topo.queues[i].name :
			    s->topo.exchanges[i].name;
			if (wv_gone(&ev, q, name))
				continue;
			v->role[n][0] = '\0';
			snprintf(v->choice[n++], sizeof v->choice[0], "%s",
			    name);
		}
		return n;
	}
	for (size_t i = 0; i < s->nconns && n < WV_CHOICES; i++) {
		const struct watch_seen_conn *c = &s->conns[i];
		int holed = watch_proxy_holed(v->w->p, c->id);
		if (!c->open || (k == WATCH_FAIL_CUT_CONSUMER && !c->consumes) ||
		    (k == WATCH_FAIL_HEAL && !holed) ||
		    (k == WATCH_FAIL_BLACKHOLE && holed))
			continue;
		snprintf(v->role[n], sizeof v->role[0], "%s", c->consumes &&
		    c->published ? _("publishes and consumes") : c->consumes ?
		    _("consumes") : _("publishes"));
		snprintf(v->choice[n++], sizeof v->choice[0], "%s", c->label);
	}
	return n;
}

/* Failure k: at once with one target (or none to choose), else asks. */
static int
wv_ask(struct wv *v, struct lab *lab, enum watch_fail_kind k)
{
	char line[300];
	int n;

	if (k == WATCH_FAIL_BLACKHOLE &&
	    wv_targets(v, lab, WATCH_FAIL_HEAL) > 0 &&
	    wv_targets(v, lab, WATCH_FAIL_BLACKHOLE) == 0)
		k = WATCH_FAIL_HEAL; /* L again ends the black hole */
	n = k == WATCH_FAIL_KILL || k == WATCH_FAIL_STOP ||
	    k == WATCH_FAIL_RESTART ? 0 : wv_targets(v, lab, k);
	if (n <= 1) {
		wv_fail(v, lab, k, n == 1 ? v->choice[0] : NULL);
		return PANE_HANDLED | PANE_REDRAW;
	}
	v->choosing = 1;
	v->pending = k;
	v->nchoices = n;
	/* The question here; the choices, one a line, in the Watching
	 * pane (wv_draw_choices), where a long name still fits. */
	snprintf(line, sizeof line, "%s %s", k == WATCH_FAIL_FULL ||
	    k == WATCH_FAIL_TTL ? _("Which queue?") :
	    k == WATCH_FAIL_DELETE_EXCHANGE ? _("Which exchange?") :
	    _("Which connection?"), _("Its number (Esc: none)."));
	lab_status(lab, 0, "%s", line);
	return PANE_HANDLED | PANE_REDRAW;
}

/* The lab's failure key for kind `f` as the watch's failure, or -1 with
 * the reason it cannot be done to an application. */
static int
wv_map(enum failure_kind f, const char **why)
{
	switch (f) {
	case FAIL_CONNECTION_LOST: return WATCH_FAIL_CUT;
	case FAIL_BLACKHOLE: return WATCH_FAIL_BLACKHOLE;
	case FAIL_MISSING_EXCHANGE: return WATCH_FAIL_DELETE_EXCHANGE;
	case FAIL_QUEUE_FULL: return WATCH_FAIL_FULL;
	case FAIL_BROKER_CRASH: return WATCH_FAIL_KILL;
	case FAIL_BROKER_STOP: return WATCH_FAIL_STOP;
	case FAIL_CONSUMER_CRASH_BEFORE:
	case FAIL_CONSUMER_CRASH_AFTER: return WATCH_FAIL_CUT_CONSUMER;
	case FAIL_MESSAGE_EXPIRY: return WATCH_FAIL_TTL;
	case FAIL_UNROUTABLE:
		*why = _("Refused: your application chooses its routing keys; "
		    "the lab does not publish for it.");
		return -1;
	case FAIL_CONSUMER_EXCEPTION:
		*why = _("Refused: the listener is your application's code; "
		    "the lab cannot make it throw.");
		return -1;
	default:
		*why = _("Refused: chaos needs the lab's own producer and "
		    "consumers; use the failure keys one by one.");
		return -1;
	}
}

/* ---- keys ---------------------------------------------------------------- */

static int
wv_choose(struct wv *v, struct lab *lab, int key)
{
	v->choosing = 0;
	if (key >= '1' && key < '1' + v->nchoices) {
		wv_fail(v, lab, v->pending, v->choice[key - '1']);
		return PANE_HANDLED | PANE_REDRAW;
	}
	lab_status(lab, 0, "%s", _("Nothing done."));
	return PANE_HANDLED | PANE_REDRAW;
}

/* Why command `id` is refused while watching (translated), or NULL when
 * it does what it does in a lesson. */
static const char *
wv_command_refusal(enum keys_cmd id)
{
	switch (id) {
	case CMD_PUBLISH:
	case CMD_BURST:
	case CMD_CONSUMERS:
		return _("Refused: your application publishes and consumes; "
		    "the lab only watches.");
	case CMD_CODE:
		return _("Refused: e shows your application's own settings, "
		    "as Spring Boot properties.");
	case CMD_NEXT:
	case CMD_ANSWER:
	case CMD_HINT:
	case CMD_SOLUTION:
	case CMD_FINISH:
	case CMD_UNDO:
	case CMD_RESET:
	case CMD_BUILD:
	case CMD_WRITE:
	case CMD_SET:
		return _("Refused: watching has no lesson to step, undo or "
		    "reset.");
	default:
		return NULL;
	}
}

static int
wv_command(struct wv *v, struct lab *lab, const struct keys_def *k)
{
	const char *why = wv_command_refusal((enum keys_cmd)k->id);

	if (k->id == CMD_BROKER) {
		wv_fail(v, lab, WATCH_FAIL_RESTART, NULL);
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (why == NULL)
		return 0;
	lab_status(lab, 1, "%s", why);
	return PANE_HANDLED | PANE_REDRAW;
}

const char *
watchview_key_help(const struct keys_def *k)
{
	if (k->kind != KEYS_FAILURE)
		return keys_help(k);
	switch ((enum failure_kind)k->id) {
	case FAIL_CONNECTION_LOST:
		return _("cut one of its connections (reset both ways), as a "
		    "network failure does");
	case FAIL_BLACKHOLE:
		return _("black-hole one of its connections: nothing passes "
		    "either way until L again heals it");
	case FAIL_MISSING_EXCHANGE:
		return _("delete an exchange it declared");
	case FAIL_QUEUE_FULL:
		return _("make one of its queues full: a max-length policy "
		    "that refuses further publishes");
	case FAIL_BROKER_CRASH:
		return _("kill -9 the private node (B starts it again): what "
		    "it held only in memory is gone");
	case FAIL_BROKER_STOP:
		return _("stop the private node cleanly (B starts it again)");
	case FAIL_CONSUMER_CRASH_BEFORE:
		return _("cut a consumer's connection while it holds "
		    "messages, as a crash of the application looks to the "
		    "broker");
	case FAIL_MESSAGE_EXPIRY:
		return _("give one of its queues a message TTL (a policy)");
	default:
		return keys_help(k);
	}
}

int
watchview_key_acts(const struct keys_def *k)
{
	const char *why;

	switch (k->kind) {
	case KEYS_FAILURE:
		/* A crash after work cuts the consumer as C does. */
		return k->id != FAIL_CONSUMER_CRASH_AFTER &&
		    wv_map((enum failure_kind)k->id, &why) >= 0;
	case KEYS_COMMAND:
		/* Real time has no pause or speed (the lab says so), and a
		 * watch follows no teacher. */
		if (k->id == CMD_PAUSE || k->id == CMD_STEP ||
		    k->id == CMD_SLOWER || k->id == CMD_FASTER ||
		    k->id == CMD_FOLLOW)
			return 0;
		return wv_command_refusal((enum keys_cmd)k->id) == NULL;
	default:
		return 0;
	}
}

/* A key while the Spring overlay is open: e or Esc closes it, the arrows
 * and the page keys scroll it; the rest waits. */
static int
wv_spring_key(struct wv *v, int key)
{
	int page = LINES > 10 ? LINES - 8 : 1;

	switch (key) {
	case 'e':
	case 27:
		v->spring = 0;
		break;
	case KEY_UP:
	case KEY_PPAGE:
		v->spring_top -= key == KEY_UP ? 1 : page;
		if (v->spring_top < 0)
			v->spring_top = 0;
		break;
	case KEY_DOWN:
	case KEY_NPAGE:
	case ' ':
		/* wv_draw_spring stops it at the last screenful. */
		v->spring_top += key == KEY_DOWN ? 1 : page;
		break;
	default:
		return PANE_HANDLED;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

static int
wv_key(void *ctx, struct lab *lab, int key)
{
	struct wv *v = ctx;
	const struct keys_def *k;
	const char *why = NULL;
	int f;

	if (v->choosing)
		return wv_choose(v, lab, key);
	if (v->spring && key != 'q')
		return wv_spring_key(v, key);
	/* A typed message id, the help, a timeline: their keys first, as
	 * in a lesson (a digit there is not a refused answer). */
	if ((f = lab_modal_key(lab, key)) >= 0)
		return f | PANE_HANDLED;
	if (key == 'e') {
		v->spring = 1;
		v->spring_top = 0;
		return PANE_HANDLED | PANE_REDRAW;
	}
	k = keys_find(key);
	if (k == NULL)
		return 0;
	if (k->kind == KEYS_TOGGLE) {
		lab_status(lab, 1, "%s", _("Refused: your application sets "
		    "this; the lab only shows it."));
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (k->kind == KEYS_COMMAND)
		return wv_command(v, lab, k);
	f = wv_map((enum failure_kind)k->id, &why);
	if (f < 0) {
		lab_status(lab, 1, "%s", why);
		return PANE_HANDLED | PANE_REDRAW;
	}
	return wv_ask(v, lab, (enum watch_fail_kind)f);
}

/* ---- drawing -------------------------------------------------------------- */

/* What would have saved messages lost for `why`, in the screen's words. */
static const char *
wv_fix_text(const struct watch_spring_fix *f)
{
	if (strncmp(f->setting, "RabbitTemplate.", 15) == 0)
		return _("the producer was told; its own code has to send "
		    "them again");
	switch (f->why) {
	case LOSS_UNROUTABLE:
		return _("with mandatory the broker returns them instead of "
		    "dropping them");
	case LOSS_BROKER_CRASH:
		return _("a durable queue keeps persistent messages over a "
		    "restart; confirms say when they are safe");
	case LOSS_AUTOACK_CRASH:
	case LOSS_AUTOACK_EXCEPTION:
		return _("acked after the listener returns, a message comes "
		    "back when the consumer fails");
	case LOSS_REJECTED:
	case LOSS_EXPIRED:
	case LOSS_DELIVERY_LIMIT:
		return _("a dead-letter exchange keeps them instead of "
		    "dropping them");
	case LOSS_DROP_HEAD:
		return _("reject-publish refuses the new one instead of "
		    "dropping the oldest");
	default:
		return _("with confirms the producer learns it was not taken "
		    "and sends it again");
	}
}

/* The Spring overlay's lines as they scroll: line `at` of the text is
 * drawn at row y + at - top when that is inside [y, end). */
struct wv_lines {
	int y, end, top, at;
};

/* Text s wrapped at w columns from column x, as lines of l. */
static void
wv_lines_wrap(struct wv_lines *l, int x, int w, const char *s,
    enum draw_role role)
{
	int n = text_wrap_lines(s, w), skip = l->top - l->at, row;

	if (skip < 0)
		skip = 0;
	row = l->y + l->at + skip - l->top;
	if (skip < n && row < l->end)
		draw_wrap(row, x, w, l->end - row, skip, s, role);
	l->at += n;
}

static void
wv_draw_spring(struct wv *v)
{
	struct watch_spring sp;
	int w = COLS - 4 > 100 ? 100 : COLS - 4, h = LINES - 4, y = 2,
	    x = (COLS - w) / 2;
	struct wv_lines l = { y + 1, y + h - 1, 0, 0 };
	char line[400];

	watch_spring_read(v->w->t, &sp);
	for (int i = 0; i < h; i++)
		draw_blank(y + i, x, w, DRAW_OVERLAY);
	draw_box(y, x, h, w, _("Your application as Spring Boot properties "
	    "(e closes, arrows scroll)"), DRAW_BORDER);
	l.top = v->spring_top;
	for (size_t i = 0; i < sp.nprops; i++) {
		const struct watch_spring_prop *p = &sp.props[i];
		if (p->seen)
			snprintf(line, sizeof line, "%s=%s", p->key, p->value);
		else
			snprintf(line, sizeof line, "# %s=%s  %s", p->key,
			    p->value, _("(not on the wire)"));
		wv_lines_wrap(&l, x + 2, w - 4, line, p->seen ? DRAW_VALUE :
		    DRAW_DIM);
	}
	l.at++;
	snprintf(line, sizeof line, _("Lost so far: %" PRIu64), sp.lost);
	wv_lines_wrap(&l, x + 2, w - 4, line, sp.lost ? DRAW_BAD : DRAW_GOOD);
	if (sp.autoack_broken) {
		snprintf(line, sizeof line, _("%" PRIu64 " delivered with "
		    "auto-ack to connections that broke: any still in the "
		    "application's buffer were lost, unseen on the wire"),
		    sp.autoack_broken);
		wv_lines_wrap(&l, x + 2, w - 4, line, DRAW_WARN);
		wv_lines_wrap(&l, x + 4, w - 6,
		    "spring.rabbitmq.listener.simple.acknowledge-mode=auto",
		    DRAW_VALUE);
		wv_lines_wrap(&l, x + 4, w - 6, _("acked after the listener "
		    "returns, a message comes back when the consumer fails"),
		    DRAW_SAY);
	}
	for (size_t i = 0; i < sp.nfixes; i++) {
		const struct watch_spring_fix *f = &sp.fixes[i];
		snprintf(line, sizeof line, _("%" PRIu64 " lost: %s"), f->lost,
		    words_reason_text(f->why));
		wv_lines_wrap(&l, x + 2, w - 4, line, DRAW_WARN);
		/* Spring's names stay; the words around them are the
		 * screen's. */
		wv_lines_wrap(&l, x + 4, w - 6, words_in("spring", f->setting),
		    DRAW_VALUE);
		wv_lines_wrap(&l, x + 4, w - 6, wv_fix_text(f), DRAW_SAY);
	}
	/* The last screenful is as far as it scrolls. */
	if (v->spring_top > 0 && v->spring_top > l.at - (l.end - l.y))
		v->spring_top = l.at - (l.end - l.y) > 0 ?
		    l.at - (l.end - l.y) : 0;
}

/* The names of the open connections that publish (`consumers` 0) or
 * consume (1), on the producer's or the consumer's pane's bottom edge. */
static void
wv_draw_names(struct wv *v, struct lab *lab, int consumers)
{
	const struct pane *p = &lab->panes[consumers ? LAB_CONSUMER :
	    LAB_PRODUCER];
	struct watch_seen *s = watch_track_seen(v->w->t);
	char names[200] = "";

	if (p->h < 3 || p->w < 12)
		return;
	for (size_t i = 0; i < s->nconns; i++) {
		const struct watch_seen_conn *c = &s->conns[i];
		size_t at = strlen(names);
		if (!c->open || (consumers ? !c->consumes : c->published == 0))
			continue;
		snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "",
		    c->label);
	}
	if (names[0])
		draw_name(p->y + p->h - 1, p->x + 1, p->w - 2, names,
		    DRAW_HEAD);
}

/* The targets a failure waits for, numbered, one a line in pane g (below
 * its title line), each with what it does. */
static void
wv_draw_choices(const struct wv *v, const struct pane *g)
{
	int end = g->x + g->w - 1;

	for (int i = 0; i < v->nchoices && i < g->h - 1; i++) {
		int y = g->y + 1 + i, x = g->x + 1;
		x += draw_printf(y, x, end - x, DRAW_KEY, "%d ", i + 1);
		x += draw_text(y, x, end - x, v->choice[i], DRAW_HEAD);
		if (v->role[i][0] && x + 3 < end)
			draw_printf(y, x, end - x, DRAW_DIM, " (%s)",
			    v->role[i]);
	}
}

/* The guide pane says what the watch is, in place of a lesson (or, while
 * a failure waits for its target, the choices); the empty event log says
 * what fills it. */
static void
wv_draw_guide(struct wv *v, struct lab *lab)
{
	const struct pane *g = &lab->panes[LAB_GUIDE];
	const struct pane *l = &lab->panes[LAB_LOG];

	if (g->h >= 3 && g->w >= 10) {
		/* The guide's own line, with this pane's title. */
		draw_hline(g->y, g->x, g->w, DRAW_BORDER);
		draw_printf(g->y, g->x + 2, g->w - 4, DRAW_HEAD, " %s ",
		    _("Watching"));
		for (int i = 1; i < g->h; i++)
			draw_blank(g->y + i, g->x, g->w, DRAW_NORMAL);
		if (v->choosing)
			wv_draw_choices(v, g);
		else {
			draw_printf(g->y + 1, g->x + 1, g->w - 2, DRAW_HEAD,
			    _("Connect to amqp://127.0.0.1:%d"),
			    watch_proxy_port(v->w->p));
			draw_wrap(g->y + 2, g->x + 1, g->w - 2, g->h - 2, 0,
			    _("Watching your own application: these panes "
			    "are its connections, what it declared and its "
			    "messages, read off the wire. Capital keys break "
			    "things under its real traffic (K kill -9, B start "
			    "again, N cut, L black hole); its settings are "
			    "shown, not switched. e: its Spring Boot "
			    "properties and what would have saved lost "
			    "messages."), DRAW_SAY);
		}
	}
	if (session_log(lab->ss, NULL) == 0 && l->h >= 2 && l->w >= 10) {
		draw_blank(l->y + 1, l->x, l->w, DRAW_NORMAL);
		draw_text(l->y + 1, l->x + 1, l->w - 2, _("No frames yet: "
		    "start your application."), DRAW_DIM);
	}
}

static void
wv_draw(void *ctx, struct lab *lab)
{
	struct wv *v = ctx;

	if (lab->too_small)
		return;
	/* An overlay covers the panes and their names. */
	if (lab->overlay == LAB_OV_NONE) {
		wv_draw_guide(v, lab);
		wv_draw_names(v, lab, 0);
		wv_draw_names(v, lab, 1);
	}
	if (v->spring)
		wv_draw_spring(v);
}

static const struct ui_hooks wv_hooks = {
	.key = wv_key,
	.draw = wv_draw,
	.tick = wv_tick,
};

int
watchview_run(struct watch_ctl *w, void *ctx)
{
	const struct watchview_opts *o = ctx;
	struct script_diag diag = { 0 };
	struct script *s = script_load_string(wv_script, "watch", &diag);
	struct ui_opts uo;
	struct wv v;

	script_diag_free(&diag);
	if (s == NULL)
		return 2; /* the built-in script is checked by the tests */
	memset(&v, 0, sizeof v);
	v.w = w;
	v.synced = (unsigned)-1;
	watch_engine_arm(w);
	memset(&uo, 0, sizeof uo);
	uo.lang = o->lang;
	uo.locale_dir = o->locale_dir;
	uo.first = s;
	uo.sandbox = 1;
	uo.ops = &engine_watch_ops;
	uo.hooks = &wv_hooks;
	uo.hooks_ctx = &v;
	return ui_main(&uo);
}
