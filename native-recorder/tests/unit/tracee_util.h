/*
 * tracee_util.h - helpers for unit tests that trace a child they fork: the child blocks on a
 * pipe until PTRACE_SEIZE is done, then runs a function; it stops itself with raise(SIGSTOP)
 * at checkpoints, which the parent sees as a signal-delivery-stop and resumes with signal 0.
 * PTRACE_O_EXITKILL kills children if the test dies.
 */
#ifndef DL_TRACEE_UTIL_H
#define DL_TRACEE_UTIL_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define REQUIRE(c)                                                                      \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "FATAL %s:%d: %s (%m)\n", __FILE__, __LINE__, #c); \
			exit(2);                                                        \
		}                                                                       \
	} while (0)

static pid_t spawn_traced(void (*fn)(void *), void *arg, unsigned long opts)
{
	int p[2];
	REQUIRE(pipe(p) == 0);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(3);
		close(p[0]);
		fn(arg);
		_exit(0);
	}
	close(p[0]);
	REQUIRE(ptrace(PTRACE_SEIZE, pid, 0, opts | PTRACE_O_EXITKILL) == 0);
	REQUIRE(write(p[1], "x", 1) == 1);
	close(p[1]);
	return pid;
}

/* Waits for the next stop or exit; returns the raw status. */
static int wait_any(pid_t pid)
{
	int st;
	REQUIRE(waitpid(pid, &st, __WALL) == pid);
	return st;
}

/* Waits until the child is in a SIGSTOP signal-delivery-stop. */
static __attribute__((unused)) void wait_sigstop(pid_t pid)
{
	int st = wait_any(pid);
	if (!(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP && (st >> 16) == 0)) {
		fprintf(stderr, "FATAL: expected a SIGSTOP stop of %d, got status %#x\n", (int)pid, st);
		exit(2);
	}
}

static __attribute__((unused)) void resume(pid_t pid)
{
	REQUIRE(ptrace(PTRACE_CONT, pid, 0, 0) == 0);
}

/* Resumes and waits for a normal exit; returns the exit code (or 128 + signal). */
static __attribute__((unused)) int finish(pid_t pid)
{
	resume(pid);
	for (;;) {
		int st = wait_any(pid);
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		REQUIRE(ptrace(PTRACE_CONT, pid, 0, (st >> 16) == 0 && WSTOPSIG(st) != SIGSTOP ? WSTOPSIG(st) : 0) == 0);
	}
}

#endif
