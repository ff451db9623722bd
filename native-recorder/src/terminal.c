/*
 * terminal.c - the launched program's pty and its relay (see terminal.h).
 */
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"

#define READ_CHUNK 65536u

void terminal_none(struct terminal *t)
{
	memset(t, 0, sizeof *t);
	t->master = t->slave = t->in_fd = t->out_fd = -1;
}

/* True when fd is a terminal whose foreground process group is ours (touching it will not stop us). */
static bool own_terminal(int fd)
{
	if (!isatty(fd))
		return false;
	pid_t fg = tcgetpgrp(fd);
	return fg < 0 || fg == getpgrp(); /* no job control on it (fg < 0): nothing can stop us */
}

/* fd moved above 0-2 when one of ours was closed (so it cannot pose as stdin/stdout, and the child's dup2 onto 0-2 copies it). */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > STDERR_FILENO)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	int e = errno;
	close(fd);
	errno = e;
	return high;
}

int terminal_open(struct terminal *t, const struct winsize *size, char *err, size_t errlen)
{
	terminal_none(t);
	if (size)
		t->size = *size;
	bool have_in = fcntl(STDIN_FILENO, F_GETFD) >= 0, have_out = fcntl(STDOUT_FILENO, F_GETFD) >= 0;
	const char *what = "create a pseudo-terminal";
	int m = above_stdio(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
	if (m < 0)
		goto fail;
	t->master = m;
	if (grantpt(m) < 0 || unlockpt(m) < 0)
		goto fail;
	char name[128];
	if (ptsname_r(m, name, sizeof name) != 0)
		goto fail;
	what = "open the pseudo-terminal";
	t->slave = above_stdio(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
	if (t->slave < 0)
		goto fail;

	t->out_fd = have_out ? STDOUT_FILENO : -1;
	t->in_tty = have_in && isatty(STDIN_FILENO);
	bool own = t->in_tty && own_terminal(STDIN_FILENO);
	/* A stdin terminal we do not own (we run in the background) is left alone: reading it would stop us. */
	t->in_fd = own ? STDIN_FILENO : -1;
	if (own && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		/* The program's terminal behaves like ours did (echo, erase, ONLCR...); ours just carries bytes. */
		tcsetattr(t->slave, TCSANOW, &t->saved);
		struct termios raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			t->raw = true;
	}
	terminal_resize(t);
	t->buf = malloc(TERMINAL_KEEP);
	if (!t->buf) {
		errno = ENOMEM;
		what = "allocate the output buffer";
		goto fail;
	}
	t->keep = true;
	return 0;
fail:;
	int e = errno;
	snprintf(err, errlen, "cannot %s: %s", what, strerror(e));
	terminal_free(t);
	errno = e;
	return -1;
}

int terminal_child(int slave, bool tty_stdin)
{
	for (int fd = tty_stdin ? 0 : 1; fd < 3; fd++)
		if (dup2(slave, fd) < 0) /* dup2 clears close-on-exec on the copies (slave > 2) */
			return -1;
	close(slave);
	return 0;
}

void terminal_close_slave(struct terminal *t)
{
	if (t->slave >= 0)
		close(t->slave);
	t->slave = -1;
}

void terminal_poll_fds(const struct terminal *t, int *master_fd, short *master_ev, int *in_fd)
{
	*master_fd = t->hup ? -1 : t->master; /* after EIO it would report POLLHUP for ever */
	*master_ev = POLLIN | (t->inlen ? POLLOUT : 0);
	/* Keyboard input waits while the master's input queue is full; nobody reads it after a hangup. */
	*in_fd = t->master >= 0 && !t->hup && !t->inlen ? t->in_fd : -1;
}

void terminal_resize(struct terminal *t)
{
	if (t->master < 0)
		return;
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
	else if (t->size.ws_col && t->size.ws_row)
		ioctl(t->master, TIOCSWINSZ, &t->size);
}

static void echo(struct terminal *t, const uint8_t *p, size_t n)
{
	while (n && t->out_fd >= 0) {
		ssize_t k = write(t->out_fd, p, n);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0 && errno == EAGAIN) {
			struct pollfd pf = { .fd = t->out_fd, .events = POLLOUT };
			poll(&pf, 1, -1); /* a non-blocking stdout shared with our parent: wait like a blocking write */
		} else {
			LOG_DEBUG("terminal echo stopped: %s", k < 0 ? strerror(errno) : "short write");
			t->out_fd = -1; /* nobody reads our stdout: keep recording without the echo */
		}
	}
}

/* Appends to the kept output; past TERMINAL_KEEP the oldest bytes go (terminal.h). */
static void keep(struct terminal *t, const uint8_t *p, size_t n)
{
	if (!t->keep || !n)
		return;
	if (n > TERMINAL_KEEP) {
		t->dropped += n - TERMINAL_KEEP;
		p += n - TERMINAL_KEEP;
		n = TERMINAL_KEEP;
	}
	if (t->len + n > TERMINAL_KEEP) {
		size_t drop = t->len + n - TERMINAL_KEEP;
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
		t->dropped += drop;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void close_master(struct terminal *t)
{
	if (t->master >= 0)
		close(t->master);
	t->master = -1;
	t->inlen = 0;
}

/* Reads the master until it has nothing more (max_reads chunks at most, 0 = no limit). */
static void read_master(struct terminal *t, unsigned max_reads)
{
	static uint8_t chunk[READ_CHUNK];
	for (unsigned i = 0; t->master >= 0 && (max_reads == 0 || i < max_reads); i++) {
		ssize_t k = read(t->master, chunk, sizeof chunk);
		if (k > 0) {
			t->hup = false; /* opened again */
			echo(t, chunk, (size_t)k);
			keep(t, chunk, (size_t)k);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		/*
		 * EIO: no fd of the slave is open (the program closed 0-2, or it and its children are
		 * gone). Not closed: a program that closed its fds and is still exiting owns the terminal,
		 * and closing the master would hang it up (SIGHUP). Checkpoints still try a read, in
		 * case it opens its terminal again.
		 */
		if (!t->hup)
			LOG_DEBUG("terminal closed: %s", k < 0 ? strerror(errno) : "end of file");
		t->hup = true;
		t->inlen = 0;
		return;
	}
}

static void write_master(struct terminal *t)
{
	while (t->master >= 0 && t->inlen) {
		ssize_t k = write(t->master, t->inbuf, t->inlen);
		if (k > 0) {
			memmove(t->inbuf, t->inbuf + k, t->inlen - (size_t)k);
			t->inlen -= (size_t)k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0 && errno == EAGAIN) {
			return; /* the program is not reading: POLLOUT tells when it does */
		} else {
			t->inlen = 0; /* EIO: nobody left to read it */
			return;
		}
	}
}

void terminal_on_master(struct terminal *t, short revents)
{
	if (t->master < 0)
		return;
	if (revents & POLLOUT)
		write_master(t);
	if (revents & (POLLIN | POLLHUP | POLLERR))
		read_master(t, 16); /* bounded: other events must not wait behind a flood */
}

void terminal_on_stdin(struct terminal *t)
{
	if (t->in_fd < 0 || t->master < 0 || t->inlen)
		return;
	ssize_t k = read(t->in_fd, t->inbuf, sizeof t->inbuf);
	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (k <= 0) {
		t->in_fd = -1; /* our terminal hung up: nothing to pass on */
	} else {
		t->inlen = (size_t)k;
	}
	write_master(t);
}

void terminal_drain(struct terminal *t)
{
	read_master(t, 0);
}

void terminal_sent(struct terminal *t)
{
	t->len = 0;
	t->dropped = 0;
}

void terminal_free(struct terminal *t)
{
	t->keep = false;
	if (t->master >= 0) {
		read_master(t, 0); /* whatever is already there, to the screen */
		close_master(t);
	}
	terminal_close_slave(t);
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	t->raw = false;
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
}
