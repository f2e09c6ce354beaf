/*
 * Whole-file replacement by a temporary file and rename(2).
 */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xmalloc.h"

int
file_replace(const char *path, void (*put)(FILE *f, void *ctx), void *ctx,
    char **cause)
{
	char *tmp = xasprintf("%s.tmp-%ld", path, (long)getpid());
	FILE *f;
	int fd, bad = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return -1;
	}
	put(f, ctx);
	if (ferror(f))
		bad = errno ? errno : EIO;
	if (!bad && (fflush(f) != 0 || fsync(fileno(f)) != 0))
		bad = errno;
	if (fclose(f) != 0 && !bad)
		bad = errno;
	if (!bad && rename(tmp, path) != 0)
		bad = errno;
	if (bad) {
		*cause = xasprintf("%s: %s", path, strerror(bad));
		unlink(tmp);
	}
	free(tmp);
	return bad ? -1 : 0;
}

static void
file_put_text(FILE *f, void *ctx)
{
	fputs(ctx, f);
}

int
file_replace_text(const char *path, const char *text, char **cause)
{
	return file_replace(path, file_put_text, (void *)text, cause);
}
