/*
 * make bench: figures for the live engine, against the broker the usual
 * resolution finds (tests/bench/run.sh points RABBITLAB_NODE at a private
 * node).
 *
 * 1. Publish throughput into one durable classic queue, through the lab
 *    (relay, events and ledger included) and with a bare rabbitmq-c loop
 *    sending the same frames, in the same run: no confirms, batches of 100
 *    waited for, each waited for; transient and persistent. live_bench()
 *    takes the median of its rounds; this program runs it `runs` times and
 *    prints, per row, the median of the lab rates, of the bare rates and
 *    of the per-run ratios. Target: lab >= 0.9 x bare in every row. Two
 *    more columns, for information: the lab that never spins while it
 *    waits for a confirm (it sleeps in poll() as the bare loop does), with
 *    its ratio to bare, which is what the relay's extra hops cost; and a
 *    bare loop with the cheapest publish (delivery mode only, no
 *    mandatory).
 * 2. Wall time of one script's steps on the simulated engine (virtual
 *    clock) and on the live engine; the ratio sim/live, median of RUNS.
 *
 * 3. With --watch PORT: a bare rabbitmq-c publisher straight to the node
 *    and through `rabbitlab watch` listening on PORT in front of it, in
 *    the same run (lb_watch): throughput per confirm mode and delivery
 *    (transient, persistent), the ratio
 *    (target >= 0.95x), and the round trip the watch adds per confirm;
 *    given the watch's PID, the CPU time it spent per message; given
 *    SOCAT_PORT, the same through socat forwarding to the node, the floor
 *    of any proxy here.
 *
 * Usage: livebench [runs [script]];
 *        livebench --watch PORT [runs [PID [SOCAT_PORT]]].
 * Exit status 0 when every figure was measured (the targets decide
 * nothing), 1 on an error, 2 for bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "engine/live.h"
#include "engine/live_broker.h"
#include "model/toggle.h"
#include "lesson/compare.h"
#include "lesson/script.h"

#define RUNS_DEFAULT 3
#define RUNS_MAX 15
#define TARGET 0.9
#define SCRIPT_DEFAULT "lessons/05-confirms-returns.cfg"

static int
lb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of v[0..n) (sorts v). */
static double
lb_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof v[0], lb_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
lb_throughput(int runs)
{
	static struct live_bench_row rows[RUNS_MAX][LIVE_BENCH_ROWS];
	double lab[RUNS_MAX], bare[RUNS_MAX], ratio[RUNS_MAX], min[RUNS_MAX];
	double still[RUNS_MAX], sratio[RUNS_MAX];
	int below = 0;

	for (int k = 0; k < runs; k++) {
		char *cause = NULL;
		if (live_bench(NULL, rows[k], &cause) != 0) {
			fprintf(stderr, "livebench: %s\n",
			    cause ? cause : "failed");
			free(cause);
			return -1;
		}
		fprintf(stderr, "  run %d of %d:", k + 1, runs);
		for (int i = 0; i < LIVE_BENCH_ROWS; i++)
			fprintf(stderr, " %.2f",
			    rows[k][i].lab_rate / rows[k][i].bare_rate);
		fprintf(stderr, "\n");
	}
	printf("publish throughput, lab vs bare rabbitmq-c (median of %d "
	    "runs, each the median of 3 rounds; ratio: the median of the "
	    "runs' ratios; target >= %.1fx)\n", runs, TARGET);
	printf("  %-15s %-10s %8s %10s %10s %7s %6s %15s %11s\n", "mode",
	    "delivery", "messages", "lab msg/s", "bare msg/s", "ratio", "",
	    "lab, no spin", "bare, cheap");
	for (int i = 0; i < LIVE_BENCH_ROWS; i++) {
		double r;
		for (int k = 0; k < runs; k++) {
			lab[k] = rows[k][i].lab_rate;
			bare[k] = rows[k][i].bare_rate;
			ratio[k] = lab[k] / bare[k];
			min[k] = rows[k][i].bare_min_rate;
			still[k] = rows[k][i].lab_still_rate;
			sratio[k] = still[k] / bare[k];
		}
		r = lb_median(ratio, runs);
		below += r < TARGET;
		printf("  %-15s %-10s %8u %10.0f %10.0f %6.3fx %-6s "
		    "%7.0f %6.3fx %11.0f\n", rows[0][i].mode,
		    rows[0][i].persistent ? "persistent" : "transient",
		    (unsigned)rows[0][i].messages, lb_median(lab, runs),
		    lb_median(bare, runs), r, r >= TARGET ? "ok" : "BELOW",
		    lb_median(still, runs), lb_median(sratio, runs),
		    lb_median(min, runs));
	}
	printf("rows at or above %.1fx: %d of %d\n", TARGET,
	    LIVE_BENCH_ROWS - below, LIVE_BENCH_ROWS);
	return 0;
}

