/*
 * segv.c - a program that dies of SIGSEGV; its last state must be the final checkpoint.
 *
 * Memory history: marker = 0x5e6f5e6f5e6f5e6f; write(1, "about to crash\n"); then a store
 * through a NULL pointer. The process dies of SIGSEGV (signal 11) with marker still set; the
 * faulting instruction is in main (rip of the SIGNAL checkpoint).
 */
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t marker;
int *volatile nowhere;

int main(void)
{
	marker = 0x5e6f5e6f5e6f5e6full;
	struct line l = { .len = 0 };
	line_str(&l, "about to crash\n");
	line_write(&l);
	*nowhere = 1;
	return 0;
}
