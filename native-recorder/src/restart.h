/*
 * restart.h - transparent restart of the few blocking system calls Linux ends with EINTR when
 * the thread is stopped by a tracer (see restart.c).
 */
#ifndef DL_RESTART_H
#define DL_RESTART_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What a thread's last cut timeout was, so the next cut starts from the exact remainder
 * instead of the whole milliseconds written back (which would never shrink at 1 ms checkpoints). */
struct restart_state {
	uint64_t rip;     /* of the restarted call, 0 = none */
	uint64_t left_ns; /* the true time left when it was restarted */
	uint32_t set_ms;  /* the timeout written to r10 (left_ns rounded up) */
	/*
	 * At the thread's last stop it sat in a call the kernel will issue again when it resumes
	 * (-ERESTARTSYS & co, e.g. a write(2) to a terminal waiting for room or for another
	 * thread's write): that call, so its second entry is not taken for a new one (restart_is_reentry).
	 */
	bool reentry;
	long reentry_nr;
	uint64_t reentry_ip, reentry_args[6];
};

/*
 * At a ptrace-stop of thread tid (interrupt stop, signal-delivery-stop, syscall-exit-stop):
 * if it sits at the return of epoll_wait & co with -EINTR, makes the kernel restart the call
 * instead (timeouts cut by the time since resumed_ns, the thread's last resume, CLOCK_MONOTONIC
 * ns; 0 = unknown). Returns 1 when it changed the registers, 0 when nothing was to do, -1 with
 * errno when the registers could not be read or written (the thread vanished).
 * Also keeps st's re-entry note: whether the thread will issue its interrupted call again.
 */
int restart_fixup(pid_t tid, struct restart_state *st, uint64_t resumed_ns, uint64_t now_ns);

/*
 * At a system call's entry (seccomp or syscall-entry stop): true when it is the kernel issuing
 * again the call the thread was stopped in (same number, instruction and arguments), not a
 * new call of the program. Clears the note either way.
 */
bool restart_is_reentry(struct restart_state *st, long nr, uint64_t ip, const uint64_t args[6]);

#endif
