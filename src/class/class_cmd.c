/*
 * The headless class commands (class_cmd.h). The dashboard consumes the
 * class's queue with manual acks and counts into a class_dash; the
 * simulator runs N class_students (the lab's own reporting path) in one
 * poll loop, each playing the given lessons and answering at random.
 * Signals only set a flag the loops read.
 */
#include "class/class_cmd.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "class/class_dash.h"
#include "class/class_lead.h"
#include "class/class_student.h"
#include "lesson/script.h"
#include "model/rng.h"
#include "util/mono.h"
#include "util/stop.h"
#include "util/xmalloc.h"

#define CLASS_EXIT_BAD 2
#define CLASS_TICK_MS 20       /* the loops' longest sleep */
#define CLASS_REFUSALS_SHOWN 10

static volatile sig_atomic_t class_stop;

static void
class_on_signal(int sig)
{
	(void)sig;
	class_stop = 1;
}

static void
class_signals(void)
{
	class_stop = 0;
	stop_on_signals(class_on_signal);
}

static void
class_news_stderr(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "rabbitlab: %s\n", line);
}

/* Waits up to ms for input on the given sockets (-1 entries skipped). */
static void
class_wait(const int *fds, size_t n, int ms)
{
	struct pollfd *p = xmalloc((n + 1) * sizeof *p);
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			p[k++] = (struct pollfd){ fds[i], POLLIN, 0 };
	if (poll(p, (nfds_t)k, ms) < 0 && errno != EINTR)
		mono_sleep_ms(ms);
	free(p);
}

/* ---- the dashboard --------------------------------------------------- */

struct class_board {
	struct class_dash dash;
	struct class_link link;
	unsigned shown;            /* refusals told */
	const struct class_cmd_view *view; /* a screen, or NULL */
};

static void
class_board_deliver(void *ctx, uint64_t tag, const char *body, size_t len,
    int over)
{
	struct class_board *b = ctx;
	struct class_event ev;
	char why[200];
	int ok = 0;

	if (class_event_decode_body(body, len, over, &ev, why,
	    sizeof why) != 0)
		class_dash_refuse(&b->dash);
	else if (class_dash_add(&b->dash, &ev, class_wall_ms()) < 0)
		snprintf(why, sizeof why, ev.kind == CLASS_LEAD ? "a teacher's "
		    "lead message" : "an event of class '%s', not '%s'",
		    ev.klass, b->dash.klass); /* counted as refused */
	else
		ok = 1;
	if (!ok && b->shown++ < CLASS_REFUSALS_SHOWN) {
		char line[300];
		snprintf(line, sizeof line, "class: dropped a message that is "
		    "not a progress event of this class: %s", why);
		b->link.ops->news(b->link.ctx, line);
	}
	/* An event is acked once counted; anything else is dropped. */
	class_link_settle(&b->link, tag, ok);
}

static const struct class_link_ops class_board_ops = {
	.deliver = class_board_deliver,
	.news = class_news_stderr,
};

/* The same for a screen: news goes to the view. */
static void
class_board_news(void *ctx, const char *line)
{
	struct class_board *b = ctx;

	b->view->news(b->view->ctx, line);
}

static const struct class_link_ops class_board_view_ops = {
	.deliver = class_board_deliver,
	.news = class_board_news,
};

/* A line per student, for a terminal without --json. */
static void
class_board_text(const struct class_dash *d, FILE *f, int64_t now,
    int64_t stuck_ms)
{
	fprintf(f, "class %s: %llu events from %zu students (%llu duplicates "
	    "ignored, %llu refused)\n", d->klass,
	    (unsigned long long)d->events, d->nstudents,
	    (unsigned long long)d->duplicates, (unsigned long long)d->refused);
	for (size_t i = 0; i < d->nstudents; i++) {
		const struct class_dash_student *s = &d->students[i];
		unsigned solved = 0;
		for (size_t k = 0; k < s->nmarks; k++)
			solved += s->marks[k].solved != 0;
		fprintf(f, "  %-24s %-28s %u solved%s\n", s->name,
		    d->lessons[s->lesson], solved,
		    class_dash_stuck(s, now, stuck_ms) ? "  STUCK" : "");
	}
}

