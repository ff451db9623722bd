/* A child made with clone(CLONE_UNTRACED) makes system calls and tells its parent through a pipe. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int fds[2];

static int child(void *arg)
{
	(void)arg;
	char *p = malloc(1 << 20); /* a memory call or two under our filter */
	if (!p || getppid() <= 0 || write(fds[1], ".", 1) != 1)
		return 1;
	return 0;
}

int main(void)
{
	static char stack[65536];
	if (pipe(fds) != 0)
		return 1;
	pid_t c = clone(child, stack + sizeof stack, CLONE_UNTRACED | SIGCHLD, NULL);
	if (c < 0) {
		perror("FAIL: clone");
		return 1;
	}
	char ch;
	int status;
	if (read(fds[0], &ch, 1) != 1 || waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("FAIL: the CLONE_UNTRACED child did not do its work\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
