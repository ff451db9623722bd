/*
 * checkpoint.c - one checkpoint, from the stopped process to the wire (see checkpoint.h).
 *
 * Owns the state carried between checkpoints: the sequence number, the last map text sent,
 * and the reusable page and register buffers (4 MiB for one PAGES batch, allocated once).
 * Order of work: timestamp, maps (read and compared), the dirty set, then the stream; the
 * maps and dirty set are gathered before BEGIN is written so the usual failures (the process
 * vanished) leave nothing half-sent.
 */
#include "checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "memory.h"
#include "profile.h"

int checkpointer_init(struct checkpointer *c, pid_t pid, struct wire *wire)
{
	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->wire = wire;
	c->buf = malloc((size_t)WIRE_MAX_PAGES_PER_MSG * WIRE_PAGE_SIZE);
	return c->buf ? 0 : -1;
}

void checkpointer_forget_maps(struct checkpointer *c)
{
	if (c->have_maps)
		maps_free(&c->last_maps);
	c->have_maps = false;
}

void checkpointer_free(struct checkpointer *c)
{
	checkpointer_forget_maps(c);
	page_set_free(&c->pages);
	regs_free(&c->regs);
	free(c->buf);
	c->buf = NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool process_gone_errno(int e)
{
	return e == ESRCH || e == ENOENT;
}

int checkpoint_take(struct checkpointer *c, const struct trigger *trig, struct dirty_tracker *dirty,
		    struct tracer *tr, const struct breakpoints *bps, enum checkpoint_failure *why, char *err,
		    size_t errlen)
{
	uint64_t t0 = now_ns(), tp = profile_now();
	struct map_table maps;
	bool have_new_maps = false;
	uint32_t npages = 0, nthreads = 0;
	const char *op = NULL;

	if (c->have_maps && dirty_maps_unchanged(dirty, &c->last_maps)) {
		maps = c->last_maps; /* nothing can have changed it: skip re-reading /proc/PID/maps */
		maps.borrowed = true;
	} else if (maps_read(c->pid, &maps) < 0) {
		op = "read the memory map";
		goto err;
	}
	have_new_maps = true;
	tp = profile_add(PROF_MAPS, tp);
	page_set_clear(&c->pages);
	char derr[256] = "";
	if (dirty_collect(dirty, &maps, &c->pages, derr, sizeof derr) < 0) {
		int e = errno;
		snprintf(err, errlen, "dirty page tracking failed: %s", derr[0] ? derr : strerror(e));
		errno = e;
		*why = process_gone_errno(e) ? CHECKPOINT_GONE : CHECKPOINT_INTERNAL;
		goto out_err;
	}
	tp = profile_add(PROF_COLLECT, tp);

	if (wire_checkpoint_begin(c->wire, c->seq, t0, trig->kind, (uint32_t)trig->tid, trig->detail, trig->args) < 0)
		goto wire_err;
	if (c->output_len) {
		if (wire_output(c->wire, c->output, c->output_len) < 0)
			goto wire_err;
		c->output_len = 0;
	}
	bool maps_changed = !c->have_maps || !maps_equal(&c->last_maps, &maps);
	if (maps_changed && wire_maps(c->wire, maps.text, maps.text_len) < 0)
		goto wire_err;
	if (c->pages.nzero > 0 &&
	    wire_zero_ranges(c->wire, (const uint64_t(*)[2])c->pages.zero, (uint32_t)c->pages.nzero) < 0)
		goto wire_err;

	for (size_t i = 0; i < c->pages.n; i += WIRE_MAX_PAGES_PER_MSG) {
		size_t n = c->pages.n - i < WIRE_MAX_PAGES_PER_MSG ? c->pages.n - i : WIRE_MAX_PAGES_PER_MSG;
		size_t unreadable = 0;
		if (memory_read_pages(c->pid, c->pages.addr + i, n, c->buf, &unreadable) < 0) {
			op = "read memory";
			goto err;
		}
		c->unreadable_pages += unreadable;
		bp_patch_pages(bps, c->pages.addr + i, n, c->buf);
		if (wire_pages(c->wire, c->pages.addr + i, (uint32_t)n, c->buf) < 0)
			goto wire_err;
		npages += (uint32_t)n;
	}
	tp = profile_add(PROF_PAGES, tp);

	for (size_t i = 0; i < tr->n; i++) {
		const struct task *t = &tr->v[i];
		if (t->foreign || t->run != TASK_STOPPED)
			continue;
		if (regs_read(t->tid, &c->regs) < 0) {
			if (errno == ESRCH)
				continue; /* vanished (killed): left out */
			op = "read registers";
			goto err;
		}
		if (wire_regs(c->wire, (uint32_t)t->tid, &c->regs.gp, sizeof c->regs.gp, c->regs.fp,
			      (uint32_t)c->regs.fp_size) < 0)
			goto wire_err;
		nthreads++;
	}
	if (nthreads == 0) {
		errno = ESRCH;
		op = "read registers";
		goto err;
	}
	tp = profile_add(PROF_REGS, tp);

	if (wire_checkpoint_end(c->wire, c->seq, npages, nthreads) < 0 || wire_flush(c->wire) < 0)
		goto wire_err;
	profile_add(PROF_FLUSH, tp);

	if (maps_changed) {
		checkpointer_forget_maps(c);
		c->last_maps = maps;
		c->have_maps = true;
	} else {
		maps_free(&maps);
	}
	c->pages_sent += npages;
	LOG_DEBUG("checkpoint %llu trigger %d: %u pages, %u threads, %llu us", (unsigned long long)c->seq,
		  (int)trig->kind, npages, nthreads, (unsigned long long)((now_ns() - t0) / 1000));
	c->seq++;
	return 0;

wire_err:
	*why = CHECKPOINT_WIRE;
	snprintf(err, errlen, "cannot send the checkpoint: %s", strerror(errno));
	goto out_err;
err:;
	int e = errno;
	*why = process_gone_errno(e) ? CHECKPOINT_GONE : CHECKPOINT_INTERNAL;
	snprintf(err, errlen, "cannot %s of process %d: %s", op, c->pid, strerror(e));
	errno = e;
out_err:;
	int saved = errno;
	if (have_new_maps)
		maps_free(&maps);
	errno = saved;
	return -1;
}
