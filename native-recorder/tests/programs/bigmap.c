/*
 * bigmap.c - gigabytes of address space mapped, touched sparsely and unmapped.
 *
 * Usage: bigmap [R]             (R rounds, default 3)
 *
 * Memory history: for r = 0 .. R-1: size = (2 + r % 3) GiB; big = mmap(size, read-write,
 * MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE); for every 64 MiB step i (0 .. size/64MiB - 1)
 * the byte at offset i * 64 MiB + (i % 4096) is set to (r * 37 + i) % 255 + 1 (never zero);
 * cur_round = r; cur_base = big; cur_size = size; write "round <r> addr=<hex> size=<size>";
 * munmap(big); write "round <r> unmapped". So at the first write of round r exactly
 * size / 64 MiB pages of the mapping are non-zero (one byte each, known), every other byte
 * of it reads as zero; at the second the mapping is gone. Then write "done", exit 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "out.h"

#define STEP (64ull << 20)

volatile int cur_round = -1;
volatile uint64_t cur_base;
volatile uint64_t cur_size;

int main(int argc, char **argv)
{
	long rounds = arg_or(argc, argv, 1, 3);
	for (long r = 0; r < rounds; r++) {
		uint64_t size = (uint64_t)(2 + r % 3) << 30;
		uint8_t *big = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (big == MAP_FAILED)
			return 1;
		for (uint64_t i = 0; i < size / STEP; i++)
			big[i * STEP + (i % 4096)] = (uint8_t)((r * 37 + (long)i) % 255 + 1);
		cur_round = (int)r;
		cur_base = (uint64_t)(uintptr_t)big;
		cur_size = size;
		struct line l = { .len = 0 };
		line_str(&l, "round ");
		line_u64(&l, (uint64_t)r);
		line_str(&l, " addr=");
		line_hex(&l, (uint64_t)(uintptr_t)big);
		line_str(&l, " size=");
		line_u64(&l, size);
		line_str(&l, "\n");
		line_write(&l);
		munmap(big, size);
		line_str(&l, "round ");
		line_u64(&l, (uint64_t)r);
		line_str(&l, " unmapped\n");
		line_write(&l);
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
