/*
 * remote_test - remote_syscall injects a call into a stopped child and leaves the child as it
 * was, from each kind of stop: signal-delivery (raise(SIGSTOP)), PTRACE_INTERRUPT while blocked
 * in read() (the read must restart and still get its byte), syscall-entry (the pending call
 * must still run, with its own arguments), syscall-exit (its result must survive), seccomp
 * (SECCOMP_RET_TRACE) and exec. Checks getpid's result, an injected mmap visible in the maps,
 * and that the child's own syscalls return what they should.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/user.h>

#include "maps.h"
#include "remote.h"
#include "tracee_util.h"

static const uint64_t no_args[6];

struct shared {
	volatile long ppid_seen, read_byte, read_ret;
	int pipe_r, pipe_w;
};
static struct shared *sh;

static int64_t inject_getpid(pid_t tid)
{
	int64_t r = -1;
	CHECK(remote_syscall(tid, SYS_getpid, no_args, &r) == 0);
	return r;
}

/* signal-delivery-stop and an injected mmap */
static void child_stop(void *a)
{
	(void)a;
	raise(SIGSTOP);
	sh->ppid_seen = syscall(SYS_getppid);
}

static void test_signal_stop(void)
{
	pid_t c = spawn_traced(child_stop, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	struct user_regs_struct before, after;
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &before) == 0);
	CHECK(inject_getpid(c) == c);
	uint64_t margs[6] = {0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0};
	int64_t addr = 0;
	CHECK(remote_syscall(c, SYS_mmap, margs, &addr) == 0);
	CHECK(addr > 0 && (addr & 4095) == 0);
	struct map_table mt;
	REQUIRE(maps_read(c, &mt) == 0);
	long i = maps_find(&mt, (uint64_t)addr);
	CHECK(i >= 0 && mt.v[i].prot == (MAP_R | MAP_W) && mt.v[i].end - (uint64_t)addr >= 3 * 4096);
	maps_free(&mt);
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &after) == 0);
	CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	/* the SIGSTOP's siginfo is back in place */
	siginfo_t si;
	CHECK(ptrace(PTRACE_GETSIGINFO, c, 0, &si) == 0 && si.si_signo == SIGSTOP);
	CHECK(finish(c) == 0);
	CHECK(sh->ppid_seen == getpid());
	printf("remote_test signal-delivery-stop: ok\n");
}

/* PTRACE_INTERRUPT while blocked in read(): the read restarts afterwards */
static void child_read(void *a)
{
	(void)a;
	char b = 0;
	close(sh->pipe_w);
	long r = read(sh->pipe_r, &b, 1);
	sh->read_ret = r;
	sh->read_byte = b;
}

static void test_interrupt_in_read(void)
{
	int p[2];
	REQUIRE(pipe(p) == 0);
	sh->pipe_r = p[0];
	sh->pipe_w = p[1];
	sh->read_ret = -5;
	pid_t c = spawn_traced(child_read, NULL, PTRACE_O_TRACESYSGOOD);
	usleep(50000); /* let it block in read */
	REQUIRE(ptrace(PTRACE_INTERRUPT, c, 0, 0) == 0);
	int st = wait_any(c);
	CHECK(WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP);
	CHECK(inject_getpid(c) == c);
	CHECK(inject_getpid(c) == c);
	REQUIRE(write(p[1], "Z", 1) == 1);
	CHECK(finish(c) == 0);
	CHECK(sh->read_ret == 1 && sh->read_byte == 'Z');
	close(p[0]);
	close(p[1]);
	printf("remote_test interrupt-in-read: ok\n");
}

