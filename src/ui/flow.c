/*
 * The four flow panes and the wires between them. Each pane is a box whose
 * lines are its live state and its toggles, each line with a priority: when
 * the terminal is small the least telling lines go first (a toggle the
 * lesson never touches, a counter at zero), so the 80x24 layout keeps what
 * matters and a large terminal shows everything. The bottom line(s) of each
 * box hold the tokens of the messages that are there now; tokens on the way
 * from one box to the next are stacked under the arrow between them.
 */
#include "ui/flow.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/guide.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "ui/words.h"

enum flow_row_kind { ROW_STATE, ROW_TOGGLE, ROW_TEXT };

struct flow_row {
	enum flow_row_kind kind;
	int prio;             /* 0 least wanted .. 3 always, 4 a lesson's toggle */
	const char *label;    /* translated */
	const char *tiny;     /* a shorter label, or NULL */
	char value[64];
	const char *tiny_value; /* a shorter value, or NULL: taken when the
				   label fits beside it and not beside value */
	enum draw_role role;  /* of the value (or the text) */
	int key;              /* ROW_TOGGLE: its key */
};

#define FLOW_MAX_ROWS 32
#define FLOW_ROW_MAX 28 /* columns of a label and value line, at most */

struct flow_rows {
	struct flow_row r[FLOW_MAX_ROWS];
	int n;
	int ys[FLOW_MAX_ROWS]; /* after flow_draw_rows: each row's screen
				  row, -1 if it did not fit */
};

