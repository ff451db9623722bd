/*
 * tracer.c - the table of traced tasks, and stopping / resuming them (see tracer.h for the
 * state diagram and invariants).
 *
 * Classification of a wait status (status >> 8 is the "stop word"):
 *   SIGTRAP | PTRACE_EVENT_STOP << 8      our interrupt, a new task's first stop (SIGTRAP),
 *                                          or a group-stop (SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU)
 *   SIGTRAP | PTRACE_EVENT_{FORK,VFORK,CLONE} << 8
 *                                          a new task: added here, never shown to the session
 *   other events, SIGTRAP | 0x80 (syscall stop), plain signals
 *                                          parked for the session
 * A new task may report its first stop before its creator reports the creation event; then
 * it is first seen as an unknown tid, and /proc/PID/task tells whether it is a thread of the
 * recorded process or a new process.
 */
#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* While stopping everyone: how often to look for threads that died unseen, and when to give up on one. */
#define STOP_CHECK_NS (20ull * 1000 * 1000)
#define STOP_GIVE_UP_NS (2000ull * 1000 * 1000)

static uint64_t now_ns(void);

void tracer_init(struct tracer *tr, pid_t pid, int resume_req)
{
	memset(tr, 0, sizeof *tr);
	tr->pid = pid;
	tr->resume_req = resume_req;
}

void tracer_free(struct tracer *tr)
{
	free(tr->v);
	tr->v = NULL;
	tr->n = tr->cap = 0;
}

struct task *tracer_find(struct tracer *tr, pid_t tid)
{
	for (size_t i = 0; i < tr->n; i++)
		if (tr->v[i].tid == tid)
			return &tr->v[i];
	return NULL;
}

struct task *tracer_add(struct tracer *tr, pid_t tid, bool foreign)
{
	if (tr->n == tr->cap) {
		size_t cap = tr->cap ? tr->cap * 2 : 16;
		struct task *v = realloc(tr->v, cap * sizeof *v);
		if (!v)
			return NULL;
		tr->v = v;
		tr->cap = cap;
	}
	size_t at = tr->n;
	if (tid == tr->pid && !foreign && tr->n > 0) { /* the leader goes first */
		memmove(&tr->v[1], &tr->v[0], tr->n * sizeof tr->v[0]);
		at = 0;
	}
	tr->n++;
	struct task *t = &tr->v[at];
	memset(t, 0, sizeof *t);
	t->tid = tid;
	t->run = TASK_RUNNING;
	t->foreign = foreign;
	if (tr->n > 1 && tr->task_added) {
		tr->task_added(tr->task_added_ctx, tr, tid);
		t = tracer_find(tr, tid); /* the callback must not change the table, but be safe */
	}
	return t;
}

void tracer_remove(struct tracer *tr, pid_t tid)
{
	struct task *t = tracer_find(tr, tid);
	if (!t)
		return;
	size_t i = (size_t)(t - tr->v);
	memmove(&tr->v[i], &tr->v[i + 1], (tr->n - i - 1) * sizeof tr->v[0]);
	tr->n--;
}

size_t tracer_live_threads(const struct tracer *tr)
{
	size_t n = 0;
	for (size_t i = 0; i < tr->n; i++)
		n += !tr->v[i].foreign && tr->v[i].run != TASK_EXITING;
	return n;
}

bool tracer_is_group_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Is tid a thread of the recorded process? (For a task seen before its creation event.) */
static bool is_our_thread(const struct tracer *tr, pid_t tid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d", tr->pid, tid);
	return access(path, F_OK) == 0;
}

/* Does /proc/TID/status name us as its tracer? */
static bool traced_by_us(pid_t tid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/status", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nTracerPid:");
	return p && atoi(p + 11) == getpid();
}

/* A creation event: adds the new task (unless its first stop already added it). */
static void on_new_task(struct tracer *tr, struct task *parent, int event)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, NULL, &msg) < 0)
		return;
	pid_t child = (pid_t)msg;
	if (tracer_find(tr, child) || !traced_by_us(child))
		return; /* seen already, or its first stop came first and it was released */
	bool foreign = parent->foreign || event != PTRACE_EVENT_CLONE || !is_our_thread(tr, child);
	pid_t ptid = parent->tid; /* tracer_add may move the table */
	tracer_add(tr, child, foreign);
	LOG_DEBUG("task %d created by %d (%s)", child, ptid, foreign ? "foreign" : "thread");
	/*
	 * A new process is released before its creator runs on: the program may ptrace its child
	 * as soon as fork returns. Its first stop is due at once (it may also be its death).
	 */
	if (foreign && tr->release) {
		int st;
		pid_t w;
		while ((w = waitpid(child, &st, __WALL)) < 0 && errno == EINTR)
			;
		if (w == child)
			tracer_on_status(tr, child, st);
	}
}

