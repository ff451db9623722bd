/* A vfork child maps and writes a page in the memory it shares with its parent, which then reads it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int *shared_page;

int main(void)
{
	pid_t child = vfork();
	if (child == 0) {
		shared_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (shared_page != MAP_FAILED)
			*shared_page = 88;
		_exit(77);
	}
	int status;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 77) {
		printf("FAIL: the vfork child did not exit with 77\n");
		return 1;
	}
	if (shared_page == MAP_FAILED || *shared_page != 88) {
		printf("FAIL: the child's page is not visible to the parent\n");
		return 1;
	}
	/* More system calls after the child is gone: each may take a checkpoint. */
	for (int i = 0; i < 3; i++)
		shared_page[1 + i] = getpid();
	printf("EXIT-SUCCESS\n");
	return 0;
}
