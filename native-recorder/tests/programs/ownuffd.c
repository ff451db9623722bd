/*
 * ownuffd.c - a program with its own userfaultfd: it serves the missing-page faults of a
 * region it registered itself, from a thread of its own.
 *
 * Usage: ownuffd [P]            (P pages, default 16, at most 64)
 *
 * Memory history:
 *   1. region = mmap P anonymous private pages (untouched); write "mapped addr=<hex>" (a
 *      checkpoint at which a recorder may already track the region with a userfaultfd of its
 *      own: the program's registration below must still succeed).
 *   2. uffd = userfaultfd(O_CLOEXEC | UFFD_USER_MODE_ONLY); UFFDIO_API; UFFDIO_REGISTER of the
 *      region in MISSING mode; reg_errno = 0 on success, else the errno; write
 *      "registered errno=<reg_errno>" (exit 4 right after if it failed).
 *   3. A server thread reads fault messages and answers each with UFFDIO_COPY of a page whose
 *      every byte is (p * 13 + 1) & 0xff, p the page index; it counts served++.
 *   4. For p = 0 .. P-1: first_byte[p] = region[p * 4096] (a read: the fault is served, the
 *      whole page now holds (p*13+1)); region[p * 4096 + 8] = 0x40 + p; write
 *      "page <p> first=<first_byte[p]>". So at that write page p is (p*13+1) everywhere except
 *      byte 8, which is 0x40 + p, and pages above p are not yet present (read as zero by a
 *      debugger: nothing was ever written there).
 *   5. waits until served == P (the server counts a page after its UFFDIO_COPY woke the
 *      reader); UFFDIO_UNREGISTER; write "done served=<P>", exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "out.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

volatile uint8_t *volatile region;
volatile int reg_errno = -1;
volatile int served;
volatile uint8_t first_byte[64];
static long pages;
static int uffd;

static void *server(void *arg)
{
	(void)arg;
	static uint8_t page[4096] __attribute__((aligned(4096)));
	for (;;) {
		struct pollfd pf = { .fd = uffd, .events = POLLIN };
		if (poll(&pf, 1, -1) < 0)
			continue;
		struct uffd_msg m;
		if (read(uffd, &m, sizeof m) != (ssize_t)sizeof m)
			continue;
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		uint64_t at = m.arg.pagefault.address & ~4095ull;
		uint64_t p = (at - (uint64_t)(uintptr_t)region) / 4096;
		memset(page, (int)((p * 13 + 1) & 0xff), sizeof page);
		struct uffdio_copy c = { .dst = at, .src = (uint64_t)(uintptr_t)page, .len = 4096 };
		if (ioctl(uffd, UFFDIO_COPY, &c) == 0)
			__atomic_add_fetch(&served, 1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void say_u(const char *a, uint64_t v, const char *b, int hex)
{
	struct line l = { .len = 0 };
	line_str(&l, a);
	if (hex)
		line_hex(&l, v);
	else
		line_u64(&l, v);
	line_str(&l, b);
	line_write(&l);
}

int main(int argc, char **argv)
{
	pages = arg_or(argc, argv, 1, 16);
	if (pages < 1 || pages > 64)
		pages = 16;
	size_t len = (size_t)pages * 4096;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 1;
	region = m;
	say_u("mapped addr=", (uint64_t)(uintptr_t)m, "\n", 1);

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		return 3;
	struct uffdio_api api = { .api = UFFD_API };
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		return 3;
	struct uffdio_register reg = { .range = { .start = (uint64_t)(uintptr_t)m, .len = len },
				       .mode = UFFDIO_REGISTER_MODE_MISSING };
	reg_errno = ioctl(uffd, UFFDIO_REGISTER, &reg) == 0 ? 0 : errno;
	say_u("registered errno=", (uint64_t)reg_errno, "\n", 0);
	if (reg_errno)
		return 4;

	pthread_t th;
	if (pthread_create(&th, NULL, server, NULL) != 0)
		return 1;
	for (long p = 0; p < pages; p++) {
		first_byte[p] = region[p * 4096];
		region[p * 4096 + 8] = (uint8_t)(0x40 + p);
		struct line l = { .len = 0 };
		line_str(&l, "page ");
		line_u64(&l, (uint64_t)p);
		line_str(&l, " first=");
		line_u64(&l, first_byte[p]);
		line_str(&l, "\n");
		line_write(&l);
	}
	while (__atomic_load_n(&served, __ATOMIC_SEQ_CST) < pages)
		sched_yield();
	struct uffdio_range r = { .start = (uint64_t)(uintptr_t)m, .len = len };
	ioctl(uffd, UFFDIO_UNREGISTER, &r);
	say_u("done served=", (uint64_t)served, "\n", 0);
	return 0;
}
