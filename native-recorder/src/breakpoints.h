/*
 * breakpoints.h - int3 breakpoints at functions of the main executable or absolute addresses.
 *
 * A breakpoint is a spec (as given to --break) and, once resolved for the current image,
 * an address. Inserting saves the original byte and pokes 0xCC; the original bytes are
 * patched back into any page sent in a checkpoint, so recorded memory never shows our int3.
 * All calls that touch memory need a thread of the process in a ptrace-stop (tid).
 */
#ifndef DL_BREAKPOINTS_H
#define DL_BREAKPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct breakpoint {
	const char *spec;   /* "SYM" or "0xADDR" */
	bool absolute;      /* spec is an address */
	uint64_t addr;      /* runtime address; 0 = not resolved in this image (dropped) */
	uint8_t orig;       /* the byte under the int3 */
	bool inserted;
};

struct breakpoints {
	struct breakpoint *v;
	size_t n;
};

typedef void (*bp_warn_fn)(void *ctx, const char *line);

/* Parses the specs. Returns 0, or -1 with a one-line reason in err (a malformed address). */
int bp_init(struct breakpoints *b, const char **specs, size_t n, char *err, size_t errlen);
void bp_free(struct breakpoints *b);
/* Before running: every symbolic spec must be a function of exe. Returns 0 or -1 (reason in err). */
int bp_check_symbols(const struct breakpoints *b, const char *exe, char *err, size_t errlen);
/*
 * Computes addresses for the process's current image: symbols relocated by the load bias
 * (AT_ENTRY from /proc/PID/auxv minus the ELF entry), absolute specs as given (only on the
 * first image: after an exec they are dropped). Unresolvable ones are dropped with a warning.
 */
void bp_resolve(struct breakpoints *b, pid_t pid, const char *exe, bool after_exec, bp_warn_fn warn, void *ctx);
/* Inserts every resolved breakpoint; failures are dropped with a warning. */
void bp_insert_all(struct breakpoints *b, pid_t tid, bp_warn_fn warn, void *ctx);
/* Restores the original bytes (before detaching). Returns 0 or -1 with errno. */
int bp_remove_all(struct breakpoints *b, pid_t tid);
/* Restores the original bytes in a forked copy of the memory (tid: a stopped task of another
 * process), leaving ours inserted. Returns 0 or -1 with errno. */
int bp_clean_copy(const struct breakpoints *b, pid_t tid);
/* The image is gone (exec): nothing is inserted any more. */
void bp_forget_all(struct breakpoints *b);
/* The inserted breakpoint at addr, or NULL. */
struct breakpoint *bp_at(struct breakpoints *b, uint64_t addr);
/* Takes the int3 out / puts it back (stepping over a hit). Return 0 or -1 with errno. */
int bp_disarm(struct breakpoint *bp, pid_t tid);
int bp_arm(struct breakpoint *bp, pid_t tid);
/* Patches the original bytes into pages about to be sent (addr sorted ascending, 4096-byte pages). */
void bp_patch_pages(const struct breakpoints *b, const uint64_t *addr, size_t n, uint8_t *data);

#endif
