/*
 * checkpoint.h - taking one checkpoint of a stopped process and streaming it.
 *
 * A checkpoint on the wire: CHECKPOINT_BEGIN, OUTPUT (the program's terminal bytes, if any),
 * MAPS (when the map text changed since the last one sent), ZERO_RANGES (if any), PAGES
 * batches, one REGS per stopped thread (the leader first), CHECKPOINT_END, then a flush.
 * Sequence numbers start at 0 and grow by 1.
 *
 * Call only with EVERY thread of the process in a ptrace-stop (tracer_stop_all): the maps,
 * the dirty set, the page bytes and the registers must all describe the same instant.
 */
#ifndef DL_CHECKPOINT_H
#define DL_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "breakpoints.h"
#include "dirty.h"
#include "maps.h"
#include "regs.h"
#include "tracer.h"
#include "wire.h"

struct checkpointer {
	pid_t pid;
	struct wire *wire;
	uint64_t seq; /* of the next checkpoint */
	struct map_table last_maps;
	bool have_maps;
	struct page_set pages;
	uint8_t *buf; /* WIRE_MAX_PAGES_PER_MSG pages */
	struct regs_buf regs;
	/* The program's terminal output since the last checkpoint, set by the caller: sent right
	 * after BEGIN, then output_len is 0 (it is on the wire even if the checkpoint fails later). */
	const uint8_t *output;
	size_t output_len;
	/* Totals, for the debug log and measurements. */
	uint64_t pages_sent, unreadable_pages;
};

struct trigger {
	enum wire_trigger kind;
	pid_t tid;
	uint64_t detail;
	uint64_t args[6];
};

/* Why a checkpoint failed. */
enum checkpoint_failure {
	CHECKPOINT_GONE = 1, /* the process died under us (SIGKILL): not an error */
	CHECKPOINT_WIRE,     /* the stream failed (errno: EPIPE...): the main process is gone */
	CHECKPOINT_INTERNAL, /* anything else; err says what */
};

int checkpointer_init(struct checkpointer *c, pid_t pid, struct wire *wire);
void checkpointer_free(struct checkpointer *c);
/* The map text must be sent again at the next checkpoint (after an exec). */
void checkpointer_forget_maps(struct checkpointer *c);

/*
 * Takes checkpoint c->seq. Returns 0 (seq advanced), or -1 with *why and errno set and a
 * reason in err. On failure after BEGIN went out, no END is sent: the consumer drops it.
 */
int checkpoint_take(struct checkpointer *c, const struct trigger *trig, struct dirty_tracker *dirty,
		    struct tracer *tr, const struct breakpoints *bps, enum checkpoint_failure *why, char *err,
		    size_t errlen);

#endif
