/*
 * Typed numbers: '=' then a toggle's key, then digits and Enter. A number
 * toggle's key steps through a few presets; this reaches any value in its
 * range (30 producer attempts, a 2.5 backoff), checked against the range
 * with a message that gives it. The lab offers every key here while
 * lab->setting is set.
 */
#include "ui/entry.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui/i18n.h"
#include "ui/keys.h"
#include "ui/words.h"
#include "ui/lab.h"
#include "ui/pane.h"

int
entry_start(struct lab *lab, int key)
{
	size_t n, used = 0;
	const struct keys_def *t = keys_table(&n);
	char list[128] = "";

	(void)key;
	lab->setting = 1;
	lab->set_row = NULL;
	lab->setbuf[0] = '\0';
	/* The keys that take a number, from the key table itself. */
	for (size_t i = 0; i < n && used + 8 < sizeof list; i++) {
		char name[16];
		if (t[i].kind != KEYS_TOGGLE || keys_head(&t[i]) != &t[i] ||
		    !keys_typeable(&t[i]))
			continue;
		used += (size_t)snprintf(list + used, sizeof list - used,
		    "%s%s", used ? " " : "", keys_name(t[i].key, name,
		    sizeof name));
	}
	lab_status(lab, 0, _("Type a number for: %s (Esc cancels)"), list);
	return PANE_REDRAW;
}

/*
 * The number a typed value sets, in the screen's words, with its unit when
 * it has one (a learner reading "10s" in a pane would type seconds). Static
 * storage (here or keys_display's): use it before the next such call.
 */
static const char *
entry_label(const struct keys_def *row)
{
	static char buf[96];
	enum toggle_id id = (enum toggle_id)(row->pair >= 0 ? row->pair :
	    row->id);
	const char *name = toggle_info(id)->name;
	const char *label = keys_display(KEYS_TOGGLE, (int)id);
	size_t n = strlen(name);

	if (n > 3 && strcmp(name + n - 3, "_ms") == 0) {
		snprintf(buf, sizeof buf, _("%s (in ms)"), label);
		return buf;
	}
	return label;
}

int
entry_key(struct lab *lab, int key)
{
	const struct keys_def *k = lab->set_row;
	const char *label = k ? entry_label(keys_head(k)) : "";
	size_t n = strlen(lab->setbuf);

	if (key == 27) {
		lab->setting = 0;
		lab_status(lab, 0, "%s", _("Nothing typed: unchanged."));
	} else if (lab->setting == 1) {
		k = keys_find(key);
		if (!keys_typeable(k)) {
			lab->setting = 0;
			lab_status(lab, 1, "%s", _("That key sets no number: = "
			    "then a number toggle's key, such as y (producer "
			    "attempts)."));
			return PANE_HANDLED | PANE_REDRAW;
		}
		lab->set_row = keys_head(k);
		lab->setting = 2;
		k = lab->set_row;
		label = entry_label(k);
		lab_status(lab, 0, _("%s = _  (digits, Enter; Esc cancels)"),
		    label);
	} else if (((key >= '0' && key <= '9') || key == '.') &&
	    n + 1 < sizeof lab->setbuf) {
		lab->setbuf[n] = (char)key;
		lab->setbuf[n + 1] = '\0';
		lab_status(lab, 0, _("%s = %s_  (digits, Enter; Esc cancels)"),
		    label, lab->setbuf);
	} else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n > 0) {
		lab->setbuf[n - 1] = '\0';
		lab_status(lab, 0, _("%s = %s_  (digits, Enter; Esc cancels)"),
		    label, lab->setbuf);
	} else if (key == '\n' || key == KEY_ENTER) {
		int64_t v[TOGGLE_COUNT];
		const char *expected = "";
		char buf[48];
		enum toggle_id num = (enum toggle_id)(k->pair >= 0 ? k->pair :
		    k->id);
		lab->setting = 0;
		lab_toggles_get(lab, v);
		if (keys_type(k, lab->setbuf, v, &expected) != 0) {
			char lo[32], hi[32];
			toggle_format(num, toggle_info(num)->min, lo,
			    sizeof lo);
			toggle_format(num, toggle_info(num)->max, hi,
			    sizeof hi);
			/* Still typing: the learner fixes the number. */
			lab_status(lab, 1, _("%s: %s is out of range, %s to "
			    "%s. Type again, Esc cancels."), label,
			    lab->setbuf[0] ? lab->setbuf : "?", lo, hi);
			lab->setting = 2;
			lab->setbuf[0] = '\0';
			return PANE_HANDLED | PANE_REDRAW;
		}
		/* Set: the value in the pane's words and unit ("5s"),
		 * so the label without "(in ms)". */
		if (lab_toggles_set(lab, v) == 0)
			lab_status(lab, 0, "%s = %s",
			    keys_display(KEYS_TOGGLE, (int)num),
			    keys_value(num, v[num], buf, sizeof buf));
		lab_act(lab);
	}
	return PANE_HANDLED | PANE_REDRAW;
}

