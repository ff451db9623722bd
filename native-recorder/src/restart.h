/*
 * restart.h - transparent restart of the few blocking system calls Linux ends with EINTR when
 * the thread is stopped by a tracer (see restart.c).
 */
#ifndef DL_RESTART_H
#define DL_RESTART_H

#include <stdint.h>
#include <sys/types.h>

/* What a thread's last cut timeout was, so the next cut starts from the exact remainder
 * instead of the whole milliseconds written back (which would never shrink at 1 ms checkpoints). */
struct restart_state {
	uint64_t rip;     /* of the restarted call, 0 = none */
	uint64_t left_ns; /* the true time left when it was restarted */
	uint32_t set_ms;  /* the timeout written to r10 (left_ns rounded up) */
};

/*
 * At a ptrace-stop of thread tid (interrupt stop, signal-delivery-stop, syscall-exit-stop):
 * if it sits at the return of epoll_wait & co with -EINTR, makes the kernel restart the call
 * instead (timeouts cut by the time since resumed_ns, the thread's last resume, CLOCK_MONOTONIC
 * ns; 0 = unknown). Returns 1 when it changed the registers, 0 when nothing was to do, -1 with
 * errno when the registers could not be read or written (the thread vanished).
 */
int restart_fixup(pid_t tid, struct restart_state *st, uint64_t resumed_ns, uint64_t now_ns);

#endif
