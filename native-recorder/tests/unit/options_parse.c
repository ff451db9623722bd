/*
 * options_parse.c - the command line: durations, system call lists, and whole argument
 * vectors, including every usage error the recorder must reject before starting anything.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "check.h"
#include "options.h"

static void test_durations(void)
{
	uint64_t ns = 0;
	CHECK(parse_duration("1ms", &ns) == 0 && ns == 1000000);
	CHECK(parse_duration("250us", &ns) == 0 && ns == 250000);
	CHECK(parse_duration("2s", &ns) == 0 && ns == 2000000000ull);
	CHECK(parse_duration("500000ns", &ns) == 0 && ns == 500000);
	CHECK(parse_duration("18446744073s", &ns) == 0 && ns == 18446744073000000000ull);
	errno = 0;
	CHECK(parse_duration("18446744074s", &ns) == -1 && errno == ERANGE);
	CHECK(parse_duration("99999999999999999999ns", &ns) == -1 && errno == ERANGE);
	const char *bad[] = { "", "1", "ms", "0ms", "-1ms", "1.5ms", "1 ms", "1msx", "1m", "1h", "+1ms", " 1ms", "1MS" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		errno = 0;
		ns = 42;
		int rc = parse_duration(bad[i], &ns);
		if (rc != -1 || errno != EINVAL || ns != 42)
			fprintf(stderr, "duration '%s' accepted or wrong errno\n", bad[i]);
		CHECK(rc == -1 && errno == EINVAL && ns == 42);
	}
}

static void test_syscall_lists(void)
{
	struct syscall_set set;
	char err[256];
	CHECK(parse_syscall_list("write", &set, err, sizeof err) == 0);
	CHECK(set.any && !set.all && syscall_set_has(&set, SYS_write) && !syscall_set_has(&set, SYS_read));
	CHECK(parse_syscall_list("write,read,epoll_wait,openat,0", &set, err, sizeof err) == 0);
	CHECK(syscall_set_has(&set, SYS_write) && syscall_set_has(&set, SYS_read) &&
	      syscall_set_has(&set, SYS_epoll_wait) && syscall_set_has(&set, SYS_openat) && syscall_set_has(&set, 0));
	CHECK(!syscall_set_has(&set, SYS_mmap) && !syscall_set_has(&set, -1) && !syscall_set_has(&set, 100000));
	CHECK(parse_syscall_list("511,clone3,exit_group", &set, err, sizeof err) == 0);
	CHECK(syscall_set_has(&set, 511) && syscall_set_has(&set, SYS_clone3) && syscall_set_has(&set, SYS_exit_group));
	CHECK(parse_syscall_list("all", &set, err, sizeof err) == 0);
	CHECK(set.all && syscall_set_has(&set, SYS_getpid) && syscall_set_has(&set, 400));

	CHECK(parse_syscall_list("write,bogus", &set, err, sizeof err) == -1);
	CHECK(strstr(err, "'bogus'") != NULL);
	CHECK(parse_syscall_list("write,,read", &set, err, sizeof err) == -1);
	CHECK(parse_syscall_list("", &set, err, sizeof err) == -1);
	CHECK(parse_syscall_list("write,", &set, err, sizeof err) == -1);
	CHECK(parse_syscall_list("512", &set, err, sizeof err) == -1);
	CHECK(strstr(err, "512") != NULL);
	CHECK(parse_syscall_list("write,all", &set, err, sizeof err) == -1);
	CHECK(parse_syscall_list("a_very_long_name_that_is_certainly_not_a_system_call_at_all_xxxxxxxx", &set, err,
				 sizeof err) == -1);
}

static int parse(char **argv, struct options *o, char *err, size_t errlen)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	return options_parse(argc, argv, o, err, errlen);
}

static void test_command_lines(void)
{
	struct options o;
	char err[256];
	char *full[] = { "rec", "--socket", "/tmp/s", "--backend", "hash", "--syscalls", "write,read", "--interval", "1ms",
			 "--break", "main", "--break=0x401000", "--max-checkpoints", "10", "--on-recorder-exit", "detach",
			 "--cwd", "/tmp", "--", "prog", "--not-an-option", NULL };
	CHECK(parse(full, &o, err, sizeof err) == 0);
	CHECK(o.socket_path && strcmp(o.socket_path, "/tmp/s") == 0 && !o.wire_file);
	CHECK(o.backend == DIRTY_HASH && o.interval_ns == 1000000 && o.max_checkpoints == 10);
	CHECK(o.on_exit == EXIT_POLICY_DETACH && o.cwd && strcmp(o.cwd, "/tmp") == 0);
	CHECK(o.nbreaks == 2 && strcmp(o.breaks[0], "main") == 0 && strcmp(o.breaks[1], "0x401000") == 0);
	CHECK(syscall_set_has(&o.syscalls, SYS_read) && !o.syscalls.all);
	CHECK(o.argc == 2 && strcmp(o.argv[0], "prog") == 0 && strcmp(o.argv[1], "--not-an-option") == 0);
	CHECK(o.argv[2] == NULL);
	options_free(&o);

	char *attach[] = { "rec", "--wire-file", "/tmp/w", "--attach", "1234", NULL };
	CHECK(parse(attach, &o, err, sizeof err) == 0 && o.attach_pid == 1234 && o.argc == 0);
	CHECK(o.backend == DIRTY_AUTO && o.on_exit == EXIT_POLICY_DEFAULT && !o.syscalls.any);
	options_free(&o);

	char *move[] = { "rec", "--wire-file", "/tmp/w", "--move-off", "77", "--", "p", NULL };
	CHECK(parse(move, &o, err, sizeof err) == 0 && o.move_off_pid == 77 && o.argc == 1);
	options_free(&o);

	char *size[] = { "rec", "--wire-file", "/tmp/w", "--terminal-size", "132x43", "--", "p", NULL };
	CHECK(parse(size, &o, err, sizeof err) == 0 && o.cols == 132 && o.rows == 43);
	options_free(&o);

	char *bare[] = { "rec", "--wire-file", "/tmp/w", "prog", "-x", NULL };
	CHECK(parse(bare, &o, err, sizeof err) == 0 && o.argc == 2);
	options_free(&o);

	char *help[] = { "rec", "--help", NULL };
	CHECK(parse(help, &o, err, sizeof err) == 0 && o.help);
	options_free(&o);

	struct {
		char *argv[8];
		const char *needle;
	} bad[] = {
		{ { "rec", "--", "prog", NULL }, "exactly one" },
		{ { "rec", "--socket", "a", "--wire-file", "b", "--", "p", NULL }, "exactly one" },
		{ { "rec", "--socket", "a", NULL }, "no program" },
		{ { "rec", "--socket", "a", "--attach", "1", "--", "p", NULL }, "not both" },
		{ { "rec", "--socket", "a", "--attach", "0", NULL }, "--attach" },
		{ { "rec", "--socket", "a", "--attach", "12x", NULL }, "--attach" },
		{ { "rec", "--socket", "a", "--move-off", "x", "--", "p", NULL }, "--move-off" },
		{ { "rec", "--socket", "a", "--frobnicate", "--", "p", NULL }, "'--frobnicate'" },
		{ { "rec", "--socket", "a", "--backend", "magic", "--", "p", NULL }, "'magic'" },
		{ { "rec", "--socket", "a", "--syscalls", "nope", "--", "p", NULL }, "'nope'" },
		{ { "rec", "--socket", "a", "--interval", "5", "--", "p", NULL }, "--interval" },
		{ { "rec", "--socket", "a", "--max-checkpoints", "0", "--", "p", NULL }, "--max-checkpoints" },
		{ { "rec", "--socket", "a", "--on-recorder-exit", "stay", "--", "p", NULL }, "'stay'" },
		{ { "rec", "--socket", "a", "--cwd", "/", "--attach", "5", NULL }, "--cwd" },
		{ { "rec", "--socket", "a", "--on-recorder-exit", "kill", "--attach", "5", NULL }, "always left running" },
		{ { "rec", "--socket", "a", "--terminal-size", "80", "--", "p", NULL }, "--terminal-size" },
		{ { "rec", "--socket", "a", "--terminal-size", "0x24", "--", "p", NULL }, "--terminal-size" },
		{ { "rec", "--socket", "a", "--terminal-size", "80x24x", "--", "p", NULL }, "--terminal-size" },
		{ { "rec", "--socket", NULL }, "needs a value" },
		{ { "rec", "--socket", "a", "--break=", "--", "p", NULL }, "--break" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		int rc = parse(bad[i].argv, &o, err, sizeof err);
		if (rc != -1 || !strstr(err, bad[i].needle))
			fprintf(stderr, "bad command line %zu: rc %d, err '%s' (want '%s')\n", i, rc, err, bad[i].needle);
		CHECK(rc == -1 && strstr(err, bad[i].needle));
		options_free(&o);
	}
}

int main(void)
{
	test_durations();
	test_syscall_lists();
	test_command_lines();
	return check_done("options_parse");
}
