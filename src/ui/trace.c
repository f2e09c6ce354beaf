/*
 * The message overlay: the selected message's fate from the ledger (in the
 * learner's language), each copy's fate when it had several, and every
 * frame that concerned it, in order, from the session's history. Left and
 * right move to the neighbouring message, so a learner can walk a burst
 * message by message.
 */
#include "ui/trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/text.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/words.h"

static enum draw_role
trace_fate_role(enum ledger_fate f)
{
	switch (f) {
	case FATE_PROCESSED:
		return DRAW_GOOD;
	case FATE_DUPLICATED:
	case FATE_LOST:
		return DRAW_BAD;
	case FATE_DEAD:
		return DRAW_TK_DEAD;
	default:
		return DRAW_WARN;
	}
}

/* What the producer heard of a loss, as a whole sentence. */
static const char *
trace_told(enum loss_notice n)
{
	switch (n) {
	case NOTICE_SILENT:
		return _("The producer was told nothing.");
	case NOTICE_NACK:
		return _("The producer got a basic.nack.");
	case NOTICE_RETURN:
		return _("The producer got a basic.return.");
	case NOTICE_ERROR:
		return _("The producer got an exception.");
	default:
		return "?";
	}
}

/* Draws the fate block; returns the lines used. */
static int
trace_fate(struct lab *lab, const struct ledger_entry *e, int y, int x, int w,
    int rows)
{
	enum ledger_fate f = ledger_fate(e);
	char line[512];
	int used = 0;
	size_t o;
	static const struct {
		size_t bit;
		const char *name;
	} flags[] = {
		{ 0, N_("confirmed") }, { 1, N_("nacked") },
		{ 2, N_("returned") }, { 3, N_("parked in a dead-letter queue") },
		{ 4, N_("payment marked done") }, { 5, N_("order shows paid") },
		{ 6, N_("repaired by reconciliation") },
	};
	int set[7] = { e->confirmed, e->nacked, e->returned, e->dead, e->paid,
		e->order_paid, e->repaired };

	(void)lab;
	if (used < rows) {
		snprintf(line, sizeof line, _("Fate: %s"),
		    _(ledger_fate_text(f)));
		used += draw_wrap(y + used, x, w, rows - used, 0, line,
		    trace_fate_role(f));
	}
	if (f == FATE_LOST && used < rows) {
		snprintf(line, sizeof line, _("Lost at %s: %s. %s"),
		    words_hop(e->reason), words_reason_text(e->reason),
		    trace_told(e->notice));
		used += draw_wrap(y + used, x, w, rows - used, 0, line,
		    DRAW_BAD);
	}
	if (used < rows) {
		snprintf(line, sizeof line, _("Deliveries %u, business effects "
		    "%u."), (unsigned)e->deliveries, (unsigned)e->effects);
		used += draw_wrap(y + used, x, w, rows - used, 0, line,
		    DRAW_NORMAL);
	}
	o = 0;
	line[0] = '\0';
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (set[flags[i].bit])
			o += (size_t)snprintf(line + o, sizeof line - o, "%s%s",
			    o ? _(", ") : "", _(flags[i].name));
	if (o && used < rows)
		used += draw_wrap(y + used, x, w, rows - used, 0, line,
		    DRAW_DIM);
	return used;
}

static enum draw_role
trace_copy_role(enum ledger_place at)
{
	switch (ledger_place_fate(at)) {
	case COPY_PROCESSED:
		return DRAW_GOOD;
	case COPY_DEAD:
		return DRAW_TK_DEAD;
	case COPY_DISCARDED:
		return DRAW_WARN;
	case COPY_LOST:
		return DRAW_BAD;
	default:
		return DRAW_NORMAL;
	}
}

/*
 * Draws each copy's fate when the message had several (a fanout, several
 * bindings, dead-lettering or republishing into several queues, a resend);
 * returns the lines used.
 */
