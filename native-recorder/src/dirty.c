/*
 * dirty.c - the dirty-page tracker's dispatcher: backend choice, the region table, diffing one
 * checkpoint's memory map against the last, whole captures of fresh ranges, hashed ranges, and
 * the page_set handed back (see dirty.h for the contract, dirty_internal.h for the terms).
 *
 * Owns: the tracker, its fds (/proc/PID/pagemap, kept open for the life of the mm, and the
 * backend's), the region table of the last collect, the stored page hashes and every scratch
 * vector. Buffers grow to their high-water mark and are reused: a collect with an unchanged
 * map and few dirty pages allocates nothing.
 *
 * One collect:
 *   1. regions <- maps (one per line), classified; each is diffed with the last table: the
 *      parts covered by a last-time region of the same identity (path, inode, device, perms,
 *      shared flag, file offset) continue, the rest is fresh; ranges noted by
 *      dirty_note_syscall since the last collect are fresh too;
 *   2. regions with fresh parts are offered to the backend (uffd registers them; a failure
 *      turns a writable private region into a hashed one, with one warning);
 *   3. the backend reports written pages (uffd: PAGEMAP_SCAN; soft-dirty: pagemap bit 55);
 *   4. output, region by region in address order: fresh parts captured whole, continuing
 *      parts of TRACKED regions from step 3, hashed regions by reading and comparing;
 *   5. the backend re-arms if it must (soft-dirty: clear_refs).
 * If a collect fails, the next one is a full snapshot again (nothing can be trusted).
 *
 * Unsafe unless every thread of the tracee is in a ptrace-stop: pages read or scanned while
 * a thread runs would be torn, and a write between scan and read could be lost.
 */
