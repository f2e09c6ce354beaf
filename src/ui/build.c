/*
 * The sandbox builder (build.h): a menu of single keys, then one form per
 * kind of object, each a few fields that are either a choice (Space or
 * Left/Right steps it) or typed text. Enter applies the form through the
 * script checker; Esc goes back to the menu, and from the menu closes.
 */
#include "ui/build.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lesson/script_write.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/pane.h"
#include "util/xmalloc.h"

enum build_form {
	BF_MENU,
	BF_EXCHANGE,
	BF_QUEUE,
	BF_BINDING,
	BF_CONSUMER,
	BF_PUBLISH,
	BF_REMOVE,
	BF_COUNT
};

#define BUILD_MAXF 8
#define BUILD_TEXT 64

/* A field: typed text when choices is NULL, else one of nchoices. */
struct build_field {
	const char *label;            /* N_ */
	const char *const *choices;   /* N_ where not an AMQP name */
	int nchoices;
};

static const char *const build_ex_types[] = { "direct", "fanout", "topic",
	"headers" };
/* Values -1 (follow the toggle), 1, 0. */
static const char *const build_durable[] = { N_("as the toggle"), N_("yes"),
	N_("no") };
/* Values -1 (follow the toggle), QTYPE_CLASSIC, QTYPE_LAZY, QTYPE_QUORUM. */
static const char *const build_q_types[] = { N_("as the toggle"), "classic",
	"lazy", "quorum" };
static const char *const build_overflow[] = { "drop-head", "reject-publish" };
static const char *const build_match[] = { "all", "any" };
/* The kinds build_remove takes, in this order. */
static const char *const build_kinds[] = { N_("exchange"), N_("queue"),
	N_("binding"), N_("consumer") };
static const char build_kind_keys[] = "xqbc";

#define CH(a) a, (int)(sizeof a / sizeof a[0])

static const struct {
	int key;                      /* the menu's key for it */
	const char *title;            /* N_ */
	int nf;
	struct build_field f[BUILD_MAXF];
} build_forms[BF_COUNT] = {
	[BF_MENU] = { 0, N_("Build the sandbox"), 0, { { NULL, NULL, 0 } } },
	[BF_EXCHANGE] = { 'e', N_("Add an exchange"), 3, {
	    { N_("name"), NULL, 0 },
	    { N_("type"), CH(build_ex_types) },
	    { N_("durable"), CH(build_durable) } } },
	[BF_QUEUE] = { 'q', N_("Add a queue"), 8, {
	    { N_("name"), NULL, 0 },
	    { N_("type"), CH(build_q_types) },
	    { N_("durable"), CH(build_durable) },
	    { N_("TTL ms (empty: none)"), NULL, 0 },
	    { N_("max length (empty: none)"), NULL, 0 },
	    { N_("when full"), CH(build_overflow) },
	    { N_("dead-letter exchange"), NULL, 0 },
	    { N_("dead-letter key"), NULL, 0 } } },
	[BF_BINDING] = { 'b', N_("Add a binding"), 5, {
	    { N_("exchange"), NULL, 0 },
	    { N_("queue"), NULL, 0 },
	    { N_("key (topic: * one word, # any)"), NULL, 0 },
	    { N_("headers: match"), CH(build_match) },
	    { N_("headers: k=v k=v"), NULL, 0 } } },
	[BF_CONSUMER] = { 'c', N_("Add a consumer"), 2, {
	    { N_("name"), NULL, 0 },
	    { N_("queue"), NULL, 0 } } },
	[BF_PUBLISH] = { 'p', N_("Where + publishes"), 2, {
	    { N_("exchange (empty: default)"), NULL, 0 },
	    { N_("routing key"), NULL, 0 } } },
	[BF_REMOVE] = { 'x', N_("Remove"), 3, {
	    { N_("what"), CH(build_kinds) },
	    { N_("name (binding: its exchange)"), NULL, 0 },
	    { N_("binding: its queue"), NULL, 0 } } },
};

#undef CH

struct build {
	enum build_form form;
	int field;
	char text[BUILD_MAXF][BUILD_TEXT];
	int choice[BUILD_MAXF];
	char msg[240];
	int bad;
};

/* ---- the edits ---------------------------------------------------------- */

