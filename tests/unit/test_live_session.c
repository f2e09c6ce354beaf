/*
 * Unit tests of the live session's prefix and record (engine/live_session.h),
 * with no broker: the drop callback writes down what it was asked to delete.
 *
 * The regressions: the prefix was the pid and a counter (two labs in
 * separate pid namespaces met as rabbitlab.11.), and nothing ever removed
 * what a lab killed on a shared broker had declared there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "engine/live_session.h"

#define BROKER "127.0.0.1:5672//"

/* The scratch state directory, and what the drop callback was asked. */
struct scratch {
	char base[64];
	char dropped[1024];      /* "q name;x name;" in call order */
	int fail;                /* drop fails for every name */
};

static int
setup(void **state)
{
	struct scratch *s = calloc(1, sizeof *s);

	snprintf(s->base, sizeof s->base, "/tmp/rl-session.XXXXXX");
	assert_non_null(mkdtemp(s->base));
	setenv("XDG_STATE_HOME", s->base, 1);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct scratch *s = *state;

	assert_int_equal(live_broker_rmtree(s->base, NULL), 0);
	free(s);
	return 0;
}

static int
drop(void *ctx, enum live_session_kind kind, const char *name)
{
	struct scratch *s = ctx;
	size_t n = strlen(s->dropped);

	snprintf(s->dropped + n, sizeof s->dropped - n, "%c %s;", (char)kind,
	    name);
	return s->fail ? -1 : 0;
}

/* How many files the records' directory holds (records being born too). */
static int
records(struct scratch *s)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof path, "%s/rabbitlab/sessions", s->base);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* A record for BROKER holding an exchange and a queue of prefix p. */
static struct live_session *
record(const char *p)
{
	char *cause = NULL, name[96];
	struct live_session *r = live_session_open(BROKER, p, &cause);

	assert_null(cause);
	assert_non_null(r);
	snprintf(name, sizeof name, "%spay.direct", p);
	assert_int_equal(live_session_add(r, LIVE_SESSION_EXCHANGE, name), 0);
	snprintf(name, sizeof name, "%strade.pay", p);
	assert_int_equal(live_session_add(r, LIVE_SESSION_QUEUE, name), 0);
	return r;
}

static void
test_prefix_random_and_valid(void **state)
{
	char a[32], b[32], *cause = NULL;

	(void)state;
	assert_int_equal(live_session_prefix(a, sizeof a, &cause), 0);
	assert_int_equal(live_session_prefix(b, sizeof b, &cause), 0);
	assert_int_equal(strlen(a), LIVE_SESSION_PREFIX_LEN);
	assert_true(live_session_prefix_valid(a));
	assert_true(live_session_prefix_valid(b));
	/* Two draws of 32 bits: equal once in four billion runs. */
	assert_string_not_equal(a, b);
	assert_false(live_session_prefix_valid("rabbitlab.11."));
	assert_false(live_session_prefix_valid("rabbitlab.0123456G."));
	assert_false(live_session_prefix_valid("rabbitlab.01234567"));
	assert_false(live_session_prefix_valid("other.01234567."));
	assert_false(live_session_prefix(a, 8, &cause) == 0);
	free(cause);
}

/* A living session's record is left alone; once it is gone, its names
 * are dropped, queues first, and the record goes. */
static void
test_sweep_only_gone_sessions(void **state)
{
	struct scratch *s = *state;
	struct live_session_swept sw;
	struct live_session *r = record("rabbitlab.0a1b2c3d.");

	/* The lock is held (another open file, even in this process). */
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.sessions, 0);
	assert_string_equal(s->dropped, "");
	/* Another broker's sweep never reads it. */
	live_session_close(r, 0);
	assert_int_equal(live_session_sweep("10.0.0.1:5672//", drop, s, &sw), 0);
	assert_int_equal(sw.sessions, 0);
	assert_int_equal(records(s), 1);
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.sessions, 1);
	assert_int_equal(sw.queues, 1);
	assert_int_equal(sw.exchanges, 1);
	assert_string_equal(s->dropped, "q rabbitlab.0a1b2c3d.trade.pay;"
	    "x rabbitlab.0a1b2c3d.pay.direct;");
	assert_int_equal(records(s), 0);
}

/* A failed drop keeps the record for the next sweep; a clean exit
 * (forget) removes its own. */
static void
test_sweep_keeps_failed_forget_removes(void **state)
{
	struct scratch *s = *state;
	struct live_session_swept sw;

	live_session_close(record("rabbitlab.00000001."), 0);
	s->fail = 1;
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.failed, 2);
	assert_int_equal(records(s), 1);
	s->fail = 0;
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.queues + sw.exchanges, 2);
	assert_int_equal(records(s), 0);
	live_session_close(record("rabbitlab.00000002."), 1);
	assert_int_equal(records(s), 0);
}

/* Only names with the record's own prefix: a name that is not one of the
 * session's, or a foreign file, leaves the whole record alone. */
static void
test_sweep_refuses_foreign_names(void **state)
{
	struct scratch *s = *state;
	struct live_session_swept sw;
	struct live_session *r = record("rabbitlab.0000000a.");
	char path[256];
	const char *foreign = "rabbitlab session record 1\nbroker " BROKER
	    "\nprefix rabbitlab.0000000b.\npid 1\nq orders\n";
	int fd;

	assert_int_equal(live_session_add(r, LIVE_SESSION_QUEUE, "orders"), -1);
	assert_int_equal(live_session_add(r, LIVE_SESSION_QUEUE,
	    "rabbitlab.0000000a.a\nq orders"), -1);
	live_session_close(r, 0);
	snprintf(path, sizeof path, "%s/rabbitlab/sessions/0000000b.names",
	    s->base);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, foreign, strlen(foreign)),
	    (ssize_t)strlen(foreign));
	close(fd);
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.sessions, 1);
	assert_string_equal(s->dropped, "q rabbitlab.0000000a.trade.pay;"
	    "x rabbitlab.0000000a.pay.direct;");
	assert_int_equal(records(s), 1);
}

/* A record whose session died before renaming it: removed once a minute
 * old and unlocked, kept while it may still be being born. */
static void
test_sweep_unborn(void **state)
{
	struct scratch *s = *state;
	struct live_session_swept sw;
	char dir[128], old[256], young[256];
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	int fd;

	snprintf(dir, sizeof dir, "%s/rabbitlab", s->base);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof dir, "%s/rabbitlab/sessions", s->base);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(old, sizeof old, "%s/.0000000c.77.tmp", dir);
	snprintf(young, sizeof young, "%s/.0000000d.78.tmp", dir);
	assert_true((fd = open(old, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(young, O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 120;
	assert_int_equal(utimensat(AT_FDCWD, old, ts, 0), 0);
	assert_int_equal(live_session_sweep(BROKER, drop, s, &sw), 0);
	assert_int_equal(sw.sessions, 0);
	assert_int_equal(access(old, F_OK), -1);
	assert_int_equal(access(young, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_random_and_valid),
		cmocka_unit_test_setup_teardown(test_sweep_only_gone_sessions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sweep_keeps_failed_forget_removes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sweep_refuses_foreign_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_unborn, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
