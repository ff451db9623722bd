/*
 * session.c - a recording from start to end: the event loop, the triggers, the control
 * channel, and what happens to the program when the recording stops.
 *
 * Life of a session:
 *
 *   launch: fork + seize ----> first exec stop --+--> checkpoint 0 (START) --> RECORDING
 *   attach: seize all + stop all ----------------+                               |  ^
 *                                                                        PAUSE   |  | RESUME
 *   RECORDING: triggers take checkpoints          (all threads held stopped)    v  |
 *     syscall entry (seccomp stop, or PTRACE_SYSCALL when attached)           PAUSED
 *     interval timer -> PTRACE_INTERRUPT all; breakpoint (int3); REQUEST from the socket
 *     exec -> EXEC message + full checkpoint; group exit / fatal signal -> final checkpoint
 *   end: process reaped -> EXIT(EXITED|SIGNALED)
 *        STOP, SIGINT/SIGTERM/SIGHUP, lost connection, internal error, --max-checkpoints:
 *          kill   -> SIGKILL, EXIT(SIGNALED 9) when reaped
 *          detach -> attached: breakpoints out, threads detached, EXIT(DETACHED), done
 *                    launched: EXIT(DETACHED), then PASSIVE until the program ends: our
 *                    seccomp filter cannot be removed and a traced call without a tracer
 *                    fails with ENOSYS, so we stay its tracer and resume every stop.
 *
 * Processes the program creates (not its threads) are released at their first stop (release.h)
 * and never waited for: the recording ends when the recorded process ends.
 *
 * --on-recorder-exit defaults to kill for a launched program; an attached one is always detached.
 * A launched program's parent is ours (launch.c); once the program is gone it is continued, in
 * case the program left it stopped.
 * With --attach, system call triggers and the memory calls the dirty tracker must see use
 * PTRACE_SYSCALL stops on EVERY system call (about 12 us each, two stops per call), because
 * a seccomp filter cannot be installed into a running process without leaving it behind.
 *
 * Event loop: poll() over a signalfd (SIGCHLD -> waitpid(-1, __WALL|WNOHANG) until empty;
 * SIGINT/SIGTERM/SIGHUP; SIGWINCH), the control socket, the interval timerfd, and for a
 * launched program its pty master and our stdin (terminal.h: the program's output goes on the
 * wire inside the checkpoint it precedes; what follows the last one goes just before EXIT).
 * A stop that needs work is handled at once; stops collected while stopping everyone for a
 * checkpoint are parked in the tracer and handled right after (tracer.h).
 *
 * Exit statuses: session.h. Errors are one line on stderr and, when a stream exists, a fatal
 * WIRE_ERROR; warnings a line on stderr and a non-fatal WIRE_ERROR (buffered until HELLO).
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "breakpoints.h"
#include "checkpoint.h"
#include "dirty.h"
#include "launch.h"
#include "log.h"
#include "placement.h"
#include "profile.h"
#include "release.h"
#include "seccomp_filter.h"
#include "terminal.h"
#include "tracer.h"
#include "wire.h"

/* How long a program gets to die of the Ctrl-C it shares with us before SIGINT stops the recording. */
#define SIGINT_GRACE_NS (300u * 1000u * 1000u)

struct session {
	const struct options *opt;
	enum exit_policy policy; /* resolved: KILL or DETACH */
	bool attached;
	pid_t pid;
	int shell_fd; /* launch: a pidfd of the program's parent (launch.h), or -1 */
	char *path; /* launch: the resolved program */

	struct tracer tr;
	struct placement place;
	struct dirty_tracker *dirty;
	struct checkpointer ck;
	struct breakpoints bps;
	struct sock_fprog filter;
	struct sock_fprog overlay; /* the filter's USER_NOTIF twin (release.h) */
	struct releaser rel;

	int out_fd;
	bool is_socket;
	struct wire wire;
	bool wire_open;
	struct wire_reader ctl;
	bool hello_sent;
	char **early_warnings;
	size_t nearly;

	int sigfd, timerfd, errfd;
	struct terminal term; /* launched: the program's pty (terminal.h); attached: none */