int
class_cmd_dashboard(const struct class_cmd_opts *o)
{
	struct class_board b;
	struct live_target *hosts;
	size_t nhosts;
	char *cause = NULL;
	double end = o->for_s > 0 ? mono_seconds() + o->for_s : 0;
	int64_t now;
	int rc = 0;

	if (class_link_targets(o->url, o->what, &hosts, &nhosts, &cause) != 0) {
		fprintf(stderr, "rabbitlab: class: %s\n", cause);
		free(cause);
		return CLASS_EXIT_BAD;
	}
	memset(&b, 0, sizeof b);
	class_dash_init(&b.dash, o->klass);
	b.view = o->view;
	class_link_init(&b.link, hosts, nhosts, o->klass,
	    CLASS_LINK_DASHBOARD, o->view ?
	    &class_board_view_ops : &class_board_ops, &b);
	class_signals();
	while (!class_stop && (end == 0 || mono_seconds() < end)) {
		int fds[2];
		class_link_step(&b.link);
		if (b.link.refused[0]) {
			fprintf(stderr, "rabbitlab: class: %s: the dashboard "
			    "needs the teacher's user (rabbitlab class "
			    "setup)\n", b.link.refused);
			rc = CLASS_EXIT_BAD;
			break;
		}
		if (o->view && o->view->frame(o->view->ctx, &b.dash,
		    class_wall_ms()))
			break;
		fds[0] = class_link_fd(&b.link);
		fds[1] = o->view ? o->view->fd : -1;
		if (!live_conn_pending(&b.link.conn))
			class_wait(fds, 2, CLASS_TICK_MS);
	}
	now = class_wall_ms();
	if (o->csv) {
		FILE *f = fopen(o->csv, "w");
		if (f == NULL) {
			fprintf(stderr, "rabbitlab: class: --csv %s: %s\n", o->csv,
			    strerror(errno));
			rc = CLASS_EXIT_BAD;
		} else {
			class_dash_csv(&b.dash, f, now, o->stuck_ms);
			if (fclose(f) != 0)
				rc = CLASS_EXIT_BAD;
		}
	}
	if (o->json)
		class_dash_json(&b.dash, o->out, now, o->stuck_ms);
	else if (o->view == NULL)
		class_board_text(&b.dash, o->out, now, o->stuck_ms);
	fflush(o->out);
	class_link_close(&b.link);
	class_dash_free(&b.dash);
	return rc;
}

/* ---- the simulator --------------------------------------------------- */

enum class_sim_phase { SIM_OPEN, SIM_STEPS, SIM_CHALLENGE };

struct class_sim {
	struct class_student cs;
	struct rng r;
	size_t lesson;             /* index into o->lessons */
	size_t step;               /* next step to look at */
	enum class_sim_phase phase;
	unsigned made;             /* events made */
	size_t hints;              /* hints shown in this lesson */
	double next_at;            /* monotonic s of its next event */
	double start;              /* monotonic s it was opened */
	int opened;                /* --follow: its lesson was opened */
	int answered, acted;       /* --follow: step index + 1 of the last
				      question answered, action done */
	int solved;                /* --follow: the challenge was met */
};

/* A student opens its lab, connects, and then starts: its first event
 * waits for the connection, or this long without one (it then works on,
 * its events owed). */
#define CLASS_SIM_CONNECT_S 2.0

/* A moment of the challenge: a hint, the solution, or a run. */
static int
class_sim_challenge(struct class_sim *s, const struct class_cmd_opts *o,
    char **cause)
{
	const struct script_challenge *ch = o->lessons[s->lesson]->challenge;
	struct class_event ev = { .kind = CLASS_CHALLENGE };
	unsigned roll = (unsigned)rng_below(&s->r, 10);

	if (roll < 2 && s->hints < ch->nhints) {
		ev.kind = CLASS_HINT;
		ev.hint = (int)++s->hints;
	} else if (roll < 3 && !s->cs.solution_seen)
		ev.kind = CLASS_SOLUTION;
	else {
		ev.met = rng_below(&s->r, 10) < (s->cs.solution_seen ? 9u : 4u);
		if (ev.met) {
			s->lesson = (s->lesson + 1) % o->nlessons;
			s->phase = SIM_OPEN;
		}
	}
	return class_student_report(&s->cs, &ev, cause);
}