static struct flow_row *
flow_add(struct flow_rows *rs, enum flow_row_kind kind, int prio,
    const char *label, enum draw_role role)
{
	struct flow_row *r;

	if (rs->n == FLOW_MAX_ROWS)
		return &rs->r[FLOW_MAX_ROWS - 1];
	r = &rs->r[rs->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	r->prio = prio;
	r->label = label;
	r->role = role;
	return r;
}

static void
flow_state(struct flow_rows *rs, int prio, const char *label,
    enum draw_role role, const char *fmt, uint64_t v)
{
	struct flow_row *r = flow_add(rs, ROW_STATE, prio, label, role);

	snprintf(r->value, sizeof r->value, fmt, v);
}

/* A toggle line; `relevant` 0 demotes a toggle that does nothing now. */
static void
flow_toggle(struct flow_rows *rs, struct lab *lab, enum toggle_id id,
    int relevant)
{
	const struct keys_def *k = keys_of(KEYS_TOGGLE, id);
	int64_t v = session_get_toggle(lab->ss, id);
	struct flow_row *r;
	int prio = lab->toggle_prio[id];

	if (k == NULL)
		return;
	/* A watched application's settings are only those its frames show
	   (watch_seen_toggles); the lab's own do nothing there. */
	if (session_watched(lab->ss) && id != TOGGLE_CONFIRMS &&
	    id != TOGGLE_MANDATORY && id != TOGGLE_PERSISTENT &&
	    id != TOGGLE_ACK_MODE && id != TOGGLE_PREFETCH &&
	    id != TOGGLE_DURABLE_QUEUE && id != TOGGLE_QUEUE_TYPE &&
	    id != TOGGLE_DURABLE_EXCHANGE)
		return;
	if (prio >= 3) /* the lesson uses it: never crowded out */
		prio = 4;
	if (v != toggle_info(id)->def && prio < 2)
		prio = 2;
	if (!relevant && prio > 0)
		prio = 0;
	r = flow_add(rs, ROW_TOGGLE, prio, keys_label(k), DRAW_VALUE);
	r->tiny = keys_tiny(k);
	r->key = k->key;
	keys_value(id, v, r->value, sizeof r->value);
	/* "i idem  msg id" says more than "i  message_id" alone. */
	if (id == TOGGLE_IDEMPOTENCY && v == IDEM_MESSAGE_ID)
		r->tiny_value = _("msg id");
	if (toggle_info(id)->type == TOGGLE_BOOL)
		r->role = v ? DRAW_ON : DRAW_OFF;
}

/*
 * Draws one row across w columns: label left, value right. A label that
 * does not fit whole gives way to its short form, or else to nothing: a
 * word cut in half ("durab", "确认模") reads as a mistake, while the key
 * and the value alone still say what the row is.
 */
static void
flow_draw_row(const struct flow_row *r, int y, int x, int w)
{
	int vw = text_width(r->value), lx = x, lw;
	const char *label = r->label, *value = r->value;

	switch (r->kind) {
	case ROW_TEXT:
		/* Exchange names come shortened to fit already
		 * (flow_exchange_name). */
		draw_text(y, x, w, r->label, r->role);
		return;
	case ROW_TOGGLE: {
		char name[16];
		keys_name(r->key, name, sizeof name);
		draw_text(y, x, 1, name, DRAW_KEY);
		draw_click_add(y, x, w, r->key, 0);
		lx = x + 2;
		break;
	}
	case ROW_STATE:
		break;
	}
	/* "last 404" says more than "404 close" alone: a shorter value
	 * is taken when it lets the label (or its short form) show. */
	if (r->tiny_value && text_width(label) > w - (lx - x) - vw - 1 &&
	    (r->tiny ? text_width(r->tiny) : text_width(label)) <=
	    w - (lx - x) - text_width(r->tiny_value) - 1) {
		value = r->tiny_value;
		vw = text_width(value);
	}
	if (vw > w - (lx - x))
		vw = w - (lx - x);
	lw = w - (lx - x) - vw - 1;
	if (text_width(label) > lw)
		label = r->tiny && text_width(r->tiny) <= lw ? r->tiny : "";
	if (lw > 0)
		draw_text(y, lx, lw, label,
		    r->kind == ROW_STATE ? DRAW_DIM : DRAW_NORMAL);
	draw_text(y, x + w - vw, vw, value, r->role);
}

/*
 * Draws the rows that fit in `rows` lines: every row of the highest
 * priorities first, shown in their own order. Returns the lines used.
 */
static int
flow_draw_rows(struct flow_rows *rs, int y, int x, int w, int rows)
{
	int take[FLOW_MAX_ROWS] = { 0 }, used = 0, line = 0;

	for (int prio = 4; prio >= 0 && used < rows; prio--)
		for (int i = 0; i < rs->n && used < rows; i++)
			if (rs->r[i].prio == prio) {
				take[i] = 1;
				used++;
			}
	/* Wide panes keep label and value close enough to read as a pair. */
	if (w > FLOW_ROW_MAX)
		w = FLOW_ROW_MAX;
	for (int i = 0; i < rs->n; i++) {
		rs->ys[i] = take[i] ? y + line : -1;
		if (take[i])
			flow_draw_row(&rs->r[i], y + line++, x, w);
	}
	return line;
}

/* ---- tokens ------------------------------------------------------------ */

char
flow_token_mark(const struct session_token *tk)
{
	if (tk->flags & TOKEN_DUPLICATE)
		return '=';
	if (tk->flags & TOKEN_DEAD_LETTERED)
		return 'x';
	if (tk->flags & TOKEN_REDELIVERED)
		return '@';
	return tk->flags & TOKEN_PERSISTENT ? '#' : '~';
}

enum draw_role
flow_token_role(const struct session_token *tk)
{
	if (tk->place == PLACE_LOST)
		return DRAW_TK_LOST;
	if (tk->flags & TOKEN_DUPLICATE)
		return DRAW_TK_DUPLICATE;
	if (tk->flags & TOKEN_DEAD_LETTERED)
		return DRAW_TK_DEAD;
	if (tk->flags & TOKEN_REDELIVERED)
		return DRAW_TK_REDELIVERED;
	return tk->flags & TOKEN_PERSISTENT ? DRAW_TK_PERSISTENT :
	    DRAW_TK_TRANSIENT;
}

static int
flow_token_at(const struct session_token *tk, enum session_place place,
    int queue)
{
	if (tk->place != place)
		return 0;
	if (place == PLACE_QUEUE || place == PLACE_DEAD)
		return tk->queue == queue;
	return 1;
}

static int
flow_count(const struct lab *lab, enum session_place place, int queue)
{
	int n = 0;

	for (size_t i = 0; i < lab->ntokens; i++)
		n += flow_token_at(&lab->tokens[i], place, queue);
	return n;
}

/*
 * Token tk as the legend reads it. A message the producer still holds is
 * drawn as it will be published: # when the persistent toggle is on, ~
 * when off, and without the broker's marks (@ redelivered, x dead-lettered,
 * = twice), which say nothing about the copy the producer is about to send.
 * Returns tk itself or buf.
 */
static const struct session_token *
flow_as_legend(struct lab *lab, const struct session_token *tk,
    struct session_token *buf)
{
	/* Lost before it was ever sent, a token keeps the mark it was made
	 * with (session.c); one the producer still holds follows the
	 * setting it will be sent with. */
	if (tk->place != PLACE_PRODUCER)
		return tk;
	*buf = *tk;
	buf->flags &= ~(unsigned)(TOKEN_REDELIVERED | TOKEN_DEAD_LETTERED |
	    TOKEN_DUPLICATE | TOKEN_PERSISTENT);
	if (session_get_toggle(lab->ss, TOGGLE_PERSISTENT))
		buf->flags |= TOKEN_PERSISTENT;
	return buf;
}

static void
flow_draw_token(struct lab *lab, const struct session_token *tk, int y, int x,
    int w)
{
	char text[16];
	struct session_token buf;

	tk = flow_as_legend(lab, tk, &buf);

	snprintf(text, sizeof text, "%c%" PRIu32, flow_token_mark(tk), tk->msg);
	/* Too narrow for the mark (a gutter of 4 and message 1021): the
	 * number whole, its colour still saying what the mark would. */
	if (text_width(text) > w)
		snprintf(text, sizeof text, "%" PRIu32, tk->msg);
	draw_text(y, x, w, text,
	    tk->msg == lab->selected ? DRAW_SELECTED : flow_token_role(tk));
	draw_click_add(y, x, text_width(text) < w ? text_width(text) : w, 0,
	    tk->msg);
}

/*
 * Lays the tokens at `place` (and `queue`) out left to right over `rows`
 * lines from (y, x); when they do not all fit, the last slot says "+N".
 * `places` may hold a second place (PLACE_DEAD with PLACE_QUEUE).
 */
static void
flow_tokens(struct lab *lab, int y, int x, int w, int rows,
    enum session_place place, enum session_place also, int queue)
{
	int total = flow_count(lab, place, queue) +
	    (also != place ? flow_count(lab, also, queue) : 0);
	int line = 0, cx = 0, shown = 0;

	if (rows <= 0 || w <= 0)
		return;
	for (size_t i = 0; i < lab->ntokens; i++) {
		const struct session_token *tk = &lab->tokens[i];
		char text[16];
		int tw;

		if (!flow_token_at(tk, place, queue) &&
		    !(also != place && flow_token_at(tk, also, queue)))
			continue;
		tw = snprintf(text, sizeof text, "%c%" PRIu32,
		    flow_token_mark(tk), tk->msg);
		if (cx > 0 && cx + tw > w) {
			line++;
			cx = 0;
		}
		/* Keep room for "+N" on the last line unless this is the
		 * last token. */
		if (line == rows - 1 && shown < total - 1) {
			char more[16];
			int mw = snprintf(more, sizeof more, "+%d",
			    total - shown);
			if (cx + tw + 1 + mw > w) {
				draw_text(y + line, x + cx, w - cx, more,
				    DRAW_WARN);
				return;
			}
		}
		if (line >= rows)
			return;
		flow_draw_token(lab, tk, y + line, x + cx, w - cx);
		cx += tw + 1;
		shown++;
	}
}

/* ---- the boxes --------------------------------------------------------- */

/* Rows left for the state after `token_rows` lines of tokens. */
static int
flow_inner(const struct pane *p, int token_rows)
{
	return p->h - 2 - token_rows;
}

static void
flow_box(const struct pane *p, const char *title)
{
	char t[64];

	snprintf(t, sizeof t, " %s ", title);
	draw_box(p->y, p->x, p->h, p->w, t, DRAW_BORDER);
}

static void
flow_duration(char *buf, size_t len, int64_t us)
{
	if (us < 1000000)
		snprintf(buf, len, "%" PRId64 "ms", us / 1000);
	else
		snprintf(buf, len, "%" PRId64 ".%" PRId64 "s", us / 1000000,
		    us % 1000000 / 100000);
}

static void
producer_draw(struct pane *p, struct lab *lab)
{
	struct flow_rows rs = { .n = 0 };
	const struct engine_view *v = &lab->view;
	int64_t confirms = session_get_toggle(lab->ss, TOGGLE_CONFIRMS);
	int retry = (int)session_get_toggle(lab->ss, TOGGLE_PRODUCER_RETRY);
	struct flow_row *r;
	int rows, trows;

	if (p->h < 3)
		return;
	flow_box(p, _("Producer"));
	/* The producer connects on its first publish: before that the
	 * link is not down, just not open yet. */
	r = flow_add(&rs, ROW_STATE, 3, _("link"),
	    v->producer_connected ? DRAW_GOOD :
	    lab->sum.published ? DRAW_BAD : DRAW_DIM);
	snprintf(r->value, sizeof r->value, "%s",
	    v->producer_connected ? _("up") :
	    lab->sum.published ? _("down") : _("closed"));
	flow_state(&rs, confirms || v->producer_outstanding ? 3 : 1,
	    _("unconfirmed"), v->producer_outstanding ? DRAW_WARN : DRAW_VALUE,
	    "%" PRIu64, v->producer_outstanding);
	flow_state(&rs, v->producer_pending ? 3 : 1, _("unsent"),
	    v->producer_pending ? DRAW_WARN : DRAW_VALUE, "%" PRIu64,
	    v->producer_pending);
	r = flow_add(&rs, ROW_STATE, v->producer_blocked_us ? 2 : 0,
	    _("blocked"), v->producer_blocked_us ? DRAW_WARN : DRAW_VALUE);
	flow_duration(r->value, sizeof r->value, v->producer_blocked_us);
	if (v->producer_retry_in_us >= 0) {
		/* Reconnecting: the countdown and which attempt is next, of
		 * how many ("2/3": '#' is the legend's "persistent"). */
		char in[24];
		r = flow_add(&rs, ROW_STATE, 3, _("retry in"), DRAW_WARN);
		/* A narrow pane keeps a word before the figures. */
		r->tiny = _("retry");
		flow_duration(in, sizeof in, v->producer_retry_in_us);
		snprintf(r->value, sizeof r->value, "%s %d/%d", in,
		    v->producer_attempt + 1, (int)session_get_toggle(lab->ss,
			TOGGLE_PRODUCER_ATTEMPTS));
	}
	flow_toggle(&rs, lab, TOGGLE_CONFIRMS, 1);
	flow_toggle(&rs, lab, TOGGLE_BATCH, confirms == CONFIRMS_BATCH);
	flow_toggle(&rs, lab, TOGGLE_MANDATORY, 1);
	flow_toggle(&rs, lab, TOGGLE_PERSISTENT, 1);
	flow_toggle(&rs, lab, TOGGLE_PRODUCER_RETRY, 1);
	flow_toggle(&rs, lab, TOGGLE_PRODUCER_ATTEMPTS, retry);
	flow_toggle(&rs, lab, TOGGLE_PRODUCER_INITIAL_MS, retry);
	flow_toggle(&rs, lab, TOGGLE_PRODUCER_MULTIPLIER, retry);
	flow_toggle(&rs, lab, TOGGLE_RESEND, 1);
	flow_toggle(&rs, lab, TOGGLE_REOPEN_CHANNEL, 1);
	flow_toggle(&rs, lab, TOGGLE_HEARTBEAT, 1);
	trows = p->h >= 14 ? 2 : 1;
	rows = flow_inner(p, trows);
	flow_draw_rows(&rs, p->y + 1, p->x + 1, p->w - 2, rows);
	flow_tokens(lab, p->y + p->h - 1 - trows, p->x + 1, p->w - 2, trows,
	    PLACE_PRODUCER, PLACE_PRODUCER, -1);
}

/* How many bindings start at exchange `name`: the broker's count, else
 * (an exchange the engine does not know) the topology's. */
static size_t
flow_bindings(const struct lab *lab, const struct topology *t,
    const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < lab->view.nexchanges; i++)
		if (strcmp(lab->view.exchanges[i].name, name) == 0)
			return lab->view.exchanges[i].bindings;

	for (size_t i = 0; i < t->nbindings; i++)
		n += strcmp(t->bindings[i].exchange, name) == 0;
	return n;
}

