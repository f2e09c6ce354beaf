/*
 * The screen's names for the model's identifiers. Each table below holds
 * the English msgid under a gettext context ("event", "reason", ...), so
 * that a word the scoreboard, the log and the glossary share is translated
 * once, and so that the same English word in two roles ("expired" as an
 * event, as a loss reason) can read differently. The English msgids are
 * the model's own texts, which stay the transcript's words.
 */
#include "ui/words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/i18n.h"
#include "util/utf8.h"

/* gettext's pgettext: `ctx` EOT `id`, or `id` when there is no entry. */
const char *
words_in(const char *ctx, const char *id)
{
	char key[256];
	const char *tr;

	if (id == NULL || *id == '\0')
		return id ? id : "";
	if ((size_t)snprintf(key, sizeof key, "%s\004%s", ctx, id) >=
	    sizeof key)
		return id;
	tr = dgettext(I18N_DOMAIN, key);
	return tr == key ? id : tr;
}

/*
 * Marks for the msgids below (they are the model's strings, listed here so
 * the catalogue's author sees every one): kinds that are AMQP frames have
 * no entry and stay as on the wire.
 */
const char *
words_kind(enum event_kind kind)
{
	return words_in("event", event_kind_text(kind));
}

const char *
words_reason(enum loss_reason reason)
{
	return words_in("reason", event_reason_name(reason));
}

const char *
words_reason_text(enum loss_reason reason)
{
	const char *t = event_reason_text(reason);

	return *t ? _(t) : t; /* _("") is the catalogue's header */
}

const char *
words_hop(enum loss_reason reason)
{
	return words_in("hop", event_reason_hop(reason));
}

const char *
words_notice(enum loss_notice notice)
{
	/* The transcript says "nothing" where the table says "silent". */
	return words_in("notice", notice == NOTICE_SILENT ? "nothing" :
	    event_notice_name(notice));
}

const char *
words_actor(enum event_actor actor)
{
	return words_in("actor", event_actor_name(actor));
}

/* Ledger counters: script name, English label (the msgid). */
static const struct {
	const char *name, *label;
} words_counters[] = {
	{ "messages", N_("messages") },
	{ "published", N_("published") },
	{ "confirmed", N_("confirmed") },
	{ "nacked", N_("nacked") },
	{ "returned", N_("returned") },
	{ "delivered", N_("delivered") },
	{ "redelivered", N_("redelivered") },
	{ "effects", N_("effects") },
	{ "in_flight", N_("in flight") },
	{ "processed", N_("processed") },
	{ "duplicated", N_("duplicated") },
	{ "dead_lettered", N_("dead-lettered") },
	{ "lost", N_("lost") },
	{ "lost_silent", N_("lost silently") },
	{ "lost_notified", N_("lost, told") },
	{ "inconsistent", N_("inconsistent") },
	{ "repaired", N_("repaired") },
};

const char *
words_counter(const char *name)
{
	static char lost_by[LOSS_COUNT][96];
	int r;

	for (size_t i = 0; i < sizeof words_counters / sizeof words_counters[0];
	    i++)
		if (strcmp(words_counters[i].name, name) == 0)
			return words_in("counter", words_counters[i].label);
	if (strncmp(name, "lost_", 5) != 0)
		return name;
	r = event_reason_find(name + 5);
	if (r <= LOSS_NONE)
		return name;
	/* TRANSLATORS: a ledger counter: messages lost for this reason. */
	snprintf(lost_by[r], sizeof lost_by[r], _("lost (%s)"),
	    words_reason((enum loss_reason)r));
	return lost_by[r];
}

const char *
words_toggle(enum toggle_id id)
{
	if ((unsigned)id >= TOGGLE_COUNT)
		return "?";
	return words_in("toggle", toggle_info(id)->name);
}

const char *
words_toggle_named(const char *name)
{
	int id = toggle_find(name);

	return id < 0 ? name : words_toggle((enum toggle_id)id);
}

const char *
words_choice(enum toggle_id id, int64_t value)
{
	static char buf[48];

	toggle_format(id, value, buf, sizeof buf);
	return words_in("value", buf);
}

const char *
words_failure(enum failure_kind kind)
{
	return words_in("failure", engine_failure_name(kind));
}

const char *
words_failure_named(const char *name)
{
	return words_in("failure", name);
}

