/*
 * The class dashboard on a terminal: `rabbitlab class URL` without --json.
 * The counting is class_dash's and the loop class_cmd_dashboard's; this
 * draws that state live and reads the keys (q quits, the arrows and the
 * page keys scroll the students).
 */
#ifndef RL_CLASSVIEW_H
#define RL_CLASSVIEW_H

struct class_cmd_opts;

/*
 * Runs the dashboard of o on the terminal in language lang ("en", "zh";
 * locale_dir as ui_opts's) until q, ^C, SIGTERM or o->for_s. The CSV
 * export (o->csv) is written at the end as without a screen. Returns
 * class_cmd_dashboard's status, or 2 with a message on stderr when the
 * terminal cannot be used.
 */
int classview_main(const struct class_cmd_opts *o, const char *lang,
    const char *locale_dir);

#endif