static int
lb_wall(int runs, const char *path)
{
	struct script_diag diag;
	struct script *s;
	double sim[RUNS_MAX], live[RUNS_MAX], ratio[RUNS_MAX];

	memset(&diag, 0, sizeof diag);
	s = script_load(path, &diag);
	if (s == NULL) {
		for (size_t i = 0; i < diag.count; i++)
			fprintf(stderr, "livebench: %s\n", diag.lines[i]);
		if (diag.count == 0)
			fprintf(stderr, "livebench: %s: cannot load\n", path);
		script_diag_free(&diag);
		return -1;
	}
	for (int k = 0; k < runs; k++) {
		char *why = NULL;
		if (compare_wall_time(s, NULL, &sim[k], &live[k], &why) != 0) {
			fprintf(stderr, "livebench: %s: %s\n", path,
			    why ? why : "failed");
			free(why);
			script_free(s);
			return -1;
		}
		ratio[k] = sim[k] / live[k];
	}
	script_free(s);
	printf("simulated/live wall time, %s (median of %d runs): simulated "
	    "%.4f s, live %.3f s, ratio %.4f (the simulated engine %.0fx "
	    "faster)\n", path, runs, lb_median(sim, runs),
	    lb_median(live, runs), lb_median(ratio, runs),
	    1 / lb_median(ratio, runs));
	return 0;
}

/* ---- 3. rabbitlab watch ---------------------------------------------- */

#define WB_ROWS 6
#define WB_ROUNDS 5
#define WB_EACH_N 2000
#define WB_TARGET 0.95
#define WB_SIDES 3      /* straight, through the watch, through socat */

/* Per row: confirm mode, delivery, messages a round. Transient messages
 * get the broker's quickest answer, where two extra hops weigh most;
 * persistent ones are what Spring AMQP sends unless told otherwise. */
static const struct {
	int mode, persistent;
	uint32_t n;
	const char *name;
} wb_row[WB_ROWS] = {
	{ CONFIRMS_OFF, 0, 20000, "no confirms" },
	{ CONFIRMS_BATCH, 0, 10000, "batches of 100" },
	{ CONFIRMS_EACH, 0, WB_EACH_N, "each" },
	{ CONFIRMS_OFF, 1, 10000, "no confirms" },
	{ CONFIRMS_BATCH, 1, 5000, "batches of 100" },
	{ CONFIRMS_EACH, 1, 500, "each" },
};

/* The CPU time (user and system) process `pid` has used, in seconds; -1
 * if /proc does not say. */
static double
lb_cpu_seconds(long pid)
{
	char path[64];
	unsigned long ut, st;
	FILE *f;
	int got;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	/* pid (comm) state, then 10 fields before utime and stime; comm
	 * ("rabbitlab") holds no space. */
	got = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st);
	fclose(f);
	return got == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) :
	    -1;
}

/* The value at fraction q (0..1) of v[0..n), sorted in place. */
static double
lb_quantile(double *v, int n, double q)
{
	int i = (int)(q * (n - 1) + 0.5);

	qsort(v, (size_t)n, sizeof v[0], lb_cmp);
	return v[i];
}

/* One run: per row the median rate of WB_ROUNDS rounds on each of the
 * `nsides` targets (side[0] straight to the node; their order turning
 * round by round), and for each transient confirm the median and p99
 * round trip of all rounds, per side. */