const char *
words_assignment(const char *text, char *buf, size_t len)
{
	const char *eq = strchr(text, '='), *expected, *value;
	char name[64];
	int64_t v;
	int id;

	if (eq == NULL || (size_t)(eq - text) >= sizeof name) {
		snprintf(buf, len, "%s", text);
		return buf;
	}
	snprintf(name, sizeof name, "%.*s", (int)(eq - text), text);
	id = toggle_find(name);
	if (id < 0 || toggle_parse((enum toggle_id)id, eq + 1, &v,
	    &expected) != 0) {
		snprintf(buf, len, "%s", text);
		return buf;
	}
	switch (toggle_info((enum toggle_id)id)->type) {
	case TOGGLE_BOOL:
		value = words_in("value", v ? "true" : "false");
		break;
	case TOGGLE_ENUM:
		value = words_choice((enum toggle_id)id, v);
		break;
	default:
		value = eq + 1;
		break;
	}
	snprintf(buf, len, "%s=%s", words_toggle((enum toggle_id)id), value);
	return buf;
}

/* "expired; x-death count=2 from q" -> the reason translated, "from" too. */
static void
words_death(const char *detail, char *buf, size_t len)
{
	const char *semi = strchr(detail, ';'), *from = strstr(detail, " from ");
	char reason[32];

	if (semi == NULL || from == NULL || from < semi ||
	    (size_t)(semi - detail) >= sizeof reason) {
		snprintf(buf, len, "%s", words_in("detail", detail));
		return;
	}
	snprintf(reason, sizeof reason, "%.*s", (int)(semi - detail), detail);
	/* TRANSLATORS: dead-lettered: why (an x-death reason), the x-death
	 * header's count as on the wire, and the queue it came from. */
	snprintf(buf, len, _("%s;%.*s from %s"),
	    words_in("x-death", reason), (int)(from - semi - 1), semi + 1,
	    from + 6);
}

/*
 * The watch's sentences for a failure it did (src/watch/watch_ctl.c) and
 * for what a broken connection may have lost (watch_decode.c), with
 * every number and name as %s. Each is translated as a whole, its %s
 * filled in the same order.
 */
static const char *const words_watch_done[] = {
	N_("killed the node %s with kill -9; the application's connections "
	    "are gone"),
	N_("stopped the node %s; the application's connections are gone"),
	N_("the node %s is back after %s s"),
	N_("exchange %s deleted"),
	N_("queue %s: message-ttl %s ms, by a policy"),
	N_("queue %s: max-length %s, reject-publish, by a policy"),
	N_("c%s %s: black-holed for %s ms"),
	N_("c%s %s: black-holed until healed"),
	N_("c%s %s: passes bytes again"),
	N_("c%s %s: cut, reset both ways"),
	N_("c%s: %s delivered with auto-ack on it; any still in the "
	    "application's buffer are lost, and the wire does not show which"),
};

#define WORDS_ARGS 4

/* Whether `s` is `pat` with each %s standing for some text (a %s runs to
 * the next literal part); the texts go to arg[], at most WORDS_ARGS. */
static int
words_match(const char *pat, const char *s, char arg[][96], int *nargs)
{
	*nargs = 0;
	while (*pat) {
		const char *lit, *next, *at;
		size_t ll;
		if (pat[0] != '%' || pat[1] != 's') {
			if (*pat++ != *s++)
				return 0;
			continue;
		}
		if (*nargs == WORDS_ARGS)
			return 0;
		lit = pat + 2;
		next = strstr(lit, "%s");
		ll = next ? (size_t)(next - lit) : strlen(lit);
		if (next == NULL) {
			/* The last literal part is the end of s (or, empty,
			 * the %s takes the rest). */
			size_t sl = strlen(s);
			if (sl < ll || strcmp(s + sl - ll, lit) != 0)
				return 0;
			at = s + sl - ll;
		} else {
			/* The first place the literal part comes next. */
			for (at = s; *at && strncmp(at, lit, ll) != 0; at++)
				;
			if (*at == '\0')
				return 0;
		}
		if (at == s || (size_t)(at - s) >= sizeof arg[0])
			return 0;
		snprintf(arg[(*nargs)++], sizeof arg[0], "%.*s",
		    (int)(at - s), s);
		s = at;
		pat += 2;
	}
	return *s == '\0';
}

/* A watch failure's sentence in the screen's language, into buf; 0 if it
 * is none of words_watch_done. */
static int
words_watch(const char *detail, char *buf, size_t len)
{
	char arg[WORDS_ARGS][96];
	int n;

	for (size_t i = 0; i < sizeof words_watch_done /
	    sizeof words_watch_done[0]; i++) {
		const char *tr, *p;
		size_t o = 0;
		int k = 0;
		if (!words_match(words_watch_done[i], detail, arg, &n))
			continue;
		tr = _(words_watch_done[i]);
		buf[0] = '\0';
		for (p = tr; *p && o + 1 < len; p++) {
			if (p[0] == '%' && p[1] == 's' && k < n) {
				o += (size_t)snprintf(buf + o, len - o, "%s",
				    arg[k++]);
				if (o >= len)
					o = len - 1;
				p++;
				continue;
			}
			buf[o++] = *p;
			buf[o] = '\0';
		}
		return 1;
	}
	return 0;
}

