/*
 * The password in the text of an amqp:// URL, found without decoding it:
 * to hide it from ps in the process's own arguments, and to tell whether a
 * URL holds one at all (a config file others may read).
 *
 * The rule is syntactic and leans towards hiding: after "scheme://" (or
 * from the start if there is none), the password runs from the first ':'
 * to the last '@'. rabbitmq-c 0.11's amqp_parse_url accepts no raw '@'
 * outside the user part, so for every URL it accepts this is exactly the
 * password as written (still %-encoded); for one it rejects, more than the
 * password may be covered, never less.
 */
#ifndef RL_LIVE_URL_H
#define RL_LIVE_URL_H

#include <stddef.h>

/*
 * Whether `url` holds a non-empty password; if so, *off and *len (either
 * may be NULL) say where its bytes are in `url`. "amqp://u:@h" and
 * "amqp://u@h" hold none.
 */
int live_url_password(const char *url, size_t *off, size_t *len);

/*
 * Overwrites the password's bytes in `url` in place with 'x' (the length
 * stays, so argv memory keeps its layout). Returns 1 if there was a
 * password, 0 (and `url` unchanged) if not.
 */
int live_url_scrub(char *url);

#endif
