/*
 * The lab's one reporting student (class_report.h): a class_student behind
 * hooks that do nothing until class_report_start. A failed write to the
 * outbox becomes news, never a stop: the lab goes on without the class.
 */
#include "class/class_report.h"

#include <stdlib.h>
#include <string.h>

#include "class/class_student.h"
#include "util/mono.h"

#define CLASS_REPORT_TICK_MS 100

static struct class_student class_me;
static int class_on;

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

/* A hook's result: a failure is kept as news. */
static void
class_report_done(int rc, char *cause)
{
	if (rc != 0 && cause)
		snprintf(class_me.last_news, sizeof class_me.last_news,
		    "class: %s", cause);
	free(cause);
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
class_report_answer(int question, int choice, int right)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_answer(&class_me, question,
		    choice, right, &cause), cause);
}

void
class_report_action(int step)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_action(&class_me, step,
		    &cause), cause);
}

void
class_report_challenge(int met)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_challenge(&class_me, met,
		    &cause), cause);
}

void
class_report_hint(int shown)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_hint(&class_me, shown, &cause),
		    cause);
}

void
class_report_solution(void)
{
	char *cause = NULL;

	if (class_on)
		class_report_done(class_student_solution(&class_me, &cause),
		    cause);
}

int
class_report_tick(void)
{
	if (!class_on)
		return -1;
	class_student_tick(&class_me);
	return CLASS_REPORT_TICK_MS;
}

const char *
class_report_news(void)
{
	return class_on ? class_me.last_news : "";
}

void
class_report_stop(int ms)
{
	double end = mono_seconds() + ms / 1000.0;

	if (!class_on)
		return;
	while (class_student_owed(&class_me) > 0 && mono_seconds() < end) {
		class_student_tick(&class_me);
		mono_sleep_ms(5);
	}
	class_student_close(&class_me);
	class_on = 0;
}
