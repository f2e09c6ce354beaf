/*
 * make bench: figures for the simulated engine.
 *
 * 1. End-to-end throughput: 1,000,000 messages published with asynchronous
 *    confirms, routed, delivered to an auto-ack consumer (prefetch 250, no
 *    work time), acked, every event fed to the ledger. Wall-clock time of
 *    the engine run only, median of RUNS runs.
 * 2. Memory per queued message: 1,000,000 messages published with nobody
 *    consuming; heap in use (mallinfo2) after minus before, per message,
 *    ledger included; mmap'd blocks counted.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "model/ledger.h"

#define MESSAGES 1000000
#define RUNS 5

static void
bench_sink(void *ctx, const struct event *ev)
{
	ledger_apply(ctx, ev);
}

static double
bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static struct topology *
bench_topology(void)
{
	static struct topo_exchange x = { (char *)"pay.direct", XTYPE_DIRECT,
		XTYPE_DIRECT, 1, 0 };
	static struct topo_queue q;
	static struct topo_binding b = { (char *)"pay.direct",
		(char *)"trade.pay", (char *)"pay.success", NULL, 0, 1, 0 };
	static struct topo_consumer c = { (char *)"trade", (char *)"trade.pay",
		NULL, NULL, 0 };
	static struct topology t;

	topology_queue_init(&q);
	q.name = (char *)"trade.pay";
	t.exchanges = &x;
	t.nexchanges = 1;
	t.queues = &q;
	t.nqueues = 1;
	t.bindings = &b;
	t.nbindings = 1;
	t.consumers = &c;
	t.nconsumers = 1;
	t.publish_exchange = (char *)"pay.direct";
	t.publish_key = (char *)"pay.success";
	return &t;
}

/* Runs one scenario; returns seconds of engine time, fills *sum. */
static double
bench_run(int consume, struct ledger_summary *sum, size_t *heap_delta)
{
	const struct engine_ops *ops = &engine_sim_ops;
	struct ledger *l = ledger_create();
	struct engine_opts o = { 1, bench_sink, l, NULL };
	struct publish_req req = { NULL, NULL, MESSAGES, 0, -1, -1, 0, NULL, 0 };
	char *cause = NULL;
	struct engine *e;
	struct mallinfo2 before, after;
	double t0, t1;

	before = mallinfo2();
	e = ops->create(&o, &cause);
	engine_set_toggle(e, TOGGLE_CONFIRMS, CONFIRMS_ASYNC, &cause);
	engine_set_toggle(e, TOGGLE_WORK_MS, 0, &cause);
	ops->declare(e, bench_topology(), &cause);
	if (consume)
		engine_consume(e, NULL, 1, &cause);
	t0 = bench_now();
	engine_publish(e, &req, &cause);
	ops->settle(e, (int64_t)3600 * 1000000, &cause);
	t1 = bench_now();
	after = mallinfo2();
	ledger_summarize(l, sum);
	if (heap_delta)
		*heap_delta = (after.uordblks + after.hblkhd) -
		    (before.uordblks + before.hblkhd);
	ops->destroy(e);
	ledger_free(l);
	return t1 - t0;
}

int
main(void)
{
	double secs[RUNS], rate[RUNS];
	struct ledger_summary sum;
	size_t heap = 0;

	printf("rabbitlab bench: simulated engine, %d messages, median of %d "
	    "runs\n", MESSAGES, RUNS);
	for (int i = 0; i < RUNS; i++) {
		secs[i] = bench_run(1, &sum, NULL);
		rate[i] = MESSAGES / secs[i];
		if (sum.fate[FATE_PROCESSED] != MESSAGES ||
		    sum.confirmed != MESSAGES) {
			fprintf(stderr, "bench: run %d processed %llu, confirmed "
			    "%llu of %d\n", i,
			    (unsigned long long)sum.fate[FATE_PROCESSED],
			    (unsigned long long)sum.confirmed, MESSAGES);
			return 1;
		}
		printf("  run %d: %.3f s, %.0f msg/s\n", i + 1, secs[i], rate[i]);
	}
	qsort(rate, RUNS, sizeof rate[0], bench_cmp);
	qsort(secs, RUNS, sizeof secs[0], bench_cmp);
	printf("end-to-end (publish, confirm, route, deliver, ack, ledger): "
	    "median %.0f msg/s (%.3f s per million; target >= 2000000)\n",
	    rate[RUNS / 2], secs[RUNS / 2]);

	bench_run(0, &sum, &heap);
	if (sum.fate[FATE_IN_FLIGHT] != MESSAGES) {
		fprintf(stderr, "bench: %llu in flight, expected %d\n",
		    (unsigned long long)sum.fate[FATE_IN_FLIGHT], MESSAGES);
		return 1;
	}
	printf("memory per queued message (queue + ledger + bookkeeping): "
	    "%.1f bytes (target <= 128)\n", (double)heap / MESSAGES);
	return 0;
}
