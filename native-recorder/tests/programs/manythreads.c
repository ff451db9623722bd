/*
 * manythreads.c - starts and ends many threads at once, several times.
 *
 * Usage: manythreads [T [R]]    (T threads per round, default 64, at most 64; R rounds, default 2)
 *
 * Memory history: `volatile uint64_t slots[64]` starts all zero; `started` and `rounds_done`
 * are 0. For r = 0 .. R-1:
 *   - the main thread creates T threads; thread t sets slots[t] = 2r+1, then increments
 *     `started` (atomically), then waits on a barrier shared with the main thread;
 *   - the main thread waits until started == T*(r+1) (sched_yield loop), then writes
 *     "round <r> up <T>": at that write every one of the T threads is alive (none can pass
 *     the barrier before the main thread reaches it), so the process has T+1 threads, and
 *     slots[0..T-1] are all 2r+1;
 *   - the main thread joins the barrier; each thread then sets slots[t] = 2r+2 and returns;
 *     the main thread joins them all, sets rounds_done = r+1 and writes "round <r> down":
 *     one thread left, slots[0..T-1] all 2r+2.
 * Then write "done", exit 0. slots[T..63] stay 0.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t slots[64];
volatile int started;
volatile int rounds_done;
static pthread_barrier_t barrier;
static int round_no;

static void *worker(void *arg)
{
	uintptr_t t = (uintptr_t)arg;
	slots[t] = (uint64_t)(2 * round_no + 1);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	pthread_barrier_wait(&barrier);
	slots[t] = (uint64_t)(2 * round_no + 2);
	return NULL;
}

int main(int argc, char **argv)
{
	long nt = arg_or(argc, argv, 1, 64), rounds = arg_or(argc, argv, 2, 2);
	if (nt < 1 || nt > 64)
		nt = 64;
	pthread_t th[64];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (int r = 0; r < rounds; r++) {
		round_no = r;
		pthread_barrier_init(&barrier, NULL, (unsigned)nt + 1);
		for (long t = 0; t < nt; t++)
			if (pthread_create(&th[t], &attr, worker, (void *)(uintptr_t)t) != 0)
				return 1;
		while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < (int)nt * (r + 1))
			sched_yield();
		struct line l = { .len = 0 };
		line_str(&l, "round ");
		line_u64(&l, (uint64_t)r);
		line_str(&l, " up ");
		line_u64(&l, (uint64_t)nt);
		line_str(&l, "\n");
		line_write(&l);
		pthread_barrier_wait(&barrier);
		for (long t = 0; t < nt; t++)
			pthread_join(th[t], NULL);
		pthread_barrier_destroy(&barrier);
		rounds_done = r + 1;
		line_str(&l, "round ");
		line_u64(&l, (uint64_t)r);
		line_str(&l, " down\n");
		line_write(&l);
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
