/*
 * Header and footer bars. The footer is generated from the key table
 * (ui/keys.h): the failures on its first line, the commands marked for the
 * footer on the second, in table order, as many as fit; each item is a
 * click area that stands for its key.
 */
#include "ui/bar.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/lab.h"
#include "ui/text.h"

/*
 * The lesson's title in w columns. A title too long is cut after a whole
 * word (or a whole Chinese character) and ends in "...", rather than in
 * the middle of a word.
 */
static void
header_title(int y, int x, int w, const char *title)
{
	char buf[512];
	size_t n, next;

	if (text_width(title) <= w || w < 8) {
		draw_text(y, x, w, title, DRAW_TITLE);
		return;
	}
	n = text_wrap(title, w - 3, &next);
	if (n >= sizeof buf - 4)
		n = sizeof buf - 4;
	/* A cut after "durable," or "交换机，" leaves the mark dangling. */
	while (n > 0 && strchr(" ,;:-", title[n - 1]))
		n--;
	while (n >= 3 && (memcmp(title + n - 3, "\xef\xbc\x8c", 3) == 0 ||
	    memcmp(title + n - 3, "\xef\xbc\x9a", 3) == 0 ||
	    memcmp(title + n - 3, "\xe3\x80\x81", 3) == 0))
		n -= 3; /* ，：、 */
	snprintf(buf, sizeof buf, "%.*s...", (int)n, title);
	draw_text(y, x, w, buf, DRAW_TITLE);
}

static void
header_draw(struct pane *p, struct lab *lab)
{
	char right[160], clock[48];
	const char *mode;
	int rw, x;
	int64_t now = session_now(lab->ss);

	draw_blank(p->y, p->x, p->w, DRAW_TITLE);
	if (lab->mode == SESSION_SANDBOX)
		mode = _("sandbox");
	else if (lab->o.autoplay)
		mode = _("autoplay");
	else
		mode = _("lesson");
	snprintf(clock, sizeof clock, "t=%" PRId64 ".%03" PRId64 "s",
	    now / 1000000, now % 1000000 / 1000);
	if (session_live(lab->ss))
		/* Real time has no speed and no pause. */
		snprintf(right, sizeof right, " %s %s %s ", mode, clock,
		    _("live RabbitMQ"));
	else if (lab->paused)
		snprintf(right, sizeof right, " %s %s [%s] ", mode, clock,
		    _("paused"));
	else if (lab_animating(lab))
		snprintf(right, sizeof right, " %s %s %s %s ", mode, clock,
		    lab_speed_label(lab), lab->jump_us >= 1000000 ?
		    _("(skipping)") : _("(running)"));
	else
		snprintf(right, sizeof right, " %s %s %s ", mode, clock,
		    lab_speed_label(lab));
	rw = text_width(right);
	x = p->x + draw_text(p->y, p->x, p->w - rw, " rabbitlab | ",
	    DRAW_TITLE);
	header_title(p->y, x, p->w - rw - (x - p->x) - 1,
	    script_text_get(&lab->script->title, lab->o.lang));
	if (lab->status[0]) {
		int sw = text_width(lab->status) + 2, sx;
		if (sw > p->w / 2 + rw / 2)
			sw = p->w / 2 + rw / 2;
		sx = p->x + p->w - sw;
		draw_blank(p->y, sx, sw, lab->status_bad ? DRAW_STATUS_BAD :
		    DRAW_STATUS);
		draw_text(p->y, sx + 1, sw - 2, lab->status,
		    lab->status_bad ? DRAW_STATUS_BAD : DRAW_STATUS);
	} else
		draw_text(p->y, p->x + p->w - rw, rw, right, DRAW_TITLE);
}

struct bar_item {
	const struct keys_def *k;
	char name[16];          /* the key as shown */
	const char *label;
	const char *tiny;
};

/* The footer items of one kind, in footer order. */
static int
bar_items(enum keys_kind kind, struct bar_item *items, int max)
{
	size_t n;
	const struct keys_def *t = keys_table(&n);
	int count = 0;

	for (int foot = 1; foot <= 32 && count < max; foot++)
		for (size_t i = 0; i < n; i++) {
			struct bar_item *it;
			if (t[i].kind != kind || t[i].foot != foot)
				continue;
			it = &items[count++];
			it->k = &t[i];
			keys_name(t[i].key, it->name, sizeof it->name);
			it->label = keys_label(&t[i]);
			it->tiny = keys_tiny(&t[i]);
			if (kind == KEYS_COMMAND && t[i].id == CMD_SLOWER) {
				snprintf(it->name, sizeof it->name, "< >");
				it->label = it->tiny = _("speed");
			}
			break;
		}
	return count;
}

static int
bar_width(const struct bar_item *items, int n, int tiny, int sep)
{
	int w = 0;

	for (int i = 0; i < n; i++)
		w += text_width(items[i].name) + 1 +
		    text_width(tiny ? items[i].tiny : items[i].label) +
		    (i ? sep : 0);
	return w;
}

/*
 * Draws one footer line: with full labels if they fit, else with the short
 * ones, else with short labels as far as they go and bare keys after, so
 * every key is always on screen.
 */
static void
bar_line(int y, int x, int w, const struct bar_item *items, int n)
{
	int tiny = bar_width(items, n, 0, 2) > w, sep = tiny ? 1 : 2;
	int end = x + w;

	for (int i = 0; i < n; i++) {
		const char *label = tiny ? items[i].tiny : items[i].label;
		int kw = text_width(items[i].name), lw = text_width(label);
		int rest = 0;

		for (int k = i + 1; k < n; k++)
			rest += text_width(items[k].name) + 1;
		if (x + kw + 1 + lw + rest > end)
			lw = -1; /* no room: the bare key */
		if (x + kw > end)
			return;
		draw_text(y, x, kw, items[i].name, DRAW_KEY);
		if (lw >= 0)
			draw_text(y, x + kw + 1, lw, label, DRAW_FOOTER);
		draw_click_add(y, x, kw + (lw >= 0 ? 1 + lw : 0),
		    items[i].k->key, 0);
		x += kw + (lw >= 0 ? 1 + lw : 0) + (lw >= 0 ? sep : 1);
	}
}

static void
footer_draw(struct pane *p, struct lab *lab)
{
	struct bar_item items[32];
	int n;

	draw_blank(p->y, p->x, p->w, DRAW_FOOTER);
	draw_blank(p->y + 1, p->x, p->w, DRAW_FOOTER);
	n = bar_items(KEYS_FAILURE, items, 32);
	{
		/* The key rule (keys.h): the capitals on this line break
		 * things; lower case letters are the toggles in the panes. */
		int rw = draw_text(p->y, p->x, p->w, _("A-Z:"), DRAW_DIM) + 1;
		bar_line(p->y, p->x + rw, p->w - rw, items, n);
	}
	if (p->h < 2)
		return;
	if (lab->typing) {
		draw_printf(p->y + 1, p->x, p->w, DRAW_KEY, "%s %s_   %s",
		    _("Message id:"), lab->idbuf,
		    _("Enter shows it, Esc cancels"));
		return;
	}
	if (lab->confirm_reset || lab->setting) {
		/* The question or the typed number, where the keys were. */
		draw_text(p->y + 1, p->x, p->w, lab->status, DRAW_KEY);
		return;
	}
	n = bar_items(KEYS_COMMAND, items, 32);
	bar_line(p->y + 1, p->x, p->w, items, n);
}

const struct pane_ops bar_header_ops = { "header", header_draw, NULL };
const struct pane_ops bar_footer_ops = { "footer", footer_draw, NULL };
