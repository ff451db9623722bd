/*
 * options.c - parses the recorder's command line (see options_usage for the grammar).
 *
 * Owns: struct options (only the breaks array is allocated; every string points into argv).
 * Invariants after a successful parse: exactly one output (--socket or --wire-file), exactly
 * one target (a program after "--", or --attach PID), numbers in range. Nothing here touches
 * the system, so the tests call it directly.
 */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void options_usage(FILE *f)
{
	fputs("usage: delorean-recorder (--socket PATH | --wire-file FILE) [--backend auto|uffd-wp|soft-dirty|hash]\n"
	      "         [--syscalls LIST|all] [--interval DUR] [--break SYM|0xADDR]... [--max-checkpoints N]\n"
	      "         [--on-recorder-exit kill|detach] [--cwd DIR] [--no-pin] [--move-off PID] [--terminal-size CxR]\n"
	      "         (-- PROGRAM [ARGS...] | --attach PID)\n"
	      "  LIST: comma-separated system call names or numbers (write,read,1); DUR: 250us, 1ms, 2s, 500000ns\n"
	      "  --on-recorder-exit: what happens to the program if the recording stops early (signal, lost\n"
	      "    connection, error): default kill for a launched program; an attached one is always detached\n"
	      "  --attach: system call triggers (and memory-call tracking) stop at EVERY system call; the program\n"
	      "    keeps its own terminal and its output is not recorded (a launched program runs on a terminal\n"
	      "    of ours: its output is recorded with each checkpoint)\n"
	      "  --no-pin: by default a launched program runs on the recorder's CPU until it starts a second\n"
	      "    thread or process (cheaper checkpoints; meanwhile it sees one CPU in sched_getaffinity)\n"
	      "  --terminal-size: the launched program's terminal size when neither our stdin nor our stdout is one\n"
	      "  --move-off PID: meanwhile the threads of process PID (DeLorean, storing the checkpoints) run on\n"
	      "    the other CPUs; their CPU sets are given back when the program is unpinned or the recording ends\n"
	      "exit status: 0 done, 2 usage, 3 program cannot run, 4 not permitted to trace, 5 internal error,\n"
	      "  6 lost the connection to DeLorean\n",
	      f);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

/* A decimal unsigned number filling all of s. */
static int parse_u64(const char *s, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 } };
	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno) {
		errno = ERANGE;
		return -1;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v == 0) {
			errno = EINVAL;
			return -1;
		}
		if (v > UINT64_MAX / units[i].mult) {
			errno = ERANGE;
			return -1;
		}
		*ns = v * units[i].mult;
		return 0;
	}
	errno = EINVAL;
	return -1;
}

bool syscall_set_has(const struct syscall_set *set, long nr)
{
	if (set->all)
		return true;
	if (nr < 0 || nr >= SYSCALL_NR_LIMIT)
		return false;
	return (set->bits[nr / 64] >> (nr % 64)) & 1;
}

