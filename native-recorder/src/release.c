/*
 * release.c - the USER_NOTIF overlay filter and its keeper (see release.h).
 *
 * Installing the overlay in a stopped process: its BPF program is written just below the
 * red zone under the thread's stack pointer (the bytes there are saved and put back), the
 * thread runs seccomp(SET_MODE_FILTER, NEW_LISTENER) (remote.c), the listener it gets is
 * copied to us with pidfd_getfd and closed in the process, then passed to the keeper.
 *
 * The keeper: poll() over its socket from the recorder and every listener. A notification is
 * answered CONTINUE at once; a listener whose filter has no user left (POLLHUP) is closed; it
 * exits when the recorder's end is closed and no listener is left. It runs with the default
 * scheduling class on every CPU, in its own session, its standard fds on /dev/null.
 */
#include "release.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "remote.h"
#include "seccomp_filter.h"

/* Below the x86-64 red zone, with room to spare for a signal frame the kernel might build. */
#define STACK_GAP 1024

void releaser_init(struct releaser *r, const struct sock_fprog *overlay)
{
	r->overlay = overlay;
	r->keeper_sock = -1;
}

void releaser_close(struct releaser *r)
{
	if (r->keeper_sock >= 0)
		close(r->keeper_sock);
	r->keeper_sock = -1;
}

/* One listener's notification: let the call run as if no filter had stopped it. */
static void answer(int fd)
{
	struct seccomp_notif req;
	memset(&req, 0, sizeof req);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return; /* EINTR, or the caller died meanwhile (ENOENT) */
	struct seccomp_notif_resp resp = { .id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	if (seccomp_filter_hidden(req.data.nr, req.data.args[0], (pid_t)req.pid, 2))
		resp.flags = 0; /* returns 0: no filter, as far as the program knows */
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

/* A listener from the recorder (SCM_RIGHTS), or -1 when the recorder closed its end. */
static int receive_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n < 0 && errno == EINTR ? -2 : -1;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	if (!h || h->cmsg_type != SCM_RIGHTS)
		return -2;
	int fd;
	memcpy(&fd, CMSG_DATA(h), sizeof fd);
	return fd;
}

static void __attribute__((noreturn)) keeper_main(int sock)
{
	setsid();
	prctl(PR_SET_NAME, "delorean-keeper");
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sched_param sp = { 0 };
	sched_setscheduler(0, SCHED_OTHER, &sp);
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof all, &all);
	int null = open("/dev/null", O_RDWR);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
	if (dup2(sock, 3) < 0)
		_exit(1);
	syscall(SYS_close_range, 4u, ~0u, 0u);
	sock = 3;

	size_t n = 1, cap = 16;
	struct pollfd *pf = malloc(cap * sizeof *pf);
	if (!pf)
		_exit(1);
	pf[0] = (struct pollfd){ .fd = sock, .events = POLLIN };
	for (;;) {
		if (pf[0].fd < 0 && n == 1)
			_exit(0);
		if (poll(pf, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (size_t i = n; i-- > 1;) {
			if (pf[i].revents & POLLIN)
				answer(pf[i].fd);
			else if (pf[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				close(pf[i].fd);
				pf[i] = pf[--n];
			}
		}
		if (pf[0].revents) {
			int fd = receive_fd(sock);
			if (fd == -1) {
				close(sock);
				pf[0].fd = -1;
			} else if (fd >= 0) {
				if (n == cap) {
					struct pollfd *v = realloc(pf, (cap *= 2) * sizeof *pf);
					if (!v)
						_exit(1);
					pf = v;
				}
				pf[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			}
		}
	}
}

static int start_keeper(struct releaser *r)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid_t mid = fork();
	if (mid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (mid == 0) {
		close(sv[0]);
		if (fork() == 0)
			keeper_main(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	int st;
	while (waitpid(mid, &st, __WALL) < 0 && errno == EINTR)
		;
	r->keeper_sock = sv[0];
	return 0;
}

static int send_fd(int sock, int fd)
{
	char byte = 'L';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c;
	memset(&c, 0, sizeof c);
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = sizeof c.buf };
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* struct sock_fprog as the tracee sees it (x86-64), followed by the instructions. */
struct remote_fprog {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

int release_process(struct releaser *r, pid_t tid, char *err, size_t errlen)
{
	if (r->keeper_sock < 0 && start_keeper(r) < 0) {
		snprintf(err, errlen, "cannot start the keeper process: %s", strerror(errno));
		return -1;
	}
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs) < 0) {
		snprintf(err, errlen, "cannot read its registers: %s", strerror(errno));
		return -1;
	}
	size_t code = r->overlay->len * sizeof(struct sock_filter), size = sizeof(struct remote_fprog) + code;
	uint64_t at = (regs.rsp - STACK_GAP - size) & ~15ull;
	uint8_t *saved = malloc(size), *image = malloc(size);
	if (!saved || !image) {
		free(saved);
		free(image);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	struct remote_fprog hdr = { .len = r->overlay->len, .filter = at + sizeof hdr };
	memcpy(image, &hdr, sizeof hdr);
	memcpy(image + sizeof hdr, r->overlay->filter, code);
	struct iovec local = { saved, size }, remote = { (void *)(uintptr_t)at, size };
	int rc = -1;
	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)size) {
		snprintf(err, errlen, "cannot read its stack: %s", strerror(errno));
		goto out;
	}
	local.iov_base = image;
	if (process_vm_writev(tid, &local, 1, &remote, 1, 0) != (ssize_t)size) {
		snprintf(err, errlen, "cannot write its stack: %s", strerror(errno));
		goto out;
	}
	uint64_t args[6] = { SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, at };
	int64_t fd = -1;
	int injected = remote_syscall(tid, SYS_seccomp, args, &fd);
	int e = errno;
	local.iov_base = saved;
	process_vm_writev(tid, &local, 1, &remote, 1, 0);
	if (injected < 0 || fd < 0) {
		errno = injected < 0 ? e : (int)-fd;
		snprintf(err, errlen, "cannot add a filter: %s", strerror(errno));
		goto out;
	}
	/* From here on the process depends on the listener: it must reach the keeper. */
	int pidfd = (int)syscall(SYS_pidfd_open, tid, 0);
	int ours = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0);
	e = errno;
	if (pidfd >= 0)
		close(pidfd);
	/* The keeper first: the close below is itself a call the new filter may stop. */
	if (ours < 0) {
		errno = e;
		snprintf(err, errlen, "cannot take its filter's listener: %s", strerror(e));
	} else if ((rc = send_fd(r->keeper_sock, ours)) < 0) {
		snprintf(err, errlen, "cannot hand the listener to the keeper: %s", strerror(errno));
	}
	if (ours >= 0)
		close(ours);
	uint64_t cargs[6] = { (uint64_t)fd };
	int64_t ignored;
	remote_syscall(tid, SYS_close, cargs, &ignored);
out:
	free(saved);
	free(image);
	return rc;
}
