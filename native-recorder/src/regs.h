/*
 * regs.h - one thread's registers as the wire sends them: the general-purpose block
 * (struct user_regs_struct, 216 bytes) and the extended state (the XSAVE area from
 * NT_X86_XSTATE, or the 512-byte FXSAVE area from NT_PRFPREG where XSTATE is refused).
 * The thread must be in a ptrace-stop.
 */
#ifndef DL_REGS_H
#define DL_REGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct regs_buf {
	struct user_regs_struct gp;
	uint8_t *fp;      /* extended state, fp_size bytes */
	size_t fp_size;   /* bytes the kernel filled in the last read */
	size_t fp_cap;
	int fp_note;      /* NT_X86_XSTATE, or NT_PRFPREG after XSTATE was refused; 0 = not probed */
};

/* Reads both blocks. Returns 0, or -1 with errno (ESRCH: the thread is gone). */
int regs_read(pid_t tid, struct regs_buf *r);
void regs_free(struct regs_buf *r);

#endif
