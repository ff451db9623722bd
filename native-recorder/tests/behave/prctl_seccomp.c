/* PR_GET_SECCOMP says 0 (no filter), in a child too; then the program installs its own filter and sees it work. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode != 0) {
		printf("FAIL: PR_GET_SECCOMP gave %d (errno %d) before any filter\n", mode, errno);
		return 1;
	}
	pid_t child = fork();
	if (child == 0)
		_exit(prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 ? 0 : 1);
	int status;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("FAIL: PR_GET_SECCOMP in a child did not say 0\n");
		return 1;
	}
	/* getppid fails with EPERM from now on; everything else is allowed. */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof code / sizeof code[0], code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("FAIL: installing a filter");
		return 1;
	}
	mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode != SECCOMP_MODE_FILTER) {
		printf("FAIL: PR_GET_SECCOMP gave %d (errno %d) with a filter\n", mode, errno);
		return 1;
	}
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != EPERM) {
		printf("FAIL: the filter did not refuse getppid\n");
		return 1;
	}
	if (getpid() <= 0) {
		printf("FAIL: getpid\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
