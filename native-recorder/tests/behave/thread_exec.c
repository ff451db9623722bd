// behave: skip=interval (an interval stop that lands while a second thread execs can wait 2 s on the exec, in state D, for the old leader: an open recorder bug)
/* A second thread execs the program again while the main thread sleeps: the new image runs at once. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char self[4096];

static void *exec_again(void *arg)
{
	(void)arg;
	char *argv[] = { self, "again", NULL };
	execv(self, argv);
	perror("FAIL: execv");
	_exit(1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "again") == 0) {
		printf("EXIT-SUCCESS\n");
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	pthread_t t;
	pthread_create(&t, NULL, exec_again, NULL);
	for (;;)
		pause(); /* in a system call when the exec takes the thread away */
}
