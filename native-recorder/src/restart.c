/*
 * restart.c - system calls that Linux does not restart after a ptrace stop.
 *
 * Stopping a thread for a checkpoint (PTRACE_INTERRUPT) sends a blocked system call through
 * the kernel's signal handling. Most calls come back transparently: they return -ERESTARTSYS,
 * -ERESTARTNOHAND or use a restart_block (nanosleep, poll, select, futex with a timeout), and
 * the kernel issues them again when no handler runs. A few return -EINTR instead, even without
 * any signal handler (signal(7), "Interruption of system calls and library functions by stop
 * signals"): epoll_wait, epoll_pwait, epoll_pwait2, semop, semtimedop, rt_sigtimedwait. And
 * under ptrace a signal the program ignores is still queued (so the tracer can see it) and
 * interrupts them the same way. A program that never saw EINTR from these calls would see it
 * under recording, at every checkpoint that caught it waiting.
 *
 * Fix-up, at any stop where the thread sits at the return of one of them with rax == -EINTR:
 * rax = -ERESTARTNOHAND. On resume the kernel then does what it does for a restartable call:
 * if a signal's handler runs, the call fails with EINTR (as it would have without us);
 * otherwise it is issued again (also after SIGSTOP + SIGCONT, where Linux alone would return
 * EINTR: a harmless difference).
 *
 * A call with a timeout must not start its wait over at each checkpoint (with 1 ms
 * checkpoints it would never time out). epoll_wait and epoll_pwait take milliseconds in r10:
 * the timeout is cut by the time since the thread was last resumed, so the whole wait is
 * never longer than asked, and shorter only by the time the thread ran between that resume
 * and the call (none for a thread that stayed blocked across checkpoints, the usual case);
 * r10 keeps the cut value afterwards (it is an argument register: C code does not read it
 * back). r10 holds whole milliseconds, rounded up; the exact remainder is kept per thread
 * (restart_state) for the next cut of the same call, or every checkpoint would round the
 * same 300 ms back up. Nothing left: the call returns 0 (timed out, no events). Calls whose timeout is a
 * timespec in the program's memory (epoll_pwait2, semtimedop, rt_sigtimedwait) are restarted
 * only when they wait forever (NULL timeout); with a finite one they still return EINTR, as
 * under gdb or strace (we never write the program's memory).
 */
#include "restart.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif
#define ERESTARTSYS 512    /* kernel-internal return codes of an interrupted call: */
#define ERESTARTNOINTR 513 /* the kernel issues it again when no handler runs (or always) */
#define ERESTARTNOHAND 514 /* kernel-internal: restart unless a handler runs */

static bool candidate(long nr)
{
	return nr == SYS_epoll_wait || nr == SYS_epoll_pwait || nr == SYS_epoll_pwait2 || nr == SYS_semop ||
	       nr == SYS_semtimedop || nr == SYS_rt_sigtimedwait;
}

static void note_reentry(struct restart_state *st, const struct user_regs_struct *r)
{
	st->reentry = true;
	st->reentry_nr = (long)r->orig_rax;
	st->reentry_ip = r->rip;
	const uint64_t args[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	for (int i = 0; i < 6; i++)
		st->reentry_args[i] = args[i];
}

bool restart_is_reentry(struct restart_state *st, long nr, uint64_t ip, const uint64_t args[6])
{
	bool same = st->reentry && st->reentry_nr == nr && st->reentry_ip == ip;
	for (int i = 0; same && i < 6; i++)
		same = st->reentry_args[i] == args[i];
	st->reentry = false;
	return same;
}

int restart_fixup(pid_t tid, struct restart_state *st, uint64_t resumed_ns, uint64_t now_ns)
{
	/* One word first: this runs at every interrupt stop of every thread. */
	errno = 0;
	long nr = ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, orig_rax), NULL);
	if (errno)
		return -1;
	/*
	 * Re-entry notes. Stopped inside a call that returned -ERESTARTSYS & co: the kernel will
	 * issue it again. Stopped again after that resume but before it ran (the kernel already
	 * rewound: rax = the call's number, rip back on the syscall instruction; orig_rax is -1
	 * when an interrupt caught it there in user mode): still pending.
	 */
	bool pending = st->reentry && (nr == st->reentry_nr || nr == -1);
	st->reentry = false;
	if (nr < 0) {
		if (pending) {
			errno = 0;
			long rax = ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, rax), NULL);
			uint64_t rip = (uint64_t)ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, rip), NULL);
			if (errno)
				return -1;
			st->reentry = rax == st->reentry_nr && rip + 2 == st->reentry_ip;
		}
		return 0; /* not in a system call */
	}
	struct user_regs_struct r;
	if (!candidate(nr)) {
		/* The registers only when it matters: this is every thread blocked in a call, at every checkpoint. */
		errno = 0;
		long rax = ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, rax), NULL);
		if (errno)
			return -1;
		if ((rax == -ERESTARTSYS || rax == -ERESTARTNOINTR || rax == -ERESTARTNOHAND) &&
		    ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0 && (long)r.orig_rax == nr)
			note_reentry(st, &r);
		else if (pending && rax == nr &&
			 (uint64_t)ptrace(PTRACE_PEEKUSER, tid, (void *)offsetof(struct user_regs_struct, rip), NULL) + 2 ==
				 st->reentry_ip)
			st->reentry = true;
		return 0;
	}
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		return -1;
	if ((long)r.orig_rax == nr && ((long)r.rax == -ERESTARTNOHAND || (long)r.rax == -ERESTARTSYS))
		note_reentry(st, &r); /* already restartable (e.g. stopped again before it ran) */
	else if (pending && (long)r.rax == nr && r.rip + 2 == st->reentry_ip)
		st->reentry = true;
	if ((long)r.rax != -EINTR || (long)r.orig_rax != nr)
		return 0;
	switch (nr) {
	case SYS_epoll_wait:
	case SYS_epoll_pwait: {
		int timeout = (int)r.r10;
		if (timeout <= 0) /* forever (0 never blocks, so never sees EINTR) */
			break;
		uint64_t asked = (uint64_t)timeout * 1000000u;
		if (st->rip == r.rip && st->set_ms == (uint32_t)timeout)
			asked = st->left_ns; /* the call we restarted last time */
		uint64_t ran = resumed_ns && now_ns > resumed_ns ? now_ns - resumed_ns : 0;
		st->rip = 0;
		if (ran >= asked) {
			r.rax = 0; /* timed out, no events */
			goto set;
		}
		st->left_ns = asked - ran;
		st->set_ms = (uint32_t)((st->left_ns + 999999u) / 1000000u);
		st->rip = r.rip;
		r.r10 = (r.r10 & ~0xffffffffull) | st->set_ms;
		break;
	}
	case SYS_epoll_pwait2:
	case SYS_semtimedop:
		if (r.r10) /* a timespec we must not rewrite */
			return 0;
		break;
	case SYS_rt_sigtimedwait:
		if (r.rdx)
			return 0;
		break;
	default: /* semop: no timeout */
		break;
	}
	r.rax = (unsigned long long)-ERESTARTNOHAND;
	note_reentry(st, &r);
set:
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		return -1;
	return 1;
}
