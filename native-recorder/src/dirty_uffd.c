/*
 * dirty_uffd.c - the userfaultfd write-protect backend (Linux >= 6.7).
 *
 * Setup (open, and again after exec): a userfaultfd is created INSIDE the tracee by injecting
 * userfaultfd(O_CLOEXEC|O_NONBLOCK) (retried with UFFD_USER_MODE_ONLY on EPERM, i.e.
 * vm.unprivileged_userfaultfd=0 without CAP_SYS_PTRACE; kernel writes are still tracked under
 * WP_ASYNC), copied to the recorder with pidfd_open + pidfd_getfd, and closed in the tracee
 * again (injected close), so the tracee keeps no extra fd. UFFDIO_API asks for
 * UFFD_FEATURE_WP_ASYNC (write faults resolve themselves in the kernel, the tracee never
 * blocks) and UFFD_FEATURE_WP_UNPOPULATED (needed for anonymous ranges to count as
 * WP-capable). The probe registers the stack's VMA, arms its page, rewrites 8 bytes there with
 * process_vm_writev and must see the page written.
 *
 * Tracking: every region of the map is registered when first seen (MODE_WP), not only the
 * writable ones: registered neighbours form runs, and each run is ONE PAGEMAP_SCAN ioctl
 * (WP_MATCHING | CHECK_WPASYNC, category WRITTEN, any of PRESENT | SWAPPED, return WRITTEN)
 * that returns the pages written since the last scan and re-arms them in the same call; a
 * typical process is one or two runs ([vdso]/[vvar] cannot be registered). Matching only
 * present/swapped pages keeps sparse reservations cheap (holes are never armed), which is why
 * madvise/munmap/MAP_FIXED must be reported through dirty_note_syscall: a zapped page is not
 * "written". A range registration fails for (EINVAL: [vdso], MAP_DROPPABLE; EPERM: shared
 * mapping of a read-only file, write-sealed memfd; EBUSY: the program's own userfaultfd) is
 * not tracked: writable private ones are hashed instead (dirty.c).
 *
 * The program's own userfaultfd: a range can belong to one userfaultfd only, so once we track
 * a range, the program's UFFDIO_REGISTER of it would fail with EBUSY. The seccomp filter
 * traps that ioctl; at its entry we unregister the range (untrack) and dirty.c notes it, so
 * the next collect captures it whole and, finding it taken (EBUSY), hashes it from then on.
 *
 * Lost registrations: mmap(MAP_FIXED) over, or mremap of, a registered range leaves an
 * unregistered VMA; CHECK_WPASYNC makes the scan fail with EPERM on it. The vector then holds
 * what was found (and re-armed) before the failure; an inverted PAGE_IS_WPALLOWED query finds
 * the unregistered VMAs, which are registered again and captured whole, and the run is
 * scanned again. This catches replacements the tracer did not report.
 *
 * Owns: the userfaultfd (closing it unregisters everything and leaves the tracee untracked).
 * Cost: 65-170 us per scan of 256 MiB; ~0.7 us per first write to an armed page in the tracee.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#include "dirty_internal.h"
#include "maps.h"
#include "remote.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define SCAN_FLAGS (PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC)
#define SCAN_ANY (PAGE_IS_PRESENT | PAGE_IS_SWAPPED)

static void uffd_close(struct dirty_tracker *t)
{
	if (t->u.ufd >= 0)
		close(t->u.ufd);
	t->u.ufd = -1;
}

static int reg_range(struct dirty_tracker *t, uint64_t s, uint64_t e)
{
	struct uffdio_register reg = {.range = {.start = s, .len = e - s}, .mode = UFFDIO_REGISTER_MODE_WP};
	return ioctl(t->u.ufd, UFFDIO_REGISTER, &reg);
}

/* Creates the userfaultfd in the tracee and takes it. Returns our fd or -1 (err set). */
static int take_uffd(struct dirty_tracker *t, char *err, size_t errlen)
{
	uint64_t args[6] = {O_CLOEXEC | O_NONBLOCK, 0, 0, 0, 0, 0};
	int64_t rfd;
	if (remote_syscall(t->tid, SYS_userfaultfd, args, &rfd) != 0) {
		snprintf(err, errlen, "injecting userfaultfd(): %s", strerror(errno));
		return -1;
	}
	if (rfd == -EPERM) {
		args[0] |= UFFD_USER_MODE_ONLY;
		if (remote_syscall(t->tid, SYS_userfaultfd, args, &rfd) != 0) {
			snprintf(err, errlen, "injecting userfaultfd(): %s", strerror(errno));
			return -1;
		}
		t->u.user_mode_only = true;
	}
	if (rfd < 0) {
		snprintf(err, errlen, "userfaultfd() in the tracee: %s", strerror((int)-rfd));
		errno = (int)-rfd;
		return -1;
	}
	int fd = -1, saved = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (pidfd < 0) {
		saved = errno;
		snprintf(err, errlen, "pidfd_open: %s", strerror(saved));
	} else {
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, (int)rfd, 0);
		if (fd < 0) {
			saved = errno;
			snprintf(err, errlen, "pidfd_getfd: %s", strerror(saved));
		}
		close(pidfd);
	}
	uint64_t cargs[6] = {(uint64_t)rfd, 0, 0, 0, 0, 0};
	int64_t cret;
	if (remote_syscall(t->tid, SYS_close, cargs, &cret) != 0 && fd >= 0) {
		saved = errno;
		snprintf(err, errlen, "injecting close(): %s", strerror(saved));
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		errno = saved;
	return fd;
}

