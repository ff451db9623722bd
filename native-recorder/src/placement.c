/*
 * placement.c - pinning the recorder and a launched single-threaded program to one CPU, and
 * the recorder's real-time priority (see placement.h for why and the side effects).
 */
#include "placement.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void placement_pin(struct placement *p)
{
	memset(p, 0, sizeof *p);
	if (sched_getaffinity(0, sizeof p->original, &p->original) != 0 || CPU_COUNT(&p->original) < 2)
		return;
	int cpu = sched_getcpu();
	if (cpu < 0 || !CPU_ISSET(cpu, &p->original))
		return;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	p->pinned = sched_setaffinity(0, sizeof one, &one) == 0;
	p->cpu = cpu;
	LOG_DEBUG("pinned to CPU %d: %s", cpu, p->pinned ? "yes" : strerror(errno));
}

bool placement_realtime(struct placement *p)
{
	struct sched_param sp = { .sched_priority = 1 };
	p->realtime = sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0;
	LOG_DEBUG("SCHED_FIFO: %s", p->realtime ? "yes" : strerror(errno));
	return p->realtime;
}

void placement_unpin_task(const struct placement *p, pid_t tid)
{
	if (sched_setaffinity(tid, sizeof p->original, &p->original) != 0 && errno != ESRCH)
		LOG_DEBUG("cannot unpin task %d: %s", (int)tid, strerror(errno));
}

/* Calls f for every thread of process pid (from /proc/PID/task). */
static void each_thread(pid_t pid, void (*f)(struct placement *p, pid_t tid), struct placement *p)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			f(p, (pid_t)atoi(e->d_name));
	closedir(d);
}

static void move_one(struct placement *p, pid_t tid)
{
	cpu_set_t set, fewer;
	if (sched_getaffinity(tid, sizeof set, &set) != 0)
		return;
	fewer = set;
	CPU_CLR(p->cpu, &fewer);
	if (CPU_COUNT(&fewer) == 0 || CPU_EQUAL(&fewer, &set))
		return;
	struct moved_thread *v = realloc(p->moved, (p->nmoved + 1) * sizeof *v);
	if (!v)
		return;
	p->moved = v;
	if (sched_setaffinity(tid, sizeof fewer, &fewer) != 0) {
		LOG_DEBUG("cannot move thread %d off CPU %d: %s", (int)tid, p->cpu, strerror(errno));
		return;
	}
	v[p->nmoved++] = (struct moved_thread){ .tid = tid, .set = set };
}

void placement_move_off(struct placement *p, pid_t pid)
{
	if (!p->pinned || pid <= 0 || p->moved_pid)
		return;
	p->moved_pid = pid;
	each_thread(pid, move_one, p);
	LOG_DEBUG("moved %zu threads of process %d off CPU %d", p->nmoved, (int)pid, p->cpu);
}

static void restore_one(struct placement *p, pid_t tid)
{
	/* A thread moved: its own set back. One started since (it inherited a reduced set): the
	 * set the main thread had, if it was moved (else it was never reduced). */
	const cpu_set_t *set = NULL;
	for (size_t i = 0; i < p->nmoved && !set; i++)
		if (p->moved[i].tid == tid)
			set = &p->moved[i].set;
	for (size_t i = 0; i < p->nmoved && !set; i++)
		if (p->moved[i].tid == p->moved_pid)
			set = &p->moved[i].set;
	if (set && sched_setaffinity(tid, sizeof *set, set) != 0 && errno != ESRCH)
		LOG_DEBUG("cannot give thread %d its CPUs back: %s", (int)tid, strerror(errno));
}

void placement_restore_moved(struct placement *p)
{
	if (!p->moved_pid)
		return;
	each_thread(p->moved_pid, restore_one, p);
	free(p->moved);
	p->moved = NULL;
	p->nmoved = 0;
	p->moved_pid = 0;
}
