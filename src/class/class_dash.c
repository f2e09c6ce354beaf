/*
 * The dashboard's counting (class_dash.h). Event ids live in an
 * open-addressing hash set (FNV-1a, linear probing, grown at half full);
 * students, lessons and questions in arrays found by linear search, which
 * is cheap at a class's size (hundreds of students, a dozen lessons).
 */
#include "class/class_dash.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmalloc.h"

void
class_dash_init(struct class_dash *d, const char *klass)
{
	memset(d, 0, sizeof *d);
	snprintf(d->klass, sizeof d->klass, "%s", klass);
	d->current = -1;
}

void
class_dash_free(struct class_dash *d)
{
	for (size_t i = 0; i < d->nstudents; i++)
		free(d->students[i].marks);
	for (size_t i = 0; i < d->nquestions; i++)
		free(d->questions[i].choices);
	for (size_t i = 0; i < d->ids_cap; i++)
		free(d->ids[i]);
	free(d->ids);
	free(d->students);
	free(d->questions);
	free(d->lessons);
	free(d->lat_ms);
	memset(d, 0, sizeof *d);
}

static uint64_t
class_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* Inserts id; 1 if new, 0 if there already. */
static int
class_ids_put(struct class_dash *d, const char *id)
{
	size_t i;

	if (2 * (d->nids + 1) > d->ids_cap) {
		size_t ncap = d->ids_cap ? d->ids_cap * 2 : 1024;
		char **old = d->ids;
		size_t ocap = d->ids_cap;
		d->ids = xcalloc(ncap, sizeof *d->ids);
		d->ids_cap = ncap;
		for (size_t k = 0; k < ocap; k++)
			if (old[k]) {
				i = class_hash(old[k]) & (ncap - 1);
				while (d->ids[i])
					i = (i + 1) & (ncap - 1);
				d->ids[i] = old[k];
			}
		free(old);
	}
	i = class_hash(id) & (d->ids_cap - 1);
	for (; d->ids[i]; i = (i + 1) & (d->ids_cap - 1))
		if (strcmp(d->ids[i], id) == 0)
			return 0;
	d->ids[i] = xstrdup(id);
	d->nids++;
	return 1;
}

static size_t
class_lesson_index(struct class_dash *d, const char *lesson)
{
	for (size_t i = 0; i < d->nlessons; i++)
		if (strcmp(d->lessons[i], lesson) == 0)
			return i;
	d->lessons = xgrow(d->lessons, &d->lessons_cap, d->nlessons + 1,
	    sizeof *d->lessons);
	snprintf(d->lessons[d->nlessons], sizeof d->lessons[0], "%s", lesson);
	return d->nlessons++;
}

static struct class_dash_student *
class_student_find(struct class_dash *d, const char *event_id)
{
	char sid[CLASS_ID_MAX];
	const char *dash = strrchr(event_id, '-');
	size_t n = dash ? (size_t)(dash - event_id) : strlen(event_id);
	struct class_dash_student *s;

	snprintf(sid, sizeof sid, "%.*s", (int)n, event_id);
	for (size_t i = 0; i < d->nstudents; i++)
		if (strcmp(d->students[i].id, sid) == 0)
			return &d->students[i];
	d->students = xgrow(d->students, &d->students_cap, d->nstudents + 1,
	    sizeof *d->students);
	s = &d->students[d->nstudents++];
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", sid);
	return s;
}

static struct class_dash_mark *
class_mark_find(struct class_dash_student *s, size_t lesson)
{
	struct class_dash_mark *m;

	for (size_t i = 0; i < s->nmarks; i++)
		if (s->marks[i].lesson == lesson)
			return &s->marks[i];
	s->marks = xgrow(s->marks, &s->marks_cap, s->nmarks + 1,
	    sizeof *s->marks);
	m = &s->marks[s->nmarks++];
	memset(m, 0, sizeof *m);
	m->lesson = lesson;
	return m;
}

static void
class_question_count(struct class_dash *d, size_t lesson,
    const struct class_event *ev)
{
	struct class_dash_question *q = NULL;
	size_t cap;

	for (size_t i = 0; i < d->nquestions && q == NULL; i++)
		if (d->questions[i].lesson == lesson &&
		    d->questions[i].question == ev->question)
			q = &d->questions[i];
	if (q == NULL) {
		d->questions = xgrow(d->questions, &d->questions_cap,
		    d->nquestions + 1, sizeof *d->questions);
		q = &d->questions[d->nquestions++];
		memset(q, 0, sizeof *q);
		q->lesson = lesson;
		q->question = ev->question;
	}
	if (ev->number > 0)  /* a lab too old to send it sends 0 */
		q->number = ev->number;
	if ((size_t)ev->choice >= q->nchoices) {
		cap = q->nchoices;
		q->choices = xgrow_zero(q->choices, &cap, (size_t)ev->choice + 1,
		    sizeof *q->choices);
		q->nchoices = (size_t)ev->choice + 1;
	}
	q->choices[ev->choice]++;
	q->right += ev->right != 0;
	d->current = q - d->questions;
}

