/*
 * remote.c - running one system call inside a stopped tracee thread.
 *
 * Owns: a one-entry cache of where a `syscall` instruction (0f 05) is in the tracee's [vdso],
 * keyed by the vdso's base address (read from /proc/TID/auxv on every call, so an exec or a
 * different process is noticed). Single-threaded use only (the recorder is).
 *
 * How, by the kind of ptrace-stop the thread is in (PTRACE_GETSIGINFO + PTRACE_GET_SYSCALL_INFO):
 *  - syscall-entry or seccomp stop (the kernel is about to run a syscall): the pending call is
 *    replaced in place (orig_rax and argument registers), run with PTRACE_SYSCALL to its exit
 *    stop, then registers are set back with rip on the original `syscall` instruction and
 *    rax = its number, and the thread is run to the same entry (PTRACE_SYSCALL) or seccomp
 *    (PTRACE_CONT) stop again, where the saved registers are restored exactly. The tracer sees
 *    the same stop it had; the original call has not run yet.
 *  - any other stop (signal-delivery, group-stop, PTRACE_EVENT_STOP, syscall-exit, exec/clone/
 *    fork event): rip -> the syscall instruction, orig_rax = -1 (so restart fix-up leaves it
 *    alone), one PTRACE_SINGLESTEP, read rax, restore. From an event stop inside a syscall
 *    (exec, clone, fork, vfork-done) the first step only finishes that syscall (the trap comes
 *    at its exit, rip unchanged): its return value is kept for the restored rax and we step
 *    again. The thread ends in a SIGTRAP signal-delivery-stop with its original registers and
 *    (for a signal-delivery-stop) its original siginfo put back, so resuming it with the signal
 *    the tracer meant (0 to suppress, or the signal to deliver) behaves as from the original
 *    stop. Differences: PTRACE_LISTEN needs a real group-stop, and a syscall-exit stop of the
 *    finished exec/clone is not reported again.
 *  - PTRACE_EVENT_EXIT (the thread never returns to user space) and PTRACE_EVENT_VFORK (the step
 *    would block until the vfork child execs) are refused with EINVAL / EBUSY.
 * All signals are blocked in the thread (PTRACE_SETSIGMASK) while the call runs so a pending
 * signal cannot interrupt the dance; an unblockable stop that still arrives is suppressed and
 * re-sent with tgkill afterwards.
 *
 * Unsafe: the thread must be in a ptrace-stop of this tracer and nobody else may wait for it
 * meanwhile. Requires PTRACE_O_TRACESYSGOOD for syscall stops to be recognised (without it a
 * syscall-entry stop is taken for a plain stop and the step path skips the pending call).
 * x86-64 tracees only.
 */
#include "remote.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "maps.h"

static struct {
	uint64_t vdso_base;
	uint64_t insn;
} cache;

/* AT_SYSINFO_EHDR of the thread's process, or 0. */
static uint64_t vdso_base(pid_t tid)
{
	char path[64];
	uint64_t aux[128];
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t r = read(fd, aux, sizeof(aux));
	close(fd);
	for (ssize_t i = 0; r > 0 && (i + 1) * 16 <= r; i++) {
		if (aux[2 * i] == AT_SYSINFO_EHDR)
			return aux[2 * i + 1];
		if (aux[2 * i] == AT_NULL)
			break;
	}
	return 0;
}

/* Finds a 0f 05 in [vdso]; returns its address or 0. */
static uint64_t find_vdso_syscall(pid_t tid)
{
	uint64_t base = vdso_base(tid);
	if (!base)
		return 0;
	if (base == cache.vdso_base)
		return cache.insn;
	struct map_table mt;
	if (maps_read(tid, &mt) != 0)
		return 0;
	long i = maps_find(&mt, base);
	uint64_t found = 0;
	if (i >= 0 && (mt.v[i].prot & MAP_X)) {
		uint64_t len = mt.v[i].end - base;
		static uint8_t buf[65536];
		if (len > sizeof(buf))
			len = sizeof(buf);
		struct iovec l = {buf, len}, r = {(void *)(uintptr_t)base, len};
		ssize_t got = process_vm_readv(tid, &l, 1, &r, 1, 0);
		if (got < 0) { /* [vdso] may refuse GUP on some kernels: go through /proc/PID/mem */
			char path[64];
			snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			got = fd < 0 ? -1 : pread(fd, buf, len, (off_t)base);
			if (fd >= 0)
				close(fd);
		}
		for (ssize_t k = 0; k + 1 < got; k++)
			if (buf[k] == 0x0f && buf[k + 1] == 0x05) {
				found = base + (uint64_t)k;
				break;
			}
	}
	maps_free(&mt);
	if (found) {
		cache.vdso_base = base;
		cache.insn = found;
	}
	return found;
}

