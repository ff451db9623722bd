/*
 * dirty.h - which pages did the tracee write since the last checkpoint?
 *
 * Three backends behind one interface, picked at start by dirty_open():
 *   uffd-wp     userfaultfd write-protect (WP_ASYNC) set up from outside the tracee, plus one
 *               PAGEMAP_SCAN ioctl per checkpoint that finds and re-arms written pages (>= 6.7).
 *   soft-dirty  /proc/PID/clear_refs + pagemap bit 55 (most distribution kernels).
 *   hash        read every writable page and compare a hash with the last checkpoint.
 * AUTO tries them in that order; a backend is "working" only if a probe write is seen.
 *
 * Contract of dirty_collect(), called with EVERY thread of the tracee stopped:
 *   - the first call returns every page of every readable mapping (checkpoint 0), except
 *     the never-readable specials (maps_is_unreadable_special) and, for anonymous private
 *     mappings, pages never populated: those are reported as zero ranges instead;
 *   - later calls return the pages written since the previous call, plus every page of a
 *     range first seen now (new mmap, brk growth, mremap target, a new thread's stack, a
 *     range replaced by MAP_FIXED or zapped by madvise - see dirty_note_syscall), plus
 *     every page of MAP_SHARED mappings whose content changed (shared memory is input);
 *   - zero ranges: ranges in which every page NOT in `pages` reads as zero from now on
 *     (used for new anonymous ranges and madvise(DONTNEED) so unpopulated memory costs nothing);
 *   - `pages` is sorted ascending, unique, page aligned, inside readable mappings of `maps`.
 * Ranges a backend cannot track (EINVAL/EPERM/EBUSY from UFFDIO_REGISTER) fall back to
 * hashing for that range alone, silently except for one warning line via dirty_warnings.
 */
#ifndef DL_DIRTY_H
#define DL_DIRTY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

enum dirty_backend { DIRTY_AUTO = -1, DIRTY_UFFD_WP = 0, DIRTY_SOFT_DIRTY = 1, DIRTY_HASH = 2 };

struct page_set {
	uint64_t *addr;
	size_t n, cap;
	uint64_t (*zero)[2]; /* zero ranges [start, end) */
	size_t nzero, capzero;
};
void page_set_clear(struct page_set *s);
void page_set_free(struct page_set *s);

struct dirty_tracker;

/*
 * Opens a tracker for a stopped tracee (tid = any stopped thread, used for syscall
 * injection; it must be in a ptrace-stop at a point where a syscall can be injected).
 * want = DIRTY_AUTO picks the first working backend. On failure of a specific backend:
 * NULL, errno set, and a one-line reason in err. warn receives a human-readable line per
 * fallback or degraded range (may be called several times; may be NULL).
 */
struct dirty_tracker *dirty_open(enum dirty_backend want, pid_t pid, pid_t tid, char *err, size_t errlen,
				 void (*warn)(void *ctx, const char *line), void *warn_ctx);
enum dirty_backend dirty_backend_of(const struct dirty_tracker *t);
const char *dirty_backend_name(enum dirty_backend b);
/* Parses "auto", "uffd-wp", "soft-dirty", "hash". Returns 0 or -1. */
int dirty_backend_parse(const char *name, enum dirty_backend *out);

/*
 * See the contract above. `out` is cleared first (its buffers are reused). A failure of the
 * uffd-wp or soft-dirty backend switches the tracker to hashing for good (one warning) and
 * this collect is then a full snapshot. Returns 0 or -1 with errno (and err text); after a
 * failure the next collect is a full snapshot again.
 */
int dirty_collect(struct dirty_tracker *t, const struct map_table *maps, struct page_set *out, char *err,
		  size_t errlen);

/*
 * Whether the memory map is certainly `last` (a table the caller kept), so the caller may pass
 * it again instead of re-reading /proc/PID/maps (30-50 us). True only when `last` is the table
 * of the last successful collect (same text), no map-changing call (syscall_is_memory: mmap, munmap, mremap, mprotect, madvise, brk,
 * shmat, shmdt...) was noted since, the last collect registered nothing, no MAP_GROWSDOWN
 * mapping was ever made, and [stack] has not grown (no page present in the gap below it: a
 * stack grows by faults, not by syscalls). Call with every thread stopped, before collecting.
 */
bool dirty_maps_unchanged(struct dirty_tracker *t, const struct map_table *last);

/*
 * Tells the tracker about a memory syscall at its ENTRY (mmap with MAP_FIXED, mremap,
 * madvise, munmap, shmdt, ioctl(UFFDIO_REGISTER) of the program's own userfaultfd): the
 * affected range is recaptured whole at the next collect (for UFFDIO_REGISTER the backend
 * also lets go of the range first, so the program's registration succeeds).
 * nr = syscall number, args = its arguments.
 */
void dirty_note_syscall(struct dirty_tracker *t, long nr, const uint64_t args[6]);

/*
 * The pid through which the tracker reaches the tracee's memory (process_vm_readv, /proc):
 * the session passes a live stopped thread before each collect, since a leader that exited
 * first keeps no mm. dirty_open's pid is the process (thread-group) id.
 */
void dirty_set_pid(struct dirty_tracker *t, pid_t pid);

/* Called after exec (new mm): drops all state; the next collect is a full snapshot again. tid as in dirty_open. */
int dirty_reset_after_exec(struct dirty_tracker *t, pid_t tid, char *err, size_t errlen);

void dirty_close(struct dirty_tracker *t);

#endif
