/* The program attaches to its child the moment fork returns (PTRACE_SEIZE), interrupts and kills it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	for (int round = 0; round < 5; round++) {
		pid_t child = fork();
		if (child == 0) {
			for (;;)
				pause();
		}
		if (ptrace(PTRACE_SEIZE, child, NULL, NULL) != 0) {
			perror("FAIL: PTRACE_SEIZE right after fork");
			kill(child, SIGKILL);
			return 1;
		}
		int status;
		if (ptrace(PTRACE_INTERRUPT, child, NULL, NULL) != 0 || waitpid(child, &status, 0) != child ||
		    !WIFSTOPPED(status) || status >> 16 != PTRACE_EVENT_STOP) {
			printf("FAIL: the child did not stop for its parent (status %#x)\n", status);
			return 1;
		}
		kill(child, SIGKILL);
		if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) {
			printf("FAIL: the child did not end\n");
			return 1;
		}
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
