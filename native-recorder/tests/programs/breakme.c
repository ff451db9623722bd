/*
 * breakme.c - a function to put a breakpoint on.
 *
 * Memory history: for k = 0 .. 4: hits = k + 1; checkpoint_here(k) (which sets last_arg = k).
 * So at the breakpoint checkpoint of the k-th call (rip == &checkpoint_here, before its first
 * instruction) hits == k + 1 and last_arg == k - 1 (-1 at the first call). Then
 * write(1, "done\n") and exit 0. checkpoint_here is a global, never inlined function.
 */
#include <stdlib.h>

#include "out.h"

volatile int hits;
volatile int last_arg = -1;

__attribute__((noinline)) void checkpoint_here(int i)
{
	last_arg = i;
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	for (int k = 0; k < 5; k++) {
		hits = k + 1;
		checkpoint_here(k);
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