void tracer_resume(struct tracer *tr, struct task *t)
{
	if (t->run != TASK_STOPPED)
		return;
	long rc;
	if (t->group_stop) {
		rc = ptrace(PTRACE_LISTEN, t->tid, NULL, NULL);
	} else {
		int req = t->foreign ? PTRACE_CONT : t->watch_exit ? PTRACE_SYSCALL : tr->resume_req;
		t->watch_exit = false;
		rc = ptrace((enum __ptrace_request)req, t->tid, NULL, (void *)(long)t->pending_sig);
		if (rc == 0)
			t->pending_sig = 0;
	}
	if (rc < 0) {
		/* ESRCH: killed while stopped (SIGKILL ends a ptrace-stop); its death is reported later. */
		if (errno != ESRCH)
			LOG_WARN("cannot resume task %d: %s", t->tid, strerror(errno));
		t->run = TASK_EXITING;
		return;
	}
	t->group_stop = false;
	t->run = t->in_exit ? TASK_EXITING : TASK_RUNNING;
	t->resumed_ns = now_ns();
}

void tracer_resume_all(struct tracer *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		struct task *t = &tr->v[i];
		if (!t->foreign && t->run == TASK_STOPPED && !t->has_event)
			tracer_resume(tr, t);
	}
}

struct task *tracer_next_event(struct tracer *tr)
{
	for (size_t i = 0; i < tr->n; i++)
		if (!tr->v[i].foreign && tr->v[i].run == TASK_STOPPED && tr->v[i].has_event)
			return &tr->v[i];
	return NULL;
}

void tracer_passive(struct tracer *tr, struct task *t, int status)
{
	int sig = WSTOPSIG(status), event = status >> 16;
	t->run = TASK_STOPPED;
	t->has_event = false;
	if (event == PTRACE_EVENT_STOP) {
		t->group_stop = tracer_is_group_stop_sig(sig);
	} else if (event == PTRACE_EVENT_EXIT) {
		t->in_exit = true;
	} else if (event == 0 && sig != (SIGTRAP | 0x80)) {
		t->pending_sig = sig; /* a signal-delivery-stop: deliver it */
	}
	tracer_resume(tr, t);
}

/*
 * A thread at PTRACE_EVENT_EXIT because another thread of its process is in execve: the exec
 * kills every other thread with SIGKILL and waits until they are gone, so holding this stop
 * would hold the exec (and anyone stopping all threads would wait for it in vain).
 */
static bool killed_by_exec(const struct tracer *tr, const struct task *t)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, t->tid, NULL, &msg) < 0 || !WIFSIGNALED((int)msg) || WTERMSIG((int)msg) != SIGKILL)
		return false;
	for (size_t i = 0; i < tr->n; i++) {
		const struct task *o = &tr->v[i];
		if (o->foreign || o->tid == t->tid || o->run == TASK_EXITING)
			continue;
		char path[64], buf[32];
		snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", tr->pid, o->tid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		long nr = strtol(buf, NULL, 10);
		if (nr == SYS_execve || nr == SYS_execveat)
			return true;
	}
	return false;
}

