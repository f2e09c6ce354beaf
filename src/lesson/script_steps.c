/*
 * The script loader's steps: the top-level keys, toggles, steps with their
 * actions, questions and expectations, and the challenge. An action's
 * parameters must belong to it, names must be declared (script_topo.c),
 * counters must be the ledger's, and a step must do something.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lesson/script_loader.h"
#include "model/ledger.h"
#include "util/xmalloc.h"

static const char *const script_top_keys[] = { "id", "title", "summary",
	"seed", "seed_bound", "sim_only", "topology", "toggles", "steps",
	"challenge", "compare", NULL };
static const char *const script_challenge_keys[] = { "goal", "setup",
	"steps", "expect", "hints", "solution", "fixed", "compare", NULL };
static const char *const script_equeue_keys[] = { "queue", "ready",
	"unacked", NULL };

/* Every key a step may hold: its own, then every action's parameters. */
static const char *const script_step_keys[] = { "say", "do", "ask",
	"choices", "answer", "explain", "expect", "expect_queue", "compare",
	"learner", "count",
	"exchange", "key", "persistent", "expiration_ms", "delay_ms",
	"every_ms", "headers", "set", "failure", "target", "ms", "times",
	"unreadable", "consumer", "us", "until_met", NULL };
/* Where the action parameters start in script_step_keys. */
#define SCRIPT_FIRST_PARAM 10

static const char *const script_publish_params[] = { "count", "exchange",
	"key", "persistent", "expiration_ms", "delay_ms", "every_ms", "headers",
	NULL };
static const char *const script_toggle_params[] = { "set", NULL };
static const char *const script_fail_params[] = { "failure", "target", "ms",
	"times", "unreadable", NULL };
static const char *const script_ms_params[] = { "ms", NULL };
static const char *const script_wait_params[] = { "ms", "us", "until_met",
	NULL };
static const char *const script_consumer_params[] = { "consumer", NULL };
static const char *const script_no_params[] = { NULL };

/* The actions, in the order of enum script_action_kind after ACT_NONE. */
static const char *const script_action_names[] = { "publish", "toggle",
	"fail", "restart", "wait", "settle", "consume", "stop", NULL };
static const char *const *const script_action_params[] = {
	script_publish_params, script_toggle_params, script_fail_params,
	script_no_params, script_wait_params, script_ms_params,
	script_consumer_params, script_consumer_params,
};

static const char *const script_failure_names[] = {
#define SCRIPT_FAILURE_NAME(id, name, help) name,
	FAILURES(SCRIPT_FAILURE_NAME)
#undef SCRIPT_FAILURE_NAME
	NULL
};

/* ---------------------------------------------------------------------- */
/* Toggles                                                                  */

/*
 * Group `g` of toggle settings into a new array *out (n of them): each key
 * a toggle name, each value of the toggle's type and within its range.
 */