#include "dirty.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "dirty_internal.h"
#include "hash64.h"
#include "profile.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif
#define MAX_WARNINGS 16

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void dirty_warnf(struct dirty_tracker *t, const char *fmt, ...)
{
	char line[512];
	if (!t->warn || t->warned > MAX_WARNINGS)
		return;
	if (t->warned++ == MAX_WARNINGS) {
		t->warn(t->warn_ctx, "dirty tracking: further range warnings suppressed");
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	t->warn(t->warn_ctx, line);
}

/* ---- small vectors ---- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap : 64;
	while (nc < need)
		nc *= 2;
	void *np = realloc(*p, nc * elem);
	if (!np) {
		errno = ENOMEM;
		return -1;
	}
	*p = np;
	*cap = nc;
	return 0;
}

int rv_push(struct range_vec *rv, uint64_t s, uint64_t e)
{
	if (s >= e)
		return 0;
	if (rv->n && rv->v[rv->n - 1][1] == s) {
		rv->v[rv->n - 1][1] = e;
		return 0;
	}
	if (grow((void **)&rv->v, &rv->cap, rv->n + 1, sizeof(rv->v[0])) != 0)
		return -1;
	rv->v[rv->n][0] = s;
	rv->v[rv->n][1] = e;
	rv->n++;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Sorts and coalesces overlapping or touching ranges, in place. */
static void rv_normalize(struct range_vec *rv, size_t from)
{
	size_t n = rv->n - from;
	uint64_t(*v)[2] = rv->v + from;
	if (n < 2)
		return;
	bool sorted = true;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = v[i][0] >= v[i - 1][0];
	if (!sorted)
		qsort(v, n, sizeof(v[0]), cmp_range);
	size_t w = 0;
	for (size_t i = 1; i < n; i++) {
		if (v[i][0] <= v[w][1]) {
			if (v[i][1] > v[w][1])
				v[w][1] = v[i][1];
		} else {
			w++;
			v[w][0] = v[i][0];
			v[w][1] = v[i][1];
		}
	}
	rv->n = from + w + 1;
}

void page_set_clear(struct page_set *s)
{
	s->n = 0;
	s->nzero = 0;
}

void page_set_free(struct page_set *s)
{
	free(s->addr);
	free(s->zero);
	memset(s, 0, sizeof(*s));
}

static int ps_push_range(struct page_set *s, uint64_t start, uint64_t end)
{
	size_t k = (size_t)((end - start) / PG);
	if (grow((void **)&s->addr, &s->cap, s->n + k, sizeof(uint64_t)) != 0)
		return -1;
	for (uint64_t a = start; a < end; a += PG)
		s->addr[s->n++] = a;
	return 0;
}

static int ps_push_zero(struct page_set *s, uint64_t start, uint64_t end)
{
	if (s->nzero && s->zero[s->nzero - 1][1] == start) {
		s->zero[s->nzero - 1][1] = end;
		return 0;
	}
	if (grow((void **)&s->zero, &s->capzero, s->nzero + 1, sizeof(s->zero[0])) != 0)
		return -1;
	s->zero[s->nzero][0] = start;
	s->zero[s->nzero][1] = end;
	s->nzero++;
	return 0;
}

/* ---- names ---- */

const char *dirty_backend_name(enum dirty_backend b)
{
	switch (b) {
	case DIRTY_AUTO:
		return "auto";
	case DIRTY_UFFD_WP:
		return "uffd-wp";
	case DIRTY_SOFT_DIRTY:
		return "soft-dirty";
	case DIRTY_HASH:
		return "hash";
	}
	return "?";
}

int dirty_backend_parse(const char *name, enum dirty_backend *out)
{
	static const enum dirty_backend all[] = {DIRTY_AUTO, DIRTY_UFFD_WP, DIRTY_SOFT_DIRTY, DIRTY_HASH};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (name && strcmp(name, dirty_backend_name(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	errno = EINVAL;
	return -1;
}

void dirty_set_pid(struct dirty_tracker *t, pid_t pid)
{
	if (t)
		t->pid = pid;
}

enum dirty_backend dirty_backend_of(const struct dirty_tracker *t)
{
	return t->backend;
}

static const struct dirty_ops *ops_for(enum dirty_backend b)
{
	switch (b) {
	case DIRTY_UFFD_WP:
		return &dirty_uffd_ops;
	case DIRTY_SOFT_DIRTY:
		return &dirty_softdirty_ops;
	default:
		return &dirty_hash_ops;
	}
}

/* ---- page-table queries shared by the backends ---- */

int dirty_scan(struct dirty_tracker *t, uint64_t s, uint64_t e, uint64_t flags, uint64_t inverted, uint64_t mask,
	       uint64_t anyof, uint64_t ret_mask, struct range_vec *rv)
{
	uint64_t start = s;
	while (start < e) {
		struct pm_scan_arg a = {
			.size = sizeof(a),
			.flags = flags,
			.start = start,
			.end = e,
			.vec = (uint64_t)(uintptr_t)t->vec,
			.vec_len = SCAN_VEC,
			.category_inverted = inverted,
			.category_mask = mask,
			.category_anyof_mask = anyof,
			.return_mask = ret_mask,
		};
		long n = ioctl(t->pagemap_fd, PAGEMAP_SCAN, &a);
		if (n < 0) {
			int saved = errno;
			if (saved == EPERM) {
				/* The kernel flushed what it found (and re-armed it) before failing: the
				 * vector is zero past the last entry it wrote. */
				size_t k = 0;
				while (k < SCAN_VEC && t->vec[k].end)
					k++;
				for (size_t i = 0; i < k; i++)
					if (rv_push(rv, t->vec[i].start, t->vec[i].end) != 0)
						return -1;
				memset(t->vec, 0, k * sizeof(t->vec[0]));
			}
			errno = saved;
			return -1;
		}
		for (long i = 0; i < n; i++)
			if (rv_push(rv, t->vec[i].start, t->vec[i].end) != 0)
				return -1;
		memset(t->vec, 0, (size_t)n * sizeof(t->vec[0]));
		if (n < SCAN_VEC || a.walk_end <= start || a.walk_end >= e)
			break;
		start = a.walk_end;
	}
	return 0;
}

int dirty_present_ranges(struct dirty_tracker *t, uint64_t s, uint64_t e, struct range_vec *rv)
{
	if (t->have_scan)
		return dirty_scan(t, s, e, 0, 0, 0, PAGE_IS_PRESENT | PAGE_IS_SWAPPED, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
				  rv);
	return pagemap_read_ranges(t->pagemap_fd, s, e, 0, PM_PRESENT | PM_SWAPPED, rv);
}

int dirty_probe_write(struct dirty_tracker *t, uint64_t *page)
{
	struct user_regs_struct regs;
	uint64_t word;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) != 0)
		return -1;
	struct iovec l = {&word, sizeof(word)}, r = {(void *)(uintptr_t)regs.rsp, sizeof(word)};
	if (process_vm_readv(t->pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(word))
		return -1;
	if (process_vm_writev(t->pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(word))
		return -1;
	*page = regs.rsp & ~(PG - 1);
	return 0;
}

/* ---- open / close ---- */

static int open_pagemap(struct dirty_tracker *t)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)t->pid);
	t->pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->pagemap_fd < 0)
		return -1;
	/* Does PAGEMAP_SCAN exist (Linux 6.7)? An empty query over an unmapped page says. */
	struct pm_scan_arg a = {.size = sizeof(a), .start = 0, .end = PG, .return_mask = PAGE_IS_PRESENT};
	t->have_scan = ioctl(t->pagemap_fd, PAGEMAP_SCAN, &a) >= 0;
	return 0;
}

