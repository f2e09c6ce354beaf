/*
 * The live engine: the clock and the one poll() loop that serves every
 * client, relay and the timers; settle and quiet.
 */
#include "engine/live_int.h"

#include <assert.h>

#include "util/mono.h"
#include "util/sock.h"

/* ---- clock and events ------------------------------------------------ */

int64_t
lv_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
lv_now(struct engine *e)
{
	return (lv_mono_ns() - e->t0_ns) / 1000;
}

void
lv_emit(struct engine *e, enum event_kind kind, enum event_actor actor,
    uint32_t msg, int code, int flag, const char *where, const char *detail)
{
	broker_emit(&e->base.b, kind, actor, msg, code, flag, where, detail);
}

/* ---- the loop ------------------------------------------------------------ */

/* Runs the loop until `done` says so or `max_us` passed; returns 1 if done. */
int
lv_run_until(struct engine *e, int (*done)(struct engine *), int64_t max_us)
{
	int64_t end = lv_now(e) + max_us;

	while (!done(e)) {
		int64_t now = lv_now(e);
		if (now >= end)
			return 0;
		lv_step(e, end);
	}
	return 1;
}

int
lv_clients_down(struct engine *e)
{
	if (e->base.app.prod.connected || e->base.app.prod.connecting)
		return 0;
	for (size_t i = 0; i < e->nconsumers; i++)
		if (e->base.app.cons[i].connected || e->base.app.cons[i].connecting)
			return 0;
	return 1;
}

int
lv_node_gone(struct engine *e)
{
	(void)e;
	return !live_broker_running();
}

static int
lv_node_ready(struct engine *e)
{
	struct timespec ts = { 0, 100000000L };

	if (lv_admin_open(e, NULL) == 0)
		return 1;
	nanosleep(&ts, NULL);
	return 0;
}

/* Starts the node again and waits (serving the loop) until it answers. */
int
lv_broker_start(struct engine *e, char **cause)
{
	int64_t t0 = lv_now(e);

	if (live_broker_spawn(cause) != 0)
		return -1;
	live_broker_progress("restarting the RabbitMQ node %s",
	    live_broker_node());
	if (!lv_run_until(e, lv_node_ready, LV_BOOT_US)) {
		*cause = xasprintf("the RabbitMQ node %s did not come back "
		    "within %lld s", live_broker_node(),
		    (long long)(LV_BOOT_US / 1000000));
		return -1;
	}
	if (live_broker_started(cause) != 0)
		return -1;
	live_broker_progress("node %s back after %.1f s", live_broker_node(),
	    (double)(lv_now(e) - t0) / 1e6);
	lv_broker_started(e);
	return 0;
}

static void
lv_link_heal(struct engine *e, int who)
{
	if (who == 0) {
		e->prod.link = RELAY_OK;
		live_relay_set_mode(e->prod.cl.relay, RELAY_OK);
		lv_producer_pump(e);
	} else {
		e->consumers[who - 1].link = RELAY_OK;
		live_relay_set_mode(e->consumers[who - 1].cl.relay, RELAY_OK);
	}
}

/* The live engine's own timer t fired (the shared ones go elsewhere). */
static void
lv_fire(struct engine *e, const struct sched_timer *t)
{
	uint32_t gen = t->a == 0 ? e->prod.link_gen :
	    e->consumers[t->a - 1].link_gen;

	assert(t->kind == T_LINK_HEAL);
	if (t->gen == gen)
		lv_link_heal(e, (int)t->a);
}

