/*
 * dirty_bench - cost of one dirty_collect on a big heap with K dirty pages, per backend.
 * The child maps and fills a heap, then per round writes K distinct random pages and stops;
 * the parent times maps_read, dirty_collect and the copy-out of the reported pages
 * (memory_read_pages), and checks that exactly the K pages of the heap were reported.
 *
 * Under `make test` it runs small (32 MiB, few rounds) as a smoke test. DELOREAN_BENCH=1 runs
 * the real thing: 256 MiB, K = 16, 256, 4096. For figures build it without sanitizers:
 *   cc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc tests/unit/dirty_bench.c src/{maps,memory,
 *      remote,dirty,dirty_uffd,dirty_softdirty,dirty_hash}.c -o /tmp/dirty_bench
 */
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "dirty.h"
#include "maps.h"
#include "memory.h"
#include "tracee_util.h"

#define P 4096ull

struct ctl {
	volatile uint64_t heap, k, seed, stop;
};
static struct ctl *ctl;
static size_t heap_pages;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* K distinct page indices from a seed (parent and child compute the same ones) */
static void pick(uint64_t seed, size_t k, size_t *out, uint8_t *mark)
{
	memset(mark, 0, heap_pages);
	for (size_t i = 0; i < k;) {
		size_t p = (size_t)(rng(&seed) % heap_pages);
		if (!mark[p]) {
			mark[p] = 1;
			out[i++] = p;
		}
	}
}

static void child(void *a)
{
	(void)a;
	uint8_t *heap = mmap(NULL, heap_pages * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(heap, 1, heap_pages * P);
	ctl->heap = (uint64_t)(uintptr_t)heap;
	size_t *idx = malloc(4096 * sizeof(size_t));
	uint8_t *mark = malloc(heap_pages);
	raise(SIGSTOP);
	while (!ctl->stop) {
		pick(ctl->seed, ctl->k, idx, mark);
		for (size_t i = 0; i < ctl->k; i++)
			heap[idx[i] * P + (ctl->seed % P)] += 1;
		raise(SIGSTOP);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return n ? v[n / 2] : 0;
}

static void run(enum dirty_backend b, const size_t *ks, int nk, int rounds)
{
	struct page_set ps = {0};
	struct map_table mt = {0};
	char err[256];
	uint8_t *buf = malloc(8192 * P);
	pid_t c = spawn_traced(child, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	double t0 = now_us();
	struct dirty_tracker *t = dirty_open(b, c, c, err, sizeof(err), NULL, NULL);
	double t_open = now_us() - t0;
	if (!t)
		fprintf(stderr, "dirty_open: %s\n", err);
	REQUIRE(t);
	REQUIRE(maps_read(c, &mt) == 0);
	t0 = now_us();
	REQUIRE(dirty_collect(t, &mt, &ps, err, sizeof(err)) == 0);
	double t_first = now_us() - t0;
	printf("%-8s heap %zu MiB: open %.0f us, first collect %.1f ms (%zu pages, %zu zero ranges)\n",
	       dirty_backend_name(b), (size_t)(heap_pages * P >> 20), t_open, t_first / 1e3, ps.n, ps.nzero);
	uint64_t H = ctl->heap;
	for (int ki = 0; ki < nk; ki++) {
		double tm[64], tc[64], tr[64];
		int n = 0;
		for (int r = 0; r < rounds && r < 64; r++) {
			ctl->k = ks[ki];
			ctl->seed = 0x9e3779b97f4a7c15ull * (uint64_t)(r + 1 + 100 * ki);
			resume(c);
			wait_sigstop(c);
			maps_free(&mt);
			t0 = now_us();
			REQUIRE(maps_read(c, &mt) == 0);
			double t1 = now_us();
			REQUIRE(dirty_collect(t, &mt, &ps, err, sizeof(err)) == 0);
			double t2 = now_us();
			size_t in_heap = 0, bad = 0;
			for (size_t i = 0; i < ps.n; i++)
				in_heap += ps.addr[i] >= H && ps.addr[i] < H + heap_pages * P;
			CHECK(in_heap == ks[ki]);
			size_t m = ps.n < 8192 ? ps.n : 8192;
			double t3 = now_us();
			REQUIRE(memory_read_pages(c, ps.addr, m, buf, &bad) == 0);
			double t4 = now_us();
			tm[n] = t1 - t0, tc[n] = t2 - t1, tr[n] = t4 - t3;
			n++;
		}
		printf("%-8s K=%-5zu collect %9.1f us   maps_read %6.1f us   copy-out %8.1f us  (median of %d)\n",
		       dirty_backend_name(b), ks[ki], median(tc, n), median(tm, n), median(tr, n), n);
	}
	/* K = 0: collect again without letting the child run (the fixed cost) */
	double tz[64];
	int nz = 0;
	for (int r = 0; r < rounds && r < 64; r++) {
		t0 = now_us();
		REQUIRE(dirty_collect(t, &mt, &ps, err, sizeof(err)) == 0);
		tz[nz++] = now_us() - t0;
		CHECK(ps.n == 0 || b != DIRTY_UFFD_WP);
	}
	printf("%-8s K=0     collect %9.1f us   (no resume between collects)\n", dirty_backend_name(b), median(tz, nz));
	ctl->stop = 1;
	CHECK(finish(c) == 0);
	ctl->stop = 0;
	dirty_close(t);
	page_set_free(&ps);
	maps_free(&mt);
	free(buf);
}

int main(void)
{
	ctl = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(ctl != MAP_FAILED);
	bool full = getenv("DELOREAN_BENCH") != NULL;
	static const size_t ks_full[] = {16, 256, 4096}, ks_quick[] = {16, 256};
	heap_pages = (full ? 256 : 32) << 8;
	run(DIRTY_UFFD_WP, full ? ks_full : ks_quick, full ? 3 : 2, full ? 31 : 3);
	run(DIRTY_HASH, full ? ks_full : ks_quick, full ? 3 : 2, full ? 9 : 2);
	if (check_failures) {
		fprintf(stderr, "dirty_bench: %d failure(s)\n", check_failures);
		return 1;
	}
	printf("dirty_bench: ok\n");
	return 0;
}
