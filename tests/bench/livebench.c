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
 * Usage: livebench [runs [script]]. Exit status 0 when every figure was
 * measured (the target decides nothing), 1 on an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/live.h"
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

int
main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : RUNS_DEFAULT;
	const char *script = argc > 2 ? argv[2] : SCRIPT_DEFAULT;

	if (runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "usage: livebench [runs (1-%d) [script]]\n",
		    RUNS_MAX);
		return 2;
	}
	if (lb_throughput(runs) != 0 || lb_wall(runs, script) != 0)
		return 1;
	return 0;
}
