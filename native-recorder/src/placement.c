/*
 * placement.c - pinning the recorder and a launched single-threaded program to one CPU, and
 * the recorder's real-time priority (see placement.h for why and the side effects).
 */
#include "placement.h"

#include <errno.h>
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