void
build_add_queue(struct topology *t, const struct topo_queue *q)
{
	struct topo_queue *n;

	t->queues = xrealloc(t->queues, (t->nqueues + 1) * sizeof *t->queues);
	n = &t->queues[t->nqueues++];
	*n = *q;
	n->name = xstrdup(q->name);
	n->dlx = q->dlx ? xstrdup(q->dlx) : NULL;
	n->dlrk = q->dlrk ? xstrdup(q->dlrk) : NULL;
	n->line = 0;
}

void
build_add_binding(struct topology *t, const char *exchange,
    const char *queue, const char *key, int match_all, const char *args)
{
	struct topo_binding *b;
	char *copy = xstrdup(args ? args : ""), *save = NULL;

	b = topology_add_binding(t, exchange, queue, key);
	b->match_all = match_all;
	for (char *w = strtok_r(copy, " ,", &save); w;
	    w = strtok_r(NULL, " ,", &save)) {
		char *eq = strchr(w, '=');

		if (eq)
			*eq = '\0';
		topology_binding_arg(b, w, eq ? eq + 1 : "");
	}
	free(copy);
}

/* Drops bindings matching exchange `x` (NULL any) and queue `q` (NULL any);
 * returns how many. */
static size_t
build_drop_bindings(struct topology *t, const char *x, const char *q)
{
	size_t k = 0, dropped = 0;

	for (size_t i = 0; i < t->nbindings; i++) {
		struct topo_binding *b = &t->bindings[i];

		if ((x == NULL || strcmp(b->exchange, x) == 0) &&
		    (q == NULL || strcmp(b->queue, q) == 0)) {
			free(b->exchange);
			free(b->queue);
			free(b->key);
			for (size_t j = 0; j < b->nargs; j++) {
				free(b->args[j].key);
				free(b->args[j].value);
			}
			free(b->args);
			dropped++;
			continue;
		}
		t->bindings[k++] = *b;
	}
	t->nbindings = k;
	return dropped;
}

/* Drops consumers named `name` or (name NULL) on queue `q`; how many. */
static size_t
build_drop_consumers(struct topology *t, const char *name, const char *q)
{
	size_t k = 0, dropped = 0;

	for (size_t i = 0; i < t->nconsumers; i++) {
		struct topo_consumer *c = &t->consumers[i];

		if (name ? strcmp(c->name, name) == 0 :
		    strcmp(c->queue, q) == 0) {
			topology_consumer_clear(c);
			dropped++;
			continue;
		}
		t->consumers[k++] = *c;
	}
	t->nconsumers = k;
	return dropped;
}

int
build_remove(struct topology *t, int kind, const char *name,
    const char *queue)
{
	switch (kind) {
	case 'b':
		return build_drop_bindings(t, name, queue) ? 0 : -1;
	case 'c':
		return build_drop_consumers(t, name, NULL) ? 0 : -1;
	case 'x':
		for (size_t i = 0; i < t->nexchanges; i++)
			if (strcmp(t->exchanges[i].name, name) == 0) {
				build_drop_bindings(t, name, NULL);
				free(t->exchanges[i].name);
				memmove(&t->exchanges[i], &t->exchanges[i + 1],
				    (t->nexchanges - i - 1) *
				    sizeof *t->exchanges);
				t->nexchanges--;
				return 0;
			}
		return -1;
	case 'q':
		for (size_t i = 0; i < t->nqueues; i++)
			if (strcmp(t->queues[i].name, name) == 0) {
				build_drop_bindings(t, NULL, name);
				build_drop_consumers(t, NULL, name);
				free(t->queues[i].name);
				free(t->queues[i].dlx);
				free(t->queues[i].dlrk);
				memmove(&t->queues[i], &t->queues[i + 1],
				    (t->nqueues - i - 1) * sizeof *t->queues);
				t->nqueues--;
				return 0;
			}
		return -1;
	}
	return -1;
}

/*
 * The checker's messages a built topology can meet, as the script loader
 * words them (src/lesson/script_topo.c and script_setting.c); each %s
 * stands for any text, and the translation takes the same pieces in the
 * same order. The loader stays in English for teachers' files; the
 * builder's learner reads them in the lab's language.
 */
static const char *const build_checker_msgs[] = {
	N_("undeclared %s '%s' (did you mean '%s'?)"),
	N_("undeclared %s '%s'; the topology declares no %ss"),
	N_("undeclared %s '%s'; declared %ss: %s"),
	N_("'%s' cannot be \"\" (the default exchange) here; name a declared "
	   "exchange"),
	N_("%s name '%s' starts with 'amq.', which RabbitMQ reserves for "
	   "itself"),
	N_("duplicate %s name '%s' (first declared on line %s)"),
	N_("'delivery_limit' needs type = \"quorum\": only quorum queues count "
	   "deliveries"),
	N_("a quorum queue is always durable; remove durable = false"),
	N_("'%s' applies only to headers exchanges; '%s' is %s"),
	N_("'delayed_type' applies only to exchanges of type "
	   "x-delayed-message"),
};

