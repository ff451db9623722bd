/*
 * seccomp_filter.h - the BPF program that makes chosen system calls stop for the tracer.
 *
 * Built in the recorder (so the forked child does not allocate), installed by the child just
 * before exec. It returns SECCOMP_RET_TRACE for the chosen calls and, always, for the memory
 * calls the dirty tracker must hear about (mmap, munmap, mremap, madvise, brk, shmdt, and
 * ioctl(UFFDIO_REGISTER): the program registering a range with its own userfaultfd), and
 * SECCOMP_RET_ALLOW for everything else, including other architectures' calls (i386 via
 * int 0x80) and x32 numbers, which the recorder does not checkpoint.
 *
 * A filter cannot be removed: a traced call made while no tracer is attached fails with
 * ENOSYS. So a launched program is never truly detached while it runs (see session.c).
 */
#ifndef DL_SECCOMP_FILTER_H
#define DL_SECCOMP_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "options.h"

/* Builds the program (out->filter is malloc'd; free it with seccomp_filter_free). Returns 0 or -1. */
int seccomp_filter_build(const struct syscall_set *chosen, struct sock_fprog *out);
void seccomp_filter_free(struct sock_fprog *prog);
/* In the child: PR_SET_NO_NEW_PRIVS, then SECCOMP_SET_MODE_FILTER. Async-signal-safe. Returns 0 or -1. */
int seccomp_filter_install(const struct sock_fprog *prog);
/* The memory system calls that are always traced. */
bool syscall_is_memory(long nr);
/* A traced call the dirty tracker must be told about (dirty_note_syscall): a memory call, or
 * ioctl(fd, UFFDIO_REGISTER, ...). */
bool syscall_needs_note(long nr, const uint64_t args[6]);

#endif
