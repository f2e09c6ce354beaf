/*
 * The script loader's insides, shared by its files and by nothing else.
 *
 * Loading a script (lesson/script.c) runs three passes over one struct
 * script_loader: the scanner (script_scan.c) reads the raw text into the
 * expanded text libconfig parses, libconfig parses it, and the validator
 * walks the settings: typed access and problem reports (script_setting.c),
 * the topology (script_topo.c), the steps, actions, expectations and the
 * challenge (script_steps.c), and the comparison rules (script_tolerance.c).
 * Every problem goes through script_report and friends, which write one
 * "FILE:LINE: message" line to the caller's diagnostics; the validator goes
 * on after a problem, so one load reports every problem it can find.
 */
#ifndef RL_SCRIPT_LOADER_H
#define RL_SCRIPT_LOADER_H

#include <libconfig.h>
#include <stdarg.h>
#include <stddef.h>

#include "lesson/script.h"

#define SCRIPT_MAX_BYTES (1024 * 1024) /* a script with all its includes */
#define SCRIPT_MAX_DIAGS 30            /* then one "too many" line */
#define SCRIPT_MAX_DEPTH 10            /* @include nesting, as libconfig */
#define SCRIPT_MAX_DECLS 1000          /* per topology list: keeps it fast */
#define SCRIPT_MAX_MEMBERS 256         /* per group: libconfig is quadratic */
#define SCRIPT_NAME_MAX 255            /* an AMQP short string */
#define SCRIPT_ID_MAX 64
#define SCRIPT_WORD_MAX 64             /* longest word we suggest for */
#define SCRIPT_MS_MAX 86400000         /* one day */
#define SCRIPT_U32_MAX 4294967295LL

/* Flags for script_str_of. */
#define SCRIPT_STR_NONEMPTY 1 /* not empty or blank */
#define SCRIPT_STR_SHORT 2    /* at most SCRIPT_NAME_MAX bytes */
#define SCRIPT_STR_TEXT 4     /* may hold line breaks and tabs */

/*
 * What a setting should have been, for "must be X, not Y" messages.
 * script_wrong_type compares these by address.
 */
extern const char script_want_int[];
extern const char script_want_bool[];
extern const char script_want_string[];
extern const char script_want_group[];
extern const char script_want_list[];
extern const char script_want_text[];
extern const char script_want_range[];

/* A run of lines of the expanded text that came from one file. */
struct script_seg {
	int at;           /* its first line in the expanded text */
	const char *file; /* the file, as messages name it */
	int line;         /* that first line's number in the file */
};

/* A ',' right before ')' or ']': libconfig 1.5 rejects it. */
struct script_comma {
	int comma;   /* expanded line of the comma */
	int close;   /* expanded line of the bracket */
	char bracket;
};

/* A bare word where a value goes: probably a string without quotes. */
struct script_bare {
	int line;
	char word[32];  /* "" when it came from an included file */
};

/* Where comparison rules sit: what they may name and which keys apply. */
enum script_cmp_place {
	SCRIPT_CMP_STEP,           /* a lesson step's */
	SCRIPT_CMP_LESSON,         /* top level: the lesson's run */
	SCRIPT_CMP_CHALLENGE,      /* the challenge's runs */
	SCRIPT_CMP_CHALLENGE_STEP, /* a challenge step's */
};

/* A comparison rule and the setting it was read from, for later reports. */
struct script_rule_at {
	const struct script_tolerance *t;
	const config_setting_t *g;
};

struct script_loader {
	const char *name;          /* the script as messages name it */
	struct script_diag *diag;
	size_t added;              /* lines this load added to diag */
	int full;                  /* hit SCRIPT_MAX_DIAGS: drop the rest */

	/* Scanner output: the text libconfig parses, and notes on it. */
	char *text;
	size_t len, cap;
	int lines;                 /* current line of `text`, from 1 */
	struct script_seg *segs;
	size_t nsegs, capsegs;
	char **files;              /* names of included files (owned) */
	size_t nfiles, capfiles;
	int *bigs;                 /* lines with a literal beyond 64 bits */
	size_t nbigs, capbigs;
	struct script_comma *commas;
	size_t ncommas, capcommas;
	struct script_bare *bares;
	size_t nbares, capbares;
	int open_line;             /* line of an unclosed string, or 0 */
	int *members;              /* per open bracket: settings so far in a
				      group, -1 in a list or array; [0] is
				      the root group */
	size_t depth, capdepth;
	char last;                 /* last significant character scanned */
	int last_line;             /* and its line of `text` */
	const char *include_dir;   /* files: the script's directory or NULL */
	const char *include_root;  /* its real path: the tree includes may
				      come from, besides script_include_dir_add's;
				      NULL if it cannot be resolved */
	int allow_include;