	bool started;     /* checkpoint 0 taken */
	bool recording;   /* checkpoints are taken (false once stopping) */
	bool paused;
	bool final_taken;
	int last_sig;      /* the last signal delivered to the program, and to which thread: */
	pid_t last_sig_tid; /* a fatal one names the SIGNAL checkpoint's thread */
	bool detach_requested;
	bool detached;    /* attached process let go: nothing traced any more */
	bool killing;
	bool gone_handled;
	uint64_t sigint_deadline; /* CLOCK_MONOTONIC ns; 0 = none */
	uint64_t stopped_at;      /* profile: when the last checkpoint began stopping the program */
	int exit_code;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void shutdown_recording(struct session *s, enum exit_policy action);
static void resume_world(struct session *s);
static void handle_event(struct session *s, struct task *t);

/* ---- messages to the user and the stream ---- */

/* How long the recorder waits, after the end of the stream, for DeLorean to let it go. */
#define RELEASE_WAIT_MS 5000

/*
 * DeLorean shows our stdout (its pty) live, and node-pty drops what it has not read yet 200 ms
 * after our exit: the echo of a burst the program printed just before it ended would be lost
 * to the screen (never to the recording). So when our stdout is a terminal, the end of the
 * stream is a half-close, and we wait for DeLorean to close the connection once its screen has
 * caught up (at most RELEASE_WAIT_MS: DeLorean may be stuck).
 */
static void await_release(struct session *s)
{
	if (!s->is_socket || !isatty(STDOUT_FILENO) || shutdown(s->out_fd, SHUT_WR) < 0)
		return;
	uint64_t deadline = now_ns() + (uint64_t)RELEASE_WAIT_MS * 1000000u;
	for (;;) {
		uint64_t now = now_ns();
		if (now >= deadline)
			return;
		struct pollfd p = { .fd = s->out_fd, .events = POLLIN };
		int n = poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		uint8_t buf[256];
		ssize_t k = recv(s->out_fd, buf, sizeof buf, MSG_DONTWAIT);
		if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
			return; /* released (or DeLorean is gone) */
		/* A control message sent before DeLorean saw the end: nothing to do any more. */
	}
}

static void end_stream(struct session *s, enum wire_exit_kind kind, int32_t code)
{
	if (!s->wire_open)
		return;
	/* Output after the last checkpoint (the program is stopped or gone: all of it is readable now). */
	terminal_drain(&s->term);
	s->term.keep = false;
	int rc = s->term.len ? wire_output(&s->wire, s->term.buf, s->term.len) : 0;
	terminal_sent(&s->term);
	if (rc < 0 || wire_exit(&s->wire, kind, code) < 0 || wire_flush(&s->wire) < 0) {
		if (s->exit_code == EXIT_OK)
			s->exit_code = s->is_socket ? EXIT_LOST_CONNECTION : EXIT_INTERNAL;
		fprintf(stderr, "delorean-recorder: cannot send the end of the recording: %s\n", strerror(errno));
	} else {
		await_release(s);
	}
	s->wire_open = false;
	close(s->out_fd);
	s->out_fd = -1;
}

static void send_warning(struct session *s, const char *line)
{
	if (s->wire_open && wire_error(&s->wire, 0, 0, line) == 0)
		wire_flush(&s->wire);
}

/*
 * A warning: on the stream once HELLO is out (the consumer expects HELLO first), and on stderr
 * when the stream is a file (a consumer on the socket shows it: once is enough).
 */
static void warn_cb(void *ctx, const char *line)
{
	struct session *s = ctx;
	if (!s->is_socket) /* else DeLorean shows it (see fatal for one that never got there) */
		fprintf(stderr, "delorean-recorder: warning: %s\n", line);
	if (s->hello_sent) {
		send_warning(s, line);
		return;
	}
	char **v = realloc(s->early_warnings, (s->nearly + 1) * sizeof *v);
	if (!v)
		return;
	s->early_warnings = v;
	if ((v[s->nearly] = strdup(line)))
		s->nearly++;
}

static void warnf(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	warn_cb(s, line);
}

/* Ends the recording with an error: one line on stderr, a fatal WIRE_ERROR, the program handled per policy. */
static void fatal(struct session *s, int code, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void fatal(struct session *s, int code, int err, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (s->is_socket && !s->hello_sent) { /* warnings kept for the stream, which will not start */
		for (size_t i = 0; i < s->nearly; i++) {
			fprintf(stderr, "delorean-recorder: warning: %s\n", s->early_warnings[i]);
			free(s->early_warnings[i]);
		}
		s->nearly = 0;
	}
	bool told = s->wire_open && wire_error(&s->wire, err, 1, line) == 0 && wire_flush(&s->wire) == 0;
	if (!told || !s->is_socket) /* DeLorean shows what reached it */
		fprintf(stderr, "delorean-recorder: %s\n", line);
	if (s->exit_code == EXIT_OK)
		s->exit_code = code;
	shutdown_recording(s, s->policy);
}

/* The main process went away (socket closed or a write failed). */
static void lost_connection(struct session *s, const char *why)
{
	if (s->exit_code == EXIT_OK)
		s->exit_code = s->is_socket ? EXIT_LOST_CONNECTION : EXIT_INTERNAL;
	fprintf(stderr, "delorean-recorder: %s (%s); the program is %s\n",
		s->is_socket ? "lost the connection to DeLorean" : "cannot write the recording", why,
		s->policy == EXIT_POLICY_KILL ? "killed" : "let go");
	s->wire_open = false;
	if (s->out_fd >= 0)
		close(s->out_fd);
	s->out_fd = -1;
	shutdown_recording(s, s->policy);
}

/* ---- the interval timer ---- */

/*
 * Periodic from now. After an interval checkpoint slower than the period (a big capture, a
 * loaded machine) the timer has expired again meanwhile: it is then armed again from the
 * resume, so the program runs a whole period instead of being stopped again at once.
 */
static void arm_timer(struct session *s, bool on)
{
	if (s->timerfd < 0)
		return;
	uint64_t ns = on ? s->opt->interval_ns : 0;
	struct timespec p = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	struct itimerspec its = { p, p };
	timerfd_settime(s->timerfd, 0, &its, NULL);
}

/* Profile: how long after its expiry the interval checkpoint starts (the period minus what is left of the next). */
static void profile_interval_late(struct session *s)
{
	struct itimerspec its;
	if (!dl_profile_on || timerfd_gettime(s->timerfd, &its) != 0)
		return;
	uint64_t left = (uint64_t)its.it_value.tv_sec * 1000000000u + (uint64_t)its.it_value.tv_nsec;
	if (left <= s->opt->interval_ns)
		profile_add_ns(PROF_LATE, s->opt->interval_ns - left);
}

/* ---- checkpoints ---- */

/* A live thread to name in triggers that are not a thread's own (interval, request). */
static pid_t some_thread(struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++)
		if (!s->tr.v[i].foreign && s->tr.v[i].run != TASK_EXITING)
			return s->tr.v[i].tid;
	return s->pid;
}

/*
 * The thread through which /proc/PID/maps and process_vm_readv reach the memory: the leader
 * while it lives, else any stopped thread (a leader that ended with pthread_exit is a zombie
 * without an mm until the whole process ends, so reads through its pid fail).
 */
static pid_t memory_tid(struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++)
		if (!s->tr.v[i].foreign && s->tr.v[i].run == TASK_STOPPED)
			return s->tr.v[i].tid;
	return s->pid;
}

/* A thread of the program stopped at PTRACE_EVENT_EXEC, not handled yet, or NULL. */
static struct task *parked_exec(struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++) {
		struct task *t = &s->tr.v[i];
		if (!t->foreign && t->run == TASK_STOPPED && t->has_event && t->event >> 16 == PTRACE_EVENT_EXEC)
			return t;
	}
	return NULL;
}