struct task *tracer_on_status(struct tracer *tr, pid_t tid, int status)
{
	struct task *t = tracer_find(tr, tid);
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		if (tid == tr->pid && (!t || !t->foreign)) {
			tr->process_gone = true;
			tr->exit_status = status;
			/* The leader is reaped last: no thread of the process is left. */
			for (size_t i = tr->n; i-- > 0;)
				if (!tr->v[i].foreign)
					tracer_remove(tr, tr->v[i].tid);
		} else if (t) {
			tracer_remove(tr, tid);
		}
		return NULL;
	}
	if (!WIFSTOPPED(status))
		return NULL;
	if (!t) {
		t = tracer_add(tr, tid, !is_our_thread(tr, tid));
		if (!t) {
			LOG_WARN("out of memory tracking task %d", tid);
			return NULL;
		}
	}
	int event = status >> 16;
	if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
		t->run = TASK_STOPPED;
		pid_t ptid = t->tid;
		on_new_task(tr, t, event);
		t = tracer_find(tr, ptid);
		if (t->foreign) {
			tracer_resume(tr, t);
			return NULL;
		}
		return t;
	}
	int sig = WSTOPSIG(status);
	if (event == PTRACE_EVENT_EXEC && !t->foreign) {
		t->in_exit = t->group_stop = false; /* a thread's exec took the leader's tid: a new life for it */
		tr->exec_pending = false;
	}
	if (event == PTRACE_EVENT_EXIT && !t->foreign && killed_by_exec(tr, t)) {
		t->run = TASK_STOPPED;
		t->in_exit = true;
		tracer_resume(tr, t); /* the exec waits for it to die */
		tr->exec_pending = true;
		return NULL;
	}
	/*
	 * Our PTRACE_INTERRUPT crossed this seccomp stop (sent while the thread was entering it):
	 * the stop consumed the interrupt but left TIF_SIGPENDING set, so the call may now fail
	 * with -ERESTARTSYS at once (a write(2) to a terminal always does) and be issued again with
	 * no stop in between, which would look like a second call. Resuming it once with
	 * PTRACE_SYSCALL shows how it ends: restart_fixup notes a restart at its exit stop.
	 */
	if (event == PTRACE_EVENT_SECCOMP && t->interrupted)
		t->watch_exit = true;
	t->interrupted = false;
	if ((event == PTRACE_EVENT_STOP && !tracer_is_group_stop_sig(sig)) || (event == 0 && sig != SIGTRAP))
		restart_fixup(tid, &t->restart, t->resumed_ns, now_ns()); /* a vanished thread is reported later */
	if (t->foreign) {
		/* Not from a system call stop: the call would run again through the new filter, unseen. */
		bool releasable = (event == PTRACE_EVENT_STOP && !tracer_is_group_stop_sig(sig)) ||
				  (event == 0 && sig != (SIGTRAP | 0x80));
		if (tr->release && !t->release_tried && releasable) {
			t->release_tried = true;
			t->run = TASK_STOPPED;
			if (tr->release(tr->release_ctx, tr, t, status)) {
				tracer_remove(tr, tid);
				return NULL;
			}
			t = tracer_find(tr, tid);
		}
		tracer_passive(tr, t, status);
		return NULL;
	}
	t->run = TASK_STOPPED;
	if (event == PTRACE_EVENT_STOP) {
		if (tracer_is_group_stop_sig(sig))
			t->group_stop = true;
		return t;
	}
	t->has_event = true;
	t->event = status;
	return t;
}

/* The scheduler state letter of a task ('R', 'S', 'D', 't', 'Z', ...), or 0 when it is gone. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')'); /* the name may contain anything */
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t count_waited(const struct tracer *tr)
{
	size_t n = 0;
	for (size_t i = 0; i < tr->n; i++)
		n += !tr->v[i].foreign && tr->v[i].run == TASK_RUNNING && !tr->v[i].late;
	return n;
}

int tracer_stop_all(struct tracer *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		struct task *t = &tr->v[i];
		t->late = false;
		if (t->foreign || t->run != TASK_RUNNING)
			continue;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0)
			t->run = TASK_EXITING; /* gone: its death is reported later */
		else
			t->interrupted = true;
	}
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	uint64_t start = now_ns(), next_check = start + STOP_CHECK_NS;
	/* An exec under way is waited for too: memory read before its event would be the old image's. */
	while (count_waited(tr) > 0 || (tr->exec_pending && !tr->process_gone && now_ns() - start < STOP_GIVE_UP_NS)) {
		int status;
		pid_t w = waitpid(-1, &status, __WALL | WNOHANG);
		if (w > 0) {
			tracer_on_status(tr, w, status);
			continue;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD) { /* nothing traced is left */
				tr->process_gone = true;
				for (size_t i = tr->n; i-- > 0;)
					tracer_remove(tr, tr->v[i].tid);
				return 0;
			}
			return -1;
		}
		/* Nothing yet: sleep until the next SIGCHLD (the caller blocks it) or a short timeout. */
		struct timespec ts = { 0, 2 * 1000 * 1000 };
		sigtimedwait(&chld, NULL, &ts);
		uint64_t now = now_ns();
		if (now < next_check)
			continue;
		next_check = now + STOP_CHECK_NS;
		/* A thread that does not stop is dead (its report may wait for the others), or stuck in the kernel. */
		for (size_t i = 0; i < tr->n; i++) {
			struct task *t = &tr->v[i];
			if (t->foreign || t->run != TASK_RUNNING || t->late)
				continue;
			char st = task_state(tr->pid, t->tid);
			if (st == 0 || st == 'Z' || st == 'X') {
				t->run = TASK_EXITING;
			} else if (now - start >= STOP_GIVE_UP_NS) {
				t->late = true;
				LOG_WARN("thread %d did not stop within %llu ms (state %c); left out of this checkpoint", t->tid,
					 (unsigned long long)(STOP_GIVE_UP_NS / 1000000u), st);
			}
		}
	}
	return 0;
}
