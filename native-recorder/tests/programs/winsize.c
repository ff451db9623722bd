/*
 * winsize.c - prints the size of its terminal, as TIOCGWINSZ on stdout reports it.
 *
 * Usage: winsize [resize]
 *
 * Writes "cols=<C> rows=<R>\n" (one write(2)), or "not a terminal\n" and exits 1. With
 * "resize", it then waits for one SIGWINCH (10 s at most) and writes the new size the same
 * way, or "no resize\n" and exits 2. Memory history: `cols` and `rows` (globals) hold the last
 * size printed.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "out.h"

volatile uint64_t cols, rows;

static int print_size(void)
{
	struct winsize ws;
	struct line l = { .len = 0 };
	if (ioctl(1, TIOCGWINSZ, &ws) < 0) {
		line_str(&l, "not a terminal\n");
		line_write(&l);
		return -1;
	}
	cols = ws.ws_col;
	rows = ws.ws_row;
	line_str(&l, "cols=");
	line_u64(&l, cols);
	line_str(&l, " rows=");
	line_u64(&l, rows);
	line_str(&l, "\n");
	line_write(&l);
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t winch;
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL); /* before the first print: a resize after it is not missed */
	if (print_size() < 0)
		return 1;
	if (argc < 2 || strcmp(argv[1], "resize") != 0)
		return 0;
	int got = -1;
	for (int tenths = 0; tenths < 100 && got != SIGWINCH; tenths++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 }; /* short waits: an EINTR (a checkpoint) costs nothing */
		got = sigtimedwait(&winch, NULL, &ts);
	}
	if (got != SIGWINCH) {
		struct line l = { .len = 0 };
		line_str(&l, "no resize\n");
		line_write(&l);
		return 2;
	}
	return print_size() < 0 ? 1 : 0;
}
