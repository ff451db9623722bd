/*
 * dirty_test - the dirty trackers end to end against a forked, ptraced child, for each backend
 * that works here (uffd-wp, hash; soft-dirty must refuse on this kernel), as root and as an
 * unprivileged user (vm.unprivileged_userfaultfd=0 -> UFFD_USER_MODE_ONLY):
 *   0  first collect covers every readable mapping (anonymous ones via zero ranges)
 *   1  written pages A, C are reported; untouched parts of a 64 MiB region are not
 *   2  a new mmap is reported whole (zero range + its written page); a new private file
 *      mapping entirely; a MAP_SHARED page written by ANOTHER process (the test) is reported
 *   3  munmap'd range absent; MAP_FIXED over a range and madvise(DONTNEED) recaptured
 *      (zero ranges for anonymous, file content again for a private file page) - noted
 *      through dirty_note_syscall as the tracer would
 *   4  MAP_FIXED NOT noted: uffd must find the lost registration itself (EPERM), hash sees
 *      the content change
 * and uffd-wp and hash must agree on every phase. Also: no fd left in the tracee, memory
 * reads of the reported pages, a reset after exec, and a region captured sparse that fills up
 * (uffd-wp turns it dense, to the kernel's fast scan) with its writes still reported exactly.
 * Untracked noise is expected and allowed: the child's stack, libc/ASan data, the control page.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "dirty.h"
#include "dirty_internal.h"
#include "maps.h"
#include "memory.h"
#include "tracee_util.h"

#define P 4096ull
#define BIG_PAGES 16384 /* 64 MiB */
#define NPH 5

struct ctl {
	volatile uint64_t n_addr, f_addr;
	char file[64];
};
static struct ctl *ctl;
static uint8_t *big, *shr;

/* What a phase reported inside the test's own regions, for comparing backends. */
struct phase_rec {
	uint64_t pages[256], zero[16][2];
	size_t np, nz;
};

static void child_main(void *a)
{
	(void)a;
	big[0] = 1, big[1 * P] = 1, big[5 * P] = 1, big[50 * P] = 9;
	raise(SIGSTOP);
	big[10 * P] = 2, big[30 * P] = 2;
	raise(SIGSTOP);
	uint8_t *n = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	n[2 * P] = 3;
	int fd = open(ctl->file, O_RDONLY);
	uint8_t *f = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	f[1 * P] = 'x';
	ctl->n_addr = (uint64_t)(uintptr_t)n;
	ctl->f_addr = (uint64_t)(uintptr_t)f;
	raise(SIGSTOP);
	munmap(n, 8 * P);
	mmap(big + 40 * P, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	big[41 * P] = 4;
	madvise(big + 10 * P, P, MADV_DONTNEED);
	madvise(f + 1 * P, P, MADV_DONTNEED);
	raise(SIGSTOP);
	mmap(big + 50 * P, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	big[51 * P] = 5;
	raise(SIGSTOP);
}

static bool has_page(const struct page_set *s, uint64_t a)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->addr[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && s->addr[lo] == a;
}

static bool in_zero(const struct page_set *s, uint64_t a)
{
	for (size_t i = 0; i < s->nzero; i++)
		if (s->zero[i][0] <= a && a < s->zero[i][1])
			return true;
	return false;
}

static bool covered(const struct page_set *s, uint64_t a)
{
	return has_page(s, a) || in_zero(s, a);
}

/* pages of [s, e) reported, counted */
static size_t count_in(const struct page_set *ps, uint64_t s, uint64_t e)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++)
		n += ps->addr[i] >= s && ps->addr[i] < e;
	return n;
}

static void check_shape(const struct page_set *s, const struct map_table *mt)
{
	bool ok = true;
	for (size_t i = 0; i < s->n; i++) {
		ok &= (s->addr[i] & (P - 1)) == 0 && (i == 0 || s->addr[i] > s->addr[i - 1]);
		long k = maps_find(mt, s->addr[i]);
		ok &= k >= 0 && (mt->v[k].prot & MAP_R) && !maps_is_unreadable_special(&mt->v[k]);
	}
	CHECK(ok);
	for (size_t i = 0; i < s->nzero; i++)
		CHECK(s->zero[i][0] < s->zero[i][1] && (i == 0 || s->zero[i][0] >= s->zero[i - 1][1]));
}

