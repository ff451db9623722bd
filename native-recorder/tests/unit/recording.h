/*
 * recording.h - helpers for the end-to-end recorder tests (header-only, static): run the
 * sanitized recorder on a test program, and decode a recorded wire stream into checkpoints
 * with the values of watched symbols reconstructed page by page (only pages holding watched
 * addresses are kept; zero ranges applied). Symbol addresses come from nm plus the load base
 * of the program found in the recorded MAPS text.
 */
#ifndef DL_TEST_RECORDING_H
#define DL_TEST_RECORDING_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "wire.h"

#define RECORDER "build/asan/delorean-recorder"
#define PROGS "build/programs/"
#define MAX_WATCH 16

static char wire_path[64], out_path[64]; /* set by the test before use */

/* ---- running the recorder ---- */

/* Starts the recorder with args (NULL-terminated): stdout to out_path, stderr to a pipe (*errfd). */
static pid_t spawn_recorder(char *const args[], int *errfd)
{
	char *argv[64];
	int n = 0;
	argv[n++] = RECORDER;
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int errp[2];
	if (pipe(errp) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(errp[1], 2);
		close(errp[0]);
		execv(RECORDER, argv);
		_exit(127);
	}
	close(errp[1]);
	*errfd = errp[0];
	return p;
}

/* Waits for a spawned recorder: its stderr into err, its exit status returned (128+N if killed). */
static int finish_recorder(pid_t p, int errfd, char *err, size_t errlen)
{
	size_t len = 0;
	ssize_t k;
	while (len + 1 < errlen && (k = read(errfd, err + len, errlen - len - 1)) > 0)
		len += (size_t)k;
	err[len] = '\0';
	close(errfd);
	int st;
	if (waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs the recorder to completion. Returns its exit status; its stderr is in err. */
__attribute__((unused)) static int record(char *const args[], char *err, size_t errlen)
{
	int errfd;
	pid_t p = spawn_recorder(args, &errfd);
	return p < 0 ? -1 : finish_recorder(p, errfd, err, errlen);
}

/* ---- decoding the stream ---- */

struct regs_rec {
	uint32_t tid;
	uint64_t rip;
};

struct checkpoint {
	uint64_t seq, detail, args[6];
	uint32_t trigger, tid, pages, threads;
	uint32_t nregs;
	struct regs_rec regs[16];
	uint64_t watch[MAX_WATCH]; /* the watched values (u64 at each address) */
	uint8_t watch_byte[MAX_WATCH];
	char output[64]; /* the program's terminal output sent with it (the first 63 bytes, NUL-terminated) */
	uint32_t output_len;
};

struct recording {
	uint32_t hello_flags;
	int32_t hello_pid;
	char exe[4096];
	bool have_exit;
	uint32_t exit_kind;
	int32_t exit_code;
	int errors; /* fatal WIRE_ERROR count */
	char trailing_output[64]; /* OUTPUT after the last checkpoint (first 63 bytes) */
	uint32_t trailing_len;
	uint64_t base; /* load base of the program (from the last MAPS) */
	char maps[1 << 16];
	struct checkpoint *ck;
	size_t n;
	bool well_formed;
};

static uint32_t u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const uint8_t *p)
{
	return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

/* The executable's load base: the mapping of `prog` at file offset 0 in the maps text. */
static uint64_t load_base(const char *maps, const char *prog)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	for (const char *l = maps; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		char line[1024];
		if (len < sizeof line) {
			memcpy(line, l, len);
			line[len] = '\0';
			unsigned long long s, e, off;
			char perms[8];
			int pos = 0;
			if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &pos) >= 4 && pos > 0 &&
			    off == 0) {
				const char *path = line + pos, *slash = strrchr(path, '/');
				if (slash && strcmp(slash + 1, base) == 0)
					return s;
			}
		}
		if (!nl)
			break;
		l = nl + 1;
	}
	return 0;
}

/* nm's value for sym in prog (0 if absent). */
static uint64_t nm_value(const char *prog, const char *sym)
{
	char cmd[512], line[512], name[256], type;
	unsigned long long v, found = 0;
	snprintf(cmd, sizeof cmd, "nm %s", prog);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof line, p))
		if (sscanf(line, "%llx %c %255s", &v, &type, name) == 3 && strcmp(name, sym) == 0)
			found = v;
	pclose(p);
	return found;
}

/*
 * Decodes wire_path. `syms` (NULL-terminated) are watched: their u64 value (and first byte) is
 * recorded at each checkpoint, with addresses relocated by the load base of prog.
 */