/* Name as w columns show it: whole, or with its middle given way to a
 * DRAW_ELIDE (text_elide), never cut in the middle of its last word. */
static const char *
flow_elide(const char *name, int w, char *buf, size_t len)
{
	return text_elide(name, w, DRAW_ELIDE, buf, len);
}

/*
 * Exchange i's name as the pane shows it in w columns, into buf: whole if
 * it fits, else with a middle DRAW_ELIDE (err..direct). When that makes
 * two exchanges look the same (say, order.delay.direct and
 * order.direct), the dotted head all of them share gives way to a leading
 * DRAW_ELIDE instead, which keeps the parts that differ.
 */
static const char *
flow_exchange_name(const struct topology *t, size_t i, int w, char *buf,
    size_t len)
{
	const char *name = t->exchanges[i].name;
	char other[FLOW_ROW_MAX * 4 + 8];
	size_t common = strlen(name);
	int clash = 0;

	flow_elide(name, w, buf, len);
	for (size_t k = 0; k < t->nexchanges; k++) {
		const char *o = t->exchanges[k].name;
		size_t c = 0;
		if (k == i)
			continue;
		clash |= strcmp(buf, flow_elide(o, w, other,
		    sizeof other)) == 0;
		while (c < common && name[c] == o[c])
			c++;
		common = c;
	}
	while (common > 0 && name[common - 1] != '.')
		common--;
	if (!clash || common == 0 || text_width(name) <= w)
		return buf;
	/* The head given way shows as the same mark as a middle; the
	 * tail, where the names differ, keeps its end (..ay.direct). */
	name += common;
	while (*name && text_width(name) > w - (int)strlen(DRAW_ELIDE))
		while ((*++name & 0xc0) == 0x80)
			;
	snprintf(buf, len, "%s%s", DRAW_ELIDE, name);
	return buf;
}

/*
 * Whether exchange `name` is gone now (deleted, or lost in a crash and not
 * declared again), as the engine's broker has it.
 */
