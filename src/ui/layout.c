/*
 * Where each of the lab's panes goes for the terminal's size: the four
 * flow panes side by side over the ledger, the lesson and the event log
 * (or the goal, in a challenge) below, the footer, and the overlays.
 */
#include "ui/layout.h"

#include <curses.h>

#include "lesson/session.h"
#include "ui/board.h"
#include "ui/goal.h"
#include "ui/lab.h"

static void
layout_place(struct pane *p, int y, int x, int h, int w)
{
	p->y = y;
	p->x = x;
	p->h = h > 0 ? h : 0;
	p->w = w > 0 ? w : 0;
}

void
layout_lab(struct lab *lab)
{
	struct pane *p = lab->panes;
	int W = COLS, H = LINES, fh, gap, r, pw, xw, cw, qw, y, bh, gw;

	lab->too_small = W < LAB_MIN_COLS || H < LAB_MIN_LINES;
	if (lab->too_small)
		return;
	fh = (H - 3) * 45 / 100 + 1;
	fh = fh < 9 ? 9 : fh > 20 ? 20 : fh;
	gap = W >= 140 ? 8 : W >= 110 ? 7 : W >= 95 ? 6 : W >= 86 ? 5 : 4;
	r = W - 3 * gap;
	pw = r * 25 / 100;
	xw = r * 205 / 1000;
	cw = r * 265 / 1000;
	qw = r - pw - xw - cw;
	layout_place(&p[LAB_HEADER], 0, 0, 1, W);
	layout_place(&p[LAB_PRODUCER], 1, 0, fh, pw);
	layout_place(&p[LAB_EXCHANGE], 1, pw + gap, fh, xw);
	layout_place(&p[LAB_QUEUES], 1, pw + gap + xw + gap, fh, qw);
	layout_place(&p[LAB_CONSUMER], 1, W - cw, fh, cw);
	layout_place(&p[LAB_WIRES], 1, 0, fh + 1, W);
	y = fh + 2;
	layout_place(&p[LAB_LEDGER], y, 0, board_rows(lab, W, H >= 36, H >= 26), W);
	y += p[LAB_LEDGER].h;
	bh = H - 2 - y;
	gw = W * 58 / 100;
	if (gw > 96)
		gw = 96;
	layout_place(&p[LAB_GUIDE], y, 0, bh, gw);
	layout_place(&p[LAB_LOG], y, gw + 1, bh, W - gw - 1);
	layout_place(&p[LAB_GOAL], 0, 0, 0, 0);
	if (lab->mode == SESSION_LESSON && lab->ss &&
	    session_lesson(lab->ss)->challenge_on) {
		p[LAB_GOAL] = p[LAB_LOG];
		p[LAB_GOAL].ops = &goal_ops;
		p[LAB_LOG].h = 0;
	}
	layout_place(&p[LAB_FOOTER], H - 2, 0, 2, W);
	layout_place(&p[LAB_HELP], 1, 0, H - 2, W);
	/* The other overlays leave the lab showing round them when there is
	 * room; code keeps its lines whole up to 110 columns. */
	if (W >= 100 && H >= 30) {
		/* A glossary line wider than 100 columns is hard to read. */
		int ow = W - 12 < 100 ? W - 12 : 100;
		layout_place(&p[LAB_TRACE], 3, 6, H - 6, W - 12);
		layout_place(&p[LAB_GLOSS], 3, (W - ow) / 2, H - 6, ow);
	} else {
		layout_place(&p[LAB_TRACE], 1, 0, H - 2, W);
		layout_place(&p[LAB_GLOSS], 1, 0, H - 2, W);
	}
	if (W >= 124 && H >= 30)
		layout_place(&p[LAB_CODE], 3, (W - 114) / 2, H - 6, 114);
	else
		layout_place(&p[LAB_CODE], 1, 0, H - 2, W);
}