/* Waits for the next stop of tid. Returns the status, or -1 (ESRCH when it died). */
static int wait_stop(pid_t tid)
{
	int st;
	for (;;) {
		pid_t w = waitpid(tid, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (WIFSTOPPED(st))
			return st;
		errno = ESRCH; /* exited or killed */
		return -1;
	}
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = '\0';
	const char *p = strstr(buf, "\nTgid:");
	return p ? (pid_t)strtol(p + 6, NULL, 10) : -1;
}

struct pending_sigs {
	int sig[8];
	int n;
};

/*
 * Resumes tid with req until a stop for which done(status) is true. Group-stops/interrupt
 * stops in between are resumed; other signal stops are suppressed and remembered.
 */
static int run_until(pid_t tid, int req, struct pending_sigs *ps, bool (*done)(pid_t, int), int *status)
{
	for (int guard = 0; guard < 64; guard++) {
		if (ptrace(req, tid, 0, 0) != 0)
			return -1;
		int st = wait_stop(tid);
		if (st < 0)
			return -1;
		if (done(tid, st)) {
			if (status)
				*status = st;
			return 0;
		}
		int sig = WSTOPSIG(st);
		if ((st >> 16) == 0 && sig != SIGTRAP && ps->n < 8) /* a signal-delivery-stop: keep it */
			ps->sig[ps->n++] = sig;
	}
	errno = EIO;
	return -1;
}

static int syscall_op(pid_t tid)
{
	struct __ptrace_syscall_info info;
	memset(&info, 0, sizeof(info));
	if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info) <= 0)
		return PTRACE_SYSCALL_INFO_NONE;
	return info.op;
}

static bool is_trap(pid_t tid, int st)
{
	(void)tid;
	return (st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP;
}
static bool is_exit_stop(pid_t tid, int st)
{
	return WSTOPSIG(st) == (SIGTRAP | 0x80) && syscall_op(tid) == PTRACE_SYSCALL_INFO_EXIT;
}
static bool is_entry_stop(pid_t tid, int st)
{
	return WSTOPSIG(st) == (SIGTRAP | 0x80) && syscall_op(tid) == PTRACE_SYSCALL_INFO_ENTRY;
}
static bool is_seccomp_stop(pid_t tid, int st)
{
	(void)tid;
	return (st >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8));
}
static bool is_exit_or_seccomp(pid_t tid, int st)
{
	return is_exit_stop(tid, st) || is_seccomp_stop(tid, st);
}

static void set_args(struct user_regs_struct *r, const uint64_t a[6])
{
	r->rdi = a[0];
	r->rsi = a[1];
	r->rdx = a[2];
	r->r10 = a[3];
	r->r8 = a[4];
	r->r9 = a[5];
}

/* Entry or seccomp stop: replace the pending call, run it, then go back to the same stop. */
static int inject_at_entry(pid_t tid, bool seccomp, const struct user_regs_struct *saved, long nr,
			   const uint64_t args[6], int64_t *ret, struct pending_sigs *ps)
{
	struct user_regs_struct r = *saved;
	r.orig_rax = (uint64_t)nr;
	set_args(&r, args);
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0)
		return -1;
	/* A seccomp filter may trap our call too (only from an entry stop): go on to its exit. */
	int st = 0;
	for (int i = 0; i < 4; i++) {
		if (run_until(tid, PTRACE_SYSCALL, ps, is_exit_or_seccomp, &st) != 0)
			return -1;
		if (!is_seccomp_stop(tid, st))
			break;
	}
	if (is_seccomp_stop(tid, st)) {
		errno = EIO;
		return -1;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
		return -1;
	*ret = (int64_t)r.rax;
	/* Back onto the original syscall instruction and into the same stop. */
	r = *saved;
	r.rip = saved->rip - 2;
	r.rax = saved->orig_rax;
	r.orig_rax = (uint64_t)-1;
	if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0)
		return -1;
	if (run_until(tid, seccomp ? PTRACE_CONT : PTRACE_SYSCALL, ps, seccomp ? is_seccomp_stop : is_entry_stop, NULL) != 0)
		return -1;
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
		return -1;
	if (r.rip != saved->rip || r.orig_rax != saved->orig_rax) {
		errno = EIO;
		return -1;
	}
	return ptrace(PTRACE_SETREGS, tid, 0, saved) == 0 ? 0 : -1;
}

