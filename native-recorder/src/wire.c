/*
 * wire.c - the recorder's encoder of the wire protocol, and the decoder of the few control
 * messages the main process sends back (layout: include/wire.h, shared/protocol/wire.ts).
 *
 * Owns: struct wire, a buffered writer on ONE blocking fd (a Unix stream socket or a file).
 * Small messages are copied into the buffer; bulk parts (page data, a large maps text) are
 * written straight from the caller's memory with writev after what is buffered, so a
 * 4 MiB PAGES batch is never copied twice. Everything is little-endian (x86-64 native, but
 * the encoder writes byte by byte through put_u* so the layout never depends on the host).
 *
 * Invariants: the buffer never holds a partial message after wire_flush(); a write that
 * fails leaves the stream unusable (the consumer cannot resynchronise anyway) and every
 * later call fails with the same errno. Writes block: backpressure, never loss.
 *
 * Not thread-safe; one writer per fd.
 */
#include "wire.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define WIRE_BUF_CAP (256u * 1024u)
/* Parts at least this big are written from the caller's memory instead of copied. */
#define WIRE_DIRECT_MIN (16u * 1024u)

static uint8_t *put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 4;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + 8;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int wire_init(struct wire *w, int fd)
{
	w->fd = fd;
	w->len = 0;
	w->cap = WIRE_BUF_CAP;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		w->cap = 0;
		return -1;
	}
	return 0;
}

