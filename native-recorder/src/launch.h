/*
 * launch.h - getting a process under ptrace: starting the program ourselves, or seizing
 * every thread of a running one.
 */
#ifndef DL_LAUNCH_H
#define DL_LAUNCH_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tracer.h"

/*
 * execvp's PATH search, done up front: the absolute path exec will use (malloc'd), or NULL with errno
 * ENOENT (nowhere), EACCES (found but not executable), EISDIR (a directory), ENOMEM.
 * Relative names and relative PATH entries are taken from cwd when it is not NULL.
 */
char *launch_resolve(const char *program, const char *cwd);

struct launch {
	const char *path;             /* from launch_resolve */
	char **argv;                  /* argv[0] as the user wrote it */
	const char *cwd;              /* NULL: inherit ours */
	const struct sock_fprog *filter;
	unsigned long ptrace_options; /* for PTRACE_SEIZE */
	bool has_tty;                 /* tty: the pty slave (> 2), the child's session, terminal and fds 0-2 */
	int tty;
};

/*
 * Forks the child, seizes it, then lets it run: it restores default signal handling, takes the
 * terminal (terminal_child), changes directory, installs the filter and execs. On success *pid is the child (heading for its
 * PTRACE_EVENT_EXEC stop) and *errfd the read end of a close-on-exec pipe on which a child
 * that fails before exec writes {int step, int errno} (see launch_child_error). Returns 0,
 * or -1 with errno (EPERM: not allowed to trace) and the failing step in *what.
 */
int launch_start(const struct launch *l, pid_t *pid, int *errfd, const char **what);

/* After the child died before exec: its step name and errno. Returns 0, or -1 if it reported nothing. */
int launch_child_error(int errfd, const char **step, int *err);

/*
 * Seizes every thread of pid (re-reading /proc/PID/task until no new thread appears) with
 * the given options, adding each to tr as RUNNING. Returns 0, or -1 with errno (EPERM, ESRCH).
 */
int attach_all(pid_t pid, unsigned long ptrace_options, struct tracer *tr);

#endif
