/*
 * elf_lookup.c - the ELF symbol reader against build/programs/breakme (built by `make` before
 * the tests), with binutils' nm as the reference, and against broken files.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "elf_symbols.h"

#define BREAKME "build/programs/breakme"

/* The value nm prints for a symbol, or 0. */
static unsigned long long nm_value(const char *path, const char *sym)
{
	char cmd[512], line[512];
	snprintf(cmd, sizeof cmd, "nm %s", path);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	unsigned long long v = 0, found = 0;
	char type, name[256];
	while (fgets(line, sizeof line, p))
		if (sscanf(line, "%llx %c %255s", &v, &type, name) == 3 && strcmp(name, sym) == 0)
			found = v;
	pclose(p);
	return found;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

int main(void)
{
	uint64_t v = 0;
	struct elf_info info;
	CHECK(elf_find_function(BREAKME, "checkpoint_here", &v, &info) == 0);
	unsigned long long want = nm_value(BREAKME, "checkpoint_here");
	CHECK(want != 0);
	CHECK_EQ_U64(v, want);
	CHECK(info.type == ET_DYN || info.type == ET_EXEC);
	CHECK(elf_find_function(BREAKME, "main", &v, NULL) == 0);
	CHECK_EQ_U64(v, nm_value(BREAKME, "main"));
	CHECK(elf_read_info(BREAKME, &info) == 0 && info.entry != 0);
	CHECK_EQ_U64(info.entry, nm_value(BREAKME, "_start"));

	/* Data symbols are not functions; unknown names are ENOENT. */
	errno = 0;
	CHECK(elf_find_function(BREAKME, "hits", &v, NULL) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(elf_find_function(BREAKME, "no_such_function", &v, NULL) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(elf_find_function(BREAKME, "checkpoint_her", &v, NULL) == -1 && errno == ENOENT);
	/* A function of a shared library, found through .dynsym (libc has no .symtab). */
	CHECK(elf_find_function("/lib/x86_64-linux-gnu/libc.so.6", "write", &v, NULL) == 0 && v != 0);

	/* Not ELF, missing, a directory, and every truncation of a real executable: errors, no crash. */
	char tmpl[] = "/tmp/elf_lookup.XXXXXX";
	int fd = mkstemp(tmpl);
	CHECK(fd >= 0);
	close(fd);
	write_file(tmpl, "#!/bin/sh\necho hi\n", 18);
	errno = 0;
	CHECK(elf_find_function(tmpl, "main", &v, NULL) == -1 && errno == ENOEXEC);
	errno = 0;
	CHECK(elf_find_function("/nonexistent/file", "main", &v, NULL) == -1 && errno == ENOENT);
	errno = 0;
	CHECK(elf_find_function("/tmp", "main", &v, NULL) == -1 && errno == ENOEXEC);

	FILE *f = fopen(BREAKME, "rb");
	CHECK(f != NULL);
	static unsigned char img[1 << 20];
	size_t len = f ? fread(img, 1, sizeof img, f) : 0;
	if (f)
		fclose(f);
	CHECK(len > 1000 && len < sizeof img);
	for (size_t cut = 0; cut < len; cut += cut < 128 ? 1 : 97) {
		write_file(tmpl, img, cut);
		int rc = elf_find_function(tmpl, "checkpoint_here", &v, NULL);
		CHECK(rc == -1 || v == want); /* whatever it says, never a wrong address */
	}
	/* Corrupted section header offsets and sizes: errors, no crash. */
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	unsigned long long shoff = eh->e_shoff;
	eh->e_shoff = ~0ull;
	write_file(tmpl, img, len);
	CHECK(elf_find_function(tmpl, "checkpoint_here", &v, NULL) == -1);
	eh->e_shoff = shoff;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
	for (int i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB || sh[i].sh_type == SHT_STRTAB)
			sh[i].sh_size = 1ull << 40;
	write_file(tmpl, img, len);
	v = 0;
	CHECK(elf_find_function(tmpl, "checkpoint_here", &v, NULL) == -1 || v == want);
	unlink(tmpl);
	return check_done("elf_lookup");
}