/*
 * Addresses are kept relative to their region (region index in the top bits): regions a child
 * mmaps itself need not land at the same address in the uffd-wp and hash runs.
 */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void record(struct phase_rec *r, const struct page_set *s, const uint64_t (*regions)[2], size_t nr)
{
	r->np = r->nz = 0;
#define REL(a, k) ((a) - regions[k][0] + ((uint64_t)(k) << 56))
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < nr; k++)
			if (s->addr[i] >= regions[k][0] && s->addr[i] < regions[k][1] && r->np < 256)
				r->pages[r->np++] = REL(s->addr[i], k);
	for (size_t i = 0; i < s->nzero; i++)
		for (size_t k = 0; k < nr; k++) {
			uint64_t a = s->zero[i][0] > regions[k][0] ? s->zero[i][0] : regions[k][0];
			uint64_t b = s->zero[i][1] < regions[k][1] ? s->zero[i][1] : regions[k][1];
			if (a < b && r->nz < 16) {
				r->zero[r->nz][0] = REL(a, k);
				r->zero[r->nz][1] = REL(b, k);
				r->nz++;
			}
		}
#undef REL
	/* Canonical order: regions the child mmaps may land in either order from run to run. */
	qsort(r->pages, r->np, sizeof r->pages[0], cmp_u64);
	qsort(r->zero, r->nz, sizeof r->zero[0], cmp_u64);
}