static void reset_state(struct dirty_tracker *t)
{
	t->nreg = 0;
	t->nph = 0;
	t->noted.n = 0;
	t->first_done = false;
	t->maps_stale = true;
	t->has_growsdown = false;
}

static int open_backend(struct dirty_tracker *t, enum dirty_backend want, char *err, size_t errlen)
{
	if (want != DIRTY_AUTO) {
		t->backend = want;
		t->ops = ops_for(want);
		return t->ops->open(t, err, errlen);
	}
	static const enum dirty_backend order[] = {DIRTY_UFFD_WP, DIRTY_SOFT_DIRTY, DIRTY_HASH};
	char reasons[768] = "", why[256];
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		t->backend = order[i];
		t->ops = ops_for(order[i]);
		why[0] = '\0';
		if (t->ops->open(t, why, sizeof(why)) == 0) {
			if (reasons[0] && t->warn) {
				char line[1024];
				snprintf(line, sizeof(line), "%susing %s", reasons, dirty_backend_name(order[i]));
				t->warn(t->warn_ctx, line);
			}
			return 0;
		}
		size_t l = strlen(reasons);
		snprintf(reasons + l, sizeof(reasons) - l, "%s unavailable (%s); ", dirty_backend_name(order[i]), why);
	}
	set_err(err, errlen, "%s", reasons);
	return -1;
}

