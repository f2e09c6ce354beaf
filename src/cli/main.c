/*
 * The rabbitlab command: option parsing and the headless commands (replay,
 * check, list). Everything it runs lives in the library; this file only
 * turns arguments into calls and statuses into exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "class/class_cmd.h"
#include "class/class_setup.h"
#include "class/class_link.h"
#include "class/class_report.h"
#include "engine/engine.h"
#include "engine/live_broker.h"
#include "engine/live_url.h"
#include "gen/gen.h"
#include "gen/gen_diff.h"
#include "lesson/codegen.h"
#include "lesson/compare.h"
#include "lesson/runner.h"
#include "lesson/script.h"
#include "ui/castplay.h"
#include "ui/classview.h"
#include "ui/ui.h"
#include "util/xmalloc.h"
#include "ui/watchview.h"
#include "watch/watch.h"

#define EXIT_BAD_INPUT 2

struct main_opts {
	const char *lang;
	const char *engine;
	int json;
	int quiet;
	int has_seed;
	uint64_t seed;
	unsigned load_factor;         /* compare: rate windows' slack, >= 1 */
	struct script_toggle *sets;   /* --set NAME=VALUE, in order */
	size_t nsets, sets_cap;
	int sandbox;                  /* lab: free play */
	int autoplay;                 /* lab: classroom autoplay */
	int autoplay_ms;
	const char *record;           /* lab: record the session here */
	const char *cast;             /* replay, lab: asciicast file */
	int cols, rows;               /* --size of the cast */
	int size_given;
	const char *speed;            /* lab, replay --cast: --speed label */
	char *broker;                 /* live engine: amqp:// URL, our copy
	                                 (the argument's password is scrubbed) */
	int spawn;                    /* --spawn-broker */
	int engine_given;             /* --engine was on the command line */
	unsigned count;               /* gen, diff: how many scenarios */
	const char *out;              /* gen, diff: where scripts go */
	const char *listen;           /* watch: HOST:PORT to listen on */
	char *class_url;              /* --class URL, our copy (the
	                                 argument's password is scrubbed) */
	const char *class_name;       /* --class-name */
	const char *student;          /* --student */
	const char *csv;              /* class: CSV export at the end */
	double for_s;                 /* class: run this long */
	unsigned stuck_min;           /* class: stuck after this long */
	unsigned students;            /* class simulate, setup: how many */
	unsigned events;              /* class simulate: per student */
	unsigned pace_ms;             /* class simulate: between events */
	const char *sent;             /* class simulate: what was sent */
	int teach;                    /* lab: lead the class (--teach) */
	int follow;                   /* lab, class simulate: follow the
					 class's teacher (--follow) */
};

