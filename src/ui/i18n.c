/*
 * Interface language. The lab's language comes from --lang (or main.c's
 * reading of the locale), not from whether the machine happens to have a
 * zh_CN locale generated: many classroom machines and containers only have
 * C.UTF-8. glibc's gettext ignores LANGUAGE while LC_MESSAGES is "C", but
 * honours it under C.UTF-8, so for Chinese we set LANGUAGE=zh_CN and make
 * sure the messages category is at least C.UTF-8. For English we set
 * LANGUAGE=en so a zh_CN locale does not translate an English session.
 *
 * The catalogue is found in, in order: the directory given by the caller,
 * $RABBITLAB_LOCALEDIR, "locale" beside the running binary (build/locale
 * in a build tree), and the installed share/locale.
 */
#include "ui/i18n.h"

#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char i18n_dir[PATH_MAX];
static int i18n_is_utf8;

static int
i18n_isdir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether the environment asked for a UTF-8 locale, generated or not. */
static int
i18n_env_wants_utf8(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v == NULL || *v == '\0')
			continue;
		return strstr(v, "UTF-8") || strstr(v, "utf8") ||
		    strstr(v, "UTF8") || strstr(v, "utf-8");
	}
	return 0;
}

static int
i18n_is_c(const char *name)
{
	return name == NULL || strcmp(name, "C") == 0 ||
	    strcmp(name, "POSIX") == 0;
}

/* Picks the catalogue directory; see the comment at the top. */
static void
i18n_pick_dir(const char *given)
{
	const char *env = getenv("RABBITLAB_LOCALEDIR");
	char exe[PATH_MAX];
	ssize_t n;

	if (given && *given) {
		snprintf(i18n_dir, sizeof i18n_dir, "%s", given);
		return;
	}
	if (env && *env) {
		snprintf(i18n_dir, sizeof i18n_dir, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(i18n_dir, sizeof i18n_dir, "%.*s/locale",
			    (int)(sizeof i18n_dir - 8), exe);
			if (i18n_isdir(i18n_dir))
				return;
		}
	}
#ifdef RABBITLAB_DATADIR
	snprintf(i18n_dir, sizeof i18n_dir, "%s/../locale", RABBITLAB_DATADIR);
#else
	snprintf(i18n_dir, sizeof i18n_dir, "/usr/local/share/locale");
#endif
}

const char *
i18n_setup(const char *lang, const char *localedir)
{
	int zh = lang && strcmp(lang, "zh") == 0;

	if (setlocale(LC_ALL, "") == NULL && i18n_env_wants_utf8())
		setlocale(LC_ALL, "C.UTF-8");
	if (zh) {
		setenv("LANGUAGE", "zh_CN:zh", 1);
		if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
			setlocale(LC_ALL, "C.UTF-8");
		if (i18n_is_c(setlocale(LC_MESSAGES, NULL)))
			setlocale(LC_MESSAGES, "C.UTF-8");
	} else {
		setenv("LANGUAGE", "en", 1);
	}
	i18n_is_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	i18n_pick_dir(localedir);
	bindtextdomain(I18N_DOMAIN, i18n_dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	if (zh && !i18n_is_utf8) {
		setenv("LANGUAGE", "en", 1);
		return "en";
	}
	return zh ? "zh" : "en";
}

int
i18n_utf8(void)
{
	return i18n_is_utf8;
}

int
i18n_ascii(void)
{
	return !i18n_is_utf8 || getenv("RABBITLAB_ASCII") != NULL;
}

int
i18n_catalogue_ok(void)
{
	const char *probe = "Producer"; /* a msgid of flow.c */

	return strcmp(_(probe), probe) != 0;
}

const char *
i18n_localedir(void)
{
	return i18n_dir;
}
