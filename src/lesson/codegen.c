/*
 * From the lab back to real code: turns a set of toggles and a topology into
 * what a learner would write in a Spring Boot service (application.yml, the
 * Java pieces) and with rabbitmq-c. Used by `rabbitlab config` and by the
 * screen's config view. Comments in the output follow the chosen language;
 * property names and code stay as the libraries spell them.
 */
#include "lesson/codegen.h"

#include <inttypes.h>
#include <string.h>

/* A comment line in the learner's language. */
static void
codegen_note(FILE *out, const char *lang, const char *indent,
    const char *mark, const char *en, const char *zh)
{
	fprintf(out, "%s%s %s\n", indent, mark,
	    lang && strcmp(lang, "zh") == 0 ? zh : en);
}

static void
codegen_ms(FILE *out, const char *indent, const char *key, int64_t ms)
{
	fprintf(out, "%s%s: %" PRId64 "ms\n", indent, key, ms);
}

static void
codegen_ratio(FILE *out, const char *indent, const char *key, int64_t milli)
{
	fprintf(out, "%s%s: %" PRId64 ".%" PRId64 "\n", indent, key,
	    milli / 1000, milli % 1000 / 100);
}

static void
codegen_yaml(FILE *out, const int64_t *tg, const char *lang)
{
	static const char *const confirm_types[] = { "none", "simple",
		"simple", "correlated" };
	static const char *const ack_modes[] = { "none", "auto", "manual" };

	fputs("# application.yml\nspring:\n  rabbitmq:\n", out);
	fputs("    host: localhost\n    port: 5672\n", out);
	fprintf(out, "    requested-heartbeat: %" PRId64 "s\n",
	    tg[TOGGLE_HEARTBEAT]);
	codegen_note(out, lang, "    ", "#",
	    tg[TOGGLE_CONFIRMS] == CONFIRMS_OFF ?
	    "no publisher confirms: the producer never learns of a loss" :
	    tg[TOGGLE_CONFIRMS] == CONFIRMS_ASYNC ?
	    "confirms arrive in ConfirmCallback, without blocking the sender" :
	    "simple: the sender calls waitForConfirms (each message or batch)",
	    tg[TOGGLE_CONFIRMS] == CONFIRMS_OFF ?
	    "未开启发布确认：消息丢了生产者也不知道" :
	    tg[TOGGLE_CONFIRMS] == CONFIRMS_ASYNC ?
	    "确认结果异步回调到 ConfirmCallback，发送线程不阻塞" :
	    "simple：发送方调用 waitForConfirms 同步等待（逐条或按批）");
	fprintf(out, "    publisher-confirm-type: %s\n",
	    confirm_types[tg[TOGGLE_CONFIRMS]]);
	fprintf(out, "    publisher-returns: %s\n",
	    tg[TOGGLE_MANDATORY] ? "true" : "false");
	fputs("    template:\n", out);
	fprintf(out, "      mandatory: %s\n",
	    tg[TOGGLE_MANDATORY] ? "true" : "false");
	fputs("      retry:\n", out);
	codegen_note(out, lang, "        ", "#",
	    "retries block the calling thread between attempts",
	    "重试期间调用线程是阻塞的");
	fprintf(out, "        enabled: %s\n",
	    tg[TOGGLE_PRODUCER_RETRY] ? "true" : "false");
	codegen_ms(out, "        ", "initial-interval",
	    tg[TOGGLE_PRODUCER_INITIAL_MS]);
	codegen_ratio(out, "        ", "multiplier",
	    tg[TOGGLE_PRODUCER_MULTIPLIER]);
	fprintf(out, "        max-attempts: %" PRId64 "\n",
	    tg[TOGGLE_PRODUCER_ATTEMPTS]);
	fputs("    listener:\n      simple:\n", out);
	fprintf(out, "        acknowledge-mode: %s\n",
	    ack_modes[tg[TOGGLE_ACK_MODE]]);
	fprintf(out, "        prefetch: %" PRId64 "\n", tg[TOGGLE_PREFETCH]);
	codegen_note(out, lang, "        ", "#",
	    "false: a failed message is rejected (dead-lettered if the queue "
	    "has a DLX) instead of requeued",
	    "false：处理失败的消息被拒绝（队列配置了死信交换机就进死信），"
	    "而不是重新入队");
	fprintf(out, "        default-requeue-rejected: %s\n",
	    tg[TOGGLE_ON_FAILURE] == ONFAIL_REQUEUE ? "true" : "false");
	fputs("        retry:\n", out);
	fprintf(out, "          enabled: %s\n",
	    tg[TOGGLE_RETRY] ? "true" : "false");
	codegen_ms(out, "          ", "initial-interval",
	    tg[TOGGLE_RETRY_INITIAL_MS]);
	codegen_ratio(out, "          ", "multiplier",
	    tg[TOGGLE_RETRY_MULTIPLIER]);
	codegen_ms(out, "          ", "max-interval", tg[TOGGLE_RETRY_MAX_MS]);
	fprintf(out, "          max-attempts: %" PRId64 "\n",
	    tg[TOGGLE_RETRY_ATTEMPTS]);
	fputs("          stateless: true\n", out);
}