/* What event ev says about its student's lesson. */
static void
class_mark_count(struct class_dash_mark *m, const struct class_event *ev)
{
	m->events++;
	switch (ev->kind) {
	case CLASS_ANSWER:
		m->answers++;
		m->right += ev->right != 0;
		break;
	case CLASS_ACTION:
		m->actions++;
		break;
	case CLASS_HINT:
		m->hints++;
		break;
	case CLASS_SOLUTION:
		m->solution_viewed = 1;
		break;
	case CLASS_CHALLENGE:
		m->attempts++;
		/* Met alone beats met after the solution; the first such
		 * run gives the solve time. */
		if (ev->met && (m->solved == 0 ||
		    (m->solved == 2 && !ev->after_solution))) {
			if (m->solved == 0 || ev->spent_ms < m->solve_ms)
				m->solve_ms = ev->spent_ms;
			m->solved = ev->after_solution ? 2 : 1;
		}
		break;
	default:
		break;
	}
}

int
class_dash_add(struct class_dash *d, const struct class_event *ev,
    int64_t now_ms)
{
	struct class_dash_student *s;
	size_t lesson;

	if (strcmp(ev->klass, d->klass) != 0 || ev->kind == CLASS_LEAD) {
		d->refused++;
		return -1;
	}
	if (!class_ids_put(d, ev->id)) {
		d->duplicates++;
		return 0;
	}
	d->events++;
	d->kinds[ev->kind]++;
	lesson = class_lesson_index(d, ev->lesson);
	s = class_student_find(d, ev->id);
	snprintf(s->name, sizeof s->name, "%s", ev->student);
	s->events++;
	/* Events may arrive out of order (a resent outbox): the latest
	 * one says where the student is. */
	if (ev->ts_ms >= s->last_ms) {
		s->last_ms = ev->ts_ms;
		s->lesson = lesson;
	}
	class_mark_count(class_mark_find(s, lesson), ev);
	if (ev->kind == CLASS_ANSWER)
		class_question_count(d, lesson, ev);
	d->lat_ms = xgrow(d->lat_ms, &d->lat_cap, d->nlat + 1,
	    sizeof *d->lat_ms);
	d->lat_ms[d->nlat++] = now_ms - ev->ts_ms;
	return 1;
}

void
class_dash_refuse(struct class_dash *d)
{
	d->refused++;
}

int
class_dash_stuck(const struct class_dash_student *s, int64_t now_ms,
    int64_t stuck_ms)
{
	return stuck_ms > 0 && now_ms - s->last_ms >= stuck_ms;
}

static int
class_cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile of v (n > 0), sorting a copy. */
static int64_t
class_percentile(const int64_t *v, size_t n, int p)
{
	int64_t *c = xmalloc(n * sizeof *c), r;

	memcpy(c, v, n * sizeof *c);
	qsort(c, n, sizeof *c, class_cmp64);
	r = c[(n - 1) * (size_t)p / 100];
	free(c);
	return r;
}

int64_t
class_dash_latency(const struct class_dash *d, int p)
{
	return d->nlat ? class_percentile(d->lat_ms, d->nlat, p) : -1;
}

/* Writes s as a JSON string. */
static void
class_jstr(FILE *f, const char *s)
{
	char q[CLASS_EVENT_JSON_MAX];

	fputs(class_json_quote(s, q, sizeof q) >= 0 ? q : "\"?\"", f);
}

void
class_dash_lesson_stats(const struct class_dash *d, size_t l, unsigned *opened,
    unsigned *solved, int64_t *median)
{
	int64_t *t = xmalloc((d->nstudents + 1) * sizeof *t);
	size_t nt = 0;

	*opened = *solved = 0;
	for (size_t i = 0; i < d->nstudents; i++)
		for (size_t k = 0; k < d->students[i].nmarks; k++) {
			const struct class_dash_mark *m = &d->students[i].marks[k];
			if (m->lesson != l)
				continue;
			(*opened)++;
			if (m->solved) {
				(*solved)++;
				t[nt++] = m->solve_ms;
			}
		}
	*median = nt ? class_percentile(t, nt, 50) : -1;
	free(t);
}

