/*
 * memory.c - copying pages out of a stopped tracee.
 *
 * Owns nothing between calls (no cached fds: the pid may exec or die between calls).
 *
 * memory_read_pages merges runs of contiguous addresses into one remote iovec and one local
 * iovec and issues process_vm_readv with up to IOV_MAX iovecs per call (~1 us per scattered
 * page, ~8 GB/s contiguous). process_vm_readv stops at the first page it cannot read and
 * returns the bytes read before it (or -1 EFAULT if it read nothing): that page is retried
 * with pread on /proc/PID/mem, which uses FOLL_FORCE and so also reads PROT_NONE pages that
 * may be read (VM_MAYREAD). A page neither can read ([vvar], a guard region, hwpoison, a
 * truncated file) is zero-filled and counted; the batch goes on after it.
 *
 * Unsafe while the tracee runs: pages could be torn or changed between pages.
 */
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096u
#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Reads one page through /proc/PID/mem; *memfd is opened on first use. Returns 0 or -1. */
static int read_via_mem(pid_t pid, int *memfd, uint64_t addr, uint8_t *dst)
{
	if (*memfd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		*memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (*memfd < 0)
			return -1;
	}
	size_t got = 0;
	while (got < PAGE) {
		ssize_t r = pread(*memfd, dst + got, PAGE - got, (off_t)(addr + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int memory_read_pages(pid_t pid, const uint64_t *addr, size_t n, uint8_t *out, size_t *unreadable)
{
	struct iovec local[IOV_MAX], remote[IOV_MAX];
	size_t bad = 0, i = 0;
	int memfd = -1, saved;
	while (i < n) {
		/* Build up to IOV_MAX runs of contiguous pages starting at page i. */
		size_t cnt = 0, j = i, bytes = 0;
		while (j < n && cnt < IOV_MAX) {
			size_t k = j + 1;
			while (k < n && addr[k] == addr[k - 1] + PAGE)
				k++;
			remote[cnt].iov_base = (void *)(uintptr_t)addr[j];
			remote[cnt].iov_len = (k - j) * PAGE;
			local[cnt].iov_base = out + j * PAGE;
			local[cnt].iov_len = (k - j) * PAGE;
			bytes += (k - j) * PAGE;
			cnt++;
			j = k;
		}
		ssize_t r = process_vm_readv(pid, local, cnt, remote, cnt, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == ESRCH || errno == ENOMEM))
			goto err;
		if (r < 0 && errno != EFAULT && errno != EIO && errno != EPERM)
			goto err;
		size_t done = r < 0 ? 0 : (size_t)r / PAGE * PAGE;
		if (done == bytes) {
			i = j;
			continue;
		}
		/* Page i + done/PAGE failed: try /proc/PID/mem, else zero it; then go on after it. */
		size_t f = i + done / PAGE;
		if (read_via_mem(pid, &memfd, addr[f], out + f * PAGE) != 0) {
			if (errno == ESRCH)
				goto err;
			memset(out + f * PAGE, 0, PAGE);
			bad++;
		}
		i = f + 1;
	}
	if (memfd >= 0)
		close(memfd);
	if (unreadable)
		*unreadable = bad;
	return 0;
err:
	saved = errno;
	if (memfd >= 0)
		close(memfd);
	errno = saved;
	return -1;
}
