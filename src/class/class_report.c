/*
 * The lab's one reporting student (class_report.h): a class_student behind
 * hooks that do nothing until class_report_start. A failed write to the
 * outbox becomes news, never a stop: the lab goes on without the class.
 */
#include "class/class_report.h"

#include <stdlib.h>
#include <string.h>

#include "class/class_event.h"
#include "class/class_lead.h"
#include "class/class_student.h"
#include "util/mono.h"

#define CLASS_REPORT_TICK_MS 100

static struct class_student class_me;
static int class_on;
static struct class_lead class_lead_me; /* --teach or --follow */
static int class_lead_on, class_following;

int
class_report_start(const char *url, const char *what, const char *klass,
    const char *student, char **cause)
{
	if (class_on)
		class_report_stop(0);
	if (class_student_open(&class_me, url, what, klass, student, NULL,
	    cause) != 0)
		return -1;
	class_on = 1;
	class_student_tick(&class_me);
	return 0;
}

/* A hook's outcome: a failure is kept as news, never a stop. */
static void
class_report_done(int rc, char *cause)
{
	if (rc != 0 && cause)
		snprintf(class_me.last_news, sizeof class_me.last_news,
		    "class: %s", cause);
	free(cause);
}

/* One moment's event. */
static void
class_report_send(struct class_event *ev)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_report(&class_me, ev, &cause),
		    cause);
}

void
class_report_lesson(const char *lesson)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_lesson(&class_me, lesson,
		    &cause), cause);
}

void
class_report_answer(int question, int number, int choice, int right)
{
	struct class_event ev = { .kind = CLASS_ANSWER, .question = question,
		.number = number,
		.choice = choice, .right = right != 0 };

	class_report_send(&ev);
}

void
class_report_action(int step)
{
	struct class_event ev = { .kind = CLASS_ACTION, .step = step };

	class_report_send(&ev);
}

void
class_report_challenge(int met)
{
	struct class_event ev = { .kind = CLASS_CHALLENGE, .met = met != 0 };

	class_report_send(&ev);
}

void
class_report_hint(int shown)
{
	struct class_event ev = { .kind = CLASS_HINT, .hint = shown };

	class_report_send(&ev);
}

void
class_report_solution(void)
{
	struct class_event ev = { .kind = CLASS_SOLUTION };

	class_report_send(&ev);
}

int
class_report_tick(void)
{
	if (!class_on && !class_lead_on)
		return -1;
	if (class_on)
		class_student_tick(&class_me);
	if (class_lead_on)
		class_lead_tick(&class_lead_me);
	return CLASS_REPORT_TICK_MS;
}

const char *
class_report_news(void)
{
	if (class_on && class_me.last_news[0])
		return class_me.last_news;
	return class_lead_on ? class_lead_me.news : "";
}

int
class_report_lead_start(const char *url, const char *what, const char *klass,
    const char *name, int teach, char **cause)
{
	if (class_lead_on)
		class_lead_close(&class_lead_me);
	class_lead_on = class_following = 0;
	if (class_lead_open(&class_lead_me, url, what, klass, name, teach,
	    cause) != 0)
		return -1;
	class_lead_on = 1;
	class_following = !teach;
	class_lead_tick(&class_lead_me);
	return 0;
}

void
class_report_lead_say(const char *lesson, int step, int released)
{
	if (class_lead_on)
		class_lead_say(&class_lead_me, lesson, step, released);
}

int
class_report_teaching(void)
{
	return class_lead_on && class_lead_me.teach;
}

const struct class_event *
class_report_lead_heard(void)
{
	if (!class_lead_on || !class_following)
		return NULL;
	return class_lead_heard(&class_lead_me);
}

const char *
class_report_leader(void)
{
	const struct class_event *h;

	if (!class_lead_on || class_lead_me.teach)
		return NULL;
	h = class_lead_heard(&class_lead_me);
	return h ? h->student : "";
}

int
class_report_follow(int on)
{
	if (!class_lead_on || class_lead_me.teach)
		return -1;
	class_following = on != 0;
	return 0;
}

int
class_report_following(void)
{
	return class_lead_on && !class_lead_me.teach && class_following;
}

void
class_report_stop(int ms)
{
	double end = mono_seconds() + ms / 1000.0;

	if (class_lead_on)
		class_lead_close(&class_lead_me);
	class_lead_on = class_following = 0;
	if (!class_on)
		return;
	/* Only while connected: a lab without its broker ends at once. */
	while (class_student_owed(&class_me) > 0 && mono_seconds() < end &&
	    class_me.link.phase != CLASS_LINK_WAIT) {
		class_student_tick(&class_me);
		mono_sleep_ms(5);
	}
	class_student_close(&class_me);
	class_on = 0;
}