/* Stops every thread and takes a checkpoint. Failures end the recording (per policy). */
static void take(struct session *s, enum wire_trigger kind, pid_t tid, uint64_t detail, const uint64_t args[6])
{
	bool final = kind == WIRE_TRIGGER_EXIT || kind == WIRE_TRIGGER_SIGNAL;
	/* Nothing after the final checkpoint: the process is being torn down. */
	if (!s->recording || !s->started || (s->final_taken && !final))
		return;
	if (final)
		arm_timer(s, false);
	uint64_t tp = s->stopped_at = profile_now();
	if (tracer_stop_all(&s->tr) < 0) {
		fatal(s, EXIT_INTERNAL, errno, "cannot stop the program's threads: %s", strerror(errno));
		return;
	}
	if (s->tr.process_gone)
		return;
	/*
	 * A thread stopped in exec meanwhile: the memory is a new image, for which the tracker must
	 * start afresh. The exec's own checkpoint (a full one, at this same moment) stands for this one.
	 */
	struct task *exec = kind == WIRE_TRIGGER_EXEC ? NULL : parked_exec(s);
	if (exec) {
		handle_event(s, exec);
		return;
	}
	tp = profile_add(PROF_STOP, tp);
	s->ck.pid = memory_tid(s);
	dirty_set_pid(s->dirty, s->ck.pid);
	struct trigger trig = { .kind = kind, .tid = tid, .detail = detail };
	if (args)
		memcpy(trig.args, args, sizeof trig.args);
	/* The program is stopped: its output so far goes inside this checkpoint (terminal.h). */
	terminal_drain(&s->term);
	if (s->term.dropped && !s->term.warned) {
		s->term.warned = true;
		warnf(s,
		      "the program printed more than %u KiB between two checkpoints: only the last %u KiB before "
		      "each checkpoint are kept with the recording (first before checkpoint %llu)",
		      TERMINAL_KEEP / 1024, TERMINAL_KEEP / 1024, (unsigned long long)s->ck.seq);
	}
	profile_add(PROF_DRAIN, tp);
	s->ck.output = s->term.buf;
	s->ck.output_len = s->term.len;
	enum checkpoint_failure why;
	char err[512];
	int rc = checkpoint_take(&s->ck, &trig, s->dirty, &s->tr, &s->bps, &why, err, sizeof err);
	if (s->ck.output_len == 0)
		terminal_sent(&s->term); /* on the wire (even in a checkpoint that failed after its BEGIN) */
	s->ck.output_len = 0;
	if (rc < 0) {
		if (why == CHECKPOINT_GONE)
			LOG_DEBUG("checkpoint abandoned: %s", err);
		else if (why == CHECKPOINT_WIRE)
			lost_connection(s, strerror(errno));
		else
			fatal(s, EXIT_INTERNAL, errno, "%s", err);
		return;
	}
	if (s->opt->max_checkpoints && s->ck.seq >= s->opt->max_checkpoints && !final)
		s->detach_requested = true;
}

/* Resumes every stopped thread without a parked event, unless paused; or detaches after the last checkpoint. */
static void resume_world(struct session *s)
{
	if (s->detach_requested) {
		s->detach_requested = false;
		shutdown_recording(s, EXIT_POLICY_DETACH);
		return;
	}
	if (s->paused)
		return;
	uint64_t tp = profile_now();
	tracer_resume_all(&s->tr);
	if (s->stopped_at) {
		profile_add(PROF_STOPPED, s->stopped_at);
		profile_add(PROF_RESUME, tp);
		s->stopped_at = 0;
	}
}

/* ---- start ---- */

static char *proc_link(pid_t pid, const char *what)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0)
		return strdup("");
	buf[n] = '\0';
	return strdup(buf);
}

/* argv of a running process from /proc/PID/cmdline (attach). */
static char **proc_argv(pid_t pid, int *argc)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
	*argc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t k;
	while (buf && (k = read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)k;
		if (len == cap) {
			char *nb = realloc(buf, (cap *= 2) + 1);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(fd);
	if (!buf)
		return NULL;
	buf[len] = '\0';
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (len && buf[len - 1] != '\0')
		n++;
	/* One block: the pointer array, then the strings. */
	char **argv = malloc((size_t)(n + 1) * sizeof *argv + len + 1);
	if (!argv) {
		free(buf);
		return NULL;
	}
	char *strs = (char *)(argv + n + 1);
	memcpy(strs, buf, len + 1);
	free(buf);
	for (int i = 0, off = 0; i < n; i++) {
		argv[i] = strs + off;
		off += (int)strlen(strs + off) + 1;
	}
	argv[n] = NULL;
	*argc = n;
	return argv;
}

/* The first stop of the recorded image: pick the backend, HELLO, checkpoint 0, breakpoints. */
static void start_recording(struct session *s, pid_t tid)
{
	char err[512] = "";
	s->dirty = dirty_open(s->opt->backend, s->pid, tid, err, sizeof err, warn_cb, s);
	if (!s->dirty) {
		int e = errno;
		if (s->opt->backend == DIRTY_AUTO)
			fatal(s, EXIT_INTERNAL, e, "no dirty page tracking works here: %s", err[0] ? err : strerror(e));
		else
			fatal(s, EXIT_INTERNAL, e, "backend %s cannot be used: %s", dirty_backend_name(s->opt->backend),
			      err[0] ? err : strerror(e));
		return;
	}
	char *exe = proc_link(s->pid, "exe"), *cwd = proc_link(s->pid, "cwd");
	int argc = s->opt->argc;
	char **argv = s->opt->argv, **owned = NULL;
	if (s->attached)
		argv = owned = proc_argv(s->pid, &argc);
	static char *none[] = { NULL };
	if (!argv)
		argv = none;
	enum wire_backend b = (enum wire_backend)dirty_backend_of(s->dirty);
	int rc = wire_hello(&s->wire, s->pid, b, s->attached ? WIRE_HELLO_ATTACHED : 0, exe ? exe : "", cwd ? cwd : "",
			    argc, argv);
	s->hello_sent = true;
	if (rc == 0) {
		for (size_t i = 0; i < s->nearly; i++)
			if (rc == 0)
				rc = wire_error(&s->wire, 0, 0, s->early_warnings[i]);
	}
	if (rc == 0)
		rc = wire_flush(&s->wire);
	free(owned);
	free(cwd);
	if (rc < 0) {
		free(exe);
		lost_connection(s, strerror(errno));
		return;
	}
	LOG_DEBUG("recording %d (%s) with backend %s", s->pid, exe, dirty_backend_name(dirty_backend_of(s->dirty)));
	s->started = true;
	take(s, WIRE_TRIGGER_START, tid, 0, NULL);
	if (s->recording && s->bps.n) {
		bp_resolve(&s->bps, s->pid, exe, false, warn_cb, s);
		bp_insert_all(&s->bps, tid, warn_cb, s);
	}
	free(exe);
	arm_timer(s, s->recording);
}

/* ---- events of the recorded process ---- */

/* At a system call's entry: it does not run, and returns ret. */
static void skip_call(pid_t tid, int64_t ret)
{
	struct user_regs_struct r;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) != 0)
		return;
	r.orig_rax = (uint64_t)-1;
	r.rax = (uint64_t)ret;
	ptrace(PTRACE_SETREGS, tid, NULL, &r);
}

