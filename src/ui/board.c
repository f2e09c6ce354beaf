/*
 * The ledger scoreboard. One table names the counters shown, in the order
 * a message lives its life (published, confirmed, ... lost), with the
 * colour a non-zero value takes; the pane lays them out in as many columns
 * as the width allows. Once any message had several copies (a fanout,
 * dead-lettering into several queues), a line under them says what became
 * of the copies.
 */
#include "ui/board.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/text.h"
#include "ui/words.h"

/* ledger counter, label, role when non-zero */
#define BOARD_COUNTERS(X)                                                      \
	X("published", N_("published"), DRAW_VALUE)                            \
	X("confirmed", N_("confirmed"), DRAW_GOOD)                             \
	X("returned", N_("returned"), DRAW_WARN)                               \
	X("nacked", N_("nacked"), DRAW_WARN)                                   \
	X("processed", N_("processed"), DRAW_GOOD)                             \
	X("duplicated", N_("duplicated"), DRAW_BAD)                            \
	X("dead_lettered", N_("dead-lettered"), DRAW_WARN)                     \
	X("lost_silent", N_("lost silently"), DRAW_BAD)                        \
	X("lost_notified", N_("lost, told"), DRAW_WARN)                        \
	X("inconsistent", N_("inconsistent"), DRAW_BAD)

static const struct {
	const char *counter;
	const char *label;
	enum draw_role role;
} board_counters[] = {
#define BOARD_ROW(counter, label, role) { counter, label, role },
	BOARD_COUNTERS(BOARD_ROW)
#undef BOARD_ROW
};

#define BOARD_N (int)(sizeof board_counters / sizeof board_counters[0])
#define BOARD_CELL 16 /* columns per counter */

static int
board_columns(int w)
{
	int cols = w / BOARD_CELL;

	if (cols < 1)
		cols = 1;
	return cols > BOARD_N ? BOARD_N : cols;
}

int
board_rows(const struct lab *lab, int w, int titled, int roomy)
{
	int cols = board_columns(w);

	/* The copies line only where it costs the lesson no line. */
	return (BOARD_N + cols - 1) / cols + (titled ? 1 : 0) +
	    (roomy && lab->sum.multi_copy ? 1 : 0);
}

static enum draw_role
board_copy_role(enum ledger_copy_fate f)
{
	switch (f) {
	case COPY_PROCESSED:
		return DRAW_GOOD;
	case COPY_DEAD:
	case COPY_DISCARDED:
		return DRAW_WARN;
	case COPY_LOST:
		return DRAW_BAD;
	default:
		return DRAW_VALUE;
	}
}

/*
 * "Copies 300: processed 100, dead-lettered 100, discarded 100": what became
 * of the copies, on the line under the counters, once any message had more
 * than one.
 */
static void
board_copies(int y, int x, int w, const struct ledger_summary *s)
{
	char num[48];
	const char *sep = "";
	int end = x + w;

	char line[96];

	snprintf(num, sizeof num, "%" PRIu64, s->copies);
	snprintf(line, sizeof line, _("Copies %s: "), num);
	x += draw_text(y, x, end - x, line, DRAW_NORMAL);
	for (int f = 0; f < COPY_FATE_COUNT && x < end; f++) {
		if (s->copy[f] == 0)
			continue;
		snprintf(num, sizeof num, " %" PRIu64, s->copy[f]);
		/* A part that does not fit whole is left out, not cut. */
		if (x + text_width(sep) + text_width(_(ledger_copy_fate_text(f))) +
		    text_width(num) > end)
			break;
		x += draw_text(y, x, end - x, sep, DRAW_NORMAL);
		x += draw_text(y, x, end - x, _(ledger_copy_fate_text(f)),
		    DRAW_NORMAL);
		x += draw_text(y, x, end - x, num, board_copy_role(f));
		sep = _(", ");
	}
}

const char *
board_counter_label(const char *counter, int w)
{
	static const struct {
		const char *counter;
		const char *label;
	} shorter[] = {
		{ "dead_lettered", N_("dead-letter") },
		{ "dead_lettered", N_("dead-let.") },
		{ "lost_silent", N_("lost silent") },
		{ "lost_silent", N_("lost quiet") },
		{ "inconsistent", N_("inconsist.") },
		{ "duplicated", N_("dupl.") },
	};
	const char *full = words_counter(counter);
	const char *last = full;

	if (text_width(full) <= w)
		return full;
	for (size_t k = 0; k < sizeof shorter / sizeof shorter[0]; k++)
		if (strcmp(shorter[k].counter, counter) == 0) {
			last = _(shorter[k].label);
			if (text_width(last) <= w)
				return last;
		}
	return last;
}

static void
board_draw(struct pane *p, struct lab *lab)
{
	int cols = board_columns(p->w), cell = p->w / cols, y = p->y;
	/* Lines beyond the counters: the copies line takes the first. */
	int extra = p->h - board_rows(lab, p->w, 0, 0);
	int copies = lab->sum.multi_copy && extra >= 1;

	if (p->h <= 0)
		return;
	if (extra - copies >= 1) {
		draw_hline(y, p->x, p->w, DRAW_BORDER);
		draw_printf(y, p->x + 2, p->w - 4, DRAW_HEAD, " %s ",
		    _("Ledger: the fate of every message"));
		y++;
	}
	for (int i = 0; i < BOARD_N; i++) {
		uint64_t v = 0;
		char num[24];
		int row = i / cols, col = i % cols, x = p->x + col * cell;
		int nw, lw;

		if (y + row >= p->y + p->h)
			break;
		ledger_counter(&lab->sum, board_counters[i].counter, &v);
		nw = snprintf(num, sizeof num, "%" PRIu64, v);
		lw = cell - nw - 2;
		draw_text(y + row, x, lw, board_counter_label(board_counters[i].counter, lw),
		    v ? DRAW_NORMAL : DRAW_DIM);
		draw_text(y + row, x + cell - nw - 1, nw, num,
		    v ? board_counters[i].role : DRAW_DIM);
	}
	y += (BOARD_N + cols - 1) / cols;
	if (copies && y < p->y + p->h)
		board_copies(y, p->x, p->w - 1, &lab->sum);
}

const struct pane_ops board_ops = { "ledger", board_draw, NULL };
