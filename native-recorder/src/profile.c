/*
 * profile.c - per-phase checkpoint timings (see profile.h).
 */
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROFILE_MAX_SAMPLES (1u << 20)

bool dl_profile_on;

static struct {
	uint64_t *v;
	size_t n;
} samples[PROF_NPHASES];

static const char *const names[PROF_NPHASES] = { "late", "stop", "drain", "maps", "collect", "scan",
						 "pages", "regs", "flush", "resume", "stopped" };

uint64_t profile_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void profile_init(void)
{
	const char *v = getenv("DELOREAN_LOG");
	dl_profile_on = v && strstr(v, "profile") != NULL;
}

void profile_add_ns(enum profile_phase p, uint64_t ns)
{
	if (!dl_profile_on)
		return;
	if (!samples[p].v && !(samples[p].v = malloc(PROFILE_MAX_SAMPLES * sizeof(uint64_t))))
		return;
	if (samples[p].n < PROFILE_MAX_SAMPLES)
		samples[p].v[samples[p].n++] = ns;
}

uint64_t profile_add(enum profile_phase p, uint64_t since)
{
	if (!dl_profile_on)
		return 0;
	uint64_t now = profile_clock();
	profile_add_ns(p, now - since);
	return now;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void profile_report(void)
{
	if (!dl_profile_on)
		return;
	fprintf(stderr, "delorean-recorder: profile (us): phase count median p90 p99 mean\n");
	for (int p = 0; p < PROF_NPHASES; p++) {
		size_t n = samples[p].n;
		if (!n)
			continue;
		uint64_t *v = samples[p].v, sum = 0;
		qsort(v, n, sizeof *v, cmp_u64);
		for (size_t i = 0; i < n; i++)
			sum += v[i];
		fprintf(stderr, "delorean-recorder: profile %-8s %7zu %8.1f %8.1f %8.1f %8.1f\n", names[p], n, v[n / 2] / 1e3,
			v[n * 9 / 10] / 1e3, v[n * 99 / 100] / 1e3, (double)sum / (double)n / 1e3);
		free(v);
		samples[p].v = NULL;
		samples[p].n = 0;
	}
}
