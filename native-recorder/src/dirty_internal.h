/*
 * dirty_internal.h - what dirty.c (the dispatcher: region table, diffing, whole captures,
 * output) shares with the backends (dirty_uffd.c, dirty_softdirty.c, dirty_hash.c).
 *
 * A collect works on a region table: one region per /proc/PID/maps line, classified as
 *   SKIP          unreadable (PROT_NONE, [vvar], [vsyscall]): never reported;
 *   ONCE          readable, not writable, private: captured whole when first seen (or when its
 *                 identity - bounds, perms, file, offset - changes);
 *   TRACKED       writable private: the backend reports written pages;
 *   HASH_PRESENT  writable private that is hashed: each collect reads its present pages (and
 *                 those that were present last time) and reports those whose hash changed
 *                 (the hash backend, or a range uffd could not register);
 *   HASH_ALL      readable shared: every page is read and hashed each collect, since writes by
 *                 other processes (or pwrite to the file) are seen by no tracker.
 * A region, or a part of one, is "fresh" when it was not in the previous table with the same
 * identity, or a noted syscall (munmap, MAP_FIXED, mremap, madvise, brk, shmdt) touched it:
 * fresh parts are captured whole (anonymous: present pages + a zero range; otherwise every
 * page) and whatever the backend says about them is ignored.
 */
#ifndef DL_DIRTY_INTERNAL_H
#define DL_DIRTY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dirty.h"
#include "pagemap.h"

#define PG 4096ull
#define HASH_BATCH 64 /* pages per read batch when hashing: 256 KiB, hashed while still in L2 */
#define SCAN_VEC 1024  /* page_region entries per PAGEMAP_SCAN call */

struct range_vec {
	uint64_t (*v)[2];
	size_t n, cap;
};
/* Appends [s, e), merging with the last range when they touch. Returns 0 or -1 ENOMEM. */
int rv_push(struct range_vec *rv, uint64_t s, uint64_t e);

struct page_hash {
	uint64_t addr, hash;
};

enum region_kind { RK_SKIP, RK_ONCE, RK_TRACKED, RK_HASH_PRESENT, RK_HASH_ALL };

struct region {
	uint64_t start, end, offset, inode, path_hash;
	uint32_t dev_major, dev_minor, prot;
	uint8_t kind;
	bool shared, anon, heap, stack, special;
	bool registered;  /* uffd: the VMA is registered with our userfaultfd */
	bool fallback;    /* writable private hashed because the backend could not track it */
	bool whole_fresh; /* this collect: capture all of it */
	/* Anonymous and (almost: at most 1/32 absent) wholly present when last captured, and every
	 * part since: the uffd scan may use the kernel's fast path, which would arm the holes of a
	 * sparse range page by page (see dirty_uffd.c). A region with fresh parts is scanned as sparse. */
	bool dense;
	/* Sparse anonymous TRACKED regions: at least how many pages are present (present when
	 * captured, plus every page reported written since: a first touch is a write). When it
	 * reaches the dense threshold, the presence is counted again and the region may turn dense
	 * (an interval checkpoint catches a big block half-filled by its memset; without this it
	 * would be scanned on the slow path for ever). */
	uint64_t populated;
	uint32_t fresh_first, fresh_n; /* this collect: its fresh parts in t->fresh */
};

struct hash_cand {
	uint64_t addr;
	uint8_t mode; /* CAND_RECORD: fresh, already reported; CAND_COMPARE[_ANON]: report if changed */
};
enum { CAND_RECORD = 0, CAND_COMPARE = 1, CAND_COMPARE_ANON = 2 };

struct dirty_ops;

struct uffd_state {
	int ufd;
	bool user_mode_only;
};
struct sd_state {
	int clear_refs_fd;
};

struct dirty_tracker {
	enum dirty_backend backend;
	const struct dirty_ops *ops;
	pid_t pid, tid;
	void (*warn)(void *ctx, const char *line);
	void *warn_ctx;
	unsigned warned;

	int pagemap_fd;  /* /proc/PID/pagemap, open for the life of the mm */
	bool have_scan;  /* PAGEMAP_SCAN works */
	bool first_done; /* checkpoint 0 was collected */
	/* Whether /proc/PID/maps may differ from the table of the last collect (dirty_maps_unchanged):
	 * a map-changing syscall was noted, ranges were (re)registered, or a MAP_GROWSDOWN mapping
	 * exists (it grows without a syscall, and only [stack]'s growth is checked for). */
	bool maps_stale, has_growsdown, registered_now;
	uint64_t maps_hash; /* of the text of the last successful collect's map table */

