/*
 * profile.h - where a checkpoint's time goes, behind DELOREAN_LOG=profile.
 *
 * Each phase keeps its samples (ns); at exit one line per phase on stderr: count, median,
 * p90, p99, mean in microseconds. Off (one branch per mark) unless asked for.
 */
#ifndef DL_PROFILE_H
#define DL_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

enum profile_phase {
	PROF_LATE,      /* interval timer expiry -> its checkpoint starts (time the program ran past it) */
	PROF_STOP,      /* PTRACE_INTERRUPT of every thread until all are stopped */
	PROF_DRAIN,     /* the terminal drained */
	PROF_MAPS,      /* map check or re-read of /proc/PID/maps */
	PROF_COLLECT,   /* dirty_collect (the scan included) */
	PROF_SCAN,      /* the backend's scan alone (PAGEMAP_SCAN) */
	PROF_PAGES,     /* page copies to the wire */
	PROF_REGS,      /* registers of every thread to the wire */
	PROF_FLUSH,     /* END and the flush of the stream */
	PROF_RESUME,    /* every thread resumed */
	PROF_STOPPED,   /* the program stopped: from the first interrupt to the last resume */
	PROF_NPHASES
};

extern bool dl_profile_on;
void profile_init(void);
uint64_t profile_clock(void);
/* The clock when profiling, else 0 (no system call). */
static inline uint64_t profile_now(void)
{
	return dl_profile_on ? profile_clock() : 0;
}
/* Adds now - since to the phase (no-op when off); returns now, for chaining phases. */
uint64_t profile_add(enum profile_phase p, uint64_t since);
void profile_add_ns(enum profile_phase p, uint64_t ns);
void profile_report(void);

#endif
