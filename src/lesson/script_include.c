/*
 * Where a script's @include lines may read from. A script is something a
 * teacher hands out, so its includes must not reach files the user never
 * offered: an included file has to lie in the including script's directory
 * tree, or in a tree the user named with script_include_dir_add (the
 * command line's --include-dir). Both sides are compared as real paths, so
 * neither ".." nor a symbolic link leads out. The scanner (script_scan.c)
 * asks here before it opens anything.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lesson/script_loader.h"
#include "util/xmalloc.h"

/* The trees named with script_include_dir_add, as real paths. */
static char **script_extra;
static size_t script_nextra, script_capextra;

int
script_include_dir_add(const char *dir, char **cause)
{
	struct stat st;
	char *real;

	real = realpath(dir, NULL);
	if (real == NULL) {
		*cause = xasprintf("'%s': %s", dir, strerror(errno));
		return -1;
	}
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*cause = xasprintf("'%s' is not a directory", dir);
		free(real);
		return -1;
	}
	script_extra = xgrow(script_extra, &script_capextra, script_nextra + 1,
	    sizeof *script_extra);
	script_extra[script_nextra++] = real;
	return 0;
}

void
script_include_dirs_clear(void)
{
	for (size_t i = 0; i < script_nextra; i++)
		free(script_extra[i]);
	free(script_extra);
	script_extra = NULL;
	script_nextra = script_capextra = 0;
}

/* Appends path component c (n bytes) to the absolute path *p, lexically. */
static void
script_path_push(char **p, const char *c, size_t n)
{
	char *slash, *q;

	if (n == 0 || (n == 1 && c[0] == '.'))
		return;
	if (n == 2 && c[0] == '.' && c[1] == '.') {
		slash = strrchr(*p, '/');
		if (slash != NULL)
			slash[slash == *p] = '\0'; /* never above "/" */
		return;
	}
	q = xasprintf("%s%s%.*s", *p, strcmp(*p, "/") == 0 ? "" : "/",
	    (int)n, c);
	free(*p);
	*p = q;
}

/*
 * The real path of `path`: realpath(3) when it resolves (*whole set);
 * else the real path of its longest prefix that does, with the rest of its
 * components applied lexically, which is where the file would be. NULL
 * (errno set) only when not even the working directory resolves. Caller
 * frees.
 */
static char *
script_path_real(const char *path, int *whole)
{
	char *head = xstrdup(path), *real, *slash;
	const char *rest = path + strlen(path);

	*whole = 1;
	for (;;) {
		real = realpath(head[0] != '\0' ? head : ".", NULL);
		if (real != NULL)
			break;
		if (head[0] == '\0' || strcmp(head, "/") == 0) {
			free(head);
			return NULL;
		}
		*whole = 0;
		slash = strrchr(head, '/');
		if (slash == NULL) {
			head[0] = '\0';
			rest = path;
		} else if (slash == head) {
			head[1] = '\0';
			rest = path + 1;
		} else {
			*slash = '\0';
			rest = path + (slash - head) + 1;
		}
	}
	free(head);
	while (*rest != '\0') {
		size_t n = strcspn(rest, "/");
		script_path_push(&real, rest, n);
		rest += n + (rest[n] == '/');
	}
	return real;
}

/* Whether real path `path` lies in the tree at real path `root`. */
static int
script_path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return 1;
	return strncmp(path, root, n) == 0 && (path[n] == '/' ||
	    path[n] == '\0');
}

static int
script_include_allowed(const struct script_loader *ld, const char *real)
{
	if (ld->include_root && script_path_under(real, ld->include_root))
		return 1;
	for (size_t i = 0; i < script_nextra; i++)
		if (script_path_under(real, script_extra[i]))
			return 1;
	return 0;
}

/*
 * Whether include name `name` (len bytes) says itself that it may lead out
 * of the script's tree: it is absolute or has a ".." component. When it
 * does not and still leads out, a symbolic link did it.
 */
static int
script_name_climbs(const char *name, size_t len)
{
	if (len > 0 && name[0] == '/')
		return 1;
	for (size_t i = 0; i + 1 < len; i++)
		if (name[i] == '.' && name[i + 1] == '.' &&
		    (i == 0 || name[i - 1] == '/') &&
		    (i + 2 == len || name[i + 2] == '/'))
			return 1;
	return 0;
}

char *
script_include_root(const char *dir)
{
	return realpath(dir != NULL ? dir : ".", NULL);
}

char *
script_include_path(const struct script_loader *ld, const char *name,
    size_t len, char **shown, char **why)
{
	char *real;
	int whole, absolute = len > 0 && name[0] == '/';

	*why = NULL;
	if (absolute)
		*shown = xasprintf("%.*s", (int)len, name);
	else if (ld->include_dir)
		*shown = xasprintf("%s/%.*s", ld->include_dir, (int)len, name);
	else
		*shown = xasprintf("%.*s", (int)len, name);
	/* A relative name missing beside the script: try the named trees. */
	if (!absolute && access(*shown, F_OK) != 0) {
		for (size_t i = 0; i < script_nextra; i++) {
			char *alt = xasprintf("%s/%.*s", script_extra[i],
			    (int)len, name);
			if (access(alt, F_OK) == 0) {
				free(*shown);
				*shown = alt;
				break;
			}
			free(alt);
		}
	}
	real = script_path_real(*shown, &whole);
	if (real == NULL) {
		*why = xasprintf("its real path cannot be found: %s",
		    strerror(errno));
		return NULL;
	}
	if (!script_include_allowed(ld, real)) {
		char is[96] = "";
		if (!script_name_climbs(name, len))
			snprintf(is, sizeof is, "a symbolic link leads to %s; ",
			    SCRIPT_CLIP(real));
		*why = xasprintf("the path is outside the allowed tree (%s"
		    "includes must stay under %s or a directory named with "
		    "--include-dir)", is, ld->include_root ?
		    SCRIPT_CLIP(ld->include_root) : "the script's directory");
		free(real);
		return NULL;
	}
	if (!whole) {
		/* Not there: opening the name says why, as the kernel sees it. */
		free(real);
		return xstrdup(*shown);
	}
	return real;
}
