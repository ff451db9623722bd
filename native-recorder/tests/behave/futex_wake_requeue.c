// behave: skip=syscalls,interval (a FUTEX_WAKE or REQUEUE made right after a checkpoint can find its waiters still restarting the wait the checkpoint interrupted)
/* FUTEX_WAKE wakes a waiter, FUTEX_REQUEUE moves the others: counts as without recording. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint32_t word_a, word_b;
static atomic_int waiting, woken;

static long futex(uint32_t *addr, int op, uint32_t val, void *timeout_or_val2, uint32_t *addr2, uint32_t val3)
{
	return syscall(SYS_futex, addr, op, val, timeout_or_val2, addr2, val3);
}

static void *waiter(void *arg)
{
	(void)arg;
	atomic_fetch_add(&waiting, 1);
	while (futex(&word_a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) != 0 && __atomic_load_n(&word_a, __ATOMIC_SEQ_CST) == 0)
		; /* EINTR / spurious: wait again */
	atomic_fetch_add(&woken, 1);
	return NULL;
}

/* Waits until n threads sit in FUTEX_WAIT on word_a (their state 'S' in /proc is not portable: poll the kernel). */
static void settle(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);
}

int main(void)
{
	enum { N = 3 };
	pthread_t t[N];
	for (int i = 0; i < N; i++)
		pthread_create(&t[i], NULL, waiter, NULL);
	while (atomic_load(&waiting) < N)
		sched_yield();
	settle();
	/* Wake one: exactly one waiter must be woken (they all sleep on word_a, still 0). */
	long woke = futex(&word_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	for (int tries = 0; woke == 0 && tries < 100; tries++) { /* a waiter between its check and its sleep */
		settle();
		woke = futex(&word_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	if (woke != 1) {
		printf("FAIL: FUTEX_WAKE woke %ld waiters, not 1\n", woke);
		return 1;
	}
	while (atomic_load(&woken) < 1)
		sched_yield();
	settle();
	/* Requeue the other two to word_b, waking none: the call returns how many it moved. */
	long moved = futex(&word_a, FUTEX_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)N, &word_b, 0);
	if (moved != N - 1) {
		printf("FAIL: FUTEX_REQUEUE moved %ld waiters, not %d\n", moved, N - 1);
		return 1;
	}
	/* They now wait on word_b: a wake there reaches them. */
	__atomic_store_n(&word_a, 1, __ATOMIC_SEQ_CST);
	long woke_b = futex(&word_b, FUTEX_WAKE_PRIVATE, N, NULL, NULL, 0);
	if (woke_b != N - 1) {
		printf("FAIL: FUTEX_WAKE on the requeue target woke %ld, not %d\n", woke_b, N - 1);
		return 1;
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("EXIT-SUCCESS\n");
	return 0;
}
