/*
 * Conformance between the simulated and the live engine.
 *
 * The script player (lesson/play.c) plays a script the way replay does;
 * instead of stopping at an expectation that fails, compare records
 * checkpoints (all ledger counters and queue depths after each step that
 * has expectations, and after the last), the per-message fates and the
 * AMQP reply codes. Two such records are then compared field by field.
 * A difference may be forgiven only by the script itself: a `compare` rule
 * next to the step it concerns (or for a whole run), each with its reason
 * (a rate or a latency is the machine's, a race is the broker's; see
 * lessons/FORMAT.md). Everything else must be equal, but for one rule of
 * the comparer's own: a checkpoint taken mid-stream compares the counters
 * of that stream's progress within CMP_STREAM_TOL.
 */
#include "lesson/compare.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live.h"
#include "lesson/play.h"
#include "model/ledger.h"
#include "util/mono.h"
#include "util/xmalloc.h"

/*
 * A checkpoint taken while the producer still had publishes to send or
 * confirms to wait for is mid-stream: how far a stream has got after N ms
 * is the machine's rate, so the counters that measure that progress are
 * compared within this fraction (0.6: within a factor of 2.5; a loaded
 * 2-vCPU machine, with the relay's hop in every round trip, confirms one
 * message in 0.1-0.25 ms where the facts measured 0.1 ms bare). What a stream ends in is compared exactly
 * at the next checkpoint after it (a settle).
 */
#define CMP_STREAM_TOL 0.6

static const char *const compare_stream_counters[] = {
	"messages", "published", "confirmed", "in_flight", "delivered",
	"redelivered", "effects", "processed", "inconsistent", NULL,
};

/* At most this many per-message differences are printed. */
#define CMP_MAX_FATES 12

#define CMP_MAX_CODES 32

struct cmp_point {
	int line;               /* step line */
	size_t step;            /* 1-based; 0 for the end of the run */
	int midstream;          /* publishes or confirms still pending */
	struct ledger_summary sum;
	uint64_t *ready, *unacked;
};

struct cmp_fate {
	uint8_t fate, reason, notice;
};

struct cmp_code {
	int kind, code;
	uint64_t n;
};

struct cmp_run {
	const char *label;      /* engine name */
	struct cmp_point *pts;
	size_t npts, pts_cap;
	struct cmp_fate *fates;
	uint32_t nfates;
	struct cmp_code codes[CMP_MAX_CODES];
	size_t ncodes;
	size_t nqueues;
	const char **qnames;    /* borrowed from the script */
	struct play *play;      /* the run being recorded */
	FILE *events;
	int failed_expect;      /* expectations that did not hold */
	/* When each step began and ended, in us after the first began. */
	int64_t *starts, *ends;
	size_t nstarts, starts_cap, ends_cap;
	int64_t t0;             /* the engine's clock at the first step */
	/* The run whose step starts this one keeps to (NULL: none). */
	const struct cmp_run *lead;
};

struct cmp_ctx {
	const struct script *s;
	const struct compare_opts *o;
	char **counters;
	size_t ncounters, counters_cap;
	unsigned diffs;
	unsigned midstream;     /* checkpoints compared as mid-stream */
	const char *phase;      /* "" or "challenge ..." */
	enum play_run run;      /* the run being compared */
};

static void
cmp_counter_name(void *ctx, const char *name)
{
	struct cmp_ctx *c = ctx;

	c->counters = xgrow(c->counters, &c->counters_cap, c->ncounters + 1,
	    sizeof *c->counters);
	c->counters[c->ncounters++] = xstrdup(name); /* name is borrowed */
}

static void
cmp_sink(void *ctx, const struct event *ev)
{
	struct cmp_run *r = ctx;

	if (ev->code > 0) {
		size_t i;
		for (i = 0; i < r->ncodes; i++)
			if (r->codes[i].kind == (int)ev->kind &&
			    r->codes[i].code == ev->code)
				break;
		if (i == r->ncodes && r->ncodes < CMP_MAX_CODES)
			r->codes[r->ncodes++] = (struct cmp_code){ (int)ev->kind,
				ev->code, 0 };
		if (i < CMP_MAX_CODES)
			r->codes[i].n++;
	}
	if (r->events) {
		fprintf(r->events, "%-5s ", r->label);
		event_print_text(r->events, ev);
	}
}

