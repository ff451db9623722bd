/*
 * Descriptors 0, 1 and 2 are open and nothing of a recorder's is: above 2 only what the caller
 * passed on (a pipe or a file), never a terminal, a socket or an anonymous inode (signalfd,
 * timerfd, userfaultfd, pidfd), which only the recorder would hold.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0) {
			printf("FAIL: fd %d is not open\n", fd);
			return 1;
		}
	}
	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		printf("FAIL: cannot list /proc/self/fd\n");
		return 1;
	}
	int bad = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		char path[64], target[256];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n > 0 ? n : 0] = '\0';
		struct stat st;
		if (fstat(fd, &st) == 0 && (isatty(fd) || S_ISSOCK(st.st_mode) || strncmp(target, "anon_inode:", 11) == 0)) {
			printf("FAIL: fd %d is %s\n", fd, target);
			bad = 1;
		}
	}
	closedir(d);
	if (bad)
		return 1;
	printf("EXIT-SUCCESS\n");
	return 0;
}
