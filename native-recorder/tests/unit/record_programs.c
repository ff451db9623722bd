/*
 * record_programs.c - end to end: the sanitized recorder (build/asan/delorean-recorder) records
 * the test programs to a wire file, and the stream is decoded here and checked checkpoint by
 * checkpoint against each program's documented memory history: counter values at every
 * write(2), the SIGSEGV final state, breakpoint hits with the int3 hidden, threads' slots,
 * --max-checkpoints, and the exit statuses for bad command lines and missing programs.
 *
 * Symbol addresses come from nm (binutils) plus the executable's load base read from the
 * recorded MAPS text. Only the pages holding watched addresses are kept.
 */
#include "recording.h"

/* ---- the scenarios ---- */

static void test_counter(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--syscalls", "write", "--", PROGS "counter", "20", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "counter", "squares", NULL };
	decode(&r, PROGS "counter", syms);
	CHECK(r.well_formed && r.errors == 0 && r.hello_pid > 0 && r.hello_flags == 0);
	/* start, 20 steps + "done" writes, exit */
	CHECK_EQ_U64(r.n, 23);
	if (r.n == 23) {
		CHECK(r.ck[0].trigger == WIRE_TRIGGER_START && r.ck[0].watch[0] == 0);
		for (uint64_t k = 0; k < 21; k++) {
			const struct checkpoint *c = &r.ck[1 + k];
			uint64_t i = k < 20 ? k : 19;
			CHECK(c->trigger == WIRE_TRIGGER_SYSCALL && c->detail == 1 && c->args[0] == 1);
			CHECK(c->args[2] == (k < 20 ? (k < 10 ? 4u : 5u) : 5u)); /* "i=K\n" or "done\n" */
			CHECK_EQ_U64(c->watch[0], i);
			CHECK_EQ_U64(c->watch[1], i * i);
			CHECK(c->threads == 1 && c->nregs == 1 && c->regs[0].tid == c->tid);
		}
		CHECK(r.ck[22].trigger == WIRE_TRIGGER_EXIT && r.ck[22].detail == 0 && r.ck[22].watch[0] == 19);
		/* The terminal output travels with the checkpoint it precedes: at the entry of write k,
		 * exactly the line of write k-1 (the pty turns \n into \r\n); "done" with the exit. */
		CHECK(r.ck[0].output_len == 0 && r.ck[1].output_len == 0);
		for (int k = 1; k <= 20; k++) {
			char want[32];
			snprintf(want, sizeof want, "i=%d\r\n", k - 1);
			CHECK(strcmp(r.ck[1 + k].output, want) == 0);
		}
		CHECK(strcmp(r.ck[22].output, "done\r\n") == 0);
		/* Later checkpoints carry only what changed: a few pages, not the whole process. */
		CHECK(r.ck[5].pages < 16 && r.ck[0].pages > r.ck[5].pages);
	}
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_EXITED && r.exit_code == 0);
	CHECK(r.trailing_len == 0);
	CHECK(file_contains(out_path, "i=19\r\ndone\r\n")); /* echoed to our stdout as the terminal showed it */
	free(r.ck);
}

static void test_segv(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--", PROGS "segv", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "marker", "main", NULL };
	decode(&r, PROGS "segv", syms);
	CHECK(r.well_formed && r.n == 2);
	if (r.n == 2) {
		const struct checkpoint *c = &r.ck[1];
		CHECK(c->trigger == WIRE_TRIGGER_SIGNAL && c->detail == 11);
		CHECK_EQ_U64(c->watch[0], 0x5e6f5e6f5e6f5e6full);
		/* it died in main, a few bytes after its start */
		uint64_t main_addr = nm_value(PROGS "segv", "main") + r.base;
		CHECK(c->nregs == 1 && c->regs[0].rip > main_addr && c->regs[0].rip < main_addr + 0x100);
	}
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_SIGNALED && r.exit_code == 11);
	free(r.ck);
}

static void test_breakpoints(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--break", "checkpoint_here", "--", PROGS "breakme", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "hits", "checkpoint_here", NULL };
	decode(&r, PROGS "breakme", syms);
	CHECK(r.well_formed && r.n == 7);
	if (r.n == 7) {
		uint8_t first = r.ck[0].watch_byte[1];
		CHECK(first != 0xcc && first != 0);
		for (int k = 0; k < 5; k++) {
			const struct checkpoint *c = &r.ck[1 + k];
			CHECK(c->trigger == WIRE_TRIGGER_BREAKPOINT);
			CHECK(c->nregs == 1 && c->regs[0].rip == c->detail); /* stopped before the function's first byte */
			CHECK_EQ_U64((uint32_t)c->watch[0], (uint64_t)k + 1);
			CHECK(c->watch_byte[1] == first); /* our int3 never shows */
		}
		CHECK(r.ck[6].trigger == WIRE_TRIGGER_EXIT);
	}
	CHECK(file_contains(out_path, "done\r\n"));
	free(r.ck);
}

