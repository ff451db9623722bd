/*
 * tracer.h - the traced tasks and the mechanics of stopping and resuming them.
 *
 * Every task we trace has an entry: the threads of the recorded process (its thread-group
 * id is tracer.pid; the leader is kept first) and, when we launched the program, the
 * processes it forks ("foreign" tasks). Those inherit our seccomp filter, whose
 * SECCOMP_RET_TRACE would fail their system calls with ENOSYS if nobody traced them: at their
 * first stop they are offered to tr->release (release.h), and until then, or if that fails,
 * traced passively: every stop is resumed at once, signals delivered, nothing recorded.
 *
 * States of a task (PTRACE_SEIZE semantics throughout):
 *
 *      clone event / first sight            resume (CONT, SYSCALL or LISTEN)
 *   (new) --> RUNNING --------stop--> STOPPED --------------------------> RUNNING
 *                                        |   ^                               |
 *                                        |   +----stop (event, interrupt)----+
 *                                        | resume from PTRACE_EVENT_EXIT
 *                                        v
 *                                     EXITING --reaped--> (entry removed)
 *
 * Every stop but a group-stop or a seccomp stop first goes through restart_fixup (restart.h):
 * the few calls Linux ends with EINTR when a tracer stops the thread are made to restart.
 *
 * A stop that needs the session's attention (a system call, an exec, an exit, a signal, a
 * breakpoint, a new task) is parked in the entry (has_event/event) and the task stays
 * STOPPED until the session handled it. Stops that need nothing (the answer to our
 * PTRACE_INTERRUPT, a new thread's first stop, a group-stop) are consumed here.
 *
 * PTRACE_INTERRUPT is sent to every running thread at each stop-all, never remembered: any
 * ptrace-stop clears a pending interrupt in the kernel ("any trap clears pending STOP trap"),
 * so a thread that answers with another stop (a system call) owes no later interrupt-stop,
 * and one that was already stopping when interrupted may still deliver a late one, which is
 * consumed like any other plain PTRACE_EVENT_STOP.
 *
 * Invariant: a task is STOPPED exactly when it is in a ptrace-stop we have not resumed;
 * only then may its registers or memory be touched. Not thread-safe (ptrace is per-thread
 * anyway: only the thread that seized a task may use it).
 */
#ifndef DL_TRACER_H
#define DL_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "restart.h"

enum task_run { TASK_RUNNING, TASK_STOPPED, TASK_EXITING };

struct task {
	pid_t tid;
	enum task_run run;
	bool foreign;        /* not a thread of the recorded process: traced passively */
	bool group_stop;     /* stopped in a group-stop: resume with PTRACE_LISTEN */
	bool in_exit;        /* stopped at PTRACE_EVENT_EXIT: resuming it lets it die */
	bool late;           /* did not stop within the last stop-all's limit: left out (still RUNNING) */
	int pending_sig;     /* signal to deliver when resumed */
	bool has_event;      /* a stop the session has not handled yet */
	int event;           /* its wait status */
	uint64_t resumed_ns; /* CLOCK_MONOTONIC of its last resume (0: never), for restart.c */
	bool interrupted;    /* sent PTRACE_INTERRUPT by this stop-all, no stop seen since */
	bool watch_exit;     /* resume once with PTRACE_SYSCALL (see tracer_on_status) */
	bool release_tried;  /* foreign: tr->release was offered this task once */
	struct restart_state restart;
};

struct tracer {
	pid_t pid; /* the recorded process */
	struct task *v;
	size_t n, cap;
	int resume_req;      /* PTRACE_CONT, or PTRACE_SYSCALL (attach mode with system call triggers) */
	bool process_gone;   /* the recorded process's leader was reaped */
	int exit_status;     /* its wait status */
	bool exec_pending;   /* a thread is in execve, the others were let die: its EXEC stop is due */
	/* Called after a task joins beside the first one (a thread or a child process), if set. */
	void (*task_added)(void *ctx, struct tracer *tr, pid_t tid);
	void *task_added_ctx;
	/*
	 * Offered every foreign task once, at its first stop that allows it (its first stop, an
	 * interrupt or a signal; not a system call, exit or group-stop): returns true when the task's process was let go (detached, the stop's
	 * signal delivered); it then leaves the table. If unset or false, it is traced passively.
	 */
	bool (*release)(void *ctx, struct tracer *tr, struct task *t, int status);
	void *release_ctx;
};

void tracer_init(struct tracer *tr, pid_t pid, int resume_req);
void tracer_free(struct tracer *tr);

struct task *tracer_find(struct tracer *tr, pid_t tid);
/* Adds a task (RUNNING). Returns NULL on allocation failure. The leader is kept at index 0. */
struct task *tracer_add(struct tracer *tr, pid_t tid, bool foreign);
void tracer_remove(struct tracer *tr, pid_t tid);
/* Live (not EXITING) threads of the recorded process. */
size_t tracer_live_threads(const struct tracer *tr);

/*
 * Takes one wait status into the table: reaps, consumes trivial stops, handles foreign tasks
 * passively (resumed at once), parks everything else as the task's event. Returns the task
 * when it is a thread of the recorded process now STOPPED (with or without an event), else
 * NULL (check process_gone).
 */
struct task *tracer_on_status(struct tracer *tr, pid_t tid, int status);

/*
 * Brings every thread of the recorded process into a ptrace-stop (PTRACE_INTERRUPT, then
 * waits). Stops that carry an event are parked. A thread that does not stop is looked at
 * every 20 ms: dead (zombie, gone) ones are marked EXITING; one still running after 2 s (stuck
 * in the kernel, e.g. a core dump waiting for threads we hold) is marked late and left out,
 * so a stop-all never hangs. The caller must block SIGCHLD (it is waited for with
 * sigtimedwait). Returns 0 (also when the process died meanwhile: check process_gone), or -1
 * with errno on a wait failure.
 */
int tracer_stop_all(struct tracer *tr);

/*
 * Resumes one STOPPED task the way its stop requires (LISTEN for a group-stop, else
 * resume_req with its pending signal). A task that vanished meanwhile is marked EXITING.
 */
void tracer_resume(struct tracer *tr, struct task *t);
/* Resumes every STOPPED thread of the recorded process that has no parked event. */
void tracer_resume_all(struct tracer *tr);
/* A STOPPED thread with a parked event, or NULL. */
struct task *tracer_next_event(struct tracer *tr);

/* Passive handling of one stop (foreign tasks; the recorded process after a detach). */
void tracer_passive(struct tracer *tr, struct task *t, int status);

/* True for the stop signals whose PTRACE_EVENT_STOP is a group-stop. */
bool tracer_is_group_stop_sig(int sig);

#endif