static void
main_usage(FILE *out)
{
	fputs("Usage: rabbitlab [OPTION]... [COMMAND [FILE]...]\n"
	    "A terminal lab for RabbitMQ message reliability.\n"
	    "\n"
	    "Commands:\n"
	    "  (none), lab [FILE]  open the lab on screen: the lesson picker, or\n"
	    "                   FILE as a guided lesson\n"
	    "  replay FILE...   play lesson scripts and print the transcript;\n"
	    "                   exit 0 when every expectation holds, 1 when one\n"
	    "                   fails, 2 for bad input\n"
	    "  check [FILE...]  validate lesson scripts (default: the shipped\n"
	    "                   lessons)\n"
	    "  list             list the shipped lessons\n"
	    "  compare FILE...  play scripts on the simulated and the live engine\n"
	    "                   and print where the ledgers differ (exit 1)\n"
	    "  config [FILE]    the toggles (of FILE, then --set) written as\n"
	    "                   Spring Boot application.yml, Java and rabbitmq-c\n"
	    "  gen              write random valid scenarios (--seed, --count,\n"
	    "                   --out; default: scenario 1 on standard output)\n"
	    "  diff             compare generated scenarios on both engines;\n"
	    "                   with --out=DIR, shrink each difference to a\n"
	    "                   minimal script there; --engine=sim: check them\n"
	    "                   on the simulated engine alone (exit 1 if any\n"
	    "                   differs or fails)\n"
	    "  watch            an AMQP proxy in front of a real broker: point\n"
	    "                   your own application at it and follow every\n"
	    "                   message it publishes to its fate (--listen,\n"
	    "                   --broker, --json; ^C prints the fates)\n"
	    "  class URL        the class dashboard: on a terminal, live (a row\n"
	    "                   per student, the current question's answers;\n"
	    "                   q quits); with --json or without a terminal,\n"
	    "                   the class printed at the end\n"
	    "                   (--json, --csv FILE, --for SEC, --stuck MIN)\n"
	    "  class simulate URL\n"
	    "                   headless students for tests and scale\n"
	    "                   (--students N, --events N, --pace MS, --sent FILE,\n"
	    "                   --student PREFIX, --follow)\n"
	    "  class setup      print the rabbitmqctl commands for a class\n"
	    "                   (--class-name, --students N); with\n"
	    "                   --spawn-broker, make the class on a node the\n"
	    "                   lab starts (--listen HOST:PORT) and keep it\n"
	    "\n"
	    "Options:\n"
	    "  -l, --lang=LANG      text language: en or zh (default: from the\n"
	    "                       locale)\n"
	    "  -s, --seed=N         random seed, overriding the script's\n"
	    "  -e, --engine=NAME    engine: sim (the default) or live (a real\n"
	    "                       RabbitMQ: --broker, RABBITLAB_URL, the config\n"
	    "                       file, or a private node the lab starts)\n"
	    "      --broker=URL     live engine: amqp://user:pass@host:port/vhost\n"
	    "                       (the command line is public: a password is\n"
	    "                       better in RABBITLAB_URL or the config file)\n"
	    "      --load-factor=N  compare on a loaded machine: a window that\n"
	    "                       measures speed (a rate rule, a mid-stream\n"
	    "                       checkpoint) may also be up to N times slower\n"
	    "      --spawn-broker   live engine on a private RabbitMQ node the lab\n"
	    "                       starts on loopback and stops on exit (implies\n"
	    "                       --engine=live; ignores --broker and the rest)\n"
	    "  -j, --json           one JSON object per event and result\n"
	    "  -q, --quiet          replay: print no events, only the results\n"
	    "      --set=NAME=VALUE config: set a toggle (repeatable)\n"
	    "      --count=K        gen, diff: K scenarios, seeds N to N+K-1\n"
	    "                       (default 1)\n"
	    "      --out=DIR        gen, diff: write scripts into DIR\n"
	    "      --listen=HOST:PORT\n"
	    "                       watch: where applications connect (default\n"
	    "                       127.0.0.1:5673, loopback only); class setup\n"
	    "                       --spawn-broker: the node's AMQP address\n"
	    "                       (default 127.0.0.1, a free port)\n"
	    "      --sandbox        lab: free play on the script's topology\n"
	    "      --autoplay[=MS]  lab: classroom mode, steps advance every MS\n"
	    "                       (default 8000; 0: on the presenter key)\n"
	    "      --record=FILE    lab: save every action as a replayable script;\n"
	    "                       watch: the session as a lesson script\n"
	    "      --cast=FILE      replay (one script), lab: record the screen as\n"
	    "                       an asciicast v2 file for asciinema's player;\n"
	    "                       replay plays the lesson by itself, paced by\n"
	    "                       --autoplay=MS (default 8000), answering each\n"
	    "                       question rightly, with no terminal needed\n"
	    "      --size=COLSxROWS the cast's screen size, from 80x24 (the\n"
	    "                       default) to 400x200\n"
	    "      --speed=SPEED    lab, replay --cast: how fast time moves at\n"
	    "                       first: 1/4x, 1/2x, 1x (default), 2x, 4x, 8x\n"
	    "                       or max (< and > change it on screen)\n"
	    "      --class=URL      lab: report progress to the class at URL\n"
	    "                       (amqp://u:p@h1:port,h2:port/vhost; hosts are\n"
	    "                       tried in turn)\n"
	    "      --class-name=NAME  the class (default: the URL's vhost)\n"
	    "      --student=NAME   lab: the name the teacher sees (with --teach,\n"
	    "                       the name the students see)\n"
	    "      --teach          lab: the teacher's lab leads the class: its\n"
	    "                       lesson, step and open challenge are sent to\n"
	    "                       the labs that follow (it reports no progress)\n"
	    "      --follow         lab: follow the class's teacher (same lesson,\n"
	    "                       same step, the challenge once released; @\n"
	    "                       leaves and rejoins); class simulate: the\n"
	    "                       students answer the teacher's questions\n"
	    "  -I, --include-dir=DIR\n"
	    "                       let scripts @include files from the tree at\n"
	    "                       DIR too (repeatable); by default a script may\n"
	    "                       include only files in its own directory tree\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n"
	    "\n"
	    "Environment: RABBITLAB_LESSONS names the lesson directory;\n"
	    "RABBITLAB_URL the live engine's broker; NO_COLOR turns colours off.\n"
	    "Config file: $XDG_CONFIG_HOME/rabbitlab/config (by default\n"
	    "~/.config/rabbitlab/config), a line broker = \"amqp://...\"; keep it\n"
	    "chmod 600 when the URL holds a password. class = \"amqp://...\",\n"
	    "class_name = \"...\" and student = \"...\" there make the lab report.\n",
	    out);
}

static void
main_error(const char *fmt, const char *arg)
{
	fputs("rabbitlab: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
}

/* "en" or "zh" from the locale environment, English by default. */
static const char *
main_locale_lang(void)
{
	const char *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "zh", 2) == 0 ? "zh" : "en";
	}
	return "en";
}

/* The directory of the shipped lessons. */
static const char *
main_lessons_dir(void)
{
	const char *env = getenv("RABBITLAB_LESSONS");
	struct stat st;

	if (env && *env)
		return env;
	if (stat("lessons", &st) == 0 && S_ISDIR(st.st_mode))
		return "lessons";
	return RABBITLAB_DATADIR "/lessons";
}

static int
main_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .cfg files of the lesson directory, sorted; NULL-terminated. */
static char **
main_lesson_files(size_t *n)
{
	const char *dir = main_lessons_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	char **files = NULL;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".cfg") != 0)
			continue;
		files = xgrow(files, &cap, *n + 2, sizeof *files);
		files[(*n)++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (files) {
		qsort(files, *n, sizeof *files, main_cmp);
		files[*n] = NULL;
	}
	return files;
}

