/*
 * The screen's entry point and its one loop. ui_main checks that there is
 * a terminal worth drawing on, sets the language, starts curses with
 * newterm, and then runs a single poll() over the keyboard and a self-pipe
 * that the signal handlers write to (SIGINT, SIGTERM, SIGHUP, SIGTSTP,
 * SIGCONT, SIGWINCH), so every signal is dealt with in the loop, outside
 * the handler: the terminal is always restored by endwin() before the
 * process exits or stops. The timeout given to poll() comes from the lab's
 * pacing (ui/lab.h): none at all when nothing moves, so an idle lab sleeps.
 *
 * Two screens take turns: the lesson picker (ui/picker.h) and the lab.
 */
#include "ui/ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "class/class_event.h"
#include "class/class_report.h"
#include "engine/live_broker.h"
#include "ui/cast.h"
#include "ui/draw.h"
#include "ui/i18n.h"
#include "ui/lab.h"
#include "ui/layout.h"
#include "ui/picker.h"
#include "ui/progress.h"
#include "util/xmalloc.h"

#define UI_EXIT_NO_TERMINAL 2

static int ui_pipe[2] = { -1, -1 };
static volatile sig_atomic_t ui_got_quit, ui_got_tstp, ui_got_cont,
    ui_got_winch;

static void
ui_on_signal(int sig)
{
	int saved = errno;
	char c = 's';

	switch (sig) {
	case SIGTSTP:
		ui_got_tstp = 1;
		break;
	case SIGCONT:
		ui_got_cont = 1;
		break;
	case SIGWINCH:
		ui_got_winch = 1;
		break;
	default:
		ui_got_quit = 1;
		break;
	}
	if (write(ui_pipe[1], &c, 1) < 0) {
		/* The pipe is full: the loop is awake anyway. */
	}
	errno = saved;
}

static const int ui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT,
	SIGWINCH };

