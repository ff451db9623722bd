/*
 * heap_words.c - the recording benchmark's workload (issue: speed and scale of recording).
 *
 * Usage: heap_words MIB K STEPS [PAGES]
 *   Allocates and touches a MIB MiB heap, then STEPS times stores K pseudo-random 64-bit words
 *   at pseudo-random 8-byte slots of it (of its first PAGES pages when given: a working set of
 *   that size in a big heap) and makes one write(2) of one byte to /dev/null (the syscall
 *   trigger point). At the end prints "steps=<n> ns=<elapsed of the loop> first_ns=<elapsed of
 *   its first step> last_half_ns=<elapsed of its second half>" so a run under recording can be
 *   compared with a plain run: throughput = steps / ns; without the first step (whose
 *   checkpoint under recording carries the whole heap) (steps - 1) / (ns - first_ns); in steady
 *   state (the whole heap stored long before) steps / 2 / last_half_ns.
 * With STEPS = 0 it runs until killed, printing nothing (for interval-trigger rate tests).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: heap_words MIB K STEPS [PAGES]\n");
		return 2;
	}
	size_t words = (size_t)strtoull(argv[1], NULL, 10) * 1024 * 1024 / 8;
	size_t window = argc == 5 ? (size_t)strtoull(argv[4], NULL, 10) * 4096 / 8 : words;
	if (window == 0 || window > words)
		window = words;
	long k = strtol(argv[2], NULL, 10);
	long steps = strtol(argv[3], NULL, 10);
	uint64_t *heap = malloc(words * 8);
	int devnull = open("/dev/null", O_WRONLY);
	if (!heap || devnull < 0 || words == 0)
		return 1;
	memset(heap, 1, words * 8);
	uint64_t x = 88172645463325252ull; /* xorshift64 */
	uint64_t t0 = now_ns(), first = 0, half = 0;
	for (long s = 0; steps == 0 || s < steps; s++) {
		for (long i = 0; i < k; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			heap[x % window] = x;
		}
		if (write(devnull, "", 1) < 0)
			return 1;
		if (s == 0)
			first = now_ns() - t0;
		if (s == steps / 2)
			half = now_ns();
	}
	uint64_t end = now_ns();
	printf("steps=%ld ns=%llu first_ns=%llu last_half_ns=%llu\n", steps, (unsigned long long)(end - t0), (unsigned long long)first,
	       (unsigned long long)(end - half));
	return 0;
}