static int fd_count(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void warn_cb(void *ctx, const char *line)
{
	(*(int *)ctx)++;
	fprintf(stderr, "  (warning) %s\n", line);
}

static int collect(struct dirty_tracker *t, pid_t c, struct map_table *mt, struct page_set *ps)
{
	char err[256] = "";
	maps_free(mt);
	REQUIRE(maps_read(c, mt) == 0);
	int rc = dirty_collect(t, mt, ps, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "collect failed: %s\n", err);
	CHECK(rc == 0);
	check_shape(ps, mt);
	return rc;
}

static void scenario(enum dirty_backend b, struct phase_rec rec[NPH], const char *label)
{
	struct page_set ps = {0};
	struct map_table mt = {0};
	char err[256] = "";
	int warnings = 0;
	uint64_t B = (uint64_t)(uintptr_t)big, S = (uint64_t)(uintptr_t)shr;
	memset(shr, 0, 4 * P);
	ctl->n_addr = ctl->f_addr = 0;

	pid_t c = spawn_traced(child_main, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	int fds = fd_count(c);
	struct dirty_tracker *t = dirty_open(b, c, c, err, sizeof(err), warn_cb, &warnings);
	if (!t)
		fprintf(stderr, "dirty_open(%s): %s\n", dirty_backend_name(b), err);
	REQUIRE(t);
	CHECK(dirty_backend_of(t) == (b == DIRTY_AUTO ? DIRTY_UFFD_WP : b));
	CHECK(fd_count(c) == fds);
	CHECK(warnings == 0);

	/* phase 0: everything readable */
	collect(t, c, &mt, &ps);
	bool all = true;
	for (size_t i = 0; i < mt.n; i++) {
		const struct map_entry *e = &mt.v[i];
		if (!(e->prot & MAP_R) || maps_is_unreadable_special(e))
			continue;
		bool anon = !e->shared && maps_is_anonymous(e);
		if (anon) { /* one zero range for the region (touching ones merged) */
			all &= in_zero(&ps, e->start) && in_zero(&ps, e->end - P);
		} else {
			for (uint64_t a = e->start; a < e->end; a += P)
				all &= has_page(&ps, a);
		}
	}
	CHECK(all);
	CHECK(has_page(&ps, B) && has_page(&ps, B + P) && has_page(&ps, B + 5 * P) && has_page(&ps, B + 50 * P));
	CHECK(!has_page(&ps, B + 2 * P) && in_zero(&ps, B + 2 * P) && count_in(&ps, B, B + BIG_PAGES * P) == 4);
	{
		uint8_t *buf = malloc(ps.n * P);
		size_t bad = 99;
		CHECK(memory_read_pages(c, ps.addr, ps.n, buf, &bad) == 0 && bad == 0);
		size_t i = 0;
		while (i < ps.n && ps.addr[i] != B + 50 * P)
			i++;
		CHECK(i < ps.n && buf[i * P] == 9);
		free(buf);
	}
	uint64_t r0[][2] = {{B, B + BIG_PAGES * P}, {S, S + 4 * P}};
	record(&rec[0], &ps, r0, 2);
	resume(c);

	/* phase 1: exactly A and C in the big region, nothing shared */
	wait_sigstop(c);
	collect(t, c, &mt, &ps);
	CHECK(has_page(&ps, B + 10 * P) && has_page(&ps, B + 30 * P));
	CHECK(count_in(&ps, B, B + BIG_PAGES * P) == 2 && count_in(&ps, S, S + 4 * P) == 0);
	CHECK(!in_zero(&ps, B + 10 * P));
	record(&rec[1], &ps, r0, 2);
	shr[1 * P] = 0x5a; /* another process writes the shared mapping */
	resume(c);

	/* phase 2: new anon range whole, new private file mapping whole, shared write seen */
	wait_sigstop(c);
	collect(t, c, &mt, &ps);
	uint64_t N = ctl->n_addr, F = ctl->f_addr;
	CHECK(N && F);
	for (uint64_t a = N; a < N + 8 * P; a += P)
		CHECK(in_zero(&ps, a) && has_page(&ps, a) == (a == N + 2 * P));
	for (uint64_t a = F; a < F + 4 * P; a += P)
		CHECK(has_page(&ps, a));
	CHECK(has_page(&ps, S + P) && count_in(&ps, S, S + 4 * P) == 1);
	CHECK(count_in(&ps, B, B + BIG_PAGES * P) == 0);
	{
		uint64_t want[2] = {F, F + P};
		uint8_t buf[2 * P];
		size_t bad = 9;
		CHECK(memory_read_pages(c, want, 2, buf, &bad) == 0 && bad == 0);
		CHECK(buf[0] == 'F' && buf[P] == 'x' && buf[P + 1] == 'F');
	}
	uint64_t r2[][2] = {{B, B + BIG_PAGES * P}, {S, S + 4 * P}, {N, N + 8 * P}, {F, F + 4 * P}};
	record(&rec[2], &ps, r2, 4);
	resume(c);

	/* phase 3: the tracer reports the child's munmap / MAP_FIXED / madvise */
	wait_sigstop(c);
	uint64_t a1[6] = {N, 8 * P}, a2[6] = {B + 40 * P, 4 * P, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint64_t)-1, 0};
	uint64_t a3[6] = {B + 10 * P, P, MADV_DONTNEED}, a4[6] = {F + P, P, MADV_DONTNEED};
	uint64_t harmless[6] = {B, 16 * P, MADV_WILLNEED}, plain_mmap[6] = {0, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS};
	dirty_note_syscall(t, SYS_munmap, a1);
	dirty_note_syscall(t, SYS_mmap, a2);
	dirty_note_syscall(t, SYS_madvise, a3);
	dirty_note_syscall(t, SYS_madvise, a4);
	dirty_note_syscall(t, SYS_madvise, harmless);
	dirty_note_syscall(t, SYS_mmap, plain_mmap);
	collect(t, c, &mt, &ps);
	CHECK(count_in(&ps, N, N + 8 * P) == 0 && !in_zero(&ps, N) && !in_zero(&ps, N + 7 * P));
	for (uint64_t a = B + 40 * P; a < B + 44 * P; a += P)
		CHECK(in_zero(&ps, a) && has_page(&ps, a) == (a == B + 41 * P));
	CHECK(in_zero(&ps, B + 10 * P) && !has_page(&ps, B + 10 * P));
	CHECK(count_in(&ps, B, B + BIG_PAGES * P) == 1 && !in_zero(&ps, B + 30 * P) && !in_zero(&ps, B + 9 * P));
	CHECK(has_page(&ps, F + P) && count_in(&ps, F, F + 4 * P) == 1);
	{
		uint8_t buf[P];
		uint64_t fa = F + P;
		size_t bad = 9;
		CHECK(memory_read_pages(c, &fa, 1, buf, &bad) == 0 && bad == 0 && buf[0] == 'F');
	}
	record(&rec[3], &ps, r2, 4);
	resume(c);

	/* phase 4: MAP_FIXED that nobody reported */
	wait_sigstop(c);
	collect(t, c, &mt, &ps);
	CHECK(has_page(&ps, B + 51 * P) && covered(&ps, B + 50 * P));
	CHECK(count_in(&ps, B, B + 50 * P) == 0 && count_in(&ps, B + 52 * P, B + BIG_PAGES * P) == 0);
	record(&rec[4], &ps, r2, 4);

	CHECK(finish(c) == 0);
	dirty_close(t);
	page_set_free(&ps);
	maps_free(&mt);
	printf("dirty_test %s %s: %s\n", label, dirty_backend_name(b), check_failures ? "FAILED" : "ok");
}

static bool same_rec(const struct phase_rec *a, const struct phase_rec *b)
{
	return a->np == b->np && a->nz == b->nz && memcmp(a->pages, b->pages, a->np * 8) == 0 &&
	       memcmp(a->zero, b->zero, a->nz * 16) == 0;
}

static void test_softdirty_refuses(void)
{
	pid_t c = spawn_traced(child_main, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c);
	char err[256] = "";
	struct dirty_tracker *t = dirty_open(DIRTY_SOFT_DIRTY, c, c, err, sizeof(err), NULL, NULL);
	bool kernel_has_it = t != NULL;
	if (t)
		dirty_close(t);
	else
		CHECK(strstr(err, "CONFIG_MEM_SOFT_DIRTY") != NULL);
	kill(c, SIGKILL);
	wait_any(c);
	printf("dirty_test soft-dirty probe: %s (%s)\n", kernel_has_it ? "works on this kernel" : "refused as expected",
	       err);
}

#define FILL_PAGES 1024 /* 4 MiB */

/* A block captured with few pages touched, then filled (an interval checkpoint in the middle of a memset). */
static void child_fill(void *a)
{
	(void)a;
	uint8_t *m = mmap(NULL, FILL_PAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 10; i++)
		m[i * P] = 1;
	ctl->n_addr = (uint64_t)(uintptr_t)m;
	raise(SIGSTOP);
	memset(m, 2, FILL_PAGES * P);
	raise(SIGSTOP);
	m[3 * P] = 3, m[500 * P] = 3, m[1023 * P + 7] = 3;
	raise(SIGSTOP);
	raise(SIGSTOP);
}

static const struct region *region_of(const struct dirty_tracker *t, uint64_t addr)
{
	for (size_t i = 0; i < t->nreg; i++)
		if (t->reg[i].start <= addr && addr < t->reg[i].end)
			return &t->reg[i];
	return NULL;
}

static void test_fills_up(void)
{
	ctl->n_addr = 0;
	pid_t c = spawn_traced(child_fill, NULL, PTRACE_O_TRACESYSGOOD);
	wait_sigstop(c); /* mapped, 10 pages touched: captured as present pages + a zero range, sparse */
	char err[256] = "";
	struct dirty_tracker *t = dirty_open(DIRTY_UFFD_WP, c, c, err, sizeof(err), NULL, NULL);
	REQUIRE(t);
	struct map_table mt = {0};
	struct page_set ps = {0};
	collect(t, c, &mt, &ps);
	uint64_t M = ctl->n_addr;
	REQUIRE(M);
	CHECK(count_in(&ps, M, M + FILL_PAGES * P) == 10 && in_zero(&ps, M + 20 * P));
	CHECK(region_of(t, M) && !region_of(t, M)->dense);
	resume(c);

	wait_sigstop(c); /* filled: every page written, and the region is dense from now on */
	collect(t, c, &mt, &ps);
	CHECK(count_in(&ps, M, M + FILL_PAGES * P) == FILL_PAGES);
	CHECK(region_of(t, M) && region_of(t, M)->dense);
	resume(c);

	wait_sigstop(c); /* scanned on the fast path: exactly the three pages written */
	collect(t, c, &mt, &ps);
	CHECK(count_in(&ps, M, M + FILL_PAGES * P) == 3);
	CHECK(has_page(&ps, M + 3 * P) && has_page(&ps, M + 500 * P) && has_page(&ps, M + 1023 * P));
	resume(c);

	wait_sigstop(c); /* and nothing when nothing was written */
	collect(t, c, &mt, &ps);
	CHECK(count_in(&ps, M, M + FILL_PAGES * P) == 0);
	CHECK(finish(c) == 0);
	dirty_close(t);
	page_set_free(&ps);
	maps_free(&mt);
	printf("dirty_test sparse region fills up: %s\n", check_failures ? "FAILED" : "ok");
}

/* After exec the old mm is gone: reset, then collect the new image (sh stops itself). */
static void child_exec(void *a)
{
	(void)a;
	char *argv[] = {"sh", "-c", "kill -STOP $$; exit 7", NULL}, *envp[] = {NULL};
	raise(SIGSTOP);
	execve("/bin/sh", argv, envp);
	_exit(5);
}

static void test_exec_reset(void)
{
	pid_t c = spawn_traced(child_exec, NULL, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC);
	wait_sigstop(c);
	char err[256] = "";
	struct dirty_tracker *t = dirty_open(DIRTY_AUTO, c, c, err, sizeof(err), NULL, NULL);
	REQUIRE(t);
	struct map_table mt = {0};
	struct page_set ps = {0};
	collect(t, c, &mt, &ps);
	resume(c);
	int st = wait_any(c);
	CHECK(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | PTRACE_EVENT_EXEC << 8));
	CHECK(dirty_reset_after_exec(t, c, err, sizeof(err)) == 0);
	CHECK(dirty_backend_of(t) == DIRTY_UFFD_WP);
	collect(t, c, &mt, &ps);
	CHECK(ps.n > 0);
	bool stack = false;
	for (size_t i = 0; i < mt.n; i++)
		if (strcmp(mt.v[i].path, "[stack]") == 0)
			stack = in_zero(&ps, mt.v[i].start) && in_zero(&ps, mt.v[i].end - P);
	CHECK(stack);
	resume(c);
	wait_sigstop(c);
	collect(t, c, &mt, &ps); /* sh has loaded libc and run since */
	CHECK(ps.n > 0);
	CHECK(finish(c) == 7);
	dirty_close(t);
	page_set_free(&ps);
	maps_free(&mt);
	printf("dirty_test exec reset: %s\n", check_failures ? "FAILED" : "ok");
}