static int
lb_watch_run(const struct live_target *side, int nsides,
    double rate[WB_SIDES][WB_ROWS], double rtt[WB_SIDES][2])
{
	static double lat[WB_SIDES][WB_ROUNDS * WB_EACH_N];
	char queue[64];

	snprintf(queue, sizeof queue, "rabbitlab.watchbench.%ld",
	    (long)getpid());
	for (int m = 0; m < WB_ROWS; m++) {
		double r[WB_SIDES][WB_ROUNDS];
		for (int k = 0; k < WB_ROUNDS; k++)
			for (int j = 0; j < nsides; j++) {
				int s = (j + k) % nsides;
				char *cause = NULL;
				double *l = wb_row[m].mode == CONFIRMS_EACH &&
				    !wb_row[m].persistent ?
				    lat[s] + k * WB_EACH_N : NULL;
				r[s][k] = live_bench_bare(&side[s], queue,
				    wb_row[m].mode, wb_row[m].persistent,
				    wb_row[m].n, 1, l, &cause);
				if (r[s][k] < 0) {
					fprintf(stderr, "livebench: %s\n", cause);
					free(cause);
					return -1;
				}
			}
		for (int s = 0; s < nsides; s++)
			rate[s][m] = lb_median(r[s], WB_ROUNDS);
	}
	for (int s = 0; s < nsides; s++) {
		rtt[s][0] = lb_quantile(lat[s], WB_ROUNDS * WB_EACH_N, 0.5);
		rtt[s][1] = lb_quantile(lat[s], WB_ROUNDS * WB_EACH_N, 0.99);
	}
	return 0;
}

/*
 * A bare rabbitmq-c publisher straight to the node, through a `rabbitlab
 * watch` listening on 127.0.0.1:`port` in front of it and, given
 * `fwd_port`, through a plain forwarder (socat) there, in the same run;
 * prints throughput per confirm mode and delivery, the watch's ratio to
 * straight (target >= 0.95x) and to the forwarder, and what each adds to
 * a transient confirm's round trip. The forwarder parses nothing: it shows what any
 * proxy's two extra hops cost on this machine.
 */
