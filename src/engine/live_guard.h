/*
 * The guard of the lab's private RabbitMQ node: the node never outlives
 * the lab, however the lab ends (exit, ^C, SIGTERM, kill -9, a crash).
 *
 * Before the lab starts its node it writes a record, `owner` in the node's
 * directory, and forks a guardian. The guardian holds the read end of a
 * pipe whose only write end is the lab's (close-on-exec: nothing the lab
 * starts inherits it) and blocks on it. End of file means the lab is gone,
 * whichever way: the guardian kills the node's processes, removes the
 * directory and exits. A lab that exits in order does the same itself
 * first (live_guard_finish), so its guardian then finds nothing to do.
 *
 * The node's processes are found by their environment, never by a pid
 * alone: every process the lab starts for the node (rabbitmq-server, its
 * beam.smp, epmd, erl_child_setup, a rabbitmqctl) carries HOME=<the node's
 * directory>, a name mkdtemp made for this node only. A recorded pid may
 * since have been given to a stranger, who has no such environment; and a
 * beam whose pid the lab has not learnt yet (the node starting or
 * restarting) is found all the same.
 *
 * A guardian killed too (kill -9 of both) leaves the record behind; the
 * next lab that makes a node in the same parent directory sweeps it
 * (live_guard_sweep).
 *
 * Linux only: it reads /proc. One guarded node per process; not
 * thread-safe.
 */
#ifndef RL_LIVE_GUARD_H
#define RL_LIVE_GUARD_H

#include <sys/types.h>

/* The record's file name inside the node's directory. */
#define LIVE_GUARD_RECORD "owner"

/*
 * Writes the record of `dir` (this process its lab, `node` the node's
 * name) and forks the guardian. Call once the directory exists and before
 * any process of the node starts. Returns 0, or -1 with *cause (caller
 * frees): then no node may be started, since nothing would stop it were
 * the lab to die.
 */
int live_guard_start(const char *dir, const char *node, char **cause);

/*
 * Notes the node's beam and epmd pids in the record (0: unknown), for
 * people and tests to read; nothing is ever signalled by these numbers.
 * Does nothing without a guarded node.
 */
void live_guard_note(pid_t beam, pid_t epmd);

/*
 * The lab stops its node for good: kills the node's processes, removes
 * its directory, releases the guardian and waits for it to exit. Returns
 * 0, or -1 with *cause (caller frees) when a process or the directory was
 * left. Does nothing, returning 0, without a guarded node or in another
 * process than the one that called live_guard_start (a child that ran
 * the atexit handlers it inherited); afterwards there is none.
 */
int live_guard_finish(char **cause);

/*
 * SIGKILL to every process of this user whose environment holds
 * HOME=`dir` (this process excepted), again until a scan, and another a
 * moment later, find none, or `seconds` pass. Returns 0 when none is left,
 * -1 otherwise (also when /proc cannot be read).
 */
int live_guard_kill_node(const char *dir, double seconds);

/*
 * The pid of a process of this user named `comm` (as /proc/PID/comm
 * spells it, e.g. "epmd") whose environment holds HOME=`dir`, or 0.
 */
pid_t live_guard_find(const char *dir, const char *comm);

/*
 * Whether `pid`'s environment holds `entry` ("KEY=VALUE") exactly. 0 when
 * it cannot be read (gone, a zombie, another user's).
 */
int live_guard_environ_has(pid_t pid, const char *entry);

/*
 * Removes the nodes that labs now gone left in `parent`: each directory
 * rabbitlab-node-* of this user whose record names a lab and a guardian
 * that both are gone (no such pid, or the pid now belongs to a process
 * started at another time). Directories without a record (being made, or
 * not a lab's) and those of running labs are left alone, and so is this
 * process's own. `report` (may be NULL) is called with `ctx`, the
 * directory and the dead lab's pid for each node removed. Returns how many
 * were removed.
 */
int live_guard_sweep(const char *parent,
    void (*report)(void *ctx, const char *dir, long lab), void *ctx);

#endif