/* Handshakes and incoming frames of one client. */
static void
lv_client_service(struct engine *e, int who)
{
	struct lv_client *cl = who == 0 ? &e->prod.cl :
	    &e->consumers[who - 1].cl;
	amqp_frame_t f;
	int rc, n = 0;

	if (cl->conn.state >= LC_TCP && cl->conn.state < LC_UP) {
		rc = live_conn_step(&cl->conn);
		if (rc < 0) {
			if (who == 0)
				lv_producer_connect_failed(e);
			else {
				struct client_consumer *a = &e->base.app.cons[who - 1];
				char why[200];
				live_conn_explain(&cl->conn, why, sizeof why);
				a->connecting = 0;
				live_relay_drop(cl->relay);
				lv_emit(e, EV_CONNECT_FAIL, ACTOR_CONSUMER, 0,
				    cl->conn.status ? cl->conn.status : -9, 1,
				    a->spec->name, e->base.b.up ? why :
				    "broker down");
				client_consumer_arm_recovery(&e->base.app, who - 1);
			}
			return;
		}
		if (rc == 0)
			return;
		e->activity_at = lv_now(e);
		if (who == 0)
			lv_producer_connected(e);
		else
			lv_consumer_up(e, who - 1);
	}
	/*
	 * Read only when poll() said so or bytes wait inside rabbitmq-c, and
	 * at least every 50 ms (rabbitmq-c sends and checks heartbeats while
	 * reading): each empty read costs two system calls.
	 */
	if (cl->conn.state == LC_UP && !cl->readable &&
	    !live_conn_pending(&cl->conn) && lv_now(e) - cl->read_at < 50000)
		return;
	cl->readable = 0;
	cl->read_at = lv_now(e);
	while (cl->conn.state == LC_UP && n++ < 4096) {
		if (n > 1 && !live_conn_pending(&cl->conn))
			break;
		rc = live_conn_next_frame(&cl->conn, &f);
		if (rc == 0)
			break;
		e->activity_at = lv_now(e);
		if (rc < 0) {
			char why[200];
			int code = cl->conn.status;
			live_conn_explain(&cl->conn, why, sizeof why);
			if (who == 0)
				lv_producer_lost(e, code,
				    code == AMQP_STATUS_HEARTBEAT_TIMEOUT &&
				    e->prod.link == RELAY_HOLE ?
				    LOSS_BLACKHOLE : !e->base.b.up ?
				    LOSS_BROKER_CRASH : LOSS_NETWORK, why);
			else
				lv_consumer_lost(e, who - 1, code, 0, why);
			return;
		}
		if (who == 0 && e->prod.fast_skip &&
		    f.frame_type == AMQP_FRAME_METHOD &&
		    (f.payload.method.id == AMQP_BASIC_ACK_METHOD ||
		    f.payload.method.id == AMQP_BASIC_NACK_METHOD)) {
			e->prod.fast_skip--; /* taken from the relay */
			rc = 0;
		} else if (who == 0)
			rc = lv_producer_frame(e, &f);
		else
			rc = lv_consumer_frame(e, who - 1, &f);
		if (rc < 0)
			return;
		if (cl->content == CONTENT_NONE)
			live_conn_release(&cl->conn);
	}
}

static int
lv_client_fd(const struct lv_client *cl)
{
	return cl->conn.state >= LC_TCP && cl->conn.state <= LC_UP ?
	    cl->conn.fd : -1;
}

/* Whether the producer has a publish it could write right now. */
static int
lv_producer_can_send(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int mode = (int)e->base.toggles[TOGGLE_CONFIRMS];

	if (!cp->connected || cp->out_len == 0 || cp->step_armed ||
	    p->want_write || p->blocked || p->link != RELAY_OK)
		return 0;
	if (cp->confirm_mode && cp->outstanding && (mode == CONFIRMS_EACH ||
	    (mode == CONFIRMS_BATCH &&
		cp->in_batch >= (uint32_t)e->base.toggles[TOGGLE_BATCH])))
		return 0;
	return client_outbox_head(&e->base.app)->not_before <= lv_now(e);
}

/*
 * Waiting for the confirm of a publish sent alone (wait for each), when the
 * last one came back within LV_SPIN_US: polls without sleeping, for up to
 * that long, and returns what poll() returned (fds' revents set), or 0 if
 * nothing came (or no spin was due): the caller then sleeps in poll().
 * On a busy or virtual machine, falling asleep and being woken adds tens
 * of microseconds to each round trip to the broker. A confirm that comes
 * later than that turns the spin off until one comes sooner.
 */
