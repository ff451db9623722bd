/*
 * wire.h - the recorder's side of the wire protocol (see shared/protocol/wire.ts for the
 * byte-layout diagram; this file and that one are the two definitions, kept equal by the
 * golden test tests/unit/wire_golden.c against shared/protocol/golden.bin).
 *
 * Every message: 12-byte little-endian header {u32 magic "DLRW", u16 type, u16 flags=0,
 * u32 body length}, then the body. A checkpoint is CHECKPOINT_BEGIN, any of OUTPUT / MAPS /
 * ZERO_RANGES / PAGES / REGS, then CHECKPOINT_END with the same seq. OUTPUT inside a
 * checkpoint: the program's terminal bytes written before that stop; outside (only at the end,
 * before EXIT): written after the last checkpoint.
 *
 * Writes block: when the main process is slow the recorder waits with the tracee stopped
 * (backpressure; slower, never lossy). Bump WIRE_VERSION with any layout change.
 */
#ifndef DL_WIRE_H
#define DL_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WIRE_MAGIC 0x57524c44u /* "DLRW" */
#define WIRE_VERSION 2u
#define WIRE_HEADER_SIZE 12u
#define WIRE_MAX_BODY (64u * 1024u * 1024u)
#define WIRE_PAGE_SIZE 4096u
#define WIRE_MAX_PAGES_PER_MSG 1024u

enum wire_type {
	/* recorder -> main */
	WIRE_HELLO = 1,            /* u32 version, u32 page_size, i32 pid, u32 backend, u32 flags, u32 argc, str exe, str cwd, str argv[argc] */
	WIRE_MAPS = 2,             /* text of /proc/PID/maps, whole */
	WIRE_CHECKPOINT_BEGIN = 3, /* u64 seq, u64 time_ns, u32 trigger, u32 tid, u64 detail, u64 args[6] */
	WIRE_PAGES = 4,            /* u32 count, u32 0, u64 addr[count], u8 data[count][4096] */
	WIRE_REGS = 5,             /* u32 tid, u32 gp_size, u32 fp_size, u32 0, gp bytes, fp bytes */
	WIRE_CHECKPOINT_END = 6,   /* u64 seq, u32 page_count, u32 thread_count */
	WIRE_EXIT = 7,             /* u32 kind, i32 code or signal */
	WIRE_ERROR = 8,            /* u32 errno, u32 fatal, str message */
	WIRE_EXEC = 9,             /* str new executable path */
	WIRE_ZERO_RANGES = 10,     /* u32 count, u32 0, {u64 start, u64 end}[count] */
	WIRE_OUTPUT = 11,          /* raw bytes the program wrote to its terminal (our pty) */
	/* main -> recorder */
	WIRE_REQUEST_CHECKPOINT = 32,
	WIRE_PAUSE = 33,
	WIRE_RESUME = 34,
	WIRE_STOP = 35, /* u32 action: 0 detach, 1 kill */
};

enum wire_backend { WIRE_BACKEND_UFFD_WP = 0, WIRE_BACKEND_SOFT_DIRTY = 1, WIRE_BACKEND_HASH = 2 };
enum wire_hello_flags { WIRE_HELLO_ATTACHED = 1 };
enum wire_trigger {
	WIRE_TRIGGER_START = 0,
	WIRE_TRIGGER_SYSCALL = 1,    /* detail = syscall number, args = its six arguments */
	WIRE_TRIGGER_INTERVAL = 2,
	WIRE_TRIGGER_BREAKPOINT = 3, /* detail = breakpoint address */
	WIRE_TRIGGER_REQUEST = 4,
	WIRE_TRIGGER_EXIT = 5,       /* detail = exit code */
	WIRE_TRIGGER_SIGNAL = 6,     /* detail = fatal signal */
	WIRE_TRIGGER_EXEC = 7,
};
enum wire_exit_kind { WIRE_EXIT_EXITED = 0, WIRE_EXIT_SIGNALED = 1, WIRE_EXIT_DETACHED = 2 };

/*
 * A buffered writer on a blocking fd. Functions return 0, or -1 with errno set (EPIPE when
 * the main process went away). wire_flush() after every CHECKPOINT_END and EXIT.
 */
struct wire {
	int fd;
	uint8_t *buf;
	size_t len, cap;
};

int wire_init(struct wire *w, int fd);
void wire_free(struct wire *w);
int wire_flush(struct wire *w);

int wire_hello(struct wire *w, pid_t pid, enum wire_backend backend, uint32_t flags, const char *exe,
	       const char *cwd, int argc, char *const argv[]);
int wire_maps(struct wire *w, const char *text, size_t len);
int wire_checkpoint_begin(struct wire *w, uint64_t seq, uint64_t time_ns, enum wire_trigger trigger,
			  uint32_t tid, uint64_t detail, const uint64_t args[6]);
/* count <= WIRE_MAX_PAGES_PER_MSG; data holds count * 4096 bytes in addr order. */
int wire_pages(struct wire *w, const uint64_t *addr, uint32_t count, const uint8_t *data);
int wire_regs(struct wire *w, uint32_t tid, const void *gp, uint32_t gp_size, const void *fp, uint32_t fp_size);
int wire_checkpoint_end(struct wire *w, uint64_t seq, uint32_t page_count, uint32_t thread_count);
int wire_exit(struct wire *w, enum wire_exit_kind kind, int32_t code);
int wire_error(struct wire *w, int err, int fatal, const char *message);
int wire_exec(struct wire *w, const char *exe);
int wire_zero_ranges(struct wire *w, const uint64_t (*ranges)[2], uint32_t count);
/* len <= WIRE_MAX_BODY. */
int wire_output(struct wire *w, const void *data, size_t len);
/* Control messages (main -> recorder), encoded here for tests and for symmetry. */
int wire_control(struct wire *w, enum wire_type type, uint32_t stop_action);

/*
 * Incremental decoder for control messages read from the socket. Feed bytes; returns the
 * number of complete messages decoded into out (type, stop action). -1 with errno EPROTO
 * on garbage.
 */
struct wire_control_msg {
	enum wire_type type;
	uint32_t stop_action;
};
struct wire_reader {
	uint8_t buf[64];
	size_t len;
};
int wire_read_control(struct wire_reader *r, const uint8_t *data, size_t len, struct wire_control_msg *out,
		      int max_out);

#endif