static int
lb_watch(int runs, int port, long pid, int fwd_port)
{
	static const char *via[WB_SIDES] = { "straight", "through the watch",
	    "through socat" };
	double rate[WB_SIDES][WB_ROWS][RUNS_MAX], lat[WB_SIDES][2][RUNS_MAX];
	double ratio[WB_SIDES][WB_ROWS][RUNS_MAX], vs[WB_ROWS][RUNS_MAX];
	double add[WB_SIDES][2][RUNS_MAX];
	struct live_target side[WB_SIDES];
	int nsides = fwd_port > 0 ? 3 : 2, below = 0;
	char *cause = NULL;
	double cpu;

	if (live_broker_resolve(NULL, &side[0], &cause) != 0) {
		fprintf(stderr, "livebench: %s\n", cause);
		free(cause);
		return -1;
	}
	cpu = pid > 0 ? lb_cpu_seconds(pid) : -1;
	for (int s = 1; s < nsides; s++) {
		side[s] = side[0];
		side[s].port = s == 1 ? port : fwd_port;
		snprintf(side[s].display, sizeof side[s].display, "%s on port "
		    "%d", s == 1 ? "the watch" : "socat", side[s].port);
	}
	for (int k = 0; k < runs; k++) {
		double r[WB_SIDES][WB_ROWS], rtt[WB_SIDES][2];
		if (lb_watch_run(side, nsides, r, rtt) != 0)
			return -1;
		fprintf(stderr, "  run %d of %d:", k + 1, runs);
		for (int s = 0; s < nsides; s++)
			for (int m = 0; m < WB_ROWS; m++) {
				rate[s][m][k] = r[s][m];
				ratio[s][m][k] = r[s][m] / r[0][m];
				if (s > 0)
					fprintf(stderr, " %.3f",
					    ratio[s][m][k]);
			}
		for (int m = 0; m < WB_ROWS && nsides > 2; m++)
			vs[m][k] = r[1][m] / r[2][m];
		for (int s = 0; s < nsides; s++)
			for (int q = 0; q < 2; q++) {
				lat[s][q][k] = rtt[s][q];
				add[s][q][k] = rtt[s][q] - rtt[0][q];
			}
		fprintf(stderr, "; +%.0f us median, +%.0f us p99\n",
		    add[1][0][k], add[1][1][k]);
	}
	printf("rabbitlab watch: a bare rabbitmq-c publisher (transient, "
	    "mandatory, the lab's properties) straight to the node, through "
	    "the watch (--json to /dev/null)%s, same run; median of %d runs "
	    "of %d rounds; target >= %.2fx\n", nsides > 2 ? " and through "
	    "socat (a plain forwarder that parses nothing)" : "", runs,
	    WB_ROUNDS, WB_TARGET);
	printf("  %-15s %-10s %11s %11s %7s", "mode", "delivery", "node msg/s",
	    "watch msg/s", "ratio");
	if (nsides > 2)
		printf(" %11s %7s %11s", "socat msg/s", "ratio", "watch/socat");
	printf("\n");
	for (int m = 0; m < WB_ROWS; m++) {
		double w = lb_median(ratio[1][m], runs);
		below += w < WB_TARGET;
		printf("  %-15s %-10s %11.0f %11.0f %6.3fx", wb_row[m].name,
		    wb_row[m].persistent ? "persistent" : "transient",
		    lb_median(rate[0][m], runs), lb_median(rate[1][m], runs),
		    w);
		if (nsides > 2)
			printf(" %11.0f %6.3fx %10.3fx",
			    lb_median(rate[2][m], runs),
			    lb_median(ratio[2][m], runs),
			    lb_median(vs[m], runs));
		printf(" %s\n", w >= WB_TARGET ? "ok" : "BELOW");
	}
	printf("  round trip per transient confirm (each), median and p99:");
	for (int s = 0; s < nsides; s++) {
		printf("%s %s %.0f us, %.0f us", s ? ";" : "", via[s],
		    lb_median(lat[s][0], runs), lb_median(lat[s][1], runs));
		if (s > 0)
			printf(" (added %+.0f us, %+.0f us)",
			    lb_median(add[s][0], runs),
			    lb_median(add[s][1], runs));
	}
	printf("\n");
	if (cpu >= 0 && lb_cpu_seconds(pid) >= 0) {
		double msgs = 0;
		for (int m = 0; m < WB_ROWS; m++)
			msgs += (double)runs * WB_ROUNDS * wb_row[m].n;
		cpu = lb_cpu_seconds(pid) - cpu;
		printf("  the watch's CPU (user and system): %.2f s for %.0f "
		    "messages, %.1f us a message\n", cpu, msgs,
		    cpu / msgs * 1e6);
	}
	printf("rows at or above %.2fx: %d of %d\n", WB_TARGET,
	    WB_ROWS - below, WB_ROWS);
	return 0;
}

int
main(int argc, char **argv)
{
	int watch = argc > 1 && strcmp(argv[1], "--watch") == 0;
	int runs = argc > 1 + 2 * watch ? atoi(argv[1 + 2 * watch]) :
	    RUNS_DEFAULT;
	const char *script = argc > 2 ? argv[2] : SCRIPT_DEFAULT;

	if (runs < 1 || runs > RUNS_MAX ||
	    (watch && (argc < 3 || atoi(argv[2]) <= 0))) {
		fprintf(stderr, "usage: livebench [runs (1-%d) [script]]\n"
		    "       livebench --watch PORT [runs [PID [SOCAT_PORT]]]\n",
		    RUNS_MAX);
		return 2;
	}
	if (watch)
		return lb_watch(runs, atoi(argv[2]),
		    argc > 4 ? atol(argv[4]) : 0,
		    argc > 5 ? atoi(argv[5]) : 0) != 0;
	if (lb_throughput(runs) != 0 || lb_wall(runs, script) != 0)
		return 1;
	return 0;
}
