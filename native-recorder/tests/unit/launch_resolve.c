/*
 * launch_resolve.c - execvp's lookup done up front: PATH order, relative names against --cwd,
 * the errors a user sees (missing, not executable, a directory), and always an absolute result
 * (the child changes directory before it execs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "launch.h"

static char root[64];

static void make_file(const char *rel, mode_t mode)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	close(fd);
	chmod(p, mode);
}

static void expect(const char *prog, const char *cwd, const char *want_rel, int want_errno)
{
	errno = 0;
	char *got = launch_resolve(prog, cwd);
	if (want_rel) {
		char want[256];
		snprintf(want, sizeof want, "%s/%s", root, want_rel);
		if (!got || strcmp(got, want) != 0)
			fprintf(stderr, "resolve '%s' (cwd %s): got %s, want %s\n", prog, cwd ? cwd : "-", got ? got : "NULL",
				want);
		CHECK(got && strcmp(got, want) == 0);
	} else {
		if (got || errno != want_errno)
			fprintf(stderr, "resolve '%s': got %s errno %d, want errno %d\n", prog, got ? got : "NULL", errno,
				want_errno);
		CHECK(!got && errno == want_errno);
	}
	free(got);
}

int main(void)
{
	snprintf(root, sizeof root, "/tmp/launch_resolve.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	char p[256];
	snprintf(p, sizeof p, "%s/a", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/b", root);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/b/dir", root);
	mkdir(p, 0755);
	make_file("a/tool", 0644); /* not executable */
	make_file("b/tool", 0755);
	make_file("a/only", 0755);
	make_file("a/plain", 0644);

	const char *saved = getenv("PATH");
	char *old_path = strdup(saved ? saved : "/usr/bin:/bin");
	char path[600];
	snprintf(path, sizeof path, "/nonexistent:%s/a:%s/b", root, root);
	setenv("PATH", path, 1);
	expect("tool", NULL, "b/tool", 0);  /* the non-executable a/tool is skipped */
	expect("only", NULL, "a/only", 0);  /* PATH order */
	expect("plain", NULL, NULL, EACCES); /* found, but nowhere executable */
	expect("dir", NULL, NULL, EISDIR);
	expect("missing", NULL, NULL, ENOENT);
	expect("", NULL, NULL, ENOENT);

	/* Names with a slash are not searched; relative ones are taken from cwd. */
	expect("b/tool", root, "b/tool", 0);
	expect("./b/tool", root, "./b/tool", 0);
	expect("a/tool", root, NULL, EACCES);
	expect("b/dir", root, NULL, EISDIR);
	expect("b/nothing", root, NULL, ENOENT);
	/* Relative PATH entries are relative to cwd too, as for execvp after the child's chdir. */
	setenv("PATH", "b", 1);
	expect("tool", root, "b/tool", 0);
	/* Without cwd, a relative result is made absolute against ours. */
	CHECK(chdir(root) == 0);
	expect("./b/tool", NULL, "./b/tool", 0);

	setenv("PATH", old_path, 1);
	free(old_path);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	CHECK(system(cmd) == 0);
	return check_done("launch_resolve");
}