	struct region *reg, *reg_next; /* table of the last collect; the one being built */
	size_t nreg, nreg_next, capreg, capreg_next;
	struct range_vec noted;   /* ranges noted since the last collect */
	struct range_vec fresh;   /* this collect: fresh parts, grouped per region */
	struct range_vec written; /* this collect: backend's written ranges, sorted */
	struct range_vec tmp;     /* scratch for present ranges */

	struct page_hash *ph, *ph_next; /* hashes of hashed pages, sorted by address */
	size_t nph, nph_next, capph, capph_next;
	struct hash_cand *cand;
	size_t ncand, capcand;
	uint64_t *hpages, *merge; /* changed hashed pages; merge scratch */
	size_t nhpages, caphpages, capmerge;
	uint8_t *buf;             /* HASH_BATCH pages */
	uint64_t zero_hash;

	struct page_region *vec; /* SCAN_VEC entries, kept zeroed past what a call wrote */

	union {
		struct uffd_state u;
		struct sd_state s;
	};
};

struct dirty_ops {
	/* Sets up the backend for t->pid (t->pagemap_fd is open) and proves with a probe write
	 * that it sees writes. Returns 0, or -1 with errno and a reason in err (t left clean). */
	int (*open)(struct dirty_tracker *t, char *err, size_t errlen);
	void (*close)(struct dirty_tracker *t);
	/* Called for each region with fresh parts. Returns 0 when it can track the region
	 * (TRACKED) or -1 with errno when the region must be hashed instead. May be NULL. */
	int (*track)(struct dirty_tracker *t, struct region *r);
	/* Appends to t->written (sorted) the pages written since the last collect in TRACKED
	 * regions (more is fine: dirty.c keeps only continuing parts of TRACKED regions), and
	 * re-arms. May mark regions whole_fresh (lost registration). Returns 0 or -1. */
	int (*collect)(struct dirty_tracker *t, char *err, size_t errlen);
	/* After the collect's pages were found: reset tracking state (soft-dirty clear_refs). */
	int (*finish)(struct dirty_tracker *t, char *err, size_t errlen);
	/* The program is about to claim [s, e) for a userfaultfd of its own: stop tracking it
	 * there so its registration does not fail with EBUSY. May be NULL. */
	void (*untrack)(struct dirty_tracker *t, uint64_t s, uint64_t e);
};

extern const struct dirty_ops dirty_uffd_ops, dirty_softdirty_ops, dirty_hash_ops;

/* dirty.c helpers for the backends */
void dirty_warnf(struct dirty_tracker *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends present-or-swapped page ranges in [s, e) to rv (PAGEMAP_SCAN or pagemap reads). */
int dirty_present_ranges(struct dirty_tracker *t, uint64_t s, uint64_t e, struct range_vec *rv);
/* One PAGEMAP_SCAN over [s, e) with the given masks, appending matched ranges to rv and
 * following walk_end when the vector fills. On EPERM (CHECK_WPASYNC) the ranges the kernel
 * wrote before failing are still appended, and -1/EPERM is returned. */
int dirty_scan(struct dirty_tracker *t, uint64_t s, uint64_t e, uint64_t flags, uint64_t inverted, uint64_t mask,
	       uint64_t anyof, uint64_t ret_mask, struct range_vec *rv);
/* Reads the 8 bytes at the thread's stack pointer and writes them back (a harmless write
 * for probes); *page gets the page written. Returns 0 or -1. */
int dirty_probe_write(struct dirty_tracker *t, uint64_t *page);

/* dirty_softdirty.c: pure pagemap parsing (unit tested with synthetic buffers) */
/* Appends to rv the pages among n entries (for base, base + 4096, ...) whose entry has every
 * bit of need and, if anyof != 0, at least one bit of anyof. */
int pagemap_ranges(const uint64_t *entries, size_t n, uint64_t base, uint64_t need, uint64_t anyof,
		   struct range_vec *rv);
/* Reads pagemap entries for [s, e) from fd in chunks and applies pagemap_ranges. */
int pagemap_read_ranges(int fd, uint64_t s, uint64_t e, uint64_t need, uint64_t anyof, struct range_vec *rv);

/* dirty_hash.c: hashed ranges */
int hash_add_cand(struct dirty_tracker *t, uint64_t addr, uint8_t mode);
/* Reads every candidate, records its hash in ph_next and the changed COMPARE ones in hpages;
 * then swaps ph/ph_next. Returns 0 or -1 (ESRCH). */
int hash_process(struct dirty_tracker *t);
/* Index of the first stored hash at or above addr. */
size_t hash_lower_bound(const struct dirty_tracker *t, uint64_t addr);
uint64_t hash_page(const uint8_t *page);

#endif
