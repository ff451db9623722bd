/*
 * record_control.c - end to end, the recorder driven as DeLorean drives it: over a Unix
 * socket with REQUEST / PAUSE / RESUME / STOP, a dropped connection, SIGTERM, the interval
 * trigger on a busy loop and on a program blocked in system calls, and --attach with a
 * detach at the end. The sanitized recorder is used; streams are decoded with recording.h.
 */
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "recording.h"

static char sock_path[108];

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The bytes received on the socket, and what has been seen in them so far. */
struct stream {
	int fd;
	uint8_t *buf;
	size_t len, cap, scanned;
	long last_end; /* seq of the last CHECKPOINT_END, -1 before any */
	bool exit_seen, eof;
};

/* Reads what is available (waiting up to timeout_ms for something), then scans whole messages. */
static void pump(struct stream *st, int timeout_ms)
{
	struct pollfd pf = { st->fd, POLLIN, 0 };
	if (st->eof || poll(&pf, 1, timeout_ms) <= 0)
		return;
	if (st->cap - st->len < 65536) {
		st->cap = st->cap ? st->cap * 2 : 1 << 20;
		st->buf = realloc(st->buf, st->cap);
	}
	ssize_t k = read(st->fd, st->buf + st->len, st->cap - st->len);
	if (k <= 0) {
		st->eof = true;
		return;
	}
	st->len += (size_t)k;
	while (st->len - st->scanned >= 12) {
		const uint8_t *h = st->buf + st->scanned;
		uint32_t body = u32(h + 8), type = h[4] | h[5] << 8;
		if (st->len - st->scanned < 12 + body)
			break;
		if (type == WIRE_CHECKPOINT_END)
			st->last_end = (long)u64(h + 12);
		if (type == WIRE_EXIT)
			st->exit_seen = true;
		st->scanned += 12 + body;
	}
}

static bool wait_end(struct stream *st, long seq, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	while (st->last_end < seq && !st->eof && now_ms() < deadline)
		pump(st, 50);
	return st->last_end >= seq;
}

static void drain(struct stream *st, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
	while (!st->eof && now_ms() < deadline)
		pump(st, 50);
}

static void send_control(struct stream *st, enum wire_type type, uint32_t action)
{
	struct wire w;
	CHECK(wire_init(&w, st->fd) == 0);
	CHECK(wire_control(&w, type, action) == 0 && wire_flush(&w) == 0);
	wire_free(&w);
}

/* Starts the recorder on a fresh socket (args after --socket PATH) and accepts its connection. */
static pid_t start_socket(char *const args[], struct stream *st, int *errfd)
{
	memset(st, 0, sizeof *st);
	st->last_end = -1;
	unlink(sock_path);
	int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, sock_path);
	CHECK(bind(srv, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(srv, 1) == 0);
	char *argv[32] = { "--socket", sock_path };
	int n = 2;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t p = spawn_recorder(argv, errfd);
	struct pollfd pf = { srv, POLLIN, 0 };
	CHECK(poll(&pf, 1, 10000) == 1);
	st->fd = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	CHECK(st->fd >= 0);
	close(srv);
	return p;
}

/* Keeps what was received, for decode(). */
static void save(const struct stream *st)
{
	FILE *f = fopen(wire_path, "wb");
	CHECK(f != NULL);
	if (f) {
		fwrite(st->buf, 1, st->len, f);
		fclose(f);
	}
}