static void on_syscall_stop(struct session *s, struct task *t)
{
	struct __ptrace_syscall_info info;
	if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, (void *)sizeof info, &info) <= 0)
		return; /* vanished */
	long nr;
	const uint64_t *args;
	if (info.op == PTRACE_SYSCALL_INFO_SECCOMP) {
		nr = (long)info.seccomp.nr;
		args = info.seccomp.args;
	} else if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
		nr = (long)info.entry.nr;
		args = info.entry.args;
	} else {
		return; /* a syscall-exit stop (PTRACE_SYSCALL) */
	}
	/* The kernel issuing again a call a checkpoint interrupted (a write(2) to the terminal that
	 * waited): the program made one call, it gets one checkpoint. */
	bool again = restart_is_reentry(&t->restart, nr, info.instruction_pointer, args);
	pid_t tid = t->tid;
	if (s->started) {
		/* Checkpoint first: the call's effect (e.g. an unmap) happens after the checkpoint, and the note covers it. */
		if (syscall_set_has(&s->opt->syscalls, nr) && !again)
			take(s, WIRE_TRIGGER_SYSCALL, tid, (uint64_t)nr, args);
		if (s->dirty && s->recording && syscall_needs_note(nr, args))
			dirty_note_syscall(s->dirty, nr, args);
	}
	if (!s->attached && seccomp_filter_hidden(nr, args[0], tid, 1))
		skip_call(tid, 0);
	if (!s->attached && seccomp_filter_untraced_clone(nr, args[0])) {
		struct user_regs_struct r;
		if (ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0) {
			r.rdi &= ~(uint64_t)CLONE_UNTRACED;
			ptrace(PTRACE_SETREGS, tid, NULL, &r);
		}
	}
}

static void on_exec(struct session *s, struct task *t)
{
	/* The exec killed every other thread; the execing one now has the leader's tid. */
	for (size_t i = s->tr.n; i-- > 0;)
		if (!s->tr.v[i].foreign && s->tr.v[i].tid != s->pid)
			tracer_remove(&s->tr, s->tr.v[i].tid);
	t = tracer_find(&s->tr, s->pid);
	if (!t)
		return;
	if (!s->started) {
		if (s->errfd >= 0) {
			close(s->errfd);
			s->errfd = -1;
		}
		start_recording(s, s->pid);
		return;
	}
	char *exe = proc_link(s->pid, "exe");
	bp_forget_all(&s->bps);
	checkpointer_forget_maps(&s->ck);
	if (wire_exec(&s->wire, exe ? exe : "") < 0) {
		free(exe);
		lost_connection(s, strerror(errno));
		return;
	}
	char err[512] = "";
	dirty_set_pid(s->dirty, s->pid);
	if (dirty_reset_after_exec(s->dirty, s->pid, err, sizeof err) < 0) {
		free(exe);
		fatal(s, EXIT_INTERNAL, errno, "dirty page tracking failed after exec: %s", err[0] ? err : strerror(errno));
		return;
	}
	take(s, WIRE_TRIGGER_EXEC, s->pid, 0, NULL);
	if (s->recording && s->bps.n) {
		bp_resolve(&s->bps, s->pid, exe ? exe : "", true, warn_cb, s);
		bp_insert_all(&s->bps, s->pid, warn_cb, s);
	}
	free(exe);
}

/* PTRACE_EVENT_EXIT: the final checkpoint when the whole process is ending, memory still intact. */
static void on_exit_stop(struct session *s, struct task *t)
{
	unsigned long msg = 0;
	pid_t tid = t->tid;
	t->in_exit = true;
	if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) < 0 || !s->started || s->final_taken)
		return;
	int st = (int)msg;
	bool signaled = WIFSIGNALED(st);
	bool final = signaled || tracer_live_threads(&s->tr) == 1;
	if (!final) {
		struct user_regs_struct r;
		final = ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0 && (long)r.orig_rax == SYS_exit_group;
	}
	if (!final)
		return;
	s->final_taken = true;
	/* Every thread reports the group's death: name the one the signal was delivered to. */
	if (signaled && s->last_sig == WTERMSIG(st) && tracer_find(&s->tr, s->last_sig_tid))
		tid = s->last_sig_tid;
	if (signaled)
		take(s, WIRE_TRIGGER_SIGNAL, tid, (uint64_t)WTERMSIG(st), NULL);
	else
		take(s, WIRE_TRIGGER_EXIT, tid, (uint64_t)WEXITSTATUS(st), NULL);
}

/*
 * After a breakpoint checkpoint: put the original byte back, single-step the thread alone
 * (every other thread is still stopped, so none can run past the missing int3), re-arm.
 */