static void
script_toggles(struct script_loader *ld, const config_setting_t *g,
    const char *where, int nonempty, struct script_toggle **out, size_t *nout)
{
	int n;

	*out = NULL;
	*nout = 0;
	if (!script_is_group(ld, g, NULL))
		return;
	n = config_setting_length(g);
	if (n == 0 && nonempty) {
		script_report(ld, g, "%s is empty; name at least one toggle",
		    where);
		return;
	}
	if (n == 0)
		return;
	*out = xcalloc((size_t)n, sizeof **out);
	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m);
		const struct toggle_info *info;
		int id = toggle_find(name), type = config_setting_type(m);
		int64_t v = 0;

		if (id < 0 && ld->full)
			continue;
		if (id < 0) {
			const char *sug = script_suggest(name, ld->tnames);
			if (sug)
				script_report(ld, m, "unknown key '%s' in %s "
				    "(did you mean '%s'?)", SCRIPT_CLIP(name),
				    where, sug);
			else
				script_report(ld, m, "unknown key '%s' in %s; "
				    "toggles are %s", SCRIPT_CLIP(name), where,
				    SCRIPT_JOIN(ld->tnames));
			continue;
		}
		info = toggle_info((enum toggle_id)id);
		switch (info->type) {
		case TOGGLE_BOOL:
			if (type != CONFIG_TYPE_BOOL) {
				script_wrong_type(ld, m, NULL, script_want_bool);
				continue;
			}
			v = config_setting_get_bool(m) ? 1 : 0;
			break;
		case TOGGLE_ENUM: {
			const char *choices[9];
			char buf[128];
			size_t k = 0;
			int c;
			snprintf(buf, sizeof buf, "%s", info->choices);
			for (char *p = buf; p && k < 8; k++) {
				choices[k] = p;
				p = strchr(p, '|');
				if (p)
					*p++ = '\0';
			}
			choices[k] = NULL;
			if (script_choice_of(ld, m, NULL, choices, NULL, &c) < 0)
				continue;
			v = c;
			break;
		}
		case TOGGLE_INT:
			if (script_int_of(ld, m, NULL, info->min, info->max,
			    &v) < 0)
				continue;
			break;
		case TOGGLE_RATIO: {
			double d, x;
			if (type == CONFIG_TYPE_FLOAT)
				d = config_setting_get_float(m);
			else if ((type == CONFIG_TYPE_INT ||
			    type == CONFIG_TYPE_INT64) && !script_big(ld, m))
				d = (double)config_setting_get_int64(m);
			else {
				if (!script_big(ld, m))
					script_wrong_type(ld, m, NULL,
					    "a number");
				continue;
			}
			x = d * 1000;
			if (!isfinite(x) || x < (double)info->min - 0.5 ||
			    x > (double)info->max + 0.5) {
				script_report(ld, m, "'%s' is %g, expected %g to "
				    "%g", name, d, (double)info->min / 1000,
				    (double)info->max / 1000);
				continue;
			}
			v = (int64_t)(x < 0 ? x - 0.5 : x + 0.5);
			if (v < info->min)
				v = info->min;
			if (v > info->max)
				v = info->max;
			break;
		}
		}
		(*out)[*nout].id = (enum toggle_id)id;
		(*out)[*nout].value = v;
		(*out)[*nout].line = script_src_line(ld, m);
		(*nout)++;
	}
}


/* ---------------------------------------------------------------------- */
/* Expectations                                                             */

static void
script_counter_add(void *ctx, const char *name)
{
	struct script_loader *ld = ctx;

	ld->counters = xgrow(ld->counters, &ld->capcounters,
	    ld->ncounters + 2, sizeof *ld->counters);
	ld->counters[ld->ncounters++] = xstrdup(name);
	ld->counters[ld->ncounters] = NULL;
}

const char *const *
script_counter_names(struct script_loader *ld)
{
	static const char *const none[] = { NULL };

	if (ld->counters == NULL)
		ledger_counter_names(script_counter_add, ld);
	return ld->counters ? (const char *const *)ld->counters : none;
}

/* A count (min = max) or a range [min, max] of counts. Returns 1 or -1. */
static int
script_range_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, uint64_t *min, uint64_t *max)
{
	int type = config_setting_type(s);
	int64_t a, b;

	if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
		if (script_int_of(ld, s, label, 0, INT64_MAX, &a) < 0)
			return -1;
		*min = *max = (uint64_t)a;
		return 1;
	}
	if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) {
		script_wrong_type(ld, s, label, script_want_range);
		return -1;
	}
	if (config_setting_length(s) != 2) {
		script_report(ld, s, "%s must be a range [min, max] of two "
		    "counts, not %d values", SCRIPT_LABEL(s, label),
		    config_setting_length(s));
		return -1;
	}
	label = SCRIPT_LABEL(s, label);
	if (script_int_of(ld, config_setting_get_elem(s, 0), label, 0,
	    INT64_MAX, &a) < 0 || script_int_of(ld,
	    config_setting_get_elem(s, 1), label, 0, INT64_MAX, &b) < 0)
		return -1;
	if (a > b) {
		script_report(ld, s, "%s is [%lld, %lld]: min is above max",
		    label, (long long)a, (long long)b);
		return -1;
	}
	*min = (uint64_t)a;
	*max = (uint64_t)b;
	return 1;
}

