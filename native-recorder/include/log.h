/*
 * log.h - the recorder's diagnostics on stderr.
 * DELOREAN_LOG=debug turns on debug lines. Fatal user errors are one clean line.
 */
#ifndef DL_LOG_H
#define DL_LOG_H

#include <stdio.h>
#include <stdlib.h>

extern int dl_log_debug;
void dl_log_init(void);

#define LOG_DEBUG(...)                                                          \
	do {                                                                    \
		if (dl_log_debug) {                                             \
			fprintf(stderr, "delorean-recorder: debug %s: ", __FILE__); \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
		}                                                               \
	} while (0)
#define LOG_WARN(...)                                            \
	do {                                                     \
		fprintf(stderr, "delorean-recorder: warning: "); \
		fprintf(stderr, __VA_ARGS__);                    \
		fputc('\n', stderr);                             \
	} while (0)
/* Assertions stay on in release builds and say where they fired. */
#define DL_ASSERT(cond)                                                                                     \
	do {                                                                                                \
		if (!(cond)) {                                                                              \
			fprintf(stderr, "delorean-recorder: assertion failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                                                  \
			abort();                                                                            \
		}                                                                                           \
	} while (0)

#endif
