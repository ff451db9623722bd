/*
 * threadexit.c - the process ends from a thread that is not the main one.
 *
 * Usage: threadexit leader|crash|abort [N]   (N worker steps, default 5)
 *
 * Memory history (globals): the main thread sets mode_seen = 1, 2 or 3 (leader, crash,
 * abort), writes "main <mode>", and starts one worker; then
 *   leader: the main thread sets main_gone = 1 and calls pthread_exit (the thread-group
 *           leader ends first and stays a zombie); the worker waits until main_gone == 1,
 *           then for s = 1 .. N: wsteps = s; write "worker <s>"; then exit(3) (exit_group from
 *           the worker). The process exits with status 3, its last state wsteps == N.
 *   crash:  the main thread blocks in pthread_join; the worker does for s = 1 .. N:
 *           wsteps = s; write "worker <s>"; then marker = 0xdead0c0ffee, write "crashing",
 *           and stores through a NULL pointer: the process dies of SIGSEGV (11) in
 *           crash_here(), with marker set, while the main thread is still in the kernel.
 *   abort:  as crash, but the worker calls abort(): the process dies of SIGABRT (6).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile int mode_seen;
volatile int main_gone;
volatile long wsteps;
volatile uint64_t marker;
int *volatile nowhere;
static long steps;

static void say(const char *s, long v)
{
	struct line l = { .len = 0 };
	line_str(&l, s);
	if (v >= 0)
		line_u64(&l, (uint64_t)v);
	line_str(&l, "\n");
	line_write(&l);
}

__attribute__((noinline)) static void crash_here(void)
{
	*nowhere = 1;
}

static void *worker(void *arg)
{
	(void)arg;
	if (mode_seen == 1)
		while (!main_gone)
			sched_yield();
	for (long s = 1; s <= steps; s++) {
		wsteps = s;
		say("worker ", s);
	}
	if (mode_seen == 1)
		exit(3);
	marker = 0xdead0c0ffeeull;
	say("crashing", -1);
	if (mode_seen == 2)
		crash_here();
	abort();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	mode_seen = strcmp(argv[1], "leader") == 0 ? 1 : strcmp(argv[1], "crash") == 0 ? 2 : strcmp(argv[1], "abort") == 0 ? 3 : 0;
	if (!mode_seen)
		return 2;
	steps = arg_or(argc, argv, 2, 5);
	say("main ", mode_seen);
	pthread_t th;
	if (pthread_create(&th, NULL, worker, NULL) != 0)
		return 1;
	if (mode_seen == 1) {
		main_gone = 1;
		pthread_exit(NULL);
	}
	pthread_join(th, NULL);
	return 0;
}