static void
script_expect_add(struct script_expect **v, size_t *n, size_t *cap,
    char *counter, uint64_t min, uint64_t max, int line)
{
	*v = xgrow(*v, cap, *n + 1, sizeof **v);
	(*v)[*n].counter = counter;
	(*v)[*n].min = min;
	(*v)[*n].max = max;
	(*v)[*n].line = line;
	(*n)++;
}

/* expect = { counter = N or [min, max]; ... }, appended to *v. */
static void
script_expect(struct script_loader *ld, const config_setting_t *g,
    struct script_expect **v, size_t *n, size_t *cap)
{
	const char *const *all;
	int count;

	if (!script_is_group(ld, g, NULL))
		return;
	count = config_setting_length(g);
	if (count == 0) {
		script_report(ld, g, "'expect' is empty; name at least one "
		    "counter");
		return;
	}
	all = script_counter_names(ld);
	for (int i = 0; i < count; i++) {
		const config_setting_t *m = config_setting_get_elem(g,
		    (unsigned)i);
		const char *name = config_setting_name(m);
		uint64_t min, max;

		if (!script_has(all, name)) {
			if (ld->full)
				continue;
			if (script_suggest(name, all))
				script_report(ld, m, "unknown counter '%s' in "
				    "expect%s", SCRIPT_CLIP(name),
				    SCRIPT_MEAN(name, all));
			else
				script_report(ld, m, "unknown counter '%s' in "
				    "expect; counters are %s",
				    SCRIPT_CLIP(name), SCRIPT_JOIN(all));
			continue;
		}
		if (script_range_of(ld, m, NULL, &min, &max) < 0)
			continue;
		script_expect_add(v, n, cap, xstrdup(name), min, max,
		    script_src_line(ld, m));
	}
}

/* expect_queue = ( { queue; ready; unacked; }, ... ), appended to *v. */
static void
script_expect_queue(struct script_loader *ld, const config_setting_t *list,
    struct script_expect **v, size_t *n, size_t *cap)
{
	static const char *const fields[] = { "ready", "unacked" };
	int count;

	if (!script_is_list(ld, list, 1, INT32_MAX))
		return;
	count = config_setting_length(list);
	for (int i = 0; i < count; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		const char *queue = NULL;
		char where[48];
		int any = 0;

		snprintf(where, sizeof where, "expect_queue entry %d", i + 1);
		if (!script_is_group(ld, g, where))
			continue;
		script_keys(ld, g, script_equeue_keys, where);
		if (script_ref(ld, g, "queue", 1, where, "queue", ld->qnames,
		    &queue) <= 0)
			queue = NULL;
		for (int f = 0; f < 2; f++) {
			const config_setting_t *m = config_setting_get_member(g,
			    fields[f]);
			uint64_t min, max;

			if (m == NULL)
				continue;
			any = 1;
			if (script_range_of(ld, m, NULL, &min, &max) < 0 ||
			    queue == NULL)
				continue;
			script_expect_add(v, n, cap, xasprintf("queue.%s.%s",
			    queue, fields[f]), min, max, script_src_line(ld, m));
		}
		if (!any)
			script_report(ld, g, "%s expects nothing: give it "
			    "ready, unacked or both", where);
	}
}


/* ---------------------------------------------------------------------- */
/* Steps                                                                    */