static int
flow_exchange_gone(const struct lab *lab, const char *name)
{
	/* While the broker is down its pane says so; nothing is "deleted". */
	if (!lab->view.broker_up)
		return 0;
	for (size_t i = 0; i < lab->view.nexchanges; i++)
		if (strcmp(lab->view.exchanges[i].name, name) == 0)
			return !lab->view.exchanges[i].exists;
	return 0;
}

/*
 * The exchange the lesson publishes to now (the step to play, else the one
 * just played; while a question's verdict shows, that question's step)
 * when it is not the topology's: its rows stay in a short pane (lesson
 * 02's pay.headers, the fourth of four, was left out; its pay.topic
 * question showed pay.headers, the next step's, beside its verdict).
 */
static const char *
flow_focus_exchange(const struct lab *lab)
{
	const struct session_lesson *ls = session_lesson(lab->ss);
	const struct script *s = lab->script;

	if (guide_verdict_open(lab) && (size_t)lab->qa_step < s->nsteps) {
		const struct script_action *a = &s->steps[lab->qa_step].action;
		if (a->kind == ACT_PUBLISH && a->publish.exchange)
			return a->publish.exchange;
	}
	for (size_t d = 0; d < 2 && d <= ls->step; d++) {
		size_t k = ls->step - d;
		if (k < s->nsteps && s->steps[k].action.kind == ACT_PUBLISH &&
		    s->steps[k].action.publish.exchange)
			return s->steps[k].action.publish.exchange;
	}
	return NULL;
}

static void
exchange_draw(struct pane *p, struct lab *lab)
{
	struct flow_rows rs = { .n = 0 };
	const struct topology *t = &lab->script->topo;
	const char *route = session_last_route(lab->ss);
	const char *focus = flow_focus_exchange(lab);
	struct flow_row *r;
	int trows = 1, rows, name_row[LAB_MAX_EXCHANGES];

	for (size_t i = 0; i < LAB_MAX_EXCHANGES; i++)
		lab->ex_row[i] = name_row[i] = -1;
	if (p->h < 3)
		return;
	flow_box(p, _("Exchange"));
	r = flow_add(&rs, ROW_STATE, 3, _("broker"),
	    lab->view.broker_up ? DRAW_GOOD : DRAW_BAD);
	/* The broker's "down" is its own word: a link's reads "cut off". */
	snprintf(r->value, sizeof r->value, "%s",
	    lab->view.broker_up ? _("up") : words_in("broker", "down"));
	for (size_t i = 0; i < t->nexchanges; i++) {
		const struct topo_exchange *x = &t->exchanges[i];
		int main_x = strcmp(x->name, t->publish_exchange ?
		    t->publish_exchange : "") == 0 || i == 0 || (focus &&
		    strcmp(x->name, focus) == 0);
		int durable = x->durable >= 0 ? x->durable :
		    (int)session_get_toggle(lab->ss, TOGGLE_DURABLE_EXCHANGE);
		r = flow_add(&rs, ROW_TEXT, main_x ? 3 : 1, "", DRAW_VALUE);
		if (i < LAB_MAX_EXCHANGES)
			name_row[i] = rs.n - 1;
		r->label = flow_exchange_name(t, i, p->w - 2 < FLOW_ROW_MAX ?
		    p->w - 2 : FLOW_ROW_MAX, r->value, sizeof r->value);
		if (flow_exchange_gone(lab, x->name))
			flow_add(&rs, ROW_TEXT, main_x ? 3 : 1, _("deleted"),
			    DRAW_BAD);
		r = flow_add(&rs, ROW_STATE, main_x ? 2 : 0, _("type"),
		    durable ? DRAW_VALUE : DRAW_WARN);
		snprintf(r->value, sizeof r->value, "%s%s%s",
		    topology_exchange_type_name(x->type), durable ? "" : " ",
		    durable ? "" : _("transient"));
		if (text_width(r->value) > p->w - 2) {
			/* Too narrow for both. The x toggle's row says the
			 * durability of one that follows it: the type stays.
			 * Otherwise being transient is the news, under no
			 * "type" label, which it is not. */
			int news = !durable && x->durable >= 0;
			char cut[FLOW_ROW_MAX * 4];
			/* A type too long even alone (x-delayed-message) gives
			 * way in its middle, marked. */
			snprintf(r->value, sizeof r->value, "%s", news ?
			    _("transient") : flow_elide(
			    topology_exchange_type_name(x->type), p->w - 2,
			    cut, sizeof cut));
			if (news || text_width(r->value) > p->w - 2 -
			    text_width(r->label) - 1)
				r->label = "";
		}
		flow_state(&rs, main_x ? 1 : 0, _("bindings"), DRAW_VALUE,
		    "%" PRIu64, (uint64_t)flow_bindings(lab, t, x->name));
	}
	r = flow_add(&rs, ROW_STATE, 3, _("last"), DRAW_VALUE);
	if (*route == '\0')
		snprintf(r->value, sizeof r->value, "-");
	else {
		/* "routed m5" etc.: the word, then the message as a token. */
		char word[40];
		const char *m = strrchr(route, 'm');
		size_t n = m && m > route ? (size_t)(m - route - 1) :
		    strlen(route);
		snprintf(word, sizeof word, "%.*s", (int)n, route);
		if (strncmp(word, "routed", 6) == 0) {
			snprintf(r->value, sizeof r->value, "%s", _("routed"));
			r->role = DRAW_GOOD;
		} else if (strncmp(word, "returned", 8) == 0) {
			snprintf(r->value, sizeof r->value, "%s",
			    _("return 312"));
			r->role = DRAW_WARN;
		} else if (strncmp(word, "404", 3) == 0) {
			snprintf(r->value, sizeof r->value, "%s", _("404 close"));
			r->tiny_value = "404";
			r->role = DRAW_BAD;
		} else if (strncmp(word, "unroutable", 10) == 0) {
			snprintf(r->value, sizeof r->value, "%s", _("dropped"));
			r->tiny_value = _("drop");
			r->role = DRAW_BAD;
		} else {
			snprintf(r->value, sizeof r->value, "%s", word);
		}
	}
	flow_toggle(&rs, lab, TOGGLE_DURABLE_EXCHANGE, 1);
	flow_toggle(&rs, lab, TOGGLE_RESTART_MS, 1);
	rows = flow_inner(p, trows);
	flow_draw_rows(&rs, p->y + 1, p->x + 1, p->w - 2, rows);
	for (size_t i = 0; i < LAB_MAX_EXCHANGES; i++)
		if (name_row[i] >= 0)
			lab->ex_row[i] = rs.ys[name_row[i]];
	flow_tokens(lab, p->y + p->h - 1 - trows, p->x + 1, p->w - 2, trows,
	    PLACE_EXCHANGE, PLACE_EXCHANGE, -1);
}