const char *
words_detail(enum event_kind kind, const char *detail, char *buf, size_t len)
{
	const char *p;

	switch (kind) {
	case EV_TOGGLE:
		return words_assignment(detail, buf, len);
	case EV_FRAME:
		if (words_watch(detail, buf, len))
			return buf;
		break;
	case EV_FAILURE:
		if (!words_watch(detail, buf, len))
			snprintf(buf, len, "%s", words_failure_named(detail));
		return buf;
	case EV_DEAD_LETTER:
		words_death(detail, buf, len);
		return buf;
	case EV_PUBLISH:
		if (strncmp(detail, "key=", 4) == 0) {
			/* TRANSLATORS: the routing key of a basic.publish. */
			if (detail[4] == '\0')
				snprintf(buf, len, "%s", _("empty key"));
			else
				snprintf(buf, len, _("key=%s"), detail + 4);
			return buf;
		}
		break;
	case EV_CHANNEL_CLOSE:
		if (strncmp(detail, "no exchange '", 13) == 0 &&
		    (p = strstr(detail + 13, "' in vhost '")) != NULL) {
			/* TRANSLATORS: channel.close 404: exchange, vhost. */
			snprintf(buf, len, _("no exchange '%.*s' in vhost '%.*s'"),
			    (int)(p - detail - 13), detail + 13,
			    (int)strcspn(p + 12, "'"), p + 12);
			return buf;
		}
		break;
	default:
		break;
	}
	snprintf(buf, len, "%s", words_in("detail", detail));
	return buf;
}

/* Appends `s` (n bytes) to out at *o, always terminated. */
static void
words_put(char *out, size_t len, size_t *o, const char *s, size_t n)
{
	if (*o + 1 >= len)
		return;
	if (n > len - 1 - *o)
		n = utf8_cut(s, len - 1 - *o); /* never half a character */
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
}

/*
 * The loss bracket "[REASON at HOP: TEXT; producer told: NOTICE]" (the
 * part after "producer told" only on LOST) rewritten from the tables.
 */
static void
words_loss(const char *b, enum event_kind kind, char *out, size_t len,
    size_t *o)
{
	char name[40], line[300];
	const char *at = strstr(b, " at "), *told = strstr(b, "told: ");
	int r, n = NOTICE_SILENT;

	if (at == NULL || (size_t)(at - b - 1) >= sizeof name) {
		words_put(out, len, o, b, strlen(b));
		return;
	}
	snprintf(name, sizeof name, "%.*s", (int)(at - b - 1), b + 1);
	r = event_reason_find(name);
	if (r < 0) {
		words_put(out, len, o, b, strlen(b));
		return;
	}
	if (told)
		for (int i = 0; i < NOTICE_COUNT; i++)
			if (strncmp(told + 6, event_notice_name(i),
			    strlen(event_notice_name(i))) == 0)
				n = i;
	/* The English formats are the transcript's own. */
	if (kind == EV_LOST)
		/* TRANSLATORS: the event log's loss: reason, where, why,
		 * what the producer was told (a whole phrase in zh). */
		snprintf(line, sizeof line,
		    _("[%s at %s: %s; producer told: %s]"), words_reason(r),
		    words_hop(r), words_reason_text(r), words_notice(n));
	else
		/* TRANSLATORS: a discarded copy: reason, where, why. */
		snprintf(line, sizeof line, _("[%s at %s: %s]"),
		    words_reason(r), words_hop(r), words_reason_text(r));
	words_put(out, len, o, line, strlen(line));
}

/*
 * After the kind: a client library status (" -9 SOCKET_ERROR", negative,
 * rabbitmq-c's and not AMQP's) is put in the screen's words, its number
 * kept; an AMQP reply code stays as on the wire. Returns what follows it.
 */
static const char *
words_status(const char *s, char *out, size_t len, size_t *o)
{
	char *end;
	long code;
	const char *name;
	size_t nl;

	if (strncmp(s, " -", 2) != 0)
		return s;
	code = strtol(s + 1, &end, 10);
	name = event_code_text((int)code);
	nl = strlen(name);
	if (end == s + 1 || *end != ' ' || nl == 0 ||
	    strncmp(end + 1, name, nl) != 0)
		return s;
	words_put(out, len, o, s, (size_t)(end + 1 - s));
	name = words_in("status", name);
	words_put(out, len, o, name, strlen(name));
	return end + 1 + nl;
}

