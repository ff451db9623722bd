/* A program is not a session leader, so setsid() gives it a session of its own, without a terminal. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	if (getsid(0) == getpid()) {
		printf("FAIL: already a session leader (sid %d)\n", getsid(0));
		return 1;
	}
	if (setsid() < 0) {
		printf("FAIL: setsid: %s\n", strerror(errno));
		return 1;
	}
	if (getsid(0) != getpid() || getpgrp() != getpid()) {
		printf("FAIL: after setsid the session is %d and the group %d, not %d\n", getsid(0), getpgrp(), getpid());
		return 1;
	}
	if (open("/dev/tty", O_RDWR | O_NOCTTY) >= 0) {
		printf("FAIL: a new session still has a controlling terminal\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
