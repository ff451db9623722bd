/*
 * remap.c - memory that moves and grows with mremap(2).
 *
 * Memory history (one write(2) per step; each line names the address):
 *  1. region = mmap 4 anonymous pages, page p filled with the byte 0x10 + p.
 *     write "before addr=<hex>\n".
 *  2. region = mremap(region, 4 pages, 64 pages, MREMAP_MAYMOVE) (it usually moves: a guard page
 *     is mapped right after it so it cannot grow in place); pages 0..3 keep their bytes, pages
 *     4..63 are zero; then page 40 is filled with 0x77. write "after addr=<hex>\n".
 *  3. write "done\n", exit 0.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "out.h"

#define P 4096

static void say(const char *what, void *addr)
{
	struct line l = {0};
	line_str(&l, what);
	line_str(&l, " addr=");
	line_hex(&l, (uint64_t)(uintptr_t)addr);
	line_str(&l, "\n");
	line_write(&l);
}

int main(void)
{
	unsigned char *region = mmap(NULL, 5 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return 1;
	munmap(region + 4 * P, P);
	if (mmap(region + 4 * P, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
		return 1; /* a guard page: mremap must move */
	for (int p = 0; p < 4; p++)
		memset(region + p * P, 0x10 + p, P);
	say("before", region);
	unsigned char *moved = mremap(region, 4 * P, 64 * P, MREMAP_MAYMOVE);
	if (moved == MAP_FAILED)
		return 1;
	memset(moved + 40 * P, 0x77, P);
	say("after", moved);
	struct line l = {0};
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