static void test_control(void)
{
	struct stream st;
	int errfd;
	char err[4096];
	char *args[] = { "--", PROGS "spin", "5000", NULL };
	uint64_t t0 = now_ms();
	pid_t p = start_socket(args, &st, &errfd);
	CHECK(wait_end(&st, 0, 10000));
	sleep_ms(100); /* into main's loop */
	send_control(&st, WIRE_REQUEST_CHECKPOINT, 0);
	CHECK(wait_end(&st, 1, 5000));
	send_control(&st, WIRE_PAUSE, 0);
	sleep_ms(20);
	send_control(&st, WIRE_REQUEST_CHECKPOINT, 0);
	CHECK(wait_end(&st, 2, 5000));
	sleep_ms(50);
	send_control(&st, WIRE_REQUEST_CHECKPOINT, 0);
	CHECK(wait_end(&st, 3, 5000));
	send_control(&st, WIRE_RESUME, 0);
	sleep_ms(100);
	send_control(&st, WIRE_REQUEST_CHECKPOINT, 0);
	CHECK(wait_end(&st, 4, 5000));
	send_control(&st, WIRE_STOP, 1);
	drain(&st, 10000);
	CHECK(st.eof && st.exit_seen);
	close(st.fd);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 0);
	CHECK(now_ms() - t0 < 4000); /* killed, long before the program's 5 s */
	save(&st);
	struct recording r;
	const char *syms[] = { "ticks", NULL };
	decode(&r, PROGS "spin", syms);
	CHECK(r.well_formed && r.n == 5);
	if (r.n == 5) {
		for (int i = 1; i < 5; i++)
			CHECK(r.ck[i].trigger == WIRE_TRIGGER_REQUEST);
		CHECK(r.ck[1].watch[0] > 0);
		CHECK(r.ck[2].watch[0] >= r.ck[1].watch[0]);
		CHECK_EQ_U64(r.ck[3].watch[0], r.ck[2].watch[0]); /* paused: not one tick */
		CHECK(r.ck[4].watch[0] > r.ck[3].watch[0]);     /* resumed */
	}
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_SIGNALED && r.exit_code == 9);
	free(r.ck);
	free(st.buf);
}

static void test_stop_detach(void)
{
	struct stream st;
	int errfd;
	char err[4096];
	char *args[] = { "--", PROGS "spin", "300", NULL };
	pid_t p = start_socket(args, &st, &errfd);
	CHECK(wait_end(&st, 0, 10000));
	send_control(&st, WIRE_STOP, 0);
	drain(&st, 10000);
	CHECK(st.eof && st.exit_seen);
	close(st.fd);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 0);
	save(&st);
	struct recording r;
	decode(&r, PROGS "spin", NULL);
	CHECK(r.n == 1 && r.have_exit && r.exit_kind == WIRE_EXIT_DETACHED);
	CHECK(file_contains(out_path, "ticks=")); /* it ran to its end */
	free(r.ck);
	free(st.buf);
}

static void test_lost_connection(void)
{
	struct stream st;
	int errfd;
	char err[4096];
	char *args[] = { "--", PROGS "spin", "5000", NULL };
	uint64_t t0 = now_ms();
	pid_t p = start_socket(args, &st, &errfd);
	CHECK(wait_end(&st, 0, 10000));
	close(st.fd);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 6);
	CHECK(strstr(err, "lost the connection") != NULL);
	CHECK(now_ms() - t0 < 4000);
	CHECK(!file_contains(out_path, "ticks=")); /* killed (the default for a launched program) */
	free(st.buf);

	/* With --on-recorder-exit detach the program runs on. */
	char *detach[] = { "--on-recorder-exit", "detach", "--", PROGS "spin", "300", NULL };
	p = start_socket(detach, &st, &errfd);
	CHECK(wait_end(&st, 0, 10000));
	close(st.fd);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 6);
	CHECK(file_contains(out_path, "ticks="));
	free(st.buf);
}

static void test_sigterm(void)
{
	int errfd;
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--interval", "5ms", "--", PROGS "spin", "5000", NULL };
	pid_t p = spawn_recorder(args, &errfd);
	sleep_ms(300);
	kill(p, SIGTERM);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 0);
	struct recording r;
	decode(&r, PROGS "spin", NULL);
	CHECK(r.well_formed && r.n >= 5);
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_SIGNALED && r.exit_code == 9);
	free(r.ck);
}