static void
cmp_run_free(struct cmp_run *r)
{
	for (size_t i = 0; i < r->npts; i++) {
		free(r->pts[i].ready);
		free(r->pts[i].unacked);
	}
	free(r->pts);
	free(r->fates);
	free(r->starts);
	free(r->ends);
	free(r->qnames);
	memset(r, 0, sizeof *r);
}

/* Records the run now: every counter and queue depth. */
static void
cmp_checkpoint(struct cmp_run *r, const struct script_step *st, size_t step)
{
	struct play *pl = r->play;
	struct cmp_point *p;
	struct engine_view v;

	r->pts = xgrow(r->pts, &r->pts_cap, r->npts + 1, sizeof *r->pts);
	p = &r->pts[r->npts++];
	memset(p, 0, sizeof *p);
	p->line = st ? st->line : 0;
	p->step = step;
	ledger_summarize(pl->ledger, &p->sum);
	p->ready = xcalloc(r->nqueues + 1, sizeof *p->ready);
	p->unacked = xcalloc(r->nqueues + 1, sizeof *p->unacked);
	pl->ops->view(pl->e, &v);
	p->midstream = v.producer_pending > 0 || v.producer_outstanding > 0;
	for (size_t i = 0; i < v.nqueues && i < r->nqueues; i++) {
		p->ready[i] = v.queues[i].exists ? v.queues[i].ready : 0;
		p->unacked[i] = v.queues[i].exists ? v.queues[i].unacked : 0;
	}
	/* The run's own expectations, for the summary line. */
	for (size_t i = 0; st && play_judged(pl) && i < st->nexpects; i++) {
		struct play_check ck;
		if (play_eval(&p->sum, v.queues, v.nqueues, &st->expects[i],
		    &ck) != PLAY_HELD)
			r->failed_expect++;
	}
}

/*
 * Steps the live engine performs by waiting on its broker, which the
 * simulator does at once: a consumer stopped or started (basic.cancel or
 * basic.consume, and the broker's answer) takes effect at the end of the
 * wait; a node restarted is up at the end of the wait (its clients' retry
 * timers meanwhile find it down, seed 2); a policy (queue_full, message_expiry) is worked out from the queue
 * as it stands when the step begins, then set by rabbitmqctl, about a
 * second later.
 */
enum cmp_wait { CMP_NO_WAIT, CMP_WAIT_BEFORE, CMP_WAIT_AFTER };

static enum cmp_wait
cmp_wait_kind(const struct script_step *st)
{
	const struct script_action *a = &st->action;

	if (a->kind == ACT_STOP || a->kind == ACT_CONSUME ||
	    a->kind == ACT_RESTART)
		return CMP_WAIT_BEFORE;
	if (a->kind == ACT_FAIL && (a->fail.kind == FAIL_QUEUE_FULL ||
	    a->fail.kind == FAIL_MESSAGE_EXPIRY))
		return CMP_WAIT_AFTER;
	return CMP_NO_WAIT;
}

/*
 * A run that follows a lead lets the time the lead spent waiting on its
 * broker at step i pass too (less what it has spent on the step itself):
 * before a stop or consume, after a policy, so the two runs' timers and
 * steps keep their order. Other steps keep their own pace: how much a
 * burst gets done in a window is what a rate check measures (f09).
 */
static void
cmp_follow(struct cmp_run *r, size_t i, const struct script_step *st,
    enum cmp_wait when)
{
	const struct engine_ops *ops = r->play->ops;
	struct engine *e = r->play->e;
	int64_t spent;
	char *cause = NULL;

	if (r->lead == NULL || i >= r->lead->nstarts ||
	    cmp_wait_kind(st) != when)
		return;
	spent = r->lead->ends[i] - r->lead->starts[i] -
	    (ops->now(e) - r->t0 - r->starts[i]);
	/* Only a failing engine refuses to let time pass; its next step
	   says so. */
	if (spent > 0 && ops->advance(e, spent, &cause) != 0)
		free(cause);
}