/*
 * The queue column holds one box per queue while each box gets at least
 * five rows; with more queues than that allows it becomes one box with a
 * short section per queue (name and counts, then tokens).
 */
static int
flow_queues_compact(const struct lab *lab)
{
	const struct pane *p = &lab->panes[LAB_QUEUES];

	return lab->nqueues > 1 && p->h / (int)lab->nqueues < 5;
}

/*
 * Rows the compact queue box keeps at its foot for the queues' toggles
 * (t type, u durable): two, or one, while every section keeps two rows
 * (its name, a line of tokens); else none.
 */
static int
flow_queues_toggle_rows(const struct lab *lab)
{
	const struct pane *p = &lab->panes[LAB_QUEUES];
	int rows = p->h - 2, n = (int)lab->nqueues;

	if (!flow_queues_compact(lab))
		return 0;
	if ((rows - 2) / n >= 2)
		return 2;
	return (rows - 1) / n >= 2 ? 1 : 0;
}

/*
 * Where queue i sits in the queue column: its box (or section) from *y for
 * *h rows. The first (main) queue gets what does not divide. Returns 0 if
 * it does not fit.
 */
static int
flow_queue_box(const struct lab *lab, size_t i, int *y, int *h)
{
	const struct pane *p = &lab->panes[LAB_QUEUES];
	int compact = flow_queues_compact(lab);
	int top = p->y + compact,
	    rows = p->h - 2 * compact - flow_queues_toggle_rows(lab);
	int least = compact ? 1 : 3, each, extra;
	size_t n = lab->nqueues, fit;

	if (n == 0 || rows < least)
		return 0;
	fit = (size_t)(rows / least);
	if (n > fit)
		n = fit;
	if (i >= n)
		return 0;
	each = rows / (int)n;
	extra = rows - each * (int)n;
	*h = each + (i == 0 ? extra : 0);
	*y = top + (i == 0 ? 0 : extra + each * (int)i);
	return 1;
}

/* The row of the arrow into queue i, or -1. */
static int
flow_queue_row(const struct lab *lab, size_t i)
{
	int y, h;

	if (!flow_queue_box(lab, i, &y, &h))
		return -1;
	return flow_queues_compact(lab) ? y : y + 1;
}

static const char *
flow_role_tag(int role)
{
	switch (role) {
	case QROLE_DEAD:
		return _("DLQ");
	case QROLE_ERROR:
		return _("error");
	case QROLE_DELAY:
		return _("delay");
	default:
		return NULL;
	}
}

/*
 * A queue's name with its role tag ("trade.pay.dlq [DLQ]") in `cols`
 * columns. The tag goes first when room is short, and then the middle of
 * the name (trade~dlq): queues of a lab often differ only at the end.
 */
static void
flow_queue_name(const struct lab_queue *q, int cols, char *out, size_t len)
{
	const char *tag = flow_role_tag(q->role);
	char name[96];

	if (tag && text_width(q->name) + 3 + text_width(tag) <= cols)
		snprintf(out, len, "%s [%s]", q->name, tag);
	else
		snprintf(out, len, "%s", text_elide(q->name, cols, DRAW_ELIDE, name,
		    sizeof name));
}

/*
 * What a queue the broker does not show is: "deleted", unless the broker
 * is down and the queue is durable, in which case it is only out of sight
 * until the broker is back ("broker down"). Translated, borrowed.
 */
static const char *
flow_queue_gone(const struct lab *lab, const struct lab_queue *q)
{
	if (!lab->view.broker_up && q->v.durable)
		return _("broker down");
	return _("deleted");
}

/* One queue as a section of the shared box: name and counts, tokens. */
static void
queues_section(struct pane *p, struct lab *lab, size_t i, int y, int h)
{
	const struct lab_queue *q = &lab->queues[i];
	char counts[48], name[128];
	int cw, w = p->w - 2, x = p->x + 1;
	enum draw_role role;

	if (!q->v.exists)
		snprintf(counts, sizeof counts, "%s", flow_queue_gone(lab, q));
	else
		/* TRANSLATORS: a queue's ready and unacked counts where
		 * there is no room for the words. */
		snprintf(counts, sizeof counts, _("r%llu u%llu"),
		    (unsigned long long)q->v.ready,
		    (unsigned long long)q->v.unacked);
	cw = text_width(counts);
	role = !q->v.exists ? DRAW_BAD : q->v.unacked ? DRAW_WARN : DRAW_VALUE;
	if (h >= 2 && text_width(q->name) > w - cw - 1 &&
	    text_width(q->name) <= w) {
		/* A name that fits alone keeps its line whole; the counts
		 * go to the right of the tokens' first line, and the tokens
		 * give up those columns (the sixth review could not find
		 * "tr..uccess" among the names the lesson talks about). */
		flow_queue_name(q, w, name, sizeof name);
		draw_text(y, x, w, name, DRAW_HEAD);
		draw_text(y + 1, x + w - cw, cw, counts, role);
		flow_tokens(lab, y + 1, x, w - cw - 1, h - 1, PLACE_QUEUE,
		    PLACE_DEAD, (int)i);
		return;
	}
	flow_queue_name(q, w - cw - 1, name, sizeof name);
	draw_text(y, x, w - cw - 1, name, DRAW_HEAD);
	draw_text(y, x + w - cw, cw, counts, role);
	flow_tokens(lab, y + 1, x, w, h - 1, PLACE_QUEUE, PLACE_DEAD, (int)i);
}