/* The failure target: producer, consumer, or a declared name. */
static int
script_fail_target(struct script_loader *ld, const config_setting_t *g,
    const char **out)
{
	static const char *const none[] = { NULL };
	const config_setting_t *s = config_setting_get_member(g, "target");
	const char *const *lists[3];
	const char **all;
	const char *v;
	size_t n = 2, k = 0;

	if (s == NULL)
		return 0;
	if (script_str_of(ld, s, NULL, SCRIPT_STR_NONEMPTY | SCRIPT_STR_SHORT,
	    &v) < 0)
		return -1;
	lists[0] = ld->qnames ? ld->qnames : none;
	lists[1] = ld->xnames ? ld->xnames : none;
	lists[2] = ld->cnames ? ld->cnames : none;
	if (strcmp(v, "producer") == 0 || strcmp(v, "consumer") == 0 ||
	    script_has(lists[0], v) || script_has(lists[1], v) ||
	    script_has(lists[2], v)) {
		*out = v;
		return 1;
	}
	if (ld->full)
		return -1;
	/* Only now is the list of every candidate worth building. */
	n += ld->s->topo.nqueues + ld->s->topo.nexchanges +
	    ld->s->topo.nconsumers;
	all = xcalloc(n + 1, sizeof *all);
	all[k++] = "producer";
	all[k++] = "consumer";
	for (int i = 0; i < 3; i++)
		for (const char *const *p = lists[i]; *p && k < n; p++)
			all[k++] = *p;
	script_report(ld, s, "unknown target '%s'%s; expected producer, "
	    "consumer, or a declared queue, exchange or consumer",
	    SCRIPT_CLIP(v), SCRIPT_MEAN(v, all));
	free(all);
	return -1;
}

static void
script_publish(struct script_loader *ld, const config_setting_t *g,
    struct publish_req *p)
{
	const config_setting_t *ds, *hs;
	const char *x = NULL, *key = NULL;
	int64_t v;
	int xr;

	p->count = 1;
	p->expiration_ms = -1;
	p->delay_ms = -1;
	p->persistent = -1;
	if (script_int(ld, g, "count", 1, 10000000, &v) > 0)
		p->count = (uint32_t)v;
	xr = script_exchange_ref(ld, g, "exchange", 1, &x);
	if (xr > 0)
		p->exchange = xstrdup(x);
	if (script_str(ld, g, "key", SCRIPT_STR_SHORT, &key) > 0)
		p->key = xstrdup(key);
	script_bool(ld, g, "persistent", &p->persistent);
	script_int(ld, g, "expiration_ms", 0, SCRIPT_U32_MAX,
	    &p->expiration_ms);
	ds = config_setting_get_member(g, "delay_ms");
	if (ds && script_int_of(ld, ds, NULL, 0, SCRIPT_U32_MAX,
	    &p->delay_ms) > 0 && xr >= 0) {
		/* Other exchanges ignore x-delay: say so before a run. */
		const char *to = xr > 0 ? x : ld->s->topo.publish_exchange;
		const struct topo_exchange *e = *to ? script_exchange(ld, to) :
		    NULL;
		if (*to == '\0')
			script_report(ld, ds, "'delay_ms' needs an "
			    "x-delayed-message exchange, but this publish goes "
			    "to the default exchange");
		else if (e && e->type != XTYPE_DELAYED)
			script_report(ld, ds, "'delay_ms' needs an "
			    "x-delayed-message exchange, but '%s' is %s",
			    SCRIPT_CLIP(to), topology_exchange_type_name(e->type));
	}
	if (script_int(ld, g, "every_ms", 0, SCRIPT_MS_MAX, &v) > 0)
		p->every_us = v * 1000;
	if ((hs = config_setting_get_member(g, "headers")) != NULL) {
		struct topo_kv *kv;
		p->nheaders = script_pairs(ld, hs, &kv);
		p->headers = kv;
	}
}

static void
script_action(struct script_loader *ld, const config_setting_t *g,
    enum script_action_kind kind, const char *where, struct script_action *a)
{
	const config_setting_t *s;
	const char *v;
	int64_t n;
	int k;

