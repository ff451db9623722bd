/* A child daemonizes (fork, setsid, SIGHUP ignored) and outlives its parent by far. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	if (fork() == 0) {
		if (fork() != 0)
			_exit(0);
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		sleep(1000);
		_exit(0);
	}
	char c;
	if (read(ready[0], &c, 1) != 1) {
		printf("FAIL: the daemon never said it was ready\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
