/*
 * pagemap_test - pure parsing of /proc/PID/pagemap entries with synthetic buffers: entry
 * decoding, soft-dirty and present ranges (the soft-dirty backend's logic, which cannot run
 * end to end on a kernel without CONFIG_MEM_SOFT_DIRTY), chunked reads from a file, and the
 * XXH64 used for page hashes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "dirty_internal.h"
#include "hash64.h"


#define BASE 0x7f0000000000ull

static void test_decode(void)
{
	struct pm_entry d = pm_decode(PM_PRESENT | PM_SOFT_DIRTY | PM_EXCLUSIVE | 0x1234);
	CHECK(d.present && d.soft_dirty && d.exclusive && !d.swapped && !d.file && !d.uffd_wp && d.pfn == 0x1234);
	d = pm_decode(PM_SWAPPED | PM_UFFD_WP | (3 | 77ull << 5));
	CHECK(!d.present && d.swapped && d.uffd_wp && !d.soft_dirty && (d.pfn & 31) == 3 && (d.pfn >> 5) == 77);
	d = pm_decode(PM_FILE | PM_PRESENT);
	CHECK(d.file && d.present);
	d = pm_decode(0);
	CHECK(!d.present && !d.swapped && !d.soft_dirty && d.pfn == 0);
}

static void test_ranges(void)
{
	/* P = present, S = swapped, D = soft-dirty, - = hole */
	const uint64_t P = PM_PRESENT, S = PM_SWAPPED, D = PM_SOFT_DIRTY;
	uint64_t e[] = {
		P | D, P | D, P, 0, D, /* 0-4: a hole marked soft-dirty (VM_SOFTDIRTY) must not count */
		S | D, P | D, P,	 /* 5-7 */
		P | D, 0, 0, P | D,	 /* 8-11 */
	};
	size_t n = sizeof(e) / sizeof(e[0]);
	struct range_vec rv = {0};
	CHECK(pagemap_ranges(e, n, BASE, PM_SOFT_DIRTY, PM_PRESENT | PM_SWAPPED, &rv) == 0);
	CHECK(rv.n == 4);
	if (rv.n == 4) {
		CHECK(rv.v[0][0] == BASE && rv.v[0][1] == BASE + 2 * PG);
		CHECK(rv.v[1][0] == BASE + 5 * PG && rv.v[1][1] == BASE + 7 * PG);
		CHECK(rv.v[2][0] == BASE + 8 * PG && rv.v[2][1] == BASE + 9 * PG);
		CHECK(rv.v[3][0] == BASE + 11 * PG && rv.v[3][1] == BASE + 12 * PG);
	}
	rv.n = 0;
	CHECK(pagemap_ranges(e, n, BASE, 0, PM_PRESENT | PM_SWAPPED, &rv) == 0);
	CHECK(rv.n == 3);
	if (rv.n == 3) {
		CHECK(rv.v[0][0] == BASE && rv.v[0][1] == BASE + 3 * PG);
		CHECK(rv.v[1][0] == BASE + 5 * PG && rv.v[1][1] == BASE + 9 * PG);
		CHECK(rv.v[2][0] == BASE + 11 * PG && rv.v[2][1] == BASE + 12 * PG);
	}
	/* chunks that meet are joined: the second call continues the first's last range */
	rv.n = 0;
	CHECK(pagemap_ranges(e, 2, BASE, PM_SOFT_DIRTY, PM_PRESENT, &rv) == 0);
	CHECK(pagemap_ranges(e + 2, 0, BASE + 2 * PG, PM_SOFT_DIRTY, PM_PRESENT, &rv) == 0);
	uint64_t more[] = {P | D};
	CHECK(pagemap_ranges(more, 1, BASE + 2 * PG, PM_SOFT_DIRTY, PM_PRESENT, &rv) == 0);
	CHECK(rv.n == 1 && rv.v[0][1] == BASE + 3 * PG);
	/* nothing matches */
	rv.n = 0;
	uint64_t none[] = {0, P, S, D};
	CHECK(pagemap_ranges(none, 4, BASE, PM_SOFT_DIRTY, PM_PRESENT | PM_SWAPPED, &rv) == 0 && rv.n == 0);
	free(rv.v);
}

/* pagemap_read_ranges over a synthetic pagemap file: offsets are page number * 8. */
static void test_read_file(void)
{
	char path[] = "/tmp/delorean-pagemap-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	unlink(path);
	const uint64_t first = 0x10000; /* page number */
	const size_t n = 10000;		/* more than one read chunk */
	uint64_t *e = calloc(n, sizeof(uint64_t));
	for (size_t i = 0; i < n; i++)
		e[i] = (i % 1000 < 3 || i == 4095 || i == 4096) ? (PM_PRESENT | PM_SOFT_DIRTY) : PM_PRESENT;
	CHECK(pwrite(fd, e, n * 8, (off_t)(first * 8)) == (ssize_t)(n * 8));
	struct range_vec rv = {0};
	CHECK(pagemap_read_ranges(fd, first * PG, (first + n) * PG, PM_SOFT_DIRTY, PM_PRESENT, &rv) == 0);
	size_t pages = 0;
	bool joined = false;
	for (size_t i = 0; i < rv.n; i++) {
		pages += (rv.v[i][1] - rv.v[i][0]) / PG;
		joined |= rv.v[i][0] == (first + 4095) * PG && rv.v[i][1] == (first + 4097) * PG;
	}
	CHECK(pages == 10 * 3 + 2 && joined); /* 4095|4096 straddle the 4096-entry chunk boundary */
	/* reading past the end of the file fails cleanly */
	rv.n = 0;
	CHECK(pagemap_read_ranges(fd, (first + n) * PG, (first + n + 5) * PG, 0, 0, &rv) == -1);
	free(rv.v);
	free(e);
	close(fd);
}

static void test_xxh64(void)
{
	/* reference values of XXH64 with seed 0 */
	CHECK(xxh64("", 0, 0) == 0xEF46DB3751D8E999ull);
	CHECK(xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5Bull);
	CHECK(xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ull);
	uint8_t page[4096];
	memset(page, 0, sizeof(page));
	uint64_t z = xxh64(page, sizeof(page), 0);
	page[4095] = 1;
	CHECK(xxh64(page, sizeof(page), 0) != z);
	page[4095] = 0;
	page[0] = 1;
	uint64_t a = xxh64(page, sizeof(page), 0);
	page[0] = 0;
	page[1] = 1;
	CHECK(xxh64(page, sizeof(page), 0) != a && a != z);
}

int main(void)
{
	test_decode();
	test_ranges();
	test_read_file();
	test_xxh64();
	return check_done("pagemap_test");
}