static void step_over(struct session *s, pid_t tid, struct breakpoint *bp)
{
	if (bp_disarm(bp, tid) < 0)
		return;
	bool rearm = true;
	for (;;) {
		int st;
		if (ptrace(PTRACE_SINGLESTEP, tid, NULL, NULL) < 0)
			break;
		pid_t w;
		while ((w = waitpid(tid, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (w < 0)
			break;
		if (!WIFSTOPPED(st)) {
			tracer_on_status(&s->tr, tid, st);
			break;
		}
		int ev = st >> 16, sig = WSTOPSIG(st);
		struct task *t = tracer_find(&s->tr, tid);
		if (!t)
			break;
		t->run = TASK_STOPPED;
		if (ev == 0 && sig == SIGTRAP)
			break; /* stepped */
		if (ev == PTRACE_EVENT_SECCOMP) {
			/* The instruction was a system call: note it, then the next step runs it. */
			struct __ptrace_syscall_info info;
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof info, &info) > 0 &&
			    info.op == PTRACE_SYSCALL_INFO_SECCOMP && s->dirty &&
			    syscall_needs_note((long)info.seccomp.nr, info.seccomp.args))
				dirty_note_syscall(s->dirty, (long)info.seccomp.nr, info.seccomp.args);
			continue;
		}
		if (ev == PTRACE_EVENT_FORK || ev == PTRACE_EVENT_VFORK || ev == PTRACE_EVENT_CLONE) {
			tracer_on_status(&s->tr, tid, st);
			continue;
		}
		if (ev == PTRACE_EVENT_STOP) {
			t->group_stop = tracer_is_group_stop_sig(sig);
			continue;
		}
		if (ev == 0) {
			t->pending_sig = sig; /* delivered at the next resume */
			continue;
		}
		/* exit or exec: handled as the thread's event, after this */
		t->has_event = true;
		t->event = st;
		rearm = ev != PTRACE_EVENT_EXEC;
		break;
	}
	if (rearm && bp_arm(bp, tid) < 0 && errno != ESRCH)
		warnf(s, "cannot re-insert breakpoint %s: %s", bp->spec, strerror(errno));
}

/* A plain SIGTRAP: our int3, or a signal for the program. */
static void on_sigtrap(struct session *s, struct task *t)
{
	struct user_regs_struct r;
	pid_t tid = t->tid;
	struct breakpoint *bp = NULL;
	if (s->bps.n && ptrace(PTRACE_GETREGS, tid, NULL, &r) == 0)
		bp = bp_at(&s->bps, r.rip - 1);
	if (!bp) {
		t->pending_sig = SIGTRAP;
		return;
	}
	r.rip = bp->addr;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		return;
	take(s, WIRE_TRIGGER_BREAKPOINT, tid, bp->addr, NULL);
	if (bp->inserted && tracer_find(&s->tr, tid))
		step_over(s, tid, bp);
}

/* Handles the parked event of a stopped thread of the recorded process. */
static void handle_event(struct session *s, struct task *t)
{
	int st = t->event;
	t->has_event = false;
	if (!s->recording) {
		tracer_passive(&s->tr, t, st);
		return;
	}
	int ev = st >> 16, sig = WSTOPSIG(st);
	switch (ev) {
	case PTRACE_EVENT_SECCOMP:
		on_syscall_stop(s, t);
		return;
	case PTRACE_EVENT_EXEC:
		on_exec(s, t);
		return;
	case PTRACE_EVENT_EXIT:
		on_exit_stop(s, t);
		return;
	case 0:
		if (sig == (SIGTRAP | 0x80))
			on_syscall_stop(s, t);
		else if (sig == SIGTRAP && s->started)
			on_sigtrap(s, t);
		else {
			t->pending_sig = sig;
			s->last_sig = sig;
			s->last_sig_tid = t->tid;
		}
		return;
	default:
		return; /* nothing to do: resumed */
	}
}

/* ---- the end ---- */

/* The leader was reaped (maybe inside tracer_stop_all): ends the stream with EXIT, once. */
static void on_process_gone(struct session *s)
{
	if (s->gone_handled)
		return;
	s->gone_handled = true;
	int st = s->tr.exit_status;
	if (!s->started && !s->attached && s->exit_code == EXIT_OK) {
		const char *step;
		int err;
		const char *prog = s->opt->argv[0];
		if (s->errfd >= 0 && launch_child_error(s->errfd, &step, &err) == 0) {
			if (strcmp(step, "execute") == 0)
				fatal(s, EXIT_CANNOT_RUN, err, "cannot run '%s': %s", prog, strerror(err));
			else if (strcmp(step, "change directory") == 0)
				fatal(s, EXIT_CANNOT_RUN, err, "cannot run '%s': cannot change directory to '%s': %s", prog,
				      s->opt->cwd, strerror(err));
			else
				fatal(s, EXIT_CANNOT_RUN, err, "cannot run '%s': cannot %s: %s", prog, step, strerror(err));
		} else if (WIFSIGNALED(st)) {
			fatal(s, EXIT_CANNOT_RUN, 0, "cannot run '%s': killed by signal %d before it started", prog,
			      WTERMSIG(st));
		} else {
			fatal(s, EXIT_CANNOT_RUN, 0, "cannot run '%s': it exited with status %d before it started", prog,
			      WEXITSTATUS(st));
		}
		s->recording = false;
		return; /* it never ran: no EXIT */
	}
	s->recording = false;
	if (!s->hello_sent)
		return; /* the recording failed before it began (its fatal ERROR says why) */
	if (WIFSIGNALED(st))
		end_stream(s, WIRE_EXIT_SIGNALED, WTERMSIG(st));
	else
		end_stream(s, WIRE_EXIT_EXITED, WEXITSTATUS(st));
}

/* Before letting threads go: a parked int3 hit must be rewound, a parked signal delivered. */
static void settle_parked(struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++) {
		struct task *t = &s->tr.v[i];
		if (t->foreign || t->run != TASK_STOPPED || !t->has_event)
			continue;
		int ev = t->event >> 16, sig = WSTOPSIG(t->event);
		t->has_event = false;
		if (ev == PTRACE_EVENT_EXIT)
			t->in_exit = true;
		if (ev != 0 || sig == (SIGTRAP | 0x80))
			continue;
		struct user_regs_struct r;
		struct breakpoint *bp = NULL;
		if (sig == SIGTRAP && ptrace(PTRACE_GETREGS, t->tid, NULL, &r) == 0 &&
		    (bp = bp_at(&s->bps, r.rip - 1)) != NULL) {
			r.rip = bp->addr;
			ptrace(PTRACE_SETREGS, t->tid, NULL, &r);
			continue;
		}
		t->pending_sig = sig;
	}
}

