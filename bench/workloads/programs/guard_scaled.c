/*
 * guard_scaled.c - guard.c's overrun with real work around it, so "when did this go bad" is
 * asked of a run long enough for the tools' costs to show (guard.c itself runs ~25k
 * instructions: every tool answers in the time it takes to start).
 *
 *   guard_scaled ITERATIONS WORK BAD
 *
 * `store.inv` is { int items[16]; uint32_t guard; } with guard = 0xdeadbeef, followed by
 * `int spill[16]`. Each iteration i (0 .. ITERATIONS-1) does WORK steps of table updates
 * (~23 instructions each at -O0, in a 16 KiB table in .bss), sets `iteration = i`, then
 * writes items[i == BAD ? 16 : i % 16] = i through a pointer: only at i == BAD does the
 * store land on the guard (items[16]). Then one write(2) per iteration. So the guard is
 * 0xdeadbeef until iteration BAD's store and BAD after it; exit 0 at the end.
 * Build: -O0 -g (the store must stay a plain store through a volatile pointer).
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct inventory {
	int items[16];
	uint32_t guard;
};

struct {
	struct inventory inv;
	int spill[16];
} store = { .inv = { .guard = 0xdeadbeef } };

volatile int iteration = -1;
unsigned table[4096];

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	long n = atol(argv[1]), work = atol(argv[2]), bad = atol(argv[3]);
	volatile int *items = store.inv.items;
	unsigned x = 12345;
	for (long i = 0; i < n; i++) {
		for (long w = 0; w < work; w++) {
			x = x * 1103515245u + 12345u;
			table[x >> 20] += x;
		}
		iteration = (int)i;
		items[i == bad ? 16 : i % 16] = (int)i;
		char line[64];
		int len = 0;
		/* hand-formatted: no stdio, so one write per iteration and no vector string code */
		const char *p = "iteration ";
		while (*p)
			line[len++] = *p++;
		char tmp[24];
		int t = 0;
		long v = i;
		do {
			tmp[t++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		while (t)
			line[len++] = tmp[--t];
		line[len++] = '\n';
		if (write(1, line, (size_t)len) < 0)
			return 1;
	}
	return store.inv.guard == 0xdeadbeef ? 3 : 0;
}