static void
codegen_queue_java(FILE *out, const int64_t *tg, const struct topo_queue *q,
    size_t index, const char *lang)
{
	int type = q->type >= 0 ? q->type : (int)tg[TOGGLE_QUEUE_TYPE];
	int durable = type == QTYPE_QUORUM ? 1 : q->durable >= 0 ? q->durable :
	    (int)tg[TOGGLE_DURABLE_QUEUE];

	fprintf(out, "@Bean\nQueue queue%zu() {\n", index + 1);
	fprintf(out, "    return QueueBuilder.%s(\"%s\")", durable ?
	    "durable" : "nonDurable", q->name);
	if (type == QTYPE_LAZY)
		fputs("\n        .lazy()", out);
	if (type == QTYPE_QUORUM)
		fputs("\n        .quorum()", out);
	if (q->ttl_ms >= 0)
		fprintf(out, "\n        .ttl(%" PRId64 ")", q->ttl_ms);
	if (q->dlx)
		fprintf(out, "\n        .deadLetterExchange(\"%s\")", q->dlx);
	if (q->dlrk)
		fprintf(out, "\n        .deadLetterRoutingKey(\"%s\")",
		    q->dlrk);
	if (q->max_length >= 0) {
		fprintf(out, "\n        .maxLength(%" PRId64 ")",
		    q->max_length);
		if (q->overflow == OVERFLOW_REJECT_PUBLISH)
			fputs("\n        .overflow(QueueBuilder.Overflow."
			    "rejectPublish)", out);
	}
	if (q->delivery_limit >= 0)
		fprintf(out, "\n        .deliveryLimit(%" PRId64 ")",
		    q->delivery_limit);
	fputs("\n        .build();\n}\n", out);
	if (type == QTYPE_LAZY)
		codegen_note(out, lang, "", "//",
		    "lazy = x-queue-mode: lazy; transient messages are still "
		    "lost on a crash",
		    "lazy 即 x-queue-mode: lazy；宕机时非持久消息照样丢失");
}

static void
codegen_java(FILE *out, const int64_t *tg, const struct topology *t,
    const char *lang)
{
	fputs("\n// Java\n", out);
	for (size_t i = 0; t && i < t->nqueues; i++)
		codegen_queue_java(out, tg, &t->queues[i], i, lang);
	if (tg[TOGGLE_CONFIRMS] != CONFIRMS_OFF) {
		codegen_note(out, lang, "", "//",
		    "a nack means the broker did not take the message; an "
		    "unroutable one is acked",
		    "nack 表示 broker 没收下消息；路由失败的消息收到的是 ack");
		fputs("rabbitTemplate.setConfirmCallback((data, ack, cause) -> {\n"
		    "    if (!ack) {\n", out);
		fprintf(out, "        %s\n", tg[TOGGLE_RESEND] ?
		    "resend(data);  // same business key" :
		    "log.error(\"not confirmed: {} {}\", data, cause);");
		fputs("    }\n});\n", out);
		if (tg[TOGGLE_CONFIRMS] != CONFIRMS_ASYNC)
			fprintf(out, "rabbitTemplate.invoke(ops -> {\n"
			    "    ops.convertAndSend(exchange, key, payload);\n"
			    "    ops.waitForConfirmsOrDie(5000);%s\n"
			    "    return null;\n});\n",
			    tg[TOGGLE_CONFIRMS] == CONFIRMS_BATCH ?
			    "  // after every batch" : "");
	}
	if (tg[TOGGLE_MANDATORY])
		fputs("rabbitTemplate.setReturnsCallback(returned ->\n"
		    "    log.error(\"returned {} {}\", returned.getReplyCode(),\n"
		    "        returned.getReplyText()));\n", out);
	fprintf(out, "MessagePostProcessor mode = m -> {\n"
	    "    m.getMessageProperties().setDeliveryMode("
	    "MessageDeliveryMode.%s);\n    return m;\n};\n",
	    tg[TOGGLE_PERSISTENT] ? "PERSISTENT" : "NON_PERSISTENT");
	if (tg[TOGGLE_RETRY]) {
		fputs("@Bean\nMessageRecoverer recoverer() {\n    return ", out);
		if (tg[TOGGLE_ON_FAILURE] == ONFAIL_REQUEUE)
			fputs("new ImmediateRequeueMessageRecoverer();\n", out);
		else if (tg[TOGGLE_ON_FAILURE] == ONFAIL_REJECT)
			fputs("new RejectAndDontRequeueRecoverer();\n", out);
		else
			fprintf(out, "new RepublishMessageRecoverer(rabbitTemplate,"
			    " \"%s\", \"%s\");\n",
			    t && t->error_exchange ? t->error_exchange :
			    "error.direct", t && t->error_key ? t->error_key :
			    "error");
		fputs("}\n", out);
	}
	if (tg[TOGGLE_ACK_MODE] == ACK_MANUAL)
		fprintf(out, "@RabbitListener(queues = QUEUE)\n"
		    "void onPaid(Message m, Channel ch) throws IOException {\n"
		    "    long tag = m.getMessageProperties().getDeliveryTag();\n"
		    "    try { markOrderPaid(m); ch.basicAck(tag, false); }\n"
		    "    catch (Exception e) { ch.basicNack(tag, false, %s); }\n"
		    "}\n", tg[TOGGLE_ON_FAILURE] == ONFAIL_REQUEUE ? "true" :
		    "false");
	if (tg[TOGGLE_IDEMPOTENCY] == IDEM_MESSAGE_ID)
		fputs("converter.setCreateMessageIds(true);\n"
		    "if (!processedIds.add(m.getMessageProperties()"
		    ".getMessageId())) return;  // seen before\n", out);
	else if (tg[TOGGLE_IDEMPOTENCY] == IDEM_BUSINESS)
		fputs("// update orders set status = 'PAID' where id = ? and "
		    "status = 'UNPAID'\n"
		    "if (orderService.markPaidIfUnpaid(orderId) == 0) return;\n",
		    out);
	if (tg[TOGGLE_RECONCILE])
		fprintf(out, "@Scheduled(fixedDelay = %" PRId64 ")\n"
		    "void reconcile() {\n"
		    "    for (Order o : orderService.unpaidOlderThan(%" PRId64
		    "))\n"
		    "        if (payClient.isPaid(o.getId())) "
		    "orderService.markPaid(o.getId());\n}\n",
		    tg[TOGGLE_RECONCILE_MS], tg[TOGGLE_RECONCILE_MS]);
}

