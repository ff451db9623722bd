/*
 * main.c - delorean-recorder's entry: options, the output stream, signals; then one session.
 *
 * The recorder blocks SIGCHLD, SIGINT, SIGTERM, SIGHUP and SIGWINCH and reads them from a signalfd in
 * its event loop (session.c); SIGPIPE is ignored so a vanished main process shows up as
 * EPIPE on a write. Exit statuses are listed in session.h and in the usage text.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "profile.h"
#include "session.h"

#define SEND_BUFFER (16 << 20)

static int open_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/*
	 * A big send buffer: a whole checkpoint (1 MiB at 256 dirty pages) fits, so the program
	 * resumes while DeLorean stores it, instead of staying stopped until the consumer has read
	 * most of it (the default ~200 KiB serialised recorder and consumer). Still backpressure:
	 * a full buffer blocks. Past net.core.wmem_max only with CAP_NET_ADMIN; otherwise the
	 * kernel's cap applies, silently.
	 */
	int sndbuf = SEND_BUFFER;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	dl_log_init();
	profile_init();
	struct options o;
	char err[512];
	if (options_parse(argc, argv, &o, err, sizeof err) < 0) {
		fprintf(stderr, "delorean-recorder: %s (see --help)\n", err);
		options_free(&o);
		return EXIT_USAGE;
	}
	if (o.help) {
		options_usage(stdout);
		options_free(&o);
		return EXIT_OK;
	}

	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGWINCH); /* our terminal's size: copied to the program's (terminal.h) */
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		fprintf(stderr, "delorean-recorder: signalfd: %s\n", strerror(errno));
		options_free(&o);
		return EXIT_INTERNAL;
	}

	int fd, rc;
	if (o.socket_path) {
		fd = open_socket(o.socket_path);
		if (fd < 0) {
			fprintf(stderr, "delorean-recorder: cannot connect to %s: %s\n", o.socket_path, strerror(errno));
			rc = EXIT_LOST_CONNECTION;
			goto out;
		}
	} else {
		fd = open(o.wire_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "delorean-recorder: cannot write %s: %s\n", o.wire_file, strerror(errno));
			rc = EXIT_USAGE;
			goto out;
		}
	}
	rc = session_run(&o, fd, o.socket_path != NULL, sigfd);
out:
	profile_report();
	close(sigfd);
	options_free(&o);
	return rc;
}
