/*
 * dirty_softdirty.c - the soft-dirty backend: writing "4" to /proc/PID/clear_refs clears every
 * page's soft-dirty bit (and write-protects it, so the next write faults and sets it again);
 * bit 55 of /proc/PID/pagemap then tells which pages were written. CRIU's method, available
 * on most distribution kernels (CONFIG_MEM_SOFT_DIRTY, x86-64/ppc64le/s390x).
 *
 * Owns: the clear_refs fd. Each collect reads soft-dirty pages of the writable private
 * regions (PAGEMAP_SCAN with PAGE_IS_SOFT_DIRTY on Linux >= 6.7, otherwise 8 bytes of
 * pagemap per page, parsed by the pure functions below) and clears all bits at the end.
 * A page counts only when it is also present or swapped: a VMA created or merged since the
 * last clear is flagged VM_SOFTDIRTY, which marks even its never-populated pages.
 *
 * A kernel without CONFIG_MEM_SOFT_DIRTY accepts "4" but never sets the bit (this machine):
 * the probe writes a page and fails unless the bit clears and then sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dirty_internal.h"

#define PM_CHUNK 4096 /* entries per pagemap read (32 KiB) */

int pagemap_ranges(const uint64_t *entries, size_t n, uint64_t base, uint64_t need, uint64_t anyof,
		   struct range_vec *rv)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && !((entries[i] & need) == need && (!anyof || (entries[i] & anyof))))
			i++;
		size_t j = i;
		while (j < n && (entries[j] & need) == need && (!anyof || (entries[j] & anyof)))
			j++;
		if (j > i && rv_push(rv, base + i * PG, base + j * PG) != 0)
			return -1;
		i = j;
	}
	return 0;
}

int pagemap_read_ranges(int fd, uint64_t s, uint64_t e, uint64_t need, uint64_t anyof, struct range_vec *rv)
{
	uint64_t buf[PM_CHUNK];
	for (uint64_t a = s; a < e;) {
		uint64_t pages = (e - a) / PG;
		size_t n = pages < PM_CHUNK ? (size_t)pages : PM_CHUNK;
		ssize_t r = pread(fd, buf, n * sizeof(uint64_t), (off_t)(a / PG * sizeof(uint64_t)));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		size_t got = (size_t)r / sizeof(uint64_t);
		if (pagemap_ranges(buf, got, a, need, anyof, rv) != 0)
			return -1;
		a += got * PG;
	}
	return 0;
}

static int clear_refs(struct dirty_tracker *t)
{
	for (;;) {
		ssize_t w = pwrite(t->s.clear_refs_fd, "4", 1, 0);
		if (w == 1)
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w >= 0)
			errno = EIO;
		return -1;
	}
}

static int page_entry(struct dirty_tracker *t, uint64_t page, uint64_t *entry)
{
	ssize_t r = pread(t->pagemap_fd, entry, sizeof(*entry), (off_t)(page / PG * sizeof(uint64_t)));
	if (r == (ssize_t)sizeof(*entry))
		return 0;
	if (r >= 0)
		errno = EIO;
	return -1;
}

static void sd_close(struct dirty_tracker *t)
{
	if (t->s.clear_refs_fd >= 0)
		close(t->s.clear_refs_fd);
	t->s.clear_refs_fd = -1;
}

static int sd_open(struct dirty_tracker *t, char *err, size_t errlen)
{
	char path[64];
	uint64_t page = 0, before = 0, after = 0;
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)t->pid);
	t->s.clear_refs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (t->s.clear_refs_fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (clear_refs(t) != 0) {
		snprintf(err, errlen, "write clear_refs: %s", strerror(errno));
		goto fail;
	}
	if (dirty_probe_write(t, &page) != 0) {
		/* (this first write only tells which page the probe uses) */
		snprintf(err, errlen, "probe write: %s", strerror(errno));
		goto fail;
	}
	if (clear_refs(t) != 0 || page_entry(t, page, &before) != 0 || dirty_probe_write(t, &page) != 0 ||
	    page_entry(t, page, &after) != 0) {
		snprintf(err, errlen, "probe: %s", strerror(errno));
		goto fail;
	}
	if (before & PM_SOFT_DIRTY) {
		snprintf(err, errlen, "clear_refs did not clear the soft-dirty bit");
		errno = ENOTSUP;
		goto fail;
	}
	if (!(after & PM_SOFT_DIRTY)) {
		snprintf(err, errlen, "probe write not seen in pagemap bit 55: kernel without CONFIG_MEM_SOFT_DIRTY");
		errno = ENOTSUP;
		goto fail;
	}
	return 0;
fail: {
	int saved = errno;
	sd_close(t);
	errno = saved;
	return -1;
}
}

static int sd_collect(struct dirty_tracker *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->nreg; i++) {
		const struct region *r = &t->reg[i];
		if (r->kind != RK_TRACKED || r->whole_fresh)
			continue;
		int rc = t->have_scan ? dirty_scan(t, r->start, r->end, 0, 0, PAGE_IS_SOFT_DIRTY,
						   PAGE_IS_PRESENT | PAGE_IS_SWAPPED, PAGE_IS_SOFT_DIRTY, &t->written)
				      : pagemap_read_ranges(t->pagemap_fd, r->start, r->end, PM_SOFT_DIRTY,
							    PM_PRESENT | PM_SWAPPED, &t->written);
		if (rc != 0) {
			snprintf(err, errlen, "soft-dirty scan of %llx-%llx: %s", (unsigned long long)r->start,
				 (unsigned long long)r->end, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int sd_finish(struct dirty_tracker *t, char *err, size_t errlen)
{
	if (clear_refs(t) == 0)
		return 0;
	snprintf(err, errlen, "write clear_refs: %s", strerror(errno));
	return -1;
}

const struct dirty_ops dirty_softdirty_ops = {
	.open = sd_open,
	.close = sd_close,
	.collect = sd_collect,
	.finish = sd_finish,
};
