/*
 * churn.c - pages full of noise, all rewritten at every step: data that neither compresses nor
 * deduplicates, for disk-full, kill and load tests.
 *
 * Usage: churn [PAGES [STEPS [US]]]   (PAGES default 64, at most 65536; STEPS default 100,
 *                                      0 = until killed; US microseconds of sleep per step,
 *                                      default 0)
 *
 * Memory history: `buf` points to PAGES page-aligned pages, `step` = 0. For s = 1 .. STEPS:
 * step = s; word w (0 .. 511) of page p is set to mix(s, p, w) (below; every word of every
 * page changes); then write(1, "step <s>\n"); then sleep US microseconds (if US > 0). So at the
 * checkpoint of the write of step s, step == s and every word of the buffer is mix(s, p, w);
 * at any checkpoint at all, every word w of page p is mix(step, p, w) or, in the middle of
 * filling a step, still mix(step - 1, p, w) (zero for step - 1 == 0: never written). Then
 * write "done", exit 0.
 *
 *   mix(s, p, w) = splitmix64(s << 40 | p << 20 | w), splitmix64(x): x += 0x9e3779b97f4a7c15;
 *   x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9; x = (x ^ x >> 27) * 0x94d049bb133111eb;
 *   return x ^ x >> 31.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "out.h"

uint64_t *volatile buf;
volatile uint64_t step;

static uint64_t mix(uint64_t s, uint64_t p, uint64_t w)
{
	uint64_t x = s << 40 | p << 20 | w;
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ x >> 30) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ x >> 27) * 0x94d049bb133111ebull;
	return x ^ x >> 31;
}

int main(int argc, char **argv)
{
	long pages = arg_or(argc, argv, 1, 64), steps = arg_or(argc, argv, 2, 100), us = arg_or(argc, argv, 3, 0);
	if (pages < 1 || pages > 65536)
		pages = 64;
	uint64_t *b = aligned_alloc(4096, (size_t)pages * 4096);
	if (!b)
		return 1;
	buf = b;
	for (uint64_t s = 1; steps == 0 || s <= (uint64_t)steps; s++) {
		step = s;
		for (uint64_t p = 0; p < (uint64_t)pages; p++)
			for (uint64_t w = 0; w < 512; w++)
				b[p * 512 + w] = mix(s, p, w);
		struct line l = { .len = 0 };
		line_str(&l, "step ");
		line_u64(&l, s);
		line_str(&l, "\n");
		line_write(&l);
		if (us > 0) {
			struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	struct line l = { .len = 0 };
	line_str(&l, "done\n");
	line_write(&l);
	return 0;
}
