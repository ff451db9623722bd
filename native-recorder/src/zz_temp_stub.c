/*
 * zz_temp_stub.c - TEMPORARY weak stand-ins for the dirty tracker (dirty.h) until the real
 * src/dirty*.c land; every symbol is weak, so the real ones win without a clash. Reports
 * every page of every readable mapping at every collect (correct, slow). DELETE when
 * src/dirty.c exists.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirty.h"

#define WEAK __attribute__((weak))

struct dirty_tracker {
	int dummy;
};

WEAK void page_set_clear(struct page_set *s)
{
	s->n = 0;
	s->nzero = 0;
}

WEAK void page_set_free(struct page_set *s)
{
	free(s->addr);
	free(s->zero);
	memset(s, 0, sizeof *s);
}

WEAK struct dirty_tracker *dirty_open(enum dirty_backend want, pid_t pid, pid_t tid, char *err, size_t errlen,
				      void (*warn)(void *ctx, const char *line), void *warn_ctx)
{
	(void)pid;
	(void)tid;
	(void)err;
	(void)errlen;
	if (want != DIRTY_AUTO && want != DIRTY_HASH) {
		errno = ENOSYS;
		return NULL;
	}
	if (warn)
		warn(warn_ctx, "temporary stub dirty tracker: every page at every checkpoint");
	return calloc(1, sizeof(struct dirty_tracker));
}

WEAK enum dirty_backend dirty_backend_of(const struct dirty_tracker *t)
{
	(void)t;
	return DIRTY_HASH;
}

WEAK const char *dirty_backend_name(enum dirty_backend b)
{
	static const char *const names[] = { "uffd-wp", "soft-dirty", "hash" };
	return b >= 0 && b <= 2 ? names[b] : "auto";
}

WEAK int dirty_backend_parse(const char *name, enum dirty_backend *out)
{
	static const char *const names[] = { "uffd-wp", "soft-dirty", "hash" };
	if (strcmp(name, "auto") == 0) {
		*out = DIRTY_AUTO;
		return 0;
	}
	for (int i = 0; i < 3; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum dirty_backend)i;
			return 0;
		}
	return -1;
}

WEAK int dirty_collect(struct dirty_tracker *t, const struct map_table *maps, struct page_set *out, char *err,
		       size_t errlen)
{
	(void)t;
	(void)err;
	(void)errlen;
	for (size_t i = 0; i < maps->n; i++) {
		const struct map_entry *e = &maps->v[i];
		if (!(e->prot & MAP_R) || maps_is_unreadable_special(e))
			continue;
		for (uint64_t a = e->start; a < e->end; a += 4096) {
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 1024;
				uint64_t *v = realloc(out->addr, cap * sizeof *v);
				if (!v)
					return -1;
				out->addr = v;
				out->cap = cap;
			}
			out->addr[out->n++] = a;
		}
	}
	return 0;
}

WEAK void dirty_note_syscall(struct dirty_tracker *t, long nr, const uint64_t args[6])
{
	(void)t;
	(void)nr;
	(void)args;
}

WEAK int dirty_reset_after_exec(struct dirty_tracker *t, pid_t tid, char *err, size_t errlen)
{
	(void)t;
	(void)tid;
	(void)err;
	(void)errlen;
	return 0;
}

WEAK void dirty_close(struct dirty_tracker *t)
{
	free(t);
}