#define BUILD_PIECES 4

/*
 * Whether msg matches fmt, where each "%s" matches any text (the shortest
 * that lets the rest match); the pieces go to piece[] as offsets and
 * lengths into msg. Returns the number of pieces, or -1.
 */
static int
build_match_msg(const char *fmt, const char *msg, const char *start,
    size_t off[BUILD_PIECES], size_t plen[BUILD_PIECES], int n)
{
	while (*fmt && strncmp(fmt, "%s", 2) != 0) {
		if (*fmt != *msg)
			return -1;
		fmt++;
		msg++;
	}
	if (*fmt == '\0')
		return *msg == '\0' ? n : -1;
	if (n == BUILD_PIECES)
		return -1;
	for (size_t k = 0; ; k++) {
		int r = build_match_msg(fmt + 2, msg + k, start, off, plen, n + 1);
		if (r >= 0) {
			off[n] = (size_t)(msg - start);
			plen[n] = k;
			return r;
		}
		if (msg[k] == '\0')
			return -1;
	}
}

/* Checker message `msg` in the lab's language into buf (as it is when it
 * is none of build_checker_msgs). A piece that names a kind of object
 * (queue, exchange, ...) is translated too. */
static void
build_checker_say(const char *msg, char *buf, size_t len)
{
	size_t off[BUILD_PIECES], plen[BUILD_PIECES], o = 0;
	const char *fmt = NULL;
	int n = -1;

	for (size_t i = 0; i < sizeof build_checker_msgs /
	    sizeof build_checker_msgs[0] && n < 0; i++)
		if ((n = build_match_msg(build_checker_msgs[i], msg, msg, off,
		    plen, 0)) >= 0)
			fmt = _(build_checker_msgs[i]);
	if (fmt == NULL) {
		snprintf(buf, len, "%s", msg);
		return;
	}
	for (int p = 0; *fmt && o + 1 < len; ) {
		char piece[BUILD_TEXT * 4];
		const char *put = piece;
		if (strncmp(fmt, "%s", 2) != 0 || p >= n) {
			buf[o++] = *fmt++;
			continue;
		}
		snprintf(piece, sizeof piece, "%.*s", (int)plen[p],
		    msg + off[p]);
		for (size_t k = 0; k < sizeof build_kinds /
		    sizeof build_kinds[0]; k++)
			if (strcmp(piece, build_kinds[k]) == 0)
				put = _(build_kinds[k]);
		o += (size_t)snprintf(buf + o, len - o, "%s", put);
		if (o >= len)
			o = len - 1;
		fmt += 2;
		p++;
	}
	buf[o] = '\0';
}

struct script *
build_check(const struct script *s, const struct topology *t,
    const int64_t v[TOGGLE_COUNT], char *why, size_t len)
{
	char *text = script_write_sandbox(s, t, v);
	struct script_diag diag = { NULL, 0, 0 };
	struct script *ns = script_load_string(text, "sandbox", &diag);

	free(text);
	if (ns == NULL) {
		const char *line = diag.count ? diag.lines[0] : "refused";
		const char *p = strstr(line, ": ");

		/* "sandbox:LINE: message": keep the message. */
		build_checker_say(p && strncmp(line, "sandbox:", 8) == 0 ?
		    p + 2 : line, why, len);
	}
	script_diag_free(&diag);
	return ns;
}

/* ---- the form ----------------------------------------------------------- */

static void
build_say(struct build *b, int bad, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
build_say(struct build *b, int bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->msg, sizeof b->msg, fmt, ap);
	va_end(ap);
	b->bad = bad;
}

