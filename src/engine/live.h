/*
 * The live engine: the engine interface (engine/engine.h) over a real
 * RabbitMQ, through rabbitmq-c 0.11.
 *
 * It plays the same producer and consumers as the simulated engine, with
 * the same toggles, failures and events, but every frame is real: the
 * producer and each consumer hold their own AMQP connection, each through
 * an in-process fault relay (live_relay.h), all driven from one poll()
 * loop. What a client cannot see (a message enqueued, expired,
 * dead-lettered, dropped by a crash) is worked out by a shadow of the
 * broker that is fed the client commands in the order the relay hands them
 * to the broker, and checked against the broker: queue depths come from
 * passive queue.declare, and what survived a restart is read back before
 * any client reconnects.
 *
 * Everything the lab declares is named rabbitlab.<session>.<name> (routing
 * and binding keys are prefixed the same way, so routing is unchanged and a
 * message can never reach a queue the lab did not declare) and is deleted
 * when the engine is destroyed. Which broker is used, and how a private one
 * is started, is live_broker.h's business.
 */
#ifndef RL_LIVE_H
#define RL_LIVE_H

#include <stdint.h>

#include "engine/engine.h"

extern const struct engine_ops engine_live_ops;

/* One line of `make bench`: a publish mode, through the lab and bare. */
struct live_bench_row {
	const char *mode;      /* "no confirms", "batches of 100", "each" */
	int persistent;
	uint32_t messages;
	double lab_rate;       /* messages per second through the live engine */
	double bare_rate;      /* the same with a bare rabbitmq-c loop */
	double bare_min_rate;  /* bare, delivery mode only, no mandatory */
	double lab_still_rate; /* the lab that never spins (lv_spin): it
				  sleeps in poll() for every confirm */
};

#define LIVE_BENCH_ROWS 6

/*
 * Measures publish throughput into one durable classic queue, through the
 * live engine (relay, events and ledger included) and with a bare
 * rabbitmq-c loop straight to the broker, in the same run: no confirms
 * (until a round trip on the channel after the last), waiting per batch of
 * 100, and waiting for each; transient and persistent. The bare loop sends
 * the lab's frames (same body, properties and mandatory flag); a second
 * bare loop with the cheapest publish shows what those cost the broker,
 * and the lab again with its wait for each confirm always asleep in poll()
 * (as the bare loop's) shows what the relay's hops cost.
 * Three rounds, the median of each. `url` as engine_opts.url (NULL: the
 * usual resolution). Returns 0, or -1 with *cause (caller frees).
 */
int live_bench(const char *url, struct live_bench_row rows[LIVE_BENCH_ROWS],
    char **cause);

struct live_target;

/*
 * One timed run of a bare rabbitmq-c publisher against `t` (a broker, or
 * a proxy in front of one): declares durable classic `queue`, purges it,
 * publishes `n` small messages in confirm mode `mode` (CONFIRMS_OFF: a
 * round trip on the channel after the last; CONFIRMS_BATCH: waits every
 * 100; CONFIRMS_EACH: waits for each), then deletes the queue. `same`:
 * each publish carries the lab's properties and mandatory (as the live
 * engine's producer sends them); 0: delivery mode only. With
 * CONFIRMS_EACH and `rtt_us` (n entries) not NULL, rtt_us[i] is the time
 * from publish i to its confirm, in microseconds. Returns messages per
 * second, or -1 with *cause (caller frees) when it could not connect or
 * the connection failed.
 */
double live_bench_bare(const struct live_target *t, const char *queue,
    int mode, int persistent, uint32_t n, int same, double *rtt_us,
    char **cause);

#endif
