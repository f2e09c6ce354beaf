/*
 * Whole-file replacement: a crash or a full disk leaves either the old file
 * or the new one, never half of one.
 */
#ifndef RL_FILE_H
#define RL_FILE_H

#include <stdio.h>

/*
 * Replaces `path` atomically with what put(f, ctx) writes in a temporary
 * file beside it (mode 0600), flushed to disk before the rename. A write
 * error put() meets is reported too. Returns 0, or -1 with *cause naming
 * the file and the error (caller frees); the old file is then intact and
 * no temporary file is left.
 */
int file_replace(const char *path, void (*put)(FILE *f, void *ctx),
    void *ctx, char **cause);

/* file_replace() with `text` as the whole new content. */
int file_replace_text(const char *path, const char *text, char **cause);

#endif
