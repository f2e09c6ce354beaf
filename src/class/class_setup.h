/*
 * `rabbitlab class setup`: a class's vhost, teacher user and student users
 * with permissions on the class's own rabbitlab. resources only. Printed
 * as rabbitmqctl commands for the teacher's broker, or, with a node the lab
 * starts (--spawn-broker, --listen HOST:PORT), made there by the lab
 * itself, which then keeps the node running for the class.
 */
#ifndef RL_CLASS_SETUP_H
#define RL_CLASS_SETUP_H

#include <stdio.h>

struct class_setup_opts {
	const char *klass;         /* the class name (class_klass_ok) */
	unsigned students;         /* student users: K-student1..N */
	int spawn;                 /* make the class on a private node */
	const char *listen;        /* spawn: its HOST[:PORT]; NULL loopback */
	FILE *in;                  /* spawn: passwords, a line each, when not
				      a terminal */
	FILE *out;                 /* standard output */
};

/*
 * Without spawn: prints a shell script of rabbitmqctl commands (each
 * password read at a hidden prompt, never printed). Returns 0.
 *
 * With spawn: reads the teacher's password, then each student's (hidden
 * prompts on a terminal, else a line each from `in`), starts a private
 * node on `listen`, imports the vhost, the users (salted SHA-256 hashes:
 * no password reaches any process's arguments or any file) and their
 * permissions, checks that the teacher can log in, prints the URLs to give
 * out (without passwords), and keeps the node until SIGINT or SIGTERM,
 * when it stops it and removes its data. Returns 0, 1 when the node
 * stopped by itself, 2 on bad input or a node that could not be set up.
 */
int class_setup(const struct class_setup_opts *o);

#endif
