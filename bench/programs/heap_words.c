/*
 * heap_words.c - the recording benchmark's workload (issue: speed and scale of recording).
 *
 * Usage: heap_words MIB K STEPS|DURATIONms [PAGES]
 *   Allocates and touches a MIB MiB heap, then STEPS times stores K pseudo-random 64-bit words
 *   at pseudo-random 8-byte slots of it (of its first PAGES pages when given: a working set of
 *   that size in a big heap) and makes one write(2) of one byte to /dev/null (the syscall
 *   trigger point). At the end prints "steps=<n> ns=<elapsed of the loop> first_ns=<elapsed of
 *   its first step> last_half_ns=<elapsed of its second half> last_half_steps=<steps in it>" so
 *   a run under recording can be compared with a plain run: throughput = steps / ns; without
 *   the first step (whose checkpoint under recording carries the whole heap)
 *   (steps - 1) / (ns - first_ns); in steady state (the whole heap stored long before)
 *   last_half_steps / last_half_ns.
 * With a duration instead ("4000ms") it runs that long and its second half is the second half
 * of that time: a steady-state window of known length, whatever the speed under recording.
 * The line ends with "cpu_ns=<its CPU time in the second half> tracer_cpu_ns=<its tracer's>
 * stops=<times it blocked>" (tracer 0 when not traced; under a tracer each checkpoint is one
 * stop, a blocking call): on a machine shared with other work, the CPU a checkpoint costs
 * (the recorder's, and the program's beyond its own work) is measurable where wall time is not.
 * With STEPS = 0 it runs until killed, printing nothing (for interval-trigger rate tests).
 */
#include <dirent.h>
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

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A number field of /proc/self/status ("TracerPid", "voluntary_ctxt_switches"), or 0. */
static long status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = 0;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return v;
}

/* CPU time of every thread of process pid (the first field of each task's schedstat, ns). */
static uint64_t process_cpu_ns(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	uint64_t sum = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[300];
		snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", pid, e->d_name);
		FILE *f = fopen(p, "r");
		unsigned long long ns;
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: heap_words MIB K STEPS|DURATIONms [PAGES]\n");
		return 2;
	}
	size_t words = (size_t)strtoull(argv[1], NULL, 10) * 1024 * 1024 / 8;
	size_t window = argc == 5 ? (size_t)strtoull(argv[4], NULL, 10) * 4096 / 8 : words;
	if (window == 0 || window > words)
		window = words;
	long k = strtol(argv[2], NULL, 10);
	char *unit;
	long steps = strtol(argv[3], &unit, 10);
	uint64_t duration_ns = strcmp(unit, "ms") == 0 ? (uint64_t)steps * 1000000u : 0;
	if (duration_ns)
		steps = -1; /* until the time is up */
	uint64_t *heap = malloc(words * 8);
	int devnull = open("/dev/null", O_WRONLY);
	if (!heap || devnull < 0 || words == 0)
		return 1;
	memset(heap, 1, words * 8);
	uint64_t x = 88172645463325252ull; /* xorshift64 */
	int tracer = (int)status_field("TracerPid");
	uint64_t t0 = now_ns(), first = 0, half = 0, end = 0, half_cpu = 0, half_tracer_cpu = 0;
	long half_stops = 0;
	long s, half_step = 0;
	for (s = 0; steps <= 0 || s < steps; s++) {
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
		if (duration_ns) {
			/* The clock every 256 steps (a vDSO call is ~20 ns, a step ~300 ns). */
			if ((s & 255) == 0) {
				uint64_t t = now_ns();
				if (!half && t - t0 >= duration_ns / 2) {
					half = t;
					half_step = s;
					half_cpu = cpu_ns();
					half_tracer_cpu = tracer ? process_cpu_ns(tracer) : 0;
					half_stops = status_field("voluntary_ctxt_switches");
			half_stops = status_field("voluntary_ctxt_switches");
				}
				if (t - t0 >= duration_ns) {
					end = t;
					s++;
					break;
				}
			}
		} else if (s == steps / 2) {
			half = now_ns();
			half_step = s;
			half_cpu = cpu_ns();
			half_tracer_cpu = tracer ? process_cpu_ns(tracer) : 0;
			half_stops = status_field("voluntary_ctxt_switches");
		}
	}
	if (!end)
		end = now_ns();
	uint64_t end_cpu = cpu_ns(), end_tracer_cpu = tracer ? process_cpu_ns(tracer) : 0;
	long stops = status_field("voluntary_ctxt_switches") - half_stops;
	printf("steps=%ld ns=%llu first_ns=%llu last_half_ns=%llu last_half_steps=%ld cpu_ns=%llu tracer_cpu_ns=%llu "
	       "stops=%ld\n",
	       s, (unsigned long long)(end - t0), (unsigned long long)first, (unsigned long long)(end - half), s - half_step,
	       (unsigned long long)(end_cpu - half_cpu), (unsigned long long)(end_tracer_cpu - half_tracer_cpu), stops);
	return 0;
}
