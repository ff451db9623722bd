/*
 * maps_test - /proc/PID/maps parsing: spaces in paths, " (deleted)", specials, anonymous
 * names, malformed lines, and a real table of this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "maps.h"


static const char sample[] =
	"55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1234567                    /usr/bin/my prog\n"
	"55d0c0a02000-55d0c0a05000 r-xp 00002000 fd:01 1234567                    /usr/bin/my prog\n"
	"55d0c1e00000-55d0c1e21000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f0000000000-7f0000021000 rw-p 00000000 00:00 0 \n"
	"7f0000021000-7f0000022000 rw-s 00000000 00:05 42                         /dev/shm/a b (deleted)\n"
	"7f0000030000-7f0000031000 rw-p 00000000 00:00 0                          [anon:my arena]\n"
	"7f0000040000-7f0000041000 ---p 00000000 00:00 0\n"
	"7f0000050000-7f0000052000 rw-p 0001a000 103:1f 77                        /x/  lead\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n"
	"7ffd00100000-7ffd00104000 r--p 00000000 00:00 0                          [vvar]\n"
	"7ffd00104000-7ffd00106000 r-xp 00000000 00:00 0                          [vdso]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void test_sample(void)
{
	struct map_table t;
	CHECK(maps_parse(sample, strlen(sample), &t) == 0);
	CHECK(t.n == 12);
	if (t.n != 12)
		return;
	CHECK(t.v[0].start == 0x55d0c0a00000ull && t.v[0].end == 0x55d0c0a02000ull);
	CHECK(t.v[0].prot == MAP_R && !t.v[0].shared && t.v[0].inode == 1234567);
	CHECK(t.v[0].dev_major == 0xfd && t.v[0].dev_minor == 1);
	CHECK(strcmp(t.v[0].path, "/usr/bin/my prog") == 0);
	CHECK(t.v[1].prot == (MAP_R | MAP_X) && t.v[1].offset == 0x2000);
	CHECK(strcmp(t.v[2].path, "[heap]") == 0 && maps_is_anonymous(&t.v[2]));
	CHECK(strcmp(t.v[3].path, "") == 0 && maps_is_anonymous(&t.v[3]) && t.v[3].prot == (MAP_R | MAP_W));
	CHECK(t.v[4].shared && t.v[4].deleted && strcmp(t.v[4].path, "/dev/shm/a b (deleted)") == 0);
	CHECK(!maps_is_anonymous(&t.v[4]));
	CHECK(strcmp(t.v[5].path, "[anon:my arena]") == 0 && maps_is_anonymous(&t.v[5]));
	CHECK(t.v[6].prot == 0 && strcmp(t.v[6].path, "") == 0);
	CHECK(t.v[7].offset == 0x1a000 && t.v[7].dev_major == 0x103 && t.v[7].dev_minor == 0x1f);
	CHECK(strcmp(t.v[7].path, "/x/  lead") == 0 && !t.v[7].deleted);
	CHECK(strcmp(t.v[8].path, "[stack]") == 0 && maps_is_anonymous(&t.v[8]));
	CHECK(maps_is_unreadable_special(&t.v[9]) && !maps_is_anonymous(&t.v[9]));
	CHECK(!maps_is_unreadable_special(&t.v[10]) && !maps_is_anonymous(&t.v[10]));
	CHECK(maps_is_unreadable_special(&t.v[11]) && t.v[11].end == 0xffffffffff601000ull);
	CHECK(maps_find(&t, 0x55d0c0a01fffull) == 0 && maps_find(&t, 0x55d0c0a02000ull) == 1);
	CHECK(maps_find(&t, 0x55d0c0a05000ull) == -1 && maps_find(&t, 0) == -1);
	CHECK(maps_find(&t, 0x7ffd00020fffull) == 8);
	CHECK(t.text_len == strlen(sample) && memcmp(t.text, sample, t.text_len) == 0);

	struct map_table u;
	CHECK(maps_parse(sample, strlen(sample), &u) == 0);
	CHECK(maps_equal(&t, &u));
	maps_free(&u);
	char *other = strdup(sample);
	other[strlen(other) - 3] = 'X';
	CHECK(maps_parse(other, strlen(other), &u) == 0);
	CHECK(!maps_equal(&t, &u));
	maps_free(&u);
	free(other);
	maps_free(&t);
	CHECK(t.v == NULL && t.n == 0);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"zz-1000 rw-p 00000000 00:00 0\n",
		"1000-2000 rw-q 00000000 00:00 0\n",
		"1000-2000 rw-p 00000000 00:00\n",
		"2000-1000 rw-p 00000000 00:00 0\n",
		"1000-2001 rw-p 00000000 00:00 0\n",
		"1000-2000 rw-p 00000000 00:00 0x\n",
		"3000-4000 rw-p 00000000 00:00 0\n1000-2000 rw-p 00000000 00:00 0\n", /* not sorted */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct map_table t;
		errno = 0;
		int rc = maps_parse(bad[i], strlen(bad[i]), &t);
		if (rc != -1 || errno != EINVAL)
			fprintf(stderr, "FAIL: accepted malformed line %zu: %s", i, bad[i]);
		CHECK(rc == -1 && errno == EINVAL);
	}
	struct map_table t;
	CHECK(maps_parse("", 0, &t) == 0 && t.n == 0);
	maps_free(&t);
	/* no trailing newline */
	const char *one = "1000-2000 r--p 00000000 00:00 0 /a";
	CHECK(maps_parse(one, strlen(one), &t) == 0 && t.n == 1 && strcmp(t.v[0].path, "/a") == 0);
	maps_free(&t);
}

static void test_real(void)
{
	/* a file with spaces in its name, mapped then unlinked */
	char path[] = "/tmp/delorean maps test XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, 8192) == 0);
	void *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	close(fd);
	unlink(path);
	struct map_table t;
	CHECK(maps_read(getpid(), &t) == 0);
	long i = maps_find(&t, (uint64_t)(uintptr_t)p);
	CHECK(i >= 0);
	if (i >= 0) {
		char want[128];
		snprintf(want, sizeof(want), "%s (deleted)", path);
		CHECK(strcmp(t.v[i].path, want) == 0 && t.v[i].deleted && t.v[i].prot == MAP_R);
	}
	bool heap = false, stack = false, vdso = false;
	for (size_t k = 0; k < t.n; k++) {
		heap |= strcmp(t.v[k].path, "[heap]") == 0;
		stack |= strcmp(t.v[k].path, "[stack]") == 0;
		vdso |= strcmp(t.v[k].path, "[vdso]") == 0;
	}
	CHECK(stack && vdso);
	(void)heap; /* ASan may leave no brk heap */
	CHECK(maps_find(&t, (uint64_t)(uintptr_t)&t) >= 0); /* our stack */
	maps_free(&t);
	munmap(p, 8192);
	CHECK(maps_read(999999999, &t) == -1 && errno == ENOENT);
}

int main(void)
{
	test_sample();
	test_malformed();
	test_real();
	return check_done("maps_test");
}
