/*
 * The event log pane. Lines come from the session's log (the transcript
 * without its time column); the pane adds the time, colours each line by
 * what kind of frame it is (one table), squeezes the transcript's padding
 * so narrow panes still show the frame and its detail, marks the lines
 * of the selected message, and puts the transcript's English (which is
 * tooling output) into the screen's language: conditions, loss reasons and
 * details are translated, AMQP frames and script names stay as they are.
 */
#include "ui/evlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "ui/words.h"

/* Frames worth a colour; the rest are plain. */
static const enum draw_role evlog_roles[EV_COUNT] = {
	[EV_CONNECT_FAIL] = DRAW_BAD,
	[EV_CONN_LOST] = DRAW_BAD,
	[EV_CONN_CLOSE] = DRAW_WARN,
	[EV_CHANNEL_CLOSE] = DRAW_BAD,
	[EV_PUBLISH_FAILED] = DRAW_BAD,
	[EV_RETURN] = DRAW_WARN,
	[EV_REJECT_PUBLISH] = DRAW_WARN,
	[EV_DROP_HEAD] = DRAW_BAD,
	[EV_CONFIRM_ACK] = DRAW_GOOD,
	[EV_CONFIRM_NACK] = DRAW_WARN,
	[EV_CONFIRM_LOST] = DRAW_BAD,
	[EV_WORK_DONE] = DRAW_GOOD,
	[EV_DUP_SKIP] = DRAW_WARN,
	[EV_EXCEPTION] = DRAW_WARN,
	[EV_ACK] = DRAW_GOOD,
	[EV_NACK] = DRAW_WARN,
	[EV_REJECT] = DRAW_WARN,
	[EV_REQUEUE] = DRAW_WARN,
	[EV_EXPIRE] = DRAW_WARN,
	[EV_DEAD_LETTER] = DRAW_TK_DEAD,
	[EV_REPUBLISH] = DRAW_TK_DEAD,
	[EV_CONSUMER_CRASH] = DRAW_BAD,
	[EV_CRASH] = DRAW_BAD,
	[EV_STOP] = DRAW_WARN,
	[EV_START] = DRAW_GOOD,
	[EV_QUEUE_DELETED] = DRAW_BAD,
	[EV_EXCHANGE_DELETED] = DRAW_BAD,
	[EV_EXCHANGE_REDECLARED] = DRAW_GOOD,
	[EV_RECONCILE] = DRAW_GOOD,
	[EV_TOGGLE] = DRAW_KEY,
	[EV_FAILURE] = DRAW_BAD,
	[EV_BLOCKED] = DRAW_WARN,
	[EV_UNBLOCKED] = DRAW_GOOD,
	[EV_LOST] = DRAW_TK_LOST,
};

/* One letter per actor for narrow panes. */
static const char evlog_actor_letter[ACTOR_COUNT] = {
	[ACTOR_LAB] = 'L', [ACTOR_PRODUCER] = 'P', [ACTOR_EXCHANGE] = 'X',
	[ACTOR_QUEUE] = 'Q', [ACTOR_CONSUMER] = 'C', [ACTOR_BROKER] = 'B',
	[ACTOR_NETWORK] = 'N', [ACTOR_RECONCILER] = 'R',
};

/* The transcript text without the actor column and with runs of spaces
 * squeezed to one. */