	a->kind = kind;
	switch (kind) {
	case ACT_PUBLISH:
		script_publish(ld, g, &a->publish);
		break;
	case ACT_TOGGLE:
		s = script_get(ld, g, "set", 1, where);
		if (s)
			script_toggles(ld, s, "'set'", 1, &a->toggles,
			    &a->ntoggles);
		break;
	case ACT_FAIL:
		s = script_get(ld, g, "failure", 1, where);
		if (s && script_choice_of(ld, s, NULL, script_failure_names,
		    "failure", &k) > 0)
			a->fail.kind = (enum failure_kind)k;
		if (script_fail_target(ld, g, &v) > 0)
			a->fail.target = xstrdup(v);
		script_int(ld, g, "ms", 0, SCRIPT_MS_MAX, &a->fail.ms);
		if (script_int(ld, g, "times", 0, 1000000, &n) > 0)
			a->fail.times = (int)n;
		script_bool(ld, g, "unreadable", &a->fail.unreadable);
		break;
	case ACT_WAIT:
		script_bool(ld, g, "until_met", &a->until_met);
		/* Recordings keep microseconds: "us" instead of "ms". */
		if (config_setting_get_member(g, "us") != NULL &&
		    config_setting_get_member(g, "ms") == NULL) {
			script_int(ld, g, "us", 0, SCRIPT_MS_MAX * INT64_C(1000),
			    &a->us);
			break;
		}
		s = script_get(ld, g, "ms", 1, where);
		if (s)
			script_int_of(ld, s, NULL, 0, SCRIPT_MS_MAX, &a->ms);
		if (config_setting_get_member(g, "us") != NULL)
			script_report(ld, config_setting_get_member(g, "us"),
			    "a wait takes 'ms' or 'us', not both");
		break;
	case ACT_SETTLE:
		a->ms = 60000;
		script_int(ld, g, "ms", 0, SCRIPT_MS_MAX, &a->ms);
		break;
	case ACT_CONSUME:
	case ACT_STOP:
		if (script_ref(ld, g, "consumer", 0, where, "consumer",
		    ld->cnames, &v) > 0)
			a->consumer = xstrdup(v);
		break;
	case ACT_RESTART:
	case ACT_NONE:
		break;
	}
}

static void
script_question(struct script_loader *ld, const config_setting_t *g,
    const char *where, struct script_step *st)
{
	struct script_question *q = xcalloc(1, sizeof *q);
	const config_setting_t *cs, *as;
	int64_t answer;
	int n = 0;

	st->ask = q;
	script_text(ld, g, "ask", 1, where, &q->prompt);
	cs = script_get(ld, g, "choices", 1, where);
	if (cs && script_is_list(ld, cs, 2, 6)) {
		n = config_setting_length(cs);
		q->choices = xcalloc((size_t)n, sizeof *q->choices);
		q->nchoices = (size_t)n;
		for (int i = 0; i < n; i++) {
			char label[32];
			snprintf(label, sizeof label, "choice %d", i + 1);
			script_text_of(ld, config_setting_get_elem(cs,
			    (unsigned)i), label, &q->choices[i]);
		}
	}
	as = script_get(ld, g, "answer", 1, where);
	if (as && script_int_of(ld, as, NULL, 1, n ? n : 6, &answer) > 0)
		q->answer = (size_t)(answer - 1);
	script_text(ld, g, "explain", 1, where, &q->explain);
}

/*
 * learner = true: the learner performs the step's action by a key. Only
 * actions a key can do qualify: a toggle step setting on/off or choice
 * toggles (a key steps through all their values), a failure, restart,
 * consume/stop of every consumer (the consumers key acts on all of them),
 * and a publish of one or ten messages with the topology's defaults (+ and
 * *, SCRIPT_KEY_PUBLISH and SCRIPT_KEY_BURST).
 */
