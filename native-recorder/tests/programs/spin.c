/*
 * spin.c - a busy loop with no system calls, for interval checkpoints.
 *
 * Usage: spin [MS]              (MS milliseconds, default 200)
 *
 * Memory history: `volatile uint64_t ticks` increases by 1 per loop iteration for about MS
 * milliseconds (the clock is read through the vDSO every 4096 ticks: no system call), so it
 * never decreases, and grows between two interval checkpoints whenever the program got CPU
 * time in between (on a loaded machine it may not have). Then write(1, "ticks=<n>\n"), exit 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "out.h"

volatile uint64_t ticks;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t end = now_ns() + (uint64_t)arg_or(argc, argv, 1, 200) * 1000000u;
	for (;;) {
		ticks++;
		if ((ticks & 0xfff) == 0 && now_ns() >= end)
			break;
	}
	struct line l = { .len = 0 };
	line_str(&l, "ticks=");
	line_u64(&l, ticks);
	line_str(&l, "\n");
	line_write(&l);
	return 0;
}
