/*
 * The application's traffic as Spring Boot properties, and what would
 * have saved its lost messages (see watch_spring.h).
 */
#include "watch/watch_spring.h"

#include <inttypes.h>
#include <string.h>

#include "model/ledger.h"

#define WS_CONFIRMS "spring.rabbitmq.publisher-confirm-type=correlated"

/* Per loss reason: the setting that saves such a message, and why. */
static const struct {
	enum loss_reason why;
	const char *setting, *says;
} ws_fixes[] = {
	{ LOSS_NETWORK, WS_CONFIRMS,
	  "with confirms the producer learns a publish was not taken and "
	  "sends it again" },
	{ LOSS_BLACKHOLE, WS_CONFIRMS,
	  "a confirm that never comes tells the producer to send again" },
	{ LOSS_CHANNEL_CLOSED,
	  WS_CONFIRMS,
	  "a closed channel loses its unconfirmed publishes: with confirms "
	  "the producer knows which to send again" },
	{ LOSS_MISSING_EXCHANGE,
	  WS_CONFIRMS,
	  "the broker closes the channel with 404; with confirms the "
	  "producer sees the publish failed (and a durable, declared "
	  "exchange avoids it)" },
	{ LOSS_UNROUTABLE, "spring.rabbitmq.publisher-returns=true and "
	  "spring.rabbitmq.template.mandatory=true",
	  "with mandatory the broker returns an unroutable message (312) "
	  "instead of dropping it" },
	{ LOSS_QUEUE_FULL, WS_CONFIRMS,
	  "a full queue with reject-publish nacks: only confirms tell the "
	  "producer" },
	{ LOSS_DROP_HEAD, "x-overflow=reject-publish on the queue, with "
	  WS_CONFIRMS,
	  "drop-head throws old messages away silently; reject-publish "
	  "nacks the new one so the producer can wait and resend" },
	{ LOSS_BROKER_CRASH, "durable queue (new Queue(name, true)), "
	  "MessageDeliveryMode.PERSISTENT, and "
	  WS_CONFIRMS,
	  "a restart keeps persistent messages in durable queues; confirms "
	  "say when they are on disk" },
	{ LOSS_EXPIRED, "x-dead-letter-exchange on the queue",
	  "an expired message goes to the dead-letter exchange instead of "
	  "away" },
	{ LOSS_DELIVERY_LIMIT, "x-dead-letter-exchange on the queue",
	  "a message over its delivery limit is dead-lettered instead of "
	  "dropped" },
	{ LOSS_AUTOACK_CRASH,
	  "spring.rabbitmq.listener.simple.acknowledge-mode=auto",
	  "with automatic ack on the wire (none) the broker forgets a "
	  "message on delivery; auto acks only after the listener returns" },
	{ LOSS_AUTOACK_EXCEPTION,
	  "spring.rabbitmq.listener.simple.acknowledge-mode=auto",
	  "a listener that throws gets its message back only if it was "
	  "not acked on delivery" },
	{ LOSS_REJECTED, "x-dead-letter-exchange on the queue (or "
	  "spring.rabbitmq.listener.simple.default-requeue-rejected=true)",
	  "a rejected message is dropped unless a dead-letter exchange "
	  "takes it" },
	{ LOSS_NACKED, "spring.rabbitmq.publisher-confirm-type=correlated, "
	  "with a resend on nack",
	  "the producer was told: it has to send the message again" },
};

static void
ws_prop(struct watch_spring *w, const char *key, int seen, const char *v)
{
	struct watch_spring_prop *p = &w->props[w->nprops++];

	p->key = key;
	p->seen = seen;
	snprintf(p->value, sizeof p->value, "%s", v);
}