struct dirty_tracker *dirty_open(enum dirty_backend want, pid_t pid, pid_t tid, char *err, size_t errlen,
				 void (*warn)(void *ctx, const char *line), void *warn_ctx)
{
	struct dirty_tracker *t = calloc(1, sizeof(*t));
	int saved;
	if (!t) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	t->pid = pid;
	t->tid = tid;
	t->warn = warn;
	t->warn_ctx = warn_ctx;
	t->pagemap_fd = -1;
	t->u.ufd = -1;
	t->vec = calloc(SCAN_VEC, sizeof(t->vec[0]));
	t->buf = aligned_alloc(PG, HASH_BATCH * PG);
	if (!t->vec || !t->buf) {
		errno = ENOMEM;
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	memset(t->buf, 0, PG);
	t->zero_hash = hash_page(t->buf);
	if (open_pagemap(t) != 0) {
		set_err(err, errlen, "open /proc/%d/pagemap: %s", (int)pid, strerror(errno));
		goto fail;
	}
	if (open_backend(t, want, err, errlen) != 0)
		goto fail;
	return t;
fail:
	saved = errno ? errno : EINVAL;
	t->ops = NULL;
	dirty_close(t);
	errno = saved;
	return NULL;
}

void dirty_close(struct dirty_tracker *t)
{
	if (!t)
		return;
	if (t->ops)
		t->ops->close(t);
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	free(t->reg);
	free(t->reg_next);
	free(t->noted.v);
	free(t->fresh.v);
	free(t->written.v);
	free(t->tmp.v);
	free(t->ph);
	free(t->ph_next);
	free(t->cand);
	free(t->hpages);
	free(t->merge);
	free(t->buf);
	free(t->vec);
	free(t);
}

int dirty_reset_after_exec(struct dirty_tracker *t, pid_t tid, char *err, size_t errlen)
{
	/* The old mm is gone: its registrations went with it; the pagemap fd still points at it. */
	enum dirty_backend was = t->backend;
	t->ops->close(t);
	if (t->pagemap_fd >= 0)
		close(t->pagemap_fd);
	t->pagemap_fd = -1;
	t->tid = tid;
	reset_state(t);
	if (open_pagemap(t) != 0) {
		set_err(err, errlen, "open /proc/%d/pagemap: %s", (int)t->pid, strerror(errno));
		t->ops = &dirty_hash_ops; /* closing stays safe */
		return -1;
	}
	char why[256] = "";
	if (t->ops->open(t, why, sizeof(why)) == 0)
		return 0;
	/* Worked for the old image but not for this one (e.g. a seccomp filter now refuses
	 * userfaultfd): keep recording with the always-working hash scan. */
	dirty_warnf(t, "%s unavailable after exec (%s); using hash scan", dirty_backend_name(was), why);
	t->backend = DIRTY_HASH;
	t->ops = &dirty_hash_ops;
	return t->ops->open(t, err, errlen);
}

/* ---- syscalls that change memory behind the trackers' backs ---- */

static void note_range(struct dirty_tracker *t, uint64_t addr, uint64_t len)
{
	if (!len || addr + len < addr)
		return;
	uint64_t s = addr & ~(PG - 1), e = (addr + len + PG - 1) & ~(PG - 1);
	if (e < s)
		e = ~(PG - 1);
	if (t->noted.n >= 4096 && t->noted.n == t->noted.cap)
		rv_normalize(&t->noted, 0);
	if (rv_push(&t->noted, s, e) != 0) {
		/* Cannot remember it: make the next collect a full snapshot instead. */
		t->first_done = false;
	}
}

/* Index of the region of the last collect containing addr, or -1. */
static long region_at(const struct dirty_tracker *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nreg;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->reg[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->nreg && t->reg[lo].start <= addr ? (long)lo : -1;
}

void dirty_note_syscall(struct dirty_tracker *t, long nr, const uint64_t args[6])
{
	t->maps_stale = true; /* every call noted here may change the map */
	switch (nr) {
	case SYS_mmap:
		if (args[3] & MAP_FIXED)
			note_range(t, args[0], args[1]);
		if (args[3] & MAP_GROWSDOWN)
			t->has_growsdown = true;
		break;
	case SYS_munmap:
		note_range(t, args[0], args[1]);
		break;
	case SYS_mremap:
		/* old range (shrunk, moved away, emptied by MREMAP_DONTUNMAP, or grown in place) */
		note_range(t, args[0], args[1] > args[2] ? args[1] : args[2]);
		if (args[3] & MREMAP_FIXED)
			note_range(t, args[4], args[2]);
		break;
	case SYS_madvise:
		switch ((int)args[2]) {
		case MADV_DONTNEED:
		case MADV_FREE:
		case MADV_REMOVE:
		case MADV_DONTNEED_LOCKED:
		case MADV_GUARD_INSTALL:
		case MADV_GUARD_REMOVE:
			note_range(t, args[0], args[1]);
			break;
		default: /* the others keep contents (PAGEOUT, COLD, WILLNEED, HUGEPAGE, DONTFORK...) */
			break;
		}
		break;
	case SYS_brk: {
		/* Shrinking unmaps the top of the heap; growing back later maps zero pages in the
		 * same place, which the map diff alone may not see. */
		uint64_t top = 0;
		for (size_t i = 0; i < t->nreg; i++)
			if (t->reg[i].heap && t->reg[i].end > top)
				top = t->reg[i].end;
		if (args[0] && args[0] < top)
			note_range(t, args[0], top - args[0]);
		break;
	}
	case SYS_ioctl: {
		/* ioctl(uffd, UFFDIO_REGISTER, &reg): the program takes a range for its own userfaultfd. */
		if ((uint32_t)args[1] != (uint32_t)UFFDIO_REGISTER)
			break;
		struct uffdio_register reg;
		struct iovec l = {&reg, sizeof(reg)}, r = {(void *)(uintptr_t)args[2], sizeof(reg)};
		if (process_vm_readv(t->pid, &l, 1, &r, 1, 0) != (ssize_t)sizeof(reg))
			break; /* a bad pointer: the ioctl fails with EFAULT */
		uint64_t s = reg.range.start & ~(PG - 1), e = (reg.range.start + reg.range.len + PG - 1) & ~(PG - 1);
		if (e <= s)
			break;
		if (t->ops->untrack)
			t->ops->untrack(t, s, e);
		note_range(t, s, e - s);
		break;
	}
	case SYS_shmdt: {
		long i = region_at(t, args[0]);
		if (i < 0)
			break;
		size_t j = (size_t)i;
		while (j + 1 < t->nreg && t->reg[j + 1].start == t->reg[j].end && t->reg[j + 1].inode == t->reg[i].inode)
			j++;
		note_range(t, args[0], t->reg[j].end - args[0]);
		break;
	}
	default:
		break;
	}
}

/* ---- collect ---- */

bool dirty_maps_unchanged(struct dirty_tracker *t, const struct map_table *last)
{
	if (!t->first_done || t->maps_stale || t->has_growsdown || !t->have_scan ||
	    xxh64(last->text, last->text_len, 0) != t->maps_hash)
		return false;
	/* [stack] grows down by faults: a page present between it and the region below means it grew. */
	for (size_t i = 0; i < t->nreg; i++) {
		if (!t->reg[i].stack)
			continue;
		uint64_t gap = i > 0 ? t->reg[i - 1].end : 0;
		if (gap >= t->reg[i].start)
			continue;
		t->tmp.n = 0;
		if (dirty_scan(t, gap, t->reg[i].start, 0, 0, 0, PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
			       PAGE_IS_PRESENT | PAGE_IS_SWAPPED, &t->tmp) != 0 ||
		    t->tmp.n > 0)
			return false;
	}
	return true;
}

static uint8_t classify(const struct dirty_tracker *t, const struct map_entry *e)
{
	if (maps_is_unreadable_special(e) || !(e->prot & MAP_R))
		return RK_SKIP;
	if (e->shared)
		return RK_HASH_ALL;
	if (!(e->prot & MAP_W))
		return RK_ONCE;
	return t->backend == DIRTY_HASH ? RK_HASH_PRESENT : RK_TRACKED;
}

static bool same_identity(const struct region *p, const struct region *r)
{
	if (p->path_hash != r->path_hash || p->inode != r->inode || p->dev_major != r->dev_major ||
	    p->dev_minor != r->dev_minor || p->prot != r->prot || p->shared != r->shared)
		return false;
	/* a file mapping continues only at the same file offset */
	return r->inode == 0 || p->offset - p->start == r->offset - r->start;
}

/* Builds t->reg_next from maps and finds the fresh parts of every region. */
static int build_regions(struct dirty_tracker *t, const struct map_table *maps)
{
	if (grow((void **)&t->reg_next, &t->capreg_next, maps->n, sizeof(struct region)) != 0)
		return -1;
	t->fresh.n = 0;
	rv_normalize(&t->noted, 0);
	size_t j = 0, nj = 0; /* cursors into the last table and the noted ranges */
	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];
		struct region *r = &t->reg_next[i];
		memset(r, 0, sizeof(*r));
		r->start = e->start;
		r->end = e->end;
		r->offset = e->offset;
		r->inode = e->inode;
		r->dev_major = e->dev_major;
		r->dev_minor = e->dev_minor;
		r->prot = e->prot;
		r->shared = e->shared;
		r->anon = !e->shared && maps_is_anonymous(e);
		r->heap = strcmp(e->path, "[heap]") == 0;
		r->stack = strcmp(e->path, "[stack]") == 0;
		r->special = maps_is_unreadable_special(e);
		r->path_hash = xxh64(e->path, strlen(e->path), 0);
		r->kind = classify(t, e);
		r->fresh_first = (uint32_t)t->fresh.n;
		if (!t->first_done) {
			r->whole_fresh = true;
			continue;
		}
		while (j < t->nreg && t->reg[j].end <= r->start)
			j++;
		bool found = false;
		uint64_t pos = r->start;
		for (size_t k = j; k < t->nreg && t->reg[k].start < r->end; k++) {
			const struct region *p = &t->reg[k];
			if (!same_identity(p, r))
				continue;
			if (!found) {
				found = true;
				r->registered = p->registered;
				r->dense = p->dense;
				r->populated = p->populated;
				r->fallback = p->fallback && r->kind == RK_TRACKED;
			} else if ((p->fallback && r->kind == RK_TRACKED) != r->fallback) {
				continue;
			}
			uint64_t cs = p->start > r->start ? p->start : r->start;
			uint64_t ce = p->end < r->end ? p->end : r->end;
			if (cs > pos && rv_push(&t->fresh, pos, cs) != 0)
				return -1;
			if (ce > pos)
				pos = ce;
		}
		if (!found) {
			r->whole_fresh = true;
			continue;
		}
		if (r->fallback)
			r->kind = RK_HASH_PRESENT;
		if (pos < r->end && rv_push(&t->fresh, pos, r->end) != 0)
			return -1;
		while (nj < t->noted.n && t->noted.v[nj][1] <= r->start)
			nj++;
		for (size_t k = nj; k < t->noted.n && t->noted.v[k][0] < r->end; k++) {
			uint64_t cs = t->noted.v[k][0] > r->start ? t->noted.v[k][0] : r->start;
			uint64_t ce = t->noted.v[k][1] < r->end ? t->noted.v[k][1] : r->end;
			if (rv_push(&t->fresh, cs, ce) != 0)
				return -1;
		}
		rv_normalize(&t->fresh, r->fresh_first);
		r->fresh_n = (uint32_t)(t->fresh.n - r->fresh_first);
		if (r->fresh_n == 1 && t->fresh.v[r->fresh_first][0] == r->start &&
		    t->fresh.v[r->fresh_first][1] == r->end)
			r->whole_fresh = true;
	}
	t->nreg_next = maps->n;
	return 0;
}

