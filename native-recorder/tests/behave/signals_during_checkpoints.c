/* SIGALRM every 200 us while the program makes system calls: every signal handled, every call completes. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_alarm(int sig)
{
	(void)sig;
	handled++;
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm; /* no SA_RESTART: interrupted calls say EINTR, as they would plainly */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	setitimer(ITIMER_REAL, &it, NULL);
	int fds[2];
	if (pipe(fds) != 0)
		return 1;
	long calls = 0;
	while (handled < 500) {
		char c = 'x';
		if (write(fds[1], &c, 1) != 1 && errno != EINTR) {
			perror("FAIL: write");
			return 1;
		}
		ssize_t n = read(fds[0], &c, 1);
		if (n < 0 && errno != EINTR) {
			perror("FAIL: read");
			return 1;
		}
		if (n == 1 && c != 'x') {
			printf("FAIL: read %c\n", c);
			return 1;
		}
		calls++;
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	printf("%ld round trips, %d signals\n", calls, (int)handled);
	printf("EXIT-SUCCESS\n");
	return 0;
}
