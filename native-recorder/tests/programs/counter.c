/*
 * counter.c - the simplest known memory history: one write(2) per step.
 *
 * Usage: counter [N]            (N defaults to 100)
 *
 * Memory history (globals, -O0):
 *   for i = 0 .. N-1:  counter = i; squares = i*i; write(1, "i=<i>\n")
 *   then write(1, "done\n") and exit(0).
 * The program makes no other write(2) calls, so with --syscalls write the checkpoint at the
 * entry of the k-th write (k = 0 .. N-1, counted from the first write after start) sees
 * counter == k and squares == k*k; the N-th write is "done\n" (counter == N-1).
 */
#include <stdint.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t counter;
volatile uint64_t squares;

int main(int argc, char **argv)
{
	long n = arg_or(argc, argv, 1, 100);
	struct line l = { .len = 0 };
	for (long i = 0; i < n; i++) {
		counter = (uint64_t)i;
		squares = (uint64_t)i * (uint64_t)i;
		line_str(&l, "i=");
		line_u64(&l, (uint64_t)i);
		line_str(&l, "\n");
		line_write(&l);
	}
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
