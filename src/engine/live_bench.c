/*
 * The live engine: make bench: publish rates through the lab and through a
 * bare rabbitmq-c loop.
 */
#include "engine/live_int.h"

/* ---- benchmark ---------------------------------------------------------- */

static void
lvb_sink(void *ctx, const struct event *ev)
{
	ledger_apply(ctx, ev);
}

static double
lvb_clock(void)
{
	return (double)lv_mono_ns() / 1e9;
}

/* Whether every publish went out and the broker acted on it. */
static int
lvb_done(struct engine *e)
{
	struct lv_producer *p = &e->prod;
	struct client_producer *cp = &e->base.app.prod;

	return cp->connected && cp->out_len == 0 && cp->outstanding == 0 &&
	    p->sent_len == 0 && !p->unsynced && !p->syncing;
}

/* Runs the loop as lv_settle does, until lvb_done. */
static void
lvb_run(struct engine *e)
{
	e->settling = 1;
	while (!lvb_done(e)) {
		lv_producer_sync(e);
		lv_step(e, lv_now(e) + 10000);
	}
	e->settling = 0;
}

/*
 * One timed run through the live engine (relay, events, ledger); returns
 * messages per second, or -1 with *cause.
 */
static double
lvb_lab(const char *url, int mode, int persistent, uint32_t n, int spin,
    char **cause)
{
	struct engine_opts o;
	struct topology t;
	struct topo_queue q;
	struct publish_req req;
	struct ledger *l = ledger_create();
	struct engine *e;
	double t0, secs;

	memset(&o, 0, sizeof o);
	o.sink = lvb_sink;
	o.sink_ctx = l;
	o.url = url;
	e = lv_create(&o, cause);
	if (e == NULL) {
		ledger_free(l);
		return -1;
	}
	if (!spin)
		e->spin_us = 0;
	memset(&t, 0, sizeof t);
	topology_queue_init(&q);
	q.name = (char *)"bench";
	q.durable = 1;
	q.type = QTYPE_CLASSIC;
	t.queues = &q;
	t.nqueues = 1;
	t.publish_exchange = (char *)"";
	t.publish_key = (char *)"bench";
	engine_set_toggle(e, TOGGLE_CONFIRMS, mode, cause);
	engine_set_toggle(e, TOGGLE_BATCH, 100, cause);
	engine_set_toggle(e, TOGGLE_PERSISTENT, persistent, cause);
	if (lv_declare(e, &t, cause) != 0) {
		lv_destroy(e);
		ledger_free(l);
		return -1;
	}
	memset(&req, 0, sizeof req);
	req.count = 1;
	req.expiration_ms = req.delay_ms = -1;
	req.persistent = -1;
	/* Warm up: the connection is open before the clock starts. */
	engine_publish(e, &req, cause);
	lvb_run(e);
	req.count = n;
	t0 = lvb_clock();
	engine_publish(e, &req, cause);
	lvb_run(e);
	secs = lvb_clock() - t0;
	lv_destroy(e);
	ledger_free(l);
	return n / secs;
}

/* Reads frames until the confirm for `upto` arrived; -1 on error. */
static int
lvb_wait_acks(amqp_connection_state_t c, uint64_t upto)
{
	amqp_frame_t f;

	for (;;) {
		if (amqp_simple_wait_frame(c, &f) != AMQP_STATUS_OK)
			return -1;
		if (f.frame_type == AMQP_FRAME_METHOD &&
		    f.payload.method.id == AMQP_BASIC_ACK_METHOD) {
			amqp_basic_ack_t *a = f.payload.method.decoded;
			if (a->delivery_tag >= upto)
				return 0;
		}
		amqp_maybe_release_buffers(c);
	}
}

/*
 * The same publishes with a bare rabbitmq-c loop, straight to the broker
 * (see live.h: live_bench_bare). With `same`, each carries what the lab's
 * carries on the wire (lv_producer_send): delivery mode, a message-id of
 * the same form, the id header, and mandatory; the broker then has the
 * same work per message (it decodes the headers of every publish, for
 * CC/BCC). Without, delivery mode only and no mandatory: the cheapest
 * publish, for information.
 */
