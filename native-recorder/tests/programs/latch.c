/*
 * latch.c - a value that changes once, on a page of its own: after checkpoints are lost, its
 * later value cannot be inferred from any later version of its page.
 *
 * Usage: latch [N]            (N defaults to 1000)
 *
 * Memory history (globals, -O0, each on its own page):
 *   for i = 0 .. N-1:  counter = i; if i == N/2: latch = 1; write(1, "i=<i>\n")
 *   then write(1, "done\n") and exit(0).
 * With --syscalls write, checkpoint j >= 1 (the entry of the j-th write, counted from 1) sees
 * counter == j-1 and latch == (j-1 >= N/2).
 */
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t counter __attribute__((aligned(4096)));
volatile uint64_t latch __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
	long n = arg_or(argc, argv, 1, 1000);
	struct line l = { .len = 0 };
	for (long i = 0; i < n; i++) {
		counter = (uint64_t)i;
		if (i == n / 2)
			latch = 1;
		line_str(&l, "i=");
		line_u64(&l, (uint64_t)i);
		line_str(&l, "\n");
		line_write(&l);
	}
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
