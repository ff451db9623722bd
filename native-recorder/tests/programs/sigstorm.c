/*
 * sigstorm.c - signal handlers running while the program is checkpointed.
 *
 * Usage: sigstorm [N]           (N queued signals, default 400)
 *
 * Memory history: `volatile int sig_log[N]` (at most 4096) starts all zero; `handled` = 0,
 * `alarms` = 0, `done_flag` = 0.
 *   - The main thread installs a SA_SIGINFO handler for SIGRTMIN and one for SIGALRM, blocks
 *     SIGRTMIN in a sender thread it starts, arms a 1 ms interval timer (ITIMER_REAL), and
 *     spins (no system calls) until handled == N.
 *   - The sender thread queues SIGRTMIN to the process N times (sigqueue, value i = 1 .. N,
 *     with a 100 us sleep between sends). Real-time signals are queued, never merged, and
 *     delivered in order, so the handler sees values 1 .. N in order.
 *   - SIGRTMIN handler: h = handled; sig_log[h] = value; handled = h + 1. So at ANY instant,
 *     sig_log[i] == i + 1 for every i < handled, sig_log[i] == 0 for every i > handled, and
 *     sig_log[handled] is 0 or handled + 1 (a checkpoint between the two stores).
 *   - SIGALRM handler: alarms++ (the timer's signals merge: any count >= 0 is possible).
 *   - Then the timer is disarmed, done_flag = 1, write "handled <N> alarms <A>", exit 0.
 * If a queued signal were lost, handled would never reach N: the program gives up after
 * 20 s, writes "lost signals: handled <h>" and exits 2.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "out.h"

#define MAXN 4096
volatile int sig_log[MAXN];
volatile int handled;
volatile int alarms;
volatile int done_flag;
static long n;

static void on_rt(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	int h = handled;
	if (h < MAXN)
		sig_log[h] = si->si_value.sival_int;
	handled = h + 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void *sender(void *arg)
{
	(void)arg;
	pid_t me = getpid();
	for (long i = 1; i <= n; i++) {
		union sigval v = { .sival_int = (int)i };
		while (sigqueue(me, SIGRTMIN, v) < 0)
			;
		struct timespec ts = { 0, 100 * 1000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	n = arg_or(argc, argv, 1, 400);
	if (n > MAXN)
		n = MAXN;
	struct sigaction sa = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	struct sigaction al = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	sigemptyset(&al.sa_mask);
	sigaction(SIGALRM, &al, NULL);

	sigset_t rt, old;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigaddset(&rt, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &rt, &old); /* the sender inherits this mask */
	pthread_t th;
	if (pthread_create(&th, NULL, sender, NULL) != 0)
		return 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);

	uint64_t give_up = now_ns() + 20ull * 1000000000u;
	uint64_t spins = 0;
	while (handled < n) {
		if ((++spins & 0xffff) == 0 && now_ns() > give_up)
			break;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	pthread_join(th, NULL);
	struct line l = { .len = 0 };
	if (handled < n) {
		line_str(&l, "lost signals: handled ");
		line_u64(&l, (uint64_t)handled);
		line_str(&l, "\n");
		line_write(&l);
		return 2;
	}
	done_flag = 1;
	line_str(&l, "handled ");
	line_u64(&l, (uint64_t)handled);
	line_str(&l, " alarms ");
	line_u64(&l, (uint64_t)alarms);
	line_str(&l, "\n");
	line_write(&l);
	return 0;
}
