/*
 * wire_golden.c - the C encoder must produce shared/protocol/golden.bin byte for byte.
 *
 * Encodes the message sequence of shared/protocol/golden-messages.ts (keep the two in step)
 * into a memfd through the real buffered writer, then compares with the golden file and
 * prints the first differing offset on a mismatch. Run from native-recorder/ (make test).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "wire.h"

#define GOLDEN "../shared/protocol/golden.bin"

static uint8_t *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	*len = n;
	return buf;
}

static int encode_golden(struct wire *w)
{
	static uint8_t pages[2 * 4096];
	static uint8_t gp[216], fp[16];
	for (int i = 0; i < 4096; i++) {
		pages[i] = (uint8_t)i;
		pages[4096 + i] = (uint8_t)(i * 7 + 3);
	}
	for (int i = 0; i < 216; i++)
		gp[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		fp[i] = (uint8_t)(0xa0 + i);
	char *argv[] = { "prog", "-x", "\xc3\xa9", NULL };
	const uint64_t args[6] = { 1, 0x7ffd0000, 14, 0, 0, 0xffffffffffffffffull };
	const uint64_t zero[1][2] = { { 0x10000, 0x20000 } };
	const uint64_t addrs[2] = { 0x7f0000001000ull, 0x7f0000003000ull };
	const char *maps = "00400000-00401000 r-xp 00000000 08:01 1234 /usr/bin/prog\n";
	static const uint8_t output[] = { 'i', '=', '6', '\r', '\n', 0x1b, '[', 'm', 0xff };

	if (wire_hello(w, 4242, WIRE_BACKEND_UFFD_WP, WIRE_HELLO_ATTACHED, "/usr/bin/prog", "/home/u", 3, argv) ||
	    wire_maps(w, maps, strlen(maps)) ||
	    wire_checkpoint_begin(w, 7, 123456789012345ull, WIRE_TRIGGER_SYSCALL, 4243, 1, args) ||
	    wire_output(w, output, sizeof output) ||
	    wire_zero_ranges(w, zero, 1) || wire_pages(w, addrs, 2, pages) ||
	    wire_regs(w, 4243, gp, sizeof gp, fp, sizeof fp) || wire_checkpoint_end(w, 7, 2, 1) ||
	    wire_error(w, 1, 0, "uffd: EPERM") || wire_exec(w, "/bin/true") || wire_exit(w, WIRE_EXIT_SIGNALED, 11) ||
	    wire_control(w, WIRE_REQUEST_CHECKPOINT, 0) || wire_control(w, WIRE_STOP, 1))
		return -1;
	return wire_flush(w);
}

/* The control messages at the end of the golden file, decoded in every split. */
static void test_control_decoding(const uint8_t *golden, size_t len)
{
	/* The last two messages: REQUEST_CHECKPOINT (12 bytes) and STOP 1 (16 bytes). */
	CHECK(len > 28);
	const uint8_t *ctl = golden + len - 28;
	for (size_t split = 0; split <= 28; split++) {
		struct wire_reader r = { .len = 0 };
		struct wire_control_msg out[4];
		int a = wire_read_control(&r, ctl, split, out, 4);
		CHECK(a >= 0);
		int b = wire_read_control(&r, ctl + split, 28 - split, out + (a > 0 ? a : 0), 4 - (a > 0 ? a : 0));
		CHECK(b >= 0 && a + b == 2);
		if (a + b == 2) {
			CHECK(out[0].type == WIRE_REQUEST_CHECKPOINT);
			CHECK(out[1].type == WIRE_STOP && out[1].stop_action == 1);
		}
		CHECK(r.len == 0);
	}
	/* Byte by byte. */
	struct wire_reader r = { .len = 0 };
	struct wire_control_msg out[2];
	int got = 0;
	for (size_t i = 0; i < 28; i++) {
		int k = wire_read_control(&r, ctl + i, 1, out + got, 2 - got);
		CHECK(k >= 0);
		got += k > 0 ? k : 0;
		CHECK(got == (i >= 27 ? 2 : i >= 11 ? 1 : 0));
	}

	/* Many messages in one feed: more than fit in the reader's own buffer. */
	uint8_t many[40 * 12];
	for (int i = 0; i < 40; i++)
		memcpy(many + 12 * i, ctl, 12);
	struct wire_control_msg lots[40];
	r.len = 0;
	CHECK(wire_read_control(&r, many, sizeof many, lots, 40) == 40);
	CHECK(lots[39].type == WIRE_REQUEST_CHECKPOINT);
	r.len = 0;
	errno = 0;
	CHECK(wire_read_control(&r, many, sizeof many, lots, 39) == -1 && errno == EOVERFLOW);

	/* Garbage: bad magic, a recorder->main type, a wrong body length, non-zero flags. */
	uint8_t bad[16];
	const size_t offs[] = { 0, 4, 8, 6 };
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		memcpy(bad, ctl + 12, 16);
		bad[offs[i]] ^= 0x01;
		r.len = 0;
		errno = 0;
		CHECK(wire_read_control(&r, bad, 16, out, 2) == -1 && errno == EPROTO);
	}
	/* A header announcing an absurd length is rejected at once, not waited for. */
	memcpy(bad, ctl, 12);
	bad[8] = 0xff;
	r.len = 0;
	CHECK(wire_read_control(&r, bad, 12, out, 2) == -1 && errno == EPROTO);
}

/* Writer edge cases: a pages batch over the limit is refused; a dead peer gives EPIPE and stays failed. */
static void test_writer_errors(void)
{
	int fds[2];
	CHECK(pipe(fds) == 0);
	struct wire w;
	CHECK(wire_init(&w, fds[1]) == 0);
	static uint64_t addrs[WIRE_MAX_PAGES_PER_MSG + 1];
	errno = 0;
	CHECK(wire_pages(&w, addrs, WIRE_MAX_PAGES_PER_MSG + 1, NULL) == -1 && errno == EINVAL);
	close(fds[0]);
	CHECK(wire_exit(&w, WIRE_EXIT_EXITED, 0) == 0); /* buffered */
	errno = 0;
	CHECK(wire_flush(&w) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(wire_exit(&w, WIRE_EXIT_EXITED, 0) == -1 && errno == EPIPE);
	wire_free(&w);
	close(fds[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	FILE *g = fopen(GOLDEN, "rb");
	if (!g) {
		fprintf(stderr, "wire_golden: cannot open %s (run from native-recorder/): %s\n", GOLDEN, strerror(errno));
		return 1;
	}
	size_t glen;
	uint8_t *golden = read_all(fileno(g), &glen);
	fclose(g);

	int fd = memfd_create("wire_golden", 0);
	CHECK(fd >= 0);
	struct wire w;
	CHECK(wire_init(&w, fd) == 0);
	CHECK(encode_golden(&w) == 0);
	wire_free(&w);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	size_t len;
	uint8_t *mine = read_all(fd, &len);
	close(fd);

	size_t n = len < glen ? len : glen, i = 0;
	while (i < n && mine[i] == golden[i])
		i++;
	if (i < n || len != glen) {
		fprintf(stderr, "wire_golden: C encoding differs from %s at byte %zu (C: %zu bytes, golden: %zu bytes)",
			GOLDEN, i, len, glen);
		if (i < n)
			fprintf(stderr, ": C 0x%02x, golden 0x%02x", mine[i], golden[i]);
		fputc('\n', stderr);
		check_failures++;
	}

	test_control_decoding(golden, glen);
	test_writer_errors();
	free(mine);
	free(golden);
	return check_done("wire_golden");
}