static void test_threads(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--syscalls", "write", "--", PROGS "threads", "4", "20", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "slots", NULL };
	decode(&r, PROGS "threads", syms);
	CHECK(r.well_formed && r.n == 1 + 4 * 20 + 1 + 1);
	bool saw_many = false; /* several threads stopped and recorded at once */
	for (size_t i = 0; i < r.n; i++) {
		CHECK(r.ck[i].threads == r.ck[i].nregs && r.ck[i].threads >= 1 && r.ck[i].threads <= 5);
		saw_many |= r.ck[i].threads >= 3;
		if (i > 0) /* slots[0] never goes backwards */
			CHECK(r.ck[i].watch[0] >= r.ck[i - 1].watch[0]);
	}
	CHECK(saw_many);
	if (r.n)
		CHECK(r.ck[r.n - 1].trigger == WIRE_TRIGGER_EXIT && r.ck[r.n - 1].watch[0] == 20);
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_EXITED && r.exit_code == 0);
	free(r.ck);
}

static void test_max_checkpoints(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--syscalls", "write", "--max-checkpoints", "3", "--", PROGS "counter",
			 "50", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	decode(&r, PROGS "counter", NULL);
	CHECK(r.well_formed && r.n == 3);
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_DETACHED);
	CHECK(file_contains(out_path, "i=49\r\ndone\r\n")); /* it ran on to the end (its output still relayed) */
	free(r.ck);
}

static void test_exec(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--syscalls", "write", "--", PROGS "exec", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "counter", NULL };
	decode(&r, PROGS "counter", syms);
	/* start, "before exec" write, EXEC, 3 + 1 writes, exit */
	CHECK(r.well_formed && r.n == 8);
	if (r.n == 8) {
		CHECK(r.ck[2].trigger == WIRE_TRIGGER_EXEC);
		CHECK(r.ck[3].watch[0] == 0 && r.ck[4].watch[0] == 1 && r.ck[5].watch[0] == 2);
	}
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_EXITED && r.exit_code == 0);
	free(r.ck);
}

static void test_errors(void)
{
	char err[4096];
	struct recording r;
	char *missing[] = { "--wire-file", wire_path, "--", "no-such-program-xyz", NULL };
	CHECK(record(missing, err, sizeof err) == 3);
	CHECK(strstr(err, "cannot run 'no-such-program-xyz': No such file or directory") != NULL);
	decode(&r, "", NULL);
	CHECK(r.errors == 1 && r.n == 0 && !r.have_exit); /* a fatal WIRE_ERROR, nothing else */
	free(r.ck);

	char *dir[] = { "--wire-file", wire_path, "--", "/tmp", NULL };
	CHECK(record(dir, err, sizeof err) == 3 && strstr(err, "cannot run '/tmp'"));
	char *nosym[] = { "--wire-file", wire_path, "--break", "no_such_fn", "--", PROGS "breakme", NULL };
	CHECK(record(nosym, err, sizeof err) == 2 && strstr(err, "no_such_fn"));
	char *badsys[] = { "--wire-file", wire_path, "--syscalls", "wirte", "--", PROGS "counter", NULL };
	CHECK(record(badsys, err, sizeof err) == 2 && strstr(err, "'wirte'"));
	char *badpid[] = { "--wire-file", wire_path, "--attach", "12ab", NULL };
	CHECK(record(badpid, err, sizeof err) == 2);
	char *gone[] = { "--wire-file", wire_path, "--attach", "999999999", NULL }; /* above any pid_max */
	CHECK(record(gone, err, sizeof err) == 3 && strstr(err, "999999999"));
	/* Not permitted: attaching to init as an unprivileged user is refused by the kernel. */
	if (getuid() != 0) {
		char *init[] = { "--wire-file", wire_path, "--attach", "1", NULL };
		CHECK(record(init, err, sizeof err) == 4);
	}
}

int main(void)
{
	if (access(RECORDER, X_OK) != 0 || access(PROGS "counter", X_OK) != 0) {
		fprintf(stderr, "record_programs: build the recorder and programs first (make)\n");
		return 1;
	}
	snprintf(wire_path, sizeof wire_path, "/tmp/record_programs.%d.wire", (int)getpid());
	snprintf(out_path, sizeof out_path, "/tmp/record_programs.%d.out", (int)getpid());
	test_counter();
	test_segv();
	test_breakpoints();
	test_threads();
	test_max_checkpoints();
	test_exec();
	test_errors();
	unlink(wire_path);
	unlink(out_path);
	return check_done("record_programs");
}