/* Lets every stopped thread of the program go (a thread that did not stop is detached by the kernel when we exit). */
static void detach_threads(struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++) {
		struct task *t = &s->tr.v[i];
		if (!t->foreign && t->run == TASK_STOPPED)
			ptrace(PTRACE_DETACH, t->tid, NULL, (void *)(long)t->pending_sig);
	}
	tracer_free(&s->tr);
	s->detached = true;
}

/*
 * A process the program created (tracer.h): released at its first stop, so that it runs
 * untraced as it would without us. A forked copy of the memory loses our int3 bytes first.
 */
static bool release_child(void *ctx, struct tracer *tr, struct task *t, int status)
{
	(void)tr;
	struct session *s = ctx;
	pid_t tid = t->tid;
	char err[512];
	bool own_memory = syscall(SYS_kcmp, memory_tid(s), tid, KCMP_VM, 0, 0) > 0;
	if (own_memory && bp_clean_copy(&s->bps, tid) < 0)
		warnf(s, "cannot take the breakpoints out of process %d: %s", tid, strerror(errno));
	if (release_process(&s->rel, tid, err, sizeof err) < 0) {
		warnf(s, "cannot let process %d (a child of the program) go: %s; it stays traced until it ends", tid, err);
		return false;
	}
	int ev = status >> 16, sig = WSTOPSIG(status);
	long deliver = ev == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
	if (ptrace(PTRACE_DETACH, tid, NULL, (void *)deliver) < 0 && errno != ESRCH)
		warnf(s, "cannot detach process %d: %s", tid, strerror(errno));
	LOG_DEBUG("released process %d", tid);
	return true;
}

static void shutdown_recording(struct session *s, enum exit_policy action)
{
	if (s->attached)
		action = EXIT_POLICY_DETACH; /* a program we did not start is always left running */
	bool was_recording = s->recording;
	s->recording = false;
	s->paused = false;
	arm_timer(s, false);
	/* Once only, and never for a process we do not trace (a launch or attach that failed). */
	if (!was_recording || s->pid <= 0 || s->tr.n == 0 || s->tr.process_gone)
		return;
	if (action == EXIT_POLICY_KILL) {
		s->killing = true;
		kill(s->pid, SIGKILL); /* the reap sends EXIT(SIGNALED 9) */
		return;
	}
	/* detach */
	if (tracer_stop_all(&s->tr) < 0 || s->tr.process_gone)
		return;
	settle_parked(s);
	pid_t any = some_thread(s);
	if (bp_remove_all(&s->bps, any) < 0)
		warnf(s, "cannot remove breakpoints: %s", strerror(errno));
	if (s->dirty) {
		dirty_close(s->dirty);
		s->dirty = NULL;
	}
	end_stream(s, WIRE_EXIT_DETACHED, 0);
	if (s->attached) {
		detach_threads(s);
		return;
	}
	/* Launched: our filter stays in the program; keep resuming it until it ends. */
	LOG_DEBUG("passive until %d ends", s->pid);
	tracer_resume_all(&s->tr);
}

/* ---- control, signals, timer ---- */

static void on_control(struct session *s)
{
	struct wire_control_msg msgs[16];
	uint8_t buf[15 * WIRE_HEADER_SIZE];
	ssize_t n = recv(s->out_fd, buf, sizeof buf, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		lost_connection(s, n == 0 ? "closed by the other side" : strerror(errno));
		return;
	}
	int k = wire_read_control(&s->ctl, buf, (size_t)n, msgs, 16);
	if (k < 0) {
		lost_connection(s, "garbage on the control channel");
		return;
	}
	for (int i = 0; i < k && s->recording; i++) {
		switch (msgs[i].type) {
		case WIRE_REQUEST_CHECKPOINT:
			take(s, WIRE_TRIGGER_REQUEST, some_thread(s), 0, NULL);
			resume_world(s);
			break;
		case WIRE_PAUSE:
			if (s->started && !s->paused) {
				if (tracer_stop_all(&s->tr) < 0)
					fatal(s, EXIT_INTERNAL, errno, "cannot stop the program: %s", strerror(errno));
				s->paused = true;
				arm_timer(s, false);
			}
			break;
		case WIRE_RESUME:
			if (s->paused) {
				s->paused = false;
				arm_timer(s, true);
				resume_world(s);
			}
			break;
		case WIRE_STOP:
			shutdown_recording(s, msgs[i].stop_action == 1 ? EXIT_POLICY_KILL : EXIT_POLICY_DETACH);
			break;
		default:
			break;
		}
	}
}

static void on_status(struct session *s, pid_t tid, int st)
{
	struct task *t = tracer_on_status(&s->tr, tid, st);
	if (s->tr.process_gone) {
		on_process_gone(s);
		return;
	}
	if (!t)
		return;
	if (t->has_event)
		handle_event(s, t);
	resume_world(s);
}

/* Handles parked events until none is left (each may take a checkpoint, which may park more). */
static void drain_parked(struct session *s)
{
	struct task *t;
	while (!s->paused && !s->tr.process_gone && (t = tracer_next_event(&s->tr))) {
		handle_event(s, t);
		resume_world(s);
	}
}