double
live_bench_bare(const struct live_target *t, const char *queue, int mode,
    int persistent, uint32_t n, int same, double *rtt_us, char **cause)
{
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *s = amqp_tcp_socket_new(c);
	amqp_basic_properties_t props;
	amqp_table_entry_t hdr;
	char mid[48];
	struct timeval tv = { 5, 0 };
	double t0, secs, sent;
	uint64_t seq = 0;
	uint32_t done = 0;

	if (s == NULL || amqp_socket_open_noblock(s, t->host, t->port, &tv) ||
	    amqp_login(c, t->vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
		t->user, t->password).reply_type != AMQP_RESPONSE_NORMAL) {
		*cause = xasprintf("%s: the bare client could not connect",
		    t->display);
		amqp_destroy_connection(c);
		return -1;
	}
	amqp_set_rpc_timeout(c, &tv);
	amqp_channel_open(c, 1);
	amqp_queue_declare(c, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0,
	    amqp_empty_table);
	amqp_queue_purge(c, 1, amqp_cstring_bytes(queue));
	if (mode != CONFIRMS_OFF)
		amqp_confirm_select(c, 1);
	memset(&props, 0, sizeof props);
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	props.delivery_mode = persistent ? 2 : 1;
	t0 = lvb_clock();
	for (uint32_t i = 0; i < n; i++, done++) {
		if (same) {
			props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG |
			    AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
			lv_props_id(mid, sizeof mid, i + 2, i + 2);
			props.message_id = amqp_cstring_bytes(mid);
			hdr = lv_entry_int(LV_ID_HEADER, i + 2);
			props.headers.entries = &hdr;
			props.headers.num_entries = 1;
		}
		sent = lvb_clock();
		amqp_basic_publish(c, 1, amqp_empty_bytes,
		    amqp_cstring_bytes(queue), same, 0, &props,
		    amqp_cstring_bytes("payment"));
		seq++;
		if ((mode == CONFIRMS_EACH || (mode == CONFIRMS_BATCH &&
		    (seq % 100 == 0 || i + 1 == n))) &&
		    lvb_wait_acks(c, seq) != 0)
			break;
		if (rtt_us && mode == CONFIRMS_EACH)
			rtt_us[i] = (lvb_clock() - sent) * 1e6;
	}
	/* Without confirms: a round trip on the channel ends the run. */
	amqp_basic_qos(c, 1, 0, 0, 0);
	secs = lvb_clock() - t0;
	amqp_queue_delete(c, 1, amqp_cstring_bytes(queue), 0, 0);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	if (done < n) {
		*cause = xasprintf("%s: the connection failed after %u of %u "
		    "publishes", t->display, (unsigned)done, (unsigned)n);
		return -1;
	}
	return n / secs;
}

#define LVB_ROUNDS 3

static int
lvb_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
live_bench(const char *url, struct live_bench_row rows[LIVE_BENCH_ROWS],
    char **cause)
{
	static const struct {
		const char *name;
		int mode;
		uint32_t n[2]; /* transient, persistent */
	} modes[3] = {
		{ "no confirms", CONFIRMS_OFF, { 20000, 10000 } },
		{ "batches of 100", CONFIRMS_BATCH, { 10000, 5000 } },
		{ "each", CONFIRMS_EACH, { 2000, 500 } },
	};
	struct live_target t;
	char queue[64];

	*cause = NULL;
	if (live_broker_resolve(url, &t, cause) != 0)
		return -1;
	snprintf(queue, sizeof queue, "rabbitlab.bench.%ld", (long)getpid());
	/* Three rounds, lab and bare alternating; the median of each. */
	for (int m = 0; m < 3; m++)
		for (int pers = 0; pers < 2; pers++) {
			struct live_bench_row *r = &rows[m * 2 + pers];
			double lab[LVB_ROUNDS], bare[LVB_ROUNDS], min[LVB_ROUNDS];
			double still[LVB_ROUNDS];
			r->mode = modes[m].name;
			r->persistent = pers;
			r->messages = modes[m].n[pers];
			for (int k = 0; k < LVB_ROUNDS; k++) {
				lab[k] = lvb_lab(url, modes[m].mode, pers,
				    r->messages, 1, cause);
				if (lab[k] < 0)
					return -1;
				still[k] = lvb_lab(url, modes[m].mode, pers,
				    r->messages, 0, cause);
				if (still[k] < 0)
					return -1;
				bare[k] = live_bench_bare(&t, queue,
				    modes[m].mode, pers, r->messages, 1, NULL,
				    cause);
				if (bare[k] < 0)
					return -1;
				min[k] = live_bench_bare(&t, queue,
				    modes[m].mode, pers, r->messages, 0, NULL,
				    cause);
				if (min[k] < 0)
					return -1;
			}
			qsort(lab, LVB_ROUNDS, sizeof lab[0], lvb_cmp);
			qsort(bare, LVB_ROUNDS, sizeof bare[0], lvb_cmp);
			qsort(min, LVB_ROUNDS, sizeof min[0], lvb_cmp);
			qsort(still, LVB_ROUNDS, sizeof still[0], lvb_cmp);
			r->lab_rate = lab[LVB_ROUNDS / 2];
			r->bare_rate = bare[LVB_ROUNDS / 2];
			r->bare_min_rate = min[LVB_ROUNDS / 2];
			r->lab_still_rate = still[LVB_ROUNDS / 2];
		}
	return 0;
}