/* Opens form `f` with its fields filled in from the lab's topology. */
static void
build_start(struct build *b, const struct topology *t, enum build_form f)
{
	b->form = f;
	b->field = 0;
	memset(b->text, 0, sizeof b->text);
	memset(b->choice, 0, sizeof b->choice);
	switch (f) {
	case BF_EXCHANGE:
		snprintf(b->text[0], BUILD_TEXT, "x%zu", t->nexchanges + 1);
		break;
	case BF_QUEUE:
		snprintf(b->text[0], BUILD_TEXT, "q%zu", t->nqueues + 1);
		break;
	case BF_BINDING:
		if (t->nexchanges)
			snprintf(b->text[0], BUILD_TEXT, "%s",
			    t->exchanges[t->nexchanges - 1].name);
		if (t->nqueues)
			snprintf(b->text[1], BUILD_TEXT, "%s",
			    t->queues[t->nqueues - 1].name);
		break;
	case BF_CONSUMER:
		snprintf(b->text[0], BUILD_TEXT, "c%zu", t->nconsumers + 1);
		if (t->nqueues)
			snprintf(b->text[1], BUILD_TEXT, "%s",
			    t->queues[t->nqueues - 1].name);
		break;
	case BF_PUBLISH:
		snprintf(b->text[0], BUILD_TEXT, "%s",
		    t->publish_exchange ? t->publish_exchange : "");
		snprintf(b->text[1], BUILD_TEXT, "%s",
		    t->publish_key ? t->publish_key : "");
		break;
	default:
		break;
	}
}

int
build_cmd_open(struct lab *lab, int key)
{
	(void)key;
	if (lab->mode != SESSION_SANDBOX) {
		lab_status(lab, 1, "%s", _("Building is for the sandbox: open a "
		    "lesson with --sandbox."));
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (lab->build == NULL)
		lab->build = xcalloc(1, sizeof *lab->build);
	build_start(lab->build, &lab->script->topo, BF_MENU);
	lab->build->msg[0] = '\0';
	lab->overlay = LAB_OV_NONE;
	return PANE_HANDLED | PANE_REDRAW;
}

void
build_free(struct build *b)
{
	free(b);
}

/* A typed whole number into *out (-1 when empty); -1 if not one. */
static int
build_number(const char *s, int64_t *out)
{
	char *end;
	long long n;

	if (*s == '\0') {
		*out = -1;
		return 0;
	}
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end || n < 0)
		return -1;
	*out = n;
	return 0;
}

/* The form's queue, its strings borrowed from the form; -1 if a number
 * is not one. */
static int
build_form_queue(struct build *b, struct topo_queue *q)
{
	static const int types[] = { -1, QTYPE_CLASSIC, QTYPE_LAZY,
		QTYPE_QUORUM };
	static const int durable[] = { -1, 1, 0 };

	topology_queue_init(q);
	q->name = b->text[0];
	q->type = types[b->choice[1]];
	q->durable = durable[b->choice[2]];
	if (build_number(b->text[3], &q->ttl_ms) ||
	    build_number(b->text[4], &q->max_length))
		return -1;
	q->overflow = b->choice[5] ? OVERFLOW_REJECT_PUBLISH :
	    OVERFLOW_DROP_HEAD;
	q->dlx = b->text[6][0] ? b->text[6] : NULL;
	q->dlrk = b->text[7][0] ? b->text[7] : NULL;
	return 0;
}

/* Applies the form to `t`: 0, or -1 with the form's message set. */
static int
build_form_edit(struct build *b, struct topology *t)
{
	static const int durable[] = { -1, 1, 0 };
	struct topo_queue q;

	switch (b->form) {
	case BF_EXCHANGE:
		topology_add_exchange(t, b->text[0],
		    (enum exchange_type)b->choice[1], durable[b->choice[2]]);
		return 0;
	case BF_QUEUE:
		if (build_form_queue(b, &q) < 0) {
			build_say(b, 1, "%s", _("TTL and max length are whole "
			    "numbers, or empty for none."));
			return -1;
		}
		build_add_queue(t, &q);
		return 0;
	case BF_BINDING:
		build_add_binding(t, b->text[0], b->text[1], b->text[2],
		    b->choice[3] == 0, b->text[4]);
		return 0;
	case BF_CONSUMER:
		topology_add_consumer(t, b->text[0], b->text[1]);
		return 0;
	case BF_PUBLISH:
		free(t->publish_exchange);
		free(t->publish_key);
		t->publish_exchange = xstrdup(b->text[0]);
		t->publish_key = xstrdup(b->text[1]);
		return 0;
	case BF_REMOVE:
		if (build_remove(t, build_kind_keys[b->choice[0]], b->text[1],
		    b->text[2]) < 0) {
			build_say(b, 1, _("There is no %s called %s."),
			    _(build_kinds[b->choice[0]]), b->text[1]);
			return -1;
		}
		return 0;
	default:
		return -1;
	}
}

