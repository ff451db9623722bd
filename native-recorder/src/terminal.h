/*
 * terminal.h - the launched program's terminal: a pty of ours, relayed like script(1).
 *
 *   recorder stdin --(raw, a tty)--> master ==pty==> slave: the program's 0, 1, 2 and
 *   recorder stdout <------- echo ---- master              controlling terminal
 *                          \-> kept for the wire (OUTPUT)
 *
 * Why the recorder owns it: output must belong to the checkpoint it precedes. At every
 * checkpoint, with the program stopped, everything readable on the master is drained (a
 * non-blocking read of a pty waits for the kernel's pending buffer work before it says
 * EAGAIN, so nothing the program wrote before the stop is still in flight) and sent as OUTPUT
 * inside that checkpoint together with what the relay read since the previous one. What comes
 * after the last checkpoint goes out as OUTPUT just before EXIT.
 *
 * Between two checkpoints at most TERMINAL_KEEP bytes are kept for the wire: when a program
 * prints more than that with no checkpoint in between, the oldest bytes of that stretch are
 * dropped from the recording (the live echo still shows everything) and a warning says so,
 * once. Keeping the newest bytes means the screen "as it was at checkpoint k" is still right;
 * the alternatives were worse: sending early would show lines at a checkpoint taken before
 * they were printed, and not reading would stall a program that has no trigger to stop it.
 *
 * The recorder's stdin goes raw (restored at the end) only when it is a terminal and we are in
 * its foreground process group, so keys like Ctrl-C and Ctrl-D reach the program through the
 * pty's own line discipline. A stdin that is not a terminal (a pipe, a file, /dev/null) is not
 * relayed: the program reads it itself as its fd 0, as it would under a shell, so every byte and
 * its end reach it unchanged; only 1 and 2 are then the pty. The pty starts with the stdin
 * terminal's modes and size (else the size given, else none); SIGWINCH copies the size again
 * (the kernel then signals the program).
 *
 * With --attach there is no terminal of ours: the program keeps its own, and its output is
 * not captured.
 */
#ifndef DL_TERMINAL_H
#define DL_TERMINAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <termios.h>

#define TERMINAL_KEEP (1024u * 1024u)

struct terminal {
	int master;    /* -1: none */
	bool hup;      /* the master said EIO (no slave fd open): not polled any more, but kept open,
			* since closing it would hang up the terminal the program may still own */
	int slave;     /* for the child; closed in the recorder once it has forked */
	int in_fd;     /* stdin while relayed, else -1 */
	int out_fd;    /* echo; -1 after a write error */
	bool in_tty;   /* stdin is a terminal: the program's stdin is the pty (else it is our stdin) */
	struct winsize size; /* when neither our stdin nor our stdout is a terminal (0: none) */
	bool raw;      /* we changed stdin's modes: restore them */
	struct termios saved;
	/* Keyboard bytes not yet accepted by the master (its input queue was full). */
	uint8_t inbuf[4096];
	size_t inlen;
	/* Output read since the last checkpoint, for the wire. */
	bool keep;     /* false once the stream has ended */
	uint8_t *buf;
	size_t len;
	uint64_t dropped; /* bytes dropped since the last checkpoint (TERMINAL_KEEP) */
	bool warned;
};

/* No terminal (attach): every call below is a no-op. */
void terminal_none(struct terminal *t);

/*
 * Creates the pty, copies stdin's modes and size (or *size, when not NULL and we have no
 * terminal) to it, puts stdin in raw mode. Returns 0, or -1 with errno and what failed in err.
 */
int terminal_open(struct terminal *t, const struct winsize *size, char *err, size_t errlen);

/*
 * In the forked program, before exec (async-signal-safe): the slave as fds 1, 2, and 0 when
 * tty_stdin. The session and controlling terminal are set up by its parent (launch.c).
 * Returns 0 or -1 with errno.
 */
int terminal_child(int slave, bool tty_stdin);

/* In the recorder once the child has its copy: so the master sees EIO when the program's last copy closes. */
void terminal_close_slave(struct terminal *t);

/* poll() setup: fds and events (fd -1 when not to be polled). */
void terminal_poll_fds(const struct terminal *t, int *master_fd, short *master_ev, int *in_fd);

/* The master is readable or writable (revents): relay both ways. */
void terminal_on_master(struct terminal *t, short revents);
/* Stdin is readable: relay to the master. */
void terminal_on_stdin(struct terminal *t);
/* SIGWINCH: the pty takes stdin's (or stdout's) terminal size. */
void terminal_resize(struct terminal *t);

/*
 * Reads everything the master has now (the program stopped: all it wrote so far) into the
 * kept output, echoing it. Then t->buf/t->len is the output for the wire, t->dropped what was
 * lost since the last terminal_sent().
 */
void terminal_drain(struct terminal *t);
/* The kept output went out on the wire. */
void terminal_sent(struct terminal *t);

/* Relays what is left to stdout, restores stdin's modes, closes the pty. */
void terminal_free(struct terminal *t);

#endif
