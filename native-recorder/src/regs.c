/*
 * regs.c - reads a stopped thread's general-purpose and extended registers.
 *
 * The XSAVE area's size depends on the CPU features the kernel enabled (about 1 KiB with
 * AVX, 2.7 KiB with AVX-512, 11 KiB with AMX). The first read offers a generous buffer and
 * keeps the size the kernel reports; a report that fills the buffer exactly is retried with
 * a bigger one, so the area is never silently cut. Kernels or CPUs without XSTATE fall back
 * to NT_PRFPREG (the 512-byte FXSAVE layout) for good.
 */
#include "regs.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#define FP_FIRST_CAP 16384u
#define FP_MAX_CAP 65536u

static int grow(struct regs_buf *r, size_t cap)
{
	uint8_t *p = realloc(r->fp, cap);
	if (!p)
		return -1;
	r->fp = p;
	r->fp_cap = cap;
	return 0;
}

int regs_read(pid_t tid, struct regs_buf *r)
{
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r->gp) < 0)
		return -1;
	if (!r->fp && grow(r, FP_FIRST_CAP) < 0)
		return -1;
	if (!r->fp_note)
		r->fp_note = NT_X86_XSTATE;
	for (;;) {
		struct iovec iov = { r->fp, r->fp_cap };
		if (ptrace(PTRACE_GETREGSET, tid, (void *)(long)r->fp_note, &iov) < 0) {
			if ((errno == EINVAL || errno == ENODEV) && r->fp_note == NT_X86_XSTATE) {
				r->fp_note = NT_PRFPREG;
				continue;
			}
			return -1;
		}
		if (iov.iov_len == r->fp_cap && r->fp_cap < FP_MAX_CAP) {
			if (grow(r, r->fp_cap * 2) < 0)
				return -1;
			continue;
		}
		r->fp_size = iov.iov_len;
		return 0;
	}
}

void regs_free(struct regs_buf *r)
{
	free(r->fp);
	r->fp = NULL;
	r->fp_cap = r->fp_size = 0;
}
