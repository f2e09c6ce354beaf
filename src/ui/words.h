/*
 * Words for the screen: the Chinese (or English) name of everything the
 * model and the engines name with an identifier or an English transcript
 * text: event kinds, loss reasons, what the producer was told, ledger
 * counters, toggles and their values, failures. The model keeps its
 * English (transcripts and JSON are tooling output); the screen asks here.
 * Every function returns a translated string (borrowed, static) and never
 * NULL. No curses here.
 */
#ifndef RL_WORDS_H
#define RL_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"
#include "model/event.h"
#include "model/toggle.h"

/*
 * An event kind as the screen names it: AMQP frames (basic.ack,
 * connection.close) as on the wire, conditions ("work started",
 * "LOST") translated.
 */
/* pgettext: the entry `id` has in context `ctx` ("key", "value"), or `id`
 * itself when the catalogue has none. */
const char *words_in(const char *ctx, const char *id);
const char *words_kind(enum event_kind kind);
/* A loss reason: short name ("unroutable") and sentence, translated. */
const char *words_reason(enum loss_reason reason);
const char *words_reason_text(enum loss_reason reason);
/* Where a loss happened ("producer->broker", "queue"), translated. */
const char *words_hop(enum loss_reason reason);
/* What the producer was told of a loss ("nothing", "a nack"). */
const char *words_notice(enum loss_notice notice);
/* An actor ("producer", "broker"). */
const char *words_actor(enum event_actor actor);
/*
 * A ledger counter by its script name ("lost_silent", "lost_network"),
 * the same words as the scoreboard; an unknown name is returned as is.
 */
const char *words_counter(const char *name);
/* A toggle's name for a sentence ("durable queues"). */
const char *words_toggle(enum toggle_id id);
/* The toggle called `name` ("durable_queue"), or `name` if none. */
const char *words_toggle_named(const char *name);
/* An enum toggle's value ("manual", "each"), translated. */
const char *words_choice(enum toggle_id id, int64_t value);
/* A failure's name for a sentence ("consumer throws"). */
const char *words_failure(enum failure_kind kind);
/* The failure called `name` ("broker_crash"), or `name` if none. */
const char *words_failure_named(const char *name);
/*
 * A toggle assignment as scripts and the log write it ("persistent=false",
 * "ack_mode=manual") rewritten for the screen ("消息持久化=关") into buf;
 * text that is not one is copied. Returns buf.
 */
const char *words_assignment(const char *text, char *buf, size_t len);
/*
 * An event's detail ("key=pay.success", "broker_crash", "expired; x-death
 * count=1 from q") for the screen, into buf; returns buf. Details the
 * catalogue does not know are copied.
 */
const char *words_detail(enum event_kind kind, const char *detail, char *buf,
    size_t len);
/*
 * An event's transcript text without the time and actor columns and with
 * its padding squeezed ("basic.deliver redelivered=0 m1 q", "LOST m3
 * [network at ...]") for the screen, into out: the kind's words, the
 * frame's flags, the message and the names as they are, the loss bracket
 * and the detail translated.
 */
void words_event_text(enum event_kind kind, const char *in, char *out,
    size_t len);
/*
 * A whole transcript line ("  3.000  producer  basic.publish  m1 x"), its
 * padding squeezed, for the screen: time kept, actor and event translated
 * as above. Lines that are not events are copied.
 */
void words_transcript(const char *line, char *out, size_t len);

#endif