static void
queues_draw(struct pane *p, struct lab *lab)
{
	if (flow_queues_compact(lab)) {
		char title[64];
		snprintf(title, sizeof title, " %s ", _("Queues"));
		draw_box(p->y, p->x, p->h, p->w, title, DRAW_BORDER);
		struct flow_rows rs = { .n = 0 };
		int trows = flow_queues_toggle_rows(lab);
		for (size_t i = 0; i < lab->nqueues; i++) {
			int y, h;
			if (!flow_queue_box(lab, i, &y, &h))
				break;
			queues_section(p, lab, i, y, h);
		}
		/* The queues' toggles, as the single box shows them. */
		flow_toggle(&rs, lab, TOGGLE_QUEUE_TYPE, 1);
		flow_toggle(&rs, lab, TOGGLE_DURABLE_QUEUE, 1);
		flow_draw_rows(&rs, p->y + p->h - 1 - trows, p->x + 1,
		    p->w - 2, trows);
		return;
	}
	for (size_t i = 0; i < lab->nqueues; i++) {
		const struct lab_queue *q = &lab->queues[i];
		struct flow_rows rs = { .n = 0 };
		struct flow_row *r;
		char title[160], name[128];
		int y, h, rows, trows;

		if (!flow_queue_box(lab, i, &y, &h))
			break;
		/* The title: " name " in the w - 4 columns after "┌─"; a
		 * name that only fits without that padding takes the whole
		 * top edge ("┌trade.pay.success─┐") rather than be cut. */
		if (text_width(q->name) > p->w - 6 &&
		    text_width(q->name) <= p->w - 3) {
			draw_box(y, p->x, h, p->w, NULL, DRAW_BORDER);
			draw_text(y, p->x + 1, p->w - 3, q->name, DRAW_HEAD);
		} else {
			flow_queue_name(q, p->w - 6, name, sizeof name);
			snprintf(title, sizeof title, " %s ", name);
			draw_box(y, p->x, h, p->w, title, DRAW_BORDER);
		}
		if (!q->v.exists) {
			r = flow_add(&rs, ROW_TEXT, 3, flow_queue_gone(lab, q),
			    lab->view.broker_up ? DRAW_BAD : DRAW_WARN);
		} else {
			r = flow_add(&rs, ROW_STATE, 1,
			    q->v.type >= 0 && q->v.type < 3 ?
			    words_choice(TOGGLE_QUEUE_TYPE, q->v.type) : "?",
			    DRAW_VALUE);
			snprintf(r->value, sizeof r->value, "%s",
			    q->v.durable ? _("durable") : _("transient"));
			r->role = q->v.durable ? DRAW_VALUE : DRAW_WARN;
			flow_state(&rs, 3, _("ready"), DRAW_VALUE, "%" PRIu64,
			    q->v.ready);
			flow_state(&rs, 3, _("unacked"),
			    q->v.unacked ? DRAW_WARN : DRAW_VALUE, "%" PRIu64,
			    q->v.unacked);
			if (q->v.max_length >= 0)
				flow_state(&rs, 2, _("max length"), DRAW_WARN,
				    "%" PRIu64, (uint64_t)q->v.max_length);
			if (q->v.ttl_ms >= 0) {
				r = flow_add(&rs, ROW_STATE, 2, "TTL",
				    DRAW_WARN);
				flow_duration(r->value, sizeof r->value,
				    q->v.ttl_ms * 1000);
			}
			if (q->v.head_expires_in_us >= 0) {
				r = flow_add(&rs, ROW_STATE, 3,
				    _("head expires"), DRAW_WARN);
				flow_duration(r->value, sizeof r->value,
				    q->v.head_expires_in_us);
			}
		}
		if (i == 0) {
			flow_toggle(&rs, lab, TOGGLE_QUEUE_TYPE, 1);
			flow_toggle(&rs, lab, TOGGLE_DURABLE_QUEUE, 1);
		}
		trows = h >= 8 ? 2 : 1;
		if (h - 2 <= 1)
			trows = 0;
		rows = h - 2 - trows;
		if (rows < 0)
			rows = 0;
		flow_draw_rows(&rs, y + 1, p->x + 1, p->w - 2, rows);
		flow_tokens(lab, y + h - 1 - trows, p->x + 1, p->w - 2, trows,
		    PLACE_QUEUE, PLACE_DEAD, (int)i);
	}
}

