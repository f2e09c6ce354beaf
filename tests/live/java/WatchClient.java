/*
 * A client the lab did not write, for tests/live/watch.sh: the RabbitMQ
 * Java client (the one Spring AMQP wraps, Debian's librabbitmq-client-java)
 * run through `rabbitlab watch`. It prints its own counts as JSON lines,
 * which the test holds against the lab's ledger and against what a real
 * broker keeps (shared/rabbitmq-facts.md).
 *
 *   java WatchClient counts PORT N       confirms, mandatory, manual acks
 *   java WatchClient crash N PORT...     publishes through the first port,
 *                                        then waits for the end
 *   java WatchClient survivors PORT      what the node holds after a restart
 *   java WatchClient wait PORT...        consumes until the connections end
 *
 * crash and wait hold one connection to each port given (the watch's and
 * the node's own), so that one JVM shows how the same end looks through
 * the lab and without it.
 *
 * Automatic recovery is off, as Spring AMQP's connection factory sets it,
 * so a lost connection is reported as the client library raised it.
 */
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class WatchClient {
	private static final AMQP.BasicProperties PERSISTENT =
	    new AMQP.BasicProperties.Builder().deliveryMode(2).build();
	private static final AMQP.BasicProperties TRANSIENT =
	    new AMQP.BasicProperties.Builder().deliveryMode(1).build();

	/* Counts in the order they are printed. */
	private final Map<String, Integer> counts = new LinkedHashMap<>();
	/* Publish sequence numbers not confirmed yet. */
	private final SortedSet<Long> unconfirmed = new TreeSet<>();

	private synchronized void add(String name, int n) {
		counts.merge(name, n, Integer::sum);
	}

	private synchronized int get(String name) {
		return counts.getOrDefault(name, 0);
	}

	private static String quote(String s) {
		StringBuilder b = new StringBuilder("\"");
		for (char c : s.toCharArray()) {
			if (c == '"' || c == '\\')
				b.append('\\').append(c);
			else if (c < 0x20)
				b.append(String.format("\\u%04x", (int)c));
			else
				b.append(c);
		}
		return b.append('"').toString();
	}

	private synchronized void printCounts() {
		StringBuilder b = new StringBuilder("{");
		for (Map.Entry<String, Integer> e : counts.entrySet()) {
			if (b.length() > 1)
				b.append(", ");
			b.append(quote(e.getKey())).append(": ").append(e.getValue());
		}
		System.out.println(b.append('}'));
		System.out.flush();
	}

	private static Connection connect(int port, String name)
	    throws Exception {
		ConnectionFactory f = new ConnectionFactory();
		f.setHost("127.0.0.1");
		f.setPort(port);
		f.setUsername("guest");
		f.setPassword("guest");
		f.setAutomaticRecoveryEnabled(false);
		f.setRequestedHeartbeat(0);
		return f.newConnection(name);
	}

	/* Confirms and returns counted as the broker sends them: a multiple
	 * ack confirms every sequence number up to its tag. */
	private void listen(Channel ch) {
		ch.addConfirmListener(new ConfirmListener() {
			public void handleAck(long tag, boolean multiple) {
				add("confirmed", settle(tag, multiple));
			}

			public void handleNack(long tag, boolean multiple) {
				add("nacked", settle(tag, multiple));
			}
		});
		ch.addReturnListener((code, text, exchange, key, props, body) ->
		    add("returned", 1));
	}

	private synchronized int settle(long tag, boolean multiple) {
		if (!multiple)
			return unconfirmed.remove(tag) ? 1 : 0;
		SortedSet<Long> done = unconfirmed.headSet(tag + 1);
		int n = done.size();
		done.clear();
		return n;
	}

	private void publish(Channel ch, String exchange, String key,
	    boolean mandatory, AMQP.BasicProperties props, String body)
	    throws IOException {
		synchronized (this) {
			unconfirmed.add(ch.getNextPublishSeqNo());
		}
		ch.basicPublish(exchange, key, mandatory, props,
		    body.getBytes(StandardCharsets.UTF_8));
		add("published", 1);
	}

	/*
	 * The scenario of tests/live/watch_pika.py, in Java, with message-ids
	 * and bodies of its own (the lab takes a message-id seen before for a
	 * resend, and matches messages without one by routing key and body):
	 * every fifth
	 * message to a key nothing is bound to (mandatory: a basic.return),
	 * a message-id on the even ones; of those delivered, bodies ending in
	 * 3 rejected into the dead-letter exchange, those ending in 0 nacked
	 * with requeue once, the rest acked.
	 */
	private void counts(int port, int n) throws Exception {
		String[] names = { "published", "confirmed", "nacked",
		    "returned", "delivered", "redelivered", "acked", "requeued",
		    "rejected" };
		for (String s : names)
			counts.put(s, 0);
		Connection conn = connect(port, "java-watch-test");
		Channel ch = conn.createChannel();
		ch.exchangeDeclare("watch.jx", "direct", false, true, null);
		ch.exchangeDeclare("watch.jdlx", "fanout", false, true, null);
		ch.queueDeclare("watch.jdead", false, false, true, null);
		ch.queueBind("watch.jdead", "watch.jdlx", "");
		Map<String, Object> args = new HashMap<>();
		args.put("x-dead-letter-exchange", "watch.jdlx");
		ch.queueDeclare("watch.jq", false, false, true, args);
		ch.queueBind("watch.jq", "watch.jx", "ok");
		ch.confirmSelect();
		listen(ch);
		for (int i = 0; i < n; i++) {
			AMQP.BasicProperties.Builder p =
			    new AMQP.BasicProperties.Builder().deliveryMode(2);
			if (i % 2 == 0)
				p.messageId("java-" + i);
			publish(ch, "watch.jx", i % 5 == 4 ? "nowhere" : "ok", true,
			    p.build(), "java body " + i);
		}
		if (!ch.waitForConfirms(30000))
			System.err.println("WatchClient: the broker nacked some");
		int want = get("published") - get("returned") - get("nacked");
		CountDownLatch done = new CountDownLatch(1);
		Set<String> nackedOnce = new HashSet<>();
		ch.basicQos(10);
		ch.basicConsume("watch.jq", false, new DefaultConsumer(ch) {
			@Override
			public void handleDelivery(String tag, Envelope env,
			    AMQP.BasicProperties props, byte[] b) throws IOException {
				String body = new String(b, StandardCharsets.UTF_8);
				long dt = env.getDeliveryTag();
				add("delivered", 1);
				if (env.isRedeliver())
					add("redelivered", 1);
				if (body.endsWith("3")) {
					getChannel().basicReject(dt, false);
					add("rejected", 1);
				} else if (body.endsWith("0") && nackedOnce.add(body)) {
					getChannel().basicNack(dt, false, true);
					add("requeued", 1);
				} else {
					getChannel().basicAck(dt, false);
					add("acked", 1);
				}
				if (get("acked") + get("rejected") >= want)
					done.countDown();
			}
		});
		if (!done.await(30, TimeUnit.SECONDS))
			System.err.println("WatchClient: not all were settled");
		conn.close();
		printCounts();
	}

	private static final String DURABLE = "watch.jdurable";
	private static final String NONDURABLE = "watch.jnondurable";

	/* A consumer on a queue of its own, so that the connection reads. */
	private static Connection waiter(int port) throws Exception {
		Connection conn = connect(port, "java-watch-wait");
		Channel ch = conn.createChannel();
		String q = ch.queueDeclare().getQueue();
		ch.basicConsume(q, false, new DefaultConsumer(ch));
		return conn;
	}

	/*
	 * Prints {"ready": true}, waits (at most 120 s in all) for each
	 * connection to end, then prints how the library reported each end,
	 * one line per connection in the order given, with its port.
	 */
	private static void awaitEnd(Connection[] conns, int[] ports)
	    throws Exception {
		CountDownLatch gone = new CountDownLatch(conns.length);
		ShutdownSignalException[] why =
		    new ShutdownSignalException[conns.length];
		for (int i = 0; i < conns.length; i++) {
			int k = i;
			conns[i].addShutdownListener(cause -> {
				why[k] = cause;
				gone.countDown();
			});
		}
		System.out.println("{\"ready\": true}");
		System.out.flush();
		gone.await(120, TimeUnit.SECONDS);
		for (int i = 0; i < conns.length; i++) {
			ShutdownSignalException e = why[i];
			Throwable c = e == null ? null : e.getCause();
			String text = e == null ? "none within 120 s" : c == null ?
			    e.toString() : c.getClass().getName() + ": " +
			    c.getMessage();
			System.out.println("{\"port\": " + ports[i] +
			    ", \"error\": " + quote(text) + "}");
		}
		System.out.flush();
	}

	/* Connections to ports[1..] that wait, after conns[0] made by the
	 * caller. */
	private static Connection[] waiters(Connection first, int[] ports)
	    throws Exception {
		Connection[] conns = new Connection[ports.length];
		conns[0] = first;
		for (int i = 1; i < ports.length; i++)
			conns[i] = waiter(ports[i]);
		return conns;
	}

	/*
	 * Puts n persistent and n transient messages into a durable classic
	 * queue and as many into a non-durable one, with confirms, through
	 * ports[0]; prints what was confirmed, and waits for the end of that
	 * connection and of one idle connection to each other port (the test
	 * then kills the node).
	 */
	private void crash(int[] ports, int n) throws Exception {
		for (String s : new String[] { "published", "confirmed",
		    "nacked", "returned" })
			counts.put(s, 0);
		Connection conn = connect(ports[0], "java-watch-crash");
		Channel ch = conn.createChannel();
		ch.queueDeclare(DURABLE, true, false, false, null);
		ch.queueDeclare(NONDURABLE, false, false, false, null);
		/*
		 * Twice in about ten loaded runs the durable queue declared
		 * here a moment before the kill -9 was gone after the restart
		 * (its confirmed messages with it); a declaration a few
		 * seconds old never was. Until that is pinned down on the
		 * node (an open question in the README), the queue gets
		 * those seconds: the check is about the messages.
		 */
		Thread.sleep(3000);
		ch.confirmSelect();
		listen(ch);
		for (int i = 0; i < n; i++)
			for (String q : new String[] { DURABLE, NONDURABLE }) {
				publish(ch, "", q, true, PERSISTENT, "p " + i);
				publish(ch, "", q, true, TRANSIENT, "t " + i);
			}
		ch.waitForConfirms(30000);
		printCounts();
		awaitEnd(waiters(conn, ports), ports);
	}

	/* After the restart: how many of each kind the durable queue holds,
	 * and whether the non-durable one is still there (-1: not). Deletes
	 * both. */
	private void survivors(int port) throws Exception {
		Connection conn = connect(port, "java-watch-survivors");
		Channel ch = conn.createChannel();
		counts.put("persistent", 0);
		counts.put("transient", 0);
		GetResponse r;
		while ((r = ch.basicGet(DURABLE, true)) != null) {
			boolean p = r.getProps().getDeliveryMode() != null &&
			    r.getProps().getDeliveryMode() == 2;
			add(p ? "persistent" : "transient", 1);
		}
		ch.queueDelete(DURABLE);
		try {
			counts.put("nondurable", ch.queueDeclarePassive(NONDURABLE)
			    .getMessageCount());
			ch.queueDelete(NONDURABLE);
		} catch (IOException e) {
			counts.put("nondurable", -1); /* 404: the channel closed */
		}
		conn.close();
		printCounts();
	}

	public static void main(String[] a) throws Exception {
		if (a.length < 2) {
			System.err.println("usage: WatchClient counts PORT N | "
			    + "crash N PORT... | survivors PORT | wait PORT...");
			System.exit(2);
		}
		WatchClient c = new WatchClient();
		int[] ports;
		switch (a[0]) {
		case "counts":
			c.counts(Integer.parseInt(a[1]), Integer.parseInt(a[2]));
			break;
		case "crash":
			ports = new int[a.length - 2];
			for (int i = 2; i < a.length; i++)
				ports[i - 2] = Integer.parseInt(a[i]);
			c.crash(ports, Integer.parseInt(a[1]));
			break;
		case "survivors":
			c.survivors(Integer.parseInt(a[1]));
			break;
		case "wait":
			ports = new int[a.length - 1];
			for (int i = 1; i < a.length; i++)
				ports[i - 1] = Integer.parseInt(a[i]);
			awaitEnd(waiters(waiter(ports[0]), ports), ports);
			break;
		default:
			System.err.println("WatchClient: unknown mode " + a[0]);
			System.exit(2);
		}
		System.exit(0);
	}
}
