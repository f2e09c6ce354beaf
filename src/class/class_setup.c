/*
 * class setup (class_setup.h). The users and their permission patterns are
 * made in one place (class_setup_user) for both ways: the printed script
 * and the definitions file a private node imports.
 */
#include "class/class_setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "engine/live_broker.h"
#include "engine/live_conn.h"
#include "util/mono.h"
#include "util/sha256.h"
#include "util/stop.h"
#include "util/xmalloc.h"

#define CLASS_SETUP_BAD 2
#define CLASS_SETUP_PW 128    /* a password's room, with its NUL */
#define CLASS_SETUP_USER 96

/* A user of the class: its name and its three permission patterns (the
 * regular expressions rabbitmqctl set_permissions takes, unescaped). */
struct class_setup_user {
	char name[CLASS_SETUP_USER];
	char conf[256], write[256], read[256];
};

/*
 * User i of class k: 0 the teacher (the class's exchange, queue and lead
 * only), 1..N student i. Students may declare and publish to the class's
 * exchange and queue but not read the queue, read the teacher's lead
 * (never publish to it) through a queue the broker names (amq.gen-*), and
 * use their own labs' rabbitlab.<8 hex digits>.* resources.
 */
static void
class_setup_user(const char *k, unsigned i, struct class_setup_user *u)
{
	if (i == 0) {
		snprintf(u->name, sizeof u->name, "teacher-%s", k);
		snprintf(u->conf, sizeof u->conf,
		    "^rabbitlab\\.class\\.%s(\\.dashboard|\\.lead)?$", k);
		snprintf(u->write, sizeof u->write, "%s", u->conf);
		snprintf(u->read, sizeof u->read, "%s", u->conf);
		return;
	}
	snprintf(u->name, sizeof u->name, "%s-student%u", k, i);
	snprintf(u->conf, sizeof u->conf, "^(rabbitlab\\.(class\\.%s"
	    "(\\.dashboard|\\.lead)?|[0-9a-f]{8}\\..*)|amq\\.gen-.*)$", k);
	snprintf(u->write, sizeof u->write, "^(rabbitlab\\.(class\\.%s"
	    "(\\.dashboard)?|[0-9a-f]{8}\\..*)|amq\\.default|amq\\.gen-.*)$", k);
	snprintf(u->read, sizeof u->read, "^(rabbitlab\\.(class\\.%s"
	    "(\\.lead)?|[0-9a-f]{8}\\..*)|amq\\.gen-.*)$", k);
}

/* ---- the printed script ------------------------------------------------ */

static void
class_setup_print_user(FILE *out, const char *k, unsigned i)
{
	struct class_setup_user u;

	class_setup_user(k, i, &u);
	fprintf(out, "read -rs -p 'password for %s: ' P; echo\n"
	    "$CTL add_user '%s' \"$P\" </dev/null\n"
	    "$CTL set_permissions -p '%s' '%s' '%s' '%s' '%s' </dev/null\n",
	    u.name, u.name, k, u.name, u.conf, u.write, u.read);
}

static int
class_setup_print(const struct class_setup_opts *o)
{
	fprintf(o->out,
	    "# Class %s on its own vhost %s. Each password is typed at a hidden\n"
	    "# prompt (read -rs) and never shown; rabbitmqctl takes it as an\n"
	    "# argument, so run this on the broker's own machine. It stops at\n"
	    "# the first step that fails; rabbitmqctl never reads the prompts'\n"
	    "# input. (rabbitlab class setup --spawn-broker makes the class on\n"
	    "# a node the lab starts, with no password in any argument.)\n"
	    "set -e\n"
	    "CTL=${CTL:-rabbitmqctl}\n"
	    "$CTL add_vhost '%s' </dev/null\n", o->klass, o->klass, o->klass);
	class_setup_print_user(o->out, o->klass, 0);
	fprintf(o->out,
	    "# Students may declare and publish to the class's exchange and\n"
	    "# queue but not read the queue, read the teacher's lead (never\n"
	    "# publish to it) through a queue the broker names (amq.gen-*),\n"
	    "# and use their own labs' rabbitlab.<8 hex digits>.* resources on\n"
	    "# the live engine.\n");
	for (unsigned i = 1; i <= o->students; i++)
		class_setup_print_user(o->out, o->klass, i);
	fprintf(o->out, "unset P\n");
	return 0;
}

/* ---- passwords ------------------------------------------------------- */

static struct termios class_setup_tio;
static volatile sig_atomic_t class_setup_echo_off;