static void
evlog_squeeze(const struct session_logline *ln, char *out, size_t len)
{
	const char *s = ln->text, *actor = event_actor_name(ln->actor);
	size_t o = 0, al = strlen(actor);

	while (*s == ' ')
		s++;
	if (strncmp(s, actor, al) == 0 && (s[al] == ' ' || s[al] == '\0'))
		s += al;
	while (*s == ' ')
		s++;
	for (; *s && o + 1 < len; s++) {
		if (*s == ' ' && (o == 0 || out[o - 1] == ' '))
			continue;
		out[o++] = *s;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Log line i as the pane shows it: translated, squeezed. */
static void
evlog_text(struct lab *lab, size_t i, char *shown, size_t len)
{
	const struct session_logline *ln = session_log_at(lab->ss, i);
	char text[sizeof ln->text];

	char *at;

	evlog_squeeze(ln, text, sizeof text);
	words_event_text(ln->kind, text, shown, len);
	/* "x-death count=1" is one AMQP term: a wrapped line must not part
	 * it, so its space becomes a no-break space (U+00A0). */
	at = strstr(shown, "x-death count");
	if (at && strlen(shown) + 2 < len) {
		memmove(at + 9, at + 8, strlen(at + 8) + 1);
		at[7] = '\xc2';
		at[8] = '\xa0';
	}
}

/*
 * Column where a line's text starts, relative to the pane: a wide pane
 * has the time in milliseconds with a tenth and the actor's name; a narrow
 * one (80x24) whole milliseconds and the actor's letter, and its lines
 * wrap under their text instead of being cut.
 */
static int
evlog_text_col(int wide)
{
	return wide ? 1 + 8 + 1 + 10 : 1 + 6 + 1 + 2;
}

/* Rows log line i takes in pane p. */
static int
evlog_rows(struct lab *lab, const struct pane *p, size_t i, int wide)
{
	char shown[2 * sizeof ((struct session_logline *)0)->text];
	int w = p->w - evlog_text_col(wide);

	if (wide || w < 8)
		return 1;
	evlog_text(lab, i, shown, sizeof shown);
	return text_wrap_lines(shown, w);
}

/*
 * Draws log line i from row y in at most `rows` rows, leaving out its first
 * `skip` wrapped rows: the oldest line shown may only partly fit, and then
 * its time column says it goes on from above (DRAW_ELIDE). Returns rows
 * used.
 */
static int
evlog_line(struct pane *p, struct lab *lab, size_t i, int y, int rows,
    int skip, int wide)
{
	const struct session_logline *ln = session_log_at(lab->ss, i);
	char shown[2 * sizeof ln->text], tm[24];
	enum draw_role role = evlog_roles[ln->kind];
	int mine = lab->selected && ln->msg == lab->selected;
	int x = p->x + 1, col = p->x + evlog_text_col(wide);

	/* Milliseconds, as in the transcript and the timelines; whole ones
	 * cut, not rounded, as the header's clock counts them. */
	if (wide)
		snprintf(tm, sizeof tm, "%8.1f", (double)ln->t / 1e3);
	else
		snprintf(tm, sizeof tm, "%6" PRId64, ln->t / 1000);
	if (skip > 0)
		draw_printf(y, x, col - x, DRAW_DIM, "%6s", DRAW_ELIDE);
	else if (wide) {
		draw_text(y, x, col - x, tm, mine ? DRAW_SELECTED : DRAW_DIM);
		const char *who = words_actor(ln->actor);
		/* "consumer  consumer crashed" says its actor twice. */
		evlog_text(lab, i, shown, sizeof shown);
		if (!text_names_actor(shown, who))
			draw_text(y, x + 9, 9, who, DRAW_DIM);
	} else {
		draw_text(y, x, col - x, tm, mine ? DRAW_SELECTED : DRAW_DIM);
		char a[2] = { evlog_actor_letter[ln->actor], '\0' };
		draw_text(y, x + 7, 1, a, DRAW_HEAD);
	}
	evlog_text(lab, i, shown, sizeof shown);
	role = role == DRAW_NORMAL && mine ? DRAW_VALUE : role;
	if (wide) {
		draw_text(y, col, p->x + p->w - col, shown, role);
		return 1;
	}
	return draw_wrap(y, col, p->x + p->w - col, rows, skip, shown, role);
}

static void
evlog_draw(struct pane *p, struct lab *lab)
{
	size_t n = session_log(lab->ss, NULL);
	int rows = p->h - 1, wide = p->w >= 70, used = 0, skip = 0;
	unsigned step = (unsigned)session_lesson(lab->ss)->step + 1;
	size_t first, end;

	if (p->h <= 1)
		return;
	/* A new step shows the newest lines again: it asks about them (the
	 * sixth review's "(-12)" stayed into the next steps). */
	if (p->sig != step) {
		p->sig = step;
		p->scroll = 0;
	}
	draw_hline(p->y, p->x, p->w, DRAW_BORDER);
	if (p->scroll > 0)
		draw_printf(p->y, p->x + 2, p->w - 4, DRAW_HEAD,
		    " %s (-%d) ", _("Event log (ms)"), p->scroll);
	else
		draw_printf(p->y, p->x + 2, p->w - 4, DRAW_HEAD, " %s ",
		    _("Event log (ms)"));
	if (n == 0) {
		draw_wrap(p->y + 1, p->x + 1, p->w - 1, p->h - 1, 0,
		    lab->mode == SESSION_SANDBOX ?
		    _("No frames yet: press + to publish.") :
		    _("No frames yet."), DRAW_DIM);
		return;
	}
	if ((size_t)p->scroll > n - 1)
		p->scroll = (int)(n - 1);
	/* The newest lines that fit, counting the rows each wraps to. The
	 * oldest may show only its tail, marked as going on from above
	 * (reviews six and seven read an unmarked tail as a line of its own;
	 * blank rows instead hid what came before); a line taller than the
	 * pane shows its head. */
	end = n - (size_t)p->scroll;
	first = end;
	while (first > 0 && used < rows) {
		int need = evlog_rows(lab, p, first - 1, wide);
		if (used + need > rows && first != end)
			skip = need - (rows - used);
		used += need - skip;
		first--;
	}
	for (int y = p->y + 1; first < end && y < p->y + p->h; first++) {
		y += evlog_line(p, lab, first, y, p->y + p->h - y, skip, wide);
		skip = 0;
	}
}

static int
evlog_key(struct pane *p, struct lab *lab, int key)
{
	size_t n = session_log(lab->ss, NULL);
	int page = p->h > 2 ? p->h - 2 : 1;

	(void)lab;
	switch (key) {
	case KEY_UP:
		if ((size_t)p->scroll + 1 < n)
			p->scroll++;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_PPAGE:
		p->scroll += page;
		if ((size_t)p->scroll >= n)
			p->scroll = n ? (int)n - 1 : 0;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_DOWN:
		if (p->scroll > 0)
			p->scroll--;
		return PANE_HANDLED | PANE_REDRAW;
	case KEY_END:
		p->scroll = 0;
		return PANE_HANDLED | PANE_REDRAW;
	default:
		return 0;
	}
}

const struct pane_ops evlog_ops = { "log", evlog_draw, evlog_key };
