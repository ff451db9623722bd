/*
 * maps.h - the tracee's memory map, parsed from /proc/PID/maps.
 *
 * A map_table is a snapshot; the raw text is kept too, because the recorder sends it as is
 * (WIRE_MAPS) and compares it to the previous one to know whether the map changed.
 */
#ifndef DL_MAPS_H
#define DL_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum map_prot { MAP_R = 1, MAP_W = 2, MAP_X = 4 };

struct map_entry {
	uint64_t start, end; /* [start, end), page aligned */
	uint64_t offset;
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	uint32_t prot;       /* enum map_prot bits */
	bool shared;         /* 's' in the flags column */
	char *path;          /* "" for anonymous; "[heap]", "[stack]", "[vdso]", ... as printed,
			      * including a " (deleted)" suffix; spaces inside are kept */
	bool deleted;        /* path ends in " (deleted)": the file was unlinked */
};

struct map_table {
	struct map_entry *v;
	size_t n;
	char *text; /* the raw text, NUL terminated */
	size_t text_len;
	bool borrowed; /* a shallow copy of a table someone else owns: maps_free only clears it */
};

/* Parses text (not NUL terminated needed; len bytes). Returns 0, or -1 with errno EINVAL on a malformed line. */
int maps_parse(const char *text, size_t len, struct map_table *out);
/* Reads and parses /proc/PID/maps. Returns 0 or -1 with errno. */
int maps_read(pid_t pid, struct map_table *out);
void maps_free(struct map_table *t);
/* True when both tables have identical text. */
bool maps_equal(const struct map_table *a, const struct map_table *b);
/* Special mappings that can never be read or registered: [vvar], [vvar_vclock], [vsyscall]. */
bool maps_is_unreadable_special(const struct map_entry *e);
/*
 * Anonymous memory: inode 0 and no path, "[heap]", "[stack...]" or "[anon:name]". Its pages that
 * were never populated read as zero. Not [vdso] or other kernel specials (their pages are not zero).
 */
bool maps_is_anonymous(const struct map_entry *e);
/* Index of the entry containing addr, or -1. The table is sorted by address. */
long maps_find(const struct map_table *t, uint64_t addr);

#endif
