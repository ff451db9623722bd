/*
 * affinity.c - the CPUs a recorded program may run on, before and after it starts a thread
 * (placement.h: a launched single-threaded program is pinned to the recorder's CPU until it
 * starts a second thread or process).
 *
 * Usage: affinity FILE
 *   writes "before=<cpus in its affinity mask> thread=<the new thread's> after=<main's after>\n"
 *   to FILE (not to its terminal: the test reads it without a recording).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int cpus(void)
{
	cpu_set_t s;
	return sched_getaffinity(0, sizeof s, &s) == 0 ? CPU_COUNT(&s) : -1;
}

static void *thread_main(void *arg)
{
	*(int *)arg = cpus();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int before = cpus(), in_thread = -1;
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, &in_thread) != 0 || pthread_join(t, NULL) != 0)
		return 1;
	char line[128];
	int n = snprintf(line, sizeof line, "before=%d thread=%d after=%d\n", before, in_thread, cpus());
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 1;
	close(fd);
	return 0;
}