static int uffd_open(struct dirty_tracker *t, char *err, size_t errlen)
{
	struct map_table mt = {0};
	struct range_vec rv = {0};
	uint64_t page = 0;
	t->u.ufd = -1;
	t->u.user_mode_only = false;
	if (!t->have_scan) {
		snprintf(err, errlen, "PAGEMAP_SCAN unsupported: Linux >= 6.7 needed");
		errno = ENOTTY;
		return -1;
	}
	t->u.ufd = take_uffd(t, err, errlen);
	if (t->u.ufd < 0)
		goto fail;
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
	if (ioctl(t->u.ufd, UFFDIO_API, &api) != 0 ||
	    (api.features & (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)) !=
		    (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)) {
		snprintf(err, errlen, "UFFDIO_API without WP_ASYNC/WP_UNPOPULATED (%s): Linux >= 6.7 needed",
			 strerror(errno));
		goto fail;
	}
	/* Probe: arm the stack page, write it from outside, and see it written. */
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &regs) != 0 || maps_read(t->pid, &mt) != 0) {
		snprintf(err, errlen, "probe: %s", strerror(errno));
		goto fail;
	}
	long i = maps_find(&mt, regs.rsp);
	if (i < 0) {
		snprintf(err, errlen, "probe: stack pointer %llx not mapped", (unsigned long long)regs.rsp);
		errno = EFAULT;
		goto fail;
	}
	if (reg_range(t, mt.v[i].start, mt.v[i].end) != 0) {
		snprintf(err, errlen, "UFFDIO_REGISTER of the stack: %s", strerror(errno));
		goto fail;
	}
	page = regs.rsp & ~(PG - 1);
	if (dirty_scan(t, page, page + PG, SCAN_FLAGS, 0, PAGE_IS_WRITTEN, SCAN_ANY, PAGE_IS_WRITTEN, &rv) != 0 ||
	    dirty_probe_write(t, &page) != 0) {
		snprintf(err, errlen, "probe: %s", strerror(errno));
		goto fail;
	}
	rv.n = 0;
	if (dirty_scan(t, page, page + PG, SCAN_FLAGS, 0, PAGE_IS_WRITTEN, SCAN_ANY, PAGE_IS_WRITTEN, &rv) != 0) {
		snprintf(err, errlen, "probe scan: %s", strerror(errno));
		goto fail;
	}
	if (rv.n != 1 || rv.v[0][0] != page) {
		snprintf(err, errlen, "probe write not seen by PAGEMAP_SCAN");
		errno = ENOTSUP;
		goto fail;
	}
	free(rv.v);
	maps_free(&mt);
	return 0;
fail: {
	int saved = errno;
	free(rv.v);
	maps_free(&mt);
	uffd_close(t);
	errno = saved;
	return -1;
}
}

static int uffd_track(struct dirty_tracker *t, struct region *r)
{
	if (reg_range(t, r->start, r->end) == 0) {
		r->registered = true;
		return 0;
	}
	r->registered = false;
	return -1;
}

static void uffd_untrack(struct dirty_tracker *t, uint64_t s, uint64_t e)
{
	struct uffdio_range r = {.start = s, .len = e - s};
	/* Parts we never registered are skipped by the kernel; a failure leaves the program's
	 * ioctl to fail as it would have, and the noted range is recaptured either way. */
	if (ioctl(t->u.ufd, UFFDIO_UNREGISTER, &r) != 0)
		dirty_warnf(t, "cannot hand %llx-%llx over to the program's userfaultfd: %s", (unsigned long long)s,
			    (unsigned long long)e, strerror(errno));
}

static int scan_run(struct dirty_tracker *t, size_t i, size_t j, bool dense, int depth, char *err, size_t errlen);

/* Scanned with the kernel's fast path: dense and with no fresh part this collect. */
static bool scan_dense(const struct region *r)
{
	return r->dense && !r->whole_fresh && !r->fresh_n;
}