static void test_interval(void)
{
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--interval", "5ms", "--", PROGS "spin", "300", NULL };
	CHECK(record(args, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "ticks", NULL };
	decode(&r, PROGS "spin", syms);
	size_t intervals = 0;
	for (size_t i = 1; i + 1 < r.n; i++) {
		CHECK(r.ck[i].trigger == WIRE_TRIGGER_INTERVAL);
		/* Never backwards; equal only if the machine gave the program no CPU in between. */
		CHECK(r.ck[i].watch[0] >= r.ck[i - 1].watch[0]);
		intervals++;
	}
	CHECK(intervals >= 20);
	if (r.n > 2)
		CHECK(r.ck[r.n - 2].watch[0] > r.ck[1].watch[0]);
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_EXITED && r.exit_code == 0);
	free(r.ck);

	/* Blocked in nanosleep and poll: interrupted by each checkpoint, restarted transparently. */
	char *blocked[] = { "--wire-file", wire_path, "--interval", "2ms", "--syscalls", "write", "--", PROGS "blocker",
			    "4", "50", NULL };
	uint64_t t0 = now_ms();
	CHECK(record(blocked, err, sizeof err) == 0);
	uint64_t took = now_ms() - t0;
	CHECK(took >= 200 && took < 3000);
	CHECK(file_contains(out_path, "step 3\r\ndone\r\n"));
	const char *bsyms[] = { "step", NULL };
	decode(&r, PROGS "blocker", bsyms);
	size_t writes = 0;
	intervals = 0;
	for (size_t i = 0; i < r.n; i++) {
		writes += r.ck[i].trigger == WIRE_TRIGGER_SYSCALL;
		intervals += r.ck[i].trigger == WIRE_TRIGGER_INTERVAL;
		if (i > 0)
			CHECK((int32_t)r.ck[i].watch[0] >= (int32_t)r.ck[i - 1].watch[0]);
	}
	CHECK(writes == 5 && intervals >= 20);
	free(r.ck);
}

static void test_attach(void)
{
	pid_t child = fork();
	if (child == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execl(PROGS "spin", "spin", "1500", (char *)NULL);
		_exit(127);
	}
	sleep_ms(50);
	char pid[16];
	snprintf(pid, sizeof pid, "%d", (int)child);
	int errfd;
	char err[4096];
	char *args[] = { "--wire-file", wire_path, "--interval", "5ms", "--attach", pid, NULL };
	pid_t p = spawn_recorder(args, &errfd);
	sleep_ms(300);
	kill(p, SIGTERM);
	CHECK(finish_recorder(p, errfd, err, sizeof err) == 0);
	struct recording r;
	const char *syms[] = { "ticks", NULL };
	decode(&r, PROGS "spin", syms);
	CHECK(r.well_formed && r.n >= 5 && r.hello_pid == child && (r.hello_flags & WIRE_HELLO_ATTACHED));
	if (r.n > 0)
		CHECK(r.ck[0].trigger == WIRE_TRIGGER_START && r.ck[0].watch[0] > 0); /* it was already running */
	CHECK(r.have_exit && r.exit_kind == WIRE_EXIT_DETACHED);
	free(r.ck);
	int st;
	CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0); /* let go, unharmed */
}

int main(void)
{
	if (access(RECORDER, X_OK) != 0 || access(PROGS "spin", X_OK) != 0) {
		fprintf(stderr, "record_control: build the recorder and programs first (make)\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(wire_path, sizeof wire_path, "/tmp/record_control.%d.wire", (int)getpid());
	snprintf(out_path, sizeof out_path, "/tmp/record_control.%d.out", (int)getpid());
	snprintf(sock_path, sizeof sock_path, "/tmp/record_control.%d.sock", (int)getpid());
	test_control();
	test_stop_detach();
	test_lost_connection();
	test_sigterm();
	test_interval();
	test_attach();
	unlink(wire_path);
	unlink(out_path);
	unlink(sock_path);
	return check_done("record_control");
}