/* SIGINT or SIGTERM at a hidden prompt: the terminal echoes again first. */
static void
class_setup_prompt_signal(int sig)
{
	if (class_setup_echo_off)
		tcsetattr(STDIN_FILENO, TCSANOW, &class_setup_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The password for `user` into pw: at a hidden prompt on a terminal, else
 * the next line of in. Returns 0, or -1 with why (none given, too long).
 */
static int
class_setup_password(FILE *in, const char *user, char *pw, char *why,
    size_t why_len)
{
	int tty = in == stdin && isatty(STDIN_FILENO);
	struct termios quiet;
	char *got;
	size_t n;

	if (tty) {
		fprintf(stderr, "password for %s: ", user);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &class_setup_tio) == 0) {
			quiet = class_setup_tio;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			signal(SIGINT, class_setup_prompt_signal);
			signal(SIGTERM, class_setup_prompt_signal);
			class_setup_echo_off = 1;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
	}
	got = fgets(pw, CLASS_SETUP_PW, in);
	if (class_setup_echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &class_setup_tio);
		class_setup_echo_off = 0;
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
	}
	if (tty)
		fputc('\n', stderr);
	n = got ? strcspn(pw, "\r\n") : 0;
	if (got && pw[n] == '\0' && n == CLASS_SETUP_PW - 1) {
		snprintf(why, why_len, "the password for %s is longer than %d "
		    "bytes", user, CLASS_SETUP_PW - 2);
		return -1;
	}
	if (n == 0) {
		snprintf(why, why_len, "no password for %s (%s)", user, tty ?
		    "an empty one is refused" : "standard input gives one a "
		    "line: the teacher's first, then each student's");
		return -1;
	}
	pw[n] = '\0';
	return 0;
}

/* ---- the definitions file ---------------------------------------------- */

/* A JSON string of s (the patterns hold backslashes, nothing else odd). */
static void
class_setup_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/*
 * RabbitMQ's rabbit_password_hashing_sha256: base64 of a 4-byte random
 * salt followed by SHA-256(salt ++ password).
 */
static int
class_setup_hash(const char *pw, char *out)
{
	uint8_t buf[4 + CLASS_SETUP_PW], h[4 + SHA256_LEN];
	size_t n = strlen(pw);

	if (getrandom(buf, 4, 0) != 4)
		return -1;
	memcpy(buf + 4, pw, n);
	memcpy(h, buf, 4);
	sha256(buf, 4 + n, h + 4);
	sha256_base64(h, sizeof h, out);
	memset(buf, 0, sizeof buf);
	return 0;
}

/*
 * Writes the class's definitions (vhost, users with hashes, permissions)
 * to path (0600). pws[i] is user i's password. Returns 0 or -1 (errno).
 */
static int
class_setup_write_defs(const char *path, const struct class_setup_opts *o,
    char (*pws)[CLASS_SETUP_PW])
{
	struct class_setup_user u;
	char hash[64];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "{\"vhosts\": [{\"name\": \"%s\"}],\n \"users\": [",
	    o->klass);
	for (unsigned i = 0; i <= o->students; i++) {
		class_setup_user(o->klass, i, &u);
		if (class_setup_hash(pws[i], hash) != 0) {
			fclose(f);
			return -1;
		}
		fprintf(f, "%s\n  {\"name\": \"%s\", \"password_hash\": \"%s\", "
		    "\"hashing_algorithm\": \"rabbit_password_hashing_sha256\", "
		    "\"tags\": []}", i ? "," : "", u.name, hash);
	}
	fputs("],\n \"permissions\": [", f);
	for (unsigned i = 0; i <= o->students; i++) {
		class_setup_user(o->klass, i, &u);
		fprintf(f, "%s\n  {\"user\": \"%s\", \"vhost\": \"%s\", "
		    "\"configure\": ", i ? "," : "", u.name, o->klass);
		class_setup_json(f, u.conf);
		fputs(", \"write\": ", f);
		class_setup_json(f, u.write);
		fputs(", \"read\": ", f);
		class_setup_json(f, u.read);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

/* ---- on a node the lab starts -------------------------------------------- */

static volatile sig_atomic_t class_setup_stop;

static void
class_setup_on_signal(int sig)
{
	(void)sig;
	class_setup_stop = 1;
}

/* HOST[:PORT] into host (an IPv4 address) and *port (0: a free one).
 * Returns 0 or -1. */
static int
class_setup_listen(const char *s, char *host, size_t len, int *port)
{
	const char *colon = strrchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	struct in_addr a;
	char *end;
	long p = 0;

	if (n == 0 || n >= len)
		return -1;
	if (colon) {
		errno = 0;
		p = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || p < 1 || p > 65535)
			return -1;
	}
	memcpy(host, s, n);
	host[n] = '\0';
	*port = (int)p;
	return inet_pton(AF_INET, host, &a) == 1 ? 0 : -1;
}