static void
script_learner(struct script_loader *ld, const config_setting_t *g,
    const char *where, int in_challenge, struct script_step *st)
{
	const config_setting_t *s = config_setting_get_member(g, "learner");
	const struct script_action *a = &st->action;

	if (s == NULL || script_bool(ld, g, "learner", &st->learner) <= 0 ||
	    !st->learner)
		return;
	if (in_challenge) {
		script_report(ld, s, "a challenge step cannot be the "
		    "learner's: in the challenge every key is theirs anyway");
		st->learner = 0;
		return;
	}
	switch (a->kind) {
	case ACT_TOGGLE:
		for (size_t i = 0; i < a->ntoggles; i++) {
			const struct toggle_info *t = toggle_info(a->toggles[i].id);
			if (t->type != TOGGLE_BOOL && t->type != TOGGLE_ENUM) {
				script_report(ld, s, "'learner' needs an action "
				    "a key can do, but %s sets %s, a number a "
				    "key only steps through presets of; "
				    "expected on/off or choice toggles", where,
				    t->name);
				st->learner = 0;
			}
		}
		break;
	case ACT_FAIL:
	case ACT_RESTART:
		break;
	case ACT_PUBLISH: {
		const struct publish_req *p = &a->publish;
		if ((p->count != SCRIPT_KEY_PUBLISH &&
		    p->count != SCRIPT_KEY_BURST) || p->exchange || p->key ||
		    p->persistent >= 0 || p->expiration_ms >= 0 ||
		    p->delay_ms >= 0 || p->every_us > 0 || p->nheaders) {
			script_report(ld, s, "'learner' needs an action a key "
			    "can do, but the keys publish %d or %d with the "
			    "topology's defaults and %s sets more; expected "
			    "count = %d or %d and nothing else", SCRIPT_KEY_PUBLISH,
			    SCRIPT_KEY_BURST, where, SCRIPT_KEY_PUBLISH,
			    SCRIPT_KEY_BURST);
			st->learner = 0;
		}
		break;
	}
	case ACT_CONSUME:
	case ACT_STOP:
		if (a->consumer) {
			script_report(ld, s, "'learner' needs an action a key "
			    "can do, but %s names consumer '%s' and the key "
			    "starts or stops every consumer; expected no "
			    "'consumer'", where, a->consumer);
			st->learner = 0;
		}
		break;
	default:
		script_report(ld, s, "'learner' needs an action a key can "
		    "do; %s has %s; expected do = \"toggle\", \"fail\", "
		    "\"restart\", \"consume\", \"stop\" or \"publish\"", where,
		    a->kind == ACT_NONE ? "no 'do'" :
		    a->kind == ACT_WAIT ? "do = \"wait\"" :
		    "do = \"settle\"");
		st->learner = 0;
		break;
	}
	if (st->learner && st->ask) {
		script_report(ld, s, "%s both asks a question and waits for "
		    "the learner's key; expected one or the other", where);
		st->learner = 0;
	}
}

