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
	bool has_tty;                 /* tty: the pty slave (> 2), the terminal of the program's session, its fds 1, 2 */
	bool tty_stdin;               /* and its fd 0 (else it reads our stdin itself) */
	int tty;
};

struct launched {
	pid_t pid;    /* the program, heading for its PTRACE_EVENT_EXEC stop */
	int shell_fd; /* a pidfd of its parent, our child (launch.c), or -1: safe to signal after a reap */
	int errfd;    /* see launch_child_error */
};

/*
 * Forks the program's parent (the "shell", launch.c), which forks the program; seizes the
 * program, then lets it run: it restores default signal handling, takes its terminal
 * (terminal_child), changes directory, installs the filter and execs. On success *out is
 * filled; errfd is the read end of a close-on-exec pipe on which a program that fails before
 * exec writes {int step, int errno} (see launch_child_error). Returns 0, or -1 with errno
 * (EPERM: not allowed to trace) and the failing step in *what.
 */
int launch_start(const struct launch *l, struct launched *out, const char **what);

/* After the child died before exec: its step name and errno. Returns 0, or -1 if it reported nothing. */
int launch_child_error(int errfd, const char **step, int *err);

/*
 * Seizes every thread of pid (re-reading /proc/PID/task until no new thread appears) with
 * the given options, adding each to tr as RUNNING. Returns 0, or -1 with errno (EPERM, ESRCH).
 */
int attach_all(pid_t pid, unsigned long ptrace_options, struct tracer *tr);

#endif
