/*
 * A student's progress event: what a lab in a class reports to the
 * teacher's dashboard, and its wire form, one small JSON object.
 *
 *   {"id":"5f0c2a9e81b3d407-12","student":"Li Wei","class":"net101",
 *    "kind":"answer","lesson":"01-first-message","question":3,"choice":1,
 *    "number":2,"right":true,"spent_ms":41250,"ts":1765000000123}
 *
 * `id` is the student's random id (16 hex digits, made once per student
 * and class and kept in the outbox) and a sequence number: unique per
 * student and event, so the dashboard counts a message delivered twice
 * once. An answer's `number` is optional: the step's number as the
 * student's screen shows it (a step that only runs under the narration
 * before it has none of its own), for the dashboard to show the same one.
 * Only the fields of the event's kind are written; the decoder
 * ignores keys it does not know (a newer lab), and refuses anything else
 * that is not exactly this shape. Nothing about the machine is sent: the
 * names are what the student typed.
 *
 * The teacher's lab leading a class (class_lead.h) sends the same shape
 * with kind "lead": `student` is the teacher's name, `step` the step the
 * teacher is at and `released` whether the challenge is open; it goes to
 * the class's lead exchange, never to the dashboard's queue.
 */
#ifndef RL_CLASS_EVENT_H
#define RL_CLASS_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* Limits of the fields, bytes including the NUL; longer input is refused. */
#define CLASS_ID_MAX 48
#define CLASS_NAME_MAX 64
#define CLASS_LESSON_MAX 96
/* The largest encoded event (every field at its limit, escaped). */
#define CLASS_EVENT_JSON_MAX 2048

/* X-macro: kind, its name on the wire. */
#define CLASS_KINDS(_) \
	_(CLASS_OPENED, "lesson_opened") \
	_(CLASS_ANSWER, "answer") \
	_(CLASS_ACTION, "action_done") \
	_(CLASS_CHALLENGE, "challenge") \
	_(CLASS_HINT, "hint") \
	_(CLASS_SOLUTION, "solution_viewed") \
	_(CLASS_LEAD, "lead")

enum class_kind {
#define CLASS_KIND_ENUM(k, s) k,
	CLASS_KINDS(CLASS_KIND_ENUM)
#undef CLASS_KIND_ENUM
	CLASS_KIND_COUNT
};

struct class_event {
	char id[CLASS_ID_MAX];          /* "<student hex>-<seq>" */
	char student[CLASS_NAME_MAX];   /* the name the student chose */
	char klass[CLASS_NAME_MAX];     /* the class's name */
	enum class_kind kind;
	char lesson[CLASS_LESSON_MAX];  /* the lesson's script id */
	int64_t ts_ms;                  /* wall clock when it happened, ms */
	int64_t spent_ms;               /* time in this lesson so far, ms */
	int question;                   /* answer: the step index asked at */
	int number;                     /* answer: that step's number on the
					   student's screen; 0 if not sent */
	int choice;                     /* answer: 0-based choice */
	int right;                      /* answer: 1 if the right one */
	int step;                       /* action_done: the step index */
	int attempt;                    /* challenge: 1, 2, ... */
	int met;                        /* challenge: 1 if the goal held */
	int after_solution;             /* challenge: solution seen before */
	int hint;                       /* hint: how many shown now */
	int released;                   /* lead: the challenge is open */
};

/* The kind's wire name. */
const char *class_kind_name(enum class_kind k);

/*
 * Writes `ev` as one JSON object (no newline) into buf of `len` bytes
 * (CLASS_EVENT_JSON_MAX is always enough). Returns its length, or -1 if it
 * did not fit or a name is not valid UTF-8 (nothing usable in buf then).
 */
int class_event_encode(const struct class_event *ev, char *buf, size_t len);

/*
 * Writes s (UTF-8) as a quoted JSON string into out of `cap` bytes.
 * Returns its length, or -1 if it did not fit or s is not UTF-8.
 */
int class_json_quote(const char *s, char *out, size_t cap);

/*
 * Reads `len` bytes (from the network: anything) as one event into *ev.
 * Returns 0, or -1 with a sentence in why (at most why_len - 1 chars)
 * naming what was expected. Never reads past len; needs no NUL.
 */
int class_event_decode(const char *buf, size_t len, struct class_event *ev,
    char *why, size_t why_len);

/*
 * The same for a delivery's body as class_link gives it: over (the body
 * was cut at CLASS_EVENT_JSON_MAX bytes) is refused with its own sentence.
 */
int class_event_decode_body(const char *body, size_t len, int over,
    struct class_event *ev, char *why, size_t why_len);

/*
 * Whether `s` is acceptable as a student or class name: 1 to
 * CLASS_NAME_MAX - 1 bytes of UTF-8 without control characters. When not,
 * why says what was expected.
 */
int class_name_ok(const char *s, char *why, size_t why_len);

#endif