/* Before each step: notes when it begins (and follows the lead). */
static void
cmp_before(void *ctx, size_t i, const struct script_step *st)
{
	struct cmp_run *r = ctx;
	const struct engine_ops *ops = r->play->ops;

	if (i == 0)
		r->t0 = ops->now(r->play->e);
	r->starts = xgrow(r->starts, &r->starts_cap, i + 1, sizeof *r->starts);
	r->ends = xgrow(r->ends, &r->ends_cap, i + 1, sizeof *r->ends);
	r->starts[i] = ops->now(r->play->e) - r->t0;
	r->nstarts = i + 1;
	cmp_follow(r, i, st, CMP_WAIT_BEFORE);
}

/* After each step: a checkpoint if it has expectations or is the last. */
static int
cmp_after(void *ctx, size_t i, const struct script_step *st)
{
	struct cmp_run *r = ctx;
	size_t n;
	const struct script_step *steps = play_steps(r->play, r->play->run,
	    &n);

	cmp_follow(r, i, st, CMP_WAIT_AFTER);
	r->ends[i] = r->play->ops->now(r->play->e) - r->t0;
	if (script_checkpoint(steps, n, i))
		cmp_checkpoint(r, st, i + 1);
	return 0;
}

/* Plays `run` on a fresh engine; fills *r. Returns 0 or -1 with *why. */
static int
cmp_play(const struct script *s, const struct engine_ops *ops,
    const struct compare_opts *o, enum play_run run, struct cmp_run *r,
    char **why)
{
	static const struct play_hooks hooks = { cmp_before, cmp_after };
	struct play_opts po;
	struct play pl;
	char *cause = NULL;
	int rc;
	uint32_t max;

	r->label = ops->name;
	r->nqueues = s->topo.nqueues;
	r->qnames = xcalloc(r->nqueues + 1, sizeof *r->qnames);
	for (size_t i = 0; i < r->nqueues; i++)
		r->qnames[i] = s->topo.queues[i].name;
	memset(&po, 0, sizeof po);
	po.ops = ops;
	po.url = ops->caps & ENGINE_CAP_REAL_BROKER ? o->url : NULL;
	po.has_seed = o->has_seed;
	po.seed = o->seed;
	po.sink = cmp_sink;
	po.sink_ctx = r;
	play_init(&pl, s, &po);
	r->play = &pl;
	if (play_start(&pl, run, &cause) != 0) {
		*why = xasprintf("%s: %s engine: %s", s->path, ops->name,
		    cause ? cause : "the engine could not start");
		free(cause);
		play_done(&pl);
		r->play = NULL;
		return -1;
	}
	rc = play_walk(&pl, &hooks, r, &cause);
	if (rc < 0) {
		*why = xasprintf("%s engine: %s", ops->name, cause);
		free(cause);
		play_done(&pl);
		r->play = NULL;
		return -1;
	}
	max = ledger_max_id(pl.ledger);
	r->nfates = max;
	r->fates = xcalloc((size_t)max + 1, sizeof *r->fates);
	for (uint32_t id = 1; id <= max; id++) {
		const struct ledger_entry *le = ledger_entry(pl.ledger, id);
		struct cmp_fate *f = &r->fates[id];
		f->fate = (uint8_t)ledger_fate(le);
		if (f->fate == FATE_LOST) {
			f->reason = le->reason;
			f->notice = le->notice;
		}
	}
	play_done(&pl);
	r->play = NULL;
	return 0;
}

/*
 * The script's rule for a difference in `counter` at checkpoint `p` (NULL:
 * the run's fates and codes), or NULL.
 */
static const struct script_tolerance *
cmp_rule(const struct cmp_ctx *c, const struct cmp_point *p,
    const char *counter)
{
	return play_rule(c->s, c->run, p ? p->step : 0, counter);
}

static int
cmp_stream_counter(const char *counter)
{
	if (strncmp(counter, "queue.", 6) == 0)
		return 1;
	for (size_t i = 0; compare_stream_counters[i]; i++)
		if (strcmp(compare_stream_counters[i], counter) == 0)
			return 1;
	return 0;
}