/* Enter: the edit, checked, becomes the sandbox. */
static void
build_apply(struct lab *lab)
{
	struct build *b = lab->build;
	struct topology *t = topology_copy(&lab->script->topo);
	int64_t v[TOGGLE_COUNT];
	struct script *s;
	char why[200], *cause = NULL;
	const char *title = _(build_forms[b->form].title);

	if (build_form_edit(b, t) < 0) {
		topology_free(t);
		return;
	}
	lab_toggles_get(lab, v);
	s = build_check(lab->script, t, v, why, sizeof why);
	topology_free(t);
	if (s == NULL) {
		build_say(b, 1, _("Not built: %s"), why);
		return;
	}
	if (lab_rebuild(lab, s, &cause) < 0) {
		build_say(b, 1, _("Not built: %s"), cause ? cause : "");
		free(cause);
		return;
	}
	build_start(b, &lab->script->topo, BF_MENU);
	build_say(b, 0, _("Done: %s"), title);
}

/* A key in an open form (not the menu). */
static void
build_form_key(struct lab *lab, int key)
{
	struct build *b = lab->build;
	const struct build_field *f = &build_forms[b->form].f[b->field];
	int nf = build_forms[b->form].nf;
	size_t n = strlen(b->text[b->field]);

	b->msg[0] = '\0';
	if (key == '\t' || key == KEY_DOWN) {
		b->field = (b->field + 1) % nf;
	} else if (key == KEY_BTAB || key == KEY_UP) {
		b->field = (b->field + nf - 1) % nf;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		build_apply(lab);
	} else if (f->choices) {
		if (key == ' ' || key == KEY_RIGHT)
			b->choice[b->field] = (b->choice[b->field] + 1) %
			    f->nchoices;
		else if (key == KEY_LEFT)
			b->choice[b->field] = (b->choice[b->field] +
			    f->nchoices - 1) % f->nchoices;
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		if (n)
			b->text[b->field][n - 1] = '\0';
	} else if (key >= 0x20 && key < 0x7f && n + 1 < BUILD_TEXT) {
		b->text[b->field][n] = (char)key;
		b->text[b->field][n + 1] = '\0';
	}
}

int
build_key(struct lab *lab, int key)
{
	struct build *b = lab->build;

	if (key == 27) {
		if (b->form == BF_MENU) {
			build_free(b);
			lab->build = NULL;
		} else {
			build_start(b, &lab->script->topo, BF_MENU);
			b->msg[0] = '\0';
		}
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (b->form != BF_MENU) {
		build_form_key(lab, key);
		return PANE_HANDLED | PANE_REDRAW;
	}
	for (int f = BF_MENU + 1; f < BF_COUNT; f++)
		if (build_forms[f].key == key) {
			build_start(b, &lab->script->topo, (enum build_form)f);
			b->msg[0] = '\0';
			return PANE_HANDLED | PANE_REDRAW;
		}
	/* W writes from the menu too; + and * publish through what was
	 * built without leaving it. */
	if (key == 'W')
		return build_cmd_write(lab, key);
	if (key == '+' || key == '*')
		return 0; /* the lab's own publish */
	return PANE_HANDLED;
}

/* ---- drawing -------------------------------------------------------------- */

/* "a, b, c": the names of n objects of `size` bytes at `base`, each
 * starting with its name (as exchanges, queues and consumers do). */
static void
build_names(char *buf, size_t len, size_t n, const void *base, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used + 1 < len; i++) {
		const char *name = *(char *const *)(const void *)
		    ((const char *)base + i * size);
		int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
		    name);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (used >= len)
		used = len - 1;
	buf[used] = '\0';
}

/* The menu's lines: its keys and what the sandbox holds now. */
static void
build_draw_menu(struct lab *lab, int y, int x, int w)
{
	const struct topology *t = &lab->script->topo;
	char names[512];

	draw_printf(y++, x, w, DRAW_KEY, "e %s   q %s   b %s   c %s",
	    _("exchange"), _("queue"), _("binding"), _("consumer"));
	draw_printf(y++, x, w, DRAW_KEY, "p %s   x %s   W %s   + %s   Esc %s",
	    _("publish to"), _("remove"), _("write script"), _("publish"),
	    _("close"));
	build_names(names, sizeof names, t->nexchanges, t->exchanges,
	    sizeof *t->exchanges);
	draw_printf(y++, x, w, DRAW_OVERLAY, _("Exchanges: %s"), names);
	build_names(names, sizeof names, t->nqueues, t->queues,
	    sizeof *t->queues);
	draw_printf(y++, x, w, DRAW_OVERLAY, _("Queues: %s"), names);
	build_names(names, sizeof names, t->nconsumers, t->consumers,
	    sizeof *t->consumers);
	draw_printf(y++, x, w, DRAW_OVERLAY, _("Consumers: %s"), names);
	draw_printf(y++, x, w, DRAW_OVERLAY, _("Bindings: %zu   + -> %s / %s"),
	    t->nbindings,
	    t->publish_exchange && *t->publish_exchange ? t->publish_exchange :
	    _("(default exchange)"), t->publish_key ? t->publish_key : "");
}