static void setup(void)
{
	ctl = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shr = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	big = mmap(NULL, BIG_PAGES * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	REQUIRE(ctl != MAP_FAILED && shr != MAP_FAILED && big != MAP_FAILED);
	snprintf(ctl->file, sizeof(ctl->file), "/tmp/delorean-dirty-%d", (int)getpid());
	int fd = open(ctl->file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	REQUIRE(fd >= 0);
	uint8_t page[P];
	memset(page, 'F', P);
	for (int i = 0; i < 4; i++)
		REQUIRE(write(fd, page, P) == (ssize_t)P);
	close(fd);
}

int main(int argc, char **argv)
{
	static struct phase_rec uffd[NPH], hash[NPH], aut[NPH];
	setup();
	if (argc > 1 && strcmp(argv[1], "--unprivileged-only") == 0) {
		scenario(DIRTY_UFFD_WP, uffd, "unprivileged");
		unlink(ctl->file);
		return check_failures ? 1 : 0;
	}
	scenario(DIRTY_UFFD_WP, uffd, "root");
	scenario(DIRTY_HASH, hash, "root");
	scenario(DIRTY_AUTO, aut, "root");
	for (int i = 0; i < NPH - 1; i++) {
		if (!same_rec(&uffd[i], &hash[i]))
			fprintf(stderr, "phase %d: uffd-wp and hash disagree (%zu/%zu pages, %zu/%zu zero)\n", i,
				uffd[i].np, hash[i].np, uffd[i].nz, hash[i].nz);
		CHECK(same_rec(&uffd[i], &hash[i]));
	}
	test_softdirty_refuses();
	test_exec_reset();
	test_fills_up();
	unlink(ctl->file);

	/* the same as nobody, where userfaultfd needs UFFD_USER_MODE_ONLY */
	if (geteuid() == 0) {
		pid_t p = fork();
		REQUIRE(p >= 0);
		if (p == 0) {
			if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
			    setresuid(65534, 65534, 65534) != 0)
				_exit(2);
			char *args[] = {argv[0], "--unprivileged-only", NULL};
			execv("/proc/self/exe", args);
			_exit(2);
		}
		int st;
		REQUIRE(waitpid(p, &st, 0) == p);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	if (check_failures) {
		fprintf(stderr, "dirty_test: %d failure(s)\n", check_failures);
		return 1;
	}
	printf("dirty_test: ok\n");
	return 0;
}
