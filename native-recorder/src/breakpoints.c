/*
 * breakpoints.c - int3 breakpoints (see breakpoints.h).
 *
 * Memory is changed with PTRACE_PEEKTEXT/POKETEXT on the aligned 8-byte word holding the
 * byte, so a poke never crosses into the next page and works on read-only text (the kernel
 * breaks copy-on-write for the tracer). Two specs resolving to one address share one int3:
 * only the first is inserted, so the saved original byte is never our own 0xCC.
 *
 * Unsafe while the process runs: a poke must not race a thread executing the word.
 */
#include "breakpoints.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include "elf_symbols.h"

int bp_init(struct breakpoints *b, const char **specs, size_t n, char *err, size_t errlen)
{
	b->n = 0;
	b->v = calloc(n ? n : 1, sizeof *b->v);
	if (!b->v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		struct breakpoint *bp = &b->v[b->n++];
		bp->spec = specs[i];
		if (strncmp(specs[i], "0x", 2) == 0 || strncmp(specs[i], "0X", 2) == 0) {
			char *end;
			errno = 0;
			unsigned long long a = strtoull(specs[i] + 2, &end, 16);
			if (errno || *end || end == specs[i] + 2 || a == 0) {
				snprintf(err, errlen, "bad breakpoint address '%s'", specs[i]);
				errno = EINVAL;
				return -1;
			}
			bp->absolute = true;
			bp->addr = a;
		}
	}
	return 0;
}

void bp_free(struct breakpoints *b)
{
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

int bp_check_symbols(const struct breakpoints *b, const char *exe, char *err, size_t errlen)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].absolute)
			continue;
		if (elf_find_function(exe, b->v[i].spec, NULL, NULL) == 0)
			continue;
		if (errno == ENOENT)
			snprintf(err, errlen, "no function '%s' in %s (--break)", b->v[i].spec, exe);
		else if (errno == ENOEXEC)
			snprintf(err, errlen, "cannot look up '%s': %s is not an x86-64 ELF executable (--break)",
				 b->v[i].spec, exe);
		else
			snprintf(err, errlen, "cannot read %s to look up '%s': %s", exe, b->v[i].spec, strerror(errno));
		return -1;
	}
	return 0;
}

/* The runtime entry point from the process's auxiliary vector. */
static int auxv_entry(pid_t pid, uint64_t *entry)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/auxv", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf64_auxv_t av[64];
	ssize_t n = read(fd, av, sizeof av);
	close(fd);
	for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof av[0]; i++) {
		if (av[i].a_type == AT_ENTRY) {
			*entry = av[i].a_un.a_val;
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

static void warnf(bp_warn_fn warn, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warnf(bp_warn_fn warn, void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (warn)
		warn(ctx, line);
}

void bp_resolve(struct breakpoints *b, pid_t pid, const char *exe, bool after_exec, bp_warn_fn warn, void *ctx)
{
	bool have_bias = false;
	uint64_t bias = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct breakpoint *bp = &b->v[i];
		bp->inserted = false;
		if (bp->absolute) {
			if (after_exec && bp->addr) {
				warnf(warn, ctx, "breakpoint at %s dropped: the program executed %s", bp->spec, exe);
				bp->addr = 0;
			}
			continue;
		}
		bp->addr = 0;
		uint64_t value;
		struct elf_info info;
		if (elf_find_function(exe, bp->spec, &value, &info) < 0) {
			warnf(warn, ctx, "breakpoint '%s' dropped: no such function in %s", bp->spec, exe);
			continue;
		}
		if (!have_bias) {
			uint64_t entry;
			if (auxv_entry(pid, &entry) < 0) {
				warnf(warn, ctx, "breakpoint '%s' dropped: cannot read the load address of %s: %s", bp->spec,
				      exe, strerror(errno));
				continue;
			}
			bias = entry - info.entry;
			have_bias = true;
		}
		bp->addr = value + bias;
	}
}

static int peek(pid_t tid, uint64_t word, uint64_t *out)
{
	errno = 0;
	long v = ptrace(PTRACE_PEEKTEXT, tid, (void *)word, NULL);
	if (v == -1 && errno)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* Sets the byte at addr to val; returns the byte that was there in *old (may be NULL). */
static int poke_byte(pid_t tid, uint64_t addr, uint8_t val, uint8_t *old)
{
	uint64_t word = addr & ~7ull, v;
	unsigned shift = (unsigned)(addr - word) * 8;
	if (peek(tid, word, &v) < 0)
		return -1;
	if (old)
		*old = (uint8_t)(v >> shift);
	v = (v & ~(0xffull << shift)) | (uint64_t)val << shift;
	return ptrace(PTRACE_POKETEXT, tid, (void *)word, (void *)v) < 0 ? -1 : 0;
}

struct breakpoint *bp_at(struct breakpoints *b, uint64_t addr)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].inserted && b->v[i].addr == addr)
			return &b->v[i];
	return NULL;
}

void bp_insert_all(struct breakpoints *b, pid_t tid, bp_warn_fn warn, void *ctx)
{
	for (size_t i = 0; i < b->n; i++) {
		struct breakpoint *bp = &b->v[i];
		if (!bp->addr || bp->inserted || bp_at(b, bp->addr))
			continue;
		if (poke_byte(tid, bp->addr, 0xcc, &bp->orig) < 0) {
			const char *why = errno == EIO || errno == EFAULT ? "nothing is mapped there" : strerror(errno);
			if (bp->absolute)
				warnf(warn, ctx, "breakpoint at %s dropped: %s", bp->spec, why);
			else
				warnf(warn, ctx, "breakpoint '%s' at 0x%llx dropped: %s", bp->spec,
				      (unsigned long long)bp->addr, why);
			bp->addr = 0;
			continue;
		}
		bp->inserted = true;
	}
}

int bp_disarm(struct breakpoint *bp, pid_t tid)
{
	return poke_byte(tid, bp->addr, bp->orig, NULL);
}

int bp_arm(struct breakpoint *bp, pid_t tid)
{
	return poke_byte(tid, bp->addr, 0xcc, NULL);
}

int bp_remove_all(struct breakpoints *b, pid_t tid)
{
	int rc = 0, e = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct breakpoint *bp = &b->v[i];
		if (!bp->inserted)
			continue;
		if (bp_disarm(bp, tid) < 0 && !rc) {
			rc = -1;
			e = errno;
		}
		bp->inserted = false;
	}
	errno = e;
	return rc;
}

int bp_clean_copy(const struct breakpoints *b, pid_t tid)
{
	int rc = 0, e = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].inserted && poke_byte(tid, b->v[i].addr, b->v[i].orig, NULL) < 0 && !rc) {
			rc = -1;
			e = errno;
		}
	errno = e;
	return rc;
}

void bp_forget_all(struct breakpoints *b)
{
	for (size_t i = 0; i < b->n; i++)
		b->v[i].inserted = false;
}

void bp_patch_pages(const struct breakpoints *b, const uint64_t *addr, size_t n, uint8_t *data)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct breakpoint *bp = &b->v[i];
		if (!bp->inserted)
			continue;
		uint64_t page = bp->addr & ~4095ull;
		size_t lo = 0, hi = n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (addr[mid] < page)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < n && addr[lo] == page)
			data[lo * 4096 + (bp->addr & 4095)] = bp->orig;
	}
}
