/*
 * make bench, screen figures: runs the real binary on a pseudo-terminal
 * (160x48, xterm-256color) and measures
 *   - time to first frame: from fork to the first output that draws the
 *     producer pane;
 *   - CPU while idle with a lesson open, over IDLE_S seconds;
 *   - CPU while animating at the default speed, over ANIM_S seconds, with a
 *     burst of messages moving through the panes.
 * CPU is read from /proc/PID/stat (utime + stime). Output is drained all the
 * time, as a terminal would. Usage: uibench BINARY LESSON [RUNS]
 *
 * uibench --once COMMAND... runs COMMAND on the same terminal, waits for the
 * first frame, presses q and waits for the end: a harness for counting the
 * instructions of one full redraw under callgrind.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IDLE_S 10
#define ANIM_S 5

static double
uib_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds used by `pid` so far. */
static double
uib_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof buf, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Fields after the command name, which may hold spaces. */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Reads what the child wrote for `secs`; returns 1 once `want` was seen. */
static int
uib_drain(int fd, double secs, const char *want, double *seen_at)
{
	static char tail[256];
	double end = uib_now() + secs;
	int found = 0;

	while (uib_now() < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		char buf[8192];
		ssize_t n;
		int ms = (int)((end - uib_now()) * 1000) + 1;

		if (poll(&pfd, 1, ms) <= 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		if (n <= 0)
			return found;
		buf[n] = '\0';
		if (want && !found) {
			char joined[sizeof tail + sizeof buf];
			snprintf(joined, sizeof joined, "%s%s", tail, buf);
			if (strstr(joined, want)) {
				found = 1;
				*seen_at = uib_now();
				return 1;
			}
			{
				size_t keep = n > 64 ? 64 : (size_t)n;
				memcpy(tail, buf + n - keep, keep);
				tail[keep] = '\0';
			}
		}
	}
	return found;
}

static int
uib_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int
uib_once(char **cmd)
{
	struct winsize ws = { 48, 160, 0, 0 };
	double seen;
	int fd, status;
	pid_t pid = forkpty(&fd, NULL, NULL, &ws);

	if (pid < 0)
		return 1;
	if (pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LANG", "C.UTF-8", 1);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	if (!uib_drain(fd, 60, "Producer", &seen)) {
		kill(pid, SIGKILL);
		return 1;
	}
	uib_drain(fd, 0.5, NULL, NULL);
	if (write(fd, "q", 1) != 1)
		return 1;
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		uib_drain(fd, 0.1, NULL, NULL);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	int runs = argc > 3 ? atoi(argv[3]) : 3;

	if (argc > 2 && strcmp(argv[1], "--once") == 0)
		return uib_once(argv + 2);
	double ttff[16], idle[16], anim[16];

	if (argc < 3 || runs < 1 || runs > 16) {
		fprintf(stderr, "usage: uibench BINARY LESSON [RUNS<=16]\n");
		return 2;
	}
	for (int r = 0; r < runs; r++) {
		struct winsize ws = { 48, 160, 0, 0 };
		double t0, seen = 0, c0, c1;
		int fd, status;
		pid_t pid;

		t0 = uib_now();
		pid = forkpty(&fd, NULL, NULL, &ws);
		if (pid < 0) {
			perror("forkpty");
			return 1;
		}
		if (pid == 0) {
			setenv("TERM", "xterm-256color", 1);
			setenv("LANG", "C.UTF-8", 1);
			execl(argv[1], argv[1], "--lang=en", "lab", argv[2],
			    (char *)NULL);
			_exit(127);
		}
		if (!uib_drain(fd, 10, "Producer", &seen)) {
			fprintf(stderr, "uibench: no first frame in 10 s\n");
			kill(pid, SIGKILL);
			return 1;
		}
		ttff[r] = (seen - t0) * 1000;
		uib_drain(fd, 1, NULL, NULL);
		c0 = uib_cpu(pid);
		uib_drain(fd, IDLE_S, NULL, NULL);
		c1 = uib_cpu(pid);
		idle[r] = (c1 - c0) / IDLE_S * 100;
		/* A burst of ten messages animates through the panes. */
		if (write(fd, "*", 1) != 1)
			return 1;
		uib_drain(fd, 0.2, NULL, NULL);
		c0 = uib_cpu(pid);
		uib_drain(fd, ANIM_S, NULL, NULL);
		c1 = uib_cpu(pid);
		anim[r] = (c1 - c0) / ANIM_S * 100;
		if (write(fd, "q", 1) != 1)
			return 1;
		uib_drain(fd, 1, NULL, NULL);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		close(fd);
		printf("  run %d: first frame %.1f ms, idle %.2f%% CPU, animating "
		    "%.2f%% CPU\n", r + 1, ttff[r], idle[r], anim[r]);
	}
	qsort(ttff, runs, sizeof ttff[0], uib_cmp);
	qsort(idle, runs, sizeof idle[0], uib_cmp);
	qsort(anim, runs, sizeof anim[0], uib_cmp);
	printf("screen: time to first frame median %.1f ms (target <= 50)\n",
	    ttff[runs / 2]);
	printf("screen: CPU idle with a lesson open median %.2f%% of a core "
	    "(target <= 0.5)\n", idle[runs / 2]);
	printf("screen: CPU animating at default speed median %.2f%% of a core "
	    "(target <= 5)\n", anim[runs / 2]);
	return 0;
}