static void
main_free_list(char **files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

static struct script *
main_load(const char *path)
{
	struct script_diag diag = { 0 };
	struct script *s = script_load(path, &diag);

	for (size_t i = 0; i < diag.count; i++)
		fprintf(stderr, "%s\n", diag.lines[i]);
	script_diag_free(&diag);
	return s;
}

static int
main_check(char **files, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct script *s = main_load(files[i]);
		if (s == NULL)
			bad = 1;
		else
			printf("%s: ok\n", files[i]);
		script_free(s);
	}
	return bad ? EXIT_BAD_INPUT : 0;
}

/* Plays one loaded script; returns an exit status, *why for stderr. */
typedef int (*main_play_fn)(const struct script *s, const void *opts,
    char **why);

static int
main_play_replay(const struct script *s, const void *opts, char **why)
{
	return runner_replay(s, opts, why);
}

static int
main_play_compare(const struct script *s, const void *opts, char **why)
{
	return compare_script(s, opts, why);
}

/* Loads and plays each file in turn; returns the worst status. */
static int
main_each(char **files, int n, main_play_fn play, const void *opts)
{
	int worst = 0;

	for (int i = 0; i < n; i++) {
		struct script *s = main_load(files[i]);
		char *why = NULL;
		int rc;

		if (s == NULL) {
			worst = EXIT_BAD_INPUT;
			continue;
		}
		rc = play(s, opts, &why);
		fflush(stdout);
		if (why)
			fprintf(stderr, "rabbitlab: %s\n", why);
		free(why);
		script_free(s);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

/* replay --cast: the screen's recording of the one script, first. */
static int
main_replay_cast(const struct main_opts *mo, char **files, int n)
{
	struct castplay_opts co;

	if (n > 1) {
		main_error("--cast records one script (%s ...)", files[0]);
		return EXIT_BAD_INPUT;
	}
	if (mo->autoplay_ms <= 0) {
		fputs("rabbitlab: --cast needs --autoplay=MS above 0 (0 waits "
		    "for a presenter's key)\n", stderr);
		return EXIT_BAD_INPUT;
	}
	if (strcmp(mo->engine, "sim") != 0) {
		main_error("--cast plays the simulated engine, not '%s' (a real "
		    "broker cannot follow the cast's own clock)", mo->engine);
		return EXIT_BAD_INPUT;
	}
	memset(&co, 0, sizeof co);
	co.script = files[0];
	co.cast = mo->cast;
	co.lang = mo->lang;
	co.cols = mo->cols;
	co.rows = mo->rows;
	co.step_ms = mo->autoplay_ms;
	co.speed = mo->speed;
	co.has_seed = mo->has_seed;
	co.seed = mo->seed;
	co.lessons_dir = main_lessons_dir();
	return castplay_run(&co);
}

static int
main_replay(const struct main_opts *mo, char **files, int n)
{
	const struct engine_ops *ops = engine_find(mo->engine);
	struct runner_opts ro;
	int rc = 0;

	if (ops == NULL) {
		main_error("unknown engine '%s' (expected sim or live)", mo->engine);
		return EXIT_BAD_INPUT;
	}
	if (mo->cast && (rc = main_replay_cast(mo, files, n)) != 0)
		return rc;
	memset(&ro, 0, sizeof ro);
	ro.lang = mo->lang;
	ro.json = mo->json;
	ro.has_seed = mo->has_seed;
	ro.seed = mo->seed;
	ro.ops = ops;
	ro.out = stdout;
	ro.events = !mo->quiet;
	ro.challenge = 1;
	ro.url = mo->broker;
	return main_each(files, n, main_play_replay, &ro);
}

static int
main_compare(const struct main_opts *mo, char **files, int n)
{
	struct compare_opts co;

	memset(&co, 0, sizeof co);
	co.out = stdout;
	co.url = mo->broker;
	co.challenge = 1;
	co.has_seed = mo->has_seed;
	co.seed = mo->seed;
	co.load_factor = mo->load_factor;
	return main_each(files, n, main_play_compare, &co);
}

static int
main_config(const struct main_opts *mo, char **files, int n)
{
	int64_t toggles[TOGGLE_COUNT];
	struct script *s = NULL;

	if (n > 1) {
		main_error("config takes at most one script (%s ...)", files[0]);
		return EXIT_BAD_INPUT;
	}
	toggle_defaults(toggles);
	if (n == 1) {
		s = main_load(files[0]);
		if (s == NULL)
			return EXIT_BAD_INPUT;
		for (size_t i = 0; i < s->ntoggles; i++)
			toggles[s->toggles[i].id] = s->toggles[i].value;
	}
	for (size_t i = 0; i < mo->nsets; i++)
		toggles[mo->sets[i].id] = mo->sets[i].value;
	codegen_write(stdout, toggles, s ? &s->topo : NULL, mo->lang);
	script_free(s);
	return 0;
}

/* Parses NAME=VALUE for --set; returns 0 or prints why and returns -1. */
static int
main_add_set(struct main_opts *mo, const char *arg)
{
	const char *eq = strchr(arg, '='), *expected = NULL;
	char name[64];
	int id;
	int64_t v;

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof name) {
		main_error("--set: '%s' is not NAME=VALUE", arg);
		return -1;
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	id = toggle_find(name);
	if (id < 0) {
		main_error("--set: no toggle called '%s' (see lessons/FORMAT.md)",
		    name);
		return -1;
	}
	if (toggle_parse(id, eq + 1, &v, &expected) != 0) {
		fprintf(stderr, "rabbitlab: --set: %s: '%s' is not valid "
		    "(expected %s)\n", name, eq + 1, expected);
		return -1;
	}
	mo->sets = xgrow(mo->sets, &mo->sets_cap, mo->nsets + 1,
	    sizeof *mo->sets);
	mo->sets[mo->nsets].id = id;
	mo->sets[mo->nsets].value = v;
	mo->sets[mo->nsets++].line = 0;
	return 0;
}

/*
 * The class's name into out: `given` (--class-name or the config file's
 * class_name), or else the URL's vhost when it is a usable name. Returns
 * 0, or prints why and returns -1.
 */
static int
main_class_name(const char *given, const char *url, const char *what,
    char *out, size_t len)
{
	struct live_target *t;
	size_t n;
	char why[160], *cause = NULL;
	int ok;

	if (given == NULL) {
		if (class_link_targets(url, what, &t, &n, &cause) != 0) {
			main_error("%s", cause);
			free(cause);
			return -1;
		}
		ok = class_klass_ok(t[0].vhost, why, sizeof why);
		if (ok)
			snprintf(out, len, "%.63s", t[0].vhost);
		memset(t, 0, n * sizeof *t);
		free(t);
		if (!ok) {
			main_error("name the class with --class-name (the URL's "
			    "vhost is not %s)", why);
			return -1;
		}
		return 0;
	}
	if (!class_klass_ok(given, why, sizeof why)) {
		fprintf(stderr, "rabbitlab: --class-name: '%s' is not %s\n",
		    given, why);
		return -1;
	}
	snprintf(out, len, "%s", given);
	return 0;
}

/* A string setting of the config file into *v (caller frees); 0 or -1. */
static int
main_config_string(const char *key, char **v)
{
	char *path = NULL, *cause = NULL;

	if (live_broker_config_url(key, v, &path, &cause) != 0) {
		main_error("%s", cause);
		free(cause);
		free(path);
		return -1;
	}
	free(path);
	return 0;
}

/*
 * --class (or class = "..." in the config file): starts the lab's
 * reporting before the screen opens. Returns 0 (also with no class), or
 * EXIT_BAD_INPUT after saying why.
 */
static int
main_class_report(const struct main_opts *mo)
{
	char *url = NULL, *student = NULL, *cname = NULL, *cause = NULL;
	char klass[CLASS_NAME_MAX];
	const char *what = "--class";
	int rc = EXIT_BAD_INPUT;

	if (mo->class_url)
		url = xstrdup(mo->class_url);
	else {
		if (main_config_string("class", &url) != 0)
			return EXIT_BAD_INPUT;
		what = "the config file's class";
	}
	if (url == NULL) {
		if (mo->teach || mo->follow) {
			main_error("%s", "--teach and --follow need a class "
			    "(--class URL)");
			return EXIT_BAD_INPUT;
		}
		return 0;
	}
	if (mo->teach && mo->follow) {
		main_error("%s", "--teach or --follow, not both");
		memset(url, 0, strlen(url));
		free(url);
		return EXIT_BAD_INPUT;
	}
	if ((mo->student == NULL && main_config_string("student",
	    &student) != 0) || (mo->class_name == NULL &&
	    main_config_string("class_name", &cname) != 0))
		goto out;
	if (mo->student == NULL && student == NULL) {
		main_error("%s", mo->teach ? "--teach needs --student NAME (the "
		    "name your students will see)" : "--class needs --student "
		    "NAME (the name your teacher will see)");
		goto out;
	}
	if (main_class_name(mo->class_name ? mo->class_name : cname, url, what,
	    klass, sizeof klass) != 0)
		goto out;
	/* The teacher's lab leads and does not count as a student. */
	if (!mo->teach && class_report_start(url, what, klass, mo->student ?
	    mo->student : student, &cause) != 0) {
		main_error("%s", cause);
		goto out;
	}
	if (cause)
		main_error("%s", cause);
	free(cause);
	cause = NULL;
	if ((mo->teach || mo->follow) && class_report_lead_start(url, what,
	    klass, mo->student ? mo->student : student, mo->teach,
	    &cause) != 0) {
		main_error("%s", cause);
		goto out;
	}
	if (cause)
		main_error("%s", cause);
	rc = 0;
out:
	free(cause);
	free(student);
	free(cname);
	memset(url, 0, strlen(url));
	free(url);
	return rc;
}

static int
main_lab(const struct main_opts *mo, char **files, int n)
{
	struct ui_opts uo;
	int rc;

	if (n > 1) {
		main_error("lab opens one script at a time (%s ...)", files[0]);
		return EXIT_BAD_INPUT;
	}
	memset(&uo, 0, sizeof uo);
	uo.ops = engine_find(mo->engine);
	uo.url = mo->broker;
	/*
	 * On the live engine the broker is found before the screen opens: a
	 * private node's start-up progress goes to the terminal as plain
	 * lines. Without a terminal ui_main refuses at once: no node then.
	 */
	if (strcmp(mo->engine, "live") == 0 && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO)) {
		struct live_target t;
		char *cause = NULL;
		if (live_broker_resolve(mo->broker, &t, &cause) != 0) {
			main_error("%s", cause);
			free(cause);
			return EXIT_BAD_INPUT;
		}
		fprintf(stderr, "rabbitlab: live engine on %s\n", t.display);
	}
	uo.lang = mo->lang;
	uo.lessons_dir = main_lessons_dir();
	uo.script = n == 1 ? files[0] : NULL;
	uo.sandbox = mo->sandbox;
	uo.autoplay = mo->autoplay;
	uo.autoplay_ms = mo->autoplay_ms;
	uo.record = mo->record;
	uo.cast = mo->cast;
	uo.cast_cols = mo->cols;
	uo.cast_rows = mo->rows;
	uo.speed = mo->speed;
	uo.has_seed = mo->has_seed;
	uo.seed = mo->seed;
	rc = main_class_report(mo);
	if (rc != 0)
		return rc;
	rc = ui_main(&uo);
	/* What is still owed stays in the outbox for the next run. */
	class_report_stop(1000);
	return rc;
}

static int
main_list(const struct main_opts *mo)
{
	size_t n;
	char **files = main_lesson_files(&n);

	if (files == NULL) {
		main_error("no lessons found in %s", main_lessons_dir());
		return EXIT_BAD_INPUT;
	}
	for (size_t i = 0; i < n; i++) {
		struct script *s = main_load(files[i]);
		if (s)
			printf("%-28s %s\n", s->id,
			    script_text_get(&s->title, mo->lang));
		script_free(s);
	}
	main_free_list(files, n);
	return 0;
}

/*
 * --broker URL, --class URL: keeps a copy in *dst and overwrites the
 * password in `arg` itself, the argument memory that /proc/PID/cmdline and
 * ps show to every user of the machine, then says once on stderr (never
 * stdout) where a password is better kept.
 */
static void
main_set_url(char **dst, char *arg)
{
	static int noticed;

	if (*dst) {
		memset(*dst, 0, strlen(*dst));
		free(*dst);
	}
	*dst = xstrdup(arg);
	if (live_url_scrub(arg) && !noticed) {
		noticed = 1;
		fputs("rabbitlab: note: the command line is public (ps); pass a "
		    "password in RABBITLAB_URL or the config file (--help)\n",
		    stderr);
	}
}

static void
main_free_url(char **u)
{
	if (*u) {
		memset(*u, 0, strlen(*u));
		free(*u);
		*u = NULL;
	}
}

/* Continue to the command (main_options's answer when all went well). */
#define MAIN_GO (-1)

/* gen: the scenarios, as files under --out or on standard output. */
static int
main_gen(const struct main_opts *mo)
{
	uint64_t seed = mo->has_seed ? mo->seed : 1;
	unsigned count = mo->count ? mo->count : 1;

	for (unsigned i = 0; i < count; i++) {
		struct gen_scn g;
		char *cause = NULL, *path;

		gen_scenario(seed + i, &g);
		if (mo->out == NULL) {
			char *text = gen_write(&g, NULL);
			int rc = fputs(text, stdout);
			free(text);
			if (rc == EOF) {
				main_error("standard output: %s",
				    strerror(errno));
				return EXIT_BAD_INPUT;
			}
			continue;
		}
		path = gen_save_file(&g, NULL, mo->out, &cause);
		if (path == NULL) {
			main_error("%s", cause);
			free(cause);
			return EXIT_BAD_INPUT;
		}
		free(path);
	}
	return 0;
}

/* diff: the campaign over seeds N .. N+K-1. */
static int
main_diff(const struct main_opts *mo)
{
	struct gen_diff_opts o;
	struct gen_diff_tally t;

	memset(&o, 0, sizeof o);
	o.seed = mo->has_seed ? mo->seed : 1;
	o.count = mo->count ? mo->count : 1;
	o.sim_only = mo->engine_given && strcmp(mo->engine, "sim") == 0;
	o.out_dir = mo->out;
	o.url = mo->broker;
	o.load_factor = mo->load_factor;
	o.log = stdout;
	return gen_diff_run(&o, &t);
}

/*
 * Reads the options into *mo: MAIN_GO, or the exit status when the run
 * ends here (help, version, or a bad option, said on stderr).
 */
/*
 * Reads `arg` as a whole number from lo to hi into *v. Otherwise says so
 * for option `opt` and returns -1.
 */
static int
main_number(const char *opt, const char *arg, unsigned long long lo,
    unsigned long long hi, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || *v < lo ||
	    *v > hi) {
		fprintf(stderr, "rabbitlab: %s: '%s' is not a whole number "
		    "from %llu to %llu\n", opt, arg, lo, hi);
		return -1;
	}
	return 0;
}