/* Offers regions with fresh parts to the backend; untrackable writable ones get hashed. */
static void track_fresh(struct dirty_tracker *t, const struct map_table *maps)
{
	if (!t->ops->track)
		return;
	for (size_t i = 0; i < t->nreg_next; i++) {
		struct region *r = &t->reg_next[i];
		if (r->special || (!r->whole_fresh && !r->fresh_n))
			continue;
		t->registered_now = true;
		if (t->ops->track(t, r) == 0 || r->kind != RK_TRACKED)
			continue;
		int e = errno;
		r->kind = RK_HASH_PRESENT;
		r->fallback = true;
		r->whole_fresh = true;
		dirty_warnf(t, "%s cannot track %llx-%llx %s (%s); hashing that range", dirty_backend_name(t->backend),
			    (unsigned long long)r->start, (unsigned long long)r->end,
			    maps->v[i].path[0] ? maps->v[i].path : "[anon]",
			    e == EBUSY && t->backend == DIRTY_UFFD_WP ? "the program's own userfaultfd has it" : strerror(e));
	}
}

/*
 * File mappings at least this big are not read whole: only the file's data extents
 * (SEEK_DATA/SEEK_HOLE through /proc/PID/map_files), the holes read as zeros. A sparse file
 * or memfd of a terabyte then costs what it holds, not its size.
 */