/* Whether the teacher's user logs in to the class's vhost at t. */
static int
class_setup_login(struct live_target t, const char *user, const char *pw,
    const char *vhost, char **cause)
{
	amqp_connection_state_t c;

	snprintf(t.user, sizeof t.user, "%s", user);
	snprintf(t.password, sizeof t.password, "%s", pw);
	snprintf(t.vhost, sizeof t.vhost, "%s", vhost);
	snprintf(t.display, sizeof t.display, "amqp://%s@%s:%d/%s", user,
	    t.host, t.port, vhost);
	c = live_conn_login(&t, cause);
	memset(t.password, 0, sizeof t.password);
	if (c == NULL)
		return -1;
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	return 0;
}

/* The URLs to give out, and how long the node lives. */
static void
class_setup_announce(const struct class_setup_opts *o, const char *host,
    int port)
{
	const char *k = o->klass;
	char at[300];

	snprintf(at, sizeof at, "%s:%d", strcmp(host, "0.0.0.0") == 0 ?
	    "<this machine's address>" : host, port);
	fprintf(o->out,
	    "Class %s is ready on %s (RabbitMQ node %s, data in %s).\n"
	    "Each URL takes its user's password after the name "
	    "(user:password@); none is shown here.\n"
	    "  dashboard:  rabbitlab class amqp://teacher-%s:<password>@%s/%s\n"
	    "  teacher:    rabbitlab --class amqp://teacher-%s:<password>@%s/%s "
	    "--student NAME --teach lab\n"
	    "  students:   rabbitlab --class amqp://%s-studentN:<password>@%s/%s "
	    "--student NAME   (N = 1 to %u)\n"
	    "The node runs until ^C or SIGTERM; then it stops and its data, the "
	    "class's events with it, is removed (the dashboard's --csv keeps "
	    "them).\n", k, at, live_broker_node(), live_broker_dir(), k, at, k,
	    k, at, k, k, at, k, o->students);
	fflush(o->out);
}

/* Starts the node, imports the class, checks the teacher's login. */
static int
class_setup_make(const struct class_setup_opts *o, const char *host,
    int port, char (*pws)[CLASS_SETUP_PW], int *got_port)
{
	struct live_target t;
	struct class_setup_user u;
	char *cause = NULL, *defs;
	int rc;

	if (live_broker_listen_on(host, port, &cause) != 0 ||
	    live_broker_resolve(NULL, &t, &cause) != 0) {
		fprintf(stderr, "rabbitlab: class setup: %s\n", cause);
		free(cause);
		return -1;
	}
	*got_port = t.port;
	defs = xasprintf("%s/class-%s.json", live_broker_dir(), o->klass);
	rc = class_setup_write_defs(defs, o, pws);
	if (rc != 0)
		cause = xasprintf("%s: %s", defs, strerror(errno));
	else
		rc = live_broker_import(defs, &cause);
	unlink(defs);
	free(defs);
	class_setup_user(o->klass, 0, &u);
	if (rc == 0)
		rc = class_setup_login(t, u.name, pws[0], o->klass, &cause);
	memset(t.password, 0, sizeof t.password);
	if (rc != 0) {
		fprintf(stderr, "rabbitlab: class setup: %s\n", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static int
class_setup_spawn(const struct class_setup_opts *o)
{
	char host[64] = "127.0.0.1", why[400];
	char (*pws)[CLASS_SETUP_PW];
	struct class_setup_user u;
	int port = 0, got = 0, rc = 0;

	if (o->listen && class_setup_listen(o->listen, host, sizeof host,
	    &port) != 0) {
		fprintf(stderr, "rabbitlab: --listen: '%s' is not HOST[:PORT] "
		    "(an IPv4 address, and a port from 1 to 65535)\n",
		    o->listen);
		return CLASS_SETUP_BAD;
	}
	pws = xcalloc(o->students + 1, sizeof *pws);
	for (unsigned i = 0; i <= o->students && rc == 0; i++) {
		class_setup_user(o->klass, i, &u);
		rc = class_setup_password(o->in, u.name, pws[i], why,
		    sizeof why);
	}
	if (rc != 0)
		fprintf(stderr, "rabbitlab: class setup: %s\n", why);
	else
		rc = class_setup_make(o, host, port, pws, &got);
	memset(pws, 0, (o->students + 1) * sizeof *pws);
	free(pws);
	if (rc != 0)
		return CLASS_SETUP_BAD;
	class_setup_announce(o, host, got);
	stop_on_signals(class_setup_on_signal);
	while (!class_setup_stop) {
		mono_sleep_ms(200);
		if (!class_setup_stop && !live_broker_running()) {
			fprintf(stderr, "rabbitlab: class setup: the node %s "
			    "stopped by itself\n", live_broker_node());
			return 1;
		}
	}
	fprintf(o->out, "Stopping the class's node.\n");
	return 0;
}

int
class_setup(const struct class_setup_opts *o)
{
	return o->spawn ? class_setup_spawn(o) : class_setup_print(o);
}
