/*
 * check.h - the unit tests' tiny assertion helpers. A failed CHECK prints where and what, and
 * the test exits 1 at the end (every check still runs, so one run shows every failure).
 */
#ifndef DL_TEST_CHECK_H
#define DL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                                       \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                                 \
		}                                                                         \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                                          \
	do {                                                                                        \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);      \
		if (a_ != b_) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s == %s (0x%llx != 0x%llx)\n", __FILE__, \
				__LINE__, #a, #b, a_, b_);                                          \
			check_failures++;                                                           \
		}                                                                                   \
	} while (0)

/* Prints "NAME: ok" and returns 0, or returns 1 after the failures were printed. */
static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