#define SPARSE_FILE_MIN (256ull << 20)

/*
 * The pages of [s, e) of file region r that hold file data, into rv. Returns 0, or -1 when the
 * file cannot be looked at this way (not permitted, no such file): then read it whole.
 */
static int file_data_ranges(struct dirty_tracker *t, const struct region *r, uint64_t s, uint64_t e,
			    struct range_vec *rv)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", (int)t->pid, (unsigned long long)r->start,
		 (unsigned long long)r->end);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	int rc = 0;
	/* file offset = r->offset + (address - r->start) */
	off_t pos = (off_t)(r->offset + (s - r->start)), end = (off_t)(r->offset + (e - r->start));
	while (pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		if (data < 0) {
			rc = errno == ENXIO ? 0 : -1; /* ENXIO: no data after pos */
			break;
		}
		if (data >= end)
			break;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		uint64_t ds = r->start + ((uint64_t)data - r->offset), de = r->start + ((uint64_t)hole - r->offset);
		ds &= ~(PG - 1);
		de = (de + PG - 1) & ~(PG - 1);
		if (de > e)
			de = e;
		if (rv_push(rv, ds, de) != 0) {
			rc = -1;
			break;
		}
		pos = hole;
	}
	close(fd);
	return rc;
}

/* Pages of a fresh part: anonymous ones as present pages plus a zero range, others whole. */
static int capture(struct dirty_tracker *t, struct region *r, uint64_t s, uint64_t e, struct page_set *out)
{
	if (r->anon) {
		t->tmp.n = 0;
		if (dirty_present_ranges(t, s, e, &t->tmp) != 0)
			return -1;
		/* "Dense": at most 1/32 of it absent (malloc leaves a page or two of a big block untouched). */
		uint64_t present = 0;
		for (size_t k = 0; k < t->tmp.n; k++)
			present += t->tmp.v[k][1] - t->tmp.v[k][0];
		bool full = (e - s - present) * 32 <= e - s;
		r->dense = full && (r->whole_fresh || r->dense);
		r->populated = (r->whole_fresh ? 0 : r->populated) + present / PG;
	} else {
		r->dense = false;
	}
	bool sparse_file = false;
	if (!r->anon && e - s >= SPARSE_FILE_MIN) {
		t->tmp.n = 0;
		sparse_file = file_data_ranges(t, r, s, e, &t->tmp) == 0;
	}
	if (r->anon || sparse_file) {
		for (size_t k = 0; k < t->tmp.n; k++)
			if (ps_push_range(out, t->tmp.v[k][0], t->tmp.v[k][1]) != 0)
				return -1;
		if (ps_push_zero(out, s, e) != 0)
			return -1;
	} else if (ps_push_range(out, s, e) != 0) {
		return -1;
	}
	/* Remember hashes of what was captured: present pages of hashed anonymous ranges (a page
	 * that appears later is compared with zero), every page of file-backed and shared ones
	 * (the tracer reads them all now, so they become present). */
	if ((r->kind == RK_HASH_PRESENT && r->anon) || (r->kind == RK_HASH_ALL && sparse_file)) {
		for (size_t k = 0; k < t->tmp.n; k++)
			for (uint64_t a = t->tmp.v[k][0]; a < t->tmp.v[k][1]; a += PG)
				if (hash_add_cand(t, a, CAND_RECORD) != 0)
					return -1;
	} else if (r->kind == RK_HASH_ALL || r->kind == RK_HASH_PRESENT) {
		for (uint64_t a = s; a < e; a += PG)
			if (hash_add_cand(t, a, CAND_RECORD) != 0)
				return -1;
	}
	return 0;
}