/* The student's next moment in its lesson: one event. */
static int
class_sim_event(struct class_sim *s, const struct class_cmd_opts *o,
    char **cause)
{
	const struct script *sc = o->lessons[s->lesson];
	const struct script_challenge *ch = sc->challenge;

	if (s->phase == SIM_OPEN) {
		s->phase = SIM_STEPS;
		s->step = 0;
		s->hints = 0;
		return class_student_lesson(&s->cs, sc->id, cause);
	}
	while (s->phase == SIM_STEPS && s->step < sc->nsteps) {
		const struct script_step *st = &sc->steps[s->step++];
		struct class_event ev = { .kind = CLASS_ANSWER };
		if (st->ask) {
			ev.question = (int)s->step - 1;
			ev.number = (int)script_step_number(sc, s->step - 1);
			ev.choice = (int)rng_below(&s->r, st->ask->nchoices);
			ev.right = (size_t)ev.choice == st->ask->answer;
			return class_student_report(&s->cs, &ev, cause);
		}
		if (st->learner) {
			ev.kind = CLASS_ACTION;
			ev.step = (int)s->step - 1;
			return class_student_report(&s->cs, &ev, cause);
		}
	}
	if (ch == NULL) {
		s->lesson = (s->lesson + 1) % o->nlessons;
		s->phase = SIM_OPEN;
		return class_sim_event(s, o, cause);
	}
	s->phase = SIM_CHALLENGE;
	return class_sim_challenge(s, o, cause);
}

/*
 * --follow: the student's next moment where the teacher is (h): the
 * teacher's lesson opened, its question answered at random, its learner
 * step done, its released challenge tried until met. Returns 1 with the
 * event made, 0 with nothing to do, -1 with *cause.
 */
static int
class_sim_follow(struct class_sim *s, const struct class_cmd_opts *o,
    const struct class_event *h, char **cause)
{
	const struct script *sc;
	const struct script_step *st;
	struct class_event ev = { .kind = CLASS_ANSWER };
	size_t l, keep;
	int rc;

	for (l = 0; l < o->nlessons; l++)
		if (strcmp(o->lessons[l]->id, h->lesson) == 0)
			break;
	if (l == o->nlessons)
		return 0; /* a lesson this simulator does not have */
	if (!s->opened || s->lesson != l) {
		s->lesson = l;
		s->opened = 1;
		s->answered = s->acted = s->solved = 0;
		s->hints = 0;
		return class_student_lesson(&s->cs, o->lessons[l]->id,
		    cause) ? -1 : 1;
	}
	sc = o->lessons[l];
	st = h->step < (int)sc->nsteps ? &sc->steps[h->step] : NULL;
	if (st && st->ask && s->answered != h->step + 1) {
		s->answered = h->step + 1;
		ev.question = h->step;
		ev.number = (int)script_step_number(sc, (size_t)h->step);
		ev.choice = (int)rng_below(&s->r, st->ask->nchoices);
		ev.right = (size_t)ev.choice == st->ask->answer;
		return class_student_report(&s->cs, &ev, cause) ? -1 : 1;
	}
	if (st && st->learner && s->acted != h->step + 1) {
		s->acted = h->step + 1;
		ev.kind = CLASS_ACTION;
		ev.step = h->step;
		return class_student_report(&s->cs, &ev, cause) ? -1 : 1;
	}
	if (!h->released || sc->challenge == NULL || s->solved)
		return 0;
	/* A run that meets the goal moves a lone student on; a follower
	 * stays where its teacher is. */
	keep = s->lesson;
	s->phase = SIM_CHALLENGE;
	rc = class_sim_challenge(s, o, cause);
	s->solved = s->phase == SIM_OPEN; /* only a met run reopens */
	s->lesson = keep;
	s->phase = SIM_CHALLENGE;
	return rc ? -1 : 1;
}

/* Opens the N students; -1 with a message on stderr. */
static int
class_sim_open(struct class_sim *sims, const struct class_cmd_opts *o,
    FILE *sent)
{
	for (unsigned i = 0; i < o->students; i++) {
		struct class_sim *s = &sims[i];
		char name[CLASS_NAME_MAX], *cause = NULL;
		snprintf(name, sizeof name, "%.40s-%03u", o->prefix, i + 1);
		if (class_student_open(&s->cs, o->url, o->what, o->klass, name,
		    o->state_dir, &cause) != 0) {
			fprintf(stderr, "rabbitlab: class simulate: %s\n", cause);
			free(cause);
			return -1;
		}
		free(cause);
		s->cs.sent_log = sent;
		s->cs.news = i == 0 ? class_news_stderr : NULL;
		rng_seed(&s->r, o->seed * 1000003u + i);
		s->lesson = (size_t)rng_below(&s->r, o->nlessons);
		s->start = mono_seconds();
		s->next_at = s->start + (double)rng_below(&s->r,
		    o->pace_ms + 1) / 1000.0;
	}
	return 0;
}

