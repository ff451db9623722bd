/*
 * On a terminal, the program is in the terminal's foreground process group and does not lead
 * the terminal's session (its parent, a shell, does). Without a controlling terminal (run from
 * a script) there is nothing to check.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

int main(void)
{
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty >= 0) {
		pid_t fg = tcgetpgrp(tty);
		if (fg != getpgrp()) {
			printf("FAIL: the terminal's foreground group is %d, ours %d\n", fg, getpgrp());
			return 1;
		}
		if (tcgetsid(tty) == getpid()) {
			printf("FAIL: we lead the terminal's session\n");
			return 1;
		}
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
