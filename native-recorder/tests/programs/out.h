/*
 * out.h - unbuffered output for the test programs: exactly one write(2) per call, so the
 * number and order of write system calls is known (stdio would buffer differently on a pipe
 * and on a terminal). Header-only; each program includes it.
 */
#ifndef DL_TEST_OUT_H
#define DL_TEST_OUT_H

#include <stdint.h>
#include <string.h>
#include <unistd.h>

struct line {
	char buf[256];
	size_t len;
};

static inline void line_str(struct line *l, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof l->buf - l->len)
		n = sizeof l->buf - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static inline void line_u64(struct line *l, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && l->len < sizeof l->buf)
		l->buf[l->len++] = tmp[--n];
}

static inline void line_hex(struct line *l, uint64_t v)
{
	char tmp[16];
	int n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	line_str(l, "0x");
	while (n && l->len < sizeof l->buf)
		l->buf[l->len++] = tmp[--n];
}

/* One write(2) of the whole line to fd 1. */
static inline void line_write(struct line *l)
{
	ssize_t k = write(1, l->buf, l->len);
	(void)k;
	l->len = 0;
}

static inline long arg_or(int argc, char **argv, int i, long dflt)
{
	if (argc <= i)
		return dflt;
	char *end;
	long v = strtol(argv[i], &end, 10);
	return *end || v < 0 ? dflt : v;
}

#endif