/*
 * --size COLSxROWS into mo->cols and mo->rows; otherwise says what was
 * expected and returns -1.
 */
static int
main_size(const char *arg, struct main_opts *mo)
{
	unsigned cols, rows;
	int used = 0;

	if (sscanf(arg, "%3u%*[xX]%3u%n", &cols, &rows, &used) != 2 ||
	    arg[used] != '\0' || arg[0] < '0' || arg[0] > '9' ||
	    cols < CASTPLAY_MIN_COLS || cols > CASTPLAY_MAX_COLS ||
	    rows < CASTPLAY_MIN_ROWS || rows > CASTPLAY_MAX_ROWS) {
		fprintf(stderr, "rabbitlab: --size: '%s' is not COLSxROWS from "
		    "%dx%d to %dx%d (for example 80x24)\n", arg,
		    CASTPLAY_MIN_COLS, CASTPLAY_MIN_ROWS, CASTPLAY_MAX_COLS,
		    CASTPLAY_MAX_ROWS);
		return -1;
	}
	mo->cols = (int)cols;
	mo->rows = (int)rows;
	mo->size_given = 1;
	return 0;
}

/* Long options with no letter of their own: the class's. */
enum {
	OPT_CLASS = 256,
	OPT_CLASS_NAME,
	OPT_STUDENT,
	OPT_CSV,
	OPT_FOR,
	OPT_STUCK,
	OPT_STUDENTS,
	OPT_EVENTS,
	OPT_PACE,
	OPT_SENT,
	OPT_TEACH,
	OPT_FOLLOW,
};

