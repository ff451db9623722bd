/* The program attaches to its own child (PTRACE_ATTACH), reads its memory, and detaches. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long marker = 0x5ca1ab1e;

int main(void)
{
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		marker = 0x0ddba11;
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	char c;
	if (read(ready[0], &c, 1) != 1)
		return 1;
	if (ptrace(PTRACE_ATTACH, child, NULL, NULL) != 0) {
		perror("FAIL: PTRACE_ATTACH");
		kill(child, SIGKILL);
		return 1;
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status)) {
		printf("FAIL: the child did not stop\n");
		return 1;
	}
	long word = ptrace(PTRACE_PEEKDATA, child, (void *)&marker, NULL);
	if (word != 0x0ddba11) {
		printf("FAIL: read %#lx from the child\n", word);
		return 1;
	}
	if (ptrace(PTRACE_DETACH, child, NULL, NULL) != 0) {
		perror("FAIL: PTRACE_DETACH");
		return 1;
	}
	kill(child, SIGKILL);
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) {
		printf("FAIL: the child did not end\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