	/* Validator state. */
	struct script *s;
	const char **xnames;       /* declared exchanges, NULL-terminated */
	const char **qnames;       /* declared queues */
	const char **cnames;       /* declared consumers */
	const char *tnames[TOGGLE_COUNT + 1];
	char **counters;           /* ledger counter names, on first use */
	size_t ncounters, capcounters;
	struct script_rule_at *rules; /* every comparison rule read */
	size_t nrules, caprules;
};

/* ---- problems (script_setting.c) ----------------------------------------- */

/* `s` cut at a character boundary with "..." to fit buf (size bytes). */
const char *script_clip(const char *s, char *buf, size_t size);
#define SCRIPT_CLIP(s) script_clip((s), (char[72]){ 0 }, 72)

/* Reports against a line of one source file, before the text is joined. */
void script_report_file(struct script_loader *ld, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Reports against a line of the expanded text. */
void script_report_line(struct script_loader *ld, int at, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
/* Reports against the line of setting `s`. */
void script_report(struct script_loader *ld, const config_setting_t *s,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The file and line a line of the expanded text came from. */
void script_locate(const struct script_loader *ld, int at, const char **file,
    int *line);
/* The expanded-text line of a setting; the root group counts as line 1. */
int script_line(const config_setting_t *s);
/* The line of setting `s` in its own file, for the script's line fields. */
int script_src_line(const struct script_loader *ld, const config_setting_t *s);

/*
 * The name in `names` (NULL-terminated) closest to `word`, if it is at
 * most two edits away and the edits do not make up half of it; else NULL.
 */
const char *script_suggest(const char *word, const char *const *names);
/* " (did you mean 'x'?)" for the closest name, or "". */
const char *script_mean(const char *word, const char *const *names,
    char *buf, size_t size);
#define SCRIPT_MEAN(w, names) script_mean((w), (names), (char[96]){ 0 }, 96)
/* The names as "a, b, c", cut with "..." when too long for buf. */
const char *script_join(const char *const *names, char *buf, size_t size);
#define SCRIPT_JOIN(names) script_join((names), (char[768]){ 0 }, 768)
/* Whether `name` is one of `names` (NULL-terminated). */
int script_has(const char *const *names, const char *name);

/* ---- typed settings (script_setting.c) ----------------------------------- */

/*
 * How messages name setting `s`: the caller's label for list elements,
 * else its key in quotes.
 */
const char *script_label(const config_setting_t *s, const char *label,
    char *buf, size_t size);
#define SCRIPT_LABEL(s, l) script_label((s), (l), (char[80]){ 0 }, 80)
/* Reports "LABEL must be WANT, not TYPE", with a hint when one fits. */
void script_wrong_type(struct script_loader *ld, const config_setting_t *s,
    const char *label, const char *want);
/* The member `key` of group `g`, or NULL; reports it when `required`. */
config_setting_t *script_get(struct script_loader *ld,
    const config_setting_t *g, const char *key, int required,
    const char *where);
/* Reports every member of group `g` that is not in `keys`. */
void script_keys(struct script_loader *ld, const config_setting_t *g,
    const char *const *keys, const char *where);
/* Was an integer on this line too large to read? (Reported already.) */
int script_big(const struct script_loader *ld, const config_setting_t *s);

/*
 * The readers below return 1 with the value in *out, or -1 when the
 * setting is there but wrong (reported; *out untouched). Those that take a
 * group and a key return 0 when the key is absent.
 */
int script_int_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, int64_t min, int64_t max, int64_t *out);
int script_int(struct script_loader *ld, const config_setting_t *g,
    const char *key, int64_t min, int64_t max, int64_t *out);
int script_bool(struct script_loader *ld, const config_setting_t *g,
    const char *key, int *out);
/* Strings are borrowed from the configuration; flags: SCRIPT_STR_*. */
int script_str_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, int flags, const char **out);
int script_str(struct script_loader *ld, const config_setting_t *g,
    const char *key, int flags, const char **out);
/*
 * A string naming one of `names`: its index. Else reported as "unknown NOUN
 * 'x'" (or "LABEL cannot be 'x'" when noun is NULL) with a suggestion.
 */
int script_choice_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, const char *const *names, const char *noun, int *out);
int script_choice(struct script_loader *ld, const config_setting_t *g,
    const char *key, const char *const *names, const char *noun, int *out);