static void reap_all(struct session *s)
{
	for (;;) {
		int st;
		pid_t w = waitpid(-1, &st, __WALL | WNOHANG);
		if (w <= 0)
			return;
		on_status(s, w, st);
		if (s->tr.process_gone && s->tr.n == 0)
			return;
	}
}

static bool has_foreign(const struct session *s)
{
	for (size_t i = 0; i < s->tr.n; i++)
		if (s->tr.v[i].foreign)
			return true;
	return false;
}

/* Returns true when the recorder should exit now. */
static bool on_signals(struct session *s)
{
	struct signalfd_siginfo si[8];
	ssize_t n = read(s->sigfd, si, sizeof si);
	for (ssize_t i = 0; i < n / (ssize_t)sizeof si[0]; i++) {
		int sig = (int)si[i].ssi_signo;
		if (sig == SIGCHLD)
			continue;
		if (sig == SIGWINCH) {
			terminal_resize(&s->term); /* our terminal changed size: so does the program's */
			continue;
		}
		if (!s->recording && !s->killing) {
			/* Second request while passive (or detaching): leave; the kernel detaches what is left. */
			if (!s->tr.process_gone || has_foreign(s))
				fprintf(stderr, "delorean-recorder: leaving the program untraced: its traced system calls now fail with ENOSYS\n");
			return true;
		}
		if (sig == SIGINT && !s->sigint_deadline) {
			s->sigint_deadline = now_ns() + SIGINT_GRACE_NS;
			continue;
		}
		shutdown_recording(s, s->policy);
	}
	reap_all(s);
	return false;
}

/* ---- setup ---- */

/* A second task of the program: it may need more than the one CPU it was started on. */
static void unpin_all(void *ctx, struct tracer *tr, pid_t tid)
{
	struct session *s = ctx;
	(void)tid;
	if (!s->place.pinned || s->place.released)
		return;
	s->place.released = true;
	for (size_t i = 0; i < tr->n; i++)
		placement_unpin_task(&s->place, tr->v[i].tid);
	placement_restore_moved(&s->place); /* the program may use every CPU now: DeLorean too */
}

