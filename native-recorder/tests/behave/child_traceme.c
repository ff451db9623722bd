/* A forked child asks to be traced by its parent (PTRACE_TRACEME), which sees its stop and lets it go on. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t child = fork();
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
			perror("PTRACE_TRACEME");
			_exit(2);
		}
		raise(SIGSTOP);
		_exit(33);
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
		printf("FAIL: the child did not stop under its parent (status %#x)\n", status);
		return 1;
	}
	if (ptrace(PTRACE_CONT, child, NULL, NULL) != 0) {
		perror("FAIL: PTRACE_CONT");
		return 1;
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 33) {
		printf("FAIL: the child did not exit with 33 (status %#x)\n", status);
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