static void decode(struct recording *r, const char *prog, const char *const syms[])
{
	memset(r, 0, sizeof *r);
	r->well_formed = true;
	FILE *f = fopen(wire_path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	uint64_t rel[MAX_WATCH] = { 0 }, addr[MAX_WATCH] = { 0 };
	size_t nw = 0;
	for (; syms && syms[nw]; nw++)
		rel[nw] = nm_value(prog, syms[nw]);
	static uint8_t page[MAX_WATCH][4096];
	bool sent[MAX_WATCH];
	memset(page, 0, sizeof page);
	uint64_t zero[64][2];
	uint32_t nzero = 0;
	struct checkpoint cur = { 0 };
	bool in_ck = false;
	size_t cap = 0;
	uint8_t hdr[12];
	while (fread(hdr, 1, 12, f) == 12) {
		uint32_t len = u32(hdr + 8), type = hdr[4] | hdr[5] << 8;
		if (u32(hdr) != WIRE_MAGIC || len > WIRE_MAX_BODY) {
			r->well_formed = false;
			break;
		}
		uint8_t *b = malloc(len + 1);
		if (fread(b, 1, len, f) != len) {
			free(b);
			r->well_formed = false;
			break;
		}
		switch (type) {
		case WIRE_HELLO: {
			r->hello_pid = (int32_t)u32(b + 8);
			r->hello_flags = u32(b + 16);
			uint32_t n = u32(b + 24);
			if (n < sizeof r->exe) {
				memcpy(r->exe, b + 28, n);
				r->exe[n] = '\0';
			}
			break;
		}
		case WIRE_MAPS:
			if (len < sizeof r->maps) {
				memcpy(r->maps, b, len);
				r->maps[len] = '\0';
				uint64_t base = load_base(r->maps, prog);
				r->base = base;
				for (size_t i = 0; i < nw; i++)
					addr[i] = rel[i] + (rel[i] < base ? base : 0);
			}
			break;
		case WIRE_CHECKPOINT_BEGIN:
			memset(&cur, 0, sizeof cur);
			cur.seq = u64(b);
			cur.trigger = u32(b + 16);
			cur.tid = u32(b + 20);
			cur.detail = u64(b + 24);
			for (int i = 0; i < 6; i++)
				cur.args[i] = u64(b + 32 + 8 * i);
			memset(sent, 0, sizeof sent);
			nzero = 0;
			in_ck = true;
			break;
		case WIRE_OUTPUT: {
			char *dst = in_ck ? cur.output : r->trailing_output;
			uint32_t *dlen = in_ck ? &cur.output_len : &r->trailing_len;
			size_t have = strlen(dst), n = len < sizeof cur.output - 1 - have ? len : sizeof cur.output - 1 - have;
			memcpy(dst + have, b, n);
			dst[have + n] = '\0';
			*dlen += len;
			break;
		}
		case WIRE_ZERO_RANGES:
			nzero = u32(b) < 64 ? u32(b) : 64;
			for (uint32_t i = 0; i < nzero; i++) {
				zero[i][0] = u64(b + 8 + 16 * i);
				zero[i][1] = u64(b + 16 + 16 * i);
			}
			break;
		case WIRE_PAGES: {
			uint32_t n = u32(b);
			for (uint32_t i = 0; i < n; i++) {
				uint64_t a = u64(b + 8 + 8 * i);
				for (size_t w = 0; w < nw; w++) {
					if ((addr[w] & ~4095ull) == a) {
						memcpy(page[w], b + 8 + 8 * (size_t)n + 4096 * (size_t)i, 4096);
						sent[w] = true;
					}
				}
			}
			break;
		}
		case WIRE_REGS:
			if (cur.nregs < 16) {
				cur.regs[cur.nregs].tid = u32(b);
				cur.regs[cur.nregs].rip = u32(b + 4) >= 136 ? u64(b + 16 + 128) : 0;
				cur.nregs++;
			}
			break;
		case WIRE_CHECKPOINT_END:
			if (!in_ck || u64(b) != cur.seq)
				r->well_formed = false;
			cur.pages = u32(b + 8);
			cur.threads = u32(b + 12);
			for (size_t w = 0; w < nw; w++) {
				for (uint32_t z = 0; z < nzero; z++)
					if (!sent[w] && addr[w] >= zero[z][0] && addr[w] < zero[z][1])
						memset(page[w], 0, 4096);
				uint64_t off = addr[w] & 4095;
				uint64_t v = 0;
				memcpy(&v, page[w] + off, off <= 4088 ? 8 : 4096 - off);
				cur.watch[w] = v;
				cur.watch_byte[w] = page[w][off];
			}
			if (r->n == cap) {
				cap = cap ? cap * 2 : 64;
				r->ck = realloc(r->ck, cap * sizeof *r->ck);
			}
			r->ck[r->n++] = cur;
			in_ck = false;
			break;
		case WIRE_EXIT:
			r->have_exit = true;
			r->exit_kind = u32(b);
			r->exit_code = (int32_t)u32(b + 4);
			break;
		case WIRE_ERROR:
			r->errors += u32(b + 4) != 0;
			break;
		default:
			break;
		}
		free(b);
	}
	fclose(f);
	for (size_t i = 0; i < r->n; i++)
		if (r->ck[i].seq != i)
			r->well_formed = false;
}

__attribute__((unused)) static bool file_contains(const char *path, const char *needle)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

#endif