static int launch(struct session *s)
{
	const struct options *o = s->opt;
	const char *prog = o->argv[0];
	if (o->cwd) {
		struct stat st;
		int e = stat(o->cwd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
		if (e) {
			fatal(s, EXIT_CANNOT_RUN, e, "cannot run '%s': cannot change directory to '%s': %s", prog, o->cwd,
			      strerror(e));
			return -1;
		}
	}
	s->path = launch_resolve(prog, o->cwd);
	if (!s->path) {
		int e = errno;
		fatal(s, EXIT_CANNOT_RUN, e, "cannot run '%s': %s", prog, strerror(e));
		return -1;
	}
	char err[512];
	if (bp_check_symbols(&s->bps, s->path, err, sizeof err) < 0) {
		fatal(s, EXIT_USAGE, 0, "%s", err);
		return -1;
	}
	if (seccomp_filter_build(&o->syscalls, SECCOMP_RET_TRACE, &s->filter) < 0 ||
	    seccomp_filter_build(&o->syscalls, SECCOMP_RET_USER_NOTIF, &s->overlay) < 0) {
		fatal(s, EXIT_INTERNAL, errno, "cannot build the seccomp filter: %s", strerror(errno));
		return -1;
	}
	unsigned long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACECLONE |
			     PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACESECCOMP;
	if (s->policy == EXIT_POLICY_KILL)
		opts |= PTRACE_O_EXITKILL;
	struct launch l = { .path = s->path, .argv = o->argv, .cwd = o->cwd, .filter = &s->filter, .ptrace_options = opts };
	struct winsize size = { .ws_col = o->cols, .ws_row = o->rows };
	if (terminal_open(&s->term, &size, err, sizeof err) == 0) {
		l.has_tty = true;
		l.tty_stdin = s->term.in_tty;
		l.tty = s->term.slave;
	} else {
		warnf(s, "%s: the program shares the recorder's terminal and its output is not recorded", err);
	}
	const char *what;
	if (!o->no_pin) {
		placement_pin(&s->place); /* the program inherits the CPU */
		placement_move_off(&s->place, o->move_off_pid);
	}
	placement_realtime(&s->place);
	struct launched started;
	int rc = launch_start(&l, &started, &what);
	if (rc == 0) {
		s->pid = started.pid;
		s->errfd = started.errfd;
		s->shell_fd = started.shell_fd;
	}
	terminal_close_slave(&s->term); /* the child has its copy: the master sees EIO when the program's last one closes */
	if (rc < 0) {
		int e = errno;
		if (e == EPERM)
			fatal(s, EXIT_NOT_PERMITTED, e, "not permitted to trace '%s': %s", prog, strerror(e));
		else
			fatal(s, EXIT_INTERNAL, e, "cannot %s '%s': %s", what, prog, strerror(e));
		return -1;
	}
	s->ck.pid = s->pid;
	tracer_init(&s->tr, s->pid, PTRACE_CONT);
	s->tr.task_added = unpin_all;
	s->tr.task_added_ctx = s;
	releaser_init(&s->rel, &s->overlay);
	s->tr.release = release_child;
	s->tr.release_ctx = s;
	if (!tracer_add(&s->tr, s->pid, false)) {
		fatal(s, EXIT_INTERNAL, ENOMEM, "out of memory");
		return -1;
	}
	s->recording = true;
	return 0;
}

static int attach(struct session *s)
{
	const struct options *o = s->opt;
	placement_realtime(&s->place);
	s->pid = o->attach_pid;
	s->ck.pid = s->pid;
	s->attached = true;
	unsigned long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT | PTRACE_O_TRACECLONE;
	if (s->policy == EXIT_POLICY_KILL)
		opts |= PTRACE_O_EXITKILL;
	/* Every system call stops: syscall triggers and the memory calls the tracker must see. */
	tracer_init(&s->tr, s->pid, PTRACE_SYSCALL);
	char *exe = proc_link(s->pid, "exe");
	char err[512];
	if (exe && *exe && bp_check_symbols(&s->bps, exe, err, sizeof err) < 0) {
		free(exe);
		fatal(s, EXIT_USAGE, 0, "%s", err);
		return -1;
	}
	free(exe);
	if (attach_all(s->pid, opts, &s->tr) < 0) {
		int e = errno;
		for (size_t i = 0; i < s->tr.n; i++)
			ptrace(PTRACE_DETACH, s->tr.v[i].tid, NULL, NULL);
		s->tr.n = 0;
		if (e == EPERM)
			fatal(s, EXIT_NOT_PERMITTED, e,
			      "not permitted to trace process %d: %s (another tracer, another user, or ptrace restrictions)",
			      s->pid, strerror(e));
		else
			fatal(s, EXIT_CANNOT_RUN, e, "cannot attach to process %d: %s", s->pid, strerror(e));
		return -1;
	}
	s->recording = true;
	if (tracer_stop_all(&s->tr) < 0 || s->tr.process_gone) {
		fatal(s, EXIT_CANNOT_RUN, errno, "process %d ended while attaching", s->pid);
		return -1;
	}
	pid_t tid = some_thread(s);
	start_recording(s, tid);
	resume_world(s);
	return 0;
}

int session_run(const struct options *opt, int out_fd, bool is_socket, int sigfd)
{
	struct session ss = { .opt = opt, .out_fd = out_fd, .is_socket = is_socket, .sigfd = sigfd, .timerfd = -1,
			      .rel = { .keeper_sock = -1 },
			      .errfd = -1, .shell_fd = -1 };
	struct session *s = &ss;
	terminal_none(&s->term);
	s->policy = opt->on_exit != EXIT_POLICY_DEFAULT ? opt->on_exit
			: opt->attach_pid		? EXIT_POLICY_DETACH
							: EXIT_POLICY_KILL;
	if (wire_init(&s->wire, out_fd) < 0) {
		fprintf(stderr, "delorean-recorder: out of memory\n");
		return EXIT_INTERNAL;
	}
	s->wire_open = true;
	char err[512];
	if (bp_init(&s->bps, opt->breaks, opt->nbreaks, err, sizeof err) < 0) {
		fatal(s, EXIT_USAGE, EINVAL, "%s", err);
		goto out;
	}
	if (opt->interval_ns) {
		s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (s->timerfd < 0) {
			fatal(s, EXIT_INTERNAL, errno, "cannot create the interval timer: %s", strerror(errno));
			goto out;
		}
	}
	if (checkpointer_init(&s->ck, 0, &s->wire) < 0) {
		fatal(s, EXIT_INTERNAL, ENOMEM, "out of memory");
		goto out;
	}
	if ((opt->attach_pid ? attach(s) : launch(s)) < 0)
		goto out;

	for (;;) {
		if (s->tr.process_gone)
			on_process_gone(s);
		drain_parked(s);
		if (s->detached || (s->tr.process_gone && !has_foreign(s)))
			break;
		struct pollfd pf[5] = { { .fd = s->sigfd, .events = POLLIN },
					{ .fd = s->wire_open && s->is_socket ? s->out_fd : -1, .events = POLLIN },
					{ .fd = s->recording ? s->timerfd : -1, .events = POLLIN },
					{ .fd = -1 },
					{ .fd = -1, .events = POLLIN } };
		terminal_poll_fds(&s->term, &pf[3].fd, &pf[3].events, &pf[4].fd);
		int timeout = -1;
		if (s->sigint_deadline) {
			uint64_t now = now_ns();
			if (now >= s->sigint_deadline) {
				s->sigint_deadline = 0;
				shutdown_recording(s, s->policy);
				continue;
			}
			timeout = (int)((s->sigint_deadline - now) / 1000000u) + 1;
		}
		int n = poll(pf, 5, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fatal(s, EXIT_INTERNAL, errno, "poll: %s", strerror(errno));
			break;
		}
		if (pf[0].revents && on_signals(s))
			break;
		if (pf[1].revents && s->wire_open)
			on_control(s);
		if (pf[2].revents && s->recording) {
			uint64_t expirations;
			if (read(s->timerfd, &expirations, sizeof expirations) > 0) {
				if (s->started && !s->paused) {
					profile_interval_late(s);
					take(s, WIRE_TRIGGER_INTERVAL, some_thread(s), 0, NULL);
					resume_world(s);
				}
				/* Expired again during the checkpoint: a period from now instead. */
				if (s->recording && !s->paused && read(s->timerfd, &expirations, sizeof expirations) > 0)
					arm_timer(s, true);
			}
		}
		if (pf[3].revents)
			terminal_on_master(&s->term, pf[3].revents);
		if (pf[4].revents)
			terminal_on_stdin(&s->term);
		/* Stops may have arrived without a new SIGCHLD being read yet (coalesced). */
		reap_all(s);
	}
out:
	if (s->recording && !s->tr.process_gone)
		shutdown_recording(s, s->policy);
	if (s->wire_open) { /* ended without an EXIT (the program never ran, or we were told to leave) */
		wire_flush(&s->wire);
		close(s->out_fd);
	}
	if (s->dirty)
		dirty_close(s->dirty);
	placement_restore_moved(&s->place);
	checkpointer_free(&s->ck);
	terminal_free(&s->term);
	bp_free(&s->bps);
	seccomp_filter_free(&s->filter);
	seccomp_filter_free(&s->overlay);
	releaser_close(&s->rel);
	tracer_free(&s->tr);
	wire_free(&s->wire);
	for (size_t i = 0; i < s->nearly; i++)
		free(s->early_warnings[i]);
	free(s->early_warnings);
	free(s->path);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->errfd >= 0)
		close(s->errfd);
	if (s->shell_fd >= 0) {
		/* The program is gone; its parent, if the program stopped it, would keep it a zombie: on with it. */
		if (s->tr.process_gone)
			syscall(SYS_pidfd_send_signal, s->shell_fd, SIGCONT, NULL, 0);
		close(s->shell_fd);
	}
	return s->exit_code;
}
