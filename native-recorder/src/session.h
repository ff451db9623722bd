/*
 * session.h - one recording: the program under ptrace, its triggers, the stream and the
 * control channel, from the first stop to the end. main.c parses options and calls
 * session_run; everything else happens here.
 */
#ifndef DL_SESSION_H
#define DL_SESSION_H

#include "options.h"

/* Recorder exit statuses. */
enum recorder_exit {
	EXIT_OK = 0,
	EXIT_USAGE = 2,
	EXIT_CANNOT_RUN = 3,
	EXIT_NOT_PERMITTED = 4,
	EXIT_INTERNAL = 5,
	EXIT_LOST_CONNECTION = 6,
};

/*
 * Records the program (or attached process) described by opt, streaming to out_fd (a
 * connected socket when is_socket, else a file). sigfd is a signalfd for SIGCHLD, SIGINT,
 * SIGTERM and SIGHUP, all of which the caller blocked. Returns the recorder's exit status.
 */
int session_run(const struct options *opt, int out_fd, bool is_socket, int sigfd);

#endif
