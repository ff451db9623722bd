/*
 * seccomp_filter.h - the BPF program that makes chosen system calls stop for the tracer.
 *
 * Built in the recorder (so the forked child does not allocate), installed by the child just
 * before exec. It returns SECCOMP_RET_TRACE for the chosen calls and, always, for the memory
 * calls the dirty tracker must hear about (mmap, munmap, mremap, madvise, brk, shmdt, and
 * ioctl(UFFDIO_REGISTER): the program registering a range with its own userfaultfd), for
 * prctl(PR_GET_SECCOMP) (seccomp_filter_hidden), for clone(CLONE_UNTRACED), and
 * SECCOMP_RET_ALLOW for everything else, including other architectures' calls (i386 via
 * int 0x80) and x32 numbers, which the recorder does not checkpoint.
 *
 * A filter cannot be removed: a traced call made while no tracer is attached fails with
 * ENOSYS. A process is let go by stacking the filter's USER_NOTIF twin on it (release.h).
 */
#ifndef DL_SECCOMP_FILTER_H
#define DL_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "options.h"

/*
 * Builds the program (out->filter is malloc'd; free it with seccomp_filter_free): `action` for
 * the chosen calls, SECCOMP_RET_TRACE for the launch filter, SECCOMP_RET_USER_NOTIF for its
 * twin that releases a process (release.h). Returns 0 or -1.
 */
int seccomp_filter_build(const struct syscall_set *chosen, uint32_t action, struct sock_fprog *out);
void seccomp_filter_free(struct sock_fprog *prog);
/* In the child: PR_SET_NO_NEW_PRIVS, then SECCOMP_SET_MODE_FILTER. Async-signal-safe. Returns 0 or -1. */
int seccomp_filter_install(const struct sock_fprog *prog);
/* Seccomp_filters of /proc/TID/status (filters stacked on the task), or -1. */
int seccomp_filter_count(pid_t tid);
/*
 * A program asking whether it runs under seccomp (prctl(PR_GET_SECCOMP), always traced) while
 * only `ours` filters (ours: 1 in the recorded process, 2 in a released one) are stacked on
 * it: the call is answered 0, as it would be without recording. Once the program installed
 * a filter of its own the true answer (2) stands.
 */
bool seccomp_filter_hidden(long nr, uint64_t arg0, pid_t tid, int ours);
/*
 * clone(CLONE_UNTRACED) (always traced): a child we never see would run under our filter with
 * no tracer, its traced calls failing with ENOSYS. The flag is taken out at the call's entry,
 * so the child is released like any other (untraced, as the program asked).
 */
bool seccomp_filter_untraced_clone(long nr, uint64_t arg0);
/* The memory system calls that are always traced. */
bool syscall_is_memory(long nr);
/* A traced call the dirty tracker must be told about (dirty_note_syscall): a memory call, or
 * ioctl(fd, UFFDIO_REGISTER, ...). */
bool syscall_needs_note(long nr, const uint64_t args[6]);

#endif