static int
trace_copies(struct lab *lab, int y, int x, int w, int rows)
{
	struct ledger_story st;
	size_t n, i = 0;
	char line[512];
	int used = 0;

	session_story(lab->ss, lab->selected, &st);
	n = ledger_story_count(&st);
	if (n > 1 && used < rows) {
		snprintf(line, sizeof line, _("Copies: %u"), (unsigned)n);
		used += draw_wrap(y + used, x, w, rows - used, 0, line,
		    DRAW_HEAD);
	}
	for (size_t k = 0; n > 1 && k < st.ncopies && used < rows; k++) {
		const struct ledger_copy *c = &st.copy[k];
		const char *fmt, *arg, *why;
		int o;

		if (c->at == LEDGER_AT_GONE)
			continue;
		fmt = ledger_copy_describe(c, &arg, &why);
		o = snprintf(line, sizeof line, "%u. ", (unsigned)++i);
		/* fmt is one of ledger_copy_describe's: at most one %s. */
		o += snprintf(line + o, sizeof line - (size_t)o, _(fmt), arg);
		if (why && o < (int)sizeof line)
			snprintf(line + o, sizeof line - (size_t)o, "%s%s",
			    _(": "), _(why));
		used += draw_wrap(y + used, x + 2, w - 2, rows - used, 0, line,
		    trace_copy_role(c->at));
	}
	ledger_story_free(&st);
	return used;
}

/* A transcript line with its column padding squeezed to single spaces. */
static void
trace_squeeze(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	while (len > 0 && *s == ' ') {
		s++;
		len--;
	}
	for (size_t i = 0; i < len && o + 1 < outlen; i++) {
		if (s[i] == ' ' && o > 0 && out[o - 1] == ' ')
			continue;
		out[o++] = s[i];
	}
	out[o] = '\0';
}

static void
trace_draw(struct pane *p, struct lab *lab)
{
	const struct ledger_entry *e =
	    ledger_entry(session_ledger(lab->ss), lab->selected);
	char title[96], *tl, text[640], shown[1280];
	int x = p->x + 2, w = p->w - 4, y = p->y + 1;
	int end = p->y + p->h - 1, line = 0;

	for (int r = p->y; r < p->y + p->h; r++)
		draw_blank(r, p->x, p->w, DRAW_OVERLAY);
	snprintf(title, sizeof title, _(" Message #%u (Esc closes, Left/Right: "
	    "other messages) "), (unsigned)lab->selected);
	draw_box(p->y, p->x, p->h, p->w, title, DRAW_BORDER);
	if (e == NULL) {
		draw_text(y, x, w, _("The ledger has not seen this message."),
		    DRAW_WARN);
		return;
	}
	y += trace_fate(lab, e, y, x, w, end - y);
	if (y < end)
		y += trace_copies(lab, y, x, w, end - y);
	if (y >= end)
		return;
	draw_printf(y++, x, w, DRAW_HEAD, "%s", _("Timeline (ms):"));
	tl = session_timeline(lab->ss, lab->selected);
	if (p->scroll < 0)
		p->scroll = 0;
	for (char *s = tl, *nl; s && *s && y < end; s = nl ? nl + 1 : NULL) {
		nl = strchr(s, '\n');
		if (strncmp(s, "fate:", 5) == 0)
			break;
		if (line++ < p->scroll)
			continue;
		trace_squeeze(s, nl ? (size_t)(nl - s) : strlen(s), text,
		    sizeof text);
		words_transcript(text, shown, sizeof shown);
		/* After translation, which reads the actor column. */
		text_undouble(shown);
		/* A long line wraps under itself rather than being cut. */
		y += draw_wrap(y, x, w, end - y, 0, shown, DRAW_NORMAL);
	}
	free(tl);
}

/* The id of the next (dir 1) or previous (-1) message after `from`. */
static uint32_t
trace_neighbour(struct lab *lab, int dir)
{
	uint32_t max = ledger_max_id(session_ledger(lab->ss));
	int64_t id = (int64_t)lab->selected + dir;

	if (max == 0)
		return 0;
	if (id < 1)
		id = max;
	if (id > (int64_t)max)
		id = 1;
	return (uint32_t)id;
}

static int
trace_key(struct pane *p, struct lab *lab, int key)
{
	switch (key) {
	case KEY_UP:
		if (p->scroll > 0)
			p->scroll--;
		break;
	case KEY_DOWN:
		p->scroll++;
		break;
	case KEY_PPAGE:
		p->scroll = p->scroll > 10 ? p->scroll - 10 : 0;
		break;
	case KEY_NPAGE:
		p->scroll += 10;
		break;
	case KEY_LEFT:
	case KEY_BTAB:
		lab->selected = trace_neighbour(lab, -1);
		p->scroll = 0;
		break;
	case KEY_RIGHT:
	case '\t':
		lab->selected = trace_neighbour(lab, 1);
		p->scroll = 0;
		break;
	case 27:
	case 'q':
	case '\n':
	case KEY_ENTER:
		lab->overlay = LAB_OV_NONE;
		break;
	default:
		return 0;
	}
	return PANE_HANDLED | PANE_REDRAW;
}

const struct pane_ops trace_ops = { "message", trace_draw, trace_key };
