/*
 * pagemap.h - the kernel's page-table views of another process: /proc/PID/pagemap entries and
 * the PAGEMAP_SCAN ioctl (Linux 6.7), whose definitions the 6.1 system headers lack.
 *
 * pagemap entry (Documentation/admin-guide/mm/pagemap.rst): bit 63 present, 62 swapped,
 * 61 file-page or shared-anon, 57 uffd-wp write-protected, 56 exclusively mapped,
 * 55 soft-dirty, bits 0-54 the PFN (zero without CAP_SYS_ADMIN) or swap type/offset.
 */
#ifndef DL_PAGEMAP_H
#define DL_PAGEMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)
#define PM_UFFD_WP (1ull << 57)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_PFN_MASK ((1ull << 55) - 1)

struct pm_entry {
	bool present, swapped, file, uffd_wp, exclusive, soft_dirty;
	uint64_t pfn; /* when present (0 if hidden); swap type | offset << 5 when swapped */
};

static inline struct pm_entry pm_decode(uint64_t e)
{
	struct pm_entry d = {
		.present = (e & PM_PRESENT) != 0,
		.swapped = (e & PM_SWAPPED) != 0,
		.file = (e & PM_FILE) != 0,
		.uffd_wp = (e & PM_UFFD_WP) != 0,
		.exclusive = (e & PM_EXCLUSIVE) != 0,
		.soft_dirty = (e & PM_SOFT_DIRTY) != 0,
		.pfn = e & PM_PFN_MASK,
	};
	return d;
}

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, Linux 6.7) */
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)
#endif

#endif
