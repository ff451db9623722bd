/*
 * sleeper.c - long waits inside system calls, each of which must come back exactly as it
 * would without a recorder (interval checkpoints interrupt them and they must restart).
 *
 * Usage: sleeper [MS]           (MS milliseconds per wait, default 300)
 *
 * Memory history: `volatile long results[8]` all start at -999; `phase` = -1. For
 * i = 0 .. 6: phase = i; one blocking call of about MS ms; results[i] = its outcome (below);
 * write "phase <i> result <results[i]>". Then write "done", exit 0 (exit 1 if any result is
 * not the expected one). So while phase == i, results[i] is still -999.
 *   0 nanosleep(MS)                                        -> 0
 *   1 poll on a pipe nobody writes, timeout MS               -> 0 (timed out)
 *   2 read(2) of a pipe a helper thread writes "x" after MS  -> 1 (one byte)
 *   3 pthread_cond_wait, signalled by the helper after MS    -> 0 (woken, flag seen)
 *   4 epoll_wait on an empty epoll set, timeout MS           -> 0
 *   5 select on the quiet pipe, timeout MS                   -> 0
 *   6 waitpid of a child that sleeps MS then _exit(5)        -> 5 (its exit status)
 * Expected results: {0, 0, 1, 0, 0, 0, 5}. A result of -<errno> (say -4, EINTR) means the
 * call was interrupted where it should have restarted.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

#include "out.h"

volatile long results[8] = { -999, -999, -999, -999, -999, -999, -999, -999 };
volatile int phase = -1;
static long ms;
static int talk[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;

static void sleep_ms(long m)
{
	struct timespec ts = { m / 1000, (m % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void *helper(void *arg)
{
	(void)arg;
	while (phase < 2)
		sleep_ms(1);
	sleep_ms(ms);
	ssize_t k = write(talk[1], "x", 1);
	(void)k;
	while (phase < 3)
		sleep_ms(1);
	sleep_ms(ms);
	pthread_mutex_lock(&mu);
	flag = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static long neg(long r)
{
	return r < 0 ? -errno : r;
}

int main(int argc, char **argv)
{
	ms = arg_or(argc, argv, 1, 300);
	int quiet[2];
	if (pipe(quiet) < 0 || pipe(talk) < 0)
		return 1;
	pthread_t th;
	if (pthread_create(&th, NULL, helper, NULL) != 0)
		return 1;
	static const long expected[7] = { 0, 0, 1, 0, 0, 0, 5 };
	int bad = 0;
	for (int i = 0; i < 7; i++) {
		phase = i;
		long r = -999;
		switch (i) {
		case 0: {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
			r = neg(nanosleep(&ts, NULL));
			break;
		}
		case 1: {
			struct pollfd pf = { .fd = quiet[0], .events = POLLIN };
			r = neg(poll(&pf, 1, (int)ms));
			break;
		}
		case 2: {
			char c;
			r = neg(read(talk[0], &c, 1));
			break;
		}
		case 3:
			pthread_mutex_lock(&mu);
			while (!flag)
				pthread_cond_wait(&cv, &mu);
			pthread_mutex_unlock(&mu);
			r = 0;
			break;
		case 4: {
			int ep = epoll_create1(0);
			struct epoll_event ev;
			r = neg(epoll_wait(ep, &ev, 1, (int)ms));
			close(ep);
			break;
		}
		case 5: {
			fd_set rd;
			FD_ZERO(&rd);
			FD_SET(quiet[0], &rd);
			struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
			r = neg(select(quiet[0] + 1, &rd, NULL, NULL, &tv));
			break;
		}
		case 6: {
			pid_t c = fork();
			if (c == 0) {
				sleep_ms(ms);
				_exit(5);
			}
			int st = 0;
			long w = neg(waitpid(c, &st, 0));
			r = w == c && WIFEXITED(st) ? WEXITSTATUS(st) : w < 0 ? w : -1000;
			break;
		}
		}
		results[i] = r;
		bad |= r != expected[i];
		struct line l = { .len = 0 };
		line_str(&l, "phase ");
		line_u64(&l, (uint64_t)i);
		line_str(&l, " result ");
		if (r < 0) {
			line_str(&l, "-");
			line_u64(&l, (uint64_t)-r);
		} else {
			line_u64(&l, (uint64_t)r);
		}
		line_str(&l, "\n");
		line_write(&l);
	}
	pthread_join(th, NULL);
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return bad;
}
