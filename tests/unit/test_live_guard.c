/*
 * Unit tests of the guard of the private node (engine/live_guard.h), with
 * `sleep` processes standing in for the node's: the guard knows a node's
 * processes by HOME=<its directory> in their environment and nothing
 * else, kills them when the lab dies however it dies, and sweeps what a
 * dead lab left without touching a live lab's node, a directory with no
 * record, a link, or a stranger whose pid a record names.
 *
 * The regression: a lab killed with kill -9 left its node running for
 * ever, since its warden only acted on a message a signal handler sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "engine/live_guard.h"
#include "unit/unit.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Starts `sleep 30` with HOME=`home` and, when `pad` is set, a first
 * variable of `pad` bytes, so that HOME straddles a 4096-byte read.
 * Returns once it has exec'd (its end of a close-on-exec pipe closed).
 */
static pid_t
spawn_sleep(struct unit_scratch *s, const char *home, size_t pad)
{
	static char lang[] = "LANG=C", prog[] = "sleep", secs[] = "30";
	char *big = malloc(pad + 8), *homevar = malloc(strlen(home) + 8);
	char *envp[] = { big, homevar, lang, NULL };
	char *argv[] = { prog, secs, NULL };
	int pfd[2];
	char c;
	pid_t pid;

	memcpy(big, "PAD=", 4);
	memset(big + 4, 'x', pad);
	big[4 + pad] = '\0';
	sprintf(homevar, "HOME=%s", home);
	assert_int_equal(pipe(pfd), 0);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		execve("/bin/sleep", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	while (read(pfd[0], &c, 1) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	free(big);
	free(homevar);
	if (s)
		s->kids[s->nkids++] = pid;
	return pid;
}

/* Whether `pid` runs: exists and is no zombie. */
static int
running(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* A pid that no process has now: a child already reaped. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void
test_environ_exact_and_straddling(void **state)
{
	struct unit_scratch *s = *state;
	pid_t a = spawn_sleep(s, "/x/node", 4090);
	pid_t b = spawn_sleep(s, "/x/node2", 0);

	assert_true(live_guard_environ_has(a, "HOME=/x/node"));
	assert_true(live_guard_environ_has(a, "LANG=C"));
	assert_false(live_guard_environ_has(a, "HOME=/x/nod"));
	assert_false(live_guard_environ_has(a, "HOME=/x/node2"));
	assert_false(live_guard_environ_has(b, "HOME=/x/node"));
	assert_true(live_guard_environ_has(b, "HOME=/x/node2"));
	assert_false(live_guard_environ_has(dead_pid(), "LANG=C"));
}

static void
test_kill_node_by_environment_only(void **state)
{
	struct unit_scratch *s = *state;
	char dir[512];
	pid_t node, other;
	int st;

	snprintf(dir, sizeof dir, "%s", unit_at(s, "rabbitlab-node-a"));
	node = spawn_sleep(NULL, dir, 0);
	other = spawn_sleep(s, unit_at(s, "rabbitlab-node-b"), 0);
	assert_int_equal(live_guard_find(dir, "sleep"), node);
	assert_int_equal(live_guard_find(dir, "epmd"), 0);
	assert_int_equal(live_guard_kill_node(dir, 5), 0);
	assert_int_equal(waitpid(node, &st, 0), node);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(running(other));
	/* Nothing left: done at once. */
	assert_int_equal(live_guard_kill_node(dir, 5), 0);
}

static long swept_lab;
static int swept;

static void
on_swept(void *ctx, const char *dir, long lab)
{
	(void)ctx;
	(void)dir;
	swept_lab = lab;
	swept++;
}

static void
test_sweep_only_dead_labs(void **state)
{
	struct unit_scratch *s = *state;
	char stale[512], live[512], rec[700], line[128];
	char *cause = NULL;
	pid_t dead = dead_pid(), node, stranger;
	FILE *f;

	/* A live lab: this process, through the guard itself. */
	snprintf(live, sizeof live, "%s", unit_at(s, "rabbitlab-node-live"));
	assert_int_equal(mkdir(live, 0700), 0);
	assert_int_equal(live_guard_start(live, "lab@localhost", &cause), 0);
	snprintf(rec, sizeof rec, "%s/" LIVE_GUARD_RECORD, live);
	f = fopen(rec, "r");
	assert_non_null(f);
	while (fgets(line, sizeof line, f) && strncmp(line, "lab=", 4) != 0)
		;
	fclose(f);
	assert_int_equal(strncmp(line, "lab=", 4), 0);
	/* A dead lab whose guardian still runs (it has our pid and start). */
	assert_int_equal(mkdir(unit_at(s, "rabbitlab-node-guarded"), 0700), 0);
	snprintf(rec, sizeof rec, "lab=%ld 1\nguard=%s", (long)dead, line + 4);
	unit_write_file(unit_at(s, "rabbitlab-node-guarded/" LIVE_GUARD_RECORD), rec);
	/* No record: being made, or no lab's. */
	assert_int_equal(mkdir(unit_at(s, "rabbitlab-node-bare"), 0700), 0);
	/* Stale: lab and guardian gone; the record names a stranger. */
	snprintf(stale, sizeof stale, "%s", unit_at(s, "rabbitlab-node-stale"));
	assert_int_equal(mkdir(stale, 0700), 0);
	node = spawn_sleep(NULL, stale, 0);
	stranger = spawn_sleep(s, "/elsewhere", 0);
	snprintf(rec, sizeof rec,
	    "lab=%ld 1\nguard=%ld 1\nbeam=%ld\nepmd=%ld\n", (long)dead,
	    (long)dead, (long)stranger, (long)stranger);
	unit_write_file(unit_at(s, "rabbitlab-node-stale/" LIVE_GUARD_RECORD), rec);
	/* A link to the stale one is not followed. */
	assert_int_equal(symlink(stale, unit_at(s, "rabbitlab-node-link")), 0);

	assert_int_equal(live_guard_sweep(s->base, on_swept, NULL), 1);
	assert_int_equal(swept, 1);
	assert_int_equal(swept_lab, (long)dead);
	assert_false(unit_exists(stale));
	assert_int_equal(waitpid(node, NULL, 0), node);
	assert_true(running(stranger));
	assert_true(unit_exists(live));
	assert_true(unit_exists(unit_at(s, "rabbitlab-node-guarded")));
	assert_true(unit_exists(unit_at(s, "rabbitlab-node-bare")));
	assert_true(unit_exists(unit_at(s, "rabbitlab-node-link")));

	/* The live lab ends in order: its node's directory goes. */
	assert_int_equal(live_guard_finish(&cause), 0);
	assert_false(unit_exists(live));
}

/* A lab killed with -9: its guardian kills the node and removes its dir. */
static void
test_guardian_outlives_killed_lab(void **state)
{
	struct unit_scratch *s = *state;
	char dir[512];
	int pfd[2];
	pid_t lab, node = 0;

	snprintf(dir, sizeof dir, "%s", unit_at(s, "rabbitlab-node-k"));
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(pipe(pfd), 0);
	lab = fork();
	assert_true(lab >= 0);
	if (lab == 0) {
		char *cause = NULL;
		close(pfd[0]);
		if (live_guard_start(dir, "lab@localhost", &cause) != 0)
			_exit(1);
		node = spawn_sleep(NULL, dir, 0);
		if (write(pfd[1], &node, sizeof node) != sizeof node)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &node, sizeof node), sizeof node);
	close(pfd[0]);
	assert_true(running(node));
	kill(lab, SIGKILL);
	waitpid(lab, NULL, 0);
	for (int i = 0; i < 100 && (running(node) || unit_exists(dir)); i++)
		sleep_ms(50);
	assert_false(running(node));
	assert_false(unit_exists(dir));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, unit_scratch_setup, \
    unit_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_environ_exact_and_straddling),
		T(test_kill_node_by_environment_only),
		T(test_sweep_only_dead_labs),
		T(test_guardian_outlives_killed_lab),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