/* A part that continues from the last collect. *wi is a cursor into t->written. */
static int continuing(struct dirty_tracker *t, struct region *r, uint64_t s, uint64_t e, size_t *wi,
		      struct page_set *out)
{
	switch (r->kind) {
	case RK_TRACKED: {
		const struct range_vec *w = &t->written;
		while (*wi < w->n && w->v[*wi][1] <= s)
			(*wi)++;
		for (size_t k = *wi; k < w->n && w->v[k][0] < e; k++) {
			uint64_t cs = w->v[k][0] > s ? w->v[k][0] : s;
			uint64_t ce = w->v[k][1] < e ? w->v[k][1] : e;
			if (ps_push_range(out, cs, ce) != 0)
				return -1;
			r->populated += (ce - cs) / PG;
		}
		return 0;
	}
	case RK_HASH_ALL:
		if (e - s < SPARSE_FILE_MIN || (t->tmp.n = 0, file_data_ranges(t, r, s, e, &t->tmp) != 0)) {
			for (uint64_t a = s; a < e; a += PG)
				if (hash_add_cand(t, a, CAND_COMPARE) != 0)
					return -1;
			return 0;
		}
		/* a big sparse file, its data extents in t->tmp */
		__attribute__((fallthrough));
	case RK_HASH_PRESENT: {
		/* present pages (data extents) now, merged with pages that had a hash last time */
		uint8_t mode = r->anon ? CAND_COMPARE_ANON : CAND_COMPARE;
		if (r->kind == RK_HASH_PRESENT) {
			t->tmp.n = 0;
			if (dirty_present_ranges(t, s, e, &t->tmp) != 0)
				return -1;
		}
		size_t h = hash_lower_bound(t, s), k = 0;
		uint64_t a = t->tmp.n ? t->tmp.v[0][0] : e;
		for (;;) {
			uint64_t ha = h < t->nph && t->ph[h].addr < e ? t->ph[h].addr : e;
			uint64_t next = a < ha ? a : ha;
			if (next >= e)
				break;
			if (hash_add_cand(t, next, mode) != 0)
				return -1;
			if (ha == next)
				h++;
			if (a == next) {
				a += PG;
				if (a >= t->tmp.v[k][1])
					a = ++k < t->tmp.n ? t->tmp.v[k][0] : e;
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

/*
 * A sparse anonymous tracked region that may have filled up since it was captured: count its
 * present pages (one walk of its page table, at most once per region-size worth of writes)
 * and let it be scanned on the fast path from the next collect on if it is dense now.
 */
static int recheck_density(struct dirty_tracker *t, struct region *r)
{
	uint64_t pages = (r->end - r->start) / PG;
	if (r->kind != RK_TRACKED || !r->anon || !r->registered || r->dense || r->whole_fresh || r->fresh_n ||
	    !t->have_scan || r->populated * 32 < pages * 31)
		return 0;
	t->tmp.n = 0;
	if (dirty_present_ranges(t, r->start, r->end, &t->tmp) != 0)
		return -1;
	uint64_t present = 0;
	for (size_t k = 0; k < t->tmp.n; k++)
		present += (t->tmp.v[k][1] - t->tmp.v[k][0]) / PG;
	r->populated = present;
	r->dense = (pages - present) * 32 <= pages;
	return 0;
}

static int emit(struct dirty_tracker *t, struct page_set *out)
{
	size_t wi = 0;
	for (size_t i = 0; i < t->nreg; i++) {
		struct region *r = &t->reg[i];
		if (r->kind == RK_SKIP)
			continue;
		if (r->whole_fresh) {
			if (capture(t, r, r->start, r->end, out) != 0)
				return -1;
			continue;
		}
		uint64_t pos = r->start;
		for (uint32_t f = 0; f < r->fresh_n; f++) {
			const uint64_t *fr = t->fresh.v[r->fresh_first + f];
			if (fr[0] > pos && continuing(t, r, pos, fr[0], &wi, out) != 0)
				return -1;
			if (capture(t, r, fr[0], fr[1], out) != 0)
				return -1;
			pos = fr[1];
		}
		if (pos < r->end && continuing(t, r, pos, r->end, &wi, out) != 0)
			return -1;
		if (recheck_density(t, r) != 0)
			return -1;
	}
	return 0;
}

/* out->addr and t->hpages are each sorted: merge them into out->addr, dropping duplicates. */
static int merge_hashed(struct dirty_tracker *t, struct page_set *out)
{
	if (!t->nhpages)
		return 0;
	size_t n = out->n + t->nhpages;
	if (grow((void **)&t->merge, &t->capmerge, n, sizeof(uint64_t)) != 0)
		return -1;
	size_t i = 0, j = 0, w = 0;
	while (i < out->n || j < t->nhpages) {
		uint64_t v;
		if (j >= t->nhpages || (i < out->n && out->addr[i] <= t->hpages[j]))
			v = out->addr[i++];
		else
			v = t->hpages[j++];
		if (!w || t->merge[w - 1] != v)
			t->merge[w++] = v;
	}
	uint64_t *tmp = out->addr;
	size_t cap = out->cap;
	out->addr = t->merge;
	out->cap = t->capmerge;
	out->n = w;
	t->merge = tmp;
	t->capmerge = cap;
	return 0;
}

static int collect_once(struct dirty_tracker *t, const struct map_table *maps, struct page_set *out, char *err,
			size_t errlen)
{
	const char *what = "";
	page_set_clear(out);
	t->ncand = 0;
	t->nhpages = 0;
	t->written.n = 0;
	t->registered_now = false;
	if (build_regions(t, maps) != 0) {
		what = "building the region table";
		goto fail;
	}
	track_fresh(t, maps);
	/* The new table becomes current; the last one is scratch for the next collect. */
	struct region *sr = t->reg;
	size_t sc = t->capreg;
	t->reg = t->reg_next;
	t->capreg = t->capreg_next;
	t->nreg = t->nreg_next;
	t->reg_next = sr;
	t->capreg_next = sc;
	uint64_t tp = profile_now();
	if (t->ops->collect && t->ops->collect(t, err, errlen) != 0)
		goto fail_quiet;
	profile_add(PROF_SCAN, tp);
	rv_normalize(&t->written, 0);
	if (emit(t, out) != 0) {
		what = "listing pages";
		goto fail;
	}
	if (hash_process(t) != 0) {
		what = "reading pages to hash";
		goto fail;
	}
	if (merge_hashed(t, out) != 0) {
		what = "merging";
		goto fail;
	}
	if (t->ops->finish && t->ops->finish(t, err, errlen) != 0)
		goto fail_quiet;
	t->noted.n = 0;
	t->first_done = true;
	/* Registering can merge or split VMAs (their lines in maps): read them again next time. */
	t->maps_stale = t->registered_now;
	t->maps_hash = xxh64(maps->text, maps->text_len, 0);
	return 0;
fail:
	set_err(err, errlen, "dirty collect: %s: %s", what, strerror(errno));
fail_quiet:
	/* Nothing about the last state can be trusted now: the next collect starts over. */
	{
		int saved = errno;
		t->first_done = false;
		t->noted.n = 0;
		errno = saved;
	}
	return -1;
}

int dirty_collect(struct dirty_tracker *t, const struct map_table *maps, struct page_set *out, char *err,
		  size_t errlen)
{
	int rc = collect_once(t, maps, out, err, errlen);
	if (rc == 0 || t->backend == DIRTY_HASH || errno == ESRCH)
		return rc; /* ESRCH: the process is gone, not the backend */
	/*
	 * The backend failed (a kernel refusal we did not foresee): nothing it reported since the
	 * last collect can be trusted, but the program must not pay for it. Hashing always works:
	 * switch to it for good and take a full snapshot now.
	 */
	enum dirty_backend was = t->backend;
	dirty_warnf(t, "%s dirty page tracking failed (%s); hashing every page from now on (slower checkpoints)",
		    dirty_backend_name(was), err);
	t->ops->close(t);
	reset_state(t);
	t->backend = DIRTY_HASH;
	t->ops = &dirty_hash_ops;
	if (t->ops->open(t, err, errlen) != 0)
		return -1;
	return collect_once(t, maps, out, err, errlen);
}
