/*
 * Unit tests of engine/live_url.h: where an amqp:// URL's password is, and
 * that scrubbing it in a process's own argument memory hides it from
 * /proc/PID/cmdline (what ps shows every user), which is how
 * `rabbitlab --broker amqp://user:PASSWORD@...` keeps it out of ps.
 *
 * The last test runs this binary again as a child with a URL argument: the
 * child scrubs (or, as the control, leaves) its argv and reports whether
 * its /proc/self/cmdline still holds the password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/live_url.h"

#define SECRET "S3cr3t%40pw"
#define CHILD_SCRUB "--scrub-child"
#define CHILD_KEEP "--keep-child"

static void
test_password_found(void **state)
{
	static const struct {
		const char *url;
		const char *password; /* NULL: none */
	} cases[] = {
		{ "amqp://guest:guest@127.0.0.1:5672/", "guest" },
		{ "amqp://u:" SECRET "@h:1/vh", SECRET },
		{ "amqp://u:" SECRET "@h", SECRET },
		{ "amqp://u:" SECRET "@[::1]:5672/%2F", SECRET },
		{ "amqp://u:p:q@h", "p:q" },     /* rabbitmq-c rejects it */
		{ "amqp://u:pa/ss@h", "pa/ss" }, /* rabbitmq-c rejects it */
		{ "u:pw@h", "pw" },              /* no scheme */
		{ "amqp://u@h:5672/vh", NULL },
		{ "amqp://u:@h", NULL },
		{ "amqp://h:5672/", NULL },
		{ "amqp://h:5672/%2F", NULL },
		{ "", NULL },
	};
	size_t off, len;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int has = live_url_password(cases[i].url, &off, &len);
		if (cases[i].password == NULL) {
			assert_int_equal(has, 0);
			continue;
		}
		assert_int_equal(has, 1);
		assert_int_equal(len, strlen(cases[i].password));
		assert_memory_equal(cases[i].url + off, cases[i].password, len);
		assert_true(live_url_password(cases[i].url, NULL, NULL));
	}
}

static void
test_scrub_in_place(void **state)
{
	char url[] = "amqp://labuser:" SECRET "@127.0.0.1:5672/vh";
	char none[] = "amqp://labuser@127.0.0.1:5672/vh";
	size_t n = strlen(url);

	(void)state;
	assert_int_equal(live_url_scrub(url), 1);
	assert_int_equal(strlen(url), n);
	assert_string_equal(url,
	    "amqp://labuser:xxxxxxxxxxx@127.0.0.1:5672/vh");
	assert_null(strstr(url, "S3cr3t"));
	/* Scrubbed once, nothing is left to find but the x's. */
	assert_int_equal(live_url_scrub(url), 1);
	assert_int_equal(live_url_scrub(none), 0);
	assert_string_equal(none, "amqp://labuser@127.0.0.1:5672/vh");
}

/* Whether this process's /proc/self/cmdline holds `needle`. */
static int
cmdline_has(const char *needle)
{
	char buf[4096];
	ssize_t n, total = 0;
	int fd = open("/proc/self/cmdline", O_RDONLY);

	if (fd < 0)
		return -1;
	while (total < (ssize_t)sizeof buf - 1 &&
	    (n = read(fd, buf + total, sizeof buf - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	for (ssize_t i = 0; i < total; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[total] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The child's life: exit 0 if its cmdline shows the password, 1 if not. */
static int
child_main(const char *mode, char *url)
{
	if (strcmp(mode, CHILD_SCRUB) == 0)
		live_url_scrub(url);
	switch (cmdline_has(SECRET)) {
	case 1:
		return 0;
	case 0:
		return 1;
	default:
		return 2;
	}
}

/* Runs this binary as a child in `mode`; its exit status. */
static int
run_child(const char *mode)
{
	char url[] = "amqp://labuser:" SECRET "@127.0.0.1:5672/vh";
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = { (char *)"test_live_url", (char *)mode, url,
			NULL };
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_scrub_hides_from_proc_cmdline(void **state)
{
	(void)state;
	/* The control: untouched, the password shows to everyone. */
	assert_int_equal(run_child(CHILD_KEEP), 0);
	/* Scrubbed in place: gone from /proc/PID/cmdline. */
	assert_int_equal(run_child(CHILD_SCRUB), 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_found),
		cmocka_unit_test(test_scrub_in_place),
		cmocka_unit_test(test_scrub_hides_from_proc_cmdline),
	};

	if (argc == 3 && (strcmp(argv[1], CHILD_SCRUB) == 0 ||
	    strcmp(argv[1], CHILD_KEEP) == 0))
		return child_main(argv[1], argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
