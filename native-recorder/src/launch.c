/*
 * launch.c - starts the program under ptrace, or attaches to a running process.
 *
 * The program's parent is not the recorder but a small process of ours that stands where a
 * shell would (the "shell"): it leads the session of the program's terminal and waits for the
 * program, which runs in the shell's process group, the terminal's foreground group, as under a
 * shell without job control (or rr). So the program leads neither a session nor a group (its
 * setsid() works), and what it does to its parent (stop it, signal it) never reaches the
 * recorder: the shell blocks every signal it can (Ctrl-C on the terminal too), and passes on
 * only the hangup of the terminal, which the kernel sends to the session leader alone. The
 * recorder, the program's grandparent, traces it (a descendant: allowed under Yama's
 * ptrace_scope 1) and learns its exit status as its tracer.
 *
 * Launch handshake (no signals involved, so no group-stop to undo):
 *   recorder: fork .................. read(pid) ........ PTRACE_SEIZE(child) ... write(go) ... wait
 *   shell:         setsid, fork, write(pid), waitpid
 *   child:                     read(go) blocks ................................... setup, execv
 * The child is seized while it blocks on the pipe, so it is traced from its first system
 * call after that, and the seccomp filter it installs is already answered by us. Everything
 * the shell and the child do after fork is async-signal-safe (the filter was built before
 * fork). A failing step is reported through a close-on-exec pipe as {step, errno}, then
 * _exit(127).
 *
 * The shell never execs: once the program is forked, it closes every descriptor.
 * The child must not inherit the recorder's signal state: the recorder blocks SIGCHLD,
 * SIGINT, SIGTERM and SIGHUP (it reads them from a signalfd) and ignores SIGPIPE, and both a
 * blocked mask and ignored dispositions survive exec.
 */
#include "launch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_filter.h"
#include "terminal.h"

enum child_step { STEP_SYNC = 1, STEP_CWD, STEP_SECCOMP, STEP_EXEC, STEP_TTY, STEP_FORK };
static const char *const step_names[] = { "", "wait for the tracer", "change directory", "install the seccomp filter",
					  "execute", "set up its terminal", "fork" };

/* Joins dir and name into a malloc'd path (name alone when dir is NULL or name is absolute). */
static char *join(const char *dir, const char *name)
{
	size_t dl = dir && name[0] != '/' ? strlen(dir) : 0, nl = strlen(name);
	char *p = malloc(dl + 1 + nl + 1);
	if (!p)
		return NULL;
	if (dl) {
		memcpy(p, dir, dl);
		p[dl] = '/';
		memcpy(p + dl + 1, name, nl + 1);
	} else {
		memcpy(p, name, nl + 1);
	}
	return p;
}

/* 0 if path is an executable regular file, else -1 with errno as execve would give it (EISDIR for a directory). */
static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

/* p made absolute against our working directory (the child execs after its chdir). Frees p. */
static char *absolute(char *p)
{
	if (!p || p[0] == '/')
		return p;
	char here[4096];
	char *abs = getcwd(here, sizeof here) ? join(here, p) : NULL;
	free(p);
	return abs;
}

static char *resolve(const char *program, const char *cwd);

char *launch_resolve(const char *program, const char *cwd)
{
	char *p = resolve(program, cwd);
	if (!p)
		return NULL;
	char *abs = absolute(p);
	if (!abs)
		errno = ENOMEM;
	return abs;
}

static char *resolve(const char *program, const char *cwd)
{
	if (!*program) {
		errno = ENOENT;
		return NULL;
	}
	if (strchr(program, '/')) {
		char *p = join(cwd, program);
		if (p && check_exec(p) < 0) {
			int e = errno;
			free(p);
			errno = e;
			return NULL;
		}
		return p;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/bin:/usr/bin";
	int best = ENOENT; /* EACCES/EISDIR if some candidate existed but was not runnable */
	for (const char *p = path;; p++) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *dir = n ? strndup(p, n) : strdup(".");
		char *rel = dir ? join(dir, program) : NULL;
		char *cand = rel ? join(cwd, rel) : NULL;
		free(dir);
		free(rel);
		if (!cand) {
			errno = ENOMEM;
			return NULL;
		}
		struct stat st;
		bool exists = stat(cand, &st) == 0; /* an unsearchable PATH entry counts as "not there" */
		if (exists && check_exec(cand) == 0)
			return cand;
		if (exists && (errno == EACCES || errno == EISDIR))
			best = errno;
		free(cand);
		if (!colon)
			break;
		p = colon;
	}
	errno = best;
	return NULL;
}

static void child_fail(int fd, enum child_step step)
{
	int msg[2] = { (int)step, errno };
	ssize_t k = write(fd, msg, sizeof msg);
	(void)k;
	_exit(127);
}

static void child(const struct launch *l, int syncfd, int errfd)
{
	char go;
	if (read(syncfd, &go, 1) != 1)
		child_fail(errfd, STEP_SYNC); /* the recorder died before seizing us */
	close(syncfd);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (l->has_tty && terminal_child(l->tty, l->tty_stdin) < 0)
		child_fail(errfd, STEP_TTY);
	if (l->cwd && chdir(l->cwd) < 0)
		child_fail(errfd, STEP_CWD);
	if (l->filter && seccomp_filter_install(l->filter) < 0)
		child_fail(errfd, STEP_SECCOMP);
	execv(l->path, l->argv);
	child_fail(errfd, STEP_EXEC);
}

