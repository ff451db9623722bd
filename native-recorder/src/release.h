/*
 * release.h - letting a process go although it carries our seccomp filter.
 *
 * A launched program runs under a filter whose SECCOMP_RET_TRACE fails the traced calls with
 * ENOSYS when no tracer with PTRACE_O_TRACESECCOMP is attached, and a filter can never be
 * removed; every process the program forks inherits it. To release such a process (a child
 * of the program) we stack a second filter on it, the
 * same program with SECCOMP_RET_USER_NOTIF instead of TRACE: that action takes precedence
 * over TRACE, so its traced calls now wait for the filter's listener, which answers every
 * notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE (the call runs as if unfiltered). Then
 * we detach: the process is no longer traced (it may be ptraced by its own parent, call
 * PTRACE_TRACEME, outlive the recording), and its children inherit both filters.
 *
 * The listeners are served by the keeper, a small process of our own started at the first
 * release (forked twice, so it is nobody's traced child and outlives the recorder): it holds
 * every listener, answers, and ends once the recorder is gone and every process using its
 * filters has ended. A keeper that cannot be started, or a release that fails, leaves the
 * process traced (passively) as before.
 */
#ifndef DL_RELEASE_H
#define DL_RELEASE_H

#include <linux/filter.h>
#include <sys/types.h>

struct releaser {
	const struct sock_fprog *overlay; /* the USER_NOTIF twin of the launch filter */
	int keeper_sock;                  /* to the keeper (SCM_RIGHTS), -1 until it is started */
};

void releaser_init(struct releaser *r, const struct sock_fprog *overlay);
/* Closes our end: the keeper ends once its listeners are done. */
void releaser_close(struct releaser *r);

/*
 * Prepares the single-threaded process tid for release: it must be in a ptrace-stop of ours
 * that is not a system call stop (the interrupted call would run again through the new filter
 * unseen by us, and the injection could not return to the same stop). On success the caller
 * detaches it. Returns 0, or -1 with errno and a one-line reason in err.
 */
int release_process(struct releaser *r, pid_t tid, char *err, size_t errlen);

#endif
