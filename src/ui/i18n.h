/*
 * Interface language: gettext for the screen's own strings (domain
 * "rabbitlab"), chosen by the lab's --lang rather than by the locale alone.
 * No curses here.
 */
#ifndef RL_I18N_H
#define RL_I18N_H

#include <libintl.h>

#define I18N_DOMAIN "rabbitlab"

/* Marks a string for translation and translates it now. */
#define _(s) dgettext(I18N_DOMAIN, s)
/* Marks a string for translation; translate it later with _(). */
#define N_(s) (s)

/*
 * Sets the locale from the environment and prepares gettext so that `lang`
 * ("en" or "zh") is what _() returns, even when the system has no zh_CN
 * locale generated: for zh it sets LANGUAGE and, when LC_MESSAGES is "C",
 * switches to C.UTF-8. `localedir` is where LANG/LC_MESSAGES/rabbitlab.mo
 * live, or NULL to search the usual places (see i18n.c). Call once, before
 * curses starts.
 *
 * Returns the language in force: "zh" only if the terminal's character set
 * is UTF-8 (otherwise Chinese cannot be shown and "en" is returned).
 */
const char *i18n_setup(const char *lang, const char *localedir);

/* Whether the locale's character set is UTF-8 (after i18n_setup). */
int i18n_utf8(void);
/*
 * Whether the screen draws in ASCII alone: the locale is not UTF-8, or
 * RABBITLAB_ASCII is set (after i18n_setup).
 */
int i18n_ascii(void);

/*
 * Whether the catalogue for zh was found: _() of a known string differs
 * from it. Used by the screen to warn that translations are missing.
 */
int i18n_catalogue_ok(void);

/* The directory gettext was bound to (borrowed, static). */
const char *i18n_localedir(void);

#endif