void
build_draw(struct lab *lab)
{
	struct build *b = lab->build;
	int nf = build_forms[b->form].nf;
	int rows = b->form == BF_MENU ? 6 : nf;
	int h = rows + (b->form == BF_MENU ? 3 : 4), w = COLS, x0 = 0, y0 = LINES - 1 - h;
	int x = x0 + 2, iw = w - 4, y;

	if (y0 < 0)
		y0 = 0;
	y = y0 + 1;
	for (int r = y0; r < y0 + h; r++)
		draw_blank(r, x0, w, DRAW_OVERLAY);
	draw_box(y0, x0, h, w, _(build_forms[b->form].title), DRAW_BORDER);
	if (b->form == BF_MENU) {
		build_draw_menu(lab, y, x, iw);
	} else {
		for (int i = 0; i < nf; i++) {
			const struct build_field *f = &build_forms[b->form].f[i];
			int cur = i == b->field;
			draw_printf(y + i, x, 32, cur ? DRAW_SELECTED :
			    DRAW_OVERLAY, "%s %s", cur ? ">" : " ", _(f->label));
			if (f->choices)
				draw_printf(y + i, x + 33, iw - 33, DRAW_VALUE,
				    "< %s >", _(f->choices[b->choice[i]]));
			else
				draw_printf(y + i, x + 33, iw - 33, DRAW_VALUE,
				    "%s%s", b->text[i], cur ? "_" : "");
		}
		draw_text(y0 + h - 3, x, iw, _("Tab/Up/Down: field  Space or "
		    "Left/Right: choice  Enter: build  Esc: back"), DRAW_DIM);
	}
	if (b->msg[0])
		draw_text(y0 + h - 2, x, iw, b->msg,
		    b->bad ? DRAW_STATUS_BAD : DRAW_GOOD);
}

/* ---- writing ---------------------------------------------------------------- */

int
build_cmd_write(struct lab *lab, int key)
{
	int64_t v[TOGGLE_COUNT];
	char *text, path[128];
	const char *id = lab->script->id ? lab->script->id : "sandbox";
	size_t n = strlen(id);
	int fd = -1, err;
	FILE *f;

	(void)key;
	if (lab->mode != SESSION_SANDBOX) {
		lab_status(lab, 1, "%s", _("W writes the sandbox as a lesson "
		    "script: open a lesson with --sandbox."));
		return PANE_HANDLED | PANE_REDRAW;
	}
	if (n >= 8 && strcmp(id + n - 8, "-sandbox") == 0)
		n -= 8;
	/* A new file in the current directory: never overwrite one. */
	for (int i = 1; i < 100 && fd < 0; i++) {
		if (i == 1)
			snprintf(path, sizeof path, "%.*s-sandbox.cfg", (int)n, id);
		else
			snprintf(path, sizeof path, "%.*s-sandbox-%d.cfg", (int)n,
			    id, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	lab_toggles_get(lab, v);
	text = script_write_sandbox(lab->script, &lab->script->topo, v);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		err = errno;
		if (fd >= 0)
			close(fd);
	} else {
		/* Closed whatever happens; the first error is the one told. */
		int bad = fputs(text, f) == EOF;
		err = errno;
		if (fclose(f) != 0 && !bad) {
			bad = 1;
			err = errno;
		}
		if (!bad)
			err = 0;
	}
	if (err != 0) {
		lab_status(lab, 1, "%s %s: %s", _("Not written:"), path,
		    strerror(err));
		if (fd >= 0)
			unlink(path); /* no half-written script left behind */
	} else {
		lab_status(lab, 0, _("Written: %s (check it with: rabbitlab "
		    "check %s)"), path, path);
		if (lab->build)
			build_say(lab->build, 0, _("Written: %s (check it with: "
			    "rabbitlab check %s)"), path, path);
	}
	free(text);
	return PANE_HANDLED | PANE_REDRAW;
}