void
words_event_text(enum event_kind kind, const char *in, char *out, size_t len)
{
	const char *kt = event_kind_text(kind), *s = in, *mid_end;
	const char *bracket = NULL, *det = NULL, *p;
	size_t o = 0, kl = strlen(kt);
	char dbuf[200], raw[200];

	out[0] = '\0';
	if (strncmp(s, kt, kl) == 0) {
		const char *w = words_kind(kind);
		words_put(out, len, &o, w, strlen(w));
		s += kl;
		s = words_status(s, out, len, &o);
	}
	if (kind == EV_LOST || kind == EV_DISCARD)
		bracket = strstr(s, " [");
	/* The detail: the last " (" after the bracket, unless that is the
	 * default exchange's "(default)" ending the line as its name. */
	for (p = bracket ? bracket : s; (p = strstr(p, " (")) != NULL; p++)
		if (strcmp(p, " (default)") != 0)
			det = p;
	mid_end = bracket ? bracket : det ? det : s + strlen(s);
	/* A failure aimed at the producer names it in the lab's words (a
	   consumer is named by the script, and stays as written). */
	if (kind == EV_FAILURE && mid_end - s == 9 &&
	    strncmp(s, " producer", 9) == 0) {
		const char *w = words_actor(ACTOR_PRODUCER);
		words_put(out, len, &o, " ", 1);
		words_put(out, len, &o, w, strlen(w));
		s = mid_end;
	}
	for (p = s; p < mid_end;) {
		const char *q = strstr(p, "(default)");
		if (q == NULL || q >= mid_end) {
			words_put(out, len, &o, p, (size_t)(mid_end - p));
			break;
		}
		words_put(out, len, &o, p, (size_t)(q - p));
		/* TRANSLATORS: the default exchange, named "" in AMQP. */
		words_put(out, len, &o, _("(default)"),
		    strlen(_("(default)")));
		p = q + 9;
	}
	if (bracket) {
		const char *close = strchr(bracket, ']');
		size_t bl = close ? (size_t)(close - bracket) : strlen(bracket);
		snprintf(raw, sizeof raw, "%.*s", (int)(bl - 1), bracket + 1);
		words_put(out, len, &o, " ", 1);
		words_loss(raw, kind, out, len, &o);
	}
	if (det) {
		size_t dl = strlen(det + 2);
		if (dl && det[2 + dl - 1] == ')')
			dl--;
		snprintf(raw, sizeof raw, "%.*s", (int)dl, det + 2);
		words_detail(kind, raw, dbuf, sizeof dbuf);
		words_put(out, len, &o, " (", 2);
		words_put(out, len, &o, dbuf, strlen(dbuf));
		words_put(out, len, &o, ")", 1);
	}
}

/* The kind whose transcript text starts `s` (the longest), or -1. */
static int
words_kind_at(const char *s)
{
	int best = -1;
	size_t bl = 0;

	for (int k = 0; k < EV_COUNT; k++) {
		const char *kt = event_kind_text((enum event_kind)k);
		size_t kl = strlen(kt);
		if (kl > bl && strncmp(s, kt, kl) == 0 &&
		    (s[kl] == ' ' || s[kl] == '\0')) {
			best = k;
			bl = kl;
		}
	}
	return best;
}

void
words_transcript(const char *line, char *out, size_t len)
{
	const char *s = line, *rest;
	size_t o = 0;
	int kind;

	out[0] = '\0';
	while (*s == ' ')
		s++;
	/* The time column: digits and a point. */
	rest = s;
	while ((*rest >= '0' && *rest <= '9') || *rest == '.')
		rest++;
	if (rest > s && *rest == ' ') {
		words_put(out, len, &o, s, (size_t)(rest - s));
		words_put(out, len, &o, " ", 1);
		s = rest;
		while (*s == ' ')
			s++;
	}
	for (int a = 0; a < ACTOR_COUNT; a++) {
		const char *an = event_actor_name((enum event_actor)a);
		size_t al = strlen(an);
		if (strncmp(s, an, al) == 0 && s[al] == ' ') {
			const char *w = words_actor((enum event_actor)a);
			words_put(out, len, &o, w, strlen(w));
			words_put(out, len, &o, " ", 1);
			s += al;
			while (*s == ' ')
				s++;
			break;
		}
	}
	kind = words_kind_at(s);
	if (kind < 0) {
		words_put(out, len, &o, s, strlen(s));
		return;
	}
	words_event_text((enum event_kind)kind, s, out + o, len - o);
}
