/*
 * mappings.c - memory that appears, changes and disappears through mmap, munmap, MAP_FIXED
 * and madvise, each step followed by one write(2) so every state is a checkpoint.
 *
 * Usage: mappings [R]           (R rounds, default 10)
 *
 * Memory history, in order (all lines go to fd 1, one write each):
 *  1. big = an 8 MiB anonymous private mapping, every byte set: big[o] = (o * 7 + (o >> 12)) & 0xff.
 *     write "big=<hex addr>\n".
 *  2. for r = 0 .. R-1: region = mmap 4 fresh anonymous pages; page p (0..3) filled with the byte
 *     (r*31 + p) & 0xff; cur_round = r; cur_addr = region;
 *     write "round=<r> addr=<hex>\n"; munmap(region).
 *  3. fixed = mmap 4 pages, filled with 0xaa; write "fixed-before addr=<hex>\n";
 *     mmap(fixed, 4 pages, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS) replaces it: all zero;
 *     write "fixed-after addr=<hex>\n".
 *  4. zap = mmap 4 pages, filled with 0xbb; write "dontneed-before addr=<hex>\n";
 *     madvise(zap, 4 pages, MADV_DONTNEED): all zero again; write "dontneed-after addr=<hex>\n".
 *  5. file = the first page of this executable mapped MAP_PRIVATE read-write; its first 4 bytes
 *     overwritten with "XXXX" (a private copy); write "file-before addr=<hex>\n";
 *     madvise(file, 1 page, MADV_DONTNEED): the page reverts to the file, "\x7f" "ELF";
 *     write "file-after addr=<hex>\n".
 *  6. write "done\n"; exit 0.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "out.h"

#define PAGE 4096
#define BIG (8u << 20)

volatile uint8_t *big;
volatile uint64_t cur_round;
volatile uintptr_t cur_addr;

static void say(const char *what, uintptr_t addr)
{
	struct line l = { .len = 0 };
	line_str(&l, what);
	line_hex(&l, addr);
	line_str(&l, "\n");
	line_write(&l);
}

static uint8_t *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		exit(1);
	return p;
}

int main(int argc, char **argv)
{
	long rounds = arg_or(argc, argv, 1, 10);

	big = map_anon(BIG);
	for (size_t o = 0; o < BIG; o++)
		big[o] = (uint8_t)(o * 7 + (o >> 12));
	say("big=", (uintptr_t)big);

	for (long r = 0; r < rounds; r++) {
		uint8_t *region = map_anon(4 * PAGE);
		for (int p = 0; p < 4; p++)
			memset(region + p * PAGE, (r * 31 + p) & 0xff, PAGE);
		cur_round = (uint64_t)r;
		cur_addr = (uintptr_t)region;
		struct line l = { .len = 0 };
		line_str(&l, "round=");
		line_u64(&l, (uint64_t)r);
		line_str(&l, " addr=");
		line_hex(&l, (uintptr_t)region);
		line_str(&l, "\n");
		line_write(&l);
		munmap(region, 4 * PAGE);
	}

	uint8_t *fixed = map_anon(4 * PAGE);
	memset(fixed, 0xaa, 4 * PAGE);
	cur_addr = (uintptr_t)fixed;
	say("fixed-before addr=", (uintptr_t)fixed);
	if (mmap(fixed, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != fixed)
		return 1;
	say("fixed-after addr=", (uintptr_t)fixed);

	uint8_t *zap = map_anon(4 * PAGE);
	memset(zap, 0xbb, 4 * PAGE);
	cur_addr = (uintptr_t)zap;
	say("dontneed-before addr=", (uintptr_t)zap);
	madvise(zap, 4 * PAGE, MADV_DONTNEED);
	say("dontneed-after addr=", (uintptr_t)zap);

	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		return 1;
	uint8_t *file = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (file == MAP_FAILED)
		return 1;
	memcpy(file, "XXXX", 4);
	cur_addr = (uintptr_t)file;
	say("file-before addr=", (uintptr_t)file);
	madvise(file, PAGE, MADV_DONTNEED);
	say("file-after addr=", (uintptr_t)file);

	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