/* syscall-entry and syscall-exit stops of the child's getppid() */
static void test_syscall_stops(void)
{
	sh->ppid_seen = 0;
	pid_t c = spawn_traced(child_stop, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	struct user_regs_struct r;
	bool entry_done = false, exit_done = false;
	for (int guard = 0; guard < 40 && !exit_done; guard++) {
		REQUIRE(ptrace(PTRACE_SYSCALL, c, 0, 0) == 0);
		int st = wait_any(c);
		REQUIRE(WIFSTOPPED(st));
		if (WSTOPSIG(st) != (SIGTRAP | 0x80))
			continue;
		REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &r) == 0);
		if (r.orig_rax != SYS_getppid)
			continue;
		struct __ptrace_syscall_info info;
		REQUIRE(ptrace(PTRACE_GET_SYSCALL_INFO, c, sizeof(info), &info) > 0);
		struct user_regs_struct after;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY && !entry_done) {
			CHECK(inject_getpid(c) == c);
			REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &after) == 0);
			CHECK(memcmp(&r, &after, sizeof(r)) == 0);
			struct __ptrace_syscall_info again;
			CHECK(ptrace(PTRACE_GET_SYSCALL_INFO, c, sizeof(again), &again) > 0 &&
			      again.op == PTRACE_SYSCALL_INFO_ENTRY && again.entry.nr == SYS_getppid);
			entry_done = true;
		} else if (info.op == PTRACE_SYSCALL_INFO_EXIT && entry_done) {
			CHECK((pid_t)r.rax == getpid());
			CHECK(inject_getpid(c) == c);
			REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &after) == 0);
			CHECK(after.rax == r.rax && after.rip == r.rip);
			exit_done = true;
		}
	}
	CHECK(entry_done && exit_done);
	CHECK(finish(c) == 0);
	CHECK(sh->ppid_seen == getpid());
	printf("remote_test syscall-entry/exit stops: ok\n");
}

/* seccomp stop: a filter returns SECCOMP_RET_TRACE for getppid */
static void child_seccomp(void *a)
{
	(void)a;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
		_exit(4);
	sh->ppid_seen = syscall(SYS_getppid);
}

static void test_seccomp_stop(void)
{
	sh->ppid_seen = 0;
	pid_t c = spawn_traced(child_seccomp, NULL, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACESECCOMP);
	int st = wait_any(c);
	CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | PTRACE_EVENT_SECCOMP << 8));
	struct user_regs_struct r, after;
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &r) == 0);
	CHECK(r.orig_rax == SYS_getppid);
	CHECK(inject_getpid(c) == c);
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &after) == 0);
	CHECK(memcmp(&r, &after, sizeof(r)) == 0);
	struct __ptrace_syscall_info info;
	CHECK(ptrace(PTRACE_GET_SYSCALL_INFO, c, sizeof(info), &info) > 0 && info.op == PTRACE_SYSCALL_INFO_SECCOMP);
	CHECK(finish(c) == 0);
	CHECK(sh->ppid_seen == getpid());
	printf("remote_test seccomp stop: ok\n");
}

/* exec event stop: the exec's result (0) must survive; /bin/true must then exit 0 */
static void child_exec(void *a)
{
	(void)a;
	char *argv[] = {"true", NULL}, *envp[] = {NULL};
	execve("/bin/true", argv, envp);
	_exit(5);
}

static void test_exec_stop(void)
{
	pid_t c = spawn_traced(child_exec, NULL, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC);
	int st = wait_any(c);
	CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | PTRACE_EVENT_EXEC << 8));
	struct user_regs_struct r, after;
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &r) == 0);
	CHECK(inject_getpid(c) == c);
	REQUIRE(ptrace(PTRACE_GETREGS, c, 0, &after) == 0);
	CHECK(after.rip == r.rip && after.rsp == r.rsp && after.rax == 0);
	CHECK(finish(c) == 0);
	printf("remote_test exec stop: ok\n");
}

int main(void)
{
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(sh != MAP_FAILED);
	test_signal_stop();
	test_interrupt_in_read();
	test_syscall_stops();
	test_seccomp_stop();
	test_exec_stop();
	if (check_failures) {
		fprintf(stderr, "remote_test: %d failure(s)\n", check_failures);
		return 1;
	}
	printf("remote_test: ok\n");
	return 0;
}