/* One pass over the students; returns how many are not done. */
static unsigned
class_sim_pass(struct class_sim *sims, const struct class_cmd_opts *o,
    const struct class_event *lead, int *fds, int *failed)
{
	double now = mono_seconds();
	unsigned busy = 0;

	for (unsigned i = 0; i < o->students; i++) {
		struct class_sim *s = &sims[i];
		char *cause = NULL;
		int waiting = s->made == 0 && !class_link_ready(&s->cs.link) &&
		    now < s->start + CLASS_SIM_CONNECT_S, rc = 1;
		if (s->made < o->events && now >= s->next_at && !waiting) {
			if (!o->follow)
				rc = class_sim_event(s, o, &cause) ? -1 : 1;
			else if (lead)
				rc = class_sim_follow(s, o, lead, &cause);
			else
				rc = 0;
			if (rc < 0) {
				fprintf(stderr, "rabbitlab: class simulate: %s\n",
				    cause);
				free(cause);
				*failed = 1;
			}
			s->made += rc != 0;
			s->next_at = now + (double)(o->pace_ms / 2 +
			    rng_below(&s->r, o->pace_ms + 1)) / 1000.0;
		} else
			class_student_tick(&s->cs);
		fds[i] = class_link_fd(&s->cs.link);
		busy += s->made < o->events || class_student_owed(&s->cs) > 0;
	}
	return busy;
}

int
class_cmd_simulate(const struct class_cmd_opts *o)
{
	struct class_sim *sims;
	struct class_lead lead;
	FILE *sent = NULL;
	char *cause = NULL;
	int *fds, failed = 0;
	double end = o->for_s > 0 ? mono_seconds() + o->for_s : 0;
	unsigned busy = 1;
	size_t owed = 0;

	if (o->nlessons == 0 || o->students == 0) {
		fprintf(stderr, "rabbitlab: class simulate: no lessons or no "
		    "students\n");
		return CLASS_EXIT_BAD;
	}
	if (o->sent && (sent = fopen(o->sent, "w")) == NULL) {
		fprintf(stderr, "rabbitlab: class simulate: --sent %s: %s\n",
		    o->sent, strerror(errno));
		return CLASS_EXIT_BAD;
	}
	sims = xcalloc(o->students, sizeof *sims);
	fds = xcalloc(o->students + 1, sizeof *fds);
	if (class_sim_open(sims, o, sent) != 0)
		failed = CLASS_EXIT_BAD;
	if (o->follow && class_lead_open(&lead, o->url, o->what, o->klass, "",
	    0, &cause) != 0) {
		fprintf(stderr, "rabbitlab: class simulate: %s\n", cause);
		free(cause);
		failed = CLASS_EXIT_BAD; /* lead is zeroed: closing it is safe */
	}
	class_signals();
	while (!failed && busy && !class_stop &&
	    (end == 0 || mono_seconds() < end)) {
		if (o->follow)
			class_lead_tick(&lead);
		busy = class_sim_pass(sims, o, o->follow ?
		    class_lead_heard(&lead) : NULL, fds, &failed);
		fds[o->students] = o->follow ? class_lead_fd(&lead) : -1;
		class_wait(fds, o->students + 1, busy ? CLASS_TICK_MS / 4 : 0);
	}
	if (o->follow) {
		fprintf(o->out, "class simulate: followed %llu lead messages "
		    "(%llu dropped)\n", (unsigned long long)lead.nheard,
		    (unsigned long long)lead.dropped);
		class_lead_close(&lead);
	}
	for (unsigned i = 0; i < o->students; i++) {
		owed += class_student_owed(&sims[i].cs);
		class_student_close(&sims[i].cs);
	}
	free(sims);
	free(fds);
	if (sent)
		fclose(sent);
	if (failed)
		return failed == CLASS_EXIT_BAD ? CLASS_EXIT_BAD : 1;
	fprintf(o->out, "class simulate: %u students, %zu events still owed\n",
	    o->students, owed);
	return owed ? 1 : 0;
}