void
watch_spring_read(struct watch_track *t, struct watch_spring *out)
{
	const struct watch_seen_app *a = &watch_track_seen(t)->app;
	struct ledger_summary s;
	char n[24];

	memset(out, 0, sizeof *out);
	ws_prop(out, "spring.rabbitmq.publisher-confirm-type",
	    a->confirms_seen, a->confirms ? "correlated" : "none");
	ws_prop(out, "spring.rabbitmq.publisher-returns", a->mandatory_seen,
	    a->mandatory ? "true" : "false");
	ws_prop(out, "spring.rabbitmq.template.mandatory", a->mandatory_seen,
	    a->mandatory ? "true" : "false");
	ws_prop(out, "spring.rabbitmq.listener.simple.acknowledge-mode",
	    a->ack_seen, a->no_ack ? "none" : "auto");
	snprintf(n, sizeof n, "%d", a->prefetch_seen ? a->prefetch : 250);
	ws_prop(out, "spring.rabbitmq.listener.simple.prefetch",
	    a->prefetch_seen, n);
	ws_prop(out, "spring.rabbitmq.listener.simple."
	    "default-requeue-rejected", a->requeue_seen || a->reject_seen,
	    a->reject_seen && !a->requeue_seen ? "false" : "true");
	/* Spring's retry runs inside the application: the wire shows only
	 * redeliveries, never the attempts. */
	ws_prop(out, "spring.rabbitmq.listener.simple.retry.enabled", 0,
	    "false");
	ledger_summarize(watch_track_ledger(t), &s);
	out->lost = s.fate[FATE_LOST];
	out->autoack_broken = watch_track_seen(t)->autoack_broken;
	for (size_t i = 0; i < sizeof ws_fixes / sizeof ws_fixes[0]; i++) {
		struct watch_spring_fix *f;
		if (s.lost_by[ws_fixes[i].why] == 0)
			continue;
		f = &out->fixes[out->nfixes++];
		f->why = ws_fixes[i].why;
		f->lost = s.lost_by[ws_fixes[i].why];
		f->setting = ws_fixes[i].setting;
		f->says = ws_fixes[i].says;
		/* Told, with the setting already on: what is left is the
		 * application's own handling of what it was told. */
		if (f->why == LOSS_UNROUTABLE && a->mandatory) {
			f->setting = "RabbitTemplate.setReturnsCallback: send "
			    "a returned message again, to a key that is bound";
			f->says = "mandatory was on: the broker returned them, "
			    "and the application did not send them again";
		} else if (f->why == LOSS_NACKED && a->confirms) {
			f->setting = "RabbitTemplate.setConfirmCallback: send "
			    "a nacked message again";
			f->says = "confirms were on: the producer was told, and "
			    "did not send them again";
		} else if (f->why == LOSS_BROKER_CRASH && a->confirms) {
			f->setting = "durable queue (new Queue(name, true)) and "
			    "MessageDeliveryMode.PERSISTENT";
		} else if (a->confirms && strcmp(f->setting, WS_CONFIRMS) == 0) {
			f->setting = "RabbitTemplate.setConfirmCallback: send "
			    "again a message whose confirm is a nack or never "
			    "comes";
			f->says = "confirms were on: the producer could tell "
			    "which were not taken, and did not send them again";
		}
	}
}

void
watch_spring_json(struct watch_track *t, FILE *out)
{
	struct watch_spring w;
	int first = 1;

	watch_spring_read(t, &w);
	fputs("{\"command\":\"spring\",\"properties\":{", out);
	for (size_t i = 0; i < w.nprops; i++) {
		if (!w.props[i].seen)
			continue;
		fprintf(out, "%s\"%s\":", first ? "" : ",", w.props[i].key);
		event_json_string(out, w.props[i].value);
		first = 0;
	}
	fputs("},\"not_on_the_wire\":[", out);
	first = 1;
	for (size_t i = 0; i < w.nprops; i++)
		if (!w.props[i].seen) {
			fprintf(out, "%s\"%s\"", first ? "" : ",",
			    w.props[i].key);
			first = 0;
		}
	fprintf(out, "],\"lost\":%" PRIu64 ",\"autoack_broken\":%" PRIu64
	    ",\"fixes\":[", w.lost, w.autoack_broken);
	for (size_t i = 0; i < w.nfixes; i++) {
		fprintf(out, "%s{\"reason\":\"%s\",\"lost\":%" PRIu64
		    ",\"setting\":", i ? "," : "",
		    event_reason_name(w.fixes[i].why), w.fixes[i].lost);
		event_json_string(out, w.fixes[i].setting);
		fputs(",\"why\":", out);
		event_json_string(out, w.fixes[i].says);
		fputs("}", out);
	}
	fputs("]}\n", out);
	fflush(out);
}