/* Whether a and b are equal under the rules. */
static int
cmp_same(const struct cmp_ctx *c, const struct cmp_point *p, int mid,
    const char *counter, uint64_t a, uint64_t b)
{
	const struct script_tolerance *r;
	double big = (double)(a > b ? a : b), tol;

	if (a == b)
		return 1;
	r = cmp_rule(c, p, counter);
	if (r && r->within == 0)
		return 1;
	tol = r ? r->within : -1;
	if (mid && cmp_stream_counter(counter) && tol < CMP_STREAM_TOL)
		tol = CMP_STREAM_TOL;
	if (tol < 0)
		return 0;
	if (fabs((double)a - (double)b) <= tol * big)
		return 1;
	/* Loaded: the smaller may be load_factor times smaller again. */
	return c->o->load_factor > 1 &&
	    (double)(a < b ? a : b) >= (1 - tol) * big / c->o->load_factor;
}

static void
cmp_diff(struct cmp_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cmp_diff(struct cmp_ctx *c, const char *fmt, ...)
{
	va_list ap;

	c->diffs++;
	fputs("   ", c->o->out);
	if (c->phase[0])
		fprintf(c->o->out, "%s: ", c->phase);
	va_start(ap, fmt);
	vfprintf(c->o->out, fmt, ap);
	va_end(ap);
	fputc('\n', c->o->out);
}

static void
cmp_where(char *buf, size_t len, const struct cmp_point *p)
{
	if (p->step)
		snprintf(buf, len, "step %zu (line %d)", p->step, p->line);
	else
		snprintf(buf, len, "end");
}

static void
cmp_fate_text(char *buf, size_t len, const struct cmp_fate *f, int present)
{
	if (!present)
		snprintf(buf, len, "never seen");
	else if (f->fate == FATE_LOST)
		snprintf(buf, len, "lost (%s, told %s)",
		    event_reason_name(f->reason),
		    event_notice_name(f->notice));
	else
		snprintf(buf, len, "%s", ledger_fate_name(f->fate));
}

/* Compares two runs of the same steps; prints each difference. */
static void
cmp_runs(struct cmp_ctx *c, const struct cmp_run *a, const struct cmp_run *b)
{
	size_t n = a->npts < b->npts ? a->npts : b->npts;
	uint32_t maxid;
	unsigned nfate;
	int fates = cmp_rule(c, NULL, "fates") == NULL;
	int reasons = cmp_rule(c, NULL, "reasons") == NULL;
	int repeats = cmp_rule(c, NULL, "repeats") == NULL;
	char where[64], ta[96], tb[96];

	if (a->npts != b->npts)
		cmp_diff(c, "checkpoints: %s %zu, %s %zu", a->label, a->npts,
		    b->label, b->npts);
	for (size_t i = 0; i < n; i++) {
		const struct cmp_point *pa = &a->pts[i], *pb = &b->pts[i];
		int mid = pa->midstream || pb->midstream;
		cmp_where(where, sizeof where, pa);
		if (mid)
			c->midstream++;
		for (size_t k = 0; k < c->ncounters; k++) {
			uint64_t va = 0, vb = 0;
			ledger_counter(&pa->sum, c->counters[k], &va);
			ledger_counter(&pb->sum, c->counters[k], &vb);
			if (!cmp_same(c, pa, mid, c->counters[k], va, vb))
				cmp_diff(c, "%s: %s: %s %" PRIu64 ", %s %"
				    PRIu64, where, c->counters[k], a->label, va,
				    b->label, vb);
		}
		for (size_t q = 0; q < a->nqueues; q++) {
			char name[300];
			snprintf(name, sizeof name, "queue.%s.ready",
			    a->qnames[q]);
			if (!cmp_same(c, pa, mid, name, pa->ready[q],
			    pb->ready[q]))
				cmp_diff(c, "%s: %s: %s %" PRIu64 ", %s %"
				    PRIu64, where, name, a->label, pa->ready[q],
				    b->label, pb->ready[q]);
			snprintf(name, sizeof name, "queue.%s.unacked",
			    a->qnames[q]);
			if (!cmp_same(c, pa, mid, name, pa->unacked[q],
			    pb->unacked[q]))
				cmp_diff(c, "%s: %s: %s %" PRIu64 ", %s %"
				    PRIu64, where, name, a->label,
				    pa->unacked[q], b->label, pb->unacked[q]);
		}
	}
	maxid = a->nfates > b->nfates ? a->nfates : b->nfates;
	nfate = 0;
	for (uint32_t id = 1; fates && id <= maxid; id++) {
		int ina = id <= a->nfates, inb = id <= b->nfates;
		struct cmp_fate fa = ina ? a->fates[id] : (struct cmp_fate){ 0 };
		struct cmp_fate fb = inb ? b->fates[id] : (struct cmp_fate){ 0 };
		uint8_t ka = fa.fate, kb = fb.fate;
		if (!repeats && ka == FATE_DUPLICATED)
			ka = FATE_PROCESSED;
		if (!repeats && kb == FATE_DUPLICATED)
			kb = FATE_PROCESSED;
		if (ina == inb && ka == kb && (!reasons ||
		    (fa.reason == fb.reason && fa.notice == fb.notice)))
			continue;
		if (++nfate > CMP_MAX_FATES) {
			c->diffs++;
			continue;
		}
		cmp_fate_text(ta, sizeof ta, &fa, ina);
		cmp_fate_text(tb, sizeof tb, &fb, inb);
		cmp_diff(c, "m%" PRIu32 ": %s %s, %s %s", id, a->label, ta,
		    b->label, tb);
	}
	if (nfate > CMP_MAX_FATES)
		fprintf(c->o->out, "   ... and %u more messages whose fates "
		    "differ\n", nfate - CMP_MAX_FATES);
	if (cmp_rule(c, NULL, "codes"))
		return;
	for (int pass = 0; pass < 2; pass++) {
		const struct cmp_run *x = pass ? b : a, *y = pass ? a : b;
		for (size_t i = 0; i < x->ncodes; i++) {
			uint64_t other = 0;
			for (size_t k = 0; k < y->ncodes; k++)
				if (y->codes[k].kind == x->codes[i].kind &&
				    y->codes[k].code == x->codes[i].code)
					other = y->codes[k].n;
			if (other == x->codes[i].n || (pass && other))
				continue;
			cmp_diff(c, "%s %d: %s %" PRIu64 ", %s %" PRIu64,
			    event_kind_text((enum event_kind)x->codes[i].kind),
			    x->codes[i].code, x->label,
			    pass ? x->codes[i].n : x->codes[i].n, y->label,
			    other);
		}
	}
}

/* Plays the same run on both engines and compares them. */
static int
cmp_pair(struct cmp_ctx *c, enum play_run run, char **why)
{
	const struct engine_ops *left = c->o->left ? c->o->left :
	    &engine_sim_ops;
	const struct engine_ops *right = c->o->right ? c->o->right :
	    &engine_live_ops;
	struct cmp_run a, b;
	int rc;

	c->phase = run == PLAY_LESSON ? "" : run == PLAY_CHALLENGE ?
	    "challenge without the solution" : "challenge with the solution";
	c->run = run;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.events = b.events = c->o->events ? c->o->out : NULL;
	/* The right (live) run first: the left follows its slow steps. */
	a.lead = &b;
	rc = cmp_play(c->s, right, c->o, run, &b, why);
	if (rc == 0)
		rc = cmp_play(c->s, left, c->o, run, &a, why);
	if (rc == 0) {
		cmp_runs(c, &a, &b);
		if (b.failed_expect && !a.failed_expect)
			fprintf(c->o->out, "   %s%s%d expectation%s of the "
			    "script did not hold on %s\n", c->phase,
			    c->phase[0] ? ": " : "", b.failed_expect,
			    b.failed_expect == 1 ? "" : "s", b.label);
	}
	cmp_run_free(&a);
	cmp_run_free(&b);
	return rc;
}

/* Prints the n rules of one place, `at` naming it, each with its reason. */
static void
cmp_print_rules(FILE *out, const struct script_tolerance *t, size_t n,
    const char *at)
{
	for (size_t i = 0; i < n; i++) {
		fputs(t[i].within > 0 ? "   (compared within " :
		    "   (not compared ", out);
		if (t[i].within > 0)
			fprintf(out, "%g%% ", t[i].within * 100);
		fprintf(out, "%s%s%s: ", at, t[i].onward ? " and after" : "",
		    t[i].run == SCRIPT_RUN_WITHOUT ?
		    " (the run without the solution)" :
		    t[i].run == SCRIPT_RUN_WITH ?
		    " (the run with the solution)" : "");
		for (size_t k = 0; k < t[i].ncounters; k++)
			fprintf(out, "%s%s", k ? ", " : "", t[i].counters[k]);
		fprintf(out, ": %s)\n", t[i].why);
	}
}

/* The rules of n steps, each placed as "at <what> N (line L)". */
static void
cmp_print_step_rules(FILE *out, const struct script_step *steps, size_t n,
    const char *what)
{
	char at[64];

	for (size_t i = 0; i < n; i++) {
		snprintf(at, sizeof at, "at %s %zu (line %d)", what, i + 1,
		    steps[i].line);
		cmp_print_rules(out, steps[i].tolerances, steps[i].ntolerances,
		    at);
	}
}

/* The script's rules for the runs compared. */
static void
cmp_print_all_rules(FILE *out, const struct script *s, int challenge)
{
	const struct script_challenge *c = s->challenge;

	cmp_print_step_rules(out, s->steps, s->nsteps, "step");
	cmp_print_rules(out, s->tolerances, s->ntolerances,
	    "in the lesson's run");
	if (!challenge || c == NULL)
		return;
	cmp_print_step_rules(out, c->steps, c->nsteps, "challenge step");
	cmp_print_rules(out, c->tolerances, c->ntolerances,
	    "in the challenge");
}

int
compare_script(const struct script *s, const struct compare_opts *o,
    char **why)
{
	struct cmp_ctx c;
	int rc;

	*why = NULL;
	memset(&c, 0, sizeof c);
	c.s = s;
	c.o = o;
	ledger_counter_names(cmp_counter_name, &c);
	fprintf(o->out, "== %s: %s vs %s, seed %" PRIu64 "\n", s->id,
	    o->left ? o->left->name : "sim",
	    o->right ? o->right->name : "live",
	    o->has_seed ? o->seed : s->seed);
	rc = cmp_pair(&c, PLAY_LESSON, why);
	if (rc == 0 && o->challenge && s->challenge) {
		rc = cmp_pair(&c, PLAY_CHALLENGE, why);
		if (rc == 0)
			rc = cmp_pair(&c, PLAY_SOLVED, why);
	}
	cmp_print_all_rules(o->out, s, o->challenge);
	for (size_t i = 0; i < c.ncounters; i++)
		free(c.counters[i]);
	free(c.counters);
	if (c.midstream)
		fprintf(o->out, "   (%u checkpoint%s taken mid-stream: its rate "
		    "counters compared within %.0f%%)\n", c.midstream,
		    c.midstream == 1 ? "" : "s", CMP_STREAM_TOL * 100);
	if (o->load_factor > 1)
		fprintf(o->out, "   (a loaded machine: what measures speed may "
		    "also be %u times slower)\n", o->load_factor);
	if (rc != 0)
		return COMPARE_ERROR;
	fprintf(o->out, "== %s: %s\n", s->id, c.diffs ? "DIFFERENT" :
	    "the ledgers match");
	return c.diffs ? COMPARE_DIFFERENT : COMPARE_EQUAL;
}

int
compare_wall_time(const struct script *s, const char *url, double *sim_s,
    double *live_s, char **why)
{
	struct compare_opts o;
	struct cmp_run r;
	double t0;
	int rc;

	*why = NULL;
	memset(&o, 0, sizeof o);
	o.url = url;
	memset(&r, 0, sizeof r);
	t0 = mono_seconds();
	rc = cmp_play(s, &engine_sim_ops, &o, PLAY_LESSON, &r, why);
	*sim_s = mono_seconds() - t0;
	cmp_run_free(&r);
	if (rc != 0)
		return -1;
	t0 = mono_seconds();
	rc = cmp_play(s, &engine_live_ops, &o, PLAY_LESSON, &r, why);
	*live_s = mono_seconds() - t0;
	cmp_run_free(&r);
	return rc;
}
