/* Huge sparse mappings: 64 GiB anonymous, a 100 GiB sparse file shared, a 1 TiB memfd: a few pages touched. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	const uint64_t anon_size = 64ull << 30, file_size = 100ull << 30, memfd_size = 1ull << 40;
	char *anon = mmap(NULL, anon_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (anon == MAP_FAILED) {
		perror("FAIL: mmap anonymous");
		return 1;
	}
	anon[0] = 1;
	anon[anon_size / 2] = 2;
	anon[anon_size - 1] = 3;

	char path[] = "/tmp/behave-sparse-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || unlink(path) != 0 || pwrite(fd, "x", 1, (off_t)file_size) != 1) {
		perror("FAIL: sparse file");
		return 1;
	}
	char *file = mmap(NULL, file_size + 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED) {
		perror("FAIL: mmap file");
		return 1;
	}
	file[file_size / 2] = 1;
	getpid(); /* a system call while it is mapped */
	if (file[file_size] != 'x' || file[file_size / 2] != 1 || file[4096] != 0) {
		printf("FAIL: the file mapping reads wrong\n");
		return 1;
	}

	int mfd = memfd_create("behave", 0);
	if (mfd < 0 || ftruncate(mfd, (off_t)memfd_size) != 0 || write(mfd, "y", 1) != 1) {
		perror("FAIL: memfd");
		return 1;
	}
	int prots[] = { PROT_NONE, PROT_READ };
	int kinds[] = { MAP_PRIVATE, MAP_SHARED };
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			char *p = mmap(NULL, memfd_size, prots[i], kinds[j], mfd, 0);
			if (p == MAP_FAILED) {
				perror("FAIL: mmap memfd");
				return 1;
			}
			if (prots[i] == PROT_READ && p[0] != 'y') {
				printf("FAIL: the memfd mapping reads wrong\n");
				return 1;
			}
			getpid();
			munmap(p, memfd_size);
		}
	if (anon[0] != 1 || anon[anon_size / 2] != 2 || anon[anon_size - 1] != 3) {
		printf("FAIL: the anonymous mapping reads wrong\n");
		return 1;
	}
	printf("EXIT-SUCCESS\n");
	return 0;
}