/* Whether `s` is a group; reported otherwise. */
int script_is_group(struct script_loader *ld, const config_setting_t *s,
    const char *label);
/* Whether `s` is a list of `min` to `max` elements; reported otherwise. */
int script_is_list(struct script_loader *ld, const config_setting_t *s,
    int min, int max);
/* A text { en; zh; } into *out (strings owned by *out). */
int script_text_of(struct script_loader *ld, const config_setting_t *s,
    const char *label, struct script_text *out);
int script_text(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where,
    struct script_text *out);

/* ---- raw text (script_scan.c) -------------------------------------------- */

/* Whether s (n bytes) is valid UTF-8. */
int script_utf8_ok(const char *s, size_t n);
/*
 * Reads a whole regular file of at most SCRIPT_MAX_BYTES: the text,
 * NUL-terminated, with its length in *len; or NULL with *why (caller frees).
 */
char *script_read_file(const char *path, size_t *len, char **why);
/* Appends n bytes to the expanded text. */
void script_emit(struct script_loader *ld, const char *p, size_t n);
/*
 * Scans one file's text into the expanded text. Returns 0, or -1 when the
 * problem found makes parsing pointless (reported).
 */
int script_scan(struct script_loader *ld, const char *file, const char *p,
    size_t n, int depth);
/* A hint for libconfig's syntax error at expanded line `at`, or "". */
const char *script_syntax_hint(const struct script_loader *ld,
    const char *error, int at, char *buf, size_t size);

/* ---- where includes may come from (script_include.c) --------------------- */

/*
 * The real path of directory `dir` (NULL: the working directory), the tree
 * a script there may include from; NULL if it does not resolve. Caller
 * frees.
 */
char *script_include_root(const char *dir);
/*
 * Where @include "NAME" (`len` bytes at `name`) in a script loaded by `ld`
 * points. *shown always gets the path as messages name it (caller frees).
 * Returns the path to open (caller frees), or NULL with *why set (caller
 * frees) when the file lies outside every tree it may come from.
 */
char *script_include_path(const struct script_loader *ld, const char *name,
    size_t len, char **shown, char **why);

/* ---- topology (script_topo.c) -------------------------------------------- */

/* Reads `topology` from the root group into ld->s->topo. */
void script_topology(struct script_loader *ld, const config_setting_t *root);
/* The declared exchange called `name`, or NULL. */
const struct topo_exchange *script_exchange(const struct script_loader *ld,
    const char *name);
/* A string naming "" (if allowed) or a declared exchange. */
int script_exchange_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int allow_default, const char **out);
/* A string naming one of `names`, declared things of `kind`. */
int script_ref(struct script_loader *ld, const config_setting_t *g,
    const char *key, int required, const char *where, const char *kind,
    const char *const *names, const char **out);
/* A group of string values as a new array of pairs; returns the count. */
size_t script_pairs(struct script_loader *ld, const config_setting_t *s,
    struct topo_kv **out);
void script_free_pairs(struct topo_kv *kv, size_t n);

/* ---- steps (script_steps.c) ---------------------------------------------- */

/* Reads every top-level key into ld->s. */
void script_root(struct script_loader *ld, const config_setting_t *root);
/* The ledger's counter names, NULL-terminated (read on first use). */
const char *const *script_counter_names(struct script_loader *ld);

/* ---- comparison rules (script_tolerance.c) -------------------------------- */

/* compare = { ... } or ( { ... }, ... ) in `place` into a new array. */
void script_tolerances(struct script_loader *ld, const config_setting_t *s,
    enum script_cmp_place place, struct script_tolerance **out,
    size_t *nout);
/*
 * Step `st` (read from group `g`; `last`: the run's last step): reports its
 * rules that can match nothing, compare taking no checkpoint after it.
 */
void script_tolerances_step(struct script_loader *ld,
    const config_setting_t *g, const struct script_step *st, int last);
/*
 * Once the whole script is read: rules shadowed by the rules above them,
 * and runs whose rules leave nothing to compare at their end.
 */
void script_tolerances_check(struct script_loader *ld);

#endif