static void
consumer_draw(struct pane *p, struct lab *lab)
{
	struct flow_rows rs = { .n = 0 };
	const struct engine_view *v = &lab->view;
	size_t ncons = lab->script->topo.nconsumers;
	int retry = (int)session_get_toggle(lab->ss, TOGGLE_RETRY);
	int reconcile = (int)session_get_toggle(lab->ss, TOGGLE_RECONCILE);
	struct flow_row *r;
	int trows, rows, working = flow_count(lab, PLACE_CONSUMER, -1);

	if (p->h < 3)
		return;
	flow_box(p, _("Consumer"));
	/* Consumers connect in the first instant: at time 0 none is. */
	r = flow_add(&rs, ROW_STATE, 3, _("connected"),
	    v->consumers_connected >= (int)ncons ? DRAW_GOOD :
	    session_now(lab->ss) == 0 ? DRAW_DIM :
	    v->consumers_connected ? DRAW_WARN : DRAW_BAD);
	snprintf(r->value, sizeof r->value, "%d/%zu", v->consumers_connected,
	    ncons);
	flow_state(&rs, v->consumer_in_progress ? 3 : 1, _("working"),
	    DRAW_VALUE, "%" PRIu64, v->consumer_in_progress);
	flow_state(&rs, v->consumer_buffered ? 3 : 1, _("buffered"),
	    DRAW_VALUE, "%" PRIu64, v->consumer_buffered);
	/* The same counters as the ledger's: processed once, and twice. */
	flow_state(&rs, 2, _("processed"), DRAW_VALUE, "%" PRIu64,
	    lab->sum.fate[FATE_PROCESSED]);
	if (lab->sum.fate[FATE_DUPLICATED])
		flow_state(&rs, 2, _("duplicated"), DRAW_BAD, "%" PRIu64,
		    lab->sum.fate[FATE_DUPLICATED]);
	/* Of the processed, those the reconciliation job marked, not this
	 * listener (lesson 10: processed rose while no consumer was up). */
	if (lab->sum.repaired)
		flow_state(&rs, 2, words_counter("repaired"), DRAW_WARN,
		    "%" PRIu64, lab->sum.repaired);
	flow_toggle(&rs, lab, TOGGLE_ACK_MODE, 1);
	flow_toggle(&rs, lab, TOGGLE_PREFETCH, 1);
	flow_toggle(&rs, lab, TOGGLE_WORK_MS, 1);
	flow_toggle(&rs, lab, TOGGLE_RETRY, 1);
	flow_toggle(&rs, lab, TOGGLE_RETRY_ATTEMPTS, retry);
	flow_toggle(&rs, lab, TOGGLE_RETRY_INITIAL_MS, retry);
	flow_toggle(&rs, lab, TOGGLE_RETRY_MULTIPLIER, retry);
	flow_toggle(&rs, lab, TOGGLE_RETRY_MAX_MS, retry);
	flow_toggle(&rs, lab, TOGGLE_ON_FAILURE, 1);
	flow_toggle(&rs, lab, TOGGLE_IDEMPOTENCY, 1);
	flow_toggle(&rs, lab, TOGGLE_RECOVERY_MS, 1);
	flow_toggle(&rs, lab, TOGGLE_RECONCILE, 1);
	flow_toggle(&rs, lab, TOGGLE_RECONCILE_MS, reconcile);
	/* Tokens: those being worked on, then the just processed. */
	trows = p->h >= 14 ? 3 : 2;
	rows = flow_inner(p, trows);
	flow_draw_rows(&rs, p->y + 1, p->x + 1, p->w - 2, rows);
	if (working)
		flow_tokens(lab, p->y + p->h - 1 - trows, p->x + 1, p->w - 2,
		    1, PLACE_CONSUMER, PLACE_CONSUMER, -1);
	else
		draw_text(p->y + p->h - 1 - trows, p->x + 1, p->w - 2,
		    _("idle"), DRAW_DIM);
	{
		int dx = draw_text(p->y + p->h - trows, p->x + 1, p->w - 2,
		    _("done"), DRAW_DIM) + 1;
		flow_tokens(lab, p->y + p->h - trows, p->x + 1 + dx,
		    p->w - 2 - dx, trows - 1, PLACE_DONE, PLACE_DONE, -1);
	}
}

/* ---- wires ------------------------------------------------------------- */

/* Tokens at `place` stacked one per line in a gap, from y for `rows`. */
static void
wires_stack(struct lab *lab, int y, int x, int w, int rows,
    enum session_place place)
{
	int total = flow_count(lab, place, -1), line = 0;

	for (size_t i = 0; i < lab->ntokens && line < rows; i++) {
		const struct session_token *tk = &lab->tokens[i];
		if (tk->place != place)
			continue;
		if (line == rows - 1 && total > rows) {
			draw_printf(y + line, x, w, DRAW_WARN, "+%d",
			    total - line);
			return;
		}
		flow_draw_token(lab, tk, y + line, x, w);
		line++;
	}
}

/*
 * The "lost:" list from x to end: every message lost so far (they stay, as
 * the ledger's counts do), the latest first to be kept; older ones that do
 * not fit are counted first ("3 earlier,"): a bare "+3" before the ids
 * read as one more id.
 * Returns the column after it.
 */
static int
wires_lost(struct lab *lab, int y, int x, int end)
{
	char earlier[48];
	int room, used = 0;
	size_t from = lab->ntokens, older = 0;

	/* TRANSLATORS: how many lost messages the list has no room for,
	 * before the ids it shows ("lost: 5 earlier, #34 #35"). */
	snprintf(earlier, sizeof earlier, _("%zu earlier,"), (size_t)9999);
	room = end - x - text_width(_("lost:")) -
	    text_width(text_after_label(_("lost:"))) - text_width(earlier) - 1;

	/* From the newest back, as many as fit (leaving room for "+N"). */
	for (size_t i = lab->ntokens; i-- > 0;) {
		char t[16];
		int tw;
		if (lab->tokens[i].place != PLACE_LOST)
			continue;
		tw = snprintf(t, sizeof t, "%c%" PRIu32,
		    flow_token_mark(&lab->tokens[i]), lab->tokens[i].msg) + 1;
		if (older || used + tw > room) {
			older++;
			continue;
		}
		used += tw;
		from = i;
	}
	x += draw_text(y, x, end - x, _("lost:"), DRAW_BAD);
	x += text_width(text_after_label(_("lost:")));
	if (older) {
		snprintf(earlier, sizeof earlier, _("%zu earlier,"), older);
		x += draw_text(y, x, end - x, earlier, DRAW_BAD) + 1;
	}
	for (size_t i = from; i < lab->ntokens; i++) {
		const struct session_token *tk = &lab->tokens[i];
		char t[16];
		int tw;
		if (tk->place != PLACE_LOST)
			continue;
		tw = snprintf(t, sizeof t, "%c%" PRIu32, flow_token_mark(tk),
		    tk->msg);
		flow_draw_token(lab, tk, y, x, tw);
		x += tw + 1;
	}
	return x;
}

static void
wires_legend(struct pane *p, struct lab *lab, int y)
{
	static const struct {
		char mark;
		enum draw_role role;
		const char *text;
	} marks[] = {
		{ '#', DRAW_TK_PERSISTENT, N_("persistent") },
		{ '~', DRAW_TK_TRANSIENT, N_("transient") },
		{ '@', DRAW_TK_REDELIVERED, N_("redelivered") },
		{ 'x', DRAW_TK_DEAD, N_("dead-lettered") },
		{ '=', DRAW_TK_DUPLICATE, N_("twice") },
	};
	int x = p->x, lost = flow_count(lab, PLACE_LOST, -1), legend_w = 0;

	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		legend_w += 3 + text_width(_(marks[i].text));
	if (lost)
		x = wires_lost(lab, y, x, p->x + p->w - legend_w - 1 > p->x +
		    p->w / 2 ? p->x + p->w - legend_w - 1 : p->x + p->w / 2);
	if (x + legend_w + 1 > p->x + p->w)
		return;
	x = p->x + p->w - legend_w;
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		char m[2] = { marks[i].mark, '\0' };
		draw_text(y, x, 1, m, marks[i].role);
		x += 2;
		x += draw_text(y, x, p->w, _(marks[i].text), DRAW_DIM) + 1;
	}
}

