/*
 * maps.c - parsing /proc/PID/maps into a map_table.
 *
 * Owns: the text of one maps snapshot and the entries parsed from it. One allocation holds the
 * entry array followed by the NUL-terminated paths (entries point into it), a second holds the
 * raw text, so a table costs two mallocs whatever its size.
 *
 * Line format (fs/proc/task_mmu.c, show_map_vma):
 *   start-end perms offset major:minor inode [padding path]
 * with hex start/end/offset/major/minor and decimal inode. The path is everything after the
 * padding to the end of the line: it may contain spaces and ends in " (deleted)" for an unlinked
 * file; the kernel escapes '\n' in paths, so a line never spans two. Anonymous mappings without
 * a name have no path (older kernels pad with spaces anyway).
 *
 * Invariants: entries are in the order of the text, which the kernel prints sorted by address
 * and non-overlapping; maps_parse rejects text that breaks this. Safe to call at any time; the
 * text is only consistent if the tracee does not change its map while it is being read
 * (the kernel reads it in chunks under mmap_lock, so a running tracee can give a torn table).
 */
#include "maps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *parse_hex(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = p;
	while (p < end) {
		int c = (unsigned char)*p, d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v >> 60)
			return NULL; /* overflow */
		v = v << 4 | (uint64_t)d;
		p++;
	}
	if (p == start)
		return NULL;
	*out = v;
	return p;
}

static const char *parse_dec(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *start = p;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if (p == start)
		return NULL;
	*out = v;
	return p;
}

static const char *expect(const char *p, const char *end, char c)
{
	return p && p < end && *p == c ? p + 1 : NULL;
}

/* Parses one line [p, end) (no newline) into e, copying the path to *strp. Returns 0 or -1. */
static int parse_line(const char *p, const char *end, struct map_entry *e, char **strp)
{
	uint64_t major, minor;
	memset(e, 0, sizeof(*e));
	p = parse_hex(p, end, &e->start);
	p = expect(p, end, '-');
	if (p)
		p = parse_hex(p, end, &e->end);
	p = expect(p, end, ' ');
	if (!p || end - p < 5)
		return -1;
	if ((p[0] != 'r' && p[0] != '-') || (p[1] != 'w' && p[1] != '-') || (p[2] != 'x' && p[2] != '-') ||
	    (p[3] != 'p' && p[3] != 's'))
		return -1;
	e->prot = (p[0] == 'r' ? MAP_R : 0) | (p[1] == 'w' ? MAP_W : 0) | (p[2] == 'x' ? MAP_X : 0);
	e->shared = p[3] == 's';
	p = expect(p + 4, end, ' ');
	if (p)
		p = parse_hex(p, end, &e->offset);
	p = expect(p, end, ' ');
	if (p)
		p = parse_hex(p, end, &major);
	p = expect(p, end, ':');
	if (p)
		p = parse_hex(p, end, &minor);
	p = expect(p, end, ' ');
	if (p)
		p = parse_dec(p, end, &e->inode);
	if (!p || (p < end && *p != ' '))
		return -1;
	if (e->start >= e->end || (e->start & 4095) || (e->end & 4095) || major > UINT32_MAX || minor > UINT32_MAX)
		return -1;
	e->dev_major = (uint32_t)major;
	e->dev_minor = (uint32_t)minor;
	while (p < end && *p == ' ')
		p++;
	size_t plen = (size_t)(end - p);
	char *dst = *strp;
	memcpy(dst, p, plen);
	dst[plen] = '\0';
	e->path = dst;
	*strp = dst + plen + 1;
	static const char del[] = " (deleted)";
	e->deleted = plen >= sizeof(del) - 1 && memcmp(dst + plen - (sizeof(del) - 1), del, sizeof(del) - 1) == 0;
	return 0;
}

int maps_parse(const char *text, size_t len, struct map_table *out)
{
	memset(out, 0, sizeof(*out));
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (len && text[len - 1] != '\n')
		lines++;
	/* entries, then every path (at most len bytes in all, plus one NUL per line) */
	size_t arr = lines * sizeof(struct map_entry);
	char *block = malloc(arr + len + lines + 1);
	char *copy = malloc(len + 1);
	if (!block || !copy) {
		free(block);
		free(copy);
		errno = ENOMEM;
		return -1;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	struct map_entry *v = (struct map_entry *)(void *)block;
	char *str = block + arr;
	size_t n = 0;
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p) { /* tolerate an empty line (a trailing one) */
			if (parse_line(p, le, &v[n], &str) != 0 || (n && v[n].start < v[n - 1].end))
				goto bad;
			n++;
		}
		p = le + (nl ? 1 : 0);
	}
	out->v = v;
	out->n = n;
	out->text = copy;
	out->text_len = len;
	return 0;
bad:
	free(block);
	free(copy);
	errno = EINVAL;
	return -1;
}

int maps_read(pid_t pid, struct map_table *out)
{
	char path[64];
	size_t cap = 16384, len = 0;
	char *buf = NULL;
	int fd = -1, saved;
	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err;
	buf = malloc(cap);
	if (!buf)
		goto err;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				goto err;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto err;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	fd = -1;
	if (maps_parse(buf, len, out) != 0)
		goto err;
	free(buf);
	return 0;
err:
	saved = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = saved;
	return -1;
}

void maps_free(struct map_table *t)
{
	if (!t)
		return;
	if (!t->borrowed) {
		free(t->v);
		free(t->text);
	}
	memset(t, 0, sizeof(*t));
}

bool maps_equal(const struct map_table *a, const struct map_table *b)
{
	return a->text_len == b->text_len && (a->text_len == 0 || memcmp(a->text, b->text, a->text_len) == 0);
}

bool maps_is_unreadable_special(const struct map_entry *e)
{
	return strcmp(e->path, "[vvar]") == 0 || strcmp(e->path, "[vvar_vclock]") == 0 ||
	       strcmp(e->path, "[vsyscall]") == 0;
}

bool maps_is_anonymous(const struct map_entry *e)
{
	if (e->inode != 0)
		return false;
	const char *p = e->path;
	return p[0] == '\0' || strcmp(p, "[heap]") == 0 || strncmp(p, "[stack", 6) == 0 ||
	       strncmp(p, "[anon:", 6) == 0;
}

long maps_find(const struct map_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && t->v[lo].start <= addr ? (long)lo : -1;
}
