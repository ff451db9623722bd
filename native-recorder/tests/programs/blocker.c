/*
 * blocker.c - a program that spends its time blocked in system calls.
 *
 * Usage: blocker [STEPS [MS]]   (STEPS default 5, MS milliseconds of blocking per step, default 100)
 *
 * Memory history: for s = 0 .. STEPS-1: step = s; write(1, "step <s>\n"); then block for MS ms:
 * even steps in nanosleep(2), odd steps in poll(2) on the read end of a pipe nobody writes
 * (timing out). Then write(1, "done\n"), exit 0. Interval checkpoints taken while it is blocked
 * interrupt the call, which must restart transparently (the program's own timing is unchanged
 * apart from the stops).
 */
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "out.h"

volatile int step = -1;

int main(int argc, char **argv)
{
	long steps = arg_or(argc, argv, 1, 5), ms = arg_or(argc, argv, 2, 100);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	for (long s = 0; s < steps; s++) {
		step = (int)s;
		struct line l = { .len = 0 };
		line_str(&l, "step ");
		line_u64(&l, (uint64_t)s);
		line_str(&l, "\n");
		line_write(&l);
		if (s % 2 == 0) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
			while (nanosleep(&ts, &ts) < 0)
				;
		} else {
			struct pollfd pf = { .fd = p[0], .events = POLLIN };
			if (poll(&pf, 1, (int)ms) != 0)
				return 1;
		}
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
