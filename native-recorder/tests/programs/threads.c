/*
 * threads.c - several threads, each owning one counter slot.
 *
 * Usage: threads [T [M]]        (T threads, default 4, at most 8; M steps, default 50)
 *
 * Memory history: `volatile uint64_t slots[8]` starts all zero. Thread t (0 <= t < T) does
 *   for v = 1 .. M:  slots[t] = v; write(1, "t=<t> v=<v>\n")
 * so at the checkpoint of a write by thread t the line's v equals slots[t]; every slot only
 * grows from one checkpoint to the next, and after all threads are joined every slots[t]
 * (t < T) is M and slots[T..7] are 0. `started` counts threads that began (set before their
 * first store). The main thread writes "done\n" after joining all of them, then exits 0.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t slots[8];
volatile int started;
static long steps;

static void *worker(void *arg)
{
	uint64_t t = (uint64_t)(uintptr_t)arg;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	struct line l = { .len = 0 };
	for (long v = 1; v <= steps; v++) {
		slots[t] = (uint64_t)v;
		line_str(&l, "t=");
		line_u64(&l, t);
		line_str(&l, " v=");
		line_u64(&l, (uint64_t)v);
		line_str(&l, "\n");
		line_write(&l);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long nt = arg_or(argc, argv, 1, 4);
	steps = arg_or(argc, argv, 2, 50);
	if (nt < 1 || nt > 8)
		nt = 4;
	pthread_t th[8];
	for (long t = 0; t < nt; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t) != 0)
			return 1;
	for (long t = 0; t < nt; t++)
		pthread_join(th[t], NULL);
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