static void
ui_catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ui_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Installs the handlers (before newterm, so curses leaves them alone). */
static int
ui_signals_start(void)
{
	if (pipe(ui_pipe) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		fcntl(ui_pipe[i], F_SETFL, fcntl(ui_pipe[i], F_GETFL) |
		    O_NONBLOCK);
		fcntl(ui_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	for (size_t i = 0; i < sizeof ui_signals / sizeof ui_signals[0]; i++)
		ui_catch(ui_signals[i]);
	return 0;
}

static void
ui_signals_stop(void)
{
	for (size_t i = 0; i < sizeof ui_signals / sizeof ui_signals[0]; i++)
		signal(ui_signals[i], SIG_DFL);
	close(ui_pipe[0]);
	close(ui_pipe[1]);
	ui_pipe[0] = ui_pipe[1] = -1;
}

static void
ui_drain(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

static int
ui_no_terminal(const char *why)
{
	fprintf(stderr, _("rabbitlab: the lab needs a terminal (%s).\n"
	    "To play a lesson without one, use replay, for example:\n"
	    "  rabbitlab replay lessons/01-first-message.cfg\n"), why);
	return UI_EXIT_NO_TERMINAL;
}

/* Stops the process the way ^Z asked, with the terminal restored. */
static void
ui_suspend(void)
{
	sigset_t set;

	endwin();
	fflush(stdout);
	signal(SIGTSTP, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(SIGTSTP);
	/* Continued. */
	ui_catch(SIGTSTP);
	clearok(curscr, TRUE);
}

static void
ui_resize(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

/*
 * Full-width forms that a Chinese input method types in place of ASCII
 * (１, ？, ＋) count as their ASCII key; so does the ideographic full stop.
 */
static int
ui_fold_key(wint_t wch)
{
	if (wch >= 0xff01 && wch <= 0xff5e)
		return (int)(wch - 0xff01 + 0x21);
	if (wch == 0x3000)
		return ' ';
	if (wch == 0x3002)
		return '.';
	if (wch == '\r')
		return '\n';
	return (int)wch;
}

enum ui_screen { UI_PICKER, UI_LAB };

struct ui {
	const struct ui_opts *o;
	const char *lang;
	enum ui_screen screen;
	struct picker picker;
	int have_picker;
	struct lab lab;
	int have_lab;
	struct progress progress;
	int have_progress;
	char *progress_notice;   /* shown once, on the first screen */
	int progress_notice_bad;
	char *record_error;      /* printed after endwin */
	char *open_error;        /* why the first lesson did not open */
	struct cast *cast;       /* --cast, or NULL */
	int64_t cast_start;      /* lab_clock_ms() when it began */
	char lead_missing[CLASS_LESSON_MAX]; /* the teacher's lesson that
					    did not open here, told once */
};

/*
 * The lesson list that holds `path`: the picker's, or else one read from
 * path's directory into *own (the caller closes it when the result is
 * own). NULL when there is none.
 */
static struct picker *
ui_lesson_list(struct ui *u, const char *path, struct picker *own)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *cause = NULL;
	int ok;

	if (u->have_picker) {
		free(dir);
		return &u->picker;
	}
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	memset(own, 0, sizeof *own);
	ok = picker_open(own, dir, u->lang, NULL, &cause) == 0;
	free(cause);
	free(dir);
	return ok ? own : NULL;
}

/* Whether s is the last lesson of its list (lab.last_lesson). */
static int
ui_is_last(struct ui *u, const struct script *s)
{
	struct picker own, *pk;
	int last;

	if (s->path == NULL)
		return 0;
	pk = ui_lesson_list(u, s->path, &own);
	last = pk && picker_is_last(pk, s->path);
	if (pk == &own)
		picker_close(&own);
	return last;
}

/* Opens the lab on `s` (ownership passes); returns 0 or -1 (status set). */
static int
ui_open_lab(struct ui *u, struct script *s, enum session_mode mode)
{
	struct lab_opts lo;
	char *cause = NULL;

	memset(&lo, 0, sizeof lo);
	lo.lang = u->lang;
	lo.autoplay = u->o->autoplay;
	lo.autoplay_ms = u->o->autoplay_ms;
	lo.has_seed = u->o->has_seed;
	lo.seed = u->o->seed;
	lo.progress = u->have_progress ? &u->progress : NULL;
	lo.lessons_dir = u->o->lessons_dir;
	lo.ops = u->o->ops;
	lo.url = u->o->url;
	lo.speed = u->o->speed;
	if (lab_open(&u->lab, s, mode, &lo, &cause) != 0) {
		if (u->have_picker) {
			snprintf(u->picker.notice, sizeof u->picker.notice,
			    "%s", cause ? cause : "session failed");
			u->picker.notice_bad = 1;
			free(cause);
		} else {
			free(u->open_error);
			u->open_error = cause;
		}
		return -1;
	}
	u->have_lab = 1;
	u->screen = UI_LAB;
	u->lab.last_lesson = mode == SESSION_LESSON && ui_is_last(u, s);
	if (u->progress_notice) {
		lab_status(&u->lab, u->progress_notice_bad, "%s",
		    u->progress_notice);
		free(u->progress_notice);
		u->progress_notice = NULL;
	}
	return 0;
}

static void
ui_close_lab(struct ui *u)
{
	if (!u->have_lab)
		return;
	if (u->o->record) {
		char *cause = NULL;

		if (session_record(u->lab.ss, u->o->record, &cause) != 0) {
			free(u->record_error);
			u->record_error = cause;
		}
	}
	lab_close(&u->lab);
	u->have_lab = 0;
	u->screen = UI_PICKER;
}

/* The current screen, laid out for LINES and COLS, drawn on stdscr. */
static void
ui_paint(void *ctx)
{
	struct ui *u = ctx;

	if (u->screen == UI_LAB) {
		layout_lab(&u->lab);
		lab_draw(&u->lab);
		if (u->o->hooks && u->o->hooks->draw)
			u->o->hooks->draw(u->o->hooks_ctx, &u->lab);
	} else
		picker_draw(&u->picker);
}

static void
ui_draw(struct ui *u)
{
	/* The cast first: the terminal's drawing leaves its click map. */
	if (u->cast)
		cast_frame(u->cast, lab_clock_ms() - u->cast_start, ui_paint,
		    u);
	ui_paint(u);
	refresh();
}

static void
ui_layout(struct ui *u)
{
	if (u->have_lab)
		layout_lab(&u->lab);
}

/* Handles one key on the current screen; returns PANE_* flags. */
static int
ui_key(struct ui *u, int key)
{
	int flags;

	if (key == KEY_RESIZE) {
		ui_layout(u);
		return PANE_REDRAW;
	}
	if (key == KEY_MOUSE) {
		MEVENT me;
		if (getmouse(&me) != OK)
			return 0;
		if (me.bstate & BUTTON4_PRESSED)
			key = KEY_UP;
		else if (me.bstate & (BUTTON5_PRESSED))
			key = KEY_DOWN;
		else if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
			int ck;
			uint32_t cm;
			/* A key's click area stands for its key and goes
			 * the keys' way, the screen's hooks first (a
			 * watch's e is not the lab's); a message's, or
			 * none, is lab_click's. */
			if (u->screen == UI_LAB && !u->lab.build &&
			    draw_click_find(me.y, me.x, &ck, &cm) && cm == 0)
				key = ck;
			else
				return u->screen == UI_LAB ?
				    lab_click(&u->lab, me.y, me.x) :
				    picker_click(&u->picker, me.y, me.x);
		} else
			return 0;
	}
	if (u->screen == UI_LAB && u->o->hooks && u->o->hooks->key) {
		flags = u->o->hooks->key(u->o->hooks_ctx, &u->lab, key);
		if (flags & PANE_HANDLED)
			return flags;
	}
	if (u->screen == UI_LAB)
		return lab_key(&u->lab, key);
	flags = picker_key(&u->picker, key);
	if ((flags & PANE_HANDLED) && u->picker.chosen) {
		struct script_diag diag = { 0 };
		struct script *s = script_load(u->picker.chosen, &diag);
		if (s == NULL) {
			snprintf(u->picker.notice, sizeof u->picker.notice,
			    "%s", diag.count ? diag.lines[0] :
			    u->picker.chosen);
			u->picker.notice_bad = 1;
		} else
			ui_open_lab(u, s, u->picker.chosen_mode);
		script_diag_free(&diag);
		u->picker.chosen = NULL;
		flags |= PANE_REDRAW;
	}
	return flags;
}

/* A line from the live engine's broker handling (restarting the node). */
static void
ui_broker_line(void *ctx, const char *line)
{
	struct ui *u = ctx;

	if (u->screen == UI_LAB && u->have_lab)
		lab_status(&u->lab, 0, "%s", line);
}

static void
ui_broker_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "rabbitlab: %s\n", line);
}

/*
 * After a met goal: the lesson after this one in its directory, opened as
 * a guided lesson. With none (the last lesson, or it does not load) the
 * lesson list comes back, or, without one, the lab stays and says why.
 */
static void
ui_next_lesson(struct ui *u)
{
	struct picker own, *pk;
	char *path = xstrdup(u->lab.script->path ? u->lab.script->path : ".");
	const char *next = NULL;
	int have_own;
	struct script *s = NULL;
	struct script_diag diag = { 0 };

	u->lab.next_lesson = 0;
	pk = ui_lesson_list(u, path, &own);
	have_own = pk == &own;
	if (pk)
		next = picker_next(pk, path);
	if (next)
		s = script_load(next, &diag);
	script_diag_free(&diag);
	if (s == NULL) {
		if (u->have_picker)
			ui_close_lab(u);
		else
			lab_status(&u->lab, 0, "%s", _("That was the last "
			    "lesson: q quits."));
	} else {
		if (u->have_picker)
			for (size_t i = 0; i < pk->n; i++)
				if (pk->items[i].path == next)
					pk->sel = i;
		ui_close_lab(u);
		if (ui_open_lab(u, s, SESSION_LESSON) != 0 && !u->have_picker)
			ui_got_quit = 1; /* nothing left to show */
	}
	if (have_own)
		picker_close(&own);
	free(path);
}

/*
 * A follower opens the teacher's lesson `id` from the lessons directory
 * (an id from the network: only [A-Za-z0-9_-] names a file). One that does
 * not open is said once. Returns 1 when the screen changed.
 */
static int
ui_lead_open(struct ui *u, const char *id)
{
	struct script_diag diag = { 0 };
	struct script *s = NULL;
	char *path;

	if (strcmp(u->lead_missing, id) == 0)
		return 0;
	snprintf(u->lead_missing, sizeof u->lead_missing, "%s", id);
	if (id[strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-")] == '\0') {
		path = xasprintf("%s/%s.cfg", u->o->lessons_dir, id);
		s = script_load(path, &diag);
		script_diag_free(&diag);
		free(path);
	}
	if (s == NULL) {
		if (u->screen == UI_LAB)
			lab_status(&u->lab, 1, _("The teacher's lesson %s is not "
			    "among your lessons."), id);
		return 1;
	}
	u->lead_missing[0] = '\0';
	ui_close_lab(u);
	if (ui_open_lab(u, s, SESSION_LESSON) != 0 && !u->have_picker)
		ui_got_quit = 1; /* nothing left to show */
	return 1;
}

/*
 * A class led by its teacher (class_report.h): the teacher's lab says
 * where it is; a following lab opens the teacher's lesson, plays up to
 * the teacher's step (a question waits for the learner's own answer) and
 * starts the challenge once the teacher released it. Returns 1 when the
 * screen changed.
 */
static int
ui_lead(struct ui *u)
{
	const struct class_event *h;
	const struct session_lesson *ls;
	const struct script_step *cur;
	int lesson = u->screen == UI_LAB && u->lab.mode == SESSION_LESSON;

	if (class_report_teaching()) {
		if (lesson) {
			ls = session_lesson(u->lab.ss);
			class_report_lead_say(u->lab.script->id, (int)ls->step,
			    ls->challenge_on);
		}
		return 0;
	}
	if ((h = class_report_lead_heard()) == NULL)
		return 0;
	if (!lesson || strcmp(u->lab.script->id, h->lesson) != 0)
		return ui_lead_open(u, h->lesson);
	ls = session_lesson(u->lab.ss);
	cur = session_current_step(u->lab.ss);
	if ((int)ls->step < h->step && ls->step < ls->nsteps &&
	    !(cur && cur->ask && !ls->answered))
		return lab_next(&u->lab) != 0;
	if (h->released && ls->step >= ls->nsteps && !ls->challenge_on)
		return lab_next(&u->lab) != 0;
	return 0;
}

/* The loop; returns when the learner quits or a signal asks to. */
static void
ui_loop(struct ui *u)
{
	int redraw = 1;

	for (;;) {
		struct pollfd fds[2];
		int timeout, flags = 0, class_tick;

		if (redraw)
			ui_draw(u);
		redraw = 0;
		timeout = u->screen == UI_LAB ?
		    lab_timeout(&u->lab, lab_clock_ms()) : -1;
		/* A class's reports go out on the loop's own timer. */
		class_tick = class_report_tick();
		if (class_tick >= 0 && (timeout < 0 || timeout > class_tick))
			timeout = class_tick;
		fds[0].fd = STDIN_FILENO;
		fds[0].events = POLLIN;
		fds[1].fd = ui_pipe[0];
		fds[1].events = POLLIN;
		if (poll(fds, 2, timeout) < 0 && errno != EINTR)
			return;
		if (fds[1].revents & POLLIN)
			ui_drain(ui_pipe[0]);
		if (ui_got_quit)
			return;
		if (ui_got_tstp) {
			ui_got_tstp = 0;
			ui_suspend();
			ui_got_cont = 1;
		}
		if (ui_got_cont || ui_got_winch) {
			ui_got_cont = ui_got_winch = 0;
			ui_resize();
			ui_layout(u);
			redraw = 1;
		}
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return;
		if (fds[0].revents & POLLIN) {
			wint_t wch;
			int r;
			while ((r = wget_wch(stdscr, &wch)) != ERR) {
				int key = r == KEY_CODE_YES ? (int)wch :
				    ui_fold_key(wch);
				flags |= ui_key(u, key);
				if (flags & PANE_QUIT)
					break;
			}
		}
		if ((flags & PANE_QUIT) && u->screen == UI_LAB &&
		    u->lab.next_lesson) {
			ui_next_lesson(u);
			redraw = 1;
			continue;
		}
		if (flags & PANE_QUIT) {
			if (u->screen == UI_LAB && u->have_picker) {
				ui_close_lab(u);
				redraw = 1;
				continue;
			}
			return;
		}
		if (u->screen == UI_LAB)
			flags |= lab_run(&u->lab, lab_clock_ms());
		if (u->screen == UI_LAB && u->o->hooks && u->o->hooks->tick)
			flags |= u->o->hooks->tick(u->o->hooks_ctx, &u->lab);
		if (ui_lead(u))
			flags |= PANE_REDRAW;
		if (flags & PANE_REDRAW)
			redraw = 1;
	}
}

SCREEN *
ui_curses_open(const char **why)
{
	SCREEN *scr;
	const char *term = getenv("TERM");
	char *cup;

	if (term == NULL || *term == '\0') {
		*why = _("TERM is not set");
		return NULL;
	}
	/* In a UTF-8 locale, line drawing goes out as Unicode box
	 * characters: terminals such as tmux with TERM=xterm-256color
	 * otherwise show the ACS alternate set as "qqqq". */
	if (i18n_utf8())
		setenv("NCURSES_NO_UTF8_ACS", "1", 0);
	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		*why = _("TERM names a terminal this system does not know");
		return NULL;
	}
	set_term(scr);
	cup = tigetstr("cup");
	if (cup == NULL || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		*why = _("the terminal cannot move the cursor");
		return NULL;
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED |
	    BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	return scr;
}

/* The first lesson of the directory that loads, for --sandbox alone. */
static struct script *
ui_first_lesson(const char *dir)
{
	struct picker pk;
	char *cause = NULL;
	struct script *s = NULL;

	if (picker_open(&pk, dir, "en", NULL, &cause) == 0)
		for (size_t i = 0; i < pk.n && s == NULL; i++)
			if (pk.items[i].script) {
				s = pk.items[i].script;
				pk.items[i].script = NULL;
			}
	free(cause);
	picker_close(&pk);
	return s;
}

/*
 * The lesson to open first: the script asked for (its problems printed),
 * the first lesson for a sandbox, or none (*first NULL: the picker).
 * Returns -1 when it cannot be had.
 */
static int
ui_load_first(const struct ui_opts *opts, struct script **first)
{
	*first = opts->first;
	if (*first)
		return 0;
	if (opts->script) {
		struct script_diag diag = { 0 };
		*first = script_load(opts->script, &diag);
		for (size_t i = 0; i < diag.count; i++)
			fprintf(stderr, "%s\n", diag.lines[i]);
		script_diag_free(&diag);
		if (*first == NULL)
			return -1;
	} else if (opts->sandbox) {
		*first = ui_first_lesson(opts->lessons_dir);
		if (*first == NULL) {
			fprintf(stderr, _("rabbitlab: no lesson loads from %s\n"),
			    opts->lessons_dir);
			return -1;
		}
	}
	return 0;
}

/* Loads the learner's progress, with a notice if it cannot be kept. */
static void
ui_progress_setup(struct ui *u)
{
	switch (progress_load(&u->progress, NULL, &u->progress_notice)) {
	case 0:
		u->have_progress = 1;
		break;
	case 1: {
		/* Damaged: say where the old file went. */
		char *aside = u->progress_notice;
		u->progress_notice = xasprintf(_("Your progress file was "
		    "damaged; it was kept as %s and progress starts afresh."),
		    aside);
		free(aside);
		u->progress_notice_bad = 1;
		u->have_progress = 1;
		break;
	}
	default:
		if (u->progress_notice) {
			char *why_not = u->progress_notice;
			u->progress_notice = xasprintf(_("Progress will not be "
			    "saved: %s"), why_not);
			free(why_not);
		}
		u->progress_notice_bad = 1;
		break;
	}
	if (strcmp(u->lang, "zh") == 0 && !i18n_catalogue_ok() &&
	    u->progress_notice == NULL) {
		/* Lesson texts are still Chinese; say why the rest is not. */
		u->progress_notice = xasprintf("No Chinese interface catalogue "
		    "in %s (rabbitlab.mo): the interface stays in English.",
		    i18n_localedir());
		u->progress_notice_bad = 1;
	}
}

/*
 * --cast: opens the cast before curses starts, so a file that cannot be
 * written is said on a terminal left as it was. Returns 0, or -1 with the
 * message on stderr.
 */
static int
ui_cast_start(struct ui *u, int no_color)
{
	char *cause = NULL;

	if (u->o->cast == NULL)
		return 0;
	u->cast = cast_open(u->o->cast, u->o->cast_cols, u->o->cast_rows,
	    "rabbitlab", (int64_t)time(NULL), no_color, i18n_ascii(), &cause);
	if (u->cast == NULL) {
		fprintf(stderr, "rabbitlab: --cast: %s\n", cause);
		free(cause);
		return -1;
	}
	u->cast_start = lab_clock_ms();
	return 0;
}

/*
 * Closes the cast (before the terminal's screen is deleted: the cast puts
 * that screen back as current). Returns 0, or 1 after saying on stderr
 * that the file was not written in full.
 */
static int
ui_cast_end(struct ui *u)
{
	char *cause = NULL;

	if (cast_close(u->cast, &cause) == 0)
		return 0;
	fprintf(stderr, _("rabbitlab: the recording was not written: %s\n"),
	    cause);
	free(cause);
	return 1;
}

int
ui_speed_known(const char *label)
{
	return lab_speed_index(label) >= 0;
}

int
ui_main(const struct ui_opts *opts)
{
	struct ui u;
	struct script *first = NULL;
	SCREEN *scr;
	const char *why = NULL;
	const char *no_color = getenv("NO_COLOR");
	int status = 0;

	memset(&u, 0, sizeof u);
	u.o = opts;
	u.lang = i18n_setup(opts->lang, opts->locale_dir);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return ui_no_terminal(_("standard input or output is not a "
		    "terminal"));
	if (ui_load_first(opts, &first) != 0)
		return UI_EXIT_NO_TERMINAL;
	if (ui_cast_start(&u, no_color && *no_color) != 0) {
		script_free(first);
		return UI_EXIT_NO_TERMINAL;
	}
	ui_progress_setup(&u);
	if (ui_signals_start() != 0) {
		cast_close(u.cast, NULL);
		script_free(first);
		progress_free(&u.progress);
		free(u.progress_notice);
		return ui_no_terminal(strerror(errno));
	}
	scr = ui_curses_open(&why);
	if (scr == NULL) {
		cast_close(u.cast, NULL);
		ui_signals_stop();
		script_free(first);
		progress_free(&u.progress);
		free(u.progress_notice);
		return ui_no_terminal(why);
	}
	draw_init(no_color && *no_color, i18n_ascii());
	if (first == NULL) {
		char *cause = NULL;
		if (picker_open(&u.picker, opts->lessons_dir, u.lang,
		    u.have_progress ? &u.progress : NULL, &cause) != 0) {
			endwin();
			cast_close(u.cast, NULL);
			delscreen(scr);
			ui_signals_stop();
			fprintf(stderr, "rabbitlab: %s\n", cause);
			free(cause);
			picker_close(&u.picker);
			progress_free(&u.progress);
			free(u.progress_notice);
			return UI_EXIT_NO_TERMINAL;
		}
		u.have_picker = 1;
		u.screen = UI_PICKER;
		if (u.progress_notice) {
			snprintf(u.picker.notice, sizeof u.picker.notice, "%s",
			    u.progress_notice);
			u.picker.notice_bad = u.progress_notice_bad;
			free(u.progress_notice);
			u.progress_notice = NULL;
		}
	} else if (ui_open_lab(&u, first, opts->sandbox ? SESSION_SANDBOX :
	    SESSION_LESSON) != 0) {
		endwin();
		cast_close(u.cast, NULL);
		delscreen(scr);
		ui_signals_stop();
		fprintf(stderr, _("rabbitlab: the lesson did not start: %s\n"),
		    u.open_error ? u.open_error : "?");
		free(u.open_error);
		progress_free(&u.progress);
		free(u.progress_notice);
		return UI_EXIT_NO_TERMINAL;
	}
	/* The live engine's node messages go to the status line, not over
	 * the screen; back to stderr once curses is gone. */
	live_broker_set_progress(ui_broker_line, &u);
	ui_loop(&u);
	ui_close_lab(&u);
	live_broker_set_progress(ui_broker_stderr, NULL);
	endwin();
	status = ui_cast_end(&u);
	delscreen(scr);
	ui_signals_stop();
	if (u.have_picker)
		picker_close(&u.picker);
	progress_free(&u.progress);
	free(u.progress_notice);
	if (u.record_error) {
		fprintf(stderr, _("rabbitlab: the recording was not written: "
		    "%s\n"), u.record_error);
		free(u.record_error);
		status = 1;
	}
	return status;
}
