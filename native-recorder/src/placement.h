/*
 * placement.h - where the recorder and a launched program run, and how the recorder is
 * scheduled, to make each stop/resume of the program cheap.
 *
 * A checkpoint is a ping-pong between the recorder and the stopped program: interrupt, wait,
 * read, resume. When both sit on one CPU those wake-ups stay local (a stop is several times
 * cheaper than across two CPUs), and a SCHED_FIFO recorder runs the moment the program
 * stops instead of queueing behind it. So, for a launched program:
 *   - the recorder pins itself to the CPU it is on before the fork (the program inherits it),
 *     while the program is single-threaded: at its first second thread or child process,
 *     every task of it gets the CPU set the recorder started with back (a multi-threaded
 *     program needs its CPUs);
 *   - the recorder asks for SCHED_FIFO (priority 1) with SCHED_RESET_ON_FORK, so the program
 *     stays SCHED_OTHER; refused (no CAP_SYS_NICE) it silently stays as it was.
 *   - with --move-off PID (DeLorean passes its own pid), every thread of that process gets its
 *     CPU set minus the program's CPU while the program is pinned: the ingest worker, the main
 *     thread and libuv's threads (~300 us of CPU per checkpoint of a small working set) would
 *     otherwise be scheduled on the program's CPU and take it from the program. Their sets are
 *     given back when the program is unpinned and when the recording ends (threads started
 *     meanwhile inherited the reduced set: they get the set the process's main thread had).
 *     If the recorder is killed with SIGKILL, they keep the reduced set.
 * Side effect, stated in the usage: until then the program sees one CPU in its affinity mask
 * (sched_getaffinity, nproc); --no-pin keeps it unchanged. Nothing is pinned with --attach.
 */
#ifndef DL_PLACEMENT_H
#define DL_PLACEMENT_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>

struct moved_thread {
	pid_t tid;
	cpu_set_t set; /* before it was moved */
};

struct placement {
	cpu_set_t original; /* the recorder's CPU set at start */
	bool pinned;        /* the recorder (and so a program forked since) is on one CPU */
	bool released;      /* the program's tasks got `original` back */
	bool realtime;      /* the recorder runs SCHED_FIFO */
	int cpu;            /* pinned: the CPU */
	pid_t moved_pid;    /* --move-off: the process whose threads were moved, 0 when none are */
	struct moved_thread *moved;
	size_t nmoved;
};

/* Pins the recorder to its current CPU (if it may run on more than one). Before the fork. */
void placement_pin(struct placement *p);
/* SCHED_FIFO | SCHED_RESET_ON_FORK for the recorder; false (and no change) when refused. */
bool placement_realtime(struct placement *p);
/* Gives a task of the program the CPU set the recorder started with (the caller sets `released`). */
void placement_unpin_task(const struct placement *p, pid_t tid);
/* Pinned: every thread of process pid off the pinned CPU (threads allowed on it alone stay). */
void placement_move_off(struct placement *p, pid_t pid);
/* Gives the moved threads their CPU sets back (once; also frees the list). */
void placement_restore_moved(struct placement *p);

#endif