static void
script_step(struct script_loader *ld, const config_setting_t *g,
    const char *where, int in_challenge, struct script_step *st)
{
	const config_setting_t *ds, *s;
	const char *const *params = NULL;
	int kind = -1, any = 0;

	st->line = script_src_line(ld, g);
	script_keys(ld, g, script_step_keys, where);
	if (config_setting_get_member(g, "say")) {
		any = 1;
		script_text(ld, g, "say", 0, where, &st->say);
	}
	ds = config_setting_get_member(g, "do");
	if (ds) {
		any = 1;
		if (script_choice_of(ld, ds, NULL, script_action_names,
		    "action", &kind) > 0)
			params = script_action_params[kind];
	}
	/* Parameters must belong to the step's action. */
	for (int i = SCRIPT_FIRST_PARAM; script_step_keys[i]; i++) {
		const char *key = script_step_keys[i];
		if ((s = config_setting_get_member(g, key)) == NULL)
			continue;
		if (ds == NULL)
			script_report(ld, s, "'%s' is a parameter of an action, "
			    "but %s has no 'do'", key, where);
		else if (params && !script_has(params, key))
			script_report(ld, s, "'%s' does not apply to do = "
			    "\"%s\"; %s takes %s", key,
			    script_action_names[kind],
			    script_action_names[kind], params[0] ?
			    SCRIPT_JOIN(params) : "no parameters");
	}
	if (params)
		script_action(ld, g, (enum script_action_kind)(ACT_PUBLISH +
		    kind), where, &st->action);
	s = config_setting_get_member(g, "ask");
	if (s && in_challenge) {
		any = 1;
		script_report(ld, s, "a challenge step cannot ask a question");
	} else if (s) {
		any = 1;
		script_question(ld, g, where, st);
	} else {
		static const char *const qkeys[] = { "choices", "answer",
			"explain", NULL };
		for (int i = 0; qkeys[i]; i++)
			if ((s = config_setting_get_member(g, qkeys[i])))
				script_report(ld, s, "'%s' belongs to a question, "
				    "but %s has no 'ask'", qkeys[i], where);
	}
	{
		size_t cap = 0;
		if ((s = config_setting_get_member(g, "expect")) != NULL) {
			any = 1;
			script_expect(ld, s, &st->expects, &st->nexpects, &cap);
		}
		if ((s = config_setting_get_member(g, "expect_queue")) != NULL) {
			any = 1;
			script_expect_queue(ld, s, &st->expects, &st->nexpects,
			    &cap);
		}
	}
	if ((s = config_setting_get_member(g, "compare")) != NULL)
		script_tolerances(ld, s, in_challenge ?
		    SCRIPT_CMP_CHALLENGE_STEP : SCRIPT_CMP_STEP, &st->tolerances,
		    &st->ntolerances);
	script_learner(ld, g, where, in_challenge, st);
	if (!any)
		script_report(ld, g, "%s does nothing: give it at least one of "
		    "say, do, ask, expect, expect_queue", where);
	if (st->action.until_met && st->nexpects == 0)
		script_report(ld, config_setting_get_member(g, "until_met"),
		    "'until_met' ends the wait when the step's expectations "
		    "hold, but %s has no expect or expect_queue", where);
}

/* steps = ( { ... }, ... ) into a new array. */
static void
script_steps(struct script_loader *ld, const config_setting_t *list,
    int in_challenge, struct script_step **out, size_t *nout)
{
	int n;

	if (!script_is_list(ld, list, 1, INT32_MAX))
		return;
	n = config_setting_length(list);
	*out = xcalloc((size_t)n, sizeof **out);
	*nout = (size_t)n;
	for (int i = 0; i < n; i++) {
		const config_setting_t *g = config_setting_get_elem(list,
		    (unsigned)i);
		char where[48];

		snprintf(where, sizeof where, "%sstep %d",
		    in_challenge ? "challenge " : "", i + 1);
		if (script_is_group(ld, g, where)) {
			script_step(ld, g, where, in_challenge, &(*out)[i]);
			script_tolerances_step(ld, g, &(*out)[i], i + 1 == n);
		} else
			(*out)[i].line = script_src_line(ld, g);
	}
}

/*
 * fixed = [ "persistent", ... ]: toggles the challenge keeps as they are;
 * none of them may be in the solution.
 */
static void
script_fixed(struct script_loader *ld, const config_setting_t *s,
    struct script_challenge *c)
{
	int type = config_setting_type(s), n = config_setting_length(s);

	if ((type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST) || n == 0) {
		script_report(ld, s, "'fixed' must name toggles, as "
		    "[ \"persistent\" ]");
		return;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s,
		    (unsigned)i);
		int id;

		if (script_choice_of(ld, e, "'fixed'", ld->tnames, "toggle",
		    &id) < 0)
			continue;
		c->fixed[id] = 1;
		for (size_t k = 0; k < c->nsolution; k++)
			if (c->solution[k].id == (enum toggle_id)id)
				script_report(ld, e, "'fixed' keeps %s as it "
				    "is, yet the solution changes it",
				    ld->tnames[id]);
	}
}

