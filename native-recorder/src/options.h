/*
 * options.h - the recorder's command line, parsed into plain values.
 *
 * Parsing only: nothing here opens files or looks at processes, so every function is safe
 * to call from tests. A usage error is one line in err, naming the bad argument.
 */
#ifndef DL_OPTIONS_H
#define DL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "dirty.h"
#include "syscall_table.h"

/* What happens to the program when the recorder stops early (signal, lost connection). */
enum exit_policy {
	EXIT_POLICY_DEFAULT = 0, /* kill when we launched it, detach when we attached */
	EXIT_POLICY_KILL,
	EXIT_POLICY_DETACH,
};

/* The system calls that are checkpoint triggers. */
struct syscall_set {
	uint64_t bits[SYSCALL_NR_LIMIT / 64];
	bool any; /* at least one call chosen (or all) */
	bool all; /* every system call */
};

struct options {
	const char *socket_path; /* exactly one of socket_path and wire_file */
	const char *wire_file;
	enum dirty_backend backend;
	struct syscall_set syscalls;
	uint64_t interval_ns; /* 0 = no interval trigger */
	const char **breaks;  /* --break arguments as given (SYM or 0xADDR) */
	size_t nbreaks;
	uint64_t max_checkpoints; /* 0 = unlimited */
	enum exit_policy on_exit;
	const char *cwd;
	pid_t attach_pid; /* > 0 with --attach */
	char **argv;      /* the program and its arguments (NULL-terminated), when launching */
	int argc;
	bool no_pin; /* --no-pin: leave the launched program's CPU affinity alone (placement.h) */
	pid_t move_off_pid; /* --move-off PID: that process's threads kept off the pinned program's CPU (placement.h) */
	unsigned short cols, rows; /* --terminal-size: the program's terminal when ours is none (0: unset) */
	bool help;
};

/* Returns 0 (check o->help), or -1 with a one-line reason in err. */
int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen);
void options_free(struct options *o);
void options_usage(FILE *f);

/* "250us", "1ms", "2s", "500000ns" -> nanoseconds (> 0). Returns 0 or -1 (EINVAL / ERANGE). */
int parse_duration(const char *s, uint64_t *ns);
/* "write,read,1" or "all". Returns 0, or -1 with the offending element named in err. */
int parse_syscall_list(const char *s, struct syscall_set *set, char *err, size_t errlen);
bool syscall_set_has(const struct syscall_set *set, long nr);

#endif
