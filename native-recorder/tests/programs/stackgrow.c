/*
 * stackgrow.c - memory maps that change without a map-changing system call between two
 * checkpoints (the stack growing by faults), and maps changed by mprotect alone. The recorder
 * skips re-reading /proc/PID/maps when nothing can have changed it; this program is what
 * that must get right.
 *
 * Usage: stackgrow [S]           (S steps, default 6)
 *
 * Memory history (one write(2) per line, the only system calls between steps):
 *  1. for s = 0 .. S-1: descend (s + 1) * 16 frames of one 4 KiB local buffer each, every
 *     buffer filled with the byte (s * 16 + depth) & 0xff, depth counted from 1 at the top;
 *     the deepest frame records its buffer's address in `deepest`; return to main (the
 *     frames stay in memory below the stack pointer, each step deeper than the last, so the
 *     stack mapping grows at every step by faults); write "step=<s> deep=<hex deepest>\n";
 *     write "idle\n" (a checkpoint where nothing changed, so the next growth follows one
 *     that registered nothing).
 *  2. region = mmap 4 pages PROT_NONE; write "none addr=<hex>\n"; mprotect(region, 4 pages,
 *     read|write) and fill page p with 0x40 + p; write "rw addr=<hex>\n".
 *  3. write "done\n"; exit 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "out.h"

#define PAGE 4096

volatile uintptr_t deepest;

static void say(const char *what, const char *more, uintptr_t addr)
{
	struct line l = { .len = 0 };
	line_str(&l, what);
	line_str(&l, more);
	line_hex(&l, addr);
	line_str(&l, "\n");
	line_write(&l);
}

static __attribute__((noinline)) void descend(int step, int depth, int max)
{
	volatile uint8_t buf[PAGE];
	memset((void *)buf, (step * 16 + depth) & 0xff, PAGE);
	if (depth < max)
		descend(step, depth + 1, max);
	else
		deepest = (uintptr_t)buf;
	buf[0] = buf[0]; /* keep the frame (and its buffer) alive across the call */
}

int main(int argc, char **argv)
{
	long steps = arg_or(argc, argv, 1, 6);
	for (long s = 0; s < steps; s++) {
		descend((int)s, 1, (int)(s + 1) * 16);
		struct line l = { .len = 0 };
		line_str(&l, "step=");
		line_u64(&l, (uint64_t)s);
		line_str(&l, " deep=");
		line_hex(&l, deepest);
		line_str(&l, "\n");
		line_write(&l);
		line_write(&(struct line){ .buf = "idle\n", .len = 5 });
	}
	uint8_t *region = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return 1;
	say("none", " addr=", (uintptr_t)region);
	if (mprotect(region, 4 * PAGE, PROT_READ | PROT_WRITE) != 0)
		return 1;
	for (int p = 0; p < 4; p++)
		memset(region + p * PAGE, 0x40 + p, PAGE);
	say("rw", " addr=", (uintptr_t)region);
	line_write(&(struct line){ .buf = "done\n", .len = 5 });
	return 0;
}
