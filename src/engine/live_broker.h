/*
 * The RabbitMQ node behind the live engine: where to connect, and, when the
 * lab owns the node, starting, crashing and stopping it.
 *
 * Where to connect is decided once per process, in this order: the URL the
 * caller passes (engine_opts.url), $RABBITLAB_URL, a private node described
 * by $RABBITLAB_NODE (a directory holding node.env, as tests/live/run.sh
 * writes it), `broker = "amqp://..."` in $XDG_CONFIG_HOME/rabbitlab/config,
 * and last a private node this process starts itself (when rabbitmq-server
 * is installed).
 *
 * A private node runs as lab<pid>@localhost in its own directory under
 * $XDG_RUNTIME_DIR or /tmp, with its AMQP listener, its Erlang distribution
 * port and its own epmd all on free loopback ports. Its beam pid is learnt
 * from `rabbitmqctl -n NODE eval 'os:getpid().'`, and only that pid is
 * signalled to crash or stop it. A node this process started never
 * outlives it (live_guard.h): it is stopped, and its directory removed, at
 * exit, and by a guardian process forked before the node started when
 * this process ends any other way (a signal, kill -9, a crash), also while
 * the node is still starting or restarting. A node named by
 * $RABBITLAB_NODE is left running (its owner stops it) and is only crashed
 * and restarted on request.
 *
 * Passwords never leave struct live_target: every message uses `display`.
 * Nothing here is thread-safe; the lab runs in one thread.
 */
#ifndef RL_LIVE_BROKER_H
#define RL_LIVE_BROKER_H

#include <stdarg.h>
#include <stdint.h>

struct live_target {
	char host[256];
	int port;
	char user[128];
	char password[128]; /* secret: never formatted into any text */
	char vhost[256];
	int vhost_slash;    /* vhost is "" because the URL ended in '/' */
	char display[1300];  /* amqp://user@host:port/vhost, no password */
	int owned;          /* a private node: the lab may crash and start it */
};

/*
 * Where progress lines go while a node starts or stops ("starting a private
 * RabbitMQ node ...", "node up after 5.1 s"). The default writes them to
 * stderr; fn NULL silences them.
 */
void live_broker_set_progress(void (*fn)(void *ctx, const char *line),
    void *ctx);
void live_broker_progress(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/*
 * Decides where the lab connects (see above) and fills *t. Starting a
 * private node blocks until it accepts AMQP connections (about 5 s, with
 * progress lines). A config file whose URL holds a password and that others
 * may read (mode not 0600 or stricter) draws a progress line (stderr by
 * default) naming it, its mode and `chmod 600`, once per process. Returns
 * 0, or -1 with *cause (caller frees): a bad URL, an unreadable config
 * file, no rabbitmq-server installed, a node that did not come up.
 */
int live_broker_resolve(const char *url, struct live_target *t, char **cause);

/*
 * Parses one amqp:// URL into *t. `what` says where it came from, for
 * messages; the URL itself is never quoted back since it may hold a
 * password. Returns 0, or -1 with *cause (caller frees).
 */
int live_broker_parse_url(const char *url, const char *what,
    struct live_target *t, char **cause);

/*
 * The string setting `key` (e.g. "broker", "class") of the config file
 * into *url (caller frees; NULL if there is no file or no such setting),
 * and the file's path into *path_out (caller frees; may be NULL). A file
 * others may read that holds a password draws the chmod warning. Returns
 * 0, or -1 with *cause when the file is there but unreadable or the
 * setting is not a string.
 */
int live_broker_config_url(const char *key, char **url, char **path_out,
    char **cause);

/*
 * From now on live_broker_resolve() ignores every URL, $RABBITLAB_URL,
 * $RABBITLAB_NODE and the config file, and starts (once) and uses a private
 * node of this process (--spawn-broker).
 */
void live_broker_force_private(void);
/*
 * Before a private node starts: it listens for AMQP on IPv4 address host
 * (0.0.0.0: every address; loopback by default) and port (0: a free one)
 * instead; the lab reaches it there (on 127.0.0.1 for 0.0.0.0). Its Erlang
 * distribution and epmd stay on loopback. Returns 0, or -1 with *cause
 * (caller frees) when host is not an IPv4 address.
 */
int live_broker_listen_on(const char *host, int port, char **cause);
/* The owned node's directory (0700, removed with the node), or NULL. */
const char *live_broker_dir(void);
/*
 * rabbitmqctl import_definitions FILE on the owned node: vhosts, users
 * (password hashes), permissions. Returns 0, or -1 with *cause.
 */
int live_broker_import(const char *path, char **cause);

/* Whether the lab owns the node it connects to (crash, stop, start). */
int live_broker_owned(void);
/* Whether the owned node's process is running (it may still be booting). */
int live_broker_running(void);
/* The node name of the owned node, or "" if none. */
const char *live_broker_node(void);

/*
 * kill -9 of the owned node's beam process, and nothing else. Returns 0, or
 * -1 with *cause (not owned, already down).
 */
int live_broker_kill(char **cause);
/*
 * Starts a clean stop: SIGTERM to the beam process, on which RabbitMQ shuts
 * down in order (closing client connections with 320). Returns at once; the
 * caller waits for live_broker_running() to turn 0.
 */
int live_broker_term(char **cause);
/* Starts the owned node again; returns at once (it boots in the background). */
int live_broker_spawn(char **cause);
/*
 * Call once the restarted node answers AMQP: learns its beam pid. Returns 0,
 * or -1 with *cause.
 */
int live_broker_started(char **cause);
/*
 * Removes `path` and, if it is a directory, everything under it, in this
 * process (no shell: any name is safe) and without following symbolic
 * links: a link is removed, never what it points to, and no other file
 * system mounted inside is entered. Returns 0 when nothing of it is left
 * (also when it did not exist), or -1 with *cause (caller frees; `cause`
 * may be NULL) naming the first entry that could not go; it removes all it
 * can either way. It allocates: not for a signal handler.
 */
int live_broker_rmtree(const char *path, char **cause);

/*
 * Sets (definition a JSON object) or clears (definition NULL) a policy on
 * the owned node through rabbitmqctl; blocks ~1 s. -1 with *cause when the
 * node is not owned or rabbitmqctl failed.
 */
int live_broker_policy(const char *vhost, const char *name,
    const char *pattern, const char *definition, char **cause);

/*
 * The lab's policy `name` on queue `queue` alone (its name matched
 * exactly): max-length (-1 none) with its overflow (reject-publish or
 * drop-head) and message-ttl in ms (-1 none), through live_broker_policy.
 */
int live_broker_queue_policy(const char *vhost, const char *name,
    const char *queue, int64_t max_length, int reject_publish,
    int64_t ttl_ms, char **cause);

#endif
