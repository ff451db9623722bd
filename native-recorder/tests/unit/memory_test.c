/*
 * memory_test - memory_read_pages against a stopped child: contiguous and scattered pages in
 * more than IOV_MAX runs, a PROT_NONE page (process_vm_readv refuses it; /proc/PID/mem reads
 * it), an unmapped page (zero-filled and counted, the batch goes on after it), and ESRCH once
 * the child is gone.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "memory.h"
#include "tracee_util.h"

#define P 4096ull
#define NPAGES 3000

static uint8_t *area;

static void child(void *a)
{
	(void)a;
	for (size_t i = 0; i < NPAGES; i++)
		memset(area + i * P, (int)(i % 251) + 1, P);
	mprotect(area + 7 * P, P, PROT_NONE);
	munmap(area + 9 * P, P);
	raise(SIGSTOP);
}

int main(void)
{
	area = mmap(NULL, NPAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(area != MAP_FAILED);
	pid_t c = spawn_traced(child, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	uint64_t B = (uint64_t)(uintptr_t)area;

	/* pages 5..12 contiguous (7 is PROT_NONE, 9 unmapped), then every other page: > IOV_MAX runs */
	static uint64_t addr[NPAGES];
	size_t n = 0;
	for (size_t i = 5; i <= 12; i++)
		addr[n++] = B + i * P;
	for (size_t i = 14; i < NPAGES; i += 2)
		addr[n++] = B + i * P;
	uint8_t *buf = malloc(n * P);
	memset(buf, 0xee, n * P);
	size_t bad = 99;
	CHECK(memory_read_pages(c, addr, n, buf, &bad) == 0);
	CHECK(bad == 1);
	bool ok = true;
	for (size_t k = 0; k < n; k++) {
		size_t page = (size_t)((addr[k] - B) / P);
		uint8_t want = page == 9 ? 0 : (uint8_t)(page % 251 + 1);
		ok &= buf[k * P] == want && buf[k * P + P - 1] == want;
		if (!ok) {
			fprintf(stderr, "page %zu: got %u want %u\n", page, buf[k * P], want);
			break;
		}
	}
	CHECK(ok);
	CHECK(memory_read_pages(c, addr, 0, buf, &bad) == 0 && bad == 0);

	kill(c, SIGKILL);
	int st = wait_any(c);
	CHECK(WIFSIGNALED(st));
	errno = 0;
	CHECK(memory_read_pages(c, addr, 4, buf, &bad) == -1 && errno == ESRCH);
	free(buf);
	if (check_failures) {
		fprintf(stderr, "memory_test: %d failure(s)\n", check_failures);
		return 1;
	}
	printf("memory_test: ok\n");
	return 0;
}
