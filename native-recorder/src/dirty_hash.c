/*
 * dirty_hash.c - hashed ranges: read pages, keep a 64-bit XXH64 per page, report the pages
 * whose hash changed. The hash backend hashes every writable private range this way; the
 * other backends use it for MAP_SHARED mappings (writes by other processes are seen by no
 * tracker) and for ranges they cannot track.
 *
 * Owns: the stored hashes (t->ph, sorted by address; rebuilt into t->ph_next each collect
 * from exactly the pages hashed then, so hashes of unmapped pages are dropped) and the
 * candidate list of one collect (t->cand, ascending, built by dirty.c).
 *
 * Only present (or swapped) pages of private ranges are read, plus pages that had a hash
 * last time: a private page that was never populated reads as zero (anonymous) or as the
 * file (file-backed), so there is nothing to compare. A page that became absent since is read
 * again (an anonymous one now reads as zero, and is reported if it was not zero).
 *
 * Cost: ~62-66 ms per 256 MiB of present memory (copy ~8 GB/s + hash); no allocation once
 * the vectors reached their size. The hash backend itself needs no setup and always works.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirty_internal.h"
#include "hash64.h"
#include "memory.h"

uint64_t hash_page(const uint8_t *page)
{
	return xxh64(page, PG, 0);
}

int hash_add_cand(struct dirty_tracker *t, uint64_t addr, uint8_t mode)
{
	if (t->ncand == t->capcand) {
		size_t nc = t->capcand ? t->capcand * 2 : 1024;
		struct hash_cand *p = realloc(t->cand, nc * sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		t->cand = p;
		t->capcand = nc;
	}
	t->cand[t->ncand].addr = addr;
	t->cand[t->ncand].mode = mode;
	t->ncand++;
	return 0;
}

size_t hash_lower_bound(const struct dirty_tracker *t, uint64_t addr)
{
	size_t lo = 0, hi = t->nph;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->ph[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int push_hpage(struct dirty_tracker *t, uint64_t addr)
{
	if (t->nhpages == t->caphpages) {
		size_t nc = t->caphpages ? t->caphpages * 2 : 256;
		uint64_t *p = realloc(t->hpages, nc * sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		t->hpages = p;
		t->caphpages = nc;
	}
	t->hpages[t->nhpages++] = addr;
	return 0;
}

int hash_process(struct dirty_tracker *t)
{
	uint64_t addrs[HASH_BATCH];
	if (t->ncand > t->capph_next) {
		struct page_hash *p = realloc(t->ph_next, t->ncand * sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		t->ph_next = p;
		t->capph_next = t->ncand;
	}
	size_t oc = 0, w = 0;
	for (size_t i = 0; i < t->ncand; i += HASH_BATCH) {
		size_t n = t->ncand - i < HASH_BATCH ? t->ncand - i : HASH_BATCH, bad = 0;
		for (size_t k = 0; k < n; k++)
			addrs[k] = t->cand[i + k].addr;
		if (memory_read_pages(t->pid, addrs, n, t->buf, &bad) != 0)
			return -1;
		for (size_t k = 0; k < n; k++) {
			const struct hash_cand *c = &t->cand[i + k];
			uint64_t h = hash_page(t->buf + k * PG);
			if (w && t->ph_next[w - 1].addr == c->addr)
				continue; /* listed twice: keep the first */
			t->ph_next[w].addr = c->addr;
			t->ph_next[w].hash = h;
			w++;
			if (c->mode == CAND_RECORD)
				continue;
			while (oc < t->nph && t->ph[oc].addr < c->addr)
				oc++;
			bool changed;
			if (oc < t->nph && t->ph[oc].addr == c->addr)
				changed = t->ph[oc].hash != h;
			else /* no hash last time: an absent anonymous page was zero */
				changed = c->mode == CAND_COMPARE_ANON ? h != t->zero_hash : true;
			if (changed && push_hpage(t, c->addr) != 0)
				return -1;
		}
	}
	struct page_hash *sp = t->ph;
	size_t sc = t->capph;
	t->ph = t->ph_next;
	t->capph = t->capph_next;
	t->nph = w;
	t->ph_next = sp;
	t->capph_next = sc;
	return 0;
}

/* The hash backend: nothing to set up, nothing to arm; dirty.c hashes its writable ranges. */
static int hash_open(struct dirty_tracker *t, char *err, size_t errlen)
{
	(void)t;
	(void)err;
	(void)errlen;
	return 0;
}

static void hash_close(struct dirty_tracker *t)
{
	(void)t;
}

const struct dirty_ops dirty_hash_ops = {
	.open = hash_open,
	.close = hash_close,
};