/* The program's parent (see the top of this file). Never returns. */
static void shell(const struct launch *l, int syncfd, int errfd, int pidfd)
{
	if (l->has_tty && (setsid() < 0 || ioctl(l->tty, TIOCSCTTY, 0) < 0))
		child_fail(errfd, STEP_TTY);
	pid_t c = fork();
	if (c < 0)
		child_fail(errfd, STEP_FORK);
	if (c == 0) {
		close(pidfd);
		child(l, syncfd, errfd);
	}
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	ssize_t k = write(pidfd, &c, sizeof c);
	(void)k; /* a recorder that is gone is seen by the program (its read of the go pipe ends) */
	/* We never exec: nothing of the recorder's may stay open here (its socket, its end of the pty,
	 * its stdio to DeLorean), or DeLorean would not see the recorder go, nor the pty hang up. */
	syscall(SYS_close_range, 0u, ~0u, 0u);
	sigset_t wake;
	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, SIGHUP);
	int st = 0;
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&wake, &si) < 0)
			continue;
		/* Our terminal hung up (the kernel tells only the session leader): pass it on, as a shell does. */
		if (si.si_signo == SIGHUP && si.si_code == SI_KERNEL)
			kill(0, SIGHUP);
		if (waitpid(c, &st, WNOHANG) == c)
			break;
	}
	_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
}

int launch_start(const struct launch *l, struct launched *out, const char **what)
{
	int sync[2] = { -1, -1 }, errp[2] = { -1, -1 }, pidp[2] = { -1, -1 };
	pid_t sh = -1, c = -1;
	out->shell_fd = -1;
	*what = "create a pipe";
	if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(pidp, O_CLOEXEC) < 0)
		goto err;
	*what = "fork";
	sh = fork();
	if (sh < 0)
		goto err;
	if (sh == 0) {
		close(sync[1]);
		close(errp[0]);
		close(pidp[0]);
		shell(l, sync[0], errp[1], pidp[1]);
	}
	out->shell_fd = (int)syscall(SYS_pidfd_open, sh, 0); /* our child: it cannot be reaped before this */
	close(sync[0]);
	close(errp[1]);
	close(pidp[1]);
	sync[0] = errp[1] = pidp[1] = -1;
	ssize_t k;
	while ((k = read(pidp[0], &c, sizeof c)) < 0 && errno == EINTR)
		;
	if (k != (ssize_t)sizeof c) { /* the shell failed: its step and errno are on the error pipe */
		c = -1;
		int e = ECHILD;
		if (launch_child_error(errp[0], what, &e) < 0)
			*what = "fork";
		errno = e;
		goto err;
	}
	*what = "trace";
	if (ptrace(PTRACE_SEIZE, c, NULL, (void *)l->ptrace_options) < 0)
		goto err;
	*what = "start";
	if (write(sync[1], "g", 1) != 1)
		goto err;
	close(sync[1]);
	close(pidp[0]);
	out->pid = c;
	out->errfd = errp[0];
	return 0;
err:;
	int e = errno;
	if (c > 0)
		kill(c, SIGKILL);
	if (sh > 0) {
		kill(sh, SIGKILL);
		waitpid(sh, NULL, 0);
	}
	if (out->shell_fd >= 0)
		close(out->shell_fd);
	out->shell_fd = -1;
	for (int i = 0; i < 2; i++) {
		if (sync[i] >= 0)
			close(sync[i]);
		if (errp[i] >= 0)
			close(errp[i]);
		if (pidp[i] >= 0)
			close(pidp[i]);
	}
	errno = e;
	return -1;
}

int launch_child_error(int errfd, const char **step, int *err)
{
	int msg[2];
	if (read(errfd, msg, sizeof msg) != (ssize_t)sizeof msg || msg[0] < STEP_SYNC || msg[0] > STEP_FORK)
		return -1;
	*step = step_names[msg[0]];
	*err = msg[1];
	return 0;
}

/* True when /proc/TID/status names us as the tracer. */
static bool traced_by_us(pid_t tid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", tid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ours = false;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "TracerPid:", 10) == 0)
			ours = atoi(line + 10) == getpid();
	fclose(f);
	return ours;
}

int attach_all(pid_t pid, unsigned long ptrace_options, struct tracer *tr)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	bool added;
	do {
		added = false;
		DIR *d = opendir(path);
		if (!d) {
			if (errno == ENOENT)
				errno = ESRCH;
			return -1;
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			pid_t tid = (pid_t)atoi(de->d_name);
			if (tid <= 0 || tracer_find(tr, tid))
				continue;
			if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)ptrace_options) < 0) {
				if (errno == ESRCH && tid != pid)
					continue; /* exited meanwhile */
				/* A thread created since our last pass by a seized one is already ours. */
				if (!(errno == EPERM && tid != pid && traced_by_us(tid))) {
					int e = errno;
					closedir(d);
					errno = e;
					return -1;
				}
			}
			if (!tracer_add(tr, tid, false)) {
				closedir(d);
				errno = ENOMEM;
				return -1;
			}
			added = true;
		}
		closedir(d);
	} while (added);
	return 0;
}
