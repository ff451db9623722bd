/*
 * The program signals its parent, which must take it the way a shell's job control takes it:
 * stopped and continued (SIGSTOP, SIGCONT) it carries on, and the program runs on, its output
 * intact. Further signal names as arguments (USR1 TERM HUP INT) are sent too, for a parent
 * known to take them without harm (a plain run's parent may not).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct { const char *name; int sig; } names[] = {
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
};

int main(int argc, char **argv)
{
	pid_t parent = getppid();
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int round = 0; round < 3; round++) {
		if (kill(parent, SIGSTOP) < 0 || kill(parent, SIGCONT) < 0) {
			printf("FAIL: cannot signal the parent\n");
			return 1;
		}
		printf("stopped and continued the parent (%d)\n", round);
	}
	for (int i = 1; i < argc; i++) {
		int sig = 0;
		for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strcmp(argv[i], names[k].name) == 0)
				sig = names[k].sig;
		if (!sig || kill(parent, sig) < 0) {
			printf("FAIL: cannot send SIG%s to the parent\n", argv[i]);
			return 1;
		}
		usleep(100 * 1000);
		printf("sent SIG%s to the parent\n", argv[i]);
	}
	usleep(100 * 1000);
	if (getppid() != parent) {
		printf("FAIL: the parent %d is gone (now %d)\n", parent, getppid());
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