/* Any other stop: single-step over a syscall instruction. */
static int inject_by_step(pid_t tid, bool in_syscall, struct user_regs_struct *saved, long nr,
			  const uint64_t args[6], int64_t *ret, struct pending_sigs *ps)
{
	uint64_t insn = find_vdso_syscall(tid), poke_addr = 0;
	long orig_word = 0;
	int rc = -1, saved_errno = 0;
	if (!insn) { /* no vdso: poke 0f 05 over the aligned word at rip, restore it afterwards */
		poke_addr = saved->rip & ~7ull;
		errno = 0;
		orig_word = ptrace(PTRACE_PEEKTEXT, tid, poke_addr, 0);
		if (errno)
			return -1;
		long w = (long)(((uint64_t)orig_word & ~0xffffull) | 0x050f);
		if (ptrace(PTRACE_POKETEXT, tid, poke_addr, w) != 0)
			return -1;
		insn = poke_addr;
	}
	for (int attempt = 0; attempt < 4; attempt++) {
		struct user_regs_struct r = *saved;
		r.rip = insn;
		r.rax = (uint64_t)nr;
		r.orig_rax = (uint64_t)-1;
		set_args(&r, args);
		if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0)
			goto out;
		if (run_until(tid, PTRACE_SINGLESTEP, ps, is_trap, NULL) != 0)
			goto out;
		if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
			goto out;
		if (r.rip == insn + 2) {
			*ret = (int64_t)r.rax;
			rc = 0;
			goto out;
		}
		if (r.rip != insn) {
			errno = EIO;
			goto out;
		}
		if (in_syscall) { /* the step finished the syscall the event stop was in */
			saved->rax = r.rax;
			in_syscall = false;
		}
	}
	errno = EIO;
out:
	saved_errno = errno;
	if (ptrace(PTRACE_SETREGS, tid, 0, saved) != 0 && rc == 0) {
		rc = -1;
		saved_errno = errno;
	}
	if (poke_addr && ptrace(PTRACE_POKETEXT, tid, poke_addr, orig_word) != 0 && rc == 0) {
		rc = -1;
		saved_errno = errno;
	}
	errno = saved_errno;
	return rc;
}

int remote_syscall(pid_t tid, long nr, const uint64_t args[6], int64_t *ret)
{
	struct user_regs_struct saved;
	siginfo_t si;
	/* SIGTRAP stays unblocked: forcing the step's SIGTRAP while blocked resets its handler. */
	uint64_t mask = 0, all = ~(1ull << (SIGTRAP - 1));
	struct pending_sigs ps = {.n = 0};
	int rc = -1, saved_errno;
	bool have_si, mask_set = false;

	if (ptrace(PTRACE_GETREGS, tid, 0, &saved) != 0)
		return -1;
	have_si = ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0;
	int event = have_si && (si.si_code & 0x7f) == SIGTRAP ? (si.si_code >> 8) & 0xff : 0;
	int op = syscall_op(tid);
	if (event == PTRACE_EVENT_EXIT) {
		errno = EINVAL;
		return -1;
	}
	if (event == PTRACE_EVENT_VFORK) {
		errno = EBUSY;
		return -1;
	}
	if (ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) != 0)
		return -1;
	if (ptrace(PTRACE_SETSIGMASK, tid, sizeof(all), &all) != 0)
		return -1;
	mask_set = true;
	if (op == PTRACE_SYSCALL_INFO_ENTRY || op == PTRACE_SYSCALL_INFO_SECCOMP) {
		rc = inject_at_entry(tid, op == PTRACE_SYSCALL_INFO_SECCOMP, &saved, nr, args, ret, &ps);
	} else {
		bool in_syscall = event == PTRACE_EVENT_EXEC || event == PTRACE_EVENT_CLONE ||
				  event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK_DONE;
		rc = inject_by_step(tid, in_syscall, &saved, nr, args, ret, &ps);
		if (rc == 0 && have_si && ptrace(PTRACE_SETSIGINFO, tid, 0, &si) != 0)
			rc = -1;
	}
	saved_errno = errno;
	if (mask_set && ptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) != 0 && rc == 0) {
		rc = -1;
		saved_errno = errno;
	}
	pid_t tgid = ps.n ? tgid_of(tid) : 0;
	for (int i = 0; i < ps.n && tgid > 0; i++)
		syscall(SYS_tgkill, tgid, tid, ps.sig[i]);
	errno = saved_errno;
	return rc;
}
