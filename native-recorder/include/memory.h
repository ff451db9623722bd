/*
 * memory.h - reading the stopped tracee's pages, batched.
 * Do not call while the tracee runs: the bytes would be torn.
 */
#ifndef DL_MEMORY_H
#define DL_MEMORY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads n pages (4096 bytes each, addresses page aligned) into out (n * 4096 bytes) with
 * batched process_vm_readv, falling back to /proc/PID/mem for pages it refuses.
 * A page that cannot be read at all is filled with zeros and counted in *unreadable.
 * Returns 0, or -1 with errno when the process is gone (ESRCH).
 */
int memory_read_pages(pid_t pid, const uint64_t *addr, size_t n, uint8_t *out, size_t *unreadable);

#endif