void wire_free(struct wire *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

/* Writes every byte of iov[0..n) (modifies iov), retrying short writes and EINTR. */
static int write_all_iov(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		if (iov->iov_len == 0) {
			iov++;
			n--;
			continue;
		}
		ssize_t k = writev(fd, iov, n > IOV_MAX ? IOV_MAX : n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		size_t left = (size_t)k;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

/* A failed stream stays failed: fd < 0 after an error, errno kept in len. */
static int failed(struct wire *w, int err)
{
	w->fd = -1;
	w->len = (size_t)err;
	errno = err;
	return -1;
}

int wire_flush(struct wire *w)
{
	if (w->fd < 0) {
		errno = (int)w->len;
		return -1;
	}
	if (w->len == 0)
		return 0;
	struct iovec iov = { w->buf, w->len };
	if (write_all_iov(w->fd, &iov, 1) < 0)
		return failed(w, errno);
	w->len = 0;
	return 0;
}

struct part {
	const void *p;
	size_t n;
};

/*
 * Emits one message: header, then the parts in order. Small parts are buffered; big ones go
 * out directly (after flushing what is buffered, so order is kept).
 */
static int emit(struct wire *w, enum wire_type type, const struct part *parts, int nparts)
{
	if (w->fd < 0) {
		errno = (int)w->len;
		return -1;
	}
	size_t body = 0;
	for (int i = 0; i < nparts; i++)
		body += parts[i].n;
	if (body > WIRE_MAX_BODY) {
		errno = EMSGSIZE;
		return -1;
	}
	if (w->len + WIRE_HEADER_SIZE > w->cap && wire_flush(w) < 0)
		return -1;
	uint8_t *h = w->buf + w->len;
	h = put_u32(h, WIRE_MAGIC);
	h = put_u16(h, (uint16_t)type);
	h = put_u16(h, 0);
	put_u32(h, (uint32_t)body);
	w->len += WIRE_HEADER_SIZE;

	for (int i = 0; i < nparts; i++) {
		const struct part *pt = &parts[i];
		if (pt->n >= WIRE_DIRECT_MIN || pt->n > w->cap - w->len) {
			struct iovec iov[2] = { { w->buf, w->len }, { (void *)pt->p, pt->n } };
			if (write_all_iov(w->fd, iov, 2) < 0)
				return failed(w, errno);
			w->len = 0;
			continue;
		}
		if (pt->n)
			memcpy(w->buf + w->len, pt->p, pt->n);
		w->len += pt->n;
	}
	return 0;
}

/* A fixed-size scratch body, encoded with put_* and emitted as one part. */
static int emit_fixed(struct wire *w, enum wire_type type, const uint8_t *body, const uint8_t *end)
{
	struct part p = { body, (size_t)(end - body) };
	return emit(w, type, &p, 1);
}

int wire_hello(struct wire *w, pid_t pid, enum wire_backend backend, uint32_t flags, const char *exe,
	       const char *cwd, int argc, char *const argv[])
{
	/* Fixed fields and every length prefix go into one allocation; strings are parts of their own. */
	int nparts = 2 + 2 * 2 + 2 * argc;
	struct part *parts = calloc((size_t)nparts, sizeof *parts);
	uint8_t *lens = malloc(4 * (size_t)(2 + argc));
	uint8_t fixed[24];
	int rc = -1;
	if (!parts || !lens)
		goto out;
	uint8_t *p = fixed;
	p = put_u32(p, WIRE_VERSION);
	p = put_u32(p, WIRE_PAGE_SIZE);
	p = put_u32(p, (uint32_t)pid);
	p = put_u32(p, (uint32_t)backend);
	p = put_u32(p, flags);
	put_u32(p, (uint32_t)argc);
	int k = 0;
	parts[k++] = (struct part){ fixed, sizeof fixed };
	const char *strs[2] = { exe, cwd };
	for (int i = 0; i < 2 + argc; i++) {
		const char *s = i < 2 ? strs[i] : argv[i - 2];
		size_t n = strlen(s);
		put_u32(lens + 4 * i, (uint32_t)n);
		parts[k++] = (struct part){ lens + 4 * i, 4 };
		parts[k++] = (struct part){ s, n };
	}
	rc = emit(w, WIRE_HELLO, parts, k);
out:
	free(parts);
	free(lens);
	return rc;
}

int wire_maps(struct wire *w, const char *text, size_t len)
{
	struct part p = { text, len };
	return emit(w, WIRE_MAPS, &p, 1);
}

int wire_checkpoint_begin(struct wire *w, uint64_t seq, uint64_t time_ns, enum wire_trigger trigger, uint32_t tid,
			  uint64_t detail, const uint64_t args[6])
{
	uint8_t b[8 + 8 + 4 + 4 + 8 + 48], *p = b;
	p = put_u64(p, seq);
	p = put_u64(p, time_ns);
	p = put_u32(p, (uint32_t)trigger);
	p = put_u32(p, tid);
	p = put_u64(p, detail);
	for (int i = 0; i < 6; i++)
		p = put_u64(p, args ? args[i] : 0);
	return emit_fixed(w, WIRE_CHECKPOINT_BEGIN, b, p);
}

int wire_pages(struct wire *w, const uint64_t *addr, uint32_t count, const uint8_t *data)
{
	if (count > WIRE_MAX_PAGES_PER_MSG) {
		errno = EINVAL;
		return -1;
	}
	uint8_t head[8 + 8 * WIRE_MAX_PAGES_PER_MSG], *p = head;
	p = put_u32(p, count);
	p = put_u32(p, 0);
	for (uint32_t i = 0; i < count; i++)
		p = put_u64(p, addr[i]);
	struct part parts[2] = { { head, (size_t)(p - head) }, { data, (size_t)count * WIRE_PAGE_SIZE } };
	return emit(w, WIRE_PAGES, parts, 2);
}

int wire_regs(struct wire *w, uint32_t tid, const void *gp, uint32_t gp_size, const void *fp, uint32_t fp_size)
{
	uint8_t head[16], *p = head;
	p = put_u32(p, tid);
	p = put_u32(p, gp_size);
	p = put_u32(p, fp_size);
	p = put_u32(p, 0);
	struct part parts[3] = { { head, sizeof head }, { gp, gp_size }, { fp, fp_size } };
	return emit(w, WIRE_REGS, parts, 3);
}

int wire_checkpoint_end(struct wire *w, uint64_t seq, uint32_t page_count, uint32_t thread_count)
{
	uint8_t b[16], *p = b;
	p = put_u64(p, seq);
	p = put_u32(p, page_count);
	p = put_u32(p, thread_count);
	return emit_fixed(w, WIRE_CHECKPOINT_END, b, p);
}

int wire_exit(struct wire *w, enum wire_exit_kind kind, int32_t code)
{
	uint8_t b[8], *p = b;
	p = put_u32(p, (uint32_t)kind);
	p = put_u32(p, (uint32_t)code);
	return emit_fixed(w, WIRE_EXIT, b, p);
}

int wire_error(struct wire *w, int err, int fatal, const char *message)
{
	size_t n = strlen(message);
	uint8_t head[12], *p = head;
	p = put_u32(p, (uint32_t)err);
	p = put_u32(p, fatal ? 1u : 0u);
	p = put_u32(p, (uint32_t)n);
	struct part parts[2] = { { head, sizeof head }, { message, n } };
	return emit(w, WIRE_ERROR, parts, 2);
}

int wire_exec(struct wire *w, const char *exe)
{
	size_t n = strlen(exe);
	uint8_t head[4];
	put_u32(head, (uint32_t)n);
	struct part parts[2] = { { head, sizeof head }, { exe, n } };
	return emit(w, WIRE_EXEC, parts, 2);
}

int wire_zero_ranges(struct wire *w, const uint64_t (*ranges)[2], uint32_t count)
{
	uint8_t head[8];
	put_u32(head, count);
	put_u32(head + 4, 0);
	uint8_t *body = malloc((size_t)count * 16 + 1);
	if (!body)
		return -1;
	uint8_t *p = body;
	for (uint32_t i = 0; i < count; i++) {
		p = put_u64(p, ranges[i][0]);
		p = put_u64(p, ranges[i][1]);
	}
	struct part parts[2] = { { head, sizeof head }, { body, (size_t)count * 16 } };
	int rc = emit(w, WIRE_ZERO_RANGES, parts, 2);
	free(body);
	return rc;
}

int wire_output(struct wire *w, const void *data, size_t len)
{
	struct part p = { data, len };
	return emit(w, WIRE_OUTPUT, &p, 1);
}

int wire_control(struct wire *w, enum wire_type type, uint32_t stop_action)
{
	uint8_t b[4] = { 0 };
	switch (type) {
	case WIRE_STOP:
		put_u32(b, stop_action);
		return emit_fixed(w, type, b, b + 4);
	case WIRE_REQUEST_CHECKPOINT:
	case WIRE_PAUSE:
	case WIRE_RESUME:
		return emit_fixed(w, type, b, b);
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Body length a control message must have, or -1 for a type that is not a control message. */
static long control_body_len(uint16_t type)
{
	switch (type) {
	case WIRE_REQUEST_CHECKPOINT:
	case WIRE_PAUSE:
	case WIRE_RESUME:
		return 0;
	case WIRE_STOP:
		return 4;
	default:
		return -1;
	}
}

/*
 * Decodes every whole control message in what was fed so far. A caller that feeds at most
 * (max_out - 1) * WIRE_HEADER_SIZE bytes per call can never get EOVERFLOW (each message is at
 * least a header, and less than one message can be left over from the previous call).
 */
int wire_read_control(struct wire_reader *r, const uint8_t *data, size_t len, struct wire_control_msg *out,
		      int max_out)
{
	int n = 0;
	for (;;) {
		/* Top up the buffer, then decode every whole message in it. */
		size_t take = sizeof r->buf - r->len;
		if (take > len)
			take = len;
		memcpy(r->buf + r->len, data, take);
		r->len += take;
		data += take;
		len -= take;

		size_t pos = 0;
		while (r->len - pos >= WIRE_HEADER_SIZE) {
			const uint8_t *h = r->buf + pos;
			uint16_t type = get_u16(h + 4);
			uint32_t body = get_u32(h + 8);
			long want = control_body_len(type);
			if (get_u32(h) != WIRE_MAGIC || get_u16(h + 6) != 0 || want < 0 || body != (uint32_t)want) {
				r->len = 0;
				errno = EPROTO;
				return -1;
			}
			if (r->len - pos < WIRE_HEADER_SIZE + body)
				break;
			if (n == max_out) {
				r->len = 0;
				errno = EOVERFLOW;
				return -1;
			}
			out[n].type = (enum wire_type)type;
			out[n].stop_action = body == 4 ? get_u32(h + WIRE_HEADER_SIZE) : 0;
			n++;
			pos += WIRE_HEADER_SIZE + body;
		}
		memmove(r->buf, r->buf + pos, r->len - pos);
		r->len -= pos;
		if (len == 0)
			return n;
	}
}