static void
class_json_students(const struct class_dash *d, FILE *f, int64_t now_ms,
    int64_t stuck_ms)
{
	for (size_t i = 0; i < d->nstudents; i++) {
		const struct class_dash_student *s = &d->students[i];
		int first = 1;
		fprintf(f, "%s{\"student\":", i ? "," : "");
		class_jstr(f, s->name);
		fprintf(f, ",\"id\":\"%s\",\"lesson\":", s->id);
		class_jstr(f, d->lessons[s->lesson]);
		fprintf(f, ",\"last_ts\":%" PRId64 ",\"stuck\":%s,\"events\":%u,"
		    "\"solved\":[", s->last_ms,
		    class_dash_stuck(s, now_ms, stuck_ms) ? "true" : "false",
		    s->events);
		for (size_t k = 0; k < s->nmarks; k++) {
			const struct class_dash_mark *m = &s->marks[k];
			if (!m->solved)
				continue;
			fprintf(f, "%s{\"lesson\":", first ? "" : ",");
			class_jstr(f, d->lessons[m->lesson]);
			fprintf(f, ",\"after_solution\":%s,\"solve_ms\":%"
			    PRId64 "}", m->solved == 2 ? "true" : "false",
			    m->solve_ms);
			first = 0;
		}
		fputs("],\"lessons\":[", f);
		for (size_t k = 0; k < s->nmarks; k++) {
			const struct class_dash_mark *m = &s->marks[k];
			fprintf(f, "%s{\"lesson\":", k ? "," : "");
			class_jstr(f, d->lessons[m->lesson]);
			fprintf(f, ",\"events\":%u,\"answers\":%u,\"right\":%u,"
			    "\"actions\":%u,\"hints\":%u,\"attempts\":%u,"
			    "\"solution_viewed\":%s}", m->events, m->answers,
			    m->right, m->actions, m->hints, m->attempts,
			    m->solution_viewed ? "true" : "false");
		}
		fputs("]}", f);
	}
}

void
class_dash_json(const struct class_dash *d, FILE *f, int64_t now_ms,
    int64_t stuck_ms)
{
	fputs("{\"class\":", f);
	class_jstr(f, d->klass);
	fprintf(f, ",\"events\":%" PRIu64 ",\"duplicates\":%" PRIu64
	    ",\"refused\":%" PRIu64 ",\"kinds\":{", d->events, d->duplicates,
	    d->refused);
	for (int k = 0; k < CLASS_KIND_COUNT; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "",
		    class_kind_name((enum class_kind)k), d->kinds[k]);
	fprintf(f, "},\"latency_ms\":{\"median\":%" PRId64 ",\"p99\":%" PRId64
	    ",\"max\":%" PRId64 "},\"students\":[", class_dash_latency(d, 50),
	    class_dash_latency(d, 99), class_dash_latency(d, 100));
	class_json_students(d, f, now_ms, stuck_ms);
	fputs("],\"questions\":[", f);
	for (size_t i = 0; i < d->nquestions; i++) {
		const struct class_dash_question *q = &d->questions[i];
		fprintf(f, "%s{\"lesson\":", i ? "," : "");
		class_jstr(f, d->lessons[q->lesson]);
		fprintf(f, ",\"question\":%d,", q->question);
		if (q->number > 0)
			fprintf(f, "\"number\":%d,", q->number);
		fprintf(f, "\"right\":%u,\"choices\":[", q->right);
		for (size_t c = 0; c < q->nchoices; c++)
			fprintf(f, "%s%u", c ? "," : "", q->choices[c]);
		fputs("]}", f);
	}
	fputs("],\"current_question\":", f);
	if (d->current >= 0) {
		const struct class_dash_question *q = &d->questions[d->current];
		fputs("{\"lesson\":", f);
		class_jstr(f, d->lessons[q->lesson]);
		fprintf(f, ",\"question\":%d}", q->question);
	} else
		fputs("null", f);
	fputs(",\"lessons\":[", f);
	for (size_t l = 0; l < d->nlessons; l++) {
		unsigned opened, solved;
		int64_t median;
		class_dash_lesson_stats(d, l, &opened, &solved, &median);
		fprintf(f, "%s{\"lesson\":", l ? "," : "");
		class_jstr(f, d->lessons[l]);
		fprintf(f, ",\"students\":%u,\"solved\":%u,\"solve_rate\":%.3f,"
		    "\"median_solve_ms\":", opened, solved,
		    opened ? (double)solved / opened : 0.0);
		if (median >= 0)
			fprintf(f, "%" PRId64 "}", median);
		else
			fputs("null}", f);
	}
	fputs("]}\n", f);
}

/* A CSV field: quoted, with quotes doubled. */
static void
class_csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
class_dash_csv(const struct class_dash *d, FILE *f, int64_t now_ms,
    int64_t stuck_ms)
{
	fputs("student,student_id,lesson,current,events,answers,right,actions,"
	    "hints,attempts,solved,after_solution,solve_s,last_progress_ms,"
	    "stuck\n", f);
	for (size_t i = 0; i < d->nstudents; i++) {
		const struct class_dash_student *s = &d->students[i];
		for (size_t k = 0; k < s->nmarks; k++) {
			const struct class_dash_mark *m = &s->marks[k];
			class_csv_str(f, s->name);
			fprintf(f, ",%s,", s->id);
			class_csv_str(f, d->lessons[m->lesson]);
			fprintf(f, ",%d,%u,%u,%u,%u,%u,%u,%d,%d,", m->lesson ==
			    s->lesson, m->events, m->answers, m->right,
			    m->actions, m->hints, m->attempts, m->solved != 0,
			    m->solved == 2);
			if (m->solved)
				fprintf(f, "%.1f", m->solve_ms / 1000.0);
			fprintf(f, ",%" PRId64 ",%d\n", s->last_ms,
			    class_dash_stuck(s, now_ms, stuck_ms));
		}
	}
}