/*
 * The screen row of the exchange that feeds queue i (its first binding
 * whose exchange's name is on screen), or -1.
 */
static int
wires_source_row(const struct lab *lab, size_t i)
{
	const struct topology *t = &lab->script->topo;

	for (size_t b = 0; b < t->nbindings; b++) {
		if (strcmp(t->bindings[b].queue, lab->queues[i].name) != 0)
			continue;
		for (size_t x = 0; x < t->nexchanges && x < LAB_MAX_EXCHANGES;
		    x++)
			if (strcmp(t->exchanges[x].name,
			    t->bindings[b].exchange) == 0 && lab->ex_row[x] >= 0)
				return lab->ex_row[x];
	}
	return -1;
}

/*
 * An arrow from the exchange pane into each queue, in the gap of w columns
 * at x. It leaves from the row of the exchange that feeds the queue and
 * ends at the queue box's edge, turning once in the gap when the rows
 * differ; so an arrow beside an exchange always comes from it. Arrows that
 * turn get a column each: the one from the lower row turns first, so a
 * horizontal stroke never runs through another arrow's turn. The compact
 * queue list (one line per queue, a gap of a few columns) keeps straight
 * arrows into each queue's line: turns there would cross.
 */
static void
wires_queues(struct lab *lab, int x, int w)
{
	int from[LAB_MAX_QUEUES], to[LAB_MAX_QUEUES], col[LAB_MAX_QUEUES];

	for (size_t i = 0; i < lab->nqueues; i++) {
		int y, h;
		from[i] = -1;
		if ((to[i] = flow_queue_row(lab, i)) < 0 ||
		    !flow_queue_box(lab, i, &y, &h) || flow_queues_compact(lab))
			continue;
		from[i] = wires_source_row(lab, i);
		/* A source row inside the box: straight across. */
		if (from[i] > y && from[i] < y + h - 1)
			to[i] = from[i];
	}
	for (size_t i = 0; i < lab->nqueues; i++) {
		int rank = 0, down = from[i] < to[i];
		col[i] = -1;
		if (to[i] < 0 || from[i] < 0 || from[i] == to[i] || w < 3) {
			if (to[i] >= 0)
				draw_arrow(to[i], x, w, DRAW_ARROW);
			continue;
		}
		for (size_t k = 0; k < lab->nqueues; k++)
			if (k != i && to[k] >= 0 && from[k] >= 0 &&
			    from[k] != to[k] && (from[k] < to[k]) == down &&
			    (down ? from[k] > from[i] : from[k] < from[i]))
				rank++;
		col[i] = x + (rank < w - 2 ? rank : w - 2);
	}
	for (size_t i = 0; i < lab->nqueues; i++) {
		int down = from[i] < to[i], lo, hi;
		if (col[i] < 0)
			continue;
		lo = down ? from[i] : to[i];
		hi = down ? to[i] : from[i];
		draw_hline(from[i], x, col[i] - x, DRAW_ARROW);
		draw_vline(lo + 1, col[i], hi - lo - 1, DRAW_ARROW);
		draw_turn(to[i], col[i], down ? DRAW_TURN_RIGHT_FROM_ABOVE :
		    DRAW_TURN_RIGHT_FROM_BELOW, DRAW_ARROW);
		draw_arrow(to[i], col[i] + 1, x + w - col[i] - 1, DRAW_ARROW);
	}
	/* Last, the turns where arrows leave their exchange's row: a branch
	 * where another arrow from that row runs on past the turn. */
	for (size_t i = 0; i < lab->nqueues; i++) {
		int down = from[i] < to[i], on = 0;
		if (col[i] < 0)
			continue;
		for (size_t k = 0; k < lab->nqueues; k++)
			if (k != i && to[k] >= 0 && (col[k] < 0 ?
			    to[k] == from[i] : from[k] == from[i] &&
			    col[k] > col[i]))
				on = 1;
		draw_turn(from[i], col[i], on ? (down ? DRAW_TURN_DOWN_BRANCH :
		    DRAW_TURN_UP_BRANCH) : down ? DRAW_TURN_DOWN_FROM_LEFT :
		    DRAW_TURN_UP_FROM_LEFT, DRAW_ARROW);
	}
}

static void
wires_draw(struct pane *p, struct lab *lab)
{
	const struct pane *pr = &lab->panes[LAB_PRODUCER];
	const struct pane *ex = &lab->panes[LAB_EXCHANGE];
	const struct pane *qs = &lab->panes[LAB_QUEUES];
	const struct pane *co = &lab->panes[LAB_CONSUMER];
	int gx, gw, y, cq = -1;

	/* Producer to exchange: basic.publish on the wire. */
	gx = pr->x + pr->w;
	gw = ex->x - gx;
	draw_arrow(pr->y + 1, gx, gw, DRAW_ARROW);
	wires_stack(lab, pr->y + 2, gx, gw, pr->h - 3, PLACE_TO_EXCHANGE);

	/* Exchange to each queue box. */
	wires_queues(lab, ex->x + ex->w, qs->x - (ex->x + ex->w));

	/* The consumer's queue to the consumer: deliveries and the buffer. */
	if (lab->script->topo.nconsumers > 0)
		for (size_t i = 0; i < lab->nqueues; i++)
			if (strcmp(lab->queues[i].name,
			    lab->script->topo.consumers[0].queue) == 0)
				cq = (int)i;
	y = cq < 0 ? -1 : flow_queue_row(lab, (size_t)cq);
	if (y < 0)
		y = qs->y + 1;
	gx = qs->x + qs->w;
	gw = co->x - gx;
	draw_arrow(y, gx, gw, DRAW_ARROW);
	wires_stack(lab, y + 1, gx, gw, co->y + co->h - 1 - (y + 1),
	    PLACE_TO_CONSUMER);

	wires_legend(p, lab, p->y + p->h - 1);
}

const struct pane_ops flow_producer_ops = { "producer", producer_draw, NULL };
const struct pane_ops flow_exchange_ops = { "exchange", exchange_draw, NULL };
const struct pane_ops flow_queues_ops = { "queues", queues_draw, NULL };
const struct pane_ops flow_consumer_ops = { "consumer", consumer_draw, NULL };
const struct pane_ops flow_wires_ops = { "wires", wires_draw, NULL };
