/*
 * exec.c - a program that replaces itself with another one.
 *
 * Usage: exec [PATH [N]]        (PATH defaults to "counter" next to this executable, N to 3)
 *
 * Memory history: before_exec = 0xe1e1e1e1; write(1, "exec: before exec\n"); then
 * execv(PATH, {"counter", N}). From there the history is counter.c's with N steps (3 writes
 * "i=0".."i=2" and "done"). A recorder sees an EXEC of the new image.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "out.h"

volatile uint64_t before_exec;

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	if (argc > 1) {
		snprintf(path, sizeof path, "%s", argv[1]);
	} else {
		ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
		if (n < 0)
			return 1;
		path[n] = '\0';
		char *slash = strrchr(path, '/');
		snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "counter");
	}
	before_exec = 0xe1e1e1e1;
	struct line l = { .len = 0 };
	line_str(&l, "exec: before exec\n");
	line_write(&l);
	char *args[] = { "counter", argc > 2 ? argv[2] : "3", NULL };
	execv(path, args);
	return 127;
}