static void
script_challenge(struct script_loader *ld, const config_setting_t *g)
{
	struct script_challenge *c;
	const config_setting_t *s;
	size_t cap = 0;

	if (!script_is_group(ld, g, NULL))
		return;
	c = xcalloc(1, sizeof *c);
	ld->s->challenge = c;
	c->line = script_src_line(ld, g);
	script_keys(ld, g, script_challenge_keys, "the challenge");
	script_text(ld, g, "goal", 1, "the challenge", &c->goal);
	if ((s = config_setting_get_member(g, "setup")) != NULL)
		script_toggles(ld, s, "'setup'", 0, &c->setup, &c->nsetup);
	if ((s = script_get(ld, g, "steps", 1, "the challenge")) != NULL)
		script_steps(ld, s, 1, &c->steps, &c->nsteps);
	if ((s = script_get(ld, g, "expect", 1, "the challenge")) != NULL)
		script_expect(ld, s, &c->expects, &c->nexpects, &cap);
	if ((s = script_get(ld, g, "hints", 1, "the challenge")) != NULL &&
	    script_is_list(ld, s, 1, INT32_MAX)) {
		int n = config_setting_length(s);
		c->hints = xcalloc((size_t)n, sizeof *c->hints);
		c->nhints = (size_t)n;
		for (int i = 0; i < n; i++) {
			char label[32];
			snprintf(label, sizeof label, "hint %d", i + 1);
			script_text_of(ld, config_setting_get_elem(s,
			    (unsigned)i), label, &c->hints[i]);
		}
	}
	if ((s = script_get(ld, g, "solution", 1, "the challenge")) != NULL)
		script_toggles(ld, s, "'solution'", 1, &c->solution,
		    &c->nsolution);
	if ((s = config_setting_get_member(g, "fixed")) != NULL)
		script_fixed(ld, s, c);
	if ((s = config_setting_get_member(g, "compare")) != NULL)
		script_tolerances(ld, s, SCRIPT_CMP_CHALLENGE, &c->tolerances,
		    &c->ntolerances);
}

void
script_root(struct script_loader *ld, const config_setting_t *root)
{
	struct script *s = ld->s;
	const config_setting_t *v;
	const char *id;
	int64_t seed;

	script_keys(ld, root, script_top_keys, "the script");
	v = script_get(ld, root, "id", 1, "the script");
	if (v && script_str_of(ld, v, NULL, 0, &id) > 0) {
		size_t len = strlen(id);
		if (len == 0 || len > SCRIPT_ID_MAX ||
		    strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
			script_report(ld, v, "'id' is '%s'; expected 1 to %d "
			    "lowercase letters, digits and '-', like "
			    "\"01-first-message\"", SCRIPT_CLIP(id),
			    SCRIPT_ID_MAX);
		else
			s->id = xstrdup(id);
	}
	script_text(ld, root, "title", 1, "the script", &s->title);
	script_text(ld, root, "summary", 0, "the script", &s->summary);
	if (script_int(ld, root, "seed", 0, INT64_MAX, &seed) > 0)
		s->seed = (uint64_t)seed;
	if (script_bool(ld, root, "seed_bound", &s->seed_bound) > 0 &&
	    s->seed_bound && config_setting_get_member(root, "seed") == NULL)
		script_report(ld, config_setting_get_member(root, "seed_bound"),
		    "'seed_bound' needs the script's own 'seed': the story is "
		    "written for it");
	script_bool(ld, root, "sim_only", &s->sim_only);
	script_topology(ld, root);
	if ((v = config_setting_get_member(root, "toggles")) != NULL)
		script_toggles(ld, v, "toggles", 0, &s->toggles, &s->ntoggles);
	if ((v = script_get(ld, root, "steps", 1, "the script")) != NULL)
		script_steps(ld, v, 0, &s->steps, &s->nsteps);
	if ((v = config_setting_get_member(root, "challenge")) != NULL)
		script_challenge(ld, v);
	if ((v = config_setting_get_member(root, "compare")) != NULL)
		script_tolerances(ld, v, SCRIPT_CMP_LESSON, &s->tolerances,
		    &s->ntolerances);
	script_tolerances_check(ld);
}