/* The class options (--class and what the class commands take). */
static int
main_class_option(int ch, struct main_opts *mo)
{
	unsigned long long v;

	switch (ch) {
	case OPT_CLASS:
		main_set_url(&mo->class_url, optarg);
		break;
	case OPT_CLASS_NAME:
		mo->class_name = optarg;
		break;
	case OPT_STUDENT:
		mo->student = optarg;
		break;
	case OPT_CSV:
		mo->csv = optarg;
		break;
	case OPT_FOR:
		if (main_number("--for", optarg, 1, 86400 * 7, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->for_s = (double)v;
		break;
	case OPT_STUCK:
		if (main_number("--stuck", optarg, 1, 24 * 60, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->stuck_min = (unsigned)v;
		break;
	case OPT_STUDENTS:
		if (main_number("--students", optarg, 1, 5000, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->students = (unsigned)v;
		break;
	case OPT_EVENTS:
		if (main_number("--events", optarg, 1, 1000000, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->events = (unsigned)v;
		break;
	case OPT_PACE:
		if (main_number("--pace", optarg, 1, 3600000, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->pace_ms = (unsigned)v;
		break;
	case OPT_SENT:
		mo->sent = optarg;
		break;
	case OPT_TEACH:
		mo->teach = 1;
		break;
	case OPT_FOLLOW:
		mo->follow = 1;
		break;
	}
	return MAIN_GO;
}

/* One option getopt_long returned: MAIN_GO to go on, else the exit status. */
static int
main_option(int ch, int argc, char **argv, struct main_opts *mo)
{
	unsigned long long v;

	(void)argc;
	if (ch >= OPT_CLASS && ch <= OPT_FOLLOW)
		return main_class_option(ch, mo);
	switch (ch) {
	case 'l':
		if (strcmp(optarg, "en") && strcmp(optarg, "zh")) {
			main_error("--lang: '%s' is not a language "
			    "(expected en or zh)", optarg);
			return EXIT_BAD_INPUT;
		}
		mo->lang = optarg;
		break;
	case 's':
		if (main_number("--seed", optarg, 0, UINT64_MAX, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->seed = v;
		mo->has_seed = 1;
		break;
	case 'F':
		if (main_number("--load-factor", optarg, 1, 1000, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->load_factor = (unsigned)v;
		break;
	case 'C':
		if (main_number("--count", optarg, 1, 1000000, &v) != 0)
			return EXIT_BAD_INPUT;
		mo->count = (unsigned)v;
		break;
	case 'O':
		mo->out = optarg;
		break;
	case 'L':
		mo->listen = optarg;
		break;
	case 'e':
		mo->engine = optarg;
		mo->engine_given = 1;
		break;
	case 'P':
		mo->spawn = 1;
		break;
	case 'j':
		mo->json = 1;
		break;
	case 'q':
		mo->quiet = 1;
		break;
	case 'S':
		if (main_add_set(mo, optarg) != 0)
			return EXIT_BAD_INPUT;
		break;
	case 'B':
		mo->sandbox = 1;
		break;
	case 'A':
		v = 8000;
		if (optarg && main_number("--autoplay", optarg, 0, 3600000,
		    &v) != 0)
			return EXIT_BAD_INPUT;
		mo->autoplay = 1;
		mo->autoplay_ms = (int)v;
		break;
	case 'R':
		mo->record = optarg;
		break;
	case 'K':
		mo->cast = optarg;
		break;
	case 'Z':
		if (main_size(optarg, mo) != 0)
			return EXIT_BAD_INPUT;
		break;
	case 'X':
		if (!ui_speed_known(optarg)) {
			main_error("--speed: '%s' is not a speed (expected 1/4x, "
			    "1/2x, 1x, 2x, 4x, 8x or max)", optarg);
			return EXIT_BAD_INPUT;
		}
		mo->speed = optarg;
		break;
	case 'U':
		main_set_url(&mo->broker, optarg);
		break;
	case 'I': {
		char *cause = NULL;
		if (script_include_dir_add(optarg, &cause) != 0) {
			main_error("--include-dir: %s", cause);
			free(cause);
			return EXIT_BAD_INPUT;
		}
		break;
	}
	case 'h':
		main_usage(stdout);
		return 0;
	case 'V':
		printf("rabbitlab %s\n", RABBITLAB_VERSION);
		return 0;
	case ':':
		main_error("option '%s' needs a value", argv[optind - 1]);
		return EXIT_BAD_INPUT;
	default:
		main_error("unknown option '%s' (try --help)",
		    argv[optind - 1]);
		return EXIT_BAD_INPUT;
	}

	return MAIN_GO;
}

static int
main_options(int argc, char **argv, struct main_opts *mo)
{
	static const struct option longopts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "seed", required_argument, NULL, 's' },
		{ "engine", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "set", required_argument, NULL, 'S' },
		{ "sandbox", no_argument, NULL, 'B' },
		{ "autoplay", optional_argument, NULL, 'A' },
		{ "record", required_argument, NULL, 'R' },
		{ "cast", required_argument, NULL, 'K' },
		{ "size", required_argument, NULL, 'Z' },
		{ "speed", required_argument, NULL, 'X' },
		{ "broker", required_argument, NULL, 'U' },
		{ "spawn-broker", no_argument, NULL, 'P' },
		{ "load-factor", required_argument, NULL, 'F' },
		{ "include-dir", required_argument, NULL, 'I' },
		{ "count", required_argument, NULL, 'C' },
		{ "out", required_argument, NULL, 'O' },
		{ "listen", required_argument, NULL, 'L' },
		{ "class", required_argument, NULL, OPT_CLASS },
		{ "class-name", required_argument, NULL, OPT_CLASS_NAME },
		{ "teach", no_argument, NULL, OPT_TEACH },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "student", required_argument, NULL, OPT_STUDENT },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "for", required_argument, NULL, OPT_FOR },
		{ "stuck", required_argument, NULL, OPT_STUCK },
		{ "students", required_argument, NULL, OPT_STUDENTS },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "pace", required_argument, NULL, OPT_PACE },
		{ "sent", required_argument, NULL, OPT_SENT },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":l:s:e:I:jqhV", longopts,
	    NULL)) != -1) {
		int rc = main_option(ch, argc, argv, mo);
		if (rc != MAIN_GO)
			return rc;
	}
	if (engine_find(mo->engine) == NULL) {
		main_error("unknown engine '%s' (expected sim or live)",
		    mo->engine);
		return EXIT_BAD_INPUT;
	}
	if (mo->size_given && mo->cast == NULL) {
		fputs("rabbitlab: --size: the size of a cast goes with "
		    "--cast=FILE\n", stderr);
		return EXIT_BAD_INPUT;
	}
	if (mo->spawn) {
		if (mo->engine_given && strcmp(mo->engine, "live") != 0) {
			main_error("--spawn-broker needs the live engine, not "
			    "'%s'", mo->engine);
			return EXIT_BAD_INPUT;
		}
		mo->engine = "live";
		live_broker_force_private();
	}
	return MAIN_GO;
}

/* The lessons a simulated class plays: the shipped ones. */
static struct script **
main_class_lessons(size_t *n)
{
	size_t nf;
	char **files = main_lesson_files(&nf);
	struct script **v = xcalloc(nf + 1, sizeof *v);

	*n = 0;
	for (size_t i = 0; i < nf; i++) {
		struct script *s = main_load(files[i]);
		if (s)
			v[(*n)++] = s;
	}
	main_free_list(files, nf);
	return v;
}

/* class URL | class simulate URL | class setup */
static int
main_class(struct main_opts *mo, char **args, int n)
{
	struct class_cmd_opts co;
	struct class_setup_opts so = { 0 };
	const char *sub = n > 0 ? args[0] : NULL;
	char klass[CLASS_NAME_MAX];
	int rc, take;

	memset(&co, 0, sizeof co);
	co.out = stdout;
	co.json = mo->json;
	co.csv = mo->csv;
	co.for_s = mo->for_s;
	co.stuck_ms = (int64_t)(mo->stuck_min ? mo->stuck_min : 5) * 60000;
	co.students = mo->students;
	co.events = mo->events ? mo->events : 20;
	co.pace_ms = mo->pace_ms ? mo->pace_ms : 1000;
	co.sent = mo->sent;
	co.follow = mo->follow;
	co.prefix = mo->student ? mo->student : "student";
	co.seed = mo->has_seed ? mo->seed : 1;
	co.what = "the class URL";
	if (sub && strcmp(sub, "setup") == 0) {
		if (n > 1 || mo->class_name == NULL) {
			main_error("%s", "class setup: name the class with "
			    "--class-name NAME (and no other argument)");
			return EXIT_BAD_INPUT;
		}
		if (main_class_name(mo->class_name, NULL, NULL, klass,
		    sizeof klass) != 0)
			return EXIT_BAD_INPUT;
		so.klass = klass;
		so.students = mo->students ? mo->students : 3;
		so.spawn = mo->spawn;
		so.listen = mo->listen;
		so.in = stdin;
		so.out = stdout;
		return class_setup(&so);
	}
	take = sub && strcmp(sub, "simulate") == 0;
	if (n > take + 1 || (n > take && strstr(args[take], "://") == NULL)) {
		main_error("class: '%s' is not a class URL (amqp://...)",
		    args[n - 1]);
		return EXIT_BAD_INPUT;
	}
	/* The argument's password is hidden from ps as --class's is. */
	if (n > take)
		main_set_url(&mo->class_url, args[take]);
	if (mo->class_url == NULL) {
		main_error("%s", "class: which class? (class amqp://user:pass@"
		    "host:port/vhost, class simulate URL, class setup)");
		return EXIT_BAD_INPUT;
	}
	if (main_class_name(mo->class_name, mo->class_url, co.what, klass,
	    sizeof klass) != 0)
		return EXIT_BAD_INPUT;
	co.url = mo->class_url;
	co.klass = klass;
	if (!take && !co.json && isatty(STDIN_FILENO) &&
	    isatty(STDOUT_FILENO))
		return classview_main(&co, mo->lang, NULL);
	if (!take)
		return class_cmd_dashboard(&co);
	if (co.students == 0)
		co.students = 30;
	co.lessons = main_class_lessons(&co.nlessons);
	rc = class_cmd_simulate(&co);
	for (size_t i = 0; i < co.nlessons; i++)
		script_free(co.lessons[i]);
	free(co.lessons);
	return rc;
}

/* Runs the command at argv[optind]; the exit status. */
static int
main_command(int argc, char **argv, struct main_opts *mo)
{
	const char *cmd;
	int rc;

	if (optind >= argc)
		return main_lab(mo, NULL, 0);
	cmd = argv[optind++];
	if (mo->cast && strcmp(cmd, "lab") && strcmp(cmd, "replay")) {
		main_error("--cast records the screen of lab or replay, not %s",
		    cmd);
		return EXIT_BAD_INPUT;
	}
	if (strcmp(cmd, "lab") == 0)
		return main_lab(mo, argv + optind, argc - optind);
	if (strcmp(cmd, "replay") == 0) {
		if (optind >= argc) {
			main_error("%s: which script? (replay FILE...)", cmd);
			return EXIT_BAD_INPUT;
		}
		return main_replay(mo, argv + optind, argc - optind);
	}
	if (strcmp(cmd, "check") == 0) {
		size_t n;
		char **files;
		if (optind < argc)
			return main_check(argv + optind, argc - optind);
		files = main_lesson_files(&n);
		if (files == NULL) {
			main_error("no lessons found in %s", main_lessons_dir());
			return EXIT_BAD_INPUT;
		}
		rc = main_check(files, (int)n);
		main_free_list(files, n);
		return rc;
	}
	if (strcmp(cmd, "list") == 0)
		return main_list(mo);
	if (strcmp(cmd, "compare") == 0) {
		if (optind >= argc) {
			main_error("%s: which script? (compare FILE...)", cmd);
			return EXIT_BAD_INPUT;
		}
		return main_compare(mo, argv + optind, argc - optind);
	}
	if (strcmp(cmd, "config") == 0) {
		rc = main_config(mo, argv + optind, argc - optind);
		free(mo->sets);
		return rc;
	}
	if (strcmp(cmd, "gen") == 0)
		return main_gen(mo);
	if (strcmp(cmd, "diff") == 0)
		return main_diff(mo);
	if (strcmp(cmd, "class") == 0)
		return main_class(mo, argv + optind, argc - optind);
	if (strcmp(cmd, "watch") == 0) {
		struct watch_opts wo;
		struct watchview_opts wvo = { NULL, NULL };
		memset(&wo, 0, sizeof wo);
		wo.listen = mo->listen;
		wo.url = mo->broker;
		wo.json = mo->json;
		wo.out = stdout;
		wo.record = mo->record;
		/* On a terminal, the lab's screen; --json or a pipe: lines. */
		if (!mo->json && isatty(STDIN_FILENO) &&
		    isatty(STDOUT_FILENO)) {
			wvo.lang = mo->lang;
			wo.screen = watchview_run;
			wo.screen_ctx = &wvo;
		}
		return watch_run(&wo);
	}
	main_error("unknown command '%s' (expected lab, replay, check, list, "
	    "compare, config, gen, diff, watch or class)",
	    cmd);
	return EXIT_BAD_INPUT;
}

int
main(int argc, char **argv)
{
	struct main_opts mo;
	int rc;

	memset(&mo, 0, sizeof mo);
	mo.lang = main_locale_lang();
	mo.engine = "sim";
	mo.autoplay_ms = 8000;
	mo.cols = CASTPLAY_MIN_COLS;
	mo.rows = CASTPLAY_MIN_ROWS;
	rc = main_options(argc, argv, &mo);
	if (rc == MAIN_GO)
		rc = main_command(argc, argv, &mo);
	main_free_url(&mo.broker);
	main_free_url(&mo.class_url);
	script_include_dirs_clear();
	return rc;
}