static void
codegen_c(FILE *out, const int64_t *tg, const char *lang)
{
	fputs("\n/* rabbitmq-c 0.11 */\n", out);
	fprintf(out, "amqp_login(conn, \"/\", 0, 131072, %" PRId64
	    ", AMQP_SASL_METHOD_PLAIN, user, password);\n",
	    tg[TOGGLE_HEARTBEAT]);
	fputs("amqp_channel_open(conn, 1);\n", out);
	if (tg[TOGGLE_CONFIRMS] != CONFIRMS_OFF) {
		fputs("amqp_confirm_select(conn, 1);\n", out);
		codegen_note(out, lang, "", "/*",
		    "0.11 has no confirm-wait call: read basic.ack / basic.nack / "
		    "basic.return frames with amqp_simple_wait_frame_noblock */",
		    "0.11 没有等待确认的函数：用 amqp_simple_wait_frame_noblock "
		    "读取 basic.ack / basic.nack / basic.return 帧 */");
	}
	fprintf(out, "props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;\n"
	    "props.delivery_mode = %d;\n", tg[TOGGLE_PERSISTENT] ? 2 : 1);
	fprintf(out, "amqp_basic_publish(conn, 1, exchange, key, "
	    "/* mandatory */ %d, /* immediate */ 0, &props, body);\n",
	    tg[TOGGLE_MANDATORY] ? 1 : 0);
	if (tg[TOGGLE_ACK_MODE] != ACK_NONE)
		fprintf(out, "amqp_basic_qos(conn, 1, 0, %" PRId64 ", 0);\n",
		    tg[TOGGLE_PREFETCH]);
	fprintf(out, "amqp_basic_consume(conn, 1, queue, amqp_empty_bytes, 0, "
	    "/* no_ack */ %d, 0, amqp_empty_table);\n",
	    tg[TOGGLE_ACK_MODE] == ACK_NONE ? 1 : 0);
	if (tg[TOGGLE_ACK_MODE] != ACK_NONE) {
		fputs("amqp_basic_ack(conn, 1, envelope.delivery_tag, 0);\n", out);
		fprintf(out, "amqp_basic_nack(conn, 1, envelope.delivery_tag, 0, "
		    "/* requeue */ %d);\n",
		    tg[TOGGLE_ON_FAILURE] == ONFAIL_REQUEUE ? 1 : 0);
	}
}

void
codegen_write(FILE *out, const int64_t toggles[TOGGLE_COUNT],
    const struct topology *topo, const char *lang)
{
	codegen_yaml(out, toggles, lang);
	codegen_java(out, toggles, topo, lang);
	codegen_c(out, toggles, lang);
}