static int
lv_spin(struct engine *e, struct pollfd *fds, size_t nfds, int64_t wait_us)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int64_t end;
	int n;

	if (wait_us <= 0 || !cp->outstanding || !cp->confirm_mode ||
	    e->base.toggles[TOGGLE_CONFIRMS] != CONFIRMS_EACH ||
	    p->confirm_rtt < 0 || p->confirm_rtt >= e->spin_us ||
	    p->link != RELAY_OK)
		return 0;
	end = p->flushed_at + e->spin_us;
	if (end > lv_now(e) + wait_us)
		end = lv_now(e) + wait_us;
	n = sock_poll_awake(fds, nfds, mono_seconds() +
	    (double)(end - lv_now(e)) / 1e6);
	if (n == 0)
		p->confirm_rtt = -1;
	return n;
}

/*
 * One turn of the loop: serve the clients, fire due timers, then poll the
 * sockets until something happens, a timer is due, or `until_us`.
 */
/* Room in the poll set for every client (producer and consumers). */
static void
lv_poll_room(struct engine *e)
{
	size_t clients = e->nconsumers + 1;

	if (e->poll_clients >= clients)
		return;
	free(e->pfds);
	free(e->relay_at);
	e->pfds = xcalloc(clients * (LV_RELAY_FDS + 1), sizeof *e->pfds);
	e->relay_at = xcalloc(clients * 3, sizeof *e->relay_at);
	e->poll_clients = clients;
}

void
lv_step(struct engine *e, int64_t until_us)
{
	struct pollfd *fds;
	size_t nfds = 0, *relay_at, *relay_n, *client_at;
	size_t clients = e->nconsumers + 1;
	int64_t now, wait_us;
	const struct sched_timer *t;
	int busy = 0, ready;

	lv_poll_room(e);
	fds = e->pfds;
	relay_at = e->relay_at;
	relay_n = relay_at + clients;
	client_at = relay_n + clients;
	lv_client_service(e, 0);
	for (size_t i = 0; i < e->nconsumers; i++)
		lv_client_service(e, (int)i + 1);
	while ((t = sched_peek(&e->base.sched)) != NULL && t->due <= lv_now(e)) {
		struct sched_timer tm;
		sched_pop(&e->base.sched, &tm);
		if (!engine_timer(e, &tm))
			lv_fire(e, &tm);
	}
	lv_producer_pump(e);
	/*
	 * Settling, the sync goes out in the turn the last publish did, not
	 * after a poll() that has nothing to wait for.
	 */
	if (e->settling)
		lv_producer_sync(e);
	/*
	 * What the producer just wrote is in the relay's socket already (on
	 * loopback): forward it now rather than after a poll() that would
	 * only report it.
	 */
	if (e->prod.wrote) {
		e->prod.wrote = 0;
		e->prod.injected = 0;
		live_relay_poke(e->prod.cl.relay);
	} else if (e->prod.injected) {
		e->prod.injected = 0;
		live_relay_settle(e->prod.cl.relay);
	}
	/* Descriptors: each client's relay, then its own socket. */
	for (size_t who = 0; who < clients; who++) {
		struct lv_client *cl = who == 0 ? &e->prod.cl :
		    &e->consumers[who - 1].cl;
		int fd;

		relay_at[who] = nfds;
		relay_n[who] = live_relay_fds(cl->relay, fds + nfds,
		    LV_RELAY_FDS);
		nfds += relay_n[who];
		fd = lv_client_fd(cl);
		if (fd >= 0) {
			short ev = POLLIN;
			if (cl->conn.state == LC_TCP)
				ev = POLLOUT;
			else if (who == 0 && e->prod.want_write)
				ev |= POLLOUT;
			client_at[who] = nfds;
			fds[nfds++] = (struct pollfd){ fd, ev, 0 };
			if (live_conn_pending(&cl->conn))
				busy = 1;
		} else
			client_at[who] = SIZE_MAX;
	}
	assert(nfds <= clients * (LV_RELAY_FDS + 1));
	if (lv_producer_can_send(e))
		busy = 1;
	now = lv_now(e);
	wait_us = until_us - now;
	t = sched_peek(&e->base.sched);
	if (t && t->due - now < wait_us)
		wait_us = t->due - now;
	if (wait_us > LV_POLL_MAX_MS * 1000)
		wait_us = LV_POLL_MAX_MS * 1000;
	if (wait_us < 0 || busy)
		wait_us = 0;
	ready = lv_spin(e, fds, nfds, wait_us);
	if (ready == 0)
		ready = poll(fds, nfds, (int)((wait_us + 999) / 1000));
	if (ready > 0)
		e->activity_at = lv_now(e);
	for (size_t who = 0; who < clients; who++) {
		struct lv_client *cl = who == 0 ? &e->prod.cl :
		    &e->consumers[who - 1].cl;
		if (client_at[who] != SIZE_MAX &&
		    fds[client_at[who]].revents & (POLLIN | POLLHUP | POLLERR))
			cl->readable = 1;
	}
	/*
	 * A relay that wrote to its client makes the client readable: the
	 * next turn reads it without a poll() to report it.
	 */
	for (size_t i = 0; i < clients; i++) {
		struct lv_client *cl = i == 0 ? &e->prod.cl :
		    &e->consumers[i - 1].cl;
		uint64_t down = live_relay_to_client(cl->relay);
		live_relay_run(cl->relay, fds + relay_at[i], relay_n[i]);
		if (live_relay_to_client(cl->relay) != down)
			cl->readable = 1;
	}
}