int parse_syscall_list(const char *s, struct syscall_set *set, char *err, size_t errlen)
{
	memset(set, 0, sizeof *set);
	if (strcmp(s, "all") == 0) {
		set->all = set->any = true;
		return 0;
	}
	const char *p = s;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char name[64];
		if (n == 0)
			return fail(err, errlen, "empty system call name in --syscalls '%s'", s);
		if (n >= sizeof name)
			return fail(err, errlen, "unknown system call '%.*s' in --syscalls", (int)n, p);
		memcpy(name, p, n);
		name[n] = '\0';
		uint64_t nr;
		int k;
		if (parse_u64(name, &nr) == 0) {
			if (nr >= SYSCALL_NR_LIMIT)
				return fail(err, errlen, "system call number %s out of range in --syscalls", name);
			k = (int)nr;
		} else if ((k = syscall_by_name(name)) < 0) {
			return fail(err, errlen, "unknown system call '%s' in --syscalls", name);
		}
		set->bits[k / 64] |= 1ull << (k % 64);
		set->any = true;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

void options_free(struct options *o)
{
	free(o->breaks);
	o->breaks = NULL;
	o->nbreaks = 0;
}

int options_parse(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->backend = DIRTY_AUTO;
	int i = 1;
	for (; i < argc; i++) {
		char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			o->help = true;
			return 0;
		}
		if (a[0] != '-')
			break; /* the program, without "--" */
		if (strcmp(a, "--no-pin") == 0) {
			o->no_pin = true;
			continue;
		}
		/* --name=value or --name value */
		char name[32];
		const char *val = NULL;
		const char *eq = strchr(a, '=');
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		if (n >= sizeof name)
			goto unknown;
		memcpy(name, a, n);
		name[n] = '\0';
		static const char *const takes_value[] = { "--socket", "--wire-file", "--backend", "--syscalls",
							   "--interval", "--break", "--max-checkpoints",
							   "--on-recorder-exit", "--cwd", "--attach", "--move-off",
							   "--terminal-size" };
		bool known = false;
		for (size_t k = 0; k < sizeof takes_value / sizeof takes_value[0]; k++)
			known |= strcmp(name, takes_value[k]) == 0;
		if (!known)
			goto unknown;
		if (eq) {
			val = eq + 1;
		} else {
			if (i + 1 >= argc)
				return fail(err, errlen, "%s needs a value", name);
			val = argv[++i];
		}

		if (strcmp(name, "--socket") == 0) {
			o->socket_path = val;
		} else if (strcmp(name, "--wire-file") == 0) {
			o->wire_file = val;
		} else if (strcmp(name, "--backend") == 0) {
			if (dirty_backend_parse(val, &o->backend) < 0)
				return fail(err, errlen, "unknown backend '%s' (auto, uffd-wp, soft-dirty or hash)", val);
		} else if (strcmp(name, "--syscalls") == 0) {
			if (parse_syscall_list(val, &o->syscalls, err, errlen) < 0)
				return -1;
		} else if (strcmp(name, "--interval") == 0) {
			if (parse_duration(val, &o->interval_ns) < 0)
				return fail(err, errlen, "bad --interval '%s' (a positive duration such as 250us, 1ms, 2s)",
					    val);
		} else if (strcmp(name, "--break") == 0) {
			if (!*val)
				return fail(err, errlen, "empty --break");
			const char **nb = realloc(o->breaks, (o->nbreaks + 1) * sizeof *nb);
			if (!nb)
				return fail(err, errlen, "out of memory");
			o->breaks = nb;
			o->breaks[o->nbreaks++] = val;
		} else if (strcmp(name, "--max-checkpoints") == 0) {
			if (parse_u64(val, &o->max_checkpoints) < 0 || o->max_checkpoints == 0)
				return fail(err, errlen, "bad --max-checkpoints '%s' (a positive number)", val);
		} else if (strcmp(name, "--on-recorder-exit") == 0) {
			if (strcmp(val, "kill") == 0)
				o->on_exit = EXIT_POLICY_KILL;
			else if (strcmp(val, "detach") == 0)
				o->on_exit = EXIT_POLICY_DETACH;
			else
				return fail(err, errlen, "bad --on-recorder-exit '%s' (kill or detach)", val);
		} else if (strcmp(name, "--cwd") == 0) {
			o->cwd = val;
		} else if (strcmp(name, "--attach") == 0) {
			uint64_t pid;
			if (parse_u64(val, &pid) < 0 || pid == 0 || pid > INT_MAX)
				return fail(err, errlen, "bad --attach '%s' (a process id)", val);
			o->attach_pid = (pid_t)pid;
		} else if (strcmp(name, "--move-off") == 0) {
			uint64_t pid;
			if (parse_u64(val, &pid) < 0 || pid == 0 || pid > INT_MAX)
				return fail(err, errlen, "bad --move-off '%s' (a process id)", val);
			o->move_off_pid = (pid_t)pid;
		} else if (strcmp(name, "--terminal-size") == 0) {
			unsigned cols, rows;
			char end;
			if (sscanf(val, "%ux%u%c", &cols, &rows, &end) != 2 || !cols || !rows || cols > 65535 || rows > 65535)
				return fail(err, errlen, "bad --terminal-size '%s' (COLSxROWS, such as 80x24)", val);
			o->cols = (unsigned short)cols;
			o->rows = (unsigned short)rows;
		}
		continue;
	unknown:
		return fail(err, errlen, "unknown option '%s'", a);
	}
	if (i < argc) {
		o->argv = argv + i;
		o->argc = argc - i;
	}

	if (!o->socket_path == !o->wire_file)
		return fail(err, errlen, "give exactly one of --socket PATH and --wire-file FILE");
	if (o->attach_pid && o->argc)
		return fail(err, errlen, "give either a program after -- or --attach PID, not both");
	if (!o->attach_pid && !o->argc)
		return fail(err, errlen, "no program to record (-- PROGRAM [ARGS...] or --attach PID)");
	if (o->attach_pid && o->cwd)
		return fail(err, errlen, "--cwd cannot be used with --attach");
	if (o->attach_pid && o->on_exit == EXIT_POLICY_KILL)
		return fail(err, errlen, "--on-recorder-exit kill cannot be used with --attach (an attached program is always left running)");
	return 0;
}
