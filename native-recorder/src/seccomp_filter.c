/*
 * seccomp_filter.c - builds and installs the tracing filter (see seccomp_filter.h).
 *
 * Program shape (classic BPF, every jump short so any number of chosen calls fits):
 *
 *     ld  arch;   jeq AUDIT_ARCH_X86_64 ? +1 : 0;   ret ALLOW
 *     ld  nr;     jge X32_SYSCALL_BIT   ? 0 : +1;   ret ALLOW
 *     [all:       ret TRACE]
 *     per traced call:   jeq NR ? 0 : +1;   ret TRACE
 *     jeq clone ? 0 : +4;  ld args[0];  jset CLONE_UNTRACED ? 0 : +1;  ret TRACE;  ret ALLOW
 *     jeq prctl ? 0 : +4;  ld args[0];  jeq PR_GET_SECCOMP ? 0 : +1;  ret TRACE;  ret ALLOW
 *     jeq ioctl ? 0 : +3;  ld args[1] (low word);  jeq UFFDIO_REGISTER ? 0 : +1;  ret TRACE
 *     ret ALLOW
 * The argument tests come last because they replace the loaded number with an argument.
 */
#include "seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000u

/* Calls that change the memory map or zap contents: the tracker is told of each (dirty.c), and
 * knows the map is unchanged when none happened since the last checkpoint. */
static const long memory_calls[] = { SYS_mmap,	    SYS_munmap, SYS_mremap, SYS_madvise, SYS_brk,
				     SYS_mprotect, SYS_shmat,  SYS_shmdt,  SYS_pkey_mprotect };

bool syscall_is_memory(long nr)
{
	for (size_t i = 0; i < sizeof memory_calls / sizeof memory_calls[0]; i++)
		if (memory_calls[i] == nr)
			return true;
	return false;
}

bool syscall_needs_note(long nr, const uint64_t args[6])
{
	return syscall_is_memory(nr) || (nr == SYS_ioctl && (uint32_t)args[1] == (uint32_t)UFFDIO_REGISTER);
}

int seccomp_filter_build(const struct syscall_set *chosen, uint32_t action, struct sock_fprog *out)
{
	size_t max = 22 + 2 * SYSCALL_NR_LIMIT, n = 0;
	struct sock_filter *f = malloc(max * sizeof *f);
	if (!f)
		return -1;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (chosen->all) {
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	} else {
		for (long nr = 0; nr < SYSCALL_NR_LIMIT; nr++) {
			if (!syscall_set_has(chosen, nr) && !syscall_is_memory(nr))
				continue;
			f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1);
			f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
		}
		/* clone(CLONE_UNTRACED): the flag is taken out (seccomp_filter_untraced_clone). */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_UNTRACED, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		/* prctl(PR_GET_SECCOMP): answered as if our filter were not there (seccomp_filter_hidden). */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 4);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_GET_SECCOMP, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		/* The program registering a range with its own userfaultfd: the tracker must let go of it first. */
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)UFFDIO_REGISTER, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	out->filter = f;
	out->len = (unsigned short)n;
	return 0;
}

void seccomp_filter_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

int seccomp_filter_install(const struct sock_fprog *prog)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog);
}

int seccomp_filter_count(pid_t tid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nSeccomp_filters:");
	return p ? atoi(p + 17) : -1;
}

bool seccomp_filter_hidden(long nr, uint64_t arg0, pid_t tid, int ours)
{
	return nr == SYS_prctl && arg0 == PR_GET_SECCOMP && seccomp_filter_count(tid) == ours;
}

bool seccomp_filter_untraced_clone(long nr, uint64_t arg0)
{
	return nr == SYS_clone && (arg0 & CLONE_UNTRACED);
}