/* ---- quiet --------------------------------------------------------------- */

/* Whether a delivery to consumer c is still to come from queue q. */
static int
lv_delivery_due(struct engine *e, int ci)
{
	const struct client_consumer *a = &e->base.app.cons[ci];
	const struct broker_queue *q = &e->base.b.queues[a->queue];

	return a->connected && e->consumers[ci].link == RELAY_OK && e->base.b.up &&
	    q->ready.len && broker_sub_has_credit(&e->base.b, ci);
}

/*
 * After publishes without confirms, nothing tells the client when the
 * broker has routed them. A basic.qos on the same channel does: the broker
 * acts on a channel's frames in order, so its -ok comes after every earlier
 * publish was routed. Sent once things are otherwise quiet.
 */
void
lv_producer_sync(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	amqp_basic_qos_t qos;

	if (!p->unsynced || p->syncing || !cp->connected || !cp->chan_open ||
	    p->link != RELAY_OK || cp->out_len || cp->outstanding ||
	    !live_conn_writable(&p->cl.conn))
		return;
	memset(&qos, 0, sizeof qos);
	if (lv_send(&p->cl, CMD_OTHER, 0, 0, AMQP_BASIC_QOS_METHOD, &qos) != 0)
		return;
	p->unsynced = 0;
	p->syncing = 1;
	p->wrote = 1;
}

int
lv_quiet(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;
	int64_t now = lv_now(e);

	if (!client_sched_idle(&e->base.app, NULL, NULL))
		return 0;
	if (cp->connecting || p->cl.conn.state == LC_TCP ||
	    (p->cl.conn.state > LC_TCP && p->cl.conn.state < LC_UP))
		return 0;
	if (p->link == RELAY_OK) {
		if (cp->out_len && !(p->blocked))
			return 0;
		if (cp->connected && (p->syncing || p->unsynced) &&
		    cp->chan_open)
			return 0;
		if (cp->outstanding && cp->connected)
			return 0;
		if (p->cl.ncmds && cp->connected)
			return 0;
		if (live_relay_busy(p->cl.relay))
			return 0;
	} else if (p->link == RELAY_HOLE && cp->connected &&
	    e->base.toggles[TOGGLE_HEARTBEAT] > 0)
		return 0; /* the heartbeat will notice */
	for (uint32_t id = 1; id <= e->base.app.next_id && id < e->base.b.tally_cap; id++)
		if (e->base.b.tally[id].returns_due && p->link == RELAY_OK)
			return 0;
	for (size_t i = 0; i < e->nconsumers; i++) {
		struct lv_consumer *c = &e->consumers[i];
		struct client_consumer *a = &e->base.app.cons[i];
		if (a->connecting || a->busy || a->buf.len)
			return 0;
		if (c->link == RELAY_OK && (c->cl.ncmds ||
		    live_relay_busy(c->cl.relay)) && a->connected)
			return 0;
		if (c->link == RELAY_HOLE && a->connected &&
		    e->base.toggles[TOGGLE_HEARTBEAT] > 0)
			return 0;
		if (lv_delivery_due(e, (int)i))
			return 0;
	}
	return now - e->activity_at >= LV_GRACE_US;
}