/* Scans every run of registered regions among reg[i..j] (a run: neighbours alike in density). */
static int scan_runs(struct dirty_tracker *t, size_t i, size_t j, int depth, char *err, size_t errlen)
{
	while (i <= j) {
		if (!t->reg[i].registered) {
			i++;
			continue;
		}
		size_t k = i;
		bool dense = scan_dense(&t->reg[i]);
		while (k < j && t->reg[k + 1].registered && scan_dense(&t->reg[k + 1]) == dense)
			k++;
		if (scan_run(t, i, k, dense, depth, err, errlen) != 0)
			return -1;
		i = k + 1;
	}
	return 0;
}

/*
 * One PAGEMAP_SCAN. Sparse ranges ask for written pages among present or swapped ones, so
 * holes are never armed (arming gigabytes of untouched reservation costs seconds and page
 * tables). Dense ranges ask for written pages only: the kernel's fast path (one test per
 * PTE, no per-page category) scans 256 MiB in ~80 us instead of ~170 us; it also reports and
 * arms empty entries, of which a dense range has few (reported once, read as zeros: correct).
 */
static int scan_run(struct dirty_tracker *t, size_t i, size_t j, bool dense, int depth, char *err, size_t errlen)
{
	uint64_t s = t->reg[i].start, e = t->reg[j].end;
	if (dirty_scan(t, s, e, SCAN_FLAGS, 0, PAGE_IS_WRITTEN, dense ? 0 : SCAN_ANY, PAGE_IS_WRITTEN, &t->written) == 0)
		return 0;
	if (errno != EPERM || depth >= 2) {
		snprintf(err, errlen, "PAGEMAP_SCAN %llx-%llx: %s", (unsigned long long)s, (unsigned long long)e,
			 strerror(errno));
		return -1;
	}
	/* Some VMA in the run lost its registration (MAP_FIXED, mremap): find which. */
	t->tmp.n = 0;
	if (dirty_scan(t, s, e, 0, PAGE_IS_WPALLOWED, PAGE_IS_WPALLOWED, 0, PAGE_IS_WPALLOWED, &t->tmp) != 0) {
		snprintf(err, errlen, "PAGEMAP_SCAN for unregistered ranges: %s", strerror(errno));
		return -1;
	}
	size_t lost = 0;
	for (size_t k = i; k <= j; k++) {
		struct region *r = &t->reg[k];
		bool hit = false;
		for (size_t q = 0; q < t->tmp.n && !hit; q++)
			hit = t->tmp.v[q][0] < r->end && t->tmp.v[q][1] > r->start;
		if (!hit)
			continue;
		lost++;
		r->whole_fresh = true;
		t->registered_now = true;
		if (uffd_track(t, r) != 0 && r->kind == RK_TRACKED) {
			int er = errno;
			r->kind = RK_HASH_PRESENT;
			r->fallback = true;
			dirty_warnf(t, "uffd-wp cannot re-register %llx-%llx (%s); hashing that range",
				    (unsigned long long)r->start, (unsigned long long)r->end, strerror(er));
		}
	}
	if (!lost) {
		snprintf(err, errlen, "PAGEMAP_SCAN %llx-%llx: EPERM but every range is registered",
			 (unsigned long long)s, (unsigned long long)e);
		errno = EPERM;
		return -1;
	}
	return scan_runs(t, i, j, depth + 1, err, errlen);
}

/*
 * Fresh parts of writable private FILE mappings are read whole by the tracer after this
 * collect; a read fault maps a page-cache page without the uffd-wp bit, which the next scan
 * would call written. Arming their holes too (with markers, WP_UNPOPULATED) keeps those
 * pages quiet. Anonymous holes are never read (zero ranges) and stay unarmed: cheap.
 */
static int arm_file_holes(struct dirty_tracker *t, char *err, size_t errlen)
{
	for (size_t i = 0; i < t->nreg; i++) {
		const struct region *r = &t->reg[i];
		if (r->kind != RK_TRACKED || r->anon || !r->registered)
			continue;
		for (uint32_t f = 0; f < (r->whole_fresh ? 1u : r->fresh_n); f++) {
			uint64_t s = r->whole_fresh ? r->start : t->fresh.v[r->fresh_first + f][0];
			uint64_t e = r->whole_fresh ? r->end : t->fresh.v[r->fresh_first + f][1];
			t->tmp.n = 0;
			if (dirty_scan(t, s, e, PM_SCAN_WP_MATCHING, 0, PAGE_IS_WRITTEN, 0, PAGE_IS_WRITTEN, &t->tmp) != 0) {
				snprintf(err, errlen, "arming %llx-%llx: %s", (unsigned long long)s,
					 (unsigned long long)e, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

static int uffd_collect(struct dirty_tracker *t, char *err, size_t errlen)
{
	if (!t->nreg)
		return 0;
	if (scan_runs(t, 0, t->nreg - 1, 0, err, errlen) != 0)
		return -1;
	return arm_file_holes(t, err, errlen);
}

const struct dirty_ops dirty_uffd_ops = {
	.open = uffd_open,
	.close = uffd_close,
	.track = uffd_track,
	.collect = uffd_collect,
	.untrack = uffd_untrack,
};
