/*
 * A live session's name on a broker, and this user's record of what each
 * session declared on a broker the lab did not start.
 *
 * Prefix. Everything a session declares is named "rabbitlab.<8 hex>.<name>",
 * the 32 bits drawn from the system's random source (getrandom(2), else
 * /dev/urandom), so labs in separate pid namespaces or on separate machines
 * do not meet on one broker. The caller checks the names are free there
 * and draws again if not (live_admin.c).
 *
 * Record. On a broker the lab did not start, a session writes the names it
 * is about to declare to $XDG_STATE_HOME/rabbitlab/sessions/<hex>.names
 * (~/.local/state when XDG_STATE_HOME is unset) and holds an exclusive
 * flock(2) on that file while it lives. The kernel drops the lock when the
 * process ends, however it ends (kill -9 included), whatever pid namespace
 * it ran in. A later start (live_session_sweep) takes the lock of each
 * record for the same broker: if it can, the session is gone, and the names
 * it recorded are deleted, then the record. A session that deleted its
 * names at exit removes its own record. Names must begin with the record's
 * prefix and the prefix must be of the drawn form, or the record is left
 * alone: nothing is deleted that a session of this user did not declare.
 *
 * No AMQP here: the caller deletes the names (a callback). Records hold no
 * credentials. Nothing is thread-safe; the lab runs in one thread.
 */
#ifndef RL_LIVE_SESSION_H
#define RL_LIVE_SESSION_H

#include <stddef.h>

#define LIVE_SESSION_PREFIX_LEN 19 /* "rabbitlab." 8 hex ".", without NUL */

enum live_session_kind {
	LIVE_SESSION_QUEUE = 'q',
	LIVE_SESSION_EXCHANGE = 'x',
};

/* One session's open record (opaque). */
struct live_session;

/*
 * Draws a prefix "rabbitlab.<8 lowercase hex>." into buf (len at least
 * LIVE_SESSION_PREFIX_LEN + 1). Returns 0, or -1 with *cause (caller
 * frees) when the system gives no random bytes.
 */
int live_session_prefix(char *buf, size_t len, char **cause);

/* Whether `prefix` has exactly the form live_session_prefix draws. */
int live_session_prefix_valid(const char *prefix);

/*
 * Opens this session's record for `broker` ("host:port/vhost": which broker
 * the names live on, no credentials) and `prefix` (valid), locked; the file
 * appears under its final name only once locked, so a sweep never mistakes
 * a session being born for a dead one. Returns the record (free with
 * live_session_close), or NULL with *cause (caller frees) when the state
 * directory cannot be made or written; the session then runs unrecorded.
 */
struct live_session *live_session_open(const char *broker, const char *prefix,
    char **cause);

/*
 * Records `name` (which must begin with the record's prefix) before it is
 * declared. Returns 0, or -1 if it could not be written (a name holding a
 * newline, a full disk). s NULL: does nothing, returns -1.
 */
int live_session_add(struct live_session *s, enum live_session_kind kind,
    const char *name);

/*
 * Ends the record and releases its lock: with `forget`, the record is
 * removed (everything it names was deleted); otherwise it stays for the
 * next start's sweep. s may be NULL.
 */
void live_session_close(struct live_session *s, int forget);

/*
 * Deletes one recorded name on the broker; returns 0 once it is gone (also
 * when it was gone already), -1 if it could not be deleted.
 */
typedef int (*live_session_drop_fn)(void *ctx, enum live_session_kind kind,
    const char *name);

/* What a sweep found and did. */
struct live_session_swept {
	size_t sessions;         /* records of gone sessions for this broker */
	size_t queues;           /* names dropped */
	size_t exchanges;
	size_t failed;           /* names drop could not delete: kept */
};

/*
 * For each record for `broker` whose session is gone: drops its queues,
 * then its exchanges, and removes the record if every drop succeeded (else
 * keeps it for the next sweep). Records of live sessions, of other brokers
 * and records not in the expected form are left alone; one that was never
 * born (its session died before renaming it, so it names nothing) goes once
 * a minute old. Fills *out; returns
 * 0, or -1 if the state directory could not be read (nothing recorded yet
 * counts as 0).
 */
int live_session_sweep(const char *broker, live_session_drop_fn drop,
    void *ctx, struct live_session_swept *out);

#endif
