/*
 * forkexec.c - a program whose children run while it is recorded: fork + exec, a fork that
 * scribbles on its copy of the parent's memory, and posix_spawn (a vfork-style clone that
 * shares the parent's memory until it execs).
 *
 * Usage: forkexec [N]           (N steps of the exec'd counter, default 3)
 *
 * Memory history of the recorded (parent) process, one write(2) to fd 1 after each stage:
 *   1. stage = 1; cow = 0x9a4e9a4e; write "stage 1"
 *   2. child A = fork(); child A: execv("<dir>/counter", {"counter", N}) (prints "i=0".."i=N-1",
 *      "done", exits 0; 127 if exec failed). Parent: waitpid(A) -> status_a = exit status
 *      (0), stage = 2; write "stage 2 a=<status_a>"
 *   3. child B = fork(); child B: cow = 0xc41dc41d (its own copy), write "child b cow=<hex>",
 *      _exit(7). Parent: waitpid(B) -> status_b = 7; stage = 3; write "stage 3 b=<status_b>".
 *      The parent's cow is still 0x9a4e9a4e at every checkpoint.
 *   4. posix_spawn("<dir>/counter", {"counter", "2"}) -> child C ("i=0", "i=1", "done");
 *      waitpid(C) -> status_c = 0; stage = 4; write "stage 4 c=<status_c>".
 *   5. write "done", exit 0.
 * The recorded program is forkexec from the first to the last checkpoint: the children's
 * execs belong to other processes. Their output shares the terminal.
 */
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "out.h"

volatile int stage;
volatile uint64_t cow;
volatile int status_a = -1, status_b = -1, status_c = -1;

static void say(const char *what, int v)
{
	struct line l = { .len = 0 };
	line_str(&l, what);
	if (v >= 0)
		line_u64(&l, (uint64_t)v);
	line_str(&l, "\n");
	line_write(&l);
}

static int wait_status(pid_t c)
{
	int st;
	while (waitpid(c, &st, 0) < 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv, char **envp)
{
	char counter[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", counter, sizeof counter - 1);
	if (n < 0)
		return 1;
	counter[n] = '\0';
	char *slash = strrchr(counter, '/');
	snprintf(slash + 1, sizeof counter - (size_t)(slash + 1 - counter), "counter");
	char steps[24];
	snprintf(steps, sizeof steps, "%ld", arg_or(argc, argv, 1, 3));

	stage = 1;
	cow = 0x9a4e9a4eu;
	say("stage 1", -1);

	pid_t a = fork();
	if (a < 0)
		return 1;
	if (a == 0) {
		char *args[] = { "counter", steps, NULL };
		execv(counter, args);
		_exit(127);
	}
	status_a = wait_status(a);
	stage = 2;
	say("stage 2 a=", status_a);

	pid_t b = fork();
	if (b < 0)
		return 1;
	if (b == 0) {
		cow = 0xc41dc41du;
		struct line l = { .len = 0 };
		line_str(&l, "child b cow=");
		line_hex(&l, cow);
		line_str(&l, "\n");
		line_write(&l);
		_exit(7);
	}
	status_b = wait_status(b);
	stage = 3;
	say("stage 3 b=", status_b);

	pid_t c;
	char *cargs[] = { "counter", "2", NULL };
	if (posix_spawn(&c, counter, NULL, NULL, cargs, envp) != 0)
		return 1;
	status_c = wait_status(c);
	stage = 4;
	say("stage 4 c=", status_c);

	say("done", -1);
	return 0;
}
