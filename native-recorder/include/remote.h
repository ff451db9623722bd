/*
 * remote.h - run one system call inside a stopped tracee.
 *
 * The thread must be in a ptrace-stop. Saves its registers, points rip at a `syscall`
 * instruction (the one in [vdso], or poked over the bytes at rip and restored), sets
 * orig_rax = -1 so restart fix-up leaves the call alone, single-steps, reads rax, restores
 * registers (and any poked bytes). An interrupted blocking syscall restarts normally after.
 *
 * From a syscall-entry or seccomp stop the pending call is swapped for ours and the thread is
 * brought back to the same stop (the original call still runs later). From any other stop the
 * thread ends in a SIGTRAP signal-delivery-stop with its registers and siginfo restored:
 * resume it as you would have resumed the original stop (PTRACE_LISTEN excepted). Needs
 * PTRACE_O_TRACESYSGOOD; refuses PTRACE_EVENT_EXIT (EINVAL) and PTRACE_EVENT_VFORK (EBUSY)
 * stops. See src/remote.c for the details.
 */
#ifndef DL_REMOTE_H
#define DL_REMOTE_H

#include <stdint.h>
#include <sys/types.h>

/* Returns 0 and the syscall's raw return (negative errno on failure) in *ret, or -1 with errno if ptrace failed. */
int remote_syscall(pid_t tid, long nr, const uint64_t args[6], int64_t *ret);

#endif
