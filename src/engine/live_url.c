/*
 * Finding and hiding the password in an amqp:// URL's text (see
 * live_url.h for the rule). No allocation and no decoding: main() calls
 * live_url_scrub on its own argv before anything else can be slow, and
 * live_broker asks live_url_password whether a config file holds a secret.
 */
#include "engine/live_url.h"

#include <string.h>

int
live_url_password(const char *url, size_t *off, size_t *len)
{
	const char *start = strstr(url, "://"), *at, *colon;

	start = start ? start + 3 : url;
	at = strrchr(start, '@');
	if (at == NULL)
		return 0;
	colon = memchr(start, ':', (size_t)(at - start));
	if (colon == NULL || colon + 1 == at)
		return 0;
	if (off)
		*off = (size_t)(colon + 1 - url);
	if (len)
		*len = (size_t)(at - colon - 1);
	return 1;
}

int
live_url_scrub(char *url)
{
	size_t off, len;

	if (!live_url_password(url, &off, &len))
		return 0;
	memset(url + off, 'x', len);
	return 1;
}
