/*
 * The lab's own reporting to a class (`rabbitlab --class URL`): one
 * student per process, started by the command line before the screen
 * opens. The screen and the session call one hook at each moment; every
 * hook does nothing when no class was started, so the lab, its tests and
 * `replay` run as before. The hooks never block and never print: news of
 * the connection is kept for a screen to show (class_report_news).
 */
#ifndef RL_CLASS_REPORT_H
#define RL_CLASS_REPORT_H

/*
 * Starts reporting as `student` of `klass` to `url` (`what`: where the URL
 * came from). Returns 0, or -1 with *cause (caller frees). A damaged
 * outbox set aside gives 0 and a notice in *cause.
 */
int class_report_start(const char *url, const char *what, const char *klass,
    const char *student, char **cause);

/* The moments (each one event; lesson: the script's id). */
void class_report_lesson(const char *lesson);
/* question: the step index; number: its number on screen */
void class_report_answer(int question, int number, int choice, int right);
void class_report_action(int step);
void class_report_challenge(int met);
void class_report_hint(int shown);
void class_report_solution(void);

/*
 * Moves the connection on and sends what is owed; call from the lab's
 * loop. Returns the longest the loop may sleep before the next call, in
 * ms (-1: no class, sleep as long as it likes).
 */
int class_report_tick(void);

/* The latest news of the connection ("" none), borrowed. */
const char *class_report_news(void);

/*
 * The teacher leads (class_lead.h). With teach, the lab is the teacher's,
 * named `name`, and says where it is (class_report_lead_say); without, it
 * follows the class's teacher, following at first. Returns 0, or -1 with
 * *cause (caller frees). Ticked by class_report_tick, closed by
 * class_report_stop.
 */
int class_report_lead_start(const char *url, const char *what,
    const char *klass, const char *name, int teach, char **cause);

/* Teacher: the lab is at `lesson`, step index `step`, challenge open. */
void class_report_lead_say(const char *lesson, int step, int released);

/* Whether this lab leads a class. */
int class_report_teaching(void);

/*
 * Follower: the teacher's latest lead while following, else NULL
 * (borrowed until the next tick).
 */
struct class_event;
const struct class_event *class_report_lead_heard(void);

/* Follower: the teacher's name ("" before any lead), NULL if no lead. */
const char *class_report_leader(void);

/* Follower: follows (on 1) or leaves follow mode; -1 without a lead. */
int class_report_follow(int on);

/* Whether the lab follows a teacher now. */
int class_report_following(void);

/*
 * Sends what is owed for up to `ms` while connected (the lab is ending;
 * without a connection it does not wait), then closes. What is still owed
 * stays in the outbox for the next run.
 */
void class_report_stop(int ms);

#endif
